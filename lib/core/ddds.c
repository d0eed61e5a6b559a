/*
 * lib/core/ddds.c — what one NAPTR record set says for one number.
 *
 * Each record goes through the same checks, in the order the specifications rank them, and
 * leaves as a rule, a drop with its reason, or a skip (service filter):
 *
 *   1. RDATA parses (RFC 3403 §4.1), else "malformed".
 *   2. Flags: empty is non-terminal, "u" (any case) terminal; any other flag means the record
 *      MUST be ignored, and this test comes before ordering (RFC 6116 §3.4.2).
 *   3. Non-terminal: the replacement is the next domain, and must be a name other than the root
 *      (RFC 6116 §5.2.1); services and regexp are ignored there (same section).
 *   4. Terminal: services must be an E2U field (RFC 6116 §3.4.3); "P-" enumservices are removed
 *      unless allowed (RFC 6116 §5.2) and a record left with none is dropped; the filter
 *      decides whether the caller wants the record at all.
 *   5. Terminal: a regexp and no replacement (RFC 3403 §4.1: the two are exclusive, and ENUM's
 *      output comes from the regexp, RFC 5483 §5.2.3.3); the substitution applied to the AUS;
 *      the output an absolute URI (RFC 6116 §3.3).
 *
 * Results are sorted by order, preference and then position in the answer (RFC 6116 §5.2: ties
 * keep the DNS order). Strict order (RFC 3403 §4.1) keeps only the lowest order that produced
 * anything; a caller that follows non-terminal rules applies it after following them instead.
 *
 * Memory: the rule and drop arrays are sized to the record count before the pass starts, and
 * strings live in a chunked arena whose chunks never move, so the pointers handed out (and the
 * URI views that borrow them) stay valid until the next evaluation. Everything is reused from
 * one evaluation to the next: the steady state allocates nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "e2u/ddds.h"
#include "e2u/dname.h"
#include "e2u/naptr.h"

#define CHUNK_SIZE 16384

typedef struct chunk {
    struct chunk *next;
    size_t used;
    char data[CHUNK_SIZE];
} chunk_t;

struct e2u_eval {
    e2u_service_spec_t filter[E2U_FILTER_MAX];
    size_t nfilter;
    bool strict_order;
    bool allow_private;
    e2u_regex_t *rx;
    e2u_rule_t *rules;
    e2u_drop_t *drops;
    size_t cap; /* capacity of rules and of drops */
    chunk_t *first; /* chunk list; cur is the one being filled */
    chunk_t *cur;
};

const char *e2u_drop_reason_name(e2u_drop_reason_t reason)
{
    switch (reason) {
#define E2U__DROP_NAME(name, str)                                                                  \
    case name:                                                                                     \
        return str;
        E2U_DROP_TABLE(E2U__DROP_NAME)
#undef E2U__DROP_NAME
    }
    return "unknown";
}

int e2u_eval_new(e2u_eval_t **out, const e2u_eval_opts_t *opts)
{
    if (!out)
        return E2U_EINVAL;
    *out = NULL;
    if (opts && (opts->nfilter > E2U_FILTER_MAX || (opts->nfilter && !opts->filter)))
        return E2U_EINVAL;
    e2u_eval_t *ev = calloc(1, sizeof(*ev));
    if (!ev)
        return E2U_ENOMEM;
    if (opts) {
        if (opts->nfilter)
            memcpy(ev->filter, opts->filter, opts->nfilter * sizeof(*opts->filter));
        ev->nfilter = opts->nfilter;
        ev->strict_order = opts->strict_order;
        ev->allow_private = opts->allow_private;
    }
    int rc = e2u_regex_new(&ev->rx, opts ? &opts->limits : NULL);
    if (rc < 0) {
        free(ev);
        return rc;
    }
    *out = ev;
    return 0;
}

void e2u_eval_free(e2u_eval_t *ev)
{
    if (!ev)
        return;
    e2u_regex_free(ev->rx);
    free(ev->rules);
    free(ev->drops);
    for (chunk_t *c = ev->first, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    free(ev);
}

/* Room for at least need bytes in the arena; NULL on allocation failure. */
static char *arena_reserve(e2u_eval_t *ev, size_t need)
{
    if (ev->cur && CHUNK_SIZE - ev->cur->used >= need)
        return ev->cur->data + ev->cur->used;
    chunk_t *next = ev->cur ? ev->cur->next : ev->first;
    if (!next) {
        next = malloc(sizeof(chunk_t));
        if (!next)
            return NULL;
        next->next = NULL;
        if (ev->cur)
            ev->cur->next = next;
        else
            ev->first = next;
    }
    next->used = 0;
    ev->cur = next;
    return next->data;
}

static void arena_commit(e2u_eval_t *ev, size_t n)
{
    ev->cur->used += n;
}

static int add_drop(e2u_eval_t *ev, e2u_eval_result_t *res, uint32_t idx, e2u_drop_reason_t why,
                    const char *detail)
{
    size_t dl = strlen(detail);
    char *d = arena_reserve(ev, dl + 1);
    if (!d)
        return E2U_ENOMEM;
    memcpy(d, detail, dl + 1);
    arena_commit(ev, dl + 1);
    ev->drops[res->ndrops++] = (e2u_drop_t){idx, why, d};
    return 0;
}

static int cmp_rule(const void *a, const void *b)
{
    const e2u_rule_t *x = a, *y = b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    if (x->preference != y->preference)
        return x->preference < y->preference ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* Flags: 0 terminal, 1 non-terminal, -1 unsupported (diag filled). */
static int classify_flags(const e2u_naptr_t *n, char *msg, size_t cap)
{
    if (n->flags_len == 0)
        return 1;
    if (n->flags_len == 1 && e2u__lower((unsigned char)n->flags[0]) == 'u')
        return 0;
    char ob[8];
    for (uint8_t i = 0; i < n->flags_len; i++) {
        unsigned char c = (unsigned char)n->flags[i];
        if (e2u__lower(c) != 'u') {
            snprintf(msg, cap, "flag %s is not an ENUM flag (only \"u\", RFC 6116 §3.4.2)",
                     e2u__octet(c, ob));
            return -1;
        }
    }
    snprintf(msg, cap, "flags \"%.*s\": ENUM defines the single flag \"u\"", (int)n->flags_len,
             n->flags);
    return -1;
}

static int eval_nonterminal(e2u_eval_t *ev, e2u_eval_result_t *res, const e2u_naptr_t *n,
                            uint32_t idx)
{
    if (n->replacement_len <= 1)
        return add_drop(ev, res, idx, E2U_DROP_NO_TARGET,
                        "non-terminal rule with an empty replacement field (RFC 6116 §5.2.1)");
    size_t need = E2U_DNAME_TEXT_MAX + n->replacement_len;
    char *p = arena_reserve(ev, need);
    if (!p)
        return E2U_ENOMEM;
    size_t tl;
    if (e2u_dname_to_text(p, E2U_DNAME_TEXT_MAX, &tl, n->replacement, n->replacement_len) < 0)
        return add_drop(ev, res, idx, E2U_DROP_BAD_DOMAIN, "replacement is not a valid name");
    uint8_t *w = (uint8_t *)p + tl + 1;
    memcpy(w, n->replacement, n->replacement_len);
    arena_commit(ev, tl + 1 + n->replacement_len);
    e2u_rule_t *r = &ev->rules[res->nrules++];
    memset(r, 0, sizeof(*r));
    r->index = idx;
    r->order = n->order;
    r->preference = n->preference;
    r->terminal = false;
    r->value = p;
    r->value_len = tl;
    r->next = w;
    r->next_len = n->replacement_len;
    return 0;
}

static int eval_terminal(e2u_eval_t *ev, e2u_eval_result_t *res, const e2u_naptr_t *n,
                         uint32_t idx, const e2u_number_t *num)
{
    e2u_diag_t d;
    e2u_rule_t *r = &ev->rules[res->nrules];
    char msg[sizeof(d.msg) + 64];

    if (e2u_services_parse(&r->services, n->services, n->services_len, &d) < 0)
        return add_drop(ev, res, idx, E2U_DROP_NOT_E2U, d.msg);
    if (!ev->allow_private) {
        uint8_t k = 0;
        for (uint8_t i = 0; i < r->services.count; i++) {
            if (!e2u_enumservice_is_private(&r->services.svc[i]))
                r->services.svc[k++] = r->services.svc[i];
        }
        r->services.count = k;
        if (k == 0)
            return add_drop(ev, res, idx, E2U_DROP_PRIVATE,
                            "only private \"P-\" enumservices (RFC 6116 §5.2)");
    }
    if (!e2u_services_match(&r->services, ev->filter, ev->nfilter)) {
        res->nskipped++;
        return 0;
    }
    if (n->regexp_len == 0)
        return add_drop(ev, res, idx, E2U_DROP_NO_REGEXP,
                        n->replacement_len > 1
                            ? "terminal rule with a replacement but no regexp: ENUM's URI comes "
                              "from the regexp (RFC 5483 §5.2.3.3)"
                            : "terminal rule without a regexp");
    if (n->replacement_len > 1)
        return add_drop(ev, res, idx, E2U_DROP_BOTH_FIELDS,
                        "both regexp and replacement are set (RFC 3403 §4.1: mutually exclusive)");
    e2u_subst_t s;
    if (e2u_subst_parse(&s, n->regexp, n->regexp_len, &d) < 0)
        return add_drop(ev, res, idx, E2U_DROP_BAD_REGEXP, d.msg);

    char *out = arena_reserve(ev, E2U_SUBST_OUT_MAX + 1);
    if (!out)
        return E2U_ENOMEM;
    size_t olen;
    int rc = e2u_subst_apply(ev->rx, &s, num->aus, (size_t)num->ndigits + 1, out,
                             E2U_SUBST_OUT_MAX + 1, &olen, &d);
    switch (rc) {
    case 0:
        break;
    case E2U_ENOMATCH:
        return add_drop(ev, res, idx, E2U_DROP_NO_MATCH, d.msg);
    case E2U_ELIMIT:
        return add_drop(ev, res, idx, E2U_DROP_REGEXP_LIMIT, d.msg);
    case E2U_ETOOLONG:
        return add_drop(ev, res, idx, E2U_DROP_TOO_LONG, d.msg);
    case E2U_ENOMEM:
        return rc;
    default:
        return add_drop(ev, res, idx, E2U_DROP_BAD_REGEXP, d.msg);
    }
    if (e2u_uri_parse(&r->uri, out, olen, &d) < 0) {
        snprintf(msg, sizeof(msg), "result \"%.*s\" is not a valid URI: %s",
                 (int)(olen > 48 ? 48 : olen), out, d.msg);
        return add_drop(ev, res, idx, E2U_DROP_BAD_URI, msg);
    }
    arena_commit(ev, olen + 1);
    r->index = idx;
    r->order = n->order;
    r->preference = n->preference;
    r->terminal = true;
    r->value = out;
    r->value_len = olen;
    r->next = NULL;
    r->next_len = 0;
    r->fit = E2U_SCHEME_UNKNOWN_SVC;
    for (uint8_t i = 0; i < r->services.count; i++) {
        e2u_scheme_fit_t f = e2u_enumservice_scheme_fit(&r->services.svc[i], r->uri.scheme_str,
                                                        r->uri.scheme_len);
        if (f < r->fit)
            r->fit = f;
    }
    res->nrules++;
    return 0;
}

int e2u_eval_rrset(e2u_eval_t *ev, const e2u_number_t *number, const e2u_rdata_t *recs, size_t n,
                   e2u_eval_result_t *res)
{
    if (!ev || !number || !res || (!recs && n))
        return E2U_EINVAL;
    memset(res, 0, sizeof(*res));
    if (n > UINT32_MAX)
        return E2U_EINVAL;
    if (n > ev->cap) {
        e2u_rule_t *r = realloc(ev->rules, n * sizeof(*r));
        if (!r)
            return E2U_ENOMEM;
        ev->rules = r;
        e2u_drop_t *d = realloc(ev->drops, n * sizeof(*d));
        if (!d)
            return E2U_ENOMEM;
        ev->drops = d;
        ev->cap = n;
    }
    ev->cur = NULL; /* reuse the arena from its first chunk */

    for (size_t i = 0; i < n; i++) {
        e2u_naptr_t rec;
        e2u_diag_t d;
        char msg[sizeof(d.msg)];
        int rc;
        if (e2u_naptr_parse_wire(&rec, recs[i].data, recs[i].len, &d) < 0) {
            rc = add_drop(ev, res, (uint32_t)i, E2U_DROP_MALFORMED, d.msg);
        } else {
            switch (classify_flags(&rec, msg, sizeof(msg))) {
            case 0:
                rc = eval_terminal(ev, res, &rec, (uint32_t)i, number);
                break;
            case 1:
                rc = eval_nonterminal(ev, res, &rec, (uint32_t)i);
                break;
            default:
                rc = add_drop(ev, res, (uint32_t)i, E2U_DROP_FLAGS, msg);
                break;
            }
        }
        if (rc < 0) {
            memset(res, 0, sizeof(*res));
            return rc;
        }
    }
    if (res->nrules > 1)
        qsort(ev->rules, res->nrules, sizeof(e2u_rule_t), cmp_rule);
    if (ev->strict_order && res->nrules > 1) {
        size_t k = 1;
        while (k < res->nrules && ev->rules[k].order == ev->rules[0].order)
            k++;
        res->nrules = k;
    }
    res->rules = ev->rules;
    res->drops = ev->drops;
    return 0;
}
