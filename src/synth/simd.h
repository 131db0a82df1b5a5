/* Portable 4-lane float vectors (GCC/Clang vector extensions; SSE2 and
 * NEON registers): one lane per voice, so a voice bank runs as a handful of
 * wide operations per sample.
 * Arithmetic is plain IEEE (no fused or reassociated operations), so the
 * result is the same whatever the vector width. */
#ifndef AU_SIMD_H
#define AU_SIMD_H

#include <stdint.h>


typedef float v8f __attribute__((vector_size(16)));
typedef int32_t v8i __attribute__((vector_size(16)));
#define AU_LANES 4

static inline v8f v8_set(float x)
{
    return (v8f){x, x, x, x};
}

/* mask ? a : b, mask lanes all-ones or zero (result of a comparison) */
static inline v8f v8_sel(v8i mask, v8f a, v8f b)
{
    return (v8f)((mask & (v8i)a) | (~mask & (v8i)b));
}

static inline v8f v8_min(v8f a, v8f b)
{
    return v8_sel(a < b, a, b);
}

/* subtract 1 where x >= 1 (phase wrap for increments below 1) */
static inline v8f v8_wrap1(v8f x)
{
    return x - (v8f)((v8i)v8_set(1.0f) & (x >= v8_set(1.0f)));
}

/* sin(2 pi p), p in [0, 1): the lane version of au_sin2pi */
static inline v8f v8_sin2pi(v8f p)
{
    v8f x = p - v8_set(0.5f);
    v8f h = v8_sel(x > v8_set(0.25f), v8_set(0.5f) - x, x);
    h = v8_sel(h < v8_set(-0.25f), v8_set(-0.5f) - h, h);
    v8f t = h * v8_set(2.0f * 3.14159265f);
    v8f t2 = t * t;
    v8f s = v8_set(2.7525562e-6f);
    s = v8_set(-1.9840874e-4f) + t2 * s;
    s = v8_set(8.3333310e-3f) + t2 * s;
    s = v8_set(-1.6666667e-1f) + t2 * s;
    s = v8_set(1.0f) + t2 * s;
    return -(t * s);
}

/* PolyBLEP saw (-1..1) at phase p with increment dt and 1/dt: the naive
 * ramp minus a two-sample polynomial residual at the reset. */
static inline v8f v8_blep_saw(v8f p, v8f dt, v8f idt)
{
    v8f one = v8_set(1.0f);
    v8f t1 = p * idt;
    v8f r1 = t1 + t1 - t1 * t1 - one;
    v8f t2 = (p - one) * idt;
    v8f r2 = t2 * t2 + t2 + t2 + one;
    v8f r = v8_sel(p < dt, r1, v8_sel(p > one - dt, r2, v8_set(0.0f)));
    return p + p - one - r;
}

#endif
