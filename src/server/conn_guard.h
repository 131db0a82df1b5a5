/* Per-address limit on connections that are not (yet) streaming listeners:
 * idle sockets, slow or unfinished requests, plain HTTP (issue 12, item 2).
 * 1,300 idle connections from one address used to fill the connection
 * table so that /api/health and new listeners waited ~10 s. Now one
 * address holds at most --max-pending-per-address of them; more are
 * answered at once with 503 and closed, and an unfinished request is
 * closed after 5 s (http_guard.h). Listeners are not counted here (the
 * stream budget and --max-clients bound them). Service thread only. */
#ifndef AU_SERVER_CONN_GUARD_H
#define AU_SERVER_CONN_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "server/addrcount.h"

struct lws;

#define AU_DEFAULT_PENDING_PER_ADDRESS 32
/* connections beyond --max-clients the server keeps room for (HTTP,
 * handshakes, health checks) */
#define AU_CONN_HEADROOM 1024

typedef struct au_conn_rec au_conn_rec;

typedef struct {
    int limit; /* 0 = no limit */
    au_addrcount pending;
    au_conn_rec *recs, *free_recs;
    uint32_t accepted_addr; /* from the filter, for the adoption after it */
    _Atomic uint64_t *refused; /* metrics counter */
} au_conn_guard;

int au_conn_guard_init(au_conn_guard *g, int max_conns, int limit,
                       _Atomic uint64_t *refused);
void au_conn_guard_deinit(au_conn_guard *g);

/* LWS_CALLBACK_FILTER_NETWORK_CONNECTION: 0 to accept, -1 when the peer's
 * address is at its limit (a 503 has been sent on fd). */
int au_conn_guard_accept(au_conn_guard *g, int fd);
/* LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED: binds the accepted
 * address to the new wsi. */
void au_conn_guard_created(au_conn_guard *g, struct lws *wsi);
/* The connection became a streaming listener: it no longer counts. */
void au_conn_guard_listener(au_conn_guard *g, struct lws *wsi);
/* LWS_CALLBACK_WSI_DESTROY. */
void au_conn_guard_destroyed(au_conn_guard *g, struct lws *wsi);

#endif
