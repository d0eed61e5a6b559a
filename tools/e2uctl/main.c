/*
 * tools/e2uctl/main.c — e2uctl: provision and inspect an e2u store (DESIGN.md, "Command lines").
 *
 * Global options come before the command (e2uctl -d DB import FILE); each command parses its
 * own options with getopt_long, so `e2uctl CMD --help` is that command's manual. Exit status is
 * the same for every command: 0 done, 1 the operation failed (nothing was changed unless the
 * message says otherwise), 2 bad usage.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

void ctl_err(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "e2uctl%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

bool ctl_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s)
        return false;
    unsigned long long m = 1;
    switch (*end) {
    case 'k':
    case 'K':
        m = 1ull << 10;
        end++;
        break;
    case 'm':
    case 'M':
        m = 1ull << 20;
        end++;
        break;
    case 'g':
    case 'G':
        m = 1ull << 30;
        end++;
        break;
    case 't':
    case 'T':
        m = 1ull << 40;
        end++;
        break;
    default:
        break;
    }
    if (*end == 'i' || *end == 'B')
        end++;
    if (*end == 'B')
        end++;
    if (*end || v == 0 || v > (~0ull) / m)
        return false;
    *out = (size_t)(v * m);
    return true;
}

bool ctl_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || v < lo || v > hi)
        return false;
    *out = (unsigned long)v;
    return true;
}

bool ctl_zone(const char *cmd, const char *text, uint8_t wire[256])
{
    size_t wl;
    e2u_diag_t d;
    if (e2u_dname_from_text(wire, 256, &wl, text, strlen(text), NULL, &d) < 0) {
        ctl_err(cmd, "zone '%s': %s", text, d.msg);
        return false;
    }
    return true;
}

e2u_store_t *ctl_open(const ctl_t *c, const char *cmd, bool read_only)
{
    if (!c->db) {
        ctl_err(cmd, "no store given: e2uctl -d DB %s ...", cmd);
        return NULL;
    }
    e2u_store_opts_t o = {0};
    o.read_only = read_only;
    o.map_size = c->map_size;
    o.no_sync = c->no_sync;
    e2u_store_t *s;
    e2u_diag_t d;
    if (e2u_store_open(&s, c->db, &o, &d) < 0) {
        ctl_err(cmd, "%s", d.msg);
        return NULL;
    }
    return s;
}

static void usage(FILE *f)
{
    fputs("Usage: e2uctl -d DB COMMAND [OPTIONS] ARGS...\n"
          "\n"
          "Provision and inspect an e2u store: an LMDB directory holding ENUM zones, their\n"
          "numbers, number blocks and other names, served by e2ud and read by 'e2u lookup --db'.\n"
          "\n"
          "Commands:\n"
          "  import FILE            load a master file or CSV into a zone, in one transaction\n"
          "  export ORIGIN          write a zone as a master file\n"
          "  set KEY RDATA...       set the NAPTR records of a number or a block\n"
          "  del KEY                delete a number or a block\n"
          "  show NAME|NUMBER       what a query for that name finds, and its records\n"
          "  zones                  list the zones\n"
          "  stats                  numbers, blocks, templates and bytes per number\n"
          "  journal ORIGIN         the zone's change journal (serial to serial)\n"
          "  rmzone ORIGIN          delete a zone and everything in it\n"
          "\n"
          "Global options (before the command):\n"
          "  -d, --db DB            the store directory (created by import); default: the\n"
          "                         environment variable E2U_DB\n"
          "      --map-size SIZE    address space for the store (e.g. 64G; default 1T, which\n"
          "                         costs nothing until used): the most it can hold\n"
          "      --no-sync          do not fsync at commit (tests): a crash of the machine may\n"
          "                         lose the last changes, a killed process never does\n"
          "  -h, --help             this help; 'e2uctl COMMAND --help' for a command's\n"
          "  -V, --version\n"
          "\n"
          "KEY is a number (+12155550123, any written form), or a block: +1215555* (every\n"
          "number starting with those digits) or +1215555XXXX (those with exactly that many\n"
          "digits). A block answers for numbers under it that have no entry of their own.\n"
          "\n"
          "Every change bumps the zone's SOA serial and is recorded in its journal.\n"
          "\n"
          "Exit status: 0 done, 1 the operation failed, 2 bad usage.\n",
          f);
}

static const struct {
    const char *name;
    int (*fn)(const ctl_t *, int, char **);
} cmds[] = {
    {"import", cmd_import}, {"export", cmd_export},   {"set", cmd_set},
    {"del", cmd_del},       {"zones", cmd_zones},     {"stats", cmd_stats},
    {"show", cmd_show},     {"journal", cmd_journal}, {"rmzone", cmd_rmzone},
};

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'}, {"map-size", required_argument, NULL, 'm'},
        {"no-sync", no_argument, NULL, 'n'},  {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},  {NULL, 0, NULL, 0},
    };
    ctl_t c = {0};
    c.db = getenv("E2U_DB");
    int opt;
    /* '+': stop at the command; its options are its own */
    while ((opt = getopt_long(argc, argv, "+d:hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'd':
            c.db = optarg;
            break;
        case 'm':
            if (!ctl_size(optarg, &c.map_size)) {
                ctl_err(NULL, "--map-size '%s': a size such as 64G, 512M, 1T", optarg);
                return CTL_USAGE;
            }
            break;
        case 'n':
            c.no_sync = true;
            break;
        case 'h':
            usage(stdout);
            return CTL_OK;
        case 'V':
            printf("e2uctl %s\n", e2u_version());
            return CTL_OK;
        default:
            usage(stderr);
            return CTL_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return CTL_USAGE;
    }
    const char *cmd = argv[optind];
    if (strcmp(cmd, "help") == 0) {
        usage(stdout);
        return CTL_OK;
    }
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(cmd, cmds[i].name) == 0) {
            int sub_argc = argc - optind;
            char **sub_argv = argv + optind;
            optind = 0; /* glibc: a full reset, the command's optstring has no '+' */
            return cmds[i].fn(&c, sub_argc, sub_argv);
        }
    }
    ctl_err(NULL, "unknown command '%s'", cmd);
    usage(stderr);
    return CTL_USAGE;
}
