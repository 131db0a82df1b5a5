#define _GNU_SOURCE /* ppoll */
#include "server/icecast.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <shout/shout.h>

#include "core/au.h"
#include "io/ogg_opus.h"
#include "io/opus_packets.h"
#include "server/pacer.h"
#include "server/tap.h"

#define TAP_CAP 32           /* 3.2 s between the station and the encoder */
#define PAGE_CAP (64 * 1024) /* one chunk's Ogg pages (about 1.7 KiB) */
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 30000
#define CONNECT_TIMEOUT_NS (10 * 1000000000LL)
/* more than this queued inside libshout (about 2 s at 128 kbit/s) means
 * Icecast is not reading: drop the connection rather than grow */
#define QUEUE_LIMIT (48 * 1024)

enum { M_FREE, M_ACTIVE, M_STOPPING, M_STOPPED };
enum { C_DOWN, C_CONNECTING, C_UP };

typedef struct {
    _Atomic int state;
    bool tap_ready;
    au_tap tap;
    char name[AU_STATION_NAME_MAX + 1];
    char spec[160];        /* chosen station: NAME[?QUERY]; "" = any station */
    uint64_t dropped_seen; /* service: tap drops already counted */

    /* publisher-private */
    shout_t *sh;
    int conn;
    int64_t next_try_ns, connect_since_ns;
    int backoff_ms;
    bool outage_logged, ever_up;
    bool enc_ready, ogg_ready;
    au_opus_enc enc;
    au_ogg_opus ogg;
    au_params tagged; /* params the current Ogg stream's tags describe */
    uint32_t serial;
} mount_t;

struct au_icecast {
    au_icecast_config cfg;
    char **specs;
    mount_t mounts[AU_ICECAST_MAX_MOUNTS];
    pthread_t thread;
    bool thread_started;
    int efd;
    _Atomic int stop;
    /* publisher-private scratch */
    au_tap_chunk chunk;
    float fbuf[AU_TAP_FRAMES * 2];
    unsigned char page[PAGE_CAP];
};

#define M(ic, field)                                                           \
    ((ic)->cfg.metrics ? &(ic)->cfg.metrics->outputs.field : NULL)
#define ADD(ic, field, v)                                                      \
    do {                                                                       \
        if ((ic)->cfg.metrics)                                                 \
            atomic_fetch_add_explicit(M(ic, field), (v),                       \
                                      memory_order_relaxed);                   \
    } while (0)

/* ------------------------------------------------------------------ URL */

int au_icecast_parse_url(const char *url, const char *env_password,
                         au_icecast_target *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    static const char scheme[] = "icecast://";
    if (!url || strncmp(url, scheme, sizeof scheme - 1)) {
        snprintf(err, errlen,
                 "--icecast must look like icecast://source:PASSWORD@HOST:"
                 "PORT/ (got '%s')",
                 url ? url : "");
        return -1;
    }
    const char *p = url + sizeof scheme - 1;
    const char *slash = strchr(p, '/');
    const char *end = slash ? slash : p + strlen(p);
    const char *at = NULL;
    for (const char *q = p; q < end; q++)
        if (*q == '@') at = q; /* the last '@': a password may hold one */
    snprintf(t->user, sizeof t->user, "source");
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        size_t ul = (size_t)((colon ? colon : at) - p);
        if (ul == 0 || ul >= sizeof t->user) {
            snprintf(err, errlen,
                     "--icecast: the user name must be 1..63 "
                     "characters");
            return -1;
        }
        memcpy(t->user, p, ul);
        t->user[ul] = '\0';
        if (colon) {
            size_t pl = (size_t)(at - colon - 1);
            if (pl >= sizeof t->password) {
                snprintf(err, errlen, "--icecast: the password is too long");
                return -1;
            }
            memcpy(t->password, colon + 1, pl);
            t->password[pl] = '\0';
        }
        p = at + 1;
    }
    const char *colon = memchr(p, ':', (size_t)(end - p));
    size_t hl = (size_t)((colon ? colon : end) - p);
    if (hl == 0 || hl >= sizeof t->host) {
        snprintf(err, errlen, "--icecast: a host name is needed (got '%s')",
                 url);
        return -1;
    }
    memcpy(t->host, p, hl);
    t->host[hl] = '\0';
    for (size_t i = 0; i < hl; i++) {
        char c = t->host[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '-')) {
            snprintf(err, errlen,
                     "--icecast: the host must be a name or an IPv4 address "
                     "(got '%s')",
                     t->host);
            return -1;
        }
    }
    t->port = 8000;
    if (colon) {
        char *e = NULL;
        long v = strtol(colon + 1, &e, 10);
        if (e != end || colon + 1 == end || v < 1 || v > 65535) {
            snprintf(err, errlen,
                     "--icecast: the port must be 1..65535 (in '%s')", url);
            return -1;
        }
        t->port = (int)v;
    }
    const char *path = slash ? slash : "/";
    size_t pl = strlen(path);
    if (pl + 2 >= sizeof t->prefix) {
        snprintf(err, errlen, "--icecast: the mount path is too long");
        return -1;
    }
    for (size_t i = 0; i < pl; i++) {
        char c = path[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
              c == '/') ||
            (c == '.' && i > 0 && path[i - 1] == '/')) {
            snprintf(err, errlen,
                     "--icecast: the mount path may hold A-Z a-z 0-9 . _ - / "
                     "and no '/.' (got '%s')",
                     path);
            return -1;
        }
    }
    snprintf(t->prefix, sizeof t->prefix, "%s%s", path,
             path[pl - 1] == '/' ? "" : "/");
    if (!t->password[0] && env_password && env_password[0])
        snprintf(t->password, sizeof t->password, "%s", env_password);
    if (!t->password[0]) {
        snprintf(err, errlen,
                 "--icecast: no password (put it in the URL, "
                 "icecast://source:PASSWORD@HOST:PORT/, or in "
                 "%s)",
                 AU_ICECAST_PASSWORD_ENV);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ publisher */

static void kick(void *arg)
{
    au_icecast *ic = arg;
    uint64_t one = 1;
    ssize_t r = write(ic->efd, &one, sizeof one);
    (void)r;
}

static void mount_path(const au_icecast *ic, const mount_t *m, char *out,
                       size_t n)
{
    snprintf(out, n, "%s%s.opus", ic->cfg.target.prefix, m->name);
}

static void close_stream(mount_t *m)
{
    if (m->ogg_ready) au_ogg_opus_deinit(&m->ogg);
    if (m->enc_ready) au_opus_enc_deinit(&m->enc);
    m->ogg_ready = m->enc_ready = false;
}

static void disconnect(au_icecast *ic, mount_t *m)
{
    if (m->sh) {
        shout_close(m->sh);
        shout_free(m->sh);
        m->sh = NULL;
    }
    if (m->conn == C_UP && ic->cfg.metrics)
        atomic_fetch_sub(M(ic, icecast_connected), 1);
    m->conn = C_DOWN;
    close_stream(m);
}

/* Logged once per outage: the first failure says what and that we retry;
 * the next success says it recovered. */
static void fail(au_icecast *ic, mount_t *m, const char *what)
{
    char path[300];
    mount_path(ic, m, path, sizeof path);
    ADD(ic, icecast_failures, 1);
    if (!m->outage_logged) {
        fprintf(stderr,
                "auralis: icecast: %s:%d%s: %s; retrying with backoff up to "
                "%d s (logged once until it recovers)\n",
                ic->cfg.target.host, ic->cfg.target.port, path, what,
                BACKOFF_MAX_MS / 1000);
        m->outage_logged = true;
    }
    disconnect(ic, m);
    int64_t now = au_mono_ns();
    m->backoff_ms = m->backoff_ms ? m->backoff_ms * 2 : BACKOFF_MIN_MS;
    if (m->backoff_ms > BACKOFF_MAX_MS) m->backoff_ms = BACKOFF_MAX_MS;
    m->next_try_ns = now + (int64_t)m->backoff_ms * 1000000;
}

static const char *shout_reason(shout_t *sh, int r, char *buf, size_t n)
{
    if (r == SHOUTERR_NOLOGIN)
        snprintf(buf, n,
                 "Icecast refused the login (wrong password or "
                 "mount in use)");
    else if (r == SHOUTERR_NOCONNECT)
        snprintf(buf, n, "cannot connect (%s)", shout_get_error(sh));
    else
        snprintf(buf, n, "%s", shout_get_error(sh));
    return buf;
}

static int send_bytes(au_icecast *ic, mount_t *m, const unsigned char *d,
                      size_t n)
{
    if (!n) return 0;
    int r = shout_send(m->sh, d, n);
    if (r != SHOUTERR_SUCCESS && r != SHOUTERR_BUSY) {
        char why[200];
        fail(ic, m, shout_reason(m->sh, r, why, sizeof why));
        return -1;
    }
    ADD(ic, icecast_bytes, n);
    if (shout_queuelen(m->sh) > QUEUE_LIMIT) {
        fail(ic, m, "Icecast is not reading (2 s of audio queued)");
        return -1;
    }
    return 0;
}

/* A new Ogg stream (a connection, or a chain link for new metadata): tags
 * from the station's params in force at chunk c. preskip 0 on a chain
 * link: the encoder runs on, so no sample is lost or repeated. */
static int begin_stream(au_icecast *ic, mount_t *m, const au_tap_chunk *c,
                        bool chained)
{
    if (!m->enc_ready) {
        au_opus_config oc = au_opus_config_default();
        oc.bitrate = ic->cfg.bitrate;
        if (au_opus_enc_init(&m->enc, &oc)) return -1;
        m->enc_ready = true;
    }
    char title[200], seed[64], pos[64], param[200];
    snprintf(title, sizeof title, "TITLE=%s: %s %s, %g bpm", m->name,
             au_key_name(c->params.key), au_mode_name(c->params.mode),
             c->params.bpm);
    snprintf(seed, sizeof seed, "AURALIS_SEED=%llu",
             (unsigned long long)c->params.seed);
    snprintf(pos, sizeof pos, "AURALIS_POSITION=%lld", (long long)c->pos);
    snprintf(param, sizeof param, "AURALIS_STATION=%s", m->name);
    const char *tags[] = {title, "ARTIST=Auralis", seed, pos, param, NULL};
    if (m->ogg_ready) au_ogg_opus_deinit(&m->ogg);
    m->ogg_ready = false;
    m->serial = m->serial * 1664525u + 1013904223u;
    if (au_ogg_opus_init(&m->ogg, m->serial, chained ? 0 : m->enc.preskip,
                         AU_OPUS_RATE, tags))
        return -1;
    m->ogg_ready = true;
    m->tagged = c->params;
    size_t hl = 0;
    const unsigned char *h = au_ogg_opus_headers(&m->ogg, &hl);
    if (send_bytes(ic, m, h, hl)) return -1;
    if (chained) ADD(ic, icecast_metadata, 1);
    return 0;
}

static bool tags_differ(const au_params *a, const au_params *b)
{
    return a->key != b->key || a->mode != b->mode || a->bpm != b->bpm;
}

static void publish_chunk(au_icecast *ic, mount_t *m, const au_tap_chunk *c)
{
    if (!m->ogg_ready) {
        if (begin_stream(ic, m, c, false)) return;
    } else if (tags_differ(&m->tagged, &c->params)) {
        /* close the current link with an end-of-stream page, then open a
         * new link whose tags describe the new params */
        /* a 1-byte packet (TOC 0xfc: CELT 20 ms stereo, one empty frame)
         * carries end-of-stream; the end granule trims its 20 ms away */
        static const unsigned char empty[1] = {0xfc};
        au_ogg_opus_add(&m->ogg, empty, sizeof empty, AU_OPUS_FRAME, true,
                        m->ogg.granule);
        int n = au_ogg_opus_flush(&m->ogg, ic->page, sizeof ic->page);
        if (n > 0 && send_bytes(ic, m, ic->page, (size_t)n)) return;
        if (begin_stream(ic, m, c, true)) return;
    }
    int frames = c->frames - c->frames % AU_OPUS_FRAME;
    for (int i = 0; i < frames * 2; i++)
        ic->fbuf[i] = c->pcm[i] * (1.0f / 32768.0f);
    unsigned char pkt[AU_OPUS_MAX_PACKET];
    for (int f = 0; f < frames; f += AU_OPUS_FRAME) {
        int n = au_opus_enc_packet(&m->enc, ic->fbuf + 2 * f, pkt, sizeof pkt);
        if (n <= 0 || au_ogg_opus_add(&m->ogg, pkt, (size_t)n, AU_OPUS_FRAME,
                                      false, -1)) {
            fail(ic, m, "the Opus encoder failed");
            return;
        }
    }
    int n = au_ogg_opus_flush(&m->ogg, ic->page, sizeof ic->page);
    if (n < 0) {
        fail(ic, m, "an Ogg page did not fit");
        return;
    }
    send_bytes(ic, m, ic->page, (size_t)n);
}

static void connected(au_icecast *ic, mount_t *m)
{
    char path[300];
    mount_path(ic, m, path, sizeof path);
    m->conn = C_UP;
    m->backoff_ms = 0;
    ADD(ic, icecast_connects, 1);
    if (ic->cfg.metrics) atomic_fetch_add(M(ic, icecast_connected), 1);
    if (m->outage_logged || !m->ever_up)
        fprintf(stderr, "auralis: icecast: publishing station %s at %s:%d%s\n",
                m->name, ic->cfg.target.host, ic->cfg.target.port, path);
    m->outage_logged = false;
    m->ever_up = true;
    /* audio from now on: what waited while connecting is stale */
    while (au_tap_pop(&m->tap, &ic->chunk)) {
    }
}

static void try_connect(au_icecast *ic, mount_t *m, int64_t now)
{
    const au_icecast_target *t = &ic->cfg.target;
    char path[300], br[16];
    mount_path(ic, m, path, sizeof path);
    m->sh = shout_new();
    if (!m->sh) {
        fail(ic, m, "out of memory");
        return;
    }
    char name[120];
    snprintf(name, sizeof name, "Auralis: %s", m->name);
    snprintf(br, sizeof br, "%d", ic->cfg.bitrate / 1000);
    if (shout_set_host(m->sh, t->host) ||
        shout_set_port(m->sh, (unsigned short)t->port) ||
        shout_set_user(m->sh, t->user) ||
        shout_set_password(m->sh, t->password) ||
        shout_set_mount(m->sh, path) ||
        shout_set_protocol(m->sh, SHOUT_PROTOCOL_HTTP) ||
        shout_set_content_format(m->sh, SHOUT_FORMAT_OGG, SHOUT_USAGE_AUDIO,
                                 NULL) ||
        shout_set_tls(m->sh, SHOUT_TLS_DISABLED) ||
        shout_set_meta(m->sh, SHOUT_META_NAME, name) ||
        shout_set_meta(m->sh, SHOUT_META_DESCRIPTION,
                       "Endless generative ambient music") ||
        shout_set_meta(m->sh, SHOUT_META_GENRE, "Ambient") ||
        shout_set_audio_info(m->sh, SHOUT_AI_BITRATE, br) ||
        shout_set_audio_info(m->sh, SHOUT_AI_SAMPLERATE, "48000") ||
        shout_set_audio_info(m->sh, SHOUT_AI_CHANNELS, "2") ||
        shout_set_agent(m->sh, "auralis/" AU_VERSION) ||
        shout_set_nonblocking(m->sh, 1)) {
        char why[200];
        snprintf(why, sizeof why, "libshout refused a setting: %s",
                 shout_get_error(m->sh));
        fail(ic, m, why);
        return;
    }
    int r = shout_open(m->sh);
    if (r == SHOUTERR_SUCCESS || r == SHOUTERR_CONNECTED) {
        connected(ic, m);
    } else if (r == SHOUTERR_BUSY) {
        m->conn = C_CONNECTING;
        m->connect_since_ns = now;
    } else {
        char why[200];
        fail(ic, m, shout_reason(m->sh, r, why, sizeof why));
    }
}

static void run_mount(au_icecast *ic, mount_t *m, int64_t now)
{
    int st = atomic_load_explicit(&m->state, memory_order_acquire);
    if (st == M_STOPPING) {
        disconnect(ic, m);
        while (au_tap_pop(&m->tap, &ic->chunk)) {
        }
        m->outage_logged = m->ever_up = false;
        m->backoff_ms = 0;
        m->next_try_ns = 0;
        atomic_store_explicit(&m->state, M_STOPPED, memory_order_release);
        return;
    }
    if (st != M_ACTIVE) return;
    if (m->conn == C_DOWN) {
        /* nothing to publish to: what arrives is not kept */
        while (au_tap_pop(&m->tap, &ic->chunk)) {
        }
        if (now >= m->next_try_ns) try_connect(ic, m, now);
        return;
    }
    if (m->conn == C_CONNECTING) {
        int r = shout_get_connected(m->sh);
        if (r == SHOUTERR_CONNECTED) {
            connected(ic, m);
        } else if (r == SHOUTERR_BUSY || r == SHOUTERR_RETRY) {
            if (now - m->connect_since_ns > CONNECT_TIMEOUT_NS)
                fail(ic, m, "connection timed out");
            return;
        } else {
            char why[200];
            fail(ic, m, shout_reason(m->sh, r, why, sizeof why));
            return;
        }
    }
    while (m->conn == C_UP && au_tap_pop(&m->tap, &ic->chunk))
        publish_chunk(ic, m, &ic->chunk);
    /* let libshout push what the socket did not take */
    if (m->conn == C_UP && shout_queuelen(m->sh) > 0) {
        int r = shout_send(m->sh, NULL, 0);
        (void)r; /* an error shows on the next real send */
    }
}

static void *icecast_main(void *arg)
{
    au_icecast *ic = arg;
    pthread_setname_np(pthread_self(), "au-icecast"); /* top -H, benches */
    while (!atomic_load_explicit(&ic->stop, memory_order_acquire)) {
        int64_t now = au_mono_ns();
        bool connecting = false;
        for (int i = 0; i < AU_ICECAST_MAX_MOUNTS; i++) {
            run_mount(ic, &ic->mounts[i], now);
            if (ic->mounts[i].conn == C_CONNECTING ||
                (ic->mounts[i].sh && shout_queuelen(ic->mounts[i].sh) > 0))
                connecting = true;
        }
        /* woken by every tap push; polled faster while a connection or a
         * send is pending inside libshout */
        struct timespec ts = {0, connecting ? 20000000 : 250000000};
        struct pollfd pfd = {ic->efd, POLLIN, 0};
        if (ppoll(&pfd, 1, &ts, NULL) > 0) {
            uint64_t v;
            ssize_t r = read(ic->efd, &v, sizeof v);
            (void)r;
        }
    }
    for (int i = 0; i < AU_ICECAST_MAX_MOUNTS; i++)
        disconnect(ic, &ic->mounts[i]);
    return NULL;
}

/* --------------------------------------------------------------- service */

int au_icecast_start(au_icecast **out, const au_icecast_config *cfg)
{
    if (cfg->nstations < 0 || cfg->nstations > AU_ICECAST_MAX_MOUNTS ||
        cfg->bitrate < AU_OPUS_BITRATE_MIN ||
        cfg->bitrate > AU_OPUS_BITRATE_MAX || !cfg->station)
        return AU_EINVAL;
    au_icecast *ic = calloc(1, sizeof *ic);
    if (!ic) return AU_ENOMEM;
    ic->cfg = *cfg;
    ic->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (ic->efd < 0) {
        free(ic);
        return AU_ENOMEM;
    }
    uint32_t rnd = 0;
    if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        rnd = (uint32_t)au_mono_ns();
    for (int i = 0; i < AU_ICECAST_MAX_MOUNTS; i++) {
        mount_t *m = &ic->mounts[i];
        atomic_init(&m->state, M_FREE);
        m->serial = rnd + (uint32_t)i * 7919u;
    }
    for (int i = 0; i < cfg->nstations; i++) {
        mount_t *m = &ic->mounts[i];
        snprintf(m->spec, sizeof m->spec, "%s", cfg->stations[i]);
        const char *q = strchr(m->spec, '?');
        size_t nl = q ? (size_t)(q - m->spec) : strlen(m->spec);
        if (nl >= sizeof m->name) nl = sizeof m->name - 1;
        memcpy(m->name, m->spec, nl);
        m->name[nl] = '\0';
    }
    ic->cfg.stations = NULL; /* copied into the mounts */
    shout_init();
    if (pthread_create(&ic->thread, NULL, icecast_main, ic) != 0) {
        au_icecast_stop(ic);
        return AU_ENOMEM;
    }
    ic->thread_started = true;
    *out = ic;
    return 0;
}

void au_icecast_stop(au_icecast *ic)
{
    if (!ic) return;
    if (ic->thread_started) {
        atomic_store_explicit(&ic->stop, 1, memory_order_release);
        kick(ic);
        pthread_join(ic->thread, NULL);
        shout_shutdown();
    }
    for (int i = 0; i < AU_ICECAST_MAX_MOUNTS; i++) {
        mount_t *m = &ic->mounts[i];
        if (m->tap_ready) au_tap_deinit(&m->tap);
        if (atomic_load(&m->state) != M_FREE && ic->cfg.metrics)
            atomic_fetch_sub(M(ic, icecast_mounts), 1);
    }
    close(ic->efd);
    free(ic);
}

static bool activate(au_icecast *ic, mount_t *m, au_stream *s, bool hold)
{
    if (!m->tap_ready) {
        if (au_tap_init(&m->tap, TAP_CAP)) return false;
        m->tap_ready = true;
        m->tap.wake = kick;
        m->tap.wake_arg = ic;
    }
    m->tap.hold = hold;
    au_tap_attach(&m->tap, s);
    m->dropped_seen = atomic_load(&m->tap.dropped);
    if (atomic_load(&m->state) == M_FREE) {
        if (ic->cfg.metrics) atomic_fetch_add(M(ic, icecast_mounts), 1);
        atomic_store_explicit(&m->state, M_ACTIVE, memory_order_release);
        kick(ic);
    }
    return true;
}

void au_icecast_pump(au_icecast *ic, au_stream *streams)
{
    bool all = ic->cfg.nstations == 0;
    for (int i = 0; i < AU_ICECAST_MAX_MOUNTS; i++) {
        mount_t *m = &ic->mounts[i];
        int st = atomic_load_explicit(&m->state, memory_order_acquire);
        if (m->tap_ready) {
            uint64_t d = atomic_load(&m->tap.dropped);
            if (d > m->dropped_seen) {
                ADD(ic, icecast_chunks_dropped, d - m->dropped_seen);
                m->dropped_seen = d;
            }
        }
        if (st == M_STOPPED) {
            if (ic->cfg.metrics) atomic_fetch_sub(M(ic, icecast_mounts), 1);
            if (all) m->name[0] = '\0';
            atomic_store_explicit(&m->state, M_FREE, memory_order_release);
            st = M_FREE;
        }
        if (st == M_STOPPING) continue;
        if (m->spec[0]) {
            /* a chosen station: (re)created and held while we run */
            if (!m->tap_ready || !m->tap.stream) {
                au_stream *s = ic->cfg.station(ic->cfg.arg, m->spec);
                if (s) activate(ic, m, s, true);
            }
        } else if (st == M_ACTIVE && (!m->tap.stream)) {
            /* the station went away (retired): unpublish */
            atomic_store_explicit(&m->state, M_STOPPING, memory_order_release);
            kick(ic);
        }
    }
    if (!all) return;
    for (au_stream *s = streams; s; s = s->next) {
        if (!s->station || s->removing) continue;
        bool have = false;
        for (au_tap *t = s->taps; t && !have; t = t->next)
            for (int i = 0; i < AU_ICECAST_MAX_MOUNTS; i++)
                if (t == &ic->mounts[i].tap) have = true;
        if (have) continue;
        for (int i = 0; i < AU_ICECAST_MAX_MOUNTS; i++) {
            mount_t *m = &ic->mounts[i];
            if (atomic_load(&m->state) != M_FREE) continue;
            snprintf(m->name, sizeof m->name, "%s", s->name);
            activate(ic, m, s, false);
            break;
        }
    }
}
