/* wire_check.c: the isolated target's checked reading (wire.c), against
 * well-formed and malformed messages. Built by WireTests with the runtime;
 * prints one line per check that fails and exits 1 if any did. */
#include <stdio.h>

#include "isolated/isolated.h"

const char cl_program_name[] = "wire_check";

static int failures;

#define CHECK(condition, what)                                                                                        \
    do {                                                                                                              \
        if (!(condition)) {                                                                                           \
            printf("FAIL: %s\n", what);                                                                               \
            failures++;                                                                                               \
        }                                                                                                             \
    } while (0)

static cl_reader reader(const void *data, size_t n) {
    cl_reader r = {.at = data, .end = (const uint8_t *)data + n, .problem = NULL};
    return r;
}

/* A count followed by these bytes. */
static size_t counted(uint8_t *out, uint64_t count, const char *bytes, size_t n) {
    memcpy(out, &count, 8);
    memcpy(out + 8, bytes, n);
    return 8 + n;
}

int main(void) {
    cl_heap_init();
    cl_loop_enter();
    uint8_t buffer[64];
    cl_bytes out;
    bool flag;

    /* What is written reads back, to the last byte. */
    cl_writer w = {0};
    cl_bytes text = cl_bytes_constant("h\xc3\xa9llo", 6);
    cl_put_bytes(&w, text);
    uint8_t one = 1;
    cl_put(&w, &one, 1);
    int64_t number = -42;
    cl_put(&w, &number, sizeof number);
    cl_reader r = reader(w.data, w.length);
    int64_t back = 0;
    CHECK(cl_get_bytes(&r, &out, true) && cl_bytes_equal(out, text), "a String reads back");
    CHECK(cl_get_bool(&r, &flag) && flag, "a Bool reads back");
    CHECK(cl_get(&r, &back, sizeof back) && back == -42, "an Int reads back");
    CHECK(r.at == r.end && r.problem == NULL, "nothing is left and nothing is wrong");

    /* A count larger than what is left of the message. */
    r = reader(buffer, counted(buffer, 1000, "abc", 3));
    CHECK(!cl_get_bytes(&r, &out, false) && r.problem, "a count beyond the message is refused");
    r = reader(buffer, counted(buffer, UINT64_MAX, "abc", 3));
    CHECK(!cl_get_bytes(&r, &out, false), "a count of 2^64 - 1 is refused");
    int64_t elements;
    r = reader(buffer, counted(buffer, 2, "abcdefgh", 8));
    CHECK(!cl_get_count(&r, &elements, 8), "two 8-byte elements do not fit in 8 bytes");
    r = reader(buffer, counted(buffer, 1, "abcdefgh", 8));
    CHECK(cl_get_count(&r, &elements, 8) && elements == 1, "one does");

    /* A Bool is 0 or 1. */
    uint8_t two = 2;
    r = reader(&two, 1);
    CHECK(!cl_get_bool(&r, &flag), "a Bool of 2 is refused");

    /* A String must be UTF-8; Bytes may be anything. */
    const char *bad[] = {"\xc3\x28", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = strlen(bad[i]);
        r = reader(buffer, counted(buffer, n, bad[i], n));
        CHECK(!cl_get_bytes(&r, &out, true), "a String that is not UTF-8 (bad, overlong, surrogate, too large, cut) is refused");
        r = reader(buffer, counted(buffer, n, bad[i], n));
        CHECK(cl_get_bytes(&r, &out, false) && out->count == (int64_t)n, "the same bytes are a valid Bytes");
    }
    const char *good = "\xf0\x9f\x98\x80 \xe2\x82\xac";
    r = reader(buffer, counted(buffer, strlen(good), good, strlen(good)));
    CHECK(cl_get_bytes(&r, &out, true), "four- and three-byte UTF-8 is a String");

    /* A message that ends inside a value; once refused, the reader stays refused. */
    uint8_t cut[3] = {1, 2, 3};
    uint32_t word;
    r = reader(cut, 3);
    CHECK(!cl_get(&r, &word, sizeof word) && r.problem, "a value cut short is refused");
    CHECK(!cl_get(&r, &cut[0], 1), "and nothing more is read after a refusal");

    printf("%d failures\n", failures);
    return failures != 0;
}
