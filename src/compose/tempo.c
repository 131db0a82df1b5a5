#include "tempo.h"

#include <math.h>

void au_tempo_init(au_tempo *t, int rate, double bpm)
{
    t->rate = rate;
    t->tick = -1;
    t->beat = 0.0;
    t->bpm = bpm;
    t->target = bpm;
    t->step = 0.0;
    t->glide_left = 0;
}

void au_tempo_set(au_tempo *t, double bpm, double glide_s)
{
    int32_t ticks = (int32_t)lround(glide_s * t->rate / AU_TEMPO_TICK);
    t->target = bpm;
    if (ticks < 1) ticks = 1;
    t->glide_left = ticks;
    t->step = (bpm - t->bpm) / ticks;
}

void au_tempo_advance(au_tempo *t)
{
    if (t->tick >= 0) t->beat += au_tempo_tick_beats(t);
    t->tick++;
    if (t->glide_left > 0) {
        t->bpm += t->step;
        if (--t->glide_left == 0) t->bpm = t->target;
    }
}

int64_t au_tempo_pos_of(const au_tempo *t, double beat)
{
    double off = (beat - t->beat) * 60.0 * t->rate / t->bpm;
    int64_t p = off > 0 ? (int64_t)floor(off) : 0;
    if (p > AU_TEMPO_TICK - 1) p = AU_TEMPO_TICK - 1;
    return au_tempo_tick_pos(t) + p;
}
