/* Bass and drone: a sine with a saw through a low-pass (200..500 Hz),
 * slow attack and long release, centred.
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
    float cut = 200.0f + 300.0f * in->ctl.brightness;
    in->fc[v] = au_svf_design(cut, 0.7f, in->rate);
    /* louder when dense: busy pads and melody would otherwise thin the
     * 80-160 Hz bands at high intensity */
    in->gl[v] = BASS_LEVEL * in->vel[v] * (0.8f + 0.5f * in->ctl.intensity);
}

/* The four voices as the lanes of one vector (the pads' way,
 * inst_pads.c): the envelope target + (v - target) r^i, the sine a
 * rotation from this run's start phase (<= 32 steps, drift ~1e-6; the
 * phase accumulator stays the reference), the saw a PolyBLEP ramp (the
 * residual sign(t) (1 - |t|)^2 within one sample of the reset, t in
 * samples; below 300 Hz and under the low-pass its aliases lie 60 dB
 * down), the low-pass as its state update (inst_kinds.h). An idle lane
 * plays silently and keeps its state. Lane outputs are summed four
 * samples at a time through a transpose. */
static void process(au_inst *in, float *L, float *R, int n)
{
    au_voice_lanes q;
    au_voice_lanes_load(in, &q);
    float l10[AU_LANES], l20[AU_LANES];
    for (int v = 0; v < AU_LANES; v++) {
        l10[v] = in->fl[v].ic1;
        l20[v] = in->fl[v].ic2;
    }
    const v8f one = v8_set(1.0f), zero = v8_set(0.0f), half = v8_set(0.5f);
    const v8i sign = {INT32_MIN, INT32_MIN, INT32_MIN, INT32_MIN};
    v8f env = q.env, tgt = q.tgt, er = q.er, dv = q.dv;
    v8f g = au_voice_lanes_of(&q, in->gl, 0.0f), d = au_voice_lanes_of(&q, in->dt[0], 0.01f);
    v8f id = one / d, p = au_voice_lanes_of(&q, in->ph[0], 0.0f);
    v8f cm11 = q.m11, cb1 = q.b1, cm22 = q.m22, cb2 = q.b2;
    v8f l1 = au_voice_lanes_of(&q, l10, 0.0f), l2 = au_voice_lanes_of(&q, l20, 0.0f);
    v8f ss = v8_sin2pi(p), sc = v8_sin2pi(v8_wrap1(p + v8_set(0.25f)));
    v8f rs = v8_sin2pi(d), rc = v8_sin2pi(d + v8_set(0.25f));
    const v8f k55 = v8_set(0.55f), sg = v8_set(0.75f + in->patch[0]); /* piece.h: bass_saw_gain */
    v8f acc[AU_BLOCK];
    for (int i = 0; i < n; i++) {
        dv *= er;
        env = v8_min(tgt + dv, one);
        v8f r = p - (v8f)((v8i)one & (p > half));
        v8f t = r * id;
        v8f a = one - (v8f)((v8i)t & ~sign);
        a = (v8f)((v8i)a & (a > zero));
        v8f saw = p + p - one + (v8f)((v8i)(a * a) | ((v8i)t & sign));
        v8f n1 = cm11 * l1 + cb1 * (saw - l2);
        v8f n2 = cm22 * l2 + (cb1 * l1 + cb2 * saw);
        v8f lp2 = l2 + n2; /* 2 x the low-pass */
        l1 = n1;
        l2 = n2;
        /* 1.5 x the low-pass: fills 100-250 Hz */
        acc[i] = env * g * (k55 * ss + sg * lp2);
        v8f ns = ss * rc + sc * rs;
        sc = sc * rc - ss * rs;
        ss = ns;
        p += d;
        p -= (v8f)((v8i)one & (p >= one));
    }
    int i = 0;
    for (; i + AU_LANES <= n; i += AU_LANES) {
        v8_transpose4(acc + i);
        v8f y = (acc[i] + acc[i + 1]) + (acc[i + 2] + acc[i + 3]);
        v8_store(L + i, v8_load(L + i) + y);
        v8_store(R + i, v8_load(R + i) + y);
    }
    for (; i < n; i++) {
        float y = (acc[i][0] + acc[i][1]) + (acc[i][2] + acc[i][3]);
        L[i] += y;
        R[i] += y;
    }
    for (int v = 0; v < AU_LANES; v++) {
        if (!q.on[v]) continue;
        in->env[v].v = env[v];
        in->ph[0][v] = p[v];
        in->fl[v].ic1 = l1[v];
        in->fl[v].ic2 = l2[v];
    }
}

const au_inst_ops au_bass_ops = {setup, start, update, process, NULL};
