/*
 * tools/e2uctl/cmd_edit.c — `e2uctl set`, `e2uctl del` and `e2uctl rmzone`: single changes,
 * each one transaction (one serial step, one journal entry).
 *
 * A KEY is a number or a block (+1215555*, +1215555XXXX). Its zone is the one given with
 * --zone, or else the zone whose number prefix (the digits of its origin's one-digit labels,
 * "1" for 1.e164.arpa.) is the longest prefix of the KEY's digits; two such zones under
 * different suffixes are ambiguous and need --zone.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

typedef struct key {
    bool block;
    unsigned length;
    char digits[E2U_AUS_MAX];
    size_t nd;
} ckey_t;

static bool parse_key(const char *cmd, const char *s, ckey_t *k)
{
    size_t n = strlen(s);
    memset(k, 0, sizeof(*k));
    if (n >= 2 && s[0] == '+') {
        size_t i = 1;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        size_t nd = i - 1;
        bool star = i == n - 1 && s[i] == '*';
        size_t j = i;
        while (j < n && (s[j] == 'X' || s[j] == 'x'))
            j++;
        if ((star || (j == n && j > i)) && nd <= E2U_NUMBER_MAX_DIGITS &&
            n - 1 <= E2U_NUMBER_MAX_DIGITS + 1) {
            k->block = true;
            k->length = star ? 0 : (unsigned)(n - 1);
            memcpy(k->digits, s + 1, nd);
            k->nd = nd;
            return true;
        }
    }
    e2u_number_t num;
    e2u_diag_t d;
    e2u_number_opts_t o = {E2U_NUMBER_MAX_DIGITS};
    if (e2u_number_parse(&num, s, n, &o, &d) < 0) {
        ctl_err(cmd, "'%s': %s (a number, +digits* or +digitsXXX)", s, d.msg);
        return false;
    }
    memcpy(k->digits, num.aus + 1, num.ndigits + 1u);
    k->nd = num.ndigits;
    return true;
}

/* The zone of a key (see the file comment); prints why not and returns NULL. */
static const e2u_store_zone_t *key_zone(const char *cmd, e2u_store_rd_t *rd, const ckey_t *k,
                                        const char *zone)
{
    const e2u_store_zone_t *zs;
    size_t nz;
    if (zone) {
        uint8_t w[256];
        if (!ctl_zone(cmd, zone, w))
            return NULL;
        const e2u_store_zone_t *z;
        if (e2u_store_zone_get(rd, w, &z) < 0) {
            ctl_err(cmd, "no zone %s in the store", zone);
            return NULL;
        }
        if (k->nd < z->prefix_len || memcmp(k->digits, z->prefix, z->prefix_len) != 0) {
            ctl_err(cmd, "+%s is not in zone %s (its numbers start +%s)", k->digits, zone,
                    z->prefix);
            return NULL;
        }
        return z;
    }
    e2u_store_zones(rd, &zs, &nz);
    const e2u_store_zone_t *best = NULL;
    bool tie = false;
    for (size_t i = 0; i < nz; i++) {
        if (k->nd < zs[i].prefix_len || memcmp(k->digits, zs[i].prefix, zs[i].prefix_len))
            continue;
        if (!best || zs[i].prefix_len > best->prefix_len) {
            best = &zs[i];
            tie = false;
        } else if (zs[i].prefix_len == best->prefix_len) {
            tie = true;
        }
    }
    if (!best) {
        ctl_err(cmd, "no zone of the store holds +%s", k->digits);
        return NULL;
    }
    if (tie) {
        ctl_err(cmd, "+%s is in several zones: say which with --zone", k->digits);
        return NULL;
    }
    return best;
}

static void edit_usage(FILE *f, bool set)
{
    if (set)
        fputs("Usage: e2uctl -d DB set [OPTIONS] KEY 'RDATA'...\n"
              "\n"
              "Make the NAPTR records of KEY exactly the RDATA given (master-file syntax, RFC\n"
              "3403 §4.1: ORDER PREFERENCE FLAGS SERVICES REGEXP REPLACEMENT; a backslash in\n"
              "the regexp is written twice). KEY is a number, or a block: +1215555* for every\n"
              "number starting with those digits, +1215555XXXX for those of exactly that many\n"
              "digits. Relative names in RDATA are relative to the zone's origin.\n"
              "\n"
              "  e2uctl -d db set +12155550123 \\\n"
              "    '10 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+12155550123;npdi;rn=+12155550199!\" "
              ".'\n"
              "\n"
              "Options:\n"
              "  -z, --zone ORIGIN      the zone (default: the zone whose numbers KEY is in)\n"
              "      --ttl SECONDS      TTL of the records (default: the zone's default TTL)\n"
              "  -h, --help             this help\n"
              "\n"
              "The zone's serial goes up by one and the change is journaled.\n"
              "Exit status: 0 set, 1 failed, 2 bad usage or a malformed record.\n",
              f);
    else
        fputs("Usage: e2uctl -d DB del [OPTIONS] KEY\n"
              "\n"
              "Delete the NAPTR records of a number (other record types at its name stay), or a\n"
              "block (+1215555*, +1215555XXXX). Numbers under a deleted block that have no\n"
              "entry of their own no longer exist.\n"
              "\n"
              "Options:\n"
              "  -z, --zone ORIGIN      the zone (default: the zone whose numbers KEY is in)\n"
              "  -h, --help             this help\n"
              "\n"
              "Exit status: 0 deleted, 1 failed (no such number or block), 2 bad usage.\n",
              f);
}

static int edit(const ctl_t *c, int argc, char **argv, bool set)
{
    const char *cmd = set ? "set" : "del";
    enum { O_TTL = 1000 };
    static const struct option opts[] = {
        {"zone", required_argument, NULL, 'z'},
        {"ttl", required_argument, NULL, O_TTL},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *zone = NULL;
    long ttl = -1;
    unsigned long v;
    int opt;
    while ((opt = getopt_long(argc, argv, "z:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'z':
            zone = optarg;
            break;
        case O_TTL:
            if (!set || !ctl_uint(optarg, 0, 0x7fffffff, &v)) {
                ctl_err(cmd, "--ttl '%s': seconds, 0 to 2147483647", optarg);
                return CTL_USAGE;
            }
            ttl = (long)v;
            break;
        case 'h':
            edit_usage(stdout, set);
            return CTL_OK;
        default:
            edit_usage(stderr, set);
            return CTL_USAGE;
        }
    }
    int nargs = argc - optind;
    if (nargs < 1 || (set && nargs < 2) || (!set && nargs != 1)) {
        ctl_err(cmd, set ? "expected KEY and at least one RDATA" : "expected one KEY");
        edit_usage(stderr, set);
        return CTL_USAGE;
    }
    ckey_t k;
    if (!parse_key(cmd, argv[optind], &k))
        return CTL_USAGE;
    e2u_store_t *s = ctl_open(c, cmd, false);
    if (!s)
        return CTL_FAIL;
    int ret = CTL_FAIL;
    e2u_store_rd_t *rd = NULL;
    e2u_store_txn_t *w = NULL;
    uint8_t *rdbuf = NULL;
    e2u_rdata_t *rr = NULL;
    uint8_t origin[256];
    char ztext[E2U_DNAME_TEXT_MAX];
    uint32_t dttl;
    size_t plen;
    if (e2u_store_read_begin(s, &rd) < 0) {
        ctl_err(cmd, "cannot read the store");
        goto out;
    }
    const e2u_store_zone_t *z = key_zone(cmd, rd, &k, zone);
    if (!z)
        goto out;
    memcpy(origin, z->origin, z->origin_len);
    size_t olen = z->origin_len;
    e2u_dname_to_text(ztext, sizeof(ztext), NULL, origin, olen);
    dttl = z->default_ttl;
    plen = z->prefix_len;
    z = NULL; /* borrowed from rd */
    e2u_store_read_end(rd);
    rd = NULL;
    if (!k.block && k.nd == plen) {
        ctl_err(cmd, "+%s is the zone's origin itself, not a number in it", k.digits);
        goto out;
    }
    if (!k.block && k.nd - plen > E2U_STORE_MAX_DIGITS) {
        ctl_err(cmd, "+%s: more than %d digits below the zone", k.digits, E2U_STORE_MAX_DIGITS);
        goto out;
    }
    /* the records */
    size_t n = set ? (size_t)(nargs - 1) : 0;
    rdbuf = malloc(n ? n * E2U_NAPTR_RDATA_MAX : 1);
    rr = malloc((n ? n : 1) * sizeof(*rr));
    if (!rdbuf || !rr)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const char *t = argv[optind + 1 + (int)i];
        size_t len;
        e2u_diag_t d;
        if (e2u_naptr_parse_text(rdbuf + i * E2U_NAPTR_RDATA_MAX, E2U_NAPTR_RDATA_MAX, &len, t,
                                 strlen(t), origin, &d) < 0) {
            ctl_err(cmd, "RDATA %zu: %s", i + 1, d.msg);
            ret = CTL_USAGE;
            goto out;
        }
        rr[i].data = rdbuf + i * E2U_NAPTR_RDATA_MAX;
        rr[i].len = (uint16_t)len;
    }
    int rc = e2u_store_write_begin(s, &w);
    if (rc < 0) {
        ctl_err(cmd, "%s", e2u_strerror(rc));
        goto out;
    }
    e2u_diag_t d = {0};
    uint32_t t = ttl >= 0 ? (uint32_t)ttl : dttl;
    char ktext[E2U_AUS_MAX + 80];
    if (k.block) {
        snprintf(ktext, sizeof(ktext), "%s", argv[optind]);
        rc = e2u_store_put_block(w, origin, k.digits, k.length, t, rr, n, &d);
        if (rc == E2U_ENOENT) {
            ctl_err(cmd, "%s: no such block in %s", ktext, ztext);
            goto out;
        }
    } else {
        uint8_t owner[256];
        size_t ol = 0;
        {
            /* the number's name: its digits below the zone, reversed, then the origin */
            size_t rel = k.nd - plen, o = 0;
            for (size_t i = k.nd; i-- > plen;) {
                owner[o++] = 1;
                owner[o++] = (uint8_t)k.digits[i];
            }
            if (o + olen > 255) {
                ctl_err(cmd, "+%s: its domain name is over 255 octets", k.digits);
                goto out;
            }
            memcpy(owner + o, origin, olen);
            ol = o + olen;
            (void)rel;
        }
        snprintf(ktext, sizeof(ktext), "+%s", k.digits);
        if (!set) {
            uint8_t tmp[E2U_STORE_BUF_MIN];
            e2u_store_rrset_t rs;
            if (e2u_store_txn_get(w, owner, E2U_STORE_TYPE_NAPTR, tmp, sizeof(tmp), &rs) < 0) {
                ctl_err(cmd, "%s: no such number in %s", ktext, ztext);
                goto out;
            }
        }
        (void)ol;
        rc = e2u_store_put_rrset(w, owner, E2U_STORE_TYPE_NAPTR, t, rr, n, &d);
    }
    if (rc < 0) {
        ctl_err(cmd, "%s: %s", ktext, d.msg[0] ? d.msg : e2u_strerror(rc));
        ret = rc == E2U_EINVAL ? CTL_USAGE : CTL_FAIL;
        goto out;
    }
    rc = e2u_store_write_commit(w, &d);
    w = NULL;
    if (rc < 0) {
        ctl_err(cmd, "%s", d.msg[0] ? d.msg : e2u_strerror(rc));
        goto out;
    }
    /* report the new serial */
    if (e2u_store_read_begin(s, &rd) == 0) {
        const e2u_store_zone_t *nz;
        if (e2u_store_zone_get(rd, origin, &nz) == 0)
            printf("%s %s: %s serial %u\n", set ? "set" : "deleted", ktext, ztext, nz->serial);
    }
    ret = CTL_OK;
out:
    e2u_store_write_abort(w);
    e2u_store_read_end(rd);
    free(rdbuf);
    free(rr);
    e2u_store_close(s);
    return ret;
}

int cmd_set(const ctl_t *c, int argc, char **argv)
{
    return edit(c, argc, argv, true);
}

int cmd_del(const ctl_t *c, int argc, char **argv)
{
    return edit(c, argc, argv, false);
}

int cmd_rmzone(const ctl_t *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (opt == 'h') {
            fputs("Usage: e2uctl -d DB rmzone ORIGIN\n"
                  "\n"
                  "Delete the zone ORIGIN: its apex, numbers, blocks, names and journal.\n"
                  "\n"
                  "Exit status: 0 deleted, 1 failed (no such zone), 2 bad usage.\n",
                  stdout);
            return CTL_OK;
        }
        return CTL_USAGE;
    }
    if (optind != argc - 1) {
        ctl_err("rmzone", "expected one ORIGIN");
        return CTL_USAGE;
    }
    uint8_t origin[256];
    if (!ctl_zone("rmzone", argv[optind], origin))
        return CTL_USAGE;
    e2u_store_t *s = ctl_open(c, "rmzone", false);
    if (!s)
        return CTL_FAIL;
    e2u_store_txn_t *w;
    int rc = e2u_store_write_begin(s, &w);
    if (rc == 0) {
        rc = e2u_store_zone_delete(w, origin);
        if (rc < 0)
            e2u_store_write_abort(w);
        else
            rc = e2u_store_write_commit(w, NULL);
    }
    e2u_store_close(s);
    if (rc < 0) {
        ctl_err("rmzone", "%s: %s", argv[optind],
                rc == E2U_ENOZONE ? "no such zone" : e2u_strerror(rc));
        return CTL_FAIL;
    }
    return CTL_OK;
}
