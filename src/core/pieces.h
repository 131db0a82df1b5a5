/* The catalogue of pieces: each a named generative world (its instruments,
 * how it composes, its mix; see src/compose/piece.h for the policies).
 * Here only what the parameters and the API need: names, what a listener
 * reads about each, and its default key, mode, tempo and intensity.
 * Plain static data; every function is pure and thread-safe. */
#ifndef AU_PIECES_H
#define AU_PIECES_H

#include <stddef.h>

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

#endif
