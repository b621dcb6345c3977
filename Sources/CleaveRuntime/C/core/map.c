/* map.c: `Map<K, V>`, a hash map that iterates in insertion order.
 *
 * Entries sit in one array in the order they were inserted (each with its
 * hash, a live flag, the key and the value); an open-addressing index of
 * entry numbers (linear probing, a power of two in size, at most 3/4 full)
 * finds them. Removing an entry marks it dead and leaves a tombstone in the
 * index; when dead entries outnumber live ones, both are rebuilt. The i-th
 * entry of an iteration is then the i-th of the array.
 *
 * Sharing follows the rules of arrays (array.c): a shared map is copied into
 * the region before it changes, keys and values stored into a map of a state heap are
 * promoted into it, replaced and removed ones are released (a removed value
 * is first copied out into the region for the caller).
 */
#include "cleave.h"

#define ALIGN8(n) (((n) + 7u) & ~7u)
#define LIVE_OFFSET 8

static unsigned char *entry(cl_map *m, int64_t i) { return m->entries + (size_t)i * m->entry_size; }
static uint64_t *entry_hash(unsigned char *e) { return (uint64_t *)(void *)e; }
static bool is_live(unsigned char *e) { return e[LIVE_OFFSET] != 0; }
static bool in_state_heap(cl_map *m) { return m->heap != NULL && !cl_heap_is_region(m->heap); }

static cl_map *map_alloc(const cl_type *t, cl_heap *h) {
    cl_map *m = cl_alloc(h, sizeof *m);
    memset(m, 0, sizeof *m);
    m->heap = h;
    m->key_offset = 16;
    m->value_offset = 16 + ALIGN8(t->key->size);
    m->entry_size = m->value_offset + ALIGN8(t->value->size);
    return m;
}

cl_map *cl_map_new(const cl_type *t) { return map_alloc(t, cl_region); }

int64_t cl_map_count(const cl_map *m) { return m->count; }

cl_heap *cl_map_heap(const cl_map *m) { return m->heap; }

static void rebuild_index(cl_map *m, int64_t capacity) {
    if (m->index) cl_free_later(m->heap, m->index);
    m->index = cl_alloc(m->heap, (size_t)capacity * sizeof(int32_t));
    memset(m->index, 0, (size_t)capacity * sizeof(int32_t));
    m->index_capacity = capacity;
    uint64_t mask = (uint64_t)capacity - 1;
    for (int64_t i = 0; i < m->used; i++) {
        unsigned char *e = entry(m, i);
        if (!is_live(e)) continue;
        uint64_t slot = *entry_hash(e) & mask;
        while (m->index[slot] != 0) slot = (slot + 1) & mask;
        m->index[slot] = (int32_t)(i + 1);
    }
}

/* Drop dead entries, keeping the order of the live ones. */
static void compact(cl_map *m) {
    int64_t k = 0;
    for (int64_t i = 0; i < m->used; i++) {
        unsigned char *e = entry(m, i);
        if (!is_live(e)) continue;
        if (k != i) memcpy(entry(m, k), e, m->entry_size);
        k++;
    }
    m->used = k;
    rebuild_index(m, m->index_capacity ? m->index_capacity : 8);
}

/* The entry number of key, or -1; *slot_out: its index slot (or where it would go). */
static int64_t find(const cl_type *t, cl_map *m, const void *key, uint64_t hash, uint64_t *slot_out) {
    if (m->index_capacity == 0) return -1;
    uint64_t mask = (uint64_t)m->index_capacity - 1;
    uint64_t slot = hash & mask;
    int64_t tombstone = -1;
    for (;;) {
        int32_t v = m->index[slot];
        if (v == 0) {
            if (slot_out) *slot_out = tombstone >= 0 ? (uint64_t)tombstone : slot;
            return -1;
        }
        if (v < 0) {
            if (tombstone < 0) tombstone = (int64_t)slot;
        } else {
            unsigned char *e = entry(m, v - 1);
            if (*entry_hash(e) == hash && cl_equal(t->key, e + m->key_offset, key)) {
                if (slot_out) *slot_out = slot;
                return v - 1;
            }
        }
        slot = (slot + 1) & mask;
    }
}

/* The map, or a copy, ready to be changed (see array.c's cl_buf_writable). */
static cl_map *writable(const cl_type *t, cl_map *m, bool reuse) {
    if (reuse && !(m->flags & CL_SHARED) && m->heap != NULL) return m;
    cl_heap *home = cl_region;
    cl_map *n = map_alloc(t, home);
    n->count = m->count;
    n->used = m->used;
    n->entry_capacity = m->used > 4 ? m->used : 4;
    n->entries = cl_alloc(home, (size_t)n->entry_capacity * n->entry_size);
    if (m->used) memcpy(n->entries, m->entries, (size_t)m->used * m->entry_size);
    /* The copy shares the keys and values with the original. */
    for (int64_t i = 0; i < n->used; i++) {
        unsigned char *e = entry(n, i);
        if (!is_live(e)) continue;
        cl_mark(t->key, e + n->key_offset);
        cl_mark(t->value, e + n->value_offset);
    }
    rebuild_index(n, m->index_capacity ? m->index_capacity : 8);
    return n;
}

bool cl_map_get(const cl_type *t, cl_map *m, const void *key, void *value) {
    int64_t i = find(t, m, key, cl_hash(t->key, key), NULL);
    if (i < 0) return false;
    memcpy(value, entry(m, i) + m->value_offset, t->value->size);
    return true;
}

cl_map *cl_map_set(const cl_type *t, cl_map *m, const void *key, const void *value, bool reuse) {
    m = writable(t, m, reuse);
    bool state = in_state_heap(m);
    uint64_t hash = cl_hash(t->key, key);
    uint64_t slot = 0;
    int64_t i = find(t, m, key, hash, &slot);
    if (i >= 0) {
        unsigned char *v = entry(m, i) + m->value_offset;
        if (state) cl_release(t->value, v, m->heap);
        memcpy(v, value, t->value->size);
        if (state) cl_promote(t->value, v, m->heap, false);
        return m;
    }
    if ((m->used + 1) * 4 > m->index_capacity * 3) {
        if (m->used > 2 * m->count + 8) compact(m);
        int64_t capacity = m->index_capacity ? m->index_capacity : 8;
        while ((m->used + 1) * 4 > capacity * 3) capacity *= 2;
        rebuild_index(m, capacity);
        find(t, m, key, hash, &slot);
    }
    if (m->used == m->entry_capacity) {
        int64_t capacity = m->entry_capacity ? 2 * m->entry_capacity : 8;
        unsigned char *entries = cl_alloc(m->heap, (size_t)capacity * m->entry_size);
        if (m->used) memcpy(entries, m->entries, (size_t)m->used * m->entry_size);
        if (m->entries) cl_free_later(m->heap, m->entries);
        m->entries = entries;
        m->entry_capacity = capacity;
    }
    unsigned char *e = entry(m, m->used);
    memset(e, 0, m->entry_size);
    *entry_hash(e) = hash;
    e[LIVE_OFFSET] = 1;
    memcpy(e + m->key_offset, key, t->key->size);
    memcpy(e + m->value_offset, value, t->value->size);
    if (state) {
        cl_promote(t->key, e + m->key_offset, m->heap, false);
        cl_promote(t->value, e + m->value_offset, m->heap, false);
    }
    m->index[slot] = (int32_t)(m->used + 1);
    m->used++;
    m->count++;
    return m;
}

cl_map *cl_map_remove(const cl_type *t, cl_map *m, const void *key, void *value, bool *found, bool reuse) {
    uint64_t hash = cl_hash(t->key, key);
    if (found) *found = false;
    if (find(t, m, key, hash, NULL) < 0) return m;
    m = writable(t, m, reuse);
    uint64_t slot = 0;
    int64_t i = find(t, m, key, hash, &slot);
    unsigned char *e = entry(m, i);
    if (found) *found = true;
    if (value) {
        memcpy(value, e + m->value_offset, t->value->size);
        if (in_state_heap(m)) cl_promote(t->value, value, cl_region, true);
    }
    if (in_state_heap(m)) {
        cl_release(t->key, e + m->key_offset, m->heap);
        cl_release(t->value, e + m->value_offset, m->heap);
    }
    e[LIVE_OFFSET] = 0;
    m->index[slot] = -1;
    m->count--;
    if (m->used > 16 && m->used > 2 * m->count) compact(m);
    return m;
}

void cl_map_entry(const cl_type *t, cl_map *m, int64_t i, void *key, void *value) {
    if (m->used != m->count) compact(m);
    if (i < 0 || i >= m->count) cl_trap("runtime", "map entry out of range");
    unsigned char *e = entry(m, i);
    memcpy(key, e + m->key_offset, t->key->size);
    memcpy(value, e + m->value_offset, t->value->size);
}

static cl_buf *column(const cl_type *t, cl_map *m, bool keys) {
    const cl_type *elem = keys ? t->key : t->value;
    cl_buf *b = cl_array_new(elem, m->count);
    for (int64_t i = 0; i < m->used; i++) {
        unsigned char *e = entry(m, i);
        if (!is_live(e)) continue;
        void *x = e + (keys ? m->key_offset : m->value_offset);
        cl_mark(elem, x);
        b = cl_array_append(elem, b, x, true);
    }
    return b;
}

cl_buf *cl_map_keys(const cl_type *t, cl_map *m) { return column(t, m, true); }
cl_buf *cl_map_values(const cl_type *t, cl_map *m) { return column(t, m, false); }

void cl_map_mark_op(const cl_type *t, void *v) {
    (void)t;
    cl_map *m = *(cl_map **)v;
    if (m) m->flags |= CL_SHARED;
}

void cl_map_promote_op(const cl_type *t, void *v, cl_heap *h, bool force) {
    cl_map *m = *(cl_map **)v;
    if (m == NULL || (!force && m->heap == h && !(m->flags & CL_SHARED))) return;
    cl_map *n = map_alloc(t, h);
    n->entry_capacity = m->count > 4 ? m->count : 4;
    n->entries = cl_alloc(h, (size_t)n->entry_capacity * n->entry_size);
    for (int64_t i = 0; i < m->used; i++) {
        unsigned char *e = entry(m, i);
        if (!is_live(e)) continue;
        unsigned char *d = entry(n, n->used++);
        memcpy(d, e, m->entry_size);
        cl_promote(t->key, d + n->key_offset, h, true);
        cl_promote(t->value, d + n->value_offset, h, true);
    }
    n->count = n->used;
    int64_t capacity = 8;
    while (n->count * 4 >= capacity * 3) capacity *= 2;
    rebuild_index(n, capacity);
    *(cl_map **)v = n;
}

void cl_map_release_op(const cl_type *t, void *v, cl_heap *h) {
    cl_map *m = *(cl_map **)v;
    if (m == NULL || m->heap != h || h == NULL) return;
    for (int64_t i = 0; i < m->used; i++) {
        unsigned char *e = entry(m, i);
        if (!is_live(e)) continue;
        cl_release(t->key, e + m->key_offset, h);
        cl_release(t->value, e + m->value_offset, h);
    }
    if (m->entries) cl_free_later(h, m->entries);
    if (m->index) cl_free_later(h, m->index);
    cl_free_later(h, m);
}

bool cl_map_equal_op(const cl_type *t, const void *a, const void *b) {
    cl_map *x = *(cl_map *const *)a, *y = *(cl_map *const *)b;
    if (x->count != y->count) return false;
    for (int64_t i = 0; i < x->used; i++) {
        unsigned char *e = entry(x, i);
        if (!is_live(e)) continue;
        int64_t j = find(t, y, e + x->key_offset, *entry_hash(e), NULL);
        if (j < 0 || !cl_equal(t->value, entry(y, j) + y->value_offset, e + x->value_offset)) return false;
    }
    return true;
}
