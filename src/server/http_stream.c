#include "server/http_stream.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "core/au.h"
#include "server/http_guard.h"
#include "server/query.h"
#include "server/wire.h"

#define ICY_METAINT 16000 /* audio bytes between ICY metadata blocks */
/* one chunk of MP3 with its metadata blocks, or the Ogg header pages */
#define SCRATCH (64 * 1024)
#define WRITES_PER_CALL 8
#define HTTP_PHASES 5 /* send phases per chunk period (see start) */

struct au_hlistener {
    struct lws *wsi;
    au_stream *s;
    au_hlistener *prev, *next; /* the live list, or the free list */
    int64_t cursor, offset_ns, joined_ns, last_progress_ns;
    int fmt;
    int icy_left; /* audio bytes until the next metadata block */
    bool icy, head_sent, want_write, closing;
};

struct au_http_streams {
    au_http_streams_config cfg;
    au_hlistener *pool, *free, *live;
    int n;
    unsigned char *scratch; /* AU_WIRE_PRE + SCRATCH, service thread */
};

int au_http_streams_create(au_http_streams **out,
                           const au_http_streams_config *cfg)
{
    au_http_streams *h = calloc(1, sizeof *h);
    if (!h) return AU_ENOMEM;
    h->cfg = *cfg;
    h->pool = calloc((size_t)cfg->max_listeners, sizeof *h->pool);
    h->scratch = malloc(AU_WIRE_PRE + SCRATCH);
    if (!h->pool || !h->scratch) {
        au_http_streams_destroy(h);
        return AU_ENOMEM;
    }
    for (int i = cfg->max_listeners - 1; i >= 0; i--) {
        h->pool[i].next = h->free;
        h->free = &h->pool[i];
    }
    *out = h;
    return 0;
}

void au_http_streams_destroy(au_http_streams *h)
{
    if (!h) return;
    free(h->pool);
    free(h->scratch);
    free(h);
}

int au_http_streams_count(const au_http_streams *h)
{
    return h ? h->n : 0;
}

/* ------------------------------------------------------------ replies */

/* A complete small response (errors, playlists) in one write, then the
 * transaction ends. Streams are public: any origin may play them. */
static int reply(struct lws *wsi, unsigned status, const char *ctype,
                 const char *body)
{
    size_t n = strlen(body);
    unsigned char buf[LWS_PRE + 4096], *start = buf + LWS_PRE, *p = start,
                                       *end = buf + sizeof buf - 1;
    if (lws_add_http_common_headers(wsi, status, ctype, (lws_filepos_t)n, &p,
                                    end))
        return -1;
    /* nosniff, CORP and COOP/COEP come from the vhost (http_guard.c) */
    if (au_http_header(wsi, "cache-control:", "no-store", &p, end)) return -1;
    if (au_http_header(wsi, "access-control-allow-origin:", "*", &p,
                       end))
        return -1;
    if (lws_finalize_http_header(wsi, &p, end)) return -1;
    if ((size_t)(end - p) < n) return -1;
    memcpy(p, body, n);
    p += n;
    if (lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_FINAL) < 0)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int reply_error(struct lws *wsi, unsigned status, const char *message)
{
    char body[700], esc[600];
    if (au_wire_escape(message, esc, sizeof esc) < 0) esc[0] = '\0';
    snprintf(body, sizeof body, "{\"error\":\"%s\"}", esc);
    return reply(wsi, status, "application/json", body);
}

/* The Host the client used, for absolute URLs in playlists; only
 * characters of a host[:port] (no header injection into a playlist). */
static int client_host(struct lws *wsi, char *host, size_t len)
{
    if (lws_hdr_copy(wsi, host, (int)len, WSI_TOKEN_HOST) <= 0) return -1;
    for (const char *c = host; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == ':' ||
              *c == '[' || *c == ']'))
            return -1;
    return 0;
}

static int playlist(struct lws *wsi, const char *name, bool pls)
{
    char host[128], body[1024];
    if (client_host(wsi, host, sizeof host))
        return reply_error(wsi, 400, "a Host header is needed for playlists");
    if (pls)
        snprintf(body, sizeof body,
                 "[playlist]\nNumberOfEntries=2\n"
                 "File1=http://%s/stream/%s.mp3\nTitle1=Auralis %s (MP3)\n"
                 "Length1=-1\n"
                 "File2=http://%s/stream/%s.opus\nTitle2=Auralis %s (Opus)\n"
                 "Length2=-1\nVersion=2\n",
                 host, name, name, host, name, name);
    else
        snprintf(body, sizeof body,
                 "#EXTM3U\n#EXTINF:-1,Auralis %s\nhttp://%s/stream/%s.mp3\n",
                 name, host, name);
    return reply(wsi, 200, pls ? "audio/x-scpls" : "audio/x-mpegurl", body);
}

/* ------------------------------------------------------------ listeners */

static void want_write(au_hlistener *l)
{
    if (!l->want_write) {
        l->want_write = true;
        lws_callback_on_writable(l->wsi);
    }
}

static int start_stream(au_http_streams *h, struct lws *wsi, au_stream *s,
                        int fmt, bool icy)
{
    unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start,
                                       *end = buf + sizeof buf - 1;
    char name[80], desc[200], br[16], metaint[16];
    const au_params *pr = &s->shown;
    snprintf(name, sizeof name, "Auralis %s", s->name);
    snprintf(desc, sizeof desc,
             "Generative ambient music, station %s (seed %llu, %s %s)", s->name,
             (unsigned long long)pr->seed, au_key_name(pr->key),
             au_mode_name(pr->mode));
    snprintf(br, sizeof br, "%d",
             fmt == AU_HTTP_MP3 ? h->cfg.mp3_kbps : h->cfg.opus_bitrate / 1000);
    snprintf(metaint, sizeof metaint, "%d", ICY_METAINT);
    /* no length: the body ends when the connection does (Icecast style) */
    if (lws_add_http_common_headers(
            wsi, 200, fmt == AU_HTTP_MP3 ? "audio/mpeg" : "audio/ogg",
            LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end))
        return -1;
    if (au_http_header(wsi, "cache-control:", "no-cache, no-store", &p,
                       end))
        return -1;
    if (au_http_header(wsi, "access-control-allow-origin:", "*", &p,
                       end))
        return -1;
    if (au_http_header(wsi, "icy-name:", name, &p, end)) return -1;
    if (au_http_header(wsi, "icy-description:", desc, &p, end)) return -1;
    if (au_http_header(wsi, "icy-genre:", "Ambient", &p, end)) return -1;
    if (au_http_header(wsi, "icy-pub:", "0", &p, end)) return -1;
    if (au_http_header(wsi, "icy-br:", br, &p, end)) return -1;
    if (icy && au_http_header(wsi, "icy-metaint:", metaint, &p, end)) return -1;
    if (lws_finalize_write_http_header(wsi, start, &p, end)) return -1;
    return 0;
}

int au_http_stream_request(au_http_streams *h, struct lws *wsi, const char *uri,
                           au_hlistener **out)
{
    *out = NULL;
    char name[AU_STATION_NAME_MAX + 16];
    const char *rest = uri + strlen("/stream/");
    const char *dot = strrchr(rest, '.');
    static const char usage[] =
        "stream URLs are /stream/NAME.opus, /stream/NAME.mp3, "
        "/stream/NAME.m3u or /stream/NAME.pls";
    if (!dot || dot == rest || (size_t)(dot - rest) >= sizeof name)
        return reply_error(wsi, 400, usage);
    memcpy(name, rest, (size_t)(dot - rest));
    name[dot - rest] = '\0';
    const char *ext = dot + 1;
    int kind = !strcmp(ext, "opus")  ? 0
               : !strcmp(ext, "mp3") ? 1
               : !strcmp(ext, "m3u") ? 2
               : !strcmp(ext, "pls") ? 3
                                     : -1;
    char msg[300];
    if (kind < 0) {
        snprintf(msg, sizeof msg, "unknown stream format '.%.16s': %s", ext,
                 usage);
        return reply_error(wsi, 400, msg);
    }
    if (!au_station_name_ok(name))
        return reply_error(wsi, 400,
                           "station names are 1 to 32 characters of "
                           "A-Z a-z 0-9 . _ -");
    au_stream *s = h->cfg.find(h->cfg.find_arg, name);
    if (!s) {
        snprintf(msg, sizeof msg,
                 "no station '%s' is playing (a WebSocket listener starts "
                 "it: /ws?station=%s)",
                 name, name);
        return reply_error(wsi, 404, msg);
    }
    if (kind >= 2) return playlist(wsi, name, kind == 3);
    int fmt = kind == 0 ? AU_HTTP_OGG : AU_HTTP_MP3;
    if (fmt == AU_HTTP_OGG && !s->ogg_on) {
        snprintf(msg, sizeof msg,
                 "Opus streams need a 48000 Hz server (this one runs at %d "
                 "Hz); use /stream/%s.mp3",
                 h->cfg.rate, name);
        return reply_error(wsi, 400, msg);
    }
    if (!h->free)
        return reply_error(wsi, 503,
                           "the server has no room for more "
                           "HTTP stream listeners");
    if (fmt == AU_HTTP_MP3 && au_stream_enable_mp3(s, h->cfg.mp3_kbps))
        return reply_error(wsi, 503, "the MP3 encoder could not start");

    char icyq[8] = "";
    bool icy =
        fmt == AU_HTTP_MP3 &&
        lws_hdr_custom_copy(wsi, icyq, sizeof icyq, "icy-metadata:", 13) > 0 &&
        icyq[0] == '1';
    if (start_stream(h, wsi, s, fmt, icy)) return -1;
    /* an endless response: no lws request timeout (--timeout_secs, 5 s);
     * the slow-listener rule decides when a listener goes */
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    /* HEAD: the headers only (players probe with it), no listener */
    if (au_guard_is_head(wsi))
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    /* everything needed from the request is read: give its header table
     * back now (lws allocates max_http_header_data, 32 KiB, per request;
     * the pages touched were ~5 KiB of resident memory per listener) rather
     * than hold it for the hours a stream lasts */
    lws_http_headers_detach(wsi);

    int64_t now = au_mono_ns();
    au_hlistener *l = h->free;
    h->free = l->next;
    memset(l, 0, sizeof *l);
    l->wsi = wsi;
    l->s = s;
    l->fmt = fmt;
    l->icy = icy;
    l->icy_left = ICY_METAINT;
    l->joined_ns = l->last_progress_ns = now;
    /* send phase from the join time, so thousands of HTTP listeners are
     * spread over the chunk period; 5 phases 20 ms apart (on the grid of
     * the WebSocket groups' 25) rather than 25: each phase costs the
     * service thread a wake-up and two poll()s over every socket, which
     * was most of its CPU, and an HTTP reader buffers seconds anyway */
    int64_t slot = s->pacer.chunk_ns / HTTP_PHASES;
    int64_t ph = ((now - s->pacer.t0_ns) % s->pacer.chunk_ns) / slot;
    l->offset_ns = ph >= 0 && ph < HTTP_PHASES ? ph * slot : 0;
    /* the burst: from the live edge minus prefill, within the ring */
    int64_t head = atomic_load_explicit(&s->head, memory_order_acquire);
    int64_t c = au_pacer_live(&s->pacer, now - l->offset_ns) - h->cfg.prefill;
    if (c < head - AU_STREAM_SLOTS + 2) c = head - AU_STREAM_SLOTS + 2;
    if (c < 0) c = 0;
    l->cursor = c;
    int64_t tail = atomic_load_explicit(&s->tail, memory_order_relaxed);
    if (c < tail) atomic_store_explicit(&s->tail, c, memory_order_release);
    if (c < s->http_min) s->http_min = c;

    l->next = h->live;
    if (h->live) h->live->prev = l;
    h->live = l;
    h->n++;
    s->http_listeners++;
    s->http_by_fmt[fmt]++;
    *out = l;
    want_write(l);
    return 0;
}

void au_http_stream_closed(au_http_streams *h, au_hlistener *l)
{
    au_stream *s = l->s;
    if (s) {
        s->http_listeners--;
        s->http_by_fmt[l->fmt]--;
        if (s->http_listeners == 0) {
            s->http_min = INT64_MAX;
            if (s->nlisteners == 0) s->empty_since_ns = au_mono_ns();
        }
    }
    if (l->prev)
        l->prev->next = l->next;
    else
        h->live = l->next;
    if (l->next) l->next->prev = l->prev;
    memset(l, 0, sizeof *l);
    l->next = h->free;
    h->free = l;
    h->n--;
}

static int64_t edge_of(const au_hlistener *l, int64_t now)
{
    au_stream *s = l->s;
    int64_t head = atomic_load_explicit(&s->head, memory_order_acquire);
    int64_t live = au_pacer_live(&s->pacer, now - l->offset_ns);
    return head < live ? head : live;
}

/* "StreamTitle='...';" as one ICY metadata block: a length byte (in 16s)
 * and the text padded with NULs. */
static size_t icy_block(const au_stream *s, unsigned char *out)
{
    char t[200];
    const au_params *p = &s->shown;
    int n =
        snprintf(t, sizeof t, "StreamTitle='Auralis %s: %s %s, %.0f bpm';",
                 s->name, au_key_name(p->key), au_mode_name(p->mode), p->bpm);
    if (n < 0) n = 0;
    if (n > (int)sizeof t - 1) n = (int)sizeof t - 1;
    size_t blocks = ((size_t)n + 15) / 16;
    out[0] = (unsigned char)blocks;
    memset(out + 1, 0, blocks * 16);
    memcpy(out + 1, t, (size_t)n);
    return 1 + blocks * 16;
}

/* MP3 bytes with a metadata block after every ICY_METAINT audio bytes of
 * this listener, into the scratch buffer. */
static size_t icy_pack(au_http_streams *h, au_hlistener *l,
                       const unsigned char *d, size_t len)
{
    unsigned char *out = h->scratch + AU_WIRE_PRE;
    size_t o = 0;
    while (len > 0 && o + 300 < SCRATCH) {
        size_t take = len < (size_t)l->icy_left ? len : (size_t)l->icy_left;
        if (o + take + 300 > SCRATCH) take = SCRATCH - 300 - o;
        memcpy(out + o, d, take);
        o += take;
        d += take;
        len -= take;
        l->icy_left -= (int)take;
        if (l->icy_left == 0) {
            o += icy_block(l->s, out + o);
            l->icy_left = ICY_METAINT;
        }
    }
    return o;
}

int au_http_stream_writeable(au_http_streams *h, au_hlistener *l)
{
    l->want_write = false;
    if (l->closing) return -1;
    au_stream *s = l->s;
    if (atomic_load_explicit(&s->state, memory_order_acquire) ==
        AU_STREAM_FAILED)
        return -1;
    struct lws *wsi = l->wsi;
    int64_t now = au_mono_ns();
    if (!l->head_sent) {
        l->head_sent = true;
        if (l->fmt == AU_HTTP_OGG) {
            size_t n;
            const unsigned char *hd = au_ogg_opus_headers(&s->ogg, &n);
            if (n > SCRATCH) return -1;
            memcpy(h->scratch + AU_WIRE_PRE, hd, n);
            if (lws_write(wsi, h->scratch + AU_WIRE_PRE, n, LWS_WRITE_HTTP) < 0)
                return -1;
        }
    }
    int64_t mp3_from = atomic_load_explicit(&s->mp3_from, memory_order_acquire);
    for (int n = 0; n < WRITES_PER_CALL; n++) {
        if (l->cursor >= edge_of(l, now)) break;
        if (n > 0 && lws_send_pipe_choked(wsi)) break;
        au_chunk *c = au_stream_chunk(s, l->cursor);
        const unsigned char *d = NULL;
        size_t len = 0;
        if (l->fmt == AU_HTTP_OGG) {
            d = c->ogg;
            len = c->ogg_len;
        } else if (l->cursor >= mp3_from) {
            d = c->mp3;
            len = c->mp3_len;
        }
        l->cursor++;
        l->last_progress_ns = now;
        if (len == 0) continue; /* before MP3 started, or LAME held it */
        if (l->icy) {
            len = icy_pack(h, l, d, len);
            d = h->scratch + AU_WIRE_PRE;
        }
        /* shared slot bytes: lws copies only what the socket did not take */
        if (lws_write(wsi, (unsigned char *)d, len, LWS_WRITE_HTTP) < 0)
            return -1;
        /* an HTTP listener never sends anything: its progress is what keeps
         * lws's idle-connection check from hanging up on it */
        lws_validity_confirmed(wsi);
    }
    if (l->cursor < edge_of(l, now)) want_write(l);
    return 0;
}

int64_t au_http_streams_pump(au_http_streams *h, int64_t now)
{
    int64_t next = now + 100000000;
    for (au_hlistener *l = h->live; l; l = l->next)
        l->s->http_min = INT64_MAX;
    for (au_hlistener *l = h->live; l; l = l->next) {
        au_stream *s = l->s;
        if (l->closing) {
            want_write(l);
            continue;
        }
        int64_t edge = edge_of(l, now);
        uint64_t dropped = 0;
        int64_t c = au_pacer_skip(l->cursor, edge, h->cfg.backlog,
                                  h->cfg.prefill, &dropped);
        if (dropped) {
            l->cursor = c;
            if (h->cfg.metrics)
                atomic_fetch_add_explicit(&h->cfg.metrics->chunks_dropped,
                                          dropped, memory_order_relaxed);
        }
        bool pending = l->cursor < edge || !l->head_sent;
        if (!pending) {
            l->last_progress_ns = now;
            int64_t due = au_pacer_due(&s->pacer, l->cursor) + l->offset_ns;
            if (due < next) next = due;
        } else if (now - l->last_progress_ns > h->cfg.stuck_ns) {
            /* a reader that takes nothing for 10 s: hang up (counted); the
             * timeout closes it even if its socket never drains again */
            l->closing = true;
            lws_set_timeout(l->wsi, PENDING_TIMEOUT_USER_OK, 1);
            if (h->cfg.metrics)
                atomic_fetch_add_explicit(&h->cfg.metrics->slow_closed, 1,
                                          memory_order_relaxed);
        }
        if (pending || l->closing) want_write(l);
        if (l->cursor < s->http_min) s->http_min = l->cursor;
    }
    return next;
}

void au_http_streams_shutdown(au_http_streams *h)
{
    for (au_hlistener *l = h->live; l; l = l->next) {
        l->closing = true;
        want_write(l);
        lws_set_timeout(l->wsi, PENDING_TIMEOUT_USER_OK, 1);
    }
}
