#include "server/stations_api.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/au.h"
#include "core/pieces.h"
#include "server/http_stream.h"
#include "server/wire.h"

/* A station's entry is well under 2 KiB (the params object is < 400). */
#define ENTRY_MAX 2048

int au_stations_json(const au_stream *streams, char **out, size_t *len)
{
    size_t n = 0;
    for (const au_stream *s = streams; s; s = s->next)
        if (s->station && !s->removing) n++;
    size_t cap = 64 + n * ENTRY_MAX;
    char *b = malloc(cap);
    if (!b) return AU_ENOMEM;
    size_t o = (size_t)snprintf(b, cap, "{\"stations\":[");
    bool first = true;
    for (const au_stream *s = streams; s; s = s->next) {
        if (!s->station || s->removing) continue;
        char params[400];
        if (au_wire_params_json(&s->shown, params, sizeof params) < 0)
            snprintf(params, sizeof params, "null");
        int ws = s->nlisteners, ho = s->http_by_fmt[AU_HTTP_OGG],
            hm = s->http_by_fmt[AU_HTTP_MP3];
        int w = snprintf(
            b + o, cap - o,
            "%s{\"name\":\"%s\",\"piece\":\"%s\",\"params\":%s,"
            "\"listeners\":{\"websocket\":%d,\"http_opus\":%d,"
            "\"http_mp3\":%d,\"total\":%d},"
            "\"urls\":{\"websocket\":\"/ws?station=%s\","
            "\"opus\":%s%s%s,\"mp3\":\"/stream/%s.mp3\","
            "\"m3u\":\"/stream/%s.m3u\",\"pls\":\"/stream/%s.pls\"}}",
            first ? "" : ",", s->name, au_piece_name(s->shown.piece), params,
            ws, ho, hm, ws + ho + hm, s->name,
            s->ogg_on ? "\"/stream/" : "null", s->ogg_on ? s->name : "",
            s->ogg_on ? ".opus\"" : "", s->name, s->name, s->name);
        if (w < 0 || (size_t)w >= cap - o) break; /* cannot happen: sized */
        o += (size_t)w;
        first = false;
    }
    int w = snprintf(b + o, cap - o, "]}");
    if (w > 0 && (size_t)w < cap - o) o += (size_t)w;
    *out = b;
    *len = o;
    return 0;
}
