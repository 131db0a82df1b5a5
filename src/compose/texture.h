/* Textures and bells. Textures: slow swells (long soft notes on chord tones,
 * 4-16 beats) on their own cycle. Bells: occasional short figures of 2-5
 * chime notes in 72-95 on chord and scale tones, on another cycle whose
 * length shares no common period with the others (Eno's tape loops).
 * Plain value; not thread-safe. */
#ifndef AU_TEXTURE_H
#define AU_TEXTURE_H

#include "score.h"

#define AU_BELL_LO 72
#define AU_BELL_HI 95

typedef struct {
    au_rng rng;
    double next_swell;  /* beat of the next swell */
    double swell_end[2];/* planned ends of the swells sounding */
} au_texture;

typedef struct {
    au_rng rng;
    double next_figure; /* beat of the next figure */
    int last;           /* last bell pitch */
} au_bells;

void au_texture_init(au_texture *t, uint64_t seed);
void au_texture_bar(au_texture *t, au_score *s, const au_bar_ctx *ctx);
void au_bells_init(au_bells *b, uint64_t seed);
void au_bells_bar(au_bells *b, au_score *s, const au_bar_ctx *ctx);

#endif
