/* The listener-settable parameters of one stream, their ranges, and their
 * validation. Shared by the CLI, the server and the engine so that every
 * front end accepts and refuses exactly the same values with the same words.
 * Plain values; all functions are pure and thread-safe. */
#ifndef AU_PARAMS_H
#define AU_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { AU_MODE_IONIAN, AU_MODE_DORIAN, AU_MODE_PHRYGIAN, AU_MODE_LYDIAN,
       AU_MODE_MIXOLYDIAN, AU_MODE_AEOLIAN, AU_MODE_LOCRIAN, AU_MODE_COUNT };

/* Layers, used for switches, MIDI tracks and synth instruments. */
enum { AU_LAYER_PADS, AU_LAYER_MELODY, AU_LAYER_BASS, AU_LAYER_PERCUSSION,
       AU_LAYER_TEXTURES, AU_LAYER_BELLS, AU_LAYER_COUNT };

#define AU_BPM_MIN 30.0
#define AU_BPM_MAX 200.0
#define AU_MAX_MINUTES (24.0 * 60.0)

typedef struct {
    uint64_t seed;
    int key;          /* pitch class of the tonic, 0 = C .. 11 = B */
    int mode;         /* AU_MODE_* */
    double bpm;       /* AU_BPM_MIN .. AU_BPM_MAX */
    double intensity; /* 0 .. 1 */
    bool wander;      /* allow moves to related keys and modes */
    bool layers[AU_LAYER_COUNT]; /* layer switches; bells follow melody's */
    int piece;        /* AU_PIECE_* (src/core/pieces.h) */
    /* Per-layer volume, 0..1, a linear gain on the layer's output (its dry
     * signal and its effect sends), smoothed by the engine; 1 = as composed.
     * A switched-off layer is silent whatever its volume. */
    double volume[AU_LAYER_COUNT];
} au_params;

/* Bits of au_param_update.mask: which fields an update carries. */
enum {
    AU_P_KEY = 1u << 0,
    AU_P_MODE = 1u << 1,
    AU_P_BPM = 1u << 2,
    AU_P_INTENSITY = 1u << 3,
    AU_P_WANDER = 1u << 4,
    AU_P_LAYER0 = 1u << 5, /* AU_P_LAYER0 << layer index */
    AU_P_PIECE = 1u << 12, /* after the layer bits */
};
#define AU_P_LAYER(i) (AU_P_LAYER0 << (i))
/* Layer volumes: bits 16..21 (bits 11..15 are left to other fields). */
#define AU_P_VOLUME0 (1u << 16)
#define AU_P_VOLUME(i) (AU_P_VOLUME0 << (i))

/* A change to some of the parameters (the seed never changes live). */
typedef struct {
    uint32_t mask;
    au_params v;
} au_param_update;

/* Defaults: seed 0, C aeolian... callers pick a seed. Key D dorian, 60 bpm,
 * intensity 0.4, no wander, every layer on. */
au_params au_params_default(void);

/* Apply the fields named in u->mask to p. */
void au_params_apply(au_params *p, const au_param_update *u);

/* Names. Returned strings are static. */
const char *au_key_name(int key);     /* "C", "C#", ... (sharps) */
const char *au_mode_name(int mode);   /* "ionian", ... */
const char *au_layer_name(int layer); /* "pads", "melody", ... */

/* Parsers: 0 on success, or -1 with a one-line message in err naming the
 * value and what is allowed, e.g. "bpm must be between 30 and 200 (got 500)". */
int au_parse_key(const char *s, int *key, char *err, size_t errlen);
int au_parse_mode(const char *s, int *mode, char *err, size_t errlen);
int au_parse_seed(const char *s, uint64_t *seed, char *err, size_t errlen);
int au_parse_bpm(const char *s, double *bpm, char *err, size_t errlen);
int au_parse_intensity(const char *s, double *v, char *err, size_t errlen);
int au_parse_bool(const char *name, const char *s, bool *v, char *err,
                  size_t errlen);
int au_layer_from_name(const char *s); /* index or -1 */

/* Range checks for values that arrive already numeric (JSON). Same messages. */
int au_check_bpm(double bpm, char *err, size_t errlen);
int au_check_intensity(double v, char *err, size_t errlen);
/* A layer volume: 0.0 .. 1.0. name is used in the message ("pads_volume"). */
int au_check_volume(const char *name, double v, char *err, size_t errlen);

/* "pads_volume" -> AU_LAYER_PADS, or -1 when name is not a volume's name. */
int au_volume_from_name(const char *name);

/* Set one named field from its text form into u (and u->mask). Names: key,
 * mode, bpm, intensity, wander, piece, the layer names and the layer
 * volumes (pads_volume ...). -1 with message if the name is unknown or the
 * value invalid. */
int au_update_set_text(au_param_update *u, const char *name, const char *value,
                       char *err, size_t errlen);

/* The fields of u named in u->mask as "name=value,name=value" (the text
 * form of `--change` and of the timeline, see docs/protocol.md), numbers
 * printed so they read back exactly. Length written, or -1 if it did not
 * fit (buf then holds ""). */
int au_update_format(const au_param_update *u, char *buf, size_t len);

/* Parses "name=value[,name=value...]" into u (fields added to u->mask).
 * 0, or -1 with a one-line message. */
int au_update_parse_text(au_param_update *u, const char *text, char *err,
                         size_t errlen);

#endif
