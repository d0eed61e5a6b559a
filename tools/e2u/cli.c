/*
 * tools/e2u/cli.c — option handling shared by the e2u subcommands.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "e2u %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_common_init(cli_common_t *c)
{
    memset(c, 0, sizeof(*c));
    e2u_route_policy_default(&c->policy);
}

int cli_common_option(cli_common_t *c, const char *cmd, int opt, const char *arg)
{
    e2u_diag_t d;
    switch (opt) {
    case 's':
        if (c->nfilter == E2U_FILTER_MAX) {
            cli_error(cmd, "too many --service options (at most %d)", E2U_FILTER_MAX);
            return -1;
        }
        if (e2u_service_spec_parse(&c->filter[c->nfilter], arg, strlen(arg), &d) < 0) {
            cli_error(cmd, "--service '%s': %s", arg, d.msg);
            return -1;
        }
        c->nfilter++;
        return 1;
    case 'j':
        c->json = true;
        return 1;
    case OPT_SUFFIX: {
        uint8_t w[E2U_DNAME_MAX];
        size_t wl;
        if (c->nsuffixes == MAX_SUFFIXES) {
            cli_error(cmd, "too many --suffix options (at most %d)", MAX_SUFFIXES);
            return -1;
        }
        if (e2u_dname_from_text(w, sizeof(w), &wl, arg, strlen(arg), NULL, &d) < 0) {
            cli_error(cmd, "--suffix '%s': %s", arg, d.msg);
            return -1;
        }
        c->suffixes[c->nsuffixes++] = arg;
        return 1;
    }
    case OPT_STRICT:
        c->strict_order = true;
        return 1;
    case OPT_ALLOW_PRIVATE:
        c->allow_private = true;
        return 1;
    case OPT_MAXDIGITS: {
        char *end;
        long v = strtol(arg, &end, 10);
        if (*arg == '\0' || *end != '\0' || v < 1 || v > E2U_NUMBER_MAX_DIGITS) {
            cli_error(cmd, "--max-digits '%s': expected a number from 1 to %d", arg,
                      E2U_NUMBER_MAX_DIGITS);
            return -1;
        }
        c->numopts.max_digits = (unsigned)v;
        return 1;
    }
    case OPT_ROUTE:
        c->route = true;
        return 1;
    case OPT_ROUTE_CLASS:
        if (!c->policy_custom) {
            memset(&c->policy, 0, sizeof(c->policy));
            c->policy_custom = true;
        }
        if (e2u_route_policy_add(&c->policy, arg, &d) < 0) {
            cli_error(cmd, "--route-class '%s': %s", arg, d.msg);
            return -1;
        }
        c->route = true;
        return 1;
    default:
        return 0;
    }
}
