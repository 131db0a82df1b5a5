/* Score events: what the composer emits and the synthesiser, the MIDI writer
 * and the server's event messages consume. Plain values.
 * Every event carries both its sample position (for audio) and its beat
 * position (for MIDI ticks; beats follow the tempo map, glides included). */
#ifndef AU_EVENTS_H
#define AU_EVENTS_H

#include <stdint.h>

typedef enum {
    AU_EV_NOTE_ON,  /* layer, note (MIDI), velocity 1..127 */
    AU_EV_NOTE_OFF, /* layer, note */
    AU_EV_CHORD,    /* a new chord starts: root, degree, name, tones */
    AU_EV_SECTION,  /* the conductor starts a new section */
    AU_EV_KEY,      /* key and/or mode changed (a pivot completed) */
    AU_EV_TEMPO,    /* tempo at this point (emitted while gliding, for MIDI) */
    AU_EV_CONTROL,  /* conductor control for the synth: see au_control */
} au_event_type;

/* Continuous controls the conductor sends the synthesiser (0..1 values). */
typedef enum {
    AU_CTL_BRIGHTNESS, /* overall filter openness */
    AU_CTL_DENSITY,    /* the conductor's current density */
    AU_CTL_LAYER_GAIN, /* per-layer balance: layer field says which */
    AU_CTL_SPACE,      /* reverb send/wetness */
    AU_CTL_INTENSITY,  /* the eased intensity */
    AU_CTL_PIECE,      /* the piece changed: value is its index (AU_PIECE_*) */
    AU_CTL_SECTION,    /* the section's own density offset, unclamped:
                        * 0.5 + (density before clamping - intensity) */
} au_control;

/* General MIDI percussion notes used by the percussion layer. */
enum { AU_PERC_KICK = 36, AU_PERC_RIM = 37, AU_PERC_HAT = 42,
       AU_PERC_SHAKER = 82 };

#define AU_CHORD_MAX_TONES 6

typedef struct {
    int64_t pos;    /* sample frame since stream start */
    double beat;    /* beats since stream start */
    uint8_t type;   /* au_event_type */
    uint8_t layer;  /* AU_LAYER_* for notes and layer controls */
    uint8_t note;   /* MIDI note */
    uint8_t vel;    /* MIDI velocity */
    union {
        struct {
            uint8_t root;      /* pitch class */
            uint8_t degree;    /* 1..7 scale degree of the root */
            uint8_t ntones;
            uint8_t tones[AU_CHORD_MAX_TONES]; /* MIDI notes of the voicing */
            char name[16];     /* e.g. "Dm9", "Gsus2", "Fmaj7" */
        } chord;
        struct {
            uint16_t index;    /* 0, 1, 2 ... */
            char name[16];     /* e.g. "rise", "plateau", "fall", "calm" */
        } section;
        struct {
            uint8_t key;       /* pitch class */
            uint8_t mode;      /* AU_MODE_* */
        } key;
        struct {
            double bpm;
        } tempo;
        struct {
            uint8_t id;        /* au_control */
            float value;       /* 0..1 */
        } control;
    } u;
} au_event;

#endif
