/*
 * tools/common/report.c — printing a report_t as DESIGN.md's JSON object or as a table.
 *
 * The JSON field names and value forms are an interface scripts rely on (DESIGN.md, "e2u lookup
 * output"): enumservices lower-case "type" or "type:subtype"; tel present only when the URI
 * carries a telephone number, with rn and cic null when absent; via always an array. Extra
 * members ("detail" on drops, "warning" on results, "error", "dnssec", "route") appear only
 * when they have something to say, so the documented shape is never broken.
 */
#include <string.h>

#include "json.h"
#include "report.h"

static void json_services(json_t *j, const e2u_services_t *s)
{
    char name[E2U_SERVICE_NAME_MAX];
    json_arr_begin(j);
    for (size_t i = 0; s && i < s->count; i++) {
        e2u_enumservice_name(&s->svc[i], name, sizeof(name));
        json_str(j, name);
    }
    json_arr_end(j);
}

static void json_tel(json_t *j, const e2u_telinfo_t *t)
{
    json_obj_begin(j);
    json_key(j, "number");
    json_str(j, t->global ? t->number.aus : t->local);
    json_key(j, "rn");
    if (t->has_rn)
        json_str(j, t->rn);
    else
        json_null(j);
    json_key(j, "npdi");
    json_bool(j, t->npdi);
    json_key(j, "cic");
    if (t->has_cic)
        json_str(j, t->cic);
    else
        json_null(j);
    if (!t->global && t->context) {
        json_key(j, "context");
        json_strn(j, t->context, t->context_len);
    }
    json_obj_end(j);
}

void report_print_json(FILE *f, const report_t *r)
{
    json_t j;
    json_init(&j, f);
    json_obj_begin(&j);
    json_key(&j, "input");
    json_str(&j, r->input);
    json_key(&j, "aus");
    json_str(&j, r->aus);
    json_key(&j, "status");
    json_str(&j, r->status);
    if (r->error) {
        json_key(&j, "error");
        json_str(&j, r->error);
    }
    if (r->dnssec) {
        json_key(&j, "dnssec");
        json_str(&j, r->dnssec);
    }
    json_key(&j, "results");
    json_arr_begin(&j);
    for (size_t i = 0; i < r->nresults; i++) {
        const report_result_t *x = &r->results[i];
        json_obj_begin(&j);
        json_key(&j, "uri");
        json_str(&j, x->uri);
        json_key(&j, "enumservices");
        json_services(&j, x->services);
        json_key(&j, "order");
        json_int(&j, x->order);
        json_key(&j, "preference");
        json_int(&j, x->preference);
        json_key(&j, "domain");
        json_str(&j, x->domain);
        json_key(&j, "via");
        json_arr_begin(&j);
        for (size_t k = 0; k < x->nvia; k++)
            json_str(&j, x->via[k]);
        json_arr_end(&j);
        if (x->tel) {
            json_key(&j, "tel");
            json_tel(&j, x->tel);
        }
        if (x->warning) {
            json_key(&j, "warning");
            json_str(&j, x->warning);
        }
        json_obj_end(&j);
    }
    json_arr_end(&j);
    json_key(&j, "dropped");
    json_arr_begin(&j);
    for (size_t i = 0; i < r->ndrops; i++) {
        const report_drop_t *d = &r->drops[i];
        json_obj_begin(&j);
        json_key(&j, "domain");
        json_str(&j, d->domain);
        json_key(&j, "record");
        json_str(&j, d->record);
        json_key(&j, "reason");
        json_str(&j, d->reason);
        if (d->detail) {
            json_key(&j, "detail");
            json_str(&j, d->detail);
        }
        json_obj_end(&j);
    }
    json_arr_end(&j);
    if (r->route) {
        json_key(&j, "route");
        json_arr_begin(&j);
        for (size_t i = 0; i < r->nroute; i++) {
            json_obj_begin(&j);
            json_key(&j, "uri");
            json_str(&j, r->results[r->route[i].result].uri);
            json_key(&j, "class");
            json_str(&j, r->route[i].label);
            json_obj_end(&j);
        }
        json_arr_end(&j);
    }
    json_obj_end(&j);
    json_end_line(&j);
}

static void services_text(const e2u_services_t *s, char *buf, size_t cap)
{
    size_t o = 0;
    char name[E2U_SERVICE_NAME_MAX];
    buf[0] = '\0';
    for (size_t i = 0; s && i < s->count; i++) {
        size_t n = e2u_enumservice_name(&s->svc[i], name, sizeof(name));
        if (o + n + 2 >= cap)
            break;
        if (i)
            buf[o++] = '+';
        memcpy(buf + o, name, n + 1);
        o += n;
    }
}

void report_print_table(FILE *f, const report_t *r)
{
    fprintf(f, "%s", r->input);
    if (r->aus && strcmp(r->aus, r->input) != 0)
        fprintf(f, " (%s)", r->aus);
    fprintf(f, ": %s", r->status);
    if (r->dnssec)
        fprintf(f, ", dnssec %s", r->dnssec);
    if (r->error)
        fprintf(f, ": %s", r->error);
    fputc('\n', f);
    if (r->nresults) {
        fprintf(f, "  %5s %5s  %-14s %s\n", "ORDER", "PREF", "ENUMSERVICE", "URI");
        for (size_t i = 0; i < r->nresults; i++) {
            const report_result_t *x = &r->results[i];
            char svc[256];
            services_text(x->services, svc, sizeof(svc));
            fprintf(f, "  %5u %5u  %-14s %s\n", x->order, x->preference, svc, x->uri);
            if (x->nvia) {
                fprintf(f, "  %27s via", "");
                for (size_t k = 0; k < x->nvia; k++)
                    fprintf(f, " %s", x->via[k]);
                fputc('\n', f);
            }
            if (x->tel) {
                fprintf(f, "  %27s number %s", "", x->tel->global ? x->tel->number.aus
                                                                  : x->tel->local);
                if (x->tel->has_rn)
                    fprintf(f, "  rn %s", x->tel->rn);
                if (x->tel->npdi)
                    fprintf(f, "  npdi");
                if (x->tel->has_cic)
                    fprintf(f, "  cic %s", x->tel->cic);
                fputc('\n', f);
            }
            if (x->warning)
                fprintf(f, "  %27s warning: %s\n", "", x->warning);
        }
    }
    if (r->route && r->nroute) {
        for (size_t i = 0; i < r->nroute; i++)
            fprintf(f, "  %-9s %-8s %s\n", i == 0 ? "primary" : "fallback", r->route[i].label,
                    r->results[r->route[i].result].uri);
    }
    for (size_t i = 0; i < r->ndrops; i++) {
        const report_drop_t *d = &r->drops[i];
        fprintf(f, "  dropped (%s)", d->reason);
        if (d->record)
            fprintf(f, " %s", d->record);
        if (d->domain)
            fprintf(f, " at %s", d->domain);
        fputc('\n', f);
        if (d->detail)
            fprintf(f, "      %s\n", d->detail);
    }
}

const char *report_fit_warning(const e2u_services_t *svcs, const e2u_uri_t *uri,
                               e2u_scheme_fit_t fit, char *buf, size_t cap)
{
    char name[E2U_SERVICE_NAME_MAX];
    if (fit == E2U_SCHEME_FITS || fit == E2U_SCHEME_UNKNOWN_SVC || !svcs || svcs->count == 0)
        return NULL;
    e2u_enumservice_name(&svcs->svc[0], name, sizeof(name));
    const e2u_enumservice_info_t *info = e2u_enumservice_lookup(&svcs->svc[0]);
    char schemes[96] = "";
    size_t o = 0;
    for (const char *const *s = info ? info->schemes : NULL; s && *s; s++) {
        int n = snprintf(schemes + o, sizeof(schemes) - o, "%s%s:", o ? ", " : "", *s);
        if (n < 0 || (size_t)n >= sizeof(schemes) - o)
            break;
        o += (size_t)n;
    }
    snprintf(buf, cap, "scheme %.*s: is %s for E2U+%s (%s names %s)", (int)uri->scheme_len,
             uri->scheme_str, fit == E2U_SCHEME_TOLERATED ? "allowed but unusual" : "not defined",
             name, info ? info->reference : "its registration", schemes);
    return buf;
}
