/*
 * lib/store/csv.c — the CSV rows of an import: RFC 4180 fields, then DESIGN.md's two forms.
 *
 * The reader is one pass over the input with an explicit end pointer: no NUL terminator is
 * assumed, every step checks against the end, and a quoted field is unescaped into the caller's
 * bounded scratch buffer. A bad row is reported with the line it starts on, and the reader
 * resumes at the next line, so one import lists every bad row, not just the first.
 *
 * The meaning of a row is checked field by field into NAPTR RDATA (RFC 3403 §4.1): ORDER and
 * PREFERENCE 0-65535, FLAGS, SERVICES and REGEXP at most 255 octets each, REPLACEMENT a domain
 * name in presentation form. The NUMBER,RN form builds RFC 4769 §4's record: order 10,
 * preference 100, flags "u", services "E2U+pstn:tel", regexp !^.*$!tel:+NUMBER;npdi;rn=+RN!
 * (or ;npdi alone when RN is empty), replacement ".".
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "e2u/dname.h"
#include "store/csv.h"

static int sdiag(e2u_diag_t *diag, int code, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int sdiag(e2u_diag_t *diag, int code, size_t pos, const char *fmt, ...)
{
    if (diag) {
        va_list ap;
        diag->code = code;
        diag->pos = pos;
        va_start(ap, fmt);
        if (vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap) < 0)
            diag->msg[0] = '\0';
        va_end(ap);
    }
    return code;
}

/* ',', '"', CR, LF and NUL: what the unquoted-field loop must look at. */
static const bool special[256] = {
    [','] = true, ['"'] = true, ['\r'] = true, ['\n'] = true, [0] = true};

void e2u__csv_init(e2u__csv_t *c, const char *data, size_t len)
{
    c->p = data;
    c->end = data + len;
    c->line = 1;
}

/* Skip to just after the next line break (or the end). */
static void skip_line(e2u__csv_t *c)
{
    while (c->p < c->end && *c->p != '\n')
        c->p++;
    if (c->p < c->end) {
        c->p++;
        c->line++;
    }
}

int e2u__csv_next(e2u__csv_t *c, e2u__csv_row_t *row, char *scratch, size_t cap, e2u_diag_t *diag)
{
    /* blank lines and comments */
    for (;;) {
        if (c->p >= c->end)
            return 0;
        if (*c->p == '\n') {
            c->p++;
            c->line++;
            continue;
        }
        if (*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n') {
            c->p += 2;
            c->line++;
            continue;
        }
        if (*c->p == '#') {
            skip_line(c);
            continue;
        }
        break;
    }
    row->line = c->line;
    row->n = 0;
    size_t used = 0;
    for (;;) {
        if (row->n == E2U__CSV_MAX_FIELDS) {
            skip_line(c);
            return sdiag(diag, E2U_ESYNTAX, 0, "more than %d fields", E2U__CSV_MAX_FIELDS - 1);
        }
        size_t fi = row->n++;
        if (c->p < c->end && *c->p == '"') {
            /* quoted: "" is a quote; anything else up to the closing quote is literal */
            c->p++;
            char *o = scratch + used;
            size_t n = 0;
            for (;;) {
                if (c->p >= c->end) {
                    return sdiag(diag, E2U_ESYNTAX, 0, "field %zu: quote opened and never closed",
                                 fi + 1);
                }
                char ch = *c->p;
                if (ch == '"') {
                    if (c->p + 1 < c->end && c->p[1] == '"') {
                        ch = '"';
                        c->p += 2;
                    } else {
                        c->p++;
                        break;
                    }
                } else {
                    if (ch == '\n')
                        c->line++;
                    c->p++;
                }
                if (ch == '\0') {
                    skip_line(c);
                    return sdiag(diag, E2U_ESYNTAX, 0, "field %zu: NUL octet", fi + 1);
                }
                if (used + n + 1 > cap) {
                    skip_line(c);
                    return sdiag(diag, E2U_ESYNTAX, 0, "field %zu: longer than %zu octets", fi + 1,
                                 cap);
                }
                o[n++] = ch;
            }
            row->f[fi] = o;
            row->len[fi] = n;
            used += n;
            if (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
                !(*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')) {
                skip_line(c);
                return sdiag(diag, E2U_ESYNTAX, 0,
                             "field %zu: text after the closing quote (double a quote inside "
                             "a quoted field)",
                             fi + 1);
            }
        } else {
            const char *s = c->p;
            /* the fast path: octets that cannot end or spoil an unquoted field */
            while (c->p < c->end && !special[(unsigned char)*c->p])
                c->p++;
            while (c->p < c->end && *c->p != ',' && *c->p != '\n' &&
                   !(*c->p == '\r' && c->p + 1 < c->end && c->p[1] == '\n')) {
                if (*c->p == '"') {
                    skip_line(c);
                    return sdiag(diag, E2U_ESYNTAX, 0,
                                 "field %zu: a quote inside an unquoted field (quote the "
                                 "field and double the quote)",
                                 fi + 1);
                }
                if (*c->p == '\0') {
                    skip_line(c);
                    return sdiag(diag, E2U_ESYNTAX, 0, "field %zu: NUL octet", fi + 1);
                }
                c->p++;
            }
            row->f[fi] = s;
            row->len[fi] = (size_t)(c->p - s);
        }
        /* after a field: a comma, or the end of the row */
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == '\r')
            c->p++;
        if (c->p < c->end && *c->p == '\n') {
            c->p++;
            c->line++;
        }
        return 1;
    }
}

/* --- meaning -----------------------------------------------------------------------------------
 */

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

static int u16_field(const char *s, size_t n, const char *what, uint16_t *out, e2u_diag_t *diag)
{
    trim(&s, &n);
    if (n == 0)
        return sdiag(diag, E2U_ESYNTAX, 0, "%s is empty", what);
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return sdiag(diag, E2U_ESYNTAX, i, "%s '%.*s' is not a number", what,
                         (int)(n > 20 ? 20 : n), s);
        v = v * 10 + (unsigned long)(s[i] - '0');
        if (v > 65535)
            return sdiag(diag, E2U_ESYNTAX, i, "%s '%.*s' is over 65535", what,
                         (int)(n > 20 ? 20 : n), s);
    }
    *out = (uint16_t)v;
    return 0;
}

/* KEY: +digits, +digits*, +digitsX... (or any number form e2u_number_parse accepts). */
static int key_field(const char *s, size_t n, e2u__csv_rec_t *r, e2u_diag_t *diag)
{
    trim(&s, &n);
    r->block = false;
    r->length = 0;
    if (n >= 2 && s[0] == '+') {
        size_t i = 1;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        size_t nd = i - 1;
        if (nd > E2U_NUMBER_MAX_DIGITS)
            return sdiag(diag, E2U_ESYNTAX, 0, "KEY has more than %d digits",
                         E2U_NUMBER_MAX_DIGITS);
        if (i == n - 1 && s[i] == '*') {
            r->block = true;
        } else if (i < n && (s[i] == 'X' || s[i] == 'x')) {
            size_t j = i;
            while (j < n && (s[j] == 'X' || s[j] == 'x'))
                j++;
            if (j != n)
                return sdiag(diag, E2U_ESYNTAX, j,
                             "KEY '%.*s': only X's may follow the "
                             "block's digits",
                             (int)(n > 40 ? 40 : n), s);
            if (n - 1 > E2U_NUMBER_MAX_DIGITS)
                return sdiag(diag, E2U_ESYNTAX, 0, "KEY covers more than %d digits",
                             E2U_NUMBER_MAX_DIGITS);
            r->block = true;
            r->length = (unsigned)(n - 1);
        }
        if (r->block) {
            memcpy(r->digits, s + 1, nd);
            r->digits[nd] = '\0';
            r->ndigits = nd;
            return 0;
        }
        if (i == n && nd >= 1) {
            memcpy(r->digits, s + 1, nd);
            r->digits[nd] = '\0';
            r->ndigits = nd;
            return 0;
        }
    }
    e2u_number_t num;
    e2u_diag_t d;
    e2u_number_opts_t o = {E2U_NUMBER_MAX_DIGITS};
    if (e2u_number_parse(&num, s, n, &o, &d) < 0)
        return sdiag(diag, E2U_ESYNTAX, d.pos, "KEY: %s", d.msg);
    memcpy(r->digits, num.aus + 1, num.ndigits + 1u);
    r->ndigits = num.ndigits;
    return 0;
}

static int put_cstr(e2u__csv_rec_t *r, size_t *o, const char *s, size_t n, const char *what,
                    e2u_diag_t *diag)
{
    if (n > 255)
        return sdiag(diag, E2U_ESYNTAX, 0, "%s is %zu octets long (at most 255)", what, n);
    r->rdata[(*o)++] = (uint8_t)n;
    memcpy(r->rdata + *o, s, n);
    *o += n;
    return 0;
}

int e2u__csv_record(const e2u__csv_row_t *row, e2u__csv_rec_t *r, e2u_diag_t *diag)
{
    size_t o = 0;
    int rc;
    if (row->n == 7) {
        /* Set on success only; the analyzer cannot see through the variadic sdiag() that
         * every failure returns < 0, hence the zeros. */
        uint16_t order = 0, pref = 0;
        if ((rc = key_field(row->f[0], row->len[0], r, diag)) < 0)
            return rc;
        if ((rc = u16_field(row->f[1], row->len[1], "ORDER", &order, diag)) < 0 ||
            (rc = u16_field(row->f[2], row->len[2], "PREFERENCE", &pref, diag)) < 0)
            return rc;
        r->rdata[o++] = (uint8_t)(order >> 8);
        r->rdata[o++] = (uint8_t)order;
        r->rdata[o++] = (uint8_t)(pref >> 8);
        r->rdata[o++] = (uint8_t)pref;
        if ((rc = put_cstr(r, &o, row->f[3], row->len[3], "FLAGS", diag)) < 0 ||
            (rc = put_cstr(r, &o, row->f[4], row->len[4], "SERVICES", diag)) < 0 ||
            (rc = put_cstr(r, &o, row->f[5], row->len[5], "REGEXP", diag)) < 0)
            return rc;
        const char *rs = row->f[6];
        size_t rn = row->len[6];
        trim(&rs, &rn);
        if (rn == 0)
            return sdiag(diag, E2U_ESYNTAX, 0, "REPLACEMENT is empty (write . for none)");
        size_t wl = 0;
        e2u_diag_t d;
        if (e2u_dname_from_text(r->rdata + o, sizeof(r->rdata) - o, &wl, rs, rn, NULL, &d) < 0)
            return sdiag(diag, E2U_ESYNTAX, d.pos, "REPLACEMENT: %s", d.msg);
        o += wl;
        r->rdlen = o;
        return 0;
    }
    if (row->n == 2) {
        e2u_number_t num, rnum;
        e2u_diag_t d;
        e2u_number_opts_t opt = {E2U_NUMBER_MAX_DIGITS};
        const char *s = row->f[0];
        size_t n = row->len[0];
        trim(&s, &n);
        if (e2u_number_parse(&num, s, n, &opt, &d) < 0)
            return sdiag(diag, E2U_ESYNTAX, d.pos, "NUMBER: %s", d.msg);
        const char *rs = row->f[1];
        size_t rl = row->len[1];
        trim(&rs, &rl);
        bool have_rn = rl > 0;
        if (have_rn && e2u_number_parse(&rnum, rs, rl, &opt, &d) < 0)
            return sdiag(diag, E2U_ESYNTAX, d.pos, "RN: %s", d.msg);
        char rx[300];
        int w = have_rn ? snprintf(rx, sizeof(rx), "!^.*$!tel:%s;npdi;rn=%s!", num.aus, rnum.aus)
                        : snprintf(rx, sizeof(rx), "!^.*$!tel:%s;npdi!", num.aus);
        if (w < 0 || w > 255)
            return sdiag(diag, E2U_ESYNTAX, 0, "the record's regexp would be over 255 octets");
        r->block = false;
        r->length = 0;
        memcpy(r->digits, num.aus + 1, num.ndigits + 1u);
        r->ndigits = num.ndigits;
        r->rdata[o++] = 0;
        r->rdata[o++] = 10;
        r->rdata[o++] = 0;
        r->rdata[o++] = 100;
        put_cstr(r, &o, "u", 1, "FLAGS", NULL);
        put_cstr(r, &o, "E2U+pstn:tel", 12, "SERVICES", NULL);
        put_cstr(r, &o, rx, (size_t)w, "REGEXP", NULL);
        r->rdata[o++] = 0;
        r->rdlen = o;
        return 0;
    }
    return sdiag(diag, E2U_ESYNTAX, 0,
                 "%zu field%s: expected 7 (KEY,ORDER,PREFERENCE,FLAGS,SERVICES,REGEXP,"
                 "REPLACEMENT) or 2 (NUMBER,RN)",
                 row->n, row->n == 1 ? "" : "s");
}

bool e2u__csv_is_header(const e2u__csv_row_t *row)
{
    if (row->line != 1 || row->n == 0)
        return false;
    const char *s = row->f[0];
    size_t n = row->len[0];
    trim(&s, &n);
    return n > 0 && s[0] != '+' && !(s[0] >= '0' && s[0] <= '9');
}
