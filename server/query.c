/*
 * server/query.c — the query path: one DNS message in, its answer out, from the store.
 *
 * The answer must equal what an RFC 1034 §4.3.2 server answers for the equivalent zone file
 * (DESIGN.md; the differential test against Knot DNS holds us to it), so the steps follow that
 * algorithm and Knot's choices where the RFCs leave room:
 *
 *   1. Framing. Shorter than a header, a response (QR=1), or a question that does not parse
 *      (or more than one): dropped, nothing is sent. No question: FORMERR, header only. A
 *      question that parses in a message that does not (two OPTs, trailing octets, counts
 *      that lie): FORMERR with the question (RFC 1035 §4.1.1). Opcode other than QUERY:
 *      NOTIMP; AXFR over UDP: NOTIMP, IXFR over UDP: our SOA (RFC 1995 §2). An OPT of a
 *      version we do not speak: BADVERS with our OPT (RFC 6891 §6.1.3). Class CH: the server's
 *      identity and version (RFC 4892), else REFUSED; other classes but IN and ANY: REFUSED.
 *      Our OPT carries the NSID (RFC 5001) when the client's asked for it.
 *   2. Zone. No zone holds the name: REFUSED, not authoritative (RFC 1034 §4.3.2 step 2).
 *      A private zone the client may not query: REFUSED. A secondary zone past its EXPIRE
 *      (xfr_in.c): SERVFAIL.
 *   3. The name, as the store classifies it (e2u/store.h): data of the asked type in the answer
 *      (CNAMEs followed inside the zone); NODATA and NXDOMAIN with the zone's SOA in authority,
 *      its TTL the lesser of the SOA's TTL and MINIMUM (RFC 2308 §3); a zone cut below the
 *      apex answered as a referral (NS in authority, in-zone glue in additional, AA clear).
 *      ANY gets one RRset, as RFC 8482 allows and Knot does.
 *   4. Size. UDP answers fit the client's EDNS payload size (at most our udp_max_payload; 512
 *      without EDNS, RFC 1035 §4.2.1); an RRset that does not fit sets TC and is left out
 *      whole, as Knot does. TCP answers may use 65535 octets.
 *
 * Owner names in the answer are compression pointers to the question, so the name is echoed
 * in the case it was asked in. libknot parses and builds the wire format (a benchmark showed
 * its parse and build at about 140 ns a query, well inside the budget); the store hands out
 * RDATA, which is copied into libknot's rdataset layout on the stack.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <libknot/libknot.h>

#include "e2u/dname.h"
#include "server.h"

#define RDATASET_BUF 65536

int e2ud_qctx_init(e2ud_qctx_t *q, e2ud_server_t *srv, e2u_store_t *st, e2ud_stats_t *stats,
                   uint16_t udp_max)
{
    memset(q, 0, sizeof(*q));
    q->buf = malloc(E2U_STORE_BUF_MIN);
    if (!q->buf)
        return E2U_ENOMEM;
    q->srv = srv;
    q->cfg = srv ? e2ud_cfg_current(srv) : NULL;
    q->stats = stats;
    q->udp_max_payload = udp_max;
    int rc = e2u_store_read_begin(st, &q->rd);
    if (rc < 0) {
        free(q->buf);
        q->buf = NULL;
        e2ud_cfg_unref(q->cfg);
        q->cfg = NULL;
        return rc;
    }
    return 0;
}

void e2ud_qctx_free(e2ud_qctx_t *q)
{
    e2u_store_read_end(q->rd);
    free(q->buf);
    e2ud_cfg_unref(q->cfg);
    q->rd = NULL;
    q->buf = NULL;
    q->cfg = NULL;
}

void e2ud_qctx_idle(e2ud_qctx_t *q)
{
    e2u_store_read_reset(q->rd);
}

void e2ud_qctx_prefetch(e2ud_qctx_t *q, const uint8_t *query, size_t qlen, unsigned step)
{
    if (qlen > KNOT_WIRE_HEADER_SIZE)
        e2u_store_prefetch(q->rd, query + KNOT_WIRE_HEADER_SIZE, qlen - KNOT_WIRE_HEADER_SIZE,
                           step);
}

void e2ud_qctx_renew(e2ud_qctx_t *q)
{
    if (q->srv)
        e2ud_cfg_renew(q->srv, &q->cfg);
    if (e2u_store_read_renew(q->rd) < 0)
        e2ud_log(LOG_ERR, "store: cannot renew the read transaction");
}

/* Copy a store RRset into libknot's rdataset layout in buf; returns false if it does not fit. */
static bool to_rdataset(const e2u_store_rrset_t *rs, uint8_t *buf, size_t cap, knot_rdataset_t *out)
{
    size_t pos = 0, o = 0;
    const uint8_t *rd;
    uint16_t len;
    out->count = 0;
    out->rdata = (knot_rdata_t *)buf;
    while (e2u_store_rdata_next(rs, &pos, &rd, &len)) {
        size_t sz = knot_rdata_size(len);
        if (o + sz > cap)
            return false;
        knot_rdata_init((knot_rdata_t *)(buf + o), len, rd);
        o += sz;
        out->count++;
    }
    out->size = (uint32_t)o;
    return true;
}

/* Put one RRset into the current section. Returns KNOT_EOK, KNOT_ESPACE (did not fit), or
 * another error. */
static int put_rrset(knot_pkt_t *pkt, const knot_dname_t *owner, uint16_t compr_hint,
                     const e2u_store_rrset_t *rs, uint8_t *scratch)
{
    knot_rrset_t rr;
    knot_rrset_init(&rr, (knot_dname_t *)owner, rs->type, KNOT_CLASS_IN, rs->ttl);
    if (!to_rdataset(rs, scratch, RDATASET_BUF, &rr.rrs))
        return KNOT_ESPACE;
    return knot_pkt_put(pkt, compr_hint, &rr, 0);
}

/* The SOA for the authority section of a negative answer (RFC 2308 §3). */
static int put_soa(knot_pkt_t *pkt, const e2u_store_zone_t *z, uint8_t *scratch)
{
    uint32_t ttl = z->soa_ttl;
    if (z->soa_len >= 4) {
        const uint8_t *m = z->soa + z->soa_len - 4; /* MINIMUM is the last field */
        uint32_t minimum = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
        if (minimum < ttl)
            ttl = minimum;
    }
    knot_rrset_t rr;
    knot_rrset_init(&rr, (knot_dname_t *)z->origin, KNOT_RRTYPE_SOA, KNOT_CLASS_IN, ttl);
    knot_rdata_init((knot_rdata_t *)scratch, z->soa_len, z->soa);
    rr.rrs.count = 1;
    rr.rrs.size = (uint32_t)knot_rdata_size(z->soa_len);
    rr.rrs.rdata = (knot_rdata_t *)scratch;
    return knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &rr, 0);
}

/* The CHAOS-class names of RFC 4892 §2.2 and the older BIND ones, in wire form. */
static const uint8_t ID_SERVER[] = "\x02id\x06server", HOSTNAME_BIND[] = "\x08hostname\x04" "bind",
                     VERSION_SERVER[] = "\x07version\x06server",
                     VERSION_BIND[] = "\x07version\x04" "bind";

/* A CHAOS-class question (RFC 4892): the server's identity or version as one TXT string, with
 * TTL 0, not authoritative, the owner the question as asked; any other name or type, or an item
 * set to "", REFUSED. So Knot answers, but for its "fortune." (not answered here). */
static void chaos_answer(knot_pkt_t *pkt, const e2ud_conf_t *c, const knot_dname_t *qname,
                         uint16_t qtype, uint8_t *scratch)
{
    const char *txt = NULL;
    if (c && qtype == KNOT_RRTYPE_TXT) {
        if (knot_dname_is_case_equal(qname, ID_SERVER) ||
            knot_dname_is_case_equal(qname, HOSTNAME_BIND))
            txt = c->identity;
        else if (knot_dname_is_case_equal(qname, VERSION_SERVER) ||
                 knot_dname_is_case_equal(qname, VERSION_BIND))
            txt = c->version;
    }
    if (!txt || !txt[0]) {
        knot_wire_set_rcode(pkt->wire, KNOT_RCODE_REFUSED);
        return;
    }
    /* a <character-string>: its length octet, then its octets (RFC 1035 §3.3) */
    uint8_t rd[1 + E2UD_TXT_MAX];
    size_t n = 0;
    for (; n < E2UD_TXT_MAX && txt[n]; n++) /* conf.c holds it to E2UD_TXT_MAX */
        rd[1 + n] = (uint8_t)txt[n];
    rd[0] = (uint8_t)n;
    knot_rrset_t rr;
    knot_rrset_init(&rr, (knot_dname_t *)qname, KNOT_RRTYPE_TXT, KNOT_CLASS_CH, 0);
    knot_rdata_init((knot_rdata_t *)scratch, (uint16_t)(n + 1), rd);
    rr.rrs.count = 1;
    rr.rrs.size = (uint32_t)knot_rdata_size((uint16_t)(n + 1));
    rr.rrs.rdata = (knot_rdata_t *)scratch;
    knot_pkt_begin(pkt, KNOT_ANSWER);
    if (knot_pkt_put(pkt, KNOT_COMPR_HINT_QNAME, &rr, 0) != KNOT_EOK)
        knot_wire_set_tc(pkt->wire);
}

int e2ud_opt_init(const e2ud_qctx_t *q, const knot_pkt_t *qp, knot_rrset_t *opt)
{
    int rc = knot_edns_init(opt, q->udp_max_payload, 0, KNOT_EDNS_VERSION, NULL);
    if (rc != KNOT_EOK)
        return rc;
    if (knot_edns_do(qp->opt_rr))
        knot_edns_set_do(opt);
    const e2ud_conf_t *c = q->cfg ? &q->cfg->conf : NULL;
    if (c && c->nsid_len && knot_pkt_edns_option(qp, KNOT_EDNS_OPTION_NSID)) {
        rc = knot_edns_add_option(opt, KNOT_EDNS_OPTION_NSID, (uint16_t)c->nsid_len, c->nsid,
                                  NULL);
        if (rc != KNOT_EOK) {
            knot_rrset_clear(opt, NULL);
            return rc;
        }
    }
    if (q->cookie.put && (rc = e2ud_cookie_add(&q->cookie, opt)) != KNOT_EOK) {
        knot_rrset_clear(opt, NULL);
        return rc;
    }
    return KNOT_EOK;
}

int e2ud_opt_add_ede(knot_rrset_t *opt, uint16_t code)
{
    uint8_t v[2] = {(uint8_t)(code >> 8), (uint8_t)code};
    return knot_edns_add_option(opt, KNOT_EDNS_OPTION_EDE, sizeof(v), v, NULL);
}

size_t e2ud_opt_append(const e2ud_qctx_t *q, const knot_pkt_t *qp, uint8_t *resp, size_t len,
                       size_t cap, uint16_t rcode, int ede)
{
    knot_rrset_t opt;
    if (!knot_pkt_has_edns(qp) || len >= cap || e2ud_opt_init(q, qp, &opt) != KNOT_EOK)
        return len;
    knot_edns_set_ext_rcode(&opt, KNOT_EDNS_RCODE_HI(rcode));
    if (ede < 0 || e2ud_opt_add_ede(&opt, (uint16_t)ede) == KNOT_EOK) {
        int n = knot_rrset_to_wire(&opt, resp + len, (uint32_t)(cap - len), NULL);
        if (n > 0) {
            len += (size_t)n;
            knot_wire_add_arcount(resp, 1);
        }
    }
    knot_rrset_clear(&opt, NULL);
    return len;
}

/* A header-only error answer when the message cannot be parsed further. */
static size_t header_only(const uint8_t *query, uint8_t *resp, size_t cap, uint8_t rcode)
{
    if (cap < KNOT_WIRE_HEADER_SIZE)
        return 0;
    memcpy(resp, query, KNOT_WIRE_HEADER_SIZE);
    knot_wire_set_qr(resp);
    knot_wire_clear_aa(resp);
    knot_wire_clear_tc(resp);
    knot_wire_clear_ra(resp);
    knot_wire_clear_z(resp);
    knot_wire_clear_ad(resp);
    knot_wire_set_rcode(resp, rcode);
    knot_wire_set_qdcount(resp, 0);
    knot_wire_set_ancount(resp, 0);
    knot_wire_set_nscount(resp, 0);
    knot_wire_set_arcount(resp, 0);
    return KNOT_WIRE_HEADER_SIZE;
}

typedef struct ans {
    knot_pkt_t *pkt;
    e2ud_qctx_t *q;
    const e2ud_req_t *req;
    uint8_t *scratch;
    const knot_dname_t *qname;
    uint16_t qtype;
    int zone_slot;
    int ede; /* an Extended DNS Error for our OPT (RFC 8914), -1 none */
} ans_t;

/* Answer from the zone: fills the sections and sets AA / rcode. */
static void answer_zone(ans_t *a)
{
    e2u_store_answer_t sa;
    knot_pkt_t *pkt = a->pkt;
    const knot_dname_t *name = a->qname;
    uint16_t hint = KNOT_COMPR_HINT_QNAME;
    size_t nlen = knot_dname_size(name);
    uint8_t cname_target[KNOT_DNAME_MAXLEN];

    int rc = e2u_store_find(a->q->rd, name, nlen, a->q->buf, E2U_STORE_BUF_MIN, &sa);
    if (rc == E2U_ENOZONE) {
        knot_wire_set_rcode(pkt->wire, KNOT_RCODE_REFUSED);
        a->ede = E2UD_EDE_NOT_AUTHORITATIVE; /* as Knot says it */
        return;
    }
    if (rc < 0) {
        knot_wire_set_rcode(pkt->wire, KNOT_RCODE_SERVFAIL);
        return;
    }
    a->zone_slot = e2ud_stats_zone_slot(sa.zone->origin, sa.zone->origin_len);
    a->q->zone = sa.zone->origin;
    if (sa.indexed && a->q->stats)
        e2ud_count(&a->q->stats->index_hits, 1);
    if (a->q->cfg &&
        !e2ud_acl_allows(&a->q->cfg->conf, e2ud_conf_zone(&a->q->cfg->conf, sa.zone->origin),
                         E2UD_ACT_QUERY, a->req)) {
        knot_wire_set_rcode(pkt->wire, KNOT_RCODE_REFUSED); /* a private zone (RFC 4769 §7) */
        a->ede = E2UD_EDE_PROHIBITED;                       /* RFC 8914 §4.19 */
        return;
    }
    if (e2ud_zone_expired(sa.zone->origin)) {
        /* a secondary's zone past its SOA EXPIRE (RFC 1035 §3.3.13): no longer authoritative */
        knot_wire_set_rcode(pkt->wire, KNOT_RCODE_SERVFAIL);
        a->ede = E2UD_EDE_INVALID_DATA; /* as Knot says of a zone it has no data of */
        return;
    }
    knot_pkt_begin(pkt, KNOT_ANSWER);
    for (int chain = 0;; chain++) {
        if (sa.kind == E2U_STORE_DELEGATION) {
            /* a referral: the cut's NS in authority, not authoritative (RFC 1034 §4.3.2 3b) */
            if (chain == 0)
                knot_wire_clear_aa(pkt->wire);
            e2u_store_rrset_t ns;
            knot_pkt_begin(pkt, KNOT_AUTHORITY);
            if (e2u_store_answer_rrset(&sa, KNOT_RRTYPE_NS, &ns) == 0 &&
                put_rrset(pkt, sa.owner, KNOT_COMPR_HINT_NONE, &ns, a->scratch) == KNOT_ESPACE)
                knot_wire_set_tc(pkt->wire);
            return;
        }
        if (sa.kind == E2U_STORE_NXDOMAIN) {
            if (chain == 0)
                knot_wire_set_rcode(pkt->wire, KNOT_RCODE_NXDOMAIN);
            break;
        }
        if (sa.kind == E2U_STORE_ENT)
            break;
        /* the name has data */
        e2u_store_rrset_t rs;
        if (a->qtype == KNOT_RRTYPE_ANY) {
            /* RFC 8482 §4.2: one RRset is enough. Knot gives the one of the lowest type, which
             * is the first of the store's RRsets (types ascending). */
            size_t pos = 0;
            if (e2u_store_rrset_next(sa.rrsets, sa.rrsets_len, &pos, &rs)) {
                if (put_rrset(pkt, name, hint, &rs, a->scratch) == KNOT_ESPACE)
                    knot_wire_set_tc(pkt->wire);
                return;
            }
            break;
        }
        if (e2u_store_answer_rrset(&sa, a->qtype, &rs) == 0) {
            if (put_rrset(pkt, name, hint, &rs, a->scratch) == KNOT_ESPACE)
                knot_wire_set_tc(pkt->wire);
            return;
        }
        if (a->qtype != KNOT_RRTYPE_CNAME &&
            e2u_store_answer_rrset(&sa, KNOT_RRTYPE_CNAME, &rs) == 0 && chain < 8) {
            /* RFC 1034 §4.3.2 3a: put the CNAME in, restart at its target inside the zone */
            if (put_rrset(pkt, name, hint, &rs, a->scratch) == KNOT_ESPACE) {
                knot_wire_set_tc(pkt->wire);
                return;
            }
            size_t p = 0;
            const uint8_t *target;
            uint16_t tlen;
            if (!e2u_store_rdata_next(&rs, &p, &target, &tlen) || tlen > sizeof(cname_target))
                return;
            memcpy(cname_target, target, tlen);
            name = cname_target;
            hint = KNOT_COMPR_HINT_NONE;
            rc = e2u_store_find(a->q->rd, name, tlen, a->q->buf, E2U_STORE_BUF_MIN, &sa);
            if (rc < 0 || !e2u_dname_is_subdomain(name, sa.zone->origin))
                return; /* out of the zone: the resolver follows it */
            continue;
        }
        break; /* NODATA */
    }
    /* NXDOMAIN or NODATA: the SOA in authority */
    knot_pkt_begin(pkt, KNOT_AUTHORITY);
    if (put_soa(pkt, sa.zone, a->scratch) == KNOT_ESPACE)
        knot_wire_set_tc(pkt->wire);
}

/* An error answer that echoes the question (as Knot does once the question parses). */
size_t e2ud_error_with_question(const e2ud_qctx_t *q, knot_pkt_t *qp, uint8_t *resp, size_t cap,
                                uint16_t rcode)
{
    if (cap > 65535)
        cap = 65535;
    knot_pkt_t *pkt = knot_pkt_new(resp, (uint16_t)cap, NULL);
    if (!pkt)
        return 0;
    size_t n = 0;
    if (knot_pkt_init_response(pkt, qp) == KNOT_EOK) {
        knot_wire_clear_aa(pkt->wire);
        knot_wire_clear_ra(pkt->wire);
        knot_wire_clear_ad(pkt->wire);
        knot_wire_clear_cd(pkt->wire);
        knot_wire_set_rcode(pkt->wire, KNOT_EDNS_RCODE_LO(rcode)); /* the rest in our OPT */
        n = pkt->size;
    }
    knot_pkt_free(pkt);
    return n ? e2ud_opt_append(q, qp, resp, n, cap, rcode, -1) : 0;
}

size_t e2ud_answer(e2ud_qctx_t *q, const uint8_t *query, size_t qlen, uint8_t *resp, size_t cap,
                   const struct sockaddr_storage *from, bool tcp)
{
    q->zone = NULL;
    q->authenticated = false;
    q->cookie.put = false;
    q->cookie_valid = false;
    if (qlen < KNOT_WIRE_HEADER_SIZE || qlen > 65535 || knot_wire_get_qr(query))
        goto drop;
    if (knot_wire_get_qdcount(query) == 0) {
        size_t n = header_only(query, resp, cap, KNOT_RCODE_FORMERR);
        e2ud_stats_query(q->stats, KNOT_RCODE_FORMERR, 0, -1);
        return n;
    }
    knot_pkt_t *qp = knot_pkt_new((uint8_t *)query, (uint16_t)qlen, NULL);
    if (!qp)
        goto drop;
    int rc = knot_pkt_parse(qp, 0);
    uint8_t err = 0;
    if (rc != KNOT_EOK) {
        /* A question that does not parse (or more than one) gets no answer at all; a message
         * whose question parses but whose rest is broken gets FORMERR with the question. */
        knot_pkt_free(qp);
        qp = knot_pkt_new((uint8_t *)query, (uint16_t)qlen, NULL);
        if (!qp || knot_pkt_parse_question(qp) != KNOT_EOK) {
            knot_pkt_free(qp);
            goto drop;
        }
        err = KNOT_RCODE_FORMERR;
    }
    e2ud_req_t req = {.from = from, .tcp = tcp, .key = -1};
    if (!err && q->cfg && e2ud_tsig_verify(q->cfg, qp, &req) != 0) {
        /* RFC 8945 §5.2: NOTAUTH, the TSIG error in the TSIG of the answer */
        size_t n = e2ud_error_with_question(q, qp, resp, cap, KNOT_RCODE_NOTAUTH);
        if (n && e2ud_tsig_sign(q->cfg, &req, resp, &n, cap) < 0)
            n = header_only(query, resp, cap, KNOT_RCODE_NOTAUTH);
        e2ud_stats_query(q->stats, KNOT_RCODE_NOTAUTH, knot_pkt_qtype(qp), -1);
        knot_pkt_free(qp);
        return n;
    }
    q->authenticated = req.key >= 0;
    e2ud_cookies_t *ck = q->cfg ? q->cfg->cookies : NULL;
    if (!err && ck && from && knot_wire_get_opcode(query) == KNOT_OPCODE_QUERY) {
        /* DNS Cookies (cookies.c), before anything else is made of the query, as Knot does */
        int result = -1;
        switch (e2ud_cookies_check(ck, qp, from, &q->cookie)) {
        case E2UD_COOKIE_MALFORMED:
            err = KNOT_RCODE_FORMERR; /* RFC 7873 §5.2.2 */
            result = E2UD_COOKIE_R_MALFORMED;
            break;
        case E2UD_COOKIE_VALID:
            q->cookie_valid = true;
            result = E2UD_COOKIE_R_VALID;
            break;
        case E2UD_COOKIE_NEW:
            result = E2UD_COOKIE_R_RENEWED;
            if (tcp)
                break; /* the answer, with the new cookie */
            size_t n = 0;
            if (e2ud_cookies_answer_bad(ck)) {
                /* RFC 7873 §5.2.3: BADCOOKIE and the new cookie, the question only */
                n = e2ud_error_with_question(q, qp, resp, cap, KNOT_RCODE_BADCOOKIE);
                if (n && q->cfg)
                    e2ud_tsig_sign(q->cfg, &req, resp, &n, cap);
                e2ud_stats_query(q->stats, KNOT_RCODE_BADCOOKIE, knot_pkt_qtype(qp), -1);
                result = E2UD_COOKIE_R_BADCOOKIE;
            } else {
                if (q->stats)
                    e2ud_count(&q->stats->dropped, 1);
                result = E2UD_COOKIE_R_DROPPED; /* badcookie-slip */
            }
            if (q->stats)
                e2ud_count(&q->stats->cookie[result], 1);
            knot_pkt_free(qp);
            return n;
        case E2UD_COOKIE_NONE:
            break;
        }
        if (result >= 0 && q->stats)
            e2ud_count(&q->stats->cookie[result], 1);
    }
    if (err) {
        /* the FORMERR above */
    } else if (knot_wire_get_opcode(query) == KNOT_OPCODE_UPDATE) {
        size_t n = e2ud_update(q, qp, &req, resp, cap);
        e2ud_stats_query(q->stats, n >= KNOT_WIRE_HEADER_SIZE ? knot_wire_get_rcode(resp) : 0,
                         knot_pkt_qtype(qp), -1);
        knot_pkt_free(qp);
        return n;
    } else if (knot_wire_get_opcode(query) == KNOT_OPCODE_NOTIFY) {
        size_t n = e2ud_notify_in(q, qp, &req, resp, cap);
        e2ud_stats_query(q->stats, n >= KNOT_WIRE_HEADER_SIZE ? knot_wire_get_rcode(resp) : 0,
                         knot_pkt_qtype(qp), -1);
        knot_pkt_free(qp);
        return n;
    } else if (knot_wire_get_opcode(query) != KNOT_OPCODE_QUERY) {
        err = KNOT_RCODE_NOTIMPL; /* RFC 1035 §4.1.1 */
    } else if (!tcp && knot_pkt_qtype(qp) == KNOT_RRTYPE_IXFR && q->srv) {
        /* RFC 1995 §2: our SOA alone, as Knot answers (xfr_out.c) */
        size_t n = e2ud_ixfr_udp(q, qp, &req, resp, cap);
        e2ud_stats_query(q->stats, n >= KNOT_WIRE_HEADER_SIZE ? knot_wire_get_rcode(resp) : 0,
                         KNOT_RRTYPE_IXFR, -1);
        knot_pkt_free(qp);
        return n;
    } else if (!tcp &&
               (knot_pkt_qtype(qp) == KNOT_RRTYPE_AXFR || knot_pkt_qtype(qp) == KNOT_RRTYPE_IXFR)) {
        err = KNOT_RCODE_NOTIMPL; /* zone transfers run over TCP */
    }
    if (err) {
        size_t n = e2ud_error_with_question(q, qp, resp, cap, err);
        if (n && q->cfg)
            e2ud_tsig_sign(q->cfg, &req, resp, &n, cap);
        e2ud_stats_query(q->stats, err, knot_pkt_qtype(qp), -1);
        knot_pkt_free(qp);
        return n;
    }

    /* the response size: TCP 65535; UDP the client's EDNS size within ours, or 512 */
    size_t max = tcp ? 65535 : KNOT_WIRE_MIN_PKTSIZE;
    if (!tcp && knot_pkt_has_edns(qp)) {
        size_t pl = knot_edns_get_payload(qp->opt_rr);
        if (pl < KNOT_WIRE_MIN_PKTSIZE)
            pl = KNOT_WIRE_MIN_PKTSIZE;
        max = pl < q->udp_max_payload ? pl : q->udp_max_payload;
    }
    if (max > cap)
        max = cap;
    knot_pkt_t *pkt = knot_pkt_new(resp, (uint16_t)max, NULL);
    if (!pkt || knot_pkt_init_response(pkt, qp) != KNOT_EOK) {
        knot_pkt_free(pkt);
        knot_pkt_free(qp);
        goto drop;
    }
    knot_wire_clear_ra(pkt->wire);
    knot_wire_clear_ad(pkt->wire);
    knot_wire_clear_cd(pkt->wire);

    uint8_t scratch[RDATASET_BUF];
    ans_t a = {.pkt = pkt,
               .q = q,
               .req = &req,
               .scratch = scratch,
               .qname = knot_pkt_qname(qp),
               .qtype = knot_pkt_qtype(qp),
               .zone_slot = -1,
               .ede = -1};

    /* EDNS: our OPT goes last; reserve its room before the answer goes in */
    knot_rrset_t opt;
    bool edns = knot_pkt_has_edns(qp);
    size_t tsig_room = e2ud_tsig_room(q->cfg, &req);
    if (tsig_room)
        knot_pkt_reserve(pkt, (uint16_t)tsig_room);
    if (edns && e2ud_opt_init(q, qp, &opt) != KNOT_EOK) {
        knot_pkt_free(pkt);
        knot_pkt_free(qp);
        goto drop;
    }
    if (edns)
        knot_pkt_reserve(pkt, (uint16_t)knot_edns_wire_size(&opt));

    if (edns && knot_edns_get_version(qp->opt_rr) != KNOT_EDNS_VERSION) {
        /* RFC 6891 §6.1.3: BADVERS, the extended rcode, no answer */
        knot_edns_set_ext_rcode(&opt, KNOT_EDNS_RCODE_HI(KNOT_RCODE_BADVERS));
        knot_wire_set_rcode(pkt->wire, KNOT_EDNS_RCODE_LO(KNOT_RCODE_BADVERS));
    } else if (knot_pkt_qclass(qp) == KNOT_CLASS_CH) {
        chaos_answer(pkt, q->cfg ? &q->cfg->conf : NULL, a.qname, a.qtype, scratch);
    } else if (knot_pkt_qclass(qp) != KNOT_CLASS_IN && knot_pkt_qclass(qp) != KNOT_CLASS_ANY) {
        knot_wire_set_rcode(pkt->wire, KNOT_RCODE_REFUSED);
    } else if (a.qtype == KNOT_RRTYPE_AXFR || a.qtype == KNOT_RRTYPE_IXFR) {
        knot_wire_set_rcode(pkt->wire, KNOT_RCODE_REFUSED);
    } else {
        knot_wire_set_aa(pkt->wire);
        answer_zone(&a);
        if (knot_wire_get_rcode(pkt->wire) == KNOT_RCODE_REFUSED ||
            knot_wire_get_rcode(pkt->wire) == KNOT_RCODE_SERVFAIL)
            knot_wire_clear_aa(pkt->wire);
    }
    if (edns) {
        knot_pkt_reclaim(pkt, (uint16_t)knot_edns_wire_size(&opt));
        if (a.ede >= 0)
            e2ud_opt_add_ede(&opt, (uint16_t)a.ede); /* an error answer: room to spare */
        knot_pkt_begin(pkt, KNOT_ADDITIONAL);
        knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &opt, 0);
    }
    size_t n = pkt->size;
    if (tsig_room) {
        knot_pkt_reclaim(pkt, (uint16_t)tsig_room);
        if (e2ud_tsig_sign(q->cfg, &req, resp, &n, max) < 0)
            e2ud_log(LOG_ERR, "cannot sign an answer with TSIG");
    }
    int rcode = knot_wire_get_rcode(pkt->wire);
    if (edns && knot_edns_get_version(qp->opt_rr) != KNOT_EDNS_VERSION)
        rcode = KNOT_RCODE_BADVERS;
    if (knot_wire_get_tc(pkt->wire) && q->stats)
        e2ud_count(&q->stats->truncated, 1);
    e2ud_stats_query(q->stats, rcode, a.qtype, a.zone_slot);
    knot_pkt_free(pkt);
    knot_pkt_free(qp);
    if (edns)
        knot_rrset_clear(&opt, NULL);
    return n;
drop:
    if (q->stats)
        e2ud_count(&q->stats->dropped, 1);
    return 0;
}
