#include "server/http_guard.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "server/wire.h"

#define AU_ISOLATION_OPTION_(name, value) {NULL, NULL, name ":", value},
static struct lws_protocol_vhost_options isolation[] = {
    AU_ISOLATION_HEADERS(AU_ISOLATION_OPTION_)};
#undef AU_ISOLATION_OPTION_

const struct lws_protocol_vhost_options *au_guard_response_headers(void)
{
    /* chained here rather than in the initialiser, so that the list stays
     * the one in http_guard.h; called before the vhost exists */
    size_t n = sizeof isolation / sizeof isolation[0];
    for (size_t i = 0; i + 1 < n; i++)
        isolation[i].next = &isolation[i + 1];
    return &isolation[0];
}

/* Whether the comma list has an entry equal (case-insensitively) to the n
 * bytes at s. */
static bool listed(const char *list, const char *s, size_t n)
{
    for (const char *p = list; p && *p;) {
        while (*p == ',' || *p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > p && t[-1] == ' ')
            t--;
        if ((size_t)(t - p) == n && n && !strncasecmp(p, s, n)) return true;
        p = e;
    }
    return false;
}

/* The name part of a Host value: "[::1]:8000" -> "[::1]", "a:80" -> "a". */
static size_t host_name_len(const char *host)
{
    if (host[0] == '[') {
        const char *e = strchr(host, ']');
        return e ? (size_t)(e - host) + 1 : strlen(host);
    }
    const char *c = strchr(host, ':');
    return c ? (size_t)(c - host) : strlen(host);
}

static bool is_loopback_name(const char *h, size_t n)
{
    if (n == 9 && !strncasecmp(h, "localhost", 9)) return true;
    if (n == 5 && !strncmp(h, "[::1]", 5)) return true;
    /* 127.0.0.0/8, dotted decimal */
    if (n < 9 || n > 15 || strncmp(h, "127.", 4)) return false;
    int dots = 0;
    for (size_t i = 0; i < n; i++) {
        if (h[i] == '.')
            dots++;
        else if (!isdigit((unsigned char)h[i]))
            return false;
    }
    return dots == 3;
}

bool au_guard_host_ok(const char *host, bool loopback, const char *allow_hosts)
{
    if (!host || !*host) return false;
    size_t n = host_name_len(host);
    for (const char *c = host; *c; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f ||
            *c == '/' || *c == '@')
            return false;
    if (!loopback) return true;
    return is_loopback_name(host, n) || listed(allow_hosts, host, n);
}

bool au_guard_origin_ok(const char *origin, const char *host,
                        const char *allow_origins)
{
    if (allow_origins && !strcmp(allow_origins, "*")) return true;
    if (listed(allow_origins, origin, strlen(origin))) return true;
    /* same origin: the page was served by this very host:port */
    static const char scheme[] = "http://";
    if (!host || strncasecmp(origin, scheme, sizeof scheme - 1)) return false;
    return !strcasecmp(origin + sizeof scheme - 1, host);
}

/* Sum of the bytes of every header lws knows about; the request line (the
 * method's URI, its arguments, the version) is not a header: a resume URI
 * carries a timeline of up to AU_QUERY_TIMELINE_MAX. */
static int known_header_bytes(struct lws *wsi)
{
    static const int request_line[] = {
        WSI_TOKEN_GET_URI,    WSI_TOKEN_POST_URI,    WSI_TOKEN_OPTIONS_URI,
        WSI_TOKEN_PUT_URI,    WSI_TOKEN_PATCH_URI,   WSI_TOKEN_DELETE_URI,
        WSI_TOKEN_CONNECT,    WSI_TOKEN_HEAD_URI,    WSI_TOKEN_HTTP_URI_ARGS,
        WSI_TOKEN_HTTP,
    };
    int total = 0;
    for (int t = 0; t < WSI_TOKEN_COUNT; t++) {
        bool skip = false;
        for (size_t i = 0; i < sizeof request_line / sizeof *request_line; i++)
            if (request_line[i] == t) skip = true;
        int n = skip ? 0 : lws_hdr_total_length(wsi, (enum lws_token_indexes)t);
        if (n > 0) total += n;
    }
    return total;
}

/* POST is taken only where the server has a use for it (no body even
 * there: parameters travel in the query). */
static bool post_allowed(struct lws *wsi)
{
    char uri[32];
    return lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_POST_URI) > 0 &&
           !strcmp(uri, "/api/export");
}

static au_guard_verdict verdict(unsigned status, const char *code,
                                const char *message)
{
    au_guard_verdict v = {status, code, message};
    return v;
}

bool au_guard_is_head(struct lws *wsi)
{
    return lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
}

au_guard_verdict au_guard_check(struct lws *wsi, const au_guard_config *g,
                                bool upgrade)
{
    /* request smuggling: this server takes no bodies, so any sign of one
     * (even an empty chunked body) is refused rather than interpreted */
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
        return verdict(400, "bad_request",
                       "Transfer-Encoding is not accepted (requests have no "
                       "body)");
    if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) {
        char cl[24];
        if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, 1) >
                0 ||
            lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) <
                0 ||
            strcmp(cl, "0"))
            return verdict(400, "bad_request",
                           "a request body is not accepted (Content-Length "
                           "must be absent or 0, once)");
    }
    if (!upgrade && lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0 &&
        lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) <= 0 && !post_allowed(wsi))
        return verdict(405, "method_not_allowed",
                       "only GET and HEAD are supported (and POST to "
                       "/api/export)");
    if (known_header_bytes(wsi) > AU_GUARD_HEADER_MAX)
        return verdict(431, "headers_too_large",
                       "request headers are limited to 8192 bytes");
    char host[256];
    int hn = lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST);
    if (hn <= 0)
        return verdict(400, "bad_request", "a Host header is required");
    if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HOST, 1) > 0)
        return verdict(400, "bad_request", "one Host header only");
    if (!au_guard_host_ok(host, g->loopback, g->allow_hosts))
        return verdict(403, "forbidden_host",
                       g->loopback ? "this server is bound to loopback and "
                                     "answers only loopback Host names (see "
                                     "--allow-host)"
                                   : "bad Host header");
    if (!upgrade) return verdict(0, NULL, NULL);
    char v[8];
    if (lws_hdr_copy(wsi, v, sizeof v, WSI_TOKEN_VERSION) <= 0 ||
        strcmp(v, "13"))
        return verdict(426, "bad_version",
                       "Sec-WebSocket-Version must be 13");
    char origin[256];
    int on = lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN);
    /* no Origin: not a browser (browsers always send one on upgrades) */
    if (on < 0 ||
        (on > 0 && !au_guard_origin_ok(origin, host, g->allow_origins)))
        return verdict(403, "forbidden_origin",
                       "WebSocket upgrades from another origin are refused "
                       "(see --allow-origin)");
    return verdict(0, NULL, NULL);
}

int au_http_header(struct lws *wsi, const char *name, const char *value,
                   unsigned char **p, unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value,
                                       (int)strlen(value), p, end)
               ? -1
               : 0;
}

int au_guard_refuse(struct lws *wsi, unsigned status, const char *code,
                    const char *message)
{
    char body[600];
    int n = au_wire_error_json(code, message, body, sizeof body);
    if (n < 0) n = 0;
    unsigned char buf[LWS_PRE + 2048], *start = buf + LWS_PRE, *p = start,
                                       *end = buf + sizeof buf - 1;
    bool head = au_guard_is_head(wsi);
    if (lws_add_http_common_headers(wsi, status, "application/json",
                                    (lws_filepos_t)n, &p, end))
        return -1;
    if (au_http_header(wsi, "connection:", "close", &p, end)) return -1;
    if (au_http_header(wsi, "cache-control:", "no-store", &p, end)) return -1;
    if (status == 405 &&
        au_http_header(wsi, "allow:", "GET, HEAD", &p, end))
        return -1;
    if (status == 426 &&
        au_http_header(wsi, "sec-websocket-version:", "13", &p, end))
        return -1;
    if (lws_finalize_http_header(wsi, &p, end)) return -1;
    if (!head) {
        if (p + n > end) return -1;
        memcpy(p, body, (size_t)n);
        p += n;
    }
    lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_FINAL);
    return -1;
}

int au_guard_refuse_raw(struct lws *wsi)
{
#define BODY                                                                   \
    "{\"type\":\"error\",\"code\":\"method_not_allowed\","                     \
    "\"message\":\"only GET and HEAD\"}"
    static_assert(sizeof BODY - 1 == 74, "content-length below");
    static const char r[] = "HTTP/1.1 405 Method Not Allowed\r\n"
                            "allow: GET, HEAD\r\n" AU_ISOLATION_HEADER_LINES
                            "content-type: application/json\r\n"
                            "connection: close\r\n"
                            "content-length: 74\r\n\r\n" BODY;
#undef BODY
    int fd = lws_get_socket_fd(wsi);
    /* a fresh socket with nothing queued: one small send, then close */
    if (fd >= 0) (void)!send(fd, r, sizeof r - 1, MSG_NOSIGNAL);
    return -1;
}

/* RFC 6455 7.4: codes a peer may send. lws 4.1.6 rewrites most invalid
 * ones to 1002 but echoes 1016..2999 gaps' neighbours such as 5000. */
static bool close_code_ok(unsigned c)
{
    return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1011) ||
           (c >= 3000 && c <= 4999);
}

int au_guard_peer_close(void *in, size_t len)
{
    unsigned char *p = in;
    if (len == 0) return 0;
    if (len == 1) return -1; /* no valid close frame to answer with: hang up */
    unsigned code = (unsigned)p[0] << 8 | p[1];
    if (close_code_ok(code)) return 0;
    /* lws echoes this payload: make it 1002 and a plain reason of the same
     * length (spaces after a short text) */
    p[0] = 1002 >> 8;
    p[1] = 1002 & 0xff;
    static const char why[] = "invalid close code";
    for (size_t i = 2; i < len; i++)
        p[i] = i - 2 < sizeof why - 1 ? (unsigned char)why[i - 2] : ' ';
    return 0;
}
