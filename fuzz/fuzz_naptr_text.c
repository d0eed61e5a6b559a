/*
 * fuzz/fuzz_naptr_text.c — libFuzzer target for NAPTR RDATA in master-file text (RFC 1035 §5.1,
 * RFC 3403 §4.1, RFC 3597 §5 for the "\#" generic form).
 *
 * The input is the RDATA part of a zone-file line, as an operator or a zone transfer tool would
 * write it. It is copied into a heap buffer of exactly its size (no NUL after it), so ASan sees
 * any read past the end of the text. The origin is the wire name of
 * 3.2.1.0.5.5.5.5.1.2.1.e164.arpa., the ENUM domain of RFC 4769's examples.
 *
 *   1. e2u_naptr_parse_text. A failure must fill diag (the code returned, a position inside
 *      the input). A success must give RDATA of at most E2U_NAPTR_RDATA_MAX octets.
 *   2. The same parse into a heap buffer of exactly that length must give the same bytes, and
 *      one octet shorter must fail with E2U_ENOSPC without writing past the buffer.
 *   3. e2u_naptr_parse_wire must accept the RDATA, and e2u_naptr_write_wire reproduce it.
 *   4. e2u_naptr_format_text then e2u_naptr_parse_text must give identical RDATA (origin
 *      irrelevant by then: the formatted replacement is absolute).
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

/* 3.2.1.0.5.5.5.5.1.2.1.e164.arpa. in wire form: each "\001" is a label length (three octal
 * digits, so "\0013" is 1 then '3'); the literal's own NUL is the root label. */
static const char origin_wire[] = "\0013\0012\0011\0010\0015\0015\0015\0015\0011\0012\0011"
                                  "\004e164\004arpa";
#define ORIGIN ((const uint8_t *)origin_wire)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    e2u_diag_t diag;
    uint8_t rd[E2U_NAPTR_RDATA_MAX];
    size_t rlen = 0;
    CHECK(e2u_dname_wire_len(ORIGIN, sizeof(origin_wire)) == 33);
    char *text = calloc(1, size ? size : 1);
    CHECK(text != NULL);
    if (size)
        memcpy(text, data, size);

    int rc = e2u_naptr_parse_text(rd, sizeof(rd), &rlen, text, size, ORIGIN, &diag);
    if (rc < 0) {
        CHECK(diag.code == rc && diag.pos <= size);
        CHECK(memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
        free(text);
        return 0;
    }
    CHECK(rlen >= 7 && rlen <= E2U_NAPTR_RDATA_MAX);

    /* 2. exact-size and one-short output buffers */
    uint8_t *exact = malloc(rlen);
    CHECK(exact != NULL);
    size_t elen = 0;
    CHECK(e2u_naptr_parse_text(exact, rlen, &elen, text, size, ORIGIN, NULL) == 0);
    CHECK(elen == rlen && memcmp(exact, rd, rlen) == 0);
    free(exact);
    exact = malloc(rlen - 1);
    CHECK(exact != NULL);
    CHECK(e2u_naptr_parse_text(exact, rlen - 1, &elen, text, size, ORIGIN, NULL) == E2U_ENOSPC);
    free(exact);

    /* 3. the RDATA is valid wire form */
    e2u_naptr_t n;
    if (e2u_naptr_parse_wire(&n, rd, rlen, &diag) < 0) {
        fprintf(stderr, "parse_text produced RDATA parse_wire refuses: %s\n", diag.msg);
        abort();
    }
    uint8_t w[E2U_NAPTR_RDATA_MAX];
    size_t wlen = 0;
    CHECK(e2u_naptr_write_wire(&n, w, sizeof(w), &wlen) == 0);
    CHECK(wlen == rlen && memcmp(w, rd, rlen) == 0);

    /* 4. text -> wire -> text -> wire */
    char out[E2U_NAPTR_TEXT_MAX];
    size_t olen = 0;
    CHECK(e2u_naptr_format_text(&n, out, sizeof(out), &olen) == 0);
    CHECK(olen == strlen(out));
    uint8_t back[E2U_NAPTR_RDATA_MAX];
    size_t blen = 0;
    if (e2u_naptr_parse_text(back, sizeof(back), &blen, out, olen, NULL, &diag) < 0) {
        fprintf(stderr, "parse_text refused format_text's \"%s\": %s\n", out, diag.msg);
        abort();
    }
    CHECK(blen == rlen && memcmp(back, rd, rlen) == 0);

    free(text);
    return 0;
}
