#include "midi.h"

#include "compose/piece.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/au.h"

typedef struct {
    uint8_t *data;
    size_t len, cap;
    uint32_t last_tick;
} buf;

#define NTRACKS (AU_LAYER_COUNT + 1) /* track 0: conductor */

struct au_midi_writer {
    buf tracks[NTRACKS];
    buf file;
    int ok;
    uint16_t sounding[AU_LAYER_COUNT][128]; /* note-on count per note */
    uint32_t last_tick;
    double last_bpm;
    int piece; /* the piece playing: programs, register, velocity curve */
    uint64_t seed; /* picks the pieces' patch variants */
    double origin; /* beat of tick 0 (au_midi_set_origin) */
    /* au_midi_set_clock: the tempo map follows the events' sample
     * positions. The file's time at tick x >= seg_tick is seg_s +
     * (x - seg_tick) * cur_us / PPQ / 1e6. */
    int rate;
    int64_t clock_origin;
    uint32_t seg_tick;
    double seg_s;
    uint32_t cur_us;
};

/* channel and General MIDI program (0-based) per layer */
static const struct { uint8_t channel, program; const char *name; } layer_gm[AU_LAYER_COUNT] = {
    [AU_LAYER_PADS] = {0, 89, "Pads"},          /* Pad 2 (warm) */
    [AU_LAYER_MELODY] = {1, 75, "Melody"},      /* Pan Flute */
    [AU_LAYER_BASS] = {2, 38, "Bass"},          /* Synth Bass 1 */
    [AU_LAYER_PERCUSSION] = {9, 0, "Percussion"}, /* GM drums: channel 10 */
    [AU_LAYER_TEXTURES] = {3, 92, "Textures"},  /* Pad 5 (bowed) */
    [AU_LAYER_BELLS] = {4, 14, "Bells"},        /* Tubular Bells */
};

static void program(au_midi_writer *w, int l, uint32_t tick);

static int put(au_midi_writer *w, buf *b, const void *p, size_t n)
{
    if (!w->ok) return -1;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n) cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d) {
            w->ok = 0;
            return -1;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static void put_vlq(au_midi_writer *w, buf *b, uint32_t v)
{
    uint8_t tmp[5];
    int n = 0;
    tmp[n++] = v & 0x7f;
    while (v >>= 7) tmp[n++] = (uint8_t)(0x80 | (v & 0x7f));
    for (int i = n - 1; i >= 0; i--) put(w, b, &tmp[i], 1);
}

static void delta(au_midi_writer *w, buf *b, uint32_t tick)
{
    if (tick < b->last_tick) tick = b->last_tick; /* never negative */
    put_vlq(w, b, tick - b->last_tick);
    b->last_tick = tick;
}

static void meta(au_midi_writer *w, buf *b, uint32_t tick, uint8_t type,
                 const void *data, uint32_t len)
{
    delta(w, b, tick);
    uint8_t h[2] = {0xff, type};
    put(w, b, h, 2);
    put_vlq(w, b, len);
    put(w, b, data, len);
}

static void text(au_midi_writer *w, buf *b, uint32_t tick, uint8_t type,
                 const char *s)
{
    meta(w, b, tick, type, s, (uint32_t)strlen(s));
}

static double file_s(const au_midi_writer *w, uint32_t tick)
{
    return w->seg_s + (double)(tick - w->seg_tick) * w->cur_us / AU_MIDI_PPQ * 1e-6;
}

static void tempo_us(au_midi_writer *w, uint32_t tick, uint32_t us)
{
    if (tick >= w->seg_tick) { /* the map so far, then the new tempo */
        w->seg_s = file_s(w, tick);
        w->seg_tick = tick;
    }
    w->cur_us = us;
    uint8_t d[3] = {(uint8_t)(us >> 16), (uint8_t)(us >> 8), (uint8_t)us};
    meta(w, &w->tracks[0], tick, 0x51, d, 3);
}

static void tempo(au_midi_writer *w, uint32_t tick, double bpm)
{
    tempo_us(w, tick, (uint32_t)lround(60000000.0 / bpm));
}

/* Clock mode: the tick at which an event that sounded at sample pos
 * plays through the file's tempo map (the composer's tempo events, placed
 * the same way). The composer's beats follow its tempo glides continuously
 * and its notes carry timing nuances in their positions, so ticks from beats
 * drift from the audio by up to several milliseconds; ticks from positions
 * put every event within half a tick of when it sounded. */
static uint32_t clock_tick(const au_midi_writer *w, int64_t pos)
{
    double t = (double)(pos - w->clock_origin) / w->rate;
    double x = w->seg_tick + (t - w->seg_s) * 1e6 * AU_MIDI_PPQ / w->cur_us;
    if (!(x > 0)) return 0;
    x = floor(x + 0.5);
    return x > 4.0e9 ? 4000000000u : (uint32_t)x;
}

void au_midi_key_signature(int key, int mode, int *sf, int *minor)
{
    /* semitones from the relative major's tonic up to the mode's tonic */
    static const int offset[AU_MODE_COUNT] = {0, 2, 4, 5, 7, 9, 11};
    /* sharps/flats of each major key, by tonic pitch class (flat spellings
     * for Db, Eb, Gb, Ab, Bb; F# rather than Gb) */
    static const int major_sf[12] = {0, -5, 2, -3, 4, -1, 6, 1, -4, 3, -2, 5};
    int m = (mode >= 0 && mode < AU_MODE_COUNT) ? mode : 0;
    int major = ((key - offset[m]) % 12 + 12) % 12;
    *sf = major_sf[major];
    *minor = (m == AU_MODE_AEOLIAN);
}

static void keysig(au_midi_writer *w, uint32_t tick, int key, int mode)
{
    int sf, minor;
    au_midi_key_signature(key, mode, &sf, &minor);
    uint8_t d[2] = {(uint8_t)(int8_t)sf, (uint8_t)minor};
    meta(w, &w->tracks[0], tick, 0x59, d, 2);
    char name[48];
    snprintf(name, sizeof name, "key %s %s", au_key_name(key), au_mode_name(mode));
    text(w, &w->tracks[0], tick, 0x06, name); /* marker */
}

int au_midi_create(au_midi_writer **out, const au_params *p)
{
    au_midi_writer *w = calloc(1, sizeof *w);
    if (!w) return AU_ENOMEM;
    w->ok = 1;
    buf *c = &w->tracks[0];
    char title[128];
    snprintf(title, sizeof title, "Auralis seed %llu", (unsigned long long)p->seed);
    text(w, c, 0, 0x03, title);
    uint8_t ts[4] = {4, 2, 24, 8}; /* 4/4 */
    meta(w, c, 0, 0x58, ts, 4);
    w->last_bpm = p->bpm;
    tempo(w, 0, p->bpm);
    keysig(w, 0, p->key, p->mode);
    w->piece = au_piece_get(p->piece) ? p->piece : AU_PIECE_DRIFT;
    w->seed = p->seed;
    for (int l = 0; l < AU_LAYER_COUNT; l++) {
        buf *b = &w->tracks[l + 1];
        text(w, b, 0, 0x03, layer_gm[l].name);
        program(w, l, 0);
        if (p->volume[l] != 1.0) au_midi_volume(w, l, 0.0, p->volume[l]);
    }
    if (!w->ok) {
        au_midi_destroy(w);
        return AU_ENOMEM;
    }
    *out = w;
    return 0;
}

void au_midi_destroy(au_midi_writer *w)
{
    if (!w) return;
    for (int i = 0; i < NTRACKS; i++) free(w->tracks[i].data);
    free(w->file.data);
    free(w);
}

/* The layer's General MIDI program in the piece playing: its SoundFont
 * program, else the program nearest Auralis's own instrument. */
static void program(au_midi_writer *w, int l, uint32_t tick)
{
    const au_piece_layer *pl = &au_piece_get(w->piece)->layer[l];
    buf *b = &w->tracks[l + 1];
    delta(w, b, tick);
    uint8_t pc[2] = {(uint8_t)(0xc0 | layer_gm[l].channel),
                     pl->sf ? (uint8_t)au_piece_program(pl, l, w->seed)
                            : layer_gm[l].program};
    put(w, b, pc, 2);
}

static uint32_t beat_tick(double beat)
{
    if (!(beat > 0)) return 0;
    double t = floor(beat * AU_MIDI_PPQ + 0.5);
    return t > 4.0e9 ? 4000000000u : (uint32_t)t;
}

static void note(au_midi_writer *w, int layer, uint32_t tick, int on, int n,
                 int vel)
{
    buf *b = &w->tracks[layer + 1];
    delta(w, b, tick);
    uint8_t m[3] = {(uint8_t)((on ? 0x90 : 0x80) | layer_gm[layer].channel),
                    (uint8_t)n, (uint8_t)(on ? vel : 64)};
    put(w, b, m, 3);
}

void au_midi_set_origin(au_midi_writer *w, double beat)
{
    w->origin = beat;
}

void au_midi_set_clock(au_midi_writer *w, int rate, int64_t origin_pos)
{
    w->rate = rate;
    w->clock_origin = origin_pos;
}

static int volume_cc(au_midi_writer *w, int layer, uint32_t tick, double volume)
{
    if (layer < 0 || layer >= AU_LAYER_COUNT) return AU_EINVAL;
    double v = volume < 0 ? 0 : volume > 1 ? 1 : volume;
    buf *b = &w->tracks[layer + 1];
    delta(w, b, tick);
    uint8_t m[3] = {(uint8_t)(0xb0 | layer_gm[layer].channel), 7,
                    (uint8_t)lround(127.0 * sqrt(v))};
    put(w, b, m, 3);
    return w->ok ? 0 : AU_ENOMEM;
}

int au_midi_volume(au_midi_writer *w, int layer, double beat, double volume)
{
    return volume_cc(w, layer, beat_tick(beat - w->origin), volume);
}

int au_midi_volume_at(au_midi_writer *w, int layer, int64_t pos, double volume)
{
    if (w->rate <= 0) return AU_ESTATE;
    return volume_cc(w, layer, clock_tick(w, pos), volume);
}

int au_midi_add(au_midi_writer *w, const au_event *ev)
{
    uint32_t tick = w->rate > 0 ? clock_tick(w, ev->pos)
                                : beat_tick(ev->beat - w->origin);
    if (tick < w->last_tick) tick = w->last_tick;
    w->last_tick = tick;
    switch (ev->type) {
    case AU_EV_NOTE_ON:
    case AU_EV_NOTE_OFF: {
        if (ev->layer >= AU_LAYER_COUNT || ev->note > 127) break;
        /* as the piece's instrument plays it (register, velocity curve) */
        const au_piece_layer *pl = &au_piece_get(w->piece)->layer[ev->layer];
        int n = au_piece_note(pl, ev->note);
        uint16_t *count = &w->sounding[ev->layer][n];
        if (ev->type == AU_EV_NOTE_ON) {
            int vel = au_piece_vel(pl, ev->vel < 1 ? 1 : ev->vel > 127 ? 127 : ev->vel);
            /* A second note-on of a sounding note would leave one note-off
             * unmatched in most readers: close the first. */
            if (*count) note(w, ev->layer, tick, 0, n, 0);
            note(w, ev->layer, tick, 1, n, vel);
            *count = 1;
        } else if (*count) {
            note(w, ev->layer, tick, 0, n, 0);
            *count = 0;
        }
        break;
    }
    case AU_EV_CONTROL:
        if (ev->u.control.id == AU_CTL_PIECE &&
            au_piece_get((int)ev->u.control.value) &&
            (int)ev->u.control.value != w->piece) {
            /* the composer released every note just before this */
            w->piece = (int)ev->u.control.value;
            for (int l = 0; l < AU_LAYER_COUNT; l++) program(w, l, tick);
        }
        break;
    case AU_EV_TEMPO:
        if (ev->u.tempo.bpm >= AU_BPM_MIN * 0.5 && ev->u.tempo.bpm <= AU_BPM_MAX * 2 &&
            fabs(ev->u.tempo.bpm - w->last_bpm) > 1e-9) {
            tempo(w, tick, ev->u.tempo.bpm);
            w->last_bpm = ev->u.tempo.bpm;
        }
        break;
    case AU_EV_KEY:
        if (tick > 0) keysig(w, tick, ev->u.key.key, ev->u.key.mode);
        break;
    case AU_EV_CHORD: {
        char s[32];
        snprintf(s, sizeof s, "%.16s", ev->u.chord.name);
        text(w, &w->tracks[0], tick, 0x01, s); /* text event: chord symbol */
        break;
    }
    case AU_EV_SECTION: {
        char s[48];
        snprintf(s, sizeof s, "section %u %.16s", ev->u.section.index,
                 ev->u.section.name);
        text(w, &w->tracks[0], tick, 0x06, s);
        break;
    }
    default: break;
    }
    return w->ok ? 0 : AU_ENOMEM;
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);  p[3] = (uint8_t)v;
}

const uint8_t *au_midi_bytes(au_midi_writer *w, double end_beat, size_t *len)
{
    uint32_t end = beat_tick(end_beat);
    if (end < w->last_tick) end = w->last_tick;
    /* Close what still sounds, then end every track: work on copies so that
     * the writer can still be fed or asked again. */
    buf *f = &w->file;
    f->len = 0;
    uint8_t hdr[14] = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1, 0, NTRACKS,
                       AU_MIDI_PPQ >> 8, AU_MIDI_PPQ & 0xff};
    put(w, f, hdr, sizeof hdr);
    for (int t = 0; t < NTRACKS; t++) {
        buf tail = {0};
        tail.last_tick = w->tracks[t].last_tick;
        if (t > 0) {
            int layer = t - 1;
            for (int n = 0; n < 128; n++)
                if (w->sounding[layer][n]) {
                    put_vlq(w, &tail, end - tail.last_tick);
                    tail.last_tick = end;
                    uint8_t m[3] = {(uint8_t)(0x80 | layer_gm[layer].channel),
                                    (uint8_t)n, 64};
                    put(w, &tail, m, 3);
                }
        }
        put_vlq(w, &tail, end > tail.last_tick ? end - tail.last_tick : 0);
        uint8_t eot[3] = {0xff, 0x2f, 0x00};
        put(w, &tail, eot, 3);
        uint8_t th[8] = {'M', 'T', 'r', 'k'};
        be32(th + 4, (uint32_t)(w->tracks[t].len + tail.len));
        put(w, f, th, 8);
        put(w, f, w->tracks[t].data, w->tracks[t].len);
        put(w, f, tail.data, tail.len);
        free(tail.data);
    }
    if (!w->ok) return NULL;
    *len = f->len;
    return f->data;
}

int au_midi_write(au_midi_writer *w, double end_beat, const char *path)
{
    size_t len = 0;
    const uint8_t *d = au_midi_bytes(w, end_beat, &len);
    if (!d) return AU_ENOMEM;
    FILE *fp = fopen(path, "wb");
    if (!fp) return AU_EIO;
    size_t n = fwrite(d, 1, len, fp);
    int rc = fclose(fp);
    if (n != len || rc != 0) {
        remove(path);
        return AU_EIO;
    }
    return 0;
}
