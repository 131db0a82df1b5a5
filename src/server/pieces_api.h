/* GET /api/pieces: the catalogue of pieces as JSON, built once from
 * src/core/pieces.h (name, title, description, default key, mode, bpm,
 * intensity, and which layers each piece plays on the SoundFont).
 * Thread-safe: the document is built at first use under a once-guard. */
#ifndef AU_PIECES_API_H
#define AU_PIECES_API_H

const char *au_pieces_json(void);

#endif
