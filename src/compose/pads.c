#include "pads.h"

#include <string.h>

void au_pads_init(au_pads *p, uint64_t seed)
{
    memset(p, 0, sizeof *p);
    au_rng_seed(&p->rng, seed, 21);
}

void au_pads_bar(au_pads *p, au_score *s, const au_bar_ctx *ctx)
{
    if (!ctx->active) return;
    /* a release (layer switch or key change) silenced what we planned */
    int fresh = p->epoch != ctx->epoch;
    if (!ctx->chord_new && !fresh && p->n) return;
    double b = ctx->beat;
    int base_vel = 38 + (int)(40 * ctx->density);
    uint8_t nn[6];
    uint32_t nid[6];
    int nnew = 0;
    /* held voices: a common tone already sounding keeps its note-on */
    int keep[6] = {0};
    for (int i = 0; i < ctx->nvoicing; i++) {
        int found = -1;
        if (!fresh)
            for (int j = 0; j < p->n; j++)
                if (!keep[j] && p->note[j] == ctx->voicing[i]) found = j;
        if (found >= 0) {
            keep[found] = 1;
            nn[nnew] = p->note[found];
            nid[nnew++] = p->id[found];
        }
    }
    for (int j = 0; j < p->n; j++)
        if (!keep[j]) au_score_note_off(s, AU_LAYER_PADS, p->note[j], p->id[j], b);
    for (int i = 0; i < ctx->nvoicing; i++) {
        int held = 0;
        for (int k = 0; k < nnew; k++) held |= nn[k] == ctx->voicing[i];
        if (held || nnew >= 6) continue;
        /* voices bloom one after another, not as a block */
        double on = b + 0.05 * i + au_humanise(&p->rng, ctx->bpm, ctx->density, 0.1);
        int vel = base_vel + (int)au_rng_below(&p->rng, 9) - 4 - 2 * i;
        uint32_t id = au_score_note_on(s, AU_LAYER_PADS, ctx->voicing[i], vel, on);
        if (!id) continue;
        nn[nnew] = ctx->voicing[i];
        nid[nnew++] = id;
    }
    memcpy(p->note, nn, sizeof nn);
    memcpy(p->id, nid, sizeof nid);
    p->n = nnew;
    p->epoch = ctx->epoch;
}
