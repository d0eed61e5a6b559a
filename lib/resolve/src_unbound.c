/*
 * lib/resolve/src_unbound.c — the libunbound source: the system resolver, forwarding, and full
 * recursion with DNSSEC validation.
 *
 * libunbound brings what e2u should not reinvent for the general case: recursion from the
 * root, validation against trust anchors with secure / insecure / bogus results, a cache that
 * honours TTLs and negative answers (RFC 2308), TCP after a truncated answer. It runs its
 * resolving in a thread (ub_ctx_async) and hands answers back through ub_process() on the
 * descriptor ub_fd(), which is exactly the source contract: callbacks run inside process().
 *
 * What libunbound does not give is a bound per question: it retries a silent server for a long
 * while. Each pending query therefore carries a deadline; process() cancels the late ones
 * (ub_cancel) and reports E2U__ANS_TIMEOUT. Pending queries sit in an array indexed by a slot
 * number recycled through a free list; the handle is slot | generation << 32, so a stale
 * handle can never cancel a newer query.
 *
 * Servers given with --server become forwarders ("ADDR@PORT" is unbound's own syntax); the
 * loopback guard (do-not-query-localhost) is lifted so that a local server can be used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unbound.h>

#include "core/internal.h"
#include "e2u/dname.h"
#include "resolve/source.h"

typedef struct slot {
    bool used;
    bool cancelled;
    uint32_t gen;
    int async_id;
    uint64_t deadline_ms;
    e2u__answer_fn cb;
    void *arg;
    struct src_unbound *owner;
    uint32_t next_free;
} slot_t;

typedef struct src_unbound {
    e2u__source_t base;
    struct ub_ctx *ctx;
    bool dnssec;
    slot_t *slots;
    uint32_t nslots, cap, free_head;
    size_t inflight;
} src_unbound_t;

#define NO_SLOT UINT32_MAX

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void release(src_unbound_t *s, uint32_t i)
{
    s->slots[i].used = false;
    s->slots[i].gen++;
    s->slots[i].next_free = s->free_head;
    s->free_head = i;
    s->inflight--;
}

static const char *rcode_name(int rcode)
{
    switch (rcode) {
    case 1: return "FORMERR";
    case 2: return "SERVFAIL";
    case 4: return "NOTIMP";
    case 5: return "REFUSED";
    default: return "an error";
    }
}

static void on_result(void *mydata, int err, struct ub_result *res)
{
    slot_t *sl = mydata;
    src_unbound_t *s = sl->owner;
    uint32_t idx = (uint32_t)(sl - s->slots);
    char why[300];
    e2u__answer_t a = {.kind = E2U__ANS_FAIL};
    e2u_rdata_t rr[256];
    uint8_t owner[E2U_DNAME_MAX];

    if (sl->cancelled) {
        release(s, idx);
        if (res)
            ub_resolve_free(res);
        return;
    }
    if (err) {
        snprintf(why, sizeof(why), "resolver error: %s", ub_strerror(err));
        a.why = why;
    } else if (res->bogus) {
        a.kind = E2U__ANS_BOGUS;
        a.dnssec = E2U__DNSSEC_BOGUS;
        snprintf(why, sizeof(why), "DNSSEC validation failed: %s",
                 res->why_bogus ? res->why_bogus : "bogus");
        a.why = why;
    } else {
        if (s->dnssec)
            a.dnssec = res->secure ? E2U__DNSSEC_SECURE : E2U__DNSSEC_INSECURE;
        if (res->rcode == 3) {
            a.kind = E2U__ANS_NXDOMAIN;
        } else if (res->rcode == 0) {
            a.kind = E2U__ANS_DATA;
            size_t n = 0;
            for (; res->havedata && res->data[n] && n < sizeof(rr) / sizeof(rr[0]); n++) {
                if (res->len[n] < 0 || res->len[n] > 65535)
                    continue;
                rr[n] = (e2u_rdata_t){(const uint8_t *)res->data[n], (uint16_t)res->len[n]};
            }
            a.rr = rr;
            a.nrr = n;
            size_t ol;
            if (res->canonname &&
                e2u_dname_from_text(owner, sizeof(owner), &ol, res->canonname,
                                    strlen(res->canonname), NULL, NULL) == 0)
                a.owner = owner;
        } else {
            snprintf(why, sizeof(why), "%s from the resolver", rcode_name(res->rcode));
            a.why = why;
        }
    }
    e2u__answer_fn cb = sl->cb;
    void *arg = sl->arg;
    release(s, idx);
    cb(arg, &a);
    if (res)
        ub_resolve_free(res);
}

static int ub_query(e2u__source_t *src, const uint8_t *qname, unsigned timeout_ms,
                    e2u__answer_fn cb, void *arg, uint64_t *handle)
{
    src_unbound_t *s = (src_unbound_t *)src;
    char name[E2U_DNAME_TEXT_MAX];
    if (e2u_dname_to_text(name, sizeof(name), NULL, qname, E2U_DNAME_MAX) < 0)
        return E2U_EDNAME;
    if (s->free_head == NO_SLOT) {
        if (s->nslots == s->cap) {
            uint32_t cap = s->cap ? s->cap * 2 : 64;
            if (s->inflight > 0) {
                /* slots are referenced by libunbound (mydata): they must not move */
                return E2U_EBUSY;
            }
            slot_t *ns = realloc(s->slots, cap * sizeof(*ns));
            if (!ns)
                return E2U_ENOMEM;
            s->slots = ns;
            s->cap = cap;
        }
        s->slots[s->nslots] = (slot_t){.next_free = NO_SLOT, .owner = s};
        s->free_head = s->nslots++;
    }
    uint32_t i = s->free_head;
    slot_t *sl = &s->slots[i];
    s->free_head = sl->next_free;
    sl->used = true;
    sl->cancelled = false;
    sl->cb = cb;
    sl->arg = arg;
    sl->owner = s;
    sl->deadline_ms = now_ms() + timeout_ms;
    s->inflight++;
    int rc = ub_resolve_async(s->ctx, name, 35 /* NAPTR */, 1 /* IN */, sl, on_result,
                              &sl->async_id);
    if (rc != 0) {
        release(s, i);
        return E2U_EDNS;
    }
    *handle = (uint64_t)i | ((uint64_t)sl->gen << 32);
    return 0;
}

static void ub_cancel_q(e2u__source_t *src, uint64_t handle)
{
    src_unbound_t *s = (src_unbound_t *)src;
    uint32_t i = (uint32_t)handle;
    if (i >= s->nslots || !s->slots[i].used || s->slots[i].gen != (uint32_t)(handle >> 32))
        return;
    s->slots[i].cancelled = true;
    if (ub_cancel(s->ctx, s->slots[i].async_id) == 0)
        release(s, i); /* libunbound will not call back */
}

static int ub_fd_q(e2u__source_t *src)
{
    return ub_fd(((src_unbound_t *)src)->ctx);
}

static int ub_process_q(e2u__source_t *src)
{
    src_unbound_t *s = (src_unbound_t *)src;
    if (ub_poll(s->ctx) && ub_process(s->ctx) != 0)
        return E2U_EDNS;
    int n = 0;
    uint64_t now = now_ms();
    for (uint32_t i = 0; i < s->nslots; i++) {
        slot_t *sl = &s->slots[i];
        if (!sl->used || sl->cancelled || sl->deadline_ms > now)
            continue;
        e2u__answer_fn cb = sl->cb;
        void *arg = sl->arg;
        sl->cancelled = true;
        if (ub_cancel(s->ctx, sl->async_id) == 0)
            release(s, i);
        e2u__answer_t a = {.kind = E2U__ANS_TIMEOUT, .why = "no answer within the timeout"};
        cb(arg, &a);
        n++;
    }
    return n;
}

static int ub_next_timeout(e2u__source_t *src)
{
    src_unbound_t *s = (src_unbound_t *)src;
    uint64_t now = now_ms(), best = UINT64_MAX;
    for (uint32_t i = 0; i < s->nslots; i++) {
        if (s->slots[i].used && !s->slots[i].cancelled && s->slots[i].deadline_ms < best)
            best = s->slots[i].deadline_ms;
    }
    if (best == UINT64_MAX)
        return -1;
    return best <= now ? 0 : (int)(best - now);
}

static void ub_free_q(e2u__source_t *src)
{
    src_unbound_t *s = (src_unbound_t *)src;
    if (!s)
        return;
    if (s->ctx)
        ub_ctx_delete(s->ctx);
    free(s->slots);
    free(s);
}

static const e2u__source_ops_t ops = {ub_query, ub_cancel_q, ub_fd_q, ub_process_q,
                                      ub_next_timeout, ub_free_q};

int e2u__unbound_new(e2u__source_t **out, const e2u__unbound_opts_t *o, e2u_diag_t *diag)
{
    src_unbound_t *s = calloc(1, sizeof(*s));
    int rc;
    if (!s)
        return E2U_ENOMEM;
    s->base.ops = &ops;
    s->free_head = NO_SLOT;
    s->dnssec = o->dnssec;
    /* Slots are fixed once queries fly (libunbound holds pointers to them): size up front. */
    s->cap = 65536;
    s->slots = calloc(s->cap, sizeof(slot_t));
    s->ctx = ub_ctx_create();
    if (!s->slots || !s->ctx) {
        ub_free_q(&s->base);
        return E2U_ENOMEM;
    }
    if ((rc = ub_ctx_set_option(s->ctx, "do-not-query-localhost:", "no")) != 0)
        goto ub_fail;
    for (size_t i = 0; i < o->nservers; i++) {
        if ((rc = ub_ctx_set_fwd(s->ctx, o->servers[i])) != 0) {
            e2u__diag(diag, E2U_EINVAL, 0, "server '%s': %s", o->servers[i], ub_strerror(rc));
            ub_free_q(&s->base);
            return E2U_EINVAL;
        }
    }
    if (o->nservers == 0 && !o->dnssec) {
        if ((rc = ub_ctx_resolvconf(s->ctx, NULL)) != 0)
            goto ub_fail;
    }
    if (o->dnssec) {
        for (size_t i = 0; i < o->ntrust_anchors; i++) {
            if ((rc = ub_ctx_add_ta(s->ctx, o->trust_anchors[i])) != 0) {
                e2u__diag(diag, E2U_EINVAL, 0, "trust anchor '%.60s': %s", o->trust_anchors[i],
                          ub_strerror(rc));
                ub_free_q(&s->base);
                return E2U_EINVAL;
            }
        }
        if (o->ntrust_anchors == 0 || o->trust_anchor_file) {
            const char *f = o->trust_anchor_file ? o->trust_anchor_file
                                                 : "/usr/share/dns/root.key";
            if ((rc = ub_ctx_add_ta_file(s->ctx, f)) != 0) {
                e2u__diag(diag, E2U_EDNS, 0, "trust anchor file %s: %s", f, ub_strerror(rc));
                ub_free_q(&s->base);
                return E2U_EDNS;
            }
        }
    }
    if ((rc = ub_ctx_async(s->ctx, 1)) != 0)
        goto ub_fail;
    *out = &s->base;
    return 0;
ub_fail:
    e2u__diag(diag, E2U_EDNS, 0, "libunbound: %s", ub_strerror(rc));
    ub_free_q(&s->base);
    return E2U_EDNS;
}
