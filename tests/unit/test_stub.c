/*
 * tests/unit/test_stub.c — e2u's DNS stub (lib/resolve/src_stub.c) against scripted servers.
 *
 * A fake DNS server runs in a thread on 127.0.0.1, UDP and TCP on one port chosen by the
 * kernel (bind to port 0, read it back). Each test gives it a scenario: a function that sees
 * every query it receives and writes whatever answers the test wants, well-formed or hostile.
 * Answers are assembled here byte by byte from RFC 1035 §4.1 (header, question, RRs), RFC 3403
 * §4.1 (NAPTR RDATA) and RFC 2308 §3 (SOA in authority for negative answers), so every value
 * a test expects comes from the scenario it scripted. The test drives the source as the
 * resolver does: query(), poll(fd(), next_timeout_ms()), process().
 *
 * The pure parser (e2u__stub_parse_response) has its own tests at the end: CNAME chains,
 * TTL rules, hostile headers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2u/e2u.h"
#include "e2u/resolve.h"
#include "resolve/source.h"
#include "resolve/stub.h"

/* --- wire building (RFC 1035 §4.1) ------------------------------------------------------------ */

#define T_NAPTR 35
#define T_CNAME 5
#define T_SOA   6
#define C_IN    1

typedef struct wb {
    uint8_t b[70000];
    size_t n;
} wb_t;

static void put8(wb_t *w, unsigned v)
{
    w->b[w->n++] = (uint8_t)v;
}

static void put16(wb_t *w, unsigned v)
{
    put8(w, v >> 8);
    put8(w, v);
}

static void put32(wb_t *w, uint32_t v)
{
    put16(w, v >> 16);
    put16(w, v & 0xffff);
}

static void putb(wb_t *w, const void *p, size_t n)
{
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

/* Header flags. */
#define F_QR 0x8000u
#define F_AA 0x0400u
#define F_TC 0x0200u
#define F_RD 0x0100u
#define F_RA 0x0080u

static void header(wb_t *w, uint16_t id, unsigned flags, unsigned rcode, unsigned qd, unsigned an,
                   unsigned ns, unsigned ar)
{
    w->n = 0;
    put16(w, id);
    put16(w, flags | rcode);
    put16(w, qd);
    put16(w, an);
    put16(w, ns);
    put16(w, ar);
}

static size_t wire_name(uint8_t *out, const char *text)
{
    size_t len = 0;
    assert_int_equal(e2u_dname_from_text(out, E2U_DNAME_MAX, &len, text, strlen(text), NULL, NULL),
                     0);
    return len;
}

static void question(wb_t *w, const uint8_t *qname, uint16_t type, uint16_t cls)
{
    putb(w, qname, (size_t)e2u_dname_wire_len(qname, E2U_DNAME_MAX));
    put16(w, type);
    put16(w, cls);
}

/* An RR whose owner is given as wire octets (possibly a compression pointer). */
static void rr(wb_t *w, const uint8_t *owner, size_t olen, uint16_t type, uint16_t cls,
               uint32_t ttl, const uint8_t *rd, size_t rdlen)
{
    putb(w, owner, olen);
    put16(w, type);
    put16(w, cls);
    put32(w, ttl);
    put16(w, (unsigned)rdlen);
    putb(w, rd, rdlen);
}

static const uint8_t AT_QNAME[2] = {0xc0, 12}; /* pointer to the question's name */

/* NAPTR RDATA (RFC 3403 §4.1) with the root as replacement. */
static size_t naptr(uint8_t *b, unsigned order, unsigned pref, const char *flags,
                    const char *services, const char *regexp)
{
    size_t o = 0;
    b[o++] = (uint8_t)(order >> 8);
    b[o++] = (uint8_t)order;
    b[o++] = (uint8_t)(pref >> 8);
    b[o++] = (uint8_t)pref;
    const char *f[3] = {flags, services, regexp};
    for (int i = 0; i < 3; i++) {
        b[o++] = (uint8_t)strlen(f[i]);
        memcpy(b + o, f[i], strlen(f[i]));
        o += strlen(f[i]);
    }
    b[o++] = 0;
    return o;
}

/* SOA RDATA: root MNAME and RNAME, then the five counters (RFC 1035 §3.3.13). */
static size_t soa(uint8_t *b, uint32_t minimum)
{
    wb_t w = {.n = 0};
    put8(&w, 0);
    put8(&w, 0);
    put32(&w, 2024010101u);
    put32(&w, 3600);
    put32(&w, 600);
    put32(&w, 86400);
    put32(&w, minimum);
    memcpy(b, w.b, w.n);
    return w.n;
}

/* --- the fake server -------------------------------------------------------------------------- */

typedef struct fq {
    uint16_t id;
    unsigned flags;
    uint8_t qname[E2U_DNAME_MAX];
    uint16_t qtype, qclass;
    bool has_opt;
    uint16_t opt_size;
    bool tcp;
    int conn; /* TCP: the connection to answer on */
    struct sockaddr_storage from;
    socklen_t fromlen;
} fq_t;

typedef struct fake fake_t;
typedef void (*scenario_fn)(fake_t *f, const fq_t *q);

#define MAXCONN 16

struct fake {
    int udp, lst, stop[2];
    uint16_t port;
    pthread_t th;
    scenario_fn fn;
    void (*batch_end)(fake_t *f); /* after each burst of datagrams, if set */
    void *ctx;
    int nudp, ntcp; /* queries seen (atomics) */
    int conns[MAXCONN];
    uint8_t *cbuf[MAXCONN];
    size_t clen[MAXCONN];
    bool tcp_close; /* close TCP connections instead of answering */
};

static int fake_count(fake_t *f)
{
    return __atomic_load_n(&f->nudp, __ATOMIC_SEQ_CST) +
           __atomic_load_n(&f->ntcp, __ATOMIC_SEQ_CST);
}

/* Parse a query the way a server would: header, question, an OPT in additional. */
static bool parse_query(const uint8_t *m, size_t len, fq_t *q)
{
    memset(q, 0, sizeof(*q)); /* first: *q is defined even when the query is refused */
    if (len < 12)
        return false;
    q->id = (uint16_t)(m[0] << 8 | m[1]);
    q->flags = (unsigned)(m[2] << 8 | m[3]);
    unsigned arcount = (unsigned)(m[10] << 8 | m[11]);
    int nl = e2u_dname_wire_len(m + 12, len - 12);
    if (nl < 0 || 12 + (size_t)nl + 4 > len)
        return false;
    memcpy(q->qname, m + 12, (size_t)nl);
    size_t o = 12 + (size_t)nl;
    q->qtype = (uint16_t)(m[o] << 8 | m[o + 1]);
    q->qclass = (uint16_t)(m[o + 2] << 8 | m[o + 3]);
    o += 4;
    if (arcount == 1 && o + 11 <= len && m[o] == 0 && m[o + 1] == 0 && m[o + 2] == 41) {
        q->has_opt = true;
        q->opt_size = (uint16_t)(m[o + 3] << 8 | m[o + 4]);
    }
    return true;
}

static void fake_send(fake_t *f, const fq_t *q, const void *msg, size_t len)
{
    if (q->tcp) {
        uint8_t pre[2] = {(uint8_t)(len >> 8), (uint8_t)len};
        if (send(q->conn, pre, 2, MSG_NOSIGNAL) != 2)
            return;
        size_t off = 0;
        while (off < len) {
            ssize_t w = send(q->conn, (const uint8_t *)msg + off, len - off, MSG_NOSIGNAL);
            if (w <= 0)
                return;
            off += (size_t)w;
        }
    } else {
        sendto(f->udp, msg, len, 0, (const struct sockaddr *)&q->from, q->fromlen);
    }
}

static void *fake_main(void *arg)
{
    fake_t *f = arg;
    uint8_t buf[65536];
    for (;;) {
        struct pollfd p[3 + MAXCONN];
        int np = 0;
        p[np++] = (struct pollfd){.fd = f->stop[0], .events = POLLIN};
        p[np++] = (struct pollfd){.fd = f->udp, .events = POLLIN};
        p[np++] = (struct pollfd){.fd = f->lst, .events = POLLIN};
        for (int i = 0; i < MAXCONN; i++)
            p[np++] = (struct pollfd){.fd = f->conns[i], .events = POLLIN};
        if (poll(p, (nfds_t)np, 1000) < 0)
            continue;
        if (p[0].revents)
            return NULL;
        if (p[1].revents & POLLIN) {
            for (;;) {
                fq_t q;
                q.fromlen = sizeof(q.from);
                struct sockaddr_storage from;
                socklen_t fl = sizeof(from);
                ssize_t n =
                    recvfrom(f->udp, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
                if (n < 0) {
                    if (f->batch_end)
                        f->batch_end(f);
                    break;
                }
                if (!parse_query(buf, (size_t)n, &q))
                    continue;
                q.from = from;
                q.fromlen = fl;
                __atomic_add_fetch(&f->nudp, 1, __ATOMIC_SEQ_CST);
                f->fn(f, &q);
            }
        }
        if (p[2].revents & POLLIN) {
            int c = accept(f->lst, NULL, NULL);
            for (int i = 0; c >= 0 && i < MAXCONN; i++) {
                if (f->conns[i] < 0) {
                    f->conns[i] = c;
                    f->clen[i] = 0;
                    c = -1;
                }
            }
            if (c >= 0)
                close(c);
        }
        for (int i = 0; i < MAXCONN; i++) {
            if (f->conns[i] < 0 || !(p[3 + i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = recv(f->conns[i], f->cbuf[i] + f->clen[i], 70000 - f->clen[i], 0);
            if (n <= 0) {
                close(f->conns[i]);
                f->conns[i] = -1;
                continue;
            }
            f->clen[i] += (size_t)n;
            size_t off = 0;
            while (f->clen[i] - off >= 2) {
                size_t ml = (size_t)(f->cbuf[i][off] << 8 | f->cbuf[i][off + 1]);
                if (f->clen[i] - off < 2 + ml)
                    break;
                fq_t q;
                if (parse_query(f->cbuf[i] + off + 2, ml, &q)) {
                    q.tcp = true;
                    q.conn = f->conns[i];
                    __atomic_add_fetch(&f->ntcp, 1, __ATOMIC_SEQ_CST);
                    if (f->tcp_close) {
                        close(f->conns[i]);
                        f->conns[i] = -1;
                        break;
                    }
                    f->fn(f, &q);
                }
                off += 2 + ml;
            }
            if (f->conns[i] >= 0) {
                memmove(f->cbuf[i], f->cbuf[i] + off, f->clen[i] - off);
                f->clen[i] -= off;
            }
        }
    }
}

static bool fake_no_tcp;                  /* the next fake_start opens no TCP listener */
static void (*fake_batch_end)(fake_t *f); /* and this is its batch_end */

static fake_t *fake_start(scenario_fn fn, void *ctx)
{
    fake_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->fn = fn;
    f->ctx = ctx;
    f->batch_end = fake_batch_end;
    for (int i = 0; i < MAXCONN; i++) {
        f->conns[i] = -1;
        f->cbuf[i] = malloc(70000);
    }
    /* A UDP port from the kernel, then TCP on the same number (retry if that is taken). */
    for (int attempt = 0; attempt < 50; attempt++) {
        f->udp = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        assert_int_equal(bind(f->udp, (struct sockaddr *)&a, sizeof(a)), 0);
        socklen_t al = sizeof(a);
        getsockname(f->udp, (struct sockaddr *)&a, &al);
        f->port = ntohs(a.sin_port);
        f->lst = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(f->lst, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (fake_no_tcp) {
            close(f->lst); /* nobody listens on the port: connections are refused */
            f->lst = -1;
            break;
        }
        if (bind(f->lst, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(f->lst, 16) == 0)
            break;
        close(f->udp);
        close(f->lst);
        f->udp = f->lst = -1;
    }
    assert_true(f->udp >= 0);
    int sz = 4 << 20;
    setsockopt(f->udp, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    setsockopt(f->udp, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
    assert_int_equal(pipe(f->stop), 0);
    assert_int_equal(pthread_create(&f->th, NULL, fake_main, f), 0);
    return f;
}

static void fake_stop(fake_t *f)
{
    if (write(f->stop[1], "x", 1) != 1)
        fail();
    pthread_join(f->th, NULL);
    close(f->stop[0]);
    close(f->stop[1]);
    close(f->udp);
    if (f->lst >= 0)
        close(f->lst);
    for (int i = 0; i < MAXCONN; i++) {
        if (f->conns[i] >= 0)
            close(f->conns[i]);
        free(f->cbuf[i]);
    }
    free(f);
}

static void fake_addr(const fake_t *f, char *buf, size_t cap)
{
    snprintf(buf, cap, "127.0.0.1@%u", f->port);
}

/* --- driving the source ----------------------------------------------------------------------- */

typedef struct got {
    int n;
    e2u__ans_kind_t kind;
    size_t nrr;
    e2u_rdata_t rr[400];
    uint8_t rd[70000];
    uint8_t owner[E2U_DNAME_MAX];
    bool has_owner;
    char why[300];
    bool from_cache;
} got_t;

/* Copy the answer: it is borrowed only for the callback. */
static void on_answer(void *arg, const e2u__answer_t *a)
{
    got_t *g = arg;
    g->n++;
    g->kind = a->kind;
    g->nrr = a->nrr;
    g->from_cache = a->from_cache;
    size_t off = 0;
    for (size_t i = 0; i < a->nrr && i < 400; i++) {
        memcpy(g->rd + off, a->rr[i].data, a->rr[i].len);
        g->rr[i].data = g->rd + off;
        g->rr[i].len = a->rr[i].len;
        off += a->rr[i].len;
    }
    g->has_owner = a->owner != NULL;
    if (a->owner)
        memcpy(g->owner, a->owner, (size_t)e2u_dname_wire_len(a->owner, E2U_DNAME_MAX));
    snprintf(g->why, sizeof(g->why), "%s", a->why ? a->why : "");
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Run the event loop until *n reaches want or max_ms passes. */
static void run_until(e2u__source_t *src, const int *n, int want, unsigned max_ms)
{
    uint64_t end = mono_ms() + max_ms;
    while (*n < want && mono_ms() < end) {
        int t = src->ops->next_timeout_ms(src);
        if (t < 0 || t > 50)
            t = 50;
        struct pollfd p = {.fd = src->ops->fd(src), .events = POLLIN};
        poll(&p, 1, t);
        assert_true(src->ops->process(src) >= 0);
    }
}

/* Run the loop for ms milliseconds whatever happens. */
static void run_for(e2u__source_t *src, unsigned ms)
{
    int never = 0;
    run_until(src, &never, 1, ms);
}

static e2u__source_t *stub_for(fake_t *const *fakes, size_t n, unsigned attempt_ms, bool no_cache)
{
    static char addr[E2U_SERVERS_MAX][64];
    const char *servers[E2U_SERVERS_MAX];
    for (size_t i = 0; i < n; i++) {
        fake_addr(fakes[i], addr[i], sizeof(addr[i]));
        servers[i] = addr[i];
    }
    e2u__stub_opts_t o = {
        .servers = servers, .nservers = n, .attempt_ms = attempt_ms, .no_cache = no_cache};
    e2u__source_t *src = NULL;
    e2u_diag_t d;
    assert_int_equal(e2u__stub_new(&src, &o, &d), 0);
    return src;
}

static void ask(e2u__source_t *src, const char *name, got_t *g, unsigned timeout_ms,
                uint64_t *handle)
{
    uint8_t q[E2U_DNAME_MAX];
    wire_name(q, name);
    uint64_t h;
    assert_int_equal(src->ops->query(src, q, timeout_ms, on_answer, g, handle ? handle : &h), 0);
    assert_int_equal(g->n, 0); /* never from within query() */
}

static bool rd_equal(const e2u_rdata_t *r, const uint8_t *b, size_t n)
{
    return r->len == n && memcmp(r->data, b, n) == 0;
}

static bool owner_is(const got_t *g, const char *name)
{
    uint8_t w[E2U_DNAME_MAX];
    wire_name(w, name);
    return g->has_owner && e2u_dname_equal(g->owner, w);
}

/* --- scenarios -------------------------------------------------------------------------------- */

/* Two NAPTRs, the one of higher order first: answer order must be kept. */
static uint8_t RD1[300], RD2[300];
static size_t RD1_LEN, RD2_LEN;

static void sc_two_naptrs(fake_t *f, const fq_t *q)
{
    wb_t *w = malloc(sizeof(*w));
    header(w, q->id, F_QR | F_AA | (q->flags & F_RD), 0, 1, 2, 0, 0);
    question(w, q->qname, q->qtype, q->qclass);
    rr(w, AT_QNAME, 2, T_NAPTR, C_IN, 300, RD1, RD1_LEN);
    rr(w, AT_QNAME, 2, T_NAPTR, C_IN, 300, RD2, RD2_LEN);
    fake_send(f, q, w->b, w->n);
    free(w);
}

static void setup_rds(void)
{
    RD1_LEN = naptr(RD1, 20, 10, "u", "E2U+pstn:tel", "!^.*$!tel:+12155550123!");
    RD2_LEN = naptr(RD2, 10, 100, "u", "E2U+sip", "!^.*$!sip:info@example.com!");
}

static fq_t last_query;
static void sc_record_and_answer(fake_t *f, const fq_t *q)
{
    last_query = *q;
    sc_two_naptrs(f, q);
}

static void test_answer_two_naptrs(void **state)
{
    (void)state;
    setup_rds();
    fake_t *f = fake_start(sc_record_and_answer, NULL);
    e2u__source_t *src = stub_for(&f, 1, 0, false);
    got_t *g = calloc(1, sizeof(*g));
    ask(src, "3.2.1.0.5.5.5.5.1.2.1.e164.arpa", g, 3000, NULL);
    run_until(src, &g->n, 1, 3000);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->kind, E2U__ANS_DATA);
    assert_int_equal(g->nrr, 2);
    assert_true(rd_equal(&g->rr[0], RD1, RD1_LEN));
    assert_true(rd_equal(&g->rr[1], RD2, RD2_LEN));
    assert_true(owner_is(g, "3.2.1.0.5.5.5.5.1.2.1.e164.arpa"));
    assert_false(g->from_cache);
    /* what went on the wire: RD=1, NAPTR/IN, EDNS(0) with 1232 (RFC 6891) */
    assert_true(last_query.flags & F_RD);
    assert_int_equal(last_query.qtype, T_NAPTR);
    assert_int_equal(last_query.qclass, C_IN);
    assert_true(last_query.has_opt);
    assert_int_equal(last_query.opt_size, 1232);
    assert_int_equal(src->ops->next_timeout_ms(src), -1);
    src->ops->free(src);
    fake_stop(f);
    free(g);
}

/* NXDOMAIN with the SOA of e164.arpa: SOA TTL 600, MINIMUM 300. */
static void sc_nxdomain(fake_t *f, const fq_t *q)
{
    wb_t *w = malloc(sizeof(*w));
    uint8_t apex[E2U_DNAME_MAX], rd[64];
    size_t al = wire_name(apex, "e164.arpa.");
    size_t sl = soa(rd, 300);
    header(w, q->id, F_QR | F_AA, 3, 1, 0, 1, 0);
    question(w, q->qname, q->qtype, q->qclass);
    rr(w, apex, al, T_SOA, C_IN, 600, rd, sl);
    fake_send(f, q, w->b, w->n);
    free(w);
}

static void test_nxdomain_negative_cache(void **state)
{
    (void)state;
    fake_t *f = fake_start(sc_nxdomain, NULL);
    e2u__source_t *src = stub_for(&f, 1, 0, false);
    got_t *g = calloc(1, sizeof(*g));
    ask(src, "9.9.9.e164.arpa", g, 3000, NULL);
    run_until(src, &g->n, 1, 3000);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->kind, E2U__ANS_NXDOMAIN);
    assert_false(g->from_cache);
    assert_int_equal(fake_count(f), 1);

    got_t *g2 = calloc(1, sizeof(*g2));
    ask(src, "9.9.9.E164.ARPA", g2, 3000, NULL); /* the cache ignores case */
    assert_int_equal(src->ops->next_timeout_ms(src), 0);
    run_until(src, &g2->n, 1, 3000);
    assert_int_equal(g2->n, 1);
    assert_int_equal(g2->kind, E2U__ANS_NXDOMAIN);
    assert_true(g2->from_cache);
    assert_int_equal(fake_count(f), 1);
    e2u__stub_stats_t st;
    e2u__stub_get_stats(src, &st);
    assert_int_equal(st.cache_hits, 1);
    src->ops->free(src);
    fake_stop(f);
    free(g);
    free(g2);
}

/* NODATA: NOERROR, no answer, SOA in authority. */
static void sc_nodata(fake_t *f, const fq_t *q)
{
    wb_t *w = malloc(sizeof(*w));
    uint8_t apex[E2U_DNAME_MAX], rd[64];
    size_t al = wire_name(apex, "e164.arpa.");
    size_t sl = soa(rd, 300);
    header(w, q->id, F_QR | F_AA, 0, 1, 0, 1, 0);
    question(w, q->qname, q->qtype, q->qclass);
    rr(w, apex, al, T_SOA, C_IN, 600, rd, sl);
    fake_send(f, q, w->b, w->n);
    free(w);
}

static void test_nodata(void **state)
{
    (void)state;
    fake_t *f = fake_start(sc_nodata, NULL);
    e2u__source_t *src = stub_for(&f, 1, 0, false);
    got_t *g = calloc(1, sizeof(*g));
    ask(src, "1.e164.arpa", g, 3000, NULL);
    run_until(src, &g->n, 1, 3000);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->kind, E2U__ANS_DATA);
    assert_int_equal(g->nrr, 0);
    assert_true(owner_is(g, "1.e164.arpa"));
    src->ops->free(src);
    fake_stop(f);
    free(g);
}

static void sc_rcode(fake_t *f, const fq_t *q)
{
    unsigned rcode = (unsigned)(uintptr_t)f->ctx;
    wb_t *w = malloc(sizeof(*w));
    header(w, q->id, F_QR, rcode, 1, 0, 0, 0);
    question(w, q->qname, q->qtype, q->qclass);
    fake_send(f, q, w->b, w->n);
    free(w);
}

static void test_servfail_then_second_server(void **state)
{
    (void)state;
    setup_rds();
    fake_t *f[2] = {fake_start(sc_rcode, (void *)(uintptr_t)2), fake_start(sc_two_naptrs, NULL)};
    e2u__source_t *src = stub_for(f, 2, 0, false);
    got_t *g = calloc(1, sizeof(*g));
    ask(src, "4.3.2.1.e164.arpa", g, 3000, NULL);
    run_until(src, &g->n, 1, 3000);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->kind, E2U__ANS_DATA);
    assert_int_equal(g->nrr, 2);
    assert_true(rd_equal(&g->rr[0], RD1, RD1_LEN));
    assert_int_equal(fake_count(f[0]), 1);
    assert_int_equal(fake_count(f[1]), 1);
    src->ops->free(src);
    fake_stop(f[0]);
    fake_stop(f[1]);
    free(g);
}

static void test_refused_single_server(void **state)
{
    (void)state;
    fake_t *f = fake_start(sc_rcode, (void *)(uintptr_t)5);
    e2u__source_t *src = stub_for(&f, 1, 0, false);
    got_t *g = calloc(1, sizeof(*g));
    ask(src, "4.3.2.1.e164.arpa", g, 3000, NULL);
    run_until(src, &g->n, 1, 3000);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->kind, E2U__ANS_FAIL);
    char want[80];
    snprintf(want, sizeof(want), "REFUSED from 127.0.0.1@%u", f->port);
    assert_string_equal(g->why, want);
    assert_int_equal(fake_count(f), 1);
    src->ops->free(src);
    fake_stop(f);
    free(g);
}

static void test_servfail_everywhere(void **state)
{
    (void)state;
    fake_t *f[2] = {fake_start(sc_rcode, (void *)(uintptr_t)2),
                    fake_start(sc_rcode, (void *)(uintptr_t)2)};
    e2u__source_t *src = stub_for(f, 2, 0, false);
    got_t *g = calloc(1, sizeof(*g));
    ask(src, "4.3.2.1.e164.arpa", g, 3000, NULL);
    run_until(src, &g->n, 1, 3000);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->kind, E2U__ANS_FAIL);
    assert_non_null(strstr(g->why, "SERVFAIL from 127.0.0.1@"));
    assert_int_equal(fake_count(f[0]), 1);
    assert_int_equal(fake_count(f[1]), 1);
    src->ops->free(src);
    fake_stop(f[0]);
    fake_stop(f[1]);
    free(g);
}

static void sc_silent(fake_t *f, const fq_t *q)
{
    (void)f;
    (void)q;
}

static void test_timeout(void **state)
{
    (void)state;
    fake_t *f = fake_start(sc_silent, NULL);
    e2u__source_t *src = stub_for(&f, 1, 200, false);
    got_t *g = calloc(1, sizeof(*g));
    ask(src, "5.5.5.e164.arpa", g, 1000, NULL);
    assert_true(src->ops->next_timeout_ms(src) <= 200);
    run_until(src, &g->n, 1, 5000);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->kind, E2U__ANS_TIMEOUT);
    char want[80];
    snprintf(want, sizeof(want), "no answer from 127.0.0.1@%u within 1000 ms", f->port);
    assert_string_equal(g->why, want);
    assert_true(fake_count(f) >= 2); /* retransmitted after each 200 ms attempt */
    src->ops->free(src);
    fake_stop(f);
    free(g);
}

/* TC=1 over UDP (header and question only), the whole answer over TCP. */
static int big_n;
static size_t big_regexp;
static void big_rd(uint8_t *b, size_t *len, int i)
{
    char re[256];
    int n = snprintf(re, sizeof(re), "!^.*$!sip:%d@", i);
    const char *tail = "example.com!";
    while (big_regexp && (size_t)n < big_regexp - strlen(tail))
        re[n++] = 'y'; /* stretch the user part */
    snprintf(re + n, sizeof(re) - (size_t)n, "%s", tail);
    *len = naptr(b, 10, (unsigned)i, "u", "E2U+sip", re);
}

static void sc_tc_then_tcp(fake_t *f, const fq_t *q)
{
    wb_t *w = malloc(sizeof(*w));
    if (!q->tcp) {
        header(w, q->id, F_QR | F_AA | F_TC, 0, 1, 0, 0, 0);
        question(w, q->qname, q->qtype, q->qclass);
    } else {
        header(w, q->id, F_QR | F_AA, 0, 1, (unsigned)big_n, 0, 0);
        question(w, q->qname, q->qtype, q->qclass);
        for (int i = 0; i < big_n; i++) {
            uint8_t b[300];
            size_t bl;
            big_rd(b, &bl, i);
            rr(w, AT_QNAME, 2, T_NAPTR, C_IN, 60, b, bl);
        }
    }
    fake_send(f, q, w->b, w->n);
    free(w);
}

static void check_big(got_t *g)
{
    assert_int_equal(g->n, 1);
    assert_int_equal(g->kind, E2U__ANS_DATA);
    assert_int_equal(g->nrr, (size_t)big_n);
    for (int i = 0; i < big_n; i++) {
        uint8_t b[300];
        size_t bl;
        big_rd(b, &bl, i);
        assert_true(rd_equal(&g->rr[i], b, bl));
    }
}

static void test_tc_then_tcp(void **state)
{
    (void)state;
    fake_t *f = fake_start(sc_tc_then_tcp, NULL);
    e2u__source_t *src = stub_for(&f, 1, 0, false);

    big_n = 100; /* about 8 KiB */
    big_regexp = 0;
    got_t *g = calloc(1, sizeof(*g));
    ask(src, "1.1.1.e164.arpa", g, 5000, NULL);
    run_until(src, &g->n, 1, 5000);
    check_big(g);
    assert_int_equal(__atomic_load_n(&f->nudp, __ATOMIC_SEQ_CST), 1);
    assert_int_equal(__atomic_load_n(&f->ntcp, __ATOMIC_SEQ_CST), 1);

    big_n = 238; /* 238 RRs of 12 + 254 octets: 63 KiB and a bit */
    big_regexp = 240;
    memset(g, 0, sizeof(*g));
    ask(src, "2.2.2.e164.arpa", g, 5000, NULL);
    run_until(src, &g->n, 1, 5000);
    check_big(g);
    assert_int_equal(g->rr[0].len, 256); /* 4 + 2 + 8 + 241 + 1 */
    e2u__stub_stats_t st;
    e2u__stub_get_stats(src, &st);
    assert_int_equal(st.truncated, 2);
    assert_int_equal(st.tcp_queries, 2);
    src->ops->free(src);
    fake_stop(f);
    free(g);
}

/* A full answer larger than the advertised 1232 octets, without TC: the datagram is cut on
 * receipt and must be treated as truncated, then fetched over TCP. */
static void sc_oversize_udp(fake_t *f, const fq_t *q)
{
    wb_t *w = malloc(sizeof(*w));
    header(w, q->id, F_QR | F_AA, 0, 1, (unsigned)big_n, 0, 0);
    question(w, q->qname, q->qtype, q->qclass);
    for (int i = 0; i < big_n; i++) {
        uint8_t b[300];
        size_t bl;
        big_rd(b, &bl, i);
        rr(w, AT_QNAME, 2, T_NAPTR, C_IN, 60, b, bl);
    }
    fake_send(f, q, w->b, w->n);
    free(w);
}

static void test_oversize_datagram(void **state)
{
    (void)state;
    big_n = 40; /* about 3 KiB */
    big_regexp = 0;
    fake_t *f = fake_start(sc_oversize_udp, NULL);
    e2u__source_t *src = stub_for(&f, 1, 0, true);
    got_t *g = calloc(1, sizeof(*g));
    ask(src, "3.3.3.e164.arpa", g, 5000, NULL);
    run_until(src, &g->n, 1, 5000);
    check_big(g);
    assert_int_equal(__atomic_load_n(&f->ntcp, __ATOMIC_SEQ_CST), 1);
    src->ops->free(src);
    fake_stop(f);
    free(g);
}

/* TC=1, and the TCP port refuses connections. */
static void test_tc_tcp_refused(void **state)
{
    (void)state;
    fake_no_tcp = true;
    fake_t *f = fake_start(sc_tc_then_tcp, NULL);
    fake_no_tcp = false;
    e2u__source_t *src = stub_for(&f, 1, 0, false);
    got_t *g = calloc(1, sizeof(*g));
    ask(src, "1.1.1.e164.arpa", g, 3000, NULL);
    run_until(src, &g->n, 1, 3000);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->kind, E2U__ANS_FAIL);
    assert_non_null(strstr(g->why, "over TCP"));
    src->ops->free(src);
    fake_stop(f);
    free(g);
}

/* TC=1, and the server closes every TCP connection without answering: one reconnection,
 * then a failure. */
static void test_tc_tcp_closed(void **state)
{
    (void)state;
    fake_t *f = fake_start(sc_tc_then_tcp, NULL);
    f->tcp_close = true;
    e2u__source_t *src = stub_for(&f, 1, 0, false);
    got_t *g = calloc(1, sizeof(*g));
    ask(src, "1.1.1.e164.arpa", g, 3000, NULL);
    run_until(src, &g->n, 1, 3000);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->kind, E2U__ANS_FAIL);
    assert_non_null(strstr(g->why, "closed before the answer"));
    assert_int_equal(__atomic_load_n(&f->ntcp, __ATOMIC_SEQ_CST), 2);
    src->ops->free(src);
    fake_stop(f);
    free(g);
}

/* Before the right answer: one with another ID, one for another question, one from another
 * port, one that is a query (QR=0). Each carries a NAPTR the test must not see. */
static void sc_decoys(fake_t *f, const fq_t *q)
{
    wb_t *w = malloc(sizeof(*w));
    uint8_t bad[300];
    size_t bl = naptr(bad, 1, 1, "u", "E2U+sip", "!^.*$!sip:evil@example.com!");
    uint8_t other[E2U_DNAME_MAX];
    wire_name(other, "8.8.8.e164.arpa.");

    header(w, (uint16_t)(q->id + 1), F_QR, 0, 1, 1, 0, 0);
    question(w, q->qname, q->qtype, q->qclass);
    rr(w, AT_QNAME, 2, T_NAPTR, C_IN, 60, bad, bl);
    fake_send(f, q, w->b, w->n);

    header(w, q->id, F_QR, 0, 1, 1, 0, 0);
    question(w, other, q->qtype, q->qclass);
    rr(w, AT_QNAME, 2, T_NAPTR, C_IN, 60, bad, bl);
    fake_send(f, q, w->b, w->n);

    header(w, q->id, F_QR, 0, 1, 1, 0, 0);
    question(w, q->qname, q->qtype, q->qclass);
    rr(w, AT_QNAME, 2, T_NAPTR, C_IN, 60, bad, bl);
    int stranger = socket(AF_INET, SOCK_DGRAM, 0);
    sendto(stranger, w->b, w->n, 0, (const struct sockaddr *)&q->from, q->fromlen);
    close(stranger);

    header(w, q->id, 0, 0, 1, 1, 0, 0); /* QR=0 */
    question(w, q->qname, q->qtype, q->qclass);
    rr(w, AT_QNAME, 2, T_NAPTR, C_IN, 60, bad, bl);
    fake_send(f, q, w->b, w->n);

    usleep(20000); /* let the client read the decoys before the answer */
    sc_two_naptrs(f, q);
    free(w);
}

static void test_decoys_ignored(void **state)
{
    (void)state;
    setup_rds();
    fake_t *f = fake_start(sc_decoys, NULL);
    e2u__source_t *src = stub_for(&f, 1, 0, false);
    got_t *g = calloc(1, sizeof(*g));
    ask(src, "7.7.7.e164.arpa", g, 3000, NULL);
    run_until(src, &g->n, 1, 3000);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->kind, E2U__ANS_DATA);
    assert_int_equal(g->nrr, 2);
    assert_true(rd_equal(&g->rr[0], RD1, RD1_LEN));
    assert_true(rd_equal(&g->rr[1], RD2, RD2_LEN));
    e2u__stub_stats_t st;
    e2u__stub_get_stats(src, &st);
    assert_int_equal(st.ignored, 4);
    assert_int_equal(fake_count(f), 1);
    src->ops->free(src);
    fake_stop(f);
    free(g);
}

/* An answer RR whose owner is a compression pointer to itself. */
static void sc_pointer_loop(fake_t *f, const fq_t *q)
{
    wb_t *w = malloc(sizeof(*w));
    header(w, q->id, F_QR, 0, 1, 1, 0, 0);
    question(w, q->qname, q->qtype, q->qclass);
    size_t at = w->n;
    uint8_t self[2] = {(uint8_t)(0xc0 | (at >> 8)), (uint8_t)at};
    uint8_t rd[300];
    size_t rl = naptr(rd, 1, 1, "u", "E2U+sip", "!^.*$!sip:x@example.com!");
    rr(w, self, 2, T_NAPTR, C_IN, 60, rd, rl);
    fake_send(f, q, w->b, w->n);
    free(w);
}

static void test_pointer_loop_fails(void **state)
{
    (void)state;
    fake_t *f = fake_start(sc_pointer_loop, NULL);
    e2u__source_t *src = stub_for(&f, 1, 0, false);
    got_t *g = calloc(1, sizeof(*g));
    ask(src, "6.6.6.e164.arpa", g, 3000, NULL);
    run_until(src, &g->n, 1, 3000);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->kind, E2U__ANS_FAIL);
    char want[80];
    snprintf(want, sizeof(want), "malformed answer from 127.0.0.1@%u", f->port);
    assert_non_null(strstr(g->why, want));
    src->ops->free(src);
    fake_stop(f);
    free(g);
}

static void test_cancel(void **state)
{
    (void)state;
    setup_rds();
    fake_t *f = fake_start(sc_two_naptrs, NULL);
    e2u__source_t *src = stub_for(&f, 1, 0, false);
    got_t *g = calloc(1, sizeof(*g));
    uint64_t h;
    ask(src, "1.2.3.e164.arpa", g, 3000, &h);
    src->ops->process(src); /* the query leaves */
    src->ops->cancel(src, h);
    assert_int_equal(src->ops->next_timeout_ms(src), -1);
    /* the answer arrives and is dropped; the callback never runs */
    e2u__stub_stats_t st;
    uint64_t end = mono_ms() + 3000;
    do {
        run_for(src, 20);
        e2u__stub_get_stats(src, &st);
    } while (st.udp_received == 0 && mono_ms() < end);
    assert_int_equal(st.udp_received, 1);
    assert_int_equal(st.ignored, 1);
    assert_int_equal(g->n, 0);
    src->ops->cancel(src, h); /* a second cancel is harmless */

    /* a cache hit cancelled before process() never runs either */
    ask(src, "1.2.4.e164.arpa", g, 3000, NULL);
    run_until(src, &g->n, 1, 3000);
    assert_int_equal(g->n, 1);
    got_t *g2 = calloc(1, sizeof(*g2));
    ask(src, "1.2.4.e164.arpa", g2, 3000, &h);
    src->ops->cancel(src, h);
    run_for(src, 50);
    assert_int_equal(g2->n, 0);
    src->ops->free(src);
    fake_stop(f);
    free(g);
    free(g2);
}

/* A query that answers each query with the number in its first label. */
static void name_for(char *buf, size_t cap, int i)
{
    snprintf(buf, cap, "%d.%d.%d.%d.4.4.e164.arpa", i % 10, (i / 10) % 10, (i / 100) % 10,
             i / 1000);
}

#define MANY 2000
typedef struct many {
    fq_t q[MANY];
    bool pending[MANY]; /* received, not yet answered */
    int npending, max_pending;
    int dup_ids;
    int owner_of_id[65536]; /* pending question per ID, index + 1 */
} many_t;

static int index_of(const uint8_t *qname)
{
    /* labels are single digits: d0.d1.d2.d3.4.4.e164.arpa */
    int v = 0, mul = 1;
    for (int l = 0; l < 4; l++) {
        v += (qname[1 + 2 * l] - '0') * mul;
        mul *= 10;
    }
    return v;
}

/* Queries are held until the burst they came in has been read, then answered together, so
 * that all the questions of a burst are in flight at once; no two of them may share an ID. */
static void sc_many(fake_t *f, const fq_t *q)
{
    many_t *m = f->ctx;
    int i = index_of(q->qname);
    if (i < 0 || i >= MANY)
        return;
    int o = m->owner_of_id[q->id];
    if (o && o != i + 1)
        m->dup_ids++;
    if (m->pending[i] && m->q[i].id != q->id) /* a retransmission keeps its ID */
        m->owner_of_id[m->q[i].id] = 0;
    m->owner_of_id[q->id] = i + 1;
    m->q[i] = *q;
    if (!m->pending[i]) {
        m->pending[i] = true;
        m->npending++;
    }
}

static void many_burst_end(fake_t *f)
{
    many_t *m = f->ctx;
    if (m->npending > m->max_pending)
        m->max_pending = m->npending;
    wb_t *w = malloc(sizeof(*w));
    for (int k = 0; k < MANY; k++) {
        if (!m->pending[k])
            continue;
        char re[64];
        snprintf(re, sizeof(re), "!^.*$!sip:%d@example.com!", k);
        uint8_t rd[128];
        size_t rl = naptr(rd, 10, 10, "u", "E2U+sip", re);
        header(w, m->q[k].id, F_QR | F_AA, 0, 1, 1, 0, 0);
        question(w, m->q[k].qname, T_NAPTR, C_IN);
        rr(w, AT_QNAME, 2, T_NAPTR, C_IN, 60, rd, rl);
        fake_send(f, &m->q[k], w->b, w->n);
        m->pending[k] = false;
        m->owner_of_id[m->q[k].id] = 0;
    }
    m->npending = 0;
    free(w);
}

typedef struct many_got {
    int n, bad;
    int idx;
    int *count;
} many_got_t;

static void on_many(void *arg, const e2u__answer_t *a)
{
    many_got_t *mg = arg;
    (*mg->count)++;
    mg->n++;
    char re[64];
    snprintf(re, sizeof(re), "!^.*$!sip:%d@example.com!", mg->idx);
    uint8_t rd[128];
    size_t rl = naptr(rd, 10, 10, "u", "E2U+sip", re);
    if (a->kind != E2U__ANS_DATA || a->nrr != 1 || !rd_equal(&a->rr[0], rd, rl))
        mg->bad++;
}

static void test_many_concurrent(void **state)
{
    (void)state;
    many_t *m = calloc(1, sizeof(*m));
    fake_batch_end = many_burst_end;
    fake_t *f = fake_start(sc_many, m);
    fake_batch_end = NULL;
    e2u__source_t *src = stub_for(&f, 1, 0, true);
    many_got_t *mg = calloc(MANY, sizeof(*mg));
    int count = 0;
    for (int i = 0; i < MANY; i++) {
        char name[64];
        uint8_t q[E2U_DNAME_MAX];
        name_for(name, sizeof(name), i);
        wire_name(q, name);
        mg[i].idx = i;
        mg[i].count = &count;
        uint64_t h;
        assert_int_equal(src->ops->query(src, q, 8000, on_many, &mg[i], &h), 0);
    }
    run_until(src, &count, MANY, 10000);
    assert_int_equal(count, MANY);
    for (int i = 0; i < MANY; i++) {
        assert_int_equal(mg[i].n, 1);
        assert_int_equal(mg[i].bad, 0);
    }
    assert_int_equal(m->dup_ids, 0);
    assert_true(m->max_pending >= 32); /* bursts of many questions did reach the server */
    assert_int_equal(src->ops->next_timeout_ms(src), -1);
    src->ops->free(src);
    fake_stop(f);
    free(m);
    free(mg);
}

/* TTL 1: cached, then gone after 1.2 s. */
static void sc_ttl1(fake_t *f, const fq_t *q)
{
    wb_t *w = malloc(sizeof(*w));
    header(w, q->id, F_QR | F_AA, 0, 1, 2, 0, 0);
    question(w, q->qname, q->qtype, q->qclass);
    rr(w, AT_QNAME, 2, T_NAPTR, C_IN, 1, RD1, RD1_LEN);
    rr(w, AT_QNAME, 2, T_NAPTR, C_IN, 3600, RD2, RD2_LEN);
    fake_send(f, q, w->b, w->n);
    free(w);
}

static void test_cache_expiry(void **state)
{
    (void)state;
    setup_rds();
    fake_t *f = fake_start(sc_ttl1, NULL);
    e2u__source_t *src = stub_for(&f, 1, 0, false);
    got_t *g = calloc(1, sizeof(*g));
    ask(src, "2.4.6.e164.arpa", g, 3000, NULL);
    run_until(src, &g->n, 1, 3000);
    assert_int_equal(g->kind, E2U__ANS_DATA);
    assert_false(g->from_cache);
    memset(g, 0, sizeof(*g));
    ask(src, "2.4.6.e164.arpa", g, 3000, NULL);
    run_until(src, &g->n, 1, 3000);
    assert_true(g->from_cache);
    assert_int_equal(g->nrr, 2);
    assert_true(rd_equal(&g->rr[0], RD1, RD1_LEN));
    assert_true(rd_equal(&g->rr[1], RD2, RD2_LEN));
    assert_true(owner_is(g, "2.4.6.e164.arpa"));
    assert_int_equal(fake_count(f), 1);
    usleep(1200000); /* the RRset's TTL is the lowest of its RRs: 1 s */
    memset(g, 0, sizeof(*g));
    ask(src, "2.4.6.e164.arpa", g, 3000, NULL);
    run_until(src, &g->n, 1, 3000);
    assert_int_equal(g->kind, E2U__ANS_DATA);
    assert_false(g->from_cache);
    assert_int_equal(fake_count(f), 2);
    src->ops->free(src);
    fake_stop(f);
    free(g);
}

static void test_no_cache(void **state)
{
    (void)state;
    fake_t *f = fake_start(sc_nxdomain, NULL);
    e2u__source_t *src = stub_for(&f, 1, 0, true);
    got_t *g = calloc(1, sizeof(*g));
    for (int i = 0; i < 2; i++) {
        memset(g, 0, sizeof(*g));
        ask(src, "9.9.9.e164.arpa", g, 3000, NULL);
        run_until(src, &g->n, 1, 3000);
        assert_int_equal(g->kind, E2U__ANS_NXDOMAIN);
        assert_false(g->from_cache);
    }
    assert_int_equal(fake_count(f), 2);
    src->ops->free(src);
    fake_stop(f);
    free(g);
}

static void test_inflight_limit(void **state)
{
    (void)state;
    fake_t *f = fake_start(sc_silent, NULL);
    e2u__source_t *src = stub_for(&f, 1, 0, true);
    got_t *g = calloc(1, sizeof(*g));
    uint8_t q[E2U_DNAME_MAX];
    wire_name(q, "1.e164.arpa");
    uint64_t h;
    int rc = 0, i;
    for (i = 0; i < 70000 && rc == 0; i++)
        rc = src->ops->query(src, q, 60000, on_answer, g, &h);
    assert_int_equal(rc, E2U_EBUSY);
    assert_int_equal(i - 1, 65536);
    src->ops->free(src); /* pending callbacks never run */
    assert_int_equal(g->n, 0);
    fake_stop(f);
    free(g);
}

/* Drops the first datagram of every question whose first label is "d", answers the rest. */
static void sc_drop_first(fake_t *f, const fq_t *q)
{
    static uint8_t seen[16][E2U_DNAME_MAX];
    static int nseen;
    if (q->qname[0] == 1 && q->qname[1] == 'd') {
        bool again = false;
        for (int i = 0; i < nseen; i++)
            again = again || e2u_dname_equal(seen[i], q->qname);
        if (!again) {
            if (nseen < 16)
                memcpy(seen[nseen++], q->qname, (size_t)e2u_dname_wire_len(q->qname, 255));
            return;
        }
    }
    sc_two_naptrs(f, q);
}

/* Once the server has answered, a lost datagram is resent after the server's RTO (tens of ms
 * on loopback), not after attempt_ms: here attempt_ms is longer than the query's timeout, so
 * only the adaptive retransmission can save the query. */
static void test_rto_after_first_answer(void **state)
{
    (void)state;
    setup_rds();
    fake_t *f = fake_start(sc_drop_first, NULL);
    e2u__source_t *src = stub_for(&f, 1, 5000, true);
    got_t *g = calloc(1, sizeof(*g));
    ask(src, "w.e164.arpa", g, 3000, NULL); /* answered at once: the first RTT sample */
    run_until(src, &g->n, 1, 3000);
    assert_int_equal(g->kind, E2U__ANS_DATA);
    memset(g, 0, sizeof(*g));
    ask(src, "d.e164.arpa", g, 2000, NULL);
    run_until(src, &g->n, 1, 3000);
    assert_int_equal(g->n, 1);
    assert_int_equal(g->kind, E2U__ANS_DATA);
    e2u__stub_stats_t st;
    e2u__stub_get_stats(src, &st);
    assert_int_equal(st.retransmits, 1);
    assert_int_equal(fake_count(f), 3);
    src->ops->free(src);
    fake_stop(f);
    free(g);
}

typedef struct counter {
    int n, data;
} counter_t;

static void on_count(void *arg, const e2u__answer_t *a)
{
    counter_t *c = arg;
    c->n++;
    c->data += a->kind == E2U__ANS_DATA && a->nrr == 2;
}

/* 300 questions, the first server silent: those that went to it, and those waiting for its
 * window, all end up answered by the second. */
static void test_failover_many(void **state)
{
    (void)state;
    setup_rds();
    fake_t *f[2] = {fake_start(sc_silent, NULL), fake_start(sc_two_naptrs, NULL)};
    e2u__source_t *src = stub_for(f, 2, 200, true);
    counter_t c = {0, 0};
    for (int i = 0; i < 300; i++) {
        char name[64];
        uint8_t q[E2U_DNAME_MAX];
        name_for(name, sizeof(name), i);
        wire_name(q, name);
        uint64_t h;
        assert_int_equal(src->ops->query(src, q, 3000, on_count, &c, &h), 0);
    }
    run_until(src, &c.n, 300, 5000);
    assert_int_equal(c.n, 300);
    assert_int_equal(c.data, 300);
    assert_int_equal(fake_count(f[1]), 300);
    e2u__stub_stats_t st;
    e2u__stub_get_stats(src, &st);
    assert_true(st.window_waits > 0); /* more questions than the first window */
    src->ops->free(src);
    fake_stop(f[0]);
    fake_stop(f[1]);
}

static void test_bad_servers(void **state)
{
    (void)state;
    static const char *bad[] = {"300.1.1.1",  "127.0.0.1@99999", "127.0.0.1@", "localhost",
                                "[::1",       "127.0.0.1@53x",   "",           "::1@0",
                                "1.2.3.4:53", "[::1]x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *servers[1] = {bad[i]};
        e2u__stub_opts_t o = {.servers = servers, .nservers = 1};
        e2u__source_t *src = NULL;
        e2u_diag_t d;
        memset(&d, 0, sizeof(d));
        assert_int_equal(e2u__stub_new(&src, &o, &d), E2U_EINVAL);
        assert_null(src);
        char quoted[64];
        snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
        assert_non_null(strstr(d.msg, quoted));
    }
    struct {
        const char *text;
        int family;
        unsigned port;
    } good[] = {{"127.0.0.1", AF_INET, 53},     {"127.0.0.1@5399", AF_INET, 5399},
                {"::1@5353", AF_INET6, 5353},   {"[::1]:5354", AF_INET6, 5354},
                {"[::1]@5355", AF_INET6, 5355}, {"[::1]", AF_INET6, 53},
                {"::1", AF_INET6, 53}};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct sockaddr_storage sa;
        socklen_t sl;
        assert_int_equal(e2u__stub_parse_server(good[i].text, &sa, &sl, NULL), 0);
        assert_int_equal(sa.ss_family, good[i].family);
        unsigned port = sa.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&sa)->sin_port)
                                                : ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
        assert_int_equal(port, good[i].port);
    }
    e2u__stub_opts_t none = {0};
    e2u__source_t *src = NULL;
    assert_int_equal(e2u__stub_new(&src, &none, NULL), E2U_EINVAL);
}

/* --- the parser alone ------------------------------------------------------------------------- */

typedef struct pctx {
    e2u__stub_parser_t *p;
    uint8_t q[E2U_DNAME_MAX];
    wb_t w;
    e2u__stub_resp_t r;
} pctx_t;

static pctx_t *pctx(const char *qname)
{
    pctx_t *c = calloc(1, sizeof(*c));
    assert_int_equal(e2u__stub_parser_new(&c->p), 0);
    wire_name(c->q, qname);
    return c;
}

static void pctx_free(pctx_t *c)
{
    e2u__stub_parser_free(c->p);
    free(c);
}

static e2u__stub_verdict_t parse(pctx_t *c, uint16_t id)
{
    return e2u__stub_parse_response(c->p, c->w.b, c->w.n, id, c->q, 0, &c->r);
}

static void test_parse_header_checks(void **state)
{
    (void)state;
    pctx_t *c = pctx("1.e164.arpa");
    uint8_t rd[64];
    size_t rl = naptr(rd, 1, 1, "u", "E2U+sip", "!^.*$!sip:a@b!");

    header(&c->w, 7, F_QR, 0, 1, 1, 0, 0);
    question(&c->w, c->q, T_NAPTR, C_IN);
    rr(&c->w, AT_QNAME, 2, T_NAPTR, C_IN, 60, rd, rl);
    assert_int_equal(parse(c, 7), E2U__STUB_ANSWER);
    assert_int_equal(c->r.nrr, 1);
    assert_int_equal(parse(c, 8), E2U__STUB_MISMATCH); /* another ID */

    c->w.b[2] &= 0x7f; /* QR=0 */
    assert_int_equal(parse(c, 7), E2U__STUB_MISMATCH);
    c->w.b[2] |= 0x80 | (4 << 3); /* opcode NOTIFY */
    assert_int_equal(parse(c, 7), E2U__STUB_MISMATCH);

    uint8_t upper[E2U_DNAME_MAX];
    wire_name(upper, "1.E164.ArPa");
    header(&c->w, 7, F_QR, 0, 1, 1, 0, 0); /* 0x20 case: still the question */
    question(&c->w, upper, T_NAPTR, C_IN);
    rr(&c->w, AT_QNAME, 2, T_NAPTR, C_IN, 60, rd, rl);
    assert_int_equal(parse(c, 7), E2U__STUB_ANSWER);
    assert_int_equal(c->r.nrr, 1);

    header(&c->w, 7, F_QR, 0, 1, 0, 0, 0); /* another type */
    question(&c->w, c->q, 1, C_IN);
    assert_int_equal(parse(c, 7), E2U__STUB_MISMATCH);
    header(&c->w, 7, F_QR, 0, 1, 0, 0, 0); /* another class */
    question(&c->w, c->q, T_NAPTR, 3);
    assert_int_equal(parse(c, 7), E2U__STUB_MISMATCH);

    header(&c->w, 7, F_QR, 5, 0, 0, 0, 0); /* REFUSED without a question */
    assert_int_equal(parse(c, 7), E2U__STUB_ANSWER);
    assert_int_equal(c->r.rcode, 5);
    header(&c->w, 7, F_QR, 0, 0, 0, 0, 0); /* NOERROR without a question */
    assert_int_equal(parse(c, 7), E2U__STUB_MISMATCH);

    header(&c->w, 7, F_QR | F_TC, 0, 1, 0, 0, 0); /* TC */
    question(&c->w, c->q, T_NAPTR, C_IN);
    assert_int_equal(parse(c, 7), E2U__STUB_ANSWER);
    assert_true(c->r.tc);
    assert_int_equal(c->r.nrr, 0);

    header(&c->w, 7, F_QR, 0, 1, 1, 0, 0); /* trailing garbage */
    question(&c->w, c->q, T_NAPTR, C_IN);
    rr(&c->w, AT_QNAME, 2, T_NAPTR, C_IN, 60, rd, rl);
    put8(&c->w, 0);
    assert_int_equal(parse(c, 7), E2U__STUB_MALFORMED);

    header(&c->w, 7, F_QR, 0, 1, 2, 0, 0); /* ANCOUNT says 2, one is there */
    question(&c->w, c->q, T_NAPTR, C_IN);
    rr(&c->w, AT_QNAME, 2, T_NAPTR, C_IN, 60, rd, rl);
    assert_int_equal(parse(c, 7), E2U__STUB_MALFORMED);

    header(&c->w, 7, F_QR, 0, 1, 1, 0, 0); /* a forward compression pointer */
    question(&c->w, c->q, T_NAPTR, C_IN);
    uint8_t fwd[2] = {0xc0, 0xff};
    rr(&c->w, fwd, 2, T_NAPTR, C_IN, 60, rd, rl);
    assert_int_equal(parse(c, 7), E2U__STUB_MALFORMED);

    c->w.n = 11; /* shorter than a header */
    assert_int_equal(parse(c, 7), E2U__STUB_MISMATCH);
    pctx_free(c);
}

static void test_parse_cname_chain_and_ttl(void **state)
{
    (void)state;
    pctx_t *c = pctx("1.e164.arpa");
    uint8_t a[E2U_DNAME_MAX], b[E2U_DNAME_MAX], other[E2U_DNAME_MAX];
    size_t al = wire_name(a, "a.example."), bl = wire_name(b, "b.example.");
    size_t ol = wire_name(other, "other.example.");
    uint8_t r1[64], r2[64], r3[64];
    size_t l1 = naptr(r1, 1, 1, "u", "E2U+sip", "!^.*$!sip:1@b!");
    size_t l2 = naptr(r2, 2, 1, "u", "E2U+sip", "!^.*$!sip:2@b!");
    size_t l3 = naptr(r3, 3, 1, "u", "E2U+sip", "!^.*$!sip:3@other!");

    /* qname -> a.example (TTL 100) -> b.example (TTL 50) -> 2 NAPTRs (300, 200); a NAPTR at
     * another name in between is not part of the answer. */
    header(&c->w, 1, F_QR, 0, 1, 5, 0, 0);
    question(&c->w, c->q, T_NAPTR, C_IN);
    rr(&c->w, AT_QNAME, 2, T_CNAME, C_IN, 100, a, al);
    rr(&c->w, a, al, T_CNAME, C_IN, 50, b, bl);
    rr(&c->w, other, ol, T_NAPTR, C_IN, 10, r3, l3);
    rr(&c->w, b, bl, T_NAPTR, C_IN, 300, r1, l1);
    rr(&c->w, b, bl, T_NAPTR, C_IN, 200, r2, l2);
    assert_int_equal(parse(c, 1), E2U__STUB_ANSWER);
    assert_int_equal(c->r.nrr, 2);
    assert_true(rd_equal(&c->r.rr[0], r1, l1));
    assert_true(rd_equal(&c->r.rr[1], r2, l2));
    assert_int_equal(c->r.cnames, 2);
    assert_true(e2u_dname_equal(c->r.owner, b));
    assert_true(c->r.cacheable);
    assert_int_equal(c->r.ttl, 50);

    /* no CNAME: TTL of the RRset is its lowest; a TTL with the top bit set counts as 0 */
    header(&c->w, 1, F_QR, 0, 1, 2, 0, 0);
    question(&c->w, c->q, T_NAPTR, C_IN);
    rr(&c->w, AT_QNAME, 2, T_NAPTR, C_IN, 300, r1, l1);
    rr(&c->w, AT_QNAME, 2, T_NAPTR, C_IN, 200, r2, l2);
    assert_int_equal(parse(c, 1), E2U__STUB_ANSWER);
    assert_int_equal(c->r.ttl, 200);
    c->w.b[c->w.n - l2 - 6] = 0x80; /* the second RR's TTL: 0x800000c8 */
    assert_int_equal(parse(c, 1), E2U__STUB_ANSWER);
    assert_int_equal(c->r.ttl, 0);

    /* a loop a -> b -> a: more than 8 links */
    header(&c->w, 1, F_QR, 0, 1, 3, 0, 0);
    question(&c->w, c->q, T_NAPTR, C_IN);
    rr(&c->w, AT_QNAME, 2, T_CNAME, C_IN, 100, a, al);
    rr(&c->w, a, al, T_CNAME, C_IN, 100, b, bl);
    rr(&c->w, b, bl, T_CNAME, C_IN, 100, a, al);
    assert_int_equal(parse(c, 1), E2U__STUB_MALFORMED);

    /* exactly 8 links is fine, 9 is not */
    for (int links = 8; links <= 9; links++) {
        uint8_t names[10][E2U_DNAME_MAX];
        size_t nl[10];
        for (int i = 0; i <= links; i++) {
            char t[32];
            snprintf(t, sizeof(t), "n%d.example.", i);
            nl[i] = wire_name(names[i], t);
        }
        header(&c->w, 1, F_QR, 0, 1, (unsigned)links + 1, 0, 0);
        question(&c->w, c->q, T_NAPTR, C_IN);
        rr(&c->w, AT_QNAME, 2, T_CNAME, C_IN, 100, names[1], nl[1]);
        for (int i = 1; i < links; i++)
            rr(&c->w, names[i], nl[i], T_CNAME, C_IN, 100, names[i + 1], nl[i + 1]);
        rr(&c->w, names[links], nl[links], T_NAPTR, C_IN, 100, r1, l1);
        if (links == 8) {
            assert_int_equal(parse(c, 1), E2U__STUB_ANSWER);
            assert_int_equal(c->r.nrr, 1);
            assert_int_equal(c->r.cnames, 8);
        } else {
            assert_int_equal(parse(c, 1), E2U__STUB_MALFORMED);
        }
    }

    /* NXDOMAIN at the end of a chain: the RCODE is about b.example (RFC 6604) */
    uint8_t apex[E2U_DNAME_MAX], srd[64];
    size_t apl = wire_name(apex, "example."), sl = soa(srd, 3600);
    header(&c->w, 1, F_QR, 3, 1, 1, 1, 0);
    question(&c->w, c->q, T_NAPTR, C_IN);
    rr(&c->w, AT_QNAME, 2, T_CNAME, C_IN, 100, b, bl);
    rr(&c->w, apex, apl, T_SOA, C_IN, 900, srd, sl);
    assert_int_equal(parse(c, 1), E2U__STUB_ANSWER);
    assert_int_equal(c->r.rcode, 3);
    assert_true(e2u_dname_equal(c->r.owner, b));
    assert_true(c->r.cacheable);
    assert_int_equal(c->r.ttl, 100); /* min(SOA 900, MINIMUM 3600, CNAME 100) */
    pctx_free(c);
}

static void test_parse_negative_ttl(void **state)
{
    (void)state;
    pctx_t *c = pctx("1.e164.arpa");
    uint8_t apex[E2U_DNAME_MAX], other[E2U_DNAME_MAX], srd[64];
    size_t al = wire_name(apex, "e164.arpa."), ol = wire_name(other, "example.com.");

    size_t sl = soa(srd, 300); /* SOA TTL 600, MINIMUM 300: 300 */
    header(&c->w, 1, F_QR, 3, 1, 0, 1, 0);
    question(&c->w, c->q, T_NAPTR, C_IN);
    rr(&c->w, apex, al, T_SOA, C_IN, 600, srd, sl);
    assert_int_equal(parse(c, 1), E2U__STUB_ANSWER);
    assert_true(c->r.cacheable);
    assert_int_equal(c->r.ttl, 300);

    sl = soa(srd, 3600); /* SOA TTL 60, MINIMUM 3600: 60 */
    header(&c->w, 1, F_QR, 0, 1, 0, 1, 0);
    question(&c->w, c->q, T_NAPTR, C_IN);
    rr(&c->w, apex, al, T_SOA, C_IN, 60, srd, sl);
    assert_int_equal(parse(c, 1), E2U__STUB_ANSWER);
    assert_int_equal(c->r.nrr, 0);
    assert_int_equal(c->r.ttl, 60);

    header(&c->w, 1, F_QR, 3, 1, 0, 1, 0); /* the SOA of a zone the name is not in */
    question(&c->w, c->q, T_NAPTR, C_IN);
    rr(&c->w, other, ol, T_SOA, C_IN, 600, srd, sl);
    assert_int_equal(parse(c, 1), E2U__STUB_ANSWER);
    assert_false(c->r.cacheable);

    header(&c->w, 1, F_QR, 3, 1, 0, 0, 0); /* no SOA at all */
    question(&c->w, c->q, T_NAPTR, C_IN);
    assert_int_equal(parse(c, 1), E2U__STUB_ANSWER);
    assert_false(c->r.cacheable);
    pctx_free(c);
}

static void test_build_query(void **state)
{
    (void)state;
    uint8_t q[E2U_DNAME_MAX], buf[E2U__STUB_QUERY_MAX];
    size_t ql = wire_name(q, "3.2.1.e164.arpa"), len = 0;
    assert_int_equal(e2u__stub_build_query(buf, sizeof(buf), &len, 0xbeef, q, 1232), 0);
    assert_int_equal(len, 12 + ql + 4 + 11);
    fq_t fq;
    assert_true(parse_query(buf, len, &fq));
    assert_int_equal(fq.id, 0xbeef);
    assert_int_equal(fq.flags, F_RD);            /* QR=0, opcode QUERY, RD=1, nothing else */
    assert_int_equal(buf[4] << 8 | buf[5], 1);   /* QDCOUNT */
    assert_int_equal(buf[6] << 8 | buf[7], 0);   /* ANCOUNT */
    assert_int_equal(buf[10] << 8 | buf[11], 1); /* ARCOUNT: the OPT */
    assert_memory_equal(fq.qname, q, ql);
    assert_int_equal(fq.qtype, T_NAPTR);
    assert_int_equal(fq.qclass, C_IN);
    assert_true(fq.has_opt);
    assert_int_equal(fq.opt_size, 1232);
    assert_int_equal(e2u__stub_build_query(buf, sizeof(buf), &len, 1, q, 0), 0);
    assert_int_equal(len, 12 + ql + 4);
    assert_int_equal(e2u__stub_build_query(buf, 20, &len, 1, q, 1232), E2U_ENOSPC);
    uint8_t bad[2] = {0xc0, 0x0c};
    assert_int_equal(e2u__stub_build_query(buf, sizeof(buf), &len, 1, bad, 1232), E2U_EINVAL);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]); /* e.g. "test_tc*" */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_query),
        cmocka_unit_test(test_parse_header_checks),
        cmocka_unit_test(test_parse_cname_chain_and_ttl),
        cmocka_unit_test(test_parse_negative_ttl),
        cmocka_unit_test(test_bad_servers),
        cmocka_unit_test(test_answer_two_naptrs),
        cmocka_unit_test(test_nxdomain_negative_cache),
        cmocka_unit_test(test_nodata),
        cmocka_unit_test(test_servfail_then_second_server),
        cmocka_unit_test(test_refused_single_server),
        cmocka_unit_test(test_servfail_everywhere),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_tc_then_tcp),
        cmocka_unit_test(test_oversize_datagram),
        cmocka_unit_test(test_tc_tcp_refused),
        cmocka_unit_test(test_tc_tcp_closed),
        cmocka_unit_test(test_decoys_ignored),
        cmocka_unit_test(test_pointer_loop_fails),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_many_concurrent),
        cmocka_unit_test(test_rto_after_first_answer),
        cmocka_unit_test(test_failover_many),
        cmocka_unit_test(test_cache_expiry),
        cmocka_unit_test(test_no_cache),
        cmocka_unit_test(test_inflight_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
