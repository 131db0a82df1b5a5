#include "tone.h"

#include <math.h>
#include <string.h>

#include "dsp.h"
#include "simd.h"

static float clampf(float x, float lo, float hi)
{
    return x != x ? lo : x < lo ? lo : x > hi ? hi : x;
}

static void shape_to(au_tone *t, const au_tone_shape *s,
                     float w[AU_TONE_BANDS][3])
{
    float top = 0.45f * t->rate;
    const float g[AU_TONE_BANDS] = {s->low_db, s->mid_db, s->high_db,
                                    s->top_db};
    const float f[AU_TONE_BANDS] = {s->low_hz, s->mid_hz, s->high_hz,
                                    s->top_hz};
    const float q[AU_TONE_BANDS] = {s->low_q, s->mid_q, s->high_q, s->top_q};
    for (int b = 0; b < AU_TONE_BANDS; b++) {
        int bell = b == 1 || q[b] > 0.0f;
        t->want_kind[b] = (unsigned char)(bell ? 1 : b ? 2 : 0);
        w[b][0] = clampf(g[b], -18.0f, 18.0f);
        w[b][1] = log2f(clampf(f[b], 20.0f, top));
        w[b][2] = bell ? clampf(q[b], 0.1f, 10.0f) : 0.7071f;
    }
}

void au_rbj_design(int kind, double rate, double hz, double q, double db,
                   float co[5])
{
    double A = pow(10.0, db / 40.0), w = 2.0 * M_PI * hz / rate;
    double cw = cos(w), sw = sin(w), b0, b1, b2, a0, a1, a2;
    if (kind == 3) {
        double al = sw / (2.0 * q);
        b0 = (1.0 + cw) / 2.0;
        b1 = -(1.0 + cw);
        b2 = b0;
        a0 = 1.0 + al;
        a1 = -2.0 * cw;
        a2 = 1.0 - al;
    } else if (kind == 1) {
        double al = sw / (2.0 * q);
        b0 = 1.0 + al * A;
        b1 = -2.0 * cw;
        b2 = 1.0 - al * A;
        a0 = 1.0 + al / A;
        a1 = -2.0 * cw;
        a2 = 1.0 - al / A;
    } else {
        double al = sw / 2.0 * sqrt(2.0), sa = 2.0 * sqrt(A) * al;
        double s =
            kind == 0 ? 1.0 : -1.0; /* low: +, high: - on the cos terms */
        b0 = A * ((A + 1) - s * (A - 1) * cw + sa);
        b1 = s * 2 * A * ((A - 1) - s * (A + 1) * cw);
        b2 = A * ((A + 1) - s * (A - 1) * cw - sa);
        a0 = (A + 1) + s * (A - 1) * cw + sa;
        a1 = -s * 2 * ((A - 1) + s * (A + 1) * cw);
        a2 = (A + 1) + s * (A - 1) * cw - sa;
    }
    co[0] = (float)(b0 / a0);
    co[1] = (float)(b1 / a0);
    co[2] = (float)(b2 / a0);
    co[3] = (float)(a1 / a0);
    co[4] = (float)(a2 / a0);
}

static void design(au_tone *t, int b)
{
    au_rbj_design(t->kind[b], t->rate, exp2(t->cur[b][1]), t->cur[b][2],
                  t->cur[b][0], t->co[b]);
}

void au_tone_init(au_tone *t, float rate, const au_tone_shape *s)
{
    memset(t, 0, sizeof *t);
    t->rate = rate;
    /* ~0.5 s per e-fold at the control rate */
    t->c_glide = au_tau_coef(0.5f, rate / 32.0f);
    shape_to(t, s, t->want);
    memcpy(t->cur, t->want, sizeof t->cur);
    memcpy(t->kind, t->want_kind, sizeof t->kind);
    for (int b = 0; b < AU_TONE_BANDS; b++) {
        design(t, b);
        if (t->cur[b][0] != 0.0f) t->live |= 1u << b;
    }
}

void au_tone_set(au_tone *t, const au_tone_shape *s)
{
    shape_to(t, s, t->want);
}

/* one control step: glide, redesign what moved, decide what runs */
static void control(au_tone *t)
{
    static const float snap[3] = {0.01f, 0.002f, 0.002f};
    for (int b = 0; b < AU_TONE_BANDS; b++) {
        int moved = 0;
        if (t->kind[b] != t->want_kind[b] && t->cur[b][0] == 0.0f) {
            t->kind[b] = t->want_kind[b]; /* flat either way */
            moved = 1;
        }
        int same = t->kind[b] == t->want_kind[b];
        for (int k = 0; k < 3; k++) {
            /* another kind: first glide flat where the band is */
            float w = same ? t->want[b][k] : k == 0 ? 0.0f : t->cur[b][k];
            float d = w - t->cur[b][k];
            if (d == 0.0f) continue;
            t->cur[b][k] =
                fabsf(d) < snap[k] ? w : t->cur[b][k] + t->c_glide * d;
            moved = 1;
        }
        if (moved) design(t, b);
        if (t->cur[b][0] != 0.0f) {
            t->live |= 1u << b;
        } else if (t->live >> b & 1) {
            /* flat (b = a): y - x = a1 (x1 - y1) + a2 (x2 - y2), a tail
             * that only decays; once it is under -120 dBFS the band stops
             * (then the output is the input, bit for bit) */
            float m = 0.0f;
            for (int c = 0; c < 2; c++)
                m += fabsf(t->st[b][0][c] - t->st[b][2][c]) +
                     fabsf(t->st[b][1][c] - t->st[b][3][c]);
            if (m < 1e-6f) {
                memset(t->st[b], 0, sizeof t->st[b]);
                t->live &= ~(1u << b);
            }
        }
    }
}

/* The live bands (nb of them, in order) as one cascade over the block:
 * lanes L R of one vector per band, direct form I (dsp.h: au_bq_lanes,
 * a band's loop-carried chain two operations long), every band on each
 * sample before the next, so the bands' chains overlap; four samples
 * loaded and stored as vectors. */
static inline __attribute__((always_inline)) void
run_cascade(au_tone *t, const int *bl, const int nb, float *L, float *R, int n)
{
    au_bq_lanes q[AU_TONE_BANDS];
    for (int k = 0; k < nb; k++) q[k] = au_bq_lanes_load(t->co[bl[k]], &t->st[bl[k]][0][0]);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        v8f p[4];
        au_lr_split4(L + i, R + i, p);
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < nb; k++) p[j] = au_bq_tick(&q[k], p[j]);
        au_lr_join4(p, L + i, R + i);
    }
    for (; i < n; i++) {
        v8f x = {L[i], R[i], 0.0f, 0.0f};
        for (int k = 0; k < nb; k++) x = au_bq_tick(&q[k], x);
        L[i] = x[0];
        R[i] = x[1];
    }
    for (int k = 0; k < nb; k++) au_bq_lanes_save(&q[k], &t->st[bl[k]][0][0]);
}

static inline __attribute__((always_inline)) void run_body(au_tone *t, float *L,
                                                           float *R, int n)
{
    int bl[AU_TONE_BANDS], nb = 0;
    for (int b = 0; b < AU_TONE_BANDS; b++)
        if (t->live >> b & 1) bl[nb++] = b;
    _Static_assert(AU_TONE_BANDS == 4, "a cascade for each count");
    switch (nb) {
    case 1: run_cascade(t, bl, 1, L, R, n); break;
    case 2: run_cascade(t, bl, 2, L, R, n); break;
    case 3: run_cascade(t, bl, 3, L, R, n); break;
    case 4: run_cascade(t, bl, 4, L, R, n); break;
    default: break;
    }
}

static void run_generic(au_tone *t, float *L, float *R, int n)
{
    run_body(t, L, R, n);
}

#if AU_SIMD_DISPATCH
AU_TARGET_AVX2 static void run_avx2(au_tone *t, float *L, float *R, int n)
{
    run_body(t, L, R, n);
}
#endif

void au_tone_process(au_tone *t, float *L, float *R, int n)
{
    control(t);
    if (!t->live) return;
#if AU_SIMD_DISPATCH
    if (au_simd_avx2()) {
        run_avx2(t, L, R, n);
        return;
    }
#endif
    run_generic(t, L, R, n);
}

float au_tone_response_db(const au_tone *t, float hz)
{
    double w = 2.0 * M_PI * hz / t->rate, db = 0.0;
    for (int b = 0; b < AU_TONE_BANDS; b++) {
        const float *c = t->co[b];
        /* |B(e^jw)|^2 / |A(e^jw)|^2 */
        double br = c[0] + c[1] * cos(w) + c[2] * cos(2 * w);
        double bi = -c[1] * sin(w) - c[2] * sin(2 * w);
        double ar = 1.0 + c[3] * cos(w) + c[4] * cos(2 * w);
        double ai = -c[3] * sin(w) - c[4] * sin(2 * w);
        db += 10.0 * log10((br * br + bi * bi) / (ar * ar + ai * ai));
    }
    return (float)db;
}
