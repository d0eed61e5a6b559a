/*
 * fuzz/fuzz_conf.c — libFuzzer target for e2ud's configuration file (server/conf.c).
 *
 * e2ud_conf_load reads a path (libknot's yparser maps the file), so each input is written to
 * one temporary file, made once, and loaded into a fresh configuration as main.c and a SIGHUP
 * reload do. Checks (abort on violation):
 *   - the load returns 0 or -1; a failure comes with a message "FILE:..." naming the file;
 *   - after a success the configuration is coherent: counts within their limits, every index
 *     (an ACL's keys, a remote's key, a zone's acl, notify and master lists) points at a
 *     defined item, identifiers and names are NUL-ended in their arrays, every key has a
 *     secret, and the keys load into libknot as e2ud's start-up loads them (what
 *     `e2ud --check` promises);
 *   - e2ud_conf_free releases everything, after a success and after a failure (LeakSanitizer
 *     reports what it does not).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_conf: check failed, line %d: %s\n", __LINE__, #c);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static char path[64];
static int fd = -1;

static void cleanup(void)
{
    close(fd);
    unlink(path);
}

static void setup(void)
{
    snprintf(path, sizeof(path), "/tmp/e2u-fuzz-conf.XXXXXX");
    fd = mkstemp(path);
    CHECK(fd >= 0);
    atexit(cleanup);
    e2ud_log_open(E2UD_LOG_STDERR, 0); /* quiet */
}

static bool nul_ended(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void check_conf(const e2ud_conf_t *c)
{
    CHECK(c->nlisten <= E2UD_LISTEN_MAX);
    CHECK(c->nkeys <= E2UD_KEYS_MAX);
    CHECK(c->nremotes <= E2UD_REMOTES_MAX);
    CHECK(c->nacls <= E2UD_ACLS_MAX);
    CHECK(c->nzones <= E2UD_ZONES_CONF_MAX);
    CHECK(c->path && strcmp(c->path, path) == 0);
    CHECK(c->udp_max_payload >= 512);
    CHECK(c->tcp_workers >= 1 && c->tcp_workers <= E2UD_WORKERS_MAX);
    CHECK(c->udp_workers <= E2UD_WORKERS_MAX);
    for (size_t i = 0; i < c->nlisten; i++)
        CHECK(c->listen[i].len > 0 && nul_ended(c->listen[i].text, sizeof(c->listen[i].text)));
    for (size_t i = 0; i < c->nkeys; i++) {
        CHECK(nul_ended(c->keys[i].id, sizeof(c->keys[i].id)));
        CHECK(nul_ended(c->keys[i].algorithm, sizeof(c->keys[i].algorithm)));
        CHECK(nul_ended(c->keys[i].secret, sizeof(c->keys[i].secret)));
        CHECK(c->keys[i].secret[0] != '\0'); /* an empty secret lets anyone sign */
    }
    for (size_t i = 0; i < c->nremotes; i++) {
        const e2ud_remote_t *r = &c->remotes[i];
        CHECK(nul_ended(r->id, sizeof(r->id)));
        CHECK(r->key >= -1 && r->key < (int)c->nkeys);
        CHECK(r->naddr == 0 || r->addr);
        for (size_t k = 0; k < r->naddr; k++)
            CHECK(r->addr[k].len > 0);
    }
    for (size_t i = 0; i < c->nacls; i++) {
        const e2ud_acl_t *a = &c->acls[i];
        CHECK(nul_ended(a->id, sizeof(a->id)));
        CHECK(a->nnets <= E2UD_LIST_MAX && a->nkeys <= E2UD_LIST_MAX);
        for (size_t k = 0; k < a->nkeys; k++)
            CHECK(a->keys[k] >= 0 && a->keys[k] < (int)c->nkeys);
        for (size_t k = 0; k < a->nnets; k++)
            CHECK(a->nets[k].prefix <= (a->nets[k].ss.ss_family == AF_INET ? 32u : 128u));
        CHECK((a->actions & ~15u) == 0);
    }
    for (size_t i = 0; i < c->nzones; i++) {
        const e2ud_zone_conf_t *z = &c->zones[i];
        CHECK(nul_ended(z->name, sizeof(z->name)));
        CHECK(knot_dname_size(z->origin) <= KNOT_DNAME_MAXLEN);
        CHECK(e2ud_conf_zone(c, z->origin) == z);
        CHECK(z->nacl <= E2UD_LIST_MAX && z->nnotify <= E2UD_LIST_MAX &&
              z->nmaster <= E2UD_LIST_MAX);
        for (size_t k = 0; k < z->nacl; k++)
            CHECK(z->acl[k] >= 0 && z->acl[k] < (int)c->nacls);
        for (size_t k = 0; k < z->nnotify; k++)
            CHECK(z->notify[k] >= 0 && z->notify[k] < (int)c->nremotes);
        for (size_t k = 0; k < z->nmaster; k++)
            CHECK(z->master[k] >= 0 && z->master[k] < (int)c->nremotes);
    }
    CHECK(c->nrrls <= E2UD_RRLS_MAX && c->rrl >= -1 && c->rrl < (int)c->nrrls);
    CHECK(c->ncookies <= E2UD_COOKIES_MAX && c->cookie >= -1 && c->cookie < (int)c->ncookies);
    for (size_t i = 0; i < c->ncookies; i++) {
        const e2ud_cookies_conf_t *k = &c->cookies[i];
        CHECK(nul_ended(k->id, sizeof(k->id)));
        CHECK(k->secret_lifetime >= 1 && k->secret_lifetime <= 36 * 86400); /* RFC 7873 §7.1 */
        CHECK(k->badcookie_slip >= 1);
    }
    CHECK(nul_ended(c->identity, sizeof(c->identity)) && nul_ended(c->version, sizeof(c->version)));
    CHECK(c->nsid_len <= E2UD_NSID_MAX);
    /* the keys as e2ud's start-up loads them */
    e2ud_cfg_t k = {.conf = *c}; /* a shallow copy: the keys read only conf.keys */
    CHECK(e2ud_keys_load(&k) == 0);
    e2ud_keys_free(&k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fd < 0)
        setup();
    CHECK(ftruncate(fd, 0) == 0);
    CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);

    e2ud_conf_t c;
    char err[512];
    memset(err, 0, sizeof(err));
    e2ud_conf_init(&c);
    int rc = e2ud_conf_load(&c, path, err, sizeof(err));
    CHECK(rc == 0 || rc == -1);
    if (rc == 0) {
        check_conf(&c);
    } else {
        size_t pl = strlen(path);
        CHECK(err[0] != '\0');
        CHECK(strncmp(err, path, pl) == 0 && err[pl] == ':');
        CHECK(nul_ended(err, sizeof(err)));
    }
    e2ud_conf_free(&c);
    return 0;
}
