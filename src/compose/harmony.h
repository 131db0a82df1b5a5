/* Harmony: a Markov chain over scale-degree chords with a hand-written
 * transition table per mode (plagal and modal motion, each mode's colour
 * chord, no V-I drive), second-order memory (no ping-pong) and soft cadence
 * targets at the end of 4-chord phrases (the tonic or the colour chord, never
 * a forced restart). Intensity sets the harmonic rhythm, the extensions and
 * how adventurous the choices are. Plain value; not thread-safe. */
#ifndef AU_HARMONY_H
#define AU_HARMONY_H

#include "../core/rng.h"
#include "theory.h"

typedef struct {
    au_rng rng;
    int deg;         /* current degree 0..6, -1 before the first chord */
    int prev_deg;    /* the one before (second-order memory) */
    int in_phrase;   /* chords so far in the current 4-chord phrase */
    int quality;     /* current chord quality */
} au_harmony;

void au_harmony_init(au_harmony *h, uint64_t seed);

/* transition weight of the base table (for tests and docs) */
float au_harmony_weight(int mode, int from, int to);
/* the mode's colour degree (Lydian II, Mixolydian bVII, Dorian IV ...) */
int au_harmony_colour_degree(int mode);

/* Choose the next chord in key/mode. Returns the phrase position (0 = the
 * chord opens a 4-chord phrase). */
int au_harmony_next(au_harmony *h, int key, int mode, double intensity,
                    double tonic_pull, au_chord *out);

/* First chord in a new key: a pivot sharing as many tones as possible with
 * the old scale (a chord common to both keys when one exists). */
void au_harmony_pivot(au_harmony *h, int old_key, int old_mode, int key,
                      int mode, double intensity, au_chord *out);

/* How many bars the chord just chosen holds at this tempo: about 20 s when
 * calm, 9.5 s when dense (jittered), the tonic 1.4x longer, never under
 * 7 s or 2 bars. */
int au_harmony_bars(au_harmony *h, double density, double bpm, double home_hold);

#endif
