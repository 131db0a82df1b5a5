/* Wire format, query strings and control messages of protocol v1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "server/control.h"
#include "server/query.h"
#include "server/wire.h"

static void header_roundtrip(void **state)
{
    (void)state;
    uint8_t b[AU_WIRE_HEADER_BYTES];
    au_wire_header h = {0xDEADBEEFu, 0x0102030405060708LL, 4800, AU_CODEC_PCM16,
                        2};
    au_wire_header_write(b, &h);
    assert_memory_equal(b, "AUR1", 4);
    /* little-endian byte layout, field by field */
    assert_int_equal(b[4], 0xEF);
    assert_int_equal(b[7], 0xDE);
    assert_int_equal(b[8], 0x08);
    assert_int_equal(b[15], 0x01);
    assert_int_equal(b[16] | b[17] << 8, 4800);
    assert_int_equal(b[20] | b[21] << 8, 0);
    assert_int_equal(b[22] | b[23] << 8, 2);
    au_wire_header r;
    assert_int_equal(au_wire_header_read(b, sizeof b, &r), 0);
    assert_int_equal(r.seq, h.seq);
    assert_true(r.pos == h.pos);
    assert_int_equal(r.frames, 4800);
    assert_int_equal(r.channels, 2);
    assert_int_equal(au_wire_header_read(b, 23, &r), -1);
    b[0] = 'X';
    assert_int_equal(au_wire_header_read(b, sizeof b, &r), -1);
}

static void params_json_parses(void **state)
{
    (void)state;
    au_params p = au_params_default();
    p.seed = 42;
    p.bpm = 66.5;
    p.layers[2] = false;
    char buf[512];
    int n = au_wire_state_json(&p, 96000, buf, sizeof buf);
    assert_true(n > 0 && (size_t)n == strlen(buf));
    json_error_t e;
    json_t *j = json_loads(buf, 0, &e);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "type")), "state");
    assert_int_equal(json_integer_value(json_object_get(j, "applies_at")),
                     96000);
    json_t *pp = json_object_get(j, "params");
    assert_int_equal(json_integer_value(json_object_get(pp, "seed")), 42);
    assert_string_equal(json_string_value(json_object_get(pp, "key")), "D");
    assert_string_equal(json_string_value(json_object_get(pp, "mode")),
                        "dorian");
    assert_true(json_real_value(json_object_get(pp, "bpm")) == 66.5);
    assert_true(
        json_is_false(json_object_get(json_object_get(pp, "layers"), "bass")));
    assert_true(
        json_is_true(json_object_get(json_object_get(pp, "layers"), "pads")));
    json_decref(j);
    /* seeds beyond 2^53 are strings so JavaScript keeps every digit */
    p.seed = 18446744073709551615ULL;
    assert_true(au_wire_params_json(&p, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"seed\":\"18446744073709551615\""));
    /* too small a buffer fails cleanly */
    assert_int_equal(au_wire_params_json(&p, buf, 20), -1);
}

static void events_json(void **state)
{
    (void)state;
    au_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = AU_EV_CHORD;
    ev.pos = 4800;
    ev.u.chord.root = 2;
    ev.u.chord.degree = 1;
    ev.u.chord.ntones = 3;
    ev.u.chord.tones[0] = 50;
    ev.u.chord.tones[1] = 53;
    ev.u.chord.tones[2] = 57;
    memcpy(ev.u.chord.name, "Dm\"9", 4); /* a quote must be escaped */
    char buf[512];
    assert_true(au_wire_event_json(&ev, buf, sizeof buf) > 0);
    json_t *j = json_loads(buf, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "event")),
                        "chord");
    assert_string_equal(json_string_value(json_object_get(j, "name")), "Dm\"9");
    assert_string_equal(json_string_value(json_object_get(j, "root")), "D");
    assert_int_equal(json_array_size(json_object_get(j, "tones")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "position")), 4800);
    json_decref(j);
    ev.type = AU_EV_KEY;
    ev.u.key.key = 7;
    ev.u.key.mode = 3;
    assert_true(au_wire_event_json(&ev, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"key\":\"G\",\"mode\":\"lydian\""));
    ev.type = AU_EV_NOTE_ON;
    ev.pos = 9600;
    ev.note = 62;
    ev.vel = 90;
    ev.layer = AU_LAYER_BELLS;
    assert_true(au_wire_event_json(&ev, buf, sizeof buf) > 0);
    j = json_loads(buf, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "event")),
                        "note_on");
    assert_int_equal(json_integer_value(json_object_get(j, "note")), 62);
    assert_int_equal(json_integer_value(json_object_get(j, "velocity")), 90);
    assert_string_equal(json_string_value(json_object_get(j, "layer")),
                        "bells");
    assert_int_equal(json_integer_value(json_object_get(j, "position")), 9600);
    json_decref(j);
    ev.type = AU_EV_NOTE_OFF;
    assert_true(au_wire_event_json(&ev, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"event\":\"note_off\""));
    assert_non_null(strstr(buf, "\"velocity\":0"));
    ev.type = AU_EV_TEMPO; /* not carried */
    assert_int_equal(au_wire_event_json(&ev, buf, sizeof buf), 0);
    ev.type = AU_EV_SECTION;
    memcpy(ev.u.section.name, "0123456789abcdef", 16); /* no NUL inside */
    assert_true(au_wire_event_json(&ev, buf, sizeof buf) > 0);
    assert_non_null(strstr(buf, "\"name\":\"0123456789abcdef\""));
}

static void error_escapes(void **state)
{
    (void)state;
    char buf[256];
    assert_true(
        au_wire_error_json("bad_json", "a \"b\" \\ \n", buf, sizeof buf) > 0);
    json_t *j = json_loads(buf, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "message")),
                        "a \"b\" \\ \n");
    json_decref(j);
}

static void query_valid(void **state)
{
    (void)state;
    au_stream_request r;
    au_stream_request_init(&r);
    char err[256] = "";
    assert_int_equal(
        au_query_parse(&r,
                       "seed=7&key=F%23&mode=lydian&bpm=72&"
                       "intensity=0.25&codec=pcm16&station=lobby-1&"
                       "percussion=off&utm_source=x",
                       err, sizeof err),
        0);
    assert_true(r.seed_given);
    assert_true(r.seed == 7);
    au_params p = au_params_default();
    au_params_apply(&p, &r.update);
    assert_int_equal(p.key, 6);
    assert_int_equal(p.mode, 3);
    assert_true(p.bpm == 72.0);
    assert_true(p.intensity == 0.25);
    assert_false(p.layers[3]);
    assert_string_equal(r.station, "lobby-1");
    assert_int_equal(r.codec, AU_CODEC_PCM16);
    assert_int_equal(au_query_parse(&r, "codec=opus", err, sizeof err), 0);
    assert_int_equal(r.codec, AU_CODEC_OPUS);
}

static void query_invalid(void **state)
{
    (void)state;
    static const struct {
        const char *qs, *msg;
    } cases[] = {
        {"bpm=500", "bpm must be between 30 and 200 (got 500)"},
        {"bpm=fast", "bpm must be a number between 30 and 200 (got 'fast')"},
        {"intensity=2", "intensity must be between 0.0 and 1.0 (got 2)"},
        {"codec=mp3", "codec must be pcm16 or opus (got 'mp3')"},
        {"station=a%20b", "station must be 1 to 32 characters"},
        {"station=", "station must be"},
        {"seed=-1", "seed must be an integer"},
        {"key=H", "key must be one of"},
        {"bpm=%zz", "badly encoded"},
        {"bpm=%4", "badly encoded"},
        {"bpm=%00", "badly encoded"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        au_stream_request r;
        au_stream_request_init(&r);
        char err[256] = "";
        assert_int_equal(au_query_parse(&r, cases[i].qs, err, sizeof err), -1);
        if (!strstr(err, cases[i].msg))
            fail_msg("%s: got '%s'", cases[i].qs, err);
    }
}

static void url_decode(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(au_url_decode("a+b%41", 6, out, sizeof out), 0);
    assert_string_equal(out, "a bA");
    assert_int_equal(au_url_decode("abcdefgh", 8, out, sizeof out),
                     -1); /* no room */
    assert_true(au_station_name_ok("Focus_1.b-2"));
    assert_false(au_station_name_ok("../etc"));
    assert_false(au_station_name_ok("012345678901234567890123456789012"));
}

static au_msg_type parse(const char *s, au_control_msg *m)
{
    return au_control_parse(s, strlen(s), m);
}

static void control_set(void **state)
{
    (void)state;
    au_control_msg m;
    assert_int_equal(
        parse("{\"type\":\"set\",\"bpm\":80,\"intensity\":0.7,"
              "\"key\":\"Eb\",\"mode\":\"aeolian\",\"wander\":true,"
              "\"layers\":{\"bells\":false},\"pads\":false}",
              &m),
        AU_MSG_SET);
    au_params p = au_params_default();
    au_params_apply(&p, &m.update);
    assert_true(p.bpm == 80.0);
    assert_true(p.intensity == 0.7);
    assert_int_equal(p.key, 3);
    assert_int_equal(p.mode, 5);
    assert_true(p.wander);
    assert_false(p.layers[5]);
    assert_false(p.layers[0]);
    assert_true(p.layers[1]);
    /* integer keys are pitch classes */
    assert_int_equal(parse("{\"type\":\"set\",\"key\":11}", &m), AU_MSG_SET);
    assert_int_equal(m.update.v.key, 11);
}

static void control_set_refused_whole(void **state)
{
    (void)state;
    au_control_msg m;
    /* one bad field refuses everything, with the shared message */
    assert_int_equal(
        parse("{\"type\":\"set\",\"intensity\":0.5,\"bpm\":500}", &m),
        AU_MSG_ERROR);
    assert_string_equal(m.error_code, "invalid_param");
    assert_string_equal(m.message, "bpm must be between 30 and 200 (got 500)");
    assert_int_equal(m.update.mask & AU_P_INTENSITY,
                     AU_P_INTENSITY); /* parsed... */
    /* ...but the caller only applies AU_MSG_SET, so nothing changes */
    static const char *const bad[] = {
        "{\"type\":\"set\",\"bpm\":\"fast\"}",
        "{\"type\":\"set\",\"intensity\":-0.1}",
        "{\"type\":\"set\",\"key\":12}",
        "{\"type\":\"set\",\"mode\":\"blues\"}",
        "{\"type\":\"set\",\"tempo\":60}",
        "{\"type\":\"set\",\"pads\":1}",
        "{\"type\":\"set\",\"layers\":{\"kazoo\":true}}",
        "{\"type\":\"set\"}",
        "{\"type\":\"set\",\"bpm\":null}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(parse(bad[i], &m), AU_MSG_ERROR);
        assert_string_equal(m.error_code, "invalid_param");
        assert_true(strlen(m.message) > 10);
    }
}

static void control_other(void **state)
{
    (void)state;
    au_control_msg m;
    assert_int_equal(parse("{\"type\":\"ping\",\"t\":1234.5}", &m),
                     AU_MSG_PING);
    assert_true(m.has_t);
    assert_string_equal(m.t, "1234.5");
    assert_int_equal(parse("{\"type\":\"ping\",\"t\":\"abc\"}", &m),
                     AU_MSG_PING);
    assert_string_equal(m.t, "\"abc\"");
    assert_int_equal(parse("{\"type\":\"ping\"}", &m), AU_MSG_PING);
    assert_false(m.has_t);
    assert_int_equal(parse("{\"type\":\"ping\",\"t\":{\"a\":1}}", &m),
                     AU_MSG_ERROR);
    assert_int_equal(
        parse("{\"type\":\"client_stats\",\"buffer_ms\":420,"
              "\"tier\":\"good\",\"underruns\":3,\"jitter_ms\":4.5}",
              &m),
        AU_MSG_CLIENT_STATS);
    assert_true(m.stats.has_buffer && m.stats.buffer_ms == 420);
    assert_true(m.stats.has_underruns && m.stats.underruns == 3);
    assert_string_equal(m.stats.tier, "good");
    assert_int_equal(parse("{bad", &m), AU_MSG_ERROR);
    assert_string_equal(m.error_code, "bad_json");
    assert_int_equal(parse("[1,2]", &m), AU_MSG_ERROR);
    assert_string_equal(m.error_code, "bad_json");
    assert_int_equal(parse("{\"type\":\"dance\"}", &m), AU_MSG_ERROR);
    assert_string_equal(m.error_code, "unknown_type");
    assert_non_null(strstr(m.message, "dance"));
    assert_int_equal(parse("{\"t\":1}", &m), AU_MSG_ERROR);
    assert_string_equal(m.error_code, "unknown_type");
    assert_int_equal(parse("{\"type\":\"set\",\"bpm\":60,\"bpm\":70}", &m),
                     AU_MSG_ERROR);
    assert_string_equal(m.error_code, "bad_json");
}

static void ratelimit(void **state)
{
    (void)state;
    au_ratelimit r;
    int64_t t = 1000000000;
    au_ratelimit_init(&r, 20, t);
    int passed = 0;
    for (int i = 0; i < 30; i++)
        passed += au_ratelimit_take(&r, 20, 20, t);
    assert_int_equal(passed, 20); /* the burst */
    /* 20 per second sustained: over 5 s at 40 msg/s, about 100 pass */
    passed = 0;
    for (int i = 0; i < 200; i++) {
        t += 25000000;
        passed += au_ratelimit_take(&r, 20, 20, t);
    }
    assert_in_range(passed, 99, 101);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_roundtrip),
        cmocka_unit_test(params_json_parses),
        cmocka_unit_test(events_json),
        cmocka_unit_test(error_escapes),
        cmocka_unit_test(query_valid),
        cmocka_unit_test(query_invalid),
        cmocka_unit_test(url_decode),
        cmocka_unit_test(control_set),
        cmocka_unit_test(control_set_refused_whole),
        cmocka_unit_test(control_other),
        cmocka_unit_test(ratelimit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
