/*
 * fuzz/fuzz_eval.c — libFuzzer target for the DDDS evaluation of one NAPTR record set
 * (e2u_eval_rrset: RFC 3402 §2-3, RFC 3403 §4, RFC 6116 §3).
 *
 * Input layout: up to 32 records, each a 2-octet big-endian length and that many RDATA octets,
 * as they would come out of one DNS answer; a length that runs past the end takes what is left.
 * Each record is copied into a heap block of exactly its length, so ASan reports any read past
 * a record. The number is +12155550123, the number of RFC 4769's examples.
 *
 * Three long-lived evaluators see every input:
 *   - all:    default options (every enumservice, no strict order);
 *   - sip:    filter "sip", no strict order;
 *   - strict: filter "sip" and strict_order (RFC 3403 §4.1).
 * Checks, from e2u/ddds.h:
 *   - e2u_eval_rrset returns 0 (E2U_ENOMEM only under memory pressure, with an empty result);
 *   - all and sip: every record yields exactly one rule, drop or skip: nrules + ndrops +
 *     nskipped == n, and each record index appears once among the rules and drops;
 *   - all: nskipped == 0 (no filter);
 *   - rules sorted by (order, preference, index); index < n;
 *   - terminal rules: value NUL-terminated with strlen == value_len, next NULL, at least one
 *     enumservice, uri borrowing value and value parsing again as the same URI;
 *     non-terminal rules: value the presentation form of next, next a valid wire
 *     name of next_len octets other than the root;
 *   - every drop has a non-NULL, NUL-terminated detail, a known reason and an index < n;
 *   - strict: its rules are exactly the rules of sip's lowest order (same indices, in the same
 *     sequence), and it drops and skips exactly what sip does.
 *
 * The evaluators are the only global state: created on the first call and kept (libFuzzer has
 * no teardown hook; they stay reachable, so LeakSanitizer does not report them).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2u/e2u.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MAX_RECORDS 32

static e2u_eval_t *ev_all, *ev_sip, *ev_strict;

static void setup(void)
{
    e2u_service_spec_t sip;
    e2u_eval_opts_t o;

    CHECK(e2u_eval_new(&ev_all, NULL) == 0);
    CHECK(e2u_service_spec_parse(&sip, "sip", 3, NULL) == 0);
    memset(&o, 0, sizeof(o));
    o.filter = &sip;
    o.nfilter = 1;
    o.limits.match_limit = 5000; /* small limits: make regexp-limit drops reachable */
    o.limits.depth_limit = 100;
    o.limits.cache_entries = 8;
    CHECK(e2u_eval_new(&ev_sip, &o) == 0);
    o.strict_order = true;
    CHECK(e2u_eval_new(&ev_strict, &o) == 0);
}

static int rule_cmp(const e2u_rule_t *a, const e2u_rule_t *b)
{
    if (a->order != b->order)
        return a->order < b->order ? -1 : 1;
    if (a->preference != b->preference)
        return a->preference < b->preference ? -1 : 1;
    return a->index < b->index ? -1 : (a->index > b->index);
}

static void check_result(const e2u_eval_result_t *r, size_t n, bool complete)
{
    unsigned char seen[MAX_RECORDS] = {0};

    if (complete)
        CHECK(r->nrules + r->ndrops + r->nskipped == n);
    else
        CHECK(r->nrules + r->ndrops + r->nskipped <= n);
    CHECK(r->nrules == 0 || r->rules != NULL);
    CHECK(r->ndrops == 0 || r->drops != NULL);

    for (size_t i = 0; i < r->nrules; i++) {
        const e2u_rule_t *x = &r->rules[i];
        CHECK(x->index < n && !seen[x->index]);
        seen[x->index] = 1;
        if (i > 0)
            CHECK(rule_cmp(&r->rules[i - 1], x) < 0);
        CHECK(x->value != NULL && strlen(x->value) == x->value_len);
        if (x->terminal) {
            CHECK(x->next == NULL && x->next_len == 0);
            CHECK(x->services.count >= 1 && x->services.count <= E2U_SERVICES_MAX);
            CHECK(x->value_len <= E2U_SUBST_OUT_MAX);
            CHECK(x->uri.scheme_str == x->value && x->uri.scheme_len < x->value_len);
            CHECK(x->fit <= E2U_SCHEME_UNKNOWN_SVC);
            e2u_uri_t u; /* the value is the URI the rule carries, and parses again */
            CHECK(e2u_uri_parse(&u, x->value, x->value_len, NULL) == 0);
            CHECK(u.scheme == x->uri.scheme && u.scheme_len == x->uri.scheme_len);
        } else {
            CHECK(x->next != NULL && x->next_len > 1 && x->next_len <= E2U_DNAME_MAX);
            CHECK(e2u_dname_wire_len(x->next, x->next_len) == (int)x->next_len);
            char text[E2U_DNAME_TEXT_MAX];
            size_t tl = 0;
            CHECK(e2u_dname_to_text(text, sizeof(text), &tl, x->next, x->next_len) == 0);
            CHECK(tl == x->value_len && memcmp(text, x->value, tl) == 0);
        }
    }
    for (size_t i = 0; i < r->ndrops; i++) {
        const e2u_drop_t *d = &r->drops[i];
        CHECK(d->index < n && !seen[d->index]);
        seen[d->index] = 1;
        if (i > 0)
            CHECK(r->drops[i - 1].index < d->index); /* "in record order" */
        CHECK(d->detail != NULL);
        CHECK(strlen(d->detail) < 4096);
        CHECK((unsigned)d->reason <= (unsigned)E2U_DROP_TARGET_FAILED);
        CHECK(strcmp(e2u_drop_reason_name(d->reason), "unknown") != 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    e2u_rdata_t recs[MAX_RECORDS];
    size_t n = 0, off = 0;
    e2u_number_t num;

    if (!ev_all)
        setup();
    CHECK(e2u_number_from_digits(&num, "+12155550123", 12, 0) == 0);

    while (n < MAX_RECORDS && off + 2 <= size) {
        size_t len = (size_t)data[off] << 8 | data[off + 1];
        off += 2;
        if (len > size - off)
            len = size - off;
        uint8_t *copy = malloc(len ? len : 1);
        CHECK(copy != NULL);
        if (len)
            memcpy(copy, data + off, len);
        recs[n].data = copy;
        recs[n].len = (uint16_t)len;
        n++;
        off += len;
    }

    e2u_eval_result_t all, sip, strict;
    int rc = e2u_eval_rrset(ev_all, &num, recs, n, &all);
    CHECK(rc == 0 || rc == E2U_ENOMEM);
    if (rc == 0) {
        check_result(&all, n, true);
        CHECK(all.nskipped == 0);
    }

    int rs = e2u_eval_rrset(ev_sip, &num, recs, n, &sip);
    CHECK(rs == 0 || rs == E2U_ENOMEM);
    if (rs == 0)
        check_result(&sip, n, true);

    /* The strict evaluator keeps only the lowest order that has a usable rule (RFC 3403 §4.1);
     * the records of the other orders are then neither rules, drops nor skips. */
    int rt = e2u_eval_rrset(ev_strict, &num, recs, n, &strict);
    CHECK(rt == 0 || rt == E2U_ENOMEM);
    if (rt == 0) {
        check_result(&strict, n, false);
        if (rs == 0) {
            size_t k = 0;
            while (k < sip.nrules && sip.rules[k].order == sip.rules[0].order)
                k++;
            CHECK(strict.nrules == k);
            for (size_t i = 0; i < k; i++) {
                CHECK(strict.rules[i].index == sip.rules[i].index);
                CHECK(strcmp(strict.rules[i].value, sip.rules[i].value) == 0);
            }
            CHECK(strict.ndrops == sip.ndrops && strict.nskipped == sip.nskipped);
            for (size_t i = 0; i < sip.ndrops; i++)
                CHECK(strict.drops[i].index == sip.drops[i].index &&
                      strict.drops[i].reason == sip.drops[i].reason);
        }
    }

    for (size_t i = 0; i < n; i++)
        free((void *)recs[i].data);
    return 0;
}
