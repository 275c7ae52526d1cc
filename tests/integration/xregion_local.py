#!/usr/bin/python3
"""多地联办 with a local part (docs/protocol.md section 4 "Cross-region
exchange", "A part handled here"): a joint exchange received in Tongnan
(ts, 500152) with one part for Meishan (ms, 511400) and one part that names
Tongnan itself. The local part goes to Tongnan's own zwfw.intake, as
zwfw-xregion submits a partner's part at home, never over the link.

  xregion_local.py --gen DIR --ts-catalog FILE --ms-catalog FILE \\
      --ep D.ROLE=ENDPOINT ... [--wait S]

Reuses the catalogs and helpers of xregion_client.py (read-only). Prints
PASS/FAIL per check and "N passed, M failed"; exits 1 when any fails.
"""
import argparse
import functools
import sys

import zwfw_py
from xregion_client import (MS_REGION, TS_REGION, ZY_REGION, ExchangeReader, Keys, material,
                            partner_items, xr)
from zwfw_py import MdpClient, Zwfw, expect, gb11643, load_pb, short, zmq

expect_error = functools.partial(zwfw_py.expect_error, need_message=True)

TS_JOINT = "500G0500400000-500152000000-000-11500152MB1700340F-1-00"     # 户口迁移, 承诺件, JOINT
TS_MARRIAGE = "500G0400100000-500152000000-000-11500152MB1701968K-1-00"  # 结婚登记, 即办件, JOINT
TS_NOCROSS = "500A0100300000-500152000000-000-11500152MB17035173-1-00"   # 食品经营许可: no scope


def scenario(args, pb, Z, checks):
    ms_proxy = partner_items(MS_REGION)["proxy"]["implCode"]   # 承诺件, M01 M02 required
    key = Keys("xl")
    st = {}
    SN = pb.PartStage.Name
    AN = pb.ApplicationState.Name

    def person(tag):
        n = key.n + 7
        return pb.Applicant(kind=pb.APPLICANT_KIND_PERSON,
                            identity=pb.Identity(name="联办" + tag, id_type=pb.ID_TYPE_RESIDENT_ID,
                                                 id_number=gb11643("50022319800101%03d" % n)),
                            phone="1390000%04d" % n, address="重庆市潼南区梓潼街道%d号" % n)

    def joint(tag, local_item, local_mats, parts=None):
        """A 多地联办 exchange at a Tongnan window: part 1 Meishan's 承诺件
        (complete), part 2 Tongnan's own local_item."""
        mats = [material(pb, "M01", "申请表", tag),
                material(pb, "M02", "经营者身份证明", tag, item_code=ms_proxy)]
        mats += [material(pb, c, "本地材料" + c, tag, item_code=local_item) for c in local_mats]
        m = pb.ForwardApplication(
            idempotency_key=key("fwd"), actor="潼南窗口:李四", mode=pb.CROSS_MODE_JOINT,
            parts=parts or [pb.ForwardPart(region=MS_REGION, item_code=ms_proxy),
                            pb.ForwardPart(region=TS_REGION, item_code=local_item)],
            channel=pb.CHANNEL_WINDOW, window_id="TN-W07", applicant=person(tag),
            materials=mats, identity_checked=True, note="多地联办：本地部分")
        return xr(Z["ts.window"], m).exchange, mats

    R = ExchangeReader(pb, Z, timeout=20, width=1200)
    get, part, wait_ex, at, home_app = R.get, R.part, R.wait_ex, R.at, R.home_app

    # ------------------------------------------------------------------ refusals

    def refusals():
        ap = person("refuse")
        base = dict(actor="潼南窗口:李四", channel=pb.CHANNEL_WINDOW, window_id="TN-W07",
                    applicant=ap, identity_checked=True,
                    materials=[material(pb, "M01", "申请表", "refuse")])
        P = pb.ForwardPart
        expect_error(lambda: xr(Z["ts.window"], pb.ForwardApplication(
            idempotency_key=key("r1"), mode=pb.CROSS_MODE_FULLY_ONLINE,
            parts=[P(region=TS_REGION, item_code=TS_JOINT)], **base)),
            "INVALID_ARGUMENT", "parts[0].region")
        expect_error(lambda: xr(Z["ts.window"], pb.ForwardApplication(
            idempotency_key=key("r2"), mode=pb.CROSS_MODE_JOINT,
            parts=[P(region=TS_REGION, item_code=TS_JOINT),
                   P(region=TS_REGION, item_code=TS_MARRIAGE)], **base)),
            "INVALID_ARGUMENT", "parts[1].region")
        # zy is no partner of ts here: the partner part is still checked
        expect_error(lambda: xr(Z["ts.window"], pb.ForwardApplication(
            idempotency_key=key("r3"), mode=pb.CROSS_MODE_JOINT,
            parts=[P(region=TS_REGION, item_code=TS_JOINT),
                   P(region=ZY_REGION, item_code=TS_JOINT)], **base)),
            "NOT_FOUND", "parts[1].region")
        return "own region alone (全程网办) and twice refused; an unregistered partner beside " \
               "a local part NOT_FOUND"

    checks.run("L1 a local part only in 多地联办, once; the partner parts still checked", refusals)

    # ------------------------------------------------------------------ forward

    def forward():
        # the local 即办件 lacks M03: a one-time notice at home (here)
        ex, mats = joint("A", TS_MARRIAGE, ["M02"])
        expect(ex.direction == pb.EXCHANGE_DIRECTION_OUTBOUND and ex.mode == pb.CROSS_MODE_JOINT,
               short(ex, 500))
        got = [(p.part_no, p.region, SN(p.stage)) for p in ex.parts]
        expect(got == [(1, MS_REGION, "PART_STAGE_QUEUED"), (2, TS_REGION, "PART_STAGE_DELIVERED")],
               "parts %s" % got)
        expect(part(ex, 2).region_name, "the local part has no region name: %s" %
               short(part(ex, 2)))
        st["A"] = dict(xid=ex.exchange_id, mats=mats)
        return "%s: part 1 Meishan QUEUED, part 2 Tongnan (local) DELIVERED at once" % (
            ex.exchange_id)

    ok = checks.run("L2 ForwardApplication 多地联办 with a local part: the reply shows it "
                    "DELIVERED", forward)

    def both_submitted():
        a = st["A"]
        ex = wait_ex(a["xid"], lambda e: at(1, pb.PART_STAGE_SUBMITTED,
                                            pb.APPLICATION_STATE_ACCEPTED)(e)
                     and at(2, pb.PART_STAGE_SUBMITTED, pb.APPLICATION_STATE_RECEIVED)(e),
                     "both parts SUBMITTED")
        p1, p2 = part(ex, 1), part(ex, 2)
        expect(list(p2.missing) == ["M03"] and p2.receipt_number.startswith("500152"),
               "local part: %s" % short(p2))
        expect(p1.receipt_number and p1.receipt_number != p2.receipt_number and not ex.done,
               short(ex, 800))
        a["r1"], a["r2"] = p1.receipt_number, p2.receipt_number
        # the local application: submitted as zwfw-xregion submits a partner's part
        h = home_app(p2.receipt_number)
        expect(h.item_code == TS_MARRIAGE and h.channel == pb.CHANNEL_OTHER_SYSTEM
               and h.window_id == "xregion-" + TS_REGION
               and h.history and h.history[0].actor == "xregion:%s:潼南窗口:李四" % TS_REGION,
               "local application: %s" % short(h, 600))
        want = {(m.material_code, m.sha256) for m in a["mats"]
                if not m.item_code or m.item_code == TS_MARRIAGE}
        have = {(m.material_code, m.sha256) for m in h.materials}
        expect(have == want, "local materials %s, expected %s" % (sorted(have), sorted(want)))
        # Meishan got part 1 only, over the link
        hm = get(a["xid"], "ms.window")
        expect(hm.direction == pb.EXCHANGE_DIRECTION_INBOUND and len(hm.parts) == 1
               and hm.parts[0].receipt_number == p1.receipt_number, short(hm, 600))
        logged = [m.message_id for m in xr(Z["ts.operator"], pb.ListLinkMessages(
            page_size=200)).messages if m.message_id.startswith(a["xid"] + "/")]
        expect(logged and all(i.startswith(a["xid"] + "/1/") for i in logged),
               "link messages of the exchange: %s" % logged)
        return "ms SUBMITTED 3 (%s); local SUBMITTED 1 missing M03 (%s, window xregion-%s, " \
               "M01 + its own M02); only part 1 on the link" % (p1.receipt_number,
                                                                 p2.receipt_number, TS_REGION)

    ok = ok and checks.run("L3 both parts reach SUBMITTED: the local one in Tongnan's own "
                           "intake, from xregion-500152, with its materials only", both_submitted)

    def supplement_refused():
        a = st["A"]
        r = xr(Z["ts.window"], pb.SupplementExchange(
            idempotency_key=key("s1"), actor="潼南窗口:李四", exchange_id=a["xid"], part_no=2,
            materials=[material(pb, "Z99", "不在清单", "A-bad")]))
        expect(part(r.exchange, 2).actions_sent == 1, short(part(r.exchange, 2)))
        ex = wait_ex(a["xid"], lambda e: part(e, 2).actions_answered == 1, "answered")
        p2 = part(ex, 2)
        expect(p2.HasField("last_action_error") and p2.last_action_error.code ==
               pb.INVALID_ARGUMENT and p2.state == pb.APPLICATION_STATE_RECEIVED,
               short(p2))
        return "refused by the local intake: %s; still state 1" % p2.last_action_error.message

    ok and checks.run("L4 a supplement the local intake refuses shows as last_action_error",
                      supplement_refused)

    def supplement_closes():
        a = st["A"]
        xr(Z["ts.window"], pb.SupplementExchange(
            idempotency_key=key("s2"), actor="潼南窗口:李四", exchange_id=a["xid"], part_no=2,
            materials=[material(pb, "M03", "本地材料M03", "A-supp", item_code=TS_MARRIAGE)]))
        ex = wait_ex(a["xid"], at(2, pb.PART_STAGE_CLOSED, pb.APPLICATION_STATE_APPROVED),
                     "local part CLOSED 11")
        p1, p2 = part(ex, 1), part(ex, 2)
        expect(p2.actions_sent == 2 and p2.actions_answered == 2 and
               not p2.HasField("last_action_error") and not p2.missing, short(p2))
        expect(p1.stage == pb.PART_STAGE_SUBMITTED and not ex.done,
               "the Meishan part still open, exchange not done: %s" % short(ex, 600))
        expect(home_app(a["r2"]).state == pb.APPLICATION_STATE_APPROVED, "local application")
        notes = [h.note for h in ex.history if h.part_no == 2]
        expect("supplement sent to this deployment's intake" in notes, "history %s" % notes)
        return "即办件 complete -> 11 办结 at the counter; part 2 CLOSED; history %s" % notes

    ok and checks.run("L5 SupplementExchange on the local part: the local intake finishes it, "
                      "the part CLOSED (11), the exchange not done", supplement_closes)

    def refused_locally():
        ex, _ = joint("B", TS_JOINT, ["M02"])
        ex = wait_ex(ex.exchange_id, at(2, pb.PART_STAGE_SUBMITTED,
                                        pb.APPLICATION_STATE_RECEIVED), "local state 1")
        reason = "迁入地证明不符合要求"
        Z["ts.window"].call("zwfw.intake", pb.RefuseApplication(
            idempotency_key=key("refuse"), actor="潼南窗口:王五",
            receipt_number=part(ex, 2).receipt_number, reason=reason))
        ex = wait_ex(ex.exchange_id, at(2, pb.PART_STAGE_CLOSED, pb.APPLICATION_STATE_REFUSED),
                     "local part CLOSED 5")
        expect(part(ex, 2).reason == reason, short(part(ex, 2)))
        return "a Tongnan window's 不予受理 closes the local part (5, reason kept)"

    ok and checks.run("L6 the local intake's own decision (不予受理) closes the local part",
                      refused_locally)

    def withdraw_all():
        ex, _ = joint("C", TS_JOINT, ["M02"])
        xid = ex.exchange_id
        wait_ex(xid, lambda e: at(1, pb.PART_STAGE_SUBMITTED, pb.APPLICATION_STATE_ACCEPTED)(e)
                and at(2, pb.PART_STAGE_SUBMITTED, pb.APPLICATION_STATE_RECEIVED)(e),
                "both SUBMITTED")
        r = xr(Z["ts.window"], pb.WithdrawExchange(
            idempotency_key=key("wd"), actor="潼南窗口:李四", exchange_id=xid, part_no=0,
            reason="申请人不再办理"))
        expect([p.actions_sent for p in r.exchange.parts] == [1, 1],
               "actions_sent %s" % [p.actions_sent for p in r.exchange.parts])
        # Meishan accepted its part: the withdrawal goes on to its workflow
        # (not running here), so only the answer shows there
        ex = wait_ex(xid, lambda e: at(2, pb.PART_STAGE_CLOSED,
                                       pb.APPLICATION_STATE_WITHDRAWN_UNACCEPTED)(e)
                     and part(e, 1).actions_answered == 1, "local withdrawn, Meishan answered")
        p1, p2 = part(ex, 1), part(ex, 2)
        expect(p2.actions_answered == 1 and not p2.HasField("last_action_error"), short(p2))
        expect(not p1.HasField("last_action_error"), "Meishan: %s" % short(p1))
        expect(home_app(p2.receipt_number).state == pb.APPLICATION_STATE_WITHDRAWN_UNACCEPTED,
               "local application")
        expect_error(lambda: xr(Z["ts.window"], pb.WithdrawExchange(
            idempotency_key=key("wd2"), actor="潼南窗口:李四", exchange_id=xid, part_no=2,
            reason="再撤一次")), "FAILED_PRECONDITION", "part_no")
        return "part_no 0: the local part withdrawn here (2, CLOSED), Meishan's answered over " \
               "the link; a second withdrawal of the closed local part FAILED_PRECONDITION"

    ok and checks.run("L7 WithdrawExchange part 0 withdraws the local part here and sends the "
                      "partner's over the link", withdraw_all)

    def rejected():
        out = []
        for item, code, tag in ((TS_NOCROSS, "FAILED_PRECONDITION", "D"),
                                ("500A9900900000-500152000000-000-11500152MB17035173-1-00",
                                 "NOT_FOUND", "E")):
            ex, _ = joint(tag, item, ["M01"])
            ex = wait_ex(ex.exchange_id, at(2, pb.PART_STAGE_REJECTED), "local part REJECTED")
            p2 = part(ex, 2)
            expect(pb.Code.Name(p2.error.code) == code and
                   p2.error.details.get("detail") == "item_code" and not p2.receipt_number,
                   "%s: %s" % (tag, short(p2)))
            out.append("%s %s" % (code, p2.error.message))
        # a local part refused does not hold the partner's back
        wait_ex(ex.exchange_id, at(1, pb.PART_STAGE_SUBMITTED), "Meishan part SUBMITTED")
        return "; ".join(out)

    ok and checks.run("L8 the same checks as at home: an item with no cross-region scope, an "
                      "unknown item -> the local part REJECTED", rejected)

    def by_region():
        a = st["A"]
        r = Z["ts.supervisor"].call("zwfw.xregion", pb.ListExchanges(region=TS_REGION,
                                                                      page_size=200))
        ids = [x.exchange_id for x in r.exchanges]
        expect(a["xid"] in ids, "ListExchanges region %s: %s" % (TS_REGION, ids))
        return "ListExchanges --region %s lists the exchanges with a local part (%d)" % (
            TS_REGION, len(ids))

    ok and checks.run("L9 the exchanges with a local part are found by the own region", by_region)


def main():
    ap = argparse.ArgumentParser(prog="xregion_local.py")
    ap.add_argument("--gen", required=True)
    ap.add_argument("--ep", action="append", required=True, help="D.ROLE=ENDPOINT")
    ap.add_argument("--wait", type=float, default=0)
    args = ap.parse_args()
    pb = load_pb(args.gen, ("common", "catalog", "intake", "xregion"))
    ctx = zmq.Context()
    Z = {}
    for spec in args.ep:
        name, ep = spec.split("=", 1)
        Z[name] = Zwfw(MdpClient(ctx, ep, 7000), pb, name, name.split(".", 1)[1])
    if args.wait > 0:
        zwfw_py.wait_served(Z, ("zwfw.xregion", "zwfw.intake"), args.wait)
    return zwfw_py.run_scenario(ctx, Z, lambda checks: scenario(args, pb, Z, checks))


if __name__ == "__main__":
    sys.exit(main())
