/* Pads: per voice two PolyBLEP saws detuned by 5..13 cents, one to each side through
 * its own resonant low-pass (the unison pair is the stereo spread), plus a
 * sub-octave sine in the middle. The cutoff follows the envelope, a slow
 * per-voice LFO (0.02..0.15 Hz), the brightness control and the key. */
#include <string.h>

#include "inst_kinds.h"
#include "simd.h"

#define PAD_LEVEL 0.16f

static void setup(au_inst *in)
{
    in->nv = 8; /* = the lane count of process() */
    for (int v = 0; v < 8; v++)
        in->dt[0][v] = in->dt[1][v] = in->dt[2][v] = 0.01f;
    in->atk_c = au_env_attack_coef(2.5f, in->rate);
    in->dec_c = au_tau_coef(3.0f, in->rate);
    in->sus = 0.85f;
    in->rel_c = au_env_release_coef(8.0f, in->rate);
}

static void start(au_inst *in, int v)
{
    in->dt[0][v] = in->dt[1][v] = in->dt[2][v] = 0.01f;
    in->detune[v] = 5.0f + 8.0f * au_rng_unitf(&in->rng);
    float hz = 0.02f + 0.13f * au_rng_unitf(&in->rng);
    in->lfo_inc[v] = hz * AU_BLOCK / in->rate;
    in->pan[v] = 0.5f + 0.35f * au_rng_unitf(&in->rng); /* pair width */
    in->mod[v] = au_rng_unitf(&in->rng);                /* vibrato phase */
}

static void update(au_inst *in, int v)
{
    float rate = in->rate;
    in->lfo[v] = au_frac(in->lfo[v] + in->lfo_inc[v]);
    in->mod[v] = au_frac(in->mod[v] + 0.45f * AU_BLOCK / rate);
    float lfo = au_sin2pi(in->lfo[v]);
    float vib = 0.03f * au_sin2pi(in->mod[v]); /* 3 cents at 0.45 Hz */
    float note = (float)in->note[v] + vib;
    float f = au_midi_hz(note);
    float det = exp2f(in->detune[v] * (1.0f / 1200.0f));
    in->dt[0][v] = f * det / rate;
    in->dt[1][v] = f / det / rate;
    in->dt[2][v] = 0.5f * f / rate;
    float b = in->ctl.brightness;
    float oct = -0.7f + 3.4f * b + 0.9f * in->env[v].v + 0.5f * lfo +
                ((float)in->note[v] - 60.0f) * (1.0f / 24.0f);
    in->fc[v] = au_svf_design(250.0f * exp2f(oct), 0.8f + 0.4f * b, rate);
    float lvl = PAD_LEVEL * in->vel[v];
    in->gl[v] = lvl * (1.0f + in->pan[v]) * 0.5f;
    in->gr[v] = lvl * (1.0f - in->pan[v]) * 0.5f;
}

static inline v8f load8(const float *p)
{
    v8f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store8(float *p, v8f v)
{
    memcpy(p, &v, sizeof v);
}

/* Four voices at once, one lane each (see simd.h), in two groups; a group
 * with no sounding voice is skipped, idle lanes in a busy group run silently
 * (their envelope is zero), which costs less than branching. */
static void process_group(au_inst *in, int g, float *L, float *R, int n)
{
    const int o = g * AU_LANES;
    float ev[AU_LANES], et[AU_LANES], ec[AU_LANES], gs_[AU_LANES];
    float c1[AU_LANES], c2[AU_LANES], c3[AU_LANES], s1[4][AU_LANES];
    for (int k = 0; k < AU_LANES; k++) {
        int v = o + k;
        ev[k] = in->env[v].v;
        et[k] = in->env[v].target;
        ec[k] = in->env[v].coef;
        gs_[k] = PAD_LEVEL * 0.45f * in->vel[v];
        c1[k] = in->fc[v].a1;
        c2[k] = in->fc[v].a2;
        c3[k] = in->fc[v].a3;
        s1[0][k] = in->fl[v].ic1;
        s1[1][k] = in->fl[v].ic2;
        s1[2][k] = in->fr[v].ic1;
        s1[3][k] = in->fr[v].ic2;
    }
    v8f env = load8(ev), tgt = load8(et), ecoef = load8(ec);
    v8f pa = load8(in->ph[0] + o), pb = load8(in->ph[1] + o),
        ps = load8(in->ph[2] + o);
    v8f da = load8(in->dt[0] + o), db = load8(in->dt[1] + o),
        ds = load8(in->dt[2] + o);
    v8f ida = v8_set(1.0f) / da, idb = v8_set(1.0f) / db;
    v8f a1 = load8(c1), a2 = load8(c2), a3 = load8(c3);
    v8f l1 = load8(s1[0]), l2 = load8(s1[1]), r1 = load8(s1[2]),
        r2 = load8(s1[3]);
    v8f gn = load8(in->gl + o), gf = load8(in->gr + o), gs = load8(gs_);
    v8f one = v8_set(1.0f), two = v8_set(2.0f);
    for (int i = 0; i < n; i++) {
        env = v8_min(env + ecoef * (tgt - env), one);
        v8f a = v8_blep_saw(pa, da, ida), b = v8_blep_saw(pb, db, idb);
        v8f s = v8_sin2pi(ps);
        pa = v8_wrap1(pa + da);
        pb = v8_wrap1(pb + db);
        ps = v8_wrap1(ps + ds);
        /* two SVF low-passes (see au_svf_lp) */
        v8f v3 = a - l2;
        v8f v1 = a1 * l1 + a2 * v3;
        v8f yl = l2 + a2 * l1 + a3 * v3;
        l1 = two * v1 - l1;
        l2 = two * yl - l2;
        v3 = b - r2;
        v1 = a1 * r1 + a2 * v3;
        v8f yr = r2 + a2 * r1 + a3 * v3;
        r1 = two * v1 - r1;
        r2 = two * yr - r2;
        v8f sub = gs * s;
        v8f ol = env * (gn * yl + gf * yr + sub);
        v8f orr = env * (gf * yl + gn * yr + sub);
        L[i] += (ol[0] + ol[1]) + (ol[2] + ol[3]);
        R[i] += (orr[0] + orr[1]) + (orr[2] + orr[3]);
    }
    store8(ev, env);
    store8(in->ph[0] + o, pa);
    store8(in->ph[1] + o, pb);
    store8(in->ph[2] + o, ps);
    store8(s1[0], l1);
    store8(s1[1], l2);
    store8(s1[2], r1);
    store8(s1[3], r2);
    for (int k = 0; k < AU_LANES; k++) {
        int v = o + k;
        in->env[v].v = ev[k];
        in->fl[v].ic1 = s1[0][k];
        in->fl[v].ic2 = s1[1][k];
        in->fr[v].ic1 = s1[2][k];
        in->fr[v].ic2 = s1[3][k];
    }
}

static void process(au_inst *in, float *L, float *R, int n)
{
    for (int g = 0; g < 8 / AU_LANES; g++) {
        int any = 0;
        for (int k = 0; k < AU_LANES; k++)
            any |= in->env[g * AU_LANES + k].stage != AU_ENV_IDLE;
        if (any) process_group(in, g, L, R, n);
    }
}

const au_inst_ops au_pads_ops = {setup, start, update, process};
