/* Where zwfw finds the files it ships (SQL migrations, calendar, regions,
 * catalogs): $ZWFW_SOURCE_DIR if set, else the source tree it was built
 * from. Returns a static string. */
#ifndef ZW_PATHS_H
#define ZW_PATHS_H

const char *zw_source_dir(void);

#endif
