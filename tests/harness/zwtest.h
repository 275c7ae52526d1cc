/* Helpers shared by zwfw's tests. Not part of libzwfw. */
#ifndef ZWTEST_H
#define ZWTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "db.h"

/* The test cluster's connection string (from $ZWFW_TEST_PG, else the file
 * the pg fixture wrote). Returns a static string; NULL if there is none. */
const char *zwt_pg_conninfo(void);

/* Creates (dropping any old one) database `name` on the test cluster and
 * returns a malloc'd connection string for it; the caller frees it. Each
 * test uses its own database so tests may run in parallel. */
char *zwt_pg_fresh_db(const char *name);

/* The first column of the first row of sql as a number; fails the test
 * (naming sql) when the query fails. */
long zwt_db_long(zw_db_t *db, const char *sql);

/* Runs sql (one or more statements); fails the test when it fails. */
void zwt_db_run(zw_db_t *db, const char *sql);

/* Path of a file in the source tree; returns a static buffer. */
const char *zwt_src_path(const char *rel);

/* Path of a built executable in build/bin; returns a static buffer. */
const char *zwt_bin_path(const char *name);

#endif
