/*
 * server/notify.c — NOTIFY out (RFC 1996): tell the secondaries when a zone changes.
 *
 * One background thread watches the SOA serial of every configured zone that lists notify:
 * remotes. Changes come from other processes (e2uctl) as well as from e2ud itself (UPDATE, a
 * refresh as a secondary), so the thread does not wait for a signal from the writers: once a
 * second it brings its store reader to the latest commit, reads each watched zone's SOA and
 * releases the snapshot again (so it never holds old pages). A serial it has not announced —
 * and every zone once at start, so a secondary that missed changes while e2ud was down catches
 * up — is announced to every address of every notify remote of the zone.
 *
 * The message is what Knot sends (RFC 1996 §3.7): opcode NOTIFY, AA, the question "zone IN
 * SOA", and the zone's SOA in the answer section as a hint (§3.7: the secondary may skip its
 * SOA query when the hint is not newer), signed with TSIG (RFC 8945) when the remote has a key.
 * It goes over UDP from an unbound socket, so the secondary sees the address the route to it
 * chooses. It is sent again every RETRY_MS up to RETRIES times until a response arrives from
 * that address with the same ID, QR set, opcode NOTIFY, NOERROR and, for a keyed remote, a TSIG
 * that verifies against our request's MAC (§3.6: the primary retransmits until answered). A
 * response with an error rcode is logged and the retries continue; a newer serial replaces the
 * one still being announced (a secondary only needs to hear of the latest). Every outcome is
 * logged: the answer, or that none came.
 *
 * The thread sleeps in poll() on its sockets and an eventfd, so e2ud_notify_stop wakes it at
 * once and joins it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libdnssec/random.h>
#include <libknot/libknot.h>

#include "e2u/dname.h"
#include "server.h"

#define POLL_MS  1000 /* how often the serials are read */
#define RETRY_MS 2000 /* between two sends of one NOTIFY */
#define RETRIES  5    /* sends after the first */
#define SOA_MAX  600  /* SOA RDATA: two names and five numbers */
#define MSG_BUF  2048

/* A zone the thread watches. */
typedef struct wzone {
    uint8_t origin[KNOT_DNAME_MAXLEN]; /* wire, from the configuration */
    char name[E2U_DNAME_TEXT_MAX];
    bool known; /* the store has the zone and serial is its serial */
    uint32_t serial;
    uint32_t soa_ttl;
    uint8_t soa[SOA_MAX]; /* SOA RDATA for the answer section */
    uint16_t soa_len;
} wzone_t;

/* One address of one notify remote of one zone. */
typedef struct target {
    size_t zone;             /* index into N.zones */
    const e2ud_addr_t *addr; /* borrowed from the configuration */
    const char *remote;      /* the remote's id */
    int key;                 /* configured key index, -1 = unsigned */
    bool pending;            /* a NOTIFY awaits its answer */
    uint32_t serial;         /* the serial being announced */
    unsigned sends;          /* sent so far for this serial */
    uint64_t next_ms;        /* when to send (again) */
    uint16_t id;             /* of the last send */
    uint8_t mac[64];         /* its TSIG MAC, to verify the answer */
    size_t mac_len;
} target_t;

static struct {
    pthread_t thread;
    bool running;
    int efd;      /* eventfd: stop */
    int fd4, fd6; /* UDP sockets, -1 when no remote of that family */
    e2ud_server_t *srv;
    e2ud_cfg_t *cfg; /* held: the targets borrow its addresses, names and keys */
    e2u_store_rd_t *rd;
    wzone_t *zones;
    size_t nzones;
    target_t *targets;
    size_t ntargets;
} N = {.efd = -1, .fd4 = -1, .fd6 = -1};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint16_t random_id(void)
{
    return dnssec_random_uint16_t();
}

/* Read the watched zones' serials; mark the targets of a zone whose serial is new. */
static void poll_serials(void)
{
    if (e2u_store_read_renew(N.rd) < 0) {
        e2ud_log(LOG_ERR, "NOTIFY: cannot read the store");
        return;
    }
    uint64_t now = now_ms();
    for (size_t i = 0; i < N.nzones; i++) {
        wzone_t *w = &N.zones[i];
        const e2u_store_zone_t *z;
        if (e2u_store_zone_get(N.rd, w->origin, &z) < 0) {
            w->known = false; /* not (yet) in the store */
            continue;
        }
        if (w->known && z->serial == w->serial)
            continue;
        if (z->soa_len > sizeof(w->soa)) {
            e2ud_log(LOG_ERR, "[%s] NOTIFY: SOA too large", w->name);
            continue;
        }
        memcpy(w->soa, z->soa, z->soa_len);
        w->soa_len = z->soa_len;
        w->soa_ttl = z->soa_ttl;
        w->serial = z->serial;
        w->known = true;
        for (size_t t = 0; t < N.ntargets; t++) {
            target_t *g = &N.targets[t];
            if (g->zone != i)
                continue;
            g->pending = true;
            g->serial = w->serial;
            g->sends = 0;
            g->next_ms = now;
        }
    }
    e2u_store_read_reset(N.rd); /* hold no snapshot between polls */
}

/* Build and send the NOTIFY of target g. */
static void send_notify(target_t *g)
{
    const wzone_t *w = &N.zones[g->zone];
    uint8_t buf[MSG_BUF];
    knot_pkt_t *pkt = knot_pkt_new(NULL, MSG_BUF, NULL);
    if (!pkt)
        return;
    size_t len = 0;
    const knot_tsig_key_t *key = g->key >= 0 ? &N.cfg->tsig[g->key] : NULL;
    size_t room = key ? knot_tsig_wire_size(key) : 0;
    g->id = random_id();
    knot_wire_set_id(pkt->wire, g->id);
    knot_wire_set_opcode(pkt->wire, KNOT_OPCODE_NOTIFY);
    knot_wire_set_aa(pkt->wire);
    knot_rrset_t soa;
    knot_rrset_init(&soa, (knot_dname_t *)w->origin, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, w->soa_ttl);
    uint8_t rd[SOA_MAX + 8];
    knot_rdata_init((knot_rdata_t *)rd, w->soa_len, w->soa);
    soa.rrs.count = 1;
    soa.rrs.size = (uint32_t)knot_rdata_size(w->soa_len);
    soa.rrs.rdata = (knot_rdata_t *)rd;
    if (knot_pkt_put_question(pkt, w->origin, KNOT_CLASS_IN, KNOT_RRTYPE_SOA) != KNOT_EOK ||
        knot_pkt_reserve(pkt, (uint16_t)room) != KNOT_EOK)
        goto out;
    knot_pkt_begin(pkt, KNOT_ANSWER);
    if (knot_pkt_put(pkt, KNOT_COMPR_HINT_QNAME, &soa, 0) != KNOT_EOK)
        goto out;
    knot_pkt_reclaim(pkt, (uint16_t)room);
    len = pkt->size;
    if (len > sizeof(buf))
        goto out;
    memcpy(buf, pkt->wire, len);
    g->mac_len = 0;
    if (key) {
        size_t ml = sizeof(g->mac);
        if (knot_tsig_sign(buf, &len, sizeof(buf), NULL, 0, g->mac, &ml, key, 0, 0) != KNOT_EOK) {
            e2ud_log(LOG_ERR, "[%s] NOTIFY, outgoing, remote %s %s: cannot sign", w->name,
                     g->remote, g->addr->text);
            goto out;
        }
        g->mac_len = ml;
    }
    int fd = g->addr->ss.ss_family == AF_INET6 ? N.fd6 : N.fd4;
    if (sendto(fd, buf, len, 0, (const struct sockaddr *)&g->addr->ss, g->addr->len) < 0)
        e2ud_log(LOG_NOTICE, "[%s] NOTIFY, outgoing, remote %s %s, serial %u: %s", w->name,
                 g->remote, g->addr->text, g->serial, strerror(errno));
out:
    knot_pkt_free(pkt);
}

static bool same_addr(const struct sockaddr_storage *a, const e2ud_addr_t *b)
{
    if (a->ss_family != b->ss.ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)a;
        const struct sockaddr_in *y = (const struct sockaddr_in *)&b->ss;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
    const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)&b->ss;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

/* A datagram on fd: the answer to one of our NOTIFYs, or noise. */
static void on_answer(int fd)
{
    for (;;) {
        uint8_t buf[MSG_BUF];
        struct sockaddr_storage from;
        socklen_t flen = sizeof(from);
        ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
        if (n < 0)
            return;
        if ((size_t)n < KNOT_WIRE_HEADER_SIZE || !knot_wire_get_qr(buf) ||
            knot_wire_get_opcode(buf) != KNOT_OPCODE_NOTIFY)
            continue;
        uint16_t id = knot_wire_get_id(buf);
        target_t *g = NULL;
        for (size_t t = 0; t < N.ntargets && !g; t++) {
            if (N.targets[t].pending && N.targets[t].sends > 0 && N.targets[t].id == id &&
                same_addr(&from, N.targets[t].addr))
                g = &N.targets[t];
        }
        if (!g)
            continue; /* late (an older serial's) or not ours */
        const wzone_t *w = &N.zones[g->zone];
        uint8_t rcode = knot_wire_get_rcode(buf);
        const char *tsig_problem = NULL;
        if (g->key >= 0) {
            knot_pkt_t *p = knot_pkt_new(buf, (uint16_t)n, NULL);
            if (!p || knot_pkt_parse(p, 0) != KNOT_EOK)
                tsig_problem = "malformed answer";
            else if (!p->tsig_rr)
                tsig_problem = "answer not signed";
            else if (knot_tsig_client_check(p->tsig_rr, p->wire, p->size, g->mac, g->mac_len,
                                            &N.cfg->tsig[g->key], 0) != KNOT_EOK)
                tsig_problem = "answer's TSIG does not verify";
            knot_pkt_free(p);
        }
        char rc[32];
        const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, rcode);
        snprintf(rc, sizeof(rc), "%s", l ? l->name : "?");
        if (tsig_problem) {
            e2ud_log(LOG_NOTICE, "[%s] NOTIFY, outgoing, remote %s %s, serial %u: %s%s", w->name,
                     g->remote, g->addr->text, g->serial, tsig_problem,
                     g->sends > RETRIES ? "" : ", will retry");
        } else if (rcode == KNOT_RCODE_NOERROR) {
            e2ud_log(LOG_INFO, "[%s] NOTIFY, outgoing, remote %s %s, serial %u: NOERROR", w->name,
                     g->remote, g->addr->text, g->serial);
            g->pending = false;
        } else {
            e2ud_log(LOG_NOTICE, "[%s] NOTIFY, outgoing, remote %s %s, serial %u: %s%s", w->name,
                     g->remote, g->addr->text, g->serial, rc,
                     g->sends > RETRIES ? "" : ", will retry");
        }
    }
}

/* Send what is due; returns the ms until the next send (at most max). */
static uint64_t send_due(uint64_t now, uint64_t max)
{
    uint64_t wait = max;
    for (size_t t = 0; t < N.ntargets; t++) {
        target_t *g = &N.targets[t];
        if (!g->pending)
            continue;
        if (g->next_ms <= now) {
            if (g->sends > RETRIES) {
                e2ud_log(LOG_WARNING,
                         "[%s] NOTIFY, outgoing, remote %s %s, serial %u: no answer after %u "
                         "attempts",
                         N.zones[g->zone].name, g->remote, g->addr->text, g->serial, g->sends);
                g->pending = false;
                continue;
            }
            send_notify(g);
            g->sends++;
            g->next_ms = now + RETRY_MS;
        }
        uint64_t d = g->next_ms > now ? g->next_ms - now : 0;
        if (d < wait)
            wait = d;
    }
    return wait;
}

static void *notify_main(void *arg)
{
    (void)arg;
    uint64_t next_poll = 0;
    for (;;) {
        uint64_t now = now_ms();
        if (now >= next_poll) {
            poll_serials();
            next_poll = now + POLL_MS;
        }
        uint64_t wait = send_due(now, next_poll - now);
        struct pollfd p[3] = {{.fd = N.efd, .events = POLLIN},
                              {.fd = N.fd4, .events = POLLIN},
                              {.fd = N.fd6, .events = POLLIN}};
        int r = poll(p, 3, (int)wait);
        if (r < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break; /* e2ud_notify_stop */
        if (N.fd4 >= 0 && (p[1].revents & POLLIN))
            on_answer(N.fd4);
        if (N.fd6 >= 0 && (p[2].revents & POLLIN))
            on_answer(N.fd6);
    }
    return NULL;
}

static void cleanup(void)
{
    e2u_store_read_end(N.rd);
    N.rd = NULL;
    if (N.efd >= 0)
        close(N.efd);
    if (N.fd4 >= 0)
        close(N.fd4);
    if (N.fd6 >= 0)
        close(N.fd6);
    N.efd = N.fd4 = N.fd6 = -1;
    free(N.zones);
    free(N.targets);
    N.zones = NULL;
    N.targets = NULL;
    N.nzones = N.ntargets = 0;
    e2ud_cfg_unref(N.cfg);
    N.cfg = NULL;
}

/* The addresses to notify in c, over all zones. */
static size_t count_targets(const e2ud_conf_t *c)
{
    size_t nt = 0;
    for (size_t i = 0; i < c->nzones; i++) {
        for (size_t k = 0; k < c->zones[i].nnotify; k++)
            nt += c->remotes[c->zones[i].notify[k]].naddr;
    }
    return nt;
}

/*
 * Make N's zones and targets those of cfg (a reference, taken over), carrying over from N's
 * current ones (none at start) what the thread knew: a zone's announced serial, so that a reload
 * announces only the zones it adds (a secondary it adds to a zone already announced hears of the
 * zone's next change; it transfers at its own start anyway), and a target's NOTIFY in flight
 * (same zone, remote and address), so that its retries and the answer it waits for go on. Opens
 * what is missing (the eventfd, a socket of a family now needed, the store reader). Returns 0,
 * or -1 with a message logged (N then keeps its zones and targets, and cfg is dropped). The
 * thread is not running.
 */
static int setup(e2ud_server_t *srv, e2ud_cfg_t *cfg, size_t nt)
{
    const e2ud_conf_t *c = &cfg->conf;
    size_t nz = 0;
    for (size_t i = 0; i < c->nzones; i++)
        nz += c->zones[i].nnotify > 0;
    wzone_t *zones = calloc(nz, sizeof(wzone_t));
    target_t *targets = calloc(nt, sizeof(target_t));
    if (!zones || !targets) {
        e2ud_log(LOG_CRIT, "NOTIFY: out of memory");
        free(zones);
        free(targets);
        e2ud_cfg_unref(cfg);
        return -1;
    }
    size_t z = 0, t = 0;
    bool v4 = false, v6 = false;
    for (size_t i = 0; i < c->nzones; i++) {
        const e2ud_zone_conf_t *zc = &c->zones[i];
        if (zc->nnotify == 0)
            continue;
        wzone_t *w = &zones[z];
        memcpy(w->origin, zc->origin, knot_dname_size(zc->origin));
        if (e2u_dname_to_text(w->name, sizeof(w->name), NULL, w->origin,
                              knot_dname_size(w->origin)) < 0)
            snprintf(w->name, sizeof(w->name), "%s", zc->name);
        size_t old = N.nzones;
        for (size_t k = 0; k < N.nzones; k++) {
            if (knot_dname_is_equal(N.zones[k].origin, w->origin)) {
                old = k;
                w->known = N.zones[k].known;
                w->serial = N.zones[k].serial;
                w->soa_ttl = N.zones[k].soa_ttl;
                w->soa_len = N.zones[k].soa_len;
                memcpy(w->soa, N.zones[k].soa, w->soa_len);
            }
        }
        for (size_t k = 0; k < zc->nnotify; k++) {
            const e2ud_remote_t *r = &c->remotes[zc->notify[k]];
            for (size_t a = 0; a < r->naddr; a++) {
                target_t *g = &targets[t++];
                for (size_t o = 0; old < N.nzones && o < N.ntargets; o++) {
                    const target_t *og = &N.targets[o];
                    if (og->zone == old && strcmp(og->remote, r->id) == 0 &&
                        strcmp(og->addr->text, r->addr[a].text) == 0)
                        *g = *og; /* in flight: the same NOTIFY, its retries and its ID */
                }
                g->zone = z;
                g->addr = &r->addr[a];
                g->remote = r->id;
                g->key = r->key;
                v4 |= g->addr->ss.ss_family == AF_INET;
                v6 |= g->addr->ss.ss_family == AF_INET6;
            }
        }
        z++;
    }
    if (N.efd < 0)
        N.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (v4 && N.fd4 < 0)
        N.fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (v6 && N.fd6 < 0)
        N.fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (N.efd < 0 || (v4 && N.fd4 < 0) || (v6 && N.fd6 < 0)) {
        e2ud_log(LOG_CRIT, "NOTIFY: cannot open sockets: %s", strerror(errno));
        free(zones);
        free(targets);
        e2ud_cfg_unref(cfg);
        return -1;
    }
    if (!N.rd) {
        int rc = e2u_store_read_begin(srv->store, &N.rd);
        if (rc < 0) {
            e2ud_log(LOG_CRIT, "NOTIFY: cannot read the store: %s", e2u_strerror(rc));
            N.rd = NULL;
            free(zones);
            free(targets);
            e2ud_cfg_unref(cfg);
            return -1;
        }
        e2u_store_read_reset(N.rd);
    }
    free(N.zones);
    free(N.targets);
    e2ud_cfg_unref(N.cfg);
    N.srv = srv;
    N.cfg = cfg;
    N.zones = zones;
    N.nzones = z;
    N.targets = targets;
    N.ntargets = t;
    return 0;
}

static int run(void)
{
    uint64_t drained;
    /* reset the eventfd halt() wrote to (nothing to read at start) */
    if (read(N.efd, &drained, sizeof(drained)) < 0 && errno != EAGAIN)
        e2ud_log(LOG_ERR, "NOTIFY: eventfd: %s", strerror(errno));
    if (pthread_create(&N.thread, NULL, notify_main, NULL) != 0) {
        e2ud_log(LOG_CRIT, "NOTIFY: cannot start the thread");
        cleanup();
        return -1;
    }
    N.running = true;
    e2ud_log(LOG_INFO, "NOTIFY: watching %zu zones for %zu secondary addresses", N.nzones,
             N.ntargets);
    return 0;
}

/* Wake the thread and join it, keeping its state. */
static void halt(void)
{
    uint64_t one = 1;
    if (write(N.efd, &one, sizeof(one)) < 0)
        e2ud_log(LOG_ERR, "NOTIFY: cannot wake the thread: %s", strerror(errno));
    pthread_join(N.thread, NULL);
    N.running = false;
}

int e2ud_notify_start(e2ud_server_t *srv)
{
    e2ud_cfg_t *cfg = e2ud_cfg_current(srv);
    size_t nt = count_targets(&cfg->conf);
    if (nt == 0) {
        e2ud_cfg_unref(cfg);
        return 0; /* nobody to tell */
    }
    if (setup(srv, cfg, nt) < 0) {
        cleanup();
        return -1;
    }
    return run();
}

/* Whether c asks for exactly the NOTIFYs the thread sends: the same zones and, in the same
 * order, the same remotes, addresses and keys (id, algorithm, secret). The fields compared are
 * those the thread never writes, so this may run beside it. */
static bool same_targets(const e2ud_conf_t *c)
{
    const e2ud_conf_t *o = &N.cfg->conf;
    size_t z = 0, t = 0;
    for (size_t i = 0; i < c->nzones; i++) {
        const e2ud_zone_conf_t *zc = &c->zones[i];
        if (zc->nnotify == 0)
            continue;
        if (z == N.nzones || !knot_dname_is_equal(N.zones[z].origin, zc->origin))
            return false;
        for (size_t k = 0; k < zc->nnotify; k++) {
            const e2ud_remote_t *r = &c->remotes[zc->notify[k]];
            for (size_t a = 0; a < r->naddr; a++, t++) {
                const target_t *g = &N.targets[t];
                if (t == N.ntargets || g->zone != z || strcmp(g->remote, r->id) != 0 ||
                    strcmp(g->addr->text, r->addr[a].text) != 0 || (g->key < 0) != (r->key < 0))
                    return false;
                if (r->key >= 0 && !e2ud_key_equal(&o->keys[g->key], &c->keys[r->key]))
                    return false;
            }
        }
        z++;
    }
    return z == N.nzones && t == N.ntargets;
}

int e2ud_notify_reload(e2ud_server_t *srv)
{
    if (!N.running)
        return e2ud_notify_start(srv);
    e2ud_cfg_t *cfg = e2ud_cfg_current(srv);
    if (cfg == N.cfg || same_targets(&cfg->conf)) {
        e2ud_cfg_unref(cfg); /* nothing it uses changed: the thread keeps its configuration */
        return 0;
    }
    size_t nt = count_targets(&cfg->conf);
    halt();
    if (nt == 0) {
        e2ud_cfg_unref(cfg);
        e2ud_log(LOG_INFO, "NOTIFY: no zone notifies any secondary now");
        cleanup();
        return 0;
    }
    if (setup(srv, cfg, nt) < 0)
        e2ud_log(LOG_ERR, "NOTIFY: keeping the previous zones and secondaries");
    return run();
}

void e2ud_notify_stop(void)
{
    if (!N.running)
        return;
    halt();
    cleanup();
}
