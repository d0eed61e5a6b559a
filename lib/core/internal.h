/*
 * lib/core/internal.h — helpers shared by the core's files; not installed, not public.
 *
 * Internal non-static symbols carry the e2u__ prefix (STYLE.md). The character-class helpers
 * are ASCII-only on purpose: DNS data and URIs are octets, and the C locale functions would
 * vary with the caller's locale.
 */
#ifndef E2U_CORE_INTERNAL_H
#define E2U_CORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2u/error.h"

#if defined(__GNUC__)
#define E2U__PRINTF(f, a) __attribute__((format(printf, f, a)))
#define E2U__LIKELY(x) __builtin_expect(!!(x), 1)
#define E2U__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define E2U__PRINTF(f, a)
#define E2U__LIKELY(x) (x)
#define E2U__UNLIKELY(x) (x)
#endif

/* Fill diag (when non-NULL) and return code, so that a parser can `return e2u__diag(...)`. */
int e2u__diag(e2u_diag_t *diag, int code, size_t pos, const char *fmt, ...) E2U__PRINTF(4, 5);

/* A printable rendering of one octet for messages: 'x', or 0x0a for anything unprintable.
 * Writes into buf (at least 8 bytes) and returns it. */
const char *e2u__octet(unsigned char c, char buf[8]);

static inline bool e2u__is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static inline bool e2u__is_alpha(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static inline bool e2u__is_alnum(unsigned char c)
{
    return e2u__is_digit(c) || e2u__is_alpha(c);
}

static inline bool e2u__is_hex(unsigned char c)
{
    return e2u__is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

static inline unsigned char e2u__lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c;
}

/* Case-insensitive comparison of a (alen octets) with the NUL-terminated lower-case b. */
bool e2u__ieq(const char *a, size_t alen, const char *b);

/* Case-insensitive comparison of two spans of equal interest. */
bool e2u__ieqn(const char *a, size_t alen, const char *b, size_t blen);

/* RFC 3966 visual separators: "-" / "." / "(" / ")". */
static inline bool e2u__is_visual_sep(unsigned char c)
{
    return c == '-' || c == '.' || c == '(' || c == ')';
}

#endif
