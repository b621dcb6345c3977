/* image.h: the image platform's own parts, shared by its files.
 *
 * The image is a platform beside hosted/ (platform.h): one x86-64 CPU in long
 * mode, entered from QEMU's PVH boot (boot.S), with no operating system and no C
 * library. Its files:
 *   start.c    cl_image_start: the start info, the command line, the program's main
 *   serial.c   the 16550 UART at 0x3f8: the console (both streams), and keys from it
 *   memory.c   the physical pages of the PVH memory map, and malloc over them
 *   clock.c    the TSC, calibrated against the PIT (or read from KVM's clock)
 *   idle.c     waiting without spinning (the APIC timer and hlt), and CPU exceptions
 *   pci.c      PCI configuration space (q35, pc), for virtio-net-pci
 *   virtio.c   virtio-net over legacy virtio-mmio (microvm) or legacy virtio-pci
 *   image.c    platform.h: console, exit (isa-debug-exit), clock, memory, frames
 *   libc.c     the memory and string functions C needs, and round
 */
#ifndef CLEAVE_IMAGE_H
#define CLEAVE_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cleave.h"

/* ---- the machine ----------------------------------------------------------- */

static inline void cl_outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void cl_outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void cl_outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t cl_inb(uint16_t port) {
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint16_t cl_inw(uint16_t port) {
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t cl_inl(uint16_t port) {
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t cl_mmio_read32(uintptr_t address) { return *(volatile uint32_t *)address; }
static inline void cl_mmio_write32(uintptr_t address, uint32_t v) { *(volatile uint32_t *)address = v; }
static inline uint64_t cl_rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}
static inline void cl_cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void cl_barrier(void) { __asm__ volatile("mfence" ::: "memory"); }
_Noreturn void cl_image_halt(void);

/* ---- serial.c ----------------------------------------------------------------- */

void cl_serial_init(void);
void cl_serial_write(const void *data, size_t length);
/* A byte typed at the console, or -1. */
int cl_serial_read(void);
/* Keys from the console, looked at no more than once a millisecond: Ctrl-C (0x03) asks the
 * service to stop, Ctrl-\ (0x1c) says the counters and the memory in use. */
void cl_serial_poll_keys(void);

/* ---- memory.c ------------------------------------------------------------------ */

/* The RAM of the memory map, less the image itself and the first megabyte. */
void cl_memory_init(const void *start_info);
void *cl_pages_alloc(size_t count); /* 4 KiB pages, zeroed; NULL when none are left */
void cl_pages_free(void *pages, size_t count);
void *cl_malloc(size_t size);
void *cl_calloc(size_t count, size_t size);
void *cl_realloc(void *block, size_t size);
void cl_free(void *block);
/* RAM taken from the free pages (for malloc and the program), and the RAM there is, in bytes. */
size_t cl_memory_in_use(void);
size_t cl_memory_total(void);

/* ---- clock.c ------------------------------------------------------------------- */

void cl_clock_init(void);
uint64_t cl_clock_ns(void);
uint64_t cl_clock_tsc_hz(void);

/* ---- idle.c -------------------------------------------------------------------- */

/* The interrupt table (CPU exceptions, the APIC timer) and the APIC timer's rate. */
void cl_idle_init(void);
/* Until ready(context) or the clock reaches `deadline` (ns): spinning first, then halting between
 * the APIC timer's ticks. */
void cl_idle_wait(bool (*ready)(void *), void *context, uint64_t deadline);
_Noreturn void cl_image_exception(uint64_t vector, uint64_t error, uint64_t rip);

/* ---- pci.c --------------------------------------------------------------------- */

typedef struct cl_pci_device {
    uint8_t bus, slot, function;
    uint16_t vendor, device;
} cl_pci_device;
uint32_t cl_pci_read32(const cl_pci_device *d, uint8_t offset);
void cl_pci_write16(const cl_pci_device *d, uint8_t offset, uint16_t value);
/* Whether there is PCI (q35, pc) or not (microvm). */
bool cl_pci_present(void);
/* The `index`th function (0: the first) with this vendor and one of the devices; false when none. */
bool cl_pci_find(uint16_t vendor, const uint16_t *devices, size_t device_count, int index, cl_pci_device *out);

/* ---- virtio.c ------------------------------------------------------------------ */

typedef struct cl_virtio_net cl_virtio_net;
/* The `index`th virtio-net device (0: the first): on PCI where there is PCI, else in the virtio-mmio slots;
 * NULL when there is none, with the reason in *why. */
cl_virtio_net *cl_virtio_net_open(int index, const char **why);
void cl_virtio_net_mac(const cl_virtio_net *n, uint8_t mac[6]);
const char *cl_virtio_net_transport(const cl_virtio_net *n);
int cl_virtio_net_receive(cl_virtio_net *n, const uint8_t **frame, size_t *length);
bool cl_virtio_net_send(cl_virtio_net *n, const uint8_t *frame, size_t length);
/* Whether a frame is waiting, without taking it. */
bool cl_virtio_net_pending(const cl_virtio_net *n);

/* ---- start.c ------------------------------------------------------------------- */

/* A --netif of the kernel command line: `virtio[:N][,ip=A/LEN][,gw=G][,mac=M]`, the N-th
 * virtio-net device (by default the next), with the addresses of Cleave's stack on it. */
typedef struct cl_image_netif {
    const char *text;
    int device; /* -1: the next */
    bool has_address, has_mac;
    cl_link_config link;
} cl_image_netif;
#define CL_IMAGE_NETIFS 8
extern cl_image_netif cl_image_netifs[CL_IMAGE_NETIFS];
extern int cl_image_netif_count;
/* The TSC at entry (boot.S), and when the program first looked for a frame (ready to serve). */
extern uint64_t cl_image_entry_tsc;
extern uint64_t cl_image_ready_tsc;
/* The first look for a frame: ready to serve (said with --boot-time). */
void cl_image_ready(void);
void cl_image_start(uint32_t start_info);

#endif
