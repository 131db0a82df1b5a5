/* A performance's timeline: the starting parameters (seed included) and
 * every accepted change with the sample frame it applied at. Replaying it
 * through an engine gives the performance again bit for bit; the server
 * records one per stream, `auralis render --change` builds one from the
 * command line, exports and resumes replay one (docs/protocol.md).
 *
 * Text form (a `--change` argument per entry, entries joined by ';'):
 *   "57600:bpm=80,intensity=0.7;96000:pads_volume=0.5"
 * Positions ascend (equal positions keep their order).
 *
 * Owns a heap array that grows on add, or is reserved up front
 * (au_timeline_reserve: the server's streams, so recording never
 * allocates); bounded by max entries. Not thread-safe. */
#ifndef AU_ENGINE_TIMELINE_H
#define AU_ENGINE_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/params.h"
#include "engine/engine.h"

typedef struct {
    int64_t pos; /* sample frame the change applies at */
    au_param_update u;
} au_timeline_entry;

typedef struct {
    au_params init; /* parameters at frame 0, seed included */
    au_timeline_entry *v;
    int n, cap, max;
    /* set when an add found the timeline full: changes from full_at on were
     * not recorded, so only frames before full_at can be replayed */
    bool full;
    int64_t full_at;
} au_timeline;

/* max: entries kept at most (>= 1). No allocation until the first add. */
void au_timeline_init(au_timeline *t, const au_params *init, int max);
void au_timeline_deinit(au_timeline *t);

/* Allocates room for min(n, max) entries now, so that later adds up to
 * there never allocate (a server stream reserves its whole bound when it
 * is created: pages the entries never reach are never touched, so they
 * cost address space, not memory). 0 or AU_ENOMEM. */
int au_timeline_reserve(au_timeline *t, int n);

/* Appends a change at pos (>= the last entry's). 0; AU_EFULL when max
 * entries are held or memory ran out (t->full is then set); AU_EINVAL for
 * a position before the last entry's. */
int au_timeline_add(au_timeline *t, int64_t pos, const au_param_update *u);

/* dst = src's entries at positions < before (all with INT64_MAX). dst must
 * be initialised (its old entries are dropped). 0 or AU_ENOMEM. */
int au_timeline_copy(au_timeline *dst, const au_timeline *src, int64_t before);

/* Frames that can be replayed exactly: INT64_MAX, or full_at. */
int64_t au_timeline_exact_until(const au_timeline *t);

/* Parses the text form and appends its entries (after t's last). 0, or -1
 * with a one-line message naming the entry. */
int au_timeline_parse(au_timeline *t, const char *text, char *err,
                      size_t errlen);

/* One entry's text "POS:name=value,..." into buf. Length or -1. */
int au_timeline_entry_format(const au_timeline_entry *e, char *buf,
                             size_t len);

/* The whole text form, malloc'ed (caller frees); NULL on allocation
 * failure. */
char *au_timeline_format(const au_timeline *t);

/* Replay: renders frames into out from the engine's current position,
 * applying every entry whose position is reached (*next is the index of
 * the next entry to apply; start at 0 with a fresh engine). Changes land at
 * their exact frame whatever the size of frames. */
void au_timeline_render(au_engine *e, const au_timeline *t, int *next,
                        float *out, int frames);

#endif
