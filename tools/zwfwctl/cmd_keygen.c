/* zwfwctl keygen: a CURVE key pair in two files (common/auth_keys.h):
 * DIR/NAME.secret (0600) for the machine that uses it and DIR/NAME.key to
 * register with (or give to) the other side. */
#include "cmds.h"

#include "auth_keys.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: zwfwctl keygen NAME [--dir DIR] [--force]\n"
            "Makes a CURVE key pair: DIR/NAME.secret (mode 0600: the pair; keep it on the\n"
            "machine that uses it) and DIR/NAME.key (the public key: register it with the\n"
            "deployment, or give it to whoever must trust it). Prints the public key (Z85).\n"
            "NAME: 1-%d characters of A-Z a-z 0-9 . _ -, not starting with . or -; it is\n"
            "also the name to register the key under.\n"
            "  --dir DIR   where to write (default: the current folder; made if missing)\n"
            "  --force     replace existing files (default: refuse)\n"
            "exit: 0 written; 1 not written (files exist, I/O error); 2 usage\n",
            ZW_AUTH_NAME_MAX);
}

int zw_cmd_keygen(int argc, char **argv)
{
    const char *name = NULL, *dir = ".";
    bool force = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            s_usage(stdout);
            return 0;
        } else if (strcmp(a, "--force") == 0) {
            force = true;
        } else if (strcmp(a, "--dir") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "zwfwctl keygen: --dir needs a value\n");
                return 2;
            }
            dir = argv[++i];
        } else if (strncmp(a, "--", 2) == 0 || name) {
            fprintf(stderr, "zwfwctl keygen: unexpected argument '%s'\n", a);
            s_usage(stderr);
            return 2;
        } else {
            name = a;
        }
    }
    if (!name) {
        s_usage(stderr);
        return 2;
    }
    if (!zw_auth_name_ok(name)) {
        fprintf(stderr,
                "INVALID_ARGUMENT: bad key name '%s': 1-%d characters of A-Z a-z 0-9 . _ -, "
                "not starting with . or -\n",
                name, ZW_AUTH_NAME_MAX);
        return 2;
    }
    zw_auth_keys_t keys;
    zw_err_t err;
    int rc = zw_auth_keys_generate(&keys, &err);
    if (rc == 0)
        rc = zw_auth_keys_save(&keys, dir, name, force, &err);
    if (rc == 0) {
        printf("%s\n", keys.public_key);
        fprintf(stderr, "zwfwctl keygen: wrote %s/%s.secret (keep private) and %s/%s.key\n", dir,
                name, dir, name);
    } else {
        fprintf(stderr, "%s: %s\n", zw_code_name(err.code), err.message);
    }
    explicit_bzero(&keys, sizeof keys);
    return rc == 0 ? 0 : 1;
}
