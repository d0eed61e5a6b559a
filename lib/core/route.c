/*
 * lib/core/route.c — primary route and fallbacks by enumservice class (RFC 4769 §5).
 *
 * RFC 4769 §5 expects both an on-net (E2U+sip) and an off-net (E2U+pstn) record for the same
 * number and leaves the choice to the application: "such a resolver could be configured to
 * grant preference to the on net record". A policy makes that choice explicit: classes in
 * priority order, each a set of enumservice specs. Within a class the registrant's order and
 * preference still rule (RFC 6116 §5.2), then the position given, so the outcome is
 * deterministic for a given answer.
 *
 * Selection is an insertion sort of at most cap picks: result sets are a handful of records,
 * and the routine allocates nothing.
 */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "e2u/route.h"

static void add_spec(e2u_route_class_t *c, const char *type, const char *subtype)
{
    e2u_service_spec_t *s = &c->specs[c->nspecs++];
    memset(s, 0, sizeof(*s));
    snprintf(s->type, sizeof(s->type), "%s", type);
    snprintf(s->subtype, sizeof(s->subtype), "%s", subtype ? subtype : "");
}

void e2u_route_policy_default(e2u_route_policy_t *p)
{
    memset(p, 0, sizeof(*p));
    p->nclasses = 2;
    snprintf(p->classes[0].label, sizeof(p->classes[0].label), "on-net");
    add_spec(&p->classes[0], "sip", NULL);
    add_spec(&p->classes[0], "pstn", "sip");
    snprintf(p->classes[1].label, sizeof(p->classes[1].label), "off-net");
    add_spec(&p->classes[1], "pstn", "tel");
}

int e2u_route_policy_add(e2u_route_policy_t *p, const char *text, e2u_diag_t *diag)
{
    if (!p || !text)
        return e2u__diag(diag, E2U_EINVAL, 0, "no route class given");
    if (p->nclasses == E2U_ROUTE_CLASSES_MAX)
        return e2u__diag(diag, E2U_EINVAL, 0, "more than %d route classes",
                         E2U_ROUTE_CLASSES_MAX);
    e2u_route_class_t c;
    memset(&c, 0, sizeof(c));
    const char *s = text;
    const char *eq = strchr(text, '=');
    if (eq) {
        size_t ll = (size_t)(eq - text);
        if (ll == 0 || ll >= sizeof(c.label))
            return e2u__diag(diag, E2U_EINVAL, 0, "route class label must be 1 to %zu characters",
                             sizeof(c.label) - 1);
        memcpy(c.label, text, ll);
        s = eq + 1;
    } else {
        snprintf(c.label, sizeof(c.label), "class %zu", p->nclasses + 1);
    }
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        e2u_diag_t d;
        if (c.nspecs == E2U_ROUTE_SPECS_MAX)
            return e2u__diag(diag, E2U_EINVAL, (size_t)(s - text),
                             "more than %d services in one route class", E2U_ROUTE_SPECS_MAX);
        if (e2u_service_spec_parse(&c.specs[c.nspecs], s, len, &d) < 0)
            return e2u__diag(diag, E2U_EINVAL, (size_t)(s - text) + d.pos, "route class: %s",
                             d.msg);
        c.nspecs++;
        if (!comma)
            break;
        s = comma + 1;
    }
    p->classes[p->nclasses++] = c;
    return 0;
}

/* The class of a candidate, or -1 when it is not a route. */
static int class_of(const e2u_route_policy_t *p, const e2u_route_cand_t *c)
{
    for (size_t k = 0; k < p->nclasses; k++) {
        if (e2u_services_match(c->services, p->classes[k].specs, p->classes[k].nspecs))
            return (int)k;
    }
    return -1;
}

static bool before(const e2u_route_cand_t *cands, const e2u_route_pick_t *a,
                   const e2u_route_pick_t *b)
{
    if (a->cls != b->cls)
        return a->cls < b->cls;
    const e2u_route_cand_t *x = &cands[a->cand], *y = &cands[b->cand];
    if (x->order != y->order)
        return x->order < y->order;
    if (x->preference != y->preference)
        return x->preference < y->preference;
    return a->cand < b->cand;
}

size_t e2u_route_select(const e2u_route_policy_t *p, const e2u_route_cand_t *cands, size_t n,
                        e2u_route_pick_t *out, size_t cap)
{
    size_t count = 0;
    if (!p || !out || cap == 0 || (!cands && n))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!cands[i].services)
            continue;
        int k = class_of(p, &cands[i]);
        if (k < 0)
            continue;
        e2u_route_pick_t pick = {i, (size_t)k};
        /* insert in place; drop the worst when full */
        size_t at = count;
        while (at > 0 && before(cands, &pick, &out[at - 1]))
            at--;
        if (at >= cap)
            continue;
        size_t last = count < cap ? count : cap - 1;
        memmove(&out[at + 1], &out[at], (last - at) * sizeof(*out));
        out[at] = pick;
        if (count < cap)
            count++;
    }
    return count;
}
