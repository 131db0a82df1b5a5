/* One engine's FluidSynth (see sfsynth.h). */
#include "sfsynth.h"

#include <fluidsynth.h>
#include <stdlib.h>
#include <string.h>

#include "../core/au.h"
#include "sfont.h"

struct au_sfsynth {
    fluid_settings_t *settings;
    fluid_synth_t *synth;
    int sfid;
    int idx;          /* frames of buf already handed out (64 = none left) */
    unsigned written; /* groups FluidSynth wrote into buf */
    int active;       /* voices sounding at the last block */
    float buf[AU_SFSYNTH_GROUPS * 2][AU_SFSYNTH_FRAMES];
    float *outs[AU_SFSYNTH_GROUPS * 2];
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
    fluid_settings_setint(st, "synth.polyphony", 48);
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

void au_sfsynth_note_on(au_sfsynth *s, int chan, int note, int vel)
{
    fluid_synth_noteon(s->synth, chan, note, vel);
}

void au_sfsynth_note_off(au_sfsynth *s, int chan, int note)
{
    fluid_synth_noteoff(s->synth, chan, note);
}

void au_sfsynth_all_off(au_sfsynth *s, int chan)
{
    fluid_synth_all_notes_off(s->synth, chan);
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
            s->active = fluid_synth_get_active_voice_count(s->synth);
            s->written = 0;
            if (s->active > 0) {
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
                const float *bl = s->buf[2 * g] + s->idx;
                const float *br = s->buf[2 * g + 1] + s->idx;
                float *ol = L[g] + done, *or_ = R[g] + done;
                for (int i = 0; i < k; i++) {
                    ol[i] += bl[i];
                    or_[i] += br[i];
                }
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
