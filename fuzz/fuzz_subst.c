/*
 * fuzz/fuzz_subst.c — libFuzzer target for DDDS substitution expressions (RFC 3402 §3.2) and the
 * POSIX ERE to PCRE2 translation behind them.
 *
 * Input layout: the first octet chooses the subject the expression runs on.
 *   - below 0x80: one of a few fixed AUSes (RFC 4769's +12155550123, RFC 6116's +441632960083,
 *     the enum: draft's +432221234567890, the shortest and the longest E.164 numbers, ...);
 *   - 0x80 and above: a generated digit string of 1..63 digits, its length from the low bits
 *     of that octet, its digits from the second octet (which is then consumed as well); an odd
 *     second octet prefixes '+'. This reaches the 63-digit private numbers and subjects
 *     without '+' (the enum: draft's examples match those).
 * The rest is the substitution expression, e.g. "!^(\+1)(.*)$!sip:\2@example.com!i".
 *
 * Checks:
 *   1. e2u_subst_parse: a failure fills diag; a success gives ere/repl spans inside the field,
 *      a non-empty ERE, the first octet as delimiter, max_backref <= 9.
 *   2. e2u_ere_translate of the parsed ERE into a buffer of the documented worst case (4 output
 *      characters an input octet) must not report E2U_ENOSPC; the same translation into a heap
 *      buffer of exactly strlen + 1 must give the same pattern, and one byte less must fail
 *      with E2U_ENOSPC -- ASan catches any write past either buffer.
 *   3. e2u_subst_apply with one long-lived e2u_regex_t (small limits and a small cache, so
 *      evictions and limit errors happen): the result code is one the header lists, diag says
 *      the same code; on success out[outlen] is a NUL, outlen is shorter than the buffer and
 *      E2U_SUBST_OUT_MAX, and the same apply into an exact-size heap buffer gives the same
 *      output while one byte less fails with E2U_ETOOLONG. An ERE that translation refuses
 *      must be refused by apply as well; a success implies every \N of the replacement has a
 *      group.
 *   4. e2u_ere_translate directly on the whole raw input with delimiter '!', as in 2.
 *
 * The only global state is the e2u_regex_t, created on the first call and kept (libFuzzer has
 * no teardown hook; it stays reachable, so LeakSanitizer does not report it).
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

static const char *const subjects[] = {
    "+12155550123",     /* RFC 4769 §4 */
    "+441632960083",    /* RFC 6116 §4 */
    "+432221234567890", /* draft-brandner-enum-uri §3.2.2 */
    "+4930123456",
    "+1",
    "+123456789012345",                /* 15 digits, E.164's longest */
    "432221234567890",                 /* the enum: draft matches the number without '+' */
    "+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* not an AUS: lets (a*)*b style patterns backtrack */
    "+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", /* and (x+x+)+y */
};
#define NSUBJECTS (sizeof(subjects) / sizeof(subjects[0]))

static e2u_regex_t *rx; /* long-lived: the cache survives from one input to the next */

/* Translate ere with delim and check the bounds behaviour; returns the code of the first
 * translation and the number of groups in *ngroups. */
static int translate_checked(const char *ere, size_t len, char delim, unsigned *ngroups)
{
    e2u_diag_t diag;
    size_t cap = 4 * len + 16;
    char *big = malloc(cap);
    CHECK(big != NULL);
    unsigned ng = 0, ng2 = 0;
    int rc = e2u_ere_translate(ere, len, delim, big, cap, &ng, &diag);
    if (rc < 0) {
        if (rc == E2U_ENOSPC) {
            fprintf(stderr, "e2u_ere_translate needs more than 4 octets per input octet\n");
            abort();
        }
        CHECK(rc == E2U_EREGEXP && diag.code == rc && diag.pos <= len);
        CHECK(memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
        free(big);
        return rc;
    }
    size_t n = strnlen(big, cap);
    CHECK(n < cap && n >= 1);

    char *exact = malloc(n + 1);
    CHECK(exact != NULL);
    CHECK(e2u_ere_translate(ere, len, delim, exact, n + 1, &ng2, NULL) == 0);
    CHECK(ng2 == ng && memcmp(exact, big, n + 1) == 0);
    free(exact);
    exact = malloc(n);
    CHECK(exact != NULL);
    CHECK(e2u_ere_translate(ere, len, delim, exact, n, &ng2, NULL) == E2U_ENOSPC);
    free(exact);
    free(big);
    if (ngroups)
        *ngroups = ng;
    return 0;
}

static void apply_checked(const e2u_subst_t *s, const char *subj, size_t slen, int tr_rc,
                          unsigned ngroups)
{
    e2u_diag_t diag;
    size_t cap = E2U_SUBST_OUT_MAX + 1;
    char *out = malloc(cap);
    CHECK(out != NULL);
    size_t olen = (size_t)-1;
    int rc = e2u_subst_apply(rx, s, subj, slen, out, cap, &olen, &diag);
    if (rc < 0) {
        CHECK(rc == E2U_ENOMATCH || rc == E2U_EREGEXP || rc == E2U_ELIMIT || rc == E2U_ETOOLONG ||
              rc == E2U_ENOMEM);
        CHECK(diag.code == rc && memchr(diag.msg, '\0', sizeof(diag.msg)) != NULL);
        if (tr_rc == 0 && s->max_backref > ngroups)
            CHECK(rc == E2U_EREGEXP || rc == E2U_ENOMEM);
        free(out);
        return;
    }
    CHECK(tr_rc == 0);                /* apply ran an ERE the translator refuses */
    CHECK(s->max_backref <= ngroups); /* \N beyond the groups must be refused */
    CHECK(olen < cap && olen <= E2U_SUBST_OUT_MAX);
    /* NUL-terminated at outlen. The replacement and the subject are octets, so the output may
     * hold a NUL of its own ("\000" in a zone file): strlen(out) <= olen, not ==. */
    CHECK(out[olen] == '\0' && strlen(out) <= olen);

    /* The same into an exact-size buffer, then one byte short. */
    char *exact = malloc(olen + 1);
    CHECK(exact != NULL);
    size_t olen2 = 0;
    CHECK(e2u_subst_apply(rx, s, subj, slen, exact, olen + 1, &olen2, NULL) == 0);
    CHECK(olen2 == olen && memcmp(exact, out, olen + 1) == 0);
    if (olen > 0)
        CHECK(e2u_subst_apply(rx, s, subj, slen, exact, olen, &olen2, NULL) == E2U_ETOOLONG);
    free(exact);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!rx) {
        const e2u_regex_limits_t lim = {
            .match_limit = 5000, .depth_limit = 100, .heap_limit_kib = 64, .cache_entries = 8};
        CHECK(e2u_regex_new(&rx, &lim) == 0);
    }

    /* One exact-size copy of the input (no NUL after it), so that ASan sees any read past the
     * end of the raw ERE or of the expression, which ends where the input ends. */
    char *raw = calloc(1, size ? size : 1);
    CHECK(raw != NULL);
    if (size)
        memcpy(raw, data, size);

    /* 4. the raw input as an ERE */
    translate_checked(raw, size, '!', NULL);

    if (size < 1 || (data[0] >= 0x80 && size < 2)) {
        free(raw);
        return 0;
    }

    /* Choose the subject. */
    char gen[E2U_NUMBER_MAX_DIGITS + 2];
    const char *subj;
    size_t slen, skip;
    if (data[0] < 0x80) {
        subj = subjects[data[0] % NSUBJECTS];
        slen = strlen(subj);
        skip = 1;
    } else {
        size_t nd = (size_t)(data[0] & 0x7f) % E2U_NUMBER_MAX_DIGITS + 1;
        uint8_t seed = data[1];
        size_t k = 0;
        if (seed & 1)
            gen[k++] = '+';
        for (size_t i = 0; i < nd; i++)
            gen[k++] = (char)('0' + (seed + i * (size_t)(seed | 1) * 7u) % 10u);
        gen[k] = '\0';
        subj = gen;
        slen = k;
        skip = 2;
    }

    const char *field = raw + skip;
    size_t flen = size - skip;

    /* 1. split */
    e2u_subst_t s;
    e2u_diag_t diag;
    int rc = e2u_subst_parse(&s, field, flen, &diag);
    if (rc < 0) {
        CHECK(rc == E2U_EREGEXP && diag.code == rc && diag.pos <= flen);
        free(raw);
        return 0;
    }
    CHECK(flen >= 4 && flen <= 255);
    CHECK(s.delim == field[0]);
    CHECK(s.ere == field + 1 && s.ere_len >= 1);
    CHECK(s.repl > s.ere && s.repl + s.repl_len <= field + flen);
    CHECK(s.max_backref <= 9);

    /* 2. translate, 3. apply */
    unsigned ngroups = 0;
    int tr = translate_checked(s.ere, s.ere_len, s.delim, &ngroups);
    apply_checked(&s, subj, slen, tr, ngroups);

    free(raw);
    return 0;
}
