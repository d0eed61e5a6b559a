/*
 * tools/e2u/cmd_convert.c — `e2u domain` and `e2u number`: number <-> ENUM domain.
 *
 * Both print one line per argument, in order, and go on after a bad argument (reporting it on
 * stderr) so a script converting a list sees every problem at once; the exit status is 2 if
 * any argument was bad.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct option domain_opts[] = {
    {"suffix", required_argument, NULL, OPT_SUFFIX},
    {"max-digits", required_argument, NULL, OPT_MAXDIGITS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void domain_usage(FILE *f)
{
    fputs("Usage: e2u domain [--suffix DOMAIN]... [--max-digits N] NUMBER...\n"
          "\n"
          "Print the ENUM domain of each NUMBER (RFC 6116 §3.2): its digits reversed and\n"
          "dot-separated under the suffix, as a fully qualified name.\n"
          "\n"
          "  e2u domain '+1 215 555 0123'   ->  3.2.1.0.5.5.5.5.1.2.1.e164.arpa.\n"
          "\n"
          "Options:\n"
          "      --suffix DOMAIN   suffix to use (default e164.arpa); repeat for one line per\n"
          "                        suffix, in the order given\n"
          "      --max-digits N    accept private numbers of up to N digits (E.164: 15)\n"
          "  -h, --help            show this help\n",
          f);
}

int cmd_domain(int argc, char **argv)
{
    cli_common_t c;
    int opt, rc = 0;
    cli_common_init(&c);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", domain_opts, NULL)) != -1) {
        if (opt == 'h') {
            domain_usage(stdout);
            return 0;
        }
        int r = cli_common_option(&c, "domain", opt, optarg);
        if (r < 0)
            return EXIT_USAGE;
        if (r == 0) {
            domain_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cli_error("domain", "no number given");
        domain_usage(stderr);
        return EXIT_USAGE;
    }
    if (c.nsuffixes == 0)
        c.suffixes[c.nsuffixes++] = "e164.arpa";
    for (int i = optind; i < argc; i++) {
        e2u_number_t n;
        e2u_diag_t d;
        if (e2u_number_parse(&n, argv[i], strlen(argv[i]), &c.numopts, &d) < 0) {
            cli_error("domain", "invalid number '%s': %s", argv[i], d.msg);
            rc = EXIT_USAGE;
            continue;
        }
        for (size_t k = 0; k < c.nsuffixes; k++) {
            char dom[E2U_DOMAIN_TEXT_MAX];
            int e = e2u_number_to_domain(&n, c.suffixes[k], dom, sizeof(dom), NULL);
            if (e < 0) {
                cli_error("domain", "%s under %s: %s", n.aus, c.suffixes[k], e2u_strerror(e));
                rc = EXIT_USAGE;
                continue;
            }
            puts(dom);
        }
    }
    return rc;
}

static void number_usage(FILE *f)
{
    fputs("Usage: e2u number [--suffix DOMAIN] [--max-digits N] DOMAIN...\n"
          "\n"
          "Print the number ('+' and digits, the ENUM AUS) of each ENUM DOMAIN: the leading\n"
          "one-digit labels reversed.\n"
          "\n"
          "  e2u number 3.2.1.0.5.5.5.5.1.2.1.e164.arpa   ->  +12155550123\n"
          "\n"
          "Options:\n"
          "      --suffix DOMAIN   require this suffix (default: accept any suffix after\n"
          "                        the digit labels)\n"
          "      --max-digits N    accept private numbers of up to N digits (E.164: 15)\n"
          "  -h, --help            show this help\n",
          f);
}

int cmd_number(int argc, char **argv)
{
    cli_common_t c;
    int opt, rc = 0;
    cli_common_init(&c);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", domain_opts, NULL)) != -1) {
        if (opt == 'h') {
            number_usage(stdout);
            return 0;
        }
        int r = cli_common_option(&c, "number", opt, optarg);
        if (r < 0)
            return EXIT_USAGE;
        if (r == 0) {
            number_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (c.nsuffixes > 1) {
        cli_error("number", "--suffix may be given once");
        return EXIT_USAGE;
    }
    if (optind >= argc) {
        cli_error("number", "no domain given");
        number_usage(stderr);
        return EXIT_USAGE;
    }
    for (int i = optind; i < argc; i++) {
        e2u_number_t n;
        e2u_diag_t d;
        if (e2u_number_from_domain(&n, argv[i], strlen(argv[i]), c.nsuffixes ? c.suffixes[0] : NULL,
                                   &c.numopts, NULL, &d) < 0) {
            cli_error("number", "'%s': %s", argv[i], d.msg);
            rc = EXIT_USAGE;
            continue;
        }
        puts(n.aus);
    }
    return rc;
}
