/* auralis serve: option parsing for the streaming server (src/server/). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/au.h"
#include "core/pieces.h"
#include "engine/engine.h"
#include "server/server.h"
#include "server/station_ctl.h"
#include "synth/sfont.h"

static const char usage[] =
    "usage: auralis serve [options]\n"
    "\n"
    "Streams endless generative music over WebSocket (ws://HOST:PORT/ws, see\n"
    "docs/protocol.md) and serves the web player at http://HOST:PORT/.\n"
    "Stop it with Ctrl-C (SIGINT) or SIGTERM.\n"
    "\n"
    "  --host ADDR         IPv4 address to listen on (default 127.0.0.1);\n"
    "                      0.0.0.0 exposes the server to the network\n"
    "  --port N            TCP port, 0..65535 (default 8000; 0 picks a free\n"
    "                      port and prints it)\n"
    "  --max-clients N     WebSocket listeners, 1..100000 (default 1024);\n"
    "                      more are refused with HTTP 503\n"
    "  --rate R            sample rate, 48000 or 44100 (default 48000)\n"
    "  --workers N         render threads, 1..256 (default: number of cores)\n"
    "  --web-root DIR      serve the player from DIR instead of the copy\n"
    "                      built into the binary (for development)\n"
    "  --station-linger S  seconds an empty station keeps playing before it\n"
    "                      is freed, 0..86400 (default 30)\n"
    "  --realtime          run the render threads with\n"
    "                      real-time (SCHED_RR) priority where permitted, so "
    "a\n"
    "                      busy machine cannot make chunks late\n"
    "  --max-streams N     streams rendered at once, lingering stations\n"
    "                      included, 1..100000 (default: measured at start,\n"
    "                      a third of what the workers render); new\n"
    "                      streams past it get HTTP 503\n"
    "  --max-streams-per-address N  streams one address may have started\n"
    "                      and alive, 0..100000 (default 8; 0 = no limit)\n"
    "  --max-pending-per-address N  connections one address may hold that\n"
    "                      are not listeners (idle, HTTP), 0..100000\n"
    "                      (default 32; 0 = no limit)\n"
    "  --station-control M who may change a station: open (any listener,\n"
    "                      default), owner (the listener who started it),\n"
    "                      locked (nobody)\n"
    "  --allow-origin LIST WebSocket upgrades from these origins too (comma\n"
    "                      list, e.g. https://app.example; '*' = any); by\n"
    "                      default only the player's own origin (or none)\n"
    "  --allow-host LIST   Host names answered besides loopback ones when\n"
    "                      bound to 127.x (e.g. behind a reverse proxy)\n"
    "  --opus-bitrate B    Opus streams (codec=opus, /stream/NAME.opus),\n"
    "                      32000..256000 bits/s (default 128000)\n"
    "  --piece NAME        piece of streams whose query names none: drift\n"
    "                      (default), rooms, glass, choir, night, pulse\n"
    "  --soundfont PATH    SF2/SF3 for the pieces' sampled instruments\n"
    "                      (default " AU_SFONT_DEFAULT_PATH ")\n"
    "  --no-soundfont      play every piece on Auralis's own instruments\n"
    "                      (about 1 MiB less per stream, 44 MiB less in all)\n"
    "  --icecast URL       publish stations to Icecast as Ogg Opus mounts\n"
    "                      PATH/NAME.opus: "
    "icecast://source:PASSWORD@HOST:PORT/PATH/\n"
    "                      (the password may come from "
    "AURALIS_ICECAST_PASSWORD)\n"
    "  --icecast-station NAME[?QUERY]  a station to publish, created at start\n"
    "                      with the query's parameters (e.g. "
    "'calm?seed=7&bpm=52');\n"
    "                      repeatable, up to 64; none: every station while it "
    "exists\n"
    "  --icecast-bitrate N accepted only equal to --opus-bitrate: mounts carry\n"
    "                      the stations' own Opus pages (one encode per station)\n"
    "  --quiet             print nothing but errors\n";

/* a second string: one over 4095 characters is not portable C */
static const char usage_export[] =
    "  --export-jobs N     export jobs queued or running at once, all\n"
    "                      clients, 0..64 (default 4; 0 switches exports off)\n"
    "  --export-per-client N  per client address, 1..16 (default 2)\n"
    "  --export-threads N  exports rendering at once (child processes,\n"
    "                      lowest priority), 1..16 (default 1)\n"
    "  --export-in-process render exports on server threads instead, and\n"
    "  --export-no-yield   never pause them for live streams (comparisons:\n"
    "                      docs/operations.md)\n"
    "  --export-max-minutes M  longest window one export covers, 1..1440\n"
    "                      (default 240)\n"
    "  --export-keep S     seconds a finished export file is kept,\n"
    "                      10..86400 (default 900)\n"
    "  --resume-keep S     seconds an ended performance is kept for resume\n"
    "                      and export, 0..86400 (default 600)\n";

static int parse_int(const char *opt, const char *s, long lo, long hi, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || errno || *end || v < lo || v > hi) {
        fprintf(stderr,
                "auralis: %s must be an integer between %ld and %ld "
                "(got '%s')\n",
                opt, lo, hi, s ? s : "");
        return -1;
    }
    *out = (int)v;
    return 0;
}

int au_cmd_serve(int argc, char **argv)
{
    au_server_config cfg = au_server_config_default();
    int linger_s = cfg.station_linger_ms / 1000;
    const char *stations[64];
    int nstations = 0;
    const char *soundfont = NULL;
    bool no_soundfont = false;
    int icecast_bitrate = 0; /* --icecast-bitrate: must equal --opus-bitrate */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            fputs(usage_export, stdout);
            return 0;
        }
        if (!strcmp(a, "--quiet")) {
            cfg.quiet = true;
            continue;
        }
        if (!strcmp(a, "--no-soundfont")) {
            no_soundfont = true;
            continue;
        }
        if (!strcmp(a, "--realtime")) {
            cfg.realtime = true;
            continue;
        }
        if (!strcmp(a, "--export-in-process")) {
            cfg.export_in_process = true;
            continue;
        }
        if (!strcmp(a, "--export-no-yield")) {
            cfg.export_no_yield = true;
            continue;
        }
        static const char *const with_value[] = {
            "--host",    "--port",     "--max-clients",   "--rate",
            "--workers", "--web-root", "--station-linger",
            "--allow-origin", "--allow-host", "--max-streams",
            "--max-streams-per-address", "--max-pending-per-address",
            "--station-control", "--opus-bitrate", "--piece", "--soundfont",
            "--export-jobs", "--export-per-client", "--export-threads",
            "--export-max-minutes", "--resume-keep", "--export-keep",
            "--icecast", "--icecast-station", "--icecast-bitrate"};
        int known = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++)
            if (!strcmp(a, with_value[k])) known = 1;
        if (!known) {
            fprintf(stderr,
                    "auralis: serve: unknown option '%s' (see auralis "
                    "serve --help)\n",
                    a);
            return 2;
        }
        if (!v) {
            fprintf(stderr, "auralis: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--host")) {
            cfg.host = v;
        } else if (!strcmp(a, "--port")) {
            if (parse_int(a, v, 0, 65535, &cfg.port)) return 2;
        } else if (!strcmp(a, "--max-clients")) {
            if (parse_int(a, v, 1, 100000, &cfg.max_clients)) return 2;
        } else if (!strcmp(a, "--rate")) {
            if (parse_int(a, v, 0, 1000000, &cfg.rate)) return 2;
            if (cfg.rate != 48000 && cfg.rate != 44100) {
                fprintf(stderr,
                        "auralis: --rate must be 48000 or 44100 (got '%s')\n",
                        v);
                return 2;
            }
        } else if (!strcmp(a, "--workers")) {
            if (parse_int(a, v, 1, 256, &cfg.workers)) return 2;
        } else if (!strcmp(a, "--web-root")) {
            cfg.web_root = v;
        } else if (!strcmp(a, "--station-linger")) {
            if (parse_int(a, v, 0, 86400, &linger_s)) return 2;
        } else if (!strcmp(a, "--allow-origin")) {
            cfg.allow_origins = v;
        } else if (!strcmp(a, "--allow-host")) {
            cfg.allow_hosts = v;
        } else if (!strcmp(a, "--max-streams")) {
            if (parse_int(a, v, 1, 100000, &cfg.max_streams)) return 2;
        } else if (!strcmp(a, "--max-streams-per-address")) {
            if (parse_int(a, v, 0, 100000, &cfg.max_streams_per_address))
                return 2;
        } else if (!strcmp(a, "--station-control")) {
            au_station_control sc;
            if (au_station_control_parse(v, &sc)) {
                fprintf(stderr,
                        "auralis: --station-control must be open, owner or "
                        "locked (got '%s')\n",
                        v);
                return 2;
            }
            cfg.station_control = (int)sc;
        } else if (!strcmp(a, "--max-pending-per-address")) {
            if (parse_int(a, v, 0, 100000, &cfg.max_pending_per_address))
                return 2;
        } else if (!strcmp(a, "--opus-bitrate")) {
            if (parse_int(a, v, 32000, 256000, &cfg.opus_bitrate)) return 2;
        } else if (!strcmp(a, "--piece")) {
            char err[256];
            if (au_parse_piece(v, &cfg.piece, err, sizeof err)) {
                fprintf(stderr, "auralis: --%s\n", err);
                return 2;
            }
        } else if (!strcmp(a, "--soundfont")) {
            soundfont = v;
        } else if (!strcmp(a, "--export-jobs")) {
            if (parse_int(a, v, 0, 64, &cfg.export_jobs)) return 2;
        } else if (!strcmp(a, "--export-per-client")) {
            if (parse_int(a, v, 1, 16, &cfg.export_per_client)) return 2;
        } else if (!strcmp(a, "--export-threads")) {
            if (parse_int(a, v, 1, 16, &cfg.export_threads)) return 2;
        } else if (!strcmp(a, "--export-max-minutes")) {
            if (parse_int(a, v, 1, 1440, &cfg.export_max_minutes)) return 2;
        } else if (!strcmp(a, "--export-keep")) {
            if (parse_int(a, v, 10, 86400, &cfg.export_keep_s)) return 2;
        } else if (!strcmp(a, "--resume-keep")) {
            if (parse_int(a, v, 0, 86400, &cfg.resume_keep_s)) return 2;
        } else if (!strcmp(a, "--icecast")) {
            cfg.icecast_url = v;
        } else if (!strcmp(a, "--icecast-station")) {
            if (nstations >= 64) {
                fprintf(stderr, "auralis: at most 64 --icecast-station\n");
                return 2;
            }
            stations[nstations++] = v;
        } else if (!strcmp(a, "--icecast-bitrate")) {
            if (parse_int(a, v, 32000, 256000, &icecast_bitrate)) return 2;
        }
    }
    /* a mount carries the station's own Opus pages (one encode per station
     * for every transport): its rate is the stations' */
    if (icecast_bitrate && icecast_bitrate != cfg.opus_bitrate) {
        fprintf(stderr,
                "auralis: --icecast-bitrate %d: Icecast mounts carry the "
                "stations' own Opus stream (encoded once for every "
                "transport), so they play at --opus-bitrate (%d); set "
                "--opus-bitrate %d instead\n",
                icecast_bitrate, cfg.opus_bitrate, icecast_bitrate);
        return 2;
    }
    /* loaded before any stream exists: streams share it */
    char err[512];
    if (no_soundfont && soundfont) {
        fprintf(stderr, "auralis: give --soundfont or --no-soundfont, not both\n");
        return 2;
    }
    if (!no_soundfont && au_engine_load_soundfont(soundfont, err, sizeof err) != 0) {
        if (soundfont) {
            fprintf(stderr, "auralis: --%s\n", err);
            return 2;
        }
        if (!cfg.quiet)
            fprintf(stderr,
                    "auralis: no SoundFont at %s (install fluid-soundfont-gm "
                    "or give --soundfont PATH): the pieces' SoundFont "
                    "instruments play on Auralis's own\n",
                    AU_SFONT_DEFAULT_PATH);
    }
    cfg.station_linger_ms = linger_s * 1000;
    if (nstations && !cfg.icecast_url) {
        fprintf(stderr, "auralis: --icecast-station needs --icecast URL\n");
        return 2;
    }
    cfg.icecast_stations = stations;
    cfg.icecast_nstations = nstations;
    int r = au_server_run(&cfg);
    if (r == AU_EINVAL) return 2;
    return r ? 1 : 0;
}
