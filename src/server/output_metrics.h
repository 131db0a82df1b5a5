/* Counters of the outputs beside the WebSocket: HLS (hls.c) and Icecast
 * (icecast.c), with the taps that feed them (tap.h). Part of au_metrics;
 * relaxed atomics, any thread; formatting is pure. */
#ifndef AU_SERVER_OUTPUT_METRICS_H
#define AU_SERVER_OUTPUT_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "server/textbuf.h"

typedef struct {
    _Atomic int64_t hls_outputs; /* gauge: stations with HLS running */
    _Atomic uint64_t hls_requests, hls_segments, hls_segments_served;
    _Atomic uint64_t hls_files_dropped, hls_chunks_dropped;
    _Atomic int64_t icecast_mounts, icecast_connected; /* gauges */
    _Atomic uint64_t icecast_connects, icecast_failures, icecast_bytes;
    _Atomic uint64_t icecast_metadata, icecast_chunks_dropped;
} au_output_metrics;

/* Appends ,"hls":{..},"icecast":{..} (JSON) or the Prometheus lines. */
void au_output_metrics_json(const au_output_metrics *m, au_text *o);
void au_output_metrics_prometheus(const au_output_metrics *m, au_text *o);

#endif
