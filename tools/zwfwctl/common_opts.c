#include "common_opts.h"

#include <stdlib.h>

const char *zw_ctl_default_db(void)
{
    const char *env = getenv("ZWFW_DB");
    return env && *env ? env : "host=127.0.0.1 port=55432 user=zwfw dbname=zwfw";
}
