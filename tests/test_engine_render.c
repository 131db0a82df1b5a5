/* Engine: bit-identical output whatever the block size (with a parameter
 * timeline), no NaN, memory under 8 MiB, a brighter spectrum at high
 * intensity, no clicks across chord and parameter changes, display events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "synth/simd.h"
#include "synth_test_util.h"

#if __has_include("compose/composer_state.h")

#define RATE 48000

typedef struct {
    int64_t pos;
    au_param_update u;
} change;

/* render secs seconds in calls of `block` frames (0: varying odd sizes),
 * applying the changes when the position reaches them */
static float *render(const au_params *p, double secs, int block,
                     const change *ch, int nch, au_engine **keep)
{
    au_engine *e;
    assert_int_equal(au_engine_create(&e, p, RATE), 0);
    int64_t n = (int64_t)(secs * RATE);
    float *out = malloc(sizeof(float) * 2 * (size_t)n);
    int64_t pos = 0;
    int k = 0, odd = 0;
    static const int sizes[] = {1, 333, 4800, 17, 64, 1023, 2};
    while (pos < n) {
        int b = block ? block : sizes[odd++ % 7];
        int64_t lim = n - pos;
        if (k < nch && ch[k].pos - pos < lim) lim = ch[k].pos - pos;
        if (b > lim) b = (int)lim;
        if (b > 0) {
            au_engine_render(e, out + 2 * pos, b);
            pos += b;
        }
        while (k < nch && ch[k].pos <= pos) au_engine_set(e, &ch[k++].u);
    }
    assert_true(au_engine_position(e) == n);
    if (keep) *keep = e;
    else au_engine_destroy(e);
    return out;
}

static au_params params(uint64_t seed, double intensity)
{
    au_params p = au_params_default();
    p.seed = seed;
    p.intensity = intensity;
    return p;
}

static void timeline(change *ch)
{
    memset(ch, 0, sizeof(change) * 4);
    ch[0].pos = RATE * 3 + 5;
    ch[0].u.mask = AU_P_INTENSITY;
    ch[0].u.v.intensity = 0.9;
    ch[1].pos = RATE * 6 + 1001;
    ch[1].u.mask = AU_P_LAYER(AU_LAYER_MELODY);
    ch[1].u.v.layers[AU_LAYER_MELODY] = false;
    ch[2].pos = RATE * 8 + 77;
    ch[2].u.mask = AU_P_KEY | AU_P_BPM;
    ch[2].u.v.key = 7;
    ch[2].u.v.bpm = 80;
    ch[3].pos = RATE * 10 + 3;
    ch[3].u.mask = AU_P_LAYER(AU_LAYER_MELODY) | AU_P_INTENSITY;
    ch[3].u.v.layers[AU_LAYER_MELODY] = true;
    ch[3].u.v.intensity = 0.3;
}

static void test_block_size_identity(void **st)
{
    (void)st;
    au_engine_thread_init();
    au_params p = params(7, 0.5);
    change ch[4];
    timeline(ch);
    const double secs = 12.0;
    float *ref = render(&p, secs, 4800, ch, 4, NULL);
    const int blocks[] = {64, 1, 333, 0};
    for (int b = 0; b < 4; b++) {
        float *x = render(&p, secs, blocks[b], ch, 4, NULL);
        int same = memcmp(ref, x, sizeof(float) * 2 * (size_t)(secs * RATE)) == 0;
        printf("block %d vs 4800: %s\n", blocks[b], same ? "identical" : "DIFFERENT");
        assert_true(same);
        free(x);
    }
    /* and the music is there: not silent after the first seconds */
    double r = tu_rms(ref + 2 * RATE * 4, 1, 2 * RATE * 6);
    printf("rms 4..10 s: %.1f dBFS\n", 20 * log10(r));
    assert_true(r > 0.01);
    /* another seed gives other audio */
    au_params q = params(8, 0.5);
    float *y = render(&q, 4.0, 4800, NULL, 0, NULL);
    assert_true(memcmp(ref + 2 * RATE, y + 2 * RATE, sizeof(float) * 2 * RATE) != 0);
    free(y);
    free(ref);
}

/* The AVX2 builds of the hot loops (chosen at run time where the CPU has
 * them) and the generic SSE2 builds give the same bits, at a busy
 * intensity (both pad groups, limiter work) with a change timeline. */
static void test_simd_paths_identical(void **st)
{
    (void)st;
    au_engine_thread_init();
    au_params p = params(5, 0.9);
    change ch[4];
    timeline(ch);
    const double secs = 12.0;
    float *a = render(&p, secs, 4800, ch, 4, NULL);
    au_simd_force_generic(1);
    float *b = render(&p, secs, 333, ch, 4, NULL);
    au_simd_force_generic(0);
    int same = memcmp(a, b, sizeof(float) * 2 * (size_t)(secs * RATE)) == 0;
    printf("AVX2 builds %s, generic SSE2 builds: %s\n",
           au_simd_avx2() ? "in use" : "not available here",
           same ? "identical" : "DIFFERENT");
    assert_true(same);
    free(a);
    free(b);
}

static void test_memory_voices_events(void **st)
{
    (void)st;
    au_params p = params(3, 1.0);
    au_engine *e;
    float *x = render(&p, 30.0, 4800, NULL, 0, &e);
    size_t mem = au_engine_memory(e);
    printf("engine memory: %zu bytes (%.2f MiB), active voices %d\n", mem,
           mem / 1048576.0, au_engine_active_voices(e));
    assert_true(mem <= 8u << 20);
    assert_true(mem >= 1u << 20); /* honest: the delay lines alone are 1 MiB */
    assert_true(au_engine_active_voices(e) > 0);
    int chords = 0, notes = 0, other = 0;
    au_event ev;
    int64_t last = -1;
    while (au_engine_poll_event(e, &ev)) {
        assert_true(ev.pos >= last);
        last = ev.pos;
        if (ev.type == AU_EV_CHORD) chords++;
        else if (ev.type == AU_EV_NOTE_ON || ev.type == AU_EV_NOTE_OFF) notes++;
        else other++;
    }
    printf("events: %d chords, %d notes, %d other\n", chords, notes, other);
    assert_true(chords > 0 && notes > 0);
    for (int64_t i = 0; i < 2 * 30 * RATE; i++) assert_true(isfinite(x[i]));
    au_engine_destroy(e);
    free(x);
}

static double centroid(const float *x, int64_t frames)
{
    /* average spectrum of mono 8192-sample frames */
    const int n = 8192;
    double *acc = calloc(n / 2, sizeof(double));
    float *mono = malloc(sizeof(float) * n);
    int frames_n = 0;
    for (int64_t s = 0; s + n <= frames; s += n) {
        for (int i = 0; i < n; i++) mono[i] = x[2 * (s + i)] + x[2 * (s + i) + 1];
        double *db = tu_spectrum_db(mono, 1, n);
        for (int k = 0; k < n / 2; k++) acc[k] += pow(10, db[k] / 10);
        free(db);
        frames_n++;
    }
    for (int k = 0; k < n / 2; k++) acc[k] = 10 * log10(acc[k] / frames_n + 1e-30);
    double c = tu_centroid(acc, n / 2, RATE);
    free(acc);
    free(mono);
    return c;
}

static void test_brightness_by_intensity(void **st)
{
    (void)st;
    double c[2];
    const double in[2] = {0.1, 1.0};
    for (int k = 0; k < 2; k++) {
        au_params p = params(11, in[k]);
        float *x = render(&p, 40.0, 4800, NULL, 0, NULL);
        c[k] = centroid(x + 2 * 10 * RATE, 30 * RATE);
        free(x);
    }
    printf("spectral centroid: %.0f Hz at 0.1, %.0f Hz at 1.0\n", c[0], c[1]);
    assert_true(c[1] > c[0] * 1.2);
}

static void test_no_clicks(void **st)
{
    (void)st;
    /* a click is a jump in the second difference far above its local level:
     * ratio of |d2| to the RMS of d2 over the surrounding 20 ms */
    au_params p = params(5, 0.5);
    p.layers[AU_LAYER_PERCUSSION] = false; /* its hits are meant to be sharp */
    change ch[4];
    timeline(ch);
    const int64_t n = 14 * RATE;
    float *x = render(&p, 14.0, 777, ch, 4, NULL);
    const int win = RATE / 50;
    double worst = 0;
    int64_t worst_at = 0;
    for (int c = 0; c < 2; c++) {
        double *d2 = malloc(sizeof(double) * (size_t)n);
        d2[0] = d2[1] = 0;
        for (int64_t i = 2; i < n; i++)
            d2[i] = x[2 * i + c] - 2.0 * x[2 * (i - 1) + c] + x[2 * (i - 2) + c];
        for (int64_t s = RATE / 2; s + win <= n; s += win / 2) {
            double e = 0, mx = 0;
            for (int64_t i = s; i < s + win; i++) {
                e += d2[i] * d2[i];
                mx = fabs(d2[i]) > mx ? fabs(d2[i]) : mx;
            }
            double rms = sqrt(e / win);
            if (rms < 1e-5) continue; /* near silence: nothing to hear */
            double ratio = mx / rms;
            if (ratio > worst) {
                worst = ratio;
                worst_at = s;
            }
        }
        free(d2);
    }
    printf("worst second-difference peak/RMS: %.1f at %.3f s\n", worst,
           (double)worst_at / RATE);
    /* white noise peaks at about 5 times its RMS over 960 samples, a sine
     * at 1.4; a click or a step stands far above that */
    assert_true(worst < 8.0);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_size_identity),
        cmocka_unit_test(test_simd_paths_identical),
        cmocka_unit_test(test_memory_voices_events),
        cmocka_unit_test(test_brightness_by_intensity),
        cmocka_unit_test(test_no_clicks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#else
/* the composer is not in the tree yet (see engine.c): skip, loudly */
int main(void)
{
    printf("SKIPPED: src/compose/composer_state.h missing\n");
    return 77;
}
#endif
