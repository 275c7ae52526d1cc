/* Helpers shared by zwfw's tests. Not part of libzwfw. */
#ifndef ZWTEST_H
#define ZWTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/types.h>
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

/* ---- a folder for a group's files -----------------------------------------------------------
 * cmocka group setup and teardown: zwt_tmp_setup makes a fresh folder
 * $TMPDIR/zwfw-test.XXXXXX (TMPDIR unset: /tmp), zwt_tmp_teardown removes
 * it with everything in it. Each returns 0, or -1 after saying why. One
 * folder per process. */
int zwt_tmp_setup(void **state);
int zwt_tmp_teardown(void **state);

/* The folder zwt_tmp_setup made; "" outside setup and teardown. */
const char *zwt_tmp_dir(void);

/* FOLDER/name in that folder: a static buffer, one of 4 used in turn, so
 * that up to 4 paths may be held at once. */
const char *zwt_tmp_path(const char *name);

/* Writes text to path (created or emptied), then gives it mode; fails the
 * test when it cannot. */
void zwt_write_file(const char *path, const char *text, mode_t mode);

/* One entry of a key registry (JSON: name, public_key, role, region
 * 500152, then extra, e.g. `, "department": "d1"`, as is) in buf (sz
 * bytes, cut short when smaller); returns buf. */
const char *zwt_key_entry(char *buf, size_t sz, const char *name, const char *key, const char *role,
                          const char *extra);

#endif
