/*
 * server/xfr_out.c — e2ud as a primary: AXFR (RFC 5936) and IXFR (RFC 1995) out over TCP.
 *
 * A transfer is a small state machine that tcp.c drives one message at a time: the first
 * message comes from e2ud_xfr_out_start, each following one from e2ud_xfr_out_next when the
 * connection's output has drained, so a zone of a million numbers (about 100 MB of AXFR) is
 * streamed from the store and never held in memory. The whole transfer reads one snapshot: a
 * store reader of its own, begun at the start and never renewed (LMDB keeps that version's
 * pages alive), so the SOA at both ends and every record between belong to one commit whatever
 * e2uctl, UPDATE or a refresh commits meanwhile.
 *
 * Checks, in Knot DNS's order: a message that does not parse, a class other than IN or an EDNS
 * version we do not speak is answered by the query path (FORMERR, REFUSED, BADVERS); a TSIG
 * that does not verify gets NOTAUTH with the TSIG error (RFC 8945 §5.2); a name that is not a
 * zone's origin gets NOTAUTH (RFC 5936 §2.2.1: not authoritative); the zone's ACL must allow
 * the action "transfer", else REFUSED, the rcode of a refusal "for policy reasons" (RFC 1035
 * §4.1.1), as BIND answers (Knot answers NOTAUTH there); a secondary zone past its EXPIRE gets
 * SERVFAIL; an IXFR without an SOA in its authority section is FORMERR (RFC 1995 §3).
 *
 * Messages (RFC 5936 §2.2). Each carries the query's ID and question (the question also gives
 * libknot a suffix to compress every owner against, as Knot's transfers do), AA, the records in
 * the answer section, our OPT when the query had one, and is closed once it holds MSG_SOFT
 * octets — 16 KiB like Knot's, so a TCP worker interleaves other clients between messages and
 * TSIG costs one MAC per 16 KiB. An RRset that does not fit the rest of a message opens the
 * next one; one that does not fit an empty message (up to 64 KiB) is split between messages,
 * which RFC 5936 §2.2 allows.
 *
 * TSIG on a stream (RFC 8945 §5.3.1): when the query was signed with a key we know, the first
 * message is signed with the query's MAC as the request MAC (knot_tsig_sign) and every later
 * one with the previous message's MAC (knot_tsig_sign_next), so a client can check each
 * message and the order.
 *
 * AXFR: SOA, the apex's other RRsets, every ordinary name, number and block in the store's
 * walk order (e2u_store_iter_*), SOA again. A block entry has no names of its own in DNS: it is
 * sent as a wildcard at the block's name (the block +1777555* in 1.e164.arpa. becomes
 * *.5.5.5.7.7.7.1.e164.arpa. NAPTR ...), which answers for the names below it that have no
 * data of their own; a block's total length has no DNS equivalent and is lost. When one prefix
 * holds blocks of several lengths only one can be the wildcard: the one with the greatest
 * length, the one the store prefers for the numbers of that length (the usual national
 * length); blocks at one prefix follow each other in the walk, so the choice needs a copy of
 * one candidate's RRset (two buffers, so one can be sent while the next prefix is read). A
 * block whose wildcard name exists in the store as an ordinary name is not sent: the name is
 * the zone's data there.
 *
 * IXFR (RFC 1995 §4): SOA(new), then per journal change SOA(old) and the removed RRs, SOA(new)
 * and the added RRs (the store's journal keeps them in exactly this order), then SOA(new).
 * A client at our serial or newer (RFC 1982 arithmetic) gets our SOA alone (RFC 1995 §2).
 * A journal RR of a block carries the block, not a name: it is sent at the block's wildcard,
 * as AXFR sends it. The answer falls back to the AXFR format inside the IXFR response (RFC 1995
 * §4 allows it) when the journal cannot say what changed in DNS terms:
 *   - no kept change starts at the client's serial, or the chain from it does not reach our
 *     serial without a gap;
 *   - a change in the chain is a "reset" (a bulk import recorded without its differences);
 *   - a block prefix touched in the range holds blocks of more than one length, in the range
 *     or now (the wildcard stands for one of them, and which one may have changed), or its
 *     wildcard name is an ordinary name now;
 *   - a name with a leading "*" label changed while the zone has blocks (it may have hidden or
 *     uncovered a block's wildcard).
 * Deciding that takes one pass over the journal range before the first message and, only when
 * blocks changed, a walk of the zone to see the blocks it has now.
 *
 * IXFR over UDP (e2ud_ixfr_udp) answers with our SOA alone, as Knot does, which tells the
 * client to come back over TCP unless it is current (RFC 1995 §2).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <libknot/libknot.h>

#include "e2u/dname.h"
#include "server.h"

#define MSG_SOFT        16384 /* a message is closed once it holds this many octets */
#define MSG_MAX         65535
#define SCRATCH         (2 * 65536) /* one RRset in libknot's rdataset layout */
#define SOA_RDATA_MAX   600         /* two names and five numbers */
#define IXFR_BLOCKS_MAX 256         /* distinct block prefixes an IXFR translates */
#define DIGITS_MAX      (E2U_STORE_MAX_DIGITS + 34)

enum { PH_SOA_FIRST, PH_BODY, PH_SOA_LAST, PH_DONE };
enum { MODE_SOA, MODE_AXFR, MODE_IXFR };

/* A copy of a block entry's RRsets, a candidate for the wildcard at its prefix. */
typedef struct blkcopy {
    uint8_t owner[KNOT_DNAME_MAXLEN]; /* the wildcard: "*" + the block's name */
    size_t owner_len;
    unsigned L;            /* the block's total length, 0 = any */
    char text[DIGITS_MAX]; /* "+digits*" / "+digitsXXX", for the log */
    uint8_t *rrsets;       /* E2U_STORE_BUF_MIN octets */
    size_t len;
} blkcopy_t;

/* A block prefix an IXFR range touches, and the one length it may have. */
typedef struct ixblk {
    char digits[DIGITS_MAX]; /* the full prefix digits, zone prefix included */
    unsigned L;
} ixblk_t;

struct e2ud_xfr {
    e2ud_cfg_t *cfg; /* held from the start: req.key indexes its keys */
    uint8_t *wire; /* a copy of the query: qp and req point into it */
    knot_pkt_t *qp;
    e2ud_req_t req;
    struct sockaddr_storage from;
    uint16_t qtype;
    int mode, phase;
    e2u_store_rd_t *rd; /* this transfer's snapshot */
    uint8_t origin[KNOT_DNAME_MAXLEN];
    size_t origin_len;
    char zname[E2U_DNAME_TEXT_MAX];
    char peer[80];
    char zprefix[DIGITS_MAX]; /* the digits the origin spells ("1" for 1.e164.arpa.) */
    size_t zprefix_len;
    uint64_t zone_blocks;
    uint32_t serial, client_serial;
    uint32_t soa_ttl;
    uint8_t soa[SOA_RDATA_MAX];
    uint16_t soa_len;
    /* AXFR: the walk */
    e2u_store_iter_t *it;
    bool iter_done;
    bool held; /* an entry read ahead while looking for more blocks */
    e2u_store_entry_t held_e;
    blkcopy_t blk[2];
    int blk_cand;     /* index of the block candidate, -1 = none */
    uint8_t *findbuf; /* E2U_STORE_BUF_MIN, for e2u_store_find */
    /* AXFR: what is being sent */
    const uint8_t *owner;
    size_t owner_len;
    const uint8_t *rrsets;
    size_t rrsets_len, rrpos;
    bool apex;
    bool have_rs;
    e2u_store_rrset_t rs; /* the RRset being sent (its records not yet sent) */
    /* IXFR */
    e2u_store_jiter_t *jit;
    uint32_t nchanges, changes_done;
    bool have_ch;
    e2u_store_change_t ch;
    size_t chpos;
    bool have_rr;
    e2u_store_rr_t rr;
    uint8_t rr_owner[KNOT_DNAME_MAXLEN];
    const uint8_t *rr_owner_p;
    /* messages */
    uint8_t *scratch;   /* SCRATCH */
    uint8_t digest[64]; /* the MAC of the last message sent (TSIG chaining) */
    size_t digest_len;
    bool edns;
    knot_rrset_t opt;
    size_t tsig_room;
    /* accounting */
    unsigned msgs;
    uint64_t bytes, records;
    struct timespec t0;
};

/* --- small helpers ------------------------------------------------------------------------- */

static int serial_cmp(uint32_t a, uint32_t b) /* RFC 1982 */
{
    int32_t d = (int32_t)(a - b);
    return d < 0 ? -1 : d > 0 ? 1 : 0;
}

static void addr_text(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char a[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss && ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
        port = ntohs(s4->sin_port);
    } else if (ss && ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
        port = ntohs(s6->sin6_port);
    }
    snprintf(out, cap, "%s@%u", a, port);
}

static double elapsed_s(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static const char *qtype_name(uint16_t t)
{
    return t == KNOT_RRTYPE_IXFR ? "IXFR" : "AXFR";
}

/* The wildcard name of a block: "*", then the digits below the zone's own prefix, reversed,
 * then the origin. full holds the block's full prefix digits. Returns the length, or 0. */
static size_t block_wildcard(const e2ud_xfr_t *x, const char *full, size_t n, uint8_t *out)
{
    if (n < x->zprefix_len || memcmp(full, x->zprefix, x->zprefix_len) != 0)
        return 0;
    size_t rel = n - x->zprefix_len;
    if (2 + 2 * rel + x->origin_len > KNOT_DNAME_MAXLEN)
        return 0;
    size_t o = 0;
    out[o++] = 1;
    out[o++] = '*';
    for (size_t i = rel; i-- > 0;) {
        if (full[x->zprefix_len + i] < '0' || full[x->zprefix_len + i] > '9')
            return 0;
        out[o++] = 1;
        out[o++] = (uint8_t)full[x->zprefix_len + i];
    }
    memcpy(out + o, x->origin, x->origin_len);
    return o + x->origin_len;
}

/* Split a block's text "+digits*" or "+digitsXXX" into its digits and total length. */
static bool block_parse(const char *text, char *digits, size_t cap, unsigned *L)
{
    if (!text || text[0] != '+')
        return false;
    size_t n = 0;
    const char *p = text + 1;
    while (*p >= '0' && *p <= '9') {
        if (n + 1 >= cap)
            return false;
        digits[n++] = *p++;
    }
    digits[n] = '\0';
    if (p[0] == '*' && p[1] == '\0') {
        *L = 0;
        return true;
    }
    size_t xs = 0;
    while (*p == 'X') {
        xs++;
        p++;
    }
    if (*p != '\0' || xs == 0)
        return false;
    *L = (unsigned)(n + xs);
    return true;
}

/* Whether the store holds an ordinary name at this owner (a real wildcard). */
static bool name_exists(e2ud_xfr_t *x, const uint8_t *owner, size_t len)
{
    if (!x->findbuf && !(x->findbuf = malloc(E2U_STORE_BUF_MIN)))
        return false;
    e2u_store_answer_t a;
    if (e2u_store_find(x->rd, owner, len, x->findbuf, E2U_STORE_BUF_MIN, &a) < 0)
        return false;
    return a.kind == E2U_STORE_NAME && a.owner_len == len && memcmp(a.owner, owner, len) == 0;
}

/* --- writing records ------------------------------------------------------------------------ */

/* Put one record. KNOT_EOK, KNOT_ESPACE (does not fit the message), or another error. */
static int put_one(knot_pkt_t *pkt, uint8_t *scratch, const uint8_t *owner, uint16_t type,
                   uint32_t ttl, const uint8_t *rdata, uint16_t rdlen)
{
    knot_rrset_t rr;
    knot_rrset_init(&rr, (knot_dname_t *)owner, type, KNOT_CLASS_IN, ttl);
    knot_rdata_init((knot_rdata_t *)scratch, rdlen, rdata);
    rr.rrs.count = 1;
    rr.rrs.size = (uint32_t)knot_rdata_size(rdlen);
    rr.rrs.rdata = (knot_rdata_t *)scratch;
    return knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &rr, KNOT_PF_NOTRUNC);
}

/* Put the first max records of a store RRset; *n receives how many that was. */
static int put_records(knot_pkt_t *pkt, uint8_t *scratch, const uint8_t *owner,
                       const e2u_store_rrset_t *rs, unsigned max, unsigned *n)
{
    knot_rrset_t rr;
    knot_rrset_init(&rr, (knot_dname_t *)owner, rs->type, KNOT_CLASS_IN, rs->ttl);
    size_t pos = 0, o = 0;
    const uint8_t *rd;
    uint16_t len;
    unsigned k = 0;
    while (k < max && e2u_store_rdata_next(rs, &pos, &rd, &len)) {
        size_t sz = knot_rdata_size(len);
        if (o + sz > SCRATCH)
            break;
        knot_rdata_init((knot_rdata_t *)(scratch + o), len, rd);
        o += sz;
        k++;
    }
    *n = k;
    if (k == 0)
        return KNOT_EOK;
    rr.rrs.count = (uint16_t)k;
    rr.rrs.size = (uint32_t)o;
    rr.rrs.rdata = (knot_rdata_t *)scratch;
    return knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &rr, KNOT_PF_NOTRUNC);
}

/* Drop the first k records of rs (they were sent). */
static void rs_skip(e2u_store_rrset_t *rs, unsigned k)
{
    size_t pos = 0;
    const uint8_t *rd;
    uint16_t len;
    for (unsigned i = 0; i < k && e2u_store_rdata_next(rs, &pos, &rd, &len); i++)
        ;
    rs->rdata += pos;
    rs->size -= pos;
    rs->count = (uint16_t)(rs->count - k);
}

/* --- AXFR: the walk ------------------------------------------------------------------------- */

static int copy_block(e2ud_xfr_t *x, int i, const e2u_store_entry_t *e)
{
    blkcopy_t *b = &x->blk[i];
    if (!b->rrsets && !(b->rrsets = malloc(E2U_STORE_BUF_MIN)))
        return E2U_ENOMEM;
    if (e->rrsets_len > E2U_STORE_BUF_MIN || 2 + e->owner_len > KNOT_DNAME_MAXLEN)
        return E2U_ECORRUPT;
    b->owner[0] = 1;
    b->owner[1] = '*';
    memcpy(b->owner + 2, e->owner, e->owner_len);
    b->owner_len = 2 + e->owner_len;
    b->L = e->block_len;
    memcpy(b->rrsets, e->rrsets, e->rrsets_len);
    b->len = e->rrsets_len;
    /* e->digits is the full prefix (zone prefix included) */
    size_t dl = strlen(e->digits);
    size_t o = 0;
    b->text[o++] = '+';
    for (size_t k = 0; k < dl && o + 2 < sizeof(b->text); k++)
        b->text[o++] = e->digits[k];
    if (b->L == 0) {
        b->text[o++] = '*';
    } else {
        for (size_t k = dl; k < b->L && o + 1 < sizeof(b->text); k++)
            b->text[o++] = 'X';
    }
    b->text[o] = '\0';
    return 0;
}

/* Make block copy i the entry being sent; false when its wildcard is taken by a name. */
static bool send_block(e2ud_xfr_t *x, int i)
{
    blkcopy_t *b = &x->blk[i];
    if (name_exists(x, b->owner, b->owner_len)) {
        e2ud_log(LOG_WARNING,
                 "[%s] %s, outgoing, remote %s: block %s not sent, its wildcard name is an "
                 "ordinary name of the zone",
                 x->zname, qtype_name(x->qtype), x->peer, b->text);
        return false;
    }
    x->owner = b->owner;
    x->owner_len = b->owner_len;
    x->rrsets = b->rrsets;
    x->rrsets_len = b->len;
    x->rrpos = 0;
    x->apex = false;
    return true;
}

/* The next entry to send into x->owner/rrsets: 1, 0 at the end of the zone, or < 0. */
static int axfr_next_entry(e2ud_xfr_t *x)
{
    for (;;) {
        e2u_store_entry_t e;
        int r;
        if (x->held) {
            e = x->held_e;
            x->held = false;
            r = 1;
        } else if (x->iter_done) {
            r = 0;
        } else {
            r = e2u_store_iter_next(x->it, &e);
            if (r < 0)
                return r;
            if (r == 0)
                x->iter_done = true;
        }
        if (r == 1 && e.kind == E2U_STORE_BLOCK) {
            int c = x->blk_cand;
            if (c >= 0 && x->blk[c].owner_len == 2 + e.owner_len &&
                memcmp(x->blk[c].owner + 2, e.owner, e.owner_len) == 0) {
                /* another length at the same prefix: the greatest length wins */
                if (e.block_len > x->blk[c].L && (r = copy_block(x, c, &e)) < 0)
                    return r;
                continue;
            }
            if (c >= 0) {
                /* a new prefix: send the candidate (buffer c), keep this one in the other */
                int n = 1 - c;
                if ((r = copy_block(x, n, &e)) < 0)
                    return r;
                x->blk_cand = n;
                if (send_block(x, c))
                    return 1;
                continue;
            }
            if ((r = copy_block(x, 0, &e)) < 0)
                return r;
            x->blk_cand = 0;
            continue;
        }
        if (x->blk_cand >= 0) {
            /* the prefix's blocks are complete: send the candidate first */
            int c = x->blk_cand;
            x->blk_cand = -1;
            if (r == 1) {
                x->held = true; /* e stays valid: the walk does not move until it is used */
                x->held_e = e;
            }
            if (send_block(x, c))
                return 1;
            continue;
        }
        if (r == 0)
            return 0;
        x->owner = e.owner;
        x->owner_len = e.owner_len;
        x->rrsets = e.rrsets;
        x->rrsets_len = e.rrsets_len;
        x->rrpos = 0;
        x->apex = e.kind == E2U_STORE_APEX;
        return 1;
    }
}

static int axfr_next_rrset(e2ud_xfr_t *x)
{
    for (;;) {
        if (x->rrsets && e2u_store_rrset_next(x->rrsets, x->rrsets_len, &x->rrpos, &x->rs)) {
            if (x->apex && x->rs.type == KNOT_RRTYPE_SOA)
                continue; /* it opens and closes the transfer */
            if (x->rs.count == 0)
                continue;
            x->have_rs = true;
            return 1;
        }
        x->rrsets = NULL;
        int r = axfr_next_entry(x);
        if (r <= 0)
            return r;
    }
}

/* Fill the message with the zone's records. 1: the message is full; 0: the body is complete;
 * < 0: error. */
static int axfr_fill(e2ud_xfr_t *x, knot_pkt_t *pkt)
{
    for (;;) {
        if (pkt->size >= MSG_SOFT)
            return 1;
        if (!x->have_rs) {
            int r = axfr_next_rrset(x);
            if (r <= 0)
                return r;
        }
        unsigned n;
        int rc = put_records(pkt, x->scratch, x->owner, &x->rs, x->rs.count, &n);
        if (rc == KNOT_EOK) {
            x->records += n;
            if (n == 0 || n == x->rs.count)
                x->have_rs = false; /* all of it (or a count the data does not hold) */
            else
                rs_skip(&x->rs, n); /* the scratch took part of a huge RRset: the rest next */
            continue;
        }
        if (rc != KNOT_ESPACE)
            return E2U_ENOSPC;
        if (pkt->rrset_count > 0)
            return 1; /* the RRset opens the next message */
        /* it does not fit even an empty message: as many records as fit, the rest next */
        unsigned sent = 0;
        while (x->rs.count > 0) {
            rc = put_records(pkt, x->scratch, x->owner, &x->rs, 1, &n);
            if (rc != KNOT_EOK || n == 0)
                break;
            rs_skip(&x->rs, 1);
            sent++;
            x->records++;
        }
        if (sent == 0)
            return E2U_ENOSPC; /* one record larger than a message */
        if (x->rs.count == 0)
            x->have_rs = false;
        return 1;
    }
}

/* --- IXFR: the journal ------------------------------------------------------------------- */

static int ixblk_add(ixblk_t *t, size_t *n, const char *digits, unsigned L, const char **why)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(t[i].digits, digits) == 0) {
            if (t[i].L != L) {
                *why = "blocks of two lengths at one prefix changed";
                return -1;
            }
            return 0;
        }
    }
    if (*n == IXFR_BLOCKS_MAX) {
        *why = "too many block prefixes changed";
        return -1;
    }
    snprintf(t[*n].digits, sizeof(t[*n].digits), "%s", digits);
    t[*n].L = L;
    (*n)++;
    return 0;
}

/* Whether the blocks the zone holds now agree with the table: at each prefix of the table no
 * block of another length, and no ordinary name at its wildcard. Walks the zone. */
static bool ixfr_blocks_now(e2ud_xfr_t *x, ixblk_t *t, size_t n, const char **why)
{
    e2u_store_iter_t *it;
    if (e2u_store_iter_begin(x->rd, x->origin, &it) < 0) {
        *why = "cannot walk the zone";
        return false;
    }
    e2u_store_entry_t e;
    int r;
    bool ok = true;
    while (ok && (r = e2u_store_iter_next(it, &e)) > 0) {
        if (e.kind != E2U_STORE_BLOCK)
            continue;
        for (size_t i = 0; i < n; i++) {
            if (strcmp(t[i].digits, e.digits) == 0 && e.block_len != t[i].L) {
                *why = "a changed block shares its prefix with a block of another length";
                ok = false;
            }
        }
    }
    e2u_store_iter_end(it);
    if (ok && r < 0) {
        *why = "cannot walk the zone";
        ok = false;
    }
    for (size_t i = 0; ok && i < n; i++) {
        uint8_t w[KNOT_DNAME_MAXLEN];
        size_t wl = block_wildcard(x, t[i].digits, strlen(t[i].digits), w);
        if (!wl) {
            *why = "a block outside the zone";
            ok = false;
        } else if (name_exists(x, w, wl)) {
            *why = "a changed block's wildcard is an ordinary name";
            ok = false;
        }
    }
    return ok;
}

/* Decide whether the journal can answer the IXFR (see the file comment). 1 with x->nchanges
 * set, or 0 with the reason. */
static int ixfr_plan(e2ud_xfr_t *x, const char **why)
{
    e2u_store_jiter_t *jit;
    int r = e2u_store_journal_begin(x->rd, x->origin, x->client_serial, false, &jit);
    if (r < 0) {
        *why = r == E2U_ENOENT ? "no journal from the client's serial" : "journal unreadable";
        return 0;
    }
    ixblk_t *t = malloc(sizeof(ixblk_t) * IXFR_BLOCKS_MAX);
    if (!t) {
        e2u_store_journal_end(jit);
        *why = "out of memory";
        return 0;
    }
    size_t nt = 0;
    bool wild_name = false, ok = true;
    uint32_t expect = x->client_serial, n = 0;
    e2u_store_change_t c;
    while (ok && (r = e2u_store_journal_next(jit, &c)) > 0) {
        if (c.serial_from != expect) {
            *why = "the journal has a gap";
            ok = false;
            break;
        }
        if (c.reset) {
            *why = "a change in the range was recorded without its differences";
            ok = false;
            break;
        }
        size_t pos = 0;
        e2u_store_rr_t rr;
        while (ok && e2u_store_change_rr_next(&c, &pos, &rr)) {
            if (rr.block) {
                char d[DIGITS_MAX];
                unsigned L;
                if (!block_parse(rr.block, d, sizeof(d), &L)) {
                    *why = "a block the journal names cannot be read";
                    ok = false;
                } else if (ixblk_add(t, &nt, d, L, why) < 0) {
                    ok = false;
                }
            } else if (rr.owner_len >= 2 && rr.owner[0] == 1 && rr.owner[1] == '*') {
                wild_name = true;
            }
        }
        n++;
        expect = c.serial_to;
        if (expect == x->serial)
            break;
    }
    e2u_store_journal_end(jit);
    if (ok && r < 0) {
        *why = "journal unreadable";
        ok = false;
    }
    if (ok && (expect != x->serial || n == 0)) {
        *why = "the journal does not reach the current serial";
        ok = false;
    }
    if (ok && wild_name && (nt > 0 || x->zone_blocks > 0)) {
        *why = "a wildcard name changed in a zone with blocks";
        ok = false;
    }
    if (ok && nt > 0 && !ixfr_blocks_now(x, t, nt, why))
        ok = false;
    free(t);
    if (!ok)
        return 0;
    x->nchanges = n;
    return 1;
}

static int ixfr_next_rr(e2ud_xfr_t *x)
{
    for (;;) {
        if (x->have_ch && e2u_store_change_rr_next(&x->ch, &x->chpos, &x->rr)) {
            if (x->rr.block) {
                char d[DIGITS_MAX];
                unsigned L;
                size_t wl = 0;
                if (block_parse(x->rr.block, d, sizeof(d), &L))
                    wl = block_wildcard(x, d, strlen(d), x->rr_owner);
                if (!wl)
                    return E2U_ECORRUPT; /* ixfr_plan read it already */
                x->rr_owner_p = x->rr_owner;
            } else {
                x->rr_owner_p = x->rr.owner;
            }
            x->have_rr = true;
            return 1;
        }
        x->have_ch = false;
        if (x->changes_done == x->nchanges)
            return 0;
        int r = e2u_store_journal_next(x->jit, &x->ch);
        if (r <= 0)
            return r < 0 ? r : E2U_ECORRUPT; /* the snapshot cannot lose what the plan saw */
        x->have_ch = true;
        x->chpos = 0;
        x->changes_done++;
    }
}

static int ixfr_fill(e2ud_xfr_t *x, knot_pkt_t *pkt)
{
    for (;;) {
        if (pkt->size >= MSG_SOFT)
            return 1;
        if (!x->have_rr) {
            int r = ixfr_next_rr(x);
            if (r <= 0)
                return r;
        }
        int rc = put_one(pkt, x->scratch, x->rr_owner_p, x->rr.type, x->rr.ttl, x->rr.rdata,
                         x->rr.rdlen);
        if (rc == KNOT_EOK) {
            x->records++;
            x->have_rr = false;
            continue;
        }
        if (rc == KNOT_ESPACE && pkt->rrset_count > 0)
            return 1;
        return E2U_ENOSPC;
    }
}

/* --- messages ------------------------------------------------------------------------------- */

/* Sign a finished message of *n octets (RFC 8945 §5.3.1). */
static int sign_message(e2ud_xfr_t *x, uint8_t *wire, size_t *n, size_t max)
{
    if (!x->req.signed_request || x->req.key < 0)
        return 0;
    const knot_tsig_key_t *key = &x->cfg->tsig[x->req.key];
    size_t dl = sizeof(x->digest);
    int rc;
    if (x->msgs == 0)
        rc = knot_tsig_sign(wire, n, max, x->req.mac, x->req.mac_len, x->digest, &dl, key, 0, 0);
    else
        rc = knot_tsig_sign_next(wire, n, max, x->digest, x->digest_len, x->digest, &dl, key, wire,
                                 *n);
    if (rc != KNOT_EOK)
        return -1;
    x->digest_len = dl;
    return 0;
}

/* Write the next message into resp: 1 more follow, 0 that was the last, -1 error. */
static int build_message(e2ud_xfr_t *x, uint8_t *resp, size_t cap, size_t *len)
{
    *len = 0;
    size_t max = cap < MSG_MAX ? cap : MSG_MAX;
    knot_pkt_t *pkt = knot_pkt_new(resp, (uint16_t)max, NULL);
    if (!pkt)
        return -1;
    int ret = -1;
    if (knot_pkt_init_response(pkt, x->qp) != KNOT_EOK)
        goto out;
    knot_wire_set_aa(pkt->wire); /* RFC 5936 §2.2.1 */
    knot_wire_clear_ra(pkt->wire);
    knot_wire_clear_ad(pkt->wire);
    knot_wire_clear_cd(pkt->wire);
    size_t opt_room = x->edns ? knot_edns_wire_size(&x->opt) : 0;
    if (knot_pkt_reserve(pkt, (uint16_t)(x->tsig_room + opt_room)) != KNOT_EOK)
        goto out;
    knot_pkt_begin(pkt, KNOT_ANSWER);
    int fill = 0;
    if (x->phase == PH_SOA_FIRST) {
        if (put_one(pkt, x->scratch, x->origin, KNOT_RRTYPE_SOA, x->soa_ttl, x->soa, x->soa_len) !=
            KNOT_EOK)
            goto out;
        x->records++;
        x->phase = x->mode == MODE_SOA ? PH_DONE : PH_BODY;
    }
    if (x->phase == PH_BODY) {
        fill = x->mode == MODE_IXFR ? ixfr_fill(x, pkt) : axfr_fill(x, pkt);
        if (fill < 0) {
            e2ud_log(LOG_ERR, "[%s] %s, outgoing, remote %s: reading the zone: %s", x->zname,
                     qtype_name(x->qtype), x->peer, e2u_strerror(fill));
            goto out;
        }
        if (fill == 0)
            x->phase = PH_SOA_LAST;
    }
    if (x->phase == PH_SOA_LAST && pkt->size < MSG_SOFT) {
        int rc =
            put_one(pkt, x->scratch, x->origin, KNOT_RRTYPE_SOA, x->soa_ttl, x->soa, x->soa_len);
        if (rc == KNOT_EOK) {
            x->records++;
            x->phase = PH_DONE;
        } else if (rc != KNOT_ESPACE || pkt->rrset_count == 0) {
            goto out;
        }
    }
    if (x->edns) {
        knot_pkt_reclaim(pkt, (uint16_t)opt_room);
        knot_pkt_begin(pkt, KNOT_ADDITIONAL);
        if (knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &x->opt, 0) != KNOT_EOK)
            goto out;
    }
    size_t n = pkt->size;
    knot_pkt_reclaim(pkt, (uint16_t)x->tsig_room);
    if (sign_message(x, resp, &n, max) < 0) {
        e2ud_log(LOG_ERR, "[%s] %s, outgoing, remote %s: cannot sign with TSIG", x->zname,
                 qtype_name(x->qtype), x->peer);
        goto out;
    }
    *len = n;
    x->msgs++;
    x->bytes += n;
    ret = x->phase == PH_DONE ? 0 : 1;
out:
    knot_pkt_free(pkt);
    return ret;
}

/* --- single-message answers ------------------------------------------------------------------ */

/* An error answer echoing the question, signed for req (RFC 8945 §5.3) with q's configuration. */
static size_t error_answer(const e2ud_qctx_t *q, knot_pkt_t *qp, const e2ud_req_t *req,
                           uint8_t *resp, size_t cap, uint8_t rcode)
{
    size_t max = cap < MSG_MAX ? cap : MSG_MAX;
    size_t n = e2ud_error_with_question(q, qp, resp, max, rcode);
    if (n && e2ud_tsig_sign(q->cfg, req, resp, &n, max) < 0) {
        /* no room for the TSIG: the header alone */
        knot_wire_set_qdcount(resp, 0);
        n = KNOT_WIRE_HEADER_SIZE;
    }
    return n;
}

/* The client's serial from the SOA in the authority section of an IXFR (RFC 1995 §3). */
static bool ixfr_client_serial(knot_pkt_t *qp, uint32_t *serial)
{
    const knot_pktsection_t *ns = knot_pkt_section(qp, KNOT_AUTHORITY);
    for (uint16_t i = 0; i < ns->count; i++) {
        const knot_rrset_t *rr = knot_pkt_rr(ns, i);
        if (rr->type == KNOT_RRTYPE_SOA && rr->rrs.count >= 1 &&
            knot_dname_is_equal(rr->owner, knot_pkt_qname(qp)) && rr->rrs.rdata->len >= 20) {
            *serial = knot_soa_serial(rr->rrs.rdata);
            return true;
        }
    }
    return false;
}

/* --- the API ------------------------------------------------------------------------------- */

bool e2ud_is_xfr_query(const uint8_t *query, size_t qlen)
{
    if (qlen < KNOT_WIRE_HEADER_SIZE + 5 || knot_wire_get_qr(query) ||
        knot_wire_get_opcode(query) != KNOT_OPCODE_QUERY || knot_wire_get_qdcount(query) != 1)
        return false;
    size_t p = KNOT_WIRE_HEADER_SIZE;
    for (;;) {
        if (p >= qlen)
            return false;
        uint8_t l = query[p];
        if (l == 0)
            break;
        if (l > 63)
            return false; /* a pointer or a reserved label type: the query path decides */
        p += 1u + l;
    }
    if (p + 5 > qlen)
        return false;
    uint16_t t = (uint16_t)(query[p + 1] << 8 | query[p + 2]);
    return t == KNOT_RRTYPE_AXFR || t == KNOT_RRTYPE_IXFR;
}

void e2ud_xfr_out_free(e2ud_xfr_t *x)
{
    if (!x)
        return;
    if (x->mode != MODE_SOA && x->phase != PH_DONE && x->rd)
        e2ud_log(LOG_NOTICE,
                 "[%s] %s, outgoing, remote %s, interrupted after %.2f seconds, %u messages, "
                 "%llu bytes",
                 x->zname, qtype_name(x->qtype), x->peer, elapsed_s(&x->t0), x->msgs,
                 (unsigned long long)x->bytes);
    else if (x->mode != MODE_SOA && x->rd)
        e2ud_log(LOG_INFO,
                 "[%s] %s, outgoing, remote %s, finished, %.2f seconds, %u messages, %llu bytes, "
                 "%llu records",
                 x->zname, qtype_name(x->qtype), x->peer, elapsed_s(&x->t0), x->msgs,
                 (unsigned long long)x->bytes, (unsigned long long)x->records);
    e2u_store_iter_end(x->it);
    e2u_store_journal_end(x->jit);
    e2u_store_read_end(x->rd);
    if (x->edns)
        knot_rrset_clear(&x->opt, NULL);
    knot_pkt_free(x->qp);
    free(x->wire);
    free(x->scratch);
    free(x->findbuf);
    free(x->blk[0].rrsets);
    free(x->blk[1].rrsets);
    e2ud_cfg_unref(x->cfg);
    free(x);
}

e2ud_xfr_t *e2ud_xfr_out_start(e2ud_qctx_t *q, const uint8_t *query, size_t qlen,
                               const struct sockaddr_storage *from, uint8_t *resp, size_t cap,
                               size_t *len)
{
    *len = 0;
    q->cookie.put = false; /* a transfer carries no cookie; the last query's is not its own */
    q->cookie_valid = false;
    e2ud_server_t *srv = q->srv;
    e2ud_xfr_t *x = calloc(1, sizeof(*x));
    if (!x || !srv || qlen > MSG_MAX)
        goto delegate;
    clock_gettime(CLOCK_MONOTONIC, &x->t0);
    x->cfg = e2ud_cfg_ref(q->cfg);
    const e2ud_cfg_t *cfg = x->cfg;
    x->blk_cand = -1;
    x->wire = malloc(qlen);
    x->scratch = malloc(SCRATCH);
    if (!x->wire || !x->scratch)
        goto delegate;
    memcpy(x->wire, query, qlen);
    x->qp = knot_pkt_new(x->wire, (uint16_t)qlen, NULL);
    if (!x->qp || knot_pkt_parse(x->qp, 0) != KNOT_EOK)
        goto delegate; /* FORMERR and friends: the query path knows them */
    knot_pkt_t *qp = x->qp;
    if (knot_pkt_qclass(qp) != KNOT_CLASS_IN ||
        (knot_pkt_has_edns(qp) && knot_edns_get_version(qp->opt_rr) != KNOT_EDNS_VERSION))
        goto delegate;
    x->qtype = knot_pkt_qtype(qp);
    if (from)
        x->from = *from;
    addr_text(from, x->peer, sizeof(x->peer));
    e2u_dname_to_text(x->zname, sizeof(x->zname), NULL, knot_pkt_qname(qp),
                      knot_dname_size(knot_pkt_qname(qp)));

    x->req = (e2ud_req_t){.from = &x->from, .tcp = true, .key = -1};
    if (e2ud_tsig_verify(cfg, qp, &x->req) != 0) {
        e2ud_log(LOG_NOTICE, "[%s] %s, outgoing, remote %s: TSIG error %u, NOTAUTH", x->zname,
                 qtype_name(x->qtype), x->peer, x->req.tsig_error);
        *len = error_answer(q, qp, &x->req, resp, cap, KNOT_RCODE_NOTAUTH);
        e2ud_stats_query(q->stats, KNOT_RCODE_NOTAUTH, x->qtype, -1);
        goto done;
    }
    if (e2u_store_read_begin(srv->store, &x->rd) < 0) {
        e2ud_log(LOG_ERR, "[%s] %s, outgoing, remote %s: no store reader left", x->zname,
                 qtype_name(x->qtype), x->peer);
        *len = error_answer(q, qp, &x->req, resp, cap, KNOT_RCODE_SERVFAIL);
        e2ud_stats_query(q->stats, KNOT_RCODE_SERVFAIL, x->qtype, -1);
        x->rd = NULL;
        goto done;
    }
    const e2u_store_zone_t *z;
    if (e2u_store_zone_get(x->rd, knot_pkt_qname(qp), &z) < 0) {
        /* RFC 5936 §2.2.1: not authoritative for that zone */
        *len = error_answer(q, qp, &x->req, resp, cap, KNOT_RCODE_NOTAUTH);
        e2ud_stats_query(q->stats, KNOT_RCODE_NOTAUTH, x->qtype, -1);
        e2u_store_read_end(x->rd);
        x->rd = NULL;
        goto done;
    }
    int slot = e2ud_stats_zone_slot(z->origin, z->origin_len);
    if (!e2ud_acl_allows(&cfg->conf, e2ud_conf_zone(&cfg->conf, z->origin), E2UD_ACT_TRANSFER,
                         &x->req)) {
        e2ud_log(LOG_NOTICE, "[%s] %s, outgoing, remote %s%s%s: denied by the ACL", x->zname,
                 qtype_name(x->qtype), x->peer, x->req.key >= 0 ? ", key " : "",
                 x->req.key >= 0 ? cfg->conf.keys[x->req.key].id : "");
        *len = error_answer(q, qp, &x->req, resp, cap, KNOT_RCODE_REFUSED);
        e2ud_stats_query(q->stats, KNOT_RCODE_REFUSED, x->qtype, slot);
        e2u_store_read_end(x->rd);
        x->rd = NULL;
        goto done;
    }
    if (e2ud_zone_expired(z->origin) || z->origin_len > sizeof(x->origin) ||
        z->soa_len > sizeof(x->soa) || z->prefix_len >= sizeof(x->zprefix)) {
        /* a secondary zone past its EXPIRE is not served, not even to another secondary */
        *len = error_answer(q, qp, &x->req, resp, cap, KNOT_RCODE_SERVFAIL);
        e2u_store_read_end(x->rd);
        x->rd = NULL;
        goto done;
    }
    memcpy(x->origin, z->origin, z->origin_len);
    x->origin_len = z->origin_len;
    memcpy(x->soa, z->soa, z->soa_len);
    x->soa_len = z->soa_len;
    x->soa_ttl = z->soa_ttl;
    x->serial = z->serial;
    memcpy(x->zprefix, z->prefix, z->prefix_len);
    x->zprefix[z->prefix_len] = '\0';
    x->zprefix_len = z->prefix_len;
    x->zone_blocks = z->blocks;

    x->mode = MODE_AXFR;
    if (x->qtype == KNOT_RRTYPE_IXFR) {
        if (!ixfr_client_serial(qp, &x->client_serial)) {
            *len = error_answer(q, qp, &x->req, resp, cap, KNOT_RCODE_FORMERR);
            e2ud_stats_query(q->stats, KNOT_RCODE_FORMERR, x->qtype, slot);
            e2u_store_read_end(x->rd);
            x->rd = NULL;
            goto done;
        }
        const char *why = NULL;
        if (serial_cmp(x->client_serial, x->serial) >= 0) {
            x->mode = MODE_SOA; /* RFC 1995 §2: up to date */
            e2ud_log(LOG_INFO, "[%s] IXFR, outgoing, remote %s, serial %u, up to date", x->zname,
                     x->peer, x->client_serial);
        } else if (ixfr_plan(x, &why) == 1 &&
                   e2u_store_journal_begin(x->rd, x->origin, x->client_serial, false, &x->jit) ==
                       0) {
            x->mode = MODE_IXFR;
            e2ud_log(LOG_INFO,
                     "[%s] IXFR, outgoing, remote %s, started, serial %u -> %u, %u "
                     "changes",
                     x->zname, x->peer, x->client_serial, x->serial, x->nchanges);
        } else {
            e2ud_log(
                LOG_INFO, "[%s] IXFR, outgoing, remote %s, serial %u -> %u, full transfer (%s)",
                x->zname, x->peer, x->client_serial, x->serial, why ? why : "journal unreadable");
        }
    } else {
        e2ud_log(LOG_INFO, "[%s] AXFR, outgoing, remote %s, started, serial %u", x->zname, x->peer,
                 x->serial);
    }
    if (x->mode == MODE_AXFR && e2u_store_iter_begin(x->rd, x->origin, &x->it) < 0) {
        *len = error_answer(q, qp, &x->req, resp, cap, KNOT_RCODE_SERVFAIL);
        e2ud_stats_query(q->stats, KNOT_RCODE_SERVFAIL, x->qtype, slot);
        e2u_store_read_end(x->rd);
        x->rd = NULL;
        goto done;
    }
    x->tsig_room = e2ud_tsig_room(cfg, &x->req);
    x->edns = knot_pkt_has_edns(qp);
    if (x->edns) {
        if (e2ud_opt_init(q, qp, &x->opt) != KNOT_EOK)
            x->edns = false;
    }
    x->phase = PH_SOA_FIRST;
    e2ud_stats_query(q->stats, KNOT_RCODE_NOERROR, x->qtype, slot);
    int r = build_message(x, resp, cap, len);
    if (r == 1)
        return x;
    if (r < 0) {
        /* nothing sensible was written: SERVFAIL ends it */
        *len = error_answer(q, qp, &x->req, resp, cap, KNOT_RCODE_SERVFAIL);
    }
    goto done;

delegate:
    e2ud_xfr_out_free(x);
    *len = e2ud_answer(q, query, qlen, resp, cap, from, true);
    return NULL;
done:
    e2ud_xfr_out_free(x);
    return NULL;
}

int e2ud_xfr_out_next(e2ud_xfr_t *x, uint8_t *resp, size_t cap, size_t *len)
{
    *len = 0;
    if (!x || x->phase == PH_DONE)
        return x ? 0 : -1;
    return build_message(x, resp, cap, len);
}

size_t e2ud_ixfr_udp(e2ud_qctx_t *q, knot_pkt_t *qp, const e2ud_req_t *r, uint8_t *resp, size_t cap)
{
    /* the answer's size: the client's EDNS payload within ours, else 512 (RFC 1035 §4.2.1) */
    size_t max = KNOT_WIRE_MIN_PKTSIZE;
    if (knot_pkt_has_edns(qp)) {
        size_t pl = knot_edns_get_payload(qp->opt_rr);
        if (pl > max)
            max = pl < q->udp_max_payload ? pl : q->udp_max_payload;
    }
    if (max > cap)
        max = cap;
    const e2ud_cfg_t *cfg = q->cfg;
    const e2u_store_zone_t *z;
    if (e2u_store_zone_get(q->rd, knot_pkt_qname(qp), &z) < 0)
        return cfg ? error_answer(q, qp, r, resp, max, KNOT_RCODE_NOTAUTH) : 0;
    if (!cfg ||
        !e2ud_acl_allows(&cfg->conf, e2ud_conf_zone(&cfg->conf, z->origin), E2UD_ACT_TRANSFER, r))
        return cfg ? error_answer(q, qp, r, resp, max, KNOT_RCODE_REFUSED) : 0;
    uint32_t client;
    if (!ixfr_client_serial(qp, &client))
        return error_answer(q, qp, r, resp, max, KNOT_RCODE_FORMERR);
    if (e2ud_zone_expired(z->origin))
        return error_answer(q, qp, r, resp, max, KNOT_RCODE_SERVFAIL);
    knot_pkt_t *pkt = knot_pkt_new(resp, (uint16_t)max, NULL);
    if (!pkt)
        return 0;
    size_t n = 0;
    knot_rrset_t opt;
    bool edns = knot_pkt_has_edns(qp);
    size_t tsig_room = e2ud_tsig_room(cfg, r);
    uint8_t rdbuf[SOA_RDATA_MAX + 8];
    if (knot_pkt_init_response(pkt, qp) != KNOT_EOK || z->soa_len > SOA_RDATA_MAX)
        goto out;
    knot_wire_set_aa(pkt->wire);
    knot_wire_clear_ra(pkt->wire);
    knot_wire_clear_ad(pkt->wire);
    knot_wire_clear_cd(pkt->wire);
    if (edns && e2ud_opt_init(q, qp, &opt) != KNOT_EOK)
        edns = false;
    size_t opt_room = edns ? knot_edns_wire_size(&opt) : 0;
    knot_pkt_reserve(pkt, (uint16_t)(tsig_room + opt_room));
    knot_pkt_begin(pkt, KNOT_ANSWER);
    /* RFC 1995 §2: the SOA alone tells the client to use TCP, or that it is current */
    if (put_one(pkt, rdbuf, z->origin, KNOT_RRTYPE_SOA, z->soa_ttl, z->soa, z->soa_len) != KNOT_EOK)
        knot_wire_set_tc(pkt->wire);
    if (edns) {
        knot_pkt_reclaim(pkt, (uint16_t)opt_room);
        knot_pkt_begin(pkt, KNOT_ADDITIONAL);
        knot_pkt_put(pkt, KNOT_COMPR_HINT_NONE, &opt, 0);
        knot_rrset_clear(&opt, NULL);
    }
    n = pkt->size;
    knot_pkt_reclaim(pkt, (uint16_t)tsig_room);
    if (e2ud_tsig_sign(cfg, r, resp, &n, max) < 0)
        e2ud_log(LOG_ERR, "cannot sign an IXFR answer with TSIG");
out:
    knot_pkt_free(pkt);
    return n;
}
