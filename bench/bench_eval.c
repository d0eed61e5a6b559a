/*
 * bench/bench_eval.c — nanoseconds to parse and evaluate one typical NAPTR set.
 *
 * The sets are the three shapes of shared/bench/gen_np.py's number-portability data: a ported
 * number (one E2U+pstn:tel record with rn), an on-net number (E2U+sip and a pstn:tel fallback),
 * and a presence-enabled one (E2U+sip, E2U+pres, E2U+im: the "typical 3-record set"). Each
 * iteration does what a lookup does with an answer: parse the wire RDATA, check flags and
 * services, run the substitution on the AUS, check the URI and its tel parameters, sort.
 *
 * The figure printed is the median of several timed rounds, in ns per evaluation of the set.
 * Usage: bench_eval [iterations-per-round]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "e2u/e2u.h"

typedef struct bset {
    const char *name;
    const char *records[4];
} bset_t;

static const bset_t sets[] = {
    {"ported (1 record)",
     {"10 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+12155550123;npdi;rn=+12155550199!\" .", NULL}},
    {"on-net (2 records)",
     {"10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:+12155550123@sip.carrier7.example;user=phone!\" .",
      "20 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+12155550123;npdi!\" .", NULL}},
    {"presence (3 records)",
     {"10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:u123456@example.net!\" .",
      "10 101 \"u\" \"E2U+pres\" \"!^.*$!pres:u123456@example.net!\" .",
      "10 102 \"u\" \"E2U+im\" \"!^.*$!im:u123456@example.net!\" .", NULL}},
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    enum { ROUNDS = 7 };
    e2u_number_t num;
    if (iters <= 0 || e2u_number_parse(&num, "+12155550123", 12, NULL, NULL) < 0)
        return 2;
    e2u_eval_t *ev;
    if (e2u_eval_new(&ev, NULL) < 0)
        return 2;
    printf("%-22s %10s %10s\n", "set", "ns/eval", "ns/record");
    for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
        uint8_t buf[4][E2U_NAPTR_RDATA_MAX];
        e2u_rdata_t rd[4];
        size_t n = 0;
        for (; sets[s].records[n]; n++) {
            size_t len;
            const char *t = sets[s].records[n];
            if (e2u_naptr_parse_text(buf[n], sizeof(buf[n]), &len, t, strlen(t), NULL, NULL) < 0)
                return 2;
            rd[n].data = buf[n];
            rd[n].len = (uint16_t)len;
        }
        e2u_eval_result_t r;
        if (e2u_eval_rrset(ev, &num, rd, n, &r) < 0 || r.nrules != n) {
            fprintf(stderr, "bench: set %s does not evaluate\n", sets[s].name);
            return 1;
        }
        double per[ROUNDS];
        size_t sink = 0;
        for (int k = 0; k < ROUNDS; k++) {
            double t0 = now_ns();
            for (long i = 0; i < iters; i++) {
                e2u_eval_rrset(ev, &num, rd, n, &r);
                sink += r.nrules;
            }
            per[k] = (now_ns() - t0) / (double)iters;
        }
        qsort(per, ROUNDS, sizeof(double), cmp_d);
        printf("%-22s %10.0f %10.0f\n", sets[s].name, per[ROUNDS / 2],
               per[ROUNDS / 2] / (double)n);
        if (sink == 0)
            return 1;
    }
    e2u_eval_free(ev);
    return 0;
}
