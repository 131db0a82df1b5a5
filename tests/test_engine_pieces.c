/* SoundFont instruments and pieces in the engine: loading (missing file,
 * not a SoundFont, the good path), bit-identical output whatever the block
 * size with SoundFont layers and a piece change in the timeline, engines
 * that do not hear each other, note timing on FluidSynth's 64-frame grid,
 * the SoundFont shared between engines (memory per engine), and engines
 * rendering on several threads at once while others come and go, and note
 * events at the pitch that sounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compose/piece.h"
#include "core/au.h"
#include "engine/engine.h"
#include "synth/sfont.h"
#include "synth/sfsynth.h"

#define RATE 48000

/* FluidSynth's GLib keeps one small allocation for the life of the process
 * (thread-private data); it is not ours to free. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libglib-2.0.so\n";
}

static int have_default(void)
{
    return access(AU_SFONT_DEFAULT_PATH, R_OK) == 0;
}

/* must run before the good load: a process loads one SoundFont */
static void test_load_errors(void **st)
{
    (void)st;
    char err[512];
    assert_int_equal(au_engine_load_soundfont("/nonexistent/dir/x.sf2", err,
                                              sizeof err), AU_EIO);
    assert_non_null(strstr(err, "/nonexistent/dir/x.sf2"));
    char path[] = "/tmp/au_not_sf_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char junk[] = "RIFF\x10\0\0\0WAVEfmt this is no SoundFont at all";
    assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
    close(fd);
    assert_int_equal(au_engine_load_soundfont(path, err, sizeof err), AU_EFORMAT);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "not a SoundFont"));
    unlink(path);
    assert_int_equal(au_engine_load_soundfont("/tmp", err, sizeof err), AU_EIO);
    assert_non_null(strstr(err, "'/tmp'"));
    assert_false(au_sfont_loaded());
    /* without a SoundFont a piece still plays, on Auralis's instruments */
    au_params p = au_piece_params(AU_PIECE_ROOMS);
    p.seed = 3;
    au_engine *e;
    assert_int_equal(au_engine_create(&e, &p, RATE), 0);
    assert_int_equal(au_engine_uses_soundfont(e), 0);
    au_engine_destroy(e);
}

typedef struct {
    int64_t pos;
    au_param_update u;
} change;

static float *render(const au_params *p, double secs, int block,
                     const change *ch, int nch)
{
    au_engine *e;
    assert_int_equal(au_engine_create(&e, p, RATE), 0);
    int64_t n = (int64_t)(secs * RATE);
    float *out = malloc(sizeof(float) * 2 * (size_t)n);
    assert_non_null(out);
    static const int sizes[] = {1, 333, 4800, 17, 64, 1023, 2, 65};
    int64_t pos = 0;
    int k = 0, odd = 0;
    while (pos < n) {
        int b = block ? block : sizes[odd++ % 8];
        int64_t lim = n - pos;
        if (k < nch && ch[k].pos - pos < lim) lim = ch[k].pos - pos;
        if (b > lim) b = (int)lim;
        if (b > 0) {
            au_engine_render(e, out + 2 * pos, b);
            pos += b;
        }
        while (k < nch && ch[k].pos <= pos) au_engine_set(e, &ch[k++].u);
    }
    au_engine_destroy(e);
    return out;
}

static double rms(const float *x, int64_t from, int64_t to)
{
    double s = 0;
    for (int64_t i = 2 * from; i < 2 * to; i++) s += (double)x[i] * x[i];
    return sqrt(s / (double)(2 * (to - from)));
}

static void test_load_good(void **st)
{
    (void)st;
    if (!have_default()) {
        fprintf(stderr, "# skipped: no %s\n", AU_SFONT_DEFAULT_PATH);
        skip();
    }
    char err[512];
    assert_int_equal(au_engine_load_soundfont(NULL, err, sizeof err), 0);
    assert_true(au_sfont_loaded());
    assert_string_equal(au_sfont_path(), AU_SFONT_DEFAULT_PATH);
    /* loading the same path again is fine, another is refused */
    assert_int_equal(au_engine_load_soundfont(NULL, err, sizeof err), 0);
    assert_int_equal(au_engine_load_soundfont("/tmp/other.sf2", err, sizeof err),
                     AU_ESTATE);
    /* every preset a piece names is in FluidR3_GM */
    for (int pi = 0; pi < AU_PIECE_COUNT; pi++)
        for (int l = 0; l < AU_LAYER_COUNT; l++) {
            const au_piece_layer *pl = &au_piece_get(pi)->layer[l];
            if (!pl->on || !pl->sf) continue;
            assert_true(au_sfont_has(pl->bank, pl->program));
            for (int a = 0; a < pl->nalt; a++)
                assert_true(au_sfont_has(pl->bank, pl->alt[a]));
        }
}

/* the SoundFont layers sound, and the output is bit-identical whatever
 * the block size, with a piece change and other changes in the timeline */
static void test_block_size_identity(void **st)
{
    (void)st;
    if (!au_sfont_loaded()) skip();
    static const int pieces[] = {AU_PIECE_ROOMS, AU_PIECE_PULSE};
    for (int i = 0; i < 2; i++) {
        au_params p = au_piece_params(pieces[i]);
        p.seed = 11 + (uint64_t)i;
        change ch[3];
        memset(ch, 0, sizeof ch);
        ch[0].pos = 7 * RATE + 13;
        ch[0].u.mask = AU_P_INTENSITY;
        ch[0].u.v.intensity = 0.9;
        ch[1].pos = 14 * RATE + 5;
        ch[1].u.mask = AU_P_PIECE;
        ch[1].u.v.piece = i ? AU_PIECE_GLASS : AU_PIECE_CHOIR;
        ch[2].pos = 17 * RATE + 1;
        ch[2].u.mask = AU_P_BPM;
        ch[2].u.v.bpm = 80;
        float *a = render(&p, 24, 4800, ch, 3);
        float *b = render(&p, 24, 0, ch, 3);
        int64_t n = 24 * RATE;
        assert_memory_equal(a, b, sizeof(float) * 2 * (size_t)n);
        assert_true(rms(a, 2 * RATE, 14 * RATE) > 1e-3); /* it plays */
        assert_true(rms(a, 18 * RATE, 24 * RATE) > 1e-3); /* and after */
        for (int64_t k = 0; k < 2 * n; k++) assert_true(isfinite(a[k]));
        free(a);
        free(b);
    }
}

/* two engines rendering side by side in one process (one shared font)
 * give what each gives alone */
static void test_engines_independent(void **st)
{
    (void)st;
    if (!au_sfont_loaded()) skip();
    au_params p = au_piece_params(AU_PIECE_GLASS), q = au_piece_params(AU_PIECE_CHOIR);
    p.seed = 5;
    q.seed = 6;
    float *alone = render(&p, 10, 4800, NULL, 0);
    au_engine *e1, *e2;
    assert_int_equal(au_engine_create(&e1, &p, RATE), 0);
    assert_int_equal(au_engine_create(&e2, &q, RATE), 0);
    int64_t n = 10 * RATE;
    float *a = malloc(sizeof(float) * 2 * (size_t)n);
    float *tmp = malloc(sizeof(float) * 2 * 4800);
    for (int64_t pos = 0; pos < n; pos += 4800) {
        au_engine_render(e1, a + 2 * pos, 4800);
        au_engine_render(e2, tmp, 4800);
    }
    assert_memory_equal(a, alone, sizeof(float) * 2 * (size_t)n);
    au_engine_destroy(e1);
    au_engine_destroy(e2);
    free(a);
    free(tmp);
    free(alone);
}

/* a note sounds from the first 64-frame boundary at or after its position,
 * however the frames are asked for */
static void test_note_grid(void **st)
{
    (void)st;
    if (!au_sfont_loaded()) skip();
    int firsts[3], nf = 0;
    static const int chunks[3] = {1, 29, 200};
    for (int c = 0; c < 3; c++) {
        int chunk = chunks[c];
        au_sfsynth *s;
        assert_int_equal(au_sfsynth_create(&s, RATE), 0);
        assert_int_equal(au_sfsynth_channel(s, 0, 0, 0, 0, 0, 0), 0);
        float l[600], r[600];
        memset(l, 0, sizeof l);
        memset(r, 0, sizeof r);
        float *L[AU_SFSYNTH_GROUPS] = {l}, *R[AU_SFSYNTH_GROUPS] = {r};
        int pos = 0;
        while (pos < 600) {
            if (pos == 100) au_sfsynth_note_on(s, 0, 60, 100);
            int k = chunk;
            if (pos < 100 && pos + k > 100) k = 100 - pos;
            if (pos + k > 600) k = 600 - pos;
            float *Lk[AU_SFSYNTH_GROUPS] = {l + pos}, *Rk[AU_SFSYNTH_GROUPS] = {r + pos};
            au_sfsynth_process(s, Lk, Rk, k);
            pos += k;
        }
        (void)L;
        (void)R;
        int first = -1;
        for (int i = 0; i < 600 && first < 0; i++)
            if (l[i] != 0.0f || r[i] != 0.0f) first = i;
        /* the voice starts at 128 (its first sample may be a zero) */
        assert_true(first >= 128 && first < 136);
        firsts[nf++] = first;
        au_sfsynth_destroy(s);
    }
    assert_int_equal(firsts[0], firsts[1]);
    assert_int_equal(firsts[0], firsts[2]);
}

/* Note events (the player's piano roll and visuals, the WebSocket events)
 * carry the pitch that sounds: a piece moves a layer into its instrument's
 * register (glass: the melody an octave up, into 72..98), as the audio and
 * the MIDI export do. Runs with or without the SoundFont. */
static void test_events_sounding_pitch(void **st)
{
    (void)st;
    au_params p = au_piece_params(AU_PIECE_GLASS);
    p.seed = 5;
    const au_piece *pc = au_piece_get(AU_PIECE_GLASS);
    au_engine *e;
    assert_int_equal(au_engine_create(&e, &p, RATE), 0);
    static float out[2 * 4800];
    int ons = 0;
    for (int c = 0; c < 1200; c++) { /* 2 minutes */
        au_engine_render(e, out, 4800);
        au_event ev;
        while (au_engine_poll_event(e, &ev)) {
            if (ev.type != AU_EV_NOTE_ON || ev.layer >= AU_LAYER_COUNT) continue;
            const au_piece_layer *l = &pc->layer[ev.layer];
            if (l->hi < l->lo + 12) continue; /* no register folding */
            assert_in_range(ev.note, l->lo, l->hi);
            ons++;
        }
    }
    assert_true(ons > 20);
    au_engine_destroy(e);
}

static size_t rss(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long a = 0, b = 0;
    if (!f) return 0;
    if (fscanf(f, "%ld %ld", &a, &b) != 2) b = 0;
    fclose(f);
    return (size_t)b * 4096u;
}

/* engines share the font: each costs its own state and voices, not a copy
 * of the SoundFont's presets (parsing FluidR3_GM per synth costs about
 * 10 MiB) nor of its samples */
static void test_shared_memory(void **st)
{
    (void)st;
    if (!au_sfont_loaded()) skip();
    enum { N = 8 };
    au_engine *e[N];
    float *buf = malloc(sizeof(float) * 2 * 4800);
    size_t r0 = rss();
    for (int i = 0; i < N; i++) {
        au_params p = au_piece_params(i % 2 ? AU_PIECE_ROOMS : AU_PIECE_PULSE);
        p.seed = 100 + (uint64_t)i;
        assert_int_equal(au_engine_create(&e[i], &p, RATE), 0);
        assert_int_equal(au_engine_uses_soundfont(e[i]), 1);
        for (int k = 0; k < 100; k++) au_engine_render(e[i], buf, 4800); /* 10 s */
    }
    size_t per = (rss() - r0) / N;
    fprintf(stderr, "# %.2f MiB per engine with the SoundFont\n",
            per / 1048576.0);
    assert_true(per < 6u * 1048576u);
    for (int i = 0; i < N; i++) au_engine_destroy(e[i]);
    free(buf);
}

/* ---- many threads, one font ---- */

typedef struct {
    au_params p;
    int64_t n;
    float *out;
    int ok;
} job;

static void *render_job(void *arg)
{
    job *j = arg;
    au_engine_thread_init();
    au_engine *e;
    j->ok = 0;
    if (au_engine_create(&e, &j->p, RATE) != 0) return NULL;
    for (int64_t pos = 0; pos < j->n; pos += 4800)
        au_engine_render(e, j->out + 2 * pos,
                         (int)(j->n - pos < 4800 ? j->n - pos : 4800));
    au_engine_destroy(e);
    j->ok = 1;
    return NULL;
}

static atomic_int churn_stop;
static atomic_int churn_count;

/* engines of every piece created, played a little and destroyed: their
 * synths select and leave presets (the shared font's counts) while the
 * other threads' voices start and stop */
static void *churn(void *arg)
{
    (void)arg;
    au_engine_thread_init();
    float *buf = malloc(sizeof(float) * 2 * 4800);
    for (int i = 0; buf && !atomic_load(&churn_stop); i++) {
        au_params p = au_piece_params(i % AU_PIECE_COUNT);
        p.seed = 500 + (uint64_t)i;
        au_engine *e;
        if (au_engine_create(&e, &p, RATE) != 0) break;
        for (int k = 0; k < 5; k++) au_engine_render(e, buf, 4800);
        au_engine_destroy(e);
        atomic_fetch_add(&churn_count, 1);
    }
    free(buf);
    return NULL;
}

/* Render threads share the font's samples (their voice counts are written
 * unsynchronised: see src/synth/sfont.c for why that is safe). Two engines
 * on two threads while a third creates and destroys engines give exactly
 * what each gives alone: no sample was unloaded or reloaded under them. */
static void test_threads_share_the_font(void **st)
{
    (void)st;
    if (!au_sfont_loaded()) skip();
    enum { N = 2 };
    static const int pieces[N] = {AU_PIECE_PULSE, AU_PIECE_ROOMS};
    job solo[N], par[N];
    for (int i = 0; i < N; i++) {
        au_params p = au_piece_params(pieces[i]);
        p.seed = 31 + (uint64_t)i;
        solo[i] = (job){p, 12 * RATE, malloc(sizeof(float) * 2 * 12 * RATE), 0};
        par[i] = (job){p, 12 * RATE, malloc(sizeof(float) * 2 * 12 * RATE), 0};
        assert_non_null(solo[i].out);
        assert_non_null(par[i].out);
        render_job(&solo[i]);
        assert_true(solo[i].ok);
    }
    pthread_t t[N], c;
    atomic_store(&churn_stop, 0);
    atomic_store(&churn_count, 0);
    assert_int_equal(pthread_create(&c, NULL, churn, NULL), 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(pthread_create(&t[i], NULL, render_job, &par[i]), 0);
    for (int i = 0; i < N; i++) pthread_join(t[i], NULL);
    atomic_store(&churn_stop, 1);
    pthread_join(c, NULL);
    fprintf(stderr, "# %d engines came and went meanwhile\n",
            atomic_load(&churn_count));
    for (int i = 0; i < N; i++) {
        assert_true(par[i].ok);
        assert_memory_equal(par[i].out, solo[i].out,
                            sizeof(float) * 2 * 12 * RATE);
        assert_true(rms(par[i].out, 2 * RATE, 12 * RATE) > 1e-3);
        free(solo[i].out);
        free(par[i].out);
    }
    /* a preset that is not pinned is refused (only pinned samples are
     * safe to share) */
    au_sfsynth *sfs;
    assert_int_equal(au_sfsynth_create(&sfs, RATE), 0);
    assert_int_equal(au_sfsynth_channel(sfs, 0, 0, 0, 0, 0, 0), 0);
    assert_int_equal(au_sfsynth_channel(sfs, 1, 0, 19, 0, 0, 0), AU_EINVAL);
    assert_int_equal(au_sfsynth_channel(sfs, 2, 128, 16, 0, 0, 0), AU_EINVAL);
    au_sfsynth_destroy(sfs);
}


/* one synth on channel 0 playing FluidR3's choir pad (program 91); the
 * frames [from, to) of its group 0 rendered into l, r */
static au_sfsynth *choir_pad(int mono)
{
    au_sfsynth *s;
    assert_int_equal(au_sfsynth_create(&s, RATE), 0);
    assert_int_equal(au_sfsynth_channel(s, 0, 0, 91, 0, 0, 0), 0);
    if (mono) au_sfsynth_mono_pairs(s, 0);
    return s;
}

static void run(au_sfsynth *s, float *l, float *r, int n)
{
    float *L[AU_SFSYNTH_GROUPS] = {l}, *R[AU_SFSYNTH_GROUPS] = {r};
    memset(l, 0, sizeof *l * (size_t)n);
    memset(r, 0, sizeof *r * (size_t)n);
    for (int pos = 0; pos < n; pos += 480) {
        float *Lk[AU_SFSYNTH_GROUPS] = {L[0] + pos}, *Rk[AU_SFSYNTH_GROUPS] = {R[0] + pos};
        au_sfsynth_process(s, Lk, Rk, n - pos < 480 ? n - pos : 480);
    }
}

static double energy(const float *x, int n)
{
    double e = 0;
    for (int i = 0; i < n; i++) e += (double)x[i] * x[i];
    return e;
}

/* FluidR3's choir pad plays each note's sample hard left and hard right:
 * as one centred voice (au_sfsynth_mono_pairs) it sounds the same (level
 * within 0.05 dB, the difference 45 dB under the signal) on half the
 * voices; its third voice, which decays to 54 dB under the pair and held
 * there, now decays out (the held floor) */
static void test_voice_economy_pairs(void **st)
{
    (void)st;
    if (!au_sfont_loaded()) skip();
    enum { N = RATE * 8 };
    float *l[2], *r[2];
    int voices_early[2], voices_late[2];
    for (int m = 0; m < 2; m++) {
        l[m] = malloc(sizeof(float) * N);
        r[m] = malloc(sizeof(float) * N);
        au_sfsynth *s = choir_pad(m);
        au_sfsynth_note_on(s, 0, 62, 80);
        run(s, l[m], r[m], RATE);
        voices_early[m] = au_sfsynth_active(s);
        run(s, l[m] + RATE, r[m] + RATE, N - RATE);
        voices_late[m] = au_sfsynth_active(s);
        au_sfsynth_destroy(s);
    }
    /* the pair and the decaying voice; then the pair alone */
    assert_int_equal(voices_early[0], 3);
    assert_int_equal(voices_late[0], 2);
    assert_int_equal(voices_early[1], 2);
    assert_int_equal(voices_late[1], 1);
    double e0 = energy(l[0], N) + energy(r[0], N);
    double e1 = energy(l[1], N) + energy(r[1], N);
    assert_true(e0 > 0 && fabs(10 * log10(e1 / e0)) < 0.05);
    double d = 0;
    for (int i = 0; i < N; i++) {
        double dl = l[1][i] - l[0][i], dr = r[1][i] - r[0][i];
        d += dl * dl + dr * dr;
    }
    assert_true(10 * log10(d / e0) < -45);
    for (int m = 0; m < 2; m++) {
        free(l[m]);
        free(r[m]);
    }
}

/* a released voice is cut once its release has taken it 60 dB under the
 * level it was released from: the last 50 ms before the cut are 55 dB or
 * more under the 50 ms before the note-off, and the voice is gone soon
 * after, not at the release's end (choir pad: 4.6 s) */
static void test_voice_economy_release_cut(void **st)
{
    (void)st;
    if (!au_sfont_loaded()) skip();
    enum { N = RATE * 8, OFF = RATE * 2 };
    float *l = malloc(sizeof(float) * N), *r = malloc(sizeof(float) * N);
    au_sfsynth *s = choir_pad(1);
    au_sfsynth_note_on(s, 0, 62, 80);
    run(s, l, r, OFF);
    au_sfsynth_note_off(s, 0, 62);
    int gone = -1;
    for (int pos = OFF; pos < N; pos += 64) {
        float *L[AU_SFSYNTH_GROUPS] = {l + pos}, *R[AU_SFSYNTH_GROUPS] = {r + pos};
        memset(l + pos, 0, 64 * sizeof(float));
        memset(r + pos, 0, 64 * sizeof(float));
        au_sfsynth_process(s, L, R, 64);
        if (gone < 0 && au_sfsynth_active(s) == 0) gone = pos + 64;
    }
    au_sfsynth_destroy(s);
    /* the preset's release (2786 tc, 4.6 s): the cut at 62.5% of it */
    assert_true(gone > OFF + RATE * 2 && gone < OFF + RATE * 3.2);
    int w = RATE / 20, cut = gone - 2 * 64;
    double before = energy(l + OFF - w, w) + energy(r + OFF - w, w);
    double last = energy(l + cut - w, w) + energy(r + cut - w, w);
    assert_true(before > 0 && 10 * log10(last / before) < -55);
    free(l);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_load_good),
        cmocka_unit_test(test_block_size_identity),
        cmocka_unit_test(test_engines_independent),
        cmocka_unit_test(test_note_grid),
        cmocka_unit_test(test_shared_memory),
        cmocka_unit_test(test_events_sounding_pitch),
        cmocka_unit_test(test_threads_share_the_font),
        cmocka_unit_test(test_voice_economy_pairs),
        cmocka_unit_test(test_voice_economy_release_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
