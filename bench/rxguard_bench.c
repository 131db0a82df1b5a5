/* Cost of the shadow parser over client bytes (src/server/rx_guard.c):
 * CPU time per request head, for a browser's request head (14 headers)
 * read whole and cut into 1-byte reads (every read that ends inside a
 * header name looks the name up), and for a head of 100 header names that
 * are prefixes of known ones (each renamed). Medians of `runs` runs.
 * Run: build/rxguard_bench [runs=9] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/rx_guard.h"

#include "../tests/rxguard_reads.h"

static double cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static volatile size_t sink;

static void on_read(void *ctx, const uint8_t *buf, size_t len,
                    const au_rxg_result *res)
{
    (void)ctx;
    (void)buf;
    if (res->action != AU_RXG_PASS || res->hold > len) abort();
    sink += res->renamed;
}

static void feed(const char *msg, size_t n, size_t step)
{
    static uint8_t buf[16384];
    au_rxg_feed_reads(msg, n, step, buf, on_read, NULL);
}

/* ns per head: median of runs, each feeding the head `reps` times */
static double measure(const char *msg, size_t step, int runs, int reps)
{
    double t[64];
    size_t n = strlen(msg);
    for (int r = 0; r < runs; r++) {
        double t0 = cpu_ns();
        for (int i = 0; i < reps; i++)
            feed(msg, n, step);
        t[r] = (cpu_ns() - t0) / reps;
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp);
    return t[runs / 2];
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 9;
    if (runs < 1 || runs > 63) runs = 9;
    static const char browser[] =
        "GET /ws?seed=7&codec=opus HTTP/1.1\r\n"
        "Host: 127.0.0.1:8000\r\n"
        "Connection: Upgrade\r\n"
        "Pragma: no-cache\r\n"
        "Cache-Control: no-cache\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\n"
        "Upgrade: websocket\r\n"
        "Origin: http://127.0.0.1:8000\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "Accept-Encoding: gzip, deflate, br\r\n"
        "Accept-Language: en-GB,en;q=0.9\r\n"
        "Cookie: a=b\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Extensions: permessage-deflate; "
        "client_max_window_bits\r\n"
        "DNT: 1\r\n\r\n";
    static char prefixes[8192];
    size_t p = (size_t)snprintf(prefixes, sizeof prefixes,
                                "GET / HTTP/1.1\r\nHost: x\r\n");
    static const char *const pre[] = {"conn",      "acc",
                                      "content-l", "sec-websocket-ke",
                                      "if-mod",    "x-forwarded"};
    for (int i = 0; i < 100; i++)
        p += (size_t)snprintf(prefixes + p, sizeof prefixes - p, "%s: %d\r\n",
                              pre[i % 6], i);
    snprintf(prefixes + p, sizeof prefixes - p, "\r\n");

    printf("rx_guard, CPU ns per request head (median of %d runs)\n", runs);
    printf("  browser upgrade head (%zu B, 14 headers), one read:    %8.0f\n",
           strlen(browser), measure(browser, 1 << 20, runs, 20000));
    printf("  browser upgrade head, 1-byte reads:                   %8.0f\n",
           measure(browser, 1, runs, 2000));
    printf("  100 prefix names (%zu B), one read:                  %8.0f\n",
           strlen(prefixes), measure(prefixes, 1 << 20, runs, 2000));
    printf("  100 prefix names, 1-byte reads:                      %8.0f\n",
           measure(prefixes, 1, runs, 200));
    return sink == (size_t)-1;
}
