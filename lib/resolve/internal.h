/*
 * lib/resolve/internal.h — what resolver.c and lookup.c share (not installed).
 *
 * resolver.c owns the sources, the evaluator and the queue of finished lookups; lookup.c owns
 * the state machine of one lookup. A lookup calls back into the resolver for two things only:
 * asking its source a question, and reporting that it is finished.
 */
#ifndef E2U_RESOLVE_INTERNAL_H
#define E2U_RESOLVE_INTERNAL_H

#include "e2u/dname.h"
#include "e2u/resolve.h"
#include "resolve/source.h"

typedef struct e2u__lookup e2u__lookup_t;

/* The resolver as lookups see it. */
typedef struct e2u__rctx {
    e2u__source_t *src;
    e2u_eval_t *ev;              /* shared: lookups copy what they keep out of its results */
    uint8_t suffix[E2U_SUFFIXES_MAX][E2U_DNAME_MAX]; /* wire form */
    char suffix_text[E2U_SUFFIXES_MAX][E2U_DNAME_TEXT_MAX];
    size_t nsuffixes;
    bool strict_order;
    bool dnssec;
    unsigned timeout_ms;
    unsigned max_hops;
    e2u_number_opts_t numopts;
    /* called by a lookup when it has finished (possibly from within its start) */
    void (*finished)(struct e2u__rctx *rc, e2u__lookup_t *lk);
} e2u__rctx_t;

/* Create a lookup for the input; it does nothing until e2u__lookup_start. */
int e2u__lookup_new(e2u__lookup_t **out, e2u__rctx_t *rc, const char *input, size_t len,
                    e2u_lookup_fn cb, void *arg);
/* Begin: parse the number and ask the first question (or finish at once). */
void e2u__lookup_start(e2u__lookup_t *lk);
/* Cancel the query in flight, if any; the lookup's callback will not run. */
void e2u__lookup_cancel(e2u__lookup_t *lk);
/* Hand the finished lookup to its callback (which takes ownership). */
void e2u__lookup_deliver(e2u__lookup_t *lk);
/* Free a lookup that was never delivered. */
void e2u__lookup_discard(e2u__lookup_t *lk);

/* An intrusive list link every lookup carries, for the resolver's lists (active, finished). */
typedef struct e2u__link {
    struct e2u__link *next, *prev;
} e2u__link_t;

e2u__link_t *e2u__lookup_link(e2u__lookup_t *lk);
e2u__lookup_t *e2u__lookup_of(e2u__link_t *link);

#endif
