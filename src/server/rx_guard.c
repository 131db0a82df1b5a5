#include "server/rx_guard.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "server/http_guard.h"
#include "server/rx_guard_names.h"
#include "server/wire.h"

enum {
    P_REQLINE,    /* request line */
    P_LINE_START, /* first byte of a header line, or the blank line */
    P_NAME,       /* header name, before the colon */
    P_VALUE,      /* header value, up to the line end */
    P_BODY,       /* a request body (Content-Length) being skipped */
    P_FRAME_HDR,  /* WebSocket frame header */
    P_FRAME_DATA, /* WebSocket payload being skipped */
    P_DONE,       /* nothing more to check on this connection */
};

enum {
    F_UPGRADE_HDR = 1, /* the header being read is Upgrade */
    F_CL_HDR = 2,      /* the header being read is Content-Length */
    F_WEBSOCKET = 4,   /* this request upgrades to WebSocket */
    F_LINE_BEGUN = 8,  /* the request line has a byte (not a blank line) */
};

/* The names libwebsockets knows (rx_guard_names.h), in strcmp order. */
#define AU_KNOWN_(name) {name, sizeof name - 1},
static const struct {
    const char *s;
    uint8_t len;
} known[] = {AU_RXGUARD_KNOWN_NAMES(AU_KNOWN_)};
#undef AU_KNOWN_
enum { N_KNOWN = sizeof known / sizeof known[0] };

static bool is_tchar(uint8_t c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
        (c >= 'A' && c <= 'Z'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c);
}

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* 1: the name read so far is one libwebsockets knows; 2: it is a proper
 * prefix of one (and not one itself); 0: neither. Called once per header
 * name (at its colon) and once per read that ends inside a name. The
 * names starting with it are contiguous in the sorted table, and the
 * first of them is the first entry not below it: a binary search (7
 * steps for 68 names) instead of comparing with every name. */
static int prefix_state(const au_rxguard *g)
{
    size_t n = g->name_len;
    if (n >= AU_RXGUARD_NAME_MAX) return 0;
    size_t lo = 0, hi = N_KNOWN;
    while (lo < hi) { /* the first entry >= name */
        size_t mid = (lo + hi) / 2;
        size_t kl = known[mid].len;
        int c = memcmp(known[mid].s, g->name, kl < n ? kl : n);
        if (c < 0 || (c == 0 && kl < n))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == N_KNOWN || known[lo].len < n || memcmp(known[lo].s, g->name, n))
        return 0;
    return known[lo].len == n ? 1 : 2;
}

void au_rxguard_reset(au_rxguard *g)
{
    memset(g, 0, sizeof *g);
}

int au_rxguard_answered(const au_rxguard *g)
{
    return g->requests > 0;
}

static au_rxg_result fail_at(size_t at, int status, const char *why)
{
    au_rxg_result r = {
        .action = AU_RXG_ANSWER, .status = status, .why = why, .at = at};
    return r;
}
/* inside au_rxguard_feed: `start` is where the current request began */
#define fail(status, why) fail_at(start, status, why)

static void next_request(au_rxguard *g)
{
    if (g->requests < 255) g->requests++;
    bool ws = g->flags & F_WEBSOCKET;
    uint64_t cl = g->content_length;
    uint8_t requests = g->requests;
    au_rxguard_reset(g);
    g->requests = requests;
    if (ws) {
        g->phase = P_FRAME_HDR;
    } else if (cl) {
        g->phase = P_BODY;
        g->left = cl;
    } else {
        g->phase = P_REQLINE;
    }
}

/* The end of a header line: what the header said, for later. */
static void end_header(au_rxguard *g)
{
    if ((g->flags & F_UPGRADE_HDR) && g->ws_match == 9)
        g->flags |= F_WEBSOCKET;
    g->flags &= (uint8_t) ~(F_UPGRADE_HDR | F_CL_HDR);
    g->phase = P_LINE_START;
}

/* One byte of a header value: follows Upgrade ("websocket", any case,
 * optional spaces around it) and Content-Length (digits). */
static void value_byte(au_rxguard *g, uint8_t c)
{
    bool ws = c == ' ' || c == '\t';
    if (g->flags & F_UPGRADE_HDR) {
        static const char w[] = "websocket";
        if (g->ws_match == 0 && ws) {
            /* leading space */
        } else if (g->ws_match < 9 && lower(c) == (uint8_t)w[g->ws_match]) {
            g->ws_match++;
        } else if (g->ws_match == 9 && ws) {
            g->ws_match = 9 | 0x80; /* trailing space: nothing may follow */
        } else if (g->ws_match != (9 | 0x80) || !ws) {
            g->ws_match = 0x7f; /* anything else: not a plain "websocket" */
        }
    }
    if ((g->flags & F_CL_HDR) && c >= '0' && c <= '9' &&
        g->content_length < ((uint64_t)1 << 40))
        g->content_length = g->content_length * 10 + (uint64_t)(c - '0');
}

au_rxg_result au_rxguard_feed(au_rxguard *g, uint8_t *buf, size_t n)
{
    au_rxg_result res = {.action = AU_RXG_PASS};
    size_t start = 0; /* where the request being read began in buf */
    for (size_t i = 0; i < n; i++) {
        uint8_t c = buf[i];
        switch (g->phase) {
        case P_DONE:
            return res;
        case P_BODY:
            if ((uint64_t)(n - i) <= g->left) {
                g->left -= n - i;
                return res;
            }
            i += (size_t)g->left - 1;
            g->left = 0;
            g->phase = P_REQLINE;
            start = i + 1;
            continue;
        case P_FRAME_DATA:
            if ((uint64_t)(n - i) <= g->left) {
                g->left -= n - i;
                return res;
            }
            i += (size_t)g->left - 1;
            g->left = 0;
            g->phase = P_FRAME_HDR;
            g->hdr_pos = 0;
            continue;
        case P_FRAME_HDR:
            if (g->hdr_pos == 0) {
                /* the first two bytes go on together, so that an unmasked
                 * frame's opcode can still be changed */
                if (i + 1 == n) {
                    res.hold = 1;
                    return res;
                }
                g->hdr_pos = 1;
                continue;
            }
            if (g->hdr_pos == 1) {
                if (!(c & 0x80)) {
                    /* RFC 6455 5.1: the server must fail the connection.
                     * Opcode 3 is reserved: libwebsockets closes with
                     * 1002 (protocol error) as soon as it reads it. */
                    buf[i - 1] = (uint8_t)((buf[i - 1] & 0xf0) | 0x03);
                    res.unmasked++;
                    g->phase = P_DONE;
                    return res;
                }
                uint8_t l = c & 0x7f;
                g->left = l < 126 ? l : 0;
                g->ext_left = l == 126 ? 2 : l == 127 ? 8 : 0;
                g->hdr_pos = g->ext_left ? 2 : 10; /* 10: the masking key */
                continue;
            }
            if (g->hdr_pos < 10) {
                g->left = g->left << 8 | c;
                if (--g->ext_left == 0) g->hdr_pos = 10;
                continue;
            }
            /* four bytes of masking key */
            if (++g->hdr_pos == 14) {
                g->phase = g->left ? P_FRAME_DATA : P_FRAME_HDR;
                g->hdr_pos = 0;
            }
            continue;
        default:
            break;
        }

        /* the request head */
        if (++g->head_bytes > AU_RXGUARD_HEAD_MAX)
            return fail(431, "request head over 32384 bytes");
        if (g->cr && c != '\n') return fail(400, "CR without LF");
        switch (g->phase) {
        case P_REQLINE:
            if (c == '\r') {
                g->cr = 1;
                break;
            }
            if (c == '\n') {
                g->cr = 0;
                if (!(g->flags & F_LINE_BEGUN)) {
                    /* RFC 9112 2.2: an empty line before a request is
                     * ignored */
                    g->head_bytes = 0;
                    break;
                }
                if (g->line_part != 2 || g->ver_len == 0)
                    return fail(400, "malformed request line");
                if (g->ver_len != 8 || memcmp(g->ver, "HTTP/1.", 7) ||
                    (g->ver[7] != '0' && g->ver[7] != '1')) {
                    if (g->ver_len >= 5 && !memcmp(g->ver, "HTTP/", 5))
                        return fail(505, "only HTTP/1.1 and HTTP/1.0");
                    return fail(400, "malformed request line");
                }
                g->phase = P_LINE_START;
                break;
            }
            g->flags |= F_LINE_BEGUN;
            if (c == ' ') {
                if (g->line_part == 2 || !g->ver_len)
                    return fail(400, "malformed request line");
                g->line_part++;
                g->ver_len = 0; /* counts the part's bytes until the last */
                break;
            }
            if (c < 0x21 || c == 0x7f)
                return fail(400, "control character in the request line");
            if (g->line_part == 0 && !is_tchar(c))
                return fail(400, "malformed request line");
            if (g->line_part == 2) {
                if (g->ver_len >= sizeof g->ver)
                    return fail(400, "malformed request line");
                g->ver[g->ver_len++] = c;
            } else if (g->ver_len < 255) {
                g->ver_len++; /* the method or target is not empty */
            }
            break;
        case P_LINE_START:
            if (c == '\r') {
                g->cr = 1;
                break;
            }
            if (c == '\n') {
                g->cr = 0;
                next_request(g);
                start = i + 1;
                break;
            }
            if (c == ' ' || c == '\t')
                return fail(400, "obsolete line folding in the headers");
            if (c == ':') return fail(400, "a header without a name");
            if (!is_tchar(c))
                return fail(400, "invalid character in a header name");
            g->phase = P_NAME;
            g->name_len = 0;
            g->name[g->name_len++] = (char)lower(c);
            break;
        case P_NAME:
            if (c == ':') {
                int ps = prefix_state(g);
                if (ps == 2) {
                    /* all of the name is in buf: it was held back while it
                     * could still become such a prefix */
                    memset(buf + i - g->name_len, '~', g->name_len);
                    res.renamed++;
                }
                if (g->name_len == 7 && !memcmp(g->name, "upgrade", 7)) {
                    g->flags |= F_UPGRADE_HDR;
                    g->ws_match = 0;
                }
                if (g->name_len == 14 && !memcmp(g->name, "content-length", 14))
                    g->flags |= F_CL_HDR;
                g->phase = P_VALUE;
                break;
            }
            if (c == '\r' || c == '\n')
                return fail(400, "a header line without a colon");
            if (c == ' ' || c == '\t')
                return fail(400, "whitespace in a header name");
            if (!is_tchar(c))
                return fail(400, "invalid character in a header name");
            if (g->name_len < AU_RXGUARD_NAME_MAX)
                g->name[g->name_len] = (char)lower(c);
            if (g->name_len < 255) g->name_len++;
            break;
        case P_VALUE:
            if (c == '\r') {
                g->cr = 1;
                break;
            }
            if (c == '\n') {
                g->cr = 0;
                end_header(g);
                break;
            }
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                return fail(400, "control character in a header value");
            value_byte(g, c);
            break;
        default:
            break;
        }
        g->cr = c == '\r';
        if (g->phase == P_NAME && i + 1 == n && prefix_state(g)) {
            /* the name may yet end as a prefix libwebsockets stalls on:
             * give it again, whole, with the next read */
            res.hold = g->name_len;
            g->head_bytes -= g->name_len;
            g->phase = P_LINE_START;
            g->name_len = 0;
        }
    }
    return res;
}
#undef fail

size_t au_rxguard_reply(const au_rxg_result *r, char *out, size_t cap)
{
    const char *reason = r->status == 431   ? "Request Header Fields Too Large"
                         : r->status == 505 ? "HTTP Version Not Supported"
                                            : "Bad Request";
    const char *code = r->status == 431   ? "headers_too_large"
                       : r->status == 505 ? "http_version"
                                          : "bad_request";
    char body[256];
    int bn = au_wire_error_json(code, r->why ? r->why : reason, body,
                                sizeof body);
    if (bn < 0) return 0;
    int n = snprintf(out, cap,
                     "HTTP/1.1 %d %s\r\n" AU_ISOLATION_HEADER_LINES
                     "content-type: application/json\r\n"
                     "connection: close\r\n"
                     "content-length: %d\r\n\r\n%s",
                     r->status, reason, bn, body);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}
