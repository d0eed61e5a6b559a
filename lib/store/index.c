/*
 * lib/store/index.c — the number index: a hash table in memory from a number's key to where
 * its entry lies in one snapshot of the store.
 *
 * Why. A reader finds a number with one descent of the numbers B-tree: branch pages, then a
 * binary search of the leaf page's node offsets and keys, about twenty dependent loads. On a
 * store larger than the caches most of them miss, and in e2ud that descent was the largest
 * share of a query's user time (about 1 µs of 5 on a 1 M-number store, perf, issue 5). The
 * index answers "is this exact key in the numbers tree, and where is its value" with one
 * cache line of the table and the entry's own line in the map.
 *
 * What. One index describes one snapshot (an LMDB transaction id). It holds, for every entry
 * of every zone's live numbers tree, the entry's place in the map: the key's offset from the
 * map's start, the key length and the value length; the value follows the key in the same
 * leaf node (LMDB keeps a node's key and its data together unless the data went to overflow
 * pages; such entries, and any key or value too long for the slot, are simply left out and
 * found through the B-tree). A slot is 64 bits:
 *
 *     bits  0-39  offset of the key in the map (0: empty; the map begins with LMDB's meta pages)
 *     bits 40-44  key length (1-31; numbers keys are at most 4 + 17)
 *     bits 45-56  value length (0-4095)
 *     bits 57-63  seven more bits of the key's hash, so most mismatches cost no load of the map
 *
 * Slots are grouped in buckets of eight, one cache line; a key hashes to a bucket and is put in
 * the first free slot from there on (linear probing by buckets), at most 75 % full, so a probe
 * reads one line and rarely two. On a 1 M-number store the table is 10.5 MiB against 22 MiB
 * of store.
 *
 * Never a different answer. A key found in the index is compared in full with the map's key
 * before it is used. A key not found is looked up in the B-tree as before (a number that is
 * absent, below another, covered by a block, ...), with one exception that needs no B-tree to
 * be exact: when the index holds every number entry of the snapshot (none was left out, see
 * above) and the name has at least as many digits as the longest number of any zone, no number
 * is that name and none lies below it (e2u__nidx_complete_to). That is the common absent number
 * of a number-portability zone, whose numbers all have the same length: a tenth of the queries
 * of ../shared/bench, which otherwise each paid the descent the index exists to save. The
 * other trees (blocks, names) are still asked as before. An index may be used only by a
 * reader of the very snapshot it was built from (its pages cannot be reused while that reader
 * holds them, and the newest snapshot's never are): e2u_store_read_renew picks it up when the
 * transaction ids agree and leaves it alone otherwise.
 *
 * Life. e2u_store_index_refresh builds an index of the latest snapshot (a cursor walk over the
 * numbers trees and a table insert each: 0.15 s for 1 M numbers, 26-32 s for 100 M) and publishes
 * it in the store handle, under a mutex that readers take only when their snapshot changed or after
 * a reset. Indexes are reference-counted: the handle holds one reference, each reader using one
 * holds another (an idle, reset reader none), and the last to let go frees it. Who calls refresh,
 * and when, is the caller's policy (e2ud: server/indexer.c).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "store/internal.h"

#define SLOTS_PER_BUCKET 8
#define OFF_BITS         40
#define OFF_MASK         (((uint64_t)1 << OFF_BITS) - 1)
#define KLEN_SHIFT       40
#define KLEN_MAX         31
#define VLEN_SHIFT       45
#define VLEN_MAX         4095
#define TAG_SHIFT        57
/* the bits that must equal those of the key looked for: its length and its hash tag */
#define MATCH_MASK ((uint64_t)KLEN_MAX << KLEN_SHIFT | (uint64_t)0x7f << TAG_SHIFT)

struct e2u__nidx {
    size_t txnid;        /* the snapshot described */
    const uint8_t *base; /* the map the offsets are from */
    uint64_t *slots;     /* nbuckets x SLOTS_PER_BUCKET, 64-byte aligned */
    size_t nbuckets;
    size_t entries;
    size_t bytes;
    bool complete;     /* every number entry of the snapshot is in the table */
    size_t max_digits; /* the most digits below its zone of a number, over all zones */
    atomic_size_t refs;
};

/* The table: zeroed, in 2 MiB pages where the kernel gives them (a lookup's one random access
 * to it then costs no page-table walk: a 10 MiB table spans more 4 KiB pages than the TLB
 * holds). Mapped anonymous so it goes back to the kernel whole when freed. */
#define HUGE_PAGE ((size_t)2 << 20)

/* The length mapped for a table of bytes: whole huge pages. */
static size_t table_len(size_t bytes)
{
    return (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
}

static uint64_t *table_alloc(size_t bytes)
{
    size_t len = table_len(bytes);
    /* over-allocate by one huge page to align the table to one */
    uint8_t *p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    uint8_t *a = (uint8_t *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (a > p)
        munmap(p, (size_t)(a - p));
    munmap(a + len, (size_t)(p + HUGE_PAGE - a)); /* the rest after the table, never empty */
    madvise(a, len, MADV_HUGEPAGE); /* a hint: 4 KiB pages without it */
    return (uint64_t *)a;
}

static void table_free(uint64_t *t, size_t bytes)
{
    if (t)
        munmap(t, table_len(bytes));
}

/* A 64-bit hash of a key of up to 32 octets (longer keys are never indexed): the key is read as
 * four words, zero-padded, each multiplied by its own odd constant, and the sum mixed. */
static uint64_t key_hash(const uint8_t *k, size_t n)
{
    uint64_t w[4] = {0, 0, 0, 0};
    memcpy(w, k, n < sizeof(w) ? n : sizeof(w));
    uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15u;
    h += w[0] * 0xbf58476d1ce4e5b9u;
    h += (w[1] ^ (h >> 31)) * 0x94d049bb133111ebu;
    h += (w[2] ^ (h >> 29)) * 0xc2b2ae3d27d4eb4fu;
    h += (w[3] ^ (h >> 32)) * 0x165667b19e3779f9u;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 29;
    return h;
}

/* The bucket of a hash: its high 32 bits scaled to the bucket count (no power of two needed). */
static inline size_t bucket_of(uint64_t h, size_t nbuckets)
{
    return (size_t)(((h >> 32) * (uint64_t)nbuckets) >> 32);
}

static inline uint64_t tag_of(uint64_t h)
{
    return (h >> 8) & 0x7f;
}

static inline uint64_t slot_make(uint64_t off, size_t klen, size_t vlen, uint64_t h)
{
    return off | (uint64_t)klen << KLEN_SHIFT | (uint64_t)vlen << VLEN_SHIFT |
           tag_of(h) << TAG_SHIFT;
}

/* What MATCH_MASK of a slot holding the key of length klen and hash h is. */
static inline uint64_t slot_match(size_t klen, uint64_t h)
{
    return (uint64_t)klen << KLEN_SHIFT | tag_of(h) << TAG_SHIFT;
}

static void insert(e2u__nidx_t *ix, uint64_t h, uint64_t slot)
{
    size_t b = bucket_of(h, ix->nbuckets);
    for (;;) {
        uint64_t *s = ix->slots + b * SLOTS_PER_BUCKET;
        for (int i = 0; i < SLOTS_PER_BUCKET; i++)
            if (s[i] == 0) {
                s[i] = slot;
                return;
            }
        if (++b == ix->nbuckets)
            b = 0; /* the table is at most 3/4 full: a free slot exists */
    }
}

/* Add the entries of one numbers tree range (one zone) to the index. */
static int add_zone(e2u__nidx_t *ix, MDB_txn *txn, MDB_dbi dbi, const zinfo_t *z,
                    const uint8_t *map, size_t used, size_t *room, const e2u_store_index_opts_t *o)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, dbi, &c);
    if (rc)
        return rc;
    MDB_val k = {z->taglen, (void *)z->tag}, v;
    for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        if (k.mv_size < z->taglen || memcmp(k.mv_data, z->tag, z->taglen) != 0)
            break; /* past the zone's range */
        const uint8_t *kp = k.mv_data;
        if (k.mv_size <= z->taglen || k.mv_size > KLEN_MAX || v.mv_size > VLEN_MAX ||
            (const uint8_t *)v.mv_data != kp + k.mv_size || kp <= map ||
            kp + k.mv_size + v.mv_size > map + used || (uint64_t)(kp - map) > OFF_MASK) {
            ix->complete = false;
            continue; /* not where the slot can say: the B-tree finds it */
        }
        if (*room == 0) {
            ix->complete = false;
            break; /* more entries than the zone records said: the rest go the B-tree way */
        }
        if (o->stop && (ix->entries & 4095) == 0 && o->stop(o->stop_arg)) {
            mdb_cursor_close(c);
            return E2U_ECANCELED;
        }
        (*room)--;
        /* two BCD digits an octet, the last octet's low half 0 for an odd count (codec.c) */
        size_t digits = 2 * (k.mv_size - z->taglen) - ((kp[k.mv_size - 1] & 0x0f) == 0);
        if (digits > ix->max_digits)
            ix->max_digits = digits;
        uint64_t h = key_hash(kp, k.mv_size);
        insert(ix, h, slot_make((uint64_t)(kp - map), k.mv_size, v.mv_size, h));
        ix->entries++;
    }
    mdb_cursor_close(c);
    return rc == MDB_NOTFOUND ? 0 : rc;
}

int e2u__nidx_build(e2u_store_t *s, MDB_txn *txn, const zinfo_t *zones, size_t nzones,
                    const e2u_store_index_opts_t *opts, e2u__nidx_t **out)
{
    *out = NULL;
    void *mapaddr;
    size_t used;
    int mr = e2u_store_mapping(s, &mapaddr, &used);
    if (mr < 0)
        return mr;
    const uint8_t *map = mapaddr;
    uint64_t n = 0;
    for (size_t i = 0; i < nzones; i++)
        n += zones[i].rec.numbers;
    /* buckets for n entries at most 3/4 full */
    uint64_t nb = (n * 4 / 3 + SLOTS_PER_BUCKET - 1) / SLOTS_PER_BUCKET + 1;
    if (nb > SIZE_MAX / (SLOTS_PER_BUCKET * sizeof(uint64_t)) || nb >> 32 ||
        (opts->max_bytes && nb * SLOTS_PER_BUCKET * sizeof(uint64_t) > opts->max_bytes))
        return E2U_ENOSPC;
    e2u__nidx_t *ix = calloc(1, sizeof(*ix));
    if (!ix)
        return E2U_ENOMEM;
    ix->bytes = (size_t)nb * SLOTS_PER_BUCKET * sizeof(uint64_t);
    ix->slots = table_alloc(ix->bytes);
    if (!ix->slots) {
        free(ix);
        return E2U_ENOMEM;
    }
    ix->nbuckets = (size_t)nb;
    ix->base = map;
    ix->txnid = mdb_txn_id(txn);
    ix->complete = true;
    atomic_init(&ix->refs, 1);
    size_t room = (size_t)n;
    for (size_t i = 0; i < nzones; i++) {
        if (!zones[i].rec.numbers)
            continue;
        int rc = add_zone(ix, txn, e2u__numdb(s, &zones[i]), &zones[i], map, used, &room, opts);
        if (rc) {
            e2u__nidx_release(ix);
            return rc == E2U_ECANCELED ? rc : e2u__mdb_err(s, rc, NULL, "index the numbers");
        }
    }
    *out = ix;
    return 0;
}

bool e2u__nidx_get(const e2u__nidx_t *ix, const uint8_t *key, size_t klen, MDB_val *val)
{
    if (klen == 0 || klen > KLEN_MAX)
        return false;
    uint64_t h = key_hash(key, klen);
    uint64_t want = slot_match(klen, h);
    size_t b = bucket_of(h, ix->nbuckets);
    for (size_t seen = 0; seen < ix->nbuckets; seen++) {
        const uint64_t *s = ix->slots + b * SLOTS_PER_BUCKET;
        for (int i = 0; i < SLOTS_PER_BUCKET; i++) {
            uint64_t x = s[i];
            if (x == 0)
                return false; /* a free slot ends the probe */
            if ((x & MATCH_MASK) != want)
                continue;
            const uint8_t *kp = ix->base + (x & OFF_MASK);
            if (memcmp(kp, key, klen) == 0) {
                val->mv_data = (void *)(kp + klen);
                val->mv_size = (size_t)(x >> VLEN_SHIFT) & VLEN_MAX;
                return true;
            }
        }
        if (++b == ix->nbuckets)
            b = 0;
    }
    return false;
}

bool e2u__nidx_complete_to(const e2u__nidx_t *ix, size_t ndigits)
{
    return ix->complete && ndigits >= ix->max_digits;
}

void e2u__nidx_prefetch(const e2u__nidx_t *ix, const uint8_t *key, size_t klen, unsigned step)
{
    if (klen == 0 || klen > KLEN_MAX)
        return;
    uint64_t h = key_hash(key, klen);
    const uint64_t *s = ix->slots + bucket_of(h, ix->nbuckets) * SLOTS_PER_BUCKET;
    if (step == 0) {
        __builtin_prefetch(s);
        return;
    }
    /* the bucket has arrived (or this waits for it): the first slot that may be the key */
    uint64_t want = slot_match(klen, h);
    for (int i = 0; i < SLOTS_PER_BUCKET && s[i]; i++)
        if ((s[i] & MATCH_MASK) == want) {
            __builtin_prefetch(ix->base + (s[i] & OFF_MASK));
            return;
        }
}

size_t e2u__nidx_txnid(const e2u__nidx_t *ix)
{
    return ix->txnid;
}

e2u__nidx_t *e2u__nidx_ref(e2u__nidx_t *ix)
{
    atomic_fetch_add_explicit(&ix->refs, 1, memory_order_relaxed);
    return ix;
}

void e2u__nidx_release(e2u__nidx_t *ix)
{
    if (ix && atomic_fetch_sub_explicit(&ix->refs, 1, memory_order_acq_rel) == 1) {
        table_free(ix->slots, ix->bytes);
        free(ix);
    }
}

/* --- the store's published index ------------------------------------------------------------- */

int e2u_store_index_refresh(e2u_store_t *s, const e2u_store_index_opts_t *opts,
                            e2u_store_index_info_t *info)
{
    static const e2u_store_index_opts_t defaults = {0};
    if (!s)
        return E2U_EINVAL;
    if (!opts)
        opts = &defaults;
    e2u_store_rd_t *rd;
    int rc = e2u_store_read_begin(s, &rd);
    if (rc < 0)
        return rc;
    MDB_txn *txn = e2u__rd_txn(rd);
    size_t txnid = mdb_txn_id(txn);
    e2u__nidx_t *ix = e2u__nidx_pick(s, txnid); /* current already? */
    bool built = false;
    if (!ix) {
        size_t nz;
        const zinfo_t *zones = e2u__rd_zones(rd, &nz);
        rc = e2u__nidx_build(s, txn, zones, nz, opts, &ix);
        if (rc == 0) {
            pthread_mutex_lock(&s->ix_lock);
            e2u__nidx_t *old = s->ix;
            s->ix = e2u__nidx_ref(ix); /* the handle's reference */
            atomic_store_explicit(&s->ix_txnid, txnid, memory_order_release);
            pthread_mutex_unlock(&s->ix_lock);
            e2u__nidx_release(old);
            built = true;
        }
    }
    if (info) {
        info->commit = txnid;
        info->built = built;
        info->entries = ix ? ix->entries : 0;
        info->bytes = ix ? ix->bytes : 0;
    }
    e2u__nidx_release(ix);
    e2u_store_read_end(rd);
    return rc;
}

void e2u_store_index_drop(e2u_store_t *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->ix_lock);
    e2u__nidx_t *old = s->ix;
    s->ix = NULL;
    atomic_store_explicit(&s->ix_txnid, 0, memory_order_release);
    pthread_mutex_unlock(&s->ix_lock);
    e2u__nidx_release(old);
}

size_t e2u_store_commit_id(e2u_store_t *s)
{
    MDB_envinfo ei;
    if (!s || mdb_env_info(s->env, &ei) != 0)
        return 0;
    return ei.me_last_txnid;
}

e2u__nidx_t *e2u__nidx_pick(e2u_store_t *s, size_t txnid)
{
    if (atomic_load_explicit(&s->ix_txnid, memory_order_acquire) != txnid)
        return NULL;
    pthread_mutex_lock(&s->ix_lock);
    e2u__nidx_t *ix = s->ix && s->ix->txnid == txnid ? e2u__nidx_ref(s->ix) : NULL;
    pthread_mutex_unlock(&s->ix_lock);
    return ix;
}
