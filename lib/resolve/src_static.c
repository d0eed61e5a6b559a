/*
 * lib/resolve/src_static.c — a source that answers from records held in memory.
 *
 * It lets the lookup loop be tested rule by rule without a DNS server, and lets tools evaluate
 * hand-written data offline. The text is one entry per line:
 *
 *     3.2.1.e164.arpa.  NAPTR  10 100 "u" "E2U+sip" "!^.*$!sip:a@example.com!" .
 *     4.3.2.1.e164.arpa. SERVFAIL        (also NXDOMAIN, NODATA, TIMEOUT, BOGUS)
 *     # a comment; blank lines are ignored
 *
 * Owner names must be absolute. NAPTR lines for one owner form its RRset in the order given.
 * A name that is not listed is NXDOMAIN. Questions wait in a deferred queue (deferred.c) and
 * are answered by process(), as the source contract requires.
 */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "e2u/dname.h"
#include "e2u/naptr.h"
#include "resolve/deferred.h"

typedef struct entry {
    uint8_t owner[E2U_DNAME_MAX];
    e2u__ans_kind_t kind;
    bool nodata;
    e2u_rdata_t *rr;
    size_t nrr;
} entry_t;

typedef struct src_static {
    e2u__source_t base;
    entry_t *entries;
    size_t n;
    e2u__deferred_t dq;
} src_static_t;

static const entry_t *find(const src_static_t *s, const uint8_t *name)
{
    for (size_t i = 0; i < s->n; i++) {
        if (e2u_dname_equal(s->entries[i].owner, name))
            return &s->entries[i];
    }
    return NULL;
}

static void st_answer(void *src, const uint8_t *qname, e2u__answer_fn cb, void *arg)
{
    const entry_t *e = find(src, qname);
    e2u__answer_t a = {.kind = E2U__ANS_NXDOMAIN};
    if (e) {
        a.kind = e->kind;
        a.rr = e->rr;
        a.nrr = e->nrr;
        a.owner = e->owner;
        if (e->kind == E2U__ANS_FAIL)
            a.why = "SERVFAIL (static records)";
        else if (e->kind == E2U__ANS_TIMEOUT)
            a.why = "no answer (static records)";
        else if (e->kind == E2U__ANS_BOGUS)
            a.why = "validation failure (static records)";
    }
    cb(arg, &a);
}

static int st_query(e2u__source_t *src, const uint8_t *qname, unsigned timeout_ms,
                    e2u__answer_fn cb, void *arg, uint64_t *handle)
{
    (void)timeout_ms;
    return e2u__deferred_add(&((src_static_t *)src)->dq, qname, cb, arg, handle);
}

static void st_cancel(e2u__source_t *src, uint64_t handle)
{
    e2u__deferred_cancel(&((src_static_t *)src)->dq, handle);
}

static int st_fd(e2u__source_t *src)
{
    return ((src_static_t *)src)->dq.efd;
}

static int st_process(e2u__source_t *src)
{
    return e2u__deferred_run(&((src_static_t *)src)->dq, st_answer, src);
}

static int st_next_timeout(e2u__source_t *src)
{
    return e2u__deferred_timeout(&((src_static_t *)src)->dq);
}

static void st_free(e2u__source_t *src)
{
    src_static_t *s = (src_static_t *)src;
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        for (size_t k = 0; k < s->entries[i].nrr; k++)
            free((void *)s->entries[i].rr[k].data);
        free(s->entries[i].rr);
    }
    free(s->entries);
    e2u__deferred_free(&s->dq);
    free(s);
}

static const e2u__source_ops_t ops = {st_query, st_cancel, st_fd, st_process, st_next_timeout,
                                      st_free};

static entry_t *entry_for(src_static_t *s, const uint8_t *owner, size_t olen)
{
    for (size_t i = 0; i < s->n; i++) {
        if (e2u_dname_equal(s->entries[i].owner, owner))
            return &s->entries[i];
    }
    entry_t *ne = realloc(s->entries, (s->n + 1) * sizeof(*ne));
    if (!ne)
        return NULL;
    s->entries = ne;
    entry_t *e = &s->entries[s->n++];
    memset(e, 0, sizeof(*e));
    memcpy(e->owner, owner, olen);
    e->kind = E2U__ANS_DATA;
    return e;
}

int e2u__static_new(e2u__source_t **out, const char *text, e2u_diag_t *diag)
{
    src_static_t *s = calloc(1, sizeof(*s));
    if (!s)
        return E2U_ENOMEM;
    s->base.ops = &ops;
    s->dq.efd = -1;
    if (e2u__deferred_init(&s->dq) < 0) {
        st_free(&s->base);
        return E2U_EIO;
    }
    int rc = 0;
    unsigned line = 0;
    for (const char *p = text; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        line++;
        const char *l = p;
        p = eol ? eol + 1 : p + len;
        while (len && (*l == ' ' || *l == '\t')) {
            l++;
            len--;
        }
        if (len == 0 || *l == '#' || *l == ';')
            continue;
        size_t k = 0;
        while (k < len && l[k] != ' ' && l[k] != '\t')
            k++;
        uint8_t owner[E2U_DNAME_MAX];
        size_t olen;
        e2u_diag_t d;
        if (e2u_dname_from_text(owner, sizeof(owner), &olen, l, k, NULL, &d) < 0) {
            rc = e2u__diag(diag, E2U_ESYNTAX, 0, "static records line %u: owner: %s", line, d.msg);
            goto fail;
        }
        while (k < len && (l[k] == ' ' || l[k] == '\t'))
            k++;
        const char *kw = l + k;
        size_t kl = 0;
        while (k + kl < len && l[k + kl] != ' ' && l[k + kl] != '\t')
            kl++;
        entry_t *e = entry_for(s, owner, olen);
        if (!e) {
            rc = E2U_ENOMEM;
            goto fail;
        }
        if (e2u__ieqn(kw, kl, "NAPTR", 5)) {
            uint8_t rd[E2U_NAPTR_RDATA_MAX];
            size_t rl;
            if (e2u_naptr_parse_text(rd, sizeof(rd), &rl, kw + kl, len - k - kl, owner, &d) < 0) {
                rc = e2u__diag(diag, E2U_ESYNTAX, 0, "static records line %u: %s", line, d.msg);
                goto fail;
            }
            e2u_rdata_t *nr = realloc(e->rr, (e->nrr + 1) * sizeof(*nr));
            uint8_t *copy = malloc(rl);
            if (!nr || !copy) {
                free(copy);
                if (nr)
                    e->rr = nr;
                rc = E2U_ENOMEM;
                goto fail;
            }
            memcpy(copy, rd, rl);
            e->rr = nr;
            e->rr[e->nrr++] = (e2u_rdata_t){copy, (uint16_t)rl};
        } else if (e2u__ieqn(kw, kl, "NXDOMAIN", 8)) {
            e->kind = E2U__ANS_NXDOMAIN;
        } else if (e2u__ieqn(kw, kl, "SERVFAIL", 8)) {
            e->kind = E2U__ANS_FAIL;
        } else if (e2u__ieqn(kw, kl, "TIMEOUT", 7)) {
            e->kind = E2U__ANS_TIMEOUT;
        } else if (e2u__ieqn(kw, kl, "BOGUS", 5)) {
            e->kind = E2U__ANS_BOGUS;
        } else if (e2u__ieqn(kw, kl, "NODATA", 6)) {
            e->nodata = true;
        } else {
            rc = e2u__diag(diag, E2U_ESYNTAX, 0, "static records line %u: unknown keyword '%.*s'",
                           line, (int)(kl > 20 ? 20 : kl), kw);
            goto fail;
        }
    }
    *out = &s->base;
    return 0;
fail:
    st_free(&s->base);
    return rc;
}
