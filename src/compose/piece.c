/* The pieces' table and their own generators (loops, drone, evolving
 * percussion). See piece.h. The figures here were chosen by ear and by the
 * spectrogram; each comment says what the choice is for. */
#include "piece.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tempo.h"
#include "theory.h"

/* The table below starts each layer from defaults (macros) and overrides
 * the fields a piece cares about: later designated initialisers win by
 * design. */
#pragma GCC diagnostic ignored "-Woverride-init"

/* a layer played by Auralis's own instrument for that layer */
#define DSP(g, ...) {.on = true, .gen = (g), .lo = 0, .hi = 127, .vmin = 1, \
                     .vmax = 127, .gain = 1, .rev = 1, .dly = 1, __VA_ARGS__}
/* a layer played by a SoundFont program (DSP fallback without one) */
#define SF(g, prog, ...) {.on = true, .gen = (g), .sf = true,                \
                          .program = (prog), .lo = 0, .hi = 127, .vmin = 1,  \
                          .vmax = 127, .gain = 1, .rev = 1, .dly = 1,        \
                          __VA_ARGS__}
#define OFF {.on = false, .gain = 1, .rev = 1, .dly = 1}
/* the rules the SoundFont pieces were tuned on (pieces.md): the first
 * air (0.003 at 8 kHz: their instruments bring their own top), the fixed
 * warm-up, a calm opening, the first tonic pull (x2.5-4) and home hold */
#define FIRST_RULES .air_hz = 8000, .air_gain = 0.003f, .air_base = 0.35f, \
                    .air_slope = 0.9f, .tonic_pull = {2.5f, 4.0f},        \
                    .home_hold = 1.4, .kit_trim = 1, .bass_trim = {1, 0}

enum { P_PIANO = 0, P_EPIANO = 4, P_CELESTA = 8, P_VIBES = 11, P_HARP = 46,
       P_SLOW_STRINGS = 49, P_CHOIR = 52, P_OOHS = 53, P_FLUTE = 73,
       P_HALO = 94, P_CRYSTAL = 98, P_KALIMBA = 108, P_BRUSH_KIT = 40,
       P_ORCH_KIT = 48, P_CHOIR_PAD = 91, P_BOWED_GLASS = 92 };

static const au_piece pieces[AU_PIECE_COUNT] = {
    /* today's sound: every layer on Auralis's own instruments */
    [AU_PIECE_DRIFT] = {
        .layer = {DSP(AU_GEN_DEFAULT), DSP(AU_GEN_DEFAULT),
                  DSP(AU_GEN_DEFAULT), DSP(AU_GEN_DEFAULT),
                  DSP(AU_GEN_DEFAULT), DSP(AU_GEN_DEFAULT)},
        .harmonic_rhythm = 1, .density = 1, .space = 1,
        /* air rising 5-9 kHz with brightness, x20 the first; the rider
         * quick until the last entry; a rise opens; no turning back; the
         * tonic pull x4.5-6 (x2.5-4 sounded the tonic 31-47% of the time)
         * and the home chord held x1.6 (composition.md) */
        .air_hz = 5000, .air_track = 0.85f, .air_gain = 0.06f,
        .air_base = 0.2f, .air_slope = 1.1f, .warmup_tail = 15,
        .open_rise = true, .clear_turns = true, .tonic_pull = {4.5f, 6.0f},
        .home_hold = 1.6,
        /* the kit +2 dB: with the opening rise and the section rule it sat
         * at -19 dB re the mix where it plays (seed 7, 0.5, 10 minutes);
         * -18..-6 is audible and not on top. The bass 1.5 dB lower when
         * calm (0 dB at 0.9): a calm modal piece rests on its tonic
         * pedal, and 60-250 Hz held 61-62% of the power at 0.1 (seeds 3
         * and 11; at most 60% is asked) */
        .kit_trim = 1.26f, .bass_trim = {0.82f, 0.2f},
        /* the calm slope (synthesis.md): a floor filling 112-140 Hz, more
         * air, a lighter bass pedal, the pads' tonic pile-up eased, a
         * less pure lead */
        .floor_calm = 0.25f,
        .calm_air = 0.15f, .calm_bass = 0.49f, .calm_body_db = -4.2f,
        .calm_lead = 0.52f,
        /* the 125 Hz hole at 0.5 (synthesis.md): a tenor from the bass;
         * the pads' subs and the bass's saw lighter, so that 60-250 Hz
         * makes room for it */
        .bass_tenor = true, .pad_sub_gain = -0.1f, .bass_saw_gain = -0.13f,
        /* the seed's lead colour (synthesis.md, seventh round): seeds
         * whose leads differ in timbre differ in spectrum */
        .lead_colour = {2.0f, 1.0f, 0.5f, 1.0f},
        /* rootless pads in D3-B3 over a bass on the root (synthesis.md,
         * seventh round) */
        .pad_rootless = {50, 59},
        /* a full piece brighter and fuller (synthesis.md, eighth round) */
        .busy_air = 0.7f, .busy_pad_sub = 0.3f,
        /* keys whose bass leaves 100 Hz empty (synthesis.md, eighth
         * round) */
        .pad_sub_low = 0.6f,
    },
    /* a piano in a room: loops of 1-3 notes whose lengths share no common
     * period (19.7, 25.3, 31.1, 37.9 s), so the phrases meet in ever new
     * combinations, over slow strings; no drums, no bass, no bells */
    [AU_PIECE_ROOMS] = {
        .layer = {
            /* strings under the piano: the phrases sit above them */
            [AU_LAYER_PADS] = SF(AU_GEN_DEFAULT, P_SLOW_STRINGS, .lo = 41,
                                 .hi = 64, .vmin = 30, .vmax = 64,
                                 .attack_tc = 1200, .release_tc = 1200,
                                 .gain = 0.5f, .rev = 1.1f, .dly = 0),
            /* harder strikes are brighter piano samples */
            [AU_LAYER_MELODY] = SF(AU_GEN_LOOPS, P_PIANO, .nalt = 1, .alt = {1},
                                   .lo = 64, .hi = 96,
                                   .vmin = 52, .vmax = 108, .gain = 1.9f,
                                   .rev = 1.2f, .dly = 0.6f),
            /* the strings' low voice holding each chord's root (E2-E3),
             * so the room has a floor under the piano */
            [AU_LAYER_BASS] = SF(AU_GEN_DEFAULT, P_SLOW_STRINGS, .lo = 40,
                                 .hi = 52, .vmin = 28, .vmax = 56,
                                 .attack_tc = 1200, .release_tc = 1200,
                                 .gain = 0.8f, .rev = 1.1f, .dly = 0),
            [AU_LAYER_PERCUSSION] = OFF,
            /* the room: air and a little breath, mostly reverb */
            [AU_LAYER_TEXTURES] = DSP(AU_GEN_DEFAULT, .gain = 0.85f, .rev = 1.3f),
            [AU_LAYER_BELLS] = OFF,
        },
        .harmonic_rhythm = 1.5f, .density = 0.7f,
        .loop_s = {19.7f, 25.3f, 31.1f, 37.9f},
        .space = 1.15f, .brightness = 0.25f, .level_follow = 1.0f,
        /* the room's tone: low noise under the strings' root */
        .floor = 0.2f,
        .level_db = -0.8f,
        /* mastering (pieces.md): the strings' and piano's middle (500 Hz-
         * 2 kHz) sat 3-6 dB over the slope, the lowest strings' octave
         * and the piano's top under it */
        .eq = {.low_db = 2.8f, .low_hz = 95, .low_q = 1.4f, .mid_db = -6.0f,
               .mid_hz = 750, .mid_q = 0.5f, .high_db = 2.4f,
               .high_hz = 4600},
        FIRST_RULES,
    },
    /* bells, celesta and glass on the mode's pentatonic, high and bright,
     * over a halo pad; no bass, no drums */
    [AU_PIECE_GLASS] = {
        .layer = {
            /* the halo pad (two voices a note) lets go four times as fast
             * as its preset (6.7 -> 1.7 s; the reverb carries the tail);
             * its voices up to G4 (top notes folded an octave down): its
             * upper harmonics stood on the lead's lower notes and on 630-
             * 800 Hz (+6.4 dB over the slope at seed 12: pieces.md) */
            [AU_LAYER_PADS] = SF(AU_GEN_DEFAULT, P_HALO, .lo = 52, .hi = 67,
                                 .vmin = 30, .vmax = 64, .attack_tc = 600,
                                 .release_tc = -2400,
                                 .gain = 0.75f, .rev = 1.2f, .dly = 0.5f),
            [AU_LAYER_MELODY] = SF(AU_GEN_DEFAULT, P_CELESTA, .nalt = 2,
                                   .alt = {10, 9}, .transpose = 12,
                                   .lo = 72, .hi = 98, .vmin = 40, .vmax = 96,
                                   /* x0.5: it stood out +10..+16 dB and
                                    * its few pitches made 1-2 kHz peaks */
                                   .gain = 0.5f, .rev = 1.3f, .dly = 1.2f,
                                   /* the glockenspiel: its fundamentals
                                    * under F6 are weak (pieces.md) and
                                    * its 5-8 kHz partials loud: +5 dB
                                    * under a filter an octave lower (at
                                    * +2 dB and open it stood +4.1 dB out
                                    * at seed 5 and took glass to -20.6 dB
                                    * above 5 kHz) */
                                   .variant_db = {0, 0, 5},
                                   .variant_fc = {0, 0, -1200}),
            /* bowed glass under the garden: each chord's root, then the
             * chord tone above it nearest C3, one note at a time (the
             * preset plays three voices a note; its release x1/4, 8.4 ->
             * 2.1 s, so two notes overlap briefly), so the glass has a
             * floor and the octave above it is not empty (pieces.md) */
            [AU_LAYER_BASS] = SF(AU_GEN_BOWED, P_BOWED_GLASS, .lo = 41,
                                 .hi = 61, .vmin = 28, .vmax = 60,
                                 .release_tc = -2400,
                                 .gain = 1.1f, .rev = 1.3f, .dly = 0),
            /* glass percussion: the orchestra (or standard) kit's
             * triangles, ride bell and bell tree, mostly reverb; after
             * its two beats a hit's own ring fades four times as fast as
             * the preset's (its tail is the reverb's): 7.7 -> 4.3
             * FluidSynth voices over 240 s at seed 7 (pieces.md: speed) */
            [AU_LAYER_PERCUSSION] = SF(AU_GEN_PERC, P_ORCH_KIT, .bank = 128,
                                       .nalt = 1, .alt = {0}, .vmin = 12,
                                       .vmax = 80, .gain = 0.9f, .rev = 1.5f,
                                       .dly = 1.0f, .release_tc = -2400),
            /* the breath an octave lower (x1.75: a constant-Q band an
             * octave down carries half the power): its band and shimmer
             * (four times the note) sat on the lead's own pitches, the
             * tonic G6 at 1.6 kHz (+6 dB over the slope at seed 5),
             * masking the glockenspiel (prominence +2.5 dB); now at
             * 0.6-1.2 kHz, where the pentatonic leaves the garden's
             * middle thin (1 kHz -4.8 dB at seed 5) */
            [AU_LAYER_TEXTURES] = DSP(AU_GEN_DEFAULT, .gain = 1.05f,
                                      .transpose = -12),
            [AU_LAYER_BELLS] = SF(AU_GEN_DEFAULT, P_CRYSTAL, .nalt = 1,
                                  .alt = {14}, .lo = 67,
                                  .hi = 100, .vmin = 30, .vmax = 80,
                                  .gain = 0.9f, .rev = 1.3f, .dly = 1.2f),
        },
        .harmonic_rhythm = 1.0f, .density = 0.9f, .reg_shift = 3,
        .pentatonic = true,
        /* not a groove: cycles of 7, 5, 11 and 13 eighths that drift
         * against the bar and each other, few hits, left to ring; new
         * patterns every 80-120 s; the bus plays 12-28 bars, rests 10-24 */
        .kit = {{53, 80, 81, 84}, {52, 60, 70, 56},
                {AU_PERC_RIM, AU_PERC_HAT, AU_PERC_HAT, AU_PERC_SHAKER}},
        .perc = {.steps = {7, 5, 11, 13}, .kmin = {1, 1, 2, 1},
                 .kmax = {2, 2, 3, 2}, .step_beats = 0.5f,
                 .renew_s = {80, 120}, .prob = 0.6f, .swing = 0.0f,
                 .dur_beats = 2.0f, .on_bars = {12, 28}, .off_bars = {10, 24}},
        .space = 1.3f, .brightness = 0.2f, .level_follow = 1.0f,
        .level_db = -0.8f,
        /* mastering (pieces.md): a lift of the octave above the bowed
         * glass's roots (its upper tone sounds half the time), the halo
         * pad's 250-400 Hz eased (it held 25-31% of the power), a presence
         * bell at 3.6 kHz (2.5-5 kHz sat 5-7 dB under the slope at seeds
         * 9 and 12: room made by the glockenspiel's filter) and the lead's
         * tonic G6 eased (1.6 kHz, +5..+6 dB at the glockenspiel seeds);
         * fitted on seeds 1-13 (pieces.md) */
        .eq = {.low_db = 6.7f, .low_hz = 128, .low_q = 4.0f, .mid_db = -4.4f,
               .mid_hz = 280, .mid_q = 1.7f, .high_db = 4.0f, .high_hz = 3690,
               .high_q = 1.5f, .top_db = -1.0f, .top_hz = 1490, .top_q = 2.3f},
        FIRST_RULES,
        /* x3 the first air: at seed 1 (celesta, few percussion hits)
         * 5-8 kHz fell 4-6 dB under the slope */
        .air_gain = 0.009f,
        /* the halo's middle voices piled up on 250-330 Hz; three of the
         * voicing's notes also cost fewer FluidSynth voices */
        .pad_voices = 3,
    },
    /* voices holding long chords over a deep drone; chords change half as
     * often; a second, softer voice sings now and then */
    [AU_PIECE_CHOIR] = {
        .layer = {
            /* the choir pad (FluidR3's "aahs" preset as a variant
             * masked the "oohs" melody, +2.5 dB, and darkened the mix) */
            [AU_LAYER_PADS] = SF(AU_GEN_DEFAULT, P_CHOIR_PAD, .lo = 48, .hi = 77,
                                 .vmin = 36, .vmax = 80, .attack_tc = 1800,
                                 .release_tc = 1200, .cutoff_cents = 1200,
                                 .gain = 0.8f, .rev = 1.3f, .dly = 0,
                                 /* its left and right voices play one
                                  * sample (equal sample for sample):
                                  * one centred voice (pieces.md: speed) */
                                 .sf_mono_pairs = true),
            [AU_LAYER_MELODY] = SF(AU_GEN_DEFAULT, P_OOHS, .lo = 64, .hi = 86,
                                   .vmin = 30, .vmax = 72, .attack_tc = 1200,
                                   .release_tc = 600, .gain = 1.85f,
                                   .rev = 1.3f, .dly = 0.3f),
            /* the drone 3.5 dB under what it was: its tonic alone held
             * up to 48% of the power in 60-250 Hz, leaving the mastering
             * EQ no room to fill 125 Hz between tonic and fifth */
            [AU_LAYER_BASS] = DSP(AU_GEN_DRONE, .gain = 0.12f, .rev = 1.2f),
            [AU_LAYER_PERCUSSION] = OFF,
            /* breath and air above the voices */
            [AU_LAYER_TEXTURES] = DSP(AU_GEN_DEFAULT, .gain = 2.4f, .rev = 1.2f),
            [AU_LAYER_BELLS] = OFF,
        },
        .harmonic_rhythm = 2.0f, .density = 0.7f,
        .space = 1.5f, .brightness = 0.1f, .level_follow = 1.0f,
        /* the large space's low rumble between the drone's notes */
        .floor = 0.15f,
        .level_db = -0.8f,
        /* mastering (pieces.md): a lift between the drone's tonic and
         * fifth (125 Hz); the "oohs" and breath's 1.6 kHz eased; the
         * voices' presence and air lifted (3-8 kHz) and the octave above
         * them rolled off, as a large hall's air does (it also keeps
         * choir apart from night, whose low voices the open voicings
         * came near) */
        .eq = {.low_db = 4.2f, .low_hz = 123, .low_q = 2.0f, .mid_db = -2.0f,
               .mid_hz = 1600, .mid_q = 1.4f, .high_db = 5.0f,
               .high_hz = 6000, .high_q = 0.8f, .top_db = -8.0f,
               .top_hz = 13000},
        FIRST_RULES,
        /* open voicings ("drop 2"): a close chord on A3-E4 stood +5..+7
         * dB over the slope at 250-315 Hz (seed 1) and left 110-140 Hz
         * under it; spread, it sits near the line at every seed */
        .pad_open = true,
    },
    /* for sleep: low, dark strings and a few soft electric-piano notes far
     * apart over a drone; no beat, no bells */
    [AU_PIECE_NIGHT] = {
        .layer = {
            [AU_LAYER_PADS] = SF(AU_GEN_DEFAULT, P_SLOW_STRINGS, .lo = 41,
                                 .hi = 62, .vmin = 22, .vmax = 52,
                                 .attack_tc = 1800, .release_tc = 1800,
                                 .cutoff_cents = -1200, .gain = 0.75f,
                                 .rev = 1.2f, .dly = 0),
            [AU_LAYER_MELODY] = SF(AU_GEN_DEFAULT, P_EPIANO, .nalt = 2,
                                   .alt = {P_HARP, P_VIBES},
                                   .lo = 60, .hi = 79, .vmin = 30, .vmax = 64,
                                   .cutoff_cents = -1200, .gain = 3.2f,
                                   .rev = 1.3f, .dly = 0.8f,
                                   /* FluidR3's vibraphone sounds 15 dB
                                    * under its electric piano at one
                                    * velocity: +12 dB (its prominence
                                    * at seed 5 +1.8 dB: pieces.md) */
                                   .variant_db = {0, 0, 12}),
            /* low strings holding the root (E2-E3), dark, under the
             * strings' chords */
            [AU_LAYER_BASS] = SF(AU_GEN_DEFAULT, P_SLOW_STRINGS, .lo = 40,
                                 .hi = 52, .vmin = 24, .vmax = 48,
                                 .attack_tc = 1800, .release_tc = 1800,
                                 .cutoff_cents = -1200, .gain = 0.7f,
                                 .rev = 1.2f, .dly = 0),
            [AU_LAYER_PERCUSSION] = OFF,
            [AU_LAYER_TEXTURES] = DSP(AU_GEN_DEFAULT, .gain = 0.7f),
            [AU_LAYER_BELLS] = OFF,
        },
        .harmonic_rhythm = 2.5f, .density = 0.35f, .reg_shift = -5,
        .space = 1.4f, .brightness = -0.25f, .level_follow = 1.0f,
        /* a distant sea: low noise swelling slowly (brown noise is a
         * sleep sound of its own) */
        .floor = 0.2f,
        .level_db = -0.8f,
        /* mastering (pieces.md): the strings' middle (400 Hz-1.6 kHz)
         * sat 5-9 dB over the slope; eased, and the top lifted so the dark
         * piece is not a muffled one (above 5 kHz -32 -> -26 dB) */
        .eq = {.low_db = 3.8f, .low_hz = 124, .low_q = 2.0f, .mid_db = -5.9f,
               .mid_hz = 710, .mid_q = 0.95f, .high_db = 5.8f,
               .high_hz = 5000},
        FIRST_RULES,
    },
    /* a steady soft pulse: brush kit patterns renewed about every minute,
     * the drums coming and going every 16-40 bars, vibraphone and kalimba
     * over warm pads */
    [AU_PIECE_PULSE] = {
        .layer = {
            [AU_LAYER_PADS] = DSP(AU_GEN_DEFAULT, .lo = 55, .hi = 88,
                                  .gain = 0.45f),
            [AU_LAYER_MELODY] = SF(AU_GEN_DEFAULT, P_VIBES, .nalt = 1,
                                   .alt = {12}, .lo = 60,
                                   .hi = 86, .vmin = 44, .vmax = 100,
                                   .gain = 1.7f, .rev = 0.9f, .dly = 1.0f,
                                   /* the vibraphone sounds 3 dB under the
                                    * marimba at one velocity: +3 dB */
                                   .variant_db = {3, 0}),
            [AU_LAYER_BASS] = DSP(AU_GEN_DEFAULT, .lo = 38, .hi = 55,
                                  .gain = 0.3f),
            /* the kit: brushes, or the jazz or room kit */
            [AU_LAYER_PERCUSSION] = SF(AU_GEN_PERC, P_BRUSH_KIT, .bank = 128,
                                       .nalt = 2, .alt = {32, 8},
                                       .vmin = 20, .vmax = 96, .gain = 1.4f,
                                       .rev = 0.6f, .dly = 0.3f),
            [AU_LAYER_TEXTURES] = DSP(AU_GEN_DEFAULT, .gain = 0.6f),
            [AU_LAYER_BELLS] = SF(AU_GEN_DEFAULT, P_KALIMBA, .nalt = 1,
                                  .alt = {10}, .lo = 67,
                                  .hi = 93, .vmin = 36, .vmax = 84,
                                  .gain = 0.9f, .rev = 1.0f, .dly = 1.0f),
        },
        .harmonic_rhythm = 1.0f, .density = 1.1f,
        /* low: kick, click: side stick, tick: closed hat, shaker: maracas;
         * a groove: one-bar cycles of sixteenths, a light swing, renewed
         * about every minute, the drums playing 16-40 bars, resting 8-20 */
        .kit = {{36, 37, 42, 70}, {70, 60, 56, 64},
                {AU_PERC_KICK, AU_PERC_RIM, AU_PERC_HAT, AU_PERC_SHAKER}},
        .perc = {.steps = {16, 16, 16, 16}, .kmin = {1, 2, 4, 6},
                 .kmax = {3, 4, 8, 11}, .step_beats = 0.25f,
                 .renew_s = {50, 70}, .prob = 1.0f, .swing = 0.12f,
                 .dur_beats = 0.2f, .on_bars = {16, 40}, .off_bars = {8, 20}},
        .space = 0.9f, .brightness = 0.1f, .level_follow = 1.0f,
        .level_db = -0.8f,
        /* mastering (pieces.md): the kick's and bass's octave (100 Hz)
         * lifted, the pads' and vibraphone's middle eased */
        .eq = {.low_db = 3.0f, .low_hz = 97, .low_q = 2.0f, .mid_db = -4.3f,
               .mid_hz = 800, .mid_q = 0.55f},
        FIRST_RULES,
    },
};

const au_piece *au_piece_get(int piece)
{
    return piece >= 0 && piece < AU_PIECE_COUNT ? &pieces[piece] : NULL;
}

au_params au_piece_params(int piece)
{
    au_params p = au_params_default();
    const au_piece_info *i = au_piece_info_get(piece);
    if (!i) return p;
    p.piece = piece;
    p.key = i->key;
    p.mode = i->mode;
    p.bpm = i->bpm;
    p.intensity = i->intensity;
    return p;
}

int au_piece_program(const au_piece_layer *l, int layer, uint64_t seed)
{
    if (!l->nalt) return l->program;
    uint64_t x = seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(layer + 1));
    uint32_t k = (uint32_t)(au_splitmix64(&x) % (uint64_t)(l->nalt + 1));
    return k ? l->alt[k - 1] : l->program;
}

/* which of program, alt[0], alt[1] the seed plays (-1: none of them) */
static int variant_of(const au_piece_layer *l, int layer, uint64_t seed)
{
    int prog = au_piece_program(l, layer, seed);
    if (prog == l->program) return 0;
    for (int k = 0; k < l->nalt && k < 2; k++)
        if (l->alt[k] == prog) return k + 1;
    return -1;
}

int au_piece_variant_db(const au_piece_layer *l, int layer, uint64_t seed)
{
    int k = variant_of(l, layer, seed);
    return k < 0 ? 0 : l->variant_db[k];
}

int au_piece_variant_fc(const au_piece_layer *l, int layer, uint64_t seed)
{
    int k = variant_of(l, layer, seed);
    return l->cutoff_cents + (k < 0 ? 0 : l->variant_fc[k]);
}

int au_piece_note(const au_piece_layer *l, int note)
{
    int n = note + l->transpose;
    if (l->hi >= l->lo + 12) {
        while (n < l->lo) n += 12;
        while (n > l->hi) n -= 12;
    }
    return n < 0 ? 0 : n > 127 ? 127 : n;
}

int au_piece_vel(const au_piece_layer *l, int vel)
{
    if (vel < 1) vel = 1;
    if (vel > 127) vel = 127;
    int v = l->vmin + ((l->vmax - l->vmin) * (vel - 1) + 63) / 126;
    return v < 1 ? 1 : v > 127 ? 127 : v;
}

int au_piece_pad_voicing(const au_piece *pc, const uint8_t *v, int n,
                         uint8_t *out)
{
    if (n > 6) n = 6;
    if (n < 0) n = 0;
    memcpy(out, v, (size_t)n);
    if (!pc->pad_open && (!pc->pad_voices || n <= pc->pad_voices)) return n;
    /* sorted low to high (n <= 6), then the lowest and the top ones kept */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && out[j - 1] > out[j]; j--) {
            uint8_t t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    /* open ("drop 2"): the second-highest note an octave down when it
     * stays in the layer's register, the others where they are (the top
     * stays the top: the melody sings above it) */
    if (pc->pad_open && n >= 3 &&
        out[n - 2] - 12 >= pc->layer[AU_LAYER_PADS].lo) {
        int down = out[n - 2] - 12, dup = 0;
        for (int i = 0; i < n - 2; i++) dup |= out[i] == down;
        if (!dup) {
            int i = n - 2;
            for (; i > 0 && out[i - 1] > down; i--) out[i] = out[i - 1];
            out[i] = (uint8_t)down;
        }
    }
    if (!pc->pad_voices || n <= pc->pad_voices) return n;
    int k = pc->pad_voices;
    memmove(out + 1, out + n - (k - 1), (size_t)(k - 1));
    return k;
}

uint16_t au_pentatonic_mask(int key, int mode)
{
    uint16_t m = au_scale_mask(key, mode);
    /* drop a tone sitting a semitone above another scale tone (the half
     * steps are where the tension is); never the tonic */
    uint16_t out = m;
    for (int pc = 0; pc < 12; pc++)
        if ((m >> pc & 1) && (m >> ((pc + 11) % 12) & 1) && pc != key)
            out &= (uint16_t) ~(1u << pc);
    /* a mode whose half steps both sit above the tonic side keeps 5 */
    return out;
}

/* ---- loops ---- */

void au_loops_init(au_loops *g, uint64_t seed)
{
    memset(g, 0, sizeof *g);
    au_rng_seed(&g->rng, seed, 0x6c6f6f70);
    g->key = -1;
}

static void loops_build(au_loops *g, const au_piece *pc, int k)
{
    /* 1-3 notes, mostly stepwise or a third apart, within a sixth */
    int n = 1 + (int)au_rng_below(&g->rng, 3);
    g->len[k] = (uint8_t)n;
    int d = (int)au_rng_below(&g->rng, 7);
    float t = (float)au_rng_range(&g->rng, 0.0, 1.5);
    for (int i = 0; i < n; i++) {
        g->deg[k][i] = (uint8_t)d;
        g->offs[k][i] = t;
        d += (int)au_rng_below(&g->rng, 5) - 2;
        d = d < 0 ? 0 : d > 8 ? 8 : d;
        t += (float)au_rng_range(&g->rng, 0.7, 2.2);
    }
    (void)pc;
}

void au_loops_bar(au_loops *g, const au_piece *pc, au_score *s,
                  const au_bar_ctx *x)
{
    const au_piece_layer *l = &pc->layer[AU_LAYER_MELODY];
    int nloops = 0;
    while (nloops < 4 && pc->loop_s[nloops] > 0) nloops++;
    if (g->key != x->key || g->mode != x->mode) {
        for (int k = 0; k < nloops; k++) {
            loops_build(g, pc, k);
            if (g->key < 0) /* first build: loops start scattered */
                g->next_beat[k] = x->beat + au_beats(au_rng_range(&g->rng, 0.0,
                                      0.8 * pc->loop_s[k]), x->bpm);
        }
        g->key = x->key;
        g->mode = x->mode;
    }
    double end = x->beat + AU_BEATS_PER_BAR;
    uint16_t mask = pc->pentatonic ? au_pentatonic_mask(x->key, x->mode) : x->scale;
    int base = au_nearest_in(mask, l->lo + 2, l->lo, l->hi);
    for (int k = 0; k < nloops; k++) {
        while (g->next_beat[k] < end) {
            double start = g->next_beat[k];
            if (start < x->beat) start = x->beat;
            /* quieter and thinner when calm: a loop sits out now and then */
            if (x->active && au_rng_chance(&g->rng, 0.55 + 0.4 * x->intensity)) {
                for (int i = 0; i < g->len[k]; i++) {
                    int note = au_scale_move(mask, base, g->deg[k][i]);
                    double on = start + au_beats(g->offs[k][i], x->bpm);
                    double dur = au_beats(au_rng_range(&g->rng, 2.5, 4.5), x->bpm);
                    int vel = 50 + (int)(50 * x->intensity) +
                              (int)au_rng_below(&g->rng, 13) - 6 - 8 * i;
                    au_score_note(s, AU_LAYER_MELODY, note, vel, on, on + dur);
                }
            }
            /* the motif moves slowly: now and then one note steps */
            if (++g->plays[k] % 7 == 0) {
                int i = (int)au_rng_below(&g->rng, g->len[k]);
                int d = g->deg[k][i] + (au_rng_chance(&g->rng, 0.5) ? 1 : -1);
                g->deg[k][i] = (uint8_t)(d < 0 ? 1 : d > 8 ? 7 : d);
            }
            g->next_beat[k] += au_beats(pc->loop_s[k], x->bpm);
        }
    }
}

/* ---- drone ---- */

void au_drone_init(au_drone *g, uint64_t seed)
{
    memset(g, 0, sizeof *g);
    au_rng_seed(&g->rng, seed, 0x64726f6e);
}

void au_drone_bar(au_drone *g, const au_piece *pc, au_score *s,
                  const au_bar_ctx *x)
{
    (void)pc;
    if (!x->active) return;
    int tonic = 36 + x->key; /* C2..B2: under the voices, above 35 Hz */
    if (tonic > 43) tonic -= 12;
    if (tonic < 38) tonic += 12;
    if (x->bar < g->next_bar && g->note[0] == tonic) return;
    /* held 6-12 bars; the next strike overlaps by a beat, so the drone
     * never stops; the fifth joins when the piece is fuller */
    int bars = 6 + (int)au_rng_below(&g->rng, 7);
    double dur = bars * AU_BEATS_PER_BAR + 1.0;
    int vel = 46 + (int)(30 * x->intensity) + (int)au_rng_below(&g->rng, 9) - 4;
    au_score_note(s, AU_LAYER_BASS, tonic, vel, x->beat, x->beat + dur);
    if (x->density > 0.45 ? au_rng_chance(&g->rng, 0.5)
                          : au_rng_chance(&g->rng, 0.6))
        au_score_note(s, AU_LAYER_BASS, tonic + 7,
                      vel - (x->density > 0.45 ? 14 : 20), x->beat + 2.0,
                      x->beat + dur);
    g->note[0] = (uint8_t)tonic;
    g->next_bar = x->bar + bars;
}

/* ---- bowed: root and an upper chord tone in turn ---- */

void au_bowed_init(au_bowed *g, uint64_t seed)
{
    memset(g, 0, sizeof *g);
    au_rng_seed(&g->rng, seed, 0x626f7764);
}

void au_bowed_bar(au_bowed *g, const au_piece *pc, au_score *s,
                  const au_bar_ctx *x)
{
    if (!x->active) return;
    /* a release (layer switch, piece change) silenced what we held */
    bool fresh = g->epoch != x->epoch || !g->id;
    g->epoch = x->epoch;
    if (x->chord_new || fresh) {
        /* the root at its place in the layer's lowest octave, and the
         * chord tone a minor third to a major sixth above it that lies
         * nearest the octave's top (lo + 7: C3 for glass's F2-F3): a root
         * alone left the octave above it empty for as long as a chord
         * lasted (pieces.md) */
        const au_chord *ch = x->chord;
        const au_piece_layer *l = &pc->layer[AU_LAYER_BASS];
        int root = l->lo + ((int)ch->root - l->lo % 12 + 12) % 12;
        int up = -1;
        for (int i = 0; i < ch->npcs; i++) {
            int p = root + ((int)ch->pcs[i] - (int)ch->root + 12) % 12;
            if (p < root + 3 || p > root + 9) continue;
            if (up < 0 || abs(p - (l->lo + 7)) < abs(up - (l->lo + 7))) up = p;
        }
        g->tone[0] = (uint8_t)root;
        g->tone[1] = (uint8_t)(up < 0 ? root : up);
        g->turn = 0;
    } else if (x->bar < g->next_bar) {
        return;
    } else {
        g->turn ^= 1; /* the other tone of the pair */
    }
    /* one bowed note at a time, each held two bars (a new chord bows its
     * root at once): the pair sounds in turn, a slow figure, at the cost
     * of one note (the bowed glass plays three FluidSynth voices a note) */
    g->next_bar = x->bar + 2;
    int want = g->tone[g->turn];
    if (!fresh && g->id && g->note == want) return; /* bowed on */
    int vel = 48 + (int)(30 * x->density) + (int)au_rng_below(&g->rng, 7) - 3 -
              6 * g->turn;
    double at = x->beat + au_humanise(&g->rng, x->bpm, x->density, 0.08);
    if (g->id) au_score_note_off(s, AU_LAYER_BASS, g->note, g->id, at);
    g->id = au_score_note_on(s, AU_LAYER_BASS, want, vel, at);
    g->note = (uint8_t)want;
}

/* ---- evolving percussion ---- */

static uint16_t euclid(int k, int n, int rot)
{
    uint16_t m = 0;
    if (k <= 0) return 0;
    if (k > n) k = n;
    for (int i = 0; i < n; i++)
        if ((i * k) % n < k) m |= (uint16_t)(1u << ((i + rot) % n));
    return m;
}

void au_ptex_init(au_ptex *g, uint64_t seed)
{
    memset(g, 0, sizeof *g);
    au_rng_seed(&g->rng, seed, 0x70746578);
    g->renew_beat = -1;
}

void au_ptex_bar(au_ptex *g, const au_piece *pc, au_score *s,
                 const au_bar_ctx *x)
{
    const au_piece_perc *st = &pc->perc;
    double sb = st->step_beats > 0 ? st->step_beats : 0.25;
    if (x->beat >= g->renew_beat) {
        /* new patterns: the low role on a strong place, the others
         * anywhere in their cycles */
        for (int v = 0; v < 4; v++) {
            int n = st->steps[v] ? st->steps[v] : 16;
            int k = st->kmin[v] +
                    (int)au_rng_below(&g->rng, (uint32_t)(st->kmax[v] - st->kmin[v] + 1));
            int rot = v == 0 ? (n / 4) * (int)au_rng_below(&g->rng, 2)
                             : (int)au_rng_below(&g->rng, (uint32_t)n);
            g->pattern[v] = euclid(k, n, rot);
        }
        g->renew_beat = x->beat + au_beats(au_rng_range(&g->rng, st->renew_s[0],
                                                        st->renew_s[1]), x->bpm);
        g->mutate_bar = x->bar + 4;
    } else if (x->bar >= g->mutate_bar) {
        /* in between, the patterns mutate by one step now and then */
        int v = 1 + (int)au_rng_below(&g->rng, 3);
        int n = st->steps[v] ? st->steps[v] : 16;
        g->pattern[v] ^= (uint16_t)(1u << au_rng_below(&g->rng, (uint32_t)n));
        g->mutate_bar = x->bar + 4;
    }
    if (x->bar >= g->switch_bar) {
        /* the drum bus enters and leaves in spans of bars */
        g->playing = !g->playing;
        const float *span = g->playing ? st->on_bars : st->off_bars;
        int lo = (int)span[0], hi = (int)span[1];
        if (hi <= lo) hi = lo + 1;
        g->switch_bar = x->bar + lo + (int64_t)au_rng_below(&g->rng, (uint32_t)(hi - lo));
    }
    if (!x->active || !g->playing || x->intensity < 0.12) return;
    /* enter and leave over 4 bars */
    double edge = (double)(g->switch_bar - x->bar) / 4.0;
    double fade = edge < 1.0 ? edge : 1.0;
    double xi = au_clampd(0.6 * x->intensity + 0.4 * x->density, 0.0, 1.0);
    /* steps counted from the start of the stream, so cycles that are not
     * a bar long run on across bars (and drift against each other) */
    int64_t s0 = (int64_t)ceil(x->beat / sb - 1e-9);
    double end = x->beat + AU_BEATS_PER_BAR;
    for (int64_t si = s0; si * sb < end - 1e-9; si++) {
        double at = si * sb;
        double inbar = fmod(at, (double)AU_BEATS_PER_BAR);
        double acc = fmod(inbar, 1.0) < 1e-6 ? (inbar < 1e-6 ? 1.0 : 0.85)
                   : fmod(inbar, 0.5) < 1e-6 ? 0.7 : 0.55;
        for (int v = 0; v < 4; v++) {
            int n = st->steps[v] ? st->steps[v] : 16;
            if (!((g->pattern[v] >> (si % n)) & 1)) continue;
            if (v == 3 && xi < 0.35) continue; /* the shaker joins when fuller */
            if (!au_rng_chance(&g->rng, st->prob * (0.55 + 0.45 * xi))) continue;
            int vel = (int)(pc->kit.vel[v] * acc * (0.6 + 0.4 * xi) * (0.5 + 0.5 * fade));
            vel += (int)au_rng_below(&g->rng, 9) - 4;
            if (vel < 8) continue;
            double on = at + (si & 1 ? st->swing * sb : 0.0) +
                        au_beats(au_rng_range(&g->rng, 0.0, 0.012), x->bpm);
            au_score_note(s, AU_LAYER_PERCUSSION, pc->kit.note[v], vel, on,
                          on + (st->dur_beats > 0 ? st->dur_beats : 0.2));
        }
    }
}
