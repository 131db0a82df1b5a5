/* Pads: the AVX2 kernel (both voice groups in one 8-lane vector, where the
 * CPU has it) and the SSE2 kernels give identical bits, through chord
 * changes, steals and releases, with runs split at odd event positions;
 * the output is a real, stereo, pitched signal. The first chord has three
 * notes (one group: the 4-lane kernels), later ones overlap (both). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth/dsp.h"
#include "synth/inst.h"
#include "synth/simd.h"
#include "synth_test_util.h"

static au_wavetables wt;
static au_noise noise;
static au_inst pad;

/* 6 s of a pad part: chords of 3..6 notes every 0.7 s (more than four
 * voices, so both groups run; more than eight sometimes, so voices are
 * stolen), runs split at uneven offsets inside the blocks like the engine
 * does at note events. Interleaved stereo into out. */
static void render(float *out, int frames, int generic)
{
    au_simd_force_generic(generic);
    au_inst_init(&pad, AU_INST_PADS, 48000.0f, &wt, &noise, 9);
    static const int chords[4][6] = {{50, 57, 62, 0, 0, 0},
                                     {48, 55, 60, 64, 67, 71},
                                     {53, 60, 65, 69, 0, 0},
                                     {45, 52, 57, 60, 64, 0}};
    int blocks = frames / AU_BLOCK, chord = -1;
    for (int b = 0; b < blocks; b++) {
        au_inst_ctl ctl = {0.3f + 0.6f * (float)b / (float)blocks, 0.5f};
        au_inst_tick(&pad, &ctl);
        float l[AU_BLOCK] = {0}, r[AU_BLOCK] = {0};
        int split = 1 + (b * 7) % (AU_BLOCK - 1);
        au_inst_process(&pad, l, r, split);
        int c = (int)((int64_t)b * AU_BLOCK / 33600); /* every 0.7 s */
        if (c != chord) {
            if (chord >= 0)
                for (int k = 0; k < 6; k++)
                    if (chords[chord & 3][k]) au_inst_note_off(&pad, chords[chord & 3][k]);
            chord = c;
            for (int k = 0; k < 6; k++)
                if (chords[c & 3][k]) au_inst_note_on(&pad, chords[c & 3][k], 90);
        }
        au_inst_process(&pad, l + split, r + split, AU_BLOCK - split);
        for (int i = 0; i < AU_BLOCK; i++) {
            out[2 * (b * AU_BLOCK + i)] = l[i];
            out[2 * (b * AU_BLOCK + i) + 1] = r[i];
        }
    }
    au_simd_force_generic(0);
}

static void test_kernels_identical(void **st)
{
    (void)st;
    au_wavetables_init(&wt);
    au_noise_init(&noise, 1);
    const int n = 48000 * 6;
    float *a = malloc(sizeof(float) * 2 * n), *b = malloc(sizeof(float) * 2 * n);
    render(a, n, 0);
    render(b, n, 1);
    assert_int_equal(memcmp(a, b, sizeof(float) * 2 * n), 0);
    /* both sides sound, and differently (the detuned pair is the spread) */
    double rl = tu_rms(a, 2, n), rr = tu_rms(a + 1, 2, n), diff = 0;
    for (int i = 0; i < n; i++) {
        double d = a[2 * i] - a[2 * i + 1];
        diff += d * d;
    }
    diff = sqrt(diff / n);
    int avx2 = 0;
#if defined(__x86_64__) || defined(__i386__)
    avx2 = __builtin_cpu_supports("avx2");
#endif
    printf("pads: rms L %.4f R %.4f, L-R %.4f; kernels identical (%s)\n", rl,
           rr, diff, avx2 ? "AVX2 vs SSE2" : "no AVX2 here: SSE2 only");
    assert_true(rl > 0.01 && rr > 0.01);
    assert_true(diff > 0.05 * rl);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels_identical),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
