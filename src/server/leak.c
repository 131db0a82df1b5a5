#include "server/leak.h"

#include <stdlib.h>
#include <string.h>

#include "core/au.h"

void au_slope_init(au_slope_window *w, au_slope_sample *storage, int cap)
{
    w->s = storage;
    w->cap = cap;
    w->n = 0;
    w->head = 0;
}

void au_slope_push(au_slope_window *w, double t, double v)
{
    if (w->cap <= 0) return;
    w->s[w->head] = (au_slope_sample){t, v};
    w->head = (w->head + 1) % w->cap;
    if (w->n < w->cap) w->n++;
}

/* index of the i-th oldest sample */
static int at(const au_slope_window *w, int i)
{
    return (w->head - w->n + i + w->cap) % w->cap;
}

double au_slope_span(const au_slope_window *w)
{
    if (w->n < 2) return 0.0;
    return w->s[at(w, w->n - 1)].t - w->s[at(w, 0)].t;
}

int au_slope_fit_newest(const au_slope_window *w, int n, double *slope)
{
    *slope = 0.0;
    if (n > w->n) n = w->n;
    if (n < 2) return n < 0 ? 0 : n;
    int first = w->n - n;
    /* two passes: means first, then centred sums, with times relative to
     * the oldest sample (no cancellation between large sums) */
    double t0 = w->s[at(w, first)].t, mt = 0, mv = 0;
    for (int i = first; i < w->n; i++) {
        const au_slope_sample *p = &w->s[at(w, i)];
        mt += p->t - t0;
        mv += p->v;
    }
    mt /= n;
    mv /= n;
    double sxx = 0, sxy = 0;
    for (int i = first; i < w->n; i++) {
        const au_slope_sample *p = &w->s[at(w, i)];
        double dx = p->t - t0 - mt;
        sxx += dx * dx;
        sxy += dx * (p->v - mv);
    }
    if (sxx > 0) *slope = sxy / sxx;
    return n;
}

int au_slope_fit(const au_slope_window *w, double *slope)
{
    return au_slope_fit_newest(w, w->n, slope);
}

au_leak_config au_leak_config_default(void)
{
    return (au_leak_config){.interval_s = 5,
                            .window_s = 86400,
                            .warn_bytes_per_hour = 20e6,
                            .min_samples = 720};
}

int au_leak_init(au_leak *l, const au_leak_config *cfg)
{
    memset(l, 0, sizeof *l);
    if (!(cfg->interval_s > 0) || !(cfg->window_s >= cfg->interval_s) ||
        cfg->min_samples < 2)
        return AU_EINVAL;
    double cap = cfg->window_s / cfg->interval_s;
    if (cap > 1e6) return AU_EINVAL;
    int n = (int)cap + 1; /* both ends of the window */
    au_slope_sample *s = calloc((size_t)n, sizeof *s);
    if (!s) return AU_ENOMEM;
    l->cfg = *cfg;
    au_slope_init(&l->w, s, n);
    return 0;
}

void au_leak_deinit(au_leak *l)
{
    free(l->w.s);
    memset(l, 0, sizeof *l);
}

bool au_leak_sample(au_leak *l, double t_s, double bytes)
{
    au_slope_push(&l->w, t_s, bytes);
    double slope;
    l->samples = au_slope_fit(&l->w, &slope);
    l->slope_bytes_per_hour = slope * 3600.0;
    au_slope_fit_newest(&l->w, l->samples / 2, &slope);
    l->recent_bytes_per_hour = slope * 3600.0;
    l->span_s = au_slope_span(&l->w);
    if (l->warned || l->samples < l->cfg.min_samples ||
        !(l->slope_bytes_per_hour > l->cfg.warn_bytes_per_hour) ||
        !(l->recent_bytes_per_hour > l->cfg.warn_bytes_per_hour))
        return false;
    l->warned = true;
    return true;
}
