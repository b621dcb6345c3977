/* bytes.c: `Bytes` and `String`, which share one representation: a buffer
 * of bytes (String holds UTF-8). Results are new buffers in the current
 * region; the operations that change a value (`append`, `b[i] = x`,
 * `writeUInt16(_:at:)`) go through cl_buf_writable like arrays do.
 */
#include "cleave.h"

static const cl_type *u8 = &cl_type_uint8;

static cl_bytes bytes_new(size_t length) {
    cl_bytes b = cl_buf_new(u8, (int64_t)length);
    b->count = (int64_t)length;
    return b;
}

cl_bytes cl_bytes_from(const uint8_t *data, size_t length) {
    cl_bytes b = bytes_new(length);
    if (length) memcpy(b->data, data, length);
    return b;
}

cl_bytes cl_bytes_empty(void) { return bytes_new(0); }

/* Constants live as long as the program. Each block starts with a link to the one made
 * before, from `constants`: a leak checker finds them all in use, even one whose variable the
 * C compiler dropped because its only reader could never run (the trap after a call that does
 * not return). */
static void *constants;

cl_bytes cl_bytes_constant(const char *text, size_t length) {
    void **block = cl_platform_alloc(sizeof(void *) + sizeof(cl_buf) + length + 1);
    if (block == NULL) cl_trap("runtime", "out of memory");
    block[0] = constants;
    constants = block;
    cl_bytes b = (cl_bytes)(block + 1);
    b->count = (int64_t)length;
    b->capacity = (int64_t)length;
    b->heap = NULL;
    b->flags = CL_SHARED;
    b->elem_size = 1;
    memcpy(b->data, text, length);
    return b;
}

bool cl_bytes_equal(cl_bytes a, cl_bytes b) {
    return a->count == b->count && (a->count == 0 || memcmp(a->data, b->data, (size_t)a->count) == 0);
}

int cl_bytes_compare(cl_bytes a, cl_bytes b) {
    int64_t n = a->count < b->count ? a->count : b->count;
    int c = n ? memcmp(a->data, b->data, (size_t)n) : 0;
    if (c != 0) return c < 0 ? -1 : 1;
    return a->count < b->count ? -1 : a->count > b->count ? 1 : 0;
}

uint64_t cl_bytes_hash(cl_bytes a) {
    /* FNV-1a, then a final mix so that short keys spread over the table. */
    uint64_t h = 0xcbf29ce484222325u;
    for (int64_t i = 0; i < a->count; i++) h = (h ^ a->data[i]) * 0x100000001b3u;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdu;
    return h ^ (h >> 33);
}

cl_bytes cl_bytes_concat(cl_bytes a, cl_bytes b) {
    cl_bytes r = bytes_new((size_t)(a->count + b->count));
    memcpy(r->data, a->data, (size_t)a->count);
    memcpy(r->data + a->count, b->data, (size_t)b->count);
    return r;
}

cl_bytes cl_bytes_append(cl_bytes b, uint8_t x, bool reuse) {
    cl_bytes r = cl_buf_writable(u8, b, reuse, b->count + 1);
    r->data[r->count++] = x;
    return r;
}

cl_bytes cl_bytes_append_contents(cl_bytes b, cl_bytes other, bool reuse) {
    int64_t n = other->count;
    cl_bytes r = cl_buf_writable(u8, b, reuse, b->count + n);
    memmove(r->data + r->count, other->data, (size_t)n);
    r->count += n;
    return r;
}

cl_bytes cl_bytes_repeating(uint8_t x, int64_t count, const char *where) {
    if (count < 0) cl_trap(where, "can't make Bytes with a negative count");
    cl_bytes r = bytes_new((size_t)count);
    memset(r->data, x, (size_t)count);
    return r;
}

cl_bytes cl_bytes_slice(cl_bytes b, int64_t lo, int64_t hi, const char *where) {
    if (lo < 0 || hi > b->count || lo > hi) cl_trap_slice(where, lo, hi, b->count);
    return cl_bytes_from(b->data + lo, (size_t)(hi - lo));
}

uint8_t cl_bytes_get(cl_bytes b, int64_t i, const char *where) {
    if (i < 0 || i >= b->count) cl_trap_index(where, i, b->count);
    return b->data[i];
}

cl_bytes cl_bytes_set(cl_bytes b, int64_t i, uint8_t x, bool reuse, const char *where) {
    if (i < 0 || i >= b->count) cl_trap_index(where, i, b->count);
    cl_bytes r = cl_buf_writable(u8, b, reuse, b->count);
    r->data[i] = x;
    return r;
}

/* Swift's split(separator:maxSplits:omittingEmptySubsequences: true). */
cl_buf *cl_bytes_split(cl_bytes b, uint8_t separator, int64_t max_splits, const char *where) {
    if (max_splits < 0) cl_trap(where, "can't split with a negative maxSplits");
    cl_buf *pieces = cl_buf_new(&cl_type_bytes, 4);
    int64_t start = 0, end = 0, n = b->count;
    if (max_splits > 0 && n > 0) {
        while (end < n) {
            if (b->data[end] == separator) {
                bool appended = false;
                if (end > start) {
                    cl_bytes piece = cl_bytes_from(b->data + start, (size_t)(end - start));
                    pieces = cl_array_append(&cl_type_bytes, pieces, &piece, true);
                    appended = true;
                }
                end++;
                start = end;
                if (appended && pieces->count == max_splits) break;
                continue;
            }
            end++;
        }
    }
    if (start < n) {
        cl_bytes piece = cl_bytes_from(b->data + start, (size_t)(n - start));
        pieces = cl_array_append(&cl_type_bytes, pieces, &piece, true);
    }
    return pieces;
}

bool cl_bytes_has_prefix(cl_bytes b, cl_bytes p) {
    return p->count <= b->count && memcmp(b->data, p->data, (size_t)p->count) == 0;
}

bool cl_bytes_has_suffix(cl_bytes b, cl_bytes p) {
    return p->count <= b->count && memcmp(b->data + (b->count - p->count), p->data, (size_t)p->count) == 0;
}

static bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

cl_bytes cl_bytes_trimmed(cl_bytes b) {
    int64_t lo = 0, hi = b->count;
    while (lo < hi && is_space(b->data[lo])) lo++;
    while (hi > lo && is_space(b->data[hi - 1])) hi--;
    return cl_bytes_from(b->data + lo, (size_t)(hi - lo));
}

cl_bytes cl_bytes_lowercased(cl_bytes b) {
    cl_bytes r = cl_bytes_from(b->data, (size_t)b->count);
    for (int64_t i = 0; i < r->count; i++)
        if (r->data[i] >= 'A' && r->data[i] <= 'Z') r->data[i] = (uint8_t)(r->data[i] + 32);
    return r;
}

cl_bytes cl_bytes_uppercased(cl_bytes b) {
    cl_bytes r = cl_bytes_from(b->data, (size_t)b->count);
    for (int64_t i = 0; i < r->count; i++)
        if (r->data[i] >= 'a' && r->data[i] <= 'z') r->data[i] = (uint8_t)(r->data[i] - 32);
    return r;
}

bool cl_bytes_first_index(cl_bytes b, uint8_t x, int64_t *index) {
    const uint8_t *p = b->count ? memchr(b->data, x, (size_t)b->count) : NULL;
    if (p == NULL) return false;
    *index = p - b->data;
    return true;
}

static void check_access(cl_bytes b, int64_t at, int width, const char *where) {
    if (at < 0 || at > b->count - width) {
        cl_text m = {.length = 0};
        cl_text_append_int(&m, width);
        cl_text_append(&m, "-byte access at offset ");
        cl_text_append_int(&m, at);
        cl_text_append(&m, " out of range of a count of ");
        cl_text_append_int(&m, b->count);
        cl_trap(where, m.text);
    }
}

uint64_t cl_bytes_read(cl_bytes b, int64_t at, int width, const char *where) {
    check_access(b, at, width, where);
    uint64_t x = 0;
    for (int i = 0; i < width; i++) x = (x << 8) | b->data[at + i];
    return x;
}

cl_bytes cl_bytes_write(cl_bytes b, uint64_t x, int64_t at, int width, bool reuse, const char *where) {
    check_access(b, at, width, where);
    cl_bytes r = cl_buf_writable(u8, b, reuse, b->count);
    for (int i = width - 1; i >= 0; i--) {
        r->data[at + i] = (uint8_t)x;
        x >>= 8;
    }
    return r;
}

cl_bytes cl_bytes_from_array(cl_buf *a) { return cl_bytes_from(a->data, (size_t)a->count); }

/* Decode UTF-8, replacing each maximal invalid subsequence by U+FFFD (as Swift does). */
cl_bytes cl_string_decode(cl_bytes b) {
    cl_bytes r = cl_buf_new(u8, b->count);
    const uint8_t *p = b->data;
    int64_t n = b->count, i = 0;
    while (i < n) {
        uint8_t c = p[i];
        int len = 0;
        uint32_t lo = 0x80, hi = 0xbf;
        if (c < 0x80) len = 1;
        else if (c >= 0xc2 && c <= 0xdf) len = 2;
        else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            if (c == 0xe0) lo = 0xa0;
            if (c == 0xed) hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            if (c == 0xf0) lo = 0x90;
            if (c == 0xf4) hi = 0x8f;
        }
        int k = 1;
        if (len > 1) {
            while (k < len && i + k < n) {
                uint8_t d = p[i + k];
                if (d < (k == 1 ? lo : 0x80) || d > (k == 1 ? hi : 0xbf)) break;
                k++;
            }
        }
        if (len > 0 && k == len) {
            r = cl_buf_writable(u8, r, true, r->count + len);
            memcpy(r->data + r->count, p + i, (size_t)len);
            r->count += len;
            i += len;
        } else {
            r = cl_buf_writable(u8, r, true, r->count + 3);
            memcpy(r->data + r->count, "\xef\xbf\xbd", 3);
            r->count += 3;
            i += len > 1 ? k : 1;
        }
    }
    return r;
}

cl_bytes cl_bytes_joined(cl_buf *pieces, cl_bytes separator) {
    int64_t total = 0;
    for (int64_t i = 0; i < pieces->count; i++) total += (*(cl_bytes *)cl_buf_at(pieces, i))->count;
    if (pieces->count > 1) total += separator->count * (pieces->count - 1);
    cl_bytes r = bytes_new((size_t)total);
    int64_t at = 0;
    for (int64_t i = 0; i < pieces->count; i++) {
        if (i > 0) {
            memcpy(r->data + at, separator->data, (size_t)separator->count);
            at += separator->count;
        }
        cl_bytes p = *(cl_bytes *)cl_buf_at(pieces, i);
        memcpy(r->data + at, p->data, (size_t)p->count);
        at += p->count;
    }
    return r;
}

void cl_builder_init(cl_builder *s) { s->buf = cl_buf_new(u8, 32); }

void cl_builder_raw(cl_builder *s, const char *text, size_t length) {
    s->buf = cl_buf_writable(u8, s->buf, true, s->buf->count + (int64_t)length);
    memcpy(s->buf->data + s->buf->count, text, length);
    s->buf->count += (int64_t)length;
}

void cl_builder_bytes(cl_builder *s, cl_bytes b) { cl_builder_raw(s, (const char *)b->data, (size_t)b->count); }
