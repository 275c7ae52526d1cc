/* Defaults zwfwctl subcommands share. */
#ifndef ZWFWCTL_COMMON_OPTS_H
#define ZWFWCTL_COMMON_OPTS_H

/* $ZWFW_DB, else the local stack's database (deploy/zwfw). Static. */
const char *zw_ctl_default_db(void);

#endif
