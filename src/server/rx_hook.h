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
/* A socket the server accepted: its bytes are parsed from the start. There
 * is no detach: a closed socket's slot stays attached until its number is
 * accepted again (which resets it), and the service thread reads no socket
 * it did not accept. */
void au_rx_hook_attach(int fd);
/* The server refused this connection's request and asked to close it: any
 * further bytes read on it are dropped and read as the end of the stream. */
void au_rx_hook_hangup(int fd);

#endif
