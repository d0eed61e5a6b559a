/*
 * e2u/enumservice.h — the NAPTR services field of ENUM, service filters, and the registry.
 *
 * RFC 6116 §3.4.3: the services field is "E2U" followed by one or more "+type[:subtype]"
 * enumservices, case-insensitive: "E2U+sip", "E2U+sip+pres", "E2U+pstn:tel". RFC 2916 records
 * use the older order "sip+E2U", which RFC 5483 §3 asks clients still to read. A type followed by
 * several subtypes ("E2U+msg:sms:mms") is taken as one enumservice per subtype.
 *
 * A parsed field is a list of spans into the field; e2u_enumservice_name() gives the normalised
 * lower-case name ("sip", "pstn:tel") that e2u prints and compares.
 *
 * A filter spec is what a caller asks for: "sip" matches type sip with any subtype or none;
 * "pstn:tel" matches that type and subtype exactly.
 *
 * The registry knows the URI schemes each enumservice of the seed specifications (and the
 * common IANA ones) carries, so a result whose scheme does not fit can be flagged.
 */
#ifndef E2U_ENUMSERVICE_H
#define E2U_ENUMSERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2u/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define E2U_SERVICES_MAX 16    /* enumservices kept from one field; more is an error */
#define E2U_SERVICE_TOKEN_MAX 32 /* RFC 6116 §3.4.3: type and subtype are 1*32 characters */
/* "type:subtype" and a NUL */
#define E2U_SERVICE_NAME_MAX (2 * E2U_SERVICE_TOKEN_MAX + 2)

typedef struct e2u_enumservice {
    const char *type;    /* borrowed from the services field */
    const char *subtype; /* borrowed; NULL when there is none */
    uint8_t type_len;
    uint8_t subtype_len;
} e2u_enumservice_t;

typedef struct e2u_services {
    uint8_t count;  /* 1 .. E2U_SERVICES_MAX after a successful parse */
    bool legacy;    /* written in the RFC 2916 order "type+E2U" */
    e2u_enumservice_t svc[E2U_SERVICES_MAX];
} e2u_services_t;

/*
 * Parse a services field of len octets. The result borrows field. Returns 0, or E2U_ESERVICES
 * with diag when the field is not an E2U field (other DDDS applications such as "SIP+D2U" are
 * not ENUM's: RFC 6116 §3.4.3) or is malformed (empty type, character outside ALPHA / DIGIT /
 * "-", token over 32 characters, more than E2U_SERVICES_MAX enumservices).
 */
E2U_API int e2u_services_parse(e2u_services_t *out, const char *field, size_t len, e2u_diag_t *diag);

/* Whether svc is of the private "P-" facet (RFC 6116 §3.4.3.1), which a client outside the
 * private network it is meant for MUST discard (RFC 6116 §5.2). */
E2U_API bool e2u_enumservice_is_private(const e2u_enumservice_t *svc);

/* Write the normalised name "type" or "type:subtype" (lower case, NUL-terminated) into
 * buf[cap]; returns its length, or 0 if it does not fit. */
E2U_API size_t e2u_enumservice_name(const e2u_enumservice_t *svc, char *buf, size_t cap);

/* A filter spec: "type" (any subtype) or "type:subtype". Stored lower-case. */
typedef struct e2u_service_spec {
    char type[E2U_SERVICE_TOKEN_MAX + 1];
    char subtype[E2U_SERVICE_TOKEN_MAX + 1]; /* "" = any subtype */
} e2u_service_spec_t;

/* Parse "sip", "pstn:tel", also "E2U+sip" as written in a services field. Returns 0 or
 * E2U_EINVAL with diag. */
E2U_API int e2u_service_spec_parse(e2u_service_spec_t *out, const char *s, size_t len, e2u_diag_t *diag);

/* Whether svc matches spec (case-insensitive). */
E2U_API bool e2u_service_spec_match(const e2u_service_spec_t *spec, const e2u_enumservice_t *svc);

/* Whether any enumservice of svcs matches any of the n specs; n == 0 matches everything. */
E2U_API bool e2u_services_match(const e2u_services_t *svcs, const e2u_service_spec_t *specs, size_t n);

/* What the registry says about an enumservice. */
typedef struct e2u_enumservice_info {
    const char *type;            /* lower case */
    const char *subtype;         /* lower case, NULL when registered without subtypes */
    const char *const *schemes;  /* NULL-terminated list of URI schemes, lower case */
    bool other_schemes_allowed;  /* e.g. RFC 3953 §4: pres SHOULD use pres: but MAY use others */
    const char *reference;       /* "RFC 3953" */
} e2u_enumservice_info_t;

/* The registry entry for svc, or NULL when e2u does not know it. Static storage. */
E2U_API const e2u_enumservice_info_t *e2u_enumservice_lookup(const e2u_enumservice_t *svc);

typedef enum e2u_scheme_fit {
    E2U_SCHEME_FITS = 0,        /* a scheme the enumservice names */
    E2U_SCHEME_TOLERATED = 1,   /* not named, but the registration allows others */
    E2U_SCHEME_MISMATCH = 2,    /* the registration names other schemes */
    E2U_SCHEME_UNKNOWN_SVC = 3, /* e2u does not know this enumservice */
} e2u_scheme_fit_t;

/* How the URI scheme (len octets, any case) fits the enumservice. */
E2U_API e2u_scheme_fit_t e2u_enumservice_scheme_fit(const e2u_enumservice_t *svc, const char *scheme,
                                            size_t len);

/* The whole registry, for listings: *count receives the number of entries. */
E2U_API const e2u_enumservice_info_t *e2u_enumservice_registry(size_t *count);

#ifdef __cplusplus
}
#endif
#endif
