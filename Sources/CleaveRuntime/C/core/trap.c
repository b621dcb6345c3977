/* trap.c: stopping a service that reached an impossible state.
 *
 * Integer overflow, an index out of range, unwrapping nil and fatalError all
 * end here: the message names the Cleave source location, the shutdown hooks
 * run (service.c: captures being written are completed, the counters said),
 * and the process exits with status 1 (0 is a clean end, 2 a problem with how
 * it was started).
 *
 * The message is written with the platform's console write, in one piece when
 * it fits a buffer (as stdio would write it), so that the lines of several
 * processes of one service do not interleave.
 */
#include "cleave.h"

static void put(char *buffer, size_t *length, size_t capacity, const char *text) {
    size_t n = strlen(text);
    if (*length + n <= capacity) memcpy(buffer + *length, text, n);
    *length += n;
}

_Noreturn void cl_trap(const char *where, const char *message) {
    char text[8192];
    size_t length = 0;
    put(text, &length, sizeof text, where);
    put(text, &length, sizeof text, ": fatal error: ");
    put(text, &length, sizeof text, message);
    put(text, &length, sizeof text, "\n");
    if (length <= sizeof text) {
        cl_platform_write(CL_CONSOLE_ERR, text, length);
    } else {
        cl_platform_write(CL_CONSOLE_ERR, where, strlen(where));
        cl_platform_write(CL_CONSOLE_ERR, ": fatal error: ", 15);
        cl_platform_write(CL_CONSOLE_ERR, message, strlen(message));
        cl_platform_write(CL_CONSOLE_ERR, "\n", 1);
    }
    cl_shutdown();
    cl_platform_exit(1);
}

void cl_text_append(cl_text *t, const char *s) {
    while (*s && t->length < sizeof t->text - 1) t->text[t->length++] = *s++;
    t->text[t->length] = 0;
}

void cl_text_append_int(cl_text *t, int64_t x) {
    char digits[21];
    size_t n = cl_decimal_int(x, digits);
    digits[n] = 0;
    cl_text_append(t, digits);
}

_Noreturn void cl_trap_index(const char *where, int64_t i, int64_t count) {
    cl_text m = {.length = 0};
    cl_text_append(&m, "index out of range: ");
    cl_text_append_int(&m, i);
    cl_text_append(&m, ", but the count is ");
    cl_text_append_int(&m, count);
    cl_trap(where, m.text);
}

_Noreturn void cl_trap_slice(const char *where, int64_t lo, int64_t hi, int64_t count) {
    cl_text m = {.length = 0};
    cl_text_append(&m, "slice ");
    cl_text_append_int(&m, lo);
    cl_text_append(&m, "..<");
    cl_text_append_int(&m, hi);
    cl_text_append(&m, " out of range of a count of ");
    cl_text_append_int(&m, count);
    cl_trap(where, m.text);
}

_Noreturn void cl_trap_bytes(const char *where, cl_bytes message) {
    char text[512];
    size_t n = message->count < (int64_t)sizeof text - 1 ? (size_t)message->count : sizeof text - 1;
    memcpy(text, message->data, n);
    text[n] = 0;
    cl_trap(where, text);
}

void cl_print(cl_bytes line) {
    cl_platform_write(CL_CONSOLE_ERR, line->data, (size_t)line->count);
    cl_platform_write(CL_CONSOLE_ERR, "\n", 1);
}
