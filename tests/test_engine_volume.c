/* Layer volumes and timelines: a volume change is smoothed (no step, no
 * zipper) and reaches its target; default volumes change nothing; replaying
 * a timeline is bit-identical whatever the block size; the timeline's text
 * form reads back exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "core/pieces.h"
#include "engine/timeline.h"

#define RATE 48000

/* secs of audio replaying t, in calls of `block` frames (0: odd sizes) */
static float *render(const au_timeline *t, double secs, int block)
{
    au_engine *e;
    assert_int_equal(au_engine_create(&e, &t->init, RATE), 0);
    au_engine_thread_init();
    int64_t n = (int64_t)(secs * RATE);
    float *out = malloc(sizeof(float) * 2 * (size_t)n);
    static const int sizes[] = {1, 333, 4800, 17, 64, 1023, 2};
    int next = 0, k = 0;
    for (int64_t pos = 0; pos < n;) {
        int b = block ? block : sizes[k++ % 7];
        if (b > n - pos) b = (int)(n - pos);
        au_timeline_render(e, t, &next, out + 2 * pos, b);
        pos += b;
    }
    au_engine_destroy(e);
    return out;
}

static double rms(const float *x, int64_t from, int64_t to)
{
    double s = 0;
    for (int64_t i = 2 * from; i < 2 * to; i++) s += (double)x[i] * x[i];
    return sqrt(s / (double)(2 * (to - from)));
}

static double max_step(const float *x, int64_t from, int64_t to)
{
    double m = 0;
    for (int64_t i = from + 1; i < to; i++)
        for (int c = 0; c < 2; c++) {
            double d = fabs((double)x[2 * i + c] - x[2 * (i - 1) + c]);
            if (d > m) m = d;
        }
    return m;
}

static au_params pads_only(void)
{
    au_params p = au_params_default();
    p.seed = 11;
    for (int l = 0; l < AU_LAYER_COUNT; l++) p.layers[l] = l == AU_LAYER_PADS;
    return p;
}

static void test_volume_fades_smoothly(void **st)
{
    (void)st;
    au_params p = pads_only();
    au_timeline t;
    au_timeline_init(&t, &p, 16);
    au_param_update u;
    memset(&u, 0, sizeof u);
    u.mask = AU_P_VOLUME(AU_LAYER_PADS);
    u.v.volume[AU_LAYER_PADS] = 0.0;
    const int64_t at = 6 * RATE; /* pads are well in by then */
    assert_int_equal(au_timeline_add(&t, at, &u), 0);
    float *x = render(&t, 10.0, 4800);
    double before = rms(x, at - RATE / 2, at);
    au_timeline_deinit(&t);
    au_timeline_init(&t, &p, 16);
    float *ref = render(&t, 10.0, 4800); /* the same without the change */
    assert_true(before > 1e-3);
    /* the dry signal goes at once; what remains is the reverb's tail of
     * what was sent before (post-fader sends): the pads are wet-heavy in a
     * 9-15 s reverb (issue 8), so about -12 dB after 3 s */
    double ref_late = rms(ref, at + 3 * RATE, at + 7 * RATE / 2);
    double late = rms(x, at + 3 * RATE, at + 7 * RATE / 2);
    printf("3 s after the fade: %.1f dB under the unchanged render\n",
           20 * log10(late / ref_late));
    assert_true(late < 0.3 * ref_late);
    assert_true(rms(x, at + RATE / 2, at + RATE) <
                0.75 * rms(ref, at + RATE / 2, at + RATE));
    /* no step: the largest sample-to-sample move just after the change is
     * no larger than the music's own just before it */
    double m_before = max_step(x, at - RATE / 10, at);
    double m_after = max_step(x, at, at + RATE / 10);
    /* (or than the unchanged render's own over the same span: the music
     * may move faster there) */
    double m_ref = max_step(ref, at, at + RATE / 10);
    if (m_ref > m_before) m_before = m_ref;
    assert_true(m_after <= m_before * 1.05 + 1e-6);
    /* a fade, not a cut: the first 10 ms keep most of the level */
    assert_true(rms(x, at, at + RATE / 100) > before * 0.5);
    free(x);
    free(ref);
    au_timeline_deinit(&t);
}

static void test_defaults_change_nothing(void **st)
{
    (void)st;
    au_params p = au_params_default();
    p.seed = 3;
    au_timeline a, b;
    au_timeline_init(&a, &p, 16);
    au_timeline_init(&b, &p, 16);
    au_param_update u;
    memset(&u, 0, sizeof u);
    u.mask = AU_P_VOLUME(AU_LAYER_BASS) | AU_P_VOLUME(AU_LAYER_BELLS);
    u.v.volume[AU_LAYER_BASS] = 1.0;
    u.v.volume[AU_LAYER_BELLS] = 1.0;
    assert_int_equal(au_timeline_add(&b, RATE, &u), 0);
    float *x = render(&a, 3.0, 4800), *y = render(&b, 3.0, 4800);
    assert_memory_equal(x, y, sizeof(float) * 2 * 3 * RATE);
    free(x);
    free(y);
    au_timeline_deinit(&a);
    au_timeline_deinit(&b);
}

static void test_timeline_replay_block_independent(void **st)
{
    (void)st;
    au_params p = au_params_default();
    p.seed = 77;
    p.volume[AU_LAYER_MELODY] = 0.6;
    au_timeline t;
    au_timeline_init(&t, &p, 64);
    char err[256];
    assert_int_equal(au_timeline_parse(&t,
                                       "33600:intensity=0.8,pads_volume=0.3;"
                                       "48000:bpm=80;48000:bass=false;"
                                       "100001:textures_volume=0",
                                       err, sizeof err),
                     0);
    assert_int_equal(t.n, 4);
    float *x = render(&t, 3.0, 4800), *y = render(&t, 3.0, 0);
    assert_memory_equal(x, y, sizeof(float) * 2 * 3 * RATE);
    free(x);
    free(y);
    au_timeline_deinit(&t);
}

static void test_timeline_text(void **st)
{
    (void)st;
    au_params p = au_params_default();
    au_timeline t, back;
    au_timeline_init(&t, &p, 8);
    au_param_update u;
    memset(&u, 0, sizeof u);
    u.mask = AU_P_BPM | AU_P_VOLUME(AU_LAYER_PADS) | AU_P_KEY | AU_P_LAYER(2) |
             AU_P_PIECE;
    u.v.piece = au_piece_from_name("glass");
    u.v.bpm = 71.123456789012345;
    u.v.volume[AU_LAYER_PADS] = 0.1;
    u.v.key = 6;
    u.v.layers[2] = false;
    assert_int_equal(au_timeline_add(&t, 4800, &u), 0);
    char *s = au_timeline_format(&t);
    assert_non_null(s);
    assert_string_equal(s, "4800:key=F#,bpm=71.12345678901235,piece=glass,"
                           "bass=false,pads_volume=0.1");
    au_timeline_init(&back, &p, 8);
    char err[256];
    assert_int_equal(au_timeline_parse(&back, s, err, sizeof err), 0);
    assert_int_equal(back.n, 1);
    assert_true(back.v[0].u.v.bpm == u.v.bpm);
    assert_int_equal(back.v[0].u.mask, u.mask);
    assert_int_equal(back.v[0].u.v.piece, u.v.piece);
    free(s);
    /* errors name the entry and the value */
    assert_int_equal(au_timeline_parse(&back, "9600:pads_volume=2", err, sizeof err), -1);
    assert_non_null(strstr(err, "entry 1: pads_volume must be between 0.0 and 1.0"));
    assert_int_equal(au_timeline_parse(&back, "10:bpm=70", err, sizeof err), -1);
    assert_non_null(strstr(err, "must not go back"));
    assert_int_equal(au_timeline_parse(&back, "x:bpm=70", err, sizeof err), -1);
    assert_int_equal(au_timeline_parse(&back, "9600:volume=1", err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown parameter 'volume'"));
    /* bounded: a full timeline says so and where */
    for (int i = 0; i < 8; i++) au_timeline_add(&t, 9600 + i, &u);
    assert_true(t.full);
    assert_int_equal(t.n, 8);
    assert_int_equal(au_timeline_exact_until(&t), 9600 + 7);
    au_timeline_deinit(&t);
    au_timeline_deinit(&back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_volume_fades_smoothly),
        cmocka_unit_test(test_defaults_change_nothing),
        cmocka_unit_test(test_timeline_replay_block_independent),
        cmocka_unit_test(test_timeline_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
