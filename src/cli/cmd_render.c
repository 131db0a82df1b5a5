/* auralis render: a piece to an audio file, streamed block by block. */
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/outfile.h"
#include "engine/engine.h"
#include "io/audiofile.h"
#include "synth/sfont.h"

static const char usage[] =
    "usage: auralis render [options] -o FILE.{flac,wav,opus,raw}\n"
    "\n"
    "Renders a piece offline: FLAC (24-bit), WAV (16-bit dithered, or 32-bit\n"
    "float with --float), Opus (48 kHz) or raw little-endian 16-bit stereo\n"
    "(the streaming wire format). Tags carry the seed, parameters and the\n"
    "change timeline (enough to render the file again). Ctrl-C stops it and\n"
    "leaves no file (exit 130; SIGTERM 143).\n"
    "\n"
    "  --piece NAME      drift (default), rooms, glass, choir, night, pulse;\n"
    "                    sets the default key, mode, bpm and intensity\n"
    "  --soundfont PATH  SF2/SF3 for the pieces' sampled instruments (default\n"
    "                    " AU_SFONT_DEFAULT_PATH ")\n"
    "  --no-soundfont    play the pieces on Auralis's own instruments only\n"
    "  --seed N          piece seed, 0..18446744073709551615 (random and\n"
    "                    printed when absent)\n"
    "  --key K           C, C#, Db, D, ..., B (default D)\n"
    "  --mode M          ionian, dorian, phrygian, lydian, mixolydian, aeolian,\n"
    "                    locrian, major, minor (default dorian)\n"
    "  --bpm X           30..200 (default 60)\n"
    "  --intensity X     0.0..1.0 (default 0.4)\n"
    "  --wander          allow moves to related keys and modes\n"
    "  --no-LAYER        switch a layer off: pads, melody, bass, percussion,\n"
    "                    textures, bells\n"
    "  --volume LAYER=V  a layer's volume, 0.0..1.0 (default 1); repeatable\n"
    "  --change POS:name=value[,name=value]\n"
    "                    a live change at POS (sample frames, or seconds as\n"
    "                    '90s'); repeatable. Replays a streamed session exactly.\n"
    "  --timeline TEXT   changes in the server's timeline form\n"
    "                    'POS:name=value,...;POS:...' (docs/protocol.md)\n"
    "  --minutes M       length, up to 1440 (default 10)\n"
    "  --bars B          length in 4-beat bars at the starting tempo\n"
    "  --seconds S       length in seconds\n"
    "  --endless         no ending: the music runs to the last frame as a\n"
    "                    stream does (replays a streamed session exactly);\n"
    "                    by default the last bars are quiet, the reverb\n"
    "                    rings and the file fades out inside the length\n"
    "  --rate R          48000 (default) or 44100\n"
    "  --float           write 32-bit float WAV instead of 16-bit (.wav only)\n"
    "  --opus-bitrate B  .opus bits/s, 32000..256000 (default 160000); the\n"
    "                    packets equal those of a stream at that bitrate\n"
    "  -o, --output FILE output file; the extension picks the format\n"
    "  --quiet           no progress bar\n";

#define BLOCK 4800
#define QUEUE 8 /* blocks in flight between the renderer and the encoder */

/* Rendering and encoding run on two threads (FLAC encoding alone costs about
 * half as much as synthesis), handing blocks over through a small queue.
 * This is the offline path: a mutex and a condition variable are fine. */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    float buf[QUEUE][BLOCK * 2];
    int frames[QUEUE];
    long head, tail; /* blocks produced, blocks consumed */
    int done, failed;
    au_audio_writer *w;
} pipeline;

static void *encoder_main(void *arg)
{
    pipeline *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->tail == p->head && !p->done) pthread_cond_wait(&p->cv, &p->mu);
        if (p->tail == p->head) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        int slot = (int)(p->tail % QUEUE);
        pthread_mutex_unlock(&p->mu);
        int failed = au_audio_writer_write(p->w, p->buf[slot], p->frames[slot]) != 0;
        pthread_mutex_lock(&p->mu);
        p->tail++;
        if (failed) p->failed = 1;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
}

/* A free slot for the renderer, or NULL when the encoder has failed. */
static float *pipeline_slot(pipeline *p)
{
    pthread_mutex_lock(&p->mu);
    while (p->head - p->tail >= QUEUE && !p->failed) pthread_cond_wait(&p->cv, &p->mu);
    float *b = p->failed ? NULL : p->buf[p->head % QUEUE];
    pthread_mutex_unlock(&p->mu);
    return b;
}

static void pipeline_push(pipeline *p, int frames)
{
    pthread_mutex_lock(&p->mu);
    p->frames[p->head % QUEUE] = frames;
    p->head++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void fmt_time(double s, char *b, size_t n)
{
    long t = (long)s;
    if (t >= 3600) snprintf(b, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(b, n, "%ld:%02ld", t / 60, t % 60);
}

static void progress(int64_t done, int64_t total, int rate, double elapsed)
{
    double frac = total ? (double)done / total : 1;
    int width = 30, fill = (int)(frac * width);
    char bar[64];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = 0;
    double audio = (double)done / rate;
    double speed = elapsed > 0 ? audio / elapsed : 0;
    double left = speed > 0 ? ((double)(total - done) / rate) / speed : 0;
    char a[32], l[32];
    fmt_time(audio, a, sizeof a);
    fmt_time(left, l, sizeof l);
    fprintf(stderr, "\r[%s] %5.1f%%  %s rendered  %6.0fx real time  %s left ",
            bar, frac * 100, a, speed, l);
}

/* SIGINT/SIGTERM: stop rendering, remove the temporary file, exit 128+N. */
static volatile sig_atomic_t g_interrupted;
static void on_signal(int sig)
{
    g_interrupted = sig;
}

/* The comment tag: the parameters, and the change timeline when there is
 * one, so the file says how to render it again. NULL on allocation
 * failure. */
static char *tag_comment(const char *desc, const au_timeline *tl)
{
    char *t = tl->n ? au_timeline_format(tl) : NULL;
    size_t n = strlen(desc) + (t ? strlen(t) : 0) + 32;
    char *c = malloc(n);
    if (c) snprintf(c, n, "%s%s%s", desc, t ? " timeline=" : "", t ? t : "");
    free(t);
    return c;
}

int au_cmd_render(int argc, char **argv)
{
    static au_cli_options o;
    int r = au_cli_parse(argc, argv,
                         AU_OPT_PIECE | AU_OPT_LENGTH | AU_OPT_OUTPUT |
                             AU_OPT_QUIET | AU_OPT_RATE | AU_OPT_FLOAT |
                             AU_OPT_SOUNDFONT | AU_OPT_OPUS,
                         &o, usage);
    if (r == 1) return 0;
    if (r) return r;
    if (!o.output) {
        fprintf(stderr, "auralis: render needs -o FILE (.flac, .wav, .opus or .raw; see --help)\n");
        return 2;
    }
    char ext[16];
    au_audio_format fmt;
    if (au_audio_format_from_ext(au_path_ext(o.output, ext, sizeof ext),
                                 o.float_wav, &fmt)) {
        fprintf(stderr,
                "auralis: --output extension must be .flac, .wav, .opus or .raw "
                "(got '%s')\n", o.output);
        return 2;
    }
    if (o.float_wav && fmt != AU_FMT_WAV_FLOAT) {
        fprintf(stderr,
                "auralis: --float applies to .wav output only (got '%s')\n",
                o.output);
        return 2;
    }
    if (fmt == AU_FMT_OPUS && o.rate != 48000) {
        fprintf(stderr, "auralis: --rate must be 48000 for .opus output (got %d)\n", o.rate);
        return 2;
    }
    if ((r = au_cli_load_soundfont(&o, false))) return r;

    /* from here on an interrupt stops the render and removes its file */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    static au_timeline tl;
    if (au_cli_build_timeline(&o, &tl)) return 2;
    int64_t total = au_cli_length_frames(&o, 10.0);
    for (int i = 0; i < tl.n; i++)
        if (tl.v[i].pos >= total) {
            fprintf(stderr,
                    "auralis: --change at frame %lld (%.1f s) is past the end "
                    "of the render (%lld frames, %.1f s)\n",
                    (long long)tl.v[i].pos, (double)tl.v[i].pos / o.rate,
                    (long long)total, (double)total / o.rate);
            au_timeline_deinit(&tl);
            return 2;
        }
    au_outfile out;
    char err[512];
    if (au_cli_open_output(&o, &out)) {
        au_timeline_deinit(&tl);
        return 2;
    }
    char desc[256];
    au_cli_describe(&o.params, desc, sizeof desc);
    au_audio_writer *w = NULL;
    char *comment = tag_comment(desc, &tl);
    if (!comment ||
        au_audio_writer_open(&w, out.fd, fmt, o.rate, &o.params, comment, err, sizeof err)) {
        fprintf(stderr, "auralis: %s\n", comment ? err : "out of memory");
        free(comment);
        au_outfile_abort(&out);
        return 1;
    }
    free(comment);
    if (fmt == AU_FMT_OPUS && o.opus_bitrate)
        au_audio_writer_set_opus_bitrate(w, o.opus_bitrate);
    au_engine *e = NULL;
    if (au_engine_create(&e, &o.params, o.rate)) {
        fprintf(stderr, "auralis: cannot create the engine\n");
        au_audio_writer_close(w);
        au_outfile_abort(&out);
        return 1;
    }
    au_engine_thread_init();

    /* a file ends like a piece (quiet last bars, reverb tail, fade) unless
     * it replays a stream */
    if (!o.endless && total >= o.rate) au_engine_set_end(e, total);
    static pipeline pl;
    memset(&pl, 0, sizeof pl);
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.cv, NULL);
    pl.w = w;
    pthread_t encoder;
    if (pthread_create(&encoder, NULL, encoder_main, &pl) != 0) {
        fprintf(stderr, "auralis: cannot start the encoder thread\n");
        au_engine_destroy(e);
        au_audio_writer_close(w);
        au_outfile_abort(&out);
        return 1;
    }
    int show = !o.quiet && isatty(STDERR_FILENO);
    double t0 = now_s(), last_shown = 0;
    int next_change = 0, failed = 0;
    int64_t done = 0;
    while (done < total && !failed && !g_interrupted) {
        int64_t n = total - done < BLOCK ? total - done : BLOCK;
        float *buf = pipeline_slot(&pl);
        if (!buf) {
            failed = 1;
            break;
        }
        /* the engine's replay: the same code the server's exports use */
        au_timeline_render(e, &tl, &next_change, buf, (int)n);
        pipeline_push(&pl, (int)n);
        done += n;
        if (show) {
            double t = now_s();
            if (t - last_shown > 0.2 || done == total) {
                progress(done, total, o.rate, t - t0);
                last_shown = t;
            }
        }
    }
    pthread_mutex_lock(&pl.mu);
    pl.done = 1;
    pthread_cond_broadcast(&pl.cv);
    pthread_mutex_unlock(&pl.mu);
    pthread_join(encoder, NULL);
    if (pl.failed) failed = 1;
    if (show) fputc('\n', stderr);
    au_engine_destroy(e);
    au_timeline_deinit(&tl);
    if (au_audio_writer_close(w)) failed = 1;
    if (g_interrupted) {
        int sig = (int)g_interrupted;
        au_outfile_abort(&out);
        fprintf(stderr, "auralis: render interrupted (%s); '%s' not written\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM", o.output);
        return 128 + sig;
    }
    if (failed) {
        fprintf(stderr, "auralis: writing '%s' failed\n", o.output);
        au_outfile_abort(&out);
        return 1;
    }
    if (au_outfile_commit(&out, err, sizeof err)) {
        fprintf(stderr, "auralis: %s\n", err);
        return 1;
    }
    if (!o.quiet) {
        double el = now_s() - t0;
        fprintf(stderr, "rendered %.1f min of %s (%s) in %.1f s (%.0fx real time) -> %s\n",
                total / (double)o.rate / 60.0, au_audio_format_name(fmt), desc, el,
                el > 0 ? total / (double)o.rate / el : 0, o.output);
    }
    return 0;
}
