/* Loudness meter against ITU-R BS.1770-4 / EBU Tech 3341 reference points. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "synth/loudness.h"
#include "synth_test_util.h"

static au_loudness m;

static void feed_sine(au_loudness *lm, double f, double dbfs_l, double dbfs_r,
                      double secs, double rate)
{
    int n = (int)(secs * rate);
    float l[1024], r[1024];
    double al = dbfs_l < -200 ? 0 : pow(10, dbfs_l / 20);
    double ar = dbfs_r < -200 ? 0 : pow(10, dbfs_r / 20);
    static double ph;
    for (int i = 0; i < n;) {
        int k = n - i < 1024 ? n - i : 1024;
        for (int j = 0; j < k; j++) {
            double s = sin(2 * M_PI * ph);
            ph += f / rate;
            ph -= floor(ph);
            l[j] = (float)(al * s);
            r[j] = (float)(ar * s);
        }
        au_loudness_process(lm, l, r, k);
        i += k;
    }
}

static void test_reference_tones(void **st)
{
    (void)st;
    const double rates[] = {44100, 48000};
    for (int k = 0; k < 2; k++) {
        /* EBU 3341 case 1: stereo 1 kHz at -23 dBFS reads -23.0 */
        au_loudness_init(&m, rates[k]);
        feed_sine(&m, 1000, -23, -23, 20, rates[k]);
        double l = au_loudness_integrated(&m);
        printf("%.0f Hz: -23 dBFS stereo 1 kHz -> %.3f LUFS\n", rates[k], l);
        assert_true(fabs(l + 23.0) < 0.1);
        /* BS.1770: a full-scale 997 Hz sine in one channel reads -3.01 */
        au_loudness_init(&m, rates[k]);
        feed_sine(&m, 997, 0, -1000, 10, rates[k]);
        l = au_loudness_integrated(&m);
        printf("%.0f Hz: 0 dBFS 997 Hz left only -> %.3f LUFS\n", rates[k], l);
        assert_true(fabs(l + 3.01) < 0.05);
    }
    /* K-weighting: the high shelf makes 10 kHz about 4 dB louder than
     * 1 kHz, the high-pass makes 30 Hz quieter */
    au_loudness_init(&m, 48000);
    feed_sine(&m, 10000, -20, -20, 5, 48000);
    double hi = au_loudness_integrated(&m);
    au_loudness_init(&m, 48000);
    feed_sine(&m, 30, -20, -20, 5, 48000);
    double lo = au_loudness_integrated(&m);
    printf("10 kHz: %.2f, 30 Hz: %.2f LUFS (1 kHz: -20)\n", hi, lo);
    assert_true(hi > -17.0 && hi < -16.0);
    assert_true(lo < -21.0);
}

static void test_gating(void **st)
{
    (void)st;
    /* EBU 3341 case 3: -36 / -23 / -36 dBFS for 10 / 60 / 10 s: -23.0 */
    au_loudness_init(&m, 48000);
    feed_sine(&m, 1000, -36, -36, 10, 48000);
    feed_sine(&m, 1000, -23, -23, 60, 48000);
    feed_sine(&m, 1000, -36, -36, 10, 48000);
    double l = au_loudness_integrated(&m);
    printf("case 3: %.3f LUFS\n", l);
    assert_true(fabs(l + 23.0) < 0.1);
    /* silence is gated out absolutely */
    au_loudness_init(&m, 48000);
    feed_sine(&m, 1000, -1000, -1000, 20, 48000);
    feed_sine(&m, 1000, -20, -20, 10, 48000);
    l = au_loudness_integrated(&m);
    printf("silence + -20 dBFS: %.3f LUFS\n", l);
    assert_true(fabs(l + 20.0) < 0.1);
    assert_true(fabs(au_loudness_momentary(&m) + 20.0) < 0.1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_tones),
        cmocka_unit_test(test_gating),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
