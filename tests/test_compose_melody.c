/* Melody invariants over long runs, measured on the composer's events. */
#include "compose/melody.h"
#include "compose_test_util.h"

typedef struct {
    int notes, out_scale, out_strong, strong, strong_ct, ivs, steps, leaps,
        leaps_back, repeats, lo, hi, phrases, contour_returns, exact_returns;
    double sum_pitch, gap_sum, last_len_ratio;
    int gaps;
} mel_stats;

static mel_stats analyse(const evlist *l, int key, int mode)
{
    mel_stats s;
    memset(&s, 0, sizeof s);
    s.lo = 999;
    uint16_t scale = au_scale_mask(key, mode), chord = 0;
    int prev = -1, prev_iv = 0;
    double prev_on = -1, on_at[128] = {0};
    /* phrases: split at silences of more than 2 beats */
    int ph[64], nph = 0;
    int sig[8][64], nsig[8] = {0}, rec = 0;
    double lens[64], ratio_sum = 0;
    int nratio = 0;
    for (size_t i = 0; i <= l->n; i++) {
        const au_event *e = i < l->n ? &l->ev[i] : NULL;
        if (e && e->type == AU_EV_CHORD) {
            chord = 0;
            for (int k = 0; k < e->u.chord.ntones; k++) chord |= (uint16_t)(1u << (e->u.chord.tones[k] % 12));
        }
        if (e && e->type == AU_EV_KEY) scale = au_scale_mask(e->u.key.key, e->u.key.mode);
        if (e && e->type == AU_EV_NOTE_OFF && e->layer == AU_LAYER_MELODY && nph > 0 &&
            ph[nph - 1] == e->note && nph <= 64)
            lens[nph - 1] = e->beat - on_at[e->note];
        int is_on = e && e->type == AU_EV_NOTE_ON && e->layer == AU_LAYER_MELODY;
        if (!e || (is_on && prev_on >= 0 && e->beat - prev_on > 2.6)) {
            /* close the phrase: contour signature vs the last 8 phrases */
            if (nph >= 3) {
                s.phrases++;
                int mine[64], n = nph - 1;
                for (int k = 0; k < n; k++) mine[k] = ph[k + 1] - ph[k];
                int c = 0, x = 0;
                for (int r = 0; r < 8; r++) {
                    if (nsig[r] < 3) continue;
                    int m = n < nsig[r] ? n : nsig[r], same = 0, inv = 0;
                    for (int k = 0; k < m; k++) {
                        int a = sig[r][k] > 0 ? 1 : -1, b = mine[k] > 0 ? 1 : -1;
                        same += a == b;
                        inv += a == -b;
                    }
                    if (same >= m - 1 || inv >= m - 1) c = 1;
                    /* the same intervals again: an unvaried return */
                    if (n == nsig[r] && !memcmp(sig[r], mine, sizeof(int) * (size_t)n)) x = 1;
                }
                s.contour_returns += c;
                s.exact_returns += x;
                memcpy(sig[rec % 8], mine, sizeof mine);
                nsig[rec % 8] = n;
                rec++;
                double others = 0;
                for (int k = 0; k < nph - 1; k++) others += lens[k];
                others /= nph - 1;
                if (others > 0) { ratio_sum += lens[nph - 1] / others; nratio++; }
            }
            if (e) { s.gap_sum += e->beat - prev_on; s.gaps++; }
            nph = 0;
            /* intervals are counted inside phrases: a restated motif may
             * start anywhere */
            prev = -1;
            prev_iv = 0;
        }
        if (!is_on) continue;
        int p = e->note;
        on_at[p] = e->beat;
        if (nph < 64) { lens[nph] = 0; ph[nph++] = p; }
        s.notes++;
        s.sum_pitch += p;
        if (p < s.lo) s.lo = p;
        if (p > s.hi) s.hi = p;
        int strong = fmod(e->beat, 2.0) < 0.15;
        s.strong += strong;
        s.strong_ct += strong && au_in_mask(chord, p);
        if (!au_in_mask(scale, p)) {
            s.out_scale++;
            s.out_strong += fmod(e->beat, 1.0) < 0.3;
        }
        if (prev >= 0) {
            int iv = p - prev;
            s.ivs++;
            s.steps += abs(iv) <= 3; /* a pentatonic step is up to 3 */
            s.repeats += iv == 0;
            if (abs(prev_iv) > 4) {
                s.leaps++;
                s.leaps_back += abs(iv) <= 3 && (iv > 0) != (prev_iv > 0);
            }
            prev_iv = iv;
        }
        prev = p;
        prev_on = e->beat;
    }
    s.last_len_ratio = nratio ? ratio_sum / nratio : 0;
    return s;
}

static void check_level(double inten, int key, int mode, mel_stats *out)
{
    au_params p = test_params(11, inten);
    p.key = key;
    p.mode = mode;
    evlist l = run_piece(&p, 48000, 90 * 60, 4800, NULL, 0);
    mel_stats s = analyse(&l, key, mode);
    printf("intensity %.1f %s %s: %d notes, in scale %.1f%%, strong-beat chord "
           "tones %.1f%% (%d), steps %.1f%%, leaps stepped back %.0f%%, range "
           "%d-%d mean %.1f, phrases %d, contour returns %.0f%%, exact %d, "
           "end note x%.1f, mean gap %.1f beats\n",
           inten, au_key_name(key), au_mode_name(mode), s.notes,
           100.0 - 100.0 * s.out_scale / s.notes, 100.0 * s.strong_ct / s.strong,
           s.strong, 100.0 * s.steps / s.ivs, 100.0 * s.leaps_back / (s.leaps ? s.leaps : 1),
           s.lo, s.hi, s.sum_pitch / s.notes, s.phrases,
           100.0 * s.contour_returns / (s.phrases ? s.phrases : 1), s.exact_returns,
           s.last_len_ratio, s.gap_sum / (s.gaps ? s.gaps : 1));
    assert_true(s.out_scale * 100 <= s.notes * 5);
    assert_int_equal(s.out_strong, 0);
    assert_true(s.strong_ct * 100 >= s.strong * 60); /* exact restatements may not */
    assert_true(s.steps * 100 >= s.ivs * 50);
    assert_true(s.leaps_back * 100 >= s.leaps * 45); /* pentatonic and restated leaps */
    assert_int_equal(s.repeats, 0);
    assert_true(s.lo >= 60 && s.hi <= 96);
    double mean = s.sum_pitch / s.notes;
    assert_true(mean >= 65 && mean <= 81);
    assert_true(s.contour_returns * 100 >= s.phrases * 15); /* motifs return */
    assert_true(s.exact_returns * 100 >= s.phrases * 8); /* ... some exactly (>= 20% at 0.5: tests/cli/test_music.py) */
    assert_true(s.last_len_ratio >= 2.5);                   /* long endings */
    *out = s;
    evlist_free(&l);
}

static void test_melody_invariants(void **state)
{
    (void)state;
    mel_stats lo, mid, hi, other;
    check_level(0.1, 2, AU_MODE_DORIAN, &lo);
    check_level(0.5, 2, AU_MODE_DORIAN, &mid);
    check_level(0.9, 2, AU_MODE_DORIAN, &hi);
    check_level(0.6, 6, AU_MODE_LYDIAN, &other);
    /* density grows with intensity; range opens with it */
    assert_true(hi.notes >= 3 * lo.notes);
    assert_true(mid.notes > lo.notes && hi.notes > mid.notes);
    assert_true(hi.hi >= lo.hi); /* reaches higher (the ranges: test_range_by_intensity) */
    /* calm phrases are separated by real rests (>= 8 beats on average) */
    assert_true(lo.gap_sum / lo.gaps >= 8.0);
}

static void test_range_by_intensity(void **state)
{
    (void)state;
    int lo0, hi0, lo1, hi1;
    au_melody_range(0.0, 0, &lo0, &hi0);
    au_melody_range(1.0, 0, &lo1, &hi1);
    assert_true(lo0 >= 65 && hi0 <= 81);
    assert_true(lo1 >= 60 && hi1 <= 96 && hi1 - lo1 > hi0 - lo0);
    au_melody_range(1.0, 40, &lo1, &hi1);
    assert_true(lo1 >= 60 && hi1 <= 96);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_melody_invariants),
        cmocka_unit_test(test_range_by_intensity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
