#include "clock.h"

#include "date.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct zw_clock {
    zw_db_t *db; /* NULL for a real clock */
};

zw_clock_t *zw_clock_new_real(void)
{
    return calloc(1, sizeof(zw_clock_t));
}

zw_clock_t *zw_clock_new_sim(zw_db_t *db)
{
    if (!db)
        return NULL;
    zw_clock_t *self = calloc(1, sizeof *self);
    if (self)
        self->db = db;
    return self;
}

void zw_clock_destroy(zw_clock_t **self_p)
{
    if (self_p && *self_p) {
        free(*self_p);
        *self_p = NULL;
    }
}

bool zw_clock_is_sim(const zw_clock_t *self)
{
    return self->db != NULL;
}

static int64_t s_clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t) ts.tv_sec * ZW_US_PER_SEC + ts.tv_nsec / 1000;
}

int64_t zw_mono_ms(void)
{
    return s_clock_us(CLOCK_MONOTONIC) / 1000;
}

int64_t zw_mono_us(void)
{
    return s_clock_us(CLOCK_MONOTONIC);
}

int64_t zw_wall_us(void)
{
    return s_clock_us(CLOCK_REALTIME);
}

int zw_clock_now(zw_clock_t *self, int64_t *now_us, zw_err_t *err)
{
    if (!self->db) {
        *now_us = zw_wall_us();
        return 0;
    }
    /* prepared: read by every request of a simulated deployment */
    if (zw_db_prepare(self->db, "zw_sim_clock_now",
                      "SELECT now_us FROM common.sim_clock WHERE id = 1", 0, err) != 0)
        return -1;
    PGresult *res = zw_db_exec(self->db, "zw_sim_clock_now", 0, NULL, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return zw_err_set(err, ZW_FAILED_PRECONDITION,
                          "the simulated clock has not been set; set it with `zwfwctl clock set`");
    }
    *now_us = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return 0;
}

int zw_clock_set(zw_clock_t *self, int64_t to_us, int64_t *now_us, zw_err_t *err)
{
    if (!self->db)
        return zw_err_set(err, ZW_FAILED_PRECONDITION, "this deployment runs on real time");
    char to[24];
    snprintf(to, sizeof to, "%lld", (long long) to_us);
    const char *params[] = {to};
    /* One statement, so two operators advancing at once cannot move it back. */
    PGresult *res = zw_db_query(self->db,
                                "INSERT INTO common.sim_clock (id, now_us) VALUES (1, $1::bigint)"
                                " ON CONFLICT (id) DO UPDATE SET now_us = EXCLUDED.now_us,"
                                " updated_at = clock_timestamp()"
                                " WHERE common.sim_clock.now_us <= EXCLUDED.now_us"
                                " RETURNING now_us",
                                1, params, err);
    if (!res)
        return -1;
    int moved = PQntuples(res);
    PQclear(res);
    if (!moved) {
        int64_t cur = 0;
        char a[48], b[48];
        if (zw_clock_now(self, &cur, NULL) != 0)
            cur = 0;
        return zw_err_set(err, ZW_FAILED_PRECONDITION,
                          "the simulated clock only moves forward: it shows %s, asked for %s",
                          zw_time_format(cur, a, sizeof a), zw_time_format(to_us, b, sizeof b));
    }
    if (now_us)
        *now_us = to_us;
    return 0;
}

static int64_t s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

char *zw_time_format(int64_t us, char *out, size_t outsz)
{
    int64_t local = s_floor_div(us, ZW_US_PER_SEC) + ZW_TZ_OFFSET_SEC;
    int64_t frac = us - s_floor_div(us, ZW_US_PER_SEC) * ZW_US_PER_SEC;
    int64_t days = s_floor_div(local, 86400);
    int64_t secs = local - days * 86400;
    int y, m, d;
    zw_date_t civil = zw_date_from_days(days);
    y = civil.year;
    m = civil.month;
    d = civil.day;
    if (frac)
        snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+08:00", y, m, d,
                 (int) (secs / 3600), (int) (secs / 60 % 60), (int) (secs % 60), (long long) frac);
    else
        snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", y, m, d, (int) (secs / 3600),
                 (int) (secs / 60 % 60), (int) (secs % 60));
    return out;
}

static int s_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9')
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int zw_time_parse(const char *text, int64_t *us, zw_err_t *err)
{
    const char *p = text ? text : "";
    int y, mo, d, h = 0, mi = 0, s = 0;
    int64_t frac_us = 0;
    int offset = ZW_TZ_OFFSET_SEC;
    if (s_digits(&p, 4, &y) || *p++ != '-' || s_digits(&p, 2, &mo) || *p++ != '-' ||
        s_digits(&p, 2, &d))
        goto bad;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (s_digits(&p, 2, &h) || *p++ != ':' || s_digits(&p, 2, &mi))
            goto bad;
        if (*p == ':') {
            p++;
            if (s_digits(&p, 2, &s))
                goto bad;
            if (*p == '.') {
                p++;
                int64_t scale = 100000;
                if (*p < '0' || *p > '9')
                    goto bad;
                while (*p >= '0' && *p <= '9') {
                    frac_us += (*p - '0') * scale;
                    scale /= 10;
                    p++;
                }
            }
        }
        if (*p == 'Z' || *p == 'z') {
            offset = 0;
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om;
            p++;
            if (s_digits(&p, 2, &oh) || *p++ != ':' || s_digits(&p, 2, &om) || oh > 23 || om > 59)
                goto bad;
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    if (*p != '\0')
        goto bad;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
        h > 23 || mi > 59 || s > 60)
        goto bad;
    int64_t secs = zw_date_to_days((zw_date_t){y, mo, d}) * 86400 + h * 3600 + mi * 60 + s - offset;
    *us = secs * ZW_US_PER_SEC + frac_us;
    return 0;
bad:
    return zw_err_set(err, ZW_INVALID_ARGUMENT,
                      "bad time \"%s\": expected RFC 3339, e.g. 2020-09-25T14:00:00+08:00",
                      text ? text : "");
}
