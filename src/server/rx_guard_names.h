/* Header names libwebsockets 4.1.6 recognises (lib/roles/http/
 * lextable-strings.h), lowercase. A name that is a proper prefix of one of
 * them makes its parser wait for more bytes that never come (rx_guard.h).
 * Kept in strcmp order: rx_guard.c binary-searches them, and
 * test_server_rxguard checks the order. X(name) is applied to each. */
#ifndef AU_SERVER_RX_GUARD_NAMES_H
#define AU_SERVER_RX_GUARD_NAMES_H

#define AU_RXGUARD_KNOWN_NAMES(X)                                              \
    X("accept")                                                                \
    X("accept-charset")                                                        \
    X("accept-encoding")                                                       \
    X("accept-language")                                                       \
    X("accept-ranges")                                                         \
    X("access-control-allow-origin")                                           \
    X("access-control-request-headers")                                        \
    X("age")                                                                   \
    X("allow")                                                                 \
    X("authorization")                                                         \
    X("cache-control")                                                         \
    X("connection")                                                            \
    X("content-disposition")                                                   \
    X("content-encoding")                                                      \
    X("content-language")                                                      \
    X("content-length")                                                        \
    X("content-location")                                                      \
    X("content-range")                                                         \
    X("content-type")                                                          \
    X("cookie")                                                                \
    X("date")                                                                  \
    X("etag")                                                                  \
    X("expect")                                                                \
    X("expires")                                                               \
    X("from")                                                                  \
    X("host")                                                                  \
    X("http2-settings")                                                        \
    X("if-match")                                                              \
    X("if-modified-since")                                                     \
    X("if-none-match")                                                         \
    X("if-range")                                                              \
    X("if-unmodified-since")                                                   \
    X("last-modified")                                                         \
    X("link")                                                                  \
    X("location")                                                              \
    X("max-forwards")                                                          \
    X("origin")                                                                \
    X("pragma")                                                                \
    X("proxy-authenticate")                                                    \
    X("proxy-authorization")                                                   \
    X("range")                                                                 \
    X("referer")                                                               \
    X("refresh")                                                               \
    X("replay-nonce")                                                          \
    X("retry-after")                                                           \
    X("sec-websocket-accept")                                                  \
    X("sec-websocket-draft")                                                   \
    X("sec-websocket-extensions")                                              \
    X("sec-websocket-key")                                                     \
    X("sec-websocket-key1")                                                    \
    X("sec-websocket-key2")                                                    \
    X("sec-websocket-nonce")                                                   \
    X("sec-websocket-origin")                                                  \
    X("sec-websocket-protocol")                                                \
    X("sec-websocket-version")                                                 \
    X("server")                                                                \
    X("set-cookie")                                                            \
    X("strict-transport-security")                                             \
    X("te")                                                                    \
    X("transfer-encoding")                                                     \
    X("upgrade")                                                               \
    X("user-agent")                                                            \
    X("vary")                                                                  \
    X("via")                                                                   \
    X("www-authenticate")                                                      \
    X("x-auth-token")                                                          \
    X("x-forwarded-for")                                                       \
    X("x-real-ip")

#endif
