/* Output files that appear whole or not at all: written to a temporary file
 * beside the target and renamed into place on success; on failure the
 * temporary file is removed, so no partial file is ever left behind. */
#ifndef AU_CLI_OUTFILE_H
#define AU_CLI_OUTFILE_H

#include <stddef.h>

typedef struct {
    char final_path[4096];
    char tmp_path[4096];
    int fd;
} au_outfile;

/* Creates the temporary file. 0, or -1 with a message in err. */
int au_outfile_open(au_outfile *o, const char *path, char *err, size_t errlen);
/* Rename into place (0) or -1 with a message. */
int au_outfile_commit(au_outfile *o, char *err, size_t errlen);
/* Remove the temporary file. Safe to call after commit (does nothing). */
void au_outfile_abort(au_outfile *o);

/* The extension of path in lower case ("flac"), or "" */
const char *au_path_ext(const char *path, char *buf, size_t len);

#endif
