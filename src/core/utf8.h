/* UTF-8 for text that reaches a client: every message the server sends must
 * be valid UTF-8 (a WebSocket peer drops the connection otherwise, RFC 6455
 * 8.1), so values quoted back to a stranger are cut on character
 * boundaries and anything that is not well-formed is replaced. */
#ifndef AU_CORE_UTF8_H
#define AU_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Messages quote at most this many bytes of a stranger's value. */
#define AU_QUOTE_MAX 40
/* Room a quote needs: AU_QUOTE_MAX bytes, "..." and the terminator. */
#define AU_QUOTE_SIZE (AU_QUOTE_MAX + 4)

/* Length in bytes of the well-formed UTF-8 sequence at s (at most n bytes
 * available), or 0 when s does not start one (overlong forms, surrogates
 * and code points above U+10FFFF are not well-formed). */
size_t au_utf8_seq(const unsigned char *s, size_t n);

/* Whether the n bytes at s are well-formed UTF-8. */
bool au_utf8_valid(const char *s, size_t n);

/* Copies the NUL-terminated src into dst (dstlen bytes, always terminated),
 * cut on a character boundary; a byte that does not start a well-formed
 * character becomes '?'. */
void au_utf8_copy(char *dst, size_t dstlen, const char *src);

/* A stranger's value for a message: at most AU_QUOTE_MAX bytes (cut on a
 * character boundary, "..." appended when cut), control characters and
 * malformed bytes as '?'. out must hold AU_QUOTE_SIZE bytes. */
void au_quote(const char *v, char *out);

#endif
