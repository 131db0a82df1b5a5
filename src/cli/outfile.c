#include "outfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int au_outfile_open(au_outfile *o, const char *path, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    if (strlen(path) + 16 >= sizeof o->tmp_path) {
        snprintf(err, errlen, "output path is too long (%zu characters)", strlen(path));
        return -1;
    }
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "cannot write '%s': it is a directory", path);
        return -1;
    }
    snprintf(o->final_path, sizeof o->final_path, "%s", path);
    /* the temporary file sits in the same directory so rename is atomic */
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(o->tmp_path, sizeof o->tmp_path, "%.*s.%s.partXXXXXX",
                 (int)(slash - path + 1), path, slash + 1);
    else
        snprintf(o->tmp_path, sizeof o->tmp_path, ".%s.partXXXXXX", path);
    o->fd = mkstemp(o->tmp_path);
    if (o->fd < 0) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        o->tmp_path[0] = 0;
        return -1;
    }
    fchmod(o->fd, 0644 & ~(mode_t)0);
    return 0;
}

int au_outfile_commit(au_outfile *o, char *err, size_t errlen)
{
    if (o->fd >= 0) {
        if (fsync(o->fd) != 0 && errno != EINVAL) {
            snprintf(err, errlen, "cannot write '%s': %s", o->final_path, strerror(errno));
            au_outfile_abort(o);
            return -1;
        }
        close(o->fd);
        o->fd = -1;
    }
    if (rename(o->tmp_path, o->final_path) != 0) {
        snprintf(err, errlen, "cannot write '%s': %s", o->final_path, strerror(errno));
        au_outfile_abort(o);
        return -1;
    }
    o->tmp_path[0] = 0;
    return 0;
}

void au_outfile_abort(au_outfile *o)
{
    if (o->fd >= 0) {
        close(o->fd);
        o->fd = -1;
    }
    if (o->tmp_path[0]) {
        unlink(o->tmp_path);
        o->tmp_path[0] = 0;
    }
}

const char *au_path_ext(const char *path, char *buf, size_t len)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    size_t i = 0;
    if (dot && dot[1])
        for (const char *p = dot + 1; *p && i + 1 < len; p++)
            buf[i++] = (char)tolower((unsigned char)*p);
    buf[i] = 0;
    return buf;
}
