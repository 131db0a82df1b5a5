#include "wavetable.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Fourier series, summed from a 2048-entry sine table indexed by (k*n) mod N
 * so that building all levels costs multiply-adds, not sin() calls. */
void au_wavetables_init(au_wavetables *w)
{
    static const int N = AU_WT_SIZE;
    double s[AU_WT_SIZE];
    for (int n = 0; n < N; n++) s[n] = sin(2.0 * M_PI * n / N);
    for (int n = 0; n <= N; n++) w->sine[n] = (float)s[n & (N - 1)];

    for (int l = 0; l < AU_WT_LEVELS; l++) {
        int harmonics = (N / 2) >> l; /* top harmonic * dt_max <= 0.5 */
        if (harmonics >= N / 2) harmonics = N / 2 - 1;
        for (int wave = 0; wave < AU_WT_COUNT; wave++) {
            double acc[AU_WT_SIZE];
            memset(acc, 0, sizeof acc);
            for (int k = 1; k <= harmonics; k++) {
                double a;
                if (wave == AU_WT_SAW) {
                    a = -2.0 / (M_PI * k); /* ramp -1 -> 1 */
                } else if (wave == AU_WT_SQUARE) {
                    if (!(k & 1)) continue;
                    a = 4.0 / (M_PI * k);
                } else {
                    if (!(k & 1)) continue;
                    a = 8.0 / (M_PI * M_PI * k * k) *
                        (((k - 1) / 2) & 1 ? -1.0 : 1.0);
                }
                for (int n = 0; n < N; n++) acc[n] += a * s[(k * n) & (N - 1)];
            }
            float *t = w->t[wave][l];
            for (int n = 0; n < N; n++) t[n] = (float)acc[n];
            t[N] = t[0];
        }
    }
}

const float *au_wt_table(const au_wavetables *w, au_wave wave, float dt)
{
    int l = 0;
    float lim = 1.0f / AU_WT_SIZE;
    while (l < AU_WT_LEVELS - 1 && dt > lim) {
        lim *= 2.0f;
        l++;
    }
    return w->t[wave][l];
}

void au_osc_set(au_osc *o, const au_wavetables *w, au_wave wave, float hz,
                float rate)
{
    o->dt = hz / rate;
    o->tab = au_wt_table(w, wave, o->dt);
}

static au_wavetables *shared_tables;
static pthread_once_t shared_once = PTHREAD_ONCE_INIT;

static void build_shared(void)
{
    au_wavetables *w = malloc(sizeof *w);
    if (w) au_wavetables_init(w);
    shared_tables = w;
}

const au_wavetables *au_wavetables_shared(void)
{
    pthread_once(&shared_once, build_shared);
    return shared_tables;
}
