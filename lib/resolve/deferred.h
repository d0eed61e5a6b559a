/*
 * lib/resolve/deferred.h — a queue of questions answered at the next process() (see
 * deferred.c), shared by the sources that answer without a network.
 */
#ifndef E2U_RESOLVE_DEFERRED_H
#define E2U_RESOLVE_DEFERRED_H

#include "e2u/dname.h"
#include "resolve/source.h"

typedef struct e2u__deferred_q {
    uint64_t handle;
    uint8_t qname[E2U_DNAME_MAX];
    e2u__answer_fn cb;
    void *arg;
    bool cancelled;
} e2u__deferred_q_t;

typedef struct e2u__deferred {
    e2u__deferred_q_t *q;
    size_t qn, qcap;
    e2u__deferred_q_t *batch; /* the batch being answered, for cancel() from a callback */
    size_t nbatch;
    uint64_t next_handle;
    int efd;
} e2u__deferred_t;

/* Answer one question: build the answer and call cb(arg, &answer). */
typedef void (*e2u__deferred_answer_fn)(void *src, const uint8_t *qname, e2u__answer_fn cb,
                                        void *arg);

int e2u__deferred_init(e2u__deferred_t *d);
void e2u__deferred_free(e2u__deferred_t *d);
int e2u__deferred_add(e2u__deferred_t *d, const uint8_t *qname, e2u__answer_fn cb, void *arg,
                      uint64_t *handle);
void e2u__deferred_cancel(e2u__deferred_t *d, uint64_t handle);
/* Answer the queued questions. Returns how many were answered, or E2U_ENOMEM. */
int e2u__deferred_run(e2u__deferred_t *d, e2u__deferred_answer_fn answer, void *src);
/* 0 when questions wait, else -1. */
int e2u__deferred_timeout(const e2u__deferred_t *d);

#endif
