#include "engine/timeline.h"

#include "core/utf8.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/au.h"

void au_timeline_init(au_timeline *t, const au_params *init, int max)
{
    memset(t, 0, sizeof *t);
    t->init = *init;
    t->max = max < 1 ? 1 : max;
    t->full_at = INT64_MAX;
}

void au_timeline_deinit(au_timeline *t)
{
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}

static int grow(au_timeline *t, int want)
{
    if (want <= t->cap) return 0;
    int cap = t->cap ? t->cap : 16;
    while (cap < want) cap *= 2;
    if (cap > t->max) cap = t->max;
    if (cap < want) return AU_EFULL;
    au_timeline_entry *v = realloc(t->v, (size_t)cap * sizeof *v);
    if (!v) return AU_ENOMEM;
    t->v = v;
    t->cap = cap;
    return 0;
}

int au_timeline_reserve(au_timeline *t, int n)
{
    if (n > t->max) n = t->max;
    if (n <= t->cap) return 0;
    au_timeline_entry *v = realloc(t->v, (size_t)n * sizeof *v);
    if (!v) return AU_ENOMEM;
    t->v = v;
    t->cap = n;
    return 0;
}

int au_timeline_add(au_timeline *t, int64_t pos, const au_param_update *u)
{
    if (pos < 0 || (t->n && pos < t->v[t->n - 1].pos)) return AU_EINVAL;
    if (t->full) return AU_EFULL;
    if (t->n >= t->max || grow(t, t->n + 1)) {
        t->full = true;
        t->full_at = pos;
        return AU_EFULL;
    }
    t->v[t->n].pos = pos;
    t->v[t->n].u = *u;
    t->n++;
    return 0;
}

int au_timeline_copy(au_timeline *dst, const au_timeline *src, int64_t before)
{
    int n = 0;
    while (n < src->n && src->v[n].pos < before) n++;
    dst->n = 0;
    dst->init = src->init;
    dst->max = src->max > dst->max ? src->max : dst->max;
    if (n && grow(dst, n)) return AU_ENOMEM;
    if (n) memcpy(dst->v, src->v, (size_t)n * sizeof *dst->v);
    dst->n = n;
    dst->full = src->full && src->full_at < before;
    dst->full_at = dst->full ? src->full_at : INT64_MAX;
    return 0;
}

int64_t au_timeline_exact_until(const au_timeline *t)
{
    return t->full ? t->full_at : INT64_MAX;
}

int au_timeline_parse(au_timeline *t, const char *text, char *err,
                      size_t errlen)
{
    const char *p = text ? text : "";
    int index = 0;
    while (*p) {
        const char *semi = strchr(p, ';');
        size_t n = semi ? (size_t)(semi - p) : strlen(p);
        char entry[1024];
        index++;
        if (n == 0 || n >= sizeof entry) {
            snprintf(err, errlen,
                     "timeline entry %d must look like POS:name=value[,...] "
                     "(got %zu characters)",
                     index, n);
            return -1;
        }
        memcpy(entry, p, n);
        entry[n] = '\0';
        char *colon = strchr(entry, ':');
        char *end = NULL;
        long long pos = colon ? strtoll(entry, &end, 10) : -1;
        if (!colon || end != colon || colon == entry || pos < 0 ||
            pos > (long long)AU_MAX_MINUTES * 60 * 48000) {
            char q[AU_QUOTE_SIZE];
            au_quote(entry, q); /* whole characters: the message stays UTF-8 */
            snprintf(err, errlen,
                     "timeline entry %d must start with a sample position "
                     "0..%lld and ':' (got '%s')",
                     index, (long long)AU_MAX_MINUTES * 60 * 48000, q);
            return -1;
        }
        au_param_update u;
        memset(&u, 0, sizeof u);
        u.v = t->init;
        char msg[256];
        if (au_update_parse_text(&u, colon + 1, msg, sizeof msg)) {
            snprintf(err, errlen, "timeline entry %d: %s", index, msg);
            return -1;
        }
        int r = au_timeline_add(t, pos, &u);
        if (r == AU_EINVAL) {
            snprintf(err, errlen,
                     "timeline entry %d: positions must not go back (%lld "
                     "after %lld)",
                     index, pos, (long long)t->v[t->n - 1].pos);
            return -1;
        }
        if (r) {
            snprintf(err, errlen, "timeline: at most %d entries are allowed",
                     t->max);
            return -1;
        }
        p += n;
        if (*p == ';') p++;
    }
    return 0;
}

int au_timeline_entry_format(const au_timeline_entry *e, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%" PRId64 ":", e->pos);
    if (n < 0 || (size_t)n >= len) return -1;
    int m = au_update_format(&e->u, buf + n, len - (size_t)n);
    if (m < 0) return -1;
    return n + m;
}

char *au_timeline_format(const au_timeline *t)
{
    size_t cap = 256, len = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    s[0] = '\0';
    for (int i = 0; i < t->n; i++) {
        char one[1024];
        int n = au_timeline_entry_format(&t->v[i], one, sizeof one);
        if (n < 0) continue; /* cannot happen: one entry is < 1 KiB */
        if (len + (size_t)n + 2 > cap) {
            while (len + (size_t)n + 2 > cap) cap *= 2;
            char *b = realloc(s, cap);
            if (!b) {
                free(s);
                return NULL;
            }
            s = b;
        }
        if (i) s[len++] = ';';
        memcpy(s + len, one, (size_t)n + 1);
        len += (size_t)n;
    }
    return s;
}

void au_timeline_render(au_engine *e, const au_timeline *t, int *next,
                        float *out, int frames)
{
    while (frames > 0) {
        int64_t pos = au_engine_position(e);
        while (*next < t->n && t->v[*next].pos <= pos)
            au_engine_set(e, &t->v[(*next)++].u);
        int n = frames;
        if (*next < t->n && t->v[*next].pos - pos < n)
            n = (int)(t->v[*next].pos - pos);
        au_engine_render(e, out, n);
        out += 2 * (size_t)n;
        frames -= n;
    }
}
