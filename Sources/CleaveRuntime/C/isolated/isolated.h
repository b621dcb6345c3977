/* isolated.h: the isolated target, as its generated code and processes see it.
 *
 * Each component of a projected program is its own executable and process;
 * a launcher (launcher.c) creates what they share, binds the devices, starts
 * them and supervises them. What crosses between two components goes through
 * a ring (ring.c): a single-producer single-consumer byte ring in shared
 * memory (a memfd mapped by both), one per ordered pair of components that
 * has channels. A value is serialized by code the compiler generates for its
 * type (wire.c has the pieces), behind a header that the receiver checks
 * before it reads a byte of the value: the channel it expects, the type's tag,
 * the build's version, a length within bounds and the next sequence number.
 * A message that fails any check stops the service with a report; it is
 * never interpreted.
 *
 * The descriptors a component starts with are fixed: 3 its control socket to
 * the launcher (device requests), 4 its status page (a memfd), and from 5 the
 * rings it takes part in, in ring order. Nothing else is open but the
 * standard streams.
 */
#ifndef CLEAVE_ISOLATED_H
#define CLEAVE_ISOLATED_H

#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/cleave.h"
#include "netif/netif.h"

/* ---- rings (ring.c) ------------------------------------------------------- */

typedef struct cl_ring {
    /* The writer's line: how far it has written. */
    _Alignas(64) _Atomic uint64_t tail;
    _Atomic uint32_t writer_closed;
    /* The reader's line: how far it has read. */
    _Alignas(64) _Atomic uint64_t head;
    _Atomic uint32_t reader_closed;
    /* Sleeping, each side on a line of its own (they change only around a sleep). */
    _Alignas(64) _Atomic uint32_t writer_sleeping; /* the writer waits for room (futex on writer_wake) */
    _Atomic uint32_t writer_wake;
    _Alignas(64) _Atomic uint32_t reader_sleeping; /* the reader waits for bytes (futex on reader_wake) */
    _Atomic uint32_t reader_wake;
    _Alignas(64) uint32_t magic;
    uint32_t unused;
    uint64_t capacity; /* bytes of data, a power of two */
    _Alignas(64) unsigned char data[];
} cl_ring;

#define CL_RING_MAGIC 0x636c7231u
#define CL_RING_CAPACITY (1u << 20)

/* One end of a ring, with the other side's position as last seen. */
typedef struct cl_ring_end {
    cl_ring *ring;
    uint64_t position; /* written (writer) or read (reader) so far */
    uint64_t seen;     /* the other side's position when last read */
    unsigned spin;     /* how long a wait spins before it sleeps (adapts) */
    unsigned run;      /* reads (writes) since this end last waited */
    bool owed;         /* posted while the reader may sleep, and not yet woken (cl_ring_wake) */
} cl_ring_end;

size_t cl_ring_bytes(uint64_t capacity);
void cl_ring_init(cl_ring *ring, uint64_t capacity);
/* Copy n bytes in, waiting while the ring is full: 0, -1 when the reader has gone, -2 when
 * the wait was given up (cl_ring_interrupted). */
int cl_ring_write(cl_ring_end *w, const void *data, size_t n);
/* Make what was written visible, waking the reader if it sleeps. */
void cl_ring_publish(cl_ring_end *w);
/* Make what was written visible, leaving a sleeping reader asleep for now: the writer owes it
 * a wake, which cl_ring_wake gives. For a writer with more to send before it stops. */
void cl_ring_post(cl_ring_end *w);
/* Give the wake a post owes, if the reader sleeps. */
void cl_ring_wake(cl_ring_end *w);
/* Copy n bytes out, waiting while the ring is empty: 0, -1 when the writer has gone and
 * nothing is left, -2 when the wait was given up. */
int cl_ring_read(cl_ring_end *r, void *data, size_t n);
/* Give the room read so far back to the writer, waking it if it sleeps. */
void cl_ring_release(cl_ring_end *r);
void cl_ring_close_writer(cl_ring *ring);
void cl_ring_close_reader(cl_ring *ring);
/* Asked before a wait sleeps and when a signal interrupts it: nonzero makes the wait
 * give up (-2: the iteration is abandoned). It may also end the process (a stop). */
extern int (*cl_ring_interrupted)(void);
/* From a signal handler that changes what cl_ring_interrupted answers: a wait about to sleep
 * does not sleep, and asks again (async-signal-safe). */
void cl_ring_wake_waiter(void);
/* Called as a wait begins, before it spins: whoever this side waits for may be waiting for
 * the wakes it owes and the room it has read (component.c). */
extern void (*cl_ring_before_wait)(void);
/* Spins before sleeping in a wait; 0 sleeps at once. */
extern unsigned cl_ring_spins;
/* While spinning, give the processor away every this many spins (0: never). */
extern unsigned cl_ring_yield_every;
/* Adapt each end's spinning to how often it pays off, and spin only briefly after a burst. */
extern bool cl_ring_adapt;

/* ---- messages (wire.c) ---------------------------------------------------- */

typedef struct cl_message_header {
    uint32_t channel;
    uint32_t type_tag; /* the channel type's tag (a hash of its spelling and layout) */
    uint32_t length;   /* bytes of the value that follow */
    uint32_t version;  /* the build's fingerprint: components of one build only */
    uint64_t sequence; /* messages on this ring before this one */
} cl_message_header;

#define CL_MESSAGE_MAX (256u << 20)

typedef struct cl_writer {
    uint8_t *data;
    size_t length, capacity;
} cl_writer;

typedef struct cl_reader {
    const uint8_t *at, *end;
    const char *problem; /* why the value was refused; NULL while it is well formed */
} cl_reader;

void cl_put(cl_writer *w, const void *data, size_t n);
void cl_put_bytes(cl_writer *w, cl_bytes b);
void cl_put_count(cl_writer *w, int64_t n);
bool cl_get(cl_reader *r, void *out, size_t n);
bool cl_get_bool(cl_reader *r, bool *out);
/* A Bytes (text: a String, which must be valid UTF-8), made in the current region. */
bool cl_get_bytes(cl_reader *r, cl_bytes *out, bool text);
/* A count of elements each taking at least `least` bytes: no more than the rest can hold. */
bool cl_get_count(cl_reader *r, int64_t *n, size_t least);
bool cl_get_fail(cl_reader *r, const char *problem);

/* ---- the program's table (generated) --------------------------------------- */

typedef struct cl_wire_channel {
    int32_t from, to; /* components */
    int32_t ring;
    uint32_t type_tag;
    const char *name; /* "#3 reply: Bytes", for messages */
    /* The value's serializer and checked deserializer; NULL in a component it does not touch. */
    void (*put)(cl_writer *w, const void *value);
    bool (*get)(cl_reader *r, void *value);
} cl_wire_channel;

enum {
    CL_RULE_ANY = 0,         /* any arguments */
    CL_RULE_DESCRIPTORS = 1, /* the first argument is one of the component's own descriptors */
    CL_RULE_NO_EXEC = 2,     /* the protection (third argument) does not ask for PROT_EXEC */
    CL_RULE_READ_ONLY = 3,   /* openat's (open's) flags open for reading, never create or truncate */
    CL_RULE_QUERY_ONLY = 4   /* the first argument is NULL: the call only reads a setting (sigaltstack) */
};

typedef struct cl_policy_rule {
    const char *system_call; /* as libseccomp names it */
    int32_t argument;        /* CL_RULE_* */
} cl_policy_rule;

typedef struct cl_isolated_program {
    uint32_t version;
    int32_t component_count;
    const char *const *component_names;
    const char *const *component_files; /* the executables, beside the launcher */
    /* Why each component may not be started again after a failure (--restart: it drives a
     * device, holds state fields, or exchanges values with the others' set-up), as the launcher
     * says it; NULL for one that may. */
    const char *const *not_restartable;
    int32_t ring_count;
    const int32_t (*rings)[2]; /* from, to */
    int32_t channel_count;
    const cl_wire_channel *channels;
    int32_t device_count;
    const int32_t *device_owner; /* by device number, the component that creates it */
} cl_isolated_program;

/* Generated into the launcher and into every component. */
extern const cl_isolated_program cl_program;

/* Generated into a component's executable. */
typedef struct cl_isolated_component {
    int32_t index;
    int32_t rule_count;
    const cl_policy_rule *rules;
    int32_t device_count;
    const int32_t *devices; /* its devices' numbers, in its creation order */
} cl_isolated_component;

extern const cl_isolated_component cl_component;

/* Allow `rule` in the seccomp filter `filter` (a scmp_filter_ctx; sandbox.c), on `descriptors`
 * for a CL_RULE_DESCRIPTORS rule: 0, or a negative errno. */
int cl_sandbox_allow(void *filter, const cl_policy_rule *rule, const int *descriptors, size_t count);

/* What every sandbox of a build with AddressSanitizer allows besides its own rules, for the
 * sanitizer's runtime (sandbox.c); nothing in any other build. */
extern const cl_policy_rule cl_sanitizer_rules[];
extern const int32_t cl_sanitizer_rule_count;

/* Generated into the launcher: what the sandboxes of the restartable components allow (a
 * component started again runs under the launcher's sandbox too). */
extern const cl_policy_rule cl_restart_rules[];
extern const int32_t cl_restart_rule_count;

/* ---- the read-ahead queue of an isolated device's component (ahead.c) ------ */

bool cl_ahead_any(void);
/* Room for one more, and reading ahead not held (cl_ahead_held). */
bool cl_ahead_room(void);
/* Set by a component under --restart with a peer that may be started again: a restart abandons
 * what was read ahead with the iteration, which would lose more than the request in flight. */
extern bool cl_ahead_held;
/* Keep a copy of *value (its buffers in the queue's heap) for a later iteration. */
void cl_ahead_push(const cl_type *t, const void *value);
/* The oldest one, copied into the current region. */
void cl_ahead_pop(const cl_type *t, void *out);
/* Forget what was read ahead (an abandoned iteration). */
void cl_ahead_clear(void);
/* Drop what was read ahead when the component leaves: those iterations never come. */
void cl_ahead_forget(void);
/* Read one more iteration ahead (Passes/Lookahead.swift): a datagram is waiting in what the
 * netif has already read, so receive() will not block, and the read-ahead queue has room. */
bool cl_udp_device_read_ahead(cl_udp_device *d);

/* ---- what the launcher and a component share ------------------------------ */

#define CL_FD_CONTROL 3
#define CL_FD_STATUS 4
#define CL_FD_RINGS 5

typedef struct cl_status {
    _Atomic uint32_t ended;        /* this component saw its input end and left cleanly */
    _Atomic uint32_t input_ended;  /* the launcher: the input has ended, finish this iteration */
    _Atomic int32_t forbidden;     /* the system call its sandbox refused, + 1 (0: none) */
    _Atomic uint64_t messages_sent, messages_received; /* values */
    _Atomic uint64_t turns_sent, turns_received;       /* turns (a channel of type Void) */
    uint64_t counters[CL_COUNT_LIMIT];
    /* Restarting a peer (--restart): the launcher asks every other component to abandon its
     * iteration (abandon = epoch, then SIGUSR2); each parks (parked = epoch) until the rings
     * are reset and the peer started again (resume = epoch, a futex word). */
    _Atomic uint32_t abandon, parked, resume;
    /* A peer failed (then SIGUSR2): finish what needs no new input and no word from the failed
     * peer, and leave when waiting for either. */
    _Atomic uint32_t drain;
    /* How many times the launcher has started this component (more than once: --restart). */
    _Atomic uint32_t starts;
    /* Its device waits for input (netif.h: cl_netif_attach_waiting): it does not run, and is not
     * stalled, whatever waits for it in its rings (launcher.c). */
    _Atomic uint32_t waiting_for_input;
    /* --restart, and a component may be started again: read nothing ahead (cl_ahead_held). */
    _Atomic uint32_t hold_ahead;
} cl_status;

/* Set when this component's iteration is abandoned; generated code then calls
 * cl_component_abandon and starts the next iteration. */
extern volatile sig_atomic_t cl_abandoned;
void cl_component_abandon(void);

#endif
