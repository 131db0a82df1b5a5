/* Lock-free single-producer single-consumer ring of fixed-size items, the
 * only hand-over between render workers and the service thread.
 * The caller owns the item storage (cap items, cap a power of two).
 * Thread-safety: exactly one producer thread and one consumer thread. */
#ifndef AU_SERVER_RING_H
#define AU_SERVER_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    /* head and tail on their own cache lines: producer and consumer write
     * one each, and false sharing would cost more than the ring itself */
    alignas(64) _Atomic uint64_t head; /* next index to write */
    alignas(64) _Atomic uint64_t tail; /* next index to read */
    alignas(64) void *items;
    size_t item_size;
    uint64_t mask;
} au_spsc;

/* cap must be a power of two >= 2; 0 or -1 */
static inline int au_spsc_init(au_spsc *r, void *items, size_t item_size,
                               uint64_t cap)
{
    if (cap < 2 || (cap & (cap - 1))) return -1;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    r->items = items;
    r->item_size = item_size;
    r->mask = cap - 1;
    return 0;
}

/* producer: copies item in; false when full */
static inline bool au_spsc_push(au_spsc *r, const void *item)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (h - t > r->mask) return false;
    memcpy((char *)r->items + (h & r->mask) * r->item_size, item, r->item_size);
    atomic_store_explicit(&r->head, h + 1, memory_order_release);
    return true;
}

/* consumer: copies the oldest item out; false when empty */
static inline bool au_spsc_pop(au_spsc *r, void *item)
{
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
    uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
    if (h == t) return false;
    memcpy(item, (char *)r->items + (t & r->mask) * r->item_size, r->item_size);
    atomic_store_explicit(&r->tail, t + 1, memory_order_release);
    return true;
}

/* either side: items waiting (a snapshot) */
static inline uint64_t au_spsc_count(au_spsc *r)
{
    uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
    uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
    return h - t;
}

#endif
