/* Server metrics: counters, gauges and fixed-bucket histograms, formatted as
 * JSON (/api/metrics) and Prometheus text (/metrics) by hand.
 * Counters are relaxed atomics, so render workers may observe into a
 * histogram while the service thread reads; formatting is pure. */
#ifndef AU_SERVER_METRICS_H
#define AU_SERVER_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define AU_HIST_MAX_BUCKETS 16

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
} au_metrics;

void au_metrics_init(au_metrics *m);

/* Process figures, read when a report is made. */
typedef struct {
    uint64_t rss_bytes;
    double cpu_seconds;
    double uptime_seconds;
    int workers;
    int max_clients;
} au_proc_stats;

int au_proc_read(au_proc_stats *p); /* rss and cpu of this process; 0/-1 */

/* Both return the length written, or -1 if buf was too small. */
int au_metrics_json(const au_metrics *m, const au_proc_stats *p, char *buf,
                    size_t len);
int au_metrics_prometheus(const au_metrics *m, const au_proc_stats *p,
                          char *buf, size_t len);

#endif
