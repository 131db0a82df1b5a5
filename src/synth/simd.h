/* Portable 4-lane float vectors (GCC/Clang vector extensions; SSE2 and
 * NEON registers): one lane per voice, so a voice bank runs as a handful of
 * wide operations per sample.
 * Arithmetic is plain IEEE (no fused or reassociated operations), so the
 * result is the same whatever the vector width. */
#ifndef AU_SIMD_H
#define AU_SIMD_H

#include <stdint.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#endif

/* Runtime dispatch: on x86 with GCC or Clang the hottest loops are also
 * built for AVX2 (VEX encoding, and 8 lanes for the pads) and chosen at
 * run time. Those builds do the same IEEE operations in the same order
 * (no FMA: "avx2" does not enable it), so the output is bit-identical
 * either way (tested by forcing the generic path). */
#if (defined(__x86_64__) || defined(__i386__)) && \
    (defined(__GNUC__) || defined(__clang__)) && !defined(AU_NO_AVX2)
#define AU_SIMD_DISPATCH 1
#define AU_TARGET_AVX2 __attribute__((target("avx2")))
#else
#define AU_SIMD_DISPATCH 0
#define AU_TARGET_AVX2
#endif

extern int au_simd_level_; /* -1 unknown, 0 generic, 1 AVX2 */
int au_simd_probe_(void);

/* 1 when the AVX2 builds run (thread-safe: every thread finds the same) */
static inline int au_simd_avx2(void)
{
    int l = __atomic_load_n(&au_simd_level_, __ATOMIC_RELAXED);
    return l >= 0 ? l : au_simd_probe_();
}

/* Tests: 1 forces the generic SSE2 builds, 0 returns to the CPU's choice. */
void au_simd_force_generic(int on);

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
#if defined(__SSE__)
    return (v8f)_mm_min_ps((__m128)a, (__m128)b); /* a < b ? a : b */
#else
    return v8_sel(a < b, a, b);
#endif
}

static inline v8f v8_max(v8f a, v8f b)
{
#if defined(__SSE__)
    return (v8f)_mm_max_ps((__m128)a, (__m128)b); /* a > b ? a : b */
#else
    return v8_sel(a > b, a, b);
#endif
}

#if defined(__clang__)
#define AU_SHUF(a, b, ...) __builtin_shufflevector(a, b, __VA_ARGS__)
#else
#define AU_SHUF(a, b, ...) __builtin_shuffle(a, b, (v8i){__VA_ARGS__})
#endif

/* 4x4 transpose in place: r[j][k] <- r[k][j] (unpack/movlh shuffles) */
static inline void v8_transpose4(v8f r[4])
{
    v8f t0 = AU_SHUF(r[0], r[1], 0, 4, 1, 5), t1 = AU_SHUF(r[0], r[1], 2, 6, 3, 7);
    v8f t2 = AU_SHUF(r[2], r[3], 0, 4, 1, 5), t3 = AU_SHUF(r[2], r[3], 2, 6, 3, 7);
    r[0] = AU_SHUF(t0, t2, 0, 1, 4, 5);
    r[1] = AU_SHUF(t0, t2, 2, 3, 6, 7);
    r[2] = AU_SHUF(t1, t3, 0, 1, 4, 5);
    r[3] = AU_SHUF(t1, t3, 2, 3, 6, 7);
}

static inline v8f v8_load(const float *p)
{
    v8f v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline void v8_store(float *p, v8f v)
{
    __builtin_memcpy(p, &v, sizeof v);
}

/* Adds per-lane outputs (one vector per sample, a lane per voice) into L
 * and R: lanes summed four samples at a time through a transpose. */
static inline void au_lanes_sum(v8f *accl, v8f *accr, float *L, float *R,
                                int n)
{
    int i = 0;
    for (; i + AU_LANES <= n; i += AU_LANES) {
        v8_transpose4(accl + i);
        v8_transpose4(accr + i);
        v8_store(L + i, v8_load(L + i) + ((accl[i] + accl[i + 1]) +
                                          (accl[i + 2] + accl[i + 3])));
        v8_store(R + i, v8_load(R + i) + ((accr[i] + accr[i + 1]) +
                                          (accr[i + 2] + accr[i + 3])));
    }
    for (; i < n; i++) {
        L[i] += (accl[i][0] + accl[i][1]) + (accl[i][2] + accl[i][3]);
        R[i] += (accr[i][0] + accr[i][1]) + (accr[i][2] + accr[i][3]);
    }
}

/* subtract 1 where x >= 1 (phase wrap for increments below 1) */
static inline v8f v8_wrap1(v8f x)
{
    return x - (v8f)((v8i)v8_set(1.0f) & (x >= v8_set(1.0f)));
}

/* fractional part of non-negative x (truncation toward zero) */
static inline v8f v8_frac(v8f x)
{
    return x - __builtin_convertvector(__builtin_convertvector(x, v8i), v8f);
}

/* sin(2 pi p), p in [0, 1): the lane version of au_sin2pi, folded with
 * absolute values instead of selects: x = p - 1/2, h = 1/4 - ||x| - 1/4|
 * in [0, 1/4], sin(2 pi p) = -sign(x) sin(2 pi h) */
static inline v8f v8_sin2pi(v8f p)
{
    const v8i absm = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
    v8f x = p - v8_set(0.5f);
    v8f u = (v8f)((v8i)x & absm) - v8_set(0.25f);
    v8f h = v8_set(0.25f) - (v8f)((v8i)u & absm);
    v8f t = h * v8_set(2.0f * 3.14159265f);
    /* Estrin's scheme: a shorter dependency chain than Horner's */
    v8f t2 = t * t, t4 = t2 * t2;
    v8f p01 = v8_set(1.0f) + t2 * v8_set(-1.6666667e-1f);
    v8f p23 = v8_set(8.3333310e-3f) + t2 * v8_set(-1.9840874e-4f);
    v8f s = p01 + t4 * (p23 + t4 * v8_set(2.7525562e-6f));
    s = t * s; /* >= 0 */
    return (v8f)((v8i)s | (~(v8i)x & ~absm));
}

/* sin(t) for |t| <= pi/2 (the polynomial of au_sinpoly) */
static inline v8f v8_sinpoly(v8f t)
{
    v8f t2 = t * t;
    v8f s = v8_set(2.7525562e-6f);
    s = v8_set(-1.9840874e-4f) + t2 * s;
    s = v8_set(8.3333310e-3f) + t2 * s;
    s = v8_set(-1.6666667e-1f) + t2 * s;
    s = v8_set(1.0f) + t2 * s;
    return t * s;
}

/* 2^x, the lane version of au_exp2 (|x| < 100) */
static inline v8f v8_exp2(v8f x)
{
    x = v8_max(v8_min(x, v8_set(100.0f)), v8_set(-100.0f));
    v8i ti = __builtin_convertvector(x, v8i); /* toward zero */
    v8f tf = __builtin_convertvector(ti, v8f);
    v8i fl = ti + (v8i)(tf > x);                /* floor: -1 where x < trunc */
    v8f f = x - __builtin_convertvector(fl, v8f);
    v8f p = v8_set(2.1540580e-4f);
    p = v8_set(1.2482863e-3f) + f * p;
    p = v8_set(9.6745472e-3f) + f * p;
    p = v8_set(5.5485323e-2f) + f * p;
    p = v8_set(2.4022940e-1f) + f * p;
    p = v8_set(6.9314700e-1f) + f * p;
    p = v8_set(1.0f) + f * p;
    typedef uint32_t v8u __attribute__((vector_size(16)));
    return (v8f)((v8u)p + ((v8u)fl << 23)); /* unsigned: no UB */
}

static inline v8f v8_sqrt(v8f x)
{
#if defined(__SSE__)
    return (v8f)_mm_sqrt_ps((__m128)x);
#else
    return (v8f){__builtin_sqrtf(x[0]), __builtin_sqrtf(x[1]),
                 __builtin_sqrtf(x[2]), __builtin_sqrtf(x[3])};
#endif
}

#endif
