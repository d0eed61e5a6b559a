/*
 * lib/store/iter.c — walking a zone (AXFR, export) and writing it as a master file.
 *
 * The walk is the apex, then ordinary names, then numbers, then blocks, each in key order, so it
 * is stable for a snapshot and costs one cursor step per entry. Numbers are expanded from their
 * templates on the way, into a buffer the iterator owns.
 *
 * The master file puts blocks in ";@e2u-block" comment lines: other servers skip them, and
 * `e2uctl import` reads them back, so export then import reproduces the store exactly. A block
 * has no finite set of names unless it has a length; with E2U_STORE_EXPORT_EXPAND_BLOCKS each
 * block with a length is written as the names it answers for, which is the equivalent zone
 * file another server (Knot, for the differential tests) loads. Which names those are is
 * decided by e2u_store_find itself, so that the file and the server cannot disagree: a name is
 * written for a block only when a lookup of it answers with that block.
 */
#include <stdio.h>
#include <stdlib.h>

#include <libknot/libknot.h>

#include "e2u/naptr.h"
#include "store/internal.h"

struct e2u_store_iter {
    e2u_store_rd_t *rd;
    e2u_store_t *s;
    MDB_txn *txn;
    zinfo_t z; /* a copy: the reader's cache may move */
    int phase; /* 0 apex, 1 names, 2 numbers, 3 blocks, 4 done */
    MDB_cursor *c;
    bool started;
    const uint8_t *bv; /* blocks: the current value and position in it */
    size_t bvlen, bpos;
    char bprefix[E2U_STORE_MAX_DIGITS + 1];
    size_t bplen;
    uint8_t owner[256];
    char digits[128 + E2U_STORE_MAX_DIGITS + 1];
    uint8_t *buf; /* E2U_STORE_BUF_MIN */
};

int e2u_store_iter_begin(e2u_store_rd_t *rd, const uint8_t *origin, e2u_store_iter_t **out)
{
    if (!rd || !origin || !out || e2u_dname_wire_len(origin, 256) < 0)
        return E2U_EINVAL;
    MDB_txn *txn = e2u__rd_txn(rd);
    if (!txn)
        return E2U_EINVAL;
    const zinfo_t *z = e2u__rd_zone(rd, origin);
    if (!z)
        return E2U_ENOZONE;
    e2u_store_iter_t *it = calloc(1, sizeof(*it));
    if (!it)
        return E2U_ENOMEM;
    it->buf = malloc(E2U_STORE_BUF_MIN);
    if (!it->buf) {
        free(it);
        return E2U_ENOMEM;
    }
    it->rd = rd;
    it->s = e2u__rd_store(rd);
    it->txn = txn;
    it->z = *z;
    it->z.pub.origin = it->z.origin;
    it->z.pub.prefix = it->z.prefix;
    *out = it;
    return 0;
}

void e2u_store_iter_end(e2u_store_iter_t *it)
{
    if (!it)
        return;
    if (it->c)
        mdb_cursor_close(it->c);
    free(it->buf);
    free(it);
}

/* The next key of the zone in database dbi; 1, 0 at the end of the zone, or < 0. */
static int step(e2u_store_iter_t *it, MDB_dbi dbi, MDB_val *k, MDB_val *v)
{
    int rc;
    if (!it->started) {
        if (it->c)
            mdb_cursor_close(it->c);
        it->c = NULL;
        rc = mdb_cursor_open(it->txn, dbi, &it->c);
        if (rc)
            return e2u__mdb_err(it->s, rc, NULL, "iterate");
        k->mv_size = it->z.taglen;
        k->mv_data = it->z.tag;
        rc = mdb_cursor_get(it->c, k, v, MDB_SET_RANGE);
        it->started = true;
    } else {
        rc = mdb_cursor_get(it->c, k, v, MDB_NEXT);
    }
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc)
        return e2u__mdb_err(it->s, rc, NULL, "iterate");
    if (k->mv_size < it->z.taglen || memcmp(k->mv_data, it->z.tag, it->z.taglen) != 0)
        return 0;
    return 1;
}

/* Owner wire name of a names key (labels from the zone down) into out; its length or 0. */
static size_t key_owner(const zinfo_t *z, const uint8_t *k, size_t klen, uint8_t *out)
{
    size_t pos[128];
    unsigned n = 0;
    size_t p = z->taglen;
    while (p < klen && n < 128) {
        pos[n++] = p;
        p += 1u + k[p];
    }
    if (p != klen)
        return 0;
    size_t o = 0;
    for (unsigned i = n; i-- > 0;) {
        size_t l = 1u + k[pos[i]];
        if (o + l + z->origin_len > 255)
            return 0;
        memcpy(out + o, k + pos[i], l);
        o += l;
    }
    memcpy(out + o, z->origin, z->origin_len);
    return o + z->origin_len;
}

int e2u_store_iter_next(e2u_store_iter_t *it, e2u_store_entry_t *e)
{
    /* step() fills k and v whenever it returns 1; the zeros are for the analyzer, which cannot
     * see that its errors (e2u__mdb_err(), in store.c) are all < 0 */
    MDB_val k = {0, NULL}, v = {0, NULL};
    memset(e, 0, sizeof(*e));
    for (;;) {
        switch (it->phase) {
        case 0: {
            it->phase = 1;
            it->started = false;
            MDB_val ak = {it->z.taglen, it->z.tag}, av;
            if (mdb_get(it->txn, it->s->dbi[DB_NAMES], &ak, &av) != 0)
                return E2U_ECORRUPT;
            e->kind = E2U_STORE_APEX;
            e->owner = it->z.origin;
            e->owner_len = it->z.origin_len;
            e->rrsets = av.mv_data;
            e->rrsets_len = av.mv_size;
            return 1;
        }
        case 1: {
            int r = step(it, it->s->dbi[DB_NAMES], &k, &v);
            if (r < 0)
                return r;
            if (r == 0) {
                it->phase = 2;
                it->started = false;
                continue;
            }
            if (k.mv_size == it->z.taglen)
                continue; /* the apex, already given */
            size_t ol = key_owner(&it->z, k.mv_data, k.mv_size, it->owner);
            if (!ol)
                return E2U_ECORRUPT;
            e->kind = E2U_STORE_NAME;
            e->owner = it->owner;
            e->owner_len = ol;
            e->rrsets = v.mv_data;
            e->rrsets_len = v.mv_size;
            return 1;
        }
        case 2: {
            int r = step(it, e2u__numdb(it->s, &it->z), &k, &v);
            if (r < 0)
                return r;
            if (r == 0) {
                it->phase = 3;
                it->started = false;
                continue;
            }
            size_t zp = it->z.pub.prefix_len;
            memcpy(it->digits, it->z.prefix, zp);
            int n = e2u__bcd_digits(it->digits + zp, (const uint8_t *)k.mv_data + it->z.taglen,
                                    k.mv_size - it->z.taglen);
            if (n <= 0 || n > E2U_STORE_MAX_DIGITS)
                return E2U_ECORRUPT;
            size_t ol = e2u__digits_name(it->owner, it->digits + zp, (size_t)n, it->z.origin,
                                         it->z.origin_len);
            if (!ol)
                return E2U_ECORRUPT;
            int bl = e2u__value_expand(it->s, it->txn, v.mv_data, v.mv_size, it->digits,
                                       zp + (size_t)n, it->buf, E2U_STORE_BUF_MIN);
            if (bl < 0)
                return bl;
            e->kind = E2U_STORE_NUMBER;
            e->owner = it->owner;
            e->owner_len = ol;
            e->digits = it->digits;
            e->rrsets = it->buf;
            e->rrsets_len = (size_t)bl;
            return 1;
        }
        case 3: {
            if (!it->bv || it->bpos >= it->bvlen) {
                int r = step(it, it->s->dbi[DB_BLOCKS], &k, &v);
                if (r < 0)
                    return r;
                if (r == 0) {
                    it->phase = 4;
                    continue;
                }
                int n = e2u__bcd_digits(it->bprefix, (const uint8_t *)k.mv_data + it->z.taglen,
                                        k.mv_size - it->z.taglen);
                if (n < 0 || n > E2U_STORE_MAX_DIGITS)
                    return E2U_ECORRUPT;
                it->bplen = (size_t)n;
                it->bv = v.mv_data;
                it->bvlen = v.mv_size;
                it->bpos = 0;
            }
            const uint8_t *bv = it->bv;
            size_t p = it->bpos;
            uint32_t sz;
            size_t sn = e2u__ov_get(bv + p + 1, it->bvlen - p - 1, &sz);
            if (p + 1 > it->bvlen || !sn || sz > it->bvlen - p - 1 - sn)
                return E2U_ECORRUPT;
            unsigned L = bv[p];
            it->bpos = p + 1 + sn + sz;
            size_t zp = it->z.pub.prefix_len;
            memcpy(it->digits, it->z.prefix, zp);
            memcpy(it->digits + zp, it->bprefix, it->bplen + 1);
            size_t ol =
                e2u__digits_name(it->owner, it->bprefix, it->bplen, it->z.origin, it->z.origin_len);
            if (!ol)
                return E2U_ECORRUPT;
            int bl = e2u__value_expand(it->s, it->txn, bv + p + 1 + sn, sz, it->digits,
                                       zp + it->bplen, it->buf, E2U_STORE_BUF_MIN);
            if (bl < 0)
                return bl;
            e->kind = E2U_STORE_BLOCK;
            e->owner = it->owner;
            e->owner_len = ol;
            e->digits = it->digits;
            e->block_len = L;
            e->rrsets = it->buf;
            e->rrsets_len = (size_t)bl;
            return 1;
        }
        default:
            return 0;
        }
    }
}

/* --- master-file export ----------------------------------------------------------------------- */

typedef struct out {
    FILE *f;
    char *text; /* RDATA text scratch */
    size_t cap;
    uint8_t *rdbuf; /* knot_rdata_t scratch */
    bool err;
} out_t;

int e2u_store_rdata_text(uint16_t type, const uint8_t *rd, uint16_t len, char *buf, size_t cap)
{
    if (!buf || cap < 1)
        return E2U_ENOSPC;
    if (type == E2U_STORE_TYPE_NAPTR) {
        e2u_naptr_t n;
        if (e2u_naptr_parse_wire(&n, rd, len, NULL) == 0)
            return e2u_naptr_format_text(&n, buf, cap, NULL) == 0 ? 0 : E2U_ENOSPC;
    }
    uint8_t *kb = malloc(sizeof(knot_rdata_t) + (size_t)len + 2);
    if (!kb)
        return E2U_ENOMEM;
    knot_rdata_t *kr = (knot_rdata_t *)kb;
    knot_rdata_init(kr, len, rd);
    uint8_t owner[1] = {0};
    knot_rrset_t rr;
    knot_rrset_init(&rr, owner, type, KNOT_CLASS_IN, 0);
    rr.rrs.count = 1;
    rr.rrs.size = knot_rdata_size(len);
    rr.rrs.rdata = kr;
    int n = knot_rrset_txt_dump_data(&rr, 0, buf, cap, &KNOT_DUMP_STYLE_DEFAULT);
    free(kb);
    if (n >= 0)
        return 0;
    /* RFC 3597 generic form */
    int w = snprintf(buf, cap, "\\# %u%s", len, len ? " " : "");
    if (w < 0 || (size_t)w >= cap)
        return E2U_ENOSPC;
    for (uint16_t i = 0; i < len; i++) {
        if ((size_t)w + 3 > cap)
            return E2U_ENOSPC;
        w += snprintf(buf + w, cap - (size_t)w, "%02x", rd[i]);
    }
    return 0;
}

void e2u_store_type_text(uint16_t type, char *out, size_t cap)
{
    if (knot_rrtype_to_string(type, out, cap) < 0)
        snprintf(out, cap, "TYPE%u", type);
}

static int rdata_text(out_t *o, uint16_t type, const uint8_t *rd, uint16_t len)
{
    return e2u_store_rdata_text(type, rd, len, o->text, o->cap);
}

/* The owner relative to the origin in presentation form ("@" for the origin). */
static void owner_text(const zinfo_t *z, const uint8_t *owner, size_t olen, char *out, size_t cap)
{
    if (olen == z->origin_len) {
        snprintf(out, cap, "@");
        return;
    }
    uint8_t rel[256];
    size_t rl = olen - z->origin_len;
    memcpy(rel, owner, rl);
    rel[rl] = 0;
    size_t tl = 0;
    if (e2u_dname_to_text(out, cap, &tl, rel, rl + 1) < 0) {
        snprintf(out, cap, "?");
        return;
    }
    if (tl > 0 && out[tl - 1] == '.')
        out[tl - 1] = '\0';
}

static void type_text(uint16_t type, char *out, size_t cap)
{
    e2u_store_type_text(type, out, cap);
}

static int write_rrsets(out_t *o, const char *prefix, const char *owner, const uint8_t *b,
                        size_t len, bool skip_soa)
{
    size_t pos = 0;
    e2u_store_rrset_t rs;
    char tt[32];
    while (e2u_store_rrset_next(b, len, &pos, &rs)) {
        if (skip_soa && rs.type == E2U_STORE_TYPE_SOA)
            continue;
        type_text(rs.type, tt, sizeof(tt));
        size_t rp = 0;
        const uint8_t *rd;
        uint16_t rl;
        while (e2u_store_rdata_next(&rs, &rp, &rd, &rl)) {
            rdata_text(o, rs.type, rd, rl);
            if (fprintf(o->f, "%s%s\t%u\tIN\t%s\t%s\n", prefix, owner, rs.ttl, tt, o->text) < 0)
                o->err = true;
        }
    }
    return 0;
}

static unsigned long long pow10u(unsigned k)
{
    unsigned long long p = 1;
    while (k--)
        p *= 10;
    return p;
}

/* Write every name a block with a length answers for (see the file comment). */
static int expand_block(out_t *o, e2u_store_rd_t *rd, const zinfo_t *z, const e2u_store_entry_t *e,
                        e2u_diag_t *diag)
{
    size_t zp = z->pub.prefix_len;
    size_t fp = strlen(e->digits);
    char btext[E2U_STORE_MAX_DIGITS + 140];
    e2u__block_text(btext, sizeof(btext), e->digits, fp, e->block_len);
    if (e->block_len == 0)
        return e2u__sdiag(diag, E2U_EINVAL, 0,
                          "block %s has no length: it covers names of every length and cannot "
                          "be written as names",
                          btext);
    unsigned free_digits = e->block_len - (unsigned)fp;
    if (free_digits > 6)
        return e2u__sdiag(diag, E2U_EINVAL, 0, "block %s covers more than 10^6 names", btext);
    unsigned long long count = pow10u(free_digits);
    uint8_t *buf = malloc(E2U_STORE_BUF_MIN);
    if (!buf)
        return E2U_ENOMEM;
    char digits[128 + E2U_STORE_MAX_DIGITS + 1];
    memcpy(digits, e->digits, fp);
    for (unsigned long long i = 0; i < count; i++) {
        unsigned long long x = i;
        for (unsigned d = 0; d < free_digits; d++) {
            digits[e->block_len - 1 - d] = (char)('0' + x % 10);
            x /= 10;
        }
        digits[e->block_len] = '\0';
        uint8_t name[256];
        size_t nl =
            e2u__digits_name(name, digits + zp, e->block_len - zp, z->origin, z->origin_len);
        if (!nl)
            continue;
        e2u_store_answer_t a;
        if (e2u_store_find(rd, name, nl, buf, E2U_STORE_BUF_MIN, &a) < 0 ||
            a.kind != E2U_STORE_BLOCK || strcmp(a.block, btext) != 0)
            continue;
        char ot[E2U_DNAME_TEXT_MAX];
        owner_text(z, name, nl, ot, sizeof(ot));
        write_rrsets(o, "", ot, a.rrsets, a.rrsets_len, false);
    }
    free(buf);
    return 0;
}

int e2u_store_export(e2u_store_rd_t *rd, const uint8_t *origin, FILE *f, unsigned flags,
                     e2u_diag_t *diag)
{
    e2u_store_iter_t *it;
    int rc = e2u_store_iter_begin(rd, origin, &it);
    if (rc < 0)
        return e2u__sdiag(diag, rc, 0, "%s", rc == E2U_ENOZONE ? "no such zone" : e2u_strerror(rc));
    out_t o = {f, NULL, 256 * 1024, NULL, false};
    o.text = malloc(o.cap);
    o.rdbuf = NULL;
    if (!o.text) {
        free(o.text);
        free(o.rdbuf);
        e2u_store_iter_end(it);
        return E2U_ENOMEM;
    }
    const zinfo_t *z = &it->z;
    char otext[E2U_DNAME_TEXT_MAX];
    e2u_dname_to_text(otext, sizeof(otext), NULL, z->origin, z->origin_len);
    fprintf(f, "; e2u export of %s serial %u\n", otext, z->pub.serial);
    fprintf(f, "$ORIGIN %s\n$TTL %u\n", otext, z->rec.default_ttl);
    e2u_store_entry_t e;
    char ot[E2U_DNAME_TEXT_MAX];
    while ((rc = e2u_store_iter_next(it, &e)) > 0) {
        switch (e.kind) {
        case E2U_STORE_APEX: {
            /* the SOA first, as a master file must start */
            size_t pos = 0;
            e2u_store_rrset_t rs;
            while (e2u_store_rrset_next(e.rrsets, e.rrsets_len, &pos, &rs))
                if (rs.type == E2U_STORE_TYPE_SOA) {
                    size_t rp = 0;
                    const uint8_t *d;
                    uint16_t l;
                    if (e2u_store_rdata_next(&rs, &rp, &d, &l)) {
                        rdata_text(&o, rs.type, d, l);
                        fprintf(f, "@\t%u\tIN\tSOA\t%s\n", rs.ttl, o.text);
                    }
                }
            write_rrsets(&o, "", "@", e.rrsets, e.rrsets_len, true);
            break;
        }
        case E2U_STORE_NAME:
            owner_text(z, e.owner, e.owner_len, ot, sizeof(ot));
            write_rrsets(&o, "", ot, e.rrsets, e.rrsets_len, false);
            break;
        case E2U_STORE_NUMBER:
            owner_text(z, e.owner, e.owner_len, ot, sizeof(ot));
            write_rrsets(&o, "", ot, e.rrsets, e.rrsets_len, false);
            break;
        case E2U_STORE_BLOCK:
            if (flags & E2U_STORE_EXPORT_EXPAND_BLOCKS) {
                rc = expand_block(&o, rd, z, &e, diag);
                if (rc < 0)
                    goto out;
            } else {
                char bt[E2U_STORE_MAX_DIGITS + 140];
                e2u__block_text(bt, sizeof(bt), e.digits, strlen(e.digits), e.block_len);
                char pre[E2U_STORE_MAX_DIGITS + 160];
                snprintf(pre, sizeof(pre), ";@e2u-block %s", bt);
                write_rrsets(&o, pre, "", e.rrsets, e.rrsets_len, false);
            }
            break;
        default:
            break;
        }
        if (o.err)
            break;
    }
    if (rc < 0)
        e2u__sdiag(diag, rc, 0, "reading the zone: %s", e2u_strerror(rc));
out:
    free(o.text);
    free(o.rdbuf);
    e2u_store_iter_end(it);
    if (rc == 0 && (o.err || fflush(f) != 0 || ferror(f)))
        return e2u__sdiag(diag, E2U_EIO, 0, "writing the master file failed");
    return rc < 0 ? rc : 0;
}
