/*
 * lib/store/tmpl.c — record templates: a NAPTR RRset stored once, with holes for what differs
 * from number to number.
 *
 * Number-portability data repeats itself: a million numbers carry a handful of record shapes,
 * and what varies is the number itself and one or two other numbers (the routing number of
 * RFC 4769's rn=, a subscriber id). So a number's RRset is cut into a template, shared by every
 * number with the same shape, and parameters, stored with the number:
 *
 *   "!^.*$!tel:+12155550123;npdi;rn=+12155550199!"  ->  "!^.*$!tel:+<owner>;npdi;rn=+<p0>!"
 *                                                        p0 = 12155550199 (1 + 6 octets)
 *
 * In the regexp every maximal run of at least four digits becomes a hole: the owner's own
 * number (or a tail of it, e.g. the national number) costs nothing, anything else is a
 * parameter, stored as BCD; equal runs within one RRset share one parameter. Shorter runs stay
 * literal (a port, "carrier8"): they rarely vary per number, and a literal costs nothing per
 * number. The cut is lossless by construction: expanding a template with the same owner and
 * parameters gives back the exact RDATA, whatever the regexp holds, because holes are chosen
 * only where the text equals what expansion writes back. Other fields (ORDER, PREFERENCE,
 * FLAGS, SERVICES, REPLACEMENT) are literal.
 *
 * Expansion runs on every lookup, so it is a straight copy with bounds checks against the
 * caller's buffer and against the RDATA limits; a template that would expand past them is
 * reported as corrupt rather than written.
 */
#include <stdlib.h>

#include "e2u/naptr.h"
#include "store/internal.h"

void e2u__tbuild_init(e2u__tbuild_t *tb)
{
    memset(tb, 0, sizeof(*tb));
}

void e2u__tbuild_free(e2u__tbuild_t *tb)
{
    e2u__buf_free(&tb->tmpl);
    e2u__buf_free(&tb->params);
}

#define HOLE_ESC   0xff
#define HOLE_LIT   0x00
#define HOLE_OWNER 0x01 /* + k: the owner without its first k digits, k <= 62 */
#define HOLE_PARAM 0x40 /* + i: parameter i, i <= 62 */

static int param_index(e2u__tbuild_t *tb, const char *run, size_t len)
{
    for (unsigned i = 0; i < tb->nparams; i++)
        if (tb->plen[i] == len && memcmp(tb->pval[i], run, len) == 0)
            return (int)i;
    if (tb->nparams >= TMPL_MAX_PARAMS)
        return E2U_ELIMIT;
    tb->pval[tb->nparams] = run;
    tb->plen[tb->nparams] = (uint8_t)len;
    return (int)tb->nparams++;
}

/* Template one regexp into b. */
static int regexp_tmpl(e2u__tbuild_t *tb, e2u__buf_t *b, const char *rx, size_t n,
                       const char *owner, size_t olen)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)rx[i];
        if (c >= '0' && c <= '9') {
            size_t j = i;
            while (j < n && rx[j] >= '0' && rx[j] <= '9')
                j++;
            size_t L = j - i;
            uint8_t hole[2] = {HOLE_ESC, 0};
            if (L >= 4 && owner && L <= olen && olen - L <= 62 &&
                memcmp(rx + i, owner + (olen - L), L) == 0) {
                hole[1] = (uint8_t)(HOLE_OWNER + (olen - L));
            } else if (L >= 4 && L <= 127) {
                int pi = param_index(tb, rx + i, L);
                if (pi < 0)
                    return pi;
                hole[1] = (uint8_t)(HOLE_PARAM + pi);
            }
            int rc = hole[1] ? e2u__buf_add(b, hole, 2) : e2u__buf_add(b, rx + i, L);
            if (rc < 0)
                return rc;
            i = j;
        } else if (c == HOLE_ESC) {
            uint8_t esc[2] = {HOLE_ESC, HOLE_LIT};
            if (e2u__buf_add(b, esc, 2) < 0)
                return E2U_ENOMEM;
            i++;
        } else {
            size_t j = i + 1;
            while (j < n && !(rx[j] >= '0' && rx[j] <= '9') && (unsigned char)rx[j] != HOLE_ESC)
                j++;
            if (e2u__buf_add(b, rx + i, j - i) < 0)
                return E2U_ENOMEM;
            i = j;
        }
    }
    return 0;
}

int e2u__tmpl_make(e2u__tbuild_t *tb, uint32_t ttl, const e2u__rec_t *recs, size_t n,
                   const char *owner, size_t olen)
{
    e2u__buf_t *b = &tb->tmpl;
    b->len = 0;
    tb->params.len = 0;
    tb->nparams = 0;
    /* never a NULL buffer, even without parameters: callers memcpy from it */
    if (e2u__buf_reserve(&tb->params, 1) < 0)
        return E2U_ENOMEM;
    if (n == 0 || n > TMPL_MAX_RECS)
        return E2U_ELIMIT;
    uint8_t hdr[8];
    e2u__put16(hdr, E2U_STORE_TYPE_NAPTR);
    e2u__put32(hdr + 2, ttl);
    hdr[6] = 0; /* nparams, patched below */
    hdr[7] = (uint8_t)n;
    if (e2u__buf_add(b, hdr, 8) < 0)
        return E2U_ENOMEM;
    for (size_t r = 0; r < n; r++) {
        e2u_naptr_t na;
        if (e2u_naptr_parse_wire(&na, recs[r].rdata, recs[r].len, NULL) < 0)
            return E2U_ENAPTR;
        size_t rstart = b->len;
        uint8_t f[2] = {0, 0};
        if (e2u__buf_add(b, f, 2) < 0) /* record size, patched */
            return E2U_ENOMEM;
        /* ORDER, PREFERENCE, FLAGS and SERVICES are the RDATA's first octets verbatim. */
        size_t fixed = 4u + 1u + na.flags_len + 1u + na.services_len;
        if (e2u__buf_add(b, recs[r].rdata, fixed) < 0)
            return E2U_ENOMEM;
        size_t rxstart = b->len;
        if (e2u__buf_add(b, f, 2) < 0) /* regexp template size, patched */
            return E2U_ENOMEM;
        int rc = regexp_tmpl(tb, b, na.regexp, na.regexp_len, owner, olen);
        if (rc < 0)
            return rc;
        e2u__put16(b->p + rxstart, (uint16_t)(b->len - rxstart - 2));
        if (e2u__buf_add(b, na.replacement, na.replacement_len) < 0)
            return E2U_ENOMEM;
        size_t rsize = b->len - rstart - 2;
        if (rsize > 65535)
            return E2U_ELIMIT;
        e2u__put16(b->p + rstart, (uint16_t)rsize);
    }
    b->p[6] = (uint8_t)tb->nparams;
    /* Parameters: a header octet (digit count) and the digits two to an octet. */
    for (unsigned i = 0; i < tb->nparams; i++) {
        uint8_t enc[1 + 64];
        size_t o = 0, L = tb->plen[i];
        enc[o++] = (uint8_t)L;
        for (size_t k = 0; k < L; k += 2) {
            uint8_t hi = (uint8_t)(tb->pval[i][k] - '0');
            uint8_t lo = (k + 1 < L) ? (uint8_t)(tb->pval[i][k + 1] - '0') : 0;
            enc[o++] = (uint8_t)(hi << 4 | lo);
        }
        if (e2u__buf_add(&tb->params, enc, o) < 0)
            return E2U_ENOMEM;
    }
    return 0;
}

int e2u__params_size(const uint8_t *p, size_t len, unsigned np)
{
    size_t o = 0;
    for (unsigned i = 0; i < np; i++) {
        if (o >= len)
            return -1;
        size_t L = p[o] & 0x7f;
        o += 1 + (L + 1) / 2;
        if (o > len)
            return -1;
    }
    return (int)o;
}

int e2u__tmpl_expand(const uint8_t *t, size_t tlen, const char *owner, size_t olen,
                     const uint8_t *params, size_t plen, uint8_t *out, size_t cap)
{
    if (tlen < 8)
        return E2U_ECORRUPT;
    unsigned np = t[6], nrec = t[7];
    const uint8_t *pp[TMPL_MAX_PARAMS + 1];
    uint8_t pl[TMPL_MAX_PARAMS + 1];
    size_t o = 0;
    for (unsigned i = 0; i < np; i++) {
        if (o >= plen)
            return E2U_ECORRUPT;
        pl[i] = params[o] & 0x7f;
        pp[i] = params + o + 1;
        o += 1u + (pl[i] + 1u) / 2u;
        if (o > plen)
            return E2U_ECORRUPT;
    }
    if (cap < 12)
        return E2U_ENOSPC;
    memcpy(out, t, 6); /* type, ttl */
    e2u__put16(out + 6, (uint16_t)nrec);
    size_t w = 12;
    size_t p = 8;
    for (unsigned r = 0; r < nrec; r++) {
        if (p + 2 > tlen)
            return E2U_ECORRUPT;
        size_t rsize = e2u__get16(t + p);
        p += 2;
        if (rsize > tlen - p || rsize < 7)
            return E2U_ECORRUPT;
        const uint8_t *rec = t + p, *rend = t + p + rsize;
        p += rsize;
        /* fixed part: 4 + flags + services */
        size_t fl = rec[4];
        if (5 + fl >= rsize)
            return E2U_ECORRUPT;
        size_t sl = rec[5 + fl];
        size_t fixed = 4 + 1 + fl + 1 + sl;
        if (fixed + 2 > rsize)
            return E2U_ECORRUPT;
        size_t rxl = e2u__get16(rec + fixed);
        const uint8_t *rx = rec + fixed + 2;
        if (rxl > (size_t)(rend - rx))
            return E2U_ECORRUPT;
        const uint8_t *repl = rx + rxl;
        size_t repl_len = (size_t)(rend - repl);
        /* rdlen(2) + fixed + the regexp's length octet; the rest is checked as it goes */
        if (w + 2 + fixed + 1 > cap)
            return E2U_ENOSPC;
        size_t rdstart = w;
        w += 2;
        memcpy(out + w, rec, fixed);
        w += fixed;
        size_t lenpos = w++;
        size_t rxw = 0;
        for (size_t i = 0; i < rxl;) {
            if (rx[i] != HOLE_ESC) {
                const uint8_t *e = memchr(rx + i, HOLE_ESC, rxl - i);
                size_t j = e ? (size_t)(e - rx) : rxl;
                size_t L = j - i;
                if (rxw + L > 255 || w + L > cap)
                    return rxw + L > 255 ? E2U_ECORRUPT : E2U_ENOSPC;
                memcpy(out + w, rx + i, L);
                w += L;
                rxw += L;
                i = j;
                continue;
            }
            if (i + 1 >= rxl)
                return E2U_ECORRUPT;
            uint8_t code = rx[i + 1];
            i += 2;
            if (code == HOLE_LIT) {
                if (rxw + 1 > 255 || w + 1 > cap)
                    return rxw + 1 > 255 ? E2U_ECORRUPT : E2U_ENOSPC;
                out[w++] = HOLE_ESC;
                rxw++;
            } else if (code < HOLE_PARAM) {
                size_t k = code - HOLE_OWNER;
                if (!owner || k > olen)
                    return E2U_ECORRUPT;
                size_t L = olen - k;
                if (rxw + L > 255 || w + L > cap)
                    return rxw + L > 255 ? E2U_ECORRUPT : E2U_ENOSPC;
                memcpy(out + w, owner + k, L);
                w += L;
                rxw += L;
            } else {
                unsigned pi = code - HOLE_PARAM;
                if (pi >= np)
                    return E2U_ECORRUPT;
                size_t L = pl[pi];
                if (rxw + L > 255 || w + L > cap)
                    return rxw + L > 255 ? E2U_ECORRUPT : E2U_ENOSPC;
                const uint8_t *d = pp[pi];
                for (size_t k = 0; k < L; k += 2) {
                    out[w++] = (uint8_t)('0' + (d[k / 2] >> 4));
                    if (k + 1 < L)
                        out[w++] = (uint8_t)('0' + (d[k / 2] & 0x0f));
                }
                rxw += L;
            }
        }
        out[lenpos] = (uint8_t)rxw;
        if (w + repl_len > cap)
            return E2U_ENOSPC;
        memcpy(out + w, repl, repl_len);
        w += repl_len;
        size_t rdlen = w - rdstart - 2;
        e2u__put16(out + rdstart, (uint16_t)rdlen);
    }
    if (p != tlen)
        return E2U_ECORRUPT;
    e2u__put32(out + 8, (uint32_t)(w - 12));
    return (int)w;
}
