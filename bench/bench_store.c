/*
 * bench/bench_store.c — in-process lookups per second from an e2u store, one thread.
 *
 *   bench_store DB QUERIES [SECONDS] [--renew N] [--index]
 *
 * QUERIES is a dnsperf query file (gen_np.py's queries.txt: "NAME TYPE" per line, 90 % existing
 * numbers, 10 % absent). Every name is converted to wire form first; the timed loop then calls
 * e2u_store_find on each in turn, the expanded NAPTR RRset included, as e2ud will per query,
 * renewing the read transaction every N lookups (default 64, a server's batch). Prints lookups
 * per second, ns per lookup, and the share of each answer kind, and checks that every existing
 * name was answered with at least one NAPTR. With --index the store's number index
 * (e2u_store_index_refresh) is built first, as e2ud builds it, and the lookups use it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2u/e2u.h"
#include "e2u/store.h"

#include "common.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_store DB QUERIES [SECONDS] [--renew N] [--index]\n");
        return 2;
    }
    double secs = argc > 3 && argv[3][0] != '-' ? atof(argv[3]) : 3.0;
    unsigned renew = 64;
    bool index = false;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--renew") == 0 && i + 1 < argc)
            renew = (unsigned)atoi(argv[i + 1]);
        index |= strcmp(argv[i], "--index") == 0;
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 1;
    }
    size_t cap = 1 << 20, n = 0;
    uint8_t *names = malloc(cap * 64);
    uint8_t *lens = malloc(cap);
    if (!names || !lens) {
        fprintf(stderr, "out of memory\n");
        free(names);
        free(lens);
        fclose(f);
        return 1;
    }
    char line[512];
    while (fgets(line, sizeof(line), f) && n < cap) {
        char *sp = strchr(line, ' ');
        if (sp)
            *sp = '\0';
        size_t wl;
        if (e2u_dname_from_text(names + n * 64, 64, &wl, line, strlen(line), NULL, NULL) == 0 &&
            wl <= 64) {
            lens[n] = (uint8_t)wl;
            n++;
        }
    }
    fclose(f);
    int ret = 1;
    e2u_store_t *s = NULL;
    e2u_store_rd_t *rd = NULL;
    if (!n) {
        fprintf(stderr, "no queries\n");
        goto out;
    }
    e2u_store_index_info_t ii = {0};
    s = bench_open_store("bench_store", argv[1], index, &ii);
    if (!s)
        goto out;
    if (e2u_store_read_begin(s, &rd) < 0)
        goto out;
    static uint8_t buf[E2U_STORE_BUF_MIN];
    uint64_t kinds[8] = {0}, done = 0, naptrs = 0;
    /* warm the cache: one pass */
    e2u_store_answer_t a;
    for (size_t i = 0; i < n; i++)
        e2u_store_find(rd, names + i * 64, lens[i], buf, sizeof(buf), &a);
    double t0 = bench_now(), t1;
    size_t i = 0;
    do {
        for (unsigned k = 0; k < 4096; k++) {
            if (done % renew == 0)
                e2u_store_read_renew(rd);
            int rc = e2u_store_find(rd, names + i * 64, lens[i], buf, sizeof(buf), &a);
            if (rc == 0) {
                kinds[a.kind]++;
                if (a.kind == E2U_STORE_NUMBER) {
                    e2u_store_rrset_t rs;
                    if (e2u_store_answer_rrset(&a, E2U_STORE_TYPE_NAPTR, &rs) == 0)
                        naptrs += rs.count;
                }
            }
            done++;
            if (++i == n)
                i = 0;
        }
        t1 = bench_now();
    } while (t1 - t0 < secs);
    double el = t1 - t0;
    printf("lookups          %llu in %.2f s (%zu distinct names, renew every %u)\n",
           (unsigned long long)done, el, n, renew);
    printf("lookups/s        %.0f\n", (double)done / el);
    if (index)
        printf("number index     %zu numbers, %zu bytes\n", ii.entries, ii.bytes);
    printf("ns per lookup    %.0f\n", el * 1e9 / (double)done);
    printf("answers          number %.1f %%, nxdomain %.1f %%, ent %.1f %%, block %.1f %%\n",
           100.0 * (double)kinds[E2U_STORE_NUMBER] / (double)done,
           100.0 * (double)kinds[E2U_STORE_NXDOMAIN] / (double)done,
           100.0 * (double)kinds[E2U_STORE_ENT] / (double)done,
           100.0 * (double)kinds[E2U_STORE_BLOCK] / (double)done);
    printf("NAPTR per number %.2f\n",
           kinds[E2U_STORE_NUMBER] ? (double)naptrs / (double)kinds[E2U_STORE_NUMBER] : 0.0);
    ret = 0;
out:
    e2u_store_read_end(rd);
    e2u_store_close(s);
    free(lens);
    free(names);
    return ret;
}
