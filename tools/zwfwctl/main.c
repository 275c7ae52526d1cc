/* zwfwctl: the operator CLI. main() only dispatches; each subcommand lives
 * in its own cmd_*.c file. */
#include "cmds.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} s_command_t;

static const s_command_t s_commands[] = {
    {"calendar", zw_cmd_calendar, "working-day arithmetic: due, workdays, is-workday"},
    {"validate", zw_cmd_validate, "check an ID number, credit code or division code"},
    {"db", zw_cmd_db, "database: migrate, status"},
    {"call", zw_cmd_call, "send any request as JSON to a service, print the reply"},
    {"status", zw_cmd_status, "which services are up, with their health"},
    {"audit", zw_cmd_audit, "audit log: verify the hash chain"},
    {"keygen", zw_cmd_keygen, "make a CURVE key pair (NAME.secret, NAME.key)"},
    {"catalog", zw_cmd_catalog, "service items: load, get, list, cancel, restore"},
    {"clock", zw_cmd_clock, "business time: show; set, advance (simulated deployments)"},
    {"intake", zw_cmd_intake, "applications: submit, get, list, supplement, withdraw, credit"},
    {"workflow", zw_cmd_workflow, "approval processes: get, act, list, scan, alarms, definitions"},
    {"report", zw_cmd_report, "supervision reports: a day, week, month, quarter or year"},
    {"xregion", zw_cmd_xregion, "cross-region: partners, link key, exchanges, message log"},
};

#define S_NCOMMANDS (sizeof s_commands / sizeof s_commands[0])

static void s_usage(FILE *out)
{
    fprintf(out, "usage: zwfwctl COMMAND [ARGS]   (zwfwctl COMMAND --help for more)\n\ncommands:\n");
    for (size_t i = 0; i < S_NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", s_commands[i].name, s_commands[i].help);
    fprintf(out, "  %-10s %s\n", "version", "print the version");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        s_usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("zwfwctl %s\n", ZWFW_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        s_usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < S_NCOMMANDS; i++)
        if (strcmp(cmd, s_commands[i].name) == 0)
            return s_commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "zwfwctl: unknown command '%s'\n", cmd);
    s_usage(stderr);
    return 2;
}
