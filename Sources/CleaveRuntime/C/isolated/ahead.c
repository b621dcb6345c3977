/* ahead.c: the first stages an isolated device's component has read ahead.
 *
 * Passes/Lookahead.swift lets the component that owns a UDP device run the
 * first stage of its next iterations (receive a datagram already read from the
 * kernel, compute and send its peers their part) while the peers answer the
 * current one. The results each such stage hands to the rest of its iteration
 * wait here, oldest first, until their iteration comes. A value is copied in
 * and out, as a channel's would be: pushed into the queue's own heap (the
 * iteration that read it ahead ends, and its region with it), popped into the
 * region of the iteration that takes it. The device reads one more ahead only
 * while the queue has room and its netif already holds a datagram
 * (cl_udp_device_read_ahead), so reading ahead never waits for input.
 */
#include "isolated.h"

#define CL_AHEAD_MAX 32 /* at most this many iterations ahead */

static struct {
    void *slot[CL_AHEAD_MAX];
    const cl_type *type[CL_AHEAD_MAX];
    int head, count;
    cl_heap *heap;
} queue;

bool cl_ahead_any(void) { return queue.count > 0; }

bool cl_ahead_held;

bool cl_ahead_room(void) { return !cl_ahead_held && queue.count < CL_AHEAD_MAX; }

bool cl_udp_device_read_ahead(cl_udp_device *d) {
    if (!cl_ahead_room() || !cl_netif_ready(d->netif)) return false;
    cl_count(CL_COUNT_READ_AHEAD, 1); /* asked only to read ahead, which it now will */
    return true;
}

void cl_ahead_push(const cl_type *t, const void *value) {
    if (queue.count == CL_AHEAD_MAX) cl_trap("runtime", "internal error: read ahead beyond the queue");
    if (!queue.heap) queue.heap = cl_heap_new("read ahead");
    void *slot = malloc(t->size ? t->size : 1);
    if (!slot) cl_trap("runtime", "out of memory reading ahead");
    memcpy(slot, value, t->size);
    cl_promote(t, slot, queue.heap, true);
    int k = (queue.head + queue.count) % CL_AHEAD_MAX;
    queue.slot[k] = slot;
    queue.type[k] = t;
    queue.count++;
}

void cl_ahead_pop(const cl_type *t, void *out) {
    if (queue.count == 0) cl_trap("runtime", "internal error: nothing was read ahead");
    void *slot = queue.slot[queue.head];
    memcpy(out, slot, t->size);
    cl_promote(t, out, cl_region, true);
    cl_release(t, slot, queue.heap);
    free(slot);
    queue.head = (queue.head + 1) % CL_AHEAD_MAX;
    queue.count--;
}

void cl_ahead_forget(void) {
    /* The component leaves before these iterations come: as in the sequential program, which
     * stops before them, their datagrams were never handed to the program. */
    cl_uncount(CL_COUNT_RECEIVED, (uint64_t)queue.count);
    cl_ahead_clear();
}

void cl_ahead_clear(void) {
    while (queue.count > 0) {
        void *slot = queue.slot[queue.head];
        cl_release(queue.type[queue.head], slot, queue.heap);
        free(slot);
        queue.head = (queue.head + 1) % CL_AHEAD_MAX;
        queue.count--;
    }
}
