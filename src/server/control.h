/* Client-to-server control messages (set, ping, client_stats), parsed and
 * validated as a whole, plus the per-connection rate limiter.
 * Pure functions over caller-owned values (jansson allocates while parsing;
 * this runs on the service thread, never on the audio path). Thread-safe. */
#ifndef AU_SERVER_CONTROL_H
#define AU_SERVER_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/params.h"

typedef enum {
    AU_MSG_SET,
    AU_MSG_PING,
    AU_MSG_CLIENT_STATS,
    AU_MSG_ERROR, /* error_code and message say why */
} au_msg_type;

typedef struct {
    au_msg_type type;
    const char *error_code; /* "bad_json", "unknown_type", "invalid_param" */
    char message[256];
    au_param_update update; /* AU_MSG_SET: validated fields */
    bool has_t;             /* AU_MSG_PING: t, as compact JSON text */
    char t[72];
    struct { /* AU_MSG_CLIENT_STATS: fields present */
        bool has_buffer, has_underruns, has_jitter;
        double buffer_ms, jitter_ms;
        uint64_t underruns; /* cumulative, as the player counts them */
        char tier[24];
    } stats;
} au_control_msg;

/* Parses one text message of len bytes (need not be NUL-terminated).
 * Returns m->type. */
au_msg_type au_control_parse(const char *text, size_t len, au_control_msg *m);

/* Token bucket: burst tokens, refilled at rate per second. */
typedef struct {
    double tokens;
    int64_t last_ns;
} au_ratelimit;

void au_ratelimit_init(au_ratelimit *r, double burst, int64_t now_ns);
/* true if a message may pass now (and takes a token) */
bool au_ratelimit_take(au_ratelimit *r, double rate, double burst,
                       int64_t now_ns);

#endif
