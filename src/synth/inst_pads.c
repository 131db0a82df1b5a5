/* Pads: per voice two PolyBLEP saws detuned by 5..13 cents, one to each side through
 * its own resonant low-pass (the unison pair is the stereo spread), plus a
 * quiet sub-octave sine in the middle for voices from A3 up. The cutoff
 * tracks the note fully and follows the envelope, a slow per-voice LFO
 * (0.02..0.15 Hz) and the brightness control.
 * Patch: [0] cutoff offset in octaves, [1] sub level added to PAD_SUB, [2]
 * the sub's share under voices F#3-G#3 (0: none; from A3 up it fades in to
 * B3 whatever [2]). */
#include <string.h>

#include "inst_kinds.h"
#include "simd.h"


#define PAD_LEVEL 0.13f
#define PAD_SUB 0.5f    /* sub-octave sine re one saw */
#define PAD_CUT0 0.8f   /* cutoff re the note, octaves, at brightness 0 */
#define PAD_CUTB 1.9f   /* octaves more at full brightness */
#define PAD_CUT_MAX 6500.0f /* the top belongs to air, bells and breath */

/* Lane state in in->kl, one lane per voice (voice v = lane v, groups of
 * four): phases, increments, filter states and coefficients, gains and the
 * sub-octave sine's rotation. Written by update()/update_all() at ticks,
 * advanced by the kernel. The SVF (au_svf_lp) is kept as its state update,
 * the same linear map with a shorter dependency chain per sample:
 *   l1' = (2 a1 - 1) l1 + 2 a2 (x - l2)
 *   l2' = (1 - 2 a3) l2 + 2 a2 l1 + 2 a3 x,   y = (l2 + l2') / 2
 * (the 1/2 folded into the output gains). The sub is a unit rotation
 * (SS, SC by RC, RS) renormalised at every tick, times AMP. */
enum {
    PL_pa, PL_pb, PL_da, PL_db, PL_ida, PL_idb, PL_m11, PL_b1, PL_m22, PL_b2,
    PL_l1, PL_l2, PL_r1, PL_r2, PL_gn, PL_gf, PL_ss, PL_sc, PL_rc, PL_rs,
    PL_amp, PL_COUNT
};
/* per-run envelope lanes: value, target, 1 - coef, value - target */
enum { PE_env, PE_tgt, PE_er, PE_dv, PE_COUNT };
_Static_assert(PL_COUNT <= 24, "pads lanes fit au_inst.kl");

static void setup(au_inst *in)
{
    in->nv = 8; /* = the lane count of process() */
    in->atk_c = au_env_attack_coef(2.5f, in->rate);
    in->dec_c = au_tau_coef(3.0f, in->rate);
    in->sus = 0.85f;
    in->rel_c = au_env_release_coef(8.0f, in->rate);
    for (int v = 0; v < 8; v++) {
        in->dt[0][v] = in->dt[1][v] = in->dt[2][v] = 0.01f;
        in->detune[v] = 1.0f;
        float (*kl)[AU_INST_MAXV] = in->kl;
        kl[PL_pa][v] = in->ph[0][v]; /* random start phases (au_inst_init) */
        kl[PL_pb][v] = in->ph[1][v];
        kl[PL_da][v] = kl[PL_db][v] = 0.01f;
        kl[PL_ida][v] = kl[PL_idb][v] = 100.0f;
        kl[PL_m11][v] = kl[PL_m22][v] = 1.0f; /* until the first update */
        kl[PL_ss][v] = au_sin2pi(in->ph[2][v]);
        kl[PL_sc][v] = au_sin2pi(au_frac(in->ph[2][v] + 0.25f));
        kl[PL_rc][v] = 1.0f;
    }
}

static void start(au_inst *in, int v)
{
    /* 5..13 cents, kept as a frequency ratio */
    in->detune[v] = exp2f((5.0f + 8.0f * au_rng_unitf(&in->rng)) * (1.0f / 1200.0f));
    float hz = 0.02f + 0.13f * au_rng_unitf(&in->rng);
    in->lfo_inc[v] = hz * AU_BLOCK / in->rate;
    in->pan[v] = 0.5f + 0.35f * au_rng_unitf(&in->rng); /* pair width */
    in->mod[v] = au_rng_unitf(&in->rng);                /* vibrato phase */
    /* the first chord of a stream blooms in 0.6 s instead of 2.5 s: a
     * listener who just pressed play hears music at once */
    if (in->t_now < 1.0f) in->env[v].coef = au_env_attack_coef(0.6f, in->rate);
}

/* The per-voice control update for a group of four voices (o = first
 * voice), lanes mirror the scalar formulas: LFO and vibrato phases,
 * pitch, cutoff (250 Hz * 2^(-0.7 + 3.4 b + 0.9 env + 0.5 lfo + key)),
 * SVF design, gains. mask: which voices to update; all: write every lane
 * (idle lanes of a sounding group only ever play silently, and a voice
 * that starts gets its own update first), else only the masked ones. */
static inline __attribute__((always_inline)) void
update_group(au_inst *in, int o, const int *mask, const int all)
{
    const float rate = in->rate, irate = 1.0f / rate;
    float note[4], env[4], vel[4];
    for (int k = 0; k < 4; k++) {
        note[k] = (float)in->note[o + k];
        env[k] = in->env[o + k].v;
        vel[k] = in->vel[o + k];
    }
    v8f lfo = v8_frac(v8_load(in->lfo + o) + v8_load(in->lfo_inc + o));
    v8f mod = v8_frac(v8_load(in->mod + o) + v8_set(0.45f * AU_BLOCK / rate));
    for (int k = 0; k < 4; k++) {
        if (!mask[k]) continue;
        in->lfo[o + k] = lfo[k];
        in->mod[o + k] = mod[k];
    }
    v8f vn = v8_load(note), one = v8_set(1.0f);
    v8f vib = v8_set(0.03f) * v8_sin2pi(mod); /* 3 cents at 0.45 Hz */
    v8f f = v8_set(440.0f) * v8_exp2((vn + vib - v8_set(69.0f)) * v8_set(1.0f / 12.0f));
    v8f det = v8_load(in->detune + o);
    v8f da = f * det * v8_set(irate), db = f / det * v8_set(irate);
    v8f ds = v8_set(0.5f * irate) * f;
    float b = in->ctl.brightness;
    /* the cutoff tracks the note fully (a fixed number of harmonics pass
     * whatever the register) and opens with brightness: about 3 harmonics
     * at the calmest, 7 at 0.5, 11 at 0.9 (with the envelope, and the
     * LFO's +-0.4 octave) */
    v8f oct = v8_set(PAD_CUT0 + PAD_CUTB * b + in->patch[0]) +
              v8_set(0.6f) * v8_load(env) + v8_set(0.4f) * v8_sin2pi(lfo);
    /* au_svf_design, lane by lane */
    v8f fc = f * v8_exp2(oct);
    fc = v8_max(v8_min(fc, v8_set(PAD_CUT_MAX)), v8_set(10.0f));
    v8f t = v8_set(AU_PIF * irate) * fc;
    v8f g = v8_sinpoly(t) / v8_sinpoly(v8_set(0.5f * AU_PIF) - t);
    v8f kq = v8_set(1.0f / (0.8f + 0.4f * b));
    v8f a1 = one / (one + g * (g + kq)), a2 = g * a1, a3 = g * a2;
    v8f two = v8_set(2.0f), half = v8_set(0.5f);
    v8f lvl = v8_set(PAD_LEVEL) * v8_load(vel), pan = v8_load(in->pan + o);
    v8f gl = lvl * (one + pan) * half, gr = lvl * (one - pan) * half;
    /* keep the sub's rotation on the unit circle */
    v8f ss = v8_load(in->kl[PL_ss] + o), sc = v8_load(in->kl[PL_sc] + o);
    v8f nrm = one / v8_sqrt(ss * ss + sc * sc);
    const v8i mv = {mask[0] ? -1 : 0, mask[1] ? -1 : 0, mask[2] ? -1 : 0,
                    mask[3] ? -1 : 0};
#define SETL(f, x)                                                             \
    v8_store(in->kl[PL_##f] + o,                                               \
             all ? (x) : v8_sel(mv, (x), v8_load(in->kl[PL_##f] + o)))
    SETL(da, da); SETL(db, db); SETL(ida, one / da); SETL(idb, one / db);
    SETL(m11, two * a1 - one); SETL(b1, two * a2); SETL(m22, one - two * a3);
    SETL(b2, two * a3); SETL(gn, half * gl); SETL(gf, half * gr);
    /* sin and cos of 2 pi ds by short Taylor series: error < 3e-8 for
     * notes up to 108 (ds < 0.044), 5e-5 at note 127 */
    v8f x = v8_set(2.0f * AU_PIF) * ds, x2 = x * x;
    v8f sx = x * (one - x2 * (v8_set(1.0f / 6.0f) - x2 * v8_set(1.0f / 120.0f)));
    v8f cx = one - x2 * (half - x2 * (v8_set(1.0f / 24.0f) -
                                     x2 * v8_set(1.0f / 720.0f)));
    SETL(ss, ss * nrm); SETL(sc, sc * nrm); SETL(rs, sx); SETL(rc, cx);
    /* the sub-octave only under voices from A3 up (its sub at 110 Hz and
     * above): low voices leave the bass its register; a piece may give
     * voices F#3-G#3 patch[2] of it (subs at F#2-G#2, 92-104 Hz: the 100
     * Hz third-octave, which a bass on C2-F2 leaves empty; from A3 up as
     * before, whose subs held E dorian's 60-250 Hz share) */
    v8f zero = v8_set(0.0f);
    v8f subk = v8_max(v8_min((vn - v8_set(56.0f)) * v8_set(1.0f / 3.0f), one), zero);
    if (in->patch[2] > 0.0f)
        subk = v8_max(subk, v8_set(in->patch[2]) *
                                v8_max(v8_min(vn - v8_set(53.0f), one), zero) *
                                v8_max(v8_min(v8_set(57.0f) - vn, one), zero));
    SETL(amp, v8_set(PAD_LEVEL * (PAD_SUB + in->patch[1])) * subk * v8_load(vel));
#undef SETL
    for (int k = 0; k < 4; k++) {
        if (!all && !mask[k]) continue;
        in->dt[0][o + k] = da[k];
        in->dt[1][o + k] = db[k];
        in->dt[2][o + k] = ds[k];
        in->gl[o + k] = gl[k];
        in->gr[o + k] = gr[k];
    }
}

static void update(au_inst *in, int v)
{
    int mask[4] = {0, 0, 0, 0};
    mask[v & 3] = 1;
    update_group(in, v & ~3, mask, 0);
}

static void update_all(au_inst *in)
{
    for (int o = 0; o < 8; o += 4) {
        int mask[4], any = 0;
        for (int k = 0; k < 4; k++) {
            mask[k] = in->env[o + k].stage != AU_ENV_IDLE;
            any |= mask[k];
        }
        if (any) update_group(in, o, mask, 1);
    }
}

#define PK_NAME kernel_sse1
#define PK_VT v8f
#define PK_VI v8i
#define PK_W 4
#define PK_NG 1
#define PK_ATTR
#define PK_MIN(a, b) v8_min(a, b)
#define PK_FOLD(o, acc) ((acc) = (o)[0])
#include "pads_kernel.h"

#define PK_NAME kernel_sse2
#define PK_VT v8f
#define PK_VI v8i
#define PK_W 4
#define PK_NG 2
#define PK_ATTR
#define PK_MIN(a, b) v8_min(a, b)
#define PK_FOLD(o, acc) ((acc) = (o)[0] + (o)[1])
#include "pads_kernel.h"

#if AU_SIMD_DISPATCH
#include <immintrin.h>
typedef float v8x __attribute__((vector_size(32)));
typedef int32_t v8xi __attribute__((vector_size(32)));
#define PK_NAME kernel_avx2
#define PK_VT v8x
#define PK_VI v8xi
#define PK_W 8
#define PK_NG 1
#define PK_ATTR AU_TARGET_AVX2
#define PK_MIN(a, b) ((v8x)_mm256_min_ps((__m256)(a), (__m256)(b)))
#define PK_FOLD(o, acc)                                                        \
    ((acc) = (v8f)_mm256_castps256_ps128((__m256)(o)[0]) +                     \
             (v8f)_mm256_extractf128_ps((__m256)(o)[0], 1))
#include "pads_kernel.h"

/* the one-group kernel again, VEX-encoded (three-operand forms, fewer
 * register copies): the same operations, so the same bits */
#define PK_NAME kernel_vex1
#define PK_VT v8f
#define PK_VI v8i
#define PK_W 4
#define PK_NG 1
#define PK_ATTR AU_TARGET_AVX2
#define PK_MIN(a, b) v8_min(a, b)
#define PK_FOLD(o, acc) ((acc) = (o)[0])
#include "pads_kernel.h"

#endif

static void process(au_inst *in, float *L, float *R, int n)
{
    int act[8 / AU_LANES], G = 0;
    for (int g = 0; g < 8 / AU_LANES; g++) {
        int any = 0;
        for (int k = 0; k < AU_LANES; k++)
            any |= in->env[g * AU_LANES + k].stage != AU_ENV_IDLE;
        if (any) act[G++] = g;
    }
    if (!G) return;
    float ev[PE_COUNT][AU_INST_MAXV] __attribute__((aligned(32)));
    for (int k = 0; k < G; k++)
        for (int j = 0; j < AU_LANES; j++) {
            int v = act[k] * AU_LANES + j;
            const au_env *e = &in->env[v];
            ev[PE_env][v] = e->v;
            ev[PE_tgt][v] = e->target;
            ev[PE_er][v] = 1.0f - e->coef;
            ev[PE_dv][v] = e->v - e->target;
        }
    v8f accl[AU_BLOCK], accr[AU_BLOCK];
#if AU_SIMD_DISPATCH
    int use_avx2 = au_simd_avx2();
    if (G == 1 && use_avx2)
        kernel_vex1(in->kl, ev, act[0] * AU_LANES, accl, accr, n);
    else if (G == 1)
        kernel_sse1(in->kl, ev, act[0] * AU_LANES, accl, accr, n);
    else if (use_avx2)
        kernel_avx2(in->kl, ev, 0, accl, accr, n);
    else
        kernel_sse2(in->kl, ev, 0, accl, accr, n);
#else
    if (G == 1) kernel_sse1(in->kl, ev, act[0] * AU_LANES, accl, accr, n);
    else kernel_sse2(in->kl, ev, 0, accl, accr, n);
#endif
    au_lanes_sum(accl, accr, L, R, n);
    for (int k = 0; k < G; k++)
        for (int j = 0; j < AU_LANES; j++) {
            int v = act[k] * AU_LANES + j;
            in->env[v].v = ev[PE_env][v];
        }
}

const au_inst_ops au_pads_ops = {setup, start, update, process, update_all};
