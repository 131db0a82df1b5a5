/* libFuzzer: WebSocket upgrade query strings. Whatever is accepted must be
 * valid parameters (the engine is only ever given validated values); every
 * refusal is valid UTF-8. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "server/query.h"
#include "server/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192) return 0;
    char *qs = malloc(size + 1);
    if (!qs) return 0;
    memcpy(qs, data, size);
    qs[size] = '\0';
    au_stream_request r;
    au_stream_request_init(&r);
    char err[256];
    if (au_query_parse(&r, qs, err, sizeof err) == 0) {
        au_params p = au_params_default();
        au_params_apply(&p, &r.update);
        if (p.key < 0 || p.key > 11 || p.mode < 0 || p.mode >= AU_MODE_COUNT ||
            !(p.bpm >= AU_BPM_MIN && p.bpm <= AU_BPM_MAX) ||
            !(p.intensity >= 0 && p.intensity <= 1))
            __builtin_trap();
        if (r.station[0] && !au_station_name_ok(r.station)) __builtin_trap();
    } else {
        /* every refusal says why, in valid UTF-8 (the HTTP 400 body) */
        char body[1024];
        int n = au_wire_error_json("invalid_param", err, body, sizeof body);
        if (strlen(err) == 0 || !au_utf8_valid(err, strlen(err)) || n < 0 ||
            !au_utf8_valid(body, (size_t)n))
            __builtin_trap();
    }
    free(qs);
    return 0;
}
