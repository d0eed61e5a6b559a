/*
 * server/server.h — what the parts of e2ud share.
 *
 * e2ud is: a configuration (conf.c), a log (log.c), per-thread statistics with a Prometheus
 * endpoint (stats.c), the query path that turns one DNS message into its answer from the store
 * (query.c), and the transports that carry messages: UDP workers with batched receive and send
 * (udp.c) and TCP connections with pipelining (tcp.c). The configuration a thread decides by is
 * counted and replaced as a whole on SIGHUP (reload.c). main.c wires them together and handles
 * signals.
 */
#ifndef E2UD_SERVER_H
#define E2UD_SERVER_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libknot/libknot.h>

#include "e2u/store.h"

#define E2UD_LISTEN_MAX 16
#define E2UD_WORKERS_MAX 64

/* --- configuration ----------------------------------------------------------------------- */

typedef enum e2ud_log_target { E2UD_LOG_STDERR, E2UD_LOG_SYSLOG } e2ud_log_target_t;

typedef struct e2ud_addr {
    struct sockaddr_storage ss;
    socklen_t len;
    char text[80]; /* normalised "ADDR@PORT" */
} e2ud_addr_t;

#define E2UD_KEYS_MAX 32
#define E2UD_REMOTES_MAX 32
#define E2UD_ACLS_MAX 64
#define E2UD_ZONES_CONF_MAX 64
#define E2UD_LIST_MAX 8       /* addresses of a remote, networks and keys of an acl, ... */
#define E2UD_ID_MAX 64
#define E2UD_TXT_MAX 255      /* one TXT character-string (RFC 1035 §3.3) */
#define E2UD_NSID_MAX 255     /* an identifier, kept short so it fits every answer */

/* Actions an ACL rule grants (or denies). */
enum {
    E2UD_ACT_QUERY = 1,
    E2UD_ACT_TRANSFER = 2,
    E2UD_ACT_NOTIFY = 4,
    E2UD_ACT_UPDATE = 8,
};

/* A TSIG key (RFC 8945): the id names it in the file; the key's DNS name is its id. */
typedef struct e2ud_key {
    char id[E2UD_ID_MAX];
    char algorithm[32];   /* hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384,
                           * hmac-sha512 */
    char secret[256];     /* base64, as written */
} e2ud_key_t;

/* Another server: a primary to transfer from, a secondary to NOTIFY. */
typedef struct e2ud_remote {
    char id[E2UD_ID_MAX];
    struct e2ud_addr *addr;   /* naddr addresses (owned) */
    size_t naddr;
    int key;                  /* index into keys, -1 = none */
} e2ud_remote_t;

typedef struct e2ud_net {
    struct sockaddr_storage ss; /* the network's address */
    unsigned prefix;            /* prefix length in bits */
} e2ud_net_t;

typedef struct e2ud_acl {
    char id[E2UD_ID_MAX];
    e2ud_net_t nets[E2UD_LIST_MAX];  /* none = any address */
    size_t nnets;
    int keys[E2UD_LIST_MAX];         /* none = no key needed */
    size_t nkeys;
    unsigned actions;                /* E2UD_ACT_* */
    bool deny;
} e2ud_acl_t;

typedef struct e2ud_zone_conf {
    uint8_t origin[256];             /* wire, lower case */
    char name[256];                  /* as written */
    int acl[E2UD_LIST_MAX];          /* indexes into acls, in order */
    size_t nacl;
    int notify[E2UD_LIST_MAX];       /* remotes to NOTIFY after a change */
    size_t nnotify;
    int master[E2UD_LIST_MAX];       /* remotes this zone is transferred from (secondary) */
    size_t nmaster;
} e2ud_zone_conf_t;

/* A mod-rrl item: response rate limiting (rrl.c), as Knot DNS's module of that name. */
#define E2UD_RRLS_MAX 8
typedef struct e2ud_rrl_conf {
    char id[E2UD_ID_MAX];
    unsigned rate;                    /* rate-limit: answers a second per bucket; 0 = not given */
    unsigned slip;                    /* every slip-th limited answer truncated; default 1 */
    unsigned table_size;              /* buckets; default 393241 */
    e2ud_net_t whitelist[E2UD_LIST_MAX]; /* networks never limited */
    size_t nwhitelist;
    bool dry_run;                     /* count and log, but send every answer */
} e2ud_rrl_conf_t;

/* A mod-cookies item: DNS Cookies (cookies.c), as Knot DNS's module of that name. */
#define E2UD_COOKIES_MAX 8
#define E2UD_COOKIE_SECRET_SIZE 16
typedef struct e2ud_cookies_conf {
    char id[E2UD_ID_MAX];             /* "" for `global-module: mod-cookies` without one */
    unsigned secret_lifetime;         /* seconds; default 26 h, at most 36 days */
    unsigned badcookie_slip;          /* answer one in N bad cookies over UDP; default 1 */
    uint8_t secret[E2UD_COOKIE_SECRET_SIZE];
    bool has_secret;                  /* secret given: used as is (servers sharing an address) */
} e2ud_cookies_conf_t;

typedef struct e2ud_conf {
    char *db;                         /* store directory */
    e2ud_addr_t listen[E2UD_LISTEN_MAX];
    size_t nlisten;
    unsigned udp_workers;             /* 0 = one per CPU */
    unsigned tcp_workers;             /* default 1 */
    unsigned tcp_max_clients;         /* default 1000 */
    unsigned tcp_idle_timeout_ms;     /* default 10000 */
    unsigned tcp_io_timeout_ms;       /* a started message must arrive within; default 2000 */
    uint16_t udp_max_payload;         /* default 1232 */
    bool store_huge_pages;            /* map the store in 2 MiB pages (preload.c); default on */
    bool store_index;                 /* keep a number index in memory (indexer.c); default on */
    uint64_t store_index_max_bytes;   /* its largest table; 0 = a quarter of the memory */
    e2ud_addr_t stats_listen;         /* Prometheus endpoint; len 0 = none */
    e2ud_log_target_t log_target;
    int log_level;                    /* syslog levels: LOG_ERR .. LOG_DEBUG */
    char *path;                       /* the file it came from, or NULL */
    e2ud_key_t keys[E2UD_KEYS_MAX];
    size_t nkeys;
    e2ud_remote_t remotes[E2UD_REMOTES_MAX];
    size_t nremotes;
    e2ud_acl_t acls[E2UD_ACLS_MAX];
    size_t nacls;
    e2ud_zone_conf_t zones[E2UD_ZONES_CONF_MAX];
    size_t nzones;
    uint64_t xfr_max_bytes;           /* an incoming transfer larger than this is refused */
    unsigned xfr_timeout_ms;          /* ... or slower than this */
    e2ud_rrl_conf_t rrls[E2UD_RRLS_MAX];
    size_t nrrls;
    int rrl;                          /* the default template's global-module mod-rrl: an index
                                       * into rrls, -1 = none (no rate limiting) */
    e2ud_cookies_conf_t cookies[E2UD_COOKIES_MAX];
    size_t ncookies;
    int cookie;                       /* its global-module mod-cookies: an index into cookies,
                                       * -1 = none (COOKIE options ignored) */
    /* What the server says of itself (query.c), Knot's items and defaults: the TXT strings of
     * the CHAOS names of RFC 4892, "" = not answered (REFUSED); the NSID of RFC 5001, given to
     * a client that asks, nsid_len 0 = none. */
    char identity[E2UD_TXT_MAX + 1];  /* id.server, hostname.bind; default the host's name */
    char version[E2UD_TXT_MAX + 1];   /* version.server, version.bind; default "e2ud VERSION" */
    uint8_t nsid[E2UD_NSID_MAX];      /* default the host's name */
    size_t nsid_len;
} e2ud_conf_t;

/* The command line's -d, -l and -n, which override the file at start and at every reload. */
typedef struct e2ud_flags {
    const char *db;
    const char *listen[E2UD_LISTEN_MAX];
    size_t nlisten;
    unsigned workers; /* 0: not given */
} e2ud_flags_t;

/*
 * A configuration in use: a parsed file with its TSIG keys ready for libknot, replaced as a
 * whole by a reload (reload.c). Each thread that decides by it holds a counted reference and
 * moves to the current one only between two pieces of work (a UDP batch, a TCP message, a
 * refresh as a secondary); a zone transfer holds the one it started under to its end. So a
 * request is judged by one file from start to end, and the last thread to let go of an old
 * configuration frees it. Read-only once made, but for the count.
 */
typedef struct e2ud_rrl e2ud_rrl_t;
typedef struct e2ud_cookies e2ud_cookies_t;

typedef struct e2ud_cfg {
    e2ud_conf_t conf;
    knot_tsig_key_t tsig[E2UD_KEYS_MAX]; /* conf.keys, ready for libknot */
    e2ud_rrl_t *rrl;                     /* the rate limiter of conf.rrl (owned), or NULL; its
                                          * buckets are the one thing in here that changes */
    e2ud_cookies_t *cookies;             /* the DNS Cookies of conf.cookie (owned), or NULL */
    uint64_t gen;                        /* 1 at start, one more per reload */
    _Atomic unsigned refs;
} e2ud_cfg_t;

/* A configuration of *conf, which it takes over (leaving *conf initialised and empty), with its
 * keys loaded; one reference, the caller's. NULL, with the reason logged, when libknot refuses a
 * key or memory runs out (*conf is then freed). */
e2ud_cfg_t *e2ud_cfg_new(e2ud_conf_t *conf);
/* Another reference to c; c itself. */
e2ud_cfg_t *e2ud_cfg_ref(e2ud_cfg_t *c);
/* Drop a reference; the last frees c. NULL: nothing. */
void e2ud_cfg_unref(e2ud_cfg_t *c);

/* The store's pages brought into memory by a background thread (preload.c), in 2 MiB pages
 * when huge is set and the kernel can. The caller owns the struct and keeps store and db valid
 * until e2ud_preload_stop() has returned. */
typedef struct e2ud_preload {
    e2u_store_t *store;
    const char *db; /* the store directory (its data.mdb is dropped from the cache and reread) */
    bool huge;
    atomic_bool stop;
    atomic_bool done; /* every page mapped, or given up */
    bool running;
    pthread_t thread;
} e2ud_preload_t;

/* Start the thread; returns 0, or -1 when it cannot be created (queries then fault pages in). */
int e2ud_preload_start(e2ud_preload_t *p);
/* Stop it at its next slice and join it; nothing when it was not started. */
void e2ud_preload_stop(e2ud_preload_t *p);

/* The store's number index kept of the latest commit by a background thread (indexer.c). The
 * caller owns the struct and keeps store valid until e2ud_indexer_stop() has returned; the
 * counters are for the statistics. */
typedef struct e2ud_indexer {
    e2u_store_t *store;
    const e2ud_preload_t *preload; /* the first build waits for it (may be NULL) */
    size_t max_bytes; /* 0: a quarter of the machine's memory */
    atomic_size_t entries, bytes, builds;
    atomic_size_t commit; /* the commit of the index in use (0: none) */
    atomic_bool stop;
    bool running;
    pthread_t thread;
} e2ud_indexer_t;

/* Start the thread; returns 0, or -1 when it cannot be created (numbers go through the B-tree).
 */
int e2ud_indexer_start(e2ud_indexer_t *ix);
/* Stop it (at its next poll, or abandoning the build under way) and join it; nothing when it
 * was not started. */
void e2ud_indexer_stop(e2ud_indexer_t *ix);

/* The zone configuration for an origin (wire), or NULL. */
const e2ud_zone_conf_t *e2ud_conf_zone(const e2ud_conf_t *c, const uint8_t *origin);
/* Whether two keys are the same key: id, algorithm and secret. */
bool e2ud_key_equal(const e2ud_key_t *a, const e2ud_key_t *b);

/* Every item at its default. identity and nsid default to e2ud_hostname(). */
void e2ud_conf_init(e2ud_conf_t *c);
/* The host's name, fully qualified where the resolver knows it (getaddrinfo's canonical name),
 * as Knot takes it: found at the first call and kept (main calls it before starting threads). */
const char *e2ud_hostname(void);
void e2ud_conf_free(e2ud_conf_t *c);
/* Parse "ADDR[@PORT]" (IPv4 or IPv6 literal; default port 53). Returns 0 or -1. */
int e2ud_addr_parse(e2ud_addr_t *a, const char *text, uint16_t default_port);
/* Read a configuration file over c (values given there replace c's). On error, returns -1 and
 * writes "FILE:LINE: reason" into err. */
int e2ud_conf_load(e2ud_conf_t *c, const char *path, char *err, size_t errlen);
/* Put the command line's flags over c. On error (an address that does not parse), returns -1
 * and writes the reason into err. */
int e2ud_conf_flags(e2ud_conf_t *c, const e2ud_flags_t *f, char *err, size_t errlen);
/* Whether serving c writes the store (a secondary zone, or an ACL that allows UPDATE); when it
 * does and why is not NULL, writes the first reason found into why. */
bool e2ud_conf_writes(const e2ud_conf_t *c, char *why, size_t whylen);

/* --- log ------------------------------------------------------------------------------------ */

void e2ud_log_open(e2ud_log_target_t target, int level);
void e2ud_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- statistics ----------------------------------------------------------------------------- */

#define E2UD_RCODES 24        /* 0..15 plus BADVERS (16) and a few spare */
#define E2UD_QTYPES 8         /* NAPTR, SOA, NS, A, AAAA, ANY, other, (spare) */
#define E2UD_LAT_BUCKETS 12   /* query latency histogram */
#define E2UD_ZONES_MAX 64     /* per-zone counters for the first zones */

/* What became of a query's COOKIE option (cookies.c), for the statistics. */
enum e2ud_cookie_result {
    E2UD_COOKIE_R_VALID,     /* our server cookie: echoed */
    E2UD_COOKIE_R_BADCOOKIE, /* UDP, missing or bad: BADCOOKIE with a new one */
    E2UD_COOKIE_R_DROPPED,   /* UDP, missing or bad, not the one in badcookie-slip: nothing */
    E2UD_COOKIE_R_RENEWED,   /* TCP, missing or bad: the answer with a new one */
    E2UD_COOKIE_R_MALFORMED, /* FORMERR */
    E2UD_COOKIE_RESULTS
};

typedef struct e2ud_stats {
    _Atomic uint64_t rcode[E2UD_RCODES];
    _Atomic uint64_t qtype[E2UD_QTYPES];
    _Atomic uint64_t udp, tcp, dropped, truncated;
    _Atomic uint64_t lat[E2UD_LAT_BUCKETS]; /* counts per bucket (not cumulative) */
    _Atomic uint64_t lat_sum_ns;
    _Atomic uint64_t zone_queries[E2UD_ZONES_MAX];
    _Atomic uint64_t tcp_accepted, tcp_refused, tcp_timeouts;
    _Atomic uint64_t index_hits; /* numbers found through the store's number index */
    _Atomic uint64_t rrl_dropped, rrl_slipped; /* UDP answers held back by rate limiting */
    _Atomic uint64_t cookie[E2UD_COOKIE_RESULTS]; /* queries with a COOKIE, by e2ud_cookie_result */
} e2ud_stats_t;

/* Add n to a counter of the calling thread's own e2ud_stats_t. One thread writes each counter,
 * so this is a relaxed load and store (plain moves on x86), not a locked read-modify-write;
 * the atomics are for the HTTP thread, which reads them while they change. */
static inline void e2ud_count(_Atomic uint64_t *c, uint64_t n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/* The per-zone slot of a zone (by origin), shared by all threads; -1 when all are taken. */
int e2ud_stats_zone_slot(const uint8_t *origin, size_t len);
/* Account one answered query (e2ud_answer does, for each). */
void e2ud_stats_query(e2ud_stats_t *s, int rcode, uint16_t qtype, int zone_slot);
/* Account the time n queries spent in e2ud, ns each: the transports time what they answer
 * (UDP a whole batch, whose answers leave together; TCP each message). */
void e2ud_stats_latency(e2ud_stats_t *s, uint64_t ns, uint64_t n);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t e2ud_now_ns(void);
/* Start the HTTP endpoint on addr serving /metrics from the threads' stats. */
int e2ud_stats_start(const e2ud_addr_t *addr, e2ud_stats_t *const *threads, size_t n);
void e2ud_stats_stop(void);
/* Report the number index's figures too (NULL: none). */
void e2ud_stats_indexer(const e2ud_indexer_t *ix);
/* The configuration's generation and what became of a reload: outcome 0 for the one loaded at
 * start, 1 for a reload applied (gen is then the new generation), -1 for one refused. */
void e2ud_stats_config(uint64_t gen, int outcome);

/* --- the server as a whole ------------------------------------------------------------------ */

typedef struct e2ud_server {
    /* The configuration e2ud started with (the first cfg, which main holds to the end). What
     * only a restart changes is read here: listen, the workers, udp-max-payload, the store's
     * settings, stats-listen. Everything else comes from a thread's e2ud_cfg_t. */
    const e2ud_conf_t *start;
    e2ud_cfg_t *cfg;                  /* the current configuration, under cfg_lock */
    pthread_mutex_t cfg_lock;
    _Atomic uint64_t cfg_gen;         /* cfg->gen, read without the lock */
    e2u_store_t *store;
    bool store_writable;              /* opened for UPDATE and transfers in */
    atomic_bool stop;                 /* SIGTERM: drain and leave */
    size_t nworkers;
    e2ud_stats_t **stats;             /* one per thread (UDP workers, then TCP workers) */
    size_t nstats;
} e2ud_server_t;

/* --- the running configuration (reload.c) ----------------------------------------------------- */

/* A reference to the current configuration. */
e2ud_cfg_t *e2ud_cfg_current(e2ud_server_t *srv);
/* Swap *held (a reference) for the current configuration when a reload has replaced it: one
 * relaxed load when it has not. */
void e2ud_cfg_renew(e2ud_server_t *srv, e2ud_cfg_t **held);
/* Make c (the caller's reference, taken over) the current configuration, one generation after
 * the one it replaces; the threads move to it at their next renew. */
void e2ud_cfg_publish(e2ud_server_t *srv, e2ud_cfg_t *c);

/*
 * SIGHUP: read srv->start->path again, apply the flags over it as at start, and make it the
 * current configuration: log settings, keys, remotes, ACLs, zones (their ACLs, notify and
 * master lists), the TCP limits and timeouts and the xfr-* limits take effect at once; the
 * NOTIFY and secondary threads follow (e2ud_notify_reload, e2ud_secondary_reload). Settings
 * only a restart changes are named in the log when they differ from the running ones. A file
 * with an error, keys libknot refuses, or a file that would need a writable store when e2ud
 * opened it read-only, is refused as a whole with the reason logged. Returns 0 or -1.
 */
int e2ud_reload(e2ud_server_t *srv, const e2ud_flags_t *flags);

/* --- policy: TSIG (RFC 8945) and ACLs (policy.c) ------------------------------------------- */

/* A request as policy sees it. */
typedef struct e2ud_req {
    const struct sockaddr_storage *from; /* the client (NULL in fuzzing: matches no network) */
    bool tcp;
    int key;                  /* configured key whose TSIG on the request verified, or -1 */
    uint16_t tsig_error;      /* RFC 8945 §5.2: BADSIG 16, BADKEY 17, BADTIME 18; 0 = none */
    bool signed_request;      /* the request carried a TSIG (valid or not) */
    uint8_t mac[64];          /* the request's MAC, for signing the answer */
    size_t mac_len;
    uint64_t time_signed;     /* the request's time signed, for a BADTIME answer */
    const knot_rrset_t *tsig_rr; /* the request's TSIG (borrowed from the parsed request) */
} e2ud_req_t;

/* Load c->conf.keys into c->tsig. Returns 0, or -1 with a message logged (none then loaded). */
int e2ud_keys_load(e2ud_cfg_t *c);
void e2ud_keys_free(e2ud_cfg_t *c);

/* Verify the TSIG of a parsed request (qp, wire as parsed) against the keys of c into r (c
 * NULL: no keys). Returns 0 when the request is unsigned or verified, else the TSIG error
 * (r->tsig_error) to answer NOTAUTH with. r->key indexes c's keys: sign the answer with the
 * same c. */
int e2ud_tsig_verify(const e2ud_cfg_t *c, knot_pkt_t *qp, e2ud_req_t *r);

/* Sign an answer of *len octets in wire[max] for the request r when r was signed (with
 * r->tsig_error, unsigned for BADKEY/BADSIG as RFC 8945 §5.3.2 asks). Returns 0 or -1. */
int e2ud_tsig_sign(const e2ud_cfg_t *c, const e2ud_req_t *r, uint8_t *wire, size_t *len,
                   size_t max);

/* Room a TSIG for r's key takes in an answer (0 for unsigned requests). */
size_t e2ud_tsig_room(const e2ud_cfg_t *c, const e2ud_req_t *r);

/*
 * Whether the ACL of zone z (NULL: a zone without configuration) allows the action for r. The
 * zone's rules are tried in order; the first whose networks, keys and actions all match
 * decides (allow, or deny with "deny: on"). No match denies, except for E2UD_ACT_QUERY on a
 * zone none of whose rules names the query action: queries are open by default.
 */
bool e2ud_acl_allows(const e2ud_conf_t *c, const e2ud_zone_conf_t *z, unsigned action,
                     const e2ud_req_t *r);
/* Whether the address a (NULL: none) is in the network n. */
bool e2ud_net_contains(const e2ud_net_t *n, const struct sockaddr_storage *a);

/* --- response rate limiting (rrl.c) ----------------------------------------------------------- */

/* A rate limiter as c says, its hash key drawn from getrandom; NULL when memory (or the
 * random source) fails. Shared by all UDP workers without a lock. */
e2ud_rrl_t *e2ud_rrl_new(const e2ud_rrl_conf_t *c);
void e2ud_rrl_free(e2ud_rrl_t *r); /* NULL: nothing */

/* What one UDP worker keeps for rate limiting: its count of limited answers (which of them
 * slip) and its log budget. Zeroed at start. */
typedef struct e2ud_rrl_state {
    uint64_t limited;
    uint64_t log_sec;
    unsigned logged;
} e2ud_rrl_state_t;

enum { E2UD_RRL_PASS, E2UD_RRL_DROP, E2UD_RRL_SLIP };

/* An answer's bucket, found before it is counted (so that a batch's buckets load together). */
typedef struct e2ud_rrl_ticket {
    uint64_t hash;
    const uint8_t *name; /* for the log: into the answer, or the zone's origin, or NULL */
    uint8_t cls;
    bool exempt;         /* never limited: TSIG or cookie verified, whitelisted, nothing to count */
} e2ud_rrl_ticket_t;

/* Find the bucket of the answer resp[len] (as e2ud_answer made it) to the client from into *t,
 * and start loading it; zone is the origin (wire) of the zone that answered, or NULL (*t keeps
 * pointers into resp and zone); proven: the request's TSIG verified, or it showed our server
 * cookie (the client is who it says it is: never limited, as in Knot). */
void e2ud_rrl_classify(const e2ud_rrl_t *r, const struct sockaddr_storage *from,
                       const uint8_t *resp, size_t len, const uint8_t *zone, bool proven,
                       e2ud_rrl_ticket_t *t);
/* Count the answer of ticket t against its bucket at second now_s of CLOCK_MONOTONIC. Returns
 * E2UD_RRL_PASS (send it), E2UD_RRL_DROP (send nothing) or E2UD_RRL_SLIP (send
 * e2ud_rrl_truncate of it). */
int e2ud_rrl_count(e2ud_rrl_t *r, e2ud_rrl_state_t *st, const e2ud_rrl_ticket_t *t,
                   const struct sockaddr_storage *from, uint64_t now_s);
/* Log at info level what c does (NULL: that rate limiting is off). */
void e2ud_rrl_log_conf(const e2ud_rrl_conf_t *c);
/* Whether r only counts (dry-run: on): the answers it would limit are sent as they are. */
bool e2ud_rrl_dry_run(const e2ud_rrl_t *r);
/* Cut the answer resp[len] down to its header and question, with TC set and its OPT kept (RFC
 * 6891 §6.1.1), in place; returns the new length. */
size_t e2ud_rrl_truncate(uint8_t *resp, size_t len);

/* --- DNS Cookies (cookies.c) ----------------------------------------------------------------- */

/* DNS Cookies as c says; NULL when memory or the random source fails. Shared by all workers. */
e2ud_cookies_t *e2ud_cookies_new(const e2ud_cookies_conf_t *c);
void e2ud_cookies_free(e2ud_cookies_t *ck); /* NULL: nothing */

/* One query's COOKIE option: the client cookie, and the server cookie for our answer. */
typedef struct e2ud_cookie {
    knot_edns_cookie_t cc, sc;
    bool put; /* our OPT carries cc and sc */
} e2ud_cookie_t;

typedef enum {
    E2UD_COOKIE_NONE,      /* no COOKIE option */
    E2UD_COOKIE_MALFORMED, /* a length RFC 7873 §4 does not allow: FORMERR */
    E2UD_COOKIE_VALID,     /* our server cookie for this client: echoed; not rate-limited */
    E2UD_COOKIE_NEW,       /* a client cookie alone, or a server cookie that does not verify:
                            * a new one made (BADCOOKIE over UDP, the answer over TCP) */
} e2ud_cookie_status_t;

/* Read the COOKIE option of qp from the client from into *out and judge it. */
e2ud_cookie_status_t e2ud_cookies_check(const e2ud_cookies_t *ck, const knot_pkt_t *qp,
                                        const struct sockaddr_storage *from, e2ud_cookie_t *out);
/* Whether this bad cookie over UDP gets its BADCOOKIE (one in badcookie-slip) or nothing. */
bool e2ud_cookies_answer_bad(e2ud_cookies_t *ck);
/* Add the COOKIE option of c to opt. KNOT_EOK or a libknot error. */
int e2ud_cookie_add(const e2ud_cookie_t *c, knot_rrset_t *opt);
/* Log at info level what c does (NULL: that DNS Cookies are off). */
void e2ud_cookies_log_conf(const e2ud_cookies_conf_t *c);

/* --- the query path ------------------------------------------------------------------------- */

/* One thread's view of the data: its store reader and scratch space. */
typedef struct e2ud_qctx {
    e2ud_server_t *srv;               /* the store and the current configuration; NULL in fuzzing */
    e2ud_cfg_t *cfg;                  /* the configuration held (renewed per batch); NULL too */
    e2u_store_rd_t *rd;
    uint8_t *buf;                     /* E2U_STORE_BUF_MIN octets for expanded RRsets */
    e2ud_stats_t *stats;
    uint16_t udp_max_payload;
    /* what the last e2ud_answer found, for rate limiting: the origin (wire) of the zone that
     * answered, valid until the next renew, or NULL; whether the request's TSIG verified */
    const uint8_t *zone;
    bool authenticated;
    /* the request's COOKIE (cookies.c): for our OPT; valid: a server cookie of ours, which
     * exempts the answer from rate limiting as a verified TSIG does */
    e2ud_cookie_t cookie;
    bool cookie_valid;
} e2ud_qctx_t;

int e2ud_qctx_init(e2ud_qctx_t *q, e2ud_server_t *srv, e2u_store_t *st, e2ud_stats_t *stats,
                   uint16_t udp_max);
void e2ud_qctx_free(e2ud_qctx_t *q);
/* Bring the reader to the latest commit and the configuration to the current one (once per
 * batch of queries). */
void e2ud_qctx_renew(e2ud_qctx_t *q);
/* Let go of the reader's snapshot while the thread has nothing to do: an idle worker must not
 * keep LMDB from reusing the pages later commits freed (the store would only grow). */
void e2ud_qctx_idle(e2ud_qctx_t *q);
/* Start loading what answering query (a DNS message of qlen octets, not validated) will need
 * from the store's number index; step 0 then step 1 for every query of a batch, before
 * answering the first (e2u_store_prefetch). */
void e2ud_qctx_prefetch(e2ud_qctx_t *q, const uint8_t *query, size_t qlen, unsigned step);

/*
 * Answer one DNS message of qlen octets into resp[cap] (cap: 65535 for TCP, the UDP buffer
 * otherwise); from and tcp describe the client. Returns the response length, or 0 when nothing
 * must be sent (a response, a message too short to answer, a question that does not parse).
 * Zone transfers are not answered here over TCP: see e2ud_xfr_out_start.
 */
size_t e2ud_answer(e2ud_qctx_t *q, const uint8_t *query, size_t qlen, uint8_t *resp, size_t cap,
                   const struct sockaddr_storage *from, bool tcp);

/* Our OPT for an answer to qp, which has one (RFC 6891 §6.1.1): our UDP payload size, the DO
 * bit echoed, and the configured NSID when qp asked for it (RFC 5001 §2.1). KNOT_EOK, or a
 * libknot error; the caller frees it with knot_rrset_clear(opt, NULL). */
int e2ud_opt_init(const e2ud_qctx_t *q, const knot_pkt_t *qp, knot_rrset_t *opt);

/* Extended DNS Errors (RFC 8914 §4) e2ud gives in its OPT. */
#define E2UD_EDE_PROHIBITED        18 /* a private zone's ACL refused the client */
#define E2UD_EDE_NOT_AUTHORITATIVE 20 /* no zone of ours holds the name */
#define E2UD_EDE_INVALID_DATA      24 /* a secondary's zone past its EXPIRE */

/* Add an Extended DNS Error option of code to opt. KNOT_EOK or a libknot error. */
int e2ud_opt_add_ede(knot_rrset_t *opt, uint16_t code);

/* Append our OPT (e2ud_opt_init) to the message resp[len] when qp has one, within cap: with the
 * upper bits of rcode (RFC 6891 §6.1.3) and, if ede >= 0, that Extended DNS Error. Raises
 * ARCOUNT. Returns the new length; len when qp has no OPT or ours does not fit. Call it before
 * a TSIG is added, which must come last. */
size_t e2ud_opt_append(const e2ud_qctx_t *q, const knot_pkt_t *qp, uint8_t *resp, size_t len,
                       size_t cap, uint16_t rcode, int ede);

/* An error answer with rcode to the parsed query qp, its question echoed (as Knot answers once
 * the question parses) and our OPT if qp had one, unsigned, in resp[cap]. Returns its length, 0
 * when it cannot be built. */
size_t e2ud_error_with_question(const e2ud_qctx_t *q, knot_pkt_t *qp, uint8_t *resp, size_t cap,
                                uint16_t rcode);

/* --- replication and provisioning (issue 6) -------------------------------------------------- */

/* UPDATE (RFC 2136), opcode 5: answer in resp[cap], return its length (update.c). The request
 * is parsed (qp) and its TSIG verified (r). */
size_t e2ud_update(e2ud_qctx_t *q, knot_pkt_t *qp, const e2ud_req_t *r, uint8_t *resp,
                   size_t cap);

/* NOTIFY (RFC 1996), opcode 4, received for a zone this server is a secondary of (xfr_in.c). */
size_t e2ud_notify_in(e2ud_qctx_t *q, knot_pkt_t *qp, const e2ud_req_t *r, uint8_t *resp,
                      size_t cap);

/* An outgoing zone transfer on a TCP connection (xfr_out.c): started for an AXFR or IXFR
 * query, then asked for one message at a time as the connection drains. */
typedef struct e2ud_xfr e2ud_xfr_t;
/* Whether the message is an AXFR/IXFR query (so that TCP hands it to e2ud_xfr_out_start). */
bool e2ud_is_xfr_query(const uint8_t *query, size_t qlen);
/* Start: checks the ACL and the zone; writes the first message (or the refusal) into
 * resp[cap] with its length in *len. Returns the transfer to continue, or NULL when that first
 * message was all. */
e2ud_xfr_t *e2ud_xfr_out_start(e2ud_qctx_t *q, const uint8_t *query, size_t qlen,
                               const struct sockaddr_storage *from, uint8_t *resp, size_t cap,
                               size_t *len);
/* The next message into resp[cap]: returns 1 (more follow), 0 (that was the last) or -1. */
int e2ud_xfr_out_next(e2ud_xfr_t *x, uint8_t *resp, size_t cap, size_t *len);
void e2ud_xfr_out_free(e2ud_xfr_t *x);

/* Background threads: NOTIFY to secondaries after each change (notify.c), and the secondary
 * side: refresh from primaries (xfr_in.c). Both return 0 or -1; stop joins. Reload: follow the
 * current configuration (after e2ud_cfg_publish), starting the thread when it now has work. */
int e2ud_notify_start(e2ud_server_t *srv);
int e2ud_notify_reload(e2ud_server_t *srv);
void e2ud_notify_stop(void);
int e2ud_secondary_start(e2ud_server_t *srv);
int e2ud_secondary_reload(e2ud_server_t *srv);
void e2ud_secondary_stop(void);

/* --- transports ----------------------------------------------------------------------------- */

/* Open the UDP sockets of every listen address (SO_REUSEPORT, one per worker). */
int e2ud_udp_start(e2ud_server_t *srv, unsigned nworkers, e2ud_stats_t **stats);
void e2ud_udp_join(void);
int e2ud_tcp_start(e2ud_server_t *srv, unsigned nworkers, e2ud_stats_t **stats);
void e2ud_tcp_join(void);

/* --- xfr_in.c --- */

/* Whether the zone with this origin (wire, any case) is a secondary zone past its EXPIRE
 * (RFC 1035 §3.3.13): no refresh succeeded for EXPIRE seconds, so the query path answers
 * SERVFAIL for it. A few ns when no zone has expired; safe from any thread. */
bool e2ud_zone_expired(const uint8_t *origin);

/* --- xfr_out.c / notify.c --- */

/* IXFR over UDP (RFC 1995 §2), for the query path in place of NOTIMP: our SOA alone, as Knot
 * answers (the client then transfers over TCP unless it is current); NOTAUTH for a name that is
 * not a zone's origin, REFUSED when the zone's ACL does not allow transfer, FORMERR without the
 * client's SOA. qp is the parsed query, r its verified TSIG; the answer fits the client's EDNS
 * payload (512 without EDNS) and cap. Returns its length. */
size_t e2ud_ixfr_udp(e2ud_qctx_t *q, knot_pkt_t *qp, const e2ud_req_t *r, uint8_t *resp,
                     size_t cap);

#endif
