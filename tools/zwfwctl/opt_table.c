#include "opt_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int zw_ctl_whole(const char *text, long long min, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (errno || end == text || *end || n < min || n > max)
        return -1;
    *out = n;
    return 0;
}

static const zw_ctl_opt_t *s_find(const zw_ctl_parser_t *p, const char *name)
{
    for (size_t k = 0; k < p->n_opts; k++)
        if (strcmp(name, p->opts[k].name) == 0)
            return &p->opts[k];
    return NULL;
}

/* 0, or 2 after a message. */
static int s_take(const zw_ctl_parser_t *p, const zw_ctl_opt_t *opt, const char *v)
{
    long long n;
    switch (opt->kind) {
    case ZW_CTL_OPT_FLAG:
        *(bool *) opt->dest = true;
        return 0;
    case ZW_CTL_OPT_STR:
        *(const char **) opt->dest = v;
        return 0;
    case ZW_CTL_OPT_LIST:
        if (*opt->count >= (size_t) opt->max) {
            fprintf(stderr, "%s: at most %lld of %s\n", p->who, opt->max, opt->name);
            return 2;
        }
        ((const char **) opt->dest)[(*opt->count)++] = v;
        return 0;
    case ZW_CTL_OPT_INT:
        if (zw_ctl_whole(v, opt->min, opt->max, &n) != 0) {
            fprintf(stderr, "%s: %s: expected a whole number from %lld to %lld, got '%s'\n", p->who,
                    opt->name, opt->min, opt->max, v);
            return 2;
        }
        *(int *) opt->dest = (int) n;
        return 0;
    case ZW_CTL_OPT_FN:
        return opt->fn(opt, v) == 0 ? 0 : 2;
    }
    return 2;
}

int zw_ctl_parse(const zw_ctl_parser_t *p, int argc, char **argv)
{
    bool options = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options && (p->flags & ZW_CTL_DASH_DASH) && strcmp(a, "--") == 0) {
            options = false;
            continue;
        }
        bool help =
            strcmp(a, "--help") == 0 || ((p->flags & ZW_CTL_DASH_H) && strcmp(a, "-h") == 0);
        if (!options || (strncmp(a, "--", 2) != 0 && !help)) {
            if (*p->n_args == p->max_args) {
                fprintf(stderr, "%s: too many arguments\n", p->who);
                return 2;
            }
            p->args[(*p->n_args)++] = a;
            continue;
        }
        if (help) {
            p->usage(stdout);
            return 1;
        }
        if (p->conn) {
            int rc = zw_ctl_conn_option(p->conn, argc, argv, &i);
            if (rc == 2)
                return 2;
            if (rc == 1)
                continue;
        }
        const zw_ctl_opt_t *opt = s_find(p, a);
        if (!opt) {
            fprintf(stderr, "%s: unknown option '%s'%s\n", p->who, a,
                    (p->flags & ZW_CTL_BARE_UNKNOWN) ? "" : " (--help lists them)");
            return 2;
        }
        const char *v = NULL;
        if (opt->kind != ZW_CTL_OPT_FLAG) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: %s needs a value\n", p->who, a);
                return 2;
            }
            v = argv[++i];
        }
        if (s_take(p, opt, v) != 0)
            return 2;
        if (p->taken)
            p->taken(opt, p->arg);
    }
    return 0;
}
