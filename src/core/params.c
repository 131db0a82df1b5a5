#include "params.h"
#include "pieces.h"

#include "core/utf8.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const key_names[12] = {"C",  "C#", "D",  "D#", "E",  "F",
                                          "F#", "G",  "G#", "A",  "A#", "B"};
static const char *const mode_names[AU_MODE_COUNT] = {
    "ionian", "dorian", "phrygian", "lydian", "mixolydian", "aeolian", "locrian"};
static const char *const layer_names[AU_LAYER_COUNT] = {
    "pads", "melody", "bass", "percussion", "textures", "bells"};

au_params au_params_default(void)
{
    au_params p;
    memset(&p, 0, sizeof p);
    p.seed = 0;
    p.key = 2;
    p.mode = AU_MODE_DORIAN;
    p.bpm = 60.0;
    p.intensity = 0.4;
    p.wander = false;
    for (int i = 0; i < AU_LAYER_COUNT; i++) {
        p.layers[i] = true;
        p.volume[i] = 1.0;
    }
    return p;
}

void au_params_apply(au_params *p, const au_param_update *u)
{
    if (u->mask & AU_P_KEY) p->key = u->v.key;
    if (u->mask & AU_P_MODE) p->mode = u->v.mode;
    if (u->mask & AU_P_BPM) p->bpm = u->v.bpm;
    if (u->mask & AU_P_INTENSITY) p->intensity = u->v.intensity;
    if (u->mask & AU_P_WANDER) p->wander = u->v.wander;
    for (int i = 0; i < AU_LAYER_COUNT; i++)
        if (u->mask & AU_P_LAYER(i)) p->layers[i] = u->v.layers[i];
    if (u->mask & AU_P_PIECE) p->piece = u->v.piece;
    for (int i = 0; i < AU_LAYER_COUNT; i++)
        if (u->mask & AU_P_VOLUME(i)) p->volume[i] = u->v.volume[i];
}

const char *au_key_name(int key)
{
    return key >= 0 && key < 12 ? key_names[key] : "?";
}

const char *au_mode_name(int mode)
{
    return mode >= 0 && mode < AU_MODE_COUNT ? mode_names[mode] : "?";
}

const char *au_layer_name(int layer)
{
    return layer >= 0 && layer < AU_LAYER_COUNT ? layer_names[layer] : "?";
}

int au_layer_from_name(const char *s)
{
    for (int i = 0; i < AU_LAYER_COUNT; i++)
        if (s && strcmp(s, layer_names[i]) == 0) return i;
    return -1;
}

static int fail(char *err, size_t errlen, const char *fmt, const char *name,
                const char *value)
{
    if (err && errlen) {
        /* a stranger's value, cut on a character boundary and stripped of
         * control characters: the message stays one line of valid UTF-8 */
        char v[AU_QUOTE_SIZE];
        au_quote(value, v);
        snprintf(err, errlen, fmt, name, v);
    }
    return -1;
}

int au_parse_key(const char *s, int *key, char *err, size_t errlen)
{
    static const struct { const char *n; int pc; } names[] = {
        {"C", 0}, {"C#", 1}, {"Db", 1}, {"D", 2}, {"D#", 3}, {"Eb", 3},
        {"E", 4}, {"F", 5}, {"F#", 6}, {"Gb", 6}, {"G", 7}, {"G#", 8},
        {"Ab", 8}, {"A", 9}, {"A#", 10}, {"Bb", 10}, {"B", 11}};
    if (s && s[0] && strlen(s) <= 2) {
        char norm[3] = {0};
        norm[0] = (char)(s[0] >= 'a' && s[0] <= 'g' ? s[0] - 32 : s[0]);
        norm[1] = s[1];
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strcmp(norm, names[i].n) == 0) {
                *key = names[i].pc;
                return 0;
            }
    }
    return fail(err, errlen,
                "%s must be one of C, C#, Db, D, D#, Eb, E, F, F#, Gb, G, G#, "
                "Ab, A, A#, Bb, B (got '%s')",
                "key", s);
}

int au_parse_mode(const char *s, int *mode, char *err, size_t errlen)
{
    if (s) {
        for (int i = 0; i < AU_MODE_COUNT; i++)
            if (strcasecmp(s, mode_names[i]) == 0) {
                *mode = i;
                return 0;
            }
        if (strcasecmp(s, "major") == 0) { *mode = AU_MODE_IONIAN; return 0; }
        if (strcasecmp(s, "minor") == 0) { *mode = AU_MODE_AEOLIAN; return 0; }
    }
    return fail(err, errlen,
                "%s must be one of ionian, dorian, phrygian, lydian, "
                "mixolydian, aeolian, locrian, major, minor (got '%s')",
                "mode", s);
}

int au_parse_seed(const char *s, uint64_t *seed, char *err, size_t errlen)
{
    if (s && *s && *s != '-' && *s != '+') {
        const char *p = s;
        while (*p >= '0' && *p <= '9') p++;
        if (*p == '\0' && p - s <= 20) {
            errno = 0;
            unsigned long long v = strtoull(s, NULL, 10);
            if (errno == 0) {
                *seed = (uint64_t)v;
                return 0;
            }
        }
    }
    return fail(err, errlen,
                "%s must be an integer between 0 and 18446744073709551615 "
                "(got '%s')",
                "seed", s);
}

/* A plain decimal number as docs/protocol.md gives them: digits with an
 * optional fraction ("72", "0.35", ".5"). No sign, spaces, hex ("0x48"),
 * exponents or inf/nan: strtod alone would take all of those. */
static int parse_double(const char *s, double *v)
{
    if (!s || !*s) return -1;
    size_t digits = 0, i = 0;
    while (s[i] >= '0' && s[i] <= '9') i++, digits++;
    if (s[i] == '.') {
        i++;
        while (s[i] >= '0' && s[i] <= '9') i++, digits++;
    }
    if (s[i] != '\0' || digits == 0 || i > 32) return -1;
    char *end = NULL;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || !end || *end != '\0' || !isfinite(d)) return -1;
    *v = d;
    return 0;
}

int au_check_bpm(double bpm, char *err, size_t errlen)
{
    if (isfinite(bpm) && bpm >= AU_BPM_MIN && bpm <= AU_BPM_MAX) return 0;
    char v[64];
    snprintf(v, sizeof v, "%g", bpm);
    return fail(err, errlen, "%s must be between 30 and 200 (got %s)", "bpm", v);
}

int au_check_intensity(double x, char *err, size_t errlen)
{
    if (isfinite(x) && x >= 0.0 && x <= 1.0) return 0;
    char v[64];
    snprintf(v, sizeof v, "%g", x);
    return fail(err, errlen, "%s must be between 0.0 and 1.0 (got %s)",
                "intensity", v);
}

int au_check_volume(const char *name, double x, char *err, size_t errlen)
{
    if (isfinite(x) && x >= 0.0 && x <= 1.0) return 0;
    char v[64];
    snprintf(v, sizeof v, "%g", x);
    return fail(err, errlen, "%s must be between 0.0 and 1.0 (got %s)", name,
                v);
}

int au_volume_from_name(const char *name)
{
    static const char suffix[] = "_volume";
    size_t n = name ? strlen(name) : 0, k = sizeof suffix - 1;
    if (n <= k || n - k >= 16 || strcmp(name + n - k, suffix)) return -1;
    char layer[16];
    memcpy(layer, name, n - k);
    layer[n - k] = '\0';
    return au_layer_from_name(layer);
}

int au_parse_bpm(const char *s, double *bpm, char *err, size_t errlen)
{
    double v;
    if (parse_double(s, &v) != 0)
        return fail(err, errlen, "%s must be a number between 30 and 200 (got '%s')",
                    "bpm", s);
    if (au_check_bpm(v, err, errlen) != 0) return -1;
    *bpm = v;
    return 0;
}

int au_parse_intensity(const char *s, double *x, char *err, size_t errlen)
{
    double v;
    if (parse_double(s, &v) != 0)
        return fail(err, errlen,
                    "%s must be a number between 0.0 and 1.0 (got '%s')",
                    "intensity", s);
    if (au_check_intensity(v, err, errlen) != 0) return -1;
    *x = v;
    return 0;
}

/* Exactly the spellings docs/protocol.md lists, lower case: a query string
 * or command line says true/false, on/off, yes/no or 1/0. */
int au_parse_bool(const char *name, const char *s, bool *v, char *err,
                  size_t errlen)
{
    static const char *const yes[] = {"true", "on", "yes", "1"};
    static const char *const no[] = {"false", "off", "no", "0"};
    for (int i = 0; s && i < 4; i++) {
        if (!strcmp(s, yes[i])) {
            *v = true;
            return 0;
        }
        if (!strcmp(s, no[i])) {
            *v = false;
            return 0;
        }
    }
    return fail(err, errlen,
                "%s must be true or false (also on/off, yes/no, 1/0; got '%s')",
                name, s);
}

int au_update_set_text(au_param_update *u, const char *name, const char *value,
                       char *err, size_t errlen)
{
    if (!name) name = "";
    if (!strcmp(name, "key")) {
        if (au_parse_key(value, &u->v.key, err, errlen)) return -1;
        u->mask |= AU_P_KEY;
    } else if (!strcmp(name, "mode")) {
        if (au_parse_mode(value, &u->v.mode, err, errlen)) return -1;
        u->mask |= AU_P_MODE;
    } else if (!strcmp(name, "bpm")) {
        if (au_parse_bpm(value, &u->v.bpm, err, errlen)) return -1;
        u->mask |= AU_P_BPM;
    } else if (!strcmp(name, "intensity")) {
        if (au_parse_intensity(value, &u->v.intensity, err, errlen)) return -1;
        u->mask |= AU_P_INTENSITY;
    } else if (!strcmp(name, "wander")) {
        if (au_parse_bool("wander", value, &u->v.wander, err, errlen)) return -1;
        u->mask |= AU_P_WANDER;
    } else if (!strcmp(name, "piece")) {
        if (au_parse_piece(value, &u->v.piece, err, errlen)) return -1;
        u->mask |= AU_P_PIECE;
    } else if (au_volume_from_name(name) >= 0) {
        int l = au_volume_from_name(name);
        double v;
        if (parse_double(value, &v) != 0)
            return fail(err, errlen,
                        "%s must be a number between 0.0 and 1.0 (got '%s')",
                        name, value);
        if (au_check_volume(name, v, err, errlen) != 0) return -1;
        u->v.volume[l] = v;
        u->mask |= AU_P_VOLUME(l);
    } else {
        int l = au_layer_from_name(name);
        if (l < 0)
            return fail(err, errlen,
                        "%s: unknown parameter '%s' (allowed: key, mode, bpm, "
                        "intensity, wander, piece, pads, melody, bass, "
                        "percussion, textures, bells, and LAYER_volume)",
                        "set", name);
        if (au_parse_bool(name, value, &u->v.layers[l], err, errlen)) return -1;
        u->mask |= AU_P_LAYER(l);
    }
    return 0;
}

/* Shortest text that reads back as exactly the same double. */
static void exact_double(double v, char *buf, size_t len)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

int au_update_format(const au_param_update *u, char *buf, size_t len)
{
    size_t n = 0;
    char v[40];
    if (!len) return -1;
    buf[0] = '\0';
#define ADD(...)                                                               \
    do {                                                                       \
        int w_ = snprintf(buf + n, len - n, "%s", n ? "," : "");               \
        if (w_ < 0 || (size_t)w_ >= len - n) goto full;                        \
        n += (size_t)w_;                                                       \
        w_ = snprintf(buf + n, len - n, __VA_ARGS__);                          \
        if (w_ < 0 || (size_t)w_ >= len - n) goto full;                        \
        n += (size_t)w_;                                                       \
    } while (0)
    if (u->mask & AU_P_KEY) ADD("key=%s", au_key_name(u->v.key));
    if (u->mask & AU_P_MODE) ADD("mode=%s", au_mode_name(u->v.mode));
    if (u->mask & AU_P_BPM) {
        exact_double(u->v.bpm, v, sizeof v);
        ADD("bpm=%s", v);
    }
    if (u->mask & AU_P_INTENSITY) {
        exact_double(u->v.intensity, v, sizeof v);
        ADD("intensity=%s", v);
    }
    if (u->mask & AU_P_WANDER) ADD("wander=%s", u->v.wander ? "true" : "false");
    if (u->mask & AU_P_PIECE) ADD("piece=%s", au_piece_name(u->v.piece));
    for (int i = 0; i < AU_LAYER_COUNT; i++)
        if (u->mask & AU_P_LAYER(i))
            ADD("%s=%s", layer_names[i], u->v.layers[i] ? "true" : "false");
    for (int i = 0; i < AU_LAYER_COUNT; i++)
        if (u->mask & AU_P_VOLUME(i)) {
            exact_double(u->v.volume[i], v, sizeof v);
            ADD("%s_volume=%s", layer_names[i], v);
        }
#undef ADD
    return (int)n;
full:
    buf[0] = '\0';
    return -1;
}

int au_update_parse_text(au_param_update *u, const char *text, char *err,
                         size_t errlen)
{
    char body[1024];
    if (!text || strlen(text) >= sizeof body)
        return fail(err, errlen, "%s: changes must be 1 to 1023 characters (got '%s')",
                    "change", text ? text : "");
    snprintf(body, sizeof body, "%s", text);
    int fields = 0;
    char *save = NULL;
    for (char *tok = strtok_r(body, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return fail(err, errlen, "%s: fields must be name=value (got '%s')",
                        "change", tok);
        *eq = '\0';
        if (au_update_set_text(u, tok, eq + 1, err, errlen)) return -1;
        fields++;
    }
    if (!fields)
        return fail(err, errlen, "%s needs at least one name=value (got '%s')",
                    "change", text);
    return 0;
}
