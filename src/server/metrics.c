#include "server/metrics.h"
#include "server/textbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)

void au_hist_init(au_hist *h, const double *bounds, int nbounds)
{
    if (nbounds > AU_HIST_MAX_BUCKETS) nbounds = AU_HIST_MAX_BUCKETS;
    h->nbounds = nbounds;
    for (int i = 0; i < nbounds; i++)
        h->bounds[i] = bounds[i];
    for (int i = 0; i <= AU_HIST_MAX_BUCKETS; i++)
        atomic_init(&h->counts[i], 0);
    atomic_init(&h->count, 0);
    atomic_init(&h->sum_micro, 0);
}

void au_hist_observe(au_hist *h, double v)
{
    if (!(v >= 0)) v = 0; /* NaN and negatives (clock quirks) count as 0 */
    int i = 0;
    while (i < h->nbounds && v > h->bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->counts[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
    double micro = v * 1e6;
    if (micro > 1e15) micro = 1e15;
    atomic_fetch_add_explicit(&h->sum_micro, (uint64_t)micro,
                              memory_order_relaxed);
}

double au_hist_quantile(const au_hist *h, double q)
{
    uint64_t counts[AU_HIST_MAX_BUCKETS + 1], total = 0;
    for (int i = 0; i <= h->nbounds; i++) {
        counts[i] = LD(((au_hist *)h)->counts[i]);
        total += counts[i];
    }
    if (total == 0) return 0.0;
    double rank = q * (double)total;
    uint64_t below = 0;
    for (int i = 0; i <= h->nbounds; i++) {
        if (counts[i] && (double)(below + counts[i]) >= rank) {
            if (i == h->nbounds)
                return h->nbounds ? h->bounds[h->nbounds - 1] : 0;
            double lo = i ? h->bounds[i - 1] : 0.0, hi = h->bounds[i];
            double f = (rank - (double)below) / (double)counts[i];
            if (f < 0) f = 0;
            return lo + (hi - lo) * f;
        }
        below += counts[i];
    }
    return h->nbounds ? h->bounds[h->nbounds - 1] : 0;
}

static const char *const result_names[AU_CTL_RESULT_COUNT] = {
    "ok",           "invalid_param", "bad_json", "unknown_type",
    "rate_limited", "too_big",       "binary",   "forbidden"};

const char *au_ctl_result_name(int r)
{
    return r >= 0 && r < AU_CTL_RESULT_COUNT ? result_names[r] : "?";
}

void au_metrics_init(au_metrics *m)
{
    memset(m, 0, sizeof *m);
    static const double render_b[] = {0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100};
    static const double jitter_b[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
    static const double buffer_b[] = {50,  100,  200,  300, 500,
                                      750, 1000, 2000, 5000};
    au_hist_init(&m->render_ms, render_b,
                 (int)(sizeof render_b / sizeof *render_b));
    au_hist_init(&m->jitter_ms, jitter_b,
                 (int)(sizeof jitter_b / sizeof *jitter_b));
    au_hist_init(&m->client_buffer_ms, buffer_b,
                 (int)(sizeof buffer_b / sizeof *buffer_b));
    static const double lag_b[] = {0,   1,   5,   10,   25,  50,
                                   100, 250, 500, 1000, 2500};
    au_hist_init(&m->render_lag_ms, lag_b, (int)(sizeof lag_b / sizeof *lag_b));
    au_hist_init(&m->client_jitter_ms, jitter_b,
                 (int)(sizeof jitter_b / sizeof *jitter_b));
    static const double under_b[] = {0, 1, 2, 5, 10, 20, 50, 100};
    au_hist_init(&m->client_underruns_report, under_b,
                 (int)(sizeof under_b / sizeof *under_b));
    au_metrics_transport(m, "websocket");
}

int au_metrics_transport(au_metrics *m, const char *name)
{
    for (int i = 0; i < m->ntransports; i++)
        if (!strcmp(m->transport_names[i], name)) return i;
    if (m->ntransports >= AU_TRANSPORTS_MAX) return -1;
    m->transport_names[m->ntransports] = name;
    atomic_init(&m->transport_listeners[m->ntransports], 0);
    return m->ntransports++;
}

void au_metrics_listeners_add(au_metrics *m, int transport, int64_t delta)
{
    if (transport < 0 || transport >= m->ntransports) return;
    atomic_fetch_add_explicit(&m->transport_listeners[transport], delta,
                              memory_order_relaxed);
}

static _Atomic int64_t g_export_jobs;

void au_metrics_export_jobs_add(int delta)
{
    atomic_fetch_add_explicit(&g_export_jobs, delta, memory_order_relaxed);
}

int64_t au_metrics_export_jobs(void)
{
    return atomic_load_explicit(&g_export_jobs, memory_order_relaxed);
}

/* chunks finished with less than AU_RENDER_TIGHT_NS to spare (process-wide,
 * like g_export_jobs): export processes step aside when it grows */
static _Atomic uint64_t g_render_tight;

uint64_t au_metrics_render_tight(void)
{
    return atomic_load_explicit(&g_render_tight, memory_order_relaxed);
}

void au_metrics_chunk_done(au_metrics *m, int64_t render_ns, int64_t late_ns,
                           int paced, uint64_t new_phrases)
{
    if (paced && late_ns > -AU_RENDER_TIGHT_NS)
        atomic_fetch_add_explicit(&g_render_tight, 1, memory_order_relaxed);
    au_hist_observe(&m->render_ms, (double)render_ns * 1e-6);
    atomic_fetch_add_explicit(&m->chunks_rendered, 1, memory_order_relaxed);
    if (late_ns > 0)
        atomic_fetch_add_explicit(&m->render_late, 1, memory_order_relaxed);
    if (paced)
        au_hist_observe(&m->render_lag_ms,
                        late_ns > 0 ? (double)late_ns * 1e-6 : 0.0);
    if (new_phrases)
        atomic_fetch_add_explicit(&m->phrases, new_phrases,
                                  memory_order_relaxed);
}

void au_metrics_publish_rss_slope(au_metrics *m, double bytes_per_hour,
                                  double recent_bytes_per_hour, int samples,
                                  double window_s)
{
    uint64_t bits;
    memcpy(&bits, &bytes_per_hour, sizeof bits);
    atomic_store_explicit(&m->rss_slope_bits, bits, memory_order_relaxed);
    memcpy(&bits, &recent_bytes_per_hour, sizeof bits);
    atomic_store_explicit(&m->rss_slope_recent_bits, bits,
                          memory_order_relaxed);
    atomic_store_explicit(&m->rss_slope_samples, samples, memory_order_relaxed);
    atomic_store_explicit(&m->rss_slope_window_ms, (int64_t)(window_s * 1e3),
                          memory_order_relaxed);
}

static double rss_slope(const au_metrics *mc, bool recent)
{
    au_metrics *m = (au_metrics *)mc;
    uint64_t bits =
        recent ? LD(m->rss_slope_recent_bits) : LD(m->rss_slope_bits);
    double v;
    memcpy(&v, &bits, sizeof v);
    return isfinite(v) ? v : 0.0;
}

void au_render_lag_add(au_render_lag *r, int64_t next_due_ns, int64_t now_ns)
{
    r->streams++;
    if (now_ns <= next_due_ns) return;
    double lag = (double)(now_ns - next_due_ns) * 1e-9;
    r->behind++;
    if (lag > r->max_seconds) r->max_seconds = lag;
}

int au_metrics_json(const au_metrics *mc, const au_proc_stats *p, char *buf,
                    size_t len)
{
    au_metrics *m = (au_metrics *)mc; /* atomics are read, never written */
    au_text o = {buf, len, 0, 0};
    au_textf(&o,
             "{\"listeners\":%lld,\"streams\":%lld,\"personal_streams\":%lld,"
             "\"stations\":%lld,\"max_clients\":%d,\"workers\":%d,"
             "\"connections_total\":%llu,\"rejected_full\":%llu,"
             "\"rejected_bad_request\":%llu,\"max_streams\":%lld,"
             "\"streams_refused\":{\"capacity\":%llu,\"per_address\":%llu},"
             "\"connections_refused_per_address\":%llu,",
             (long long)LD(m->listeners), (long long)LD(m->streams),
             (long long)LD(m->personal_streams), (long long)LD(m->stations),
             p->max_clients, p->workers, (unsigned long long)LD(m->connections),
             (unsigned long long)LD(m->rejected_full),
             (unsigned long long)LD(m->rejected_bad),
             (long long)LD(m->max_streams),
             (unsigned long long)LD(m->streams_refused_capacity),
             (unsigned long long)LD(m->streams_refused_address),
             (unsigned long long)LD(m->conns_refused_address));
    au_textf(
        &o,
        "\"chunks_rendered\":%llu,\"chunks_sent\":%llu,\"chunks_dropped\":%llu,"
        "\"render_late\":%llu,\"slow_listeners_closed\":%llu,"
        "\"text_dropped\":%llu,",
        (unsigned long long)LD(m->chunks_rendered),
        (unsigned long long)LD(m->chunks_sent),
        (unsigned long long)LD(m->chunks_dropped),
        (unsigned long long)LD(m->render_late),
        (unsigned long long)LD(m->slow_closed),
        (unsigned long long)LD(m->text_dropped));
    au_textf(&o,
             "\"render_ms\":{\"p50\":%.4g,\"p99\":%.4g,\"count\":%llu},"
             "\"send_jitter_ms\":{\"p50\":%.4g,\"p99\":%.4g,\"count\":%llu},"
             "\"client_buffer_ms\":{\"p50\":%.4g,\"count\":%llu},"
             "\"client_underruns\":%llu,\"controls\":{",
             au_hist_quantile(&m->render_ms, 0.5),
             au_hist_quantile(&m->render_ms, 0.99),
             (unsigned long long)LD(m->render_ms.count),
             au_hist_quantile(&m->jitter_ms, 0.5),
             au_hist_quantile(&m->jitter_ms, 0.99),
             (unsigned long long)LD(m->jitter_ms.count),
             au_hist_quantile(&m->client_buffer_ms, 0.5),
             (unsigned long long)LD(m->client_buffer_ms.count),
             (unsigned long long)LD(m->client_underruns));
    for (int i = 0; i < AU_CTL_RESULT_COUNT; i++)
        au_textf(&o, "%s\"%s\":%llu", i ? "," : "", result_names[i],
                 (unsigned long long)LD(m->controls[i]));
    au_textf(
        &o,
        "},\"rss_bytes\":%llu,\"cpu_seconds\":%.3f,\"uptime_seconds\":%.3f,",
        (unsigned long long)p->rss_bytes, p->cpu_seconds, p->uptime_seconds);
    au_textf(
        &o,
        "\"heap_inuse_bytes\":%llu,\"heap_free_bytes\":%llu,"
        "\"open_fds\":%lld,\"max_fds\":%lld,"
        "\"rss_slope_bytes_per_hour\":%.6g,"
        "\"rss_slope_recent_bytes_per_hour\":%.6g,\"rss_slope_samples\":%lld,"
        "\"rss_slope_window_seconds\":%.3f,",
        (unsigned long long)p->heap_inuse_bytes,
        (unsigned long long)p->heap_free_bytes, (long long)p->open_fds,
        (long long)p->max_fds, rss_slope(m, false), rss_slope(m, true),
        (long long)LD(m->rss_slope_samples),
        (double)LD(m->rss_slope_window_ms) * 1e-3);
    au_textf(&o,
             "\"phrases_composed\":%llu,\"export_jobs_running\":%lld,"
             "\"render_lag\":{\"max_seconds\":%.4f,\"streams_behind\":%d,"
             "\"p99_ms\":%.4g,\"count\":%llu},"
             "\"client_jitter_ms\":{\"p50\":%.4g,\"p99\":%.4g,"
             "\"count\":%llu},\"listeners_by_transport\":{",
             (unsigned long long)LD(m->phrases),
             (long long)au_metrics_export_jobs(), p->lag.max_seconds,
             p->lag.behind, au_hist_quantile(&m->render_lag_ms, 0.99),
             (unsigned long long)LD(m->render_lag_ms.count),
             au_hist_quantile(&m->client_jitter_ms, 0.5),
             au_hist_quantile(&m->client_jitter_ms, 0.99),
             (unsigned long long)LD(m->client_jitter_ms.count));
    for (int i = 0; i < m->ntransports; i++)
        au_textf(&o, "%s\"%s\":%lld", i ? "," : "", m->transport_names[i],
                 (long long)LD(m->transport_listeners[i]));
    au_textf(&o, "}");
    au_output_metrics_json(&m->outputs, &o);
    au_textf(&o, "}");
    return au_text_finish(&o);
}

/* scale turns the histogram's unit into the exported one (1e-3: ms -> s);
 * the same counts can be exported under two names. */
static void prom_hist(au_text *o, const char *name, const char *help,
                      const au_hist *hc, double scale)
{
    au_hist *h = (au_hist *)hc;
    au_textf(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (int i = 0; i < h->nbounds; i++) {
        cum += LD(h->counts[i]);
        au_textf(o, "%s_bucket{le=\"%g\"} %llu\n", name, h->bounds[i] * scale,
                 (unsigned long long)cum);
    }
    cum += LD(h->counts[h->nbounds]);
    au_textf(o, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
    au_textf(o, "%s_sum %.9g\n%s_count %llu\n", name,
             (double)LD(h->sum_micro) * 1e-6 * scale, name,
             (unsigned long long)cum);
}

static void prom_one(au_text *o, const char *name, const char *type,
                     const char *help, double v)
{
    au_textf(o, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name,
             type, name, v);
}

#define GAUGE(name, help, v) prom_one(&o, name, "gauge", help, (double)(v))
#define COUNTER(name, help, v) prom_one(&o, name, "counter", help, (double)(v))

int au_metrics_prometheus(const au_metrics *mc, const au_proc_stats *p,
                          char *buf, size_t len)
{
    au_metrics *m = (au_metrics *)mc;
    au_text o = {buf, len, 0, 0};
    /* listeners and streams */
    GAUGE("auralis_listeners", "WebSocket listeners connected",
          LD(m->listeners));
    au_textf(&o, "# HELP auralis_transport_listeners Listeners connected, by "
                 "transport\n# TYPE auralis_transport_listeners gauge\n");
    for (int i = 0; i < m->ntransports; i++)
        au_textf(&o, "auralis_transport_listeners{transport=\"%s\"} %lld\n",
                 m->transport_names[i],
                 (long long)LD(m->transport_listeners[i]));
    GAUGE("auralis_max_clients", "Listener limit (--max-clients)",
          p->max_clients);
    au_textf(&o,
             "# HELP auralis_streams Streams being rendered, by kind\n"
             "# TYPE auralis_streams gauge\n"
             "auralis_streams{kind=\"personal\"} %lld\n"
             "auralis_streams{kind=\"station\"} %lld\n",
             (long long)LD(m->personal_streams), (long long)LD(m->stations));
    COUNTER("auralis_connections_total", "WebSocket connections accepted",
            LD(m->connections));
    au_textf(&o,
             "# HELP auralis_connections_rejected_total Upgrades refused, by "
             "reason\n# TYPE auralis_connections_rejected_total counter\n"
             "auralis_connections_rejected_total{reason=\"full\"} %llu\n"
             "auralis_connections_rejected_total{reason=\"bad_request\"} "
             "%llu\n",
             (unsigned long long)LD(m->rejected_full),
             (unsigned long long)LD(m->rejected_bad));
    /* admission (admission.h, conn_guard.h) */
    au_textf(&o,
             "# HELP auralis_streams_refused_total New streams refused, by "
             "reason\n# TYPE auralis_streams_refused_total counter\n"
             "auralis_streams_refused_total{reason=\"capacity\"} %llu\n"
             "auralis_streams_refused_total{reason=\"per_address\"} %llu\n",
             (unsigned long long)LD(m->streams_refused_capacity),
             (unsigned long long)LD(m->streams_refused_address));
    GAUGE("auralis_max_streams", "The stream budget (--max-streams)",
          LD(m->max_streams));
    au_textf(&o,
             "# HELP auralis_connections_refused_total Connections refused "
             "at accept, by reason\n"
             "# TYPE auralis_connections_refused_total counter\n"
             "auralis_connections_refused_total{reason=\"per_address\"} "
             "%llu\n",
             (unsigned long long)LD(m->conns_refused_address));
    /* synthesis */
    GAUGE("auralis_render_workers", "Render threads", p->workers);
    COUNTER("auralis_chunks_rendered_total", "Audio chunks rendered",
            LD(m->chunks_rendered));
    COUNTER("auralis_phrases_composed_total",
            "Melodic phrases planned by the composers", LD(m->phrases));
    COUNTER("auralis_render_late_total",
            "Chunks finished after they were due (start-up burst included)",
            LD(m->render_late));
    prom_hist(&o, "auralis_render_seconds",
              "Time to render and convert one 100 ms chunk", &m->render_ms,
              1e-3);
    prom_hist(&o, "auralis_render_ms",
              "Time to render and convert one 100 ms chunk, milliseconds "
              "(deprecated: auralis_render_seconds)",
              &m->render_ms, 1);
    prom_hist(&o, "auralis_render_lag_seconds",
              "Per chunk after the start-up burst: finish time minus due "
              "time, 0 when on time",
              &m->render_lag_ms, 1e-3);
    GAUGE("auralis_render_lag_max_seconds",
          "Largest lag of any stream now: its next chunk is due and not "
          "rendered",
          p->lag.max_seconds);
    GAUGE("auralis_streams_behind",
          "Streams whose next chunk is due and not rendered", p->lag.behind);
    /* delivery */
    COUNTER("auralis_chunks_sent_total", "Audio chunks sent to listeners",
            LD(m->chunks_sent));
    COUNTER("auralis_chunks_dropped_total",
            "Audio chunks skipped for slow listeners", LD(m->chunks_dropped));
    COUNTER("auralis_text_dropped_total",
            "Text messages dropped because a listener's queue was full",
            LD(m->text_dropped));
    COUNTER("auralis_slow_listeners_closed_total",
            "Listeners closed with 1013 after being stuck", LD(m->slow_closed));
    prom_hist(&o, "auralis_send_jitter_seconds",
              "Chunk send time minus its due time", &m->jitter_ms, 1e-3);
    prom_hist(&o, "auralis_send_jitter_ms",
              "Chunk send time minus its due time, milliseconds "
              "(deprecated: auralis_send_jitter_seconds)",
              &m->jitter_ms, 1);
    au_textf(&o, "# HELP auralis_control_messages_total Client messages, by "
                 "result\n# TYPE auralis_control_messages_total counter\n");
    for (int i = 0; i < AU_CTL_RESULT_COUNT; i++)
        au_textf(&o, "auralis_control_messages_total{result=\"%s\"} %llu\n",
                 result_names[i], (unsigned long long)LD(m->controls[i]));
    /* what players report */
    prom_hist(&o, "auralis_client_buffer_seconds",
              "Buffer depth reported by players", &m->client_buffer_ms, 1e-3);
    prom_hist(&o, "auralis_client_buffer_ms",
              "Buffer depth reported by players, milliseconds (deprecated: "
              "auralis_client_buffer_seconds)",
              &m->client_buffer_ms, 1);
    prom_hist(&o, "auralis_client_jitter_seconds",
              "Chunk arrival jitter reported by each player",
              &m->client_jitter_ms, 1e-3);
    prom_hist(&o, "auralis_client_underruns_per_report",
              "New underruns a player reported since its previous report",
              &m->client_underruns_report, 1);
    COUNTER("auralis_client_underruns_total", "Underruns reported by players",
            LD(m->client_underruns));
    GAUGE("auralis_export_jobs_running", "Export jobs rendering now",
          au_metrics_export_jobs());
    /* the process */
    GAUGE("auralis_resident_memory_bytes",
          "Resident set size of the server process", p->rss_bytes);
    GAUGE("auralis_heap_inuse_bytes",
          "Heap handed out by malloc (arenas plus mmapped blocks)",
          p->heap_inuse_bytes);
    GAUGE("auralis_heap_free_bytes",
          "Heap malloc holds but nobody uses (fragmentation, reuse)",
          p->heap_free_bytes);
    GAUGE("auralis_open_fds", "Open file descriptors", p->open_fds);
    GAUGE("auralis_max_fds", "File descriptor limit (-1: unlimited)",
          p->max_fds);
    GAUGE("auralis_rss_slope_bytes_per_hour",
          "Least-squares slope of resident memory over the sampled window",
          rss_slope(m, false));
    GAUGE("auralis_rss_slope_recent_bytes_per_hour",
          "The same over the newest half of the window", rss_slope(m, true));
    GAUGE("auralis_rss_slope_samples",
          "RSS samples in the slope's window (one every 5 s, up to 24 h)",
          LD(m->rss_slope_samples));
    GAUGE("auralis_rss_slope_window_seconds",
          "Time between the oldest and newest sample of the slope",
          (double)LD(m->rss_slope_window_ms) * 1e-3);
    COUNTER("auralis_cpu_seconds_total",
            "User plus system CPU time of the server process", p->cpu_seconds);
    GAUGE("auralis_uptime_seconds", "Seconds since start", p->uptime_seconds);
    au_output_metrics_prometheus(&m->outputs, &o);
    return au_text_finish(&o);
}
