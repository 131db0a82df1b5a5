#include "server/stream.h"

#include <stdlib.h>
#include <string.h>

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
    size_t stride = (AU_WIRE_PRE + frame_bytes + 63) / 64 * 64;
    s->slots = calloc(AU_STREAM_SLOTS, sizeof *s->slots);
    s->audio = calloc(AU_STREAM_SLOTS, stride);
    s->fbuf = calloc((size_t)s->frames * 2, sizeof *s->fbuf);
    if (!s->slots || !s->audio || !s->fbuf) {
        au_stream_free(s);
        return NULL;
    }
    for (int i = 0; i < AU_STREAM_SLOTS; i++) {
        s->slots[i].frame = s->audio + (size_t)i * stride + AU_WIRE_PRE;
        s->slots[i].frame_bytes = frame_bytes;
    }
    atomic_init(&s->head, 0);
    atomic_init(&s->tail, 0);
    atomic_init(&s->state, AU_STREAM_NEW);
    au_spsc_init(&s->sets, s->set_items, sizeof s->set_items[0],
                 AU_STREAM_SETS);
    return s;
}

void au_stream_free(au_stream *s)
{
    if (!s) return;
    if (s->engine) au_engine_destroy(s->engine);
    free(s->slots);
    free(s->audio);
    free(s->fbuf);
    free(s);
}

int au_stream_start(au_stream *s)
{
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

static void add_msg(au_stream *s, au_chunk *c, const char *text, int n)
{
    if (n <= 0) return;
    if (c->nmsg >= AU_CHUNK_MSGS || n > AU_CHUNK_MSG_MAX) {
        s->events_dropped++;
        return;
    }
    memcpy(c->msg[c->nmsg] + AU_WIRE_PRE, text, (size_t)n);
    c->msglen[c->nmsg++] = (uint16_t)n;
}

void au_stream_render_next(au_stream *s)
{
    int64_t k = atomic_load_explicit(&s->head, memory_order_relaxed);
    au_chunk *c = au_stream_chunk(s, k);
    int64_t pos = k * s->frames;
    c->pos = pos;
    c->seq = (uint32_t)k;
    c->nmsg = 0;
    char text[AU_CHUNK_MSG_MAX];

    /* changes apply at this chunk boundary: the position a client is told in
     * "applies_at" and that `auralis render --change` replays */
    au_param_update u;
    bool changed = false;
    while (au_spsc_pop(&s->sets, &u)) {
        au_engine_set(s->engine, &u);
        changed = true;
    }
    c->params = *au_engine_params(s->engine);
    if (changed)
        add_msg(s, c, text,
                au_wire_state_json(&c->params, pos, text, sizeof text));

    au_engine_render(s->engine, s->fbuf, s->frames);
    au_pcm16_convert_le(&s->dither, s->fbuf, c->frame + AU_WIRE_HEADER_BYTES,
                        (size_t)s->frames * 2);
    au_wire_header h = {(uint32_t)k, pos, (uint32_t)s->frames, AU_CODEC_PCM16,
                        2};
    au_wire_header_write(c->frame, &h);

    au_event ev;
    while (au_engine_poll_event(s->engine, &ev))
        add_msg(s, c, text, au_wire_event_json(&ev, text, sizeof text));

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
