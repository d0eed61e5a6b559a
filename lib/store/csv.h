/*
 * lib/store/csv.h — CSV rows for import (RFC 4180) and their meaning (DESIGN.md): internal to
 * the store, used by import.c and by fuzz/fuzz_csv.c.
 *
 * Two row forms:
 *     KEY,ORDER,PREFERENCE,FLAGS,SERVICES,REGEXP,REPLACEMENT    one NAPTR
 *     NUMBER,RN                                                 RFC 4769 number portability
 * KEY is +digits (a number), +digits* (a block of any length) or +digits followed by X's (a
 * block of numbers of exactly that many digits: +1215555XXXX). Fields are raw octets (no
 * master-file escapes); a field holding a comma, a quote or a line break is quoted, with the
 * quote doubled inside. Blank lines and lines starting with '#' are skipped.
 */
#ifndef E2U_STORE_CSV_H
#define E2U_STORE_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "e2u/error.h"
#include "e2u/naptr.h"
#include "e2u/number.h"

#define E2U__CSV_MAX_FIELDS 8

typedef struct e2u__csv {
    const char *p; /* the rest of the input */
    const char *end;
    uint64_t line; /* the line the next row starts on, 1-based */
} e2u__csv_t;

typedef struct e2u__csv_row {
    uint64_t line;                      /* the line the row starts on */
    size_t n;                           /* fields */
    const char *f[E2U__CSV_MAX_FIELDS]; /* into the input, or into the scratch buffer */
    size_t len[E2U__CSV_MAX_FIELDS];
} e2u__csv_row_t;

void e2u__csv_init(e2u__csv_t *c, const char *data, size_t len);

/*
 * The next row. Returns 1 with the row, 0 at the end of the input, or E2U_ESYNTAX with diag
 * naming the problem and row->line set (the cursor has moved past the bad row). Unquoted fields
 * point into the input, quoted ones into scratch[cap] (unescaped); both are valid until the
 * next call.
 */
int e2u__csv_next(e2u__csv_t *c, e2u__csv_row_t *row, char *scratch, size_t cap, e2u_diag_t *diag);

/* What a row means. */
typedef struct e2u__csv_rec {
    bool block;
    unsigned length;          /* block: total digits covered, 0 = any */
    char digits[E2U_AUS_MAX]; /* the number, or the block's prefix (full digits) */
    size_t ndigits;
    uint8_t rdata[E2U_NAPTR_RDATA_MAX];
    size_t rdlen;
} e2u__csv_rec_t;

/* Interpret a row. Returns 0, or E2U_ESYNTAX with diag saying which field is wrong and why. */
int e2u__csv_record(const e2u__csv_row_t *row, e2u__csv_rec_t *out, e2u_diag_t *diag);

/* Whether a row on line 1 looks like a header (its first field does not start with '+' or a
 * digit). */
bool e2u__csv_is_header(const e2u__csv_row_t *row);

#endif
