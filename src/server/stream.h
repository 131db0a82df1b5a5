/* One stream: an engine rendering 100 ms chunks into a ring of history that
 * any number of listeners read with their own cursors (a station), or just
 * one (a personal stream). The render worker owns the engine and writes
 * chunks; the service thread reads them and says, through tail, which
 * slots it no longer needs. Lock-free hand-over:
 *   worker  -> service: head (chunks published), state
 *   service -> worker : tail (oldest chunk still needed), the set ring.
 * Memory is allocated once at create; rendering never allocates. */
#ifndef AU_SERVER_STREAM_H
#define AU_SERVER_STREAM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/params.h"
#include "engine/engine.h"
#include "io/mp3_stream.h"
#include "io/ogg_opus.h"
#include "io/opus_packets.h"
#include "engine/timeline.h"
#include "io/pcm.h"
#include "server/pacer.h"
#include "server/query.h"
#include "server/ring.h"
#include "server/wire.h"

/* 32 x 100 ms = 3.2 s of history: the 2 s slow-listener backlog, the 0.5 s
 * burst, one chunk rendered ahead, and slack. */
#define AU_STREAM_SLOTS 32
#define AU_CHUNK_TEXT 4096 /* bytes of text frames carried with one chunk */
#define AU_CHUNK_NOTES 12  /* note_on events per chunk at most (see below) */
#define AU_STREAM_SETS 16  /* pending changes per stream */
#define AU_STREAM_MAX_PACKETS 5 /* 20 ms Opus packets per 100 ms chunk */
/* A station's listeners are sent to in AU_PHASES groups 4 ms apart (by
 * join time), so a tick's fan-out is spread over the chunk period instead
 * of landing on the socket layer all at once. */
#define AU_PHASES 25

/* One 100 ms chunk as it goes on the wire: its state/event text frames and
 * then its binary audio frame, complete WebSocket frames with their headers
 * (server frames are unmasked, so the bytes are the same for every
 * listener). Written once by the worker and sent with one raw write per
 * listener: one send() per listener per chunk however many events. */
typedef struct {
    int64_t pos; /* frame position of the chunk */
    uint32_t seq;
    int nmsg;             /* text frames at the start of wire */
    au_params params;     /* in force from this chunk's first frame */
    uint32_t changed;     /* AU_P_* fields changed at this chunk (timeline) */
    unsigned char *frame; /* the 24-byte AUR1 header + payload */
    size_t frame_bytes;
    unsigned char *wire; /* nmsg text frames, then the binary frame */
    size_t wire_len;
    /* with Opus (au_stream_enable_opus): the same texts, then the codec-1
     * binary frame (AUR1 header + [u16 length][packet] x 5) */
    unsigned char *oframe;
    size_t oframe_bytes;
    unsigned char *owire;
    size_t owire_len;
    /* stations: the chunk's five packets as one Ogg Opus page (HTTP and
     * Icecast listeners, after the stream's header pages) */
    unsigned char *ogg;
    size_t ogg_len;
    /* stations with MP3 listeners: the MP3 frames LAME finished during this
     * chunk (AU_WIRE_PRE bytes of headroom before them) */
    unsigned char *mp3;
    size_t mp3_len;
} au_chunk;

/* A resumed stream is prepared (its engine fast-forwarded) off the render
 * workers before it joins them: s->prep. */
enum { AU_PREP_NONE = 0, AU_PREP_RUNNING, AU_PREP_DONE, AU_PREP_FAILED };

enum {
    AU_STREAM_NEW = 0,
    AU_STREAM_RUNNING = 1,
    AU_STREAM_FAILED = -1,
    AU_STREAM_RELEASED = 2,
    AU_STREAM_PARKED = 3 /* engine kept, no worker (resume.c) */
};

typedef struct au_stream au_stream;
struct au_stream {
    /* read-only after create */
    uint64_t id;
    bool station;
    char name[AU_STATION_NAME_MAX + 1];
    int rate, frames; /* frames per chunk */
    au_pacer pacer;
    au_params init;
    au_chunk *slots;
    unsigned char *audio;
    float *fbuf;

    alignas(64) _Atomic int64_t head; /* written by the worker */
    _Atomic int state;
    alignas(64) _Atomic int64_t tail; /* written by the service thread */
    au_spsc sets;                     /* service -> worker changes */
    au_param_update set_items[AU_STREAM_SETS];

    /* Opus, set up by au_stream_enable_opus before the worker gets the
     * stream; then the encoder and Ogg writer are worker-private, and the
     * Ogg header pages (au_ogg_opus_headers) read-only for everyone */
    bool opus, ogg_on;
    unsigned char *oaudio, *oggbuf;
    au_opus_enc enc;
    au_ogg_opus ogg;

    /* MP3, started by the service thread when the first MP3 listener comes
     * (au_stream_enable_mp3): mp3buf and the chunks' mp3 pointers are set
     * before the encoder is published with a release store; the worker then
     * owns the encoder and stores mp3_from, the first chunk it encoded */
    _Atomic(au_mp3 *) mp3enc;
    _Atomic int64_t mp3_from; /* INT64_MAX until the worker starts */
    unsigned char *mp3buf;

    /* service-private, for HTTP listeners (http_stream.c) */
    int http_listeners;
    int http_by_fmt[2];   /* AU_HTTP_OGG, AU_HTTP_MP3 */
    int64_t http_min;     /* lowest HTTP cursor at the last HTTP walk */

    /* worker-private */
    alignas(64) au_engine *engine;
    /* a resumed performance's changes after its resume point, applied by
     * the worker at the chunk they were recorded at (set before the
     * stream is handed to the worker) */
    au_timeline future;
    int future_next;
    uint64_t opus_failed; /* chunks whose encode failed (sent empty) */
    au_dither dither;
    uint64_t events_dropped; /* texts that did not fit a chunk */
    uint64_t notes_dropped;  /* note events over AU_CHUNK_NOTES */
    uint64_t phrases_seen;   /* au_engine_phrases at the last chunk */
    /* note_on events sent, by layer and MIDI note: their note_off is sent
     * too (a dropped note_on drops its note_off) */
    uint64_t notes_on[AU_LAYER_COUNT][2];

    /* resume preparation (src/server/resume.c): prep is written by the
     * preparing thread, cancel by the service thread */
    _Atomic int prep;
    _Atomic int cancel;
    int64_t first; /* chunk the stream starts at (0, or a resume point) */

    /* service-private */
    char rid[33];         /* resume id: 32 hex digits (hello's resume.id) */
    au_timeline timeline; /* every accepted change, recorded from chunks */
    int64_t recorded;     /* chunks whose changes are in timeline */
    bool in_worker;       /* handed to a render worker */
    bool parked;          /* last listener left; engine kept for resume */
    int64_t parked_ns;
    /* listeners in AU_PHASES groups by send phase (see server.c) */
    void *groups[AU_PHASES];
    int64_t last_edge[AU_PHASES];
    int64_t group_min[AU_PHASES]; /* lowest cursor at the group's last walk */
    int nlisteners;
    int worker;
    bool removing;
    int64_t empty_since_ns;
    au_params shown; /* params of the newest chunk the service has seen */
    struct au_tap *taps; /* outputs copying this station (tap.h) */
    uint32_t creator_addr; /* admission.h: whose share the stream counts in */
    bool admitted;         /* counted in the stream budget until retired */
    const void *owner;     /* station_ctl.h: the creating listener, or NULL */
    au_param_update pending_set; /* a station's coalesced change */
    int64_t set_budget_ns;       /* station_ctl.h: change budget clock */
    au_stream *next;
};

/* Service thread: allocate the stream (no engine yet). t0_ns starts the
 * pacing clock. NULL on allocation failure. The timeline records at most
 * AU_TIMELINE_MAX changes (docs/protocol.md). */
#define AU_TIMELINE_MAX 4096
au_stream *au_stream_create(uint64_t id, const au_params *p, int rate,
                            int prefill, int64_t t0_ns);
void au_stream_free(au_stream *s); /* after the worker released it */
/* Service thread, before au_workers_add: encode every chunk as 20 ms Opus
 * packets at bitrate (48 kHz streams only), and with ogg also as an Ogg Opus
 * page. title goes into the Ogg tags. 0, AU_EINVAL (rate or bitrate) or
 * AU_ENOMEM. */
int au_stream_enable_opus(au_stream *s, int bitrate, bool ogg,
                          const char *title);
/* Service thread, at any time: start MP3 from the next chunk rendered.
 * Allocates (LAME, the chunk buffers) here, never on the worker. 0 (also if
 * already on), AU_EINVAL or AU_ENOMEM. */
int au_stream_enable_mp3(au_stream *s, int kbps);

/* Service, before the stream is handed to a worker: start at chunk k0
 * (head = tail = first = k0). The engine must then be brought to frame
 * k0 * frames by au_stream_prepare before the worker gets it. */
void au_stream_start_at(au_stream *s, int64_t k0);
/* Any thread that owns the stream before the worker does: create the
 * engine and replay t up to the stream's first frame (dither included),
 * exactly as if it had been streamed. Checks s->cancel between blocks.
 * 0, AU_ESTATE when cancelled, or AU_E.... */
int au_stream_prepare(au_stream *s, const au_timeline *t);

/* Worker: create the engine unless au_stream_prepare did (state RUNNING,
 * or FAILED). */
int au_stream_start(au_stream *s);
/* Worker: render the next chunk into its slot and publish it. The caller
 * checked that the slot is free (head - tail < AU_STREAM_SLOTS). */
void au_stream_render_next(au_stream *s);
/* Worker: destroy the engine and hand the stream back (state RELEASED). */
void au_stream_stop(au_stream *s);

/* Service: queue a validated change; false if AU_STREAM_SETS are pending. */
bool au_stream_push_set(au_stream *s, const au_param_update *u);

/* The chunk for sequence k (valid while head > k >= head - SLOTS + 1). */
static inline au_chunk *au_stream_chunk(au_stream *s, int64_t k)
{
    return &s->slots[k % AU_STREAM_SLOTS];
}

#endif
