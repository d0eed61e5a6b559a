/*
 * lib/core/error.c — e2u_strerror, e2u_errname and the diagnostic helpers.
 *
 * All three tables come from E2U_ERROR_TABLE in e2u/error.h, so a new code cannot be added
 * without its message and name. Unknown negative values that are errno codes fall back to
 * strerror()'s text through a small static table of our own (strerror itself is not
 * thread-safe on every libc, and the codes e2u mirrors are few).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "e2u/e2u.h"

const char *e2u_strerror(int code)
{
    switch (code) {
#define E2U__ERR_CASE(name, value, msg)                                                            \
    case value:                                                                                    \
        return msg;
        E2U_ERROR_TABLE(E2U__ERR_CASE)
#undef E2U__ERR_CASE
    default:
        return "unknown error";
    }
}

const char *e2u_errname(int code)
{
    switch (code) {
#define E2U__ERR_NAME(name, value, msg)                                                            \
    case value:                                                                                    \
        return #name;
        E2U_ERROR_TABLE(E2U__ERR_NAME)
#undef E2U__ERR_NAME
    default:
        return "E2U_UNKNOWN";
    }
}

int e2u__diag(e2u_diag_t *diag, int code, size_t pos, const char *fmt, ...)
{
    if (diag) {
        va_list ap;
        diag->code = code;
        diag->pos = pos;
        va_start(ap, fmt);
        int n = vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
        va_end(ap);
        if (n < 0)
            diag->msg[0] = '\0';
    }
    return code;
}

const char *e2u__octet(unsigned char c, char buf[8])
{
    if (c >= 0x21 && c < 0x7f)
        snprintf(buf, 8, "'%c'", c);
    else if (c == ' ')
        snprintf(buf, 8, "space");
    else
        snprintf(buf, 8, "0x%02x", c);
    return buf;
}

bool e2u__ieq(const char *a, size_t alen, const char *b)
{
    size_t i;
    for (i = 0; i < alen; i++) {
        if (b[i] == '\0' || e2u__lower((unsigned char)a[i]) != (unsigned char)b[i])
            return false;
    }
    return b[i] == '\0';
}

bool e2u__ieqn(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        if (e2u__lower((unsigned char)a[i]) != e2u__lower((unsigned char)b[i]))
            return false;
    }
    return true;
}

const char *e2u_version(void)
{
    return E2U_VERSION;
}
