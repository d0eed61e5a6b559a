/*
 * lib/resolve/stub.h — the pure pieces of e2u's DNS stub (src_stub.c), exposed for the unit
 * tests, the fuzz target and the benchmark. Not installed.
 *
 * Building a query and judging a response are pure: no sockets, no clocks. The response
 * parser is the one place where bytes from the network are read; everything it hands out is
 * either a verdict or data that libknot's packet parser (RFC 1035 §4) has already walked.
 *
 *     e2u__stub_parser_t *p;
 *     e2u__stub_parser_new(&p);
 *     e2u__stub_resp_t r;
 *     switch (e2u__stub_parse_response(p, wire, len, id, qname, 0, &r)) {
 *     case E2U__STUB_ANSWER:    ... r.rcode, r.tc, r.rr[0 .. r.nrr), r.owner, r.ttl ...
 *     case E2U__STUB_MISMATCH:  ... not an answer to this question: keep waiting ...
 *     case E2U__STUB_MALFORMED: ... the server's answer is broken: r.why says how ...
 *     }
 *     e2u__stub_parser_free(p);
 *
 * Lifetime: everything a result points to (rr, rr[i].data, owner) belongs to the parser and
 * stays valid until the next e2u__stub_parse_response() on the same parser or its free. The
 * wire is not kept and not modified.
 */
#ifndef E2U_RESOLVE_STUB_H
#define E2U_RESOLVE_STUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include "e2u/ddds.h"
#include "resolve/source.h"

/* The longest query we build: header, a 255-octet QNAME, QTYPE+QCLASS, an empty OPT RR. */
#define E2U__STUB_QUERY_MAX (12 + 255 + 4 + 11)
/* CNAME links followed inside one answer (RFC 1034 §3.6.2 chains). */
#define E2U__STUB_CNAME_MAX 8
/* Caps on cached TTLs (seconds): a day for data; RFC 2308 §5 suggests 1 to 3 hours for
 * negative answers. */
#define E2U__STUB_TTL_MAX     86400u
#define E2U__STUB_NEG_TTL_MAX 10800u

/*
 * Write a NAPTR/IN query for qname (uncompressed wire form) with the given ID into buf[cap]:
 * RD=1 (RFC 1035 §4.1.1; authoritative servers ignore it, recursive ones need it), and an
 * EDNS(0) OPT RR advertising edns_size (RFC 6891 §6.2.3), or no OPT when edns_size is 0.
 * Returns 0 and *len, E2U_EINVAL (qname is not a valid wire name), or E2U_ENOSPC.
 */
int e2u__stub_build_query(uint8_t *buf, size_t cap, size_t *len, uint16_t id, const uint8_t *qname,
                          uint16_t edns_size);

typedef enum e2u__stub_verdict {
    E2U__STUB_ANSWER = 0, /* a response to this question: see rcode, tc, rr */
    E2U__STUB_MISMATCH,   /* not a response to this question (ID, QR, opcode, question) */
    E2U__STUB_MALFORMED,  /* a response to this question that cannot be used */
} e2u__stub_verdict_t;

typedef struct e2u__stub_resp {
    const char *why; /* MISMATCH, MALFORMED: what was wrong; static storage */
    uint16_t rcode;  /* extended RCODE (RFC 6891 §6.1.3) */
    bool tc;         /* TC=1 (or the datagram was cut): nothing else was read */
    bool aa;
    const e2u_rdata_t *rr; /* NOERROR: NAPTR RDATA at owner, class IN, in answer order */
    size_t nrr;
    const uint8_t *owner; /* the name the answer is about: QNAME, or the end of the
                           * CNAME chain in the answer section; uncompressed wire form */
    unsigned cnames;      /* CNAME links followed */
    uint32_t ttl;         /* with cacheable: seconds the answer may be kept */
    bool cacheable;       /* NOERROR with NAPTRs: ttl = min TTL of the RRset (and of the
                           * CNAMEs followed); NXDOMAIN or NODATA with the zone's SOA in
                           * authority: ttl = min(SOA TTL, SOA MINIMUM) (RFC 2308 §5) */
} e2u__stub_resp_t;

/* The datagram was longer than the receive buffer (MSG_TRUNC): judge it as TC=1. */
#define E2U__STUB_PARSE_CUT 0x1u

typedef struct e2u__stub_parser e2u__stub_parser_t;

/* Returns 0 or E2U_ENOMEM. */
int e2u__stub_parser_new(e2u__stub_parser_t **out);
void e2u__stub_parser_free(e2u__stub_parser_t *p);

/*
 * Judge wire[len] as the response to the NAPTR/IN question for qname (wire form) sent with
 * ID id. In this order:
 *   - MISMATCH when it is not a response to it: shorter than a header, another ID, QR=0,
 *     an opcode other than QUERY, a question other than (qname case-insensitively, NAPTR,
 *     IN). A response without a question section is accepted only with an error RCODE
 *     (servers omit it in FORMERR/NOTIMP/REFUSED/SERVFAIL).
 *   - ANSWER with tc when TC=1 or flags has E2U__STUB_PARSE_CUT (nothing more is read).
 *   - MALFORMED when libknot cannot parse the message (a length running past the end, a
 *     compression loop or forward pointer, a misplaced OPT, trailing garbage...), when a
 *     CNAME chain is longer than E2U__STUB_CNAME_MAX links, or when NXDOMAIN comes with
 *     NAPTRs at the very name it denies.
 *   - ANSWER otherwise, with the RRset extracted for NOERROR and NXDOMAIN.
 * *out is always filled. Its pointers belong to the parser (see the top of this file).
 */
e2u__stub_verdict_t e2u__stub_parse_response(e2u__stub_parser_t *p, const uint8_t *wire, size_t len,
                                             uint16_t id, const uint8_t *qname, unsigned flags,
                                             e2u__stub_resp_t *out);

/* Counters of one stub source, for tests and benchmarks. */
typedef struct e2u__stub_stats {
    uint64_t queries; /* query() calls that started */
    uint64_t cache_hits;
    uint64_t udp_sent; /* datagrams, retransmissions included */
    uint64_t udp_received;
    uint64_t ignored;     /* datagrams/messages that matched no query: strangers, wrong
                           * ID, wrong question, not a response */
    uint64_t malformed;   /* answers from the right server that did not parse */
    uint64_t truncated;   /* TC=1 answers (retried over TCP) */
    uint64_t tcp_queries; /* queries written over TCP */
    uint64_t tcp_connects;
    uint64_t retransmits;  /* attempts after the first (timeouts and failures) */
    uint64_t window_waits; /* attempts that waited for their server's window */
    uint64_t timeouts;
    uint64_t send_errors; /* datagrams the kernel refused */
    uint64_t cache_inserts;
    uint64_t cache_evictions;
} e2u__stub_stats_t;

/* Copy the counters of a source made by e2u__stub_new. */
void e2u__stub_get_stats(const e2u__source_t *src, e2u__stub_stats_t *out);

/* Parse "ADDR", "ADDR@PORT", "[ADDR]", "[ADDR]:PORT" or "[ADDR]@PORT" (IPv4 or IPv6
 * literal, an IPv6 one with an optional %scope; port 53 by default). Returns 0 or
 * E2U_EINVAL with diag naming the text. */
int e2u__stub_parse_server(const char *text, struct sockaddr_storage *sa, socklen_t *salen,
                           e2u_diag_t *diag);

#endif
