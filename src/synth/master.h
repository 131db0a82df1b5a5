/* Master bus: NaN guard, DC blocker, slow loudness rider (K-weighted meter
 * steering the gain toward a target in LUFS over seconds), gentle RMS bus
 * compressor, and a look-ahead limiter on 4x-oversampled (true) peaks.
 * Latency: 79 samples. Caller-owned, no heap. One owner thread.
 *
 * Cost: the common block (nothing near the ceiling, limiter at rest) is one
 * pass for the DC blocker and meters, one gain ramp and a copy; the 4x
 * interpolator runs, vectorised over the whole block, only on blocks whose
 * sample peak times the interpolator's L1 norm could reach the ceiling, so
 * the ceiling stays a guarantee, not a heuristic.
 *
 * Why a rider and not a hard limiter: ambient dynamics should breathe; the
 * rider evens loudness over seconds, the limiter only catches what the rider
 * could not foresee, so it rarely works. */
#ifndef AU_MASTER_H
#define AU_MASTER_H

#include <stdint.h>

#include "dsp.h"
#include "loudness.h"

#define AU_LIM_W 64     /* limiter hold/average window, samples */
#define AU_TP_TAPS 32   /* per oversampling phase */
#define AU_LIM_DELAY (AU_TP_TAPS / 2 + AU_LIM_W - 1)

typedef struct {
    float target_lufs;     /* -16 */
    float ceiling_dbtp;    /* -2.0 on the 4x meter: 4x oversampling can under-read
                            * near-Nyquist peaks by up to ~0.7 dB, so this keeps
                            * a finer (8x) meter under -1 dBTP */
    float initial_gain_db; /* rider's starting gain */
    int rider;             /* 0: fixed gain (initial_gain_db), for tests */
    float fade_in_s;       /* ramp at stream start */
    float rider_s;         /* the rider's slow meter, seconds (after warm-up) */
} au_master_config;

typedef struct {
    au_master_config cfg;
    float rate;
    float dc_x1[2], dc_y1[2], dc_r;
    au_kweight_coef kc;
    /* K-weighting state (direct form I, lanes L R): x1 x2 y1 y2 of stage 1,
     * then of stage 2 */
    float kst[8][4];
    double ms_slow, ms_fast;
    float c_slow, c_fast, c_up, c_down;
    float gain_db, gain_lin;
    float comp_env, comp_gr_db, comp_lin, c_comp_det, c_comp_att,
        c_comp_rel;
    float ceil_lin;
    float tp_h[3][AU_TP_TAPS];
    /* the same interpolators folded by symmetry (phase 3/4 is phase 1/4
     * mirrored, 2/4 is symmetric): even and odd parts of 1/4, half of 2/4 */
    float tp_e[AU_TP_TAPS / 2], tp_o[AU_TP_TAPS / 2], tp_m[AU_TP_TAPS / 2];
    float tp_l1;
    float hist[2][AU_TP_TAPS - 1];
    /* an upper bound of |hist| per channel (the last block's peak) */
    float hist_pk[2];
    /* the last AU_LIM_DELAY samples, oldest first, then room for a block */
    float dly[2][AU_LIM_DELAY + AU_BLOCK];
    float greq[AU_LIM_W];
    float relv[AU_LIM_W];
    uint32_t gi;
    int since_limit;
    int unity; /* consecutive samples with release gain exactly 1 (<= W) */
    double box_sum;
    float rel_state, c_lim_rel;
    int64_t frames;
    float min_gain; /* lowest limiter gain seen (diagnostics) */
    /* a level offset outside the rider (the conductor's dynamics: a sparse
     * section sits lower), dB, smoothed per block */
    float offset_db, offset_want;
    /* fade-out to silence over [fade_out_start, fade_out_end) frames */
    int64_t fade_out_start, fade_out_end;
    float c_slow_final, c_up_final, c_down_final;
    float warm_s; /* the rider's warm-up, seconds (16 unless set) */
} au_master;

au_master_config au_master_config_default(void);
int au_master_init(au_master *m, float rate, const au_master_config *cfg);
/* Planar in (modified), interleaved stereo out; any n (processed in
 * AU_BLOCK steps internally; the engine always passes whole blocks). */
void au_master_process(au_master *m, float *L, float *R, float *out, int n);
/* Level offset in dB applied with the rider's gain but not seen by its
 * meter, so it survives the rider: dynamics the music asks for. */
void au_master_set_offset(au_master *m, float db);
/* The rider's warm-up (short time constants growing to the final ones)
 * lasts `seconds` from the stream start (16 s by default); a piece whose
 * layers enter one by one over a minute or two sets it to cover the
 * entries, which the slow meter would otherwise follow late (each entry
 * left the mix 1-3 dB over the target until the next one). */
void au_master_set_warmup(au_master *m, float seconds);
/* A fade to silence between two absolute frame positions of the input
 * (end = where silence is reached; the output lags by AU_LIM_DELAY). */
void au_master_fade_out(au_master *m, int64_t start, int64_t end);

/* 4x-oversampled true peak of interleaved stereo (for tests and checks). */
float au_true_peak(const float *interleaved, int frames);

#endif
