/* libFuzzer: the shadow parser over client bytes (src/server/rx_guard.c).
 * The first input byte picks a read size; the rest is what a client sends.
 * Invariants: held-back bytes fit the hook's stash; where reads are cut
 * never changes the verdict nor the bytes handed on; every reply is a
 * complete HTTP response in valid UTF-8. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "server/rx_guard.h"

#include "../tests/rxguard_reads.h"

typedef struct {
    uint8_t *out;
    size_t out_n;
    int status;
    unsigned unmasked;
} run_t;

static void on_read(void *ctx, const uint8_t *buf, size_t len,
                    const au_rxg_result *res)
{
    run_t *r = ctx;
    r->unmasked += res->unmasked;
    if (res->action != AU_RXG_PASS) {
        if (res->at > len) __builtin_trap();
        memcpy(r->out + r->out_n, buf, res->at);
        r->out_n += res->at;
        r->status = res->action == AU_RXG_ANSWER ? res->status : -1;
        char reply[768];
        size_t rn = au_rxguard_reply(res, reply, sizeof reply);
        if (res->action == AU_RXG_ANSWER &&
            (rn == 0 || !au_utf8_valid(reply, rn) ||
             !strstr(reply, "\r\n\r\n{")))
            __builtin_trap();
        return;
    }
    if (res->hold > len || res->hold > AU_RXGUARD_NAME_MAX) __builtin_trap();
    memcpy(r->out + r->out_n, buf, len - res->hold);
    r->out_n += len - res->hold;
}

static void run(const uint8_t *msg, size_t n, size_t step, run_t *r)
{
    static uint8_t buf[4096 + AU_RXGUARD_NAME_MAX];
    r->out_n = 0;
    r->status = 0;
    r->unmasked = 0;
    au_rxg_feed_reads(msg, n, step, buf, on_read, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096) return 0;
    size_t step = (size_t)(data[0] % 16) + 1;
    data++;
    size--;
    run_t whole = {malloc(size + 1), 0, 0, 0}, cut = {malloc(size + 1), 0, 0, 0};
    if (!whole.out || !cut.out) abort();
    run(data, size, size ? size : 1, &whole);
    run(data, size, step, &cut);
    /* a cut stream ends with at most a held-back tail not handed on yet */
    if (whole.status != cut.status || whole.unmasked != cut.unmasked)
        __builtin_trap();
    if (!whole.status) {
        if (cut.out_n > whole.out_n || whole.out_n - cut.out_n > AU_RXGUARD_NAME_MAX ||
            memcmp(cut.out, whole.out, cut.out_n))
            __builtin_trap();
    }
    free(whole.out);
    free(cut.out);
    return 0;
}
