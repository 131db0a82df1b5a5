#include "server/procstat.h"

#include <dirent.h>
#include <malloc.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "server/metrics.h"

uint64_t au_proc_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return 0;
    unsigned long size = 0, resident = 0;
    int n = fscanf(f, "%lu %lu", &size, &resident);
    fclose(f);
    if (n != 2) return 0;
    return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Entries of /proc/self/fd, less the one opendir itself holds. */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n > 0 ? n - 1 : 0;
}

int au_proc_read(au_proc_stats *p)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        p->cpu_seconds =
            (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
            (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    /* in use = chunks handed out from the arenas plus mmapped blocks; free
     * = what the arenas hold but nobody uses (fragmentation, or memory
     * glibc keeps for reuse). Under ASan its own allocator answers 0. */
    struct mallinfo2 mi = mallinfo2();
    p->heap_inuse_bytes = (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
    p->heap_free_bytes = (uint64_t)mi.fordblks;
#endif
    p->open_fds = count_fds();
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        p->max_fds = rl.rlim_cur == RLIM_INFINITY ? -1 : (int64_t)rl.rlim_cur;
    p->rss_bytes = au_proc_rss_bytes();
    return p->rss_bytes ? 0 : -1;
}
