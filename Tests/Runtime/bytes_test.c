/* bytes_test.c: every accessor of `Bytes` (bytes.c) at its edges.
 *
 * The accessors that take a position or a count (b[i], b[i] = x, b[lo..<hi],
 * readUIntN(at:), writeUIntN(_:at:), Bytes(repeating:count:), and
 * split(separator:maxSplits:), which traps on a negative count) are tried on
 * buffers of several counts, 0 among them, at every position around their
 * edges: negative, 0, count - width, count - width + 1, count, and the
 * extremes of Int. Whether each traps is decided here from the definition
 * (an access of `width` bytes at `at` fits when 0 <= at and at + width <= count,
 * computed without overflow), each case runs in a child process, and a case
 * that must not trap is checked for its value: the bytes read big-endian, the
 * buffer after a write, the original left as it was.
 *
 * What cannot trap (split with maxSplits of 0 or more, firstIndex, trimmed,
 * hasPrefix, hasSuffix, lowercased, uppercased, concatenation, appending,
 * joining, UTF-8 decoding, parsing integers) is checked at its edges against
 * the answers Swift gives for the same calls.
 */
#include "harness.h"

/* The byte at position i of every buffer these tests make: no two neighbours are equal. */
static uint8_t pattern(int64_t i) { return (uint8_t)(0xA1 + 37 * i); }

static cl_bytes made(int64_t count) {
    uint8_t data[64];
    for (int64_t i = 0; i < count; i++) data[i] = pattern(i);
    return cl_bytes_from(data, (size_t)count);
}

static cl_bytes text(const char *s) { return cl_bytes_from((const uint8_t *)s, strlen(s)); }

static bool is(cl_bytes b, const char *s) { return b->count == (int64_t)strlen(s) && memcmp(b->data, s, strlen(s)) == 0; }

/* ---- accessors that take a position ------------------------------------------- */

enum { GET, SET, SLICE, READ, WRITE, REPEATING, SPLIT };

typedef struct bytes_case {
    int kind;
    int64_t count; /* of the buffer */
    int64_t a, b;  /* the index, offset, lower bound, or count; the upper bound */
    int width;     /* bytes read or written */
    bool reuse;    /* a write may change the buffer in place */
} bytes_case;

static const uint64_t written_value = 0x0102030405060708u;

static void run_access(const void *argument) {
    const bytes_case *x = argument;
    cl_bytes b = made(x->count);
    cl_bytes original = made(x->count);
    switch (x->kind) {
    case GET: {
        uint8_t v = cl_bytes_get(b, x->a, HERE);
        if (v != pattern(x->a)) WRONG("b[%lld] is %u, not %u", (long long)x->a, v, pattern(x->a));
        break;
    }
    case SET: {
        cl_bytes r = cl_bytes_set(b, x->a, 0x5A, x->reuse, HERE);
        for (int64_t i = 0; i < x->count; i++)
            if (r->data[i] != (i == x->a ? 0x5A : pattern(i))) WRONG("after b[%lld] = 0x5A, b[%lld] is wrong", (long long)x->a, (long long)i);
        if (r->count != x->count) WRONG("b[i] = x changed the count");
        if (!x->reuse && !cl_bytes_equal(b, original)) WRONG("b[i] = x without reuse changed the original");
        break;
    }
    case SLICE: {
        cl_bytes r = cl_bytes_slice(b, x->a, x->b, HERE);
        if (r->count != x->b - x->a) WRONG("b[%lld..<%lld] has %lld bytes", (long long)x->a, (long long)x->b, (long long)r->count);
        for (int64_t i = 0; i < r->count; i++)
            if (r->data[i] != pattern(x->a + i)) WRONG("b[%lld..<%lld] differs at %lld", (long long)x->a, (long long)x->b, (long long)i);
        break;
    }
    case READ: {
        uint64_t v = cl_bytes_read(b, x->a, x->width, HERE);
        uint64_t expected = 0;
        for (int i = 0; i < x->width; i++) expected = expected << 8 | pattern(x->a + i);
        if (v != expected) WRONG("readUInt%d(at: %lld) is %llx, not %llx", 8 * x->width, (long long)x->a, (unsigned long long)v,
            (unsigned long long)expected);
        break;
    }
    case WRITE: {
        cl_bytes r = cl_bytes_write(b, written_value, x->a, x->width, x->reuse, HERE);
        if (r->count != x->count) WRONG("writeUInt%d changed the count", 8 * x->width);
        for (int64_t i = 0; i < x->count; i++) {
            /* The value's low `width` bytes, most significant first. */
            int64_t k = i - x->a;
            uint8_t expected = k >= 0 && k < x->width ? (uint8_t)(written_value >> (8 * (x->width - 1 - k))) : pattern(i);
            if (r->data[i] != expected) WRONG("after writeUInt%d(at: %lld), byte %lld is %02x, not %02x", 8 * x->width, (long long)x->a,
                (long long)i, r->data[i], expected);
        }
        if (!x->reuse && !cl_bytes_equal(b, original)) WRONG("writeUInt%d without reuse changed the original", 8 * x->width);
        break;
    }
    case SPLIT: {
        cl_buf *pieces = cl_bytes_split(text("a b c"), ' ', x->a, HERE);
        int64_t expected = x->a < 2 ? x->a + 1 : 3;
        if (pieces->count != expected) WRONG("\"a b c\".split(maxSplits: %lld) has %lld pieces", (long long)x->a, (long long)pieces->count);
        break;
    }
    case REPEATING: {
        cl_bytes r = cl_bytes_repeating(7, x->a, HERE);
        if (r->count != x->a) WRONG("Bytes(repeating: 7, count: %lld) has %lld bytes", (long long)x->a, (long long)r->count);
        for (int64_t i = 0; i < r->count; i++)
            if (r->data[i] != 7) WRONG("Bytes(repeating: 7, count: %lld) holds something else", (long long)x->a);
        break;
    }
    }
}

/* Does an access of `width` bytes at `at` fit in `count`? In 128 bits: `at + width` never overflows. */
static bool fits(int64_t count, int64_t at, int width) { return at >= 0 && (__int128)at + width <= count; }

static void check_access(const bytes_case *x) {
    char name[160], trap[160];
    const char *expected = NULL;
    switch (x->kind) {
    case GET:
    case SET:
        snprintf(name, sizeof name, "%s of index %lld in a count of %lld", x->kind == GET ? "b[i]" : "b[i] = x", (long long)x->a,
            (long long)x->count);
        snprintf(trap, sizeof trap, "index out of range: %lld, but the count is %lld", (long long)x->a, (long long)x->count);
        if (!fits(x->count, x->a, 1)) expected = trap;
        break;
    case SLICE:
        snprintf(name, sizeof name, "b[%lld..<%lld] of a count of %lld", (long long)x->a, (long long)x->b, (long long)x->count);
        snprintf(trap, sizeof trap, "slice %lld..<%lld out of range of a count of %lld", (long long)x->a, (long long)x->b,
            (long long)x->count);
        if (x->a < 0 || x->b > x->count || x->a > x->b) expected = trap;
        break;
    case READ:
    case WRITE:
        snprintf(name, sizeof name, "%sUInt%d at %lld of a count of %lld%s", x->kind == READ ? "read" : "write", 8 * x->width,
            (long long)x->a, (long long)x->count, x->reuse ? " (in place)" : "");
        snprintf(trap, sizeof trap, "%d-byte access at offset %lld out of range of a count of %lld", x->width, (long long)x->a,
            (long long)x->count);
        if (!fits(x->count, x->a, x->width)) expected = trap;
        break;
    case SPLIT:
        snprintf(name, sizeof name, "split(maxSplits: %lld)", (long long)x->a);
        if (x->a < 0) expected = "can't split with a negative maxSplits";
        break;
    case REPEATING:
        snprintf(name, sizeof name, "Bytes(repeating: 7, count: %lld)", (long long)x->a);
        if (x->a < 0) expected = "can't make Bytes with a negative count";
        break;
    }
    run_case(name, run_access, x, expected);
}

static void check_positions(void) {
    const int64_t counts[] = {0, 1, 2, 3, 4, 7, 8, 9, 16};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        int64_t n = counts[c];
        const int64_t indices[] = {INT64_MIN, -2, -1, 0, 1, n - 2, n - 1, n, n + 1, INT64_MAX};
        for (size_t i = 0; i < sizeof indices / sizeof indices[0]; i++) {
            check_access(&(bytes_case){.kind = GET, .count = n, .a = indices[i]});
            check_access(&(bytes_case){.kind = SET, .count = n, .a = indices[i], .reuse = false});
            check_access(&(bytes_case){.kind = SET, .count = n, .a = indices[i], .reuse = true});
        }
        const int64_t bounds[] = {INT64_MIN, -1, 0, 1, n - 1, n, n + 1, INT64_MAX};
        for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++)
            for (size_t j = 0; j < sizeof bounds / sizeof bounds[0]; j++)
                check_access(&(bytes_case){.kind = SLICE, .count = n, .a = bounds[i], .b = bounds[j]});
        const int widths[] = {1, 2, 4, 8};
        for (size_t k = 0; k < sizeof widths / sizeof widths[0]; k++) {
            int w = widths[k];
            const int64_t offsets[] = {INT64_MIN, INT64_MIN + 1, -(int64_t)w, -1, 0, 1, n - w - 1, n - w, n - w + 1, n - 1, n, n + 1,
                INT64_MAX - w, INT64_MAX - w + 1, INT64_MAX};
            for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
                check_access(&(bytes_case){.kind = READ, .count = n, .a = offsets[i], .width = w});
                check_access(&(bytes_case){.kind = WRITE, .count = n, .a = offsets[i], .width = w, .reuse = false});
                check_access(&(bytes_case){.kind = WRITE, .count = n, .a = offsets[i], .width = w, .reuse = true});
            }
        }
    }
    const int64_t repeats[] = {INT64_MIN, -1, 0, 1, 100};
    for (size_t i = 0; i < sizeof repeats / sizeof repeats[0]; i++) {
        check_access(&(bytes_case){.kind = REPEATING, .a = repeats[i]});
        check_access(&(bytes_case){.kind = SPLIT, .a = repeats[i]});
    }
}

/* ---- accessors without a position --------------------------------------------- */

/* The pieces of a split, joined by '|' to compare with the expected text. */
static bool split_is(const char *input, uint8_t separator, int64_t max_splits, const char *expected) {
    cl_buf *pieces = cl_bytes_split(text(input), separator, max_splits, HERE);
    return is(cl_bytes_joined(pieces, text("|")), expected) && (pieces->count > 0 || expected[0] == 0);
}

static int64_t pieces_of(const char *input, uint8_t separator, int64_t max_splits) {
    return cl_bytes_split(text(input), separator, max_splits, HERE)->count;
}

static void check_split(void) {
    /* What Swift's `split(separator:maxSplits:)` (empty pieces omitted) answers. */
    CHECK(pieces_of("", ' ', INT64_MAX) == 0, "\"\".split: no pieces");
    CHECK(pieces_of("   ", ' ', INT64_MAX) == 0, "\"   \".split: no pieces");
    CHECK(pieces_of("", ' ', 0) == 0, "\"\".split(maxSplits: 0): no pieces");
    CHECK(split_is("a", ' ', INT64_MAX, "a"), "\"a\".split");
    CHECK(split_is("a b", ' ', INT64_MAX, "a|b"), "\"a b\".split");
    CHECK(split_is("  a  b  ", ' ', INT64_MAX, "a|b"), "\"  a  b  \".split");
    CHECK(split_is("a b c", ' ', 1, "a|b c"), "\"a b c\".split(maxSplits: 1)");
    CHECK(split_is("  a  b  c", ' ', 1, "a| b  c"), "\"  a  b  c\".split(maxSplits: 1): the rest as it is");
    CHECK(split_is("a b ", ' ', 1, "a|b "), "\"a b \".split(maxSplits: 1)");
    CHECK(split_is("a ", ' ', 1, "a"), "\"a \".split(maxSplits: 1): no empty rest");
    CHECK(split_is(" a b", ' ', 0, " a b"), "\" a b\".split(maxSplits: 0): the whole");
    CHECK(split_is("a b c", ' ', 2, "a|b|c"), "\"a b c\".split(maxSplits: 2)");
    CHECK(split_is("a b c", ' ', 3, "a|b|c"), "\"a b c\".split(maxSplits: 3)");
    CHECK(split_is("SET k v w", ' ', 2, "SET|k|v w"), "\"SET k v w\".split(maxSplits: 2)");
    CHECK(split_is("abc", 'c', INT64_MAX, "ab"), "\"abc\".split at the last byte");
    CHECK(split_is("abc", 'a', INT64_MAX, "bc"), "\"abc\".split at the first byte");
    cl_bytes zeros = cl_bytes_from((const uint8_t *)"\0a\0\0b\0", 6);
    cl_buf *pieces = cl_bytes_split(zeros, 0, INT64_MAX, HERE);
    CHECK(pieces->count == 2 && is(*(cl_bytes *)cl_buf_at(pieces, 0), "a") && is(*(cl_bytes *)cl_buf_at(pieces, 1), "b"),
        "split at NUL bytes");
}

static bool first_index(const char *s, uint8_t x, int64_t expected) {
    int64_t i = -99;
    bool found = cl_bytes_first_index(text(s), x, &i);
    return expected < 0 ? !found : found && i == expected;
}

static void check_others(void) {
    CHECK(first_index("", 'a', -1), "\"\".firstIndex(of: a) is nil");
    CHECK(first_index("a", 'a', 0), "\"a\".firstIndex(of: a) is 0");
    CHECK(first_index("bca", 'a', 2), "\"bca\".firstIndex(of: a) is 2 (the last)");
    CHECK(first_index("bcaa", 'a', 2), "\"bcaa\".firstIndex(of: a) is 2 (the first)");
    CHECK(first_index("bcd", 'a', -1), "\"bcd\".firstIndex(of: a) is nil");

    CHECK(is(cl_bytes_trimmed(text("")), ""), "\"\".trimmed()");
    CHECK(is(cl_bytes_trimmed(text(" \t\n\r\v\f")), ""), "white space only, trimmed");
    CHECK(is(cl_bytes_trimmed(text(" \t a b \r\n")), "a b"), "trimmed keeps inner space");
    CHECK(is(cl_bytes_trimmed(text("x")), "x"), "\"x\".trimmed()");
    CHECK(is(cl_bytes_trimmed(text("\x85x\xa0")), "\x85x\xa0"), "bytes above ASCII are not white space");

    CHECK(cl_bytes_has_prefix(text("abc"), text("")) && cl_bytes_has_suffix(text("abc"), text("")), "the empty prefix and suffix");
    CHECK(cl_bytes_has_prefix(text(""), text("")) && cl_bytes_has_suffix(text(""), text("")), "\"\" has the empty prefix");
    CHECK(cl_bytes_has_prefix(text("abc"), text("abc")) && cl_bytes_has_suffix(text("abc"), text("abc")), "itself as prefix and suffix");
    CHECK(!cl_bytes_has_prefix(text("abc"), text("abcd")) && !cl_bytes_has_suffix(text("abc"), text("zabc")), "longer than itself");
    CHECK(!cl_bytes_has_prefix(text("abc"), text("b")) && !cl_bytes_has_suffix(text("abc"), text("b")), "not at the edge");
    CHECK(cl_bytes_has_suffix(text("abc"), text("bc")) && !cl_bytes_has_prefix(text("abc"), text("bc")), "a suffix only");

    CHECK(is(cl_bytes_lowercased(text("@AZ[`az{\xc3\x89")), "@az[`az{\xc3\x89"), "lowercased: ASCII letters only");
    CHECK(is(cl_bytes_uppercased(text("@AZ[`az{\xc3\xa9")), "@AZ[`AZ{\xc3\xa9"), "uppercased: ASCII letters only");
    CHECK(is(cl_bytes_lowercased(text("")), "") && is(cl_bytes_uppercased(text("")), ""), "the empty case");

    CHECK(is(cl_bytes_concat(text(""), text("")), ""), "\"\" + \"\"");
    CHECK(is(cl_bytes_concat(text("ab"), text("")), "ab") && is(cl_bytes_concat(text(""), text("ab")), "ab"), "+ \"\"");
    cl_bytes grown = text("ab");
    grown = cl_bytes_append_contents(grown, grown, true);
    CHECK(is(grown, "abab"), "b.append(contentsOf: b)");
    for (int i = 0; i < 40; i++) grown = cl_bytes_append(grown, (uint8_t)('0' + i % 10), true);
    CHECK(grown->count == 44 && grown->data[43] == '9' && grown->data[4] == '0', "appending past the capacity, byte by byte");
    cl_bytes shared = text("xy");
    cl_share(shared);
    cl_bytes other = cl_bytes_append(shared, 'z', true);
    CHECK(is(shared, "xy") && is(other, "xyz"), "appending to a shared buffer copies it");

    cl_buf *none = cl_buf_new(&cl_type_bytes, 0);
    CHECK(is(cl_bytes_joined(none, text(",")), ""), "nothing joined");
    cl_bytes one = text("a");
    cl_buf *single = cl_array_append(&cl_type_bytes, cl_buf_new(&cl_type_bytes, 0), &one, true);
    CHECK(is(cl_bytes_joined(single, text(",")), "a"), "one piece joined: no separator");

    /* Decoding UTF-8 as Swift's String(decoding:as:) does: one U+FFFD per maximal invalid part. */
    CHECK(is(cl_string_decode(text("h\xc3\xa9!")), "h\xc3\xa9!"), "valid UTF-8 decodes as it is");
    CHECK(is(cl_string_decode(text("\xc0\xaf")), "\xef\xbf\xbd\xef\xbf\xbd"), "an overlong form: two replacements");
    CHECK(is(cl_string_decode(text("\xed\xa0\x80")), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"), "a surrogate: three replacements");
    CHECK(is(cl_string_decode(text("\xe2\x82")), "\xef\xbf\xbd"), "a sequence cut at the end: one replacement");
    CHECK(is(cl_string_decode(text("\xe2\x82x")), "\xef\xbf\xbdx"), "a sequence cut short: one replacement");
    CHECK(is(cl_string_decode(text("\xf4\x90\x80\x80")), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"), "beyond U+10FFFF");
    CHECK(is(cl_string_decode(text("\xf4\x8f\xbf\xbf")), "\xf4\x8f\xbf\xbf"), "U+10FFFF itself");
    CHECK(is(cl_string_decode(text("")), ""), "nothing to decode");

    /* Int(b) and UInt8(b), ...: an optional sign, decimal digits, nothing else; nil beyond the type. */
    int64_t v = 0;
    uint64_t u = 0;
    CHECK(cl_parse_int(text("9223372036854775807"), INT64_MIN, INT64_MAX, &v) && v == INT64_MAX, "Int(\"9223372036854775807\")");
    CHECK(!cl_parse_int(text("9223372036854775808"), INT64_MIN, INT64_MAX, &v), "Int(\"9223372036854775808\") is nil");
    CHECK(cl_parse_int(text("-9223372036854775808"), INT64_MIN, INT64_MAX, &v) && v == INT64_MIN, "Int(\"-9223372036854775808\")");
    CHECK(!cl_parse_int(text("-9223372036854775809"), INT64_MIN, INT64_MAX, &v), "Int(\"-9223372036854775809\") is nil");
    CHECK(cl_parse_int(text("-128"), INT8_MIN, INT8_MAX, &v) && v == -128, "Int8(\"-128\")");
    CHECK(!cl_parse_int(text("-129"), INT8_MIN, INT8_MAX, &v) && !cl_parse_int(text("128"), INT8_MIN, INT8_MAX, &v), "Int8 out of range");
    CHECK(cl_parse_int(text("-0"), INT64_MIN, INT64_MAX, &v) && v == 0, "Int(\"-0\") is 0");
    CHECK(cl_parse_int(text("+5"), INT64_MIN, INT64_MAX, &v) && v == 5, "Int(\"+5\") is 5");
    const char *not_numbers[] = {"", "-", "+", " 1", "1 ", "1a", "0x10", "--1", "+-1", "1.0"};
    for (size_t i = 0; i < sizeof not_numbers / sizeof not_numbers[0]; i++)
        CHECK(!cl_parse_int(text(not_numbers[i]), INT64_MIN, INT64_MAX, &v), "Int(\"%s\") is nil", not_numbers[i]);
    CHECK(cl_parse_uint(text("18446744073709551615"), UINT64_MAX, &u) && u == UINT64_MAX, "UInt64(\"18446744073709551615\")");
    CHECK(!cl_parse_uint(text("18446744073709551616"), UINT64_MAX, &u), "UInt64(\"18446744073709551616\") is nil");
    CHECK(cl_parse_uint(text("255"), UINT8_MAX, &u) && u == 255 && !cl_parse_uint(text("256"), UINT8_MAX, &u), "UInt8 at its edge");
    CHECK(cl_parse_uint(text("-0"), UINT64_MAX, &u) && u == 0, "UInt(\"-0\") is 0");
    CHECK(cl_parse_uint(text("-000"), UINT8_MAX, &u) && u == 0, "UInt8(\"-000\") is 0");
    CHECK(!cl_parse_uint(text("-1"), UINT64_MAX, &u) && !cl_parse_uint(text("-"), UINT64_MAX, &u), "UInt(\"-1\"), UInt(\"-\") are nil");
    CHECK(cl_parse_uint(text("+7"), UINT64_MAX, &u) && u == 7, "UInt(\"+7\") is 7");
}

int main(void) {
    cl_heap_init();
    cl_loop_enter();
    check_positions();
    check_split();
    check_others();
    return harness_done();
}
