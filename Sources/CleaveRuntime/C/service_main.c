/* service_main.c: the process of a unikernel (or one-thread projected) build.
 *
 * `main` reads the command line (`--netif SPEC`, once per device, and
 * `--help`), sets up memory and signals, computes the program's constants
 * and globals, and runs the program's `main`.
 */
#include <stdio.h>
#include <unistd.h>

#include "cleave.h"

static void usage(FILE *out, const char *program) {
    fprintf(out,
        "usage: %s [--netif SPEC]...\n"
        "  --netif udp:PORT[,PORT...]  serve UDP on these ports instead of the source's (0: any free port)\n"
        "  --netif pcap:IN[:OUT]       answer the UDP requests of capture IN, write the replies to OUT\n"
        "                              (a FrameDevice: read the Ethernet frames of IN, write those sent to OUT)\n"
        "  --netif tap:NAME            a FrameDevice on the Linux TAP interface NAME\n"
        "One --netif per device, in the order the program creates them. SIGUSR1 prints the counters.\n",
        program);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout, argv[0]);
            return 0;
        }
        const char *spec = NULL;
        if (strcmp(a, "--netif") == 0 && i + 1 < argc) {
            spec = argv[++i];
        } else if (strncmp(a, "--netif=", 8) == 0) {
            spec = a + 8;
        } else {
            fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], a);
            usage(stderr, argv[0]);
            return 2;
        }
        if (cl_netif_configure(spec) != 0) return 2;
    }
    cl_heap_init();
    cl_netif_install_signals();
    cleave_init();
    cleave_main();
    cl_exit_clean();
}

