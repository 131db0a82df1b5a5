/* Float to 16-bit PCM with TPDF dither: the one conversion that both the
 * offline renderer (16-bit WAV) and the streaming server (pcm16 frames) use,
 * so that a stream and a render of the same piece are bit-identical.
 * Plain value state; no heap; not thread-safe (one per stream). */
#ifndef AU_PCM_H
#define AU_PCM_H

#include <stddef.h>
#include <stdint.h>

#include "../core/rng.h"

typedef struct {
    au_rng rng;
} au_dither;

/* Seeded from the stream's seed so that the dither is reproducible. */
void au_dither_init(au_dither *d, uint64_t seed);

/* n samples (not frames): TPDF dither of +/- 1 LSB, rounding, clamping;
 * NaN becomes 0. out is native-endian int16. */
void au_pcm16_convert(au_dither *d, const float *in, int16_t *out, size_t n);

/* Same, writing little-endian bytes (2n bytes) for the wire. */
void au_pcm16_convert_le(au_dither *d, const float *in, uint8_t *out, size_t n);

#endif
