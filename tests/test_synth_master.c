/* Master bus: true-peak ceiling on hot material (checked by an independent
 * 8x windowed-sinc upsampler), the loudness rider reaching -16 LUFS from
 * quiet and loud inputs, NaN never escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/rng.h"
#include "synth/dsp.h"
#include "synth/loudness.h"
#include "synth/master.h"
#include "synth_test_util.h"

static au_master m;

/* independent true peak: 8x, 64-tap Kaiser-ish windowed sinc per phase */
static double tp8(const float *x, int frames)
{
    double peak = 0;
    for (int c = 0; c < 2; c++)
        for (int i = 32; i < frames - 32; i++)
            for (int ph = 0; ph < 8; ph++) {
                double s = 0, fr = ph / 8.0;
                for (int k = -31; k <= 32; k++) {
                    double t = k - fr;
                    double sinc = fabs(t) < 1e-12 ? 1 : sin(M_PI * t) / (M_PI * t);
                    double w = 0.5 + 0.5 * cos(M_PI * t / 33.0);
                    s += x[2 * (i + k) + c] * sinc * w;
                }
                peak = fabs(s) > peak ? fabs(s) : peak;
            }
    return 20 * log10(peak);
}

static void test_true_peak_ceiling(void **st)
{
    (void)st;
    au_master_config c = au_master_config_default();
    c.rider = 0;
    c.initial_gain_db = 0;
    c.fade_in_s = 0;
    assert_int_equal(au_master_init(&m, 48000, &c), 0);
    const int n = 48000;
    float *l = malloc(sizeof(float) * n), *r = malloc(sizeof(float) * n);
    float *out = malloc(sizeof(float) * 2 * n);
    au_rng g;
    au_rng_seed(&g, 1, 2);
    /* +12 dB over full scale: a fs/4 sine at 45 degrees (true peak 3 dB
     * above its samples), bursts of noise, a low sine */
    for (int i = 0; i < n; i++) {
        double t = (double)i / 48000;
        float s = (float)(4.0 * sin(2 * M_PI * 12000 * t + M_PI / 4));
        float b = (i / 4800) & 1 ? 4.0f * (au_rng_unitf(&g) * 2 - 1) : 0.0f;
        l[i] = i < n / 2 ? s : b + (float)(2.0 * sin(2 * M_PI * 80 * t));
        r[i] = i < n / 2 ? -s : b;
    }
    au_master_process(&m, l, r, out, n);
    double tp = tp8(out, n), own = 20 * log10(au_true_peak(out, n));
    double sp = 0;
    for (int i = 0; i < 2 * n; i++) sp = fabs(out[i]) > sp ? fabs(out[i]) : sp;
    printf("hot input: out sample peak %.2f dBFS, true peak %.2f dBTP "
           "(own meter %.2f)\n", 20 * log10(sp), tp, own);
    assert_true(tp <= -1.0);
    assert_true(own <= -1.0);
    /* and it is not simply silent: the limiter sits near the ceiling */
    assert_true(tp > -3.0);
    free(l);
    free(r);
    free(out);
}

static double ride(float level_db, double seconds, double *tp_out)
{
    au_master_config c = au_master_config_default();
    assert_int_equal(au_master_init(&m, 48000, &c), 0);
    static au_loudness lm;
    au_loudness_init(&lm, 48000);
    au_rng g;
    au_rng_seed(&g, 3, 4);
    float l[AU_BLOCK], r[AU_BLOCK], o[2 * AU_BLOCK], ol[AU_BLOCK], orr[AU_BLOCK];
    float a = au_db_to_gain(level_db);
    int blocks = (int)(seconds * 48000 / AU_BLOCK);
    double ph = 0, tp = 0;
    for (int b = 0; b < blocks; b++) {
        for (int i = 0; i < AU_BLOCK; i++) {
            /* a chord of three sines with slow swells plus a little noise */
            double t = (b * AU_BLOCK + i) / 48000.0;
            double sw = 0.6 + 0.4 * sin(2 * M_PI * 0.1 * t);
            double s = sin(2 * M_PI * ph) + 0.5 * sin(2 * M_PI * ph * 1.5) +
                       0.3 * sin(2 * M_PI * ph * 2.01);
            ph += 220.0 / 48000;
            float nz = 0.05f * (au_rng_unitf(&g) * 2 - 1);
            l[i] = a * (float)(0.4 * sw * s) + a * nz;
            r[i] = a * (float)(0.4 * sw * s) - a * nz;
        }
        au_master_process(&m, l, r, o, AU_BLOCK);
        for (int i = 0; i < AU_BLOCK; i++) {
            ol[i] = o[2 * i];
            orr[i] = o[2 * i + 1];
            tp = fabs(o[2 * i]) > tp ? fabs(o[2 * i]) : tp;
        }
        if (b * AU_BLOCK >= 48000 * 120) /* measure after settling (the rider is slow) */
            au_loudness_process(&lm, ol, orr, AU_BLOCK);
    }
    *tp_out = 20 * log10(tp);
    return au_loudness_integrated(&lm);
}

static void test_rider(void **st)
{
    (void)st;
    const float levels[] = {-35.0f, -20.0f, -6.0f};
    for (int k = 0; k < 3; k++) {
        double sp;
        double l = ride(levels[k], 240, &sp);
        printf("input %.0f dBFS: output %.2f LUFS, sample peak %.2f dBFS\n",
               levels[k], l, sp);
        assert_true(fabs(l + 16.0) < 1.0);
        assert_true(sp <= -1.0);
    }
}

static void test_nan_guard(void **st)
{
    (void)st;
    au_master_config c = au_master_config_default();
    assert_int_equal(au_master_init(&m, 44100, &c), 0);
    float l[256], r[256], out[512];
    for (int rep = 0; rep < 100; rep++) {
        for (int i = 0; i < 256; i++) {
            l[i] = (i % 7 == 0) ? NAN : 0.1f * sinf((float)i);
            r[i] = (i % 11 == 0) ? INFINITY : -0.1f;
        }
        au_master_process(&m, l, r, out, 256);
        for (int i = 0; i < 512; i++) assert_true(isfinite(out[i]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_true_peak_ceiling),
        cmocka_unit_test(test_rider),
        cmocka_unit_test(test_nan_guard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
