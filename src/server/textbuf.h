/* Formatting into a caller's fixed buffer (JSON and Prometheus text, event
 * frames): appends with printf formats, remembers overflow once, never
 * allocates. Plain value; one per message being built. */
#ifndef AU_TEXTBUF_H
#define AU_TEXTBUF_H

#include <stddef.h>

typedef struct {
    char *buf;
    size_t len, n;
    int bad;
} au_text;

void au_textf(au_text *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Bytes written, or -1 (with buf emptied) if anything did not fit. */
int au_text_finish(au_text *o);

#endif
