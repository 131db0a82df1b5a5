/* The streaming server: HTTP (player, JSON API, metrics) and WebSocket audio
 * streams on libwebsockets, with render workers behind lock-free rings.
 * au_server_run blocks on the calling thread (which becomes the one thread
 * that calls lws_*) until SIGINT or SIGTERM, then shuts down gracefully. */
#ifndef AU_SERVER_SERVER_H
#define AU_SERVER_SERVER_H

#include <stdbool.h>

typedef struct {
    const char *host;      /* "127.0.0.1" */
    int port;              /* 8000; 0 = any free port (printed) */
    int max_clients;       /* WebSocket listeners; more get HTTP 503 */
    int rate;              /* 48000 or 44100 */
    int workers;           /* render threads; 0 = number of cores */
    const char *web_root;  /* NULL = the embedded player */
    int prefill_ms;        /* start-up burst, 500 */
    int backlog_ms;        /* slow-listener backlog before skipping, 2000 */
    int stuck_ms;          /* no progress this long closes with 1013, 10000 */
    int station_linger_ms; /* an empty station lives on this long, 30000 */
    bool quiet;            /* no start-up lines on stdout */
    bool realtime;         /* try SCHED_RR for the render threads */
    /* exposure (src/server/http_guard.c): comma lists, NULL = none */
    const char *allow_origins; /* WebSocket origins besides the page's own */
    const char *allow_hosts;   /* Host names besides loopback ones */
    /* budgets (admission.h, conn_guard.h) */
    int max_streams;             /* 0 = measured at start-up */
    int max_streams_per_address; /* 0 = no limit */
    int max_pending_per_address; /* non-listener connections; 0 = no limit */
    int station_control; /* au_station_control: open, owner, locked */
    int opus_bitrate;      /* codec=opus and HTTP .opus, bits/s, 128000 */
    int piece;             /* AU_PIECE_*: streams whose query names none */
    /* export jobs and resuming (docs/protocol.md, "Export", "Resume") */
    int export_jobs;           /* queued + running, all clients; 0 = off (4) */
    int export_per_client;     /* per client address (2) */
    int export_threads;        /* job threads, lowest priority (1) */
    int export_max_minutes;    /* longest export window (240) */
    int export_keep_s;         /* finished files kept (900) */
    const char *export_dir;    /* NULL: a new folder under $TMPDIR */
    bool export_in_process;    /* jobs on SCHED_IDLE threads, not child
                                  processes (for comparison) */
    bool export_no_yield;      /* export processes not paused while live
                                  streams are short of CPU (comparison) */
    int resume_keep_s;         /* an ended performance is kept (600) */
    /* Icecast publishing (icecast.h): NULL = off. Stations "NAME" or
     * "NAME?QUERY"; none = every station while it exists. */
    const char *icecast_url;
    const char *const *icecast_stations;
    int icecast_nstations;
} au_server_config;

au_server_config au_server_config_default(void);

/* Returns 0 after a clean shutdown, AU_EIO if the address could not be
 * bound (message printed to stderr), AU_EINVAL or AU_ENOMEM. */
int au_server_run(const au_server_config *cfg);

#endif
