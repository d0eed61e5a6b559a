/*
 * lib/store/store.c — opening a store, the LMDB plumbing every other file uses, and statistics.
 *
 * The environment is opened with MDB_NOTLS, so that a reader object is not bound to the thread
 * that made it and one thread may hold several, and MDB_NORDAHEAD, because lookups are random
 * and read-ahead would only pollute the page cache. No MDB_WRITEMAP: with it a full disk shows
 * up as SIGBUS while writing into the map, without it as ENOSPC from write(2), which aborts the
 * transaction and leaves the last commit intact — the guarantee the store promises.
 *
 * The map size is address space, not disk: by default 1 TiB, which a 64-bit process reserves
 * for free and which the data file grows into page by page. Every process that opens the store
 * should use the same size (the default does), because a reader whose map is smaller than the
 * data can no longer begin a transaction (E2U_EBUSY, MDB_MAP_RESIZED). When the map cannot be
 * reserved (a ulimit -v), smaller sizes are tried down to 1 GiB.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "store/internal.h"

static const char *const db_names[DB_COUNT] = {
    [DB_META] = "meta",     [DB_ZONES] = "zones",     [DB_NUM0] = "n0",   [DB_NUM1] = "n1",
    [DB_BLOCKS] = "blocks", [DB_NAMES] = "names",     [DB_CUTS] = "cuts", [DB_TMPL] = "tmpl",
    [DB_TIDX] = "tidx",     [DB_JOURNAL] = "journal",
};

static unsigned db_flags(int i)
{
    if (i == DB_TMPL)
        return MDB_INTEGERKEY;
    if (i == DB_TIDX)
        return MDB_DUPSORT | MDB_DUPFIXED;
    return 0;
}

static __thread e2u_diag_t last_err;

const e2u_diag_t *e2u__last_err(void)
{
    return &last_err;
}

int e2u__mdb_err(e2u_store_t *s, int rc, e2u_diag_t *diag, const char *what)
{
    if (!diag)
        diag = &last_err;
    size_t mib = s ? s->map_size >> 20 : 0;
    const char *path = s && s->path ? s->path : "the store";
    switch (rc) {
    case 0:
        return 0;
    case MDB_MAP_FULL:
        return e2u__sdiag(diag, E2U_EFULL, 0,
                          "%s: the store's map size (%zu MiB) is full; nothing was changed "
                          "(open it with a larger map size, e2uctl --map-size)",
                          what, mib);
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
        return e2u__sdiag(diag, E2U_EFULL, 0,
                          "%s: no space left on the device of %s; nothing was changed", what, path);
    case MDB_TXN_FULL:
        return e2u__sdiag(diag, E2U_EFULL, 0,
                          "%s: too many changes for one transaction; nothing was changed", what);
    case MDB_READERS_FULL:
        return e2u__sdiag(diag, E2U_EBUSY, 0, "%s: every reader slot of %s is taken", what, path);
    case MDB_MAP_RESIZED:
        return e2u__sdiag(diag, E2U_EBUSY, 0,
                          "%s: %s grew beyond this process's map size; reopen it", what, path);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_INCOMPATIBLE:
        return e2u__sdiag(diag, E2U_ECORRUPT, 0, "%s: %s: %s", what, path, mdb_strerror(rc));
    case MDB_NOTFOUND:
        return e2u__sdiag(diag, E2U_ENOENT, 0, "%s: not found", what);
    case ENOMEM:
        return e2u__sdiag(diag, E2U_ENOMEM, 0, "%s: out of memory", what);
    case EACCES:
    case EPERM:
    case EROFS:
        return e2u__sdiag(diag, E2U_EACCES, 0, "%s: %s: %s", what, path, mdb_strerror(rc));
    case ENOENT:
        return e2u__sdiag(diag, E2U_ENOENT, 0, "%s: %s: no store there", what, path);
    case EIO: {
        /* LMDB turns a short write into EIO: on a full device that is what ENOSPC looks like */
        struct statvfs vf;
        if (s && s->path && statvfs(s->path, &vf) == 0 &&
            (uint64_t)vf.f_bavail * vf.f_frsize < ((uint64_t)4 << 20))
            return e2u__sdiag(diag, E2U_EFULL, 0,
                              "%s: no space left on the device of %s (%llu KiB free); nothing "
                              "was changed",
                              what, path,
                              (unsigned long long)((uint64_t)vf.f_bavail * vf.f_frsize >> 10));
        return e2u__sdiag(diag, E2U_EIO, 0, "%s: %s: input/output error", what, path);
    }
    default:
        return e2u__sdiag(diag, E2U_ESTORE, 0, "%s: %s: %s", what, path, mdb_strerror(rc));
    }
}

/*
 * The key order of every memcmp-ordered database (LMDB's default: octet by octet, a prefix
 * first), written out for short keys: no call through the PLT into a general memcmp for the
 * ~25 comparisons of each lookup. The order is exactly the default one, so tools that open the
 * store without it (mdb_stat, mdb_dump) see the same trees.
 */
static int key_cmp(const MDB_val *a, const MDB_val *b)
{
    const uint8_t *x = a->mv_data, *y = b->mv_data;
    size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return (int)x[i] - (int)y[i];
    return a->mv_size < b->mv_size ? -1 : a->mv_size > b->mv_size;
}

static int meta_get32(MDB_txn *txn, MDB_dbi dbi, const char *name, uint32_t *out)
{
    MDB_val k = {strlen(name), (void *)name}, v;
    int rc = mdb_get(txn, dbi, &k, &v);
    if (rc)
        return rc;
    if (v.mv_size != 4)
        return MDB_CORRUPTED;
    *out = e2u__get32(v.mv_data);
    return 0;
}

static int meta_put32(MDB_txn *txn, MDB_dbi dbi, const char *name, uint32_t val)
{
    uint8_t b[4];
    e2u__put32(b, val);
    MDB_val k = {strlen(name), (void *)name}, v = {4, b};
    return mdb_put(txn, dbi, &k, &v, 0);
}

int e2u__meta_next(e2u_store_t *s, MDB_txn *txn, const char *name, uint32_t *out)
{
    uint32_t v = 0;
    int rc = meta_get32(txn, s->dbi[DB_META], name, &v);
    if (rc && rc != MDB_NOTFOUND)
        return e2u__mdb_err(s, rc, NULL, "meta");
    if (v >= 0x0fffffffu)
        return E2U_ELIMIT;
    rc = meta_put32(txn, s->dbi[DB_META], name, v + 1);
    if (rc)
        return e2u__mdb_err(s, rc, NULL, "meta");
    *out = v;
    return 0;
}

static int open_dbs(e2u_store_t *s, e2u_diag_t *diag)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, s->read_only ? MDB_RDONLY : 0, &txn);
    if (rc)
        return e2u__mdb_err(s, rc, diag, "begin");
    for (int i = 0; i < DB_COUNT; i++) {
        unsigned fl = db_flags(i) | (s->read_only ? 0 : MDB_CREATE);
        rc = mdb_dbi_open(txn, db_names[i], fl, &s->dbi[i]);
        if (rc == MDB_NOTFOUND) {
            mdb_txn_abort(txn);
            return e2u__sdiag(diag, E2U_ENOENT, 0, "%s: no e2u store there yet (import first)",
                              s->path);
        }
        if (rc == MDB_INCOMPATIBLE) {
            mdb_txn_abort(txn);
            return e2u__sdiag(diag, E2U_ECORRUPT, 0, "%s: not an e2u store", s->path);
        }
        if (rc) {
            mdb_txn_abort(txn);
            return e2u__mdb_err(s, rc, diag, "open databases");
        }
        if (i == DB_NUM0 || i == DB_NUM1 || i == DB_BLOCKS || i == DB_NAMES || i == DB_CUTS)
            mdb_set_compare(txn, s->dbi[i], key_cmp);
    }
    uint32_t ver = 0;
    rc = meta_get32(txn, s->dbi[DB_META], "version", &ver);
    if (rc == MDB_NOTFOUND && !s->read_only) {
        rc = meta_put32(txn, s->dbi[DB_META], "version", E2U__STORE_VERSION);
        ver = E2U__STORE_VERSION;
    } else if (rc == MDB_NOTFOUND) {
        mdb_txn_abort(txn);
        return e2u__sdiag(diag, E2U_ENOENT, 0, "%s: no e2u store there yet (import first)",
                          s->path);
    }
    if (rc) {
        mdb_txn_abort(txn);
        return e2u__mdb_err(s, rc, diag, "read the format version");
    }
    if (ver != E2U__STORE_VERSION) {
        mdb_txn_abort(txn);
        return e2u__sdiag(diag, E2U_ECORRUPT, 0,
                          "%s: store format version %u, this e2u reads version %u", s->path, ver,
                          E2U__STORE_VERSION);
    }
    /* commit even a read-only transaction: LMDB keeps the handles only then */
    rc = mdb_txn_commit(txn);
    if (rc)
        return e2u__mdb_err(s, rc, diag, "create the databases");
    return 0;
}

int e2u_store_open(e2u_store_t **out, const char *path, const e2u_store_opts_t *opts,
                   e2u_diag_t *diag)
{
    e2u_store_opts_t o = {0};
    if (opts)
        o = *opts;
    if (!out || !path || !*path)
        return e2u__sdiag(diag, E2U_EINVAL, 0, "no store path given");
    *out = NULL;
    e2u_store_t *s = calloc(1, sizeof(*s));
    if (!s)
        return E2U_ENOMEM;
    s->path = strdup(path);
    if (!s->path) {
        free(s);
        return E2U_ENOMEM;
    }
    pthread_mutex_init(&s->ix_lock, NULL);
    atomic_init(&s->ix_txnid, 0);
    s->read_only = o.read_only;
    s->journal_max = o.journal_max ? o.journal_max : 1000;
    s->journal_max_rrs = o.journal_max_rrs ? o.journal_max_rrs : 100000;
    s->journal_max_bytes = o.journal_max_bytes ? o.journal_max_bytes : 100u << 20;

    struct stat sb;
    if (stat(path, &sb) < 0) {
        if (errno != ENOENT || o.read_only) {
            int e = errno;
            e2u_store_close(s);
            return e2u__sdiag(diag, e == ENOENT ? E2U_ENOENT : E2U_EACCES, 0, "%s: %s", path,
                              e == ENOENT ? "no store there" : strerror(e));
        }
        if (mkdir(path, 0755) < 0) {
            int e = errno;
            e2u_store_close(s);
            return e2u__sdiag(diag, e == EACCES ? E2U_EACCES : E2U_EIO, 0,
                              "%s: cannot create the directory: %s", path, strerror(e));
        }
    } else if (!S_ISDIR(sb.st_mode)) {
        e2u_store_close(s);
        return e2u__sdiag(diag, E2U_EINVAL, 0, "%s: not a directory (a store is a directory)",
                          path);
    }

    size_t sizes[] = {(size_t)1 << 40, (size_t)1 << 36, (size_t)1 << 32, (size_t)1 << 30};
    size_t nsizes = sizeof(sizes) / sizeof(sizes[0]);
    if (sizeof(size_t) < 8) {
        sizes[0] = (size_t)1 << 30;
        nsizes = 1;
    }
    if (o.map_size) {
        sizes[0] = o.map_size;
        nsizes = 1;
    }
    int rc = 0;
    for (size_t i = 0; i < nsizes; i++) {
        rc = mdb_env_create(&s->env);
        if (rc)
            break;
        mdb_env_set_maxdbs(s->env, 16);
        mdb_env_set_maxreaders(s->env, o.max_readers ? o.max_readers : 510);
        mdb_env_set_mapsize(s->env, sizes[i]);
        unsigned fl = MDB_NOTLS | MDB_NORDAHEAD;
        if (o.read_only)
            fl |= MDB_RDONLY;
        if (o.no_sync)
            fl |= MDB_NOSYNC;
        rc = mdb_env_open(s->env, path, fl, 0644);
        if (rc == 0) {
            MDB_envinfo ei;
            mdb_env_info(s->env, &ei);
            s->map_size = ei.me_mapsize;
            break;
        }
        mdb_env_close(s->env);
        s->env = NULL;
        /* ENOMEM: no room for the map (a ulimit -v); EINVAL: mmap refused its size (valgrind
         * gives a process less address space than 1 TiB). A smaller map may still do. */
        if (rc != ENOMEM && rc != EINVAL)
            break;
    }
    if (rc) {
        int r = e2u__mdb_err(s, rc, diag, "open");
        e2u_store_close(s);
        return r;
    }
    /* A data file shorter than the pages LMDB's meta page says are in use (a truncated copy,
     * a full disk at copy time) would fault (SIGBUS) on first touch of the missing pages:
     * refuse it here, with the sizes. */
    {
        MDB_envinfo ei;
        MDB_stat st;
        struct stat fst;
        char data[4096];
        mdb_env_info(s->env, &ei);
        mdb_env_stat(s->env, &st);
        snprintf(data, sizeof(data), "%s/data.mdb", path);
        uint64_t need = ((uint64_t)ei.me_last_pgno + 1) * st.ms_psize;
        if (stat(data, &fst) == 0 && (uint64_t)fst.st_size < need) {
            int r = e2u__sdiag(diag, E2U_ECORRUPT, 0,
                               "%s: the data file is truncated (%llu bytes, the store uses %llu)",
                               data, (unsigned long long)fst.st_size, (unsigned long long)need);
            e2u_store_close(s);
            return r;
        }
    }
    int dead = 0;
    mdb_reader_check(s->env, &dead); /* slots of killed processes */
    int r = open_dbs(s, diag);
    if (r < 0) {
        e2u_store_close(s);
        return r;
    }
    *out = s;
    return 0;
}

void e2u_store_close(e2u_store_t *s)
{
    if (!s)
        return;
    e2u_store_index_drop(s);
    pthread_mutex_destroy(&s->ix_lock);
    if (s->env)
        mdb_env_close(s->env);
    free(s->path);
    free(s);
}

int e2u_store_mapping(e2u_store_t *s, void **addr, size_t *used)
{
    MDB_envinfo ei;
    MDB_stat st;
    if (!s || !addr || !used)
        return E2U_EINVAL;
    mdb_env_info(s->env, &ei);
    mdb_env_stat(s->env, &st);
    *addr = ei.me_mapaddr;
    *used = ((size_t)ei.me_last_pgno + 1) * st.ms_psize;
    if (*addr)
        return 0;
    /* LMDB reports its map address only for MDB_FIXEDMAP; otherwise find the mapping of the
     * data file in /proc/self/maps. */
    char want[4096], real[4096], line[4600];
    snprintf(want, sizeof(want), "%s/data.mdb", s->path);
    if (!realpath(want, real))
        return E2U_ENOENT;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return E2U_EIO;
    size_t rl = strlen(real);
    while (fgets(line, sizeof(line), f)) {
        size_t ll = strlen(line);
        while (ll && (line[ll - 1] == '\n' || line[ll - 1] == ' '))
            line[--ll] = '\0';
        if (ll >= rl && strcmp(line + ll - rl, real) == 0) {
            unsigned long start;
            if (sscanf(line, "%lx-", &start) == 1) {
                *addr = (void *)start;
                break;
            }
        }
    }
    fclose(f);
    return *addr ? 0 : E2U_ENOENT;
}

const char *e2u_store_path(const e2u_store_t *s)
{
    return s ? s->path : NULL;
}

const char *e2u_store_kind_name(e2u_store_kind_t k)
{
    switch (k) {
    case E2U_STORE_NXDOMAIN:
        return "nxdomain";
    case E2U_STORE_APEX:
        return "apex";
    case E2U_STORE_NUMBER:
        return "number";
    case E2U_STORE_BLOCK:
        return "block";
    case E2U_STORE_NAME:
        return "name";
    case E2U_STORE_ENT:
        return "ent";
    case E2U_STORE_DELEGATION:
        return "delegation";
    case E2U_STORE_WILDCARD:
        return "wildcard";
    }
    return "unknown";
}

/* --- shared readers of the layout ------------------------------------------------------------- */

int e2u__zinfo_load(e2u_store_t *s, MDB_txn *txn, const MDB_val *k, const MDB_val *v, zinfo_t *zi)
{
    memset(&zi->pub, 0, sizeof(zi->pub));
    if (e2u__zrec_decode(&zi->rec, v->mv_data, v->mv_size) < 0 || k->mv_size > 255 ||
        k->mv_size < 1 || e2u_dname_wire_len(k->mv_data, k->mv_size) != (int)k->mv_size)
        return E2U_ECORRUPT;
    memcpy(zi->origin, k->mv_data, k->mv_size);
    zi->origin_len = k->mv_size;
    uint8_t off[128];
    zi->labels = e2u__labels(zi->origin, off);
    zi->taglen = e2u__ov_put(zi->tag, zi->rec.id);
    e2u__origin_prefix(zi->origin, zi->prefix, sizeof(zi->prefix));
    MDB_val ak = {zi->taglen, zi->tag}, av;
    int rc = mdb_get(txn, s->dbi[DB_NAMES], &ak, &av);
    if (rc)
        return E2U_ECORRUPT; /* every zone has its apex */
    zi->apex = av.mv_data;
    zi->apex_len = av.mv_size;
    uint32_t ttl;
    const uint8_t *soa;
    uint16_t soalen;
    if (e2u__apex_soa(zi->apex, zi->apex_len, &ttl, &soa, &soalen) < 0)
        return E2U_ECORRUPT;
    zi->pub.origin = zi->origin;
    zi->pub.origin_len = zi->origin_len;
    zi->pub.prefix = zi->prefix;
    zi->pub.prefix_len = strlen(zi->prefix);
    zi->pub.serial = e2u__get32(soa + soalen - 20);
    zi->pub.soa_ttl = ttl;
    zi->pub.soa = soa;
    zi->pub.soa_len = soalen;
    zi->pub.default_ttl = zi->rec.default_ttl;
    zi->pub.numbers = zi->rec.numbers;
    zi->pub.blocks = zi->rec.blocks;
    zi->pub.names = zi->rec.names;
    return 0;
}

int e2u__tmpl_get(e2u_store_t *s, MDB_txn *txn, uint32_t tid, const uint8_t **t, size_t *tlen)
{
    unsigned int id = tid;
    MDB_val k = {sizeof(id), &id}, v;
    if (mdb_get(txn, s->dbi[DB_TMPL], &k, &v) != 0 || v.mv_size < 4 + 8)
        return E2U_ECORRUPT;
    *t = (const uint8_t *)v.mv_data + 4;
    *tlen = v.mv_size - 4;
    return 0;
}

int e2u__value_expand(e2u_store_t *s, MDB_txn *txn, const uint8_t *v, size_t vlen,
                      const char *owner, size_t olen, uint8_t *out, size_t cap)
{
    uint32_t tid;
    size_t n = e2u__ov_get(v, vlen, &tid);
    if (!n)
        return E2U_ECORRUPT;
    const uint8_t *t;
    size_t tlen;
    if (e2u__tmpl_get(s, txn, tid, &t, &tlen) < 0)
        return E2U_ECORRUPT;
    return e2u__tmpl_expand(t, tlen, owner, olen, v + n, vlen - n, out, cap);
}

const uint8_t *e2u__block_variant(const uint8_t *v, size_t vlen, unsigned T, size_t *len,
                                  unsigned *L)
{
    const uint8_t *any = NULL;
    size_t anylen = 0;
    size_t p = 0;
    while (p < vlen) {
        unsigned vl = v[p];
        uint32_t sz;
        size_t n = e2u__ov_get(v + p + 1, vlen - p - 1, &sz);
        if (!n || sz > vlen - p - 1 - n)
            return NULL;
        const uint8_t *val = v + p + 1 + n;
        if (vl == T && T != 0) {
            *len = sz;
            *L = vl;
            return val;
        }
        if (vl == 0) {
            any = val;
            anylen = sz;
        }
        p += 1 + n + sz;
    }
    *len = anylen;
    *L = 0;
    return any;
}

static inline bool suffix_eq(const uint8_t *q, const uint8_t *origin, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = q[i];
        if (c >= 'A' && c <= 'Z')
            c |= 0x20;
        if (c != origin[i])
            return false;
    }
    return true;
}

const zinfo_t *e2u__zone_match(const zinfo_t *zones, const size_t *order, size_t nzones,
                               const uint8_t *q, const uint8_t *off, unsigned nl)
{
    size_t qlen = (nl ? off[nl - 1] + 1u + q[off[nl - 1]] : 0) + 1;
    for (size_t i = 0; i < nzones; i++) {
        const zinfo_t *z = &zones[order ? order[i] : i];
        if (z->labels > nl)
            continue;
        size_t start = z->labels == nl ? 0 : off[nl - z->labels];
        if (z->labels == 0)
            start = qlen - 1;
        if (qlen - start != z->origin_len)
            continue;
        if (suffix_eq(q + start, z->origin, z->origin_len))
            return z;
    }
    return NULL;
}

/* --- statistics --------------------------------------------------------------------------------
 */

struct e2u_store_rd;
MDB_txn *e2u__rd_txn(struct e2u_store_rd *rd);
e2u_store_t *e2u__rd_store(struct e2u_store_rd *rd);

static uint64_t dbi_pages(MDB_txn *txn, MDB_dbi dbi, uint64_t *entries)
{
    MDB_stat st;
    if (mdb_stat(txn, dbi, &st) != 0)
        return 0;
    if (entries)
        *entries = st.ms_entries;
    return st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages;
}

int e2u_store_stats(e2u_store_rd_t *rd, e2u_store_stats_t *st)
{
    memset(st, 0, sizeof(*st));
    e2u_store_t *s = e2u__rd_store(rd);
    MDB_txn *txn = e2u__rd_txn(rd);
    if (!txn)
        return E2U_EINVAL;
    const e2u_store_zone_t *zones;
    size_t nz;
    e2u_store_zones(rd, &zones, &nz);
    st->zones = nz;
    for (size_t i = 0; i < nz; i++) {
        st->numbers += zones[i].numbers;
        st->blocks += zones[i].blocks;
        st->names += zones[i].names;
    }
    MDB_envinfo ei;
    MDB_stat es;
    mdb_env_info(s->env, &ei);
    mdb_env_stat(s->env, &es);
    st->page_size = es.ms_psize;
    st->map_size = ei.me_mapsize;
    uint64_t pages = 2 /* meta pages */ + dbi_pages(txn, 0, NULL) /* free list */ +
                     dbi_pages(txn, 1, NULL) /* main: the database records */;
    for (int i = 0; i < DB_COUNT; i++) {
        uint64_t e = 0, p = dbi_pages(txn, s->dbi[i], &e);
        pages += p;
        if (i == DB_NUM0 || i == DB_NUM1)
            st->number_bytes += p * es.ms_psize;
        if (i == DB_TMPL || i == DB_TIDX)
            st->template_bytes += p * es.ms_psize;
        if (i == DB_TMPL)
            st->templates = e;
        if (i == DB_JOURNAL)
            st->journal_entries = e;
    }
    st->pages_used = pages;
    st->bytes_used = pages * es.ms_psize;
    char fn[4096];
    snprintf(fn, sizeof(fn), "%s/data.mdb", s->path);
    struct stat sb;
    if (stat(fn, &sb) == 0)
        st->file_size = (uint64_t)sb.st_size;
    st->bytes_per_number = st->numbers ? (double)st->bytes_used / (double)st->numbers : 0;
    return 0;
}
