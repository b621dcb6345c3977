/* memory.c: the image's RAM, from the PVH memory map, as 4 KiB pages and as malloc.
 *
 * Pages: every RAM range of the map (type 1) above the first megabyte, less the image
 * itself and below 4 GiB (what boot.S maps), kept as a sorted list of free runs; a
 * request takes the first run long enough, and a freed run merges with its neighbours.
 *
 * malloc: blocks of 32 to 2048 bytes come from a free list per power-of-two size, each
 * refilled 16 KiB at a time and never given back (a service in a steady state reuses
 * its blocks); larger blocks are runs of pages, given back when freed. Every block has
 * a 16-byte header (its size class, or its pages) so that payloads are 16-byte aligned.
 * This is what platform.h's alloc, resize and free are; the runtime's heaps and regions
 * (core/heap.c) sit on it as they sit on the C library's malloc in a hosted build.
 */
#include "image/image.h"

#define PAGE 4096u
#define RUNS 1024
#define CLASSES 7          /* 32, 64, ..., 2048 */
#define SMALLEST_SHIFT 5
#define REFILL (16 * 1024u)
#define HEADER 16u
#define LARGE ((size_t)1 << 63)

typedef struct run {
    uintptr_t start;
    size_t pages;
} run;

static run runs[RUNS];
static int run_count;
static size_t total_pages, pages_in_use;

typedef struct free_block {
    struct free_block *next;
} free_block;

static free_block *free_lists[CLASSES];

extern char __image_end[];

typedef struct {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
    uint32_t memmap_entries, reserved;
} hvm_start_info;

typedef struct {
    uint64_t addr, size;
    uint32_t type, reserved;
} hvm_memmap_entry;

static void add_range(uint64_t start, uint64_t end) {
    uint64_t low = (uintptr_t)__image_end > 0x100000 ? (uintptr_t)__image_end : 0x100000;
    if (start < low) start = low;
    if (end > 0x100000000ull) end = 0x100000000ull;
    start = (start + PAGE - 1) & ~(uint64_t)(PAGE - 1);
    end &= ~(uint64_t)(PAGE - 1);
    if (end <= start || run_count == RUNS) return;
    size_t pages = (size_t)((end - start) / PAGE);
    cl_pages_free((void *)(uintptr_t)start, pages);
    total_pages += pages;
    pages_in_use += pages; /* cl_pages_free counted them out */
}

void cl_memory_init(const void *start_info) {
    const hvm_start_info *info = start_info;
    if (info->version >= 1 && info->memmap_paddr != 0) {
        const hvm_memmap_entry *map = (const hvm_memmap_entry *)(uintptr_t)info->memmap_paddr;
        for (uint32_t i = 0; i < info->memmap_entries; i++)
            if (map[i].type == 1) add_range(map[i].addr, map[i].addr + map[i].size);
    }
}

void *cl_pages_alloc(size_t count) {
    if (count == 0) count = 1;
    for (int i = 0; i < run_count; i++) {
        if (runs[i].pages < count) continue;
        uintptr_t start = runs[i].start;
        runs[i].start += count * PAGE;
        runs[i].pages -= count;
        if (runs[i].pages == 0) {
            memmove(&runs[i], &runs[i + 1], (size_t)(run_count - i - 1) * sizeof(run));
            run_count--;
        }
        pages_in_use += count;
        return (void *)start;
    }
    return NULL;
}

void cl_pages_free(void *pages, size_t count) {
    uintptr_t start = (uintptr_t)pages, end = start + count * PAGE;
    pages_in_use -= count;
    int i = 0;
    while (i < run_count && runs[i].start < start) i++;
    bool joins_before = i > 0 && runs[i - 1].start + runs[i - 1].pages * PAGE == start;
    bool joins_after = i < run_count && runs[i].start == end;
    if (joins_before && joins_after) {
        runs[i - 1].pages += count + runs[i].pages;
        memmove(&runs[i], &runs[i + 1], (size_t)(run_count - i - 1) * sizeof(run));
        run_count--;
    } else if (joins_before) {
        runs[i - 1].pages += count;
    } else if (joins_after) {
        runs[i].start = start;
        runs[i].pages += count;
    } else if (run_count < RUNS) {
        memmove(&runs[i + 1], &runs[i], (size_t)(run_count - i) * sizeof(run));
        runs[i] = (run){start, count};
        run_count++;
    }
    /* else: the list is full and these pages are lost, never handed out twice */
}

static int class_of(size_t size) {
    size_t need = size + HEADER;
    int c = 0;
    while (((size_t)1 << (c + SMALLEST_SHIFT)) < need) c++;
    return c;
}

void *cl_malloc(size_t size) {
    if (size > ((size_t)1 << 40)) return NULL;
    if (size + HEADER <= ((size_t)1 << (CLASSES - 1 + SMALLEST_SHIFT))) {
        int c = class_of(size);
        size_t block = (size_t)1 << (c + SMALLEST_SHIFT);
        if (!free_lists[c]) {
            uint8_t *chunk = cl_pages_alloc(REFILL / PAGE);
            if (!chunk) return NULL;
            for (size_t at = REFILL; at >= block; at -= block) {
                free_block *b = (free_block *)(chunk + at - block);
                b->next = free_lists[c];
                free_lists[c] = b;
            }
        }
        free_block *b = free_lists[c];
        free_lists[c] = b->next;
        *(size_t *)b = (size_t)c;
        return (uint8_t *)b + HEADER;
    }
    size_t pages = (size + HEADER + PAGE - 1) / PAGE;
    uint8_t *p = cl_pages_alloc(pages);
    if (!p) return NULL;
    *(size_t *)p = LARGE | pages;
    return p + HEADER;
}

static size_t capacity(const void *block) {
    size_t tag = *(const size_t *)((const uint8_t *)block - HEADER);
    if (tag & LARGE) return (tag & ~LARGE) * PAGE - HEADER;
    return ((size_t)1 << (tag + SMALLEST_SHIFT)) - HEADER;
}

void cl_free(void *block) {
    if (!block) return;
    uint8_t *b = (uint8_t *)block - HEADER;
    size_t tag = *(size_t *)b;
    if (tag & LARGE) {
        cl_pages_free(b, tag & ~LARGE);
        return;
    }
    free_block *f = (free_block *)b;
    f->next = free_lists[tag];
    free_lists[tag] = f;
}

void *cl_calloc(size_t count, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) return NULL;
    void *p = cl_malloc(total);
    if (p) memset(p, 0, total);
    return p;
}

void *cl_realloc(void *block, size_t size) {
    if (!block) return cl_malloc(size);
    size_t have = capacity(block);
    if (size <= have && (size > have / 4 || have <= 4096)) return block;
    void *p = cl_malloc(size);
    if (!p) return NULL;
    memcpy(p, block, size < have ? size : have);
    cl_free(block);
    return p;
}

size_t cl_memory_in_use(void) { return pages_in_use * PAGE; }

size_t cl_memory_total(void) { return total_pages * PAGE; }
