/*
 * tools/e2u/cli.h — what the e2u subcommands share: exit codes, option helpers, messages.
 */
#ifndef E2U_TOOLS_CLI_H
#define E2U_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "e2u/e2u.h"

/* Exit status, DESIGN.md "e2u lookup": */
#define EXIT_ALL_OK 0    /* every number had a result */
#define EXIT_SOME_NONE 1 /* some number had none */
#define EXIT_USAGE 2     /* bad usage or invalid input */
#define EXIT_DNS 3       /* DNS failure */

#define MAX_SUFFIXES 16

/* Options common to the commands that evaluate records. */
typedef struct cli_common {
    const char *suffixes[MAX_SUFFIXES];
    size_t nsuffixes;
    e2u_service_spec_t filter[E2U_FILTER_MAX];
    size_t nfilter;
    bool strict_order;
    bool allow_private;
    bool json;
    bool route;
    e2u_route_policy_t policy;
    bool policy_custom;
    e2u_number_opts_t numopts;
} cli_common_t;

void cli_common_init(cli_common_t *c);
/* Handle one option shared by several commands; returns 1 if handled, 0 if not ours, -1 on a
 * bad value (message printed). */
int cli_common_option(cli_common_t *c, const char *cmd, int opt, const char *arg);

/* "e2u CMD: message" on stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int cmd_domain(int argc, char **argv);
int cmd_number(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_lookup(int argc, char **argv);

/* getopt_long codes for the long-only common options. */
enum {
    OPT_SUFFIX = 1000,
    OPT_STRICT,
    OPT_MAXDIGITS,
    OPT_ROUTE,
    OPT_ROUTE_CLASS,
    OPT_ALLOW_PRIVATE,
    OPT_FIRST_CMD_SPECIFIC = 1100,
};

#endif
