/*
 * lib/store/read.c — readers: a snapshot per thread, and the classification of a query name.
 *
 * A reader is an LMDB read-only transaction plus a few open cursors and a cache of the zones.
 * Renewing it (mdb_txn_reset + mdb_txn_renew) costs a few hundred nanoseconds and no
 * allocation; the zone cache is rebuilt only when the snapshot's transaction id changed, i.e.
 * after a commit, and then points into the new snapshot. When the store has published a number
 * index of the reader's snapshot (index.c), the reader holds it and finds existing numbers in
 * it (step 4) before any descent.
 *
 * e2u_store_find answers the question an authoritative server asks first: what is this name in
 * the equivalent zone file, where every number entry is a name and every block entry is all the
 * names it covers? In order (RFC 1034 §4.3.2):
 *   1. the zone: the longest origin the name is at or below;
 *   2. the apex;
 *   3. a zone cut at or above the name (only zones with delegations look): a referral;
 *   4. the name itself: a number entry, or an ordinary name;
 *   5. a block that covers it: the longest prefix of its digits whose length, if it has one, is
 *      the name's; a name of its own always wins over a block;
 *   6. something below it: an empty non-terminal (NODATA, never NXDOMAIN) — a longer number, a
 *      name below it, a block whose prefix extends it, or a block at or above it whose length is
 *      greater than the name's;
 *   7. a wildcard at the closest encloser (only zones with wildcards look; RFC 4592);
 *   8. otherwise NXDOMAIN.
 * Keys are built so that each step is one B-tree descent: the number key is BCD (a prefix sorts
 * before its extensions, so "something below" is the next key), and the longest matching block
 * is found from the largest key not above the name's, shortening to the common prefix when that
 * key is not a prefix (in sorted order no longer prefix can hide between the two).
 */
#include <stdlib.h>

#include "store/internal.h"

enum { C_NUM0, C_NUM1, C_BLOCKS, C_NAMES, C_CUTS, C_COUNT };

/* Templates recently used by this reader, by id: pointers into the snapshot, valid while the
 * snapshot is (gen). Saves a B-tree descent per lookup. */
#define TCACHE 512

typedef struct tcache {
    uint32_t tid;
    uint32_t gen;
    const uint8_t *t;
    size_t len;
} tcache_t;

struct e2u_store_rd {
    e2u_store_t *s;
    uint32_t gen; /* bumped whenever the snapshot changes */
    tcache_t tc[TCACHE];
    MDB_txn *txn;
    bool active;
    MDB_cursor *cur[C_COUNT];
    size_t txnid; /* the snapshot the zone cache was built from (0: none) */
    zinfo_t *zones;
    e2u_store_zone_t *pubs; /* the public view of zones[i], contiguous */
    size_t *order;          /* zone indices, most labels first */
    size_t nzones;
    size_t zcap;
    uint8_t owner[256]; /* DELEGATION and WILDCARD owners */
    e2u__nidx_t *ix;    /* the number index of this snapshot (index.c), or NULL */
};

MDB_txn *e2u__rd_txn(struct e2u_store_rd *rd)
{
    return rd && rd->active ? rd->txn : NULL;
}

e2u_store_t *e2u__rd_store(struct e2u_store_rd *rd)
{
    return rd->s;
}

bool e2u__rd_indexed(struct e2u_store_rd *rd)
{
    return rd->active && rd->ix;
}

const zinfo_t *e2u__rd_zones(struct e2u_store_rd *rd, size_t *n)
{
    *n = rd->active ? rd->nzones : 0;
    return rd->zones;
}

static const MDB_dbi *cur_dbis(const e2u_store_t *s, MDB_dbi out[C_COUNT])
{
    out[C_NUM0] = s->dbi[DB_NUM0];
    out[C_NUM1] = s->dbi[DB_NUM1];
    out[C_BLOCKS] = s->dbi[DB_BLOCKS];
    out[C_NAMES] = s->dbi[DB_NAMES];
    out[C_CUTS] = s->dbi[DB_CUTS];
    return out;
}

static int load_zones(e2u_store_rd_t *rd)
{
    e2u_store_t *s = rd->s;
    MDB_cursor *c;
    int rc = mdb_cursor_open(rd->txn, s->dbi[DB_ZONES], &c);
    if (rc)
        return e2u__mdb_err(s, rc, NULL, "zones");
    MDB_val k, v;
    size_t n = 0;
    int r = 0;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (n == rd->zcap) {
            size_t nc = rd->zcap ? rd->zcap * 2 : 8;
            zinfo_t *nz = realloc(rd->zones, nc * sizeof(*nz));
            if (!nz) {
                r = E2U_ENOMEM;
                break;
            }
            rd->zones = nz;
            e2u_store_zone_t *np = realloc(rd->pubs, nc * sizeof(*np));
            if (!np) {
                r = E2U_ENOMEM;
                break;
            }
            rd->pubs = np;
            size_t *no = realloc(rd->order, nc * sizeof(*no));
            if (!no) {
                r = E2U_ENOMEM;
                break;
            }
            rd->order = no;
            rd->zcap = nc;
        }
        if (e2u__zinfo_load(s, rd->txn, &k, &v, &rd->zones[n]) < 0) {
            r = E2U_ECORRUPT;
            break;
        }
        n++;
    }
    mdb_cursor_close(c);
    if (r < 0) {
        rd->nzones = 0;
        rd->txnid = 0;
        return r;
    }
    rd->nzones = n;
    for (size_t i = 0; i < n; i++) {
        rd->zones[i].pub.origin = rd->zones[i].origin; /* the array may have moved */
        rd->zones[i].pub.prefix = rd->zones[i].prefix;
        rd->pubs[i] = rd->zones[i].pub;
        rd->order[i] = i;
    }
    /* most labels first: insertion sort, zones are few */
    for (size_t i = 1; i < n; i++) {
        size_t x = rd->order[i], j = i;
        while (j > 0 && rd->zones[rd->order[j - 1]].labels < rd->zones[x].labels) {
            rd->order[j] = rd->order[j - 1];
            j--;
        }
        rd->order[j] = x;
    }
    rd->txnid = mdb_txn_id(rd->txn);
    return 0;
}

static int after_begin(e2u_store_rd_t *rd)
{
    rd->active = true;
    /* the number index only ever serves the snapshot it was built from */
    size_t id = mdb_txn_id(rd->txn);
    if (!rd->ix || e2u__nidx_txnid(rd->ix) != id) {
        e2u__nidx_release(rd->ix);
        rd->ix = e2u__nidx_pick(rd->s, id);
    }
    if (id != rd->txnid || rd->txnid == 0) {
        if (++rd->gen == 0) { /* wrapped: no entry may look current */
            memset(rd->tc, 0, sizeof(rd->tc));
            rd->gen = 1;
        }
        return load_zones(rd);
    }
    return 0;
}

int e2u_store_read_begin(e2u_store_t *s, e2u_store_rd_t **out)
{
    if (!s || !out)
        return E2U_EINVAL;
    e2u_store_rd_t *rd = calloc(1, sizeof(*rd));
    if (!rd)
        return E2U_ENOMEM;
    rd->s = s;
    int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &rd->txn);
    if (rc) {
        free(rd);
        return e2u__mdb_err(s, rc, NULL, "begin a read transaction");
    }
    MDB_dbi d[C_COUNT];
    cur_dbis(s, d);
    for (int i = 0; i < C_COUNT; i++) {
        rc = mdb_cursor_open(rd->txn, d[i], &rd->cur[i]);
        if (rc) {
            e2u_store_read_end(rd);
            return e2u__mdb_err(s, rc, NULL, "open a cursor");
        }
    }
    int r = after_begin(rd);
    if (r < 0) {
        e2u_store_read_end(rd);
        return r;
    }
    *out = rd;
    return 0;
}

static void txn_reset(e2u_store_rd_t *rd)
{
    if (rd && rd->active) {
        mdb_txn_reset(rd->txn);
        rd->active = false;
    }
}

void e2u_store_read_reset(e2u_store_rd_t *rd)
{
    txn_reset(rd);
    if (rd) {
        /* an idle reader does not keep an index alive (a renew right after a reset picks the
         * same one up again, under the store's mutex) */
        e2u__nidx_release(rd->ix);
        rd->ix = NULL;
    }
}

int e2u_store_read_renew(e2u_store_rd_t *rd)
{
    if (!rd)
        return E2U_EINVAL;
    txn_reset(rd); /* the index is kept when the snapshot stays the same */
    int rc = mdb_txn_renew(rd->txn);
    if (rc)
        return e2u__mdb_err(rd->s, rc, NULL, "renew a read transaction");
    for (int i = 0; i < C_COUNT; i++) {
        rc = mdb_cursor_renew(rd->txn, rd->cur[i]);
        if (rc) {
            mdb_txn_reset(rd->txn);
            return e2u__mdb_err(rd->s, rc, NULL, "renew a cursor");
        }
    }
    return after_begin(rd);
}

void e2u_store_read_end(e2u_store_rd_t *rd)
{
    if (!rd)
        return;
    for (int i = 0; i < C_COUNT; i++)
        if (rd->cur[i])
            mdb_cursor_close(rd->cur[i]);
    if (rd->txn)
        mdb_txn_abort(rd->txn);
    e2u__nidx_release(rd->ix);
    free(rd->zones);
    free(rd->pubs);
    free(rd->order);
    free(rd);
}

int e2u_store_zones(e2u_store_rd_t *rd, const e2u_store_zone_t **zones, size_t *n)
{
    *zones = rd->active ? rd->pubs : NULL;
    *n = rd->active ? rd->nzones : 0;
    return 0;
}

const zinfo_t *e2u__rd_zone(struct e2u_store_rd *rd, const uint8_t *origin)
{
    if (!rd->active)
        return NULL;
    for (size_t i = 0; i < rd->nzones; i++)
        if (e2u_dname_equal(rd->zones[i].origin, origin))
            return &rd->zones[i];
    return NULL;
}

int e2u_store_zone_get(e2u_store_rd_t *rd, const uint8_t *origin, const e2u_store_zone_t **zone)
{
    if (!rd || !origin || e2u_dname_wire_len(origin, 256) < 0)
        return E2U_EINVAL;
    const zinfo_t *z = e2u__rd_zone(rd, origin);
    if (!z)
        return E2U_ENOZONE;
    *zone = &rd->pubs[z - rd->zones];
    return 0;
}

/* --- lookups -----------------------------------------------------------------------------------
 */

/* Largest key <= key[klen] through cursor c. Returns 0 with *fk, or MDB_NOTFOUND. */
static int seek_le(MDB_cursor *c, const uint8_t *key, size_t klen, MDB_val *fk, MDB_val *fv)
{
    MDB_val k = {klen, (void *)key};
    int rc = mdb_cursor_get(c, &k, fv, MDB_SET_RANGE);
    if (rc == MDB_NOTFOUND)
        rc = mdb_cursor_get(c, &k, fv, MDB_LAST);
    else if (rc == 0 && (k.mv_size != klen || memcmp(k.mv_data, key, klen) != 0))
        rc = mdb_cursor_get(c, &k, fv, MDB_PREV);
    *fk = k;
    return rc;
}

/* Whether BCD key k (after the tag) holds digits d[n] followed by at least one more digit. */
static bool bcd_extends(const uint8_t *k, size_t klen, const uint8_t *dk, size_t dklen, size_t n)
{
    /* dk is the BCD of d[n]. Full octets must match; for odd n the last octet's high nibble. */
    size_t full = n / 2;
    if (klen < full || memcmp(k, dk, full) != 0)
        return false;
    if (n % 2) {
        if (klen < full + 1 || (k[full] & 0xf0) != (dk[full] & 0xf0))
            return false;
        return (k[full] & 0x0f) != 0; /* one more digit in the same octet */
    }
    (void)dklen;
    return klen > full;
}

typedef struct qctx {
    e2u_store_rd_t *rd;
    const zinfo_t *z;
    const uint8_t *q;
    size_t qlen;
    uint8_t off[128];
    unsigned nl;
    unsigned nrel;
    uint8_t key[4 + 256]; /* the names key */
    size_t klen;
    size_t kbound[128]; /* kbound[a]: key length with the top a relative labels */
    bool digit;         /* the relative labels are digits (<= 32) */
    char d[E2U_STORE_MAX_DIGITS + 1];
    uint8_t nkey[4 + 17]; /* number key: tag + BCD(d) */
    size_t nklen;
} qctx_t;

static void build_name_key(qctx_t *x)
{
    const zinfo_t *z = x->z;
    memcpy(x->key, z->tag, z->taglen);
    size_t o = z->taglen;
    x->kbound[0] = o;
    for (unsigned a = 1; a <= x->nrel; a++) {
        const uint8_t *l = x->q + x->off[x->nrel - a];
        x->key[o++] = l[0];
        for (unsigned j = 1; j <= l[0]; j++) {
            uint8_t c = l[j];
            x->key[o++] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c | 0x20) : c;
        }
        x->kbound[a] = o;
    }
    x->klen = o;
}

/* Visit the blocks whose prefixes are prefixes of d[0..n) (d itself included), longest first.
 * fn returns true to stop. Returns true if fn stopped. */
typedef bool (*block_fn)(void *arg, size_t plen, const uint8_t *v, size_t vlen);

static bool blocks_prefixes(qctx_t *x, size_t n, block_fn fn, void *arg)
{
    const zinfo_t *z = x->z;
    MDB_cursor *c = x->rd->cur[C_BLOCKS];
    uint8_t key[4 + 17];
    size_t cur = n;
    for (int guard = 0; guard < 2 * E2U_STORE_MAX_DIGITS + 4; guard++) {
        memcpy(key, z->tag, z->taglen);
        size_t kl = z->taglen + e2u__bcd_key(key + z->taglen, x->d, cur);
        MDB_val fk, fv;
        if (seek_le(c, key, kl, &fk, &fv) != 0)
            return false;
        if (fk.mv_size < z->taglen || memcmp(fk.mv_data, z->tag, z->taglen) != 0)
            return false;
        char p[2 * 17 + 1];
        size_t bl = fk.mv_size - z->taglen;
        if (bl > 16)
            return false;
        int pl = e2u__bcd_digits(p, (const uint8_t *)fk.mv_data + z->taglen, bl);
        if (pl < 0)
            return false;
        size_t l = 0;
        /* x->d[0..n) was filled by e2u__name_digits() (codec.c) before find_digits() ran; the
         * analyzer does not follow it there and takes d as unset */
        while (l < (size_t)pl && l < cur &&
               p[l] == x->d[l]) // NOLINT(clang-analyzer-core.UndefinedBinaryOperatorResult)
            l++;
        if (l == (size_t)pl) { /* a prefix of d[0..cur) */
            if (fn(arg, (size_t)pl, fv.mv_data, fv.mv_size))
                return true;
            if (pl == 0)
                return false;
            cur = (size_t)pl - 1;
        } else {
            cur = l;
        }
    }
    return false;
}

typedef struct cover_arg {
    unsigned T;
    size_t plen;
    const uint8_t *val;
    size_t vlen;
    unsigned L;
} cover_arg_t;

/* The block covers a name of total length T (exact length first, then "any"). */
static bool cover_fn(void *arg, size_t plen, const uint8_t *v, size_t vlen)
{
    cover_arg_t *a = arg;
    a->val = e2u__block_variant(v, vlen, a->T, &a->vlen, &a->L);
    a->plen = plen;
    return a->val != NULL;
}

/* For a block whose prefix is a prefix of A (or A), whether it covers a name at or below A
 * (strictly below with strict). A has n relative digits and total length T. */
typedef struct deeper_arg {
    unsigned T;
    size_t n;
    bool strict;
} deeper_arg_t;

static bool deeper_fn(void *arg, size_t plen, const uint8_t *v, size_t vlen)
{
    deeper_arg_t *a = arg;
    size_t p = 0;
    (void)plen;
    while (p < vlen) {
        unsigned L = v[p];
        uint32_t s;
        size_t k = e2u__ov_get(v + p + 1, vlen - p - 1, &s);
        if (!k || s > vlen - p - 1 - k)
            return false;
        if (L == 0 && (!a->strict || a->n < E2U_STORE_MAX_DIGITS))
            return true;
        if (L > a->T || (!a->strict && L == a->T))
            return true;
        p += 1 + k + s;
    }
    return false;
}

/*
 * Whether a block covers a name at or below A = d[0..n) (strictly below with strict): a block
 * whose prefix extends A always does (its names are at least as long as its prefix); a block
 * whose prefix is A or above it does when its length allows a name that long (deeper_fn).
 */
static bool blocks_at_or_below(qctx_t *x, size_t n, bool strict)
{
    const zinfo_t *z = x->z;
    uint8_t key[4 + 17];
    memcpy(key, z->tag, z->taglen);
    size_t dkl = e2u__bcd_key(key + z->taglen, x->d, n);
    MDB_val k = {z->taglen + dkl, key}, v;
    MDB_cursor *c = x->rd->cur[C_BLOCKS];
    int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    if (rc == 0 && k.mv_size == z->taglen + dkl && memcmp(k.mv_data, key, k.mv_size) == 0)
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT); /* A itself: deeper_fn below decides */
    if (rc == 0 && k.mv_size >= z->taglen && memcmp(k.mv_data, z->tag, z->taglen) == 0 &&
        bcd_extends((const uint8_t *)k.mv_data + z->taglen, k.mv_size - z->taglen, key + z->taglen,
                    dkl, n))
        return true;
    deeper_arg_t a = {(unsigned)(z->pub.prefix_len + n), n, strict};
    return blocks_prefixes(x, n, deeper_fn, &a);
}

/* Anything at or below the top a relative labels (a < nrel), for the closest encloser. */
static bool exists_at_or_below(qctx_t *x, unsigned a)
{
    if (a == 0)
        return true;
    const zinfo_t *z = x->z;
    if (z->rec.names) {
        MDB_val k = {x->kbound[a], x->key}, v;
        if (mdb_cursor_get(x->rd->cur[C_NAMES], &k, &v, MDB_SET_RANGE) == 0 &&
            k.mv_size >= x->kbound[a] && memcmp(k.mv_data, x->key, x->kbound[a]) == 0)
            return true;
    }
    if (!x->digit)
        return false;
    if (z->rec.numbers) {
        uint8_t key[4 + 17];
        memcpy(key, z->tag, z->taglen);
        size_t dkl = e2u__bcd_key(key + z->taglen, x->d, a);
        MDB_val k = {z->taglen + dkl, key}, v;
        MDB_cursor *c = x->rd->cur[z->rec.nbuf ? C_NUM1 : C_NUM0];
        if (mdb_cursor_get(c, &k, &v, MDB_SET_RANGE) == 0 && k.mv_size >= z->taglen &&
            memcmp(k.mv_data, z->tag, z->taglen) == 0) {
            const uint8_t *kb = (const uint8_t *)k.mv_data + z->taglen;
            size_t kbl = k.mv_size - z->taglen;
            if ((kbl == dkl && memcmp(kb, key + z->taglen, dkl) == 0) ||
                bcd_extends(kb, kbl, key + z->taglen, dkl, a))
                return true;
        }
    }
    if (z->rec.blocks && blocks_at_or_below(x, a, false))
        return true;
    return false;
}

static int fill_names(qctx_t *x, e2u_store_answer_t *ans, const MDB_val *v, e2u_store_kind_t k)
{
    ans->kind = k;
    ans->rrsets = v->mv_data;
    ans->rrsets_len = v->mv_size;
    return 0;
    (void)x;
}

static int wildcard(qctx_t *x, e2u_store_answer_t *ans)
{
    /* closest encloser: the deepest proper ancestor at or below which something exists */
    unsigned a = x->nrel;
    while (a-- > 0)
        if (exists_at_or_below(x, a))
            break;
    uint8_t wk[4 + 256 + 2];
    size_t b = x->kbound[a];
    if (b + 2 > sizeof(wk))
        return 0;
    memcpy(wk, x->key, b);
    wk[b] = 1;
    wk[b + 1] = '*';
    MDB_val k = {b + 2, wk}, v;
    if (mdb_get(x->rd->txn, x->rd->s->dbi[DB_NAMES], &k, &v) != 0)
        return 0;
    /* owner: "*" + the encloser (the query's last labels from the encloser up) */
    size_t start = (a == x->nrel) ? 0 : x->off[x->nrel - a];
    if (a == 0)
        start = x->off[x->nrel - 1] + 1u + x->q[x->off[x->nrel - 1]];
    size_t rest = x->qlen - start;
    if (rest + 2 > sizeof(x->rd->owner))
        return 0;
    x->rd->owner[0] = 1;
    x->rd->owner[1] = '*';
    e2u__dname_lower(x->rd->owner + 2, x->q + start);
    ans->owner = x->rd->owner;
    ans->owner_len = rest + 2;
    return fill_names(x, ans, &v, E2U_STORE_WILDCARD);
}

static int expand_into(qctx_t *x, const uint8_t *val, size_t vlen, const char *full, size_t flen,
                       uint8_t *buf, size_t cap, e2u_store_answer_t *ans, e2u_store_kind_t kind)
{
    e2u_store_rd_t *rd = x->rd;
    uint32_t tid;
    size_t k = e2u__ov_get(val, vlen, &tid);
    if (!k)
        return E2U_ECORRUPT;
    tcache_t *tc = &rd->tc[tid % TCACHE];
    if (tc->gen != rd->gen || tc->tid != tid) {
        const uint8_t *t;
        size_t tl;
        if (e2u__tmpl_get(rd->s, rd->txn, tid, &t, &tl) < 0)
            return E2U_ECORRUPT;
        tc->tid = tid;
        tc->gen = rd->gen;
        tc->t = t;
        tc->len = tl;
    }
    int n = e2u__tmpl_expand(tc->t, tc->len, full, flen, val + k, vlen - k, buf, cap);
    if (n < 0)
        return n;
    ans->kind = kind;
    ans->rrsets = buf;
    ans->rrsets_len = (size_t)n;
    return 0;
}

/* The numbers key of d[0..n) in x's zone into x->nkey, x->nklen; returns the BCD part's length. */
static size_t number_key(qctx_t *x, size_t n)
{
    memcpy(x->nkey, x->z->tag, x->z->taglen);
    size_t dkl = e2u__bcd_key(x->nkey + x->z->taglen, x->d, n);
    x->nklen = x->z->taglen + dkl;
    return dkl;
}

/* The answer for the number entry whose value is v: the full number full[flen] and its RRset. */
static int number_answer(qctx_t *x, const MDB_val *v, const char *full, size_t flen, uint8_t *buf,
                         size_t cap, e2u_store_answer_t *ans)
{
    ans->number[0] = '+';
    size_t nl = flen + 1 <= sizeof(ans->number) - 1 ? flen + 1 : sizeof(ans->number) - 1;
    memcpy(ans->number + 1, full, nl);
    ans->number[sizeof(ans->number) - 1] = '\0';
    return expand_into(x, v->mv_data, v->mv_size, full, flen, buf, cap, ans, E2U_STORE_NUMBER);
}

static int find_digits(qctx_t *x, uint8_t *buf, size_t cap, e2u_store_answer_t *ans)
{
    const zinfo_t *z = x->z;
    size_t n = x->nrel;
    size_t zp = z->pub.prefix_len;
    char full[128 + E2U_STORE_MAX_DIGITS + 1];
    memcpy(full, z->prefix, zp);
    memcpy(full + zp, x->d, n);
    full[zp + n] = '\0';
    bool below = false;

    size_t dkl = number_key(x, n);
    if (z->rec.numbers) {
        MDB_val k = {x->nklen, x->nkey}, v;
        /* the index knows the number: the exact match below, without the descent */
        if (x->rd->ix && e2u__nidx_get(x->rd->ix, x->nkey, x->nklen, &v)) {
            ans->indexed = true;
            return number_answer(x, &v, full, zp + n, buf, cap, ans);
        }
        MDB_cursor *c = x->rd->cur[z->rec.nbuf ? C_NUM1 : C_NUM0];
        /* or it knows there is no such number, nor one below it */
        int rc = x->rd->ix && e2u__nidx_complete_to(x->rd->ix, n)
                     ? MDB_NOTFOUND
                     : mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        if (rc == 0 && k.mv_size >= z->taglen && memcmp(k.mv_data, z->tag, z->taglen) == 0) {
            const uint8_t *kb = (const uint8_t *)k.mv_data + z->taglen;
            size_t kbl = k.mv_size - z->taglen;
            if (kbl == dkl && memcmp(kb, x->nkey + z->taglen, dkl) == 0)
                return number_answer(x, &v, full, zp + n, buf, cap, ans);
            below = bcd_extends(kb, kbl, x->nkey + z->taglen, dkl, n);
        }
    }
    if (z->rec.digit_names) {
        if (!x->klen)
            build_name_key(x);
        MDB_val k = {x->klen, x->key}, v;
        if (mdb_get(x->rd->txn, x->rd->s->dbi[DB_NAMES], &k, &v) == 0)
            return fill_names(x, ans, &v, E2U_STORE_NAME);
    }
    if (z->rec.blocks) {
        cover_arg_t ca = {(unsigned)(zp + n), 0, NULL, 0, 0};
        if (blocks_prefixes(x, n, cover_fn, &ca)) {
            ans->number[0] = '+';
            memcpy(ans->number + 1, full, zp + n + 1);
            e2u__block_text(ans->block, sizeof(ans->block), full, zp + ca.plen, ca.L);
            return expand_into(x, ca.val, ca.vlen, full, zp + n, buf, cap, ans, E2U_STORE_BLOCK);
        }
    }
    if (!below && z->rec.names) {
        if (!x->klen)
            build_name_key(x);
        MDB_val k = {x->klen, x->key}, v;
        int rc = mdb_cursor_get(x->rd->cur[C_NAMES], &k, &v, MDB_SET_RANGE);
        if (rc == 0 && k.mv_size == x->klen && memcmp(k.mv_data, x->key, x->klen) == 0)
            rc = mdb_cursor_get(x->rd->cur[C_NAMES], &k, &v, MDB_NEXT);
        if (rc == 0 && k.mv_size > x->klen && memcmp(k.mv_data, x->key, x->klen) == 0)
            below = true;
    }
    if (!below && z->rec.blocks)
        below = blocks_at_or_below(x, n, true);
    if (below) {
        ans->kind = E2U_STORE_ENT;
        return 0;
    }
    if (z->rec.wild) {
        if (!x->klen)
            build_name_key(x);
        return wildcard(x, ans);
    }
    return 0;
}

static int find_name(qctx_t *x, e2u_store_answer_t *ans)
{
    const zinfo_t *z = x->z;
    if (!x->klen)
        build_name_key(x);
    if (z->rec.names) {
        MDB_val k = {x->klen, x->key}, v;
        int rc = mdb_cursor_get(x->rd->cur[C_NAMES], &k, &v, MDB_SET_RANGE);
        if (rc == 0 && k.mv_size == x->klen && memcmp(k.mv_data, x->key, x->klen) == 0)
            return fill_names(x, ans, &v, E2U_STORE_NAME);
        if (rc == 0 && k.mv_size > x->klen && memcmp(k.mv_data, x->key, x->klen) == 0) {
            ans->kind = E2U_STORE_ENT;
            return 0;
        }
    }
    if (z->rec.wild)
        return wildcard(x, ans);
    return 0;
}

/* The deepest zone cut at or above the name, if any. */
static int find_cut(qctx_t *x, e2u_store_answer_t *ans, bool *found)
{
    const zinfo_t *z = x->z;
    MDB_cursor *c = x->rd->cur[C_CUTS];
    size_t cur = x->klen;
    *found = false;
    for (int guard = 0; guard < 600; guard++) {
        MDB_val fk, fv;
        if (seek_le(c, x->key, cur, &fk, &fv) != 0)
            return 0;
        if (fk.mv_size <= z->taglen || memcmp(fk.mv_data, z->tag, z->taglen) != 0)
            return 0;
        size_t l = 0, m = fk.mv_size < cur ? fk.mv_size : cur;
        const uint8_t *fb = fk.mv_data;
        while (l < m && fb[l] == x->key[l])
            l++;
        if (l == fk.mv_size) {
            /* a cut: count its labels to find it in the query */
            unsigned a = 0;
            while (a < x->nrel && x->kbound[a] < fk.mv_size)
                a++;
            if (x->kbound[a] != fk.mv_size)
                return 0;
            MDB_val k = {fk.mv_size, fk.mv_data}, v;
            if (mdb_get(x->rd->txn, x->rd->s->dbi[DB_NAMES], &k, &v) != 0)
                return E2U_ECORRUPT;
            size_t start = x->off[x->nrel - a];
            ans->owner = x->q + start;
            ans->owner_len = x->qlen - start;
            *found = true;
            return fill_names(x, ans, &v, E2U_STORE_DELEGATION);
        }
        if (l <= z->taglen)
            return 0;
        cur = l;
    }
    return 0;
}

/* Validate qname[qlen] and find its labels (no compression, within qlen and 255) and its zone
 * into x. Returns 0 (x->z NULL when no zone holds it) or E2U_EDNAME. */
static int locate(e2u_store_rd_t *rd, const uint8_t *qname, size_t qlen, qctx_t *x)
{
    size_t i = 0;
    unsigned nl = 0;
    for (;;) {
        if (i >= qlen || i >= E2U_DNAME_MAX)
            return E2U_EDNAME;
        uint8_t l = qname[i];
        if (l == 0)
            break;
        if (l & 0xc0 || i + 1u + l >= qlen || nl == 127)
            return E2U_EDNAME;
        x->off[nl++] = (uint8_t)i;
        i += 1u + l;
    }
    x->rd = rd;
    x->q = qname;
    x->qlen = i + 1;
    x->nl = nl;
    x->klen = 0;
    x->z = e2u__zone_match(rd->zones, rd->order, rd->nzones, qname, x->off, x->nl);
    return 0;
}

static int find(e2u_store_rd_t *rd, const uint8_t *qname, size_t qlen, uint8_t *buf, size_t cap,
                e2u_store_answer_t *ans, bool cuts)
{
    if (!ans)
        return E2U_EINVAL;
    /* ans is defined on every return, errors included: e2u_store_naptr() hands ans->kind out
     * even when the find failed */
    ans->kind = E2U_STORE_NXDOMAIN;
    ans->zone = NULL;
    ans->rrsets = NULL;
    ans->rrsets_len = 0;
    ans->indexed = false;
    if (!rd || !qname || !rd->active)
        return E2U_EINVAL;
    qctx_t x;
    if (locate(rd, qname, qlen, &x) < 0)
        return E2U_EDNAME;
    int ql = (int)x.qlen;
    ans->kind = E2U_STORE_NXDOMAIN;
    ans->zone = NULL;
    ans->owner = qname;
    ans->owner_len = (size_t)ql;
    ans->rrsets = NULL;
    ans->rrsets_len = 0;
    ans->number[0] = '\0';
    ans->block[0] = '\0';
    if (!x.z)
        return E2U_ENOZONE;
    const zinfo_t *z = x.z;
    ans->zone = &rd->pubs[z - rd->zones];
    x.nrel = x.nl - z->labels;
    if (x.nrel == 0) {
        ans->kind = E2U_STORE_APEX;
        ans->rrsets = z->apex;
        ans->rrsets_len = z->apex_len;
        return 0;
    }
    if (cuts && z->rec.cuts) {
        build_name_key(&x);
        bool found;
        int r = find_cut(&x, ans, &found);
        if (r < 0 || found)
            return r;
    }
    x.digit = x.nrel <= E2U_STORE_MAX_DIGITS && e2u__name_digits(qname, x.off, x.nrel, x.d);
    if (x.digit)
        return find_digits(&x, buf, cap, ans);
    return find_name(&x, ans);
}

void e2u_store_prefetch(e2u_store_rd_t *rd, const uint8_t *qname, size_t qlen, unsigned step)
{
    qctx_t x;
    if (!rd || !rd->active || !rd->ix || !qname || locate(rd, qname, qlen, &x) < 0 || !x.z ||
        !x.z->rec.numbers)
        return;
    unsigned nrel = x.nl - x.z->labels;
    if (nrel == 0 || nrel > E2U_STORE_MAX_DIGITS || !e2u__name_digits(qname, x.off, nrel, x.d))
        return;
    number_key(&x, nrel);
    e2u__nidx_prefetch(rd->ix, x.nkey, x.nklen, step);
}

int e2u_store_find(e2u_store_rd_t *rd, const uint8_t *qname, size_t qlen, uint8_t *buf, size_t cap,
                   e2u_store_answer_t *ans)
{
    return find(rd, qname, qlen, buf, cap, ans, true);
}

int e2u_store_find_glue(e2u_store_rd_t *rd, const uint8_t *qname, size_t qlen, uint8_t *buf,
                        size_t cap, e2u_store_answer_t *ans)
{
    return find(rd, qname, qlen, buf, cap, ans, false);
}

int e2u_store_answer_rrset(const e2u_store_answer_t *a, uint16_t type, e2u_store_rrset_t *out)
{
    size_t pos = 0;
    while (e2u_store_rrset_next(a->rrsets, a->rrsets_len, &pos, out))
        if (out->type == type)
            return 0;
    return E2U_ENOENT;
}

int e2u_store_naptr(e2u_store_rd_t *rd, const uint8_t *qname, size_t qlen, uint8_t *buf, size_t cap,
                    e2u_rdata_t *rr, size_t max, size_t *n, e2u_store_kind_t *kind)
{
    e2u_store_answer_t a;
    *n = 0;
    int r = e2u_store_find(rd, qname, qlen, buf, cap, &a);
    if (kind)
        *kind = a.kind;
    if (r < 0)
        return r;
    if (a.kind == E2U_STORE_DELEGATION)
        return 0;
    e2u_store_rrset_t rs;
    if (e2u_store_answer_rrset(&a, E2U_STORE_TYPE_NAPTR, &rs) < 0)
        return 0;
    size_t pos = 0;
    const uint8_t *rd_;
    uint16_t len;
    while (e2u_store_rdata_next(&rs, &pos, &rd_, &len)) {
        if (*n >= max)
            return E2U_ENOSPC;
        rr[*n].data = rd_;
        rr[*n].len = len;
        (*n)++;
    }
    return 0;
}

int e2u_store_naptr_number(e2u_store_rd_t *rd, const char *number, const uint8_t *suffix,
                           uint8_t *buf, size_t cap, e2u_rdata_t *rr, size_t max, size_t *n,
                           e2u_store_kind_t *kind)
{
    if (!number || !suffix || !n)
        return E2U_EINVAL;
    *n = 0;
    if (*number == '+')
        number++;
    size_t nd = strlen(number);
    int sl = e2u_dname_wire_len(suffix, 256);
    if (nd == 0 || sl < 0 || 2 * nd + (size_t)sl > 255)
        return sl < 0 ? E2U_EDNAME : E2U_ENUMBER;
    for (size_t i = 0; i < nd; i++)
        if (number[i] < '0' || number[i] > '9')
            return E2U_ENUMBER;
    uint8_t q[256];
    size_t ql = e2u__digits_name(q, number, nd, suffix, (size_t)sl);
    return e2u_store_naptr(rd, q, ql, buf, cap, rr, max, n, kind);
}
