#include "reverb.h"

#include <string.h>

#include "../core/au.h"
#include "dsp.h"

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

/* Block form: every line is at least AU_BLOCK + 2 samples long, so a whole
 * block of reads can come before the block's writes; each stage is then a
 * loop over the block that the compiler vectorises. */
void au_reverb_process(au_reverb *r, const float *inL, const float *inR,
                       float *outL, float *outR, int frames)
{
    (void)frames; /* always AU_BLOCK: a constant trip count vectorises */
    enum { n = AU_BLOCK };
    const uint32_t mask = AU_REV_LEN - 1, amask = AU_REV_AP_LEN - 1;
    float x[2][AU_BLOCK];
    for (int i = 0; i < n; i++) {
        x[0][i] = inL[i];
        x[1][i] = inR[i];
    }
    /* input diffusion: two allpasses per side (coefficient 0.6) */
    uint32_t apw = r->apw;
    for (int k = 0; k < AU_REV_AP; k++) {
        float *xc = x[k >> 1], *ap = r->ap[k];
        uint32_t rd = apw - (uint32_t)r->ap_len[k];
        for (int i = 0; i < n; i++) {
            float dl = ap[(rd + (uint32_t)i) & amask];
            float v = xc[i] + 0.6f * dl;
            ap[(apw + (uint32_t)i) & amask] = v;
            xc[i] = dl - 0.6f * v;
        }
    }
    r->apw = (apw + (uint32_t)n) & amask;

    float y[AU_REV_LINES][AU_BLOCK], s[AU_REV_LINES][AU_BLOCK];
    float tmp[AU_BLOCK + 1];
    uint32_t w = r->w;
    for (int k = 0; k < AU_REV_LINES; k++) {
        r->lfo[k] += r->lfo_inc[k];
        if (r->lfo[k] >= 1.0f) r->lfo[k] -= 1.0f;
        float d = r->base[k] + r->cfg.mod_depth * au_sin2pi(r->lfo[k]);
        int di = (int)d;
        float f = d - (float)di;
        const float *ln = r->line[k];
        uint32_t st = w - (uint32_t)di - 1u;
        for (int j = 0; j <= n; j++) tmp[j] = ln[(st + (uint32_t)j) & mask];
        for (int i = 0; i < n; i++)
            y[k][i] = tmp[i + 1] + f * (tmp[i] - tmp[i + 1]);
    }
    /* damping low-pass and RT60 gain: lines in the inner loop, so eight
     * independent recursions overlap instead of one long latency chain */
    float lp[AU_REV_LINES], g[AU_REV_LINES], da = r->damp_a;
    for (int k = 0; k < AU_REV_LINES; k++) {
        lp[k] = r->lp[k];
        g[k] = r->g[k];
    }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < AU_REV_LINES; k++) {
            lp[k] += da * (y[k][i] - lp[k]);
            s[k][i] = g[k] * lp[k];
        }
    for (int k = 0; k < AU_REV_LINES; k++) r->lp[k] = lp[k];
    /* 8-point Walsh-Hadamard across lines, scaled by 1/sqrt(8) */
    for (int h = 1; h < AU_REV_LINES; h <<= 1)
        for (int a = 0; a < AU_REV_LINES; a += h << 1)
            for (int j = a; j < a + h; j++) {
                float *restrict p = s[j], *restrict q = s[j + h];
                for (int i = 0; i < n; i++) {
                    float u = p[i], v = q[i];
                    p[i] = u + v;
                    q[i] = u - v;
                }
            }
    for (int k = 0; k < AU_REV_LINES; k++) {
        float *ln = r->line[k];
        const float *xc = x[k & 1];
        for (int i = 0; i < n; i++)
            ln[(w + (uint32_t)i) & mask] = 0.35355339f * s[k][i] + 0.5f * xc[i];
    }
    for (int i = 0; i < n; i++) {
        outL[i] = 0.5f * (y[0][i] - y[2][i] + y[4][i] - y[6][i] +
                          0.3f * y[1][i]);
        outR[i] = 0.5f * (y[1][i] - y[3][i] + y[5][i] - y[7][i] +
                          0.3f * y[0][i]);
    }
    r->w = (w + (uint32_t)n) & mask;
}
