#include "dsp.h"

double au_svf_lp_mag(double cutoff_hz, double q, double f, double rate)
{
    double fc = cutoff_hz;
    if (fc < 10.0) fc = 10.0;
    if (fc > 0.45 * rate) fc = 0.45 * rate;
    /* bilinear transform maps f to the analogue frequency tan(pi f/fs),
     * normalised by the prewarped cutoff */
    double w = tan(AU_PI * f / rate) / tan(AU_PI * fc / rate);
    double k = 1.0 / (q > 0.1 ? q : 0.1);
    double re = 1.0 - w * w, im = k * w;
    return 1.0 / sqrt(re * re + im * im);
}
