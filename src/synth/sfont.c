/* The shared SoundFont (see sfont.h).
 *
 * Why one parsed font for every synth: FluidSynth's own sample cache shares
 * sample data between synths that load the same file, but each
 * fluid_synth_sfload still parses the whole preset structure again. For
 * FluidR3_GM that is about 10 MiB and 25-35 ms per synth (measured with
 * libfluidsynth 2.3.1), four times a whole engine. So the font is parsed
 * once, in an owner synth that never renders, and each engine's synth adds
 * that same fluid_sfont_t (fluid_synth_add_sfont) and takes it out again
 * before it is deleted (fluid_synth_remove_sfont), so that only the owner
 * ever frees it.
 *
 * Why the shared samples are safe to play from many render threads at once
 * (read against libfluidsynth 2.3.1: fluid_voice.c, fluid_defsfont.c,
 * fluid_sfont.h). Playing reads the preset, zone and sample data, which
 * nothing writes after load. Three counters are written:
 *  - the font's and each preset's selection counts (`preset_count` of each
 *    sample) when a channel selects or leaves a preset: only inside
 *    au_sfsynth_create/_channel/_destroy, all under the mutex here;
 *  - each sample's voice count (`refcount`), ++ when a voice starts
 *    (fluid_voice_init) and -- when it ends (fluid_voice_off): on render
 *    threads, with no lock, so concurrent voices of one sample in two
 *    engines can lose an update and leave the count wrong.
 * The voice count is only ever acted on to unload a sample's data, and
 * FluidSynth unloads a sample only when its `preset_count` is 0 (in
 * dynamic_samples_sample_notify, when the voice count reaches 0, and in
 * unload_preset_samples, when a preset is left). So the rule that makes it
 * safe by design: no channel of any synth ever selects a preset that is not
 * pinned here. Pinning selects the preset once in the owner synth, which
 * lives (and keeps the pins) until the process exits, so every sample a
 * voice can play has preset_count >= 1 from load on, whatever its voice
 * count says, and its data is never freed or reloaded while the process
 * runs. The rule is enforced, not hoped for: au_sfont_load pins every
 * preset a piece can name plus bank 0 program 0 (the preset FluidSynth's
 * reset puts on every channel; au_sfsynth_create makes every channel
 * melodic in bank 0 before the font is added, so no drum kit is selected
 * by the reset), and au_sfsynth_channel refuses a preset that is not
 * pinned (au_sfont_pinned). A wrong voice count is then a statistic
 * nobody reads for anything that matters; the lost updates are plain
 * aligned 32-bit stores inside libfluidsynth (no tearing on x86-64 or
 * aarch64). tests/test_engine_pieces.c renders engines on several threads
 * while others are created and destroyed (selecting and leaving presets)
 * and checks the audio against solo renders, under ASan too. */
#include "sfont.h"

#include <fluidsynth.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../core/au.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static fluid_settings_t *owner_settings;
static fluid_synth_t *owner;
static fluid_sfont_t *font;
static int font_id;
static char font_path[1024];
static double load_ms;
static size_t resident;
/* the presets pinned in the owner: the only ones a channel may select */
#define MAX_PINNED 128
static au_sfont_preset pinned[MAX_PINNED];
static int npinned;

static void quiet_log(int level, const char *message, void *data)
{
    /* FluidSynth logs warnings (e.g. voice overflow) from the render
     * thread: not allowed on the audio path. Errors at load are reported
     * by au_sfont_load itself. */
    (void)level;
    (void)message;
    (void)data;
}

static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, res = 0;
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &size, &res) != 2) res = 0;
    fclose(f);
    return (size_t)res * 4096u;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

int au_sfont_load(const char *path, const au_sfont_preset *presets, int n,
                  char *err, size_t errlen)
{
    if (err && errlen) err[0] = 0;
    pthread_mutex_lock(&mu);
    if (font) {
        int same = strcmp(path, font_path) == 0;
        pthread_mutex_unlock(&mu);
        if (!same && err)
            snprintf(err, errlen,
                     "soundfont: %s is already loaded; one SoundFont per "
                     "process (got '%.200s')",
                     font_path, path);
        return same ? 0 : AU_ESTATE;
    }
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        pthread_mutex_unlock(&mu);
        if (err)
            snprintf(err, errlen, "soundfont: cannot read '%.200s' (%s)", path,
                     S_ISDIR(st.st_mode) ? "a directory" : "no such file");
        return AU_EIO;
    }
    for (int l = 0; l < LAST_LOG_LEVEL; l++)
        fluid_set_log_function(l, quiet_log, NULL);
    if (!fluid_is_soundfont(path)) {
        pthread_mutex_unlock(&mu);
        if (err)
            snprintf(err, errlen,
                     "soundfont: '%.200s' is not a SoundFont (SF2 or SF3 "
                     "expected)",
                     path);
        return AU_EFORMAT;
    }
    double t0 = now_ms();
    size_t r0 = rss_bytes();
    owner_settings = new_fluid_settings();
    if (!owner_settings) goto nomem;
    fluid_settings_setint(owner_settings, "synth.dynamic-sample-loading", 1);
    fluid_settings_setint(owner_settings, "synth.lock-memory", 0);
    fluid_settings_setint(owner_settings, "synth.threadsafe-api", 0);
    fluid_settings_setint(owner_settings, "synth.reverb.active", 0);
    fluid_settings_setint(owner_settings, "synth.chorus.active", 0);
    fluid_settings_setint(owner_settings, "synth.polyphony", 1);
    owner = new_fluid_synth(owner_settings);
    if (!owner) goto nomem;
    font_id = fluid_synth_sfload(owner, path, 0);
    if (font_id == FLUID_FAILED) {
        delete_fluid_synth(owner);
        delete_fluid_settings(owner_settings);
        owner = NULL;
        owner_settings = NULL;
        pthread_mutex_unlock(&mu);
        if (err)
            snprintf(err, errlen,
                     "soundfont: '%.200s' could not be loaded (damaged or "
                     "unsupported SoundFont)",
                     path);
        return AU_EFORMAT;
    }
    font = fluid_synth_get_sfont_by_id(owner, font_id);
    /* bank 0 program 0 first: FluidSynth's reset selects it on every
     * channel of a new synth (see au_sfsynth_create) */
    npinned = 0;
    for (int i = -1; i < n && npinned < MAX_PINNED; i++) {
        au_sfont_preset pr = i < 0 ? (au_sfont_preset){0, 0} : presets[i];
        if (au_sfont_pinned_locked(pr.bank, pr.program)) continue;
        /* absent presets are skipped (au_sfont_has says so) */
        if (fluid_synth_pin_preset(owner, font_id, pr.bank, pr.program) ==
            FLUID_OK)
            pinned[npinned++] = pr;
    }
    snprintf(font_path, sizeof font_path, "%s", path);
    load_ms = now_ms() - t0;
    size_t r1 = rss_bytes();
    resident = r1 > r0 ? r1 - r0 : 0;
    pthread_mutex_unlock(&mu);
    return 0;
nomem:
    if (owner) delete_fluid_synth(owner);
    if (owner_settings) delete_fluid_settings(owner_settings);
    owner = NULL;
    owner_settings = NULL;
    pthread_mutex_unlock(&mu);
    if (err) snprintf(err, errlen, "soundfont: out of memory");
    return AU_ENOMEM;
}

bool au_sfont_loaded(void)
{
    pthread_mutex_lock(&mu);
    bool r = font != NULL;
    pthread_mutex_unlock(&mu);
    return r;
}

const char *au_sfont_path(void)
{
    return au_sfont_loaded() ? font_path : NULL;
}

double au_sfont_load_ms(void)
{
    return load_ms;
}

size_t au_sfont_resident(void)
{
    return resident;
}

int au_sfont_pinned_locked(int bank, int program)
{
    for (int i = 0; i < npinned; i++)
        if (pinned[i].bank == bank && pinned[i].program == program) return 1;
    return 0;
}

int au_sfont_has(int bank, int program)
{
    pthread_mutex_lock(&mu);
    int r = font && fluid_sfont_get_preset(font, bank, program) != NULL;
    pthread_mutex_unlock(&mu);
    return r;
}

void *au_sfont_handle(void)
{
    return font;
}

void au_sfont_lock(void)
{
    pthread_mutex_lock(&mu);
}

void au_sfont_unlock(void)
{
    pthread_mutex_unlock(&mu);
}
