/* zwfwctl subcommands. Each takes the arguments after its own name
 * (argv[0] is the subcommand name) and returns the process exit code:
 * 0 success, 1 the operation failed (message on stderr), 2 bad usage. */
#ifndef ZWFWCTL_CMDS_H
#define ZWFWCTL_CMDS_H

int zw_cmd_calendar(int argc, char **argv);
int zw_cmd_validate(int argc, char **argv);
int zw_cmd_db(int argc, char **argv);
int zw_cmd_call(int argc, char **argv);
int zw_cmd_status(int argc, char **argv);
int zw_cmd_audit(int argc, char **argv);
int zw_cmd_keygen(int argc, char **argv);
int zw_cmd_catalog(int argc, char **argv);
int zw_cmd_clock(int argc, char **argv);
int zw_cmd_intake(int argc, char **argv);
int zw_cmd_workflow(int argc, char **argv);
int zw_cmd_report(int argc, char **argv);
int zw_cmd_xregion(int argc, char **argv);

#endif
