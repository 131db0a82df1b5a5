#include "reverb.h"

#include <string.h>

#include "../core/au.h"
#include "dsp.h"
#include "simd.h"

/* Mutually prime lengths at 48 kHz, spread over a factor 2.6 so that modal
 * spacing is even; the sum (~20k samples) gives a dense late field. */
static const float base48[AU_REV_LINES] = {1399, 1723, 2027, 2339,
                                           2671, 3011, 3323, 3701};
static const float ap48[AU_REV_AP] = {227, 173, 241, 157};

au_reverb_config au_reverb_config_default(void)
{
    au_reverb_config c = {.decay_s = 7.0f, .damping_hz = 6000.0f,
                          .size = 1.0f, .mod_depth = 6.0f};
    return c;
}

int au_reverb_init(au_reverb *r, float rate, const au_reverb_config *cfg)
{
    if (rate < 8000.0f || rate > 96000.0f || cfg->size < 0.25f ||
        cfg->mod_depth < 0.0f || cfg->mod_depth > 32.0f)
        return AU_EINVAL;
    float scale = cfg->size * rate / 48000.0f;
    if (base48[AU_REV_LINES - 1] * scale + cfg->mod_depth + 4 > AU_REV_LEN)
        return AU_EINVAL;
    /* a block's reads must all come before its writes */
    if (base48[0] * scale - cfg->mod_depth < AU_BLOCK + 2) return AU_EINVAL;
    memset(r, 0, sizeof *r);
    r->rate = rate;
    r->cfg = *cfg;
    for (int k = 0; k < AU_REV_LINES; k++) {
        r->base[k] = base48[k] * scale;
        r->d[k] = r->base[k];
        r->lfo[k] = (float)k / AU_REV_LINES;
        /* 0.07 .. 0.5 Hz, none a multiple of another */
        r->lfo_inc[k] = (0.07f + 0.061f * (float)k) * AU_BLOCK / rate;
    }
    for (int k = 0; k < AU_REV_AP; k++) {
        int len = (int)(ap48[k] * rate / 48000.0f);
        len = len < AU_BLOCK ? AU_BLOCK : len;
        r->ap_len[k] = len < AU_REV_AP_LEN ? len : AU_REV_AP_LEN - 1;
    }
    au_reverb_set(r, cfg->decay_s, cfg->damping_hz);
    return 0;
}

void au_reverb_set(au_reverb *r, float decay_s, float damping_hz)
{
    if (decay_s < 0.1f) decay_s = 0.1f;
    r->cfg.decay_s = decay_s;
    r->cfg.damping_hz = damping_hz;
    for (int k = 0; k < AU_REV_LINES; k++)
        r->g[k] = powf(10.0f, -3.0f * r->base[k] / (decay_s * r->rate));
    /* at or above Nyquist the damping is off (exact RT60 at all bands) */
    float a = damping_hz >= 0.49f * r->rate
                  ? 1.0f
                  : 1.0f - expf(-2.0f * AU_PIF * damping_hz / r->rate);
    r->damp_a = a;
}

/* Block form: every line is longer than a block, so a whole block of reads
 * comes before the block's writes; writes start at multiples of AU_BLOCK
 * (never wrap) and reads are contiguous thanks to the guard copies. The
 * block runs in 4-frame steps with 4-lane vectors along time, except the
 * damping recursion, which runs across lines (a 4x4 transpose there and
 * back), so eight independent one-poles share each vector operation. */
static inline __attribute__((always_inline)) void
process_body(au_reverb *r, const float *inL, const float *inR, float *outL,
             float *outR, int frames)
{
    (void)frames; /* always AU_BLOCK */
    enum { n = AU_BLOCK, Q = AU_BLOCK / AU_LANES };
    const uint32_t mask = AU_REV_LEN - 1, amask = AU_REV_AP_LEN - 1;
    float x[2][AU_BLOCK];
    for (int i = 0; i < n; i++) {
        x[0][i] = inL[i];
        x[1][i] = inR[i];
    }
    /* input diffusion: two allpasses per side (coefficient 0.6); each
     * reads at least a block behind its writes */
    uint32_t apw = r->apw;
    const v8f c6 = v8_set(0.6f);
#pragma GCC unroll 4
    for (int k = 0; k < AU_REV_AP; k++) {
        float *xc = x[k >> 1], *ap = r->ap[k];
        const float *rd = ap + ((apw - (uint32_t)r->ap_len[k]) & amask);
#pragma GCC unroll 8
        for (int q = 0; q < Q; q++) {
            v8f dl = v8_load(rd + AU_LANES * q);
            v8f v = v8_load(xc + AU_LANES * q) + c6 * dl;
            v8_store(ap + apw + AU_LANES * q, v);
            v8_store(xc + AU_LANES * q, dl - c6 * v);
        }
        if (apw < AU_REV_GUARD)
            memcpy(ap + AU_REV_AP_LEN + apw, ap + apw, sizeof(float) * n);
    }
    r->apw = (apw + (uint32_t)n) & amask;

    uint32_t w = r->w;
    const float *rp[AU_REV_LINES];
    v8f fr[AU_REV_LINES];
    for (int k = 0; k < AU_REV_LINES; k++) {
        r->lfo[k] += r->lfo_inc[k];
        if (r->lfo[k] >= 1.0f) r->lfo[k] -= 1.0f;
        float d = r->base[k] + r->cfg.mod_depth * au_sin2pi(r->lfo[k]);
        int di = (int)d;
        fr[k] = v8_set(d - (float)di);
        rp[k] = r->line[k] + ((w - (uint32_t)di - 1u) & mask);
    }
    v8f lpa = v8_load(r->lp), lpb = v8_load(r->lp + 4);
    v8f ga = v8_load(r->g), gb = v8_load(r->g + 4);
    const v8f da = v8_set(r->damp_a), oda = v8_set(1.0f - r->damp_a), norm = v8_set(0.35355339f),
              half = v8_set(0.5f), c3 = v8_set(0.3f);
    for (int q = 0; q < Q; q++) {
        const int o = AU_LANES * q;
        v8f y[AU_REV_LINES], s[AU_REV_LINES];
#pragma GCC unroll 8
        for (int k = 0; k < AU_REV_LINES; k++) {
            v8f t0 = v8_load(rp[k] + o), t1 = v8_load(rp[k] + o + 1);
            y[k] = t1 + fr[k] * (t0 - t1);
            s[k] = y[k];
        }
        v8_store(outL + o, half * (y[0] - y[2] + y[4] - y[6] + c3 * y[1]));
        v8_store(outR + o, half * (y[1] - y[3] + y[5] - y[7] + c3 * y[0]));
        /* damping low-pass and RT60 gain, lines across lanes */
        v8_transpose4(s);
        v8_transpose4(s + 4);
        /* lp' = (1 - a) lp + a s: one product and one sum on the
         * loop-carried chain (lp += a (s - lp) chains three) */
#pragma GCC unroll 4
        for (int j = 0; j < AU_LANES; j++) {
            lpa = oda * lpa + da * s[j];
            lpb = oda * lpb + da * s[4 + j];
            s[j] = ga * lpa;
            s[4 + j] = gb * lpb;
        }
        v8_transpose4(s);
        v8_transpose4(s + 4);
        /* 8-point Walsh-Hadamard across lines (scaled by 1/sqrt(8) below) */
#define BF(j, h)                                                               \
    do {                                                                       \
        v8f u_ = s[j], v_ = s[(j) + (h)];                                      \
        s[j] = u_ + v_;                                                        \
        s[(j) + (h)] = u_ - v_;                                                \
    } while (0)
        BF(0, 1); BF(2, 1); BF(4, 1); BF(6, 1);
        BF(0, 2); BF(1, 2); BF(4, 2); BF(5, 2);
        BF(0, 4); BF(1, 4); BF(2, 4); BF(3, 4);
#undef BF
        v8f xl = half * v8_load(x[0] + o), xr = half * v8_load(x[1] + o);
#pragma GCC unroll 8
        for (int k = 0; k < AU_REV_LINES; k++)
            v8_store(r->line[k] + w + o, norm * s[k] + (k & 1 ? xr : xl));
    }
    v8_store(r->lp, lpa);
    v8_store(r->lp + 4, lpb);
    if (w < AU_REV_GUARD)
        for (int k = 0; k < AU_REV_LINES; k++)
            memcpy(r->line[k] + AU_REV_LEN + w, r->line[k] + w,
                   sizeof(float) * n);
    r->w = (w + (uint32_t)n) & mask;
}

static void process_generic(au_reverb *r, const float *inL, const float *inR,
                            float *outL, float *outR, int frames)
{
    process_body(r, inL, inR, outL, outR, frames);
}

#if AU_SIMD_DISPATCH
/* VEX encoding of the same body. (An 8-frame AVX body with an 8x8
 * transpose for the damping was measured slower here.) */
AU_TARGET_AVX2 static void process_avx2(au_reverb *r, const float *inL,
                                        const float *inR, float *outL,
                                        float *outR, int frames)
{
    process_body(r, inL, inR, outL, outR, frames);
}
#endif

void au_reverb_process(au_reverb *r, const float *inL, const float *inR,
                       float *outL, float *outR, int frames)
{
#if AU_SIMD_DISPATCH
    if (au_simd_avx2()) {
        process_avx2(r, inL, inR, outL, outR, frames);
        return;
    }
#endif
    process_generic(r, inL, inR, outL, outR, frames);
}
