#include "melody.h"

#include "piece.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void au_melody_init(au_melody *m, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    au_rng_seed(&m->rng, seed, 41);
    m->next_phrase = 0.0;
    m->plan_i = 0;
    m->plan.n = 0;
    m->last_t = -99;
}

void au_melody_range(double density, int reg_shift, int *lo, int *hi)
{
    /* calm: the sung sweet spot 65-81, above the pads; intense: opens to
     * 63-88 */
    int l = (int)lround(65 - 2 * density) + reg_shift;
    int h = (int)lround(81 + 7 * density) + reg_shift;
    *lo = au_clampi(l, 60, 84);
    *hi = au_clampi(h, 72, 96);
}

/* The range, opened upward when the pads sit high: at least nine
 * semitones above the top pad voice (on a calm pentatonic that is three
 * or four notes), so that a line that must sing above the pads still has
 * room to move without turning back on itself (X-Y-X) */
static void sing_range(const au_melody *m, const au_bar_ctx *ctx, int *lo, int *hi)
{
    au_melody_range(ctx->density, ctx->reg_shift, lo, hi);
    if (!m->clear_turns) return;
    int want = ctx->pad_top + 9;
    if (*hi < want) *hi = want > 88 ? 88 : want;
}

static double snap_half(double x)
{
    return floor(x * 2.0 + 0.5) / 2.0;
}

static void new_motif(au_melody *m, int n, double density, au_motif *out)
{
    out->n = n;
    /* contour template: drop, rise (under the start), drop */
    for (int i = 0; i < n; i++) {
        double f = n > 1 ? (double)i / (n - 1) : 0;
        int dir = f < 0.34 ? -1 : f < 0.7 ? 1 : -1;
        if (au_rng_chance(&m->rng, 0.25)) dir = -dir;
        double r = au_rng_unit(&m->rng);
        int mag = r < 0.72 ? 1 : r < 0.92 ? 2 : 3;
        out->step[i] = (int8_t)(i == 0 ? (int)au_rng_below(&m->rng, 5) - 2 : dir * mag);
        /* rhythm: long calm notes, quicker figures when dense */
        static const float calm[] = {1.5f, 2.0f, 1.5f, 1.0f, 2.5f};
        static const float busy[] = {0.5f, 1.0f, 0.5f, 1.5f, 0.5f};
        float a = calm[au_rng_below(&m->rng, 5)], b = busy[au_rng_below(&m->rng, 5)];
        out->ioi[i] = (float)snap_half(au_lerp(a, b, density));
        if (out->ioi[i] < 0.5f) out->ioi[i] = 0.5f;
    }
}

static void vary(au_melody *m, au_motif *mo, int n)
{
    if (au_rng_chance(&m->rng, 0.3)) /* inversion */
        for (int i = 1; i < mo->n; i++) mo->step[i] = (int8_t)-mo->step[i];
    if (au_rng_chance(&m->rng, 0.15)) { /* retrograde of the steps */
        for (int i = 1, j = mo->n - 1; i < j; i++, j--) {
            int8_t t = mo->step[i];
            mo->step[i] = (int8_t)-mo->step[j];
            mo->step[j] = (int8_t)-t;
        }
    }
    if (au_rng_chance(&m->rng, 0.2)) /* stretched in time */
        for (int i = 0; i < mo->n; i++) mo->ioi[i] = (float)snap_half(mo->ioi[i] * 1.5);
    if (n < mo->n) mo->n = n; /* truncated */
    /* one note always changes, so a return is never a copy */
    if (mo->n > 1) {
        int i = 1 + (int)au_rng_below(&m->rng, (uint32_t)(mo->n - 1));
        int s = mo->step[i] + (au_rng_chance(&m->rng, 0.5) ? 1 : -1);
        if (s == 0) s = mo->step[i] > 0 ? 2 : -2;
        mo->step[i] = (int8_t)au_clampi(s, -3, 3);
    } else {
        mo->step[0] = (int8_t)((int)au_rng_below(&m->rng, 5) - 2);
    }
}

/* The scale the melody sings: when calm a pentatonic subset of the mode
 * (au_pentatonic_mask: the tones that make semitones left out), else the
 * whole mode; a piece that narrowed the scale keeps its own. */
uint16_t au_melody_scale(int key, int mode, double density)
{
    return density < 0.4 ? au_pentatonic_mask(key, mode) : au_scale_mask(key, mode);
}

static uint16_t sing_scale(const au_bar_ctx *ctx)
{
    if (ctx->scale != au_scale_mask(ctx->key, ctx->mode)) return ctx->scale;
    return au_melody_scale(ctx->key, ctx->mode, ctx->density);
}

/* An exact restatement of the stored motif: its pitches transposed by t
 * semitones (t = 0 first), every one in the singing scale, in range and
 * above the pads. Returns 1 and sets m->exact_t, or 0 if none fits. */
static int find_exact(au_melody *m, const au_bar_ctx *ctx, uint16_t scale, int lo,
                      int hi)
{
    if (m->motif_np < 2) return 0;
    int ok[15], nok = 0;
    for (int t = -7; t <= 7; t++) {
        int fits = 1;
        for (int i = 0; i < m->motif_np && fits; i++) {
            int p = m->motif_p[i] + t;
            fits = p >= lo - 3 && p <= hi + 3 && p > ctx->pad_top - 3 && au_in_mask(scale, p);
        }
        /* nor a turn back across the phrase junction (X-Y-X, A-B-A-B)
         * when the phrase follows the last one closely */
        int p0 = m->motif_p[0] + t;
        if (fits && m->clear_turns && (p0 == m->prev || p0 == m->prev2)) fits = 0;
        if (fits) ok[nok++] = t;
    }
    if (!nok) return 0;
    /* not twice in a row at the same pitch (a calm piece would otherwise
     * repeat a whole 8-bar stretch now and then) */
    if (nok > 1 && m->clear_turns)
        for (int i = 0; i < nok; i++)
            if (ok[i] == m->last_t) {
                ok[i] = ok[--nok];
                break;
            }
    for (int i = 0; i < nok; i++)
        if (ok[i] == 0 && au_rng_chance(&m->rng, 0.5)) {
            m->exact_t = 0;
            return 1;
        }
    m->exact_t = ok[au_rng_below(&m->rng, (uint32_t)nok)];
    return 1;
}

static void plan_phrase(au_melody *m, const au_bar_ctx *ctx, double start)
{
    double d = ctx->density;
    int n = (int)lround(2.2 + 7.0 * d + au_rng_range(&m->rng, -1.0, 1.0));
    /* drift: a phrase is 2 to 3 notes when calm, never a lone note */
    n = au_clampi(n, m->clear_turns ? 2 : 1, 10);
    m->exact = 0;
    m->fresh_motif = 0;
    int lo, hi;
    sing_range(m, ctx, &lo, &hi);
    /* the motif returns: half the time exactly (its intervals, any
     * transposition that fits the scale, perhaps displaced), else varied */
    if (m->motif.n > 1 && m->motif_np == m->motif.n && (!m->clear_turns || m->exact_run < 3) &&
        au_rng_chance(&m->rng, 0.65) && find_exact(m, ctx, sing_scale(ctx), lo, hi)) {
        m->plan = m->motif;
        m->exact = 1;
        m->returns++;
        if (au_rng_chance(&m->rng, 0.3)) start += 0.5; /* displaced */
    } else if (m->motif.n > 0 && au_rng_chance(&m->rng, 0.35)) {
        m->plan = m->motif;
        vary(m, &m->plan, n);
        if (++m->returns % 2 == 0) { /* the motif evolves */
            m->motif = m->plan;
            m->fresh_motif = 1;
            m->motif_np = 0;
        }
        if (au_rng_chance(&m->rng, 0.3)) start += 0.5; /* displaced */
    } else {
        new_motif(m, n, d, &m->plan);
        m->motif = m->plan;
        m->returns = 0;
        m->fresh_motif = 1;
        m->motif_np = 0;
    }
    /* what this phrase sings of the stored motif: its first statement
     * (t = 0), an exact return (exact_t), or something else */
    m->exact_run = m->exact ? m->exact_run + 1 : 0;
    m->last_t = m->exact ? m->exact_t : m->fresh_motif && m->plan.n == m->motif.n ? 0 : -99;
    m->plan_start = start;
    m->plan_i = 0;
    m->phrases++;
}

/* the cheapest pitch of `allowed` in lo..hi, its cost in *cost */
static int cheapest(au_melody *m, const au_bar_ctx *ctx, uint16_t allowed, int target,
                    int prev, int lo, int hi, double *cost)
{
    int leap = abs(m->prev_iv) > 4;
    int best = -1;
    double bestc = 1e9;
    for (int p = lo; p <= hi; p++) {
        if (!au_in_mask(allowed, p) || p == m->prev) continue;
        int iv = p - prev, a = abs(iv);
        double c = abs(p - target) + 0.05 * au_rng_unit(&m->rng);
        if (a > 2) c += 1.5;
        if (a > 7) c += 8;
        if (leap && !(a <= 3 && (iv > 0) != (m->prev_iv > 0))) c += 6;
        /* no neighbour returns (X-Y-X) and so no trills */
        if (p == m->prev2) c += 9;
        /* sing above the pads */
        if (p <= ctx->pad_top) c += 12;
        if (c < bestc) { bestc = c; best = p; }
    }
    *cost = bestc;
    return best;
}

/* choose the pitch of one note: cost-based search over candidates */
static int realise(au_melody *m, const au_bar_ctx *ctx, int step, int strong,
                   int lo, int hi)
{
    int prev = m->prev ? m->prev : (lo + hi) / 2;
    uint16_t sing = sing_scale(ctx);
    int target = au_scale_move(sing, prev, step);
    uint16_t allowed = sing;
    if (strong && (ctx->chord->mask & sing)) allowed = ctx->chord->mask & sing;
    double c;
    int best = cheapest(m, ctx, allowed, target, prev, lo, hi, &c);
    /* a strong beat prefers a chord tone, but not at the price of turning
     * back (X-Y-X, and so trills): on a calm pentatonic the chord may
     * leave a single tone above the pads */
    if (m->clear_turns && allowed != sing && best >= 0 && best == m->prev2) {
        double c2;
        int b2 = cheapest(m, ctx, sing, target, prev, lo, hi, &c2);
        if (b2 >= 0 && b2 != m->prev2) best = b2;
    }
    if (best < 0) best = au_nearest_in(ctx->scale, target, lo, hi);
    return best;
}

void au_melody_bar(au_melody *m, au_score *s, const au_bar_ctx *ctx)
{
    double bar_end = ctx->beat + AU_BEATS_PER_BAR;
    double d = ctx->density;
    int lo, hi;
    sing_range(m, ctx, &lo, &hi);
    if (!ctx->active) {
        if (m->next_phrase < bar_end) m->next_phrase = bar_end;
        return;
    }
    for (int guard = 0; guard < 32; guard++) {
        if (m->plan_i >= m->plan.n) {
            if (m->next_phrase >= bar_end) break;
            double st = m->next_phrase < ctx->beat ? ctx->beat : m->next_phrase;
            plan_phrase(m, ctx, snap_half(st));
            if (m->plan_start >= bar_end) { m->next_phrase = m->plan_start; m->plan.n = 0; m->plan_i = 0; break; }
        }
        double on = m->plan_start;
        for (int i = 0; i < m->plan_i; i++) on += m->plan.ioi[i];
        if (on >= bar_end) break;
        if (on < ctx->beat) on = ctx->beat; /* cannot go back in time */
        int i = m->plan_i;
        int last = i == m->plan.n - 1;
        double rel = on - ctx->beat;
        int strong = fabs(rel) < 1e-9 || fabs(rel - 2.0) < 1e-9;
        int p = m->exact ? m->motif_p[i] + m->exact_t
                         : realise(m, ctx, m->plan.step[i], strong, lo, hi);
        if (p == m->prev) p = realise(m, ctx, m->plan.step[i], strong, lo, hi);
        /* a rare chromatic passing tone on an off-beat, between a whole
         * step */
        if (!m->exact && !strong && !last && fmod(rel, 1.0) > 0.25 && m->prev &&
            abs(p - m->prev) == 2 && au_rng_chance(&m->rng, 0.06)) {
            int c = (p + m->prev) / 2;
            if (!au_in_mask(ctx->scale, c)) p = c;
        }
        double ioi = m->plan.ioi[i];
        double dur = last ? au_clampd(4.0 * ioi, 2.0, 8.0) : ioi * 0.92;
        double h = au_humanise(&m->rng, ctx->bpm, d, 0.12);
        /* phrase arch: louder in the middle, soft at the end */
        double f = m->plan.n > 1 ? (double)i / (m->plan.n - 1) : 0.5;
        int vel = 48 + (int)(40 * d) + (int)(10 * sin(f * 3.14159)) - (last ? 8 : 0) +
                  (int)au_rng_below(&m->rng, 9) - 4;
        au_score_note(s, AU_LAYER_MELODY, p, vel, on + h, on + dur + h);
        m->prev_iv = m->prev ? p - m->prev : 0;
        m->prev2 = m->prev;
        m->prev = p;
        if (i < AU_MOTIF_MAX) m->cur_p[i] = (uint8_t)p;
        m->plan_i++;
        if (m->plan_i >= m->plan.n && m->fresh_motif) {
            /* the motif as sung is what returns */
            memcpy(m->motif_p, m->cur_p, sizeof m->motif_p);
            m->motif_np = m->plan.n;
            m->fresh_motif = 0;
        }
        if (m->plan_i >= m->plan.n) {
            /* rests breathe: 10-20 s when calm, a beat or two when dense,
             * never more than 3.5 bars so sparse stretches still sing */
            double rest_s = au_lerp(13.0, 1.5, d) * au_rng_range(&m->rng, 0.7, 1.3);
            double rest = au_clampd(au_beats(rest_s, ctx->bpm), 1.0, 14.0);
            m->next_phrase = snap_half(on + dur + rest);
        }
    }
}
