/* The pacing clock of one stream: when each 100 ms chunk is due to leave,
 * from a monotonic start time, in integer nanoseconds, so position over
 * sample rate tracks wall time with no drift however long the stream runs.
 * Chunks 0..prefill-1 are due at once (the start-up burst); chunk k is due
 * at t0 + (k + 1 - prefill) * chunk_ns after that.
 * Plain value; pure functions; thread-safe. */
#ifndef AU_SERVER_PACER_H
#define AU_SERVER_PACER_H

#include <stdint.h>

typedef struct {
    int64_t t0_ns;    /* CLOCK_MONOTONIC time the stream started */
    int64_t chunk_ns; /* 100 ms */
    int prefill;      /* chunks sent at once at start (5 = 500 ms) */
} au_pacer;

int64_t au_mono_ns(void); /* CLOCK_MONOTONIC in ns */

/* When chunk k is due (never before t0). */
int64_t au_pacer_due(const au_pacer *p, int64_t k);

/* Chunks due by now: chunk k is due iff k < au_pacer_live(p, now). */
int64_t au_pacer_live(const au_pacer *p, int64_t now_ns);

/* The slow-listener rule: a listener whose next chunk is more than backlog
 * chunks behind the available edge jumps to edge - prefill (as if it had just
 * joined), and the skipped chunks are added to *dropped. Returns the new
 * cursor (unchanged when within the backlog). */
int64_t au_pacer_skip(int64_t cursor, int64_t edge, int backlog, int prefill,
                      uint64_t *dropped);

#endif
