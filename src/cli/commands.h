/* Subcommands of the auralis CLI. Each takes the arguments after its name
 * (argv[0] is the subcommand) and returns the process exit status:
 * 0 success, 1 runtime failure, 2 bad usage or bad value. */
#ifndef AU_COMMANDS_H
#define AU_COMMANDS_H

int au_cmd_compose(int argc, char **argv);
int au_cmd_render(int argc, char **argv);
int au_cmd_serve(int argc, char **argv); /* src/cli/cmd_serve.c */
int au_cmd_bench(int argc, char **argv);

#endif
