/* serial.c: the console, a 16550 UART at I/O port 0x3f8 (COM1; QEMU's `-serial`).
 *
 * Both of platform.h's streams go here, so the serial console shows what a hosted
 * build prints on standard error (and standard output). Output is polled: wait for
 * the transmit register to be empty, write a byte. Input is read only for two keys,
 * which `cleave run --target image` sends when its user presses them: Ctrl-C stops the
 * service cleanly (as SIGINT does a hosted one), Ctrl-\ says the counters and the
 * memory in use (as SIGUSR1 says a hosted one's counters).
 */
#include "image/image.h"

#define COM1 0x3f8
#define DATA 0
#define INTERRUPTS 1
#define FIFO 2
#define LINE_CONTROL 3
#define MODEM_CONTROL 4
#define LINE_STATUS 5
#define LINE_STATUS_DATA_READY 0x01
#define LINE_STATUS_TRANSMIT_EMPTY 0x20

void cl_serial_init(void) {
    cl_outb(COM1 + INTERRUPTS, 0x00);    /* polled, never interrupting */
    cl_outb(COM1 + LINE_CONTROL, 0x80);  /* the divisor latch: */
    cl_outb(COM1 + DATA, 0x01);          /* 115200 baud */
    cl_outb(COM1 + INTERRUPTS, 0x00);
    cl_outb(COM1 + LINE_CONTROL, 0x03);  /* 8 bits, no parity, one stop bit */
    cl_outb(COM1 + FIFO, 0xc7);          /* FIFOs on and cleared */
    cl_outb(COM1 + MODEM_CONTROL, 0x03); /* DTR, RTS */
}

void cl_serial_write(const void *data, size_t length) {
    const uint8_t *p = data;
    for (size_t i = 0; i < length; i++) {
        while (!(cl_inb(COM1 + LINE_STATUS) & LINE_STATUS_TRANSMIT_EMPTY)) cl_cpu_relax();
        cl_outb(COM1 + DATA, p[i]);
    }
}

int cl_serial_read(void) {
    if (!(cl_inb(COM1 + LINE_STATUS) & LINE_STATUS_DATA_READY)) return -1;
    return cl_inb(COM1 + DATA);
}

void cl_serial_poll_keys(void) {
    static uint64_t next;
    uint64_t now = cl_clock_ns();
    if (now < next) return;
    next = now + 1000000;
    for (int c; (c = cl_serial_read()) >= 0;) {
        if (c == 0x03) {
            cl_request_stop();
        } else if (c == 0x1c) {
            cl_print_counters();
            cl_text line = {.length = 0};
            cl_text_append(&line, cl_program_name);
            cl_text_append(&line, ": memory in use ");
            cl_text_append_int(&line, (int64_t)(cl_memory_in_use() / 1024));
            cl_text_append(&line, " KiB\n");
            cl_serial_write(line.text, line.length);
        }
    }
}
