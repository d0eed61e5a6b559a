/*
 * server/indexer.c — keeps the store's number index (lib/store/index.c) of the latest commit.
 *
 * The index lets a UDP or TCP worker find an existing number without the B-tree descent that was
 * the largest part of a query's own CPU time (issue 5: about 0.6 µs of 5.3 per query on the
 * 1 M-number store, most of it cache misses). It is of one snapshot only: after a commit the
 * workers go back to the B-tree (same answers, the old speed) until a new index is built.
 *
 * The policy, in one thread that answers no queries:
 *   - at start, build as soon as the preload (preload.c) has mapped the store's pages (0.15 s
 *     for 1 M numbers, 26-32 s for 100 M; queries are answered from the B-tree meanwhile). Not
 *     before: the build's walk over the numbers would map their pages first, in 4 KiB pages,
 *     and the preload leaves mapped pages where they are instead of bringing them in as 2 MiB
 *     pages;
 *   - after a commit (e2uctl, UPDATE, a transfer), wait until the store has been quiet for
 *     QUIET_MS and for ten times as long as the last build took, so that a burst of changes
 *     costs one build and not one per change, and so that under a steady stream of commits
 *     (the soak's one a second on 1 M numbers, a build taking 0.15 s) no index is built that
 *     would be stale again before it had saved what it cost;
 *   - never spend more than about a fifth of a core on it: after a build that took t, the next
 *     waits at least 4t;
 *   - an index made stale by a commit is dropped at once (readers of the new commit cannot use
 *     it; its memory goes when the readers of the old one have renewed);
 *   - a table larger than store-index-max-size (default a quarter of the machine's memory) is not
 *     built: said once in the log, and numbers go through the B-tree.
 * The commit id is polled every POLL_MS (a read of LMDB's shared lock page, no system call);
 * SIGTERM is noticed at the next poll, or within a few thousand numbers of a build under way.
 */
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

#define POLL_MS  100
#define QUIET_MS 500

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* store-index-max-size 0: a quarter of the machine's memory */
static size_t max_bytes(const e2ud_indexer_t *ix)
{
    if (ix->max_bytes)
        return ix->max_bytes;
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || psize <= 0)
        return (size_t)1 << 30;
    return (size_t)pages / 4 * (size_t)psize;
}

/* No index now: the store's is dropped, the figures say none. */
static void forget(e2ud_indexer_t *ix)
{
    e2u_store_index_drop(ix->store);
    atomic_store(&ix->commit, 0);
    atomic_store(&ix->entries, 0);
    atomic_store(&ix->bytes, 0);
}

static bool stopping(void *arg)
{
    return atomic_load(&((e2ud_indexer_t *)arg)->stop);
}

static void *indexer_main(void *arg)
{
    e2ud_indexer_t *ix = arg;
    size_t limit = max_bytes(ix);
    size_t indexed = 0, seen = 0;
    double changed_at = 0, not_before = 0, took = 0;
    bool first = true, told_limit = false;
    while (ix->preload && !atomic_load(&ix->preload->done) && !atomic_load(&ix->stop))
        usleep(POLL_MS * 1000);
    while (!atomic_load(&ix->stop)) {
        size_t id = e2u_store_commit_id(ix->store);
        double now = mono_s();
        if (id && id != seen) {
            seen = id;
            changed_at = now;
            if (indexed && id != indexed) {
                /* stale: readers of the new commit cannot use it, so its memory (1 GiB on 100 M
                 * numbers) goes as soon as the readers of the old one have renewed */
                forget(ix);
                indexed = 0;
            }
        }
        double quiet = QUIET_MS / 1000.0 > 10 * took ? QUIET_MS / 1000.0 : 10 * took;
        if (id && id != indexed && (first || now - changed_at >= quiet) && now >= not_before) {
            e2u_store_index_info_t info;
            e2u_store_index_opts_t o = {.max_bytes = limit, .stop = stopping, .stop_arg = ix};
            int rc = e2u_store_index_refresh(ix->store, &o, &info);
            took = mono_s() - now;
            not_before = mono_s() + 4 * took;
            if (rc == 0) {
                indexed = info.commit;
                atomic_store(&ix->commit, info.commit);
                told_limit = false;
                atomic_store(&ix->entries, info.entries);
                atomic_store(&ix->bytes, info.bytes);
                atomic_fetch_add(&ix->builds, 1);
                e2ud_log(first ? LOG_INFO : LOG_DEBUG,
                         "number index: %zu numbers, %zu MiB, built in %.2f s", info.entries,
                         (info.bytes + (1 << 19)) >> 20, took);
            } else if (rc == E2U_ECANCELED) {
                break; /* SIGTERM */
            } else if (rc == E2U_ENOSPC) {
                indexed = id; /* retried after the next commit */
                if (!told_limit)
                    e2ud_log(LOG_NOTICE,
                             "number index: would need more than store-index-max-size (%zu "
                             "MiB); numbers are looked up in the B-tree",
                             limit >> 20);
                told_limit = true;
                forget(ix);
            } else {
                e2ud_log(LOG_ERR, "number index: cannot build it: %s", e2u_strerror(rc));
                not_before = mono_s() + 10; /* out of memory or reader slots: later */
            }
            first = false;
            continue;
        }
        usleep(POLL_MS * 1000);
    }
    return NULL;
}

int e2ud_indexer_start(e2ud_indexer_t *ix)
{
    atomic_store(&ix->stop, false);
    ix->running = pthread_create(&ix->thread, NULL, indexer_main, ix) == 0;
    return ix->running ? 0 : -1;
}

void e2ud_indexer_stop(e2ud_indexer_t *ix)
{
    if (!ix->running)
        return;
    atomic_store(&ix->stop, true);
    pthread_join(ix->thread, NULL);
    ix->running = false;
}
