#define _GNU_SOURCE /* SCHED_IDLE, closefrom, pipe2 */
#include "server/export_job.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sndfile.h>

#include "compose/composer.h"
#include "compose/composer_state.h"
#include "core/au.h"
#include "engine/engine.h"
#include "io/audiofile.h"
#include "io/midi.h"
#include "io/pcm.h"
#include "server/metrics.h"
#include "server/pacer.h"
#include "synth/sfont.h"

extern char **environ;

/* ------------------------------------------------------------- rendering */

typedef struct {
    void (*progress)(void *, int64_t);
    void *arg;
    const _Atomic int *cancel;
    int64_t every, last; /* frames between progress reports */
} job_io;

static bool cancelled(const job_io *io)
{
    return io->cancel && atomic_load_explicit(io->cancel, memory_order_relaxed);
}

static void report(const job_io *io, int64_t frames)
{
    job_io *m = (job_io *)io;
    if (!m->progress || frames - m->last < m->every) return;
    m->last = frames;
    m->progress(m->arg, frames);
}

static int write_all(int fd, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *p, size_t n)
{
    unsigned char *b = p;
    while (n) {
        ssize_t r = read(fd, b, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Audio: the engine from frame 0 (the state at `from` depends on all that
 * came before), the dither advanced over the skipped part exactly as the
 * stream advanced it, so the 16-bit samples are the ones that were sent. */
static int render_audio(const au_export_request *rq, const au_timeline *t,
                        int fd, const job_io *io, char *err, size_t errlen)
{
    int chunk = rq->rate / 10;
    au_engine *e = NULL;
    if (au_engine_create(&e, &t->init, rq->rate)) {
        snprintf(err, errlen, "cannot create the engine");
        return -1;
    }
    float *f = malloc(sizeof(float) * 2 * (size_t)chunk);
    int16_t *pcm = malloc(sizeof(int16_t) * 2 * (size_t)chunk);
    SNDFILE *sf = NULL;
    au_audio_writer *ow = NULL;
    int rc = -1;
    if (!f || !pcm) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (rq->format == AU_EXPORT_FLAC) {
        SF_INFO info;
        memset(&info, 0, sizeof info);
        info.samplerate = rq->rate;
        info.channels = 2;
        info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
        sf = sf_open_fd(fd, SFM_WRITE, &info, 0);
        if (!sf) {
            snprintf(err, errlen, "cannot start the FLAC writer: %s",
                     sf_strerror(NULL));
            goto out;
        }
        char comment[160];
        snprintf(comment, sizeof comment,
                 "Auralis seed %" PRIu64 ", frames %" PRId64 "-%" PRId64
                 " of the performance",
                 t->init.seed, rq->from, rq->to);
        sf_set_string(sf, SF_STR_TITLE, rq->name);
        sf_set_string(sf, SF_STR_ARTIST, "Auralis");
        sf_set_string(sf, SF_STR_COMMENT, comment);
        sf_set_string(sf, SF_STR_SOFTWARE, "auralis " AU_VERSION);
    } else if (rq->format == AU_EXPORT_OPUS) {
        char msg[256];
        if (au_audio_writer_open(&ow, fd, AU_FMT_OPUS, rq->rate, &t->init,
                                 rq->name, msg, sizeof msg)) {
            snprintf(err, errlen, "%.150s", msg);
            goto out;
        }
    }
    au_dither dither;
    au_dither_init(&dither, t->init.seed);
    int next = 0;
    for (int64_t pos = 0; pos < rq->to; pos += chunk) {
        if (cancelled(io)) {
            snprintf(err, errlen, "cancelled");
            goto out;
        }
        int n = rq->to - pos < chunk ? (int)(rq->to - pos) : chunk;
        au_timeline_render(e, t, &next, f, n);
        au_event ev;
        while (au_engine_poll_event(e, &ev)) {
        }
        bool keep = pos >= rq->from;
        if (rq->format == AU_EXPORT_OPUS) {
            if (keep && au_audio_writer_write(ow, f, n)) {
                snprintf(err, errlen, "writing the Opus file failed");
                goto out;
            }
        } else {
            au_pcm16_convert(&dither, f, pcm, (size_t)n * 2);
            if (keep && rq->format == AU_EXPORT_FLAC &&
                sf_writef_short(sf, pcm, n) != n) {
                snprintf(err, errlen, "writing the FLAC file failed");
                goto out;
            }
            if (keep && rq->format == AU_EXPORT_RAW) {
                uint8_t *le = (uint8_t *)f; /* reuse: 4 bytes a frame fit */
                for (int i = 0; i < 2 * n; i++) {
                    le[2 * i] = (uint8_t)((uint16_t)pcm[i] & 0xff);
                    le[2 * i + 1] = (uint8_t)((uint16_t)pcm[i] >> 8);
                }
                if (write_all(fd, le, (size_t)n * 4)) {
                    snprintf(err, errlen, "writing the file failed");
                    goto out;
                }
            }
        }
        report(io, pos + n);
    }
    rc = 0;
out:
    if (sf) {
        sf_write_sync(sf);
        if (sf_close(sf) && !rc) {
            snprintf(err, errlen, "finishing the FLAC file failed");
            rc = -1;
        }
    }
    if (ow && au_audio_writer_close(ow) && !rc) {
        snprintf(err, errlen, "finishing the Opus file failed");
        rc = -1;
    }
    free(f);
    free(pcm);
    au_engine_destroy(e);
    return rc;
}

/* MIDI: the composer alone (no synthesis), the same changes at the same
 * positions: the notes the stream played. An excerpt starts at tick 0 with
 * the parameters in force at `from`; notes still sounding from before it
 * are not included. */
static int render_midi(const au_export_request *rq, const au_timeline *t,
                       int fd, const job_io *io, char *err, size_t errlen)
{
    au_composer *c = malloc(sizeof *c);
    if (!c || au_composer_init(c, &t->init, rq->rate)) {
        free(c);
        snprintf(err, errlen, "cannot start the composer");
        return -1;
    }
    au_params p = t->init;
    au_midi_writer *w = NULL;
    double last_beat = 0, bpm = p.bpm;
    int64_t last_pos = 0;
    int next = 0, rc = -1;
    int64_t step = rq->rate; /* progress every second of music */
    for (int64_t at = 0; at < rq->to;) {
        if (cancelled(io)) {
            snprintf(err, errlen, "cancelled");
            goto out;
        }
        int64_t until = at + step < rq->to ? at + step : rq->to;
        if (!w && until > rq->from) until = rq->from;
        if (next < t->n && t->v[next].pos < until) until = t->v[next].pos;
        if (!w && at >= rq->from) {
            if (au_midi_create(&w, &p)) {
                snprintf(err, errlen, "out of memory");
                goto out;
            }
            au_midi_set_origin(w, last_beat + (double)(rq->from - last_pos) /
                                                  rq->rate * bpm / 60.0);
            /* the file's times are the stream's: notes where they sounded */
            au_midi_set_clock(w, rq->rate, rq->from);
            continue;
        }
        au_event ev;
        while (au_composer_next(c, until, &ev)) {
            if (w) au_midi_add(w, &ev);
            if (ev.type == AU_EV_TEMPO) bpm = ev.u.tempo.bpm;
            last_beat = ev.beat;
            last_pos = ev.pos;
        }
        at = until;
        while (next < t->n && t->v[next].pos <= at) {
            const au_param_update *u = &t->v[next++].u;
            au_composer_set(c, u);
            au_params_apply(&p, u);
            for (int l = 0; w && l < AU_LAYER_COUNT; l++)
                if (u->mask & AU_P_VOLUME(l))
                    au_midi_volume_at(w, l, at, u->v.volume[l]);
        }
        report(io, at);
    }
    if (!w && au_midi_create(&w, &p)) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    double end_beat =
        last_beat + (double)(rq->to - last_pos) / rq->rate * bpm / 60.0;
    size_t len = 0;
    const uint8_t *bytes = au_midi_bytes(w, end_beat, &len);
    if (!bytes || write_all(fd, bytes, len)) {
        snprintf(err, errlen, "writing the MIDI file failed");
        goto out;
    }
    rc = 0;
out:
    au_midi_destroy(w);
    free(c);
    return rc;
}

int au_export_render(const au_export_request *rq, const au_timeline *t, int fd,
                     void (*progress)(void *, int64_t), void *arg,
                     const _Atomic int *cancel, char *err, size_t errlen)
{
    job_io io = {progress, arg, cancel, rq->rate, 0};
    int rc = rq->format == AU_EXPORT_MIDI
                 ? render_midi(rq, t, fd, &io, err, errlen)
                 : render_audio(rq, t, fd, &io, err, errlen);
    if (!rc && progress) progress(arg, rq->to);
    return rc;
}

/* --------------------------------------------------- the child process */

#define JOB_MAGIC "AUEXJOB1"

/* Both sides are the same binary (/proc/self/exe), so the structs travel
 * as they are; the sizes are checked anyway. */
typedef struct {
    char magic[8];
    uint32_t head_size, entry_size;
    au_export_request rq;
    au_params init;
    int32_t n, max;
    int32_t full;
    int64_t full_at;
} job_head;

static _Atomic int g_children;
static _Atomic int g_child_cancel; /* the child: SIGTERM/SIGINT */

int au_export_children(void)
{
    return atomic_load(&g_children);
}

static void on_term(int sig)
{
    (void)sig;
    atomic_store(&g_child_cancel, 1);
}

static void child_progress(void *arg, int64_t frames)
{
    (void)arg;
    char line[40];
    int n = snprintf(line, sizeof line, "p %" PRId64 "\n", frames);
    if (write_all(1, line, (size_t)n)) _exit(1); /* the parent is gone */
}

static int child_fail(const char *msg)
{
    char line[220];
    int n = snprintf(line, sizeof line, "e %.200s\n", msg);
    for (int i = 0; i < n - 1; i++)
        if (line[i] == '\n') line[i] = ' ';
    if (write_all(1, line, (size_t)n)) { /* nobody to tell */
    }
    return 1;
}

int au_export_job_main(int argc, char **argv)
{
    const char *soundfont = NULL, *out = NULL;
    long parent = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--soundfont") && i + 1 < argc)
            soundfont = argv[++i];
        else if (!strcmp(argv[i], "--no-soundfont"))
            soundfont = NULL;
        else if (!strcmp(argv[i], "--parent") && i + 1 < argc)
            parent = atol(argv[++i]);
        else if (argv[i][0] != '-' && !out)
            out = argv[i];
        else {
            fprintf(stderr,
                    "auralis export-job: unknown argument '%s' (the "
                    "server starts this command; see `auralis serve`)\n",
                    argv[i]);
            return 2;
        }
    }
    if (!out || parent <= 0) {
        fprintf(stderr, "usage: auralis export-job --parent PID "
                        "[--soundfont PATH|--no-soundfont] OUTPUT < job\n"
                        "(started by `auralis serve` for each export)\n");
        return 2;
    }
    /* dies with the server; and never outlives a parent that died before
     * the line above took effect */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != (pid_t)parent) return 1;
    /* the whole process at the lowest priority there is, before any work
     * (threads started later inherit it) */
    if (setpriority(PRIO_PROCESS, 0, 19) != 0) { /* best effort */
    }
#ifdef SCHED_IDLE
    struct sched_param sp = {0};
    if (sched_setscheduler(0, SCHED_IDLE, &sp) != 0) { /* best effort */
    }
#endif
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    au_engine_thread_init();

    job_head h;
    if (read_all(0, &h, sizeof h) || memcmp(h.magic, JOB_MAGIC, 8) ||
        h.head_size != sizeof h || h.entry_size != sizeof(au_timeline_entry) ||
        h.n < 0 || h.n > h.max || h.max < 1 || h.max > 1000000)
        return child_fail("bad job description from the server");
    au_timeline t;
    au_timeline_init(&t, &h.init, h.max);
    if (h.n && au_timeline_reserve(&t, h.n)) return child_fail("out of memory");
    if (h.n && read_all(0, t.v, (size_t)h.n * sizeof *t.v))
        return child_fail("bad job description from the server");
    t.n = h.n;
    t.full = h.full != 0;
    t.full_at = h.full_at;
    char err[200] = "";
    if (h.rq.format != AU_EXPORT_MIDI && soundfont &&
        au_engine_load_soundfont(soundfont, err, sizeof err))
        return child_fail(err);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, sizeof err, "cannot create the file: %s",
                 strerror(errno));
        return child_fail(err);
    }
    int rc = au_export_render(&h.rq, &t, fd, child_progress, NULL,
                              &g_child_cancel, err, sizeof err);
    if (close(fd) && !rc) {
        snprintf(err, sizeof err, "closing the file failed");
        rc = -1;
    }
    au_timeline_deinit(&t);
    return rc ? child_fail(err) : 0;
}

/* ------------------------------------------------------- the parent side */

/* The gate: live streams first. While workers finish chunks with less than
 * AU_RENDER_TIGHT_NS to spare, the child is stopped (SIGSTOP: it then uses
 * no CPU, cache or memory bandwidth at all, which SCHED_IDLE alone does not
 * promise, e.g. on a virtual machine whose host sees only busy vCPUs) for
 * GATE_STOP_NS, then runs at least GATE_RUN_NS before it can be stopped
 * again, so an export on a machine that is always short of CPU still
 * finishes (at a fifth of its idle-time speed at worst). */
#define GATE_STOP_NS 1000000000LL
#define GATE_RUN_NS 250000000LL

int au_export_spawn(const au_export_request *rq, const au_timeline *t,
                    const char *path, bool yield, _Atomic int64_t *done,
                    _Atomic int64_t *paused_ns, const _Atomic int *cancel,
                    char *err, size_t errlen)
{
    job_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, JOB_MAGIC, 8);
    h.head_size = sizeof h;
    h.entry_size = sizeof(au_timeline_entry);
    h.rq = *rq;
    h.init = t->init;
    h.n = t->n;
    h.max = t->max > t->n ? t->max : (t->n ? t->n : 1);
    h.full = t->full;
    h.full_at = t->full_at;

    int in[2] = {-1, -1}, out[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) {
        snprintf(err, errlen, "cannot start the export process: %s",
                 strerror(errno));
        for (int i = 0; i < 2; i++) {
            if (in[i] >= 0) close(in[i]);
            if (out[i] >= 0) close(out[i]);
        }
        return -1;
    }
    char ppid[24];
    snprintf(ppid, sizeof ppid, "%ld", (long)getpid());
    const char *sf = au_sfont_path();
    char *argv[10];
    int a = 0;
    argv[a++] = "auralis";
    argv[a++] = "export-job";
    argv[a++] = "--parent";
    argv[a++] = ppid;
    if (sf) {
        argv[a++] = "--soundfont";
        argv[a++] = (char *)sf;
    } else {
        argv[a++] = "--no-soundfont";
    }
    argv[a++] = (char *)path;
    argv[a] = NULL;

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    /* nothing of the server's (sockets, files) reaches the child */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_init(&at);
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGCHLD);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dfl);
    posix_spawnattr_setflags(&at,
                             POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    /* posix_spawn (vfork-like in glibc): no copy of the server's page
     * tables, whatever its size */
    int sr = posix_spawn(&pid, "/proc/self/exe", &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(in[0]);
    close(out[1]);
    if (sr) {
        close(in[1]);
        close(out[0]);
        snprintf(err, errlen, "cannot start the export process: %s",
                 strerror(sr));
        return -1;
    }
    atomic_fetch_add(&g_children, 1);
    /* the description (the child reads all of it before it writes) */
    int wr = write_all(in[1], &h, sizeof h);
    if (!wr && t->n) wr = write_all(in[1], t->v, (size_t)t->n * sizeof *t->v);
    close(in[1]);

    char buf[512], msg[220] = "";
    size_t have = 0;
    bool killed = false, stopped = false;
    uint64_t tight = au_metrics_render_tight();
    int64_t since = au_mono_ns(); /* when the child last stopped or resumed */
    for (;;) {
        if (!killed && cancel && atomic_load(cancel)) {
            if (stopped) kill(pid, SIGCONT);
            kill(pid, SIGTERM);
            killed = true;
            stopped = false;
        }
        if (yield && !killed) {
            int64_t now = au_mono_ns();
            uint64_t tn = au_metrics_render_tight();
            if (!stopped && tn != tight && now - since >= GATE_RUN_NS) {
                kill(pid, SIGSTOP);
                stopped = true;
                since = now;
            } else if (stopped && now - since >= GATE_STOP_NS) {
                kill(pid, SIGCONT);
                if (paused_ns) atomic_fetch_add(paused_ns, now - since);
                stopped = false;
                since = now;
            }
            tight = tn;
        }
        struct pollfd p = {out[0], POLLIN, 0};
        int pr = poll(&p, 1, yield ? 50 : 200);
        if (pr < 0 && errno != EINTR) break;
        if (pr <= 0) continue;
        ssize_t r = read(out[0], buf + have, sizeof buf - 1 - have);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break; /* EOF: the child is done */
        have += (size_t)r;
        buf[have] = '\0';
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = '\0';
            if (line[0] == 'p' && line[1] == ' ')
                atomic_store(done, strtoll(line + 2, NULL, 10));
            else if (line[0] == 'e' && line[1] == ' ')
                snprintf(msg, sizeof msg, "%s", line + 2);
            line = nl + 1;
        }
        have = strlen(line);
        memmove(buf, line, have);
        if (have == sizeof buf - 1) have = 0; /* a runaway line: drop it */
    }
    close(out[0]);
    if (stopped) kill(pid, SIGCONT); /* EOF while stopped: it is exiting */
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    atomic_fetch_sub(&g_children, 1);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !wr) return 0;
    if (killed)
        snprintf(err, errlen, "cancelled");
    else if (msg[0])
        snprintf(err, errlen, "%s", msg);
    else if (WIFSIGNALED(status))
        snprintf(err, errlen, "the export process ended with signal %d",
                 WTERMSIG(status));
    else
        snprintf(err, errlen, "the export process failed (status %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return -1;
}
