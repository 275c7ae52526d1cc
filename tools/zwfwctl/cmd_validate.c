/* zwfwctl validate KIND CODE: checks one code with common/validate. */
#include "cmds.h"
#include "validate.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: zwfwctl validate id CODE                     resident ID (GB 11643)\n"
            "       zwfwctl validate uscc CODE                   unified social credit code\n"
            "       zwfwctl validate division CODE [--regions FILE]\n"
            "                                                    6- or 12-digit division code\n"
            "       zwfwctl validate impl CODE [--regions FILE]  item implementation code\n"
            "\n"
            "Prints \"valid\" and exits 0, or prints the reason on stderr and exits 1.\n"
            "division uses FILE, else $ZWFW_REGIONS, else the shipped deploy/regions.json;\n"
            "impl checks its division part against a table only when --regions is given.\n");
}

static int s_bad_usage(const char *why)
{
    fprintf(stderr, "zwfwctl validate: %s\n", why);
    s_usage(stderr);
    return 2;
}

static int s_result(int rc, const zw_err_t *err)
{
    if (rc != 0) {
        fprintf(stderr, "invalid: %s\n", err->message);
        return 1;
    }
    printf("valid\n");
    return 0;
}

int zw_cmd_validate(int argc, char **argv)
{
    if (argc >= 2 &&
        (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
        s_usage(stdout);
        return 0;
    }
    if (argc < 2)
        return s_bad_usage("missing what to validate");
    const char *kind = argv[1];
    const char *code = NULL;
    const char *regions_path = NULL;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--regions")) {
            if (i + 1 >= argc)
                return s_bad_usage("--regions needs a file");
            regions_path = argv[++i];
        } else if (!strncmp(argv[i], "--regions=", 10))
            regions_path = argv[i] + 10;
        else if (!strcmp(argv[i], "--")) {
            if (i + 2 != argc || code)
                return s_bad_usage("expected exactly one code");
            code = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return s_bad_usage("unknown option");
        else if (code)
            return s_bad_usage("expected exactly one code");
        else
            code = argv[i];
    }
    if (!code)
        return s_bad_usage("missing the code to check");

    zw_err_t err;
    zw_err_clear(&err);
    bool takes_regions = !strcmp(kind, "division") || !strcmp(kind, "impl");
    if (regions_path && !takes_regions)
        return s_bad_usage("--regions applies to division and impl only");

    if (!strcmp(kind, "id"))
        return s_result(zw_validate_resident_id(code, &err), &err);
    if (!strcmp(kind, "uscc"))
        return s_result(zw_validate_uscc(code, &err), &err);
    if (!takes_regions)
        return s_bad_usage("unknown kind (expected id, uscc, division or impl)");

    zw_regions_t *regions = NULL;
    if (regions_path || !strcmp(kind, "division")) {
        const char *path = regions_path ? regions_path : zw_regions_default_path();
        regions = zw_regions_load(path, &err);
        if (!regions) {
            fprintf(stderr, "zwfwctl validate: %s\n", err.message);
            return 1;
        }
    }
    int rc = !strcmp(kind, "division") ? zw_validate_division(regions, code, &err)
                                       : zw_validate_impl_code(regions, code, &err);
    zw_regions_destroy(&regions);
    return s_result(rc, &err);
}
