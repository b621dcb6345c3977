/* clock.c: time, from the CPU's time-stamp counter.
 *
 * The TSC counts at a fixed rate that the image must learn once, at start:
 *   - under KVM, from KVM's paravirtual clock (CPUID leaf 0x40000000 says "KVMKVMKVM";
 *     MSR 0x4b564d01 makes the hypervisor write its TSC-to-nanoseconds scale into a page
 *     of ours): no waiting;
 *   - otherwise (TCG), by counting TSC ticks across 2 ms of the PIT's channel 0, whose
 *     1.193182 MHz is fixed. Without a PIT (microvm with pit=off) the TSC is taken to run at
 *     1 GHz, and the console says so.
 * The clock only serves timeouts (ARP, reassembly, waits) and the time to ready, so an
 * error of a fraction of a percent does not matter.
 */
#include "image/image.h"

#define PIT_HZ 1193182u
#define PIT_CHANNEL0 0x40
#define PIT_COMMAND 0x43
#define KVM_SYSTEM_TIME_MSR 0x4b564d01u
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)

static uint64_t start_tsc, tsc_hz;
static uint64_t ns_per_tick_32; /* nanoseconds per tick, in 32.32 fixed point */

static void cpuid(uint32_t leaf, uint32_t r[4]) {
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

static inline void wrmsr(uint32_t msr, uint64_t value) {
    __asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)));
}

typedef struct {
    volatile uint32_t version, pad0;
    volatile uint64_t tsc_timestamp, system_time;
    volatile uint32_t tsc_to_system_mul;
    volatile int8_t tsc_shift;
    volatile uint8_t flags, pad[2];
} __attribute__((aligned(64))) pvclock;

static pvclock kvm_time;

static uint64_t from_kvm(void) {
    uint32_t r[4];
    cpuid(0x40000000, r);
    if (r[1] != 0x4b4d564b || r[2] != 0x564b4d56 || r[3] != 0x4d) return 0; /* "KVMKVMKVM\0\0\0" */
    if (r[0] < 0x40000001) return 0;
    cpuid(0x40000001, r);
    if (!(r[0] & KVM_FEATURE_CLOCKSOURCE2)) return 0;
    wrmsr(KVM_SYSTEM_TIME_MSR, (uint64_t)(uintptr_t)&kvm_time | 1);
    uint32_t mul;
    int shift;
    for (int tries = 0;; tries++) {
        uint32_t version = kvm_time.version;
        mul = kvm_time.tsc_to_system_mul;
        shift = kvm_time.tsc_shift;
        if (version != 0 && !(version & 1) && version == kvm_time.version) break;
        if (tries > 1000000) return 0;
        cl_cpu_relax();
    }
    wrmsr(KVM_SYSTEM_TIME_MSR, 0);
    if (mul == 0) return 0;
    /* ns = ((ticks << shift) * mul) >> 32 (shift may be negative): ticks per second is the inverse. */
    unsigned __int128 hz = ((unsigned __int128)1000000000u << 32) / mul;
    return (uint64_t)(shift >= 0 ? hz >> shift : hz << -shift);
}

static uint16_t pit_read(void) {
    cl_outb(PIT_COMMAND, 0x00); /* latch channel 0 */
    uint8_t low = cl_inb(PIT_CHANNEL0);
    uint8_t high = cl_inb(PIT_CHANNEL0);
    return (uint16_t)(high << 8 | low);
}

static uint64_t from_pit(void) {
    cl_outb(PIT_COMMAND, 0x34); /* channel 0, low then high byte, mode 2, binary */
    cl_outb(PIT_CHANNEL0, 0xff);
    cl_outb(PIT_CHANNEL0, 0xff);
    uint16_t first = pit_read();
    uint64_t tsc0 = cl_rdtsc();
    const uint16_t want = PIT_HZ / 500; /* 2 ms */
    uint16_t elapsed = 0;
    for (uint32_t reads = 0; elapsed < want; reads++) {
        if (reads > 2000000) return 0; /* it never moves: no PIT */
        elapsed = (uint16_t)(first - pit_read());
    }
    uint64_t tsc1 = cl_rdtsc();
    return (tsc1 - tsc0) * PIT_HZ / elapsed;
}

void cl_clock_init(void) {
    start_tsc = cl_image_entry_tsc ? cl_image_entry_tsc : cl_rdtsc();
    tsc_hz = from_kvm();
    if (tsc_hz == 0) tsc_hz = from_pit();
    if (tsc_hz == 0) {
        static const char message[] = "cleave image: no clock to calibrate the TSC against (no PIT, no KVM clock); taking it to be 1 GHz\n";
        cl_serial_write(message, sizeof message - 1);
        tsc_hz = 1000000000u;
    }
    ns_per_tick_32 = (uint64_t)(((unsigned __int128)1000000000u << 32) / tsc_hz);
}

uint64_t cl_clock_ns(void) {
    uint64_t ticks = cl_rdtsc() - start_tsc;
    return (uint64_t)(((unsigned __int128)ticks * ns_per_tick_32) >> 32);
}

uint64_t cl_clock_tsc_hz(void) { return tsc_hz; }
