#include "server/control.h"

#include "core/pieces.h"
#include "core/utf8.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static au_msg_type fail(au_control_msg *m, const char *code, const char *msg)
{
    m->type = AU_MSG_ERROR;
    m->error_code = code;
    au_utf8_copy(m->message, sizeof m->message, msg); /* whole characters */
    return m->type;
}

/* A JSON value as the text the shared parsers in core/params.c read, so a
 * wrongly typed value gets the same message as on the command line. */
static void value_text(json_t *v, char *buf, size_t len)
{
    switch (json_typeof(v)) {
    case JSON_STRING: snprintf(buf, len, "%s", json_string_value(v)); break;
    case JSON_INTEGER:
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL: snprintf(buf, len, "%.17g", json_real_value(v)); break;
    case JSON_TRUE: snprintf(buf, len, "true"); break;
    case JSON_FALSE: snprintf(buf, len, "false"); break;
    case JSON_NULL: snprintf(buf, len, "null"); break;
    case JSON_OBJECT: snprintf(buf, len, "{...}"); break;
    case JSON_ARRAY: snprintf(buf, len, "[...]"); break;
    }
}

/* JSON values have JSON types, exactly as docs/protocol.md lists them:
 * bpm and intensity are numbers, key a name or an integer 0-11, mode a
 * name, wander and the layers true or false. "72", "yes" or 1 for a
 * boolean are refused (a query string is text; JSON is not). */
static int set_field(au_param_update *u, const char *name, json_t *v, char *err,
                     size_t errlen)
{
    char t[AU_QUOTE_SIZE], text[128];
    value_text(v, text, sizeof text);
    au_quote(text, t);
    if (!strcmp(name, "bpm") || !strcmp(name, "intensity")) {
        if (!json_is_number(v)) {
            snprintf(err, errlen, "%s must be a JSON number (got '%s')", name,
                     t);
            return -1;
        }
        double x = json_number_value(v);
        if (name[0] == 'b') {
            if (au_check_bpm(x, err, errlen)) return -1;
            u->v.bpm = x;
            u->mask |= AU_P_BPM;
        } else {
            if (au_check_intensity(x, err, errlen)) return -1;
            u->v.intensity = x;
            u->mask |= AU_P_INTENSITY;
        }
        return 0;
    }
    int vl = au_volume_from_name(name);
    if (vl >= 0) {
        if (!json_is_number(v)) {
            snprintf(err, errlen,
                     "%s must be a number between 0.0 and 1.0 (got '%s')",
                     name, t);
            return -1;
        }
        double x = json_number_value(v);
        if (au_check_volume(name, x, err, errlen)) return -1;
        u->v.volume[vl] = x;
        u->mask |= AU_P_VOLUME(vl);
        return 0;
    }
    if (!strcmp(name, "key") && json_is_integer(v)) {
        json_int_t k = json_integer_value(v);
        if (k < 0 || k > 11) {
            snprintf(err, errlen,
                     "key must be a name (C, C#, Db, ...) or 0-11 (got %s)", t);
            return -1;
        }
        u->v.key = (int)k;
        u->mask |= AU_P_KEY;
        return 0;
    }
    if (!strcmp(name, "key") || !strcmp(name, "mode")) {
        if (!json_is_string(v)) {
            snprintf(err, errlen, "%s must be a string (got '%s')", name, t);
            return -1;
        }
        return au_update_set_text(u, name, json_string_value(v), err, errlen);
    }
    bool wants_bool = !strcmp(name, "wander") || au_layer_from_name(name) >= 0;
    if (wants_bool) {
        if (!json_is_boolean(v)) {
            snprintf(err, errlen, "%s must be true or false (got '%s')", name,
                     t);
            return -1;
        }
        return au_update_set_text(u, name, json_is_true(v) ? "true" : "false",
                                  err, errlen);
    }
    return au_update_set_text(u, name, text, err, errlen);
}

static au_msg_type parse_set(json_t *root, au_control_msg *m)
{
    const char *name;
    json_t *v;
    char err[256];
    memset(&m->update, 0, sizeof m->update);
    json_object_foreach(root, name, v)
    {
        if (!strcmp(name, "type")) continue;
        if (!strcmp(name, "layers") && json_is_object(v)) {
            const char *ln;
            json_t *lv;
            json_object_foreach(v, ln, lv)
            {
                if (au_layer_from_name(ln) < 0) {
                    char q[AU_QUOTE_SIZE];
                    au_quote(ln, q);
                    snprintf(err, sizeof err,
                             "layers: unknown layer '%s' (allowed: pads, "
                             "melody, bass, percussion, textures, bells)",
                             q);
                    return fail(m, "invalid_param", err);
                }
                if (set_field(&m->update, ln, lv, err, sizeof err))
                    return fail(m, "invalid_param", err);
            }
            continue;
        }
        if (!strcmp(name, "volumes") && json_is_object(v)) {
            /* {"volumes":{"pads":0.5}}: the same as "pads_volume":0.5 */
            const char *ln;
            json_t *lv;
            json_object_foreach(v, ln, lv)
            {
                char vn[40];
                if (au_layer_from_name(ln) < 0) {
                    char q[AU_QUOTE_SIZE];
                    au_quote(ln, q);
                    snprintf(err, sizeof err,
                             "volumes: unknown layer '%s' (allowed: pads, "
                             "melody, bass, percussion, textures, bells)",
                             q);
                    return fail(m, "invalid_param", err);
                }
                snprintf(vn, sizeof vn, "%s_volume", ln);
                if (set_field(&m->update, vn, lv, err, sizeof err))
                    return fail(m, "invalid_param", err);
            }
            continue;
        }
        if (set_field(&m->update, name, v, err, sizeof err))
            return fail(m, "invalid_param", err);
    }
    if (m->update.mask == 0)
        return fail(m, "invalid_param",
                    "set: nothing to change (give piece, key, mode, bpm, "
                    "intensity, wander, a layer switch or a layer volume)");
    au_update_piece_defaults(&m->update); /* a piece brings its defaults */
    m->type = AU_MSG_SET;
    return m->type;
}

static bool number_field(json_t *root, const char *name, double *out)
{
    json_t *v = json_object_get(root, name);
    if (!v || !json_is_number(v)) return false;
    double x = json_number_value(v);
    if (!isfinite(x)) return false;
    *out = x;
    return true;
}

au_msg_type au_control_parse(const char *text, size_t len, au_control_msg *m)
{
    memset(m, 0, sizeof *m);
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) return fail(m, "bad_json", "message is not valid JSON");
    au_msg_type r;
    json_t *type = json_object_get(root, "type");
    if (!json_is_object(root)) {
        r = fail(m, "bad_json", "message must be a JSON object");
    } else if (!json_is_string(type)) {
        r = fail(m, "unknown_type", "message needs a \"type\" string");
    } else if (!strcmp(json_string_value(type), "set")) {
        r = parse_set(root, m);
    } else if (!strcmp(json_string_value(type), "ping")) {
        json_t *t = json_object_get(root, "t");
        r = m->type = AU_MSG_PING;
        if (t) {
            char *s = json_dumps(t, JSON_ENCODE_ANY | JSON_COMPACT);
            if (!s || strlen(s) >= sizeof m->t ||
                !(json_is_number(t) || json_is_string(t)))
                r = fail(m, "invalid_param",
                         "t must be a number or a string under 64 bytes");
            else {
                m->has_t = true;
                memcpy(m->t, s, strlen(s) + 1);
            }
            free(s);
        }
    } else if (!strcmp(json_string_value(type), "client_stats")) {
        r = m->type = AU_MSG_CLIENT_STATS;
        double x;
        if (number_field(root, "buffer_ms", &x) && x >= 0 && x < 1e7) {
            m->stats.has_buffer = true;
            m->stats.buffer_ms = x;
        }
        if (number_field(root, "jitter_ms", &x) && x >= 0 && x < 1e7) {
            m->stats.has_jitter = true;
            m->stats.jitter_ms = x;
        }
        if (number_field(root, "underruns", &x) && x >= 0 && x < 1e15) {
            m->stats.has_underruns = true;
            m->stats.underruns = (uint64_t)x;
        }
        json_t *tier = json_object_get(root, "tier");
        if (json_is_string(tier))
            snprintf(m->stats.tier, sizeof m->stats.tier, "%s",
                     json_string_value(tier));
    } else {
        char msg[128];
        char q[AU_QUOTE_SIZE];
        au_quote(json_string_value(type), q);
        snprintf(msg, sizeof msg,
                 "unknown message type '%s' (allowed: set, ping, client_stats)",
                 q);
        r = fail(m, "unknown_type", msg);
    }
    json_decref(root);
    return r;
}

void au_ratelimit_init(au_ratelimit *r, double burst, int64_t now_ns)
{
    r->tokens = burst;
    r->last_ns = now_ns;
}

bool au_ratelimit_take(au_ratelimit *r, double rate, double burst,
                       int64_t now_ns)
{
    if (now_ns > r->last_ns) {
        r->tokens += (double)(now_ns - r->last_ns) * 1e-9 * rate;
        if (r->tokens > burst) r->tokens = burst;
        r->last_ns = now_ns;
    }
    if (r->tokens >= 1.0) {
        r->tokens -= 1.0;
        return true;
    }
    return false;
}
