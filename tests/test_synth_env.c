/* Envelopes and voices: attack and release times, a pad's release measured
 * at the instrument's output, voice stealing without clicks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "synth/dsp.h"
#include "synth/inst.h"
#include "synth_test_util.h"

static void test_env_times(void **st)
{
    (void)st;
    const float rate = 48000.0f;
    const float attacks[] = {0.01f, 1.0f, 4.0f};
    for (int k = 0; k < 3; k++) {
        au_env e = {0, AU_ENV_OVERSHOOT, au_env_attack_coef(attacks[k], rate),
                    AU_ENV_ATTACK};
        int i = 0;
        while (au_env_step(&e) < 1.0f) i++;
        double t = (i + 1) / rate;
        printf("attack %.2f s: reached full level at %.4f s\n", attacks[k], t);
        assert_true(fabs(t - attacks[k]) < 0.01 * attacks[k] + 1.0 / rate);
    }
    const float releases[] = {0.5f, 8.0f, 12.0f};
    for (int k = 0; k < 3; k++) {
        au_env e = {1.0f, 0.0f, au_env_release_coef(releases[k], rate),
                    AU_ENV_RELEASE};
        int i = 0;
        while (au_env_step(&e) > 0.001f) i++;
        double t = (i + 1) / rate;
        printf("release %.1f s: -60 dB at %.3f s\n", releases[k], t);
        assert_true(fabs(t - releases[k]) < 0.01 * releases[k]);
    }
}

static au_wavetables wt;
static au_noise noise;

/* block-wise render of n frames (mono sum) */
static void run(au_inst *in, float *out, int n)
{
    au_inst_ctl ctl = {0.5f, 0.5f};
    float l[AU_BLOCK], r[AU_BLOCK];
    for (int i = 0; i < n; i += AU_BLOCK) {
        au_inst_tick(in, &ctl);
        for (int j = 0; j < AU_BLOCK; j++) l[j] = r[j] = 0;
        au_inst_process(in, l, r, AU_BLOCK);
        for (int j = 0; j < AU_BLOCK && i + j < n; j++) out[i + j] = l[j] + r[j];
    }
}

static double block_rms_db(const float *x, int at, int len)
{
    return 20 * log10(tu_rms(x + at, 1, len) + 1e-20);
}

static void test_pad_release(void **st)
{
    (void)st;
    au_wavetables_init(&wt);
    au_noise_init(&noise, 1);
    static au_inst pad;
    au_inst_init(&pad, AU_INST_PADS, 48000.0f, &wt, &noise, 3);
    const int n = 48000 * 16;
    float *x = malloc(sizeof(float) * n);
    au_inst_note_on(&pad, 57, 100);
    run(&pad, x, 48000 * 5); /* attack 2.5 s, then sustain */
    assert_int_equal(au_inst_active(&pad), 1);
    double held = block_rms_db(x, 48000 * 4, 4800);
    au_inst_note_off(&pad, 57);
    run(&pad, x, n);
    /* the pad's release is 8 s to -60 dB: about -30 dB at 4 s, and its
     * level falls steadily (every second 0.5..10 dB, the filter
     * closing with the envelope steepens it) */
    double at4 = block_rms_db(x, 48000 * 4, 4800) - held;
    printf("pad release: %.1f dB after 4 s\n", at4);
    assert_true(at4 < -24.0 && at4 > -36.0);
    for (int t = 0; t < 7; t++) { /* 1 s windows: average out beating */
        double d = block_rms_db(x, 48000 * (t + 1), 48000) -
                   block_rms_db(x, 48000 * t, 48000);
        if (!(d < -0.5 && d > -10.0)) printf("step %d: %.2f dB\n", t, d);
        assert_true(d < -0.5 && d > -10.0);
    }
    run(&pad, x, 48000 * 2);
    assert_int_equal(au_inst_active(&pad), 0);
    free(x);
}

static void test_steal_no_click(void **st)
{
    (void)st;
    static au_inst b;
    au_inst_init(&b, AU_INST_MELODY, 48000.0f, &wt, &noise, 5);
    const int n = 48000 * 3;
    float *x = malloc(sizeof(float) * n);
    /* five held notes on a four-voice melody: the fifth steals */
    for (int k = 0; k < 4; k++) au_inst_note_on(&b, 60 + 2 * k, 110);
    run(&b, x, 48000);
    au_inst_note_on(&b, 72, 110);
    run(&b, x, n);
    assert_int_equal(au_inst_active(&b), 4);
    /* no click: the largest sample-to-sample step stays within what the
     * sounding sines themselves produce (sum of 2 pi f a / rate) */
    double maxjump = 0, peak = 0;
    for (int i = 1; i < n; i++) {
        double j = fabs(x[i] - x[i - 1]);
        maxjump = j > maxjump ? j : maxjump;
        peak = fabs(x[i]) > peak ? fabs(x[i]) : peak;
    }
    /* the FM melody's partials reach ~4 kHz at the attack (index 0.7
     * cycles) */
    double bound = 2 * M_PI * 4000.0 / 48000.0 * peak * 1.5;
    printf("steal: max step %.4f, peak %.3f, smooth bound %.4f\n", maxjump,
           peak, bound);
    assert_true(maxjump < bound);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_times),
        cmocka_unit_test(test_pad_release),
        cmocka_unit_test(test_steal_no_click),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
