/*
 * server/update.c — RFC 2136 UPDATE: provisioning the store over DNS, signed with TSIG.
 *
 * A request goes through these steps, each of which can end it with its rcode:
 *
 *   1. The zone section (§3.1): one question (query.c drops any other count), type SOA and
 *      class IN, else FORMERR (Knot checks the type first, as here). The zone must be a zone of
 *      the store and not one this server is a secondary of (§3.1.2 would forward; Knot answers
 *      NOTAUTH, and so do we). Then the zone's ACL must allow the update action for the
 *      client's address and TSIG key (RFC 8945; a bad or unknown signature never gets here:
 *      query.c answers NOTAUTH with the TSIG error). Refused: REFUSED.
 *      These checks read the header, the question and the thread's store snapshot only. No
 *      write transaction is opened and nothing is allocated before they pass, so a flood of
 *      unauthorized UPDATEs costs what a flood of queries costs (the answer is built in place
 *      in the response buffer). The ACL comes before the prerequisites, unlike the order of
 *      §3.2/§3.3, so that prerequisites cannot be used to probe a zone one may not change.
 *   2. The write transaction begins; it holds the store's single writer lock, so no other
 *      commit can land until it ends. A reader begun right after sees exactly the data the
 *      transaction started from (LMDB: the last commit).
 *   3. Prerequisites (§2.4, §3.2), in order, against that snapshot (all prerequisites are
 *      evaluated before any change, so the snapshot is the transaction's view): TTL 0, name in
 *      the zone (NOTZONE); class ANY: RRset exists (NXRRSET) or name is in use (NXDOMAIN);
 *      class NONE: RRset does not exist (YXRRSET) or name is not in use (YXDOMAIN); class IN:
 *      collected per (name, type) and compared as sets after the loop (NXRRSET). Names are
 *      literal, as in RFC 2136 and Knot: a number that only a block covers is not "in use",
 *      and an empty non-terminal is not either (§2.4.4).
 *   4. The prescan of the update section (§3.4.1): every name in the zone (NOTZONE), classes
 *      and types as §3.4.1.3 allows (FORMERR).
 *   5. The updates (§3.4.2), in order, in the transaction, whose own view (e2u_store_txn_get)
 *      decides: add (class IN), delete an RRset (ANY, type), delete a name (ANY, ANY), delete
 *      an RR (NONE). The special cases: an SOA is added only at the apex and only when its
 *      serial is not older (RFC 1982); CNAME and other data do not mix (the later one is
 *      ignored, §3.4.2.2); the apex SOA and NS are never deleted as RRsets or with the name,
 *      and the apex's last NS never by RR (§3.4.2.3, §3.4.2.4). The store decides whether a
 *      name is a number entry or an ordinary name. Any error aborts the transaction: nothing
 *      of the request is applied (the store rejecting a record, e.g. DNAME: REFUSED; the
 *      store failing: SERVFAIL).
 *   6. If anything changed, commit: the store bumps the SOA serial and writes one journal
 *      entry, which IXFR and NOTIFY follow. A request that changes nothing (adding a record
 *      that is there) is aborted instead and leaves the serial alone (§3.6). The thread's
 *      reader is renewed, so a query pipelined behind the update sees it; other threads see
 *      it from their next batch.
 *   7. The answer echoes the header and the zone section (§3.8), with our OPT when the request
 *      had EDNS, signed with the request's key when it was signed (RFC 8945 §5.3).
 *
 * Blocks. A block entry (e2u/store.h) has no owner name; AXFR transfers it as a wildcard at
 * the block's prefix name, and UPDATE addresses it the same way: NAPTR records at
 * "*.5.5.5.7.7.7.1.e164.arpa." are the block +1777555* (no fixed length). Adding, deleting an
 * RR, deleting the RRset and deleting the name all work on it, and the prerequisites see it
 * at that name. An ordinary wildcard name holding NAPTRs (imported from a master file) keeps
 * priority: when "*.P" has a NAPTR RRset of its own, additions go there; deletions apply to
 * both. Blocks of a fixed length (+1777555XXXX) have no DNS name and are left to e2uctl.
 * The store's write API cannot read a block inside a transaction, so the block's records as
 * the transaction began are read from that reader (step 2) through the names the
 * block covers (block_base), and the request's own changes to blocks are kept beside it.
 *
 * Limits: the request is at most one DNS message (64 KiB over TCP, 4 KiB over UDP) and
 * is parsed by libknot before this file sees it; at most UPD_BLOCKS_MAX distinct blocks and
 * UPD_TYPES_MAX RR types at one name per request; store RRsets of at most UPD_BUF octets.
 * A write waits for the store's writer lock: while e2uctl imports, the worker that received
 * an UPDATE waits (the other workers go on answering).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <libknot/libknot.h>

#include "e2u/dname.h"
#include "server.h"

#define UPD_BLOCKS_MAX 64                           /* distinct blocks one request may change */
#define UPD_TYPES_MAX  64                           /* RR types at one name */
#define UPD_BUF        (E2U_STORE_BUF_MIN + 4096)   /* one RRset as the transaction sees it */
#define UPD_DIGITS_MAX (128 + E2U_STORE_MAX_DIGITS) /* zone prefix digits plus the block's */

#define TYPE_RRSIG 46
#define TYPE_NSEC  47

/* A block as the request sees it: the snapshot's, then the request's own changes. */
typedef struct ublock {
    char prefix[UPD_DIGITS_MAX + 1]; /* all digits, the zone's own included */
    unsigned L;                      /* total digits, 0 = any */
    bool exists;
    uint32_t ttl;
    uint16_t count;
    uint8_t *rdata; /* count x (rdlen (16, big-endian) | rdata); malloc'ed */
    size_t size;
} ublock_t;

/* One RRset copied out of the store (a before or after image). */
typedef struct image {
    bool exists;
    e2u_store_rrset_t rs; /* rdata points into buf */
    uint8_t *buf;         /* UPD_BUF octets */
} image_t;

typedef struct upd {
    e2ud_qctx_t *q;
    knot_pkt_t *qp;
    const e2ud_req_t *r;
    uint8_t zone[KNOT_DNAME_MAXLEN]; /* the zone section's name, lower case */
    size_t zlen;
    char zprefix[UPD_DIGITS_MAX + 1]; /* the zone's own digits ("1" for 1.e164.arpa.) */
    size_t zplen;
    e2u_store_txn_t *w;
    e2u_store_rd_t *rd; /* begun after w: the data w started from */
    image_t before, after;
    uint8_t *get;                    /* UPD_BUF octets for e2u_store_txn_get */
    ublock_t blocks[UPD_BLOCKS_MAX]; /* the blocks the request has looked at */
    size_t nblocks;
    char probed[UPD_BLOCKS_MAX][UPD_DIGITS_MAX + 1]; /* prefixes whose lengths were read */
    ublock_t *bound[UPD_BLOCKS_MAX]; /* the block probed[i]'s wildcard stands for, once chosen */
    size_t nprobed;
    bool changed;
    unsigned applied; /* update RRs that changed something */
    char why[256];    /* the reason of a failure, for the log */
} upd_t;

/* Note the reason of a failure for the log (the first one counts). */
static void why(upd_t *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void why(upd_t *u, const char *fmt, ...)
{
    if (u->why[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(u->why, sizeof(u->why), fmt, ap);
    va_end(ap);
}

/* --- the answer (§3.8), built in place: no allocation ----------------------------------------- */

static size_t reply(const upd_t *u, uint8_t *resp, size_t cap, uint8_t rcode, bool badvers)
{
    const knot_pkt_t *qp = u->qp;
    size_t qend = KNOT_WIRE_HEADER_SIZE + knot_pkt_question_size(qp);
    if (qp->qname_size == 0 || qend > qp->size || cap < qend)
        return 0;
    memcpy(resp, qp->wire, qend);
    knot_wire_set_qr(resp);
    knot_wire_clear_aa(resp);
    knot_wire_clear_tc(resp);
    knot_wire_clear_ra(resp);
    knot_wire_clear_z(resp);
    knot_wire_clear_ad(resp);
    knot_wire_clear_cd(resp);
    knot_wire_set_rcode(resp, badvers ? KNOT_EDNS_RCODE_LO(KNOT_RCODE_BADVERS) : rcode);
    knot_wire_set_qdcount(resp, 1);
    knot_wire_set_ancount(resp, 0);
    knot_wire_set_nscount(resp, 0);
    knot_wire_set_arcount(resp, 0);
    /* our OPT (RFC 6891 §6.1.2), with the extended rcode */
    size_t len = e2ud_opt_append(u->q, qp, resp, qend, cap,
                                 badvers ? KNOT_RCODE_BADVERS : rcode, -1);
    if (u->q->cfg && u->r->signed_request && e2ud_tsig_sign(u->q->cfg, u->r, resp, &len, cap) < 0)
        e2ud_log(LOG_ERR, "update: cannot sign the answer with TSIG");
    return len;
}

/* --- names ---------------------------------------------------------------------------------- */

static void addr_text(const struct sockaddr_storage *a, char *buf, size_t cap)
{
    snprintf(buf, cap, "?");
    if (!a)
        return;
    if (a->ss_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, buf, (socklen_t)cap);
    else if (a->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, buf, (socklen_t)cap);
}

static void name_text(const uint8_t *wire, char *buf, size_t cap)
{
    if (e2u_dname_to_text(buf, cap, NULL, wire, knot_dname_size(wire)) < 0)
        snprintf(buf, cap, "?");
}

/* An RR of the request: its owner (lower case), type, class, TTL and RDATA. */
typedef struct urr {
    uint8_t owner[KNOT_DNAME_MAXLEN];
    size_t olen;
    uint16_t type, rclass;
    uint32_t ttl;
    const uint8_t *rd;
    uint16_t rdlen;
} urr_t;

static void urr_get(const knot_pkt_t *qp, int section, uint16_t i, urr_t *o)
{
    const knot_rrset_t *rr = knot_pkt_rr(knot_pkt_section(qp, section), i);
    knot_dname_copy_lower(o->owner, rr->owner);
    o->olen = knot_dname_size(o->owner);
    o->type = rr->type;
    o->rclass = rr->rclass;
    o->ttl = rr->ttl;
    o->rd = rr->rrs.count ? rr->rrs.rdata->data : NULL;
    o->rdlen = rr->rrs.count ? rr->rrs.rdata->len : 0;
}

static bool same_owner(const knot_pkt_t *qp, int section, uint16_t i, const uint8_t *owner)
{
    const knot_rrset_t *rr = knot_pkt_rr(knot_pkt_section(qp, section), i);
    return knot_dname_is_case_equal(rr->owner, owner);
}

/*
 * Look a name up in the snapshot, taking it literally (no zone cuts). Returns 0 when the name
 * is in the update's zone (ans filled), 1 when it is not (NOTZONE), < 0 on a store error.
 */
static int lookup(upd_t *u, const uint8_t *owner, size_t olen, e2u_store_answer_t *ans)
{
    if (!e2u_dname_is_subdomain(owner, u->zone))
        return 1;
    int rc = e2u_store_find_glue(u->rd, owner, olen, u->q->buf, E2U_STORE_BUF_MIN, ans);
    if (rc == E2U_ENOZONE)
        return 1;
    if (rc < 0)
        return rc;
    /* a more specific zone of the store holds it: not ours (§3.2.2, zone_of) */
    return knot_dname_is_equal(ans->zone->origin, u->zone) ? 0 : 1;
}

/* Whether the answer is the name's own entry (RFC 2136 names are literal). */
static bool own_entry(const e2u_store_answer_t *a)
{
    return a->kind == E2U_STORE_APEX || a->kind == E2U_STORE_NUMBER || a->kind == E2U_STORE_NAME;
}

/* If owner is "*." followed by one-digit labels and the zone's origin, the block it names:
 * its full digits into prefix[UPD_DIGITS_MAX + 1]. */
static bool block_name(const upd_t *u, const uint8_t *owner, char *prefix)
{
    if (owner[0] != 1 || owner[1] != '*')
        return false;
    char d[E2U_STORE_MAX_DIGITS];
    size_t n = 0, p = 2;
    for (;;) {
        if (knot_dname_is_equal(owner + p, u->zone))
            break;
        if (owner[p] != 1 || owner[p + 1] < '0' || owner[p + 1] > '9' || n == E2U_STORE_MAX_DIGITS)
            return false;
        d[n++] = (char)owner[p + 1];
        p += 2;
    }
    memcpy(prefix, u->zprefix, u->zplen);
    for (size_t i = 0; i < n; i++)
        prefix[u->zplen + i] = d[n - 1 - i]; /* labels are least significant first */
    prefix[u->zplen + n] = '\0';
    return true;
}

/* The wire name of the number with these full digits (the zone's prefix included). */
static size_t digits_name(const upd_t *u, const char *digits, size_t n, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = n; i > u->zplen; i--) {
        out[o++] = 1;
        out[o++] = (uint8_t)digits[i - 1];
    }
    memcpy(out + o, u->zone, u->zlen);
    return o + u->zlen;
}

/* --- RRsets ---------------------------------------------------------------------------------- */

static bool rrset_has(const e2u_store_rrset_t *rs, const uint8_t *rd, uint16_t len)
{
    size_t pos = 0;
    const uint8_t *d;
    uint16_t l;
    while (e2u_store_rdata_next(rs, &pos, &d, &l))
        if (l == len && (len == 0 || memcmp(d, rd, len) == 0))
            return true;
    return false;
}

/* The RRset (owner, type) as the transaction sees it, copied into im. Returns 0 or < 0. */
static int image_get(upd_t *u, const uint8_t *owner, uint16_t type, image_t *im)
{
    e2u_store_rrset_t rs;
    int rc = e2u_store_txn_get(u->w, owner, type, u->get, UPD_BUF, &rs);
    im->exists = false;
    if (rc == E2U_ENOENT)
        return 0;
    if (rc < 0)
        return rc;
    if (rs.size > UPD_BUF)
        return E2U_ENOSPC;
    memcpy(im->buf, rs.rdata, rs.size);
    im->rs = rs;
    im->rs.rdata = im->buf;
    im->exists = true;
    return 0;
}

static bool image_equal(const image_t *a, const image_t *b)
{
    if (a->exists != b->exists)
        return false;
    if (!a->exists)
        return true;
    return a->rs.ttl == b->rs.ttl && a->rs.count == b->rs.count && a->rs.size == b->rs.size &&
           memcmp(a->rs.rdata, b->rs.rdata, a->rs.size) == 0;
}

/* The types at a name in the transaction's view: the snapshot's and those the request added
 * before update RR idx, each confirmed by the transaction. Returns the count or < 0. */
static int name_types(upd_t *u, const uint8_t *owner, size_t olen, uint16_t idx, uint16_t *types)
{
    uint16_t cand[UPD_TYPES_MAX];
    size_t nc = 0;
    e2u_store_answer_t a;
    int rc = lookup(u, owner, olen, &a);
    if (rc < 0)
        return rc;
    if (rc == 0 && own_entry(&a)) {
        size_t pos = 0;
        e2u_store_rrset_t rs;
        while (e2u_store_rrset_next(a.rrsets, a.rrsets_len, &pos, &rs)) {
            if (nc == UPD_TYPES_MAX)
                return E2U_ENOSPC;
            cand[nc++] = rs.type;
        }
    }
    const knot_pktsection_t *up = knot_pkt_section(u->qp, KNOT_AUTHORITY);
    for (uint16_t j = 0; j < idx; j++) {
        const knot_rrset_t *rr = knot_pkt_rr(up, j);
        if (rr->rclass != KNOT_CLASS_IN || !same_owner(u->qp, KNOT_AUTHORITY, j, owner))
            continue;
        bool seen = false;
        for (size_t k = 0; k < nc && !seen; k++)
            seen = cand[k] == rr->type;
        if (!seen) {
            if (nc == UPD_TYPES_MAX)
                return E2U_ENOSPC;
            cand[nc++] = rr->type;
        }
    }
    int n = 0;
    for (size_t k = 0; k < nc; k++) {
        e2u_store_rrset_t rs;
        rc = e2u_store_txn_get(u->w, owner, cand[k], u->get, UPD_BUF, &rs);
        if (rc == 0)
            types[n++] = cand[k];
        else if (rc != E2U_ENOENT)
            return rc;
    }
    return n;
}

/* --- blocks ---------------------------------------------------------------------------------- */

/*
 * A prefix can hold blocks of several lengths; the wildcard at its name stands for the one
 * AXFR sends there (xfr_out.c): the greatest length, "any length" (0) counting least. The
 * store's write API cannot list them, so the first time a request touches a prefix every
 * length is looked for in the snapshot, through a name of that length below the prefix that
 * the block would answer for (read.c, step 5: a name's own entry and longer prefixes hide
 * it; an exact length wins over no length at one prefix; a shorter prefix never wins over a
 * covering one). What a probe answers:
 */
enum { PROBE_FOUND, PROBE_ABSENT, PROBE_UNKNOWN };

static int probe(upd_t *u, const char *prefix, unsigned L, const char *digits, size_t n,
                 e2u_store_answer_t *a)
{
    uint8_t name[KNOT_DNAME_MAXLEN];
    if ((n - u->zplen) * 2 + u->zlen > KNOT_DNAME_MAXLEN)
        return PROBE_UNKNOWN;
    size_t nl = digits_name(u, digits, n, name);
    if (e2u_store_find_glue(u->rd, name, nl, u->q->buf, E2U_STORE_BUF_MIN, a) < 0)
        return PROBE_UNKNOWN;
    switch (a->kind) {
    case E2U_STORE_NXDOMAIN:
    case E2U_STORE_ENT:
    case E2U_STORE_WILDCARD:
        return PROBE_ABSENT; /* the block would have answered */
    case E2U_STORE_BLOCK: {
        /* a->block is "+DIGITS*" (any length) or "+DIGITSXXX" (that many digits in all) */
        const char *b = a->block[0] == '+' ? a->block + 1 : a->block;
        size_t bl = 0, x = 0;
        while (b[bl] >= '0' && b[bl] <= '9')
            bl++;
        while (b[bl + x] == 'X')
            x++;
        unsigned bL = b[bl] == '*' ? 0 : (unsigned)(bl + x);
        size_t pl = strlen(prefix);
        if (bl < pl)
            return PROBE_ABSENT; /* a shorter prefix answered: none at P covers the name */
        if (bl > pl || memcmp(b, prefix, pl) != 0)
            return PROBE_UNKNOWN; /* a longer prefix hides P's blocks here */
        if (bL == L)
            return PROBE_FOUND;
        /* P with no length answered where P with this length would have won */
        return bL == 0 ? PROBE_ABSENT : PROBE_UNKNOWN;
    }
    default:
        return PROBE_UNKNOWN; /* the name's own entry hides the blocks */
    }
}

/* The n digits after the prefix for try number c: 0...0 to 9...9, then a spread of others. */
static void probe_digits(char *out, size_t n, unsigned c)
{
    uint32_t x = c * 2654435761u;
    for (size_t i = 0; i < n; i++) {
        if (c < 10) {
            out[i] = (char)('0' + c);
        } else {
            x = x * 1103515245u + 12345u;
            out[i] = (char)('0' + (x >> 16) % 10);
        }
    }
}

/* Whether the block (prefix, L) is in the snapshot: 1 with its RRset copied into b, 0, or
 * < 0 (E2U_EBUSY: every name tried was hidden). */
static int block_probe(upd_t *u, ublock_t *b)
{
    char d[UPD_DIGITS_MAX + 3];
    size_t pl = strlen(b->prefix);
    memcpy(d, b->prefix, pl);
    e2u_store_answer_t a;
    /* any length: the prefix's own name, then one and two digits longer; a length: names
     * of exactly that length */
    size_t tries[3] = {1, 10, 100};
    for (unsigned extra = 0; extra < 3; extra++) {
        size_t m = b->L ? b->L - pl : extra;
        if (b->L && extra > 0)
            break;
        if (pl + m - u->zplen > E2U_STORE_MAX_DIGITS)
            break;
        size_t ntries = b->L ? (m ? 30 : 1) : tries[extra];
        for (unsigned c = 0; c < ntries; c++) {
            if (b->L)
                probe_digits(d + pl, m, c);
            else if (extra == 1)
                d[pl] = (char)('0' + c);
            else if (extra == 2)
                d[pl] = (char)('0' + c / 10), d[pl + 1] = (char)('0' + c % 10);
            int p = probe(u, b->prefix, b->L, d, pl + m, &a);
            if (p == PROBE_ABSENT)
                return 0;
            if (p == PROBE_FOUND) {
                e2u_store_rrset_t rs;
                if (e2u_store_answer_rrset(&a, KNOT_RRTYPE_NAPTR, &rs) < 0)
                    return E2U_ECORRUPT;
                b->rdata = malloc(rs.size ? rs.size : 1);
                if (!b->rdata)
                    return E2U_ENOMEM;
                memcpy(b->rdata, rs.rdata, rs.size);
                b->size = rs.size;
                b->count = rs.count;
                b->ttl = rs.ttl;
                b->exists = true;
                return 1;
            }
        }
    }
    return E2U_EBUSY;
}

static ublock_t *block_entry(upd_t *u, const char *prefix, unsigned L)
{
    for (size_t i = 0; i < u->nblocks; i++)
        if (u->blocks[i].L == L && strcmp(u->blocks[i].prefix, prefix) == 0)
            return &u->blocks[i];
    if (u->nblocks == UPD_BLOCKS_MAX)
        return NULL;
    ublock_t *b = &u->blocks[u->nblocks++];
    /* a fresh slot: rdata is NULL (u starts zeroed). Assigned, not memset, which the analyzer
     * takes to overwrite the whole array and so to leak the other entries' rdata */
    *b = (ublock_t){0};
    snprintf(b->prefix, sizeof(b->prefix), "%s", prefix);
    b->L = L;
    return b;
}

/*
 * The block the wildcard at prefix's name stands for in the request's view: the existing one
 * of the greatest length, or a new one of any length (b->exists false). The first call for a
 * prefix reads every length from the snapshot and binds the wildcard to that block for the
 * rest of the request, as an RFC 2136 server keeps one RRset at one name: deleting the last
 * record of +1555444XXXX and adding one in the same request gives +1555444XXXX that record,
 * even though +1555444* would be the wildcard's block between the two steps. Returns 0 or
 * < 0 (u->why says why).
 */
static int block_visible(upd_t *u, const char *prefix, ublock_t **out)
{
    size_t slot = u->nprobed;
    for (size_t i = 0; i < u->nprobed; i++)
        if (strcmp(u->probed[i], prefix) == 0)
            slot = i;
    if (slot < u->nprobed && u->bound[slot]) {
        *out = u->bound[slot];
        return 0;
    }
    ublock_t *best = NULL;
    if (slot == u->nprobed) {
        if (u->nprobed == UPD_BLOCKS_MAX) {
            why(u, "more than %d block prefixes in one update", UPD_BLOCKS_MAX);
            return E2U_EINVAL;
        }
        u->bound[slot] = NULL;
        snprintf(u->probed[u->nprobed++], sizeof(u->probed[0]), "%s", prefix);
        size_t pl = strlen(prefix);
        unsigned first = pl ? (unsigned)pl : 1, last = (unsigned)(u->zplen + E2U_STORE_MAX_DIGITS);
        for (unsigned L = 0; L <= last; L = L ? L + 1 : first) {
            ublock_t pb = {0};
            snprintf(pb.prefix, sizeof(pb.prefix), "%s", prefix);
            pb.L = L;
            int rc = block_probe(u, &pb);
            if (rc == E2U_EBUSY && L == pl)
                rc = 0; /* covers only the prefix's own name, which has data: never seen */
            if (rc == E2U_EBUSY)
                why(u,
                    "block +%s (length %u): every name it covers is hidden by entries of "
                    "their own or longer blocks",
                    prefix, L);
            if (rc <= 0) {
                free(pb.rdata);
                if (rc < 0)
                    return rc;
                continue;
            }
            ublock_t *b = block_entry(u, prefix, L);
            if (!b) {
                free(pb.rdata);
                why(u, "more than %d blocks in one update", UPD_BLOCKS_MAX);
                return E2U_EINVAL;
            }
            *b = pb;
            best = b; /* lengths rise: the last one found is the greatest */
        }
    }
    if (!best) { /* none found above, or probed by an earlier call that failed */
        for (size_t i = 0; i < u->nblocks; i++) {
            ublock_t *b = &u->blocks[i];
            if (b->exists && strcmp(b->prefix, prefix) == 0 && (!best || b->L > best->L))
                best = b;
        }
    }
    if (!best)
        best = block_entry(u, prefix, 0);
    if (!best) {
        why(u, "more than %d blocks in one update", UPD_BLOCKS_MAX);
        return E2U_EINVAL;
    }
    u->bound[slot] = best;
    *out = best;
    return 0;
}

static e2u_store_rrset_t block_rrset(const ublock_t *b)
{
    e2u_store_rrset_t rs = {.type = KNOT_RRTYPE_NAPTR,
                            .ttl = b->ttl,
                            .count = b->exists ? b->count : 0,
                            .rdata = b->rdata,
                            .size = b->exists ? b->size : 0};
    return rs;
}

/* Give block b its records less skip (NULL: none) plus add (NULL: none), with TTL ttl, in the
 * transaction. Returns 0 or < 0. */
static int block_put(upd_t *u, ublock_t *b, uint32_t ttl, const uint8_t *skip, uint16_t skiplen,
                     const uint8_t *add, uint16_t addlen)
{
    e2u_store_rrset_t cur = block_rrset(b);
    if (!b->exists && !add)
        return 0; /* deleting from a block that is not there */
    size_t max = (size_t)cur.count + 1;
    e2u_rdata_t *list = malloc(max * sizeof(*list));
    uint8_t *nb = malloc(cur.size + 2 + addlen);
    if (!list || !nb) {
        free(list);
        free(nb);
        return E2U_ENOMEM;
    }
    size_t n = 0, o = 0, pos = 0;
    const uint8_t *d;
    uint16_t l;
    while (e2u_store_rdata_next(&cur, &pos, &d, &l)) {
        if (skip && l == skiplen && memcmp(d, skip, l) == 0)
            continue;
        knot_wire_write_u16(nb + o, l);
        memcpy(nb + o + 2, d, l);
        list[n].data = nb + o + 2;
        list[n].len = l;
        o += 2u + l;
        n++;
    }
    if (add) {
        knot_wire_write_u16(nb + o, addlen);
        memcpy(nb + o + 2, add, addlen);
        list[n].data = nb + o + 2;
        list[n].len = addlen;
        o += 2u + addlen;
        n++;
    }
    e2u_diag_t diag = {0};
    int rc = 0;
    if (n || b->exists)
        rc = e2u_store_put_block(u->w, u->zone, b->prefix, b->L, ttl, list, n, &diag);
    free(list);
    if (rc < 0) {
        free(nb);
        why(u, "block +%s: %s", b->prefix, diag.msg[0] ? diag.msg : e2u_strerror(rc));
        return rc;
    }
    free(b->rdata);
    b->rdata = nb;
    b->size = o;
    b->count = (uint16_t)n;
    b->ttl = ttl;
    b->exists = n > 0;
    u->changed = true;
    return 0;
}

/* Delete the whole block. */
static int block_clear(upd_t *u, ublock_t *b)
{
    if (!b->exists)
        return 0;
    b->count = 0;
    b->size = 0;
    return block_put(u, b, b->ttl, NULL, 0, NULL, 0);
}

/* Delete every block at prefix, whatever its length (deleting the wildcard's RRset or name). */
static int block_clear_all(upd_t *u, const char *prefix)
{
    ublock_t *b;
    int rc = block_visible(u, prefix, &b); /* reads the prefix's blocks on first use */
    for (size_t i = 0; rc == 0 && i < u->nblocks; i++)
        if (strcmp(u->blocks[i].prefix, prefix) == 0)
            rc = block_clear(u, &u->blocks[i]);
    return rc;
}

/*
 * Whether "*.P" is an ordinary name in the transaction's view (before update RR idx): then
 * it is the zone's data at that name, as AXFR sends it, and UPDATE treats it as any name.
 * For an addition, a record of another type that the request adds there later counts too, so
 * that NAPTRs added beside it land at the name whatever their order: otherwise a NAPTR added
 * before the name exists goes to the block, which the name then hides from AXFR and from every
 * later UPDATE, and the same request sent twice changes the zone twice (found by
 * fuzz/fuzz_update.c; fuzz/corpus/update/regress-wildcard-naptr-then-other-type.bin).
 */
static int wildcard_is_name(upd_t *u, const urr_t *rr, uint16_t idx)
{
    const knot_pktsection_t *up = knot_pkt_section(u->qp, KNOT_AUTHORITY);
    for (uint16_t j = idx + 1; rr->rclass == KNOT_CLASS_IN && j < up->count; j++) {
        const knot_rrset_t *o = knot_pkt_rr(up, j);
        if (o->rclass == KNOT_CLASS_IN && o->type != KNOT_RRTYPE_NAPTR &&
            o->type != KNOT_RRTYPE_SOA && same_owner(u->qp, KNOT_AUTHORITY, j, rr->owner))
            return 1; /* (an SOA there is ignored, §3.4.2.2: it makes no name) */
    }
    uint16_t types[UPD_TYPES_MAX];
    int n = name_types(u, rr->owner, rr->olen, idx, types);
    return n < 0 ? n : n > 0;
}

/* --- prerequisites (§3.2) -------------------------------------------------------------------- */

/* The zone's RRset (owner, type) in the snapshot, with the block convention: "*.P" is the
 * name when the store has that name, else its NAPTRs are the block AXFR shows there. Returns
 * 1 with *out, 0 when absent, < 0. */
static int zone_rrset(upd_t *u, const urr_t *rr, uint16_t type, const e2u_store_answer_t *a,
                      e2u_store_rrset_t *out)
{
    if (own_entry(a))
        return e2u_store_answer_rrset(a, type, out) == 0;
    char prefix[UPD_DIGITS_MAX + 1];
    if (type != KNOT_RRTYPE_NAPTR || !block_name(u, rr->owner, prefix))
        return 0;
    ublock_t *b;
    int rc = block_visible(u, prefix, &b);
    if (rc < 0)
        return rc;
    *out = block_rrset(b);
    return b->exists;
}

/* Whether the name is in use in the snapshot (§2.4.4): its own entry, or the block at it. */
static int name_in_use(upd_t *u, const urr_t *rr, const e2u_store_answer_t *a)
{
    if (own_entry(a))
        return a->rrsets_len > 0;
    char prefix[UPD_DIGITS_MAX + 1];
    if (!block_name(u, rr->owner, prefix))
        return 0;
    ublock_t *b;
    int rc = block_visible(u, prefix, &b);
    return rc < 0 ? rc : b->exists;
}

/* Returns the rcode of the first prerequisite not met (0: all are), or -1 on a store error. */
static int prerequisites(upd_t *u)
{
    const knot_pktsection_t *pre = knot_pkt_section(u->qp, KNOT_ANSWER);
    urr_t rr;
    e2u_store_answer_t a;
    for (uint16_t i = 0; i < pre->count; i++) {
        urr_get(u->qp, KNOT_ANSWER, i, &rr);
        if (rr.ttl != 0)
            return KNOT_RCODE_FORMERR;
        int rc = lookup(u, rr.owner, rr.olen, &a);
        if (rc < 0)
            return -1;
        if (rc == 1)
            return KNOT_RCODE_NOTZONE;
        if (rr.rclass == KNOT_CLASS_ANY || rr.rclass == KNOT_CLASS_NONE) {
            if (rr.rdlen != 0)
                return KNOT_RCODE_FORMERR;
            bool want = rr.rclass == KNOT_CLASS_ANY;
            e2u_store_rrset_t rs;
            rc = rr.type == KNOT_RRTYPE_ANY ? name_in_use(u, &rr, &a)
                                            : zone_rrset(u, &rr, rr.type, &a, &rs);
            if (rc < 0)
                return -1;
            if ((rc == 1) != want) {
                if (rr.type == KNOT_RRTYPE_ANY)
                    return want ? KNOT_RCODE_NXDOMAIN : KNOT_RCODE_YXDOMAIN;
                return want ? KNOT_RCODE_NXRRSET : KNOT_RCODE_YXRRSET;
            }
        } else if (rr.rclass != KNOT_CLASS_IN) {
            return KNOT_RCODE_FORMERR;
        }
    }
    /* RRset exists (value dependent, §2.4.2): each (name, type) of class IN, as a set */
    for (uint16_t i = 0; i < pre->count; i++) {
        urr_get(u->qp, KNOT_ANSWER, i, &rr);
        if (rr.rclass != KNOT_CLASS_IN)
            continue;
        bool first = true;
        for (uint16_t j = 0; j < i && first; j++) {
            const knot_rrset_t *o = knot_pkt_rr(pre, j);
            first = !(o->rclass == KNOT_CLASS_IN && o->type == rr.type &&
                      same_owner(u->qp, KNOT_ANSWER, j, rr.owner));
        }
        if (!first)
            continue;
        if (lookup(u, rr.owner, rr.olen, &a) != 0)
            return -1;
        e2u_store_rrset_t zs;
        int rc = zone_rrset(u, &rr, rr.type, &a, &zs);
        if (rc < 0)
            return -1;
        if (rc == 0)
            return KNOT_RCODE_NXRRSET;
        size_t unique = 0;
        for (uint16_t j = i; j < pre->count; j++) {
            const knot_rrset_t *o = knot_pkt_rr(pre, j);
            if (o->rclass != KNOT_CLASS_IN || o->type != rr.type ||
                !same_owner(u->qp, KNOT_ANSWER, j, rr.owner))
                continue;
            const uint8_t *d = o->rrs.count ? o->rrs.rdata->data : NULL;
            uint16_t l = o->rrs.count ? o->rrs.rdata->len : 0;
            if (!rrset_has(&zs, d, l))
                return KNOT_RCODE_NXRRSET;
            bool dup = false;
            for (uint16_t k = i; k < j && !dup; k++) {
                const knot_rrset_t *p = knot_pkt_rr(pre, k);
                dup = p->rclass == KNOT_CLASS_IN && p->type == rr.type &&
                      same_owner(u->qp, KNOT_ANSWER, k, rr.owner) && p->rrs.count &&
                      p->rrs.rdata->len == l && (l == 0 || memcmp(p->rrs.rdata->data, d, l) == 0);
            }
            unique += !dup;
        }
        if (unique != zs.count)
            return KNOT_RCODE_NXRRSET;
    }
    return 0;
}

/* --- the update section ---------------------------------------------------------------------- */

/* Meta and question types (RFC 6895 §3.1) that no zone holds. */
static bool meta_type(uint16_t t)
{
    return t == 0 || t == KNOT_RRTYPE_OPT || (t >= 128 && t <= 255);
}

/* §3.4.1: returns 0 or the rcode. */
static int prescan(upd_t *u)
{
    const knot_pktsection_t *up = knot_pkt_section(u->qp, KNOT_AUTHORITY);
    urr_t rr;
    e2u_store_answer_t a;
    for (uint16_t i = 0; i < up->count; i++) {
        urr_get(u->qp, KNOT_AUTHORITY, i, &rr);
        int rc = lookup(u, rr.owner, rr.olen, &a);
        if (rc < 0)
            return -1;
        if (rc == 1)
            return KNOT_RCODE_NOTZONE;
        if (rr.rclass == KNOT_CLASS_IN) {
            if (meta_type(rr.type))
                return KNOT_RCODE_FORMERR;
        } else if (rr.rclass == KNOT_CLASS_ANY) {
            if (rr.ttl != 0 || rr.rdlen != 0 || (meta_type(rr.type) && rr.type != KNOT_RRTYPE_ANY))
                return KNOT_RCODE_FORMERR;
        } else if (rr.rclass == KNOT_CLASS_NONE) {
            if (rr.ttl != 0 || meta_type(rr.type))
                return KNOT_RCODE_FORMERR;
        } else {
            return KNOT_RCODE_FORMERR;
        }
    }
    return 0;
}

/* Map a store error of an update RR onto the answer's rcode. */
static int store_rcode(upd_t *u, int rc, const e2u_diag_t *d, const urr_t *rr, uint16_t i)
{
    if (!u->why[0]) {
        char t[E2U_DNAME_TEXT_MAX];
        name_text(rr->owner, t, sizeof(t));
        why(u, "update RR %u (%s type %u): %s", i + 1, t, rr->type,
            d && d->msg[0] ? d->msg : e2u_strerror(rc));
    }
    /* the store refuses the content (DNAME, a malformed record, ...): the request's fault */
    return rc == E2U_EINVAL || rc == E2U_EDNAME ? KNOT_RCODE_REFUSED : KNOT_RCODE_SERVFAIL;
}

/* One RRset change through the store, noting whether the RRset changed. */
enum { OP_ADD, OP_DEL_RR, OP_PUT };

static int rrset_op(upd_t *u, const urr_t *rr, int op, uint16_t n, e2u_diag_t *d)
{
    int rc = image_get(u, rr->owner, rr->type, &u->before);
    if (rc < 0)
        return rc;
    e2u_rdata_t one = {rr->rd, rr->rdlen};
    d->msg[0] = '\0';
    if (op == OP_ADD)
        rc = e2u_store_add_rr(u->w, rr->owner, rr->type, rr->ttl, rr->rd, rr->rdlen, d);
    else if (op == OP_DEL_RR)
        rc = e2u_store_del_rr(u->w, rr->owner, rr->type, rr->rd, rr->rdlen, d);
    else
        rc = e2u_store_put_rrset(u->w, rr->owner, rr->type, rr->ttl, n ? &one : NULL, n, d);
    if (rc < 0)
        return rc;
    rc = image_get(u, rr->owner, rr->type, &u->after);
    if (rc < 0)
        return rc;
    if (!image_equal(&u->before, &u->after))
        u->changed = true;
    return 0;
}

static uint32_t soa_serial(const uint8_t *rd, uint16_t len)
{
    return len >= 20 ? knot_wire_read_u32(rd + len - 20) : 0;
}

/* Apply update RR i (§3.4.2); u->changed tells whether it changed anything. Returns 0, or
 * the rcode to answer after aborting. */
static int apply_one(upd_t *u, uint16_t i)
{
    urr_t rr;
    urr_get(u->qp, KNOT_AUTHORITY, i, &rr);
    bool apex = knot_dname_is_equal(rr.owner, u->zone);
    char prefix[UPD_DIGITS_MAX + 1];
    e2u_diag_t d = {0};
    uint16_t types[UPD_TYPES_MAX];
    ublock_t *b;
    int rc = 0;

    /* NAPTRs at "*.P" are the block AXFR shows there, unless the store has that name */
    bool blk = rr.type != KNOT_RRTYPE_CNAME && block_name(u, rr.owner, prefix);
    if (blk) {
        if ((rc = wildcard_is_name(u, &rr, i)) < 0)
            goto fail;
        blk = rc == 0;
    }
    if (blk && (rr.type == KNOT_RRTYPE_NAPTR || rr.type == KNOT_RRTYPE_ANY)) {
        if (rr.rclass == KNOT_CLASS_IN) {
            if ((rc = block_visible(u, prefix, &b)) < 0)
                goto fail;
            e2u_store_rrset_t cur = block_rrset(b);
            if (!(b->exists && b->ttl == rr.ttl && rrset_has(&cur, rr.rd, rr.rdlen)) &&
                (rc = block_put(u, b, rr.ttl, rr.rd, rr.rdlen, rr.rd, rr.rdlen)) < 0)
                goto fail;
        } else if (rr.rclass == KNOT_CLASS_ANY) {
            if ((rc = block_clear_all(u, prefix)) < 0)
                goto fail;
        } else {
            if ((rc = block_visible(u, prefix, &b)) < 0)
                goto fail;
            e2u_store_rrset_t cur = block_rrset(b);
            if (b->exists && rrset_has(&cur, rr.rd, rr.rdlen) &&
                (rc = block_put(u, b, b->ttl, rr.rd, rr.rdlen, NULL, 0)) < 0)
                goto fail;
        }
        return 0;
    }

    if (rr.rclass == KNOT_CLASS_IN) {
        if (rr.type == KNOT_RRTYPE_SOA) {
            if (!apex)
                return 0; /* §3.4.2.2: an SOA elsewhere is ignored */
            if ((rc = image_get(u, u->zone, KNOT_RRTYPE_SOA, &u->before)) < 0)
                goto fail;
            if (u->before.exists) {
                size_t p = 0;
                const uint8_t *cd = NULL;
                uint16_t cl = 0;
                e2u_store_rdata_next(&u->before.rs, &p, &cd, &cl);
                uint32_t cur = soa_serial(cd, cl), nw = soa_serial(rr.rd, rr.rdlen);
                if (cur != nw && (int32_t)(cur - nw) > 0)
                    return 0; /* an older serial (RFC 1982) is ignored */
            }
            if ((rc = rrset_op(u, &rr, OP_PUT, 1, &d)) < 0)
                goto fail;
        } else if (rr.type == KNOT_RRTYPE_CNAME) {
            int n = name_types(u, rr.owner, rr.olen, i, types);
            if ((rc = n) < 0)
                goto fail;
            for (int k = 0; k < n; k++)
                if (types[k] != KNOT_RRTYPE_CNAME && types[k] != TYPE_RRSIG &&
                    types[k] != TYPE_NSEC)
                    return 0; /* §3.4.2.2: no CNAME beside other data */
            /* a CNAME replaces the CNAME there */
            if ((rc = rrset_op(u, &rr, OP_PUT, 1, &d)) < 0)
                goto fail;
        } else {
            if (rr.type != TYPE_RRSIG && rr.type != TYPE_NSEC) {
                if ((rc = image_get(u, rr.owner, KNOT_RRTYPE_CNAME, &u->before)) < 0)
                    goto fail;
                if (u->before.exists)
                    return 0; /* §3.4.2.2: no other data beside a CNAME */
            }
            if ((rc = rrset_op(u, &rr, OP_ADD, 0, &d)) < 0)
                goto fail;
        }
    } else if (rr.rclass == KNOT_CLASS_ANY) {
        if (rr.type == KNOT_RRTYPE_ANY) {
            int n = name_types(u, rr.owner, rr.olen, i, types);
            if ((rc = n) < 0)
                goto fail;
            for (int k = 0; k < n; k++) {
                /* §3.4.2.3: at the apex, everything but the SOA and the NS */
                if (apex && (types[k] == KNOT_RRTYPE_SOA || types[k] == KNOT_RRTYPE_NS))
                    continue;
                urr_t one = rr;
                one.type = types[k];
                if ((rc = rrset_op(u, &one, OP_PUT, 0, &d)) < 0)
                    goto fail;
            }
        } else if (apex && (rr.type == KNOT_RRTYPE_SOA || rr.type == KNOT_RRTYPE_NS)) {
            return 0; /* §3.4.2.3 */
        } else {
            if ((rc = image_get(u, rr.owner, rr.type, &u->before)) < 0)
                goto fail;
            if (u->before.exists && (rc = rrset_op(u, &rr, OP_PUT, 0, &d)) < 0)
                goto fail;
        }
    } else { /* KNOT_CLASS_NONE: the prescan saw to that */
        if (rr.type == KNOT_RRTYPE_SOA)
            return 0; /* §3.4.2.4 */
        if (rr.type == KNOT_RRTYPE_NS && apex) {
            if ((rc = image_get(u, rr.owner, KNOT_RRTYPE_NS, &u->before)) < 0)
                goto fail;
            if (u->before.exists && u->before.rs.count == 1 &&
                rrset_has(&u->before.rs, rr.rd, rr.rdlen))
                return 0; /* §3.4.2.4: never the apex's last NS */
        }
        if ((rc = rrset_op(u, &rr, OP_DEL_RR, 0, &d)) < 0)
            goto fail;
    }
    return 0;
fail:
    return store_rcode(u, rc, &d, &rr, i);
}

static int apply(upd_t *u, uint16_t i)
{
    bool before = u->changed;
    u->changed = false;
    int rcode = apply_one(u, i);
    u->applied += u->changed;
    u->changed |= before;
    return rcode;
}

/* --- the request ----------------------------------------------------------------------------- */

static const char *rcode_name(int rcode)
{
    const knot_lookup_t *l = knot_lookup_by_id(knot_rcode_names, rcode);
    return l ? l->name : "?";
}

size_t e2ud_update(e2ud_qctx_t *q, knot_pkt_t *qp, const e2ud_req_t *r, uint8_t *resp, size_t cap)
{
    upd_t u = {.q = q, .qp = qp, .r = r};

    /* 1. Everything that can refuse the request before it costs memory or the writer lock */
    if (knot_pkt_has_edns(qp) && knot_edns_get_version(qp->opt_rr) != KNOT_EDNS_VERSION)
        return reply(&u, resp, cap, 0, true); /* RFC 6891 §6.1.3 */
    if (knot_pkt_qtype(qp) != KNOT_RRTYPE_SOA || knot_pkt_qclass(qp) != KNOT_CLASS_IN)
        return reply(&u, resp, cap, KNOT_RCODE_FORMERR, false); /* §3.1.1 */
    knot_dname_copy_lower(u.zone, knot_pkt_qname(qp));
    u.zlen = knot_dname_size(u.zone);
    const e2u_store_zone_t *z;
    if (e2u_store_zone_get(q->rd, u.zone, &z) < 0)
        return reply(&u, resp, cap, KNOT_RCODE_NOTAUTH, false); /* §3.1.2, as Knot */
    const e2ud_conf_t *conf = q->cfg ? &q->cfg->conf : NULL;
    const e2ud_zone_conf_t *zc = conf ? e2ud_conf_zone(conf, u.zone) : NULL;
    if (zc && zc->nmaster)
        return reply(&u, resp, cap, KNOT_RCODE_NOTAUTH, false); /* a secondary's zone */
    char from[INET6_ADDRSTRLEN], zname[E2U_DNAME_TEXT_MAX];
    if (!conf || !e2ud_acl_allows(conf, zc, E2UD_ACT_UPDATE, r)) {
        if (conf && conf->log_level >= LOG_DEBUG) {
            addr_text(r->from, from, sizeof(from));
            name_text(u.zone, zname, sizeof(zname));
            e2ud_log(LOG_DEBUG, "update of %s from %s refused by the ACL", zname, from);
        }
        return reply(&u, resp, cap, KNOT_RCODE_REFUSED, false); /* §3.3 */
    }

    /* 2. The transaction, and a snapshot of what it starts from */
    addr_text(r->from, from, sizeof(from));
    name_text(u.zone, zname, sizeof(zname));
    const char *key = r->key >= 0 ? conf->keys[r->key].id : "no key";
    int rcode = 0;
    uint32_t serial0 = 0, serial1 = 0;
    const knot_pktsection_t *up = knot_pkt_section(qp, KNOT_AUTHORITY);
    uint8_t *bufs = malloc(3 * (size_t)UPD_BUF);
    if (!bufs) {
        e2ud_log(LOG_ERR, "update of %s from %s: out of memory", zname, from);
        return reply(&u, resp, cap, KNOT_RCODE_SERVFAIL, false);
    }
    u.get = bufs;
    u.before.buf = bufs + UPD_BUF;
    u.after.buf = bufs + 2 * (size_t)UPD_BUF;
    int rc = e2u_store_write_begin(q->srv->store, &u.w);
    if (rc < 0) {
        why(&u, "cannot write the store: %s", e2u_strerror(rc));
        rcode = KNOT_RCODE_SERVFAIL;
        goto done;
    }
    rc = e2u_store_read_begin(q->srv->store, &u.rd);
    if (rc < 0) {
        why(&u, "cannot read the store: %s", e2u_strerror(rc));
        rcode = KNOT_RCODE_SERVFAIL;
        goto done;
    }
    if (e2u_store_zone_get(u.rd, u.zone, &z) < 0) {
        rcode = KNOT_RCODE_NOTAUTH; /* deleted meanwhile */
        goto done;
    }
    if (z->prefix_len > UPD_DIGITS_MAX - E2U_STORE_MAX_DIGITS) {
        why(&u, "zone prefix too long");
        rcode = KNOT_RCODE_SERVFAIL;
        goto done;
    }
    memcpy(u.zprefix, z->prefix, z->prefix_len);
    u.zprefix[z->prefix_len] = '\0';
    u.zplen = z->prefix_len;
    serial0 = serial1 = z->serial;

    /* 3., 4., 5. */
    rcode = prerequisites(&u);
    if (rcode == 0)
        rcode = prescan(&u);
    if (rcode < 0) {
        if (!u.why[0])
            why(&u, "store error while reading");
        rcode = KNOT_RCODE_SERVFAIL;
    }
    for (uint16_t i = 0; rcode == 0 && i < up->count; i++)
        rcode = apply(&u, i);

    /* 6. */
    if (rcode == 0 && u.changed) {
        e2u_diag_t d = {0};
        rc = e2u_store_write_commit(u.w, &d);
        u.w = NULL;
        if (rc < 0) {
            why(&u, "commit failed: %s", d.msg[0] ? d.msg : e2u_strerror(rc));
            rcode = KNOT_RCODE_SERVFAIL;
        }
    }
done:
    e2u_store_write_abort(u.w); /* NULL after a commit */
    e2u_store_read_end(u.rd);
    /* this thread's next query sees the change; the others renew with their next batch */
    e2u_store_read_renew(q->rd);
    if (rcode == 0 && e2u_store_zone_get(q->rd, u.zone, &z) == 0)
        serial1 = z->serial;
    if (rcode == 0)
        e2ud_log(LOG_INFO, "update of %s from %s (%s): %u of %u records applied, serial %u -> %u",
                 zname, from, key, u.applied, up->count, serial0, serial1);
    else
        e2ud_log(rcode == KNOT_RCODE_SERVFAIL ? LOG_ERR : LOG_NOTICE,
                 "update of %s from %s (%s): %s%s%s, nothing applied", zname, from, key,
                 rcode_name(rcode), u.why[0] ? ": " : "", u.why);
    for (size_t i = 0; i < u.nblocks; i++)
        free(u.blocks[i].rdata);
    free(bufs);
    return reply(&u, resp, cap, (uint8_t)rcode, false);
}
