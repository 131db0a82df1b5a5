/* A tap: a station's pcm16 chunks copied, as they are published, into a
 * bounded ring for an output that runs on its own thread (HLS segmenter,
 * Icecast publisher). The service thread copies (memcpy, no allocation, no
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
#include "server/ring.h"

#define AU_TAP_FRAMES 4800 /* a 100 ms chunk at 48 kHz (4410 at 44.1 kHz) */

typedef struct {
    int64_t seq;      /* chunk number in the station */
    int64_t pos;      /* sample frame of the chunk's first frame */
    int frames;       /* <= AU_TAP_FRAMES */
    au_params params; /* in force from this chunk */
    int16_t pcm[AU_TAP_FRAMES * 2]; /* interleaved stereo, host order */
} au_tap_chunk;

struct au_stream;
typedef struct au_tap au_tap;
struct au_tap {
    /* service-private */
    au_tap *next;             /* in the stream's list */
    struct au_stream *stream; /* NULL when detached */
    int64_t cursor;           /* next chunk to copy */
    bool hold;                /* keeps the station alive while attached */
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
