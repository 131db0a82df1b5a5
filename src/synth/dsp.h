/* DSP primitives shared by the instruments, effects and master bus: fixed
 * control block, sine approximation, one-pole smoothers, a state-variable
 * filter, an exponential envelope, a DC blocker.
 * Plain inline values, no heap, no globals; thread-safety is the owner's.
 *
 * Timing model: every stage runs a control update ("tick") at absolute
 * multiples of AU_BLOCK frames and per-sample code in between, so output
 * never depends on how a caller slices its blocks. */
#ifndef AU_DSP_H
#define AU_DSP_H

#include <math.h>
#include <stdint.h>

#include "simd.h"

#define AU_BLOCK 32 /* frames per control tick (0.67 ms at 48 kHz) */
#define AU_PI 3.14159265358979323846
#define AU_PIF 3.14159265f

/* sin(2*pi*p) for p in [0, 1): folded 9th-order odd polynomial, max error
 * 4e-6 (harmonics below -100 dB). Branch-free so lane loops vectorise. */
static inline float au_sin2pi(float p)
{
    float x = p - 0.5f; /* [-0.5, 0.5): sin(2 pi p) = -sin(2 pi x) */
    float h = x > 0.25f ? 0.5f - x : x;
    h = h < -0.25f ? -0.5f - h : h;
    float t = h * (2.0f * AU_PIF);
    float t2 = t * t;
    float s = t * (1.0f + t2 * (-1.6666667e-1f +
                                t2 * (8.3333310e-3f +
                                      t2 * (-1.9840874e-4f +
                                            t2 * 2.7525562e-6f))));
    return -s;
}

/* sin(t) for |t| <= pi/2: the 9th-order odd polynomial of au_sin2pi */
static inline float au_sinpoly(float t)
{
    float t2 = t * t;
    return t * (1.0f + t2 * (-1.6666667e-1f +
                             t2 * (8.3333310e-3f +
                                   t2 * (-1.9840874e-4f +
                                         t2 * 2.7525562e-6f))));
}

static inline float au_db_to_gain(float db)
{
    return powf(10.0f, db * 0.05f);
}

static inline float au_gain_to_db(float g)
{
    return 20.0f * log10f(g > 1e-12f ? g : 1e-12f);
}

/* 2^x for control-rate code (pitch, cutoff): a degree-6 polynomial on the
 * fractional part and the exponent bits, relative error ~1e-7 (0.0002
 * cent) for |x| < 100; several times cheaper than exp2f. */
static inline float au_exp2(float x)
{
    x = x < -100.0f ? -100.0f : x > 100.0f ? 100.0f : x;
    float fl = floorf(x), f = x - fl;
    float p = 2.1540580e-4f; /* least-squares fit of 2^f, p(1) = 2 */
    p = 1.2482863e-3f + f * p;
    p = 9.6745472e-3f + f * p;
    p = 5.5485323e-2f + f * p;
    p = 2.4022940e-1f + f * p;
    p = 6.9314700e-1f + f * p;
    p = 1.0f + f * p;
    union {
        float f;
        int32_t i;
    } u = {p};
    u.i = (int32_t)((uint32_t)u.i + ((uint32_t)(int32_t)fl << 23)); /* no UB */
    return u.f;
}

static inline float au_midi_hz(float note)
{
    return 440.0f * au_exp2((note - 69.0f) * (1.0f / 12.0f));
}

/* Per-sample coefficient of a one-pole reaching 63% in tau seconds. */
static inline float au_tau_coef(float tau_s, float rate)
{
    if (tau_s <= 0.0f) return 1.0f;
    return 1.0f - expf(-1.0f / (tau_s * rate));
}

/* One-pole smoother: y += c * (x - y). Used per sample or per tick. */
typedef struct {
    float y, c;
} au_smooth;

static inline void au_smooth_init(au_smooth *s, float value, float tau_s,
                                  float rate)
{
    s->y = value;
    s->c = au_tau_coef(tau_s, rate);
}

static inline float au_smooth_step(au_smooth *s, float target)
{
    s->y += s->c * (target - s->y);
    return s->y;
}

/* Linear ramp across one control block: set() at a tick gives the value the
 * ramp reaches at the end of the block; step() per sample. */
typedef struct {
    float v, inc;
} au_ramp;

static inline void au_ramp_set(au_ramp *r, float target)
{
    r->inc = (target - r->v) * (1.0f / AU_BLOCK);
}

/* State-variable filter (Simper's trapezoidal SVF, "linear trapezoidal
 * optimised SVF"): stable under fast modulation, exact bilinear response of
 * H(s) = 1 / (s^2 + k s + 1) at the prewarped cutoff. */
typedef struct {
    float a1, a2, a3, k;
} au_svf_coef;

typedef struct {
    float ic1, ic2;
} au_svf;

/* q: 0.5 (no peak) .. ~10; cutoff clamped below Nyquist */
static inline au_svf_coef au_svf_design(float cutoff_hz, float q, float rate)
{
    au_svf_coef c;
    float fc = cutoff_hz;
    if (fc < 10.0f) fc = 10.0f;
    if (fc > 0.45f * rate) fc = 0.45f * rate;
    /* tan(pi fc / rate) as sin / cos of t in (0, 0.45 pi] (the odd
     * polynomial of au_sin2pi, exact to ~1e-7 near 0, 4e-6 at pi/2):
     * cheaper than tanf for per-voice, per-block designs */
    float t = AU_PIF * fc / rate, u = 0.5f * AU_PIF - t;
    float g = au_sinpoly(t) / au_sinpoly(u);
    c.k = 1.0f / (q > 0.1f ? q : 0.1f);
    c.a1 = 1.0f / (1.0f + g * (g + c.k));
    c.a2 = g * c.a1;
    c.a3 = g * c.a2;
    return c;
}

/* One sample of the trapezoidal SVF: updates the state and gives the
 * band-pass (v1) and low-pass (v2) outputs; the high-pass is derived. */
static inline void au_svf_tick(au_svf *s, const au_svf_coef *c, float x,
                               float *v1, float *v2)
{
    float v3 = x - s->ic2;
    *v1 = c->a1 * s->ic1 + c->a2 * v3;
    *v2 = s->ic2 + c->a2 * s->ic1 + c->a3 * v3;
    s->ic1 = 2.0f * *v1 - s->ic1;
    s->ic2 = 2.0f * *v2 - s->ic2;
}

/* A biquad (b0 b1 b2 a1 a2, direct form I) on vector lanes (a stereo
 * bus: channels as lanes 0 and 1), its coefficients broadcast. The terms
 * of the older samples are summed first: the loop-carried chain is y1 ->
 * a1 y1 -> subtract, two operations a sample. */
typedef struct {
    v8f b0, b1, b2, a1, a2, x1, x2, y1, y2;
} au_bq_lanes;

/* co: b0 b1 b2 a1 a2; st: x1, x2, y1, y2 as (left, right) pairs, 8
 * floats */
static inline au_bq_lanes au_bq_lanes_load(const float *co, const float *st)
{
    return (au_bq_lanes){v8_set(co[0]), v8_set(co[1]), v8_set(co[2]),
                         v8_set(co[3]), v8_set(co[4]),
                         (v8f){st[0], st[1], 0.0f, 0.0f},
                         (v8f){st[2], st[3], 0.0f, 0.0f},
                         (v8f){st[4], st[5], 0.0f, 0.0f},
                         (v8f){st[6], st[7], 0.0f, 0.0f}};
}

static inline void au_bq_lanes_save(const au_bq_lanes *p, float *st)
{
    const v8f *v[4] = {&p->x1, &p->x2, &p->y1, &p->y2};
    for (int k = 0; k < 4; k++) {
        st[2 * k] = (*v[k])[0];
        st[2 * k + 1] = (*v[k])[1];
    }
}

static inline v8f au_bq_tick(au_bq_lanes *p, v8f x)
{
    v8f y = ((p->b0 * x + p->b1 * p->x1) + (p->b2 * p->x2 - p->a2 * p->y2)) -
            p->a1 * p->y1;
    p->x2 = p->x1;
    p->x1 = x;
    p->y2 = p->y1;
    p->y1 = y;
    return y;
}

/* Four stereo samples at a time: L[i..i+3], R[i..i+3] as four (left,
 * right) pairs in lanes 0 and 1 (lanes 2 and 3 carry the next pair
 * along, unused), and back */
static inline void au_lr_split4(const float *L, const float *R, v8f p[4])
{
    v8f l = v8_load(L), r = v8_load(R);
    v8f a = AU_SHUF(l, r, 0, 4, 1, 5), b = AU_SHUF(l, r, 2, 6, 3, 7);
    p[0] = a;
    p[1] = AU_SHUF(a, a, 2, 3, 2, 3);
    p[2] = b;
    p[3] = AU_SHUF(b, b, 2, 3, 2, 3);
}

static inline void au_lr_join4(const v8f p[4], float *L, float *R)
{
    v8f a = AU_SHUF(p[0], p[1], 0, 1, 4, 5), b = AU_SHUF(p[2], p[3], 0, 1, 4, 5);
    v8_store(L, AU_SHUF(a, b, 0, 2, 4, 6));
    v8_store(R, AU_SHUF(a, b, 1, 3, 5, 7));
}

/* The same SVF four samples a step, for a filter with fixed coefficients
 * over many samples (noise bands): the state (ic1, ic2) after four
 * samples, and each of the four band-pass outputs, are linear in the
 * state before and the four inputs. One step is then a few independent
 * vector products, and the recursion that bounds the sample-by-sample
 * filter (a chain of five dependent operations a sample) is one short
 * chain per four samples. Equal to au_svf_tick's band-pass within float
 * rounding. au_svf_blk_design (dsp.c) makes the matrices from the
 * coefficients, in double. */
typedef struct {
    v8f p1, p2; /* output lane k from ic1, ic2 */
    v8f q[4];   /* output lane k from input j (zero for k < j) */
    v8f r1, r2; /* next (ic1, ic2) in lanes 0, 1 from ic1, ic2 */
    v8f u[4];   /* next (ic1, ic2) from input j */
} au_svf_blk;

void au_svf_blk_design(au_svf_blk *b, const au_svf_coef *c);

/* four samples x: returns the four band-pass outputs; *st holds (ic1,
 * ic2) in lanes 0, 1 */
static inline v8f au_svf_blk4(v8f *st, const au_svf_blk *b, v8f x)
{
    v8f x0 = AU_SHUF(x, x, 0, 0, 0, 0), x1 = AU_SHUF(x, x, 1, 1, 1, 1),
        x2 = AU_SHUF(x, x, 2, 2, 2, 2), x3 = AU_SHUF(x, x, 3, 3, 3, 3);
    v8f s1 = AU_SHUF(*st, *st, 0, 0, 0, 0), s2 = AU_SHUF(*st, *st, 1, 1, 1, 1);
    v8f y = (b->p1 * s1 + b->p2 * s2) +
            ((b->q[0] * x0 + b->q[1] * x1) + (b->q[2] * x2 + b->q[3] * x3));
    *st = (b->r1 * s1 + b->r2 * s2) +
          ((b->u[0] * x0 + b->u[1] * x1) + (b->u[2] * x2 + b->u[3] * x3));
    return y;
}

static inline float au_svf_lp(au_svf *s, const au_svf_coef *c, float x)
{
    float v1, v2;
    au_svf_tick(s, c, x, &v1, &v2);
    return v2;
}

static inline float au_svf_bp(au_svf *s, const au_svf_coef *c, float x)
{
    float v1, v2;
    au_svf_tick(s, c, x, &v1, &v2);
    return v1;
}

static inline float au_svf_hp(au_svf *s, const au_svf_coef *c, float x)
{
    float v1, v2;
    au_svf_tick(s, c, x, &v1, &v2);
    return x - c->k * v1 - v2;
}

/* Analytic magnitude of the SVF low-pass at f (for tests and docs). */
double au_svf_lp_mag(double cutoff_hz, double q, double f, double rate);

/* Exponential envelope: env += coef * (target - env) per sample.
 * Attack aims at 1.25 so it reaches 1.0 in finite time (analogue shape);
 * stage changes happen at ticks. Times are in seconds:
 * attack = time to reach full level, release = time to fall by 60 dB. */
enum { AU_ENV_IDLE, AU_ENV_ATTACK, AU_ENV_SUSTAIN, AU_ENV_RELEASE,
       AU_ENV_STEAL };

typedef struct {
    float v, target, coef;
    int stage;
} au_env;

#define AU_ENV_OVERSHOOT 1.25f
#define AU_ENV_FLOOR 1e-4f /* -80 dB: below this a released voice is idle */
#define AU_STEAL_S 0.004f  /* fade of a stolen voice */

static inline float au_env_attack_coef(float attack_s, float rate)
{
    /* from 0 toward 1.25, reaching 1.0 after attack_s: tau = t / ln 5 */
    return au_tau_coef(attack_s / 1.6094379f, rate);
}

static inline float au_env_release_coef(float release_s, float rate)
{
    /* 60 dB in release_s: tau = t / ln 1000 */
    return au_tau_coef(release_s / 6.9077553f, rate);
}

static inline float au_env_step(au_env *e)
{
    e->v += e->coef * (e->target - e->v);
    return e->v;
}

/* DC blocker: y = x - x1 + r * y1 (pole near 1), about 5 Hz at 48 kHz. */
typedef struct {
    float x1, y1, r;
} au_dcblock;

static inline void au_dcblock_init(au_dcblock *d, float hz, float rate)
{
    d->x1 = d->y1 = 0.0f;
    d->r = 1.0f - 2.0f * AU_PIF * hz / rate;
}

static inline float au_dcblock_step(au_dcblock *d, float x)
{
    float y = x - d->x1 + d->r * d->y1;
    d->x1 = x;
    d->y1 = y;
    return y;
}

/* Low-frequency oscillator: a phase and a rate, read at control rate. */
typedef struct {
    float phase, inc; /* inc per tick */
} au_lfo;

static inline void au_lfo_init(au_lfo *l, float hz, float phase, float rate)
{
    l->phase = phase - floorf(phase);
    l->inc = hz * AU_BLOCK / rate;
}

static inline float au_lfo_tick(au_lfo *l)
{
    l->phase += l->inc;
    if (l->phase >= 1.0f) l->phase -= 1.0f;
    return au_sin2pi(l->phase);
}

/* NaN/Inf-safe clamp used where a value could escape (master, sanitise) */
static inline float au_sanitize(float x)
{
    return (x == x && x < 1e6f && x > -1e6f) ? x : 0.0f;
}

#endif
