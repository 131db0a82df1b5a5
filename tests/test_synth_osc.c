/* Oscillators: pitch within 0.1 cent, alias products of a 4 kHz saw at
 * 48 kHz at least 50 dB under the fundamental, harmonic levels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "synth/dsp.h"
#include "synth/wavetable.h"
#include "synth_test_util.h"

static au_wavetables *wt;

static int setup(void **st)
{
    (void)st;
    wt = malloc(sizeof *wt);
    au_wavetables_init(wt);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    free(wt);
    return 0;
}

static double cents(double f, double ref)
{
    return 1200.0 * log2(f / ref);
}

static void test_pitch(void **st)
{
    (void)st;
    const int n = 48000 * 4;
    float *x = malloc(sizeof(float) * n);
    const float notes[] = {24, 45, 57, 69, 81, 93, 105};
    au_wave waves[] = {AU_WT_SAW, AU_WT_TRI, AU_WT_SQUARE};
    for (int rate_i = 0; rate_i < 2; rate_i++) {
        float rate = rate_i ? 44100.0f : 48000.0f;
        for (size_t w = 0; w < 3; w++) {
            for (size_t k = 0; k < sizeof notes / sizeof notes[0]; k++) {
                double ref = 440.0 * pow(2.0, (notes[k] - 69) / 12.0);
                au_osc o = {0};
                au_osc_set(&o, wt, waves[w], (float)ref, rate);
                /* saw: measure its fundamental via a sine in the same
                 * phase (the waveform's own crossings, the saw rises through
                 * zero once per cycle) */
                for (int i = 0; i < n; i++) x[i] = au_osc_step(&o);
                if (waves[w] == AU_WT_SAW)
                    for (int i = 0; i < n; i++) x[i] = -x[i];
                double f = tu_zc_freq(x, n, rate);
                double c = cents(f, ref);
                if (fabs(c) >= 0.1)
                    printf("wave %zu note %g: %.5f Hz vs %.5f (%.4f cents)\n",
                           w, notes[k], f, ref, c);
                assert_true(fabs(c) < 0.1);
            }
        }
    }
    /* the polynomial sine used for LFOs and FM */
    double maxerr = 0;
    for (int i = 0; i < 100000; i++) {
        double p = i / 100000.0;
        double e = fabs(au_sin2pi((float)p) - sin(2 * M_PI * p));
        maxerr = e > maxerr ? e : maxerr;
    }
    printf("au_sin2pi max error %.2e\n", maxerr);
    assert_true(maxerr < 1e-5);
    free(x);
}

/* worst spectral line outside +/- guard bins of the harmonics, in dB
 * relative to the fundamental */
static double worst_alias(const float *x, int n, double f0, double rate)
{
    double *db = tu_spectrum_db(x, 1, n);
    double bin_hz = rate / n;
    int kf = (int)lround(f0 / bin_hz);
    double fund = -1e9;
    for (int k = kf - 3; k <= kf + 3; k++) fund = db[k] > fund ? db[k] : fund;
    double worst = -1e9;
    for (int k = 10; k < n / 2; k++) {
        double f = k * bin_hz;
        double h = f / f0;
        double dist = fabs(h - round(h)) * f0 / bin_hz; /* bins to harmonic */
        if (dist <= 8.0) continue;
        worst = db[k] > worst ? db[k] : worst;
    }
    free(db);
    return worst - fund;
}

static void test_saw_alias(void **st)
{
    (void)st;
    const int n = 1 << 16;
    const float rate = 48000.0f;
    float *x = malloc(sizeof(float) * n);
    /* 4 kHz saws slightly off 4000 Hz so that folded products fall
     * between the harmonics (at exactly 4000 they land on them) */
    const float freqs[] = {3950.0f, 4000.0f + 123.0f, 4321.0f};
    for (size_t t = 0; t < 3; t++) {
        au_osc o = {0};
        au_osc_set(&o, wt, AU_WT_SAW, freqs[t], rate);
        for (int i = 0; i < n; i++) x[i] = au_osc_step(&o);
        double a = worst_alias(x, n, freqs[t], rate);
        printf("saw %.0f Hz: worst alias %.1f dB\n", freqs[t], a);
        assert_true(a <= -50.0);
    }
    /* the detector is not blind: a naive saw aliases far above -50 dB */
    float p = 0;
    for (int i = 0; i < n; i++) {
        x[i] = 2.0f * p - 1.0f;
        p += 4123.0f / rate;
        if (p >= 1.0f) p -= 1.0f;
    }
    double naive = worst_alias(x, n, 4123.0, rate);
    printf("naive saw 4123 Hz: worst alias %.1f dB\n", naive);
    assert_true(naive > -30.0);
    free(x);
}

static void test_saw_harmonics(void **st)
{
    (void)st;
    /* a 4 kHz saw keeps its harmonics at 1/k up to Nyquist */
    const int n = 1 << 16;
    const float rate = 48000.0f;
    float *x = malloc(sizeof(float) * n);
    au_osc o = {0};
    au_osc_set(&o, wt, AU_WT_SAW, 4000.0f, rate);
    for (int i = 0; i < n; i++) x[i] = au_osc_step(&o);
    double *db = tu_spectrum_db(x, 1, n);
    double bin = rate / n, h1 = -1e9;
    for (int k = 1; k <= 4; k++) {
        int c = (int)lround(4000.0 * k / bin);
        /* main-lobe energy: independent of where the line falls between
         * bins (a peak bin would show the window's scalloping) */
        double e = 0;
        for (int j = c - 4; j <= c + 4; j++) e += pow(10.0, db[j] / 10.0);
        double m = 10.0 * log10(e);
        if (k == 1) h1 = m;
        double rel = m - h1, want = -20.0 * log10(k);
        printf("harmonic %d: %.2f dB (want %.2f)\n", k, rel, want);
        assert_true(fabs(rel - want) < 0.1);
    }
    free(db);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pitch),
        cmocka_unit_test(test_saw_alias),
        cmocka_unit_test(test_saw_harmonics),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
