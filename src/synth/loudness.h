/* Loudness per ITU-R BS.1770-4 / EBU R128: K-weighting filter, 400 ms
 * gating blocks with 75% overlap, absolute (-70 LUFS) and relative (-10 LU)
 * gates. The integrated value uses a histogram of block loudness (0.01 LU
 * bins, like libebur128), so memory is fixed for pieces of any length.
 * Caller-owned, no heap (about 100 KiB); one owner thread. */
#ifndef AU_LOUDNESS_H
#define AU_LOUDNESS_H

#include <stdint.h>

/* Two-stage K-weighting (high shelf + RLB high-pass) for one channel. */
typedef struct {
    double b[2][3], a[2][3];
    float fb[2][3], fa[2][3]; /* float copies for the per-sample path */
} au_kweight_coef;

typedef struct {
    float z1[2], z2[2]; /* transposed direct form II, per stage */
} au_kweight;

void au_kweight_design(au_kweight_coef *c, double rate);
static inline float au_kweight_step(au_kweight *k, const au_kweight_coef *c,
                                    float x)
{
    for (int s = 0; s < 2; s++) {
        float y = c->fb[s][0] * x + k->z1[s];
        k->z1[s] = c->fb[s][1] * x - c->fa[s][1] * y + k->z2[s];
        k->z2[s] = c->fb[s][2] * x - c->fa[s][2] * y;
        x = y;
    }
    return x;
}

#define AU_LOUD_BINS 8000 /* -70 .. +10 LUFS in 0.01 LU */

typedef struct {
    au_kweight_coef coef;
    au_kweight kw[2];
    double sub[4];      /* energy of the last four 100 ms sub-blocks */
    int sub_len, sub_fill, nsub;
    double acc;
    double momentary;   /* mean-square of the last 400 ms block */
    uint32_t hist_n[AU_LOUD_BINS];
    double hist_e[AU_LOUD_BINS];
} au_loudness;

void au_loudness_init(au_loudness *m, double rate);
/* planar stereo; for mono pass the same pointer twice and interpret
 * accordingly (BS.1770 sums channel energies) */
void au_loudness_process(au_loudness *m, const float *L, const float *R,
                         int n);
/* LUFS; -HUGE_VAL when no block passed the gates */
double au_loudness_integrated(const au_loudness *m);
double au_loudness_momentary(const au_loudness *m);

/* -0.691 + 10 log10(mean square sum) */
double au_lufs_of_power(double p);

#endif
