/*
 * bench/common.h — what the in-process benchmarks (bench_store, bench_answer) share.
 */
#ifndef E2U_BENCH_COMMON_H
#define E2U_BENCH_COMMON_H

#include <stdbool.h>

#include "e2u/store.h"

/* CLOCK_MONOTONIC in seconds. */
double bench_now(void);

/* Open the store at db read-only and, with index, build its number index (its figures into
 * *ii, which may be NULL). Returns the store, or NULL after saying why on stderr as prog. */
e2u_store_t *bench_open_store(const char *prog, const char *db, bool index,
                              e2u_store_index_info_t *ii);

#endif
