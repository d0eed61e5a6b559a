/*
 * e2u/number.h — telephone numbers, the Application Unique String, and ENUM domains.
 *
 * ENUM (RFC 6116 §2.4) starts from an E.164 number written as '+' and its digits: the
 * Application Unique String (AUS). e2u_number_parse() accepts the forms people and programs
 * write, strips the visual separators RFC 3966 allows, and yields that AUS:
 *
 *     +1 (215) 555-0123    +1.215.555.0123    tel:+1-215-555-0123;npdi
 *     enum:+12155550123    +12155550123
 *
 * Number and domain convert both ways: +12155550123 under "e164.arpa" is
 * 3.2.1.0.5.5.5.5.1.2.1.e164.arpa. (RFC 6116 §2.4, steps 2-4: drop everything but the digits,
 * put a dot between each, reverse them, append the suffix).
 *
 * Value types only; nothing here allocates. Every function is thread-safe.
 */
#ifndef E2U_NUMBER_H
#define E2U_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2u/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* E.164 §6: at most 15 digits, country code included. */
#define E2U_E164_MAX_DIGITS 15
/* The longest private number e2u accepts when asked to: 63 digits give a 126-byte owner name,
 * which leaves 128 bytes of the 255-byte name limit for the suffix. */
#define E2U_NUMBER_MAX_DIGITS 63
/* Room for "+", the digits and a NUL. */
#define E2U_AUS_MAX (E2U_NUMBER_MAX_DIGITS + 2)
/* Longest ENUM domain in presentation form, trailing dot and NUL included. */
#define E2U_DOMAIN_TEXT_MAX 1024

/* A parsed number. aus is always "+" followed by ndigits digits and a NUL. */
typedef struct e2u_number {
    uint8_t ndigits;        /* 1 .. E2U_NUMBER_MAX_DIGITS */
    char aus[E2U_AUS_MAX];  /* "+12155550123" */
} e2u_number_t;

typedef struct e2u_number_opts {
    /* Longest number accepted, in digits. 0 means E.164's 15; values up to
     * E2U_NUMBER_MAX_DIGITS admit longer private numbers. */
    unsigned max_digits;
} e2u_number_opts_t;

/*
 * Parse a number in any written form above (leading and trailing white space ignored; spaces
 * allowed between digits only in the bare form, not inside a tel: or enum: URI). Parameters
 * after ';' in the URI forms are accepted and ignored (draft-brandner-enum-uri §3.1).
 * opts may be NULL. Returns 0, or E2U_ENUMBER with diag naming the offending character and its
 * byte position.
 */
E2U_API int e2u_number_parse(e2u_number_t *out, const char *s, size_t len, const e2u_number_opts_t *opts,
                     e2u_diag_t *diag);

/* Build a number from "+digits" or "digits" without separators (a fast path for trusted input
 * such as store keys). Returns 0 or E2U_ENUMBER. */
E2U_API int e2u_number_from_digits(e2u_number_t *out, const char *digits, size_t len, unsigned max_digits);

/*
 * The ENUM domain of a number under suffix ("e164.arpa", with or without the trailing dot), in
 * presentation form with a trailing dot, NUL-terminated, into buf of cap bytes. *outlen (may be
 * NULL) receives the length without the NUL. Returns 0, E2U_EDNAME if suffix is not a valid
 * name or the result exceeds 255 octets in wire form, E2U_ENOSPC if buf is too small.
 */
E2U_API int e2u_number_to_domain(const e2u_number_t *n, const char *suffix, char *buf, size_t cap,
                         size_t *outlen);

/*
 * The number of an ENUM domain. With suffix non-NULL the domain must end in it (compared
 * case-insensitively) and every label before it must be one digit. With suffix NULL the leading
 * one-digit labels are the number and the rest, which must not be empty, is taken as the
 * suffix; *suffix_off (may be NULL) receives its offset in domain. A trailing dot is optional.
 * Returns 0, E2U_EDOMAIN (diag says why) or E2U_ENUMBER (too many digits).
 */
E2U_API int e2u_number_from_domain(e2u_number_t *out, const char *domain, size_t len, const char *suffix,
                           const e2u_number_opts_t *opts, size_t *suffix_off, e2u_diag_t *diag);

#ifdef __cplusplus
}
#endif
#endif
