/* GET /api/stations: the stations playing now, each with its parameters,
 * listener counts by transport and its stream URLs (relative to the
 * server, so they work behind a proxy). Service thread only: it reads the
 * streams' service-side fields. */
#ifndef AU_SERVER_STATIONS_API_H
#define AU_SERVER_STATIONS_API_H

#include <stddef.h>

#include "server/stream.h"

/* The JSON document for the stream list `streams` (linked by next), in a
 * malloc'd buffer (*out, *len; the caller frees it). 0 or AU_ENOMEM. */
int au_stations_json(const au_stream *streams, char **out, size_t *len);

#endif
