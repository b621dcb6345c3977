/* start.c: from boot.S to the program's main.
 *
 * cl_image_start checks the PVH start info (magic 0x336ec578), brings up the console,
 * the memory of the memory map and the clock, reads the kernel command line (QEMU's
 * -append), and then runs the program exactly as hosted/service_main.c does: the heaps,
 * the platform's start, the program's constants and globals, and its main.
 *
 * The command line has the hosted build's options, in the image's terms:
 *   --netif virtio[:N][,ip=A.B.C.D/LEN][,gw=A.B.C.D][,mac=XX:XX:XX:XX:XX:XX]
 *       one per device, in the order the program creates them: the N-th virtio-net
 *       device (by default the next) and the addresses of Cleave's stack on it (by
 *       default QEMU's user network: 10.0.2.15/24, gateway 10.0.2.2, the device's MAC);
 *   --boot-time
 *       say, once the program first looks for a frame, how long it took from entry;
 *   --probe
 *       end at once (status 0) after running one SSE instruction: whether this CPU and
 *       hypervisor run an image's code (`cleave run` asks before choosing KVM; some nested
 *       hypervisors stop a guest at its first SSE instruction);
 *   --help.
 */
#include "core/link.h"
#include "image/image.h"

#define PVH_MAGIC 0x336ec578u

cl_image_netif cl_image_netifs[CL_IMAGE_NETIFS];
int cl_image_netif_count;
uint64_t cl_image_ready_tsc;
static bool say_boot_time;

typedef struct {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr;
} start_info_head;

static void say(const char *s) { cl_platform_write(CL_CONSOLE_ERR, s, strlen(s)); }

static const char usage[] =
    "  --netif virtio[:N][,ip=A.B.C.D/LEN][,gw=A.B.C.D][,mac=XX:XX:XX:XX:XX:XX]\n"
    "                 the N-th virtio-net device (default: the next) and the addresses of Cleave's\n"
    "                 stack on it (default: ip=10.0.2.15/24,gw=10.0.2.2 and the device's MAC)\n"
    "  --boot-time    say how long the image took from entry to ready to serve\n"
    "  --probe        run one SSE instruction and end (whether this hypervisor runs images)\n";

static _Noreturn void bad_start(void) {
    cl_platform_exit(2);
}

static void netif_option(const char *spec) {
    if (cl_image_netif_count == CL_IMAGE_NETIFS) {
        say(cl_program_name), say(": too many --netif options (at most 8)\n");
        bad_start();
    }
    cl_image_netif *n = &cl_image_netifs[cl_image_netif_count++];
    memset(n, 0, sizeof *n);
    n->text = spec;
    n->device = -1;
    const char *p = spec;
    const char *wrong = NULL;
    if (strncmp(p, "virtio", 6) != 0) {
        wrong = "an image's --netif is virtio[:N][,ip=A.B.C.D/LEN][,gw=A.B.C.D][,mac=XX:XX:XX:XX:XX:XX]";
    } else {
        p += 6;
        if (*p == ':') {
            p++;
            int value = 0, digits = 0;
            while (*p >= '0' && *p <= '9' && digits < 2) value = value * 10 + (*p++ - '0'), digits++;
            if (digits == 0) wrong = "expected virtio:N, N the number of a virtio-net device (0 the first)";
            n->device = value;
        }
        if (!wrong) wrong = cl_link_parse(p, &n->link, &n->has_address, &n->has_mac);
    }
    if (wrong) {
        say(cl_program_name), say(": --netif '"), say(spec), say("': "), say(wrong), say("\n");
        bad_start();
    }
}

/* Split the command line in place at spaces, and take its options. */
static void read_command_line(char *line) {
    char *words[64];
    int count = 0;
    for (char *p = line; *p && count < 64;) {
        while (*p == ' ' || *p == '\t') *p++ = 0;
        if (!*p) break;
        words[count++] = p;
        while (*p && *p != ' ' && *p != '\t') p++;
    }
    for (int i = 0; i < count; i++) {
        const char *w = words[i];
        if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0) {
            say("usage (the kernel command line, QEMU's -append): "), say(cl_program_name), say(" [--netif SPEC]... [--boot-time]\n");
            say(usage);
            cl_platform_exit(0);
        } else if (strcmp(w, "--netif") == 0 && i + 1 < count) {
            netif_option(words[++i]);
        } else if (strncmp(w, "--netif=", 8) == 0) {
            netif_option(w + 8);
        } else if (strcmp(w, "--boot-time") == 0) {
            say_boot_time = true;
        } else {
            say(cl_program_name), say(": unknown argument '"), say(w), say("'\n");
            say("usage (the kernel command line, QEMU's -append): "), say(cl_program_name), say(" [--netif SPEC]... [--boot-time]\n");
            say(usage);
            bad_start();
        }
    }
}

void cl_image_ready(void) {
    if (cl_image_ready_tsc) return;
    cl_image_ready_tsc = cl_rdtsc();
    if (!say_boot_time) return;
    uint64_t ticks = cl_image_ready_tsc - cl_image_entry_tsc;
    uint64_t us = (uint64_t)((unsigned __int128)ticks * 1000000u / cl_clock_tsc_hz());
    cl_text line = {.length = 0};
    cl_text_append(&line, cl_program_name);
    cl_text_append(&line, ": ready ");
    cl_text_append_int(&line, (int64_t)us);
    cl_text_append(&line, " us after entry (TSC at ");
    cl_text_append_int(&line, (int64_t)(cl_clock_tsc_hz() / 1000000u));
    cl_text_append(&line, " MHz)\n");
    cl_platform_write(CL_CONSOLE_ERR, line.text, line.length);
}

static char command_line[4096];

void cl_image_start(uint32_t start_info) {
    cl_serial_init();
    const start_info_head *info = (const start_info_head *)(uintptr_t)start_info;
    if (info == NULL || info->magic != PVH_MAGIC) {
        say("cleave image: not started through PVH (no hvm_start_info); boot it with qemu-system-x86_64 -kernel\n");
        cl_platform_exit(2);
    }
    if (info->cmdline_paddr && strcmp((const char *)(uintptr_t)info->cmdline_paddr, "--probe") == 0) {
        __asm__ volatile("xorps %%xmm0, %%xmm0" ::: "xmm0");
        cl_platform_exit(0);
    }
    cl_memory_init(info);
    cl_clock_init();
    cl_idle_init();
    if (info->cmdline_paddr) {
        const char *line = (const char *)(uintptr_t)info->cmdline_paddr;
        size_t n = 0;
        while (line[n] && n < sizeof command_line - 1) command_line[n] = line[n], n++;
        command_line[n] = 0;
        read_command_line(command_line);
    }
    cl_heap_init();
    cl_platform_start();
    cleave_init();
    cleave_main();
    cl_exit_clean();
}
