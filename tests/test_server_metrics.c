/* The operator metrics added for monitoring: transports as labels, the
 * export-jobs gauge, the worker's per-chunk report (render time, lag,
 * phrases), render lag across streams, histograms exported in seconds,
 * and the Prometheus text staying well-formed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "server/metrics.h"

static au_metrics m;
static char buf[65536];
static au_proc_stats ps;

static int render(void)
{
    int n = au_metrics_prometheus(&m, &ps, buf, sizeof buf);
    assert_true(n > 0 && (size_t)n == strlen(buf));
    return n;
}

static void transports(void **state)
{
    (void)state;
    au_metrics_init(&m);
    assert_int_equal(au_metrics_transport(&m, "websocket"),
                     AU_TRANSPORT_WEBSOCKET);
    int http = au_metrics_transport(&m, "http");
    int hls = au_metrics_transport(&m, "hls");
    assert_int_equal(http, 1);
    assert_int_equal(hls, 2);
    assert_int_equal(au_metrics_transport(&m, "http"), http); /* idempotent */
    au_metrics_listeners_add(&m, AU_TRANSPORT_WEBSOCKET, 3);
    au_metrics_listeners_add(&m, http, 2);
    au_metrics_listeners_add(&m, http, -1);
    au_metrics_listeners_add(&m, 7, 5); /* unregistered: ignored */
    au_metrics_listeners_add(&m, -1, 5);
    render();
    assert_non_null(strstr(
        buf, "auralis_transport_listeners{transport=\"websocket\"} 3\n"));
    assert_non_null(
        strstr(buf, "auralis_transport_listeners{transport=\"http\"} 1\n"));
    assert_non_null(
        strstr(buf, "auralis_transport_listeners{transport=\"hls\"} 0\n"));
    char name[16];
    for (int i = 3; i < AU_TRANSPORTS_MAX; i++) {
        snprintf(name, sizeof name, "t%d", i);
        static char names[AU_TRANSPORTS_MAX][16];
        memcpy(names[i], name, sizeof name);
        assert_int_equal(au_metrics_transport(&m, names[i]), i);
    }
    assert_int_equal(au_metrics_transport(&m, "one-too-many"), -1);
}

static void export_jobs(void **state)
{
    (void)state;
    au_metrics_init(&m);
    int64_t before = au_metrics_export_jobs();
    au_metrics_export_jobs_add(1);
    au_metrics_export_jobs_add(1);
    au_metrics_export_jobs_add(-1);
    assert_int_equal(au_metrics_export_jobs(), before + 1);
    render();
    char want[64];
    snprintf(want, sizeof want, "\nauralis_export_jobs_running %lld\n",
             (long long)(before + 1));
    assert_non_null(strstr(buf, want));
    au_metrics_export_jobs_add(-1);
}

static void chunk_done(void **state)
{
    (void)state;
    au_metrics_init(&m);
    /* 2 ms render, 40 ms ahead of due, after the burst */
    au_metrics_chunk_done(&m, 2000000, -40000000, 1, 0);
    /* burst chunk, 3 ms late: late but not lag */
    au_metrics_chunk_done(&m, 3000000, 3000000, 0, 1);
    /* 120 ms behind real time */
    au_metrics_chunk_done(&m, 4000000, 120000000, 1, 2);
    assert_int_equal(atomic_load(&m.chunks_rendered), 3);
    assert_int_equal(atomic_load(&m.render_late), 2);
    assert_int_equal(atomic_load(&m.phrases), 3);
    assert_int_equal(atomic_load(&m.render_lag_ms.count), 2);
    render();
    assert_non_null(
        strstr(buf, "\nauralis_render_seconds_bucket{le=\"0.002\"} 1\n"));
    assert_non_null(
        strstr(buf, "\nauralis_render_seconds_bucket{le=\"0.005\"} 3\n"));
    assert_non_null(strstr(buf, "\nauralis_render_seconds_sum 0.009\n"));
    /* the old millisecond name, same counts */
    assert_non_null(strstr(buf, "\nauralis_render_ms_bucket{le=\"5\"} 3\n"));
    assert_non_null(strstr(buf, "\nauralis_render_ms_sum 9\n"));
    assert_non_null(
        strstr(buf, "\nauralis_render_lag_seconds_bucket{le=\"0\"} 1\n"));
    assert_non_null(
        strstr(buf, "\nauralis_render_lag_seconds_bucket{le=\"0.1\"} 1\n"));
    assert_non_null(
        strstr(buf, "\nauralis_render_lag_seconds_bucket{le=\"0.25\"} 2\n"));
    assert_non_null(strstr(buf, "\nauralis_phrases_composed_total 3\n"));
    assert_non_null(strstr(buf, "\nauralis_render_late_total 2\n"));
}

static void render_lag(void **state)
{
    (void)state;
    au_render_lag r = {0};
    int64_t now = 1000000000000LL;
    au_render_lag_add(&r, now + 45000000, now); /* ahead */
    au_render_lag_add(&r, now, now);            /* due this instant */
    au_render_lag_add(&r, now - 250000000, now);
    au_render_lag_add(&r, now - 50000000, now);
    assert_int_equal(r.streams, 4);
    assert_int_equal(r.behind, 2);
    assert_true(r.max_seconds > 0.2499 && r.max_seconds < 0.2501);
    au_metrics_init(&m);
    ps.lag = r;
    render();
    assert_non_null(strstr(buf, "\nauralis_render_lag_max_seconds 0.25\n"));
    assert_non_null(strstr(buf, "\nauralis_streams_behind 2\n"));
    int n = au_metrics_json(&m, &ps, buf, sizeof buf);
    assert_true(n > 0);
    json_t *j = json_loads(buf, 0, NULL);
    assert_non_null(j);
    json_t *lag = json_object_get(j, "render_lag");
    assert_int_equal(json_integer_value(json_object_get(lag, "streams_behind")),
                     2);
    json_decref(j);
    memset(&ps, 0, sizeof ps);
}

/* Every family has one HELP and one TYPE before its samples, names follow
 * the conventions (counters end in _total, seconds/bytes in base units),
 * and a histogram's buckets are cumulative and end in +Inf = _count. */
static void well_formed(void **state)
{
    (void)state;
    au_metrics_init(&m);
    au_hist_observe(&m.client_jitter_ms, 3.5);
    au_hist_observe(&m.client_underruns_report, 0);
    au_hist_observe(&m.client_underruns_report, 4);
    au_hist_observe(&m.client_buffer_ms, 480);
    ps.open_fds = 12;
    ps.max_fds = 1280;
    ps.heap_inuse_bytes = 123456;
    render();
    assert_non_null(strstr(
        buf, "\nauralis_client_jitter_seconds_bucket{le=\"0.005\"} 1\n"));
    assert_non_null(strstr(
        buf, "\nauralis_client_underruns_per_report_bucket{le=\"0\"} 1\n"));
    assert_non_null(strstr(
        buf, "\nauralis_client_underruns_per_report_bucket{le=\"5\"} 2\n"));
    assert_non_null(
        strstr(buf, "\nauralis_client_buffer_seconds_bucket{le=\"0.5\"} 1\n"));
    assert_non_null(strstr(buf, "\nauralis_open_fds 12\n"));
    assert_non_null(strstr(buf, "\nauralis_heap_inuse_bytes 123456\n"));
    char type[64] = "", family[128] = "";
    unsigned long long last_cum = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strncmp(line, "# HELP ", 7)) continue;
        if (!strncmp(line, "# TYPE ", 7)) {
            assert_int_equal(sscanf(line + 7, "%127s %63s", family, type), 2);
            if (!strcmp(type, "counter"))
                assert_non_null(strstr(family, "_total"));
            assert_null(strstr(family, "_ms_total"));
            last_cum = 0;
            continue;
        }
        /* a sample of the family just declared */
        assert_int_equal(strncmp(line, family, strlen(family)), 0);
        if (!strcmp(type, "histogram") && strstr(line, "_bucket{")) {
            unsigned long long v = strtoull(strrchr(line, ' ') + 1, NULL, 10);
            assert_true(v >= last_cum);
            last_cum = v;
        } else if (!strcmp(type, "histogram") && strstr(line, "_count ")) {
            unsigned long long v = strtoull(strrchr(line, ' ') + 1, NULL, 10);
            assert_true(v == last_cum);
        }
    }
    memset(&ps, 0, sizeof ps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transports),  cmocka_unit_test(export_jobs),
        cmocka_unit_test(chunk_done),  cmocka_unit_test(render_lag),
        cmocka_unit_test(well_formed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
