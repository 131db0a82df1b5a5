/* Reverb: RT60 from the impulse response by Schroeder backward integration
 * (T30: the -5..-35 dB slope, extrapolated), damping, stability, echo
 * density. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "synth/dsp.h"
#include "synth/reverb.h"
#include "synth_test_util.h"

static au_reverb rv;

/* impulse response (L+R mono sum) of n frames */
static float *impulse(const au_reverb_config *cfg, float rate, int n)
{
    assert_int_equal(au_reverb_init(&rv, rate, cfg), 0);
    float *ir = calloc((size_t)n, sizeof *ir);
    float inl[AU_BLOCK], inr[AU_BLOCK], ol[AU_BLOCK], orr[AU_BLOCK];
    for (int i = 0; i + AU_BLOCK <= n; i += AU_BLOCK) {
        for (int j = 0; j < AU_BLOCK; j++) inl[j] = inr[j] = 0;
        if (i == 0) inl[0] = inr[0] = 1.0f;
        au_reverb_process(&rv, inl, inr, ol, orr, AU_BLOCK);
        for (int j = 0; j < AU_BLOCK; j++) ir[i + j] = ol[j] + orr[j];
    }
    return ir;
}

static double rt60(const float *ir, int n, float rate)
{
    double *edc = malloc(sizeof(double) * (size_t)n), acc = 0;
    for (int i = n - 1; i >= 0; i--) edc[i] = (acc += (double)ir[i] * ir[i]);
    int t5 = -1, t35 = -1;
    for (int i = 0; i < n; i++) {
        double db = 10 * log10(edc[i] / edc[0]);
        if (t5 < 0 && db <= -5) t5 = i;
        if (t35 < 0 && db <= -35) t35 = i;
    }
    /* least-squares slope over -5..-35 dB */
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int m = 0;
    for (int i = t5; i <= t35; i += 16, m++) {
        double x = i / (double)rate, y = 10 * log10(edc[i] / edc[0]);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    free(edc);
    double slope = (m * sxy - sx * sy) / (m * sxx - sx * sx); /* dB/s */
    return -60.0 / slope;
}

static void test_rt60(void **st)
{
    (void)st;
    const float decays[] = {2.0f, 4.0f, 8.0f};
    const float rates[] = {48000.0f, 44100.0f};
    for (int r = 0; r < 2; r++)
        for (int k = 0; k < 3; k++) {
            au_reverb_config c = au_reverb_config_default();
            c.decay_s = decays[k];
            c.damping_hz = rates[r]; /* damping off: one RT60 at all bands */
            int n = (int)(rates[r] * decays[k] * 0.75f) / AU_BLOCK * AU_BLOCK;
            float *ir = impulse(&c, rates[r], n);
            double t = rt60(ir, n, rates[r]);
            printf("%.0f Hz: RT60 set %.1f s, measured %.2f s\n", rates[r],
                   decays[k], t);
            assert_true(fabs(t - decays[k]) < 0.2 * decays[k]);
            free(ir);
        }
}

static void test_damping_and_density(void **st)
{
    (void)st;
    au_reverb_config c = au_reverb_config_default(); /* 7 s, 6 kHz */
    const float rate = 48000.0f;
    int n = (int)rate * 4 / AU_BLOCK * AU_BLOCK;
    float *ir = impulse(&c, rate, n);
    /* high band (first difference ~ high-pass) loses energy faster than the
     * low band (running sum of 8 ~ low-pass) between 0.2 s and 2 s */
    double hi[2] = {0}, lo[2] = {0};
    int w[2] = {(int)(0.2f * rate), (int)(2.0f * rate)};
    for (int k = 0; k < 2; k++)
        for (int i = w[k]; i < w[k] + 4800; i++) {
            double h = ir[i] - ir[i - 1];
            double l = 0;
            for (int j = 0; j < 8; j++) l += ir[i - j];
            hi[k] += h * h;
            lo[k] += l * l;
        }
    double hd = 10 * log10(hi[1] / hi[0]), ld = 10 * log10(lo[1] / lo[0]);
    printf("0.2 s -> 2 s: high band %.1f dB, low band %.1f dB\n", hd, ld);
    assert_true(hd < ld - 3.0);
    /* stable and finite; echo density: after 100 ms nearly every sample of
     * the tail is non-zero (a sparse, ringing tail would have gaps) */
    int nz = 0, fin = 1;
    for (int i = 0; i < n; i++) fin &= isfinite(ir[i]);
    for (int i = 4800; i < 9600; i++) nz += fabsf(ir[i]) > 1e-7f;
    printf("non-zero samples 100-200 ms: %d of 4800\n", nz);
    assert_true(fin);
    assert_true(nz > 4700);
    free(ir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rt60),
        cmocka_unit_test(test_damping_and_density),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
