/*
 * fuzz/fuzz_csv.c — libFuzzer target for the CSV rows of `e2uctl import` (lib/store/csv.c):
 * RFC 4180 fields, then DESIGN.md's two row forms (KEY,ORDER,PREFERENCE,FLAGS,SERVICES,REGEXP,
 * REPLACEMENT and NUMBER,RN) turned into NAPTR RDATA.
 *
 * The input is a whole CSV file, copied into a heap buffer of exactly its size (no NUL after
 * it), so ASan sees any read past the end. The scratch buffer for quoted fields is small
 * (1 KiB, also exact-size on the heap) so that the too-long-field path is reached.
 *
 *   1. e2u__csv_next returns 1, 0 or E2U_ESYNTAX; a failure fills diag; every call moves the
 *      cursor forward (no endless loop), line numbers never go back and never pass the
 *      number of line breaks + 1; a row has 1 to 8 fields, each inside the input or the
 *      scratch buffer.
 *   2. e2u__csv_record on each row: a failure fills diag with the code it returns; a success
 *      gives RDATA of at most E2U_NAPTR_RDATA_MAX octets that e2u_naptr_parse_wire accepts
 *      and that formats to text which parses back to the same octets; a key of digits only,
 *      at most E2U_NUMBER_MAX_DIGITS, and a block length of 0 or at least its prefix.
 *
 * abort() on any violation. No global state.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2u/e2u.h"
#include "store/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define SCRATCH 1024

static void check_record(const e2u__csv_row_t *row)
{
    e2u__csv_rec_t rec;
    e2u_diag_t diag;
    memset(&diag, 0, sizeof(diag));
    int rc = e2u__csv_record(row, &rec, &diag);
    if (rc < 0) {
        CHECK(rc == E2U_ESYNTAX && diag.code == rc);
        CHECK(memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
        return;
    }
    CHECK(rc == 0);
    CHECK(rec.ndigits <= E2U_NUMBER_MAX_DIGITS && strlen(rec.digits) == rec.ndigits);
    for (size_t i = 0; i < rec.ndigits; i++)
        CHECK(rec.digits[i] >= '0' && rec.digits[i] <= '9');
    if (rec.block)
        CHECK(rec.length == 0 || rec.length >= rec.ndigits);
    else
        CHECK(rec.length == 0 && rec.ndigits >= 1);
    CHECK(rec.rdlen >= 7 && rec.rdlen <= E2U_NAPTR_RDATA_MAX);
    e2u_naptr_t n;
    CHECK(e2u_naptr_parse_wire(&n, rec.rdata, rec.rdlen, &diag) == 0);
    char text[E2U_NAPTR_TEXT_MAX];
    size_t tl = 0;
    CHECK(e2u_naptr_format_text(&n, text, sizeof(text), &tl) == 0);
    uint8_t back[E2U_NAPTR_RDATA_MAX];
    size_t bl = 0;
    if (e2u_naptr_parse_text(back, sizeof(back), &bl, text, tl, NULL, &diag) < 0) {
        fprintf(stderr, "format_text gave \"%s\" that parse_text refuses: %s\n", text, diag.msg);
        abort();
    }
    CHECK(bl == rec.rdlen && memcmp(back, rec.rdata, bl) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size ? size : 1);
    char *scratch = malloc(SCRATCH);
    CHECK(in && scratch);
    if (size)
        memcpy(in, data, size);
    size_t breaks = 0;
    for (size_t i = 0; i < size; i++)
        breaks += in[i] == '\n';

    e2u__csv_t c;
    e2u__csv_init(&c, in, size);
    e2u__csv_row_t row;
    e2u_diag_t diag;
    uint64_t last_line = 0;
    for (size_t calls = 0;; calls++) {
        CHECK(calls <= size + 1);
        const char *before = c.p;
        memset(&diag, 0, sizeof(diag));
        int rc = e2u__csv_next(&c, &row, scratch, SCRATCH, &diag);
        if (rc == 0) {
            CHECK(c.p == c.end);
            break;
        }
        CHECK(c.p > before && c.p <= c.end);
        CHECK(row.line >= last_line && row.line >= 1 && row.line <= breaks + 1);
        CHECK(c.line <= breaks + 1);
        last_line = row.line;
        if (rc < 0) {
            CHECK(rc == E2U_ESYNTAX && diag.code == rc);
            CHECK(memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
            continue;
        }
        CHECK(rc == 1 && row.n >= 1 && row.n <= E2U__CSV_MAX_FIELDS);
        for (size_t i = 0; i < row.n; i++) {
            const char *f = row.f[i];
            bool in_input = f >= in && f + row.len[i] <= in + size;
            bool in_scratch = f >= scratch && f + row.len[i] <= scratch + SCRATCH;
            CHECK(in_input || in_scratch);
        }
        check_record(&row);
    }
    free(in);
    free(scratch);
    return 0;
}
