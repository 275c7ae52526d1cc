/* zwfwctl db: schema migrations against the deployment's database. */
#include "cmds.h"
#include "common_opts.h"

#include "db.h"
#include "paths.h"

#include <stdio.h>
#include <string.h>

static void s_usage(FILE *out)
{
    fprintf(out, "usage: zwfwctl db migrate [--db CONNINFO] [--source-dir DIR]\n"
                 "       zwfwctl db status  [--db CONNINFO]\n"
                 "CONNINFO defaults to $ZWFW_DB, else the local stack's database.\n");
}

int zw_cmd_db(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        s_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    const char *conninfo = zw_ctl_default_db();
    const char *source = zw_source_dir();
    for (int i = 2; i < argc; i++) {
        if (zw_ctl_db_option(argc, argv, &i, &conninfo))
            continue;
        if (strcmp(argv[i], "--source-dir") == 0 && i + 1 < argc)
            source = argv[++i];
        else {
            fprintf(stderr, "zwfwctl db: unexpected argument '%s'\n", argv[i]);
            s_usage(stderr);
            return 2;
        }
    }
    if (strcmp(sub, "migrate") != 0 && strcmp(sub, "status") != 0) {
        fprintf(stderr, "zwfwctl db: unknown subcommand '%s'\n", sub);
        s_usage(stderr);
        return 2;
    }
    zw_db_t *db = zw_ctl_db_open(conninfo, "zwfwctl db");
    if (!db)
        return 1;
    zw_err_t err;
    int rc = 0;
    if (strcmp(sub, "migrate") == 0) {
        int applied = 0;
        if (zw_db_migrate_all(db, source, &applied, &err) != 0) {
            fprintf(stderr, "zwfwctl db migrate: %s: %s\n", zw_code_name(err.code), err.message);
            rc = 1;
        } else {
            printf("migrations applied: %d\n", applied);
        }
    } else {
        PGresult *res = zw_db_query(db,
                                    "SELECT owner, version, name, applied_at FROM "
                                    "public.zwfw_migrations ORDER BY owner, version",
                                    0, NULL, &err);
        if (!res) {
            fprintf(stderr, "zwfwctl db status: %s\n", err.message);
            rc = 1;
        } else {
            for (int r = 0; r < PQntuples(res); r++)
                printf("%-10s %4s %-40s %s\n", PQgetvalue(res, r, 0), PQgetvalue(res, r, 1),
                       PQgetvalue(res, r, 2), PQgetvalue(res, r, 3));
            PQclear(res);
        }
    }
    zw_db_destroy(&db);
    return rc;
}
