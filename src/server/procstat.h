/* What the process costs, read from the kernel and the allocator when a
 * report is made or the process monitor samples: resident memory, CPU,
 * heap in use (glibc mallinfo2), open file descriptors.
 * Service or monitor thread only: these read /proc and take malloc's arena
 * locks, so never call them from a render worker. */
#ifndef AU_SERVER_PROCSTAT_H
#define AU_SERVER_PROCSTAT_H

#include <stdint.h>

/* Resident set size in bytes, or 0 if /proc/self/statm is unreadable. */
uint64_t au_proc_rss_bytes(void);

#endif
