#include "server/tap.h"

#include <stdlib.h>
#include <string.h>

#include "core/au.h"
#include "server/stream.h"

int au_tap_init(au_tap *t, int cap)
{
    memset(t, 0, sizeof *t);
    t->items = calloc((size_t)cap, sizeof *t->items);
    if (!t->items ||
        au_spsc_init(&t->ring, t->items, sizeof *t->items, (uint64_t)cap)) {
        free(t->items);
        t->items = NULL;
        return AU_ENOMEM;
    }
    t->what = AU_TAP_PCM;
    atomic_init(&t->copied, 0);
    atomic_init(&t->dropped, 0);
    return 0;
}

void au_tap_deinit(au_tap *t)
{
    au_tap_detach(t);
    free(t->items);
    t->items = NULL;
}

void au_tap_attach(au_tap *t, au_stream *s)
{
    au_tap_detach(t);
    t->stream = s;
    t->cursor = atomic_load_explicit(&s->head, memory_order_acquire);
    t->next = s->taps;
    s->taps = t;
}

void au_tap_detach(au_tap *t)
{
    au_stream *s = t->stream;
    if (!s) return;
    for (au_tap **p = &s->taps; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
    t->stream = NULL;
    t->next = NULL;
    /* a station kept only by this tap now lingers like one whose last
     * listener left */
    if (s->nlisteners == 0) s->empty_since_ns = au_mono_ns();
}

bool au_taps_hold(const au_stream *s)
{
    for (const au_tap *t = s->taps; t; t = t->next)
        if (t->hold) return true;
    return false;
}

void au_tap_feed(au_tap *t, int64_t head)
{
    au_stream *s = t->stream;
    if (!s) return;
    /* chunks older than the ring's history are gone: count them */
    int64_t oldest = head - AU_STREAM_SLOTS + 1;
    if (t->cursor < oldest) {
        atomic_fetch_add_explicit(&t->dropped, (uint64_t)(oldest - t->cursor),
                                  memory_order_relaxed);
        t->cursor = oldest;
    }
    bool pushed = false;
    for (; t->cursor < head; t->cursor++) {
        if (au_spsc_count(&t->ring) > t->ring.mask) {
            atomic_fetch_add_explicit(&t->dropped, 1, memory_order_relaxed);
            continue;
        }
        /* write straight into the free slot: one copy of 19 KB, not two */
        uint64_t h = atomic_load_explicit(&t->ring.head, memory_order_relaxed);
        au_tap_chunk *d = &t->items[h & t->ring.mask];
        const au_chunk *c = au_stream_chunk(s, t->cursor);
        d->seq = t->cursor;
        d->pos = c->pos;
        d->frames = s->frames < AU_TAP_FRAMES ? s->frames : AU_TAP_FRAMES;
        d->params = c->params;
        /* the pcm16 payload after the AUR1 header is little-endian, which
         * is host order on every target we build for */
        if (t->what & AU_TAP_PCM)
            memcpy(d->pcm, c->frame + AU_WIRE_HEADER_BYTES,
                   (size_t)d->frames * 2 * sizeof(int16_t));
        if (t->what & AU_TAP_OGG) {
            /* the header pages are read-only once the stream exists */
            size_t hl = 0;
            const unsigned char *hd =
                s->ogg_on ? au_ogg_opus_headers(&s->ogg, &hl) : NULL;
            bool fits = hd && hl <= sizeof d->head &&
                        c->ogg_len <= sizeof d->ogg;
            d->head_len = fits ? hl : 0;
            d->ogg_len = fits ? c->ogg_len : 0;
            if (fits) {
                memcpy(d->head, hd, hl);
                memcpy(d->ogg, c->ogg, c->ogg_len);
            }
            d->head_params = s->init;
        }
        atomic_store_explicit(&t->ring.head, h + 1, memory_order_release);
        atomic_fetch_add_explicit(&t->copied, 1, memory_order_relaxed);
        pushed = true;
    }
    if (pushed && t->wake) t->wake(t->wake_arg);
}
