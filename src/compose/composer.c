/* The composer's glue: the tick loop, live changes, bar generation and the
 * emission guard (matched note-offs, bounded polyphony, layer switches).
 *
 * Determinism: everything happens at tick boundaries (AU_TEMPO_TICK
 * samples). A tick is processed only when a pull reaches past its start, and
 * then completely (changes, glides, bar generation), so the state at every
 * tick is a function of the seed, the parameters and the change timeline. */
#include "composer.h"

#include <math.h>
#include <string.h>

#include "../core/au.h"
#include "piece.h"

/* per-layer polyphony the emission guard enforces (the oldest is stolen) */
static const int poly_limit[AU_LAYER_COUNT] = {6, 2, 2, 4, 4, 4};

#define INTENSITY_PER_S 0.25 /* easing rate: 0 -> 1 in 4 s */
#define TEMPO_GLIDE_S 2.0

static bool layer_on(const au_params *p, int l)
{
    /* the chimes belong to the melody: they follow its switch; a piece
     * plays only the layers it has */
    const au_piece *pc = au_piece_get(p->piece);
    return p->layers[l] && (l != AU_LAYER_BELLS || p->layers[AU_LAYER_MELODY]) &&
           (!pc || pc->layer[l].on);
}

static void stash_push(au_composer *c, const au_event *e)
{
    if (c->stash_n >= AU_COMPOSER_STASH) return; /* cannot happen: see sizes */
    c->stash[(c->stash_head + c->stash_n) % AU_COMPOSER_STASH] = *e;
    c->stash_n++;
}

static au_event mk(int type, int64_t pos, double beat)
{
    au_event e;
    memset(&e, 0, sizeof e);
    e.type = (uint8_t)type;
    e.pos = pos;
    e.beat = beat;
    return e;
}

static void off_event(au_composer *c, int layer, int note, int64_t pos,
                      double beat)
{
    au_event e = mk(AU_EV_NOTE_OFF, pos, beat);
    e.layer = (uint8_t)layer;
    e.note = (uint8_t)note;
    stash_push(c, &e);
}

static void release_layer(au_composer *c, int l, int64_t pos, double beat)
{
    for (int i = 0; i < c->nsounding[l]; i++)
        off_event(c, l, c->sounding[l][i].note, pos, beat);
    c->nsounding[l] = 0;
    c->epoch[l]++;
}

static void remove_slot(au_composer *c, int l, int i)
{
    c->sounding[l][i] = c->sounding[l][--c->nsounding[l]];
}

/* one queued item becomes 0..3 emitted events */
static void emit_item(au_composer *c, const au_score_item *it, int64_t pos)
{
    au_event e = it->ev;
    e.pos = pos;
    e.beat = it->beat;
    int l = e.layer < AU_LAYER_COUNT ? e.layer : 0;
    switch (e.type) {
    case AU_EV_NOTE_ON: {
        if (!layer_on(&c->live, l) || it->id < c->drop_below[l]) return;
        if (c->end_pos > 0 && pos >= c->quiet_pos) return; /* the ending */
        for (int i = 0; i < c->nsounding[l]; i++)
            if (c->sounding[l][i].note == e.note) { /* never overlap a note */
                off_event(c, l, e.note, pos, e.beat);
                remove_slot(c, l, i);
                break;
            }
        if (c->nsounding[l] >= poly_limit[l]) {
            int old = 0;
            for (int i = 1; i < c->nsounding[l]; i++)
                if (c->sounding[l][i].order < c->sounding[l][old].order) old = i;
            off_event(c, l, c->sounding[l][old].note, pos, e.beat);
            remove_slot(c, l, old);
        }
        au_sounding *s = &c->sounding[l][c->nsounding[l]++];
        s->note = e.note;
        s->id = it->id;
        s->order = c->order++;
        stash_push(c, &e);
        return;
    }
    case AU_EV_NOTE_OFF:
        for (int i = 0; i < c->nsounding[l]; i++)
            if (c->sounding[l][i].note == e.note && c->sounding[l][i].id == it->id) {
                remove_slot(c, l, i);
                stash_push(c, &e);
                return;
            }
        return; /* already released */
    case AU_EV_INT_RELEASE:
        release_layer(c, l, pos, e.beat);
        c->drop_below[l] = it->id;
        return;
    default:
        stash_push(c, &e);
        return;
    }
}

/* the voicing without its root in lim[0]..lim[1] (the first such voice),
 * when at least two voices remain (piece.h: pad_rootless); the count */
static int rootless(const uint8_t *v, int n, int root, const uint8_t lim[2], uint8_t *out)
{
    int k = 0, drop = n < 3;
    for (int i = 0; i < n; i++) {
        if (!drop && v[i] >= lim[0] && v[i] <= lim[1] && v[i] % 12 == root % 12) {
            drop = 1;
            continue;
        }
        out[k++] = v[i];
    }
    return k;
}

static void push_key(au_composer *c, double beat)
{
    au_event e = mk(AU_EV_KEY, 0, beat);
    e.u.key.key = (uint8_t)c->key;
    e.u.key.mode = (uint8_t)c->mode;
    au_score_push(&c->score, beat, &e, 0);
}

static void generate_bar(au_composer *c)
{
    double beat = (double)c->bar * AU_BEATS_PER_BAR;
    int wk = c->want_key, wm = c->want_mode;
    if (au_conductor_bar(&c->cond, &c->score, c->bar, beat, c->tempo.bpm,
                         c->intensity, c->live.wander, c->key, c->mode, &wk, &wm)) {
        c->want_key = wk;
        c->want_mode = wm;
    }
    const au_piece *pc = au_piece_get(c->live.piece);
    double density = au_clampd(c->cond.density * pc->density, 0.0, 1.0);
    bool key_change = c->want_key != c->key || c->want_mode != c->mode;
    bool chord_new = false;
    if (c->bar >= c->chord_end_bar || (key_change && c->key_forced)) {
        if (key_change) {
            int ok = c->key, om = c->mode;
            c->key = c->want_key;
            c->mode = c->want_mode;
            au_harmony_pivot(&c->harm, ok, om, c->key, c->mode, density, &c->chord);
            push_key(c, beat);
            /* short-lived layers let go; pads and bass voice-lead */
            static const int rel[3] = {AU_LAYER_MELODY, AU_LAYER_BELLS,
                                       AU_LAYER_TEXTURES};
            for (int i = 0; i < 3; i++) {
                au_event r = mk(AU_EV_INT_RELEASE, 0, beat);
                r.layer = (uint8_t)rel[i];
                /* notes planned before this point are in the old key: the
                 * release also cancels those still to start */
                au_score_push(&c->score, beat, &r, c->score.next_id);
            }
        } else {
            /* the piece's harmony rules (composition.md, pieces.md) */
            float pull = (float)(pc->tonic_pull[0] +
                                 (pc->tonic_pull[1] - pc->tonic_pull[0]) * c->orch.tonic_u);
            au_harmony_next(&c->harm, c->key, c->mode, density, pull, &c->chord);
        }
        c->key_forced = false;
        int hb = au_harmony_bars(&c->harm, density, c->tempo.bpm, pc->home_hold);
        if (pc->harmonic_rhythm != 1.0f) /* the piece's harmonic rhythm */
            hb = (int)lround(hb * pc->harmonic_rhythm) < 1
                     ? 1 : (int)lround(hb * pc->harmonic_rhythm);
        c->chord_end_bar = c->bar + hb;
        int nv = au_clampi(c->chord.npcs + (density > 0.55), 3, 6);
        uint8_t v[6];
        /* the pads keep under the melody's register (it sings above them) */
        /* down to A#2 (117 Hz): a low voice on B2/C3 fills 110-140 Hz
         * between the bass (<= 110 Hz) and the pads (the long-term
         * spectrum had a hole there); never into the bass's register */
        int plo = 46 + (c->orch.reg_pads > 0 ? c->orch.reg_pads : 0),
            phi = 72 + c->orch.reg_pads;
        c->nvoicing = au_voice_lead(c->voicing, c->nvoicing, &c->chord, nv, plo, phi, v);
        memcpy(c->voicing, v, sizeof v);
        au_event e = mk(AU_EV_CHORD, 0, beat);
        e.u.chord.root = c->chord.root;
        e.u.chord.degree = (uint8_t)(c->chord.degree + 1);
        e.u.chord.ntones = (uint8_t)c->nvoicing;
        memcpy(e.u.chord.tones, c->voicing, (size_t)c->nvoicing);
        memcpy(e.u.chord.name, c->chord.name, sizeof e.u.chord.name);
        au_score_push(&c->score, beat, &e, 0);
        chord_new = true;
    }
    au_bar_ctx x;
    memset(&x, 0, sizeof x);
    x.bar = c->bar;
    x.beat = beat;
    x.bpm = c->tempo.bpm;
    x.intensity = c->intensity;
    x.density = density;
    x.reg_shift = c->cond.reg_shift + pc->reg_shift;
    x.key = c->key;
    x.mode = c->mode;
    x.scale = pc->pentatonic ? au_pentatonic_mask(c->key, c->mode)
                             : au_scale_mask(c->key, c->mode);
    x.chord = &c->chord;
    au_chord pch; /* a pentatonic piece's lines keep to chord tones in it */
    if (pc->pentatonic) {
        pch = c->chord;
        uint16_t m = pch.mask & x.scale;
        pch.mask = __builtin_popcount(m) >= 2 ? m : x.scale;
        x.chord = &pch;
    }
    x.voicing = c->voicing;
    x.nvoicing = c->nvoicing;
    x.chord_new = chord_new;
    x.orch = &c->orch;
    x.perc_on = c->cond.perc;
    x.pad_top = 0;
    for (int i = 0; i < c->nvoicing; i++)
        if (c->voicing[i] > x.pad_top) x.pad_top = c->voicing[i];
    x.reg_shift += c->orch.reg_melody;
    x.tenor = pc->bass_tenor;
    /* a piece may give a layer its own generator (piece.c); the seed's
     * orchestration decides which default-generator layers play */
#define RUN(lyr, fn, st)                                            \
    x.active = (pc->layer[lyr].gen != AU_GEN_DEFAULT || c->orch.use[lyr]) && \
               c->bar >= c->entry_bar[lyr];                         \
    x.epoch = c->epoch[lyr];                                        \
    switch (pc->layer[lyr].gen) {                                 \
    case AU_GEN_LOOPS: au_loops_bar(&c->loops, pc, &c->score, &x); break; \
    case AU_GEN_DRONE: au_drone_bar(&c->drone, pc, &c->score, &x); break; \
    case AU_GEN_PERC: au_ptex_bar(&c->ptex, pc, &c->score, &x); break;    \
    case AU_GEN_BOWED: au_bowed_bar(&c->bowed, pc, &c->score, &x); break;   \
    default: fn(st, &c->score, &x); break;                         \
    }
    if (pc->pad_voices || pc->pad_open) {
        /* a piece whose pads play the voicing their own way */
        uint8_t pv[6];
        x.nvoicing = au_piece_pad_voicing(pc, c->voicing, c->nvoicing, pv);
        x.voicing = pv;
        RUN(AU_LAYER_PADS, au_pads_bar, &c->pads)
        x.voicing = c->voicing;
        x.nvoicing = c->nvoicing;
    } else if (pc->pad_rootless[1] && density >= AU_BASS_PEDAL_DENSITY) {
        /* the bass plays the root: the pads leave out its low octave */
        uint8_t pv[6];
        x.nvoicing = rootless(c->voicing, c->nvoicing, c->chord.root, pc->pad_rootless, pv);
        x.voicing = pv;
        RUN(AU_LAYER_PADS, au_pads_bar, &c->pads)
        x.voicing = c->voicing;
        x.nvoicing = c->nvoicing;
    } else {
        RUN(AU_LAYER_PADS, au_pads_bar, &c->pads)
    }
    RUN(AU_LAYER_BASS, au_bass_bar, &c->bass)
    c->melody.clear_turns = pc->clear_turns;
    RUN(AU_LAYER_MELODY, au_melody_bar, &c->melody)
    RUN(AU_LAYER_TEXTURES, au_texture_bar, &c->texture)
    RUN(AU_LAYER_BELLS, au_bells_bar, &c->bells)
    RUN(AU_LAYER_PERCUSSION, au_perc_bar, &c->perc)
#undef RUN
    c->bar++;
}

int au_composer_init(au_composer *c, const au_params *p, int sample_rate)
{
    if (!c || !p || sample_rate < 8000 || sample_rate > 192000 || p->key < 0 ||
        p->key > 11 || p->mode < 0 || p->mode >= AU_MODE_COUNT ||
        !(p->bpm >= AU_BPM_MIN && p->bpm <= AU_BPM_MAX) ||
        !(p->intensity >= 0.0 && p->intensity <= 1.0) || !au_piece_get(p->piece))
        return AU_EINVAL;
    memset(c, 0, sizeof *c);
    c->params = *p;
    c->live = *p;
    c->rate = sample_rate;
    au_tempo_init(&c->tempo, sample_rate, p->bpm);
    c->intensity = p->intensity;
    c->cur_piece = p->piece;
    c->intensity_sent = -1;
    c->tempo_sent = p->bpm;
    c->key = c->want_key = p->key;
    c->mode = c->want_mode = p->mode;
    au_score_init(&c->score);
    /* one well-spread sub-seed per generator, each on its own stream */
    uint64_t x = p->seed;
    au_conductor_init(&c->cond, au_splitmix64(&x), p->key, p->mode);
    /* a piece may open with a rise (the default: its layers enter one by
     * one, so the opening grows from sparse to full, and its level with
     * it, the section level following density); else it opens calm */
    if (au_piece_get(p->piece)->open_rise) c->cond.first_type = AU_SEC_RISE;
    au_harmony_init(&c->harm, au_splitmix64(&x));
    au_pads_init(&c->pads, au_splitmix64(&x));
    au_bass_init(&c->bass, au_splitmix64(&x));
    au_melody_init(&c->melody, au_splitmix64(&x));
    au_texture_init(&c->texture, au_splitmix64(&x));
    au_bells_init(&c->bells, au_splitmix64(&x));
    au_perc_init(&c->perc, au_splitmix64(&x));
    au_loops_init(&c->loops, au_splitmix64(&x));
    au_drone_init(&c->drone, au_splitmix64(&x));
    au_ptex_init(&c->ptex, au_splitmix64(&x));
    /* seeded off the side, so the draws above stay as they were */
    au_bowed_init(&c->bowed, p->seed ^ 0x626f776564000000ull);
    /* the orchestration: layers, entries, registers, patches, cycles */
    au_orch o;
    au_orch_from_seed(&o, p->seed);
    au_composer_set_orch(c, &o);
    return 0;
}

const au_orch *au_composer_orch(const au_composer *c)
{
    return &c->orch;
}

void au_composer_set_orch(au_composer *c, const au_orch *o)
{
    c->orch = *o;
    /* layers enter one at a time at the orchestration's times */
    for (int l = 0; l < AU_LAYER_COUNT; l++) {
        double t = o->entry_s[l] > 0 ? o->entry_s[l] : 0.0;
        c->entry_bar[l] =
            (int64_t)ceil(au_beats(t, c->params.bpm) / AU_BEATS_PER_BAR - 1e-9);
    }
    c->cond.perc_prob = o->perc_prob;
}

static void apply_change(au_composer *c, const au_param_update *u)
{
    bool before[AU_LAYER_COUNT];
    for (int l = 0; l < AU_LAYER_COUNT; l++) before[l] = layer_on(&c->live, l);
    au_params_apply(&c->live, u);
    if (u->mask & AU_P_BPM) au_tempo_set(&c->tempo, c->live.bpm, TEMPO_GLIDE_S);
    if (u->mask & AU_P_INTENSITY) c->intensity_sent = -1; /* report at once */
    if ((u->mask & AU_P_PIECE) && u->v.piece != c->cur_piece) {
        /* a new piece: every layer lets go, then the engine re-routes the
         * instruments (the event follows the releases at this position) */
        int64_t tp = au_tempo_tick_pos(&c->tempo);
        for (int l = 0; l < AU_LAYER_COUNT; l++) {
            release_layer(c, l, tp, c->tempo.beat);
            au_event r = mk(AU_EV_INT_RELEASE, 0, c->tempo.beat);
            r.layer = (uint8_t)l;
            au_score_push(&c->score, c->tempo.beat, &r, c->score.next_id);
        }
        au_event e = mk(AU_EV_CONTROL, tp, c->tempo.beat);
        e.u.control.id = AU_CTL_PIECE;
        e.u.control.value = (float)u->v.piece;
        stash_push(c, &e);
        c->cur_piece = u->v.piece;
        c->loops.key = -1; /* loops start afresh in the new piece */
    }
    if (u->mask & (AU_P_KEY | AU_P_MODE)) {
        c->want_key = c->live.key;
        c->want_mode = c->live.mode;
        c->key_forced = true;
        au_conductor_set_home(&c->cond, c->live.key, c->live.mode);
    }
    int64_t pos = au_tempo_tick_pos(&c->tempo);
    for (int l = 0; l < AU_LAYER_COUNT; l++) {
        bool now = layer_on(&c->live, l);
        if (before[l] && !now) release_layer(c, l, pos, c->tempo.beat);
        else if (!before[l] && now) c->epoch[l]++; /* generators restart */
    }
}

static void start_tick(au_composer *c)
{
    au_tempo_advance(&c->tempo);
    int64_t pos = au_tempo_tick_pos(&c->tempo);
    double beat = c->tempo.beat;
    if (c->pending && pos >= c->pending_pos) {
        c->pending = false;
        apply_change(c, &c->pending_u);
    }
    double step = INTENSITY_PER_S * AU_TEMPO_TICK / c->rate;
    double target = c->live.intensity;
    if (fabs(target - c->intensity) <= step) c->intensity = target;
    else c->intensity += target > c->intensity ? step : -step;
    if (c->tempo.tick == 0) {
        au_event e = mk(AU_EV_KEY, 0, 0.0);
        e.u.key.key = (uint8_t)c->key;
        e.u.key.mode = (uint8_t)c->mode;
        stash_push(c, &e);
        e = mk(AU_EV_TEMPO, 0, 0.0);
        e.u.tempo.bpm = c->tempo.bpm;
        stash_push(c, &e);
        c->tempo_sent = c->tempo.bpm;
        c->tempo_sent_beat = 0;
    } else if (c->tempo.bpm != c->tempo_sent &&
               (c->tempo.glide_left == 0 ||
                (fabs(c->tempo.bpm - c->tempo_sent) >= 0.05 &&
                 beat - c->tempo_sent_beat >= 0.125))) {
        au_event e = mk(AU_EV_TEMPO, pos, beat);
        e.u.tempo.bpm = c->tempo.bpm;
        stash_push(c, &e);
        c->tempo_sent = c->tempo.bpm;
        c->tempo_sent_beat = beat;
    }
    if (fabs(c->intensity - c->intensity_sent) >= 0.01 ||
        (c->intensity == target && c->intensity != c->intensity_sent)) {
        au_event e = mk(AU_EV_CONTROL, pos, beat);
        e.u.control.id = AU_CTL_INTENSITY;
        e.u.control.value = (float)c->intensity;
        stash_push(c, &e);
        c->intensity_sent = c->intensity;
    }
    if (c->end_pos > 0 && !c->end_released && pos >= c->quiet_pos) {
        /* the ending: everything lets go, the reverb rings */
        for (int l = 0; l < AU_LAYER_COUNT; l++) release_layer(c, l, pos, beat);
        c->end_released = true;
    }
    double end = au_tempo_end_beat(&c->tempo);
    while ((double)c->bar * AU_BEATS_PER_BAR < end) generate_bar(c);
}

void au_composer_set(au_composer *c, const au_param_update *u)
{
    au_params_apply(&c->params, u);
    if (c->pending) { /* same boundary: merge */
        au_params_apply(&c->pending_u.v, u);
        c->pending_u.mask |= u->mask;
        return;
    }
    c->pending = true;
    c->pending_pos = c->pos;
    c->pending_u = *u;
}

int au_composer_next(au_composer *c, int64_t until, au_event *ev)
{
    for (;;) {
        if (c->stash_n) {
            const au_event *e = &c->stash[c->stash_head];
            if (e->pos >= until) break;
            *ev = *e;
            c->stash_head = (c->stash_head + 1) % AU_COMPOSER_STASH;
            c->stash_n--;
            return 1;
        }
        const au_score_item *top = au_score_top(&c->score);
        if (c->tempo.tick >= 0 && top && top->beat < au_tempo_end_beat(&c->tempo)) {
            int64_t p = au_tempo_pos_of(&c->tempo, top->beat);
            if (p >= until) break;
            au_score_item it;
            au_score_pop(&c->score, &it);
            emit_item(c, &it, p);
            continue;
        }
        if ((c->tempo.tick + 1) * AU_TEMPO_TICK >= until) break;
        start_tick(c);
    }
    if (until > c->pos) c->pos = until;
    return 0;
}

int au_composer_finish(au_composer *c, au_event *ev)
{
    for (int l = 0; l < AU_LAYER_COUNT; l++)
        if (c->nsounding[l]) {
            int64_t tp = c->tempo.tick < 0 ? 0 : au_tempo_tick_pos(&c->tempo);
            double beat = c->tempo.beat +
                          (double)(c->pos - tp) * c->tempo.bpm / (60.0 * c->rate);
            au_sounding *s = &c->sounding[l][--c->nsounding[l]];
            *ev = mk(AU_EV_NOTE_OFF, c->pos, beat < c->tempo.beat ? c->tempo.beat : beat);
            ev->layer = (uint8_t)l;
            ev->note = s->note;
            return 1;
        }
    return 0;
}

int64_t au_composer_set_end(au_composer *c, int64_t end)
{
    double bar_s = AU_BEATS_PER_BAR * 60.0 / c->params.bpm;
    double tail = 2.0 * bar_s < 10.0 ? 10.0 : 2.0 * bar_s;
    double len = (double)end / c->rate;
    if (tail > len / 3.0) tail = len / 3.0;
    c->end_pos = end > 0 ? end : 0;
    c->quiet_pos = end - (int64_t)(tail * c->rate);
    if (c->quiet_pos < 0) c->quiet_pos = 0;
    return c->quiet_pos;
}

const au_params *au_composer_params(const au_composer *c)
{
    return &c->params;
}

int64_t au_composer_position(const au_composer *c)
{
    return c->pos;
}
