/* Harmony: the Markov chain's reach, phrasing, rhythm and colour. */
#include "compose/harmony.h"
#include "compose_test_util.h"

static void test_every_degree_reachable(void **state)
{
    (void)state;
    for (int m = 0; m < AU_MODE_COUNT; m++) {
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 7; j++) assert_true(au_harmony_weight(m, i, j) > 0);
        for (int lvl = 0; lvl < 3; lvl++) {
            double inten = 0.1 + 0.4 * lvl;
            au_harmony h;
            au_harmony_init(&h, 100 + (uint64_t)m);
            int seen[7] = {0};
            au_chord c;
            for (int n = 0; n < 5000; n++) {
                au_harmony_next(&h, 2, m, inten, 3.0, &c);
                seen[c.degree]++;
                assert_int_equal(c.mask & ~au_scale_mask(2, m), 0);
            }
            for (int d = 0; d < 7; d++) {
                if (!seen[d]) printf("mode %d degree %d unreached\n", m, d);
                assert_true(seen[d] > 0);
            }
        }
    }
}

static void test_phrases_do_not_restart_on_tonic(void **state)
{
    (void)state;
    for (int m = 0; m < AU_MODE_COUNT; m++) {
        au_harmony h;
        au_harmony_init(&h, 7);
        au_chord c;
        int starts = 0, tonic = 0, degs[7] = {0}, v_total = 0, v_to_i = 0, prev = -1;
        for (int n = 0; n < 8000; n++) {
            int pos = au_harmony_next(&h, 0, m, 0.4, 3.0, &c);
            if (pos == 0 && n > 0) {
                starts++;
                tonic += c.degree == 0;
                degs[c.degree]++;
            }
            if (prev == 4) {
                v_total++;
                v_to_i += c.degree == 0;
            }
            prev = c.degree;
        }
        int distinct = 0;
        for (int d = 0; d < 7; d++) distinct += degs[d] > 0;
        printf("%-10s phrase starts on the tonic %.0f%%, on %d degrees; V->I %.0f%% of V\n",
               au_mode_name(m), 100.0 * tonic / starts, distinct, 100.0 * v_to_i / v_total);
        assert_true(tonic < starts / 2);
        assert_true(distinct >= 5);
        if (m == AU_MODE_IONIAN) assert_true(v_to_i * 100 < v_total * 15); /* no V-I drive */
    }
}

static void test_rhythm_and_colour_follow_intensity(void **state)
{
    (void)state;
    double bars[2] = {0}, tones[2] = {0};
    int types[2][AU_CQ_COUNT] = {{0}};
    for (int k = 0; k < 2; k++) {
        double inten = k ? 0.9 : 0.1;
        au_harmony h;
        au_harmony_init(&h, 42);
        au_chord c;
        for (int n = 0; n < 4000; n++) {
            au_harmony_next(&h, 2, AU_MODE_DORIAN, inten, 3.0, &c);
            bars[k] += au_harmony_bars(&h, inten, 66.0, 1.6);
            tones[k] += c.npcs;
            types[k][c.quality]++;
        }
        bars[k] /= 4000;
        tones[k] /= 4000;
    }
    printf("mean chord length: %.2f bars at 0.1, %.2f at 0.9; tones %.2f vs %.2f\n",
           bars[0], bars[1], tones[0], tones[1]);
    assert_true(bars[0] >= 1.8 * bars[1]);
    assert_true(bars[1] * 4 * 60.0 / 66.0 >= 7.0); /* >= 7 s even when dense */
    assert_true(tones[1] > tones[0] + 0.3);
    /* variety: every quality appears at both levels except 9ths when calm */
    for (int q = 0; q < AU_CQ_COUNT; q++) assert_true(types[1][q] > 0);
    assert_true(types[0][AU_CQ_SUS2] > 0 && types[0][AU_CQ_ADD9] > 0);
}

static void test_pivot_is_common_chord(void **state)
{
    (void)state;
    au_harmony h;
    au_harmony_init(&h, 5);
    au_chord c;
    for (int n = 0; n < 200; n++) {
        /* related keys share a triad: C ionian -> G ionian, D dorian -> D
         * aeolian, F lydian -> A aeolian */
        au_harmony_pivot(&h, 0, AU_MODE_IONIAN, 7, AU_MODE_IONIAN, 0.5, &c);
        assert_int_equal(c.mask & ~au_scale_mask(0, AU_MODE_IONIAN), 0);
        assert_int_equal(c.mask & ~au_scale_mask(7, AU_MODE_IONIAN), 0);
        au_harmony_pivot(&h, 2, AU_MODE_DORIAN, 2, AU_MODE_AEOLIAN, 0.5, &c);
        assert_int_equal(c.mask & ~au_scale_mask(2, AU_MODE_DORIAN), 0);
        assert_int_equal(c.mask & ~au_scale_mask(2, AU_MODE_AEOLIAN), 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_degree_reachable),
        cmocka_unit_test(test_phrases_do_not_restart_on_tonic),
        cmocka_unit_test(test_rhythm_and_colour_follow_intensity),
        cmocka_unit_test(test_pivot_is_common_chord),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
