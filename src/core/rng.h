/* PCG32 (O'Neill, pcg-random.org, XSH-RR variant): the only source of
 * randomness in Auralis. Plain value type: copying a generator forks it.
 * Not thread-safe; each owner keeps its own. */
#ifndef AU_RNG_H
#define AU_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state;
    uint64_t inc;
} au_rng;

/* seed picks the start, stream picks one of 2^63 independent sequences */
static inline uint32_t au_rng_next(au_rng *r)
{
    uint64_t old = r->state;
    r->state = old * 6364136223846793005ULL + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

static inline void au_rng_seed(au_rng *r, uint64_t seed, uint64_t stream)
{
    r->state = 0;
    r->inc = (stream << 1u) | 1u;
    au_rng_next(r);
    r->state += seed;
    au_rng_next(r);
}

/* uniform in [0, 1) with 32 bits of resolution */
static inline double au_rng_unit(au_rng *r)
{
    return au_rng_next(r) * (1.0 / 4294967296.0);
}

static inline float au_rng_unitf(au_rng *r)
{
    return (float)(au_rng_next(r) >> 8) * (1.0f / 16777216.0f);
}

/* uniform integer in [0, n), unbiased (Lemire's method with rejection) */
static inline uint32_t au_rng_below(au_rng *r, uint32_t n)
{
    if (n <= 1) return 0;
    uint64_t m = (uint64_t)au_rng_next(r) * n;
    uint32_t l = (uint32_t)m;
    if (l < n) {
        uint32_t t = (uint32_t)(-n) % n;
        while (l < t) {
            m = (uint64_t)au_rng_next(r) * n;
            l = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

/* uniform in [lo, hi) */
static inline double au_rng_range(au_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * au_rng_unit(r);
}

/* true with probability p */
static inline int au_rng_chance(au_rng *r, double p)
{
    return au_rng_unit(r) < p;
}

/* index drawn from non-negative weights; n >= 1; returns n-1 if all zero */
static inline int au_rng_weighted(au_rng *r, const float *w, int n)
{
    double total = 0;
    for (int i = 0; i < n; i++) total += w[i] > 0 ? w[i] : 0;
    if (total <= 0) return n - 1;
    double x = au_rng_unit(r) * total;
    for (int i = 0; i < n; i++) {
        double wi = w[i] > 0 ? w[i] : 0;
        if (x < wi) return i;
        x -= wi;
    }
    return n - 1;
}

/* splitmix64: turns one seed into many well-spread sub-seeds */
static inline uint64_t au_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

#endif
