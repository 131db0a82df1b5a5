/* The inside of au_composer (see composer.h): fixed-size state only, no
 * pointers into itself, so a composer can be copied (forking the piece). */
#ifndef AU_COMPOSER_STATE_H
#define AU_COMPOSER_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/params.h"
#include "bass.h"
#include "conductor.h"
#include "events.h"
#include "harmony.h"
#include "melody.h"
#include "orch.h"
#include "pads.h"
#include "perc.h"
#include "piece.h"
#include "score.h"
#include "tempo.h"
#include "texture.h"
#include "theory.h"

#define AU_COMPOSER_STASH 64
#define AU_COMPOSER_MAX_POLY 8

typedef struct {
    uint8_t note;
    uint32_t id;
    uint32_t order; /* onset order, for stealing the oldest */
} au_sounding;

struct au_composer {
    au_params params;   /* as targeted by the caller */
    au_params live;     /* as acting now (changes land at tick boundaries) */
    int rate;
    int64_t pos;        /* end of the last pull */
    au_tempo tempo;
    double intensity;   /* eased towards live.intensity */
    double intensity_sent, tempo_sent, tempo_sent_beat;
    int key, mode;      /* sounding key and mode */
    int cur_piece;      /* the piece whose policies act now */
    int want_key, want_mode;
    bool key_forced;    /* a listener change: move at the next bar */
    bool pending;       /* a change waiting for its tick boundary */
    int64_t pending_pos;
    au_param_update pending_u;
    int64_t bar;        /* next bar to generate */
    int64_t end_pos;    /* a finite piece: its end (0 = endless) */
    int64_t quiet_pos;  /* no note starts from here; all released here */
    bool end_released;
    int64_t chord_end_bar;
    au_chord chord;
    uint8_t voicing[6];
    int nvoicing;
    int64_t entry_bar[AU_LAYER_COUNT];
    uint32_t epoch[AU_LAYER_COUNT];
    uint32_t drop_below[AU_LAYER_COUNT]; /* note ids planned before a release */
    /* emission: what sounds now, per layer */
    au_sounding sounding[AU_LAYER_COUNT][AU_COMPOSER_MAX_POLY];
    int nsounding[AU_LAYER_COUNT];
    uint32_t order;
    au_event stash[AU_COMPOSER_STASH];
    int stash_head, stash_n;
    au_orch orch;       /* the piece's orchestration (seed or a piece) */
    /* generators */
    au_score score;
    au_conductor cond;
    au_harmony harm;
    au_pads pads;
    au_bass bass;
    au_melody melody;
    au_texture texture;
    au_bells bells;
    au_perc perc;
    /* the pieces' own generators (src/compose/piece.c) */
    au_loops loops;
    au_drone drone;
    au_ptex ptex;
    au_bowed bowed;
};

#endif
