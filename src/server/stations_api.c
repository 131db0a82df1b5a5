#include "server/stations_api.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/au.h"
#include "core/pieces.h"
#include "server/http_stream.h"
#include "server/wire.h"

/* A station's entry is well under 3 KiB (the params object is < 400, an
 * Icecast URL < 600, the rest names of at most 32 characters). */
#define ENTRY_MAX 3072

/* "key":"prefix NAME suffix" or "key":null */
static int url(char *b, size_t cap, const char *key, bool on, const char *pre,
               const char *name, const char *post)
{
    return on ? snprintf(b, cap, ",\"%s\":\"%s%s%s\"", key, pre, name, post)
              : snprintf(b, cap, ",\"%s\":null", key);
}

static int entry(const au_stream *s, const au_stations_outputs *o, char *b,
                 size_t cap)
{
    char params[400];
    if (au_wire_params_json(&s->shown, params, sizeof params) < 0)
        snprintf(params, sizeof params, "null");
    int ws = s->nlisteners, ho = s->http_by_fmt[AU_HTTP_OGG],
        hm = s->http_by_fmt[AU_HTTP_MP3];
    const char *n = s->name;
    size_t w = 0;
#define PUT(expr)                                                              \
    do {                                                                       \
        int r_ = (expr);                                                       \
        if (r_ < 0 || (size_t)r_ >= cap - w) return -1;                        \
        w += (size_t)r_;                                                       \
    } while (0)
    PUT(snprintf(b + w, cap - w,
                 "{\"name\":\"%s\",\"piece\":\"%s\",\"params\":%s,"
                 "\"listeners\":{\"websocket\":%d,\"http_opus\":%d,"
                 "\"http_mp3\":%d,\"total\":%d},\"urls\":{"
                 "\"websocket\":\"/ws?station=%s\"",
                 n, au_piece_name(s->shown.piece), params, ws, ho, hm,
                 ws + ho + hm, n));
    /* Opus (WebSocket codec 1, Ogg) needs a 48 kHz station */
    PUT(url(b + w, cap - w, "websocket_opus", s->opus, "/ws?station=", n,
            "&codec=opus"));
    PUT(url(b + w, cap - w, "opus", s->ogg_on, "/stream/", n, ".opus"));
    PUT(url(b + w, cap - w, "mp3", true, "/stream/", n, ".mp3"));
    PUT(url(b + w, cap - w, "m3u", true, "/stream/", n, ".m3u"));
    PUT(url(b + w, cap - w, "pls", true, "/stream/", n, ".pls"));
    PUT(url(b + w, cap - w, "hls", o && o->hls, "/hls/", n, "/index.m3u8"));
    char ice[600];
    bool on = o && o->icecast_url &&
              o->icecast_url(o->arg, s, ice, sizeof ice) == 0;
    PUT(url(b + w, cap - w, "icecast", on, "", on ? ice : "", ""));
    PUT(snprintf(b + w, cap - w, "}}"));
#undef PUT
    return (int)w;
}

int au_stations_json(const au_stream *streams, const au_stations_outputs *o,
                     char **out, size_t *len)
{
    size_t n = 0;
    for (const au_stream *s = streams; s; s = s->next)
        if (s->station && !s->removing) n++;
    size_t cap = 64 + n * ENTRY_MAX;
    char *b = malloc(cap);
    if (!b) return AU_ENOMEM;
    size_t o_ = (size_t)snprintf(b, cap, "{\"stations\":[");
    bool first = true;
    for (const au_stream *s = streams; s; s = s->next) {
        if (!s->station || s->removing) continue;
        if (!first) b[o_++] = ',';
        int w = entry(s, o, b + o_, cap - o_ - 2);
        if (w < 0) { /* cannot happen: sized; drop the partial entry */
            if (!first) o_--;
            continue;
        }
        o_ += (size_t)w;
        first = false;
    }
    int w = snprintf(b + o_, cap - o_, "]}");
    if (w > 0 && (size_t)w < cap - o_) o_ += (size_t)w;
    *out = b;
    *len = o_;
    return 0;
}
