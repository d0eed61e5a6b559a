/*
 * e2u/subst.h — DDDS substitution expressions (RFC 3402 §3.2), run safely on hostile data.
 *
 *     subst-expr = delim-char ere delim-char repl delim-char *flags
 *     "!^.*$!sip:info@example.com!"     "/^\+1(.*)$/tel:+1\1/i"
 *
 * The delimiter is any character but a digit, '\' or 'i' (RFC 3402 §3.2); "\<delim>" inside the
 * ERE or the replacement stands for the delimiter itself; the replacement may hold
 * back-references \1..\9; the only flag is 'i' (case-insensitive match). The output of a match
 * is the replacement with its back-references filled in (RFC 3402 §3.2).
 *
 * The ERE comes from the DNS, so it is treated as hostile: e2u checks it against POSIX ERE
 * syntax (no back-references in the pattern, no Perl extensions), translates it for PCRE2 and
 * runs it with match, depth and heap limits; output is bounded by E2U_SUBST_OUT_MAX.
 *
 * e2u_subst_parse() only splits and checks the field and borrows it. Matching needs an
 * e2u_regex_t: a cache of compiled patterns with the limits, owned by one thread at a time.
 */
#ifndef E2U_SUBST_H
#define E2U_SUBST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2u/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest result of a substitution (a URI or a domain name). */
#define E2U_SUBST_OUT_MAX 1024

typedef struct e2u_subst {
    const char *ere;     /* borrowed: the ERE as written, escaped delimiters still escaped */
    const char *repl;    /* borrowed: the replacement as written */
    uint8_t ere_len;
    uint8_t repl_len;
    char delim;
    bool icase;          /* the 'i' flag */
    uint8_t max_backref; /* highest \N used by the replacement, 0 when none */
} e2u_subst_t;

/*
 * Split and check a substitution expression of len octets. Returns 0 or E2U_EREGEXP with diag:
 * empty field, illegal delimiter, missing delimiter, unknown flag, '\' followed by something
 * other than a digit 1-9, the delimiter or '\' in the replacement, "\0".
 * The ERE itself is checked when it is compiled.
 */
E2U_API int e2u_subst_parse(e2u_subst_t *out, const char *field, size_t len, e2u_diag_t *diag);

/* Limits for matching; 0 in a field means its default. */
typedef struct e2u_regex_limits {
    uint32_t match_limit;    /* PCRE2 match limit (backtracking steps); default 20000 */
    uint32_t depth_limit;    /* PCRE2 depth limit; default 500 */
    uint32_t heap_limit_kib; /* PCRE2 heap limit; default 256 KiB */
    uint32_t cache_entries;  /* compiled patterns kept; default 128 */
} e2u_regex_limits_t;

typedef struct e2u_regex e2u_regex_t;

/* Create a matcher (limits may be NULL). Returns 0 or E2U_ENOMEM. Free with e2u_regex_free. */
E2U_API int e2u_regex_new(e2u_regex_t **out, const e2u_regex_limits_t *limits);
E2U_API void e2u_regex_free(e2u_regex_t *rx);

/*
 * Apply s to subject (the AUS, len octets): match the ERE, then expand the replacement into
 * out[cap] (NUL-terminated; *outlen without the NUL; the result may itself contain NUL octets
 * from a "\000" in the record, so use *outlen, not strlen). Returns 0; E2U_ENOMATCH when the ERE does
 * not match; E2U_EREGEXP with diag for an ERE that is not valid POSIX ERE or that e2u refuses
 * (back-reference in the pattern, nesting or size over the limits, a \N in the replacement
 * beyond the ERE's groups); E2U_ELIMIT when matching hit a limit; E2U_ETOOLONG when the result
 * would exceed cap - 1 or E2U_SUBST_OUT_MAX; E2U_ENOMEM.
 */
E2U_API int e2u_subst_apply(e2u_regex_t *rx, const e2u_subst_t *s, const char *subject, size_t len,
                    char *out, size_t cap, size_t *outlen, e2u_diag_t *diag);

/*
 * Translate a POSIX ERE (len octets, escaped delimiter delim already allowed) into the PCRE2
 * pattern e2u compiles, NUL-terminated in buf[cap]; *ngroups receives the number of capturing
 * groups. Exposed for tests and fuzzing. Returns 0, E2U_EREGEXP with diag, or E2U_ENOSPC.
 */
E2U_API int e2u_ere_translate(const char *ere, size_t len, char delim, char *buf, size_t cap,
                      unsigned *ngroups, e2u_diag_t *diag);

#ifdef __cplusplus
}
#endif
#endif
