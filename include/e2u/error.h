/*
 * e2u/error.h — one error space for the whole library.
 *
 * Every e2u call that can fail returns an int: 0 on success, a negative E2U_E* code otherwise.
 * System errors are mirrored as negative errno values (E2U_ENOMEM is -ENOMEM); e2u's own errors
 * start at -1000. e2u_strerror() turns any of them into a sentence, e2u_errname() into the
 * constant's name ("E2U_ENUMBER"). Both return static strings; never free them.
 *
 * Parsers of untrusted input additionally fill an e2u_diag_t, when the caller passes one, with a
 * message that names what was wrong and where ("invalid character 'x' at position 4").
 */
#ifndef E2U_ERROR_H
#define E2U_ERROR_H

#include <errno.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Marks the exported API; everything else is built with hidden visibility. */
#if defined(__GNUC__)
#define E2U_API __attribute__((visibility("default")))
#else
#define E2U_API
#endif

/* X(name, value, message): the single table behind the enum, e2u_strerror and e2u_errname. */
#define E2U_ERROR_TABLE(X)                                                                         \
    X(E2U_OK, 0, "success")                                                                        \
    X(E2U_ENOMEM, -ENOMEM, "out of memory")                                                        \
    X(E2U_EINVAL, -EINVAL, "invalid argument")                                                     \
    X(E2U_ENOSPC, -ENOSPC, "output buffer too small")                                              \
    X(E2U_EIO, -EIO, "input/output error")                                                         \
    X(E2U_ENOENT, -ENOENT, "no such file or entry")                                                \
    X(E2U_EACCES, -EACCES, "permission denied")                                                    \
    X(E2U_ENUMBER, -1000, "invalid telephone number")                                              \
    X(E2U_EDOMAIN, -1001, "not an ENUM domain name")                                               \
    X(E2U_EDNAME, -1002, "invalid domain name")                                                    \
    X(E2U_ENAPTR, -1003, "malformed NAPTR record")                                                 \
    X(E2U_ESERVICES, -1004, "not an E2U services field")                                           \
    X(E2U_EREGEXP, -1005, "invalid substitution expression")                                       \
    X(E2U_ELIMIT, -1006, "regular expression exceeded its resource limit")                         \
    X(E2U_ENOMATCH, -1007, "regular expression did not match")                                     \
    X(E2U_EURI, -1008, "invalid URI")                                                              \
    X(E2U_ETOOLONG, -1009, "result too long")                                                      \
    X(E2U_ESYNTAX, -1010, "syntax error")                                                          \
    X(E2U_ELOOP, -1011, "redirection loop")                                                        \
    X(E2U_EHOPS, -1012, "too many redirections")                                                   \
    X(E2U_EDNS, -1013, "DNS resolution failed")                                                    \
    X(E2U_ETIMEOUT, -1014, "timed out")                                                            \
    X(E2U_EBOGUS, -1015, "DNSSEC validation failed")                                               \
    X(E2U_ESTORE, -1016, "store error")                                                            \
    X(E2U_EFULL, -1017, "store is full")                                                           \
    X(E2U_ENOZONE, -1018, "no such zone")                                                          \
    X(E2U_EEXIST, -1019, "already exists")                                                         \
    X(E2U_ECORRUPT, -1020, "store is corrupt or of an unknown version")                            \
    X(E2U_EBUSY, -1021, "busy")                                                                    \
    X(E2U_ECANCELED, -ECANCELED, "canceled")

enum e2u_error {
#define E2U__ERR_ENUM(name, value, msg) name = (value),
    E2U_ERROR_TABLE(E2U__ERR_ENUM)
#undef E2U__ERR_ENUM
};

/* A sentence for any e2u return code (also plain negative errno values). Static storage. */
E2U_API const char *e2u_strerror(int code);

/* The constant's name ("E2U_ENUMBER"), or "E2U_UNKNOWN". Static storage. */
E2U_API const char *e2u_errname(int code);

/* Details of a parse failure: the code returned, the byte offset in the input where the problem
 * was found, and a message naming it. Filled only on failure; callers may pass NULL. */
typedef struct e2u_diag {
    int code;      /* the negative code the call returned */
    size_t pos;    /* byte offset into the input that was being parsed */
    char msg[200]; /* NUL-terminated, e.g. "invalid character 'x' at position 4" */
} e2u_diag_t;

#ifdef __cplusplus
}
#endif
#endif
