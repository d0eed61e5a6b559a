/*
 * tools/e2uctl/cmd_info.c — the read-only commands: `zones`, `stats`, `show`, `journal`.
 *
 * They open the store read-only, so they run beside a serving e2ud and an import in progress,
 * and see the last commit.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

static int no_args(const char *cmd, int argc, char **argv, const char *help, int min, int max,
                   bool *json)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(help, stdout);
            return -1;
        }
        if (opt == 'j' && json) {
            *json = true;
            continue;
        }
        fputs(help, stderr);
        return CTL_USAGE;
    }
    int n = argc - optind;
    if (n < min || n > max) {
        ctl_err(cmd, "wrong number of arguments");
        fputs(help, stderr);
        return CTL_USAGE;
    }
    return 0;
}

static e2u_store_rd_t *open_read(const ctl_t *c, const char *cmd, e2u_store_t **s)
{
    *s = ctl_open(c, cmd, true);
    if (!*s)
        return NULL;
    e2u_store_rd_t *rd;
    int rc = e2u_store_read_begin(*s, &rd);
    if (rc < 0) {
        ctl_err(cmd, "%s", e2u_strerror(rc));
        e2u_store_close(*s);
        return NULL;
    }
    return rd;
}

int cmd_zones(const ctl_t *c, int argc, char **argv)
{
    static const char help[] =
        "Usage: e2uctl -d DB zones [--json]\n"
        "\n"
        "List the zones of the store: origin, SOA serial, number entries, block entries\n"
        "(prefix and length pairs) and other names (the apex not counted).\n"
        "\n"
        "  -j, --json    one JSON object per zone and line\n"
        "\n"
        "Exit status: 0 listed, 1 the store cannot be read, 2 bad usage.\n";
    bool json = false;
    int r = no_args("zones", argc, argv, help, 0, 0, &json);
    if (r)
        return r < 0 ? CTL_OK : r;
    e2u_store_t *s;
    e2u_store_rd_t *rd = open_read(c, "zones", &s);
    if (!rd)
        return CTL_FAIL;
    const e2u_store_zone_t *zs;
    size_t n;
    e2u_store_zones(rd, &zs, &n);
    for (size_t i = 0; i < n; i++) {
        char t[E2U_DNAME_TEXT_MAX];
        e2u_dname_to_text(t, sizeof(t), NULL, zs[i].origin, zs[i].origin_len);
        if (json)
            printf("{\"zone\":\"%s\",\"serial\":%u,\"numbers\":%llu,\"blocks\":%llu,"
                   "\"names\":%llu}\n",
                   t, zs[i].serial, (unsigned long long)zs[i].numbers,
                   (unsigned long long)zs[i].blocks, (unsigned long long)zs[i].names);
        else
            printf("%s serial %u numbers %llu blocks %llu names %llu\n", t, zs[i].serial,
                   (unsigned long long)zs[i].numbers, (unsigned long long)zs[i].blocks,
                   (unsigned long long)zs[i].names);
    }
    e2u_store_read_end(rd);
    e2u_store_close(s);
    return CTL_OK;
}

int cmd_stats(const ctl_t *c, int argc, char **argv)
{
    static const char help[] =
        "Usage: e2uctl -d DB stats [--json]\n"
        "\n"
        "Counts and sizes of the store: zones, number entries, block entries, other names,\n"
        "record templates, journal entries; the bytes in use (LMDB pages that hold data,\n"
        "page size included) and bytes per number (bytes in use / numbers), the bytes of the\n"
        "number trees and of the templates, the data file's size (free pages included) and\n"
        "the map size.\n"
        "\n"
        "  -j, --json    one JSON object\n"
        "\n"
        "Exit status: 0 printed, 1 the store cannot be read, 2 bad usage.\n";
    bool json = false;
    int r = no_args("stats", argc, argv, help, 0, 0, &json);
    if (r)
        return r < 0 ? CTL_OK : r;
    e2u_store_t *s;
    e2u_store_rd_t *rd = open_read(c, "stats", &s);
    if (!rd)
        return CTL_FAIL;
    e2u_store_stats_t st;
    int rc = e2u_store_stats(rd, &st);
    e2u_store_read_end(rd);
    e2u_store_close(s);
    if (rc < 0) {
        ctl_err("stats", "%s", e2u_strerror(rc));
        return CTL_FAIL;
    }
#define U(x) ((unsigned long long)(x))
    if (json) {
        printf("{\"zones\":%llu,\"numbers\":%llu,\"blocks\":%llu,\"names\":%llu,"
               "\"templates\":%llu,\"journal_entries\":%llu,\"page_size\":%llu,"
               "\"pages_used\":%llu,\"bytes_used\":%llu,\"bytes_per_number\":%.2f,"
               "\"number_bytes\":%llu,\"template_bytes\":%llu,\"file_size\":%llu,"
               "\"map_size\":%llu}\n",
               U(st.zones), U(st.numbers), U(st.blocks), U(st.names), U(st.templates),
               U(st.journal_entries), U(st.page_size), U(st.pages_used), U(st.bytes_used),
               st.bytes_per_number, U(st.number_bytes), U(st.template_bytes), U(st.file_size),
               U(st.map_size));
    } else {
        printf("zones              %llu\n"
               "numbers            %llu\n"
               "blocks             %llu\n"
               "names              %llu\n"
               "templates          %llu\n"
               "journal entries    %llu\n"
               "bytes in use       %llu (%llu pages of %llu)\n"
               "bytes per number   %.2f\n"
               "number trees       %llu bytes\n"
               "templates          %llu bytes\n"
               "data file          %llu bytes\n"
               "map size           %llu bytes\n",
               U(st.zones), U(st.numbers), U(st.blocks), U(st.names), U(st.templates),
               U(st.journal_entries), U(st.bytes_used), U(st.pages_used), U(st.page_size),
               st.bytes_per_number, U(st.number_bytes), U(st.template_bytes), U(st.file_size),
               U(st.map_size));
    }
#undef U
    return CTL_OK;
}

static void print_rrsets(const char *owner, const uint8_t *b, size_t len, const char *prefix)
{
    size_t pos = 0;
    e2u_store_rrset_t rs;
    char *text = malloc(256 * 1024);
    if (!text)
        return;
    while (e2u_store_rrset_next(b, len, &pos, &rs)) {
        char tt[32];
        e2u_store_type_text(rs.type, tt, sizeof(tt));
        size_t rp = 0;
        const uint8_t *rd;
        uint16_t rl;
        while (e2u_store_rdata_next(&rs, &rp, &rd, &rl)) {
            if (e2u_store_rdata_text(rs.type, rd, rl, text, 256 * 1024) < 0)
                snprintf(text, 256 * 1024, "?");
            printf("%s%s\t%u\tIN\t%s\t%s\n", prefix, owner, rs.ttl, tt, text);
        }
    }
    free(text);
}

/* JSON string of s[n] (quotes and control octets escaped). */
static void json_str(const char *s, size_t n)
{
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

/* The name of an argument: a domain, or a number in the zone that holds it. */
static int show_name(e2u_store_rd_t *rd, const char *arg, uint8_t name[256], size_t *nl)
{
    e2u_number_t num;
    e2u_number_opts_t no = {E2U_NUMBER_MAX_DIGITS};
    if ((arg[0] == '+' || strncmp(arg, "tel:", 4) == 0) &&
        e2u_number_parse(&num, arg, strlen(arg), &no, NULL) == 0) {
        const e2u_store_zone_t *zs, *best = NULL;
        size_t nz;
        e2u_store_zones(rd, &zs, &nz);
        const char *d = num.aus + 1;
        for (size_t i = 0; i < nz; i++)
            if (zs[i].prefix_len <= num.ndigits && memcmp(d, zs[i].prefix, zs[i].prefix_len) == 0 &&
                (!best || zs[i].prefix_len > best->prefix_len))
                best = &zs[i];
        if (!best) {
            ctl_err("show", "no zone of the store holds %s", num.aus);
            return CTL_FAIL;
        }
        size_t o = 0;
        for (size_t i = num.ndigits; i-- > best->prefix_len;) {
            name[o++] = 1;
            name[o++] = (uint8_t)d[i];
        }
        if (o + best->origin_len > 255) {
            ctl_err("show", "%s: name too long", num.aus);
            return CTL_FAIL;
        }
        memcpy(name + o, best->origin, best->origin_len);
        *nl = o + best->origin_len;
        return 0;
    }
    e2u_diag_t dg;
    if (e2u_dname_from_text(name, 256, nl, arg, strlen(arg), NULL, &dg) < 0) {
        ctl_err("show", "'%s': %s", arg, dg.msg);
        return CTL_USAGE;
    }
    return 0;
}

static int show_one(e2u_store_rd_t *rd, const char *arg, bool json, uint8_t *buf, char *text)
{
    uint8_t name[256];
    size_t nl = 0;
    int r = show_name(rd, arg, name, &nl);
    if (r)
        return r;
    e2u_store_answer_t a;
    int rc = e2u_store_find(rd, name, nl, buf, E2U_STORE_BUF_MIN, &a);
    char t[E2U_DNAME_TEXT_MAX], ot[E2U_DNAME_TEXT_MAX];
    e2u_dname_to_text(t, sizeof(t), NULL, name, nl);
    if (rc < 0 && rc != E2U_ENOZONE) {
        ctl_err("show", "%s: %s", t, e2u_strerror(rc));
        return CTL_FAIL;
    }
    const char *kind = rc == E2U_ENOZONE ? "refused" : e2u_store_kind_name(a.kind);
    if (rc == 0)
        e2u_dname_to_text(ot, sizeof(ot), NULL, a.owner, a.owner_len);
    if (json) {
        printf("{\"name\":");
        json_str(t, strlen(t));
        printf(",\"kind\":\"%s\"", kind);
        if (rc == 0) {
            printf(",\"owner\":");
            json_str(ot, strlen(ot));
            if (a.kind == E2U_STORE_BLOCK)
                printf(",\"block\":\"%s\"", a.block);
            if (a.number[0])
                printf(",\"number\":\"%s\"", a.number);
            printf(",\"rrsets\":[");
            size_t pos = 0;
            e2u_store_rrset_t rs;
            bool first = true;
            while (e2u_store_rrset_next(a.rrsets, a.rrsets_len, &pos, &rs)) {
                char tt[32];
                e2u_store_type_text(rs.type, tt, sizeof(tt));
                printf("%s{\"type\":\"%s\",\"ttl\":%u,\"rdata\":[", first ? "" : ",", tt, rs.ttl);
                first = false;
                size_t rp = 0;
                const uint8_t *rdp;
                uint16_t rl;
                bool f2 = true;
                while (e2u_store_rdata_next(&rs, &rp, &rdp, &rl)) {
                    if (e2u_store_rdata_text(rs.type, rdp, rl, text, 256 * 1024) < 0)
                        snprintf(text, 256 * 1024, "?");
                    printf("%s", f2 ? "" : ",");
                    json_str(text, strlen(text));
                    f2 = false;
                }
                printf("]}");
            }
            printf("]");
        }
        printf("}\n");
    } else {
        printf("%s %s", t, kind);
        if (rc == 0 && a.kind == E2U_STORE_BLOCK)
            printf(" %s", a.block);
        if (rc == 0 && (a.kind == E2U_STORE_DELEGATION || a.kind == E2U_STORE_WILDCARD))
            printf(" %s", ot);
        printf("\n");
        if (rc == 0)
            print_rrsets(a.kind == E2U_STORE_DELEGATION ? ot : t, a.rrsets, a.rrsets_len, "");
    }
    return rc == 0 && a.kind != E2U_STORE_NXDOMAIN ? CTL_OK : CTL_FAIL;
}

int cmd_show(const ctl_t *c, int argc, char **argv)
{
    static const char help[] =
        "Usage: e2uctl -d DB show [--json] NAME|NUMBER...\n"
        "\n"
        "What a DNS query for NAME (or the ENUM domain of NUMBER in the zone that holds it)\n"
        "finds in the store, as e2ud answers it: the kind of name (apex, number, block, name,\n"
        "ent for an empty non-terminal, delegation, wildcard, nxdomain; refused when no zone\n"
        "holds it) and the records there. '-' reads names from standard input, one a line.\n"
        "\n"
        "  -j, --json    one JSON object per name and line:\n"
        "                {\"name\",\"kind\",\"owner\",\"block\",\"number\",\"rrsets\":[{\"type\",\n"
        "                \"ttl\",\"rdata\":[...]}]}\n"
        "\n"
        "Exit status: 0 every name exists, 1 some does not (or no zone holds it), 2 bad usage.\n";
    bool json = false;
    int r = no_args("show", argc, argv, help, 1, 1 << 20, &json);
    if (r)
        return r < 0 ? CTL_OK : r;
    e2u_store_t *s;
    e2u_store_rd_t *rd = open_read(c, "show", &s);
    if (!rd)
        return CTL_FAIL;
    uint8_t *buf = malloc(E2U_STORE_BUF_MIN);
    char *text = malloc(256 * 1024);
    int ret = CTL_OK;
    if (!buf || !text) {
        ret = CTL_FAIL;
        goto out;
    }
    for (int i = optind; i < argc; i++) {
        if (strcmp(argv[i], "-") == 0) {
            char line[2048];
            while (fgets(line, sizeof(line), stdin)) {
                line[strcspn(line, " \t\r\n")] = '\0';
                if (!line[0])
                    continue;
                int k = show_one(rd, line, json, buf, text);
                if (k > ret)
                    ret = k;
            }
            continue;
        }
        int k = show_one(rd, argv[i], json, buf, text);
        if (k > ret)
            ret = k;
    }
out:
    free(buf);
    free(text);
    e2u_store_read_end(rd);
    e2u_store_close(s);
    return ret;
}

int cmd_journal(const ctl_t *c, int argc, char **argv)
{
    static const char help[] =
        "Usage: e2uctl -d DB journal [--from SERIAL] ORIGIN\n"
        "\n"
        "Print the change journal of the zone ORIGIN, oldest first: for each change\n"
        "'serial A -> B' (with 'reset' when no difference was kept, e.g. a new zone or a\n"
        "large import: replicas must transfer the whole zone), then the records removed\n"
        "('-', the old SOA first) and added ('+', the new SOA first), as IXFR sends them.\n"
        "The journal keeps the newest 1000 changes of a zone, and of those as many as fit\n"
        "in 100 MiB (the newest always); a change of more than 100000 records, or larger\n"
        "than 100 MiB, is kept as a reset.\n"
        "\n"
        "  -f, --from SERIAL    start at the change from SERIAL (what IXFR from a replica at\n"
        "                       that serial would send)\n"
        "\n"
        "Exit status: 0 printed, 1 no such zone or no change from SERIAL, 2 bad usage.\n";
    static const struct option opts[] = {
        {"from", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool have_from = false;
    unsigned long from = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(help, stdout);
            return CTL_OK;
        }
        if (opt == 'f' && ctl_uint(optarg, 0, 0xffffffffu, &from)) {
            have_from = true;
            continue;
        }
        fputs(help, stderr);
        return CTL_USAGE;
    }
    if (optind != argc - 1) {
        fputs(help, stderr);
        return CTL_USAGE;
    }
    uint8_t origin[256];
    if (!ctl_zone("journal", argv[optind], origin))
        return CTL_USAGE;
    e2u_store_t *s;
    e2u_store_rd_t *rd = open_read(c, "journal", &s);
    if (!rd)
        return CTL_FAIL;
    e2u_store_jiter_t *it;
    int rc = e2u_store_journal_begin(rd, origin, (uint32_t)from, !have_from, &it);
    int ret = CTL_OK;
    if (rc < 0) {
        ctl_err("journal", "%s: %s", argv[optind],
                rc == E2U_ENOZONE  ? "no such zone"
                : rc == E2U_ENOENT ? "no change from that serial is kept"
                                   : e2u_strerror(rc));
        ret = CTL_FAIL;
    } else {
        e2u_store_change_t ch;
        char *text = malloc(256 * 1024);
        while (text && (rc = e2u_store_journal_next(it, &ch)) > 0) {
            printf("serial %u -> %u%s (%u removed, %u added)\n", ch.serial_from, ch.serial_to,
                   ch.reset ? " reset" : "", ch.nremoved, ch.nadded);
            size_t pos = 0;
            e2u_store_rr_t rr;
            uint32_t k = 0;
            while (e2u_store_change_rr_next(&ch, &pos, &rr)) {
                char ot[E2U_DNAME_TEXT_MAX], tt[32];
                if (rr.owner)
                    e2u_dname_to_text(ot, sizeof(ot), NULL, rr.owner, rr.owner_len);
                else
                    snprintf(ot, sizeof(ot), "block %s", rr.block);
                e2u_store_type_text(rr.type, tt, sizeof(tt));
                if (e2u_store_rdata_text(rr.type, rr.rdata, rr.rdlen, text, 256 * 1024) < 0)
                    snprintf(text, 256 * 1024, "?");
                printf("%c %s\t%u\tIN\t%s\t%s\n", k < ch.nremoved ? '-' : '+', ot, rr.ttl, tt,
                       text);
                k++;
            }
        }
        free(text);
        if (rc < 0) {
            ctl_err("journal", "%s", e2u_strerror(rc));
            ret = CTL_FAIL;
        }
        e2u_store_journal_end(it);
    }
    e2u_store_read_end(rd);
    e2u_store_close(s);
    return ret;
}
