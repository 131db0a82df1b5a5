/* The server's pure machinery: the SPSC ring under two threads, the pacing
 * clock, histograms and metrics text, and request path confinement. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "server/metrics.h"
#include "server/pacer.h"
#include "server/ring.h"
#include "server/webpath.h"

#define N_ITEMS 2000000

typedef struct {
    uint64_t seq, check;
} item_t;
static item_t items[64];
static au_spsc ring;

static void *producer(void *arg)
{
    (void)arg;
    for (uint64_t i = 0; i < N_ITEMS;) {
        item_t it = {i, i * 2654435761u};
        if (au_spsc_push(&ring, &it)) i++;
    }
    return NULL;
}

static void ring_two_threads(void **state)
{
    (void)state;
    assert_int_equal(au_spsc_init(&ring, items, sizeof(item_t), 48), -1);
    assert_int_equal(au_spsc_init(&ring, items, sizeof(item_t), 64), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, producer, NULL), 0);
    uint64_t expect = 0, max_fill = 0;
    while (expect < N_ITEMS) {
        uint64_t c = au_spsc_count(&ring);
        if (c > max_fill) max_fill = c;
        item_t it;
        if (!au_spsc_pop(&ring, &it)) continue;
        /* every item, in order, intact */
        if (it.seq != expect || it.check != expect * 2654435761u)
            fail_msg("item %llu: got seq %llu", (unsigned long long)expect,
                     (unsigned long long)it.seq);
        expect++;
    }
    pthread_join(t, NULL);
    assert_true(max_fill <= 64);
    item_t it;
    assert_false(au_spsc_pop(&ring, &it));
}

static void ring_full_empty(void **state)
{
    (void)state;
    item_t small[4];
    au_spsc r;
    assert_int_equal(au_spsc_init(&r, small, sizeof(item_t), 4), 0);
    item_t it = {1, 1};
    for (int i = 0; i < 4; i++)
        assert_true(au_spsc_push(&r, &it));
    assert_false(au_spsc_push(&r, &it));
    assert_int_equal(au_spsc_count(&r), 4);
    for (int i = 0; i < 4; i++)
        assert_true(au_spsc_pop(&r, &it));
    assert_false(au_spsc_pop(&r, &it));
}

static void pacer_schedule(void **state)
{
    (void)state;
    au_pacer p = {1000000000LL, 100000000LL, 5};
    /* the burst: chunks 0..4 due at the start, then one per 100 ms */
    for (int k = 0; k < 5; k++)
        assert_true(au_pacer_due(&p, k) == p.t0_ns);
    assert_true(au_pacer_due(&p, 5) == p.t0_ns + 100000000LL);
    assert_true(au_pacer_live(&p, p.t0_ns - 1) == 0);
    assert_true(au_pacer_live(&p, p.t0_ns) == 5);
    assert_true(au_pacer_live(&p, p.t0_ns + 99999999) == 5);
    assert_true(au_pacer_live(&p, p.t0_ns + 100000000) == 6);
    /* live and due agree for every chunk over a day: k is due iff k < live */
    for (int64_t k = 0; k < 864000; k += 997) {
        int64_t d = au_pacer_due(&p, k);
        assert_true(au_pacer_live(&p, d) > k);
        if (k >= 5) assert_true(au_pacer_live(&p, d - 1) <= k);
    }
    /* no drift: after an hour exactly 36000 chunks (plus the burst) are due,
     * so position / rate equals wall time to the chunk */
    int64_t hour = 3600LL * 1000000000LL;
    assert_true(au_pacer_live(&p, p.t0_ns + hour) == 36000 + 5);
    assert_true(au_pacer_due(&p, 36004) == p.t0_ns + hour);
}

static void pacer_skip(void **state)
{
    (void)state;
    uint64_t dropped = 0;
    assert_true(au_pacer_skip(100, 120, 20, 5, &dropped) == 100);
    assert_true(dropped == 0);
    assert_true(au_pacer_skip(99, 120, 20, 5, &dropped) == 115);
    assert_true(dropped == 16);
    assert_true(au_pacer_skip(0, 3, 20, 5, &dropped) == 0);
}

static void hist_quantiles(void **state)
{
    (void)state;
    au_hist h;
    const double b[] = {1, 2, 5, 10};
    au_hist_init(&h, b, 4);
    assert_true(au_hist_quantile(&h, 0.5) == 0.0);
    for (int i = 0; i < 90; i++)
        au_hist_observe(&h, 0.5); /* bucket <= 1 */
    for (int i = 0; i < 9; i++)
        au_hist_observe(&h, 4.0); /* bucket <= 5 */
    au_hist_observe(&h, 50.0);    /* +Inf */
    assert_int_equal(atomic_load(&h.count), 100);
    double p50 = au_hist_quantile(&h, 0.5);
    assert_true(p50 > 0.0 && p50 <= 1.0);
    double p95 = au_hist_quantile(&h, 0.95);
    assert_true(p95 > 2.0 && p95 <= 5.0);
    assert_true(au_hist_quantile(&h, 0.999) ==
                10.0); /* +Inf reports the last bound */
    assert_true(atomic_load(&h.sum_micro) ==
                (uint64_t)(90 * 0.5e6 + 9 * 4e6 + 50e6));
}

static void metrics_text(void **state)
{
    (void)state;
    au_metrics m;
    au_metrics_init(&m);
    atomic_store(&m.listeners, 3);
    atomic_store(&m.chunks_sent, 1234);
    atomic_store(&m.controls[AU_CTL_RESULT_RATE_LIMITED], 7);
    au_hist_observe(&m.jitter_ms, 3.0);
    au_hist_observe(&m.jitter_ms, 30.0);
    au_proc_stats ps = {0};
    assert_int_equal(au_proc_read(&ps), 0);
    assert_true(ps.rss_bytes > 100000);
    ps.uptime_seconds = 12.5;
    static char buf[32768];
    int n = au_metrics_prometheus(&m, &ps, buf, sizeof buf);
    assert_true(n > 0 && (size_t)n == strlen(buf));
    assert_non_null(strstr(buf, "\nauralis_listeners 3\n"));
    assert_non_null(strstr(buf, "\nauralis_chunks_sent_total 1234\n"));
    assert_non_null(strstr(
        buf, "auralis_control_messages_total{result=\"rate_limited\"} 7\n"));
    assert_non_null(strstr(buf, "auralis_send_jitter_ms_bucket{le=\"5\"} 1\n"));
    assert_non_null(
        strstr(buf, "auralis_send_jitter_ms_bucket{le=\"50\"} 2\n"));
    assert_non_null(
        strstr(buf, "auralis_send_jitter_ms_bucket{le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(buf, "auralis_send_jitter_ms_count 2\n"));
    assert_non_null(strstr(buf, "# TYPE auralis_render_ms histogram\n"));
    /* every sample line is "name{labels} value" with a name we declared */
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        assert_int_equal(strncmp(line, "auralis_", 8), 0);
        assert_non_null(strchr(line, ' '));
    }
    n = au_metrics_json(&m, &ps, buf, sizeof buf);
    assert_true(n > 0);
    json_t *j = json_loads(buf, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "listeners")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "chunks_sent")),
                     1234);
    assert_non_null(
        json_object_get(json_object_get(j, "send_jitter_ms"), "p99"));
    assert_true(json_number_value(json_object_get(j, "uptime_seconds")) ==
                12.5);
    json_decref(j);
    assert_int_equal(au_metrics_json(&m, &ps, buf, 100), -1);
}

static void web_paths(void **state)
{
    (void)state;
    char out[256];
    assert_int_equal(au_web_clean_path("/", out, sizeof out), 0);
    assert_string_equal(out, "/index.html");
    assert_int_equal(au_web_clean_path("/js/app.js", out, sizeof out), 0);
    assert_string_equal(out, "/js/app.js");
    assert_int_equal(au_web_clean_path("/js/", out, sizeof out), 0);
    assert_string_equal(out, "/js/index.html");
    static const char *const bad[] = {
        "",           "x",         "/../etc/passwd",
        "/a/../../b", "/./a",      "//etc/passwd",
        "/a//b",      "/a\\..\\b", "/a\x01",
        "/.."};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (au_web_clean_path(bad[i], out, sizeof out) == 0)
            fail_msg("accepted '%s'", bad[i]);
    assert_string_equal(au_web_content_type("/a/b.js"),
                        "text/javascript; charset=utf-8");
    assert_string_equal(au_web_content_type("/x.html"),
                        "text/html; charset=utf-8");
    assert_string_equal(au_web_content_type("/x.v1/noext"),
                        "application/octet-stream");
    const au_web_asset table[] = {
        {"/index.html", "text/html", (const unsigned char *)"hi", 2},
        {NULL, NULL, NULL, 0}};
    assert_non_null(au_web_find(table, "/index.html"));
    assert_null(au_web_find(table, "/other.html"));
}

static void web_root_confined(void **state)
{
    (void)state;
    char dir[] = "/tmp/au_webroot_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512], real_root[512], out[512];
    snprintf(path, sizeof path, "%s/in.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("x", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/escape", dir);
    assert_int_equal(symlink("/etc/passwd", path), 0);
    assert_non_null(realpath(dir, real_root));
    assert_int_equal(au_web_resolve_root(real_root, "/in.txt", out, sizeof out),
                     0);
    assert_int_equal(au_web_resolve_root(real_root, "/escape", out, sizeof out),
                     -1);
    assert_int_equal(
        au_web_resolve_root(real_root, "/missing", out, sizeof out), -1);
    assert_int_equal(au_web_resolve_root(real_root, "/", out, sizeof out),
                     -1); /* a dir */
    unlink(path);
    snprintf(path, sizeof path, "%s/in.txt", dir);
    unlink(path);
    rmdir(dir);
}

static void presets_valid(void **state)
{
    (void)state;
    json_t *j = json_loads(au_presets_json(), 0, NULL);
    assert_non_null(j);
    json_t *a = json_object_get(j, "presets");
    assert_true(json_array_size(a) >= 4);
    size_t i;
    json_t *p;
    json_array_foreach(a, i, p)
    {
        double bpm = json_number_value(json_object_get(p, "bpm"));
        double in = json_number_value(json_object_get(p, "intensity"));
        assert_true(bpm >= 30 && bpm <= 200);
        assert_true(in >= 0 && in <= 1);
        assert_non_null(json_string_value(json_object_get(p, "name")));
    }
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ring_two_threads), cmocka_unit_test(ring_full_empty),
        cmocka_unit_test(pacer_schedule),   cmocka_unit_test(pacer_skip),
        cmocka_unit_test(hist_quantiles),   cmocka_unit_test(metrics_text),
        cmocka_unit_test(web_paths),        cmocka_unit_test(web_root_confined),
        cmocka_unit_test(presets_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
