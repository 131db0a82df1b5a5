/* Checks on every HTTP request before it is served or upgraded (issue 12):
 * no request smuggling (a body, Transfer-Encoding or a repeated
 * Content-Length is refused), GET and HEAD only, headers within a bound,
 * Host a loopback name when bound to loopback (DNS rebinding), WebSocket
 * upgrades only from the page's own origin or --allow-origin, and
 * Sec-WebSocket-Version 13 only. A refusal is answered at once, with the
 * isolation headers, and the connection is closed. Service thread only. */
#ifndef AU_SERVER_HTTP_GUARD_H
#define AU_SERVER_HTTP_GUARD_H

#include <stdbool.h>
#include <stddef.h>

struct lws;
struct lws_protocol_vhost_options;

/* Known headers above this many bytes in all get 431 (lws's header space
 * is AU_GUARD_HEADER_SPACE: a request beyond that is closed by lws). */
#define AU_GUARD_HEADER_MAX 8192
#define AU_GUARD_HEADER_SPACE 16384
/* seconds a connection may take to complete its request */
#define AU_GUARD_REQUEST_TIMEOUT_S 5

typedef struct {
    bool loopback;           /* bound to a loopback address */
    const char *allow_hosts; /* comma list of more Host names, or NULL */
    const char *allow_origins; /* comma list of origins, "*" = any, or NULL */
} au_guard_config;

typedef struct {
    unsigned status; /* 0: go on */
    const char *code, *message;
} au_guard_verdict;

/* Pure rules (unit-tested). host is a Host header value (name[:port]). */
bool au_guard_host_ok(const char *host, bool loopback, const char *allow_hosts);
/* Same origin (scheme http, its host:port equal to Host) or listed. */
bool au_guard_origin_ok(const char *origin, const char *host,
                        const char *allow_origins);

/* The checks for a request whose headers lws has parsed; upgrade: a
 * WebSocket upgrade. */
au_guard_verdict au_guard_check(struct lws *wsi, const au_guard_config *g,
                                bool upgrade);

/* Writes the refusal (JSON body, Connection: close; Allow on 405,
 * Sec-WebSocket-Version on 426) and returns -1: the caller returns it so
 * that lws closes the connection. */
int au_guard_refuse(struct lws *wsi, unsigned status, const char *code,
                    const char *message);

/* A CONNECT request (lws turns it into a raw socket): 405 sent directly,
 * returns -1 to close. */
int au_guard_refuse_raw(struct lws *wsi);

/* LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: a close frame with a code a peer
 * may not send is answered with 1002 (rewritten in place: lws echoes the
 * payload). Returns -1 to hang up when no valid answer exists. */
int au_guard_peer_close(void *in, size_t len);

/* The headers every response carries (COOP/COEP so the player may use
 * SharedArrayBuffer; CORP cross-origin so that other sites may embed the
 * streams in <audio> elements (no-cors requests, which a same-origin CORP
 * blocks) while the player's own resources still pass its COEP; nosniff),
 * as docs/protocol.md promises. The one list: X(name, value) is
 * applied to each, name lowercase without its colon. */
#define AU_ISOLATION_HEADERS(X)                                                \
    X("cross-origin-opener-policy", "same-origin")                             \
    X("cross-origin-embedder-policy", "require-corp")                          \
    X("cross-origin-resource-policy", "cross-origin")                          \
    X("x-content-type-options", "nosniff")
#define AU_ISOLATION_HEADER_LINE_(name, value) name ": " value "\r\n"
/* The same headers as raw HTTP/1.1 header lines, one string literal, for
 * answers written straight to a socket before libwebsockets parses a
 * request (rx_guard.c, conn_guard.c, au_guard_refuse_raw). */
#define AU_ISOLATION_HEADER_LINES                                              \
    AU_ISOLATION_HEADERS(AU_ISOLATION_HEADER_LINE_)

/* The same headers for the vhost: libwebsockets adds them to every
 * response it writes, its own error pages and served files included. */
const struct lws_protocol_vhost_options *au_guard_response_headers(void);

/* Adds the header "name: value" (name lowercase, with its colon) to a
 * response being built in [*p, end): 0, or -1 when it does not fit (the
 * caller then fails the response). The one helper for every handler. */
int au_http_header(struct lws *wsi, const char *name, const char *value,
                   unsigned char **p, unsigned char *end);

/* Whether the request is HEAD (answered like GET, without a body). */
bool au_guard_is_head(struct lws *wsi);

#endif
