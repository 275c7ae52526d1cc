/* zw_conninfo: libpq connection strings, made safe to show.
 *
 * Split from config so that any module printing a connection string (the
 * config dump, start-up logs, error messages) masks it the same way. */
#ifndef ZW_CONNINFO_H
#define ZW_CONNINFO_H

/* Returns a malloc'd copy of `conninfo` (the caller frees it) with every
 * password replaced by "***", keeping the rest byte for byte:
 *   key=value form   "host=db password='x y' port=5432"
 *                    -> "host=db password=*** port=5432"
 *                    (values may be single-quoted with backslash escapes,
 *                    spaces around '=' are allowed, as libpq accepts);
 *   URI form         "postgresql://u:secret@h/db?password=x&sslmode=require"
 *                    -> "postgresql://u:***@h/db?password=***&sslmode=require".
 * A key=value string that does not parse is returned as "***" entirely: it
 * might still hold a password. NULL in, or out of memory: NULL. */
char *zw_conninfo_mask(const char *conninfo);

#endif
