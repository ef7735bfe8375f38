/*  ss_rng: a small deterministic generator (xoshiro256**, seeded by
    splitmix64) so that sim, agentd and coordinator draw the same initial
    positions and random graphs from the fleet's seed on any host.
*/
#ifndef SS_RNG_H
#define SS_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s [4];
} ss_rng_t;

void ss_rng_seed (ss_rng_t *self, uint64_t seed);
uint64_t ss_rng_next (ss_rng_t *self);
//  Uniform in [0, 1), 53 bits
double ss_rng_uniform (ss_rng_t *self);

#endif
