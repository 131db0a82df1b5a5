#define _GNU_SOURCE /* gettid */
#include "server/resume.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/au.h"

/* The stream's timeline was reserved to its bound at creation
 * (au_stream_create), so these adds never allocate; past the bound
 * au_timeline_add marks it full (full_at = the first change not kept). */
void au_stream_record(au_stream *s)
{
    int64_t head = atomic_load_explicit(&s->head, memory_order_acquire);
    for (int64_t k = s->recorded; k < head; k++) {
        const au_chunk *c = au_stream_chunk(s, k);
        if (!c->changed) continue;
        au_param_update u = {c->changed, c->params};
        /* full: further changes still play live; replay stops at full_at */
        au_timeline_add(&s->timeline, c->pos, &u);
    }
    if (head > s->recorded) s->recorded = head;
}

void au_resume_new_id(char out[33])
{
    unsigned char b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        uint64_t x = (uint64_t)au_mono_ns() ^ (uint64_t)(uintptr_t)out;
        for (int i = 0; i < 16; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            b[i] = (unsigned char)(x >> 56);
        }
    }
    for (int i = 0; i < 16; i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int au_records_init(au_records *r, int max, int64_t keep_ns)
{
    memset(r, 0, sizeof *r);
    r->max = max < 1 ? 1 : max;
    r->keep_ns = keep_ns;
    r->v = calloc((size_t)r->max, sizeof *r->v);
    return r->v ? 0 : AU_ENOMEM;
}

static void drop(au_record *rec)
{
    au_timeline_deinit(&rec->timeline);
    memset(rec, 0, sizeof *rec);
}

void au_records_deinit(au_records *r)
{
    for (int i = 0; r->v && i < r->max; i++)
        if (r->v[i].used) drop(&r->v[i]);
    free(r->v);
    r->v = NULL;
}

void au_records_keep(au_records *r, au_stream *s, int64_t now_ns)
{
    if (!s->rid[0] || r->keep_ns <= 0) return;
    au_record *slot = NULL;
    for (int i = 0; i < r->max; i++)
        if (!r->v[i].used) {
            slot = &r->v[i];
            break;
        }
    if (!slot) { /* full: the oldest makes room */
        slot = &r->v[0];
        for (int i = 1; i < r->max; i++)
            if (r->v[i].left_ns < slot->left_ns) slot = &r->v[i];
        drop(slot);
    }
    au_stream_record(s);
    slot->used = true;
    memcpy(slot->rid, s->rid, sizeof slot->rid);
    /* a copy sized to what was recorded (the stream's own array holds the
     * whole reserved bound); moved instead if memory is short */
    au_timeline_init(&slot->timeline, &s->timeline.init, s->timeline.max);
    if (au_timeline_copy(&slot->timeline, &s->timeline, INT64_MAX)) {
        au_timeline_deinit(&slot->timeline);
        slot->timeline = s->timeline; /* moved */
        au_timeline_init(&s->timeline, &s->init, 1);
    }
    slot->rate = s->rate;
    slot->end = atomic_load(&s->head) * s->frames;
    slot->left_ns = now_ns;
}

au_record *au_records_find(au_records *r, const char *rid)
{
    if (!rid || !rid[0]) return NULL;
    for (int i = 0; i < r->max; i++)
        if (r->v[i].used && !strcmp(r->v[i].rid, rid)) return &r->v[i];
    return NULL;
}

void au_records_expire(au_records *r, int64_t now_ns)
{
    for (int i = 0; i < r->max; i++)
        if (r->v[i].used && now_ns - r->v[i].left_ns > r->keep_ns)
            drop(&r->v[i]);
}

int au_records_count(const au_records *r)
{
    int n = 0;
    for (int i = 0; i < r->max; i++) n += r->v[i].used;
    return n;
}

/* ------------------------------------------------------------ preparer */

#define PREP_QUEUE 16

typedef struct {
    au_stream *s;
    au_timeline t;
} prep_job;

struct au_preparer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    prep_job q[PREP_QUEUE];
    int head, n;
    bool stop;
    void (*wake)(void *);
    void *arg;
};

static void *prep_main(void *arg)
{
    au_preparer *p = arg;
    /* below the render workers (nice 10: about a tenth of a worker's
     * weight when they compete), above export jobs (SCHED_IDLE): a listener
     * waits for this one, but live streams come first */
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), 10) != 0) { /* best effort */ }
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->n && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            return NULL;
        }
        prep_job j = p->q[p->head];
        p->head = (p->head + 1) % PREP_QUEUE;
        p->n--;
        pthread_mutex_unlock(&p->mu);
        int r = au_stream_prepare(j.s, &j.t);
        au_timeline_deinit(&j.t);
        atomic_store_explicit(&j.s->prep, r ? AU_PREP_FAILED : AU_PREP_DONE,
                              memory_order_release);
        if (p->wake) p->wake(p->arg);
    }
}

int au_preparer_start(au_preparer **out, void (*wake)(void *), void *arg)
{
    au_preparer *p = calloc(1, sizeof *p);
    if (!p) return AU_ENOMEM;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->wake = wake;
    p->arg = arg;
    if (pthread_create(&p->thread, NULL, prep_main, p) != 0) {
        free(p);
        return AU_ENOMEM;
    }
    *out = p;
    return 0;
}

int au_preparer_submit(au_preparer *p, au_stream *s, au_timeline *t)
{
    pthread_mutex_lock(&p->mu);
    if (p->n >= PREP_QUEUE || p->stop) {
        pthread_mutex_unlock(&p->mu);
        return AU_EFULL;
    }
    prep_job *j = &p->q[(p->head + p->n) % PREP_QUEUE];
    j->s = s;
    j->t = *t;
    au_timeline_init(t, &s->init, 1);
    atomic_store(&s->prep, AU_PREP_RUNNING);
    p->n++;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

void au_preparer_stop(au_preparer *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    for (au_stream *c = NULL; p->n; p->n--) {
        prep_job *j = &p->q[p->head];
        c = j->s;
        atomic_store(&c->cancel, 1);
        au_timeline_deinit(&j->t);
        atomic_store(&c->prep, AU_PREP_FAILED);
        p->head = (p->head + 1) % PREP_QUEUE;
    }
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

/* ----------------------------------------------------------- resuming */

bool au_resume_wanted(const au_stream_request *req)
{
    return req->resume[0] || req->position_given || req->timeline[0];
}

static int begin(au_preparer *p, au_stream *s, const au_stream_request *req,
                 const au_timeline *known, int64_t known_end);

int au_resume_begin(au_records *r, au_preparer *p, au_stream *s,
                    const au_stream_request *req)
{
    au_record *rec = au_records_find(r, req->resume);
    return begin(p, s, req, rec ? &rec->timeline : NULL, rec ? rec->end : 0);
}

int au_resume_begin_from(au_preparer *p, au_stream *s,
                         const au_stream_request *req, const au_timeline *known,
                         int64_t known_end)
{
    return begin(p, s, req, known, known_end);
}

static int begin(au_preparer *p, au_stream *s, const au_stream_request *req,
                 const au_timeline *known, int64_t known_end)
{
    au_timeline t;
    au_timeline_init(&t, &s->init, AU_TIMELINE_MAX);
    int64_t pos;
    if (known) {
        s->init = known->init;
        if (au_timeline_copy(&t, known, INT64_MAX)) goto fail;
        pos = req->position_given && req->position < known_end ? req->position
                                                                : known_end;
    } else {
        char err[300];
        if (req->timeline[0] && au_timeline_parse(&t, req->timeline, err, sizeof err))
            goto fail; /* checked at the upgrade already */
        pos = req->position_given ? req->position : 0;
    }
    int64_t exact = au_timeline_exact_until(&t);
    if (pos > exact) pos = exact;
    int64_t k0 = pos / s->frames;
    int64_t start = k0 * s->frames;
    /* the performance as it continues from here: changes before the resume
     * point are replayed by the preparer; the later ones (a listener who
     * changed something after the point it resumes from) are applied by
     * the worker at their chunks, so the performance goes on exactly as it
     * went, and are recorded again as they play */
    if (au_timeline_copy(&s->timeline, &t, start)) goto fail;
    au_params now = s->init;
    int i = 0;
    for (; i < t.n && t.v[i].pos < start; i++) au_params_apply(&now, &t.v[i].u);
    for (; i < t.n; i++)
        if (au_timeline_add(&s->future, t.v[i].pos, &t.v[i].u)) goto fail;
    s->shown = now;
    au_stream_start_at(s, k0);
    /* no chunk is due before the stream is prepared */
    s->pacer.t0_ns = INT64_MAX / 4;
    if (au_preparer_submit(p, s, &t)) goto fail;
    return 0;
fail:
    au_timeline_deinit(&t);
    return AU_ENOMEM;
}

int au_resume_attach(au_workers *w, au_stream *s, bool has_position,
                     int64_t position, int64_t now_ns, int64_t *cursor)
{
    if (!s->parked ||
        atomic_load_explicit(&s->state, memory_order_acquire) != AU_STREAM_PARKED)
        return -1;
    int64_t head = atomic_load_explicit(&s->head, memory_order_relaxed);
    int64_t k = has_position ? position / s->frames : head;
    if (k > head) k = head;
    /* the ring keeps AU_STREAM_SLOTS chunks; the oldest may be mid-reuse */
    if (k < s->first || k < head - (AU_STREAM_SLOTS - 2)) return -1;
    const int64_t grid = 4000000;
    int64_t t0 = (now_ns + grid - 1) / grid * grid;
    s->pacer.t0_ns = t0 - k * s->pacer.chunk_ns;
    atomic_store_explicit(&s->tail, k, memory_order_release);
    if (au_workers_add(w, s) != 0) return -1;
    s->in_worker = true;
    s->parked = false;
    *cursor = k;
    return 0;
}

void au_resume_poll(au_workers *w, au_stream *s, int64_t now_ns)
{
    if (s->removing || s->in_worker ||
        atomic_load_explicit(&s->prep, memory_order_acquire) != AU_PREP_DONE)
        return;
    /* chunk `first` (and the burst after it) due now, on the 4 ms phase
     * grid the server starts every stream on */
    const int64_t grid = 4000000;
    int64_t t0 = (now_ns + grid - 1) / grid * grid;
    s->pacer.t0_ns = t0 - s->first * s->pacer.chunk_ns;
    if (au_workers_add(w, s) == 0) s->in_worker = true;
    else s->pacer.t0_ns = INT64_MAX / 4; /* retried on the next pump */
}
