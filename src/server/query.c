#include "server/query.h"

#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "engine/timeline.h"
#include "server/wire.h"

void au_stream_request_init(au_stream_request *r)
{
    memset(r, 0, sizeof *r);
    r->codec = AU_CODEC_PCM16;
}

bool au_station_name_ok(const char *s)
{
    return au_path_name_ok(s, AU_STATION_NAME_MAX);
}

bool au_path_name_ok(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n < 1 || n > max || s[0] == '.') return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* quote at most AU_QUOTE_MAX bytes of a stranger's value, whole characters */
static void quote(const char *v, char *out, size_t len)
{
    (void)len;
    au_quote(v, out);
}

int au_query_add_pair(au_stream_request *r, const char *pair, char *err,
                      size_t errlen)
{
    char name[32];
    const char *eq = strchr(pair, '=');
    size_t nlen = eq ? (size_t)(eq - pair) : strlen(pair);
    const char *value = eq ? eq + 1 : "";
    if (nlen == 0 || nlen >= sizeof name) return 0; /* not one of ours */
    memcpy(name, pair, nlen);
    name[nlen] = '\0';

    if (!strcmp(name, "seed")) {
        if (au_parse_seed(value, &r->seed, err, errlen)) return -1;
        r->seed_given = true;
        return 0;
    }
    if (!strcmp(name, "codec")) {
        if (!strcmp(value, "pcm16")) {
            r->codec = AU_CODEC_PCM16;
            return 0;
        }
        if (!strcmp(value, "opus")) {
            r->codec = AU_CODEC_OPUS;
            return 0;
        }
        char q[48];
        quote(value, q, sizeof q);
        snprintf(err, errlen, "codec must be pcm16 or opus (got '%s')", q);
        return -1;
    }
    if (!strcmp(name, "station")) {
        if (!au_station_name_ok(value)) {
            char q[48];
            quote(value, q, sizeof q);
            snprintf(err, errlen, "station must be " AU_STATION_NAME_RULE
                                  " (got '%s')",
                     q);
            return -1;
        }
        snprintf(r->station, sizeof r->station, "%s", value);
        return 0;
    }
    if (!strcmp(name, "resume")) {
        size_t n = strlen(value);
        bool ok = n == 32;
        for (size_t i = 0; ok && i < n; i++)
            ok = (value[i] >= '0' && value[i] <= '9') ||
                 (value[i] >= 'a' && value[i] <= 'f');
        if (!ok) {
            char q[48];
            quote(value, q, sizeof q);
            snprintf(err, errlen,
                     "resume must be a resume id: 32 hex digits from hello "
                     "(got '%s')",
                     q);
            return -1;
        }
        memcpy(r->resume, value, 33);
        return 0;
    }
    if (!strcmp(name, "position")) {
        uint64_t v;
        char msg[200];
        if (au_parse_seed(value, &v, msg, sizeof msg) ||
            v > (uint64_t)AU_MAX_MINUTES * 60 * 48000) {
            char q[48];
            quote(value, q, sizeof q);
            snprintf(err, errlen,
                     "position must be a sample frame between 0 and %llu (24 "
                     "hours) (got '%s')",
                     (unsigned long long)AU_MAX_MINUTES * 60 * 48000, q);
            return -1;
        }
        r->position = (int64_t)v;
        r->position_given = true;
        return 0;
    }
    if (!strcmp(name, "timeline")) {
        if (strlen(value) > AU_QUERY_TIMELINE_MAX) {
            snprintf(err, errlen,
                     "timeline must be at most %d characters (got %zu): "
                     "resume by id instead",
                     AU_QUERY_TIMELINE_MAX, strlen(value));
            return -1;
        }
        au_timeline t;
        au_params p = au_params_default();
        au_timeline_init(&t, &p, 4096);
        int bad = au_timeline_parse(&t, value, err, errlen);
        au_timeline_deinit(&t);
        if (bad) return -1;
        snprintf(r->timeline, sizeof r->timeline, "%s", value);
        return 0;
    }
    if (!strcmp(name, "key") || !strcmp(name, "mode") || !strcmp(name, "bpm") ||
        !strcmp(name, "intensity") || !strcmp(name, "wander") ||
        !strcmp(name, "piece") ||
        au_layer_from_name(name) >= 0 || au_volume_from_name(name) >= 0)
        return au_update_set_text(&r->update, name, value, err, errlen);
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int au_url_decode(const char *src, size_t n, char *dst, size_t dstlen)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '%') {
            if (i + 2 >= n) return -1;
            int hi = hexval(src[i + 1]), lo = hexval(src[i + 2]);
            if (hi < 0 || lo < 0) return -1;
            c = (char)(hi * 16 + lo);
            if (c == '\0') return -1;
            i += 2;
        } else if (c == '+') {
            c = ' ';
        } else if (c == '\0') {
            return -1;
        }
        if (o + 1 >= dstlen) return -1;
        dst[o++] = c;
    }
    if (dstlen == 0) return -1;
    dst[o] = '\0';
    return 0;
}

int au_query_parse(au_stream_request *r, const char *qs, char *err,
                   size_t errlen)
{
    const char *p = qs;
    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        if (n > 0) {
            char pair[256];
            if (au_url_decode(p, n, pair, sizeof pair)) {
                snprintf(err, errlen,
                         "query: a parameter is too long or badly encoded");
                return -1;
            }
            if (au_query_add_pair(r, pair, err, errlen)) return -1;
        }
        p = amp ? amp + 1 : NULL;
    }
    return 0;
}
