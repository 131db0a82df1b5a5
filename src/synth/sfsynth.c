/* One engine's FluidSynth (see sfsynth.h). */
#include "sfsynth.h"

#include <fluidsynth.h>
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "../core/au.h"
#include "sfont.h"

/* the synth's polyphony: also the voices looked at after a note event */
#define AU_SFSYNTH_VOICE_SCAN 48

/* A released voice is cut once its release has taken it 60 dB under its
 * own peak (see schedule_cuts); releases shorter than this many blocks
 * are left alone. */
#define CUT_DEPTH 0.625 /* of the release: 960 cB x 0.625 = 60 dB */
#define CUT_MIN_BLOCKS 32

typedef struct {
    fluid_voice_t *v; /* NULL: free */
    unsigned id;      /* the note's id: the voice may be reused */
    long at;          /* block to fade it in; the block after, it ends */
    int faded;
} au_sfsynth_cut;

struct au_sfsynth {
    fluid_settings_t *settings;
    fluid_synth_t *synth;
    int sfid;
    int idx;          /* frames of buf already handed out (64 = none left) */
    unsigned written; /* groups FluidSynth wrote into buf */
    int active;       /* voices sounding at the last block */
    float buf[AU_SFSYNTH_GROUPS * 2][AU_SFSYNTH_FRAMES]; /* L, R by group */
    float *outs[AU_SFSYNTH_GROUPS * 2];
    int rate;
    long block; /* 64-frame blocks started since create */
    int ncut;   /* entries of cut in use (some may be free) */
    au_sfsynth_cut cut[AU_SFSYNTH_VOICE_SCAN];
    uint64_t mono_pairs; /* channels whose pairs play as one voice */
};

int au_sfsynth_create(au_sfsynth **out, int rate)
{
    *out = NULL;
    au_sfsynth *s = calloc(1, sizeof *s);
    if (!s) return AU_ENOMEM;
    s->settings = new_fluid_settings();
    if (!s->settings) {
        free(s);
        return AU_ENOMEM;
    }
    fluid_settings_t *st = s->settings;
    fluid_settings_setnum(st, "synth.sample-rate", rate);
    fluid_settings_setint(st, "synth.threadsafe-api", 0); /* no mutex */
    fluid_settings_setint(st, "synth.reverb.active", 0);
    fluid_settings_setint(st, "synth.chorus.active", 0);
    fluid_settings_setint(st, "synth.lock-memory", 0);
    fluid_settings_setint(st, "synth.cpu-cores", 1); /* no mixer threads */
    fluid_settings_setint(st, "synth.polyphony", AU_SFSYNTH_VOICE_SCAN);
    fluid_settings_setint(st, "synth.midi-channels", AU_SFSYNTH_CHANNELS);
    fluid_settings_setint(st, "synth.audio-channels", AU_SFSYNTH_GROUPS);
    fluid_settings_setint(st, "synth.audio-groups", AU_SFSYNTH_GROUPS);
    fluid_settings_setnum(st, "synth.gain", 0.6);
    au_sfont_lock();
    fluid_sfont_t *font = au_sfont_handle();
    if (!font) {
        au_sfont_unlock();
        delete_fluid_settings(st);
        free(s);
        return AU_ESTATE;
    }
    s->synth = new_fluid_synth(st);
    if (!s->synth) {
        au_sfont_unlock();
        delete_fluid_settings(st);
        free(s);
        return AU_ENOMEM;
    }
    /* adding the font resets every channel to its bank and program 0;
     * channel 9 would take the drum bank's kit 0, a preset that is not
     * pinned: every channel starts melodic in bank 0, so the reset selects
     * only the pinned bank 0 program 0 (see sfont.c: why only pinned
     * presets may be selected) */
    for (int c = 0; c < AU_SFSYNTH_CHANNELS; c++) {
        fluid_synth_set_channel_type(s->synth, c, CHANNEL_TYPE_MELODIC);
        fluid_synth_bank_select(s->synth, c, 0);
    }
    s->sfid = fluid_synth_add_sfont(s->synth, font);
    au_sfont_unlock();
    /* linear interpolation: FluidR3's instruments are sampled every few
     * semitones, so a voice is rarely shifted far from its root; the
     * default 4th-order interpolation costs about a third more per voice */
    fluid_synth_set_interp_method(s->synth, -1, FLUID_INTERP_LINEAR);
    for (int i = 0; i < AU_SFSYNTH_GROUPS * 2; i++) s->outs[i] = s->buf[i];
    s->idx = AU_SFSYNTH_FRAMES;
    s->rate = rate;
    *out = s;
    return 0;
}

void au_sfsynth_destroy(au_sfsynth *s)
{
    if (!s) return;
    au_sfont_lock();
    /* the font belongs to the owner synth: take it out before deleting */
    fluid_synth_remove_sfont(s->synth, au_sfont_handle());
    delete_fluid_synth(s->synth);
    au_sfont_unlock();
    delete_fluid_settings(s->settings);
    free(s);
}

int au_sfsynth_channel(au_sfsynth *s, int chan, int bank, int program,
                       int attack_tc, int release_tc, int cutoff_cents)
{
    if (chan < 0 || chan >= AU_SFSYNTH_CHANNELS) return AU_EINVAL;
    au_sfont_lock();
    fluid_sfont_t *font = au_sfont_handle();
    /* only pinned presets: their samples stay resident whatever the
     * voices' unsynchronised counts say (see sfont.c) */
    int ok = font && au_sfont_pinned_locked(bank, program) &&
             fluid_sfont_get_preset(font, bank, program);
    if (ok) {
        fluid_synth_set_channel_type(s->synth, chan,
                                     bank == 128 ? CHANNEL_TYPE_DRUM
                                                 : CHANNEL_TYPE_MELODIC);
        ok = fluid_synth_program_select(s->synth, chan, s->sfid, bank,
                                        program) == FLUID_OK;
    }
    au_sfont_unlock();
    if (!ok) return AU_EINVAL;
    /* NRPN-style offsets added to the preset's own values */
    fluid_synth_set_gen(s->synth, chan, GEN_VOLENVATTACK, (float)attack_tc);
    fluid_synth_set_gen(s->synth, chan, GEN_VOLENVRELEASE, (float)release_tc);
    fluid_synth_set_gen(s->synth, chan, GEN_FILTERFC, (float)cutoff_cents);
    return 0;
}

/* A voice whose held level lies this far under its note's loudest held
 * voice is let decay out instead of holding (see au_sfsynth_note_on). */
#define HELD_FLOOR_CB 400.0f
/* the centred voice of a pair: +3 dB (FluidSynth's pan law puts sin(pi/4)
 * on each side at the centre, 1 on one side at +-500) */
#define PAIR_GAIN_CB 30.103f

void au_sfsynth_mono_pairs(au_sfsynth *s, int chan)
{
    if (chan >= 0 && chan < AU_SFSYNTH_CHANNELS)
        s->mono_pairs |= (uint64_t)1 << chan;
}

void au_sfsynth_level(au_sfsynth *s, int chan, float db)
{
    if (chan >= 0 && chan < AU_SFSYNTH_CHANNELS)
        fluid_synth_set_gen(s->synth, chan, GEN_ATTENUATION, -10.0f * db);
}

/* silence a voice that has not played yet and let it end at once: no
 * level, no attack, hold or decay, a sustain at -144 dB (FluidSynth ends a
 * voice whose envelope reaches 0 out of its attack) */
static void end_unplayed(fluid_voice_t *v)
{
    static const int gen[5] = {GEN_ATTENUATION, GEN_VOLENVATTACK,
                               GEN_VOLENVHOLD, GEN_VOLENVDECAY,
                               GEN_VOLENVSUSTAIN};
    static const float val[5] = {1440.0f, -12000.0f, -12000.0f, -12000.0f,
                                 1440.0f};
    for (int k = 0; k < 5; k++) {
        fluid_voice_gen_set(v, gen[k], val[k]);
        fluid_voice_update_param(v, gen[k]);
    }
}

/* a voice pair of one sample, hard left and hard right: every generator
 * equal but the pan */
static int mono_pair(fluid_voice_t *a, fluid_voice_t *b)
{
    if (fluid_voice_gen_get(a, GEN_PAN) < 500.0f ||
        fluid_voice_gen_get(b, GEN_PAN) > -500.0f ||
        fluid_voice_gen_get(b, GEN_ATTENUATION) < PAIR_GAIN_CB)
        return 0;
    for (int g = 0; g < GEN_LAST; g++)
        if (g != GEN_PAN &&
            fluid_voice_gen_get(a, g) != fluid_voice_gen_get(b, g))
            return 0;
    return 1;
}

/* the voices sounding on chan (note, or every note when note < 0) that
 * have not been released yet */
static int held_voices(au_sfsynth *s, int chan, int note, fluid_voice_t **out)
{
    fluid_voice_t *v[AU_SFSYNTH_VOICE_SCAN];
    fluid_synth_get_voicelist(s->synth, v, AU_SFSYNTH_VOICE_SCAN, -1);
    int n = 0;
    for (int i = 0; i < AU_SFSYNTH_VOICE_SCAN && v[i]; i++)
        if (fluid_voice_get_channel(v[i]) == chan &&
            (note < 0 || fluid_voice_get_key(v[i]) == note) &&
            fluid_voice_is_on(v[i]))
            out[n++] = v[i];
    return n;
}

void au_sfsynth_note_on(au_sfsynth *s, int chan, int note, int vel)
{
    fluid_synth_noteon(s->synth, chan, note, vel);
    /* the note's voices: the newest id on (chan, note) (held_voices:
     * the synth's own voice list, no allocation, read at note rate) */
    fluid_voice_t *v[AU_SFSYNTH_VOICE_SCAN];
    int m = held_voices(s, chan, note, v);
    unsigned newest = 0;
    for (int i = 0; i < m; i++) {
        unsigned id = fluid_voice_get_id(v[i]);
        newest = id > newest ? id : newest;
    }
    int n = 0;
    fluid_voice_t *mine[8];
    for (int i = 0; i < m && n < 8; i++)
        if (fluid_voice_get_id(v[i]) == newest) mine[n++] = v[i];
    if (n < 2) return;
    /* Mono pairs (au_sfsynth_mono_pairs): the right voice ends unheard,
     * the left one plays centred for both. Half of such a preset's
     * voices: FluidR3's choir pad held 6 voices of choir's 8. */
    if (s->mono_pairs >> chan & 1)
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (mine[i] && mine[j] && i != j &&
                    mono_pair(mine[i], mine[j])) {
                    end_unplayed(mine[i]);
                    float att = fluid_voice_gen_get(mine[j], GEN_ATTENUATION);
                    fluid_voice_gen_set(mine[j], GEN_PAN, 0.0f);
                    fluid_voice_update_param(mine[j], GEN_PAN);
                    fluid_voice_gen_set(mine[j], GEN_ATTENUATION,
                                        att - PAIR_GAIN_CB);
                    fluid_voice_update_param(mine[j], GEN_ATTENUATION);
                    mine[i] = NULL; /* mine[j] stays: held below */
                }
    /* Some presets layer a voice that decays to a sustain level 48-91 dB
     * down (FluidR3's choir pad: a third voice held at -48 dB under its
     * own 10.6 dB attenuation, 54 dB under the note's stereo pair; the
     * bowed glass: one held at -91 dB) and then holds there, unheard, for
     * as long as the note: a third of those presets' FluidSynth time.
     * Such a voice gets a sustain of -144 dB instead: its decay follows
     * the same line (heard the same down to where it held) and goes on
     * to silence, where FluidSynth ends it. */
    float held[8], loudest = 1e9f;
    for (int i = 0; i < n; i++) {
        held[i] = 1e9f;
        if (!mine[i]) continue;
        held[i] = fluid_voice_gen_get(mine[i], GEN_ATTENUATION) +
                  fluid_voice_gen_get(mine[i], GEN_VOLENVSUSTAIN);
        if (held[i] < loudest) loudest = held[i];
    }
    for (int i = 0; i < n; i++)
        if (mine[i] && held[i] > loudest + HELD_FLOOR_CB) {
            fluid_voice_gen_set(mine[i], GEN_VOLENVSUSTAIN, 1440.0f);
            fluid_voice_update_param(mine[i], GEN_VOLENVSUSTAIN);
        }
}

/* Why released voices are cut at -60 dB. A SoundFont release falls
 * linearly in dB, from the voice's level at the note-off to -96 dB, over
 * the release time; FluidSynth ends a voice only at its noise floor (its
 * bound on the level is linear in the envelope, so only at the very end).
 * The last 37.5% of every release thus plays more than 60 dB under the
 * voice's own peak, under the pieces' reverb tails, for nothing: for
 * choir's and rooms' pads a sixth to a quarter of their voices at any
 * time. At note-off each of the note's voices gets a cut at 62.5% of its
 * release (its release time from its generators: the preset's value plus
 * the channel's offset, as FluidSynth computes it; a voice released from
 * below its peak is lower still by then): its attenuation goes to the
 * maximum (FluidSynth ramps the level to it over that 64-frame block),
 * and the block after, its release is set to the shortest, which ends
 * it. Deterministic: counted in the absolute 64-frame blocks, the note-off
 * applied at the first block after it. */
static void schedule_cuts(au_sfsynth *s, int chan, fluid_voice_t **v, int n)
{
    float offset = fluid_synth_get_gen(s->synth, chan, GEN_VOLENVRELEASE);
    for (int i = 0; i < n; i++) {
        float tc = fluid_voice_gen_get(v[i], GEN_VOLENVRELEASE) + offset;
        if (tc < -7200.0f) tc = -7200.0f; /* FluidSynth's own clips */
        if (tc > 8000.0f) tc = 8000.0f;
        double blocks = 1.0 + (unsigned)(s->rate * pow(2.0, tc / 1200.0) /
                                         AU_SFSYNTH_FRAMES);
        if (blocks < CUT_MIN_BLOCKS) continue;
        int slot = -1;
        for (int k = 0; k < AU_SFSYNTH_VOICE_SCAN && slot < 0; k++)
            if (!s->cut[k].v || s->cut[k].v == v[i]) slot = k;
        if (slot < 0) return; /* full: these voices ring out */
        s->cut[slot] =
            (au_sfsynth_cut){.v = v[i],
                             .id = fluid_voice_get_id(v[i]),
                             .at = s->block + (long)ceil(CUT_DEPTH * blocks)};
        if (slot >= s->ncut) s->ncut = slot + 1;
    }
}

void au_sfsynth_note_off(au_sfsynth *s, int chan, int note)
{
    fluid_voice_t *v[AU_SFSYNTH_VOICE_SCAN];
    int n = held_voices(s, chan, note, v);
    fluid_synth_noteoff(s->synth, chan, note);
    schedule_cuts(s, chan, v, n);
}

void au_sfsynth_all_off(au_sfsynth *s, int chan)
{
    fluid_voice_t *v[AU_SFSYNTH_VOICE_SCAN];
    int n = held_voices(s, chan, -1, v);
    fluid_synth_all_notes_off(s->synth, chan);
    schedule_cuts(s, chan, v, n);
}

/* at a block boundary: fade the voices whose cut is due, end those faded */
static void run_cuts(au_sfsynth *s)
{
    int last = 0;
    for (int k = 0; k < s->ncut; k++) {
        au_sfsynth_cut *c = &s->cut[k];
        if (!c->v) continue;
        if (!fluid_voice_is_playing(c->v) ||
            fluid_voice_get_id(c->v) != c->id) {
            c->v = NULL; /* ended by itself, or the slot plays another note */
            continue;
        }
        if (s->block >= c->at && !c->faded) {
            fluid_voice_gen_set(c->v, GEN_ATTENUATION, 1440.0f);
            fluid_voice_update_param(c->v, GEN_ATTENUATION);
            c->faded = 1;
        } else if (c->faded) {
            fluid_voice_gen_set(c->v, GEN_VOLENVRELEASE, -12000.0f);
            fluid_voice_update_param(c->v, GEN_VOLENVRELEASE);
            c->v = NULL;
            continue;
        }
        last = k + 1;
    }
    s->ncut = last;
}

/* adds k frames of a group's block to the caller's bus: restrict lets the
 * compiler vectorise it (the buffers never overlap) */
static void add_frames(float *restrict out, const float *restrict in, int k)
{
    for (int i = 0; i < k; i++)
        out[i] += in[i];
}

unsigned au_sfsynth_process(au_sfsynth *s, float *const *L, float *const *R,
                            int n)
{
    unsigned used = 0;
    int done = 0;
    while (done < n) {
        if (s->idx == AU_SFSYNTH_FRAMES) {
            /* a new 64-frame block at an absolute multiple of 64; skipped
             * (silence) when no voice sounds, which depends only on the
             * synth's state at this boundary, so it is deterministic too */
            if (s->ncut) run_cuts(s);
            s->block++;
            s->active = fluid_synth_get_active_voice_count(s->synth);
            s->written = 0;
            if (s->active > 0) {
                /* FluidSynth adds into its outputs */
                memset(s->buf, 0, sizeof s->buf);
                fluid_synth_process(s->synth, AU_SFSYNTH_FRAMES, 0, NULL,
                                    AU_SFSYNTH_GROUPS * 2, s->outs);
                s->written = (1u << AU_SFSYNTH_GROUPS) - 1;
            }
            s->idx = 0;
        }
        int k = AU_SFSYNTH_FRAMES - s->idx;
        if (k > n - done) k = n - done;
        if (s->written)
            for (int g = 0; g < AU_SFSYNTH_GROUPS; g++) {
                if (!L[g] || !R[g]) continue;
                add_frames(L[g] + done, s->buf[2 * g] + s->idx, k);
                add_frames(R[g] + done, s->buf[2 * g + 1] + s->idx, k);
                used |= 1u << g;
            }
        s->idx += k;
        done += k;
    }
    return used;
}

int au_sfsynth_active(const au_sfsynth *s)
{
    return s->active;
}

size_t au_sfsynth_memory(const au_sfsynth *s)
{
    /* FluidSynth's allocations are not visible from here: this is the
     * host's own struct; bench measures the process RSS per engine */
    return sizeof *s;
}
