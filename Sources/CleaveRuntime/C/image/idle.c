/* idle.c: waiting without spinning, on the local APIC's timer.
 *
 * The image polls its devices (virtio.c: no device interrupts), so a wait for a frame
 * is a loop. Spinning through a long wait would keep a host CPU busy for an idle
 * service; instead, after spinning for SPIN_NS (traffic that keeps coming is served
 * from the spin, at full speed), the CPU halts until the local APIC's one-shot timer
 * fires, at most TICK_NS later, and looks again. An idle image thus wakes about a
 * thousand times a second and otherwise leaves the host's CPU alone, at the price of at
 * most TICK_NS before the first frame after a quiet spell is seen.
 *
 * The timer's interrupt is the only one ever enabled, and only around `hlt`
 * (`sti; hlt; cli`: the interrupt that ends the halt is taken at once, and no other
 * code ever runs with interrupts on). Its handler (boot.S: idle_tick) only says
 * "end of interrupt" to the APIC. Every CPU exception has a handler too (boot.S), which
 * says which one and where, and ends the image as a trap does: a fault in the image is a
 * bug of Cleave's, and it must not silently reboot the machine.
 */
#include "image/image.h"

#define APIC_BASE_MSR 0x1b
#define APIC_ENABLE (1u << 11)
#define APIC_EOI 0x0b0
#define APIC_SPURIOUS 0x0f0
#define APIC_LVT_TIMER 0x320
#define APIC_TIMER_INITIAL 0x380
#define APIC_TIMER_CURRENT 0x390
#define APIC_TIMER_DIVIDE 0x3e0
#define TIMER_VECTOR 32
#define SPURIOUS_VECTOR 0xff
#define SPIN_NS 2000000u  /* 2 ms */
#define TICK_NS 1000000u  /* 1 ms */

typedef struct {
    uint16_t offset_low, selector;
    uint8_t ist, flags;
    uint16_t offset_middle;
    uint32_t offset_high, zero;
} __attribute__((packed)) gate;

static gate idt[256] __attribute__((aligned(16)));
static uintptr_t apic;
extern uint64_t cl_idle_eoi; /* boot.S: where the timer's handler says "end of interrupt" (0: nowhere) */
static uint64_t apic_ticks_per_ms;

extern void cl_idle_tick(void);      /* boot.S */
extern void cl_idle_spurious(void);  /* boot.S */
extern const uint64_t cl_exception_entries[32]; /* boot.S */

static void set_gate(int vector, uintptr_t handler) {
    idt[vector] = (gate){(uint16_t)handler, 0x08, 0, 0x8e, (uint16_t)(handler >> 16), (uint32_t)(handler >> 32), 0};
}

static inline uint64_t rdmsr(uint32_t msr) {
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static inline void apic_write(uint32_t reg, uint32_t value) { cl_mmio_write32(apic + reg, value); }
static inline uint32_t apic_read(uint32_t reg) { return cl_mmio_read32(apic + reg); }

/* The legacy 8259 interrupt controllers, which the firmware of q35 and pc leaves with the PIT's
 * interrupt unmasked at vector 8 (a CPU exception's): moved to vectors 0x30-0x3f and masked, so
 * that nothing of theirs arrives when the image enables interrupts to halt, but a spurious one. */
static void quiet_the_pics(void) {
    cl_outb(0x20, 0x11), cl_outb(0xa0, 0x11); /* initialize, 4 words follow */
    cl_outb(0x21, 0x30), cl_outb(0xa1, 0x38); /* vectors */
    cl_outb(0x21, 0x04), cl_outb(0xa1, 0x02); /* the second on the first's line 2 */
    cl_outb(0x21, 0x01), cl_outb(0xa1, 0x01); /* 8086 mode */
    cl_outb(0x21, 0xff), cl_outb(0xa1, 0xff); /* every line masked */
}

void cl_idle_init(void) {
    for (int v = 0; v < 32; v++) set_gate(v, (uintptr_t)cl_exception_entries[v]);
    for (int v = 0x30; v < 0x40; v++) set_gate(v, (uintptr_t)cl_idle_spurious);
    quiet_the_pics();
    set_gate(TIMER_VECTOR, (uintptr_t)cl_idle_tick);
    set_gate(SPURIOUS_VECTOR, (uintptr_t)cl_idle_spurious);
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) pointer = {sizeof idt - 1, (uintptr_t)idt};
    __asm__ volatile("lidt %0" ::"m"(pointer));

    uint64_t base = rdmsr(APIC_BASE_MSR);
    if (!(base & APIC_ENABLE)) return; /* no local APIC: waits spin */
    apic = (uintptr_t)(base & 0xfffff000u);
    apic_write(APIC_SPURIOUS, 0x100 | SPURIOUS_VECTOR); /* software-enabled */
    apic_write(APIC_TIMER_DIVIDE, 0x0b);                /* divide by 1 */
    apic_write(APIC_LVT_TIMER, 1u << 16);               /* masked while it is measured */
    /* Its rate, against the TSC: count down from the top for 1 ms. */
    apic_write(APIC_TIMER_INITIAL, 0xffffffffu);
    uint64_t end = cl_clock_ns() + 1000000u;
    while (cl_clock_ns() < end) cl_cpu_relax();
    uint32_t left = apic_read(APIC_TIMER_CURRENT);
    apic_write(APIC_TIMER_INITIAL, 0);
    apic_ticks_per_ms = 0xffffffffu - left;
    if (apic_ticks_per_ms == 0) {
        apic = 0; /* it does not count: waits spin */
        return;
    }
    cl_idle_eoi = apic + APIC_EOI;
    apic_write(APIC_LVT_TIMER, TIMER_VECTOR); /* one-shot, unmasked */
}

void cl_idle_wait(bool (*ready)(void *), void *context, uint64_t deadline) {
    uint64_t spin_until = cl_clock_ns() + SPIN_NS;
    for (;;) {
        if (ready(context)) return;
        uint64_t now = cl_clock_ns();
        if (now >= deadline) return;
        if (apic == 0 || now < spin_until) {
            cl_cpu_relax();
            continue;
        }
        uint64_t sleep = deadline - now < TICK_NS ? deadline - now : TICK_NS;
        uint64_t ticks = sleep * apic_ticks_per_ms / 1000000u;
        apic_write(APIC_TIMER_INITIAL, ticks == 0 ? 1 : (uint32_t)(ticks > 0xffffffffu ? 0xffffffffu : ticks));
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    }
}

static const char *const names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode", "device not available",
    "double fault", "coprocessor segment overrun", "invalid TSS", "segment not present", "stack fault",
    "general protection fault", "page fault", "reserved", "x87 floating point", "alignment check", "machine check",
    "SIMD floating point", "virtualization", "control protection"};

static void append_hex(cl_text *t, uint64_t v) {
    char digits[19] = "0x";
    int n = 2, shift = 60;
    while (shift > 0 && ((v >> shift) & 15) == 0) shift -= 4;
    for (; shift >= 0; shift -= 4) digits[n++] = "0123456789abcdef"[(v >> shift) & 15];
    digits[n] = 0;
    cl_text_append(t, digits);
}

_Noreturn void cl_image_exception(uint64_t vector, uint64_t error, uint64_t rip) {
    cl_text line = {.length = 0};
    cl_text_append(&line, "cleave image: CPU exception ");
    cl_text_append_int(&line, (int64_t)vector);
    cl_text_append(&line, " (");
    cl_text_append(&line, vector < 32 && names[vector] ? names[vector] : "reserved");
    cl_text_append(&line, ") at ");
    append_hex(&line, rip);
    cl_text_append(&line, ", error code ");
    append_hex(&line, error);
    cl_text_append(&line, "\n");
    cl_serial_write(line.text, line.length);
    cl_platform_exit(1);
}
