/* Filters: the SVF low-pass measured with sines against its bilinear design
 * (and against the analogue prototype's defining points), the DC blocker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "synth/dsp.h"
#include "synth_test_util.h"

/* steady-state gain of the filter for a sine at f */
static double measure(float fc, float q, double f, float rate)
{
    au_svf s = {0};
    au_svf_coef c = au_svf_design(fc, q, rate);
    const int settle = (int)rate, n = (int)rate;
    float *y = malloc(sizeof(float) * n);
    double ph = 0, inc = f / rate;
    for (int i = 0; i < settle + n; i++) {
        float x = (float)sin(2 * M_PI * ph);
        ph += inc;
        ph -= floor(ph);
        float o = au_svf_lp(&s, &c, x);
        if (i >= settle) y[i - settle] = o;
    }
    double g = tu_rms(y, 1, n) / sqrt(0.5);
    free(y);
    return g;
}

static void test_svf_response(void **st)
{
    (void)st;
    const float rate = 48000.0f;
    const float fcs[] = {200.0f, 1000.0f, 5000.0f};
    const float qs[] = {0.707f, 2.0f};
    const double fs_[] = {50, 200, 500, 1000, 2000, 5000, 10000, 15000};
    for (size_t a = 0; a < 3; a++)
        for (size_t b = 0; b < 2; b++)
            for (size_t k = 0; k < sizeof fs_ / sizeof fs_[0]; k++) {
                double got = 20 * log10(measure(fcs[a], qs[b], fs_[k], rate));
                double want = 20 * log10(au_svf_lp_mag(fcs[a], qs[b], fs_[k], rate));
                if (fabs(got - want) > 0.1 || k == 3)
                    printf("fc %g q %g f %g: %.3f dB (design %.3f)\n", fcs[a],
                           qs[b], fs_[k], got, want);
                if (want > -60) assert_true(fabs(got - want) < 0.1);
            }
    /* the design itself: gain q at the cutoff, 12 dB/octave far above,
     * flat far below */
    double at_fc = measure(1000.0f, 0.707f, 1000.0, rate);
    assert_true(fabs(20 * log10(at_fc) - 20 * log10(0.707)) < 0.1);
    double peak = measure(1000.0f, 2.0f, 1000.0, rate);
    assert_true(fabs(20 * log10(peak) - 20 * log10(2.0)) < 0.1);
    double o1 = 20 * log10(measure(200.0f, 0.707f, 800.0, rate));
    double o2 = 20 * log10(measure(200.0f, 0.707f, 1600.0, rate));
    printf("200 Hz LP: %.2f dB at 800, %.2f at 1600\n", o1, o2);
    assert_true(fabs((o1 - o2) - 12.0) < 0.5);
    assert_true(fabs(20 * log10(measure(5000.0f, 0.707f, 50.0, rate))) < 0.01);
}

/* The SVF four samples a step (au_svf_blk4) against the sample-by-sample
 * band-pass: the same filter to float rounding, for low, middle and high
 * bands, Q from 0.5 to 4, over a second of noise (its state carried from
 * step to step, so an error in the state update would grow) */
static void test_svf_blk_matches_svf(void **st)
{
    (void)st;
    const float hz[] = {70.0f, 125.0f, 1000.0f, 5500.0f, 9000.0f, 18000.0f};
    const float qs[] = {0.5f, 0.6f, 0.707f, 4.0f};
    uint32_t r = 12345u;
    for (size_t a = 0; a < sizeof hz / sizeof hz[0]; a++)
        for (size_t b = 0; b < sizeof qs / sizeof qs[0]; b++) {
            au_svf_coef c = au_svf_design(hz[a], qs[b], 48000.0f);
            au_svf_blk k;
            au_svf_blk_design(&k, &c);
            au_svf ref = {0.0f, 0.0f};
            v8f s = {0.0f, 0.0f, 0.0f, 0.0f};
            double err2 = 0.0, ref2 = 0.0, maxerr = 0.0;
            for (int i = 0; i < 48000; i += 4) {
                float x[4];
                for (int j = 0; j < 4; j++) {
                    r = r * 1664525u + 1013904223u;
                    x[j] = (float)(r >> 8) / 8388608.0f - 1.0f;
                }
                v8f y = au_svf_blk4(&s, &k, (v8f){x[0], x[1], x[2], x[3]});
                for (int j = 0; j < 4; j++) {
                    double want = au_svf_bp(&ref, &c, x[j]), d = (double)y[j] - want;
                    err2 += d * d;
                    ref2 += want * want;
                    maxerr = fabs(d) > maxerr ? fabs(d) : maxerr;
                }
            }
            double rel = sqrt(err2 / ref2);
            if (rel > 1e-5 || maxerr > 1e-5)
                fail_msg("%.0f Hz Q %.3f: error %.3g of the rms, max %.3g", hz[a], qs[b], rel, maxerr);
            /* the states agree too */
            assert_true(fabsf(s[0] - ref.ic1) < 1e-4f && fabsf(s[1] - ref.ic2) < 1e-4f);
        }
}

static void test_dc_blocker(void **st)
{
    (void)st;
    au_dcblock d;
    au_dcblock_init(&d, 5.0f, 48000.0f);
    float y = 0;
    for (int i = 0; i < 48000 * 2; i++) y = au_dcblock_step(&d, 0.5f);
    assert_true(fabsf(y) < 1e-4f); /* DC removed */
    /* a 100 Hz tone passes within 0.05 dB */
    double s = 0;
    for (int i = 0; i < 48000; i++) {
        float v = au_dcblock_step(&d, (float)sin(2 * M_PI * 100.0 * i / 48000));
        if (i >= 24000) s += (double)v * v;
    }
    double g = 20 * log10(sqrt(s / 24000) / sqrt(0.5));
    printf("dc blocker at 100 Hz: %.3f dB\n", g);
    assert_true(fabs(g) < 0.05);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_svf_response),
        cmocka_unit_test(test_dc_blocker),
        cmocka_unit_test(test_svf_blk_matches_svf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
