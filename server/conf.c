/*
 * server/conf.c — e2ud's configuration file, in Knot DNS's syntax.
 *
 * Operators who run Knot know this format; libknot's yparser reads it (sections, "key: value",
 * lists in brackets, "- id:" items). The flags of the command line are enough to serve; the file
 * adds the rest. Recognised:
 *
 *     server:
 *         listen: 127.0.0.1@53            # repeatable, or a [list]
 *         udp-workers: 2                  # default: one per CPU
 *         tcp-workers: 1
 *         tcp-max-clients: 1000
 *         tcp-idle-timeout: 10            # seconds
 *         tcp-io-timeout: 2000            # milliseconds for a started message
 *         udp-max-payload: 1232
 *         stats-listen: 127.0.0.1@9100    # Prometheus endpoint
 *         identity: ns1.example           # CH TXT id.server (RFC 4892); default the host's name
 *         version: ""                     # CH TXT version.bind; "" refuses; default e2ud VERSION
 *         nsid: 0x6e7331                  # RFC 5001; text or 0x-hex; default the host's name
 *     database:
 *         storage: /var/lib/e2u           # the store (e2ud -d overrides)
 *     log:
 *       - target: stderr                  # or syslog
 *         any: info                       # critical, error, warning, notice, info, debug
 *     key:
 *       - id: xfr-key                     # the key's DNS name
 *         algorithm: hmac-sha256          # hmac-md5 ... hmac-sha512 (RFC 8945)
 *         secret: base64==
 *     remote:
 *       - id: knot2
 *         address: 192.0.2.2@53           # repeatable
 *         key: xfr-key
 *     acl:
 *       - id: replicas
 *         address: [192.0.2.0/24, 2001:db8::/32]   # none: any address
 *         key: xfr-key                    # none: no key required
 *         action: [transfer, notify, update, query]
 *         deny: off
 *     zone:
 *       - domain: 1.e164.arpa
 *         acl: [replicas]                 # rules in order; the first that matches decides
 *         notify: [knot2]                 # secondaries told about each change
 *         master: [primary]               # this zone is a secondary of these
 *
 *     mod-rrl:                            # response rate limiting over UDP (rrl.c)
 *       - id: default
 *         rate-limit: 200                 # answers a second per network, kind and name
 *         slip: 2                         # every 2nd limited answer truncated (TC); default 1
 *         table-size: 393241              # buckets (8 octets each)
 *         whitelist: [192.0.2.0/24]       # never limited
 *         dry-run: off                    # on: count and log only
 *     mod-cookies:                        # DNS Cookies (cookies.c)
 *       - id: default
 *         secret: 0x000102...0f           # 16 octets shared by the servers of one address;
 *                                         # none: a random one, new each secret-lifetime
 *         secret-lifetime: 26h            # s, m, h, d, w; at most 36 days (RFC 7873 §7.1)
 *         badcookie-slip: 1               # answer one in N bad cookies over UDP with BADCOOKIE
 *     template:
 *       - id: default                     # the only template: what Knot applies to every zone
 *         global-module: [mod-rrl/default, mod-cookies/default]  # turns them on; mod-cookies
 *                                         # alone (no id) is the module at its defaults
 *
 * Identifiers must be defined before they are referred to, as in Knot. A zone whose ACL rules
 * name the query action answers queries only to the addresses and keys they allow (a private
 * zone, RFC 4769 §7); otherwise anyone may query it.
 *
 * Anything else is an error naming the file, the line and the item, so `e2ud --check` catches
 * a misspelt key before a reload would silently ignore it.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <libknot/libknot.h>
#include <libknot/yparser/yparser.h>
#include <libdnssec/tsig.h>

#include "e2u/e2u.h"
#include "server.h"

/* A switch as Knot writes one: on or off (true and false also taken). 0, or -1. */
static int onoff(const char *d, bool *out)
{
    if (strcmp(d, "on") == 0 || strcmp(d, "true") == 0)
        *out = true;
    else if (strcmp(d, "off") == 0 || strcmp(d, "false") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

const char *e2ud_hostname(void)
{
    static char name[E2UD_TXT_MAX + 1];
    static bool done;
    if (done)
        return name;
    done = true;
    char host[E2UD_TXT_MAX + 1] = "";
    if (gethostname(host, sizeof(host) - 1) != 0)
        host[0] = '\0';
    snprintf(name, sizeof(name), "%s", host);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
                             .ai_flags = AI_CANONNAME},
                    *ai = NULL;
    if (host[0] && getaddrinfo(host, NULL, &hints, &ai) == 0) {
        if (ai->ai_canonname && ai->ai_canonname[0])
            snprintf(name, sizeof(name), "%s", ai->ai_canonname);
        freeaddrinfo(ai);
    }
    return name;
}

/* Knot's defaults for a mod-cookies item. */
static void cookies_defaults(e2ud_cookies_conf_t *k)
{
    memset(k, 0, sizeof(*k));
    k->secret_lifetime = 26 * 3600;
    k->badcookie_slip = 1;
}

void e2ud_conf_init(e2ud_conf_t *c)
{
    memset(c, 0, sizeof(*c));
    c->rrl = -1;
    c->cookie = -1;
    c->tcp_workers = 1;
    c->tcp_max_clients = 1000;
    c->tcp_idle_timeout_ms = 10000;
    c->tcp_io_timeout_ms = 2000;
    c->udp_max_payload = 1232;
    c->store_huge_pages = true;
    c->store_index = true;
    c->log_target = E2UD_LOG_STDERR;
    c->log_level = LOG_INFO;
    c->xfr_max_bytes = 4ull << 30;
    c->xfr_timeout_ms = 600000;
    const char *host = e2ud_hostname();
    snprintf(c->identity, sizeof(c->identity), "%s", host);
    snprintf(c->version, sizeof(c->version), "e2ud %s", E2U_VERSION);
    c->nsid_len = strlen(host) < sizeof(c->nsid) ? strlen(host) : sizeof(c->nsid);
    memcpy(c->nsid, host, c->nsid_len);
}

const e2ud_zone_conf_t *e2ud_conf_zone(const e2ud_conf_t *c, const uint8_t *origin)
{
    for (size_t i = 0; i < c->nzones; i++) {
        if (knot_dname_is_equal(c->zones[i].origin, origin))
            return &c->zones[i];
    }
    return NULL;
}

bool e2ud_key_equal(const e2ud_key_t *a, const e2ud_key_t *b)
{
    return strcmp(a->id, b->id) == 0 && strcmp(a->algorithm, b->algorithm) == 0 &&
           strcmp(a->secret, b->secret) == 0;
}

/* "ADDR[/PREFIX]" */
static int net_parse(e2ud_net_t *n, const char *text)
{
    char host[64];
    const char *slash = strchr(text, '/');
    size_t hl = slash ? (size_t)(slash - text) : strlen(text);
    if (hl == 0 || hl >= sizeof(host))
        return -1;
    memcpy(host, text, hl);
    host[hl] = '\0';
    memset(n, 0, sizeof(*n));
    struct sockaddr_in *v4 = (struct sockaddr_in *)&n->ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&n->ss;
    unsigned max;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        max = 128;
    } else {
        return -1;
    }
    n->prefix = max;
    if (slash) {
        char *end;
        unsigned long p = strtoul(slash + 1, &end, 10);
        if (slash[1] == '\0' || *end || p > max)
            return -1;
        n->prefix = (unsigned)p;
    }
    return 0;
}

static int find_id(const char *id, const void *base, size_t n, size_t stride)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp((const char *)base + i * stride, id) == 0)
            return (int)i;
    }
    return -1;
}

void e2ud_conf_free(e2ud_conf_t *c)
{
    for (size_t i = 0; i < c->nremotes; i++)
        free(c->remotes[i].addr);
    c->nremotes = 0;
    free(c->db);
    free(c->path);
    c->db = NULL;
    c->path = NULL;
}

int e2ud_addr_parse(e2ud_addr_t *a, const char *text, uint16_t default_port)
{
    char host[64];
    const char *at = strrchr(text, '@');
    size_t hl = at ? (size_t)(at - text) : strlen(text);
    unsigned long port = default_port;
    memset(a, 0, sizeof(*a));
    if (hl == 0 || hl >= sizeof(host))
        return -1;
    memcpy(host, text, hl);
    host[hl] = '\0';
    if (at) {
        char *end;
        port = strtoul(at + 1, &end, 10);
        if (at[1] == '\0' || *end || port == 0 || port > 65535)
            return -1;
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *)&a->ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a->ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        a->len = sizeof(*v4);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        a->len = sizeof(*v6);
    } else {
        return -1;
    }
    snprintf(a->text, sizeof(a->text), "%s@%lu", host, port);
    return 0;
}

int e2ud_conf_flags(e2ud_conf_t *c, const e2ud_flags_t *f, char *err, size_t errlen)
{
    if (f->db) {
        char *db = strdup(f->db);
        if (!db) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        free(c->db);
        c->db = db;
    }
    if (f->nlisten) {
        e2ud_addr_t listen[E2UD_LISTEN_MAX]; /* all parsed before c changes */
        memset(listen, 0, sizeof(listen));
        for (size_t i = 0; i < f->nlisten; i++) {
            if (e2ud_addr_parse(&listen[i], f->listen[i], 53) < 0) {
                snprintf(err, errlen, "-l '%s': expected ADDRESS[@PORT] (IPv4 or IPv6)",
                         f->listen[i]);
                return -1;
            }
        }
        memcpy(c->listen, listen, f->nlisten * sizeof(listen[0]));
        c->nlisten = f->nlisten;
    }
    if (f->workers)
        c->udp_workers = f->workers;
    return 0;
}

bool e2ud_conf_writes(const e2ud_conf_t *c, char *why, size_t whylen)
{
    for (size_t i = 0; i < c->nzones; i++) {
        if (c->zones[i].nmaster > 0) {
            if (why)
                snprintf(why, whylen, "zone %s is a secondary (master:)", c->zones[i].name);
            return true;
        }
    }
    for (size_t i = 0; i < c->nacls; i++) {
        if ((c->acls[i].actions & E2UD_ACT_UPDATE) && !c->acls[i].deny) {
            if (why)
                snprintf(why, whylen, "acl %s allows update", c->acls[i].id);
            return true;
        }
    }
    return false;
}

static int num(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* A size in octets as Knot writes one: digits, then optionally K, M or G (powers of 1024). */
/* A value of Knot's HEXSTR-or-text kind (nsid, a cookie secret): "0x" and pairs of hex digits
 * for octets, anything else the octets of the text itself. Its octets into out[max], their
 * count into *len; 0, or -1 for bad hex or more than max octets. */
static int octets_parse(const char *d, uint8_t *out, size_t max, size_t *len)
{
    size_t n = strlen(d);
    if (n < 2 || d[0] != '0' || (d[1] != 'x' && d[1] != 'X')) {
        if (n > max)
            return -1;
        for (size_t i = 0; i < n; i++) /* octets, not a string: no terminator */
            out[i] = (uint8_t)d[i];
        *len = n;
        return 0;
    }
    d += 2;
    n -= 2;
    if (n == 0 || n % 2 || n / 2 > max)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        char pair[3] = {d[2 * i], d[2 * i + 1], '\0'};
        if (!isxdigit((unsigned char)pair[0]) || !isxdigit((unsigned char)pair[1]) ||
            sscanf(pair, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    *len = n / 2;
    return 0;
}

/* A TIME as Knot writes one: seconds, or a number with s, m, h, d or w. 0, or -1 when it is
 * not one or not within lo..hi seconds. */
static int time_num(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long v = strtoul(s, &end, 10), mul = 1;
    if (*end && end[1] == '\0') {
        switch (*end) {
        case 's': mul = 1; break;
        case 'm': mul = 60; break;
        case 'h': mul = 3600; break;
        case 'd': mul = 86400; break;
        case 'w': mul = 7 * 86400; break;
        default: return -1;
        }
    } else if (*end) {
        return -1;
    }
    if (v > hi / mul || v * mul < lo)
        return -1;
    *out = v * mul;
    return 0;
}

static int size_num(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10;
    else if (*end == 'M' || *end == 'm')
        shift = 20;
    else if (*end == 'G' || *end == 'g')
        shift = 30;
    if (shift)
        end++;
    if (*end || v > (hi >> shift) || (v << shift) < lo)
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static int log_level(const char *s)
{
    static const struct {
        const char *name;
        int level;
    } levels[] = {{"critical", LOG_CRIT}, {"error", LOG_ERR},   {"warning", LOG_WARNING},
                  {"notice", LOG_NOTICE}, {"info", LOG_INFO},   {"debug", LOG_DEBUG}};
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        if (strcmp(s, levels[i].name) == 0)
            return levels[i].level;
    }
    return -1;
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        int _o = snprintf(err, errlen, "%s:%zu: ", path, p.line_count);                            \
        if (_o > 0 && (size_t)_o < errlen)                                                         \
            snprintf(err + _o, errlen - (size_t)_o, __VA_ARGS__);                                  \
        goto fail;                                                                                 \
    } while (0)

int e2ud_conf_load(e2ud_conf_t *c, const char *path, char *err, size_t errlen)
{
    yp_parser_t p;
    char section[YP_MAX_TXT_KEY_LEN + 1] = "";
    bool listen_seen = false;
    bool in_template = false;
    int rc;
    yp_init(&p);
    if ((rc = yp_set_input_file(&p, path)) != KNOT_EOK) {
        snprintf(err, errlen, "%s: cannot read: %s", path, knot_strerror(rc));
        yp_deinit(&p);
        return -1;
    }
    while ((rc = yp_parse(&p)) == KNOT_EOK) {
        unsigned long v;
        if (p.event == YP_EKEY0) {
            snprintf(section, sizeof(section), "%s", p.key);
            if (strcmp(section, "server") && strcmp(section, "database") && strcmp(section, "log") &&
                strcmp(section, "key") && strcmp(section, "remote") && strcmp(section, "acl") &&
                strcmp(section, "zone") && strcmp(section, "mod-rrl") &&
                strcmp(section, "mod-cookies") && strcmp(section, "template"))
                FAIL("unknown section '%s' (server, database, log, key, remote, acl, zone, "
                     "mod-rrl, mod-cookies, template)",
                     section);
            continue;
        }
        if (p.event == YP_EID) {
            const char *d = p.data;
            if (strcmp(section, "key") == 0 && strcmp(p.key, "id") == 0) {
                if (c->nkeys == E2UD_KEYS_MAX)
                    FAIL("more than %d keys", E2UD_KEYS_MAX);
                if (find_id(d, c->keys, c->nkeys, sizeof(e2ud_key_t)) >= 0)
                    FAIL("key '%s' defined twice", d);
                /* the id is the key's name in the TSIG RR (RFC 8945 §4.2): a domain name */
                uint8_t kname[KNOT_DNAME_MAXLEN];
                if (!knot_dname_from_str(kname, d, sizeof(kname)))
                    FAIL("key id '%s' is not a valid domain name", d);
                memset(&c->keys[c->nkeys], 0, sizeof(e2ud_key_t));
                snprintf(c->keys[c->nkeys++].id, E2UD_ID_MAX, "%s", d);
                continue;
            }
            if (strcmp(section, "remote") == 0 && strcmp(p.key, "id") == 0) {
                if (c->nremotes == E2UD_REMOTES_MAX)
                    FAIL("more than %d remotes", E2UD_REMOTES_MAX);
                if (find_id(d, c->remotes, c->nremotes, sizeof(e2ud_remote_t)) >= 0)
                    FAIL("remote '%s' defined twice", d);
                memset(&c->remotes[c->nremotes], 0, sizeof(e2ud_remote_t));
                snprintf(c->remotes[c->nremotes].id, E2UD_ID_MAX, "%s", d);
                c->remotes[c->nremotes++].key = -1;
                continue;
            }
            if (strcmp(section, "acl") == 0 && strcmp(p.key, "id") == 0) {
                if (c->nacls == E2UD_ACLS_MAX)
                    FAIL("more than %d acl rules", E2UD_ACLS_MAX);
                if (find_id(d, c->acls, c->nacls, sizeof(e2ud_acl_t)) >= 0)
                    FAIL("acl '%s' defined twice", d);
                memset(&c->acls[c->nacls], 0, sizeof(e2ud_acl_t));
                snprintf(c->acls[c->nacls++].id, E2UD_ID_MAX, "%s", d);
                continue;
            }
            if (strcmp(section, "zone") == 0 && strcmp(p.key, "domain") == 0) {
                if (c->nzones == E2UD_ZONES_CONF_MAX)
                    FAIL("more than %d zones", E2UD_ZONES_CONF_MAX);
                e2ud_zone_conf_t *z = &c->zones[c->nzones];
                memset(z, 0, sizeof(*z));
                if (!knot_dname_from_str(z->origin, d, sizeof(z->origin)))
                    FAIL("zone domain '%s' is not a valid name", d);
                knot_dname_to_lower(z->origin);
                if (e2ud_conf_zone(c, z->origin))
                    FAIL("zone '%s' given twice", d);
                snprintf(z->name, sizeof(z->name), "%s", d);
                c->nzones++;
                continue;
            }
            if (strcmp(section, "mod-rrl") == 0 && strcmp(p.key, "id") == 0) {
                if (c->nrrls == E2UD_RRLS_MAX)
                    FAIL("more than %d mod-rrl items", E2UD_RRLS_MAX);
                if (find_id(d, c->rrls, c->nrrls, sizeof(e2ud_rrl_conf_t)) >= 0)
                    FAIL("mod-rrl '%s' defined twice", d);
                e2ud_rrl_conf_t *r = &c->rrls[c->nrrls++];
                memset(r, 0, sizeof(*r));
                snprintf(r->id, E2UD_ID_MAX, "%s", d);
                r->slip = 1;              /* Knot's defaults */
                r->table_size = 393241;
                continue;
            }
            if (strcmp(section, "mod-cookies") == 0 && strcmp(p.key, "id") == 0) {
                if (c->ncookies == E2UD_COOKIES_MAX)
                    FAIL("more than %d mod-cookies items", E2UD_COOKIES_MAX);
                if (find_id(d, c->cookies, c->ncookies, sizeof(e2ud_cookies_conf_t)) >= 0)
                    FAIL("mod-cookies '%s' defined twice", d);
                e2ud_cookies_conf_t *k = &c->cookies[c->ncookies++];
                cookies_defaults(k);
                snprintf(k->id, E2UD_ID_MAX, "%s", d);
                continue;
            }
            if (strcmp(section, "template") == 0 && strcmp(p.key, "id") == 0) {
                if (strcmp(d, "default") != 0)
                    FAIL("template '%s': e2ud has only the default template (for its "
                         "global-module)",
                         d);
                in_template = true;
                continue;
            }
            if (strcmp(section, "log") != 0 || strcmp(p.key, "target") != 0)
                FAIL("unexpected list item '%s' in section '%s'", p.key, section);
            if (strcmp(p.data, "stderr") == 0)
                c->log_target = E2UD_LOG_STDERR;
            else if (strcmp(p.data, "syslog") == 0)
                c->log_target = E2UD_LOG_SYSLOG;
            else
                FAIL("log target '%s': expected stderr or syslog", p.data);
            continue;
        }
        if (p.event != YP_EKEY1)
            continue;
        const char *k = p.key, *d = p.data;
        if (strcmp(section, "server") == 0) {
            if (strcmp(k, "listen") == 0) {
                if (!listen_seen) {
                    c->nlisten = 0; /* the file's list replaces the defaults */
                    listen_seen = true;
                }
                if (c->nlisten == E2UD_LISTEN_MAX)
                    FAIL("more than %d listen addresses", E2UD_LISTEN_MAX);
                if (e2ud_addr_parse(&c->listen[c->nlisten], d, 53) < 0)
                    FAIL("listen '%s': expected ADDRESS[@PORT] with an IPv4 or IPv6 address", d);
                c->nlisten++;
            } else if (strcmp(k, "udp-workers") == 0) {
                if (num(d, 1, E2UD_WORKERS_MAX, &v) < 0)
                    FAIL("udp-workers '%s': expected 1 to %d", d, E2UD_WORKERS_MAX);
                c->udp_workers = (unsigned)v;
            } else if (strcmp(k, "tcp-workers") == 0) {
                if (num(d, 1, E2UD_WORKERS_MAX, &v) < 0)
                    FAIL("tcp-workers '%s': expected 1 to %d", d, E2UD_WORKERS_MAX);
                c->tcp_workers = (unsigned)v;
            } else if (strcmp(k, "tcp-max-clients") == 0) {
                if (num(d, 1, 1000000, &v) < 0)
                    FAIL("tcp-max-clients '%s': expected 1 to 1000000", d);
                c->tcp_max_clients = (unsigned)v;
            } else if (strcmp(k, "tcp-idle-timeout") == 0) {
                if (num(d, 1, 86400, &v) < 0)
                    FAIL("tcp-idle-timeout '%s': expected seconds, 1 to 86400", d);
                c->tcp_idle_timeout_ms = (unsigned)v * 1000u;
            } else if (strcmp(k, "tcp-io-timeout") == 0) {
                if (num(d, 1, 600000, &v) < 0)
                    FAIL("tcp-io-timeout '%s': expected milliseconds, 1 to 600000", d);
                c->tcp_io_timeout_ms = (unsigned)v;
            } else if (strcmp(k, "udp-max-payload") == 0) {
                if (num(d, 512, 65535, &v) < 0)
                    FAIL("udp-max-payload '%s': expected 512 to 65535", d);
                c->udp_max_payload = (uint16_t)v;
            } else if (strcmp(k, "store-huge-pages") == 0) {
                if (onoff(d, &c->store_huge_pages) < 0)
                    FAIL("store-huge-pages '%s': expected on or off", d);
            } else if (strcmp(k, "store-index") == 0) {
                if (onoff(d, &c->store_index) < 0)
                    FAIL("store-index '%s': expected on or off", d);
            } else if (strcmp(k, "store-index-max-size") == 0) {
                if (size_num(d, 1 << 20, (uint64_t)1 << 50, &c->store_index_max_bytes) < 0)
                    FAIL("store-index-max-size '%s': expected octets (K, M, G suffixes), 1M to "
                         "2^50",
                         d);
            } else if (strcmp(k, "xfr-max-size") == 0) {
                if (size_num(d, 1024, (uint64_t)1 << 40, &c->xfr_max_bytes) < 0)
                    FAIL("xfr-max-size '%s': expected octets (K, M, G suffixes), 1024 to 2^40",
                         d);
            } else if (strcmp(k, "xfr-timeout") == 0) {
                if (num(d, 1, 86400, &v) < 0)
                    FAIL("xfr-timeout '%s': expected seconds, 1 to 86400", d);
                c->xfr_timeout_ms = (unsigned)v * 1000u;
            } else if (strcmp(k, "identity") == 0 || strcmp(k, "version") == 0) {
                char *dst = k[0] == 'i' ? c->identity : c->version;
                if (strlen(d) > E2UD_TXT_MAX)
                    FAIL("%s: longer than %d octets (one TXT string)", k, E2UD_TXT_MAX);
                snprintf(dst, E2UD_TXT_MAX + 1, "%s", d);
            } else if (strcmp(k, "nsid") == 0) {
                if (octets_parse(d, c->nsid, E2UD_NSID_MAX, &c->nsid_len) < 0)
                    FAIL("nsid '%s': expected text, or 0x and pairs of hex digits, at most %d "
                         "octets", d, E2UD_NSID_MAX);
            } else if (strcmp(k, "stats-listen") == 0) {
                if (e2ud_addr_parse(&c->stats_listen, d, 9100) < 0)
                    FAIL("stats-listen '%s': expected ADDRESS[@PORT]", d);
            } else {
                FAIL("unknown item '%s' in section 'server'", k);
            }
        } else if (strcmp(section, "key") == 0) {
            if (c->nkeys == 0)
                FAIL("'%s' before the key's id", k);
            e2ud_key_t *key = &c->keys[c->nkeys - 1];
            if (strcmp(k, "algorithm") == 0) {
                if (dnssec_tsig_algorithm_from_name(d) == DNSSEC_TSIG_UNKNOWN)
                    FAIL("key algorithm '%s': expected hmac-md5, hmac-sha1, hmac-sha224, "
                         "hmac-sha256, hmac-sha384 or hmac-sha512", d);
                snprintf(key->algorithm, sizeof(key->algorithm), "%s", d);
            } else if (strcmp(k, "secret") == 0) {
                if (strlen(d) >= sizeof(key->secret))
                    FAIL("key secret too long");
                if (d[0] == '\0')
                    FAIL("key '%s': empty secret", key->id);
                snprintf(key->secret, sizeof(key->secret), "%s", d);
                knot_tsig_key_t t;
                if (knot_tsig_key_init(&t, key->algorithm[0] ? key->algorithm : "hmac-sha256",
                                       key->id, d) != KNOT_EOK)
                    FAIL("key '%s': the secret is not valid base64", key->id);
                knot_tsig_key_deinit(&t);
            } else {
                FAIL("unknown item '%s' in section 'key' (id, algorithm, secret)", k);
            }
        } else if (strcmp(section, "remote") == 0) {
            if (c->nremotes == 0)
                FAIL("'%s' before the remote's id", k);
            e2ud_remote_t *r = &c->remotes[c->nremotes - 1];
            if (strcmp(k, "address") == 0) {
                if (r->naddr == E2UD_LIST_MAX)
                    FAIL("more than %d addresses for remote '%s'", E2UD_LIST_MAX, r->id);
                e2ud_addr_t *na = realloc(r->addr, (r->naddr + 1) * sizeof(*na));
                if (!na)
                    FAIL("out of memory");
                r->addr = na;
                if (e2ud_addr_parse(&r->addr[r->naddr], d, 53) < 0)
                    FAIL("remote address '%s': expected ADDRESS[@PORT]", d);
                r->naddr++;
            } else if (strcmp(k, "key") == 0) {
                r->key = find_id(d, c->keys, c->nkeys, sizeof(e2ud_key_t));
                if (r->key < 0)
                    FAIL("remote '%s': no key '%s' defined before", r->id, d);
            } else {
                FAIL("unknown item '%s' in section 'remote' (id, address, key)", k);
            }
        } else if (strcmp(section, "acl") == 0) {
            if (c->nacls == 0)
                FAIL("'%s' before the acl's id", k);
            e2ud_acl_t *a = &c->acls[c->nacls - 1];
            if (strcmp(k, "address") == 0) {
                if (a->nnets == E2UD_LIST_MAX)
                    FAIL("more than %d addresses in acl '%s'", E2UD_LIST_MAX, a->id);
                if (net_parse(&a->nets[a->nnets], d) < 0)
                    FAIL("acl address '%s': expected ADDRESS[/PREFIX]", d);
                a->nnets++;
            } else if (strcmp(k, "key") == 0) {
                if (a->nkeys == E2UD_LIST_MAX)
                    FAIL("more than %d keys in acl '%s'", E2UD_LIST_MAX, a->id);
                int ki = find_id(d, c->keys, c->nkeys, sizeof(e2ud_key_t));
                if (ki < 0)
                    FAIL("acl '%s': no key '%s' defined before", a->id, d);
                a->keys[a->nkeys++] = ki;
            } else if (strcmp(k, "action") == 0) {
                if (strcmp(d, "query") == 0)
                    a->actions |= E2UD_ACT_QUERY;
                else if (strcmp(d, "transfer") == 0)
                    a->actions |= E2UD_ACT_TRANSFER;
                else if (strcmp(d, "notify") == 0)
                    a->actions |= E2UD_ACT_NOTIFY;
                else if (strcmp(d, "update") == 0)
                    a->actions |= E2UD_ACT_UPDATE;
                else
                    FAIL("acl action '%s': expected query, transfer, notify or update", d);
            } else if (strcmp(k, "deny") == 0) {
                if (onoff(d, &a->deny) < 0)
                    FAIL("acl deny '%s': expected on or off", d);
            } else {
                FAIL("unknown item '%s' in section 'acl' (id, address, key, action, deny)", k);
            }
        } else if (strcmp(section, "zone") == 0) {
            if (c->nzones == 0)
                FAIL("'%s' before the zone's domain", k);
            e2ud_zone_conf_t *z = &c->zones[c->nzones - 1];
            int *list = NULL;
            size_t *n = NULL;
            int idx = -1;
            if (strcmp(k, "acl") == 0) {
                list = z->acl;
                n = &z->nacl;
                idx = find_id(d, c->acls, c->nacls, sizeof(e2ud_acl_t));
            } else if (strcmp(k, "notify") == 0) {
                list = z->notify;
                n = &z->nnotify;
                idx = find_id(d, c->remotes, c->nremotes, sizeof(e2ud_remote_t));
            } else if (strcmp(k, "master") == 0) {
                list = z->master;
                n = &z->nmaster;
                idx = find_id(d, c->remotes, c->nremotes, sizeof(e2ud_remote_t));
            } else if (strcmp(k, "module") == 0) {
                FAIL("zone '%s': e2ud has no per-zone modules; mod-rrl and mod-cookies are for "
                     "all zones (template: - id: default, global-module: mod-rrl/ID)",
                     z->name);
            } else {
                FAIL("unknown item '%s' in section 'zone' (domain, acl, notify, master)", k);
            }
            if (idx < 0)
                FAIL("zone '%s': no %s '%s' defined before", z->name,
                     strcmp(k, "acl") == 0 ? "acl" : "remote", d);
            if (*n == E2UD_LIST_MAX)
                FAIL("zone '%s': more than %d entries in '%s'", z->name, E2UD_LIST_MAX, k);
            list[(*n)++] = idx;
        } else if (strcmp(section, "mod-rrl") == 0) {
            if (c->nrrls == 0)
                FAIL("'%s' before the mod-rrl's id", k);
            e2ud_rrl_conf_t *r = &c->rrls[c->nrrls - 1];
            if (strcmp(k, "rate-limit") == 0) {
                if (num(d, 1, 4000000, &v) < 0)
                    FAIL("mod-rrl rate-limit '%s': expected answers a second, 1 to 4000000", d);
                r->rate = (unsigned)v;
            } else if (strcmp(k, "slip") == 0) {
                if (num(d, 0, 100, &v) < 0)
                    FAIL("mod-rrl slip '%s': expected 0 (drop all) to 100", d);
                r->slip = (unsigned)v;
            } else if (strcmp(k, "table-size") == 0) {
                if (num(d, 1, 1ul << 30, &v) < 0)
                    FAIL("mod-rrl table-size '%s': expected 1 to 2^30 buckets", d);
                r->table_size = (unsigned)v;
            } else if (strcmp(k, "dry-run") == 0) {
                if (onoff(d, &r->dry_run) < 0)
                    FAIL("mod-rrl dry-run '%s': expected on or off", d);
            } else if (strcmp(k, "whitelist") == 0) {
                if (r->nwhitelist == E2UD_LIST_MAX)
                    FAIL("more than %d whitelist networks in mod-rrl '%s'", E2UD_LIST_MAX, r->id);
                if (net_parse(&r->whitelist[r->nwhitelist], d) < 0)
                    FAIL("mod-rrl whitelist '%s': expected ADDRESS[/PREFIX]", d);
                r->nwhitelist++;
            } else {
                FAIL("unknown item '%s' in section 'mod-rrl' (id, rate-limit, slip, table-size, "
                     "whitelist, dry-run)",
                     k);
            }
        } else if (strcmp(section, "mod-cookies") == 0) {
            if (c->ncookies == 0)
                FAIL("'%s' before the mod-cookies item's id", k);
            e2ud_cookies_conf_t *ck = &c->cookies[c->ncookies - 1];
            if (strcmp(k, "secret-lifetime") == 0) {
                /* RFC 7873 §7.1: no secret kept longer than 36 days */
                if (time_num(d, 1, 36 * 86400, &v) < 0)
                    FAIL("mod-cookies secret-lifetime '%s': expected a time (s, m, h, d, w), 1 s "
                         "to 36 d", d);
                ck->secret_lifetime = (unsigned)v;
            } else if (strcmp(k, "badcookie-slip") == 0) {
                if (num(d, 1, INT32_MAX, &v) < 0)
                    FAIL("mod-cookies badcookie-slip '%s': expected 1 (answer every one) to "
                         "2^31-1", d);
                ck->badcookie_slip = (unsigned)v;
            } else if (strcmp(k, "secret") == 0) {
                size_t n = 0;
                if (octets_parse(d, ck->secret, sizeof(ck->secret), &n) < 0 ||
                    n != sizeof(ck->secret))
                    FAIL("mod-cookies secret: expected 16 octets (0x and 32 hex digits)");
                ck->has_secret = true;
            } else {
                FAIL("unknown item '%s' in section 'mod-cookies' (id, secret-lifetime, "
                     "badcookie-slip, secret)",
                     k);
            }
        } else if (strcmp(section, "template") == 0) {
            if (!in_template)
                FAIL("'%s' before the template's id", k);
            if (strcmp(k, "global-module") != 0)
                FAIL("unknown item '%s' in section 'template' (id, global-module)", k);
            if (strcmp(d, "mod-cookies") == 0 || strncmp(d, "mod-cookies/", 12) == 0) {
                int ci;
                if (d[11] == '\0') {
                    /* without an id: the module at its defaults, as Knot allows */
                    if ((ci = find_id("", c->cookies, c->ncookies,
                                      sizeof(e2ud_cookies_conf_t))) < 0) {
                        if (c->ncookies == E2UD_COOKIES_MAX)
                            FAIL("more than %d mod-cookies items", E2UD_COOKIES_MAX);
                        ci = (int)c->ncookies++;
                        cookies_defaults(&c->cookies[ci]);
                    }
                } else if ((ci = find_id(d + 12, c->cookies, c->ncookies,
                                         sizeof(e2ud_cookies_conf_t))) < 0) {
                    FAIL("global-module: no mod-cookies '%s' defined before", d + 12);
                }
                if (c->cookie >= 0 && c->cookie != ci)
                    FAIL("global-module: more than one mod-cookies");
                c->cookie = ci;
                continue;
            }
            if (strncmp(d, "mod-rrl/", 8) != 0)
                FAIL("global-module '%s': e2ud has two modules, mod-rrl (as mod-rrl/ID) and "
                     "mod-cookies",
                     d);
            int ri = find_id(d + 8, c->rrls, c->nrrls, sizeof(e2ud_rrl_conf_t));
            if (ri < 0)
                FAIL("global-module: no mod-rrl '%s' defined before", d + 8);
            if (c->rrl >= 0 && c->rrl != ri)
                FAIL("global-module: more than one mod-rrl ('%s' and '%s')", c->rrls[c->rrl].id,
                     d + 8);
            c->rrl = ri;
        } else if (strcmp(section, "database") == 0) {
            if (strcmp(k, "storage") != 0)
                FAIL("unknown item '%s' in section 'database'", k);
            free(c->db);
            c->db = strdup(d);
        } else if (strcmp(section, "log") == 0) {
            if (strcmp(k, "any") != 0)
                FAIL("unknown item '%s' in section 'log' (target, any)", k);
            int l = log_level(d);
            if (l < 0)
                FAIL("log level '%s': expected critical, error, warning, notice, info or debug",
                     d);
            c->log_level = l;
        } else {
            FAIL("item '%s' outside of a section", k);
        }
    }
    if (rc != KNOT_EOF)
        FAIL("syntax error (%s)", knot_strerror(rc));
    /* rate-limit has no default (Knot requires it too) */
    for (size_t i = 0; i < c->nrrls; i++) {
        if (c->rrls[i].rate == 0) {
            snprintf(err, errlen, "%s: mod-rrl '%s' has no rate-limit", path, c->rrls[i].id);
            goto fail;
        }
    }
    /* libknot takes an empty secret, and anyone could then sign with the key: every key needs
     * one (Knot DNS's configuration requires it too) */
    for (size_t i = 0; i < c->nkeys; i++) {
        if (c->keys[i].secret[0] == '\0') {
            snprintf(err, errlen, "%s: key '%s' has no secret", path, c->keys[i].id);
            goto fail;
        }
    }
    yp_deinit(&p);
    free(c->path);
    c->path = strdup(path);
    return 0;
fail:
    yp_deinit(&p);
    return -1;
}
