/* components.c: a projected program's components, run in one thread.
 *
 * `cleave build --from-stage projected` builds every component's local
 * program (Passes/Project.swift) into one executable and runs them here as
 * coroutines: each has its own stack (ucontext) and its own memory (its own
 * regions, heap.c's cl_memory), and the channels between them are in-memory
 * queues. A component runs until it must wait for a value that has not been
 * sent yet, or until its loop ends an iteration; then the next component in
 * round-robin order that can go on runs. This is how the projected programs
 * are checked for meaning: built this way, a service must answer exactly as
 * the program built from source does.
 *
 * A value crosses as a copy: the sender's value is copied (promoted) into
 * the queue's own heap, and the reader copies it into its region and gives
 * the queue's copy back. No component ever sees another's memory, as in the
 * isolated target, where the queue is shared memory between processes.
 *
 * When a device's input ends (the end of a replayed capture), the sequential
 * program would stop right there, after everything that comes before it. Here
 * other components may still be behind: each finishes the iteration of main's
 * loop it is in (or stops where it waits for the finished one), and then the
 * service ends. A component that does not depend on the device may be an
 * iteration ahead of it or behind it at that moment, so its `print`s (debugging
 * output) can differ at the very end; what the devices send cannot.
 *
 * Projection makes the programs deadlock-free (see Project.swift). Should
 * every unfinished component still wait for a value, that is a compiler bug,
 * reported as one, naming the components and what they wait for.
 *
 * Built with AddressSanitizer, every switch tells the sanitizer which stack
 * runs next (its fiber interface), or it would take a component's stack for
 * a wild jump on the main one; and the components' stacks, which are not
 * malloc'd, are scanned for what they still refer to when leaks are checked.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "core/cleave.h"

#if CL_ASAN
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif

#define CL_COMPONENT_STACK (64u << 20) /* reserved, not committed: pages come on first touch */

typedef struct cl_message {
    struct cl_message *next;
    int channel;
    void *value;
} cl_message;

/* The values from one component to another, oldest first. */
typedef struct cl_link {
    cl_message *head, *tail;
    cl_heap *heap;
} cl_link;

typedef struct cl_component {
    const char *name;
    void (*main)(void);
    ucontext_t context;
    cl_memory *memory;
    int waiting; /* the channel it waits on, or -1 */
    bool done;
} cl_component;

static cl_component *components;
static int component_count;
static const cl_channel_info *channel_table;
static int channel_count;
static cl_link *links; /* component_count x component_count */
static int running = -1;
static bool input_ended; /* a component's device reached the end of its input */
static ucontext_t scheduler;
static cl_memory *scheduler_memory;
static const void *scheduler_stack; /* the main stack, as the sanitizer knows it */
static size_t scheduler_stack_size;

/* Swap to `to`, whose stack is [stack, stack + size). */
static void switch_context(ucontext_t *from, const ucontext_t *to, const void *stack, size_t size) {
#if CL_ASAN
    void *fake_stack = NULL;
    __sanitizer_start_switch_fiber(&fake_stack, stack, size);
    swapcontext(from, to);
    __sanitizer_finish_switch_fiber(fake_stack, NULL, NULL);
#else
    (void)stack;
    (void)size;
    swapcontext(from, to);
#endif
}

static cl_link *link_of(int channel) {
    const cl_channel_info *c = &channel_table[channel];
    return &links[c->from * component_count + c->to];
}

/* Back to the scheduler, saving the running component's memory. */
static void yield_to_scheduler(void) {
    cl_component *c = &components[running];
    cl_memory_switch(c->memory, scheduler_memory);
    switch_context(&c->context, &scheduler, scheduler_stack, scheduler_stack_size);
}

static void component_entry(void) {
#if CL_ASAN
    __sanitizer_finish_switch_fiber(NULL, &scheduler_stack, &scheduler_stack_size);
#endif
    cl_component *c = &components[running];
    c->main();
    c->done = true;
    yield_to_scheduler();
}

void cl_channel_send(int channel, const void *value, const cl_type *type) {
    if (channel < 0 || channel >= channel_count || running < 0) cl_trap("runtime", "send on a channel that does not exist");
    cl_link *l = link_of(channel);
    cl_message *m = malloc(sizeof *m + type->size + 16);
    if (m == NULL) cl_trap("runtime", "out of memory");
    m->next = NULL;
    m->channel = channel;
    m->value = (void *)(((uintptr_t)(m + 1) + 15) & ~(uintptr_t)15);
    memcpy(m->value, value, type->size);
    cl_promote(type, m->value, l->heap, true);
    if (l->tail) l->tail->next = m; else l->head = m;
    l->tail = m;
}

void cl_channel_receive(int channel, void *value, const cl_type *type) {
    if (channel < 0 || channel >= channel_count || running < 0) cl_trap("runtime", "receive on a channel that does not exist");
    cl_link *l = link_of(channel);
    while (l->head == NULL) {
        components[running].waiting = channel;
        yield_to_scheduler();
    }
    components[running].waiting = -1;
    cl_message *m = l->head;
    if (m->channel != channel) {
        char text[256];
        snprintf(text, sizeof text, "internal error: component '%s' expected channel #%d (%s) but #%d (%s) came",
            components[running].name, channel, channel_table[channel].name, m->channel, channel_table[m->channel].name);
        cl_trap("runtime", text);
    }
    l->head = m->next;
    if (l->head == NULL) l->tail = NULL;
    memcpy(value, m->value, type->size);
    cl_promote(type, value, cl_region, true);
    cl_release(type, m->value, l->heap);
    free(m);
}

/* The input has ended (core/service.c: cl_exit_clean), inside a component or, once they have
 * all ended, outside one. */
static void input_ended_here(void) {
    if (running < 0) return;
    /* The sequential program would stop at this receive, after everything before it: the
     * others finish what they can without this component, then the service ends. */
    input_ended = true;
    components[running].done = true;
    yield_to_scheduler(); /* never returns: a finished component is never resumed */
}

_Noreturn void cl_component_halt(void) {
    /* The trap's reporter stops the service; this component goes no further. */
    if (running < 0) cl_trap("runtime", "internal error: halt outside a component");
    components[running].done = true;
    yield_to_scheduler();
    abort(); /* a finished component is never resumed */
}

void cl_component_iteration_end(void) {
    cl_iteration_end();
    /* After the end of the input, a component finishes the iteration it is in, no more. */
    if (input_ended) components[running].done = true;
    yield_to_scheduler();
}

static bool can_run(const cl_component *c) {
    if (c->done) return false;
    return c->waiting < 0 || link_of(c->waiting)->head != NULL;
}

void cl_components_run(int count, void (*const *mains)(void), const char *const *names, int channels,
    const cl_channel_info *table) {
    component_count = count;
    channel_table = table;
    channel_count = channels;
    components = calloc((size_t)count, sizeof *components);
    links = calloc((size_t)count * (size_t)count, sizeof *links);
    scheduler_memory = cl_memory_slot(); /* the first switch saves the running memory here */
    if (components == NULL || links == NULL || scheduler_memory == NULL) cl_trap("runtime", "out of memory");
    cl_input_ended_hook = input_ended_here;
    for (int i = 0; i < count * count; i++) links[i].heap = cl_heap_new("channel");
    for (int k = 0; k < count; k++) {
        cl_component *c = &components[k];
        c->name = names[k];
        c->main = mains[k];
        c->waiting = -1;
        c->memory = cl_memory_new();
        void *stack = mmap(NULL, CL_COMPONENT_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (stack == MAP_FAILED || getcontext(&c->context) != 0) cl_trap("runtime", "cannot make a component's stack");
#if CL_ASAN
        __lsan_register_root_region(stack, CL_COMPONENT_STACK);
#endif
        c->context.uc_stack.ss_sp = stack;
        c->context.uc_stack.ss_size = CL_COMPONENT_STACK;
        c->context.uc_link = NULL;
        makecontext(&c->context, component_entry, 0);
    }
    for (;;) {
        bool ran = false, left = false;
        for (int k = 0; k < count; k++) {
            cl_component *c = &components[k];
            if (!c->done) left = true;
            if (!can_run(c)) continue;
            ran = true;
            running = k;
            cl_memory_switch(scheduler_memory, c->memory);
            switch_context(&scheduler, &c->context, c->context.uc_stack.ss_sp, c->context.uc_stack.ss_size);
            running = -1;
        }
        if (!left) return;
        if (!ran && input_ended) return;
        if (!ran) {
            fprintf(stderr, "internal error: the components of the projected program wait for each other:\n");
            for (int k = 0; k < count; k++) {
                const cl_component *c = &components[k];
                if (c->done) continue;
                fprintf(stderr, "  %s waits for channel #%d (%s)\n", c->name, c->waiting,
                    c->waiting >= 0 ? channel_table[c->waiting].name : "?");
            }
            cl_trap("runtime", "deadlock between components");
        }
    }
}
