/*
 * server/rrl.c — response rate limiting (RRL) for answers over UDP.
 *
 * A DNS answer is larger than its question (an ENUM number's NAPTRs several times so), and a
 * UDP question's source address can be forged: without a limit an authoritative server is an
 * amplifier aimed at whoever the forged address belongs to. RRL, as Knot DNS's mod-rrl, NSD
 * and BIND do it, limits how many answers of one kind go to one network each second. Answers
 * over TCP are never limited (their source cannot be forged), nor answers to requests with a
 * TSIG that verified or a server cookie of ours (cookies.c; as Knot exempts them), nor answers
 * to whitelisted networks.
 *
 * Kinds. An answer is counted against a bucket named by the client's network (IPv4 /24, IPv6
 * /56, Knot's choice), a class, and a name:
 *   error     any rcode but NOERROR and NXDOMAIN (REFUSED outside our zones, FORMERR, ...); no
 *             name, so that a flood of different bad questions shares one bucket
 *   nxdomain  NXDOMAIN; the zone's origin, not the question, so that random names below a zone
 *             (the usual way to make every question new) share one bucket
 *   any       a question of type ANY; the question's name
 *   empty     NOERROR with no answer records (NODATA, a referral); the question's name
 *   large     NOERROR of 1024 octets or more; the question's name
 *   normal    the rest; the question's name
 * Names are compared without regard to case (a 0x20-randomised name is the same name).
 *
 * Buckets. The table holds table-size buckets (rounded up to a multiple of 8), each one 64-bit
 * word updated by compare-and-swap, so UDP workers share it without a lock (SO_REUSEPORT spreads
 * one client's ports over all of them, and the limit must be one limit). A keyed hash
 * (SipHash-2-4, e2u/hash.h, its key drawn when the table is made, so that nobody can pick names
 * that collide on purpose) picks a set of 8 buckets, one cache line; 24 more bits of it, kept
 * in the bucket, tell which of the 8 is the kind's. A kind not in its set takes over the bucket
 * least worth keeping: an empty one, else one unused this second, else the least used, and a
 * bucket that is limiting only when all 8 are: so that a flood of other answers through the
 * same set (ordinary traffic, each name once) does not reset the count of the kind that is
 * being limited. Each bucket has rate-limit tokens per second: at the first answer of a
 * new second it is full again, and each answer takes one. With none left the answer is
 * limited: dropped, except that every slip-th limited answer of a worker goes out truncated
 * (header and question, TC set, our OPT kept), so that a real client behind a forged flood can
 * still retry over TCP. slip 0 drops them all, slip 1 truncates them all (Knot's default).
 *
 * With dry-run on, answers are counted and the log and statistics say what would have been
 * held back, but every answer is sent as it is: a way to choose rate-limit from real traffic.
 *
 * The start of limiting of a bucket (its first limited answer after a second without any) is
 * logged at notice level, at most ten lines a second per worker so that a flood from many
 * forged networks cannot flood the log; /metrics counts every dropped and truncated answer.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <syslog.h>

#include "e2u/hash.h"
#include "server.h"

#define LARGE       1024 /* octets: an answer this large is of kind "large" */
#define LOG_PER_SEC 10   /* start-of-limiting lines a second per worker */
#define TOKENS_MAX  0x3fffffu
#define WAYS        8 /* buckets in a set: one cache line */

enum { CLS_NORMAL, CLS_EMPTY, CLS_LARGE, CLS_ANY, CLS_NXDOMAIN, CLS_ERROR };
static const char *const class_names[] = {"normal", "empty", "large", "any", "nxdomain", "error"};

struct e2ud_rrl {
    _Atomic uint64_t *table; /* mmap'ed, bytes long */
    size_t size, bytes;
    unsigned rate, slip;
    bool dry_run;
    e2ud_net_t whitelist[E2UD_LIST_MAX];
    size_t nwhitelist;
    uint64_t k0, k1; /* the hash key */
};

/* --- the table -------------------------------------------------------------------------------- */

e2ud_rrl_t *e2ud_rrl_new(const e2ud_rrl_conf_t *c)
{
    e2ud_rrl_t *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    /* zeroed pages from the kernel, touched only where a bucket is used; in 2 MiB pages where
     * the kernel allows (transparent huge pages on madvise): each answer's bucket is a random
     * place in the table, and with 4 KiB pages most would also miss the TLB */
    size_t size = ((size_t)c->table_size + WAYS - 1) / WAYS * WAYS; /* whole sets */
    r->bytes = size * sizeof(*r->table);
    void *t = mmap(NULL, r->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint64_t key[2];
    if (t == MAP_FAILED || getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
        if (t != MAP_FAILED)
            munmap(t, r->bytes);
        free(r);
        return NULL;
    }
    if (r->bytes >= (2u << 20))
        madvise(t, r->bytes, MADV_HUGEPAGE); /* advice: no harm done when refused */
    r->table = t;
    r->size = size;
    r->rate = c->rate;
    r->slip = c->slip;
    r->dry_run = c->dry_run;
    memcpy(r->whitelist, c->whitelist, sizeof(r->whitelist));
    r->nwhitelist = c->nwhitelist;
    r->k0 = key[0];
    r->k1 = key[1];
    return r;
}

void e2ud_rrl_log_conf(const e2ud_rrl_conf_t *c)
{
    if (!c) {
        e2ud_log(LOG_INFO, "response rate limiting: off");
        return;
    }
    char slip[80];
    if (c->slip == 0)
        snprintf(slip, sizeof(slip), "limited answers dropped");
    else if (c->slip == 1)
        snprintf(slip, sizeof(slip), "limited answers sent truncated");
    else
        snprintf(slip, sizeof(slip), "one in %u limited answers sent truncated, the others dropped",
                 c->slip);
    e2ud_log(LOG_INFO,
             "response rate limiting (mod-rrl '%s'): %u answers a second per network, kind "
             "and name; %s; %zu whitelisted networks; %u buckets%s",
             c->id, c->rate, slip, c->nwhitelist, c->table_size,
             c->dry_run ? "; dry run: nothing held back" : "");
}

bool e2ud_rrl_dry_run(const e2ud_rrl_t *r)
{
    return r->dry_run;
}

void e2ud_rrl_free(e2ud_rrl_t *r)
{
    if (!r)
        return;
    munmap((void *)r->table, r->bytes);
    free(r);
}

/* A bucket: fingerprint 24 bits | second 16 | tokens 22 | limited this second | limited in the
 * second before. */
static inline uint64_t b_sec(uint64_t b)
{
    return (b >> 24) & 0xffff;
}
static inline uint64_t b_tokens(uint64_t b)
{
    return (b >> 2) & TOKENS_MAX;
}

/* The bucket of hash h: its low 32 bits scaled to the table (a multiplication, not a division);
 * the top 24 are the bucket's fingerprint. */
static inline size_t set_of(const e2ud_rrl_t *r, uint64_t h)
{
    return (size_t)(((h & 0xffffffffu) * (uint64_t)(r->size / WAYS)) >> 32) * WAYS;
}

/* How willingly the bucket b is given to another kind at second sec: an empty one first, then
 * one not used this second, then the one with the most tokens left (the least used), and one
 * that is limiting last of all. Higher is more willing. */
static inline uint64_t give_up(uint64_t b, uint64_t sec)
{
    if (b == 0)
        return UINT64_MAX;
    if (b_sec(b) != sec)
        return UINT64_MAX - 1;
    if (b & 2)
        return 0;
    return 1 + b_tokens(b);
}

/* The end of the name at resp[pos] (its labels checked by libknot, compression pointers into
 * resp followed when compressed is set), or 0 when it is not a valid name within resp[len]. */
static size_t name_end(const uint8_t *resp, size_t len, size_t pos, bool compressed)
{
    if (pos >= len)
        return 0;
    int n = knot_dname_wire_check(resp + pos, resp + len, compressed ? resp : NULL);
    return n > 0 ? pos + (size_t)n : 0;
}

/* The log line for the start of limiting of one bucket. */
static void log_start(const e2ud_rrl_t *r, const struct sockaddr_storage *from, int cls,
                      const uint8_t *name)
{
    char addr[INET6_ADDRSTRLEN] = "?", dname[KNOT_DNAME_TXT_MAXLEN + 1] = "";
    unsigned prefix = 24;
    if (from->ss_family == AF_INET) {
        struct in_addr a = ((const struct sockaddr_in *)from)->sin_addr;
        a.s_addr &= htonl(0xffffff00u);
        inet_ntop(AF_INET, &a, addr, sizeof(addr));
    } else {
        struct in6_addr a = ((const struct sockaddr_in6 *)from)->sin6_addr;
        memset(a.s6_addr + 7, 0, 9);
        inet_ntop(AF_INET6, &a, addr, sizeof(addr));
        prefix = 56;
    }
    if (name)
        knot_dname_to_str(dname, name, sizeof(dname));
    e2ud_log(LOG_NOTICE, "rate limiting %s answers%s%s to %s/%u: more than %u a second%s",
             class_names[cls], name ? " for " : "", dname, addr, prefix, r->rate,
             r->dry_run     ? " (dry run: all answered as they are)"
             : r->slip == 0 ? " (all dropped)"
             : r->slip == 1 ? " (all sent truncated)"
                            : "");
}

void e2ud_rrl_classify(const e2ud_rrl_t *r, const struct sockaddr_storage *from,
                       const uint8_t *resp, size_t len, const uint8_t *zone, bool proven,
                       e2ud_rrl_ticket_t *t)
{
    t->exempt = true;
    if (proven || len < KNOT_WIRE_HEADER_SIZE ||
        (from->ss_family != AF_INET && from->ss_family != AF_INET6))
        return;
    for (size_t i = 0; i < r->nwhitelist; i++) {
        if (e2ud_net_contains(&r->whitelist[i], from))
            return;
    }
    /* the question (the answer echoes it; a FORMERR without one has none) */
    const uint8_t *qname = NULL;
    size_t qlen = 0;
    uint16_t qtype = 0;
    if (knot_wire_get_qdcount(resp) == 1) {
        size_t end = name_end(resp, len, KNOT_WIRE_HEADER_SIZE, false);
        if (end && end + 4 <= len) {
            qname = resp + KNOT_WIRE_HEADER_SIZE;
            qlen = end - KNOT_WIRE_HEADER_SIZE;
            qtype = knot_wire_read_u16(resp + end);
        }
    }
    uint8_t rcode = knot_wire_get_rcode(resp);
    int cls;
    const uint8_t *name;
    if (rcode != KNOT_RCODE_NOERROR && rcode != KNOT_RCODE_NXDOMAIN)
        cls = CLS_ERROR, name = NULL;
    else if (rcode == KNOT_RCODE_NXDOMAIN)
        cls = CLS_NXDOMAIN, name = zone;
    else if (!qname)
        cls = CLS_ERROR, name = NULL;
    else if (qtype == KNOT_RRTYPE_ANY)
        cls = CLS_ANY, name = qname;
    else if (knot_wire_get_ancount(resp) == 0)
        cls = CLS_EMPTY, name = qname;
    else if (len >= LARGE)
        cls = CLS_LARGE, name = qname;
    else
        cls = CLS_NORMAL, name = qname;

    /* the bucket's name: family, network, class, name in lower case */
    uint8_t key[1 + 7 + 1 + KNOT_DNAME_MAXLEN];
    size_t k = 0;
    if (from->ss_family == AF_INET) {
        key[k++] = 4;
        memcpy(key + k, &((const struct sockaddr_in *)from)->sin_addr, 3);
        k += 3;
    } else {
        key[k++] = 6;
        memcpy(key + k, &((const struct sockaddr_in6 *)from)->sin6_addr, 7);
        k += 7;
    }
    key[k++] = (uint8_t)cls;
    if (name) {
        size_t nl = name == qname ? qlen : knot_dname_size(name);
        if (nl > KNOT_DNAME_MAXLEN)
            nl = KNOT_DNAME_MAXLEN;
        /* lengths are below 64, so only the letters change */
        for (size_t i = 0; i < nl; i++)
            key[k + i] = (uint8_t)((unsigned)(name[i] - 'A') < 26u ? name[i] + 32 : name[i]);
        k += nl;
    }
    t->exempt = false;
    t->hash = e2u_siphash(r->k0, r->k1, key, k);
    t->cls = (uint8_t)cls;
    t->name = name;
    /* the bucket is a cache miss in a large table: start loading it now, count it later */
    __builtin_prefetch(&r->table[set_of(r, t->hash)], 1);
}

int e2ud_rrl_count(e2ud_rrl_t *r, e2ud_rrl_state_t *st, const e2ud_rrl_ticket_t *t,
                   const struct sockaddr_storage *from, uint64_t now_s)
{
    if (t->exempt)
        return E2UD_RRL_PASS;
    uint64_t h = t->hash;
    _Atomic uint64_t *set = &r->table[set_of(r, h)];

    uint64_t fp = h >> 40, sec = now_s & 0xffff;
    /* the kind's bucket in its set (one cache line), or the one it takes over */
    _Atomic uint64_t *b = NULL;
    uint64_t old = 0, best = 0;
    for (unsigned i = 0; i < WAYS; i++) {
        uint64_t v = atomic_load_explicit(&set[i], memory_order_relaxed);
        if (v != 0 && (v >> 40) == fp) {
            b = &set[i];
            old = v;
            break;
        }
        uint64_t g = give_up(v, sec);
        if (!b || g > best) {
            b = &set[i];
            old = v;
            best = g;
        }
    }
    uint64_t nw;
    bool limited, starts;
    do {
        uint64_t tokens, cur, prev;
        if ((old >> 40) != fp || old == 0) { /* new, or another kind's: taken over */
            tokens = r->rate;
            cur = prev = 0;
        } else if (b_sec(old) != sec) { /* a new second: full again */
            tokens = r->rate;
            prev = ((sec - b_sec(old)) & 0xffff) == 1 ? (old >> 1) & 1 : 0;
            cur = 0;
        } else {
            tokens = b_tokens(old);
            cur = (old >> 1) & 1;
            prev = old & 1;
        }
        limited = tokens == 0;
        starts = limited && !cur && !prev;
        if (limited)
            cur = 1;
        else
            tokens--;
        nw = fp << 40 | sec << 24 | tokens << 2 | cur << 1 | prev;
    } while (nw != old && !atomic_compare_exchange_weak_explicit(b, &old, nw, memory_order_relaxed,
                                                                 memory_order_relaxed));
    if (!limited)
        return E2UD_RRL_PASS;
    if (starts) {
        if (st->log_sec != now_s) {
            st->log_sec = now_s;
            st->logged = 0;
        }
        if (st->logged++ < LOG_PER_SEC)
            log_start(r, from, t->cls, t->name);
    }
    st->limited++;
    return r->slip && st->limited % r->slip == 0 ? E2UD_RRL_SLIP : E2UD_RRL_DROP;
}

size_t e2ud_rrl_truncate(uint8_t *resp, size_t len)
{
    size_t qend = KNOT_WIRE_HEADER_SIZE;
    if (knot_wire_get_qdcount(resp) == 1) {
        size_t e = name_end(resp, len, qend, false);
        if (e && e + 4 <= len)
            qend = e + 4;
        else
            knot_wire_set_qdcount(resp, 0);
    }
    /* our OPT (RFC 6891 §6.1.1: an answer to a question with one carries one) is in the
     * additional section; a TSIG after it is dropped with the rest */
    unsigned n = (unsigned)knot_wire_get_ancount(resp) + knot_wire_get_nscount(resp);
    unsigned total = n + knot_wire_get_arcount(resp);
    size_t pos = qend, opt = 0, opt_len = 0;
    for (unsigned i = 0; i < total; i++) {
        size_t start = pos;
        pos = name_end(resp, len, pos, true);
        if (!pos || pos + 10 > len)
            break;
        uint16_t type = knot_wire_read_u16(resp + pos);
        pos += 10u + knot_wire_read_u16(resp + pos + 8);
        if (pos > len)
            break;
        if (i >= n && type == KNOT_RRTYPE_OPT) {
            opt = start;
            opt_len = pos - start;
            break;
        }
    }
    if (opt_len)
        memmove(resp + qend, resp + opt, opt_len);
    knot_wire_set_tc(resp);
    knot_wire_set_ancount(resp, 0);
    knot_wire_set_nscount(resp, 0);
    knot_wire_set_arcount(resp, opt_len ? 1 : 0);
    return qend + opt_len;
}
