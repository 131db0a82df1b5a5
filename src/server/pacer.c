#include "server/pacer.h"

#include <time.h>

int64_t au_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t au_pacer_due(const au_pacer *p, int64_t k)
{
    int64_t n = k + 1 - p->prefill;
    if (n < 0) n = 0;
    return p->t0_ns + n * p->chunk_ns;
}

int64_t au_pacer_live(const au_pacer *p, int64_t now_ns)
{
    if (now_ns < p->t0_ns) return 0;
    return (now_ns - p->t0_ns) / p->chunk_ns + p->prefill;
}

int64_t au_pacer_skip(int64_t cursor, int64_t edge, int backlog, int prefill,
                      uint64_t *dropped)
{
    if (edge - cursor <= backlog) return cursor;
    int64_t to = edge - prefill;
    if (to < cursor) to = cursor;
    if (dropped) *dropped += (uint64_t)(to - cursor);
    return to;
}
