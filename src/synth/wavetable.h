/* Band-limited oscillators from mip-mapped wavetables: one table per octave
 * of phase increment, each holding only the harmonics that stay below
 * Nyquist at the top of its octave, read with linear interpolation.
 * Alias-free by construction (the only error is interpolation, < -80 dB).
 * au_wavetables is caller-owned (about 270 KiB), read-only after init, so
 * any number of voices and threads may read one instance. */
#ifndef AU_WAVETABLE_H
#define AU_WAVETABLE_H

#include <stdint.h>

#define AU_WT_BITS 11
#define AU_WT_SIZE (1 << AU_WT_BITS) /* 2048 samples per cycle */
#define AU_WT_LEVELS 11              /* level l: dt <= 2^l / 2048 */

typedef enum { AU_WT_SAW, AU_WT_SQUARE, AU_WT_TRI, AU_WT_COUNT } au_wave;

typedef struct {
    /* +1 guard sample so interpolation never wraps */
    float t[AU_WT_COUNT][AU_WT_LEVELS][AU_WT_SIZE + 1];
    float sine[AU_WT_SIZE + 1];
} au_wavetables;

void au_wavetables_init(au_wavetables *w);

/* One process-wide instance, built on first use (thread-safe, about 3 ms):
 * every engine reads the same tables instead of building its own. Call it
 * at start-up (engine create), never from a render loop. */
const au_wavetables *au_wavetables_shared(void);

/* Table for a waveform at phase increment dt = f / rate (0 < dt < 0.5). */
const float *au_wt_table(const au_wavetables *w, au_wave wave, float dt);

/* Linear-interpolated read at phase in [0, 1). */
static inline float au_wt_read(const float *tab, float phase)
{
    float x = phase * (float)AU_WT_SIZE;
    int i = (int)x;
    float f = x - (float)i;
    i &= AU_WT_SIZE - 1;
    return tab[i] + f * (tab[i + 1] - tab[i]);
}

/* A single oscillator (used by tests and simple voices). */
typedef struct {
    float phase, dt;
    const float *tab;
} au_osc;

void au_osc_set(au_osc *o, const au_wavetables *w, au_wave wave, float hz,
                float rate);

static inline float au_osc_step(au_osc *o)
{
    float y = au_wt_read(o->tab, o->phase);
    o->phase += o->dt;
    if (o->phase >= 1.0f) o->phase -= 1.0f;
    return y;
}

#endif
