/* Server metrics: counters, gauges and fixed-bucket histograms, formatted as
 * JSON (/api/metrics) and Prometheus text (/metrics) by hand.
 * Counters are relaxed atomics, so render workers may observe into a
 * histogram while the service thread reads (no lock, no allocation, no log
 * on the audio path); formatting is pure. Every metric, its unit and what
 * it is for: docs/operations.md, "Monitoring". */
#ifndef AU_SERVER_METRICS_H
#define AU_SERVER_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "server/output_metrics.h"

#define AU_HIST_MAX_BUCKETS 16
#define AU_TRANSPORTS_MAX 8

typedef struct {
    int nbounds;                        /* finite upper bounds */
    double bounds[AU_HIST_MAX_BUCKETS]; /* ascending, in the unit */
    _Atomic uint64_t counts[AU_HIST_MAX_BUCKETS + 1]; /* last: +Inf */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_micro; /* sum * 1e6, for Prometheus _sum */
} au_hist;

void au_hist_init(au_hist *h, const double *bounds, int nbounds);
void au_hist_observe(au_hist *h, double v); /* lock-free, any thread */
/* q in (0,1): linear interpolation inside the bucket holding the rank; the
 * +Inf bucket reports the last finite bound. 0 when empty. */
double au_hist_quantile(const au_hist *h, double q);

enum {
    AU_CTL_RESULT_OK,
    AU_CTL_RESULT_INVALID_PARAM,
    AU_CTL_RESULT_BAD_JSON,
    AU_CTL_RESULT_UNKNOWN_TYPE,
    AU_CTL_RESULT_RATE_LIMITED,
    AU_CTL_RESULT_TOO_BIG,
    AU_CTL_RESULT_BINARY,
    AU_CTL_RESULT_FORBIDDEN, /* a station's controls are not this listener's */
    AU_CTL_RESULT_COUNT
};
const char *au_ctl_result_name(int r); /* "ok", "invalid_param", ... */

typedef struct {
    /* gauges, written by the service thread */
    _Atomic int64_t listeners, personal_streams, stations, streams;
    /* counters */
    _Atomic uint64_t connections, rejected_full, rejected_bad;
    /* admission.h, conn_guard.h */
    _Atomic int64_t max_streams;
    _Atomic uint64_t streams_refused_capacity, streams_refused_address;
    _Atomic uint64_t conns_refused_address;
    _Atomic uint64_t chunks_sent, chunks_dropped, chunks_rendered;
    _Atomic uint64_t slow_closed, text_dropped, render_late;
    _Atomic uint64_t controls[AU_CTL_RESULT_COUNT];
    _Atomic uint64_t client_underruns;
    au_hist render_ms;        /* worker: time to render+convert one chunk */
    au_hist jitter_ms;        /* service: send time minus due time */
    au_hist client_buffer_ms; /* players' reported buffer depth */
    /* worker: per chunk after the start-up burst, finish time minus due
     * time, 0 when on time (the stream fell behind real time by that) */
    au_hist render_lag_ms;
    _Atomic uint64_t phrases; /* melodic phrases planned by the composers */
    au_hist client_jitter_ms; /* players' reported arrival jitter */
    au_hist client_underruns_report; /* new underruns per client_stats */
    /* listeners by transport: names registered at start-up (service
     * thread, before serving); counts are atomics any thread may move */
    int ntransports;
    const char *transport_names[AU_TRANSPORTS_MAX];
    _Atomic int64_t transport_listeners[AU_TRANSPORTS_MAX];
    /* the process monitor's leak detector (server/procmon.h) */
    _Atomic uint64_t rss_slope_bits;        /* double, bytes per hour */
    _Atomic uint64_t rss_slope_recent_bits; /* the newest half's */
    _Atomic int64_t rss_slope_samples, rss_slope_window_ms;
    au_output_metrics outputs; /* HLS and Icecast (output_metrics.h) */
} au_metrics;

void au_metrics_init(au_metrics *m); /* registers "websocket" as transport 0 */

/* Transports: au_metrics_transport(m, "http") returns the index of that
 * label value (registering it on first use; call at start-up from one
 * thread) or -1 when AU_TRANSPORTS_MAX are taken.
 * au_metrics_listeners_add moves the gauge by delta; lock-free. */
int au_metrics_transport(au_metrics *m, const char *name);
void au_metrics_listeners_add(au_metrics *m, int transport, int64_t delta);
enum { AU_TRANSPORT_WEBSOCKET = 0 };

/* Export jobs running now (gauge auralis_export_jobs_running): +1 when a
 * job starts, -1 when it ends, from any thread. Process-wide (one server
 * per process), so job code needs no metrics pointer. */
void au_metrics_export_jobs_add(int delta);
int64_t au_metrics_export_jobs(void);

/* Worker, after each chunk: render time, lateness (finish minus due; only
 * counted as render lag when paced, i.e. after the start-up burst) and
 * phrases the stream's composer planned meanwhile. Lock-free. */
void au_metrics_chunk_done(au_metrics *m, int64_t render_ns, int64_t late_ns,
                           int paced, uint64_t new_phrases);

/* Paced chunks (all streams, this process) that a worker finished less
 * than AU_RENDER_TIGHT_NS before they were due (chunks are rendered 45 ms
 * ahead): live streams short of CPU. Export processes pause while it grows
 * (export_job.c). */
#define AU_RENDER_TIGHT_NS 15000000
uint64_t au_metrics_render_tight(void);

/* Process monitor: the RSS slope over the window and over its newest
 * half, and the window they were fitted over. */
void au_metrics_publish_rss_slope(au_metrics *m, double bytes_per_hour,
                                  double recent_bytes_per_hour, int samples,
                                  double window_s);

/* Render lag across streams at report time (service thread): feed each
 * running stream's next due time; a stream is behind when its next chunk
 * is due and not rendered yet. */
typedef struct {
    double max_seconds;
    int behind, streams;
} au_render_lag;
void au_render_lag_add(au_render_lag *r, int64_t next_due_ns, int64_t now_ns);

/* Figures gathered when a report is made: the process (server/procstat.c)
 * and the streams' render lag (server.c). */
typedef struct {
    uint64_t rss_bytes;
    double cpu_seconds;
    double uptime_seconds;
    int workers;
    int max_clients;
    uint64_t heap_inuse_bytes, heap_free_bytes; /* mallinfo2; 0 if unknown */
    int64_t open_fds, max_fds;                  /* -1: unknown / unlimited */
    au_render_lag lag;
} au_proc_stats;

/* rss, cpu, heap and fds of this process; 0, or -1 if RSS is unreadable.
 * Service thread only (reads /proc, takes malloc's locks). */
int au_proc_read(au_proc_stats *p);

/* Both return the length written, or -1 if buf was too small. */
int au_metrics_json(const au_metrics *m, const au_proc_stats *p, char *buf,
                    size_t len);
int au_metrics_prometheus(const au_metrics *m, const au_proc_stats *p,
                          char *buf, size_t len);

#endif
