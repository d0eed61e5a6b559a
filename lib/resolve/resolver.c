/*
 * lib/resolve/resolver.c — the public resolver: options, the choice of source, and the event
 * loop glue that lets a caller drive many lookups from one thread.
 *
 * Which source answers (lib/resolve/source.h):
 *   - static records when the options carry them (tests);
 *   - the local store with db_path (`e2u lookup --db`);
 *   - e2u's own stub when servers are given and no validation is asked for: a carrier's
 *     authoritative ENUM server is the common case and the fast path;
 *   - libunbound otherwise: the system resolver, or full recursion (or forwarding to the
 *     given servers) with DNSSEC validation.
 *
 * Lookups finish inside the source's callbacks. Their own callbacks are deferred to the end
 * of e2u_resolver_process(), in the order they finished, so that a caller's callback may
 * start new lookups or free the one it is given without disturbing the loop. An eventfd
 * joined with the source's descriptor in one epoll set makes e2u_resolver_fd() wake up for
 * both network answers and lookups that finished without one (invalid numbers, cache hits).
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/internal.h"
#include "e2u/dname.h"
#include "resolve/internal.h"

struct e2u_resolver {
    e2u__rctx_t rc;
    e2u__link_t active; /* circular list heads */
    e2u__link_t done;
    size_t pending;
    int efd;
    int epfd;
};

static void list_init(e2u__link_t *h)
{
    h->next = h->prev = h;
}

static void list_del(e2u__link_t *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->next = l->prev = l;
}

static void list_add_tail(e2u__link_t *h, e2u__link_t *l)
{
    l->prev = h->prev;
    l->next = h;
    h->prev->next = l;
    h->prev = l;
}

static void finished(e2u__rctx_t *rc, e2u__lookup_t *lk)
{
    e2u_resolver_t *r = (e2u_resolver_t *)rc; /* rc is the first member */
    e2u__link_t *l = e2u__lookup_link(lk);
    list_del(l);
    list_add_tail(&r->done, l);
    uint64_t one = 1;
    if (write(r->efd, &one, sizeof(one)) < 0) {
        /* the counter cannot overflow in practice; the done list is checked anyway */
    }
}

int e2u_resolver_new(e2u_resolver_t **out, const e2u_resolver_opts_t *o, e2u_diag_t *diag)
{
    static const e2u_resolver_opts_t defaults;
    int rc;
    if (!out)
        return E2U_EINVAL;
    *out = NULL;
    if (!o)
        o = &defaults;
    if (o->nsuffixes > E2U_SUFFIXES_MAX)
        return e2u__diag(diag, E2U_EINVAL, 0, "more than %d suffixes", E2U_SUFFIXES_MAX);
    if (o->nservers > E2U_SERVERS_MAX)
        return e2u__diag(diag, E2U_EINVAL, 0, "more than %d servers", E2U_SERVERS_MAX);
    e2u_resolver_t *r = calloc(1, sizeof(*r));
    if (!r)
        return E2U_ENOMEM;
    list_init(&r->active);
    list_init(&r->done);
    r->efd = -1;
    r->epfd = -1;
    r->rc.finished = finished;
    r->rc.strict_order = o->strict_order;
    r->rc.dnssec = o->dnssec;
    r->rc.timeout_ms = o->timeout_ms ? o->timeout_ms : 5000;
    r->rc.max_hops = o->max_hops ? o->max_hops : 5;
    if (r->rc.max_hops > 32)
        r->rc.max_hops = 32;
    r->rc.numopts = o->numopts;

    static const char *const default_suffix[] = {"e164.arpa"};
    const char *const *sfx = o->nsuffixes ? o->suffixes : default_suffix;
    size_t nsfx = o->nsuffixes ? o->nsuffixes : 1;
    for (size_t i = 0; i < nsfx; i++) {
        e2u_diag_t d;
        size_t wl;
        if (e2u_dname_from_text(r->rc.suffix[i], E2U_DNAME_MAX, &wl, sfx[i], strlen(sfx[i]), NULL,
                                &d) < 0) {
            rc = e2u__diag(diag, E2U_EINVAL, 0, "suffix '%s': %s", sfx[i], d.msg);
            goto fail;
        }
        e2u_dname_to_text(r->rc.suffix_text[i], E2U_DNAME_TEXT_MAX, NULL, r->rc.suffix[i], wl);
    }
    r->rc.nsuffixes = nsfx;

    e2u_eval_opts_t eo = {.filter = o->filter,
                          .nfilter = o->nfilter,
                          .strict_order = false, /* applied after expansion, in lookup.c */
                          .allow_private = o->allow_private,
                          .limits = o->limits};
    if ((rc = e2u_eval_new(&r->rc.ev, &eo)) < 0) {
        rc = e2u__diag(diag, rc, 0, "%s", rc == E2U_EINVAL ? "too many service filters"
                                                                 : e2u_strerror(rc));
        goto fail;
    }

    if (o->static_records) {
        rc = e2u__static_new(&r->rc.src, o->static_records, diag);
    } else if (o->db_path) {
        rc = e2u__store_new(&r->rc.src, o->db_path, diag);
    } else if (o->nservers && !o->dnssec) {
        e2u__stub_opts_t so = {.servers = o->servers,
                               .nservers = o->nservers,
                               .no_cache = o->no_cache};
        rc = e2u__stub_new(&r->rc.src, &so, diag);
    } else {
        e2u__unbound_opts_t uo = {.servers = o->servers,
                                  .nservers = o->nservers,
                                  .dnssec = o->dnssec,
                                  .trust_anchors = o->trust_anchors,
                                  .ntrust_anchors = o->ntrust_anchors,
                                  .trust_anchor_file = o->trust_anchor_file};
        rc = e2u__unbound_new(&r->rc.src, &uo, diag);
    }
    if (rc < 0)
        goto fail;

    r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    r->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (r->efd < 0 || r->epfd < 0) {
        rc = e2u__diag(diag, E2U_EIO, 0, "cannot create the event descriptors");
        goto fail;
    }
    struct epoll_event ev = {.events = EPOLLIN};
    if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->efd, &ev) < 0) {
        rc = e2u__diag(diag, E2U_EIO, 0, "epoll_ctl failed");
        goto fail;
    }
    int sfd = r->rc.src->ops->fd(r->rc.src);
    if (sfd >= 0 && epoll_ctl(r->epfd, EPOLL_CTL_ADD, sfd, &ev) < 0) {
        rc = e2u__diag(diag, E2U_EIO, 0, "epoll_ctl failed");
        goto fail;
    }
    *out = r;
    return 0;
fail:
    e2u_resolver_free(r);
    return rc;
}

void e2u_resolver_free(e2u_resolver_t *r)
{
    if (!r)
        return;
    e2u__link_t *heads[2] = {&r->active, &r->done};
    for (int k = 0; k < 2; k++) {
        while (heads[k]->next != heads[k]) {
            e2u__link_t *l = heads[k]->next;
            e2u__lookup_t *lk = e2u__lookup_of(l);
            list_del(l);
            e2u__lookup_cancel(lk);
            e2u__lookup_discard(lk);
        }
    }
    if (r->rc.src)
        r->rc.src->ops->free(r->rc.src);
    e2u_eval_free(r->rc.ev);
    if (r->efd >= 0)
        close(r->efd);
    if (r->epfd >= 0)
        close(r->epfd);
    free(r);
}

int e2u_resolve_async(e2u_resolver_t *r, const char *number, size_t len, e2u_lookup_fn cb,
                      void *arg)
{
    e2u__lookup_t *lk;
    if (!r || !cb)
        return E2U_EINVAL;
    int rc = e2u__lookup_new(&lk, &r->rc, number, len, cb, arg);
    if (rc < 0)
        return rc;
    list_add_tail(&r->active, e2u__lookup_link(lk));
    r->pending++;
    e2u__lookup_start(lk);
    return 0;
}

int e2u_resolver_fd(const e2u_resolver_t *r)
{
    return r ? r->epfd : -1;
}

int e2u_resolver_timeout_ms(e2u_resolver_t *r)
{
    if (r->done.next != &r->done)
        return 0;
    if (r->pending == 0)
        return -1;
    return r->rc.src->ops->next_timeout_ms(r->rc.src);
}

int e2u_resolver_process(e2u_resolver_t *r)
{
    uint64_t v;
    if (read(r->efd, &v, sizeof(v)) < 0) {
        /* EAGAIN: nothing signalled; fine */
    }
    int rc = r->rc.src->ops->process(r->rc.src);
    int n = 0;
    /* Deliver what finished; a callback may start lookups, which land on the lists anew. */
    e2u__link_t batch;
    list_init(&batch);
    while (r->done.next != &r->done) {
        e2u__link_t *l = r->done.next;
        list_del(l);
        list_add_tail(&batch, l);
    }
    while (batch.next != &batch) {
        e2u__link_t *l = batch.next;
        list_del(l);
        r->pending--;
        n++;
        e2u__lookup_deliver(e2u__lookup_of(l));
    }
    return rc < 0 ? rc : n;
}

size_t e2u_resolver_pending(const e2u_resolver_t *r)
{
    return r ? r->pending : 0;
}

int e2u_resolver_wait(e2u_resolver_t *r)
{
    while (r->pending) {
        int t = e2u_resolver_timeout_ms(r);
        if (t != 0) {
            struct pollfd p = {.fd = r->epfd, .events = POLLIN};
            if (poll(&p, 1, t < 0 ? 1000 : t) < 0)
                continue;
        }
        int rc = e2u_resolver_process(r);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void keep(void *arg, e2u_lookup_t *lk)
{
    *(e2u_lookup_t **)arg = lk;
}

int e2u_resolve(e2u_resolver_t *r, const char *number, size_t len, e2u_lookup_t **out)
{
    if (!out)
        return E2U_EINVAL;
    *out = NULL;
    int rc = e2u_resolve_async(r, number, len, keep, out);
    if (rc < 0)
        return rc;
    while (!*out) {
        int t = e2u_resolver_timeout_ms(r);
        if (t != 0) {
            struct pollfd p = {.fd = r->epfd, .events = POLLIN};
            poll(&p, 1, t < 0 ? 1000 : t);
        }
        rc = e2u_resolver_process(r);
        if (rc < 0 && !*out)
            return rc;
    }
    return 0;
}
