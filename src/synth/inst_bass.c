/* Bass and drone: a sub sine with a quiet saw an octave up through a
 * low-pass (180..400 Hz), slow attack and long release, centred.
 * Patch: [0] added to the saw's level (0.75). */
#include "inst_kinds.h"

#define BASS_LEVEL 0.28f

static void setup(au_inst *in)
{
    in->nv = 4;
    in->atk_c = au_env_attack_coef(0.9f, in->rate);
    in->dec_c = au_tau_coef(4.0f, in->rate);
    in->sus = 0.9f;
    in->rel_c = au_env_release_coef(4.0f, in->rate);
}

static void start(au_inst *in, int v)
{
    (void)in;
    (void)v;
}

static void update(au_inst *in, int v)
{
    float f = au_midi_hz((float)in->note[v]);
    in->dt[0][v] = f / in->rate;
    in->tab[0][v] = au_wt_table(in->wt, AU_WT_SAW, in->dt[0][v]);
    float cut = 200.0f + 300.0f * in->ctl.brightness;
    in->fc[v] = au_svf_design(cut, 0.7f, in->rate);
    /* louder when dense: busy pads and melody would otherwise thin the
     * 80-160 Hz bands at high intensity */
    in->gl[v] = BASS_LEVEL * in->vel[v] * (0.8f + 0.5f * in->ctl.intensity);
}

/* Everything in locals (the output stores cannot alias the state), the
 * envelope as target + (v - target) r^i, the filter as its state update
 * (inst_kinds.h); sounding voices run two at a time so their dependency
 * chains overlap. */
typedef struct {
    float env, tgt, er, dv, p, d, l1, l2, g, saw;
    const float *ts;
    au_svf_ss c;
} bass_voice;

static inline __attribute__((always_inline)) float bass_step(bass_voice *b, const float *sine)
{
    float bp2;
    b->dv *= b->er;
    float env = b->tgt + b->dv;
    b->env = env > 1.0f ? 1.0f : env;
    float s = au_wt_read(sine, b->p);
    float saw2 = au_svf_ss_step(&b->c, &b->l1, &b->l2, au_wt_read(b->ts, b->p), &bp2);
    b->p += b->d;
    b->p -= b->p >= 1.0f ? 1.0f : 0.0f;
    return b->env * b->g * (0.55f * s + b->saw * saw2); /* 1.5 x the low-pass: fills 100-250 Hz */
}

static void bass_load(const au_inst *in, int v, bass_voice *b)
{
    const au_env *e = &in->env[v];
    b->env = e->v;
    b->tgt = e->target;
    b->er = 1.0f - e->coef;
    b->dv = e->v - e->target;
    b->p = in->ph[0][v];
    b->d = in->dt[0][v];
    b->ts = in->tab[0][v];
    b->l1 = in->fl[v].ic1;
    b->l2 = in->fl[v].ic2;
    b->c = au_svf_ss_of(&in->fc[v]);
    b->g = in->gl[v];
    b->saw = 0.75f + in->patch[0]; /* piece.h: bass_saw_gain */
}

static void bass_store(au_inst *in, int v, const bass_voice *b)
{
    in->env[v].v = b->env;
    in->ph[0][v] = b->p;
    in->fl[v].ic1 = b->l1;
    in->fl[v].ic2 = b->l2;
}

static void process(au_inst *in, float *L, float *R, int n)
{
    const float *sine = in->wt->sine;
    int act[AU_INST_MAXV], na = 0;
    for (int v = 0; v < in->nv; v++)
        if (in->env[v].stage != AU_ENV_IDLE) act[na++] = v;
    int k = 0;
    for (; k + 1 < na; k += 2) {
        bass_voice a, b;
        bass_load(in, act[k], &a);
        bass_load(in, act[k + 1], &b);
        for (int i = 0; i < n; i++) {
            float y = bass_step(&a, sine);
            float z = bass_step(&b, sine);
            L[i] += y;
            R[i] += y;
            L[i] += z;
            R[i] += z;
        }
        bass_store(in, act[k], &a);
        bass_store(in, act[k + 1], &b);
    }
    if (k < na) {
        bass_voice a;
        bass_load(in, act[k], &a);
        for (int i = 0; i < n; i++) {
            float y = bass_step(&a, sine);
            L[i] += y;
            R[i] += y;
        }
        bass_store(in, act[k], &a);
    }
}

const au_inst_ops au_bass_ops = {setup, start, update, process, NULL};
