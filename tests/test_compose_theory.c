/* Theory: scales, chord spelling and naming, scale walking, voice leading. */
#include "compose_test_util.h"

static void test_scales(void **state)
{
    (void)state;
    /* every mode is a rotation of the major scale: 7 tones, 2 semitone steps */
    for (int m = 0; m < AU_MODE_COUNT; m++)
        for (int k = 0; k < 12; k++) {
            uint16_t mask = au_scale_mask(k, m);
            assert_int_equal(__builtin_popcount(mask), 7);
            int semis = 0;
            for (int d = 0; d < 7; d++) {
                int a = au_scale_pc(k, m, d), b = au_scale_pc(k, m, d + 1);
                semis += ((b - a + 12) % 12) == 1;
            }
            assert_int_equal(semis, 2);
            assert_int_equal(au_scale_pc(k, m, 0), k);
        }
    /* D dorian has the notes of C major */
    assert_int_equal(au_scale_mask(2, AU_MODE_DORIAN), au_scale_mask(0, AU_MODE_IONIAN));
    /* colour tones: lydian #4, mixolydian b7, phrygian b2, dorian 6 */
    assert_int_equal(au_scale_pc(0, AU_MODE_LYDIAN, 3), 6);
    assert_int_equal(au_scale_pc(0, AU_MODE_MIXOLYDIAN, 6), 10);
    assert_int_equal(au_scale_pc(0, AU_MODE_PHRYGIAN, 1), 1);
    assert_int_equal(au_scale_pc(0, AU_MODE_DORIAN, 5), 9);
}

static void test_chord_spelling(void **state)
{
    (void)state;
    au_chord c;
    assert_int_equal(au_chord_build(&c, 0, AU_MODE_IONIAN, 0, AU_CQ_TRIAD), 0);
    assert_string_equal(c.name, "C");
    assert_int_equal(c.npcs, 3);
    assert_int_equal(c.mask, (1 << 0) | (1 << 4) | (1 << 7));
    assert_int_equal(au_chord_build(&c, 2, AU_MODE_DORIAN, 0, AU_CQ_NINTH), 0);
    assert_string_equal(c.name, "Dm9");
    assert_int_equal(au_chord_build(&c, 0, AU_MODE_IONIAN, 3, AU_CQ_SEVENTH), 0);
    assert_string_equal(c.name, "Fmaj7");
    assert_int_equal(au_chord_build(&c, 0, AU_MODE_IONIAN, 4, AU_CQ_SUS2), 0);
    assert_string_equal(c.name, "Gsus2");
    assert_int_equal(au_chord_build(&c, 0, AU_MODE_IONIAN, 1, AU_CQ_SUS4), 0);
    assert_string_equal(c.name, "Dsus4");
    assert_int_equal(au_chord_build(&c, 0, AU_MODE_IONIAN, 5, AU_CQ_ADD9), 0);
    assert_string_equal(c.name, "Amadd9");
    assert_int_equal(au_chord_build(&c, 0, AU_MODE_IONIAN, 6, AU_CQ_QUARTAL), 0);
    assert_string_equal(c.name, "B7sus4"); /* B E A */
    assert_int_equal(c.mask, (1 << 11) | (1 << 4) | (1 << 9));
    /* V7 and diminished triads are refused (tritones) */
    assert_int_equal(au_chord_build(&c, 0, AU_MODE_IONIAN, 4, AU_CQ_SEVENTH), AU_EINVAL);
    assert_int_equal(au_chord_build(&c, 0, AU_MODE_IONIAN, 6, AU_CQ_TRIAD), AU_EINVAL);
    assert_int_equal(au_chord_build(&c, 0, 9, 0, 0), AU_EINVAL);
    /* every degree of every mode and key has at least one usable chord, and
     * no usable chord holds a tritone; all tones are in the scale */
    for (int m = 0; m < AU_MODE_COUNT; m++)
        for (int k = 0; k < 12; k++)
            for (int d = 0; d < 7; d++) {
                int usable = 0;
                for (int q = 0; q < AU_CQ_COUNT; q++) {
                    if (au_chord_build(&c, k, m, d, q) != 0) continue;
                    usable++;
                    assert_int_equal(c.mask & ~au_scale_mask(k, m), 0);
                    assert_int_equal(c.root, au_scale_pc(k, m, d));
                    for (int i = 0; i < c.npcs; i++)
                        for (int j = 0; j < c.npcs; j++)
                            assert_int_not_equal((c.pcs[i] - c.pcs[j] + 12) % 12, 6);
                    assert_true(strlen(c.name) > 0 && strlen(c.name) < 16);
                }
                assert_true(usable >= 1);
            }
}

static void test_scale_move(void **state)
{
    (void)state;
    uint16_t c = au_scale_mask(0, AU_MODE_IONIAN);
    assert_int_equal(au_scale_move(c, 60, 1), 62);
    assert_int_equal(au_scale_move(c, 60, 2), 64);
    assert_int_equal(au_scale_move(c, 64, 1), 65);
    assert_int_equal(au_scale_move(c, 60, -1), 59);
    assert_int_equal(au_scale_move(c, 60, 7), 72);
    assert_int_equal(au_scale_move(c, 61, 0), 60); /* snaps down */
    assert_int_equal(au_nearest_in(c, 61, 48, 83), 60);
    assert_int_equal(au_nearest_in(c, 40, 48, 83), 48);
    assert_int_equal(au_nearest_in(1 << 11, 50, 48, 52), -1);
}

static void check_voicing(const au_chord *ch, const uint8_t *v, int n)
{
    for (int i = 0; i < n; i++) {
        assert_in_range(v[i], 48, 83);
        assert_true(au_in_mask(ch->mask, v[i]));
        if (i) assert_true(v[i] > v[i - 1]);
        for (int j = 0; j < i; j++) assert_false(au_pitch_clash(v[i], v[j]));
    }
}

static void test_voice_leading(void **state)
{
    (void)state;
    au_chord c, am;
    au_chord_build(&c, 0, AU_MODE_IONIAN, 0, AU_CQ_TRIAD);
    au_chord_build(&am, 0, AU_MODE_IONIAN, 5, AU_CQ_TRIAD);
    uint8_t v[6], w[6];
    int n = au_voice_lead(NULL, 0, &c, 4, 48, 83, v);
    assert_int_equal(n, 4);
    check_voicing(&c, v, n);
    /* C -> Am: C and E are held, G moves a whole step to A */
    uint8_t cv[3] = {60, 64, 67};
    int m = au_voice_lead(cv, 3, &am, 3, 48, 83, w);
    assert_int_equal(m, 3);
    assert_int_equal(w[0], 60);
    assert_int_equal(w[1], 64);
    assert_int_equal(w[2], 69);
    assert_int_equal(au_voicing_distance(cv, 3, w, 3), 2);

    /* a long random chain: in range, all tones covered, no clash, common
     * tones held, and far smoother than voicing every chord afresh */
    au_rng r;
    au_rng_seed(&r, 3, 3);
    n = au_voice_lead(NULL, 0, &c, 4, 48, 83, v);
    long led = 0, fresh = 0, held = 0, common = 0;
    for (int it = 0; it < 5000; it++) {
        int mode = (int)au_rng_below(&r, 7), key = (int)au_rng_below(&r, 12);
        au_chord nc;
        if (au_chord_build(&nc, key, mode, (int)au_rng_below(&r, 7),
                           (int)au_rng_below(&r, AU_CQ_COUNT)) != 0)
            continue;
        int nv = 3 + (int)au_rng_below(&r, 4);
        m = au_voice_lead(v, n, &nc, nv, 48, 83, w);
        assert_true(m >= 3 && m <= nv);
        check_voicing(&nc, w, m);
        if (m >= nc.npcs)
            for (int k = 0; k < nc.npcs; k++) {
                int have = 0;
                for (int i = 0; i < m; i++) have |= w[i] % 12 == nc.pcs[k];
                assert_true(have);
            }
        /* a common tone not doubled, with no voice dropped, must stay */
        for (int i = 0; i < n && m >= n; i++) {
            int dup = 0;
            for (int j = 0; j < n; j++) dup += v[j] % 12 == v[i] % 12;
            if (au_in_mask(nc.mask, v[i]) && dup == 1) {
                common++;
                for (int j = 0; j < m; j++) held += w[j] == v[i];
            }
        }
        uint8_t f[6];
        int fn = au_voice_lead(NULL, 0, &nc, nv, 48, 83, f);
        led += au_voicing_distance(v, n, w, m);
        fresh += au_voicing_distance(v, n, f, fn);
        memcpy(v, w, sizeof w);
        n = m;
    }
    printf("voice leading: %.2f semitones per change (fresh voicing %.2f), "
           "common tones held %.1f%%\n", (double)led / 5000, (double)fresh / 5000,
           100.0 * held / common);
    assert_true(led * 2 < fresh);
    assert_int_equal(held, common);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scales),
        cmocka_unit_test(test_chord_spelling),
        cmocka_unit_test(test_scale_move),
        cmocka_unit_test(test_voice_leading),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
