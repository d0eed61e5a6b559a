/*
 * lib/core/enumservice.c — services fields, filter specs and the enumservice registry.
 *
 * The services field is split on '+' into tokens, and exactly one token must be "E2U" (the
 * technique RFC 5483 §6.1 suggests): first for the RFC 6116 §3.4.3 form "E2U+sip+pres", last for
 * the RFC 2916 form "sip+E2U". Anything else, including another DDDS application's field
 * ("SIP+D2U") or an empty field, is not ENUM's. Each other token is an enumservice
 * "type *(:subtype)" whose type and subtypes are 1*32 of ALPHA / DIGIT / "-" (RFC 6116 §3.4.3;
 * the hyphen was added by RFC 6116 §9). A type with two subtypes is listed once per subtype, in
 * the order written, which keeps RFC 6116 §3.4.3.2's left-to-right priority.
 *
 * The registry is a static table. It holds the enumservices of the seed specifications and the
 * common entries of the IANA Enumservice registry, with the URI schemes each names, so a result
 * whose scheme does not fit its enumservice can be flagged (not dropped: RFC 3953 §4 lets pres
 * carry other schemes, and the URI is still a URI).
 */
#include <string.h>

#include "core/internal.h"
#include "e2u/enumservice.h"

static bool is_token_char(unsigned char c)
{
    return e2u__is_alnum(c) || c == '-';
}

/* Parse one enumservice token s[0..len) at offset pos of the field into out. */
static int parse_enumservice(e2u_services_t *out, const char *s, size_t len, size_t pos,
                             e2u_diag_t *diag)
{
    char ob[8];
    size_t i = 0;
    if (len == 0)
        return e2u__diag(diag, E2U_ESERVICES, pos, "empty enumservice at position %zu", pos);
    while (i < len && s[i] != ':') {
        if (!is_token_char((unsigned char)s[i]))
            return e2u__diag(diag, E2U_ESERVICES, pos + i,
                             "invalid character %s in enumservice type at position %zu",
                             e2u__octet((unsigned char)s[i], ob), pos + i);
        i++;
    }
    size_t tlen = i;
    if (tlen == 0)
        return e2u__diag(diag, E2U_ESERVICES, pos, "empty enumservice type at position %zu", pos);
    if (tlen > E2U_SERVICE_TOKEN_MAX)
        return e2u__diag(diag, E2U_ESERVICES, pos,
                         "enumservice type longer than 32 characters at position %zu", pos);
    if (i == len) {
        if (out->count == E2U_SERVICES_MAX)
            return e2u__diag(diag, E2U_ESERVICES, pos, "more than %d enumservices in one field",
                             E2U_SERVICES_MAX);
        out->svc[out->count++] = (e2u_enumservice_t){s, NULL, (uint8_t)tlen, 0};
        return 0;
    }
    while (i < len) { /* s[i] == ':' */
        size_t st = ++i;
        while (i < len && s[i] != ':') {
            if (!is_token_char((unsigned char)s[i]))
                return e2u__diag(diag, E2U_ESERVICES, pos + i,
                                 "invalid character %s in enumservice subtype at position %zu",
                                 e2u__octet((unsigned char)s[i], ob), pos + i);
            i++;
        }
        size_t sl = i - st;
        if (sl == 0)
            return e2u__diag(diag, E2U_ESERVICES, pos + st,
                             "empty enumservice subtype at position %zu", pos + st);
        if (sl > E2U_SERVICE_TOKEN_MAX)
            return e2u__diag(diag, E2U_ESERVICES, pos + st,
                             "enumservice subtype longer than 32 characters at position %zu",
                             pos + st);
        if (out->count == E2U_SERVICES_MAX)
            return e2u__diag(diag, E2U_ESERVICES, pos, "more than %d enumservices in one field",
                             E2U_SERVICES_MAX);
        out->svc[out->count++] = (e2u_enumservice_t){s, s + st, (uint8_t)tlen, (uint8_t)sl};
    }
    return 0;
}

int e2u_services_parse(e2u_services_t *out, const char *field, size_t len, e2u_diag_t *diag)
{
    if (!out || (!field && len))
        return e2u__diag(diag, E2U_EINVAL, 0, "no services field given");
    out->count = 0;
    out->legacy = false;
    if (len == 0)
        return e2u__diag(diag, E2U_ESERVICES, 0, "empty services field: not an E2U rule");

    /* Find the E2U token: first (RFC 6116) or last (RFC 2916). */
    bool first = len >= 3 && e2u__ieqn(field, 3, "E2U", 3) && (len == 3 || field[3] == '+');
    bool last = len >= 4 && e2u__ieqn(field + len - 4, 4, "+E2U", 4);
    if (!first && !last)
        return e2u__diag(diag, E2U_ESERVICES, 0,
                         "services field '%.*s' is not an E2U one (RFC 6116 §3.4.3)",
                         (int)(len > 40 ? 40 : len), field);
    size_t b, e;
    if (first) {
        if (len == 3 || len == 4)
            return e2u__diag(diag, E2U_ESERVICES, 3, "no enumservice after 'E2U'");
        b = 4;
        e = len;
    } else {
        b = 0;
        e = len - 4;
        out->legacy = true;
        if (e == 0)
            return e2u__diag(diag, E2U_ESERVICES, 0, "no enumservice before '+E2U'");
    }
    for (size_t i = b; i <= e;) {
        size_t j = i;
        while (j < e && field[j] != '+')
            j++;
        if (e2u__ieqn(field + i, j - i, "E2U", 3))
            return e2u__diag(diag, E2U_ESERVICES, i,
                             "'E2U' given more than once in the services field");
        int rc = parse_enumservice(out, field + i, j - i, i, diag);
        if (rc < 0)
            return rc;
        i = j + 1;
    }
    if (out->legacy && out->count > 1)
        return e2u__diag(diag, E2U_ESERVICES, 0,
                         "the RFC 2916 form 'type+E2U' carries a single enumservice");
    return 0;
}

bool e2u_enumservice_is_private(const e2u_enumservice_t *svc)
{
    return svc->type_len >= 2 && e2u__lower((unsigned char)svc->type[0]) == 'p' &&
           svc->type[1] == '-';
}

size_t e2u_enumservice_name(const e2u_enumservice_t *svc, char *buf, size_t cap)
{
    size_t need = svc->type_len + (svc->subtype ? 1u + svc->subtype_len : 0);
    if (!buf || need + 1 > cap)
        return 0;
    size_t o = 0;
    for (uint8_t i = 0; i < svc->type_len; i++)
        buf[o++] = (char)e2u__lower((unsigned char)svc->type[i]);
    if (svc->subtype) {
        buf[o++] = ':';
        for (uint8_t i = 0; i < svc->subtype_len; i++)
            buf[o++] = (char)e2u__lower((unsigned char)svc->subtype[i]);
    }
    buf[o] = '\0';
    return o;
}

int e2u_service_spec_parse(e2u_service_spec_t *out, const char *s, size_t len, e2u_diag_t *diag)
{
    char ob[8];
    if (!out || (!s && len))
        return e2u__diag(diag, E2U_EINVAL, 0, "no service given");
    memset(out, 0, sizeof(*out));
    if (len >= 4 && e2u__ieqn(s, 4, "E2U+", 4)) {
        s += 4;
        len -= 4;
    }
    size_t i = 0, k = 0;
    char *dst = out->type;
    for (; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ':' && dst == out->type) {
            if (k == 0)
                break;
            dst[k] = '\0';
            dst = out->subtype;
            k = 0;
            continue;
        }
        if (!is_token_char(c))
            return e2u__diag(diag, E2U_EINVAL, i,
                             "invalid character %s in service '%.*s' at position %zu",
                             e2u__octet(c, ob), (int)(len > 40 ? 40 : len), s, i);
        if (k == E2U_SERVICE_TOKEN_MAX)
            return e2u__diag(diag, E2U_EINVAL, i, "service token longer than 32 characters");
        dst[k++] = (char)e2u__lower(c);
    }
    dst[k] = '\0';
    if (out->type[0] == '\0' || (dst == out->subtype && k == 0))
        return e2u__diag(diag, E2U_EINVAL, i,
                         "service must be 'type' or 'type:subtype', e.g. 'sip' or 'pstn:tel'");
    return 0;
}

bool e2u_service_spec_match(const e2u_service_spec_t *spec, const e2u_enumservice_t *svc)
{
    if (!e2u__ieq(svc->type, svc->type_len, spec->type))
        return false;
    if (spec->subtype[0] == '\0')
        return true;
    return svc->subtype && e2u__ieq(svc->subtype, svc->subtype_len, spec->subtype);
}

bool e2u_services_match(const e2u_services_t *svcs, const e2u_service_spec_t *specs, size_t n)
{
    if (n == 0)
        return true;
    for (size_t i = 0; i < svcs->count; i++) {
        for (size_t k = 0; k < n; k++) {
            if (e2u_service_spec_match(&specs[k], &svcs->svc[i]))
                return true;
        }
    }
    return false;
}

/* --- registry -------------------------------------------------------------------------------- */

static const char *const s_sip[] = {"sip", "sips", NULL};
static const char *const s_pres[] = {"pres", NULL};
static const char *const s_im[] = {"im", NULL};
static const char *const s_tel[] = {"tel", NULL};
static const char *const s_sip_only[] = {"sip", NULL};
static const char *const s_h323[] = {"h323", NULL};
static const char *const s_iax[] = {"iax", NULL};
static const char *const s_mailto[] = {"mailto", NULL};
static const char *const s_http[] = {"http", NULL};
static const char *const s_https[] = {"https", NULL};
static const char *const s_web[] = {"http", "https", NULL};
static const char *const s_ftp[] = {"ftp", NULL};
static const char *const s_ldap[] = {"ldap", NULL};
static const char *const s_sips_only[] = {"sips", NULL};
static const char *const s_xmpp[] = {"xmpp", NULL};

static const e2u_enumservice_info_t registry[] = {
    /* the seed specifications */
    {"sip", NULL, s_sip, false, "RFC 3764 (draft-peterson-enum-sip)"},
    {"pres", NULL, s_pres, true, "RFC 3953"},
    {"im", NULL, s_im, false, "RFC 5028 (draft-mahy-enum-im-service)"},
    {"pstn", "tel", s_tel, false, "RFC 4769"},
    {"pstn", "sip", s_sip_only, false, "RFC 4769"},
    /* common entries of the IANA Enumservice registry */
    {"h323", NULL, s_h323, false, "RFC 3762"},
    {"iax", NULL, s_iax, false, "RFC 6315"},
    {"email", "mailto", s_mailto, false, "RFC 4355"},
    {"ems", "mailto", s_mailto, false, "RFC 4355"},
    {"ems", "tel", s_tel, false, "RFC 4355"},
    {"mms", "mailto", s_mailto, false, "RFC 4355"},
    {"mms", "tel", s_tel, false, "RFC 4355"},
    {"sms", "mailto", s_mailto, false, "RFC 4355"},
    {"sms", "tel", s_tel, false, "RFC 4355"},
    {"fax", "tel", s_tel, false, "RFC 4415"},
    {"voice", "tel", s_tel, false, "RFC 4415"},
    {"ifax", "mailto", s_mailto, false, "RFC 4143"},
    {"ft", "ftp", s_ftp, false, "RFC 4002"},
    {"web", "http", s_http, false, "RFC 4002"},
    {"web", "https", s_https, false, "RFC 4002"},
    {"vpim", "mailto", s_mailto, false, "RFC 4238"},
    {"vpim", "ldap", s_ldap, false, "RFC 4238"},
    {"voicemsg", "sip", s_sip_only, false, "RFC 4279"},
    {"voicemsg", "sips", s_sips_only, false, "RFC 4279"},
    {"voicemsg", "http", s_http, false, "RFC 4279"},
    {"voicemsg", "https", s_https, false, "RFC 4279"},
    {"voicemsg", "tel", s_tel, false, "RFC 4279"},
    {"videomsg", "sip", s_sip_only, false, "RFC 4279"},
    {"videomsg", "sips", s_sips_only, false, "RFC 4279"},
    {"videomsg", "http", s_http, false, "RFC 4279"},
    {"videomsg", "https", s_https, false, "RFC 4279"},
    {"unifmsg", "sip", s_sip_only, false, "RFC 4279"},
    {"unifmsg", "sips", s_sips_only, false, "RFC 4279"},
    {"unifmsg", "http", s_http, false, "RFC 4279"},
    {"unifmsg", "https", s_https, false, "RFC 4279"},
    {"vcard", NULL, s_web, false, "RFC 4969"},
    {"xmpp", NULL, s_xmpp, false, "RFC 4979"},
};

const e2u_enumservice_info_t *e2u_enumservice_registry(size_t *count)
{
    if (count)
        *count = sizeof(registry) / sizeof(registry[0]);
    return registry;
}

const e2u_enumservice_info_t *e2u_enumservice_lookup(const e2u_enumservice_t *svc)
{
    for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++) {
        const e2u_enumservice_info_t *r = &registry[i];
        if (e2u__lower((unsigned char)svc->type[0]) != (unsigned char)r->type[0] ||
            !e2u__ieq(svc->type, svc->type_len, r->type))
            continue;
        if (r->subtype == NULL && svc->subtype == NULL)
            return r;
        if (r->subtype && svc->subtype && e2u__ieq(svc->subtype, svc->subtype_len, r->subtype))
            return r;
    }
    return NULL;
}

e2u_scheme_fit_t e2u_enumservice_scheme_fit(const e2u_enumservice_t *svc, const char *scheme,
                                            size_t len)
{
    const e2u_enumservice_info_t *r = e2u_enumservice_lookup(svc);
    if (!r)
        return E2U_SCHEME_UNKNOWN_SVC;
    for (const char *const *s = r->schemes; *s; s++) {
        if (e2u__ieq(scheme, len, *s))
            return E2U_SCHEME_FITS;
    }
    return r->other_schemes_allowed ? E2U_SCHEME_TOLERATED : E2U_SCHEME_MISMATCH;
}
