/*
 * server/preload.c — bring the store's pages into e2ud's page tables, in 2 MiB pages where the
 * kernel can.
 *
 * The store is an LMDB file mapped read-only. A page that a query touches for the first time
 * costs a page fault (about a microsecond even when the page is in the page cache), which on a
 * 100 M-number store (2.3 GB) would be most queries for a long while. A background thread
 * therefore maps every page at start, with MADV_POPULATE_READ, in 64 MiB slices so that a
 * SIGTERM need not wait for the rest.
 *
 * Mapped in 4 KiB pages, the store still costs a TLB miss and a page-table walk on nearly every
 * query once it is larger than the TLB covers (a few MiB): the walk's own loads miss the cache
 * on a store of gigabytes, and on the 100 M-number store this alone cost a quarter of the query
 * rate. With huge pages (2 MiB, one TLB entry each) the 100 M-number store needs about 1 200
 * entries, which the second-level TLB of current CPUs holds. Linux maps a file's page cache with
 * 2 MiB entries when the pages are cached as 2 MiB folios, which it does for files of
 * filesystems that support large folios (ext4 since Linux 6.16, XFS, tmpfs with huge=) when it
 * reads them in for a mapping marked MADV_HUGEPAGE (and THP is not disabled). Pages already
 * in the page cache as small folios (just written by e2uctl) stay small. So, with huge pages
 * on, each slice is first written back (sync_file_range: e2uctl --no-sync leaves pages dirty)
 * and dropped from the page cache (POSIX_FADV_DONTNEED, which leaves pages mapped by any
 * process alone), then read back by the populate. This costs one read of the store from disk
 * at start (and the write-back the kernel would have done anyway). If the first slices do not
 * come back in 2 MiB pages (an older kernel, another filesystem, THP off), the rest is only
 * populated. The drop and reread go 2 MiB at a time, so that a query meeting a dropped page
 * waits for one 2 MiB read at most; but that read waits behind whatever else the disk is doing,
 * so a store under 64 MiB, which gains nothing measurable (the 1 M-number store, 22 MiB,
 * answered at the same rate both ways), is left in the pages it has.
 *
 * Pages written later by e2uctl or replication come in as the kernel caches them; the share in
 * huge pages is logged at the end of the preload ("store loaded ...") and can be read any time
 * as FilePmdMapped in /proc/PID/smaps_rollup.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

#define SLICE (64u << 20)      /* populate only */
#define HUGE_SLICE (2u << 20)  /* drop and reread: one 2 MiB page */
#define PROBE_BYTES (4u << 20) /* this much is reread before huge pages are looked for */
#define HUGE_MIN (64u << 20)   /* smaller stores: 4 KiB pages */

/* FilePmdMapped of this process, in KiB (0 when it cannot be read). */
static size_t pmd_mapped_kib(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (!f)
        return 0;
    char line[256];
    size_t kib = 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "FilePmdMapped: %zu kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *preload_main(void *arg)
{
    e2ud_preload_t *p = arg;
    double t0 = mono_s();
    void *addr;
    size_t used;
    if (e2u_store_mapping(p->store, &addr, &used) != 0 || !addr || !used) {
        atomic_store(&p->done, true);
        return NULL;
    }
    int fd = -1;
    if (p->huge && used >= HUGE_MIN && madvise(addr, used, MADV_HUGEPAGE) == 0) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/data.mdb", p->db);
        fd = open(path, O_RDONLY | O_CLOEXEC);
    }
    /* with huge pages, 2 MiB at a time: a query that touches the piece between its drop and
     * its reread waits for the disk, so the piece is kept small */
    size_t off = 0;
    bool probed = fd < 0;
    while (off < used && !atomic_load(&p->stop)) {
        size_t slice = fd >= 0 ? HUGE_SLICE : SLICE;
        size_t n = used - off < slice ? used - off : slice;
        if (fd >= 0) {
            /* written back first: a dirty page (a store written without sync) stays cached */
            sync_file_range(fd, (off_t)off, (off_t)n,
                            SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                SYNC_FILE_RANGE_WAIT_AFTER);
            posix_fadvise(fd, (off_t)off, (off_t)n, POSIX_FADV_DONTNEED);
        }
        if (madvise((char *)addr + off, n, MADV_POPULATE_READ) != 0)
            break; /* a kernel before 5.14: pages fault in as queries touch them */
        off += n;
        if (!probed && off >= PROBE_BYTES) {
            probed = true;
            if (pmd_mapped_kib() == 0) {
                e2ud_log(LOG_DEBUG, "store %s: no 2 MiB pages for it here (kernel, filesystem "
                                    "or THP setting): 4 KiB pages",
                         p->db);
                close(fd);
                fd = -1;
            }
        }
    }
    if (fd >= 0)
        close(fd);
    if (off >= used)
        e2ud_log(LOG_INFO, "store loaded: %zu MiB in memory, %zu MiB of it in 2 MiB pages, in "
                           "%.1f s",
                 used >> 20, pmd_mapped_kib() >> 10, mono_s() - t0);
    atomic_store(&p->done, true);
    return NULL;
}

int e2ud_preload_start(e2ud_preload_t *p)
{
    atomic_store(&p->stop, false);
    atomic_store(&p->done, false);
    p->running = pthread_create(&p->thread, NULL, preload_main, p) == 0;
    if (!p->running)
        atomic_store(&p->done, true);
    return p->running ? 0 : -1;
}

void e2ud_preload_stop(e2ud_preload_t *p)
{
    if (!p->running)
        return;
    atomic_store(&p->stop, true);
    pthread_join(p->thread, NULL);
    p->running = false;
}
