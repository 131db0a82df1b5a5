#define _GNU_SOURCE /* SCHED_IDLE */
#include "server/export.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <dirent.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compose/piece.h"
#include "core/au.h"
#include "engine/engine.h"
#include "server/metrics.h"
#include "server/export_job.h"
#include "server/pacer.h"
#include "server/stream.h"

#define MAX_JOBS_TABLE 64 /* queued, running and finished jobs remembered */

enum { J_FREE, J_QUEUED, J_RUNNING, J_DONE, J_FAILED };

typedef struct {
    int state;
    char id[17];
    au_export_request rq;
    au_timeline t;
    _Atomic int64_t done; /* frames rendered (from 0) */
    _Atomic int cancel;
    _Atomic int64_t paused_ns; /* stopped for live streams (export_job.c) */
    int64_t queued_ns, started_ns, finished_ns;
    uint64_t bytes;
    char path[600];
    char error[160];
} job_t;

struct au_exports {
    au_export_config cfg;
    char dir[512];
    int lockfd; /* holds DIR/.lock for the server's life (default folder) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t *threads;
    int nthreads;
    bool stop;
    job_t jobs[MAX_JOBS_TABLE];
    _Atomic int running, queued;
};

static _Atomic(au_exports *) g_exports;

int au_export_jobs_running(void)
{
    au_exports *x = atomic_load(&g_exports);
    return x ? atomic_load(&x->running) : 0;
}

au_export_config au_export_config_default(void)
{
    au_export_config c = {1, 4, 2, 900, 240.0, NULL, false, false};
    return c;
}

static const char *ext_of(au_export_format f)
{
    switch (f) {
    case AU_EXPORT_FLAC: return "flac";
    case AU_EXPORT_OPUS: return "opus";
    case AU_EXPORT_MIDI: return "mid";
    default: return "raw";
    }
}

static const char *ctype_of(au_export_format f)
{
    switch (f) {
    case AU_EXPORT_FLAC: return "audio/flac";
    case AU_EXPORT_OPUS: return "audio/ogg";
    case AU_EXPORT_MIDI: return "audio/midi";
    default: return "application/octet-stream";
    }
}

int au_export_format_parse(const char *s, au_export_format *f)
{
    if (!s) return -1;
    if (!strcmp(s, "flac")) *f = AU_EXPORT_FLAC;
    else if (!strcmp(s, "opus")) *f = AU_EXPORT_OPUS;
    else if (!strcmp(s, "midi") || !strcmp(s, "mid")) *f = AU_EXPORT_MIDI;
    else if (!strcmp(s, "raw")) *f = AU_EXPORT_RAW;
    else return -1;
    return 0;
}

/* ------------------------------------------------------------- rendering */

static void progress_cb(void *arg, int64_t frames)
{
    job_t *j = arg;
    atomic_store_explicit(&j->done, frames, memory_order_relaxed);
}

static void run_job(au_exports *x, job_t *j)
{
    char tmp[640], err[160] = "";
    snprintf(tmp, sizeof tmp, "%s.part", j->path);
    int rc = -1;
    if (!x->cfg.in_process) {
        /* the usual way: a child process at nice 19 / SCHED_IDLE */
        rc = au_export_spawn(&j->rq, &j->t, tmp, !x->cfg.no_yield, &j->done,
                             &j->paused_ns, &j->cancel, err, sizeof err);
    } else {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
            snprintf(err, sizeof err, "cannot create the file: %s",
                     strerror(errno));
        } else {
            rc = au_export_render(&j->rq, &j->t, fd, progress_cb, j, &j->cancel,
                                  err, sizeof err);
            if (close(fd) && !rc) {
                snprintf(err, sizeof err, "closing the file failed");
                rc = -1;
            }
        }
    }
    if (!rc && rename(tmp, j->path)) {
        snprintf(err, sizeof err, "cannot finish the file: %s", strerror(errno));
        rc = -1;
    }
    if (rc) unlink(tmp);
    struct stat st;
    pthread_mutex_lock(&x->mu);
    j->finished_ns = au_mono_ns();
    if (!rc && stat(j->path, &st) == 0) {
        j->bytes = (uint64_t)st.st_size;
        j->state = J_DONE;
    } else {
        snprintf(j->error, sizeof j->error, "%s", err[0] ? err : "failed");
        j->state = J_FAILED;
    }
    au_timeline_deinit(&j->t); /* the file is all that is needed now */
    pthread_mutex_unlock(&x->mu);
}

static void *job_main(void *arg)
{
    au_exports *x = arg;
    /* Lowest priority there is. With child processes (the default) this
     * thread only waits for its child, which sets the same priority on
     * itself; in-process jobs (--export-in-process) render here. */
#ifdef SCHED_IDLE
    struct sched_param sp = {0};
    if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) != 0)
#endif
        if (nice(19) < 0) { /* best effort */ }
    au_engine_thread_init(); /* FTZ/DAZ as on the render workers */
    pthread_mutex_lock(&x->mu);
    while (!x->stop) {
        job_t *j = NULL;
        for (int i = 0; i < MAX_JOBS_TABLE; i++)
            if (x->jobs[i].state == J_QUEUED &&
                (!j || x->jobs[i].queued_ns < j->queued_ns))
                j = &x->jobs[i];
        if (!j) {
            pthread_cond_wait(&x->cv, &x->mu);
            continue;
        }
        j->state = J_RUNNING;
        j->started_ns = au_mono_ns();
        atomic_fetch_sub(&x->queued, 1);
        atomic_fetch_add(&x->running, 1);
        au_metrics_export_jobs_add(1); /* auralis_export_jobs_running */
        pthread_mutex_unlock(&x->mu);
        run_job(x, j);
        atomic_fetch_sub(&x->running, 1);
        au_metrics_export_jobs_add(-1);
        pthread_mutex_lock(&x->mu);
    }
    pthread_mutex_unlock(&x->mu);
    return NULL;
}

/* ------------------------------------------------------------ the table */

/* ------------------------------------------- the folder and its orphans */

#define ORPHAN_PREFIX "auralis-exports-"

/* The default private folder is held by an flock on DIR/.lock for the
 * server's whole life. The kernel drops the lock when the process ends,
 * however it ends (SIGKILL, OOM, a crash, a test harness's timeout), so the
 * next server can tell a dead server's folder, and the hour-long FLACs
 * left in it, from a live one's. The lock is taken on a new name and then
 * renamed into place, so `.lock` never exists unlocked while its owner
 * lives. Returns the descriptor, or -1. */
static int hold_dir(const char *dir)
{
    char tmp[600], lock[600];
    snprintf(tmp, sizeof tmp, "%s/.lock.new", dir);
    snprintf(lock, sizeof lock, "%s/.lock", dir);
    int fd = open(tmp, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) || rename(tmp, lock)) {
        unlink(tmp);
        close(fd);
        return -1;
    }
    return fd;
}

/* Deletes the folders under parent that a dead server left: ours (same
 * owner, a real directory, not a link), with a `.lock` nobody holds. A
 * folder without `.lock` (a server starting this instant, or one older
 * than the lock) is left alone. Start-up only. Returns how many went. */
static int sweep_orphans(const char *parent, const char *own)
{
    DIR *d = opendir(parent);
    if (!d) return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, ORPHAN_PREFIX, strlen(ORPHAN_PREFIX))) continue;
        char p[600];
        snprintf(p, sizeof p, "%s/%s", parent, e->d_name);
        if (!strcmp(p, own)) continue;
        int dfd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0) continue;
        struct stat st;
        int lfd = -1;
        if (fstat(dfd, &st) == 0 && st.st_uid == geteuid())
            lfd = openat(dfd, ".lock", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) == 0) {
            DIR *in = fdopendir(dup(dfd));
            struct dirent *f;
            while (in && (f = readdir(in)))
                if (strcmp(f->d_name, ".") && strcmp(f->d_name, ".."))
                    unlinkat(dfd, f->d_name, 0);
            if (in) closedir(in);
            if (rmdir(p) == 0) removed++;
        }
        if (lfd >= 0) close(lfd);
        close(dfd);
    }
    closedir(d);
    return removed;
}

int au_exports_start(au_exports **out, const au_export_config *cfg)
{
    au_exports *x = calloc(1, sizeof *x);
    if (!x) return AU_ENOMEM;
    x->cfg = *cfg;
    x->lockfd = -1;
    if (x->cfg.threads < 1) x->cfg.threads = 1;
    if (cfg->dir) {
        snprintf(x->dir, sizeof x->dir, "%s", cfg->dir);
        if (mkdir(x->dir, 0700) && errno != EEXIST) {
            free(x);
            return AU_EIO;
        }
    } else {
        const char *tmp = getenv("TMPDIR");
        const char *parent = tmp && *tmp ? tmp : "/tmp";
        snprintf(x->dir, sizeof x->dir, "%s/" ORPHAN_PREFIX "XXXXXX", parent);
        if (!mkdtemp(x->dir)) {
            free(x);
            return AU_EIO;
        }
        x->lockfd = hold_dir(x->dir);
        if (x->lockfd < 0) {
            rmdir(x->dir);
            free(x);
            return AU_EIO;
        }
        int n = sweep_orphans(parent, x->dir);
        if (n)
            fprintf(stderr,
                    "auralis: removed %d export folder%s left under %s by "
                    "servers that did not shut down\n",
                    n, n == 1 ? "" : "s", parent);
    }
    pthread_mutex_init(&x->mu, NULL);
    pthread_cond_init(&x->cv, NULL);
    x->threads = calloc((size_t)x->cfg.threads, sizeof *x->threads);
    if (!x->threads) {
        au_exports_stop(x);
        return AU_ENOMEM;
    }
    for (int i = 0; i < x->cfg.threads; i++) {
        if (pthread_create(&x->threads[i], NULL, job_main, x) != 0) break;
        x->nthreads++;
    }
    if (!x->nthreads) {
        au_exports_stop(x);
        return AU_ENOMEM;
    }
    atomic_store(&g_exports, x);
    *out = x;
    return 0;
}

void au_exports_stop(au_exports *x)
{
    if (!x) return;
    au_exports *cur = x;
    atomic_compare_exchange_strong(&g_exports, &cur, NULL);
    pthread_mutex_lock(&x->mu);
    x->stop = true;
    for (int i = 0; i < MAX_JOBS_TABLE; i++) atomic_store(&x->jobs[i].cancel, 1);
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
    for (int i = 0; i < x->nthreads; i++) pthread_join(x->threads[i], NULL);
    for (int i = 0; i < MAX_JOBS_TABLE; i++) {
        job_t *j = &x->jobs[i];
        if (j->state == J_DONE) unlink(j->path);
        au_timeline_deinit(&j->t);
    }
    if (x->lockfd >= 0) {
        char lock[600];
        snprintf(lock, sizeof lock, "%s/.lock", x->dir);
        unlink(lock);
    }
    rmdir(x->dir);
    if (x->lockfd >= 0) close(x->lockfd);
    pthread_mutex_destroy(&x->mu);
    pthread_cond_destroy(&x->cv);
    free(x->threads);
    free(x);
}

static job_t *find(au_exports *x, const char *id)
{
    if (!id || strlen(id) != 16) return NULL;
    for (int i = 0; i < MAX_JOBS_TABLE; i++)
        if (x->jobs[i].state != J_FREE && !strcmp(x->jobs[i].id, id))
            return &x->jobs[i];
    return NULL;
}

static const char *state_name(int s)
{
    switch (s) {
    case J_QUEUED: return "queued";
    case J_RUNNING: return "running";
    case J_DONE: return "done";
    default: return "failed";
    }
}

/* with x->mu held */
static int status_json(au_exports *x, job_t *j, char *body, size_t len)
{
    int64_t done = atomic_load(&j->done);
    int64_t total = j->rq.to;
    double progress = j->state == J_DONE ? 1.0
                      : total > 0        ? (double)done / (double)total
                                         : 0.0;
    double speed = 0;
    int64_t end = j->state == J_RUNNING ? au_mono_ns() : j->finished_ns;
    if (j->started_ns && end > j->started_ns)
        speed = (double)done / j->rq.rate / ((double)(end - j->started_ns) * 1e-9);
    char err[340] = "null";
    if (j->state == J_FAILED) {
        char esc[300];
        size_t o = 0;
        for (const char *c = j->error; *c && o + 3 < sizeof esc; c++) {
            if (*c == '"' || *c == '\\') esc[o++] = '\\';
            esc[o++] = (unsigned char)*c < 0x20 ? ' ' : *c;
        }
        esc[o] = '\0';
        snprintf(err, sizeof err, "\"%s\"", esc);
    }
    int queue_pos = 0;
    if (j->state == J_QUEUED)
        for (int i = 0; i < MAX_JOBS_TABLE; i++)
            if (x->jobs[i].state == J_QUEUED &&
                x->jobs[i].queued_ns < j->queued_ns)
                queue_pos++;
    return snprintf(
        body, len,
        "{\"job\":\"%s\",\"stream\":\"%s\",\"status\":\"%s\",\"format\":\"%s\","
        "\"from\":%" PRId64 ",\"to\":%" PRId64 ",\"sample_rate\":%d,"
        "\"progress\":%.4f,\"rendered\":%" PRId64 ",\"queue_position\":%d,"
        "\"speed\":%.1f,\"bytes\":%" PRIu64 ",\"filename\":\"%s.%s\","
        "\"status_url\":\"/api/export/%s\",\"download_url\":%s%s%s%s,"
        "\"expires_s\":%d,\"paused_s\":%.1f,\"error\":%s}",
        j->id, j->rq.stream, state_name(j->state),
        j->rq.format == AU_EXPORT_MIDI ? "midi" : ext_of(j->rq.format),
        j->rq.from, j->rq.to, j->rq.rate, progress, done, queue_pos, speed,
        j->bytes, j->rq.name, ext_of(j->rq.format), j->id,
        j->state == J_DONE ? "\"/api/export/" : "null",
        j->state == J_DONE ? j->id : "", j->state == J_DONE ? "/file" : "",
        j->state == J_DONE ? "\"" : "", x->cfg.keep_s,
        (double)atomic_load(&j->paused_ns) * 1e-9, err);
}

static int reply_error(char *body, size_t len, int status, const char *code,
                       const char *msg)
{
    snprintf(body, len, "{\"type\":\"error\",\"code\":\"%s\",\"message\":\"%s\"}",
             code, msg);
    return status;
}

int au_exports_submit(au_exports *x, const au_export_request *rq,
                      const au_timeline *t, char *body, size_t len)
{
    int chunk = rq->rate / 10;
    if (rq->from < 0 || rq->to <= rq->from || rq->from % chunk || rq->to % chunk)
        return reply_error(body, len, 400, "invalid_param",
                           "the export window is empty");
    if ((double)(rq->to - rq->from) / rq->rate > x->cfg.max_minutes * 60.0 + 1e-9) {
        char m[160];
        snprintf(m, sizeof m,
                 "an export covers at most %g minutes (asked for %.1f); give "
                 "minutes or from",
                 x->cfg.max_minutes, (double)(rq->to - rq->from) / rq->rate / 60.0);
        return reply_error(body, len, 400, "invalid_param", m);
    }
    pthread_mutex_lock(&x->mu);
    int total = 0, mine = 0;
    job_t *slot = NULL, *oldest_done = NULL;
    for (int i = 0; i < MAX_JOBS_TABLE; i++) {
        job_t *j = &x->jobs[i];
        if (j->state == J_QUEUED || j->state == J_RUNNING) {
            total++;
            if (!strcmp(j->rq.client, rq->client)) mine++;
        } else if (j->state == J_FREE && !slot) {
            slot = j;
        } else if ((j->state == J_DONE || j->state == J_FAILED) &&
                   (!oldest_done || j->finished_ns < oldest_done->finished_ns)) {
            oldest_done = j;
        }
    }
    int status = 202;
    char m[200];
    if (mine >= x->cfg.per_client) {
        snprintf(m, sizeof m,
                 "at most %d exports at a time per listener; wait for one to "
                 "finish",
                 x->cfg.per_client);
        status = reply_error(body, len, 429, "too_many_exports", m);
    } else if (total >= x->cfg.max_jobs) {
        snprintf(m, sizeof m,
                 "the server is running %d exports (its limit); try again "
                 "in a minute",
                 total);
        status = reply_error(body, len, 429, "too_many_exports", m);
    } else {
        if (!slot && oldest_done) { /* forget the oldest finished job */
            if (oldest_done->state == J_DONE) unlink(oldest_done->path);
            au_timeline_deinit(&oldest_done->t);
            memset(oldest_done, 0, sizeof *oldest_done);
            slot = oldest_done;
        }
        if (!slot) {
            status = reply_error(body, len, 429, "too_many_exports",
                                 "too many exports at once; try again soon");
        } else {
            memset(slot, 0, sizeof *slot);
            au_timeline_init(&slot->t, &t->init, t->max);
            if (au_timeline_copy(&slot->t, t, rq->to)) {
                au_timeline_deinit(&slot->t);
                status = reply_error(body, len, 500, "unavailable",
                                     "out of memory");
            } else {
                uint64_t r = 0;
                if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
                    r = (uint64_t)au_mono_ns() * 0x9E3779B97F4A7C15ULL;
                snprintf(slot->id, sizeof slot->id, "%016" PRIx64, r);
                slot->rq = *rq;
                snprintf(slot->path, sizeof slot->path, "%s/%s.%s", x->dir,
                         slot->id, ext_of(rq->format));
                slot->queued_ns = au_mono_ns();
                slot->state = J_QUEUED;
                atomic_fetch_add(&x->queued, 1);
                status_json(x, slot, body, len);
                pthread_cond_signal(&x->cv);
            }
        }
    }
    pthread_mutex_unlock(&x->mu);
    return status;
}

int au_export_describe(au_timeline *t, const au_stream_request *req,
                       int default_piece, char *err, size_t errlen)
{
    au_params p = au_piece_params((req->update.mask & AU_P_PIECE)
                                      ? req->update.v.piece
                                      : default_piece);
    au_params_apply(&p, &req->update);
    p.seed = req->seed;
    au_timeline_deinit(t);
    au_timeline_init(t, &p, AU_TIMELINE_MAX);
    if (req->timeline[0] && au_timeline_parse(t, req->timeline, err, errlen))
        return 400;
    return 0;
}

int au_exports_status(au_exports *x, const char *id, char *body, size_t len)
{
    pthread_mutex_lock(&x->mu);
    job_t *j = find(x, id);
    int status = 200;
    if (j)
        status_json(x, j, body, len);
    else
        status = reply_error(body, len, 404, "unknown_export",
                             "no such export (finished exports are kept for "
                             "a while, then deleted)");
    pthread_mutex_unlock(&x->mu);
    return status;
}

int au_exports_file(au_exports *x, const char *id, char *path, size_t plen,
                    char *filename, size_t flen, const char **ctype,
                    char *body, size_t len)
{
    pthread_mutex_lock(&x->mu);
    job_t *j = find(x, id);
    int status = 200;
    if (!j) {
        status = reply_error(body, len, 404, "unknown_export",
                             "no such export (finished exports are kept for "
                             "a while, then deleted)");
    } else if (j->state != J_DONE) {
        status_json(x, j, body, len);
        status = 409;
    } else {
        snprintf(path, plen, "%s", j->path);
        snprintf(filename, flen, "%s.%s", j->rq.name, ext_of(j->rq.format));
        *ctype = ctype_of(j->rq.format);
    }
    pthread_mutex_unlock(&x->mu);
    return status;
}

void au_exports_housekeeping(au_exports *x, int64_t now_ns)
{
    pthread_mutex_lock(&x->mu);
    for (int i = 0; i < MAX_JOBS_TABLE; i++) {
        job_t *j = &x->jobs[i];
        if ((j->state == J_DONE || j->state == J_FAILED) &&
            now_ns - j->finished_ns > (int64_t)x->cfg.keep_s * 1000000000) {
            if (j->state == J_DONE) unlink(j->path);
            au_timeline_deinit(&j->t);
            memset(j, 0, sizeof *j);
        }
    }
    pthread_mutex_unlock(&x->mu);
}

int au_exports_running(const au_exports *x)
{
    return atomic_load(&((au_exports *)x)->running);
}

int au_exports_queued(const au_exports *x)
{
    return atomic_load(&((au_exports *)x)->queued);
}
