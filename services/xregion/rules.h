/* zwfw-xregion's rules as pure functions (no store, no sockets), so a
 * unit test can hold them to DOMAIN.md "Cross-region" and
 * docs/protocol.md section 4 "Cross-region exchange". */
#ifndef ZW_XREGION_RULES_H
#define ZW_XREGION_RULES_H

#include "error.h"
#include "zwfw/v1/catalog.pb-c.h"

#include <stdbool.h>
#include <stdint.h>

/* Whether s is a 6-digit division code. */
bool zw_xregion_digits6(const char *s);

/* Whether id has the shape of an exchange number given by `region`:
 * "XR" + region + a date (yyyymmdd: a year from 1000, month 1-12, day
 * 1-31) + "-" + 6 digits. */
bool zw_xregion_exchange_id_ok(const char *id, const char *region);

/* Whether an item of this (home) deployment `own` may be handled for an
 * application received in `origin` in `mode` (CrossMode): its scope
 * covers the two regions (跨省: any; 川渝: both in Chongqing 50 or
 * Sichuan 51; 跨区县: the same province; none: never), the origin is among
 * its partner_regions when it lists any (a province or city code covers
 * the regions under it), and its cross_mode, when set, is the mode asked
 * for (多地联办 parts excepted: a joint exchange combines items of any
 * mode). origin == own is a local part of a 多地联办 exchange received
 * here: the scope must still be a cross-region one, but partner_regions
 * (the other regions it is handled for) does not apply.
 * FAILED_PRECONDITION naming item_code or mode. */
int zw_xregion_item_allows(const Zwfw__V1__Item *item, const char *origin, const char *own,
                           int mode, zw_err_t *err);

/* Whether an application state is final (2, 4, 5, 11-15). */
bool zw_xregion_state_final(int state);

/* How far along an application is: 1 received, 2 decided on acceptance
 * (2-5), 3 in handling (6-10), 4 finished (11-15). */
int zw_xregion_state_rank(int state);

/* Whether an intake event is old news for a part: before the first event
 * is applied (event_seq 0) the part shows what intake's reply said, where
 * the events of that same commit end (ApplicationReceived, then
 * ApplicationAccepted ...): an event with the state shown or an earlier
 * rank is one of those. After that, events follow in seq order. */
bool zw_xregion_event_is_old(int64_t event_seq, int shown_state, int event_state);

/* The message id of a part's forward and of its seq-th status
 * (docs/protocol.md section 10) into buf. */
void zw_xregion_forward_id(const char *exchange_id, int part_no, char *buf, size_t size);
void zw_xregion_status_id(const char *exchange_id, int part_no, int64_t seq, char *buf,
                          size_t size);

#endif
