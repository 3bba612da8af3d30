/* Test guest entry: Multiboot 1 header, own GDT and stack, guest_main, exception stubs. */

#define MB_HEADER_MAGIC 0x1badb002 /* Multiboot 0.6.96 3.1.1 */
#define MB_FLAGS 0x00000002        /* bit 1: memory info wanted; ELF, so no a.out kludge */
#define STACK_SIZE 16384
#define CODE_SEL 0x08
#define DATA_SEL 0x10
#define DEBUG_EXIT 0xf4

	.section .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC
	.long MB_FLAGS
	.long -(MB_HEADER_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl _start
	.type _start, @function
_start:
	/* EAX = 0x2badb002, EBX = info; Multiboot 3.2 leaves GDTR unspecified: load ours. */
	cli
	cld
	mov %eax, %esi
	mov %ebx, %edi
	lgdt gdt_ptr
	ljmp $CODE_SEL, $1f
1:	mov $DATA_SEL, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %fs
	mov %eax, %gs
	mov %eax, %ss
	mov $stack_top, %esp
	/* Loaders zero .bss already; do it again rather than trust that. */
	mov %edi, %ebx
	mov $__bss_start, %edi
	mov $_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	push %ebx
	push %esi
	call guest_main
	/* guest_main returned: its value is the exit code. */
	outb %al, $DEBUG_EXIT
2:	cli
	hlt
	jmp 2b
	.size _start, . - _start

/* One stub per vector: push a dummy error code where the CPU pushes none (SDM vol.3 6.13). */
.macro isr vec
isr_\vec:
	.if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushl $0
	.endif
	pushl $\vec
	jmp isr_common
.endm

	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	isr \v
	.endr

/* Stack: vector, error, EIP, CS, EFLAGS; struct trap_frame in lib.h matches after pushal. */
isr_common:
	pushal
	cld
	push %esp
	call trap_handler
	add $4, %esp
	popal
	add $8, %esp
	iret

	.section .rodata
	.balign 4
	.globl isr_table
isr_table:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.long isr_\v
	.endr

	.data
	.balign 8
gdt:	.quad 0
	.quad 0x00cf9b000000ffff /* 0x08: code, base 0, limit 4 GiB, 32-bit, accessed */
	.quad 0x00cf93000000ffff /* 0x10: data, base 0, limit 4 GiB, writable, accessed */
gdt_end:
	.balign 4
	.word 0
gdt_ptr:
	.word gdt_end - gdt - 1
	.long gdt

	.bss
	.balign 16
stack:	.skip STACK_SIZE
stack_top:

	.section .note.GNU-stack, "", @progbits
