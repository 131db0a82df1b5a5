#include "server/webpath.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int au_web_clean_path(const char *uri, char *out, size_t outlen)
{
    if (!uri || uri[0] != '/') return -1;
    size_t n = strlen(uri);
    if (n > 512) return -1;
    const char *seg = uri + 1;
    for (size_t i = 1; i <= n; i++) {
        char c = uri[i];
        if (c == '/' || c == '\0') {
            size_t sl = (size_t)(uri + i - seg);
            bool last = c == '\0';
            /* empty segments are only allowed as the trailing "dir/" */
            if (sl == 0 && !(last && i == n)) return -1;
            if ((sl == 1 && seg[0] == '.') ||
                (sl == 2 && seg[0] == '.' && seg[1] == '.'))
                return -1;
            seg = uri + i + 1;
            continue;
        }
        if ((unsigned char)c < 0x20 || c == 0x7f || c == '\\') return -1;
    }
    const char *suffix = uri[n - 1] == '/' ? "index.html" : "";
    int w = snprintf(out, outlen, "%s%s", uri, suffix);
    return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

const au_web_asset *au_web_find(const au_web_asset *table, const char *path)
{
    for (const au_web_asset *a = table; a && a->path; a++)
        if (!strcmp(a->path, path)) return a;
    return NULL;
}

int au_web_resolve_root(const char *root, const char *clean, char *out,
                        size_t outlen)
{
    char joined[PATH_MAX];
    int w = snprintf(joined, sizeof joined, "%s%s", root, clean);
    if (w < 0 || (size_t)w >= sizeof joined) return -1;
    char real[PATH_MAX];
    if (!realpath(joined, real)) return -1;
    size_t rl = strlen(root);
    /* inside root: root itself followed by '/' (a symlink pointing out of
     * the folder resolves elsewhere and fails here) */
    if (strncmp(real, root, rl) != 0 || (real[rl] != '/' && rl > 1)) return -1;
    struct stat st;
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    w = snprintf(out, outlen, "%s", real);
    return w < 0 || (size_t)w >= outlen ? -1 : 0;
}

const char *au_web_content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".webmanifest", "application/manifest+json"},
        {".txt", "text/plain; charset=utf-8"},
        {".wasm", "application/wasm"},
        {".woff2", "font/woff2"},
    };
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof types / sizeof *types; i++)
            if (!strcmp(dot, types[i].ext)) return types[i].type;
    return "application/octet-stream";
}

/* Chosen by ear against MUSIC.md: calm work wants a slow pulse and a bright
 * but unobtrusive mode; sleep wants the slowest tempo, a dark mode and few
 * notes. */
static const char presets[] =
    "{\"presets\":["
    "{\"name\":\"Focus\",\"piece\":\"drift\",\"description\":\"steady, bright enough to stay "
    "awake, "
    "nothing that asks for attention\",\"key\":\"D\",\"mode\":\"dorian\","
    "\"bpm\":72,\"intensity\":0.45,\"wander\":false,"
    "\"layers\":{\"pads\":true,\"melody\":true,\"bass\":true,"
    "\"percussion\":true,\"textures\":true,\"bells\":false}},"
    "{\"name\":\"Meditation\",\"piece\":\"choir\",\"description\":\"long held chords over a root "
    "pedal, sparse bells\",\"key\":\"F\",\"mode\":\"lydian\",\"bpm\":52,"
    "\"intensity\":0.25,\"wander\":false,"
    "\"layers\":{\"pads\":true,\"melody\":true,\"bass\":true,"
    "\"percussion\":false,\"textures\":true,\"bells\":true}},"
    "{\"name\":\"Sleep\",\"piece\":\"night\",\"description\":\"dark, slow, almost no melody\","
    "\"key\":\"A\",\"mode\":\"aeolian\",\"bpm\":40,\"intensity\":0.1,"
    "\"wander\":false,"
    "\"layers\":{\"pads\":true,\"melody\":false,\"bass\":true,"
    "\"percussion\":false,\"textures\":true,\"bells\":false}},"
    "{\"name\":\"Bright\",\"piece\":\"glass\",\"description\":\"open major colours, a little "
    "movement\",\"key\":\"G\",\"mode\":\"ionian\",\"bpm\":84,"
    "\"intensity\":0.65,\"wander\":true,"
    "\"layers\":{\"pads\":true,\"melody\":true,\"bass\":true,"
    "\"percussion\":true,\"textures\":true,\"bells\":true}},"
    "{\"name\":\"Drift\",\"piece\":\"drift\",\"description\":\"slowly wandering between related "
    "keys\",\"key\":\"E\",\"mode\":\"mixolydian\",\"bpm\":60,"
    "\"intensity\":0.35,\"wander\":true,"
    "\"layers\":{\"pads\":true,\"melody\":true,\"bass\":true,"
    "\"percussion\":false,\"textures\":true,\"bells\":true}}"
    "]}";

const char *au_presets_json(void)
{
    return presets;
}
