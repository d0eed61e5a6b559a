/*
 * tools/common/report.h — the outcome of resolving one number, as the tools print it.
 *
 * `e2u eval` (records given on the command line) and `e2u lookup` (records from DNS or a store)
 * both fill a report_t and hand it to report_print_json() (DESIGN.md's object, one line) or
 * report_print_table() (for people). The report borrows every string it points to; it is built
 * and printed while the caller's results are alive.
 */
#ifndef E2U_TOOLS_REPORT_H
#define E2U_TOOLS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "e2u/e2u.h"

typedef struct report_result {
    const char *uri;
    const e2u_services_t *services; /* names printed normalised */
    uint16_t order;
    uint16_t preference;
    const char *domain;             /* where the NAPTR was found, presentation form */
    const char *const *via;         /* numbers of enum: redirections that led here */
    size_t nvia;
    const e2u_telinfo_t *tel;       /* NULL when the URI carries no telephone number */
    const char *warning;            /* NULL, or e.g. a scheme the enumservice does not name */
} report_result_t;

typedef struct report_drop {
    const char *domain;
    const char *record; /* NAPTR RDATA in master-file syntax, or NULL */
    const char *reason; /* stable name, e.g. "no-match" */
    const char *detail; /* a sentence for people, or NULL */
} report_drop_t;

typedef struct report_route {
    size_t result;     /* index into results */
    const char *label; /* policy class, e.g. "on-net" */
} report_route_t;

typedef struct report {
    const char *input;
    const char *aus;    /* NULL when the input was not a number */
    const char *status; /* ok, no-records, not-found, loop, invalid-number, dns-error, bogus */
    const char *error;  /* for invalid-number / dns-error: what went wrong, else NULL */
    const char *dnssec; /* "secure", "insecure", or NULL when not validated */
    const report_result_t *results;
    size_t nresults;
    const report_drop_t *drops;
    size_t ndrops;
    const report_route_t *route; /* NULL unless route selection was asked for */
    size_t nroute;
} report_t;

void report_print_json(FILE *f, const report_t *r);
void report_print_table(FILE *f, const report_t *r);

/* A warning sentence for how a URI scheme fits the enumservices of its record, or NULL when it
 * fits. Written into buf. */
const char *report_fit_warning(const e2u_services_t *svcs, const e2u_uri_t *uri,
                               e2u_scheme_fit_t fit, char *buf, size_t cap);

#endif
