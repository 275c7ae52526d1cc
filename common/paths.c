#include "paths.h"

#include <stdlib.h>

const char *zw_source_dir(void)
{
    const char *env = getenv("ZWFW_SOURCE_DIR");
    return env && *env ? env : ZWFW_SOURCE_DIR;
}
