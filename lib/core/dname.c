/*
 * lib/core/dname.c — domain names between presentation text and wire form.
 *
 * Text to wire is one pass that writes each label's octets after a reserved length byte and
 * patches the length when the label ends; escapes are RFC 1035 §5.1's "\X" (X literally) and
 * "\DDD" (a decimal octet, at most 255). Limits from RFC 1035 §2.3.4: 63 octets a label, 255 a
 * name, counted in wire form including the root label.
 *
 * Wire names handed to us come from DNS packets and RDATA, so every reader here walks with an
 * explicit remaining length and refuses compression pointers (RFC 3403 §4.1 forbids them in
 * NAPTR, and uncompressed names are all the core ever handles).
 */
#include <string.h>

#include "core/internal.h"
#include "e2u/dname.h"

int e2u_dname_wire_len(const uint8_t *wire, size_t len)
{
    size_t i = 0;
    if (!wire)
        return E2U_EDNAME;
    for (;;) {
        if (i >= len)
            return E2U_EDNAME;
        uint8_t l = wire[i];
        if (l & 0xc0)
            return E2U_EDNAME; /* compression pointer or extended label type */
        if (i + 1 + l > len || i + 1 + l > E2U_DNAME_MAX)
            return E2U_EDNAME;
        i += 1u + l;
        if (l == 0)
            return (int)i;
    }
}

int e2u_dname_from_text(uint8_t *wire, size_t cap, size_t *wlen, const char *text, size_t len,
                        const uint8_t *origin, e2u_diag_t *diag)
{
    char ob[8];
    size_t w = 0;     /* bytes written */
    size_t lpos = 0;  /* position of the current label's length byte */
    size_t llen = 0;  /* octets in the current label */
    size_t limit = cap < E2U_DNAME_MAX ? cap : E2U_DNAME_MAX;
    bool absolute = false;

    if (!wire || (!text && len))
        return e2u__diag(diag, E2U_EINVAL, 0, "no name given");
    if (len == 0)
        return e2u__diag(diag, E2U_EDNAME, 0, "empty domain name");

    if (len == 1 && text[0] == '@') {
        const uint8_t root[1] = {0};
        const uint8_t *o = origin ? origin : root;
        int ol = e2u_dname_wire_len(o, E2U_DNAME_MAX);
        if (ol < 0)
            return e2u__diag(diag, E2U_EDNAME, 0, "invalid origin");
        if ((size_t)ol > cap)
            return e2u__diag(diag, E2U_ENOSPC, 0, "name buffer too small");
        memcpy(wire, o, (size_t)ol);
        if (wlen)
            *wlen = (size_t)ol;
        return 0;
    }
    if (len == 1 && text[0] == '.') {
        if (cap < 1)
            return e2u__diag(diag, E2U_ENOSPC, 0, "name buffer too small");
        wire[0] = 0;
        if (wlen)
            *wlen = 1;
        return 0;
    }

    if (limit < 1)
        return e2u__diag(diag, E2U_ENOSPC, 0, "name buffer too small");
    w = 1; /* length byte of the first label */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '.') {
            if (llen == 0)
                return e2u__diag(diag, E2U_EDNAME, i, "empty label at position %zu", i);
            wire[lpos] = (uint8_t)llen;
            if (i + 1 == len) {
                absolute = true;
                break;
            }
            if (w >= limit)
                goto too_long;
            lpos = w++;
            llen = 0;
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= len)
                return e2u__diag(diag, E2U_EDNAME, i, "'\\' at the end of the name");
            if (e2u__is_digit((unsigned char)text[i + 1])) {
                if (i + 3 >= len || !e2u__is_digit((unsigned char)text[i + 2]) ||
                    !e2u__is_digit((unsigned char)text[i + 3]))
                    return e2u__diag(diag, E2U_EDNAME, i,
                                     "\\DDD escape needs three digits at position %zu", i);
                unsigned v = (unsigned)(text[i + 1] - '0') * 100u +
                             (unsigned)(text[i + 2] - '0') * 10u + (unsigned)(text[i + 3] - '0');
                if (v > 255)
                    return e2u__diag(diag, E2U_EDNAME, i,
                                     "\\DDD escape over 255 at position %zu", i);
                c = (unsigned char)v;
                i += 3;
            } else {
                c = (unsigned char)text[++i];
            }
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '(' ||
                   c == ')' || c == ';') {
            return e2u__diag(diag, E2U_EDNAME, i,
                             "invalid character %s in a domain name at position %zu (escape "
                             "it with '\\')",
                             e2u__octet(c, ob), i);
        }
        if (llen == E2U_LABEL_MAX)
            return e2u__diag(diag, E2U_EDNAME, i, "label longer than 63 octets at position %zu",
                             i);
        if (w >= limit)
            goto too_long;
        wire[w++] = c;
        llen++;
    }
    if (!absolute) {
        /* close the last label, then append the origin (or the root) */
        wire[lpos] = (uint8_t)llen;
        const uint8_t root[1] = {0};
        const uint8_t *o = origin ? origin : root;
        int ol = e2u_dname_wire_len(o, E2U_DNAME_MAX);
        if (ol < 0)
            return e2u__diag(diag, E2U_EDNAME, 0, "invalid origin");
        if (w + (size_t)ol > limit)
            goto too_long;
        memcpy(wire + w, o, (size_t)ol);
        w += (size_t)ol;
    } else {
        if (w >= limit)
            goto too_long;
        wire[w++] = 0;
    }
    if (wlen)
        *wlen = w;
    return 0;
too_long:
    if (cap < E2U_DNAME_MAX)
        return e2u__diag(diag, E2U_ENOSPC, 0, "name buffer too small");
    return e2u__diag(diag, E2U_EDNAME, 0, "domain name longer than 255 octets");
}

static bool needs_escape(uint8_t c)
{
    switch (c) {
    case '.': case '\\': case '"': case ';': case '(': case ')': case '@': case '$': case ' ':
        return true;
    default:
        return false;
    }
}

int e2u_dname_to_text(char *buf, size_t cap, size_t *tlen, const uint8_t *wire, size_t wlen)
{
    int n = e2u_dname_wire_len(wire, wlen);
    size_t o = 0;
    if (n < 0)
        return E2U_EDNAME;
    if (!buf || cap == 0)
        return E2U_ENOSPC;
    if (wire[0] == 0) {
        if (cap < 2)
            return E2U_ENOSPC;
        buf[0] = '.';
        buf[1] = '\0';
        if (tlen)
            *tlen = 1;
        return 0;
    }
    for (size_t i = 0; wire[i] != 0;) {
        uint8_t l = wire[i++];
        for (uint8_t k = 0; k < l; k++, i++) {
            uint8_t c = wire[i];
            if (c < 0x21 || c > 0x7e) {
                if (o + 4 >= cap)
                    return E2U_ENOSPC;
                buf[o++] = '\\';
                buf[o++] = (char)('0' + c / 100);
                buf[o++] = (char)('0' + (c / 10) % 10);
                buf[o++] = (char)('0' + c % 10);
            } else if (needs_escape(c)) {
                if (o + 2 >= cap)
                    return E2U_ENOSPC;
                buf[o++] = '\\';
                buf[o++] = (char)c;
            } else {
                if (o + 1 >= cap)
                    return E2U_ENOSPC;
                buf[o++] = (char)c;
            }
        }
        if (o + 1 >= cap)
            return E2U_ENOSPC;
        buf[o++] = '.';
    }
    buf[o] = '\0';
    if (tlen)
        *tlen = o;
    return 0;
}

bool e2u_dname_equal(const uint8_t *a, const uint8_t *b)
{
    for (;;) {
        if (*a != *b)
            return false;
        uint8_t l = *a;
        if (l == 0)
            return true;
        a++;
        b++;
        for (uint8_t i = 0; i < l; i++) {
            if (e2u__lower(a[i]) != e2u__lower(b[i]))
                return false;
        }
        a += l;
        b += l;
    }
}

unsigned e2u_dname_labels(const uint8_t *wire)
{
    unsigned n = 0;
    while (*wire) {
        n++;
        wire += 1u + *wire;
    }
    return n;
}

bool e2u_dname_is_subdomain(const uint8_t *sub, const uint8_t *parent)
{
    unsigned ls = e2u_dname_labels(sub), lp = e2u_dname_labels(parent);
    if (ls < lp)
        return false;
    for (unsigned i = 0; i < ls - lp; i++)
        sub += 1u + *sub;
    return e2u_dname_equal(sub, parent);
}
