/* Keeping performances after their stream ends, and bringing them back.
 *
 * - Recording: au_stream_record copies the changes of newly published
 *   chunks into the stream's timeline (service thread, every pump).
 * - Records: when a stream ends, its timeline is kept as a record under its
 *   resume id for keep_ns (600 s by default, `--resume-keep`), so that a
 *   reconnect (`?resume=ID&position=P`) or an export can still use it. At
 *   most `max` records; the oldest goes first.
 * - Preparing: a resumed stream's engine is fast-forwarded to its first
 *   frame on a preparer thread (never on a render worker: that would make
 *   the worker's live streams late), then handed to the workers.
 * All au_records_* and au_preparer_submit calls come from the service
 * thread. */
#ifndef AU_SERVER_RESUME_H
#define AU_SERVER_RESUME_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/timeline.h"
#include "server/query.h"
#include "server/stream.h"
#include "server/worker.h"

/* service: append the changes of chunks [s->recorded, head) to s->timeline */
void au_stream_record(au_stream *s);

/* 32 random hex digits */
void au_resume_new_id(char out[33]);

typedef struct {
    char rid[33];
    au_timeline timeline;
    int rate;
    int64_t end;     /* frames the stream had rendered when it ended */
    int64_t left_ns; /* when it ended */
    bool used;
} au_record;

typedef struct {
    au_record *v;
    int max;
    int64_t keep_ns;
} au_records;

int au_records_init(au_records *r, int max, int64_t keep_ns);
void au_records_deinit(au_records *r);
/* Keeps a copy of s's timeline as a record (sized to its entries; s's
 * own reserved array is freed with s). */
void au_records_keep(au_records *r, au_stream *s, int64_t now_ns);
au_record *au_records_find(au_records *r, const char *rid);
void au_records_expire(au_records *r, int64_t now_ns);
int au_records_count(const au_records *r);

typedef struct au_preparer au_preparer;

/* wake(arg) is called (from the preparer thread) when a stream is ready. */
int au_preparer_start(au_preparer **out, void (*wake)(void *), void *arg);
/* Queues s for preparation with t (moved in: t is left empty). Sets
 * s->prep to AU_PREP_RUNNING. 0, or AU_EFULL when 16 are queued. */
int au_preparer_submit(au_preparer *p, au_stream *s, au_timeline *t);
/* Stops the thread; streams still queued are marked AU_PREP_FAILED. */
void au_preparer_stop(au_preparer *p);

/* Does this request resume a performance (resume id, position or
 * timeline given)? */
bool au_resume_wanted(const au_stream_request *req);

/* Service: sets up the new stream s (not yet given to a worker) to resume
 * the performance req names: from the kept record of req->resume if there
 * is one, else from req's own parameters, seed and timeline; at
 * req->position (rounded down to a chunk; the record's end when absent) and
 * queues its preparation. 0, or AU_E... */
int au_resume_begin(au_records *r, au_preparer *p, au_stream *s,
                    const au_stream_request *req);
/* The same from a known performance (a live or parked stream's timeline
 * and the frames it rendered) instead of a record. */
int au_resume_begin_from(au_preparer *p, au_stream *s,
                         const au_stream_request *req, const au_timeline *known,
                         int64_t known_end);

/* Service: re-attach a parked stream (state AU_STREAM_PARKED) at frame
 * position (chunk-rounded; its newest chunk when !has_position) if that
 * chunk is still in its ring: clock restarted so that chunk is due now,
 * handed back to the workers. 0 and *cursor set, or -1 (then resume by
 * replay instead). */
int au_resume_attach(au_workers *w, au_stream *s, bool has_position,
                     int64_t position, int64_t now_ns, int64_t *cursor);

/* Service, on every pump for a stream not yet with a worker: once prepared,
 * start its clock (its first chunk due now) and hand it to the workers. */
void au_resume_poll(au_workers *w, au_stream *s, int64_t now_ns);

#endif
