/*
 * tools/e2u/main.c — the e2u command: dispatch to its subcommands.
 *
 * Each subcommand lives in its own file and parses its own options with getopt_long, so
 * `e2u CMD --help` is the manual of that command and `e2u --help` the list of them.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
    fputs("Usage: e2u COMMAND [OPTIONS] ARGS...\n"
          "\n"
          "Resolve telephone numbers to URIs with ENUM (RFC 6116), and work with ENUM data.\n"
          "\n"
          "Commands:\n"
          "  lookup NUMBER...         resolve numbers to URIs over the DNS (or stdin, batch)\n"
          "  domain NUMBER...         print the ENUM domain of each number\n"
          "  number DOMAIN...         print the number of each ENUM domain\n"
          "  eval NUMBER RDATA...     apply NAPTR records given in master-file syntax, offline\n"
          "\n"
          "Run 'e2u COMMAND --help' for the options of a command.\n"
          "\n"
          "Numbers may be written +1 (215) 555-0123, +1.215.555.0123, tel:+1-215-555-0123,\n"
          "enum:+12155550123 or +12155550123: '+' and the country code are required.\n"
          "\n"
          "Exit status: 0 every number had a result, 1 some had none, 2 bad usage or invalid\n"
          "input, 3 DNS failure.\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("e2u %s\n", e2u_version());
        return 0;
    }
    if (strcmp(cmd, "domain") == 0)
        return cmd_domain(argc - 1, argv + 1);
    if (strcmp(cmd, "number") == 0)
        return cmd_number(argc - 1, argv + 1);
    if (strcmp(cmd, "lookup") == 0)
        return cmd_lookup(argc - 1, argv + 1);
    if (strcmp(cmd, "eval") == 0)
        return cmd_eval(argc - 1, argv + 1);
    fprintf(stderr, "e2u: unknown command '%s'\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
