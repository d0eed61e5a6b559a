/*
 * e2u/route.h — choosing a primary route and its fallbacks among ENUM results.
 *
 * RFC 4769 §5 leaves it to the application to pick among on-net (SIP) and off-net (PSTN)
 * results. A policy is an ordered list of classes, each a list of enumservice specs; a result
 * belongs to the first class one of its enumservices matches. Routes come out class by class,
 * and within a class by order, preference and then the order given. Results that match no class
 * (presence, IM, web pages) are not call routes and are left out.
 *
 * The default policy is RFC 4769 §5's example, on-net first:
 *     class 0 "on-net":  sip, pstn:sip
 *     class 1 "off-net": pstn:tel
 */
#ifndef E2U_ROUTE_H
#define E2U_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "e2u/enumservice.h"
#include "e2u/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define E2U_ROUTE_CLASSES_MAX 8
#define E2U_ROUTE_SPECS_MAX 16

typedef struct e2u_route_class {
    char label[24];                               /* "on-net", or "class N" */
    size_t nspecs;
    e2u_service_spec_t specs[E2U_ROUTE_SPECS_MAX];
} e2u_route_class_t;

typedef struct e2u_route_policy {
    size_t nclasses;
    e2u_route_class_t classes[E2U_ROUTE_CLASSES_MAX];
} e2u_route_policy_t;

/* Fill p with the default policy above. */
E2U_API void e2u_route_policy_default(e2u_route_policy_t *p);

/* Append a class given as "spec,spec,..." ("sip,pstn:sip"), optionally "label=spec,..."
 * ("on-net=sip,pstn:sip"). Returns 0 or E2U_EINVAL with diag. */
E2U_API int e2u_route_policy_add(e2u_route_policy_t *p, const char *text, e2u_diag_t *diag);

/* What route selection needs to know of one result. */
typedef struct e2u_route_cand {
    const e2u_services_t *services; /* borrowed */
    uint16_t order;
    uint16_t preference;
} e2u_route_cand_t;

typedef struct e2u_route_pick {
    size_t cand;   /* index into the candidates */
    size_t cls;    /* index of the policy class it fell in */
} e2u_route_pick_t;

/* Rank the n candidates into out[cap]: out[0] is the primary route, the rest fallbacks in
 * order. Returns the number of routes written (at most cap). */
E2U_API size_t e2u_route_select(const e2u_route_policy_t *p, const e2u_route_cand_t *cands, size_t n,
                        e2u_route_pick_t *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
