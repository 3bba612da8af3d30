/* First instructions of hypervisor.elf: the loader calls hv_entry(bootinfo). */
	.section .text.entry, "ax"
	.globl hv_entry
hv_entry:
	cld
	call hv_main
1:	cli
	hlt
	jmp 1b
