/* <malloc.h>: the allocator's extensions. malloc_trim gives the free pages
 * inside the heap back to the kernel (madvise), which free does only at the
 * heap's top (brk). */
#define GROUP "<malloc.h>"
#include "../probe.h"

#include <malloc.h>
#include <stdlib.h>

PROBE(malloc_trim, basic) {
    static void *chunks[200];
    for (int i = 0; i < 200; i++) chunks[i] = malloc(4000);
    for (int i = 0; i < 199; i++) free(chunks[i]);
    begin();
    sink_l = malloc_trim(0);
    end();
}
PROBE(malloc_usable_size, basic) {
    void *p = malloc(16);
    begin();
    sink_l = (long)malloc_usable_size(p);
    end();
}
