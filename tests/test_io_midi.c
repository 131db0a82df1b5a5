/* The MIDI writer: structure of the bytes, delta times, matching note-offs,
 * tempo map and key signatures, checked by a small independent reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "io/midi.h"
#include "io/pcm.h"

typedef struct {
    int ntracks, format, ppq;
    int note_on[8], note_off[8], tempos, keysigs, programs[8];
    uint32_t end_tick[8];
    uint32_t first_on_tick[8];
    int tempo_us[64];
    uint32_t tempo_tick[64];
    int sounding_at_end;
} parsed;

static uint32_t vlq(const uint8_t *d, size_t *i)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        uint8_t b = d[(*i)++];
        v = (v << 7) | (b & 0x7f);
        if (!(b & 0x80)) break;
    }
    return v;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void parse(const uint8_t *d, size_t len, parsed *p)
{
    memset(p, 0, sizeof *p);
    assert_true(len > 14);
    assert_memory_equal(d, "MThd", 4);
    assert_int_equal(be32(d + 4), 6);
    p->format = d[8] << 8 | d[9];
    p->ntracks = d[10] << 8 | d[11];
    p->ppq = d[12] << 8 | d[13];
    size_t off = 14;
    for (int t = 0; t < p->ntracks && t < 8; t++) {
        assert_memory_equal(d + off, "MTrk", 4);
        uint32_t tl = be32(d + off + 4);
        const uint8_t *tr = d + off + 8;
        size_t i = 0;
        uint32_t tick = 0;
        int on[128] = {0};
        int ended = 0;
        p->first_on_tick[t] = UINT32_MAX;
        while (i < tl) {
            tick += vlq(tr, &i);
            uint8_t st = tr[i++];
            assert_true(st & 0x80); /* the writer uses no running status */
            if (st == 0xff) {
                uint8_t type = tr[i++];
                uint32_t l = vlq(tr, &i);
                if (type == 0x51) {
                    if (p->tempos < 64) {
                        p->tempo_us[p->tempos] = tr[i] << 16 | tr[i + 1] << 8 | tr[i + 2];
                        p->tempo_tick[p->tempos] = tick;
                    }
                    p->tempos++;
                }
                if (type == 0x59) p->keysigs++;
                if (type == 0x2f) {
                    ended = 1;
                    p->end_tick[t] = tick;
                }
                i += l;
            } else if ((st & 0xf0) == 0xc0) {
                p->programs[t]++;
                i += 1;
            } else if ((st & 0xf0) == 0x90 || (st & 0xf0) == 0x80) {
                uint8_t n = tr[i++], v = tr[i++];
                if ((st & 0xf0) == 0x90 && v > 0) {
                    assert_int_equal(on[n], 0);
                    on[n] = 1;
                    p->note_on[t]++;
                    if (tick < p->first_on_tick[t]) p->first_on_tick[t] = tick;
                } else {
                    assert_int_equal(on[n], 1);
                    on[n] = 0;
                    p->note_off[t]++;
                }
            } else {
                fail_msg("unexpected status 0x%02x", st);
            }
        }
        assert_int_equal(i, tl);
        assert_true(ended);
        for (int n = 0; n < 128; n++) p->sounding_at_end += on[n];
        off += 8 + tl;
    }
    assert_int_equal(off, len);
}

static au_event ev_note(int on, int layer, int note, double beat)
{
    au_event e;
    memset(&e, 0, sizeof e);
    e.type = on ? AU_EV_NOTE_ON : AU_EV_NOTE_OFF;
    e.layer = (uint8_t)layer;
    e.note = (uint8_t)note;
    e.vel = 80;
    e.beat = beat;
    return e;
}

static void test_structure_and_matching(void **state)
{
    (void)state;
    au_params p = au_params_default();
    au_midi_writer *w;
    assert_int_equal(au_midi_create(&w, &p), 0);
    /* a long note, a repeated note-on without off, a stray off, one left
     * sounding at the end */
    au_event evs[] = {
        ev_note(1, AU_LAYER_PADS, 60, 0.0),   ev_note(1, AU_LAYER_MELODY, 72, 1.0),
        ev_note(1, AU_LAYER_MELODY, 72, 1.5), ev_note(0, AU_LAYER_MELODY, 72, 2.0),
        ev_note(0, AU_LAYER_MELODY, 74, 2.0), ev_note(0, AU_LAYER_PADS, 60, 300.0),
        ev_note(1, AU_LAYER_PERCUSSION, 36, 301.0), ev_note(1, AU_LAYER_BASS, 38, 302.0),
    };
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        assert_int_equal(au_midi_add(w, &evs[i]), 0);
    size_t len;
    const uint8_t *d = au_midi_bytes(w, 310.0, &len);
    assert_non_null(d);
    parsed ps;
    parse(d, len, &ps);
    assert_int_equal(ps.format, 1);
    assert_int_equal(ps.ntracks, 1 + AU_LAYER_COUNT);
    assert_int_equal(ps.ppq, AU_MIDI_PPQ);
    assert_int_equal(ps.sounding_at_end, 0);
    int melody = 1 + AU_LAYER_MELODY, pads = 1 + AU_LAYER_PADS;
    assert_int_equal(ps.note_on[melody], 2);
    assert_int_equal(ps.note_off[melody], 2);
    assert_int_equal(ps.first_on_tick[melody], AU_MIDI_PPQ);
    assert_int_equal(ps.note_on[pads], 1);
    for (int t = 1; t < ps.ntracks; t++) {
        assert_int_equal(ps.programs[t], 1);
        assert_int_equal(ps.end_tick[t], 310 * AU_MIDI_PPQ);
    }
    assert_int_equal(ps.keysigs, 1);
    au_midi_destroy(w);
}

static void test_tempo_map(void **state)
{
    (void)state;
    au_params p = au_params_default();
    p.bpm = 60;
    au_midi_writer *w;
    assert_int_equal(au_midi_create(&w, &p), 0);
    for (int i = 0; i <= 8; i++) {
        au_event e;
        memset(&e, 0, sizeof e);
        e.type = AU_EV_TEMPO;
        e.beat = 4.0 + i * 0.25;
        e.u.tempo.bpm = 60 + i * 2.5; /* a glide 60 -> 80 */
        au_midi_add(w, &e);
    }
    size_t len;
    parsed ps;
    const uint8_t *d = au_midi_bytes(w, 16, &len);
    parse(d, len, &ps);
    assert_int_equal(ps.tempos, 9); /* the initial one + 8 changes (60 repeats) */
    assert_int_equal(ps.tempo_us[0], 1000000);
    assert_int_equal(ps.tempo_us[ps.tempos - 1], 750000);
    assert_int_equal(ps.tempo_tick[ps.tempos - 1], 6 * AU_MIDI_PPQ);
    au_midi_destroy(w);
}

static void test_key_signatures(void **state)
{
    (void)state;
    int sf, mi;
    au_midi_key_signature(2, AU_MODE_DORIAN, &sf, &mi); /* D dorian = C major */
    assert_int_equal(sf, 0);
    assert_int_equal(mi, 0);
    au_midi_key_signature(9, AU_MODE_AEOLIAN, &sf, &mi); /* A minor */
    assert_int_equal(sf, 0);
    assert_int_equal(mi, 1);
    au_midi_key_signature(7, AU_MODE_IONIAN, &sf, &mi); /* G major: 1 sharp */
    assert_int_equal(sf, 1);
    au_midi_key_signature(5, AU_MODE_LYDIAN, &sf, &mi); /* F lydian = C major */
    assert_int_equal(sf, 0);
    au_midi_key_signature(2, AU_MODE_PHRYGIAN, &sf, &mi); /* D phrygian = Bb */
    assert_int_equal(sf, -2);
    au_midi_key_signature(3, AU_MODE_AEOLIAN, &sf, &mi); /* Eb minor = Gb: -6 or F# 6 */
    assert_true(sf == 6 || sf == -6);
}

static void test_pcm16_dither(void **state)
{
    (void)state;
    float in[4096];
    int16_t a[4096], b[4096];
    for (int i = 0; i < 4096; i++) in[i] = 0.25f * (float)((i % 200) - 100) / 100.0f;
    in[5] = 2.0f;
    in[6] = -2.0f;
    in[7] = 0.0f / 0.0f;
    au_dither d1, d2;
    au_dither_init(&d1, 42);
    au_dither_init(&d2, 42);
    au_pcm16_convert(&d1, in, a, 4096);
    au_pcm16_convert(&d2, in, b, 4096);
    assert_memory_equal(a, b, sizeof a); /* reproducible */
    assert_int_equal(a[5], 32767);
    assert_int_equal(a[6], -32768);
    assert_true(a[7] >= -1 && a[7] <= 1);
    double err = 0;
    int maxerr = 0;
    for (int i = 8; i < 4096; i++) {
        double e = a[i] - in[i] * 32767.0;
        err += e;
        if (e > maxerr) maxerr = (int)(e + 0.999);
        if (-e > maxerr) maxerr = (int)(-e + 0.999);
    }
    assert_true(maxerr <= 2);                   /* TPDF spans +/- 1 LSB, plus rounding */
    assert_true(err / 4088 < 0.1 && err / 4088 > -0.1); /* unbiased */
    /* little-endian bytes match the native conversion */
    uint8_t le[8192];
    au_dither_init(&d1, 42);
    au_pcm16_convert_le(&d1, in, le, 4096);
    for (int i = 0; i < 4096; i++)
        assert_int_equal((int16_t)(le[2 * i] | le[2 * i + 1] << 8), a[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure_and_matching),
        cmocka_unit_test(test_tempo_map),
        cmocka_unit_test(test_key_signatures),
        cmocka_unit_test(test_pcm16_dither),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
