/* 好差评 rules: pure functions (rules.h). */
#include "rules.h"

#include "validate.h"

#include <stdio.h>
#include <string.h>

bool zw_rating_is_bad(int level)
{
    return level == 1 || level == 2;
}

int zw_rating_service_mode(int app_channel)
{
    switch (app_channel) {
    case ZWFW__V1__CHANNEL__CHANNEL_ONLINE:
    case ZWFW__V1__CHANNEL__CHANNEL_MOBILE:
    case ZWFW__V1__CHANNEL__CHANNEL_OTHER_SYSTEM:
        return ZWFW__V1__SERVICE_MODE__SERVICE_MODE_ONLINE;
    default:
        return ZWFW__V1__SERVICE_MODE__SERVICE_MODE_OFFLINE;
    }
}

bool zw_rating_dimension_in_mode(int dimension, int mode)
{
    if (mode == ZWFW__V1__SERVICE_MODE__SERVICE_MODE_OFFLINE)
        return dimension >= ZWFW__V1__RATING_DIMENSION__RATING_DIMENSION_EFFICIENCY &&
               dimension <= ZWFW__V1__RATING_DIMENSION__RATING_DIMENSION_ATTITUDE;
    if (mode == ZWFW__V1__SERVICE_MODE__SERVICE_MODE_ONLINE)
        return dimension >= ZWFW__V1__RATING_DIMENSION__RATING_DIMENSION_SPEED &&
               dimension <= ZWFW__V1__RATING_DIMENSION__RATING_DIMENSION_PLATFORM;
    return false;
}

static const char *s_dimension_name(int d)
{
    static const char *names[] = {"",         "服务效率", "服务水平", "服务态度",
                                  "办事效率", "指南准确", "便捷",     "平台操作"};
    return d >= 1 && d <= 7 ? names[d] : "?";
}

int zw_rating_check_text(const char *field, const char *text, long max_chars, bool required,
                         bool multiline, zw_err_t *err)
{
    if (!text)
        text = "";
    if (required && zw_validate_text_blank(text))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, field, "%s is required", field);
    /* Line breaks are the one control character a multi-line text may
     * hold: check a copy without them. */
    long n;
    if (multiline && strpbrk(text, "\r\n")) {
        size_t len = strlen(text);
        char buf[8192];
        if (len >= sizeof buf)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, field, "%s is longer than %ld characters",
                               field, max_chars);
        size_t j = 0;
        for (size_t i = 0; i < len; i++)
            buf[j++] = text[i] == '\n' || text[i] == '\r' ? ' ' : text[i];
        buf[j] = '\0';
        n = zw_validate_text_chars(buf);
    } else {
        n = zw_validate_text_chars(text);
    }
    if (n < 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, field,
                           "%s holds a control character or is not valid UTF-8%s", field,
                           multiline ? " (line breaks are allowed)" : "");
    if (n > max_chars)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, field, "%s is longer than %ld characters",
                           field, max_chars);
    return 0;
}

int zw_rating_check_key(const char *key, zw_err_t *err)
{
    if (!key || !*key)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "idempotency_key",
                           "idempotency_key is required");
    if (strlen(key) > ZW_RATING_KEY_MAX)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "idempotency_key",
                           "idempotency_key is longer than %d bytes", ZW_RATING_KEY_MAX);
    return 0;
}

int zw_rating_check_submit(const Zwfw__V1__SubmitRating *m, zw_err_t *err)
{
    if (zw_rating_check_key(m->idempotency_key, err) != 0)
        return -1;
    if (!m->receipt_number || !*m->receipt_number)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "receipt_number",
                           "receipt_number is required: the application rated");
    if (zw_rating_check_text("receipt_number", m->receipt_number, 64, true, false, err) != 0)
        return -1;
    if (m->channel < 1 || m->channel > 8)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "channel",
                           "channel must be one of the eight rating channels (1-8), not %d",
                           (int) m->channel);
    if (m->level < 1 || m->level > 5)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "level", "level must be 1-5, not %d",
                           (int) m->level);
    if (zw_rating_is_bad(m->level) && (!m->reason || zw_validate_text_blank(m->reason)))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "reason",
                           "a rating of level %d (差评) must give a reason", (int) m->level);
    if (zw_rating_check_text("reason", m->reason, ZW_RATING_REASON_MAX, false, true, err) != 0)
        return -1;
    if (m->n_dimensions > 7)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "dimensions", "at most 7 dimensions, not %zu",
                           m->n_dimensions);
    for (size_t i = 0; i < m->n_dimensions; i++) {
        const Zwfw__V1__DimensionScore *d = m->dimensions[i];
        char path[48];
        snprintf(path, sizeof path, "dimensions[%zu].dimension", i);
        if (d->dimension < 1 || d->dimension > 7)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, path, "%s: unknown dimension %d", path,
                               (int) d->dimension);
        for (size_t j = 0; j < i; j++)
            if (m->dimensions[j]->dimension == d->dimension)
                return zw_err_setd(err, ZW_INVALID_ARGUMENT, path, "%s: %s is given twice", path,
                                   s_dimension_name(d->dimension));
        snprintf(path, sizeof path, "dimensions[%zu].level", i);
        if (d->level < 1 || d->level > 5)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, path, "%s must be 1-5, not %d", path,
                               (int) d->level);
    }
    if (zw_rating_check_text("staff_id", m->staff_id, ZW_RATING_STAFF_MAX, false, false, err) != 0)
        return -1;
    return 0;
}

int zw_rating_check_mode(const Zwfw__V1__SubmitRating *m, int mode, zw_err_t *err)
{
    for (size_t i = 0; i < m->n_dimensions; i++) {
        int d = m->dimensions[i]->dimension;
        if (!zw_rating_dimension_in_mode(d, mode)) {
            char path[48];
            snprintf(path, sizeof path, "dimensions[%zu].dimension", i);
            return zw_err_setd(
                err, ZW_INVALID_ARGUMENT, path,
                "%s: %s is a dimension of %s service; this application was "
                "served %s",
                path, s_dimension_name(d),
                mode == ZWFW__V1__SERVICE_MODE__SERVICE_MODE_ONLINE ? "offline" : "online",
                mode == ZWFW__V1__SERVICE_MODE__SERVICE_MODE_ONLINE ? "online" : "offline");
        }
    }
    return 0;
}

int zw_rating_check_state(const char *receipt, int state, zw_err_t *err)
{
    if (state == ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_RECEIVED)
        return zw_err_setd(err, ZW_FAILED_PRECONDITION, "receipt_number",
                           "application %s is only received (state 1 已接件): nothing has been "
                           "decided to rate yet",
                           receipt);
    if (state == ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_WITHDRAWN_UNACCEPTED)
        return zw_err_setd(err, ZW_FAILED_PRECONDITION, "receipt_number",
                           "application %s was withdrawn before acceptance (state 2 已撤件): "
                           "there is no handling to rate",
                           receipt);
    return 0;
}

int zw_rating_due_date(const zw_calendar_t *cal, zw_date_t opened, int workdays, zw_date_t *due,
                       zw_err_t *err)
{
    return zw_calendar_add_workdays(cal, opened, workdays, due, err);
}

bool zw_rating_in_time(zw_date_t closed, zw_date_t due)
{
    return zw_date_cmp(closed, due) <= 0;
}

bool zw_rating_overdue(zw_date_t today, zw_date_t due)
{
    return zw_date_cmp(today, due) > 0;
}
