/* Instruments: one voice pool per layer (pads, melody, bass, percussion,
 * textures, bells), driven by note events at exact sample positions.
 * Caller-owned struct, no heap; reads shared read-only wavetables and noise.
 * Not thread-safe: one owner (the engine's render thread).
 *
 * Timing: au_inst_tick() at every AU_BLOCK boundary (stage changes, filter
 * and pitch coefficients), au_inst_process() for any run of frames inside a
 * block, note events between runs. Voices are stolen with a 4 ms fade. */
#ifndef AU_INST_H
#define AU_INST_H

#include <stdint.h>

#include "../core/rng.h"
#include "dsp.h"
#include "wavetable.h"

#define AU_INST_MAXV 8
#define AU_NOISE_BITS 16
#define AU_NOISE_LEN (1 << AU_NOISE_BITS)

typedef enum {
    AU_INST_PADS,
    AU_INST_MELODY,
    AU_INST_BASS,
    AU_INST_PERC,
    AU_INST_TEXTURE,
    AU_INST_BELLS,
    AU_INST_COUNT
} au_inst_kind;

/* White noise table filled from PCG32; voices jump to a fresh random offset
 * every block, so the stream never loops (white noise has no continuity to
 * break at the seams). */
typedef struct {
    float t[AU_NOISE_LEN + AU_BLOCK];
} au_noise;

void au_noise_init(au_noise *n, uint64_t seed);

typedef struct {
    float brightness; /* 0..1: filter openness */
    float intensity;  /* 0..1: eased intensity */
} au_inst_ctl;

typedef struct {
    int kind, nv;
    float rate;
    const au_wavetables *wt;
    const float *noise;
    au_rng rng;
    uint32_t clock;
    /* pool */
    int note[AU_INST_MAXV];
    float vel[AU_INST_MAXV];
    uint32_t age[AU_INST_MAXV];
    int pend_note[AU_INST_MAXV];
    float pend_vel[AU_INST_MAXV];
    int steal_ticks[AU_INST_MAXV];
    au_env env[AU_INST_MAXV];
    float atk_c, dec_c, sus, rel_c, steal_c;
    /* oscillators and filters (meaning depends on the kind) */
    float ph[3][AU_INST_MAXV];
    float dt[3][AU_INST_MAXV];
    const float *tab[2][AU_INST_MAXV];
    au_svf fl[AU_INST_MAXV], fr[AU_INST_MAXV];
    au_svf_coef fc[AU_INST_MAXV];
    float gl[AU_INST_MAXV], gr[AU_INST_MAXV];
    float lfo[AU_INST_MAXV], lfo_inc[AU_INST_MAXV];
    float detune[AU_INST_MAXV];
    float pitch[AU_INST_MAXV]; /* current (glide) pitch in semitones */
    float mod[AU_INST_MAXV];   /* FM index / pitch sweep, per tick */
    float t_on[AU_INST_MAXV];  /* seconds since note on */
    float pan[AU_INST_MAXV];
    int sub[AU_INST_MAXV]; /* percussion sound per voice */
    uint32_t npos[2][AU_INST_MAXV];
    float last_note, last_off_t; /* melody glide memory */
    float t_now;
    float bus_x1[2], bus_y1[2]; /* bells group high-pass */
    float kc[8]; /* per-kind constants computed once in setup */
    /* patch variant (meaning depends on the kind; 0 = the default sound),
     * chosen by the piece's orchestration: see au_inst_set_patch() */
    float patch[4];
    int key_pc; /* the sounding key (pitch class): tuned percussion */
    /* per-kind lane state, one lane per voice (pads: inst_pads.c) */
    float kl[24][AU_INST_MAXV] __attribute__((aligned(32)));
    au_inst_ctl ctl;
} au_inst;

void au_inst_init(au_inst *in, au_inst_kind kind, float rate,
                  const au_wavetables *wt, const au_noise *noise,
                  uint64_t seed);
void au_inst_note_on(au_inst *in, int note, int vel);
void au_inst_note_off(au_inst *in, int note);
void au_inst_all_off(au_inst *in);
void au_inst_tick(au_inst *in, const au_inst_ctl *ctl);
/* Adds n frames (n <= frames left in the current block) into L and R;
 * returns 0 when the pool was silent and nothing was added. */
int au_inst_process(au_inst *in, float *L, float *R, int n);
int au_inst_active(const au_inst *in);
/* Release time of notes released from now on (pads follow the harmonic
 * rhythm: long chords, long releases). */
void au_inst_set_release(au_inst *in, float seconds);
/* Patch variant: four numbers whose meaning depends on the kind (see
 * inst_<kind>.c); all zero is the default sound. Call between blocks. */
void au_inst_set_patch(au_inst *in, const float patch[4]);
void au_inst_set_key(au_inst *in, int pc);

#endif
