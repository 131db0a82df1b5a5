/* The conductor: sections of 1-4 minutes, controls in range, drifting
 * density, and wander (off: the key never moves; on: related keys). */
#include "compose/conductor.h"
#include "compose_test_util.h"

static void test_sections_and_controls(void **state)
{
    (void)state;
    au_params p = test_params(21, 0.5);
    p.bpm = 72;
    evlist l = run_piece(&p, 48000, 4 * 3600, 4800, NULL, 0);
    double last_start = -1, minlen = 1e9, maxlen = 0;
    int sections = 0, names[AU_SEC_COUNT] = {0};
    float dmin = 1, dmax = 0;
    size_t controls = 0;
    for (size_t i = 0; i < l.n; i++) {
        const au_event *e = &l.ev[i];
        if (e->type == AU_EV_SECTION) {
            double t = (double)e->pos / 48000;
            if (last_start >= 0) {
                double len = t - last_start;
                if (len < minlen) minlen = len;
                if (len > maxlen) maxlen = len;
            }
            last_start = t;
            assert_int_equal(e->u.section.index, sections);
            sections++;
            for (int k = 0; k < AU_SEC_COUNT; k++)
                names[k] += !strcmp(e->u.section.name, au_section_name(k));
        }
        if (e->type == AU_EV_CONTROL) {
            controls++;
            assert_true(e->u.control.value >= 0 && e->u.control.value <= 1);
            assert_true(e->u.control.id <= AU_CTL_INTENSITY || e->u.control.id == AU_CTL_SECTION);
            if (e->u.control.id == AU_CTL_DENSITY) {
                if (e->u.control.value < dmin) dmin = e->u.control.value;
                if (e->u.control.value > dmax) dmax = e->u.control.value;
            }
        }
    }
    printf("%d sections in 4 h, %.0f-%.0f s long, density %.2f-%.2f, %zu controls\n",
           sections, minlen, maxlen, dmin, dmax, controls);
    assert_true(minlen >= 55 && maxlen <= 245);
    for (int k = 0; k < AU_SEC_COUNT; k++) assert_true(names[k] > 0);
    assert_true(dmax - dmin >= 0.25);            /* it drifts ... */
    assert_true(dmin >= 0.2 && dmax <= 0.8);     /* ... around the listener's */
    assert_true(controls < 4 * 3600 * 2);        /* bounded rate */
    evlist_free(&l);
}

/* pads and bass notes all in the key sounding when they start */
static int count_out_of_key(const evlist *l, int *keys_seen)
{
    uint16_t scale = 0;
    int bad = 0, keys = 0;
    for (size_t i = 0; i < l->n; i++) {
        const au_event *e = &l->ev[i];
        if (e->type == AU_EV_KEY) {
            scale = au_scale_mask(e->u.key.key, e->u.key.mode);
            keys++;
        }
        if (e->type == AU_EV_NOTE_ON && e->layer != AU_LAYER_PERCUSSION &&
            e->layer != AU_LAYER_MELODY && !au_in_mask(scale, e->note))
            bad++;
    }
    *keys_seen = keys;
    return bad;
}

static void test_wander(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        au_params p = test_params(seed, 0.5);
        int keys;
        evlist l = run_piece(&p, 44100, 8 * 3600, 4410, NULL, 0);
        assert_int_equal(count_out_of_key(&l, &keys), 0);
        assert_int_equal(keys, 1); /* only the opening key */
        evlist_free(&l);
        p.wander = true;
        l = run_piece(&p, 44100, 8 * 3600, 4410, NULL, 0);
        int bad = count_out_of_key(&l, &keys);
        printf("wander on, seed %d: %d key changes in 8 h\n", (int)seed, keys - 1);
        assert_int_equal(bad, 0);
        assert_true(keys > 5);
        evlist_free(&l);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sections_and_controls),
        cmocka_unit_test(test_wander),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
