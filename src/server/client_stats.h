/* What a player reports about itself (client_stats) is a stranger's claim:
 * it feeds /metrics and alerts, so one connection must not be able to skew
 * them. Values are clamped to what one player can plausibly report. */
#ifndef AU_SERVER_CLIENT_STATS_H
#define AU_SERVER_CLIENT_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "server/control.h"

/* A player cannot underrun more than once per 100 ms chunk it plays. */
#define AU_CLIENT_UNDERRUNS_PER_S 10.0
#define AU_CLIENT_UNDERRUNS_BURST 20.0
/* buffer_ms and jitter_ms above this are not a plausible player state */
#define AU_CLIENT_MS_MAX 60000.0

typedef struct {
    uint64_t last_underruns; /* the running total last reported */
    bool have_underruns;
    double budget; /* underruns this connection may still add */
    int64_t budget_ns, last_sample_ns;
} au_client_stats_state;

void au_client_stats_init(au_client_stats_state *st, int64_t now_ns);

/* Applies one client_stats message: returns how many underruns to add to
 * the server's counter (increases of the running total, at most
 * AU_CLIENT_UNDERRUNS_PER_S per second of connection; a total that goes
 * down starts a new baseline and adds nothing), and whether the message is
 * a sample to observe (*sample; at most one a second), with buffer_ms and
 * jitter_ms clamped to 0..AU_CLIENT_MS_MAX. */
uint64_t au_client_stats_apply(au_client_stats_state *st,
                               const au_control_msg *m, int64_t now_ns,
                               bool *sample, double *buffer_ms,
                               double *jitter_ms);

#endif
