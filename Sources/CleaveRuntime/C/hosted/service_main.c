/* service_main.c: the process of a unikernel (or one-thread projected) build.
 *
 * `main` reads the command line (`--netif SPEC`, once per device, and
 * `--help`), sets up memory and the platform (signals.c), computes the
 * program's constants and globals, and runs the program's `main`.
 */
#include <stdio.h>
#include <unistd.h>

#include "netif/netif.h"

static void usage(FILE *out, const char *program) {
    fprintf(out, "usage: %s [--netif SPEC]...\n%s", program, cl_netif_usage);
    fprintf(out, "One --netif per device, in the order the program creates them. SIGUSR1 prints the counters.\n");
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout, argv[0]);
            return 0;
        }
        int taken = cl_netif_option(argc, argv, &i);
        if (taken < 0) return 2;
        if (taken == 0) {
            fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], argv[i]);
            usage(stderr, argv[0]);
            return 2;
        }
    }
    cl_heap_init();
    cl_platform_start();
    cleave_init();
    cleave_main();
    cl_exit_clean();
}
