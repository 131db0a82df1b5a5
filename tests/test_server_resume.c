/* Recording a stream's timeline (resume.c): the stream reserves its whole
 * bound at creation, so au_stream_record never reallocates on the service
 * thread; past the bound the timeline is marked full at the first change
 * it could not keep (exports and resumes stop there), and a kept record is
 * a copy sized to what was recorded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/au.h"
#include "core/params.h"
#include "server/resume.h"
#include "server/stream.h"

/* publishes chunks [from, to) as the worker would, one change in each
 * chunk k with k % every == 0 */
static void publish(au_stream *s, int64_t from, int64_t to, int every)
{
    for (int64_t k = from; k < to; k++) {
        au_chunk *c = au_stream_chunk(s, k);
        c->pos = k * s->frames;
        c->changed = k % every == 0 ? AU_P_INTENSITY : 0;
        c->params = s->init;
        c->params.intensity = (double)(k % 100) / 100.0;
        atomic_store(&s->head, k + 1);
    }
}

static void test_reserved_at_create(void **state)
{
    (void)state;
    au_params p = au_params_default();
    au_stream *s = au_stream_create(1, &p, 48000, 5, 0);
    assert_non_null(s);
    assert_int_equal(s->timeline.cap, AU_TIMELINE_MAX);
    assert_int_equal(s->timeline.n, 0);
    au_stream_free(s);
}

static void test_record_never_reallocates(void **state)
{
    (void)state;
    au_params p = au_params_default();
    au_stream *s = au_stream_create(1, &p, 48000, 5, 0);
    assert_non_null(s);
    const au_timeline_entry *v = s->timeline.v;
    /* in ring-sized steps, as the service thread records every pump */
    int64_t k = 0, total = AU_TIMELINE_MAX + 100;
    while (k < total) {
        int64_t to = k + 16 < total ? k + 16 : total;
        publish(s, k, to, 1);
        au_stream_record(s);
        assert_ptr_equal(s->timeline.v, v); /* the same array throughout */
        k = to;
    }
    assert_int_equal(s->timeline.n, AU_TIMELINE_MAX);
    assert_true(s->timeline.full);
    /* the first change not kept is where exact replay ends */
    assert_int_equal(au_timeline_exact_until(&s->timeline),
                     (int64_t)AU_TIMELINE_MAX * s->frames);
    au_stream_free(s);
}

static void test_record_keeps_sized_copy(void **state)
{
    (void)state;
    au_params p = au_params_default();
    au_stream *s = au_stream_create(1, &p, 48000, 5, 0);
    assert_non_null(s);
    snprintf(s->rid, sizeof s->rid, "%s", "0123456789abcdef0123456789abcdef");
    publish(s, 0, 30, 3); /* 10 changes */
    au_stream_record(s);
    assert_int_equal(s->timeline.n, 10);
    au_records r;
    assert_int_equal(au_records_init(&r, 4, 600000000000LL), 0);
    au_records_keep(&r, s, 1);
    au_record *rec = au_records_find(&r, s->rid);
    assert_non_null(rec);
    assert_int_equal(rec->timeline.n, 10);
    assert_true(rec->timeline.cap < AU_TIMELINE_MAX);
    assert_int_equal(rec->end, 30 * s->frames);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(rec->timeline.v[i].pos, (int64_t)i * 3 * s->frames);
        assert_memory_equal(&rec->timeline.v[i], &s->timeline.v[i],
                            sizeof rec->timeline.v[i]);
    }
    au_records_deinit(&r);
    au_stream_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reserved_at_create),
        cmocka_unit_test(test_record_never_reallocates),
        cmocka_unit_test(test_record_keeps_sized_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
