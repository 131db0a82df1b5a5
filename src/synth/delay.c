#include "delay.h"

#include <string.h>

#include "dsp.h"
#include "simd.h"

void au_delay_init(au_delay *d, float rate)
{
    memset(d, 0, sizeof *d);
    d->rate = rate;
    d->hp_a = 1.0f / (1.0f + 2.0f * AU_PIF * 100.0f / rate);
    d->lp_a = 1.0f - expf(-2.0f * AU_PIF * 5000.0f / rate);
    d->smooth_c = au_tau_coef(0.5f, rate / AU_BLOCK);
    d->cross = 0.25f;
    au_delay_set(d, 0.75f, 1.0f, 0.5f);
    d->d[0] = d->target[0];
    d->d[1] = d->target[1];
}

void au_delay_set(au_delay *d, float left_s, float right_s, float feedback)
{
    float t[2] = {left_s, right_s};
    for (int c = 0; c < 2; c++) {
        float s = t[c];
        s = s < 0.01f ? 0.01f : s > AU_DELAY_MAX_S ? AU_DELAY_MAX_S : s;
        d->target[c] = s * d->rate;
    }
    d->fb = feedback < 0.0f ? 0.0f : feedback > 0.9f ? 0.9f : feedback;
}

/* one sample of the feedback path, both sides as lanes 0 and 1: the
 * cross-feed, the HP and LP one-poles (each recursion one product and
 * one sum on its chain: hy' = a hy + a (y - hx), lp' = (1 - a) lp + a
 * hy); returns the write (input + feedback) */
static inline __attribute__((always_inline)) v8f
fb_tick(v8f y, v8f in, v8f *hx, v8f *hy, v8f *lp, v8f fb, v8f cr, v8f hp_a,
        v8f lp_a, v8f lp_b)
{
    v8f ys = AU_SHUF(y, y, 1, 0, 2, 3);
    y = y + cr * (ys - y);
    *hy = hp_a * *hy + hp_a * (y - *hx);
    *hx = y;
    *lp = lp_b * *lp + lp_a * *hy;
    return in + fb * *lp;
}

static inline __attribute__((always_inline)) void
process_body(au_delay *d, const float *inL, const float *inR, float *outL,
             float *outR, int n)
{
    const uint32_t mask = AU_DELAY_LEN - 1;
    for (int c = 0; c < 2; c++) d->d[c] += d->smooth_c * (d->target[c] - d->d[c]);
    float dl = d->d[0], dr = d->d[1];
    int il = (int)dl, ir = (int)dr;
    float fl = dl - (float)il, fr = dr - (float)ir;
    uint32_t w = d->w;
    /* reads at w + i - delay with linear interpolation: one contiguous run
     * per side (the guard covers the wrap), vectorisable */
    const float *ql = d->buf[0] + ((w - (uint32_t)il - 1u) & mask);
    const float *qr = d->buf[1] + ((w - (uint32_t)ir - 1u) & mask);
    int i0 = 0;
    if (n == AU_BLOCK) {
        const v8f vfl = v8_set(fl), vfr = v8_set(fr);
        for (int i = 0; i < AU_BLOCK; i += AU_LANES) {
            v8f a = v8_load(ql + i), b = v8_load(ql + i + 1);
            v8_store(outL + i, b + vfl * (a - b));
            a = v8_load(qr + i);
            b = v8_load(qr + i + 1);
            v8_store(outR + i, b + vfr * (a - b));
        }
        i0 = AU_BLOCK;
    }
    for (int i = i0; i < n; i++) {
        outL[i] = ql[i + 1] + fl * (ql[i] - ql[i + 1]);
        outR[i] = qr[i + 1] + fr * (qr[i] - qr[i + 1]);
    }
    /* feedback path: cross-feed, HP and LP one-poles; both sides as lanes
     * 0 and 1 of one vector (the recursions run side by side) */
    const v8f fb = v8_set(d->fb), cr = v8_set(d->cross), hp_a = v8_set(d->hp_a),
              lp_a = v8_set(d->lp_a), lp_b = v8_set(1.0f - d->lp_a);
    v8f hx = {d->hp_x1[0], d->hp_x1[1], 0.0f, 0.0f};
    v8f hy = {d->hp_y1[0], d->hp_y1[1], 0.0f, 0.0f};
    v8f lp = {d->lp_y1[0], d->lp_y1[1], 0.0f, 0.0f};
    float wl[AU_BLOCK], wr[AU_BLOCK];
    /* four samples loaded, interleaved and stored as vectors (dsp.h:
     * au_lr_split4, au_lr_join4) */
    int s = 0;
    for (; s + 4 <= n; s += 4) {
        v8f ys[4], xs[4], ws[4];
        au_lr_split4(outL + s, outR + s, ys);
        au_lr_split4(inL + s, inR + s, xs);
        for (int j = 0; j < 4; j++) ws[j] = fb_tick(ys[j], xs[j], &hx, &hy, &lp, fb, cr, hp_a, lp_a, lp_b);
        au_lr_join4(ws, wl + s, wr + s);
    }
    for (; s < n; s++) {
        v8f wv = fb_tick((v8f){outL[s], outR[s], 0.0f, 0.0f}, (v8f){inL[s], inR[s], 0.0f, 0.0f},
                         &hx, &hy, &lp, fb, cr, hp_a, lp_a, lp_b);
        wl[s] = wv[0];
        wr[s] = wv[1];
    }
    d->hp_x1[0] = hx[0];
    d->hp_x1[1] = hx[1];
    d->hp_y1[0] = hy[0];
    d->hp_y1[1] = hy[1];
    d->lp_y1[0] = lp[0];
    d->lp_y1[1] = lp[1];
    if (n == AU_BLOCK && (w & (AU_BLOCK - 1)) == 0) {
        /* whole aligned block: never wraps */
        for (int i = 0; i < AU_BLOCK; i += AU_LANES) {
            v8_store(d->buf[0] + w + i, v8_load(wl + i));
            v8_store(d->buf[1] + w + i, v8_load(wr + i));
        }
        if (w < AU_DELAY_GUARD) {
            memcpy(d->buf[0] + AU_DELAY_LEN + w, wl, sizeof wl);
            memcpy(d->buf[1] + AU_DELAY_LEN + w, wr, sizeof wr);
        }
        i0 = n;
    } else {
        i0 = 0;
    }
    for (int i = i0; i < n; i++) {
        uint32_t p = (w + (uint32_t)i) & mask;
        d->buf[0][p] = wl[i];
        d->buf[1][p] = wr[i];
        if (p < AU_DELAY_GUARD) {
            d->buf[0][AU_DELAY_LEN + p] = wl[i];
            d->buf[1][AU_DELAY_LEN + p] = wr[i];
        }
    }
    d->w = (w + (uint32_t)n) & mask;
}

static void process_generic(au_delay *d, const float *inL, const float *inR,
                            float *outL, float *outR, int n)
{
    process_body(d, inL, inR, outL, outR, n);
}

#if AU_SIMD_DISPATCH
AU_TARGET_AVX2 static void process_avx2(au_delay *d, const float *inL,
                                        const float *inR, float *outL,
                                        float *outR, int n)
{
    process_body(d, inL, inR, outL, outR, n);
}
#endif

void au_delay_process(au_delay *d, const float *inL, const float *inR,
                      float *outL, float *outR, int n)
{
#if AU_SIMD_DISPATCH
    if (au_simd_avx2()) {
        process_avx2(d, inL, inR, outL, outR, n);
        return;
    }
#endif
    process_generic(d, inL, inR, outL, outR, n);
}
