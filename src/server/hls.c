#define _GNU_SOURCE /* ppoll */
#include "server/hls.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "core/au.h"
#include "io/hls.h"
#include "server/query.h"
#include "server/tap.h"

#define TAP_CAP 32   /* 3.2 s of chunks between the station and the muxer */
#define FILES_CAP 64 /* finished files waiting for the service thread */
#define KEEP_EXTRA                                                             \
    4              /* segments kept after they left the playlist, for          \
                      clients (and caches) that fetch a little late */
#define MAX_WAIT 8 /* requests waiting for one output's first playlist */

enum { SLOT_FREE, SLOT_ACTIVE, SLOT_STOPPING, SLOT_STOPPED };

typedef struct {
    char name[64];
    unsigned char *data;
    size_t len;
} blob;

typedef struct {
    _Atomic int state;
    _Atomic int failed; /* the muxer could not be created */
    bool tap_ready;
    au_tap tap;
    uint64_t dropped_seen; /* service: tap drops already counted */
    au_spsc files; /* HLS thread -> service: blob items */
    blob file_items[FILES_CAP];
    char token[24];
    /* HLS-thread-private */
    au_hls_muxer *mux;
    struct au_hls *owner;
    /* service-private */
    au_stream *stream;
    int64_t started_ns, last_request_ns;
    blob init, playlist;
    blob *segs; /* ring of the newest `keep` segments */
    int keep, nseg;
    void *waiting[MAX_WAIT];
    int nwait;
} slot_t;

struct au_hls {
    au_hls_config cfg;
    slot_t *slots;
    pthread_t thread;
    bool thread_started;
    int efd;
    _Atomic int stop;
    uint64_t outputs_started;
    au_tap_chunk scratch; /* HLS-thread-private */
};

au_hls_config au_hls_config_default(void)
{
    au_hls_config c;
    memset(&c, 0, sizeof c);
    c.rate = 48000;
    c.bitrate = 128000;
    c.segment_ms = 4000;
    c.list_size = 6;
    c.max_outputs = 64;
    c.idle_ms = 60000;
    return c;
}

static void blob_free(blob *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static void kick(void *arg)
{
    au_hls *h = arg;
    uint64_t one = 1;
    ssize_t r = write(h->efd, &one, sizeof one);
    (void)r; /* fails only if the counter would overflow */
}

/* ------------------------------------------------------------ HLS thread */

static void on_file(void *arg, const char *name, const unsigned char *data,
                    size_t len)
{
    slot_t *sl = arg;
    blob b;
    memset(&b, 0, sizeof b);
    snprintf(b.name, sizeof b.name, "%s", name);
    b.data = malloc(len ? len : 1);
    if (!b.data) return;
    memcpy(b.data, data, len);
    b.len = len;
    if (!au_spsc_push(&sl->files, &b)) {
        /* the service thread is far behind: the playlist may name a
         * segment we never kept; clients retry the next one */
        free(b.data);
        if (sl->owner->cfg.metrics)
            atomic_fetch_add_explicit(
                &sl->owner->cfg.metrics->outputs.hls_files_dropped, 1,
                memory_order_relaxed);
    }
}

static void run_slot(au_hls *h, slot_t *sl)
{
    int st = atomic_load_explicit(&sl->state, memory_order_acquire);
    if (st == SLOT_ACTIVE) {
        if (!sl->mux && !atomic_load(&sl->failed)) {
            au_hls_config *c = &h->cfg;
            au_hls_muxer_config mc = au_hls_muxer_config_default();
            mc.rate = c->rate;
            mc.bitrate = c->bitrate;
            mc.segment_ms = c->segment_ms;
            mc.list_size = c->list_size;
            mc.token = sl->token;
            mc.on_file = on_file;
            mc.arg = sl;
            char err[200] = "";
            if (au_hls_muxer_create(&sl->mux, &mc, err, sizeof err)) {
                fprintf(stderr, "auralis: %s\n", err);
                atomic_store(&sl->failed, 1);
            }
        }
        while (au_tap_pop(&sl->tap, &h->scratch)) {
            if (!sl->mux) continue;
            if (au_hls_muxer_write(sl->mux, h->scratch.pcm,
                                   h->scratch.frames) &&
                !atomic_exchange(&sl->failed, 1))
                fprintf(stderr, "auralis: hls: encoding failed; output "
                                "stopped\n");
        }
    } else if (st == SLOT_STOPPING) {
        au_hls_muxer_destroy(sl->mux);
        sl->mux = NULL;
        while (au_tap_pop(&sl->tap, &h->scratch)) {
        }
        atomic_store_explicit(&sl->state, SLOT_STOPPED, memory_order_release);
    }
}

static void *hls_main(void *arg)
{
    au_hls *h = arg;
    pthread_setname_np(pthread_self(), "au-hls"); /* for top -H, benches */
    while (!atomic_load_explicit(&h->stop, memory_order_acquire)) {
        for (int i = 0; i < h->cfg.max_outputs; i++)
            run_slot(h, &h->slots[i]);
        /* woken by every tap push; the timeout only bounds shutdown */
        struct timespec ts = {0, 200000000};
        struct pollfd pfd = {h->efd, POLLIN, 0};
        if (ppoll(&pfd, 1, &ts, NULL) > 0) {
            uint64_t v;
            ssize_t r = read(h->efd, &v, sizeof v);
            (void)r;
        }
    }
    for (int i = 0; i < h->cfg.max_outputs; i++) {
        au_hls_muxer_destroy(h->slots[i].mux);
        h->slots[i].mux = NULL;
    }
    return NULL;
}

/* --------------------------------------------------------------- service */

int au_hls_start(au_hls **out, const au_hls_config *cfg)
{
    if (cfg->max_outputs < 1 || cfg->list_size < 3) return AU_EINVAL;
    au_hls *h = calloc(1, sizeof *h);
    if (!h) return AU_ENOMEM;
    h->cfg = *cfg;
    h->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    h->slots = calloc((size_t)cfg->max_outputs, sizeof *h->slots);
    if (h->efd < 0 || !h->slots) {
        au_hls_stop(h);
        return AU_ENOMEM;
    }
    for (int i = 0; i < cfg->max_outputs; i++) {
        slot_t *sl = &h->slots[i];
        atomic_init(&sl->state, SLOT_FREE);
        atomic_init(&sl->failed, 0);
        sl->owner = h;
        au_spsc_init(&sl->files, sl->file_items, sizeof(blob), FILES_CAP);
    }
    /* libav's informational lines (encoder statistics) are not ours to print */
    av_log_set_level(AV_LOG_ERROR);
    if (pthread_create(&h->thread, NULL, hls_main, h) != 0) {
        au_hls_stop(h);
        return AU_ENOMEM;
    }
    h->thread_started = true;
    *out = h;
    return 0;
}

static void drain_files(slot_t *sl)
{
    blob b;
    while (au_spsc_pop(&sl->files, &b))
        free(b.data);
}

static void slot_clear(slot_t *sl)
{
    drain_files(sl);
    blob_free(&sl->init);
    blob_free(&sl->playlist);
    for (int i = 0; i < sl->keep && sl->segs; i++)
        blob_free(&sl->segs[i]);
    sl->nseg = 0;
    sl->stream = NULL;
    sl->nwait = 0;
    atomic_store(&sl->failed, 0);
}

void au_hls_stop(au_hls *h)
{
    if (!h) return;
    if (h->thread_started) {
        atomic_store_explicit(&h->stop, 1, memory_order_release);
        kick(h);
        pthread_join(h->thread, NULL);
    }
    for (int i = 0; h->slots && i < h->cfg.max_outputs; i++) {
        slot_t *sl = &h->slots[i];
        slot_clear(sl);
        if (sl->tap_ready) au_tap_deinit(&sl->tap);
        free(sl->segs);
    }
    free(h->slots);
    if (h->efd >= 0) close(h->efd);
    free(h);
}

int au_hls_parse_path(const char *uri, char name[AU_STATION_NAME_MAX + 1],
                      char file[64])
{
    if (strncmp(uri, "/hls/", 5)) return -1;
    const char *n = uri + 5, *slash = strchr(n, '/');
    if (!slash || slash == n || slash - n > AU_STATION_NAME_MAX) return -1;
    memcpy(name, n, (size_t)(slash - n));
    name[slash - n] = '\0';
    if (!au_station_name_ok(name)) return -1;
    /* the file: the server's one rule for names in paths (query.h) */
    const char *f = slash + 1;
    if (!au_path_name_ok(f, 63)) return -1;
    memcpy(file, f, strlen(f) + 1);
    return 0;
}

static slot_t *find_slot(au_hls *h, const au_stream *s)
{
    for (int i = 0; i < h->cfg.max_outputs; i++) {
        slot_t *sl = &h->slots[i];
        if (atomic_load(&sl->state) == SLOT_ACTIVE && sl->stream == s)
            return sl;
    }
    return NULL;
}

static slot_t *open_slot(au_hls *h, au_stream *s, int64_t now)
{
    for (int i = 0; i < h->cfg.max_outputs; i++) {
        slot_t *sl = &h->slots[i];
        if (atomic_load(&sl->state) != SLOT_FREE) continue;
        if (!sl->tap_ready) {
            if (au_tap_init(&sl->tap, TAP_CAP)) return NULL;
            sl->tap_ready = true;
        }
        if (!sl->segs) {
            sl->keep = h->cfg.list_size + KEEP_EXTRA;
            sl->segs = calloc((size_t)sl->keep, sizeof *sl->segs);
            if (!sl->segs) return NULL;
        }
        uint32_t rnd = 0;
        if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
            rnd = (uint32_t)now;
        snprintf(sl->token, sizeof sl->token, "%08x%llx", rnd,
                 (unsigned long long)++h->outputs_started);
        sl->stream = s;
        sl->started_ns = sl->last_request_ns = now;
        sl->tap.hold = true;
        sl->tap.wake = kick;
        sl->tap.wake_arg = h;
        au_tap_attach(&sl->tap, s);
        atomic_store_explicit(&sl->state, SLOT_ACTIVE, memory_order_release);
        if (h->cfg.metrics)
            atomic_fetch_add(&h->cfg.metrics->outputs.hls_outputs, 1);
        kick(h);
        return sl;
    }
    return NULL;
}

static void reply(au_hls_reply *r, unsigned status, const char *ctype,
                  const char *cache, const unsigned char *data, size_t len)
{
    r->status = status;
    r->content_type = ctype;
    r->cache_control = cache;
    r->body = malloc(len + 1);
    r->len = r->body ? len : 0;
    if (r->body) memcpy(r->body, data, len);
}

static void reply_error(au_hls_reply *r, unsigned status, const char *msg)
{
    char b[256];
    int n = snprintf(b, sizeof b, "{\"error\":\"%s\"}", msg);
    reply(r, status, "application/json", "no-store", (unsigned char *)b,
          (size_t)n);
}

static int64_t wait_limit_ns(const au_hls *h)
{
    /* the first segment needs segment_ms of real-time audio; generous for
     * a machine so busy that the station starts late */
    return (int64_t)(2 * h->cfg.segment_ms + 20000) * 1000000;
}

int au_hls_request(au_hls *h, au_stream *s, const char *file, void *wsi,
                   int64_t now, au_hls_reply *r)
{
    memset(r, 0, sizeof *r);
    bool playlist = !strcmp(file, AU_HLS_PLAYLIST);
    if (h->cfg.metrics)
        atomic_fetch_add_explicit(&h->cfg.metrics->outputs.hls_requests, 1,
                                  memory_order_relaxed);
    slot_t *sl = s ? find_slot(h, s) : NULL;
    if (!sl && playlist && s) {
        sl = open_slot(h, s, now);
        if (!sl) {
            reply_error(r, 503, "too many stations have HLS outputs");
            return AU_HLS_REPLY;
        }
    }
    if (!sl) {
        reply_error(r, 404, "not found");
        return AU_HLS_REPLY;
    }
    sl->last_request_ns = now;
    if (playlist) {
        if (sl->playlist.data) {
            reply(r, 200, "application/vnd.apple.mpegurl", "public, max-age=1",
                  sl->playlist.data, sl->playlist.len);
            return AU_HLS_REPLY;
        }
        if (atomic_load(&sl->failed)) {
            reply_error(r, 503, "the HLS encoder failed");
            return AU_HLS_REPLY;
        }
        if (now - sl->started_ns > wait_limit_ns(h) || sl->nwait >= MAX_WAIT) {
            reply_error(r, 503, "the first segment is not ready; retry");
            return AU_HLS_REPLY;
        }
        for (int i = 0; i < sl->nwait; i++)
            if (sl->waiting[i] == wsi) return AU_HLS_WAIT;
        sl->waiting[sl->nwait++] = wsi;
        return AU_HLS_WAIT;
    }
    static const char immutable[] = "public, max-age=31536000, immutable";
    if (sl->init.data && !strcmp(file, sl->init.name)) {
        reply(r, 200, "audio/mp4", immutable, sl->init.data, sl->init.len);
        return AU_HLS_REPLY;
    }
    for (int i = 0; i < sl->keep; i++)
        if (sl->segs[i].data && !strcmp(file, sl->segs[i].name)) {
            if (h->cfg.metrics)
                atomic_fetch_add_explicit(
                    &h->cfg.metrics->outputs.hls_segments_served, 1,
                    memory_order_relaxed);
            reply(r, 200, "audio/mp4", immutable, sl->segs[i].data,
                  sl->segs[i].len);
            return AU_HLS_REPLY;
        }
    reply_error(r, 404, "no such segment (it may have left the playlist)");
    return AU_HLS_REPLY;
}

bool au_hls_full(const au_hls *h)
{
    for (int i = 0; i < h->cfg.max_outputs; i++)
        if (atomic_load(&h->slots[i].state) == SLOT_FREE) return false;
    return true;
}

void au_hls_forget(au_hls *h, void *wsi)
{
    for (int i = 0; i < h->cfg.max_outputs; i++) {
        slot_t *sl = &h->slots[i];
        for (int k = 0; k < sl->nwait; k++)
            if (sl->waiting[k] == wsi) {
                sl->waiting[k] = sl->waiting[--sl->nwait];
                k--;
            }
    }
}

static void wake_waiters(au_hls *h, slot_t *sl)
{
    int n = sl->nwait;
    sl->nwait = 0;
    for (int k = 0; k < n; k++)
        if (h->cfg.wake) h->cfg.wake(h->cfg.arg, sl->waiting[k]);
}

static void stop_slot(au_hls *h, slot_t *sl)
{
    au_tap_detach(&sl->tap);
    sl->stream = NULL;
    atomic_store_explicit(&sl->state, SLOT_STOPPING, memory_order_release);
    wake_waiters(h, sl); /* they now find no output: 404 */
    if (h->cfg.metrics)
        atomic_fetch_sub(&h->cfg.metrics->outputs.hls_outputs, 1);
    kick(h);
}

void au_hls_pump(au_hls *h, int64_t now)
{
    for (int i = 0; i < h->cfg.max_outputs; i++) {
        slot_t *sl = &h->slots[i];
        int st = atomic_load_explicit(&sl->state, memory_order_acquire);
        if (st == SLOT_FREE) continue;
        if (st == SLOT_STOPPED) {
            slot_clear(sl);
            atomic_store_explicit(&sl->state, SLOT_FREE, memory_order_release);
            continue;
        }
        if (sl->tap_ready && h->cfg.metrics) {
            uint64_t d = atomic_load(&sl->tap.dropped);
            if (d > sl->dropped_seen)
                atomic_fetch_add(&h->cfg.metrics->outputs.hls_chunks_dropped,
                                 d - sl->dropped_seen);
            sl->dropped_seen = d;
        }
        blob b;
        bool new_playlist = false;
        while (au_spsc_pop(&sl->files, &b)) {
            if (!strcmp(b.name, AU_HLS_PLAYLIST)) {
                blob_free(&sl->playlist);
                sl->playlist = b;
                new_playlist = true;
            } else if (strstr(b.name, "-init.mp4")) {
                blob_free(&sl->init);
                sl->init = b;
            } else {
                blob *d = &sl->segs[sl->nseg++ % sl->keep];
                blob_free(d);
                *d = b;
                if (h->cfg.metrics)
                    atomic_fetch_add_explicit(
                        &h->cfg.metrics->outputs.hls_segments, 1,
                        memory_order_relaxed);
            }
        }
        if (st != SLOT_ACTIVE) continue;
        if (sl->nwait && (new_playlist || atomic_load(&sl->failed) ||
                          now - sl->started_ns > wait_limit_ns(h)))
            wake_waiters(h, sl);
        if (now - sl->last_request_ns > (int64_t)h->cfg.idle_ms * 1000000)
            stop_slot(h, sl);
    }
}

void au_hls_stream_gone(au_hls *h, au_stream *s)
{
    slot_t *sl = find_slot(h, s);
    if (sl) stop_slot(h, sl);
}
