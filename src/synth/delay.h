/* Stereo feedback delay with different times per side, a little ping-pong,
 * and a high-pass (~100 Hz) and low-pass (~5 kHz) inside the feedback loop,
 * so repeats get darker and thinner instead of building up mud.
 * Caller-owned, fixed size (1 MiB), no heap. One owner thread.
 * Times are smoothed (tempo glides bend the echoes like tape, no clicks). */
#ifndef AU_DELAY_H
#define AU_DELAY_H

#include <stdint.h>

#define AU_DELAY_LEN (1 << 17) /* > 2.7 s at 48 kHz */
#define AU_DELAY_MAX_S 2.5f
#define AU_DELAY_GUARD 64 /* copy of the first samples after the end */

typedef struct {
    float buf[2][AU_DELAY_LEN + AU_DELAY_GUARD];
    uint32_t w; /* a multiple of AU_BLOCK when n is always AU_BLOCK */
    float rate;
    float d[2], target[2]; /* delay in samples, smoothed per block */
    float fb, cross;
    float hp_x1[2], hp_y1[2], lp_y1[2];
    float hp_a, lp_a, smooth_c;
} au_delay;

void au_delay_init(au_delay *d, float rate);
/* seconds (clamped 0.01..AU_DELAY_MAX_S), feedback 0..0.9 */
void au_delay_set(au_delay *d, float left_s, float right_s, float feedback);
/* wet output only; n <= 32 per call (one control block); the shortest
 * delay (10 ms) is longer than a block, so a block's reads precede its
 * writes */
void au_delay_process(au_delay *d, const float *inL, const float *inR,
                      float *outL, float *outR, int n);

#endif
