/* The libwebsockets side of the server: one service thread owns every lws_*
 * call. Render workers publish chunks into each stream's ring and wake this
 * thread with lws_cancel_service; a timer wakes it when the next chunk is
 * due. Listeners come from a pool sized by --max-clients at start-up; the
 * per-chunk path (pump, writeable) does not allocate, lock or log. */
#include "compose/piece.h"
#include "server/pieces_api.h"
#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "core/au.h"
#include "core/pieces.h"
#include "server/admission.h"
#include "server/client_stats.h"
#include "server/conn_guard.h"
#include "server/control.h"
#include "server/hls.h"
#include "server/icecast.h"
#include "server/http_guard.h"
#include "server/export.h"
#include "server/http_stream.h"
#include "server/metrics.h"
#include "server/procmon.h"
#include "server/stations_api.h"
#include "server/query.h"
#include "server/rx_hook.h"
#include "server/station_ctl.h"
#include "server/resume.h"
#include "server/stream.h"
#include "server/tap.h"
#include "server/web_assets.h"
#include "server/webpath.h"
#include "server/wire.h"
#include "server/worker.h"

_Static_assert(AU_WIRE_PRE >= LWS_PRE, "AU_WIRE_PRE must cover LWS_PRE");

#define MAX_TEXT 4096 /* client text messages above this close with 1009 */
#define TQ                                                                     \
    32 /* queued personal text messages per listener: a full                   \
        * burst of 20 pongs plus errors fits */
#define TQ_MAX 1024 /* a hello with volumes and its resume id fits */
/* Personal streams whose listener left are parked (engine kept, no CPU) so
 * a reconnect resumes at once: at most this many (~2.5 MB each) */
#define AU_MAX_PARKED 64
#define RATE_PER_S 20.0 /* client messages per second */
#define HTTP_PIECE 16384
#define AU_TX_PACKET (256 * 1024) /* largest single send (see protocols) */

typedef struct au_listener au_listener;
struct au_listener {
    struct lws *wsi;
    au_stream *stream;
    au_listener *prev, *next; /* in the stream's list, or the free list */
    int64_t cursor;           /* next chunk to send */
    int64_t offset_ns; /* this listener's send phase after the stream's */
    int group;
    int64_t joined_ns, last_progress_ns, last_rl_error_ns;
    bool in_use, want_write, closing, skipped;
    int codec; /* AU_CODEC_PCM16 or AU_CODEC_OPUS: which wire it is sent */
    int close_code;
    const char *close_reason;
    au_ratelimit rl;
    au_client_stats_state cstats;
    size_t rxlen;
    int tq_head, tq_count;
    uint16_t tq_len[TQ];
    /* buffers last: listener_open clears everything before tq */
    unsigned char tq[TQ][AU_WIRE_PRE + TQ_MAX];
    unsigned char rx[MAX_TEXT];
};

typedef struct {
    au_listener *l;
    au_hlistener *hl; /* an HTTP stream listener (http_stream.c) */
    /* HTTP response being written */
    const unsigned char *body;
    size_t len, off;
    unsigned char *owned;
    bool hls_wait; /* an HLS playlist request waiting for its first segment */
    bool cors;     /* response readable by players on other origins */
} pss_t;

typedef struct {
    au_server_config cfg;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    au_metrics metrics;
    au_procmon *procmon; /* RSS sampling and leak slope (own thread) */
    au_workers *workers;
    au_http_streams *http;
    int64_t http_next; /* when an HTTP listener next has a chunk due */
    int nworkers;
    au_listener *pool, *free_list;
    int nlisteners;
    au_stream *streams;
    uint64_t next_id;
    lws_sorted_usec_list_t sul;
    int64_t start_ns;
    int64_t last_housekeeping_ns;
    bool shutting_down, done, destroying;
    int64_t shutdown_deadline;
    int prefill, backlog;
    int64_t stuck_ns, linger_ns;
    char web_root[PATH_MAX];
    uint64_t *etags; /* one per embedded asset */
    au_hls *hls;     /* /hls/ outputs (hls.c) */
    au_icecast *icecast; /* --icecast publishing (icecast.c), or NULL */
    au_guard_config guard;
    au_admission adm;
    au_conn_guard cg;
    au_exports *exports; /* NULL when --export-jobs 0 */
    int64_t park_ns;     /* a parked stream is kept this long */
    int nparked;
    au_records records;  /* ended performances kept for resume and export */
    au_preparer *preparer;
} au_server;

static _Atomic int g_stop;
static struct lws_context *_Atomic g_ctx;

/* ---------------------------------------------------------------- texts */

static void queue_text(au_server *srv, au_listener *l, const char *text, int n)
{
    if (n <= 0 || n > TQ_MAX || l->tq_count >= TQ) {
        atomic_fetch_add_explicit(&srv->metrics.text_dropped, 1,
                                  memory_order_relaxed);
        return;
    }
    int i = (l->tq_head + l->tq_count) % TQ;
    memcpy(l->tq[i] + AU_WIRE_PRE, text, (size_t)n);
    l->tq_len[i] = (uint16_t)n;
    l->tq_count++;
}

static void queue_error(au_server *srv, au_listener *l, const char *code,
                        const char *message)
{
    char buf[TQ_MAX];
    queue_text(srv, l, buf, au_wire_error_json(code, message, buf, sizeof buf));
}

static void request_write(au_listener *l)
{
    if (!l->want_write) {
        l->want_write = true;
        lws_callback_on_writable(l->wsi);
    }
}

static void start_close(au_listener *l, int code, const char *reason)
{
    if (l->closing) return;
    l->closing = true;
    l->close_code = code;
    l->close_reason = reason;
    request_write(l);
    /* a listener whose socket never drains would never reach writeable */
    lws_set_timeout(l->wsi, PENDING_TIMEOUT_USER_OK, 5);
}

/* -------------------------------------------------------------- streams */

static void stream_attach(au_stream *s, au_listener *l, int group)
{
    au_listener *head = s->groups[group];
    l->group = group;
    l->offset_ns = (int64_t)group * (s->pacer.chunk_ns / AU_PHASES);
    l->prev = NULL;
    l->next = head;
    if (head) head->prev = l;
    s->groups[group] = l;
    s->nlisteners++;
    l->stream = s;
}

static void stream_detach(au_stream *s, au_listener *l)
{
    if (l->prev)
        l->prev->next = l->next;
    else
        s->groups[l->group] = l->next;
    if (l->next) l->next->prev = l->prev;
    s->nlisteners--;
    l->stream = NULL;
    l->prev = l->next = NULL;
}

/* Chunks listener l may have by now: the stream's live edge seen through
 * the listener's phase, and never past what the worker has published. */
static int64_t listener_edge(const au_listener *l, int64_t now)
{
    const au_stream *s = l->stream;
    int64_t head =
        atomic_load_explicit(&((au_stream *)s)->head, memory_order_acquire);
    int64_t live = au_pacer_live(&s->pacer, now - l->offset_ns);
    return head < live ? head : live;
}

static uint64_t random_seed(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
        v = (uint64_t)au_mono_ns() * 0x9E3779B97F4A7C15ULL;
    /* below 2^53 so the seed survives a round trip through JavaScript */
    return v & ((1ull << 53) - 1);
}

static au_stream *find_station(au_server *srv, const char *name)
{
    for (au_stream *s = srv->streams; s; s = s->next)
        if (s->station && !s->removing && !strcmp(s->name, name)) return s;
    return NULL;
}

static au_stream *find_by_rid(au_server *srv, const char *rid);

static au_stream *find_station_cb(void *arg, const char *name)
{
    return find_station(arg, name);
}

static au_stream *new_stream(au_server *srv, const au_stream_request *req,
                             int64_t now)
{
    /* a piece's own key, mode, tempo and intensity, then the query's */
    au_params p = au_piece_params((req->update.mask & AU_P_PIECE)
                                      ? req->update.v.piece
                                      : srv->cfg.piece);
    au_params_apply(&p, &req->update);
    p.seed = req->seed_given ? req->seed : random_seed();
    /* Start on a global 10 ms grid: every stream's (and every phase
     * group's) due times then coincide on at most 100 instants a second,
     * so one service wake-up - a poll over every socket - serves all the
     * streams due at that instant. Costs the first frame at most 10 ms. */
    const int64_t grid = 100000000 / AU_PHASES;
    int64_t t0 = (now + grid - 1) / grid * grid;
    au_stream *s =
        au_stream_create(++srv->next_id, &p, srv->cfg.rate, srv->prefill, t0);
    if (!s) return NULL;
    if (req->station[0]) {
        s->station = true;
        snprintf(s->name, sizeof s->name, "%s", req->station);
    }
    /* Opus for whoever asked, and always for 48 kHz stations: their Opus
     * and HTTP listeners may join at any time, and the packets must be those
     * of the stream from its start (deterministic, like the pcm16) */
    if (srv->cfg.rate == AU_OPUS_RATE &&
        (req->codec == AU_CODEC_OPUS || s->station) &&
        au_stream_enable_opus(s, srv->cfg.opus_bitrate, s->station,
                              s->station ? s->name : "Auralis")) {
        au_stream_free(s);
        return NULL;
    }
    au_resume_new_id(s->rid);
    if (!req->station[0] && au_resume_wanted(req)) {
        /* a resumed performance: prepared off the workers (resume.c) */
        /* a performance still here (live, or parked but past its ring)
         * is replayed from its own timeline, else from a kept record or
         * the request's seed and timeline */
        au_stream *known = req->resume[0] ? find_by_rid(srv, req->resume) : NULL;
        if (known) au_stream_record(known);
        if ((known ? au_resume_begin_from(srv->preparer, s, req,
                                          &known->timeline,
                                          known->recorded * known->frames)
                   : au_resume_begin(&srv->records, srv->preparer, s, req)) !=
            0) {
            au_stream_free(s);
            return NULL;
        }
    } else if (au_workers_add(srv->workers, s) != 0) {
        au_stream_free(s);
        return NULL;
    } else {
        s->in_worker = true;
    }
    s->next = srv->streams;
    srv->streams = s;
    atomic_fetch_add(&srv->metrics.streams, 1);
    atomic_fetch_add(s->station ? &srv->metrics.stations
                                : &srv->metrics.personal_streams,
                     1);
    return s;
}

static void retire_stream(au_server *srv, au_stream *s)
{
    if (s->removing) return;
    if (!s->in_worker) { /* still being prepared: cancel, free when done */
        atomic_store(&s->cancel, 1);
    } else if (au_workers_remove(srv->workers, s) != 0) {
        return; /* retried later */
    }
    /* the performance stays available for resume and export a while */
    au_records_keep(&srv->records, s, au_mono_ns());
    if (srv->hls) au_hls_stream_gone(srv->hls, s);
    while (s->taps)
        au_tap_detach(s->taps);
    s->removing = true;
    if (s->admitted) au_admission_freed(&srv->adm, s->creator_addr);
    s->admitted = false;
    atomic_fetch_sub(s->station ? &srv->metrics.stations
                                : &srv->metrics.personal_streams,
                     1);
}

/* ----------------------------------------------------------------- pump */

static void schedule_pump(au_server *srv, int64_t now);

/* Everything time-driven: which listeners have chunks to send, the
 * slow-listener rule, freeing streams, shutdown. Runs on every worker wake
 * and on the timer; walks a stream's listeners only when its edge moved
 * (or every 250 ms for housekeeping), so a pass costs O(streams). */
static void pump(au_server *srv)
{
    int64_t now = au_mono_ns();
    if (atomic_load(&g_stop) && !srv->shutting_down) {
        srv->shutting_down = true;
        srv->shutdown_deadline = now + 1500000000LL;
        for (int i = 0; i < srv->cfg.max_clients; i++)
            if (srv->pool[i].in_use && srv->pool[i].wsi)
                start_close(&srv->pool[i], LWS_CLOSE_STATUS_GOINGAWAY,
                            "server shutting down");
    }
    if (srv->shutting_down) au_http_streams_shutdown(srv->http);
    if (srv->shutting_down &&
        ((srv->nlisteners == 0 && au_http_streams_count(srv->http) == 0) ||
         now >= srv->shutdown_deadline)) {
        srv->done = true;
        lws_cancel_service(srv->ctx);
        return;
    }
    srv->http_next = au_http_streams_pump(srv->http, now);
    bool housekeeping = now - srv->last_housekeeping_ns >= 250000000;
    if (housekeeping) {
        srv->last_housekeeping_ns = now;
        au_records_expire(&srv->records, now);
        if (srv->exports) au_exports_housekeeping(srv->exports, now);
    }

    au_stream **link = &srv->streams;
    while (*link) {
        au_stream *s = *link;
        int state = atomic_load_explicit(&s->state, memory_order_acquire);
        if (s->removing) {
            if (state == AU_STREAM_RELEASED ||
                (!s->in_worker && state != AU_STREAM_RUNNING &&
                 atomic_load(&s->prep) != AU_PREP_RUNNING)) {
                *link = s->next;
                au_stream_free(s);
                atomic_fetch_sub(&srv->metrics.streams, 1);
                continue;
            }
            link = &s->next;
            continue;
        }
        if (s->parked) {
            au_stream_record(s); /* chunks rendered before the park */
            if (state == AU_STREAM_PARKED &&
                (now - s->parked_ns > srv->park_ns ||
                 srv->nparked > AU_MAX_PARKED)) {
                srv->nparked--;
                s->parked = false;
                retire_stream(srv, s);
            }
            link = &s->next;
            continue;
        }
        if (!s->in_worker)
            au_resume_poll(srv->workers, s, now); /* prepared yet? */
        if (state == AU_STREAM_FAILED ||
            atomic_load(&s->prep) == AU_PREP_FAILED) {
            for (int g = 0; g < AU_PHASES; g++)
                for (au_listener *l = s->groups[g]; l; l = l->next)
                    if (!l->closing) {
                        queue_error(srv, l, "engine_failed",
                                    "the stream could not be started");
                        start_close(l, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
                                    "engine failed");
                    }
        }
        int64_t head = atomic_load_explicit(&s->head, memory_order_acquire);
        int64_t tail = head;
        for (int g = 0; g < AU_PHASES; g++) {
            int64_t off = (int64_t)g * (s->pacer.chunk_ns / AU_PHASES);
            int64_t live = au_pacer_live(&s->pacer, now - off);
            int64_t edge = head < live ? head : live;
            if (!s->groups[g]) {
                s->last_edge[g] = edge;
                s->group_min[g] = INT64_MAX;
                continue;
            }
            if (edge > s->last_edge[g] || housekeeping) {
                int64_t min_cursor = edge;
                for (au_listener *l = s->groups[g]; l; l = l->next) {
                    uint64_t dropped = 0;
                    int64_t c = au_pacer_skip(l->cursor, edge, srv->backlog,
                                              srv->prefill, &dropped);
                    if (dropped) {
                        l->cursor = c;
                        atomic_fetch_add_explicit(&srv->metrics.chunks_dropped,
                                                  dropped,
                                                  memory_order_relaxed);
                    }
                    bool pending = l->cursor < edge || l->tq_count > 0;
                    if (!pending)
                        l->last_progress_ns = now;
                    else if (!l->closing &&
                             now - l->last_progress_ns > srv->stuck_ns) {
                        atomic_fetch_add_explicit(&srv->metrics.slow_closed, 1,
                                                  memory_order_relaxed);
                        start_close(l, 1013, "listener too slow");
                    }
                    if (pending || l->closing) request_write(l);
                    if (l->cursor < min_cursor) min_cursor = l->cursor;
                }
                s->group_min[g] = min_cursor;
                s->last_edge[g] = edge;
            }
            /* cursors only move forward between walks, so a stale minimum
             * is merely conservative */
            if (s->group_min[g] < tail) tail = s->group_min[g];
        }
        if (s->http_min < tail) tail = s->http_min;
        if (head > s->first) s->shown = au_stream_chunk(s, head - 1)->params;
        au_stream_record(s); /* the timeline, before a slot can be reused */
        /* outputs on their own threads (HLS, Icecast) get copies */
        for (au_tap *t = s->taps; t; t = t->next) {
            au_tap_feed(t, head);
            if (t->cursor < tail) tail = t->cursor;
        }
        if (s->pending_set.mask) au_station_flush(s, now);
        atomic_store_explicit(&s->tail, tail, memory_order_release);
        if (s->nlisteners == 0 && s->http_listeners == 0 && !au_taps_hold(s) &&
            (!s->station || now - s->empty_since_ns > srv->linger_ns))
            retire_stream(srv, s); /* also retries a remove that found the
                                      worker's command ring full */
        link = &s->next;
    }
    if (srv->hls) au_hls_pump(srv->hls, now);
    if (srv->icecast) au_icecast_pump(srv->icecast, srv->streams);
    schedule_pump(srv, now);
}

static void pump_timer(lws_sorted_usec_list_t *sul)
{
    au_server *srv = lws_container_of(sul, au_server, sul);
    pump(srv);
}

static void schedule_pump(au_server *srv, int64_t now)
{
    int64_t next = now + 100000000;
    if (srv->http_next < next) next = srv->http_next;
    for (au_stream *s = srv->streams; s; s = s->next) {
        if (s->removing) continue;
        for (int g = 0; g < AU_PHASES; g++) {
            if (!s->groups[g]) continue;
            int64_t off = (int64_t)g * (s->pacer.chunk_ns / AU_PHASES);
            int64_t due =
                au_pacer_due(&s->pacer, au_pacer_live(&s->pacer, now - off)) +
                off;
            if (due < next) next = due;
        }
    }
    int64_t us = (next - now) / 1000 + 1;
    if (us < 200) us = 200;
    lws_sul_schedule(srv->ctx, 0, &srv->sul, pump_timer, us);
}

/* ------------------------------------------------------------ listeners */

static int parse_request(struct lws *wsi, au_stream_request *req, char *err,
                         size_t errlen)
{
    au_stream_request_init(req);
    static char frag[AU_QUERY_TIMELINE_MAX + 64]; /* service thread only */
    for (int i = 0; i < 64; i++) {
        int n = lws_hdr_copy_fragment(wsi, frag, sizeof frag,
                                      WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0) {
            if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i) > 0) {
                snprintf(err, errlen, "query: a parameter is too long");
                return -1;
            }
            break;
        }
        if (au_query_add_pair(req, frag, err, errlen)) return -1;
    }
    return 0;
}

static int listener_open(au_server *srv, struct lws *wsi, pss_t *pss)
{
    int64_t now = au_mono_ns();
    if (srv->shutting_down || !srv->free_list) return -1;
    static au_stream_request req; /* 16 KB: service thread only */
    char err[256];
    int bad = parse_request(wsi, &req, err, sizeof err);

    au_listener *l = srv->free_list;
    srv->free_list = l->next;
    memset(l, 0, offsetof(au_listener, tq));
    l->in_use = true;
    l->wsi = wsi;
    l->joined_ns = l->last_progress_ns = now;
    l->codec = req.codec;
    au_ratelimit_init(&l->rl, RATE_PER_S, now);
    au_client_stats_init(&l->cstats, now);
    pss->l = l;
    srv->nlisteners++;
    atomic_fetch_add(&srv->metrics.listeners, 1);
    au_metrics_listeners_add(&srv->metrics, AU_TRANSPORT_WEBSOCKET, 1);
    atomic_fetch_add(&srv->metrics.connections, 1);

    if (bad) { /* checked at upgrade already; kept for safety */
        queue_error(srv, l, "invalid_param", err);
        start_close(l, LWS_CLOSE_STATUS_POLICY_VIOLATION, "invalid parameter");
        return 0;
    }
    au_stream *s = req.station[0] ? find_station(srv, req.station) : NULL;
    bool joined = s != NULL;
    int64_t attach_at = -1;
    if (!s && req.resume[0]) {
        /* a pause, a reload or a blip: the parked stream itself, at once */
        au_stream *p = find_by_rid(srv, req.resume);
        /* an Opus listener needs the stream's encoder: else a replay */
        if (p && (req.codec != AU_CODEC_OPUS || p->opus) &&
            au_resume_attach(srv->workers, p, req.position_given,
                             req.position, now, &attach_at) == 0) {
            s = p;
            srv->nparked--;
            /* rendering again: counted like a new stream (the upgrade
             * checked the budget) */
            s->owner = l;
            s->creator_addr = au_peer_addr(wsi);
            s->admitted = true;
            au_admission_created(&srv->adm, s->creator_addr);
        }
    }
    if (!s) {
        s = new_stream(srv, &req, now);
        if (s) { /* counted in the budget checked at the upgrade */
            s->owner = l;
            s->creator_addr = au_peer_addr(wsi);
            s->admitted = true;
            au_admission_created(&srv->adm, s->creator_addr);
        }
    }
    au_conn_guard_listener(&srv->cg, wsi);
    if (!s) {
        queue_error(srv, l, "unavailable", "no stream could be created");
        start_close(l, (enum lws_close_status)1013, "server busy");
        return 0;
    }
    /* the send phase follows the join time, which spreads a station's
     * listeners evenly over the chunk period */
    int64_t slot_ns = s->pacer.chunk_ns / AU_PHASES;
    int group =
        joined ? (int)(((now - s->pacer.t0_ns) % s->pacer.chunk_ns) / slot_ns)
               : 0;
    if (group < 0 || group >= AU_PHASES) group = 0;
    stream_attach(s, l, group);
    int64_t head = atomic_load_explicit(&s->head, memory_order_acquire);
    if (joined) {
        /* join a station at its live edge minus the burst; never behind
         * what the ring still holds */
        int64_t c = au_pacer_live(&s->pacer, now - l->offset_ns) - srv->prefill;
        if (c < head - AU_STREAM_SLOTS + 2) c = head - AU_STREAM_SLOTS + 2;
        if (c < 0) c = 0;
        l->cursor = c;
        int64_t tail = atomic_load_explicit(&s->tail, memory_order_relaxed);
        if (c < tail) atomic_store_explicit(&s->tail, c, memory_order_release);
        if (c < s->group_min[group]) s->group_min[group] = c;
    }

    int fd = lws_get_socket_fd(wsi);
    if (fd >= 0) {
        /* a small send buffer keeps "slow" meaningful: backlog stays in our
         * ring (bounded, shared) rather than piling up in the kernel */
        int sz = 128 * 1024, one = 1;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }

    char params[600], hello[TQ_MAX], id[64], resume[120];
    const au_params *p = joined || s->first > 0 ? &s->shown : &s->init;
    if (!joined) /* a resumed stream starts at the resume point */
        l->cursor = attach_at >= 0 ? attach_at : s->first;
    if (attach_at >= 0)
        p = attach_at < atomic_load(&s->head)
                ? &au_stream_chunk(s, attach_at)->params /* in force there */
                : &s->shown;
    if (au_wire_params_json(p, params, sizeof params) < 0) params[0] = '\0';
    if (s->station)
        snprintf(id, sizeof id, "station-%s", s->name);
    else
        snprintf(id, sizeof id, "personal-%llu", (unsigned long long)s->id);
    snprintf(resume, sizeof resume,
             "{\"id\":\"%s\",\"kept_s\":%d,\"resumed\":%s}", s->rid,
             srv->cfg.resume_keep_s,
             s->first > 0 || attach_at >= 0 ? "true" : "false");
    int n = snprintf(hello, sizeof hello,
                     "{\"type\":\"hello\",\"protocol\":%d,\"stream\":\"%s\","
                     "\"station\":%s%s%s,\"sample_rate\":%d,\"channels\":2,"
                     "\"codec\":\"%s\",\"chunk_ms\":100,\"prefill_ms\":%d,"
                     "\"position\":%lld,\"resume\":%s,\"params\":%s}",
                     AU_PROTOCOL_VERSION, id, s->station ? "\"" : "",
                     s->station ? s->name : "null", s->station ? "\"" : "",
                     srv->cfg.rate,
                     l->codec == AU_CODEC_OPUS ? "opus" : "pcm16",
                     srv->prefill * 100,
                     (long long)(l->cursor * s->frames), resume, params);
    queue_text(srv, l, hello, n < (int)sizeof hello ? n : -1);
    request_write(l);
    return 0;
}

static void listener_close(au_server *srv, pss_t *pss)
{
    au_listener *l = pss->l;
    if (!l) return;
    pss->l = NULL;
    au_stream *s = l->stream;
    if (s) {
        if (s->owner == l) s->owner = NULL; /* owner mode: nobody now */
        stream_detach(s, l);
        if (!s->station && s->nlisteners == 0 && s->in_worker && !s->taps &&
            srv->park_ns > 0 && !srv->shutting_down &&
            atomic_load(&s->state) == AU_STREAM_RUNNING &&
            au_workers_park(srv->workers, s) == 0) {
            /* kept frozen for a resume (pump retires it later); it renders
             * nothing, so it leaves the render budget (--max-streams) */
            if (s->admitted) au_admission_freed(&srv->adm, s->creator_addr);
            s->admitted = false;
            s->parked = true;
            s->in_worker = false;
            s->parked_ns = au_mono_ns();
            srv->nparked++;
        } else if (!s->station)
            retire_stream(srv, s);
        else if (s->nlisteners == 0)
            s->empty_since_ns = au_mono_ns();
    }
    l->in_use = false;
    l->wsi = NULL;
    l->next = srv->free_list;
    srv->free_list = l;
    srv->nlisteners--;
    atomic_fetch_sub(&srv->metrics.listeners, 1);
    au_metrics_listeners_add(&srv->metrics, AU_TRANSPORT_WEBSOCKET, -1);
    if (srv->shutting_down && srv->nlisteners == 0 && !srv->destroying)
        lws_cancel_service(srv->ctx);
}

static bool has_chunk(const au_listener *l, int64_t now)
{
    if (!l->stream || l->closing) return false;
    return l->cursor < listener_edge(l, now);
}

static int listener_write(au_server *srv, struct lws *wsi, au_listener *l)
{
    l->want_write = false;
    if (l->closing && l->tq_count == 0) {
        lws_close_reason(wsi, (enum lws_close_status)l->close_code,
                         (unsigned char *)l->close_reason,
                         strlen(l->close_reason));
        return -1;
    }
    int64_t now = au_mono_ns();
    au_stream *s = l->stream;
    for (int n = 0; n < 24; n++) {
        /* lws allows one write per writeable callback unless the pipe can
         * take more; asking costs a poll(), so only when there is more */
        if (n > 0 && (l->tq_count || has_chunk(l, now)) &&
            lws_send_pipe_choked(wsi))
            break;
        if (l->tq_count) {
            int i = l->tq_head;
            if (lws_write(wsi, l->tq[i] + AU_WIRE_PRE, l->tq_len[i],
                          LWS_WRITE_TEXT) < 0)
                return -1;
            l->tq_head = (l->tq_head + 1) % TQ;
            l->tq_count--;
            continue;
        }
        if (l->closing || !s) break;
        if (atomic_load_explicit(&s->state, memory_order_relaxed) !=
            AU_STREAM_RUNNING)
            break;
        if (l->cursor >= listener_edge(l, now)) break;
        au_chunk *c = au_stream_chunk(s, l->cursor);
        /* the chunk's events and audio, framed once by the worker: one
         * send() straight from the shared slot (lws copies only what the
         * socket did not take) */
        bool op = l->codec == AU_CODEC_OPUS;
        if (lws_write(wsi, op ? c->owire : c->wire,
                      op ? c->owire_len : c->wire_len, LWS_WRITE_RAW) < 0)
            return -1;
        int64_t due = au_pacer_due(&s->pacer, l->cursor) + l->offset_ns;
        if (due < l->joined_ns) due = l->joined_ns;
        au_hist_observe(&srv->metrics.jitter_ms, (double)(now - due) * 1e-6);
        atomic_fetch_add_explicit(&srv->metrics.chunks_sent, 1,
                                  memory_order_relaxed);
        l->cursor++;
        l->last_progress_ns = now;
    }
    bool more = l->tq_count > 0 || l->closing;
    if (!more) more = has_chunk(l, now);
    if (more) request_write(l);
    return 0;
}

static void count_ctl(au_server *srv, int result)
{
    atomic_fetch_add_explicit(&srv->metrics.controls[result], 1,
                              memory_order_relaxed);
}

static void handle_message(au_server *srv, au_listener *l)
{
    int64_t now = au_mono_ns();
    if (!au_ratelimit_take(&l->rl, RATE_PER_S, RATE_PER_S, now)) {
        count_ctl(srv, AU_CTL_RESULT_RATE_LIMITED);
        /* one error per second at most, so a flood cannot flood back */
        if (now - l->last_rl_error_ns >= 1000000000LL) {
            l->last_rl_error_ns = now;
            queue_error(srv, l, "rate_limited",
                        "more than 20 messages per second; excess ignored");
            request_write(l);
        }
        return;
    }
    au_control_msg m;
    au_control_parse((const char *)l->rx, l->rxlen, &m);
    char buf[TQ_MAX];
    switch (m.type) {
    case AU_MSG_ERROR:
        count_ctl(srv, !strcmp(m.error_code, "bad_json")
                           ? AU_CTL_RESULT_BAD_JSON
                       : !strcmp(m.error_code, "unknown_type")
                           ? AU_CTL_RESULT_UNKNOWN_TYPE
                           : AU_CTL_RESULT_INVALID_PARAM);
        queue_error(srv, l, m.error_code, m.message);
        break;
    case AU_MSG_SET: {
        const char *why =
            l->stream ? au_station_may_set(
                            (au_station_control)srv->cfg.station_control,
                            l->stream, l)
                      : NULL;
        if (why) {
            count_ctl(srv, AU_CTL_RESULT_FORBIDDEN);
            queue_error(srv, l, "forbidden", why);
        } else if (l->stream && l->stream->station) {
            /* coalesced per station: never refused for a full queue */
            au_station_set(l->stream, &m.update, now);
            count_ctl(srv, AU_CTL_RESULT_OK);
        } else if (!l->stream || !au_stream_push_set(l->stream, &m.update)) {
            count_ctl(srv, AU_CTL_RESULT_RATE_LIMITED);
            queue_error(srv, l, "rate_limited",
                        "too many changes pending for this stream; try again");
        } else {
            count_ctl(srv, AU_CTL_RESULT_OK);
        }
        break;
    }
    case AU_MSG_PING: {
        count_ctl(srv, AU_CTL_RESULT_OK);
        int n = m.has_t ? snprintf(buf, sizeof buf,
                                   "{\"type\":\"pong\",\"t\":%s}", m.t)
                        : snprintf(buf, sizeof buf, "{\"type\":\"pong\"}");
        queue_text(srv, l, buf, n);
        break;
    }
    case AU_MSG_CLIENT_STATS: {
        count_ctl(srv, AU_CTL_RESULT_OK);
        bool obs;
        double b = 0, j = 0;
        uint64_t add =
            au_client_stats_apply(&l->cstats, &m, now, &obs, &b, &j);
        if (obs && m.stats.has_buffer)
            au_hist_observe(&srv->metrics.client_buffer_ms, b);
        if (obs && m.stats.has_jitter)
            au_hist_observe(&srv->metrics.client_jitter_ms, j);
        if (m.stats.has_underruns) {
            atomic_fetch_add(&srv->metrics.client_underruns, add);
            au_hist_observe(&srv->metrics.client_underruns_report,
                            (double)add);
        }
        break;
    }
    }
    request_write(l);
}

static int listener_receive(au_server *srv, struct lws *wsi, au_listener *l,
                            const void *in, size_t len)
{
    if (lws_frame_is_binary(wsi)) {
        count_ctl(srv, AU_CTL_RESULT_BINARY);
        static const char r[] = "binary messages are not accepted";
        lws_close_reason(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
                         (unsigned char *)r, sizeof r - 1);
        return -1;
    }
    if (l->rxlen + len > MAX_TEXT) {
        count_ctl(srv, AU_CTL_RESULT_TOO_BIG);
        static const char r[] = "text messages are limited to 4096 bytes";
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                         (unsigned char *)r, sizeof r - 1);
        return -1;
    }
    memcpy(l->rx + l->rxlen, in, len);
    l->rxlen += len;
    if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0) {
        if (!l->closing) handle_message(srv, l);
        l->rxlen = 0;
    }
    return 0;
}

/* ----------------------------------------------------------------- HTTP */

static uint64_t fnv1a(const unsigned char *d, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ d[i]) * 0x100000001b3ULL;
    return h;
}

static void http_reset(pss_t *pss)
{
    free(pss->owned);
    pss->owned = NULL;
    pss->body = NULL;
    pss->len = pss->off = 0;
    pss->cors = false;
}

/* Headers for every response: COOP/COEP so the player may use
 * SharedArrayBuffer, CORP so that pages (ours and other sites') may load
 * what we serve. */
static int http_start(struct lws *wsi, pss_t *pss, unsigned status,
                      const char *ctype, const unsigned char *body, size_t len,
                      unsigned char *owned, const char *cache, const char *etag)
{
    unsigned char buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start,
                                       *end = buf + sizeof buf - 1;
    pss->body = body;
    pss->len = len;
    pss->off = 0;
    pss->owned = owned;
    if (lws_add_http_common_headers(wsi, status, ctype, len, &p, end))
        return -1;
    /* COOP/COEP/CORP and nosniff: lws adds them to every response
     * (au_guard_response_headers), its own error pages included */
    /* HLS files may be read by players on other sites (CORS) */
    if (pss->cors &&
        au_http_header(wsi, "access-control-allow-origin:", "*", &p, end))
        return -1;
    if (au_http_header(wsi, "cache-control:", cache, &p, end)) return -1;
    if (etag && au_http_header(wsi, "etag:", etag, &p, end)) return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end)) return -1;
    if (au_guard_is_head(wsi)) http_reset(pss); /* HEAD: headers only */
    if (len == 0 || !pss->body)
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    lws_callback_on_writable(wsi);
    return 0;
}

static int http_simple(struct lws *wsi, pss_t *pss, unsigned status,
                       const char *json)
{
    size_t n = strlen(json);
    unsigned char *b = malloc(n + 1);
    if (!b) return -1;
    memcpy(b, json, n + 1);
    return http_start(wsi, pss, status, "application/json", b, n, b, "no-store",
                      NULL);
}

static int http_report(au_server *srv, struct lws *wsi, pss_t *pss, int which)
{
    au_proc_stats ps = {0};
    au_proc_read(&ps);
    ps.uptime_seconds = (double)(au_mono_ns() - srv->start_ns) * 1e-9;
    ps.workers = srv->nworkers;
    ps.max_clients = srv->cfg.max_clients;
    int64_t now = au_mono_ns();
    for (au_stream *s = srv->streams; s; s = s->next)
        if (!s->removing &&
            atomic_load_explicit(&s->state, memory_order_acquire) ==
                AU_STREAM_RUNNING)
            au_render_lag_add(
                &ps.lag,
                au_pacer_due(&s->pacer, atomic_load_explicit(
                                            &s->head, memory_order_acquire)),
                now);
    size_t cap = 65536;
    char *b = malloc(cap);
    if (!b) return -1;
    int n;
    const char *ctype = "application/json";
    if (which == 0) {
        n = snprintf(b, cap,
                     "{\"status\":\"%s\",\"version\":\"%s\",\"protocol\":%d,"
                     "\"uptime_seconds\":%.3f,\"listeners\":%d,"
                     "\"max_clients\":%d,\"sample_rate\":%d,"
                     "\"station_name\":{\"pattern\":\"%s\",\"max_length\":%d,"
                     "\"rule\":\"%s\"},"
                     "\"resume_keep_s\":%d,"
                     "\"export\":{\"enabled\":%s,\"formats\":[\"flac\",\"opus\","
                     "\"midi\",\"raw\"],\"max_jobs\":%d,\"per_client\":%d,"
                     "\"max_minutes\":%d,\"running\":%d,\"queued\":%d}}",
                     srv->shutting_down ? "stopping" : "ok", AU_VERSION,
                     AU_PROTOCOL_VERSION, ps.uptime_seconds, srv->nlisteners,
                     srv->cfg.max_clients, srv->cfg.rate,
                     AU_STATION_NAME_PATTERN, AU_STATION_NAME_MAX,
                     AU_STATION_NAME_RULE, srv->cfg.resume_keep_s,
                     srv->exports ? "true" : "false", srv->cfg.export_jobs,
                     srv->cfg.export_per_client, srv->cfg.export_max_minutes,
                     srv->exports ? au_exports_running(srv->exports) : 0,
                     srv->exports ? au_exports_queued(srv->exports) : 0);
    } else if (which == 1) {
        n = au_metrics_json(&srv->metrics, &ps, b, cap);
    } else {
        n = au_metrics_prometheus(&srv->metrics, &ps, b, cap);
        ctype = "text/plain; version=0.0.4; charset=utf-8";
    }
    if (n < 0 || (size_t)n >= cap) {
        free(b);
        return http_simple(wsi, pss, 500, "{\"error\":\"report too large\"}");
    }
    return http_start(wsi, pss, 200, ctype, (unsigned char *)b, (size_t)n,
                      (unsigned char *)b, "no-store", NULL);
}

static int http_file(au_server *srv, struct lws *wsi, pss_t *pss,
                     const char *uri)
{
    char clean[600];
    if (au_web_clean_path(uri, clean, sizeof clean))
        return http_simple(wsi, pss, 404, "{\"error\":\"not found\"}");
    if (srv->cfg.web_root) {
        char real[PATH_MAX];
        if (au_web_resolve_root(srv->web_root, clean, real, sizeof real))
            return http_simple(wsi, pss, 404, "{\"error\":\"not found\"}");
        FILE *f = fopen(real, "rb");
        if (!f) return http_simple(wsi, pss, 404, "{\"error\":\"not found\"}");
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        fseek(f, 0, SEEK_SET);
        if (size < 0 || size > 64L * 1024 * 1024) {
            fclose(f);
            return http_simple(wsi, pss, 404, "{\"error\":\"not found\"}");
        }
        unsigned char *b = malloc((size_t)size + 1);
        size_t got = b ? fread(b, 1, (size_t)size, f) : 0;
        fclose(f);
        if (!b || got != (size_t)size) {
            free(b);
            return http_simple(wsi, pss, 500, "{\"error\":\"read failed\"}");
        }
        /* development folder: always revalidate */
        return http_start(wsi, pss, 200, au_web_content_type(real), b, got, b,
                          "no-cache", NULL);
    }
    const au_web_asset *a = au_web_find(au_web_assets, clean);
    if (!a) return http_simple(wsi, pss, 404, "{\"error\":\"not found\"}");
    char etag[40], inm[64];
    snprintf(etag, sizeof etag, "\"%016llx\"",
             (unsigned long long)srv->etags[a - au_web_assets]);
    if (lws_hdr_copy(wsi, inm, sizeof inm, WSI_TOKEN_HTTP_IF_NONE_MATCH) > 0 &&
        !strcmp(inm, etag))
        return http_start(wsi, pss, 304, a->content_type, NULL, 0, NULL,
                          "no-cache", etag);
    /* unhashed names: the browser may keep a copy but must revalidate
     * (a cheap 304 thanks to the ETag) */
    return http_start(wsi, pss, 200, a->content_type, a->data, a->size, NULL,
                      "no-cache", etag);
}

/* /hls/NAME/FILE (hls.c): a playlist request creates the station if it
 * does not exist, as a WebSocket join would; other files never do. */
static int http_hls(au_server *srv, struct lws *wsi, pss_t *pss,
                    const char *uri)
{
    char name[AU_STATION_NAME_MAX + 1], file[64];
    if (!srv->hls || au_hls_parse_path(uri, name, file))
        return http_simple(wsi, pss, 404, "{\"error\":\"not found\"}");
    int64_t now = au_mono_ns();
    au_stream *s = find_station(srv, name);
    if (!s && !strcmp(file, "index.m3u8") && !srv->shutting_down) {
        /* a new station: the same render budget as a WebSocket join
         * (admission.h), and only if it can have an HLS output */
        uint32_t addr = au_peer_addr(wsi);
        if (au_hls_full(srv->hls))
            return http_simple(wsi, pss, 503,
                               "{\"error\":\"too many stations have HLS "
                               "outputs\"}");
        if (au_admission_check(&srv->adm, addr) != AU_ADMIT_OK)
            return http_simple(wsi, pss, 503,
                               "{\"error\":\"the server cannot start another "
                               "stream now (--max-streams, "
                               "--max-streams-per-address)\"}");
        au_stream_request req;
        au_stream_request_init(&req);
        snprintf(req.station, sizeof req.station, "%s", name);
        s = new_stream(srv, &req, now);
        if (!s)
            return http_simple(wsi, pss, 503,
                               "{\"error\":\"no stream could be created\"}");
        s->creator_addr = addr;
        s->admitted = true;
        au_admission_created(&srv->adm, addr);
    }
    au_hls_reply r;
    if (au_hls_request(srv->hls, s, file, wsi, now, &r) == AU_HLS_WAIT) {
        pss->hls_wait = true;
        lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, 45);
        return 0;
    }
    if (!r.body) return -1;
    pss->cors = true;
    return http_start(wsi, pss, r.status, r.content_type, r.body, r.len, r.body,
                      r.cache_control, NULL);
}

/* A station to publish to Icecast: "NAME" or "NAME?QUERY" (checked at
 * start-up by icecast_check), found or created as a WebSocket join would. */
static int icecast_spec(const char *spec, au_stream_request *req, char *err,
                        size_t errlen)
{
    au_stream_request_init(req);
    const char *q = strchr(spec, '?');
    size_t n = q ? (size_t)(q - spec) : strlen(spec);
    if (n > AU_STATION_NAME_MAX) n = AU_STATION_NAME_MAX + 1;
    char name[AU_STATION_NAME_MAX + 2];
    memcpy(name, spec, n < sizeof name ? n : sizeof name - 1);
    name[n < sizeof name ? n : sizeof name - 1] = '\0';
    if (n > AU_STATION_NAME_MAX || !au_station_name_ok(name)) {
        snprintf(err, errlen,
                 "--icecast-station: station names are 1..32 of "
                 "A-Z a-z 0-9 . _ - (got '%s')",
                 spec);
        return -1;
    }
    memcpy(req->station, name, n + 1); /* n <= AU_STATION_NAME_MAX here */
    if (q && au_query_parse(req, q + 1, err, errlen)) return -1;
    return 0;
}

static int icecast_url(void *arg, const au_stream *s, char *url, size_t n)
{
    return au_icecast_listen_url(((au_server *)arg)->icecast, s, url, n);
}

static au_stream *icecast_station(void *arg, const char *spec)
{
    au_server *srv = arg;
    au_stream_request req;
    char err[256];
    if (srv->shutting_down || icecast_spec(spec, &req, err, sizeof err))
        return NULL;
    au_stream *s = find_station(srv, req.station);
    return s ? s : new_stream(srv, &req, au_mono_ns());
}

static void hls_wake(void *arg, void *wsi)
{
    (void)arg;
    lws_callback_on_writable((struct lws *)wsi);
}

/* ------------------------------------------------- export, resume, checks */

static au_stream *find_by_rid(au_server *srv, const char *rid)
{
    for (au_stream *s = srv->streams; s; s = s->next)
        if (!s->removing && !strcmp(s->rid, rid)) return s;
    return NULL;
}

static int http_json(struct lws *wsi, pss_t *pss, unsigned status,
                     const char *json)
{
    return http_simple(wsi, pss, status, json);
}

static int http_error(struct lws *wsi, pss_t *pss, unsigned status,
                      const char *code, const char *msg)
{
    char body[700];
    au_wire_error_json(code, msg, body, sizeof body);
    return http_json(wsi, pss, status, body);
}

/* A performance's timeline by resume id: a live stream's (recorded up to
 * now) or a kept record's. *end: frames it has rendered. */
static const au_timeline *performance(au_server *srv, const char *rid,
                                      int64_t *end, bool *live)
{
    au_stream *s = rid[0] ? find_by_rid(srv, rid) : NULL;
    if (s) {
        au_stream_record(s);
        *end = s->recorded * s->frames;
        *live = true;
        return &s->timeline;
    }
    au_record *r = au_records_find(&srv->records, rid);
    if (!r) return NULL;
    *end = r->end;
    *live = false;
    return &r->timeline;
}

/* A query argument's value (lws hands back "name=value"). */
static const char *http_arg(struct lws *wsi, const char *name, char *out,
                            size_t len)
{
    char tmp[256];
    const char *v = lws_get_urlarg_by_name(wsi, name, tmp, (int)sizeof tmp);
    if (!v) return NULL;
    snprintf(out, len, "%s", v);
    return out;
}

static int http_export_start(au_server *srv, struct lws *wsi, pss_t *pss)
{
    char rid[40] = "", fmt[16] = "flac", v[64], name[96] = "";
    if (!srv->exports)
        return http_error(wsi, pss, 503, "unavailable",
                          "exports are switched off on this server");
    http_arg(wsi, "stream=", rid, sizeof rid);
    http_arg(wsi, "format=", fmt, sizeof fmt);
    http_arg(wsi, "name=", name, sizeof name);
    au_export_request rq;
    memset(&rq, 0, sizeof rq);
    rq.rate = srv->cfg.rate;
    if (au_export_format_parse(fmt, &rq.format))
        return http_error(wsi, pss, 400, "invalid_param",
                          "format must be flac, opus, midi or raw");
    if (rq.format == AU_EXPORT_OPUS && rq.rate != 48000)
        return http_error(wsi, pss, 400, "invalid_param",
                          "opus exports need a 48000 Hz server");
    int64_t end = 0;
    bool live = false;
    const au_timeline *t = performance(srv, rid, &end, &live);
    bool described = false;
    if (!t) {
        /* not a performance this node knows: the request may describe it
         * (seed, parameters, timeline: export.c, any node renders it) */
        static au_stream_request req; /* 16 KB: service thread only */
        static au_timeline given;
        char err[300];
        if (parse_request(wsi, &req, err, sizeof err))
            return http_error(wsi, pss, 400, "invalid_param", err);
        if (!req.seed_given)
            return http_error(wsi, pss, 404, "unknown_stream",
                              "no such performance here (stream must be the "
                              "resume id from hello; ended ones are kept for "
                              "--resume-keep seconds); or describe it with "
                              "seed, its parameters, timeline and to");
        int st = au_export_describe(&given, &req, srv->cfg.piece, err, sizeof err);
        if (st) return http_error(wsi, pss, (unsigned)st, "invalid_param", err);
        t = &given;
        end = INT64_MAX;
        described = true;
    }
    int64_t chunk = rq.rate / 10, exact = au_timeline_exact_until(t);
    if (end > exact) end = exact / chunk * chunk;
    rq.to = end;
    rq.from = 0;
    char *stop = NULL;
    if (http_arg(wsi, "to=", v, sizeof v)) {
        long long x = strtoll(v, &stop, 10);
        if (!*v || *stop || x <= 0)
            return http_error(wsi, pss, 400, "invalid_param",
                              "to must be a sample frame above 0");
        if (x < rq.to) rq.to = x / chunk * chunk;
    } else if (described) {
        return http_error(wsi, pss, 400, "invalid_param",
                          "to is required with a described performance (the "
                          "sample frame the export ends at)");
    }
    if (described && (double)rq.to / rq.rate > srv->cfg.export_max_minutes * 60.0) {
        char m[200];
        snprintf(m, sizeof m,
                 "a described performance renders from its start: to must be "
                 "at most %d minutes in (got %.1f)",
                 srv->cfg.export_max_minutes, (double)rq.to / rq.rate / 60.0);
        return http_error(wsi, pss, 400, "invalid_param", m);
    }
    if (http_arg(wsi, "from=", v, sizeof v)) {
        long long x = strtoll(v, &stop, 10);
        if (!*v || *stop || x < 0)
            return http_error(wsi, pss, 400, "invalid_param",
                              "from must be a sample frame, 0 or more");
        rq.from = x / chunk * chunk;
    } else if (http_arg(wsi, "minutes=", v, sizeof v)) {
        double m = strtod(v, &stop);
        if (!*v || *stop || !(m > 0) || m > AU_MAX_MINUTES)
            return http_error(wsi, pss, 400, "invalid_param",
                              "minutes must be a number above 0 and at most "
                              "1440");
        int64_t f = rq.to - (int64_t)(m * 60.0 * rq.rate);
        rq.from = f > 0 ? f / chunk * chunk : 0;
    }
    if (rq.from >= rq.to)
        return http_error(wsi, pss, 400, "invalid_param",
                          "nothing to export yet: the window is empty");
    /* file name: the page's name for the performance, else seed and key */
    size_t o = 0;
    for (const char *c = name; *c && o + 1 < sizeof rq.name; c++) {
        char ch = *c;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
        if (!ok && o && rq.name[o - 1] == '-') continue;
        rq.name[o++] = ok ? ch : '-';
    }
    while (o && rq.name[o - 1] == '-') o--;
    rq.name[o] = '\0';
    if (!o)
        snprintf(rq.name, sizeof rq.name, "auralis-%s-%llu-%s-%s",
                 au_piece_name(t->init.piece),
                 (unsigned long long)t->init.seed, au_key_name(t->init.key),
                 au_mode_name(t->init.mode));
    snprintf(rq.stream, sizeof rq.stream, "%s", rid);
    if (lws_get_peer_simple(wsi, rq.client, sizeof rq.client) == NULL)
        snprintf(rq.client, sizeof rq.client, "?");
    char body[1400];
    int st = au_exports_submit(srv->exports, &rq, t, body, sizeof body);
    return http_json(wsi, pss, (unsigned)st, body);
}

static int http_export_get(au_server *srv, struct lws *wsi, pss_t *pss,
                           const char *rest)
{
    char id[40], body[1400];
    if (!srv->exports)
        return http_error(wsi, pss, 404, "unknown_export", "no such export");
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    if (n >= sizeof id) n = sizeof id - 1;
    memcpy(id, rest, n);
    id[n] = '\0';
    if (!slash) {
        int st = au_exports_status(srv->exports, id, body, sizeof body);
        return http_json(wsi, pss, (unsigned)st, body);
    }
    if (strcmp(slash, "/file"))
        return http_error(wsi, pss, 404, "not_found", "not found");
    char path[700], fname[120];
    const char *ctype = NULL;
    int st = au_exports_file(srv->exports, id, path, sizeof path, fname,
                             sizeof fname, &ctype, body, sizeof body);
    if (st != 200) return http_json(wsi, pss, (unsigned)st, body);
    unsigned char hb[1024], *p = hb, *end = hb + sizeof hb;
    char disp[200];
    snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", fname);
#define XH(nm, val)                                                            \
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)nm,            \
                                    (const unsigned char *)val,                \
                                    (int)strlen(val), &p, end))                \
        return -1;
    /* the isolation headers come from the vhost (lws_serve_http_file adds
     * them): listed here too, each was sent twice */
    XH("content-disposition:", disp);
    XH("cache-control:", "no-store");
#undef XH
    int r = lws_serve_http_file(wsi, path, ctype, (const char *)hb,
                                (int)(p - hb));
    if (r < 0) return -1;
    if (r > 0) return lws_http_transaction_completed(wsi) ? -1 : 0;
    return 0;
}

/* GET /api/performance/ID: what a share link or a resume needs */
static int http_performance(au_server *srv, struct lws *wsi, pss_t *pss,
                            const char *rid)
{
    int64_t end = 0;
    bool live = false;
    const au_timeline *t = performance(srv, rid, &end, &live);
    if (!t)
        return http_error(wsi, pss, 404, "unknown_stream",
                          "no such performance here");
    char *tl = au_timeline_format(t);
    char params[600];
    if (!tl || au_wire_params_json(&t->init, params, sizeof params) < 0) {
        free(tl);
        return http_error(wsi, pss, 500, "unavailable", "out of memory");
    }
    size_t cap = strlen(tl) + 1024;
    char *b = malloc(cap);
    if (!b) {
        free(tl);
        return -1;
    }
    int64_t exact = au_timeline_exact_until(t);
    int n = snprintf(b, cap,
                     "{\"id\":\"%s\",\"live\":%s,\"sample_rate\":%d,"
                     "\"position\":%lld,\"exact_until\":%lld,"
                     "\"params\":%s,\"timeline\":\"%s\"}",
                     rid, live ? "true" : "false", srv->cfg.rate,
                     (long long)end,
                     (long long)(exact == INT64_MAX ? end : exact), params, tl);
    free(tl);
    return http_start(wsi, pss, 200, "application/json", (unsigned char *)b,
                      (size_t)n, (unsigned char *)b, "no-store", NULL);
}

/* GET /api/validate?QUERY: the answer an upgrade with this query would
 * get, readable by a page (a browser hides a refused upgrade's body) */
static const char *admit_new_stream(au_server *srv, struct lws *wsi,
                                    const au_stream_request *req, bool count);

static int http_validate(au_server *srv, struct lws *wsi, pss_t *pss)
{
    static au_stream_request req;
    char err[256];
    if (parse_request(wsi, &req, err, sizeof err))
        return http_error(wsi, pss, 400, "invalid_param", err);
    /* what the upgrade would get: a busy server says so too */
    const char *busy = admit_new_stream(srv, wsi, &req, false);
    if (busy) return http_error(wsi, pss, 503, "busy", busy);
    return http_json(wsi, pss, 200, "{\"ok\":true}");
}

static int http_request(au_server *srv, struct lws *wsi, pss_t *pss,
                        const char *uri)
{
    http_reset(pss);
    /* methods, bodies, Host: checked in LWS_CALLBACK_FILTER_HTTP_CONNECTION
     * (http_guard.c); POST reaches here only for /api/export */
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0) {
        if (!strcmp(uri, "/api/export")) return http_export_start(srv, wsi, pss);
        return http_simple(wsi, pss, 405,
                           "{\"error\":\"only GET and HEAD are supported\"}");
    }
    if (!strcmp(uri, "/api/health")) return http_report(srv, wsi, pss, 0);
    if (!strcmp(uri, "/api/metrics")) return http_report(srv, wsi, pss, 1);
    if (!strcmp(uri, "/metrics")) return http_report(srv, wsi, pss, 2);
    if (!strcmp(uri, "/api/presets")) {
        const char *j = au_presets_json();
        return http_start(wsi, pss, 200, "application/json",
                          (const unsigned char *)j, strlen(j), NULL,
                          "public, max-age=3600", NULL);
    }
    if (!strncmp(uri, "/hls/", 5)) return http_hls(srv, wsi, pss, uri);
    if (!strcmp(uri, "/api/pieces")) {
        const char *j = au_pieces_json();
        return http_start(wsi, pss, 200, "application/json",
                          (const unsigned char *)j, strlen(j), NULL,
                          "public, max-age=3600", NULL);
    }
    if (!strncmp(uri, "/api/export/", 12))
        return http_export_get(srv, wsi, pss, uri + 12);
    if (!strncmp(uri, "/api/performance/", 17))
        return http_performance(srv, wsi, pss, uri + 17);
    if (!strcmp(uri, "/api/validate")) return http_validate(srv, wsi, pss);
    if (!strcmp(uri, "/api/stations")) {
        char *j;
        size_t n;
        au_stations_outputs so = {srv->hls != NULL,
                                  srv->icecast ? icecast_url : NULL, srv};
        if (au_stations_json(srv->streams, &so, &j, &n)) return -1;
        return http_start(wsi, pss, 200, "application/json",
                          (unsigned char *)j, n, (unsigned char *)j,
                          "no-store", NULL);
    }
    if (!strncmp(uri, "/stream/", 8)) {
        int r = au_http_stream_request(srv->http, wsi, uri, &pss->hl);
        /* a streaming listener, not an idle connection (conn_guard.h) */
        if (pss->hl) au_conn_guard_listener(&srv->cg, wsi);
        return r;
    }
    if (!strcmp(uri, "/ws"))
        return http_simple(wsi, pss, 426,
                           "{\"error\":\"/ws is a WebSocket endpoint\"}");
    return http_file(srv, wsi, pss, uri);
}

static int http_writeable(au_server *srv, struct lws *wsi, pss_t *pss)
{
    if (pss->hls_wait) {
        char uri[128];
        pss->hls_wait = false;
        lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0)
            return -1;
        return http_hls(srv, wsi, pss, uri);
    }
    if (!pss->body || pss->off >= pss->len) return 0;
    unsigned char buf[LWS_PRE + HTTP_PIECE];
    size_t n = pss->len - pss->off;
    if (n > HTTP_PIECE) n = HTTP_PIECE;
    memcpy(buf + LWS_PRE, pss->body + pss->off, n);
    bool last = pss->off + n >= pss->len;
    if (lws_write(wsi, buf + LWS_PRE, n,
                  last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
        return -1;
    pss->off += n;
    if (!last) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    http_reset(pss);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* Refuses an upgrade with a status and a JSON body, written at once (the
 * connection closes after it). */
static int refuse_upgrade(struct lws *wsi, unsigned status, const char *code,
                          const char *message)
{
    char body[600];
    int n = au_wire_error_json(code, message, body, sizeof body);
    if (n < 0) n = 0;
    unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start,
                                       *end = buf + sizeof buf - 1;
    if (lws_add_http_common_headers(wsi, status, "application/json",
                                    (lws_filepos_t)n, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"connection:",
                                    (const unsigned char *)"close", 5, &p,
                                    end) ||
        lws_finalize_http_header(wsi, &p, end))
        return -1;
    if (p + n > end) return -1;
    memcpy(p, body, (size_t)n);
    p += n;
    if (lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_FINAL) < 0)
        return -1;
    return 1;
}

/* NULL if a listener with this request may connect now: it joins an
 * existing station, or a new stream fits the render budget (admission.h);
 * else why not. count: the refusal is counted in the metrics. */
static const char *admit_new_stream(au_server *srv, struct lws *wsi,
                                    const au_stream_request *req, bool count)
{
    if (req->station[0] && find_station(srv, req->station)) return NULL;
    switch (au_admission_check(&srv->adm, au_peer_addr(wsi))) {
    case AU_ADMIT_OK: return NULL;
    case AU_ADMIT_CAPACITY:
        if (count) atomic_fetch_add(&srv->metrics.streams_refused_capacity, 1);
        return "the server is rendering all the streams it can "
               "(--max-streams); join a station instead or try later";
    case AU_ADMIT_PER_ADDRESS:
        if (count) atomic_fetch_add(&srv->metrics.streams_refused_address, 1);
        return "your address has started as many streams as it may "
               "(--max-streams-per-address); close one or join a station";
    }
    return NULL;
}

static int confirm_upgrade(au_server *srv, struct lws *wsi, const char *proto)
{
    char uri[64];
    /* RFC 6455 4.2.1: the Upgrade value is case-insensitive */
    if (!proto || strcasecmp(proto, "websocket")) return -1;
    au_guard_verdict gv = au_guard_check(wsi, &srv->guard, true);
    if (gv.status) {
        atomic_fetch_add(&srv->metrics.rejected_bad, 1);
        return au_guard_refuse(wsi, gv.status, gv.code, gv.message);
    }
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0 ||
        strcmp(uri, "/ws")) {
        atomic_fetch_add(&srv->metrics.rejected_bad, 1);
        return refuse_upgrade(wsi, 404, "not_found",
                              "WebSocket streams live at /ws");
    }
    static au_stream_request req; /* 16 KB: service thread only */
    char err[256];
    if (parse_request(wsi, &req, err, sizeof err)) {
        atomic_fetch_add(&srv->metrics.rejected_bad, 1);
        return refuse_upgrade(wsi, 400, "invalid_param", err);
    }
    if (req.codec == AU_CODEC_OPUS && srv->cfg.rate != AU_OPUS_RATE) {
        /* no resampler on the server: Opus is 48 kHz, refuse plainly */
        atomic_fetch_add(&srv->metrics.rejected_bad, 1);
        snprintf(err, sizeof err,
                 "codec=opus needs a 48000 Hz server (this one runs at %d "
                 "Hz); use codec=pcm16",
                 srv->cfg.rate);
        return refuse_upgrade(wsi, 400, "invalid_param", err);
    }
    if (srv->shutting_down)
        return refuse_upgrade(wsi, 503, "unavailable", "server shutting down");
    if (srv->nlisteners >= srv->cfg.max_clients) {
        atomic_fetch_add(&srv->metrics.rejected_full, 1);
        return refuse_upgrade(wsi, 503, "full",
                              "the server has reached --max-clients");
    }
    const char *busy = admit_new_stream(srv, wsi, &req, true);
    if (busy) return refuse_upgrade(wsi, 503, "busy", busy);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    au_server *srv = ctx ? lws_context_user(ctx) : NULL;
    pss_t *pss = user;
    if (!srv) return 0;
    switch (reason) {
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        if (srv->shutting_down) return -1;
        return au_conn_guard_accept(&srv->cg, (int)(intptr_t)in);
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
        /* after adoption (WSI_CREATE is too early: adoption resets the
         * wsi's opaque pointer) */
        au_conn_guard_created(&srv->cg, wsi);
        /* every socket the service thread reads was adopted here: its
         * parser starts afresh, whatever used the number before */
        au_rx_hook_attach(lws_get_socket_fd(wsi));
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        au_conn_guard_destroyed(&srv->cg, wsi);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (srv->ctx && !srv->destroying) pump(srv);
        return 0;
    case LWS_CALLBACK_FILTER_HTTP_CONNECTION: {
        au_guard_verdict gv = au_guard_check(wsi, &srv->guard, false);
        if (!gv.status) return 0;
        atomic_fetch_add(&srv->metrics.rejected_bad, 1);
        return au_guard_refuse(wsi, gv.status, gv.code, gv.message);
    }
    case LWS_CALLBACK_RAW_ADOPT:
        /* lws hands a CONNECT request over as a raw socket: answer it at
         * once instead of leaving it open */
        return au_guard_refuse_raw(wsi);
    case LWS_CALLBACK_HTTP:
        return http_request(srv, wsi, pss, (const char *)in);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        if (pss && pss->hl) return au_http_stream_writeable(srv->http, pss->hl);
        return http_writeable(srv, wsi, pss);
    case LWS_CALLBACK_HTTP_FILE_COMPLETION: /* an export download */
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (pss && pss->hl) {
            au_http_stream_closed(srv->http, pss->hl);
            pss->hl = NULL;
        }
        if (pss && pss->hls_wait && srv->hls) au_hls_forget(srv->hls, wsi);
        if (pss) {
            pss->hls_wait = false;
            http_reset(pss);
        }
        return 0;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
        int r = confirm_upgrade(srv, wsi, (const char *)in);
        /* a refused upgrade ends the connection (its answer says
         * "connection: close"): frames sent after it are not requests */
        if (r) au_rx_hook_hangup(lws_get_socket_fd(wsi));
        return r;
    }
    case LWS_CALLBACK_ESTABLISHED:
        pss->l = NULL;
        pss->hl = NULL;
        pss->owned = NULL;
        pss->body = NULL;
        return listener_open(srv, wsi, pss);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!pss->l) return -1;
        return listener_write(srv, wsi, pss->l);
    case LWS_CALLBACK_RECEIVE:
        if (!pss->l) return -1;
        return listener_receive(srv, wsi, pss->l, in, len);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        return au_guard_peer_close(in, len);
    case LWS_CALLBACK_CLOSED: listener_close(srv, pss); return 0;
    default: return 0;
    }
}

static const struct lws_protocols protocols[] = {
    /* tx_packet_size: lws_issue_raw sends at most this per send() (by
     * default the rx_buffer_size, 4 KiB): a 19 KB chunk left in five
     * pieces, four of them copied into lws's buflist_out and each waiting
     * for another poll() round over every socket - the load test's stalls.
     * Now one send() per listener per chunk. */
    {"auralis", callback, sizeof(pss_t), 4096, 0, NULL, AU_TX_PACKET},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* -------------------------------------------------------------- running */

au_server_config au_server_config_default(void)
{
    au_server_config c;
    memset(&c, 0, sizeof c);
    c.host = "127.0.0.1";
    c.port = 8000;
    c.max_clients = 1024;
    c.rate = 48000;
    c.workers = 0;
    c.web_root = NULL;
    c.prefill_ms = 500;
    c.backlog_ms = 2000;
    c.stuck_ms = 10000;
    c.station_linger_ms = 30000;
    c.max_streams = 0; /* measured */
    c.max_streams_per_address = AU_DEFAULT_STREAMS_PER_ADDRESS;
    c.max_pending_per_address = AU_DEFAULT_PENDING_PER_ADDRESS;
    c.opus_bitrate = AU_OPUS_BITRATE_STREAM;
    c.export_jobs = 4;
    c.export_per_client = 2;
    c.export_threads = 1;
    c.export_max_minutes = 240;
    c.export_keep_s = 900;
    c.resume_keep_s = 600;
    return c;
}

static void *signal_main(void *arg)
{
    sigset_t *set = arg;
    for (;;) {
        int sig = 0;
        if (sigwait(set, &sig) != 0) continue;
        atomic_store(&g_stop, 1);
        struct lws_context *ctx = atomic_load(&g_ctx);
        if (ctx) lws_cancel_service(ctx);
    }
    return NULL;
}

static void wake_service(void *arg)
{
    (void)arg;
    struct lws_context *ctx =
        atomic_load_explicit(&g_ctx, memory_order_acquire);
    if (ctx) lws_cancel_service(ctx);
}

/* A clear message for the commonest start-up failure, found before lws
 * (whose own log line is cryptic) tries the same bind. */
static int check_bind(const char *host, int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
        fprintf(stderr, "auralis: --host must be an IPv4 address (got '%s')\n",
                host);
        return AU_EINVAL;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int r = bind(fd, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(fd);
    if (r == 0) return 0;
    if (e == EADDRINUSE)
        fprintf(stderr,
                "auralis: port %d on %s is already in use (is another "
                "auralis running? choose another with --port)\n",
                port, host);
    else
        fprintf(stderr, "auralis: cannot listen on %s:%d: %s\n", host, port,
                strerror(e));
    return AU_EIO;
}

int au_server_run(const au_server_config *cfg)
{
    if (cfg->max_clients < 1 || (cfg->rate != 48000 && cfg->rate != 44100) ||
        cfg->port < 0 || cfg->port > 65535 || cfg->prefill_ms < 100 ||
        au_opus_check_bitrate(cfg->opus_bitrate, NULL, 0))
        return AU_EINVAL;
    int r = check_bind(cfg->host, cfg->port);
    if (r) return r;

    au_server *srv = calloc(1, sizeof *srv);
    if (!srv) return AU_ENOMEM;
    srv->cfg = *cfg;
    srv->start_ns = au_mono_ns();
    srv->prefill = cfg->prefill_ms / 100;
    srv->backlog = cfg->backlog_ms / 100;
    if (srv->backlog < srv->prefill + 2) srv->backlog = srv->prefill + 2;
    if (srv->backlog > AU_STREAM_SLOTS - 6) srv->backlog = AU_STREAM_SLOTS - 6;
    srv->stuck_ns = (int64_t)cfg->stuck_ms * 1000000;
    srv->linger_ns = (int64_t)cfg->station_linger_ms * 1000000;
    srv->park_ns = (int64_t)cfg->resume_keep_s * 1000000000;
    srv->guard.loopback = !strncmp(cfg->host, "127.", 4);
    srv->guard.allow_hosts = cfg->allow_hosts;
    srv->guard.allow_origins = cfg->allow_origins;
    au_metrics_init(&srv->metrics);
    atomic_store(&g_stop, 0);
    r = AU_ENOMEM;

    if (cfg->web_root && !realpath(cfg->web_root, srv->web_root)) {
        fprintf(stderr, "auralis: --web-root '%s': %s\n", cfg->web_root,
                strerror(errno));
        free(srv);
        return AU_EINVAL;
    }
    size_t nassets = 0;
    while (au_web_assets[nassets].path)
        nassets++;
    srv->etags = calloc(nassets + 1, sizeof *srv->etags);
    srv->pool = calloc((size_t)cfg->max_clients, sizeof *srv->pool);
    if (!srv->etags || !srv->pool) goto out;
    for (size_t i = 0; i < nassets; i++)
        srv->etags[i] = fnv1a(au_web_assets[i].data, au_web_assets[i].size);
    for (int i = cfg->max_clients - 1; i >= 0; i--) {
        srv->pool[i].next = srv->free_list;
        srv->free_list = &srv->pool[i];
    }

    /* room for every listener's socket plus HTTP and internal fds */
    /* WebSocket and HTTP stream listeners each up to --max-clients */
    rlim_t want = (rlim_t)cfg->max_clients * 2 + AU_CONN_HEADROOM + 128;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
        rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    /* this thread runs lws_service(): its reads of client sockets pass
     * through the shadow parser (rx_guard.h) */
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) rl.rlim_cur = (rlim_t)want;
    if (au_rx_hook_init(rl.rlim_cur > 1048576 ? 1048576 : (int)rl.rlim_cur,
                        &srv->metrics.rejected_bad))
        goto out;

    /* signals go to one thread that wakes the service loop */
    static sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    static pthread_t sig_thread;
    static bool sig_started;
    if (!sig_started) {
        if (pthread_create(&sig_thread, NULL, signal_main, &sigs) == 0) {
            pthread_detach(sig_thread);
            sig_started = true;
        }
    }

    /* after the signal mask: the monitor thread inherits it, so SIGTERM
     * still reaches only the signal thread */
    au_leak_config leak = au_leak_config_default();
    if (au_procmon_start(&srv->procmon, &srv->metrics, &leak))
        fprintf(stderr, "auralis: warning: no memory monitor (leak "
                        "detection off)\n");

    au_workers_config wc = au_workers_config_default();
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    wc.nworkers =
        cfg->workers > 0 ? cfg->workers : (cores > 0 ? (int)cores : 2);
    wc.max_streams = cfg->max_clients + 64;
    wc.wake = wake_service;
    wc.metrics = &srv->metrics;
    wc.realtime = cfg->realtime;

    srv->nworkers = wc.nworkers;
    double xrt = 0;
    int max_streams = cfg->max_streams;
    if (max_streams <= 0)
        max_streams = au_admission_measure(wc.nworkers, cfg->rate, &xrt);
    if (max_streams > wc.max_streams) max_streams = wc.max_streams;
    if (au_admission_init(&srv->adm, max_streams, cfg->max_streams_per_address,
                          wc.max_streams) ||
        au_conn_guard_init(&srv->cg, cfg->max_clients * 2 + AU_CONN_HEADROOM,
                           cfg->max_pending_per_address,
                           &srv->metrics.conns_refused_address))
        goto out;
    atomic_store(&srv->metrics.max_streams, max_streams);
    if (au_workers_start(&srv->workers, &wc)) goto out;
    if (au_records_init(&srv->records, 1024,
                        (int64_t)cfg->resume_keep_s * 1000000000))
        goto out;
    if (au_preparer_start(&srv->preparer, wake_service, NULL)) goto out;
    if (cfg->export_jobs > 0) {
        au_export_config ec = au_export_config_default();
        ec.max_jobs = cfg->export_jobs;
        ec.per_client = cfg->export_per_client;
        ec.threads = cfg->export_threads;
        ec.max_minutes = cfg->export_max_minutes;
        ec.keep_s = cfg->export_keep_s;
        ec.dir = cfg->export_dir;
        ec.in_process = cfg->export_in_process;
        ec.no_yield = cfg->export_no_yield;
        if (au_exports_start(&srv->exports, &ec)) {
            fprintf(stderr, "auralis: cannot start exports (folder %s)\n",
                    cfg->export_dir ? cfg->export_dir : "under $TMPDIR");
            r = AU_EIO;
            goto out;
        }
    }
    au_http_streams_config hsc = {
        .max_listeners = cfg->max_clients,
        .rate = cfg->rate,
        .prefill = srv->prefill,
        .backlog = srv->backlog,
        .stuck_ns = srv->stuck_ns,
        .opus_bitrate = cfg->opus_bitrate,
        .mp3_kbps = AU_MP3_KBPS_DEFAULT,
        .metrics = &srv->metrics,
        .find = find_station_cb,
        .find_arg = srv,
    };
    if (au_http_streams_create(&srv->http, &hsc)) goto out;
    srv->http_next = INT64_MAX;

    au_hls_config hc = au_hls_config_default();
    hc.rate = cfg->rate;
    hc.wake = hls_wake;
    hc.arg = srv;
    hc.metrics = &srv->metrics;
    if (au_hls_start(&srv->hls, &hc)) goto out;

    if (cfg->icecast_url) {
        au_icecast_config ic;
        memset(&ic, 0, sizeof ic);
        char err[300];
        if (au_icecast_parse_url(cfg->icecast_url,
                                 getenv(AU_ICECAST_PASSWORD_ENV), &ic.target,
                                 err, sizeof err)) {
            fprintf(stderr, "auralis: %s\n", err);
            r = AU_EINVAL;
            goto out;
        }
        au_stream_request req;
        for (int i = 0; i < cfg->icecast_nstations; i++)
            if (icecast_spec(cfg->icecast_stations[i], &req, err, sizeof err)) {
                fprintf(stderr, "auralis: %s\n", err);
                r = AU_EINVAL;
                goto out;
            }
        if (cfg->rate != 48000) {
            fprintf(stderr, "auralis: --icecast publishes Opus, which is "
                            "48 kHz: use --rate 48000\n");
            r = AU_EINVAL;
            goto out;
        }
        ic.stations = cfg->icecast_stations;
        ic.nstations = cfg->icecast_nstations;
        ic.bitrate = cfg->opus_bitrate; /* the stations' own pages */
        ic.station = icecast_station;
        ic.arg = srv;
        ic.metrics = &srv->metrics;
        if ((r = au_icecast_start(&srv->icecast, &ic)) != 0) goto out;
        r = AU_ENOMEM;
    }

    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = cfg->port;
    info.iface = cfg->host;
    info.protocols = protocols;
    info.user = srv;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 |
                   LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
    /* WebSocket and HTTP stream listeners each up to --max-clients */
    info.fd_limit_per_thread =
        (unsigned)cfg->max_clients * 2 + AU_CONN_HEADROOM;
    info.headers = au_guard_response_headers();
    /* a resume query may carry a timeline (up to AU_QUERY_TIMELINE_MAX);
     * the headers proper are bounded by http_guard (431) */
    info.max_http_header_data = AU_QUERY_TIMELINE_MAX + AU_GUARD_HEADER_SPACE;
    /* RFC 6455: text frames and close reasons must be UTF-8 (else 1007) */
    info.options |= LWS_SERVER_OPTION_VALIDATE_UTF8;
    info.count_threads = 1;
    /* a connection that has not completed a request within 5 s is closed
     * (lws holds an unfinished request - slow headers, or forms its parser
     * cannot finish - until this timeout) */
    info.timeout_secs = AU_GUARD_REQUEST_TIMEOUT_S;
    info.timeout_secs_ah_idle = AU_GUARD_REQUEST_TIMEOUT_S;
    info.ka_time = 0;
    /* A listener only receives, so lws validates it with PINGs: one after
     * 30 s without anything from the peer, hang up after 75 s. Browsers and
     * every WebSocket library answer PINGs by themselves; this frees the
     * slot of a peer that vanished without closing (half-open TCP) in about
     * a minute instead of lws's default 310 s. */
    static const lws_retry_bo_t idle_policy = {
        .secs_since_valid_ping = 30,
        .secs_since_valid_hangup = 75,
    };
    info.retry_and_idle_policy = &idle_policy;
    srv->ctx = lws_create_context(&info);
    if (!srv->ctx) {
        fprintf(stderr, "auralis: cannot listen on %s:%d\n", cfg->host,
                cfg->port);
        r = AU_EIO;
        goto out;
    }
    atomic_store_explicit(&g_ctx, srv->ctx, memory_order_release);
    srv->vh = lws_get_vhost_by_name(srv->ctx, "default");
    int port = srv->vh ? lws_get_vhost_listen_port(srv->vh) : cfg->port;
    if (!cfg->quiet) {
        if (!strcmp(cfg->host, "0.0.0.0"))
            fprintf(stderr,
                    "auralis: warning: listening on all interfaces "
                    "(0.0.0.0): the server is exposed to the network\n");
        printf("auralis serve: %d render workers, up to %d listeners, %d Hz\n",
               wc.nworkers, cfg->max_clients, cfg->rate);
        if (xrt > 0)
            printf("stream budget: %d streams (one engine renders %.0fx real "
                   "time here; --max-streams to set)\n",
                   max_streams, xrt);
        else
            printf("stream budget: %d streams (--max-streams)\n", max_streams);
        printf("listening on http://%s:%d/\n", cfg->host, port);
        fflush(stdout);
    }

    schedule_pump(srv, au_mono_ns());
    while (!srv->done) {
        if (lws_service(srv->ctx, 0) < 0) break;
    }
    atomic_store(&g_ctx, NULL);
    srv->destroying = true; /* closes still arrive, as callbacks */
    lws_sul_cancel(&srv->sul);
    lws_context_destroy(srv->ctx);
    srv->ctx = NULL;
    r = 0;
out:
    for (au_stream *s = srv->streams; s; s = s->next) atomic_store(&s->cancel, 1);
    au_preparer_stop(srv->preparer);
    au_exports_stop(srv->exports);
    if (srv->icecast) au_icecast_stop(srv->icecast);
    if (srv->hls) au_hls_stop(srv->hls); /* detaches its taps */
    if (srv->workers) au_workers_stop(srv->workers);
    au_procmon_stop(srv->procmon);
    au_http_streams_destroy(srv->http);
    for (au_stream *s = srv->streams, *n; s; s = n) {
        n = s->next;
        au_stream_free(s);
    }
    au_admission_deinit(&srv->adm);
    au_conn_guard_deinit(&srv->cg);
    au_rx_hook_deinit();
    au_records_deinit(&srv->records);
    free(srv->pool);
    free(srv->etags);
    free(srv);
    return r;
}
