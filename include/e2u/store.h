/*
 * e2u/store.h — the ENUM store: zones of telephone numbers in LMDB (DESIGN.md, "The server's
 * data model").
 *
 * A store is an LMDB environment directory. It holds zones; a zone holds
 *   - its apex (SOA, NS and any other RRsets at the origin),
 *   - number entries: the NAPTR RRset of one number, kept as a shared record template plus the
 *     few per-number parameters (the owner's own number is a placeholder and costs nothing),
 *   - block entries: a digit prefix, optionally with a total length, whose NAPTR RRset answers
 *     for every number under it that has no entry of its own,
 *   - other names as ordinary RRsets (delegations, wildcards, TXT at a number, ...),
 *   - a journal of changes (serial -> serial, RRs removed, RRs added) for IXFR.
 * Every committed change bumps the zone's SOA serial and lands in the journal.
 *
 * Life cycle of a reader (a server thread, `e2u lookup --db`):
 *
 *     e2u_store_t *st;
 *     e2u_store_opts_t o = {.read_only = true};
 *     if (e2u_store_open(&st, "/var/lib/e2u", &o, &diag) < 0) ...
 *     e2u_store_rd_t *rd;
 *     e2u_store_read_begin(st, &rd);                  // one per thread, a snapshot of the data
 *     uint8_t buf[E2U_STORE_BUF_MIN];
 *     e2u_store_answer_t a;
 *     for (each batch of queries) {
 *         e2u_store_read_renew(rd);                    // cheap: see the latest commit
 *         e2u_store_find(rd, qname, qlen, buf, sizeof(buf), &a);   // no allocation, O(log n)
 *         ... a.kind, a.zone, e2u_store_answer_rrset(&a, type, &rrset) ...
 *     }
 *     e2u_store_read_reset(rd);                        // idle: release the snapshot
 *     e2u_store_read_end(rd);
 *     e2u_store_close(st);
 *
 * and of a writer (e2uctl, UPDATE):
 *
 *     e2u_store_txn_t *w;
 *     e2u_store_write_begin(st, &w);
 *     e2u_store_put_rrset(w, owner, E2U_STORE_TYPE_NAPTR, 3600, rdata, n, &diag);
 *     e2u_store_write_commit(w, &diag);                // serial + 1, one journal entry per zone
 *
 * Blocks: a block without a length covers its prefix and every longer digit name below it (up
 * to E2U_STORE_MAX_DIGITS below the origin); with a length, exactly the names of that many
 * digits, the zone's own prefix digits counted ("+1215555XXXX" is length 11 in 1.e164.arpa.).
 * A name's own entry (a number, or an ordinary name) always wins over blocks; among blocks
 * the longest prefix that covers the name wins, and at one prefix an exact length wins over
 * no length. A name is an empty non-terminal when something exists below it: a longer
 * number, a name, or a name some block covers. That is the zone file in which every covered
 * name is written out, and what Knot DNS answers for it (tests/store/test_knot_diff.py).
 *
 * Ownership: everything a reader hands out (zones, answers, RRsets, RDATA, journal entries)
 * either points into the store's memory map and is valid until the reader's next renew, reset
 * or end (LMDB's rule for mdb_get), or into the buffer the caller passed, and is valid as long
 * as that buffer is. Nothing handed out is ever freed by the caller, except the objects made by
 * the *_begin/open functions, each with its one matching end/close function.
 *
 * Concurrency: any number of readers, in any number of threads and processes, each
 * e2u_store_rd_t used by one thread at a time; one writer at a time across all processes
 * (e2u_store_write_begin waits for the previous one). Readers never block the writer and see
 * either all of a commit or none of it. A process killed at any moment, even in the middle of
 * an import, leaves the store with exactly the data of the last commit.
 *
 * Errors: E2U_ESTORE (LMDB failed; diag says how), E2U_EFULL (the map size or the disk is
 * full; nothing of the failed change was applied), E2U_ENOZONE, E2U_EEXIST, E2U_ECORRUPT (not an
 * e2u store, a store of another format version, or damaged data), E2U_EBUSY (too many readers,
 * or the store grew beyond this process's map: reopen), E2U_ENOENT, E2U_EINVAL, E2U_ENOSPC
 * (a caller's buffer is too small), E2U_ENOMEM.
 */
#ifndef E2U_STORE_H
#define E2U_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "e2u/ddds.h"
#include "e2u/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The longest number entry or block prefix, in digits below the zone's origin. Longer digit
 * names are stored as ordinary names. */
#define E2U_STORE_MAX_DIGITS 32
/* A buffer of this size holds the expanded NAPTR RRset of any number or block. */
#define E2U_STORE_BUF_MIN 65536

#define E2U_STORE_TYPE_SOA   6
#define E2U_STORE_TYPE_NS    2
#define E2U_STORE_TYPE_CNAME 5
#define E2U_STORE_TYPE_DNAME 39
#define E2U_STORE_TYPE_NAPTR 35
#define E2U_STORE_TYPE_ANY   255

typedef struct e2u_store e2u_store_t;
typedef struct e2u_store_rd e2u_store_rd_t; /* a reader: a snapshot, one thread at a time */

typedef struct e2u_store_opts {
    bool read_only;         /* open for reading only (e2ud, e2u lookup); the store must exist */
    size_t map_size;        /* bytes of address space mapped: the most the store can hold.
                             * 0 = the larger of 1 TiB (sparse: costs nothing until used) and
                             * the size the store was last opened with */
    unsigned max_readers;   /* concurrent read transactions, all processes; 0 = 510 */
    bool no_sync;           /* skip fsync at commit (tests, benchmarks): a killed process never
                             * loses a commit, an operating-system crash may lose the last ones */
    unsigned journal_max;   /* journal entries kept per zone; 0 = 1000 */
    size_t journal_max_rrs; /* a change of more RRs than this is journaled as a reset (replicas
                             * must transfer the whole zone); 0 = 100000 */
    uint64_t journal_max_bytes; /* octets of journal kept per zone, the oldest entries dropped
                                 * first, the newest always kept (a change larger than this is
                                 * journaled as a reset); 0 = 100 MiB, Knot's journal-max-usage */
} e2u_store_opts_t;

/*
 * Open (and, unless read_only, create) the store in directory path; opts may be NULL. Returns
 * 0, E2U_ENOENT (read_only and no store there), E2U_ECORRUPT (not an e2u store, or another
 * format version), E2U_EACCES, E2U_ESTORE, E2U_ENOMEM; diag says what and where.
 */
E2U_API int e2u_store_open(e2u_store_t **out, const char *path, const e2u_store_opts_t *opts,
                           e2u_diag_t *diag);

/* Close a store. Every reader, iterator and write transaction must have ended. NULL-safe. */
E2U_API void e2u_store_close(e2u_store_t *s);

/* Where the store's data is mapped and how many octets of it are in use (for a server that
 * wants to prefault its pages, e.g. with madvise(MADV_POPULATE_READ)). Returns 0. */
E2U_API int e2u_store_mapping(e2u_store_t *s, void **addr, size_t *used);

/* The directory the store was opened from (owned by the store). */
E2U_API const char *e2u_store_path(const e2u_store_t *s);

/* --- zones ------------------------------------------------------------------------------------ */

/* A zone as a reader sees it. Every pointer is borrowed until the reader's next renew, reset
 * or end. */
typedef struct e2u_store_zone {
    const uint8_t *origin; /* wire form, lower case */
    size_t origin_len;
    const char *prefix; /* the digits spelled by the origin's leading one-digit labels,
                         * reversed: "1" for 1.e164.arpa., "" for e164.arpa.; NUL-ended */
    size_t prefix_len;
    uint32_t serial; /* the SOA serial */
    uint32_t soa_ttl;
    const uint8_t *soa; /* SOA RDATA (wire) */
    uint16_t soa_len;
    uint32_t default_ttl; /* TTL given to numbers imported from CSV */
    uint64_t numbers;     /* number entries */
    uint64_t blocks;      /* block entries (prefix and length pairs) */
    uint64_t names;       /* ordinary names other than the apex */
} e2u_store_zone_t;

/* All zones, sorted by origin (wire, lower case). Borrowed as above. Returns 0. */
E2U_API int e2u_store_zones(e2u_store_rd_t *rd, const e2u_store_zone_t **zones, size_t *n);

/* The zone whose origin is exactly origin (wire, any case), or E2U_ENOZONE. */
E2U_API int e2u_store_zone_get(e2u_store_rd_t *rd, const uint8_t *origin,
                               const e2u_store_zone_t **zone);

/* --- reading ---------------------------------------------------------------------------------- */

/* Start a reader: a read-only snapshot of the latest commit. Returns 0, E2U_EBUSY (no reader
 * slot left, or the store outgrew this process's map), E2U_ESTORE, E2U_ENOMEM. */
E2U_API int e2u_store_read_begin(e2u_store_t *s, e2u_store_rd_t **out);

/* Move the reader to the latest commit (resetting it first if needed). A few hundred ns when
 * nothing changed; everything borrowed from the reader before is invalid afterwards. */
E2U_API int e2u_store_read_renew(e2u_store_rd_t *rd);

/* Release the snapshot so the writer can reuse its pages; renew before the next use. */
E2U_API void e2u_store_read_reset(e2u_store_rd_t *rd);

/* End and free the reader. NULL-safe. */
E2U_API void e2u_store_read_end(e2u_store_rd_t *rd);

/*
 * The number index (lib/store/index.c): a hash table in memory, about 10.5 bytes per number,
 * from which readers of the snapshot it describes find an existing number without a B-tree
 * descent, and know a number absent without one when it is as long as the longest number. It
 * never changes an answer: readers of any other snapshot, and other lookups, go through the
 * B-tree as they always do.
 *
 * e2u_store_index_refresh builds an index of the latest commit unless the store has one already,
 * and publishes it: readers that begin or renew on that commit use it. It takes one reader slot
 * and, in the calling thread, 0.15 s for a million numbers (30 s for 100 million); call it from a
 * thread that does not answer queries, when the data has been quiet for a while (every commit makes
 * the index stale until the next refresh). The index is freed by e2u_store_index_drop,
 * e2u_store_close, or the refresh that replaces it, once the last reader using it renews, resets or
 * ends. Returns 0, E2U_ENOSPC (the table would exceed opts->max_bytes: none built), E2U_ECANCELED
 * (opts->stop said so), E2U_ENOMEM, or a reader's errors; info (may be NULL) says what there is
 * now.
 */
typedef struct e2u_store_index_opts {
    size_t max_bytes;         /* the largest table to build; 0 = no limit */
    bool (*stop)(void *arg);  /* asked every few thousand numbers (may be NULL): true abandons */
    void *stop_arg;
} e2u_store_index_opts_t;

typedef struct e2u_store_index_info {
    size_t commit;  /* the commit the index describes (e2u_store_commit_id) */
    bool built;     /* built by this call (false: it was current already) */
    size_t entries; /* numbers in it */
    size_t bytes;   /* its table */
} e2u_store_index_info_t;

E2U_API int e2u_store_index_refresh(e2u_store_t *s, const e2u_store_index_opts_t *opts,
                                    e2u_store_index_info_t *info);

/* Unpublish and release the store's number index. NULL-safe. */
E2U_API void e2u_store_index_drop(e2u_store_t *s);

/* An id of the latest commit, from any process, that grows with every commit (LMDB's
 * transaction id): cheap enough to poll. 0 if it cannot be read. */
E2U_API size_t e2u_store_commit_id(e2u_store_t *s);

/*
 * Say that qname (wire, qlen octets at most) will be looked up soon, so that the loads of a
 * batch of lookups overlap instead of each waiting for its own: step 0 starts loading the
 * number index's bucket for the name, step 1 (called for the whole batch after step 0) the
 * entry it points to. Only a hint: no effect on any answer, nothing for names that are not
 * numbers or when the reader has no index; qname need not be valid.
 */
E2U_API void e2u_store_prefetch(e2u_store_rd_t *rd, const uint8_t *qname, size_t qlen,
                                unsigned step);

/* What a name is, for an RFC 1034 §4.3.2 answer from the equivalent zone file (number entries
 * as names, each block entry as every name it covers). */
typedef enum e2u_store_kind {
    E2U_STORE_NXDOMAIN = 0, /* the name does not exist */
    E2U_STORE_APEX,         /* the zone's origin: SOA, NS, ... */
    E2U_STORE_NUMBER,       /* a number entry: its NAPTR RRset */
    E2U_STORE_BLOCK,        /* covered by a block entry (longest prefix whose length, if any,
                             * is the name's): the block's NAPTR RRset */
    E2U_STORE_NAME,         /* an ordinary name with RRsets */
    E2U_STORE_ENT,          /* an empty non-terminal: a proper ancestor of something that
                             * exists (NOERROR, no data) */
    E2U_STORE_DELEGATION,   /* at or below a zone cut: owner is the cut, rrsets hold its NS
                             * (and DS, glue is elsewhere) */
    E2U_STORE_WILDCARD,     /* synthesized from a wildcard (RFC 4592): owner is the wildcard */
} e2u_store_kind_t;

/* "nxdomain", "apex", "number", "block", "name", "ent", "delegation", "wildcard". */
E2U_API const char *e2u_store_kind_name(e2u_store_kind_t k);

/*
 * The RRsets at one name, encoded as a sequence of
 *     type (16 bits) | ttl (32) | count (16) | size (32) | count x ( rdlen (16) | rdata )
 * all big-endian, types ascending, RDATA in canonical order (RFC 4034 §6.3, as Knot DNS
 * serves them) without duplicates. Iterate with e2u_store_rrset_next.
 */
typedef struct e2u_store_rrset {
    uint16_t type;
    uint32_t ttl;
    uint16_t count;       /* records */
    const uint8_t *rdata; /* count x (rdlen (16, big-endian) | rdata); borrowed */
    size_t size;          /* octets at rdata */
} e2u_store_rrset_t;

typedef struct e2u_store_answer {
    e2u_store_kind_t kind;
    const e2u_store_zone_t *zone; /* the zone the name is in */
    const uint8_t *owner;         /* the name the RRsets belong to: the query name, the cut
                                   * (DELEGATION) or the wildcard (WILDCARD); wire form */
    size_t owner_len;
    const uint8_t *rrsets; /* the RRsets (format above); NULL for NXDOMAIN and ENT */
    size_t rrsets_len;
    /* NUMBER and BLOCK: */
    char number[E2U_STORE_MAX_DIGITS + 34]; /* the full number of the name, "+digits" */
    char block[E2U_STORE_MAX_DIGITS + 34];  /* BLOCK: the block, "+digits*" or "+digitsXXX" */
    bool indexed; /* NUMBER: found through the number index, without the B-tree descent */
} e2u_store_answer_t;

/*
 * Classify qname (wire form, uncompressed, any case) and fetch its RRsets. The expanded NAPTR
 * RRset of a number or block is written into buf[cap] (E2U_STORE_BUF_MIN always suffices); the
 * RRsets of other names point into the store. Everything is borrowed until the next renew,
 * reset or end of rd, and buf must stay alive as long. Does not allocate.
 * Returns 0 (then see ans->kind), E2U_ENOZONE (no zone holds the name: REFUSED), E2U_EDNAME
 * (qname malformed), E2U_ENOSPC (buf too small), E2U_ECORRUPT.
 */
E2U_API int e2u_store_find(e2u_store_rd_t *rd, const uint8_t *qname, size_t qlen, uint8_t *buf,
                           size_t cap, e2u_store_answer_t *ans);

/* Same, but take the name as it is, ignoring zone cuts: for glue below a delegation. */
E2U_API int e2u_store_find_glue(e2u_store_rd_t *rd, const uint8_t *qname, size_t qlen, uint8_t *buf,
                                size_t cap, e2u_store_answer_t *ans);

/* Step through an RRsets blob: *pos starts at 0. Returns true and fills *out, or false at the
 * end (or on a malformed blob). */
E2U_API bool e2u_store_rrset_next(const uint8_t *rrsets, size_t len, size_t *pos,
                                  e2u_store_rrset_t *out);

/* The RRset of one type in an answer. Returns 0 or E2U_ENOENT. */
E2U_API int e2u_store_answer_rrset(const e2u_store_answer_t *a, uint16_t type,
                                   e2u_store_rrset_t *out);

/* Step through the records of an RRset: *pos starts at 0. Returns true with the RDATA, false
 * at the end. */
E2U_API bool e2u_store_rdata_next(const e2u_store_rrset_t *rrset, size_t *pos,
                                  const uint8_t **rdata, uint16_t *len);

/*
 * For `e2u lookup --db`: the NAPTR records at qname (wire) as RDATA views into buf, at most max
 * of them, in canonical order; *n receives the count, *kind what the name is (exists unless
 * E2U_STORE_NXDOMAIN; a DELEGATION cannot be answered from the store). Returns 0, E2U_ENOZONE,
 * E2U_EDNAME, E2U_ENOSPC (buf or max too small).
 */
E2U_API int e2u_store_naptr(e2u_store_rd_t *rd, const uint8_t *qname, size_t qlen, uint8_t *buf,
                            size_t cap, e2u_rdata_t *rr, size_t max, size_t *n,
                            e2u_store_kind_t *kind);

/* RDATA of a type in master-file text (NUL-terminated) into buf[cap]: NAPTR by e2u's own
 * formatter, other types by libknot, unknown ones in RFC 3597's generic form. Returns 0 or
 * E2U_ENOSPC. */
E2U_API int e2u_store_rdata_text(uint16_t type, const uint8_t *rdata, uint16_t len, char *buf,
                                 size_t cap);

/* The mnemonic of a type ("NAPTR", "TYPE65280") into buf[cap]. */
E2U_API void e2u_store_type_text(uint16_t type, char *buf, size_t cap);

/* The same for a number ("+12155550123" or digits only) under suffix (wire form, e.g.
 * e164.arpa.): its domain is built as RFC 6116 §2.4 says. Also E2U_ENUMBER (not digits, or a
 * domain over 255 octets). */
E2U_API int e2u_store_naptr_number(e2u_store_rd_t *rd, const char *number, const uint8_t *suffix,
                                   uint8_t *buf, size_t cap, e2u_rdata_t *rr, size_t max, size_t *n,
                                   e2u_store_kind_t *kind);

/* --- iterating a zone (export, AXFR) -----------------------------------------------------------
 */

typedef struct e2u_store_iter e2u_store_iter_t;

typedef struct e2u_store_entry {
    e2u_store_kind_t kind; /* APEX, NAME, NUMBER or BLOCK */
    const uint8_t *owner;  /* wire (lower case); for BLOCK the block's prefix name */
    size_t owner_len;
    const char *digits;    /* NUMBER: the full number's digits; BLOCK: the prefix's; NUL-ended */
    unsigned block_len;    /* BLOCK: the total number of digits it covers, 0 = any */
    const uint8_t *rrsets; /* format of e2u_store_rrset_next */
    size_t rrsets_len;
} e2u_store_entry_t;

/* Iterate the zone with this origin (wire): the apex first, then ordinary names, numbers and
 * blocks, each in key order. The order is stable for a given snapshot. The iterator borrows
 * rd; end it before renewing rd. Returns 0, E2U_ENOZONE, E2U_ENOMEM. */
E2U_API int e2u_store_iter_begin(e2u_store_rd_t *rd, const uint8_t *origin, e2u_store_iter_t **out);
/* Returns 1 with the next entry (valid until the next call), 0 at the end, or < 0. */
E2U_API int e2u_store_iter_next(e2u_store_iter_t *it, e2u_store_entry_t *e);
E2U_API void e2u_store_iter_end(e2u_store_iter_t *it);

/* Export flags. */
#define E2U_STORE_EXPORT_EXPAND_BLOCKS                                                             \
    1u /* write every name a block with a length covers                                            \
        * (what another server must load); refuses blocks                                          \
        * without a length or over 10^6 names */

/* Write the zone as a master file (RFC 1035 §5) to out: $ORIGIN, $TTL, the SOA, then every RR
 * with owners relative to the origin. Blocks are written as ";@e2u-block KEY TTL NAPTR RDATA"
 * comment lines, which other servers ignore and `e2uctl import` reads back, unless flags say
 * otherwise. Returns 0, E2U_ENOZONE, E2U_EIO (write failed), E2U_EINVAL (flags cannot be met;
 * diag says why). */
E2U_API int e2u_store_export(e2u_store_rd_t *rd, const uint8_t *origin, FILE *out, unsigned flags,
                             e2u_diag_t *diag);

/* --- the journal --------------------------------------------------------------------------------
 */

typedef struct e2u_store_change {
    uint32_t serial_from;
    uint32_t serial_to;
    bool reset;         /* no difference recorded (a new zone, a large import): replicas
                         * at serial_from must transfer the whole zone */
    uint64_t when;      /* commit time, seconds since the epoch */
    uint32_t nremoved;  /* RRs removed, the old SOA first (as IXFR lists them) */
    uint32_t nadded;    /* RRs added, the new SOA first */
    const uint8_t *rrs; /* the removed then the added RRs; e2u_store_change_rr_next */
    size_t rrs_len;
} e2u_store_change_t;

/* One RR of a change. Block changes have no owner name: they carry the block instead. */
typedef struct e2u_store_rr {
    const uint8_t *owner; /* wire, absolute; NULL for a block's RR */
    size_t owner_len;
    const char *block; /* a block's RR: "+digits*" or "+digitsXXXX"; else NULL */
    char block_buf[E2U_STORE_MAX_DIGITS + 34];
    uint16_t type;
    uint32_t ttl;
    const uint8_t *rdata;
    uint16_t rdlen;
} e2u_store_rr_t;

/* Step through the RRs of a change: *pos starts at 0; the first nremoved are the removed ones.
 * Returns true with the next RR, false at the end. */
E2U_API bool e2u_store_change_rr_next(const e2u_store_change_t *c, size_t *pos, e2u_store_rr_t *rr);

typedef struct e2u_store_jiter e2u_store_jiter_t;

/*
 * Read the journal of the zone with this origin, starting with the change whose serial_from is
 * from (IXFR), or the oldest kept change when all is true. Changes follow in commit order.
 * The iterator borrows rd: end it before renewing rd. Returns 0, E2U_ENOZONE, E2U_ENOENT (no
 * kept change starts at that serial: the replica needs AXFR), E2U_ENOMEM.
 */
E2U_API int e2u_store_journal_begin(e2u_store_rd_t *rd, const uint8_t *origin, uint32_t from,
                                    bool all, e2u_store_jiter_t **out);
/* Returns 1 with the next change (borrowed until the next call), 0 at the end, or < 0. */
E2U_API int e2u_store_journal_next(e2u_store_jiter_t *it, e2u_store_change_t *c);
E2U_API void e2u_store_journal_end(e2u_store_jiter_t *it);

/* --- writing ------------------------------------------------------------------------------------
 */

typedef struct e2u_store_txn e2u_store_txn_t;

/* Start the write transaction (waits while another process writes). A thread must not begin
 * a second one before the first ends. Returns 0, E2U_EINVAL (store opened read-only),
 * E2U_ESTORE, E2U_ENOMEM. */
E2U_API int e2u_store_write_begin(e2u_store_t *s, e2u_store_txn_t **out);

/*
 * Make all changes of the transaction visible at once: each zone they touched gets its SOA
 * serial increased by one (RFC 1982; or the SOA given in the transaction, when its serial is
 * newer) and one journal entry. Frees w whatever the outcome. Returns 0, E2U_EFULL (map size or
 * disk full: nothing was applied, diag names the limit), E2U_ESTORE.
 */
E2U_API int e2u_store_write_commit(e2u_store_txn_t *w, e2u_diag_t *diag);

/* Drop every change of the transaction and free it. NULL-safe. */
E2U_API void e2u_store_write_abort(e2u_store_txn_t *w);

/* Create a zone with this origin (wire) and apex SOA (RDATA, wire) of TTL soa_ttl, and the NS
 * names ns[nns] (wire) with TTL default_ttl. default_ttl is what numbers imported from CSV get.
 * Returns 0, E2U_EEXIST, E2U_EINVAL (a bad name or SOA), E2U_EFULL, E2U_ESTORE. */
E2U_API int e2u_store_zone_create(e2u_store_txn_t *w, const uint8_t *origin, const uint8_t *soa,
                                  size_t soa_len, uint32_t soa_ttl, const uint8_t *const *ns,
                                  size_t nns, uint32_t default_ttl);

/* Delete a zone with everything in it and its journal. Returns 0 or E2U_ENOZONE. */
E2U_API int e2u_store_zone_delete(e2u_store_txn_t *w, const uint8_t *origin);

/*
 * Replace the RRset (owner, type) with the n records rr[] of TTL ttl; n == 0 deletes it. The
 * owner (wire, any case) must be in a zone. RDATA names are stored in lower case (RFC 4034
 * §6.2, as Knot DNS does); duplicate records are dropped. A name below the origin made of one
 * digit per label that holds nothing but NAPTRs is stored as a number entry, anything else as
 * an ordinary name; the caller does not choose. An SOA may be set only at the origin and
 * cannot be deleted. Returns 0, E2U_ENOZONE, E2U_EINVAL (with diag: DNAME, CNAME beside other
 * data, a malformed NAPTR, ...), E2U_EFULL, E2U_ESTORE.
 */
E2U_API int e2u_store_put_rrset(e2u_store_txn_t *w, const uint8_t *owner, uint16_t type,
                                uint32_t ttl, const e2u_rdata_t *rr, size_t n, e2u_diag_t *diag);

/* Add one record to the RRset (owner, type) (RFC 2136 §2.5.1; a duplicate is ignored, the
 * RRset's TTL becomes ttl), or delete one (§2.5.4; absent is not an error). Same returns. */
E2U_API int e2u_store_add_rr(e2u_store_txn_t *w, const uint8_t *owner, uint16_t type, uint32_t ttl,
                             const uint8_t *rdata, uint16_t rdlen, e2u_diag_t *diag);
E2U_API int e2u_store_del_rr(e2u_store_txn_t *w, const uint8_t *owner, uint16_t type,
                             const uint8_t *rdata, uint16_t rdlen, e2u_diag_t *diag);

/* Delete every RRset at owner (RFC 2136 §2.5.3). Returns 0 (also when nothing was there),
 * E2U_ENOZONE, E2U_EINVAL (the apex). */
E2U_API int e2u_store_del_name(e2u_store_txn_t *w, const uint8_t *owner, e2u_diag_t *diag);

/*
 * Set the NAPTR RRset of a block entry of the zone with this origin: every number whose full
 * digits start with prefix (digits only, the zone's own prefix included) and, when length is
 * not 0, has exactly length digits. n == 0 deletes the entry. Returns 0, E2U_ENOZONE,
 * E2U_ENOENT (deleting an entry that does not exist), E2U_EINVAL (prefix outside the zone,
 * length shorter than the prefix, bad NAPTR).
 */
E2U_API int e2u_store_put_block(e2u_store_txn_t *w, const uint8_t *origin, const char *prefix,
                                unsigned length, uint32_t ttl, const e2u_rdata_t *rr, size_t n,
                                e2u_diag_t *diag);

/* The current RRset (owner, type) as the transaction sees it, expanded into buf[cap].
 * Returns 0, E2U_ENOENT, E2U_ENOZONE, E2U_ENOSPC. */
E2U_API int e2u_store_txn_get(e2u_store_txn_t *w, const uint8_t *owner, uint16_t type, uint8_t *buf,
                              size_t cap, e2u_store_rrset_t *out);

/* --- bulk import -------------------------------------------------------------------------------
 */

typedef enum e2u_store_format {
    E2U_STORE_FORMAT_AUTO = 0, /* ".csv" (any case) is CSV, anything else a master file */
    E2U_STORE_FORMAT_ZONE,     /* RFC 1035 master file, parsed by libzscanner */
    E2U_STORE_FORMAT_CSV,      /* RFC 4180 rows, DESIGN.md's two forms */
} e2u_store_format_t;

/* Called for each bad line or row: the file, its line (1-based) and the reason. */
typedef void (*e2u_store_bad_fn)(void *arg, const char *file, uint64_t line, const char *reason);

typedef struct e2u_store_import_opts {
    e2u_store_format_t format;
    const char *zone;      /* origin, text; NULL: the owner of the master file's SOA, or for
                            * CSV the store's only zone */
    bool merge;            /* keep what the zone holds and replace only the entries the file
                            * names; default: the zone becomes exactly the file (a master
                            * file), or its numbers and blocks become the file's (CSV) */
    bool skip_bad;         /* apply the good lines; default: any bad line refuses it all */
    uint32_t default_ttl;  /* a new zone's TTL for CSV records; 0 = 3600 */
    const char *soa;       /* a new zone's SOA RDATA text for a CSV import; NULL = "ns1.ORIGIN
                            * hostmaster.ORIGIN 1 7200 3600 1209600 300" */
    const char *const *ns; /* a new zone's NS names (text) for a CSV import; NULL = ns1.ORIGIN */
    size_t nns;
    e2u_store_bad_fn on_bad; /* may be NULL */
    void *arg;
    int (*on_written)(void *arg); /* tests: called after the data is written and before the
                                   * commit; a nonzero return aborts the import */
} e2u_store_import_opts_t;

typedef struct e2u_store_import_stats {
    uint64_t lines;                    /* lines or rows read */
    uint64_t records;                  /* RRs accepted */
    uint64_t bad;                      /* bad lines or rows */
    uint64_t numbers, blocks, names;   /* the zone's entries afterwards */
    uint64_t templates;                /* the store's templates afterwards */
    uint32_t serial;                   /* the zone's serial afterwards */
    bool created;                      /* the zone did not exist before */
    double parse_s, write_s, commit_s; /* wall time of the phases */
} e2u_store_import_stats_t;

/*
 * Import file path ("-" for standard input) into the store in one transaction. Master-file
 * lines go through libzscanner; CSV rows are KEY,ORDER,PREFERENCE,FLAGS,SERVICES,REGEXP,
 * REPLACEMENT (KEY +digits, +digits* or +digitsXXX for a block of that total length) or
 * NUMBER,RN (RFC 4769's "E2U+pstn:tel" "!^.*$!tel:NUMBER;npdi;rn=RN!", ";npdi" alone when RN is
 * empty). Every bad line is reported through on_bad with its line and reason; unless skip_bad,
 * one bad line means nothing is applied and E2U_ESYNTAX is returned. st may be NULL.
 * Returns 0, E2U_ESYNTAX, E2U_ENOZONE, E2U_EINVAL, E2U_EIO (unreadable file), E2U_EFULL (the
 * previous data is intact), E2U_ESTORE, E2U_ENOMEM, or the on_written hook's value.
 */
E2U_API int e2u_store_import(e2u_store_t *s, const char *path, const e2u_store_import_opts_t *o,
                             e2u_store_import_stats_t *st, e2u_diag_t *diag);

/* --- statistics --------------------------------------------------------------------------------
 */

typedef struct e2u_store_stats {
    uint64_t zones, numbers, blocks, names, templates, journal_entries;
    uint64_t page_size;
    uint64_t pages_used;     /* pages that hold data (all trees and the free list) */
    uint64_t bytes_used;     /* pages_used x page_size */
    uint64_t number_bytes;   /* pages of the number trees x page_size */
    uint64_t template_bytes; /* pages of the template tables x page_size */
    uint64_t file_size;      /* the data file, free pages included */
    uint64_t map_size;
    double bytes_per_number; /* bytes_used / numbers (0 without numbers) */
} e2u_store_stats_t;

/* Counts and sizes of the whole store as rd sees it. Returns 0 or E2U_ESTORE. */
E2U_API int e2u_store_stats(e2u_store_rd_t *rd, e2u_store_stats_t *st);

#ifdef __cplusplus
}
#endif
#endif
