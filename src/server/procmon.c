#include "server/procmon.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/au.h"
#include "server/pacer.h"
#include "server/procstat.h"

struct au_procmon {
    au_metrics *m;
    au_leak leak;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
};

static void sample(au_procmon *p)
{
    uint64_t rss = au_proc_rss_bytes();
    if (!rss) return;
    double t = (double)au_mono_ns() * 1e-9;
    bool warn = au_leak_sample(&p->leak, t, (double)rss);
    au_metrics_publish_rss_slope(p->m, p->leak.slope_bytes_per_hour,
                                 p->leak.recent_bytes_per_hour, p->leak.samples,
                                 p->leak.span_s);
    if (warn)
        fprintf(stderr,
                "auralis: warning: resident memory is growing by %.1f MB per "
                "hour (least squares over %d samples, %.0f minutes; %.1f MB "
                "per hour over the newest half; now %.1f MB): a leak? "
                "(logged once; the slope stays in /metrics as "
                "auralis_rss_slope_bytes_per_hour)\n",
                p->leak.slope_bytes_per_hour / 1e6, p->leak.samples,
                p->leak.span_s / 60.0, p->leak.recent_bytes_per_hour / 1e6,
                (double)rss / 1e6);
}

static void *monitor_main(void *arg)
{
    au_procmon *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        pthread_mutex_unlock(&p->mu);
        sample(p);
        pthread_mutex_lock(&p->mu);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        double s = p->leak.cfg.interval_s;
        long long ns =
            (long long)ts.tv_nsec + (long long)((s - (long long)s) * 1e9);
        ts.tv_sec += (time_t)s + (time_t)(ns / 1000000000LL);
        ts.tv_nsec = (long)(ns % 1000000000LL);
        while (!p->stop && pthread_cond_timedwait(&p->cv, &p->mu, &ts) == 0)
            ; /* woken without stop: spurious, keep waiting */
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int au_procmon_start(au_procmon **out, au_metrics *m, const au_leak_config *cfg)
{
    *out = NULL;
    au_procmon *p = calloc(1, sizeof *p);
    if (!p) return AU_ENOMEM;
    p->m = m;
    int r = au_leak_init(&p->leak, cfg);
    if (r) {
        free(p);
        return r;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&p->mu, NULL);
    if (pthread_create(&p->thread, NULL, monitor_main, p)) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        au_leak_deinit(&p->leak);
        free(p);
        return AU_ENOMEM;
    }
    *out = p;
    return 0;
}

void au_procmon_stop(au_procmon *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    au_leak_deinit(&p->leak);
    free(p);
}
