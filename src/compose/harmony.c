#include "harmony.h"

#include <math.h>

#define AU_BEATS_PER_BAR_H 4 /* = AU_BEATS_PER_BAR (score.h) */

#include "../core/params.h"

/* from-degree rows, to-degree columns. Written for ambient music: the
 * tonic moves to its plagal and modal neighbours, the colour chord of each
 * mode is a strong partner of the tonic, the dominant rarely resolves to the
 * tonic (and its 7th is never built), the diminished degree is rare. */
static const float tables[7][7][7] = {
    { /* ionian: I ii iii IV V vi vii */
     {1.5f, 3, 2, 6, 1, 5, .4f}, {3, 1, 2, 4, 1, 3, .4f}, {2, 2, 1, 4, 1, 5, .4f},
     {6, 3, 2, 1, 2, 4, .4f}, {.6f, 2, 3, 5, 1, 5, .4f}, {4, 3, 2, 5, 1, 1, .4f},
     {3, 1, 3, 2, 1, 3, .3f}},
    { /* dorian: i ii bIII IV v vi bVII (IV carries the natural 6) */
     {1.5f, 3, 3, 6, 2, .4f, 5}, {4, 1, 3, 2, 2, .4f, 3}, {3, 2, 1, 4, 2, .4f, 3},
     {6, 2, 2, 1, 2, .4f, 3}, {3, 2, 2, 3, 1, .4f, 4}, {3, 1, 1, 2, 2, .3f, 2},
     {5, 1, 3, 4, 2, .4f, 1}},
    { /* phrygian: i bII bIII iv v bVI bvii */
     {1.5f, 6, 3, 3, .4f, 3, 4}, {6, 1, 2, 2, .3f, 2, 3}, {3, 3, 1, 3, .3f, 3, 3},
     {4, 2, 3, 1, .3f, 3, 3}, {3, 2, 1, 2, .2f, 2, 2}, {3, 3, 2, 4, .3f, 1, 3},
     {5, 3, 3, 2, .3f, 2, 1}},
    { /* lydian: I II iii #iv V vi vii (I-II is the colour) */
     {1.5f, 6, 2, .4f, 2, 4, 3}, {6, 1, 2, .4f, 1, 3, 2}, {3, 3, 1, .4f, 2, 3, 2},
     {3, 2, 2, .3f, 1, 2, 1}, {2, 3, 2, .4f, 1, 3, 2}, {4, 3, 2, .4f, 2, 1, 3},
     {4, 3, 2, .4f, 1, 3, 1}},
    { /* mixolydian: I ii iii IV v vi bVII */
     {1.5f, 2, .4f, 4, 3, 3, 6}, {3, 1, .4f, 3, 3, 2, 3}, {3, 2, .3f, 2, 1, 2, 2},
     {5, 2, .4f, 1, 2, 2, 4}, {4, 2, .4f, 3, 1, 3, 3}, {3, 3, .4f, 4, 2, 1, 3},
     {6, 1, .4f, 4, 2, 2, 1}},
    { /* aeolian: i ii bIII iv v bVI bVII */
     {1.5f, .4f, 3, 4, 2, 5, 5}, {3, .3f, 2, 2, 1, 2, 2}, {3, .4f, 1, 3, 2, 4, 4},
     {5, .4f, 3, 1, 2, 3, 3}, {3, .4f, 2, 3, 1, 4, 3}, {4, .4f, 3, 4, 2, 1, 5},
     {5, .4f, 4, 2, 2, 4, 1}},
    { /* locrian: i bII biii iv bV bVI bvii */
     {1, 5, 3, 3, 2, 4, 4}, {5, 1, 3, 2, 2, 3, 3}, {3, 3, 1, 3, 2, 3, 3},
     {4, 3, 2, 1, 2, 3, 3}, {3, 3, 2, 3, 1, 3, 2}, {4, 3, 2, 3, 2, 1, 3},
     {5, 3, 3, 2, 2, 3, 1}},
};

static const int colour_deg[7] = {3, 3, 1, 1, 6, 5, 1};

float au_harmony_weight(int mode, int from, int to)
{
    return tables[mode][from][to];
}

int au_harmony_colour_degree(int mode)
{
    return colour_deg[mode];
}

void au_harmony_init(au_harmony *h, uint64_t seed)
{
    au_rng_seed(&h->rng, seed, 11);
    h->deg = -1;
    h->prev_deg = -1;
    h->in_phrase = 0;
    h->quality = AU_CQ_TRIAD;
}

static void pick_quality(au_harmony *h, int key, int mode, int deg,
                         double intensity, au_chord *out)
{
    /* calm: triads, sus and add9 colours; intense: 7ths and 9ths */
    float w[AU_CQ_COUNT] = {
        (float)(3.0 - 2.0 * intensity), (float)(0.8 + 2.2 * intensity),
        (float)(0.2 + 2.5 * intensity), (float)(1.2 + 1.0 * intensity), 1.6f,
        1.2f, 0.9f};
    au_chord cands[AU_CQ_COUNT];
    for (int q = 0; q < AU_CQ_COUNT; q++)
        if (au_chord_build(&cands[q], key, mode, deg, q) != 0) w[q] = 0;
    /* the same degree again must change colour */
    if (deg == h->deg && w[h->quality] > 0) w[h->quality] *= 0.1f;
    int q = au_rng_weighted(&h->rng, w, AU_CQ_COUNT);
    if (w[q] <= 0) { /* every degree has a usable quartal stack */
        q = AU_CQ_QUARTAL;
        au_chord_build(&cands[q], key, mode, deg, q);
    }
    h->quality = q;
    *out = cands[q];
}

int au_harmony_next(au_harmony *h, int key, int mode, double intensity,
                    double tonic_pull, au_chord *out)
{
    int deg;
    if (h->deg < 0) {
        deg = 0; /* open on the tonic, once */
    } else {
        float w[7];
        /* low intensity: lean on the strong moves; high: flatter, more
         * variety */
        double gamma = 1.3 - 0.7 * intensity;
        for (int j = 0; j < 7; j++) {
            w[j] = (float)pow(tables[mode][h->deg][j], gamma);
            if (j == h->prev_deg && j != h->deg) w[j] *= 0.5f; /* no ping-pong */
            if (j == h->deg) w[j] *= 0.6f;
        }
        /* home: away from the tonic the music wants to go back (not
         * from the fifth degree: no V-I drive); from the tonic it moves
         * mostly to the mode's colour chord and the neighbours */
        if (h->deg != 0 && h->deg != 4) w[0] *= (float)tonic_pull;
        if (h->deg == 0) {
            w[colour_deg[mode]] *= 1.8f;
            w[1] *= 1.3f;
            w[6] *= 1.3f;
        }
        if (h->in_phrase == 3) { /* phrase end: a soft cadence target */
            w[0] *= 2.0f;
            w[colour_deg[mode]] *= 1.6f;
        }
        deg = au_rng_weighted(&h->rng, w, 7);
    }
    int pos = h->in_phrase;
    h->in_phrase = (h->in_phrase + 1) % 4;
    pick_quality(h, key, mode, deg, intensity, out);
    h->prev_deg = h->deg;
    h->deg = deg;
    return pos;
}

void au_harmony_pivot(au_harmony *h, int old_key, int old_mode, int key,
                      int mode, double intensity, au_chord *out)
{
    uint16_t old = au_scale_mask(old_key, old_mode);
    float w[7];
    int best = 0;
    for (int d = 0; d < 7; d++) {
        au_chord c;
        int common = 0;
        if (au_chord_build(&c, key, mode, d, AU_CQ_TRIAD) != 0 &&
            au_chord_build(&c, key, mode, d, AU_CQ_QUARTAL) != 0) {
            w[d] = 0;
            continue;
        }
        for (int i = 0; i < c.npcs; i++) common += (old >> c.pcs[i]) & 1;
        w[d] = (float)common;
        if (common > best) best = common;
    }
    for (int d = 0; d < 7; d++) w[d] = w[d] == (float)best ? 1.0f + (d == 0) : 0;
    int deg = au_rng_weighted(&h->rng, w, 7);
    pick_quality(h, key, mode, deg, intensity * 0.5, out);
    /* keep it a true pivot: fall back to the triad if colour added foreign
     * tones */
    if ((out->mask & ~old) && au_chord_build(out, key, mode, deg, AU_CQ_TRIAD) == 0)
        h->quality = AU_CQ_TRIAD;
    else if (out->mask & ~old) {
        au_chord_build(out, key, mode, deg, AU_CQ_QUARTAL);
        h->quality = AU_CQ_QUARTAL;
    }
    h->prev_deg = h->deg;
    h->deg = deg;
    h->in_phrase = 1;
}

int au_harmony_bars(au_harmony *h, double density, double bpm, double home_hold)
{
    /* in seconds, so the harmonic rhythm is calm at any tempo */
    double s = (20.0 - 10.5 * density) * au_rng_range(&h->rng, 0.75, 1.35);
    /* home holds longest, over the pedal (drift x1.6; the other pieces
     * were tuned on x1.4) */
    if (h->deg == 0) s *= home_hold;
    double bar_s = AU_BEATS_PER_BAR_H * 60.0 / bpm;
    int b = (int)floor(s / bar_s + 0.5);
    int min = (int)ceil(7.0 / bar_s - 1e-9);
    if (min < 2) min = 2;
    return b < min ? min : b > 16 ? 16 : b;
}
