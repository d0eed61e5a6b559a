/*
 * lib/store/write.c — the write transaction: RRset changes, blocks, zones, and the commit that
 * bumps serials and writes the journal.
 *
 * A name is stored in exactly one form, decided by its content and never by the caller: a name
 * below the origin made of one-digit labels (at most E2U_STORE_MAX_DIGITS) whose only RRset is
 * NAPTR, and whose RRset fits a template, is a number entry; anything else is an ordinary name
 * (names database). Every change goes through name_store(), which compares the name's form
 * before and after and keeps the zone's counters, the cuts database and the templates'
 * reference counts in step. So the same zone content always has the same representation,
 * whatever sequence of changes produced it, and an export then import reproduces it exactly.
 *
 * The journal records net changes: the first time a transaction touches a name or a block, the
 * name's RRsets are copied aside; at commit each touched name's RRsets before and after are
 * compared record by record (journal.c), so a record added and deleted again within one
 * transaction leaves no trace, as IXFR (RFC 1995) requires of one version step. Each zone the
 * transaction changed gets one serial increment and one journal entry.
 *
 * LMDB gives atomicity: nothing is visible before mdb_txn_commit, and an abort, a failed commit
 * (MDB_MAP_FULL, ENOSPC) or a killed process leaves the previous commit untouched.
 */
#include <stdlib.h>
#include <time.h>

#include "e2u/naptr.h"
#include "store/internal.h"

/* --- transaction ------------------------------------------------------------------------------ */

int e2u_store_write_begin(e2u_store_t *s, e2u_store_txn_t **out)
{
    if (!s || !out)
        return E2U_EINVAL;
    if (s->read_only)
        return E2U_EINVAL;
    e2u_store_txn_t *w = calloc(1, sizeof(*w));
    if (!w)
        return E2U_ENOMEM;
    w->s = s;
    e2u__tbuild_init(&w->tb);
    int rc = mdb_txn_begin(s->env, NULL, 0, &w->txn);
    if (rc) {
        free(w);
        return e2u__mdb_err(s, rc, NULL, "begin a write transaction");
    }
    *out = w;
    return 0;
}

static void txn_free(e2u_store_txn_t *w)
{
    for (size_t i = 0; i < w->nz; i++) {
        if (w->z[i]->ch) {
            e2u__jchange_free(w->z[i]->ch);
            free(w->z[i]->ch);
        }
        free(w->z[i]);
    }
    free(w->z);
    for (size_t i = 0; i < w->nt; i++) {
        e2u__buf_free(&w->t[i]->old);
        free(w->t[i]);
    }
    free(w->t);
    free(w->tidx);
    e2u__buf_free(&w->scratch);
    e2u__buf_free(&w->scratch2);
    e2u__tbuild_free(&w->tb);
    free(w);
}

void e2u_store_write_abort(e2u_store_txn_t *w)
{
    if (!w)
        return;
    if (w->txn)
        mdb_txn_abort(w->txn);
    txn_free(w);
}

/* --- zones ----------------------------------------------------------------------------------- */

static int wzone_add(e2u_store_txn_t *w, wzone_t **out)
{
    /* an array of pointers: the type says so plainly (bugprone-sizeof-expression) */
    wzone_t **nz = realloc(w->z, (w->nz + 1) * sizeof(wzone_t *));
    if (!nz)
        return E2U_ENOMEM;
    w->z = nz;
    wzone_t *z = calloc(1, sizeof(*z));
    if (!z)
        return E2U_ENOMEM;
    w->z[w->nz++] = z;
    *out = z;
    return 0;
}

int e2u__wzones_load(e2u_store_txn_t *w)
{
    if (w->zones_loaded)
        return 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(w->txn, w->s->dbi[DB_ZONES], &c);
    if (rc)
        return e2u__mdb_err(w->s, rc, NULL, "zones");
    MDB_val k, v;
    int r = 0;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        wzone_t *z;
        if ((r = wzone_add(w, &z)) < 0)
            break;
        if (e2u__zinfo_load(w->s, w->txn, &k, &v, &z->zi) < 0) {
            r = E2U_ECORRUPT;
            break;
        }
        z->old_serial = z->zi.pub.serial;
        z->old_soa_ttl = z->zi.pub.soa_ttl;
        z->old_soa_len = z->zi.pub.soa_len;
        memcpy(z->old_soa, z->zi.pub.soa, z->zi.pub.soa_len);
        z->zi.apex = NULL;
        z->zi.pub.soa = NULL;
    }
    mdb_cursor_close(c);
    if (r == 0)
        w->zones_loaded = true;
    return r;
}

wzone_t *e2u__wzone(e2u_store_txn_t *w, const uint8_t *origin)
{
    if (e2u__wzones_load(w) < 0)
        return NULL;
    int ol = e2u_dname_wire_len(origin, 256);
    if (ol < 0)
        return NULL;
    for (size_t i = 0; i < w->nz; i++) {
        wzone_t *z = w->z[i];
        if (!z->deleted && z->zi.origin_len == (size_t)ol && e2u_dname_equal(z->zi.origin, origin))
            return z;
    }
    return NULL;
}

static size_t wzone_index(e2u_store_txn_t *w, const wzone_t *z)
{
    for (size_t i = 0; i < w->nz; i++)
        if (w->z[i] == z)
            return i;
    return 0;
}

/* The zone of a lower-case name (longest origin). */
static wzone_t *wzone_match(e2u_store_txn_t *w, const uint8_t *name, const uint8_t *off,
                            unsigned nl)
{
    if (e2u__wzones_load(w) < 0)
        return NULL;
    wzone_t *best = NULL;
    size_t qlen = (size_t)e2u_dname_wire_len(name, 256);
    for (size_t i = 0; i < w->nz; i++) {
        wzone_t *z = w->z[i];
        if (z->deleted || z->zi.labels > nl)
            continue;
        size_t start = z->zi.labels == nl ? 0 : off[nl - z->zi.labels];
        if (z->zi.labels == 0)
            start = qlen - 1;
        if (qlen - start != z->zi.origin_len ||
            memcmp(name + start, z->zi.origin, z->zi.origin_len) != 0)
            continue;
        if (!best || z->zi.labels > best->zi.labels)
            best = z;
    }
    return best;
}

/* --- templates ---------------------------------------------------------------------------------
 */

static int tmpl_put(e2u_store_txn_t *w, unsigned int id, uint32_t refs, const uint8_t *t,
                    size_t tlen, unsigned flags)
{
    MDB_val k = {sizeof(id), &id}, v = {4 + tlen, NULL};
    int rc = mdb_put(w->txn, w->s->dbi[DB_TMPL], &k, &v, MDB_RESERVE | flags);
    if (rc)
        return e2u__mdb_err(w->s, rc, NULL, "template");
    e2u__put32(v.mv_data, refs);
    memcpy((uint8_t *)v.mv_data + 4, t, tlen);
    return 0;
}

int e2u__tmpl_intern(e2u_store_txn_t *w, const uint8_t *t, size_t tlen, uint32_t refs,
                     uint32_t *tid)
{
    e2u_store_t *s = w->s;
    uint8_t hk[8];
    e2u__put64(hk, e2u__hash64(t, tlen));
    MDB_cursor *c;
    int rc = mdb_cursor_open(w->txn, s->dbi[DB_TIDX], &c);
    if (rc)
        return e2u__mdb_err(s, rc, NULL, "template index");
    MDB_val k = {8, hk}, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_DUP)) {
        if (v.mv_size != 4)
            continue;
        unsigned int id;
        memcpy(&id, v.mv_data, 4);
        MDB_val tk = {sizeof(id), &id}, tv;
        if (mdb_get(w->txn, s->dbi[DB_TMPL], &tk, &tv) != 0 || tv.mv_size != 4 + tlen ||
            memcmp((uint8_t *)tv.mv_data + 4, t, tlen) != 0)
            continue;
        mdb_cursor_close(c);
        uint32_t old = e2u__get32(tv.mv_data);
        /* copy: tv may point into a page this put replaces */
        e2u__buf_t *b = &w->scratch2;
        size_t keep = b->len;
        if (e2u__buf_add(b, (uint8_t *)tv.mv_data + 4, tlen) < 0)
            return E2U_ENOMEM;
        int r = tmpl_put(w, id, old + refs, b->p + keep, tlen, 0);
        b->len = keep;
        if (r == 0)
            *tid = id;
        return r;
    }
    mdb_cursor_close(c);
    uint32_t id;
    int r = e2u__meta_next(s, w->txn, "tmpl_next", &id);
    if (r < 0)
        return r;
    r = tmpl_put(w, id, refs, t, tlen, MDB_APPEND);
    if (r < 0)
        return r;
    unsigned int idn = id;
    MDB_val ik = {8, hk}, iv = {4, &idn};
    rc = mdb_put(w->txn, s->dbi[DB_TIDX], &ik, &iv, 0);
    if (rc)
        return e2u__mdb_err(s, rc, NULL, "template index");
    *tid = id;
    return 0;
}

int e2u__tmpl_unref(e2u_store_txn_t *w, uint32_t tid, uint32_t refs)
{
    e2u_store_t *s = w->s;
    unsigned int id = tid;
    MDB_val k = {sizeof(id), &id}, v;
    if (mdb_get(w->txn, s->dbi[DB_TMPL], &k, &v) != 0 || v.mv_size < 4)
        return E2U_ECORRUPT;
    uint32_t old = e2u__get32(v.mv_data);
    if (old > refs) {
        e2u__buf_t *b = &w->scratch2;
        size_t keep = b->len;
        if (e2u__buf_add(b, (uint8_t *)v.mv_data + 4, v.mv_size - 4) < 0)
            return E2U_ENOMEM;
        int r = tmpl_put(w, id, old - refs, b->p + keep, v.mv_size - 4, 0);
        b->len = keep;
        return r;
    }
    uint8_t hk[8];
    e2u__put64(hk, e2u__hash64((uint8_t *)v.mv_data + 4, v.mv_size - 4));
    int rc = mdb_del(w->txn, s->dbi[DB_TMPL], &k, NULL);
    if (rc)
        return e2u__mdb_err(s, rc, NULL, "template");
    MDB_val ik = {8, hk}, iv = {4, &id};
    rc = mdb_del(w->txn, s->dbi[DB_TIDX], &ik, &iv);
    if (rc && rc != MDB_NOTFOUND)
        return e2u__mdb_err(s, rc, NULL, "template index");
    return 0;
}

/* The template ids a number value or a block value uses, counted into m. */
static int value_tids(const uint8_t *v, size_t vlen, bool block, e2u__u32map_t *m)
{
    if (!block) {
        uint32_t tid;
        if (!e2u__ov_get(v, vlen, &tid))
            return E2U_ECORRUPT;
        return e2u__u32map_add(m, tid, 1);
    }
    size_t p = 0;
    while (p < vlen) {
        uint32_t sz, tid;
        size_t n = e2u__ov_get(v + p + 1, vlen - p - 1, &sz);
        if (!n || sz > vlen - p - 1 - n || !e2u__ov_get(v + p + 1 + n, sz, &tid))
            return E2U_ECORRUPT;
        int r = e2u__u32map_add(m, tid, 1);
        if (r < 0)
            return r;
        p += 1 + n + sz;
    }
    return 0;
}

int64_t e2u__range_delete(e2u_store_txn_t *w, MDB_dbi dbi, const uint8_t *tag, size_t taglen,
                          int values)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(w->txn, dbi, &c);
    if (rc)
        return e2u__mdb_err(w->s, rc, NULL, "delete");
    e2u__u32map_t m = {0};
    int64_t n = 0;
    int r = 0;
    MDB_val k = {taglen, (void *)tag}, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size >= taglen && memcmp(k.mv_data, tag, taglen) == 0) {
        if (values && (r = value_tids(v.mv_data, v.mv_size, values == 2, &m)) < 0)
            break;
        rc = mdb_cursor_del(c, 0);
        if (rc)
            break;
        n++;
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (r == 0 && rc && rc != MDB_NOTFOUND)
        r = e2u__mdb_err(w->s, rc, NULL, "delete");
    for (size_t i = 0; r == 0 && i < m.cap; i++)
        if (m.keys[i])
            r = e2u__tmpl_unref(w, m.keys[i] - 1, m.vals[i]);
    e2u__u32map_free(&m);
    return r < 0 ? r : n;
}

/* --- name state --------------------------------------------------------------------------------
 */

typedef struct nref {
    wzone_t *z;
    uint8_t owner[256]; /* lower case */
    size_t olen;
    uint8_t off[128];
    unsigned nl, nrel;
    bool digit;
    char full[128 + E2U_STORE_MAX_DIGITS + 1]; /* zone prefix + digits */
    size_t flen;
    uint8_t nkey[4 + 17];
    size_t nklen;
    uint8_t key[4 + 256];
    size_t klen;
} nref_t;

static int nref_init(e2u_store_txn_t *w, nref_t *r, const uint8_t *owner, e2u_diag_t *diag)
{
    /* The failures return their codes themselves, not e2u__sdiag()'s result: the callers use
     * r only after a 0, and the analyzer, which does not follow e2u__sdiag() into codec.c,
     * must see that every failure is < 0. */
    int ol = e2u_dname_wire_len(owner, 256);
    if (ol < 0) {
        e2u__sdiag(diag, E2U_EDNAME, 0, "malformed owner name");
        return E2U_EDNAME;
    }
    r->olen = e2u__dname_lower(r->owner, owner);
    r->nl = e2u__labels(r->owner, r->off);
    r->z = wzone_match(w, r->owner, r->off, r->nl);
    if (!r->z) {
        char t[E2U_DNAME_TEXT_MAX];
        e2u_dname_to_text(t, sizeof(t), NULL, r->owner, r->olen);
        e2u__sdiag(diag, E2U_ENOZONE, 0, "%s is in no zone of the store", t);
        return E2U_ENOZONE;
    }
    const zinfo_t *zi = &r->z->zi;
    r->nrel = r->nl - zi->labels;
    char d[E2U_STORE_MAX_DIGITS + 1];
    r->digit = r->nrel > 0 && r->nrel <= E2U_STORE_MAX_DIGITS &&
               e2u__name_digits(r->owner, r->off, r->nrel, d);
    if (r->digit) {
        size_t zp = zi->pub.prefix_len;
        memcpy(r->full, zi->prefix, zp);
        memcpy(r->full + zp, d, r->nrel);
        r->flen = zp + r->nrel;
        r->full[r->flen] = '\0';
        memcpy(r->nkey, zi->tag, zi->taglen);
        r->nklen = zi->taglen + e2u__bcd_key(r->nkey + zi->taglen, d, r->nrel);
    }
    r->klen = e2u__name_key(r->key, zi->tag, zi->taglen, r->owner, r->off, r->nrel);
    return 0;
}

/* Where a name is: 0 nowhere, 1 a number entry, 2 an ordinary name. Its RRsets into out. */
static int name_state(e2u_store_txn_t *w, const nref_t *r, e2u__buf_t *out, int *where)
{
    out->len = 0;
    *where = 0;
    MDB_val k, v;
    if (r->digit) {
        k.mv_size = r->nklen;
        k.mv_data = (void *)r->nkey;
        if (mdb_get(w->txn, e2u__numdb(w->s, &r->z->zi), &k, &v) == 0) {
            if (e2u__buf_reserve(out, E2U_STORE_BUF_MIN) < 0)
                return E2U_ENOMEM;
            int n = e2u__value_expand(w->s, w->txn, v.mv_data, v.mv_size, r->full, r->flen, out->p,
                                      out->cap);
            if (n < 0)
                return n;
            out->len = (size_t)n;
            *where = 1;
            return 0;
        }
    }
    k.mv_size = r->klen;
    k.mv_data = (void *)r->key;
    if (mdb_get(w->txn, w->s->dbi[DB_NAMES], &k, &v) == 0) {
        if (e2u__buf_add(out, v.mv_data, v.mv_size) < 0)
            return E2U_ENOMEM;
        *where = 2;
    }
    return 0;
}

static bool blob_has(const uint8_t *b, size_t len, uint16_t type)
{
    size_t pos = 0;
    e2u_store_rrset_t rs;
    while (e2u_store_rrset_next(b, len, &pos, &rs))
        if (rs.type == type)
            return true;
    return false;
}

static unsigned blob_types(const uint8_t *b, size_t len)
{
    size_t pos = 0;
    unsigned n = 0;
    e2u_store_rrset_t rs;
    while (e2u_store_rrset_next(b, len, &pos, &rs))
        n++;
    return n;
}

/* Records of one RRset as e2u__rec_t (into a malloc'ed array). */
static int rrset_recs(const e2u_store_rrset_t *rs, e2u__rec_t **out, size_t *n)
{
    e2u__rec_t *r = malloc((rs->count ? rs->count : 1) * sizeof(*r));
    if (!r)
        return E2U_ENOMEM;
    size_t pos = 0, i = 0;
    const uint8_t *rd;
    uint16_t len;
    while (i < rs->count && e2u_store_rdata_next(rs, &pos, &rd, &len)) {
        r[i].rdata = rd;
        r[i].len = len;
        i++;
    }
    *out = r;
    *n = i;
    return 0;
}

static int touch_find(e2u_store_txn_t *w, size_t zidx, uint8_t kind, const uint8_t *key,
                      size_t klen, unsigned L, touch_t **out, uint64_t *hout)
{
    uint64_t h = e2u__hash64(key, klen) ^ ((uint64_t)zidx << 40) ^ ((uint64_t)kind << 56) ^ L;
    *hout = h;
    *out = NULL;
    if (!w->tidxcap)
        return 0;
    size_t j = (size_t)h & (w->tidxcap - 1);
    while (w->tidx[j] >= 0) {
        touch_t *t = w->t[w->tidx[j]];
        if (t->h == h && t->zidx == zidx && t->kind == kind && t->L == L &&
            ((kind == 0 && t->olen == klen && memcmp(t->owner, key, klen) == 0) ||
             (kind == 1 && t->plen == klen && memcmp(t->prefix, key, klen) == 0))) {
            *out = t;
            return 0;
        }
        j = (j + 1) & (w->tidxcap - 1);
    }
    return 0;
}

static int touch_add(e2u_store_txn_t *w, touch_t *t)
{
    if (w->nt == w->tcap) {
        size_t nc = w->tcap ? w->tcap * 2 : 16;
        /* an array of pointers, as in wzone_add() */
        touch_t **nt = realloc(w->t, nc * sizeof(touch_t *));
        if (!nt)
            return E2U_ENOMEM;
        w->t = nt;
        w->tcap = nc;
    }
    if ((w->nt + 1) * 2 > w->tidxcap) {
        size_t nc = w->tidxcap ? w->tidxcap * 2 : 64;
        int32_t *ni = malloc(nc * sizeof(*ni));
        if (!ni)
            return E2U_ENOMEM;
        for (size_t i = 0; i < nc; i++)
            ni[i] = -1;
        for (size_t i = 0; i < w->nt; i++) {
            size_t j = (size_t)w->t[i]->h & (nc - 1);
            while (ni[j] >= 0)
                j = (j + 1) & (nc - 1);
            ni[j] = (int32_t)i;
        }
        free(w->tidx);
        w->tidx = ni;
        w->tidxcap = nc;
    }
    size_t j = (size_t)t->h & (w->tidxcap - 1);
    while (w->tidx[j] >= 0)
        j = (j + 1) & (w->tidxcap - 1);
    w->tidx[j] = (int32_t)w->nt;
    w->t[w->nt++] = t;
    return 0;
}

/* Remember the name's RRsets before the transaction's first change to it. */
static int touch_name(e2u_store_txn_t *w, const nref_t *r)
{
    size_t zi = wzone_index(w, r->z);
    touch_t *t;
    uint64_t h;
    touch_find(w, zi, 0, r->owner, r->olen, 0, &t, &h);
    if (t || r->z->bulk || r->z->created)
        return 0;
    t = calloc(1, sizeof(*t));
    if (!t)
        return E2U_ENOMEM;
    t->zidx = zi;
    t->kind = 0;
    memcpy(t->owner, r->owner, r->olen);
    t->olen = r->olen;
    t->h = h;
    int where;
    int rc = name_state(w, r, &t->old, &where);
    if (rc == 0)
        rc = touch_add(w, t);
    if (rc < 0) {
        e2u__buf_free(&t->old);
        free(t);
    }
    return rc;
}

typedef struct nflags {
    bool number, name, digit, cut, wild;
} nflags_t;

static nflags_t name_flags(const nref_t *r, int where, const uint8_t *blob, size_t len)
{
    nflags_t f = {0};
    if (r->nrel == 0 || where == 0)
        return f;
    if (where == 1) {
        f.number = true;
        return f;
    }
    f.name = true;
    f.digit = r->digit;
    f.cut = blob_has(blob, len, E2U_STORE_TYPE_NS);
    f.wild = r->owner[0] == 1 && r->owner[1] == '*';
    return f;
}

static void count(uint64_t *c, bool before, bool after)
{
    if (before && !after)
        (*c)--;
    else if (!before && after)
        (*c)++;
}

/*
 * Store the name's new RRsets blob (len 0: delete the name), choosing its form, and keep
 * counters, cuts and template references in step.
 */
static int name_store(e2u_store_txn_t *w, const nref_t *r, const uint8_t *blob, size_t len,
                      e2u_diag_t *diag)
{
    e2u_store_t *s = w->s;
    wzone_t *z = r->z;
    MDB_dbi ndb = e2u__numdb(s, &z->zi);
    /* the old form */
    int old_where = 0;
    uint32_t old_tid = UINT32_MAX;
    bool old_cut = false;
    MDB_val k, v;
    if (r->digit) {
        k.mv_size = r->nklen;
        k.mv_data = (void *)r->nkey;
        if (mdb_get(w->txn, ndb, &k, &v) == 0) {
            old_where = 1;
            if (!e2u__ov_get(v.mv_data, v.mv_size, &old_tid))
                return E2U_ECORRUPT;
        }
    }
    if (!old_where) {
        k.mv_size = r->klen;
        k.mv_data = (void *)r->key;
        if (mdb_get(w->txn, s->dbi[DB_NAMES], &k, &v) == 0) {
            old_where = 2;
            old_cut = blob_has(v.mv_data, v.mv_size, E2U_STORE_TYPE_NS);
        }
    }
    nflags_t of = name_flags(r, old_where, NULL, 0);
    of.cut = old_where == 2 && r->nrel > 0 && old_cut;

    /* the new form */
    int new_where = 0;
    uint8_t val[4 + 1024];
    size_t vlen = 0;
    uint32_t new_tid = UINT32_MAX;
    if (len) {
        new_where = 2;
        e2u_store_rrset_t rs;
        size_t pos = 0;
        if (r->digit && blob_types(blob, len) == 1 && e2u_store_rrset_next(blob, len, &pos, &rs) &&
            rs.type == E2U_STORE_TYPE_NAPTR) {
            e2u__rec_t *recs;
            size_t n;
            int rc = rrset_recs(&rs, &recs, &n);
            if (rc < 0)
                return rc;
            rc = e2u__tmpl_make(&w->tb, rs.ttl, recs, n, r->full, r->flen);
            free(recs);
            if (rc == 0 && w->tb.params.len + 4 <= sizeof(val) - 4) {
                rc = e2u__tmpl_intern(w, w->tb.tmpl.p, w->tb.tmpl.len, 1, &new_tid);
                if (rc < 0)
                    return rc;
                vlen = e2u__ov_put(val, new_tid);
                memcpy(val + vlen, w->tb.params.p, w->tb.params.len);
                vlen += w->tb.params.len;
                new_where = 1;
            } else if (rc < 0 && rc != E2U_ELIMIT) {
                return e2u__sdiag(diag, rc, 0, "NAPTR RRset cannot be stored: %s",
                                  e2u_strerror(rc));
            }
        }
    }
    nflags_t nf = name_flags(r, new_where, blob, len);

    int rc = 0;
    /* remove the old form where the new one is different */
    if (old_where == 1 && new_where != 1) {
        k.mv_size = r->nklen;
        k.mv_data = (void *)r->nkey;
        rc = mdb_del(w->txn, ndb, &k, NULL);
    } else if (old_where == 2 && new_where != 2) {
        k.mv_size = r->klen;
        k.mv_data = (void *)r->key;
        rc = mdb_del(w->txn, s->dbi[DB_NAMES], &k, NULL);
    }
    if (rc)
        return e2u__mdb_err(s, rc, diag, "delete");
    if (new_where == 1) {
        k.mv_size = r->nklen;
        k.mv_data = (void *)r->nkey;
        v.mv_size = vlen;
        v.mv_data = val;
        rc = mdb_put(w->txn, ndb, &k, &v, 0);
    } else if (new_where == 2) {
        k.mv_size = r->klen;
        k.mv_data = (void *)r->key;
        v.mv_size = len;
        v.mv_data = (void *)blob;
        rc = mdb_put(w->txn, s->dbi[DB_NAMES], &k, &v, 0);
    }
    if (rc)
        return e2u__mdb_err(s, rc, diag, "store");
    if (of.cut != nf.cut) {
        k.mv_size = r->klen;
        k.mv_data = (void *)r->key;
        v.mv_size = 0;
        v.mv_data = NULL;
        rc = nf.cut ? mdb_put(w->txn, s->dbi[DB_CUTS], &k, &v, 0)
                    : mdb_del(w->txn, s->dbi[DB_CUTS], &k, NULL);
        if (rc && rc != MDB_NOTFOUND)
            return e2u__mdb_err(s, rc, diag, "cuts");
    }
    if (old_tid != UINT32_MAX && (rc = e2u__tmpl_unref(w, old_tid, 1)) < 0)
        return rc;
    zrec_t *zr = &z->zi.rec;
    count(&zr->numbers, of.number, nf.number);
    count(&zr->names, of.name, nf.name);
    count(&zr->digit_names, of.digit, nf.digit);
    count(&zr->cuts, of.cut, nf.cut);
    count(&zr->wild, of.wild, nf.wild);
    z->dirty = true;
    return 0;
}

/* --- RRset changes -----------------------------------------------------------------------------
 */

static bool type_storable(uint16_t t)
{
    /* not meta types (RFC 6895 §3.1: OPT, TKEY, TSIG, IXFR, AXFR, MAILB, MAILA, ANY), not 0 */
    return t != 0 && t != 41 && !(t >= 128 && t <= 255);
}

/* Canonical copies of the records: RDATA names in lower case, sorted, no duplicates. The
 * copies live in w->scratch2; recs is malloc'ed. */
static int canon_recs(e2u_store_txn_t *w, uint16_t type, const e2u_rdata_t *rr, size_t n,
                      e2u__rec_t **out, size_t *nout, e2u_diag_t *diag)
{
    e2u__buf_t *b = &w->scratch2;
    b->len = 0;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += rr[i].len;
    if (e2u__buf_reserve(b, total + 1) < 0)
        return E2U_ENOMEM;
    e2u__rec_t *r = malloc((n ? n : 1) * sizeof(*r));
    if (!r)
        return E2U_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (type == E2U_STORE_TYPE_NAPTR) {
            e2u_naptr_t na;
            e2u_diag_t d;
            if (e2u_naptr_parse_wire(&na, rr[i].data, rr[i].len, &d) < 0) {
                free(r);
                /* the code itself, not e2u__sdiag()'s result: the analyzer must see that
                 * *out and *nout are used only after a 0 */
                e2u__sdiag(diag, E2U_EINVAL, 0, "record %zu: %s", i + 1, d.msg);
                return E2U_EINVAL;
            }
        }
        uint8_t *p = b->p + b->len;
        if (rr[i].len)
            memcpy(p, rr[i].data, rr[i].len);
        e2u__rdata_canon(type, p, rr[i].len);
        r[i].rdata = p;
        r[i].len = rr[i].len;
        b->len += rr[i].len;
    }
    *nout = e2u__recs_canon(r, n);
    *out = r;
    return 0;
}

/* The blob cur[clen] with RRset (type) replaced by recs (n == 0: removed), into out. */
static int blob_replace(e2u__buf_t *out, const uint8_t *cur, size_t clen, uint16_t type,
                        uint32_t ttl, const e2u__rec_t *recs, size_t n)
{
    out->len = 0;
    size_t pos = 0, p0 = 0;
    e2u_store_rrset_t rs;
    bool done = false;
    /* An empty blob may have no buffer (cur NULL): e2u_store_rrset_next() stops on it, but in
     * codec.c, where the analyzer does not look. */
    while (cur && e2u_store_rrset_next(cur, clen, &pos, &rs)) {
        if (!done && rs.type >= type) {
            if (n && e2u__blob_add_rrset(out, type, ttl, recs, n) < 0)
                return E2U_ENOMEM;
            done = true;
        }
        if (rs.type != type && e2u__buf_add(out, cur + p0, pos - p0) < 0)
            return E2U_ENOMEM;
        p0 = pos;
    }
    if (!done && n && e2u__blob_add_rrset(out, type, ttl, recs, n) < 0)
        return E2U_ENOMEM;
    return 0;
}

static int check_cname(const uint8_t *b, size_t len, e2u_diag_t *diag)
{
    if (!blob_has(b, len, E2U_STORE_TYPE_CNAME))
        return 0;
    size_t pos = 0;
    e2u_store_rrset_t rs;
    while (e2u_store_rrset_next(b, len, &pos, &rs))
        if (rs.type != E2U_STORE_TYPE_CNAME && rs.type != 46 && rs.type != 47)
            return e2u__sdiag(diag, E2U_EINVAL, 0,
                              "CNAME and other data at one name (RFC 1034 §3.6.2)");
    return 0;
}

static int put_rrset_canon(e2u_store_txn_t *w, nref_t *r, uint16_t type, uint32_t ttl,
                           const e2u__rec_t *recs, size_t n, e2u_diag_t *diag)
{
    int rc = touch_name(w, r);
    if (rc < 0)
        return rc;
    int where;
    rc = name_state(w, r, &w->scratch, &where);
    if (rc < 0)
        return rc;
    e2u__buf_t nb = {0};
    rc = blob_replace(&nb, w->scratch.p, w->scratch.len, type, ttl, recs, n);
    if (rc == 0)
        rc = check_cname(nb.p, nb.len, diag);
    if (rc == 0 && r->nrel == 0 && !blob_has(nb.p, nb.len, E2U_STORE_TYPE_SOA))
        rc = e2u__sdiag(diag, E2U_EINVAL, 0, "the apex SOA cannot be deleted");
    if (rc == 0)
        rc = name_store(w, r, nb.p, nb.len, diag);
    e2u__buf_free(&nb);
    return rc;
}

int e2u_store_put_rrset(e2u_store_txn_t *w, const uint8_t *owner, uint16_t type, uint32_t ttl,
                        const e2u_rdata_t *rr, size_t n, e2u_diag_t *diag)
{
    if (!w || !owner || (n && !rr))
        return E2U_EINVAL;
    if (!type_storable(type))
        return e2u__sdiag(diag, E2U_EINVAL, 0, "type %u cannot be stored", type);
    if (type == E2U_STORE_TYPE_DNAME)
        return e2u__sdiag(diag, E2U_EINVAL, 0, "DNAME is not supported by the e2u store");
    nref_t r;
    int rc = nref_init(w, &r, owner, diag);
    if (rc < 0)
        return rc;
    if (type == E2U_STORE_TYPE_SOA) {
        if (r.nrel != 0)
            return e2u__sdiag(diag, E2U_EINVAL, 0, "an SOA belongs at the zone's origin only");
        if (n != 1)
            return e2u__sdiag(diag, E2U_EINVAL, 0, "a zone has exactly one SOA record");
        if (rr[0].len < 22 || rr[0].len > E2U__SOA_MAX)
            return e2u__sdiag(diag, E2U_EINVAL, 0, "malformed SOA RDATA");
        int a = e2u_dname_wire_len(rr[0].data, rr[0].len);
        int b = a < 0 ? -1 : e2u_dname_wire_len(rr[0].data + a, rr[0].len - (size_t)a);
        if (a < 0 || b < 0 || (size_t)a + (size_t)b + 20 != rr[0].len)
            return e2u__sdiag(diag, E2U_EINVAL, 0, "malformed SOA RDATA");
        r.z->soa_set = true;
    }
    e2u__rec_t *recs;
    size_t nr;
    rc = canon_recs(w, type, rr, n, &recs, &nr, diag);
    if (rc < 0)
        return rc;
    rc = put_rrset_canon(w, &r, type, ttl, recs, nr, diag);
    free(recs);
    return rc;
}

int e2u_store_txn_get(e2u_store_txn_t *w, const uint8_t *owner, uint16_t type, uint8_t *buf,
                      size_t cap, e2u_store_rrset_t *out)
{
    nref_t r;
    int rc = nref_init(w, &r, owner, NULL);
    if (rc < 0)
        return rc;
    int where;
    rc = name_state(w, &r, &w->scratch, &where);
    if (rc < 0)
        return rc;
    size_t pos = 0, p0 = 0;
    e2u_store_rrset_t rs;
    while (e2u_store_rrset_next(w->scratch.p, w->scratch.len, &pos, &rs)) {
        if (rs.type == type) {
            if (pos - p0 > cap)
                return E2U_ENOSPC;
            memcpy(buf, w->scratch.p + p0, pos - p0);
            size_t q = 0;
            e2u_store_rrset_next(buf, pos - p0, &q, out);
            return 0;
        }
        p0 = pos;
    }
    return E2U_ENOENT;
}

static int change_rr(e2u_store_txn_t *w, const uint8_t *owner, uint16_t type, uint32_t ttl,
                     const uint8_t *rdata, uint16_t rdlen, bool add, e2u_diag_t *diag)
{
    if (!w || !owner || !rdata)
        return E2U_EINVAL;
    if (!type_storable(type) || type == E2U_STORE_TYPE_DNAME)
        return e2u__sdiag(diag, E2U_EINVAL, 0, "type %u cannot be stored", type);
    if (type == E2U_STORE_TYPE_SOA) {
        e2u_rdata_t one = {rdata, rdlen};
        return add ? e2u_store_put_rrset(w, owner, type, ttl, &one, 1, diag)
                   : e2u__sdiag(diag, E2U_EINVAL, 0, "the apex SOA cannot be deleted");
    }
    nref_t r;
    int rc = nref_init(w, &r, owner, diag);
    if (rc < 0)
        return rc;
    int where;
    rc = name_state(w, &r, &w->scratch, &where);
    if (rc < 0)
        return rc;
    /* the current records, copied (scratch is reused below) */
    e2u__buf_t cur = {0};
    size_t pos = 0;
    e2u_store_rrset_t rs;
    bool have = false;
    while (e2u_store_rrset_next(w->scratch.p, w->scratch.len, &pos, &rs)) {
        if (rs.type == type) {
            have = true;
            if (!add)
                ttl = rs.ttl;
            rc = e2u__blob_add_rrset(&cur, 0, 0, NULL, 0);
            if (rc == 0)
                rc = e2u__buf_add(&cur, rs.rdata, rs.size);
            break;
        }
    }
    if (rc < 0) {
        e2u__buf_free(&cur);
        return rc;
    }
    size_t n = have ? rs.count : 0;
    e2u_rdata_t *list = malloc((n + 1) * sizeof(*list));
    if (!list) {
        e2u__buf_free(&cur);
        return E2U_ENOMEM;
    }
    size_t k = 0;
    if (have) {
        e2u_store_rrset_t cs = rs;
        cs.rdata = cur.p + 12;
        size_t p = 0;
        const uint8_t *d;
        uint16_t l;
        while (e2u_store_rdata_next(&cs, &p, &d, &l)) {
            list[k].data = d;
            list[k].len = l;
            k++;
        }
    }
    if (add) {
        list[k].data = rdata;
        list[k].len = rdlen;
        k++;
        rc = e2u_store_put_rrset(w, owner, type, ttl, list, k, diag);
    } else {
        /* compare canonically: lower-case a copy of the record to delete */
        uint8_t *c = malloc(rdlen ? rdlen : 1);
        if (!c) {
            rc = E2U_ENOMEM;
        } else {
            memcpy(c, rdata, rdlen);
            e2u__rdata_canon(type, c, rdlen);
            size_t o = 0;
            for (size_t i = 0; i < k; i++)
                if (!(list[i].len == rdlen && memcmp(list[i].data, c, rdlen) == 0))
                    list[o++] = list[i];
            rc = o == k ? 0 : e2u_store_put_rrset(w, owner, type, ttl, list, o, diag);
            free(c);
        }
    }
    free(list);
    e2u__buf_free(&cur);
    return rc;
}

int e2u_store_add_rr(e2u_store_txn_t *w, const uint8_t *owner, uint16_t type, uint32_t ttl,
                     const uint8_t *rdata, uint16_t rdlen, e2u_diag_t *diag)
{
    return change_rr(w, owner, type, ttl, rdata, rdlen, true, diag);
}

int e2u_store_del_rr(e2u_store_txn_t *w, const uint8_t *owner, uint16_t type, const uint8_t *rdata,
                     uint16_t rdlen, e2u_diag_t *diag)
{
    return change_rr(w, owner, type, 0, rdata, rdlen, false, diag);
}

int e2u_store_del_name(e2u_store_txn_t *w, const uint8_t *owner, e2u_diag_t *diag)
{
    if (!w || !owner)
        return E2U_EINVAL;
    nref_t r;
    int rc = nref_init(w, &r, owner, diag);
    if (rc < 0)
        return rc;
    if (r.nrel == 0)
        return e2u__sdiag(diag, E2U_EINVAL, 0, "the apex cannot be deleted (delete the zone)");
    rc = touch_name(w, &r);
    if (rc < 0)
        return rc;
    return name_store(w, &r, NULL, 0, diag);
}

/* --- blocks ------------------------------------------------------------------------------------
 */

typedef struct bref {
    wzone_t *z;
    char full[128 + E2U_STORE_MAX_DIGITS + 1];
    size_t flen;
    unsigned L;
    uint8_t key[4 + 17];
    size_t klen;
} bref_t;

static int bref_init(e2u_store_txn_t *w, bref_t *b, const uint8_t *origin, const char *prefix,
                     unsigned length, e2u_diag_t *diag)
{
    uint8_t lo[256];
    if (!origin || e2u_dname_wire_len(origin, 256) < 0)
        return e2u__sdiag(diag, E2U_EINVAL, 0, "malformed zone name");
    e2u__dname_lower(lo, origin);
    b->z = e2u__wzone(w, lo);
    if (!b->z)
        return e2u__sdiag(diag, E2U_ENOZONE, 0, "no such zone");
    const zinfo_t *zi = &b->z->zi;
    size_t pl = prefix ? strlen(prefix) : 0;
    if (prefix && *prefix == '+') {
        prefix++;
        pl--;
    }
    for (size_t i = 0; i < pl; i++)
        if (prefix[i] < '0' || prefix[i] > '9')
            return e2u__sdiag(diag, E2U_EINVAL, i, "block prefix must be digits");
    size_t zp = zi->pub.prefix_len;
    if (pl < zp || memcmp(prefix, zi->prefix, zp) != 0)
        return e2u__sdiag(diag, E2U_EINVAL, 0, "block +%.*s* is outside zone %s (prefix +%s)",
                          (int)pl, prefix ? prefix : "", "", zi->prefix);
    if (pl - zp > E2U_STORE_MAX_DIGITS)
        return e2u__sdiag(diag, E2U_EINVAL, 0, "block prefix longer than %d digits below the zone",
                          E2U_STORE_MAX_DIGITS);
    if (length && (length < pl || length > zp + E2U_STORE_MAX_DIGITS || length > 255))
        return e2u__sdiag(diag, E2U_EINVAL, 0,
                          "block length %u must be between the prefix's %zu digits and %zu", length,
                          pl, zp + E2U_STORE_MAX_DIGITS);
    memcpy(b->full, prefix, pl);
    b->full[pl] = '\0';
    b->flen = pl;
    b->L = length;
    memcpy(b->key, zi->tag, zi->taglen);
    b->klen = zi->taglen + e2u__bcd_key(b->key + zi->taglen, prefix + zp, pl - zp);
    return 0;
}

/* The expanded RRset of one block variant into out (empty if absent). */
static int block_state(e2u_store_txn_t *w, const bref_t *b, e2u__buf_t *out)
{
    out->len = 0;
    MDB_val k = {b->klen, (void *)b->key}, v;
    if (mdb_get(w->txn, w->s->dbi[DB_BLOCKS], &k, &v) != 0)
        return 0;
    size_t p = 0;
    const uint8_t *bv = v.mv_data;
    while (p < v.mv_size) {
        uint32_t sz;
        size_t n = e2u__ov_get(bv + p + 1, v.mv_size - p - 1, &sz);
        if (!n || sz > v.mv_size - p - 1 - n)
            return E2U_ECORRUPT;
        if (bv[p] == b->L) {
            if (e2u__buf_reserve(out, E2U_STORE_BUF_MIN) < 0)
                return E2U_ENOMEM;
            int r = e2u__value_expand(w->s, w->txn, bv + p + 1 + n, sz, b->full, b->flen, out->p,
                                      out->cap);
            if (r < 0)
                return r;
            out->len = (size_t)r;
            return 0;
        }
        p += 1 + n + sz;
    }
    return 0;
}

int e2u_store_put_block(e2u_store_txn_t *w, const uint8_t *origin, const char *prefix,
                        unsigned length, uint32_t ttl, const e2u_rdata_t *rr, size_t n,
                        e2u_diag_t *diag)
{
    if (!w || (n && !rr))
        return E2U_EINVAL;
    bref_t b;
    int rc = bref_init(w, &b, origin, prefix, length, diag);
    if (rc < 0)
        return rc;
    e2u__rec_t *recs;
    size_t nr;
    rc = canon_recs(w, E2U_STORE_TYPE_NAPTR, rr, n, &recs, &nr, diag);
    if (rc < 0)
        return rc;
    /* journal snapshot */
    size_t zi = wzone_index(w, b.z);
    touch_t *t;
    uint64_t h;
    touch_find(w, zi, 1, (const uint8_t *)b.full, b.flen, b.L, &t, &h);
    if (!t && !b.z->bulk && !b.z->created) {
        t = calloc(1, sizeof(*t));
        if (!t) {
            free(recs);
            return E2U_ENOMEM;
        }
        t->zidx = zi;
        t->kind = 1;
        memcpy(t->prefix, b.full, b.flen);
        t->plen = b.flen;
        t->L = b.L;
        t->h = h;
        rc = block_state(w, &b, &t->old);
        if (rc == 0)
            rc = touch_add(w, t);
        if (rc < 0) {
            e2u__buf_free(&t->old);
            free(t);
            free(recs);
            return rc;
        }
    }
    uint8_t nv[8 + 1024];
    size_t nvlen = 0;
    uint32_t new_tid = UINT32_MAX;
    if (nr) {
        rc = e2u__tmpl_make(&w->tb, ttl, recs, nr, NULL, 0);
        if (rc == 0 && w->tb.params.len > sizeof(nv) - 16)
            rc = E2U_ELIMIT;
        if (rc < 0) {
            free(recs);
            return e2u__sdiag(diag, rc == E2U_ELIMIT ? E2U_EINVAL : rc, 0,
                              "block RRset cannot be stored (%s)", e2u_strerror(rc));
        }
        rc = e2u__tmpl_intern(w, w->tb.tmpl.p, w->tb.tmpl.len, 1, &new_tid);
        if (rc < 0) {
            free(recs);
            return rc;
        }
        uint8_t tv[8];
        size_t tn = e2u__ov_put(tv, new_tid);
        nv[0] = (uint8_t)b.L;
        size_t sn = e2u__ov_put(nv + 1, (uint32_t)(tn + w->tb.params.len));
        memcpy(nv + 1 + sn, tv, tn);
        memcpy(nv + 1 + sn + tn, w->tb.params.p, w->tb.params.len);
        nvlen = 1 + sn + tn + w->tb.params.len;
    }
    free(recs);
    /* rebuild the block value: other variants, then the new one */
    e2u__buf_t val = {0};
    uint32_t old_tid = UINT32_MAX;
    MDB_val k = {b.klen, b.key}, v;
    if (mdb_get(w->txn, w->s->dbi[DB_BLOCKS], &k, &v) == 0) {
        const uint8_t *bv = v.mv_data;
        size_t p = 0;
        while (p < v.mv_size) {
            uint32_t sz;
            size_t sn = e2u__ov_get(bv + p + 1, v.mv_size - p - 1, &sz);
            if (!sn || sz > v.mv_size - p - 1 - sn) {
                e2u__buf_free(&val);
                return E2U_ECORRUPT;
            }
            if (bv[p] == b.L) {
                if (!e2u__ov_get(bv + p + 1 + sn, sz, &old_tid)) {
                    e2u__buf_free(&val);
                    return E2U_ECORRUPT;
                }
            } else if (e2u__buf_add(&val, bv + p, 1 + sn + sz) < 0) {
                e2u__buf_free(&val);
                return E2U_ENOMEM;
            }
            p += 1 + sn + sz;
        }
    }
    if (!nvlen && old_tid == UINT32_MAX) {
        e2u__buf_free(&val);
        return E2U_ENOENT; /* deleting a block that is not there */
    }
    if (nvlen && e2u__buf_add(&val, nv, nvlen) < 0) {
        e2u__buf_free(&val);
        return E2U_ENOMEM;
    }
    if (val.len) {
        MDB_val pv = {val.len, val.p};
        rc = mdb_put(w->txn, w->s->dbi[DB_BLOCKS], &k, &pv, 0);
    } else {
        rc = mdb_del(w->txn, w->s->dbi[DB_BLOCKS], &k, NULL);
        if (rc == MDB_NOTFOUND)
            rc = 0;
    }
    e2u__buf_free(&val);
    if (rc)
        return e2u__mdb_err(w->s, rc, diag, "store the block");
    if (old_tid != UINT32_MAX && (rc = e2u__tmpl_unref(w, old_tid, 1)) < 0)
        return rc;
    count(&b.z->zi.rec.blocks, old_tid != UINT32_MAX, nvlen != 0);
    b.z->dirty = true;
    return 0;
}

/* --- zones -------------------------------------------------------------------------------------
 */

int e2u_store_zone_create(e2u_store_txn_t *w, const uint8_t *origin, const uint8_t *soa,
                          size_t soa_len, uint32_t soa_ttl, const uint8_t *const *ns, size_t nns,
                          uint32_t default_ttl)
{
    if (!w || !origin || !soa)
        return E2U_EINVAL;
    int ol = e2u_dname_wire_len(origin, 256);
    if (ol < 0)
        return E2U_EINVAL;
    int a = e2u_dname_wire_len(soa, soa_len);
    int b = a < 0 ? -1 : e2u_dname_wire_len(soa + a, soa_len - (size_t)a);
    if (a < 0 || b < 0 || (size_t)a + (size_t)b + 20 != soa_len || soa_len > E2U__SOA_MAX)
        return E2U_EINVAL;
    uint8_t lo[256];
    e2u__dname_lower(lo, origin);
    if (e2u__wzone(w, lo))
        return E2U_EEXIST;
    if (!w->zones_loaded)
        return E2U_ESTORE;
    wzone_t *z;
    int rc = wzone_add(w, &z);
    if (rc < 0)
        return rc;
    uint32_t id;
    if ((rc = e2u__meta_next(w->s, w->txn, "zone_next", &id)) < 0)
        return rc;
    memset(&z->zi.rec, 0, sizeof(z->zi.rec));
    z->zi.rec.id = id;
    z->zi.rec.default_ttl = default_ttl ? default_ttl : 3600;
    memcpy(z->zi.origin, lo, (size_t)ol);
    z->zi.origin_len = (size_t)ol;
    uint8_t off[128];
    z->zi.labels = e2u__labels(lo, off);
    z->zi.taglen = e2u__ov_put(z->zi.tag, id);
    e2u__origin_prefix(lo, z->zi.prefix, sizeof(z->zi.prefix));
    z->zi.pub.origin = z->zi.origin;
    z->zi.pub.origin_len = z->zi.origin_len;
    z->zi.pub.prefix = z->zi.prefix;
    z->zi.pub.prefix_len = strlen(z->zi.prefix);
    z->created = true;
    z->dirty = true;
    z->soa_set = true;
    z->old_serial = 0;
    /* apex: NS (type 2) then SOA (type 6) */
    uint8_t soac[E2U__SOA_MAX];
    memcpy(soac, soa, soa_len);
    e2u__rdata_canon(E2U_STORE_TYPE_SOA, soac, (uint16_t)soa_len);
    e2u__buf_t apex = {0};
    e2u__rec_t *nr = malloc((nns ? nns : 1) * sizeof(*nr));
    uint8_t(*nsl)[256] = malloc((nns ? nns : 1) * 256);
    if (!nr || !nsl) {
        free(nr);
        free(nsl);
        return E2U_ENOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < nns; i++) {
        if (!ns[i] || e2u_dname_wire_len(ns[i], 256) < 0)
            continue;
        nr[k].len = (uint16_t)e2u__dname_lower(nsl[k], ns[i]);
        nr[k].rdata = nsl[k];
        k++;
    }
    k = e2u__recs_canon(nr, k);
    rc = 0;
    if (k)
        rc = e2u__blob_add_rrset(&apex, E2U_STORE_TYPE_NS, default_ttl ? default_ttl : 3600, nr, k);
    e2u__rec_t sr = {soac, (uint16_t)soa_len};
    if (rc == 0)
        rc = e2u__blob_add_rrset(&apex, E2U_STORE_TYPE_SOA, soa_ttl, &sr, 1);
    free(nr);
    free(nsl);
    if (rc < 0) {
        e2u__buf_free(&apex);
        return rc;
    }
    MDB_val ak = {z->zi.taglen, z->zi.tag}, av = {apex.len, apex.p};
    int mrc = mdb_put(w->txn, w->s->dbi[DB_NAMES], &ak, &av, 0);
    e2u__buf_free(&apex);
    if (mrc)
        return e2u__mdb_err(w->s, mrc, NULL, "create the zone");
    uint8_t zr[ZREC_SIZE];
    e2u__zrec_encode(&z->zi.rec, zr);
    MDB_val zk = {z->zi.origin_len, z->zi.origin}, zv = {ZREC_SIZE, zr};
    mrc = mdb_put(w->txn, w->s->dbi[DB_ZONES], &zk, &zv, 0);
    if (mrc)
        return e2u__mdb_err(w->s, mrc, NULL, "create the zone");
    return 0;
}

int e2u_store_zone_delete(e2u_store_txn_t *w, const uint8_t *origin)
{
    if (!w || !origin || e2u_dname_wire_len(origin, 256) < 0)
        return E2U_EINVAL;
    uint8_t lo[256];
    e2u__dname_lower(lo, origin);
    wzone_t *z = e2u__wzone(w, lo);
    if (!z)
        return E2U_ENOZONE;
    e2u_store_t *s = w->s;
    const uint8_t *tag = z->zi.tag;
    size_t tl = z->zi.taglen;
    int64_t r;
    if ((r = e2u__range_delete(w, s->dbi[DB_NUM0], tag, tl, 1)) < 0 ||
        (r = e2u__range_delete(w, s->dbi[DB_NUM1], tag, tl, 1)) < 0 ||
        (r = e2u__range_delete(w, s->dbi[DB_BLOCKS], tag, tl, 2)) < 0 ||
        (r = e2u__range_delete(w, s->dbi[DB_NAMES], tag, tl, 0)) < 0 ||
        (r = e2u__range_delete(w, s->dbi[DB_CUTS], tag, tl, 0)) < 0)
        return (int)r;
    int rc = e2u__journal_drop(s, w->txn, z->zi.rec.id);
    if (rc < 0)
        return rc;
    MDB_val zk = {z->zi.origin_len, z->zi.origin};
    int mrc = mdb_del(w->txn, s->dbi[DB_ZONES], &zk, NULL);
    if (mrc)
        return e2u__mdb_err(s, mrc, NULL, "delete the zone");
    z->deleted = true;
    return 0;
}

/* --- commit ------------------------------------------------------------------------------------
 */

/* The journal change of a zone from its touched names and blocks. */
static int zone_change(e2u_store_txn_t *w, size_t zidx, e2u__jchange_t *ch)
{
    wzone_t *z = w->z[zidx];
    e2u__buf_t now = {0};
    int rc = 0;
    uint8_t origin_off[128];
    (void)origin_off;
    for (size_t i = 0; rc == 0 && i < w->nt; i++) {
        touch_t *t = w->t[i];
        if (t->zidx != zidx)
            continue;
        if (t->kind == 0) {
            nref_t r;
            rc = nref_init(w, &r, t->owner, NULL);
            int where;
            if (rc == 0)
                rc = name_state(w, &r, &now, &where);
            if (rc == 0) {
                /* the apex SOA is journaled by the commit itself */
                e2u__buf_t a = {0}, b = {0};
                if (r.nrel == 0) {
                    rc = blob_replace(&a, t->old.p, t->old.len, E2U_STORE_TYPE_SOA, 0, NULL, 0);
                    if (rc == 0)
                        rc = blob_replace(&b, now.p, now.len, E2U_STORE_TYPE_SOA, 0, NULL, 0);
                    if (rc == 0)
                        rc = e2u__jdiff(ch, t->owner, t->olen, NULL, 0, 0, a.p, a.len, b.p, b.len);
                } else {
                    rc = e2u__jdiff(ch, t->owner, t->olen, NULL, 0, 0, t->old.p, t->old.len, now.p,
                                    now.len);
                }
                e2u__buf_free(&a);
                e2u__buf_free(&b);
            }
        } else {
            bref_t b;
            rc = bref_init(w, &b, z->zi.origin, t->prefix, t->L, NULL);
            if (rc == 0)
                rc = block_state(w, &b, &now);
            if (rc == 0)
                rc = e2u__jdiff(ch, NULL, 0, t->prefix, t->plen, t->L, t->old.p, t->old.len, now.p,
                                now.len);
        }
    }
    e2u__buf_free(&now);
    return rc;
}

static int commit_zone(e2u_store_txn_t *w, size_t zidx)
{
    wzone_t *z = w->z[zidx];
    e2u_store_t *s = w->s;
    e2u__jchange_t own = {0};
    e2u__jchange_t *ch = z->ch ? z->ch : &own;
    int rc = 0;
    if (!z->created && !ch->reset)
        rc = zone_change(w, zidx, ch); /* touches: none on the bulk paths */
    if (rc < 0) {
        e2u__jchange_free(&own);
        return rc;
    }
    /* the apex, and its SOA */
    MDB_val ak = {z->zi.taglen, z->zi.tag}, av;
    if (mdb_get(w->txn, s->dbi[DB_NAMES], &ak, &av) != 0) {
        e2u__jchange_free(&own);
        return E2U_ECORRUPT;
    }
    e2u__buf_t apex = {0};
    if (e2u__buf_add(&apex, av.mv_data, av.mv_size) < 0) {
        e2u__jchange_free(&own);
        return E2U_ENOMEM;
    }
    uint32_t ttl;
    const uint8_t *soa;
    uint16_t soalen;
    rc = e2u__apex_soa(apex.p, apex.len, &ttl, &soa, &soalen);
    if (rc == 0) {
        uint8_t *serial = (uint8_t *)soa + soalen - 20;
        uint32_t cur = e2u__get32(serial);
        uint32_t next;
        if (z->created)
            next = cur;
        else if (z->soa_set && e2u__serial_newer(cur, z->old_serial))
            next = cur;
        else
            next = z->old_serial + 1;
        e2u__put32(serial, next);
        MDB_val nv = {apex.len, apex.p};
        int mrc = mdb_put(w->txn, s->dbi[DB_NAMES], &ak, &nv, 0);
        if (mrc)
            rc = e2u__mdb_err(s, mrc, NULL, "update the SOA");
        if (rc == 0) {
            if (z->created)
                ch->reset = true;
            rc = e2u__journal_write(s, w->txn, &z->zi, z->created ? 0 : z->old_serial, next,
                                    z->old_soa, z->old_soa_len, z->old_soa_ttl, soa, soalen, ttl,
                                    ch);
        }
    }
    e2u__buf_free(&apex);
    e2u__jchange_free(&own);
    if (rc < 0)
        return rc;
    uint8_t zr[ZREC_SIZE];
    e2u__zrec_encode(&z->zi.rec, zr);
    MDB_val zk = {z->zi.origin_len, z->zi.origin}, zv = {ZREC_SIZE, zr};
    int mrc = mdb_put(w->txn, s->dbi[DB_ZONES], &zk, &zv, 0);
    if (mrc)
        return e2u__mdb_err(s, mrc, NULL, "update the zone");
    return 0;
}

int e2u_store_write_commit(e2u_store_txn_t *w, e2u_diag_t *diag)
{
    if (!w)
        return E2U_EINVAL;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < w->nz; i++)
        if (w->z[i]->dirty && !w->z[i]->deleted)
            rc = commit_zone(w, i);
    if (rc < 0) {
        if (diag && e2u__last_err()->code == rc)
            *diag = *e2u__last_err();
        else if (diag)
            e2u__sdiag(diag, rc, 0, "commit: %s", e2u_strerror(rc));
        e2u_store_write_abort(w);
        return rc;
    }
    int mrc = mdb_txn_commit(w->txn);
    w->txn = NULL;
    if (mrc)
        rc = e2u__mdb_err(w->s, mrc, diag, "commit");
    txn_free(w);
    return rc;
}
