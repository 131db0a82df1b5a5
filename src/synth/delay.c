#include "delay.h"

#include <string.h>

#include "dsp.h"

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

void au_delay_process(au_delay *d, const float *inL, const float *inR,
                      float *outL, float *outR, int n)
{
    const uint32_t mask = AU_DELAY_LEN - 1;
    for (int c = 0; c < 2; c++) d->d[c] += d->smooth_c * (d->target[c] - d->d[c]);
    float dl = d->d[0], dr = d->d[1];
    int il = (int)dl, ir = (int)dr;
    float fl = dl - (float)il, fr = dr - (float)ir;
    float fb = d->fb, cr = d->cross, hp_a = d->hp_a, lp_a = d->lp_a;
    float *bl = d->buf[0], *br = d->buf[1];
    uint32_t w = d->w;
    for (int i = 0; i < n; i++) {
        /* read at w - delay with linear interpolation */
        uint32_t a = (w - (uint32_t)il) & mask, b = (a - 1) & mask;
        float yl = bl[a] + fl * (bl[b] - bl[a]);
        a = (w - (uint32_t)ir) & mask;
        b = (a - 1) & mask;
        float yr = br[a] + fr * (br[b] - br[a]);
        outL[i] = yl;
        outR[i] = yr;
        float y[2] = {yl + cr * (yr - yl), yr + cr * (yl - yr)};
        for (int c = 0; c < 2; c++) {
            float h = hp_a * (d->hp_y1[c] + y[c] - d->hp_x1[c]);
            d->hp_x1[c] = y[c];
            d->hp_y1[c] = h;
            d->lp_y1[c] += lp_a * (h - d->lp_y1[c]);
        }
        bl[w] = inL[i] + fb * d->lp_y1[0];
        br[w] = inR[i] + fb * d->lp_y1[1];
        w = (w + 1) & mask;
    }
    d->w = w;
}
