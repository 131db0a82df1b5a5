/* libFuzzer: `serve --icecast URL` (server/icecast.c). Input: the URL, then
 * optionally a NUL and the AURALIS_ICECAST_PASSWORD value. Accepted: a
 * host of name/IPv4 characters, a port 1..65535, a user and a password,
 * and a mount prefix "/.../" of A-Z a-z 0-9 . _ - / without "/." (no
 * climbing out, no header or JSON injection: the prefix and host go into
 * HTTP requests and /api/stations). Refused: a one-line message. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/icecast.h"

static int only(const char *s, const char *extra)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || strchr(extra, *s)))
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2048) return 0;
    char *buf = malloc(size + 2);
    if (!buf) return 0;
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = '\0';
    const char *url = buf;
    size_t ul = strlen(url);
    const char *env = ul < size ? buf + ul + 1 : NULL;
    au_icecast_target t;
    char err[300];
    memset(err, 0x55, sizeof err);
    int r = au_icecast_parse_url(url, env, &t, err, sizeof err);
    if (r == 0) {
        size_t pl = strlen(t.prefix);
        if (!t.host[0] || !only(t.host, ".-") || t.port < 1 ||
            t.port > 65535 || !t.user[0] || !t.password[0] || pl < 1 ||
            t.prefix[0] != '/' || t.prefix[pl - 1] != '/' ||
            !only(t.prefix, "._-/") || strstr(t.prefix, "/.") ||
            strlen(t.host) >= sizeof t.host || strlen(t.user) >= sizeof t.user ||
            strlen(t.password) >= sizeof t.password)
            __builtin_trap();
    } else {
        /* a message, NUL-terminated, on one line */
        size_t n = strnlen(err, sizeof err);
        if (r != -1 || n == 0 || n == sizeof err || memchr(err, '\n', n))
            __builtin_trap();
    }
    free(buf);
    return 0;
}
