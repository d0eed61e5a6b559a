/*
 * fuzz/fuzz_number.c — libFuzzer target for telephone numbers, ENUM domains and domain names.
 *
 * The input is taken as text, as a person or a DNS answer would hand it to us, and run through:
 *
 *   1. e2u_number_parse, with the E.164 default and with max_digits 63. On success the AUS must
 *      be '+' and ndigits digits (1 .. the limit), NUL-terminated; e2u_number_to_domain under
 *      "e164.arpa" must succeed, and e2u_number_from_domain on that domain, with the same
 *      options and suffix, must give back the same AUS (RFC 6116 §2.4 both ways). The domain
 *      is also converted in an exact-size heap buffer (so ASan sees any overrun) and must fail
 *      with E2U_ENOSPC one byte shorter.
 *   2. e2u_number_from_domain directly on the input, with suffix "e164.arpa" and with none;
 *      a success must again yield a well-formed AUS, and *suffix_off must lie inside the input.
 *   3. e2u_number_from_digits on the input: a success must copy the digits verbatim.
 *   4. e2u_dname_from_text on the input (origin: root): on success the wire name must be valid
 *      (e2u_dname_wire_len gives back its length, at most 255 octets); e2u_dname_to_text must
 *      succeed, and from_text of that text must give the identical wire name, byte for byte
 *      (to_text escapes, so no case folding or unescaping may change a single octet).
 *
 * The input is copied into a heap buffer of exactly its size (no NUL after it), so ASan reports
 * any read past the end. Any broken invariant calls abort() so the fuzzer records the input.
 * No global state.
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

/* A failure must fill diag with the code returned, a position inside the input and a
 * NUL-terminated message (e2u/error.h). */
static void check_diag(int rc, const e2u_diag_t *diag, size_t len)
{
    CHECK(rc < 0 && diag->code == rc && diag->pos <= len);
    CHECK(memchr(diag->msg, '\0', sizeof(diag->msg)) != NULL);
}

/* A successful parse must leave '+', ndigits digits and a NUL. */
static void check_aus(const e2u_number_t *n, unsigned maxd)
{
    CHECK(n->ndigits >= 1 && n->ndigits <= maxd && n->ndigits <= E2U_NUMBER_MAX_DIGITS);
    CHECK(n->aus[0] == '+');
    for (unsigned i = 1; i <= n->ndigits; i++)
        CHECK(n->aus[i] >= '0' && n->aus[i] <= '9');
    CHECK(n->aus[n->ndigits + 1] == '\0');
}

static void number_round_trip(const char *s, size_t len, const e2u_number_opts_t *opts,
                              unsigned maxd)
{
    e2u_number_t num, back;
    e2u_diag_t diag;
    char dom[E2U_DOMAIN_TEXT_MAX];
    size_t dlen = 0;

    int rc = e2u_number_parse(&num, s, len, opts, &diag);
    if (rc < 0) {
        check_diag(rc, &diag, len);
        return;
    }
    check_aus(&num, maxd);

    CHECK(e2u_number_to_domain(&num, "e164.arpa", dom, sizeof(dom), &dlen) == 0);
    CHECK(dlen == strlen(dom) && dlen == 2u * num.ndigits + strlen("e164.arpa."));

    /* The same conversion into a buffer of exactly the size needed, then one byte less. */
    char *exact = malloc(dlen + 1);
    CHECK(exact != NULL);
    size_t elen = 0;
    CHECK(e2u_number_to_domain(&num, "e164.arpa.", exact, dlen + 1, &elen) == 0);
    CHECK(elen == dlen && memcmp(exact, dom, dlen + 1) == 0);
    CHECK(e2u_number_to_domain(&num, "e164.arpa", exact, dlen, NULL) == E2U_ENOSPC);
    free(exact);

    size_t off = 0;
    CHECK(e2u_number_from_domain(&back, dom, dlen, "e164.arpa", opts, &off, &diag) == 0);
    CHECK(back.ndigits == num.ndigits && strcmp(back.aus, num.aus) == 0);
    CHECK(off == 2u * num.ndigits);

    /* Without a suffix the digits are found the same way and the rest is the suffix. */
    CHECK(e2u_number_from_domain(&back, dom, dlen, NULL, opts, &off, &diag) == 0);
    CHECK(strcmp(back.aus, num.aus) == 0 && off == 2u * num.ndigits);
}

static void from_domain(const char *s, size_t len, const char *suffix,
                        const e2u_number_opts_t *opts, unsigned maxd)
{
    e2u_number_t num;
    e2u_diag_t diag;
    size_t off = (size_t)-1;

    int rc = e2u_number_from_domain(&num, s, len, suffix, opts, &off, &diag);
    if (rc < 0) {
        check_diag(rc, &diag, len);
        return;
    }
    check_aus(&num, maxd);
    CHECK(off <= len);
}

static void dname_round_trip(const char *s, size_t len)
{
    uint8_t wire[E2U_DNAME_MAX], wire2[E2U_DNAME_MAX];
    size_t wlen = 0, wlen2 = 0, tlen = 0;
    char text[E2U_DNAME_TEXT_MAX];
    e2u_diag_t diag;

    int rc = e2u_dname_from_text(wire, sizeof(wire), &wlen, s, len, NULL, &diag);
    if (rc < 0) {
        check_diag(rc, &diag, len);
        return;
    }
    CHECK(wlen >= 1 && wlen <= E2U_DNAME_MAX);
    CHECK(e2u_dname_wire_len(wire, wlen) == (int)wlen);

    CHECK(e2u_dname_to_text(text, sizeof(text), &tlen, wire, wlen) == 0);
    CHECK(tlen == strlen(text) && tlen >= 1 && text[tlen - 1] == '.');

    if (e2u_dname_from_text(wire2, sizeof(wire2), &wlen2, text, tlen, NULL, &diag) < 0)
        abort(); /* to_text produced text that from_text refuses */
    CHECK(wlen2 == wlen && memcmp(wire, wire2, wlen) == 0);
    CHECK(e2u_dname_equal(wire, wire2));

    /* to_text into an exact-size heap buffer, then one byte short. */
    char *exact = malloc(tlen + 1);
    CHECK(exact != NULL);
    size_t tl2 = 0;
    CHECK(e2u_dname_to_text(exact, tlen + 1, &tl2, wire, wlen) == 0);
    CHECK(tl2 == tlen && memcmp(exact, text, tlen + 1) == 0);
    CHECK(e2u_dname_to_text(exact, tlen, NULL, wire, wlen) == E2U_ENOSPC);
    free(exact);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so ASan sees over-reads under the replay main too. */
    char *s = calloc(1, size ? size : 1);
    CHECK(s != NULL);
    if (size)
        memcpy(s, data, size);
    const e2u_number_opts_t wide = {E2U_NUMBER_MAX_DIGITS};

    number_round_trip(s, size, NULL, E2U_E164_MAX_DIGITS);
    number_round_trip(s, size, &wide, E2U_NUMBER_MAX_DIGITS);

    from_domain(s, size, "e164.arpa", NULL, E2U_E164_MAX_DIGITS);
    from_domain(s, size, NULL, NULL, E2U_E164_MAX_DIGITS);
    from_domain(s, size, "e164.arpa.", &wide, E2U_NUMBER_MAX_DIGITS);
    from_domain(s, size, NULL, &wide, E2U_NUMBER_MAX_DIGITS);

    e2u_number_t num;
    if (e2u_number_from_digits(&num, s, size, E2U_NUMBER_MAX_DIGITS) == 0) {
        check_aus(&num, E2U_NUMBER_MAX_DIGITS);
        size_t skip = (size && s[0] == '+') ? 1 : 0;
        CHECK(num.ndigits == size - skip && memcmp(num.aus + 1, s + skip, num.ndigits) == 0);
    }

    dname_round_trip(s, size);
    free(s);
    return 0;
}
