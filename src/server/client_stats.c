#include "server/client_stats.h"

void au_client_stats_init(au_client_stats_state *st, int64_t now_ns)
{
    st->last_underruns = 0;
    st->have_underruns = false;
    st->budget = AU_CLIENT_UNDERRUNS_BURST;
    st->budget_ns = now_ns;
    st->last_sample_ns = now_ns - 1000000000LL;
}

uint64_t au_client_stats_apply(au_client_stats_state *st,
                               const au_control_msg *m, int64_t now_ns,
                               bool *observe_buffer, double *buffer_ms)
{
    *observe_buffer = false;
    if (m->stats.has_buffer && now_ns - st->last_sample_ns >= 1000000000LL) {
        double b = m->stats.buffer_ms;
        *buffer_ms = b < 0 ? 0 : b > AU_CLIENT_MS_MAX ? AU_CLIENT_MS_MAX : b;
        *observe_buffer = true;
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
