#include "orch.h"

#include <stdio.h>
#include <string.h>

#include "../core/rng.h"

/* Why these ranges: a listener should hear that two seeds are two pieces
 * (different instruments, registers, entries and pacing), while every
 * choice stays inside what MUSIC.md calls calm and produced. */
void au_orch_from_seed(au_orch *o, uint64_t seed)
{
    memset(o, 0, sizeof *o);
    au_rng r;
    uint64_t x = seed ^ 0x0c4e57a7105eedULL;
    au_rng_seed(&r, au_splitmix64(&x), 0x6f72);
    for (int l = 0; l < AU_LAYER_COUNT; l++) o->use[l] = true;
    /* the bed (pads, bass) and the melody always; the colours by seed */
    o->use[AU_LAYER_TEXTURES] = au_rng_chance(&r, 0.8);
    o->use[AU_LAYER_BELLS] = au_rng_chance(&r, 0.7);
    o->use[AU_LAYER_PERCUSSION] = au_rng_chance(&r, 0.75);
    /* entries: pads open (a live stream must sound at once), the rest in
     * a seed-chosen order, 4 to 25 s apart; bells never before the melody
     * (they answer it) */
    int order[AU_LAYER_COUNT] = {AU_LAYER_BASS, AU_LAYER_TEXTURES, AU_LAYER_MELODY,
                                 AU_LAYER_PERCUSSION, AU_LAYER_BELLS};
    int n = 5;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)au_rng_below(&r, (uint32_t)(i + 1));
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    int mi = 0, bi = 0;
    for (int i = 0; i < n; i++) {
        if (order[i] == AU_LAYER_MELODY) mi = i;
        if (order[i] == AU_LAYER_BELLS) bi = i;
    }
    if (bi < mi) {
        order[bi] = AU_LAYER_MELODY;
        order[mi] = AU_LAYER_BELLS;
    }
    o->entry_s[AU_LAYER_PADS] = 0.0f;
    float t = 0.0f;
    for (int i = 0; i < n; i++) {
        t += (float)au_rng_range(&r, 4.0, 25.0);
        o->entry_s[order[i]] = t;
    }
    o->reg_pads = (int8_t)((int)au_rng_below(&r, 5) - 2);
    o->reg_melody = (int8_t)((int)au_rng_below(&r, 5) - 2);
    /* patches: pads brighter or darker by up to half an octave, more or
     * less sub; melody 1:1, 2:1 or 3:1 with its own index; bells from
     * glassy (1:1.4) to chime-like (1:2.76) */
    o->patch[AU_LAYER_PADS][0] = (float)au_rng_range(&r, -0.5, 0.5);
    o->patch[AU_LAYER_PADS][1] = (float)au_rng_range(&r, -0.1, 0.1);
    static const float mel_ratio[3] = {0.0f, 1.0f, 2.0f};
    o->patch[AU_LAYER_MELODY][0] = mel_ratio[au_rng_below(&r, 3)];
    o->patch[AU_LAYER_MELODY][1] = (float)au_rng_range(&r, -0.3, 0.3);
    static const float bell_ratio[3] = {0.0f, 1.36f, 2.1f};
    o->patch[AU_LAYER_BELLS][0] = bell_ratio[au_rng_below(&r, 3)];
    o->patch[AU_LAYER_TEXTURES][0] = (float)au_rng_range(&r, -0.5, 0.5);
    /* cycles: drawn apart, so that the layers never line up alike */
    o->tex_cycle_s = (float)au_rng_range(&r, 19.0, 37.0);
    o->bell_cycle_s = (float)au_rng_range(&r, 13.0, 29.0);
    o->perc_prob = (float)au_rng_range(&r, 0.5, 0.9);
    /* the way home: the piece gives the range (piece.h: tonic_pull) */
    o->tonic_u = au_rng_unit(&r);
    /* the lead's colour, from nearly a sine to reedy (a piece sets how
     * far: piece.h lead_colour); drawn after everything else so that no
     * earlier choice moves */
    o->lead_u = (float)au_rng_range(&r, -1.0, 1.0);
}

int au_orch_describe(const au_orch *o, char *buf, int n)
{
    static const char sym[AU_LAYER_COUNT] = {'P', 'M', 'B', 'D', 'T', 'C'};
    int idx[AU_LAYER_COUNT], k = 0;
    for (int l = 0; l < AU_LAYER_COUNT; l++)
        if (o->use[l]) idx[k++] = l;
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && o->entry_s[idx[j]] < o->entry_s[idx[j - 1]]; j--) {
            int t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    char ord[AU_LAYER_COUNT + 1];
    for (int i = 0; i < k; i++) ord[i] = sym[idx[i]];
    ord[k] = 0;
    return snprintf(buf, (size_t)n, "%s pads%+d melody%+d mel-ratio %.0f:1 tex %.1fs bells %.1fs",
                    ord, o->reg_pads, o->reg_melody,
                    1.0 + o->patch[AU_LAYER_MELODY][0], o->tex_cycle_s,
                    o->bell_cycle_s);
}
