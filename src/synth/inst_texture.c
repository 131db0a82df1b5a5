/* Textures: stereo noise swells through a band-pass around the note (four
 * times its frequency, 400 Hz..8 kHz), with an airy sine shimmer two octaves
 * up that breathes with a slow tremolo. Long attack and release; meant to
 * live mostly in the reverb. */
#include "inst_kinds.h"

#define TEX_NOISE 0.10f
#define TEX_SHIMMER 0.025f

static void setup(au_inst *in)
{
    in->nv = 4;
    in->atk_c = au_env_attack_coef(3.0f, in->rate);
    in->dec_c = au_tau_coef(4.0f, in->rate);
    in->sus = 0.8f;
    in->rel_c = au_env_release_coef(6.0f, in->rate);
}

static void start(au_inst *in, int v)
{
    in->lfo_inc[v] = (0.1f + 0.3f * au_rng_unitf(&in->rng)) * AU_BLOCK / in->rate;
}

static void update(au_inst *in, int v)
{
    float f = au_midi_hz((float)in->note[v]);
    /* patch [0]: the band's offset in octaves */
    float center = 4.0f * f * (0.7f + 0.6f * in->ctl.brightness) * au_exp2(in->patch[0]);
    center = center < 400.0f ? 400.0f : center > 8000.0f ? 8000.0f : center;
    in->fc[v] = au_svf_design(center, 1.4f, in->rate);
    float sh = 4.0f * f;
    if (sh > 0.4f * in->rate) sh *= 0.5f;
    in->dt[0][v] = sh / in->rate;
    in->lfo[v] = au_frac(in->lfo[v] + in->lfo_inc[v]);
    float trem = 0.5f + 0.5f * au_sin2pi(in->lfo[v]);
    in->gl[v] = TEX_NOISE * in->vel[v];
    in->gr[v] = TEX_SHIMMER * in->vel[v] * trem;
    in->npos[0][v] = au_rng_next(&in->rng) & (AU_NOISE_LEN - 1);
    in->npos[1][v] = au_rng_next(&in->rng) & (AU_NOISE_LEN - 1);
}

/* Everything in locals, two sounding voices at a time (see inst_bass.c). */
typedef struct {
    float env, tgt, er, dv, a1, a2, c1, c2, p, d, gn, gs;
    const float *nl, *nr;
    au_svf_ss c;
} tex_voice;

static inline __attribute__((always_inline)) void tex_step(tex_voice *t, const float *sine, int i, float *yl,
                            float *yr)
{
    float bl2, br2;
    t->dv *= t->er;
    float env = t->tgt + t->dv;
    t->env = env > 1.0f ? 1.0f : env;
    float s = t->gs * au_wt_read(sine, t->p);
    t->p += t->d;
    t->p -= t->p >= 1.0f ? 1.0f : 0.0f;
    au_svf_ss_step(&t->c, &t->a1, &t->a2, t->nl[i], &bl2);
    au_svf_ss_step(&t->c, &t->c1, &t->c2, t->nr[i], &br2);
    *yl = t->env * (t->gn * bl2 + s);
    *yr = t->env * (t->gn * br2 + s);
}

static void tex_load(const au_inst *in, int v, tex_voice *t)
{
    const au_env *e = &in->env[v];
    t->env = e->v;
    t->tgt = e->target;
    t->er = 1.0f - e->coef;
    t->dv = e->v - e->target;
    t->nl = in->noise + in->npos[0][v];
    t->nr = in->noise + in->npos[1][v];
    t->a1 = in->fl[v].ic1;
    t->a2 = in->fl[v].ic2;
    t->c1 = in->fr[v].ic1;
    t->c2 = in->fr[v].ic2;
    t->c = au_svf_ss_of(&in->fc[v]);
    t->p = in->ph[0][v];
    t->d = in->dt[0][v];
    t->gn = 0.5f * in->gl[v]; /* the band-passes come out doubled */
    t->gs = in->gr[v];
}

static void tex_store(au_inst *in, int v, const tex_voice *t, int n)
{
    in->env[v].v = t->env;
    in->npos[0][v] += (uint32_t)n;
    in->npos[1][v] += (uint32_t)n;
    in->ph[0][v] = t->p;
    in->fl[v].ic1 = t->a1;
    in->fl[v].ic2 = t->a2;
    in->fr[v].ic1 = t->c1;
    in->fr[v].ic2 = t->c2;
}

static void process(au_inst *in, float *L, float *R, int n)
{
    const float *sine = in->wt->sine;
    int act[AU_INST_MAXV], na = 0;
    for (int v = 0; v < in->nv; v++)
        if (in->env[v].stage != AU_ENV_IDLE) act[na++] = v;
    int k = 0;
    for (; k + 1 < na; k += 2) {
        tex_voice a, b;
        tex_load(in, act[k], &a);
        tex_load(in, act[k + 1], &b);
        for (int i = 0; i < n; i++) {
            float al, ar, bl, br;
            tex_step(&a, sine, i, &al, &ar);
            tex_step(&b, sine, i, &bl, &br);
            L[i] += al;
            R[i] += ar;
            L[i] += bl;
            R[i] += br;
        }
        tex_store(in, act[k], &a, n);
        tex_store(in, act[k + 1], &b, n);
    }
    if (k < na) {
        tex_voice a;
        tex_load(in, act[k], &a);
        for (int i = 0; i < n; i++) {
            float al, ar;
            tex_step(&a, sine, i, &al, &ar);
            L[i] += al;
            R[i] += ar;
        }
        tex_store(in, act[k], &a, n);
    }
}

const au_inst_ops au_texture_ops = {setup, start, update, process, NULL};
