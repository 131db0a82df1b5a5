/* Melody: phrases planned as motifs (scale-step contours plus rhythm) and
 * realised note by note against the chord under them. Constraints: chord
 * tones on strong beats (beats 1 and 3 of the bar), mostly steps, a leap is
 * answered by a step back, no repeated note, range by intensity inside
 * 60-96, out-of-scale notes only as rare weak-beat passing tones. Motifs
 * return varied (transposed, inverted, reversed, displaced, one note
 * changed); phrases end on a long note and rests breathe.
 * Plain value; not thread-safe. */
#ifndef AU_MELODY_H
#define AU_MELODY_H

#include "score.h"

#define AU_MOTIF_MAX 12

typedef struct {
    int8_t step[AU_MOTIF_MAX]; /* scale steps from the previous note */
    float ioi[AU_MOTIF_MAX];   /* beats to the next onset (0.5 grid) */
    int n;
} au_motif;

typedef struct {
    au_rng rng;
    int prev;             /* last pitch, 0 = none */
    int prev_iv;          /* last interval in semitones */
    double next_phrase;   /* nominal beat the next phrase may start */
    /* phrase being played */
    au_motif plan;
    double plan_start;    /* nominal onset of the plan's first note */
    int plan_i;           /* next note to realise, plan.n when idle */
    int prev2;            /* the pitch before prev (no neighbour returns) */
    /* memory */
    au_motif motif;
    int returns;
    int phrases;
    /* the motif's pitches as first sung: exact restatements transpose them */
    uint8_t motif_p[AU_MOTIF_MAX];
    int motif_np;
    uint8_t cur_p[AU_MOTIF_MAX]; /* pitches of the phrase being sung */
    int exact;                   /* the phrase restates motif_p exactly */
    int exact_t;                 /* ... transposed by this many semitones */
    int fresh_motif;             /* the phrase is a new motif: remember it */
    /* the last phrase sang motif_p at this transposition (-99: it did
     * not): the next exact return moves, so no phrase is sung twice in a
     * row at the same pitch */
    int last_t;
    int exact_run; /* exact returns in a row: at most 3, then it varies */
    /* the rules against turning back (range opened above the pads, no
     * X-Y-X across a junction or on a strong beat, at most 3 exact
     * returns in a row, phrases of 2 notes or more): the default piece
     * (set per bar by the composer; the other pieces were tuned without) */
    int clear_turns;
} au_melody;

void au_melody_init(au_melody *m, uint64_t seed);
void au_melody_bar(au_melody *m, au_score *s, const au_bar_ctx *ctx);

/* Range of the melody at a density and register drift (inside 60..96). */
void au_melody_range(double density, int reg_shift, int *lo, int *hi);

/* The scale the melody sings in: a pentatonic subset of the mode when calm
 * (density < 0.4), the whole mode otherwise. */
uint16_t au_melody_scale(int key, int mode, double density);

#endif
