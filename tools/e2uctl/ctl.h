/*
 * tools/e2uctl/ctl.h — what the e2uctl commands share: the global options, exit codes,
 * messages, and opening the store.
 */
#ifndef E2U_TOOLS_CTL_H
#define E2U_TOOLS_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2u/e2u.h"
#include "e2u/store.h"

#define CTL_OK    0
#define CTL_FAIL  1 /* the operation failed */
#define CTL_USAGE 2 /* bad usage */

typedef struct ctl {
    const char *db;  /* -d DB */
    size_t map_size; /* --map-size, 0 = default */
    bool no_sync;    /* --no-sync */
} ctl_t;

/* "e2uctl CMD: message" on stderr. */
void ctl_err(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Open the store (read_only for the commands that only read). Prints the reason on failure
 * and returns NULL. */
e2u_store_t *ctl_open(const ctl_t *c, const char *cmd, bool read_only);

/* "64M", "2G", "1099511627776": bytes; false if malformed. */
bool ctl_size(const char *s, size_t *out);

/* A zone name in text to wire; prints the reason on failure. */
bool ctl_zone(const char *cmd, const char *text, uint8_t wire[256]);

/* Parse an unsigned decimal within [lo, hi]. */
bool ctl_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out);

int cmd_import(const ctl_t *c, int argc, char **argv);
int cmd_export(const ctl_t *c, int argc, char **argv);
int cmd_set(const ctl_t *c, int argc, char **argv);
int cmd_del(const ctl_t *c, int argc, char **argv);
int cmd_zones(const ctl_t *c, int argc, char **argv);
int cmd_stats(const ctl_t *c, int argc, char **argv);
int cmd_show(const ctl_t *c, int argc, char **argv);
int cmd_journal(const ctl_t *c, int argc, char **argv);
int cmd_rmzone(const ctl_t *c, int argc, char **argv);

#endif
