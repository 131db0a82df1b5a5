/* Helpers shared by the composer tests: run a piece into an event array and
 * measure it (header-only, test code). */
#ifndef COMPOSE_TEST_UTIL_H
#define COMPOSE_TEST_UTIL_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compose/composer.h"
#include "compose/theory.h"
#include "core/au.h"
#include "core/params.h"

typedef struct {
    au_event *ev;
    size_t n, cap;
} evlist;

static inline void evlist_push(evlist *l, const au_event *e)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4096;
        l->ev = realloc(l->ev, l->cap * sizeof *l->ev);
        assert_non_null(l->ev);
    }
    l->ev[l->n++] = *e;
}

static inline void evlist_free(evlist *l)
{
    free(l->ev);
    memset(l, 0, sizeof *l);
}

static inline au_params test_params(uint64_t seed, double intensity)
{
    au_params p = au_params_default();
    p.seed = seed;
    p.intensity = intensity;
    return p;
}

/* A timed change for run_piece. */
typedef struct {
    int64_t pos;
    au_param_update u;
} change;

/* Compose `seconds` pulling in steps of `step` frames (step <= 0: random
 * steps from a fixed generator), applying changes at their positions, then
 * closing the notes still sounding. */
static inline evlist run_piece(const au_params *p, int rate, double seconds,
                               int step, const change *ch, int nch)
{
    static au_composer c; /* large: keep it off the stack */
    evlist l = {0};
    assert_int_equal(au_composer_init(&c, p, rate), 0);
    int64_t end = (int64_t)(seconds * rate), pos = 0;
    au_rng r;
    au_rng_seed(&r, 12345, 1);
    int ci = 0;
    au_event e;
    while (pos < end) {
        while (ci < nch && ch[ci].pos <= pos) au_composer_set(&c, &ch[ci++].u);
        int64_t s = step > 0 ? step : 1 + (int64_t)au_rng_below(&r, 6000);
        int64_t until = pos + s;
        if (until > end) until = end;
        if (ci < nch && ch[ci].pos < until) until = ch[ci].pos;
        while (au_composer_next(&c, until, &e)) evlist_push(&l, &e);
        assert_int_equal(au_composer_position(&c), until);
        pos = until;
    }
    while (au_composer_finish(&c, &e)) evlist_push(&l, &e);
    return l;
}

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static inline size_t count_on(const evlist *l, int layer /* -1: all */)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->ev[i].type == AU_EV_NOTE_ON && (layer < 0 || l->ev[i].layer == layer))
            n++;
    return n;
}

#endif
