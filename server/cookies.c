/*
 * server/cookies.c — DNS Cookies (RFC 7873) with interoperable server cookies (RFC 9018), as
 * Knot DNS's mod-cookies gives them.
 *
 * Why. A UDP source address can be forged; a client that shows a server cookie we made for its
 * address has proved it receives our answers there. Such answers are exempt from rate limiting
 * (rrl.c), as in Knot, so under an attack that makes the limiter drop answers to a network,
 * cookie-speaking resolvers in it are still answered in full.
 *
 * What a query gets, for each COOKIE option (the first, if there are several) in a QUERY:
 *   - an option of a length RFC 7873 §4 does not allow (not 8, nor 16 to 40 octets): FORMERR;
 *   - a server cookie that verifies (RFC 9018 §4: version 1, reserved zero, a timestamp at most
 *     an hour old and five minutes ahead, and its SipHash-2-4 over the client cookie, those
 *     fields and the client's address): the answer, with the same cookie echoed, and it is not
 *     rate-limited;
 *   - a client cookie alone, or a server cookie that does not verify: over UDP, BADCOOKIE with a
 *     new server cookie and the question only, for one in badcookie-slip such queries (the
 *     others get nothing); over TCP, where the address is proven already, the answer with a new
 *     server cookie. This is Knot 3.2's choice among those RFC 7873 §5.2.3 allows; the
 *     differential test holds e2ud to it.
 * The hash is libknot's implementation of RFC 9018, so a cookie made by Knot with the same
 * secret verifies here and the other way round: the servers of one anycast address can be
 * Knot and e2ud alike.
 *
 * The secret. A configured `secret` (16 octets) is used as it is, for ever, as Knot does, which
 * is what servers sharing an address need. Without one, a random key is drawn when the
 * configuration is made, and the secret of each secret-lifetime period since then is derived
 * from it (SipHash of the period's number): no thread and no lock. A cookie made in the
 * previous period still verifies, so a rollover does not send every client a BADCOOKIE (Knot
 * keeps only the current secret). A reload makes a new configuration and so a new key: clients
 * learn a new cookie with one BADCOOKIE each.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <syslog.h>
#include <time.h>

#include <libknot/libknot.h>

#include "e2u/hash.h"
#include "server.h"

struct e2ud_cookies {
    uint8_t key[E2UD_COOKIE_SECRET_SIZE]; /* the configured secret, or the random key */
    bool fixed;                           /* configured: the secret itself, never rotated */
    uint32_t lifetime;                    /* seconds each derived secret is used */
    int64_t start;                        /* wall-clock seconds when made */
    unsigned slip;                        /* answer one in slip bad cookies over UDP */
    _Atomic unsigned bad;                 /* bad cookies seen over UDP */
};

e2ud_cookies_t *e2ud_cookies_new(const e2ud_cookies_conf_t *c)
{
    e2ud_cookies_t *ck = calloc(1, sizeof(*ck));
    if (!ck)
        return NULL;
    ck->fixed = c->has_secret;
    ck->lifetime = c->secret_lifetime ? c->secret_lifetime : 1;
    ck->slip = c->badcookie_slip ? c->badcookie_slip : 1;
    ck->start = (int64_t)time(NULL);
    atomic_init(&ck->bad, 0);
    if (ck->fixed) {
        memcpy(ck->key, c->secret, sizeof(ck->key));
    } else if (getrandom(ck->key, sizeof(ck->key), 0) != (ssize_t)sizeof(ck->key)) {
        free(ck);
        return NULL;
    }
    return ck;
}

void e2ud_cookies_free(e2ud_cookies_t *ck)
{
    if (ck) {
        memset(ck->key, 0, sizeof(ck->key));
        free(ck);
    }
}

/* The secret of period p (the configured one when fixed). */
static void secret_of(const e2ud_cookies_t *ck, int64_t p, uint8_t out[E2UD_COOKIE_SECRET_SIZE])
{
    if (ck->fixed) {
        memcpy(out, ck->key, E2UD_COOKIE_SECRET_SIZE);
        return;
    }
    uint64_t k0, k1;
    memcpy(&k0, ck->key, 8);
    memcpy(&k1, ck->key + 8, 8);
    for (uint8_t half = 0; half < 2; half++) {
        uint8_t msg[9];
        memcpy(msg, &p, 8);
        msg[8] = half;
        uint64_t h = e2u_siphash(k0, k1, msg, sizeof(msg));
        memcpy(out + 8 * half, &h, 8);
    }
}

e2ud_cookie_status_t e2ud_cookies_check(const e2ud_cookies_t *ck, const knot_pkt_t *qp,
                                        const struct sockaddr_storage *from, e2ud_cookie_t *out)
{
    out->put = false;
    uint8_t *o = knot_pkt_edns_option(qp, KNOT_EDNS_OPTION_COOKIE);
    if (!o)
        return E2UD_COOKIE_NONE;
    if (knot_edns_cookie_parse(&out->cc, &out->sc, knot_edns_opt_get_data(o),
                               knot_edns_opt_get_length(o)) != KNOT_EOK)
        return E2UD_COOKIE_MALFORMED;
    int64_t now = (int64_t)time(NULL);
    knot_edns_cookie_params_t params = {
        .version = KNOT_EDNS_COOKIE_VERSION,
        .timestamp = (uint32_t)now,
        .lifetime_before = 3600, /* RFC 9018 §4.3 */
        .lifetime_after = 300,
        .client_addr = from,
    };
    int64_t period = now > ck->start ? (now - ck->start) / ck->lifetime : 0;
    out->put = true;
    secret_of(ck, period, params.secret);
    if (out->sc.len > 0) {
        /* echoed as it came when it verifies, as Knot does: under this period's secret, or
         * else the one before (a derived secret only) */
        if (knot_edns_cookie_server_check(&out->sc, &out->cc, &params) == KNOT_EOK)
            return E2UD_COOKIE_VALID;
        if (!ck->fixed && period > 0) {
            secret_of(ck, period - 1, params.secret);
            if (knot_edns_cookie_server_check(&out->sc, &out->cc, &params) == KNOT_EOK)
                return E2UD_COOKIE_VALID;
            secret_of(ck, period, params.secret);
        }
    }
    if (knot_edns_cookie_server_generate(&out->sc, &out->cc, &params) != KNOT_EOK) {
        out->put = false;
        return E2UD_COOKIE_MALFORMED;
    }
    return E2UD_COOKIE_NEW;
}

bool e2ud_cookies_answer_bad(e2ud_cookies_t *ck)
{
    return atomic_fetch_add_explicit(&ck->bad, 1, memory_order_relaxed) % ck->slip == 0;
}

int e2ud_cookie_add(const e2ud_cookie_t *c, knot_rrset_t *opt)
{
    uint16_t size = knot_edns_cookie_size(&c->cc, &c->sc);
    uint8_t *data;
    int rc = knot_edns_reserve_option(opt, KNOT_EDNS_OPTION_COOKIE, size, &data, NULL);
    if (rc != KNOT_EOK)
        return rc;
    return knot_edns_cookie_write(data, size, &c->cc, &c->sc);
}

void e2ud_cookies_log_conf(const e2ud_cookies_conf_t *c)
{
    if (!c) {
        e2ud_log(LOG_INFO, "DNS cookies: off");
        return;
    }
    char lifetime[64];
    if (c->has_secret)
        snprintf(lifetime, sizeof(lifetime), "the configured secret");
    else
        snprintf(lifetime, sizeof(lifetime), "a random secret, a new one every %u s",
                 c->secret_lifetime);
    char slip[64];
    if (c->badcookie_slip <= 1)
        snprintf(slip, sizeof(slip), "every bad cookie over UDP answered BADCOOKIE");
    else
        snprintf(slip, sizeof(slip), "one in %u bad cookies over UDP answered BADCOOKIE",
                 c->badcookie_slip);
    e2ud_log(LOG_INFO, "DNS cookies (mod-cookies%s%s%s): %s; %s", c->id[0] ? " '" : "", c->id,
             c->id[0] ? "'" : "", lifetime, slip);
}
