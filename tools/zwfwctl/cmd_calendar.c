#include "cmds.h"

#include <stdio.h>

int zw_cmd_calendar(int argc, char **argv)
{
    (void) argc;
    (void) argv;
    fprintf(stderr, "zwfwctl calendar: not built yet\n");
    return 1;
}
