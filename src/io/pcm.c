#include "pcm.h"

#include <math.h>

void au_dither_init(au_dither *d, uint64_t seed)
{
    au_rng_seed(&d->rng, seed, 0xD17E);
}

static inline int16_t convert_one(au_dither *d, float x)
{
    if (!(x == x)) x = 0.0f; /* NaN */
    /* TPDF: the sum of two uniform values in [-0.5, 0.5) LSB */
    float t = au_rng_unitf(&d->rng) - au_rng_unitf(&d->rng);
    float v = x * 32767.0f + t;
    v = floorf(v + 0.5f);
    if (v > 32767.0f) v = 32767.0f;
    if (v < -32768.0f) v = -32768.0f;
    return (int16_t)v;
}

void au_pcm16_convert(au_dither *d, const float *in, int16_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = convert_one(d, in[i]);
}

void au_pcm16_convert_le(au_dither *d, const float *in, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t s = (uint16_t)convert_one(d, in[i]);
        out[2 * i] = (uint8_t)(s & 0xff);
        out[2 * i + 1] = (uint8_t)(s >> 8);
    }
}
