#include "master.h"

#include <math.h>
#include <string.h>

#include "../core/au.h"
#include "dsp.h"
#include "simd.h"

au_master_config au_master_config_default(void)
{
    au_master_config c = {.target_lufs = -16.0f,
                          .ceiling_dbtp = -2.0f,
                          .initial_gain_db = 6.0f,
                          .rider = 1,
                          .fade_in_s = 0.1f,
                          .rider_s = 24.0f};
    return c;
}

/* Windowed-sinc interpolators at 1/4, 2/4, 3/4 between taps 7 and 8, each
 * normalised to unit DC gain. */
static void design_tp(float h[3][AU_TP_TAPS], float *l1max)
{
    *l1max = 1.0f;
    for (int j = 1; j <= 3; j++) {
        double t[AU_TP_TAPS], sum = 0.0;
        for (int m = 0; m < AU_TP_TAPS; m++) {
            double x = (double)m - (AU_TP_TAPS / 2 - 1) - j / 4.0;
            double s = fabs(x) < 1e-9 ? 1.0 : sin(M_PI * x) / (M_PI * x);
            double w = 0.5 + 0.5 * cos(M_PI * x / (AU_TP_TAPS / 2 + 0.5));
            /* 0.92 band edge keeps ripple low near Nyquist */
            t[m] = s * w;
            sum += t[m];
        }
        double l1 = 0.0;
        for (int m = 0; m < AU_TP_TAPS; m++) {
            h[j - 1][m] = (float)(t[m] / sum);
            l1 += fabs(t[m] / sum);
        }
        if (l1 > *l1max) *l1max = (float)l1;
    }
}

int au_master_init(au_master *m, float rate, const au_master_config *cfg)
{
    if (rate < 8000.0f || cfg->ceiling_dbtp > 0.0f) return AU_EINVAL;
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->rate = rate;
    m->dc_r = 1.0f - 2.0f * AU_PIF * 5.0f / rate;
    au_kweight_design(&m->kc, rate);
    float br = rate / AU_BLOCK; /* control rate */
    /* The rider evens loudness over tens of seconds, not phrases: the
     * slow meter averages ~24 s, the gain follows in 12 s (up) and 4 s
     * (down); the fast meter (3 s) only pulls down when something comes in
     * 6 LU above the slow one. During the first seconds every time
     * constant is short (warm-up) so a stream starts at the right level. */
    float rs = cfg->rider_s > 0.5f ? cfg->rider_s : 0.5f;
    m->c_slow_final = au_tau_coef(rs, br);
    m->c_up_final = au_tau_coef(0.5f * rs, br);
    m->c_down_final = au_tau_coef(rs / 6.0f, br);
    m->c_slow = au_tau_coef(1.5f, br);
    m->c_fast = au_tau_coef(3.0f, br);
    m->c_up = au_tau_coef(1.5f, br);
    m->c_down = au_tau_coef(0.6f, br);
    m->fade_out_start = m->fade_out_end = -1;
    m->warm_s = 16.0f;
    m->gain_db = cfg->initial_gain_db;
    m->gain_lin = au_db_to_gain(m->gain_db);
    /* meters start where the initial gain would be right */
    double p0 = pow(10.0, (cfg->target_lufs - cfg->initial_gain_db + 0.691) /
                              10.0);
    m->ms_slow = m->ms_fast = p0;
    m->comp_lin = 1.0f;
    m->c_comp_det = au_tau_coef(0.15f, br);
    m->c_comp_att = au_tau_coef(0.02f, br);
    m->c_comp_rel = au_tau_coef(0.25f, br);
    m->ceil_lin = au_db_to_gain(cfg->ceiling_dbtp);
    design_tp(m->tp_h, &m->tp_l1);
    for (int k = 0; k < AU_TP_TAPS / 2; k++) {
        float a = m->tp_h[0][k], b = m->tp_h[0][AU_TP_TAPS - 1 - k];
        m->tp_e[k] = 0.5f * (a + b);
        m->tp_o[k] = 0.5f * (a - b);
        m->tp_m[k] = m->tp_h[1][k];
    }
    /* the bound must cover the folded form's rounding as well */
    m->tp_l1 *= 1.001f;
    for (int i = 0; i < AU_LIM_W; i++) m->greq[i] = m->relv[i] = 1.0f;
    m->box_sum = AU_LIM_W;
    m->rel_state = 1.0f;
    m->c_lim_rel = au_tau_coef(0.15f, rate);
    m->since_limit = AU_LIM_W;
    m->unity = AU_LIM_W;
    m->min_gain = 1.0f;
    return 0;
}

/* Largest |x| over n samples (n any), four lanes at a time. */
static float peak_abs(const float *x, int n)
{
    v8f mx = v8_set(0.0f);
    const v8i absmask = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
    int i = 0;
    for (; i + AU_LANES <= n; i += AU_LANES) {
        v8f v;
        memcpy(&v, x + i, sizeof v);
        v = (v8f)((v8i)v & absmask);
        mx = v8_sel(v > mx, v, mx);
    }
    float p = mx[0] > mx[1] ? mx[0] : mx[1];
    float q = mx[2] > mx[3] ? mx[2] : mx[3];
    p = p > q ? p : q;
    for (; i < n; i++) {
        float a = fabsf(x[i]);
        p = a > p ? a : p;
    }
    return p;
}

/* Per-block level maths without libm calls. log10 of x > 0 (normal
 * floats): exponent bits plus ln of the mantissa in [sqrt(1/2), sqrt(2))
 * by the atanh series to s^9 (|s| <= 0.172: error < 1e-9 relative). */
static inline float fast_log10(float x)
{
    union {
        float f;
        uint32_t i;
    } u = {x};
    int e = (int)((u.i >> 23) & 0xff) - 127;
    u.i = (u.i & 0x007fffffu) | 0x3f800000u; /* mantissa in [1, 2) */
    float mnt = u.f;
    if (mnt > 1.41421356f) {
        mnt *= 0.5f;
        e++;
    }
    float s = (mnt - 1.0f) / (mnt + 1.0f), s2 = s * s;
    float ln = 2.0f * s *
               (1.0f + s2 * (1.0f / 3.0f +
                             s2 * (1.0f / 5.0f + s2 * (1.0f / 7.0f + s2 * (1.0f / 9.0f)))));
    return (ln + (float)e * 0.69314718f) * 0.43429448f;
}

_Static_assert(AU_BLOCK == 32, "unity_gain has AU_BLOCK entries");
/* the limiter's gain at rest */
static const float unity_gain[AU_BLOCK] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

/* 10^(db/20) through au_exp2 (relative error ~1e-7) */
static inline float fast_db_to_gain(float db)
{
    return au_exp2(db * 0.16609640f);
}

static inline __attribute__((always_inline)) void
chunk_body(au_master *m, float *L, float *R, float *out, int n)
{
    /* 1. NaN guard and DC blocker (two scalar chains), then the two
     * K-weighting biquads of both channels as one 4-lane recursion:
     * lanes (L, R) run stage 1 on sample i while lanes (L, R) + 2 run
     * stage 2 on stage 1's output of sample i - 1 (the meter lags one
     * sample, which a rider cannot tell). Float partial sums over <= 32
     * samples: K-weighted power for the rider, plain for the compressor. */
    const v8i absm = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
    {
        /* NaN guard: non-finite or absurd (>= 1e6) samples become 0 */
        const v8f big = v8_set(1e6f);
        float *ch[2] = {L, R};
        for (int c = 0; c < 2; c++) {
            float *x = ch[c];
            int i = 0;
            for (; i + AU_LANES <= n; i += AU_LANES) {
                v8f v = v8_load(x + i);
                v8f a = (v8f)((v8i)v & absm);
                v8_store(x + i, (v8f)((v8i)v & (a < big)));
            }
            for (; i < n; i++) x[i] = au_sanitize(x[i]);
        }
    }
    /* 1. DC blocker and the two K-weighting biquads, both channels as
     * lanes L, R of one vector per stage. Direct form I: the only
     * loop-carried chain per stage is y1 -> a1 y1 -> y (the feed-forward
     * part and a2 y2 are computed off it). Float partial sums over <= 32
     * samples: K-weighted power for the rider, plain for the compressor. */
    float lr[2 * AU_BLOCK + 2];
    float pl, pr, ql, qr;
    {
        const au_kweight_coef *c = &m->kc;
        /* lanes 0, 1: stage 1 on sample i; lanes 2, 3: stage 2 on stage
         * 1's output of sample i - 1 (the meter lags one sample, which a
         * rider cannot tell): one 4-lane recursion for both stages */
        const v8f b0 = {c->fb[0][0], c->fb[0][0], c->fb[1][0], c->fb[1][0]};
        const v8f b1 = {c->fb[0][1], c->fb[0][1], c->fb[1][1], c->fb[1][1]};
        const v8f b2 = {c->fb[0][2], c->fb[0][2], c->fb[1][2], c->fb[1][2]};
        const v8f a1 = {c->fa[0][1], c->fa[0][1], c->fa[1][1], c->fa[1][1]};
        const v8f a2 = {c->fa[0][2], c->fa[0][2], c->fa[1][2], c->fa[1][2]};
        const v8f rr = v8_set(m->dc_r);
        const v8f hi = {0.0f, 0.0f, 1.0f, 1.0f};
        v8f dx1 = {m->dc_x1[0], m->dc_x1[1], 0.0f, 0.0f};
        v8f dy1 = {m->dc_y1[0], m->dc_y1[1], 0.0f, 0.0f};
        v8f x1 = v8_load(m->kst[0]), x2 = v8_load(m->kst[1]),
            y1 = v8_load(m->kst[2]), y2 = v8_load(m->kst[3]);
        v8f acc = v8_set(0.0f), acc2 = acc;
        for (int i = 0; i < n; i++) {
            v8f v = {L[i], R[i], 0.0f, 0.0f};
            v8f x = v - dx1 + rr * dy1; /* DC blocker (lanes 2, 3 stay 0) */
            dx1 = v;
            dy1 = x;
            __builtin_memcpy(lr + 2 * i, &x, 2 * sizeof(float));
            /* lanes 0, 1: x; lanes 2, 3: stage 1's last output. The
             * terms of the older samples first, this sample's last: the
             * loop-carried chain is y1 -> shuffle -> b0 * in -> add (9
             * cycles a sample, not the 29 of the sum in writing order) */
            v8f in = AU_SHUF(x, y1, 0, 1, 4, 5);
            v8f y = ((b1 * x1 + b2 * x2 - a2 * y2) - a1 * y1) + b0 * in;
            x2 = x1;
            x1 = in;
            y2 = y1;
            y1 = y;
            v8f k = y * hi;
            acc += k * k;
            acc2 += x * x;
        }
        m->dc_x1[0] = dx1[0];
        m->dc_x1[1] = dx1[1];
        m->dc_y1[0] = dy1[0];
        m->dc_y1[1] = dy1[1];
        v8_store(m->kst[0], x1);
        v8_store(m->kst[1], x2);
        v8_store(m->kst[2], y1);
        v8_store(m->kst[3], y2);
        pl = acc[2];
        pr = acc[3];
        ql = acc2[0];
        qr = acc2[1];
        int i = 0;
        for (; i + AU_LANES <= n; i += AU_LANES) {
            v8f a = v8_load(lr + 2 * i), b = v8_load(lr + 2 * i + 4);
            v8_store(L + i, AU_SHUF(a, b, 0, 2, 4, 6));
            v8_store(R + i, AU_SHUF(a, b, 1, 3, 5, 7));
        }
        for (; i < n; i++) {
            L[i] = lr[2 * i];
            R[i] = lr[2 * i + 1];
        }
    }
    double pw = ((double)pl + (double)pr) / n;

    /* 2. rider: gain toward target from the slower of two meters */
    float g0 = m->gain_lin;
    if (m->cfg.rider) {
        m->ms_slow += m->c_slow * (pw - m->ms_slow);
        m->ms_fast += m->c_fast * (pw - m->ms_fast);
        /* the louder of the slow meter and the fast one - 3 LU, compared
         * as powers (10^-0.3) so one logarithm per block suffices */
        double pf = m->ms_fast * 0.25118864315095801; /* -6 LU */
        double pmax = m->ms_slow > pf ? m->ms_slow : pf;
        float l = pmax > 0.0 ? -0.691f + 10.0f * fast_log10((float)pmax)
                             : -1e30f;
        if (l > -70.0f) { /* silence holds the gain */
            float want = m->cfg.target_lufs - (float)l;
            want = want < -30.0f ? -30.0f : want > 36.0f ? 36.0f : want;
            m->gain_db += (want > m->gain_db ? m->c_up : m->c_down) *
                          (want - m->gain_db);
        }
        /* warm-up: the time constants lengthen over the first 16 s */
        int64_t wb = (int64_t)(m->warm_s * m->rate) / AU_BLOCK;
        int64_t blk = m->frames / AU_BLOCK;
        if (blk <= wb) {
            float k = (float)blk / (float)wb; /* 0..1 */
            m->c_slow = k >= 1.0f ? m->c_slow_final
                                  : au_tau_coef(1.5f + k * k * (m->cfg.rider_s - 1.5f),
                                                m->rate / AU_BLOCK);
            m->c_up = k >= 1.0f ? m->c_up_final
                                : au_tau_coef(1.5f + k * k * (0.5f * m->cfg.rider_s - 1.5f),
                                              m->rate / AU_BLOCK);
            m->c_down = k >= 1.0f ? m->c_down_final : m->c_down;
        }
        m->offset_db += 0.0005f * (m->offset_want - m->offset_db); /* ~1.3 s */
        m->gain_lin = fast_db_to_gain(m->gain_db + m->offset_db);
    }

    /* 3. compressor: RMS of the gained signal, 2:1 above -14 dBFS with a
     * 6 dB knee; reduction smoothed per block and ramped per sample */
    double ms = ((double)ql + (double)qr) * 0.5 / n * (double)m->gain_lin *
                m->gain_lin;
    m->comp_env += m->c_comp_det * ((float)ms - m->comp_env);
    float lvl = 10.0f * fast_log10(m->comp_env + 1e-20f);
    float over = lvl + 14.0f, gr = 0.0f;
    if (over > 3.0f) gr = 0.5f * over;
    else if (over > -3.0f) gr = 0.5f * (over + 3.0f) * (over + 3.0f) / 12.0f;
    m->comp_gr_db += (gr > m->comp_gr_db ? m->c_comp_att : m->c_comp_rel) *
                     (gr - m->comp_gr_db);
    float c0 = m->comp_lin;
    m->comp_lin = fast_db_to_gain(-m->comp_gr_db);
    float gstart = g0 * c0, gend = m->gain_lin * m->comp_lin;
    float ginc = (gend - gstart) / (float)n;
    {
        const v8f step = {1.0f, 2.0f, 3.0f, 4.0f};
        const v8f g0v = v8_set(gstart), gi = v8_set(ginc);
        int i = 0;
        for (; i + AU_LANES <= n; i += AU_LANES) {
            v8f g = g0v + gi * (v8_set((float)i) + step);
            v8_store(L + i, v8_load(L + i) * g);
            v8_store(R + i, v8_load(R + i) * g);
        }
        for (; i < n; i++) {
            float g = gstart + ginc * (float)(i + 1);
            L[i] *= g;
            R[i] *= g;
        }
    }
    /* fade-in at stream start */
    int64_t fade_n = (int64_t)(m->cfg.fade_in_s * m->rate);
    if (m->frames < fade_n) {
        for (int i = 0; i < n; i++) {
            int64_t f = m->frames + i;
            if (f >= fade_n) break;
            float k = (float)f / (float)fade_n;
            L[i] *= k;
            R[i] *= k;
        }
    }
    /* fade-out at the end of a finite render (a raised cosine) */
    if (m->fade_out_end > 0 && m->frames + n > m->fade_out_start) {
        double len = (double)(m->fade_out_end - m->fade_out_start);
        for (int i = 0; i < n; i++) {
            int64_t f = m->frames + i;
            if (f < m->fade_out_start) continue;
            double x = (double)(f - m->fade_out_start) / len;
            float k = x >= 1.0 ? 0.0f : (float)(0.5 + 0.5 * cos(M_PI * x));
            L[i] *= k;
            R[i] *= k;
        }
    }
    m->frames += n;

    /* 4. limiter. ext: the interpolator's history then this block. */
    float *ch[2] = {L, R};
    float ext[2][AU_TP_TAPS - 1 + AU_BLOCK + 1]; /* + 1: group padding */
    float amax = 0.0f;
    for (int c = 0; c < 2; c++) {
        memcpy(ext[c], m->hist[c], sizeof m->hist[c]);
        memcpy(ext[c] + AU_TP_TAPS - 1, ch[c], sizeof(float) * (size_t)n);
        /* a bound, not the exact peak of ext: the history's bound is the
         * previous block's peak (a superset of it when n >= taps - 1) */
        float an = peak_abs(ch[c], n);
        float a = an > m->hist_pk[c] ? an : m->hist_pk[c];
        m->hist_pk[c] = n >= AU_TP_TAPS - 1 ? an : a;
        amax = a > amax ? a : amax;
        memcpy(m->hist[c], ext[c] + n, sizeof m->hist[c]);
    }
    /* no interpolated value can exceed amax times the L1 norm of the
     * interpolator: below that, no sample of this block needs the 4x meter */
    int need_tp = amax * m->tp_l1 >= m->ceil_lin;
    /* true peak at sample i - 15 (window ext[i .. i+31]), all phases, for
     * the 4-sample groups whose window could reach the ceiling at all */
    float tp[AU_BLOCK], tpmax = 0.0f;
    for (int i = 0; i < AU_BLOCK; i++) tp[i] = 0.0f;
    if (need_tp) {
        enum { Q = AU_BLOCK / AU_LANES, H = AU_TP_TAPS / 2, NG = 16 };
        const v8f thr = v8_set(m->ceil_lin / m->tp_l1);
        for (int c = 0; c < 2; c++) {
            float *e = ext[c];
            for (int i = AU_TP_TAPS - 1 + n; i < AU_LANES * NG; i++)
                e[i] = 0.0f; /* short blocks, and the last group's pad */
            v8f gm[NG];
            for (int k = 0; k < NG; k++)
                gm[k] = (v8f)((v8i)v8_load(e + AU_LANES * k) & absm);
            for (int q = 0; q < Q; q++) {
                /* groups q .. q+8 cover the window e[4q .. 4q+34] */
                v8f w = gm[q];
                for (int k = 1; k <= 8; k++) w = v8_max(w, gm[q + k]);
                v8i hit = w >= thr;
                if (!(hit[0] | hit[1] | hit[2] | hit[3])) continue;
                /* folded by symmetry: x[k] +- x[31-k] once, then the
                 * three phases from 16 taps each */
                const float *b = e + AU_LANES * q;
                v8f t = (v8f)((v8i)v8_load(b + H - 1) & absm);
                v8f ae = v8_set(0.0f), ao = ae, am = ae;
#pragma GCC unroll 16
                for (int k = 0; k < H; k++) {
                    v8f xa = v8_load(b + k), xb = v8_load(b + AU_TP_TAPS - 1 - k);
                    v8f sum = xa + xb, dif = xa - xb;
                    ae += v8_set(m->tp_e[k]) * sum;
                    ao += v8_set(m->tp_o[k]) * dif;
                    am += v8_set(m->tp_m[k]) * sum;
                }
                t = v8_max(t, (v8f)((v8i)(ae + ao) & absm));
                t = v8_max(t, (v8f)((v8i)(ae - ao) & absm));
                t = v8_max(t, (v8f)((v8i)am & absm));
                t = v8_max(t, v8_load(tp + AU_LANES * q));
                v8_store(tp + AU_LANES * q, t);
            }
        }
        for (int i = 0; i < n; i++) tpmax = tp[i] > tpmax ? tp[i] : tpmax;
    }
    float g[AU_BLOCK];
    const float *gp = g;
    if (tpmax <= m->ceil_lin && m->since_limit >= AU_LIM_W &&
        m->unity >= AU_LIM_W) {
        /* at rest and nothing over the ceiling: every request and release
         * value in the windows is exactly 1, so is the averaged gain */
        m->gi = (m->gi + (uint32_t)n) & (AU_LIM_W - 1);
        gp = unity_gain;
    } else {
        for (int i = 0; i < n; i++) {
            float g_req = tp[i] > m->ceil_lin ? m->ceil_lin / tp[i] : 1.0f;
            uint32_t gi = m->gi;
            m->greq[gi] = g_req;
            float hold = 1.0f;
            if (g_req < 1.0f) m->since_limit = 0;
            else if (m->since_limit < AU_LIM_W) m->since_limit++;
            if (m->since_limit < AU_LIM_W) {
                for (int k = 0; k < AU_LIM_W; k++)
                    hold = m->greq[k] < hold ? m->greq[k] : hold;
            }
            float rel = m->rel_state + m->c_lim_rel * (1.0f - m->rel_state);
            /* snap the last 1e-5 dB so a recovered limiter is exactly at
             * rest (and the block path above can take over) */
            rel = rel > 0.999999f ? 1.0f : rel;
            rel = hold < rel ? hold : rel;
            m->rel_state = rel;
            if (rel == 1.0f) m->unity += m->unity < AU_LIM_W;
            else m->unity = 0;
            m->box_sum += (double)rel - m->relv[gi];
            m->relv[gi] = rel;
            m->gi = (gi + 1) & (AU_LIM_W - 1);
            float gg = (float)(m->box_sum * (1.0 / AU_LIM_W));
            if (gg < m->min_gain) m->min_gain = gg;
            g[i] = gg;
        }
        /* resync the running sum exactly once per block (no float drift) */
        double s = 0.0;
        for (int k = 0; k < AU_LIM_W; k++) s += m->relv[k];
        m->box_sum = s;
    }

    /* the delayed samples line up with the averaged gain; last resort:
     * never past the ceiling, never NaN */
    for (int c = 0; c < 2; c++) {
        float *d = m->dly[c];
        memcpy(d + AU_LIM_DELAY, ch[c], sizeof(float) * (size_t)n);
    }
    const v8f cl = v8_set(m->ceil_lin), ncl = v8_set(-m->ceil_lin);
    int i = 0;
    for (; i + AU_LANES <= n; i += AU_LANES) {
        v8f gg = v8_load(gp + i), o[2];
        for (int c = 0; c < 2; c++) {
            v8f v = v8_load(m->dly[c] + i) * gg;
            v = (v8f)((v8i)v & (v == v)); /* NaN -> 0, then clamp */
            o[c] = v8_min(v8_max(v, ncl), cl);
        }
        v8_store(out + 2 * i, AU_SHUF(o[0], o[1], 0, 4, 1, 5));
        v8_store(out + 2 * i + 4, AU_SHUF(o[0], o[1], 2, 6, 3, 7));
    }
    for (; i < n; i++) {
        for (int c = 0; c < 2; c++) {
            float o = m->dly[c][i] * gp[i];
            o = o > cl[0] ? cl[0] : o;
            o = o < -cl[0] ? -cl[0] : o;
            out[2 * i + c] = o == o ? o : 0.0f;
        }
    }
    /* keep the last AU_LIM_DELAY samples (forward copy, source ahead) */
    for (int c = 0; c < 2; c++) {
        float *d = m->dly[c];
        int k = 0;
        for (; k + AU_LANES <= AU_LIM_DELAY; k += AU_LANES)
            v8_store(d + k, v8_load(d + n + k));
        for (; k < AU_LIM_DELAY; k++) d[k] = d[n + k];
    }
}

static void chunk_generic(au_master *m, float *L, float *R, float *out, int n)
{
    chunk_body(m, L, R, out, n);
}

#if AU_SIMD_DISPATCH
AU_TARGET_AVX2 static void chunk_avx2(au_master *m, float *L, float *R,
                                      float *out, int n)
{
    chunk_body(m, L, R, out, n);
}
#endif

static void chunk(au_master *m, float *L, float *R, float *out, int n)
{
#if AU_SIMD_DISPATCH
    if (au_simd_avx2()) {
        chunk_avx2(m, L, R, out, n);
        return;
    }
#endif
    chunk_generic(m, L, R, out, n);
}

void au_master_process(au_master *m, float *L, float *R, float *out, int n)
{
    while (n > 0) {
        int k = n < AU_BLOCK ? n : AU_BLOCK;
        chunk(m, L, R, out, k);
        L += k;
        R += k;
        out += 2 * k;
        n -= k;
    }
}

float au_true_peak(const float *x, int frames)
{
    float h[3][AU_TP_TAPS], l1;
    design_tp(h, &l1);
    float peak = 0.0f;
    for (int c = 0; c < 2; c++) {
        for (int i = 0; i < frames; i++) {
            float a = fabsf(x[2 * i + c]);
            peak = a > peak ? a : peak;
            if (i + AU_TP_TAPS / 2 >= frames || i < AU_TP_TAPS / 2 - 1) continue;
            for (int j = 0; j < 3; j++) {
                float s = 0.0f;
                for (int k = 0; k < AU_TP_TAPS; k++)
                    s += h[j][k] * x[2 * (i - (AU_TP_TAPS / 2 - 1) + k) + c];
                s = fabsf(s);
                peak = s > peak ? s : peak;
            }
        }
    }
    return peak;
}

void au_master_set_warmup(au_master *m, float seconds)
{
    m->warm_s = seconds != seconds ? 16.0f : seconds < 1.0f ? 1.0f
              : seconds > 600.0f ? 600.0f : seconds;
}

void au_master_set_offset(au_master *m, float db)
{
    m->offset_want = db != db ? 0.0f : db < -12.0f ? -12.0f : db > 6.0f ? 6.0f : db;
}

void au_master_fade_out(au_master *m, int64_t start, int64_t end)
{
    if (end <= start) start = end - 1;
    m->fade_out_start = start;
    m->fade_out_end = end;
}
