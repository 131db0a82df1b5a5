/* Options shared by compose, render and bench: the piece's parameters, its
 * length, a change timeline, and the output path. Parsing reports one line
 * naming the option, the value and what is allowed; callers exit 2. */
#ifndef AU_CLI_OPTIONS_H
#define AU_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/outfile.h"
#include "core/params.h"
#include "engine/timeline.h"

#define AU_CLI_MAX_CHANGES 256

typedef struct {
    int64_t pos;           /* sample frame the change applies at */
    double at_seconds;     /* or, when pos < 0, a time to convert */
    au_param_update update;
} au_cli_change;

typedef struct {
    au_params params;
    bool seed_given;
    double minutes;        /* length; 0 = not given */
    double bars;           /* length in 4-beat bars at the starting tempo */
    double seconds;
    int rate;              /* 48000 or 44100 */
    bool rate_given;
    const char *output;
    bool quiet;
    bool json;
    bool float_wav;
    bool endless;          /* --endless: no ending (replays a stream) */
    int opus_bitrate; /* .opus output, bits/s; 0 = the writer's default */
    const char *soundfont; /* --soundfont PATH, or NULL: the default path */
    bool no_soundfont;     /* --no-soundfont: pieces on Auralis's own only */
    int nchanges;
    au_cli_change changes[AU_CLI_MAX_CHANGES];
    const char *timeline; /* --timeline TEXT (the server's timeline form) */
} au_cli_options;

/* Which options a subcommand accepts (bit set). */
enum {
    AU_OPT_PIECE = 1 << 0,  /* --piece --seed --key --mode --bpm --intensity
                               --wander --no-<layer> --change */
    AU_OPT_LENGTH = 1 << 1, /* --minutes --bars --seconds */
    AU_OPT_OUTPUT = 1 << 2, /* -o/--output */
    AU_OPT_RATE = 1 << 3,   /* --rate */
    AU_OPT_QUIET = 1 << 4,  /* --quiet */
    AU_OPT_JSON = 1 << 5,   /* --json */
    AU_OPT_FLOAT = 1 << 6,  /* --float (32-bit float WAV) */
    AU_OPT_SOUNDFONT = 1 << 7, /* --soundfont PATH, --no-soundfont */
    AU_OPT_OPUS = 1 << 8,      /* --opus-bitrate */
};

/* Parses argv[1..argc-1]. Returns 0, 1 when --help was printed (exit 0), or
 * 2 after printing an error line to stderr (exit 2). usage is printed for
 * --help. */
int au_cli_parse(int argc, char **argv, unsigned accepted, au_cli_options *o,
                 const char *usage);

/* Length in sample frames at o->rate (minutes, bars or seconds), or the
 * default when none was given. */
int64_t au_cli_length_frames(const au_cli_options *o, double default_minutes);

/* The change timeline: --timeline entries and --change entries merged by
 * position (at equal positions --timeline's come first), starting from
 * o->params. t is initialised here; deinit it after use. 0, or 2 after
 * printing an error line. */
int au_cli_build_timeline(const au_cli_options *o, au_timeline *t);

/* A seed from the OS when none was given (printed by the caller). */
uint64_t au_cli_random_seed(void);

/* "seed=7 key=D mode=dorian bpm=66 intensity=0.5 wander=off" */
void au_cli_describe(const au_params *p, char *buf, size_t len);

/* Opens o->output as an all-or-nothing file (printing the error line), then
 * prints the seed when it was drawn at random. 0, or 2 (the exit status). */
int au_cli_open_output(const au_cli_options *o, au_outfile *out);

/* Loads the SoundFont for renders and streams: o->soundfont, or the default
 * path. An explicit path that fails is an error (printed; returns 2); a
 * missing default prints one note (unless quiet) and the pieces' SoundFont
 * layers play on Auralis's own instruments (returns 0). When no piece
 * needs it (need_any false) nothing is loaded. */
int au_cli_load_soundfont(const au_cli_options *o, bool need_any);

/* Write the params' text used in file tags and messages. */
void au_cli_print_params(FILE *f, const au_params *p);

#endif
