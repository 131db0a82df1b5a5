/* The catalogue of pieces: each a named generative world (its instruments,
 * how it composes, its mix; see src/compose/piece.h for the policies).
 * Here only what the parameters and the API need: names, what a listener
 * reads about each, and its default key, mode, tempo and intensity.
 * Plain static data; every function is pure and thread-safe. */
#ifndef AU_PIECES_H
#define AU_PIECES_H

#include <stddef.h>

#include "params.h"

enum {
    AU_PIECE_DRIFT,  /* the default: close to the original sound */
    AU_PIECE_ROOMS,  /* sparse piano and strings on Eno-like loops */
    AU_PIECE_GLASS,  /* bells, celesta and glass on a pentatonic */
    AU_PIECE_CHOIR,  /* a choir over a slow drone */
    AU_PIECE_NIGHT,  /* dark and very sparse, for sleep */
    AU_PIECE_PULSE,  /* a soft pulse with evolving percussion */
    AU_PIECE_COUNT
};

typedef struct {
    const char *name;        /* in URLs, options and the protocol */
    const char *title;       /* for people */
    const char *description; /* one sentence, as a listener would say it */
    int key, mode;           /* defaults: pitch class, AU_MODE_* */
    double bpm, intensity;
} au_piece_info;

const au_piece_info *au_piece_info_get(int piece); /* NULL if out of range */
int au_piece_from_name(const char *s);             /* index or -1 */
const char *au_piece_name(int piece);              /* "?" if out of range */

/* 0, or -1 with "piece must be one of drift, rooms, ... (got 'x')" */
int au_parse_piece(const char *s, int *piece, char *err, size_t errlen);

/* A change of piece brings the piece's own defaults: when u names a piece,
 * its default key, mode, bpm and intensity are added to u for each of
 * those fields u does not set itself (a field the same message sets
 * wins). Layer switches, volumes and wander stay as the listener left
 * them. Called where a new change enters (the WebSocket `set`,
 * `--change`), so the timeline, station coalescing, resume and export all
 * see the whole change; a recorded timeline replays exactly what it holds.
 * Naming the piece already playing restores its defaults too. No-op when
 * u does not name a piece. */
void au_update_piece_defaults(au_param_update *u);

#endif
