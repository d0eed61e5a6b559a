/*
 * bench/bench_answer.c — e2ud's query path in process, one thread: DNS message in, answer out.
 *
 *   bench_answer DB QUERIES [SECONDS] [--no-index] [--rrl] [--rounds N]
 *
 * QUERIES is a dnsperf query file (gen_np.py's queries.txt). Each line becomes the DNS message
 * dnsperf sends for it (no EDNS, one question of class IN). The timed loop then does what a UDP
 * worker does between recvmmsg() and sendmmsg(), batches of 64 in turn: the reader renewed once
 * per batch, the number index prefetched for the whole batch (two passes), e2ud_answer() for
 * each message, statistics and the batch's latency included. No socket and no system call (the
 * clock is the vDSO's): what is measured is the user-space part of e2ud's CPU time per query,
 * which the benchmarks over loopback (bench/server.sh) cannot separate from the kernel's and
 * measure only through the noise of a shared machine. N rounds of SECONDS each (default 5 of
 * 2 s); prints each round's ns per query and their median, and checks every answer: its ID, QR
 * and AA set, NOERROR with an answer record for a number that exists, NXDOMAIN with the SOA
 * otherwise.
 *
 * Without --no-index the store's number index is built first, as e2ud builds it at start. With
 * --rrl each answer is also counted by a response rate limiter (server/rrl.c) as a UDP worker
 * does with mod-rrl on: its bucket found as the answer is made, counted once the batch is
 * answered; the rate is one the run never reaches, the client one address.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libknot/libknot.h>

#include "e2u/e2u.h"
#include "e2u/store.h"
#include "common.h"
#include "server.h"

#define BATCH 64
#define MSG   80 /* a header, a question of at most 64 octets, type and class */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The message dnsperf sends for "NAME TYPE" into m[MSG]; its length, or 0 if line is not one. */
static size_t make_query(char *line, uint16_t id, uint8_t *m)
{
    char *name = strtok(line, " \t\r\n"), *type = strtok(NULL, " \t\r\n");
    uint16_t t;
    size_t wl;
    if (!name || !type || knot_rrtype_from_string(type, &t) != 0 ||
        e2u_dname_from_text(m + KNOT_WIRE_HEADER_SIZE, MSG - KNOT_WIRE_HEADER_SIZE - 4, &wl, name,
                            strlen(name), NULL, NULL) != 0)
        return 0;
    memset(m, 0, KNOT_WIRE_HEADER_SIZE);
    knot_wire_set_id(m, id);
    knot_wire_set_qdcount(m, 1);
    uint8_t *p = m + KNOT_WIRE_HEADER_SIZE + wl;
    p[0] = (uint8_t)(t >> 8);
    p[1] = (uint8_t)t;
    p[2] = 0;
    p[3] = KNOT_CLASS_IN;
    return KNOT_WIRE_HEADER_SIZE + wl + 4;
}

/* Whether resp[rl] is a right answer to query m. */
static bool answer_ok(const uint8_t *m, const uint8_t *resp, size_t rl, uint64_t *noerror)
{
    if (rl < KNOT_WIRE_HEADER_SIZE || knot_wire_get_id(resp) != knot_wire_get_id(m) ||
        !knot_wire_get_qr(resp) || !knot_wire_get_aa(resp))
        return false;
    uint8_t rc = knot_wire_get_rcode(resp);
    if (rc == KNOT_RCODE_NOERROR) {
        ++*noerror;
        return knot_wire_get_ancount(resp) >= 1;
    }
    return rc == KNOT_RCODE_NXDOMAIN && knot_wire_get_ancount(resp) == 0 &&
           knot_wire_get_nscount(resp) == 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr,
                "usage: bench_answer DB QUERIES [SECONDS] [--no-index] [--rrl] [--rounds N]\n");
        return 2;
    }
    double secs = argc > 3 && argv[3][0] != '-' ? atof(argv[3]) : 2.0;
    bool index = true, with_rrl = false;
    int rounds = 5;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[i + 1]);
        index &= strcmp(argv[i], "--no-index") != 0;
        with_rrl |= strcmp(argv[i], "--rrl") == 0;
    }
    if (rounds < 1 || rounds > 100 || !(secs > 0)) {
        fprintf(stderr, "bench_answer: SECONDS must be positive, --rounds 1 to 100\n");
        return 2;
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    size_t cap = 1 << 20, n = 0;
    uint8_t *msgs = malloc(cap * MSG);
    uint8_t *lens = malloc(cap);
    uint8_t *resp = malloc((size_t)BATCH * 1232);
    int ret = 1;
    e2u_store_t *s = NULL;
    e2ud_qctx_t q;
    bool have_q = false;
    if (!msgs || !lens || !resp) {
        fprintf(stderr, "out of memory\n");
        fclose(f);
        goto out;
    }
    char line[512];
    while (fgets(line, sizeof(line), f) && n < cap) {
        size_t l = make_query(line, (uint16_t)n, msgs + n * MSG);
        if (l)
            lens[n++] = (uint8_t)l;
    }
    fclose(f);
    n -= n % BATCH;
    if (!n) {
        fprintf(stderr, "bench_answer: fewer than %d queries in %s\n", BATCH, argv[2]);
        goto out;
    }
    e2u_store_index_info_t ii = {0};
    s = bench_open_store("bench_answer", argv[1], index, &ii);
    if (!s)
        goto out;
    static e2ud_stats_t stats;
    e2ud_log_open(E2UD_LOG_STDERR, 0);
    if (e2ud_qctx_init(&q, NULL, s, &stats, 1232) < 0) {
        fprintf(stderr, "bench_answer: cannot start a query context\n");
        goto out;
    }
    have_q = true;
    e2ud_rrl_conf_t rc = {.rate = 4000000, .slip = 1, .table_size = 393241};
    e2ud_rrl_t *rrl = with_rrl ? e2ud_rrl_new(&rc) : NULL;
    if (with_rrl && !rrl) {
        fprintf(stderr, "bench_answer: cannot make a rate limiter\n");
        goto out;
    }
    static e2ud_rrl_state_t rst;
    e2ud_rrl_ticket_t tickets[BATCH];
    struct sockaddr_storage client = {0};
    ((struct sockaddr_in *)&client)->sin_family = AF_INET;
    ((struct sockaddr_in *)&client)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uint64_t limited = 0;
    /* one pass untimed, checking every answer (and warming the caches) */
    uint64_t noerror = 0, wrong = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t *m = msgs + i * MSG;
        if (i % BATCH == 0)
            e2ud_qctx_renew(&q);
        size_t rl = e2ud_answer(&q, m, lens[i], resp, 1232, NULL, false);
        wrong += !answer_ok(m, resp, rl, &noerror);
    }
    double ns[100] = {0};
    size_t b = 0;
    for (int r = 0; r < rounds; r++) {
        uint64_t done = 0;
        double t0 = bench_now(), t1;
        do {
            for (unsigned k = 0; k < 64; k++) {
                const uint8_t *m = msgs + b * BATCH * MSG;
                const uint8_t *l = lens + b * BATCH;
                uint64_t bt = e2ud_now_ns();
                e2ud_qctx_renew(&q);
                for (unsigned step = 0; step < 2; step++)
                    for (unsigned i = 0; i < BATCH; i++)
                        e2ud_qctx_prefetch(&q, m + i * MSG, l[i], step);
                for (unsigned i = 0; i < BATCH; i++) {
                    size_t rl =
                        e2ud_answer(&q, m + i * MSG, l[i], resp + i * 1232, 1232, NULL, false);
                    if (rrl)
                        e2ud_rrl_classify(rrl, &client, resp + i * 1232, rl, q.zone,
                                          q.authenticated, &tickets[i]);
                }
                for (unsigned i = 0; rrl && i < BATCH; i++)
                    limited += e2ud_rrl_count(rrl, &rst, &tickets[i], &client,
                                              bt / 1000000000u) != E2UD_RRL_PASS;
                e2ud_stats_latency(&stats, e2ud_now_ns() - bt, BATCH);
                done += BATCH;
                if (++b == n / BATCH)
                    b = 0;
            }
            t1 = bench_now();
        } while (t1 - t0 < secs);
        ns[r] = (t1 - t0) * 1e9 / (double)done;
        printf("round %d: %llu answers, %.0f ns per query\n", r + 1, (unsigned long long)done,
               ns[r]);
    }
    qsort(ns, (size_t)rounds, sizeof(ns[0]), cmp_double);
    printf("queries          %zu distinct, %.1f %% NOERROR, %llu wrong answers\n", n,
           100.0 * (double)noerror / (double)n, (unsigned long long)wrong);
    if (index)
        printf("number index     %zu numbers, %zu bytes\n", ii.entries, ii.bytes);
    printf("ns per query     %.0f (median of %d rounds)\n", ns[rounds / 2], rounds);
    if (rrl)
        printf("rate limiting    on, %llu answers limited (0 expected)\n",
               (unsigned long long)limited);
    ret = wrong || limited ? 1 : 0;
    e2ud_rrl_free(rrl);
out:
    if (have_q)
        e2ud_qctx_free(&q);
    e2u_store_close(s);
    free(resp);
    free(lens);
    free(msgs);
    return ret;
}
