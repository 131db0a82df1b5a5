/* Bass and drone: chord roots and fifths in 24-45, a tonic pedal held under
 * chords that do not clash with it when calm, a sub-octave drone below it,
 * more re-articulation as density grows; where the piece asks (piece.h:
 * bass_tenor) a tenor chord tone in A#2..C#3 over it (over the tonic
 * G2..E3 rather than its own octave: bass.c tenor_of). At most 2 notes at
 * once, plus the tenor.
 * Plain value; not thread-safe. */
#ifndef AU_BASS_H
#define AU_BASS_H

#include "score.h"

#define AU_BASS_LO 24
#define AU_BASS_HI 45
/* under this density the bass may hold a tonic pedal under other chords;
 * from it up it plays the chord's root (or its fifth) */
#define AU_BASS_PEDAL_DENSITY 0.45

typedef struct {
    au_rng rng;
    uint8_t note[2];
    uint32_t id[2];
    int n;
    int last;         /* last bass pitch, for smooth motion */
    uint8_t ten;      /* the tenor sounding (0: none), and its id */
    uint32_t ten_id;
    uint32_t epoch;
} au_bass;

void au_bass_init(au_bass *b, uint64_t seed);
void au_bass_bar(au_bass *b, au_score *s, const au_bar_ctx *ctx);

#endif
