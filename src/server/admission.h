/* Admission by render capacity (issue 12, item 1). Every stream costs an
 * engine on a render worker, whether it has listeners or is an empty
 * station lingering; past what the workers can render on time, every
 * listener's audio goes late. So new streams are refused (HTTP 503, with
 * the reason) once the budget is spent, before existing listeners suffer:
 *   --max-streams N              all streams, lingering stations included;
 *                                default: measured at start-up
 *   --max-streams-per-address N  streams one address may have created and
 *                                alive (lingering stations count for their
 *                                creator); default 8
 * Joining an existing station creates no stream and is always admitted
 * (up to --max-clients). Service thread only. */
#ifndef AU_SERVER_ADMISSION_H
#define AU_SERVER_ADMISSION_H

#include <stdint.h>

#include "server/addrcount.h"

#define AU_DEFAULT_STREAMS_PER_ADDRESS 8
/* share of the measured render capacity given out. One engine measured
 * alone runs from cache; hundreds share it, the service thread sends
 * every chunk, and other work shares the machine: a third is given out */
#define AU_ADMISSION_HEADROOM 0.33

typedef struct {
    int max_streams, per_address;
    int live; /* streams alive, lingering stations included */
    au_addrcount by_addr;
} au_admission;

/* Streams the machine can render on time: one engine's CPU cost per second
 * of audio, measured here (about 2 s of audio, thread CPU time, so a busy
 * machine does not lower it), times the usable workers, times the
 * headroom. *x_realtime gets the single-engine speed (x real time). */
int au_admission_measure(int workers, int rate, double *x_realtime);

int au_admission_init(au_admission *a, int max_streams, int per_address,
                      int max_entries);
void au_admission_deinit(au_admission *a);

typedef enum {
    AU_ADMIT_OK,
    AU_ADMIT_CAPACITY,    /* --max-streams reached */
    AU_ADMIT_PER_ADDRESS, /* this address's share reached */
} au_admit;

/* May addr create one more stream now? */
au_admit au_admission_check(const au_admission *a, uint32_t addr);
/* A stream created for addr / freed (addr as given when created). */
void au_admission_created(au_admission *a, uint32_t addr);
void au_admission_freed(au_admission *a, uint32_t addr);

#endif
