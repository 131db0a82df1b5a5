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

/* a tenor t over bass pitch p sounds well: a third, fifth, sixth or
 * octave above it (a fourth only beyond the octave), and at least a fifth
 * above unless the bass is at G2 or higher (a third lower is mud) */
static int tenor_fits(int t, int p)
{
    int iv = t - p, m = iv % 12;
    if (iv < 3 || (iv < 7 && p < 43)) return 0;
    return m == 0 || m == 3 || m == 4 || m == 7 || m == 8 || m == 9 ||
           (m == 5 && iv > 12);
}

/* the tenor over bass pitch p: a chord tone in A#2..C#3 (117-139 Hz, the
 * third-octave at 125 Hz between the bass and the pads' low voices: a
 * modal piece's long-term spectrum had a hole there), nearest B2 first;
 * over the tonic (pitch class key) not its own octave (the tonic's
 * second harmonic sounds there already, and a piece rests on its tonic:
 * over C2 the tenor C3 left C dorian's and C mixolydian's 100 and 160
 * Hz bands 6-9 dB under the produced slope; over other roots the octave
 * fills D dorian's 125 Hz hole): then the chord's tone in G2..A2 or
 * D3..E3 that fits (a fifth or a tenth over it), else that octave;
 * 0: none fits */
static int tenor_of(const au_chord *ch, int p, int key)
{
    static const int pref[4] = {47, 48, 46, 49}, alt[6] = {43, 44, 45, 52, 50, 51};
#define TENOR_OK(t) (((ch->mask >> ((t) % 12)) & 1) && tenor_fits((t), p))
    int octave = 0, tonic = p % 12 == key;
    for (int i = 0; i < 4; i++)
        if (TENOR_OK(pref[i])) {
            if (!tonic || (pref[i] - p) % 12 != 0) return pref[i];
            if (!octave) octave = pref[i];
        }
    for (int i = 0; octave && i < 6; i++)
        if (TENOR_OK(alt[i])) return alt[i];
#undef TENOR_OK
    return octave;
}

static void tenor_off(au_bass *b, au_score *s, double beat)
{
    if (b->ten) au_score_note_off(s, AU_LAYER_BASS, b->ten, b->ten_id, beat);
    b->ten = 0;
}

/* the tenor's velocity re the root's: a little over it (it carries its
 * band), less when dense (at 0.9 the busy lead and pads fill 125 Hz, and
 * the 100 Hz band under it was the thin one) */
static int tenor_vel(int vel, double d)
{
    return vel + 4 - (d > 0.6 ? (int)(40.0 * (d - 0.6)) : 0);
}

/* the tenor follows the chord over bass pitch p: held while it fits */
static void tenor_set(au_bass *b, au_score *s, int t, int vel, double beat)
{
    if (t == b->ten) return;
    tenor_off(b, s, beat);
    if (!t) return;
    uint32_t id = au_score_note_on(s, AU_LAYER_BASS, t, vel, beat);
    if (!id) return;
    b->ten = (uint8_t)t;
    b->ten_id = id;
}

void au_bass_bar(au_bass *b, au_score *s, const au_bar_ctx *ctx)
{
    if (!ctx->active) return;
    const au_chord *ch = ctx->chord;
    double d = ctx->density;
    int fresh = b->epoch != ctx->epoch || b->n == 0;
    if (b->epoch != ctx->epoch) b->ten = 0; /* released with the layer */
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
        if (pedal_ok && d < AU_BASS_PEDAL_DENSITY && au_rng_chance(&b->rng, 0.45)) pc = tonic;
        else if (has_fifth && au_rng_chance(&b->rng, 0.15)) pc = fifth;
        int p = place(b, pc);
        if (ctx->tenor)
            tenor_set(b, s, tenor_of(ch, p, ctx->key), tenor_vel(vel, d),
                      ctx->beat + h + 0.03);
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
            if (ctx->tenor)
                tenor_set(b, s, tenor_of(ch, p, ctx->key), tenor_vel(vel, d),
                          ctx->beat + h + 0.03);
            release(b, s, ctx->beat + h);
            play(b, s, p, vel, ctx->beat + h);
            b->last = p;
        }
    }
    if (d > 0.5 && has_fifth && au_rng_chance(&b->rng, d - 0.3)) {
        int p = place(b, fifth);
        double t = ctx->beat + 2.0 + au_humanise(&b->rng, ctx->bpm, d, 0.08);
        /* the tenor stays only if it sounds well over the fifth too */
        if (b->ten && !tenor_fits(b->ten, p)) tenor_off(b, s, t);
        release(b, s, t);
        play(b, s, p, vel - 8, t);
        b->last = p;
    }
}
