/* zwfw-xregion's pure rules (rules.h). */
#include "rules.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

bool zw_xregion_digits6(const char *s)
{
    if (!s || strlen(s) != 6)
        return false;
    for (int i = 0; i < 6; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool zw_xregion_exchange_id_ok(const char *id, const char *region)
{
    size_t n = strlen(region);
    if (!id || strncmp(id, "XR", 2) != 0 || strncmp(id + 2, region, n) != 0 ||
        strlen(id) != 2 + n + 15)
        return false;
    const char *p = id + 2 + n;
    for (int i = 0; i < 15; i++)
        if (i == 8 ? p[i] != '-' : (p[i] < '0' || p[i] > '9'))
            return false;
    /* the date of the receiving side's business day */
    int month = (p[4] - '0') * 10 + (p[5] - '0'), day = (p[6] - '0') * 10 + (p[7] - '0');
    return p[0] != '0' && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/* A partner_regions entry covers origin: the same code, or a province
 * (xx0000) or city (xxxx00) code above it. */
static bool s_covers(const char *listed, const char *origin)
{
    if (strlen(listed) != 6)
        return false;
    if (strcmp(listed + 2, "0000") == 0)
        return strncmp(listed, origin, 2) == 0;
    if (strcmp(listed + 4, "00") == 0)
        return strncmp(listed, origin, 4) == 0;
    return strncmp(listed, origin, 6) == 0;
}

static bool s_chuanyu(const char *code)
{
    return strncmp(code, "50", 2) == 0 || strncmp(code, "51", 2) == 0;
}

int zw_xregion_item_allows(const Zwfw__V1__Item *item, const char *origin, const char *own,
                           int mode, zw_err_t *err)
{
    const char *why = NULL;
    switch (item->cross_scope) {
    case ZWFW__V1__CROSS_SCOPE__CROSS_SCOPE_INTER_PROVINCE:
        break;
    case ZWFW__V1__CROSS_SCOPE__CROSS_SCOPE_CHUANYU:
        if (!s_chuanyu(origin) || !s_chuanyu(own))
            why = "is a 川渝通办 item: only Chongqing and Sichuan handle it for each other";
        break;
    case ZWFW__V1__CROSS_SCOPE__CROSS_SCOPE_INTER_DISTRICT:
        if (strncmp(origin, own, 2) != 0)
            why = "is a 跨区县通办 item: only regions of the same province handle it for each "
                  "other";
        break;
    default:
        why = "is not a cross-region item here (no 跨省 / 川渝 / 跨区县 scope)";
    }
    if (why)
        return zw_err_setd(err, ZW_FAILED_PRECONDITION, "item_code", "item %s %s", item->impl_code,
                           why);
    /* a local part of a 多地联办 exchange: the item's own region, which its
     * list of partner regions does not name */
    bool listed = item->n_partner_regions == 0 || strcmp(origin, own) == 0;
    for (size_t i = 0; !listed && i < item->n_partner_regions; i++)
        listed = s_covers(item->partner_regions[i], origin);
    if (!listed)
        return zw_err_setd(err, ZW_FAILED_PRECONDITION, "item_code",
                           "item %s is not handled for region %s (not among its partner "
                           "regions)",
                           item->impl_code, origin);
    if (item->cross_mode != ZWFW__V1__CROSS_MODE__CROSS_MODE_UNSPECIFIED &&
        (int) item->cross_mode != mode && mode != ZWFW__V1__CROSS_MODE__CROSS_MODE_JOINT)
        return zw_err_setd(err, ZW_FAILED_PRECONDITION, "mode",
                           "item %s is handled across regions in mode %d, not %d", item->impl_code,
                           (int) item->cross_mode, mode);
    return 0;
}

bool zw_xregion_state_final(int s)
{
    return s == 2 || s == 4 || s == 5 || (s >= 11 && s <= 15);
}

int zw_xregion_state_rank(int state)
{
    return state <= 1 ? 1 : state <= 5 ? 2 : state <= 10 ? 3 : 4;
}

bool zw_xregion_event_is_old(int64_t event_seq, int shown_state, int event_state)
{
    return event_seq == 0 && (event_state == shown_state || zw_xregion_state_rank(event_state) <
                                                                zw_xregion_state_rank(shown_state));
}

void zw_xregion_forward_id(const char *exchange_id, int part_no, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%d/forward", exchange_id, part_no);
}

void zw_xregion_status_id(const char *exchange_id, int part_no, int64_t seq, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%d/status/%" PRId64, exchange_id, part_no, seq);
}
