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
    /* the block's noise, fetched while the other layers tick: a random
     * position in the 256 KiB table is a cache miss otherwise */
    for (int c = 0; c < 2; c++) {
        __builtin_prefetch(in->noise + in->npos[c][v]);
        __builtin_prefetch(in->noise + in->npos[c][v] + AU_BLOCK - 1);
    }
}

/* The four voices as the lanes of one vector (see inst_bass.c): the
 * envelope target + (v - target) r^i, the shimmer a rotation from this
 * run's start phase (the phase accumulator stays the reference), each
 * side's noise through the voice's band-pass as its state update
 * (inst_kinds.h: 2 x the band-pass). An idle lane plays silently and
 * keeps its state. */
static void process(au_inst *in, float *L, float *R, int n)
{
    au_voice_lanes q;
    au_voice_lanes_load(in, &q);
    float gn0[AU_LANES], s0[4][AU_LANES];
    const float *nl[AU_LANES], *nr[AU_LANES];
    for (int v = 0; v < AU_LANES; v++) {
        gn0[v] = 0.5f * in->gl[v]; /* the band-passes come out doubled */
        s0[0][v] = in->fl[v].ic1;
        s0[1][v] = in->fl[v].ic2;
        s0[2][v] = in->fr[v].ic1;
        s0[3][v] = in->fr[v].ic2;
        nl[v] = in->noise + (q.on[v] ? in->npos[0][v] : 0u);
        nr[v] = in->noise + (q.on[v] ? in->npos[1][v] : 0u);
    }
    const v8f one = v8_set(1.0f);
    v8f env = q.env, tgt = q.tgt, er = q.er, dv = q.dv;
    v8f gn = au_voice_lanes_of(&q, gn0, 0.0f), gs = au_voice_lanes_of(&q, in->gr, 0.0f);
    v8f d = au_voice_lanes_of(&q, in->dt[0], 0.0f), p = au_voice_lanes_of(&q, in->ph[0], 0.0f);
    v8f cm11 = q.m11, cb1 = q.b1, cm22 = q.m22, cb2 = q.b2;
    v8f a1 = au_voice_lanes_of(&q, s0[0], 0.0f), a2 = au_voice_lanes_of(&q, s0[1], 0.0f),
        c1 = au_voice_lanes_of(&q, s0[2], 0.0f), c2 = au_voice_lanes_of(&q, s0[3], 0.0f);
    v8f ss = v8_sin2pi(p), sc = v8_sin2pi(v8_wrap1(p + v8_set(0.25f)));
    v8f rs = v8_sin2pi(d), rc = v8_sin2pi(d + v8_set(0.25f));
    v8f accl[AU_BLOCK], accr[AU_BLOCK];
    for (int i = 0; i < n; i++) {
        dv *= er;
        env = v8_min(tgt + dv, one);
        v8f xl = {nl[0][i], nl[1][i], nl[2][i], nl[3][i]};
        v8f xr = {nr[0][i], nr[1][i], nr[2][i], nr[3][i]};
        v8f n1 = cm11 * a1 + cb1 * (xl - a2);
        v8f n2 = cm22 * a2 + (cb1 * a1 + cb2 * xl);
        v8f bl2 = a1 + n1;
        a1 = n1;
        a2 = n2;
        n1 = cm11 * c1 + cb1 * (xr - c2);
        n2 = cm22 * c2 + (cb1 * c1 + cb2 * xr);
        v8f br2 = c1 + n1;
        c1 = n1;
        c2 = n2;
        v8f sh = gs * ss;
        accl[i] = env * (gn * bl2 + sh);
        accr[i] = env * (gn * br2 + sh);
        v8f ns = ss * rc + sc * rs;
        sc = sc * rc - ss * rs;
        ss = ns;
        p += d;
        p -= (v8f)((v8i)one & (p >= one));
    }
    au_lanes_sum(accl, accr, L, R, n);
    for (int v = 0; v < AU_LANES; v++) {
        if (!q.on[v]) continue;
        in->env[v].v = env[v];
        in->npos[0][v] += (uint32_t)n;
        in->npos[1][v] += (uint32_t)n;
        in->ph[0][v] = p[v];
        in->fl[v].ic1 = a1[v];
        in->fl[v].ic2 = a2[v];
        in->fr[v].ic1 = c1[v];
        in->fr[v].ic2 = c2[v];
    }
}

const au_inst_ops au_texture_ops = {setup, start, update, process, NULL};
