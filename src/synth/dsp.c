#include "dsp.h"

double au_svf_lp_mag(double cutoff_hz, double q, double f, double rate)
{
    double fc = cutoff_hz;
    if (fc < 10.0) fc = 10.0;
    if (fc > 0.45 * rate) fc = 0.45 * rate;
    /* bilinear transform maps f to the analogue frequency tan(pi f/fs),
     * normalised by the prewarped cutoff */
    double w = tan(AU_PI * f / rate) / tan(AU_PI * fc / rate);
    double k = 1.0 / (q > 0.1 ? q : 0.1);
    double re = 1.0 - w * w, im = k * w;
    return 1.0 / sqrt(re * re + im * im);
}

void au_svf_blk_design(au_svf_blk *b, const au_svf_coef *c)
{
    /* one sample: s' = M s + N x, band-pass v1 = C s + D x (au_svf_tick
     * written out: v1 = a1 ic1 + a2 (x - ic2), ic1' = 2 v1 - ic1, ic2' =
     * 2 (ic2 + a2 ic1 + a3 (x - ic2)) - ic2) */
    double a1 = c->a1, a2 = c->a2, a3 = c->a3;
    double M[2][2] = {{2 * a1 - 1, -2 * a2}, {2 * a2, 1 - 2 * a3}};
    double N[2] = {2 * a2, 2 * a3}, C[2] = {a1, -a2}, D = a2;
    double cm[4][2], mn[4][2], h[4];
    cm[0][0] = C[0];
    cm[0][1] = C[1];
    mn[0][0] = N[0];
    mn[0][1] = N[1];
    for (int k = 1; k < 4; k++) {
        for (int j = 0; j < 2; j++) {
            cm[k][j] = cm[k - 1][0] * M[0][j] + cm[k - 1][1] * M[1][j]; /* C M^k */
            mn[k][j] = M[j][0] * mn[k - 1][0] + M[j][1] * mn[k - 1][1]; /* M^k N */
        }
    }
    h[0] = D; /* impulse response: h[m] = C M^(m-1) N */
    for (int m = 1; m < 4; m++) h[m] = cm[m - 1][0] * N[0] + cm[m - 1][1] * N[1];
    double m2[2][2], m4[2][2];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) m2[i][j] = M[i][0] * M[0][j] + M[i][1] * M[1][j];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) m4[i][j] = m2[i][0] * m2[0][j] + m2[i][1] * m2[1][j];
    for (int k = 0; k < 4; k++) {
        b->p1[k] = (float)cm[k][0];
        b->p2[k] = (float)cm[k][1];
        for (int j = 0; j < 4; j++) b->q[j][k] = k >= j ? (float)h[k - j] : 0.0f;
    }
    b->r1 = (v8f){(float)m4[0][0], (float)m4[1][0], 0.0f, 0.0f};
    b->r2 = (v8f){(float)m4[0][1], (float)m4[1][1], 0.0f, 0.0f};
    for (int j = 0; j < 4; j++)
        b->u[j] = (v8f){(float)mn[3 - j][0], (float)mn[3 - j][1], 0.0f, 0.0f};
}
