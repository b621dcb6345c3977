/* component.c: the process of one component of the isolated target.
 *
 * The launcher starts it with its descriptors in place (isolated.h): its
 * control socket, its status page and its rings. `main` maps them, sets up
 * memory and signals, computes the constants and runs the component's local
 * program (Passes/Project.swift). Its devices are bound by the launcher: the
 * netif asks over the control socket (cl_device_broker) and receives the
 * descriptors, so the component itself never opens a socket or a file.
 * While a device waits for its input, its netif says so on the status page
 * (waiting_for_input), where the launcher reads it: a component waiting for a
 * request has not stopped answering, whatever waits for it in its rings.
 *
 * When the program first enters its loop, its set-up is over and the sandbox
 * is loaded: PR_SET_NO_NEW_PRIVS, then a default-deny seccomp filter
 * (libseccomp) allowing only the system calls the compiler listed for this
 * component (cleave build --print-policy), those that take a descriptor only
 * on the component's own (its devices', the stop pipe, standard output and
 * error). A refused call raises SIGSYS; the handler writes the call's number
 * to the status page, where the launcher reads it to name the call, and makes
 * the same call again, which with SIGSYS blocked in the handler makes the
 * kernel end the process by that signal.
 *
 * Channels: cl_channel_send serializes the value with the channel's generated
 * writer, behind a header (isolated.h), into the ring to the reader's
 * component; cl_channel_receive reads the header, checks every field of it
 * against what it expects, then the value with the generated checked reader.
 * A message that fails is reported and stops the component (and with it the
 * service); it is never interpreted.
 *
 * Endings. At the end of the input, the component whose device ended marks
 * itself ended and leaves; leaving closes its rings. A component reading a
 * ring whose writer has gone, or writing one whose reader has gone, leaves
 * cleanly as well: the peer either ended the input or failed, and in the
 * second case the launcher reports it. After the launcher says the input has
 * ended, a component leaves at the end of its current iteration. After it says
 * a peer failed (drain), a component goes on until it waits for new input, and
 * leaves there: what comes before the failure in the sequential program needs
 * no new input, and everything after it waits for the failed peer. A component
 * that reports a trap another one also reaches halts there and leaves.
 *
 * Settling. Sending posts a message (ring.c): it is visible at once, but a
 * peer asleep on the ring is woken only when this component settles; and a
 * message received is given back as room to its writer only then, not one by
 * one. A component settles whenever it stops: before it waits on a ring or for
 * input, when it parks or leaves, and at the end of an iteration after which
 * it has nothing waiting for it in its rings (or after 64 iterations that
 * had). A burst of messages, such as the requests a device reads ahead, thus
 * wakes its peer once, and the peer answers the whole burst before it wakes
 * this component once in turn; nobody is woken, and on a shared processor run,
 * for each message. Waiting for a wake never outlasts the writer's running:
 * the launcher counts a component asleep on a ring whose writer owes it a wake
 * as waiting for that writer.
 *
 * Waiting on a ring can be tuned from the launcher's environment, for
 * measurements: CLEAVE_RING_SPINS (spins before sleeping, 4000), CLEAVE_RING_YIELD
 * (sched_yield every this many spins, 16; 0: never), CLEAVE_RING_ADAPT (0: a
 * fixed budget instead of one that adapts, and as long after a burst). See
 * ring.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <limits.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "isolated.h"

typedef struct ring_link {
    cl_ring_end end;
    uint64_t sequence; /* messages on this ring so far */
    bool writer;
} ring_link;

volatile sig_atomic_t cl_abandoned;
static volatile sig_atomic_t abandon_requested;
static uint32_t abandon_handled; /* the launcher's last restart epoch this component has parked for */

static ring_link *links; /* by ring number; ring NULL when this component is not on it */
static bool in_loop;       /* main has entered its service loop: the set-up is over */
static bool started_again; /* by the launcher, after a failure (--restart) */
static cl_status *status;
static bool unsettled;           /* posted or received since this component last settled */
static unsigned busy_iterations; /* iterations ended unsettled, with more waiting for it */
static cl_writer outgoing;
static uint8_t *incoming;
static size_t incoming_capacity;

static const char *my_name(void) { return cl_program.component_names[cl_component.index]; }

static void close_rings(void);

static _Noreturn void leave_cleanly(void) {
    cl_ahead_forget();
    close_rings();
    cl_shutdown();
    fflush(stdout);
    fflush(stderr);
    _exit(0);
}

static ring_link *link_of(const cl_wire_channel *c) {
    ring_link *l = &links[c->ring];
    if (!l->end.ring) cl_trap("runtime", "internal error: a channel of another component");
    return l;
}

static const cl_wire_channel *channel_of(int channel, bool sending) {
    if (channel < 0 || channel >= cl_program.channel_count) cl_trap("runtime", "internal error: no such channel");
    const cl_wire_channel *c = &cl_program.channels[channel];
    if ((sending ? c->from : c->to) != cl_component.index || (sending ? c->put == NULL : c->get == NULL))
        cl_trap("runtime", "internal error: a channel of another component");
    return c;
}

/* An abandoned iteration goes no further: the generated code checks cl_abandoned next. */
static bool abandoning(int result) {
    if (result == -2 || abandon_requested) cl_abandoned = 1;
    return cl_abandoned != 0;
}

/* A component started again after a failure runs its set-up alone: the others' set-up is long
 * over, so the turns that ordered it are neither waited for nor handed on. Nothing else crosses
 * there: a component that exchanges values before its loop is not restartable (Isolated.swift). */
static bool setting_up_again(const cl_type *type) {
    if (!started_again || in_loop) return false;
    if (type != &cl_type_void) cl_trap("runtime", "internal error: a value crosses in the set-up of a restarted component");
    return true;
}

/* Only this component writes its counts (the launcher reads them): no locked add. */
static void count_message(_Atomic uint64_t *count) {
    atomic_store_explicit(count, atomic_load_explicit(count, memory_order_relaxed) + 1, memory_order_relaxed);
}

/* This component stops: wake the readers its posts owe a wake, give its writers the room it has
 * read. */
static void settle(void) {
    if (!unsettled) return;
    unsettled = false;
    busy_iterations = 0;
    for (int32_t r = 0; r < cl_program.ring_count; r++) {
        cl_ring_end *e = &links[r].end;
        if (!e->ring) continue;
        if (links[r].writer) cl_ring_wake(e);
        else if (e->position != atomic_load_explicit(&e->ring->head, memory_order_relaxed)) cl_ring_release(e);
    }
}

/* A message already waits for this component in one of its rings: it goes on without waiting. */
static bool more_waiting(void) {
    for (int32_t r = 0; r < cl_program.ring_count; r++) {
        const cl_ring_end *e = &links[r].end;
        if (e->ring && !links[r].writer && atomic_load_explicit(&e->ring->tail, memory_order_relaxed) != e->position)
            return true;
    }
    return false;
}

void cl_channel_send(int channel, const void *value, const cl_type *type) {
    if (setting_up_again(type)) return;
    if (abandoning(0)) return;
    const cl_wire_channel *c = channel_of(channel, true);
    ring_link *l = link_of(c);
    outgoing.length = 0;
    c->put(&outgoing, value);
    if (outgoing.length > CL_MESSAGE_MAX) cl_trap("runtime", "a value too large to cross between components (256 MiB)");
    cl_message_header h = {.channel = (uint32_t)channel, .type_tag = c->type_tag, .length = (uint32_t)outgoing.length,
        .version = cl_program.version, .sequence = l->sequence};
    int written = cl_ring_write(&l->end, &h, sizeof h);
    if (written == 0) written = cl_ring_write(&l->end, outgoing.data, outgoing.length);
    if (abandoning(written)) return;
    if (written < 0) leave_cleanly(); /* the reader has gone */
    cl_ring_post(&l->end);
    unsettled = true;
    l->sequence++;
    count_message(type == &cl_type_void ? &status->turns_sent : &status->messages_sent);
}

static _Noreturn void malformed(const cl_wire_channel *c, const char *problem) {
    char text[512];
    snprintf(text, sizeof text, "component '%s' received a malformed message on channel %s from '%s': %s", my_name(),
             c->name, cl_program.component_names[c->from], problem);
    cl_trap("runtime", text);
}

void cl_channel_receive(int channel, void *value, const cl_type *type) {
    memset(value, 0, type->size);
    if (setting_up_again(type)) return;
    if (abandoning(0)) return;
    const cl_wire_channel *c = channel_of(channel, false);
    ring_link *l = link_of(c);
    cl_message_header h;
    int got = cl_ring_read(&l->end, &h, sizeof h);
    if (abandoning(got)) return;
    if (got < 0) leave_cleanly(); /* the writer has gone */
    char problem[160];
    if (h.version != cl_program.version) {
        snprintf(problem, sizeof problem, "it comes from another build (version %08x, not %08x)", h.version, cl_program.version);
        malformed(c, problem);
    }
    if (h.sequence != l->sequence) {
        snprintf(problem, sizeof problem, "sequence number %llu where %llu was next", (unsigned long long)h.sequence,
                 (unsigned long long)l->sequence);
        malformed(c, problem);
    }
    if (h.channel != (uint32_t)channel) {
        snprintf(problem, sizeof problem, "it is for channel #%u", h.channel);
        malformed(c, problem);
    }
    if (h.type_tag != c->type_tag) {
        snprintf(problem, sizeof problem, "its type tag is %08x, not %08x", h.type_tag, c->type_tag);
        malformed(c, problem);
    }
    if (h.length > CL_MESSAGE_MAX) malformed(c, "its length is larger than any message may be");
    if (h.length > incoming_capacity) {
        size_t capacity = incoming_capacity ? incoming_capacity : 4096;
        while (capacity < h.length) capacity *= 2;
        uint8_t *grown = realloc(incoming, capacity);
        if (!grown) cl_trap("runtime", "out of memory receiving a message");
        incoming = grown;
        incoming_capacity = capacity;
    }
    got = cl_ring_read(&l->end, incoming, h.length);
    if (abandoning(got)) return;
    if (got < 0) malformed(c, "the writer left in the middle of it");
    unsettled = true;
    if (l->end.position - atomic_load_explicit(&l->end.ring->head, memory_order_relaxed) > l->end.ring->capacity / 4)
        cl_ring_release(&l->end); /* a long burst: room for the writer before the settling */
    cl_reader r = {.at = incoming, .end = incoming + h.length, .problem = NULL};
    memset(value, 0, type->size);
    if (!c->get(&r, value)) malformed(c, r.problem ? r.problem : "it does not hold a value of the channel's type");
    if (r.at != r.end) malformed(c, "bytes are left after the value");
    l->sequence++;
    count_message(type == &cl_type_void ? &status->turns_received : &status->messages_received);
}

static void input_ended_here(void) {
    /* This component's device ended the input: say so, and close its rings (a failing
     * component leaves them to the launcher, which may start it again on them). */
    if (status) atomic_store(&status->ended, 1);
    if (links) close_rings();
}

_Noreturn void cl_component_halt(void) {
    /* The trap's reporter stops the service: leaving closes this component's rings, so
     * whoever waits on it leaves as well once it has what was sent before. */
    leave_cleanly();
}

void cl_component_iteration_end(void) {
    if (unsettled && (++busy_iterations >= 64 || !more_waiting())) settle();
    cl_iteration_end();
    if (atomic_load_explicit(&status->input_ended, memory_order_relaxed)) leave_cleanly();
}

static void close_rings(void) {
    for (int32_t r = 0; r < cl_program.ring_count; r++) {
        if (!links[r].end.ring) continue;
        if (links[r].writer) {
            cl_ring_publish(&links[r].end);
            cl_ring_close_writer(links[r].end.ring);
        } else {
            cl_ring_close_reader(links[r].end.ring);
        }
    }
}

/* A wait on a peer gives up for a stop, and for an abandoned iteration. */
static int on_ring_interrupted(void) {
    if (cl_stop_requested()) cl_stop_now();
    return abandon_requested;
}

/* A wait for input also ends the component once a peer has failed: nothing it could read
 * comes before the failure. A wait given up for a restart marks the iteration abandoned at
 * once: the device hands back no datagram, and the generated code, which checks cl_abandoned
 * right after the device's call, parks before a state beside the device counts it. */
static int on_input_interrupted(void) {
    if (atomic_load(&status->drain)) leave_cleanly();
    if (!on_ring_interrupted()) return 0;
    cl_abandoned = 1;
    return 1;
}

/* SIGUSR2: the launcher has changed the status page (a restart, or a peer that failed). */
static void on_launcher(int signal_number) {
    (void)signal_number;
    if (atomic_load(&status->abandon) != abandon_handled) abandon_requested = 1;
    cl_ring_wake_waiter(); /* a wait on a peer that was about to sleep looks again */
    cl_netif_wake();       /* a device waiting for input wakes up to see it */
}

static void futex(_Atomic uint32_t *word, int operation, uint32_t value) {
    syscall(SYS_futex, (uint32_t *)word, operation, value, NULL, NULL, 0);
}

void cl_component_abandon(void) {
    /* Park until the launcher has reset the rings and started the failed peer again. */
    settle();
    uint32_t epoch = atomic_load(&status->abandon);
    abandon_handled = epoch;
    atomic_store(&status->parked, epoch);
    futex(&status->parked, FUTEX_WAKE, INT32_MAX);
    for (;;) {
        uint32_t resume = atomic_load(&status->resume);
        if (resume == epoch) break;
        if (cl_stop_requested()) cl_stop_now();
        futex(&status->resume, FUTEX_WAIT, resume);
    }
    for (int32_t r = 0; r < cl_program.ring_count; r++) {
        links[r].end.position = links[r].end.seen = 0;
        links[r].end.owed = false;
        links[r].sequence = 0;
    }
    unsettled = false;
    cl_netif_drain_wake();
    cl_ahead_clear(); /* what was read ahead is abandoned with the iteration */
    cl_abandoned = 0;
    abandon_requested = 0;
    cl_iteration_end();
}

/* ---- devices: asked of the launcher ------------------------------------------ */

static int ask_launcher(const cl_device_request *request, cl_device_grant *grant) {
    if (send(CL_FD_CONTROL, request, sizeof *request, MSG_NOSIGNAL) != (ssize_t)sizeof *request) {
        fprintf(stderr, "%s: component '%s': cannot ask the launcher for device %d: %s\n", cl_program_name, my_name(), request->number + 1,
                strerror(errno));
        return -1;
    }
    char control[CMSG_SPACE(sizeof(int) * CL_NETIF_MAX_PORTS)];
    struct iovec iov = {.iov_base = grant, .iov_len = sizeof *grant};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n;
    do n = recvmsg(CL_FD_CONTROL, &m, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof *grant) return -1; /* the launcher said why */
    if (grant->kind == 0) return -1;
    int received = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int fds[CL_NETIF_MAX_PORTS];
        memcpy(fds, CMSG_DATA(c), (size_t)count * sizeof(int));
        for (int i = 0; i < count && received < CL_NETIF_MAX_PORTS; i++) {
            while (received < grant->fd_count && grant->fds[received] < 0) received++; /* "none" */
            if (received < grant->fd_count) grant->fds[received++] = fds[i];
        }
    }
    return 0;
}

/* ---- the sandbox -------------------------------------------------------------- */

static void on_forbidden(int signal_number, siginfo_t *info, void *context) {
    (void)signal_number;
    if (status) atomic_store(&status->forbidden, info->si_syscall + 1);
#if defined(__x86_64__)
    /* The same call again: refused again, now with SIGSYS blocked, it ends the process. */
    greg_t *g = ((ucontext_t *)context)->uc_mcontext.gregs;
    syscall(info->si_syscall, g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9]);
#else
    (void)context;
#endif
    signal(SIGSYS, SIG_DFL);
    raise(SIGSYS);
    _exit(128 + SIGSYS);
}

static _Noreturn void sandbox_failed(const char *what, int error) {
    fprintf(stderr, "%s: component '%s': cannot load its sandbox: %s: %s\n", cl_program_name, my_name(), what, strerror(error));
    _exit(2);
}

static void enter_sandbox(void);

/* Main enters its loop: the set-up is over, and the sandbox closes. */
static void end_set_up(void) {
    in_loop = true;
    enter_sandbox();
}

static void enter_sandbox(void) {
    int descriptors[CL_NETIF_MAX_PORTS * 4];
    size_t count = cl_device_descriptors ? cl_device_descriptors(descriptors, sizeof descriptors / sizeof descriptors[0] - 4) : 0;
    for (int end = 0; end < 2; end++)
        if (cl_netif_stop_pipe(end) >= 0) descriptors[count++] = cl_netif_stop_pipe(end);
    descriptors[count++] = STDOUT_FILENO;
    descriptors[count++] = STDERR_FILENO;
    scmp_filter_ctx filter = seccomp_init(SCMP_ACT_TRAP);
    if (!filter) sandbox_failed("seccomp_init", ENOMEM);
    /* Every system call runs the filter: a binary tree rather than a list, channels first. */
    (void)seccomp_attr_set(filter, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    (void)seccomp_syscall_priority(filter, SCMP_SYS(futex), 255);
    (void)seccomp_syscall_priority(filter, SCMP_SYS(sched_yield), 254);
    for (int32_t i = 0; i < cl_component.rule_count; i++) {
        int failed = cl_sandbox_allow(filter, &cl_component.rules[i], descriptors, count);
        if (failed) sandbox_failed(cl_component.rules[i].system_call, -failed);
    }
    for (int32_t i = 0; i < cl_sanitizer_rule_count; i++) {
        int failed = cl_sandbox_allow(filter, &cl_sanitizer_rules[i], descriptors, count);
        if (failed) sandbox_failed(cl_sanitizer_rules[i].system_call, -failed);
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) sandbox_failed("PR_SET_NO_NEW_PRIVS", errno);
    int failed = seccomp_load(filter);
    if (failed) sandbox_failed("seccomp_load", -failed);
    seccomp_release(filter);
}

/* ---- the process -------------------------------------------------------------- */

static _Noreturn void not_started_by_launcher(const char *program) {
    fprintf(stderr,
            "%s: this is component '%s' of an isolated build; start the service with the launcher `run` beside it\n",
            program, my_name());
    exit(2);
}

#if CL_ASAN
/* The sanitizer's leak check at exit cannot run in the sandbox (sandbox.c). */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }
#endif

static void *map_shared(int fd, size_t least, const char *program) {
    struct stat st;
    if (fstat(fd, &st) != 0 || (size_t)st.st_size < least) not_started_by_launcher(program);
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) not_started_by_launcher(program);
    close(fd);
    return p;
}

int main(int argc, char **argv) {
    const char *program = argc > 0 ? argv[0] : "component";
    if (argc > 1) {
        fprintf(stderr, "%s: a component takes no arguments; give them to the launcher `run`\n", program);
        return 2;
    }
    status = map_shared(CL_FD_STATUS, sizeof(cl_status), program);
    links = calloc((size_t)cl_program.ring_count + 1, sizeof *links);
    if (!links) return 2;
    int fd = CL_FD_RINGS;
    for (int32_t r = 0; r < cl_program.ring_count; r++) {
        const int32_t *ends = cl_program.rings[r];
        if (ends[0] != cl_component.index && ends[1] != cl_component.index) continue;
        cl_ring *ring = map_shared(fd++, sizeof(cl_ring), program);
        if (ring->magic != CL_RING_MAGIC) not_started_by_launcher(program);
        links[r].end.ring = ring;
        links[r].writer = ends[0] == cl_component.index;
    }
    cl_counters_attach(status->counters);
    cl_ahead_held = atomic_load(&status->hold_ahead) != 0;
    cl_netif_attach_waiting((uint32_t *)&status->waiting_for_input);
    cl_device_broker = ask_launcher;
    cl_netif_number_devices(cl_component.devices, (size_t)cl_component.device_count);

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_forbidden;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSYS, &action, NULL);
    signal(SIGUSR1, SIG_IGN); /* the launcher prints every component's counters */

    const char *spins = getenv("CLEAVE_RING_SPINS"); /* how long a wait spins before it sleeps */
    if (spins && *spins) cl_ring_spins = (unsigned)strtoul(spins, NULL, 10);
    const char *yield = getenv("CLEAVE_RING_YIELD");
    if (yield && *yield) cl_ring_yield_every = (unsigned)strtoul(yield, NULL, 10);
    const char *adapt = getenv("CLEAVE_RING_ADAPT");
    if (adapt && *adapt) cl_ring_adapt = strcmp(adapt, "0") != 0;
    cl_heap_init();
    cl_platform_start();
    signal(SIGUSR1, SIG_IGN);
    cl_ring_interrupted = on_ring_interrupted;
    cl_ring_before_wait = settle;
    cl_netif_interrupted = on_input_interrupted;
    cl_netif_before_wait = settle;
    struct sigaction launcher;
    memset(&launcher, 0, sizeof launcher);
    launcher.sa_handler = on_launcher;
    sigemptyset(&launcher.sa_mask);
    sigaction(SIGUSR2, &launcher, NULL); /* no SA_RESTART: a wait returns to look */
    sigset_t held;                        /* the launcher started it with SIGUSR2 blocked */
    sigemptyset(&held);
    sigaddset(&held, SIGUSR2);
    sigprocmask(SIG_UNBLOCK, &held, NULL);
    started_again = atomic_load(&status->starts) > 1;
    cl_set_up_end_hook = end_set_up;
    cl_input_ended_hook = input_ended_here;
    cleave_init();
    cleave_main();
    cl_exit_clean();
}
