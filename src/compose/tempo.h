/* The composer's clock: beats <-> sample positions.
 * Time advances in fixed ticks of AU_TEMPO_TICK samples; the tempo is
 * constant inside a tick and only changes at tick boundaries, so beat
 * positions depend on the tick count, never on how callers slice their pulls.
 * Plain value, no heap; not thread-safe. */
#ifndef AU_TEMPO_H
#define AU_TEMPO_H

#include <stdint.h>

#define AU_TEMPO_TICK 64

typedef struct {
    int rate;          /* samples per second */
    int64_t tick;      /* index of the current tick; -1 before the first */
    double beat;       /* beat at the start of the current tick */
    double bpm;        /* tempo inside the current tick */
    double target;     /* tempo being glided to */
    double step;       /* bpm change per tick while gliding */
    int32_t glide_left;/* ticks left in the glide */
} au_tempo;

void au_tempo_init(au_tempo *t, int rate, double bpm);
/* Glide linearly to bpm over glide_s seconds (0: at the next tick). */
void au_tempo_set(au_tempo *t, double bpm, double glide_s);
/* Enter the next tick (the first call enters tick 0 at beat 0). */
void au_tempo_advance(au_tempo *t);

static inline int64_t au_tempo_tick_pos(const au_tempo *t)
{
    return t->tick * AU_TEMPO_TICK;
}
/* beats per tick at the current tempo */
static inline double au_tempo_tick_beats(const au_tempo *t)
{
    return AU_TEMPO_TICK * t->bpm / (60.0 * t->rate);
}
static inline double au_tempo_end_beat(const au_tempo *t)
{
    return t->beat + au_tempo_tick_beats(t);
}
/* Sample position of a beat inside the current tick (clamped to it). */
int64_t au_tempo_pos_of(const au_tempo *t, double beat);

/* seconds -> beats at bpm */
static inline double au_beats(double seconds, double bpm)
{
    return seconds * bpm / 60.0;
}

#endif
