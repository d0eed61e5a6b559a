/*
 * lib/store/internal.h — what the files of the store share: the LMDB layout, the key and value
 * encodings, and internal (e2u__store_*) functions. Not installed, not public.
 *
 * The layout (format version 1). One LMDB environment, named databases:
 *
 *   meta     "version" -> u32 1; "zone_next" -> u32; "tmpl_next" -> u32.
 *   zones    origin (wire, lower case) -> zone record (zrec_t, below).
 *   n0, n1   numbers: TAG | BCD(digits) -> TID | params. Two trees so that a bulk import
 *            builds a zone's numbers in the tree it does not use, in key order with MDB_APPEND
 *            (full pages), and drops the old ones: the zone record says which tree is live.
 *   blocks   TAG | BCD(prefix) -> variants: u8 total length (0 = any) | ovarint size | TID |
 *            params.
 *   names    TAG | labels from the origin down (length octet + lower-case octets each) ->
 *            RRsets blob (store.h's format). The apex is TAG alone.
 *   cuts     the names keys of the zone's delegation points (NS below the apex) -> empty.
 *   tmpl     TID (u32, MDB_INTEGERKEY) -> u32 refcount | template (below).
 *   tidx     64-bit hash of a template -> TIDs with that hash (MDB_DUPSORT), for deduplication.
 *   journal  zone id (u32) | sequence (u64) -> one change (journal.c).
 *
 * TAG is the zone id as an ordered varint (ovarint: 1 octet below 128, 2 below 16512, ...,
 * order preserving and prefix-free), so each zone's keys are one contiguous range and a new
 * zone sorts after every older one.
 *
 * BCD keys: digit d is the nibble d+1, high nibble first; an odd count leaves a 0 nibble. Keys
 * then sort as the digit strings do, a prefix before its extensions: "21" < "215" < "2150" <
 * "216", so everything below a prefix is one contiguous range (empty non-terminals, blocks).
 *
 * A template is an RRset with holes:
 *     u16 type | u32 ttl | u8 nparams | u8 nrec | nrec x ( u16 size | record )
 *     record: ORDER PREFERENCE FLAGS SERVICES (as in RDATA) | u16 size | regexp | REPLACEMENT
 * In the regexp the octet 0xFF starts an escape: FF 00 is a literal 0xFF, FF (01+k) the owner's
 * full number without its first k digits, FF (40+i) parameter i. A number's value is the TID and
 * its parameters, each a header octet (digit count) and the digits in BCD (nibble = digit).
 */
#ifndef E2U_STORE_INTERNAL_H
#define E2U_STORE_INTERNAL_H

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "e2u/dname.h"
#include "e2u/store.h"

#if defined(__GNUC__)
#define E2U__SPRINTF(f, a) __attribute__((format(printf, f, a)))
#define E2U__SLIKELY(x)    __builtin_expect(!!(x), 1)
#define E2U__SUNLIKELY(x)  __builtin_expect(!!(x), 0)
#else
#define E2U__SPRINTF(f, a)
#define E2U__SLIKELY(x)   (x)
#define E2U__SUNLIKELY(x) (x)
#endif

#define E2U__STORE_VERSION 1u

enum {
    DB_META,
    DB_ZONES,
    DB_NUM0,
    DB_NUM1,
    DB_BLOCKS,
    DB_NAMES,
    DB_CUTS,
    DB_TMPL,
    DB_TIDX,
    DB_JOURNAL,
    DB_COUNT
};

typedef struct e2u__nidx e2u__nidx_t;

struct e2u_store {
    MDB_env *env;
    MDB_dbi dbi[DB_COUNT];
    char *path;
    bool read_only;
    size_t map_size; /* as opened */
    unsigned journal_max;
    size_t journal_max_rrs;
    uint64_t journal_max_bytes;
    pthread_mutex_t ix_lock; /* guards ix (index.c) */
    e2u__nidx_t *ix;         /* the published number index, or NULL */
    atomic_size_t ix_txnid;  /* its snapshot (0: none), read without the lock */
};

/* The zone record (zones database), fixed layout, big-endian. */
typedef struct zrec {
    uint32_t id;
    uint8_t nbuf; /* live numbers tree: 0 = n0, 1 = n1 */
    uint32_t default_ttl;
    uint64_t numbers;
    uint64_t blocks;      /* (prefix, length) pairs */
    uint64_t names;       /* ordinary names other than the apex */
    uint64_t cuts;        /* names with NS below the apex */
    uint64_t wild;        /* names whose first label is '*' */
    uint64_t digit_names; /* ordinary names made only of one-digit labels (<= 32) */
    uint64_t jseq;        /* the next journal sequence number */
} zrec_t;

#define ZREC_SIZE (1 + 4 + 1 + 4 + 8 * 7)

void e2u__zrec_encode(const zrec_t *z, uint8_t out[ZREC_SIZE]);
int e2u__zrec_decode(zrec_t *z, const uint8_t *p, size_t len);

/* A zone as a reader or writer works with it. */
typedef struct zinfo {
    e2u_store_zone_t pub;
    zrec_t rec;
    uint8_t origin[256];
    size_t origin_len;
    unsigned labels; /* of the origin, root not counted */
    uint8_t tag[4];
    size_t taglen;
    char prefix[128];    /* NUL-terminated */
    const uint8_t *apex; /* the apex RRsets blob (borrowed from the txn) */
    size_t apex_len;
} zinfo_t;

/* --- encodings (codec.c) ------------------------------------------------------------------- */

static inline void e2u__put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void e2u__put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void e2u__put64(uint8_t *p, uint64_t v)
{
    e2u__put32(p, (uint32_t)(v >> 32));
    e2u__put32(p + 4, (uint32_t)v);
}
static inline uint16_t e2u__get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t e2u__get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t e2u__get64(const uint8_t *p)
{
    return ((uint64_t)e2u__get32(p) << 32) | e2u__get32(p + 4);
}

/* Ordered varint: 0..127 in one octet, then 2, 3 and 4 octets; order preserving under memcmp
 * and prefix-free. Values up to 2^28 + 2^21 + 2^14 + 127. Returns the octets written (1-4). */
size_t e2u__ov_put(uint8_t *p, uint32_t v);
/* Read one; returns the octets used, or 0 if p[len] is truncated. */
size_t e2u__ov_get(const uint8_t *p, size_t len, uint32_t *v);

/* BCD key of digits[n] (ASCII '0'-'9') into out (n/2 + 1 octets suffice); returns its length.
 */
size_t e2u__bcd_key(uint8_t *out, const char *digits, size_t n);
/* Digits of a BCD key (ASCII, NUL-terminated into out, room for 2*len+1); returns the count,
 * or -1 if the key is malformed. */
int e2u__bcd_digits(char *out, const uint8_t *key, size_t len);

/* 64-bit FNV-1a, for template deduplication. */
uint64_t e2u__hash64(const uint8_t *p, size_t len);

/* Labels of a valid wire name: offsets of each label's length octet, root excluded; returns the
 * count (at most 127). */
unsigned e2u__labels(const uint8_t *wire, uint8_t off[128]);

/* Lower-case copy of a valid wire name; returns its length. */
size_t e2u__dname_lower(uint8_t *out, const uint8_t *wire);

/*
 * The names key of the name whose first nrel labels (from the left, i.e. the deepest) are
 * below a zone: TAG, then those labels from the zone down, each as length + lower-case octets.
 * off[] are the label offsets of wire (e2u__labels). Returns the key length.
 */
size_t e2u__name_key(uint8_t *out, const uint8_t *tag, size_t taglen, const uint8_t *wire,
                     const uint8_t *off, unsigned nrel);

/* Whether the first nrel labels of wire are one digit each, and if so their digits in number
 * order (the reverse of the labels) into digits[nrel+1]. */
bool e2u__name_digits(const uint8_t *wire, const uint8_t *off, unsigned nrel, char *digits);

/* The zone prefix of an origin: its leading one-digit labels, reversed, into out (NUL-ended).
 * Returns the count; 0 (and nothing written) if cap is 0. */
size_t e2u__origin_prefix(const uint8_t *origin, char *out, size_t cap);

/* Build the wire name of digits[n] under origin into out (256); returns the length, or 0 if
 * the name would exceed 255 octets. */
size_t e2u__digits_name(uint8_t *out, const char *digits, size_t n, const uint8_t *origin,
                        size_t origin_len);

/* A map of u32 to u32 counts (template reference counting), open addressing. */
typedef struct e2u__u32map {
    uint32_t *keys; /* key + 1; 0 = empty */
    uint32_t *vals;
    size_t cap, n;
} e2u__u32map_t;

int e2u__u32map_add(e2u__u32map_t *m, uint32_t key, uint32_t add);
void e2u__u32map_free(e2u__u32map_t *m);

/* --- RRset blobs ------------------------------------------------------------------------------ */

/* A growable byte buffer. */
typedef struct e2u__buf {
    uint8_t *p;
    size_t len;
    size_t cap;
} e2u__buf_t;

int e2u__buf_reserve(e2u__buf_t *b, size_t more);

static inline int e2u__buf_add(e2u__buf_t *b, const void *p, size_t n)
{
    if (b->len + n > b->cap && e2u__buf_reserve(b, n) < 0)
        return E2U_ENOMEM;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}
void e2u__buf_free(e2u__buf_t *b);

/* A change being built: RRs removed and added, in the journal's RR encoding. */
typedef struct e2u__jchange {
    e2u__buf_t removed;
    e2u__buf_t added;
    uint32_t nremoved;
    uint32_t nadded;
    bool reset;
} e2u__jchange_t;

/* One record of an RRset under construction. */
typedef struct e2u__rec {
    const uint8_t *rdata;
    uint16_t len;
} e2u__rec_t;

/* Sort records canonically (RFC 4034 §6.3: octet order, shorter first on a common prefix) and
 * drop duplicates in place; returns the new count. */
size_t e2u__recs_canon(e2u__rec_t *r, size_t n);

/* Append one RRset to a blob. */
int e2u__blob_add_rrset(e2u__buf_t *b, uint16_t type, uint32_t ttl, const e2u__rec_t *r, size_t n);

/* Lower-case the domain names in an RDATA of this type, in place (RFC 4034 §6.2, via libknot).
 */
void e2u__rdata_canon(uint16_t type, uint8_t *rdata, uint16_t len);

/* --- templates (tmpl.c) ---------------------------------------------------------------------- */

#define TMPL_MAX_PARAMS 63
#define TMPL_MAX_RECS   255

/* Builds the template and the parameters of one NAPTR RRset. */
typedef struct e2u__tbuild {
    e2u__buf_t tmpl;   /* the template (without the refcount) */
    e2u__buf_t params; /* the encoded parameters */
    unsigned nparams;
    const char *pval[TMPL_MAX_PARAMS]; /* parameter digits (into the RDATA being templated) */
    uint8_t plen[TMPL_MAX_PARAMS];
} e2u__tbuild_t;

void e2u__tbuild_init(e2u__tbuild_t *tb);
void e2u__tbuild_free(e2u__tbuild_t *tb);

/*
 * Template the NAPTR RRset recs[n] (canonical order, valid RDATA) of TTL ttl owned by the number
 * with full digits owner[olen] (owner NULL for a block: no owner holes). Fills tb->tmpl and
 * tb->params. Returns 0, E2U_ENAPTR (malformed RDATA), E2U_ELIMIT (more than 255 records or 63
 * parameters: the caller stores the name as an ordinary name), E2U_ENOMEM.
 */
int e2u__tmpl_make(e2u__tbuild_t *tb, uint32_t ttl, const e2u__rec_t *recs, size_t n,
                   const char *owner, size_t olen);

/*
 * Expand template t[tlen] (without refcount) with the number owner[olen] and the parameters
 * params[plen] into an RRsets blob (one NAPTR RRset) at out[cap]. Returns the blob's length,
 * E2U_ENOSPC, or E2U_ECORRUPT.
 */
int e2u__tmpl_expand(const uint8_t *t, size_t tlen, const char *owner, size_t olen,
                     const uint8_t *params, size_t plen, uint8_t *out, size_t cap);

/* Size of the encoded parameters at the start of p[len] for a template with np parameters, or
 * -1. */
int e2u__params_size(const uint8_t *p, size_t len, unsigned np);

/* The template's parameter count, from its header. */
static inline unsigned e2u__tmpl_nparams(const uint8_t *t)
{
    return t[6];
}

/* --- LMDB helpers (store.c) ------------------------------------------------------------------- */

/* Map an LMDB or errno code to e2u's, and describe it in diag ("what: mdb_strerror"); with diag
 * NULL, in a per-thread diagnostic that e2u__last_err returns. */
int e2u__mdb_err(e2u_store_t *s, int rc, e2u_diag_t *diag, const char *what);
const e2u_diag_t *e2u__last_err(void);

/* Read the zone record and apex of one zone (zones database entry k/v) into zi, pointers
 * borrowed from txn. Returns 0 or E2U_ECORRUPT. */
int e2u__zinfo_load(e2u_store_t *s, MDB_txn *txn, const MDB_val *k, const MDB_val *v, zinfo_t *zi);

/* The number tree of a zone. */
static inline MDB_dbi e2u__numdb(const e2u_store_t *s, const zinfo_t *z)
{
    return s->dbi[z->rec.nbuf ? DB_NUM1 : DB_NUM0];
}

/* --- the number index (index.c) ------------------------------------------------------------ */

/* Build an index of the live numbers trees of zones[nzones] in txn's snapshot, as opts say
 * (e2u_store_index_refresh). The index holds one reference. */
int e2u__nidx_build(e2u_store_t *s, MDB_txn *txn, const zinfo_t *zones, size_t nzones,
                    const e2u_store_index_opts_t *opts, e2u__nidx_t **out);
/* Whether key[klen] is an entry of the index; if so its value (in the map) into *val. */
bool e2u__nidx_get(const e2u__nidx_t *ix, const uint8_t *key, size_t klen, MDB_val *val);
/* Whether the index holds every number entry of its snapshot and none of them has more than
 * ndigits digits below its zone: then a key of ndigits digits that e2u__nidx_get does not find
 * is no number, and no number lies below its name. */
bool e2u__nidx_complete_to(const e2u__nidx_t *ix, size_t ndigits);
/* Start loading what e2u__nidx_get of key will read: step 0 its bucket, step 1 (once the bucket
 * is likely in the cache) the entry in the map the bucket points to. */
void e2u__nidx_prefetch(const e2u__nidx_t *ix, const uint8_t *key, size_t klen, unsigned step);
size_t e2u__nidx_txnid(const e2u__nidx_t *ix);
e2u__nidx_t *e2u__nidx_ref(e2u__nidx_t *ix);
void e2u__nidx_release(e2u__nidx_t *ix); /* NULL-safe; frees with the last reference */
/* A new reference to the store's published index if it is of snapshot txnid, else NULL. */
e2u__nidx_t *e2u__nidx_pick(e2u_store_t *s, size_t txnid);

/* A reader's transaction (NULL when reset), store, zones, and zone of one origin (read.c). */
MDB_txn *e2u__rd_txn(struct e2u_store_rd *rd);
e2u_store_t *e2u__rd_store(struct e2u_store_rd *rd);
const zinfo_t *e2u__rd_zones(struct e2u_store_rd *rd, size_t *n);
const zinfo_t *e2u__rd_zone(struct e2u_store_rd *rd, const uint8_t *origin);
/* Whether the reader's lookups use a number index (tests). */
bool e2u__rd_indexed(struct e2u_store_rd *rd);

/* The SOA serial, TTL and RDATA in an apex blob. Returns 0 or E2U_ECORRUPT. */
int e2u__apex_soa(const uint8_t *apex, size_t len, uint32_t *ttl, const uint8_t **rdata,
                  uint16_t *rdlen);

/* Read template tid into *t (past the refcount) within txn. Returns 0, E2U_ECORRUPT. */
int e2u__tmpl_get(e2u_store_t *s, MDB_txn *txn, uint32_t tid, const uint8_t **t, size_t *tlen);

/*
 * Expand a number value v[vlen] (TID | params) for owner digits into out[cap] (an RRsets blob).
 * Returns the length, or E2U_ENOSPC / E2U_ECORRUPT.
 */
int e2u__value_expand(e2u_store_t *s, MDB_txn *txn, const uint8_t *v, size_t vlen,
                      const char *owner, size_t olen, uint8_t *out, size_t cap);

/* Find the block variant of total length T (exact first, then "any") in a block value; returns
 * a pointer to its TID|params and sets *len and the variant's length *L (0 = any), or NULL. */
const uint8_t *e2u__block_variant(const uint8_t *v, size_t vlen, unsigned T, size_t *len,
                                  unsigned *L);

/* The zone (longest origin match) holding wire name q with labels off[nl]; NULL if none. zones
 * are the candidates. */
const zinfo_t *e2u__zone_match(const zinfo_t *zones, const size_t *order, size_t nzones,
                               const uint8_t *q, const uint8_t *off, unsigned nl);

/* --- write side shared with import (write.c) ----------------------------------------------------
 */

#define E2U__SOA_MAX 600

/* A zone as the write transaction holds it. */
typedef struct wzone {
    zinfo_t zi;   /* zi.apex is not kept valid: reread it */
    bool dirty;   /* changed: bump the serial and journal at commit */
    bool created; /* created by this transaction */
    bool deleted;
    bool soa_set; /* an SOA was given explicitly */
    bool bulk;    /* the import filled ch itself */
    uint32_t old_serial;
    uint32_t old_soa_ttl;
    uint8_t old_soa[E2U__SOA_MAX];
    uint16_t old_soa_len;
    e2u__jchange_t *ch; /* bulk: the change the import computed */
} wzone_t;

/* A name or block touched by the transaction, with its state before (for the journal). */
typedef struct touch {
    size_t zidx;
    uint8_t kind;       /* 0 name, 1 block */
    uint8_t owner[256]; /* name: wire, lower case */
    size_t olen;
    char prefix[E2U_STORE_MAX_DIGITS + 130]; /* block: full digits */
    size_t plen;
    unsigned L;
    uint64_t h;
    e2u__buf_t old; /* RRsets blob before the first change */
} touch_t;

struct e2u_store_txn {
    e2u_store_t *s;
    MDB_txn *txn;
    wzone_t **z;
    size_t nz;
    bool zones_loaded;
    touch_t **t;
    size_t nt, tcap;
    int32_t *tidx; /* open addressing over t, tidxcap slots */
    size_t tidxcap;
    e2u__buf_t scratch; /* expansions */
    e2u__buf_t scratch2;
    e2u__tbuild_t tb;
};

/* Load every zone into w (once). Returns 0 or < 0. */
int e2u__wzones_load(struct e2u_store_txn *w);
/* The zone with this origin (wire, lower case), or NULL. */
wzone_t *e2u__wzone(struct e2u_store_txn *w, const uint8_t *origin);

/* Allocate a new id from a meta counter ("zone_next", "tmpl_next"). */
int e2u__meta_next(e2u_store_t *s, MDB_txn *txn, const char *name, uint32_t *out);

/* Intern template t[tlen] in txn: the id of an identical one, or a new one; adds refs to its
 * refcount. */
int e2u__tmpl_intern(struct e2u_store_txn *w, const uint8_t *t, size_t tlen, uint32_t refs,
                     uint32_t *tid);

/* Drop refs references to template tid, deleting it at zero. */
int e2u__tmpl_unref(struct e2u_store_txn *w, uint32_t tid, uint32_t refs);

/* Delete every key of a zone (tag) from one database; for the number and block databases, the
 * templates the values use are unreferenced. Returns the count or < 0. */
int64_t e2u__range_delete(struct e2u_store_txn *w, MDB_dbi dbi, const uint8_t *tag, size_t taglen,
                          int values);

/* Serial arithmetic (RFC 1982 §3.2): a is newer than b. */
static inline bool e2u__serial_newer(uint32_t a, uint32_t b)
{
    return a != b && (uint32_t)(a - b) < 0x80000000u;
}

/* --- journal (journal.c) ------------------------------------------------------------------------
 */

int e2u__jrr_name(e2u__buf_t *b, const uint8_t *owner, size_t olen, uint16_t type, uint32_t ttl,
                  const uint8_t *rdata, uint16_t rdlen);
int e2u__jrr_block(e2u__buf_t *b, const char *prefix, size_t plen, unsigned length, uint16_t type,
                   uint32_t ttl, const uint8_t *rdata, uint16_t rdlen);
/* Add every RR of an RRsets blob under owner (or a block) to b; returns RRs added or < 0. */
int e2u__jrr_blob(e2u__buf_t *b, const uint8_t *owner, size_t olen, const char *prefix, size_t plen,
                  unsigned length, const uint8_t *blob, size_t bloblen);
/* Record the difference between two RRsets blobs of one owner (or block) into ch: RRs only in
 * old are removed, only in new added. */
int e2u__jdiff(e2u__jchange_t *ch, const uint8_t *owner, size_t olen, const char *prefix,
               size_t plen, unsigned length, const uint8_t *old, size_t oldlen, const uint8_t *neu,
               size_t newlen);
void e2u__jchange_free(e2u__jchange_t *ch);

/* Write one journal entry for zone z (seq z->rec.jseq, incremented) and prune old entries. */
int e2u__journal_write(e2u_store_t *s, MDB_txn *txn, zinfo_t *z, uint32_t from, uint32_t to,
                       const uint8_t *old_soa, uint16_t old_soa_len, uint32_t old_ttl,
                       const uint8_t *new_soa, uint16_t new_soa_len, uint32_t new_ttl,
                       e2u__jchange_t *ch);

/* Delete all journal entries of zone id. */
int e2u__journal_drop(e2u_store_t *s, MDB_txn *txn, uint32_t zone_id);

/* Format "+digits*" or "+digitsXXX" for a block. */
void e2u__block_text(char *out, size_t cap, const char *prefix, size_t plen, unsigned length);

/* Diagnostic helper (mirrors core's e2u__diag, which is not exported to us). */
int e2u__sdiag(e2u_diag_t *diag, int code, size_t pos, const char *fmt, ...) E2U__SPRINTF(4, 5);

#endif
