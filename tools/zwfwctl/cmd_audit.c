/* zwfwctl audit: checks the hash-chained audit log (common/audit.h). */
#include "cmds.h"
#include "common_opts.h"

#include "audit.h"
#include "db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_usage(FILE *out)
{
    fprintf(out, "usage: zwfwctl audit verify [--db CONNINFO] [--anchor SEQ:HASH]\n"
                 "       zwfwctl audit chain  [--db CONNINFO]\n"
                 "verify walks the chain from seq 1 and prints 'ok: N rows' (exit 0), or\n"
                 "names the first row that does not match and what is wrong (exit 1).\n"
                 "--anchor checks that row SEQ still has HASH, a head printed by an earlier\n"
                 "verify and kept outside the database (catches a rewritten chain).\n"
                 "chain links entries still pending (daemons normally do it).\n"
                 "CONNINFO defaults to $ZWFW_DB, else the local stack's database.\n");
}

/* "SEQ:HASH" with SEQ > 0 and HASH 64 lowercase hex digits. */
static int s_parse_anchor(const char *text, int64_t *seq, char *hash)
{
    char *end;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (errno || end == text || *end != ':' || n <= 0 || strlen(end + 1) != ZW_AUDIT_HASH_LEN)
        return -1;
    for (const char *p = end + 1; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return -1;
    *seq = n;
    memcpy(hash, end + 1, ZW_AUDIT_HASH_LEN + 1);
    return 0;
}

static int s_verify(zw_db_t *db, int64_t anchor_seq, const char *anchor_hash)
{
    zw_audit_report_t rep;
    zw_err_t err;
    if (zw_audit_verify(db, anchor_seq, anchor_hash, &rep, &err) != 0) {
        fprintf(stderr, "zwfwctl audit verify: %s: %s\n", zw_code_name(err.code), err.message);
        return 1;
    }
    if (!rep.ok) {
        printf("bad: seq %lld: %s\n", (long long) rep.bad_seq, rep.problem);
        printf("rows before it that check out: %lld\n", (long long) rep.rows);
        return 1;
    }
    printf("ok: %lld rows\n", (long long) rep.rows);
    printf("head: %lld:%s\n", (long long) rep.head_seq, rep.head_hash);
    if (rep.pending > 0)
        printf("pending: %lld entries not chained yet\n", (long long) rep.pending);
    return 0;
}

static int s_chain(zw_db_t *db)
{
    size_t total = 0, chained = 0;
    zw_err_t err;
    do {
        if (zw_audit_chain(db, 0, &chained, &err) != 0) {
            fprintf(stderr, "zwfwctl audit chain: %s: %s\n", zw_code_name(err.code), err.message);
            return 1;
        }
        total += chained;
    } while (chained > 0);
    printf("chained: %zu entries\n", total);
    return 0;
}

int zw_cmd_audit(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        s_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "verify") != 0 && strcmp(sub, "chain") != 0) {
        fprintf(stderr, "zwfwctl audit: unknown subcommand '%s'\n", sub);
        s_usage(stderr);
        return 2;
    }
    const char *conninfo = zw_ctl_default_db();
    int64_t anchor_seq = 0;
    char anchor_hash[ZW_AUDIT_HASH_LEN + 1] = "";
    for (int i = 2; i < argc; i++) {
        if (zw_ctl_db_option(argc, argv, &i, &conninfo))
            continue;
        if (strcmp(argv[i], "--anchor") == 0 && i + 1 < argc && strcmp(sub, "verify") == 0) {
            if (s_parse_anchor(argv[++i], &anchor_seq, anchor_hash) != 0) {
                fprintf(stderr,
                        "zwfwctl audit verify: --anchor: expected SEQ:HASH (64 hex "
                        "digits), got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "zwfwctl audit: unexpected argument '%s'\n", argv[i]);
            s_usage(stderr);
            return 2;
        }
    }
    zw_db_t *db = zw_ctl_db_open(conninfo, "zwfwctl audit");
    if (!db)
        return 1;
    int rc = strcmp(sub, "verify") == 0 ? s_verify(db, anchor_seq, anchor_seq ? anchor_hash : NULL)
                                        : s_chain(db);
    zw_db_destroy(&db);
    return rc;
}
