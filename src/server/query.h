/* The WebSocket upgrade's query string: seed, key, mode, bpm, intensity,
 * wander, layer switches, codec and station, validated with the exact
 * messages of core/params.h. Pure functions on caller-owned values;
 * thread-safe. */
#ifndef AU_SERVER_QUERY_H
#define AU_SERVER_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/params.h"

#define AU_STATION_NAME_MAX 32
/* A timeline in the query (resume or share: docs/protocol.md) */
#define AU_QUERY_TIMELINE_MAX 16000

typedef struct {
    au_param_update update; /* key, mode, bpm, ... as given */
    bool seed_given;
    uint64_t seed;
    int codec; /* AU_CODEC_PCM16 or AU_CODEC_OPUS */
    char station[AU_STATION_NAME_MAX + 1]; /* "" = personal stream */
    /* resuming a performance: its resume id, the frame to resume at, and/or
     * its timeline in text form (checked here, parsed by the server) */
    char resume[33];
    bool position_given;
    int64_t position;
    char timeline[AU_QUERY_TIMELINE_MAX + 1];
} au_stream_request;

void au_stream_request_init(au_stream_request *r);

/* One already-decoded "name=value" pair (libwebsockets hands them to us one
 * by one). Unknown names are ignored (cache busters, analytics tags); a
 * known name with a bad value fails. 0, or -1 with a one-line message. */
int au_query_add_pair(au_stream_request *r, const char *pair, char *err,
                      size_t errlen);

/* A raw query string "a=1&b=2" (without '?'), percent- and '+'-decoded. */
int au_query_parse(au_stream_request *r, const char *qs, char *err,
                   size_t errlen);

/* Decodes %XX and '+' from src[0..n) into dst (NUL-terminated). -1 on a bad
 * escape, an encoded NUL, or if dst is too small. */
int au_url_decode(const char *src, size_t n, char *dst, size_t dstlen);

/* Station names: the one rule shared by the server and the player (the
 * player reads it from /api/health): 1 to 32 characters of A-Z a-z 0-9
 * . _ -, not starting with '.' (a name is also a path segment in stream
 * URLs). */
bool au_station_name_ok(const char *s);
/* The same rule for any path segment we name (station names, HLS file
 * names): 1 to max characters of A-Z a-z 0-9 . _ -, no leading '.'. */
bool au_path_name_ok(const char *s, size_t max);
#define AU_STATION_NAME_PATTERN "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,31}$"
#define AU_STATION_NAME_RULE                                                   \
    "1 to 32 characters of A-Z a-z 0-9 . _ -, not starting with '.'"

#endif
