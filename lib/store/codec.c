/*
 * lib/store/codec.c — the byte-level encodings of the store: ordered varints, BCD number keys,
 * name keys, RRsets blobs and the zone record (internal.h describes each layout).
 *
 * Two properties carry the whole design and are kept here: keys sort the way the lookups need
 * (a zone's keys are one range; a digit prefix sorts before its extensions, so "anything below
 * this name" is a range scan), and every decoder checks lengths against what it was given,
 * because the bytes come from a file that a crash, a bug or an attacker could have damaged.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <libknot/libknot.h>

#include "store/internal.h"

int e2u__sdiag(e2u_diag_t *diag, int code, size_t pos, const char *fmt, ...)
{
    if (diag) {
        va_list ap;
        diag->code = code;
        diag->pos = pos;
        va_start(ap, fmt);
        int n = vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
        va_end(ap);
        if (n < 0)
            diag->msg[0] = '\0';
    }
    return code;
}

/* --- ordered varints ---------------------------------------------------------------------------
 */

#define OV2   0x80u
#define OV3   (OV2 + 0x4000u)
#define OV4   (OV3 + 0x200000u)
#define OVMAX (OV4 + 0x10000000u - 1u)

size_t e2u__ov_put(uint8_t *p, uint32_t v)
{
    if (v < OV2) {
        p[0] = (uint8_t)v;
        return 1;
    }
    if (v < OV3) {
        v -= OV2;
        p[0] = (uint8_t)(0x80 | (v >> 8));
        p[1] = (uint8_t)v;
        return 2;
    }
    if (v < OV4) {
        v -= OV3;
        p[0] = (uint8_t)(0xc0 | (v >> 16));
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)v;
        return 3;
    }
    if (v > OVMAX)
        v = OVMAX; /* ids never get there: 2^28 templates or zones */
    v -= OV4;
    p[0] = (uint8_t)(0xe0 | (v >> 24));
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return 4;
}

size_t e2u__ov_get(const uint8_t *p, size_t len, uint32_t *v)
{
    if (len < 1)
        return 0;
    uint8_t b = p[0];
    if (b < 0x80) {
        *v = b;
        return 1;
    }
    if (b < 0xc0) {
        if (len < 2)
            return 0;
        *v = OV2 + ((uint32_t)(b & 0x3f) << 8 | p[1]);
        return 2;
    }
    if (b < 0xe0) {
        if (len < 3)
            return 0;
        *v = OV3 + ((uint32_t)(b & 0x1f) << 16 | (uint32_t)p[1] << 8 | p[2]);
        return 3;
    }
    if (b < 0xf0) {
        if (len < 4)
            return 0;
        *v = OV4 + ((uint32_t)(b & 0x0f) << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
        return 4;
    }
    return 0;
}

/* --- BCD keys ----------------------------------------------------------------------------------
 */

size_t e2u__bcd_key(uint8_t *out, const char *digits, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 2) {
        uint8_t hi = (uint8_t)(digits[i] - '0' + 1);
        uint8_t lo = (i + 1 < n) ? (uint8_t)(digits[i + 1] - '0' + 1) : 0;
        out[o++] = (uint8_t)(hi << 4 | lo);
    }
    return o;
}

int e2u__bcd_digits(char *out, const uint8_t *key, size_t len)
{
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t hi = key[i] >> 4, lo = key[i] & 0x0f;
        if (hi < 1 || hi > 10)
            return -1;
        out[n++] = (char)('0' + hi - 1);
        if (lo == 0) {
            if (i + 1 != len)
                return -1;
            break;
        }
        if (lo > 10)
            return -1;
        out[n++] = (char)('0' + lo - 1);
    }
    out[n] = '\0';
    return n;
}

uint64_t e2u__hash64(const uint8_t *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* --- names -------------------------------------------------------------------------------------
 */

unsigned e2u__labels(const uint8_t *wire, uint8_t off[128])
{
    unsigned n = 0;
    size_t i = 0;
    while (wire[i] != 0 && n < 128) {
        off[n++] = (uint8_t)i;
        i += 1u + wire[i];
    }
    return n;
}

static inline uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
}

size_t e2u__dname_lower(uint8_t *out, const uint8_t *wire)
{
    size_t i = 0;
    for (;;) {
        uint8_t l = wire[i];
        out[i] = l;
        if (l == 0)
            return i + 1;
        for (size_t j = 1; j <= l; j++)
            out[i + j] = lower(wire[i + j]);
        i += 1u + l;
    }
}

size_t e2u__name_key(uint8_t *out, const uint8_t *tag, size_t taglen, const uint8_t *wire,
                     const uint8_t *off, unsigned nrel)
{
    size_t o = taglen;
    memcpy(out, tag, taglen);
    for (unsigned i = nrel; i-- > 0;) {
        const uint8_t *l = wire + off[i];
        out[o++] = l[0];
        for (unsigned j = 1; j <= l[0]; j++)
            out[o++] = lower(l[j]);
    }
    return o;
}

bool e2u__name_digits(const uint8_t *wire, const uint8_t *off, unsigned nrel, char *digits)
{
    for (unsigned i = 0; i < nrel; i++) {
        const uint8_t *l = wire + off[i];
        if (l[0] != 1 || l[1] < '0' || l[1] > '9')
            return false;
        digits[nrel - 1 - i] = (char)l[1];
    }
    digits[nrel] = '\0';
    return true;
}

size_t e2u__origin_prefix(const uint8_t *origin, char *out, size_t cap)
{
    /* No room even for the NUL: cap - 1 below would wrap to a huge count. */
    if (cap == 0)
        return 0;
    uint8_t off[128];
    unsigned nl = e2u__labels(origin, off);
    unsigned k = 0;
    while (k < nl && origin[off[k]] == 1 && origin[off[k] + 1] >= '0' && origin[off[k] + 1] <= '9')
        k++;
    if (k + 1 > cap)
        k = (unsigned)cap - 1;
    for (unsigned i = 0; i < k; i++)
        out[k - 1 - i] = (char)origin[off[i] + 1];
    out[k] = '\0';
    return k;
}

size_t e2u__digits_name(uint8_t *out, const char *digits, size_t n, const uint8_t *origin,
                        size_t origin_len)
{
    if (2 * n + origin_len > 255)
        return 0;
    size_t o = 0;
    for (size_t i = n; i-- > 0;) {
        out[o++] = 1;
        out[o++] = (uint8_t)digits[i];
    }
    memcpy(out + o, origin, origin_len);
    return o + origin_len;
}

/* --- buffers and RRsets blobs ------------------------------------------------------------------
 */

int e2u__buf_reserve(e2u__buf_t *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    size_t nc = b->cap ? b->cap : 256;
    while (nc < b->len + more)
        nc *= 2;
    uint8_t *np = realloc(b->p, nc);
    if (!np)
        return E2U_ENOMEM;
    b->p = np;
    b->cap = nc;
    return 0;
}

void e2u__buf_free(e2u__buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static int rec_cmp(const void *a, const void *b)
{
    const e2u__rec_t *x = a, *y = b;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->rdata, y->rdata, m);
    if (c)
        return c;
    return (int)x->len - (int)y->len;
}

size_t e2u__recs_canon(e2u__rec_t *r, size_t n)
{
    if (n < 2)
        return n;
    qsort(r, n, sizeof(*r), rec_cmp);
    size_t o = 1;
    for (size_t i = 1; i < n; i++)
        if (rec_cmp(&r[i], &r[o - 1]) != 0)
            r[o++] = r[i];
    return o;
}

int e2u__blob_add_rrset(e2u__buf_t *b, uint16_t type, uint32_t ttl, const e2u__rec_t *r, size_t n)
{
    size_t size = 0;
    for (size_t i = 0; i < n; i++)
        size += 2u + r[i].len;
    if (n > 65535)
        return E2U_EINVAL;
    if (e2u__buf_reserve(b, 12 + size) < 0)
        return E2U_ENOMEM;
    uint8_t *p = b->p + b->len;
    e2u__put16(p, type);
    e2u__put32(p + 2, ttl);
    e2u__put16(p + 6, (uint16_t)n);
    e2u__put32(p + 8, (uint32_t)size);
    p += 12;
    for (size_t i = 0; i < n; i++) {
        e2u__put16(p, r[i].len);
        memcpy(p + 2, r[i].rdata, r[i].len);
        p += 2u + r[i].len;
    }
    b->len += 12 + size;
    return 0;
}

void e2u__rdata_canon(uint16_t type, uint8_t *rdata, uint16_t len)
{
    if (!knot_rrtype_should_be_lowercased(type))
        return;
    /* knot_rrset_rr_to_canonical works on a one-record rrset; build it around a copy. */
    _Alignas(8) uint8_t small[sizeof(knot_rdata_t) + 2048];
    uint8_t *rd = small;
    if (len > 2000) {
        rd = malloc(sizeof(knot_rdata_t) + (size_t)len + 2);
        if (!rd)
            return;
    }
    knot_rdata_t *kr = (knot_rdata_t *)rd;
    knot_rdata_init(kr, len, rdata);
    uint8_t owner[2] = {0, 0};
    knot_rrset_t rr;
    knot_rrset_init(&rr, owner, type, KNOT_CLASS_IN, 0);
    rr.rrs.count = 1;
    rr.rrs.size = knot_rdata_size(len);
    rr.rrs.rdata = kr;
    if (knot_rrset_rr_to_canonical(&rr) == KNOT_EOK)
        memcpy(rdata, kr->data, len);
    if (rd != small)
        free(rd);
}

bool e2u_store_rrset_next(const uint8_t *rrsets, size_t len, size_t *pos, e2u_store_rrset_t *out)
{
    size_t p = *pos;
    if (!rrsets || p + 12 > len)
        return false;
    const uint8_t *h = rrsets + p;
    uint32_t size = e2u__get32(h + 8);
    if (size > len - p - 12)
        return false;
    out->type = e2u__get16(h);
    out->ttl = e2u__get32(h + 2);
    out->count = e2u__get16(h + 6);
    out->rdata = h + 12;
    out->size = size;
    *pos = p + 12 + size;
    return true;
}

bool e2u_store_rdata_next(const e2u_store_rrset_t *rrset, size_t *pos, const uint8_t **rdata,
                          uint16_t *len)
{
    size_t p = *pos;
    if (p + 2 > rrset->size)
        return false;
    uint16_t l = e2u__get16(rrset->rdata + p);
    if (l > rrset->size - p - 2)
        return false;
    *rdata = rrset->rdata + p + 2;
    *len = l;
    *pos = p + 2 + l;
    return true;
}

int e2u__apex_soa(const uint8_t *apex, size_t len, uint32_t *ttl, const uint8_t **rdata,
                  uint16_t *rdlen)
{
    size_t pos = 0;
    e2u_store_rrset_t rs;
    while (e2u_store_rrset_next(apex, len, &pos, &rs)) {
        if (rs.type != E2U_STORE_TYPE_SOA)
            continue;
        size_t rp = 0;
        if (!e2u_store_rdata_next(&rs, &rp, rdata, rdlen) || *rdlen < 22)
            return E2U_ECORRUPT;
        *ttl = rs.ttl;
        return 0;
    }
    return E2U_ECORRUPT;
}

/* --- zone record -------------------------------------------------------------------------------
 */

void e2u__zrec_encode(const zrec_t *z, uint8_t out[ZREC_SIZE])
{
    out[0] = E2U__STORE_VERSION;
    e2u__put32(out + 1, z->id);
    out[5] = z->nbuf;
    e2u__put32(out + 6, z->default_ttl);
    uint64_t v[7] = {z->numbers, z->blocks, z->names, z->cuts, z->wild, z->digit_names, z->jseq};
    for (int i = 0; i < 7; i++)
        e2u__put64(out + 10 + 8 * i, v[i]);
}

int e2u__zrec_decode(zrec_t *z, const uint8_t *p, size_t len)
{
    if (len < ZREC_SIZE || p[0] != E2U__STORE_VERSION || p[5] > 1)
        return E2U_ECORRUPT;
    z->id = e2u__get32(p + 1);
    z->nbuf = p[5];
    z->default_ttl = e2u__get32(p + 6);
    uint64_t *v[7] = {&z->numbers, &z->blocks,      &z->names, &z->cuts,
                      &z->wild,    &z->digit_names, &z->jseq};
    for (int i = 0; i < 7; i++)
        *v[i] = e2u__get64(p + 10 + 8 * i);
    return 0;
}

void e2u__block_text(char *out, size_t cap, const char *prefix, size_t plen, unsigned length)
{
    size_t o = 0;
    if (cap < 2)
        return;
    out[o++] = '+';
    for (size_t i = 0; i < plen && o + 1 < cap; i++)
        out[o++] = prefix[i];
    if (length == 0) {
        if (o + 1 < cap)
            out[o++] = '*';
    } else {
        for (size_t i = plen; i < length && o + 1 < cap; i++)
            out[o++] = 'X';
    }
    out[o] = '\0';
}

/* --- u32 counting map --------------------------------------------------------------------------
 */

static size_t u32slot(uint32_t k, size_t cap)
{
    return (size_t)((k * 0x9e3779b1u) & (uint32_t)(cap - 1));
}

int e2u__u32map_add(e2u__u32map_t *m, uint32_t key, uint32_t add)
{
    if (key == UINT32_MAX)
        return E2U_EINVAL;
    if ((m->n + 1) * 2 > m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 64;
        uint32_t *nk = calloc(nc, sizeof(*nk)), *nv = calloc(nc, sizeof(*nv));
        if (!nk || !nv) {
            free(nk);
            free(nv);
            return E2U_ENOMEM;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i])
                continue;
            size_t j = u32slot(m->keys[i] - 1, nc);
            while (nk[j])
                j = (j + 1) & (nc - 1);
            nk[j] = m->keys[i];
            nv[j] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = nk;
        m->vals = nv;
        m->cap = nc;
    }
    size_t j = u32slot(key, m->cap);
    while (m->keys[j] && m->keys[j] != key + 1)
        j = (j + 1) & (m->cap - 1);
    if (!m->keys[j]) {
        m->keys[j] = key + 1;
        m->vals[j] = 0;
        m->n++;
    }
    m->vals[j] += add;
    return 0;
}

void e2u__u32map_free(e2u__u32map_t *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}
