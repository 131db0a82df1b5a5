/* The process monitor: a thread that samples resident memory every
 * interval_s into a leak detector (server/leak.h), publishes the slope
 * into the metrics through atomics, and logs one warning to stderr the
 * first time the slope passes the threshold over a window long enough to
 * mean something. A thread of its own, so leak detection runs whether or
 * not anyone scrapes, and the service thread never reads /proc for it.
 * Start and stop from one thread; the metrics must outlive the monitor. */
#ifndef AU_SERVER_PROCMON_H
#define AU_SERVER_PROCMON_H

#include "server/leak.h"
#include "server/metrics.h"

typedef struct au_procmon au_procmon;

/* 0 or AU_E...; the first sample is taken at once. */
int au_procmon_start(au_procmon **out, au_metrics *m,
                     const au_leak_config *cfg);
/* Wakes and joins the thread, frees everything. NULL is fine. */
void au_procmon_stop(au_procmon *p);

#endif
