/* HLS for stations: GET /hls/NAME/index.m3u8, its init segment and its
 * media segments (AAC-LC in fMP4, see io/hls.h for why).
 *
 * The first request for a station's playlist creates the station if needed
 * and starts an output: a tap (tap.h) copies the station's chunks to the one
 * HLS thread, which encodes and muxes every station's segments (encoding
 * allocates, so it never runs on a render or fan-out thread); finished files
 * come back through a ring and the service thread keeps the last ones in
 * memory and answers requests from there. A playlist request that arrives
 * before the first segment exists waits for it (up to ~segment length).
 * An output nobody has asked for during idle_ms stops and lets go of its
 * station.
 *
 * Cache headers: segments and the init segment are immutable (their names
 * carry a token unique to the output, so a restarted station never reuses a
 * name), the playlist may be cached for 1 s: a CDN or nginx in front serves
 * any number of listeners from one request per file per second.
 *
 * Thread-safety: every au_hls_* function is for the service thread; the
 * module runs its own thread internally. */
#ifndef AU_SERVER_HLS_H
#define AU_SERVER_HLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/metrics.h"
#include "server/query.h"
#include "server/stream.h"

typedef struct au_hls au_hls;

typedef struct {
    int rate;        /* the server's sample rate */
    int bitrate;     /* AAC, 128000 */
    int segment_ms;  /* 4000 */
    int list_size;   /* segments in the playlist, 6 */
    int max_outputs; /* stations with HLS at once, 64 */
    int idle_ms;     /* stop an output nobody asked for this long, 60000 */
    /* a request that was told to wait can be answered now (call
     * au_hls_request again for it); wsi is what was given */
    void (*wake)(void *arg, void *wsi);
    void *arg;
    au_metrics *metrics; /* may be NULL */
} au_hls_config;

au_hls_config au_hls_config_default(void);

/* 0 or AU_E... (starts the HLS thread). */
int au_hls_start(au_hls **out, const au_hls_config *cfg);
/* Stops the thread, detaches every tap, frees everything. */
void au_hls_stop(au_hls *h);

/* "/hls/NAME/FILE" -> name, file. 0, or -1 (not an HLS path we serve). */
int au_hls_parse_path(const char *uri, char name[AU_STATION_NAME_MAX + 1],
                      char file[64]);

typedef struct {
    unsigned status;
    const char *content_type;
    const char *cache_control;
    unsigned char *body; /* malloc'd: the caller frees it */
    size_t len;
} au_hls_reply;

enum { AU_HLS_REPLY = 0, AU_HLS_WAIT = 1 };

/* Answers a request for station s (already found or created by the caller).
 * AU_HLS_REPLY with *r filled, or AU_HLS_WAIT: the wsi is remembered and
 * cfg.wake(arg, wsi) is called once the file exists (or on timeout, when
 * the next call replies 503). */
int au_hls_request(au_hls *h, au_stream *s, const char *file, void *wsi,
                   int64_t now, au_hls_reply *r);
/* No output can start now (max_outputs are running). */
bool au_hls_full(const au_hls *h);
/* The connection of a waiting request closed. */
void au_hls_forget(au_hls *h, void *wsi);
/* Service thread, on every pump: takes finished files, wakes waiting
 * requests, stops idle outputs. */
void au_hls_pump(au_hls *h, int64_t now);
/* The station is going away: stop its output if it has one. */
void au_hls_stream_gone(au_hls *h, au_stream *s);

#endif
