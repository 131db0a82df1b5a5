#include "loudness.h"

#include <math.h>
#include <string.h>

void au_kweight_design(au_kweight_coef *c, double rate)
{
    /* BS.1770 filters re-derived for any rate (as libebur128 does) */
    double f0 = 1681.974450955533, G = 3.999843853973347;
    double Q = 0.7071752369554196;
    double K = tan(M_PI * f0 / rate);
    double Vh = pow(10.0, G / 20.0), Vb = pow(Vh, 0.4996667741545416);
    double a0 = 1.0 + K / Q + K * K;
    c->b[0][0] = (Vh + Vb * K / Q + K * K) / a0;
    c->b[0][1] = 2.0 * (K * K - Vh) / a0;
    c->b[0][2] = (Vh - Vb * K / Q + K * K) / a0;
    c->a[0][0] = 1.0;
    c->a[0][1] = 2.0 * (K * K - 1.0) / a0;
    c->a[0][2] = (1.0 - K / Q + K * K) / a0;
    f0 = 38.13547087602444;
    Q = 0.5003270373238773;
    K = tan(M_PI * f0 / rate);
    a0 = 1.0 + K / Q + K * K;
    c->b[1][0] = 1.0;
    c->b[1][1] = -2.0;
    c->b[1][2] = 1.0;
    c->a[1][0] = 1.0;
    c->a[1][1] = 2.0 * (K * K - 1.0) / a0;
    c->a[1][2] = (1.0 - K / Q + K * K) / a0;
    for (int s = 0; s < 2; s++)
        for (int j = 0; j < 3; j++) {
            c->fb[s][j] = (float)c->b[s][j];
            c->fa[s][j] = (float)c->a[s][j];
        }
}

double au_lufs_of_power(double p)
{
    return p > 0.0 ? -0.691 + 10.0 * log10(p) : -HUGE_VAL;
}

void au_loudness_init(au_loudness *m, double rate)
{
    memset(m, 0, sizeof *m);
    au_kweight_design(&m->coef, rate);
    m->sub_len = (int)lround(rate * 0.1);
}

static void add_block(au_loudness *m, double e)
{
    double l = au_lufs_of_power(e);
    if (!(l > -70.0)) return;
    int bin = (int)((l + 70.0) * 100.0);
    if (bin >= AU_LOUD_BINS) bin = AU_LOUD_BINS - 1;
    m->hist_n[bin]++;
    m->hist_e[bin] += e;
}

void au_loudness_process(au_loudness *m, const float *L, const float *R,
                         int n)
{
    for (int i = 0; i < n; i++) {
        float l = au_kweight_step(&m->kw[0], &m->coef, L[i]);
        float r = au_kweight_step(&m->kw[1], &m->coef, R[i]);
        m->acc += (double)l * l + (double)r * r;
        if (++m->sub_fill == m->sub_len) {
            m->sub[m->nsub & 3] = m->acc / m->sub_len;
            m->nsub++;
            m->acc = 0.0;
            m->sub_fill = 0;
            if (m->nsub >= 4) {
                double e = 0.25 * (m->sub[0] + m->sub[1] + m->sub[2] +
                                   m->sub[3]);
                m->momentary = e;
                add_block(m, e);
            }
        }
    }
}

double au_loudness_integrated(const au_loudness *m)
{
    double se = 0.0;
    uint64_t n = 0;
    for (int b = 0; b < AU_LOUD_BINS; b++) {
        se += m->hist_e[b];
        n += m->hist_n[b];
    }
    if (!n) return -HUGE_VAL;
    double rel = au_lufs_of_power(se / (double)n) - 10.0;
    se = 0.0;
    n = 0;
    for (int b = 0; b < AU_LOUD_BINS; b++) {
        double lo = -70.0 + b * 0.01;
        if (lo + 0.01 <= rel) continue; /* bin entirely below the gate */
        se += m->hist_e[b];
        n += m->hist_n[b];
    }
    return n ? au_lufs_of_power(se / (double)n) : -HUGE_VAL;
}

double au_loudness_momentary(const au_loudness *m)
{
    return au_lufs_of_power(m->momentary);
}
