#include "score.h"

#include <string.h>

#include "../core/au.h"

void au_score_init(au_score *s)
{
    s->n = 0;
    s->seq = 0;
    s->next_id = 1;
    s->dropped = 0;
}

static int less(const au_score_item *a, const au_score_item *b)
{
    if (a->beat != b->beat) return a->beat < b->beat;
    if (a->prio != b->prio) return a->prio < b->prio;
    return a->seq < b->seq;
}

/* same beat: key, section, chord, controls, releases and offs, then ons */
static uint8_t prio_of(int type)
{
    switch (type) {
    case AU_EV_KEY: return 0;
    case AU_EV_TEMPO: return 1;
    case AU_EV_SECTION: return 2;
    case AU_EV_CHORD: return 3;
    case AU_EV_CONTROL: return 4;
    case AU_EV_INT_RELEASE: return 5;
    case AU_EV_NOTE_OFF: return 6;
    default: return 7;
    }
}

int au_score_push(au_score *s, double beat, const au_event *ev, uint32_t id)
{
    if (s->n >= AU_SCORE_CAP) {
        s->dropped++;
        return AU_EFULL;
    }
    int i = s->n++;
    au_score_item it;
    it.beat = beat;
    it.seq = s->seq++;
    it.id = id;
    it.prio = prio_of(ev->type);
    it.ev = *ev;
    it.ev.beat = beat;
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!less(&it, &s->items[p])) break;
        s->items[i] = s->items[p];
        i = p;
    }
    s->items[i] = it;
    return 0;
}

void au_score_pop(au_score *s, au_score_item *out)
{
    *out = s->items[0];
    au_score_item last = s->items[--s->n];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        const au_score_item *best = &last;
        if (l < s->n && less(&s->items[l], best)) { m = l; best = &s->items[l]; }
        if (r < s->n && less(&s->items[r], best)) { m = r; }
        if (m == i) break;
        s->items[i] = s->items[m];
        i = m;
    }
    if (s->n) s->items[i] = last;
}

static au_event note_event(int type, int layer, int note, int vel)
{
    au_event e;
    memset(&e, 0, sizeof e);
    e.type = (uint8_t)type;
    e.layer = (uint8_t)layer;
    e.note = (uint8_t)(note < 0 ? 0 : note > 127 ? 127 : note);
    e.vel = (uint8_t)(type == AU_EV_NOTE_OFF ? 0 : vel < 1 ? 1 : vel > 127 ? 127 : vel);
    return e;
}

uint32_t au_score_note(au_score *s, int layer, int note, int vel, double on,
                       double off)
{
    /* note-ons keep headroom so that their later offs always fit */
    if (s->n + 2 + AU_SCORE_HEADROOM > AU_SCORE_CAP) {
        s->dropped += 2;
        return 0;
    }
    uint32_t id = s->next_id++;
    if (!s->next_id) s->next_id = 1;
    au_event e = note_event(AU_EV_NOTE_ON, layer, note, vel);
    au_score_push(s, on, &e, id);
    e = note_event(AU_EV_NOTE_OFF, layer, note, 0);
    au_score_push(s, off > on ? off : on + 1e-3, &e, id);
    return id;
}

uint32_t au_score_note_on(au_score *s, int layer, int note, int vel, double on)
{
    if (s->n + 1 + AU_SCORE_HEADROOM > AU_SCORE_CAP) {
        s->dropped++;
        return 0;
    }
    uint32_t id = s->next_id++;
    if (!s->next_id) s->next_id = 1;
    au_event e = note_event(AU_EV_NOTE_ON, layer, note, vel);
    return au_score_push(s, on, &e, id) == 0 ? id : 0;
}

void au_score_note_off(au_score *s, int layer, int note, uint32_t id,
                       double beat)
{
    au_event e = note_event(AU_EV_NOTE_OFF, layer, note, 0);
    au_score_push(s, beat, &e, id);
}

double au_humanise(au_rng *r, double bpm, double density, double max_beats)
{
    double ms = au_rng_range(r, 25.0, 100.0) * (1.0 - 0.6 * density);
    double b = ms * bpm / 60000.0;
    return b < max_beats ? b : max_beats;
}
