/*
 * fuzz/fuzz_update.c — libFuzzer target for e2ud's RFC 2136 UPDATE path (server/update.c).
 *
 * fuzz_query.c answers with no server context (q->srv NULL), so the UPDATE and NOTIFY opcodes
 * never get past the ACL there. This target builds the context e2ud's main() builds: a
 * configuration loaded from text (server/conf.c) with TSIG keys and ACLs, the keys loaded for
 * libknot, and a writable store (no_sync, so that a commit costs microseconds) in a temporary
 * directory holding three zones:
 *
 *   1.e164.arpa.    the zone UPDATE changes: numbers, ordinary names, a CNAME, an ordinary
 *                   wildcard name holding NAPTRs, blocks of any and of a fixed length (two at
 *                   one prefix), a delegation; updates allowed from 127.0.0.0/8 without a key,
 *                   from anywhere with upd-key, denied from 192.0.2.0/24 without a key;
 *   6.1.e164.arpa.  a more specific zone of the same store (names below it are NOTZONE for
 *                   1.e164.arpa.), no ACL: UPDATE REFUSED;
 *   2.e164.arpa.    a secondary zone (master configured): UPDATE NOTAUTH.
 *
 * Input: the first octet selects the transport and the client, the rest is the message.
 *   bit 0      TCP (cap 65535) or UDP (at most 4096 octets in, answers into 1232);
 *   bit 1      the harness signs the message with upd-key (TSIG, RFC 8945, the current time)
 *              so that signed requests get past verification and signed answers are built;
 *   bits 2-3   the client: 127.0.0.1, 127.0.0.1, 192.0.2.1 (denied network), ::1 (no rule).
 * The opcode of the message is forced to UPDATE, so that no input is spent on the query path
 * (fuzz_query.c's job).
 *
 * Checks (abort on violation):
 *   - an answer for every message that is at least a header, not a response, and whose
 *     question parses; the answer echoes the ID, has QR set and opcode UPDATE, fits the
 *     transport, and parses again with libknot; an answer signed with upd-key verifies;
 *   - after each input the store is readable: every zone is found with its SOA, and the
 *     changed zone iterates to its end;
 *   - the SOA serial of 1.e164.arpa. never decreases (RFC 1982 arithmetic), does not move
 *     when the answer is not NOERROR (nothing of a refused request is applied), and the serials
 *     of the other two zones never move;
 *   - a request that only adds records (class IN, no SOA, one TTL per RRset) and changed the
 *     zone is sent again: it then adds what is there, which must change nothing and leave the
 *     serial alone (RFC 2136 §3.6, update.c step 6).
 *
 * State: an input that changed 1.e164.arpa. is followed by a re-import of its master file,
 * which makes the zone exactly the file again (with the serial bumped once more, so it still
 * never decreases). Every input therefore starts from the same data and a crash reproduces
 * from its input alone, and the store cannot grow across millions of inputs: its data is the
 * three small zones plus a journal capped at JOURNAL_MAX entries per zone, and LMDB reuses
 * the pages freed by each reset (no reader holds an old snapshot between inputs).
 */
#include <arpa/inet.h>
#include <ftw.h>
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
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_update: check failed, line %d: %s\n", __LINE__, #c);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define UDP_QMAX    4096 /* server/udp.c: a longer datagram is truncated and dropped */
#define UDP_CAP     1232 /* the answer buffer of a UDP worker: udp-max-payload */
#define JOURNAL_MAX 16
#define SECRET      "Zm9vYmFyLWZ1enotdXBkYXRlLWtleS0wMTIzNDU2Nzg5"

static const char zone_main[] =
    "$ORIGIN 1.e164.arpa.\n$TTL 3600\n"
    "@ SOA ns1.example. hostmaster.example. 1 7200 3600 1209600 300\n"
    "@ NS ns1.example.\n"
    "@ NS ns2.example.\n"
    "@ TXT \"apex\"\n"
    "3.2.1.0.5.5.5.5.1.2 NAPTR 10 100 \"u\" \"E2U+pstn:tel\" "
    "\"!^.*$!tel:+12155550123;npdi;rn=+12155550199!\" .\n"
    "3.2.1.0.5.5.5.5.1.2 NAPTR 20 100 \"u\" \"E2U+sip\" \"!^.*$!sip:a@example.com!\" .\n"
    "4.2.1.0.5.5.5.5.1.2 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:b@example.com!\" .\n"
    "4.2.1.0.5.5.5.5.1.2 TXT \"other type\"\n"
    "x.4.2.1.0.5.5.5.5.1.2 TXT \"below\"\n"
    "5.2.1.0.5.5.5.5.1.2 CNAME 3.2.1.0.5.5.5.5.1.2\n"
    "www A 192.0.2.10\nwww AAAA 2001:db8::10\n"
    "9.9.9 NS ns.9.9.9\nns.9.9.9 A 192.0.2.1\n"
    "*.8.8.8 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:w@example.com!\" .\n"
    ";@e2u-block +1777555XXXX 3600 IN NAPTR 10 100 \"u\" \"E2U+pstn:tel\" "
    "\"!^.*$!tel:+17775550000;npdi!\" .\n"
    ";@e2u-block +1555444* 3600 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:any@example.com!\" "
    ".\n"
    ";@e2u-block +1555444XXXX 3600 IN NAPTR 10 100 \"u\" \"E2U+sip\" "
    "\"!^.*$!sip:ten@example.com!\" .\n"
    ";@e2u-block +1333* 600 IN NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:b1@example.com!\" .\n"
    ";@e2u-block +1333* 600 IN NAPTR 20 100 \"u\" \"E2U+sip\" \"!^.*$!sip:b2@example.com!\" .\n";

static const char zone_child[] =
    "$ORIGIN 6.1.e164.arpa.\n$TTL 3600\n"
    "@ SOA ns1.example. hostmaster.example. 5 7200 3600 1209600 300\n"
    "@ NS ns1.example.\n"
    "1 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:c@example.com!\" .\n";

static const char zone_sec[] = "$ORIGIN 2.e164.arpa.\n$TTL 3600\n"
                               "@ SOA ns1.example. hostmaster.example. 7 7200 3600 1209600 300\n"
                               "@ NS ns1.example.\n";

static const char conf_text[] =
    "log:\n  - target: stderr\n    any: debug\n"
    "key:\n"
    "  - id: upd-key\n    algorithm: hmac-sha256\n    secret: " SECRET "\n"
    "  - id: other-key\n    algorithm: hmac-sha512\n    secret: " SECRET "\n"
    "remote:\n  - id: primary\n    address: 192.0.2.53@53\n    key: other-key\n"
    "acl:\n"
    "  - id: outsiders\n    address: [192.0.2.0/24]\n    action: update\n    deny: on\n"
    "  - id: local\n    address: 127.0.0.0/8\n    action: [update, transfer]\n"
    "  - id: signed\n    key: [upd-key]\n    action: update\n"
    "zone:\n"
    "  - domain: 1.e164.arpa\n    acl: [signed, outsiders, local]\n"
    "  - domain: 2.e164.arpa\n    master: primary\n    acl: [local]\n";

/* the zones as wire names */
static const uint8_t origin_main[] = "\x01"
                                     "1"
                                     "\x04"
                                     "e164"
                                     "\x04"
                                     "arpa";
static const uint8_t origin_child[] = "\x01"
                                      "6"
                                      "\x01"
                                      "1"
                                      "\x04"
                                      "e164"
                                      "\x04"
                                      "arpa";
static const uint8_t origin_sec[] = "\x01"
                                    "2"
                                    "\x04"
                                    "e164"
                                    "\x04"
                                    "arpa";

static e2ud_conf_t conf;
static e2ud_server_t srv;
static e2ud_stats_t stats;
static e2ud_qctx_t qctx;
static e2u_store_t *store;
static e2u_store_rd_t *check_rd;
static char dir[] = "/tmp/e2u-fuzz-update.XXXXXX";
static char main_path[256];
static uint32_t serial_main, serial_child, serial_sec;
static uint8_t *req, *resp;
static bool trace; /* E2U_FUZZ_TRACE set: one line per input on stderr */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f);
    CHECK(fputs(text, f) >= 0);
    CHECK(fclose(f) == 0);
}

static void import(const char *path)
{
    e2u_diag_t d;
    if (e2u_store_import(store, path, NULL, NULL, &d) != 0) {
        fprintf(stderr, "fuzz_update: import %s: %s\n", path, d.msg);
        abort();
    }
}

/* The serial of a zone as a fresh snapshot sees it; aborts when the zone or its SOA is gone. */
static uint32_t serial_of(const uint8_t *origin)
{
    const e2u_store_zone_t *z;
    CHECK(e2u_store_zone_get(check_rd, origin, &z) == 0);
    CHECK(z->soa_len >= 22); /* two names and five 32-bit fields */
    CHECK(knot_wire_read_u32(z->soa + z->soa_len - 20) == z->serial);
    /* and the apex answers for its SOA */
    static uint8_t buf[E2U_STORE_BUF_MIN];
    e2u_store_answer_t a;
    e2u_store_rrset_t rs;
    CHECK(e2u_store_find(check_rd, origin, knot_dname_size(origin), buf, sizeof(buf), &a) == 0);
    CHECK(a.kind == E2U_STORE_APEX);
    CHECK(e2u_store_answer_rrset(&a, KNOT_RRTYPE_SOA, &rs) == 0 && rs.count == 1);
    return z->serial;
}

/* Every entry of the zone can be read. */
static void walk(const uint8_t *origin)
{
    e2u_store_iter_t *it;
    e2u_store_entry_t e;
    int rc;
    CHECK(e2u_store_iter_begin(check_rd, origin, &it) == 0);
    size_t n = 0;
    while ((rc = e2u_store_iter_next(it, &e)) == 1) {
        size_t pos = 0;
        e2u_store_rrset_t rs;
        while (e2u_store_rrset_next(e.rrsets, e.rrsets_len, &pos, &rs))
            ;
        n++;
    }
    CHECK(rc == 0);
    CHECK(n >= 1); /* the apex */
    e2u_store_iter_end(it);
}

static bool serial_ge(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) >= 0; /* RFC 1982 */
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* At exit (libFuzzer's -runs/-max_total_time, the end of a replay): nothing left in /tmp. */
static void cleanup(void)
{
    e2u_store_read_end(check_rd);
    e2ud_qctx_free(&qctx);
    e2u_store_close(store);
    e2ud_cfg_unref(srv.cfg);
    free(req);
    free(resp);
    nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void setup(void)
{
    char path[256], db[256], err[512];
    CHECK(mkdtemp(dir));
    atexit(cleanup);
    e2ud_log_open(E2UD_LOG_STDERR, 0); /* quiet */

    snprintf(path, sizeof(path), "%s/e2ud.conf", dir);
    write_file(path, conf_text);
    e2ud_conf_init(&conf);
    if (e2ud_conf_load(&conf, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "fuzz_update: %s\n", err);
        abort();
    }
    e2ud_cfg_t *cfg = e2ud_cfg_new(&conf); /* takes conf over, as e2ud's start does */
    CHECK(cfg);
    pthread_mutex_init(&srv.cfg_lock, NULL);
    e2ud_cfg_publish(&srv, cfg);
    srv.start = &cfg->conf;
    srv.store_writable = true;

    snprintf(db, sizeof(db), "%s/db", dir);
    e2u_store_opts_t o = {.no_sync = true, .map_size = 256u << 20, .journal_max = JOURNAL_MAX};
    e2u_diag_t d;
    CHECK(e2u_store_open(&store, db, &o, &d) == 0);
    srv.store = store;
    snprintf(main_path, sizeof(main_path), "%s/main.zone", dir);
    write_file(main_path, zone_main);
    import(main_path);
    snprintf(path, sizeof(path), "%s/child.zone", dir);
    write_file(path, zone_child);
    import(path);
    snprintf(path, sizeof(path), "%s/sec.zone", dir);
    write_file(path, zone_sec);
    import(path);

    CHECK(e2ud_qctx_init(&qctx, &srv, store, &stats, UDP_CAP) == 0);
    CHECK(e2u_store_read_begin(store, &check_rd) == 0);
    serial_main = serial_of(origin_main);
    serial_child = serial_of(origin_child);
    serial_sec = serial_of(origin_sec);
    e2u_store_read_reset(check_rd);
    trace = getenv("E2U_FUZZ_TRACE") != NULL;
    req = malloc(65535 + 512);
    resp = malloc(65535);
    CHECK(req && resp);
}

/* The message could not be answered: only for the cases of server/query.c, step 1. */
static void check_silence(const uint8_t *msg, size_t len)
{
    if (len < KNOT_WIRE_HEADER_SIZE || knot_wire_get_qr(msg))
        return;
    CHECK(knot_wire_get_qdcount(msg) != 0);
    knot_pkt_t *p = knot_pkt_new((uint8_t *)msg, (uint16_t)len, NULL);
    CHECK(p);
    CHECK(knot_pkt_parse_question(p) != KNOT_EOK);
    knot_pkt_free(p);
}

static void check_answer(const uint8_t *msg, size_t len, size_t n, bool tcp, bool signed_req,
                         const uint8_t *mac, size_t mac_len, uint16_t *rcode)
{
    CHECK(n >= KNOT_WIRE_HEADER_SIZE && n <= (tcp ? 65535 : UDP_CAP));
    CHECK(memcmp(resp, msg, 2) == 0);
    CHECK(knot_wire_get_qr(resp));
    CHECK(knot_wire_get_opcode(resp) == KNOT_OPCODE_UPDATE);
    CHECK(knot_wire_get_qdcount(resp) <= 1);
    CHECK(knot_wire_get_ancount(resp) == 0);
    (void)len;
    knot_pkt_t *p = knot_pkt_new(resp, (uint16_t)n, NULL);
    CHECK(p);
    CHECK(knot_pkt_parse(p, 0) == KNOT_EOK);
    *rcode = knot_wire_get_rcode(resp);
    if (p->opt_rr)
        *rcode = knot_edns_whole_rcode(knot_edns_get_ext_rcode(p->opt_rr), (uint8_t)*rcode);
    if (!signed_req) {
        CHECK(p->tsig_rr == NULL || *rcode == KNOT_RCODE_NOTAUTH); /* its own TSIG, echoed */
    } else if (p->tsig_rr && knot_tsig_rdata_error(p->tsig_rr) == 0 &&
               knot_dname_is_equal(p->tsig_rr->owner, srv.cfg->tsig[0].name)) {
        /* RFC 8945 §5.3: signed with the request's key over the request's MAC */
        CHECK(knot_tsig_client_check(p->tsig_rr, p->wire, p->size, mac, mac_len, &srv.cfg->tsig[0], 0) ==
              KNOT_EOK);
    }
    knot_pkt_free(p);
}

/* Answer the message req[len] and check the answer; returns its rcode (0xffff: none). */
static uint16_t answer(size_t len, bool tcp, const struct sockaddr_storage *from, bool sign,
                       const uint8_t *mac, size_t mac_len)
{
    e2ud_qctx_renew(&qctx);
    size_t n = e2ud_answer(&qctx, req, len, resp, tcp ? 65535 : UDP_CAP, from, tcp);
    e2ud_qctx_idle(&qctx);
    uint16_t rcode = 0xffff;
    if (n == 0)
        check_silence(req, len);
    else
        check_answer(req, len, n, tcp, sign, mac, mac_len, &rcode);
    return rcode;
}

/* Whether the update section of req[len] only adds (class IN) records other than the SOA, with
 * one TTL per RRset: applied a second time, such a request finds everything there. */
static bool adds_only(size_t len)
{
    knot_pkt_t *p = knot_pkt_new(req, (uint16_t)len, NULL);
    bool ok = p && knot_pkt_parse(p, 0) == KNOT_EOK;
    const knot_pktsection_t *up = ok ? knot_pkt_section(p, KNOT_AUTHORITY) : NULL;
    ok = ok && up->count > 0;
    for (uint16_t i = 0; ok && i < up->count; i++) {
        const knot_rrset_t *a = knot_pkt_rr(up, i);
        ok = a->rclass == KNOT_CLASS_IN && a->type != KNOT_RRTYPE_SOA;
        for (uint16_t j = 0; ok && j < i; j++) {
            const knot_rrset_t *b = knot_pkt_rr(up, j);
            ok = !(a->type == b->type && a->ttl != b->ttl &&
                   knot_dname_is_case_equal(a->owner, b->owner));
        }
    }
    knot_pkt_free(p);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!store)
        setup();
    if (size < 1)
        return 0;
    bool tcp = data[0] & 1, sign = data[0] & 2;
    unsigned who = (data[0] >> 2) & 3;
    size_t len = size - 1;
    if (len > (tcp ? 65535 : UDP_QMAX))
        return 0;
    memcpy(req, data + 1, len);
    if (len > 2)
        req[2] = (uint8_t)((req[2] & ~0x78) | (KNOT_OPCODE_UPDATE << 3));
    uint8_t mac[64];
    size_t mac_len = 0;
    if (sign && len >= KNOT_WIRE_HEADER_SIZE) {
        size_t max = tcp ? 65535 : UDP_QMAX, dl = sizeof(mac);
        if (knot_tsig_sign(req, &len, max, NULL, 0, mac, &dl, &srv.cfg->tsig[0], 0, 0) == KNOT_EOK)
            mac_len = dl;
        else
            sign = false;
    } else {
        sign = false;
    }

    struct sockaddr_storage from;
    memset(&from, 0, sizeof(from));
    if (who == 3) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&from;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        a->sin6_port = htons(40000);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&from;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(who == 2 ? 0xc0000201u : 0x7f000001u);
        a->sin_port = htons(40000);
    }

    uint16_t rcode = answer(len, tcp, &from, sign, mac, mac_len);

    /* the store after the request */
    CHECK(e2u_store_read_renew(check_rd) == 0);
    uint32_t s = serial_of(origin_main);
    CHECK(serial_of(origin_child) == serial_child);
    CHECK(serial_of(origin_sec) == serial_sec);
    CHECK(serial_ge(s, serial_main));
    if (rcode != KNOT_RCODE_NOERROR)
        CHECK(s == serial_main); /* nothing of a refused request is applied */
    if (rcode == KNOT_RCODE_NOERROR && s != serial_main && adds_only(len)) {
        /* the same additions again add what is there: nothing changes, the serial stays */
        e2u_store_read_reset(check_rd);
        answer(len, tcp, &from, sign, mac, mac_len);
        CHECK(e2u_store_read_renew(check_rd) == 0);
        CHECK(serial_of(origin_main) == s);
    }
    if (s != serial_main) {
        walk(origin_main);
        e2u_store_read_reset(check_rd);
        import(main_path); /* back to the file, for the next input */
        CHECK(e2u_store_read_renew(check_rd) == 0);
        uint32_t s2 = serial_of(origin_main);
        CHECK(serial_ge(s2, s) && s2 != s);
        s = s2;
    }
    if (trace)
        fprintf(stderr, "fuzz_update: %s, %zu octets, rcode %d, serial %u -> %u\n",
                tcp ? "TCP" : "UDP", len, rcode == 0xffff ? -1 : (int)rcode, serial_main, s);
    serial_main = s;
    e2u_store_read_reset(check_rd);
    return 0;
}
