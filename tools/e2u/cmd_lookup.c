/*
 * tools/e2u/cmd_lookup.c — `e2u lookup`: resolve numbers over the DNS (or a local store).
 *
 * Numbers come from the arguments, or from standard input one per line, and are looked up
 * concurrently: up to --concurrency lookups are in flight, driven by one poll() loop over the
 * resolver's descriptor (e2u/resolve.h's asynchronous API). Output keeps input order: a
 * finished lookup waits in a reorder window until every earlier one is printed, so scripts can
 * pair lines by position as well as by the "input" member.
 *
 * On a terminal, a batch from standard input shows a progress line on stderr (done, rate,
 * in flight), erased at the end.
 *
 * Exit status (DESIGN.md): 0 every number had a result, 1 some had none, 2 bad usage or an
 * invalid number, 3 a DNS failure (dns-error or bogus). When several apply, 2 wins over 3,
 * and 3 over 1.
 */
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/report.h"
#include "cli.h"
#include "e2u/resolve.h"

enum {
    OPT_SERVER = OPT_FIRST_CMD_SPECIFIC,
    OPT_DB,
    OPT_DNSSEC,
    OPT_TA,
    OPT_TIMEOUT,
    OPT_HOPS,
    OPT_CONC,
    OPT_NOCACHE,
    OPT_PROGRESS,
    OPT_NOPROGRESS,
};

static const struct option lookup_opts[] = {
    {"json", no_argument, NULL, 'j'},
    {"server", required_argument, NULL, OPT_SERVER},
    {"suffix", required_argument, NULL, OPT_SUFFIX},
    {"service", required_argument, NULL, 's'},
    {"strict-order", no_argument, NULL, OPT_STRICT},
    {"db", required_argument, NULL, OPT_DB},
    {"dnssec", no_argument, NULL, OPT_DNSSEC},
    {"trust-anchor", required_argument, NULL, OPT_TA},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"max-hops", required_argument, NULL, OPT_HOPS},
    {"max-digits", required_argument, NULL, OPT_MAXDIGITS},
    {"concurrency", required_argument, NULL, OPT_CONC},
    {"no-cache", no_argument, NULL, OPT_NOCACHE},
    {"route", no_argument, NULL, OPT_ROUTE},
    {"route-class", required_argument, NULL, OPT_ROUTE_CLASS},
    {"allow-private", no_argument, NULL, OPT_ALLOW_PRIVATE},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"no-progress", no_argument, NULL, OPT_NOPROGRESS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void lookup_usage(FILE *f)
{
    fputs("Usage: e2u lookup [OPTIONS] NUMBER...\n"
          "       e2u lookup [OPTIONS] < numbers.txt\n"
          "\n"
          "Resolve telephone numbers to URIs with ENUM (RFC 6116): query the NAPTR records of\n"
          "each number's domain, apply them, follow non-terminal rules and enum: results, and\n"
          "print the URIs in order. Without NUMBER arguments, numbers are read from standard\n"
          "input, one per line, and looked up concurrently.\n"
          "\n"
          "Options:\n"
          "  -j, --json               one JSON object per number, one line each\n"
          "      --server ADDR[@PORT] ask this server (IPv4 or IPv6; repeatable, tried in\n"
          "                           turn); default: the system resolver\n"
          "      --suffix DOMAIN      ENUM suffix (repeatable, tried in order while nothing\n"
          "                           usable is found; default e164.arpa)\n"
          "  -s, --service SPEC       only these enumservices: 'sip' (any subtype) or\n"
          "                           'pstn:tel' (exactly); repeatable\n"
          "      --strict-order       RFC 3403 order processing: only the lowest ORDER that\n"
          "                           yields a result\n"
          "      --db PATH            resolve from a local e2u store instead of the DNS\n"
          "      --dnssec             validate with DNSSEC (libunbound); without --server,\n"
          "                           full recursion from the root trust anchor\n"
          "      --trust-anchor RR    a DS or DNSKEY record in master-file text; repeatable\n"
          "      --timeout MS         per DNS query, retries included (default 5000)\n"
          "      --max-hops N         redirections (non-terminal, enum:) per number (default 5)\n"
          "      --max-digits N       accept private numbers of up to N digits\n"
          "      --concurrency N      lookups in flight (default 1000)\n"
          "      --no-cache           do not cache answers (with --server)\n"
          "      --route              also print the primary route and fallbacks\n"
          "      --route-class [LABEL=]SPEC,...  a route class, best first; repeatable\n"
          "      --allow-private      keep 'P-' enumservices (private networks only)\n"
          "      --progress, --no-progress  progress line on stderr (default: on a terminal)\n"
          "  -h, --help               show this help\n"
          "\n"
          "JSON members: input, aus, status (ok, no-records, not-found, loop, invalid-number,\n"
          "dns-error, bogus), results [uri, enumservices, order, preference, domain, via,\n"
          "tel {number, rn, npdi, cic}], dropped [domain, record, reason, detail].\n"
          "\n"
          "Exit status: 0 every number had a result, 1 some had none, 2 bad usage or an invalid\n"
          "number, 3 a DNS failure.\n",
          f);
}

typedef struct job {
    size_t seq;
    e2u_lookup_t *lk; /* NULL until finished */
} job_t;

typedef struct batch {
    cli_common_t *c;
    job_t *window;   /* ring of size cap, indexed by seq % cap */
    size_t cap;
    size_t next_print;
    size_t done;
    bool any_invalid, any_dns, any_none;
} batch_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_lookup(cli_common_t *c, const e2u_lookup_t *lk)
{
    report_result_t res[64];
    report_drop_t drops[64];
    char warn[64][256];
    e2u_route_cand_t cands[64];
    e2u_route_pick_t picks[64];
    report_route_t route[64];
    report_result_t *rp = res;
    report_drop_t *dp = drops;
    /* most lookups fit the stack arrays; a huge answer gets heap arrays */
    if (lk->nresults > 64)
        rp = calloc(lk->nresults, sizeof(*rp));
    if (lk->ndrops > 64)
        dp = calloc(lk->ndrops, sizeof(*dp));
    if (!rp || !dp) {
        fprintf(stderr, "e2u lookup: out of memory\n");
        exit(EXIT_DNS);
    }
    report_t r = {.input = lk->input,
                  .aus = lk->number.ndigits ? lk->number.aus : NULL,
                  .status = e2u_status_name(lk->status),
                  .error = lk->error,
                  .results = rp,
                  .nresults = lk->nresults,
                  .drops = dp,
                  .ndrops = lk->ndrops};
    if (lk->dnssec == E2U_DNSSEC_SECURE)
        r.dnssec = "secure";
    else if (lk->dnssec == E2U_DNSSEC_INSECURE)
        r.dnssec = "insecure";
    for (size_t i = 0; i < lk->nresults; i++) {
        const e2u_result_t *x = &lk->results[i];
        rp[i] = (report_result_t){.uri = x->uri,
                                  .services = &x->services,
                                  .order = x->order,
                                  .preference = x->preference,
                                  .domain = x->domain,
                                  .via = x->via,
                                  .nvia = x->nvia,
                                  .tel = x->parsed.tel.present ? &x->parsed.tel : NULL};
        if (i < 64) {
            rp[i].warning = report_fit_warning(&x->services, &x->parsed, x->fit, warn[i],
                                               sizeof(warn[i]));
            cands[i] = (e2u_route_cand_t){&x->services, x->order, x->preference};
        }
    }
    for (size_t i = 0; i < lk->ndrops; i++) {
        const e2u_dropped_t *x = &lk->drops[i];
        dp[i] = (report_drop_t){x->domain, x->record, e2u_drop_reason_name(x->reason), x->detail};
    }
    if (c->route) {
        size_t n = lk->nresults < 64 ? lk->nresults : 64;
        size_t np = e2u_route_select(&c->policy, cands, n, picks, 64);
        for (size_t i = 0; i < np; i++)
            route[i] = (report_route_t){picks[i].cand, c->policy.classes[picks[i].cls].label};
        r.route = route;
        r.nroute = np;
    }
    if (c->json)
        report_print_json(stdout, &r);
    else
        report_print_table(stdout, &r);
    if (rp != res)
        free(rp);
    if (dp != drops)
        free(dp);
}

static void flush_window(batch_t *b)
{
    for (;;) {
        job_t *j = &b->window[b->next_print % b->cap];
        if (j->seq != b->next_print || !j->lk)
            return;
        e2u_lookup_t *lk = j->lk;
        switch (lk->status) {
        case E2U_STATUS_OK:
            break;
        case E2U_STATUS_INVALID_NUMBER:
            b->any_invalid = true;
            break;
        case E2U_STATUS_DNS_ERROR:
        case E2U_STATUS_BOGUS:
            b->any_dns = true;
            break;
        default:
            b->any_none = true;
            break;
        }
        print_lookup(b->c, lk);
        if (lk->status == E2U_STATUS_INVALID_NUMBER && !b->c->json)
            fprintf(stderr, "e2u lookup: invalid number '%s': %s\n", lk->input,
                    lk->error ? lk->error : "");
        e2u_lookup_free(lk);
        j->lk = NULL;
        b->next_print++;
    }
}

typedef struct cbarg {
    batch_t *b;
    size_t seq;
} cbarg_t;

static void on_done(void *arg, e2u_lookup_t *lk)
{
    cbarg_t *a = arg;
    job_t *j = &a->b->window[a->seq % a->b->cap];
    j->seq = a->seq;
    j->lk = lk;
    a->b->done++;
    free(a);
}

/* Next number: from argv, or a line of stdin without its newline; NULL at the end. */
static char *next_input(int *argi, int argc, char **argv, bool from_stdin, char **line,
                        size_t *lcap)
{
    if (!from_stdin)
        return *argi < argc ? argv[(*argi)++] : NULL;
    for (;;) {
        ssize_t n = getline(line, lcap, stdin);
        if (n < 0)
            return NULL;
        while (n > 0 && ((*line)[n - 1] == '\n' || (*line)[n - 1] == '\r'))
            (*line)[--n] = '\0';
        char *p = *line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '#')
            continue;
        return p;
    }
}

int cmd_lookup(int argc, char **argv)
{
    cli_common_t c;
    e2u_resolver_opts_t o = {0};
    const char *servers[E2U_SERVERS_MAX];
    const char *tas[16];
    size_t nservers = 0, ntas = 0, conc = 1000;
    int progress = -1, opt;
    const char *db = NULL;
    char *end;

    cli_common_init(&c);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "hjs:", lookup_opts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            lookup_usage(stdout);
            return 0;
        case OPT_SERVER:
            if (nservers == E2U_SERVERS_MAX) {
                cli_error("lookup", "at most %d --server options", E2U_SERVERS_MAX);
                return EXIT_USAGE;
            }
            servers[nservers++] = optarg;
            break;
        case OPT_DB:
            db = optarg;
            break;
        case OPT_DNSSEC:
            o.dnssec = true;
            break;
        case OPT_TA:
            if (ntas == 16) {
                cli_error("lookup", "at most 16 --trust-anchor options");
                return EXIT_USAGE;
            }
            tas[ntas++] = optarg;
            break;
        case OPT_TIMEOUT:
            o.timeout_ms = (unsigned)strtoul(optarg, &end, 10);
            if (*optarg == '\0' || *end || o.timeout_ms == 0 || o.timeout_ms > 3600000) {
                cli_error("lookup", "--timeout '%s': expected milliseconds, 1 to 3600000",
                          optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_HOPS:
            o.max_hops = (unsigned)strtoul(optarg, &end, 10);
            if (*optarg == '\0' || *end || o.max_hops == 0 || o.max_hops > 32) {
                cli_error("lookup", "--max-hops '%s': expected 1 to 32", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_CONC:
            conc = strtoul(optarg, &end, 10);
            if (*optarg == '\0' || *end || conc == 0 || conc > 100000) {
                cli_error("lookup", "--concurrency '%s': expected 1 to 100000", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_NOCACHE:
            o.no_cache = true;
            break;
        case OPT_PROGRESS:
            progress = 1;
            break;
        case OPT_NOPROGRESS:
            progress = 0;
            break;
        default: {
            int r = cli_common_option(&c, "lookup", opt, optarg);
            if (r < 0)
                return EXIT_USAGE;
            if (r == 0) {
                lookup_usage(stderr);
                return EXIT_USAGE;
            }
        }
        }
    }
    if (db && (nservers || o.dnssec)) {
        cli_error("lookup", "--db answers from the store: it does not go with --server or "
                            "--dnssec");
        return EXIT_USAGE;
    }
    o.db_path = db;
    o.servers = servers;
    o.nservers = nservers;
    o.suffixes = c.suffixes;
    o.nsuffixes = c.nsuffixes;
    o.filter = c.filter;
    o.nfilter = c.nfilter;
    o.strict_order = c.strict_order;
    o.allow_private = c.allow_private;
    o.trust_anchors = tas;
    o.ntrust_anchors = ntas;
    o.numopts = c.numopts;

    e2u_resolver_t *r;
    e2u_diag_t d;
    int rc = e2u_resolver_new(&r, &o, &d);
    if (rc < 0) {
        cli_error("lookup", "%s", d.msg);
        return rc == E2U_EINVAL ? EXIT_USAGE : EXIT_DNS;
    }

    bool from_stdin = optind >= argc;
    if (from_stdin && isatty(STDIN_FILENO))
        fprintf(stderr, "e2u lookup: reading numbers from standard input (one per line)\n");
    if (progress < 0)
        progress = from_stdin && isatty(STDERR_FILENO);
    batch_t b = {.c = &c, .cap = 8 * conc + 1}; /* unprinted lookups: one slow answer must
                                                     not stall the others (in-order output) */
    b.window = calloc(b.cap, sizeof(job_t));
    if (!b.window) {
        cli_error("lookup", "out of memory");
        e2u_resolver_free(r);
        return EXIT_DNS;
    }
    for (size_t i = 0; i < b.cap; i++)
        b.window[i].seq = (size_t)-1;

    int argi = optind;
    char *line = NULL;
    size_t lcap = 0, started = 0;
    bool eof = false;
    double t0 = now_s(), last_progress = 0;
    while (!eof || e2u_resolver_pending(r) > 0) {
        /* at most conc in flight, and the reorder window must have room */
        while (!eof && e2u_resolver_pending(r) < conc && started - b.next_print < b.cap - 1) {
            char *num = next_input(&argi, argc, argv, from_stdin, &line, &lcap);
            if (!num) {
                eof = true;
                break;
            }
            cbarg_t *a = malloc(sizeof(*a));
            if (!a || e2u_resolve_async(r, num, strlen(num), on_done, a) < 0) {
                free(a);
                cli_error("lookup", "out of memory");
                eof = true;
                break;
            }
            a->b = &b;
            a->seq = started++;
        }
        int t = e2u_resolver_timeout_ms(r);
        if (t != 0 && e2u_resolver_pending(r) > 0) {
            struct pollfd p = {.fd = e2u_resolver_fd(r), .events = POLLIN};
            poll(&p, 1, t < 0 || t > 200 ? 200 : t);
        }
        if (e2u_resolver_process(r) < 0) {
            cli_error("lookup", "resolver failure");
            break;
        }
        flush_window(&b);
        if (progress) {
            double now = now_s();
            if (now - last_progress > 0.2) {
                last_progress = now;
                fprintf(stderr, "\r%zu done, %.0f/s, %zu in flight   ", b.done,
                        b.done / (now - t0 > 0 ? now - t0 : 1), e2u_resolver_pending(r));
            }
        }
    }
    flush_window(&b);
    if (progress)
        fprintf(stderr, "\r%*s\r", 60, "");
    free(line);
    free(b.window);
    e2u_resolver_free(r);
    fflush(stdout);
    if (b.any_invalid)
        return EXIT_USAGE;
    if (b.any_dns)
        return EXIT_DNS;
    return b.any_none ? EXIT_SOME_NONE : EXIT_ALL_OK;
}
