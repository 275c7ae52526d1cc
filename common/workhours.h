/* zw_workhours: the opening hours of a working day.
 *
 * Up to ZW_WORKHOURS_MAX intervals of minutes from local midnight, the same
 * on every working day; the default is 09:00–12:00 and 13:30–17:30 (420
 * minutes a day). Which days are working days is zw_calendar's business. */
#ifndef ZW_WORKHOURS_H
#define ZW_WORKHOURS_H

#include "error.h"

#include <stddef.h>

#define ZW_WORKHOURS_MAX 4

/* The opening hours of every working day: up to ZW_WORKHOURS_MAX sorted,
 * non-overlapping intervals [start, end) in minutes from local midnight. */
typedef struct {
    int count;
    struct {
        int start, end;
    } span[ZW_WORKHOURS_MAX];
} zw_workhours_t;

/* Fills *hours with the default 09:00–12:00 and 13:30–17:30 (420 min/day). */
void zw_workhours_default(zw_workhours_t *hours);

/* Parses "09:00-12:00,13:30-17:30" (1..4 intervals, HH:MM, end may be
 * 24:00, intervals ascending and not overlapping; blanks around items are
 * allowed). Anything else is INVALID_ARGUMENT; *hours untouched on error. */
int zw_workhours_parse(const char *text, zw_workhours_t *hours, zw_err_t *err);

/* Writes the text form ("09:00-12:00,13:30-17:30") into buf; returns buf.
 * A buffer of 64 bytes is always enough. */
char *zw_workhours_format(const zw_workhours_t *hours, char *buf, size_t size);

/* Working minutes in one working day (420 for the default). */
int zw_workhours_minutes_per_day(const zw_workhours_t *hours);

#endif
