/* Stereo FDN reverb for long ambient tails (RT60 1..20 s): two input
 * allpass diffusers per side, 8 delay lines (29..77 ms at size 1) mixed by
 * a normalised Hadamard matrix, per-line gains set from RT60, a one-pole
 * damping low-pass in every line (HF dies faster), and slow modulation of
 * the line lengths so tails stay smooth instead of ringing metallically.
 * Caller-owned, fixed size (about 290 KiB), no heap. One owner thread. */
#ifndef AU_REVERB_H
#define AU_REVERB_H

#include <stdint.h>

#define AU_REV_LINES 8
#define AU_REV_LEN 8192 /* per line; fits size 1.4 at 48 kHz */
#define AU_REV_AP 4
#define AU_REV_AP_LEN 512
/* every buffer repeats its first samples after its end, so a block's reads
 * are always contiguous (vector loads, no index masking) */
#define AU_REV_GUARD 64

typedef struct {
    float decay_s;    /* RT60 at low and mid frequencies */
    float damping_hz; /* in-loop low-pass corner */
    float size;       /* 0.5 .. 1.4: scales line lengths */
    float mod_depth;  /* samples of line-length modulation */
} au_reverb_config;

typedef struct {
    float line[AU_REV_LINES][AU_REV_LEN + AU_REV_GUARD];
    float ap[AU_REV_AP][AU_REV_AP_LEN + AU_REV_GUARD];
    int ap_len[AU_REV_AP];
    uint32_t w, apw;
    float rate;
    float base[AU_REV_LINES];  /* line lengths in samples */
    float d[AU_REV_LINES];     /* current (modulated) lengths */
    float g[AU_REV_LINES];     /* loop gains from RT60 */
    float lp[AU_REV_LINES];    /* damping states */
    float lfo[AU_REV_LINES], lfo_inc[AU_REV_LINES];
    float damp_a;
    au_reverb_config cfg;
} au_reverb;

au_reverb_config au_reverb_config_default(void);
int au_reverb_init(au_reverb *r, float rate, const au_reverb_config *cfg);
/* Change decay and damping live (size is fixed at init). */
void au_reverb_set(au_reverb *r, float decay_s, float damping_hz);
/* wet output; exactly AU_BLOCK (32) frames per call */
void au_reverb_process(au_reverb *r, const float *inL, const float *inR,
                       float *outL, float *outR, int n);

#endif
