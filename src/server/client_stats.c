#include "server/client_stats.h"

void au_client_stats_init(au_client_stats_state *st, int64_t now_ns)
{
    st->last_underruns = 0;
    st->have_underruns = false;
    st->budget = AU_CLIENT_UNDERRUNS_BURST;
    st->budget_ns = now_ns;
    st->last_sample_ns = now_ns - 1000000000LL;
}

static double clamp_ms(double v)
{
    return v < 0 ? 0 : v > AU_CLIENT_MS_MAX ? AU_CLIENT_MS_MAX : v;
}

uint64_t au_client_stats_apply(au_client_stats_state *st,
                               const au_control_msg *m, int64_t now_ns,
                               bool *sample, double *buffer_ms,
                               double *jitter_ms)
{
    *sample = false;
    if ((m->stats.has_buffer || m->stats.has_jitter) &&
        now_ns - st->last_sample_ns >= 1000000000LL) {
        *buffer_ms = clamp_ms(m->stats.buffer_ms);
        *jitter_ms = clamp_ms(m->stats.jitter_ms);
        *sample = true;
        st->last_sample_ns = now_ns;
    }
    if (!m->stats.has_underruns) return 0;
    if (now_ns > st->budget_ns) {
        st->budget += (double)(now_ns - st->budget_ns) * 1e-9 *
                      AU_CLIENT_UNDERRUNS_PER_S;
        if (st->budget > AU_CLIENT_UNDERRUNS_BURST)
            st->budget = AU_CLIENT_UNDERRUNS_BURST;
        st->budget_ns = now_ns;
    }
    uint64_t total = m->stats.underruns, add = 0;
    if (!st->have_underruns)
        add = total;
    else if (total > st->last_underruns)
        add = total - st->last_underruns;
    /* a total that went down is a new baseline: nothing to add */
    st->last_underruns = total;
    st->have_underruns = true;
    if ((double)add > st->budget) add = (uint64_t)st->budget;
    st->budget -= (double)add;
    return add;
}
