#include "theory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/au.h"
#include "../core/params.h"

const uint8_t au_mode_steps[7][7] = {
    {0, 2, 4, 5, 7, 9, 11}, /* ionian */
    {0, 2, 3, 5, 7, 9, 10}, /* dorian */
    {0, 1, 3, 5, 7, 8, 10}, /* phrygian */
    {0, 2, 4, 6, 7, 9, 11}, /* lydian */
    {0, 2, 4, 5, 7, 9, 10}, /* mixolydian */
    {0, 2, 3, 5, 7, 8, 10}, /* aeolian */
    {0, 1, 3, 5, 6, 8, 10}, /* locrian */
};

static const char *const pc_names[12] = {"C",  "C#", "D",  "D#", "E",  "F",
                                         "F#", "G",  "G#", "A",  "A#", "B"};

/* chord members as scale-step offsets from the root degree */
static const int8_t quality_steps[AU_CQ_COUNT][5] = {
    {0, 2, 4, -1, -1}, {0, 2, 4, 6, -1}, {0, 2, 4, 6, 1}, {0, 2, 4, 1, -1},
    {0, 1, 4, -1, -1}, {0, 3, 4, -1, -1}, {0, 3, 6, -1, -1},
};

int au_scale_pc(int key, int mode, int degree)
{
    degree = ((degree % 7) + 7) % 7;
    return (key + au_mode_steps[mode][degree]) % 12;
}

uint16_t au_scale_mask(int key, int mode)
{
    uint16_t m = 0;
    for (int d = 0; d < 7; d++) m |= (uint16_t)(1u << au_scale_pc(key, mode, d));
    return m;
}

static void chord_name(au_chord *ch)
{
    int has[12] = {0};
    for (int i = 0; i < ch->npcs; i++) has[(ch->pcs[i] - ch->root + 12) % 12] = 1;
    int maj3 = has[4], min3 = has[3] && !has[4], third = maj3 || min3;
    int sev = has[10] || has[11], ninth = has[2];
    char s[16];
    size_t n = (size_t)snprintf(s, sizeof s, "%s%s", pc_names[ch->root],
                                min3 ? "m" : "");
    if (sev)
        n += (size_t)snprintf(s + n, sizeof s - n, "%s%s", has[11] ? "maj" : "",
                              ninth && third ? "9" : "7");
    if (!third) {
        if (has[5]) n += (size_t)snprintf(s + n, sizeof s - n, "sus4");
        else if (ninth) n += (size_t)snprintf(s + n, sizeof s - n, "sus2");
    } else if (ninth && !sev) {
        n += (size_t)snprintf(s + n, sizeof s - n, "add9");
    }
    memcpy(ch->name, s, sizeof ch->name);
    ch->name[sizeof ch->name - 1] = '\0';
}

int au_chord_build(au_chord *ch, int key, int mode, int degree, int quality)
{
    if (key < 0 || key > 11 || mode < 0 || mode >= AU_MODE_COUNT || degree < 0 ||
        degree > 6 || quality < 0 || quality >= AU_CQ_COUNT)
        return AU_EINVAL;
    memset(ch, 0, sizeof *ch);
    ch->degree = (uint8_t)degree;
    ch->quality = (uint8_t)quality;
    ch->root = (uint8_t)au_scale_pc(key, mode, degree);
    for (int i = 0; i < 5 && quality_steps[quality][i] >= 0; i++) {
        int pc = au_scale_pc(key, mode, degree + quality_steps[quality][i]);
        ch->pcs[ch->npcs++] = (uint8_t)pc;
        ch->mask |= (uint16_t)(1u << pc);
    }
    /* A tritone anywhere, or a minor 9th over the root, pulls towards
     * functional tension (V7, dim) and beats in a sustained pad: refuse. */
    for (int i = 0; i < ch->npcs; i++) {
        for (int j = i + 1; j < ch->npcs; j++) {
            int d = (ch->pcs[j] - ch->pcs[i] + 12) % 12;
            if (d == 6) return AU_EINVAL;
        }
        if (i > 0 && (ch->pcs[i] - ch->root + 12) % 12 == 1) return AU_EINVAL;
    }
    chord_name(ch);
    return 0;
}

int au_scale_move(uint16_t mask, int pitch, int steps)
{
    int p = pitch;
    for (int k = 0; k < 12 && !au_in_mask(mask, p); k++) p--;
    while (steps > 0) {
        p++;
        while (!au_in_mask(mask, p)) p++;
        steps--;
    }
    while (steps < 0) {
        p--;
        while (!au_in_mask(mask, p)) p--;
        steps++;
    }
    return p;
}

int au_nearest_in(uint16_t mask, int pitch, int lo, int hi)
{
    for (int d = 0; d <= hi - lo + 12; d++) {
        if (pitch - d >= lo && pitch - d <= hi && au_in_mask(mask, pitch - d))
            return pitch - d;
        if (pitch + d >= lo && pitch + d <= hi && au_in_mask(mask, pitch + d))
            return pitch + d;
    }
    return -1;
}

static int clashes_any(int p, const int *v, int n, int skip)
{
    for (int i = 0; i < n; i++)
        if (i != skip && v[i] >= 0 && au_pitch_clash(p, v[i])) return 1;
    return 0;
}

/* nearest chord pitch to `from` in range not clashing with v (skip index) */
static int nearest_free(const au_chord *ch, int from, int lo, int hi,
                        const int *v, int n, int skip, uint16_t only)
{
    uint16_t m = only ? only : ch->mask;
    for (int d = 0; d <= hi - lo + 1; d++) {
        int c[2] = {from - d, from + d};
        for (int k = 0; k < (d ? 2 : 1); k++)
            if (c[k] >= lo && c[k] <= hi && au_in_mask(m, c[k]) &&
                !clashes_any(c[k], v, n, skip))
                return c[k];
    }
    return -1;
}

static void sort_u8(uint8_t *a, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && a[j - 1] > a[j]; j--) {
            uint8_t t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
}

static int initial_voicing(const au_chord *ch, int nv, int lo, int hi, int *v)
{
    int n = 0;
    /* root low, then the other tones upwards with at least a minor 3rd
     * between neighbours (open voicing), then root/5th doublings */
    int root = lo;
    while ((root - ch->root) % 12 != 0) root++;
    v[n++] = root;
    int order[8], no = 0;
    for (int i = 1; i < ch->npcs; i++) order[no++] = ch->pcs[i];
    order[no++] = ch->pcs[0];
    if (ch->npcs > 2) order[no++] = ch->pcs[2];
    for (int i = 0; i < no && n < nv; i++) {
        int p = v[n - 1] + 3;
        while (p <= hi && ((p - order[i]) % 12 != 0 || clashes_any(p, v, n, -1))) p++;
        if (p <= hi) v[n++] = p;
    }
    return n;
}

int au_voice_lead(const uint8_t *prev, int nprev, const au_chord *ch,
                  int nvoices, int lo, int hi, uint8_t *out)
{
    int v[8];
    int n = 0;
    if (nvoices > 6) nvoices = 6;
    if (nvoices < 1) nvoices = 1;
    if (nprev <= 0) {
        n = initial_voicing(ch, nvoices, lo, hi, v);
    } else {
        int src[8], ns = nprev > 6 ? 6 : nprev;
        for (int i = 0; i < ns; i++) src[i] = prev[i];
        /* fewer voices: drop those farthest from any chord tone */
        while (ns > nvoices) {
            int worst = 0, wd = -1;
            for (int i = 0; i < ns; i++) {
                int q = au_nearest_in(ch->mask, src[i], lo, hi);
                int d = q < 0 ? 99 : abs(q - src[i]);
                if (d >= wd) { wd = d; worst = i; }
            }
            src[worst] = src[--ns];
        }
        /* common tones first (they stay), then the others by nearest move */
        for (int i = 0; i < ns; i++) v[i] = -1;
        for (int i = 0; i < ns; i++)
            if (au_in_mask(ch->mask, src[i]) && src[i] >= lo && src[i] <= hi &&
                !clashes_any(src[i], v, ns, i))
                v[i] = src[i];
        for (int i = 0; i < ns; i++)
            if (v[i] < 0) {
                int from = src[i] < lo ? lo : src[i] > hi ? hi : src[i];
                v[i] = nearest_free(ch, from, lo, hi, v, ns, i, 0);
            }
        int held[8] = {0};
        for (int i = 0; i < ns; i++)
            if (v[i] >= 0) {
                held[n] = v[i] == src[i];
                v[n++] = v[i];
            }
        /* cover missing chord tones by moving a doubled voice the least */
        for (int k = 0; k < ch->npcs; k++) {
            int pc = ch->pcs[k], have = 0;
            for (int i = 0; i < n; i++) have |= v[i] % 12 == pc;
            if (have) continue;
            int best = -1, bestp = -1, bestd = 999;
            for (int i = 0; i < n; i++) {
                int dup = 0;
                for (int j = 0; j < n; j++) dup += v[j] % 12 == v[i] % 12;
                if (dup < 2) continue;
                int q = nearest_free(ch, v[i], lo, hi, v, n, i,
                                     (uint16_t)(1u << pc));
                /* a held common tone moves only if nothing else can */
                int cost = q < 0 ? 999 : abs(q - v[i]) + (held[i] ? 100 : 0);
                if (cost < bestd) {
                    bestd = cost;
                    best = i;
                    bestp = q;
                }
            }
            if (best >= 0) {
                v[best] = bestp;
                held[best] = 0;
            }
            else if (n < nvoices) {
                int q = nearest_free(ch, (lo + hi) / 2, lo, hi, v, n, -1,
                                     (uint16_t)(1u << pc));
                if (q >= 0) v[n++] = q;
            }
        }
        /* more voices: root and fifth doublings near the middle */
        for (int k = 0; n < nvoices && k < 2 * ch->npcs; k++) {
            int pc = ch->pcs[(k % 2 == 0) ? 0 : (ch->npcs > 2 ? 2 : 1)];
            int q = nearest_free(ch, (lo + hi) / 2 + (k % 3) * 5 - 5, lo, hi, v,
                                 n, -1, (uint16_t)(1u << pc));
            if (q >= 0) v[n++] = q;
        }
    }
    for (int i = 0; i < n; i++) out[i] = (uint8_t)v[i];
    sort_u8(out, n);
    return n;
}

int au_voicing_distance(const uint8_t *a, int na, const uint8_t *b, int nb)
{
    const uint8_t *s = na <= nb ? a : b, *l = na <= nb ? b : a;
    int ns = na <= nb ? na : nb, nl = na <= nb ? nb : na, sum = 0;
    for (int i = 0; i < ns; i++) {
        int best = 999;
        for (int j = 0; j < nl; j++) {
            int d = abs((int)s[i] - (int)l[j]);
            if (d < best) best = d;
        }
        sum += best;
    }
    return sum;
}
