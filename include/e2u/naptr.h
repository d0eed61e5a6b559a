/*
 * e2u/naptr.h — the NAPTR resource record (RFC 3403 §4.1) in wire and master-file form.
 *
 * An e2u_naptr_t is a view: its string fields point into the RDATA it was parsed from, which
 * the caller keeps alive for as long as the view is used. Wire RDATA is the canonical form:
 * text parses into it, and it formats to text. The replacement is an uncompressed wire name
 * (RFC 3403 §4.1 forbids compression of this field).
 *
 *     ORDER PREFERENCE "FLAGS" "SERVICES" "REGEXP" REPLACEMENT
 *     10 100 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .
 *
 * Master-file text follows RFC 1035 §5.1: character-strings quoted or not, '\X' quotes X,
 * '\DDD' is an octet in decimal; so a regexp holding "\1" is written "\\1". The RFC 3597 form
 * '\# LENGTH HEX' is accepted too.
 */
#ifndef E2U_NAPTR_H
#define E2U_NAPTR_H

#include <stddef.h>
#include <stdint.h>

#include "e2u/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 2 + 2 + three character-strings of up to 1+255 octets + a 255-octet name. */
#define E2U_NAPTR_RDATA_MAX (4 + 3 * 256 + 255)
/* Longest master-file text e2u_naptr_format_text can produce (every octet as \DDD), plus NUL. */
#define E2U_NAPTR_TEXT_MAX (12 + 3 * (2 + 255 * 4) + 3 + 255 * 4 + 2)

typedef struct e2u_naptr {
    uint16_t order;
    uint16_t preference;
    uint8_t flags_len;
    uint8_t services_len;
    uint8_t regexp_len;
    const char *flags;          /* borrowed, not NUL-terminated */
    const char *services;       /* borrowed, not NUL-terminated */
    const char *regexp;         /* borrowed, not NUL-terminated */
    const uint8_t *replacement; /* borrowed wire name; the root "." is the single octet 0 */
    uint16_t replacement_len;   /* octets of replacement, 1 .. 255 */
} e2u_naptr_t;

/* Parse RDATA of len octets. The view borrows rdata. Returns 0 or E2U_ENAPTR with diag (a
 * length that runs past the end, a malformed or compressed name, trailing octets). */
E2U_API int e2u_naptr_parse_wire(e2u_naptr_t *out, const uint8_t *rdata, size_t len, e2u_diag_t *diag);

/* Write n as RDATA into buf[cap]; *len receives its length. Returns 0, E2U_ENOSPC, or
 * E2U_ENAPTR if n->replacement is not a valid wire name. */
E2U_API int e2u_naptr_write_wire(const e2u_naptr_t *n, uint8_t *buf, size_t cap, size_t *len);

/*
 * Parse the master-file RDATA text of one NAPTR (the six fields; parentheses and ';' comments
 * allowed) into RDATA in buf[cap], *len receiving its length. A relative replacement is made
 * absolute with origin (wire form; NULL means the root). Returns 0, E2U_ENAPTR or E2U_ESYNTAX
 * with diag naming the field and position, or E2U_ENOSPC.
 */
E2U_API int e2u_naptr_parse_text(uint8_t *buf, size_t cap, size_t *len, const char *text, size_t tlen,
                         const uint8_t *origin, e2u_diag_t *diag);

/* Format n as master-file RDATA text, NUL-terminated; *tlen (may be NULL) receives the length.
 * '"' and '\\' are escaped with '\', octets outside printable ASCII as '\DDD'.
 * Returns 0, E2U_ENOSPC or E2U_ENAPTR. */
E2U_API int e2u_naptr_format_text(const e2u_naptr_t *n, char *buf, size_t cap, size_t *tlen);

#ifdef __cplusplus
}
#endif
#endif
