/* tcp.c: a netif of kernel TCP sockets: listeners, and the connections they accept.
 *
 * A TcpDevice listens on one socket per source port (bound like a UDP device's:
 * 0.0.0.0 and the port its spec maps it to, announced on standard error) and
 * hands the program one event at a time: a connection opened, bytes received on
 * it, or it closed. Every descriptor is non-blocking and waited on with one epoll
 * set (level-triggered), together with the wake pipe (wait.c), so that one slow
 * or silent peer never holds up another.
 *
 * Connections. Each accepted connection has a slot; its id, which the program
 * sees, is the slot with a serial number above it (id = serial << 24 | slot), so
 * an id is never given twice in a run and a stale id finds nothing. At most
 * `limit` are open at once (what the descriptor limit allows); one accepted
 * beyond that is closed at once and counted as refused, so the kernel's queue
 * never fills with connections nobody serves.
 *
 * Receiving. Each ready connection is read once per wake-up, at most CHUNK
 * bytes, and the bytes are one `received` event: level-triggered epoll brings it
 * back if more is waiting, so a peer that sends a lot takes turns with the rest.
 * A read of 0 (the peer finished sending) or an error (it reset) is the
 * connection's `closed` event.
 *
 * Sending never blocks the program: bytes sent wait in the connection's output
 * queue and leave, all that can, before the device next waits for input (or at
 * once when the queue passes FLUSH), so that the replies to a pipelined burst
 * leave in one system call; a large send (DIRECT or more) with nothing waiting
 * before it is written at once from the program's bytes, uncopied; what the kernel does not take is written when
 * epoll says the socket has room. Back-pressure: while more than HIGH bytes wait
 * for a peer, the device stops reading that peer (so it cannot be made to hold
 * more by sending more requests) and reads it again once LOW bytes or fewer
 * wait. A connection whose queue would pass LIMIT_OUT is reset and counted.
 *
 * Closing. Every connection ends with exactly one `closed` event, whether the
 * peer ended it or the program did (close: the event comes at the next receive);
 * what the program sends in the iteration that handles the event still leaves.
 * From the next receive on the connection is retired: what waits is sent, the
 * writing side is shut (the peer reads the end), what the peer still sends is
 * read and discarded until it closes too (so the kernel never answers unread
 * bytes with a reset that would destroy the replies in flight), then the
 * descriptor is closed. A retired connection that takes longer than
 * FINISH_SECONDS (a peer that never reads) is reset and counted.
 */
#define _GNU_SOURCE /* accept4 */
#include "driver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536               /* read at most this much per connection per wake-up */
#define FLUSH 65536               /* a queue this long is written at once */
#define DIRECT 16384              /* bytes this many, sent with nothing waiting, are written at once, uncopied */
#define HIGH (1u << 20)           /* stop reading a peer whose replies wait beyond this */
#define LOW (256u << 10)          /* ... and read it again at this */
#define LIMIT_OUT (64u << 20)     /* a queue that would pass this resets the connection */
#define FINISH_SECONDS 30         /* a retired connection's time to take what waits and close */
#define EVENTS 256                /* epoll events taken per wait */
#define SLOT_BITS 24
#define SLOT_MASK ((1u << SLOT_BITS) - 1)
#define LISTENER_TAG (1ull << 63) /* epoll data of a listener: the tag and its index */
#define WAKE_TAG (1ull << 62)

typedef enum { FREE, OPEN, DONE, RETIRED } conn_state;

typedef struct conn {
    int fd;
    uint8_t state;        /* conn_state */
    bool reading;         /* EPOLLIN is in its interest */
    bool writing;         /* EPOLLOUT is in its interest */
    bool closing;         /* the program closed it, or it broke: its closed event is queued */
    bool peer_done;       /* the peer finished sending (read 0) */
    bool broken;          /* reset or failed: nothing more is written */
    bool dirty;           /* on the dirty list: has output not yet tried */
    int64_t id;
    int64_t port;
    uint32_t peer_address;
    uint16_t peer_port;
    uint8_t *out;         /* the output queue: bytes out_head..<out_length wait */
    size_t out_head, out_length, out_capacity;
    int64_t deadline;     /* retired: when it is reset if not done */
    uint32_t retired_prev, retired_next; /* the retired list, oldest first (deadlines in order) */
} conn;

struct cl_tcp {
    size_t count;           /* listeners */
    int64_t *ports;         /* source ports */
    int *listeners;
    int epoll;
    conn *slots;
    uint32_t capacity;      /* slots allocated */
    uint32_t used;          /* slots ever used: 0..<used */
    uint32_t *free_slots;
    uint32_t free_count;
    uint32_t open;          /* connections with a descriptor */
    uint32_t limit;
    uint64_t serial;
    struct epoll_event events[EVENTS];
    int event_count, event_next;
    /* The closed events queued (the program closed, or a write failed), in order. */
    uint32_t *closing;
    uint32_t closing_head, closing_count;
    /* Connections whose closed event was handed out by the last receive: retired at the next. */
    uint32_t *done;
    uint32_t done_count;
    /* Connections with output not yet tried. */
    uint32_t *dirty;
    uint32_t dirty_count;
    uint32_t retired_head, retired_tail; /* UINT32_MAX: none */
    uint8_t *buffer;        /* CHUNK bytes: what the last read brought */
};

static int64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- Binding (the launcher's half, or the unikernel's) ---------------------- */

int cl_tcp_bind(const int64_t *ports, const uint16_t *bind_ports, size_t count, int *fds) {
    for (size_t i = 0; i < count; i++) fds[i] = -1;
    for (size_t i = 0; i < count; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            fprintf(stderr, "%s: tcp: port %lld: cannot create a socket: %s\n", cl_program_name, (long long)ports[i], strerror(errno));
            goto failed;
        }
        fds[i] = fd;
        /* For TCP, SO_REUSEADDR only lets a restarted service bind while its old
         * connections linger in TIME_WAIT; a port another socket listens on still fails. */
        int on = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        struct sockaddr_in address;
        memset(&address, 0, sizeof address);
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_ANY);
        address.sin_port = htons(bind_ports[i]);
        if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, 4096) != 0) {
            fprintf(stderr, "%s: tcp: port %lld: cannot listen on 0.0.0.0:%u: %s\n", cl_program_name, (long long)ports[i],
                    (unsigned)bind_ports[i], strerror(errno));
            goto failed;
        }
        if (cl_netif_announce(fd, "tcp", "TCP", ports[i]) != 0) goto failed;
    }
    return 0;
failed:
    for (size_t i = 0; i < count; i++)
        if (fds[i] >= 0) close(fds[i]);
    return -1;
}

/* ---- Adopting the listeners -------------------------------------------------- */

/* How many connections may be open: the descriptor limit (raised to its hard limit), less
 * room for the rest of the process. */
static uint32_t connection_limit(void) {
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) != 0) return 1000;
    if (r.rlim_cur < r.rlim_max) {
        struct rlimit raised = {.rlim_cur = r.rlim_max, .rlim_max = r.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) r = raised;
    }
    rlim_t n = r.rlim_cur == RLIM_INFINITY ? (1u << 20) : r.rlim_cur;
    if (n > (1u << 20)) n = 1u << 20;
    return n > 128 ? (uint32_t)(n - 64) : (uint32_t)(n / 2);
}

static int interest(cl_tcp *tcp, conn *c, int op) {
    struct epoll_event e = {.events = (c->reading ? EPOLLIN : 0) | (c->writing ? EPOLLOUT : 0),
                            .data.u64 = (uint64_t)c->id};
    return epoll_ctl(tcp->epoll, op, c->fd, &e);
}

static void want(cl_tcp *tcp, conn *c, bool reading, bool writing) {
    if (c->reading == reading && c->writing == writing) return;
    c->reading = reading;
    c->writing = writing;
    interest(tcp, c, EPOLL_CTL_MOD);
}

cl_tcp *cl_tcp_adopt(const int64_t *ports, const int *fds, size_t count) {
    cl_tcp *tcp = calloc(1, sizeof *tcp);
    if (!tcp) goto no_memory;
    tcp->epoll = -1;
    tcp->retired_head = tcp->retired_tail = UINT32_MAX;
    tcp->count = count;
    tcp->ports = calloc(count, sizeof *tcp->ports);
    tcp->listeners = calloc(count, sizeof *tcp->listeners);
    tcp->buffer = malloc(CHUNK);
    if (!tcp->ports || !tcp->listeners || !tcp->buffer) goto no_memory;
    for (size_t i = 0; i < count; i++) tcp->listeners[i] = -1;
    tcp->limit = connection_limit();
    tcp->epoll = epoll_create1(EPOLL_CLOEXEC);
    if (tcp->epoll < 0) {
        fprintf(stderr, "%s: tcp: epoll: %s\n", cl_program_name, strerror(errno));
        cl_tcp_close(tcp);
        return NULL;
    }
    for (size_t i = 0; i < count; i++) {
        tcp->ports[i] = ports[i];
        tcp->listeners[i] = fds[i];
        struct epoll_event e = {.events = EPOLLIN, .data.u64 = LISTENER_TAG | i};
        if (epoll_ctl(tcp->epoll, EPOLL_CTL_ADD, fds[i], &e) != 0) {
            fprintf(stderr, "%s: tcp: port %lld: epoll: %s\n", cl_program_name, (long long)ports[i], strerror(errno));
            cl_tcp_close(tcp);
            return NULL;
        }
    }
    int wake = cl_netif_stop_pipe(0);
    if (wake >= 0) {
        struct epoll_event e = {.events = EPOLLIN, .data.u64 = WAKE_TAG};
        epoll_ctl(tcp->epoll, EPOLL_CTL_ADD, wake, &e);
    }
    cl_count(CL_COUNT_TCP_PORTS, count);
    return tcp;
no_memory:
    fprintf(stderr, "%s: tcp: out of memory\n", cl_program_name);
    cl_tcp_close(tcp);
    return NULL;
}

size_t cl_tcp_descriptors(const cl_tcp *tcp, int *out, size_t capacity) {
    size_t n = 0;
    for (size_t i = 0; i < tcp->count && n < capacity; i++) out[n++] = tcp->listeners[i];
    if (n < capacity && tcp->epoll >= 0) out[n++] = tcp->epoll;
    return n;
}

/* ---- Connections -------------------------------------------------------------- */

static conn *find(cl_tcp *tcp, int64_t id) {
    if (id <= 0) return NULL;
    uint32_t slot = (uint32_t)id & SLOT_MASK;
    if (slot >= tcp->used) return NULL;
    conn *c = &tcp->slots[slot];
    return c->state != FREE && c->id == id ? c : NULL;
}

static uint32_t slot_of(const cl_tcp *tcp, const conn *c) { return (uint32_t)(c - tcp->slots); }

/* Append to a list of slots that grows with the slot table (each holds a slot at most once,
 * or, for the closing queue, once per connection). */
static bool push(uint32_t **list, uint32_t *count, uint32_t capacity, uint32_t slot) {
    if (*count >= capacity) return false;
    (*list)[(*count)++] = slot;
    return true;
}

static bool grow(cl_tcp *tcp) {
    uint32_t capacity = tcp->capacity ? tcp->capacity * 2 : 64;
    if (capacity > SLOT_MASK + 1u) capacity = SLOT_MASK + 1u;
    if (capacity <= tcp->capacity) return false;
    conn *slots = realloc(tcp->slots, capacity * sizeof *slots);
    if (!slots) return false;
    tcp->slots = slots;
    uint32_t **lists[] = {&tcp->free_slots, &tcp->closing, &tcp->done, &tcp->dirty};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        uint32_t *l = realloc(*lists[i], capacity * sizeof **lists[i]);
        if (!l) return false;
        *lists[i] = l;
    }
    /* The closing queue is a ring: unwrap it into the larger array. */
    if (tcp->closing_count > 0 && tcp->closing_head + tcp->closing_count > tcp->capacity) {
        uint32_t wrapped = tcp->closing_head + tcp->closing_count - tcp->capacity;
        memcpy(tcp->closing + tcp->capacity, tcp->closing, wrapped * sizeof *tcp->closing);
    }
    tcp->capacity = capacity;
    return true;
}

static conn *new_conn(cl_tcp *tcp) {
    uint32_t slot;
    if (tcp->free_count > 0) {
        slot = tcp->free_slots[--tcp->free_count];
    } else {
        if (tcp->used == tcp->capacity && !grow(tcp)) return NULL;
        slot = tcp->used++;
    }
    conn *c = &tcp->slots[slot];
    memset(c, 0, sizeof *c);
    c->fd = -1;
    tcp->serial++;
    c->id = (int64_t)((tcp->serial << SLOT_BITS) | slot);
    return c;
}

/* Close the descriptor and free the slot (it is on no list by now but the dirty one, which
 * skips free slots). `reset`: the peer gets a reset rather than an orderly end. */
static void unlink_retired(cl_tcp *tcp, conn *c) {
    if (c->retired_prev == UINT32_MAX) tcp->retired_head = c->retired_next;
    else tcp->slots[c->retired_prev].retired_next = c->retired_next;
    if (c->retired_next == UINT32_MAX) tcp->retired_tail = c->retired_prev;
    else tcp->slots[c->retired_next].retired_prev = c->retired_prev;
}

static void release(cl_tcp *tcp, conn *c, bool reset) {
    if (c->state == RETIRED && c->deadline > 0) unlink_retired(tcp, c);
    if (c->fd >= 0) {
        if (reset) {
            struct linger l = {.l_onoff = 1, .l_linger = 0};
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        }
        close(c->fd); /* also leaves the epoll set */
        tcp->open--;
    }
    free(c->out);
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->state = FREE;
    tcp->free_slots[tcp->free_count++] = slot_of(tcp, c);
}

/* The program hears of the connection's end at the next receive. */
static void queue_closed(cl_tcp *tcp, conn *c) {
    if (c->closing || c->state != OPEN) return;
    c->closing = true;
    uint32_t k = (tcp->closing_head + tcp->closing_count) % tcp->capacity;
    tcp->closing[k] = slot_of(tcp, c);
    tcp->closing_count++;
}

static void broke(cl_tcp *tcp, conn *c) {
    c->broken = true;
    c->out_head = c->out_length = 0;
    queue_closed(tcp, c);
}

/* Write what waits, as much as the kernel takes now. */
static void flush(cl_tcp *tcp, conn *c) {
    while (c->out_head < c->out_length && !c->broken) {
        ssize_t n = send(c->fd, c->out + c->out_head, c->out_length - c->out_head, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            cl_count(CL_COUNT_TCP_BYTES_SENT, (uint64_t)n);
            c->out_head += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        broke(tcp, c); /* EPIPE, ECONNRESET: the peer is gone */
        break;
    }
    if (c->out_head == c->out_length) {
        c->out_head = c->out_length = 0;
        if (c->out_capacity > FLUSH) { /* an idle connection keeps no large buffer */
            free(c->out);
            c->out = NULL;
            c->out_capacity = 0;
        }
    }
    size_t waiting = c->out_length - c->out_head;
    bool reading = c->state == RETIRED ? !c->peer_done
                                       : c->state == OPEN && !c->closing && !c->peer_done &&
                                             (c->reading ? waiting <= HIGH : waiting <= LOW);
    if (c->broken) reading = false;
    want(tcp, c, reading, waiting > 0 && !c->broken);
}

static void flush_dirty(cl_tcp *tcp) {
    for (uint32_t i = 0; i < tcp->dirty_count; i++) {
        conn *c = &tcp->slots[tcp->dirty[i]];
        if (c->state == FREE || !c->dirty) continue;
        c->dirty = false;
        flush(tcp, c);
    }
    tcp->dirty_count = 0;
}

/* A retired connection goes on when what waits has left: shut the writing side, and close
 * once the peer has closed too. Returns true when it was released. */
static bool finish(cl_tcp *tcp, conn *c) {
    if (c->broken) {
        release(tcp, c, true);
        return true;
    }
    if (c->out_head < c->out_length) return false;
    shutdown(c->fd, SHUT_WR);
    if (c->peer_done) {
        release(tcp, c, false);
        return true;
    }
    return false;
}

/* The connections whose closed event the program has had: retire each. */
static void retire_done(cl_tcp *tcp) {
    for (uint32_t i = 0; i < tcp->done_count; i++) {
        conn *c = &tcp->slots[tcp->done[i]];
        if (c->state != DONE) continue;
        c->state = RETIRED;
        if (!c->broken) flush(tcp, c);
        if (finish(tcp, c)) continue;
        want(tcp, c, !c->peer_done, c->out_head < c->out_length);
        c->deadline = now_ms() + FINISH_SECONDS * 1000;
        uint32_t slot = slot_of(tcp, c);
        c->retired_prev = tcp->retired_tail;
        c->retired_next = UINT32_MAX;
        if (tcp->retired_tail == UINT32_MAX) tcp->retired_head = slot;
        else tcp->slots[tcp->retired_tail].retired_next = slot;
        tcp->retired_tail = slot;
    }
    tcp->done_count = 0;
}

/* Retired connections past their time are reset (a released one has left the list). Returns
 * the milliseconds until the next deadline, or -1. */
static int expire(cl_tcp *tcp) {
    int64_t now = -1;
    while (tcp->retired_head != UINT32_MAX) {
        conn *c = &tcp->slots[tcp->retired_head];
        if (now < 0) now = now_ms();
        if (c->deadline > now) return (int)(c->deadline - now);
        cl_count(CL_COUNT_TCP_RESET, 1);
        release(tcp, c, true);
    }
    return -1;
}

/* ---- Events ------------------------------------------------------------------- */

static void fill(const conn *c, int kind, cl_tcp_event *out) {
    out->kind = kind;
    out->id = c->id;
    out->port = c->port;
    out->peer_address = c->peer_address;
    out->peer_port = c->peer_port;
    out->data = NULL;
    out->length = 0;
}

static void deliver_closed(cl_tcp *tcp, conn *c, cl_tcp_event *out) {
    fill(c, CL_TCP_CLOSED, out);
    c->state = DONE;
    c->closing = true;
    want(tcp, c, false, c->writing);
    push(&tcp->done, &tcp->done_count, tcp->capacity, slot_of(tcp, c));
}

/* Accept one connection on listener i: 1 and its opened event, 0 when none is waiting. */
static int accept_one(cl_tcp *tcp, size_t i, cl_tcp_event *out) {
    for (;;) {
        struct sockaddr_in peer;
        socklen_t length = sizeof peer;
        int fd = accept4(tcp->listeners[i], (struct sockaddr *)&peer, &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            /* EAGAIN: drained. EMFILE, ENOBUFS…: try again at the next wake-up. */
            return 0;
        }
        conn *c = tcp->open < tcp->limit ? new_conn(tcp) : NULL;
        if (!c) {
            cl_count(CL_COUNT_TCP_REFUSED, 1);
            close(fd);
            continue;
        }
        c->fd = fd;
        c->state = OPEN;
        c->reading = true;
        c->port = tcp->ports[i];
        c->peer_address = peer.sin_family == AF_INET ? ntohl(peer.sin_addr.s_addr) : 0;
        c->peer_port = peer.sin_family == AF_INET ? ntohs(peer.sin_port) : 0;
        int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
        if (interest(tcp, c, EPOLL_CTL_ADD) != 0) {
            release(tcp, c, true);
            cl_count(CL_COUNT_TCP_REFUSED, 1);
            continue;
        }
        tcp->open++;
        cl_count(CL_COUNT_TCP_OPENED, 1);
        fill(c, CL_TCP_OPENED, out);
        return 1;
    }
}

/* Serve one epoll event: 1 and an event for the program, or 0. */
static int serve(cl_tcp *tcp, const struct epoll_event *e, cl_tcp_event *out) {
    if (e->data.u64 & LISTENER_TAG) return accept_one(tcp, (size_t)(e->data.u64 & ~LISTENER_TAG), out);
    conn *c = find(tcp, (int64_t)e->data.u64);
    if (!c) return 0; /* released since the wait */
    bool hangup = e->events & (EPOLLHUP | EPOLLERR);
    if ((e->events & EPOLLOUT) || (hangup && c->out_head < c->out_length)) {
        flush(tcp, c);
        if (c->state == RETIRED && finish(tcp, c)) return 0;
    }
    if (!c->reading) {
        /* Not read from (back-pressure, or its end is being taken care of): a hang-up
         * without output to fail on still ends it. */
        if (hangup && c->state == OPEN && !c->closing) broke(tcp, c);
        else if (hangup && c->state == RETIRED) release(tcp, c, true);
        return 0;
    }
    if (!(e->events & EPOLLIN) && !hangup) return 0;
    ssize_t n;
    do n = recv(c->fd, tcp->buffer, CHUNK, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    if (c->state == RETIRED) { /* what the peer sends after the end is read and dropped */
        if (n > 0) return 0;
        if (n < 0) {
            release(tcp, c, true);
            return 0;
        }
        c->peer_done = true;
        if (!finish(tcp, c)) want(tcp, c, false, c->out_head < c->out_length);
        return 0;
    }
    if (c->state != OPEN || c->closing) return 0;
    if (n > 0) {
        cl_count(CL_COUNT_TCP_BYTES_RECEIVED, (uint64_t)n);
        fill(c, CL_TCP_RECEIVED, out);
        out->data = tcp->buffer;
        out->length = (size_t)n;
        return 1;
    }
    if (n == 0) c->peer_done = true;
    else c->broken = true, c->out_head = c->out_length = 0;
    deliver_closed(tcp, c, out);
    return 1;
}

int cl_tcp_receive(cl_tcp *tcp, cl_tcp_event *out) {
    retire_done(tcp);
    for (;;) {
        if (tcp->closing_count > 0) {
            conn *c = &tcp->slots[tcp->closing[tcp->closing_head]];
            tcp->closing_head = (tcp->closing_head + 1) % tcp->capacity;
            tcp->closing_count--;
            if (c->state == OPEN && c->closing) {
                deliver_closed(tcp, c, out);
                return 1;
            }
            continue;
        }
        while (tcp->event_next < tcp->event_count) {
            const struct epoll_event *e = &tcp->events[tcp->event_next];
            /* A listener stays the current event until it has no connection waiting. */
            if (!(e->data.u64 & LISTENER_TAG)) tcp->event_next++;
            if (e->data.u64 == WAKE_TAG) {
                tcp->event_next = tcp->event_count;
                return -1; /* a stop, or a change the wait must look at */
            }
            int got = serve(tcp, e, out);
            if (e->data.u64 & LISTENER_TAG && !got) tcp->event_next++;
            if (got) return 1;
            if (tcp->closing_count > 0) break;
        }
        if (tcp->closing_count > 0) continue;
        /* Everything received is answered: the replies leave before the next wait. */
        flush_dirty(tcp);
        if (tcp->closing_count > 0) continue;
        int timeout = expire(tcp);
        cl_netif_waiting_for_input(1);
        int n = epoll_wait(tcp->epoll, tcp->events, EVENTS, timeout);
        cl_netif_waiting_for_input(0);
        tcp->event_next = 0;
        tcp->event_count = n > 0 ? n : 0;
        if (n < 0) {
            if (errno == EINTR) return -1;
            fprintf(stderr, "%s: tcp: epoll_wait: %s\n", cl_program_name, strerror(errno));
            return 0;
        }
    }
}

void cl_tcp_send(cl_tcp *tcp, int64_t id, const uint8_t *data, size_t length) {
    conn *c = find(tcp, id);
    /* Sent on a connection that is over (or was never one): dropped, as the program was told. */
    if (!c || c->state == RETIRED || c->broken || (c->closing && c->state == OPEN)) {
        cl_count(CL_COUNT_TCP_BYTES_DROPPED, length);
        return;
    }
    if (length == 0) return;
    size_t waiting = c->out_length - c->out_head;
    if (waiting == 0 && length >= DIRECT) {
        /* A large reply with nothing before it: the kernel takes what it can straight from the
         * program's bytes, and only the rest is queued (no batch to join: it fills one anyway). */
        ssize_t n;
        do n = send(c->fd, data, length, MSG_NOSIGNAL | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            broke(tcp, c);
            return;
        }
        if (n > 0) {
            cl_count(CL_COUNT_TCP_BYTES_SENT, (uint64_t)n);
            data += n;
            length -= (size_t)n;
        }
        if (length == 0) return;
    }
    if (waiting + length > LIMIT_OUT) {
        cl_count(CL_COUNT_TCP_BYTES_DROPPED, length);
        cl_count(CL_COUNT_TCP_RESET, 1);
        broke(tcp, c);
        return;
    }
    if (c->out_length + length > c->out_capacity) {
        if (c->out_head > 0) { /* move what waits to the front first */
            memmove(c->out, c->out + c->out_head, waiting);
            c->out_length = waiting;
            c->out_head = 0;
        }
        size_t capacity = c->out_capacity ? c->out_capacity : 4096;
        while (capacity < c->out_length + length) capacity *= 2;
        if (capacity != c->out_capacity) {
            uint8_t *grown = realloc(c->out, capacity);
            if (!grown) cl_trap("runtime", "out of memory queueing bytes to send");
            c->out = grown;
            c->out_capacity = capacity;
        }
    }
    memcpy(c->out + c->out_length, data, length);
    c->out_length += length;
    if (c->out_length - c->out_head >= FLUSH) {
        flush(tcp, c);
    } else if (!c->dirty) {
        c->dirty = true;
        if (!push(&tcp->dirty, &tcp->dirty_count, tcp->capacity, slot_of(tcp, c))) {
            c->dirty = false; /* the list is full of stale entries: write it now */
            flush(tcp, c);
        }
    }
}

void cl_tcp_close_connection(cl_tcp *tcp, int64_t id) {
    conn *c = find(tcp, id);
    if (!c || c->state != OPEN) return; /* over already: its closed event came or is coming */
    queue_closed(tcp, c);
    want(tcp, c, false, c->writing);
}

void cl_tcp_close(cl_tcp *tcp) {
    if (!tcp) return;
    for (uint32_t i = 0; i < tcp->used; i++) {
        conn *c = &tcp->slots[i];
        if (c->state == FREE) continue;
        if (!c->broken) flush(tcp, c); /* what the kernel takes now still leaves */
        if (c->fd >= 0) close(c->fd);
        free(c->out);
    }
    for (size_t i = 0; i < tcp->count; i++)
        if (tcp->listeners && tcp->listeners[i] >= 0) close(tcp->listeners[i]);
    if (tcp->epoll >= 0) close(tcp->epoll);
    free(tcp->ports);
    free(tcp->listeners);
    free(tcp->slots);
    free(tcp->free_slots);
    free(tcp->closing);
    free(tcp->done);
    free(tcp->dirty);
    free(tcp->buffer);
    free(tcp);
}
