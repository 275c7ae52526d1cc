#include "calendar.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ZWFW_SOURCE_DIR
#define ZWFW_SOURCE_DIR "."
#endif

#define S_DAY_SECONDS 86400
/* A calendar file is a few kilobytes a year; anything this big is a mistake. */
#define S_MAX_FILE (4 * 1024 * 1024)

/* One loaded year, precomputed so that every question is a table lookup:
 * work[] says whether each day of the year is a working day, and cum[i]
 * counts the working days among its first i days. */
typedef struct {
    int year;
    int ndays;
    int64_t day0; /* days since 1970-01-01 of January 1 */
    char *source;
    uint8_t work[366];
    uint16_t cum[367];
} s_year_t;

struct zw_calendar {
    int first, last;
    s_year_t **by_year; /* [year - first]; NULL where a year is missing */
    s_year_t *years;
    int nyears;
};

/* Moment of local midnight starting day `days` (days since 1970-01-01). */
static int64_t s_day_start(int64_t days)
{
    return days * S_DAY_SECONDS - ZW_LOCAL_UTC_OFFSET;
}

/* ---- loading ----------------------------------------------------------- */

enum { S_NONE = 0, S_OFF = 1, S_WORK = 2 };

/* Marks one "off" or "work" day, refusing repeats and contradictions. */
static int s_mark(uint8_t *state, const s_year_t *y, zw_date_t d, int what, const char *where,
                  const char *detail, zw_err_t *err)
{
    char ds[ZW_DATE_STRLEN];
    int doy = (int) (zw_date_to_days(d) - y->day0);
    if (state[doy] == what)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, detail,
                           "calendar year %d: %s: %s listed twice", y->year, where,
                           zw_date_format(d, ds));
    if (state[doy] != S_NONE)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, detail,
                           "calendar year %d: %s: %s is both off and a working day", y->year, where,
                           zw_date_format(d, ds));
    state[doy] = (uint8_t) what;
    return 0;
}

/* Reads one entry of "off" ("YYYY-MM-DD" or "YYYY-MM-DD..YYYY-MM-DD") or of
 * "work" (a single weekend date) into state[]. */
static int s_load_day(uint8_t *state, const s_year_t *y, const cJSON *item, int what, int yi, int k,
                      zw_err_t *err)
{
    const char *list = what == S_OFF ? "off" : "work";
    char detail[64], where[48];
    snprintf(detail, sizeof detail, "years[%d].%s[%d]", yi, list, k);
    snprintf(where, sizeof where, "%s[%d]", list, k);
    const char *s = cJSON_GetStringValue(item);
    if (!s)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, detail,
                           "calendar year %d: %s: expected a date string", y->year, where);
    zw_date_t a, b;
    char first[ZW_DATE_STRLEN] = "";
    size_t len = strlen(s);
    bool ok = len == 10 || (what == S_OFF && len == 22 && strncmp(s + 10, "..", 2) == 0);
    if (ok) {
        memcpy(first, s, 10);
        ok = zw_date_parse(first, &a, NULL) == 0 &&
             zw_date_parse(len == 10 ? first : s + 12, &b, NULL) == 0;
    }
    if (!ok)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, detail,
                           "calendar year %d: %s '%s': expected YYYY-MM-DD%s", y->year, where, s,
                           what == S_OFF ? " or YYYY-MM-DD..YYYY-MM-DD" : "");
    if (a.year != y->year || b.year != y->year)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, detail,
                           "calendar year %d: %s '%s' is outside the year", y->year, where, s);
    if (zw_date_cmp(a, b) > 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, detail,
                           "calendar year %d: %s '%s': range ends before it starts", y->year, where,
                           s);
    /* 调休 only ever turns a weekend into a working day; a weekday here is a
     * typo that would otherwise go unnoticed. */
    if (what == S_WORK && zw_date_weekday(a) < 6)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, detail,
                           "calendar year %d: %s '%s' is a weekday, not a weekend", y->year, where,
                           s);
    for (int64_t d = zw_date_to_days(a); d <= zw_date_to_days(b); d++)
        if (s_mark(state, y, zw_date_from_days(d), what, where, detail, err))
            return -1;
    return 0;
}

static int s_load_list(uint8_t *state, const s_year_t *y, const cJSON *entry, int what, int yi,
                       zw_err_t *err)
{
    const char *name = what == S_OFF ? "off" : "work";
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(entry, name);
    char detail[32];
    snprintf(detail, sizeof detail, "years[%d].%s", yi, name);
    if (!cJSON_IsArray(list))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, detail,
                           "calendar year %d (years[%d]): \"%s\" must be an array of dates",
                           y->year, yi, name);
    int k = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        if (s_load_day(state, y, item, what, yi, k++, err))
            return -1;
    }
    return 0;
}

static int s_load_year(s_year_t *y, const cJSON *entry, int yi, zw_err_t *err)
{
    char detail[32];
    snprintf(detail, sizeof detail, "years[%d]", yi);
    if (!cJSON_IsObject(entry))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, detail, "calendar: %s is not an object",
                           detail);
    const cJSON *item;
    cJSON_ArrayForEach(item, entry)
    {
        static const char *known[] = {"year", "source", "note", "off", "work"};
        bool found = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            found = found || strcmp(item->string, known[i]) == 0;
        if (!found)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, detail, "calendar: %s: unknown key '%s'",
                               detail, item->string);
    }
    const cJSON *year = cJSON_GetObjectItemCaseSensitive(entry, "year");
    double yv = cJSON_IsNumber(year) ? year->valuedouble : 0;
    if (!cJSON_IsNumber(year) || !(yv >= 1 && yv <= 9999) || yv != (int) yv)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, detail,
                           "calendar: %s: \"year\" must be an integer 1..9999", detail);
    y->year = (int) yv;
    y->day0 = zw_date_to_days((zw_date_t){y->year, 1, 1});
    y->ndays =
        y->year == 9999 ? 365 : (int) (zw_date_to_days((zw_date_t){y->year + 1, 1, 1}) - y->day0);

    const char *source = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, "source"));
    if (!source || !*source)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, detail,
                           "calendar year %d (%s): \"source\" must name the State Council notice",
                           y->year, detail);
    const cJSON *note = cJSON_GetObjectItemCaseSensitive(entry, "note");
    if (note && !cJSON_IsString(note))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, detail,
                           "calendar year %d (%s): \"note\" must be a string", y->year, detail);

    uint8_t state[366] = {0};
    if (s_load_list(state, y, entry, S_OFF, yi, err) ||
        s_load_list(state, y, entry, S_WORK, yi, err))
        return -1;
    y->cum[0] = 0;
    for (int i = 0; i < y->ndays; i++) {
        bool weekday = zw_date_weekday(zw_date_from_days(y->day0 + i)) <= 5;
        y->work[i] = state[i] == S_WORK || (weekday && state[i] != S_OFF);
        y->cum[i + 1] = (uint16_t) (y->cum[i] + y->work[i]);
    }
    y->source = strdup(source);
    if (!y->source)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "calendar: out of memory");
    return 0;
}

zw_calendar_t *zw_calendar_parse(const char *json, size_t len, zw_err_t *err)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "json", "calendar: not valid JSON");
        return NULL;
    }
    zw_calendar_t *self = calloc(1, sizeof *self);
    const cJSON *years = cJSON_GetObjectItemCaseSensitive(root, "years");
    int n = cJSON_GetArraySize(years);
    if (!self) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "calendar: out of memory");
        goto fail;
    }
    if (!cJSON_IsObject(root) || !cJSON_IsArray(years) || n == 0) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "years",
                    "calendar: expected {\"years\": [...]} with at least one year");
        goto fail;
    }
    self->years = calloc((size_t) n, sizeof *self->years);
    if (!self->years) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "calendar: out of memory");
        goto fail;
    }
    const cJSON *entry;
    cJSON_ArrayForEach(entry, years)
    {
        int i = self->nyears;
        if (s_load_year(&self->years[i], entry, i, err)) {
            free(self->years[i].source);
            goto fail;
        }
        self->nyears++;
        for (int j = 0; j < i; j++)
            if (self->years[j].year == self->years[i].year) {
                zw_err_setd(err, ZW_INVALID_ARGUMENT, "year",
                            "calendar: years[%d]: year %d is already listed in years[%d]", i,
                            self->years[i].year, j);
                goto fail;
            }
    }
    self->first = self->last = self->years[0].year;
    for (int i = 1; i < n; i++) {
        if (self->years[i].year < self->first)
            self->first = self->years[i].year;
        if (self->years[i].year > self->last)
            self->last = self->years[i].year;
    }
    self->by_year = calloc((size_t) (self->last - self->first + 1), sizeof *self->by_year);
    if (!self->by_year) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "calendar: out of memory");
        goto fail;
    }
    for (int i = 0; i < n; i++)
        self->by_year[self->years[i].year - self->first] = &self->years[i];
    cJSON_Delete(root);
    return self;
fail:
    cJSON_Delete(root);
    zw_calendar_destroy(&self);
    return NULL;
}

zw_calendar_t *zw_calendar_load(const char *path, zw_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        zw_err_setd(err, ZW_NOT_FOUND, "path", "calendar %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(S_MAX_FILE + 1);
    size_t len = buf ? fread(buf, 1, S_MAX_FILE + 1, f) : 0;
    bool bad = ferror(f);
    fclose(f);
    zw_calendar_t *self = NULL;
    if (!buf)
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "calendar %s: out of memory", path);
    else if (bad)
        zw_err_setd(err, ZW_NOT_FOUND, "path", "calendar %s: read error", path);
    else if (len > S_MAX_FILE)
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "path", "calendar %s: larger than %d bytes", path,
                    S_MAX_FILE);
    else if (!(self = zw_calendar_parse(buf, len, err)) && err) {
        /* Say which file, keeping the entry that was named. */
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err->message);
        snprintf(err->message, sizeof err->message, "%s: %.200s", path, msg);
    }
    free(buf);
    return self;
}

void zw_calendar_destroy(zw_calendar_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_calendar_t *self = *self_p;
    for (int i = 0; i < self->nyears; i++)
        free(self->years[i].source);
    free(self->years);
    free(self->by_year);
    free(self);
    *self_p = NULL;
}

const char *zw_calendar_default_path(void)
{
    const char *env = getenv("ZWFW_CALENDAR");
    return env && *env ? env : ZWFW_SOURCE_DIR "/deploy/calendar/cn.json";
}

/* ---- lookups ----------------------------------------------------------- */

int zw_calendar_first_year(const zw_calendar_t *self)
{
    return self->first;
}

int zw_calendar_last_year(const zw_calendar_t *self)
{
    return self->last;
}

static const s_year_t *s_year(const zw_calendar_t *self, int year)
{
    if (year < self->first || year > self->last)
        return NULL;
    return self->by_year[year - self->first];
}

bool zw_calendar_has_year(const zw_calendar_t *self, int year)
{
    return s_year(self, year) != NULL;
}

const char *zw_calendar_source(const zw_calendar_t *self, int year)
{
    const s_year_t *y = s_year(self, year);
    return y ? y->source : NULL;
}

static int s_out_of_range(const zw_calendar_t *self, zw_date_t d, zw_err_t *err)
{
    char ds[ZW_DATE_STRLEN], years[96] = "";
    size_t used = 0;
    int y = self->first;
    for (; y <= self->last && used < sizeof years - 8; y++)
        if (self->by_year[y - self->first])
            used +=
                (size_t) snprintf(years + used, sizeof years - used, "%s%d", used ? ", " : "", y);
    if (y <= self->last)
        snprintf(years + used, sizeof years - used, ", ...");
    return zw_err_setd(err, ZW_OUT_OF_RANGE, "date",
                       "%s is outside the working-day calendar (year %d is not loaded; loaded: %s)",
                       zw_date_format(d, ds), d.year, years);
}

/* A position in the calendar: a loaded year and a day of that year. */
typedef struct {
    const s_year_t *y;
    int doy;
} s_pos_t;

static int s_pos(const zw_calendar_t *self, zw_date_t d, s_pos_t *pos, zw_err_t *err)
{
    if (!zw_date_valid(d))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "date", "invalid date %04d-%02d-%02d", d.year,
                           d.month, d.day);
    pos->y = s_year(self, d.year);
    if (!pos->y)
        return s_out_of_range(self, d, err);
    pos->doy = (int) (zw_date_to_days(d) - pos->y->day0);
    return 0;
}

/* Moves to the next day; walking into a year that is not loaded fails. */
static int s_pos_next(const zw_calendar_t *self, s_pos_t *pos, zw_err_t *err)
{
    if (++pos->doy < pos->y->ndays)
        return 0;
    int year = pos->y->year + 1;
    pos->y = s_year(self, year);
    pos->doy = 0;
    return pos->y ? 0 : s_out_of_range(self, (zw_date_t){year, 1, 1}, err);
}

static int64_t s_pos_days(s_pos_t pos)
{
    return pos.y->day0 + pos.doy;
}

int zw_calendar_is_workday(const zw_calendar_t *self, zw_date_t date, bool *workday, zw_err_t *err)
{
    s_pos_t p = {0};
    if (s_pos(self, date, &p, err))
        return -1;
    *workday = p.y->work[p.doy];
    return 0;
}

int zw_calendar_add_workdays(const zw_calendar_t *self, zw_date_t from, int n, zw_date_t *out,
                             zw_err_t *err)
{
    s_pos_t p = {0};
    if (s_pos(self, from, &p, err))
        return -1;
    if (n < 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "n", "working days to add must be >= 0");
    if (n == 0) {
        *out = from;
        return 0;
    }
    /* Skip whole years with the per-year totals, then binary-search the
     * running count for the day that completes n. */
    int remaining = n;
    int avail = p.y->cum[p.y->ndays] - p.y->cum[p.doy + 1];
    while (remaining > avail) {
        remaining -= avail;
        int year = p.y->year + 1;
        p.y = s_year(self, year);
        if (!p.y)
            return s_out_of_range(self, (zw_date_t){year, 1, 1}, err);
        p.doy = -1;
        avail = p.y->cum[p.y->ndays];
    }
    int target = p.y->cum[p.doy + 1] + remaining;
    int lo = p.doy + 2, hi = p.y->ndays; /* first i in [lo, hi] with cum[i] >= target */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (p.y->cum[mid] >= target)
            hi = mid;
        else
            lo = mid + 1;
    }
    *out = zw_date_from_days(p.y->day0 + lo - 1);
    return 0;
}

int zw_calendar_workdays_between(const zw_calendar_t *self, zw_date_t a, zw_date_t b, int *count,
                                 zw_err_t *err)
{
    s_pos_t pa, pb;
    if (s_pos(self, a, &pa, err) || s_pos(self, b, &pb, err))
        return -1;
    int sign = 1;
    if (zw_date_cmp(a, b) > 0) {
        s_pos_t t = pa;
        pa = pb;
        pb = t;
        sign = -1;
    }
    int total;
    if (pa.y == pb.y) {
        total = pb.y->cum[pb.doy + 1] - pa.y->cum[pa.doy + 1];
    } else {
        total = pa.y->cum[pa.y->ndays] - pa.y->cum[pa.doy + 1] + pb.y->cum[pb.doy + 1];
        for (int year = pa.y->year + 1; year < pb.y->year; year++) {
            const s_year_t *y = s_year(self, year);
            if (!y)
                return s_out_of_range(self, (zw_date_t){year, 1, 1}, err);
            total += y->cum[y->ndays];
        }
    }
    *count = sign * total;
    return 0;
}

/* ---- legal clocks ------------------------------------------------------ */

/* Pauses sorted by start and merged into disjoint intervals, so that time
 * covered by overlapping pauses is taken out once. */
typedef struct {
    zw_interval_t *v;
    size_t n;
    zw_interval_t local[16];
} s_pauses_t;

static int s_interval_cmp(const void *a, const void *b)
{
    const zw_interval_t *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int s_pauses_init(s_pauses_t *p, const zw_interval_t *in, size_t n, zw_err_t *err)
{
    p->v = p->local;
    p->n = 0;
    if (n > sizeof p->local / sizeof p->local[0]) {
        p->v = malloc(n * sizeof *p->v);
        if (!p->v)
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory for %zu pauses", n);
    }
    for (size_t i = 0; i < n; i++) {
        if (in[i].end < in[i].start) {
            if (p->v != p->local)
                free(p->v);
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, "pauses",
                               "pause %zu ends before it starts", i);
        }
        if (in[i].end > in[i].start)
            p->v[p->n++] = in[i];
    }
    qsort(p->v, p->n, sizeof *p->v, s_interval_cmp);
    size_t out = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (out > 0 && p->v[i].start <= p->v[out - 1].end) {
            if (p->v[i].end > p->v[out - 1].end)
                p->v[out - 1].end = p->v[i].end;
        } else {
            p->v[out++] = p->v[i];
        }
    }
    p->n = out;
    return 0;
}

static void s_pauses_fini(s_pauses_t *p)
{
    if (p->v != p->local)
        free(p->v);
}

static const zw_workhours_t *s_hours(const zw_workhours_t *hours, zw_workhours_t *def,
                                     zw_err_t *err)
{
    if (!hours) {
        zw_workhours_default(def);
        return def;
    }
    if (hours->count < 1 || hours->count > ZW_WORKHOURS_MAX) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "working_hours", "working hours: bad count %d",
                    hours->count);
        return NULL;
    }
    for (int i = 0; i < hours->count; i++)
        if (hours->span[i].start < 0 || hours->span[i].start >= hours->span[i].end ||
            hours->span[i].end > 1440 || (i > 0 && hours->span[i].start < hours->span[i - 1].end)) {
            zw_err_setd(err, ZW_INVALID_ARGUMENT, "working_hours",
                        "working hours: interval %d is not inside the day, ascending", i);
            return NULL;
        }
    return hours;
}

/* The calendar position of the local day containing `moment`. */
static int s_pos_of_moment(const zw_calendar_t *self, int64_t moment, s_pos_t *pos, zw_err_t *err)
{
    zw_date_t d;
    if (zw_moment_local(moment, &d, NULL, err))
        return -1;
    return s_pos(self, d, pos, err);
}

int zw_calendar_working_minutes(const zw_calendar_t *self, const zw_workhours_t *hours,
                                int64_t from, int64_t to, const zw_interval_t *pauses,
                                size_t npauses, int64_t *minutes, zw_err_t *err)
{
    zw_workhours_t def;
    if (!(hours = s_hours(hours, &def, err)))
        return -1;
    if (to < from)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "to", "interval ends before it starts");
    s_pos_t pos, last;
    if (s_pos_of_moment(self, from, &pos, err))
        return -1;
    if (to == from) {
        *minutes = 0;
        return 0;
    }
    if (s_pos_of_moment(self, to - 1, &last, err))
        return -1;
    s_pauses_t p;
    if (s_pauses_init(&p, pauses, npauses, err))
        return -1;
    int64_t total = 0;
    size_t pi = 0;
    for (;;) {
        int64_t ds = s_day_start(s_pos_days(pos));
        for (int i = 0; pos.y->work[pos.doy] && i < hours->count; i++) {
            int64_t s = ds + hours->span[i].start * 60, e = ds + hours->span[i].end * 60;
            s = s > from ? s : from;
            e = e < to ? e : to;
            if (s >= e)
                continue;
            int64_t seg = e - s;
            while (pi < p.n && p.v[pi].end <= s)
                pi++;
            for (size_t j = pi; j < p.n && p.v[j].start < e; j++)
                seg -= (p.v[j].end < e ? p.v[j].end : e) - (p.v[j].start > s ? p.v[j].start : s);
            total += seg;
        }
        if (pos.y == last.y && pos.doy == last.doy)
            break;
        if (s_pos_next(self, &pos, err)) {
            s_pauses_fini(&p);
            return -1;
        }
    }
    s_pauses_fini(&p);
    *minutes = total / 60;
    return 0;
}

int zw_calendar_due(const zw_calendar_t *self, const zw_workhours_t *hours, int64_t start,
                    int64_t budget_minutes, const zw_interval_t *pauses, size_t npauses,
                    int64_t *due, zw_err_t *err)
{
    zw_workhours_t def;
    if (!(hours = s_hours(hours, &def, err)))
        return -1;
    /* No real limit comes near this; it keeps budget * 60 from overflowing. */
    if (budget_minutes < 0 || budget_minutes > INT64_C(1) << 40)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "budget",
                           "budget of %" PRId64 " minutes is out of range", budget_minutes);
    s_pos_t pos;
    if (s_pos_of_moment(self, start, &pos, err))
        return -1;
    if (budget_minutes == 0) {
        *due = start;
        return 0;
    }
    s_pauses_t p;
    if (s_pauses_init(&p, pauses, npauses, err))
        return -1;
    /* After merging, only the last pause can be open-ended. */
    const zw_interval_t *open = p.n && p.v[p.n - 1].end == INT64_MAX ? &p.v[p.n - 1] : NULL;
    int64_t remaining = budget_minutes * 60;
    size_t pi = 0;
    int rc = -1;
    for (;;) {
        int64_t ds = s_day_start(s_pos_days(pos));
        for (int i = 0; pos.y->work[pos.doy] && i < hours->count; i++) {
            int64_t s = ds + hours->span[i].start * 60, e = ds + hours->span[i].end * 60;
            int64_t at = s > start ? s : start;
            while (pi < p.n && p.v[pi].end <= at)
                pi++;
            /* Spend the free stretches of [at, e) between pauses. */
            for (size_t j = pi; at < e;) {
                if (j < p.n && p.v[j].start <= at) {
                    at = p.v[j++].end;
                    continue;
                }
                int64_t stop = j < p.n && p.v[j].start < e ? p.v[j].start : e;
                if (remaining <= stop - at) {
                    *due = at + remaining;
                    rc = 0;
                    goto done;
                }
                remaining -= stop - at;
                at = stop;
            }
        }
        /* Checked before moving on, so a clock stopped for good is reported
         * as paused even when the calendar would run out first. */
        if (open && s_day_start(s_pos_days(pos) + 1) >= open->start) {
            zw_err_setd(err, ZW_FAILED_PRECONDITION, "pauses",
                        "clock paused: an open-ended pause stops it before the budget is spent");
            goto done;
        }
        if (s_pos_next(self, &pos, err))
            goto done;
    }
done:
    s_pauses_fini(&p);
    return rc;
}

int zw_calendar_limit_start(const zw_calendar_t *self, const zw_workhours_t *hours,
                            int64_t accepted, zw_limit_unit_t unit, int64_t *start, zw_err_t *err)
{
    zw_workhours_t def;
    if (!(hours = s_hours(hours, &def, err)))
        return -1;
    zw_date_t day, next;
    if (zw_moment_local(accepted, &day, NULL, err))
        return -1;
    if (unit == ZW_LIMIT_HOURS) {
        s_pos_t pos;
        if (s_pos(self, day, &pos, err))
            return -1;
        *start = accepted;
        return 0;
    }
    if (unit != ZW_LIMIT_WORKDAYS)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "unit", "unknown limit unit %d", (int) unit);
    if (zw_calendar_add_workdays(self, day, 1, &next, err))
        return -1;
    *start = zw_moment_make(next, hours->span[0].start);
    return 0;
}

int zw_calendar_due_limit(const zw_calendar_t *self, const zw_workhours_t *hours, int64_t accepted,
                          int amount, zw_limit_unit_t unit, const zw_interval_t *pauses,
                          size_t npauses, int64_t *due, zw_err_t *err)
{
    zw_workhours_t def;
    if (!(hours = s_hours(hours, &def, err)))
        return -1;
    if (amount <= 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "amount", "a limit must be positive, not %d",
                           amount);
    int64_t start;
    if (zw_calendar_limit_start(self, hours, accepted, unit, &start, err))
        return -1;
    int64_t per_unit = unit == ZW_LIMIT_HOURS ? 60 : zw_workhours_minutes_per_day(hours);
    return zw_calendar_due(self, hours, start, (int64_t) amount * per_unit, pauses, npauses, due,
                           err);
}
