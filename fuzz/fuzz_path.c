/* libFuzzer: HTTP request paths. An accepted path never climbs out of the
 * served folder: no "..", no empty or "." segments, no backslash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/webpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1024) return 0;
    char *uri = malloc(size + 1);
    if (!uri) return 0;
    memcpy(uri, data, size);
    uri[size] = '\0';
    char out[600];
    if (au_web_clean_path(uri, out, sizeof out) == 0) {
        if (out[0] != '/' || strstr(out, "/../") || strstr(out, "/./") ||
            strstr(out, "//") || strchr(out, '\\'))
            __builtin_trap();
        size_t n = strlen(out);
        if (n >= 3 && !strcmp(out + n - 3, "/..")) __builtin_trap();
        (void)au_web_find(au_web_assets, out);
        (void)au_web_content_type(out);
    }
    free(uri);
    return 0;
}
