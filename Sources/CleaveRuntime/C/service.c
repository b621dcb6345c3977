/* service.c: the process around a hosted Cleave service.
 *
 * `main` reads the command line (`--netif SPEC`, once per device, and
 * `--help`), sets up memory and signals, computes the program's constants
 * and globals, and runs the program's `main`. The net module's UdpDevice is
 * here too: a thin layer over the netifs (netif.h) that copies each received
 * payload into the iteration's region, so the program owns what it reads.
 */
#include <stdio.h>
#include <unistd.h>

#include "cleave.h"

static void usage(FILE *out, const char *program) {
    fprintf(out,
        "usage: %s [--netif SPEC]...\n"
        "  --netif udp:PORT[,PORT...]  serve UDP on these ports instead of the source's (0: any free port)\n"
        "  --netif pcap:IN[:OUT]       answer the UDP requests of capture IN, write the replies to OUT\n"
        "One --netif per device, in the order the program creates them. SIGUSR1 prints the counters.\n",
        program);
}

_Noreturn void cl_exit_clean(void) {
    cl_netif_close_all();
    cl_print_counters();
    fflush(stdout);
    fflush(stderr);
    _exit(0);
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

cl_udp_device *cl_udp_device_open(const int64_t *ports, size_t count) {
    cl_udp_device *d = cl_state_alloc(sizeof *d);
    d->netif = cl_netif_open(ports, count);
    return d;
}

void cl_udp_device_receive(cl_udp_device *d, cl_bytes *payload, int64_t *port, uint32_t *peer_address, uint16_t *peer_port) {
    cl_packet p;
    if (!cl_netif_receive(d->netif, &p)) cl_exit_clean();
    *payload = cl_bytes_from(p.payload, p.length);
    *port = p.port;
    *peer_address = p.peer_address;
    *peer_port = p.peer_port;
}

void cl_udp_device_send(cl_udp_device *d, cl_bytes payload, int64_t port, uint32_t peer_address, uint16_t peer_port) {
    cl_packet p = {.payload = payload->data, .length = (size_t)payload->count, .port = port,
        .peer_address = peer_address, .peer_port = peer_port};
    cl_netif_send(d->netif, &p);
}
