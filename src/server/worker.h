/* Render workers: threads that render every stream's chunks just ahead of
 * their due time (earliest deadline first) and wake the service thread.
 * Streams are handed to a worker and back through a lock-free command ring;
 * after start-up a worker never allocates (except au_engine_create when a
 * stream starts), locks or logs.
 * au_workers_* are called from one thread only (the service thread). */
#ifndef AU_SERVER_WORKER_H
#define AU_SERVER_WORKER_H

#include <stdint.h>

#include "server/metrics.h"
#include "server/stream.h"

typedef struct au_workers au_workers;

typedef struct {
    int nworkers;            /* >= 1 */
    int max_streams;         /* per worker list capacity */
    int64_t lead_ns;         /* render a chunk this long before it is due */
    void (*wake)(void *arg); /* called after publishing chunks; thread-safe */
    void *wake_arg;
    au_metrics *metrics; /* may be NULL */
    int realtime;        /* try SCHED_RR for the render threads */
} au_workers_config;

au_workers_config au_workers_config_default(void);

/* 0 or AU_E...; *out owns the threads until au_workers_stop. */
int au_workers_start(au_workers **out, const au_workers_config *cfg);
/* Hands s to the least loaded worker, which creates its engine. 0, or
 * AU_EFULL if that worker's command ring or list is full. */
int au_workers_add(au_workers *w, au_stream *s);
/* Asks s's worker to drop it; the worker destroys the engine and sets
 * s->state to AU_STREAM_RELEASED, after which the caller frees s. */
int au_workers_remove(au_workers *w, au_stream *s);
/* Asks s's worker to stop rendering s but keep its engine: the worker
 * sets s->state to AU_STREAM_PARKED, after which the service thread owns
 * s (and may hand it back with au_workers_add). 0 or AU_EFULL. */
int au_workers_park(au_workers *w, au_stream *s);
/* Joins the threads; streams still attached are stopped (engines freed). */
void au_workers_stop(au_workers *w);

#endif
