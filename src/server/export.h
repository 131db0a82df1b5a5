/* "Save what I heard": export jobs that render a performance's timeline
 * offline (the same engine, seed, parameters and changes as the stream) into
 * a file: FLAC (16-bit, the streamed PCM bit for bit), Opus, MIDI (the same
 * notes) or raw pcm16 (the wire format). docs/protocol.md, "Export".
 *
 * Each job renders in a child process (export_job.h: the server's own
 * binary, nice 19 and SCHED_IDLE for the whole process), so live streams
 * keep their deadlines and nothing a job does happens inside the server;
 * `threads` job threads each wait for one child at a time, so at most
 * `threads` jobs render at once. Jobs are bounded in total (queued +
 * running) and per client, and finished files are kept for keep_s seconds
 * in a private folder, then deleted (all of them at stop).
 * au_exports_* are called from the service thread; the job threads only
 * touch their own job (a mutex guards the job table; progress is atomic). */
#ifndef AU_SERVER_EXPORT_H
#define AU_SERVER_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/timeline.h"
#include "server/query.h"

typedef enum {
    AU_EXPORT_FLAC,
    AU_EXPORT_OPUS,
    AU_EXPORT_MIDI,
    AU_EXPORT_RAW,
} au_export_format;

typedef struct {
    int threads;        /* job threads (1) */
    int max_jobs;       /* queued + running at once, all clients (4) */
    int per_client;     /* queued + running per client address (2) */
    int keep_s;         /* finished files kept this long (900) */
    double max_minutes; /* longest window one export may cover (240) */
    const char *dir;    /* NULL: a new folder under $TMPDIR (or /tmp) */
    bool in_process;    /* render on the job threads themselves (SCHED_IDLE
                           threads inside the server; for comparison) */
    bool no_yield;      /* child processes keep running while live streams
                           are short of CPU (for comparison) */
} au_export_config;

au_export_config au_export_config_default(void);

typedef struct au_exports au_exports;

int au_exports_start(au_exports **out, const au_export_config *cfg);
void au_exports_stop(au_exports *x); /* cancels running jobs, deletes files */

/* "flac", "opus", "midi" (or "mid"), "raw" -> format; -1 if unknown */
int au_export_format_parse(const char *s, au_export_format *f);

typedef struct {
    au_export_format format;
    int64_t from, to; /* frames [from, to) of the performance */
    int rate;
    char name[80];    /* file name without extension (sanitised) */
    char client[64];  /* peer address, for the per-client bound */
    char stream[40];  /* the stream's resume id, echoed in the status */
} au_export_request;

/* Queues a job over a copy of t. Writes the JSON reply into body and
 * returns the HTTP status: 202 queued, 429 too many jobs (client or total),
 * 400 bad window, 500 out of memory. */
int au_exports_submit(au_exports *x, const au_export_request *rq,
                      const au_timeline *t, char *body, size_t len);

/* A performance described by a request (the stream query's seed,
 * parameters and timeline: what a share link or a resume carries) into t
 * (re-initialised; its old entries dropped), so that any node can export
 * it. The piece's defaults first (default_piece when the request names
 * none), then the request's values. 0, or 400 with a one-line reason. */
int au_export_describe(au_timeline *t, const au_stream_request *req,
                       int default_piece, char *err, size_t errlen);

/* A job's status JSON into body; 200, or 404 for an unknown job. */
int au_exports_status(au_exports *x, const char *job, char *body, size_t len);

/* A finished job's file: path and download name. 200, 404 unknown, 409 not
 * ready (body then holds the status JSON). */
int au_exports_file(au_exports *x, const char *job, char *path, size_t plen,
                    char *filename, size_t flen, const char **ctype,
                    char *body, size_t len);

/* Deletes expired files and forgets their jobs. */
void au_exports_housekeeping(au_exports *x, int64_t now_ns);

/* Jobs rendering now (for metrics: auralis_export_jobs_running). */
int au_exports_running(const au_exports *x);
/* Jobs queued, not yet running. */
int au_exports_queued(const au_exports *x);

/* The jobs-running count of the server's export pool, for metrics code
 * that has no handle on it (0 when exports are off). */
int au_export_jobs_running(void);

#endif
