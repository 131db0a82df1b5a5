/* Percussion: soft kick, rim, hat and shaker from Euclidean patterns renewed
 * every 16 bars, each step played with a probability that follows the grid
 * (quarters likely, sixteenths rare), 30% ghost notes, humanised timing and
 * velocity. Silent below intensity 0.25, denser above.
 * Plain value; not thread-safe. */
#ifndef AU_PERC_H
#define AU_PERC_H

#include "score.h"

#define AU_PERC_MIN_INTENSITY 0.25

typedef struct {
    au_rng rng;
    uint16_t pattern[4]; /* kick, rim, hat, shaker: 16-step masks */
    int64_t renew_bar;
} au_perc;

void au_perc_init(au_perc *p, uint64_t seed);
void au_perc_bar(au_perc *p, au_score *s, const au_bar_ctx *ctx);
/* Bjorklund-style Euclidean rhythm: k hits spread over n (<=16) steps,
 * rotated by rot; bit i = step i. */
uint16_t au_euclid(int k, int n, int rot);

#endif
