// SPDX-License-Identifier: GPL-2.0
/*
 * insn-mark reset|start|stop: executes the marking instruction the
 * insn-count QEMU plugin (insn-count.c) acts on. Without the plugin each is
 * an exchange of a register with itself, which does nothing.
 */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	const char *what = argc == 2 ? argv[1] : "";

	if (!strcmp(what, "reset"))
		__asm__ __volatile__("xchg %%dx, %%dx" ::: "memory");
	else if (!strcmp(what, "start"))
		__asm__ __volatile__("xchg %%bx, %%bx" ::: "memory");
	else if (!strcmp(what, "stop"))
		__asm__ __volatile__("xchg %%cx, %%cx" ::: "memory");
	else {
		fprintf(stderr, "usage: insn-mark reset|start|stop\n");
		return 2;
	}
	return 0;
}
