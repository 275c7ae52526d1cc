/* zwfw-rating's settings (settings.h). */
#include "settings.h"

#include "rules.h"

#include <string.h>

static const zw_cfg_spec_t s_specs[] = {
    {"threads", ZW_CFG_INT, "4", false, "zwfw.rating worker threads (each its own connection)"},
    {"case_workdays", ZW_CFG_INT, "10", false,
     "working days a 差评's rectification case has, 5-15 (its due date)"},
    {"sweep_ms", ZW_CFG_INT, "1000", true, "the overdue sweep runs at least this often"},
    {"clock_poll_ms", ZW_CFG_INT, "100", true,
     "simulated clock: read it this often; a move wakes the sweep at once"},
};

const zw_cfg_spec_t *zw_rating_settings_table(size_t *count)
{
    *count = sizeof s_specs / sizeof s_specs[0];
    return s_specs;
}

int zw_rating_settings_read(const zw_config_t *cfg, zw_rating_opts_t *o, zw_err_t *err)
{
    memset(o, 0, sizeof *o);
    if (zw_daemon_common_read(cfg, "rating", &o->c, err) != 0)
        return -1;
    int64_t v[4] = {0};
    if (zw_config_int_range(cfg, "rating", "threads", 1, 256, &v[0], err) ||
        zw_config_int_range(cfg, "rating", "case_workdays", ZW_RATING_WORKDAYS_MIN,
                            ZW_RATING_WORKDAYS_MAX, &v[1], err) ||
        zw_config_int_range(cfg, "rating", "sweep_ms", 10, 3600000, &v[2], err) ||
        zw_config_int_range(cfg, "rating", "clock_poll_ms", 10, 60000, &v[3], err))
        return -1;
    o->threads = (int) v[0];
    o->case_workdays = (int) v[1];
    o->sweep_ms = (int) v[2];
    o->clock_poll_ms = (int) v[3];
    return 0;
}
