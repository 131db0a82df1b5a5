/* The two FM voices. Melody: a sine pair (modulator at the carrier's
 * frequency, or 2:1 / 3:1 by patch; an index per ratio, easing from a
 * bright attack to a soft sustain that opens with brightness) with vibrato that enters late in the note and a glide
 * from the previous note when phrases are legato.
 * Patch: melody [0] modulator ratio - 1, [1] index scale - 1, [2] index
 * octaves (the engine's, for a piece's calm lead); bells [0]
 * added to the 1.4 ratio.
 * Bells: carrier to modulator 1:1.4 with a fast-decaying index (bright
 * strike, pure tail), free ring-out, the group high-passed at 300 Hz. */
#include "inst_kinds.h"
#include "simd.h"

#define MEL_LEVEL 0.24f
#define BELL_LEVEL 0.12f

static void mel_setup(au_inst *in)
{
    in->nv = 4;
    in->atk_c = au_env_attack_coef(0.12f, in->rate);
    in->dec_c = au_tau_coef(2.5f, in->rate);
    in->sus = 0.7f;
    in->rel_c = au_env_release_coef(1.8f, in->rate);
    float tick_rate = in->rate / AU_BLOCK;
    in->kc[0] = au_tau_coef(0.06f, tick_rate); /* glide */
    in->kc[1] = au_tau_coef(0.3f, tick_rate);  /* index easing: a short chiff */
}

static void mel_start(au_inst *in, int v)
{
    float target = (float)in->note[v];
    int legato = 0;
    for (int u = 0; u < in->nv; u++)
        if (u != v && (in->env[u].stage == AU_ENV_ATTACK ||
                       in->env[u].stage == AU_ENV_SUSTAIN))
            legato = 1;
    float from = target;
    if (in->last_note >= 0.0f && (legato || in->t_now - in->last_off_t < 0.3f) &&
        fabsf(in->last_note - target) <= 7.0f)
        from = in->last_note;
    in->pitch[v] = from;
    in->last_note = target;
    in->mod[v] = 1.0f; /* index envelope */
    in->pan[v] = -0.15f + 0.3f * au_rng_unitf(&in->rng);
}

static void mel_update(au_inst *in, int v)
{
    float rate = in->rate;
    float tick = (float)AU_BLOCK / rate;
    float target = (float)in->note[v];
    in->pitch[v] += (target - in->pitch[v]) * in->kc[0];
    in->lfo[v] = au_frac(in->lfo[v] + 4.8f * tick);
    float late = (in->t_on[v] - 0.6f) * (1.0f / 1.5f);
    late = late < 0.0f ? 0.0f : late > 1.0f ? 1.0f : late;
    float vib = 0.15f * late * au_sin2pi(in->lfo[v]); /* up to 15 cents */
    float f = au_midi_hz(in->pitch[v] + vib);
    in->dt[0][v] = f / rate;
    in->dt[1][v] = (1.0f + in->patch[0]) * f / rate;
    in->mod[v] += (0.6f - in->mod[v]) * in->kc[1];
    float lvl = MEL_LEVEL * in->vel[v];
    au_pan_gains(in->pan[v], &in->gl[v], &in->gr[v]);
    in->gl[v] *= lvl;
    in->gr[v] *= lvl;
    /* The index is in cycles (x 2 pi for radians), per ratio so that the
     * fundamental leads and the harmonics fall off (1:1 at 0.15 sustain:
     * harmonic 2 about 6 dB and 3 about 18 dB under the fundamental, a
     * breathy flute; 2:1 odd harmonics, a soft clarinet; 3:1 harmonics 2
     * and 4 about 10 dB down). It was 0.42 for every ratio: at 1:1 the
     * second harmonic outweighed the fundamental and at 3:1 the
     * fundamental held 15% of the power, so the lead filled 1.5-5 kHz
     * (7 dB over a produced slope) and stood out less in its own band.
     * in->mod eases from 1 at the attack (a short bright chiff) to 0.6. */
    static const float mel_idx[3] = {0.25f, 0.31f, 0.17f};
    int ri = in->patch[0] > 1.5f ? 2 : in->patch[0] > 0.5f ? 1 : 0;
    in->dt[2][v] = in->mod[v] * mel_idx[ri] * (0.75f + 0.45f * in->ctl.brightness) *
                   (1.0f + 0.5f * in->patch[1]);
    /* [2]: index x 2^[2], set by the engine (a piece's calm lead) */
    if (in->patch[2] != 0.0f) in->dt[2][v] *= au_exp2(in->patch[2]);
}

/* Four voices per lane group (simd.h), both sines by the polynomial
 * (error 4e-6, like the table it replaces); groups without a sounding voice
 * are skipped, silent lanes in a busy group cost nothing extra. Lane
 * outputs are summed four samples at a time through a transpose. */
static inline __attribute__((always_inline)) void
fm_body(au_inst *in, int o, float *L, float *R, int n)
{
    float ev[AU_LANES], et[AU_LANES], ec[AU_LANES];
    for (int k = 0; k < AU_LANES; k++) {
        ev[k] = in->env[o + k].v;
        et[k] = in->env[o + k].target;
        ec[k] = in->env[o + k].coef;
    }
    v8f env = v8_load(ev), tgt = v8_load(et), ecoef = v8_load(ec);
    v8f pc = v8_load(in->ph[0] + o), pm = v8_load(in->ph[1] + o);
    v8f dc = v8_load(in->dt[0] + o), dm = v8_load(in->dt[1] + o);
    v8f idx = v8_load(in->dt[2] + o);
    v8f gl = v8_load(in->gl + o), gr = v8_load(in->gr + o);
    const v8f one = v8_set(1.0f);
    /* short loop-carried chains only: the carrier phase is start + i *
     * increment (+8 keeps its argument positive), the modulator sine a
     * rotation from this run's start phase (<= 32 steps, drift ~1e-6;
     * the phase accumulator stays the reference), the envelope
     * target + (v - target) r^i */
    v8f pc8 = pc + v8_set(8.0f), fi = v8_set(0.0f);
    v8f ms = v8_sin2pi(pm), mc = v8_sin2pi(v8_wrap1(pm + v8_set(0.25f)));
    v8f rs = v8_sin2pi(dm), rc = v8_sin2pi(dm + v8_set(0.25f));
    v8f dv = env - tgt, er = one - ecoef;
    v8f accl[AU_BLOCK], accr[AU_BLOCK];
    for (int i = 0; i < n; i++) {
        dv *= er;
        env = v8_min(tgt + dv, one);
        v8f y = env * v8_sin2pi(v8_frac(pc8 + fi * dc + idx * ms));
        v8f ns = ms * rc + mc * rs;
        mc = mc * rc - ms * rs;
        ms = ns;
        fi += one;
        accl[i] = gl * y;
        accr[i] = gr * y;
    }
    pc = v8_frac(pc + fi * dc);
    pm = v8_frac(pm + fi * dm);
    au_lanes_sum(accl, accr, L, R, n);
    v8_store(ev, env);
    for (int k = 0; k < AU_LANES; k++) in->env[o + k].v = ev[k];
    v8_store(in->ph[0] + o, pc);
    v8_store(in->ph[1] + o, pm);
}

static void fm_generic(au_inst *in, int o, float *L, float *R, int n)
{
    fm_body(in, o, L, R, n);
}

#if AU_SIMD_DISPATCH
AU_TARGET_AVX2 static void fm_avx2(au_inst *in, int o, float *L, float *R,
                                   int n)
{
    fm_body(in, o, L, R, n);
}
#endif

static void fm_group(au_inst *in, int o, float *L, float *R, int n)
{
#if AU_SIMD_DISPATCH
    if (au_simd_avx2()) {
        fm_avx2(in, o, L, R, n);
        return;
    }
#endif
    fm_generic(in, o, L, R, n);
}

static void fm_process(au_inst *in, float *L, float *R, int n)
{
    for (int o = 0; o < in->nv; o += AU_LANES) {
        int any = 0;
        for (int k = 0; k < AU_LANES; k++)
            any |= in->env[o + k].stage != AU_ENV_IDLE;
        if (any) fm_group(in, o, L, R, n);
    }
}

static void bell_setup(au_inst *in)
{
    in->nv = 6;
    in->atk_c = au_env_attack_coef(0.003f, in->rate);
    in->dec_c = au_env_release_coef(4.5f, in->rate); /* rings out */
    in->sus = 0.0f;
    in->rel_c = in->dec_c;
    in->kc[0] = expf(-(float)AU_BLOCK / in->rate / 0.35f); /* index decay */
}

static void bell_start(au_inst *in, int v)
{
    in->mod[v] = 1.0f;
    in->pan[v] = -0.6f + 1.2f * au_rng_unitf(&in->rng);
}

static void bell_update(au_inst *in, int v)
{
    float rate = in->rate;
    float f = au_midi_hz((float)in->note[v]);
    in->dt[0][v] = f / rate;
    in->dt[1][v] = (1.4f + in->patch[0]) * f / rate;
    in->mod[v] *= in->kc[0];
    in->dt[2][v] = (0.15f + 2.2f * in->mod[v]) * in->vel[v];
    float lvl = BELL_LEVEL * in->vel[v];
    au_pan_gains(in->pan[v], &in->gl[v], &in->gr[v]);
    in->gl[v] *= lvl;
    in->gr[v] *= lvl;
}

static void bell_process(au_inst *in, float *L, float *R, int n)
{
    /* render into the bus, then high-pass the whole group (one-pole) */
    float tl[AU_BLOCK] = {0}, tr[AU_BLOCK] = {0};
    fm_process(in, tl, tr, n);
    float a = 1.0f / (1.0f + 2.0f * AU_PIF * 300.0f / in->rate);
    float x1l = in->bus_x1[0], y1l = in->bus_y1[0];
    float x1r = in->bus_x1[1], y1r = in->bus_y1[1];
    for (int i = 0; i < n; i++) {
        y1l = a * (y1l + tl[i] - x1l);
        x1l = tl[i];
        y1r = a * (y1r + tr[i] - x1r);
        x1r = tr[i];
        L[i] += y1l;
        R[i] += y1r;
    }
    in->bus_x1[0] = x1l;
    in->bus_y1[0] = y1l;
    in->bus_x1[1] = x1r;
    in->bus_y1[1] = y1r;
}

const au_inst_ops au_melody_ops = {mel_setup, mel_start, mel_update,
                                   fm_process, NULL};
const au_inst_ops au_bells_ops = {bell_setup, bell_start, bell_update,
                                  bell_process, NULL};
