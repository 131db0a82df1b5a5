#include "server/addrcount.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "core/au.h"

/* Address 0 marks an empty slot (0.0.0.0 never connects). */
int au_addrcount_init(au_addrcount *t, int entries)
{
    uint32_t cap = 16;
    while (cap < (uint32_t)entries * 2u)
        cap <<= 1;
    t->addr = calloc(cap, sizeof *t->addr);
    t->count = calloc(cap, sizeof *t->count);
    t->mask = cap - 1;
    if (!t->addr || !t->count) {
        au_addrcount_deinit(t);
        return AU_ENOMEM;
    }
    return 0;
}

void au_addrcount_deinit(au_addrcount *t)
{
    free(t->addr);
    free(t->count);
    t->addr = NULL;
    t->count = NULL;
}

static uint32_t slot_of(uint32_t addr, uint32_t mask)
{
    return (addr * 2654435761u) & mask;
}

int au_addrcount_get(const au_addrcount *t, uint32_t addr)
{
    if (!addr || !t->addr) return 0;
    for (uint32_t i = slot_of(addr, t->mask), n = 0; n <= t->mask;
         i = (i + 1) & t->mask, n++) {
        if (t->addr[i] == addr) return t->count[i];
        if (!t->addr[i]) return 0;
    }
    return 0;
}

/* Linear probing with backward-shift deletion: no tombstones, so the table
 * never clogs with addresses seen long ago. */
static void erase(au_addrcount *t, uint32_t i)
{
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & t->mask;
        if (!t->addr[j]) break;
        uint32_t home = slot_of(t->addr[j], t->mask);
        /* may the entry at j move to the hole at i? only if its home is
         * not cyclically within (i, j] */
        bool stay = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stay) continue;
        t->addr[i] = t->addr[j];
        t->count[i] = t->count[j];
        i = j;
    }
    t->addr[i] = 0;
    t->count[i] = 0;
}

int au_addrcount_add(au_addrcount *t, uint32_t addr, int delta)
{
    if (!addr || !t->addr) return 0;
    for (uint32_t i = slot_of(addr, t->mask), n = 0; n <= t->mask;
         i = (i + 1) & t->mask, n++) {
        if (t->addr[i] == addr) {
            t->count[i] += delta;
            int c = t->count[i];
            if (c <= 0) erase(t, i);
            return c < 0 ? 0 : c;
        }
        if (!t->addr[i]) {
            if (delta <= 0) return 0;
            t->addr[i] = addr;
            t->count[i] = delta;
            return delta;
        }
    }
    return -1;
}

uint32_t au_peer_addr_fd(int fd)
{
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&a, &n) != 0 ||
        a.sin_family != AF_INET)
        return 0;
    return ntohl(a.sin_addr.s_addr);
}

uint32_t au_peer_addr(struct lws *wsi)
{
    return au_peer_addr_fd(lws_get_socket_fd(wsi));
}
