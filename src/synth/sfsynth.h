/* One engine's FluidSynth: SoundFont instruments on MIDI channels, each
 * channel mixed into one of AU_SFSYNTH_GROUPS stereo outputs (the engine's
 * layer buses). Plays from the shared SoundFont (sfont.h); FluidSynth's own
 * reverb and chorus are off, there is no audio driver: the engine pulls
 * audio on its render thread.
 *
 * Timing: FluidSynth renders 64-frame blocks. This host renders them at
 * absolute multiples of 64 frames from stream start and hands them out in
 * whatever runs the engine asks for, so a note event sounds from the first
 * 64-frame boundary at or after its exact position (0-63 frames late, 0.67
 * ms on average at 48 kHz), a pure function of the position: the output
 * is identical whatever the caller's block size.
 *
 * Voices: the host plays the same music on fewer FluidSynth voices (each
 * costs its interpolation, filter and mix every block): a released voice is
 * cut once its release has taken it 60 dB under its own level, a voice
 * that would hold 40 dB or more under its note's loudest voice decays out,
 * and on channels flagged with au_sfsynth_mono_pairs a pair of voices
 * playing one sample hard left and hard right plays as one centred voice
 * (sfsynth.c, docs/pieces.md says why each is inaudible).
 *
 * Real time: create/destroy allocate and take the SoundFont mutex (never on
 * the audio path). note_on/off, process and all_off do not allocate, lock,
 * log or touch files: threadsafe-api is off (no FluidSynth mutex), presets
 * are selected at create, samples are resident, logging is silenced. One
 * thread at a time per instance. */
#ifndef AU_SFSYNTH_H
#define AU_SFSYNTH_H

#include <stddef.h>

/* outputs, one per engine layer; channel c plays into group c % 6 (each
 * group costs FluidSynth a clear and a copy of its block) */
#define AU_SFSYNTH_GROUPS 6
#define AU_SFSYNTH_CHANNELS 64
#define AU_SFSYNTH_FRAMES 64  /* FluidSynth's block */

typedef struct au_sfsynth au_sfsynth;

/* rate 44100 or 48000. 0, AU_ESTATE (no SoundFont loaded) or AU_ENOMEM. */
int au_sfsynth_create(au_sfsynth **out, int rate);
void au_sfsynth_destroy(au_sfsynth *s);

/* Select bank/program on channel (< AU_SFSYNTH_CHANNELS) with generator
 * offsets in timecents (attack, release) and cents (filter cutoff).
 * 0, or AU_EINVAL if the SoundFont lacks the preset or it is not one of
 * the presets pinned at load (only those: see sfont.c). Create time only. */
int au_sfsynth_channel(au_sfsynth *s, int chan, int bank, int program,
                       int attack_tc, int release_tc, int cutoff_cents);

/* Channel chan's preset plays each note's sample twice, hard left and hard
 * right (FluidR3's choir pad: the two voices' outputs are equal sample for
 * sample): from now on such a pair (pan +-500, every other generator
 * equal) sounds as one centred voice 3 dB louder, the other voice silenced
 * and ended before it plays. Create time only. */
void au_sfsynth_mono_pairs(au_sfsynth *s, int chan);

/* Channel chan's voices db louder (or softer when negative): an offset on
 * their attenuation (a voice's attenuation cannot go under 0 dB: at most
 * the velocity's share of it). Create time only. */
void au_sfsynth_level(au_sfsynth *s, int chan, float db);

void au_sfsynth_note_on(au_sfsynth *s, int chan, int note, int vel);
void au_sfsynth_note_off(au_sfsynth *s, int chan, int note);
void au_sfsynth_all_off(au_sfsynth *s, int chan); /* release, not cut */

/* Adds the next n frames of each group g into L[g], R[g] (entries may be
 * NULL to drop a group). Returns a bit set of the groups that were written
 * (0 when FluidSynth is silent and nothing was added). */
unsigned au_sfsynth_process(au_sfsynth *s, float *const *L, float *const *R,
                            int n);

int au_sfsynth_active(const au_sfsynth *s); /* voices sounding */
size_t au_sfsynth_memory(const au_sfsynth *s); /* bytes (estimate: see .c) */

#endif
