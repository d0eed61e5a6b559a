/*
 * lib/store/journal.c — the change journal: one entry per zone per commit, for IXFR (RFC 1995).
 *
 * An entry is keyed by zone id and a per-zone sequence number (serials wrap, sequence numbers do
 * not), and holds what IXFR sends for one version step: the old SOA and the RRs removed, the
 * new SOA and the RRs added. RRs are stored expanded — real owner names and RDATA, not
 * templates — so an entry stays readable whatever later happens to the templates. A change to
 * a block has no owner name in DNS terms (it covers many names); its RRs carry the block
 * instead, so that another e2u store can replay it, while a standard secondary needs AXFR.
 *
 * A change of more than journal_max_rrs RRs (a bulk import that rewrote the zone) is stored
 * as a "reset": the two SOAs only, telling a replica at the old serial to transfer the whole
 * zone, which is cheaper than a diff that size anyway; so is a change whose entry alone would
 * exceed journal_max_bytes. At most journal_max entries, and at most journal_max_bytes octets
 * of them, are kept per zone (the newest always, however large): older ones are deleted as new
 * ones are written, as Knot bounds its journal by depth and usage. A replica asking IXFR from
 * a serial no longer in the journal gets the whole zone.
 *
 * RR encoding:  0 | u8 owner length | owner | u16 type | u32 ttl | u16 rdlen | rdata
 *               1 | u8 total length | u8 prefix length | prefix digits | u16 type | ...
 * Entry value:  u32 from | u32 to | u8 flags (1 = reset) | u64 time | u32 nremoved |
 *               u32 nadded | removed RRs (old SOA first) | added RRs (new SOA first)
 */
#include <stdlib.h>
#include <time.h>

#include "store/internal.h"

#define JHDR 25

static int jrr_tail(e2u__buf_t *b, uint16_t type, uint32_t ttl, const uint8_t *rdata,
                    uint16_t rdlen)
{
    uint8_t t[8];
    e2u__put16(t, type);
    e2u__put32(t + 2, ttl);
    e2u__put16(t + 6, rdlen);
    if (e2u__buf_add(b, t, 8) < 0 || e2u__buf_add(b, rdata, rdlen) < 0)
        return E2U_ENOMEM;
    return 0;
}

int e2u__jrr_name(e2u__buf_t *b, const uint8_t *owner, size_t olen, uint16_t type, uint32_t ttl,
                  const uint8_t *rdata, uint16_t rdlen)
{
    uint8_t h[2] = {0, (uint8_t)olen};
    if (e2u__buf_add(b, h, 2) < 0 || e2u__buf_add(b, owner, olen) < 0)
        return E2U_ENOMEM;
    return jrr_tail(b, type, ttl, rdata, rdlen);
}

int e2u__jrr_block(e2u__buf_t *b, const char *prefix, size_t plen, unsigned length, uint16_t type,
                   uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
    uint8_t h[3] = {1, (uint8_t)length, (uint8_t)plen};
    if (e2u__buf_add(b, h, 3) < 0 || e2u__buf_add(b, prefix, plen) < 0)
        return E2U_ENOMEM;
    return jrr_tail(b, type, ttl, rdata, rdlen);
}

static int jrr(e2u__buf_t *b, const uint8_t *owner, size_t olen, const char *prefix, size_t plen,
               unsigned length, uint16_t type, uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
    return owner ? e2u__jrr_name(b, owner, olen, type, ttl, rdata, rdlen)
                 : e2u__jrr_block(b, prefix, plen, length, type, ttl, rdata, rdlen);
}

/* All records of one RRset into b; returns the count or < 0. */
static int jrr_rrset(e2u__buf_t *b, const uint8_t *owner, size_t olen, const char *prefix,
                     size_t plen, unsigned length, const e2u_store_rrset_t *rs)
{
    size_t pos = 0;
    const uint8_t *rd;
    uint16_t len;
    int n = 0;
    while (e2u_store_rdata_next(rs, &pos, &rd, &len)) {
        int r = jrr(b, owner, olen, prefix, plen, length, rs->type, rs->ttl, rd, len);
        if (r < 0)
            return r;
        n++;
    }
    return n;
}

int e2u__jrr_blob(e2u__buf_t *b, const uint8_t *owner, size_t olen, const char *prefix, size_t plen,
                  unsigned length, const uint8_t *blob, size_t bloblen)
{
    size_t pos = 0;
    e2u_store_rrset_t rs;
    int n = 0;
    while (e2u_store_rrset_next(blob, bloblen, &pos, &rs)) {
        int r = jrr_rrset(b, owner, olen, prefix, plen, length, &rs);
        if (r < 0)
            return r;
        n += r;
    }
    return n;
}

static int rd_cmp(const uint8_t *a, uint16_t al, const uint8_t *b, uint16_t bl)
{
    size_t m = al < bl ? al : bl;
    int c = memcmp(a, b, m);
    return c ? c : (int)al - (int)bl;
}

int e2u__jdiff(e2u__jchange_t *ch, const uint8_t *owner, size_t olen, const char *prefix,
               size_t plen, unsigned length, const uint8_t *old, size_t oldlen, const uint8_t *neu,
               size_t newlen)
{
    size_t po = 0, pn = 0;
    e2u_store_rrset_t ro, rn;
    bool ho = e2u_store_rrset_next(old, oldlen, &po, &ro);
    bool hn = e2u_store_rrset_next(neu, newlen, &pn, &rn);
    while (ho || hn) {
        int r;
        if (ho && (!hn || ro.type < rn.type)) {
            if ((r = jrr_rrset(&ch->removed, owner, olen, prefix, plen, length, &ro)) < 0)
                return r;
            ch->nremoved += (uint32_t)r;
            ho = e2u_store_rrset_next(old, oldlen, &po, &ro);
        } else if (hn && (!ho || rn.type < ro.type)) {
            if ((r = jrr_rrset(&ch->added, owner, olen, prefix, plen, length, &rn)) < 0)
                return r;
            ch->nadded += (uint32_t)r;
            hn = e2u_store_rrset_next(neu, newlen, &pn, &rn);
        } else {
            if (ro.ttl != rn.ttl) {
                /* a new TTL: IXFR removes and adds every record (RFC 1995 §2) */
                if ((r = jrr_rrset(&ch->removed, owner, olen, prefix, plen, length, &ro)) < 0)
                    return r;
                ch->nremoved += (uint32_t)r;
                if ((r = jrr_rrset(&ch->added, owner, olen, prefix, plen, length, &rn)) < 0)
                    return r;
                ch->nadded += (uint32_t)r;
            } else {
                /* both sides are in canonical order: a merge */
                size_t a = 0, b = 0;
                const uint8_t *da = NULL, *db = NULL;
                uint16_t la = 0, lb = 0;
                bool xa = e2u_store_rdata_next(&ro, &a, &da, &la);
                bool xb = e2u_store_rdata_next(&rn, &b, &db, &lb);
                while (xa || xb) {
                    int c = !xa ? 1 : !xb ? -1 : rd_cmp(da, la, db, lb);
                    if (c < 0) {
                        if ((r = jrr(&ch->removed, owner, olen, prefix, plen, length, ro.type,
                                     ro.ttl, da, la)) < 0)
                            return r;
                        ch->nremoved++;
                        xa = e2u_store_rdata_next(&ro, &a, &da, &la);
                    } else if (c > 0) {
                        if ((r = jrr(&ch->added, owner, olen, prefix, plen, length, rn.type, rn.ttl,
                                     db, lb)) < 0)
                            return r;
                        ch->nadded++;
                        xb = e2u_store_rdata_next(&rn, &b, &db, &lb);
                    } else {
                        xa = e2u_store_rdata_next(&ro, &a, &da, &la);
                        xb = e2u_store_rdata_next(&rn, &b, &db, &lb);
                    }
                }
            }
            ho = e2u_store_rrset_next(old, oldlen, &po, &ro);
            hn = e2u_store_rrset_next(neu, newlen, &pn, &rn);
        }
    }
    return 0;
}

void e2u__jchange_free(e2u__jchange_t *ch)
{
    e2u__buf_free(&ch->removed);
    e2u__buf_free(&ch->added);
    ch->nremoved = ch->nadded = 0;
}

static void jkey(uint8_t k[12], uint32_t zone, uint64_t seq)
{
    e2u__put32(k, zone);
    e2u__put64(k + 4, seq);
}

/* Keep the newest journal_max entries of zone z, and of those the newest whose octets add up
 * to at most journal_max_bytes (the newest entry in any case). The sizes are the values'
 * lengths, read from the B-tree's nodes: a value on overflow pages is not read. */
static int prune(e2u_store_t *s, MDB_txn *txn, const zinfo_t *z)
{
    uint64_t keep_from = z->rec.jseq > s->journal_max ? z->rec.jseq - s->journal_max : 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->dbi[DB_JOURNAL], &c);
    if (rc)
        return e2u__mdb_err(s, rc, NULL, "journal");
    /* newest first: the first entry that would take the total over the cap, and all older
     * ones, go */
    uint8_t key[12];
    jkey(key, z->rec.id, z->rec.jseq);
    MDB_val ck = {12, key}, cv;
    rc = mdb_cursor_get(c, &ck, &cv, MDB_SET_RANGE);
    rc = rc == 0 ? mdb_cursor_get(c, &ck, &cv, MDB_PREV) : mdb_cursor_get(c, &ck, &cv, MDB_LAST);
    uint64_t total = 0;
    while (rc == 0 && ck.mv_size == 12 && e2u__get32(ck.mv_data) == z->rec.id) {
        uint64_t seq = e2u__get64((uint8_t *)ck.mv_data + 4);
        if (seq < keep_from)
            break;
        if (total > 0 && total + cv.mv_size > s->journal_max_bytes) {
            keep_from = seq + 1;
            break;
        }
        total += cv.mv_size;
        rc = mdb_cursor_get(c, &ck, &cv, MDB_PREV);
    }
    if (rc && rc != MDB_NOTFOUND) {
        mdb_cursor_close(c);
        return e2u__mdb_err(s, rc, NULL, "journal");
    }
    /* oldest first, up to keep_from */
    jkey(key, z->rec.id, 0);
    ck = (MDB_val){12, key};
    rc = keep_from ? mdb_cursor_get(c, &ck, &cv, MDB_SET_RANGE) : MDB_NOTFOUND;
    while (rc == 0 && ck.mv_size == 12 && e2u__get32(ck.mv_data) == z->rec.id &&
           e2u__get64((uint8_t *)ck.mv_data + 4) < keep_from) {
        rc = mdb_cursor_del(c, 0);
        if (rc == 0) /* after a delete, NEXT is the entry that followed it */
            rc = mdb_cursor_get(c, &ck, &cv, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return e2u__mdb_err(s, rc, NULL, "journal");
    return 0;
}

int e2u__journal_write(e2u_store_t *s, MDB_txn *txn, zinfo_t *z, uint32_t from, uint32_t to,
                       const uint8_t *old_soa, uint16_t old_soa_len, uint32_t old_ttl,
                       const uint8_t *new_soa, uint16_t new_soa_len, uint32_t new_ttl,
                       e2u__jchange_t *ch)
{
    e2u__buf_t soas = {0};
    size_t olen_soa = 0;
    int r = 0;
    if (old_soa_len)
        r = e2u__jrr_name(&soas, z->origin, z->origin_len, E2U_STORE_TYPE_SOA, old_ttl, old_soa,
                          old_soa_len);
    olen_soa = soas.len;
    if (r == 0)
        r = e2u__jrr_name(&soas, z->origin, z->origin_len, E2U_STORE_TYPE_SOA, new_ttl, new_soa,
                          new_soa_len);
    if (r < 0) {
        e2u__buf_free(&soas);
        return r;
    }
    bool reset = ch->reset || (size_t)ch->nremoved + ch->nadded > s->journal_max_rrs ||
                 JHDR + soas.len + ch->removed.len + ch->added.len > s->journal_max_bytes;
    uint32_t nrem = (old_soa_len ? 1u : 0u) + (reset ? 0 : ch->nremoved);
    uint32_t nadd = 1u + (reset ? 0 : ch->nadded);
    size_t size = JHDR + soas.len + (reset ? 0 : ch->removed.len + ch->added.len);
    uint8_t key[12];
    jkey(key, z->rec.id, z->rec.jseq);
    MDB_val k = {12, key}, v = {size, NULL};
    int rc = mdb_put(txn, s->dbi[DB_JOURNAL], &k, &v, MDB_RESERVE);
    if (rc) {
        e2u__buf_free(&soas);
        return e2u__mdb_err(s, rc, NULL, "journal");
    }
    uint8_t *p = v.mv_data;
    e2u__put32(p, from);
    e2u__put32(p + 4, to);
    p[8] = reset ? 1 : 0;
    e2u__put64(p + 9, (uint64_t)time(NULL));
    e2u__put32(p + 17, nrem);
    e2u__put32(p + 21, nadd);
    p += JHDR;
    memcpy(p, soas.p, olen_soa);
    p += olen_soa;
    if (!reset && ch->removed.len) {
        memcpy(p, ch->removed.p, ch->removed.len);
        p += ch->removed.len;
    }
    memcpy(p, soas.p + olen_soa, soas.len - olen_soa);
    p += soas.len - olen_soa;
    if (!reset && ch->added.len)
        memcpy(p, ch->added.p, ch->added.len);
    e2u__buf_free(&soas);
    z->rec.jseq++;
    return prune(s, txn, z);
}

int e2u__journal_drop(e2u_store_t *s, MDB_txn *txn, uint32_t zone_id)
{
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, s->dbi[DB_JOURNAL], &c);
    if (rc)
        return e2u__mdb_err(s, rc, NULL, "journal");
    uint8_t key[12];
    jkey(key, zone_id, 0);
    MDB_val k = {12, key}, v;
    rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    while (rc == 0 && k.mv_size == 12 && e2u__get32(k.mv_data) == zone_id) {
        rc = mdb_cursor_del(c, 0);
        if (rc == 0)
            rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(c);
    if (rc && rc != MDB_NOTFOUND)
        return e2u__mdb_err(s, rc, NULL, "journal");
    return 0;
}

/* --- reading -----------------------------------------------------------------------------------
 */

struct e2u_store_jiter {
    MDB_cursor *c;
    uint32_t zone;
    bool pending; /* the cursor is on the entry next() returns */
    bool done;
};

static bool entry_decode(const MDB_val *v, e2u_store_change_t *c)
{
    const uint8_t *p = v->mv_data;
    if (v->mv_size < JHDR)
        return false;
    c->serial_from = e2u__get32(p);
    c->serial_to = e2u__get32(p + 4);
    c->reset = p[8] & 1;
    c->when = e2u__get64(p + 9);
    c->nremoved = e2u__get32(p + 17);
    c->nadded = e2u__get32(p + 21);
    c->rrs = p + JHDR;
    c->rrs_len = v->mv_size - JHDR;
    return true;
}

int e2u_store_journal_begin(e2u_store_rd_t *rd, const uint8_t *origin, uint32_t from, bool all,
                            e2u_store_jiter_t **out)
{
    if (!rd || !origin || !out || e2u_dname_wire_len(origin, 256) < 0)
        return E2U_EINVAL;
    MDB_txn *txn = e2u__rd_txn(rd);
    if (!txn)
        return E2U_EINVAL;
    const zinfo_t *z = e2u__rd_zone(rd, origin);
    if (!z)
        return E2U_ENOZONE;
    e2u_store_t *s = e2u__rd_store(rd);
    e2u_store_jiter_t *it = calloc(1, sizeof(*it));
    if (!it)
        return E2U_ENOMEM;
    it->zone = z->rec.id;
    int rc = mdb_cursor_open(txn, s->dbi[DB_JOURNAL], &it->c);
    if (rc) {
        free(it);
        return e2u__mdb_err(s, rc, NULL, "journal");
    }
    uint8_t key[12];
    MDB_val k, v;
    if (all) {
        jkey(key, it->zone, 0);
        k.mv_size = 12;
        k.mv_data = key;
        rc = mdb_cursor_get(it->c, &k, &v, MDB_SET_RANGE);
        if (rc == 0 && k.mv_size == 12 && e2u__get32(k.mv_data) == it->zone)
            it->pending = true;
        else
            it->done = true;
        *out = it;
        return 0;
    }
    /* the newest entry starting at from: walk back from the zone's last entry */
    jkey(key, it->zone + 1, 0);
    k.mv_size = 12;
    k.mv_data = key;
    rc = mdb_cursor_get(it->c, &k, &v, MDB_SET_RANGE);
    rc =
        rc == 0 ? mdb_cursor_get(it->c, &k, &v, MDB_PREV) : mdb_cursor_get(it->c, &k, &v, MDB_LAST);
    while (rc == 0 && k.mv_size == 12 && e2u__get32(k.mv_data) == it->zone) {
        e2u_store_change_t c;
        if (entry_decode(&v, &c) && c.serial_from == from) {
            it->pending = true;
            *out = it;
            return 0;
        }
        rc = mdb_cursor_get(it->c, &k, &v, MDB_PREV);
    }
    mdb_cursor_close(it->c);
    free(it);
    return E2U_ENOENT;
}

int e2u_store_journal_next(e2u_store_jiter_t *it, e2u_store_change_t *c)
{
    if (!it || it->done)
        return 0;
    MDB_val k, v;
    int rc = it->pending ? mdb_cursor_get(it->c, &k, &v, MDB_GET_CURRENT)
                         : mdb_cursor_get(it->c, &k, &v, MDB_NEXT);
    it->pending = false;
    if (rc || k.mv_size != 12 || e2u__get32(k.mv_data) != it->zone) {
        it->done = true;
        return 0;
    }
    if (!entry_decode(&v, c))
        return E2U_ECORRUPT;
    return 1;
}

void e2u_store_journal_end(e2u_store_jiter_t *it)
{
    if (!it)
        return;
    mdb_cursor_close(it->c);
    free(it);
}

bool e2u_store_change_rr_next(const e2u_store_change_t *c, size_t *pos, e2u_store_rr_t *rr)
{
    size_t p = *pos;
    const uint8_t *b = c->rrs;
    size_t len = c->rrs_len;
    if (p >= len)
        return false;
    memset(rr, 0, sizeof(*rr));
    if (b[p] == 0) {
        if (p + 2 > len)
            return false;
        size_t ol = b[p + 1];
        if (p + 2 + ol + 8 > len)
            return false;
        rr->owner = b + p + 2;
        rr->owner_len = ol;
        p += 2 + ol;
    } else if (b[p] == 1) {
        if (p + 3 > len)
            return false;
        unsigned L = b[p + 1];
        size_t pl = b[p + 2];
        if (p + 3 + pl + 8 > len || pl > E2U_STORE_MAX_DIGITS + 30)
            return false;
        e2u__block_text(rr->block_buf, sizeof(rr->block_buf), (const char *)b + p + 3, pl, L);
        rr->block = rr->block_buf;
        p += 3 + pl;
    } else {
        return false;
    }
    rr->type = e2u__get16(b + p);
    rr->ttl = e2u__get32(b + p + 2);
    rr->rdlen = e2u__get16(b + p + 6);
    if (p + 8 + rr->rdlen > len)
        return false;
    rr->rdata = b + p + 8;
    *pos = p + 8 + rr->rdlen;
    return true;
}
