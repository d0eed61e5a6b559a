/*
 * e2u/hash.h — a keyed hash for tables whose keys come from the network.
 *
 * A hash table keyed by names or addresses that strangers choose (a resolver's cache, a
 * server's rate-limiting buckets) can be made slow, or made to merge entries, by keys chosen to
 * collide. SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012) with a
 * secret key drawn at start makes that guesswork: nobody without the key can tell which keys
 * collide. Thread-safe, allocates nothing.
 */
#ifndef E2U_HASH_H
#define E2U_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "e2u/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* SipHash-2-4 of data[len] under the 128-bit key (k0, k1): k0 is the key's first eight octets
 * read little-endian, k1 the last eight, and the message is read in little-endian words, as the
 * reference implementation does (its test vector: key 00 01 .. 0f, message 00 01 .. 0e, hash
 * 0xa129ca6149be45e5). */
E2U_API uint64_t e2u_siphash(uint64_t k0, uint64_t k1, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif
