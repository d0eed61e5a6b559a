/*
 * bench/bench_stub.c — throughput of e2u's DNS stub (lib/resolve/src_stub.c) against a server.
 *
 *     bench_stub SERVER QUERIES [INFLIGHT] [COUNT]
 *     bench_stub 127.0.0.1@5399 /tmp/np/queries.txt 1000 100000
 *
 * QUERIES has dnsperf's format, "NAME TYPE" a line (the type is ignored: the stub asks for
 * NAPTR). The first COUNT names (default: all) are resolved with INFLIGHT questions (default
 * 1000) kept in flight, the cache off, the way `e2u lookup --server` drives the stub: a finished
 * query starts the next one from its callback. Prints lookups/s and how they ended; compare
 * with `dnsperf -s ADDR -p PORT -d QUERIES` run just before or after, as a ratio.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "e2u/dname.h"
#include "resolve/source.h"
#include "resolve/stub.h"

typedef struct bench {
    e2u__source_t *src;
    uint8_t (*names)[E2U_DNAME_MAX];
    size_t n, next, done;
    size_t kinds[5];
    int err;
    double t0, t99; /* start, and when 99 % had finished (retransmission tails aside) */
} bench_t;

static void start_next(bench_t *b);
static double now_s(void);

/* How many answers make "99 %": the count on_answer records t99 at, rounded down on purpose
 * so that it is a whole number of lookups. */
static size_t count99(size_t n)
{
    return n - n / 100;
}

static void on_answer(void *arg, const e2u__answer_t *a)
{
    bench_t *b = arg;
    b->done++;
    if (b->done == count99(b->n))
        b->t99 = now_s() - b->t0;
    if ((unsigned)a->kind < 5)
        b->kinds[a->kind]++;
    start_next(b);
}

static void start_next(bench_t *b)
{
    if (b->next >= b->n)
        return;
    uint64_t h;
    int rc = b->src->ops->query(b->src, b->names[b->next], 5000, on_answer, b, &h);
    if (rc < 0) {
        b->err = rc;
        return;
    }
    b->next++;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s SERVER QUERIES [INFLIGHT] [COUNT]\n", argv[0]);
        return 2;
    }
    size_t inflight = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000;
    size_t count = argc > 4 ? strtoul(argv[4], NULL, 10) : 0;
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    bench_t b = {0};
    size_t cap = 0;
    char line[1024];
    while (fgets(line, sizeof(line), f) && (!count || b.n < count)) {
        size_t k = strcspn(line, " \t\r\n");
        if (k == 0)
            continue;
        if (b.n == cap) {
            cap = cap ? cap * 2 : 65536;
            void *nn = realloc(b.names, cap * sizeof(*b.names));
            if (!nn)
                return 2;
            b.names = nn;
        }
        size_t wl;
        if (e2u_dname_from_text(b.names[b.n], E2U_DNAME_MAX, &wl, line, k, NULL, NULL) == 0)
            b.n++;
    }
    fclose(f);

    const char *servers[1] = {argv[1]};
    e2u__stub_opts_t o = {.servers = servers, .nservers = 1, .no_cache = true};
    e2u_diag_t d;
    if (e2u__stub_new(&b.src, &o, &d) < 0) {
        fprintf(stderr, "%s\n", d.msg);
        return 2;
    }
    double t0 = b.t0 = now_s();
    for (size_t i = 0; i < inflight; i++)
        start_next(&b);
    while (b.done < b.next && !b.err) {
        int t = b.src->ops->next_timeout_ms(b.src);
        struct pollfd p = {.fd = b.src->ops->fd(b.src), .events = POLLIN};
        poll(&p, 1, t < 0 ? 1000 : t);
        if (b.src->ops->process(b.src) < 0)
            break;
    }
    double dt = now_s() - t0;
    e2u__stub_stats_t st;
    e2u__stub_get_stats(b.src, &st);
    printf("%zu lookups in %.3f s: %.0f lookups/s (%zu in flight); the first 99 %% at %.0f/s\n",
           b.done, dt, (double)b.done / dt, inflight,
           b.t99 > 0 ? (double)count99(b.n) / b.t99 : 0.0);
    printf("data %zu, nxdomain %zu, fail %zu, timeout %zu; datagrams sent %llu, received %llu, "
           "retransmits %llu, ignored %llu, tcp %llu\n",
           b.kinds[E2U__ANS_DATA], b.kinds[E2U__ANS_NXDOMAIN], b.kinds[E2U__ANS_FAIL],
           b.kinds[E2U__ANS_TIMEOUT], (unsigned long long)st.udp_sent,
           (unsigned long long)st.udp_received, (unsigned long long)st.retransmits,
           (unsigned long long)st.ignored, (unsigned long long)st.tcp_queries);
    b.src->ops->free(b.src);
    free(b.names);
    return b.err ? 1 : 0;
}
