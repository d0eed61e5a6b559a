/*
 * fuzz/fuzz_query.c — libFuzzer target for e2ud's query path: DNS message in, answer out.
 *
 * The first call builds a small store in a temporary directory (a zone with numbers, a block,
 * a delegation, a CNAME, a wildcard, other types at a number), its number index, and a query
 * context on it, as a UDP worker has, with a configuration at its defaults (so the CHAOS names
 * and the NSID are answered) but for an NSID of the greatest length and DNS Cookies on (a random
 * secret; every bad cookie answered), the client 127.0.0.1. Each input is first given to
 * e2ud_qctx_prefetch as the UDP worker gives each datagram of a batch (the name from octet 12
 * on, not validated). Each input
 * is then answered as a UDP message (first octet even) or a TCP one (odd), with the rest of the
 * input as the message. Checks: the answer fits the buffer and the transport (UDP: at most the
 * advertised size, which is at least 512), starts with the query's ID, has QR set, and parses again
 * with libknot; no answer at all only for messages that are shorter than a header, responses, or
 * whose question does not parse. A UDP answer then goes through rate limiting (server/rrl.c),
 * which reads it as a UDP worker does: counted twice in one second against a limit of one, it
 * passes, then is truncated to a message that parses, with TC, its question and at most the OPT.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libknot/libknot.h>

#include "e2u/e2u.h"
#include "e2u/store.h"
#include "server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static const char zone[] =
    "$ORIGIN 1.e164.arpa.\n$TTL 3600\n"
    "@ SOA ns1.example. hostmaster.example. 1 7200 3600 1209600 300\n"
    "@ NS ns1.example.\n"
    "@ TXT \"apex\"\n"
    "3.2.1.0.5.5.5.5.1.2 NAPTR 10 100 \"u\" \"E2U+pstn:tel\" "
    "\"!^.*$!tel:+12155550123;npdi;rn=+12155550199!\" .\n"
    "3.2.1.0.5.5.5.5.1.2 NAPTR 20 100 \"u\" \"E2U+sip\" \"!^.*$!sip:a@example.com!\" .\n"
    "4.2.1.0.5.5.5.5.1.2 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:b@example.com!\" .\n"
    "4.2.1.0.5.5.5.5.1.2 TXT \"other type\"\n"
    "x.4.2.1.0.5.5.5.5.1.2 TXT \"below\"\n"
    "5.2.1.0.5.5.5.5.1.2 CNAME 3.2.1.0.5.5.5.5.1.2\n"
    "9.9.9 NS ns.9.9.9\nns.9.9.9 A 192.0.2.1\n"
    "*.8.8.8 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:w@example.com!\" .\n"
    ";@e2u-block +1777555XXXX 3600 IN NAPTR 10 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+17775550000;npdi!\" .\n";

static e2ud_qctx_t qctx;
static e2u_store_t *store;
static uint8_t resp[65535];

static void setup(void)
{
    char dir[] = "/tmp/e2u-fuzz-query.XXXXXX";
    char path[256], db[256];
    CHECK(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/zone", dir);
    snprintf(db, sizeof(db), "%s/db", dir);
    FILE *f = fopen(path, "w");
    CHECK(f);
    fputs(zone, f);
    fclose(f);
    e2u_store_opts_t o = {.no_sync = true, .map_size = 64u << 20};
    e2u_diag_t d;
    CHECK(e2u_store_open(&store, db, &o, &d) == 0);
    CHECK(e2u_store_import(store, path, NULL, NULL, &d) == 0);
    CHECK(e2u_store_index_refresh(store, NULL, NULL) == 0);
    static e2ud_stats_t stats;
    CHECK(e2ud_qctx_init(&qctx, NULL, store, &stats, 1232) == 0);
    /* a configuration as a server has one, at its defaults but for the NSID, the longest
     * allowed, so that an answer which carries it is as large as one can be */
    static e2ud_conf_t conf;
    e2ud_conf_init(&conf);
    memset(conf.nsid, 'n', E2UD_NSID_MAX);
    conf.nsid_len = E2UD_NSID_MAX;
    conf.ncookies = 1; /* DNS Cookies, every bad one answered BADCOOKIE */
    conf.cookies[0].secret_lifetime = 3600;
    conf.cookies[0].badcookie_slip = 1;
    conf.cookie = 0;
    qctx.cfg = e2ud_cfg_new(&conf);
    CHECK(qctx.cfg);
    e2ud_log_open(E2UD_LOG_STDERR, 0); /* quiet */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!store)
        setup();
    if (size < 1)
        return 0;
    bool tcp = data[0] & 1;
    const uint8_t *msg = data + 1;
    size_t len = size - 1;
    if (len > 65535)
        return 0;
    e2ud_qctx_renew(&qctx);
    for (unsigned step = 0; step < 2; step++)
        e2ud_qctx_prefetch(&qctx, msg, len, step);
    struct sockaddr_storage from = {0};
    struct sockaddr_in *v4 = (struct sockaddr_in *)&from;
    v4->sin_family = AF_INET;
    v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    size_t n = e2ud_answer(&qctx, msg, len, resp, sizeof(resp), &from, tcp);
    if (n == 0) {
        /* silence only for these (server/query.c, step 1) */
        if (len < KNOT_WIRE_HEADER_SIZE || knot_wire_get_qr(msg))
            return 0;
        knot_pkt_t *p = knot_pkt_new((uint8_t *)msg, (uint16_t)len, NULL);
        CHECK(p);
        CHECK(knot_wire_get_qdcount(msg) != 0);
        CHECK(knot_pkt_parse_question(p) != KNOT_EOK);
        knot_pkt_free(p);
        return 0;
    }
    CHECK(n >= KNOT_WIRE_HEADER_SIZE && n <= sizeof(resp));
    CHECK(memcmp(resp, msg, 2) == 0);
    CHECK(knot_wire_get_qr(resp));
    if (!tcp)
        CHECK(n <= 1232);
    knot_pkt_t *p = knot_pkt_new(resp, (uint16_t)n, NULL);
    CHECK(p);
    CHECK(knot_pkt_parse(p, 0) == KNOT_EOK);
    knot_pkt_free(p);
    if (!tcp) {
        /* rate limiting reads the answer too: one token a second, so the same answer counted
         * twice in a second is limited the second time and, with slip 1, truncated */
        static e2ud_rrl_t *rrl;
        static e2ud_rrl_state_t st;
        static uint64_t second;
        if (!rrl) {
            e2ud_rrl_conf_t rc = {.rate = 1, .slip = 1, .table_size = 4096};
            CHECK((rrl = e2ud_rrl_new(&rc)));
        }
        struct sockaddr_storage net = {0};
        struct sockaddr_in *sin = (struct sockaddr_in *)&net;
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(0xc0000201); /* 192.0.2.1 */
        second++; /* a new second for each input: its bucket is full */
        e2ud_rrl_ticket_t tk;
        e2ud_rrl_classify(rrl, &net, resp, n, qctx.zone, false, &tk);
        CHECK(e2ud_rrl_count(rrl, &st, &tk, &net, second) == E2UD_RRL_PASS);
        CHECK(e2ud_rrl_count(rrl, &st, &tk, &net, second) == E2UD_RRL_SLIP);
        uint16_t qd = knot_wire_get_qdcount(resp);
        size_t t = e2ud_rrl_truncate(resp, n);
        CHECK(t >= KNOT_WIRE_HEADER_SIZE && t <= n);
        CHECK(knot_wire_get_tc(resp) && knot_wire_get_ancount(resp) == 0 &&
              knot_wire_get_nscount(resp) == 0 && knot_wire_get_arcount(resp) <= 1);
        CHECK(knot_wire_get_qdcount(resp) == qd);
        p = knot_pkt_new(resp, (uint16_t)t, NULL);
        CHECK(p);
        CHECK(knot_pkt_parse(p, 0) == KNOT_EOK);
        knot_pkt_free(p);
    }
    return 0;
}
