/* Leak detection maths (server/leak.h) on synthetic RSS series: exact
 * slopes, precision far from the origin, noise, the sliding window, the
 * step response the warning threshold was chosen for, the warn-once rule,
 * and the slope's way into /metrics and /api/metrics. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/au.h"
#include "server/leak.h"
#include "server/metrics.h"
#include "server/procmon.h"
#include <time.h>

#define MB 1e6
#define HOUR 3600.0

static void assert_near(double got, double want, double tol)
{
    if (fabs(got - want) > tol) {
        fprintf(stderr, "got %.9g, want %.9g (+-%.3g)\n", got, want, tol);
        fail();
    }
}

/* deterministic noise in [-1, 1) */
static double noise(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*x >> 11) / (double)(1ULL << 52) - 1.0;
}

static void exact_line(void **state)
{
    (void)state;
    au_slope_sample st[300];
    au_slope_window w;
    au_slope_init(&w, st, 300);
    for (int i = 0; i < 200; i++)
        au_slope_push(&w, i * 5.0, 1e8 + 5555.5 * i * 5.0);
    double slope;
    assert_int_equal(au_slope_fit(&w, &slope), 200);
    assert_near(slope, 5555.5, 1e-6);
    assert_near(au_slope_span(&w), 995.0, 1e-9);
}

/* a monotonic clock after months of uptime and RSS in gigabytes: times
 * are taken relative to the oldest sample, so nothing cancels */
static void far_from_origin(void **state)
{
    (void)state;
    au_slope_sample st[17281];
    au_slope_window w;
    au_slope_init(&w, st, 17281);
    double t0 = 3e7, slope_h = 20 * MB;
    for (int i = 0; i < 17281; i++) {
        double t = t0 + i * 5.0;
        au_slope_push(&w, t, 8e9 + slope_h / HOUR * (t - t0));
    }
    double slope;
    assert_int_equal(au_slope_fit(&w, &slope), 17281);
    assert_near(slope * HOUR, slope_h, 1.0); /* to a byte per hour */
    assert_near(au_slope_span(&w), 86400.0, 1e-6);
}

static void noisy_line(void **state)
{
    (void)state;
    au_leak l;
    au_leak_config c = au_leak_config_default();
    assert_int_equal(au_leak_init(&l, &c), 0);
    uint64_t x = 42;
    for (int i = 0; i < 720; i++) {
        double t = i * 5.0;
        au_leak_sample(&l, t, 200 * MB + 10 * MB / HOUR * t + MB * noise(&x));
    }
    /* +-1 MB of uniform noise: standard error ~0.08 MB/h over 720 samples */
    assert_int_equal(l.samples, 720);
    assert_near(l.slope_bytes_per_hour, 10 * MB, 0.5 * MB);
    assert_false(l.warned);
    au_leak_deinit(&l);
}

static void too_few(void **state)
{
    (void)state;
    au_slope_sample st[4];
    au_slope_window w;
    au_slope_init(&w, st, 4);
    double slope = 1;
    assert_int_equal(au_slope_fit(&w, &slope), 0);
    assert_true(slope == 0.0);
    au_slope_push(&w, 10, 1e6);
    assert_int_equal(au_slope_fit(&w, &slope), 1);
    assert_true(slope == 0.0);
    assert_true(au_slope_span(&w) == 0.0);
    au_slope_push(&w, 10, 2e6); /* same time: no slope to speak of */
    assert_int_equal(au_slope_fit(&w, &slope), 2);
    assert_true(slope == 0.0);
}

/* the window keeps only the newest cap samples: an old climb followed by a
 * plateau longer than the window reads as flat */
static void window_slides(void **state)
{
    (void)state;
    au_slope_sample st[100];
    au_slope_window w;
    au_slope_init(&w, st, 100);
    for (int i = 0; i < 150; i++)
        au_slope_push(&w, i * 5.0, 1e8 + i * 1e5);
    double plateau = 1e8 + 149 * 1e5, slope;
    for (int i = 150; i < 250; i++)
        au_slope_push(&w, i * 5.0, plateau);
    assert_int_equal(au_slope_fit(&w, &slope), 100);
    assert_near(slope, 0.0, 1e-9);
    assert_near(au_slope_span(&w), 99 * 5.0, 1e-9);
    /* the newest 50 alone: flat too; the oldest climb shows when the
     * newest n reach back into it */
    assert_int_equal(au_slope_fit_newest(&w, 50, &slope), 50);
    assert_near(slope, 0.0, 1e-9);
    assert_int_equal(au_slope_fit_newest(&w, 1000, &slope), 100);
    assert_int_equal(au_slope_fit_newest(&w, 1, &slope), 1);
    assert_true(slope == 0.0);
    /* one more climbing sample tilts it again */
    au_slope_push(&w, 250 * 5.0, plateau + 50 * MB);
    au_slope_fit(&w, &slope);
    assert_true(slope > 0);
}

/* A step of S bytes in the middle of the window reads as 1.5 S / T over the
 * whole window: at the minimum window (720 samples, an hour) 13 MB stays
 * under 20 MB/h and 14 MB does not - the figures quoted in leak.h. The
 * newest half is flat after the step, so neither warns. */
static double step_slope(double step, bool *warned, double *recent)
{
    au_leak l;
    au_leak_config c = au_leak_config_default();
    assert_int_equal(au_leak_init(&l, &c), 0);
    bool w = false;
    for (int i = 0; i < 720; i++)
        w |= au_leak_sample(&l, i * 5.0, 150 * MB + (i >= 360 ? step : 0));
    double s = l.slope_bytes_per_hour;
    *recent = l.recent_bytes_per_hour;
    au_leak_deinit(&l);
    *warned = w;
    return s;
}

static void step_response(void **state)
{
    (void)state;
    bool warned;
    double recent;
    double s13 = step_slope(13 * MB, &warned, &recent);
    assert_near(s13, 1.5 * 13 * MB * (3600.0 / (719 * 5.0)), 0.1 * MB);
    assert_true(s13 < 20 * MB);
    assert_false(warned);
    double s14 = step_slope(14 * MB, &warned, &recent);
    assert_true(s14 > 20 * MB);
    assert_near(recent, 0.0, 1.0);
    assert_false(warned);
    step_slope(500 * MB, &warned, &recent);
    assert_false(warned);
}

/* The start-up ramp: 500 MB while a thousand listeners connect in the
 * first minute, then flat with allocator noise. The whole window still
 * reads ~25 MB/h after an hour (6 S a (1 - a) / T, the ramp centred at
 * a = 1/120); the newest half is flat, so no warning - ever. */
static void startup_ramp(void **state)
{
    (void)state;
    au_leak l;
    au_leak_config c = au_leak_config_default();
    assert_int_equal(au_leak_init(&l, &c), 0);
    uint64_t x = 7;
    bool warned = false;
    for (int i = 0; i < 2000; i++) {
        double base = i < 12 ? 20 * MB + 500 * MB * i / 12.0 : 520 * MB;
        warned |= au_leak_sample(&l, i * 5.0, base + 0.5 * MB * noise(&x));
        if (i == 719) {
            assert_true(l.slope_bytes_per_hour > 20 * MB);
            assert_near(l.recent_bytes_per_hour, 0.0, 2 * MB);
        }
    }
    assert_false(warned);
    au_leak_deinit(&l);
}

static void warns_once_after_enough_samples(void **state)
{
    (void)state;
    au_leak l;
    au_leak_config c = au_leak_config_default();
    assert_int_equal(au_leak_init(&l, &c), 0);
    assert_int_equal(l.w.cap, 17281); /* 24 h at 5 s, both ends */
    int fired = 0, fired_at = -1;
    for (int i = 0; i < 2000; i++) {
        /* 30 MB/h: a leak, visible from the second sample */
        if (au_leak_sample(&l, i * 5.0, 100 * MB + 30 * MB / HOUR * i * 5.0)) {
            fired++;
            if (fired_at < 0) fired_at = i;
        }
        if (i == 1) assert_near(l.slope_bytes_per_hour, 30 * MB, 1e-3);
    }
    assert_int_equal(fired, 1);
    assert_int_equal(fired_at, 719); /* the 720th sample: one hour */
    au_leak_deinit(&l);

    /* a slope just under the threshold, or a shrinking process, never
     * warns */
    double slopes[] = {19.9 * MB, 0, -50 * MB};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(au_leak_init(&l, &c), 0);
        for (int i = 0; i < 1500; i++)
            assert_false(
                au_leak_sample(&l, i * 5.0, 1e9 + slopes[k] / HOUR * i * 5.0));
        au_leak_deinit(&l);
    }
}

static void bad_config(void **state)
{
    (void)state;
    au_leak l;
    au_leak_config c = au_leak_config_default();
    c.interval_s = 0;
    assert_int_equal(au_leak_init(&l, &c), AU_EINVAL);
    c = au_leak_config_default();
    c.window_s = 1;
    assert_int_equal(au_leak_init(&l, &c), AU_EINVAL);
    c = au_leak_config_default();
    c.interval_s = 0.01; /* 8.6 million samples: refused */
    assert_int_equal(au_leak_init(&l, &c), AU_EINVAL);
    c = au_leak_config_default();
    c.min_samples = 1;
    assert_int_equal(au_leak_init(&l, &c), AU_EINVAL);
}

static void exported(void **state)
{
    (void)state;
    static au_metrics m;
    au_metrics_init(&m);
    au_metrics_publish_rss_slope(&m, 21.5e6, 22.25e6, 720, 3595);
    au_proc_stats ps = {0};
    static char buf[65536];
    int n = au_metrics_prometheus(&m, &ps, buf, sizeof buf);
    assert_true(n > 0);
    assert_non_null(strstr(buf, "# TYPE auralis_rss_slope_bytes_per_hour "
                                "gauge\nauralis_rss_slope_bytes_per_hour "
                                "21500000\n"));
    assert_non_null(strstr(buf, "\nauralis_rss_slope_samples 720\n"));
    assert_non_null(
        strstr(buf, "\nauralis_rss_slope_recent_bytes_per_hour 22250000\n"));
    assert_non_null(strstr(buf, "\nauralis_rss_slope_window_seconds 3595\n"));
    n = au_metrics_json(&m, &ps, buf, sizeof buf);
    assert_true(n > 0);
    json_t *j = json_loads(buf, 0, NULL);
    assert_non_null(j);
    assert_true(json_number_value(
                    json_object_get(j, "rss_slope_bytes_per_hour")) == 21.5e6);
    assert_int_equal(
        json_integer_value(json_object_get(j, "rss_slope_samples")), 720);
    json_decref(j);
}

/* The monitor thread samples on its own, publishes through the metrics,
 * and stops promptly however long its interval. */
static void monitor_thread(void **state)
{
    (void)state;
    static au_metrics m;
    au_metrics_init(&m);
    au_leak_config c = au_leak_config_default();
    c.interval_s = 0.02;
    c.window_s = 1.0;
    c.warn_bytes_per_hour = 1e18; /* no warning on stderr here */
    au_procmon *p = NULL;
    assert_int_equal(au_procmon_start(&p, &m, &c), 0);
    assert_non_null(p);
    /* generous: a busy machine may delay the thread */
    for (int i = 0; i < 1000 && atomic_load(&m.rss_slope_samples) < 5; i++)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    assert_true(atomic_load(&m.rss_slope_samples) >= 5);
    assert_true(atomic_load(&m.rss_slope_window_ms) > 0);
    au_procmon_stop(p);
    au_procmon_stop(NULL);

    /* an hour's interval: stop must not wait for it */
    c = au_leak_config_default();
    c.interval_s = 3600;
    assert_int_equal(au_procmon_start(&p, &m, &c), 0);
    au_procmon_stop(p);

    c.interval_s = 0; /* refused by the detector */
    assert_int_equal(au_procmon_start(&p, &m, &c), AU_EINVAL);
    assert_null(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_line),
        cmocka_unit_test(far_from_origin),
        cmocka_unit_test(noisy_line),
        cmocka_unit_test(too_few),
        cmocka_unit_test(window_slides),
        cmocka_unit_test(step_response),
        cmocka_unit_test(startup_ramp),
        cmocka_unit_test(warns_once_after_enough_samples),
        cmocka_unit_test(bad_config),
        cmocka_unit_test(exported),
        cmocka_unit_test(monitor_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
