/* A tap: a station's chunks copied, as they are published, into a bounded
 * ring for an output that runs on its own thread: the pcm16 for the HLS
 * segmenter (it encodes AAC), or the station's own Ogg Opus pages for the
 * Icecast publisher (it re-encodes nothing: the bytes /stream/NAME.opus
 * serves). The service thread copies (memcpy, no allocation, no
 * lock, never waits); when the consumer falls behind, chunks are dropped and
 * counted rather than held, so a slow or dead output can never stall the
 * station or its listeners. The consumer sees gaps as missing sequence
 * numbers.
 * Thread-safety: au_tap_feed on the service thread, au_tap_pop on one
 * consumer thread; attach/detach on the service thread. */
#ifndef AU_SERVER_TAP_H
#define AU_SERVER_TAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/params.h"
#include "io/opus_packets.h"
#include "server/ring.h"

#define AU_TAP_FRAMES 4800 /* a 100 ms chunk at 48 kHz (4410 at 44.1 kHz) */
/* one chunk's Ogg page (five packets: the stream's OGG_PAGE_CAP) */
#define AU_TAP_OGG_MAX (AU_OPUS_CHUNK_MAX(AU_TAP_FRAMES) + 27 + 255)
#define AU_TAP_HEAD_MAX 2048 /* OpusHead + OpusTags pages (~400 bytes) */

enum { AU_TAP_PCM = 1, AU_TAP_OGG = 2 }; /* what a tap copies */

typedef struct {
    int64_t seq;      /* chunk number in the station */
    int64_t pos;      /* sample frame of the chunk's first frame */
    int frames;       /* <= AU_TAP_FRAMES */
    au_params params; /* in force from this chunk */
    int16_t pcm[AU_TAP_FRAMES * 2]; /* AU_TAP_PCM: interleaved, host order */
    /* AU_TAP_OGG: the chunk's Ogg page(s) (ogg_len 0: none, e.g. not a
     * 48 kHz station), the stream's header pages, and the params the
     * header's OpusTags describe (the stream's first) */
    size_t ogg_len, head_len;
    unsigned char ogg[AU_TAP_OGG_MAX];
    unsigned char head[AU_TAP_HEAD_MAX];
    au_params head_params;
} au_tap_chunk;

struct au_stream;
typedef struct au_tap au_tap;
struct au_tap {
    /* service-private */
    au_tap *next;             /* in the stream's list */
    struct au_stream *stream; /* NULL when detached */
    int64_t cursor;           /* next chunk to copy */
    bool hold;                /* keeps the station alive while attached */
    unsigned what;            /* AU_TAP_PCM (init's default) | AU_TAP_OGG */
    /* hand-over */
    au_spsc ring;
    au_tap_chunk *items;
    _Atomic uint64_t copied, dropped;
    void (*wake)(void *arg); /* after chunks were pushed; thread-safe */
    void *wake_arg;
};

/* cap chunks of ring (a power of two). 0 or AU_ENOMEM. */
int au_tap_init(au_tap *t, int cap);
void au_tap_deinit(au_tap *t);

/* Service: start copying s's chunks from its newest one on. */
void au_tap_attach(au_tap *t, struct au_stream *s);
void au_tap_detach(au_tap *t);
/* Service: copy the chunks published since the last call (up to head). */
void au_tap_feed(au_tap *t, int64_t head);
/* Service: true if a tap attached to s keeps it alive. */
bool au_taps_hold(const struct au_stream *s);

/* Consumer: next chunk, or false when none is waiting. */
static inline bool au_tap_pop(au_tap *t, au_tap_chunk *out)
{
    return au_spsc_pop(&t->ring, out);
}

#endif
