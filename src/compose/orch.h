/* The orchestration of a piece: which layers it uses, when each enters,
 * the registers, the synth patch variant of every instrument, the cycle
 * lengths of the textures and bells, how often percussion plays and how
 * strongly the harmony pulls home. The seed fills it (au_orch_from_seed);
 * a named piece can start from that and override any field before the
 * first pull (au_composer_set_orch / au_engine_set_orch). Plain value. */
#ifndef AU_ORCH_H
#define AU_ORCH_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/params.h"

typedef struct {
    bool use[AU_LAYER_COUNT];      /* layers this piece has at all (the
                                    * listener's switches still apply) */
    float entry_s[AU_LAYER_COUNT]; /* entry time of each layer, seconds */
    int8_t reg_pads;               /* semitones added to the pads' range */
    int8_t reg_melody;             /* ... and to the melody's */
    float patch[AU_LAYER_COUNT][4];/* synth patch variants (inst_<kind>.c) */
    float tex_cycle_s;             /* texture swell cycle when calm */
    float bell_cycle_s;            /* bell figure cycle when calm */
    float perc_prob;               /* chance a busy section has percussion */
    double tonic_u;                /* harmony: where this seed's weight of
                                    * going home lies in the piece's
                                    * tonic_pull range (0..1) */
    float lead_u;                  /* the lead's colour, -1..1: its FM
                                    * index x 2^(piece's lead_colour x
                                    * this), drawn last (engine.c) */
} au_orch;

void au_orch_from_seed(au_orch *o, uint64_t seed);

/* A short description ("PBMTCD ..."), for reports and logs. */
int au_orch_describe(const au_orch *o, char *buf, int n);

#endif
