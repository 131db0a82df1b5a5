/* libFuzzer: client control messages (any bytes a WebSocket peer can send as
 * text) through the parser and, when accepted, through the state formatter.
 * Every reply the server would send must be valid UTF-8. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/utf8.h"
#include "server/control.h"
#include "server/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0; /* the server closes larger messages */
    au_control_msg m;
    au_msg_type t = au_control_parse((const char *)data, size, &m);
    if (t == AU_MSG_SET) {
        au_params p = au_params_default();
        au_params_apply(&p, &m.update);
        char buf[512];
        int n = au_wire_state_json(&p, 4800, buf, sizeof buf);
        if (n < 0 || !au_utf8_valid(buf, (size_t)n)) __builtin_trap();
    } else if (t == AU_MSG_ERROR) {
        char buf[1024];
        int n = m.error_code ? au_wire_error_json(m.error_code, m.message, buf,
                                                  sizeof buf)
                             : -1;
        if (n < 0 || !au_utf8_valid(buf, (size_t)n)) __builtin_trap();
    } else if (t == AU_MSG_PING && m.has_t &&
               (strlen(m.t) >= sizeof m.t || !au_utf8_valid(m.t, strlen(m.t)))) {
        __builtin_trap();
    }
    return 0;
}
