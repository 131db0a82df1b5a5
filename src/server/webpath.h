/* What the HTTP side serves: request paths checked and mapped to files (the
 * embedded player or a --web-root folder, never outside it), content types,
 * and the built-in presets. Pure functions except au_web_resolve_root, which
 * asks the file system (realpath). Thread-safe. */
#ifndef AU_SERVER_WEBPATH_H
#define AU_SERVER_WEBPATH_H

#include <stddef.h>

#include "server/web_assets.h"

/* Checks a request path and normalises it: must start with '/', no "..",
 * "." segments, empty segments, backslashes, control bytes or NUL; "/"
 * (and any path ending in '/') gets "index.html" appended. Query strings
 * must already be removed. 0 and the clean path in out, or -1. */
int au_web_clean_path(const char *uri, char *out, size_t outlen);

/* The embedded asset for a clean path, or NULL. */
const au_web_asset *au_web_find(const au_web_asset *table, const char *path);

/* root (already realpath'd) + clean path, resolved through symlinks; 0 and
 * the real file path in out if it is a regular file inside root, else -1. */
int au_web_resolve_root(const char *root, const char *clean, char *out,
                        size_t outlen);

/* Content type for a file name by extension; never NULL. */
const char *au_web_content_type(const char *path);

/* Built-in presets as a JSON document {"presets":[{...},...]}. Static. */
const char *au_presets_json(void);

#endif
