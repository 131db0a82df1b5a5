#include "perc.h"

#include <string.h>

void au_perc_init(au_perc *p, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    au_rng_seed(&p->rng, seed, 71);
    p->renew_bar = 0;
}

uint16_t au_euclid(int k, int n, int rot)
{
    uint16_t m = 0;
    if (n <= 0 || n > 16 || k <= 0) return 0;
    if (k > n) k = n;
    for (int i = 0; i < n; i++)
        if (((i * k) % n) < k) m |= (uint16_t)(1u << ((i + rot) % n));
    return m;
}

static const uint8_t perc_note[4] = {AU_PERC_KICK, AU_PERC_RIM, AU_PERC_HAT,
                                     AU_PERC_SHAKER};

void au_perc_bar(au_perc *p, au_score *s, const au_bar_ctx *ctx)
{
    if (ctx->bar >= p->renew_bar) {
        /* new patterns about every minute, drawn whether or not they play
         * so that the stream of choices does not depend on intensity */
        p->pattern[0] = au_euclid(1 + (int)au_rng_below(&p->rng, 3), 16, 0);
        p->pattern[1] = au_euclid(2 + (int)au_rng_below(&p->rng, 3), 16,
                                  2 + (int)au_rng_below(&p->rng, 4));
        p->pattern[2] = au_euclid(4 + (int)au_rng_below(&p->rng, 6), 16,
                                  (int)au_rng_below(&p->rng, 4));
        p->pattern[3] = au_euclid(5 + (int)au_rng_below(&p->rng, 7), 16,
                                  (int)au_rng_below(&p->rng, 3));
        p->renew_bar = ctx->bar + 16;
    }
    if (!ctx->active || ctx->intensity < AU_PERC_MIN_INTENSITY) return;
    if (!ctx->perc_on) return; /* the conductor rests the drums this section */
    /* 0 at the threshold, 1 at full intensity, shaded by the conductor */
    double x = (ctx->intensity - AU_PERC_MIN_INTENSITY) / (1 - AU_PERC_MIN_INTENSITY);
    x = au_clampd(0.7 * x + 0.3 * ctx->density, 0.0, 1.0);
    for (int step = 0; step < 16; step++) {
        /* grid weight: quarter, eighth, sixteenth */
        double g = step % 4 == 0 ? au_lerp(0.5, 0.9, x)
                   : step % 2 == 0 ? au_lerp(0.2, 0.5, x)
                                   : au_lerp(0.05, 0.1, x);
        int hits = 0;
        for (int v = 0; v < 4 && hits < 3; v++) {
            int in = (p->pattern[v] >> step) & 1;
            double prob = in ? g * (0.4 + 0.6 * x) : (v >= 2 ? 0.3 * g * x : 0);
            if (v == 3 && x < 0.3) prob *= 0.3; /* shaker joins late */
            if (!au_rng_chance(&p->rng, prob)) continue;
            int ghost = !in || au_rng_chance(&p->rng, 0.3);
            int vel = (ghost ? 28 : 52) + (int)(30 * x) + (int)au_rng_below(&p->rng, 11) - 5;
            double on = ctx->beat + step * 0.25 +
                        au_humanise(&p->rng, ctx->bpm, 0.6 + 0.4 * x, 0.06);
            au_score_note(s, AU_LAYER_PERCUSSION, perc_note[v], vel, on, on + 0.15);
            hits++;
        }
    }
}
