/*
 * lib/core/uri.c — checking the URIs ENUM produces, and taking the telephone ones apart.
 *
 * RFC 6116 §3.3 requires every terminal result to be an absolute URI (RFC 3986 §4.3). A result
 * comes from a substitution applied to untrusted DNS data, so e2u_uri_parse() is a validator
 * first and a splitter second. It works in two passes over the octets, both left to right,
 * both bounded by len, with no recursion, no allocation and no copy beyond the few normalised
 * digit strings e2u_telinfo_t holds:
 *
 *   1. The generic pass (RFC 3986): scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), a
 *      ':', then only unreserved, reserved and well-formed %HH octets. '#' is refused: it can
 *      only start a fragment, and absolute-URI has none. Spaces, controls, octets >= 0x80 and
 *      '"' '<' '>' '\' '^' '`' '{' '|' '}' are refused. After this pass every later stage may
 *      assume that every '%' starts a complete escape.
 *   2. The scheme pass, by the scheme's own grammar: tel: (RFC 3966 §3 with RFC 4694 §4),
 *      sip:/sips: (RFC 3261 §25.1), pres: (RFC 3859 A.2), im: (RFC 3860 A.2), enum:
 *      (draft-brandner-enum-uri §2). Any other scheme gets the structure of RFC 3986
 *      Appendix A's absolute-URI (authority, path, query), which is where '[' and ']' may
 *      appear: only inside an IP literal.
 *
 * A URI that passes both is accepted; the first failure is reported with its byte offset.
 *
 * Escapes in a telephone-subscriber. RFC 3966 §3 makes octets outside the reserved and unsafe
 * sets equivalent to their %HH form, and RFC 3261 §19.1.2 makes a SIP user part escape every
 * telephone-subscriber character `user` does not allow ('#', '[', ']', ':', '@'). So one reader
 * (next_item) decodes %HH for the telephone-subscriber grammar, in tel: as in a sip: user part,
 * with one rule: a decoded octet is data and never syntax. "%3B" is never a parameter
 * separator, "%2B" never the '+' of a global number (RFC 3966 §3: delimiters "MUST NOT be
 * percent encoded"; RFC 3986 §2.2). This is also how a local number carries '#': a raw '#'
 * would start a fragment, so "%23" is its only absolute-URI form. The spans e2u_telinfo_t
 * borrows (context, ext, ...) are as written, escapes included.
 *
 * Decisions where the texts leave room (each is repeated where the code makes it):
 *   - A parameter whose name RFC 3966 or RFC 4694 defines (ext, isub, phone-context, rn, npdi,
 *     cic, rn-context, cic-context) must follow that definition. The ABNF alone would let
 *     ";rn=junk" pass as the generic `parameter`, which would make RFC 4694 §4 meaningless.
 *     Exception: phone-context on a global number. RFC 3966 gives it a meaning only for local
 *     numbers (the `context` production), so on a global number it is an ordinary parameter;
 *     this keeps RFC 3261 §19.1.6's "tel:+358-555-1234567;phone-context=5;tsp=a.b" (RFC 2806
 *     syntax) valid. Its value is still reported in tel.context.
 *   - Every parameter name at most once (RFC 3966 §3; RFC 4694 §4 for rn, npdi, cic), compared
 *     case-insensitively; ext and isub not both (RFC 3966 §5.3). rn-context / cic-context must
 *     follow a local rn / cic directly, as the local-rn / local-cic productions put them.
 *   - The order RFC 3966 §3 prescribes (isub/ext, context, then lexicographic) is not
 *     enforced: it is a rule for producers, there so that SIP's octet-wise comparison works,
 *     and a consumer that refused other orders would only drop usable routes.
 *   - Unknown "m-" (mandatory) parameters (RFC 3966 §5.4) pass: that section forbids *using*
 *     such a URI, which is the caller's decision; this parser judges syntax.
 *   - Implementation limits, not RFC rules: a global number has 1..63 digits
 *     (E2U_NUMBER_MAX_DIGITS; E.164's 15 is not enforced here), a local number and a
 *     normalised rn or cic at most E2U_TEL_VALUE_MAX characters, and a telephone-subscriber at
 *     most TEL_MAX_PARAMS parameters (this bounds the duplicate check).
 *   - Local numbers keep hex digits in the case written; rn and cic likewise. Separators go.
 *   - sip: user part: a global number fills tel whether or not user=phone is present (the
 *     E2U+sip draft's sip:+12025332600@neustar.biz has none); a local number only with
 *     user=phone, since "bead;phone-context=x" is also an ordinary user name. A user part
 *     that is not a telephone-subscriber is not an error (sip:+foo@example.com is a SIP URI).
 *   - sip: hosts follow RFC 3261 §25.1; IPv4 parts must be <= 255 and an IPv6 reference must
 *     have 8 groups, or at most 7 around "::" (RFC 3986 §3.2.2), which RFC 3261's looser
 *     hexpart rule does not say. No DNS length limits (63-octet labels, 255-octet names) are
 *     applied to hosts or descriptors: none of the grammars states them.
 *   - pres:/im:: `to` is optional (RFC 3859/3860 A.2), so "pres:" alone is valid, with no user
 *     or host. When present, the mailbox is read as an addr-spec, local-part "@" domain: the
 *     local part a dot-atom of the RFC 2822 atext characters a URI can carry raw, plus %HH;
 *     the domain a host as for sip:. The headers are *uric (RFC 2396, so no '[' ']'); since
 *     hname and hvalue may themselves contain '&' and '=', the grammar matches exactly the
 *     query strings that contain at least one '='.
 *   - enum:: a global number ("+" and phone digits) and tel-style parameters, which are checked
 *     for syntax and otherwise ignored (draft §3.1), except isub, which §2 excludes.
 */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"
#include "e2u/uri.h"

/* The most parameters one telephone-subscriber may carry; bounds the duplicate-name check. */
#define TEL_MAX_PARAMS 64

/* ---------------------------------------------------------------------------------------- */
/* Character classes. Four RFCs, four slightly different sets; each function names its rule. */

/* c is one of the octets of the NUL-terminated set. */
static inline bool in_set(unsigned char c, const char *set)
{
    /* a loop the compiler unrolls against the literal, not a call to strchr */
    for (; *set; set++) {
        if ((unsigned char)*set == c)
            return true;
    }
    return false;
}

/* RFC 3986 §2.3 unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" */
static bool is_unreserved(unsigned char c)
{
    return e2u__is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* RFC 3986 §2.2 sub-delims */
static bool is_subdelim(unsigned char c)
{
    return in_set(c, "!$&'()*+,;=");
}


/* RFC 3986 pchar without pct-encoded: unreserved / sub-delims / ":" / "@" */
static bool is_pchar(unsigned char c)
{
    return is_unreserved(c) || is_subdelim(c) || c == ':' || c == '@';
}

/* RFC 2396 / RFC 3261 / RFC 3966 mark and unreserved = alphanum / mark */
static bool is_mark(unsigned char c)
{
    return in_set(c, "-_.!~*'()");
}

static bool is_unreserved2396(unsigned char c)
{
    return e2u__is_alnum(c) || is_mark(c);
}

/* RFC 3966 §3 / RFC 3261 §25.1 reserved: ";" "/" "?" ":" "@" "&" "=" "+" "$" "," */
static bool is_reserved2396(unsigned char c)
{
    return in_set(c, ";/?:@&=+$,");
}

/* RFC 3966 §3 / RFC 3261 §25.1 param-unreserved = "[" / "]" / "/" / ":" / "&" / "+" / "$" */
static bool is_param_unreserved(unsigned char c)
{
    return in_set(c, "[]/:&+$");
}

/* RFC 3261 §25.1 user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/" */
static bool is_user_unreserved(unsigned char c)
{
    return in_set(c, "&=+$,;?/");
}

/* RFC 3261 §25.1 hnv-unreserved = "[" / "]" / "/" / "?" / ":" / "+" / "$" */
static bool is_hnv_unreserved(unsigned char c)
{
    return in_set(c, "[]/?:+$");
}

/* RFC 2822 §3.2.4 atext, restricted to the octets a URI may carry unescaped. The rest of atext
 * ('#', '^', '`', '{', '|', '}') and '?' can only appear %-escaped. */
static bool is_atext_uri(unsigned char c)
{
    return e2u__is_alnum(c) || in_set(c, "!$&'*+-/=_~");
}

static bool is_scheme_char(unsigned char c)
{
    return e2u__is_alnum(c) || c == '+' || c == '-' || c == '.';
}

/* A %HH escape starting at s[i], wholly inside [.., end). */
static bool is_escape(const char *s, size_t i, size_t end)
{
    return s[i] == '%' && i + 2 < end && e2u__is_hex((unsigned char)s[i + 1]) &&
           e2u__is_hex((unsigned char)s[i + 2]);
}

static unsigned hexval(unsigned char c)
{
    return e2u__is_digit(c) ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

/* ---------------------------------------------------------------------------------------- */
/* Diagnostics. Every message names what is wrong and the byte position. */

/* Render the item at s[pos] for a message: 'x', space, 0x0a, or '%3B' for an escape. */
static const char *render(const char *s, size_t pos, size_t end, char buf[8])
{
    if (is_escape(s, pos, end)) {
        buf[0] = '\'';
        buf[1] = '%';
        buf[2] = s[pos + 1];
        buf[3] = s[pos + 2];
        buf[4] = '\'';
        buf[5] = '\0';
        return buf;
    }
    return e2u__octet((unsigned char)s[pos], buf);
}

static int bad_char(e2u_diag_t *diag, const char *s, size_t pos, size_t end, const char *where)
{
    char ob[8];
    return e2u__diag(diag, E2U_EURI, pos, "invalid character %s%s%s at position %zu",
                     render(s, pos, end, ob), *where ? " " : "", where, pos);
}

/* bad_char with its "where" built only when there is an error to report. */
static int bad_char_in(e2u_diag_t *diag, const char *s, size_t pos, size_t end, const char *fmt,
                       const char *what)
{
    char where[96];
    snprintf(where, sizeof(where), fmt, what);
    return bad_char(diag, s, pos, end, where);
}

/* Names in messages are quoted as written, cut to 32 octets. */
static int name_len(size_t n)
{
    return (int)(n > 32 ? 32 : n);
}

/* ---------------------------------------------------------------------------------------- */
/* The decoding reader for telephone-subscribers (see the top of the file). */

typedef struct item {
    unsigned char c; /* the octet, decoded when esc */
    bool esc;        /* written as %HH: data, never a delimiter */
    size_t next;     /* offset of the following item */
} item_t;

static item_t next_item(const char *s, size_t i, size_t end)
{
    item_t it;
    if (is_escape(s, i, end)) {
        it.c =
            (unsigned char)(hexval((unsigned char)s[i + 1]) << 4 | hexval((unsigned char)s[i + 2]));
        it.esc = true;
        it.next = i + 3;
    } else {
        it.c = (unsigned char)s[i];
        it.esc = false;
        it.next = i + 1;
    }
    return it;
}

static bool is_raw(item_t it, unsigned char c)
{
    return !it.esc && it.c == c;
}

/* Case-insensitive comparison of two parameter names, escapes decoded (RFC 3966 §4: "URI
 * comparisons are case-insensitive"). */
static bool name_eq(const char *s, size_t a, size_t a_end, size_t b, size_t b_end)
{
    while (a < a_end && b < b_end) {
        item_t x = next_item(s, a, a_end), y = next_item(s, b, b_end);
        if (e2u__lower(x.c) != e2u__lower(y.c))
            return false;
        a = x.next;
        b = y.next;
    }
    return a == a_end && b == b_end;
}

/* The name [a, end) equals the lower-case literal lit, escapes decoded, any case. */
static bool name_is(const char *s, size_t a, size_t end, const char *lit)
{
    while (a < end && *lit) {
        item_t x = next_item(s, a, end);
        if (e2u__lower(x.c) != (unsigned char)*lit)
            return false;
        a = x.next;
        lit++;
    }
    return a == end && *lit == '\0';
}

/* ---------------------------------------------------------------------------------------- */
/* Hosts: RFC 3261 §25.1 host = hostname / IPv4address / IPv6reference. */

/* IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT, each part at most 255. */
static bool ipv4_ok(const char *s, size_t a, size_t b)
{
    size_t i = a;
    for (int part = 0; part < 4; part++) {
        unsigned v = 0, n = 0;
        while (i < b && e2u__is_digit((unsigned char)s[i]) && n < 4) {
            v = v * 10 + (unsigned)(s[i] - '0');
            n++;
            i++;
        }
        if (n == 0 || n > 3 || v > 255)
            return false;
        if (part < 3) {
            if (i >= b || s[i] != '.')
                return false;
            i++;
        }
    }
    return i == b;
}

/*
 * IPv6address = hexpart [ ":" IPv4address ] (RFC 3261 §25.1), with RFC 3986 §3.2.2's counts:
 * eight 16-bit groups (an IPv4 tail counts two), or at most seven when "::" stands for the
 * rest. Bounded: every iteration consumes at least one octet.
 */
static bool ipv6_ok(const char *s, size_t a, size_t b)
{
    unsigned groups = 0;
    bool dbl = false;
    size_t i = a;

    if (i == b)
        return false;
    if (s[i] == ':') {
        if (i + 1 >= b || s[i + 1] != ':')
            return false;
        dbl = true;
        i += 2;
        if (i == b)
            return true;
    }
    for (;;) {
        size_t g = i;
        while (i < b && i - g < 5 && e2u__is_hex((unsigned char)s[i]))
            i++;
        if (i < b && s[i] == '.') {
            if (!ipv4_ok(s, g, b))
                return false;
            groups += 2;
            break;
        }
        if (i == g || i - g > 4)
            return false;
        groups++;
        if (i == b)
            break;
        if (s[i] != ':')
            return false;
        i++;
        if (i < b && s[i] == ':') {
            if (dbl)
                return false;
            dbl = true;
            i++;
            if (i == b)
                break;
        } else if (i == b) {
            return false;
        }
        if (groups > 8)
            return false;
    }
    return dbl ? groups <= 7 : groups == 8;
}

/*
 * hostname = *( domainlabel "." ) toplabel [ "." ] with domainlabel = alphanum /
 * alphanum *( alphanum / "-" ) alphanum and toplabel starting with ALPHA (RFC 3261 §25.1,
 * RFC 3966 §3 and RFC 4694 §4 alike). With decode, escapes count as the octet they encode
 * (the tel: descriptors); without, '%' is just an invalid character (a SIP host).
 */
static int check_domainname(const char *s, size_t a, size_t b, bool decode, const char *what,
                            e2u_diag_t *diag)
{
    size_t top_pos = a; /* first octet of the latest label: the toplabel once the loop ends */
    unsigned char top_first = 0, prev = '.';
    size_t prev_pos = a;

    if (a == b)
        return e2u__diag(diag, E2U_EURI, a, "empty %s at position %zu", what, a);
    for (size_t i = a; i < b;) {
        item_t it = decode ? next_item(s, i, b) : (item_t){(unsigned char)s[i], false, i + 1};
        if (is_raw(it, '.')) {
            if (prev == '.')
                return e2u__diag(diag, E2U_EURI, i, "empty label in %s at position %zu", what, i);
            if (prev == '-')
                return e2u__diag(diag, E2U_EURI, prev_pos,
                                 "label ends with '-' in %s at position %zu", what, prev_pos);
            prev = '.';
        } else if (!it.esc || it.c != '.') {
            if (!e2u__is_alnum(it.c) && it.c != '-')
                return bad_char_in(diag, s, i, b, "in %s", what);
            if (prev == '.') {
                if (it.c == '-')
                    return e2u__diag(diag, E2U_EURI, i,
                                     "label starts with '-' in %s at position %zu", what, i);
                top_pos = i;
                top_first = it.c;
            }
            prev = it.c;
        } else {
            return bad_char_in(diag, s, i, b, "in %s", what); /* an escaped '.' is data, not a dot */
        }
        prev_pos = i;
        i = it.next;
    }
    if (prev == '-')
        return e2u__diag(diag, E2U_EURI, prev_pos, "label ends with '-' in %s at position %zu",
                         what, prev_pos);
    /* toplabel = ALPHA / ALPHA *( alphanum / "-" ) alphanum; a trailing '.' is allowed */
    if (!e2u__is_alpha(top_first))
        return e2u__diag(diag, E2U_EURI, top_pos,
                         "the last label of %s must start with a letter (position %zu)", what,
                         top_pos);
    return 0;
}

/* A SIP-style host [a, b): [IPv6], IPv4, or hostname (first match wins, RFC 3986 §3.2.2). */
static int check_host(const char *s, size_t a, size_t b, const char *what, e2u_diag_t *diag)
{
    if (a == b)
        return e2u__diag(diag, E2U_EURI, a, "empty %s at position %zu", what, a);
    if (s[a] == '[') {
        if (b - a < 2 || s[b - 1] != ']' || !ipv6_ok(s, a + 1, b - 1))
            return e2u__diag(diag, E2U_EURI, a, "invalid IPv6 reference in %s at position %zu",
                             what, a);
        return 0;
    }
    /* An all-numeric last label cannot be a toplabel, so such a host must be an IPv4 address. */
    size_t j = b;
    if (j > a && s[j - 1] == '.')
        j--;
    size_t k = j;
    while (k > a && s[k - 1] != '.')
        k--;
    if (k < j && e2u__is_digit((unsigned char)s[k])) {
        bool numeric = true;
        for (size_t i = a; i < b; i++) {
            if (!e2u__is_digit((unsigned char)s[i]) && s[i] != '.')
                numeric = false;
        }
        if (numeric) {
            if (!ipv4_ok(s, a, b))
                return e2u__diag(diag, E2U_EURI, a,
                                 "invalid IPv4 address in %s at position %zu (four parts of "
                                 "0-255)",
                                 what, a);
            return 0;
        }
    }
    return check_domainname(s, a, b, false, what, diag);
}

/* port = 1*DIGIT, 1..65535, the whole of [a, b). */
static int check_port(const char *s, size_t a, size_t b, uint16_t *port, e2u_diag_t *diag)
{
    unsigned long v = 0;
    if (a == b)
        return e2u__diag(diag, E2U_EURI, a, "empty port after ':' at position %zu", a);
    for (size_t i = a; i < b; i++) {
        if (!e2u__is_digit((unsigned char)s[i]))
            return bad_char(diag, s, i, b, "in the port");
        if (v <= 65535)
            v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v == 0 || v > 65535)
        return e2u__diag(diag, E2U_EURI, a, "port %.*s at position %zu is not in 1-65535",
                         name_len(b - a), s + a, a);
    *port = (uint16_t)v;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* telephone-subscriber: RFC 3966 §3 with the parameters of RFC 4694 §4. */

typedef enum sub_mode {
    SUB_TEL,  /* a tel: URI */
    SUB_SIP,  /* the user part of a sip: URI; the caller ignores failures */
    SUB_ENUM, /* an enum: URI: global only, parameters ignored, no isub */
} sub_mode_t;

typedef enum pkind {
    P_OTHER,
    P_EXT,
    P_ISUB,
    P_CONTEXT,
    P_RN,
    P_NPDI,
    P_CIC,
    P_RN_CONTEXT,
    P_CIC_CONTEXT,
} pkind_t;

static pkind_t param_kind(const char *s, size_t a, size_t b)
{
    static const struct {
        const char *name;
        pkind_t kind;
    } known[] = {
        {"ext", P_EXT},
        {"isub", P_ISUB},
        {"phone-context", P_CONTEXT},
        {"rn", P_RN},
        {"npdi", P_NPDI},
        {"cic", P_CIC},
        {"rn-context", P_RN_CONTEXT},
        {"cic-context", P_CIC_CONTEXT},
    };
    for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
        if (name_is(s, a, b, known[k].name))
            return known[k].kind;
    }
    return P_OTHER;
}

/* global-number-digits = "+" *phonedigit DIGIT *phonedigit, the whole of [a, b). */
static int check_global_digits(const char *s, size_t a, size_t b, const char *what,
                               e2u_diag_t *diag)
{
    bool digit = false;
    size_t i = a;
    item_t it = next_item(s, i, b);
    if (!is_raw(it, '+'))
        return bad_char_in(diag, s, i, b, "in %s", what);
    for (i = it.next; i < b; i = it.next) {
        it = next_item(s, i, b);
        if (e2u__is_digit(it.c))
            digit = true;
        else if (!e2u__is_visual_sep(it.c))
            return bad_char_in(diag, s, i, b, "in %s", what);
    }
    if (!digit)
        return e2u__diag(diag, E2U_EURI, a, "no digits in %s at position %zu", what, a);
    return 0;
}

/* RFC 3966 descriptor = domainname / global-number-digits; RFC 4694 rn-descriptor =
 * domainname / global-hex-digits (hex = true). */
static int check_descriptor(const char *s, size_t a, size_t b, bool hex, const char *what,
                            e2u_diag_t *diag)
{
    if (a < b && is_raw(next_item(s, a, b), '+')) {
        if (!hex)
            return check_global_digits(s, a, b, what, diag);
        /* global-hex-digits = "+" 1*3(DIGIT) *hex-phonedigit */
        if (a + 1 >= b)
            return e2u__diag(diag, E2U_EURI, a, "no digits in %s at position %zu", what, a);
        item_t it = next_item(s, a + 1, b);
        if (!e2u__is_digit(it.c))
            return bad_char_in(diag, s, a + 1, b, "in %s", what);
        for (size_t i = it.next; i < b; i = it.next) {
            it = next_item(s, i, b);
            if (!e2u__is_hex(it.c) && !e2u__is_visual_sep(it.c))
                return bad_char_in(diag, s, i, b, "in %s", what);
        }
        return 0;
    }
    return check_domainname(s, a, b, true, what, diag);
}

/*
 * rn / cic value (RFC 4694 §4): global-hex-digits, or 1*hex-phonedigit starting with a hex
 * digit (local, which then needs its context right after). Normalised into out: '+' and hex
 * digits, or the hex digits, separators dropped, case kept.
 */
static int tel_value(const char *s, size_t a, size_t b, const char *name, char *out, bool *global,
                     e2u_diag_t *diag)
{
    size_t n = 0, i = a;
    item_t it = next_item(s, i, b);
    *global = is_raw(it, '+');
    if (*global) {
        out[n++] = '+';
        i = it.next;
        if (i >= b)
            return e2u__diag(diag, E2U_EURI, i, "%s value has no digits after '+' at position %zu",
                             name, i);
        it = next_item(s, i, b);
        /* "+" 1*3(DIGIT): the country code comes first */
        if (!e2u__is_digit(it.c)) {
            char ob[8];
            return e2u__diag(diag, E2U_EURI, i,
                             "%s value must start with '+' and a country code digit, not %s at "
                             "position %zu",
                             name, render(s, i, b, ob), i);
        }
    } else if (!e2u__is_hex(it.c)) {
        /* local: "The first hex-phonedigit value ... MUST be a hex-decimal digit" */
        char ob[8];
        return e2u__diag(diag, E2U_EURI, i,
                         "%s value must start with '+' or a hex digit, not %s at position %zu",
                         name, render(s, i, b, ob), i);
    }
    for (; i < b; i = it.next) {
        it = next_item(s, i, b);
        if (e2u__is_hex(it.c)) {
            if (n >= E2U_TEL_VALUE_MAX)
                return e2u__diag(diag, E2U_EURI, i,
                                 "%s value longer than %d characters at position %zu", name,
                                 E2U_TEL_VALUE_MAX, i);
            out[n++] = (char)it.c;
        } else if (!e2u__is_visual_sep(it.c)) {
            return bad_char_in(diag, s, i, b, "in the %s value", name);
        }
    }
    out[n] = '\0';
    return 0;
}

/* pvalue = 1*paramchar (param-unreserved / unreserved / pct-encoded); isub's 1*uric when uric. */
static int check_pvalue(const char *s, size_t a, size_t b, bool uric, const char *name,
                        size_t name_n, e2u_diag_t *diag)
{
    char where[80];
    for (size_t i = a; i < b;) {
        item_t it = next_item(s, i, b);
        bool ok = it.esc || is_unreserved2396(it.c) ||
                  (uric ? is_reserved2396(it.c) : is_param_unreserved(it.c));
        if (!ok) {
            snprintf(where, sizeof(where), "in the value of parameter '%.*s'", name_len(name_n),
                     name);
            return bad_char(diag, s, i, b, where);
        }
        i = it.next;
    }
    return 0;
}

/*
 * Parse the telephone-subscriber [start, end) into *t. In SUB_SIP mode the caller passes
 * diag = NULL and treats any failure as "not a telephone number".
 */
static int parse_subscriber(const char *s, size_t start, size_t end, sub_mode_t mode,
                            e2u_telinfo_t *t, e2u_diag_t *diag)
{
    const char *scheme = mode == SUB_ENUM ? "enum:" : "tel:";
    char digits[E2U_NUMBER_MAX_DIGITS];
    unsigned nd = 0;
    size_t nl = 0, i = start;
    item_t it;

    memset(t, 0, sizeof(*t));
    if (i == end || is_raw(next_item(s, i, end), ';'))
        return e2u__diag(diag, E2U_EURI, i, "no telephone number after '%s' at position %zu",
                         scheme, i);

    /* The number: up to the first raw ';'. */
    it = next_item(s, i, end);
    t->global = is_raw(it, '+');
    if (t->global) {
        for (i = it.next; i < end; i = it.next) {
            it = next_item(s, i, end);
            if (is_raw(it, ';'))
                break;
            if (e2u__is_digit(it.c)) {
                if (nd >= E2U_NUMBER_MAX_DIGITS)
                    return e2u__diag(diag, E2U_EURI, i,
                                     "%s number has more than %d digits (position %zu)", scheme,
                                     E2U_NUMBER_MAX_DIGITS, i);
                digits[nd++] = (char)it.c;
            } else if (!e2u__is_visual_sep(it.c)) {
                return bad_char(diag, s, i, end, "in the number");
            }
        }
        /* global-number-digits = "+" *phonedigit DIGIT *phonedigit */
        if (nd == 0)
            return e2u__diag(diag, E2U_EURI, i, "no digits after '+' at position %zu", i);
        if (e2u_number_from_digits(&t->number, digits, nd, E2U_NUMBER_MAX_DIGITS) < 0)
            return e2u__diag(diag, E2U_EURI, start, "invalid number at position %zu", start);
    } else {
        if (mode == SUB_ENUM) {
            char ob[8];
            return e2u__diag(diag, E2U_EURI, i,
                             "an enum: URI holds a global number starting with '+', not %s at "
                             "position %zu (draft-brandner-enum-uri §2)",
                             render(s, i, end, ob), i);
        }
        /* local-number-digits = *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex */
        for (; i < end; i = it.next) {
            it = next_item(s, i, end);
            if (is_raw(it, ';'))
                break;
            if (e2u__is_hex(it.c) || it.c == '*' || it.c == '#') {
                if (nl >= E2U_TEL_VALUE_MAX)
                    return e2u__diag(diag, E2U_EURI, i,
                                     "local number longer than %d characters (position %zu)",
                                     E2U_TEL_VALUE_MAX, i);
                t->local[nl++] = (char)it.c;
            } else if (!e2u__is_visual_sep(it.c)) {
                return bad_char(diag, s, i, end, "in the number");
            }
        }
        if (nl == 0)
            return e2u__diag(diag, E2U_EURI, start, "local number at position %zu has no digits",
                             start);
        t->local[nl] = '\0';
    }

    /* The parameters: ";" pname [ "=" pvalue ], each kind checked by its own rule. */
    struct {
        size_t a, b;
    } names[TEL_MAX_PARAMS];
    unsigned np = 0;
    bool has_ext = false, has_isub = false, has_ctx = false;
    pkind_t want_ctx = P_OTHER; /* P_RN_CONTEXT / P_CIC_CONTEXT right after a local rn / cic */
    size_t want_pos = 0;
    const char *want_name = NULL;

    while (i < end) {
        size_t semi = i; /* s[i] is a raw ';' */
        size_t n0 = i + 1, n1, v0, v1;
        bool has_val = false;
        char where[80];

        for (i = n0; i < end; i = it.next) {
            it = next_item(s, i, end);
            if (!(e2u__is_alnum(it.c) || it.c == '-'))
                break;
        }
        n1 = i;
        if (n0 == n1) {
            if (i == end || is_raw(it, ';') || is_raw(it, '='))
                return e2u__diag(diag, E2U_EURI, n0,
                                 "empty parameter name after ';' at position %zu", n0);
            return bad_char(diag, s, i, end, "in a parameter name");
        }
        v0 = v1 = n1;
        if (i < end) {
            it = next_item(s, i, end);
            if (is_raw(it, '=')) {
                has_val = true;
                for (v0 = i = it.next; i < end; i = it.next) {
                    it = next_item(s, i, end);
                    if (is_raw(it, ';'))
                        break;
                }
                v1 = i;
                if (v0 == v1)
                    return e2u__diag(diag, E2U_EURI, v0,
                                     "empty value for parameter '%.*s' at position %zu",
                                     name_len(n1 - n0), s + n0, v0);
            } else if (!is_raw(it, ';')) {
                snprintf(where, sizeof(where), "after parameter name '%.*s'", name_len(n1 - n0),
                         s + n0);
                return bad_char(diag, s, i, end, where);
            }
        }

        pkind_t kind = param_kind(s, n0, n1);
        if (mode == SUB_ENUM) {
            /* draft-brandner-enum-uri §2 excludes the isdn-subaddress; §3.1 ignores the rest */
            if (kind == P_ISUB)
                return e2u__diag(diag, E2U_EURI, n0,
                                 "isub parameter at position %zu: an enum: URI excludes the "
                                 "ISDN subaddress (draft-brandner-enum-uri §2)",
                                 n0);
            if (has_val) {
                int rc = check_pvalue(s, v0, v1, false, s + n0, n1 - n0, diag);
                if (rc < 0)
                    return rc;
            }
            continue;
        }

        /* A local rn / cic must be followed at once by its context (RFC 4694 §4 local-rn). */
        if (want_ctx != P_OTHER && kind != want_ctx)
            return e2u__diag(diag, E2U_EURI, want_pos,
                             "local %s value needs ';%s-context=' right after it, at position "
                             "%zu (RFC 4694 §4)",
                             want_name, want_name, want_pos);

        /* Each name at most once (RFC 3966 §3; RFC 4694 §4 for rn, npdi and cic). */
        if (np >= TEL_MAX_PARAMS)
            return e2u__diag(diag, E2U_EURI, semi,
                             "more than %d parameters in the telephone number (position %zu)",
                             TEL_MAX_PARAMS, semi);
        for (unsigned k = 0; k < np; k++) {
            if (name_eq(s, names[k].a, names[k].b, n0, n1))
                return e2u__diag(diag, E2U_EURI, n0,
                                 "%.*s parameter given twice at position %zu (RFC 3966 §3%s)",
                                 name_len(n1 - n0), s + n0, n0,
                                 kind == P_RN || kind == P_NPDI || kind == P_CIC ? ", RFC 4694 §4"
                                                                                 : "");
        }
        names[np].a = n0;
        names[np].b = n1;
        np++;

        if (kind != P_OTHER && kind != P_NPDI && !has_val)
            return e2u__diag(diag, E2U_EURI, n1,
                             "%.*s parameter needs a value: '=' expected at position %zu",
                             name_len(n1 - n0), s + n0, n1);
        int rc = 0;
        switch (kind) {
        case P_NPDI:
            if (has_val)
                return e2u__diag(diag, E2U_EURI, n1,
                                 "npdi parameter takes no value: '=' at position %zu (RFC 4694 "
                                 "§4)",
                                 n1);
            t->npdi = true;
            break;
        case P_EXT:
        case P_ISUB:
            if ((kind == P_EXT && has_isub) || (kind == P_ISUB && has_ext))
                return e2u__diag(diag, E2U_EURI, n0,
                                 "ext and isub parameters cannot both appear, second at position "
                                 "%zu (RFC 3966 §5.3)",
                                 n0);
            if (kind == P_EXT) {
                /* extension = ";ext=" 1*phonedigit */
                has_ext = true;
                for (size_t j = v0; j < v1; j = it.next) {
                    it = next_item(s, j, v1);
                    if (!e2u__is_digit(it.c) && !e2u__is_visual_sep(it.c))
                        return bad_char(diag, s, j, v1, "in the ext value");
                }
                t->ext = s + v0;
                t->ext_len = v1 - v0;
            } else {
                /* isdn-subaddress = ";isub=" 1*uric */
                has_isub = true;
                rc = check_pvalue(s, v0, v1, true, s + n0, n1 - n0, diag);
            }
            break;
        case P_CONTEXT:
            has_ctx = true;
            /* On a local number this is the `context` production; on a global one RFC 3966
             * gives it no meaning and it is an ordinary parameter (see the top of the file). */
            if (!t->global)
                rc = check_descriptor(s, v0, v1, false, "the phone-context", diag);
            else
                rc = check_pvalue(s, v0, v1, false, s + n0, n1 - n0, diag);
            t->context = s + v0;
            t->context_len = v1 - v0;
            break;
        case P_RN:
        case P_CIC: {
            bool g;
            const char *nm = kind == P_RN ? "rn" : "cic";
            rc = tel_value(s, v0, v1, nm, kind == P_RN ? t->rn : t->cic, &g, diag);
            if (rc < 0)
                return rc;
            if (kind == P_RN) {
                t->has_rn = true;
                t->rn_global = g;
            } else {
                t->has_cic = true;
                t->cic_global = g;
            }
            if (!g) {
                want_ctx = kind == P_RN ? P_RN_CONTEXT : P_CIC_CONTEXT;
                want_name = nm;
                want_pos = v1;
                continue;
            }
            break;
        }
        case P_RN_CONTEXT:
        case P_CIC_CONTEXT:
            if (want_ctx != kind)
                return e2u__diag(diag, E2U_EURI, n0,
                                 "%.*s parameter at position %zu does not follow a local %s "
                                 "value (RFC 4694 §4)",
                                 name_len(n1 - n0), s + n0, n0,
                                 kind == P_RN_CONTEXT ? "rn" : "cic");
            rc = check_descriptor(
                s, v0, v1, true, kind == P_RN_CONTEXT ? "the rn-context" : "the cic-context", diag);
            if (kind == P_RN_CONTEXT) {
                t->rn_context = s + v0;
                t->rn_context_len = v1 - v0;
            } else {
                t->cic_context = s + v0;
                t->cic_context_len = v1 - v0;
            }
            break;
        case P_OTHER:
            if (has_val)
                rc = check_pvalue(s, v0, v1, false, s + n0, n1 - n0, diag);
            break;
        }
        if (rc < 0)
            return rc;
        want_ctx = P_OTHER;
    }
    if (want_ctx != P_OTHER)
        return e2u__diag(diag, E2U_EURI, want_pos,
                         "local %s value needs ';%s-context=' right after it, at position %zu "
                         "(RFC 4694 §4)",
                         want_name, want_name, want_pos);
    /* local-number = local-number-digits *par context *par */
    if (!t->global && !has_ctx)
        return e2u__diag(diag, E2U_EURI, start,
                         "local %s number needs a phone-context parameter (number at position "
                         "%zu, RFC 3966 §5.1.5)",
                         scheme, start);
    t->present = true;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* sip: and sips: — RFC 3261 §25.1. */

/* Scan [i, end) while the octets belong to a class, escapes allowed; returns where it
 * stopped. */
typedef bool (*octet_class_t)(unsigned char c);

static size_t scan(const char *s, size_t i, size_t end, octet_class_t cls)
{
    while (i < end) {
        if (is_escape(s, i, end))
            i += 3;
        else if (cls((unsigned char)s[i]))
            i++;
        else
            break;
    }
    return i;
}

static bool sip_user_char(unsigned char c)
{
    return is_unreserved2396(c) || is_user_unreserved(c);
}

/* password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
static bool sip_password_char(unsigned char c)
{
    return is_unreserved2396(c) || c == '&' || c == '=' || c == '+' || c == '$' || c == ',';
}

/* paramchar = param-unreserved / unreserved / escaped */
static bool sip_param_char(unsigned char c)
{
    return is_param_unreserved(c) || is_unreserved2396(c);
}

/* hname / hvalue = *( hnv-unreserved / unreserved / escaped ) */
static bool sip_hnv_char(unsigned char c)
{
    return is_hnv_unreserved(c) || is_unreserved2396(c);
}

static int parse_sip(e2u_uri_t *u, const char *s, size_t len, size_t i, e2u_diag_t *diag)
{
    const char *sch = u->scheme == E2U_SCHEME_SIPS ? "sips:" : "sip:";
    size_t user0 = 0, user1 = 0, h0, h1;
    bool has_user = false;

    /* userinfo: '@' cannot appear unescaped in user, password, host, parameters or headers,
     * so the first raw '@' ends the userinfo. */
    const char *at = memchr(s + i, '@', len - i);
    if (at) {
        size_t a = (size_t)(at - s);
        const char *colon = memchr(s + i, ':', a - i);
        user0 = i;
        user1 = colon ? (size_t)(colon - s) : a;
        if (user1 == user0)
            return e2u__diag(diag, E2U_EURI, user0,
                             "%s URI with an empty user part at position %zu", sch, user0);
        size_t e = scan(s, user0, user1, sip_user_char);
        if (e < user1)
            return bad_char(diag, s, e, user1, "in the user part");
        if (colon) {
            e = scan(s, user1 + 1, a, sip_password_char);
            if (e < a)
                return bad_char(diag, s, e, a, "in the password");
        }
        has_user = true;
        h0 = a + 1;
    } else {
        h0 = i;
    }

    /* host */
    if (h0 < len && s[h0] == '[') {
        const char *rb = memchr(s + h0, ']', len - h0);
        if (!rb)
            return e2u__diag(diag, E2U_EURI, h0, "unterminated IPv6 reference '[' at position %zu",
                             h0);
        h1 = (size_t)(rb - s) + 1;
    } else {
        h1 = h0;
        while (h1 < len && s[h1] != ':' && s[h1] != ';' && s[h1] != '?')
            h1++;
    }
    if (h1 == h0)
        return e2u__diag(diag, E2U_EURI, h0, "%s URI without host at position %zu", sch, h0);
    int rc = check_host(s, h0, h1, "the host", diag);
    if (rc < 0)
        return rc;
    i = h1;

    /* [ ":" port ] */
    uint16_t port = 0;
    if (i < len && s[i] == ':') {
        size_t p0 = ++i;
        while (i < len && e2u__is_digit((unsigned char)s[i]))
            i++;
        if (i < len && s[i] != ';' && s[i] != '?')
            return bad_char(diag, s, i, len, "in the port");
        rc = check_port(s, p0, i, &port, diag);
        if (rc < 0)
            return rc;
    } else if (i < len && s[i] != ';' && s[i] != '?') {
        return bad_char(diag, s, i, len, "after the host");
    }

    /* uri-parameters = *( ";" uri-parameter ); other-param = pname [ "=" pvalue ] covers the
     * named ones syntactically; only user=phone is interpreted. */
    while (i < len && s[i] == ';') {
        size_t n0 = ++i, n1;
        i = scan(s, i, len, sip_param_char);
        n1 = i;
        if (n0 == n1) {
            if (i == len || s[i] == ';' || s[i] == '=' || s[i] == '?')
                return e2u__diag(diag, E2U_EURI, n0,
                                 "empty uri-parameter name after ';' at position %zu", n0);
            return bad_char(diag, s, i, len, "in a uri-parameter");
        }
        if (i < len && s[i] == '=') {
            size_t v0 = ++i;
            i = scan(s, i, len, sip_param_char);
            size_t v1 = i;
            if (v0 == v1)
                return e2u__diag(diag, E2U_EURI, v0,
                                 "empty value for uri-parameter '%.*s' at position %zu",
                                 name_len(n1 - n0), s + n0, v0);
            /* user-param = "user=" ( "phone" / "ip" / other-user ); compared in any case */
            if (name_is(s, n0, n1, "user") && name_is(s, v0, v1, "phone"))
                u->user_phone = true;
        }
        if (i < len && s[i] != ';' && s[i] != '?')
            return bad_char(diag, s, i, len, "in a uri-parameter");
    }

    /* headers = "?" header *( "&" header ); header = hname "=" hvalue; hname non-empty */
    if (i < len && s[i] == '?') {
        do {
            size_t n0 = ++i;
            i = scan(s, i, len, sip_hnv_char);
            if (i == n0)
                return e2u__diag(diag, E2U_EURI, n0, "empty header name at position %zu", n0);
            if (i >= len || s[i] != '=') {
                if (i < len && s[i] != '&')
                    return bad_char(diag, s, i, len, "in a header name");
                return e2u__diag(diag, E2U_EURI, i, "header '%.*s' without '=' at position %zu",
                                 name_len(i - n0), s + n0, i);
            }
            i = scan(s, i + 1, len, sip_hnv_char);
        } while (i < len && s[i] == '&');
        if (i < len)
            return bad_char(diag, s, i, len, "in a header value");
    }

    if (has_user) {
        u->user = s + user0;
        u->user_len = user1 - user0;
        /* RFC 3261 §19.1.6: a telephone-subscriber as user part (see the top of the file) */
        item_t first = next_item(s, user0, user1);
        if (is_raw(first, '+') || u->user_phone) {
            e2u_telinfo_t t;
            if (parse_subscriber(s, user0, user1, SUB_SIP, &t, NULL) == 0)
                u->tel = t;
        }
    }
    u->host = s + h0;
    u->host_len = h1 - h0;
    u->port = port;
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* pres: and im: — RFC 3859 / RFC 3860 Appendix A.2: scheme ":" [ to ] [ headers ]. */

static int parse_pres_im(e2u_uri_t *u, const char *s, size_t len, size_t i, e2u_diag_t *diag)
{
    const char *sch = u->scheme == E2U_SCHEME_PRES ? "pres:" : "im:";
    const char *qp = memchr(s + i, '?', len - i);
    size_t q = qp ? (size_t)(qp - s) : len;

    if (q > i) {
        /* to = mailbox, read as addr-spec: local-part "@" domain */
        const char *at = memchr(s + i, '@', q - i);
        if (!at)
            return e2u__diag(diag, E2U_EURI, i,
                             "%s mailbox at position %zu has no '@' (local-part@domain)", sch, i);
        size_t a = (size_t)(at - s);
        if (a == i)
            return e2u__diag(diag, E2U_EURI, i,
                             "%s mailbox with an empty local part at position %zu", sch, i);
        /* local-part = dot-atom of atext (or %HH): no empty atom between dots */
        for (size_t j = i; j < a;) {
            if (s[j] == '.') {
                if (j == i || s[j - 1] == '.' || j + 1 == a)
                    return e2u__diag(diag, E2U_EURI, j,
                                     "misplaced '.' in the mailbox local part at position %zu", j);
                j++;
            } else if (is_escape(s, j, a)) {
                j += 3;
            } else if (is_atext_uri((unsigned char)s[j])) {
                j++;
            } else {
                return bad_char(diag, s, j, a, "in the mailbox local part");
            }
        }
        if (a + 1 == q)
            return e2u__diag(diag, E2U_EURI, a + 1, "%s mailbox without a domain at position %zu",
                             sch, a + 1);
        int rc = check_host(s, a + 1, q, "the mailbox domain", diag);
        if (rc < 0)
            return rc;
        u->user = s + i;
        u->user_len = a - i;
        u->host = s + a + 1;
        u->host_len = q - a - 1;
    }
    if (q < len) {
        /* headers = "?" header *( "&" header ), header = hname "=" hvalue, both *uric: the
         * query matches iff it is all uric and holds at least one '=' */
        bool eq = false;
        for (size_t j = q + 1; j < len;) {
            if (is_escape(s, j, len)) {
                j += 3;
                continue;
            }
            unsigned char c = (unsigned char)s[j];
            if (!is_reserved2396(c) && !is_unreserved2396(c))
                return bad_char(diag, s, j, len, "in the headers");
            if (c == '=')
                eq = true;
            j++;
        }
        if (!eq)
            return e2u__diag(diag, E2U_EURI, q,
                             "%s headers at position %zu without any name=value pair", sch, q);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Any other scheme: RFC 3986 Appendix A, absolute-URI = scheme ":" hier-part [ "?" query ]. */

static bool userinfo_char(unsigned char c)
{
    return is_unreserved(c) || is_subdelim(c) || c == ':';
}

static bool regname_char(unsigned char c)
{
    return is_unreserved(c) || is_subdelim(c);
}

static bool path_char(unsigned char c)
{
    return is_pchar(c) || c == '/';
}

static bool query_char(unsigned char c)
{
    return is_pchar(c) || c == '/' || c == '?';
}

/* IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
static bool ipvfuture_ok(const char *s, size_t a, size_t b)
{
    size_t i = a;
    if (i >= b || (s[i] | 0x20) != 'v')
        return false;
    i++;
    size_t h = i;
    while (i < b && e2u__is_hex((unsigned char)s[i]))
        i++;
    if (i == h || i >= b || s[i] != '.')
        return false;
    i++;
    if (i == b)
        return false;
    for (; i < b; i++) {
        if (!userinfo_char((unsigned char)s[i]))
            return false;
    }
    return true;
}

static int check_generic(const char *s, size_t len, size_t i, e2u_diag_t *diag)
{
    const char *qp = memchr(s + i, '?', len - i);
    size_t q = qp ? (size_t)(qp - s) : len;
    size_t e;

    if (q - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
        /* "//" authority path-abempty; authority = [ userinfo "@" ] host [ ":" port ] */
        size_t a0 = i + 2, a1 = a0;
        while (a1 < q && s[a1] != '/')
            a1++;
        const char *at = memchr(s + a0, '@', a1 - a0);
        size_t h = a0;
        if (at) {
            h = (size_t)(at - s);
            e = scan(s, a0, h, userinfo_char);
            if (e < h)
                return bad_char(diag, s, e, h, "in the userinfo");
            h++;
        }
        size_t p; /* the end of the host */
        if (h < a1 && s[h] == '[') {
            /* IP-literal = "[" ( IPv6address / IPvFuture ) "]" */
            const char *rb = memchr(s + h, ']', a1 - h);
            if (!rb)
                return e2u__diag(diag, E2U_EURI, h, "unterminated IP literal '[' at position %zu",
                                 h);
            size_t r = (size_t)(rb - s);
            if (!ipv6_ok(s, h + 1, r) && !ipvfuture_ok(s, h + 1, r))
                return e2u__diag(diag, E2U_EURI, h, "invalid IP literal at position %zu", h);
            p = r + 1;
        } else {
            /* reg-name = *( unreserved / pct-encoded / sub-delims ); covers IPv4address */
            p = scan(s, h, a1, regname_char);
        }
        if (p < a1) {
            if (s[p] != ':')
                return bad_char(diag, s, p, a1, "in the host");
            for (size_t j = p + 1; j < a1; j++) {
                if (!e2u__is_digit((unsigned char)s[j]))
                    return bad_char(diag, s, j, a1, "in the port");
            }
        }
        i = a1;
    }
    /* path-abempty / path-absolute / path-rootless / path-empty: pchar and '/' */
    e = scan(s, i, q, path_char);
    if (e < q)
        return bad_char(diag, s, e, q, "in the path (RFC 3986 §3.3)");
    if (q < len) {
        e = scan(s, q + 1, len, query_char);
        if (e < len)
            return bad_char(diag, s, e, len, "in the query (RFC 3986 §3.4)");
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */

static const struct {
    const char *name;
    e2u_scheme_t scheme;
} schemes[] = {
    {"sip", E2U_SCHEME_SIP},   {"sips", E2U_SCHEME_SIPS}, {"tel", E2U_SCHEME_TEL},
    {"pres", E2U_SCHEME_PRES}, {"im", E2U_SCHEME_IM},     {"enum", E2U_SCHEME_ENUM},
};

const char *e2u_scheme_name(e2u_scheme_t scheme)
{
    for (size_t k = 0; k < sizeof(schemes) / sizeof(schemes[0]); k++) {
        if (schemes[k].scheme == scheme)
            return schemes[k].name;
    }
    return NULL;
}

/* Pass 1: scheme ":" and the octets RFC 3986 allows, escapes well-formed, no fragment.
 * Returns the length of the scheme. */
/* unreserved / gen-delims without '#' / sub-delims (RFC 3986 §2.2, §2.3) as a bitmap of the
 * octets 0..127, tested in one step because this pass sees every octet of every result:
 *   ALPHA DIGIT - . _ ~   : / ? [ ] @   ! $ & ' ( ) * + , ; =                                 */
static bool is_uri_char(unsigned char c)
{
    static const uint64_t lo = 0xafffffd200000000ull, hi = 0x47fffffeafffffffull;
    return c < 64 ? (lo >> c) & 1 : c < 128 ? (hi >> (c - 64)) & 1 : false;
}

static int check_octets(const char *s, size_t len, size_t *scheme_len, e2u_diag_t *diag)
{
    char ob[8];
    size_t i = 0;

    if (len == 0)
        return e2u__diag(diag, E2U_EURI, 0, "empty URI at position 0");
    if (!e2u__is_alpha((unsigned char)s[0]))
        return e2u__diag(diag, E2U_EURI, 0,
                         "not an absolute URI: it must start with a scheme, not %s at position 0 "
                         "(RFC 3986 §3.1)",
                         e2u__octet((unsigned char)s[0], ob));
    while (i < len && is_scheme_char((unsigned char)s[i]))
        i++;
    if (i == len)
        return e2u__diag(diag, E2U_EURI, i,
                         "not an absolute URI: no ':' after the scheme (position %zu)", i);
    if (s[i] != ':')
        return bad_char(diag, s, i, len, "in the scheme (RFC 3986 §3.1)");
    *scheme_len = i;
    for (i++; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (!is_escape(s, i, len))
                return e2u__diag(diag, E2U_EURI, i,
                                 "malformed %%-escape at position %zu: '%%' must be followed by "
                                 "two hex digits (RFC 3986 §2.1)",
                                 i);
            i += 2;
        } else if (c == '#') {
            return e2u__diag(diag, E2U_EURI, i,
                             "fragment '#' at position %zu: an ENUM result is an absolute URI, "
                             "which has none (RFC 3986 §4.3)",
                             i);
        } else if (!is_uri_char(c)) {
            return bad_char(diag, s, i, len, "");
        }
    }
    return 0;
}

int e2u_uri_parse(e2u_uri_t *out, const char *s, size_t len, e2u_diag_t *diag)
{
    size_t slen = 0;
    int rc;

    if (!out)
        return e2u__diag(diag, E2U_EINVAL, 0, "no result structure given");
    if (!s && len) {
        memset(out, 0, sizeof(*out));
        return e2u__diag(diag, E2U_EINVAL, 0, "no URI given");
    }
    if (!s)
        s = "";

    rc = check_octets(s, len, &slen, diag);
    if (rc < 0) {
        memset(out, 0, sizeof(*out));
        return rc;
    }
    /* parse in place: the caller's struct is written once, and cleared again on failure */
    e2u_uri_t *u = out;
    memset(u, 0, sizeof(*u));
    u->scheme = E2U_SCHEME_OTHER;
    for (size_t k = 0; k < sizeof(schemes) / sizeof(schemes[0]); k++) {
        if (e2u__ieq(s, slen, schemes[k].name))
            u->scheme = schemes[k].scheme;
    }
    u->scheme_str = s;
    u->scheme_len = slen;

    size_t i = slen + 1;
    switch (u->scheme) {
    case E2U_SCHEME_SIP:
    case E2U_SCHEME_SIPS:
        rc = parse_sip(u, s, len, i, diag);
        break;
    case E2U_SCHEME_TEL:
        rc = parse_subscriber(s, i, len, SUB_TEL, &u->tel, diag);
        break;
    case E2U_SCHEME_ENUM: {
        /* only the number counts (draft §3.1): keep it, drop what the parameters filled */
        e2u_telinfo_t t;
        rc = parse_subscriber(s, i, len, SUB_ENUM, &t, diag);
        if (rc == 0) {
            u->tel.present = true;
            u->tel.global = true;
            u->tel.number = t.number;
        }
        break;
    }
    case E2U_SCHEME_PRES:
    case E2U_SCHEME_IM:
        rc = parse_pres_im(u, s, len, i, diag);
        break;
    case E2U_SCHEME_OTHER:
        rc = check_generic(s, len, i, diag);
        break;
    }
    if (rc < 0) {
        memset(out, 0, sizeof(*out));
        return rc;
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* tel: to sip: — RFC 3261 §19.1.6. */

typedef struct outbuf {
    char *p;
    size_t cap, n;
} outbuf_t;

static void put(outbuf_t *o, const char *src, size_t n)
{
    if (o->n < o->cap && n <= o->cap - o->n)
        memcpy(o->p + o->n, src, n);
    o->n += n; /* counts on past the end so the caller learns the size needed */
}

int e2u_tel_to_sip(const char *tel, size_t len, const char *host, size_t hostlen, bool sips,
                   char *buf, size_t cap, size_t *outlen, e2u_diag_t *diag)
{
    static const char hexd[] = "0123456789ABCDEF";
    e2u_uri_t u;
    int rc;

    if (buf && cap)
        buf[0] = '\0';
    if ((!tel && len) || (!host && hostlen) || (!buf && cap))
        return e2u__diag(diag, E2U_EINVAL, 0, "missing argument");
    rc = e2u_uri_parse(&u, tel, len, diag);
    if (rc < 0)
        return rc;
    if (u.scheme != E2U_SCHEME_TEL)
        return e2u__diag(diag, E2U_EURI, 0, "not a tel: URI: scheme '%.*s' at position 0",
                         name_len(u.scheme_len), u.scheme_str);

    /* host [ ":" port ], exactly as a SIP URI's hostport; positions are offsets into host */
    size_t h1;
    if (hostlen == 0)
        return e2u__diag(diag, E2U_EURI, 0, "no host given for the SIP URI (position 0)");
    if (host[0] == '[') {
        const char *rb = memchr(host, ']', hostlen);
        h1 = rb ? (size_t)(rb - host) + 1 : hostlen;
    } else {
        const char *colon = memchr(host, ':', hostlen);
        h1 = colon ? (size_t)(colon - host) : hostlen;
    }
    rc = check_host(host, 0, h1, "the host", diag);
    if (rc < 0)
        return rc;
    if (h1 < hostlen) {
        uint16_t port;
        if (host[h1] != ':')
            return bad_char(diag, host, h1, hostlen, "after the host");
        rc = check_port(host, h1 + 1, hostlen, &port, diag);
        if (rc < 0)
            return rc;
    }

    /* "the entire telephone-subscriber portion of the tel URL, including any parameters, is
     * placed into the userinfo part" (§19.1.6), as written; what `user` does not allow is
     * escaped (§19.1.2, §25.1). Existing escapes are kept: never encode twice (RFC 3986 §2.4). */
    outbuf_t o = {buf, cap, 0};
    put(&o, sips ? "sips:" : "sip:", sips ? 5 : 4);
    for (size_t i = u.scheme_len + 1; i < len; i++) {
        unsigned char c = (unsigned char)tel[i];
        if (c == '%') {
            put(&o, tel + i, 3); /* well-formed: e2u_uri_parse checked it */
            i += 2;
        } else if (sip_user_char(c)) {
            put(&o, (const char *)&c, 1);
        } else {
            char e[3] = {'%', hexd[c >> 4], hexd[c & 15]};
            put(&o, e, 3);
        }
    }
    put(&o, "@", 1);
    put(&o, host, hostlen);
    put(&o, ";user=phone", 11);
    if (o.n >= cap) {
        if (buf && cap)
            buf[0] = '\0';
        return e2u__diag(diag, E2U_ENOSPC, 0, "the SIP URI needs %zu bytes, the buffer has %zu",
                         o.n + 1, cap);
    }
    buf[o.n] = '\0';
    if (outlen)
        *outlen = o.n;
    return 0;
}
