/*
 * tools/e2u/cmd_eval.c — `e2u eval NUMBER 'RDATA'...`: apply NAPTR records offline.
 *
 * The records are taken as the complete NAPTR set at the number's ENUM domain, in the order
 * given (that order breaks ties, as the order of a DNS answer would). Relative names in them
 * are relative to that domain. The evaluation is the core's, exactly what a lookup does with
 * one answer; what eval cannot do without the DNS is follow a non-terminal rule, which it
 * reports as dropped with reason "not-followed", or re-submit an enum: result, which it keeps
 * as a result.
 *
 * A record that is not valid master-file syntax is a usage error (exit 2): the user typed it,
 * and a message with its position helps more than a "malformed" drop.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/report.h"
#include "cli.h"

static const struct option eval_opts[] = {
    {"json", no_argument, NULL, 'j'},
    {"service", required_argument, NULL, 's'},
    {"strict-order", no_argument, NULL, OPT_STRICT},
    {"suffix", required_argument, NULL, OPT_SUFFIX},
    {"max-digits", required_argument, NULL, OPT_MAXDIGITS},
    {"route", no_argument, NULL, OPT_ROUTE},
    {"route-class", required_argument, NULL, OPT_ROUTE_CLASS},
    {"allow-private", no_argument, NULL, OPT_ALLOW_PRIVATE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void eval_usage(FILE *f)
{
    fputs("Usage: e2u eval [OPTIONS] NUMBER 'RDATA'...\n"
          "\n"
          "Apply NAPTR records, given as master-file RDATA, to NUMBER as if they were the\n"
          "answer for its ENUM domain, and print the resulting URIs. No DNS is queried.\n"
          "\n"
          "  e2u eval +12155550123 \\\n"
          "    '10 100 \"u\" \"E2U+pstn:tel\" \"!^.*$!tel:+1-215-555-0123;npdi;rn=+1-215-555-0199!\" .'\n"
          "\n"
          "RDATA is ORDER PREFERENCE FLAGS SERVICES REGEXP REPLACEMENT with RFC 1035 escapes:\n"
          "a backslash in the regexp is written twice (\"!^(.*)$!tel:\\\\1!\"). The RFC 3597 form\n"
          "'\\# LENGTH HEX' is accepted too.\n"
          "\n"
          "Options:\n"
          "  -j, --json               one JSON object (the format of 'e2u lookup --json')\n"
          "  -s, --service SPEC       keep only records with this enumservice: 'sip' (any\n"
          "                           subtype) or 'pstn:tel' (exactly); repeatable\n"
          "      --strict-order       RFC 3403 order processing: only the lowest ORDER that\n"
          "                           yields a result\n"
          "      --suffix DOMAIN      the records' domain is under DOMAIN (default e164.arpa)\n"
          "      --max-digits N       accept private numbers of up to N digits\n"
          "      --route              also print the primary route and its fallbacks\n"
          "      --route-class [LABEL=]SPEC,...\n"
          "                           a route class, best first; repeatable; replaces the\n"
          "                           default on-net=sip,pstn:sip then off-net=pstn:tel\n"
          "      --allow-private      keep 'P-' enumservices (private networks only)\n"
          "  -h, --help               show this help\n"
          "\n"
          "Exit status: 0 a result, 1 no result, 2 bad usage, invalid number or record.\n",
          f);
}

int cmd_eval(int argc, char **argv)
{
    cli_common_t c;
    int opt;
    cli_common_init(&c);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hjs:", eval_opts, NULL)) != -1) {
        if (opt == 'h') {
            eval_usage(stdout);
            return 0;
        }
        int r = cli_common_option(&c, "eval", opt, optarg);
        if (r < 0)
            return EXIT_USAGE;
        if (r == 0) {
            eval_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (c.nsuffixes > 1) {
        cli_error("eval", "--suffix may be given once");
        return EXIT_USAGE;
    }
    if (argc - optind < 1) {
        cli_error("eval", "no number given");
        eval_usage(stderr);
        return EXIT_USAGE;
    }
    const char *input = argv[optind];
    size_t nrec = (size_t)(argc - optind - 1);
    char **texts = argv + optind + 1;
    e2u_number_t num;
    e2u_diag_t d;
    if (e2u_number_parse(&num, input, strlen(input), &c.numopts, &d) < 0) {
        if (c.json) {
            report_t r = {.input = input, .status = "invalid-number", .error = d.msg};
            report_print_json(stdout, &r);
        }
        cli_error("eval", "invalid number '%s': %s", input, d.msg);
        return EXIT_USAGE;
    }
    char domain[E2U_DOMAIN_TEXT_MAX];
    uint8_t origin[E2U_DNAME_MAX];
    size_t olen;
    const char *suffix = c.nsuffixes ? c.suffixes[0] : "e164.arpa";
    if (e2u_number_to_domain(&num, suffix, domain, sizeof(domain), NULL) < 0 ||
        e2u_dname_from_text(origin, sizeof(origin), &olen, domain, strlen(domain), NULL, &d) < 0) {
        cli_error("eval", "%s has no valid domain under %s", num.aus, suffix);
        return EXIT_USAGE;
    }

    int rc = EXIT_USAGE;
    uint8_t (*rdbuf)[E2U_NAPTR_RDATA_MAX] = calloc(nrec ? nrec : 1, sizeof(*rdbuf));
    e2u_rdata_t *rd = calloc(nrec ? nrec : 1, sizeof(*rd));
    char (*rtext)[E2U_NAPTR_TEXT_MAX] = calloc(nrec ? nrec : 1, sizeof(*rtext));
    report_result_t *res = calloc(nrec ? nrec : 1, sizeof(*res));
    report_drop_t *drops = calloc(nrec ? nrec : 1, sizeof(*drops));
    char (*warn)[256] = calloc(nrec ? nrec : 1, sizeof(*warn));
    e2u_route_pick_t *picks = calloc(nrec ? nrec : 1, sizeof(*picks));
    e2u_route_cand_t *cands = calloc(nrec ? nrec : 1, sizeof(*cands));
    report_route_t *route = calloc(nrec ? nrec : 1, sizeof(*route));
    e2u_eval_t *ev = NULL;
    if (!rdbuf || !rd || !rtext || !res || !drops || !warn || !picks || !cands || !route) {
        cli_error("eval", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nrec; i++) {
        size_t len;
        if (e2u_naptr_parse_text(rdbuf[i], sizeof(rdbuf[i]), &len, texts[i], strlen(texts[i]),
                                 origin, &d) < 0) {
            cli_error("eval", "record %zu: %s", i + 1, d.msg);
            goto out;
        }
        rd[i].data = rdbuf[i];
        rd[i].len = (uint16_t)len;
        e2u_naptr_t v;
        if (e2u_naptr_parse_wire(&v, rdbuf[i], len, NULL) == 0)
            e2u_naptr_format_text(&v, rtext[i], sizeof(rtext[i]), NULL);
    }

    e2u_eval_opts_t eo = {.filter = c.filter,
                          .nfilter = c.nfilter,
                          .strict_order = c.strict_order,
                          .allow_private = c.allow_private};
    int e = e2u_eval_new(&ev, &eo);
    e2u_eval_result_t er = {0};
    if (e == 0)
        e = e2u_eval_rrset(ev, &num, rd, nrec, &er);
    if (e < 0) {
        cli_error("eval", "%s", e2u_strerror(e));
        goto out;
    }

    report_t rep = {.input = input, .aus = num.aus, .results = res, .drops = drops};
    for (size_t i = 0; i < er.nrules; i++) {
        const e2u_rule_t *ru = &er.rules[i];
        if (!ru->terminal) {
            report_drop_t *x = &drops[rep.ndrops++];
            x->domain = domain;
            x->record = rtext[ru->index];
            x->reason = "not-followed";
            x->detail = "non-terminal rule: e2u eval does not query the DNS for its target";
            continue;
        }
        report_result_t *x = &res[rep.nresults];
        x->uri = ru->value;
        x->services = &ru->services;
        x->order = ru->order;
        x->preference = ru->preference;
        x->domain = domain;
        x->tel = ru->uri.tel.present ? &ru->uri.tel : NULL;
        x->warning = report_fit_warning(&ru->services, &ru->uri, ru->fit, warn[rep.nresults],
                                        sizeof(warn[0]));
        cands[rep.nresults] = (e2u_route_cand_t){&ru->services, ru->order, ru->preference};
        rep.nresults++;
    }
    for (size_t i = 0; i < er.ndrops; i++) {
        report_drop_t *x = &drops[rep.ndrops++];
        x->domain = domain;
        x->record = rtext[er.drops[i].index];
        x->reason = e2u_drop_reason_name(er.drops[i].reason);
        x->detail = er.drops[i].detail;
    }
    rep.status = rep.nresults ? "ok" : "no-records";
    if (c.route) {
        size_t np = e2u_route_select(&c.policy, cands, rep.nresults, picks, nrec ? nrec : 1);
        for (size_t i = 0; i < np; i++)
            route[i] = (report_route_t){picks[i].cand, c.policy.classes[picks[i].cls].label};
        rep.route = route;
        rep.nroute = np;
    }
    if (c.json)
        report_print_json(stdout, &rep);
    else
        report_print_table(stdout, &rep);
    rc = rep.nresults ? EXIT_ALL_OK : EXIT_SOME_NONE;
out:
    e2u_eval_free(ev);
    free(rdbuf);
    free(rd);
    free(rtext);
    free(res);
    free(drops);
    free(warn);
    free(picks);
    free(cands);
    free(route);
    return rc;
}
