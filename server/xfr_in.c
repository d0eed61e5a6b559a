/*
 * server/xfr_in.c — e2ud as a secondary: refresh from primaries, AXFR and IXFR in, NOTIFY in,
 * expiry.
 *
 * Zones whose configuration names primaries (`master:`) are kept up to date by one background
 * thread, as RFC 1034 §4.3.5 describes. For each zone it asks the primaries' SOA, in the
 * configured order, at start and then every REFRESH seconds of the zone's SOA (RETRY after a
 * failure; both clamped to [1 s, 1 day]); a NOTIFY from a party the zone's ACL allows
 * (RFC 1996 §3) wakes it at once. The SOA query goes over UDP, and over TCP when the answer is
 * truncated; it must come back authoritative, with our ID and question, and signed when the
 * remote has a key (RFC 8945). When the primary's serial is newer (RFC 1982), the zone is
 * transferred over TCP: AXFR (RFC 5936) when the store does not hold it yet, otherwise IXFR
 * (RFC 1995) from our serial.
 *
 * Applying never shows partial data:
 *   - AXFR: the records are written, as they arrive, to an unlinked temporary master file in
 *     the store's directory (in RFC 3597 generic form, so that every RDATA goes through
 *     unchanged), and only after the final SOA has arrived (and, with TSIG, the last message
 *     verified) does e2u_store_import replace the zone in one store transaction. Memory stays
 *     at one message whatever the zone's size.
 *   - IXFR: each difference sequence (old SOA, deletions, new SOA, additions) is held in memory
 *     until the SOA that ends it has arrived and every message carrying it is verified, then
 *     applied in one write transaction that first checks that the store's serial is the
 *     sequence's old one. A zone is therefore always at a version the primary published. A
 *     primary that answers IXFR with the whole zone (the second record is not an SOA, RFC 1995
 *     §4) is read as an AXFR; one that refuses IXFR, whose sequences do not chain from our
 *     serial, or whose change exceeds the memory limit below, is asked for AXFR instead.
 * A transfer that breaks (closed connection, malformed or foreign message, wrong ID, a TSIG
 * that does not verify, more octets than xfr-max-size, longer than xfr-timeout, nothing
 * received for IDLE_MS) is abandoned, the next primary is tried, and the store keeps what it
 * had. Limits: one message at a time (at most 65535 octets, RFC 1035 §4.2.2), the transfer's
 * octets (conf->xfr_max_bytes) and time (conf->xfr_timeout_ms), CHANGE_MAX_RRS records and
 * CHANGE_MAX_BYTES octets held for IXFR sequences not yet applied.
 *
 * TSIG over a transfer (RFC 8945 §5.3.1): the first message must be signed and verifies
 * against the query's MAC; later messages may go unsigned, at most 99 in a row, and each
 * signed one verifies an HMAC over the previous MAC, every message since, and its timers,
 * computed incrementally with libdnssec (so unsigned messages are not buffered); the last
 * message must be signed. Records of an unsigned message are applied only once a later
 * signed message has covered them.
 *
 * Expiry (RFC 1035 §3.3.13, RFC 1034 §4.3.5): a refresh succeeds when a primary answers the
 * SOA query with a serial that is not newer than ours, or a transfer completes. The zone is
 * served until EXPIRE seconds after the last success; after that e2ud_zone_expired() tells the
 * query path to answer SERVFAIL, until a refresh succeeds again. The time of the last success
 * is kept in the file "xfr-in.timers" of the store's directory, so that a restart does not
 * extend a zone's life.
 *
 * Every refresh logs its outcome: the serial from and to, IXFR or AXFR, records, time, or why
 * it failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libdnssec/binary.h>
#include <libdnssec/error.h>
#include <libdnssec/tsig.h>
#include <libknot/libknot.h>

#include "server.h"

#define SOA_TIMEOUT_MS 2000            /* one SOA query over UDP ... */
#define SOA_TRIES 2                    /* ... sent this many times */
#define CONNECT_TIMEOUT_MS 5000        /* a TCP connection to a primary */
#define IDLE_MS 20000                  /* a transfer that sends nothing for this long failed */
#define LONE_SOA_MS 3000               /* wait for more after an IXFR answer's lone new SOA */
#define SLICE_MS 200                   /* waits are cut in slices to notice a stop */
#define CHANGE_MAX_RRS 1000000         /* IXFR records held in memory, not yet applied */
#define CHANGE_MAX_BYTES (64u << 20)   /* ... and their octets */
#define UNSIGNED_MAX 99                /* RFC 8945 §5.3.1: at least every 100th is signed */
#define TIMER_MIN_S 1                  /* REFRESH and RETRY are clamped to this ... */
#define TIMER_MAX_S 86400              /* ... and this */
#define BOOT_RETRY_MIN_S 2             /* a zone never loaded: retry after 2, 4, 8 ... */
#define BOOT_RETRY_MAX_S 300           /* ... up to 300 s */
#define SOA_RDATA_MAX 600              /* two names of at most 255 octets and five numbers */
#define MAC_MAX 64                     /* HMAC-SHA512 */
#define MSG_MAX 65535
#define TIMERS_FILE "xfr-in.timers"

/* Outcomes of one step. */
enum {
    XR_OK = 0,
    XR_FAIL = -1,     /* this primary failed: try the next */
    XR_FALLBACK = -2, /* IXFR is not possible: ask the same primary for AXFR */
    XR_STOP = -3,     /* the server is stopping */
};

/* --- the zones ----------------------------------------------------------------------------- */

/* A secondary zone, guarded by S.lock. The thread also reads zc, origin and name without it:
 * only the thread itself changes them (reconfigure), and not while it refreshes. */
typedef struct szone {
    const e2ud_zone_conf_t *zc;        /* in S.cfg */
    uint8_t origin[KNOT_DNAME_MAXLEN]; /* wire, lower case */
    char name[KNOT_DNAME_TXT_MAXLEN + 1];
    _Atomic uint64_t expire_at_ms;     /* wall clock ms after which it is expired; 0 never */
    bool expired_logged;               /* the thread has logged the expiry */
    bool notified;                     /* a NOTIFY asked for a refresh now */
    uint64_t due_ms;                   /* next refresh, monotonic */
    uint64_t last_ok_ms;               /* last successful refresh, wall clock; 0 = unknown */
    uint32_t expire_s;                 /* EXPIRE of the zone's SOA; 0 = not loaded */
    unsigned boot_retry_s;             /* retry interval while the zone was never loaded */
} szone_t;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;               /* on CLOCK_MONOTONIC */
    pthread_t thread;
    bool running;
    atomic_bool stop;
    e2ud_server_t *srv;
    e2ud_cfg_t *cfg;                   /* held: the zones' configuration, remotes and keys */
    szone_t zones[E2UD_ZONES_CONF_MAX];
    size_t nzones;
    _Atomic uint64_t earliest;         /* the least expire_at_ms of all zones (0: none), read
                                        * by the query path without the lock */
} S = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t cond_once = PTHREAD_ONCE_INIT;

static void cond_init(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&S.cond, &a);
    pthread_condattr_destroy(&a);
}

static bool stopping(void)
{
    return atomic_load(&S.stop) || (S.srv && atomic_load(&S.srv->stop));
}

/* --- small helpers --------------------------------------------------------------------------- */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The same, a few ms coarse and a few ns cheap: for the query path. */
static uint64_t wall_ms_coarse(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RFC 1982 §3.2: whether serial a is newer than b. */
static bool serial_newer(uint32_t a, uint32_t b)
{
    return a != b && (uint32_t)(a - b) < 0x80000000u;
}

/* The five numbers at the end of SOA RDATA (RFC 1035 §3.3.13); len >= 22 checked by callers. */
static uint32_t soa_serial(const uint8_t *rd, size_t len) { return get32(rd + len - 20); }
static uint32_t soa_refresh(const uint8_t *rd, size_t len) { return get32(rd + len - 16); }
static uint32_t soa_retry(const uint8_t *rd, size_t len) { return get32(rd + len - 12); }
static uint32_t soa_expire(const uint8_t *rd, size_t len) { return get32(rd + len - 8); }

static uint32_t clamp_timer(uint32_t s)
{
    return s < TIMER_MIN_S ? TIMER_MIN_S : s > TIMER_MAX_S ? TIMER_MAX_S : s;
}

static uint16_t random_id(void)
{
    uint16_t id;
    if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
        id = (uint16_t)(mono_ms() * 2654435761u >> 7);
    return id;
}

/* --- the local copy ------------------------------------------------------------------------ */

/* What the store holds of a zone. */
typedef struct lzone {
    bool have;
    uint32_t serial;
    uint32_t soa_ttl;
    uint8_t soa[SOA_RDATA_MAX];
    uint16_t soa_len;
} lzone_t;

static void read_local(e2u_store_rd_t *rd, const szone_t *z, lzone_t *lz)
{
    memset(lz, 0, sizeof(*lz));
    if (e2u_store_read_renew(rd) < 0) {
        e2ud_log(LOG_ERR, "zone %s: cannot read the store", z->name);
        return;
    }
    const e2u_store_zone_t *sz;
    if (e2u_store_zone_get(rd, z->origin, &sz) == 0 && sz->soa_len >= 22 &&
        sz->soa_len <= sizeof(lz->soa)) {
        lz->have = true;
        lz->serial = sz->serial;
        lz->soa_ttl = sz->soa_ttl;
        memcpy(lz->soa, sz->soa, sz->soa_len);
        lz->soa_len = sz->soa_len;
    }
    e2u_store_read_reset(rd);
}

/* --- one exchange with a primary ----------------------------------------------------------- */

typedef struct xfr {
    szone_t *z;
    const e2ud_remote_t *rem;
    const e2ud_addr_t *addr;
    const knot_tsig_key_t *key; /* NULL: unsigned */
    uint8_t *msg;               /* MSG_MAX octets: the message being read */
    int fd;
    uint16_t id;                /* of the query */
    uint64_t deadline;          /* of the whole transfer, monotonic ms */
    unsigned idle_ms;           /* the longest silence between two octets */
    uint64_t bytes;             /* octets received */
    unsigned msgs;              /* messages received */
    /* TSIG state of the exchange (RFC 8945 §5.3.1) */
    uint8_t mac[MAC_MAX];       /* the query's MAC, then the last verified one */
    size_t mac_len;
    uint64_t prev_time;         /* time signed of the last verified message */
    bool verified_one;          /* the first message verified */
    unsigned unsigned_run;      /* unsigned messages since the last signed one */
    dnssec_tsig_ctx_t *h;       /* HMAC over them, started with the previous MAC */
    char err[320];
} xfr_t;

__attribute__((format(printf, 2, 3))) static int fail(xfr_t *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err, sizeof(x->err), fmt, ap);
    va_end(ap);
    return XR_FAIL;
}

__attribute__((format(printf, 2, 3))) static int fallback(xfr_t *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->err, sizeof(x->err), fmt, ap);
    va_end(ap);
    return XR_FALLBACK;
}

static void xfr_close(xfr_t *x)
{
    if (x->fd >= 0)
        close(x->fd);
    x->fd = -1;
    if (x->h)
        dnssec_tsig_free(x->h);
    x->h = NULL;
}

/* Wait until x->fd is ready for ev, until deadline (monotonic ms). */
static int wait_io(xfr_t *x, short ev, uint64_t deadline, const char *what)
{
    for (;;) {
        if (stopping()) {
            snprintf(x->err, sizeof(x->err), "the server is stopping");
            return XR_STOP;
        }
        uint64_t now = mono_ms();
        if (now >= deadline)
            return fail(x, "timed out %s", what);
        uint64_t left = deadline - now;
        struct pollfd p = {.fd = x->fd, .events = ev};
        int n = poll(&p, 1, left > SLICE_MS ? SLICE_MS : (int)left);
        if (n < 0 && errno != EINTR)
            return fail(x, "poll: %s", strerror(errno));
        if (n > 0)
            return XR_OK;
    }
}

static int tcp_open(xfr_t *x)
{
    x->fd = socket(x->addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (x->fd < 0)
        return fail(x, "socket: %s", strerror(errno));
    if (connect(x->fd, (const struct sockaddr *)&x->addr->ss, x->addr->len) == 0)
        return XR_OK;
    if (errno != EINPROGRESS)
        return fail(x, "connect: %s", strerror(errno));
    int rc = wait_io(x, POLLOUT, mono_ms() + CONNECT_TIMEOUT_MS, "connecting");
    if (rc)
        return rc;
    int err = 0;
    socklen_t el = sizeof(err);
    if (getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
        err = errno;
    return err ? fail(x, "connect: %s", strerror(err)) : XR_OK;
}

/* Send one message over TCP with its two-octet length (RFC 1035 §4.2.2). */
static int tcp_send(xfr_t *x, const uint8_t *wire, size_t len)
{
    uint8_t buf[2 + 2048];
    if (len > sizeof(buf) - 2)
        return fail(x, "query too long");
    buf[0] = (uint8_t)(len >> 8);
    buf[1] = (uint8_t)len;
    memcpy(buf + 2, wire, len);
    size_t off = 0, total = len + 2;
    uint64_t dl = mono_ms() + CONNECT_TIMEOUT_MS;
    while (off < total) {
        int rc = wait_io(x, POLLOUT, dl, "sending the query");
        if (rc)
            return rc;
        ssize_t n = send(x->fd, buf + off, total - off, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return fail(x, "send: %s", strerror(errno));
        if (n > 0)
            off += (size_t)n;
    }
    return XR_OK;
}

/* Read exactly n octets within the transfer's deadline, with progress at least every IDLE_MS. */
static int read_exact(xfr_t *x, uint8_t *buf, size_t n)
{
    size_t got = 0;
    uint64_t idle_until = mono_ms() + x->idle_ms;
    while (got < n) {
        bool total = x->deadline <= idle_until;
        int rc = wait_io(x, POLLIN, total ? x->deadline : idle_until,
                         total ? "(the transfer took longer than xfr-timeout)"
                               : "(nothing received for a while)");
        if (rc)
            return rc;
        ssize_t r = recv(x->fd, buf + got, n - got, 0);
        if (r == 0)
            return got || n != 2
                       ? fail(x, "the primary closed the connection in the middle of message %u",
                              x->msgs + 1)
                       : fail(x, "the primary closed the connection before the end");
        if (r < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            return fail(x, "receive: %s", strerror(errno));
        }
        got += (size_t)r;
        idle_until = mono_ms() + x->idle_ms;
    }
    return XR_OK;
}

/* Read one TCP message into x->msg. */
static int tcp_recv(xfr_t *x, size_t *len)
{
    uint8_t l[2];
    int rc = read_exact(x, l, 2);
    if (rc)
        return rc;
    size_t n = (size_t)l[0] << 8 | l[1];
    if (n < KNOT_WIRE_HEADER_SIZE)
        return fail(x, "a message of %zu octets", n);
    uint64_t max = S.cfg->conf.xfr_max_bytes;
    if (x->bytes + 2 + n > max)
        return fail(x, "the transfer exceeds xfr-max-size (%" PRIu64 " octets)", max);
    if ((rc = read_exact(x, x->msg, n)))
        return rc;
    x->bytes += 2 + n;
    x->msgs++;
    *len = n;
    return XR_OK;
}

/* --- TSIG ---------------------------------------------------------------------------------- */

static const char *tsig_rcode_name(uint16_t e)
{
    const knot_lookup_t *l = knot_lookup_by_id(knot_tsig_rcode_names, e);
    return l ? l->name : "?";
}

static int hmac_start(xfr_t *x)
{
    if (x->h)
        return XR_OK;
    if (dnssec_tsig_new(&x->h, x->key->algorithm, &x->key->secret) != DNSSEC_EOK)
        return fail(x, "TSIG: cannot start an HMAC");
    uint8_t l[2] = {(uint8_t)(x->mac_len >> 8), (uint8_t)x->mac_len};
    dnssec_binary_t b = {.data = l, .size = 2};
    dnssec_tsig_add(x->h, &b);
    b.data = x->mac;
    b.size = x->mac_len;
    dnssec_tsig_add(x->h, &b);
    return XR_OK;
}

/*
 * Verify the TSIG of a parsed message (its TSIG stripped from p->wire by knot_pkt_parse).
 * The first message of an answer must be signed; later ones may not be (see the top).
 */
static int tsig_check(xfr_t *x, knot_pkt_t *p)
{
    if (!x->key)
        return XR_OK;
    const knot_rrset_t *t = p->tsig_rr;
    if (!t) {
        if (!x->verified_one)
            return fail(x, "TSIG: the answer is not signed");
        if (++x->unsigned_run > UNSIGNED_MAX)
            return fail(x, "TSIG: more than %d unsigned messages in a row", UNSIGNED_MAX);
        int rc = hmac_start(x);
        if (rc)
            return rc;
        dnssec_binary_t b = {.data = p->wire, .size = p->size};
        dnssec_tsig_add(x->h, &b);
        return XR_OK;
    }
    if (knot_tsig_rdata_error(t))
        return fail(x, "TSIG error %s from the primary", tsig_rcode_name(knot_tsig_rdata_error(t)));
    if (!knot_dname_is_case_equal(t->owner, x->key->name) ||
        knot_tsig_rdata_alg(t) != x->key->algorithm)
        return fail(x, "TSIG: the answer is signed with another key");
    size_t ml = knot_tsig_rdata_mac_length(t);
    if (ml == 0 || ml > MAC_MAX)
        return fail(x, "TSIG: a MAC of %zu octets", ml);
    uint64_t ts = knot_tsig_rdata_time_signed(t);
    if (!x->verified_one) {
        int rc = knot_tsig_client_check(t, p->wire, p->size, x->mac, x->mac_len, x->key, 0);
        if (rc != KNOT_EOK)
            return fail(x, "TSIG: the answer does not verify (%s)", knot_strerror(rc));
    } else {
        int rc = hmac_start(x);
        if (rc)
            return rc;
        /* the message as signed: the original ID (RFC 8945 §4.3.1), without its TSIG */
        uint16_t id = knot_wire_get_id(p->wire);
        knot_wire_set_id(p->wire, knot_tsig_rdata_orig_id(t));
        dnssec_binary_t b = {.data = p->wire, .size = p->size};
        dnssec_tsig_add(x->h, &b);
        knot_wire_set_id(p->wire, id);
        uint8_t timers[8]; /* time signed (48 bits) and fudge, §4.3.3 */
        for (int i = 0; i < 6; i++)
            timers[i] = (uint8_t)(ts >> (40 - 8 * i));
        timers[6] = (uint8_t)(knot_tsig_rdata_fudge(t) >> 8);
        timers[7] = (uint8_t)knot_tsig_rdata_fudge(t);
        b.data = timers;
        b.size = sizeof(timers);
        dnssec_tsig_add(x->h, &b);
        uint8_t mac[MAC_MAX];
        size_t hl = dnssec_tsig_size(x->h);
        if (hl != ml || hl > sizeof(mac))
            return fail(x, "TSIG: a MAC of %zu octets, expected %zu", ml, hl);
        dnssec_tsig_write(x->h, mac);
        dnssec_tsig_free(x->h);
        x->h = NULL;
        const uint8_t *got = knot_tsig_rdata_mac(t);
        uint8_t diff = 0;
        for (size_t i = 0; i < ml; i++)
            diff |= (uint8_t)(mac[i] ^ got[i]);
        if (diff)
            return fail(x, "TSIG: message %u does not verify (BADSIG)", x->msgs);
        int64_t now = (int64_t)time(NULL);
        int64_t d = now - (int64_t)ts;
        if (d > (int64_t)knot_tsig_rdata_fudge(t) || -d > (int64_t)knot_tsig_rdata_fudge(t) ||
            ts < x->prev_time)
            return fail(x, "TSIG: message %u is signed at a bad time (BADTIME)", x->msgs);
    }
    memcpy(x->mac, knot_tsig_rdata_mac(t), ml);
    x->mac_len = ml;
    x->prev_time = ts;
    x->verified_one = true;
    x->unsigned_run = 0;
    return XR_OK;
}

/* --- queries ------------------------------------------------------------------------------- */

/* Build a query for the zone (SOA, AXFR, or IXFR with our SOA in authority, RFC 1995 §3) into
 * buf[cap], signed when the remote has a key. */
static int build_query(xfr_t *x, uint16_t qtype, const lzone_t *lz, uint8_t *buf, size_t cap,
                       size_t *len)
{
    memset(buf, 0, KNOT_WIRE_HEADER_SIZE);
    knot_pkt_t *p = knot_pkt_new(buf, (uint16_t)cap, NULL);
    if (!p)
        return fail(x, "out of memory");
    knot_pkt_clear(p); /* a query to build, not a message to parse */
    x->id = random_id();
    knot_wire_set_id(p->wire, x->id);
    int rc = knot_pkt_put_question(p, x->z->origin, KNOT_CLASS_IN, qtype);
    if (rc == KNOT_EOK && qtype == KNOT_RRTYPE_IXFR) {
        uint8_t rdb[sizeof(lz->soa) + 8];
        knot_rrset_t rr;
        knot_rrset_init(&rr, x->z->origin, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, lz->soa_ttl);
        knot_rdata_init((knot_rdata_t *)rdb, lz->soa_len, lz->soa);
        rr.rrs.count = 1;
        rr.rrs.size = (uint32_t)knot_rdata_size(lz->soa_len);
        rr.rrs.rdata = (knot_rdata_t *)rdb;
        knot_pkt_begin(p, KNOT_AUTHORITY);
        rc = knot_pkt_put(p, KNOT_COMPR_HINT_NONE, &rr, 0);
    }
    *len = p->size;
    knot_pkt_free(p);
    if (rc != KNOT_EOK)
        return fail(x, "cannot build the query: %s", knot_strerror(rc));
    x->mac_len = 0;
    x->prev_time = 0;
    x->verified_one = false;
    x->unsigned_run = 0;
    if (x->h)
        dnssec_tsig_free(x->h);
    x->h = NULL;
    if (x->key) {
        size_t dl = sizeof(x->mac);
        rc = knot_tsig_sign(buf, len, cap, NULL, 0, x->mac, &dl, x->key, 0, 0);
        if (rc != KNOT_EOK)
            return fail(x, "cannot sign the query: %s", knot_strerror(rc));
        x->mac_len = dl;
    }
    return XR_OK;
}

/* Checks of every message of an answer: ID, QR, opcode, the question (required in the first
 * message, optional later, RFC 5936 §2.2.1), rcode and TSIG. For the first message of an IXFR
 * a refusal asks for AXFR. */
static int check_msg(xfr_t *x, knot_pkt_t *p, uint16_t qtype, bool first)
{
    const uint8_t *w = p->wire;
    if (knot_wire_get_id(w) != x->id)
        return fail(x, "message %u has the wrong ID %u (expected %u)", x->msgs,
                    knot_wire_get_id(w), x->id);
    if (!knot_wire_get_qr(w) || knot_wire_get_opcode(w) != KNOT_OPCODE_QUERY)
        return fail(x, "message %u is not an answer to a query", x->msgs);
    uint16_t qd = knot_wire_get_qdcount(w);
    if (first ? qd != 1 : qd > 1)
        return fail(x, "message %u has %u questions", x->msgs, qd);
    if (qd == 1 && (!knot_dname_is_case_equal(knot_pkt_qname(p), x->z->origin) ||
                    knot_pkt_qtype(p) != qtype || knot_pkt_qclass(p) != KNOT_CLASS_IN))
        return fail(x, "message %u answers another question", x->msgs);
    uint8_t rcode = knot_wire_get_rcode(w);
    if (rcode != KNOT_RCODE_NOERROR) {
        const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, rcode);
        char tsig[64] = "";
        if (p->tsig_rr && knot_tsig_rdata_error(p->tsig_rr))
            snprintf(tsig, sizeof(tsig), ", TSIG error %s",
                     tsig_rcode_name(knot_tsig_rdata_error(p->tsig_rr)));
        if (first && qtype == KNOT_RRTYPE_IXFR && rcode != KNOT_RCODE_NOTAUTH)
            return fallback(x, "the primary answered IXFR with %s", l ? l->name : "?");
        return fail(x, "the primary answered %s%s", l ? l->name : "?", tsig);
    }
    return tsig_check(x, p);
}

/* The serial of the zone's SOA in an answer to our SOA query. */
static int soa_answer(xfr_t *x, knot_pkt_t *p, uint32_t *serial)
{
    int rc = check_msg(x, p, KNOT_RRTYPE_SOA, true);
    if (rc)
        return rc == XR_FALLBACK ? XR_FAIL : rc;
    if (!knot_wire_get_aa(p->wire))
        return fail(x, "the primary is not authoritative for the zone");
    const knot_pktsection_t *an = knot_pkt_section(p, KNOT_ANSWER);
    for (uint16_t i = 0; i < an->count; i++) {
        const knot_rrset_t *rr = knot_pkt_rr(an, i);
        if (rr->type == KNOT_RRTYPE_SOA && rr->rrs.count >= 1 &&
            knot_dname_is_case_equal(rr->owner, x->z->origin) && rr->rrs.rdata->len >= 22) {
            *serial = soa_serial(rr->rrs.rdata->data, rr->rrs.rdata->len);
            return XR_OK;
        }
    }
    return fail(x, "the answer has no SOA for the zone");
}

/* Ask the primary for the zone's SOA: UDP, then TCP when truncated (RFC 1035 §4.2). */
static int soa_query(xfr_t *x, const lzone_t *lz, uint32_t *serial)
{
    uint8_t q[1024];
    size_t qlen = 0;
    int rc = build_query(x, KNOT_RRTYPE_SOA, lz, q, sizeof(q), &qlen);
    if (rc)
        return rc;
    x->fd = socket(x->addr->ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (x->fd < 0)
        return fail(x, "socket: %s", strerror(errno));
    if (connect(x->fd, (const struct sockaddr *)&x->addr->ss, x->addr->len) < 0)
        return fail(x, "connect: %s", strerror(errno));
    const char *problem = "no answer";
    bool tc = false;
    for (int t = 0; t < SOA_TRIES && !tc; t++) {
        if (send(x->fd, q, qlen, 0) < 0 && errno != ECONNREFUSED)
            return fail(x, "send: %s", strerror(errno));
        uint64_t dl = mono_ms() + SOA_TIMEOUT_MS;
        for (;;) {
            rc = wait_io(x, POLLIN, dl, "");
            if (rc == XR_STOP)
                return rc;
            if (rc)
                break; /* timed out: send again */
            ssize_t n = recv(x->fd, x->msg, MSG_MAX, 0);
            if (n < 0) {
                if (errno != ECONNREFUSED)
                    continue;
                /* ICMP port unreachable: nobody listens there; try again at once */
                problem = "connection refused";
                break;
            }
            /* anything that is not our answer is ignored: a spoofer must not end the wait */
            if ((size_t)n < KNOT_WIRE_HEADER_SIZE || knot_wire_get_id(x->msg) != x->id ||
                !knot_wire_get_qr(x->msg)) {
                problem = (size_t)n >= KNOT_WIRE_HEADER_SIZE && knot_wire_get_qr(x->msg)
                              ? "answers with a wrong ID"
                              : "messages that are not answers";
                continue;
            }
            if (knot_wire_get_tc(x->msg)) {
                tc = true;
                break;
            }
            x->bytes += (size_t)n;
            x->msgs++;
            knot_pkt_t *p = knot_pkt_new(x->msg, (uint16_t)n, NULL);
            if (!p)
                return fail(x, "out of memory");
            if (knot_pkt_parse(p, 0) != KNOT_EOK) {
                knot_pkt_free(p);
                problem = "malformed answers";
                continue;
            }
            rc = soa_answer(x, p, serial);
            knot_pkt_free(p);
            return rc;
        }
    }
    close(x->fd);
    x->fd = -1;
    if (!tc && strcmp(problem, "connection refused") == 0)
        return fail(x, "SOA query over UDP: connection refused");
    if (!tc)
        return fail(x, "SOA query over UDP: %s within %d ms", problem,
                    SOA_TRIES * SOA_TIMEOUT_MS);
    /* truncated: the same question over TCP */
    if ((rc = build_query(x, KNOT_RRTYPE_SOA, lz, q, sizeof(q), &qlen)) ||
        (rc = tcp_open(x)) || (rc = tcp_send(x, q, qlen)))
        return rc;
    x->deadline = mono_ms() + 2 * SOA_TIMEOUT_MS;
    size_t n;
    if ((rc = tcp_recv(x, &n)))
        return rc;
    knot_pkt_t *p = knot_pkt_new(x->msg, (uint16_t)n, NULL);
    if (!p)
        return fail(x, "out of memory");
    rc = knot_pkt_parse(p, 0);
    rc = rc != KNOT_EOK ? fail(x, "malformed answer: %s", knot_strerror(rc))
                        : soa_answer(x, p, serial);
    knot_pkt_free(p);
    xfr_close(x);
    return rc;
}

/* --- receiving a transfer ------------------------------------------------------------------ */

enum { RX_START, RX_SECOND, RX_AXFR, RX_DEL, RX_ADD, RX_DONE };

/* One IXFR difference sequence held in the arena: ndel deletions, then nadd additions of
 * which the first is the new SOA. */
typedef struct seq {
    size_t off;
    size_t ndel, nadd;
    uint32_t from, to;
    bool complete;
} seq_t;

typedef struct rx {
    int state;
    bool ixfr;                  /* the query was IXFR */
    bool axfr_style;            /* ... answered with the whole zone */
    uint32_t ours;              /* IXFR: the serial we asked from */
    uint32_t serial;            /* the primary's, from the first SOA */
    uint8_t soa1[SOA_RDATA_MAX];/* the first SOA */
    uint16_t soa1_len;
    uint32_t soa1_ttl;
    uint64_t rrs;               /* records received */
    uint64_t skipped;           /* out-of-zone records ignored */
    /* AXFR: the temporary master file */
    int fd;
    FILE *f;
    /* IXFR: the sequences not applied yet */
    uint8_t *arena;
    size_t used, cap, held;     /* octets used and allocated; records held */
    seq_t *seqs;
    size_t nseq, seqcap;
    unsigned applied;           /* sequences applied */
    uint64_t applied_rrs;
    uint32_t at;                /* the serial the last one applied reached */
    bool up_to_date;            /* IXFR answered with our serial */
} rx_t;

static void rx_free(rx_t *r)
{
    if (r->f)
        fclose(r->f);
    else if (r->fd >= 0)
        close(r->fd);
    r->f = NULL;
    r->fd = -1;
    free(r->arena);
    free(r->seqs);
    r->arena = NULL;
    r->seqs = NULL;
}

static int sink_open(xfr_t *x, rx_t *r)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/.xfr-in-XXXXXX", e2u_store_path(S.srv->store));
    if (n < 0 || (size_t)n >= sizeof(path))
        return fail(x, "the store's path is too long");
    r->fd = mkostemp(path, O_CLOEXEC);
    if (r->fd < 0)
        return fail(x, "cannot create a temporary file in %s: %s", e2u_store_path(S.srv->store),
                    strerror(errno));
    unlink(path); /* gone with the descriptor, whatever happens */
    r->f = fdopen(r->fd, "w+");
    if (!r->f)
        return fail(x, "fdopen: %s", strerror(errno));
    setvbuf(r->f, NULL, _IOFBF, 1 << 16);
    return XR_OK;
}

/* One record as a master-file line, its RDATA in RFC 3597 §5 generic form. */
static int sink_rr(xfr_t *x, rx_t *r, const uint8_t *owner, uint16_t type, uint32_t ttl,
                   const uint8_t *rd, uint16_t rdlen)
{
    char name[KNOT_DNAME_TXT_MAXLEN + 1];
    if (!knot_dname_to_str(name, owner, sizeof(name)))
        return fail(x, "a record with an unprintable owner");
    fprintf(r->f, "%s %" PRIu32 " IN TYPE%u \\# %u ", name, ttl, type, rdlen);
    static const char hex[] = "0123456789abcdef";
    char buf[4096];
    size_t o = 0;
    for (size_t i = 0; i < rdlen; i++) {
        buf[o++] = hex[rd[i] >> 4];
        buf[o++] = hex[rd[i] & 15];
        if (o == sizeof(buf)) {
            fwrite(buf, 1, o, r->f);
            o = 0;
        }
    }
    if (rdlen == 0)
        buf[o++] = ' ';
    fwrite(buf, 1, o, r->f);
    fputc('\n', r->f);
    if (ferror(r->f))
        return fail(x, "cannot write the temporary zone file: %s", strerror(errno));
    return XR_OK;
}

/* Append one record to the IXFR arena. */
static int arena_put(xfr_t *x, rx_t *r, const uint8_t *owner, uint16_t type, uint32_t ttl,
                     const uint8_t *rd, uint16_t rdlen)
{
    size_t ol = knot_dname_size(owner);
    size_t need = 2 + ol + 2 + 4 + 2 + rdlen;
    if (r->held + 1 > CHANGE_MAX_RRS || r->used + need > CHANGE_MAX_BYTES)
        return fallback(x, "an IXFR change holds more than %u records or %u MiB",
                        CHANGE_MAX_RRS, CHANGE_MAX_BYTES >> 20);
    if (r->used + need > r->cap) {
        size_t nc = r->cap ? r->cap : 1 << 16;
        while (nc < r->used + need)
            nc *= 2;
        if (nc > CHANGE_MAX_BYTES)
            nc = CHANGE_MAX_BYTES;
        uint8_t *na = realloc(r->arena, nc);
        if (!na)
            return fail(x, "out of memory");
        r->arena = na;
        r->cap = nc;
    }
    uint8_t *p = r->arena + r->used;
    uint16_t ol16 = (uint16_t)ol;
    memcpy(p, &ol16, 2);
    memcpy(p + 2, owner, ol);
    p += 2 + ol;
    memcpy(p, &type, 2);
    memcpy(p + 2, &ttl, 4);
    memcpy(p + 6, &rdlen, 2);
    memcpy(p + 8, rd, rdlen);
    r->used += need;
    r->held++;
    return XR_OK;
}

typedef struct arr {
    const uint8_t *owner;
    uint16_t type;
    uint32_t ttl;
    const uint8_t *rd;
    uint16_t rdlen;
} arr_t;

static size_t arena_get(const uint8_t *p, arr_t *a)
{
    uint16_t ol;
    memcpy(&ol, p, 2);
    a->owner = p + 2;
    p += 2 + ol;
    memcpy(&a->type, p, 2);
    memcpy(&a->ttl, p + 2, 4);
    memcpy(&a->rdlen, p + 6, 2);
    a->rd = p + 8;
    return 2 + (size_t)ol + 8 + a->rdlen;
}

static int seq_start(xfr_t *x, rx_t *r, uint32_t from)
{
    if (r->nseq == r->seqcap) {
        size_t nc = r->seqcap ? r->seqcap * 2 : 8;
        seq_t *ns = realloc(r->seqs, nc * sizeof(*ns));
        if (!ns)
            return fail(x, "out of memory");
        r->seqs = ns;
        r->seqcap = nc;
    }
    r->seqs[r->nseq++] = (seq_t){.off = r->used, .from = from};
    r->state = RX_DEL;
    return XR_OK;
}

/* Apply one complete sequence in one write transaction (RFC 1995 §4: deletions, then
 * additions). The store must be at the sequence's old serial. */
static int seq_apply(xfr_t *x, rx_t *r, const seq_t *s)
{
    e2u_store_txn_t *w;
    e2u_diag_t d = {0};
    int rc = e2u_store_write_begin(S.srv->store, &w);
    if (rc < 0)
        return fail(x, "cannot write the store: %s", e2u_strerror(rc));
    uint8_t buf[1024];
    e2u_store_rrset_t cur;
    rc = e2u_store_txn_get(w, x->z->origin, KNOT_RRTYPE_SOA, buf, sizeof(buf), &cur);
    size_t pos = 0;
    const uint8_t *rd;
    uint16_t rdl;
    if (rc < 0 || !e2u_store_rdata_next(&cur, &pos, &rd, &rdl) || rdl < 22) {
        e2u_store_write_abort(w);
        return fallback(x, "the zone's SOA is gone from the store");
    }
    uint32_t at = soa_serial(rd, rdl);
    if (at != s->from) {
        e2u_store_write_abort(w);
        return fallback(x, "a difference sequence starts at serial %" PRIu32
                           ", the zone is at %" PRIu32, s->from, at);
    }
    const uint8_t *p = r->arena + s->off;
    for (size_t i = 0; rc == 0 && i < s->ndel + s->nadd; i++) {
        arr_t a;
        p += arena_get(p, &a);
        bool del = i < s->ndel;
        if (a.type == KNOT_RRTYPE_SOA && knot_dname_is_case_equal(a.owner, x->z->origin)) {
            if (!del) {
                e2u_rdata_t one = {.data = a.rd, .len = a.rdlen};
                rc = e2u_store_put_rrset(w, a.owner, a.type, a.ttl, &one, 1, &d);
            }
        } else if (del) {
            rc = e2u_store_del_rr(w, a.owner, a.type, a.rd, a.rdlen, &d);
        } else {
            rc = e2u_store_add_rr(w, a.owner, a.type, a.ttl, a.rd, a.rdlen, &d);
        }
    }
    if (rc < 0) {
        e2u_store_write_abort(w);
        return fallback(x, "the store refused a change of sequence %" PRIu32 " -> %" PRIu32
                           ": %s", s->from, s->to, d.msg[0] ? d.msg : e2u_strerror(rc));
    }
    if ((rc = e2u_store_write_commit(w, &d)) < 0)
        return fail(x, "the store cannot commit: %s", d.msg[0] ? d.msg : e2u_strerror(rc));
    r->applied++;
    r->applied_rrs += s->ndel + s->nadd;
    r->at = s->to;
    return XR_OK;
}

/* Apply the complete sequences held, then keep only the incomplete one. */
static int seqs_apply(xfr_t *x, rx_t *r)
{
    size_t i = 0;
    for (; i < r->nseq && r->seqs[i].complete; i++) {
        if (stopping()) {
            snprintf(x->err, sizeof(x->err), "the server is stopping");
            return XR_STOP;
        }
        int rc = seq_apply(x, r, &r->seqs[i]);
        if (rc)
            return rc;
    }
    if (i == 0)
        return XR_OK;
    size_t keep_off = i < r->nseq ? r->seqs[i].off : r->used;
    memmove(r->arena, r->arena + keep_off, r->used - keep_off);
    r->used -= keep_off;
    r->held = 0;
    memmove(r->seqs, r->seqs + i, (r->nseq - i) * sizeof(*r->seqs));
    r->nseq -= i;
    for (size_t k = 0; k < r->nseq; k++) {
        r->seqs[k].off -= keep_off;
        r->held += r->seqs[k].ndel + r->seqs[k].nadd;
    }
    return XR_OK;
}

/* One record of the answer, through the states of RFC 5936 §2.2 and RFC 1995 §4. */
static int rx_rr(xfr_t *x, rx_t *r, const knot_rrset_t *rr, const knot_rdata_t *rd)
{
    if (rr->rclass != KNOT_CLASS_IN)
        return fail(x, "a record of class %u", rr->rclass);
    if (knot_dname_in_bailiwick(rr->owner, x->z->origin) < 0) {
        r->skipped++; /* out of the zone: ignored, as Knot and BIND do */
        return XR_OK;
    }
    bool soa = rr->type == KNOT_RRTYPE_SOA && knot_dname_is_case_equal(rr->owner, x->z->origin);
    if (soa && (rd->len < 22 || rd->len > SOA_RDATA_MAX))
        return fail(x, "a malformed SOA record");
    uint32_t serial = soa ? soa_serial(rd->data, rd->len) : 0;
    r->rrs++;
    switch (r->state) {
    case RX_START:
        if (!soa)
            return fail(x, "the transfer does not begin with the zone's SOA");
        memcpy(r->soa1, rd->data, rd->len);
        r->soa1_len = rd->len;
        r->soa1_ttl = rr->ttl;
        r->serial = serial;
        if (!r->ixfr) {
            int rc = sink_open(x, r);
            r->state = RX_AXFR;
            return rc ? rc : sink_rr(x, r, x->z->origin, KNOT_RRTYPE_SOA, rr->ttl, rd->data, rd->len);
        }
        r->state = RX_SECOND;
        return XR_OK;
    case RX_SECOND:
        if (soa) {
            if (serial != r->ours)
                return fallback(x, "the IXFR starts at serial %" PRIu32 ", ours is %" PRIu32,
                                serial, r->ours);
            return seq_start(x, r, serial);
        } else {
            /* the whole zone in answer to IXFR (RFC 1995 §4) */
            r->axfr_style = true;
            int rc = sink_open(x, r);
            if (!rc)
                rc = sink_rr(x, r, x->z->origin, KNOT_RRTYPE_SOA, r->soa1_ttl, r->soa1,
                             r->soa1_len);
            r->state = RX_AXFR;
            return rc ? rc : sink_rr(x, r, rr->owner, rr->type, rr->ttl, rd->data, rd->len);
        }
    case RX_AXFR:
        if (soa) {
            if (serial != r->serial)
                return fail(x, "the final SOA has serial %" PRIu32 ", the first %" PRIu32, serial,
                            r->serial);
            r->state = RX_DONE;
            return XR_OK;
        }
        return sink_rr(x, r, rr->owner, rr->type, rr->ttl, rd->data, rd->len);
    case RX_DEL: {
        seq_t *s = &r->seqs[r->nseq - 1];
        if (soa) {
            if (!serial_newer(serial, s->from))
                return fallback(x, "a difference sequence goes from serial %" PRIu32
                                   " back to %" PRIu32, s->from, serial);
            if (serial_newer(serial, r->serial))
                return fallback(x, "a difference sequence goes past the primary's serial %" PRIu32,
                                r->serial);
            s->to = serial;
            r->state = RX_ADD;
            s->nadd++;
        } else {
            s->ndel++;
        }
        return arena_put(x, r, rr->owner, rr->type, rr->ttl, rd->data, rd->len);
    }
    case RX_ADD: {
        seq_t *s = &r->seqs[r->nseq - 1];
        if (!soa) {
            s->nadd++;
            return arena_put(x, r, rr->owner, rr->type, rr->ttl, rd->data, rd->len);
        }
        s->complete = true;
        if (s->to == r->serial && serial == r->serial) {
            r->state = RX_DONE;
            return XR_OK;
        }
        if (serial != s->to)
            return fallback(x, "a difference sequence starts at serial %" PRIu32
                               " where the previous one ended at %" PRIu32, serial, s->to);
        return seq_start(x, r, serial);
    }
    default:
        return fail(x, "records after the final SOA");
    }
}

/* Import the temporary master file over the zone, in one store transaction. */
static int import_bad_logged;

static void on_bad(void *arg, const char *file, uint64_t line, const char *reason)
{
    (void)file;
    const xfr_t *x = arg;
    if (import_bad_logged++ < 5)
        e2ud_log(LOG_WARNING, "zone %s: record %" PRIu64 " of the transfer: %s", x->z->name, line,
                 reason);
}

static int on_written(void *arg)
{
    (void)arg;
    return stopping() ? E2U_EBUSY : 0;
}

static int axfr_apply(xfr_t *x, rx_t *r, e2u_store_import_stats_t *st)
{
    if (fflush(r->f) != 0 || ferror(r->f))
        return fail(x, "cannot write the temporary zone file: %s", strerror(errno));
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", r->fd);
    e2u_store_import_opts_t o = {
        .format = E2U_STORE_FORMAT_ZONE,
        .zone = x->z->name,
        .on_bad = on_bad,
        .arg = x,
        .on_written = on_written,
    };
    e2u_diag_t d = {0};
    import_bad_logged = 0;
    int rc = e2u_store_import(S.srv->store, path, &o, st, &d);
    if (rc == E2U_EBUSY && stopping()) {
        snprintf(x->err, sizeof(x->err), "the server is stopping");
        return XR_STOP;
    }
    if (rc < 0)
        return fail(x, "the store refused the zone: %s", d.msg[0] ? d.msg : e2u_strerror(rc));
    return XR_OK;
}

/* Run one transfer (AXFR, or IXFR from lz) from x's primary into the store. */
static int transfer(xfr_t *x, uint16_t qtype, const lzone_t *lz, rx_t *r)
{
    memset(r, 0, sizeof(*r));
    r->fd = -1;
    r->ixfr = qtype == KNOT_RRTYPE_IXFR;
    r->ours = lz->serial;
    uint8_t q[1024];
    size_t qlen = 0;
    int rc;
    x->deadline = mono_ms() + S.cfg->conf.xfr_timeout_ms;
    x->bytes = 0;
    x->msgs = 0;
    x->idle_ms = IDLE_MS;
    if ((rc = build_query(x, qtype, lz, q, sizeof(q), &qlen)) || (rc = tcp_open(x)) ||
        (rc = tcp_send(x, q, qlen)))
        return rc;
    bool lone_soa = false;
    for (bool first = true;; first = false) {
        size_t n;
        if ((rc = tcp_recv(x, &n))) {
            if (lone_soa && rc == XR_FAIL)
                return fallback(x, "the primary answered IXFR with its SOA alone");
            return rc;
        }
        lone_soa = false;
        x->idle_ms = IDLE_MS;
        knot_pkt_t *p = knot_pkt_new(x->msg, (uint16_t)n, NULL);
        if (!p)
            return fail(x, "out of memory");
        int prc = knot_pkt_parse(p, 0);
        if (prc != KNOT_EOK) {
            knot_pkt_free(p);
            return fail(x, "message %u is malformed: %s", x->msgs, knot_strerror(prc));
        }
        rc = check_msg(x, p, qtype, first);
        const knot_pktsection_t *an = knot_pkt_section(p, KNOT_ANSWER);
        if (!rc && an->count == 0)
            rc = fail(x, "message %u has no records", x->msgs);
        for (uint16_t i = 0; !rc && i < an->count; i++) {
            const knot_rrset_t *rr = knot_pkt_rr(an, i);
            const knot_rdata_t *rd = rr->rrs.rdata;
            for (uint16_t k = 0; !rc && k < rr->rrs.count; k++, rd = knot_rdataset_next((knot_rdata_t *)rd))
                rc = rx_rr(x, r, rr, rd);
        }
        knot_pkt_free(p);
        if (rc)
            return rc;
        bool covered = !x->key || x->unsigned_run == 0; /* everything so far is verified */
        if (first && r->state == RX_SECOND) {
            /* IXFR answered with one SOA: we are current (RFC 1995 §4). A newer SOA alone
             * may be the first message of a longer answer (the next record tells an
             * AXFR-style answer from difference sequences), or all a primary that cannot
             * send differences has to say: wait a little for more, then try AXFR. */
            if (!serial_newer(r->serial, r->ours)) {
                r->up_to_date = true;
                r->state = RX_DONE;
            } else {
                lone_soa = true;
                x->idle_ms = LONE_SOA_MS;
            }
        }
        if (r->ixfr && !r->axfr_style && covered && (rc = seqs_apply(x, r)))
            return rc;
        if (r->state == RX_DONE) {
            if (!covered)
                return fail(x, "TSIG: the last message is not signed");
            break;
        }
        if (stopping()) {
            snprintf(x->err, sizeof(x->err), "the server is stopping");
            return XR_STOP;
        }
    }
    xfr_close(x);
    return XR_OK;
}

/* --- refresh ------------------------------------------------------------------------------- */

static void addr_of(const struct sockaddr_storage *ss, char *buf, size_t len)
{
    const void *a = ss->ss_family == AF_INET6
                        ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
                        : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;
    if (!inet_ntop(ss->ss_family, a, buf, (socklen_t)len))
        snprintf(buf, len, "?");
}

/* Write the times of the last successful refreshes (wall clock ms) for a restart. */
static void timers_save(void)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/%s", e2u_store_path(S.srv->store), TIMERS_FILE);
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        e2ud_log(LOG_WARNING, "cannot write %s: %s", tmp, strerror(errno));
        return;
    }
    pthread_mutex_lock(&S.lock);
    for (size_t i = 0; i < S.nzones; i++) {
        if (S.zones[i].last_ok_ms)
            fprintf(f, "%s %" PRIu64 "\n", S.zones[i].name, S.zones[i].last_ok_ms);
    }
    pthread_mutex_unlock(&S.lock);
    bool ok = fflush(f) == 0 && !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) < 0) {
        e2ud_log(LOG_WARNING, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
}

/* The times of zones that have none yet (at start, or added by a reload). Under S.lock. */
static void timers_load(void)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", e2u_store_path(S.srv->store), TIMERS_FILE);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[KNOT_DNAME_TXT_MAXLEN + 64];
    while (fgets(line, sizeof(line), f)) {
        char *sp = strrchr(line, ' ');
        if (!sp)
            continue;
        *sp = '\0';
        uint64_t t = strtoull(sp + 1, NULL, 10);
        for (size_t i = 0; i < S.nzones; i++) {
            if (S.zones[i].last_ok_ms == 0 && strcmp(S.zones[i].name, line) == 0)
                S.zones[i].last_ok_ms = t;
        }
    }
    fclose(f);
}

/* Set when the zone expires (wall clock ms, 0 = never) and the earliest of all. Under S.lock. */
static void set_expiry(szone_t *z, uint64_t at)
{
    atomic_store(&z->expire_at_ms, at);
    uint64_t e = 0;
    for (size_t i = 0; i < S.nzones; i++) {
        uint64_t a = atomic_load(&S.zones[i].expire_at_ms);
        if (a && (!e || a < e))
            e = a;
    }
    atomic_store(&S.earliest, e);
}

/* Refresh from one address of a primary: the SOA query, then IXFR or AXFR when its serial is
 * newer. Returns true when the zone is current afterwards; otherwise last_err says why. */
static bool refresh_from(xfr_t *x, e2u_store_rd_t *rd, const char *who, char *last_err,
                         size_t elen)
{
    szone_t *z = x->z;
    lzone_t lz;
    read_local(rd, z, &lz);
    uint64_t t0 = mono_ms();
    uint32_t theirs = 0;
    int rc = soa_query(x, &lz, &theirs);
    xfr_close(x);
    if (rc) {
        if (rc != XR_STOP)
            e2ud_log(LOG_WARNING, "zone %s: SOA query to %s failed: %s", z->name, who, x->err);
        snprintf(last_err, elen, "SOA query to %s: %s", who, x->err);
        return false;
    }
    if (lz.have && !serial_newer(theirs, lz.serial)) {
        if (theirs == lz.serial)
            e2ud_log(LOG_INFO, "zone %s: refresh from %s: serial %" PRIu32 " is current",
                     z->name, who, lz.serial);
        else
            e2ud_log(LOG_NOTICE,
                     "zone %s: refresh from %s: the primary's serial %" PRIu32
                     " is older than ours (%" PRIu32 "), keeping ours",
                     z->name, who, theirs, lz.serial);
        return true;
    }
    rx_t r;
    const char *how = "AXFR";
    rc = XR_FALLBACK;
    if (lz.have) {
        rc = transfer(x, KNOT_RRTYPE_IXFR, &lz, &r);
        xfr_close(x);
        if (r.applied)
            e2ud_log(rc ? LOG_WARNING : LOG_INFO,
                     "zone %s: IXFR from %s: serial %" PRIu32 " -> %" PRIu32 ", %u changes, %" PRIu64
                     " records, %" PRIu64 " octets, %" PRIu64 " ms%s%s",
                     z->name, who, lz.serial, r.at, r.applied, r.applied_rrs, x->bytes,
                     mono_ms() - t0, rc ? "; then: " : "", rc ? x->err : "");
        if (rc == XR_OK && r.up_to_date) {
            e2ud_log(LOG_INFO, "zone %s: IXFR from %s: serial %" PRIu32 " is current", z->name,
                     who, lz.serial);
            rx_free(&r);
            return true;
        }
        if (rc == XR_OK && !r.axfr_style) {
            if (r.skipped)
                e2ud_log(LOG_NOTICE, "zone %s: %" PRIu64 " records out of the zone ignored",
                         z->name, r.skipped);
            rx_free(&r);
            return true;
        }
        if (rc == XR_OK) {
            how = "AXFR-style IXFR";
        } else if (rc == XR_FALLBACK) {
            e2ud_log(LOG_NOTICE, "zone %s: IXFR from %s: %s; trying AXFR", z->name, who, x->err);
            rx_free(&r);
            read_local(rd, z, &lz); /* sequences may have been applied */
        } else {
            if (rc != XR_STOP)
                e2ud_log(LOG_WARNING,
                         "zone %s: IXFR from %s failed after %" PRIu64 " ms and %" PRIu64
                         " octets: %s",
                         z->name, who, mono_ms() - t0, x->bytes, x->err);
            snprintf(last_err, elen, "IXFR from %s: %s", who, x->err);
            rx_free(&r);
            return false;
        }
    }
    if (rc == XR_FALLBACK) {
        rc = transfer(x, KNOT_RRTYPE_AXFR, &lz, &r);
        xfr_close(x);
    }
    e2u_store_import_stats_t st = {0};
    if (rc == XR_OK)
        rc = axfr_apply(x, &r, &st);
    if (rc == XR_OK) {
        char from[16] = "(none)";
        if (lz.have)
            snprintf(from, sizeof(from), "%" PRIu32, lz.serial);
        e2ud_log(LOG_INFO,
                 "zone %s: %s from %s: serial %s -> %" PRIu32 ", %" PRIu64 " records, %" PRIu64
                 " octets, %" PRIu64 " ms",
                 z->name, how, who, from, st.serial, r.rrs, x->bytes, mono_ms() - t0);
        if (st.serial != r.serial)
            e2ud_log(LOG_WARNING, "zone %s: the store is at serial %" PRIu32 ", the primary at %" PRIu32,
                     z->name, st.serial, r.serial);
        if (r.skipped)
            e2ud_log(LOG_NOTICE, "zone %s: %" PRIu64 " records out of the zone ignored", z->name,
                     r.skipped);
        rx_free(&r);
        return true;
    }
    if (rc != XR_STOP)
        e2ud_log(LOG_WARNING,
                 "zone %s: %s from %s failed after %" PRIu64 " ms and %" PRIu64 " octets: %s",
                 z->name, how, who, mono_ms() - t0, x->bytes, x->err);
    snprintf(last_err, elen, "%s from %s: %s", how, who, x->err);
    rx_free(&r);
    return false;
}

/* Refresh one zone: the primaries in order, each of their addresses in order, until one
 * answers (RFC 1996 §3.1 leaves the order to us; Knot's is the same). Called without the
 * lock. */
static void refresh(szone_t *z, e2u_store_rd_t *rd)
{
    const e2ud_conf_t *c = &S.cfg->conf;
    bool ok = false;
    char last_err[640] = "no primary address";
    uint8_t *msg = malloc(MSG_MAX);
    if (!msg)
        snprintf(last_err, sizeof(last_err), "out of memory");
    for (size_t m = 0; msg && !ok && m < z->zc->nmaster && !stopping(); m++) {
        const e2ud_remote_t *rem = &c->remotes[z->zc->master[m]];
        for (size_t ai = 0; !ok && ai < rem->naddr && !stopping(); ai++) {
            xfr_t x = {.z = z,
                       .rem = rem,
                       .addr = &rem->addr[ai],
                       .key = rem->key >= 0 ? &S.cfg->tsig[rem->key] : NULL,
                       .msg = msg,
                       .fd = -1,
                       .idle_ms = IDLE_MS};
            char who[160];
            snprintf(who, sizeof(who), "%s (%s)", rem->id, x.addr->text);
            ok = refresh_from(&x, rd, who, last_err, sizeof(last_err));
            xfr_close(&x);
        }
    }
    free(msg);
    if (stopping())
        return;
    lzone_t lz;
    read_local(rd, z, &lz);
    uint64_t now = mono_ms();
    pthread_mutex_lock(&S.lock);
    if (ok && lz.have) {
        z->last_ok_ms = wall_ms();
        z->expire_s = soa_expire(lz.soa, lz.soa_len);
        z->boot_retry_s = 0;
        z->due_ms = now + 1000u * clamp_timer(soa_refresh(lz.soa, lz.soa_len));
        uint64_t was = atomic_load(&z->expire_at_ms);
        if (was && was <= z->last_ok_ms)
            e2ud_log(LOG_NOTICE, "zone %s: refreshed, served again", z->name);
        set_expiry(z, z->last_ok_ms + (uint64_t)1000 * z->expire_s);
        z->expired_logged = false;
    } else if (lz.have) {
        uint32_t retry = clamp_timer(soa_retry(lz.soa, lz.soa_len));
        z->due_ms = now + 1000u * retry;
        uint64_t at = z->last_ok_ms + (uint64_t)1000 * z->expire_s, wnow = wall_ms();
        if (at > wnow)
            e2ud_log(LOG_WARNING,
                     "zone %s: refresh failed (%s); still serving serial %" PRIu32
                     ", next try in %" PRIu32 " s, the zone expires in %" PRIu64 " s",
                     z->name, last_err, lz.serial, retry, (at - wnow + 999) / 1000);
        else
            e2ud_log(LOG_WARNING,
                     "zone %s: refresh failed (%s); serial %" PRIu32 " expired %" PRIu64
                     " s ago (SERVFAIL), next try in %" PRIu32 " s",
                     z->name, last_err, lz.serial, (wnow - at) / 1000, retry);
    } else {
        z->boot_retry_s = z->boot_retry_s ? z->boot_retry_s * 2 : BOOT_RETRY_MIN_S;
        if (z->boot_retry_s > BOOT_RETRY_MAX_S)
            z->boot_retry_s = BOOT_RETRY_MAX_S;
        z->due_ms = now + 1000u * z->boot_retry_s;
        e2ud_log(LOG_WARNING, "zone %s: not loaded yet (%s); next try in %u s", z->name,
                 last_err, z->boot_retry_s);
    }
    pthread_mutex_unlock(&S.lock);
    if (ok)
        timers_save();
}

/* --- the zones of a configuration -------------------------------------------------------- */

/* Whether two zone configurations name the same primaries: ids, addresses and keys (id,
 * algorithm, secret), in order. */
static bool same_masters(const e2ud_conf_t *ca, const e2ud_zone_conf_t *a, const e2ud_conf_t *cb,
                         const e2ud_zone_conf_t *b)
{
    if (a->nmaster != b->nmaster)
        return false;
    for (size_t m = 0; m < a->nmaster; m++) {
        const e2ud_remote_t *ra = &ca->remotes[a->master[m]], *rb = &cb->remotes[b->master[m]];
        if (strcmp(ra->id, rb->id) != 0 || ra->naddr != rb->naddr ||
            (ra->key < 0) != (rb->key < 0))
            return false;
        if (ra->key >= 0 && !e2ud_key_equal(&ca->keys[ra->key], &cb->keys[rb->key]))
            return false;
        for (size_t i = 0; i < ra->naddr; i++) {
            if (strcmp(ra->addr[i].text, rb->addr[i].text) != 0)
                return false;
        }
    }
    return true;
}

/*
 * Make S's zones the secondary zones of cfg (a reference, taken over; the one held before is
 * dropped). A zone it keeps keeps its state: when it was last refreshed, when it expires, when
 * the next refresh is due (at once when its primaries changed), a NOTIFY not yet acted on. A
 * zone it adds is read from the store and refreshed at once, as at start. A zone it drops is no
 * longer refreshed and no longer expires: e2ud serves what the store holds of it, as it would
 * after a restart. Under S.lock, with the thread not refreshing (it is the thread, or there is
 * none yet); rd: a store reader, reset again on return.
 */
static void reconfigure(e2ud_cfg_t *cfg, e2u_store_rd_t *rd)
{
    const e2ud_conf_t *c = &cfg->conf;
    szone_t *old = malloc(sizeof(S.zones));
    size_t nold = old ? S.nzones : 0;
    if (old)
        memcpy(old, S.zones, nold * sizeof(szone_t));
    bool added[E2UD_ZONES_CONF_MAX] = {false}, kept[E2UD_ZONES_CONF_MAX] = {false};
    S.nzones = 0;
    for (size_t i = 0; i < c->nzones; i++) {
        const e2ud_zone_conf_t *zc = &c->zones[i];
        if (zc->nmaster == 0)
            continue;
        szone_t *z = &S.zones[S.nzones];
        size_t k = 0;
        while (k < nold && (kept[k] || !knot_dname_is_equal(old[k].origin, zc->origin)))
            k++;
        if (k < nold) {
            memcpy(z, &old[k], sizeof(*z)); /* the thread is the only writer of these now */
            if (!same_masters(&S.cfg->conf, old[k].zc, c, zc)) {
                z->due_ms = 0;
                e2ud_log(LOG_INFO, "zone %s: primaries changed by a reload: refreshing now",
                         z->name);
            }
            kept[k] = true;
        } else {
            memset(z, 0, sizeof(*z)); /* atomics are plain values here: no thread reads them */
            memcpy(z->origin, zc->origin, knot_dname_size(zc->origin));
            knot_dname_to_str(z->name, z->origin, sizeof(z->name));
            added[S.nzones] = true;
        }
        z->zc = zc;
        S.nzones++;
    }
    for (size_t k = 0; k < nold; k++) {
        if (!kept[k])
            e2ud_log(LOG_INFO, "zone %s: no longer a secondary (reload): served as the store "
                               "holds it, without refresh or expiry", old[k].name);
    }
    free(old);
    e2ud_cfg_unref(S.cfg);
    S.cfg = cfg;
    timers_load();
    uint64_t wnow = wall_ms();
    for (size_t i = 0; i < S.nzones; i++) {
        szone_t *z = &S.zones[i];
        if (!added[i])
            continue;
        lzone_t lz;
        read_local(rd, z, &lz);
        z->due_ms = 0; /* a refresh at once */
        if (!lz.have) {
            z->last_ok_ms = 0;
            e2ud_log(LOG_INFO, "zone %s: secondary, not in the store yet: AXFR from %s", z->name,
                     c->remotes[z->zc->master[0]].id);
            continue;
        }
        z->expire_s = soa_expire(lz.soa, lz.soa_len);
        if (!z->last_ok_ms || z->last_ok_ms > wnow)
            z->last_ok_ms = wnow; /* unknown: count from now */
        atomic_store(&z->expire_at_ms, z->last_ok_ms + (uint64_t)1000 * z->expire_s);
        if (wnow >= z->last_ok_ms + (uint64_t)1000 * z->expire_s) {
            z->expired_logged = true;
            e2ud_log(LOG_WARNING, "zone %s: serial %" PRIu32 " expired %" PRIu64
                                  " s ago; answering SERVFAIL until a refresh succeeds",
                     z->name, lz.serial,
                     (wnow - z->last_ok_ms) / 1000 - z->expire_s);
        } else {
            e2ud_log(LOG_INFO, "zone %s: secondary at serial %" PRIu32 ", expires in %" PRIu64
                               " s without a refresh", z->name, lz.serial,
                     (uint64_t)((z->last_ok_ms + (uint64_t)1000 * z->expire_s - wnow) / 1000));
        }
    }
    /* the earliest expiry of the zones there are now (a dropped zone's goes with it) */
    if (S.nzones)
        set_expiry(&S.zones[0], atomic_load(&S.zones[0].expire_at_ms));
    else
        atomic_store(&S.earliest, 0);
}

/* --- the thread ---------------------------------------------------------------------------- */

static void *secondary_main(void *arg)
{
    (void)arg;
    e2u_store_rd_t *rd;
    int rc = e2u_store_read_begin(S.srv->store, &rd);
    if (rc < 0) {
        e2ud_log(LOG_CRIT, "secondary zones: cannot read the store: %s", e2u_strerror(rc));
        return NULL;
    }
    e2u_store_read_reset(rd);
    pthread_mutex_lock(&S.lock);
    while (!stopping()) {
        /* a reload: the zones of the new configuration, between two refreshes */
        if (atomic_load_explicit(&S.srv->cfg_gen, memory_order_relaxed) != S.cfg->gen)
            reconfigure(e2ud_cfg_current(S.srv), rd);
        uint64_t now = mono_ms(), wnow = wall_ms();
        uint64_t wake = now + 60000;
        szone_t *due = NULL;
        for (size_t i = 0; i < S.nzones; i++) {
            szone_t *z = &S.zones[i];
            /* the query path sees the expiry by itself (e2ud_zone_expired); this only logs */
            uint64_t at = atomic_load(&z->expire_at_ms);
            if (at && wnow >= at && !z->expired_logged) {
                z->expired_logged = true;
                e2ud_log(LOG_WARNING, "zone %s expired: no successful refresh for %" PRIu32
                                      " s (EXPIRE); answering SERVFAIL", z->name, z->expire_s);
            } else if (at && wnow < at && now + (at - wnow) < wake) {
                wake = now + (at - wnow);
            }
            if (!due && (z->notified || z->due_ms <= now))
                due = z;
            if (z->due_ms < wake)
                wake = z->due_ms;
        }
        if (due) {
            due->notified = false;
            pthread_mutex_unlock(&S.lock);
            refresh(due, rd);
            pthread_mutex_lock(&S.lock);
            continue;
        }
        uint64_t until = wake > now + SLICE_MS * 5 ? now + SLICE_MS * 5 : wake;
        struct timespec ts = {.tv_sec = (time_t)(until / 1000),
                              .tv_nsec = (long)(until % 1000) * 1000000};
        pthread_cond_timedwait(&S.cond, &S.lock, &ts);
    }
    pthread_mutex_unlock(&S.lock);
    e2u_store_read_end(rd);
    return NULL;
}

int e2ud_secondary_start(e2ud_server_t *srv)
{
    pthread_once(&cond_once, cond_init);
    e2ud_cfg_t *cfg = e2ud_cfg_current(srv);
    size_t n = 0;
    for (size_t i = 0; i < cfg->conf.nzones; i++)
        n += cfg->conf.zones[i].nmaster > 0;
    if (n == 0) {
        e2ud_cfg_unref(cfg);
        return 0;
    }
    e2u_store_rd_t *rd;
    int rc = e2u_store_read_begin(srv->store, &rd);
    if (rc < 0) {
        e2ud_log(LOG_CRIT, "secondary zones: cannot read the store: %s", e2u_strerror(rc));
        e2ud_cfg_unref(cfg);
        return -1;
    }
    pthread_mutex_lock(&S.lock);
    S.srv = srv;
    atomic_store(&S.stop, false);
    reconfigure(cfg, rd);
    e2u_store_read_end(rd);
    rc = pthread_create(&S.thread, NULL, secondary_main, NULL);
    S.running = rc == 0;
    pthread_mutex_unlock(&S.lock);
    if (rc != 0) {
        e2ud_log(LOG_CRIT, "secondary zones: cannot start the thread: %s", strerror(rc));
        return -1;
    }
    return 0;
}

int e2ud_secondary_reload(e2ud_server_t *srv)
{
    pthread_once(&cond_once, cond_init);
    pthread_mutex_lock(&S.lock);
    bool running = S.running;
    if (running)
        pthread_cond_broadcast(&S.cond); /* it takes the new zones at once */
    pthread_mutex_unlock(&S.lock);
    return running ? 0 : e2ud_secondary_start(srv);
}

void e2ud_secondary_stop(void)
{
    pthread_once(&cond_once, cond_init);
    pthread_mutex_lock(&S.lock);
    bool running = S.running;
    atomic_store(&S.stop, true);
    pthread_cond_broadcast(&S.cond);
    pthread_mutex_unlock(&S.lock);
    if (running)
        pthread_join(S.thread, NULL);
    pthread_mutex_lock(&S.lock);
    S.running = false;
    S.nzones = 0;
    atomic_store(&S.earliest, 0);
    e2ud_cfg_unref(S.cfg);
    S.cfg = NULL;
    pthread_mutex_unlock(&S.lock);
}

bool e2ud_zone_expired(const uint8_t *origin)
{
    uint64_t e = atomic_load_explicit(&S.earliest, memory_order_acquire);
    if (e == 0)
        return false; /* no secondary zone with data: the common case, one load */
    uint64_t now = wall_ms_coarse();
    if (now < e)
        return false; /* none expired: one load and a clock read from the vDSO */
    /* some zone has expired: which, under the lock (a reload may be changing the zones) */
    bool expired = false;
    pthread_mutex_lock(&S.lock);
    for (size_t i = 0; i < S.nzones && !expired; i++) {
        uint64_t at = atomic_load_explicit(&S.zones[i].expire_at_ms, memory_order_relaxed);
        expired = at && now >= at && knot_dname_is_case_equal(S.zones[i].origin, origin);
    }
    pthread_mutex_unlock(&S.lock);
    return expired;
}

/* --- NOTIFY in (RFC 1996 §3) --------------------------------------------------------------- */

size_t e2ud_notify_in(e2ud_qctx_t *q, knot_pkt_t *qp, const e2ud_req_t *r, uint8_t *resp,
                      size_t cap)
{
    size_t max = cap > MSG_MAX ? MSG_MAX : cap;
    knot_pkt_t *pkt = knot_pkt_new(resp, (uint16_t)max, NULL);
    if (!pkt)
        return 0;
    if (knot_pkt_init_response(pkt, qp) != KNOT_EOK) {
        knot_pkt_free(pkt);
        return 0;
    }
    knot_wire_clear_aa(pkt->wire);
    knot_wire_clear_tc(pkt->wire);
    knot_wire_clear_ra(pkt->wire);
    knot_wire_clear_ad(pkt->wire);
    knot_wire_clear_cd(pkt->wire);
    const e2ud_conf_t *c = q->cfg ? &q->cfg->conf : NULL;
    uint8_t origin[KNOT_DNAME_MAXLEN];
    const uint8_t *qname = knot_pkt_qname(qp);
    const e2ud_zone_conf_t *zc = NULL;
    if (c && qname && knot_dname_size(qname) <= sizeof(origin)) {
        knot_dname_copy_lower(origin, qname);
        zc = e2ud_conf_zone(c, origin);
    }
    uint8_t rcode;
    if (knot_pkt_qtype(qp) != KNOT_RRTYPE_SOA || knot_pkt_qclass(qp) != KNOT_CLASS_IN) {
        rcode = KNOT_RCODE_FORMERR; /* §3.7: QTYPE is SOA */
    } else if (!zc || zc->nmaster == 0) {
        rcode = KNOT_RCODE_NOTAUTH; /* not a zone we are a secondary of, as Knot answers */
    } else if (!e2ud_acl_allows(c, zc, E2UD_ACT_NOTIFY, r)) {
        rcode = KNOT_RCODE_REFUSED;
        char a[INET6_ADDRSTRLEN] = "?";
        if (r->from)
            addr_of(r->from, a, sizeof(a));
        e2ud_log(LOG_NOTICE, "zone %s: NOTIFY from %s refused by the ACL", zc->name, a);
    } else {
        rcode = KNOT_RCODE_NOERROR;
        knot_wire_set_aa(pkt->wire);
        /* §3.7: an SOA in the answer is a hint only; the SOA query decides */
        char hint[40] = "";
        const knot_pktsection_t *an = knot_pkt_section(qp, KNOT_ANSWER);
        for (uint16_t i = 0; i < an->count; i++) {
            const knot_rrset_t *rr = knot_pkt_rr(an, i);
            if (rr->type == KNOT_RRTYPE_SOA && rr->rrs.count && rr->rrs.rdata->len >= 22)
                snprintf(hint, sizeof(hint), ", serial %" PRIu32,
                         soa_serial(rr->rrs.rdata->data, rr->rrs.rdata->len));
        }
        bool woke = false;
        pthread_once(&cond_once, cond_init);
        pthread_mutex_lock(&S.lock);
        for (size_t i = 0; i < S.nzones; i++) {
            if (knot_dname_is_equal(S.zones[i].origin, origin)) {
                S.zones[i].notified = true;
                woke = S.running;
            }
        }
        if (woke)
            pthread_cond_broadcast(&S.cond);
        pthread_mutex_unlock(&S.lock);
        char a[INET6_ADDRSTRLEN] = "?";
        if (r->from)
            addr_of(r->from, a, sizeof(a));
        e2ud_log(LOG_INFO, "zone %s: NOTIFY from %s%s%s%s: refreshing now", zc->name, a,
                 r->key >= 0 ? " key " : "", r->key >= 0 ? c->keys[r->key].id : "", hint);
    }
    knot_wire_set_rcode(pkt->wire, rcode);
    size_t n = pkt->size;
    knot_pkt_free(pkt);
    n = e2ud_opt_append(q, qp, resp, n, max, rcode, -1);
    if (q->cfg && e2ud_tsig_sign(q->cfg, r, resp, &n, max) < 0)
        e2ud_log(LOG_ERR, "cannot sign a NOTIFY answer with TSIG");
    return n;
}
