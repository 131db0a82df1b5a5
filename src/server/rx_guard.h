/* A shadow parser over every byte libwebsockets reads from a client
 * (issue 12, items 6 and 8). libwebsockets 4.1.6 accepts unmasked client
 * frames without telling the application, and leaves some malformed or
 * merely unusual request heads (obsolete line folding, a header name that
 * is a prefix of one it knows, such as "Conn:", a name without a colon)
 * unanswered until a timeout. Nothing in its API sees the bytes first, so
 * the server interposes recv() (rx_hook.c) and runs this parser over what
 * each read returns, before libwebsockets parses it:
 *
 * - request heads are checked as RFC 9112 asks; a malformed first request
 *   is answered at once (400, 431 past the head bound, 505 for an HTTP
 *   version other than 1.0/1.1) and the connection closed;
 * - a header name libwebsockets would stall on is renamed to '~'s (its
 *   value is one libwebsockets ignores anyway);
 * - after an upgrade to WebSocket, frames are followed; an unmasked one
 *   gets a reserved opcode, which libwebsockets fails with close 1002.
 *
 * Pure and allocation-free: the hook keeps one au_rxguard per socket. */
#ifndef AU_SERVER_RX_GUARD_H
#define AU_SERVER_RX_GUARD_H

#include <stddef.h>
#include <stdint.h>

/* Longest request head (request line and headers) passed on: what
 * libwebsockets holds (max_http_header_data) never exceeds it. */
#define AU_RXGUARD_HEAD_MAX 32384
/* Longest header name kept for matching; longer names are never ones
 * libwebsockets knows, nor prefixes of them. */
#define AU_RXGUARD_NAME_MAX 32

typedef struct {
    uint8_t phase;
    uint8_t cr;        /* a CR was seen and an LF must follow */
    uint8_t line_part; /* request line: 0 method, 1 target, 2 version */
    uint8_t flags;
    uint8_t requests; /* complete request heads seen (saturating) */
    uint8_t name_len;
    uint8_t ws_match; /* progress matching "websocket" in an Upgrade value */
    uint8_t hdr_pos;  /* frame header: 0, 1, 2 (length bytes), 10..13 key */
    uint8_t ext_left; /* extended payload length bytes still to read */
    uint8_t ver[9];   /* the version field of the request line */
    uint8_t ver_len;
    char name[AU_RXGUARD_NAME_MAX];
    uint32_t head_bytes;
    uint64_t left; /* body or frame payload bytes still to skip */
    uint64_t content_length;
} au_rxguard;

typedef enum {
    AU_RXG_PASS,   /* hand the bytes on (some may have been rewritten) */
    AU_RXG_ANSWER, /* answer with `status` if nothing was answered yet,
                      then close */
    AU_RXG_CLOSE,  /* close at once */
} au_rxg_action;

typedef struct {
    au_rxg_action action;
    int status;      /* ANSWER: 400, 431 or 505 */
    const char *why; /* ANSWER/CLOSE: what was wrong, for the reply */
    size_t at;       /* ANSWER/CLOSE: bytes of buf before the bad request
                        (whole earlier requests, still to be served) */
    size_t hold;     /* PASS: the last `hold` bytes are not parsed yet and
                        must be given again, first, with the next read */
    unsigned unmasked; /* PASS: unmasked frames failed in this buffer */
    unsigned renamed;  /* PASS: header names rewritten in this buffer */
} au_rxg_result;

void au_rxguard_reset(au_rxguard *g);
/* Parses the n bytes that follow what was parsed before; may rewrite bytes
 * of buf in place. */
au_rxg_result au_rxguard_feed(au_rxguard *g, uint8_t *buf, size_t n);
/* Whether a request head has completed before (so a response may already
 * be on its way and an answer must not be interleaved with it). */
int au_rxguard_answered(const au_rxguard *g);
/* Formats the reply for an ANSWER result into out: a complete HTTP/1.1
 * response with the documented isolation headers and a JSON error body.
 * Returns its length (0 if it does not fit). */
size_t au_rxguard_reply(const au_rxg_result *r, char *out, size_t cap);

#endif
