#include "bass.h"

#include <stdlib.h>
#include <string.h>

void au_bass_init(au_bass *b, uint64_t seed)
{
    memset(b, 0, sizeof *b);
    au_rng_seed(&b->rng, seed, 31);
    b->last = 38;
}

static void release(au_bass *b, au_score *s, double beat)
{
    for (int i = 0; i < b->n; i++)
        au_score_note_off(s, AU_LAYER_BASS, b->note[i], b->id[i], beat);
    b->n = 0;
}

static void play(au_bass *b, au_score *s, int pitch, int vel, double beat)
{
    if (b->n >= 2) return;
    uint32_t id = au_score_note_on(s, AU_LAYER_BASS, pitch, vel, beat);
    if (!id) return;
    b->note[b->n] = (uint8_t)pitch;
    b->id[b->n++] = id;
}

/* pitch of pc nearest the last bass note, inside 31..45 (49-110 Hz) */
static int place(const au_bass *b, int pc)
{
    int best = -1;
    for (int p = 31; p <= AU_BASS_HI; p++)
        if (p % 12 == pc && (best < 0 || abs(p - b->last) < abs(best - b->last)))
            best = p;
    return best;
}

void au_bass_bar(au_bass *b, au_score *s, const au_bar_ctx *ctx)
{
    if (!ctx->active) return;
    const au_chord *ch = ctx->chord;
    double d = ctx->density;
    int fresh = b->epoch != ctx->epoch || b->n == 0;
    b->epoch = ctx->epoch;
    int fifth = (ch->root + 7) % 12;
    int has_fifth = (ch->mask >> fifth) & 1;
    double h = au_humanise(&b->rng, ctx->bpm, d, 0.08);
    int vel = 50 + (int)(35 * d) + (int)au_rng_below(&b->rng, 7) - 3;
    if (ctx->chord_new || fresh) {
        int tonic = ctx->key;
        /* a pedal is allowed only if no chord tone is a semitone or tritone
         * away from it */
        int pedal_ok = 1;
        for (int i = 0; i < ch->npcs; i++) {
            int iv = (ch->pcs[i] - tonic + 12) % 12;
            if (iv == 1 || iv == 11 || iv == 6) pedal_ok = 0;
        }
        int pc = ch->root;
        if (pedal_ok && d < 0.45 && au_rng_chance(&b->rng, 0.45)) pc = tonic;
        else if (has_fifth && au_rng_chance(&b->rng, 0.15)) pc = fifth;
        int p = place(b, pc);
        if (!fresh && b->n && b->note[0] == p && d < 0.45) return; /* hold */
        release(b, s, ctx->beat + h);
        play(b, s, p, vel, ctx->beat + h);
        b->last = p;
        /* a sub drone, never below E1 (41 Hz): nothing sustained lower */
        if (d < 0.35 && p - 12 >= 28 && au_rng_chance(&b->rng, 0.35))
            play(b, s, p - 12, vel - 18, ctx->beat + h + 0.02);
    } else if (d > 0.45) {
        /* busier: restrike the root, sometimes answer with the fifth */
        if (au_rng_chance(&b->rng, 0.4 + 0.5 * d)) {
            int p = place(b, ch->root);
            release(b, s, ctx->beat + h);
            play(b, s, p, vel, ctx->beat + h);
            b->last = p;
        }
    }
    if (d > 0.5 && has_fifth && au_rng_chance(&b->rng, d - 0.3)) {
        int p = place(b, fifth);
        double t = ctx->beat + 2.0 + au_humanise(&b->rng, ctx->bpm, d, 0.08);
        release(b, s, t);
        play(b, s, p, vel - 8, t);
        b->last = p;
    }
}
