/* zwfwctl xregion: the text views of zwfw.xregion's replies (partners,
 * exchanges, the message log), for an operator's terminal. Each prints on
 * stdout; the replies are borrowed. */
#ifndef ZWFWCTL_XREGION_SHOW_H
#define ZWFWCTL_XREGION_SHOW_H

#include "zwfw/v1/xregion.pb-c.h"

#include <stdbool.h>

/* The deployment's own region, link key and endpoint, then one row per
 * partner: link state, when last heard, queued and refused messages. */
void zw_xr_show_partners(const Zwfw__V1__ListPartnersReply *r);

/* One partner as stored (after PutPartner); replayed says the request was
 * a repeat of one already done. */
void zw_xr_show_partner(const Zwfw__V1__Partner *p, bool replayed);

/* The heading of the exchanges table, then one call per exchange: one
 * line per part, the exchange's own columns on its first. */
void zw_xr_show_exchange_head(void);
void zw_xr_show_exchange_row(const Zwfw__V1__Exchange *x);

/* One exchange: its fields, each part, then its history. */
void zw_xr_show_exchange(const Zwfw__V1__Exchange *x);

/* The answer to SupplementExchange (supplement) or WithdrawExchange: a
 * line per part the action went to (part_no, or 0: every part with an
 * action sent), then the exchange as zw_xr_show_exchange shows it. */
void zw_xr_show_action(const Zwfw__V1__Exchange *x, bool supplement, int part_no, bool replayed);

/* The heading of the message-log table, then one line per message. */
void zw_xr_show_message_head(void);
void zw_xr_show_message_row(const Zwfw__V1__LinkMessage *m);

#endif
