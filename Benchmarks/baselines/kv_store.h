/* kv_store.h: the store of the hand-written kv baselines (kv_server.c on a UDP
 * socket, kv_tap_server.c on a TAP), one piece of code so that both do exactly
 * the work Examples/kv/kv.clv does:
 *     SET <key> <value>  -> STORED        GET <key> -> the value, or NOT_FOUND
 *     anything else      -> ERROR
 * The request is split exactly as Swift's split(separator: 32, maxSplits: 2)
 * does (empty pieces omitted, at most two splits, the value is the rest). The
 * table is an open-addressing hash map from bytes to bytes; a SET on an existing
 * key replaces its value (the old one is freed), so memory stays flat.
 *
 * The including file defines NAME (for the out-of-memory message) first.
 */
#ifndef KV_STORE_H
#define KV_STORE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *p;
    size_t n;
} piece;

typedef struct {
    uint64_t hash;
    uint8_t *key; /* NULL: empty */
    size_t key_len;
    uint8_t *value;
    size_t value_len;
} entry;

static entry *table;
static size_t capacity, used; /* capacity is a power of two */

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15u ^ n;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9u;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * 0x94D049BB133111EBu;
    return h ^ (h >> 31);
}

static entry *find_slot(entry *t, size_t cap, uint64_t h, const uint8_t *key, size_t len) {
    for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        entry *e = &t[i];
        if (!e->key || (e->hash == h && e->key_len == len && memcmp(e->key, key, len) == 0)) return e;
    }
}

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs(NAME ": out of memory\n", stderr);
        exit(1);
    }
    return p;
}

static void grow(void) {
    size_t cap = capacity ? 2 * capacity : 1024;
    entry *t = xmalloc(cap * sizeof *t);
    memset(t, 0, cap * sizeof *t);
    for (size_t i = 0; i < capacity; i++)
        if (table[i].key) *find_slot(t, cap, table[i].hash, table[i].key, table[i].key_len) = table[i];
    free(table);
    table = t;
    capacity = cap;
}

static void set(piece key, piece value) {
    if (4 * (used + 1) > 3 * capacity) grow();
    uint64_t h = hash_bytes(key.p, key.n);
    entry *e = find_slot(table, capacity, h, key.p, key.n);
    if (!e->key) {
        e->hash = h;
        e->key = xmalloc(key.n);
        memcpy(e->key, key.p, key.n);
        e->key_len = key.n;
        used++;
    }
    free(e->value);
    e->value = xmalloc(value.n);
    memcpy(e->value, value.p, value.n);
    e->value_len = value.n;
}

static const entry *get(piece key) {
    if (!capacity) return NULL;
    entry *e = find_slot(table, capacity, hash_bytes(key.p, key.n), key.p, key.n);
    return e->key ? e : NULL;
}

/* Swift's split(separator: 32, maxSplits: 2): returns the number of pieces (at most 3). */
static int split(const uint8_t *p, size_t n, piece out[3]) {
    int count = 0;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != ' ') continue;
        if (i > start) out[count++] = (piece){p + start, i - start};
        start = i + 1;
        if (count == 2) break;
    }
    if (start < n) out[count++] = (piece){p + start, n - start};
    return count;
}

static int is(piece x, const char *word) {
    return x.n == strlen(word) && memcmp(x.p, word, x.n) == 0;
}

static size_t reply(uint8_t *out, const char *text) {
    size_t n = strlen(text);
    memcpy(out, text, n);
    return n;
}

/* The reply to request[0..len), written to out (room for `room` bytes); its length, or
 * room + 1 when it does not fit. */
static size_t kv_answer(const uint8_t *request, size_t len, uint8_t *out, size_t room) {
    piece parts[3];
    int count = split(request, len, parts);
    if (count == 3 && is(parts[0], "SET")) {
        set(parts[1], parts[2]);
        return reply(out, "STORED");
    }
    if (count == 2 && is(parts[0], "GET")) {
        const entry *e = get(parts[1]);
        if (!e) return reply(out, "NOT_FOUND");
        if (e->value_len > room) return room + 1;
        memcpy(out, e->value, e->value_len);
        return e->value_len;
    }
    return reply(out, "ERROR");
}

#endif
