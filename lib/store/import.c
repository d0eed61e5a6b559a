/*
 * lib/store/import.c — bulk import of a master file (libzscanner) or CSV into one zone, in one
 * write transaction.
 *
 * Two phases. Parsing turns every record into its final encoding at once, so memory stays at a
 * few dozen bytes per number: records of one owner that arrive together form a group, the
 * group's NAPTR RRset is put in canonical order, cut into a template and parameters
 * (tmpl.c), the template is interned in an in-memory table, and the number becomes one entry
 * {BCD key, value}. Anything that is not a number (the apex, delegations, names with other
 * types) is kept as plain records, and so are blocks. Nothing touches the store until the
 * whole file has parsed: a bad line found anywhere refuses the import before a single write
 * (unless skip_bad).
 *
 * Writing replaces the zone's contents (the default) or merges into them. Replacing is the
 * fast path: the numbers go, in key order, into the number tree the zone does not use (n0/n1,
 * see internal.h) — with MDB_APPEND when nothing sorts after them, which fills every page —
 * while the old tree's range is walked once to compute the journal's difference and release
 * template references; then the old range is dropped and the zone record switched to the new
 * tree. Templates are interned in the store most-used first, so the common ones get one-octet
 * ids. Merging goes through the ordinary write API (write.c) name by name: slower, and exact.
 *
 * Atomicity is the transaction's: the old data stays visible to readers until the commit, and
 * a failure or a kill at any point before it leaves the store as it was. An input that is not
 * sorted by number is sorted in memory (entries are 24 octets each); consecutive records of
 * one owner are grouped as they come, and a number whose records are scattered over the file
 * is merged after the sort.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libzscanner/scanner.h>

#include "e2u/naptr.h"
#include "store/csv.h"
#include "store/internal.h"

/* One number: its BCD key (zero padded) and its value in the arena (in-memory template id). */
typedef struct ent {
    uint8_t key[16];
    uint64_t offlen; /* offset << 16 | length; length 0: dropped */
} ent_t;

/* An in-memory template. */
typedef struct mtmpl {
    uint64_t h;
    size_t off;
    uint32_t len;
    uint32_t uses;
    uint32_t pid; /* its id in the store, once interned */
} mtmpl_t;

/* A record kept as it is: an ordinary name's, or a block's. */
typedef struct grec {
    size_t key_off; /* names: the key without the tag; blocks: the prefix digits */
    uint16_t key_len;
    uint16_t type;
    uint32_t ttl;
    unsigned L; /* blocks: total length */
    size_t rd_off;
    uint16_t rd_len;
    uint64_t seq; /* file order: the last record's TTL is the RRset's (as Knot does) */
    uint64_t line;
} grec_t;

typedef struct grecs {
    grec_t *r;
    size_t n, cap;
} grecs_t;

typedef struct imp {
    e2u_store_t *s;
    const e2u_store_import_opts_t *o;
    const char *file;
    e2u_diag_t *diag;
    bool zone_file;
    /* the zone */
    bool have_origin;
    uint8_t origin[256];
    size_t origin_len;
    unsigned olabels;
    char zp[128];
    size_t zplen;
    bool have_soa;
    uint8_t soa[E2U__SOA_MAX];
    uint16_t soa_len;
    uint32_t soa_ttl;
    uint32_t file_ttl;
    uint32_t csv_ttl; /* TTL of CSV records */
    uint64_t bad, lines, records, seq;
    int fatal; /* a negative code that stops the import (ENOMEM...) */
    /* numbers */
    ent_t *ents;
    size_t nents, ecap;
    bool sorted;
    e2u__buf_t vals;
    /* the group being collected */
    bool gopen;
    uint8_t gkey[16];
    char gdigits[E2U_STORE_MAX_DIGITS + 1];
    size_t gn; /* digits */
    uint32_t gttl;
    uint64_t gline;
    e2u__buf_t grd; /* RDATA of the group's records, back to back */
    e2u__rec_t *grecs;
    size_t ngrecs, grcap;
    /* templates */
    mtmpl_t *mt;
    size_t nmt, mtcap;
    int32_t *mtidx;
    size_t mtidxcap;
    e2u__buf_t tarena;
    e2u__tbuild_t tb;
    /* kept records */
    grecs_t names; /* ordinary names (tag-less names key) */
    grecs_t blocks;
    e2u__buf_t garena;
    /* the previous owner (master file), to skip reclassifying a run of records */
    uint8_t prev_owner[256];
    size_t prev_olen;
    int prev_class; /* 0 none, 1 number, 2 name */
    unsigned prev_nrel;
    char prev_digits[E2U_STORE_MAX_DIGITS + 1];
} imp_t;

static void bad(imp_t *im, uint64_t line, const char *fmt, ...) E2U__SPRINTF(3, 4);

#include <stdarg.h>

static void bad(imp_t *im, uint64_t line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    im->bad++;
    if (im->o->on_bad)
        im->o->on_bad(im->o->arg, im->file, line, msg);
}

/* A fast 64-bit hash for the in-memory tables (8 octets at a time). */
static uint64_t mhash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, p, n);
    h = (h ^ v) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return h;
}

static int mt_intern(imp_t *im, const uint8_t *t, size_t len, uint32_t *mid)
{
    uint64_t h = mhash(t, len);
    if (im->mtidxcap) {
        size_t j = (size_t)h & (im->mtidxcap - 1);
        while (im->mtidx[j] >= 0) {
            mtmpl_t *m = &im->mt[im->mtidx[j]];
            if (m->h == h && m->len == len && memcmp(im->tarena.p + m->off, t, len) == 0) {
                m->uses++;
                *mid = (uint32_t)im->mtidx[j];
                return 0;
            }
            j = (j + 1) & (im->mtidxcap - 1);
        }
    }
    if (im->nmt == im->mtcap) {
        size_t nc = im->mtcap ? im->mtcap * 2 : 256;
        mtmpl_t *nm = realloc(im->mt, nc * sizeof(*nm));
        if (!nm)
            return E2U_ENOMEM;
        im->mt = nm;
        im->mtcap = nc;
    }
    if ((im->nmt + 1) * 2 > im->mtidxcap) {
        size_t nc = im->mtidxcap ? im->mtidxcap * 2 : 1024;
        int32_t *ni = malloc(nc * sizeof(*ni));
        if (!ni)
            return E2U_ENOMEM;
        for (size_t i = 0; i < nc; i++)
            ni[i] = -1;
        for (size_t i = 0; i < im->nmt; i++) {
            size_t j = (size_t)im->mt[i].h & (nc - 1);
            while (ni[j] >= 0)
                j = (j + 1) & (nc - 1);
            ni[j] = (int32_t)i;
        }
        free(im->mtidx);
        im->mtidx = ni;
        im->mtidxcap = nc;
    }
    mtmpl_t *m = &im->mt[im->nmt];
    m->h = h;
    m->off = im->tarena.len;
    m->len = (uint32_t)len;
    m->uses = 1;
    m->pid = UINT32_MAX;
    if (e2u__buf_add(&im->tarena, t, len) < 0)
        return E2U_ENOMEM;
    size_t j = (size_t)h & (im->mtidxcap - 1);
    while (im->mtidx[j] >= 0)
        j = (j + 1) & (im->mtidxcap - 1);
    im->mtidx[j] = (int32_t)im->nmt;
    *mid = (uint32_t)im->nmt++;
    return 0;
}

static int grecs_add(imp_t *im, grecs_t *g, const uint8_t *key, size_t klen, uint16_t type,
                     uint32_t ttl, unsigned L, const uint8_t *rd, size_t rdlen, uint64_t line)
{
    if (g->n == g->cap) {
        size_t nc = g->cap ? g->cap * 2 : 64;
        grec_t *nr = realloc(g->r, nc * sizeof(*nr));
        if (!nr)
            return E2U_ENOMEM;
        g->r = nr;
        g->cap = nc;
    }
    grec_t *r = &g->r[g->n];
    r->key_off = im->garena.len;
    r->key_len = (uint16_t)klen;
    if (e2u__buf_add(&im->garena, key, klen) < 0)
        return E2U_ENOMEM;
    r->rd_off = im->garena.len;
    r->rd_len = (uint16_t)rdlen;
    if (e2u__buf_add(&im->garena, rd, rdlen) < 0)
        return E2U_ENOMEM;
    e2u__rdata_canon(type, im->garena.p + r->rd_off, (uint16_t)rdlen);
    r->type = type;
    r->ttl = ttl;
    r->L = L;
    r->seq = im->seq++;
    r->line = line;
    g->n++;
    return 0;
}

/* Lower-case the REPLACEMENT name of NAPTR RDATA in place (RFC 4034 §6.2, as Knot does). */
static void naptr_canon(uint8_t *rd, size_t len)
{
    size_t p = 4;
    for (int i = 0; i < 3 && p < len; i++)
        p += 1u + rd[p];
    while (p < len && rd[p]) {
        size_t l = rd[p];
        for (size_t j = p + 1; j <= p + l && j < len; j++)
            if (rd[j] >= 'A' && rd[j] <= 'Z')
                rd[j] |= 0x20;
        p += 1 + l;
    }
}

/* A names key without the tag for the first nrel labels of a (lower-case) wire name. */
static size_t tagless_key(uint8_t *out, const uint8_t *wire, unsigned nrel)
{
    uint8_t off[128];
    e2u__labels(wire, off);
    const uint8_t none = 0;
    return e2u__name_key(out, &none, 0, wire, off, nrel);
}

/* --- numbers -----------------------------------------------------------------------------------
 */

static int ents_push(imp_t *im, const uint8_t key[16], const uint8_t *val, size_t vlen)
{
    if (im->nents == im->ecap) {
        size_t nc = im->ecap ? im->ecap * 2 : 4096;
        ent_t *ne = realloc(im->ents, nc * sizeof(*ne));
        if (!ne)
            return E2U_ENOMEM;
        im->ents = ne;
        im->ecap = nc;
    }
    if (im->nents && im->sorted && memcmp(im->ents[im->nents - 1].key, key, 16) >= 0)
        im->sorted = false;
    ent_t *e = &im->ents[im->nents++];
    memcpy(e->key, key, 16);
    e->offlen = (uint64_t)im->vals.len << 16 | vlen;
    return e2u__buf_add(&im->vals, val, vlen);
}

/* Template the collected group and make it an entry (or ordinary-name records). */
static int group_close(imp_t *im)
{
    if (!im->gopen)
        return 0;
    im->gopen = false;
    /* fix the record pointers (the RDATA buffer may have moved) and canonicalize */
    size_t p = 0;
    for (size_t i = 0; i < im->ngrecs; i++) {
        im->grecs[i].rdata = im->grd.p + p;
        p += im->grecs[i].len;
    }
    size_t n = e2u__recs_canon(im->grecs, im->ngrecs);
    char full[128 + E2U_STORE_MAX_DIGITS + 1];
    memcpy(full, im->zp, im->zplen);
    memcpy(full + im->zplen, im->gdigits, im->gn);
    int rc = e2u__tmpl_make(&im->tb, im->gttl, im->grecs, n, full, im->zplen + im->gn);
    if (rc == E2U_ELIMIT || (rc == 0 && im->tb.params.len > 4000)) {
        /* does not fit a template: an ordinary name */
        uint8_t wire[256], key[256];
        size_t wl = e2u__digits_name(wire, im->gdigits, im->gn, im->origin, im->origin_len);
        if (!wl) {
            bad(im, im->gline, "the name would be over 255 octets");
            return 0;
        }
        size_t kl = tagless_key(key, wire, (unsigned)im->gn);
        for (size_t i = 0; i < n; i++) {
            rc = grecs_add(im, &im->names, key, kl, E2U_STORE_TYPE_NAPTR, im->gttl, 0,
                           im->grecs[i].rdata, im->grecs[i].len, im->gline);
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    if (rc < 0)
        return rc;
    uint32_t mid;
    if ((rc = mt_intern(im, im->tb.tmpl.p, im->tb.tmpl.len, &mid)) < 0)
        return rc;
    uint8_t val[4 + 4096];
    size_t vl = e2u__ov_put(val, mid);
    memcpy(val + vl, im->tb.params.p, im->tb.params.len);
    vl += im->tb.params.len;
    return ents_push(im, im->gkey, val, vl);
}

/* Add one NAPTR of the number with relative digits d[n]. */
static int number_rec(imp_t *im, const char *d, size_t n, uint32_t ttl, const uint8_t *rd,
                      size_t rdlen, uint64_t line)
{
    uint8_t key[16] = {0};
    e2u__bcd_key(key, d, n);
    if (!im->gopen || memcmp(key, im->gkey, 16) != 0) {
        int rc = group_close(im);
        if (rc < 0)
            return rc;
        im->gopen = true;
        memcpy(im->gkey, key, 16);
        memcpy(im->gdigits, d, n);
        im->gdigits[n] = '\0';
        im->gn = n;
        im->ngrecs = 0;
        im->grd.len = 0;
        im->gline = line;
    }
    if (im->ngrecs >= TMPL_MAX_RECS + 1) {
        /* more than a template holds: the group becomes an ordinary name at close */
    }
    if (im->ngrecs == im->grcap) {
        size_t nc = im->grcap ? im->grcap * 2 : 16;
        e2u__rec_t *nr = realloc(im->grecs, nc * sizeof(*nr));
        if (!nr)
            return E2U_ENOMEM;
        im->grecs = nr;
        im->grcap = nc;
    }
    size_t at = im->grd.len;
    if (e2u__buf_add(&im->grd, rd, rdlen) < 0)
        return E2U_ENOMEM;
    naptr_canon(im->grd.p + at, rdlen);
    im->grecs[im->ngrecs].len = (uint16_t)rdlen;
    im->ngrecs++;
    im->gttl = ttl; /* the last record's TTL wins */
    im->records++;
    return 0;
}

/* --- master files ------------------------------------------------------------------------------
 */

static void set_origin(imp_t *im, const uint8_t *origin)
{
    im->origin_len = e2u__dname_lower(im->origin, origin);
    uint8_t off[128];
    im->olabels = e2u__labels(im->origin, off);
    im->zplen = e2u__origin_prefix(im->origin, im->zp, sizeof(im->zp));
    im->have_origin = true;
}

/* Classify and keep one RR. */
static int zone_rr(imp_t *im, const uint8_t *owner, size_t olen, uint16_t type, uint16_t rclass,
                   uint32_t ttl, const uint8_t *rd, size_t rdlen, uint64_t line)
{
    char ot[E2U_DNAME_TEXT_MAX];
    if (rclass != 1) {
        bad(im, line, "class %u is not supported (only IN)", rclass);
        return 0;
    }
    if (!im->have_origin) {
        if (type != E2U_STORE_TYPE_SOA) {
            bad(im, line, "the first record must be the zone's SOA (or give the zone)");
            return 0;
        }
        set_origin(im, owner);
    }
    /* the owner: in the zone? a number? A run of records of one owner is classified once. */
    if (!(im->prev_class && olen == im->prev_olen && memcmp(owner, im->prev_owner, olen) == 0)) {
        uint8_t off[128];
        unsigned nl = 0;
        for (size_t i = 0; owner[i] && nl < 128; i += 1u + owner[i])
            off[nl++] = (uint8_t)i;
        size_t start =
            im->olabels == 0 ? olen - 1 : (nl >= im->olabels ? off[nl - im->olabels] : 0);
        bool in = nl >= im->olabels && olen - start == im->origin_len;
        for (size_t i = 0; in && i < im->origin_len; i++) {
            uint8_t ch = owner[start + i];
            if (ch >= 'A' && ch <= 'Z')
                ch |= 0x20;
            in = ch == im->origin[i];
        }
        if (!in) {
            e2u_dname_to_text(ot, sizeof(ot), NULL, owner, olen);
            bad(im, line, "%s is outside the zone", ot);
            return 0;
        }
        unsigned nrel = nl - im->olabels;
        bool digits = nrel > 0 && nrel <= E2U_STORE_MAX_DIGITS &&
                      e2u__name_digits(owner, off, nrel, im->prev_digits);
        memcpy(im->prev_owner, owner, olen);
        im->prev_olen = olen;
        im->prev_class = digits ? 1 : 2;
        im->prev_nrel = nrel;
    }
    unsigned nrel = im->prev_nrel;
    if (type == E2U_STORE_TYPE_SOA) {
        if (nrel != 0) {
            bad(im, line, "an SOA record belongs at the zone's origin only");
            return 0;
        }
        if (im->have_soa) {
            bad(im, line, "a second SOA record");
            return 0;
        }
        if (rdlen > E2U__SOA_MAX) {
            bad(im, line, "SOA record too long");
            return 0;
        }
        memcpy(im->soa, rd, rdlen);
        im->soa_len = (uint16_t)rdlen;
        im->soa_ttl = ttl;
        im->have_soa = true;
        im->records++;
        return 0;
    }
    if (type == E2U_STORE_TYPE_DNAME) {
        bad(im, line, "DNAME is not supported by the e2u store");
        return 0;
    }
    if (im->prev_class == 1 && type == E2U_STORE_TYPE_NAPTR) /* libzscanner checked the RDATA */
        return number_rec(im, im->prev_digits, nrel, ttl, rd, rdlen, line);
    if (type == E2U_STORE_TYPE_NAPTR) {
        e2u_naptr_t n;
        e2u_diag_t dg;
        if (e2u_naptr_parse_wire(&n, rd, rdlen, &dg) < 0) {
            bad(im, line, "NAPTR: %s", dg.msg);
            return 0;
        }
    }
    uint8_t key[256], lo[256];
    e2u__dname_lower(lo, owner);
    size_t kl = tagless_key(key, lo, nrel);
    im->records++;
    return grecs_add(im, &im->names, key, kl, type, ttl, 0, rd, rdlen, line);
}

static void zs_record(zs_scanner_t *s)
{
    imp_t *im = s->process.data;
    if (im->fatal)
        return;
    int rc = zone_rr(im, s->r_owner, s->r_owner_length, s->r_type, s->r_class, s->r_ttl, s->r_data,
                     s->r_data_length, s->line_counter);
    if (rc < 0) {
        im->fatal = rc;
        s->state = ZS_STATE_STOP;
    }
}

static void zs_error(zs_scanner_t *s)
{
    imp_t *im = s->process.data;
    bad(im, s->line_counter, "%s", zs_strerror(s->error.code));
}

/* ";@e2u-block KEY TTL [IN] NAPTR RDATA" lines written by e2u_store_export. */
static int block_line(imp_t *im, const char *t, size_t n, uint64_t line);

static void zs_comment(zs_scanner_t *s)
{
    imp_t *im = s->process.data;
    static const char tag[] = "@e2u-block";
    if (im->fatal || s->buffer_length < sizeof(tag) - 1 ||
        memcmp(s->buffer, tag, sizeof(tag) - 1) != 0)
        return;
    if (!im->have_origin) {
        bad(im, s->line_counter, "a block before the zone's SOA");
        return;
    }
    size_t n = s->buffer_length;
    while (n > sizeof(tag) - 1 && (s->buffer[n - 1] == '\0' || s->buffer[n - 1] == ' ' ||
                                   s->buffer[n - 1] == '\t' || s->buffer[n - 1] == '\r'))
        n--;
    int rc = block_line(im, (const char *)s->buffer + sizeof(tag) - 1, n - (sizeof(tag) - 1),
                        s->line_counter);
    if (rc < 0) {
        im->fatal = rc;
        s->state = ZS_STATE_STOP;
    }
}

/* A block (full prefix digits, total length) with one NAPTR. */
static int block_rec(imp_t *im, const char *digits, size_t nd, unsigned L, uint32_t ttl,
                     const uint8_t *rd, size_t rdlen, uint64_t line)
{
    if (nd < im->zplen || memcmp(digits, im->zp, im->zplen) != 0) {
        bad(im, line, "block +%.*s is outside the zone (numbers +%s...)", (int)nd, digits, im->zp);
        return 0;
    }
    if (nd - im->zplen > E2U_STORE_MAX_DIGITS) {
        bad(im, line, "block prefix longer than %d digits below the zone", E2U_STORE_MAX_DIGITS);
        return 0;
    }
    if (L && (L < nd || L > im->zplen + E2U_STORE_MAX_DIGITS || L > 255)) {
        bad(im, line, "block length %u out of range", L);
        return 0;
    }
    im->records++;
    return grecs_add(im, &im->blocks, (const uint8_t *)digits, nd, E2U_STORE_TYPE_NAPTR, ttl, L, rd,
                     rdlen, line);
}

static int block_line(imp_t *im, const char *t, size_t n, uint64_t line)
{
    /* KEY */
    size_t i = 0;
    while (i < n && (t[i] == ' ' || t[i] == '\t'))
        i++;
    size_t ks = i;
    while (i < n && t[i] != ' ' && t[i] != '\t')
        i++;
    e2u__csv_row_t row = {.line = line, .n = 7};
    e2u__csv_rec_t rec;
    /* reuse the CSV KEY grammar with a dummy NAPTR */
    static const char *dummy[6] = {"0", "0", "", "", "", "."};
    row.f[0] = t + ks;
    row.len[0] = i - ks;
    for (int k = 0; k < 6; k++) {
        row.f[k + 1] = dummy[k];
        row.len[k + 1] = strlen(dummy[k]);
    }
    e2u_diag_t dg;
    if (e2u__csv_record(&row, &rec, &dg) < 0 || !rec.block) {
        bad(im, line, "e2u-block: bad block key '%.*s'", (int)(i - ks), t + ks);
        return 0;
    }
    /* TTL */
    while (i < n && (t[i] == ' ' || t[i] == '\t'))
        i++;
    uint64_t ttl = 0;
    size_t ts = i;
    while (i < n && t[i] >= '0' && t[i] <= '9' && ttl <= UINT32_MAX)
        ttl = ttl * 10 + (uint64_t)(t[i++] - '0');
    if (i == ts || ttl > UINT32_MAX) {
        bad(im, line, "e2u-block: bad TTL");
        return 0;
    }
    /* [IN] NAPTR */
    while (i < n && (t[i] == ' ' || t[i] == '\t'))
        i++;
    if (n - i >= 3 && (t[i] | 0x20) == 'i' && (t[i + 1] | 0x20) == 'n' &&
        (t[i + 2] == ' ' || t[i + 2] == '\t')) {
        i += 3;
        while (i < n && (t[i] == ' ' || t[i] == '\t'))
            i++;
    }
    if (n - i < 6 || strncasecmp(t + i, "NAPTR", 5) != 0 || (t[i + 5] != ' ' && t[i + 5] != '\t')) {
        bad(im, line, "e2u-block: only NAPTR records are supported");
        return 0;
    }
    i += 6;
    uint8_t rd[E2U_NAPTR_RDATA_MAX];
    size_t rl;
    if (e2u_naptr_parse_text(rd, sizeof(rd), &rl, t + i, n - i, im->origin, &dg) < 0) {
        bad(im, line, "e2u-block: %s", dg.msg);
        return 0;
    }
    return block_rec(im, rec.digits, rec.ndigits, rec.length, (uint32_t)ttl, rd, rl, line);
}

static int read_all(const char *path, char **data, size_t *len, bool *mapped, e2u_diag_t *diag);

static int parse_zone(imp_t *im, const char *path)
{
    zs_scanner_t *sc = malloc(sizeof(*sc));
    if (!sc)
        return E2U_ENOMEM;
    char otext[E2U_DNAME_TEXT_MAX] = ".";
    if (im->have_origin)
        e2u_dname_to_text(otext, sizeof(otext), NULL, im->origin, im->origin_len);
    uint32_t dttl = im->o->default_ttl ? im->o->default_ttl : 3600;
    if (zs_init(sc, otext, 1, dttl) != 0) {
        free(sc);
        return e2u__sdiag(im->diag, E2U_EINVAL, 0, "cannot start the zone parser");
    }
    int r = 0;
    char *data = NULL;
    size_t dlen = 0;
    bool mapped = false;
    if (strcmp(path, "-") == 0) {
        r = read_all(path, &data, &dlen, &mapped, im->diag);
        if (r == 0 && zs_set_input_string(sc, data ? data : "", dlen) != 0)
            r = e2u__sdiag(im->diag, E2U_EIO, 0, "standard input: %s", zs_strerror(sc->error.code));
    } else if (zs_set_input_file(sc, path) != 0) {
        r = e2u__sdiag(im->diag, E2U_EIO, 0, "%s: cannot read: %s", path,
                       zs_strerror(sc->error.code));
    }
    if (r < 0) {
        /* reported */
    } else if (zs_set_processing(sc, zs_record, zs_error, im) != 0 ||
               zs_set_processing_comment(sc, zs_comment) != 0) {
        r = e2u__sdiag(im->diag, E2U_EINVAL, 0, "cannot start the zone parser");
    } else {
        zs_parse_all(sc);
        if (sc->error.fatal && !im->fatal)
            r = e2u__sdiag(im->diag, E2U_ESYNTAX, 0, "%s:%llu: %s (parsing stopped)", path,
                           (unsigned long long)sc->line_counter, zs_strerror(sc->error.code));
        im->lines = sc->line_counter;
        im->file_ttl = sc->default_ttl;
    }
    zs_deinit(sc);
    free(sc);
    free(data);
    if (r == E2U_ESYNTAX)
        im->bad++;
    return im->fatal ? im->fatal : (r == E2U_ESYNTAX ? 0 : r);
}

/* --- CSV ----------------------------------------------------------------------------------------
 */

static int read_all(const char *path, char **data, size_t *len, bool *mapped, e2u_diag_t *diag)
{
    /* Outputs are defined on every path, failures included: the callers' error checks go
     * through e2u__sdiag(), whose return value the analyzer cannot see from this file. */
    *data = NULL;
    *len = 0;
    *mapped = false;
    int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return e2u__sdiag(diag, E2U_EIO, 0, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fd != 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        *len = (size_t)sb.st_size;
        if (*len == 0) {
            close(fd);
            *data = NULL;
            return 0;
        }
        void *m = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (m == MAP_FAILED)
            return e2u__sdiag(diag, E2U_EIO, 0, "%s: cannot map: %s", path, strerror(errno));
        madvise(m, *len, MADV_SEQUENTIAL);
        *data = m;
        *mapped = true;
        return 0;
    }
    size_t cap = 1 << 20, n = 0;
    char *b = malloc(cap);
    for (;;) {
        if (!b) {
            if (fd)
                close(fd);
            return E2U_ENOMEM;
        }
        if (n == cap) {
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                continue;
            }
            b = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(b);
            if (fd)
                close(fd);
            return e2u__sdiag(diag, E2U_EIO, 0, "%s: cannot read: %s", path, strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (fd)
        close(fd);
    *data = b;
    *len = n;
    return 0;
}

static int parse_csv(imp_t *im, const char *path)
{
    char *data;
    size_t len;
    bool mapped;
    int r = read_all(path, &data, &len, &mapped, im->diag);
    if (r < 0)
        return r;
    e2u__csv_t c;
    e2u__csv_init(&c, data, len);
    char *scratch = malloc(65536);
    if (!scratch) {
        r = E2U_ENOMEM;
        goto out;
    }
    e2u__csv_row_t row;
    e2u__csv_rec_t rec;
    e2u_diag_t dg;
    uint32_t ttl = im->csv_ttl;
    int k;
    while ((k = e2u__csv_next(&c, &row, scratch, 65536, &dg)) != 0) {
        if (k < 0) {
            bad(im, row.line, "%s", dg.msg);
            continue;
        }
        if (row.line == 1 && e2u__csv_is_header(&row))
            continue;
        if (e2u__csv_record(&row, &rec, &dg) < 0) {
            bad(im, row.line, "%s", dg.msg);
            continue;
        }
        if (rec.block) {
            r = block_rec(im, rec.digits, rec.ndigits, rec.length, ttl, rec.rdata, rec.rdlen,
                          row.line);
        } else if (rec.ndigits < im->zplen || memcmp(rec.digits, im->zp, im->zplen) != 0) {
            bad(im, row.line, "+%s is outside the zone (numbers +%s...)", rec.digits, im->zp);
        } else if (rec.ndigits == im->zplen || rec.ndigits - im->zplen > E2U_STORE_MAX_DIGITS) {
            /* the apex itself, or longer than a number entry: an ordinary name */
            uint8_t wire[256], key[256];
            size_t wl = e2u__digits_name(wire, rec.digits + im->zplen, rec.ndigits - im->zplen,
                                         im->origin, im->origin_len);
            if (!wl) {
                bad(im, row.line, "+%s: the domain name would be over 255 octets", rec.digits);
                continue;
            }
            size_t kl = tagless_key(key, wire, (unsigned)(rec.ndigits - im->zplen));
            im->records++;
            r = grecs_add(im, &im->names, key, kl, E2U_STORE_TYPE_NAPTR, ttl, 0, rec.rdata,
                          rec.rdlen, row.line);
        } else {
            r = number_rec(im, rec.digits + im->zplen, rec.ndigits - im->zplen, ttl, rec.rdata,
                           rec.rdlen, row.line);
        }
        if (r < 0)
            break;
    }
    im->lines = c.line;
out:
    free(scratch);
    if (mapped)
        munmap(data, len);
    else
        free(data);
    return r;
}

/* --- after parsing: sort, merge, resolve -------------------------------------------------------
 */

static int ent_cmp(const void *a, const void *b)
{
    const ent_t *x = a, *y = b;
    int c = memcmp(x->key, y->key, 16);
    if (c)
        return c;
    return (x->offlen >> 16) < (y->offlen >> 16) ? -1 : 1; /* file order */
}

static size_t key_len16(const uint8_t key[16])
{
    size_t n = 0;
    while (n < 16 && key[n])
        n++;
    return n;
}

/* Digits of a padded entry key. */
static size_t ent_digits(const ent_t *e, char *d)
{
    int n = e2u__bcd_digits(d, e->key, key_len16(e->key));
    return n < 0 ? 0 : (size_t)n;
}

/* Expand an in-memory value (mid | params) into RDATA records for owner digits. */
static int mem_expand(imp_t *im, const uint8_t *v, size_t vlen, const char *d, size_t nd,
                      uint8_t *buf, size_t cap)
{
    uint32_t mid;
    size_t k = e2u__ov_get(v, vlen, &mid);
    if (!k || mid >= im->nmt)
        return E2U_ECORRUPT;
    char full[128 + E2U_STORE_MAX_DIGITS + 1];
    memcpy(full, im->zp, im->zplen);
    memcpy(full + im->zplen, d, nd);
    const mtmpl_t *m = &im->mt[mid];
    return e2u__tmpl_expand(im->tarena.p + m->off, m->len, full, im->zplen + nd, v + k, vlen - k,
                            buf, cap);
}

/* Drop an entry: its template loses a use. */
static void ent_drop(imp_t *im, ent_t *e)
{
    uint32_t mid;
    if ((e->offlen & 0xffff) &&
        e2u__ov_get(im->vals.p + (e->offlen >> 16), e->offlen & 0xffff, &mid) && mid < im->nmt &&
        im->mt[mid].uses)
        im->mt[mid].uses--;
    e->offlen = 0;
}

/* Merge entries with equal keys (records of one number scattered over the file). */
static int merge_dups(imp_t *im)
{
    uint8_t *buf = malloc(2 * E2U_STORE_BUF_MIN);
    if (!buf)
        return E2U_ENOMEM;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i + 1 < im->nents; i++) {
        if (memcmp(im->ents[i].key, im->ents[i + 1].key, 16) != 0)
            continue;
        size_t j = i;
        while (j + 1 < im->nents && memcmp(im->ents[j + 1].key, im->ents[i].key, 16) == 0)
            j++;
        char d[E2U_STORE_MAX_DIGITS + 1];
        size_t nd = ent_digits(&im->ents[i], d);
        /* expand them all as one group */
        uint64_t records = im->records;
        im->gopen = true;
        memcpy(im->gkey, im->ents[i].key, 16);
        memcpy(im->gdigits, d, nd + 1);
        im->gn = nd;
        im->ngrecs = 0;
        im->grd.len = 0;
        for (size_t k = i; rc == 0 && k <= j; k++) {
            ent_t *e = &im->ents[k];
            int bl = mem_expand(im, im->vals.p + (e->offlen >> 16), e->offlen & 0xffff, d, nd, buf,
                                2 * E2U_STORE_BUF_MIN);
            if (bl < 0) {
                rc = bl;
                break;
            }
            e2u_store_rrset_t rs;
            size_t pos = 0;
            if (!e2u_store_rrset_next(buf, (size_t)bl, &pos, &rs))
                continue;
            im->gttl = rs.ttl;
            size_t rp = 0;
            const uint8_t *rd;
            uint16_t rl;
            while (rc == 0 && e2u_store_rdata_next(&rs, &rp, &rd, &rl))
                rc = number_rec(im, d, nd, rs.ttl, rd, rl, 0);
            ent_drop(im, e); /* the merged one is appended */
        }
        if (rc == 0)
            rc = group_close(im);
        im->records = records;
        i = j;
    }
    free(buf);
    if (rc < 0)
        return rc;
    /* the merged entries were appended: sort again and drop the emptied ones */
    if (im->nents > 1)
        qsort(im->ents, im->nents, sizeof(ent_t), ent_cmp);
    size_t o = 0;
    for (size_t i = 0; i < im->nents; i++)
        if (im->ents[i].offlen & 0xffff)
            im->ents[o++] = im->ents[i];
    im->nents = o;
    return 0;
}

static int grec_cmp(const void *a, const void *b, void *arg)
{
    const grec_t *x = a, *y = b;
    const uint8_t *ar = arg;
    size_t m = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(ar + x->key_off, ar + y->key_off, m);
    if (c)
        return c;
    if (x->key_len != y->key_len)
        return x->key_len < y->key_len ? -1 : 1;
    if (x->L != y->L)
        return x->L < y->L ? -1 : 1;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    return x->seq < y->seq ? -1 : 1;
}

static void grecs_sort(imp_t *im, grecs_t *g)
{
    if (g->n > 1)
        qsort_r(g->r, g->n, sizeof(grec_t), grec_cmp, im->garena.p);
}

/* Ordinary names whose owner is also a number: move the number's NAPTRs to the name. */
static int resolve_conflicts(imp_t *im)
{
    if (!im->names.n || !im->nents)
        return 0;
    uint8_t *buf = malloc(E2U_STORE_BUF_MIN);
    if (!buf)
        return E2U_ENOMEM;
    int rc = 0;
    size_t n0 = im->names.n; /* records added below are not looked at again */
    for (size_t i = 0; rc == 0 && i < n0; i++) {
        grec_t *g = &im->names.r[i];
        if (i > 0 && g->key_off == im->names.r[i - 1].key_off)
            continue;
        /* a digit name (key: 1-octet labels, each a digit) of at most 32 digits */
        const uint8_t *k = im->garena.p + g->key_off;
        size_t kl = g->key_len;
        if (kl == 0 || kl % 2 || kl / 2 > E2U_STORE_MAX_DIGITS)
            continue;
        char d[E2U_STORE_MAX_DIGITS + 1];
        bool digit = true;
        for (size_t j = 0; j < kl; j += 2) {
            if (k[j] != 1 || k[j + 1] < '0' || k[j + 1] > '9') {
                digit = false;
                break;
            }
            d[j / 2] = (char)k[j + 1];
        }
        if (!digit)
            continue;
        size_t nd = kl / 2;
        d[nd] = '\0';
        uint8_t key[16] = {0};
        e2u__bcd_key(key, d, nd);
        /* binary search the sorted entries */
        size_t lo = 0, hi = im->nents;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (memcmp(im->ents[mid].key, key, 16) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo >= im->nents || memcmp(im->ents[lo].key, key, 16) != 0 ||
            !(im->ents[lo].offlen & 0xffff))
            continue;
        ent_t *e = &im->ents[lo];
        int bl = mem_expand(im, im->vals.p + (e->offlen >> 16), e->offlen & 0xffff, d, nd, buf,
                            E2U_STORE_BUF_MIN);
        if (bl < 0) {
            rc = bl;
            break;
        }
        e2u_store_rrset_t rs;
        size_t pos = 0;
        if (e2u_store_rrset_next(buf, (size_t)bl, &pos, &rs)) {
            size_t rp = 0;
            const uint8_t *rd;
            uint16_t rl;
            size_t koff = g->key_off;
            uint64_t line = g->line;
            while (rc == 0 && e2u_store_rdata_next(&rs, &rp, &rd, &rl)) {
                /* the key copy may move with the arena: copy it out first */
                uint8_t kc[256];
                memcpy(kc, im->garena.p + koff, kl);
                rc = grecs_add(im, &im->names, kc, kl, E2U_STORE_TYPE_NAPTR, rs.ttl, 0, rd, rl,
                               line);
            }
        }
        ent_drop(im, e);
    }
    free(buf);
    if (rc < 0)
        return rc;
    size_t o = 0;
    for (size_t i = 0; i < im->nents; i++)
        if (im->ents[i].offlen & 0xffff)
            im->ents[o++] = im->ents[i];
    im->nents = o;
    grecs_sort(im, &im->names);
    return 0;
}

/* Build the RRsets blob of the records g[a..b) (sorted by type, then file order). */
static int names_blob(imp_t *im, const grec_t *g, size_t a, size_t b, e2u__buf_t *out)
{
    out->len = 0;
    /* An empty range has an empty blob; malloc(0) may return NULL, which is no ENOMEM. */
    if (b <= a)
        return 0;
    e2u__rec_t *r = malloc((b - a) * sizeof(*r));
    if (!r)
        return E2U_ENOMEM;
    int rc = 0;
    size_t i = a;
    while (rc == 0 && i < b) {
        size_t j = i;
        uint32_t ttl = 0;
        size_t n = 0;
        while (j < b && g[j].type == g[i].type) {
            r[n].rdata = im->garena.p + g[j].rd_off;
            r[n].len = g[j].rd_len;
            ttl = g[j].ttl; /* the last in file order */
            n++;
            j++;
        }
        n = e2u__recs_canon(r, n);
        rc = e2u__blob_add_rrset(out, g[i].type, ttl, r, n);
        i = j;
    }
    free(r);
    return rc;
}

/* --- writing ------------------------------------------------------------------------------------
 */

typedef struct wctx {
    imp_t *im;
    e2u_store_txn_t *w;
    wzone_t *z;
    e2u__jchange_t *ch;
    bool collect; /* still recording a difference */
    e2u__u32map_t unref;
    uint8_t *bufa, *bufb; /* expansions */
} wctx_t;

static void ch_check(wctx_t *c)
{
    if (c->collect && (size_t)c->ch->nremoved + c->ch->nadded > c->im->s->journal_max_rrs) {
        c->collect = false;
        c->ch->reset = true;
        e2u__buf_free(&c->ch->removed);
        e2u__buf_free(&c->ch->added);
        c->ch->nremoved = c->ch->nadded = 0;
    }
}

/* Intern the in-memory templates in the store, most used first. */
static int intern_templates(wctx_t *c)
{
    imp_t *im = c->im;
    size_t *ord = malloc((im->nmt ? im->nmt : 1) * sizeof(*ord));
    if (!ord)
        return E2U_ENOMEM;
    for (size_t i = 0; i < im->nmt; i++)
        ord[i] = i;
    /* uses descending: a simple shell sort, templates are few */
    for (size_t gap = im->nmt / 2; gap > 0; gap /= 2)
        for (size_t i = gap; i < im->nmt; i++) {
            size_t x = ord[i], j = i;
            while (j >= gap && im->mt[ord[j - gap]].uses < im->mt[x].uses) {
                ord[j] = ord[j - gap];
                j -= gap;
            }
            ord[j] = x;
        }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < im->nmt; i++) {
        mtmpl_t *m = &im->mt[ord[i]];
        if (m->uses == 0)
            continue;
        rc = e2u__tmpl_intern(c->w, im->tarena.p + m->off, m->len, m->uses, &m->pid);
    }
    free(ord);
    return rc;
}

/* The value of entry e with its store template id, into out; returns its length or < 0. */
static int ent_value(imp_t *im, const ent_t *e, uint8_t *out, size_t cap)
{
    const uint8_t *v = im->vals.p + (e->offlen >> 16);
    size_t vl = e->offlen & 0xffff;
    uint32_t mid;
    size_t k = e2u__ov_get(v, vl, &mid);
    if (!k || mid >= im->nmt || vl - k + 4 > cap)
        return E2U_ECORRUPT;
    size_t o = e2u__ov_put(out, im->mt[mid].pid);
    memcpy(out + o, v + k, vl - k);
    return (int)(o + vl - k);
}

static int diff_number(wctx_t *c, const char *d, size_t nd, const uint8_t *ov, size_t ol,
                       const uint8_t *nv, size_t nl)
{
    if (!c->collect)
        return 0;
    imp_t *im = c->im;
    e2u_store_t *s = im->s;
    char full[128 + E2U_STORE_MAX_DIGITS + 1];
    memcpy(full, im->zp, im->zplen);
    memcpy(full + im->zplen, d, nd);
    int al = 0, bl = 0;
    if (ov && (al = e2u__value_expand(s, c->w->txn, ov, ol, full, im->zplen + nd, c->bufa,
                                      E2U_STORE_BUF_MIN)) < 0)
        return al;
    if (nv && (bl = e2u__value_expand(s, c->w->txn, nv, nl, full, im->zplen + nd, c->bufb,
                                      E2U_STORE_BUF_MIN)) < 0)
        return bl;
    uint8_t owner[256];
    size_t wl = e2u__digits_name(owner, d, nd, im->origin, im->origin_len);
    int rc = e2u__jdiff(c->ch, owner, wl, NULL, 0, 0, c->bufa, (size_t)al, c->bufb, (size_t)bl);
    ch_check(c);
    return rc;
}

static bool tag_is(const MDB_val *k, const zinfo_t *z)
{
    return k->mv_size >= z->taglen && memcmp(k->mv_data, z->tag, z->taglen) == 0;
}

/* Replace the zone's numbers (see the file comment). */
static int numbers_replace(wctx_t *c)
{
    imp_t *im = c->im;
    e2u_store_t *s = im->s;
    MDB_txn *txn = c->w->txn;
    zinfo_t *z = &c->z->zi;
    MDB_dbi oldb = e2u__numdb(s, z);
    MDB_dbi newb = s->dbi[z->rec.nbuf ? DB_NUM0 : DB_NUM1];
    int64_t r = e2u__range_delete(c->w, newb, z->tag, z->taglen, 0); /* never any: be sure */
    if (r < 0)
        return (int)r;
    MDB_cursor *cn = NULL, *co = NULL;
    int rc = mdb_cursor_open(txn, newb, &cn);
    if (rc == 0)
        rc = mdb_cursor_open(txn, oldb, &co);
    if (rc) {
        if (cn)
            mdb_cursor_close(cn);
        return e2u__mdb_err(s, rc, NULL, "numbers");
    }
    /* MDB_APPEND when every key of the new tree sorts before this zone's */
    MDB_val k, v;
    bool append = true;
    rc = mdb_cursor_get(cn, &k, &v, MDB_LAST);
    if (rc == 0) {
        size_t m = k.mv_size < z->taglen ? k.mv_size : z->taglen;
        int cmp = memcmp(k.mv_data, z->tag, m);
        append = cmp < 0 || (cmp == 0 && k.mv_size < z->taglen);
    }
    /* walk the old range and the new entries together */
    MDB_val ok = {z->taglen, z->tag}, ov;
    rc = mdb_cursor_get(co, &ok, &ov, MDB_SET_RANGE);
    bool hold = rc == 0 && tag_is(&ok, z);
    size_t i = 0;
    uint64_t written = 0;
    int err = 0;
    uint8_t key[4 + 16], val[8 + 4096];
    memcpy(key, z->tag, z->taglen);
    while (!err && (hold || i < im->nents)) {
        int cmp;
        if (i < im->nents && !(im->ents[i].offlen & 0xffff)) {
            i++;
            continue;
        }
        const ent_t *e = i < im->nents ? &im->ents[i] : NULL;
        size_t ekl = e ? key_len16(e->key) : 0;
        if (!hold)
            cmp = 1;
        else if (!e)
            cmp = -1;
        else {
            const uint8_t *ob = (const uint8_t *)ok.mv_data + z->taglen;
            size_t obl = ok.mv_size - z->taglen;
            size_t m = obl < ekl ? obl : ekl;
            cmp = memcmp(ob, e->key, m);
            if (cmp == 0)
                cmp = obl < ekl ? -1 : (obl > ekl ? 1 : 0);
        }
        char d[E2U_STORE_MAX_DIGITS + 1];
        if (cmp <= 0) {
            /* an old number: its template reference goes */
            uint32_t tid;
            if (!e2u__ov_get(ov.mv_data, ov.mv_size, &tid)) {
                err = E2U_ECORRUPT;
                break;
            }
            if ((err = e2u__u32map_add(&c->unref, tid, 1)) < 0)
                break;
        }
        int vl = 0;
        if (cmp >= 0) {
            vl = ent_value(im, e, val, sizeof(val));
            if (vl < 0) {
                err = vl;
                break;
            }
            memcpy(key + z->taglen, e->key, ekl);
            MDB_val nk = {z->taglen + ekl, key}, nv = {(size_t)vl, val};
            rc = mdb_cursor_put(cn, &nk, &nv, append ? MDB_APPEND : 0);
            if (rc) {
                err = e2u__mdb_err(s, rc, NULL, "write numbers");
                break;
            }
            written++;
        }
        if (c->collect) {
            if (cmp < 0) {
                int nd = e2u__bcd_digits(d, (const uint8_t *)ok.mv_data + z->taglen,
                                         ok.mv_size - z->taglen);
                err = nd < 0 ? E2U_ECORRUPT
                             : diff_number(c, d, (size_t)nd, ov.mv_data, ov.mv_size, NULL, 0);
            } else if (cmp > 0) {
                size_t nd = ent_digits(e, d);
                err = diff_number(c, d, nd, NULL, 0, val, (size_t)vl);
            } else if (ov.mv_size != (size_t)vl || memcmp(ov.mv_data, val, (size_t)vl) != 0) {
                size_t nd = ent_digits(e, d);
                err = diff_number(c, d, nd, ov.mv_data, ov.mv_size, val, (size_t)vl);
            }
        }
        if (cmp <= 0) {
            rc = mdb_cursor_get(co, &ok, &ov, MDB_NEXT);
            hold = rc == 0 && tag_is(&ok, z);
        }
        if (cmp >= 0)
            i++;
    }
    mdb_cursor_close(cn);
    if (err) {
        mdb_cursor_close(co);
        return err;
    }
    /* drop the old range: the whole tree when it holds only this zone */
    MDB_val fk, fv, lk, lv;
    bool only = mdb_cursor_get(co, &fk, &fv, MDB_FIRST) == 0 && tag_is(&fk, z) &&
                mdb_cursor_get(co, &lk, &lv, MDB_LAST) == 0 && tag_is(&lk, z);
    mdb_cursor_close(co);
    if (only) {
        rc = mdb_drop(txn, oldb, 0);
        if (rc)
            return e2u__mdb_err(s, rc, NULL, "drop the old numbers");
    } else {
        r = e2u__range_delete(c->w, oldb, z->tag, z->taglen, 0);
        if (r < 0)
            return (int)r;
    }
    z->rec.nbuf = z->rec.nbuf ? 0 : 1;
    z->rec.numbers = written;
    return 0;
}

/* One block variant's expanded RRset, for the journal. */
typedef struct bstate {
    char prefix[E2U_AUS_MAX + 130];
    size_t plen;
    unsigned L;
    e2u__buf_t blob;
} bstate_t;

static int bstate_cmp(const void *a, const void *b)
{
    const bstate_t *x = a, *y = b;
    int c = strcmp(x->prefix, y->prefix);
    return c ? c : (x->L < y->L ? -1 : x->L > y->L);
}

static void bstates_free(bstate_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        e2u__buf_free(&b[i].blob);
    free(b);
}

/* Every block variant of the zone, expanded (for the journal's difference). */
static int blocks_state(wctx_t *c, bstate_t **out, size_t *nout)
{
    imp_t *im = c->im;
    e2u_store_t *s = im->s;
    zinfo_t *z = &c->z->zi;
    bstate_t *v = NULL;
    size_t n = 0, cap = 0;
    MDB_cursor *cu;
    int rc = mdb_cursor_open(c->w->txn, s->dbi[DB_BLOCKS], &cu);
    if (rc)
        return e2u__mdb_err(s, rc, NULL, "blocks");
    MDB_val k = {z->taglen, z->tag}, val;
    rc = mdb_cursor_get(cu, &k, &val, MDB_SET_RANGE);
    int r = 0;
    while (r == 0 && rc == 0 && tag_is(&k, z)) {
        char d[E2U_AUS_MAX + 130];
        memcpy(d, im->zp, im->zplen);
        int nd = e2u__bcd_digits(d + im->zplen, (const uint8_t *)k.mv_data + z->taglen,
                                 k.mv_size - z->taglen);
        const uint8_t *bv = val.mv_data;
        size_t p = 0;
        while (r == 0 && nd >= 0 && p < val.mv_size) {
            uint32_t sz;
            size_t sn = e2u__ov_get(bv + p + 1, val.mv_size - p - 1, &sz);
            if (!sn || sz > val.mv_size - p - 1 - sn) {
                r = E2U_ECORRUPT;
                break;
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                bstate_t *nv = realloc(v, cap * sizeof(*nv));
                if (!nv) {
                    r = E2U_ENOMEM;
                    break;
                }
                v = nv;
            }
            bstate_t *b = &v[n];
            memset(b, 0, sizeof(*b));
            memcpy(b->prefix, d, im->zplen + (size_t)nd + 1);
            b->plen = im->zplen + (size_t)nd;
            b->L = bv[p];
            int bl = e2u__value_expand(s, c->w->txn, bv + p + 1 + sn, sz, d, b->plen, c->bufa,
                                       E2U_STORE_BUF_MIN);
            if (bl < 0)
                r = bl;
            else if (e2u__buf_add(&b->blob, c->bufa, (size_t)bl) < 0)
                r = E2U_ENOMEM;
            n++;
            p += 1 + sn + sz;
        }
        rc = mdb_cursor_get(cu, &k, &val, MDB_NEXT);
    }
    mdb_cursor_close(cu);
    if (r < 0) {
        bstates_free(v, n);
        return r;
    }
    if (n > 1)
        qsort(v, n, sizeof(*v), bstate_cmp);
    *out = v;
    *nout = n;
    return 0;
}

/* Replace the zone's blocks with im->blocks (sorted by prefix, length, file order). */
static int blocks_replace(wctx_t *c)
{
    imp_t *im = c->im;
    e2u_store_t *s = im->s;
    zinfo_t *z = &c->z->zi;
    bstate_t *old = NULL, *neu = NULL;
    size_t nold = 0, nnew = 0;
    int rc = 0;
    if (c->collect && z->rec.blocks)
        rc = blocks_state(c, &old, &nold);
    int64_t r = rc < 0 ? rc : e2u__range_delete(c->w, s->dbi[DB_BLOCKS], z->tag, z->taglen, 2);
    if (r < 0) {
        bstates_free(old, nold);
        return (int)r;
    }
    z->rec.blocks = 0;
    e2u_store_txn_t *w = c->w;
    grec_t *g = im->blocks.r;
    size_t n = im->blocks.n;
    e2u_rdata_t *rr = malloc((n ? n : 1) * sizeof(*rr));
    if (!rr) {
        bstates_free(old, nold);
        return E2U_ENOMEM;
    }
    uint8_t lo_origin[256];
    memcpy(lo_origin, z->origin, z->origin_len);
    for (size_t i = 0; rc == 0 && i < n;) {
        size_t j = i;
        uint32_t ttl = 0;
        size_t k = 0;
        while (j < n && g[j].key_len == g[i].key_len && g[j].L == g[i].L &&
               memcmp(im->garena.p + g[j].key_off, im->garena.p + g[i].key_off, g[i].key_len) ==
                   0) {
            rr[k].data = im->garena.p + g[j].rd_off;
            rr[k].len = g[j].rd_len;
            ttl = g[j].ttl;
            k++;
            j++;
        }
        char prefix[E2U_AUS_MAX + 130];
        memcpy(prefix, im->garena.p + g[i].key_off, g[i].key_len);
        prefix[g[i].key_len] = '\0';
        e2u_diag_t dg;
        bool was = c->z->bulk;
        c->z->bulk = true; /* no per-block snapshot: the difference is made here */
        rc = e2u_store_put_block(w, lo_origin, prefix, g[i].L, ttl, rr, k, &dg);
        c->z->bulk = was;
        if (rc < 0) {
            bad(im, g[i].line, "block +%s: %s", prefix, dg.msg);
            if (im->o->skip_bad && rc == E2U_EINVAL)
                rc = 0;
        }
        i = j;
    }
    free(rr);
    if (rc == 0 && c->collect)
        rc = blocks_state(c, &neu, &nnew);
    /* the difference, variant by variant */
    for (size_t a = 0, b = 0; rc == 0 && c->collect && (a < nold || b < nnew);) {
        int cmp = a >= nold ? 1 : b >= nnew ? -1 : bstate_cmp(&old[a], &neu[b]);
        bstate_t *x = cmp <= 0 ? &old[a] : &neu[b];
        rc = e2u__jdiff(c->ch, NULL, 0, x->prefix, x->plen, x->L, cmp <= 0 ? old[a].blob.p : NULL,
                        cmp <= 0 ? old[a].blob.len : 0, cmp >= 0 ? neu[b].blob.p : NULL,
                        cmp >= 0 ? neu[b].blob.len : 0);
        ch_check(c);
        if (cmp <= 0)
            a++;
        if (cmp >= 0)
            b++;
    }
    bstates_free(old, nold);
    bstates_free(neu, nnew);
    return rc;
}

/* Append to out the RRsets of blob[len] but the SOA (the commit journals the SOA). An empty
 * blob may have no buffer at all. */
static int blob_drop_soa(e2u__buf_t *out, const uint8_t *blob, size_t len)
{
    if (!blob)
        return 0;
    size_t pos = 0, p0 = 0;
    e2u_store_rrset_t rs;
    while (e2u_store_rrset_next(blob, len, &pos, &rs)) {
        if (rs.type != E2U_STORE_TYPE_SOA && e2u__buf_add(out, blob + p0, pos - p0) < 0)
            return E2U_ENOMEM;
        p0 = pos;
    }
    return 0;
}

/* Replace the zone's ordinary names (apex included) with im->names. */
static int names_replace(wctx_t *c)
{
    imp_t *im = c->im;
    e2u_store_t *s = im->s;
    zinfo_t *z = &c->z->zi;
    MDB_txn *txn = c->w->txn;
    grec_t *g = im->names.r;
    size_t n = im->names.n;
    e2u__buf_t blob = {0}, a = {0}, b = {0};
    uint8_t key[4 + 256];
    memcpy(key, z->tag, z->taglen);
    int rc = 0;
    /* the apex from the file: its records, and the SOA */
    /* 1. the old names, for the journal (merge join with the new ones) */
    if (c->collect) {
        MDB_cursor *cu;
        rc = mdb_cursor_open(txn, s->dbi[DB_NAMES], &cu);
        if (rc)
            return e2u__mdb_err(s, rc, NULL, "names");
        MDB_val k = {z->taglen, z->tag}, v;
        int mrc = mdb_cursor_get(cu, &k, &v, MDB_SET_RANGE);
        size_t i = 0;
        while (rc == 0 && c->collect && ((mrc == 0 && tag_is(&k, z)) || i < n)) {
            bool hold = mrc == 0 && tag_is(&k, z);
            size_t j = i;
            while (j < n && g[j].key_len == g[i].key_len &&
                   memcmp(im->garena.p + g[j].key_off, im->garena.p + g[i].key_off, g[i].key_len) ==
                       0)
                j++;
            int cmp;
            if (!hold)
                cmp = 1;
            else if (i >= n)
                cmp = -1;
            else {
                const uint8_t *ob = (const uint8_t *)k.mv_data + z->taglen;
                size_t obl = k.mv_size - z->taglen;
                size_t m = obl < g[i].key_len ? obl : g[i].key_len;
                cmp = memcmp(ob, im->garena.p + g[i].key_off, m);
                if (cmp == 0)
                    cmp = obl < g[i].key_len ? -1 : (obl > g[i].key_len ? 1 : 0);
            }
            a.len = b.len = 0;
            const uint8_t *okey =
                cmp <= 0 ? (const uint8_t *)k.mv_data + z->taglen : im->garena.p + g[i].key_off;
            size_t okl = cmp <= 0 ? k.mv_size - z->taglen : g[i].key_len;
            if (cmp <= 0 && e2u__buf_add(&a, v.mv_data, v.mv_size) < 0)
                rc = E2U_ENOMEM;
            if (rc == 0 && cmp >= 0)
                rc = names_blob(im, g, i, j, &b);
            /* owner of the key */
            uint8_t owner[256];
            size_t ol = 0;
            {
                size_t pos[128];
                unsigned nl = 0;
                size_t p = 0;
                while (p < okl && nl < 128) {
                    pos[nl++] = p;
                    p += 1u + okey[p];
                }
                for (unsigned q = nl; q-- > 0;) {
                    /* pos[0..nl) was filled above (cppcheck cannot see it) */
                    // cppcheck-suppress uninitvar
                    memcpy(owner + ol, okey + pos[q], 1u + okey[pos[q]]);
                    ol += 1u + okey[pos[q]];
                }
                memcpy(owner + ol, z->origin, z->origin_len);
                ol += z->origin_len;
            }
            if (rc == 0) {
                /* the SOA is journaled by the commit */
                e2u__buf_t a2 = {0}, b2 = {0};
                if (okl == 0) {
                    blob.len = 0;
                    rc = blob_drop_soa(&a2, a.p, a.len);
                    if (rc == 0)
                        rc = blob_drop_soa(&b2, b.p, b.len);
                    if (rc == 0)
                        rc = e2u__jdiff(c->ch, owner, ol, NULL, 0, 0, a2.p, a2.len, b2.p, b2.len);
                } else if (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len) != 0)) {
                    /* a.len first: two empty blobs may have no buffer, and memcmp(NULL, ...)
                     * is undefined even for 0 octets */
                    rc = e2u__jdiff(c->ch, owner, ol, NULL, 0, 0, a.p, a.len, b.p, b.len);
                }
                e2u__buf_free(&a2);
                e2u__buf_free(&b2);
                ch_check(c);
            }
            if (cmp <= 0)
                mrc = mdb_cursor_get(cu, &k, &v, MDB_NEXT);
            if (cmp >= 0)
                i = j;
        }
        mdb_cursor_close(cu);
    }
    /* 2. out with the old */
    int64_t r;
    if (rc == 0 && (r = e2u__range_delete(c->w, s->dbi[DB_NAMES], z->tag, z->taglen, 0)) < 0)
        rc = (int)r;
    if (rc == 0 && (r = e2u__range_delete(c->w, s->dbi[DB_CUTS], z->tag, z->taglen, 0)) < 0)
        rc = (int)r;
    z->rec.names = z->rec.digit_names = z->rec.cuts = z->rec.wild = 0;
    /* 3. in with the new; the apex first, even when the file has nothing there but the SOA */
    if (rc == 0 && (n == 0 || g[0].key_len != 0)) {
        e2u__rec_t sr = {im->soa, im->soa_len};
        blob.len = 0;
        rc = e2u__blob_add_rrset(&blob, E2U_STORE_TYPE_SOA, im->soa_ttl, &sr, 1);
        MDB_val mk = {z->taglen, key}, mv = {blob.len, blob.p};
        int mrc = rc ? 0 : mdb_put(txn, s->dbi[DB_NAMES], &mk, &mv, 0);
        if (mrc)
            rc = e2u__mdb_err(s, mrc, NULL, "write the apex");
    }
    for (size_t i = 0; rc == 0 && i < n;) {
        size_t j = i;
        while (j < n && g[j].key_len == g[i].key_len &&
               memcmp(im->garena.p + g[j].key_off, im->garena.p + g[i].key_off, g[i].key_len) == 0)
            j++;
        const uint8_t *kk = im->garena.p + g[i].key_off;
        size_t kl = g[i].key_len;
        rc = names_blob(im, g, i, j, &blob);
        if (rc == 0 && kl == 0) {
            /* insert the SOA (type 6) in type order */
            e2u__buf_t nb = {0};
            e2u__rec_t sr = {im->soa, im->soa_len};
            size_t pos = 0, p0 = 0;
            e2u_store_rrset_t rs;
            bool done = false;
            while (rc == 0 && e2u_store_rrset_next(blob.p, blob.len, &pos, &rs)) {
                if (!done && rs.type > E2U_STORE_TYPE_SOA) {
                    rc = e2u__blob_add_rrset(&nb, E2U_STORE_TYPE_SOA, im->soa_ttl, &sr, 1);
                    done = true;
                }
                if (rc == 0 && rs.type != E2U_STORE_TYPE_SOA)
                    rc = e2u__buf_add(&nb, blob.p + p0, pos - p0);
                p0 = pos;
            }
            if (rc == 0 && !done)
                rc = e2u__blob_add_rrset(&nb, E2U_STORE_TYPE_SOA, im->soa_ttl, &sr, 1);
            e2u__buf_free(&blob);
            blob = nb;
        }
        if (rc == 0) {
            bool cname = false, other = false, ns = false;
            size_t pos = 0;
            e2u_store_rrset_t rs;
            while (e2u_store_rrset_next(blob.p, blob.len, &pos, &rs)) {
                if (rs.type == E2U_STORE_TYPE_CNAME)
                    cname = true;
                else if (rs.type != 46 && rs.type != 47)
                    other = true;
                if (rs.type == E2U_STORE_TYPE_NS)
                    ns = true;
            }
            if (cname && other) {
                bad(im, g[i].line, "CNAME and other data at one name (RFC 1034 §3.6.2)");
                if (!im->o->skip_bad) {
                    rc = E2U_ESYNTAX;
                    break;
                }
                i = j;
                continue;
            }
            memcpy(key + z->taglen, kk, kl);
            MDB_val mk = {z->taglen + kl, key}, mv = {blob.len, blob.p};
            int mrc = mdb_put(txn, s->dbi[DB_NAMES], &mk, &mv, 0);
            if (mrc == 0 && ns && kl > 0) {
                MDB_val ev = {0, NULL};
                mrc = mdb_put(txn, s->dbi[DB_CUTS], &mk, &ev, 0);
            }
            if (mrc) {
                rc = e2u__mdb_err(s, mrc, NULL, "write names");
                break;
            }
            if (kl > 0) {
                z->rec.names++;
                if (ns)
                    z->rec.cuts++;
                if (kk[0] == 1 && kk[kl - 2] == 1 && kk[kl - 1] == '*')
                    z->rec.wild++;
                /* a digit name: every label one digit, at most 32 */
                bool digit = kl % 2 == 0 && kl / 2 <= E2U_STORE_MAX_DIGITS;
                for (size_t q = 0; digit && q < kl; q += 2)
                    digit = kk[q] == 1 && kk[q + 1] >= '0' && kk[q + 1] <= '9';
                if (digit)
                    z->rec.digit_names++;
            }
        }
        i = j;
    }
    e2u__buf_free(&blob);
    e2u__buf_free(&a);
    e2u__buf_free(&b);
    return rc;
}

/* Merge: every name, number and block of the file through the ordinary write API. */
static int merge_all(wctx_t *c)
{
    imp_t *im = c->im;
    e2u_store_txn_t *w = c->w;
    zinfo_t *z = &c->z->zi;
    e2u_diag_t dg;
    int rc = 0;
    uint8_t *buf = c->bufa;
    e2u_rdata_t *rr = malloc(256 * sizeof(*rr));
    if (!rr)
        return E2U_ENOMEM;
    if (im->have_soa) {
        e2u_rdata_t one = {im->soa, im->soa_len};
        rc = e2u_store_put_rrset(w, z->origin, E2U_STORE_TYPE_SOA, im->soa_ttl, &one, 1, &dg);
    }
    for (size_t i = 0; rc == 0 && i < im->nents; i++) {
        ent_t *e = &im->ents[i];
        char d[E2U_STORE_MAX_DIGITS + 1];
        size_t nd = ent_digits(e, d);
        int bl = mem_expand(im, im->vals.p + (e->offlen >> 16), e->offlen & 0xffff, d, nd, buf,
                            E2U_STORE_BUF_MIN);
        if (bl < 0) {
            rc = bl;
            break;
        }
        e2u_store_rrset_t rs;
        size_t pos = 0, k = 0;
        if (!e2u_store_rrset_next(buf, (size_t)bl, &pos, &rs))
            continue;
        size_t rp = 0;
        const uint8_t *rd;
        uint16_t rl;
        while (k < 256 && e2u_store_rdata_next(&rs, &rp, &rd, &rl)) {
            rr[k].data = rd;
            rr[k].len = rl;
            k++;
        }
        uint8_t owner[256];
        e2u__digits_name(owner, d, nd, z->origin, z->origin_len);
        rc = e2u_store_put_rrset(w, owner, E2U_STORE_TYPE_NAPTR, rs.ttl, rr, k, &dg);
        if (rc < 0)
            bad(im, 0, "+%s%s: %s", im->zp, d, dg.msg);
    }
    grec_t *g = im->names.r;
    for (size_t i = 0; rc == 0 && i < im->names.n;) {
        size_t j = i;
        while (j < im->names.n && g[j].key_len == g[i].key_len && g[j].type == g[i].type &&
               memcmp(im->garena.p + g[j].key_off, im->garena.p + g[i].key_off, g[i].key_len) == 0)
            j++;
        /* owner from the tag-less key */
        const uint8_t *kk = im->garena.p + g[i].key_off;
        size_t kl = g[i].key_len, pos[128], ol = 0;
        unsigned nl = 0;
        for (size_t p = 0; p < kl && nl < 128; p += 1u + kk[p])
            pos[nl++] = p;
        uint8_t owner[256];
        for (unsigned q = nl; q-- > 0;) {
            // cppcheck-suppress uninitvar ; pos[0..nl) was filled above
            memcpy(owner + ol, kk + pos[q], 1u + kk[pos[q]]);
            ol += 1u + kk[pos[q]];
        }
        memcpy(owner + ol, z->origin, z->origin_len);
        e2u_rdata_t *list = malloc((j - i) * sizeof(*list));
        if (!list) {
            rc = E2U_ENOMEM;
            break;
        }
        uint32_t ttl = 0;
        for (size_t q = i; q < j; q++) {
            list[q - i].data = im->garena.p + g[q].rd_off;
            list[q - i].len = g[q].rd_len;
            ttl = g[q].ttl;
        }
        rc = e2u_store_put_rrset(w, owner, g[i].type, ttl, list, j - i, &dg);
        free(list);
        if (rc < 0) {
            bad(im, g[i].line, "%s", dg.msg);
            if (im->o->skip_bad && rc != E2U_ENOMEM && rc != E2U_EFULL && rc != E2U_ESTORE)
                rc = 0;
        }
        i = j;
    }
    g = im->blocks.r;
    for (size_t i = 0; rc == 0 && i < im->blocks.n;) {
        size_t j = i, k = 0;
        uint32_t ttl = 0;
        while (j < im->blocks.n && g[j].key_len == g[i].key_len && g[j].L == g[i].L &&
               memcmp(im->garena.p + g[j].key_off, im->garena.p + g[i].key_off, g[i].key_len) ==
                   0) {
            if (k < 256) {
                rr[k].data = im->garena.p + g[j].rd_off;
                rr[k].len = g[j].rd_len;
                k++;
            }
            ttl = g[j].ttl;
            j++;
        }
        char prefix[E2U_AUS_MAX + 130];
        memcpy(prefix, im->garena.p + g[i].key_off, g[i].key_len);
        prefix[g[i].key_len] = '\0';
        rc = e2u_store_put_block(w, z->origin, prefix, g[i].L, ttl, rr, k, &dg);
        if (rc < 0) {
            bad(im, g[i].line, "block +%s: %s", prefix, dg.msg);
            if (im->o->skip_bad && rc == E2U_EINVAL)
                rc = 0;
        }
        i = j;
    }
    free(rr);
    return rc;
}

/* CSV numbers whose names are ordinary names in the store: turned into name records. */
static int csv_collisions(wctx_t *c)
{
    imp_t *im = c->im;
    zinfo_t *z = &c->z->zi;
    int rc = 0;
    bool any = false;
    for (size_t i = 0; rc == 0 && i < im->nents; i++) {
        ent_t *e = &im->ents[i];
        if (!(e->offlen & 0xffff))
            continue;
        char d[E2U_STORE_MAX_DIGITS + 1];
        size_t nd = ent_digits(e, d);
        uint8_t owner[256], key[4 + 256], off[128];
        e2u__digits_name(owner, d, nd, z->origin, z->origin_len);
        e2u__labels(owner, off);
        size_t kl = e2u__name_key(key, z->tag, z->taglen, owner, off, (unsigned)nd);
        MDB_val k = {kl, key}, v;
        if (mdb_get(c->w->txn, im->s->dbi[DB_NAMES], &k, &v) != 0)
            continue;
        int bl = mem_expand(im, im->vals.p + (e->offlen >> 16), e->offlen & 0xffff, d, nd, c->bufa,
                            E2U_STORE_BUF_MIN);
        if (bl < 0)
            return bl;
        e2u_store_rrset_t rs;
        size_t pos = 0;
        if (e2u_store_rrset_next(c->bufa, (size_t)bl, &pos, &rs)) {
            size_t rp = 0;
            const uint8_t *rd;
            uint16_t rl;
            while (rc == 0 && e2u_store_rdata_next(&rs, &rp, &rd, &rl))
                rc = grecs_add(im, &im->names, key + z->taglen, kl - z->taglen,
                               E2U_STORE_TYPE_NAPTR, rs.ttl, 0, rd, rl, 0);
        }
        ent_drop(im, e);
        any = true;
    }
    if (any)
        grecs_sort(im, &im->names);
    return rc;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void imp_free(imp_t *im)
{
    free(im->ents);
    e2u__buf_free(&im->vals);
    e2u__buf_free(&im->grd);
    free(im->grecs);
    free(im->mt);
    free(im->mtidx);
    e2u__buf_free(&im->tarena);
    e2u__tbuild_free(&im->tb);
    free(im->names.r);
    free(im->blocks.r);
    e2u__buf_free(&im->garena);
}

static bool ends_csv(const char *p)
{
    size_t n = strlen(p);
    return n >= 4 && strcasecmp(p + n - 4, ".csv") == 0;
}

/* A default SOA / NS for a zone made from CSV. */
static int default_apex(imp_t *im, uint8_t *soa, size_t *soalen, uint8_t ns[][256], size_t *nns)
{
    const e2u_store_import_opts_t *o = im->o;
    char otext[E2U_DNAME_TEXT_MAX];
    e2u_dname_to_text(otext, sizeof(otext), NULL, im->origin, im->origin_len);
    char soat[2 * E2U_DNAME_TEXT_MAX + 128];
    if (o->soa)
        snprintf(soat, sizeof(soat), "%s", o->soa);
    else
        snprintf(soat, sizeof(soat), "ns1.%s hostmaster.%s 1 7200 3600 1209600 300",
                 strcmp(otext, ".") ? otext : "", strcmp(otext, ".") ? otext : "");
    zs_scanner_t *sc = malloc(sizeof(*sc));
    if (!sc)
        return E2U_ENOMEM;
    char line[sizeof(soat) + 32];
    snprintf(line, sizeof(line), "@ 3600 IN SOA %s\n", soat);
    int rc = 0;
    if (zs_init(sc, otext, 1, 3600) != 0 || zs_set_input_string(sc, line, strlen(line)) != 0 ||
        zs_parse_record(sc) != 0 || sc->state != ZS_STATE_DATA || sc->r_type != 6) {
        rc = e2u__sdiag(im->diag, E2U_EINVAL, 0, "--soa '%s' is not valid SOA RDATA", soat);
    } else {
        memcpy(soa, sc->r_data, sc->r_data_length);
        *soalen = sc->r_data_length;
    }
    zs_deinit(sc);
    free(sc);
    if (rc < 0)
        return rc;
    size_t k = 0;
    size_t nn = o->ns ? o->nns : 1;
    for (size_t i = 0; i < nn && k < 16; i++) {
        char t[E2U_DNAME_TEXT_MAX + 8];
        if (o->ns)
            snprintf(t, sizeof(t), "%s", o->ns[i]);
        else
            snprintf(t, sizeof(t), "ns1");
        size_t wl;
        e2u_diag_t dg;
        if (e2u_dname_from_text(ns[k], 256, &wl, t, strlen(t), im->origin, &dg) < 0)
            return e2u__sdiag(im->diag, E2U_EINVAL, 0, "--ns '%s': %s", t, dg.msg);
        k++;
    }
    *nns = k;
    return 0;
}

int e2u_store_import(e2u_store_t *s, const char *path, const e2u_store_import_opts_t *opts,
                     e2u_store_import_stats_t *st, e2u_diag_t *diag)
{
    e2u_store_import_opts_t dflt = {0};
    e2u_store_import_stats_t dst;
    if (!opts)
        opts = &dflt;
    if (!st)
        st = &dst;
    memset(st, 0, sizeof(*st));
    if (!s || !path)
        return e2u__sdiag(diag, E2U_EINVAL, 0, "no store or file");
    if (s->read_only)
        return e2u__sdiag(diag, E2U_EINVAL, 0, "the store is open read-only");
    imp_t im;
    memset(&im, 0, sizeof(im));
    im.s = s;
    im.o = opts;
    im.file = path;
    im.diag = diag;
    im.sorted = true;
    e2u__tbuild_init(&im.tb);
    im.zone_file = opts->format == E2U_STORE_FORMAT_ZONE ||
                   (opts->format == E2U_STORE_FORMAT_AUTO && !ends_csv(path));
    int rc = 0;
    if (opts->zone) {
        uint8_t w[256];
        size_t wl;
        e2u_diag_t dg;
        if (e2u_dname_from_text(w, sizeof(w), &wl, opts->zone, strlen(opts->zone), NULL, &dg) < 0) {
            imp_free(&im);
            return e2u__sdiag(diag, E2U_EINVAL, 0, "zone '%s': %s", opts->zone, dg.msg);
        }
        set_origin(&im, w);
    } else if (!im.zone_file) {
        /* CSV without a zone: the store's only zone */
        e2u_store_rd_t *rd;
        const e2u_store_zone_t *zs;
        size_t nz = 0;
        if (e2u_store_read_begin(s, &rd) == 0) {
            e2u_store_zones(rd, &zs, &nz);
            if (nz == 1)
                set_origin(&im, zs[0].origin);
            e2u_store_read_end(rd);
        }
        if (nz != 1) {
            imp_free(&im);
            return e2u__sdiag(diag, E2U_EINVAL, 0,
                              "the store holds %zu zones: say which with --zone", nz);
        }
    }

    /* CSV records take the zone's default TTL unless one is given */
    im.csv_ttl = opts->default_ttl ? opts->default_ttl : 3600;
    if (!im.zone_file && !opts->default_ttl) {
        e2u_store_rd_t *rd;
        const e2u_store_zone_t *z;
        if (e2u_store_read_begin(s, &rd) == 0) {
            if (e2u_store_zone_get(rd, im.origin, &z) == 0)
                im.csv_ttl = z->default_ttl;
            e2u_store_read_end(rd);
        }
    }

    double t0 = now_s();
    rc = im.zone_file ? parse_zone(&im, path) : parse_csv(&im, path);
    if (rc == 0)
        rc = group_close(&im);
    if (rc == 0 && !im.sorted && im.nents > 1) {
        qsort(im.ents, im.nents, sizeof(ent_t), ent_cmp);
        rc = merge_dups(&im);
    }
    if (rc == 0) {
        grecs_sort(&im, &im.names);
        grecs_sort(&im, &im.blocks);
        rc = resolve_conflicts(&im);
    }
    st->lines = im.lines;
    st->records = im.records;
    st->bad = im.bad;
    st->parse_s = now_s() - t0;
    if (rc < 0) {
        imp_free(&im);
        return rc;
    }
    if (im.bad && !opts->skip_bad) {
        imp_free(&im);
        return e2u__sdiag(diag, E2U_ESYNTAX, 0,
                          "%s: %llu bad line%s; nothing was imported (--skip-bad imports the "
                          "good ones)",
                          path, (unsigned long long)im.bad, im.bad == 1 ? "" : "s");
    }
    if (!im.have_origin) {
        imp_free(&im);
        return e2u__sdiag(diag, E2U_EINVAL, 0, "%s: no SOA record and no zone given", path);
    }

    /* --- write --- */
    t0 = now_s();
    e2u_store_txn_t *w;
    rc = e2u_store_write_begin(s, &w);
    if (rc < 0) {
        imp_free(&im);
        return e2u__sdiag(diag, rc, 0, "%s", e2u__last_err()->msg);
    }
    wctx_t c = {&im, w, NULL, NULL, true, {0}, NULL, NULL};
    c.bufa = malloc(E2U_STORE_BUF_MIN);
    c.bufb = malloc(E2U_STORE_BUF_MIN);
    if (!c.bufa || !c.bufb)
        rc = E2U_ENOMEM;
    wzone_t *wz = rc == 0 ? e2u__wzone(w, im.origin) : NULL;
    if (rc == 0 && !wz && !w->zones_loaded)
        rc = E2U_ESTORE;
    if (rc == 0 && !wz) {
        /* a new zone */
        uint8_t soa[E2U__SOA_MAX];
        size_t soalen = 0;
        uint8_t ns[16][256];
        size_t nns = 0;
        const uint8_t *nsp[16];
        uint32_t sttl = 3600;
        if (im.zone_file) {
            if (!im.have_soa) {
                rc = e2u__sdiag(diag, E2U_EINVAL, 0,
                                "%s: the zone does not exist and the file "
                                "has no SOA record",
                                path);
            } else {
                memcpy(soa, im.soa, im.soa_len);
                soalen = im.soa_len;
                sttl = im.soa_ttl;
            }
        } else {
            rc = default_apex(&im, soa, &soalen, ns, &nns);
        }
        for (size_t i = 0; i < nns; i++)
            nsp[i] = ns[i];
        uint32_t dttl = opts->default_ttl ? opts->default_ttl
                                          : (im.zone_file && im.file_ttl ? im.file_ttl : 3600);
        if (rc == 0)
            rc = e2u_store_zone_create(w, im.origin, soa, soalen, sttl, nsp, nns, dttl);
        if (rc == 0)
            wz = e2u__wzone(w, im.origin);
        if (rc == 0 && !wz)
            rc = E2U_ESTORE;
        st->created = true;
    }
    if (rc == 0) {
        c.z = wz;
        if (im.zone_file && !opts->merge && !im.have_soa)
            rc = e2u__sdiag(diag, E2U_EINVAL, 0,
                            "%s: a master file that replaces a zone needs its SOA record "
                            "(or use --merge)",
                            path);
    }
    if (rc == 0 && opts->merge) {
        if (opts->default_ttl)
            wz->zi.rec.default_ttl = opts->default_ttl;
        rc = merge_all(&c);
    } else if (rc == 0) {
        c.ch = calloc(1, sizeof(*c.ch));
        if (!c.ch)
            rc = E2U_ENOMEM;
        if (rc == 0) {
            wz->ch = c.ch;
            wz->bulk = true;
            wz->dirty = true;
            if (wz->created) {
                c.collect = false;
                c.ch->reset = true;
            }
            if (im.zone_file)
                wz->soa_set = true;
            if (opts->default_ttl)
                wz->zi.rec.default_ttl = opts->default_ttl;
        }
        /* numbers that ordinary names of the store already are (a NAPTR beside a TXT):
         * they go through the name, whose NAPTR RRset they replace */
        if (rc == 0 && !im.zone_file && wz->zi.rec.digit_names)
            rc = csv_collisions(&c);
        if (rc == 0)
            rc = intern_templates(&c);
        if (rc == 0)
            rc = numbers_replace(&c);
        if (rc == 0)
            rc = blocks_replace(&c);
        if (rc == 0 && im.zone_file)
            rc = names_replace(&c);
        else if (rc == 0 && im.names.n) {
            /* CSV: names beside numbers (the apex, very long numbers) go one by one */
            size_t save = im.nents;
            im.nents = 0;
            bool had = im.have_soa;
            im.have_soa = false;
            wz->bulk = false;
            size_t nb = im.blocks.n;
            im.blocks.n = 0;
            rc = merge_all(&c);
            im.blocks.n = nb;
            wz->bulk = true;
            im.have_soa = had;
            im.nents = save;
        }
    }
    st->write_s = now_s() - t0;
    if (rc == 0 && opts->on_written)
        rc = opts->on_written(opts->arg);
    /* != 0, not < 0: any nonzero value of the hook aborts (store.h), and a positive one must
     * not go on to the commit with the template references unreleased */
    if (rc != 0) {
        if (diag && e2u__last_err()->code == rc && rc != E2U_ESYNTAX)
            *diag = *e2u__last_err();
        else if (diag && diag->code != rc)
            e2u__sdiag(diag, rc, 0, "%s: %s", path, e2u_strerror(rc));
        e2u_store_write_abort(w);
        free(c.bufa);
        free(c.bufb);
        e2u__u32map_free(&c.unref);
        imp_free(&im);
        return rc;
    }
    /* release the old numbers' template references */
    for (size_t i = 0; rc == 0 && i < c.unref.cap; i++)
        if (c.unref.keys[i])
            rc = e2u__tmpl_unref(w, c.unref.keys[i] - 1, c.unref.vals[i]);
    free(c.bufa);
    free(c.bufb);
    e2u__u32map_free(&c.unref);
    uint64_t numbers = wz->zi.rec.numbers, blocks = wz->zi.rec.blocks, names = wz->zi.rec.names;
    t0 = now_s();
    if (rc < 0) {
        e2u_store_write_abort(w);
        imp_free(&im);
        return rc;
    }
    rc = e2u_store_write_commit(w, diag);
    st->commit_s = now_s() - t0;
    imp_free(&im);
    if (rc < 0)
        return rc;
    st->numbers = numbers;
    st->blocks = blocks;
    st->names = names;
    e2u_store_rd_t *rd;
    if (e2u_store_read_begin(s, &rd) == 0) {
        e2u_store_stats_t ss;
        if (e2u_store_stats(rd, &ss) == 0)
            st->templates = ss.templates;
        const e2u_store_zone_t *z;
        uint8_t o[256];
        memcpy(o, im.origin, im.origin_len);
        if (e2u_store_zone_get(rd, o, &z) == 0)
            st->serial = z->serial;
        e2u_store_read_end(rd);
    }
    return 0;
}
