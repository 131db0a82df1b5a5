/* Who may change a station, and how fast (issue 12, item 3). Any listener
 * could retune a shared station for everyone, and 40 connections each
 * under the per-connection rate limit filled its 16-change queue so that
 * every legitimate `set` was refused. Now a station's changes are
 * coalesced on the service thread (the latest value of each field wins)
 * and handed to the renderer at most AU_STATION_SETS_PER_S a second, so
 * the queue cannot fill and no `set` is refused for it; and
 * `serve --station-control` decides who may change a station at all:
 *   open    any listener (the default, as before)
 *   owner   only the connection that created the station (once it leaves,
 *           nobody: the station plays on as it is)
 *   locked  nobody: stations play as created
 * Personal streams are always their listener's own. Service thread only. */
#ifndef AU_SERVER_STATION_CTL_H
#define AU_SERVER_STATION_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/params.h"

typedef struct au_stream au_stream;

typedef enum {
    AU_STATION_OPEN,
    AU_STATION_OWNER,
    AU_STATION_LOCKED,
} au_station_control;

#define AU_STATION_SETS_PER_S 5.0

/* "open", "owner", "locked"; -1 otherwise. */
int au_station_control_parse(const char *s, au_station_control *out);

/* NULL if this listener may change the station s, else why not. */
const char *au_station_may_set(au_station_control mode, const au_stream *s,
                               const void *listener);

/* Merges u into into: fields u carries replace into's. */
void au_update_merge(au_param_update *into, const au_param_update *u);

/* A validated change for station s: merged into its pending change, then
 * flushed if the station's budget and queue allow. */
void au_station_set(au_stream *s, const au_param_update *u, int64_t now_ns);
/* Hands a pending change to the renderer when allowed; call on every
 * pump. */
void au_station_flush(au_stream *s, int64_t now_ns);

#endif
