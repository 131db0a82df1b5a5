/* Internal: the sound of each instrument kind (inst_<kind>.c), called by the
 * voice pool in inst.c. setup sets the pool's envelope times; start resets a
 * voice at note on; update recomputes its coefficients at every tick;
 * process renders the active voices of the layer. */
#ifndef AU_INST_KINDS_H
#define AU_INST_KINDS_H

#include "inst.h"

typedef struct {
    void (*setup)(au_inst *in);
    void (*start)(au_inst *in, int v);
    void (*update)(au_inst *in, int v);
    void (*process)(au_inst *in, float *L, float *R, int n);
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
