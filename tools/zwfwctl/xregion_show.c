/* zwfwctl xregion: text views of zwfw.xregion's replies (xregion_show.h). */
#include "xregion_show.h"

#include "clock.h"
#include "error.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- cells ---------------------------------------------------------------------------- */

/* Columns a UTF-8 string takes on a terminal: CJK and full-width forms
 * take two, so that tables with 眉山市 in them still line up. */
static int s_width(const char *s)
{
    int w = 0;
    const unsigned char *p = (const unsigned char *) s;
    while (*p) {
        uint32_t c;
        int n;
        if (*p < 0x80)
            c = *p, n = 1;
        else if ((*p & 0xE0) == 0xC0)
            c = *p & 0x1F, n = 2;
        else if ((*p & 0xF0) == 0xE0)
            c = *p & 0x0F, n = 3;
        else
            c = *p & 0x07, n = 4;
        int k = 1;
        for (; k < n && (p[k] & 0xC0) == 0x80; k++)
            c = (c << 6) | (p[k] & 0x3F);
        p += k;
        bool wide = (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
                    (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
                    (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
                    (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x20000 && c <= 0x3FFFD);
        w += wide ? 2 : 1;
    }
    return w;
}

/* s, then spaces up to width columns (at least one after it). */
static void s_cell(const char *s, int width)
{
    int w = s_width(s);
    fputs(s, stdout);
    for (int i = w; i < width || i == w; i++)
        putchar(' ');
}

static const char *s_or(const char *s, const char *dflt)
{
    return s && *s ? s : dflt;
}

/* An enum value's name without prefix, in lower case ("LINK_STATE_UP",
 * "LINK_STATE_" -> "up"). One of four static buffers. */
static const char *s_enum(const ProtobufCEnumDescriptor *d, int v, const char *prefix)
{
    static char buf[4][48];
    static int turn;
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
    if (!ev)
        return "?";
    size_t n = strlen(prefix);
    const char *name = strncmp(ev->name, prefix, n) == 0 ? ev->name + n : ev->name;
    turn = (turn + 1) % 4;
    size_t i = 0;
    for (; name[i] && i + 1 < sizeof buf[turn]; i++)
        buf[turn][i] = (char) (name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
    buf[turn][i] = '\0';
    return buf[turn];
}

static const char *s_time(const Zwfw__V1__Timestamp *ts, char *buf, size_t size)
{
    if (!ts)
        return "-";
    return zw_time_format(ts->seconds * ZW_US_PER_SEC + ts->nanos / 1000, buf, size);
}

static const char *s_state(int s)
{
    static const char *const names[] = {"-",
                                        "已接件",
                                        "已撤件",
                                        "已受理",
                                        "不受理",
                                        "不予受理",
                                        "补正开始",
                                        "补正结束",
                                        "部门开始办理",
                                        "特别程序开始",
                                        "特别程序结束",
                                        "办结(通过)",
                                        "办结(容缺通过)",
                                        "办结(不通过)",
                                        "撤回",
                                        "撤销"};
    return s >= 0 && s <= 15 ? names[s] : "?";
}

static const char *s_mode(int m)
{
    static const char *const names[] = {"?", "全程网办 fully online", "异地代收代办 proxy",
                                        "多地联办 joint"};
    return m >= 0 && m <= 3 ? names[m] : "?";
}

static const char *s_stage(int s)
{
    return s_enum(&zwfw__v1__part_stage__descriptor, s, "PART_STAGE_");
}

/* -1 never; else how long ago, rounded for people. */
static const char *s_ago(int64_t ms, char *buf, size_t size)
{
    if (ms < 0)
        snprintf(buf, size, "never");
    else if (ms < 10000)
        snprintf(buf, size, "%.1fs ago", (double) ms / 1000.0);
    else if (ms < 120000)
        snprintf(buf, size, "%llds ago", (long long) (ms / 1000));
    else if (ms < 7200000)
        snprintf(buf, size, "%lldm ago", (long long) (ms / 60000));
    else
        snprintf(buf, size, "%lldh ago", (long long) (ms / 3600000));
    return buf;
}

/* ---- partners -------------------------------------------------------------------------- */

void zw_xr_show_partners(const Zwfw__V1__ListPartnersReply *r)
{
    printf("%-13s %s\n", "own region", s_or(r->own_region, "-"));
    printf("%-13s %s\n", "own link key", s_or(r->own_public_key, "(none: links are off here)"));
    printf("%-13s %s\n", "own endpoint", s_or(r->own_endpoint, "(links off)"));
    if (r->n_partners == 0) {
        printf("no partners (zwfwctl xregion partner-put REGION NAME ENDPOINT PUBLIC_KEY)\n");
        return;
    }
    printf("\n");
    s_cell("REGION", 8);
    s_cell("NAME", 12);
    s_cell("LINK", 10);
    s_cell("HEARD", 11);
    s_cell("QUEUED", 8);
    s_cell("REFUSED", 9);
    s_cell("VER", 5);
    s_cell("ENDPOINT", 28);
    printf("PUBLIC_KEY\n");
    for (size_t i = 0; i < r->n_partners; i++) {
        const Zwfw__V1__Partner *p = r->partners[i];
        char ago[32], n[24];
        s_cell(p->region, 8);
        s_cell(p->name, 12);
        s_cell(s_enum(&zwfw__v1__link_state__descriptor, p->link, "LINK_STATE_"), 10);
        s_cell(s_ago(p->last_heard_ms_ago, ago, sizeof ago), 11);
        snprintf(n, sizeof n, "%lld", (long long) p->queued);
        s_cell(n, 8);
        snprintf(n, sizeof n, "%lld", (long long) p->refused);
        s_cell(n, 9);
        snprintf(n, sizeof n, "%d", p->version);
        s_cell(n, 5);
        s_cell(s_or(p->endpoint, "(receives only)"), 28);
        printf("%s\n", p->public_key);
        if (*p->last_error)
            printf("        last error: %s\n", p->last_error);
    }
    printf("%zu partner%s\n", r->n_partners, r->n_partners == 1 ? "" : "s");
}

void zw_xr_show_partner(const Zwfw__V1__Partner *p, bool replayed)
{
    char t[48];
    printf("%-11s %s %s (version %d, %s)%s\n", "partner", p->region, p->name, p->version,
           p->enabled ? "enabled" : "disabled", replayed ? "  (a repeated request)" : "");
    printf("%-11s %s\n", "endpoint", s_or(p->endpoint, "(none: receives only)"));
    printf("%-11s %s\n", "public key", p->public_key);
    printf("%-11s %s by %s\n", "updated", s_time(p->updated_at, t, sizeof t),
           s_or(p->updated_by, "-"));
}

/* ---- exchanges ------------------------------------------------------------------------- */

void zw_xr_show_exchange_head(void)
{
    s_cell("EXCHANGE", 25);
    s_cell("DIR", 5);
    s_cell("MODE", 8);
    s_cell("CREATED", 27);
    s_cell("PART", 6);
    s_cell("REGION", 8);
    s_cell("STAGE", 11);
    s_cell("STATE", 16);
    printf("RECEIPT\n");
}

void zw_xr_show_exchange_row(const Zwfw__V1__Exchange *x)
{
    char t[48], n[16], st[40];
    static const char *const modes[] = {"?", "online", "proxy", "joint"};
    for (size_t i = 0; i < x->n_parts || i == 0; i++) {
        if (i == 0) {
            s_cell(x->exchange_id, 25);
            s_cell(x->direction == ZWFW__V1__EXCHANGE_DIRECTION__EXCHANGE_DIRECTION_INBOUND ? "in"
                                                                                            : "out",
                   5);
            s_cell(x->mode >= 1 && x->mode <= 3 ? modes[x->mode] : "?", 8);
            s_cell(s_time(x->created_at, t, sizeof t), 27);
        } else {
            s_cell("", 25 + 5 + 8 + 27);
        }
        if (i >= x->n_parts) { /* an exchange without parts: nothing more to say */
            printf("-\n");
            break;
        }
        const Zwfw__V1__ExchangePart *p = x->parts[i];
        snprintf(n, sizeof n, "%d", p->part_no);
        s_cell(n, 6);
        s_cell(p->region, 8);
        s_cell(s_stage(p->stage), 11);
        if (p->state)
            snprintf(st, sizeof st, "%d %s", p->state, s_state(p->state));
        else
            snprintf(st, sizeof st, "-");
        s_cell(st, 16);
        printf("%s\n", s_or(p->receipt_number, "-"));
    }
}

static void s_identity(const char *label, const Zwfw__V1__Identity *id)
{
    if (!id)
        return;
    printf("%-12s %s  %s %s\n", label, id->name,
           s_enum(&zwfw__v1__id_type__descriptor, id->id_type, "ID_TYPE_"), id->id_number);
}

static void s_part(const Zwfw__V1__ExchangePart *p, bool outbound, bool local)
{
    char t[48];
    printf("part %d      %s %s (%s)\n", p->part_no, p->region, p->region_name,
           local      ? "local: this deployment decides"
           : outbound ? "home: decides"
                      : "origin: received it");
    printf("  %-10s %s%s%s%s%s\n", "item", p->item_code, *p->item_name ? "  " : "", p->item_name,
           *p->department_name ? ", " : "", p->department_name);
    printf("  %-10s %s\n", "stage", s_stage(p->stage));
    if (*p->receipt_number)
        printf("  %-10s %s\n", "receipt", p->receipt_number);
    if (p->state)
        printf("  %-10s %d %s at %s\n", "state", p->state, s_state(p->state),
               s_time(p->state_at, t, sizeof t));
    if (p->due_at)
        printf("  %-10s %s\n", "due", s_time(p->due_at, t, sizeof t));
    if (*p->reason)
        printf("  %-10s %s\n", "reason", p->reason);
    if (p->n_missing) {
        printf("  %-10s", "missing");
        for (size_t i = 0; i < p->n_missing; i++)
            printf(" %s", p->missing[i]);
        printf("\n");
    }
    if (p->error) {
        printf("  %-10s %s: %s\n", "error", zw_code_name((zw_code_t) p->error->code),
               p->error->message);
        for (size_t i = 0; i < p->error->n_details; i++)
            printf("  %-10s %s: %s\n", "", p->error->details[i]->key, p->error->details[i]->value);
    }
    if (p->actions_sent || p->actions_answered)
        printf("  %-10s %d sent, %d answered\n", "actions", p->actions_sent, p->actions_answered);
    if (p->last_action_error)
        printf("  %-10s %s: %s\n", "refused", zw_code_name((zw_code_t) p->last_action_error->code),
               p->last_action_error->message);
    printf("  %-10s %s\n", "updated", s_time(p->updated_at, t, sizeof t));
}

void zw_xr_show_exchange(const Zwfw__V1__Exchange *x)
{
    char t[48];
    bool outbound = x->direction != ZWFW__V1__EXCHANGE_DIRECTION__EXCHANGE_DIRECTION_INBOUND;
    printf("%-12s %s  (%s)\n", "exchange", x->exchange_id,
           outbound ? "outbound: received here, a partner decides"
                    : "inbound: received by a partner, decided here");
    printf("%-12s %s\n", "mode", s_mode(x->mode));
    printf("%-12s %s\n", "origin", x->origin_region);
    printf("%-12s %s%s%s\n", "channel",
           s_enum(&zwfw__v1__channel__descriptor, x->channel, "CHANNEL_"),
           *x->window_id ? "  window " : "", x->window_id);
    printf("%-12s %s\n", "actor", s_or(x->actor, "-"));
    if (x->applicant) {
        s_identity("applicant", x->applicant->identity);
        s_identity("agent", x->applicant->agent);
        if (*x->applicant->phone)
            printf("%-12s %s\n", "phone", x->applicant->phone);
        if (*x->applicant->address)
            printf("%-12s %s\n", "address", x->applicant->address);
    }
    printf("%-12s %zu", "materials", x->n_materials);
    for (size_t i = 0; i < x->n_materials; i++)
        printf("%s%s", i ? " " : "  (", x->materials[i]->material_code);
    printf("%s\n", x->n_materials ? ")" : "");
    printf("%-12s %s\n", "identity", x->identity_checked ? "checked at the window" : "not checked");
    if (*x->note)
        printf("%-12s %s\n", "note", x->note);
    printf("%-12s %s\n", "created", s_time(x->created_at, t, sizeof t));
    printf("%-12s %s\n", "done", x->done ? "yes (every part rejected or closed)" : "no");
    for (size_t i = 0; i < x->n_parts; i++)
        s_part(x->parts[i], outbound,
               outbound && strcmp(x->parts[i]->region, x->origin_region) == 0);
    if (x->n_history)
        printf("history\n");
    for (size_t i = 0; i < x->n_history; i++) {
        const Zwfw__V1__ExchangeStep *h = x->history[i];
        printf("  %s  part %d  %s", s_time(h->at, t, sizeof t), h->part_no, s_stage(h->stage));
        if (h->state)
            printf("  %d %s", h->state, s_state(h->state));
        printf("%s%s\n", *h->note ? "  " : "", h->note);
    }
}

void zw_xr_show_action(const Zwfw__V1__Exchange *x, bool supplement, int part_no, bool replayed)
{
    const char *what = supplement ? "supplement" : "withdrawal";
    for (size_t i = 0; i < x->n_parts; i++) {
        const Zwfw__V1__ExchangePart *p = x->parts[i];
        /* part 0 (a withdrawal of every open part): those it went to */
        if (part_no ? p->part_no != part_no
                    : !p->actions_sent || p->stage != ZWFW__V1__PART_STAGE__PART_STAGE_SUBMITTED)
            continue;
        printf("%s of part %d (%s) sent%s: %d sent, %d answered so far\n", what, p->part_no,
               p->region, replayed ? " before (a repeated request)" : "", p->actions_sent,
               p->actions_answered);
    }
    printf("the home intake's answer shows on the part (zwfwctl xregion exchange %s)\n",
           x->exchange_id);
    zw_xr_show_exchange(x);
}

/* ---- the message log ------------------------------------------------------------------- */

void zw_xr_show_message_head(void)
{
    s_cell("AT", 27);
    s_cell("DIR", 5);
    s_cell("REGION", 8);
    s_cell("TYPE", 11);
    s_cell("SIZE", 7);
    s_cell("SHA256", 14);
    s_cell("OUTCOME", 14);
    printf("MESSAGE_ID  (KEY)\n");
}

void zw_xr_show_message_row(const Zwfw__V1__LinkMessage *m)
{
    char t[48], n[24], sha[13];
    s_cell(s_time(m->at, t, sizeof t), 27);
    s_cell(m->inbound ? "in" : "out", 5);
    s_cell(m->region, 8);
    s_cell(strncmp(m->type, "zwfw.v1.", 8) == 0 ? m->type + 8 : m->type, 11);
    snprintf(n, sizeof n, "%lld", (long long) m->size);
    s_cell(n, 7);
    snprintf(sha, sizeof sha, "%s", m->sha256);
    s_cell(sha, 14);
    s_cell(m->outcome, 14);
    printf("%s  (%s)\n", m->message_id, m->key_id);
}
