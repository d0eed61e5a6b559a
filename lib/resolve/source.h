/*
 * lib/resolve/source.h — where a lookup gets NAPTR answers from (internal interface).
 *
 * The lookup loop (lookup.c) knows nothing of transports. It asks a source for the NAPTR
 * RRset at one wire-format name and is called back with the outcome. Sources:
 *
 *   src_stub.c     e2u's own stub to given servers (ADDR[@PORT]): UDP with TCP after TC, its
 *                  own TTL cache; the fast path for a carrier's authoritative ENUM server.
 *   src_unbound.c  libunbound: the system resolver, or full recursion with DNSSEC validation.
 *   src_static.c   records held in memory (tests, and `e2u eval`'s offline evaluation).
 *   src_store.c    the local e2u store (LMDB), in-process: `e2u lookup --db`.
 *
 * Contract:
 *   - query() starts a query and returns 0, or a negative code when it cannot even start one.
 *     The callback runs exactly once per started query, from within process() — never from
 *     within query() itself — unless cancel() is called first, after which it never runs.
 *   - The answer and everything it points to are valid only during the callback.
 *   - fd() is a descriptor that becomes readable when process() has work, or -1 when the
 *     source completes everything within process() calls (then the caller polls with a
 *     timeout from next_timeout_ms()).
 *   - next_timeout_ms() is how long the caller may sleep before process() must run again to
 *     fire timeouts; -1 when nothing is pending.
 *   - One thread at a time per source.
 */
#ifndef E2U_RESOLVE_SOURCE_H
#define E2U_RESOLVE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2u/ddds.h"

typedef enum e2u__ans_kind {
    E2U__ANS_DATA,     /* NOERROR with the RRset (nrr may still be 0: NODATA) */
    E2U__ANS_NXDOMAIN, /* the name does not exist */
    E2U__ANS_FAIL,     /* SERVFAIL, REFUSED, FORMERR, a broken answer, no server answered */
    E2U__ANS_TIMEOUT,  /* no answer within the query's time */
    E2U__ANS_BOGUS,    /* DNSSEC validation failed */
} e2u__ans_kind_t;

typedef enum e2u__dnssec {
    E2U__DNSSEC_UNCHECKED = 0, /* no validation asked for */
    E2U__DNSSEC_INSECURE,
    E2U__DNSSEC_SECURE,
    E2U__DNSSEC_BOGUS,
} e2u__dnssec_t;

typedef struct e2u__answer {
    e2u__ans_kind_t kind;
    e2u__dnssec_t dnssec;
    const e2u_rdata_t *rr; /* the NAPTR RDATA, answer order; borrowed for the callback */
    size_t nrr;
    const uint8_t *owner;  /* wire name the RRset was found at (after CNAMEs), or NULL */
    const char *why;       /* for FAIL/TIMEOUT/BOGUS: a sentence ("SERVFAIL from 127.0.0.1@53") */
    bool from_cache;
} e2u__answer_t;

typedef void (*e2u__answer_fn)(void *arg, const e2u__answer_t *ans);

typedef struct e2u__source e2u__source_t;

typedef struct e2u__source_ops {
    /* Ask for the NAPTR RRset at qname (wire form, uncompressed). *handle identifies the
     * query for cancel(). timeout_ms bounds the whole query (all retries). */
    int (*query)(e2u__source_t *src, const uint8_t *qname, unsigned timeout_ms, e2u__answer_fn cb,
                 void *arg, uint64_t *handle);
    void (*cancel)(e2u__source_t *src, uint64_t handle);
    int (*fd)(e2u__source_t *src);
    /* Deliver what is ready, fire timeouts. Returns the number of callbacks run, or < 0. */
    int (*process)(e2u__source_t *src);
    int (*next_timeout_ms)(e2u__source_t *src);
    void (*free)(e2u__source_t *src);
} e2u__source_ops_t;

/* Every source embeds this as its first member. */
struct e2u__source {
    const e2u__source_ops_t *ops;
};

/* Stub to given servers. */
typedef struct e2u__stub_opts {
    const char *const *servers; /* "ADDR[@PORT]", IPv4 or IPv6 literal; port 53 by default */
    size_t nservers;
    unsigned attempt_ms;        /* wait for one UDP attempt before a server has ever answered,
                                 * and the ceiling after that (then the measured round trip,
                                 * RFC 6298); default 800 */
    size_t cache_entries;       /* 0 = default 65536; cache off with no_cache */
    bool no_cache;
    uint16_t edns_size;         /* advertised UDP payload; default 1232 */
} e2u__stub_opts_t;

int e2u__stub_new(e2u__source_t **out, const e2u__stub_opts_t *opts, e2u_diag_t *diag);

/* libunbound. */
typedef struct e2u__unbound_opts {
    const char *const *servers; /* forwarders; none = the system resolver (resolv.conf) */
    size_t nservers;
    bool dnssec;                /* validate; without servers this is full recursion */
    const char *const *trust_anchors;      /* RR text ("zone. DS ...", "zone. DNSKEY ...") */
    size_t ntrust_anchors;
    const char *trust_anchor_file;         /* default /usr/share/dns/root.key when dnssec */
} e2u__unbound_opts_t;

int e2u__unbound_new(e2u__source_t **out, const e2u__unbound_opts_t *opts, e2u_diag_t *diag);

/* In-memory records: a master-file fragment with one NAPTR per line, owner names absolute
 * ("3.2.1.e164.arpa. NAPTR 10 100 ..."), and "name NXDOMAIN" / "name SERVFAIL" lines. */
int e2u__static_new(e2u__source_t **out, const char *text, e2u_diag_t *diag);

/* The e2u store at path, opened read-only. */
int e2u__store_new(e2u__source_t **out, const char *path, e2u_diag_t *diag);

#endif
