/*
 * server/tcp.c — DNS over TCP (RFC 7766): pipelined queries, idle and I/O timeouts, a bound
 * on clients.
 *
 * Each TCP worker runs an epoll loop over the listen sockets (shared, EPOLLEXCLUSIVE so one
 * worker wakes per connection) and its own connections. A connection reads as much as is
 * there, answers every complete message in order (RFC 7766 §6.2.1.1: a client may send the next
 * query before the previous answer), queues the answers and writes what the socket takes; the
 * rest waits for EPOLLOUT. Reading pauses while more than OUT_MAX octets of answers wait, so a
 * client that never reads cannot make us buffer without bound.
 *
 * Zone transfers (RFC 5936, RFC 1995; xfr_out.c) stream: a complete AXFR or IXFR query goes to
 * e2ud_xfr_out_start instead of the query path, and every time the connection's output falls
 * below XFR_QUEUE octets the next message is asked for (e2ud_xfr_out_next), so at most a few
 * messages of a transfer of any size wait in memory; a turn makes at most XFR_BURST messages,
 * then the worker serves its other connections. While a transfer runs the connection
 * neither reads nor answers further queries (pipelined ones stay in its input buffer and are
 * answered in order once it ends, RFC 7766 §6.2.1.1), which also keeps its answers from being
 * interleaved with the transfer's messages.
 *
 * Bounds against slow or hostile clients (DESIGN.md; issue "Bad input"):
 *   - tcp-max-clients connections in all; one more is accepted and closed at once;
 *   - tcp-idle-timeout: a connection with no complete message for that long is closed;
 *   - tcp-io-timeout: a message whose first octet arrived that long ago and is still
 *     incomplete is closed (slowloris);
 *   - a message shorter than a DNS header closes the connection; garbage of any length costs
 *     at most one 65535-octet buffer per connection and a FORMERR per framed message;
 *   - output that makes no progress for tcp-idle-timeout (a client that stopped reading its
 *     answers or a transfer) closes the connection.
 * The deadlines are checked when epoll_wait times out (every 250 ms at most), so a stalled
 * client never delays the others.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "server.h"

#define IN_MAX    (2 + 65535)
#define OUT_MAX   (256 * 1024)
#define XFR_QUEUE (64 * 1024) /* a transfer's messages waiting to be written: about four */
#define XFR_BURST 16          /* messages of one transfer per turn, so other clients get theirs */
#define EVENTS    64

typedef struct conn {
    int fd;
    uint8_t *in; /* IN_MAX */
    size_t in_len;
    uint8_t *out; /* grows up to OUT_MAX + one answer */
    size_t out_len, out_cap, out_off;
    uint64_t last_msg_ms; /* when the last complete message (or the accept) happened */
    uint64_t partial_ms;  /* when the first octet of the incomplete message arrived, or 0 */
    uint64_t out_ms;      /* when the output last made progress (or started waiting) */
    e2ud_xfr_t *xfr;      /* a zone transfer in progress: reading pauses until it ends */
    struct sockaddr_storage peer;
    struct conn *next, *prev;
} conn_t;

typedef struct tworker {
    pthread_t thread;
    e2ud_server_t *srv;
    e2ud_stats_t *stats;
    int epfd;
    conn_t head; /* circular list of connections */
    unsigned id;
} tworker_t;

static tworker_t *tws;
static unsigned ntws;
static int lfds[E2UD_LISTEN_MAX];
static size_t nlfds;
static _Atomic unsigned clients;

static uint64_t now_ms(void)
{
    return e2ud_now_ns() / 1000000u;
}

static void conn_close(tworker_t *w, conn_t *c)
{
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->prev->next = c->next;
    c->next->prev = c->prev;
    e2ud_xfr_out_free(c->xfr);
    free(c->in);
    free(c->out);
    free(c);
    atomic_fetch_sub(&clients, 1);
}

static void want(tworker_t *w, conn_t *c)
{
    struct epoll_event ev = {.data.ptr = c};
    /* a transfer waits for the socket to take more: EPOLLOUT is its turn */
    ev.events = (c->out_len > c->out_off || c->xfr ? EPOLLOUT : 0) |
                (!c->xfr && c->out_len < OUT_MAX ? EPOLLIN : 0);
    epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write what the socket takes; false when the connection must close. */
static bool flush_out(conn_t *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return true;
            if (errno == EINTR)
                continue;
            return false;
        }
        c->out_off += (size_t)n;
        c->out_ms = now_ms();
    }
    c->out_off = c->out_len = 0;
    return true;
}

static bool queue_answer(conn_t *c, const uint8_t *a, size_t n)
{
    if (c->out_off) {
        /* what was written makes room: a transfer appends to a partly written buffer, which
         * must not grow with the whole transfer */
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (c->out_len == 0)
        c->out_ms = now_ms();
    if (c->out_len + 2 + n > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + 2 + n)
            cap *= 2;
        uint8_t *o = realloc(c->out, cap);
        if (!o)
            return false;
        c->out = o;
        c->out_cap = cap;
    }
    c->out[c->out_len] = (uint8_t)(n >> 8);
    c->out[c->out_len + 1] = (uint8_t)n;
    memcpy(c->out + c->out_len + 2, a, n);
    c->out_len += 2 + n;
    return true;
}

/* Answer the complete messages buffered in c->in, in order, until a transfer starts or the
 * output is full; false when the connection must close. */
static bool answer_buffered(tworker_t *w, e2ud_qctx_t *q, conn_t *c, uint8_t *resp, bool *renewed)
{
    size_t off = 0;
    bool ok = true;
    while (!c->xfr && c->out_len < OUT_MAX && c->in_len - off >= 2) {
        size_t mlen = (size_t)c->in[off] << 8 | c->in[off + 1];
        if (mlen < 12) {
            ok = false; /* not even a header: a broken or hostile stream */
            break;
        }
        if (c->in_len - off - 2 < mlen)
            break;
        if (!*renewed) {
            e2ud_qctx_renew(q);
            *renewed = true;
        }
        const uint8_t *m = c->in + off + 2;
        size_t rl = 0;
        uint64_t t0 = e2ud_now_ns();
        if (e2ud_is_xfr_query(m, mlen))
            c->xfr = e2ud_xfr_out_start(q, m, mlen, &c->peer, resp, 65535, &rl);
        else
            rl = e2ud_answer(q, m, mlen, resp, 65535, &c->peer, true);
        uint64_t t1 = e2ud_now_ns();
        e2ud_stats_latency(w->stats, t1 - t0, rl != 0);
        e2ud_count(&w->stats->tcp, 1);
        off += 2 + mlen;
        c->last_msg_ms = t1 / 1000000u;
        if (rl && !queue_answer(c, resp, rl)) {
            ok = false;
            break;
        }
    }
    if (off) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
        c->partial_ms = c->in_len ? now_ms() : 0;
    }
    return ok;
}

/* Queue the transfer's next messages while fewer than XFR_QUEUE octets wait; false when the
 * connection must close (a transfer that fails midway is cut: the client sees the stream end
 * early and discards it, RFC 5936 §2.2). */
static bool pump_xfr(conn_t *c, uint8_t *resp, unsigned *budget)
{
    while (c->xfr && *budget > 0 && (c->out_len - c->out_off) < XFR_QUEUE) {
        (*budget)--;
        size_t len = 0;
        int r = e2ud_xfr_out_next(c->xfr, resp, 65535, &len);
        if (r < 0)
            return false;
        if (len && !queue_answer(c, resp, len))
            return false;
        if (r == 0) {
            e2ud_xfr_out_free(c->xfr);
            c->xfr = NULL;
            c->partial_ms = c->in_len ? now_ms() : 0; /* its deadline starts again */
        }
    }
    return true;
}

/*
 * Move the connection forward: transfer messages, buffered queries, then (when readable) what
 * the socket holds, writing as it goes, until it must wait for the socket. False when the
 * connection must close.
 */
static bool service(tworker_t *w, e2ud_qctx_t *q, conn_t *c, uint8_t *resp, bool readable)
{
    bool renewed = false;
    unsigned budget = XFR_BURST;
    for (;;) {
        bool in_xfr = c->xfr != NULL;
        if (!pump_xfr(c, resp, &budget))
            return false;
        if (in_xfr && !c->xfr)
            renewed = false; /* a transfer may have taken long: queries see the latest data */
        if (!answer_buffered(w, q, c, resp, &renewed) || !flush_out(c))
            return false;
        if (c->xfr) {
            if (c->out_len > c->out_off || budget == 0)
                return true; /* EPOLLOUT brings us back */
            continue;        /* the socket took it all: the next messages */
        }
        if (c->out_len >= OUT_MAX)
            return true; /* answers wait: EPOLLOUT brings us back */
        if (c->in_len >= 2 && c->in_len - 2 >= ((size_t)c->in[0] << 8 | c->in[1]))
            continue; /* a complete message still waits (the output was full before) */
        if (!readable)
            return true;
        ssize_t n = recv(c->fd, c->in + c->in_len, IN_MAX - c->in_len, 0);
        if (n == 0)
            return false;
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return true;
            if (errno == EINTR)
                continue;
            return false;
        }
        if (c->in_len == 0)
            c->partial_ms = now_ms();
        c->in_len += (size_t)n;
    }
}

static void accept_all(tworker_t *w, const e2ud_cfg_t *cfg, int lfd)
{
    for (;;) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer);
        int fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        if (atomic_fetch_add(&clients, 1) >= cfg->conf.tcp_max_clients) {
            atomic_fetch_sub(&clients, 1);
            close(fd);
            e2ud_count(&w->stats->tcp_refused, 1);
            continue;
        }
        conn_t *c = calloc(1, sizeof(*c));
        if (c)
            c->in = malloc(IN_MAX);
        if (!c || !c->in) {
            if (c)
                free(c);
            close(fd);
            atomic_fetch_sub(&clients, 1);
            continue;
        }
        c->fd = fd;
        c->peer = peer;
        c->last_msg_ms = now_ms();
        c->next = w->head.next;
        c->prev = &w->head;
        w->head.next->prev = c;
        w->head.next = c;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
        e2ud_count(&w->stats->tcp_accepted, 1);
    }
}

static void expire(tworker_t *w, const e2ud_cfg_t *cfg)
{
    uint64_t now = now_ms();
    const e2ud_conf_t *cf = &cfg->conf;
    /* The analyzer cannot follow the circular list's unlinking in conn_close and reports the
     * next node as freed; n is read before c is closed and is never c. */
    for (conn_t *c = w->head.next, *n; c != &w->head; c = n) {
        n = c->next; // NOLINT(clang-analyzer-unix.Malloc): see above
        bool idle = !c->xfr && c->in_len == 0 && c->out_len == 0 &&
                    now - c->last_msg_ms > cf->tcp_idle_timeout_ms;
        bool slow = !c->xfr && c->partial_ms && now - c->partial_ms > cf->tcp_io_timeout_ms;
        /* output waits, or a transfer waits for the socket to take more */
        bool stalled =
            (c->out_len > c->out_off || c->xfr) && now - c->out_ms > cf->tcp_idle_timeout_ms;
        if (idle || slow || stalled) {
            e2ud_count(&w->stats->tcp_timeouts, 1);
            conn_close(w, c);
        }
    }
}

static void *tcp_main(void *arg)
{
    tworker_t *w = arg;
    e2ud_server_t *srv = w->srv;
    e2ud_qctx_t q;
    uint8_t *resp = malloc(65535);
    if (!resp || e2ud_qctx_init(&q, srv, srv->store, w->stats, srv->start->udp_max_payload) < 0) {
        e2ud_log(LOG_CRIT, "tcp worker %u: cannot start", w->id);
        free(resp);
        atomic_store(&srv->stop, true);
        return NULL;
    }
    struct epoll_event evs[EVENTS];
    uint64_t last_expire = now_ms();
    while (!atomic_load_explicit(&srv->stop, memory_order_relaxed)) {
        int n = epoll_wait(w->epfd, evs, EVENTS, 250);
        if (n == 0)
            e2ud_qctx_idle(&q); /* nothing to do: release the store snapshot (see udp.c) */
        e2ud_cfg_renew(srv, &q.cfg); /* limits and timeouts of a reload apply without a query */
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if ((uintptr_t)p < E2UD_LISTEN_MAX + 1) { /* a listen socket: index + 1 */
                accept_all(w, q.cfg, lfds[(uintptr_t)p - 1]);
                continue;
            }
            conn_t *c = p;
            bool ok = true;
            if (evs[i].events & (EPOLLERR | EPOLLHUP))
                ok = (evs[i].events & EPOLLIN) != 0; /* read what is left, then close */
            if (ok && (evs[i].events & EPOLLOUT))
                ok = flush_out(c);
            if (ok)
                ok = service(w, &q, c, resp, (evs[i].events & EPOLLIN) != 0);
            if (!ok)
                conn_close(w, c);
            else
                want(w, c);
        }
        uint64_t now = now_ms();
        if (now - last_expire >= 250) {
            expire(w, q.cfg);
            last_expire = now;
        }
    }
    /* drain: answers already queued get one last chance to go out */
    while (w->head.next != &w->head) {
        conn_t *c = w->head.next; /* conn_close unlinked the one before: a new node */
        flush_out(c);             // NOLINT(clang-analyzer-unix.Malloc): as in expire()
        conn_close(w, c);
    }
    e2ud_qctx_free(&q);
    free(resp);
    return NULL;
}

int e2ud_tcp_start(e2ud_server_t *srv, unsigned n, e2ud_stats_t **stats)
{
    nlfds = 0;
    for (size_t k = 0; k < srv->start->nlisten; k++) {
        const e2ud_addr_t *a = &srv->start->listen[k];
        int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int one = 1;
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            (a->ss.ss_family == AF_INET6 &&
             setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
            bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0 || listen(fd, 1024) < 0) {
            e2ud_log(LOG_CRIT, "cannot listen on %s (TCP): %s", a->text, strerror(errno));
            if (fd >= 0)
                close(fd);
            return -1;
        }
        lfds[nlfds++] = fd;
    }
    tws = calloc(n, sizeof(tworker_t));
    if (!tws)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        tworker_t *w = &tws[i];
        w->srv = srv;
        w->stats = stats[i];
        w->id = i;
        w->head.next = w->head.prev = &w->head;
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (w->epfd < 0)
            return -1;
        for (size_t k = 0; k < nlfds; k++) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE,
                                     .data.ptr = (void *)(uintptr_t)(k + 1)};
            if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, lfds[k], &ev) < 0)
                return -1;
        }
    }
    ntws = n;
    for (unsigned i = 0; i < n; i++) {
        if (pthread_create(&tws[i].thread, NULL, tcp_main, &tws[i]) != 0) {
            ntws = i;
            return -1;
        }
    }
    return 0;
}

void e2ud_tcp_join(void)
{
    for (unsigned i = 0; i < ntws; i++) {
        pthread_join(tws[i].thread, NULL);
        close(tws[i].epfd);
    }
    for (size_t k = 0; k < nlfds; k++)
        close(lfds[k]);
    free(tws);
    tws = NULL;
    ntws = 0;
    nlfds = 0;
}
