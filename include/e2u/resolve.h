/*
 * e2u/resolve.h — the ENUM lookup: number in, ordered URIs out (RFC 6116, DESIGN.md §1-§8).
 *
 * Life cycle:
 *
 *     e2u_resolver_opts_t o = {0};
 *     o.servers = (const char *[]){"192.0.2.53@5300"}; o.nservers = 1;
 *     e2u_resolver_t *r;
 *     if (e2u_resolver_new(&r, &o, &diag) < 0) ...
 *
 *     e2u_lookup_t *lk;                                 // synchronous
 *     e2u_resolve(r, "+1 215 555 0123", 15, &lk);
 *     for (size_t i = 0; i < lk->nresults; i++) puts(lk->results[i].uri);
 *     e2u_lookup_free(lk);
 *
 *     e2u_resolve_async(r, number, len, on_done, arg);   // asynchronous: an event loop polls
 *     poll(e2u_resolver_fd(r), e2u_resolver_timeout_ms(r)) and calls e2u_resolver_process(r),
 *     which runs on_done(arg, lookup) for each finished lookup; the callee owns the lookup.
 *
 *     e2u_resolver_free(r);
 *
 * What a lookup does: the number becomes the AUS, then a domain under each suffix in turn (a
 * later one only when the earlier gave nothing usable: NXDOMAIN, no NAPTR, nothing matched);
 * each answer is evaluated by the core (e2u/ddds.h); a non-terminal rule's target is queried
 * and its results take the rule's place; an enum: result's number is looked up anew with the
 * same filter and its results take its place, carrying the chain in `via`. Redirections of
 * both kinds are bounded (max_hops) and loop-checked; a loop is reported, never followed.
 *
 * A resolver is used by one thread at a time. Lookups returned to the caller are independent
 * of the resolver and may outlive it.
 */
#ifndef E2U_RESOLVE_H
#define E2U_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2u/ddds.h"
#include "e2u/enumservice.h"
#include "e2u/error.h"
#include "e2u/number.h"
#include "e2u/uri.h"

#ifdef __cplusplus
extern "C" {
#endif

#define E2U_SUFFIXES_MAX 16
#define E2U_SERVERS_MAX 8

typedef struct e2u_resolver_opts {
    const char *const *servers; /* "ADDR[@PORT]"; NULL/0 = the system resolver */
    size_t nservers;
    const char *const *suffixes; /* in order; NULL/0 = "e164.arpa" */
    size_t nsuffixes;
    const e2u_service_spec_t *filter; /* copied; NULL/0 = every enumservice */
    size_t nfilter;
    bool strict_order;          /* RFC 3403 §4.1 order processing, applied after expansion */
    bool allow_private;         /* keep "P-" enumservices */
    bool dnssec;                /* validate (libunbound); without servers: full recursion */
    const char *const *trust_anchors; /* DS or DNSKEY RRs in master-file text */
    size_t ntrust_anchors;
    const char *trust_anchor_file;    /* default /usr/share/dns/root.key */
    unsigned timeout_ms;        /* per DNS query, all retries included; default 5000 */
    unsigned max_hops;          /* redirections (non-terminal + enum:) per lookup; default 5 */
    bool no_cache;              /* do not cache answers (stub source) */
    e2u_number_opts_t numopts;  /* e.g. longer private numbers */
    e2u_regex_limits_t limits;
    const char *db_path;        /* answers from this e2u store instead of the DNS */
    const char *static_records; /* tests: answers from this text instead of the DNS */
} e2u_resolver_opts_t;

typedef enum e2u_status {
    E2U_STATUS_OK = 0,         /* at least one result */
    E2U_STATUS_NO_RECORDS,     /* names exist but nothing usable */
    E2U_STATUS_NOT_FOUND,      /* NXDOMAIN under every suffix */
    E2U_STATUS_LOOP,           /* nothing but redirections that loop or exceed the hop limit */
    E2U_STATUS_INVALID_NUMBER,
    E2U_STATUS_DNS_ERROR,      /* SERVFAIL, REFUSED, timeout */
    E2U_STATUS_BOGUS,          /* DNSSEC validation failed */
} e2u_status_t;

/* "ok", "no-records", "not-found", "loop", "invalid-number", "dns-error", "bogus". */
E2U_API const char *e2u_status_name(e2u_status_t s);

typedef enum e2u_dnssec {
    E2U_DNSSEC_UNCHECKED = 0,
    E2U_DNSSEC_INSECURE,
    E2U_DNSSEC_SECURE,
} e2u_dnssec_t;

/* One URI of a lookup. All strings are owned by the e2u_lookup_t. */
typedef struct e2u_result {
    const char *uri;
    e2u_uri_t parsed;            /* borrows uri */
    e2u_services_t services;     /* spans into storage owned by the lookup */
    uint16_t order;
    uint16_t preference;
    const char *domain;          /* where the NAPTR was found, presentation form */
    const char *const *via;      /* numbers queried after the first because of enum: results */
    size_t nvia;
    e2u_scheme_fit_t fit;
} e2u_result_t;

/* A record that contributed nothing, or a redirection that was not followed. */
typedef struct e2u_dropped {
    const char *domain;
    const char *record;          /* master-file RDATA text */
    e2u_drop_reason_t reason;
    const char *detail;
} e2u_dropped_t;

typedef struct e2u_lookup {
    const char *input;           /* as given */
    e2u_number_t number;         /* ndigits == 0 when the input was invalid */
    e2u_status_t status;
    const char *error;           /* invalid-number, dns-error, bogus: what went wrong */
    e2u_dnssec_t dnssec;         /* secure only if every answer used was */
    e2u_result_t *results;
    size_t nresults;
    e2u_dropped_t *drops;
    size_t ndrops;
    unsigned queries;            /* DNS questions this lookup asked (cache hits included) */
} e2u_lookup_t;

E2U_API void e2u_lookup_free(e2u_lookup_t *lk);

typedef struct e2u_resolver e2u_resolver_t;

/* Returns 0, E2U_EINVAL with diag (a bad server address, suffix, too many of something),
 * E2U_EDNS (libunbound could not be set up, e.g. an unreadable trust anchor), E2U_ENOMEM. */
E2U_API int e2u_resolver_new(e2u_resolver_t **out, const e2u_resolver_opts_t *opts,
                             e2u_diag_t *diag);
/* Cancels pending lookups (their callbacks never run). */
E2U_API void e2u_resolver_free(e2u_resolver_t *r);

/* Called once per lookup; the callee owns lk and frees it with e2u_lookup_free. */
typedef void (*e2u_lookup_fn)(void *arg, e2u_lookup_t *lk);

/* Start a lookup. An invalid number completes at the next process() with status
 * invalid-number. Returns 0 or E2U_ENOMEM. */
E2U_API int e2u_resolve_async(e2u_resolver_t *r, const char *number, size_t len,
                              e2u_lookup_fn cb, void *arg);

/* A descriptor to poll for readability, or -1 (then poll with the timeout alone). */
E2U_API int e2u_resolver_fd(const e2u_resolver_t *r);
/* Milliseconds until process() must run again, or -1 when nothing is pending. */
E2U_API int e2u_resolver_timeout_ms(e2u_resolver_t *r);
/* Do what is ready; runs the callbacks of finished lookups. Returns the number finished. */
E2U_API int e2u_resolver_process(e2u_resolver_t *r);
/* Lookups started and not yet finished. */
E2U_API size_t e2u_resolver_pending(const e2u_resolver_t *r);
/* Process until no lookup is pending. */
E2U_API int e2u_resolver_wait(e2u_resolver_t *r);

/* Synchronous: start, wait, return the lookup in *out (caller frees). Returns 0 or
 * E2U_ENOMEM; the outcome of the lookup itself is in (*out)->status. */
E2U_API int e2u_resolve(e2u_resolver_t *r, const char *number, size_t len, e2u_lookup_t **out);

#ifdef __cplusplus
}
#endif
#endif
