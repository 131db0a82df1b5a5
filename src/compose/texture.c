#include "texture.h"

#include <stdlib.h>
#include <string.h>

void au_texture_init(au_texture *t, uint64_t seed)
{
    memset(t, 0, sizeof *t);
    au_rng_seed(&t->rng, seed, 51);
    t->next_swell = 0;
}

void au_texture_bar(au_texture *t, au_score *s, const au_bar_ctx *ctx)
{
    double end = ctx->beat + AU_BEATS_PER_BAR, d = ctx->density;
    if (!ctx->active) {
        if (t->next_swell < end) t->next_swell = end;
        return;
    }
    while (t->next_swell < end) {
        double on = t->next_swell < ctx->beat ? ctx->beat : t->next_swell;
        int slot = t->swell_end[0] <= on ? 0 : t->swell_end[1] <= on ? 1 : -1;
        double len = au_rng_range(&t->rng, 6.0, 16.0);
        if (slot >= 0) {
            /* root (and the fifth when dense) in the middle register */
            const au_chord *ch = ctx->chord;
            int root = 60 + (ch->root - 60 % 12 + 12) % 12;
            int vel = 30 + (int)(40 * d) + (int)au_rng_below(&t->rng, 9);
            au_score_note(s, AU_LAYER_TEXTURES, root, vel, on, on + len);
            int fifth = (ch->root + 7) % 12;
            if (d > 0.4 && ((ch->mask >> fifth) & 1))
                au_score_note(s, AU_LAYER_TEXTURES, root + 7, vel - 6, on + 0.5,
                              on + len);
            t->swell_end[slot] = on + len + 0.01;
        }
        /* the piece's own cycle when calm (19-37 s), 0.57x when dense,
         * jittered widely: swells never tick like a metronome */
        double base = ctx->orch ? ctx->orch->tex_cycle_s : 29.9;
        double cyc = au_lerp(base, 0.57 * base, d) * au_rng_range(&t->rng, 0.6, 1.5);
        t->next_swell = on + au_clampd(au_beats(cyc, ctx->bpm), 6.0, 64.0);
    }
}

void au_bells_init(au_bells *b, uint64_t seed)
{
    memset(b, 0, sizeof *b);
    au_rng_seed(&b->rng, seed, 61);
    b->next_figure = 0;
    b->last = 81;
}

void au_bells_bar(au_bells *b, au_score *s, const au_bar_ctx *ctx)
{
    double end = ctx->beat + AU_BEATS_PER_BAR, d = ctx->density;
    if (!ctx->active) {
        if (b->next_figure < end) b->next_figure = end;
        return;
    }
    while (b->next_figure < end) {
        double t = b->next_figure < ctx->beat ? ctx->beat : b->next_figure;
        /* calm: chimes are occasional, some cycles pass in silence */
        int skip = au_rng_chance(&b->rng, 0.45 * (1.0 - d));
        int n = skip ? 0 : 2 + (int)au_rng_below(&b->rng, 2 + (uint32_t)(2 * d + 0.5));
        double gap = 0.5 * (1 + au_rng_below(&b->rng, 3));
        for (int i = 0; i < n; i++) {
            /* a walk over chord tones (and scale tones when dense) */
            uint16_t m = d > 0.6 && (i & 1) ? ctx->scale : ctx->chord->mask;
            int target = b->last + (au_rng_chance(&b->rng, 0.5) ? 3 : -3) *
                                       (1 + (int)au_rng_below(&b->rng, 2));
            target = au_clampi(target, AU_BELL_LO + 2, AU_BELL_HI - 2);
            int p = au_nearest_in(m, target, AU_BELL_LO, AU_BELL_HI);
            if (p == b->last) p = au_nearest_in(m, target + 3, AU_BELL_LO, AU_BELL_HI);
            if (p < 0) break;
            int vel = 34 + (int)(36 * d) - 5 * i + (int)au_rng_below(&b->rng, 9);
            double on = t + i * gap + au_humanise(&b->rng, ctx->bpm, d, 0.1);
            /* ring for at most 3 gaps: never more than 4 at once */
            au_score_note(s, AU_LAYER_BELLS, p, vel, on, on + 2.9 * gap);
            b->last = p;
        }
        /* the piece's own cycle when calm (13-29 s), 0.47x when dense */
        double base = ctx->orch ? ctx->orch->bell_cycle_s : 23.5;
        double cyc = au_lerp(base, 0.47 * base, d) * au_rng_range(&b->rng, 0.7, 1.6);
        b->next_figure = t + au_clampd(au_beats(cyc, ctx->bpm), 4.0, 48.0);
    }
}
