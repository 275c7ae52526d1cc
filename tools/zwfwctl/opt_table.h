/* zwfwctl: a subcommand's command line, read from a table of its options.
 * The subcommands that talk to the broker read their arguments alike:
 * positional arguments, --help, the connection options of common_opts.h,
 * then their own options, each a flag, a value, a repeatable value or a
 * whole number in a range. The table says which and where it goes;
 * zw_ctl_parse walks argv once with it and says what is wrong in the
 * subcommand's own name ("WHO: ..."), with exit code 2. */
#ifndef ZWFWCTL_OPT_TABLE_H
#define ZWFWCTL_OPT_TABLE_H

#include "common_opts.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A whole number in min..max (decimal, the whole text): 0 with *out, or
 * -1 and nothing changes. Prints nothing: the caller words the message. */
int zw_ctl_whole(const char *text, long long min, long long max, long long *out);

typedef enum {
    ZW_CTL_OPT_FLAG, /* no value: *(bool *) dest = true */
    ZW_CTL_OPT_STR,  /* *(const char **) dest = the value (borrowed from argv) */
    ZW_CTL_OPT_LIST, /* repeatable: ((const char **) dest)[(*count)++] = the value, up to max */
    ZW_CTL_OPT_INT,  /* *(int *) dest = the value, a whole number in min..max */
    ZW_CTL_OPT_FN,   /* fn checks the value and stores it */
} zw_ctl_opt_kind_t;

typedef struct zw_ctl_opt zw_ctl_opt_t;

/* Takes the value of a ZW_CTL_OPT_FN option: 0, or -1 after printing
 * what is wrong with it. */
typedef int (*zw_ctl_opt_fn)(const zw_ctl_opt_t *opt, const char *value);

struct zw_ctl_opt {
    const char *name; /* "--json" */
    zw_ctl_opt_kind_t kind;
    void *dest;         /* where the value goes (see the kinds); FN: fn's to use */
    size_t *count;      /* LIST: how many dest holds */
    long long min, max; /* INT: the range; LIST: max is how many dest has room for */
    zw_ctl_opt_fn fn;   /* FN */
    int tag;            /* the subcommand's own (e.g. which verbs take the option) */
};

/* The fields of one table entry, to write inside braces, with more
 * designators after them if wanted: {ZW_CTL_FLAG("--json", &o->json)},
 * {ZW_CTL_STR("--reason", &o->reason), .tag = S_WITHDRAW}. The conditional
 * only makes the compiler check that the pointer has the kind's type. */
#define ZW_CTL_TYPED_(T, P) (1 ? (P) : (T *) NULL)
#define ZW_CTL_FLAG(NAME, P) .name = (NAME), .kind = ZW_CTL_OPT_FLAG, .dest = ZW_CTL_TYPED_(bool, P)
#define ZW_CTL_STR(NAME, P)                                                                        \
    .name = (NAME), .kind = ZW_CTL_OPT_STR, .dest = ZW_CTL_TYPED_(const char *, P)
/* ARRAY is an array of const char * (not a pointer: its size is the cap). */
#define ZW_CTL_LIST(NAME, ARRAY, COUNT)                                                            \
    .name = (NAME), .kind = ZW_CTL_OPT_LIST, .dest = ZW_CTL_TYPED_(const char *, ARRAY),           \
    .count = ZW_CTL_TYPED_(size_t, COUNT), .max = (long long) (sizeof(ARRAY) / sizeof(ARRAY)[0])
#define ZW_CTL_INT(NAME, P, MIN, MAX)                                                              \
    .name = (NAME), .kind = ZW_CTL_OPT_INT, .dest = ZW_CTL_TYPED_(int, P), .min = (MIN),           \
    .max = (MAX)
#define ZW_CTL_FN(NAME, FN, DEST) .name = (NAME), .kind = ZW_CTL_OPT_FN, .fn = (FN), .dest = (DEST)

/* How zw_ctl_parse treats a few arguments (zw_ctl_parser_t flags). */
enum {
    ZW_CTL_DASH_H = 1 << 0,       /* -h is --help too */
    ZW_CTL_DASH_DASH = 1 << 1,    /* "--" ends the options: all after it are positional */
    ZW_CTL_BARE_UNKNOWN = 1 << 2, /* "unknown option 'X'" without " (--help lists them)" */
};

/* How a subcommand reads its command line. Everything is borrowed. The
 * fields are in the order a subcommand writes them:
 *   {"zwfwctl clock", s_usage, ZW_CTL_DASH_H, &o->conn,
 *    ZW_CTL_TABLES(opts, o->args, &o->n_args)} */
typedef struct {
    const char *who;          /* prefixes messages: "zwfwctl catalog" */
    void (*usage)(FILE *out); /* --help prints it on stdout */
    unsigned flags;           /* ZW_CTL_DASH_H | ... */
    zw_ctl_conn_t *conn;      /* offered each option first (zw_ctl_conn_option); NULL: none */
    const zw_ctl_opt_t *opts;
    size_t n_opts;
    const char **args; /* the positional arguments go here, borrowed from argv */
    size_t max_args;
    size_t *n_args;
    /* if set, called after each option of opts is taken (e.g. to note it) */
    void (*taken)(const zw_ctl_opt_t *opt, void *arg);
    void *arg;
} zw_ctl_parser_t;

/* The tables of a zw_ctl_parser_t, all arrays (not pointers): the
 * options OPTS, and ARGS for the positional arguments, counted in *N. */
#define ZW_CTL_TABLES(OPTS, ARGS, N)                                                               \
    .opts = (OPTS), .n_opts = sizeof(OPTS) / sizeof(OPTS)[0], .args = (ARGS),                      \
    .max_args = sizeof(ARGS) / sizeof(ARGS)[0], .n_args = ZW_CTL_TYPED_(size_t, N)

/* Reads argv[1..argc-1]: an argument that does not start with "--" (or
 * any after "--" with ZW_CTL_DASH_DASH) is positional; --help prints the usage;
 * an option is offered to conn, then looked up in opts; an option that
 * takes a value takes the next argument. Returns 0, 1 when --help was
 * shown, or 2 after printing "WHO: ..." for too many arguments, an
 * unknown option, a missing value, a repeatable option given more than
 * max times, or a number out of range ("WHO: --N: expected a whole number
 * from MIN to MAX, got 'V'"). What was taken before an error stays. */
int zw_ctl_parse(const zw_ctl_parser_t *p, int argc, char **argv);

#endif
