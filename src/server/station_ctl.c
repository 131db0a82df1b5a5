#include "server/station_ctl.h"

#include <string.h>

#include "server/stream.h"

int au_station_control_parse(const char *s, au_station_control *out)
{
    if (!s) return -1;
    if (!strcmp(s, "open")) *out = AU_STATION_OPEN;
    else if (!strcmp(s, "owner")) *out = AU_STATION_OWNER;
    else if (!strcmp(s, "locked")) *out = AU_STATION_LOCKED;
    else return -1;
    return 0;
}

const char *au_station_may_set(au_station_control mode, const au_stream *s,
                               const void *listener)
{
    if (!s->station || mode == AU_STATION_OPEN) return NULL;
    if (mode == AU_STATION_LOCKED)
        return "this server's stations cannot be changed (--station-control "
               "locked)";
    if (s->owner && s->owner == listener) return NULL;
    return "only the listener who started this station may change it "
           "(--station-control owner)";
}

void au_update_merge(au_param_update *into, const au_param_update *u)
{
    au_params_apply(&into->v, u);
    into->mask |= u->mask;
}

void au_station_flush(au_stream *s, int64_t now_ns)
{
    if (!s->pending_set.mask) return;
    if (s->set_budget_ns < now_ns - 1000000000LL)
        s->set_budget_ns = now_ns - 1000000000LL; /* burst of one second */
    int64_t step = (int64_t)(1e9 / AU_STATION_SETS_PER_S);
    if (s->set_budget_ns + step > now_ns) return; /* budget spent: wait */
    if (!au_stream_push_set(s, &s->pending_set)) return; /* queue full */
    s->set_budget_ns += step;
    memset(&s->pending_set, 0, sizeof s->pending_set);
}

void au_station_set(au_stream *s, const au_param_update *u, int64_t now_ns)
{
    au_update_merge(&s->pending_set, u);
    au_station_flush(s, now_ns);
}
