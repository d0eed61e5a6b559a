/*
 * bench/common.c — what the in-process benchmarks share: the clock and opening the store as
 * e2ud does (read-only, with its number index when asked).
 */
#include "common.h"

#include <stdio.h>
#include <time.h>

double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

e2u_store_t *bench_open_store(const char *prog, const char *db, bool index,
                              e2u_store_index_info_t *ii)
{
    e2u_store_t *s;
    e2u_store_opts_t o = {.read_only = true};
    e2u_diag_t d;
    if (e2u_store_open(&s, db, &o, &d) < 0) {
        fprintf(stderr, "%s: %s\n", prog, d.msg);
        return NULL;
    }
    int rc = index ? e2u_store_index_refresh(s, NULL, ii) : 0;
    if (rc < 0) {
        fprintf(stderr, "%s: cannot build the number index: %s\n", prog, e2u_strerror(rc));
        e2u_store_close(s);
        return NULL;
    }
    return s;
}
