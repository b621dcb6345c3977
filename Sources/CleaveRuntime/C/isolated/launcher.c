/* launcher.c: `run`, the launcher of an isolated build.
 *
 * It makes what the components share, binds their devices, starts them and
 * watches them until the service ends:
 *
 *   - a status page per component (a memfd: counters, how it ended, the
 *     system call its sandbox refused) and a ring per ordered pair of
 *     components with channels (a memfd each, mapped here and by the two
 *     components, by no other);
 *   - each component is its own executable beside the launcher, started with
 *     exactly its descriptors (isolated.h), its signals unblocked, and
 *     PR_SET_PDEATHSIG so that it cannot outlive the launcher;
 *   - devices are bound here, by their --netif specs (netif/spec.c: sockets bound,
 *     TAP attached, captures opened), when the component that creates the
 *     device asks over its control socket; the descriptors go to that
 *     component only (SCM_RIGHTS), and a component asking for a device that
 *     is not its own is refused.
 *
 * Supervision. A component that ends cleanly (the end of the input, or
 * because a peer's ring closed) is reaped quietly; when its device ended the
 * input, every other component is told to finish its iteration and leave. A
 * component that exits with a failure status, or is killed by a signal, is
 * reported by name with the cause (for SIGSYS from its sandbox, the system
 * call refused). The others then drain: the failed component's rings are
 * closed, and each other component goes on until it must wait for new input
 * or for the failed one, and leaves there. This is what makes a failure look
 * as it does in the unikernel: everything that comes before it in the
 * sequential program still happens (a reply the device was about to send is
 * sent), and nothing after it does, because the effects of the projected
 * programs are ordered as the sequential program orders them (Partition's
 * turns) and every later one waits for the failed component. Anything still
 * running DRAIN_MS later is killed. The launcher then prints the counters of
 * every component, summed, and exits non-zero. SIGINT and SIGTERM stop the
 * service at once (rings closed, SIGTERM to every component, SIGKILL half a
 * second later) and exit 0; SIGUSR1 prints the counters.
 *
 * Liveness. A component stopped by a signal (SIGSTOP, SIGTSTP) is reported at
 * once, and again when it continues. A component that has a message waiting
 * for it and uses no processor time for the stall timeout (--stall-timeout,
 * 2 s; 0: never) is not answering: it is reported, killed, and handled as a
 * failure (restarted, or the service stops). Not running is not always
 * stalling, though. A component whose device waits for input (its status page
 * says so) takes the message once the input has come, and one asleep on a ring
 * waiting for a peer takes it once the peer has answered (and woken it: a peer
 * wakes its readers when it settles, component.c), which passes the question on
 * to that peer: either way the message waits its turn in the
 * program's order, as in an idle service whose components have run ahead of
 * its device. The waits for input are the netifs' own (a UDP socket, a
 * capture); a FrameDevice never blocks, and a program that waits for frames in
 * a C call (`poll` on the device's fd()) is, to the launcher, in a C call like
 * any other. A component stopped by a signal is judged wherever it stopped. A
 * component that computes for a long time uses processor time and is left
 * alone, as the unikernel would be.
 *
 * With --restart, a failed component that holds no state fields and owns no
 * device is started again instead, at most 5 times in 10 seconds. Its peers
 * are asked to abandon the iteration in progress (SIGUSR2): each stops at its
 * next wait for a peer or for input, and parks. When all have, the rings are
 * reset, the component starts again, and the peers begin a new iteration. The
 * request being served is lost; the states of the others are kept. What a
 * device's component had read ahead would be lost with it, so under --restart,
 * where some component may be started again, no component reads ahead. A peer
 * that does not park within 2 seconds stops the service instead. A component
 * started again runs its set-up alone (component.c), and one that exchanges
 * values with the others before its loop is not restartable. When a component
 * that is not restartable fails, the service stops as it would without
 * --restart, and the launcher says why, in the compiler's words (the program's
 * table, Isolated.swift): "component 'tally' is not started again: it holds
 * state fields (Tally.total)"; the other reasons are a device it drives and
 * values it exchanges with the others' set-up.
 *
 * The launcher's own sandbox. Once every device is bound, the launcher needs
 * only to supervise: wait for its children and signals, read their status
 * pages, wake and signal them, answer (refuse) a component's control message,
 * and write to standard error. It then loads a default-deny seccomp filter
 * allowing just that (`run --print-policy` lists it, with the reasons). With
 * --restart it must also start a component again, which takes process creation
 * and what a new process does before its own sandbox is loaded (load its
 * libraries: read-only opens, executable mappings); it still may not open a
 * file for writing, create one, or touch the network. A call outside the policy
 * stops the launcher with a message naming it, and the components with it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "isolated.h"

#define GRACE_MS 500
#define DRAIN_MS 2000            /* after a failure, the others finish what comes before it */
#define TICK_MS 250              /* how often the launcher looks for components that do not answer */
#define RESTART_LIMIT 5          /* restarts of one component ... */
#define RESTART_WINDOW_MS 10000  /* ... within this time, before the service is stopped instead */
#define PARK_MS 2000

typedef struct component {
    const char *name;
    char path[PATH_MAX];
    pid_t pid;            /* 0: not running */
    int control;          /* the launcher's end of its control socket */
    int control_child;    /* the component's end, until it is started */
    int status_fd;
    cl_status *status;
    long long restarts[RESTART_LIMIT]; /* when it was last started again */
    int restart_count;
    clockid_t cpu;             /* its processor time */
    long long waiting_since;   /* a message has waited for it, using no processor time, since (ms); 0: not */
    long long cpu_seen;        /* its processor time then (ns) */
    bool stalled;              /* killed for not answering */
    bool stopped;              /* by a signal (SIGSTOP, SIGTSTP), until it continues */
} component;

static component *components;
static int component_count;
static cl_ring **rings;
static int *ring_fds;
static bool stopping;      /* a stop signal: everyone leaves now */
static bool draining;      /* a failure: the others finish what needs neither input nor the failed one */
static int exit_status;
static long long kill_at;  /* when still-running components get SIGKILL (ms), 0: not yet */
static bool restart_enabled;
static int restarting = -1;        /* the component being started again, while its peers park */
static uint32_t epoch;             /* of the current (or last) restart */
static long long restart_deadline; /* the peers must have parked by then */
static long long stall_ms = 2000;  /* --stall-timeout; 0: never */
static int devices_bound;          /* the launcher's sandbox is loaded once all are */
static int *needed_by;             /* liveness: the component whose message waits on each; -1: none */


static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void usage(FILE *out, const char *program) {
    fprintf(out, "usage: %s [--netif SPEC]... [--restart]\n%s", program, cl_netif_usage);
    fprintf(out,
            "  --restart                   start again a component that holds no state fields and no device\n"
            "                              when it fails (the request it was serving is lost); for another,\n"
            "                              say why it is not\n"
            "  --stall-timeout SECONDS     stop a component that has a message waiting for it and does not run\n"
            "                              for this long (default 2; 0: never)\n"
            "  --print-policy              the system calls this launcher allows itself once the devices are bound\n"
            "One --netif per device, in the order the program creates them. The components (");
    for (int k = 0; k < cl_program.component_count; k++)
        fprintf(out, "%s%s", k ? ", " : "", cl_program.component_names[k]);
    fprintf(out, ") run as\nprocesses beside this launcher, each in its own sandbox. SIGUSR1 prints the counters.\n");
}

static _Noreturn void fail_setup(const char *what) {
    fprintf(stderr, "%s: launcher: %s: %s\n", cl_program_name, what, strerror(errno));
    exit(2);
}

static void *shared_memory(const char *name, size_t size, int *fd_out) {
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0) fail_setup("memfd_create");
    if (ftruncate(fd, (off_t)size) != 0) fail_setup("ftruncate");
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) fail_setup("mmap");
    *fd_out = fd;
    return p;
}

/* ---- starting a component ------------------------------------------------------ */

static void start(int k) {
    component *c = &components[k];
    int fds[2];
    if (c->control >= 0) close(c->control);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) fail_setup("socketpair");
    c->control = fds[0];
    c->control_child = fds[1];
    atomic_fetch_add(&c->status->starts, 1);
    pid_t launcher = getpid();
    pid_t pid = fork();
    if (pid < 0) fail_setup("fork");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != launcher) _exit(1);
        /* Its descriptors, in place: first out of the way, then where isolated.h says. */
        int wanted[2 + 64];
        int count = 0;
        wanted[count++] = c->control_child;
        wanted[count++] = c->status_fd;
        for (int r = 0; r < cl_program.ring_count && count < 66; r++)
            if (cl_program.rings[r][0] == k || cl_program.rings[r][1] == k) wanted[count++] = ring_fds[r];
        int moved[66];
        for (int i = 0; i < count; i++) {
            moved[i] = fcntl(wanted[i], F_DUPFD, 100);
            if (moved[i] < 0) _exit(2);
        }
        for (int i = 0; i < count; i++)
            if (dup2(moved[i], CL_FD_CONTROL + i) < 0) _exit(2);
        close_range((unsigned)(CL_FD_CONTROL + count), ~0u, 0);
        /* SIGUSR2 (drain, abandon) stays blocked until the component has its handler (component.c):
         * one sent while it starts waits for it instead of killing it. */
        sigset_t held;
        sigemptyset(&held);
        sigaddset(&held, SIGUSR2);
        sigprocmask(SIG_SETMASK, &held, NULL);
        signal(SIGPIPE, SIG_DFL);
        char *argv[] = {(char *)c->name, NULL};
        execv(c->path, argv);
        fprintf(stderr, "%s: launcher: cannot start component '%s' (%s): %s\n", cl_program_name, c->name, c->path, strerror(errno));
        _exit(2);
    }
    close(c->control_child);
    c->control_child = -1;
    c->pid = pid;
    c->waiting_since = 0;
    c->stalled = false;
    c->stopped = false;
    if (clock_getcpuclockid(pid, &c->cpu) != 0) c->cpu = (clockid_t)-1;
}

/* ---- devices ------------------------------------------------------------------------ */

static void refuse(component *c) {
    cl_device_grant none;
    memset(&none, 0, sizeof none);
    (void)send(c->control, &none, sizeof none, MSG_NOSIGNAL);
}

static void answer_request(int k) {
    component *c = &components[k];
    cl_device_request request;
    ssize_t n = recv(c->control, &request, sizeof request, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        close(c->control); /* it has gone; its exit is reaped with SIGCHLD */
        c->control = -1;
        return;
    }
    if (n != (ssize_t)sizeof request) {
        if (n > 0) refuse(c);
        return;
    }
    if (stopping) return refuse(c);
    if (request.number < 0 || request.number >= cl_program.device_count || cl_program.device_owner[request.number] != k) {
        fprintf(stderr, "%s: component '%s' asked for device %d, which is not its own: refused\n", cl_program_name, c->name,
                request.number + 1);
        return refuse(c);
    }
    if (request.port_count < 0 || request.port_count > CL_NETIF_MAX_PORTS) return refuse(c);
    request.tap[sizeof request.tap - 1] = '\0';
    cl_device_grant grant;
    if (cl_netif_bind(&request, &grant) != 0) {
        if (exit_status == 0) exit_status = 2;
        return refuse(c);
    }
    devices_bound++;
    char control[CMSG_SPACE(sizeof(int) * CL_NETIF_MAX_PORTS)];
    memset(control, 0, sizeof control);
    int passing[CL_NETIF_MAX_PORTS];
    int count = 0;
    for (int i = 0; i < grant.fd_count && i < CL_NETIF_MAX_PORTS; i++)
        if (grant.fds[i] >= 0) passing[count++] = grant.fds[i];
    struct iovec iov = {.iov_base = &grant, .iov_len = sizeof grant};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (count > 0) {
        m.msg_control = control;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count);
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
        memcpy(CMSG_DATA(h), passing, sizeof(int) * (size_t)count);
    }
    if (sendmsg(c->control, &m, MSG_NOSIGNAL) < 0)
        fprintf(stderr, "%s: launcher: cannot hand device %d to '%s': %s\n", cl_program_name, request.number + 1, c->name, strerror(errno));
    /* The component has its own copies now; the launcher keeps none (a restarted component asks again). */
    for (int i = 0; i < count; i++) close(passing[i]);
}

/* ---- the launcher's sandbox -------------------------------------------------------- */

typedef struct launcher_rule {
    cl_policy_rule rule;
    const char *reason;
} launcher_rule;

#define ANY CL_RULE_ANY
#define READ_ONLY_OPEN CL_RULE_READ_ONLY
#define NO_EXEC CL_RULE_NO_EXEC

/* What supervising needs, once every device is bound. */
static const launcher_rule supervising[] = {
    {{"poll", ANY}, "waiting for signals and control messages"},
    {{"read", ANY}, "signals (signalfd)"},
    {{"wait4", ANY}, "reaping components, seeing them stop and continue"},
    {{"kill", ANY}, "asking components to stop, abandon, drain or continue"},
    {{"futex", ANY}, "waking parked components"},
    {{"clock_gettime", ANY}, "time, and the components' processor time"},
    {{"recvfrom", ANY}, "control messages (refused: the devices are bound)"},
    {{"sendto", ANY}, "refusing a control message"},
    {{"sendmsg", ANY}, "answering a control message"},
    {{"close", ANY}, "a control socket whose component has gone"},
    {{"write", ANY}, "reports and counters on standard error"},
    {{"brk", ANY}, "memory"},
    {{"mmap", NO_EXEC}, "memory"},
    {{"munmap", ANY}, "memory"},
    {{"mremap", ANY}, "memory"},
    {{"madvise", ANY}, "memory"},
    {{"rt_sigreturn", ANY}, "signals"},
    {{"restart_syscall", ANY}, "signals"},
    {{"exit_group", ANY}, "leaving"},
    {{"exit", ANY}, "leaving"},
};

/* With --restart: starting a component again, up to the moment it loads its own sandbox. */
static const launcher_rule restarting_rules[] = {
    {{"socketpair", ANY}, "a restarted component's control socket"},
    {{"getpid", ANY}, "starting a component"},
    {{"clone", ANY}, "starting a component"},
    {{"clone3", ANY}, "starting a component"},
    {{"getppid", ANY}, "a new component checks its parent"},
    {{"prctl", ANY}, "a new component: PR_SET_PDEATHSIG, then its own sandbox"},
    {{"fcntl", ANY}, "a new component's descriptors put in place"},
    {{"dup2", ANY}, "a new component's descriptors put in place"},
    {{"close_range", ANY}, "a new component keeps only its descriptors"},
    {{"rt_sigprocmask", ANY}, "a new component's signals"},
    {{"rt_sigaction", ANY}, "a new component's signals"},
    {{"clock_getres", ANY}, "a new component's processor-time clock"},
    {{"execve", ANY}, "starting a component's executable"},
    {{"openat", READ_ONLY_OPEN}, "a new component loads its libraries (never to write or create)"},
    {{"access", ANY}, "a new component loads its libraries"},
    {{"newfstatat", ANY}, "a new component loads its libraries"},
    {{"pread64", ANY}, "a new component loads its libraries"},
    {{"mmap", ANY}, "a new component maps its libraries' code"},
    {{"mprotect", ANY}, "a new component loads its libraries"},
    {{"arch_prctl", ANY}, "a new component's start"},
    {{"set_tid_address", ANY}, "a new component's start"},
    {{"set_robust_list", ANY}, "a new component's start"},
    {{"rseq", ANY}, "a new component's start"},
    {{"prlimit64", ANY}, "a new component's start"},
    {{"getrandom", ANY}, "a new component's start"},
    {{"pipe2", ANY}, "a new component's stop pipe"},
    {{"seccomp", ANY}, "a new component loads its own sandbox"},
};

#define RULE_COUNT(rules) (sizeof(rules) / sizeof((rules)[0]))

static const char *argument_text(int argument) {
    return argument == READ_ONLY_OPEN ? " (read-only)" : argument == NO_EXEC ? " (without PROT_EXEC)" : "";
}

static void print_rules(const launcher_rule *rules, size_t count) {
    for (size_t i = 0; i < count; i++)
        printf("  %-16s %s%s\n", rules[i].rule.system_call, rules[i].reason, argument_text(rules[i].rule.argument));
}

static void print_policy(void) {
    printf("launcher, once every device is bound:\n");
    print_rules(supervising, RULE_COUNT(supervising));
    printf("and, with --restart, to start a component again:\n");
    print_rules(restarting_rules, RULE_COUNT(restarting_rules));
    if (cl_restart_rule_count > 0) {
        printf("and what the restartable components' own sandboxes allow (a restarted one runs under both):\n ");
        for (int32_t i = 0; i < cl_restart_rule_count; i++) printf(" %s", cl_restart_rules[i].system_call);
        printf("\n");
    }
    if (cl_sanitizer_rule_count > 0) {
        printf("and, in this build with AddressSanitizer, in every sandbox, for the sanitizer's runtime:\n");
        for (int32_t i = 0; i < cl_sanitizer_rule_count; i++) {
            int argument = cl_sanitizer_rules[i].argument;
            printf("  %-16s%s\n", cl_sanitizer_rules[i].system_call,
                   argument == CL_RULE_QUERY_ONLY ? " asking only (a NULL first argument)"
                   : argument == CL_RULE_READ_ONLY ? " (read-only)"
                   : argument == CL_RULE_DESCRIPTORS ? " on standard error (the components: their own descriptors)" : "");
        }
    }
}

#if CL_ASAN
/* The sanitizer's leak check at exit cannot run in the sandbox (sandbox.c). */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }
#endif

/* Refused: say which call, then end (the components end with the launcher: PR_SET_PDEATHSIG). */
static void on_refused(int signal_number, siginfo_t *info, void *context) {
    (void)signal_number;
    (void)context;
    char text[160];
    size_t n = 0;
    for (const char *p = cl_program_name; *p && n < 64; p++) text[n++] = *p;
    const char *said = ": launcher: its sandbox refused system call ";
    for (const char *p = said; *p; p++) text[n++] = *p;
    char digits[16];
    int k = 0;
    unsigned number = (unsigned)info->si_syscall;
    do digits[k++] = (char)('0' + number % 10);
    while ((number /= 10) != 0 && k < 15);
    while (k > 0 && n < sizeof text - 2) text[n++] = digits[--k];
    text[n++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, text, n);
    (void)ignored;
    _exit(70);
}

static void add_rules(scmp_filter_ctx filter, const launcher_rule *rules, size_t count) {
    for (size_t i = 0; i < count; i++) {
        int failed = cl_sandbox_allow(filter, &rules[i].rule, NULL, 0);
        if (failed) {
            fprintf(stderr, "%s: launcher: cannot load its sandbox: %s: %s\n", cl_program_name, rules[i].rule.system_call,
                    strerror(-failed));
            exit(2);
        }
    }
}

/* Once every device is bound: from now on, only what supervising (and restarting) needs. */
static void enter_sandbox(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_refused;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSYS, &action, NULL);
    scmp_filter_ctx filter = seccomp_init(SCMP_ACT_TRAP);
    if (!filter) fail_setup("seccomp_init");
    if (restart_enabled) {
        add_rules(filter, restarting_rules, RULE_COUNT(restarting_rules)); /* mmap of code among them */
        for (int32_t i = 0; i < cl_restart_rule_count; i++) {
            bool listed = false;
            for (size_t j = 0; j < RULE_COUNT(restarting_rules) && !listed; j++)
                listed = strcmp(restarting_rules[j].rule.system_call, cl_restart_rules[i].system_call) == 0;
            for (size_t j = 0; j < RULE_COUNT(supervising) && !listed; j++)
                listed = strcmp(supervising[j].rule.system_call, cl_restart_rules[i].system_call) == 0;
            launcher_rule rule = {{cl_restart_rules[i].system_call, CL_RULE_ANY}, "a restartable component's sandbox"};
            if (!listed) add_rules(filter, &rule, 1);
        }
        for (size_t i = 0; i < RULE_COUNT(supervising); i++)
            if (strcmp(supervising[i].rule.system_call, "mmap") != 0) add_rules(filter, &supervising[i], 1);
    } else {
        add_rules(filter, supervising, RULE_COUNT(supervising));
    }
    for (int32_t i = 0; i < cl_sanitizer_rule_count; i++) {
        const int standard_error = STDERR_FILENO; /* its only descriptor for a descriptor rule */
        int failed = cl_sandbox_allow(filter, &cl_sanitizer_rules[i], &standard_error, 1);
        if (failed) {
            fprintf(stderr, "%s: launcher: cannot load its sandbox: %s: %s\n", cl_program_name,
                    cl_sanitizer_rules[i].system_call, strerror(-failed));
            exit(2);
        }
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail_setup("PR_SET_NO_NEW_PRIVS");
    int failed = seccomp_load(filter);
    if (failed) {
        errno = -failed;
        fail_setup("seccomp_load");
    }
    seccomp_release(filter);
}

/* ---- counters ----------------------------------------------------------------------- */

static void print_counters(void) {
    uint64_t sum[CL_COUNT_LIMIT] = {0};
    for (int k = 0; k < component_count; k++)
        for (int i = 0; i < CL_COUNT_LIMIT; i++)
            sum[i] += __atomic_load_n(&components[k].status->counters[i], __ATOMIC_RELAXED);
    cl_print_counter_values(sum);
}

static const char *plural(uint64_t n, const char *one, const char *many) { return n == 1 ? one : many; }

static void print_messages(void) {
    for (int k = 0; k < component_count; k++) {
        const cl_status *s = components[k].status;
        uint64_t sent = atomic_load(&s->messages_sent), received = atomic_load(&s->messages_received);
        uint64_t turns_sent = atomic_load(&s->turns_sent), turns_taken = atomic_load(&s->turns_received);
        uint64_t ahead = __atomic_load_n(&s->counters[CL_COUNT_READ_AHEAD], __ATOMIC_RELAXED);
        fprintf(stderr, "%s: component %s: %llu %s sent, %llu received", cl_program_name, components[k].name, (unsigned long long)sent,
                plural(sent, "message", "messages"), (unsigned long long)received);
        if (turns_sent || turns_taken)
            fprintf(stderr, "; %llu %s handed on, %llu taken", (unsigned long long)turns_sent,
                    plural(turns_sent, "turn", "turns"), (unsigned long long)turns_taken);
        if (ahead) fprintf(stderr, "; %llu %s read ahead", (unsigned long long)ahead, plural(ahead, "datagram", "datagrams"));
        fputc('\n', stderr);
    }
}

/* ---- supervision --------------------------------------------------------------------- */

static void close_rings_of(int k) {
    for (int r = 0; r < cl_program.ring_count; r++) {
        if (cl_program.rings[r][0] == k) cl_ring_close_writer(rings[r]);
        if (cl_program.rings[r][1] == k) cl_ring_close_reader(rings[r]);
    }
}

static void stop_all(int signal_number) {
    for (int k = 0; k < component_count; k++) {
        if (components[k].pid <= 0) continue;
        close_rings_of(k);
        kill(components[k].pid, signal_number);
    }
}

static void begin_stopping(void) {
    if (stopping) return;
    stopping = true;
    restarting = -1; /* parked components stop on SIGTERM like the others */
    stop_all(SIGTERM);
    kill_at = now_ms() + GRACE_MS;
}

/* A component failed: the others finish what comes before the failure and leave (see above). */
static void begin_draining(void) {
    if (draining || stopping) return;
    draining = true;
    restarting = -1;
    for (int k = 0; k < component_count; k++) {
        if (components[k].pid <= 0) continue;
        atomic_store(&components[k].status->drain, 1);
        kill(components[k].pid, SIGUSR2);
        kill(components[k].pid, SIGCONT); /* a stopped one cannot drain otherwise */
    }
    kill_at = now_ms() + DRAIN_MS;
}

static void report(const component *c, int wstatus) {
    if (c->stalled) return; /* said when it was stopped */
    if (WIFEXITED(wstatus)) {
        int code = WEXITSTATUS(wstatus);
        if (code == 2 && exit_status == 2) return; /* it could not get its device: said already */
        fprintf(stderr, "%s: component '%s' stopped with exit status %d%s\n", cl_program_name, c->name, code,
                code == 1 ? " (a fatal error, reported above)" : "");
        return;
    }
    int sig = WTERMSIG(wstatus);
    int forbidden = atomic_load(&c->status->forbidden) - 1;
    if (sig == SIGSYS && forbidden >= 0) {
        char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, forbidden);
        fprintf(stderr, "%s: component '%s' was killed by its sandbox: system call '%s' (%d) is not in its policy\n", cl_program_name,
                c->name, name ? name : "?", forbidden);
        free(name);
        return;
    }
    fprintf(stderr, "%s: component '%s' was killed by signal %d (%s)\n", cl_program_name, c->name, sig, strsignal(sig));
}

/* A failed component that holds no state fields may be started again (--restart): the others
 * abandon their iteration and park; once all have, the rings are reset and it starts. One that
 * may not is not, and the launcher says why (the compiler's reason, from the program's table). */
static bool begin_restart(int k) {
    component *c = &components[k];
    if (!restart_enabled || stopping || draining) return false;
    const char *why_not = cl_program.not_restartable[k];
    if (why_not) {
        fprintf(stderr, "%s: component '%s' is not started again: %s\n", cl_program_name, c->name, why_not);
        return false;
    }
    if (restarting >= 0) return false;
    long long now = now_ms();
    int recent = 0;
    for (int i = 0; i < c->restart_count && i < RESTART_LIMIT; i++) recent += now - c->restarts[i] < RESTART_WINDOW_MS;
    if (recent >= RESTART_LIMIT) {
        fprintf(stderr, "%s: component '%s' failed %d times within %d s: not restarting it again\n", cl_program_name, c->name,
                RESTART_LIMIT, RESTART_WINDOW_MS / 1000);
        return false;
    }
    c->restarts[c->restart_count++ % RESTART_LIMIT] = now;
    fprintf(stderr, "%s: restarting component '%s'; the iteration in progress is abandoned\n", cl_program_name, c->name);
    restarting = k;
    epoch++;
    restart_deadline = now + PARK_MS;
    for (int j = 0; j < component_count; j++) {
        if (components[j].pid <= 0) continue;
        atomic_store(&components[j].status->abandon, epoch);
        kill(components[j].pid, SIGUSR2);
    }
    return true;
}

static void futex_wake_all(_Atomic uint32_t *word) {
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

/* Called while restarting: once every other component has parked, reset the rings, start
 * the failed one again and let the others go on. */
static void continue_restart(void) {
    if (restarting < 0) return;
    for (int j = 0; j < component_count; j++) {
        if (components[j].pid <= 0 || j == restarting) continue;
        if (atomic_load(&components[j].status->parked) != epoch) {
            if (now_ms() < restart_deadline) return;
            fprintf(stderr, "%s: component '%s' did not pause for the restart within %d ms\n", cl_program_name, components[j].name,
                    PARK_MS);
            close_rings_of(restarting);
            restarting = -1;
            if (exit_status == 0) exit_status = 1;
            begin_draining();
            return;
        }
    }
    for (int r = 0; r < cl_program.ring_count; r++) cl_ring_init(rings[r], CL_RING_CAPACITY);
    cl_status *s = components[restarting].status;
    atomic_store(&s->ended, 0);
    atomic_store(&s->forbidden, 0);
    atomic_store(&s->waiting_for_input, 0);
    start(restarting);
    restarting = -1;
    for (int j = 0; j < component_count; j++) {
        if (components[j].pid <= 0) continue;
        atomic_store(&components[j].status->resume, epoch);
        futex_wake_all(&components[j].status->resume);
    }
}

static void reaped(int k, int wstatus) {
    component *c = &components[k];
    c->pid = 0;
    bool clean = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
    if (!clean && !stopping && !draining) {
        report(c, wstatus);
        bool unbound = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 2 && exit_status == 2; /* its device: said already */
        if (!unbound && begin_restart(k)) return;
        if (exit_status == 0) exit_status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 1;
        close_rings_of(k);
        begin_draining();
        return;
    }
    close_rings_of(k);
    if (clean) {
        if (atomic_load(&c->status->ended)) {
            /* Its device's input ended: the others finish their iteration and leave. */
            for (int j = 0; j < component_count; j++) atomic_store(&components[j].status->input_ended, 1);
        }
        return;
    }
    if (WIFSIGNALED(wstatus) && (WTERMSIG(wstatus) == SIGKILL || WTERMSIG(wstatus) == SIGTERM)) return;
    report(c, wstatus); /* failing while the service stops */
    if (exit_status == 0) exit_status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 1;
}

static int alive(void) {
    int n = restarting >= 0;
    for (int k = 0; k < component_count; k++) n += components[k].pid > 0;
    return n;
}

static void reap_all(void) {
    for (;;) {
        int wstatus;
        pid_t pid = waitpid(-1, &wstatus, WNOHANG | WUNTRACED | WCONTINUED);
        if (pid <= 0) return;
        for (int k = 0; k < component_count; k++) {
            if (components[k].pid != pid) continue;
            if (WIFSTOPPED(wstatus)) {
                int sig = WSTOPSIG(wstatus);
                components[k].stopped = true;
                fprintf(stderr, "%s: component '%s' was stopped by signal %d (%s); the service waits for it\n", cl_program_name,
                        components[k].name, sig, strsignal(sig));
            } else if (WIFCONTINUED(wstatus)) {
                components[k].stopped = false;
                fprintf(stderr, "%s: component '%s' continues\n", cl_program_name, components[k].name);
            } else {
                reaped(k, wstatus);
            }
        }
    }
}

/* ---- liveness ------------------------------------------------------------------------- */

static long long cpu_ns(const component *c) {
    struct timespec t;
    if (c->cpu == (clockid_t)-1 || clock_gettime(c->cpu, &t) != 0) return -1;
    return (long long)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* A message is in one of the rings to component k, not yet taken. */
static bool message_waiting(int k) {
    for (int r = 0; r < cl_program.ring_count; r++)
        if (cl_program.rings[r][1] == k &&
            atomic_load_explicit(&rings[r]->tail, memory_order_acquire) != atomic_load_explicit(&rings[r]->head, memory_order_acquire))
            return true;
    return false;
}

/* The peer component k sleeps for (ring.c: it announced its sleep on a ring that had nothing
 * for it to read, whose writer has yet to post or to wake it, or that has no room to write), or
 * -1. */
static int waits_for_peer(int k) {
    for (int r = 0; r < cl_program.ring_count; r++) {
        cl_ring *ring = rings[r];
        uint64_t tail = atomic_load_explicit(&ring->tail, memory_order_acquire);
        uint64_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
        if (cl_program.rings[r][1] == k && atomic_load(&ring->reader_sleeping)) return cl_program.rings[r][0];
        if (cl_program.rings[r][0] == k && atomic_load(&ring->writer_sleeping) && tail - head >= ring->capacity)
            return cl_program.rings[r][1];
    }
    return -1;
}

/* Stop a component that does not answer: a message waits for it, or for a component that waits
 * for it, and it has not run for the stall timeout (stopped by a signal, or blocked outside its
 * channels and its device). It is then a failure. A component that sleeps waiting for a peer
 * hands the question on to that peer, and one whose device waits for input is answering: each
 * takes its message in its program's order, once the peer has answered or the input has come. A
 * component stopped by a signal is judged wherever it stopped. When waits go round in a circle,
 * one component of the circle is judged. */
static void look_for_stalls(void) {
    if (stall_ms <= 0 || stopping || draining || restarting >= 0) return;
    long long now = now_ms();
    for (int k = 0; k < component_count; k++) needed_by[k] = -1;
    for (int k = 0; k < component_count; k++) {
        if (components[k].pid <= 0 || !message_waiting(k)) continue;
        int j = k;
        for (int steps = 0; steps < component_count; steps++) {
            int peer = components[j].stopped ? -1 : waits_for_peer(j);
            if (peer < 0 || components[peer].pid <= 0) break;
            j = peer;
        }
        if (needed_by[j] < 0) needed_by[j] = k;
    }
    for (int k = 0; k < component_count; k++) {
        component *c = &components[k];
        if (c->pid <= 0 || c->stalled) continue;
        long long cpu = cpu_ns(c);
        if (needed_by[k] < 0 || cpu < 0 || (!c->stopped && atomic_load(&c->status->waiting_for_input))) {
            c->waiting_since = 0;
            continue;
        }
        if (c->waiting_since == 0 || cpu != c->cpu_seen) {
            c->waiting_since = now;
            c->cpu_seen = cpu;
            continue;
        }
        if (now - c->waiting_since < stall_ms) continue;
        if (needed_by[k] == k)
            fprintf(stderr, "%s: component '%s' has not answered for %lld ms (a message waits for it and it does not run): "
                            "stopping it\n", cl_program_name, c->name, now - c->waiting_since);
        else
            fprintf(stderr, "%s: component '%s' has not answered for %lld ms (a message waits for '%s', which waits for it, "
                            "and it does not run): stopping it\n", cl_program_name, c->name, now - c->waiting_since,
                    components[needed_by[k]].name);
        c->stalled = true;
        kill(c->pid, SIGKILL);
        kill(c->pid, SIGCONT);
    }
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout, argv[0]);
            return 0;
        }
        if (strcmp(argv[i], "--restart") == 0) {
            restart_enabled = true;
            continue;
        }
        if (strcmp(argv[i], "--print-policy") == 0) {
            print_policy();
            return 0;
        }
        if (strcmp(argv[i], "--stall-timeout") == 0) {
            char *end = NULL;
            double seconds = i + 1 < argc ? strtod(argv[i + 1], &end) : -1;
            if (i + 1 >= argc || end == argv[i + 1] || *end != '\0' || !(seconds >= 0) || seconds > 86400) {
                fprintf(stderr, "%s: --stall-timeout takes a number of seconds from 0 to 86400\n", argv[0]);
                return 2;
            }
            stall_ms = (long long)(seconds * 1000);
            i++;
            continue;
        }
        int taken = cl_netif_option(argc, argv, &i);
        if (taken < 0) return 2;
        if (taken == 0) {
            fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], argv[i]);
            usage(stderr, argv[0]);
            return 2;
        }
    }

    /* The components' executables are beside this one. */
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) fail_setup("readlink /proc/self/exe");
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) *slash = '\0';

    component_count = cl_program.component_count;
    components = calloc((size_t)component_count, sizeof *components);
    rings = calloc((size_t)cl_program.ring_count + 1, sizeof *rings);
    ring_fds = calloc((size_t)cl_program.ring_count + 1, sizeof *ring_fds);
    needed_by = calloc((size_t)component_count, sizeof *needed_by);
    if (!components || !rings || !ring_fds || !needed_by) fail_setup("calloc");
    for (int k = 0; k < component_count; k++) {
        component *c = &components[k];
        c->name = cl_program.component_names[k];
        c->control = c->control_child = -1;
        int length = snprintf(c->path, sizeof c->path, "%s/%s", self, cl_program.component_files[k]);
        if (length < 0 || (size_t)length >= sizeof c->path) {
            fprintf(stderr, "%s: launcher: the path of component '%s' is too long\n", cl_program_name, c->name);
            return 2;
        }
        if (access(c->path, X_OK) != 0) {
            fprintf(stderr, "%s: launcher: component '%s' is missing: %s: %s\n", cl_program_name, c->name, c->path, strerror(errno));
            return 2;
        }
        c->status = shared_memory("cleave-status", sizeof(cl_status), &c->status_fd);
    }
    /* A restart abandons what a device's component has read ahead with the iteration: under
     * --restart, where a component may be started again, nothing is read ahead, so that only the
     * request in flight is lost. */
    bool any_restartable = false;
    for (int k = 0; k < component_count; k++) any_restartable |= cl_program.not_restartable[k] == NULL;
    for (int k = 0; k < component_count; k++) atomic_store(&components[k].status->hold_ahead, restart_enabled && any_restartable);
    for (int r = 0; r < cl_program.ring_count; r++) {
        rings[r] = shared_memory("cleave-ring", cl_ring_bytes(CL_RING_CAPACITY), &ring_fds[r]);
        cl_ring_init(rings[r], CL_RING_CAPACITY);
    }

    sigset_t watched;
    sigemptyset(&watched);
    sigaddset(&watched, SIGCHLD);
    sigaddset(&watched, SIGINT);
    sigaddset(&watched, SIGTERM);
    sigaddset(&watched, SIGUSR1);
    sigaddset(&watched, SIGHUP);
    sigprocmask(SIG_BLOCK, &watched, NULL);
    int signals = signalfd(-1, &watched, SFD_CLOEXEC | SFD_NONBLOCK);
    if (signals < 0) fail_setup("signalfd");
    signal(SIGPIPE, SIG_IGN);

    for (int k = 0; k < component_count; k++) start(k);

    struct pollfd *polls = calloc((size_t)component_count + 1, sizeof *polls);
    if (!polls) fail_setup("calloc");
    bool sandboxed = false;
    while (alive() > 0) {
        if (!sandboxed && devices_bound >= cl_program.device_count && !stopping && !draining && restarting < 0) {
            enter_sandbox();
            sandboxed = true;
        }
        polls[0].fd = signals;
        polls[0].events = POLLIN;
        for (int k = 0; k < component_count; k++) {
            polls[k + 1].fd = components[k].control;
            polls[k + 1].events = POLLIN;
        }
        int timeout = restarting >= 0 ? 5 : stall_ms > 0 ? TICK_MS : -1;
        if (kill_at) {
            long long left = kill_at - now_ms();
            timeout = left > 0 ? (int)left : 0;
        }
        int ready = poll(polls, (nfds_t)component_count + 1, timeout);
        if (ready < 0 && errno != EINTR) fail_setup("poll");
        if (kill_at && now_ms() >= kill_at) {
            for (int k = 0; k < component_count; k++) {
                if (components[k].pid <= 0) continue;
                fprintf(stderr, "%s: component '%s' did not stop within %d ms: killed\n", cl_program_name, components[k].name,
                        stopping ? GRACE_MS : DRAIN_MS);
                kill(components[k].pid, SIGKILL);
                kill(components[k].pid, SIGCONT);
            }
            kill_at = 0;
        }
        continue_restart();
        look_for_stalls();
        if (ready <= 0) continue;
        if (polls[0].revents) {
            struct signalfd_siginfo info;
            while (read(signals, &info, sizeof info) == (ssize_t)sizeof info) {
                if (info.ssi_signo == SIGUSR1) print_counters();
                else if (info.ssi_signo != SIGCHLD) begin_stopping();
            }
            reap_all();
            continue_restart();
        }
        for (int k = 0; k < component_count; k++)
            if (components[k].control >= 0 && polls[k + 1].revents) answer_request(k);
    }
    print_messages();
    print_counters();
    return exit_status;
}
