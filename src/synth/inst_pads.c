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

/* PolyBLEP saw, one polynomial for both sides of the reset: with t the
 * distance to the nearest reset in samples (q = p or p - 1, t = q / dt),
 * the residual is sign(t) (1 - |t|)^2 inside one sample, 0 outside. Same
 * curve as the usual two-branch form, fewer operations. */
static inline v8f blep_saw(v8f p, v8f idt)
{
    const v8f one = v8_set(1.0f), zero = v8_set(0.0f);
    const v8i sign = {INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN};
    v8f q = p - (v8f)((v8i)one & (p > v8_set(0.5f)));
    v8f t = q * idt;
    v8f a = one - (v8f)((v8i)t & ~sign); /* 1 - |t| */
    a = (v8f)((v8i)a & (a > zero));
    v8f r = (v8f)((v8i)(a * a) | ((v8i)t & sign));
    return p + p - one + r;
}

/* All voices of `groups` lane groups (4 voices each, see simd.h) in one
 * pass. Idle lanes in a busy group run silently (their envelope is zero),
 * which costs less than branching. Lane outputs are summed four samples at
 * a time through a transpose instead of a horizontal add per sample. */
static inline void process_groups(au_inst *in, const int *gs_idx, const int G,
                                  float *L, float *R, int n)
{
    enum { MAXG = 8 / AU_LANES };
    v8f env[MAXG], tgt[MAXG], ecoef[MAXG], pa[MAXG], pb[MAXG], da[MAXG],
        db[MAXG], ida[MAXG], idb[MAXG], a1[MAXG], a2[MAXG], a3[MAXG],
        l1[MAXG], l2[MAXG], r1[MAXG], r2[MAXG], gn[MAXG], gf[MAXG], ss[MAXG],
        sc[MAXG], rc[MAXG], rs[MAXG];
    for (int gi = 0; gi < G; gi++) {
        const int o = gs_idx[gi] * AU_LANES;
        float ev[AU_LANES], et[AU_LANES], ec[AU_LANES], amp[AU_LANES];
        float c1[AU_LANES], c2[AU_LANES], c3[AU_LANES], s1[4][AU_LANES];
        for (int k = 0; k < AU_LANES; k++) {
            int v = o + k;
            ev[k] = in->env[v].v;
            et[k] = in->env[v].target;
            ec[k] = in->env[v].coef;
            amp[k] = PAD_LEVEL * 0.45f * in->vel[v];
            c1[k] = in->fc[v].a1;
            c2[k] = in->fc[v].a2;
            c3[k] = in->fc[v].a3;
            s1[0][k] = in->fl[v].ic1;
            s1[1][k] = in->fl[v].ic2;
            s1[2][k] = in->fr[v].ic1;
            s1[3][k] = in->fr[v].ic2;
        }
        env[gi] = v8_load(ev);
        tgt[gi] = v8_load(et);
        ecoef[gi] = v8_load(ec);
        pa[gi] = v8_load(in->ph[0] + o);
        pb[gi] = v8_load(in->ph[1] + o);
        da[gi] = v8_load(in->dt[0] + o);
        db[gi] = v8_load(in->dt[1] + o);
        ida[gi] = v8_set(1.0f) / da[gi];
        idb[gi] = v8_set(1.0f) / db[gi];
        a1[gi] = v8_load(c1);
        a2[gi] = v8_load(c2);
        a3[gi] = v8_load(c3);
        l1[gi] = v8_load(s1[0]);
        l2[gi] = v8_load(s1[1]);
        r1[gi] = v8_load(s1[2]);
        r2[gi] = v8_load(s1[3]);
        gn[gi] = v8_load(in->gl + o);
        gf[gi] = v8_load(in->gr + o);
        /* sub-octave sine by rotation from this run's start phase: the
         * phase accumulator stays the reference, the rotation only spans
         * <= 32 samples (drift ~1e-6) */
        v8f ps = v8_load(in->ph[2] + o), ds = v8_load(in->dt[2] + o);
        v8f am = v8_load(amp);
        ss[gi] = am * v8_sin2pi(ps);
        sc[gi] = am * v8_sin2pi(v8_wrap1(ps + v8_set(0.25f)));
        rs[gi] = v8_sin2pi(ds);
        rc[gi] = v8_sin2pi(ds + v8_set(0.25f));
        v8f adv = ds * v8_set((float)n);
        adv = adv - __builtin_convertvector(__builtin_convertvector(adv, v8i), v8f);
        v8_store(in->ph[2] + o, v8_wrap1(ps + adv));
    }
    const v8f one = v8_set(1.0f), two = v8_set(2.0f);
    v8f accl[AU_BLOCK], accr[AU_BLOCK];
    for (int i = 0; i < n; i++) {
        v8f ol = v8_set(0.0f), orr = v8_set(0.0f);
        for (int g = 0; g < G; g++) {
            env[g] = v8_min(env[g] + ecoef[g] * (tgt[g] - env[g]), one);
            v8f a = blep_saw(pa[g], ida[g]), b = blep_saw(pb[g], idb[g]);
            v8f sub = ss[g];
            v8f ns = ss[g] * rc[g] + sc[g] * rs[g];
            sc[g] = sc[g] * rc[g] - ss[g] * rs[g];
            ss[g] = ns;
            pa[g] = v8_wrap1(pa[g] + da[g]);
            pb[g] = v8_wrap1(pb[g] + db[g]);
            /* two SVF low-passes (see au_svf_lp) */
            v8f v3 = a - l2[g];
            v8f v1 = a1[g] * l1[g] + a2[g] * v3;
            v8f yl = l2[g] + a2[g] * l1[g] + a3[g] * v3;
            l1[g] = two * v1 - l1[g];
            l2[g] = two * yl - l2[g];
            v3 = b - r2[g];
            v1 = a1[g] * r1[g] + a2[g] * v3;
            v8f yr = r2[g] + a2[g] * r1[g] + a3[g] * v3;
            r1[g] = two * v1 - r1[g];
            r2[g] = two * yr - r2[g];
            ol += env[g] * (gn[g] * yl + gf[g] * yr + sub);
            orr += env[g] * (gf[g] * yl + gn[g] * yr + sub);
        }
        accl[i] = ol;
        accr[i] = orr;
    }
    au_lanes_sum(accl, accr, L, R, n);
    for (int gi = 0; gi < G; gi++) {
        const int o = gs_idx[gi] * AU_LANES;
        float ev[AU_LANES], s1[4][AU_LANES];
        v8_store(ev, env[gi]);
        v8_store(in->ph[0] + o, pa[gi]);
        v8_store(in->ph[1] + o, pb[gi]);
        v8_store(s1[0], l1[gi]);
        v8_store(s1[1], l2[gi]);
        v8_store(s1[2], r1[gi]);
        v8_store(s1[3], r2[gi]);
        for (int k = 0; k < AU_LANES; k++) {
            int v = o + k;
            in->env[v].v = ev[k];
            in->fl[v].ic1 = s1[0][k];
            in->fl[v].ic2 = s1[1][k];
            in->fr[v].ic1 = s1[2][k];
            in->fr[v].ic2 = s1[3][k];
        }
    }
}

static void process(au_inst *in, float *L, float *R, int n)
{
    int act[8 / AU_LANES], G = 0;
    for (int g = 0; g < 8 / AU_LANES; g++) {
        int any = 0;
        for (int k = 0; k < AU_LANES; k++)
            any |= in->env[g * AU_LANES + k].stage != AU_ENV_IDLE;
        if (any) act[G++] = g;
    }
    /* constant group counts so the lane loops unroll */
    for (int g = 0; g < G; g++) process_groups(in, act + g, 1, L, R, n);
}

const au_inst_ops au_pads_ops = {setup, start, update, process};
