/*
 * e2u/uri.h — the URIs ENUM produces, checked and taken apart.
 *
 * Every terminal ENUM result must be an absolute URI (RFC 3986 §4.3). For the schemes of the
 * seed enumservices e2u goes further:
 *   tel:   RFC 3966 global or local numbers, visual separators, parameters, and the number
 *          portability parameters rn, npdi and cic of RFC 4694;
 *   sip:, sips:  RFC 3261 §19.1 userinfo@host[:port];params?headers, and a user part that is a
 *          telephone number (telephone-subscriber, RFC 3261 §19.1.6) with its parameters;
 *   pres:, im:   RFC 3859 / RFC 3860 [to] [headers], to = mailbox;
 *   enum:  draft-brandner-enum-uri §2: a global-number-part whose parameters are ignored.
 *
 * An e2u_uri_t borrows the text it was parsed from. Where a URI carries a telephone number
 * (tel:, enum:, a sip: user part), e2u_uri_t.tel holds it normalised to '+' and digits, with rn
 * and cic normalised the same way when they are global (RFC 4694 §4-5: "rn=+1-215-555-0199"
 * gives "+12155550199"). Nothing allocates; all functions are thread-safe.
 */
#ifndef E2U_URI_H
#define E2U_URI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2u/error.h"
#include "e2u/number.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum e2u_scheme {
    E2U_SCHEME_OTHER = 0, /* any other valid absolute URI */
    E2U_SCHEME_SIP,
    E2U_SCHEME_SIPS,
    E2U_SCHEME_TEL,
    E2U_SCHEME_PRES,
    E2U_SCHEME_IM,
    E2U_SCHEME_ENUM,
} e2u_scheme_t;

/* Room for a normalised rn or cic value: '+' and digits, or a local value as hex digits. */
#define E2U_TEL_VALUE_MAX 64

/* The telephone number a URI carries, with its RFC 4694 parameters. */
typedef struct e2u_telinfo {
    bool present;     /* the URI carries a telephone number */
    bool global;      /* a global number ("+..."); false for a local number with phone-context */
    e2u_number_t number; /* when global: the number as '+' and digits */
    /* when local: the digits (hex digits, '*', '#' kept) and the phone-context value */
    char local[E2U_TEL_VALUE_MAX + 1];
    const char *context; /* borrowed phone-context value, NULL when absent */
    size_t context_len;
    bool npdi;        /* ";npdi" present (RFC 4694 §4) */
    bool has_rn;
    bool rn_global;   /* rn is a global number */
    char rn[E2U_TEL_VALUE_MAX + 1];  /* "+12155550199", or local hex digits */
    const char *rn_context;          /* borrowed rn-context value, NULL when absent */
    size_t rn_context_len;
    bool has_cic;
    bool cic_global;
    char cic[E2U_TEL_VALUE_MAX + 1]; /* "+15551234", or local digits */
    const char *cic_context;         /* borrowed cic-context value, NULL when absent */
    size_t cic_context_len;
    const char *ext;  /* borrowed ";ext=" value, NULL when absent */
    size_t ext_len;
} e2u_telinfo_t;

typedef struct e2u_uri {
    e2u_scheme_t scheme;
    const char *scheme_str; /* borrowed, as written (any case), without the ':' */
    size_t scheme_len;
    /* sip, sips, pres, im: the parts of [user@]host; all borrowed, NULL/0 when absent */
    const char *user;
    size_t user_len;
    const char *host;  /* for sip: host without port; for pres/im: the domain of the mailbox */
    size_t host_len;
    uint16_t port;     /* sip/sips only; 0 when absent */
    bool user_phone;   /* sip/sips: the uri-parameter user=phone is present */
    e2u_telinfo_t tel; /* tel:, enum:, and sip/sips whose user part is a telephone number */
} e2u_uri_t;

/*
 * Parse and check a URI of len octets. Returns 0 or E2U_EURI with diag naming what is wrong
 * and where (not an absolute URI, bad scheme, bad character, malformed %-escape, bad number in
 * a tel: or enum: URI, malformed rn/npdi/cic, sip: without host, ...). The result borrows s:
 * every pointer in *out points into s[0..len), as written (%-escapes not decoded), and is valid
 * as long as s is. On failure *out is cleared: scheme E2U_SCHEME_OTHER, every pointer NULL,
 * every length and flag 0, tel.present false. E2U_EINVAL when out is NULL, or s is NULL with
 * len > 0. s need not be NUL-terminated.
 */
E2U_API int e2u_uri_parse(e2u_uri_t *out, const char *s, size_t len, e2u_diag_t *diag);

/*
 * Convert a tel: URI to the SIP URI RFC 3261 §19.1.6 describes (RFC 4769 §4.2 and §4.4 show
 * the result for RFC 4694's parameters): the telephone-subscriber with all its parameters,
 * as written, becomes the user part, host (hostlen octets: hostname, IPv4 or [IPv6],
 * optionally with ":port" 1-65535) the host, and ";user=phone" is appended:
 *     tel:+1-215-555-0123;npdi;rn=+1-215-555-0199  with host gw.example.com  gives
 *     sip:+1-215-555-0123;npdi;rn=+1-215-555-0199@gw.example.com;user=phone
 * Characters the SIP user part does not allow ('[', ']', ':', '@') are %-escaped; existing
 * escapes are kept. Local numbers are converted too, phone-context included; RFC 3966 §9 says
 * a proxy must not do so for contexts it does not understand, which is the caller's call.
 * Output NUL-terminated in buf[cap], *outlen (may be NULL) without the NUL, set only on
 * success; on any failure buf holds "" when cap > 0. sips selects the sips: scheme. Returns 0,
 * E2U_EURI with diag (tel is not a valid tel: URI: diag->pos is an offset into tel; bad host:
 * diag->pos is an offset into host), E2U_ENOSPC (diag says how many bytes are needed),
 * E2U_EINVAL (NULL with a non-zero length).
 */
E2U_API int e2u_tel_to_sip(const char *tel, size_t len, const char *host, size_t hostlen, bool sips,
                   char *buf, size_t cap, size_t *outlen, e2u_diag_t *diag);

/* Lower-case name of a scheme constant ("sip"), or NULL for E2U_SCHEME_OTHER. */
E2U_API const char *e2u_scheme_name(e2u_scheme_t scheme);

#ifdef __cplusplus
}
#endif
#endif
