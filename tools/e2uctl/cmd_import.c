/*
 * tools/e2uctl/cmd_import.c — `e2uctl import` and `e2uctl export`.
 *
 * Import is one transaction (e2u_store_import): by default every bad line is listed as
 * FILE:LINE: reason and nothing is applied; --skip-bad applies the rest. Export writes to a
 * temporary file beside the target and renames it, so a reader of the target never sees half a
 * zone; without -o it writes to standard output.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

static void import_usage(FILE *f)
{
    fputs("Usage: e2uctl -d DB import [OPTIONS] FILE\n"
          "\n"
          "Load FILE (- for standard input) into a zone of the store, in one transaction:\n"
          "readers see the old contents until the new ones are complete, and a failure or a\n"
          "killed process leaves the store exactly as it was. The zone is created if needed.\n"
          "\n"
          "A master file (RFC 1035) replaces the whole zone: its SOA, NS, numbers and other\n"
          "names. A CSV file replaces the zone's numbers and blocks, keeping the apex and other\n"
          "names. With --merge, only what the file names is replaced and the rest kept.\n"
          "The zone's serial becomes the master file's SOA serial when that is newer (RFC\n"
          "1982), else the old serial plus one; the change goes to the zone's journal, as a\n"
          "difference when it is small, else as a reset (replicas transfer the whole zone).\n"
          "\n"
          "CSV rows (RFC 4180 quoting; a header row and '#' lines are skipped) are either\n"
          "  KEY,ORDER,PREFERENCE,FLAGS,SERVICES,REGEXP,REPLACEMENT\n"
          "    one NAPTR; KEY is +digits (a number), +digits* (a block) or +digitsXXXX (a\n"
          "    block of numbers of exactly that many digits); fields are raw, no escapes:\n"
          "    +12155550123,10,100,u,E2U+sip,!^.*$!sip:info@example.com!,.\n"
          "  NUMBER,RN\n"
          "    number portability (RFC 4769): E2U+pstn:tel \"!^.*$!tel:NUMBER;npdi;rn=RN!\",\n"
          "    or ;npdi alone when RN is empty.\n"
          "Blocks in a master file are comment lines ';@e2u-block KEY TTL IN NAPTR RDATA', as\n"
          "'e2uctl export' writes them.\n"
          "\n"
          "Options:\n"
          "  -z, --zone ORIGIN      the zone (default: the owner of the master file's SOA;\n"
          "                         for CSV, the store's only zone)\n"
          "  -f, --format FMT       zone or csv (default: csv for *.csv, else zone)\n"
          "      --merge            replace only the names, numbers and blocks the file has\n"
          "      --skip-bad         apply the good lines and list the bad ones; without it,\n"
          "                         any bad line refuses the whole import\n"
          "      --ttl SECONDS      TTL of CSV records (default: the zone's, else 3600)\n"
          "      --soa 'RDATA'      SOA of a zone created from CSV (default 'ns1.ORIGIN\n"
          "                         hostmaster.ORIGIN 1 7200 3600 1209600 300')\n"
          "      --ns NAME          NS of a zone created from CSV (repeatable; default ns1)\n"
          "  -q, --quiet            no summary\n"
          "  -h, --help             this help\n"
          "\n"
          "Bad lines are printed as FILE:LINE: reason. Exit status: 0 imported (with\n"
          "--skip-bad, possibly without some lines), 1 not imported, 2 bad usage.\n",
          f);
}

typedef struct badctx {
    uint64_t n;
    uint64_t shown;
    uint64_t limit;
} badctx_t;

static void on_bad(void *arg, const char *file, uint64_t line, const char *reason)
{
    badctx_t *b = arg;
    b->n++;
    if (b->shown >= b->limit)
        return;
    b->shown++;
    if (line)
        fprintf(stderr, "%s:%llu: %s\n", file, (unsigned long long)line, reason);
    else
        fprintf(stderr, "%s: %s\n", file, reason);
}

/* Tests: E2U_IMPORT_PAUSE_MS makes the import stop after writing, before the commit, and say
 * so on stderr, so a test can kill it at that exact point. */
static int on_written(void *arg)
{
    (void)arg;
    const char *p = getenv("E2U_IMPORT_PAUSE_MS");
    if (!p)
        return 0;
    fprintf(stderr, "e2uctl import: written, not committed\n");
    fflush(stderr);
    struct timespec ts = {atol(p) / 1000, (atol(p) % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return 0;
}

int cmd_import(const ctl_t *c, int argc, char **argv)
{
    enum { O_MERGE = 1000, O_SKIP, O_TTL, O_SOA, O_NS };
    static const struct option opts[] = {
        {"zone", required_argument, NULL, 'z'},  {"format", required_argument, NULL, 'f'},
        {"merge", no_argument, NULL, O_MERGE},   {"skip-bad", no_argument, NULL, O_SKIP},
        {"ttl", required_argument, NULL, O_TTL}, {"soa", required_argument, NULL, O_SOA},
        {"ns", required_argument, NULL, O_NS},   {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    e2u_store_import_opts_t o = {0};
    const char *ns[16];
    bool quiet = false;
    int opt;
    unsigned long v;
    while ((opt = getopt_long(argc, argv, "z:f:qh", opts, NULL)) != -1) {
        switch (opt) {
        case 'z':
            o.zone = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "zone") == 0)
                o.format = E2U_STORE_FORMAT_ZONE;
            else if (strcmp(optarg, "csv") == 0)
                o.format = E2U_STORE_FORMAT_CSV;
            else {
                ctl_err("import", "--format '%s': zone or csv", optarg);
                return CTL_USAGE;
            }
            break;
        case O_MERGE:
            o.merge = true;
            break;
        case O_SKIP:
            o.skip_bad = true;
            break;
        case O_TTL:
            if (!ctl_uint(optarg, 0, 0x7fffffff, &v)) {
                ctl_err("import", "--ttl '%s': seconds, 0 to 2147483647", optarg);
                return CTL_USAGE;
            }
            o.default_ttl = (uint32_t)v;
            break;
        case O_SOA:
            o.soa = optarg;
            break;
        case O_NS:
            if (o.nns == 16) {
                ctl_err("import", "at most 16 --ns");
                return CTL_USAGE;
            }
            ns[o.nns++] = optarg;
            o.ns = ns;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            import_usage(stdout);
            return CTL_OK;
        default:
            import_usage(stderr);
            return CTL_USAGE;
        }
    }
    if (optind != argc - 1) {
        ctl_err("import", "expected one FILE");
        import_usage(stderr);
        return CTL_USAGE;
    }
    const char *file = argv[optind];
    e2u_store_t *s = ctl_open(c, "import", false);
    if (!s)
        return CTL_FAIL;
    badctx_t b = {0, 0, o.skip_bad ? UINT64_MAX : 100};
    o.on_bad = on_bad;
    o.arg = &b;
    o.on_written = on_written;
    e2u_store_import_stats_t st;
    e2u_diag_t d = {0};
    int rc = e2u_store_import(s, file, &o, &st, &d);
    e2u_store_close(s);
    if (b.n > b.shown)
        fprintf(stderr, "%s: ... and %llu more bad lines\n", file,
                (unsigned long long)(b.n - b.shown));
    if (rc < 0) {
        ctl_err("import", "%s", d.msg[0] ? d.msg : e2u_strerror(rc));
        return rc == E2U_EINVAL && !d.msg[0] ? CTL_USAGE : CTL_FAIL;
    }
    if (!quiet) {
        printf("imported %s: %llu records from %llu lines", file, (unsigned long long)st.records,
               (unsigned long long)st.lines);
        if (st.bad)
            printf(", %llu bad lines skipped", (unsigned long long)st.bad);
        printf("; zone %s serial %u: %llu numbers, %llu blocks, %llu names; %llu templates "
               "(parse %.2f s, write %.2f s, commit %.2f s)\n",
               st.created ? "created," : "now", st.serial, (unsigned long long)st.numbers,
               (unsigned long long)st.blocks, (unsigned long long)st.names,
               (unsigned long long)st.templates, st.parse_s, st.write_s, st.commit_s);
    }
    return CTL_OK;
}

static void export_usage(FILE *f)
{
    fputs("Usage: e2uctl -d DB export [OPTIONS] ORIGIN\n"
          "\n"
          "Write the zone ORIGIN as a master file (RFC 1035): $ORIGIN, $TTL, the SOA, then\n"
          "every record with owners relative to the origin; numbers are expanded from their\n"
          "templates. Importing the output gives the same records back.\n"
          "\n"
          "Blocks are written as ';@e2u-block KEY TTL IN NAPTR RDATA' comment lines, which\n"
          "other DNS servers ignore and 'e2uctl import' reads.\n"
          "\n"
          "Options:\n"
          "  -o, --output FILE      write FILE (atomically: a temporary file renamed) instead\n"
          "                         of standard output\n"
          "      --expand-blocks    write each block with a length as every name it answers\n"
          "                         for: the equivalent zone file for another server; refuses\n"
          "                         blocks without a length or of more than 10^6 names\n"
          "  -h, --help             this help\n"
          "\n"
          "Exit status: 0 written, 1 failed (no such zone, write error), 2 bad usage.\n",
          f);
}

int cmd_export(const ctl_t *c, int argc, char **argv)
{
    enum { O_EXPAND = 1000 };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"expand-blocks", no_argument, NULL, O_EXPAND},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL;
    unsigned flags = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'o':
            out = optarg;
            break;
        case O_EXPAND:
            flags |= E2U_STORE_EXPORT_EXPAND_BLOCKS;
            break;
        case 'h':
            export_usage(stdout);
            return CTL_OK;
        default:
            export_usage(stderr);
            return CTL_USAGE;
        }
    }
    if (optind != argc - 1) {
        ctl_err("export", "expected one ORIGIN");
        export_usage(stderr);
        return CTL_USAGE;
    }
    uint8_t origin[256];
    if (!ctl_zone("export", argv[optind], origin))
        return CTL_USAGE;
    e2u_store_t *s = ctl_open(c, "export", true);
    if (!s)
        return CTL_FAIL;
    e2u_store_rd_t *rd;
    int rc = e2u_store_read_begin(s, &rd);
    if (rc < 0) {
        ctl_err("export", "%s", e2u_strerror(rc));
        e2u_store_close(s);
        return CTL_FAIL;
    }
    FILE *f = stdout;
    char tmp[4096];
    if (out) {
        snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", out);
        int fd = mkstemp(tmp);
        f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!f) {
            ctl_err("export", "%s: cannot create a temporary file", out);
            e2u_store_read_end(rd);
            e2u_store_close(s);
            return CTL_FAIL;
        }
    }
    static char obuf[1 << 20];
    setvbuf(f, obuf, _IOFBF, sizeof(obuf));
    e2u_diag_t d = {0};
    rc = e2u_store_export(rd, origin, f, flags, &d);
    e2u_store_read_end(rd);
    e2u_store_close(s);
    if (out) {
        if (fclose(f) != 0 && rc == 0)
            rc = E2U_EIO;
        if (rc == 0 && rename(tmp, out) != 0)
            rc = E2U_EIO;
        if (rc < 0)
            unlink(tmp);
    } else if (fflush(f) != 0 && rc == 0) {
        rc = E2U_EIO;
    }
    if (rc < 0) {
        ctl_err("export", "%s: %s", argv[optind], d.msg[0] ? d.msg : e2u_strerror(rc));
        return CTL_FAIL;
    }
    return CTL_OK;
}
