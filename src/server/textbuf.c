#include "server/textbuf.h"

#include <stdarg.h>
#include <stdio.h>

void au_textf(au_text *o, const char *fmt, ...)
{
    if (o->bad) return;
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(o->buf + o->n, o->len - o->n, fmt, ap);
    va_end(ap);
    if (r < 0 || (size_t)r >= o->len - o->n) {
        o->bad = 1;
        return;
    }
    o->n += (size_t)r;
}

int au_text_finish(au_text *o)
{
    if (o->bad) {
        if (o->len) o->buf[0] = '\0';
        return -1;
    }
    return (int)o->n;
}
