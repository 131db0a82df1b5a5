#include "server/stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/au.h"

au_stream *au_stream_create(uint64_t id, const au_params *p, int rate,
                            int prefill, int64_t t0_ns)
{
    au_stream *s = aligned_alloc(64, (sizeof *s + 63) / 64 * 64);
    if (!s) return NULL;
    memset(s, 0, sizeof *s);
    s->id = id;
    s->rate = rate;
    s->frames = rate / 10; /* 100 ms exactly at 48000 and 44100 */
    s->pacer.t0_ns = t0_ns;
    s->pacer.chunk_ns = 100000000;
    s->pacer.prefill = prefill;
    s->init = *p;
    s->shown = *p;
    size_t frame_bytes = AU_WIRE_HEADER_BYTES + (size_t)s->frames * 2 * 2;
    /* [text frames, right-aligned in AU_CHUNK_TEXT][4-byte WebSocket
     * binary header][frame]: the wire is contiguous whatever the texts */
    size_t head = AU_WIRE_PRE + AU_CHUNK_TEXT + 4;
    size_t stride = (head + frame_bytes + 63) / 64 * 64;
    s->slots = calloc(AU_STREAM_SLOTS, sizeof *s->slots);
    s->audio = calloc(AU_STREAM_SLOTS, stride);
    s->fbuf = calloc((size_t)s->frames * 2, sizeof *s->fbuf);
    if (!s->slots || !s->audio || !s->fbuf) {
        au_stream_free(s);
        return NULL;
    }
    for (int i = 0; i < AU_STREAM_SLOTS; i++) {
        unsigned char *f = s->audio + (size_t)i * stride + head;
        s->slots[i].frame = f;
        s->slots[i].frame_bytes = frame_bytes;
        /* FIN + binary, 16-bit length (a chunk is < 64 KiB at any rate) */
        f[-4] = 0x82;
        f[-3] = 126;
        f[-2] = (unsigned char)(frame_bytes >> 8);
        f[-1] = (unsigned char)(frame_bytes & 0xff);
        s->slots[i].wire = f - 4;
        s->slots[i].wire_len = frame_bytes + 4;
    }
    atomic_init(&s->head, 0);
    atomic_init(&s->tail, 0);
    atomic_init(&s->mp3enc, NULL);
    atomic_init(&s->mp3_from, INT64_MAX);
    s->http_min = INT64_MAX;
    atomic_init(&s->prep, AU_PREP_NONE);
    atomic_init(&s->cancel, 0);
    au_timeline_init(&s->timeline, p, AU_TIMELINE_MAX);
    au_timeline_init(&s->future, p, AU_TIMELINE_MAX);
    /* the whole bound now: au_stream_record (service thread, every pump)
     * then never reallocates; untouched entries cost no memory (lazily
     * mapped pages). Full: later changes play but are not recorded. */
    if (au_timeline_reserve(&s->timeline, AU_TIMELINE_MAX)) {
        au_stream_free(s);
        return NULL;
    }
    atomic_init(&s->state, AU_STREAM_NEW);
    au_spsc_init(&s->sets, s->set_items, sizeof s->set_items[0],
                 AU_STREAM_SETS);
    return s;
}

/* [texts, right-aligned in AU_CHUNK_TEXT][4-byte WebSocket header][frame]
 * as for pcm16; the Ogg page buffer holds one page of five packets */
#define OPUS_HEAD (AU_WIRE_PRE + AU_CHUNK_TEXT + 4)
#define OGG_PAGE_CAP(frames) (AU_OPUS_CHUNK_MAX(frames) + 27 + 255)

int au_stream_enable_opus(au_stream *s, int bitrate, bool ogg,
                          const char *title)
{
    if (s->rate != AU_OPUS_RATE || s->frames % AU_OPUS_FRAME) return AU_EINVAL;
    au_opus_config oc = au_opus_config_default();
    oc.bitrate = bitrate;
    int r = au_opus_enc_init(&s->enc, &oc);
    if (r) return r;
    s->opus = true;
    size_t fmax = AU_WIRE_HEADER_BYTES + AU_OPUS_CHUNK_MAX(s->frames);
    size_t stride = (OPUS_HEAD + fmax + 63) / 64 * 64;
    s->oaudio = calloc(AU_STREAM_SLOTS, stride);
    if (!s->oaudio) return AU_ENOMEM;
    size_t ostride = (AU_WIRE_PRE + OGG_PAGE_CAP(s->frames) + 63) / 64 * 64;
    if (ogg) {
        /* the tags an Icecast mount shows too (icecast.c publishes these
         * very pages): what plays, and from which seed */
        char t_title[128], t_desc[160], t_seed[64], t_station[64];
        snprintf(t_title, sizeof t_title, "TITLE=%s: %s %s, %g bpm", title,
                 au_key_name(s->init.key), au_mode_name(s->init.mode),
                 s->init.bpm);
        snprintf(t_desc, sizeof t_desc,
                 "COMMENT=generative ambient music, seed %llu",
                 (unsigned long long)s->init.seed);
        snprintf(t_seed, sizeof t_seed, "AURALIS_SEED=%llu",
                 (unsigned long long)s->init.seed);
        snprintf(t_station, sizeof t_station, "AURALIS_STATION=%s", title);
        const char *tags[] = {t_title, "ARTIST=Auralis", t_desc, t_seed,
                              t_station, NULL};
        uint32_t serial = (uint32_t)(s->init.seed ^ (s->init.seed >> 32) ^
                                     (s->id * 0x9E3779B9u));
        r = au_ogg_opus_init(&s->ogg, serial, s->enc.preskip, AU_OPUS_RATE,
                             tags);
        if (r) return r;
        s->ogg_on = true;
        s->oggbuf = calloc(AU_STREAM_SLOTS, ostride);
        if (!s->oggbuf) return AU_ENOMEM;
    }
    for (int i = 0; i < AU_STREAM_SLOTS; i++) {
        au_chunk *c = &s->slots[i];
        c->oframe = s->oaudio + (size_t)i * stride + OPUS_HEAD;
        c->owire = c->oframe - 4;
        if (ogg) c->ogg = s->oggbuf + (size_t)i * ostride + AU_WIRE_PRE;
    }
    return 0;
}

int au_stream_enable_mp3(au_stream *s, int kbps)
{
    if (atomic_load_explicit(&s->mp3enc, memory_order_relaxed)) return 0;
    size_t stride = (AU_WIRE_PRE + AU_MP3_CHUNK_MAX(s->frames) + 63) / 64 * 64;
    if (!s->mp3buf) {
        s->mp3buf = calloc(AU_STREAM_SLOTS, stride);
        if (!s->mp3buf) return AU_ENOMEM;
    }
    au_mp3 *m;
    int r = au_mp3_create(&m, s->rate, kbps);
    if (r) return r;
    for (int i = 0; i < AU_STREAM_SLOTS; i++)
        s->slots[i].mp3 = s->mp3buf + (size_t)i * stride + AU_WIRE_PRE;
    atomic_store_explicit(&s->mp3enc, m, memory_order_release);
    return 0;
}

void au_stream_free(au_stream *s)
{
    if (!s) return;
    au_mp3_destroy(atomic_load(&s->mp3enc));
    free(s->mp3buf);
    if (s->engine) au_engine_destroy(s->engine);
    if (s->opus) au_opus_enc_deinit(&s->enc);
    if (s->ogg_on) au_ogg_opus_deinit(&s->ogg);
    free(s->oaudio);
    free(s->oggbuf);
    au_timeline_deinit(&s->timeline);
    au_timeline_deinit(&s->future);
    free(s->slots);
    free(s->audio);
    free(s->fbuf);
    free(s);
}

void au_stream_start_at(au_stream *s, int64_t k0)
{
    s->first = k0;
    s->recorded = k0;
    atomic_store_explicit(&s->head, k0, memory_order_relaxed);
    atomic_store_explicit(&s->tail, k0, memory_order_relaxed);
}

int au_stream_prepare(au_stream *s, const au_timeline *t)
{
    int r = au_engine_create(&s->engine, &s->init, s->rate);
    if (r) {
        s->engine = NULL;
        return r;
    }
    au_engine_thread_init();
    au_dither_init(&s->dither, s->init.seed);
    int64_t end = s->first * s->frames;
    int next = 0;
    /* fbuf holds one chunk; the PCM goes to the chunk ring's first slot,
     * which the stream overwrites anyway (the dither must advance exactly
     * as it did while streaming) */
    unsigned char *scratch = s->slots[0].frame + AU_WIRE_HEADER_BYTES;
    for (int64_t pos = 0; pos < end; pos += s->frames) {
        if (atomic_load_explicit(&s->cancel, memory_order_relaxed))
            return AU_ESTATE;
        au_timeline_render(s->engine, t, &next, s->fbuf, s->frames);
        au_pcm16_convert_le(&s->dither, s->fbuf, scratch,
                            (size_t)s->frames * 2);
        /* events are not sent for frames nobody hears */
        au_event ev;
        while (au_engine_poll_event(s->engine, &ev)) {}
    }
    return 0;
}

int au_stream_start(au_stream *s)
{
    if (s->engine) { /* prepared (resumed): already at its first frame */
        atomic_store_explicit(&s->state, AU_STREAM_RUNNING,
                              memory_order_release);
        return 0;
    }
    int r = au_engine_create(&s->engine, &s->init, s->rate);
    if (r) {
        s->engine = NULL;
        atomic_store_explicit(&s->state, AU_STREAM_FAILED,
                              memory_order_release);
        return r;
    }
    /* the same dither seeding as `auralis render`: bit-identical output */
    au_dither_init(&s->dither, s->init.seed);
    atomic_store_explicit(&s->state, AU_STREAM_RUNNING, memory_order_release);
    return 0;
}

typedef struct {
    unsigned char buf[AU_CHUNK_TEXT];
    size_t len;
    int n;
} texts_t;

/* Appends one text message as a complete WebSocket frame (FIN + text). */
static void add_msg(au_stream *s, texts_t *t, const char *text, int n)
{
    if (n <= 0) return;
    size_t hdr = n < 126 ? 2 : 4;
    if (t->len + hdr + (size_t)n > sizeof t->buf) {
        s->events_dropped++;
        return;
    }
    unsigned char *p = t->buf + t->len;
    p[0] = 0x81;
    if (hdr == 2) {
        p[1] = (unsigned char)n;
    } else {
        p[1] = 126;
        p[2] = (unsigned char)(n >> 8);
        p[3] = (unsigned char)(n & 0xff);
    }
    memcpy(p + hdr, text, (size_t)n);
    t->len += hdr + (size_t)n;
    t->n++;
}

/* Notes are bounded per chunk so a busy piece cannot flood a slow client:
 * at most AU_CHUNK_NOTES note_on per chunk (the rest are counted in
 * notes_dropped), and a note_off only for a note_on that was sent. */
static bool note_wanted(au_stream *s, const au_event *ev, int *non)
{
    if (ev->type != AU_EV_NOTE_ON && ev->type != AU_EV_NOTE_OFF) return true;
    if (ev->layer >= AU_LAYER_COUNT || ev->note > 127) return false;
    uint64_t *w = &s->notes_on[ev->layer][ev->note >> 6];
    uint64_t bit = 1ull << (ev->note & 63);
    if (ev->type == AU_EV_NOTE_OFF) {
        if (!(*w & bit)) return false;
        *w &= ~bit;
        return true;
    }
    if (*non >= AU_CHUNK_NOTES) {
        s->notes_dropped++;
        return false;
    }
    (*non)++;
    *w |= bit;
    return true;
}

/* The chunk's floats as five 20 ms Opus packets (the codec-1 frame) and,
 * for stations, one Ogg page. Encodes the floats, not the dithered pcm16,
 * exactly as `auralis render x.opus` does. */
static void encode_opus(au_stream *s, au_chunk *c, au_wire_header *h)
{
    uint16_t lens[AU_STREAM_MAX_PACKETS];
    unsigned char *payload = c->oframe + AU_WIRE_HEADER_BYTES;
    int n = au_opus_enc_chunk(&s->enc, s->fbuf, s->frames, payload,
                              AU_OPUS_CHUNK_MAX(s->frames), lens);
    if (n < 0) { /* cannot happen with valid input; keep the stream going */
        s->opus_failed++;
        n = 0;
    }
    h->codec = AU_CODEC_OPUS;
    au_wire_header_write(c->oframe, h);
    size_t fb = AU_WIRE_HEADER_BYTES + (size_t)n;
    c->oframe_bytes = fb;
    /* FIN + binary, 16-bit length (at most ~6.4 KB) */
    c->oframe[-4] = 0x82;
    c->oframe[-3] = 126;
    c->oframe[-2] = (unsigned char)(fb >> 8);
    c->oframe[-1] = (unsigned char)(fb & 0xff);
    if (!s->ogg_on) return;
    c->ogg_len = 0;
    if (n == 0) return;
    size_t off = 0;
    for (int i = 0; i < s->frames / AU_OPUS_FRAME; i++) {
        au_ogg_opus_add(&s->ogg, payload + off + 2, lens[i], AU_OPUS_FRAME,
                        false, -1);
        off += 2 + (size_t)lens[i];
    }
    int g = au_ogg_opus_flush(&s->ogg, c->ogg, OGG_PAGE_CAP(s->frames));
    c->ogg_len = g > 0 ? (size_t)g : 0;
}

void au_stream_render_next(au_stream *s)
{
    int64_t k = atomic_load_explicit(&s->head, memory_order_relaxed);
    au_chunk *c = au_stream_chunk(s, k);
    int64_t pos = k * s->frames;
    c->pos = pos;
    c->seq = (uint32_t)k;
    texts_t t;
    t.len = 0;
    t.n = 0;
    char text[1024];

    /* changes apply at this chunk boundary: the position a client is told in
     * "applies_at" and that `auralis render --change` replays */
    au_param_update u;
    uint32_t changed = 0;
    while (s->future_next < s->future.n &&
           s->future.v[s->future_next].pos <= pos) {
        const au_param_update *f = &s->future.v[s->future_next++].u;
        au_engine_set(s->engine, f);
        changed |= f->mask;
    }
    while (au_spsc_pop(&s->sets, &u)) {
        au_engine_set(s->engine, &u);
        changed |= u.mask;
    }
    c->params = *au_engine_params(s->engine);
    c->changed = changed;
    if (changed) {
        /* the timeline entry for this change, in the text form clients
         * keep to resume or share the performance: the composer merges
         * changes at one boundary, so one entry per chunk replays exactly */
        au_timeline_entry te = {pos, {changed, c->params}};
        char change[400];
        if (au_timeline_entry_format(&te, change, sizeof change) < 0)
            change[0] = '\0';
        add_msg(s, &t, text,
                au_wire_state_change_json(&c->params, pos, change, text,
                                          sizeof text));
    }

    au_engine_render(s->engine, s->fbuf, s->frames);
    au_pcm16_convert_le(&s->dither, s->fbuf, c->frame + AU_WIRE_HEADER_BYTES,
                        (size_t)s->frames * 2);
    au_wire_header h = {(uint32_t)k, pos, (uint32_t)s->frames, AU_CODEC_PCM16,
                        2};
    au_wire_header_write(c->frame, &h);
    if (s->opus) encode_opus(s, c, &h);
    au_mp3 *mp3 = atomic_load_explicit(&s->mp3enc, memory_order_acquire);
    if (mp3) {
        if (atomic_load_explicit(&s->mp3_from, memory_order_relaxed) > k)
            atomic_store_explicit(&s->mp3_from, k, memory_order_release);
        int n = au_mp3_encode(mp3, s->fbuf, s->frames, c->mp3,
                              AU_MP3_CHUNK_MAX(s->frames));
        c->mp3_len = n > 0 ? (size_t)n : 0;
    }

    au_event ev;
    int non = 0;
    while (au_engine_poll_event(s->engine, &ev))
        if (note_wanted(s, &ev, &non))
            add_msg(s, &t, text, au_wire_event_json(&ev, text, sizeof text));

    /* texts right before the binary frame's header: one contiguous wire */
    c->wire = c->frame - 4 - t.len;
    memcpy(c->wire, t.buf, t.len);
    c->wire_len = t.len + 4 + c->frame_bytes;
    c->nmsg = t.n;
    if (s->opus) {
        c->owire = c->oframe - 4 - t.len;
        memcpy(c->owire, t.buf, t.len);
        c->owire_len = t.len + 4 + c->oframe_bytes;
    }

    atomic_store_explicit(&s->head, k + 1, memory_order_release);
}

void au_stream_stop(au_stream *s)
{
    if (s->engine) au_engine_destroy(s->engine);
    s->engine = NULL;
    atomic_store_explicit(&s->state, AU_STREAM_RELEASED, memory_order_release);
}

bool au_stream_push_set(au_stream *s, const au_param_update *u)
{
    return au_spsc_push(&s->sets, u);
}
