/* cleave.h: the core of the runtime of a Cleave program, as generated code sees it.
 *
 * The core is what every platform runs (C/README.md): values and their memory,
 * formatting, traps, the counters, the life of the service, and the net
 * module's FrameDevice. It reaches the world outside the program only through
 * platform.h, and calls nothing of netif/, hosted/ or isolated/.
 *
 * Values. Scalars are C scalars; structs, enums, tuples and optionals are C
 * structs passed by value; the four kinds of variable-size value, `Bytes`,
 * `String`, arrays and `Map`, are pointers to a heap buffer (`cl_buf`,
 * `cl_map`). A buffer is never changed while two values may see it: an
 * operation that changes a value (`a.append(x)`, `m[k] = v`) is given
 * `reuse = true` by the compiler only when the value is owned and used for
 * the last time, and even then copies when the buffer carries CL_SHARED, the
 * mark the compiler sets when it lets a second value refer to a buffer.
 *
 * Memory (DESIGN.md). Every buffer lives in a heap (`cl_heap`):
 *   - the region of the current loop iteration of `main`, a bump allocator
 *     reset when the iteration ends (cl_iteration_end);
 *   - the setup region, for what `main` computes before its loop;
 *   - a state heap per state, for the values in the state's fields: a value
 *     stored into a field is promoted (copied into the heap unless it is there
 *     already and unshared), the value it replaces is released, and both use
 *     malloc. Frees are deferred to the end of the iteration, so values of the
 *     iteration that still refer to a replaced buffer stay valid;
 *   - static storage, for constants (heap NULL, always shared).
 * Everything reachable from a buffer of a state heap is in that heap and has
 * exactly one owner there: that is what keeps a service's memory flat.
 *
 * Absence. A NULL `cl_buf *` or `cl_map *` is a buffer that is not there: the
 * value part of a `nil` optional (`xs.first` of an empty array, `m[k]` of a
 * missing key), and a result that has not been assigned yet, which starts as
 * zero. The compiler emits the same code for the value part whether it is
 * there or not (sharing the element `xs.first` returns, promoting a field of
 * type `Bytes?`), so every operation on a value's memory, not its contents,
 * takes NULL and does nothing: cl_share, cl_map_share, cl_heap_of, and the
 * descriptors' mark, promote and release. Only operations that read a value
 * (its count, its bytes) require one, and the checker guarantees a program
 * reads only values that are there.
 *
 * Generic operations on arrays and maps take a type descriptor (`cl_type`)
 * that the compiler emits for each element, key and value type.
 */
#ifndef CLEAVE_H
#define CLEAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "platform.h"

/* CL_ASAN: built with AddressSanitizer (CFLAGS=-fsanitize=address, as the tests do). Regions
 * then poison what they have not handed out (heap.c), a clean end checks for leaks
 * (hosted/platform.c), and the sandboxes allow what the sanitizer's runtime needs
 * (isolated/sandbox.c). */
#if defined(__SANITIZE_ADDRESS__)
#define CL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CL_ASAN 1
#endif
#endif
#ifndef CL_ASAN
#define CL_ASAN 0
#endif

/* ---- heaps (heap.c) ---------------------------------------------------- */

typedef struct cl_heap cl_heap;

/* The heap new values of the running code go to (a region). */
extern cl_heap *cl_region;

void *cl_alloc(cl_heap *heap, size_t size);
/* Give back memory of a state heap at the end of the iteration; no-op in a region. */
void cl_free_later(cl_heap *heap, void *p);
/* A new malloc-backed heap (for a state, or for values carried by main's loop). */
cl_heap *cl_heap_new(const char *name);
/* Free every block a malloc heap holds right now (main's carried values: two-space). */
void cl_heap_free_all(cl_heap *heap);
/* Enter a loop at the top of main: new values go to the iteration region until cl_loop_exit. */
void cl_loop_enter(void);
void cl_loop_exit(void);
/* End of one iteration of main's loop: run deferred frees, reset the region. */
void cl_iteration_end(void);
/* The heap main's loop carries its values in for the next iteration (two-space). */
cl_heap *cl_carry_heap_next(void);
/* A state's struct, zeroed (calloc) and kept for the life of the process; a trap when memory is exhausted. */
void *cl_state_alloc(size_t size);
/* Called once by the service before anything is allocated. */
void cl_heap_init(void);
bool cl_heap_is_region(const cl_heap *h);
/* The memory of one component of a projected program (its regions, carry heaps and
 * deferred frees); switching saves the running one's into `save`. */
typedef struct cl_memory cl_memory;
cl_memory *cl_memory_new(void);
/* Room to save the running memory in, with no regions or heaps of its own. */
cl_memory *cl_memory_slot(void);
void cl_memory_switch(cl_memory *save, const cl_memory *load);

/* ---- type descriptors --------------------------------------------------- */

typedef struct cl_type cl_type;
struct cl_type {
    const char *name;  /* the Cleave spelling, for messages */
    uint32_t size;     /* sizeof the C value */
    uint32_t kind;     /* CL_KIND_* */
    const cl_type *elem, *key, *value;
    /* Composite values (struct, tuple, optional, enum) with buffers inside; NULL when none. */
    void (*mark)(const cl_type *t, void *v);
    void (*promote)(const cl_type *t, void *v, cl_heap *h, bool force);
    void (*release)(const cl_type *t, void *v, cl_heap *h);
    bool (*equal)(const cl_type *t, const void *a, const void *b);
    uint64_t (*hash)(const cl_type *t, const void *a);
    int (*compare)(const cl_type *t, const void *a, const void *b);
};
enum {
    CL_KIND_PLAIN = 0, /* no buffers inside: copied with memcpy, nothing to mark or free */
    CL_KIND_BYTES = 1, /* cl_buf * of bytes (Bytes, String) */
    CL_KIND_ARRAY = 2, /* cl_buf * of elements of type elem */
    CL_KIND_MAP = 3,   /* cl_map * */
    CL_KIND_COMPOSITE = 4
};

/* The heap of a Bytes, array or map value (NULL for other kinds, constants and absent buffers). */
cl_heap *cl_heap_of(const cl_type *t, const void *v);
/* Mark, promote and release any value through its descriptor. */
void cl_mark(const cl_type *t, void *v);
void cl_promote(const cl_type *t, void *v, cl_heap *h, bool force);
void cl_release(const cl_type *t, void *v, cl_heap *h);
bool cl_equal(const cl_type *t, const void *a, const void *b);
uint64_t cl_hash(const cl_type *t, const void *a);
int cl_compare(const cl_type *t, const void *a, const void *b);

/* Descriptors of the built-in types. */
extern const cl_type cl_type_int8, cl_type_int16, cl_type_int32, cl_type_int64;
extern const cl_type cl_type_uint8, cl_type_uint16, cl_type_uint32, cl_type_uint64;
extern const cl_type cl_type_bool, cl_type_double, cl_type_bytes, cl_type_void;
/* Descriptor operations the compiler reuses for arrays and maps. */
void cl_buf_mark(const cl_type *t, void *v);
void cl_buf_promote(const cl_type *t, void *v, cl_heap *h, bool force);
void cl_buf_release(const cl_type *t, void *v, cl_heap *h);
bool cl_array_equal_op(const cl_type *t, const void *a, const void *b);
int cl_array_compare_op(const cl_type *t, const void *a, const void *b);
void cl_map_mark_op(const cl_type *t, void *v);
void cl_map_promote_op(const cl_type *t, void *v, cl_heap *h, bool force);
void cl_map_release_op(const cl_type *t, void *v, cl_heap *h);
bool cl_map_equal_op(const cl_type *t, const void *a, const void *b);

/* ---- buffers: Bytes, String, arrays (buf.c, bytes.c) -------------------- */

#define CL_SHARED 1u

typedef struct cl_buf {
    int64_t count;    /* elements (bytes, for Bytes and String) */
    int64_t capacity; /* elements that fit */
    cl_heap *heap;    /* NULL: static */
    uint32_t flags;
    uint32_t elem_size;
    unsigned char data[];
} cl_buf;

typedef cl_buf *cl_bytes;

cl_buf *cl_buf_new(const cl_type *elem, int64_t capacity);
/* The buffer, or a copy of it in the current region, ready to be changed. */
cl_buf *cl_buf_writable(const cl_type *elem, cl_buf *b, bool reuse, int64_t need);
static inline void *cl_buf_at(cl_buf *b, int64_t i) { return b->data + (size_t)i * b->elem_size; }
/* NULL (no buffer: see Absence above) stays NULL. */
static inline void cl_share(cl_buf *b) {
    if (b) b->flags |= CL_SHARED;
}

/* Static constants: made once at start-up, shared for ever. */
cl_bytes cl_bytes_constant(const char *text, size_t length);
cl_bytes cl_bytes_from(const uint8_t *data, size_t length);
cl_bytes cl_bytes_empty(void);

bool cl_bytes_equal(cl_bytes a, cl_bytes b);
int cl_bytes_compare(cl_bytes a, cl_bytes b);
uint64_t cl_bytes_hash(cl_bytes a);
cl_bytes cl_bytes_concat(cl_bytes a, cl_bytes b);
cl_bytes cl_bytes_append(cl_bytes b, uint8_t x, bool reuse);
cl_bytes cl_bytes_append_contents(cl_bytes b, cl_bytes other, bool reuse);
cl_bytes cl_bytes_repeating(uint8_t x, int64_t count, const char *where);
cl_bytes cl_bytes_slice(cl_bytes b, int64_t lo, int64_t hi, const char *where);
uint8_t cl_bytes_get(cl_bytes b, int64_t i, const char *where);
cl_bytes cl_bytes_set(cl_bytes b, int64_t i, uint8_t x, bool reuse, const char *where);
/* A negative max_splits traps, as in Swift. */
cl_buf *cl_bytes_split(cl_bytes b, uint8_t separator, int64_t max_splits, const char *where);
bool cl_bytes_has_prefix(cl_bytes b, cl_bytes p);
bool cl_bytes_has_suffix(cl_bytes b, cl_bytes p);
cl_bytes cl_bytes_trimmed(cl_bytes b);
cl_bytes cl_bytes_lowercased(cl_bytes b);
cl_bytes cl_bytes_uppercased(cl_bytes b);
bool cl_bytes_first_index(cl_bytes b, uint8_t x, int64_t *index);
uint64_t cl_bytes_read(cl_bytes b, int64_t at, int width, const char *where);
cl_bytes cl_bytes_write(cl_bytes b, uint64_t x, int64_t at, int width, bool reuse, const char *where);
cl_bytes cl_bytes_from_array(cl_buf *a);
/* String(bytes): the UTF-8 text, invalid sequences replaced by U+FFFD. */
cl_bytes cl_string_decode(cl_bytes b);
cl_bytes cl_bytes_joined(cl_buf *pieces, cl_bytes separator);

/* Formatting and parsing (format.c). */
cl_bytes cl_format_int(int64_t x);
cl_bytes cl_format_uint(uint64_t x);
cl_bytes cl_format_double(double x);
cl_bytes cl_format_bool(bool x);
bool cl_parse_int(cl_bytes b, int64_t min, int64_t max, int64_t *out);
bool cl_parse_uint(cl_bytes b, uint64_t max, uint64_t *out);
bool cl_parse_double(cl_bytes b, double *out);

/* Numbers between binary and decimal, exactly and without the C library (decimal.c): the digits
 * glibc's printf writes and the doubles its strtod reads, on every platform.
 * The exact decimal digits of a finite nonzero double's magnitude: "15625" and exponent -2 for
 * 0.015625; the last digit is never 0, and there are at most 767. */
typedef struct cl_decimal {
    int count;
    int exponent; /* of the first digit, which is never 0 */
    char digits[780];
} cl_decimal;
void cl_decimal_exact(double x, cl_decimal *d);
/* The digits rounded to `precision` significant digits, half to even (what "%.*e" writes for
 * precision - 1): `precision` ASCII digits into `digits`, and their exponent returned. */
int cl_decimal_round(const cl_decimal *d, int precision, char *digits);
/* The double nearest d.ddd * 10^exponent (`count` ASCII digits), half to even. */
double cl_decimal_value(const char *digits, int count, int exponent);
/* glibc's strtod of the "C" locale, but for leading white space (not skipped): the double the
 * longest number at the start of the text denotes, into *out, and its length returned (0: none).
 * Decimal and hexadecimal ("0x1.8p3") numbers, "inf", "infinity", "nan" and "nan(chars)" in any
 * case; rounded half to even (and in one corner of the subnormals as glibc rounds, decimal.c). */
size_t cl_decimal_parse(const char *text, size_t length, double *out);
/* An integer in decimal: its text into `text` (room for 20 bytes), its length returned. */
size_t cl_decimal_uint(uint64_t x, char *text);
size_t cl_decimal_int(int64_t x, char *text);

/* A string being built by interpolation. */
typedef struct cl_builder {
    cl_buf *buf;
} cl_builder;
void cl_builder_init(cl_builder *s);
void cl_builder_bytes(cl_builder *s, cl_bytes b);
void cl_builder_raw(cl_builder *s, const char *text, size_t length);
static inline cl_bytes cl_builder_done(cl_builder *s) { return s->buf; }

/* Arrays (array.c). Elements are stored by value. */
cl_buf *cl_array_new(const cl_type *elem, int64_t capacity);
cl_buf *cl_array_of(const cl_type *elem, int64_t count, const void *elements);
void *cl_array_at(cl_buf *a, int64_t i, const char *where);
cl_buf *cl_array_set(const cl_type *elem, cl_buf *a, int64_t i, const void *x, bool reuse, const char *where);
cl_buf *cl_array_append(const cl_type *elem, cl_buf *a, const void *x, bool reuse);
cl_buf *cl_array_append_contents(const cl_type *elem, cl_buf *a, cl_buf *b, bool reuse);
cl_buf *cl_array_concat(const cl_type *elem, cl_buf *a, cl_buf *b);
cl_buf *cl_array_insert(const cl_type *elem, cl_buf *a, const void *x, int64_t i, bool reuse, const char *where);
/* Removes element i into *out (copied out of a state heap); i = -1: the last. */
cl_buf *cl_array_remove(const cl_type *elem, cl_buf *a, int64_t i, void *out, bool reuse, const char *where);
cl_buf *cl_array_swap(const cl_type *elem, cl_buf *a, int64_t i, int64_t j, bool reuse, const char *where);
cl_buf *cl_array_slice(const cl_type *elem, cl_buf *a, int64_t lo, int64_t hi, const char *where);
cl_buf *cl_array_repeating(const cl_type *elem, const void *x, int64_t count, const char *where);
cl_buf *cl_array_reversed(const cl_type *elem, cl_buf *a);
/* A stable merge sort; `less` decides the order. */
cl_buf *cl_array_sorted(const cl_type *elem, cl_buf *a, bool (*less)(void *ctx, const void *x, const void *y), void *ctx);
bool cl_array_less_by_type(void *ctx, const void *x, const void *y);
bool cl_array_first_index(const cl_type *elem, cl_buf *a, const void *x, int64_t *index);

/* ---- maps (map.c): hash maps that iterate in insertion order ----------- */

typedef struct cl_map cl_map;
cl_map *cl_map_new(const cl_type *t);
int64_t cl_map_count(const cl_map *m);
cl_heap *cl_map_heap(const cl_map *m);
/* The value for key into *value; false when absent. */
bool cl_map_get(const cl_type *t, cl_map *m, const void *key, void *value);
cl_map *cl_map_set(const cl_type *t, cl_map *m, const void *key, const void *value, bool reuse);
/* Removes key; the old value (copied out of a state heap) into *value when present. */
cl_map *cl_map_remove(const cl_type *t, cl_map *m, const void *key, void *value, bool *found, bool reuse);
/* The i-th entry in insertion order (0 <= i < count). */
void cl_map_entry(const cl_type *t, cl_map *m, int64_t i, void *key, void *value);
cl_buf *cl_map_keys(const cl_type *t, cl_map *m);
cl_buf *cl_map_values(const cl_type *t, cl_map *m);
static inline void cl_map_share(cl_map *m);

/* ---- traps (trap.c) ----------------------------------------------------- */

/* Stop the service: "file.clv:12:5: fatal error: message", shut down, exit 1. */
_Noreturn void cl_trap(const char *where, const char *message);
_Noreturn void cl_trap_bytes(const char *where, cl_bytes message);
/* An index i outside 0..<count. */
_Noreturn void cl_trap_index(const char *where, int64_t i, int64_t count);
/* A slice lo..<hi outside 0..<count. */
_Noreturn void cl_trap_slice(const char *where, int64_t lo, int64_t hi, int64_t count);
/* A trap's message being built: text and integers appended, cut at the end of the buffer, always
 * NUL-terminated. */
typedef struct cl_text {
    char text[160];
    size_t length;
} cl_text;
void cl_text_append(cl_text *t, const char *s);
void cl_text_append_int(cl_text *t, int64_t x);
void cl_print(cl_bytes line);

/* ---- the life of the service (service.c) --------------------------------- */

/* Generated: the program's `main`. */
void cleave_main(void);
/* Generated: globals and constants, before cleave_main. */
void cleave_init(void);
/* Generated: the service's name on standard error (its source file's). */
extern const char cl_program_name[];

/* The set-up is over: main's service loop begins (IRFunction.serviceLoop). Runs
 * cl_set_up_end_hook once, if set: the isolated target loads a component's sandbox
 * there, and a restarted component rejoins its peers. */
void cl_set_up_end(void);
extern void (*cl_set_up_end_hook)(void);

/* Run `hook` on every way out of the process (a trap, the end of the input, a stop):
 * hooks run once each, the last registered first. */
void cl_at_shutdown(void (*hook)(void));
void cl_shutdown(void);

/* The end of the input (a capture replayed to its end): leave cleanly, exit 0. Runs
 * cl_input_ended_hook first, if set: in a projected program, the process that runs
 * the components lets the others finish (hosted/components.c) or says that this one
 * has ended (isolated/component.c). */
_Noreturn void cl_exit_clean(void);
extern void (*cl_input_ended_hook)(void);

/* A stop is asked for (hosted: SIGINT or SIGTERM). Only sets a flag, so it is safe
 * in a signal handler; what waits for input looks at it (cl_stop_requested) and
 * stops where stopping is safe. */
void cl_request_stop(void);
bool cl_stop_requested(void);
/* Stop now as asked: shut down, exit 0. */
_Noreturn void cl_stop_now(void);

/* ---- counters (counters.c) ------------------------------------------------ */

/* Counters of what crossed the device boundary, over all devices. */
typedef enum cl_counter {
    CL_COUNT_RECEIVED,      /* datagrams handed to the program */
    CL_COUNT_SENT,          /* datagrams sent (or written to the output capture) */
    CL_COUNT_MALFORMED,     /* input that is not a well-formed IPv4/UDP datagram */
    CL_COUNT_OVERSIZED,     /* input or replies larger than CL_UDP_MAX_PAYLOAD, or truncated */
    CL_COUNT_NOT_FOR_US,    /* captured datagrams to a port the device does not have */
    CL_COUNT_SEND_FAILED,   /* the kernel refused to send */
    CL_COUNT_READ_AHEAD,    /* datagrams an isolated build's device read ahead (not in the line) */
    CL_COUNT_TCP_PORTS,     /* TCP ports listened on */
    CL_COUNT_TCP_OPENED,    /* connections accepted and handed to the program */
    CL_COUNT_TCP_REFUSED,   /* connections closed as accepted: too many open */
    CL_COUNT_TCP_RESET,     /* connections the device reset: too much waiting to be sent, or for too long */
    CL_COUNT_TCP_BYTES_RECEIVED,
    CL_COUNT_TCP_BYTES_SENT,
    CL_COUNT_TCP_BYTES_DROPPED, /* sent on a connection that was over */
    CL_COUNT_LIMIT
} cl_counter;

void cl_count(cl_counter which, uint64_t n);
/* Take back n counted before (what turned out never to be handed to the program). */
void cl_uncount(cl_counter which, uint64_t n);
uint64_t cl_counter_value(cl_counter which);

/* Keep the counters in `shared` (CL_COUNT_LIMIT values) from now on: the isolated
 * target's launcher reads each component's there, and says them itself. */
void cl_counters_attach(uint64_t *shared);
/* The counters' line for these values, on the console's standard error (safe in a
 * signal handler):
 * "kv: received R, sent S, dropped D (malformed M, oversized O, not for this service N, send failed F)";
 * with TCP ports, "http: connections C (refused F, reset R), bytes received I, sent O, dropped D",
 * and the datagrams' line only when one was counted. */
void cl_print_counter_values(const uint64_t values[CL_COUNT_LIMIT]);
/* The line for this process's counters; nothing once they are attached (someone else
 * says them). Safe in a signal handler. */
void cl_print_counters(void);

/* ---- components of a projected program ----------------------------------
 * Implemented by the process that runs them: in one thread as coroutines
 * (hosted/components.c), or each in a process of its own (isolated/component.c). */

/* Channel `id` carries values from component `from` to component `to`. */
typedef struct cl_channel_info {
    int from, to;
    const char *name; /* the value's name and type, for messages */
} cl_channel_info;
/* Run the components' local programs as coroutines until all have ended (hosted). */
void cl_components_run(int count, void (*const *mains)(void), const char *const *names, int channels,
    const cl_channel_info *table);
/* Hand a copy of *value to the channel's reader; never waits. */
void cl_channel_send(int channel, const void *value, const cl_type *type);
/* The next value on the channel, copied into the running component's region;
 * lets the other components run until it has come. */
void cl_channel_receive(int channel, void *value, const cl_type *type);
/* The end of an iteration of a component's loop: reset its region, let others run. */
void cl_component_iteration_end(void);
/* Where another component reports a trap (`halt` in a projected program): this one stops
 * here without a word, and never returns. */
_Noreturn void cl_component_halt(void);

/* ---- the net module's FrameDevice (frame_device.c) ------------------------ */

/* Raw Ethernet frames, through the platform's frame I/O (platform.h). */
typedef struct cl_frame_device {
    cl_frames *frames;
} cl_frame_device;
cl_frame_device *cl_frame_device_open(cl_bytes tap_name);
/* receive(): true and the frame (a region copy), or false when none is waiting. */
bool cl_frame_device_receive(cl_frame_device *d, cl_bytes *frame);
void cl_frame_device_send(cl_frame_device *d, cl_bytes frame);
int32_t cl_frame_device_fd(cl_frame_device *d);
int64_t cl_frame_device_now(cl_frame_device *d);
cl_frame_device *cl_frame_device_open_link(void);
void cl_frame_device_wait(cl_frame_device *d, int32_t milliseconds);
cl_bytes cl_frame_device_mac(cl_frame_device *d);
uint32_t cl_frame_device_address(cl_frame_device *d);
int64_t cl_frame_device_prefix_length(cl_frame_device *d);
uint32_t cl_frame_device_gateway(cl_frame_device *d);
/* "NAME: listening on UDP port P" on standard error for each of `ports` (an [Int]). */
void cl_frame_device_listening(cl_frame_device *d, cl_buf *ports);

#include "arith.h"

struct cl_map {
    cl_heap *heap;
    uint32_t flags;
    uint32_t entry_size; /* hash + live flag + key + value, padded */
    uint32_t key_offset, value_offset;
    int64_t count; /* live entries */
    int64_t used;  /* entries, with removed ones */
    int64_t entry_capacity;
    int64_t index_capacity; /* a power of two; 0: no index yet */
    unsigned char *entries;
    int32_t *index; /* entry number + 1; 0 empty, -1 removed */
};
static inline void cl_map_share(cl_map *m) {
    if (m) m->flags |= CL_SHARED;
}

#endif
