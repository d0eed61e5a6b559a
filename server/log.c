/*
 * server/log.c — e2ud's log: standard error (with a timestamp, like Knot's) or syslog.
 *
 * Messages at a level above the configured one are dropped before formatting. The level and
 * target may change on SIGHUP; they are plain ints read without locking (a torn read can only
 * misfile one message during a reload).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "server.h"

static e2ud_log_target_t target = E2UD_LOG_STDERR;
static int max_level = LOG_INFO;

void e2ud_log_open(e2ud_log_target_t t, int level)
{
    if (t == E2UD_LOG_SYSLOG && target != E2UD_LOG_SYSLOG)
        openlog("e2ud", LOG_PID | LOG_NDELAY, LOG_DAEMON);
    target = t;
    max_level = level;
}

static const char *level_name(int level)
{
    switch (level) {
    case LOG_CRIT: return "critical";
    case LOG_ERR: return "error";
    case LOG_WARNING: return "warning";
    case LOG_NOTICE: return "notice";
    case LOG_INFO: return "info";
    default: return "debug";
    }
}

void e2ud_log(int level, const char *fmt, ...)
{
    if (level > max_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (target == E2UD_LOG_SYSLOG) {
        syslog(level, "%s", msg);
        return;
    }
    char ts[40];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s %s: %s\n", ts, level_name(level), msg);
}
