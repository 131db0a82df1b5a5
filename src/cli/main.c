/* auralis: the command line. Dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/au.h"
#include "server/export_job.h"

static const char usage[] =
    "usage: auralis <command> [options]\n"
    "\n"
    "Auralis, a real-time generative ambient music engine.\n"
    "\n"
    "commands:\n"
    "  compose   compose a piece to a Standard MIDI File\n"
    "  render    render a piece to WAV, FLAC, Opus or raw PCM\n"
    "  serve     stream endless music over WebSockets to browsers\n"
    "  bench     measure synthesis speed and memory\n"
    "\n"
    "  auralis <command> --help    options of one command\n"
    "  auralis --version           print the version\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("auralis %s\n", AU_VERSION);
        return 0;
    }
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {{"compose", au_cmd_compose},
                {"render", au_cmd_render},
                {"serve", au_cmd_serve},
                {"bench", au_cmd_bench}};
    /* the server's export child (export_job.h), not listed for people */
    if (!strcmp(cmd, "export-job")) return au_export_job_main(argc - 1, argv + 1);
    for (size_t i = 0; i < AU_ARRAY_LEN(cmds); i++)
        if (!strcmp(cmd, cmds[i].name)) return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "auralis: unknown command '%s' (allowed: compose, render, serve, bench)\n", cmd);
    return 2;
}
