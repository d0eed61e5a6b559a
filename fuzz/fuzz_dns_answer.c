/*
 * fuzz/fuzz_dns_answer.c — libFuzzer target for DNS answers as the stub judges them
 * (e2u__stub_parse_response, lib/resolve/stub.h): what a hostile or broken server can send.
 *
 * The input is one DNS message. It is copied into a heap buffer of exactly its size, so that
 * ASan reports any read past its end, and judged:
 *   1. as the answer to its own question: the ID from its header and the QNAME from its
 *      question section when that is an uncompressed name (else 1.e164.arpa.), so that the
 *      fuzzer gets past the matching and into record parsing, the CNAME chase and the TTLs;
 *   2. the same again with the same parser: the verdict and the records must not depend on
 *      what the parser's arena held before;
 *   3. as if the datagram had been cut (E2U__STUB_PARSE_CUT), and against another ID.
 * Invariants, checked with abort():
 *   - MISMATCH and MALFORMED come with a reason; another ID is always a MISMATCH;
 *   - an ANSWER with TC has no records; records come only with NOERROR, never with another
 *     RCODE, and are at most ANCOUNT; each is NAPTR RDATA that the core's wire parser accepts
 *     (libknot has checked its layout); the owner is a valid uncompressed name; a cacheable
 *     answer's TTL is within the caps of stub.h.
 * Finally the query builder: a query for the QNAME, parsed as an answer, is a MISMATCH (QR=0);
 * with QR set it is an empty NOERROR answer about that very name.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2u/e2u.h"
#include "resolve/stub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

typedef struct copy {
    e2u__stub_verdict_t v;
    e2u__stub_resp_t r;
    uint8_t rd[65536];
    size_t rdlen;
} copy_t;

static void check(e2u__stub_verdict_t v, const e2u__stub_resp_t *r, const uint8_t *msg, size_t len)
{
    CHECK(v == E2U__STUB_ANSWER || v == E2U__STUB_MISMATCH || v == E2U__STUB_MALFORMED);
    if (v != E2U__STUB_ANSWER) {
        CHECK(r->why != NULL && r->why[0] != '\0');
        return;
    }
    CHECK(len >= 12);
    unsigned ancount = (unsigned)(msg[6] << 8 | msg[7]);
    if (r->tc)
        CHECK(r->nrr == 0);
    if (r->nrr)
        CHECK(r->rcode == 0 && r->rr != NULL);
    if (r->rcode != 0 && r->rcode != 3)
        CHECK(r->nrr == 0 && !r->cacheable);
    CHECK(r->nrr <= ancount);
    for (size_t i = 0; i < r->nrr; i++) {
        e2u_naptr_t n;
        CHECK(r->rr[i].data != NULL && r->rr[i].len > 0);
        CHECK(e2u_naptr_parse_wire(&n, r->rr[i].data, r->rr[i].len, NULL) == 0);
    }
    if (r->owner) {
        int ol = e2u_dname_wire_len(r->owner, E2U_DNAME_MAX);
        CHECK(ol > 0);
    }
    if (r->cacheable)
        CHECK(r->ttl <= (r->nrr ? E2U__STUB_TTL_MAX : E2U__STUB_NEG_TTL_MAX));
    CHECK(r->cnames <= E2U__STUB_CNAME_MAX);
}

static void keep(copy_t *c, e2u__stub_verdict_t v, const e2u__stub_resp_t *r)
{
    c->v = v;
    c->r = *r;
    c->rdlen = 0;
    for (size_t i = 0; i < r->nrr; i++) {
        CHECK(c->rdlen + 2 + r->rr[i].len <= sizeof(c->rd));
        c->rd[c->rdlen++] = (uint8_t)(r->rr[i].len >> 8);
        c->rd[c->rdlen++] = (uint8_t)r->rr[i].len;
        memcpy(c->rd + c->rdlen, r->rr[i].data, r->rr[i].len);
        c->rdlen += r->rr[i].len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t fallback[] = {1, '1', 4, 'e', '1', '6', '4', 4, 'a', 'r', 'p', 'a', 0};
    uint8_t *msg = malloc(size ? size : 1);
    CHECK(msg != NULL);
    if (size)
        memcpy(msg, data, size);

    uint16_t id = size >= 2 ? (uint16_t)(msg[0] << 8 | msg[1]) : 0;
    uint8_t qname[E2U_DNAME_MAX];
    memcpy(qname, fallback, sizeof(fallback));
    if (size > 12) {
        int ql = e2u_dname_wire_len(msg + 12, size - 12);
        if (ql > 0)
            memcpy(qname, msg + 12, (size_t)ql);
    }

    e2u__stub_parser_t *p;
    CHECK(e2u__stub_parser_new(&p) == 0);
    copy_t *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
    CHECK(a && b);

    /* 1, 2: twice with the same parser */
    e2u__stub_resp_t r;
    e2u__stub_verdict_t v = e2u__stub_parse_response(p, msg, size, id, qname, 0, &r);
    check(v, &r, msg, size);
    keep(a, v, &r);
    v = e2u__stub_parse_response(p, msg, size, id, qname, 0, &r);
    check(v, &r, msg, size);
    keep(b, v, &r);
    CHECK(a->v == b->v && a->r.rcode == b->r.rcode && a->r.tc == b->r.tc && a->r.nrr == b->r.nrr &&
          a->r.ttl == b->r.ttl && a->r.cacheable == b->r.cacheable && a->r.cnames == b->r.cnames &&
          a->rdlen == b->rdlen && memcmp(a->rd, b->rd, a->rdlen) == 0);

    /* 3: cut, and another ID */
    v = e2u__stub_parse_response(p, msg, size, id, qname, E2U__STUB_PARSE_CUT, &r);
    check(v, &r, msg, size);
    if (v == E2U__STUB_ANSWER && r.rcode == 0)
        CHECK(r.tc && r.nrr == 0);
    v = e2u__stub_parse_response(p, msg, size, (uint16_t)(id + 1), qname, 0, &r);
    CHECK(v == E2U__STUB_MISMATCH);

    /* the builder */
    uint8_t q[E2U__STUB_QUERY_MAX];
    size_t qlen = 0;
    CHECK(e2u__stub_build_query(q, sizeof(q), &qlen, id, qname, 1232) == 0);
    v = e2u__stub_parse_response(p, q, qlen, id, qname, 0, &r);
    CHECK(v == E2U__STUB_MISMATCH);
    q[2] |= 0x80; /* QR */
    v = e2u__stub_parse_response(p, q, qlen, id, qname, 0, &r);
    CHECK(v == E2U__STUB_ANSWER && r.rcode == 0 && r.nrr == 0 && !r.tc && !r.cacheable);
    CHECK(e2u_dname_equal(r.owner, qname));

    e2u__stub_parser_free(p);
    free(a);
    free(b);
    free(msg);
    return 0;
}
