/*
 * lib/core/number.c — written telephone numbers to the AUS, and the AUS to and from domains.
 *
 * Input is whatever a person or a program hands us, so the parser is a single left-to-right
 * pass with no backtracking and no copy beyond the digits it keeps:
 *
 *   [white space] [ "tel:" | "enum:" ] "+" digits-and-separators [ ";" parameters ] [white space]
 *
 * Separators are RFC 3966's visual separators '-', '.', '(' and ')' (§5.1.1) everywhere, plus
 * spaces in the bare written form ("+1 215 555 0123"), which is not a URI. In the URI forms the
 * parameters are checked for legal characters and otherwise ignored: a tel: URI's parameters do
 * not change the number, and draft-brandner-enum-uri §3.1 says an enum: URI's SHOULD be ignored.
 *
 * The leading '+' is required. RFC 6116 §2.4 builds the AUS from a full E.164 number, and a
 * number without its country code ("215 555 0123") cannot be turned into one without a dialling
 * plan e2u does not have; so it is an error that says so, never a guess.
 *
 * Domains: RFC 6116 §2.4 steps 2-4 (keep the digits, reverse them, dot-separate, append the
 * suffix). The reverse direction reads leading one-digit labels and leaves the rest as suffix.
 */
#include <string.h>

#include "core/internal.h"
#include "e2u/dname.h"
#include "e2u/number.h"

static unsigned max_digits_of(const e2u_number_opts_t *opts)
{
    unsigned m = opts ? opts->max_digits : 0;
    if (m == 0)
        return E2U_E164_MAX_DIGITS;
    return m > E2U_NUMBER_MAX_DIGITS ? E2U_NUMBER_MAX_DIGITS : m;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 3966 §3: paramchar = param-unreserved / unreserved / pct-encoded, plus the '=' and ';'
 * that separate pname, pvalue and parameters. */
static bool is_param_char(unsigned char c)
{
    if (e2u__is_alnum(c))
        return true;
    switch (c) {
    case '[': case ']': case '/': case ':': case '&': case '+': case '$': /* param-unreserved */
    case '-': case '_': case '.': case '!': case '~': case '*': case '\'': case '(': case ')':
    case '=': case ';':
        return true;
    default:
        return false;
    }
}

static int check_params(const char *s, size_t start, size_t end, e2u_diag_t *diag)
{
    char ob[8];
    /* s[start] is ';'. Each parameter needs a name. */
    for (size_t i = start; i < end; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ';') {
            if (i + 1 >= end || s[i + 1] == ';' || s[i + 1] == '=')
                return e2u__diag(diag, E2U_ENUMBER, i,
                                 "empty parameter name after ';' at position %zu", i);
            continue;
        }
        if (c == '%') {
            if (i + 2 >= end || !e2u__is_hex((unsigned char)s[i + 1]) ||
                !e2u__is_hex((unsigned char)s[i + 2]))
                return e2u__diag(diag, E2U_ENUMBER, i,
                                 "malformed %%-escape in parameters at position %zu", i);
            i += 2;
            continue;
        }
        if (!is_param_char(c))
            return e2u__diag(diag, E2U_ENUMBER, i,
                             "invalid character %s in parameters at position %zu",
                             e2u__octet(c, ob), i);
    }
    return 0;
}

int e2u_number_parse(e2u_number_t *out, const char *s, size_t len, const e2u_number_opts_t *opts,
                     e2u_diag_t *diag)
{
    char ob[8];
    unsigned maxd = max_digits_of(opts);
    size_t i = 0, end = len;
    bool uri = false;

    if (!out || (!s && len))
        return e2u__diag(diag, E2U_EINVAL, 0, "no number given");
    out->ndigits = 0;
    out->aus[0] = '\0';
    while (i < end && is_space((unsigned char)s[i]))
        i++;
    while (end > i && is_space((unsigned char)s[end - 1]))
        end--;
    if (i == end)
        return e2u__diag(diag, E2U_ENUMBER, i, "empty number");

    if (end - i >= 4 && e2u__ieqn(s + i, 4, "tel:", 4)) {
        uri = true;
        i += 4;
    } else if (end - i >= 5 && e2u__ieqn(s + i, 5, "enum:", 5)) {
        uri = true;
        i += 5;
    } else if (e2u__is_alpha((unsigned char)s[i])) {
        size_t j = i;
        while (j < end && (e2u__is_alnum((unsigned char)s[j]) || s[j] == '+' || s[j] == '-' ||
                           s[j] == '.'))
            j++;
        if (j < end && s[j] == ':')
            return e2u__diag(diag, E2U_ENUMBER, i,
                             "unsupported URI scheme '%.*s:' at position %zu: expected a number, "
                             "tel: or enum:",
                             (int)(j - i > 20 ? 20 : j - i), s + i, i);
    }
    if (i == end)
        return e2u__diag(diag, E2U_ENUMBER, i, "no number after the URI scheme");
    if (s[i] != '+') {
        if (e2u__is_digit((unsigned char)s[i]))
            return e2u__diag(diag, E2U_ENUMBER, i,
                             "missing '+' at position %zu: ENUM needs the full international "
                             "number, '+' and country code (RFC 6116 §2.4)",
                             i);
        return e2u__diag(diag, E2U_ENUMBER, i,
                         "invalid character %s at position %zu: a number starts with '+'",
                         e2u__octet((unsigned char)s[i], ob), i);
    }
    i++;

    unsigned nd = 0;
    size_t digits_end = end;
    for (; i < end; i++) {
        unsigned char c = (unsigned char)s[i];
        if (e2u__is_digit(c)) {
            if (nd == 0 && c == '0' && maxd <= E2U_E164_MAX_DIGITS)
                return e2u__diag(diag, E2U_ENUMBER, i,
                                 "country code starts with '0' at position %zu: no E.164 "
                                 "country code does",
                                 i);
            if (nd >= maxd)
                return e2u__diag(diag, E2U_ENUMBER, i,
                                 "too many digits: more than %u at position %zu%s", maxd, i,
                                 maxd == E2U_E164_MAX_DIGITS ? " (E.164 allows 15)" : "");
            out->aus[1 + nd++] = (char)c;
        } else if (e2u__is_visual_sep(c) || (!uri && c == ' ')) {
            continue;
        } else if (uri && c == ';') {
            digits_end = i;
            break;
        } else {
            return e2u__diag(diag, E2U_ENUMBER, i, "invalid character %s at position %zu",
                             e2u__octet(c, ob), i);
        }
    }
    if (nd == 0)
        return e2u__diag(diag, E2U_ENUMBER, i, "no digits after '+'");
    if (digits_end < end) {
        int rc = check_params(s, digits_end, end, diag);
        if (rc < 0)
            return rc;
    }
    out->aus[0] = '+';
    out->aus[1 + nd] = '\0';
    out->ndigits = (uint8_t)nd;
    return 0;
}

int e2u_number_from_digits(e2u_number_t *out, const char *digits, size_t len, unsigned max_digits)
{
    if (!out || !digits)
        return E2U_EINVAL;
    if (len > 0 && digits[0] == '+') {
        digits++;
        len--;
    }
    if (max_digits == 0)
        max_digits = E2U_E164_MAX_DIGITS;
    if (len == 0 || len > max_digits || len > E2U_NUMBER_MAX_DIGITS)
        return E2U_ENUMBER;
    for (size_t i = 0; i < len; i++) {
        if (!e2u__is_digit((unsigned char)digits[i]))
            return E2U_ENUMBER;
    }
    out->aus[0] = '+';
    memcpy(out->aus + 1, digits, len);
    out->aus[len + 1] = '\0';
    out->ndigits = (uint8_t)len;
    return 0;
}

int e2u_number_to_domain(const e2u_number_t *n, const char *suffix, char *buf, size_t cap,
                         size_t *outlen)
{
    uint8_t sw[E2U_DNAME_MAX];
    size_t swlen, slen;
    char stext[E2U_DNAME_TEXT_MAX];

    if (!n || n->ndigits == 0 || !buf)
        return E2U_EINVAL;
    if (!suffix)
        suffix = "e164.arpa";
    /* Validate the suffix and bring it to one canonical presentation with a trailing dot. */
    if (e2u_dname_from_text(sw, sizeof(sw), &swlen, suffix, strlen(suffix), NULL, NULL) < 0)
        return E2U_EDNAME;
    if (swlen + 2u * n->ndigits > E2U_DNAME_MAX)
        return E2U_EDNAME;
    if (e2u_dname_to_text(stext, sizeof(stext), &slen, sw, swlen) < 0)
        return E2U_EDNAME;
    bool root = (slen == 1); /* suffix "." */
    size_t need = 2u * n->ndigits + (root ? 0 : slen);
    if (need + 1 > cap)
        return E2U_ENOSPC;
    char *p = buf;
    for (int i = n->ndigits; i >= 1; i--) {
        *p++ = n->aus[i];
        *p++ = '.';
    }
    if (!root) {
        memcpy(p, stext, slen);
        p += slen;
    }
    *p = '\0';
    if (outlen)
        *outlen = (size_t)(p - buf);
    return 0;
}

/* Offsets in presentation text where each label starts (escapes skipped); returns the count. */
static unsigned label_starts(const char *s, size_t len, size_t *starts, unsigned max)
{
    unsigned n = 0;
    size_t i = 0;
    while (i < len && n < max) {
        if (len - i == 1 && s[i] == '.')
            break; /* the trailing dot */
        starts[n++] = i;
        while (i < len && s[i] != '.')
            i += (s[i] == '\\') ? (i + 1 < len && e2u__is_digit((unsigned char)s[i + 1]) ? 4 : 2)
                                 : 1;
        i++;
    }
    return n;
}

int e2u_number_from_domain(e2u_number_t *out, const char *domain, size_t len, const char *suffix,
                           const e2u_number_opts_t *opts, size_t *suffix_off, e2u_diag_t *diag)
{
    unsigned maxd = max_digits_of(opts);
    char rev[E2U_NUMBER_MAX_DIGITS];
    unsigned nd = 0;
    size_t soff = 0;
    uint8_t w[E2U_DNAME_MAX], sw[E2U_DNAME_MAX];
    size_t wlen, swlen;
    e2u_diag_t d;

    if (!out || (!domain && len))
        return e2u__diag(diag, E2U_EINVAL, 0, "no domain given");
    out->ndigits = 0;
    out->aus[0] = '\0';
    if (e2u_dname_from_text(w, sizeof(w), &wlen, domain, len, NULL, &d) < 0)
        return e2u__diag(diag, E2U_EDOMAIN, d.pos, "invalid domain name: %s", d.msg);

    if (suffix) {
        /* Everything before the suffix is the number: exactly those labels, each one digit
         * (a suffix may itself begin with digit labels, e.g. 1.e164.arpa). */
        if (e2u_dname_from_text(sw, sizeof(sw), &swlen, suffix, strlen(suffix), NULL, NULL) < 0)
            return e2u__diag(diag, E2U_EINVAL, 0, "invalid suffix '%s'", suffix);
        if (!e2u_dname_is_subdomain(w, sw))
            return e2u__diag(diag, E2U_EDOMAIN, 0, "domain does not end in the suffix %s",
                             suffix);
        unsigned k = e2u_dname_labels(w) - e2u_dname_labels(sw);
        size_t starts[128];
        unsigned nl = label_starts(domain, len, starts, 128);
        if (k == 0)
            return e2u__diag(diag, E2U_EDOMAIN, 0, "no digit labels before the suffix %s",
                             suffix);
        if (k > maxd)
            return e2u__diag(diag, E2U_ENUMBER, 0, "too many digit labels: more than %u", maxd);
        const uint8_t *p = w;
        for (unsigned i = 0; i < k; i++, p += 1u + *p) {
            size_t pos = i < nl ? starts[i] : 0;
            if (*p != 1 || !e2u__is_digit(p[1]))
                return e2u__diag(diag, E2U_EDOMAIN, pos,
                                 "label at position %zu is not a single digit", pos);
            rev[nd++] = (char)p[1];
        }
        soff = k < nl ? starts[k] : len;
    } else {
        /* The leading one-digit labels are the number; the rest, not empty, the suffix. */
        const uint8_t *p = w;
        while (*p == 1 && e2u__is_digit(p[1])) {
            if (nd >= maxd)
                return e2u__diag(diag, E2U_ENUMBER, 0, "too many digit labels: more than %u",
                                 maxd);
            rev[nd++] = (char)p[1];
            p += 2;
        }
        if (nd == 0)
            return e2u__diag(diag, E2U_EDOMAIN, 0,
                             "domain does not start with a one-digit label (e.g. "
                             "3.2.1.e164.arpa)");
        size_t starts[128];
        unsigned nl = label_starts(domain, len, starts, 128);
        soff = nd < nl ? starts[nd] : len;
        if (*p == 0)
            return e2u__diag(diag, E2U_EDOMAIN, soff, "no suffix after the digit labels");
    }
    if (maxd <= E2U_E164_MAX_DIGITS && rev[nd - 1] == '0')
        return e2u__diag(diag, E2U_ENUMBER, 0,
                         "country code starts with '0': no E.164 country code does");
    out->aus[0] = '+';
    for (unsigned k = 0; k < nd; k++)
        out->aus[1 + k] = rev[nd - 1 - k];
    out->aus[1 + nd] = '\0';
    out->ndigits = (uint8_t)nd;
    if (suffix_off)
        *suffix_off = soff;
    return 0;
}
