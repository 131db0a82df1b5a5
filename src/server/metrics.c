#include "server/metrics.h"
#include "server/textbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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
}

int au_proc_read(au_proc_stats *p)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        p->cpu_seconds =
            (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
            (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    unsigned long size = 0, resident = 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    if (n != 2) return -1;
    p->rss_bytes = (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
    return 0;
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
         (unsigned long long)LD(m->rejected_bad), (long long)LD(m->max_streams),
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
    au_textf(&o,
         "},\"rss_bytes\":%llu,\"cpu_seconds\":%.3f,\"uptime_seconds\":%.3f}",
         (unsigned long long)p->rss_bytes, p->cpu_seconds, p->uptime_seconds);
    return au_text_finish(&o);
}

static void prom_hist(au_text *o, const char *name, const char *help,
                      const au_hist *hc)
{
    au_hist *h = (au_hist *)hc;
    au_textf(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (int i = 0; i < h->nbounds; i++) {
        cum += LD(h->counts[i]);
        au_textf(o, "%s_bucket{le=\"%g\"} %llu\n", name, h->bounds[i],
             (unsigned long long)cum);
    }
    cum += LD(h->counts[h->nbounds]);
    au_textf(o, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
    au_textf(o, "%s_sum %.6f\n%s_count %llu\n", name,
         (double)LD(h->sum_micro) * 1e-6, name, (unsigned long long)cum);
}

static void prom_one(au_text *o, const char *name, const char *type,
                     const char *help, double v)
{
    au_textf(o, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type,
         name, v);
}

int au_metrics_prometheus(const au_metrics *mc, const au_proc_stats *p,
                          char *buf, size_t len)
{
    au_metrics *m = (au_metrics *)mc;
    au_text o = {buf, len, 0, 0};
    prom_one(&o, "auralis_listeners", "gauge", "WebSocket listeners connected",
             (double)LD(m->listeners));
    au_textf(&o,
         "# HELP auralis_streams Streams being rendered, by kind\n"
         "# TYPE auralis_streams gauge\n"
         "auralis_streams{kind=\"personal\"} %lld\n"
         "auralis_streams{kind=\"station\"} %lld\n",
         (long long)LD(m->personal_streams), (long long)LD(m->stations));
    prom_one(&o, "auralis_connections_total", "counter",
             "WebSocket connections accepted", (double)LD(m->connections));
    au_textf(&o,
         "# HELP auralis_connections_rejected_total Upgrades refused, by "
         "reason\n# TYPE auralis_connections_rejected_total counter\n"
         "auralis_connections_rejected_total{reason=\"full\"} %llu\n"
         "auralis_connections_rejected_total{reason=\"bad_request\"} %llu\n",
         (unsigned long long)LD(m->rejected_full),
         (unsigned long long)LD(m->rejected_bad));
    au_textf(&o,
         "# HELP auralis_streams_refused_total New streams refused, by reason\n"
         "# TYPE auralis_streams_refused_total counter\n"
         "auralis_streams_refused_total{reason=\"capacity\"} %llu\n"
         "auralis_streams_refused_total{reason=\"per_address\"} %llu\n"
         "# HELP auralis_max_streams The stream budget (--max-streams)\n"
         "# TYPE auralis_max_streams gauge\n"
         "auralis_max_streams %lld\n"
         "# HELP auralis_connections_refused_total Connections refused at "
         "accept, by reason\n"
         "# TYPE auralis_connections_refused_total counter\n"
         "auralis_connections_refused_total{reason=\"per_address\"} %llu\n",
         (unsigned long long)LD(m->streams_refused_capacity),
         (unsigned long long)LD(m->streams_refused_address),
         (long long)LD(m->max_streams),
         (unsigned long long)LD(m->conns_refused_address));
    prom_one(&o, "auralis_chunks_rendered_total", "counter",
             "Audio chunks rendered", (double)LD(m->chunks_rendered));
    prom_one(&o, "auralis_chunks_sent_total", "counter",
             "Audio chunks sent to listeners", (double)LD(m->chunks_sent));
    prom_one(&o, "auralis_chunks_dropped_total", "counter",
             "Audio chunks skipped for slow listeners",
             (double)LD(m->chunks_dropped));
    prom_one(&o, "auralis_slow_listeners_closed_total", "counter",
             "Listeners closed with 1013 after being stuck",
             (double)LD(m->slow_closed));
    au_textf(&o,
         "# HELP auralis_control_messages_total Client messages, by result\n"
         "# TYPE auralis_control_messages_total counter\n");
    for (int i = 0; i < AU_CTL_RESULT_COUNT; i++)
        au_textf(&o, "auralis_control_messages_total{result=\"%s\"} %llu\n",
             result_names[i], (unsigned long long)LD(m->controls[i]));
    prom_hist(&o, "auralis_render_ms",
              "Time to render and convert one 100 ms chunk, milliseconds",
              &m->render_ms);
    prom_hist(&o, "auralis_send_jitter_ms",
              "Chunk send time minus its due time, milliseconds",
              &m->jitter_ms);
    prom_hist(&o, "auralis_client_buffer_ms",
              "Buffer depth reported by players, milliseconds",
              &m->client_buffer_ms);
    prom_one(&o, "auralis_client_underruns_total", "counter",
             "Underruns reported by players", (double)LD(m->client_underruns));
    prom_one(&o, "auralis_resident_memory_bytes", "gauge",
             "Resident set size of the server process", (double)p->rss_bytes);
    prom_one(&o, "auralis_cpu_seconds_total", "counter",
             "User plus system CPU time of the server process", p->cpu_seconds);
    prom_one(&o, "auralis_uptime_seconds", "gauge", "Seconds since start",
             p->uptime_seconds);
    return au_text_finish(&o);
}
