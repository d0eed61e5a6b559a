/*
 * lib/resolve/deferred.c — answering questions at the next process() call.
 *
 * The sources that know their answers at once (static records, the local store) must still
 * keep the source contract: the callback never runs from within query(). They queue the
 * question here and answer the queue from process(); the eventfd wakes a caller that polls
 * e2u_resolver_fd(). A batch is the queue as it stood when process() began, so an answer that
 * asks a new question (a non-terminal rule, an enum: result) is served on the next call and a
 * loop in the data can never spin inside one call.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "e2u/dname.h"
#include "resolve/deferred.h"

int e2u__deferred_init(e2u__deferred_t *d)
{
    memset(d, 0, sizeof(*d));
    d->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return d->efd < 0 ? E2U_EIO : 0;
}

void e2u__deferred_free(e2u__deferred_t *d)
{
    free(d->q);
    if (d->efd >= 0)
        close(d->efd);
    d->efd = -1;
    d->q = NULL;
}

static void wake(e2u__deferred_t *d)
{
    uint64_t one = 1;
    if (write(d->efd, &one, sizeof(one)) < 0) {
        /* only a full counter could fail, and the queue is checked anyway */
    }
}

int e2u__deferred_add(e2u__deferred_t *d, const uint8_t *qname, e2u__answer_fn cb, void *arg,
                      uint64_t *handle)
{
    int ql = e2u_dname_wire_len(qname, E2U_DNAME_MAX);
    if (ql < 0)
        return E2U_EDNAME;
    if (d->qn == d->qcap) {
        size_t cap = d->qcap ? d->qcap * 2 : 16;
        e2u__deferred_q_t *q = realloc(d->q, cap * sizeof(*q));
        if (!q)
            return E2U_ENOMEM;
        d->q = q;
        d->qcap = cap;
    }
    e2u__deferred_q_t *e = &d->q[d->qn++];
    e->handle = ++d->next_handle;
    memcpy(e->qname, qname, (size_t)ql);
    e->cb = cb;
    e->arg = arg;
    e->cancelled = false;
    *handle = e->handle;
    wake(d);
    return 0;
}

void e2u__deferred_cancel(e2u__deferred_t *d, uint64_t handle)
{
    for (size_t i = 0; i < d->qn; i++) {
        if (d->q[i].handle == handle)
            d->q[i].cancelled = true;
    }
    for (size_t i = 0; i < d->nbatch; i++) {
        if (d->batch[i].handle == handle)
            d->batch[i].cancelled = true;
    }
}

int e2u__deferred_run(e2u__deferred_t *d, e2u__deferred_answer_fn answer, void *src)
{
    uint64_t v;
    if (read(d->efd, &v, sizeof(v)) < 0) {
        /* EAGAIN: nothing was signalled */
    }
    size_t take = d->qn;
    if (take == 0)
        return 0;
    e2u__deferred_q_t *batch = malloc(take * sizeof(*batch));
    if (!batch)
        return E2U_ENOMEM;
    memcpy(batch, d->q, take * sizeof(*batch));
    memmove(d->q, d->q + take, (d->qn - take) * sizeof(*batch));
    d->qn -= take;
    d->batch = batch; /* so that a callback's cancel() reaches the entries of this batch */
    d->nbatch = take;
    int n = 0;
    for (size_t i = 0; i < take; i++) {
        if (batch[i].cancelled)
            continue;
        answer(src, batch[i].qname, batch[i].cb, batch[i].arg);
        n++;
    }
    d->batch = NULL;
    d->nbatch = 0;
    free(batch);
    if (d->qn)
        wake(d);
    return n;
}

int e2u__deferred_timeout(const e2u__deferred_t *d)
{
    return d->qn ? 0 : -1;
}
