/* Measurement helpers shared by the synth and engine unit tests: FFT,
 * windows, RMS, zero-crossing frequency. Header-only, test code only. */
#ifndef AU_SYNTH_TEST_UTIL_H
#define AU_SYNTH_TEST_UTIL_H

#include <math.h>
#include <stdlib.h>

/* in-place radix-2 complex FFT, n a power of two */
static inline void tu_fft(double *re, double *im, int n)
{
    for (int i = 1, j = 0; i < n; i++) {
        int bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = re[i]; re[i] = re[j]; re[j] = t;
            t = im[i]; im[i] = im[j]; im[j] = t;
        }
    }
    for (int len = 2; len <= n; len <<= 1) {
        double a = -2.0 * M_PI / len;
        for (int i = 0; i < n; i += len) {
            for (int k = 0; k < len / 2; k++) {
                double wr = cos(a * k), wi = sin(a * k);
                double xr = re[i + k + len / 2], xi = im[i + k + len / 2];
                double tr = xr * wr - xi * wi, ti = xr * wi + xi * wr;
                re[i + k + len / 2] = re[i + k] - tr;
                im[i + k + len / 2] = im[i + k] - ti;
                re[i + k] += tr;
                im[i + k] += ti;
            }
        }
    }
}

/* magnitude spectrum in dB (n/2 bins) of x with a 4-term Blackman-Harris
 * window (-92 dB sidelobes); caller frees */
static inline double *tu_spectrum_db(const float *x, int stride, int n)
{
    double *re = calloc((size_t)n, sizeof *re), *im = calloc((size_t)n, sizeof *im);
    for (int i = 0; i < n; i++) {
        double t = 2.0 * M_PI * i / (n - 1);
        double w = 0.35875 - 0.48829 * cos(t) + 0.14128 * cos(2 * t) -
                   0.01168 * cos(3 * t);
        re[i] = x[(size_t)i * stride] * w;
    }
    tu_fft(re, im, n);
    double *db = malloc(sizeof(double) * (size_t)(n / 2));
    for (int k = 0; k < n / 2; k++)
        db[k] = 10.0 * log10(re[k] * re[k] + im[k] * im[k] + 1e-30);
    free(re);
    free(im);
    return db;
}

static inline double tu_rms(const float *x, int stride, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)x[(size_t)i * stride] * x[(size_t)i * stride];
    return sqrt(s / n);
}

/* frequency from upward zero crossings, linearly interpolated */
static inline double tu_zc_freq(const float *x, int n, double rate)
{
    double first = -1, last = -1;
    int count = 0;
    for (int i = 1; i < n; i++) {
        if (x[i - 1] < 0.0f && x[i] >= 0.0f) {
            double t = (i - 1) + x[i - 1] / (double)(x[i - 1] - x[i]);
            if (first < 0) first = t;
            else count++;
            last = t;
        }
    }
    return count > 0 ? count * rate / (last - first) : 0.0;
}

/* spectral centroid in Hz over bins of a dB spectrum */
static inline double tu_centroid(const double *db, int bins, double rate)
{
    double num = 0, den = 0;
    for (int k = 1; k < bins; k++) {
        double p = pow(10.0, db[k] / 10.0);
        num += p * k;
        den += p;
    }
    return den > 0 ? num / den * rate / (2.0 * bins) : 0.0;
}

#endif
