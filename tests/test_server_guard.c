/* Hardening against hostile clients (issue 12): every text the server sends
 * is valid UTF-8, values are parsed exactly as docs/protocol.md says, and
 * client_stats cannot skew the metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/utf8.h"
#include "server/client_stats.h"
#include "server/control.h"
#include "server/query.h"
#include "server/wire.h"

static void utf8_rules(void **state)
{
    (void)state;
    assert_true(au_utf8_valid("plain", 5));
    assert_true(au_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x8e\xb5", 9));
    assert_false(au_utf8_valid("\xc3", 1));             /* truncated */
    assert_false(au_utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(au_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(au_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(au_utf8_valid("\xff", 1));
    /* a quote is cut before a character that does not fit, never inside */
    char v[64], q[AU_QUOTE_SIZE];
    memset(v, 'a', 39);
    memcpy(v + 39, "\xc3\xa9\xc3\xa9", 5);
    v[44] = '\0';
    au_quote(v, q);
    assert_true(au_utf8_valid(q, strlen(q)));
    assert_string_equal(q + 36, "aaa...");
    au_quote("ok\x01\xff\xc3\xa9", q);
    assert_string_equal(q, "ok??\xc3\xa9");
    char small[4];
    au_utf8_copy(small, sizeof small, "a\xe2\x82\xac");
    assert_string_equal(small, "a");
}

/* The message and the JSON built from it are valid UTF-8. */
static void assert_reply_valid(const char *code, const char *message)
{
    assert_true(au_utf8_valid(message, strlen(message)));
    char buf[1024];
    int n = au_wire_error_json(code, message, buf, sizeof buf);
    assert_true(n > 0);
    assert_true(au_utf8_valid(buf, (size_t)n));
}

static void messages_cut_on_characters(void **state)
{
    (void)state;
    /* 39 ASCII bytes then a 2-byte character: a byte cut at 40 splits it */
    char val[128];
    memset(val, 'x', 39);
    strcpy(val + 39, "\xc3\xa9\xc3\xa9\xc3\xa9");
    char msg[600];
    au_control_msg m;
    snprintf(msg, sizeof msg, "{\"type\":\"set\",\"mode\":\"%s\"}", val);
    assert_int_equal(au_control_parse(msg, strlen(msg), &m), AU_MSG_ERROR);
    assert_reply_valid(m.error_code, m.message);
    snprintf(msg, sizeof msg, "{\"type\":\"%s\"}", val);
    assert_int_equal(au_control_parse(msg, strlen(msg), &m), AU_MSG_ERROR);
    assert_reply_valid(m.error_code, m.message);
    snprintf(msg, sizeof msg, "{\"type\":\"set\",\"layers\":{\"%s\":true}}",
             val);
    assert_int_equal(au_control_parse(msg, strlen(msg), &m), AU_MSG_ERROR);
    assert_reply_valid(m.error_code, m.message);
    const char *names[] = {"key",    "mode", "bpm",      "station", "codec",
                           "wander", "seed", "piece",    "timeline",
                           "resume", "position", "pads_volume"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        au_stream_request r;
        au_stream_request_init(&r);
        char pair[200], err[256];
        snprintf(pair, sizeof pair, "%s=%s", names[i], val);
        assert_int_equal(au_query_add_pair(&r, pair, err, sizeof err), -1);
        assert_reply_valid("invalid_param", err);
    }
    /* found by fuzz_query: an unknown piece quoting malformed bytes */
    {
        au_stream_request r2;
        au_stream_request_init(&r2);
        char e2[256];
        assert_int_equal(au_query_add_pair(&r2, "piece=w\x80\x80\x80snd\x9b",
                                           e2, sizeof e2),
                         -1);
        assert_true(au_utf8_valid(e2, strlen(e2)));
    }
    snprintf(msg, sizeof msg,
             "{\"type\":\"set\",\"volumes\":{\"%s\":0.5}}", val);
    assert_int_equal(au_control_parse(msg, strlen(msg), &m), AU_MSG_ERROR);
    assert_reply_valid(m.error_code, m.message);
    /* malformed bytes in a quoted value come back as '?' */
    au_stream_request r;
    au_stream_request_init(&r);
    char err[256];
    assert_int_equal(au_query_add_pair(&r, "key=\xff\xfe", err, sizeof err),
                     -1);
    assert_reply_valid("invalid_param", err);
    /* and the escaper itself never passes a malformed byte on */
    char out[64];
    assert_true(au_wire_escape("a\xc3\x28\xe2\x82", out, sizeof out) > 0);
    assert_true(au_utf8_valid(out, strlen(out)));
}

static void strict_values(void **state)
{
    (void)state;
    au_param_update u;
    char err[256];
    const char *bad_bpm[] = {"0x48", " 72", "72 ", "+72", "7.2e1", "inf",
                             "nan", "72abc", "", "."};
    for (size_t i = 0; i < sizeof bad_bpm / sizeof bad_bpm[0]; i++) {
        memset(&u, 0, sizeof u);
        if (au_update_set_text(&u, "bpm", bad_bpm[i], err, sizeof err) == 0)
            fail_msg("bpm '%s' accepted", bad_bpm[i]);
    }
    memset(&u, 0, sizeof u);
    assert_int_equal(au_update_set_text(&u, "bpm", "72.5", err, sizeof err), 0);
    assert_int_equal(au_update_set_text(&u, "intensity", ".5", err, sizeof err),
                     0);
    const char *bad_bool[] = {"YES", "True", "2", "y", "", "onn"};
    for (size_t i = 0; i < sizeof bad_bool / sizeof bad_bool[0]; i++)
        if (au_update_set_text(&u, "pads", bad_bool[i], err, sizeof err) == 0)
            fail_msg("pads '%s' accepted", bad_bool[i]);
    const char *good_bool[] = {"true", "false", "on", "off", "yes", "no", "1",
                               "0"};
    for (size_t i = 0; i < sizeof good_bool / sizeof good_bool[0]; i++)
        assert_int_equal(
            au_update_set_text(&u, "wander", good_bool[i], err, sizeof err), 0);

    /* JSON: JSON types only */
    const char *bad_json[] = {
        "{\"type\":\"set\",\"bpm\":\"72\"}",
        "{\"type\":\"set\",\"intensity\":\"0.5\"}",
        "{\"type\":\"set\",\"pads\":\"yes\"}",
        "{\"type\":\"set\",\"pads\":1}",
        "{\"type\":\"set\",\"wander\":\"true\"}",
        "{\"type\":\"set\",\"layers\":{\"bells\":\"off\"}}",
        "{\"type\":\"set\",\"key\":12}",
        "{\"type\":\"set\",\"key\":2.5}",
        "{\"type\":\"set\",\"mode\":3}",
    };
    au_control_msg m;
    for (size_t i = 0; i < sizeof bad_json / sizeof bad_json[0]; i++) {
        if (au_control_parse(bad_json[i], strlen(bad_json[i]), &m) !=
            AU_MSG_ERROR)
            fail_msg("accepted %s", bad_json[i]);
        assert_string_equal(m.error_code, "invalid_param");
    }
    const char *ok = "{\"type\":\"set\",\"bpm\":72,\"key\":3,\"pads\":false,"
                     "\"mode\":\"lydian\",\"layers\":{\"bells\":true}}";
    assert_int_equal(au_control_parse(ok, strlen(ok), &m), AU_MSG_SET);
}

static void client_stats_clamped(void **state)
{
    (void)state;
    au_client_stats_state st;
    int64_t t = 1000000000LL;
    au_client_stats_init(&st, t);
    au_control_msg m;
    memset(&m, 0, sizeof m);
    m.type = AU_MSG_CLIENT_STATS;
    m.stats.has_underruns = true;
    m.stats.has_buffer = true;
    bool obs;
    double b, j;
    /* the attack of the review: one connection alternating 0 and 1e15,
     * 20 messages a second for 2 s */
    uint64_t total = 0;
    int samples = 0;
    for (int i = 0; i < 40; i++) {
        m.stats.underruns = (i % 2) ? 1000000000000000ULL : 0;
        m.stats.buffer_ms = 1e9;
        total += au_client_stats_apply(&st, &m, t + i * 50000000LL, &obs, &b, &j);
        if (obs) {
            samples++;
            assert_true(b <= AU_CLIENT_MS_MAX);
        }
    }
    /* at most the burst plus 10 a second of connection */
    assert_true(total <= AU_CLIENT_UNDERRUNS_BURST + 2 * 10 + 1);
    assert_true(samples <= 3); /* one buffer sample a second */
    /* an honest player's running total is counted in full */
    au_client_stats_init(&st, t);
    total = 0;
    for (int i = 0; i < 10; i++) {
        m.stats.underruns = (uint64_t)i;
        total += au_client_stats_apply(&st, &m, t + i * 2000000000LL, &obs, &b,
                                       &j);
    }
    assert_int_equal(total, 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(utf8_rules),
        cmocka_unit_test(messages_cut_on_characters),
        cmocka_unit_test(strict_values),
        cmocka_unit_test(client_stats_clamped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
