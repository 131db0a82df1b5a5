/* One stream's engine: a composer driving the instruments, effects and the
 * master bus. Seed + parameters + a timeline of changes in, interleaved float
 * stereo out, in blocks of any size; the output is bit-identical whatever the
 * block size. The only thing the server and the offline renderer call.
 *
 * Memory: au_engine_create allocates everything once (at most 8 MiB);
 * au_engine_render never allocates, locks or does I/O. Not thread-safe: one
 * thread at a time per engine (different engines on different threads is
 * fine). Call au_engine_thread_init() once on every thread that renders. */
#ifndef AU_ENGINE_H
#define AU_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "../compose/events.h"
#include "../compose/orch.h"
#include "../core/params.h"

typedef struct au_engine au_engine;

/* sample_rate: 44100 or 48000. p must be valid. 0 or AU_E... */
int au_engine_create(au_engine **out, const au_params *p, int sample_rate);
void au_engine_destroy(au_engine *e);

/* Loads the process's SoundFont (path, or AU_SFONT_DEFAULT_PATH when NULL)
 * with the presets every piece plays; engines created afterwards play the
 * pieces' SoundFont layers, engines without one play those layers on
 * Auralis's own instruments. Once per process, before engines are created.
 * 0, or AU_EIO / AU_EFORMAT / AU_ESTATE with one line in err naming the path. */
int au_engine_load_soundfont(const char *path, char *err, size_t errlen);

/* 1 if this engine plays SoundFont instruments. */
int au_engine_uses_soundfont(const au_engine *e);

/* Sets FTZ/DAZ on the calling thread (denormals flushed). */
void au_engine_thread_init(void);

/* Apply a change at the current position. Values must already be
 * validated. The engine renders in internal blocks of 32 frames at absolute
 * positions, so a change made mid-block takes effect at the next multiple
 * of 32 frames (at most 0.67 ms later): still a pure function of the
 * position, so output stays identical whatever the caller's block size. */
void au_engine_set(au_engine *e, const au_param_update *u);

/* A finite piece (offline renders, exports): the music ends at frame
 * `frames`. The composer starts no note in the last bars and releases
 * everything, the reverb rings, and the master fades to silence so that the
 * file's last 10 ms are below -50 dBFS; the length is unchanged. Call once,
 * before rendering; streams never call it. AU_EINVAL if frames < 1 s. */
int au_engine_set_end(au_engine *e, int64_t frames);

/* Replace the orchestration the seed chose (a named piece): layers,
 * entries, registers, patch variants. Call before rendering. */
void au_engine_set_orch(au_engine *e, const au_orch *o);

/* Render frames of interleaved stereo float (L R L R ...) into out. */
void au_engine_render(au_engine *e, float *out, int frames);

/* Sample frames rendered so far. */
int64_t au_engine_position(const au_engine *e);

/* Parameters as currently targeted. */
const au_params *au_engine_params(const au_engine *e);

/* Musical events for displays (chord, section, key changes and note on/off),
 * in order, as the render passed them. A small ring sized at create: if the
 * reader falls behind, the oldest are overwritten (counted). Returns 1 and
 * fills *ev, or 0 when empty. Same thread as render. */
int au_engine_poll_event(au_engine *e, au_event *ev);

/* Bytes this engine holds (for reports and metrics). */
size_t au_engine_memory(const au_engine *e);

/* Voices currently sounding (for the benchmark). */
int au_engine_active_voices(const au_engine *e);

/* Melodic phrases the composer has planned so far (for the server's
 * auralis_phrases_composed_total); same thread as render. */
uint64_t au_engine_phrases(const au_engine *e);

#endif
