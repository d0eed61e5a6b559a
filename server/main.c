/*
 * server/main.c — e2ud: the authoritative ENUM DNS server over an e2u store.
 *
 *     e2ud -d DB -l ADDR@PORT [-l ...] [-c CONFIG]
 *
 * The flags alone are enough to serve (DESIGN.md); a Knot-style configuration file adds the
 * rest (server/conf.c). `e2ud --check -c FILE` validates a file and exits.
 *
 * Threads: UDP workers (one per CPU by default), TCP workers, the statistics endpoint, and the
 * main thread, which only waits for signals (all are blocked elsewhere):
 *   SIGTERM, SIGINT  drain: workers finish what they hold, then exit; status 0;
 *   SIGHUP           reread the configuration file (reload.c): a file with an error is
 *                    reported and changes nothing; otherwise keys, remotes, ACLs, zones, the
 *                    log, identity/version/nsid, the TCP and transfer limits take effect at
 *                    once, and the log names any changed setting that waits for a restart
 *                    (listen, workers, udp-max-payload, storage, store-*, stats-listen).
 * The store is opened read-only: e2uctl and replication write it from other processes, and
 * each worker renews its snapshot per batch, so a change is answered by the next query.
 */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include "e2u/e2u.h"
#include "server.h"

static void usage(FILE *f)
{
    fputs("Usage: e2ud -d DB -l ADDR[@PORT] [-l ...] [-c CONFIG] [OPTIONS]\n"
          "       e2ud --check -c CONFIG\n"
          "\n"
          "Serve every zone of the e2u store DB as an authoritative DNS server.\n"
          "\n"
          "Options:\n"
          "  -d, --db DIR            the store (an LMDB directory made by e2uctl)\n"
          "  -l, --listen ADDR[@PORT]  address to serve on, IPv4 or IPv6; repeatable;\n"
          "                          port 53 by default\n"
          "  -c, --config FILE       configuration file (Knot DNS syntax; see below)\n"
          "  -n, --workers N         UDP worker threads (default: one per CPU)\n"
          "      --check             check the configuration and the store, then exit\n"
          "  -V, --version           print the version\n"
          "  -h, --help              show this help\n"
          "\n"
          "Configuration file items: server: listen, udp-workers, tcp-workers, tcp-max-clients,\n"
          "tcp-idle-timeout (s), tcp-io-timeout (ms), udp-max-payload, stats-listen,\n"
          "store-huge-pages (on|off, default on: map a store of 64 MiB or more in 2 MiB pages\n"
          "where the kernel can, rereading it from disk once at start), store-index (on|off,\n"
          "default on: keep an index of the numbers in memory, about 10.5 bytes per number,\n"
          "rebuilt in the background after changes), store-index-max-size (default a quarter\n"
          "of the memory; sizes take K, M, G), xfr-max-size, xfr-timeout (s), identity\n"
          "(CH TXT id.server and hostname.bind; default the host's name), version (CH TXT\n"
          "version.server and version.bind; default e2ud VERSION), nsid (RFC 5001: text, or\n"
          "0x and hex digits; default the host's name); \"\" turns each of these three off;\n"
          "database: storage; log: - target: stderr|syslog, any: LEVEL.\n"
          "Response rate limiting over UDP, as Knot's mod-rrl: mod-rrl: - id, rate-limit\n"
          "(answers a second to one /24 or /56 network, per kind of answer and name), slip\n"
          "(every Nth limited answer sent truncated, the rest dropped; 0 drops all; default\n"
          "1), table-size (default 393241 buckets), whitelist, dry-run (on: count and log\n"
          "only); turned on by template: - id: default, global-module: mod-rrl/ID. TCP\n"
          "answers, TSIG-signed requests and requests with a valid server cookie are never\n"
          "limited.\n"
          "DNS Cookies (RFC 7873, server cookies as RFC 9018), as Knot's mod-cookies:\n"
          "mod-cookies: - id, secret (16 octets as 0x and 32 hex digits, shared by the\n"
          "servers of one address; default a random one), secret-lifetime (how often the\n"
          "random one changes, default 26h), badcookie-slip (answer one in N bad cookies\n"
          "over UDP with BADCOOKIE, drop the rest; default 1); turned on by global-module:\n"
          "mod-cookies/ID (or mod-cookies at its defaults) beside mod-rrl/ID.\n"
          "Flags override the file.\n"
          "\n"
          "Signals: SIGTERM drains and exits. SIGHUP rereads the configuration file: keys,\n"
          "remotes, ACLs, zones (acl, notify, master), log, mod-rrl (its counts start\n"
          "afresh), mod-cookies (a random secret is drawn again), identity, version, nsid,\n"
          "tcp-max-clients, tcp-*-timeout and xfr-* take effect at once, for the next query;\n"
          "listen, udp-workers, tcp-workers, udp-max-payload, storage, store-* and\n"
          "stats-listen at restart (the log names them).\n"
          "A file with an error changes nothing.\n",
          f);
}

static int check_store(const char *db)
{
    e2u_store_t *st;
    e2u_diag_t d;
    e2u_store_opts_t o = {.read_only = true};
    if (e2u_store_open(&st, db, &o, &d) < 0) {
        fprintf(stderr, "e2ud: store %s: %s\n", db, d.msg);
        return -1;
    }
    e2u_store_close(st);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},     {"listen", required_argument, NULL, 'l'},
        {"config", required_argument, NULL, 'c'}, {"workers", required_argument, NULL, 'n'},
        {"check", no_argument, NULL, 'C'},        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    e2ud_conf_t conf;
    e2ud_flags_t flags = {0};
    const char *cfile = NULL;
    bool check = false;
    int opt;
    char err[512];

    e2ud_conf_init(&conf);
    while ((opt = getopt_long(argc, argv, "d:l:c:n:Vh", opts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            flags.db = optarg;
            break;
        case 'l':
            if (flags.nlisten == E2UD_LISTEN_MAX) {
                fprintf(stderr, "e2ud: at most %d -l options\n", E2UD_LISTEN_MAX);
                return 2;
            }
            flags.listen[flags.nlisten++] = optarg;
            break;
        case 'c':
            cfile = optarg;
            break;
        case 'n': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*optarg == '\0' || *end || v == 0 || v > E2UD_WORKERS_MAX) {
                fprintf(stderr, "e2ud: -n '%s': expected 1 to %d\n", optarg, E2UD_WORKERS_MAX);
                return 2;
            }
            flags.workers = (unsigned)v;
            break;
        }
        case 'C':
            check = true;
            break;
        case 'V':
            printf("e2ud %s\n", e2u_version());
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "e2ud: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (cfile && e2ud_conf_load(&conf, cfile, err, sizeof(err)) < 0) {
        fprintf(stderr, "e2ud: %s\n", err);
        e2ud_conf_free(&conf);
        return 1;
    }
    if (e2ud_conf_flags(&conf, &flags, err, sizeof(err)) < 0) {
        fprintf(stderr, "e2ud: %s\n", err);
        e2ud_conf_free(&conf);
        return 2;
    }
    if (check) {
        if (!cfile && !conf.db) {
            fprintf(stderr, "e2ud: --check needs -c FILE or -d DB\n");
            e2ud_conf_free(&conf);
            return 2;
        }
        if (conf.db && check_store(conf.db) < 0) {
            e2ud_conf_free(&conf);
            return 1;
        }
        printf("e2ud: configuration%s OK\n", conf.db ? " and store" : "");
        e2ud_conf_free(&conf);
        return 0;
    }
    if (!conf.db || conf.nlisten == 0) {
        fprintf(stderr, "e2ud: a store (-d DB) and an address to listen on (-l ADDR@PORT) are "
                        "needed\n");
        usage(stderr);
        e2ud_conf_free(&conf);
        return 2;
    }
    e2ud_log_open(conf.log_target, conf.log_level);

    /* the store is written by e2ud itself only as a secondary or for UPDATE */
    e2ud_server_t srv = {.store_writable = e2ud_conf_writes(&conf, NULL, 0)};
    pthread_mutex_init(&srv.cfg_lock, NULL);
    e2ud_cfg_t *first = e2ud_cfg_new(&conf); /* takes conf over; logs a key libknot refuses */
    if (!first)
        return 1;
    e2ud_cfg_publish(&srv, e2ud_cfg_ref(first)); /* main keeps its reference: srv.start */
    e2ud_stats_config(first->gen, 0);
    srv.start = &first->conf;
    const e2ud_conf_t *sc = srv.start;
    e2u_store_opts_t so = {.read_only = !srv.store_writable};
    e2u_diag_t d;
    if (e2u_store_open(&srv.store, sc->db, &so, &d) < 0) {
        e2ud_log(LOG_CRIT, "store %s: %s", sc->db, d.msg);
        e2ud_cfg_unref(srv.cfg);
        e2ud_cfg_unref(first);
        return 1;
    }

    /* all threads inherit a mask with the signals main waits for */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    unsigned nudp = sc->udp_workers;
    if (nudp == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nudp = n > 0 && n <= E2UD_WORKERS_MAX ? (unsigned)n : 1;
    }
    unsigned ntcp = sc->tcp_workers;
    srv.nstats = nudp + ntcp;
    srv.stats = calloc(srv.nstats, sizeof(e2ud_stats_t *));
    for (size_t i = 0; srv.stats && i < srv.nstats; i++) {
        srv.stats[i] = aligned_alloc(64, (sizeof(e2ud_stats_t) + 63) / 64 * 64);
        if (!srv.stats[i]) {
            e2ud_log(LOG_CRIT, "out of memory");
            for (size_t k = 0; k < i; k++)
                free(srv.stats[k]);
            free(srv.stats);
            e2u_store_close(srv.store);
            e2ud_cfg_unref(srv.cfg);
            e2ud_cfg_unref(first);
            return 1;
        }
        memset(srv.stats[i], 0, sizeof(e2ud_stats_t));
    }
    if (!srv.stats) {
        e2ud_log(LOG_CRIT, "out of memory");
        e2u_store_close(srv.store);
        e2ud_cfg_unref(srv.cfg);
        e2ud_cfg_unref(first);
        return 1;
    }
    /* the store's pages into memory in the background (preload.c) */
    e2ud_preload_t preload = {.store = srv.store, .db = sc->db, .huge = sc->store_huge_pages};
    e2ud_preload_start(&preload);
    /* the number index of the latest commit, kept in the background (indexer.c) */
    e2ud_indexer_t indexer = {
        .store = srv.store, .preload = &preload, .max_bytes = sc->store_index_max_bytes};
    if (sc->store_index)
        e2ud_indexer_start(&indexer);
    e2ud_stats_indexer(sc->store_index ? &indexer : NULL);

    int rc = 0;
    if (e2ud_udp_start(&srv, nudp, srv.stats) < 0 ||
        e2ud_tcp_start(&srv, ntcp, srv.stats + nudp) < 0) {
        atomic_store(&srv.stop, true);
        rc = 1;
    } else {
        if (sc->stats_listen.len)
            e2ud_stats_start(&sc->stats_listen, (e2ud_stats_t *const *)srv.stats, srv.nstats);
        if (e2ud_notify_start(&srv) < 0 || e2ud_secondary_start(&srv) < 0) {
            atomic_store(&srv.stop, true);
            rc = 1;
        }
        for (size_t i = 0; i < sc->nlisten; i++)
            e2ud_log(LOG_INFO, "serving %s on %s (UDP and TCP)", sc->db, sc->listen[i].text);
        e2ud_log(LOG_INFO, "e2ud %s started: %u UDP and %u TCP workers", e2u_version(), nudp, ntcp);
        if (sc->rrl >= 0)
            e2ud_rrl_log_conf(&sc->rrls[sc->rrl]);
        if (sc->cookie >= 0)
            e2ud_cookies_log_conf(&sc->cookies[sc->cookie]);
    }
    bool signalled = false;
    while (!atomic_load(&srv.stop)) {
        struct timespec ts = {0, 200000000};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGTERM || sig == SIGINT) {
            e2ud_log(LOG_INFO, "stopping (signal %d): draining", sig);
            signalled = true;
            atomic_store(&srv.stop, true);
        } else if (sig == SIGHUP) {
            e2ud_reload(&srv, &flags);
        }
    }
    if (!signalled)
        rc = 1; /* a worker gave up: its message is in the log */
    e2ud_preload_stop(&preload);
    e2ud_indexer_stop(&indexer);
    e2ud_secondary_stop();
    e2ud_notify_stop();
    e2ud_udp_join();
    e2ud_tcp_join();
    e2ud_stats_stop();
    e2u_store_close(srv.store);
    for (size_t i = 0; i < srv.nstats; i++)
        free(srv.stats[i]);
    free(srv.stats);
    e2ud_log(LOG_INFO, "stopped");
    e2ud_cfg_unref(srv.cfg);
    e2ud_cfg_unref(first);
    pthread_mutex_destroy(&srv.cfg_lock);
    return rc;
}
