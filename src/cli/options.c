#include "options.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "compose/piece.h"
#include "core/au.h"
#include "engine/engine.h"
#include "synth/sfont.h"
#include "io/opus_packets.h"

static int bad(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "auralis: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 2;
}

static int parse_positive(const char *opt, const char *s, double max,
                          const char *allowed, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = s ? strtod(s, &end) : NAN;
    if (!s || !*s || errno || !end || *end || !isfinite(v) || v <= 0 || v > max) {
        fprintf(stderr, "auralis: %s must be %s (got '%s')\n", opt, allowed,
                s ? s : "");
        return 2;
    }
    *out = v;
    return 0;
}

/* --change POS:name=value[,name=value...]; POS is a frame number, or seconds
 * with an "s" suffix. */
static int parse_change(const char *s, au_cli_options *o)
{
    if (o->nchanges >= AU_CLI_MAX_CHANGES)
        return bad("--change: at most 256 changes are allowed (got another: '%s')%s",
                   s, "");
    au_cli_change *c = &o->changes[o->nchanges];
    memset(c, 0, sizeof *c);
    c->update.v = o->params;
    const char *colon = strchr(s, ':');
    if (!colon || colon == s)
        return bad("--change must look like POS:name=value[,name=value] with "
                   "POS in frames or seconds ('12.5s') (got '%s')%s", s, "");
    char pos[64];
    size_t n = (size_t)(colon - s);
    if (n >= sizeof pos) n = sizeof pos - 1;
    memcpy(pos, s, n);
    pos[n] = 0;
    char *end = NULL;
    errno = 0;
    if (pos[n - 1] == 's') {
        pos[n - 1] = 0;
        double t = strtod(pos, &end);
        if (errno || *end || !isfinite(t) || t < 0 || t > AU_MAX_MINUTES * 60)
            return bad("--change position must be a frame number or seconds "
                       "like '12.5s', at most 24 hours (got '%s')%s", s, "");
        c->pos = -1;
        c->at_seconds = t;
    } else {
        long long f = strtoll(pos, &end, 10);
        if (errno || *end || f < 0)
            return bad("--change position must be a frame number or seconds "
                       "like '12.5s', at most 24 hours (got '%s')%s", s, "");
        c->pos = f;
    }
    char body[512];
    snprintf(body, sizeof body, "%s", colon + 1);
    char *save = NULL;
    int fields = 0;
    for (char *tok = strtok_r(body, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return bad("--change fields must be name=value (got '%s' in '%s')",
                       tok, s);
        *eq = 0;
        char err[256];
        if (au_update_set_text(&c->update, tok, eq + 1, err, sizeof err) != 0)
            return bad("--change: %s%s", err, "");
        fields++;
    }
    if (!fields)
        return bad("--change needs at least one name=value (got '%s')%s", s, "");
    au_update_piece_defaults(&c->update); /* a piece brings its defaults */
    o->nchanges++;
    return 0;
}

int au_cli_parse(int argc, char **argv, unsigned acc, au_cli_options *o,
                 const char *usage)
{
    memset(o, 0, sizeof *o);
    o->params = au_params_default();
    o->rate = 48000;
    char err[256];
    /* --piece first: its key, mode, tempo and intensity are the defaults
     * the other options override, wherever they stand on the line */
    for (int i = 1; (acc & AU_OPT_PIECE) && i < argc; i++) {
        const char *pv = NULL;
        if (!strcmp(argv[i], "--piece") && i + 1 < argc) pv = argv[i + 1];
        else if (!strncmp(argv[i], "--piece=", 8)) pv = argv[i] + 8;
        else continue;
        int piece;
        if (au_parse_piece(pv, &piece, err, sizeof err))
            return bad("--%s%s", err, "");
        o->params = au_piece_params(piece);
    }
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        char name[64];
        const char *val = NULL;
        bool inline_val = false;
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            fputs(usage, stdout);
            return 1;
        }
        if (!strcmp(arg, "-o")) {
            snprintf(name, sizeof name, "--output");
        } else if (!strncmp(arg, "--", 2)) {
            const char *eq = strchr(arg, '=');
            size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
            if (n >= sizeof name) n = sizeof name - 1;
            memcpy(name, arg, n);
            name[n] = 0;
            if (eq) {
                val = eq + 1;
                inline_val = true;
            }
        } else {
            return bad("unexpected argument '%s' (see --help)%s", arg, "");
        }

        /* flags without a value */
        struct { const char *n; unsigned need; bool *dst; } flags[] = {
            {"--wander", AU_OPT_PIECE, &o->params.wander},
            {"--quiet", AU_OPT_QUIET, &o->quiet},
            {"--json", AU_OPT_JSON, &o->json},
            {"--float", AU_OPT_FLOAT, &o->float_wav},
            {"--endless", AU_OPT_LENGTH, &o->endless},
            {"--no-soundfont", AU_OPT_SOUNDFONT, &o->no_soundfont},
        };
        bool matched = false;
        for (size_t f = 0; f < AU_ARRAY_LEN(flags); f++) {
            if (strcmp(name, flags[f].n) || !(acc & flags[f].need)) continue;
            if (inline_val)
                return bad("%s takes no value (got '%s')", name, val);
            *flags[f].dst = true;
            matched = true;
        }
        if (matched) continue;
        if ((acc & AU_OPT_PIECE) && !strncmp(name, "--no-", 5) && !inline_val) {
            int l = au_layer_from_name(name + 5);
            if (l >= 0) {
                o->params.layers[l] = false;
                continue;
            }
        }

        static const struct { const char *n; unsigned need; } valued[] = {
            {"--seed", AU_OPT_PIECE},    {"--key", AU_OPT_PIECE},
            {"--mode", AU_OPT_PIECE},    {"--bpm", AU_OPT_PIECE},
            {"--intensity", AU_OPT_PIECE}, {"--change", AU_OPT_PIECE},
            {"--volume", AU_OPT_PIECE},  {"--timeline", AU_OPT_PIECE},
            {"--minutes", AU_OPT_LENGTH}, {"--bars", AU_OPT_LENGTH},
            {"--seconds", AU_OPT_LENGTH}, {"--output", AU_OPT_OUTPUT},
            {"--rate", AU_OPT_RATE},       {"--piece", AU_OPT_PIECE},
            {"--soundfont", AU_OPT_SOUNDFONT}, {"--opus-bitrate", AU_OPT_OPUS},
        };
        bool known = false;
        for (size_t v = 0; v < AU_ARRAY_LEN(valued); v++)
            if (!strcmp(name, valued[v].n) && (acc & valued[v].need)) known = true;
        if (!known)
            return bad("unknown option '%s' (see --help)%s", name, "");
        if (!val) {
            if (i + 1 >= argc)
                return bad("%s needs a value%s", name, "");
            val = argv[++i];
        }

        if (!strcmp(name, "--seed")) {
            if (au_parse_seed(val, &o->params.seed, err, sizeof err))
                return bad("--%s%s", err, "");
            o->seed_given = true;
        } else if (!strcmp(name, "--key")) {
            if (au_parse_key(val, &o->params.key, err, sizeof err))
                return bad("--%s%s", err, "");
        } else if (!strcmp(name, "--mode")) {
            if (au_parse_mode(val, &o->params.mode, err, sizeof err))
                return bad("--%s%s", err, "");
        } else if (!strcmp(name, "--bpm")) {
            if (au_parse_bpm(val, &o->params.bpm, err, sizeof err))
                return bad("--%s%s", err, "");
        } else if (!strcmp(name, "--intensity")) {
            if (au_parse_intensity(val, &o->params.intensity, err, sizeof err))
                return bad("--%s%s", err, "");
        } else if (!strcmp(name, "--timeline")) {
            o->timeline = val; /* parsed once the starting params are known */
        } else if (!strcmp(name, "--volume")) {
            /* --volume LAYER=V: a layer's starting volume */
            const char *eq = strchr(val, '=');
            char lname[40];
            size_t n = eq ? (size_t)(eq - val) : 0;
            if (!eq || n == 0 || n >= 16)
                return bad("--volume must look like LAYER=V, e.g. pads=0.5 "
                           "(got '%s')%s", val, "");
            snprintf(lname, sizeof lname, "%.*s_volume", (int)n, val);
            au_param_update u;
            memset(&u, 0, sizeof u);
            if (au_update_set_text(&u, lname, eq + 1, err, sizeof err))
                return bad("--volume: %s%s", err, "");
            au_params_apply(&o->params, &u);
        } else if (!strcmp(name, "--change")) {
            int r = parse_change(val, o);
            if (r) return r;
        } else if (!strcmp(name, "--minutes")) {
            if (parse_positive("--minutes", val, AU_MAX_MINUTES,
                               "a number of minutes above 0 and at most 1440 "
                               "(24 hours)", &o->minutes))
                return 2;
        } else if (!strcmp(name, "--bars")) {
            if (parse_positive("--bars", val, 100000,
                               "a number of bars above 0 and at most 100000",
                               &o->bars))
                return 2;
        } else if (!strcmp(name, "--seconds")) {
            if (parse_positive("--seconds", val, AU_MAX_MINUTES * 60,
                               "a number of seconds above 0 and at most 86400 "
                               "(24 hours)", &o->seconds))
                return 2;
        } else if (!strcmp(name, "--output")) {
            if (!*val) return bad("--output needs a file path (got '%s')%s", val, "");
            o->output = val;
        } else if (!strcmp(name, "--piece")) {
            /* applied by the first pass */
        } else if (!strcmp(name, "--soundfont")) {
            if (!*val) return bad("--soundfont needs a file path (got '%s')%s", val, "");
            o->soundfont = val;
        } else if (!strcmp(name, "--rate")) {
            if (strcmp(val, "48000") && strcmp(val, "44100"))
                return bad("--rate must be 48000 or 44100 (got '%s')%s", val, "");
            o->rate = atoi(val);
            o->rate_given = true;
        } else if (!strcmp(name, "--opus-bitrate")) {
            char *end = NULL;
            long b = strtol(val, &end, 10);
            if (!*val || *end) b = -1;
            if (au_opus_check_bitrate(b, NULL, 0))
                return bad("--opus-bitrate must be an integer between 32000 "
                           "and 256000 bits/s (got '%s')%s",
                           val, "");
            o->opus_bitrate = (int)b;
        }
    }
    int lengths = (o->minutes > 0) + (o->bars > 0) + (o->seconds > 0);
    if (lengths > 1)
        return bad("give only one of --minutes, --bars and --seconds%s%s", "", "");
    if ((acc & AU_OPT_PIECE) && !o->seed_given) o->params.seed = au_cli_random_seed();
    /* changes given before --seed/--key... carried the defaults in their
     * unused fields; only masked fields matter, so nothing to fix up. */
    for (int c = 0; c < o->nchanges; c++)
        if (o->changes[c].pos < 0)
            o->changes[c].pos = (int64_t)llround(o->changes[c].at_seconds * o->rate);
    /* apply in position order, stable for equal positions */
    for (int a = 1; a < o->nchanges; a++)
        for (int b = a; b > 0 && o->changes[b - 1].pos > o->changes[b].pos; b--) {
            au_cli_change t = o->changes[b];
            o->changes[b] = o->changes[b - 1];
            o->changes[b - 1] = t;
        }
    return 0;
}

/* Timelines from the server may be long; the command line's own --change
 * list stays at AU_CLI_MAX_CHANGES. */
#define CLI_TIMELINE_MAX 65536

int au_cli_build_timeline(const au_cli_options *o, au_timeline *t)
{
    au_timeline given;
    au_timeline_init(&given, &o->params, CLI_TIMELINE_MAX);
    au_timeline_init(t, &o->params, CLI_TIMELINE_MAX);
    char err[300];
    if (o->timeline && au_timeline_parse(&given, o->timeline, err, sizeof err)) {
        au_timeline_deinit(&given);
        return bad("--%s%s", err, "");
    }
    int a = 0, b = 0, r = 0;
    while (!r && (a < given.n || b < o->nchanges)) {
        if (b >= o->nchanges ||
            (a < given.n && given.v[a].pos <= o->changes[b].pos)) {
            r = au_timeline_add(t, given.v[a].pos, &given.v[a].u);
            a++;
        } else {
            r = au_timeline_add(t, o->changes[b].pos, &o->changes[b].update);
            b++;
        }
    }
    au_timeline_deinit(&given);
    if (r) {
        au_timeline_deinit(t);
        return bad("--timeline: at most %s entries are allowed%s", "65536", "");
    }
    return 0;
}

int64_t au_cli_length_frames(const au_cli_options *o, double default_minutes)
{
    double seconds = default_minutes * 60.0;
    if (o->minutes > 0) seconds = o->minutes * 60.0;
    else if (o->seconds > 0) seconds = o->seconds;
    else if (o->bars > 0) seconds = o->bars * 4.0 * 60.0 / o->params.bpm;
    return (int64_t)llround(seconds * o->rate);
}

uint64_t au_cli_random_seed(void)
{
    uint64_t s = 0;
    if (getrandom(&s, sizeof s, 0) != (ssize_t)sizeof s) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = (uint64_t)ts.tv_sec * 1000000007ULL ^ (uint64_t)ts.tv_nsec;
    }
    /* keep seeds short enough to read out and type */
    return s % 1000000000ULL;
}

void au_cli_describe(const au_params *p, char *buf, size_t len)
{
    snprintf(buf, len, "piece=%s seed=%llu key=%s mode=%s bpm=%g intensity=%g wander=%s",
             au_piece_name(p->piece), (unsigned long long)p->seed, au_key_name(p->key),
             au_mode_name(p->mode), p->bpm, p->intensity,
             p->wander ? "on" : "off");
    for (int l = 0; l < AU_LAYER_COUNT; l++)
        if (!p->layers[l]) {
            size_t n = strlen(buf);
            snprintf(buf + n, len - n, " %s=off", au_layer_name(l));
        }
    for (int l = 0; l < AU_LAYER_COUNT; l++)
        if (p->volume[l] != 1.0) {
            size_t n = strlen(buf);
            snprintf(buf + n, len - n, " %s_volume=%g", au_layer_name(l),
                     p->volume[l]);
        }
}

void au_cli_print_params(FILE *f, const au_params *p)
{
    char buf[256];
    au_cli_describe(p, buf, sizeof buf);
    fprintf(f, "%s\n", buf);
}

int au_cli_open_output(const au_cli_options *o, au_outfile *out)
{
    char err[512];
    if (au_outfile_open(out, o->output, err, sizeof err)) {
        fprintf(stderr, "auralis: %s\n", err);
        return 2;
    }
    if (!o->quiet && !o->seed_given)
        fprintf(stderr, "seed: %llu\n", (unsigned long long)o->params.seed);
    return 0;
}

static bool piece_uses_sf(int piece)
{
    const au_piece *pc = au_piece_get(piece);
    for (int l = 0; pc && l < AU_LAYER_COUNT; l++)
        if (pc->layer[l].on && pc->layer[l].sf) return true;
    return false;
}

int au_cli_load_soundfont(const au_cli_options *o, bool need_any)
{
    if (o->no_soundfont) {
        if (o->soundfont) {
            fprintf(stderr, "auralis: give --soundfont or --no-soundfont, not both\n");
            return 2;
        }
        return 0;
    }
    if (!need_any) { /* only if the piece or a change needs it */
        need_any = piece_uses_sf(o->params.piece);
        for (int c = 0; c < o->nchanges; c++)
            if (o->changes[c].update.mask & AU_P_PIECE)
                need_any |= piece_uses_sf(o->changes[c].update.v.piece);
    }
    if (!need_any && !o->soundfont) return 0;
    char err[512];
    int rc = au_engine_load_soundfont(o->soundfont, err, sizeof err);
    if (rc == 0) return 0;
    if (o->soundfont) {
        fprintf(stderr, "auralis: --%s\n", err);
        return 2;
    }
    if (!o->quiet)
        fprintf(stderr,
                "auralis: no SoundFont at %s (install fluid-soundfont-gm or "
                "give --soundfont PATH): the pieces' SoundFont instruments "
                "play on Auralis's own\n",
                AU_SFONT_DEFAULT_PATH);
    return 0;
}
