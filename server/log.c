/*
 * server/log.c — e2ud's log: standard error (with a timestamp, like Knot's) or syslog.
 *
 * Messages at a level above the configured one are dropped before formatting. The level and
 * target may change on SIGHUP while other threads log, so they are relaxed atomics: a message
 * logged during a reload goes by the old or the new settings, either being right.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "server.h"

static _Atomic int target = E2UD_LOG_STDERR;
static _Atomic int max_level = LOG_INFO;

void e2ud_log_open(e2ud_log_target_t t, int level)
{
    if (t == E2UD_LOG_SYSLOG && atomic_load_explicit(&target, memory_order_relaxed) !=
                                    E2UD_LOG_SYSLOG)
        openlog("e2ud", LOG_PID | LOG_NDELAY, LOG_DAEMON);
    atomic_store_explicit(&target, (int)t, memory_order_relaxed);
    atomic_store_explicit(&max_level, level, memory_order_relaxed);
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
    if (level > atomic_load_explicit(&max_level, memory_order_relaxed))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (atomic_load_explicit(&target, memory_order_relaxed) == E2UD_LOG_SYSLOG) {
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
