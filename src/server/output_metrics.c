#include "server/output_metrics.h"

#define LD(x) atomic_load_explicit(&(x), memory_order_relaxed)
#define U(x) (unsigned long long)LD(x)

void au_output_metrics_json(const au_output_metrics *mc, au_text *o)
{
    au_output_metrics *m = (au_output_metrics *)mc; /* atomics are only read */
    au_textf(o,
             ",\"hls\":{\"outputs\":%lld,\"requests\":%llu,\"segments\":%llu,"
             "\"segments_served\":%llu,\"files_dropped\":%llu,"
             "\"chunks_dropped\":%llu}",
             (long long)LD(m->hls_outputs), U(m->hls_requests),
             U(m->hls_segments), U(m->hls_segments_served),
             U(m->hls_files_dropped), U(m->hls_chunks_dropped));
    au_textf(o,
             ",\"icecast\":{\"mounts\":%lld,\"connected\":%lld,"
             "\"connects\":%llu,\"failures\":%llu,\"bytes\":%llu,"
             "\"metadata_updates\":%llu,\"chunks_dropped\":%llu}",
             (long long)LD(m->icecast_mounts),
             (long long)LD(m->icecast_connected), U(m->icecast_connects),
             U(m->icecast_failures), U(m->icecast_bytes),
             U(m->icecast_metadata), U(m->icecast_chunks_dropped));
}

static void one(au_text *o, const char *name, const char *type,
                const char *help, double v)
{
    au_textf(o, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name,
             type, name, v);
}

void au_output_metrics_prometheus(const au_output_metrics *mc, au_text *o)
{
    au_output_metrics *m = (au_output_metrics *)mc;
    one(o, "auralis_hls_outputs", "gauge", "Stations with an HLS output",
        (double)LD(m->hls_outputs));
    one(o, "auralis_hls_requests_total", "counter",
        "HLS requests (playlists, init and media segments)",
        (double)LD(m->hls_requests));
    one(o, "auralis_hls_segments_total", "counter", "HLS media segments made",
        (double)LD(m->hls_segments));
    one(o, "auralis_hls_segments_served_total", "counter",
        "HLS media segments served", (double)LD(m->hls_segments_served));
    one(o, "auralis_hls_files_dropped_total", "counter",
        "HLS files lost because the service thread fell behind",
        (double)LD(m->hls_files_dropped));
    one(o, "auralis_hls_chunks_dropped_total", "counter",
        "Chunks the HLS encoder was too far behind to take",
        (double)LD(m->hls_chunks_dropped));
    one(o, "auralis_icecast_mounts", "gauge",
        "Stations being published to Icecast", (double)LD(m->icecast_mounts));
    one(o, "auralis_icecast_connected", "gauge",
        "Icecast mounts currently connected", (double)LD(m->icecast_connected));
    one(o, "auralis_icecast_connects_total", "counter",
        "Successful connections to Icecast", (double)LD(m->icecast_connects));
    one(o, "auralis_icecast_failures_total", "counter",
        "Icecast connections refused or lost (bad password, server gone)",
        (double)LD(m->icecast_failures));
    one(o, "auralis_icecast_bytes_total", "counter",
        "Ogg Opus bytes sent to Icecast", (double)LD(m->icecast_bytes));
    one(o, "auralis_icecast_metadata_updates_total", "counter",
        "Metadata updates sent to Icecast", (double)LD(m->icecast_metadata));
    one(o, "auralis_icecast_chunks_dropped_total", "counter",
        "Chunks the Icecast publisher was too far behind to take",
        (double)LD(m->icecast_chunks_dropped));
}
