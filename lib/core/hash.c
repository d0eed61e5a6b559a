/*
 * lib/core/hash.c — SipHash-2-4 (e2u/hash.h).
 *
 * Four 64-bit words of state; each 8-octet word of the message is mixed in with two rounds
 * (the "2"), the last partial word carries the message length in its top octet, and four
 * rounds (the "4") finish. Written from the paper's description (§2) and checked against its
 * test vector (tests/unit/test_hash.c).
 */
#include "e2u/hash.h"

static inline uint64_t rotl(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

typedef struct sip {
    uint64_t v0, v1, v2, v3;
} sip_t;

static inline void round_(sip_t *s)
{
    s->v0 += s->v1;
    s->v1 = rotl(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = rotl(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = rotl(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = rotl(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = rotl(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = rotl(s->v2, 32);
}

static inline void compress(sip_t *s, uint64_t m)
{
    s->v3 ^= m;
    round_(s);
    round_(s);
    s->v0 ^= m;
}

uint64_t e2u_siphash(uint64_t k0, uint64_t k1, const void *data, size_t len)
{
    const uint8_t *in = data;
    /* the initial state: the key over "somepseudorandomlygeneratedbytes" */
    sip_t s = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
               k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t m = 0;
        for (unsigned j = 0; j < 8; j++)
            m |= (uint64_t)in[i + j] << (8 * j);
        compress(&s, m);
    }
    uint64_t last = (uint64_t)len << 56;
    for (unsigned j = 0; i + j < len; j++)
        last |= (uint64_t)in[i + j] << (8 * j);
    compress(&s, last);
    s.v2 ^= 0xff;
    round_(&s);
    round_(&s);
    round_(&s);
    round_(&s);
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
