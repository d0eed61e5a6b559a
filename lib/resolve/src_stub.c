/*
 * lib/resolve/src_stub.c — e2u's own DNS stub to given servers ("ADDR[@PORT]").
 *
 * Why: `e2u lookup --server` resolves batches of a hundred thousand numbers against a
 * carrier's authoritative ENUM server, thousands of questions in flight. libunbound in forward
 * mode runs at a fifth of what the server can answer; this source talks DNS itself and keeps
 * libunbound for the system resolver and DNSSEC (src_unbound.c).
 *
 * Wire format is libknot's: queries are built with knot_pkt_put_question and an EDNS(0) OPT
 * (RFC 6891), answers are parsed by knot_pkt_parse into an arena that is reset for every
 * packet, so a steady stream of answers allocates nothing. The parser (e2u__stub_parse_response,
 * stub.h) is pure and is what the fuzz target drives. Answers are hostile input: a response is
 * used only when it comes from an address and port the query was sent to, carries the query's
 * ID, QR=1, opcode QUERY and the same question (RFC 5452 §9.1; the name compared without
 * regard to case); a response that fails any of these is ignored and the query keeps waiting.
 * A response that passes them but does not parse is that server's broken answer. A CNAME
 * chain is followed inside the answer (at most 8 links) but not with new queries: a recursive
 * server completes chains itself, and an authoritative one answers for its zones only.
 *
 * Transport. One non-blocking unconnected UDP socket per address family; queries are queued
 * and leave in batches through sendmmsg, answers arrive in batches through recvmmsg. Each query
 * holds a random 16-bit ID (getrandom) for its whole life, unique among the queries in flight
 * (one table of 65536 slots maps ID to query), so a late answer to an earlier attempt is as
 * good as the answer to the latest. SERVFAIL, REFUSED, NOTIMP, FORMERR or a broken answer count
 * as that server's failure: the next server is asked while there is one that has not failed
 * and time remains. TC=1 (RFC 1035 §4.2.1, RFC 7766 §5) moves the query to TCP on the same
 * server: one connection per server, non-blocking connect, 2-octet length framing, several
 * queries pipelined and matched by ID (RFC 7766 §6.2.1), reads bounded to one 65535-octet
 * message. A connection that closes under queries already written is reopened once for them;
 * a connection with nothing on it is closed.
 *
 * Pacing. Thousands of questions in flight overflow the socket buffer of a server that answers
 * fewer per second than they arrive (Knot with one UDP worker and the default 208 KiB buffer
 * holds a few hundred), and each lost datagram would cost a whole attempt_ms. So, per server:
 * a window of datagrams allowed unanswered, grown per answer and halved when an attempt goes
 * unanswered (RFC 5681's AIMD, datagrams for segments), the rest waiting in a queue; and a
 * retransmission timeout from the measured round trips (RFC 6298: SRTT + 4 RTTVAR, at least
 * RTO_MIN_MS, doubled per attempt, Karn's rule for samples). attempt_ms is what an attempt waits
 * before the server has ever answered, and the ceiling after that. An attempt that goes
 * unanswered sends the question to the next server, round robin, until the query's timeout.
 *
 * Timers. Every query in flight sits in a binary min-heap keyed by the moment process() must
 * look at it (the end of its attempt, of its wait for a window, or of the query);
 * next_timeout_ms() reads the top.
 *
 * Cache. Keyed by the lower-cased wire QNAME in an open-addressing table hashed with SipHash
 * under a random key (QNAMEs can come from DNS data). Positive answers live for the minimum TTL
 * of the NAPTR RRset (and of any CNAME followed), NXDOMAIN and NODATA for RFC 2308 §5's
 * min(SOA TTL, SOA MINIMUM) when the zone's SOA came in authority, else not at all; failures
 * never. Eviction is CLOCK (second chance) over a fixed array of cache_entries entries, with a
 * byte budget on top. A hit is queued by query() and delivered by process(), as source.h
 * requires; the eventfd in the epoll set makes the caller's poll wake for it.
 *
 * Re-entrancy. Callbacks run from process() and may call query() and cancel(). So a callback is
 * always made after its query's slot is released, queued work is referenced by (slot,
 * generation) pairs that a cancelled or reused slot no longer matches, the cache changes and
 * TCP connections open or close only outside callbacks, and nothing is iterated by pointer
 * across a callback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <libknot/codes.h>
#include <libknot/consts.h>
#include <libknot/descriptor.h>
#include <libknot/dname.h>
#include <libknot/errcode.h>
#include <libknot/error.h>
#include <libknot/lookup.h>
#include <libknot/mm_ctx.h>
#include <libknot/packet/pkt.h>
#include <libknot/packet/wire.h>
#include <libknot/rdataset.h>
#include <libknot/rrset.h>
#include <libknot/rrtype/opt.h>
#include <libknot/rrtype/rdname.h>
#include <libknot/rrtype/soa.h>

#include "core/internal.h"
#include "e2u/dname.h"
#include "e2u/hash.h"
#include "e2u/resolve.h"
#include "resolve/source.h"
#include "resolve/stub.h"

/* --- the parser's memory ---------------------------------------------------------------------- */

/*
 * A bump allocator handed to libknot as its knot_mm_t. Reset before every packet; when one
 * packet needed more than the first chunk, the chunks are merged into one of the total size
 * (at most ARENA_KEEP) so the next such packet fits without allocating. ARENA_CAP bounds what
 * one packet may take: a 64 KiB message expands to about 3 MiB at worst (every RR's owner and
 * every compressed RDATA name decompressed to 255 octets).
 */
#define ARENA_FIRST (64u << 10)
#define ARENA_KEEP  (1u << 20)
#define ARENA_CAP   (16u << 20)

typedef struct chunk {
    struct chunk *next;
    size_t size, used;
    max_align_t data[];
} chunk_t;

typedef struct arena {
    chunk_t *head, *cur;
    size_t total;
} arena_t;

static void *arena_alloc(void *ctx, size_t len)
{
    arena_t *a = ctx;
    len = (len + 15u) & ~(size_t)15u;
    if (len == 0)
        len = 16;
    chunk_t *c = a->cur;
    if (c && c->size - c->used >= len) {
        void *p = (uint8_t *)c->data + c->used;
        c->used += len;
        return p;
    }
    if (c && c->next && c->next->size >= len) { /* a chunk kept from before */
        c = a->cur = c->next;
        c->used = len;
        return c->data;
    }
    size_t sz = len > ARENA_FIRST ? len : ARENA_FIRST;
    if (c && c->size * 2 > sz)
        sz = c->size * 2;
    if (a->total + sz > ARENA_CAP)
        sz = len;
    if (a->total + sz > ARENA_CAP)
        return NULL;
    chunk_t *n = malloc(sizeof(*n) + sz);
    if (!n)
        return NULL;
    n->size = sz;
    n->used = len;
    n->next = c ? c->next : NULL;
    if (c)
        c->next = n;
    else
        a->head = n;
    a->cur = n;
    a->total += sz;
    return n->data;
}

static void arena_free_all(arena_t *a)
{
    chunk_t *c = a->head;
    while (c) {
        chunk_t *n = c->next;
        free(c);
        c = n;
    }
    a->head = a->cur = NULL;
    a->total = 0;
}

static void arena_reset(arena_t *a)
{
    if (a->head && a->head->next) {
        size_t want = a->total < ARENA_KEEP ? a->total : ARENA_KEEP;
        arena_free_all(a);
        chunk_t *n = malloc(sizeof(*n) + want);
        if (n) {
            n->next = NULL;
            n->size = want;
            n->used = 0;
            a->head = n;
            a->total = want;
        }
    }
    if (a->head)
        a->head->used = 0;
    a->cur = a->head;
}

/* A fixed buffer as a knot_mm_t, for building one query on the stack. */
typedef struct scratch {
    uint8_t *mem;
    size_t cap, used;
} scratch_t;

static void *scratch_alloc(void *ctx, size_t len)
{
    scratch_t *sc = ctx;
    len = (len + 15u) & ~(size_t)15u;
    if (len > sc->cap - sc->used)
        return NULL;
    void *p = sc->mem + sc->used;
    sc->used += len;
    return p;
}

/* --- query building --------------------------------------------------------------------------- */

int e2u__stub_build_query(uint8_t *buf, size_t cap, size_t *len, uint16_t id, const uint8_t *qname,
                          uint16_t edns_size)
{
    if (!buf || !len || !qname)
        return E2U_EINVAL;
    int ql = e2u_dname_wire_len(qname, E2U_DNAME_MAX);
    if (ql < 0)
        return E2U_EINVAL;
    size_t need = KNOT_WIRE_HEADER_SIZE + (size_t)ql + 4u + (edns_size ? 11u : 0u);
    if (cap < need)
        return E2U_ENOSPC;
    _Alignas(16) uint8_t mem[4096];
    scratch_t sc = {mem, sizeof(mem), 0};
    knot_mm_t mm = {.ctx = &sc, .alloc = scratch_alloc, .free = NULL};
    knot_pkt_t *pkt = knot_pkt_new(
        buf, (uint16_t)(cap > KNOT_WIRE_MAX_PKTSIZE ? KNOT_WIRE_MAX_PKTSIZE : cap), &mm);
    if (!pkt)
        return E2U_ENOMEM;
    knot_pkt_clear(pkt);
    knot_wire_set_id(pkt->wire, id);
    knot_wire_set_rd(pkt->wire); /* RFC 1035 §4.1.1; ignored by authoritative servers */
    int rc = knot_pkt_put_question(pkt, qname, KNOT_CLASS_IN, KNOT_RRTYPE_NAPTR);
    if (rc == KNOT_EOK && edns_size) {
        knot_rrset_t opt;
        rc = knot_edns_init(&opt, edns_size, 0, 0, &mm); /* RFC 6891 §6.1.3: version 0 */
        if (rc == KNOT_EOK)
            rc = knot_pkt_begin(pkt, KNOT_ADDITIONAL);
        if (rc == KNOT_EOK)
            rc = knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &opt, 0);
    }
    if (rc != KNOT_EOK)
        return rc == KNOT_ESPACE ? E2U_ENOSPC : E2U_EINVAL;
    *len = pkt->size;
    return 0;
}

/* --- response parsing ------------------------------------------------------------------------- */

struct e2u__stub_parser {
    arena_t arena;
    knot_mm_t mm;
    uint8_t owner[E2U_DNAME_MAX];
};

int e2u__stub_parser_new(e2u__stub_parser_t **out)
{
    e2u__stub_parser_t *p = calloc(1, sizeof(*p));
    if (!p)
        return E2U_ENOMEM;
    p->mm.ctx = &p->arena;
    p->mm.alloc = arena_alloc;
    p->mm.free = NULL; /* everything goes at the next reset */
    *out = p;
    return 0;
}

void e2u__stub_parser_free(e2u__stub_parser_t *p)
{
    if (!p)
        return;
    arena_free_all(&p->arena);
    free(p);
}

/* RFC 2181 §8: a TTL with the most significant bit set is treated as zero. */
static uint32_t ttl_of(uint32_t t)
{
    return (t & 0x80000000u) ? 0 : t;
}

static uint32_t min32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static e2u__stub_verdict_t verdict(e2u__stub_resp_t *out, e2u__stub_verdict_t v, const char *why)
{
    out->why = why;
    return v;
}

static const char *knot_why(int rc)
{
    switch (rc) {
    case KNOT_ETRAIL:
        return "octets after the last record";
    case KNOT_ENOMEM:
        return "too many records to parse";
    case KNOT_EMALF:
    case KNOT_EFEWDATA:
        return "a record runs past the end, or a bad name, compression pointer, OPT or TSIG";
    default:
        return knot_strerror(rc);
    }
}

/* The answer RRs of class IN at name. */
static bool rr_at(const knot_rrset_t *rr, const uint8_t *name)
{
    return rr->rclass == KNOT_CLASS_IN && rr->rrs.count > 0 && e2u_dname_equal(rr->owner, name);
}

e2u__stub_verdict_t e2u__stub_parse_response(e2u__stub_parser_t *p, const uint8_t *wire, size_t len,
                                             uint16_t id, const uint8_t *qname, unsigned flags,
                                             e2u__stub_resp_t *out)
{
    memset(out, 0, sizeof(*out));
    arena_reset(&p->arena);
    if (!wire || len < KNOT_WIRE_HEADER_SIZE)
        return verdict(out, E2U__STUB_MISMATCH, "shorter than a DNS header");
    if (len > KNOT_WIRE_MAX_PKTSIZE)
        return verdict(out, E2U__STUB_MISMATCH, "longer than a DNS message");
    if (knot_wire_get_id(wire) != id)
        return verdict(out, E2U__STUB_MISMATCH, "another ID");
    if (!knot_wire_get_qr(wire))
        return verdict(out, E2U__STUB_MISMATCH, "not a response (QR=0)");
    if (knot_wire_get_opcode(wire) != KNOT_OPCODE_QUERY)
        return verdict(out, E2U__STUB_MISMATCH, "opcode is not QUERY");
    int ql = e2u_dname_wire_len(qname, E2U_DNAME_MAX);
    if (ql < 0)
        return verdict(out, E2U__STUB_MISMATCH, "no valid question to compare with");
    memcpy(p->owner, qname, (size_t)ql);
    out->owner = p->owner;
    out->rcode = knot_wire_get_rcode(wire);
    out->aa = knot_wire_get_aa(wire) != 0;
    out->tc = knot_wire_get_tc(wire) != 0 || (flags & E2U__STUB_PARSE_CUT);

    /* libknot reads the wire without writing to it (KNOT_PF_KEEPWIRE: a TSIG is not
     * stripped), so the const can go for the packet view. */
    knot_pkt_t *pkt = knot_pkt_new((void *)(uintptr_t)wire, (uint16_t)len, &p->mm);
    if (!pkt)
        return verdict(out, E2U__STUB_MALFORMED, "too many records to parse");
    if (knot_pkt_parse_question(pkt) != KNOT_EOK)
        return verdict(out, E2U__STUB_MALFORMED, "the question section does not parse");
    if (pkt->qname_size == 0) {
        /* FORMERR, NOTIMP, REFUSED, SERVFAIL may come without the question (RFC 1035 leaves
         * it open); anything that claims to answer must carry it. */
        if (out->rcode == KNOT_RCODE_NOERROR || out->rcode == KNOT_RCODE_NXDOMAIN)
            return verdict(out, E2U__STUB_MISMATCH, "no question section");
        out->tc = false;
        return E2U__STUB_ANSWER;
    }
    if (knot_pkt_qtype(pkt) != KNOT_RRTYPE_NAPTR || knot_pkt_qclass(pkt) != KNOT_CLASS_IN ||
        !e2u_dname_equal(knot_pkt_wire_qname(pkt), qname))
        return verdict(out, E2U__STUB_MISMATCH, "another question");
    if (out->tc)
        return E2U__STUB_ANSWER; /* RFC 7766 §5: retry over TCP; the rest is not used */

    int rc = knot_pkt_parse(pkt, KNOT_PF_KEEPWIRE | KNOT_PF_NOCANON);
    if (rc != KNOT_EOK)
        return verdict(out, E2U__STUB_MALFORMED, knot_why(rc));
    out->rcode = knot_pkt_ext_rcode(pkt);
    if (out->rcode != KNOT_RCODE_NOERROR && out->rcode != KNOT_RCODE_NXDOMAIN)
        return E2U__STUB_ANSWER;

    /* Follow the CNAME chain inside the answer section (RFC 1034 §3.6.2, §4.3.2); the RCODE
     * and the records then speak of its last name (RFC 6604 §2.1). */
    const knot_pktsection_t *an = knot_pkt_section(pkt, KNOT_ANSWER);
    const uint8_t *name = qname;
    uint32_t chain_ttl = UINT32_MAX;
    for (;;) {
        const knot_rrset_t *cname = NULL;
        bool naptr = false;
        for (uint16_t i = 0; i < an->count; i++) {
            const knot_rrset_t *rr = knot_pkt_rr(an, i);
            if (!rr_at(rr, name))
                continue;
            if (rr->type == KNOT_RRTYPE_NAPTR) {
                naptr = true;
                break;
            }
            if (rr->type == KNOT_RRTYPE_CNAME && !cname)
                cname = rr;
        }
        if (naptr || !cname)
            break;
        if (out->cnames == E2U__STUB_CNAME_MAX)
            return verdict(out, E2U__STUB_MALFORMED, "CNAME chain longer than 8 links");
        const knot_rdata_t *rd = knot_rdataset_at(&cname->rrs, 0);
        const uint8_t *target = knot_cname_name(rd);
        if (e2u_dname_wire_len(target, rd->len) != (int)rd->len)
            return verdict(out, E2U__STUB_MALFORMED, "bad CNAME target");
        chain_ttl = min32(chain_ttl, ttl_of(cname->ttl));
        name = target;
        out->cnames++;
    }
    int nl = e2u_dname_wire_len(name, E2U_DNAME_MAX);
    memmove(p->owner, name, (size_t)nl);

    size_t n = 0;
    for (uint16_t i = 0; i < an->count; i++) {
        const knot_rrset_t *rr = knot_pkt_rr(an, i);
        if (rr->type == KNOT_RRTYPE_NAPTR && rr_at(rr, p->owner))
            n++;
    }
    if (n && out->rcode == KNOT_RCODE_NXDOMAIN)
        return verdict(out, E2U__STUB_MALFORMED, "NXDOMAIN with NAPTR records at the name");
    if (n) {
        e2u_rdata_t *v = p->mm.alloc(p->mm.ctx, n * sizeof(*v));
        if (!v)
            return verdict(out, E2U__STUB_MALFORMED, "too many records to parse");
        uint32_t ttl = chain_ttl;
        size_t k = 0;
        for (uint16_t i = 0; i < an->count; i++) {
            const knot_rrset_t *rr = knot_pkt_rr(an, i);
            if (rr->type != KNOT_RRTYPE_NAPTR || !rr_at(rr, p->owner))
                continue;
            const knot_rdata_t *rd = knot_rdataset_at(&rr->rrs, 0);
            v[k].data = rd->data;
            v[k].len = rd->len;
            k++;
            ttl = min32(ttl, ttl_of(rr->ttl)); /* RFC 2181 §5.2: use the lowest */
        }
        out->rr = v;
        out->nrr = n;
        out->ttl = min32(ttl, E2U__STUB_TTL_MAX);
        out->cacheable = true;
        return E2U__STUB_ANSWER;
    }

    /* NXDOMAIN or NODATA: cacheable only with the SOA of a zone the name lies in
     * (RFC 2308 §3, §5). */
    const knot_pktsection_t *ns = knot_pkt_section(pkt, KNOT_AUTHORITY);
    for (uint16_t i = 0; i < ns->count; i++) {
        const knot_rrset_t *rr = knot_pkt_rr(ns, i);
        if (rr->type != KNOT_RRTYPE_SOA || rr->rclass != KNOT_CLASS_IN || rr->rrs.count == 0 ||
            !e2u_dname_is_subdomain(p->owner, rr->owner))
            continue;
        const knot_rdata_t *rd = knot_rdataset_at(&rr->rrs, 0);
        uint32_t neg = min32(ttl_of(rr->ttl), ttl_of(knot_soa_minimum(rd)));
        out->ttl = min32(min32(neg, chain_ttl), E2U__STUB_NEG_TTL_MAX);
        out->cacheable = true;
        break;
    }
    return E2U__STUB_ANSWER;
}

/* --- server addresses ------------------------------------------------------------------------- */

static int bad_server(e2u_diag_t *diag, const char *text, const char *what)
{
    return e2u__diag(diag, E2U_EINVAL, 0, "server '%.100s': %s (expected ADDR or ADDR@PORT)", text,
                     what);
}

int e2u__stub_parse_server(const char *text, struct sockaddr_storage *sa, socklen_t *salen,
                           e2u_diag_t *diag)
{
    char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
    const char *port = NULL;
    size_t hl;
    if (!text || !sa || !salen)
        return e2u__diag(diag, E2U_EINVAL, 0, "no server address given");
    size_t len = strlen(text);
    if (len == 0)
        return bad_server(diag, text, "empty address");
    if (text[0] == '[') {
        const char *rb = memchr(text, ']', len);
        if (!rb)
            return bad_server(diag, text, "no closing ']'");
        hl = (size_t)(rb - text - 1);
        if (rb[1] == ':' || rb[1] == '@')
            port = rb + 2;
        else if (rb[1] != '\0')
            return bad_server(diag, text, "unexpected text after ']'");
        if (hl >= sizeof(host))
            return bad_server(diag, text, "not an IPv4 or IPv6 address");
        memcpy(host, text + 1, hl);
    } else {
        const char *at = strrchr(text, '@');
        hl = at ? (size_t)(at - text) : len;
        if (hl >= sizeof(host))
            return bad_server(diag, text, "not an IPv4 or IPv6 address");
        memcpy(host, text, hl);
        port = at ? at + 1 : NULL;
    }
    host[hl] = '\0';

    unsigned long pn = 53;
    if (port) {
        if (!*port || strlen(port) > 5)
            return bad_server(diag, text, "bad port");
        pn = 0;
        for (const char *c = port; *c; c++) {
            if (!e2u__is_digit((unsigned char)*c))
                return bad_server(diag, text, "bad port");
            pn = pn * 10 + (unsigned long)(*c - '0');
        }
        if (pn == 0 || pn > 65535)
            return bad_server(diag, text, "port out of range 1-65535");
    }

    memset(sa, 0, sizeof(*sa));
    struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)pn);
        *salen = sizeof(*s4);
        return 0;
    }
    char *pct = strchr(host, '%');
    if (pct)
        *pct = '\0';
    if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
        return bad_server(diag, text, "not an IPv4 or IPv6 address");
    if (pct) {
        const char *sc = pct + 1;
        unsigned long idx = 0;
        bool digits = *sc != '\0';
        for (const char *c = sc; *c; c++)
            digits = digits && e2u__is_digit((unsigned char)*c);
        if (digits && strlen(sc) <= 9)
            idx = strtoul(sc, NULL, 10);
        else if (*sc)
            idx = if_nametoindex(sc);
        if (idx == 0)
            return bad_server(diag, text, "unknown IPv6 scope");
        s6->sin6_scope_id = (uint32_t)idx;
    }
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)pn);
    *salen = sizeof(*s6);
    return 0;
}

/* --- the source ------------------------------------------------------------------------------- */

#define DEFAULT_ATTEMPT_MS 800u
#define RTO_MIN_MS         50u /* the shortest wait for an attempt, however fast the server */
#define CWND_INIT          64u /* datagrams a server may have unanswered at first */
#define CWND_MIN           8u
#define DEFAULT_TIMEOUT_MS 5000u
#define DEFAULT_EDNS       1232u
#define DEFAULT_CACHE      65536u
#define CACHE_ENTRIES_MAX  (1u << 22)
#define CACHE_BYTES_MAX    (64u << 20) /* RDATA, names and bookkeeping of all entries */
#define INFLIGHT_MAX       65536u      /* queries started and not finished: E2U_EBUSY beyond */
#define CHUNK_SHIFT        10
#define CHUNK_SLOTS        (1u << CHUNK_SHIFT)
#define NCHUNKS            (INFLIGHT_MAX / CHUNK_SLOTS)
#define BATCH              64         /* datagrams per sendmmsg/recvmmsg */
#define RECV_ROUNDS        16         /* recvmmsg calls per socket per process() */
#define SOCKBUF            (4u << 20) /* asked for; the kernel caps it at rmem_max/wmem_max */
#define TCP_WBUF           16384u
#define TCP_RBUF           (2u + 65535u + 16384u)
#define NONE               UINT32_MAX

enum { Q_FREE, Q_HIT, Q_UDP, Q_TCP };
enum { L_NONE, L_WQ, L_SENT, L_WAIT }; /* TCP write queue, TCP sent, UDP window wait */
enum { C_NONE, C_CONNECTING, C_UP };
enum { T_EVENT, T_UDP, T_TCP }; /* epoll tags */

typedef struct query {
    e2u__answer_fn cb;
    void *arg;
    uint64_t deadline;     /* heap key: when process() must look at this query again (ms) */
    uint64_t expire;       /* when the whole query times out (ms) */
    uint32_t gen;          /* bumped at every release: handles and queued work carry it */
    uint32_t heap_pos;     /* NONE when not in the heap */
    uint32_t next, prev;   /* links of the list the query is on */
    uint32_t centry, cgen; /* Q_HIT: the cache entry and its generation */
    unsigned timeout_ms;
    int send_err; /* errno of a refused datagram, acted on by the timer */
    uint16_t id;
    uint16_t msglen; /* DNS message octets in msg + 2 */
    uint8_t state;
    uint8_t server;  /* the server of the current attempt */
    uint8_t live;    /* servers whose answer is still accepted (bit per server) */
    uint8_t asked;   /* servers ever asked (for the timeout message) */
    uint8_t fails;   /* server failures so far */
    uint8_t list;    /* L_*: the list the query is on (of srv[server]) */
    uint8_t out_srv; /* with out: the server whose window this query's datagram uses */
    bool out;
    uint8_t tcp_tries; /* reconnections survived */
    uint8_t attempts;  /* UDP attempts made (the backoff's exponent) */
    uint8_t sends;     /* datagrams sent: an RTT is sampled only from the first (Karn) */
    uint64_t sent_us;  /* when the last datagram left */
    bool in_sendq;
    bool has_id;
    bool requeue;                         /* conn_fail: goes to a new connection */
    uint8_t msg[2 + E2U__STUB_QUERY_MAX]; /* TCP length prefix, then the DNS message */
} query_t;

typedef struct pair {
    uint32_t idx, gen;
} pair_t;

typedef struct vec {
    pair_t *v;
    size_t head, len, cap;
} vec_t;

typedef struct qlist {
    uint32_t head, tail;
} qlist_t;

typedef struct conn {
    int fd;
    uint8_t state;
    uint32_t gen;
    uint32_t events;
    qlist_t wq;   /* waiting to be written */
    qlist_t sent; /* written, waiting for the answer */
    uint32_t nq;
    uint8_t *wbuf;
    size_t wlen, woff;
    uint8_t *rbuf;
    size_t rlen;
} conn_t;

typedef struct server {
    struct sockaddr_storage addr;
    socklen_t alen;
    int fam; /* 0 IPv4, 1 IPv6 */
    char name[INET6_ADDRSTRLEN + 8];
    conn_t tcp;
    uint32_t srtt_us, rttvar_us; /* RFC 6298 §2 estimators; 0 = no sample yet */
    uint32_t cwnd;               /* datagrams allowed unanswered (RFC 5681-style AIMD) */
    uint32_t ssthresh;
    uint32_t cwnd_acc;    /* answers counted towards the next increase */
    uint32_t outstanding; /* datagrams sent and not yet answered or given up */
    uint64_t last_cut;    /* ms: the window shrinks at most once per RTO */
    qlist_t wait;         /* queries waiting for the window, first come first served */
} server_t;

typedef struct udp {
    int fd;
    bool blocked; /* the last sendmmsg met a full buffer: wait for EPOLLOUT */
    uint32_t events;
    vec_t q; /* queries waiting to be sent */
} udp_t;

typedef struct centry {
    uint8_t *blob; /* [e2u_rdata_t x nrr][key][owner][RDATA...] */
    size_t cap;
    uint64_t hash;
    uint64_t expires; /* ms */
    uint32_t gen;
    uint16_t nrr;
    uint8_t kind; /* 0 empty, else 1 + e2u__ans_kind_t */
    uint8_t ref;  /* CLOCK's second-chance bit */
    uint8_t keylen, ownerlen;
} centry_t;

typedef struct cache {
    centry_t *e;
    uint32_t cap, nfill, hand;
    uint32_t *efree; /* emptied entries below nfill */
    uint32_t nefree;
    uint32_t *tab; /* open addressing: entry index + 1, 0 empty */
    uint32_t tmask;
    uint64_t k0, k1; /* SipHash key */
    size_t bytes;
} cache_t;

typedef struct stub {
    e2u__source_t base;
    server_t srv[E2U_SERVERS_MAX];
    unsigned nsrv;
    unsigned attempt_ms;
    uint16_t edns;
    bool cache_on;
    bool in_process;
    bool signalled;
    int epfd, efd;
    udp_t udp[2];
    query_t *chunk[NCHUNKS];
    uint32_t nslots, used;
    uint32_t *freel;
    uint32_t nfree;
    uint32_t *idmap; /* ID -> slot + 1 */
    uint16_t rnd[256];
    unsigned nrnd;
    uint64_t xs; /* fallback generator if getrandom ever fails */
    uint32_t *heap;
    uint32_t nheap;
    vec_t ready, ready2; /* Q_HIT slots to deliver */
    vec_t scratch;
    cache_t cache;
    e2u__stub_parser_t *parser;
    uint8_t *rbufs;
    size_t rbufsz;
    struct mmsghdr rmsg[BATCH];
    struct iovec riov[BATCH];
    struct sockaddr_storage raddr[BATCH];
    struct mmsghdr smsg[BATCH];
    struct iovec siov[BATCH];
    size_t spos[BATCH];
    char why[600];
    e2u__stub_stats_t st;
} stub_t;

static const e2u__source_ops_t stub_ops;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline query_t *Q(stub_t *s, uint32_t idx)
{
    return &s->chunk[idx >> CHUNK_SHIFT][idx & (CHUNK_SLOTS - 1)];
}

static void signal_ev(stub_t *s)
{
    if (s->signalled)
        return;
    uint64_t one = 1;
    if (write(s->efd, &one, sizeof(one)) == (ssize_t)sizeof(one))
        s->signalled = true;
}

static void unsignal_ev(stub_t *s)
{
    uint64_t v;
    if (read(s->efd, &v, sizeof(v)) < 0) {
        /* EAGAIN: nothing was signalled */
    }
    s->signalled = false;
}

/* --- small containers ------------------------------------------------------------------------- */

static int vec_push(vec_t *v, uint32_t idx, uint32_t gen)
{
    if (v->head && v->head == v->len)
        v->head = v->len = 0;
    if (v->len == v->cap) {
        if (v->head) {
            memmove(v->v, v->v + v->head, (v->len - v->head) * sizeof(*v->v));
            v->len -= v->head;
            v->head = 0;
        } else {
            size_t cap = v->cap ? v->cap * 2 : 256;
            pair_t *nv = realloc(v->v, cap * sizeof(*nv));
            if (!nv)
                return E2U_ENOMEM;
            v->v = nv;
            v->cap = cap;
        }
    }
    v->v[v->len++] = (pair_t){idx, gen};
    return 0;
}

static size_t vec_count(const vec_t *v)
{
    return v->len - v->head;
}

static void ql_append(stub_t *s, qlist_t *l, uint32_t idx)
{
    query_t *q = Q(s, idx);
    q->next = NONE;
    q->prev = l->tail;
    if (l->tail != NONE)
        Q(s, l->tail)->next = idx;
    else
        l->head = idx;
    l->tail = idx;
}

static void ql_remove(stub_t *s, qlist_t *l, uint32_t idx)
{
    query_t *q = Q(s, idx);
    if (q->prev != NONE)
        Q(s, q->prev)->next = q->next;
    else
        l->head = q->next;
    if (q->next != NONE)
        Q(s, q->next)->prev = q->prev;
    else
        l->tail = q->prev;
    q->next = q->prev = NONE;
}

/* --- IDs -------------------------------------------------------------------------------------- */

static uint16_t rand16(stub_t *s)
{
    if (s->nrnd == 0) {
        ssize_t n = getrandom(s->rnd, sizeof(s->rnd), GRND_NONBLOCK);
        if (n == (ssize_t)sizeof(s->rnd)) {
            s->nrnd = sizeof(s->rnd) / sizeof(s->rnd[0]);
        } else {
            /* not reached on Linux >= 3.17 once booted; never leave the IDs predictable by
             * a constant, at least */
            s->xs ^= now_ms() * 0x9e3779b97f4a7c15ull;
            for (unsigned i = 0; i < sizeof(s->rnd) / sizeof(s->rnd[0]); i++) {
                s->xs ^= s->xs << 13;
                s->xs ^= s->xs >> 7;
                s->xs ^= s->xs << 17;
                s->rnd[i] = (uint16_t)(s->xs >> 24);
            }
            s->nrnd = sizeof(s->rnd) / sizeof(s->rnd[0]);
        }
    }
    return s->rnd[--s->nrnd];
}

/* A random ID no query in flight holds. There is always one: at most INFLIGHT_MAX - 1 other
 * slots exist, and INFLIGHT_MAX is the size of the ID space. */
static void id_take(stub_t *s, uint32_t idx)
{
    query_t *q = Q(s, idx);
    uint16_t id = rand16(s);
    for (int t = 0; t < 16 && s->idmap[id]; t++)
        id = rand16(s);
    while (s->idmap[id])
        id++;
    s->idmap[id] = idx + 1;
    q->id = id;
    q->has_id = true;
    q->msg[2] = (uint8_t)(id >> 8);
    q->msg[3] = (uint8_t)id;
}

/* --- the timer heap --------------------------------------------------------------------------- */

static void heap_set(stub_t *s, uint32_t pos, uint32_t idx)
{
    s->heap[pos] = idx;
    Q(s, idx)->heap_pos = pos;
}

static void heap_up(stub_t *s, uint32_t pos)
{
    uint32_t idx = s->heap[pos];
    uint64_t d = Q(s, idx)->deadline;
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (Q(s, s->heap[parent])->deadline <= d)
            break;
        heap_set(s, pos, s->heap[parent]);
        pos = parent;
    }
    heap_set(s, pos, idx);
}

static void heap_down(stub_t *s, uint32_t pos)
{
    uint32_t idx = s->heap[pos];
    uint64_t d = Q(s, idx)->deadline;
    for (;;) {
        uint32_t c = 2 * pos + 1;
        if (c >= s->nheap)
            break;
        if (c + 1 < s->nheap && Q(s, s->heap[c + 1])->deadline < Q(s, s->heap[c])->deadline)
            c++;
        if (Q(s, s->heap[c])->deadline >= d)
            break;
        heap_set(s, pos, s->heap[c]);
        pos = c;
    }
    heap_set(s, pos, idx);
}

static void heap_push(stub_t *s, uint32_t idx)
{
    uint32_t pos = s->nheap++;
    heap_set(s, pos, idx);
    heap_up(s, pos);
}

static void heap_remove(stub_t *s, uint32_t idx)
{
    query_t *q = Q(s, idx);
    uint32_t pos = q->heap_pos;
    if (pos == NONE)
        return;
    q->heap_pos = NONE;
    uint32_t last = s->heap[--s->nheap];
    if (pos == s->nheap)
        return;
    heap_set(s, pos, last);
    heap_up(s, pos);
    heap_down(s, Q(s, last)->heap_pos);
}

static void heap_update(stub_t *s, uint32_t idx)
{
    query_t *q = Q(s, idx);
    if (q->heap_pos == NONE) {
        heap_push(s, idx);
        return;
    }
    heap_up(s, q->heap_pos);
    heap_down(s, q->heap_pos);
}

/* --- the cache -------------------------------------------------------------------------------- */

/* Keys are names a zone's owner chooses: hashed with SipHash under a key drawn at start
 * (e2u/hash.h), so that nobody can choose names that collide in the table. */

static size_t lower_key(uint8_t *key, const uint8_t *qname)
{
    int n = e2u_dname_wire_len(qname, E2U_DNAME_MAX);
    for (int i = 0; i < n; i++)
        key[i] = e2u__lower(qname[i]);
    return n > 0 ? (size_t)n : 0;
}

static uint8_t *ce_key(const centry_t *e)
{
    return e->blob + e->nrr * sizeof(e2u_rdata_t);
}

static uint32_t cache_find(const cache_t *c, const uint8_t *key, size_t klen, uint64_t h)
{
    for (uint32_t i = (uint32_t)h & c->tmask;; i = (i + 1) & c->tmask) {
        uint32_t v = c->tab[i];
        if (!v)
            return NONE;
        const centry_t *e = &c->e[v - 1];
        if (e->hash == h && e->keylen == klen && memcmp(ce_key(e), key, klen) == 0)
            return v - 1;
    }
}

/* Take entry ei out of the table: linear probing with backward-shift deletion. */
static void cache_unlink(cache_t *c, uint32_t ei)
{
    uint32_t i = (uint32_t)c->e[ei].hash & c->tmask;
    while (c->tab[i] != ei + 1)
        i = (i + 1) & c->tmask;
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & c->tmask;
        if (!c->tab[j])
            break;
        uint32_t k = (uint32_t)c->e[c->tab[j] - 1].hash & c->tmask;
        /* the entry at j may move to the hole at i unless its home lies in (i, j] */
        bool stays = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            c->tab[i] = c->tab[j];
            i = j;
        }
    }
    c->tab[i] = 0;
}

/* Empty entry ei (kept in the array; its blob is kept for reuse unless drop). */
static void cache_evict(stub_t *s, uint32_t ei, bool drop)
{
    cache_t *c = &s->cache;
    centry_t *e = &c->e[ei];
    cache_unlink(c, ei);
    e->kind = 0;
    e->gen++;
    s->st.cache_evictions++;
    if (drop) {
        c->bytes -= e->cap;
        free(e->blob);
        e->blob = NULL;
        e->cap = 0;
        c->efree[c->nefree++] = ei;
    }
}

/* CLOCK: the hand passes over entries, clearing reference bits; the first entry without one
 * (or expired) goes. Bounded by two turns. */
static uint32_t cache_victim(stub_t *s, uint32_t skip, uint64_t now)
{
    cache_t *c = &s->cache;
    for (uint32_t t = 0; t < 2 * c->nfill + 1; t++) {
        uint32_t ei = c->hand;
        c->hand = (c->hand + 1) % c->nfill;
        centry_t *e = &c->e[ei];
        if (ei == skip || !e->kind)
            continue;
        if (e->ref && e->expires > now) {
            e->ref = 0;
            continue;
        }
        return ei;
    }
    return NONE;
}

static void cache_insert(stub_t *s, const uint8_t *qname, e2u__ans_kind_t kind,
                         const e2u__stub_resp_t *r, uint64_t now)
{
    cache_t *c = &s->cache;
    uint8_t key[E2U_DNAME_MAX];
    size_t klen = lower_key(key, qname);
    int ol = e2u_dname_wire_len(r->owner, E2U_DNAME_MAX);
    if (!klen || ol < 0 || r->ttl == 0)
        return;
    size_t size = r->nrr * sizeof(e2u_rdata_t) + klen + (size_t)ol;
    for (size_t i = 0; i < r->nrr; i++)
        size += r->rr[i].len;
    if (size > CACHE_BYTES_MAX / 16)
        return;
    uint64_t h = e2u_siphash(c->k0, c->k1, key, klen);
    uint32_t ei = cache_find(c, key, klen, h);
    if (ei == NONE) {
        if (c->nefree)
            ei = c->efree[--c->nefree];
        else if (c->nfill < c->cap)
            ei = c->nfill++;
        else if ((ei = cache_victim(s, NONE, now)) != NONE)
            cache_evict(s, ei, false);
        else
            return;
        c->e[ei].hash = h;
        uint32_t i = (uint32_t)h & c->tmask;
        while (c->tab[i])
            i = (i + 1) & c->tmask;
        c->tab[i] = ei + 1;
    }
    centry_t *e = &c->e[ei];
    e->gen++;
    if (e->cap < size) {
        uint8_t *nb = realloc(e->blob, size);
        if (!nb) {
            cache_evict(s, ei, true);
            return;
        }
        c->bytes += size - e->cap;
        e->blob = nb;
        e->cap = size;
    }
    e->kind = (uint8_t)(1 + kind);
    e->ref = 0;
    e->nrr = (uint16_t)r->nrr;
    e->keylen = (uint8_t)klen;
    e->ownerlen = (uint8_t)ol;
    e->expires = now + (uint64_t)r->ttl * 1000u;
    e2u_rdata_t *rv = (e2u_rdata_t *)e->blob;
    uint8_t *p = e->blob + r->nrr * sizeof(e2u_rdata_t);
    memcpy(p, key, klen);
    p += klen;
    memcpy(p, r->owner, (size_t)ol);
    p += ol;
    for (size_t i = 0; i < r->nrr; i++) {
        memcpy(p, r->rr[i].data, r->rr[i].len);
        rv[i].data = p;
        rv[i].len = r->rr[i].len;
        p += r->rr[i].len;
    }
    s->st.cache_inserts++;
    while (c->bytes > CACHE_BYTES_MAX) {
        uint32_t v = cache_victim(s, ei, now);
        if (v == NONE)
            break;
        cache_evict(s, v, true);
    }
}

/* A live entry for qname, or NONE. Expired entries are left for CLOCK or a fresh answer to
 * replace: removing one here could pull data from under a callback that is using it. */
static uint32_t cache_lookup(stub_t *s, const uint8_t *qname, uint64_t now)
{
    cache_t *c = &s->cache;
    uint8_t key[E2U_DNAME_MAX];
    size_t klen = lower_key(key, qname);
    if (!klen || !c->nfill)
        return NONE;
    uint32_t ei = cache_find(c, key, klen, e2u_siphash(c->k0, c->k1, key, klen));
    if (ei == NONE || !c->e[ei].kind || c->e[ei].expires <= now)
        return NONE;
    return ei;
}

/* --- slots ------------------------------------------------------------------------------------ */

static int slot_alloc(stub_t *s, uint32_t *out)
{
    if (s->nfree == 0) {
        if (s->nslots >= INFLIGHT_MAX)
            return E2U_EBUSY;
        query_t *ch = calloc(CHUNK_SLOTS, sizeof(*ch));
        if (!ch)
            return E2U_ENOMEM;
        s->chunk[s->nslots >> CHUNK_SHIFT] = ch;
        for (uint32_t i = CHUNK_SLOTS; i-- > 0;) {
            ch[i].gen = 1;
            ch[i].heap_pos = NONE;
            s->freel[s->nfree++] = s->nslots + i;
        }
        s->nslots += CHUNK_SLOTS;
    }
    uint32_t idx = s->freel[--s->nfree];
    query_t *q = Q(s, idx);
    uint32_t gen = q->gen;
    memset(q, 0, offsetof(query_t, msg));
    q->gen = gen;
    q->heap_pos = NONE;
    q->next = q->prev = NONE;
    s->used++;
    *out = idx;
    return 0;
}

/* Take the query off the list it is on: a TCP connection's, or a server's window queue. */
static void list_unlink(stub_t *s, uint32_t idx)
{
    query_t *q = Q(s, idx);
    if (q->list == L_NONE)
        return;
    server_t *sv = &s->srv[q->server];
    if (q->list == L_WAIT) {
        ql_remove(s, &sv->wait, idx);
    } else {
        ql_remove(s, q->list == L_WQ ? &sv->tcp.wq : &sv->tcp.sent, idx);
        sv->tcp.nq--;
    }
    q->list = L_NONE;
}

static void out_release(stub_t *s, uint32_t idx, bool lost);

/* Forget everything about the query; its handle and queued pairs stop matching. */
static void slot_release(stub_t *s, uint32_t idx)
{
    query_t *q = Q(s, idx);
    if (q->has_id && s->idmap[q->id] == idx + 1)
        s->idmap[q->id] = 0;
    q->has_id = false;
    heap_remove(s, idx);
    list_unlink(s, idx);
    out_release(s, idx, false);
    q->state = Q_FREE;
    q->in_sendq = false;
    q->gen = q->gen + 1 ? q->gen + 1 : 1;
    s->freel[s->nfree++] = idx;
    s->used--;
}

/* Release the slot, then run the callback (which may start or cancel queries). */
static int finish(stub_t *s, uint32_t idx, const e2u__answer_t *a)
{
    query_t *q = Q(s, idx);
    e2u__answer_fn cb = q->cb;
    void *arg = q->arg;
    slot_release(s, idx);
    cb(arg, a);
    return 1;
}

static int finish_why(stub_t *s, uint32_t idx, e2u__ans_kind_t kind)
{
    e2u__answer_t a = {.kind = kind, .why = s->why};
    return finish(s, idx, &a);
}

static const char *rcode_name(uint16_t rcode, char buf[16])
{
    const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, rcode);
    if (l && l->name)
        return l->name;
    snprintf(buf, 16, "RCODE%u", rcode);
    return buf;
}

/* --- UDP -------------------------------------------------------------------------------------- */

static void udp_events(stub_t *s, udp_t *u)
{
    uint32_t want = EPOLLIN | (u->blocked ? EPOLLOUT : 0u);
    if (want == u->events)
        return;
    struct epoll_event ev = {.events = want, .data.u64 = T_UDP | ((uint64_t)(u - s->udp) << 8)};
    if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, u->fd, &ev) == 0)
        u->events = want;
}

static void sendq_push(stub_t *s, uint32_t idx)
{
    query_t *q = Q(s, idx);
    if (q->in_sendq)
        return;
    udp_t *u = &s->udp[s->srv[q->server].fam];
    if (vec_push(&u->q, idx, q->gen) < 0) {
        q->send_err = ENOMEM; /* the timer will treat it as this server's failure */
        q->deadline = 0;
        heap_update(s, idx);
        return;
    }
    q->in_sendq = true;
}

/* Send what is queued on u, BATCH datagrams a call. Never runs callbacks: a refused datagram
 * is marked for the timer, which process() runs. */
static void udp_flush(stub_t *s, udp_t *u)
{
    while (vec_count(&u->q) && !u->blocked) {
        unsigned cnt = 0;
        size_t pos = u->q.head;
        for (; pos < u->q.len && cnt < BATCH; pos++) {
            pair_t pr = u->q.v[pos];
            query_t *q = Q(s, pr.idx);
            if (q->gen != pr.gen || !q->in_sendq)
                continue;            /* released since, or sent through a later pair */
            if (q->state != Q_UDP) { /* moved to TCP meanwhile */
                q->in_sendq = false;
                continue;
            }
            server_t *sv = &s->srv[q->server];
            if (&s->udp[sv->fam] != u) { /* the next server is of the other family */
                q->in_sendq = false;
                sendq_push(s, pr.idx);
                continue;
            }
            s->siov[cnt] = (struct iovec){q->msg + 2, q->msglen};
            s->smsg[cnt].msg_hdr = (struct msghdr){.msg_name = &sv->addr,
                                                   .msg_namelen = sv->alen,
                                                   .msg_iov = &s->siov[cnt],
                                                   .msg_iovlen = 1};
            s->spos[cnt++] = pos;
        }
        if (cnt == 0) {
            u->q.head = u->q.len;
            break;
        }
        int n = sendmmsg(u->fd, s->smsg, cnt, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
                u->blocked = true;
                u->q.head = s->spos[0];
                break;
            }
            /* the first datagram was refused: skip it */
            pair_t pr = u->q.v[s->spos[0]];
            query_t *q = Q(s, pr.idx);
            q->in_sendq = false;
            q->send_err = errno;
            q->deadline = 0;
            heap_update(s, pr.idx);
            s->st.send_errors++;
            u->q.head = s->spos[0] + 1;
            continue;
        }
        uint64_t t = now_us();
        for (int i = 0; i < n; i++) {
            query_t *q = Q(s, u->q.v[s->spos[i]].idx);
            q->in_sendq = false;
            q->sent_us = t;
            if (q->sends < UINT8_MAX)
                q->sends++;
        }
        s->st.udp_sent += (unsigned)n;
        u->q.head = (unsigned)n == cnt ? pos : s->spos[n];
    }
    if (!vec_count(&u->q))
        u->q.head = u->q.len = 0;
    udp_events(s, u);
}

static void flush_all(stub_t *s)
{
    for (int f = 0; f < 2; f++) {
        if (s->udp[f].fd >= 0)
            udp_flush(s, &s->udp[f]);
    }
}

/*
 * How long one UDP attempt to server k waits. Until the server has answered: attempt_ms.
 * Then its retransmission timeout, RFC 6298 §2 (SRTT + 4 RTTVAR, with a floor of RTO_MIN_MS),
 * doubled for each attempt the query has already made (§5.5), and never more than attempt_ms:
 * a datagram dropped by a busy server's full socket buffer is resent within tens of
 * milliseconds, not after the 800 ms a first contact allows.
 */
static uint64_t attempt_wait(const stub_t *s, const query_t *q, unsigned k)
{
    const server_t *sv = &s->srv[k];
    if (!sv->srtt_us)
        return s->attempt_ms;
    uint64_t rto = (sv->srtt_us + 4u * (uint64_t)sv->rttvar_us + 999u) / 1000u;
    if (rto < RTO_MIN_MS)
        rto = RTO_MIN_MS;
    rto <<= q->attempts < 6 ? q->attempts : 6;
    return rto < s->attempt_ms ? rto : s->attempt_ms;
}

static void attempt_deadline(stub_t *s, uint32_t idx, uint64_t now)
{
    query_t *q = Q(s, idx);
    uint64_t d = now + attempt_wait(s, q, q->server);
    q->deadline = d < q->expire ? d : q->expire;
    heap_update(s, idx);
    if (q->attempts < UINT8_MAX)
        q->attempts++;
}

/* Server k has answered for the first time: the queries sent to it before, which were given
 * the first-contact wait, now get its RTO (a first burst larger than the server's socket
 * buffer loses its tail, and that should not cost attempt_ms). O(n) once per server. */
static void first_rtt(stub_t *s, unsigned k)
{
    bool changed = false;
    for (uint32_t i = 0; i < s->nheap; i++) {
        query_t *q = Q(s, s->heap[i]);
        if (q->state != Q_UDP || !q->out || q->out_srv != k || q->attempts != 1)
            continue;
        uint64_t d = q->sent_us / 1000u + attempt_wait(s, q, k) / 2u; /* attempts is 1 */
        if (d < q->deadline) {
            q->deadline = d;
            changed = true;
        }
    }
    if (!changed)
        return;
    for (uint32_t i = s->nheap / 2; i-- > 0;)
        heap_down(s, i);
}

/* An answer from server k to a query sent once (Karn's rule: a retransmitted query's answer
 * cannot tell which datagram it answers). RFC 6298 §2.2-2.3. */
static void rtt_sample(stub_t *s, const query_t *q, unsigned k)
{
    if (q->sends != 1 || q->state != Q_UDP)
        return;
    server_t *sv = &s->srv[k];
    uint64_t r = now_us() - q->sent_us;
    if (r > 60000000u)
        return;
    uint32_t rtt = r ? (uint32_t)r : 1;
    if (!sv->srtt_us) {
        sv->srtt_us = rtt;
        sv->rttvar_us = rtt / 2;
        first_rtt(s, k);
        return;
    }
    uint32_t diff = sv->srtt_us > rtt ? sv->srtt_us - rtt : rtt - sv->srtt_us;
    sv->rttvar_us = (uint32_t)((3u * (uint64_t)sv->rttvar_us + diff) / 4u);
    sv->srtt_us = (uint32_t)((7u * (uint64_t)sv->srtt_us + rtt) / 8u);
    if (!sv->srtt_us)
        sv->srtt_us = 1;
}

/*
 * The window. Each server may have cwnd datagrams unanswered; the others wait in its queue
 * (their deadline meanwhile is the query's end). cwnd grows by one per answer up to ssthresh
 * and by one per window's worth of answers above it, and halves when an attempt goes
 * unanswered, at most once per RTO (RFC 5681 §3.1, with datagrams for segments). Without it,
 * thousands of questions in flight overflow the socket buffer of a server that answers fewer
 * per second than they arrive, and every loss costs a retransmission timeout.
 */
static void admit_one(stub_t *s, uint32_t idx, uint64_t now)
{
    query_t *q = Q(s, idx);
    server_t *sv = &s->srv[q->server];
    q->out = true;
    q->out_srv = q->server;
    sv->outstanding++;
    attempt_deadline(s, idx, now);
    sendq_push(s, idx);
}

static void win_admit(stub_t *s, unsigned k)
{
    server_t *sv = &s->srv[k];
    if (sv->wait.head == NONE || sv->outstanding >= sv->cwnd)
        return;
    uint64_t now = now_ms();
    while (sv->wait.head != NONE && sv->outstanding < sv->cwnd) {
        uint32_t idx = sv->wait.head;
        ql_remove(s, &sv->wait, idx);
        Q(s, idx)->list = L_NONE;
        admit_one(s, idx, now);
    }
    signal_ev(s); /* cancel() can admit: the sends must not wait for an unrelated wakeup */
}

static void win_ack(stub_t *s, unsigned k)
{
    server_t *sv = &s->srv[k];
    if (sv->cwnd < sv->ssthresh)
        sv->cwnd++;
    else if (++sv->cwnd_acc >= sv->cwnd) {
        sv->cwnd++;
        sv->cwnd_acc = 0;
    }
    if (sv->cwnd > INFLIGHT_MAX)
        sv->cwnd = INFLIGHT_MAX;
}

static void win_loss(stub_t *s, unsigned k)
{
    server_t *sv = &s->srv[k];
    uint64_t now = now_ms();
    uint64_t gap = sv->srtt_us ? sv->srtt_us / 1000u : s->attempt_ms;
    if (gap < RTO_MIN_MS)
        gap = RTO_MIN_MS;
    if (sv->last_cut && now - sv->last_cut < gap)
        return;
    sv->ssthresh = sv->cwnd / 2 > CWND_MIN ? sv->cwnd / 2 : CWND_MIN;
    sv->cwnd = sv->ssthresh;
    sv->cwnd_acc = 0;
    sv->last_cut = now;
}

/* The query's datagram no longer occupies its server's window (answered, given up, or the
 * query ended); lost: given up for want of an answer. */
static void out_release(stub_t *s, uint32_t idx, bool lost)
{
    query_t *q = Q(s, idx);
    if (!q->out)
        return;
    q->out = false;
    s->srv[q->out_srv].outstanding--;
    if (lost)
        win_loss(s, q->out_srv);
    win_admit(s, q->out_srv);
}

/* Send the query to q->server, now or when the window allows. */
static void udp_send(stub_t *s, uint32_t idx, uint64_t now)
{
    query_t *q = Q(s, idx);
    server_t *sv = &s->srv[q->server];
    if (sv->wait.head == NONE && sv->outstanding < sv->cwnd) {
        admit_one(s, idx, now);
        return;
    }
    q->list = L_WAIT;
    ql_append(s, &sv->wait, idx);
    /* With other servers, waiting as long as an attempt would is enough: a server that has
     * stopped answering must not hold the queries that another one could answer. */
    uint64_t d = s->nsrv > 1 ? now + s->attempt_ms : q->expire;
    q->deadline = d < q->expire ? d : q->expire;
    heap_update(s, idx);
    s->st.window_waits++;
}

/* The first (or a new) UDP attempt of a query that has no ID yet. */
static void start_udp(stub_t *s, uint32_t idx, uint64_t now)
{
    query_t *q = Q(s, idx);
    id_take(s, idx);
    q->state = Q_UDP;
    q->server = 0;
    q->live = q->asked = 1;
    udp_send(s, idx, now);
    udp_t *u = &s->udp[s->srv[0].fam];
    if (vec_count(&u->q) >= BATCH)
        udp_flush(s, u);
    else
        signal_ev(s);
}

/* Ask the next server; the query keeps its ID. lost: the last attempt went unanswered. */
static void next_server(stub_t *s, uint32_t idx, unsigned from, uint64_t now, bool lost)
{
    query_t *q = Q(s, idx);
    out_release(s, idx, lost);
    list_unlink(s, idx);
    q->server = (uint8_t)((from + 1) % s->nsrv);
    q->live |= (uint8_t)(1u << q->server);
    q->asked |= (uint8_t)(1u << q->server);
    s->st.retransmits++;
    udp_send(s, idx, now);
}

/* Server k failed this query (s->why says how): the next server, or FAIL. */
static int attempt_failed(stub_t *s, uint32_t idx, unsigned k)
{
    query_t *q = Q(s, idx);
    uint64_t now = now_ms();
    q->fails++;
    q->live &= (uint8_t) ~(1u << k);
    if (q->fails < s->nsrv && now < q->expire) {
        if (q->state == Q_TCP) {
            list_unlink(s, idx);
            q->state = Q_UDP;
        }
        next_server(s, idx, k, now, false);
        return 0;
    }
    return finish_why(s, idx, E2U__ANS_FAIL);
}

/* --- TCP -------------------------------------------------------------------------------------- */

static int conn_open(stub_t *s, unsigned k);

static uint64_t conn_tag(unsigned k, uint32_t gen)
{
    return T_TCP | ((uint64_t)k << 8) | ((uint64_t)gen << 32);
}

static void conn_events(stub_t *s, unsigned k)
{
    conn_t *c = &s->srv[k].tcp;
    if (c->fd < 0)
        return;
    uint32_t want = EPOLLIN;
    if (c->state == C_CONNECTING || c->woff < c->wlen || c->wq.head != NONE)
        want |= EPOLLOUT;
    if (want == c->events)
        return;
    struct epoll_event ev = {.events = want, .data.u64 = conn_tag(k, c->gen)};
    if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->events = want;
}

static void conn_close(stub_t *s, unsigned k)
{
    conn_t *c = &s->srv[k].tcp;
    if (c->fd >= 0) {
        epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = C_NONE;
    c->events = 0;
    c->wlen = c->woff = c->rlen = 0;
    c->gen++;
}

enum { CF_CONNECT, CF_CLOSED, CF_BROKEN };

/*
 * The connection to server k is gone. CF_CLOSED (EOF or an error after it was up): queries
 * not yet written, and written ones on their first connection, go to a new connection
 * (RFC 7766 §6.2.3 allows a server to close); the others, and everything for CF_CONNECT and
 * CF_BROKEN, count as a failure of server k (s->why).
 */
static int conn_fail(stub_t *s, unsigned k, int mode)
{
    conn_t *c = &s->srv[k].tcp;
    vec_t *sc = &s->scratch;
    char why[sizeof(s->why)];
    memcpy(why, s->why, sizeof(why));
    sc->head = sc->len = 0;
    for (int l = 0; l < 2; l++) {
        qlist_t *ql = l ? &c->sent : &c->wq;
        while (ql->head != NONE) {
            uint32_t idx = ql->head;
            query_t *q = Q(s, idx);
            list_unlink(s, idx);
            q->requeue = mode == CF_CLOSED && (l == 0 || q->tcp_tries == 0);
            q->tcp_tries = (uint8_t)(q->tcp_tries + (q->requeue && l));
            /* without memory to note it, the query stays in the heap and times out */
            vec_push(sc, idx, q->gen);
        }
    }
    conn_close(s, k);
    /* Requeue first (no callbacks run), then fail the rest (callbacks may run). */
    bool reopen = false;
    for (size_t i = 0; i < sc->len; i++) {
        query_t *q = Q(s, sc->v[i].idx);
        if (q->gen == sc->v[i].gen && q->state == Q_TCP && q->requeue) {
            q->list = L_WQ;
            ql_append(s, &c->wq, sc->v[i].idx);
            c->nq++;
            reopen = true;
        }
    }
    int n = 0;
    for (size_t i = 0; i < sc->len; i++) {
        pair_t pr = sc->v[i];
        query_t *q = Q(s, pr.idx);
        if (q->gen != pr.gen || q->state != Q_TCP || q->list != L_NONE)
            continue;
        memcpy(s->why, why, sizeof(why));
        n += attempt_failed(s, pr.idx, k);
    }
    sc->head = sc->len = 0;
    if (reopen)
        n += conn_open(s, k);
    return n;
}

static int conn_open(stub_t *s, unsigned k)
{
    server_t *sv = &s->srv[k];
    conn_t *c = &sv->tcp;
    if (c->fd >= 0)
        return 0;
    if (!c->wbuf)
        c->wbuf = malloc(TCP_WBUF);
    if (!c->rbuf)
        c->rbuf = malloc(TCP_RBUF);
    if (!c->wbuf || !c->rbuf) {
        snprintf(s->why, sizeof(s->why), "no memory for a TCP connection to %s", sv->name);
        return conn_fail(s, k, CF_CONNECT);
    }
    int fd = socket(sv->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(s->why, sizeof(s->why), "cannot open a TCP socket for %s: %s", sv->name,
                 strerror(errno));
        return conn_fail(s, k, CF_CONNECT);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->fd = fd;
    c->gen++;
    c->state = C_CONNECTING;
    s->st.tcp_connects++;
    if (connect(fd, (struct sockaddr *)&sv->addr, sv->alen) == 0) {
        c->state = C_UP;
    } else if (errno != EINPROGRESS) {
        snprintf(s->why, sizeof(s->why), "cannot connect to %s over TCP: %s", sv->name,
                 strerror(errno));
        return conn_fail(s, k, CF_CONNECT);
    }
    c->events = EPOLLIN | EPOLLOUT;
    struct epoll_event ev = {.events = c->events, .data.u64 = conn_tag(k, c->gen)};
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        snprintf(s->why, sizeof(s->why), "cannot watch the TCP connection to %s: %s", sv->name,
                 strerror(errno));
        return conn_fail(s, k, CF_CONNECT);
    }
    return 0;
}

/* Move the query to TCP on server k (after TC=1); its deadline is now the query's own. */
static int go_tcp(stub_t *s, uint32_t idx, unsigned k)
{
    query_t *q = Q(s, idx);
    conn_t *c = &s->srv[k].tcp;
    out_release(s, idx, false);
    list_unlink(s, idx); /* it may wait for another server's window */
    q->state = Q_TCP;
    q->server = (uint8_t)k;
    q->deadline = q->expire;
    heap_update(s, idx);
    q->msg[0] = (uint8_t)(q->msglen >> 8);
    q->msg[1] = (uint8_t)q->msglen;
    q->list = L_WQ;
    ql_append(s, &c->wq, idx);
    c->nq++;
    if (c->fd < 0)
        return conn_open(s, k);
    conn_events(s, k);
    return 0;
}

/* Write what fits; returns 0, or a negative errno when the connection broke. */
static int conn_write(stub_t *s, unsigned k)
{
    conn_t *c = &s->srv[k].tcp;
    for (;;) {
        if (c->woff == c->wlen) {
            c->woff = c->wlen = 0;
            while (c->wq.head != NONE) {
                uint32_t idx = c->wq.head;
                query_t *q = Q(s, idx);
                size_t n = 2u + q->msglen;
                if (c->wlen + n > TCP_WBUF)
                    break;
                memcpy(c->wbuf + c->wlen, q->msg, n);
                c->wlen += n;
                ql_remove(s, &c->wq, idx);
                ql_append(s, &c->sent, idx);
                q->list = L_SENT;
                s->st.tcp_queries++;
            }
            if (c->wlen == 0)
                return 0;
        }
        ssize_t w = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -errno;
        }
        c->woff += (size_t)w;
    }
}

static int handle(stub_t *s, uint32_t idx, unsigned k, e2u__stub_verdict_t v,
                  const e2u__stub_resp_t *r, bool tcp);

static int on_tcp_message(stub_t *s, unsigned k, const uint8_t *msg, size_t len)
{
    uint32_t v = s->idmap[(uint16_t)((msg[0] << 8) | msg[1])];
    if (!v) {
        s->st.ignored++;
        return 0;
    }
    uint32_t idx = v - 1;
    query_t *q = Q(s, idx);
    if (q->state != Q_TCP || q->server != k || q->list != L_SENT) {
        s->st.ignored++;
        return 0;
    }
    e2u__stub_resp_t r;
    e2u__stub_verdict_t vd = e2u__stub_parse_response(s->parser, msg, len, q->id,
                                                      q->msg + 2 + KNOT_WIRE_HEADER_SIZE, 0, &r);
    return handle(s, idx, k, vd, &r, true);
}

/* Read and dispatch whole messages. *gone is set when the connection was closed here. */
static int conn_read(stub_t *s, unsigned k, bool *gone)
{
    server_t *sv = &s->srv[k];
    conn_t *c = &sv->tcp;
    uint32_t gen = c->gen;
    int n = 0;
    for (;;) {
        ssize_t r = recv(c->fd, c->rbuf + c->rlen, TCP_RBUF - c->rlen, 0);
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) {
            if (r == 0)
                snprintf(s->why, sizeof(s->why), "TCP connection to %s closed before the answer",
                         sv->name);
            else
                snprintf(s->why, sizeof(s->why), "TCP connection to %s failed: %s", sv->name,
                         strerror(errno));
            *gone = true;
            return n + conn_fail(s, k, CF_CLOSED);
        }
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return n;
        }
        c->rlen += (size_t)r;
        size_t off = 0;
        while (c->rlen - off >= 2) {
            size_t mlen = ((size_t)c->rbuf[off] << 8) | c->rbuf[off + 1];
            if (mlen < KNOT_WIRE_HEADER_SIZE) {
                snprintf(s->why, sizeof(s->why),
                         "malformed TCP stream from %s (a %zu-octet "
                         "message)",
                         sv->name, mlen);
                *gone = true;
                return n + conn_fail(s, k, CF_BROKEN);
            }
            if (c->rlen - off < 2 + mlen)
                break;
            n += on_tcp_message(s, k, c->rbuf + off + 2, mlen);
            if (c->gen != gen) { /* cannot happen: handlers do not close connections */
                *gone = true;
                return n;
            }
            off += 2 + mlen;
        }
        if (off) {
            memmove(c->rbuf, c->rbuf + off, c->rlen - off);
            c->rlen -= off;
        }
    }
}

static int conn_event(stub_t *s, unsigned k, uint32_t gen, uint32_t events)
{
    server_t *sv = &s->srv[k];
    conn_t *c = &sv->tcp;
    if (c->fd < 0 || c->gen != gen)
        return 0;
    if (c->state == C_CONNECTING) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return 0;
        int err = 0;
        socklen_t el = sizeof(err);
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
            err = errno;
        if (err) {
            snprintf(s->why, sizeof(s->why), "cannot connect to %s over TCP: %s", sv->name,
                     strerror(err));
            return conn_fail(s, k, CF_CONNECT);
        }
        c->state = C_UP;
    }
    int n = 0;
    if (events & EPOLLOUT) {
        int rc = conn_write(s, k);
        if (rc < 0) {
            snprintf(s->why, sizeof(s->why), "TCP connection to %s failed: %s", sv->name,
                     strerror(-rc));
            return conn_fail(s, k, CF_CLOSED);
        }
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        bool gone = false;
        n += conn_read(s, k, &gone);
        if (gone)
            return n;
    }
    conn_events(s, k);
    return n;
}

/* --- answers ---------------------------------------------------------------------------------- */

static int handle(stub_t *s, uint32_t idx, unsigned k, e2u__stub_verdict_t v,
                  const e2u__stub_resp_t *r, bool tcp)
{
    query_t *q = Q(s, idx);
    const char *name = s->srv[k].name;
    if (v == E2U__STUB_MISMATCH) {
        s->st.ignored++;
        return 0;
    }
    if (v == E2U__STUB_MALFORMED) {
        s->st.malformed++;
        snprintf(s->why, sizeof(s->why), "malformed answer from %s: %s", name, r->why);
        return attempt_failed(s, idx, k);
    }
    if (r->tc) {
        if (tcp) {
            snprintf(s->why, sizeof(s->why), "truncated answer over TCP from %s", name);
            return attempt_failed(s, idx, k);
        }
        s->st.truncated++;
        return go_tcp(s, idx, k);
    }
    if (r->rcode == KNOT_RCODE_NOERROR || r->rcode == KNOT_RCODE_NXDOMAIN) {
        e2u__ans_kind_t kind = r->rcode == KNOT_RCODE_NOERROR ? E2U__ANS_DATA : E2U__ANS_NXDOMAIN;
        if (s->cache_on && r->cacheable && r->ttl > 0)
            cache_insert(s, q->msg + 2 + KNOT_WIRE_HEADER_SIZE, kind, r, now_ms());
        e2u__answer_t a = {.kind = kind,
                           .dnssec = E2U__DNSSEC_UNCHECKED,
                           .rr = r->rr,
                           .nrr = r->nrr,
                           .owner = r->owner};
        return finish(s, idx, &a);
    }
    char buf[16];
    snprintf(s->why, sizeof(s->why), "%s from %s", rcode_name(r->rcode, buf), name);
    return attempt_failed(s, idx, k);
}

static bool same_addr(const struct sockaddr_storage *a, const server_t *sv)
{
    if (a->ss_family != sv->addr.ss_family)
        return false;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)&sv->addr;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)&sv->addr;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
}

static int on_datagram(stub_t *s, const uint8_t *buf, size_t len,
                       const struct sockaddr_storage *from, bool cut)
{
    s->st.udp_received++;
    if (len < 2) {
        s->st.ignored++;
        return 0;
    }
    uint32_t v = s->idmap[(uint16_t)((buf[0] << 8) | buf[1])];
    if (!v) {
        s->st.ignored++;
        return 0;
    }
    uint32_t idx = v - 1;
    query_t *q = Q(s, idx);
    unsigned k = 0;
    for (; k < s->nsrv; k++) {
        if ((q->live & (1u << k)) && same_addr(from, &s->srv[k]))
            break;
    }
    if (q->state != Q_UDP || k == s->nsrv) {
        s->st.ignored++;
        return 0;
    }
    e2u__stub_resp_t r;
    e2u__stub_verdict_t vd =
        e2u__stub_parse_response(s->parser, buf, len, q->id, q->msg + 2 + KNOT_WIRE_HEADER_SIZE,
                                 cut ? E2U__STUB_PARSE_CUT : 0, &r);
    if (vd != E2U__STUB_MISMATCH) {
        rtt_sample(s, q, k);
        win_ack(s, k);
        out_release(s, idx, false);
    }
    return handle(s, idx, k, vd, &r, false);
}

static int udp_read(stub_t *s, udp_t *u)
{
    int n = 0;
    for (int round = 0; round < RECV_ROUNDS; round++) {
        for (unsigned i = 0; i < BATCH; i++) {
            s->riov[i] = (struct iovec){s->rbufs + i * s->rbufsz, s->rbufsz};
            s->rmsg[i].msg_hdr = (struct msghdr){.msg_name = &s->raddr[i],
                                                 .msg_namelen = sizeof(s->raddr[i]),
                                                 .msg_iov = &s->riov[i],
                                                 .msg_iovlen = 1};
            s->rmsg[i].msg_len = 0;
        }
        int r = recvmmsg(u->fd, s->rmsg, BATCH, MSG_DONTWAIT, NULL);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break; /* EAGAIN, or an error an unconnected socket does not keep */
        }
        for (int i = 0; i < r; i++) {
            bool cut = (s->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
            n += on_datagram(s, s->rbufs + (size_t)i * s->rbufsz, s->rmsg[i].msg_len, &s->raddr[i],
                             cut);
        }
        if (r < BATCH)
            break;
    }
    return n;
}

/* --- timers and cache hits -------------------------------------------------------------------- */

static size_t list_servers(stub_t *s, uint8_t mask, char *buf, size_t cap)
{
    size_t w = 0;
    buf[0] = '\0';
    for (unsigned k = 0; k < s->nsrv; k++) {
        if (!(mask & (1u << k)))
            continue;
        int n = snprintf(buf + w, cap - w, "%s%s", w ? ", " : "", s->srv[k].name);
        if (n < 0 || (size_t)n >= cap - w)
            break;
        w += (size_t)n;
    }
    return w;
}

static int fire_timers(stub_t *s)
{
    int n = 0;
    uint64_t now = now_ms();
    while (s->nheap) {
        uint32_t idx = s->heap[0];
        query_t *q = Q(s, idx);
        if (q->deadline > now)
            break;
        if (now >= q->expire) {
            char list[E2U_SERVERS_MAX * (INET6_ADDRSTRLEN + 10)];
            list_servers(s, q->asked, list, sizeof(list));
            snprintf(s->why, sizeof(s->why), "no answer from %s%s within %u ms", list,
                     q->state == Q_TCP ? " over TCP" : "", q->timeout_ms);
            s->st.timeouts++;
            n += finish_why(s, idx, E2U__ANS_TIMEOUT);
            continue;
        }
        if (q->send_err) {
            snprintf(s->why, sizeof(s->why), "cannot send to %s: %s", s->srv[q->server].name,
                     strerror(q->send_err));
            q->send_err = 0;
            n += attempt_failed(s, idx, q->server);
            continue;
        }
        if (q->state != Q_UDP || (q->list == L_WAIT && s->nsrv == 1)) {
            q->deadline = q->expire; /* TCP, or the only server's window: wait to the end */
            heap_update(s, idx);
            continue;
        }
        if (q->list == L_WAIT) { /* waited an attempt's time for the window: next server */
            next_server(s, idx, q->server, now, false);
            continue;
        }
        next_server(s, idx, q->server, now, true);
    }
    return n;
}

static int deliver_hits(stub_t *s)
{
    int n = 0;
    vec_t batch = s->ready;
    s->ready = s->ready2;
    s->ready.head = s->ready.len = 0;
    uint64_t now = now_ms();
    for (size_t i = batch.head; i < batch.len; i++) {
        pair_t pr = batch.v[i];
        query_t *q = Q(s, pr.idx);
        if (q->gen != pr.gen || q->state != Q_HIT)
            continue; /* cancelled */
        uint32_t ei = q->centry;
        if (s->cache.e[ei].gen != q->cgen || !s->cache.e[ei].kind) {
            /* evicted or replaced since query(): look again, else ask the network */
            ei = cache_lookup(s, q->msg + 2 + KNOT_WIRE_HEADER_SIZE, now);
            if (ei == NONE) {
                start_udp(s, pr.idx, now);
                continue;
            }
        }
        centry_t *e = &s->cache.e[ei];
        e->ref = 1;
        e2u__answer_t a = {.kind = (e2u__ans_kind_t)(e->kind - 1),
                           .dnssec = E2U__DNSSEC_UNCHECKED,
                           .rr = (const e2u_rdata_t *)e->blob,
                           .nrr = e->nrr,
                           .owner = ce_key(e) + e->keylen,
                           .from_cache = true};
        n += finish(s, pr.idx, &a);
    }
    batch.head = batch.len = 0;
    s->ready2 = batch;
    return n;
}

/* --- the ops ---------------------------------------------------------------------------------- */

static int stub_query(e2u__source_t *src, const uint8_t *qname, unsigned timeout_ms,
                      e2u__answer_fn cb, void *arg, uint64_t *handle)
{
    stub_t *s = (stub_t *)src;
    if (!qname || !cb)
        return E2U_EINVAL;
    if (e2u_dname_wire_len(qname, E2U_DNAME_MAX) < 0)
        return E2U_EINVAL;
    if (s->used >= INFLIGHT_MAX)
        return E2U_EBUSY;
    uint32_t idx;
    int rc = slot_alloc(s, &idx);
    if (rc < 0)
        return rc;
    query_t *q = Q(s, idx);
    size_t ml;
    rc = e2u__stub_build_query(q->msg + 2, sizeof(q->msg) - 2, &ml, 0, qname, s->edns);
    if (rc < 0) {
        slot_release(s, idx);
        return rc;
    }
    uint64_t now = now_ms();
    q->msglen = (uint16_t)ml;
    q->cb = cb;
    q->arg = arg;
    q->timeout_ms = timeout_ms ? timeout_ms : DEFAULT_TIMEOUT_MS;
    q->expire = now + q->timeout_ms;
    s->st.queries++;
    uint32_t ei = s->cache_on ? cache_lookup(s, qname, now) : NONE;
    if (ei != NONE && vec_push(&s->ready, idx, q->gen) == 0) {
        q->state = Q_HIT;
        q->centry = ei;
        q->cgen = s->cache.e[ei].gen;
        s->st.cache_hits++;
        signal_ev(s);
    } else {
        start_udp(s, idx, now);
    }
    if (handle)
        *handle = ((uint64_t)q->gen << 32) | idx;
    return 0;
}

static void stub_cancel(e2u__source_t *src, uint64_t handle)
{
    stub_t *s = (stub_t *)src;
    uint32_t idx = (uint32_t)handle;
    uint32_t gen = (uint32_t)(handle >> 32);
    if (idx >= s->nslots)
        return;
    query_t *q = Q(s, idx);
    if (q->gen != gen || q->state == Q_FREE)
        return;
    slot_release(s, idx);
}

static int stub_fd(e2u__source_t *src)
{
    return ((stub_t *)src)->epfd;
}

static bool sends_pending(const stub_t *s)
{
    for (int f = 0; f < 2; f++) {
        if (s->udp[f].fd >= 0 && vec_count(&s->udp[f].q) && !s->udp[f].blocked)
            return true;
    }
    return false;
}

static int stub_process(e2u__source_t *src)
{
    stub_t *s = (stub_t *)src;
    if (s->in_process)
        return 0; /* from a callback: the outer call finishes the work */
    s->in_process = true;
    unsignal_ev(s);
    int n = deliver_hits(s);
    struct epoll_event ev[16];
    int ne = epoll_wait(s->epfd, ev, 16, 0);
    for (int i = 0; i < ne; i++) {
        uint64_t tag = ev[i].data.u64;
        unsigned k = (unsigned)((tag >> 8) & 0xffffff);
        switch (tag & 0xff) {
        case T_UDP:
            if (ev[i].events & EPOLLOUT)
                s->udp[k].blocked = false;
            if (ev[i].events & (EPOLLIN | EPOLLERR))
                n += udp_read(s, &s->udp[k]);
            break;
        case T_TCP:
            n += conn_event(s, k, (uint32_t)(tag >> 32), ev[i].events);
            break;
        default:
            break;
        }
    }
    flush_all(s);
    n += fire_timers(s);
    flush_all(s);
    for (unsigned k = 0; k < s->nsrv; k++) {
        conn_t *c = &s->srv[k].tcp;
        if (c->fd >= 0 && c->nq == 0)
            conn_close(s, k);
        else if (c->fd >= 0)
            conn_events(s, k);
    }
    if (vec_count(&s->ready) || sends_pending(s))
        signal_ev(s);
    s->in_process = false;
    return n;
}

static int stub_next_timeout(e2u__source_t *src)
{
    stub_t *s = (stub_t *)src;
    if (vec_count(&s->ready) || sends_pending(s))
        return 0;
    if (!s->nheap)
        return -1;
    uint64_t d = Q(s, s->heap[0])->deadline, now = now_ms();
    if (d <= now)
        return 0;
    return d - now > INT_MAX ? INT_MAX : (int)(d - now);
}

static void stub_free(e2u__source_t *src)
{
    stub_t *s = (stub_t *)src;
    if (!s)
        return;
    for (unsigned k = 0; k < E2U_SERVERS_MAX; k++) {
        conn_t *c = &s->srv[k].tcp;
        if (c->fd >= 0)
            close(c->fd);
        free(c->wbuf);
        free(c->rbuf);
    }
    for (int f = 0; f < 2; f++) {
        if (s->udp[f].fd >= 0)
            close(s->udp[f].fd);
        free(s->udp[f].q.v);
    }
    if (s->epfd >= 0)
        close(s->epfd);
    if (s->efd >= 0)
        close(s->efd);
    for (unsigned i = 0; i < NCHUNKS; i++)
        free(s->chunk[i]);
    free(s->freel);
    free(s->idmap);
    free(s->heap);
    free(s->ready.v);
    free(s->ready2.v);
    free(s->scratch.v);
    if (s->cache.e) {
        for (uint32_t i = 0; i < s->cache.nfill; i++)
            free(s->cache.e[i].blob);
    }
    free(s->cache.e);
    free(s->cache.efree);
    free(s->cache.tab);
    e2u__stub_parser_free(s->parser);
    free(s->rbufs);
    free(s);
}

static const e2u__source_ops_t stub_ops = {stub_query,   stub_cancel,       stub_fd,
                                           stub_process, stub_next_timeout, stub_free};

void e2u__stub_get_stats(const e2u__source_t *src, e2u__stub_stats_t *out)
{
    if (!out)
        return;
    if (!src || src->ops != &stub_ops) {
        memset(out, 0, sizeof(*out));
        return;
    }
    *out = ((const stub_t *)src)->st;
}

static int new_fail(stub_t *s, int rc)
{
    stub_free(&s->base);
    return rc;
}

int e2u__stub_new(e2u__source_t **out, const e2u__stub_opts_t *opts, e2u_diag_t *diag)
{
    if (!out || !opts)
        return e2u__diag(diag, E2U_EINVAL, 0, "no options given");
    *out = NULL;
    if (opts->nservers == 0 || !opts->servers)
        return e2u__diag(diag, E2U_EINVAL, 0, "no server given");
    if (opts->nservers > E2U_SERVERS_MAX)
        return e2u__diag(diag, E2U_EINVAL, 0, "more than %d servers", E2U_SERVERS_MAX);
    stub_t *s = calloc(1, sizeof(*s));
    if (!s)
        return E2U_ENOMEM;
    s->base.ops = &stub_ops;
    s->epfd = s->efd = -1;
    s->udp[0].fd = s->udp[1].fd = -1;
    for (unsigned k = 0; k < E2U_SERVERS_MAX; k++) {
        conn_t *c = &s->srv[k].tcp;
        c->fd = -1;
        c->wq.head = c->wq.tail = c->sent.head = c->sent.tail = NONE;
        s->srv[k].wait.head = s->srv[k].wait.tail = NONE;
        s->srv[k].cwnd = CWND_INIT;
        s->srv[k].ssthresh = INFLIGHT_MAX;
    }

    bool fam_used[2] = {false, false};
    for (size_t k = 0; k < opts->nservers; k++) {
        server_t *sv = &s->srv[k];
        int rc = e2u__stub_parse_server(opts->servers[k], &sv->addr, &sv->alen, diag);
        if (rc < 0)
            return new_fail(s, rc);
        sv->fam = sv->addr.ss_family == AF_INET6;
        fam_used[sv->fam] = true;
        char a[INET6_ADDRSTRLEN];
        const void *ap = sv->fam ? (const void *)&((struct sockaddr_in6 *)&sv->addr)->sin6_addr
                                 : (const void *)&((struct sockaddr_in *)&sv->addr)->sin_addr;
        uint16_t port = sv->fam ? ((struct sockaddr_in6 *)&sv->addr)->sin6_port
                                : ((struct sockaddr_in *)&sv->addr)->sin_port;
        if (!inet_ntop(sv->addr.ss_family, ap, a, sizeof(a)))
            snprintf(a, sizeof(a), "?");
        snprintf(sv->name, sizeof(sv->name), "%s@%u", a, ntohs(port));
    }
    s->nsrv = (unsigned)opts->nservers;
    s->attempt_ms = opts->attempt_ms ? opts->attempt_ms : DEFAULT_ATTEMPT_MS;
    s->edns = opts->edns_size ? opts->edns_size : DEFAULT_EDNS;
    if (s->edns < 512)
        s->edns = 512; /* RFC 6891 §6.2.5 */
    s->cache_on = !opts->no_cache;
    s->rbufsz = s->edns;

    s->freel = malloc(INFLIGHT_MAX * sizeof(*s->freel));
    s->heap = malloc(INFLIGHT_MAX * sizeof(*s->heap));
    s->idmap = calloc(65536, sizeof(*s->idmap));
    s->rbufs = malloc((size_t)BATCH * s->rbufsz);
    if (!s->freel || !s->heap || !s->idmap || !s->rbufs || e2u__stub_parser_new(&s->parser) < 0)
        return new_fail(s, E2U_ENOMEM);
    if (s->cache_on) {
        cache_t *c = &s->cache;
        size_t want = opts->cache_entries ? opts->cache_entries : DEFAULT_CACHE;
        c->cap = (uint32_t)(want > CACHE_ENTRIES_MAX ? CACHE_ENTRIES_MAX : want);
        uint32_t tsize = 16;
        while (tsize < 2 * c->cap)
            tsize *= 2;
        c->tmask = tsize - 1;
        c->e = calloc(c->cap, sizeof(*c->e));
        c->efree = malloc(c->cap * sizeof(*c->efree));
        c->tab = calloc(tsize, sizeof(*c->tab));
        if (!c->e || !c->efree || !c->tab)
            return new_fail(s, E2U_ENOMEM);
        uint64_t k[2] = {0, 0};
        if (getrandom(k, sizeof(k), GRND_NONBLOCK) != (ssize_t)sizeof(k))
            k[0] = now_ms() * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)s;
        c->k0 = k[0];
        c->k1 = k[1];
    }
    s->xs = now_ms() ^ (uint64_t)(uintptr_t)s;

    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->epfd < 0 || s->efd < 0)
        return new_fail(s, e2u__diag(diag, E2U_EIO, 0, "cannot create the event descriptors: %s",
                                     strerror(errno)));
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = T_EVENT};
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->efd, &ev) < 0)
        return new_fail(s, e2u__diag(diag, E2U_EIO, 0, "epoll_ctl: %s", strerror(errno)));
    for (int f = 0; f < 2; f++) {
        if (!fam_used[f])
            continue;
        udp_t *u = &s->udp[f];
        u->fd = socket(f ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (u->fd < 0)
            return new_fail(
                s, e2u__diag(diag, E2U_EIO, 0, "cannot open a UDP socket: %s", strerror(errno)));
        int sz = (int)SOCKBUF;
        setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz)); /* best effort */
        setsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
        u->events = EPOLLIN;
        ev = (struct epoll_event){.events = EPOLLIN, .data.u64 = T_UDP | ((uint64_t)f << 8)};
        if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, u->fd, &ev) < 0)
            return new_fail(s, e2u__diag(diag, E2U_EIO, 0, "epoll_ctl: %s", strerror(errno)));
    }
    *out = &s->base;
    return 0;
}
