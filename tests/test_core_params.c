/* Parameter parsing and validation: accepted values, refused values with a
 * message that names the value and what is allowed, and updates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/params.h"
#include "core/rng.h"

static void test_keys(void **state)
{
    (void)state;
    char err[256];
    int k = -1;
    const char *names[] = {"C", "C#", "Db", "D", "D#", "Eb", "E", "F", "F#",
                           "Gb", "G", "G#", "Ab", "A", "A#", "Bb", "B"};
    const int pcs[] = {0, 1, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 8, 9, 10, 10, 11};
    for (int i = 0; i < 17; i++) {
        assert_int_equal(au_parse_key(names[i], &k, err, sizeof err), 0);
        assert_int_equal(k, pcs[i]);
    }
    k = 5;
    assert_int_equal(au_parse_key("H", &k, err, sizeof err), -1);
    assert_int_equal(k, 5); /* unchanged */
    assert_non_null(strstr(err, "key"));
    assert_non_null(strstr(err, "'H'"));
    assert_int_equal(au_parse_key("", &k, err, sizeof err), -1);
    assert_int_equal(au_parse_key("C##", &k, err, sizeof err), -1);
}

static void test_modes_and_numbers(void **state)
{
    (void)state;
    char err[256];
    int m;
    assert_int_equal(au_parse_mode("major", &m, err, sizeof err), 0);
    assert_int_equal(m, AU_MODE_IONIAN);
    assert_int_equal(au_parse_mode("minor", &m, err, sizeof err), 0);
    assert_int_equal(m, AU_MODE_AEOLIAN);
    assert_int_equal(au_parse_mode("Dorian", &m, err, sizeof err), 0);
    assert_int_equal(m, AU_MODE_DORIAN);
    assert_int_equal(au_parse_mode("blues", &m, err, sizeof err), -1);
    assert_non_null(strstr(err, "blues"));
    double v;
    assert_int_equal(au_parse_bpm("66", &v, err, sizeof err), 0);
    assert_true(v == 66.0);
    assert_int_equal(au_parse_bpm("500", &v, err, sizeof err), -1);
    assert_string_equal(err, "bpm must be between 30 and 200 (got 500)");
    assert_int_equal(au_parse_bpm("fast", &v, err, sizeof err), -1);
    assert_int_equal(au_parse_bpm("nan", &v, err, sizeof err), -1);
    assert_int_equal(au_parse_intensity("1.01", &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "1.01"));
    assert_int_equal(au_parse_intensity("0", &v, err, sizeof err), 0);
    uint64_t s;
    assert_int_equal(au_parse_seed("18446744073709551615", &s, err, sizeof err), 0);
    assert_true(s == UINT64_MAX);
    assert_int_equal(au_parse_seed("18446744073709551616", &s, err, sizeof err), -1);
    assert_int_equal(au_parse_seed("-1", &s, err, sizeof err), -1);
    assert_int_equal(au_parse_seed("12a", &s, err, sizeof err), -1);
}

static void test_update(void **state)
{
    (void)state;
    char err[256];
    au_param_update u;
    memset(&u, 0, sizeof u);
    assert_int_equal(au_update_set_text(&u, "bpm", "80", err, sizeof err), 0);
    assert_int_equal(au_update_set_text(&u, "percussion", "off", err, sizeof err), 0);
    assert_int_equal(au_update_set_text(&u, "tempo", "80", err, sizeof err), -1);
    assert_non_null(strstr(err, "tempo"));
    assert_int_equal(u.mask, AU_P_BPM | AU_P_LAYER(AU_LAYER_PERCUSSION));
    au_params p = au_params_default();
    au_params before = p;
    au_params_apply(&p, &u);
    assert_true(p.bpm == 80.0);
    assert_false(p.layers[AU_LAYER_PERCUSSION]);
    assert_true(p.key == before.key && p.intensity == before.intensity);
    /* a message quoting a long hostile value stays bounded and printable */
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    big[3] = '\n';
    assert_int_equal(au_parse_mode(big, &p.mode, err, sizeof err), -1);
    assert_null(strchr(err, '\n'));
    assert_true(strlen(err) < 200);
}

static void test_rng(void **state)
{
    (void)state;
    au_rng a, b, c;
    au_rng_seed(&a, 1, 1);
    au_rng_seed(&b, 1, 1);
    au_rng_seed(&c, 1, 2);
    int same = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t x = au_rng_next(&a);
        assert_int_equal(x, au_rng_next(&b));
        same += x == au_rng_next(&c);
    }
    assert_true(same < 3); /* another stream is another sequence */
    int hist[10] = {0};
    for (int i = 0; i < 100000; i++) hist[au_rng_below(&a, 10)]++;
    for (int i = 0; i < 10; i++) assert_true(hist[i] > 9500 && hist[i] < 10500);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        double u = au_rng_unit(&a);
        assert_true(u >= 0 && u < 1);
        sum += u;
    }
    assert_true(sum / 100000 > 0.49 && sum / 100000 < 0.51);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys), cmocka_unit_test(test_modes_and_numbers),
        cmocka_unit_test(test_update), cmocka_unit_test(test_rng)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
