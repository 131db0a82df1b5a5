#include "master.h"

#include <math.h>
#include <string.h>

#include "../core/au.h"
#include "dsp.h"

au_master_config au_master_config_default(void)
{
    au_master_config c = {.target_lufs = -16.0f,
                          .ceiling_dbtp = -2.0f,
                          .initial_gain_db = 6.0f,
                          .rider = 1,
                          .fade_in_s = 0.1f};
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
    m->c_slow = au_tau_coef(3.0f, br);
    m->c_fast = au_tau_coef(0.4f, br);
    m->c_up = au_tau_coef(3.0f, br);
    m->c_down = au_tau_coef(0.6f, br);
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
    for (int i = 0; i < AU_LIM_W; i++) m->greq[i] = m->relv[i] = 1.0f;
    m->box_sum = AU_LIM_W;
    m->rel_state = 1.0f;
    m->c_lim_rel = au_tau_coef(0.15f, rate);
    m->since_limit = AU_LIM_W;
    m->min_gain = 1.0f;
    return 0;
}

static void chunk(au_master *m, float *L, float *R, float *out, int n)
{
    float *ch[2] = {L, R};
    /* 1. NaN guard and DC blocker; K-weighted power for the rider */
    double pw = 0.0;
    for (int c = 0; c < 2; c++) {
        float x1 = m->dc_x1[c], y1 = m->dc_y1[c], r = m->dc_r;
        float *x = ch[c];
        for (int i = 0; i < n; i++) {
            float v = au_sanitize(x[i]);
            float y = v - x1 + r * y1;
            x1 = v;
            y1 = y;
            x[i] = y;
            float k = au_kweight_step(&m->kw[c], &m->kc, y);
            pw += (double)k * k;
        }
        m->dc_x1[c] = x1;
        m->dc_y1[c] = y1;
    }
    pw /= n;

    /* 2. rider: gain toward target from the slower of two meters */
    float g0 = m->gain_lin;
    if (m->cfg.rider) {
        m->ms_slow += m->c_slow * (pw - m->ms_slow);
        m->ms_fast += m->c_fast * (pw - m->ms_fast);
        double ls = au_lufs_of_power(m->ms_slow);
        double lf = au_lufs_of_power(m->ms_fast) - 3.0;
        double l = ls > lf ? ls : lf;
        if (l > -70.0) { /* silence holds the gain */
            float want = m->cfg.target_lufs - (float)l;
            want = want < -30.0f ? -30.0f : want > 36.0f ? 36.0f : want;
            m->gain_db += (want > m->gain_db ? m->c_up : m->c_down) *
                          (want - m->gain_db);
        }
        m->gain_lin = au_db_to_gain(m->gain_db);
    }

    /* 3. compressor: RMS of the gained signal, 2:1 above -14 dBFS with a
     * 6 dB knee; reduction smoothed per block and ramped per sample */
    double ms = 0.0;
    for (int i = 0; i < n; i++) ms += (double)L[i] * L[i] + (double)R[i] * R[i];
    ms = ms * 0.5 / n * (double)m->gain_lin * m->gain_lin;
    m->comp_env += m->c_comp_det * ((float)ms - m->comp_env);
    float lvl = 10.0f * log10f(m->comp_env + 1e-20f);
    float over = lvl + 14.0f, gr = 0.0f;
    if (over > 3.0f) gr = 0.5f * over;
    else if (over > -3.0f) gr = 0.5f * (over + 3.0f) * (over + 3.0f) / 12.0f;
    m->comp_gr_db += (gr > m->comp_gr_db ? m->c_comp_att : m->c_comp_rel) *
                     (gr - m->comp_gr_db);
    float c0 = m->comp_lin;
    m->comp_lin = au_db_to_gain(-m->comp_gr_db);
    float gstart = g0 * c0, gend = m->gain_lin * m->comp_lin;
    float ginc = (gend - gstart) / (float)n;

    /* fade-in at stream start */
    int64_t fade_n = (int64_t)(m->cfg.fade_in_s * m->rate);
    for (int i = 0; i < n; i++) {
        float g = gstart + ginc * (float)(i + 1);
        int64_t f = m->frames + i;
        if (f < fade_n) g *= (float)f / (float)fade_n;
        L[i] *= g;
        R[i] *= g;
    }
    m->frames += n;

    /* 4. limiter: true peak from a 32-tap 4x interpolator */
    float ext[2][AU_TP_TAPS - 1 + AU_BLOCK];
    float amax = 0.0f;
    for (int c = 0; c < 2; c++) {
        memcpy(ext[c], m->hist[c], sizeof m->hist[c]);
        memcpy(ext[c] + AU_TP_TAPS - 1, ch[c], sizeof(float) * n);
        for (int i = 0; i < AU_TP_TAPS - 1 + n; i++) {
            float a = fabsf(ext[c][i]);
            amax = a > amax ? a : amax;
        }
        memcpy(m->hist[c], ext[c] + n, sizeof m->hist[c]);
    }
    int need_tp = amax * m->tp_l1 >= m->ceil_lin;
    for (int i = 0; i < n; i++) {
        float g_req = 1.0f;
        if (need_tp) {
            float tp = 0.0f;
            for (int c = 0; c < 2; c++) {
                const float *w = ext[c] + i; /* window ends at sample i */
                float a = fabsf(w[AU_TP_TAPS / 2 - 1]);
                tp = a > tp ? a : tp;
                /* an inter-sample peak of program material stays well
                 * within twice its four neighbours: skip the interpolator
                 * where even that could not reach the ceiling */
                float nb = fabsf(w[AU_TP_TAPS / 2 - 2]);
                float n2 = fabsf(w[AU_TP_TAPS / 2]);
                float n3 = fabsf(w[AU_TP_TAPS / 2 + 1]);
                nb = nb > a ? nb : a;
                nb = nb > n2 ? nb : n2;
                nb = nb > n3 ? nb : n3;
                if (2.0f * nb < m->ceil_lin) continue;
                for (int j = 0; j < 3; j++) {
                    float s = 0.0f;
                    for (int k = 0; k < AU_TP_TAPS; k++) s += m->tp_h[j][k] * w[k];
                    s = fabsf(s);
                    tp = s > tp ? s : tp;
                }
            }
            if (tp > m->ceil_lin) g_req = m->ceil_lin / tp;
        }
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
        rel = hold < rel ? hold : rel;
        m->rel_state = rel;
        m->box_sum += (double)rel - m->relv[gi];
        m->relv[gi] = rel;
        m->gi = (gi + 1) & (AU_LIM_W - 1);
        float g = (float)(m->box_sum * (1.0 / AU_LIM_W));
        if (g < m->min_gain) m->min_gain = g;

        /* the delayed sample lines up with the averaged gain */
        uint32_t dw = m->dw;
        m->dly[0][dw] = L[i];
        m->dly[1][dw] = R[i];
        uint32_t rd = (dw - AU_LIM_DELAY) & (AU_LIM_BUF - 1);
        float ol = m->dly[0][rd] * g, orr = m->dly[1][rd] * g;
        m->dw = (dw + 1) & (AU_LIM_BUF - 1);
        /* last resort: never past the ceiling, never NaN */
        float cl = m->ceil_lin;
        ol = ol > cl ? cl : ol < -cl ? -cl : ol;
        orr = orr > cl ? cl : orr < -cl ? -cl : orr;
        out[2 * i] = au_sanitize(ol);
        out[2 * i + 1] = au_sanitize(orr);
    }
    /* resync the running sum exactly once per block (no float drift) */
    double s = 0.0;
    for (int k = 0; k < AU_LIM_W; k++) s += m->relv[k];
    m->box_sum = s;
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
