/*
 * fuzz/fuzz_naptr_wire.c — libFuzzer target for NAPTR RDATA in wire form (RFC 3403 §4.1).
 *
 * The input is one record's RDATA as a DNS answer would carry it. It is copied into a heap
 * buffer of exactly its size, so that ASan reports any read past the end of the RDATA.
 *
 *   1. e2u_naptr_parse_wire. A failure must fill diag (code, position inside the input).
 *      A success must give a view whose strings and replacement lie inside the input and whose
 *      replacement is a valid uncompressed name (e2u_dname_wire_len == replacement_len).
 *   2. e2u_naptr_write_wire must reproduce the input byte for byte: wire is canonical, so
 *      parse then write is the identity. It is written into an exact-size heap buffer too, and
 *      must fail with E2U_ENOSPC one octet short.
 *   3. e2u_naptr_format_text into E2U_NAPTR_TEXT_MAX (the header's worst case) must succeed;
 *      formatting into a heap buffer of exactly tlen + 1 must give the same text, and tlen
 *      must fail with E2U_ENOSPC. e2u_naptr_parse_text of that text (origin NULL: the formatted
 *      replacement is absolute) must then give back the same RDATA bytes.
 *
 * abort() on any mismatch. No global state.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2u/e2u.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Whether [p, p+n) lies inside [base, base+len). */
static int inside(const void *p, size_t n, const uint8_t *base, size_t len)
{
    const uint8_t *q = p;
    return q >= base && q <= base + len && n <= (size_t)(base + len - q);
}

static void check_view(const e2u_naptr_t *n, const uint8_t *rd, size_t len)
{
    CHECK(inside(n->flags, n->flags_len, rd, len));
    CHECK(inside(n->services, n->services_len, rd, len));
    CHECK(inside(n->regexp, n->regexp_len, rd, len));
    CHECK(n->replacement_len >= 1 && n->replacement_len <= E2U_DNAME_MAX);
    CHECK(inside(n->replacement, n->replacement_len, rd, len));
    CHECK(e2u_dname_wire_len(n->replacement, n->replacement_len) == (int)n->replacement_len);
    CHECK(7u + n->flags_len + n->services_len + n->regexp_len + n->replacement_len == len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    e2u_naptr_t n;
    e2u_diag_t diag;
    uint8_t *rd = calloc(1, size ? size : 1);
    CHECK(rd != NULL);
    if (size)
        memcpy(rd, data, size);

    int rc = e2u_naptr_parse_wire(&n, rd, size, &diag);
    if (rc < 0) {
        CHECK(rc == E2U_ENAPTR && diag.code == rc && diag.pos <= size);
        CHECK(memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
        free(rd);
        return 0;
    }
    CHECK(size <= E2U_NAPTR_RDATA_MAX);
    check_view(&n, rd, size);

    /* 2. parse then write is the identity. */
    uint8_t out[E2U_NAPTR_RDATA_MAX];
    size_t olen = 0;
    CHECK(e2u_naptr_write_wire(&n, out, sizeof(out), &olen) == 0);
    CHECK(olen == size && memcmp(out, rd, size) == 0);
    uint8_t *exact = malloc(size);
    CHECK(exact != NULL);
    CHECK(e2u_naptr_write_wire(&n, exact, size, &olen) == 0);
    CHECK(olen == size && memcmp(exact, rd, size) == 0);
    CHECK(e2u_naptr_write_wire(&n, exact, size - 1, &olen) == E2U_ENOSPC);
    free(exact);

    /* 3. wire -> text -> wire. */
    char text[E2U_NAPTR_TEXT_MAX];
    size_t tlen = 0;
    CHECK(e2u_naptr_format_text(&n, text, sizeof(text), &tlen) == 0);
    CHECK(tlen < sizeof(text) && strlen(text) == tlen);
    char *etext = malloc(tlen + 1);
    CHECK(etext != NULL);
    size_t tlen2 = 0;
    CHECK(e2u_naptr_format_text(&n, etext, tlen + 1, &tlen2) == 0);
    CHECK(tlen2 == tlen && memcmp(etext, text, tlen + 1) == 0);
    CHECK(e2u_naptr_format_text(&n, etext, tlen, NULL) == E2U_ENOSPC);
    free(etext);

    uint8_t back[E2U_NAPTR_RDATA_MAX];
    size_t blen = 0;
    rc = e2u_naptr_parse_text(back, sizeof(back), &blen, text, tlen, NULL, &diag);
    if (rc < 0) {
        /* format_text wrote text that parse_text refuses */
        fprintf(stderr, "parse_text refused format_text's \"%s\": %s\n", text, diag.msg);
        abort();
    }
    CHECK(blen == size && memcmp(back, rd, size) == 0);

    free(rd);
    return 0;
}
