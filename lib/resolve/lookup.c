/*
 * lib/resolve/lookup.c — one ENUM lookup, as an explicit state machine over a stack of frames.
 *
 * A lookup is a depth-first walk. Two kinds of frame sit on its stack:
 *
 *   NUMBER  a number to resolve: the AUS under each suffix in turn, a later suffix only when
 *           the earlier gave nothing usable (NXDOMAIN, no NAPTR, nothing matched; DESIGN.md §2).
 *           A DNS failure stops the walk over suffixes: a SERVFAIL is not an answer.
 *   DOMAIN  one NAPTR query and then its rules, in order. A terminal rule adds its URI; an
 *           enum: result pushes a NUMBER frame for its number (draft-brandner-enum-uri §3.2:
 *           MUST be re-submitted) and a non-terminal rule a DOMAIN frame for its replacement
 *           with the same AUS (RFC 6116 §5.2.1). Results are appended in walk order, so what a
 *           redirection yields lands exactly where the redirecting rule stood.
 *
 * Bounds (RFC 6116 §5.2.1: MUST detect and recover from loops, MAY treat more than 5 hops as
 * one): each redirection costs a hop; one beyond max_hops is dropped with reason "hop-limit".
 * A number already on the stack (enum: loop) or a domain already on the stack (non-terminal
 * loop) is dropped with reason "loop" before any query is made (RFC 6116 §5.2.1: SHOULD NOT
 * query). The stack is therefore at most 2 * (max_hops + 1) frames deep.
 *
 * A redirection that yields nothing (its target failed, was NXDOMAIN, or held nothing usable)
 * is dropped with reason "target-failed", and processing continues with the next rule of the
 * referring set (RFC 6116 §5.2.1). Strict order (RFC 3403 §4.1) is applied here rather than in
 * the core, after expansion: the rules of the lowest order that yields at least one result,
 * redirections included, are kept; and ORDER never carries across sets (RFC 5483 §4.5).
 *
 * The evaluator is shared by every lookup of the resolver, so what a frame keeps from an
 * answer (rule values, services, record text for later drop reports) is copied into the
 * lookup's own arena at once. The arena's chunks never move and die with the lookup, which is
 * what lets every string of the public e2u_lookup_t be a plain pointer.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2u/dname.h"
#include "e2u/naptr.h"
#include "resolve/internal.h"

/* --- arena ----------------------------------------------------------------------------------- */

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
} chunk_t;

static void *arena_alloc(chunk_t **head, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    chunk_t *c = *head;
    if (!c || c->cap - c->used < n) {
        /* most lookups need under a kilobyte; later chunks are larger */
        size_t base = c ? 4000 : 1000;
        size_t cap = n > base ? n : base;
        chunk_t *nc = malloc(sizeof(chunk_t) + cap);
        if (!nc)
            return NULL;
        nc->next = c;
        nc->used = 0;
        nc->cap = cap;
        *head = nc;
        c = nc;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

static const char *arena_strndup(chunk_t **head, const char *s, size_t len)
{
    char *p = arena_alloc(head, len + 1);
    if (!p)
        return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* --- frames ---------------------------------------------------------------------------------- */

typedef enum outcome {
    OUT_RESULTS, /* produced at least one result */
    OUT_NODATA,  /* the name exists, nothing usable */
    OUT_NX,      /* NXDOMAIN */
    OUT_FAIL,    /* SERVFAIL, REFUSED, broken answer */
    OUT_TIMEOUT,
    OUT_BOGUS,
} outcome_t;

typedef struct rule {
    bool terminal;
    bool is_enum;
    uint16_t order, preference;
    const char *value; /* URI or next domain, arena */
    const uint8_t *next; /* non-terminal: wire name, arena */
    e2u_number_t target; /* enum: the number to look up */
    e2u_services_t services; /* spans into the arena */
    e2u_scheme_fit_t fit;
    const char *record; /* the record as text, for a later drop (redirections only) */
} rule_t;

typedef enum fkind { F_NUMBER, F_DOMAIN } fkind_t;
typedef enum dstate { D_QUERY, D_WAIT, D_RULES } dstate_t;

typedef struct frame {
    fkind_t kind;
    unsigned hops;
    size_t results_start;
    e2u_number_t number;     /* NUMBER: the number; DOMAIN: the AUS it evaluates */
    const char **via;        /* arena; the chain of enum: numbers that led here */
    size_t nvia;
    bool child_pending;
    /* NUMBER */
    size_t suffix_i;
    bool all_nx;
    /* DOMAIN */
    dstate_t state;
    uint8_t qname[E2U_DNAME_MAX];
    const char *domain;      /* presentation form, arena */
    rule_t *rules;           /* malloc'd, freed on pop */
    size_t nrules, ri;
    outcome_t answered;      /* what the answer itself was */
    bool group_set;
    uint16_t group_order;
    size_t group_produced;
} frame_t;

struct e2u__lookup {
    e2u_lookup_t pub; /* first: e2u_lookup_free gets this pointer */
    e2u__link_t link;
    e2u__rctx_t *rc;
    e2u_lookup_fn cb;
    void *arg;
    chunk_t *arena;
    size_t results_cap, drops_cap;
    frame_t *frames;
    size_t depth, frames_cap;
    bool waiting, running, done, failed_alloc;
    uint64_t handle;
    outcome_t child_outcome; /* of the frame popped last */
    size_t child_produced;
    outcome_t top_outcome;
    bool saw_loop, nested_fail, saw_bogus, any_insecure, any_secure;
    const char *why;         /* first failure, for the error text */
};

e2u__link_t *e2u__lookup_link(e2u__lookup_t *lk)
{
    return &lk->link;
}

e2u__lookup_t *e2u__lookup_of(e2u__link_t *link)
{
    return (e2u__lookup_t *)((char *)link - offsetof(e2u__lookup_t, link));
}

const char *e2u_status_name(e2u_status_t s)
{
    switch (s) {
    case E2U_STATUS_OK: return "ok";
    case E2U_STATUS_NO_RECORDS: return "no-records";
    case E2U_STATUS_NOT_FOUND: return "not-found";
    case E2U_STATUS_LOOP: return "loop";
    case E2U_STATUS_INVALID_NUMBER: return "invalid-number";
    case E2U_STATUS_DNS_ERROR: return "dns-error";
    case E2U_STATUS_BOGUS: return "bogus";
    }
    return "unknown";
}

int e2u__lookup_new(e2u__lookup_t **out, e2u__rctx_t *rc, const char *input, size_t len,
                    e2u_lookup_fn cb, void *arg)
{
    e2u__lookup_t *lk = calloc(1, sizeof(*lk));
    if (!lk)
        return E2U_ENOMEM;
    lk->rc = rc;
    lk->cb = cb;
    lk->arg = arg;
    lk->frames_cap = 2 * ((size_t)rc->max_hops + 1) + 2;
    lk->frames = malloc(lk->frames_cap * sizeof(frame_t)); /* push() clears each frame */
    lk->pub.input = arena_strndup(&lk->arena, input ? input : "", input ? len : 0);
    if (!lk->frames || !lk->pub.input) {
        e2u__lookup_discard(lk);
        return E2U_ENOMEM;
    }
    *out = lk;
    return 0;
}

void e2u_lookup_free(e2u_lookup_t *pub)
{
    if (!pub)
        return;
    e2u__lookup_t *lk = (e2u__lookup_t *)pub;
    e2u__lookup_discard(lk);
}

void e2u__lookup_discard(e2u__lookup_t *lk)
{
    if (!lk)
        return;
    for (size_t i = 0; i < lk->depth; i++)
        free(lk->frames[i].rules);
    free(lk->frames);
    free(lk->pub.results);
    free(lk->pub.drops);
    for (chunk_t *c = lk->arena, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    free(lk);
}

static void run(e2u__lookup_t *lk);

/* --- building the public result -------------------------------------------------------------- */

static e2u_dropped_t *add_drop(e2u__lookup_t *lk, const char *domain, const char *record,
                               e2u_drop_reason_t reason, const char *detail)
{
    if (lk->pub.ndrops == lk->drops_cap) {
        size_t cap = lk->drops_cap ? lk->drops_cap * 2 : 4;
        e2u_dropped_t *d = realloc(lk->pub.drops, cap * sizeof(*d));
        if (!d) {
            lk->failed_alloc = true;
            return NULL;
        }
        lk->pub.drops = d;
        lk->drops_cap = cap;
    }
    e2u_dropped_t *d = &lk->pub.drops[lk->pub.ndrops++];
    d->domain = domain;
    d->record = record;
    d->reason = reason;
    d->detail = detail ? arena_strndup(&lk->arena, detail, strlen(detail)) : NULL;
    return d;
}

static void add_result(e2u__lookup_t *lk, const frame_t *f, const rule_t *r)
{
    if (lk->pub.nresults == lk->results_cap) {
        size_t cap = lk->results_cap ? lk->results_cap * 2 : 4;
        e2u_result_t *x = realloc(lk->pub.results, cap * sizeof(*x));
        if (!x) {
            lk->failed_alloc = true;
            return;
        }
        lk->pub.results = x;
        lk->results_cap = cap;
    }
    e2u_result_t *x = &lk->pub.results[lk->pub.nresults];
    memset(x, 0, sizeof(*x));
    x->uri = r->value;
    if (e2u_uri_parse(&x->parsed, r->value, strlen(r->value), NULL) < 0)
        return; /* cannot happen: the core parsed the same octets */
    x->services = r->services;
    x->order = r->order;
    x->preference = r->preference;
    x->domain = f->domain;
    x->via = f->via;
    x->nvia = f->nvia;
    x->fit = r->fit;
    lk->pub.nresults++;
}

/* Copy what a frame needs of one evaluated rule. */
static bool copy_rule(e2u__lookup_t *lk, rule_t *dst, const e2u_rule_t *src,
                      const e2u_rdata_t *rd)
{
    memset(dst, 0, sizeof(*dst));
    dst->terminal = src->terminal;
    dst->order = src->order;
    dst->preference = src->preference;
    dst->fit = src->fit;
    dst->value = arena_strndup(&lk->arena, src->value, src->value_len);
    if (!dst->value)
        return false;
    dst->services.count = src->services.count;
    dst->services.legacy = src->services.legacy;
    for (uint8_t i = 0; i < src->services.count; i++) {
        const e2u_enumservice_t *s = &src->services.svc[i];
        e2u_enumservice_t *d = &dst->services.svc[i];
        d->type = arena_strndup(&lk->arena, s->type, s->type_len);
        d->type_len = s->type_len;
        d->subtype = s->subtype ? arena_strndup(&lk->arena, s->subtype, s->subtype_len) : NULL;
        d->subtype_len = s->subtype_len;
        if (!d->type || (s->subtype && !d->subtype))
            return false;
    }
    if (src->terminal && src->uri.scheme == E2U_SCHEME_ENUM && src->uri.tel.present) {
        dst->is_enum = true;
        dst->target = src->uri.tel.number;
    }
    if (!src->terminal) {
        uint8_t *w = arena_alloc(&lk->arena, src->next_len);
        if (!w)
            return false;
        memcpy(w, src->next, src->next_len);
        dst->next = w;
    }
    if (!src->terminal || dst->is_enum) {
        e2u_naptr_t n;
        char text[E2U_NAPTR_TEXT_MAX];
        if (e2u_naptr_parse_wire(&n, rd->data, rd->len, NULL) == 0 &&
            e2u_naptr_format_text(&n, text, sizeof(text), NULL) == 0)
            dst->record = arena_strndup(&lk->arena, text, strlen(text));
    }
    return true;
}

static const char *record_text(e2u__lookup_t *lk, const e2u_rdata_t *rd)
{
    e2u_naptr_t n;
    char text[E2U_NAPTR_TEXT_MAX];
    if (e2u_naptr_parse_wire(&n, rd->data, rd->len, NULL) < 0) {
        /* malformed RDATA: show it in RFC 3597 form */
        size_t o = (size_t)snprintf(text, sizeof(text), "\\# %u ", rd->len);
        for (uint16_t i = 0; i < rd->len && o + 3 < sizeof(text); i++)
            o += (size_t)snprintf(text + o, sizeof(text) - o, "%02x", rd->data[i]);
        return arena_strndup(&lk->arena, text, o);
    }
    if (e2u_naptr_format_text(&n, text, sizeof(text), NULL) < 0)
        return NULL;
    return arena_strndup(&lk->arena, text, strlen(text));
}

/* --- the stack ------------------------------------------------------------------------------- */

static frame_t *top(e2u__lookup_t *lk)
{
    return &lk->frames[lk->depth - 1];
}

static frame_t *push(e2u__lookup_t *lk, fkind_t kind)
{
    if (lk->depth == lk->frames_cap) { /* cannot happen: hops bound the depth */
        lk->failed_alloc = true;
        return NULL;
    }
    frame_t *f = &lk->frames[lk->depth++];
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->results_start = lk->pub.nresults;
    return f;
}

static void pop(e2u__lookup_t *lk, outcome_t out)
{
    frame_t *f = top(lk);
    lk->child_produced = lk->pub.nresults - f->results_start;
    lk->child_outcome = lk->child_produced ? OUT_RESULTS : out;
    free(f->rules);
    f->rules = NULL;
    lk->depth--;
    if (lk->depth == 0)
        lk->top_outcome = lk->child_outcome;
}

static bool number_on_stack(e2u__lookup_t *lk, const e2u_number_t *n)
{
    for (size_t i = 0; i < lk->depth; i++) {
        if (lk->frames[i].kind == F_NUMBER && strcmp(lk->frames[i].number.aus, n->aus) == 0)
            return true;
    }
    return false;
}

static bool domain_on_stack(e2u__lookup_t *lk, const uint8_t *name)
{
    for (size_t i = 0; i < lk->depth; i++) {
        if (lk->frames[i].kind == F_DOMAIN && e2u_dname_equal(lk->frames[i].qname, name))
            return true;
    }
    return false;
}

static bool push_domain(e2u__lookup_t *lk, const uint8_t *qname, size_t qlen,
                        const e2u_number_t *aus, const char **via, size_t nvia, unsigned hops)
{
    char text[E2U_DNAME_TEXT_MAX];
    frame_t *f = push(lk, F_DOMAIN);
    if (!f)
        return false;
    memcpy(f->qname, qname, qlen);
    f->number = *aus;
    f->via = via;
    f->nvia = nvia;
    f->hops = hops;
    f->state = D_QUERY;
    if (e2u_dname_to_text(text, sizeof(text), NULL, qname, qlen) < 0)
        snprintf(text, sizeof(text), "?");
    f->domain = arena_strndup(&lk->arena, text, strlen(text));
    return f->domain != NULL;
}

static const char *outcome_words(outcome_t o)
{
    switch (o) {
    case OUT_RESULTS: return "results";
    case OUT_NODATA: return "no usable record";
    case OUT_NX: return "NXDOMAIN";
    case OUT_FAIL: return "a DNS failure";
    case OUT_TIMEOUT: return "a timeout";
    case OUT_BOGUS: return "a DNSSEC validation failure";
    }
    return "nothing";
}

/* --- stepping -------------------------------------------------------------------------------- */

static void step_number(e2u__lookup_t *lk, frame_t *f)
{
    e2u__rctx_t *rc = lk->rc;
    if (f->child_pending) {
        f->child_pending = false;
        if (lk->child_produced > 0) {
            pop(lk, OUT_RESULTS);
            return;
        }
        outcome_t c = lk->child_outcome;
        if (c == OUT_FAIL || c == OUT_TIMEOUT || c == OUT_BOGUS) {
            pop(lk, c); /* a failure is not "nothing here": do not try the next suffix */
            return;
        }
        if (c != OUT_NX)
            f->all_nx = false;
        f->suffix_i++;
    }
    if (f->suffix_i >= rc->nsuffixes) {
        pop(lk, f->all_nx ? OUT_NX : OUT_NODATA);
        return;
    }
    /* the domain of the number under this suffix: reversed digits, then the suffix */
    uint8_t q[E2U_DNAME_MAX];
    size_t o = 0;
    for (int i = f->number.ndigits; i >= 1; i--) {
        q[o++] = 1;
        q[o++] = (uint8_t)f->number.aus[i];
    }
    int sl = e2u_dname_wire_len(rc->suffix[f->suffix_i], E2U_DNAME_MAX);
    if (sl < 0 || o + (size_t)sl > E2U_DNAME_MAX) {
        /* the name would exceed 255 octets under this suffix: nothing there */
        f->suffix_i++;
        return;
    }
    memcpy(q + o, rc->suffix[f->suffix_i], (size_t)sl);
    f->child_pending = true;
    e2u_number_t n = f->number;
    const char **via = f->via;
    size_t nvia = f->nvia;
    unsigned hops = f->hops;
    if (!push_domain(lk, q, o + (size_t)sl, &n, via, nvia, hops))
        lk->failed_alloc = true;
}

static void on_answer(void *arg, const e2u__answer_t *ans);

static void step_domain(e2u__lookup_t *lk, frame_t *f)
{
    e2u__rctx_t *rc = lk->rc;
    if (f->state == D_QUERY) {
        f->state = D_WAIT;
        lk->waiting = true;
        lk->pub.queries++;
        if (rc->src->ops->query(rc->src, f->qname, rc->timeout_ms, on_answer, lk, &lk->handle) <
            0) {
            lk->waiting = false;
            if (!lk->why)
                lk->why = "could not send the query";
            f->state = D_RULES;
            f->answered = OUT_FAIL;
        }
        return;
    }
    if (f->state == D_WAIT)
        return; /* not reached: run() stops while waiting */

    if (f->child_pending) {
        f->child_pending = false;
        rule_t *r = &f->rules[f->ri];
        if (lk->child_produced == 0) {
            char why[300];
            if (r->is_enum)
                snprintf(why, sizeof(why), "%s gave %s", r->value,
                         outcome_words(lk->child_outcome));
            else
                snprintf(why, sizeof(why), "non-terminal target %s gave %s", r->value,
                         outcome_words(lk->child_outcome));
            add_drop(lk, f->domain, r->record, E2U_DROP_TARGET_FAILED, why);
            if (lk->child_outcome == OUT_FAIL || lk->child_outcome == OUT_TIMEOUT)
                lk->nested_fail = true;
            if (lk->child_outcome == OUT_BOGUS)
                lk->saw_bogus = true;
        }
        f->group_produced += lk->child_produced;
        f->ri++;
    }
    while (f->ri < f->nrules) {
        rule_t *r = &f->rules[f->ri];
        if (rc->strict_order) {
            if (!f->group_set || r->order != f->group_order) {
                if (f->group_set && f->group_produced) {
                    f->ri = f->nrules; /* RFC 3403 §4.1: no other order once one matched */
                    break;
                }
                f->group_set = true;
                f->group_order = r->order;
                f->group_produced = 0;
            }
        }
        if (r->terminal && !r->is_enum) {
            add_result(lk, f, r);
            f->group_produced++;
            f->ri++;
            continue;
        }
        char why[300];
        if (f->hops + 1 > rc->max_hops) {
            snprintf(why, sizeof(why), "%s%s would be redirection %u, over the limit of %u",
                     r->is_enum ? "" : "non-terminal target ", r->value, f->hops + 1,
                     rc->max_hops);
            add_drop(lk, f->domain, r->record, E2U_DROP_HOPS, why);
            lk->saw_loop = true;
            f->ri++;
            continue;
        }
        if (r->is_enum) {
            if (number_on_stack(lk, &r->target)) {
                snprintf(why, sizeof(why), "%s is already being looked up in this chain",
                         r->target.aus);
                add_drop(lk, f->domain, r->record, E2U_DROP_LOOP, why);
                lk->saw_loop = true;
                f->ri++;
                continue;
            }
            /* via = the frame's chain + the new number */
            const char **via = arena_alloc(&lk->arena, (f->nvia + 1) * sizeof(char *));
            const char *num = arena_strndup(&lk->arena, r->target.aus, strlen(r->target.aus));
            if (!via || !num) {
                lk->failed_alloc = true;
                return;
            }
            if (f->nvia)
                memcpy(via, f->via, f->nvia * sizeof(char *));
            via[f->nvia] = num;
            size_t nvia = f->nvia + 1;
            unsigned hops = f->hops + 1;
            e2u_number_t target = r->target;
            f->child_pending = true;
            frame_t *c = push(lk, F_NUMBER);
            if (!c)
                return;
            c->number = target;
            c->via = via;
            c->nvia = nvia;
            c->hops = hops;
            c->all_nx = true;
            return;
        }
        if (domain_on_stack(lk, r->next)) {
            snprintf(why, sizeof(why), "non-terminal target %s is already being queried in this "
                     "chain", r->value);
            add_drop(lk, f->domain, r->record, E2U_DROP_LOOP, why);
            lk->saw_loop = true;
            f->ri++;
            continue;
        }
        f->child_pending = true;
        int nl = e2u_dname_wire_len(r->next, E2U_DNAME_MAX);
        e2u_number_t aus = f->number;
        const char **via = f->via;
        size_t nvia = f->nvia;
        unsigned hops = f->hops + 1;
        if (nl < 0 || !push_domain(lk, r->next, (size_t)nl, &aus, via, nvia, hops))
            lk->failed_alloc = true;
        return;
    }
    pop(lk, f->answered);
}

static void run(e2u__lookup_t *lk)
{
    if (lk->running)
        return;
    lk->running = true;
    while (!lk->waiting && lk->depth > 0 && !lk->failed_alloc) {
        frame_t *f = top(lk);
        if (f->kind == F_NUMBER)
            step_number(lk, f);
        else
            step_domain(lk, f);
    }
    lk->running = false;
    if ((lk->depth == 0 || lk->failed_alloc) && !lk->done) {
        e2u_lookup_t *p = &lk->pub;
        lk->done = true;
        /* the stack is not needed any more: a finished lookup may wait a while to be printed */
        for (size_t i = 0; i < lk->depth; i++)
            free(lk->frames[i].rules);
        lk->depth = 0;
        free(lk->frames);
        lk->frames = NULL;
        if (lk->failed_alloc) {
            p->status = E2U_STATUS_DNS_ERROR;
            p->error = "out of memory";
        } else if (p->nresults) {
            p->status = E2U_STATUS_OK;
        } else if (lk->top_outcome == OUT_BOGUS || lk->saw_bogus) {
            p->status = E2U_STATUS_BOGUS;
            p->error = lk->why;
        } else if (lk->top_outcome == OUT_FAIL || lk->top_outcome == OUT_TIMEOUT ||
                   lk->nested_fail) {
            p->status = E2U_STATUS_DNS_ERROR;
            p->error = lk->why;
        } else if (lk->saw_loop) {
            p->status = E2U_STATUS_LOOP;
        } else if (lk->top_outcome == OUT_NX) {
            p->status = E2U_STATUS_NOT_FOUND;
        } else {
            p->status = E2U_STATUS_NO_RECORDS;
        }
        if (lk->rc->dnssec && p->status != E2U_STATUS_BOGUS)
            p->dnssec = (lk->any_insecure || !lk->any_secure) ? E2U_DNSSEC_INSECURE
                                                             : E2U_DNSSEC_SECURE;
        lk->rc->finished(lk->rc, lk);
    }
}

/* --- answers --------------------------------------------------------------------------------- */

static void take_answer(e2u__lookup_t *lk, frame_t *f, const e2u__answer_t *ans)
{
    e2u__rctx_t *rc = lk->rc;
    f->state = D_RULES;
    if (ans->dnssec == E2U__DNSSEC_SECURE)
        lk->any_secure = true;
    else if (ans->dnssec == E2U__DNSSEC_INSECURE)
        lk->any_insecure = true;
    switch (ans->kind) {
    case E2U__ANS_NXDOMAIN:
        f->answered = OUT_NX;
        return;
    case E2U__ANS_FAIL:
    case E2U__ANS_TIMEOUT:
    case E2U__ANS_BOGUS:
        f->answered = ans->kind == E2U__ANS_FAIL      ? OUT_FAIL
                      : ans->kind == E2U__ANS_TIMEOUT ? OUT_TIMEOUT
                                                      : OUT_BOGUS;
        if (!lk->why) {
            char w[400];
            snprintf(w, sizeof(w), "%s: %s", f->domain, ans->why ? ans->why : "failed");
            lk->why = arena_strndup(&lk->arena, w, strlen(w));
        }
        return;
    case E2U__ANS_DATA:
        break;
    }
    f->answered = OUT_NODATA;
    if (ans->owner) {
        char text[E2U_DNAME_TEXT_MAX];
        int ol = e2u_dname_wire_len(ans->owner, E2U_DNAME_MAX);
        if (ol > 0 && e2u_dname_to_text(text, sizeof(text), NULL, ans->owner, (size_t)ol) == 0 &&
            !e2u_dname_equal(ans->owner, f->qname))
            f->domain = arena_strndup(&lk->arena, text, strlen(text));
    }
    if (ans->nrr == 0)
        return;
    e2u_eval_result_t er;
    if (e2u_eval_rrset(rc->ev, &f->number, ans->rr, ans->nrr, &er) < 0) {
        lk->failed_alloc = true;
        return;
    }
    for (size_t i = 0; i < er.ndrops; i++) {
        const char *rec = record_text(lk, &ans->rr[er.drops[i].index]);
        add_drop(lk, f->domain, rec, er.drops[i].reason, er.drops[i].detail);
    }
    if (er.nrules == 0)
        return;
    f->rules = malloc(er.nrules * sizeof(rule_t));
    if (!f->rules) {
        lk->failed_alloc = true;
        return;
    }
    for (size_t i = 0; i < er.nrules; i++) {
        if (!copy_rule(lk, &f->rules[i], &er.rules[i], &ans->rr[er.rules[i].index])) {
            lk->failed_alloc = true;
            return;
        }
    }
    f->nrules = er.nrules;
}

static void on_answer(void *arg, const e2u__answer_t *ans)
{
    e2u__lookup_t *lk = arg;
    lk->waiting = false;
    take_answer(lk, top(lk), ans);
    run(lk);
}

void e2u__lookup_start(e2u__lookup_t *lk)
{
    e2u_diag_t d;
    if (e2u_number_parse(&lk->pub.number, lk->pub.input, strlen(lk->pub.input), &lk->rc->numopts,
                         &d) < 0) {
        lk->pub.status = E2U_STATUS_INVALID_NUMBER;
        lk->pub.error = arena_strndup(&lk->arena, d.msg, strlen(d.msg));
        lk->done = true;
        lk->rc->finished(lk->rc, lk);
        return;
    }
    frame_t *f = push(lk, F_NUMBER);
    f->number = lk->pub.number;
    f->all_nx = true;
    run(lk);
}

void e2u__lookup_cancel(e2u__lookup_t *lk)
{
    if (lk->waiting && !lk->done)
        lk->rc->src->ops->cancel(lk->rc->src, lk->handle);
    lk->waiting = false;
}

void e2u__lookup_deliver(e2u__lookup_t *lk)
{
    lk->cb(lk->arg, &lk->pub);
}
