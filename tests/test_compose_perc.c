/* Percussion: silence below intensity 0.25, density growing above it,
 * Euclidean patterns, humanised timing and velocity. */
#include "compose/perc.h"
#include "compose_test_util.h"

static void test_euclid(void **state)
{
    (void)state;
    for (int n = 1; n <= 16; n++)
        for (int k = 0; k <= n; k++)
            for (int rot = 0; rot < n; rot++)
                assert_int_equal(__builtin_popcount(au_euclid(k, n, rot)), k);
    assert_int_equal(au_euclid(4, 16, 0), 0x1111); /* four on the floor */
    assert_int_equal(au_euclid(2, 16, 4), 0x1010);
    /* hits spread evenly: gaps differ by at most one step */
    uint16_t m = au_euclid(5, 16, 0);
    int first = -1, last = -1, gmin = 99, gmax = 0;
    for (int i = 0; i < 16; i++)
        if ((m >> i) & 1) {
            if (last >= 0) {
                int g = i - last;
                if (g < gmin) gmin = g;
                if (g > gmax) gmax = g;
            } else first = i;
            last = i;
        }
    int wrap = first + 16 - last;
    if (wrap < gmin) gmin = wrap;
    if (wrap > gmax) gmax = wrap;
    assert_true(gmax - gmin <= 1);
}

static void test_absent_below_threshold(void **state)
{
    (void)state;
    const double lows[] = {0.0, 0.1, 0.2, 0.24};
    for (size_t i = 0; i < 4; i++) {
        au_params p = test_params(3, lows[i]);
        evlist l = run_piece(&p, 48000, 30 * 60, 4800, NULL, 0);
        assert_int_equal(count_on(&l, AU_LAYER_PERCUSSION), 0);
        evlist_free(&l);
    }
}

static void test_density_and_feel(void **state)
{
    (void)state;
    size_t hits[3];
    const double lv[3] = {0.3, 0.6, 0.95};
    for (int k = 0; k < 3; k++) {
        au_params p = test_params(9, lv[k]); /* a seed whose orchestration has drums */
        evlist l = run_piece(&p, 48000, 20 * 60, 4800, NULL, 0);
        hits[k] = count_on(&l, AU_LAYER_PERCUSSION);
        size_t on_grid = 0, n = 0, kinds[4] = {0};
        int vmin = 127, vmax = 0;
        for (size_t i = 0; i < l.n; i++) {
            const au_event *e = &l.ev[i];
            if (e->type != AU_EV_NOTE_ON || e->layer != AU_LAYER_PERCUSSION) continue;
            n++;
            double g = e->beat * 4.0;
            on_grid += fabs(g - floor(g + 0.5)) < 1e-9;
            if (e->vel < vmin) vmin = e->vel;
            if (e->vel > vmax) vmax = e->vel;
            kinds[e->note == AU_PERC_KICK ? 0 : e->note == AU_PERC_RIM ? 1
                  : e->note == AU_PERC_HAT ? 2 : 3]++;
            assert_true(e->note == AU_PERC_KICK || e->note == AU_PERC_RIM ||
                        e->note == AU_PERC_HAT || e->note == AU_PERC_SHAKER);
        }
        printf("intensity %.2f: %zu hits in 20 min (kick %zu rim %zu hat %zu shaker %zu), "
               "velocity %d-%d, exactly on the grid %zu\n",
               lv[k], hits[k], kinds[0], kinds[1], kinds[2], kinds[3], vmin, vmax, on_grid);
        assert_true(n > 0);
        assert_true(on_grid * 20 < n); /* humanised: almost never exact */
        assert_true(vmax - vmin >= 20); /* ghosts and accents */
        assert_true(vmax <= 100);       /* soft */
        evlist_free(&l);
    }
    assert_true(hits[1] > hits[0] * 3 / 2);
    assert_true(hits[2] > hits[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_euclid),
        cmocka_unit_test(test_absent_below_threshold),
        cmocka_unit_test(test_density_and_feel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
