/*
 * tools/common/json.h — a small streaming JSON writer for the tools' --json output.
 *
 * Writes straight to a FILE*, one value at a time, inserting commas itself. Strings are escaped
 * per RFC 8259 §7; bytes that are not valid UTF-8 (they can come from DNS data or the command
 * line) become U+FFFD, so the output is always valid JSON. Nesting is bounded by JSON_DEPTH_MAX.
 */
#ifndef E2U_TOOLS_JSON_H
#define E2U_TOOLS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 16

typedef struct json {
    FILE *f;
    int depth;
    bool first[JSON_DEPTH_MAX]; /* no member written yet at this depth */
    bool after_key;             /* a key was just written: no comma before the value */
} json_t;

void json_init(json_t *j, FILE *f);
void json_obj_begin(json_t *j);
void json_obj_end(json_t *j);
void json_arr_begin(json_t *j);
void json_arr_end(json_t *j);
void json_key(json_t *j, const char *key);
void json_str(json_t *j, const char *s);
void json_strn(json_t *j, const char *s, size_t len);
void json_int(json_t *j, long long v);
void json_bool(json_t *j, bool v);
void json_null(json_t *j);
/* Finish a top-level value with a newline (one object per line). */
void json_end_line(json_t *j);

/* Escape s (len bytes) as a JSON string body into f. */
void json_write_escaped(FILE *f, const char *s, size_t len);

#endif
