#include "workhours.h"

#include <stdio.h>
#include <string.h>

void zw_workhours_default(zw_workhours_t *hours)
{
    memset(hours, 0, sizeof *hours);
    hours->count = 2;
    hours->span[0].start = 9 * 60;
    hours->span[0].end = 12 * 60;
    hours->span[1].start = 13 * 60 + 30;
    hours->span[1].end = 17 * 60 + 30;
}

static int s_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static const char *s_skip_blanks(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* "HH:MM" at *s → minutes; advances *s. 24:00 is allowed (an end). */
static int s_hhmm(const char **s)
{
    const char *p = *s;
    if (strnlen(p, 5) < 5 || p[2] != ':')
        return -1;
    int h = s_digits(p, 2), m = s_digits(p + 3, 2);
    if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    *s = p + 5;
    return h * 60 + m;
}

int zw_workhours_parse(const char *text, zw_workhours_t *hours, zw_err_t *err)
{
    zw_workhours_t wh;
    memset(&wh, 0, sizeof wh);
    const char *shown = text ? text : "";
    const char *p = shown;
    for (;;) {
        if (wh.count == ZW_WORKHOURS_MAX)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, "working_hours",
                               "working hours '%s': at most %d intervals", shown, ZW_WORKHOURS_MAX);
        p = s_skip_blanks(p);
        int start = s_hhmm(&p);
        int end = -1;
        if (start >= 0 && *p == '-') {
            p++;
            end = s_hhmm(&p);
        }
        p = s_skip_blanks(p);
        if (start < 0 || end < 0 || (*p != ',' && *p != '\0'))
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, "working_hours",
                               "working hours '%s': expected HH:MM-HH:MM[,HH:MM-HH:MM...]", shown);
        if (start >= end || (wh.count > 0 && start < wh.span[wh.count - 1].end))
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, "working_hours",
                               "working hours '%s': intervals must be non-empty, ascending "
                               "and not overlapping",
                               shown);
        wh.span[wh.count].start = start;
        wh.span[wh.count].end = end;
        wh.count++;
        if (*p == '\0')
            break;
        p++;
    }
    *hours = wh;
    return 0;
}

char *zw_workhours_format(const zw_workhours_t *hours, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (int i = 0; i < hours->count && used < size; i++) {
        int n = snprintf(buf + used, size - used, "%s%02d:%02d-%02d:%02d", i ? "," : "",
                         hours->span[i].start / 60, hours->span[i].start % 60,
                         hours->span[i].end / 60, hours->span[i].end % 60);
        if (n < 0)
            break;
        used += (size_t) n;
    }
    return buf;
}

int zw_workhours_minutes_per_day(const zw_workhours_t *hours)
{
    int total = 0;
    for (int i = 0; i < hours->count; i++)
        total += hours->span[i].end - hours->span[i].start;
    return total;
}
