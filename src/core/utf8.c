#include "core/utf8.h"

#include <string.h>

size_t au_utf8_seq(const unsigned char *s, size_t n)
{
    if (n == 0) return 0;
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
    } else
        return 0;
    if (n < len) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

bool au_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t k = au_utf8_seq(p + i, n - i);
        if (!k) return false;
        i += k;
    }
    return true;
}

/* Copies at most max bytes of src into dst as whole characters; returns the
 * bytes written and sets *cut when src had more. */
static size_t copy_chars(char *dst, size_t max, const char *src, bool ctl,
                         bool *cut)
{
    const unsigned char *p = (const unsigned char *)src;
    size_t n = strlen(src), i = 0, o = 0;
    *cut = false;
    while (i < n) {
        size_t k = au_utf8_seq(p + i, n - i);
        size_t w = k ? k : 1;
        if (o + w > max) {
            *cut = true;
            break;
        }
        if (!k || (ctl && (p[i] < 0x20 || p[i] == 0x7f)))
            dst[o++] = '?';
        else {
            memcpy(dst + o, p + i, k);
            o += k;
        }
        i += w;
    }
    return o;
}

void au_utf8_copy(char *dst, size_t dstlen, const char *src)
{
    if (!dstlen) return;
    bool cut;
    size_t o = copy_chars(dst, dstlen - 1, src ? src : "", false, &cut);
    dst[o] = '\0';
}

void au_quote(const char *v, char *out)
{
    bool cut;
    size_t o = copy_chars(out, AU_QUOTE_MAX, v ? v : "", true, &cut);
    if (cut) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}
