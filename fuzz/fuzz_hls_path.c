/* libFuzzer: HLS request paths (/hls/NAME/FILE, server/hls.c). An accepted
 * path is exactly "/hls/" NAME "/" FILE with a valid station name and a
 * file name that cannot climb out or hide: no '/', no leading '.', only
 * A-Z a-z 0-9 . _ -, at most 63 characters ("a..b" is a name like any
 * other: without a '/' it names nothing outside the station's files, which
 * are looked up in memory, never on disk). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/hls.h"
#include "server/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1024) return 0;
    char *uri = malloc(size + 1);
    if (!uri) return 0;
    memcpy(uri, data, size);
    uri[size] = '\0';
    char name[AU_STATION_NAME_MAX + 1], file[64];
    /* canaries: what was not written must stay as it was */
    memset(name, 0x55, sizeof name);
    memset(file, 0x55, sizeof file);
    if (au_hls_parse_path(uri, name, file) == 0) {
        if (!au_station_name_ok(name) || !au_path_name_ok(file, 63) ||
            strchr(file, '/') || file[0] == '.')
            __builtin_trap();
        char back[AU_STATION_NAME_MAX + 80];
        snprintf(back, sizeof back, "/hls/%s/%s", name, file);
        if (strcmp(back, uri)) __builtin_trap(); /* nothing dropped */
    }
    free(uri);
    return 0;
}
