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
 *   SIGHUP           reread the configuration file: a file with an error is reported and
 *                    changes nothing; otherwise its log target and level take effect, and
 *                    every other setting waits for a restart (the log line says so).
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
          "of the memory; sizes take K, M, G), xfr-max-size, xfr-timeout (s);\n"
          "database: storage; log: - target: stderr|syslog, any: LEVEL.\n"
          "Flags override the file.\n"
          "\n"
          "Signals: SIGTERM drains and exits; SIGHUP rereads the configuration file and applies\n"
          "its log settings (the other settings take effect at restart).\n",
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
    const char *db = NULL, *cfile = NULL;
    const char *listen[E2UD_LISTEN_MAX];
    size_t nlisten = 0;
    unsigned workers = 0;
    bool check = false;
    int opt;
    char err[512];

    e2ud_conf_init(&conf);
    while ((opt = getopt_long(argc, argv, "d:l:c:n:Vh", opts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            db = optarg;
            break;
        case 'l':
            if (nlisten == E2UD_LISTEN_MAX) {
                fprintf(stderr, "e2ud: at most %d -l options\n", E2UD_LISTEN_MAX);
                return 2;
            }
            listen[nlisten++] = optarg;
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
            workers = (unsigned)v;
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
    if (db) {
        free(conf.db);
        conf.db = strdup(db);
    }
    if (nlisten) {
        conf.nlisten = 0;
        for (size_t i = 0; i < nlisten; i++) {
            if (e2ud_addr_parse(&conf.listen[conf.nlisten++], listen[i], 53) < 0) {
                fprintf(stderr, "e2ud: -l '%s': expected ADDRESS[@PORT] (IPv4 or IPv6)\n",
                        listen[i]);
                e2ud_conf_free(&conf);
                return 2;
            }
        }
    }
    if (workers)
        conf.udp_workers = workers;
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

    e2ud_server_t srv = {.conf = &conf};
    if (e2ud_keys_load(&srv) < 0) {
        e2ud_conf_free(&conf);
        return 1;
    }
    /* the store is written by e2ud itself only as a secondary or for UPDATE */
    bool writes = false;
    for (size_t i = 0; i < conf.nzones; i++)
        writes |= conf.zones[i].nmaster > 0;
    for (size_t i = 0; i < conf.nacls; i++)
        writes |= (conf.acls[i].actions & E2UD_ACT_UPDATE) && !conf.acls[i].deny;
    e2u_store_opts_t so = {.read_only = !writes};
    e2u_diag_t d;
    if (e2u_store_open(&srv.store, conf.db, &so, &d) < 0) {
        e2ud_log(LOG_CRIT, "store %s: %s", conf.db, d.msg);
        e2ud_conf_free(&conf);
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

    unsigned nudp = conf.udp_workers;
    if (nudp == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        nudp = n > 0 && n <= E2UD_WORKERS_MAX ? (unsigned)n : 1;
    }
    unsigned ntcp = conf.tcp_workers;
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
            e2ud_conf_free(&conf);
            return 1;
        }
        memset(srv.stats[i], 0, sizeof(e2ud_stats_t));
    }
    if (!srv.stats) {
        e2ud_log(LOG_CRIT, "out of memory");
        e2u_store_close(srv.store);
        e2ud_conf_free(&conf);
        return 1;
    }
    /* the store's pages into memory in the background (preload.c) */
    e2ud_preload_t preload = {.store = srv.store, .db = conf.db, .huge = conf.store_huge_pages};
    e2ud_preload_start(&preload);
    /* the number index of the latest commit, kept in the background (indexer.c) */
    e2ud_indexer_t indexer = {
        .store = srv.store, .preload = &preload, .max_bytes = conf.store_index_max_bytes};
    if (conf.store_index)
        e2ud_indexer_start(&indexer);
    e2ud_stats_indexer(conf.store_index ? &indexer : NULL);

    int rc = 0;
    if (e2ud_udp_start(&srv, nudp, srv.stats) < 0 ||
        e2ud_tcp_start(&srv, ntcp, srv.stats + nudp) < 0) {
        atomic_store(&srv.stop, true);
        rc = 1;
    } else {
        if (conf.stats_listen.len)
            e2ud_stats_start(&conf.stats_listen, (e2ud_stats_t *const *)srv.stats, srv.nstats);
        if (e2ud_notify_start(&srv) < 0 || e2ud_secondary_start(&srv) < 0) {
            atomic_store(&srv.stop, true);
            rc = 1;
        }
        for (size_t i = 0; i < conf.nlisten; i++)
            e2ud_log(LOG_INFO, "serving %s on %s (UDP and TCP)", conf.db, conf.listen[i].text);
        e2ud_log(LOG_INFO, "e2ud %s started: %u UDP and %u TCP workers", e2u_version(), nudp, ntcp);
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
            if (!conf.path) {
                e2ud_log(LOG_NOTICE, "SIGHUP: no configuration file to reload");
                continue;
            }
            e2ud_conf_t nc;
            e2ud_conf_init(&nc);
            if (e2ud_conf_load(&nc, conf.path, err, sizeof(err)) < 0) {
                e2ud_log(LOG_ERR, "reload failed, keeping the running configuration: %s", err);
            } else {
                conf.log_target = nc.log_target;
                conf.log_level = nc.log_level;
                e2ud_log_open(conf.log_target, conf.log_level);
                e2ud_log(LOG_INFO,
                         "configuration %s reloaded: log target and level applied; the other "
                         "settings (listen, workers, zones, keys, ACLs, store-*, xfr-*, "
                         "stats-listen) take effect at restart",
                         conf.path);
            }
            e2ud_conf_free(&nc);
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
    e2ud_keys_free(&srv);
    e2u_store_close(srv.store);
    for (size_t i = 0; i < srv.nstats; i++)
        free(srv.stats[i]);
    free(srv.stats);
    e2ud_log(LOG_INFO, "stopped");
    e2ud_conf_free(&conf);
    return rc;
}
