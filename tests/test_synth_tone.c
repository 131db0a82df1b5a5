/* Master tone EQ: sines measured through it match the RBJ design (shelf and
 * bell gains where asked, flat far from them), a flat shape passes the
 * signal bit for bit, and a change of shape glides (no step in the gain a
 * sine sees from block to block). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "synth/dsp.h"
#include "synth/tone.h"

#define RATE 48000
#define BLK 32

static au_tone t;

/* gain in dB of a sine at hz through t, after 0.5 s of settling */
static double sine_gain_db(double hz)
{
    double in = 0, out = 0;
    float l[BLK], r[BLK];
    for (int blk = 0; blk < RATE / BLK; blk++) {
        for (int i = 0; i < BLK; i++) {
            double ph = 2 * M_PI * hz * (blk * BLK + i) / RATE;
            l[i] = r[i] = (float)(0.25 * sin(ph));
        }
        float x[BLK];
        memcpy(x, l, sizeof x);
        au_tone_process(&t, l, r, BLK);
        if (blk < RATE / BLK / 2) continue;
        for (int i = 0; i < BLK; i++) {
            in += (double)x[i] * x[i];
            out += (double)l[i] * l[i];
            assert_true(l[i] == r[i]);
        }
    }
    return 10 * log10(out / in);
}

/* Runs t (silence in) for `seconds` and returns the largest change of its
 * response at hz from one block to the next; *last: the response at the end. */
static float glide_steps(float hz, int seconds, float *last)
{
    float l[BLK] = {0}, r[BLK] = {0};
    float prev = au_tone_response_db(&t, hz), maxstep = 0;
    for (int blk = 0; blk < seconds * RATE / BLK; blk++) {
        au_tone_process(&t, l, r, BLK);
        float g = au_tone_response_db(&t, hz);
        maxstep = fabsf(g - prev) > maxstep ? fabsf(g - prev) : maxstep;
        prev = g;
    }
    *last = prev;
    return maxstep;
}

static void test_response(void **st)
{
    (void)st;
    au_tone_shape s = {.low_db = 6, .low_hz = 150, .mid_db = -4, .mid_hz = 1000,
                       .mid_q = 0.7f, .high_db = 5, .high_hz = 6000};
    au_tone_init(&t, RATE, &s);
    /* design and measurement agree everywhere */
    const double f[] = {40, 100, 150, 300, 1000, 3000, 6000, 12000};
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        au_tone_init(&t, RATE, &s);
        double g = sine_gain_db(f[k]);
        assert_true(fabs(g - au_tone_response_db(&t, (float)f[k])) < 0.05);
    }
    /* the shape is what was asked: shelves reach their gains far out
     * (the bell's skirt adds a little), the bell its own at the centre */
    assert_true(fabs(au_tone_response_db(&t, 30) - 6) < 0.6);
    assert_true(fabs(au_tone_response_db(&t, 1000) - -4) < 0.8);
    assert_true(fabs(au_tone_response_db(&t, 18000) - 5) < 0.6);
    /* each shelf at its frequency is near half its gain */
    au_tone_shape lo = {.low_db = 6, .low_hz = 150, .mid_hz = 1000, .mid_q = 1,
                        .high_hz = 6000};
    au_tone_init(&t, RATE, &lo);
    assert_true(fabs(au_tone_response_db(&t, 150) - 3) < 0.3);
}

static void test_flat_is_bit_identical(void **st)
{
    (void)st;
    au_tone_shape flat = {0};
    au_tone_init(&t, RATE, &flat);
    float l[BLK], r[BLK], l0[BLK], r0[BLK];
    for (int blk = 0; blk < 100; blk++) {
        for (int i = 0; i < BLK; i++) {
            l[i] = l0[i] = sinf(0.01f * (float)(blk * BLK + i) * 7.1f);
            r[i] = r0[i] = 0.3f * cosf(0.02f * (float)(blk * BLK + i));
        }
        au_tone_process(&t, l, r, BLK);
        assert_memory_equal(l, l0, sizeof l);
        assert_memory_equal(r, r0, sizeof r);
    }
    /* and after a glide back from a shape to flat, once its tail has
     * decayed it is bypassed again: bit-identical */
    au_tone_shape s = {.low_db = 4, .low_hz = 150, .mid_db = -3, .mid_hz = 900,
                       .mid_q = 0.6f, .high_db = 3, .high_hz = 5000};
    au_tone_set(&t, &s);
    for (int blk = 0; blk < 3 * RATE / BLK; blk++) {
        for (int i = 0; i < BLK; i++) l[i] = r[i] = 0.1f * sinf(0.05f * (float)i);
        au_tone_process(&t, l, r, BLK);
    }
    assert_true(fabsf(au_tone_response_db(&t, 100) - 4) < 1.0f);
    au_tone_set(&t, &flat);
    for (int blk = 0; blk < 20 * RATE / BLK; blk++) {
        for (int i = 0; i < BLK; i++) l[i] = r[i] = 0.1f * sinf(0.05f * (float)i);
        au_tone_process(&t, l, r, BLK);
    }
    for (int i = 0; i < BLK; i++) {
        l[i] = l0[i] = 0.2f * sinf(0.3f * (float)i);
        r[i] = r0[i] = -l[i];
    }
    au_tone_process(&t, l, r, BLK);
    assert_memory_equal(l, l0, sizeof l);
    assert_memory_equal(r, r0, sizeof r);
}

static void test_bells(void **st)
{
    (void)st;
    /* a low bell lifts its band, not the octaves under it */
    au_tone_shape s = {.low_db = 6, .low_hz = 140, .low_q = 1.5f, .mid_hz = 1000,
                       .mid_q = 1, .high_db = -4, .high_hz = 6000, .high_q = 2};
    au_tone_init(&t, RATE, &s);
    assert_true(fabs(sine_gain_db(140) - 6) < 0.3);
    assert_true(fabs(sine_gain_db(35)) < 0.5);
    assert_true(fabs(sine_gain_db(6000) + 4) < 0.3);
    assert_true(fabs(sine_gain_db(16000)) < 0.6);
    /* from a shelf to a bell: the band glides flat first, then to the
     * bell, by small steps all the way */
    au_tone_shape a = {.low_db = 6, .low_hz = 140, .mid_hz = 1000, .mid_q = 1,
                       .high_hz = 6000};
    au_tone_init(&t, RATE, &a);
    s.high_db = 0;
    au_tone_set(&t, &s);
    float prev, maxstep = glide_steps(40, 12, &prev);
    assert_true(maxstep < 0.05f);
    assert_true(fabsf(prev) < 0.3f); /* 40 Hz: under the bell, flat */
    assert_true(fabsf(au_tone_response_db(&t, 140) - 6) < 0.1f);
}

static void test_top_band(void **st)
{
    (void)st;
    /* the fourth band: a presence bell with the top octave rolled off
     * above it (choir's shape), each where it was asked */
    au_tone_shape s = {.mid_hz = 1000, .mid_q = 1, .high_db = 5,
                       .high_hz = 6000, .high_q = 0.8f, .top_db = -8,
                       .top_hz = 13000};
    au_tone_init(&t, RATE, &s);
    assert_true(fabs(sine_gain_db(200)) < 0.3);
    assert_true(fabs(sine_gain_db(6000) - au_tone_response_db(&t, 6000)) < 0.05);
    assert_true(au_tone_response_db(&t, 6000) > 4.5f);
    assert_true(au_tone_response_db(&t, 20000) < -4.0f);
    assert_true(fabs(sine_gain_db(16000) - au_tone_response_db(&t, 16000)) < 0.05);
}

static void test_glide(void **st)
{
    (void)st;
    au_tone_shape a = {.low_db = 0, .low_hz = 150, .mid_hz = 1000, .mid_q = 1,
                       .high_hz = 6000};
    au_tone_shape b = a;
    b.low_db = 12;
    au_tone_init(&t, RATE, &a);
    au_tone_set(&t, &b);
    /* the response at 60 Hz moves by small steps per block, and gets
     * there within a few seconds */
    float prev, maxstep = glide_steps(60, 4, &prev);
    assert_true(maxstep < 0.05f);
    assert_true(prev > 10.5f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_response),
        cmocka_unit_test(test_flat_is_bit_identical),
        cmocka_unit_test(test_bells),
        cmocka_unit_test(test_top_band),
        cmocka_unit_test(test_glide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
