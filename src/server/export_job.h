/* One export job's rendering, and the child process that runs it.
 *
 * The server never renders an export on its own threads: each job runs in
 * a child process (`auralis export-job`, the server's own binary) at nice 19
 * and SCHED_IDLE for the whole process, so the kernel schedules it only on
 * CPU time the render workers leave, and nothing it does (allocation,
 * file I/O, a crash, memory growth) happens inside the server. The parent's
 * job thread hands the job over a pipe (the timeline in binary form: the
 * same binary on both sides), reads progress lines back, and waits for it.
 * It stays in the server's session (no setsid), so it shares the server's
 * scheduling group instead of getting a fair share of its own.
 *
 * Wire (parent -> child stdin): au_export_job_head, then head.n timeline
 * entries. Child -> parent stdout: "p FRAMES\n" as it goes, "e MESSAGE\n"
 * on failure; exit status 0 when the file is complete. */
#ifndef AU_SERVER_EXPORT_JOB_H
#define AU_SERVER_EXPORT_JOB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/timeline.h"
#include "server/export.h"

/* Renders rq (frames [rq->from, rq->to) of the performance t) into fd in
 * rq->format. progress(arg, frames rendered from 0) about every second of
 * audio; stops with "cancelled" when *cancel becomes non-zero. 0, or -1
 * with a one-line reason in err. Any thread or process. */
int au_export_render(const au_export_request *rq, const au_timeline *t, int fd,
                     void (*progress)(void *, int64_t), void *arg,
                     const _Atomic int *cancel, char *err, size_t errlen);

/* Parent: runs the job in a child process writing path (the file is
 * complete when this returns 0). *done follows its progress; a non-zero
 * *cancel kills it. With yield, the child is stopped while live streams
 * are short of CPU (au_metrics_render_tight grows), for a second at a
 * time, and *paused_ns adds up how long. Blocks until the child has
 * exited. 0, or -1 with a reason in err. */
int au_export_spawn(const au_export_request *rq, const au_timeline *t,
                    const char *path, bool yield, _Atomic int64_t *done,
                    _Atomic int64_t *paused_ns, const _Atomic int *cancel,
                    char *err, size_t errlen);

/* Children started and still running (all jobs), for tests and metrics. */
int au_export_children(void);

/* `auralis export-job [--soundfont PATH|--no-soundfont] OUTPUT`: the child
 * side (not for people: the server starts it). Exit status 0 or 1. */
int au_export_job_main(int argc, char **argv);

#endif
