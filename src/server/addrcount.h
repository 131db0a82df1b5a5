/* Counts per IPv4 address (open addressing, sized once at start-up), for
 * per-address limits on connections and streams. Service thread only. */
#ifndef AU_SERVER_ADDRCOUNT_H
#define AU_SERVER_ADDRCOUNT_H

#include <stdbool.h>
#include <stdint.h>

struct lws;

typedef struct {
    uint32_t *addr;
    int *count;
    uint32_t mask; /* capacity - 1 (a power of two) */
} au_addrcount;

/* Room for at least `entries` addresses with a count above 0. */
int au_addrcount_init(au_addrcount *t, int entries);
void au_addrcount_deinit(au_addrcount *t);
int au_addrcount_get(const au_addrcount *t, uint32_t addr);
/* Adds delta (+1/-1); returns the new count. A count that reaches 0 frees
 * its entry. Returns -1 if the table is full (it is sized not to be). */
int au_addrcount_add(au_addrcount *t, uint32_t addr, int delta);

/* The peer's IPv4 address of a socket (host order), 0 if unknown. */
uint32_t au_peer_addr_fd(int fd);
uint32_t au_peer_addr(struct lws *wsi);

#endif
