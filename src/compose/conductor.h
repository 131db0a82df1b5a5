/* The conductor: long-form evolution. Sections (arcs of 1-4 minutes named
 * calm, rise, plateau, fall, sparse) drift density, brightness, melody
 * register and layer balance; slow modulators on minute and hour scales keep
 * even similar sections apart. Emits AU_EV_SECTION and AU_EV_CONTROL events.
 * With wander on, proposes occasional moves to related keys or modes at
 * section starts (and home again). Plain value; not thread-safe. */
#ifndef AU_CONDUCTOR_H
#define AU_CONDUCTOR_H

#include "score.h"

enum { AU_SEC_CALM, AU_SEC_RISE, AU_SEC_PLATEAU, AU_SEC_FALL, AU_SEC_SPARSE,
       AU_SEC_COUNT };

typedef struct {
    au_rng rng;
    int type;
    uint16_t index;
    int64_t start_bar, end_bar;
    float off0, off1;          /* density offset across the section */
    float reg0, reg1;          /* register drift (semitones) */
    float bal0[AU_LAYER_COUNT], bal1[AU_LAYER_COUNT];
    float phase_min, phase_hour; /* slow modulator phases */
    float sent[6 + AU_LAYER_COUNT]; /* last values emitted */
    int home_key, home_mode;
    float perc_prob;           /* the orchestration's percussion chance */
    bool perc;                 /* this section has percussion */
    int first_type;            /* the opening section (calm unless set) */
    /* this bar's outputs */
    double density;
    double level_off; /* the section's density offset before the clamp */
    int reg_shift;
} au_conductor;

void au_conductor_init(au_conductor *c, uint64_t seed, int key, int mode);
const char *au_section_name(int type);

/* Called at each bar start before the generators. intensity: eased
 * listener intensity. When wander is on and a section starts, may set
 * *want_key and *want_mode to a related key (returns 1). */
int au_conductor_bar(au_conductor *c, au_score *s, int64_t bar, double beat,
                     double bpm, double intensity, bool wander, int key,
                     int mode, int *want_key, int *want_mode);

/* Listener changed the key/mode: that is the new home. */
void au_conductor_set_home(au_conductor *c, int key, int mode);

#endif
