/* Pieces as data plus small composition policies. Each piece (its name and
 * defaults are in src/core/pieces.h) says, per layer, which instrument plays
 * (Auralis's own DSP kind, or a General MIDI program of the SoundFont with
 * the DSP kind as fallback), its register and velocity curve and its mix
 * sends; how it composes (harmonic rhythm, density, pentatonic melody,
 * Eno-like loops, a drone, evolving percussion); and its space and
 * brightness. The composer and the engine read this table: nothing else in
 * the code asks which piece is playing.
 * Static read-only data; au_piece_get is pure and thread-safe. */
#ifndef AU_PIECE_H
#define AU_PIECE_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/params.h"
#include "../core/pieces.h"
#include "../core/rng.h"
#include "score.h"

/* How a layer's notes are generated (the default generator or a piece's). */
enum {
    AU_GEN_DEFAULT, /* the composer's generator for that layer */
    AU_GEN_LOOPS,   /* melody: short phrases looping at incommensurate lengths */
    AU_GEN_DRONE,   /* bass: a held tonic (and fifth), re-struck slowly */
    AU_GEN_PERC,    /* percussion: evolving kit patterns, entering and leaving */
    AU_GEN_BOWED,   /* bass: the chord's root and an upper tone in turn */
};

/* Percussion kits: GM notes for the four roles (low, click, tick, shaker),
 * and the voice of Auralis's own kit that plays each role without a
 * SoundFont (AU_PERC_* of events.h; 0 = the role rests). */
typedef struct {
    uint8_t note[4];
    uint8_t vel[4]; /* top velocity per role */
    uint8_t dsp[4];
} au_piece_kit;

/* How a piece's percussion moves (AU_GEN_PERC): each role loops a
 * euclidean pattern of `steps` steps (16 steps of a sixteenth = one bar, a
 * groove; other lengths drift against the bar and each other, a texture)
 * with k hits, the patterns renewed every renew_s seconds and mutated by
 * one step every four bars between; the drum bus plays for on_bars and
 * rests for off_bars, fading over four bars. */
typedef struct {
    uint8_t steps[4];  /* cycle of each role, in steps (1..16) */
    uint8_t kmin[4], kmax[4]; /* hits per cycle */
    float step_beats;  /* a step's length in beats */
    float renew_s[2];  /* new patterns every renew_s[0]..renew_s[1] s */
    float prob;        /* a step's chance to sound at full intensity */
    float swing;       /* odd steps late by this fraction of a step */
    float dur_beats;   /* note length (a kit's samples may ring past it) */
    float on_bars[2], off_bars[2]; /* drum bus plays / rests (bars) */
} au_piece_perc;

typedef struct {
    bool on;           /* the piece uses this layer */
    uint8_t gen;       /* AU_GEN_* */
    /* instrument: GM program on the SoundFont (bank 0, or 128 = drum kit),
     * played by the DSP kind of the layer when no SoundFont is loaded */
    bool sf;
    uint8_t bank, program;
    uint8_t nalt, alt[2]; /* patch variants: the seed picks one of program
                             and alt[0..nalt) (same bank) */
    int8_t transpose;    /* semitones added to every note */
    uint8_t lo, hi;      /* register after transposing: folded by octaves */
    uint8_t vmin, vmax;  /* velocity curve: 1..127 mapped onto vmin..vmax */
    int16_t attack_tc;   /* SoundFont: attack offset in timecents */
    int16_t release_tc;  /* SoundFont: release offset in timecents */
    int16_t cutoff_cents;/* SoundFont: filter cutoff offset (negative darker) */
    float gain, rev, dly;/* multipliers on the engine's dry, reverb, delay */
    bool sf_mono_pairs;  /* SoundFont: the preset's hard-panned voice pairs
                            play one sample twice; one centred voice plays
                            them (au_sfsynth_mono_pairs) */
    int8_t variant_db[3];/* SoundFont: the level (dB) of program, alt[0],
                            alt[1] (the variants of one layer differ by up
                            to 15 dB at one velocity) */
    int16_t variant_fc[3];/* SoundFont: the filter cutoff offset (cents,
                            added to cutoff_cents) of program, alt[0],
                            alt[1]: a variant whose top partials stand out
                            (glass's glockenspiel, pieces.md) */
} au_piece_layer;

/* a master tone EQ (src/synth/tone.h): a low shelf (or a bell when low_q
 * > 0), a mid bell, a high shelf (or a bell when high_q > 0), a second
 * high shelf for the top octave (or a bell when top_q > 0); dB, Hz, Q */
typedef struct {
    float low_db, low_hz, low_q, mid_db, mid_hz, mid_q, high_db, high_hz,
        high_q;
    float top_db, top_hz, top_q;
} au_piece_eq;

typedef struct {
    au_piece_layer layer[AU_LAYER_COUNT];
    /* composition */
    float harmonic_rhythm; /* chord lengths x this */
    float density;         /* conductor density x this */
    int8_t reg_shift;      /* added to the conductor's register drift */
    bool pentatonic;       /* melody, bells, textures on the mode's pentatonic */
    float loop_s[4];       /* AU_GEN_LOOPS: loop lengths in seconds */
    au_piece_kit kit;      /* AU_GEN_PERC */
    au_piece_perc perc;
    /* mix */
    float space;       /* reverb time x this */
    float brightness;  /* added to the brightness control (-0.5..0.5) */
    float dynamics;    /* section level swing x (1 + this): a piece whose
                          texture barely thins (a steady pulse, a sparse
                          night) needs more to breathe */
    float level_db;    /* added to the section level: keeps a piece whose
                          sections sit denser than its intensity at -16 LUFS */
    float floor;       /* low noise under the piece (engine: air), linear
                          (0: none) */
    float level_follow;/* 0..1: how far the section level's reference
                          follows the piece's own slow mean density (0: the
                          fixed reference of the default mix) */
    /* mastering: the piece's tone EQ on the master bus (src/synth/tone.h,
     * pieces.md says why each); all gains 0 (drift): none */
    au_piece_eq eq;
    /* air (engine): noise band-passed at air_hz x 2^(air_track x
     * brightness), at air_gain x (air_base + air_slope x brightness) */
    float air_hz, air_track, air_gain, air_base, air_slope;
    float warmup_tail; /* > 0: the rider stays quick until the last layer
                          has entered + this many seconds (at least 16 s);
                          0: the fixed 16 s warm-up */
    bool open_rise;    /* the first section is a rise (else calm) */
    bool clear_turns;  /* melody: the rules against turning back
                          (composition.md) */
    float tonic_pull[2]; /* harmony: the weight of going home, drawn by
                            the seed between these */
    double home_hold;  /* harmony: the tonic chord's length x this */
    float kit_trim;    /* the percussion layer's gain x this */
    float bass_trim[2];/* the bass layer's gain x ([0] + [1] x intensity) */
    float floor_calm;  /* noise at 125 Hz when calm (engine: air), linear,
                          fading out by intensity 0.5 (0: none) */
    /* the calm balance (engine; each x calm = 1 - intensity / 0.5, 0
     * from 0.5 up; all 0: none): the air x (1 + calm_air x calm), the
     * bass layer x (1 - calm_bass x calm), the pads' bus a bell of
     * calm_body_db x calm at the tonic in C4-B4, the lead's FM index x
     * 2^(calm_lead x calm) */
    float calm_air, calm_bass, calm_body_db, calm_lead;
    uint8_t pad_voices;/* the pads play at most this many notes of each
                          chord's voicing: its lowest and its highest, the
                          middle ones left out (0: every note) */
    bool pad_open;     /* the pads' second-highest note an octave down (an
                          open voicing) when it stays in the register */
    /* the low end (issue 8, synthesis.md): the bass adds a tenor chord
     * tone in A#2..C#3 (117-139 Hz, the third-octave at 125 Hz between the
     * bass and the pads); the pads' sub-octave sine this much louder (re
     * one saw, 0.5) and the bass's saw this much louder (re 0.75), both
     * scaled by intensity (engine.c). All 0: as before */
    bool bass_tenor;
    float pad_sub_gain, bass_saw_gain;
    /* the seed's lead colour (issue 8, synthesis.md): the lead's FM index
     * x 2^(lead_colour[i] x u x (intensity / 0.5)^2 under 0.5), u the
     * orchestration's lead_u in -1..1: [0] for u < 0 (darker), [1] for
     * u > 0 with a 1:1 lead, [2] with a 2:1 and [3] with a 3:1 lead;
     * u > 0 fades out from intensity 0.5 to 0.9. All 0: none */
    float lead_colour[4];
    /* the pads leave out the chord's root when one of their voices has it
     * in pad_rootless[0]..[1] (MIDI notes) while the bass plays the root
     * (density from AU_BASS_PEDAL_DENSITY up: no pedal), keeping at least
     * two voices: the bass's octave is its own second harmonic (issue 8,
     * synthesis.md: E dorian's E3 over the bass's E2 held 60-250 Hz at
     * 62%). 0: never */
    uint8_t pad_rootless[2];
    /* the busy rules (issue 8, synthesis.md), growing from intensity 0.5
     * (0) to 0.9 (1): the air x (1 + busy_air x busy) and the pads'
     * sub-octave sines this much louder (re one saw): a full piece
     * brighter and fuller (seed 11 D dorian was 1.3 dB darker above 5 kHz
     * at 0.9 than at 0.5, and F lydian's 100 Hz band 5.8 dB under the
     * produced slope). All 0: none */
    float busy_air, busy_pad_sub;
    /* the pads' sub-octave under voices F#3-G#3 at this share of it
     * (inst_pads.c: patch[2]; 0: none under them), for keys whose bass
     * leaves the 100 Hz band empty (issue 8, synthesis.md) */
    float pad_sub_low;
} au_piece;

/* NULL if out of range */
const au_piece *au_piece_get(int piece);

/* The piece's default parameters (key, mode, bpm, intensity, piece; every
 * layer switch on; seed 0). */
au_params au_piece_params(int piece);

/* The program a stream with this seed plays on the layer (the piece's
 * program or one of its variants). */
int au_piece_program(const au_piece_layer *l, int layer, uint64_t seed);

/* A note as the layer's instrument will play it: transposed, folded into
 * the register, velocity mapped. */
int au_piece_note(const au_piece_layer *l, int note);
/* the level (dB) of the variant au_piece_program picks for this seed */
int au_piece_variant_db(const au_piece_layer *l, int layer, uint64_t seed);
/* the filter cutoff offset (cents) of that variant, cutoff_cents included */
int au_piece_variant_fc(const au_piece_layer *l, int layer, uint64_t seed);
int au_piece_vel(const au_piece_layer *l, int vel);

/* The notes of a voicing the piece's pads play (au_piece.pad_voices):
 * writes them to out (room for 6) and returns how many. */
int au_piece_pad_voicing(const au_piece *pc, const uint8_t *v, int n,
                         uint8_t *out);

/* The mode's pentatonic subset (drops the two tones a semitone above
 * another scale tone, keeping the tonic). */
uint16_t au_pentatonic_mask(int key, int mode);

/* ---- the pieces' own generators (state lives in the composer) ---- */

typedef struct {
    au_rng rng;
    double next_beat[4]; /* next start of each loop */
    uint8_t deg[4][4];   /* scale steps of each loop's phrase */
    uint8_t len[4];      /* notes per phrase */
    float offs[4][4];    /* onset of each note in the phrase, seconds */
    int key, mode, plays[4];
} au_loops;

typedef struct {
    au_rng rng;
    uint32_t id[2];
    uint8_t note[2];
    int64_t next_bar;
} au_drone;

typedef struct {
    au_rng rng;
    uint16_t pattern[4];
    double renew_beat;
    int64_t switch_bar;
    int64_t mutate_bar;
    bool playing;
} au_ptex;

typedef struct {
    au_rng rng;
    uint32_t id;      /* the note sounding (0: none) */
    uint8_t note;
    uint8_t tone[2];  /* the chord's root and upper tone */
    int turn;         /* which of them sounds */
    int64_t next_bar;
    uint32_t epoch;
} au_bowed;

void au_loops_init(au_loops *g, uint64_t seed);
void au_loops_bar(au_loops *g, const au_piece *pc, au_score *s,
                  const au_bar_ctx *x);
void au_drone_init(au_drone *g, uint64_t seed);
void au_drone_bar(au_drone *g, const au_piece *pc, au_score *s,
                  const au_bar_ctx *x);
void au_bowed_init(au_bowed *g, uint64_t seed);
void au_bowed_bar(au_bowed *g, const au_piece *pc, au_score *s,
                  const au_bar_ctx *x);
void au_ptex_init(au_ptex *g, uint64_t seed);
void au_ptex_bar(au_ptex *g, const au_piece *pc, au_score *s,
                 const au_bar_ctx *x);

#endif
