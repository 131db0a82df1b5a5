/* Master tone EQ: a piece's mastering curve on the master bus, before the
 * rider (which so keeps the loudness): a low shelf, a broad mid bell, a
 * high shelf and a second high shelf for the top octave (RBJ biquads,
 * shelves at slope S = 1), both channels alike.
 *
 * A change of shape glides (gains, log frequencies and Q relax over about
 * half a second, the coefficients redesigned once per block while they
 * move, never per sample), so switching pieces does not click. A band whose
 * gain is 0 dB and whose state has decayed is skipped; with every band flat
 * the EQ does nothing at all, so a piece without one (drift) renders
 * bit-identical to a master bus without it.
 * Caller-owned, no heap, one owner thread. */
#ifndef AU_TONE_H
#define AU_TONE_H

typedef struct {
    float low_db, low_hz, low_q;    /* low shelf below low_hz (q 0), or a
                                       bell at low_hz of width Q low_q */
    float mid_db, mid_hz, mid_q;    /* bell: gain at mid_hz, width Q */
    float high_db, high_hz, high_q; /* high shelf above high_hz (q 0), or a
                                       bell */
    float top_db, top_hz, top_q;    /* a second high shelf (q 0) or bell:
                                       the top octave's own (a roll-off
                                       above a lifted presence) */
} au_tone_shape;

enum { AU_TONE_BANDS = 4 };

typedef struct {
    float rate;
    /* per band: gain dB, log2 of the frequency, Q; cur glides toward
     * want. kind: 0 low shelf, 1 bell, 2 high shelf (bands 2, 3); a new kind waits
     * until the band has glided flat (its gain 0 dB), then glides on */
    float want[AU_TONE_BANDS][3], cur[AU_TONE_BANDS][3];
    float c_glide;
    unsigned char kind[AU_TONE_BANDS], want_kind[AU_TONE_BANDS];
    /* per band: b0 b1 b2 a1 a2 of the current design */
    float co[AU_TONE_BANDS][5];
    /* per band, direct form I: x1 x2 y1 y2, lanes L R */
    float st[AU_TONE_BANDS][4][2];
    unsigned live; /* bands that are processed (not flat, or still ringing) */
} au_tone;

/* rate in Hz; the shape is applied at once (no glide at a stream's start).
 * Frequencies are clamped to 20 Hz..0.45 rate, Q to 0.1..10, gains to
 * +-18 dB. */
void au_tone_init(au_tone *t, float rate, const au_tone_shape *s);
/* a new shape, reached by a glide */
void au_tone_set(au_tone *t, const au_tone_shape *s);
/* in place on planar stereo; one call = one control step (the engine calls
 * it once per block of AU_BLOCK frames, whatever its caller's block) */
void au_tone_process(au_tone *t, float *L, float *R, int n);
/* RBJ cookbook biquad: kind 0 low shelf (S = 1), 1 peaking bell of width
 * q, 2 high shelf (S = 1), db of gain at hz; 3 high-pass at hz, Q q (db
 * unused); co gets b0 b1 b2 a1 a2 normalised by a0. Shared by the tone
 * EQ and the engine's pad bus. */
void au_rbj_design(int kind, double rate, double hz, double q, double db,
                   float co[5]);
/* the designed response in dB at hz (tests, docs) */
float au_tone_response_db(const au_tone *t, float hz);

#endif
