#include "cmds.h"

#include <stdio.h>

int zw_cmd_db(int argc, char **argv)
{
    (void) argc;
    (void) argv;
    fprintf(stderr, "zwfwctl db: not built yet\n");
    return 1;
}
