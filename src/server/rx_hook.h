/* recv() as libwebsockets sees it: each client socket's bytes pass through
 * the rx_guard shadow parser first (see rx_guard.h for why). Only reads
 * made on the server's service thread, on sockets it accepted, are
 * inspected; every other recv() in the process (libshout's, tests') goes
 * straight to the kernel. */
#ifndef AU_SERVER_RX_HOOK_H
#define AU_SERVER_RX_HOOK_H

#include <stdatomic.h>
#include <stdint.h>

/* Sizes the per-socket table for descriptors below max_fds and makes the
 * calling thread the one whose reads are inspected. 0 or AU_ENOMEM. */
int au_rx_hook_init(int max_fds, _Atomic uint64_t *rejected);
void au_rx_hook_deinit(void);
/* A socket the server accepted: its bytes are parsed from the start. */
void au_rx_hook_attach(int fd);
/* The socket is closing (or was never the server's): hands it back. */
void au_rx_hook_detach(int fd);
/* The server refused this connection's request and asked to close it: any
 * further bytes read on it are dropped and read as the end of the stream. */
void au_rx_hook_hangup(int fd);
/* Counters since init, for tests and metrics. */
typedef struct {
    uint64_t answered, closed, renamed, unmasked;
} au_rx_hook_stats;
au_rx_hook_stats au_rx_hook_get_stats(void);

#endif
