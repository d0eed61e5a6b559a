/*
 * fuzz/fuzz_uri.c — e2u_uri_parse and e2u_tel_to_sip on arbitrary octets.
 *
 * Beyond "no crash, no read past len" (ASan, and the replay main under gcc) the target checks
 * the contract of e2u/uri.h and aborts on any violation:
 *   - success: every borrowed span lies inside the input; the scheme span is the octets before
 *     the first ':'; a tel number is '+' and 1..63 digits; local numbers, rn and cic fit their
 *     buffers and hold only the characters their grammar allows; tel: and enum: results
 *     always carry a number;
 *   - failure: the code is E2U_EURI, diag names a position inside the input (or its end) and
 *     a non-empty message, and *out is all zero;
 *   - a tel: URI converts to a SIP URI (RFC 3261 §19.1.6) that parses again as sip:/sips: with
 *     user=phone, the same host and the same number, npdi, rn and cic; one byte less of
 *     buffer gives E2U_ENOSPC;
 *   - the input used as a host for a fixed tel: URI either is refused or gives a SIP URI that
 *     parses with exactly that host (and port): the two host checks agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "e2u/e2u.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static void span_inside(const char *base, size_t len, const char *p, size_t n)
{
    if (!p) {
        CHECK(n == 0);
        return;
    }
    CHECK(p >= base && p <= base + len);
    CHECK(n <= (size_t)(base + len - p));
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* A normalised rn or cic: "+" digit hex*, or hex+; at most E2U_TEL_VALUE_MAX characters. */
static void check_value(const char *v, bool global)
{
    size_t n = strnlen(v, E2U_TEL_VALUE_MAX + 1);
    CHECK(n >= 1 && n <= E2U_TEL_VALUE_MAX);
    size_t i = 0;
    if (global) {
        CHECK(v[0] == '+' && n >= 2 && v[1] >= '0' && v[1] <= '9');
        i = 1;
    }
    for (; i < n; i++)
        CHECK(is_hex(v[i]));
}

static bool bytes_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* Every member zero, NULL or false, member by member: memcmp with a zeroed struct would also
 * compare the padding, which the contract says nothing about. */
static bool tel_is_clear(const e2u_telinfo_t *t)
{
    return !t->present && !t->global && t->number.ndigits == 0 &&
           bytes_zero(t->number.aus, sizeof(t->number.aus)) &&
           bytes_zero(t->local, sizeof(t->local)) && !t->context && t->context_len == 0 &&
           !t->npdi && !t->has_rn && !t->rn_global && bytes_zero(t->rn, sizeof(t->rn)) &&
           !t->rn_context && t->rn_context_len == 0 && !t->has_cic && !t->cic_global &&
           bytes_zero(t->cic, sizeof(t->cic)) && !t->cic_context && t->cic_context_len == 0 &&
           !t->ext && t->ext_len == 0;
}

static bool uri_is_clear(const e2u_uri_t *u)
{
    return u->scheme == E2U_SCHEME_OTHER && !u->scheme_str && u->scheme_len == 0 && !u->user &&
           u->user_len == 0 && !u->host && u->host_len == 0 && u->port == 0 && !u->user_phone &&
           tel_is_clear(&u->tel);
}

static void check_tel(const e2u_telinfo_t *t, const char *s, size_t len)
{
    if (!t->present) {
        CHECK(tel_is_clear(t));
        return;
    }
    if (t->global) {
        CHECK(t->number.ndigits >= 1 && t->number.ndigits <= E2U_NUMBER_MAX_DIGITS);
        CHECK(t->number.aus[0] == '+');
        CHECK(strnlen(t->number.aus, E2U_AUS_MAX) == (size_t)t->number.ndigits + 1);
        for (int i = 1; i <= t->number.ndigits; i++)
            CHECK(t->number.aus[i] >= '0' && t->number.aus[i] <= '9');
    } else {
        size_t n = strnlen(t->local, E2U_TEL_VALUE_MAX + 1);
        CHECK(n >= 1 && n <= E2U_TEL_VALUE_MAX);
        for (size_t i = 0; i < n; i++)
            CHECK(is_hex(t->local[i]) || t->local[i] == '*' || t->local[i] == '#');
        CHECK(t->context != NULL); /* RFC 3966: a local number has a phone-context */
    }
    if (t->has_rn)
        check_value(t->rn, t->rn_global);
    else
        CHECK(t->rn[0] == '\0' && !t->rn_global && !t->rn_context);
    if (t->has_cic)
        check_value(t->cic, t->cic_global);
    else
        CHECK(t->cic[0] == '\0' && !t->cic_global && !t->cic_context);
    CHECK(!t->rn_context || (t->has_rn && !t->rn_global));
    CHECK(!t->cic_context || (t->has_cic && !t->cic_global));
    span_inside(s, len, t->context, t->context_len);
    span_inside(s, len, t->rn_context, t->rn_context_len);
    span_inside(s, len, t->cic_context, t->cic_context_len);
    span_inside(s, len, t->ext, t->ext_len);
}

static void check_failure(int rc, const e2u_uri_t *u, const e2u_diag_t *d, size_t len)
{
    CHECK(rc == E2U_EURI);
    CHECK(d->code == rc);
    CHECK(d->pos <= len);
    size_t mlen = strnlen(d->msg, sizeof(d->msg));
    CHECK(mlen > 0 && mlen < sizeof(d->msg));
    CHECK(uri_is_clear(u));
}

static bool same_tel(const e2u_telinfo_t *a, const e2u_telinfo_t *b)
{
    if (a->present != b->present || a->global != b->global || a->npdi != b->npdi ||
        a->has_rn != b->has_rn || a->has_cic != b->has_cic || a->rn_global != b->rn_global ||
        a->cic_global != b->cic_global)
        return false;
    if (a->global && strcmp(a->number.aus, b->number.aus) != 0)
        return false;
    if (!a->global && strcmp(a->local, b->local) != 0)
        return false;
    return strcmp(a->rn, b->rn) == 0 && strcmp(a->cic, b->cic) == 0 &&
           (a->context == NULL) == (b->context == NULL);
}

/* tel: -> sip: -> parse, with the host of the tel: URI's choice. */
static void round_trip(const char *s, size_t len, const e2u_uri_t *tel, const char *host,
                       size_t hostlen, size_t hostpart, uint16_t port, bool sips)
{
    size_t cap = 3 * len + hostlen + 32;
    char *buf = malloc(cap);
    size_t n = 0;
    e2u_diag_t d;
    CHECK(buf);
    int rc = e2u_tel_to_sip(s, len, host, hostlen, sips, buf, cap, &n, &d);
    CHECK(rc == 0);
    CHECK(n < cap && buf[n] == '\0' && strlen(buf) == n);
    CHECK(memcmp(buf, sips ? "sips:" : "sip:", sips ? 5 : 4) == 0);

    e2u_uri_t sip;
    rc = e2u_uri_parse(&sip, buf, n, &d);
    CHECK(rc == 0);
    CHECK(sip.scheme == (sips ? E2U_SCHEME_SIPS : E2U_SCHEME_SIP));
    CHECK(sip.user_phone);
    CHECK(sip.host_len == hostpart && memcmp(sip.host, host, hostpart) == 0);
    CHECK(sip.port == port);
    CHECK(same_tel(&tel->tel, &sip.tel));

    /* one byte short: E2U_ENOSPC and an empty string */
    rc = e2u_tel_to_sip(s, len, host, hostlen, sips, buf, n, NULL, &d);
    CHECK(rc == E2U_ENOSPC);
    CHECK(n == 0 || buf[0] == '\0');
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    e2u_uri_t u;
    e2u_diag_t d;

    memset(&d, 0, sizeof(d));
    int rc = e2u_uri_parse(&u, s, size, &d);
    if (rc != 0) {
        check_failure(rc, &u, &d, size);
    } else {
        CHECK(u.scheme_str == s && u.scheme_len >= 1 && u.scheme_len < size);
        CHECK(s[u.scheme_len] == ':' && memchr(s, ':', u.scheme_len) == NULL);
        const char *name = e2u_scheme_name(u.scheme);
        CHECK((u.scheme == E2U_SCHEME_OTHER) == (name == NULL));
        CHECK(!name || (strlen(name) == u.scheme_len));
        span_inside(s, size, u.user, u.user_len);
        span_inside(s, size, u.host, u.host_len);
        check_tel(&u.tel, s, size);
        switch (u.scheme) {
        case E2U_SCHEME_TEL:
            CHECK(u.tel.present && !u.user && !u.host && u.port == 0);
            break;
        case E2U_SCHEME_ENUM:
            CHECK(u.tel.present && u.tel.global && !u.tel.npdi && !u.tel.has_rn);
            break;
        case E2U_SCHEME_SIP:
        case E2U_SCHEME_SIPS:
            CHECK(u.host && u.host_len > 0);
            CHECK(!u.tel.present || u.user);
            break;
        case E2U_SCHEME_PRES:
        case E2U_SCHEME_IM:
            CHECK((u.user == NULL) == (u.host == NULL) && !u.tel.present);
            break;
        case E2U_SCHEME_OTHER:
            CHECK(!u.user && !u.host && !u.tel.present);
            break;
        }
        if (u.scheme == E2U_SCHEME_TEL) {
            round_trip(s, size, &u, "gw.example.com", 14, 14, 0, false);
            round_trip(s, size, &u, "[2001:db8::1]:5061", 18, 13, 5061, true);
        }
    }

    /* Anything that is not a tel: URI is refused by the converter. */
    char out[256];
    rc = e2u_tel_to_sip(s, size, "gw.example.com", 14, false, out, sizeof(out), NULL, &d);
    if (rc == 0)
        CHECK(u.scheme == E2U_SCHEME_TEL);
    else if (u.scheme != E2U_SCHEME_TEL)
        CHECK(rc == E2U_EURI && d.pos <= size);
    else
        CHECK(rc == E2U_ENOSPC);

    /* The input as a host: accepted only if the SIP URI it makes keeps it as its host. */
    static const char tel[] = "tel:+1-215-555-0123;npdi";
    rc = e2u_tel_to_sip(tel, sizeof(tel) - 1, s, size, false, out, sizeof(out), NULL, &d);
    if (rc == 0) {
        e2u_uri_t sip;
        CHECK(e2u_uri_parse(&sip, out, strlen(out), NULL) == 0);
        CHECK(sip.scheme == E2U_SCHEME_SIP && sip.user_phone && sip.tel.present);
        CHECK(strcmp(sip.tel.number.aus, "+12155550123") == 0 && sip.tel.npdi);
        CHECK(sip.host_len <= size && memcmp(sip.host, s, sip.host_len) == 0);
        CHECK(sip.host_len == size || (s[sip.host_len] == ':' && sip.port > 0));
    } else {
        CHECK(rc == E2U_EURI || rc == E2U_ENOSPC);
        CHECK(rc == E2U_ENOSPC || d.pos <= size);
    }
    return 0;
}
