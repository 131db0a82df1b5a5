/* --icecast URL parsing: defaults, password from the URL or the
 * environment, mount prefixes, and a clear message for each bad part. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server/icecast.h"

static void test_good_urls(void **state)
{
    (void)state;
    au_icecast_target t;
    char err[300] = "";
    assert_int_equal(au_icecast_parse_url(
                         "icecast://source:hackme@radio.example.org:8010/live/",
                         NULL, &t, err, sizeof err),
                     0);
    assert_string_equal(t.host, "radio.example.org");
    assert_int_equal(t.port, 8010);
    assert_string_equal(t.user, "source");
    assert_string_equal(t.password, "hackme");
    assert_string_equal(t.prefix, "/live/");

    /* defaults: user source, port 8000, prefix /, password from env */
    assert_int_equal(au_icecast_parse_url("icecast://10.0.0.2", "envpw", &t,
                                          err, sizeof err),
                     0);
    assert_string_equal(t.host, "10.0.0.2");
    assert_int_equal(t.port, 8000);
    assert_string_equal(t.user, "source");
    assert_string_equal(t.password, "envpw");
    assert_string_equal(t.prefix, "/");

    /* the URL's password wins; '@' inside a password; prefix gets a '/' */
    assert_int_equal(au_icecast_parse_url("icecast://me:p@ss@h:1/a/b", "envpw",
                                          &t, err, sizeof err),
                     0);
    assert_string_equal(t.user, "me");
    assert_string_equal(t.password, "p@ss");
    assert_string_equal(t.prefix, "/a/b/");
}

static void test_bad_urls(void **state)
{
    (void)state;
    au_icecast_target t;
    char err[300];
    static const struct {
        const char *url, *env, *msg;
    } bad[] = {
        {"http://h/", "x", "icecast://"},
        {"icecast://", "x", "host"},
        {"icecast://source:pw@:8000/", NULL, "host"},
        {"icecast://h:0/", "x", "port"},
        {"icecast://h:70000/", "x", "port"},
        {"icecast://h:80x/", "x", "port"},
        {"icecast://h/", NULL, "AURALIS_ICECAST_PASSWORD"},
        {"icecast://h/", "", "no password"},
        {"icecast://h/../etc/", "x", "mount path"},
        {"icecast://h/a b/", "x", "mount path"},
        {"icecast://ho st/", "x", "host"},
        {"icecast://:pw@h/", NULL, "user name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_int_equal(
            au_icecast_parse_url(bad[i].url, bad[i].env, &t, err, sizeof err),
            -1);
        if (!strstr(err, bad[i].msg)) fail_msg("%s: %s", bad[i].url, err);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_urls),
        cmocka_unit_test(test_bad_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
