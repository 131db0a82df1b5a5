/* The process's SoundFont (FluidSynth), loaded once and shared by every
 * engine. Loading parses the file once in an owner synth and loads only the
 * samples of the presets Auralis plays (FluidSynth's dynamic sample
 * loading, those presets pinned); every engine's synth then plays from that
 * one parsed font (au_sfsynth, sfsynth.h), so a stream costs its voices,
 * not a copy of the font. Thread-safe: load, query and the sfsynth
 * create/destroy calls serialise on one mutex (never taken on the audio
 * path). */
#ifndef AU_SFONT_H
#define AU_SFONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AU_SFONT_DEFAULT_PATH "/usr/share/sounds/sf2/FluidR3_GM.sf2"

/* A preset to load samples for: bank (0, or 128 for drum kits) and program. */
typedef struct {
    uint8_t bank, program;
} au_sfont_preset;

/* Load path (SF2 or SF3) with the samples of presets[0..n) (and of bank 0
 * program 0, what FluidSynth's reset selects), pinned for the life of the
 * process. Once per
 * process: a second call returns 0 if it names the same path, AU_ESTATE
 * otherwise. 0, or AU_EIO (missing or unreadable file) / AU_EFORMAT (not a
 * SoundFont) with one line in err naming the path. */
int au_sfont_load(const char *path, const au_sfont_preset *presets, int n,
                  char *err, size_t errlen);

bool au_sfont_loaded(void);
const char *au_sfont_path(void);   /* NULL when none is loaded */
double au_sfont_load_ms(void);     /* wall time the load took */
size_t au_sfont_resident(void);    /* bytes the load added to the process */
/* 1 if the font has this preset (after load), else 0 */
int au_sfont_has(int bank, int program);

/* Internal to the synth layer: the shared fluid_sfont_t (as void *), or
 * NULL. The mutex guards sharing it (see sfsynth.c). */
/* 1 if the preset is pinned (resident for the life of the process): the
 * only presets a synth channel may select (see sfont.c for why). Caller
 * holds au_sfont_lock. */
int au_sfont_pinned_locked(int bank, int program);
void *au_sfont_handle(void);
void au_sfont_lock(void);
void au_sfont_unlock(void);

#endif
