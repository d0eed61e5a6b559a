/*
 * lib/resolve/src_store.c — the local store as a source: `e2u lookup --db PATH`.
 *
 * RFC 4769 §1 speaks of "highly locally cached ENUM databases": here the database is inside the
 * caller. Each process() call brings the store reader to the latest commit once, then answers
 * every queued question from it; the RDATA it hands the lookup points into the reader's
 * snapshot or the scratch buffer and is valid for the callback, as the contract asks.
 *
 * What the store says maps onto DNS outcomes as an authoritative server would answer: a name
 * with no entry is NXDOMAIN, an empty non-terminal or a name without NAPTRs is NODATA, a name
 * in no zone of the store is NXDOMAIN too (the store is all there is: another suffix may still
 * hold the number), a name below a zone cut is a failure (the data lives elsewhere).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "e2u/store.h"
#include "resolve/deferred.h"

#define MAX_RR 4096

typedef struct src_store {
    e2u__source_t base;
    e2u_store_t *st;
    e2u_store_rd_t *rd;
    e2u__deferred_t dq;
    uint8_t *buf;        /* E2U_STORE_BUF_MIN */
    e2u_rdata_t *rr;     /* MAX_RR */
} src_store_t;

static void sto_answer(void *src, const uint8_t *qname, e2u__answer_fn cb, void *arg)
{
    src_store_t *s = src;
    e2u__answer_t a = {.kind = E2U__ANS_NXDOMAIN};
    e2u_store_kind_t kind;
    size_t n = 0;
    int ql = e2u_dname_wire_len(qname, E2U_DNAME_MAX);
    int rc = e2u_store_naptr(s->rd, qname, (size_t)ql, s->buf, E2U_STORE_BUF_MIN, s->rr, MAX_RR,
                             &n, &kind);
    if (rc == E2U_ENOZONE) {
        a.kind = E2U__ANS_NXDOMAIN;
    } else if (rc < 0) {
        a.kind = E2U__ANS_FAIL;
        a.why = rc == E2U_ENOSPC ? "too many records at the name for one answer"
                                 : "the store could not be read";
    } else if (kind == E2U_STORE_DELEGATION) {
        a.kind = E2U__ANS_FAIL;
        a.why = "the name is delegated away from the local store";
    } else if (kind != E2U_STORE_NXDOMAIN) {
        a.kind = E2U__ANS_DATA;
        a.rr = s->rr;
        a.nrr = n;
    }
    cb(arg, &a);
}

static int sto_query(e2u__source_t *src, const uint8_t *qname, unsigned timeout_ms,
                     e2u__answer_fn cb, void *arg, uint64_t *handle)
{
    (void)timeout_ms;
    return e2u__deferred_add(&((src_store_t *)src)->dq, qname, cb, arg, handle);
}

static void sto_cancel(e2u__source_t *src, uint64_t handle)
{
    e2u__deferred_cancel(&((src_store_t *)src)->dq, handle);
}

static int sto_fd(e2u__source_t *src)
{
    return ((src_store_t *)src)->dq.efd;
}

static int sto_process(e2u__source_t *src)
{
    src_store_t *s = (src_store_t *)src;
    if (s->dq.qn == 0)
        return 0;
    if (e2u_store_read_renew(s->rd) < 0)
        return E2U_ESTORE;
    return e2u__deferred_run(&s->dq, sto_answer, s);
}

static int sto_next_timeout(e2u__source_t *src)
{
    return e2u__deferred_timeout(&((src_store_t *)src)->dq);
}

static void sto_free(e2u__source_t *src)
{
    src_store_t *s = (src_store_t *)src;
    if (!s)
        return;
    e2u_store_read_end(s->rd);
    e2u_store_close(s->st);
    e2u__deferred_free(&s->dq);
    free(s->buf);
    free(s->rr);
    free(s);
}

static const e2u__source_ops_t ops = {sto_query, sto_cancel, sto_fd, sto_process,
                                      sto_next_timeout, sto_free};

int e2u__store_new(e2u__source_t **out, const char *path, e2u_diag_t *diag)
{
    src_store_t *s = calloc(1, sizeof(*s));
    if (!s)
        return E2U_ENOMEM;
    s->base.ops = &ops;
    s->dq.efd = -1;
    s->buf = malloc(E2U_STORE_BUF_MIN);
    s->rr = malloc(MAX_RR * sizeof(e2u_rdata_t));
    if (!s->buf || !s->rr || e2u__deferred_init(&s->dq) < 0) {
        sto_free(&s->base);
        return E2U_ENOMEM;
    }
    e2u_store_opts_t o = {.read_only = true};
    int rc = e2u_store_open(&s->st, path, &o, diag);
    if (rc == 0)
        rc = e2u_store_read_begin(s->st, &s->rd);
    if (rc < 0) {
        if (!s->rd && s->st)
            e2u__diag(diag, rc, 0, "store %s: cannot start a reader: %s", path, e2u_strerror(rc));
        sto_free(&s->base);
        return rc;
    }
    *out = &s->base;
    return 0;
}
