/* Leak detection: a least-squares slope of resident memory over a sliding
 * window of samples (one every few seconds, up to 24 h), and the rule that
 * decides when that slope is worth a warning.
 *
 * The window is a ring of (time, bytes) pairs allocated once at init
 * (24 h at 5 s = 17,280 samples, 276 KiB); a fit is one O(n) pass in
 * double precision over times taken relative to the oldest sample, so
 * neither a long uptime nor gigabytes of RSS cost precision.
 * Plain values, no locking: one thread (the process monitor) owns each. */
#ifndef AU_SERVER_LEAK_H
#define AU_SERVER_LEAK_H

#include <stdbool.h>

typedef struct {
    double t; /* seconds, any origin, ascending */
    double v; /* the sampled value (bytes) */
} au_slope_sample;

typedef struct {
    au_slope_sample *s; /* cap entries, caller-owned */
    int cap, n, head;   /* head: where the next sample goes */
} au_slope_window;

void au_slope_init(au_slope_window *w, au_slope_sample *storage, int cap);
/* Adds a sample, forgetting the oldest once the ring is full. */
void au_slope_push(au_slope_window *w, double t, double v);
/* Least-squares slope (value units per second) of the samples in the
 * window into *slope; returns how many samples it used. With fewer than two
 * samples, or all at one time, *slope is 0. */
int au_slope_fit(const au_slope_window *w, double *slope);
/* The same over the newest n samples only (n is capped at the count). */
int au_slope_fit_newest(const au_slope_window *w, int n, double *slope);
/* Seconds between the oldest and the newest sample (0 below two). */
double au_slope_span(const au_slope_window *w);

typedef struct {
    double interval_s;          /* between samples: 5 */
    double window_s;            /* history kept: 86400 (24 h) */
    double warn_bytes_per_hour; /* 20e6 (20 MB per hour) */
    /* samples needed before a warning: 720 (one hour at 5 s). A one-off
     * step of S bytes inside a window of T reads as a slope of 1.5 S / T
     * (the least-squares line through a step); at T = 1 h a 13 MB step
     * (five new stations, a warm-up of caches) stays under 20 MB/h, while
     * after 10 minutes a 2.2 MB step would already cross it. Sampling
     * noise is no concern at that size: with 1 MB of jitter per sample the
     * slope's standard error over 720 samples is 0.13 MB/h. */
    int min_samples;
    /* The warning also needs the slope over the newest half of the window
     * above the threshold: a leak grows all along, so both halves agree,
     * while the ramp of a start-up (listeners connecting, hundreds of MB
     * in a minute) or any one-off step early in the window leaves the
     * newest half flat. Without it a 200 MB start-up ramp alone would read
     * 20 MB/h an hour later. */
} au_leak_config;

au_leak_config au_leak_config_default(void);

typedef struct {
    au_leak_config cfg;
    au_slope_window w;
    double slope_bytes_per_hour;  /* of the last fit, whole window */
    double recent_bytes_per_hour; /* of the last fit, newest half */
    int samples;                  /* in the window at the last fit */
    double span_s;                /* of the window at the last fit */
    bool warned;
} au_leak;

/* Allocates the ring (window_s / interval_s samples, at most 10^6).
 * 0 or AU_EINVAL / AU_ENOMEM. */
int au_leak_init(au_leak *l, const au_leak_config *cfg);
void au_leak_deinit(au_leak *l);
/* Adds a sample (t in seconds, ascending) and refits. Returns true exactly
 * once per detector: the first time the window holds min_samples or more
 * and the slopes over the whole window and over its newest half both
 * exceed warn_bytes_per_hour. */
bool au_leak_sample(au_leak *l, double t_s, double bytes);

#endif
