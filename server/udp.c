/*
 * server/udp.c — UDP workers: SO_REUSEPORT sockets, batched receive and send.
 *
 * Each worker thread owns one socket per listen address, bound with SO_REUSEPORT so the kernel
 * spreads datagrams over the workers with no lock between them. A worker takes up to BATCH
 * datagrams with one recvmmsg(), brings its store reader to the latest commit once for the
 * batch (so a change is answered by the next batch, DESIGN.md "live data"), answers each into
 * its own slot and sends all answers with one sendmmsg(): the system-call cost is shared by the
 * batch, which is what makes the recvmmsg/sendmmsg echo the floor of bench/README.md. The
 * latency histogram is fed per batch too: each query of it spent the time from the receive to
 * the send of all answers, which two clock readings measure.
 *
 * With rate limiting configured (mod-rrl), each answer's bucket is found and its loading started
 * as it is made; once all are made, each is counted against its bucket, and dropped or cut to a
 * truncated answer when over the limit (rrl.c), before the sendmmsg. TCP answers are never
 * limited.
 *
 * With one listen address a worker blocks in recvmmsg (MSG_WAITFORONE); with several it polls
 * them. A 200 ms receive timeout lets it notice SIGTERM: in-flight answers are sent, then the
 * worker leaves (drain).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "server.h"

#define BATCH 64
#define QBUF  4096 /* a query longer than this is truncated by the kernel and dropped */

typedef struct worker {
    pthread_t thread;
    e2ud_server_t *srv;
    e2ud_stats_t *stats;
    int fds[E2UD_LISTEN_MAX];
    size_t nfds;
    unsigned id;
    e2ud_rrl_state_t rrl;
} worker_t;

static worker_t *workers;
static unsigned nworkers;

static int open_socket(const e2ud_addr_t *a)
{
    int fd = socket(a->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int one = 1;
    struct timeval tv = {0, 200000};
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        (a->ss.ss_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
        bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    int sz = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    return fd;
}

typedef struct slots {
    struct mmsghdr in[BATCH], out[BATCH];
    struct iovec iov_in[BATCH], iov_out[BATCH];
    struct sockaddr_storage addr[BATCH];
    e2ud_rrl_ticket_t ticket[BATCH]; /* of out[]: the answers' rate-limiting buckets */
    uint8_t *qbuf; /* BATCH x QBUF */
    uint8_t *rbuf; /* BATCH x resp_cap */
    size_t resp_cap;
} slots_t;

static void serve_batch(worker_t *w, e2ud_qctx_t *q, slots_t *s, int fd, int n)
{
    int nout = 0;
    uint64_t t0 = e2ud_now_ns(); /* the batch's answers leave together: one time for all */
    e2ud_qctx_renew(q);
    e2ud_rrl_t *rrl = q->cfg ? q->cfg->rrl : NULL;
    /* the batch's index loads started together, so that each query does not wait for its own
     * (e2u_store_prefetch: buckets for all, then the entries they point to) */
    for (unsigned step = 0; step < 2; step++)
        for (int i = 0; i < n; i++)
            e2ud_qctx_prefetch(q, s->qbuf + (size_t)i * QBUF, s->in[i].msg_len, step);
    for (int i = 0; i < n; i++) {
        if (s->in[i].msg_hdr.msg_flags & MSG_TRUNC) {
            e2ud_count(&w->stats->dropped, 1);
            continue;
        }
        uint8_t *resp = s->rbuf + (size_t)i * s->resp_cap;
        size_t rl = e2ud_answer(q, s->qbuf + (size_t)i * QBUF, s->in[i].msg_len, resp, s->resp_cap,
                                &s->addr[i], false);
        e2ud_count(&w->stats->udp, 1);
        if (rl == 0)
            continue;
        if (rrl)
            e2ud_rrl_classify(rrl, &s->addr[i], resp, rl, q->zone,
                              q->authenticated || q->cookie_valid, &s->ticket[nout]);
        struct mmsghdr *m = &s->out[nout];
        s->iov_out[nout].iov_base = resp;
        s->iov_out[nout].iov_len = rl;
        memset(&m->msg_hdr, 0, sizeof(m->msg_hdr));
        m->msg_hdr.msg_name = &s->addr[i];
        m->msg_hdr.msg_namelen = s->in[i].msg_hdr.msg_namelen;
        m->msg_hdr.msg_iov = &s->iov_out[nout];
        m->msg_hdr.msg_iovlen = 1;
        nout++;
    }
    if (rrl) {
        /* counted once the batch is answered, its buckets having loaded in the meantime */
        int kept = 0;
        bool dry = e2ud_rrl_dry_run(rrl);
        for (int j = 0; j < nout; j++) {
            int v = e2ud_rrl_count(rrl, &w->rrl, &s->ticket[j], s->out[j].msg_hdr.msg_name,
                                   t0 / 1000000000u);
            if (v != E2UD_RRL_PASS)
                e2ud_count(v == E2UD_RRL_DROP ? &w->stats->rrl_dropped : &w->stats->rrl_slipped,
                           1);
            if (v == E2UD_RRL_DROP && !dry)
                continue;
            if (v == E2UD_RRL_SLIP && !dry)
                s->iov_out[j].iov_len = e2ud_rrl_truncate(s->iov_out[j].iov_base,
                                                          s->iov_out[j].iov_len);
            if (kept != j) {
                s->iov_out[kept] = s->iov_out[j];
                s->out[kept] = s->out[j];
                s->out[kept].msg_hdr.msg_iov = &s->iov_out[kept];
            }
            kept++;
        }
        nout = kept;
    }
    for (int sent = 0; sent < nout;) {
        int r = sendmmsg(fd, s->out + sent, (unsigned)(nout - sent), 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            /* a full socket buffer or an unreachable client: drop the rest of the batch */
            e2ud_count(&w->stats->dropped, (uint64_t)(nout - sent));
            break;
        }
        sent += r;
    }
    e2ud_stats_latency(w->stats, e2ud_now_ns() - t0, (uint64_t)nout);
}

static void *udp_main(void *arg)
{
    worker_t *w = arg;
    e2ud_server_t *srv = w->srv;
    e2ud_qctx_t q;
    slots_t *s = calloc(1, sizeof(*s));
    if (!s || e2ud_qctx_init(&q, srv, srv->store, w->stats, srv->start->udp_max_payload) < 0) {
        e2ud_log(LOG_CRIT, "udp worker %u: cannot start (store reader or memory)", w->id);
        free(s);
        atomic_store(&srv->stop, true);
        return NULL;
    }
    s->resp_cap = srv->start->udp_max_payload;
    s->qbuf = malloc((size_t)BATCH * QBUF);
    s->rbuf = malloc((size_t)BATCH * s->resp_cap);
    if (!s->qbuf || !s->rbuf) {
        e2ud_log(LOG_CRIT, "udp worker %u: out of memory", w->id);
        atomic_store(&srv->stop, true);
        goto out;
    }
    while (!atomic_load_explicit(&srv->stop, memory_order_relaxed)) {
        struct pollfd p[E2UD_LISTEN_MAX];
        if (w->nfds > 1) {
            for (size_t j = 0; j < w->nfds; j++)
                p[j] = (struct pollfd){.fd = w->fds[j], .events = POLLIN};
            if (poll(p, (nfds_t)w->nfds, 200) <= 0) {
                e2ud_qctx_idle(&q);
                continue;
            }
        }
        for (size_t k = 0; k < w->nfds; k++) {
            if (w->nfds > 1 && !(p[k].revents & POLLIN))
                continue;
            for (int i = 0; i < BATCH; i++) {
                s->iov_in[i].iov_base = s->qbuf + (size_t)i * QBUF;
                s->iov_in[i].iov_len = QBUF;
                memset(&s->in[i].msg_hdr, 0, sizeof(s->in[i].msg_hdr));
                s->in[i].msg_hdr.msg_name = &s->addr[i];
                s->in[i].msg_hdr.msg_namelen = sizeof(s->addr[i]);
                s->in[i].msg_hdr.msg_iov = &s->iov_in[i];
                s->in[i].msg_hdr.msg_iovlen = 1;
            }
            int n = recvmmsg(w->fds[k], s->in, BATCH, w->nfds > 1 ? MSG_DONTWAIT : MSG_WAITFORONE,
                             NULL);
            if (n <= 0) {
                e2ud_qctx_idle(&q); /* timeout: also the stop check */
                continue;
            }
            serve_batch(w, &q, s, w->fds[k], n);
        }
    }
out:
    e2ud_qctx_free(&q);
    free(s->qbuf);
    free(s->rbuf);
    free(s);
    return NULL;
}

int e2ud_udp_start(e2ud_server_t *srv, unsigned n, e2ud_stats_t **stats)
{
    workers = calloc(n, sizeof(worker_t));
    if (!workers)
        return -1;
    nworkers = n;
    for (unsigned i = 0; i < n; i++) {
        worker_t *w = &workers[i];
        w->srv = srv;
        w->stats = stats[i];
        w->id = i;
        for (size_t k = 0; k < srv->start->nlisten; k++) {
            int fd = open_socket(&srv->start->listen[k]);
            if (fd < 0) {
                e2ud_log(LOG_CRIT, "cannot listen on %s (UDP): %s", srv->start->listen[k].text,
                         strerror(errno));
                return -1;
            }
            w->fds[w->nfds++] = fd;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&workers[i].thread, NULL, udp_main, &workers[i]) != 0) {
            e2ud_log(LOG_CRIT, "cannot start UDP worker %u", i);
            nworkers = i;
            return -1;
        }
    }
    return 0;
}

void e2ud_udp_join(void)
{
    for (unsigned i = 0; i < nworkers; i++) {
        pthread_join(workers[i].thread, NULL);
        for (size_t k = 0; k < workers[i].nfds; k++)
            close(workers[i].fds[k]);
    }
    free(workers);
    workers = NULL;
    nworkers = 0;
}
