/* Pads: the chord voicing sustained, voice-led from chord to chord (common
 * tones keep sounding, the others move to their nearest chord tone).
 * Registers 48-83, at most 6 voices. Plain value; not thread-safe. */
#ifndef AU_PADS_H
#define AU_PADS_H

#include "score.h"

typedef struct {
    au_rng rng;
    uint8_t note[6];
    uint32_t id[6];
    int n;            /* voices sounding (as the generator planned them) */
    uint32_t epoch;   /* layer release epoch when they were started */
} au_pads;

void au_pads_init(au_pads *p, uint64_t seed);
/* ctx->voicing is the new chord's voicing when ctx->chord_new */
void au_pads_bar(au_pads *p, au_score *s, const au_bar_ctx *ctx);

#endif
