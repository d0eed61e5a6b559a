/*
 * e2u/dname.h — domain names in wire and presentation form (RFC 1035 §3.1, §5.1).
 *
 * Wire form is the uncompressed sequence of length-prefixed labels ending in the root label;
 * presentation form is dotted text with RFC 1035 escapes (\X, \DDD). The core needs both for the
 * NAPTR replacement field and for ENUM domains; the server and store use the wire form.
 * Nothing allocates; all functions are thread-safe.
 */
#ifndef E2U_DNAME_H
#define E2U_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2u/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define E2U_DNAME_MAX 255  /* octets in wire form, RFC 1035 §2.3.4 */
#define E2U_LABEL_MAX 63
/* Worst-case presentation length: every octet as \DDD plus dots, trailing dot and NUL. */
#define E2U_DNAME_TEXT_MAX (E2U_DNAME_MAX * 4 + 2)

/*
 * Convert presentation text (len bytes) to wire form in wire[cap]. A name without a trailing
 * dot is relative: origin (wire form, may be NULL meaning the root) is appended. "@" alone is
 * the origin itself, "." the root. Returns 0 and *wlen, E2U_EDNAME with diag (empty label, label
 * over 63 octets, name over 255, bad escape), or E2U_ENOSPC.
 */
E2U_API int e2u_dname_from_text(uint8_t *wire, size_t cap, size_t *wlen, const char *text, size_t len,
                        const uint8_t *origin, e2u_diag_t *diag);

/*
 * Convert a wire-form name to presentation text with a trailing dot, NUL-terminated, escaping
 * '.', '\\', '"', ';', '(', ')', '@', '$', space and non-printable octets. Returns 0 and *tlen
 * (without the NUL; may be NULL), E2U_EDNAME if the wire name is malformed, E2U_ENOSPC.
 */
E2U_API int e2u_dname_to_text(char *buf, size_t cap, size_t *tlen, const uint8_t *wire, size_t wlen);

/* Length in octets of the wire-form name at the start of wire[len], or E2U_EDNAME if it is
 * malformed, runs past len, exceeds 255 octets or uses compression. */
E2U_API int e2u_dname_wire_len(const uint8_t *wire, size_t len);

/* Case-insensitive (ASCII) equality of two valid wire names. */
E2U_API bool e2u_dname_equal(const uint8_t *a, const uint8_t *b);

/* Number of labels of a valid wire name, the root label not counted. */
E2U_API unsigned e2u_dname_labels(const uint8_t *wire);

/* Whether valid wire name sub equals or lies below valid wire name parent (case-insensitive). */
E2U_API bool e2u_dname_is_subdomain(const uint8_t *sub, const uint8_t *parent);

#ifdef __cplusplus
}
#endif
#endif
