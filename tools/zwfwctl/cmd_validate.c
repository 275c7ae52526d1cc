#include "cmds.h"

#include <stdio.h>

int zw_cmd_validate(int argc, char **argv)
{
    (void) argc;
    (void) argv;
    fprintf(stderr, "zwfwctl validate: not built yet\n");
    return 1;
}
