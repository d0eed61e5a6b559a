/*
 * server/stats.c — counters and the Prometheus endpoint.
 *
 * Each thread owns an e2ud_stats_t and is the only writer of its counters (e2ud_count: a relaxed
 * load and store, no locked instruction): no sharing of cache lines between workers on the query
 * path. The HTTP thread sums them when scraped. Per-zone counters use a slot per zone origin,
 * assigned on first sight from a small table guarded by a mutex (taken once per new zone, never
 * on the steady path: the slot lookup compares the origin against the cached one first).
 *
 * The endpoint speaks just enough HTTP/1.0 for Prometheus and curl: GET /metrics (and /) returns
 * the text exposition format (version 0.0.4); anything else is 404. One request per
 * connection, a 2 s read deadline, requests over 4 KiB refused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "e2u/dname.h"
#include "server.h"

static const uint64_t lat_bounds_ns[E2UD_LAT_BUCKETS - 1] = {
    1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000, 10000000,
};

static const char *const rcode_names[E2UD_RCODES] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET", "NOTAUTH", "NOTZONE", "RCODE11", "RCODE12", "RCODE13", "RCODE14", "RCODE15",
    "BADVERS", "BADKEY", "BADTIME", "BADMODE", "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE",
};
static const char *const qtype_names[E2UD_QTYPES] = {"NAPTR", "SOA", "NS",  "A",
                                                     "AAAA",  "ANY", "other", "spare"};

static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t zone_origin[E2UD_ZONES_MAX][E2U_DNAME_MAX];
static size_t zone_len[E2UD_ZONES_MAX];
static _Atomic size_t nzones;

int e2ud_stats_zone_slot(const uint8_t *origin, size_t len)
{
    size_t n = atomic_load_explicit(&nzones, memory_order_acquire);
    for (size_t i = 0; i < n; i++) {
        if (zone_len[i] == len && memcmp(zone_origin[i], origin, len) == 0)
            return (int)i;
    }
    pthread_mutex_lock(&zone_lock);
    n = atomic_load_explicit(&nzones, memory_order_relaxed);
    int slot = -1;
    for (size_t i = 0; i < n; i++) {
        if (zone_len[i] == len && memcmp(zone_origin[i], origin, len) == 0)
            slot = (int)i;
    }
    if (slot < 0 && n < E2UD_ZONES_MAX && len <= E2U_DNAME_MAX) {
        memcpy(zone_origin[n], origin, len);
        zone_len[n] = len;
        atomic_store_explicit(&nzones, n + 1, memory_order_release);
        slot = (int)n;
    }
    pthread_mutex_unlock(&zone_lock);
    return slot;
}

void e2ud_stats_query(e2ud_stats_t *s, int rcode, uint16_t qtype, int zone_slot)
{
    if (!s)
        return;
    int rc = rcode >= 0 && rcode < E2UD_RCODES ? rcode : 2;
    e2ud_count(&s->rcode[rc], 1);
    unsigned qs;
    switch (qtype) {
    case 35: qs = 0; break;
    case 6: qs = 1; break;
    case 2: qs = 2; break;
    case 1: qs = 3; break;
    case 28: qs = 4; break;
    case 255: qs = 5; break;
    default: qs = 6; break;
    }
    e2ud_count(&s->qtype[qs], 1);
    if (zone_slot >= 0 && zone_slot < E2UD_ZONES_MAX)
        e2ud_count(&s->zone_queries[zone_slot], 1);
}

void e2ud_stats_latency(e2ud_stats_t *s, uint64_t ns, uint64_t n)
{
    if (!s || !n)
        return;
    unsigned b = 0;
    while (b < E2UD_LAT_BUCKETS - 1 && ns > lat_bounds_ns[b])
        b++;
    e2ud_count(&s->lat[b], n);
    e2ud_count(&s->lat_sum_ns, ns * n);
}

uint64_t e2ud_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- the endpoint ---------------------------------------------------------------------------- */

static e2ud_stats_t *const *all;
static size_t nall;
static int lfd = -1;
static pthread_t thread;
static atomic_bool stopping;
static const e2ud_indexer_t *indexer;

void e2ud_stats_indexer(const e2ud_indexer_t *ix)
{
    indexer = ix;
}

/* The configuration (reload.c): its generation, the last reload's outcome and when the last
 * good one was loaded, the names Prometheus itself uses for its own reloads. */
static _Atomic uint64_t cfg_gen, cfg_ok_time, reloads_ok, reloads_failed;
static _Atomic int cfg_last_ok = 1;

void e2ud_stats_config(uint64_t gen, int outcome)
{
    if (outcome < 0) {
        atomic_fetch_add(&reloads_failed, 1);
        atomic_store(&cfg_last_ok, 0);
        return;
    }
    if (outcome > 0)
        atomic_fetch_add(&reloads_ok, 1);
    atomic_store(&cfg_gen, gen);
    atomic_store(&cfg_last_ok, 1);
    atomic_store(&cfg_ok_time, (uint64_t)time(NULL));
}

#define SUM(field)                                                                                 \
    ({                                                                                             \
        uint64_t _t = 0;                                                                           \
        for (size_t _i = 0; _i < nall; _i++)                                                       \
            _t += atomic_load_explicit(&all[_i]->field, memory_order_relaxed);                     \
        _t;                                                                                        \
    })

static size_t render(char *buf, size_t cap)
{
    size_t o = 0;
#define OUT(...)                                                                                   \
    do {                                                                                           \
        int _n = snprintf(buf + o, o < cap ? cap - o : 0, __VA_ARGS__);                            \
        if (_n > 0)                                                                                \
            o += (size_t)_n;                                                                       \
    } while (0)
    OUT("# HELP e2ud_queries_total DNS queries answered, by response code.\n"
        "# TYPE e2ud_queries_total counter\n");
    for (int r = 0; r < E2UD_RCODES; r++) {
        uint64_t v = SUM(rcode[r]);
        if (v || r <= 5)
            OUT("e2ud_queries_total{rcode=\"%s\"} %llu\n", rcode_names[r], (unsigned long long)v);
    }
    OUT("# HELP e2ud_queries_by_type_total DNS queries, by question type.\n"
        "# TYPE e2ud_queries_by_type_total counter\n");
    for (int t = 0; t < E2UD_QTYPES - 1; t++)
        OUT("e2ud_queries_by_type_total{qtype=\"%s\"} %llu\n", qtype_names[t],
            (unsigned long long)SUM(qtype[t]));
    OUT("# HELP e2ud_transport_queries_total Queries by transport.\n"
        "# TYPE e2ud_transport_queries_total counter\n"
        "e2ud_transport_queries_total{transport=\"udp\"} %llu\n"
        "e2ud_transport_queries_total{transport=\"tcp\"} %llu\n",
        (unsigned long long)SUM(udp), (unsigned long long)SUM(tcp));
    OUT("# HELP e2ud_dropped_total Messages dropped without an answer.\n"
        "# TYPE e2ud_dropped_total counter\ne2ud_dropped_total %llu\n",
        (unsigned long long)SUM(dropped));
    OUT("# HELP e2ud_truncated_total Answers sent with TC set.\n"
        "# TYPE e2ud_truncated_total counter\ne2ud_truncated_total %llu\n",
        (unsigned long long)SUM(truncated));
    OUT("# HELP e2ud_rrl_answers_total UDP answers held back by response rate limiting "
        "(mod-rrl): dropped, or sent truncated (slip).\n"
        "# TYPE e2ud_rrl_answers_total counter\n"
        "e2ud_rrl_answers_total{action=\"dropped\"} %llu\n"
        "e2ud_rrl_answers_total{action=\"slipped\"} %llu\n",
        (unsigned long long)SUM(rrl_dropped), (unsigned long long)SUM(rrl_slipped));
    OUT("# HELP e2ud_cookie_queries_total Queries with a DNS COOKIE option (mod-cookies), by "
        "what became of it: valid (echoed), badcookie (UDP, missing or bad server cookie), "
        "dropped (the same, held back by badcookie-slip), renewed (TCP, the answer with a new "
        "cookie), malformed (FORMERR).\n"
        "# TYPE e2ud_cookie_queries_total counter\n"
        "e2ud_cookie_queries_total{result=\"valid\"} %llu\n"
        "e2ud_cookie_queries_total{result=\"badcookie\"} %llu\n"
        "e2ud_cookie_queries_total{result=\"dropped\"} %llu\n"
        "e2ud_cookie_queries_total{result=\"renewed\"} %llu\n"
        "e2ud_cookie_queries_total{result=\"malformed\"} %llu\n",
        (unsigned long long)SUM(cookie[E2UD_COOKIE_R_VALID]),
        (unsigned long long)SUM(cookie[E2UD_COOKIE_R_BADCOOKIE]),
        (unsigned long long)SUM(cookie[E2UD_COOKIE_R_DROPPED]),
        (unsigned long long)SUM(cookie[E2UD_COOKIE_R_RENEWED]),
        (unsigned long long)SUM(cookie[E2UD_COOKIE_R_MALFORMED]));
    OUT("# HELP e2ud_tcp_connections_total TCP connections, by outcome.\n"
        "# TYPE e2ud_tcp_connections_total counter\n"
        "e2ud_tcp_connections_total{outcome=\"accepted\"} %llu\n"
        "e2ud_tcp_connections_total{outcome=\"refused\"} %llu\n"
        "e2ud_tcp_connections_total{outcome=\"timeout\"} %llu\n",
        (unsigned long long)SUM(tcp_accepted), (unsigned long long)SUM(tcp_refused),
        (unsigned long long)SUM(tcp_timeouts));
    OUT("# HELP e2ud_query_duration_seconds Time a query spent in e2ud (UDP: its batch, from the "
        "receive to the send of the answers; TCP: from its message to its answer).\n"
        "# TYPE e2ud_query_duration_seconds histogram\n");
    uint64_t cum = 0;
    for (int b = 0; b < E2UD_LAT_BUCKETS; b++) {
        cum += SUM(lat[b]);
        if (b < E2UD_LAT_BUCKETS - 1)
            OUT("e2ud_query_duration_seconds_bucket{le=\"%g\"} %llu\n", lat_bounds_ns[b] / 1e9,
                (unsigned long long)cum);
        else
            OUT("e2ud_query_duration_seconds_bucket{le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    }
    OUT("e2ud_query_duration_seconds_sum %.9f\ne2ud_query_duration_seconds_count %llu\n",
        SUM(lat_sum_ns) / 1e9, (unsigned long long)cum);
    OUT("# HELP e2ud_zone_queries_total Queries answered from each zone.\n"
        "# TYPE e2ud_zone_queries_total counter\n");
    size_t nz = atomic_load_explicit(&nzones, memory_order_acquire);
    for (size_t z = 0; z < nz; z++) {
        char name[E2U_DNAME_TEXT_MAX];
        if (e2u_dname_to_text(name, sizeof(name), NULL, zone_origin[z], zone_len[z]) < 0)
            continue;
        OUT("e2ud_zone_queries_total{zone=\"%s\"} %llu\n", name,
            (unsigned long long)SUM(zone_queries[z]));
    }
    OUT("# HELP e2ud_config_generation The configuration in use: 1 at start, one more per "
        "reload.\n# TYPE e2ud_config_generation gauge\ne2ud_config_generation %llu\n"
        "# HELP e2ud_config_last_reload_successful 0 when the last SIGHUP's file was refused "
        "(the previous configuration still runs).\n"
        "# TYPE e2ud_config_last_reload_successful gauge\n"
        "e2ud_config_last_reload_successful %d\n"
        "# HELP e2ud_config_last_reload_success_timestamp_seconds When the configuration in "
        "use was loaded (Unix time).\n"
        "# TYPE e2ud_config_last_reload_success_timestamp_seconds gauge\n"
        "e2ud_config_last_reload_success_timestamp_seconds %llu\n"
        "# HELP e2ud_config_reloads_total SIGHUP reloads by outcome.\n"
        "# TYPE e2ud_config_reloads_total counter\n"
        "e2ud_config_reloads_total{result=\"ok\"} %llu\n"
        "e2ud_config_reloads_total{result=\"failed\"} %llu\n",
        (unsigned long long)atomic_load(&cfg_gen), atomic_load(&cfg_last_ok),
        (unsigned long long)atomic_load(&cfg_ok_time), (unsigned long long)atomic_load(&reloads_ok),
        (unsigned long long)atomic_load(&reloads_failed));
    if (indexer) {
        size_t commit = atomic_load(&indexer->commit);
        OUT("# HELP e2ud_store_index_numbers Numbers in the number index in use (0: none).\n"
            "# TYPE e2ud_store_index_numbers gauge\ne2ud_store_index_numbers %zu\n"
            "# HELP e2ud_store_index_bytes Memory of the number index's table.\n"
            "# TYPE e2ud_store_index_bytes gauge\ne2ud_store_index_bytes %zu\n"
            "# HELP e2ud_store_index_current 1 when the number index is of the latest commit "
            "(numbers are then found without a B-tree descent).\n"
            "# TYPE e2ud_store_index_current gauge\ne2ud_store_index_current %d\n"
            "# HELP e2ud_store_index_builds_total Number index builds.\n"
            "# TYPE e2ud_store_index_builds_total counter\ne2ud_store_index_builds_total %zu\n"
            "# HELP e2ud_store_index_hits_total Numbers found through the number index.\n"
            "# TYPE e2ud_store_index_hits_total counter\ne2ud_store_index_hits_total %llu\n",
            atomic_load(&indexer->entries), atomic_load(&indexer->bytes),
            commit && commit == e2u_store_commit_id(indexer->store),
            atomic_load(&indexer->builds), (unsigned long long)SUM(index_hits));
    }
#undef OUT
    return o < cap ? o : cap;
}

static void serve(int fd)
{
    char req[4096];
    size_t n = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (n < sizeof(req) - 1 && !memmem(req, n, "\r\n\r\n", 4) && !memmem(req, n, "\n\n", 2)) {
        if (poll(&p, 1, 2000) <= 0)
            return;
        ssize_t r = read(fd, req + n, sizeof(req) - 1 - n);
        if (r <= 0)
            return;
        n += (size_t)r;
    }
    req[n] = '\0';
    static char body[65536];
    char head[256];
    const char *status = "200 OK";
    size_t blen;
    if (strncmp(req, "GET /metrics ", 13) == 0 || strncmp(req, "GET / ", 6) == 0) {
        blen = render(body, sizeof(body));
    } else {
        status = "404 Not Found";
        blen = (size_t)snprintf(body, sizeof(body), "not found: try /metrics\n");
    }
    int hl = snprintf(head, sizeof(head),
                      "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      status, blen);
    if (write(fd, head, (size_t)hl) < 0 || write(fd, body, blen) < 0)
        return;
}

static void *http_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&stopping)) {
        struct pollfd p = {.fd = lfd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            continue;
        serve(c);
        close(c);
    }
    return NULL;
}

int e2ud_stats_start(const e2ud_addr_t *addr, e2ud_stats_t *const *threads, size_t n)
{
    all = threads;
    nall = n;
    lfd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(lfd, (const struct sockaddr *)&addr->ss, addr->len) < 0 || listen(lfd, 16) < 0) {
        e2ud_log(LOG_ERR, "statistics: cannot listen on %s: %s", addr->text, strerror(errno));
        if (lfd >= 0)
            close(lfd);
        lfd = -1;
        return -1;
    }
    atomic_store(&stopping, false);
    if (pthread_create(&thread, NULL, http_main, NULL) != 0) {
        close(lfd);
        lfd = -1;
        return -1;
    }
    e2ud_log(LOG_INFO, "statistics on http://%s/metrics", addr->text);
    return 0;
}

void e2ud_stats_stop(void)
{
    if (lfd < 0)
        return;
    atomic_store(&stopping, true);
    pthread_join(thread, NULL);
    close(lfd);
    lfd = -1;
}
