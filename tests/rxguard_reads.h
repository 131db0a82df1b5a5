/* Feeds bytes to a fresh au_rxguard in reads of `step` bytes (0: all at
 * once) the way rx_hook.c does: the bytes a result holds back are given
 * again, first, with the next read. After each read, each() gets the
 * buffer as parsed (rewrites applied) and the result; feeding stops at the
 * first result that is not AU_RXG_PASS, and returns it. buf must hold
 * min(step, n) + AU_RXGUARD_NAME_MAX bytes. Shared by
 * tests/test_server_rxguard.c, fuzz/fuzz_rxguard.c and
 * bench/rxguard_bench.c. */
#ifndef AU_TESTS_RXGUARD_READS_H
#define AU_TESTS_RXGUARD_READS_H

#include <string.h>

#include "server/rx_guard.h"

typedef void (*au_rxg_each)(void *ctx, const uint8_t *buf, size_t len,
                            const au_rxg_result *res);

static inline au_rxg_result au_rxg_feed_reads(const void *msg, size_t n,
                                              size_t step, uint8_t *buf,
                                              au_rxg_each each, void *ctx)
{
    au_rxguard g;
    au_rxguard_reset(&g);
    au_rxg_result res = {.action = AU_RXG_PASS};
    size_t stash = 0, off = 0;
    while (off < n) {
        size_t take = step && step < n - off ? step : n - off;
        memcpy(buf + stash, (const uint8_t *)msg + off, take);
        off += take;
        size_t len = stash + take;
        res = au_rxguard_feed(&g, buf, len);
        each(ctx, buf, len, &res); /* checks res.hold <= len */
        if (res.action != AU_RXG_PASS) break;
        memmove(buf, buf + len - res.hold, res.hold);
        stash = res.hold;
    }
    return res;
}

#endif
