/* auralis compose: the composer's events to a Standard MIDI File. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/outfile.h"
#include "compose/composer.h"
#include "io/midi.h"

static const char usage[] =
    "usage: auralis compose [options] -o FILE.mid\n"
    "\n"
    "Composes a piece and writes it as a Standard MIDI File (type 1): a\n"
    "conductor track (tempo map, key signatures, chord and section markers)\n"
    "and one track per layer with a General MIDI program.\n"
    "\n"
    "  --seed N          piece seed, 0..18446744073709551615 (random and\n"
    "                    printed when absent)\n"
    "  --key K           C, C#, Db, D, D#, Eb, E, F, F#, Gb, G, G#, Ab, A, A#,\n"
    "                    Bb, B (default D)\n"
    "  --mode M          ionian, dorian, phrygian, lydian, mixolydian, aeolian,\n"
    "                    locrian, major, minor (default dorian)\n"
    "  --bpm X           30..200 (default 60)\n"
    "  --intensity X     0.0..1.0 (default 0.4)\n"
    "  --wander          allow moves to related keys and modes (off by default)\n"
    "  --no-LAYER        switch a layer off: pads, melody, bass, percussion,\n"
    "                    textures, bells\n"
    "  --volume LAYER=V  a layer's volume, 0.0..1.0 (default 1); repeatable\n"
    "  --change POS:name=value[,name=value]\n"
    "                    a live change at POS (sample frames at 48 kHz, or\n"
    "                    seconds as '90s'); repeatable\n"
    "  --timeline TEXT   changes in the server's timeline form\n"
    "                    'POS:name=value,...;POS:...' (docs/protocol.md)\n"
    "  --minutes M       length, up to 1440 (default 10)\n"
    "  --bars B          length in 4-beat bars at the starting tempo\n"
    "  --seconds S       length in seconds\n"
    "  --endless         no ending (by default no note starts in the last\n"
    "                    bars)\n"
    "  -o, --output FILE the .mid file to write (required)\n"
    "  --quiet           print nothing but errors\n";

int au_cmd_compose(int argc, char **argv)
{
    static au_cli_options o;
    int r = au_cli_parse(argc, argv,
                         AU_OPT_PIECE | AU_OPT_LENGTH | AU_OPT_OUTPUT | AU_OPT_QUIET,
                         &o, usage);
    if (r == 1) return 0;
    if (r) return r;
    if (!o.output) {
        fprintf(stderr, "auralis: compose needs -o FILE.mid (see --help)\n");
        return 2;
    }
    char ext[16];
    if (strcmp(au_path_ext(o.output, ext, sizeof ext), "mid") &&
        strcmp(ext, "midi")) {
        fprintf(stderr,
                "auralis: --output must end in .mid or .midi (got '%s'); "
                "for audio use 'auralis render'\n", o.output);
        return 2;
    }

    static au_timeline tl;
    if (au_cli_build_timeline(&o, &tl)) return 2;
    au_outfile out;
    char err[512];
    if (au_cli_open_output(&o, &out)) {
        au_timeline_deinit(&tl);
        return 2;
    }

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    static au_composer c;
    au_composer_init(&c, &o.params, o.rate);
    au_midi_writer *w = NULL;
    if (au_midi_create(&w, &o.params)) {
        au_outfile_abort(&out);
        fprintf(stderr, "auralis: out of memory\n");
        return 1;
    }
    int64_t end = au_cli_length_frames(&o, 10.0);
    if (!o.endless && end >= o.rate) au_composer_set_end(&c, end);
    au_event ev;
    long notes = 0;
    double last_beat = 0, bpm = o.params.bpm;
    int64_t last_pos = 0;
    int next_change = 0;
    for (;;) {
        int64_t until = end;
        if (next_change < tl.n && tl.v[next_change].pos < until)
            until = tl.v[next_change].pos;
        while (au_composer_next(&c, until, &ev)) {
            au_midi_add(w, &ev);
            if (ev.type == AU_EV_NOTE_ON) notes++;
            if (ev.type == AU_EV_TEMPO) bpm = ev.u.tempo.bpm;
            last_beat = ev.beat;
            last_pos = ev.pos;
        }
        if (until >= end) break;
        const au_param_update *u = &tl.v[next_change++].u;
        au_composer_set(&c, u);
        for (int l = 0; l < AU_LAYER_COUNT; l++)
            if (u->mask & AU_P_VOLUME(l))
                au_midi_volume(w, l,
                               last_beat + (double)(until - last_pos) / o.rate *
                                               bpm / 60.0,
                               u->v.volume[l]);
    }
    /* the piece ends at end: extrapolate the beat from the last tempo */
    double end_beat = last_beat + (double)(end - last_pos) / o.rate * bpm / 60.0;
    size_t len = 0;
    const uint8_t *bytes = au_midi_bytes(w, end_beat, &len);
    int ok = bytes && write(out.fd, bytes, len) == (ssize_t)len;
    au_midi_destroy(w);
    au_timeline_deinit(&tl);
    if (!ok || au_outfile_commit(&out, err, sizeof err)) {
        if (ok) fprintf(stderr, "auralis: %s\n", err);
        else fprintf(stderr, "auralis: cannot write '%s'\n", o.output);
        au_outfile_abort(&out);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!o.quiet) {
        double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
        char desc[256];
        au_cli_describe(&o.params, desc, sizeof desc);
        fprintf(stderr, "composed %.1f min (%ld notes, %s) in %.3f s -> %s\n",
                end / (double)o.rate / 60.0, notes, desc, secs, o.output);
    }
    return 0;
}
