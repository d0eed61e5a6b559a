/*
 * e2u/ddds.h — the DDDS evaluation of one NAPTR record set for one number (RFC 3402 §2-3,
 * RFC 3403 §4, RFC 6116 §3).
 *
 * Given the AUS and the RDATA of every NAPTR at one domain, e2u_eval_rrset() decides what each
 * record contributes:
 *   - a terminal rule (flag "u", RFC 6116 §3.4.1) yields a URI: its substitution expression
 *     applied to the AUS, checked as a URI;
 *   - a non-terminal rule (empty flags) yields the next domain to query: its replacement field
 *     (RFC 6116 §5.2.1: a regexp there MUST be ignored, and so must the services field); the
 *     AUS is unchanged, and the service filter does not apply to it;
 *   - anything else is dropped with a reason, and the rest of the set is still used
 *     (DESIGN.md §3; RFC 5483 asks clients to skip what they do not understand).
 * Records whose enumservices do not match the filter are skipped without evaluation. Usable
 * rules come out sorted by order, then preference; ties keep the order of the record set.
 * With strict_order, RFC 3403 §4.1 applies: only the rules of the lowest order that has any
 * usable rule are kept.
 *
 * An e2u_eval_t holds the options, a regexp cache and the memory results live in. It is used
 * by one thread at a time; results stay valid until the next evaluation or e2u_eval_free().
 * It does not follow non-terminal rules or enum: results: that is the resolver's loop.
 */
#ifndef E2U_DDDS_H
#define E2U_DDDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2u/enumservice.h"
#include "e2u/error.h"
#include "e2u/number.h"
#include "e2u/subst.h"
#include "e2u/uri.h"

#ifdef __cplusplus
extern "C" {
#endif

#define E2U_FILTER_MAX 32 /* service specs in one filter */

/* Why a record contributed nothing. Names (e2u_drop_reason_name) are stable for scripts. */
#define E2U_DROP_TABLE(X)                                                                          \
    X(E2U_DROP_MALFORMED, "malformed")            /* RDATA does not parse */                       \
    X(E2U_DROP_NOT_E2U, "not-e2u")                /* services field is not an E2U one */          \
    X(E2U_DROP_PRIVATE, "private-enumservice")    /* only "P-" types (RFC 6116 §5.2) */            \
    X(E2U_DROP_FLAGS, "unsupported-flags")        /* flags other than "u" or empty */              \
    X(E2U_DROP_BOTH_FIELDS, "regexp-and-replacement") /* RFC 3403 §4.1: mutually exclusive */    \
    X(E2U_DROP_NO_REGEXP, "terminal-without-regexp")                                               \
    X(E2U_DROP_NO_TARGET, "non-terminal-without-target")                                           \
    X(E2U_DROP_BAD_REGEXP, "bad-regexp")                                                           \
    X(E2U_DROP_REGEXP_LIMIT, "regexp-limit")                                                       \
    X(E2U_DROP_NO_MATCH, "no-match")                                                               \
    X(E2U_DROP_TOO_LONG, "result-too-long")                                                        \
    X(E2U_DROP_BAD_URI, "bad-uri")                                                                 \
    X(E2U_DROP_BAD_DOMAIN, "bad-domain")                                                           \
    X(E2U_DROP_LOOP, "loop")                      /* resolver: target already visited */           \
    X(E2U_DROP_HOPS, "hop-limit")                 /* resolver: too many redirections */            \
    X(E2U_DROP_TARGET_FAILED, "target-failed")    /* resolver: the next query failed */

typedef enum e2u_drop_reason {
#define E2U__DROP_ENUM(name, str) name,
    E2U_DROP_TABLE(E2U__DROP_ENUM)
#undef E2U__DROP_ENUM
} e2u_drop_reason_t;

/* Stable lower-case name of a reason ("no-match"). Static storage. */
E2U_API const char *e2u_drop_reason_name(e2u_drop_reason_t reason);

typedef struct e2u_drop {
    uint32_t index;            /* position of the record in the set as given */
    e2u_drop_reason_t reason;
    const char *detail;        /* a sentence for people; owned by the e2u_eval_t */
} e2u_drop_t;

typedef struct e2u_rule {
    uint32_t index;            /* position of the record in the set as given */
    uint16_t order;
    uint16_t preference;
    bool terminal;             /* true: value is a URI; false: value is the next domain */
    const char *value;         /* NUL-terminated; owned by the e2u_eval_t */
    size_t value_len;
    const uint8_t *next;       /* non-terminal: the next domain in wire form; owned likewise */
    size_t next_len;
    e2u_services_t services;   /* borrows the record's RDATA */
    e2u_uri_t uri;             /* terminal: the parsed URI (borrows value) */
    e2u_scheme_fit_t fit;      /* terminal: best fit of the URI scheme over the enumservices */
} e2u_rule_t;

typedef struct e2u_eval_opts {
    const e2u_service_spec_t *filter; /* copied by e2u_eval_new; NULL/0 = every enumservice */
    size_t nfilter;                   /* at most E2U_FILTER_MAX */
    bool strict_order;                /* RFC 3403 §4.1 order processing */
    bool allow_private;               /* keep "P-" enumservices: on the private network only */
    e2u_regex_limits_t limits;        /* zeros = defaults */
} e2u_eval_opts_t;

typedef struct e2u_eval e2u_eval_t;

/* Create an evaluator (opts may be NULL). Returns 0, E2U_EINVAL (too many filter specs),
 * E2U_ENOMEM. */
E2U_API int e2u_eval_new(e2u_eval_t **out, const e2u_eval_opts_t *opts);
E2U_API void e2u_eval_free(e2u_eval_t *ev);

/* One record's RDATA, borrowed for the duration of the evaluation and while results are used. */
typedef struct e2u_rdata {
    const uint8_t *data;
    uint16_t len;
} e2u_rdata_t;

typedef struct e2u_eval_result {
    const e2u_rule_t *rules;   /* usable rules, sorted; owned by the evaluator */
    size_t nrules;
    const e2u_drop_t *drops;   /* in record order; owned by the evaluator */
    size_t ndrops;
    size_t nskipped;           /* records passed over because of the service filter */
} e2u_eval_result_t;

/*
 * Evaluate the n records of one set for number. Every record yields a rule, a drop or a skip
 * (nrules + ndrops + nskipped == n), except that with strict_order the rules of orders above
 * the first usable one are cut afterwards; a bad record never fails the call. Returns 0 or E2U_ENOMEM (then *res is empty).
 * The rules' services borrow the RDATA, so keep it alive while the results are used.
 */
E2U_API int e2u_eval_rrset(e2u_eval_t *ev, const e2u_number_t *number, const e2u_rdata_t *recs, size_t n,
                   e2u_eval_result_t *res);

#ifdef __cplusplus
}
#endif
#endif
