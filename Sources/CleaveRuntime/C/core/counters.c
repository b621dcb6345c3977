/* counters.c: what crossed the device boundary, counted.
 *
 * The netifs count every datagram or frame handed to the program or sent, and
 * every one dropped and why; the counters are said as one line on standard
 * error when the service ends and whenever it is asked (hosted: SIGUSR1).
 * They are relaxed atomics: cheap to bump, and safe to read from a signal
 * handler, which is where the line may be said; so the line is formatted here
 * without stdio or a locale and written with the platform's console write,
 * both safe in a handler.
 *
 * A component of the isolated target keeps its counters in its status page
 * instead (cl_counters_attach), where the launcher reads them and says the
 * sum of every component's.
 */
#include <stdatomic.h>

#include "cleave.h"

static _Atomic uint64_t own_counters[CL_COUNT_LIMIT];
static _Atomic uint64_t *counters = own_counters;

static bool counters_shared; /* someone else (the launcher) says them */

void cl_counters_attach(uint64_t *shared) {
    for (int i = 0; i < CL_COUNT_LIMIT; i++) shared[i] += atomic_load_explicit(&own_counters[i], memory_order_relaxed);
    counters = (_Atomic uint64_t *)shared;
    counters_shared = true;
}

void cl_count(cl_counter which, uint64_t n) {
    if ((unsigned)which < CL_COUNT_LIMIT) atomic_fetch_add_explicit(&counters[which], n, memory_order_relaxed);
}

void cl_uncount(cl_counter which, uint64_t n) {
    if ((unsigned)which < CL_COUNT_LIMIT) atomic_fetch_sub_explicit(&counters[which], n, memory_order_relaxed);
}

uint64_t cl_counter_value(cl_counter which) {
    if ((unsigned)which >= CL_COUNT_LIMIT) return 0;
    return atomic_load_explicit(&counters[which], memory_order_relaxed);
}

/* Append text or a number to a fixed buffer; nothing here may call stdio. */
typedef struct line {
    char text[256];
    size_t length;
} line;

static void put_text(line *l, const char *s) {
    while (*s && l->length < sizeof l->text) l->text[l->length++] = *s++;
}

static void put_number(line *l, uint64_t n) {
    char digits[20]; /* 2^64 - 1 has 20 digits */
    size_t count = 0;
    do {
        digits[count++] = (char)('0' + n % 10);
        n /= 10;
    } while (n != 0);
    while (count > 0 && l->length < sizeof l->text) l->text[l->length++] = digits[--count];
}

void cl_print_counters(void) {
    if (counters_shared) return;
    uint64_t v[CL_COUNT_LIMIT];
    for (int i = 0; i < CL_COUNT_LIMIT; i++) v[i] = cl_counter_value((cl_counter)i);
    cl_print_counter_values(v);
}

void cl_print_counter_values(const uint64_t v[CL_COUNT_LIMIT]) {
    if (v[CL_COUNT_TCP_PORTS] > 0) {
        line t = {.length = 0};
        put_text(&t, cl_program_name);
        put_text(&t, ": connections ");
        put_number(&t, v[CL_COUNT_TCP_OPENED]);
        put_text(&t, " (refused ");
        put_number(&t, v[CL_COUNT_TCP_REFUSED]);
        put_text(&t, ", reset ");
        put_number(&t, v[CL_COUNT_TCP_RESET]);
        put_text(&t, "), bytes received ");
        put_number(&t, v[CL_COUNT_TCP_BYTES_RECEIVED]);
        put_text(&t, ", sent ");
        put_number(&t, v[CL_COUNT_TCP_BYTES_SENT]);
        put_text(&t, ", dropped ");
        put_number(&t, v[CL_COUNT_TCP_BYTES_DROPPED]);
        put_text(&t, "\n");
        cl_platform_write(CL_CONSOLE_ERR, t.text, t.length);
        uint64_t datagrams = 0;
        for (int i = CL_COUNT_RECEIVED; i <= CL_COUNT_SEND_FAILED; i++) datagrams += v[i];
        if (datagrams == 0) return;
    }
    line l = {.length = 0};
    put_text(&l, cl_program_name);
    put_text(&l, ": received ");
    put_number(&l, v[CL_COUNT_RECEIVED]);
    put_text(&l, ", sent ");
    put_number(&l, v[CL_COUNT_SENT]);
    put_text(&l, ", dropped ");
    put_number(&l, v[CL_COUNT_MALFORMED] + v[CL_COUNT_OVERSIZED] + v[CL_COUNT_NOT_FOR_US] + v[CL_COUNT_SEND_FAILED]);
    put_text(&l, " (malformed ");
    put_number(&l, v[CL_COUNT_MALFORMED]);
    put_text(&l, ", oversized ");
    put_number(&l, v[CL_COUNT_OVERSIZED]);
    put_text(&l, ", not for this service ");
    put_number(&l, v[CL_COUNT_NOT_FOR_US]);
    put_text(&l, ", send failed ");
    put_number(&l, v[CL_COUNT_SEND_FAILED]);
    put_text(&l, ")\n");
    cl_platform_write(CL_CONSOLE_ERR, l.text, l.length);
}
