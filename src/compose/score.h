/* The score queue: events the generators plan ahead in beat units, kept in a
 * fixed binary heap ordered by (beat, kind, insertion), plus what every
 * generator needs to know about the bar it is writing (au_bar_ctx).
 * Note-ons and note-offs are paired by an instance id so that an off whose
 * note was already released (layer switch, key change, steal) is dropped.
 * Plain value, no heap allocation; not thread-safe. */
#ifndef AU_SCORE_H
#define AU_SCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/params.h"
#include "../core/rng.h"
#include "events.h"
#include "tempo.h"
#include "orch.h"
#include "theory.h"

#define AU_SCORE_CAP 1024
#define AU_SCORE_HEADROOM 64 /* slots only offs and controls may use */
#define AU_BEATS_PER_BAR 4

/* internal event: release every sounding note of ev.layer (never emitted) */
enum { AU_EV_INT_RELEASE = 100 };

typedef struct {
    double beat;
    uint32_t seq;
    uint32_t id;   /* note instance (0 for non-notes) */
    uint8_t prio;  /* order of kinds at the same beat */
    au_event ev;
} au_score_item;

typedef struct {
    au_score_item items[AU_SCORE_CAP];
    int n;
    uint32_t seq;
    uint32_t next_id;
    uint32_t dropped; /* pushes refused because the queue was full */
} au_score;

void au_score_init(au_score *s);
/* 0, or AU_EFULL (the event is dropped and counted) */
int au_score_push(au_score *s, double beat, const au_event *ev, uint32_t id);
/* A note with both ends planned; returns its id or 0 if there was no room
 * for both (then neither is queued, so nothing can hang). */
uint32_t au_score_note(au_score *s, int layer, int note, int vel, double on,
                       double off);
/* Open-ended note (the generator sends the off later with the id). */
uint32_t au_score_note_on(au_score *s, int layer, int note, int vel, double on);
void au_score_note_off(au_score *s, int layer, int note, uint32_t id,
                       double beat);
static inline const au_score_item *au_score_top(const au_score *s)
{
    return s->n ? &s->items[0] : 0;
}
void au_score_pop(au_score *s, au_score_item *out);

/* What a generator knows when it writes one bar (4 beats from beat). */
typedef struct {
    int64_t bar;
    double beat;          /* bar start */
    double bpm;           /* tempo now (for seconds <-> beats) */
    double intensity;     /* eased listener intensity */
    double density;       /* conductor density 0..1 */
    int reg_shift;        /* conductor register drift in semitones */
    int key, mode;
    uint16_t scale;       /* mask of the scale */
    const au_chord *chord;/* chord sounding from the bar start */
    const uint8_t *voicing; int nvoicing; /* the pad voicing of the chord */
    bool chord_new;       /* the chord starts at this bar */
    bool key_changed;     /* the key/mode changed at this bar */
    bool active;          /* the layer has entered */
    int pad_top;          /* highest pad voice of the chord (0: none) */
    bool perc_on;         /* this section has percussion */
    const au_orch *orch;  /* the piece's orchestration */
    uint32_t epoch;       /* the layer's release epoch (see composer.c) */
    bool tenor;           /* bass: add a tenor (piece.h: bass_tenor) */
} au_bar_ctx;

/* Late onset offset in beats: 25..100 ms when calm, less when dense, never
 * more than max_beats (so grid positions stay recognisable). */
double au_humanise(au_rng *r, double bpm, double density, double max_beats);

static inline double au_clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}
static inline int au_clampi(int x, int lo, int hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}
static inline double au_lerp(double a, double b, double t)
{
    return a + (b - a) * t;
}

#endif
