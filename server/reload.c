/*
 * server/reload.c — the running configuration, and SIGHUP.
 *
 * A configuration in use (e2ud_cfg_t) is a parsed file with its TSIG keys loaded, and it is
 * never changed once made: a reload builds a new one beside it and publishes it. The threads
 * that decide by it (UDP and TCP workers, the NOTIFY and secondary threads) each hold a counted
 * reference and compare the server's generation number with their own at a point where they
 * hold no request: a UDP worker per batch, a TCP worker per message, the secondary thread
 * between refreshes. That costs one relaxed load while nothing changes; when something did,
 * the thread takes the lock, a reference to the new configuration, and drops the old one. A
 * zone transfer out holds the configuration it started under until its last message, since its
 * TSIG key is an index into that configuration's keys. The last reference frees a
 * configuration, so an idle worker keeps an old one (143 KiB, and its rate-limiting table if
 * any) until it next wakes.
 *
 * What a reload applies and what waits for a restart follows from what the threads can take
 * between two requests. Log target and level, keys, remotes, ACLs and zones (their ACLs, the
 * secondaries they notify, the primaries they are transferred from), the TCP client limit and
 * timeouts, the transfer limits, and what the server says of itself (identity, version, nsid)
 * are read per request or per refresh, so they change at once. The sockets and threads (listen,
 * udp-workers, tcp-workers), the UDP buffers (udp-max-payload), the store and how it is mapped
 * (storage, store-*), and the statistics endpoint are set up once; a reload that changes them
 * says which take effect at restart, as Knot DNS does for its own such settings. The store is
 * opened read-only unless the first configuration writes it (a secondary zone, an ACL that
 * allows UPDATE), so a reload that would start writing a read-only store is refused whole:
 * nothing of it applies, and the log says to restart.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "server.h"

/* Free c and all it owns (its keys loaded; the rest, made or NULL). */
static void cfg_destroy(e2ud_cfg_t *c)
{
    e2ud_rrl_free(c->rrl);
    e2ud_cookies_free(c->cookies);
    e2ud_keys_free(c);
    e2ud_conf_free(&c->conf);
    free(c);
}

e2ud_cfg_t *e2ud_cfg_new(e2ud_conf_t *conf)
{
    e2ud_cfg_t *c = calloc(1, sizeof(*c));
    if (!c) {
        e2ud_log(LOG_CRIT, "configuration: out of memory");
        e2ud_conf_free(conf);
        return NULL;
    }
    c->conf = *conf; /* taken over: the pointers inside now belong to c */
    e2ud_conf_init(conf);
    if (e2ud_keys_load(c) < 0) {
        e2ud_conf_free(&c->conf);
        free(c);
        return NULL;
    }
    if (c->conf.rrl >= 0 && !(c->rrl = e2ud_rrl_new(&c->conf.rrls[c->conf.rrl]))) {
        e2ud_log(LOG_CRIT, "mod-rrl '%s': cannot make a table of %u buckets (no memory, or no "
                 "random key)",
                 c->conf.rrls[c->conf.rrl].id, c->conf.rrls[c->conf.rrl].table_size);
        cfg_destroy(c);
        return NULL;
    }
    if (c->conf.cookie >= 0 &&
        !(c->cookies = e2ud_cookies_new(&c->conf.cookies[c->conf.cookie]))) {
        e2ud_log(LOG_CRIT, "mod-cookies: cannot make its secret (no memory, or no random source)");
        cfg_destroy(c);
        return NULL;
    }
    c->gen = 1;
    atomic_init(&c->refs, 1);
    return c;
}

e2ud_cfg_t *e2ud_cfg_ref(e2ud_cfg_t *c)
{
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void e2ud_cfg_unref(e2ud_cfg_t *c)
{
    if (c && atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
        cfg_destroy(c);
}

e2ud_cfg_t *e2ud_cfg_current(e2ud_server_t *srv)
{
    pthread_mutex_lock(&srv->cfg_lock);
    e2ud_cfg_t *c = e2ud_cfg_ref(srv->cfg);
    pthread_mutex_unlock(&srv->cfg_lock);
    return c;
}

void e2ud_cfg_renew(e2ud_server_t *srv, e2ud_cfg_t **held)
{
    if (atomic_load_explicit(&srv->cfg_gen, memory_order_relaxed) == (*held)->gen)
        return;
    e2ud_cfg_t *old = *held;
    *held = e2ud_cfg_current(srv);
    e2ud_cfg_unref(old);
}

void e2ud_cfg_publish(e2ud_server_t *srv, e2ud_cfg_t *c)
{
    pthread_mutex_lock(&srv->cfg_lock);
    e2ud_cfg_t *old = srv->cfg;
    c->gen = old ? old->gen + 1 : 1;
    srv->cfg = c;
    atomic_store_explicit(&srv->cfg_gen, c->gen, memory_order_relaxed);
    pthread_mutex_unlock(&srv->cfg_lock);
    e2ud_cfg_unref(old);
}

/* Append name to the list in buf (", "-separated). */
static void add_name(char *buf, size_t len, const char *name)
{
    size_t n = strlen(buf);
    snprintf(buf + n, len - n, "%s%s", n ? ", " : "", name);
}

/* The settings of nc that differ from the running ones (a) but take effect only at a restart,
 * as a list of their names in buf (empty when none). */
static void restart_only(const e2ud_conf_t *a, const e2ud_conf_t *nc, char *buf, size_t len)
{
    buf[0] = '\0';
    bool listen = a->nlisten != nc->nlisten;
    for (size_t i = 0; !listen && i < a->nlisten; i++)
        listen = strcmp(a->listen[i].text, nc->listen[i].text) != 0;
    if (listen)
        add_name(buf, len, "listen");
    if (a->udp_workers != nc->udp_workers)
        add_name(buf, len, "udp-workers");
    if (a->tcp_workers != nc->tcp_workers)
        add_name(buf, len, "tcp-workers");
    if (a->udp_max_payload != nc->udp_max_payload)
        add_name(buf, len, "udp-max-payload");
    if (strcmp(a->db ? a->db : "", nc->db ? nc->db : "") != 0)
        add_name(buf, len, "database storage");
    if (a->store_huge_pages != nc->store_huge_pages)
        add_name(buf, len, "store-huge-pages");
    if (a->store_index != nc->store_index)
        add_name(buf, len, "store-index");
    if (a->store_index_max_bytes != nc->store_index_max_bytes)
        add_name(buf, len, "store-index-max-size");
    if (a->stats_listen.len != nc->stats_listen.len ||
        (a->stats_listen.len && strcmp(a->stats_listen.text, nc->stats_listen.text) != 0))
        add_name(buf, len, "stats-listen");
}

/* e2ud_reload without the statistics: 1 when applied, -1 when refused (nothing changed). */
static int reload(e2ud_server_t *srv, const e2ud_flags_t *flags)
{
    const char *path = srv->start->path;
    if (!path) {
        e2ud_log(LOG_NOTICE, "SIGHUP: no configuration file to reload (e2ud started without -c)");
        return -1;
    }
    char err[512], why[300];
    e2ud_conf_t nc;
    e2ud_conf_init(&nc);
    if (e2ud_conf_load(&nc, path, err, sizeof(err)) < 0 ||
        e2ud_conf_flags(&nc, flags, err, sizeof(err)) < 0) {
        e2ud_log(LOG_ERR, "reload failed, keeping the running configuration: %s", err);
        e2ud_conf_free(&nc);
        return -1;
    }
    if (!srv->store_writable && e2ud_conf_writes(&nc, why, sizeof(why))) {
        e2ud_log(LOG_ERR,
                 "reload of %s refused, keeping the running configuration: %s, which needs the "
                 "store opened for writing, and e2ud opened it read-only at start; restart e2ud "
                 "to apply this file",
                 path, why);
        e2ud_conf_free(&nc);
        return -1;
    }
    char later[300];
    restart_only(srv->start, &nc, later, sizeof(later));
    e2ud_cfg_t *c = e2ud_cfg_new(&nc); /* takes nc over; logs a key libknot refuses */
    if (!c) {
        e2ud_log(LOG_ERR, "reload failed, keeping the running configuration");
        return -1;
    }
    /* c stays valid after the publish: only this thread replaces the server's reference */
    const e2ud_conf_t *cc = &c->conf;
    bool rrl_before = srv->cfg->rrl != NULL; /* this thread is its only writer */
    bool cookies_before = srv->cfg->cookies != NULL;
    e2ud_log_open(cc->log_target, cc->log_level);
    e2ud_cfg_publish(srv, c);
    e2ud_stats_config(c->gen, 1);
    e2ud_log(LOG_INFO,
             "configuration %s reloaded (generation %llu): %zu zones, %zu ACLs, %zu keys, "
             "%zu remotes",
             path, (unsigned long long)c->gen, cc->nzones, cc->nacls, cc->nkeys, cc->nremotes);
    if (cc->rrl >= 0 || rrl_before)
        e2ud_rrl_log_conf(cc->rrl >= 0 ? &cc->rrls[cc->rrl] : NULL);
    if (cc->cookie >= 0 || cookies_before)
        e2ud_cookies_log_conf(cc->cookie >= 0 ? &cc->cookies[cc->cookie] : NULL);
    if (later[0])
        e2ud_log(LOG_NOTICE, "reload: changed settings that take effect at restart: %s", later);
    /* the threads of the new configuration (each logs what goes wrong; the rest applies) */
    e2ud_notify_reload(srv);
    e2ud_secondary_reload(srv);
    return 1;
}

int e2ud_reload(e2ud_server_t *srv, const e2ud_flags_t *flags)
{
    if (reload(srv, flags) > 0)
        return 0;
    e2ud_stats_config(0, -1);
    return -1;
}
