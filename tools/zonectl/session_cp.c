/* zonectl cp (session_cmds.h). */
#include "tools/zonectl/session_cmds.h"

#include <stdio.h>

int cmd_cp(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "zonectl cp: not yet\n");
	return 1;
}
