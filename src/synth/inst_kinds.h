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

/* Up to four voices of a pool as the lanes of one vector (bass,
 * textures): which are sounding, their envelopes (stepped as target + (v
 * - target) r^i) and their filters fc[v] as state updates. An idle lane
 * is all zero: it plays silently and is not stored back. */
typedef struct {
    int on[AU_LANES];
    v8f env, tgt, er, dv;
    v8f m11, b1, m22, b2;
} au_voice_lanes;

/* x[v] of the sounding voices, idle elsewhere */
static inline v8f au_voice_lanes_of(const au_voice_lanes *q, const float *x, float idle)
{
    return (v8f){q->on[0] ? x[0] : idle, q->on[1] ? x[1] : idle,
                 q->on[2] ? x[2] : idle, q->on[3] ? x[3] : idle};
}

static inline void au_voice_lanes_load(const au_inst *in, au_voice_lanes *q)
{
    _Static_assert(AU_INST_MAXV >= AU_LANES, "one group of four");
    float e[AU_LANES], t[AU_LANES], c[AU_LANES], k[4][AU_LANES];
    for (int v = 0; v < AU_LANES; v++) {
        q->on[v] = v < in->nv && in->env[v].stage != AU_ENV_IDLE;
        au_svf_ss f = au_svf_ss_of(&in->fc[v]);
        e[v] = in->env[v].v;
        t[v] = in->env[v].target;
        c[v] = in->env[v].coef;
        k[0][v] = f.m11;
        k[1][v] = f.b1;
        k[2][v] = f.m22;
        k[3][v] = f.b2;
    }
    q->env = au_voice_lanes_of(q, e, 0.0f);
    q->tgt = au_voice_lanes_of(q, t, 0.0f);
    q->er = v8_set(1.0f) - au_voice_lanes_of(q, c, 0.0f);
    q->dv = q->env - q->tgt;
    q->m11 = au_voice_lanes_of(q, k[0], 0.0f);
    q->b1 = au_voice_lanes_of(q, k[1], 0.0f);
    q->m22 = au_voice_lanes_of(q, k[2], 0.0f);
    q->b2 = au_voice_lanes_of(q, k[3], 0.0f);
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
