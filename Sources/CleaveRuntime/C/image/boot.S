/* boot.S: from QEMU's PVH entry to the runtime's C, in long mode.
 *
 * QEMU's `-kernel` loads this ELF and, finding the PVH note below (a note named
 * "Xen" of type 18, XEN_ELFNOTE_PHYS32_ENTRY, holding the 32-bit physical entry),
 * starts the CPU at pvh_start in 32-bit protected mode with paging off, flat
 * segments, interrupts off, and %ebx pointing at the hvm_start_info (the memory
 * map and the command line). The image then:
 *   1. zeroes its .bss (the page tables and the stack live there);
 *   2. maps the first 4 GiB one to one with 2 MiB pages (RAM, the image, and the
 *      devices: virtio-mmio slots at 0xfeb00000, the local APIC at 0xfee00000);
 *   3. turns on PAE, long mode and paging, and SSE (Double is SSE2 arithmetic);
 *   4. loads a GDT with one 64-bit code and one data segment and jumps into it;
 *   5. calls cl_image_start(start_info) on its own 64 KiB stack; it never returns.
 * Devices are polled (image/virtio.c); the one interrupt the image takes is the local
 * APIC's timer, which ends a `hlt` while it waits (image/idle.c). The handlers below
 * are that timer's (it says "end of interrupt"), the spurious vector's, and one per CPU
 * exception, which says which and where and ends the image (cl_image_exception).
 */
#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define PAGE_PRESENT_WRITABLE 0x3
#define PAGE_HUGE 0x80

    .section .note.Xen, "a", @note
    .balign 4
    .long 4                 /* name size: "Xen\0" */
    .long 4                 /* descriptor size */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .balign 4
    .long pvh_start
    .balign 4

    .section .text.boot, "ax", @progbits
    .code32
    .globl pvh_start
pvh_start:
    cli
    cld
    rdtsc                               /* the time at entry, for the time to ready (start.c) */
    movl %eax, cl_image_entry_tsc
    movl %edx, cl_image_entry_tsc + 4
    movl %ebx, %esi                     /* hvm_start_info, kept across what follows */

    /* 1. zero .bss */
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb

    /* 2. page tables: PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 512 2 MiB pages */
    movl $boot_pdpt, %eax
    orl $PAGE_PRESENT_WRITABLE, %eax
    movl %eax, boot_pml4
    movl $boot_pd, %eax
    orl $PAGE_PRESENT_WRITABLE, %eax
    movl $boot_pdpt, %edi
    movl $4, %ecx
1:  movl %eax, (%edi)
    addl $4096, %eax
    addl $8, %edi
    loop 1b
    movl $boot_pd, %edi
    movl $(PAGE_PRESENT_WRITABLE | PAGE_HUGE), %eax
    xorl %edx, %edx                     /* bits 32 and up of each entry */
    movl $2048, %ecx
2:  movl %eax, (%edi)
    movl %edx, 4(%edi)
    addl $0x200000, %eax
    addl $8, %edi
    loop 2b

    /* 3. PAE and SSE, the page tables, long mode, paging */
    movl %cr4, %eax
    orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    andl $~CR0_EM, %eax
    orl $(CR0_PE | CR0_MP | CR0_PG), %eax
    movl %eax, %cr0

    /* 4. the 64-bit GDT, and into long mode */
    lgdt boot_gdt_pointer
    ljmp $0x08, $long_mode

    .code64
long_mode:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    leaq boot_stack_top(%rip), %rsp
    xorl %ebp, %ebp
    movl %esi, %edi                     /* cl_image_start(start_info) */
    call cl_image_start
3:  hlt
    jmp 3b

    /* ---- interrupts (image/idle.c) ---- */
    .text
    .code64
    .globl cl_idle_tick
cl_idle_tick:
    pushq %rax
    movq cl_idle_eoi(%rip), %rax
    testq %rax, %rax
    jz 1f
    movl $0, (%rax)
1:  popq %rax
    iretq

    .globl cl_idle_spurious
cl_idle_spurious:
    iretq

/* Exception N: the error code the CPU pushed (or 0), N, then the common part, which calls
 * cl_image_exception(vector, error, rip) on an aligned stack; it does not return. */
    .macro exception vector, has_error
    .balign 16
exception_\vector:
    .if \has_error == 0
    pushq $0
    .endif
    pushq $\vector
    jmp exception_common
    .endm

    .irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
    exception \v, 0
    .endr
    .irp v, 8,10,11,12,13,14,17,21,29,30
    exception \v, 1
    .endr

exception_common:
    movq (%rsp), %rdi
    movq 8(%rsp), %rsi
    movq 16(%rsp), %rdx
    andq $-16, %rsp
    call cl_image_exception
2:  hlt
    jmp 2b

    .section .rodata.boot.exceptions, "a", @progbits
    .balign 8
    .globl cl_exception_entries
cl_exception_entries:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad exception_\v
    .endr

    .section .data.boot, "aw", @progbits
    .balign 8
    .globl cl_idle_eoi
cl_idle_eoi:
    .quad 0
    .balign 8
    .globl cl_image_entry_tsc
cl_image_entry_tsc:
    .quad 0

    .section .rodata.boot, "a", @progbits
    .balign 16
boot_gdt:
    .quad 0                             /* null */
    .quad 0x00af9a000000ffff            /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff            /* 0x10: data */
boot_gdt_end:
boot_gdt_pointer:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .section .bss.boot, "aw", @nobits
    .balign 4096
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4 * 4096
    .balign 16
boot_stack:
    .skip 65536
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
