/* Internal: the sound of each instrument kind (inst_<kind>.c), called by the
 * voice pool in inst.c. setup sets the pool's envelope times; start resets a
 * voice at note on; update recomputes its coefficients at every tick;
 * process renders the active voices of the layer. */
#ifndef AU_INST_KINDS_H
#define AU_INST_KINDS_H

#include <stddef.h>

#include "inst.h"

typedef struct {
    void (*setup)(au_inst *in);
    void (*start)(au_inst *in, int v);
    void (*update)(au_inst *in, int v);
    void (*process)(au_inst *in, float *L, float *R, int n);
    /* optional: replaces the per-voice update at ticks with one call for
     * every sounding voice (a vectorised update) */
    void (*update_all)(au_inst *in);
} au_inst_ops;

extern const au_inst_ops au_pads_ops, au_melody_ops, au_bells_ops,
    au_bass_ops, au_perc_ops, au_texture_ops;

/* one envelope sample, clamped at full level (attack aims above 1) */
static inline float au_inst_env_step(au_env *e)
{
    float v = e->v + e->coef * (e->target - e->v);
    v = v > 1.0f ? 1.0f : v;
    e->v = v;
    return v;
}

/* An SVF (au_svf) kept as its state update for per-voice loops: the same
 * linear map as au_svf_lp/_bp with a shorter dependency chain,
 *   l1' = (2 a1 - 1) l1 + 2 a2 (x - l2)
 *   l2' = (1 - 2 a3) l2 + 2 a2 l1 + 2 a3 x
 * low-pass (l2 + l2') / 2, band-pass (l1 + l1') / 2. */
typedef struct {
    float m11, b1, m22, b2;
} au_svf_ss;

static inline au_svf_ss au_svf_ss_of(const au_svf_coef *c)
{
    au_svf_ss s = {2.0f * c->a1 - 1.0f, 2.0f * c->a2, 1.0f - 2.0f * c->a3,
                   2.0f * c->a3};
    return s;
}

/* one step; returns 2 x low-pass, *bp2 gets 2 x band-pass */
static inline float au_svf_ss_step(const au_svf_ss *c, float *l1, float *l2,
                                   float x, float *bp2)
{
    float n1 = c->m11 * *l1 + c->b1 * (x - *l2);
    float n2 = c->m22 * *l2 + (c->b1 * *l1 + c->b2 * x);
    *bp2 = *l1 + n1;
    float lp2 = *l2 + n2;
    *l1 = n1;
    *l2 = n2;
    return lp2;
}

/* fractional part of a positive phase (cheaper than floorf) */
static inline float au_frac(float x)
{
    return x - (float)(int)x;
}

/* equal-power pan, p in -1..1 */
static inline void au_pan_gains(float p, float *gl, float *gr)
{
    float a = (p + 1.0f) * 0.25f; /* 0..0.5 -> angle / 2pi */
    *gl = au_sin2pi(a + 0.25f);  /* cos */
    *gr = au_sin2pi(a);
}

#endif
