/*
 * lib/core/naptr.c — NAPTR RDATA (RFC 3403 §4.1) between wire form, a view, and master-file text.
 *
 * Wire form is canonical. The wire parser reads through a bounded cursor whose error sticks once
 * raised (the habit of Knot's wire_ctx): every field is read, then the error is checked once, so
 * no path can forget a length check. A view never copies: its strings point into the RDATA.
 *
 * Master-file text follows RFC 1035 §5.1: fields are separated by white space; parentheses
 * group lines and ';' starts a comment; a <character-string> is quoted or a bare token; inside
 * either, "\X" stands for X and "\DDD" for the octet DDD. The regexp of RFC 6116 §4's example is
 * therefore written "!^(\\+441632960083)$!sip:\\1@example.com!" in a zone file and carries a
 * single backslash on the wire. RFC 3597's "\# LENGTH HEX" generic form is accepted as well.
 */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "e2u/dname.h"
#include "e2u/naptr.h"

/* --- wire ------------------------------------------------------------------------------------ */

typedef struct rd {
    const uint8_t *p;
    size_t left;
    size_t pos;
    const char *err; /* the first failure, sticky */
} rd_t;

static uint16_t rd_u16(rd_t *r, const char *what)
{
    if (r->err)
        return 0;
    if (r->left < 2) {
        r->err = what;
        return 0;
    }
    uint16_t v = (uint16_t)((r->p[0] << 8) | r->p[1]);
    r->p += 2;
    r->left -= 2;
    r->pos += 2;
    return v;
}

/* A <character-string>: one length octet, then that many octets. */
static const char *rd_cstr(rd_t *r, uint8_t *len, const char *what)
{
    *len = 0;
    if (r->err)
        return NULL;
    if (r->left < 1 || r->left < 1u + r->p[0]) {
        r->err = what;
        return NULL;
    }
    *len = r->p[0];
    const char *s = (const char *)r->p + 1;
    r->p += 1u + *len;
    r->left -= 1u + *len;
    r->pos += 1u + *len;
    return s;
}

int e2u_naptr_parse_wire(e2u_naptr_t *out, const uint8_t *rdata, size_t len, e2u_diag_t *diag)
{
    rd_t r = {rdata, len, 0, NULL};
    if (!out || (!rdata && len))
        return e2u__diag(diag, E2U_EINVAL, 0, "no RDATA given");
    memset(out, 0, sizeof(*out));
    out->order = rd_u16(&r, "ORDER");
    out->preference = rd_u16(&r, "PREFERENCE");
    out->flags = rd_cstr(&r, &out->flags_len, "FLAGS");
    out->services = rd_cstr(&r, &out->services_len, "SERVICES");
    out->regexp = rd_cstr(&r, &out->regexp_len, "REGEXP");
    if (r.err)
        return e2u__diag(diag, E2U_ENAPTR, r.pos, "RDATA ends inside the %s field (%zu octets)",
                         r.err, len);
    int n = e2u_dname_wire_len(r.p, r.left);
    if (n < 0)
        return e2u__diag(diag, E2U_ENAPTR, r.pos,
                         "malformed REPLACEMENT name at octet %zu (truncated, over 255 octets, "
                         "or compressed)",
                         r.pos);
    if ((size_t)n != r.left)
        return e2u__diag(diag, E2U_ENAPTR, r.pos + (size_t)n,
                         "%zu octets after the REPLACEMENT name", r.left - (size_t)n);
    out->replacement = r.p;
    out->replacement_len = (uint16_t)n;
    return 0;
}

int e2u_naptr_write_wire(const e2u_naptr_t *n, uint8_t *buf, size_t cap, size_t *len)
{
    if (!n || !buf)
        return E2U_EINVAL;
    const uint8_t root[1] = {0};
    const uint8_t *repl = n->replacement ? n->replacement : root;
    int rl = e2u_dname_wire_len(repl, n->replacement ? n->replacement_len : 1);
    if (rl < 0)
        return E2U_ENAPTR;
    size_t need = 4u + 3u + n->flags_len + n->services_len + n->regexp_len + (size_t)rl;
    if (need > cap)
        return E2U_ENOSPC;
    uint8_t *p = buf;
    *p++ = (uint8_t)(n->order >> 8);
    *p++ = (uint8_t)n->order;
    *p++ = (uint8_t)(n->preference >> 8);
    *p++ = (uint8_t)n->preference;
    *p++ = n->flags_len;
    if (n->flags_len)
        memcpy(p, n->flags, n->flags_len);
    p += n->flags_len;
    *p++ = n->services_len;
    if (n->services_len)
        memcpy(p, n->services, n->services_len);
    p += n->services_len;
    *p++ = n->regexp_len;
    if (n->regexp_len)
        memcpy(p, n->regexp, n->regexp_len);
    p += n->regexp_len;
    memcpy(p, repl, (size_t)rl);
    p += rl;
    if (len)
        *len = (size_t)(p - buf);
    return 0;
}

/* --- text ------------------------------------------------------------------------------------ */

typedef struct lex {
    const char *s;
    size_t len;
    size_t i;
    int depth; /* open parentheses */
} lex_t;

static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip white space, parentheses and comments. Returns false at the end of input. */
static bool lex_skip(lex_t *lx, e2u_diag_t *diag, int *rc)
{
    while (lx->i < lx->len) {
        unsigned char c = (unsigned char)lx->s[lx->i];
        if (is_blank(c)) {
            lx->i++;
        } else if (c == '(') {
            lx->depth++;
            lx->i++;
        } else if (c == ')') {
            if (lx->depth == 0) {
                *rc = e2u__diag(diag, E2U_ESYNTAX, lx->i, "unbalanced ')' at position %zu",
                                lx->i);
                return false;
            }
            lx->depth--;
            lx->i++;
        } else if (c == ';') {
            while (lx->i < lx->len && lx->s[lx->i] != '\n')
                lx->i++;
        } else {
            return true;
        }
    }
    return false;
}

/* Read one <character-string> (quoted or bare) into out[255], unescaping. *olen is 0 on
 * failure: the lex_* functions set their outputs on every path, so that a caller never reads
 * an unset value (the analyzer cannot see across files that e2u__diag returns its code). */
static int lex_cstr(lex_t *lx, const char *field, uint8_t *out, uint8_t *olen, e2u_diag_t *diag)
{
    int rc = 0;
    *olen = 0;
    if (!lex_skip(lx, diag, &rc))
        return rc ? rc
                  : e2u__diag(diag, E2U_ENAPTR, lx->i, "missing %s field at position %zu", field,
                              lx->i);
    bool quoted = lx->s[lx->i] == '"';
    size_t start = lx->i;
    size_t n = 0;
    if (quoted)
        lx->i++;
    for (;;) {
        if (lx->i >= lx->len) {
            if (quoted)
                return e2u__diag(diag, E2U_ESYNTAX, start,
                                 "unterminated quoted %s field starting at position %zu", field,
                                 start);
            break;
        }
        unsigned char c = (unsigned char)lx->s[lx->i];
        if (quoted && c == '"') {
            lx->i++;
            break;
        }
        if (!quoted && (is_blank(c) || c == '(' || c == ')' || c == ';' || c == '"'))
            break;
        if (c == '\\') {
            if (lx->i + 1 >= lx->len)
                return e2u__diag(diag, E2U_ESYNTAX, lx->i, "'\\' at the end of the %s field",
                                 field);
            unsigned char d = (unsigned char)lx->s[lx->i + 1];
            if (e2u__is_digit(d)) {
                if (lx->i + 3 >= lx->len || !e2u__is_digit((unsigned char)lx->s[lx->i + 2]) ||
                    !e2u__is_digit((unsigned char)lx->s[lx->i + 3]))
                    return e2u__diag(diag, E2U_ESYNTAX, lx->i,
                                     "\\DDD escape needs three digits at position %zu", lx->i);
                unsigned v = (unsigned)(d - '0') * 100u +
                             (unsigned)(lx->s[lx->i + 2] - '0') * 10u +
                             (unsigned)(lx->s[lx->i + 3] - '0');
                if (v > 255)
                    return e2u__diag(diag, E2U_ESYNTAX, lx->i,
                                     "\\DDD escape over 255 at position %zu", lx->i);
                c = (unsigned char)v;
                lx->i += 4;
            } else {
                c = d;
                lx->i += 2;
            }
        } else {
            lx->i++;
        }
        if (n == 255)
            return e2u__diag(diag, E2U_ENAPTR, start,
                             "%s field longer than 255 octets (starting at position %zu)", field,
                             start);
        out[n++] = c;
    }
    *olen = (uint8_t)n;
    return 0;
}

/* A bare token (number or name): its span, no unescaping (the caller does that). On failure
 * the span is NULL and empty. */
static int lex_token(lex_t *lx, const char *field, const char **tok, size_t *tlen, e2u_diag_t *diag)
{
    int rc = 0;
    *tok = NULL;
    *tlen = 0;
    if (!lex_skip(lx, diag, &rc))
        return rc ? rc
                  : e2u__diag(diag, E2U_ENAPTR, lx->i, "missing %s field at position %zu", field,
                              lx->i);
    size_t start = lx->i;
    while (lx->i < lx->len) {
        unsigned char c = (unsigned char)lx->s[lx->i];
        if (is_blank(c) || c == '(' || c == ')' || c == ';')
            break;
        if (c == '\\' && lx->i + 1 < lx->len)
            lx->i++;
        lx->i++;
    }
    *tok = lx->s + start;
    *tlen = lx->i - start;
    return 0;
}

/* A decimal number 0..65535; *v is 0 on failure. */
static int lex_u16(lex_t *lx, const char *field, uint16_t *v, e2u_diag_t *diag)
{
    const char *t;
    size_t tl;
    char ob[8];
    *v = 0;
    int rc = lex_token(lx, field, &t, &tl, diag);
    if (rc < 0)
        return rc;
    size_t pos = (size_t)(t - lx->s);
    unsigned long acc = 0;
    for (size_t k = 0; k < tl; k++) {
        if (!e2u__is_digit((unsigned char)t[k]))
            return e2u__diag(diag, E2U_ENAPTR, pos + k,
                             "%s must be a number from 0 to 65535: invalid character %s at "
                             "position %zu",
                             field, e2u__octet((unsigned char)t[k], ob), pos + k);
        acc = acc * 10u + (unsigned long)(t[k] - '0');
        if (acc > 65535)
            return e2u__diag(diag, E2U_ENAPTR, pos, "%s %.*s is over 65535 at position %zu",
                             field, (int)(tl > 12 ? 12 : tl), t, pos);
    }
    *v = (uint16_t)acc;
    return 0;
}

static int hexval(unsigned char c)
{
    if (e2u__is_digit(c))
        return c - '0';
    return (e2u__lower(c) - 'a') + 10;
}

/* RFC 3597 §5: "\#" LENGTH then the RDATA as hex, possibly split by white space. */
static int parse_generic(lex_t *lx, uint8_t *buf, size_t cap, size_t *len, e2u_diag_t *diag)
{
    uint16_t want;
    char ob[8];
    int rc = lex_u16(lx, "RDATA length", &want, diag);
    if (rc < 0)
        return rc;
    if (want > E2U_NAPTR_RDATA_MAX)
        return e2u__diag(diag, E2U_ENAPTR, lx->i,
                         "\\# length %u is longer than any NAPTR (%d octets)", want,
                         E2U_NAPTR_RDATA_MAX);
    if (want > cap)
        return e2u__diag(diag, E2U_ENOSPC, lx->i, "RDATA of %u octets does not fit", want);
    size_t got = 0;
    int half = -1;
    for (;;) {
        if (!lex_skip(lx, diag, &rc))
            break;
        unsigned char c = (unsigned char)lx->s[lx->i];
        if (!e2u__is_hex(c))
            return e2u__diag(diag, E2U_ESYNTAX, lx->i,
                             "invalid character %s in \\# hex data at position %zu",
                             e2u__octet(c, ob), lx->i);
        if (half < 0) {
            half = hexval(c);
        } else {
            if (got == want)
                return e2u__diag(diag, E2U_ENAPTR, lx->i,
                                 "more hex data than the declared %u octets", want);
            buf[got++] = (uint8_t)(half << 4 | hexval(c));
            half = -1;
        }
        lx->i++;
    }
    if (rc < 0)
        return rc;
    if (half >= 0)
        return e2u__diag(diag, E2U_ESYNTAX, lx->i, "odd number of hex digits in \\# data");
    if (got != want)
        return e2u__diag(diag, E2U_ENAPTR, lx->i, "\\# data has %zu octets, declared %u", got,
                         want);
    e2u_naptr_t v;
    e2u_diag_t wd;
    rc = e2u_naptr_parse_wire(&v, buf, got, &wd);
    if (rc < 0)
        return e2u__diag(diag, rc, lx->i, "\\# data is not a NAPTR: %s", wd.msg);
    *len = got;
    return 0;
}

int e2u_naptr_parse_text(uint8_t *buf, size_t cap, size_t *len, const char *text, size_t tlen,
                         const uint8_t *origin, e2u_diag_t *diag)
{
    lex_t lx = {text, tlen, 0, 0};
    e2u_naptr_t n;
    uint8_t f[3][255];
    uint8_t fl[3];
    uint8_t name[E2U_DNAME_MAX];
    size_t namelen;
    const char *t;
    size_t tl;
    int rc;

    if (!buf || !len || (!text && tlen))
        return e2u__diag(diag, E2U_EINVAL, 0, "no RDATA text given");
    rc = 0;
    if (lex_skip(&lx, diag, &rc) && lx.len - lx.i >= 2 && text[lx.i] == '\\' &&
        text[lx.i + 1] == '#' && (lx.len - lx.i == 2 || is_blank((unsigned char)text[lx.i + 2]))) {
        lx.i += 2;
        rc = parse_generic(&lx, buf, cap, len, diag);
        if (rc == 0 && lx.depth)
            return e2u__diag(diag, E2U_ESYNTAX, lx.i, "unbalanced '(' in RDATA");
        return rc;
    }
    if (rc < 0)
        return rc;
    memset(&n, 0, sizeof(n));
    if ((rc = lex_u16(&lx, "ORDER", &n.order, diag)) < 0 ||
        (rc = lex_u16(&lx, "PREFERENCE", &n.preference, diag)) < 0 ||
        (rc = lex_cstr(&lx, "FLAGS", f[0], &fl[0], diag)) < 0 ||
        (rc = lex_cstr(&lx, "SERVICES", f[1], &fl[1], diag)) < 0 ||
        (rc = lex_cstr(&lx, "REGEXP", f[2], &fl[2], diag)) < 0 ||
        (rc = lex_token(&lx, "REPLACEMENT", &t, &tl, diag)) < 0)
        return rc;
    size_t rpos = (size_t)(t - text);
    e2u_diag_t nd;
    rc = e2u_dname_from_text(name, sizeof(name), &namelen, t, tl, origin, &nd);
    if (rc < 0)
        return e2u__diag(diag, E2U_ENAPTR, rpos + nd.pos, "REPLACEMENT: %s", nd.msg);
    rc = 0;
    if (lex_skip(&lx, diag, &rc))
        return e2u__diag(diag, E2U_ESYNTAX, lx.i,
                         "unexpected text after the REPLACEMENT field at position %zu", lx.i);
    if (rc < 0)
        return rc;
    if (lx.depth)
        return e2u__diag(diag, E2U_ESYNTAX, lx.i, "unbalanced '(' in RDATA");
    n.flags = (const char *)f[0];
    n.flags_len = fl[0];
    n.services = (const char *)f[1];
    n.services_len = fl[1];
    n.regexp = (const char *)f[2];
    n.regexp_len = fl[2];
    n.replacement = name;
    n.replacement_len = (uint16_t)namelen;
    rc = e2u_naptr_write_wire(&n, buf, cap, len);
    if (rc < 0)
        return e2u__diag(diag, rc, 0, "%s", e2u_strerror(rc));
    return 0;
}

/* Append a quoted character-string with '"' and '\' escaped and unprintables as \DDD. */
static bool put_cstr(char *buf, size_t cap, size_t *o, const char *s, size_t len)
{
    if (*o + 1 >= cap)
        return false;
    buf[(*o)++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e) {
            if (*o + 4 >= cap)
                return false;
            buf[(*o)++] = '\\';
            buf[(*o)++] = (char)('0' + c / 100);
            buf[(*o)++] = (char)('0' + (c / 10) % 10);
            buf[(*o)++] = (char)('0' + c % 10);
        } else {
            if (c == '"' || c == '\\') {
                if (*o + 1 >= cap)
                    return false;
                buf[(*o)++] = '\\';
            }
            if (*o + 1 >= cap)
                return false;
            buf[(*o)++] = (char)c;
        }
    }
    if (*o + 2 >= cap)
        return false;
    buf[(*o)++] = '"';
    buf[(*o)++] = ' ';
    return true;
}

int e2u_naptr_format_text(const e2u_naptr_t *n, char *buf, size_t cap, size_t *tlen)
{
    size_t o = 0, nl;
    if (!n || !buf || cap == 0)
        return E2U_EINVAL;
    int k = snprintf(buf, cap, "%u %u ", n->order, n->preference);
    if (k < 0 || (size_t)k >= cap)
        return E2U_ENOSPC;
    o = (size_t)k;
    if (!put_cstr(buf, cap, &o, n->flags, n->flags_len) ||
        !put_cstr(buf, cap, &o, n->services, n->services_len) ||
        !put_cstr(buf, cap, &o, n->regexp, n->regexp_len))
        return E2U_ENOSPC;
    const uint8_t root[1] = {0};
    int rc = e2u_dname_to_text(buf + o, cap - o, &nl, n->replacement ? n->replacement : root,
                               n->replacement ? n->replacement_len : 1);
    if (rc == E2U_EDNAME)
        return E2U_ENAPTR;
    if (rc < 0)
        return rc;
    o += nl;
    if (tlen)
        *tlen = o;
    return 0;
}
