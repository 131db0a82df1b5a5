/* Music theory for the composer: the 7 modes in 12 keys, diatonic chords on
 * scale degrees (triads, 7ths, 9ths, add9, sus2, sus4, quartal), names, and
 * pad voicings with smooth voice leading.
 * Pure functions on plain values; thread-safe. Pitches are MIDI notes. */
#ifndef AU_THEORY_H
#define AU_THEORY_H

#include <stdint.h>

/* semitone offsets of the 7 scale degrees of each mode (AU_MODE_*) */
extern const uint8_t au_mode_steps[7][7];

enum { AU_CQ_TRIAD, AU_CQ_SEVENTH, AU_CQ_NINTH, AU_CQ_ADD9, AU_CQ_SUS2,
       AU_CQ_SUS4, AU_CQ_QUARTAL, AU_CQ_COUNT };

#define AU_CHORD_MAX_PCS 5

typedef struct {
    uint8_t root;     /* pitch class */
    uint8_t degree;   /* 0..6 scale degree of the root */
    uint8_t quality;  /* AU_CQ_* */
    uint8_t npcs;
    uint8_t pcs[AU_CHORD_MAX_PCS]; /* pitch classes, root first */
    uint16_t mask;    /* bit pc set */
    char name[16];    /* "Dm9", "Gsus2", "B7sus4" */
} au_chord;

/* bit mask of the scale's 7 pitch classes */
uint16_t au_scale_mask(int key, int mode);
/* pitch class of degree (0..6, wraps) */
int au_scale_pc(int key, int mode, int degree);
static inline int au_in_mask(uint16_t mask, int pitch)
{
    return (mask >> (((pitch % 12) + 12) % 12)) & 1;
}

/* Spell the diatonic chord of quality q on degree. 0, or AU_EINVAL when the
 * chord is unusable for ambient pads (it would hold a tritone or a minor 9th
 * over the root, e.g. any dominant 7th or diminished triad). */
int au_chord_build(au_chord *ch, int key, int mode, int degree, int quality);

/* Pitch in scale `mask` reached by moving `steps` scale steps from pitch
 * (an out-of-scale pitch first snaps down to the scale). */
int au_scale_move(uint16_t mask, int pitch, int steps);

/* Nearest pitch in [lo,hi] whose pitch class is in mask (ties go down);
 * -1 if none. */
int au_nearest_in(uint16_t mask, int pitch, int lo, int hi);

/* Two sustained pitches clash: unison, minor 2nd or minor 9th (beyond two
 * octaves the rub is gone). */
static inline int au_pitch_clash(int a, int b)
{
    int d = a > b ? a - b : b - a;
    return d == 0 || d == 1 || d == 13;
}

/* Voice the chord with nvoices (1..6) in [lo,hi], led from prev (nprev
 * voices, may be 0): common tones are held, other voices move to the nearest
 * chord tone, every chord tone is covered when nvoices allows, no two voices
 * clash. out is sorted ascending; returns the number of voices. */
int au_voice_lead(const uint8_t *prev, int nprev, const au_chord *ch,
                  int nvoices, int lo, int hi, uint8_t *out);

/* Sum of |movement| between two voicings matched voice by voice in sorted
 * order (the shorter one's voices to their nearest in the other). */
int au_voicing_distance(const uint8_t *a, int na, const uint8_t *b, int nb);

#endif
