/* Stations as endless HTTP streams for any player (VLC, mpv, ffplay, an
 * <audio> element, smart speakers): GET /stream/NAME.opus (Ogg Opus) and
 * /stream/NAME.mp3, with Icecast-style headers (icy-name, icy-description,
 * icy-br, and icy-metaint + StreamTitle blocks in MP3 when the client sends
 * Icy-MetaData: 1), a 500 ms burst at connect then one chunk per 100 ms
 * from the station's pacing clock, the WebSocket slow-listener rule
 * (skip ahead past 2 s behind, close after 10 s without progress);
 * /stream/NAME.m3u and .pls playlists. HTTP listeners only listen, and keep
 * their station alive. Unknown stations get 404, other names 400.
 * Listeners come from a pool sized at start-up; pump and write do not
 * allocate, lock or log. Service thread only (it calls lws_*). */
#ifndef AU_SERVER_HTTP_STREAM_H
#define AU_SERVER_HTTP_STREAM_H

#include <stdint.h>

#include "server/metrics.h"
#include "server/stream.h"

struct lws;

enum { AU_HTTP_OGG = 0, AU_HTTP_MP3 = 1 };

typedef struct au_http_streams au_http_streams;
typedef struct au_hlistener au_hlistener;

typedef struct {
    int max_listeners; /* HTTP stream listeners; more get 503 */
    int rate;          /* the server's sample rate */
    int prefill;       /* burst, chunks */
    int backlog;       /* chunks behind before skipping */
    int64_t stuck_ns;  /* no progress this long closes */
    int opus_bitrate;  /* for icy-br */
    int mp3_kbps;
    au_metrics *metrics;
    /* the station of that name, or NULL */
    au_stream *(*find)(void *arg, const char *name);
    void *find_arg;
} au_http_streams_config;

int au_http_streams_create(au_http_streams **out,
                           const au_http_streams_config *cfg);
void au_http_streams_destroy(au_http_streams *h);

/* Answers GET /stream/... (uri starts with "/stream/"). Returns what the
 * lws HTTP callback returns; *out is the new listener (keep it with the
 * connection) or NULL when the request was answered and done. */
int au_http_stream_request(au_http_streams *h, struct lws *wsi, const char *uri,
                           au_hlistener **out);
/* LWS_CALLBACK_HTTP_WRITEABLE for a listener: 0, or -1 to close. */
int au_http_stream_writeable(au_http_streams *h, au_hlistener *l);
/* The connection closed: the listener goes back to the pool. */
void au_http_stream_closed(au_http_streams *h, au_hlistener *l);

/* From the server's pump, before it computes each stream's tail: asks
 * writes of listeners with chunks due, applies the slow-listener rule, and
 * sets every stream's http_min. Returns the next time a listener has a
 * chunk due (for the pump timer), or now + 100 ms. */
int64_t au_http_streams_pump(au_http_streams *h, int64_t now);
/* Shutdown: closes every HTTP listener. */
void au_http_streams_shutdown(au_http_streams *h);
int au_http_streams_count(const au_http_streams *h);

#endif
