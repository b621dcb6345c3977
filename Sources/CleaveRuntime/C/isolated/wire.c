/* wire.c: the pieces values are serialized with when they cross between
 * components of the isolated target.
 *
 * The compiler generates a writer and a checked reader for every type that
 * crosses a channel (a struct field by field, an enum as its case number and
 * that case's payload, an optional as a presence byte and the value, arrays
 * and maps as a count and their elements, in order). They are built from
 * these: fixed-size scalars are copied in the machine's byte order (both
 * ends are the same build on the same machine), Bytes and String are a count
 * and the bytes. Reading never trusts the message: every count is checked
 * against what is left of it, a Bool must be 0 or 1, a String must be UTF-8,
 * and the first problem is recorded in the reader and ends the reading.
 */
#include "isolated.h"

static void reserve(cl_writer *w, size_t n) {
    if (w->capacity - w->length >= n) return;
    size_t capacity = w->capacity ? w->capacity : 256;
    while (capacity - w->length < n) capacity *= 2;
    uint8_t *data = realloc(w->data, capacity);
    if (!data) cl_trap("runtime", "out of memory serializing a message");
    w->data = data;
    w->capacity = capacity;
}

void cl_put(cl_writer *w, const void *data, size_t n) {
    reserve(w, n);
    if (n) memcpy(w->data + w->length, data, n);
    w->length += n;
}

void cl_put_count(cl_writer *w, int64_t n) {
    uint64_t count = (uint64_t)n;
    cl_put(w, &count, sizeof count);
}

/* A value no one reads can be sent: a branch's result crosses a channel on every path, and
 * on a path that did not make it (an `if let` whose optional was absent) it is the empty
 * placeholder, NULL for a buffer. It goes as an empty one. */
void cl_put_bytes(cl_writer *w, cl_bytes b) {
    int64_t n = b ? b->count : 0;
    cl_put_count(w, n);
    if (n) cl_put(w, b->data, (size_t)n);
}

bool cl_get_fail(cl_reader *r, const char *problem) {
    if (!r->problem) r->problem = problem;
    r->at = r->end;
    return false;
}

bool cl_get(cl_reader *r, void *out, size_t n) {
    if (r->problem) return false;
    if ((size_t)(r->end - r->at) < n) return cl_get_fail(r, "the message ends inside a value");
    if (n) memcpy(out, r->at, n);
    r->at += n;
    return true;
}

bool cl_get_bool(cl_reader *r, bool *out) {
    uint8_t b;
    if (!cl_get(r, &b, 1)) return false;
    if (b > 1) return cl_get_fail(r, "a Bool that is neither 0 nor 1");
    *out = b == 1;
    return true;
}

bool cl_get_count(cl_reader *r, int64_t *n, size_t least) {
    uint64_t count;
    if (!cl_get(r, &count, sizeof count)) return false;
    size_t left = (size_t)(r->end - r->at);
    if (count > (uint64_t)INT64_MAX || (least > 0 && count > left / least) || (least == 0 && count > CL_MESSAGE_MAX))
        return cl_get_fail(r, "a count larger than the message can hold");
    *n = (int64_t)count;
    return true;
}

/* Well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool valid_utf8(const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t extra;
        uint32_t code, least;
        if ((c & 0xe0) == 0xc0) extra = 1, code = c & 0x1f, least = 0x80;
        else if ((c & 0xf0) == 0xe0) extra = 2, code = c & 0x0f, least = 0x800;
        else if ((c & 0xf8) == 0xf0) extra = 3, code = c & 0x07, least = 0x10000;
        else return false;
        if (n - i <= extra) return false;
        for (size_t k = 1; k <= extra; k++) {
            if ((p[i + k] & 0xc0) != 0x80) return false;
            code = code << 6 | (p[i + k] & 0x3f);
        }
        if (code < least || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
        i += extra + 1;
    }
    return true;
}

bool cl_get_bytes(cl_reader *r, cl_bytes *out, bool text) {
    int64_t n;
    if (!cl_get_count(r, &n, 1)) return false;
    if (text && !valid_utf8(r->at, (size_t)n)) return cl_get_fail(r, "a String that is not UTF-8");
    *out = cl_bytes_from(r->at, (size_t)n);
    r->at += n;
    return true;
}
