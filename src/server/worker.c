#define _GNU_SOURCE /* ppoll */
#include "server/worker.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "core/au.h"

#define CMD_CAP 1024 /* pending adds/removes per worker */

enum { CMD_ADD, CMD_REMOVE, CMD_PARK };
typedef struct {
    int op;
    au_stream *s;
} cmd_t;

typedef struct {
    pthread_t thread;
    int efd;
    au_spsc cmds;
    cmd_t *cmd_items;
    au_stream **list;
    int n, cap;
    int assigned; /* service-side count, for balancing */
    _Atomic int stop;
    const au_workers_config *cfg;
} worker_t;

struct au_workers {
    au_workers_config cfg;
    int n;
    worker_t *w;
};

au_workers_config au_workers_config_default(void)
{
    au_workers_config c = {0};
    c.nworkers = 2;
    c.max_streams = 1024;
    c.lead_ns = 45000000; /* 45 ms: a set still reaches audio sent 145 ms on */
    return c;
}

static void kick(worker_t *w)
{
    uint64_t one = 1;
    ssize_t r = write(w->efd, &one, sizeof one);
    (void)r; /* an eventfd write fails only if the counter would overflow */
}

static void handle_cmds(worker_t *w)
{
    cmd_t c;
    while (au_spsc_pop(&w->cmds, &c)) {
        if (c.op == CMD_ADD) {
            au_stream_start(c.s); /* FAILED streams stay listed, never render */
            if (w->n < w->cap)
                w->list[w->n++] = c.s;
            else
                au_stream_stop(c.s); /* cannot happen: add checked capacity */
        } else {
            for (int i = 0; i < w->n; i++)
                if (w->list[i] == c.s) {
                    w->list[i] = w->list[--w->n];
                    break;
                }
            if (c.op == CMD_PARK) /* engine kept: the service owns it now */
                atomic_store_explicit(&c.s->state, AU_STREAM_PARKED,
                                      memory_order_release);
            else
                au_stream_stop(c.s);
        }
    }
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    const au_workers_config *cfg = w->cfg;
    au_engine_thread_init();
    /* Best effort: a render that misses its 45 ms lead makes a whole
     * station late, so ask for round-robin real-time scheduling where the
     * process may (root or CAP_SYS_NICE). A worker sleeps between chunks,
     * so it cannot starve the machine; without permission nothing changes. */
    if (cfg->realtime) {
        struct sched_param sp = {.sched_priority = 10};
        pthread_setschedparam(pthread_self(), SCHED_RR, &sp);
    }
    while (!atomic_load_explicit(&w->stop, memory_order_acquire)) {
        handle_cmds(w);
        int64_t now = au_mono_ns();
        int64_t next = now + 100000000;
        au_stream *best = NULL;
        int64_t best_t = 0;
        for (int i = 0; i < w->n; i++) {
            au_stream *s = w->list[i];
            if (atomic_load_explicit(&s->state, memory_order_relaxed) !=
                AU_STREAM_RUNNING)
                continue;
            int64_t k = atomic_load_explicit(&s->head, memory_order_relaxed);
            int64_t tail = atomic_load_explicit(&s->tail, memory_order_acquire);
            if (k - tail >= AU_STREAM_SLOTS - 1) {
                /* nobody has freed a slot: look again soon */
                if (now + 5000000 < next) next = now + 5000000;
                continue;
            }
            int64_t t = au_pacer_due(&s->pacer, k) - cfg->lead_ns;
            if (t <= now) {
                if (!best || t < best_t) {
                    best = s;
                    best_t = t;
                }
            } else if (t < next) {
                next = t;
            }
        }
        if (best) {
            int64_t k = atomic_load_explicit(&best->head, memory_order_relaxed);
            int64_t t0 = au_mono_ns();
            au_stream_render_next(best);
            int64_t t1 = au_mono_ns();
            if (cfg->metrics) {
                uint64_t ph = au_engine_phrases(best->engine);
                au_metrics_chunk_done(
                    cfg->metrics, t1 - t0, t1 - au_pacer_due(&best->pacer, k),
                    k >= best->pacer.prefill, ph - best->phrases_seen);
                best->phrases_seen = ph;
            }
            /* the service thread's timer fires when a chunk is due and
             * finds it ready; only a chunk that is already due (the burst,
             * or a late render) needs a wake-up. Saves ~10 wakes per stream
             * per second, each a poll over every socket. */
            if (cfg->wake && k < au_pacer_live(&best->pacer, t1))
                cfg->wake(cfg->wake_arg);
            continue;
        }
        int64_t wait = next - au_mono_ns();
        if (wait < 0) wait = 0;
        struct timespec ts = {wait / 1000000000, wait % 1000000000};
        struct pollfd pfd = {w->efd, POLLIN, 0};
        if (ppoll(&pfd, 1, &ts, NULL) > 0) {
            uint64_t v;
            ssize_t r = read(w->efd, &v, sizeof v);
            (void)r;
        }
    }
    /* drain: stop what is still attached so no engine leaks */
    handle_cmds(w);
    for (int i = 0; i < w->n; i++)
        au_stream_stop(w->list[i]);
    w->n = 0;
    return NULL;
}

int au_workers_start(au_workers **out, const au_workers_config *cfg)
{
    if (cfg->nworkers < 1 || cfg->max_streams < 1) return AU_EINVAL;
    au_workers *ws = calloc(1, sizeof *ws);
    if (!ws) return AU_ENOMEM;
    ws->cfg = *cfg;
    ws->w = aligned_alloc(64, ((size_t)cfg->nworkers * sizeof(worker_t) + 63) /
                                  64 * 64);
    if (!ws->w) {
        free(ws);
        return AU_ENOMEM;
    }
    memset(ws->w, 0, (size_t)cfg->nworkers * sizeof(worker_t));
    for (int i = 0; i < cfg->nworkers; i++) {
        worker_t *w = &ws->w[i];
        w->cfg = &ws->cfg;
        w->cap = cfg->max_streams;
        w->list = calloc((size_t)w->cap, sizeof *w->list);
        w->cmd_items = calloc(CMD_CAP, sizeof *w->cmd_items);
        w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        atomic_init(&w->stop, 0);
        if (!w->list || !w->cmd_items || w->efd < 0 ||
            au_spsc_init(&w->cmds, w->cmd_items, sizeof(cmd_t), CMD_CAP) ||
            pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            free(w->list);
            free(w->cmd_items);
            if (w->efd >= 0) close(w->efd);
            ws->n = i;
            au_workers_stop(ws);
            return AU_ENOMEM;
        }
        ws->n = i + 1;
    }
    *out = ws;
    return 0;
}

int au_workers_add(au_workers *ws, au_stream *s)
{
    int best = 0;
    for (int i = 1; i < ws->n; i++)
        if (ws->w[i].assigned < ws->w[best].assigned) best = i;
    worker_t *w = &ws->w[best];
    if (w->assigned >= w->cap) return AU_EFULL;
    cmd_t c = {CMD_ADD, s};
    if (!au_spsc_push(&w->cmds, &c)) return AU_EFULL;
    w->assigned++;
    s->worker = best;
    kick(w);
    return 0;
}

int au_workers_remove(au_workers *ws, au_stream *s)
{
    worker_t *w = &ws->w[s->worker];
    cmd_t c = {CMD_REMOVE, s};
    if (!au_spsc_push(&w->cmds, &c)) return AU_EFULL;
    w->assigned--;
    kick(w);
    return 0;
}

int au_workers_park(au_workers *ws, au_stream *s)
{
    worker_t *w = &ws->w[s->worker];
    cmd_t c = {CMD_PARK, s};
    if (!au_spsc_push(&w->cmds, &c)) return AU_EFULL;
    w->assigned--;
    kick(w);
    return 0;
}

void au_workers_stop(au_workers *ws)
{
    if (!ws) return;
    for (int i = 0; i < ws->n; i++) {
        atomic_store_explicit(&ws->w[i].stop, 1, memory_order_release);
        kick(&ws->w[i]);
    }
    for (int i = 0; i < ws->n; i++) {
        pthread_join(ws->w[i].thread, NULL);
        free(ws->w[i].list);
        free(ws->w[i].cmd_items);
        close(ws->w[i].efd);
    }
    free(ws->w);
    free(ws);
}
