/* The shadow parser libwebsockets' reads pass through (rx_guard.h): what it
 * answers, what it rewrites, and that where a read is cut never changes
 * the outcome (the hook gives held-back bytes again, first). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/utf8.h"
#include "server/rx_guard.h"
#include "server/rx_guard_names.h"

#include "rxguard_reads.h"

typedef struct {
    uint8_t out[131072]; /* bytes handed on, after rewrites */
    size_t out_n;
    au_rxg_result last;
    int status; /* of the first ANSWER/CLOSE, 0 if none */
    int unmasked, renamed;
} run_t;

static void on_read(void *ctx, const uint8_t *buf, size_t len,
                    const au_rxg_result *res)
{
    run_t *r = ctx;
    r->last = *res;
    r->unmasked += (int)res->unmasked;
    r->renamed += (int)res->renamed;
    if (res->action != AU_RXG_PASS) {
        memcpy(r->out + r->out_n, buf, res->at);
        r->out_n += res->at;
        r->status = res->action == AU_RXG_ANSWER ? res->status : -1;
        return;
    }
    assert_true(res->hold <= len);
    memcpy(r->out + r->out_n, buf, len - res->hold);
    r->out_n += len - res->hold;
}

/* Feeds msg in reads of `step` bytes (0: whole) the way rx_hook.c does. */
static void run(const void *msg, size_t n, size_t step, run_t *r)
{
    static uint8_t buf[131072 + AU_RXGUARD_NAME_MAX];
    memset(r, 0, sizeof *r);
    au_rxg_feed_reads(msg, n, step, buf, on_read, r);
}

static void same_at_every_cut(const char *msg, size_t n, int status,
                              int unmasked, int renamed)
{
    static run_t whole, cut;
    run(msg, n, 0, &whole);
    assert_int_equal(whole.status, status);
    assert_int_equal(whole.unmasked, unmasked);
    assert_int_equal(whole.renamed, renamed);
    for (size_t step = 1; step <= 7; step++) {
        run(msg, n, step, &cut);
        assert_int_equal(cut.status, status);
        assert_int_equal(cut.unmasked, unmasked);
        if (!status) {
            assert_int_equal(cut.renamed, renamed);
            assert_int_equal(cut.out_n, whole.out_n);
            assert_memory_equal(cut.out, whole.out, whole.out_n);
        }
    }
}

#define SAME(msg, status, unmasked, renamed)                                 \
    same_at_every_cut(msg, sizeof msg - 1, status, unmasked, renamed)

static void good_requests_pass_untouched(void **state)
{
    (void)state;
    static const char ok[] =
        "GET /api/health HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n"
        "Accept-Encoding: gzip\r\nCookie: a=b\r\n\r\n"
        "\r\nHEAD / HTTP/1.0\nHost: x\n\n"; /* bare LF, a blank line first */
    static run_t r;
    run(ok, sizeof ok - 1, 0, &r);
    assert_int_equal(r.status, 0);
    assert_int_equal(r.out_n, sizeof ok - 1);
    assert_memory_equal(r.out, ok, sizeof ok - 1);
    SAME(ok, 0, 0, 0);
    /* a body (POST /api/export) is skipped, not parsed as a request */
    static const char post[] = "POST /api/export HTTP/1.1\r\nHost: x\r\n"
                               "Content-Length: 12\r\n\r\n{\"x\":\r\n \"y\"}"
                               "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    SAME(post, 0, 0, 0);
}

static void malformed_heads_are_answered(void **state)
{
    (void)state;
    SAME("GET / HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n", 400, 0, 0);
    SAME("GET / HTTP/1.1\r\nHost: x\r\nBogus\r\n\r\n", 400, 0, 0);
    SAME("GET / HTTP/1.1\r\nX A: b\r\n\r\n", 400, 0, 0);
    SAME("GET / HTTP/1.1\r\n: b\r\n\r\n", 400, 0, 0);
    SAME("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400, 0, 0);
    SAME("GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", 400, 0, 0);
    SAME("GET / HTTP/2.0\r\n\r\n", 505, 0, 0);
    SAME("GET / HTTP/1.10\r\n\r\n", 505, 0, 0);
    SAME("GET / FTP/1.1\r\n\r\n", 400, 0, 0);
    SAME("GET /\r\n\r\n", 400, 0, 0);
    SAME("GET  / HTTP/1.1\r\n\r\n", 400, 0, 0);
    SAME("G(T / HTTP/1.1\r\n\r\n", 400, 0, 0);
    SAME("\x16\x03\x01\x00\xa5\x01\x00", 400, 0, 0);
    /* past the head bound: 431 */
    size_t big = AU_RXGUARD_HEAD_MAX + 100;
    char *m = malloc(big);
    assert_non_null(m);
    memcpy(m, "GET / HTTP/1.1\r\nX: ", 19);
    memset(m + 19, 'a', big - 19);
    static run_t r;
    run(m, big, 0, &r);
    assert_int_equal(r.status, 431);
    free(m);
    /* the answer names the problem, is valid UTF-8 and carries the
     * isolation headers */
    char out[768];
    size_t n = au_rxguard_reply(&r.last, out, sizeof out);
    assert_true(n > 0);
    assert_true(au_utf8_valid(out, n));
    assert_non_null(strstr(out, "HTTP/1.1 431 "));
    static const char *const isolation[] = {
        "\r\ncross-origin-opener-policy: same-origin\r\n",
        "\r\ncross-origin-embedder-policy: require-corp\r\n",
        "\r\ncross-origin-resource-policy: cross-origin\r\n",
        "\r\nx-content-type-options: nosniff\r\n"};
    for (size_t i = 0; i < sizeof isolation / sizeof isolation[0]; i++)
        if (!strstr(out, isolation[i])) fail_msg("no%s", isolation[i]);
    assert_non_null(strstr(out, "\"code\":\"headers_too_large\""));
}

static void a_bad_request_after_good_ones_keeps_them(void **state)
{
    (void)state;
    static const char two[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                              "GET /b HTTP/1.1\r\nX: a\r\n b\r\n\r\n";
    static run_t r;
    run(two, sizeof two - 1, 0, &r);
    assert_int_equal(r.status, 400);
    assert_int_equal(r.last.at, 28); /* the first request, whole */
    assert_memory_equal(r.out, two, 28);
}

static void prefix_names_are_renamed(void **state)
{
    (void)state;
    static const char p[] =
        "GET / HTTP/1.1\r\nHost: x\r\nConn: 1\r\nho: 2\r\nAccept: 3\r\n"
        "Accept-: 4\r\nHostname: 5\r\nSec-WebSocket-Ke: 6\r\n\r\n";
    SAME(p, 0, 0, 4);
    static run_t r;
    run(p, sizeof p - 1, 3, &r);
    static const char want[] = "\r\n~~~~: 1\r\n~~: 2\r\nAccept: 3\r\n"
                               "~~~~~~~: 4\r\nHostname: 5";
    assert_non_null(memmem(r.out, r.out_n, want, sizeof want - 1));
}

/* The rule the table lookup must keep, written the plain way: 1 a known
 * name, 2 a proper prefix of one (and not one), 0 neither. */
#define AU_NAME_(n) n,
static const char *const known_names[] = {AU_RXGUARD_KNOWN_NAMES(AU_NAME_)};
#undef AU_NAME_
enum { N_NAMES = sizeof known_names / sizeof known_names[0] };

static int reference_state(const char *name, size_t n)
{
    int r = 0;
    for (size_t k = 0; k < N_NAMES; k++) {
        size_t kl = strlen(known_names[k]);
        if (kl < n || memcmp(known_names[k], name, n)) continue;
        if (kl == n) return 1;
        r = 2;
    }
    return r;
}

/* The head with one header named `name`: renamed when the name is a proper
 * prefix; held back whole when a read ends after it and it may still grow
 * into a known name. */
static void check_name(const char *name)
{
    size_t n = strlen(name);
    int want = n < AU_RXGUARD_NAME_MAX ? reference_state(name, n) : 0;
    char msg[128];
    int len =
        snprintf(msg, sizeof msg, "GET / HTTP/1.1\r\n%s: v\r\n\r\n", name);
    assert_true(len > 0 && (size_t)len < sizeof msg);
    static run_t r;
    run(msg, (size_t)len, 0, &r);
    assert_int_equal(r.status, 0);
    if (r.renamed != (want == 2)) fail_msg("%s: renamed %d", name, r.renamed);
    au_rxguard g;
    au_rxguard_reset(&g);
    uint8_t buf[128];
    size_t head = 16 + n; /* the request line and the name */
    memcpy(buf, msg, head);
    au_rxg_result res = au_rxguard_feed(&g, buf, head);
    assert_int_equal(res.action, AU_RXG_PASS);
    if (res.hold != (want ? n : 0)) fail_msg("%s: held %zu", name, res.hold);
}

static void known_name_lookup_keeps_its_verdicts(void **state)
{
    (void)state;
    /* the lookup is a binary search: the table must stay sorted */
    for (size_t k = 1; k < N_NAMES; k++)
        if (strcmp(known_names[k - 1], known_names[k]) >= 0)
            fail_msg("rx_guard_names.h: %s before %s", known_names[k - 1],
                     known_names[k]);
    /* every prefix of every name, and each with one more byte */
    static const char more[] = "abcdefghijklmnopqrstuvwxyz0123456789-_~";
    char name[64];
    for (size_t k = 0; k < N_NAMES; k++) {
        size_t kl = strlen(known_names[k]);
        for (size_t p = 1; p <= kl; p++) {
            memcpy(name, known_names[k], p);
            name[p] = 0;
            check_name(name);
            for (const char *c = more; *c; c++) {
                name[p] = *c;
                name[p + 1] = 0;
                check_name(name);
            }
        }
    }
    /* before the first, after the last, and past the kept length */
    check_name("a");
    check_name("zz");
    check_name("access-control-request-headers-and-more-x");
}

/* A client frame: masked (with a key of 1, 2, 3, 4) or not. */
static size_t frame(uint8_t *out, uint8_t op, size_t len, int masked)
{
    size_t k = 0;
    out[k++] = (uint8_t)(0x80 | op);
    uint8_t m = masked ? 0x80 : 0;
    if (len < 126) {
        out[k++] = (uint8_t)(m | len);
    } else if (len < 65536) {
        out[k++] = m | 126;
        out[k++] = (uint8_t)(len >> 8);
        out[k++] = (uint8_t)len;
    } else {
        out[k++] = m | 127;
        for (int i = 7; i >= 0; i--)
            out[k++] = (uint8_t)((uint64_t)len >> (8 * i));
    }
    if (masked)
        for (int i = 1; i <= 4; i++)
            out[k++] = (uint8_t)i;
    memset(out + k, 0x81, len); /* payload bytes that look like headers */
    return k + len;
}

static void unmasked_frames_get_a_reserved_opcode(void **state)
{
    (void)state;
    static uint8_t msg[80000];
    static const char up[] = "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade:  WebSocket"
                             "\r\nConnection: Upgrade\r\n\r\n";
    size_t n = sizeof up - 1;
    memcpy(msg, up, n);
    n += frame(msg + n, 1, 5, 1);
    n += frame(msg + n, 2, 300, 1);
    n += frame(msg + n, 2, 70000, 1);
    n += frame(msg + n, 9, 0, 1);
    size_t bad = n;
    n += frame(msg + n, 9, 2, 0);
    same_at_every_cut((const char *)msg, n, 0, 1, 0);
    static run_t r;
    run(msg, n, 5, &r);
    assert_int_equal(r.out[bad], 0x83); /* FIN kept, opcode 3 */
    assert_memory_equal(r.out, msg, bad);
    /* not an upgrade to WebSocket ("websocket " with a space is refused
     * by libwebsockets as an unknown upgrade): bytes after it are a new
     * request, parsed as such */
    static const char h2[] = "GET / HTTP/1.1\r\nUpgrade: websocket \r\n\r\n"
                             "\x81\x05hello";
    SAME(h2, 400, 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_requests_pass_untouched),
        cmocka_unit_test(malformed_heads_are_answered),
        cmocka_unit_test(a_bad_request_after_good_ones_keeps_them),
        cmocka_unit_test(prefix_names_are_renamed),
        cmocka_unit_test(known_name_lookup_keeps_its_verdicts),
        cmocka_unit_test(unmasked_frames_get_a_reserved_opcode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
