/* The web player's files, embedded at build time (cmake/embed_web.cmake).
 * Read-only static data; thread-safe. The table ends with a NULL path. */
#ifndef AU_WEB_ASSETS_H
#define AU_WEB_ASSETS_H

#include <stddef.h>

typedef struct {
    const char *path;         /* "/index.html" */
    const char *content_type; /* "text/html; charset=utf-8" */
    const unsigned char *data;
    size_t size;
} au_web_asset;

extern const au_web_asset au_web_assets[];

#endif
