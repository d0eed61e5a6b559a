/*
 * e2u/e2u.h — the whole public API of libe2u.
 *
 * A short tour of the life cycle:
 *
 *     e2u_number_t num;
 *     e2u_diag_t diag;
 *     if (e2u_number_parse(&num, "+1 215 555 0123", 15, NULL, &diag) < 0)
 *         fprintf(stderr, "%s\n", diag.msg);          // names the bad character
 *
 *     e2u_eval_t *ev;                                   // one per thread
 *     e2u_eval_new(&ev, NULL);                          // all enumservices, default limits
 *     e2u_eval_result_t res;
 *     e2u_eval_rrset(ev, &num, rdata, nrdata, &res);    // RDATA of the NAPTRs at one domain
 *     for (size_t i = 0; i < res.nrules; i++)           // sorted by order, preference
 *         puts(res.rules[i].value);
 *     e2u_eval_free(ev);                                // results die with it
 *
 * Errors are negative ints (e2u/error.h); every header says who owns each pointer it returns.
 */
#ifndef E2U_E2U_H
#define E2U_E2U_H

#include "e2u/error.h"
#include "e2u/number.h"
#include "e2u/dname.h"
#include "e2u/naptr.h"
#include "e2u/enumservice.h"
#include "e2u/subst.h"
#include "e2u/uri.h"
#include "e2u/ddds.h"
#include "e2u/route.h"
#include "e2u/hash.h"

#define E2U_VERSION "0.1.0"

/* The library's version string. */
E2U_API const char *e2u_version(void);

#endif
