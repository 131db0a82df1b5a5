/* GET /api/stations: the stations playing now, each with its parameters,
 * listener counts by transport and every URL it can be heard at: the
 * WebSocket (pcm16 and Opus), the HTTP streams (/stream/NAME.opus, .mp3),
 * the playlists (.m3u, .pls), the HLS index and, while the station is
 * published and its mount is connected, the Icecast mount. Server URLs are
 * relative (they work behind a proxy); the Icecast one is absolute (it is
 * another server). Service thread only: it reads the streams'
 * service-side fields. */
#ifndef AU_SERVER_STATIONS_API_H
#define AU_SERVER_STATIONS_API_H

#include <stdbool.h>
#include <stddef.h>

#include "server/stream.h"

typedef struct {
    bool hls; /* the server serves /hls/ */
    /* the station's Icecast listener URL into url (0), or -1 when it is
     * not published now; NULL without --icecast */
    int (*icecast_url)(void *arg, const au_stream *s, char *url, size_t n);
    void *arg;
} au_stations_outputs;

/* The JSON document for the stream list `streams` (linked by next), in a
 * malloc'd buffer (*out, *len; the caller frees it). 0 or AU_ENOMEM. */
int au_stations_json(const au_stream *streams, const au_stations_outputs *o,
                     char **out, size_t *len);

#endif
