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
#define PAGE_CAP AU_TAP_OGG_MAX /* one chunk's Ogg page (about 1.7 KiB) */
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
    _Atomic bool up; /* conn == C_UP, for the service thread */
    int64_t next_try_ns, connect_since_ns;
    int backoff_ms;
    bool outage_logged, login_logged, ever_up;
    /* the Ogg stream sent on this connection: linked once headers went;
     * own: a link of ours (our serial and page numbers over the station's
     * pages) rather than the station's own */
    bool linked, own;
    au_params tagged; /* params the current link's tags describe */
    uint32_t serial, pageno; /* of our link */
    uint32_t last_serial, last_seq; /* the last page sent */
    int64_t last_granule;
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

/* The URL as messages show it: printable ASCII, at most 120 bytes (a
 * message stays one line whatever was passed). */
static const char *shown(const char *url, char *out, size_t n)
{
    size_t i = 0;
    for (; url && url[i] && i + 1 < n && i < 120; i++)
        out[i] = url[i] >= 0x20 && url[i] < 0x7f ? url[i] : '?';
    out[i] = '\0';
    return out;
}

int au_icecast_parse_url(const char *url, const char *env_password,
                         au_icecast_target *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    char sh[128];
    static const char scheme[] = "icecast://";
    if (!url || strncmp(url, scheme, sizeof scheme - 1)) {
        snprintf(err, errlen,
                 "--icecast must look like icecast://source:PASSWORD@HOST:"
                 "PORT/ (got '%s')",
                 shown(url, sh, sizeof sh));
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
                 shown(url, sh, sizeof sh));
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
                     shown(t->host, sh, sizeof sh));
            return -1;
        }
    }
    t->port = 8000;
    if (colon) {
        char *e = NULL;
        long v = strtol(colon + 1, &e, 10);
        if (e != end || colon + 1 == end || v < 1 || v > 65535) {
            snprintf(err, errlen,
                     "--icecast: the port must be 1..65535 (in '%s')",
                     shown(url, sh, sizeof sh));
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
                     shown(path, sh, sizeof sh));
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
    m->linked = false; /* a new connection starts a new Ogg stream */
}

static void disconnect(au_icecast *ic, mount_t *m)
{
    /* closed, not freed: the mount keeps its shout_t for the next try.
     * libshout 2.4.6 (Debian 12) frees a shout_t only while it still has
     * a connection, and shout_close drops the connection: close-then-free
     * leaked the whole handle (~1.3 KiB) on every reconnect (ASan) */
    if (m->sh) shout_close(m->sh); /* UNCONNECTED if nothing is open */
    if (m->conn == C_UP && ic->cfg.metrics)
        atomic_fetch_sub(M(ic, icecast_connected), 1);
    m->conn = C_DOWN;
    atomic_store_explicit(&m->up, false, memory_order_release);
    close_stream(m);
}

/* Logged once per outage: the first failure says what and that we retry;
 * the next success says it recovered. A refused login is said once in
 * an outage even when another failure came first (an Icecast under load
 * may close the socket before its 401 is read): a wrong password is what
 * an operator must hear of. */
static void fail_why(au_icecast *ic, mount_t *m, const char *what, bool login)
{
    char path[300];
    mount_path(ic, m, path, sizeof path);
    ADD(ic, icecast_failures, 1);
    if (!m->outage_logged || (login && !m->login_logged)) {
        m->login_logged |= login;
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

static void fail(au_icecast *ic, mount_t *m, const char *what)
{
    fail_why(ic, m, what, false);
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
        fail_why(ic, m, shout_reason(m->sh, r, why, sizeof why), r == SHOUTERR_NOLOGIN);
        return -1;
    }
    ADD(ic, icecast_bytes, n);
    if (shout_queuelen(m->sh) > QUEUE_LIMIT) {
        fail(ic, m, "Icecast is not reading (2 s of audio queued)");
        return -1;
    }
    return 0;
}

/* Sends a run of the station's pages: as they are on the station's own
 * link (byte for byte what /stream/NAME.opus serves), restamped with our
 * serial and page numbers on a link of ours. Remembers where the link
 * stands for the end-of-stream page. */
static int send_pages(au_icecast *ic, mount_t *m, const unsigned char *d,
                      size_t n)
{
    if (n > sizeof ic->page) return -1;
    if (m->own) {
        memcpy(ic->page, d, n);
        if (au_ogg_pages_restamp(ic->page, n, m->serial, &m->pageno) < 0) {
            fail(ic, m, "the station's Ogg pages are malformed");
            return -1;
        }
        d = ic->page;
    }
    uint32_t serial, seq;
    int64_t g;
    if (au_ogg_pages_last(d, n, &serial, &seq, &g) == 0) {
        m->last_serial = serial;
        m->last_seq = seq;
        m->last_granule = g;
    }
    return send_bytes(ic, m, d, n);
}

/* A link of ours: OpusTags from the station's params in force at chunk c
 * (the station's own header describes its first params only). preskip 0
 * on a chain link (the audio runs on: no sample lost or repeated), the
 * station's on a fresh connection. */
static int begin_own(au_icecast *ic, mount_t *m, const au_tap_chunk *c,
                     bool chained)
{
    char title[200], seed[64], pos[64], param[200];
    snprintf(title, sizeof title, "TITLE=%s: %s %s, %g bpm", m->name,
             au_key_name(c->params.key), au_mode_name(c->params.mode),
             c->params.bpm);
    snprintf(seed, sizeof seed, "AURALIS_SEED=%llu",
             (unsigned long long)c->params.seed);
    snprintf(pos, sizeof pos, "AURALIS_POSITION=%lld", (long long)c->pos);
    snprintf(param, sizeof param, "AURALIS_STATION=%s", m->name);
    const char *tags[] = {title, "ARTIST=Auralis", seed, pos, param, NULL};
    /* OpusHead's pre-skip: bytes 10-11 of the packet after the 28-byte
     * page header of the station's first header page */
    int preskip = c->head_len > 28 + 12
                      ? c->head[28 + 10] | c->head[28 + 11] << 8
                      : 312;
    m->serial = m->serial * 1664525u + 1013904223u;
    au_ogg_opus hdr; /* only for its header pages */
    if (au_ogg_opus_init(&hdr, m->serial, chained ? 0 : preskip,
                         AU_OPUS_RATE, tags)) {
        fail(ic, m, "out of memory");
        return -1;
    }
    size_t hl = 0;
    const unsigned char *h = au_ogg_opus_headers(&hdr, &hl);
    uint32_t serial, seq;
    int64_t g;
    int r = au_ogg_pages_last(h, hl, &serial, &seq, &g);
    m->pageno = seq + 1;
    if (r == 0) r = send_bytes(ic, m, h, hl);
    au_ogg_opus_deinit(&hdr);
    if (r) return -1;
    m->linked = m->own = true;
    m->tagged = c->params;
    if (chained) ADD(ic, icecast_metadata, 1);
    return 0;
}

static bool tags_differ(const au_params *a, const au_params *b)
{
    return a->key != b->key || a->mode != b->mode || a->bpm != b->bpm;
}

/* One chunk of the station: its Ogg page, encoded once by the station for
 * every transport. A connection starts on the station's own link (its
 * header pages and pages verbatim) while the station still plays what
 * that header's tags say; when key, mode or tempo change, the link is
 * closed (end-of-stream page) and a chained link of ours with new tags
 * carries the same pages on (Ogg metadata, which Icecast passes on). */
static void publish_chunk(au_icecast *ic, mount_t *m, const au_tap_chunk *c)
{
    if (c->ogg_len == 0) return; /* nothing encoded (cannot happen at 48k) */
    if (!m->linked) {
        if (!c->head_len) {
            fail(ic, m, "the station has no Ogg header");
            return;
        }
        if (tags_differ(&c->head_params, &c->params)) {
            if (begin_own(ic, m, c, false)) return;
        } else {
            if (send_bytes(ic, m, c->head, c->head_len)) return;
            m->linked = true;
            m->own = false;
            m->tagged = c->head_params;
        }
    } else if (tags_differ(&m->tagged, &c->params)) {
        unsigned char eos[32];
        int n = au_ogg_opus_eos_page(eos, sizeof eos, m->last_serial,
                                     m->last_seq + 1, m->last_granule);
        if (n > 0 && send_bytes(ic, m, eos, (size_t)n)) return;
        if (begin_own(ic, m, c, true)) return;
    }
    send_pages(ic, m, c->ogg, c->ogg_len);
}

static void connected(au_icecast *ic, mount_t *m)
{
    char path[300];
    mount_path(ic, m, path, sizeof path);
    m->conn = C_UP;
    atomic_store_explicit(&m->up, true, memory_order_release);
    m->backoff_ms = 0;
    ADD(ic, icecast_connects, 1);
    if (ic->cfg.metrics) atomic_fetch_add(M(ic, icecast_connected), 1);
    if (m->outage_logged || !m->ever_up)
        fprintf(stderr, "auralis: icecast: publishing station %s at %s:%d%s\n",
                m->name, ic->cfg.target.host, ic->cfg.target.port, path);
    m->outage_logged = m->login_logged = false;
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
    if (!m->sh) m->sh = shout_new(); /* kept (see disconnect) */
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
        fail_why(ic, m, shout_reason(m->sh, r, why, sizeof why), r == SHOUTERR_NOLOGIN);
    }
}

static void run_mount(au_icecast *ic, mount_t *m, int64_t now)
{
    int st = atomic_load_explicit(&m->state, memory_order_acquire);
    if (st == M_STOPPING) {
        disconnect(ic, m);
        while (au_tap_pop(&m->tap, &ic->chunk)) {
        }
        m->outage_logged = m->login_logged = m->ever_up = false;
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
            fail_why(ic, m, shout_reason(m->sh, r, why, sizeof why), r == SHOUTERR_NOLOGIN);
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
                (ic->mounts[i].conn == C_UP &&
                 shout_queuelen(ic->mounts[i].sh) > 0))
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
        atomic_init(&m->up, false);
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
        m->tap.what = AU_TAP_OGG; /* the station's pages, no pcm */
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

int au_icecast_listen_url(const au_icecast *ic, const au_stream *s,
                          char *url, size_t n)
{
    for (int i = 0; i < AU_ICECAST_MAX_MOUNTS; i++) {
        const mount_t *m = &ic->mounts[i];
        if (!m->tap_ready || m->tap.stream != s ||
            !atomic_load_explicit(&m->up, memory_order_acquire))
            continue;
        const au_icecast_target *t = &ic->cfg.target;
        int w = snprintf(url, n, "http://%s:%d%s%s.opus", t->host, t->port,
                         t->prefix, m->name);
        return w > 0 && (size_t)w < n ? 0 : -1;
    }
    return -1;
}
