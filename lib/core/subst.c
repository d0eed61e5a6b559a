/*
 * lib/core/subst.c — substitution expressions (RFC 3402 §3.2): split, check, match, expand.
 *
 * The regexp field of a NAPTR comes from whoever controls a zone, so every step is bounded:
 *
 * 1. Splitting. The first octet is the delimiter; a digit or '\' cannot be one (RFC 3402 §3.2:
 *    digits would be confused with back-references), nor 'i' when a flag follows. "\X" never
 *    ends a part, so "\<delim>" is an escaped delimiter. There must be exactly three unescaped
 *    delimiters (RFC 6116 §5.2: otherwise the client SHOULD discard the record), and after the
 *    third only the flag 'i'.
 *
 * 2. The ERE is checked against POSIX ERE and translated for PCRE2 in one pass. This keeps
 *    PCRE2's extensions out of reach of DNS data: "\d", "(?...)", lazy and possessive
 *    quantifiers and back-references in the pattern are refused rather than given Perl meaning
 *    (RFC 3403 §10: expressions are not to be passed blindly to a Perl-like engine). Inside a
 *    bracket expression '\' is literal, as POSIX says. Quantifier stacks ("a**", "{10,}{10,}")
 *    are refused, intervals are capped at 255 (POSIX's RE_DUP_MAX), nesting at 32 groups.
 *    One leniency, documented: a '*', '+' or '?' with nothing to repeat (the start of the ERE,
 *    after '^', '(' or '|') is taken literally. POSIX leaves it undefined, and "^+1..." -- a
 *    literal '+' written without its backslash -- is the common mistake RFC 5483 §2.4 describes.
 *
 * 3. Matching runs PCRE2 (JIT when available) with a match limit, a depth limit and a heap
 *    limit, '.' matching every octet (POSIX) and '$' only at the very end. PCRE2 picks the
 *    leftmost match by Perl's rule where POSIX asks for the leftmost-longest; for the anchored
 *    patterns ENUM uses the two agree, and no specification example depends on the difference.
 *    Compiled patterns are cached (direct-mapped on a hash of the ERE), failures included, so a
 *    record set of a hundred identical "!^.*$!...!" rules compiles once.
 *
 * 4. Expansion. The result is the replacement with \1..\9 filled in: the matched part of the
 *    AUS is not spliced back into the subject, sed-style; the replacement is the whole output.
 *    This is what every ENUM example assumes (they all anchor both ends, so the two readings
 *    agree there) and what deployed clients do. A group that did not take part expands to
 *    nothing (RFC 3402 §3.2, "possibly empty"); a group the ERE does not have is an error.
 *    "\\" in the replacement is a literal backslash. Output is bounded by the caller's buffer
 *    and E2U_SUBST_OUT_MAX (RFC 5483 §9: a long expansion drops the record, never overflows).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "e2u/subst.h"

#define ERE_NEST_MAX 32
#define ERE_DUP_MAX 255
#define MAX_GROUPS 9 /* only \1..\9 can be referred to, but more groups are allowed */
/* Translation worst case: every octet as a 4-character \xHH escape. */
#define PCRE_PATTERN_MAX (4 * 255 + 16)

/* --- 1. splitting ---------------------------------------------------------------------------- */

int e2u_subst_parse(e2u_subst_t *out, const char *field, size_t len, e2u_diag_t *diag)
{
    char ob[8];
    if (!out || (!field && len))
        return e2u__diag(diag, E2U_EINVAL, 0, "no substitution expression given");
    memset(out, 0, sizeof(*out));
    if (len == 0)
        return e2u__diag(diag, E2U_EREGEXP, 0, "empty substitution expression");
    if (len > 255)
        return e2u__diag(diag, E2U_EREGEXP, 0, "substitution expression longer than 255 octets");
    unsigned char d = (unsigned char)field[0];
    if (e2u__is_digit(d) || d == '\\')
        return e2u__diag(diag, E2U_EREGEXP, 0,
                         "%s cannot be the delimiter (RFC 3402 §3.2)", e2u__octet(d, ob));

    size_t pos[2];
    int found = 0;
    size_t i = 1;
    /* Find the second and third unescaped delimiters. Most fields hold no backslash at all,
     * and then memchr finds them directly. */
    const char *bs = memchr(field + 1, '\\', len - 1);
    bool any_escape = bs != NULL;
    while (i < len && found < 2) {
        if (!bs || field + i < bs) {
            size_t stop = bs ? (size_t)(bs - field) : len;
            const char *p = memchr(field + i, d, stop - i);
            if (p) {
                pos[found++] = (size_t)(p - field);
                i = (size_t)(p - field) + 1;
                continue;
            }
            i = stop;
            continue;
        }
        /* at a backslash: it escapes the next octet */
        i += 2;
        bs = i < len ? memchr(field + i, '\\', len - i) : NULL;
    }
    if (found < 2)
        return e2u__diag(diag, E2U_EREGEXP, len,
                         "expected three unescaped %s delimiters, found %d", e2u__octet(d, ob),
                         found + 1);
    size_t fl = pos[1] + 1;
    for (size_t k = fl; k < len; k++) {
        unsigned char c = (unsigned char)field[k];
        if (c == d && d != 'i' && d != 'I')
            return e2u__diag(diag, E2U_EREGEXP, k,
                             "more than three unescaped delimiters (position %zu)", k);
        if (e2u__lower(c) != 'i')
            return e2u__diag(diag, E2U_EREGEXP, k,
                             "unknown flag %s at position %zu: the only flag is 'i'",
                             e2u__octet(c, ob), k);
        if (e2u__lower(d) == 'i')
            return e2u__diag(diag, E2U_EREGEXP, 0,
                             "'i' cannot be the delimiter when the 'i' flag is given");
        out->icase = true;
    }
    out->delim = (char)d;
    out->ere = field + 1;
    out->ere_len = (uint8_t)(pos[0] - 1);
    out->repl = field + pos[0] + 1;
    out->repl_len = (uint8_t)(pos[1] - pos[0] - 1);
    if (out->ere_len == 0)
        return e2u__diag(diag, E2U_EREGEXP, 1, "empty regular expression");

    /* Escapes in the replacement: \1-\9, \<delim>, \\. */
    for (size_t k = 0; any_escape && k < out->repl_len; k++) {
        if (out->repl[k] != '\\')
            continue;
        size_t at = pos[0] + 1 + k;
        unsigned char c = (unsigned char)out->repl[k + 1]; /* exists: a lone '\' would have
                                                             escaped the final delimiter */
        if (c >= '1' && c <= '9') {
            if ((uint8_t)(c - '0') > out->max_backref)
                out->max_backref = (uint8_t)(c - '0');
        } else if (c == '0') {
            return e2u__diag(diag, E2U_EREGEXP, at,
                             "\\0 at position %zu is not a back-reference (only \\1 to \\9)", at);
        } else if (c != d && c != '\\') {
            return e2u__diag(diag, E2U_EREGEXP, at,
                             "unknown escape '\\%c' in the replacement at position %zu", c, at);
        }
        k++;
    }
    return 0;
}

/* --- 2. ERE -> PCRE2 ------------------------------------------------------------------------- */

typedef struct tr {
    char *buf;
    size_t cap;
    size_t n;
    bool overflow;
} tr_t;

static void put(tr_t *t, const char *s, size_t len)
{
    if (t->n + len >= t->cap) {
        t->overflow = true;
        return;
    }
    memcpy(t->buf + t->n, s, len);
    t->n += len;
}

static void put_c(tr_t *t, char c)
{
    put(t, &c, 1);
}

/* An octet as a PCRE2 literal: alphanumerics as they are, other printable ASCII with a '\'
 * (always literal in PCRE2), anything else as \xHH. */
static void put_literal(tr_t *t, unsigned char c)
{
    if (e2u__is_alnum(c)) {
        put_c(t, (char)c);
    } else if (c > 0x20 && c < 0x7f) {
        char e[2] = {'\\', (char)c};
        put(t, e, 2);
    } else {
        char e[5];
        snprintf(e, sizeof(e), "\\x%02x", c);
        put(t, e, 4);
    }
}

static const char *const posix_classes[] = {"alpha", "digit", "alnum", "upper", "lower", "space",
                                            "punct", "print", "graph", "cntrl", "xdigit", "blank",
                                            NULL};

/* Translate a bracket expression starting at ere[*i] == '['. */
static int tr_bracket(tr_t *t, const char *ere, size_t len, size_t *i, e2u_diag_t *diag)
{
    size_t start = *i;
    size_t k = start + 1;
    put_c(t, '[');
    if (k < len && ere[k] == '^') {
        put_c(t, '^');
        k++;
    }
    bool first = true;
    for (;; first = false) {
        if (k >= len)
            return e2u__diag(diag, E2U_EREGEXP, start,
                             "unterminated bracket expression starting at position %zu", start);
        unsigned char c = (unsigned char)ere[k];
        if (c == ']' && !first) {
            put_c(t, ']');
            *i = k + 1;
            return 0;
        }
        if (c == '[' && k + 1 < len && (ere[k + 1] == ':' || ere[k + 1] == '=' ||
                                         ere[k + 1] == '.')) {
            char kind = ere[k + 1];
            size_t e = k + 2;
            while (e + 1 < len && !(ere[e] == kind && ere[e + 1] == ']'))
                e++;
            if (e + 1 >= len)
                return e2u__diag(diag, E2U_EREGEXP, k,
                                 "unterminated [%c in bracket expression at position %zu", kind,
                                 k);
            if (kind != ':')
                return e2u__diag(diag, E2U_EREGEXP, k,
                                 "collating elements and equivalence classes ([%c) are not "
                                 "supported (position %zu)",
                                 kind, k);
            size_t nl = e - (k + 2);
            bool ok = false;
            for (const char *const *p = posix_classes; *p; p++) {
                if (strlen(*p) == nl && memcmp(*p, ere + k + 2, nl) == 0)
                    ok = true;
            }
            if (!ok)
                return e2u__diag(diag, E2U_EREGEXP, k,
                                 "unknown character class '[:%.*s:]' at position %zu",
                                 (int)(nl > 16 ? 16 : nl), ere + k + 2, k);
            put(t, ere + k, e + 2 - k);
            k = e + 2;
            continue;
        }
        if (c == '-') {
            put_c(t, '-'); /* range or literal at either end: same in PCRE2 classes */
            k++;
            continue;
        }
        put_literal(t, c); /* includes '\' (literal in POSIX brackets), '[', ']' first */
        k++;
    }
}

int e2u_ere_translate(const char *ere, size_t len, char delim, char *buf, size_t cap,
                      unsigned *ngroups, e2u_diag_t *diag)
{
    tr_t t = {buf, cap, 0, false};
    unsigned groups = 0;
    int depth = 0;
    /* What the last item was, to place quantifiers: */
    enum { NOTHING, ATOM, QUANT, ANCHOR } last = NOTHING;
    char ob[8];

    if (!buf || cap == 0 || (!ere && len))
        return e2u__diag(diag, E2U_EINVAL, 0, "no expression given");
    if (len == 0)
        return e2u__diag(diag, E2U_EREGEXP, 0, "empty regular expression");
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)ere[i];
        switch (c) {
        case '\\': {
            if (i + 1 >= len)
                return e2u__diag(diag, E2U_EREGEXP, i, "'\\' at the end of the expression");
            unsigned char n = (unsigned char)ere[i + 1];
            if (n == (unsigned char)delim) {
                put_literal(&t, n);
            } else if (e2u__is_digit(n)) {
                return e2u__diag(diag, E2U_EREGEXP, i,
                                 "back-reference '\\%c' inside the regular expression at "
                                 "position %zu (only the replacement may use them)",
                                 n, i);
            } else if (e2u__is_alpha(n)) {
                return e2u__diag(diag, E2U_EREGEXP, i,
                                 "'\\%c' at position %zu is not POSIX ERE", n, i);
            } else {
                put_literal(&t, n);
            }
            last = ATOM;
            i += 2;
            break;
        }
        case '[': {
            int rc = tr_bracket(&t, ere, len, &i, diag);
            if (rc < 0)
                return rc;
            last = ATOM;
            break;
        }
        case '(':
            /* "(?" would open a Perl extension; "(*" and "(+" fall to the literal case below,
             * so PCRE2's "(*VERB)" syntax cannot be reached either. */
            if (i + 1 < len && ere[i + 1] == '?')
                return e2u__diag(diag, E2U_EREGEXP, i, "'(?' at position %zu is not POSIX ERE",
                                 i);
            if (++depth > ERE_NEST_MAX)
                return e2u__diag(diag, E2U_EREGEXP, i,
                                 "groups nested deeper than %d at position %zu", ERE_NEST_MAX,
                                 i);
            groups++;
            put_c(&t, '(');
            last = NOTHING;
            i++;
            break;
        case ')':
            if (depth == 0) {
                put_literal(&t, c); /* POSIX: ')' without '(' is an ordinary character */
            } else {
                depth--;
                put_c(&t, ')');
            }
            last = ATOM;
            i++;
            break;
        case '|':
            put_c(&t, '|');
            last = NOTHING;
            i++;
            break;
        case '^':
            put_c(&t, '^');
            last = NOTHING;
            i++;
            break;
        case '$':
            put_c(&t, '$');
            last = ANCHOR; /* "$*": POSIX leaves it undefined, so it is refused below */
            i++;
            break;
        case '.':
            put_c(&t, '.');
            last = ATOM;
            i++;
            break;
        case '*':
        case '+':
        case '?':
            if (last == NOTHING) {
                put_literal(&t, c); /* see the file comment: "^+1..." */
                last = ATOM;
            } else if (last == QUANT || last == ANCHOR) {
                return e2u__diag(diag, E2U_EREGEXP, i, "quantifier %s follows %s at position %zu",
                                 e2u__octet(c, ob),
                                 last == QUANT ? "another quantifier" : "'$'", i);
            } else {
                put_c(&t, (char)c);
                last = QUANT;
            }
            i++;
            break;
        case '{': {
            size_t k = i + 1;
            unsigned long lo = 0, hi = 0;
            bool has_lo = false, comma = false, has_hi = false;
            while (k < len && e2u__is_digit((unsigned char)ere[k]) && lo <= ERE_DUP_MAX) {
                lo = lo * 10 + (unsigned long)(ere[k++] - '0');
                has_lo = true;
            }
            if (k < len && ere[k] == ',') {
                comma = true;
                k++;
                while (k < len && e2u__is_digit((unsigned char)ere[k]) && hi <= ERE_DUP_MAX) {
                    hi = hi * 10 + (unsigned long)(ere[k++] - '0');
                    has_hi = true;
                }
            }
            if (!has_lo || k >= len || ere[k] != '}')
                return e2u__diag(diag, E2U_EREGEXP, i,
                                 "malformed interval '{' at position %zu (expected {m}, {m,} or "
                                 "{m,n})",
                                 i);
            if (lo > ERE_DUP_MAX || hi > ERE_DUP_MAX)
                return e2u__diag(diag, E2U_EREGEXP, i,
                                 "interval bound over %d at position %zu", ERE_DUP_MAX, i);
            if (has_hi && hi < lo)
                return e2u__diag(diag, E2U_EREGEXP, i,
                                 "interval {%lu,%lu} at position %zu has max below min", lo, hi,
                                 i);
            if (last == NOTHING)
                return e2u__diag(diag, E2U_EREGEXP, i,
                                 "interval at position %zu has nothing to repeat", i);
            if (last == QUANT || last == ANCHOR)
                return e2u__diag(diag, E2U_EREGEXP, i,
                                 "interval follows %s at position %zu",
                                 last == QUANT ? "another quantifier" : "'$'", i);
            char q[24];
            int ql;
            if (!comma)
                ql = snprintf(q, sizeof(q), "{%lu}", lo);
            else if (!has_hi)
                ql = snprintf(q, sizeof(q), "{%lu,}", lo);
            else
                ql = snprintf(q, sizeof(q), "{%lu,%lu}", lo, hi);
            put(&t, q, (size_t)ql);
            last = QUANT;
            i = k + 1;
            break;
        }
        default:
            put_literal(&t, c); /* includes '}' and ']' outside brackets: literal in ERE */
            last = ATOM;
            i++;
            break;
        }
        if (t.overflow)
            return e2u__diag(diag, E2U_ENOSPC, i, "translated expression does not fit");
    }
    if (depth != 0)
        return e2u__diag(diag, E2U_EREGEXP, len, "unbalanced '(' in the regular expression");
    t.buf[t.n] = '\0';
    if (ngroups)
        *ngroups = groups;
    return 0;
}

/* --- 3. the compiled-pattern cache ----------------------------------------------------------- */

typedef struct entry {
    bool used;
    bool icase;
    char delim;
    uint8_t len;
    uint32_t hash;
    char ere[255];
    pcre2_code *code; /* NULL when compiling failed: then err/msg say why */
    unsigned ngroups;
    int err;
    char msg[sizeof(((e2u_diag_t *)0)->msg)];
} entry_t;

struct e2u_regex {
    e2u_regex_limits_t lim;
    size_t mask; /* entries - 1, a power of two minus one */
    entry_t *entries;
    pcre2_compile_context *cctx;
    pcre2_match_context *mctx;
    pcre2_match_data *md;
};

static uint32_t fnv1a(const char *s, size_t len, uint32_t h)
{
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

int e2u_regex_new(e2u_regex_t **out, const e2u_regex_limits_t *limits)
{
    if (!out)
        return E2U_EINVAL;
    *out = NULL;
    e2u_regex_t *rx = calloc(1, sizeof(*rx));
    if (!rx)
        return E2U_ENOMEM;
    if (limits)
        rx->lim = *limits;
    if (!rx->lim.match_limit)
        rx->lim.match_limit = 20000;
    if (!rx->lim.depth_limit)
        rx->lim.depth_limit = 500;
    if (!rx->lim.heap_limit_kib)
        rx->lim.heap_limit_kib = 256;
    if (!rx->lim.cache_entries)
        rx->lim.cache_entries = 128;
    size_t n = 1;
    while (n < rx->lim.cache_entries && n < 65536)
        n <<= 1;
    rx->mask = n - 1;
    rx->entries = calloc(n, sizeof(entry_t));
    rx->cctx = pcre2_compile_context_create(NULL);
    rx->mctx = pcre2_match_context_create(NULL);
    rx->md = pcre2_match_data_create(MAX_GROUPS + 1, NULL);
    if (!rx->entries || !rx->cctx || !rx->mctx || !rx->md) {
        e2u_regex_free(rx);
        return E2U_ENOMEM;
    }
    pcre2_set_max_pattern_length(rx->cctx, PCRE_PATTERN_MAX);
    pcre2_set_parens_nest_limit(rx->cctx, ERE_NEST_MAX + 2);
    pcre2_set_match_limit(rx->mctx, rx->lim.match_limit);
    pcre2_set_depth_limit(rx->mctx, rx->lim.depth_limit);
    pcre2_set_heap_limit(rx->mctx, rx->lim.heap_limit_kib);
    *out = rx;
    return 0;
}

void e2u_regex_free(e2u_regex_t *rx)
{
    if (!rx)
        return;
    if (rx->entries) {
        for (size_t i = 0; i <= rx->mask; i++)
            pcre2_code_free(rx->entries[i].code);
        free(rx->entries);
    }
    pcre2_compile_context_free(rx->cctx);
    pcre2_match_context_free(rx->mctx);
    pcre2_match_data_free(rx->md);
    free(rx);
}

static void compile_entry(e2u_regex_t *rx, entry_t *e)
{
    char pat[PCRE_PATTERN_MAX + 1];
    e2u_diag_t d;
    e->code = NULL;
    e->err = e2u_ere_translate(e->ere, e->len, e->delim, pat, sizeof(pat), &e->ngroups, &d);
    if (e->err < 0) {
        snprintf(e->msg, sizeof(e->msg), "%s", d.msg);
        if (e->err == E2U_ENOSPC)
            e->err = E2U_EREGEXP;
        return;
    }
    int errcode;
    PCRE2_SIZE erroff;
    uint32_t opts = PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP |
                    PCRE2_NEVER_BACKSLASH_C | (e->icase ? PCRE2_CASELESS : 0);
    e->code = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opts, &errcode, &erroff,
                            rx->cctx);
    if (!e->code) {
        PCRE2_UCHAR m[120];
        if (pcre2_get_error_message(errcode, m, sizeof(m)) < 0)
            snprintf((char *)m, sizeof(m), "error %d", errcode);
        e->err = errcode == PCRE2_ERROR_NOMEMORY ? E2U_ENOMEM : E2U_EREGEXP;
        snprintf(e->msg, sizeof(e->msg), "regular expression refused: %s", (const char *)m);
        return;
    }
    (void)pcre2_jit_compile(e->code, PCRE2_JIT_COMPLETE); /* interpreter if JIT is absent */
    e->err = 0;
}

static entry_t *lookup(e2u_regex_t *rx, const e2u_subst_t *s)
{
    uint32_t h = fnv1a(s->ere, s->ere_len, 2166136261u);
    h = fnv1a(&s->delim, 1, h) ^ (s->icase ? 0x9e3779b9u : 0);
    entry_t *e = &rx->entries[h & rx->mask];
    if (e->used && e->hash == h && e->len == s->ere_len && e->delim == s->delim &&
        e->icase == s->icase && memcmp(e->ere, s->ere, s->ere_len) == 0)
        return e;
    pcre2_code_free(e->code);
    e->used = true;
    e->hash = h;
    e->len = s->ere_len;
    e->delim = s->delim;
    e->icase = s->icase;
    memcpy(e->ere, s->ere, s->ere_len);
    compile_entry(rx, e);
    if (e->err == E2U_ENOMEM) /* do not cache a transient failure */
        e->used = false;
    return e;
}

/* --- 4. matching and expansion --------------------------------------------------------------- */

int e2u_subst_apply(e2u_regex_t *rx, const e2u_subst_t *s, const char *subject, size_t len,
                    char *out, size_t cap, size_t *outlen, e2u_diag_t *diag)
{
    if (!rx || !s || !out || cap == 0 || (!subject && len) || !s->ere)
        return e2u__diag(diag, E2U_EINVAL, 0, "invalid arguments");
    /* (NULL, 0) is the empty subject. Give it a real address: a group matching the empty string
     * would otherwise be copied with memcpy(out, NULL + 0, 0), undefined behaviour. */
    if (!subject)
        subject = "";
    entry_t *e = lookup(rx, s);
    if (e->err < 0)
        return e2u__diag(diag, e->err, 0, "%s", e->msg);
    if (s->max_backref > e->ngroups)
        return e2u__diag(diag, E2U_EREGEXP, 0,
                         "the replacement uses \\%u but the expression has %u group%s",
                         s->max_backref, e->ngroups, e->ngroups == 1 ? "" : "s");
    int rc = pcre2_match(e->code, (PCRE2_SPTR)subject, len, 0, 0, rx->md, rx->mctx);
    if (rc == PCRE2_ERROR_NOMATCH)
        return e2u__diag(diag, E2U_ENOMATCH, 0, "regular expression does not match %.*s",
                         (int)(len > 64 ? 64 : len), subject);
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
        rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
        return e2u__diag(diag, E2U_ELIMIT, 0,
                         "regular expression exceeded its %s limit",
                         rc == PCRE2_ERROR_MATCHLIMIT   ? "match"
                         : rc == PCRE2_ERROR_DEPTHLIMIT ? "depth"
                         : rc == PCRE2_ERROR_HEAPLIMIT  ? "heap"
                                                        : "stack");
    if (rc == PCRE2_ERROR_NOMEMORY)
        return e2u__diag(diag, E2U_ENOMEM, 0, "out of memory while matching");
    if (rc < 0)
        return e2u__diag(diag, E2U_EREGEXP, 0, "matching failed (PCRE2 error %d)", rc);
    /* rc == 0 would mean the ovector was too small: groups beyond 9 are not reported, which is
     * fine since only \1..\9 can be used. */
    uint32_t npairs = rc == 0 ? pcre2_get_ovector_count(rx->md) : (uint32_t)rc;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rx->md);

    size_t limit = cap - 1 < E2U_SUBST_OUT_MAX ? cap - 1 : E2U_SUBST_OUT_MAX;
    size_t o = 0;
    for (size_t k = 0; k < s->repl_len; k++) {
        char c = s->repl[k];
        if (c == '\\' && k + 1 < s->repl_len) {
            char n = s->repl[++k];
            if (n >= '1' && n <= '9') {
                uint32_t g = (uint32_t)(n - '0');
                if (g < npairs && ov[2 * g] != PCRE2_UNSET) {
                    size_t gl = ov[2 * g + 1] - ov[2 * g];
                    if (o + gl > limit)
                        goto too_long;
                    memcpy(out + o, subject + ov[2 * g], gl);
                    o += gl;
                }
                continue;
            }
            c = n; /* \<delim> or \\ */
        }
        if (o + 1 > limit)
            goto too_long;
        out[o++] = c;
    }
    out[o] = '\0';
    if (outlen)
        *outlen = o;
    return 0;
too_long:
    out[0] = '\0';
    return e2u__diag(diag, E2U_ETOOLONG, 0, "substitution result longer than %zu octets", limit);
}
