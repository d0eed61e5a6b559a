/*
 * tools/common/json.c — see json.h. Comma placement is tracked per nesting level; strings are
 * escaped byte by byte with a UTF-8 validator so hostile input cannot break the framing.
 */
#include <string.h>

#include "json.h"

void json_init(json_t *j, FILE *f)
{
    memset(j, 0, sizeof(*j));
    j->f = f;
    j->first[0] = true;
}

static void sep(json_t *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (!j->first[j->depth])
        fputc(',', j->f);
    j->first[j->depth] = false;
}

static void open(json_t *j, char c)
{
    sep(j);
    fputc(c, j->f);
    if (j->depth + 1 < JSON_DEPTH_MAX)
        j->depth++;
    j->first[j->depth] = true;
}

static void close_(json_t *j, char c)
{
    fputc(c, j->f);
    if (j->depth > 0)
        j->depth--;
}

void json_obj_begin(json_t *j)
{
    open(j, '{');
}

void json_obj_end(json_t *j)
{
    close_(j, '}');
}

void json_arr_begin(json_t *j)
{
    open(j, '[');
}

void json_arr_end(json_t *j)
{
    close_(j, ']');
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0) {
        n = 2;
        cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n > left)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void json_write_escaped(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        /* the common case: a run of printable ASCII that needs no escape, written at once */
        size_t run = i;
        while (run < len && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' && p[run] != '\\')
            run++;
        if (run > i) {
            fwrite(p + i, 1, run - i, f);
            i = run;
            continue;
        }
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            switch (c) {
            case '\n': fputs("\\n", f); break;
            case '\t': fputs("\\t", f); break;
            case '\r': fputs("\\r", f); break;
            default: fprintf(f, "\\u%04x", c); break;
            }
            i++;
        } else if (c < 0x80) {
            fputc(c, f);
            i++;
        } else {
            size_t n = utf8_len(p + i, len - i);
            if (n == 0) {
                fputs("\\ufffd", f);
                i++;
            } else {
                fwrite(p + i, 1, n, f);
                i += n;
            }
        }
    }
}

void json_key(json_t *j, const char *key)
{
    sep(j);
    fputc('"', j->f);
    json_write_escaped(j->f, key, strlen(key));
    fputs("\":", j->f);
    j->after_key = true;
}

void json_strn(json_t *j, const char *s, size_t len)
{
    if (!s) {
        json_null(j);
        return;
    }
    sep(j);
    fputc('"', j->f);
    json_write_escaped(j->f, s, len);
    fputc('"', j->f);
}

void json_str(json_t *j, const char *s)
{
    json_strn(j, s, s ? strlen(s) : 0);
}

void json_int(json_t *j, long long v)
{
    sep(j);
    fprintf(j->f, "%lld", v);
}

void json_bool(json_t *j, bool v)
{
    sep(j);
    fputs(v ? "true" : "false", j->f);
}

void json_null(json_t *j)
{
    sep(j);
    fputs("null", j->f);
}

void json_end_line(json_t *j)
{
    fputc('\n', j->f);
    j->depth = 0;
    j->first[0] = true;
    j->after_key = false;
}
