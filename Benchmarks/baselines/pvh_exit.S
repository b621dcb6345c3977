/* pvh_exit.S: QEMU's floor for image.py's boot times: the least a PVH kernel can be.
 *
 * QEMU's `-kernel` finds the PVH entry in an ELF note named "Xen" of type 18
 * (XEN_ELFNOTE_PHYS32_ENTRY) whose 4-byte descriptor is the 32-bit physical entry
 * address, in a PT_NOTE segment (pvh_exit.ld), and starts the CPU there in 32-bit
 * protected mode with paging off. This kernel writes one byte to COM1 (so the host
 * sees when the guest entered, before QEMU tears down) and ends QEMU at once through
 * isa-debug-exit (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`): QEMU exits with
 * status (0x10 << 1) | 1 = 33, as a Cleave image's clean stop does. Without that
 * device it halts. Built by Benchmarks/image.py with `gcc -c` and `ld -T pvh_exit.ld`.
 */
    .section .note.Xen, "a", @note
    .balign 4
    .long 4                 /* name size: "Xen\0" */
    .long 4                 /* descriptor size */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .long pvh_start
    .balign 4

    .text
    .code32
    .globl pvh_start
pvh_start:
    movw $0x3f8, %dx        /* COM1's data register: QEMU sends the byte to -serial */
    movb $'!', %al
    outb %al, %dx
    movl $0x10, %eax        /* isa-debug-exit: QEMU ends with status 33 */
    outl %eax, $0xf4
1:  cli
    hlt
    jmp 1b

    .section .note.GNU-stack, "", @progbits
