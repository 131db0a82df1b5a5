#include "server/conn_guard.h"

#include <assert.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <libwebsockets.h>

#include "core/au.h"
#include "server/http_guard.h"

struct au_conn_rec {
    uint32_t addr;
    bool counted;
    au_conn_rec *next;
};

int au_conn_guard_init(au_conn_guard *g, int max_conns, int limit,
                       _Atomic uint64_t *refused)
{
    g->limit = limit;
    g->refused = refused;
    g->accepted_addr = 0;
    g->free_recs = NULL;
    g->recs = calloc((size_t)max_conns, sizeof *g->recs);
    if (!g->recs || au_addrcount_init(&g->pending, max_conns)) {
        free(g->recs);
        g->recs = NULL;
        return AU_ENOMEM;
    }
    for (int i = max_conns - 1; i >= 0; i--) {
        g->recs[i].next = g->free_recs;
        g->free_recs = &g->recs[i];
    }
    return 0;
}

void au_conn_guard_deinit(au_conn_guard *g)
{
    au_addrcount_deinit(&g->pending);
    free(g->recs);
    g->recs = NULL;
}

int au_conn_guard_accept(au_conn_guard *g, int fd)
{
    g->accepted_addr = au_peer_addr_fd(fd);
    if (!g->limit || !g->accepted_addr) return 0;
    if (au_addrcount_get(&g->pending, g->accepted_addr) < g->limit) return 0;
#define BODY                                                                   \
    "{\"type\":\"error\",\"code\":\"too_many_connections\","                   \
    "\"message\":\"too many open connections from your address\"}"
    static_assert(sizeof BODY - 1 == 102, "content-length below");
    static const char r[] =
        "HTTP/1.1 503 Service Unavailable\r\n" AU_ISOLATION_HEADER_LINES
        "content-type: application/json\r\n"
        "connection: close\r\n"
        "content-length: 102\r\n\r\n" BODY;
#undef BODY
    /* a fresh socket with nothing queued: one small send, then lws closes
     * it (returning -1 from the filter) */
    (void)!send(fd, r, sizeof r - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    g->accepted_addr = 0;
    if (g->refused) atomic_fetch_add(g->refused, 1);
    return -1;
}

void au_conn_guard_created(au_conn_guard *g, struct lws *wsi)
{
    uint32_t a = g->accepted_addr;
    g->accepted_addr = 0;
    if (!a || !g->free_recs) return; /* not an accepted socket */
    au_conn_rec *r = g->free_recs;
    g->free_recs = r->next;
    r->addr = a;
    r->counted = true;
    au_addrcount_add(&g->pending, a, 1);
    lws_set_opaque_user_data(wsi, r);
}

void au_conn_guard_listener(au_conn_guard *g, struct lws *wsi)
{
    au_conn_rec *r = lws_get_opaque_user_data(wsi);
    if (!r || !r->counted) return;
    r->counted = false;
    au_addrcount_add(&g->pending, r->addr, -1);
}

void au_conn_guard_destroyed(au_conn_guard *g, struct lws *wsi)
{
    au_conn_rec *r = lws_get_opaque_user_data(wsi);
    if (!r) return;
    lws_set_opaque_user_data(wsi, NULL);
    if (r->counted) au_addrcount_add(&g->pending, r->addr, -1);
    r->counted = false;
    r->next = g->free_recs;
    g->free_recs = r;
}
