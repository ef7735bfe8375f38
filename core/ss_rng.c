/*  ss_rng: xoshiro256** (Blackman, Vigna), seeded with splitmix64. */

#include "ss_rng.h"

static uint64_t
s_splitmix (uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void
ss_rng_seed (ss_rng_t *self, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        self->s [i] = s_splitmix (&seed);
}

static inline uint64_t
s_rotl (uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t
ss_rng_next (ss_rng_t *self)
{
    uint64_t *s = self->s;
    uint64_t result = s_rotl (s [1] * 5, 7) * 9;
    uint64_t t = s [1] << 17;
    s [2] ^= s [0];
    s [3] ^= s [1];
    s [1] ^= s [2];
    s [0] ^= s [3];
    s [2] ^= t;
    s [3] = s_rotl (s [3], 45);
    return result;
}

double
ss_rng_uniform (ss_rng_t *self)
{
    return (double) (ss_rng_next (self) >> 11) * 0x1.0p-53;
}
