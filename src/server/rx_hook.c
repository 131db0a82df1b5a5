/* The recv() interposer (rx_hook.h). libwebsockets.so calls recv() from
 * lws_ssl_capable_read_no_ssl(); this definition in the executable takes
 * its place (the dynamic linker looks in the executable first) and calls
 * the kernel itself. */
#define _GNU_SOURCE
#include "server/rx_hook.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/au.h"
#include "server/rx_guard.h"

typedef struct {
    au_rxguard g;
    bool attached, dead;
    uint8_t stash_n;
    uint8_t stash[AU_RXGUARD_NAME_MAX];
} slot_t;

static slot_t *slots;
static int nslots;
static pthread_t owner;
static _Atomic uint64_t *rejected_ctr;

static ssize_t kernel_recv(int fd, void *buf, size_t len, int flags)
{
    return syscall(SYS_recvfrom, fd, buf, len, flags, NULL, NULL);
}

int au_rx_hook_init(int max_fds, _Atomic uint64_t *rejected)
{
    slots = calloc((size_t)max_fds, sizeof *slots);
    if (!slots) return AU_ENOMEM;
    nslots = max_fds;
    owner = pthread_self();
    rejected_ctr = rejected;
    return 0;
}

void au_rx_hook_deinit(void)
{
    slot_t *s = slots;
    nslots = 0;
    slots = NULL;
    free(s);
}

static slot_t *slot_of(int fd)
{
    if (fd < 0 || fd >= nslots || !slots) return NULL;
    return &slots[fd];
}

void au_rx_hook_attach(int fd)
{
    slot_t *s = slot_of(fd);
    if (!s) return;
    memset(s, 0, sizeof *s);
    au_rxguard_reset(&s->g);
    s->attached = true;
}

void au_rx_hook_hangup(int fd)
{
    slot_t *s = slot_of(fd);
    if (s && s->attached) s->dead = true;
}

ssize_t recv(int fd, void *buf, size_t len, int flags)
{
    slot_t *s = slot_of(fd);
    if (!s || !s->attached || (flags & MSG_PEEK) ||
        !pthread_equal(pthread_self(), owner))
        return kernel_recv(fd, buf, len, flags);
    if (s->dead) return 0; /* read as the end: libwebsockets closes */
    uint8_t *b = buf;
    size_t pre = s->stash_n;
    if (len <= pre) {
        errno = EAGAIN; /* never happens with libwebsockets' buffers */
        return -1;
    }
    memcpy(b, s->stash, pre);
    ssize_t r = kernel_recv(fd, b + pre, len - pre, flags);
    if (r < 0) return r; /* the stash waits for the bytes it needs */
    if (r == 0) return 0;
    s->stash_n = 0;
    size_t n = pre + (size_t)r;
    au_rxg_result res = au_rxguard_feed(&s->g, b, n);
    if (res.action != AU_RXG_PASS) {
        s->dead = true;
        if (rejected_ctr) atomic_fetch_add(rejected_ctr, 1);
        if (res.at) {
            /* whole requests came first: they are served, then the
             * connection ends where the bad one begins */
            return (ssize_t)res.at;
        }
        if (res.action == AU_RXG_ANSWER && !au_rxguard_answered(&s->g)) {
            /* nothing was sent on this socket yet: a small answer fits in
             * its empty send buffer */
            char reply[768];
            size_t rn = au_rxguard_reply(&res, reply, sizeof reply);
            if (rn) (void)!send(fd, reply, rn, MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        return 0;
    }
    if (res.hold) {
        memcpy(s->stash, b + n - res.hold, res.hold);
        s->stash_n = (uint8_t)res.hold;
        n -= res.hold;
        if (n == 0) {
            errno = EAGAIN;
            return -1;
        }
    }
    return (ssize_t)n;
}
