#!/usr/bin/python3
"""多地联办 with a local 承诺件 that this deployment's zwfw-workflow decides
(docs/protocol.md section 4 "Cross-region exchange", "A part handled here",
and "Approval workflow"). A joint exchange received in Tongnan (ts, 500152)
with part 1 for Meishan (ms, 511400: a 即办件, finished at its counter) and
part 2 naming Tongnan itself: 户口迁移, a 承诺件 of Tongnan's public
security bureau, accepted by Tongnan's intake, then decided by its
workflow (the shipped promised-default definition) through `Act` by that
bureau's approver and head. zwfw-xregion must follow the states intake
takes over from workflow (8, 6/7, 11, 13, 14, 15) and close the part and
the exchange. W5c: the part's due time follows the one the 补正 pause
moved. W6b, W7: the reject's and the withdrawal's reasons reach the part
(workflow's ProcessCompleted.reason, intake's ApplicationCompleted /
ApplicationWithdrawn.reason). W10: the mirror, a joint exchange received
in Meishan whose part for Tongnan's 承诺件 is decided by Tongnan's
workflow; Meishan, the origin, sees the moved due time (and then 13 with
the reject's reason) through the link's XrStatus.

  xregion_local_workflow.py --gen DIR --dept USCC --ts-db CONNINFO \\
      --ep D.ROLE=ENDPOINT ... [--wait S]

--dept is the department of the local item (the ts approver's and head's);
--ts-db Tongnan's database, whose events.log is read with psql.
Reuses the catalogs and helpers of xregion_client.py (read-only). Prints
PASS/FAIL per check and "N passed, M failed"; exits 1 when any fails.
"""
import argparse
import datetime
import functools
import subprocess
import sys
import time

import zwfw_py
from xregion_client import CST, MS_REGION, TS_REGION, ExchangeReader, Keys, material, partner_items, xr
from zwfw_py import MdpClient, Zwfw, expect, gb11643, load_pb, short, zmq

expect_error = functools.partial(zwfw_py.expect_error, need_message=True)

# 户口迁移（户籍迁入）: 承诺件 (promised 5, statutory 20 working days), 川渝通办,
# JOINT; materials M01 M02 M03, all required
TS_JOINT = "500G0500400000-500152000000-000-11500152MB1700340F-1-00"
WAIT = 30  # seconds for what the daemons learn by events (ASan is slow)


def fmt_s(seconds):
    """Unix seconds as Beijing time."""
    return datetime.datetime.fromtimestamp(seconds, CST).strftime("%Y-%m-%d %H:%M")


def fmt(ts):
    """A zwfw.v1.Timestamp as Beijing time."""
    return fmt_s(ts.seconds)


def scenario(args, pb, Z, checks):
    ms_joint = partner_items(MS_REGION)["joint"]["implCode"]   # 即办件, M01 M02 required
    key = Keys("xw")
    st = {}
    SN = pb.PartStage.Name
    AN = pb.ApplicationState.Name

    def person(tag):
        n = key.n + 11
        return pb.Applicant(kind=pb.APPLICANT_KIND_PERSON,
                            identity=pb.Identity(name="联办审批" + tag,
                                                 id_type=pb.ID_TYPE_RESIDENT_ID,
                                                 id_number=gb11643("50022319850203%03d" % n)),
                            phone="1390001%04d" % n, address="重庆市潼南区桂林街道%d号" % n)

    def joint(tag):
        """A 多地联办 exchange at a Tongnan window, every material in: part 1
        Meishan's 即办件, part 2 Tongnan's own 承诺件 TS_JOINT."""
        mats = [material(pb, "M01", "申请表", tag),
                material(pb, "M02", "户口簿", tag, item_code=ms_joint),
                material(pb, "M02", "申请人身份证明", tag, item_code=TS_JOINT),
                material(pb, "M03", "合法稳定住所证明", tag, item_code=TS_JOINT)]
        m = pb.ForwardApplication(
            idempotency_key=key("fwd"), actor="潼南窗口:李四", mode=pb.CROSS_MODE_JOINT,
            parts=[pb.ForwardPart(region=MS_REGION, item_code=ms_joint),
                   pb.ForwardPart(region=TS_REGION, item_code=TS_JOINT)],
            channel=pb.CHANNEL_WINDOW, window_id="TN-W07", applicant=person(tag),
            materials=mats, identity_checked=True, note="多地联办：本地承诺件")
        return xr(Z["ts.window"], m).exchange

    R = ExchangeReader(pb, Z, timeout=WAIT, width=1500)
    get, part, wait_ex, at, home_app = R.get, R.part, R.wait_ex, R.at, R.home_app

    def act(who, receipt, action, comment=""):
        return Z[who].wf(pb.Act(idempotency_key=key(action), actor="潼南公安:审批员",
                                receipt_number=receipt, action=action, comment=comment))

    def instance(receipt, history=False):
        return zwfw_py.until_found(lambda: Z["ts.approver"].wf(pb.GetInstance(
            receipt_number=receipt, history=history)).instance, WAIT)

    def accepted(tag):
        """A new exchange whose local part the local intake accepted (3) and
        whose Meishan part is closed at its counter (11); returns (xid,
        local receipt)."""
        ex = joint(tag)
        got = [(p.part_no, p.region, SN(p.stage)) for p in ex.parts]
        expect(got == [(1, MS_REGION, "PART_STAGE_QUEUED"), (2, TS_REGION, "PART_STAGE_DELIVERED")],
               "reply parts %s" % got)
        ex = wait_ex(ex.exchange_id,
                     lambda e: at(1, pb.PART_STAGE_CLOSED, pb.APPLICATION_STATE_APPROVED)(e)
                     and at(2, pb.PART_STAGE_SUBMITTED, pb.APPLICATION_STATE_ACCEPTED)(e),
                     "Meishan part CLOSED 11, local part SUBMITTED 3")
        expect(not ex.done, "the exchange is done with the local part open: %s" % short(ex, 800))
        receipt = part(ex, 2).receipt_number
        # workflow starts the process from intake's ApplicationAccepted, a
        # little later: until then an Act is NOT_FOUND receipt_number
        instance(receipt)
        return ex.exchange_id, receipt

    def part2_states(ex):
        return [s.state for s in ex.history if s.part_no == 2]

    def subsequence(want, have):
        it = iter(have)
        return all(any(h == w for h in it) for w in want)

    def intake_events(receipt, type_):
        """The payloads of Tongnan's intake events of one type about one
        application, in stream order."""
        out = subprocess.run(["psql", args.ts_db, "-AtX", "-v", "ON_ERROR_STOP=1",
                              "-v", "r=" + receipt, "-v", "t=" + type_, "-f", "-"],
                             input="SELECT encode(payload, 'hex') FROM events.log WHERE "
                                   "stream = 'intake' AND aggregate_id = :'r' AND type = :'t' "
                                   "ORDER BY seq", capture_output=True, text=True, timeout=30)
        expect(out.returncode == 0, "psql: %s" % out.stderr.strip())
        return [bytes.fromhex(line) for line in out.stdout.split()]

    def open_ids():
        r = xr(Z["ts.supervisor"], pb.ListExchanges(open_only=True, page_size=200))
        return [x.exchange_id for x in r.exchanges]

    # ------------------------------------------------------------------ 办结(通过)

    def accept():
        xid, receipt = accepted("A")
        ex = get(xid)
        p2 = part(ex, 2)
        h = home_app(receipt)
        expect(receipt.startswith(TS_REGION) and h.item_code == TS_JOINT
               and h.state == pb.APPLICATION_STATE_ACCEPTED
               and h.handling == pb.HANDLING_TYPE_PROMISED
               and h.window_id == "xregion-" + TS_REGION, "local application: %s" % short(h, 700))
        expect(p2.HasField("due_at") and p2.due_at == h.due_at,
               "part due_at %s, the local application's %s" % (short(p2.due_at), short(h.due_at)))
        inst = instance(receipt, history=True)
        expect(inst.status == pb.PROCESS_STATUS_OPEN and inst.state == "accepted"
               and inst.definition_code == "promised-default" and inst.item_code == TS_JOINT
               and inst.department_code == args.dept
               and inst.application_state == pb.APPLICATION_STATE_ACCEPTED,
               "instance: %s" % short(inst, 800))
        first = inst.history[0] if inst.history else None
        expect(first is not None and first.action == "start" and
               first.caller_role == pb.ROLE_SYSTEM and first.actor == "zwfw-intake",
               "the process started from intake's event: %s" % short(first))
        expect(xid in open_ids(), "ListExchanges open_only lacks %s" % xid)
        st["A"] = dict(xid=xid, receipt=receipt)
        return "%s: local %s accepted (3, due %s), workflow instance %d in 'accepted' for %s; " \
               "exchange open" % (xid, receipt, fmt(p2.due_at), inst.id, args.dept)

    ok = checks.run("W1 a local 承诺件 of a 多地联办 exchange: accepted by the local intake, "
                    "its workflow process started, the part SUBMITTED 3", accept)

    def review():
        a = st["A"]
        r = act("ts.approver", a["receipt"], "start_review")
        expect(r.instance.state == "review" and
               r.instance.application_state == pb.APPLICATION_STATE_PROCESSING,
               "Act start_review: %s" % short(r.instance, 600))
        ex = wait_ex(a["xid"], at(2, pb.PART_STAGE_SUBMITTED, pb.APPLICATION_STATE_PROCESSING),
                     "local part SUBMITTED 8")
        expect(not ex.done and part(ex, 2).receipt_number == a["receipt"], short(ex, 800))
        expect(home_app(a["receipt"]).state == pb.APPLICATION_STATE_PROCESSING,
               "local application")
        return "approver's start_review -> application 8 部门开始办理 -> part SUBMITTED 8"

    ok = ok and checks.run("W2 workflow's 8 部门开始办理 reaches the local part", review)

    def approve():
        a = st["A"]
        r = act("ts.approver", a["receipt"], "submit", "材料齐全")
        expect(r.instance.state == "decision", "Act submit: %s" % short(r.instance, 600))
        # approve names only head (docs: the shipped definition)
        expect_error(lambda: act("ts.approver", a["receipt"], "approve"),
                     "PERMISSION_DENIED", "role")
        r = act("ts.head", a["receipt"], "approve")
        expect(r.instance.status == pb.PROCESS_STATUS_CLOSED and
               r.instance.outcome == pb.PROCESS_OUTCOME_APPROVED, short(r.instance, 600))
        ex = wait_ex(a["xid"], at(2, pb.PART_STAGE_CLOSED, pb.APPLICATION_STATE_APPROVED),
                     "local part CLOSED 11")
        p2 = part(ex, 2)
        expect(ex.done, "both parts CLOSED but done false: %s" % short(ex, 800))
        expect(p2.receipt_number == a["receipt"] and not p2.HasField("error"), short(p2))
        expect(home_app(a["receipt"]).state == pb.APPLICATION_STATE_APPROVED, "local application")
        states = part2_states(ex)
        expect(subsequence([pb.APPLICATION_STATE_ACCEPTED, pb.APPLICATION_STATE_PROCESSING,
                            pb.APPLICATION_STATE_APPROVED], states),
               "history of part 2: %s" % [AN(s) for s in states])
        last = [s for s in ex.history if s.part_no == 2][-1]
        expect(last.stage == pb.PART_STAGE_CLOSED, "last step of part 2: %s" % short(last))
        expect(a["xid"] not in open_ids(), "a done exchange still in ListExchanges open_only")
        a["end"] = 11
        # the case is closed: FAILED_PRECONDITION status (step 4)
        expect_error(lambda: act("ts.head", a["receipt"], "extend", "再延期"),
                     "FAILED_PRECONDITION", "status")
        # the closed part takes no withdrawal (FAILED_PRECONDITION part_no)
        expect_error(lambda: xr(Z["ts.window"], pb.WithdrawExchange(
            idempotency_key=key("wd-closed"), actor="潼南窗口:李四", exchange_id=a["xid"],
            part_no=2, reason="已办结")), "FAILED_PRECONDITION", "part_no")
        return "submit (approver), approve (approver: PERMISSION_DENIED role; head: done) -> " \
               "11 -> part CLOSED 11, exchange done, not open; history of part 2 %s" % (
                   [AN(s)[18:] for s in states])

    ok = ok and checks.run("W3 the head's approve: 办结(通过) closes the local part (11) and, the "
                           "Meishan part closed, the exchange is done", approve)

    def revoke():
        a = st["A"]
        r = act("ts.head", a["receipt"], "revoke", "申请人提供虚假材料")
        expect(r.instance.outcome == pb.PROCESS_OUTCOME_REVOKED, short(r.instance, 600))
        ex = wait_ex(a["xid"], at(2, pb.PART_STAGE_CLOSED, pb.APPLICATION_STATE_REVOKED),
                     "local part CLOSED 15")
        expect(ex.done, short(ex, 600))
        expect(home_app(a["receipt"]).state == pb.APPLICATION_STATE_REVOKED, "local application")
        a["end"] = 15
        return "the head revokes after 办结 -> 15 撤销 reaches the closed part; exchange still done"

    ok and checks.run("W4 a revocation after 办结 (15) is a later change that moves the closed "
                      "local part on", revoke)

    # ------------------------------------------------------------------ 补正, 办结(不通过)

    def supplement():
        xid, receipt = accepted("B")
        st["B"] = dict(xid=xid, receipt=receipt)
        act("ts.approver", receipt, "start_review")
        expect_error(lambda: act("ts.approver", receipt, "request_supplement", "   "),
                     "INVALID_ARGUMENT", "comment")
        reason = "住所证明已过期，请补正"
        r = act("ts.approver", receipt, "request_supplement", reason)
        expect(r.instance.state == "supplement", short(r.instance, 600))
        ex = wait_ex(xid, at(2, pb.PART_STAGE_SUBMITTED, pb.APPLICATION_STATE_SUPPLEMENT_START),
                     "local part SUBMITTED 6")
        st["B"]["due0"] = part(ex, 2).due_at.seconds
        # the applicant takes one working day to bring the material: the
        # 补正 pause holds the clocks (DOMAIN.md), so the due time moves
        Z["ts.operator"].call("zwfw.clock", pb.AdvanceClock(
            idempotency_key=key("clock"), actor="ops", workdays=1))
        r = xr(Z["ts.window"], pb.SupplementExchange(
            idempotency_key=key("supp"), actor="潼南窗口:李四", exchange_id=xid, part_no=2,
            materials=[material(pb, "M03", "合法稳定住所证明（新）", "B-supp",
                                item_code=TS_JOINT)]))
        expect(part(r.exchange, 2).actions_sent == 1, short(part(r.exchange, 2)))
        ex = wait_ex(xid, lambda e: part(e, 2).actions_answered == 1 and
                     part(e, 2).state == pb.APPLICATION_STATE_SUPPLEMENT_END,
                     "supplement answered, local part at 7")
        p2 = part(ex, 2)
        expect(p2.stage == pb.PART_STAGE_SUBMITTED and not p2.HasField("last_action_error"),
               short(p2))
        inst = instance(receipt)
        expect(inst.state == "review" and inst.status == pb.PROCESS_STATUS_OPEN,
               "after the supplied materials: %s" % short(inst, 600))
        return "request_supplement -> part 6; SupplementExchange -> the local intake -> " \
               "workflow's supplied -> back in review, part 7, action answered"

    ok = checks.run("W5 补正 of the local part: workflow's 6, the materials by "
                    "SupplementExchange, workflow's 7", supplement)

    def due_moved():
        b = st["B"]
        inst = instance(b["receipt"])
        promised = [c for c in inst.clocks if c.kind == pb.CLOCK_KIND_PROMISED and not c.branch]
        h = home_app(b["receipt"])
        expect(promised and promised[0].due_at.seconds == h.due_at.seconds > b["due0"],
               "the pause should move the promised due time from %s: workflow %s, the local "
               "application %s" % (fmt_s(b["due0"]), promised and fmt(promised[0].due_at),
                                   fmt(h.due_at)))
        b["due1"] = h.due_at.seconds
        return "promised due %s -> %s after one working day of 补正 (the budget starts the " \
               "working day after acceptance), in workflow and on the local application" % (
                   fmt_s(b["due0"]), fmt(h.due_at))

    ok5 = ok and checks.run("W5b the 补正 pause moves the promised due time: workflow's clock "
                            "and the local application agree", due_moved)

    def part_due():
        # protocol.md: ExchangePart.due_at is the home application's promised
        # due time as it stands now; the 7 that ends the pause comes to
        # zwfw-xregion as intake's ApplicationStateChanged, which carries the
        # moved due time, in the same event that moved the part to 7 (W5
        # waited for it), so there is nothing more to wait for here
        b = st["B"]
        p2 = part(get(b["xid"]), 2)
        h = home_app(b["receipt"])
        expect(p2.HasField("due_at") and p2.due_at.seconds == h.due_at.seconds == b["due1"],
               "part due_at %s, the local application's %s (before the pause %s)" % (
                   p2.HasField("due_at") and fmt(p2.due_at), fmt(h.due_at), fmt_s(b["due0"])))
        expect(p2.state == pb.APPLICATION_STATE_SUPPLEMENT_END, short(p2))
        # what carried it: intake's ApplicationStateChanged (events.md, "The
        # intake stream"), each with the due times as they stood after it
        changed = [pb.ApplicationStateChanged.FromString(raw) for raw in intake_events(
            b["receipt"], "zwfw.v1.ApplicationStateChanged")]
        by_state = {e.state: e for e in changed}
        end, start = (by_state.get(pb.APPLICATION_STATE_SUPPLEMENT_END),
                      by_state.get(pb.APPLICATION_STATE_SUPPLEMENT_START))
        expect(end is not None and start is not None,
               "ApplicationStateChanged states %s" % [AN(e.state) for e in changed])
        expect(end.source == "workflow" and end.HasField("due_at") and
               end.due_at.seconds == b["due1"] and end.HasField("statutory_due_at") and
               end.statutory_due_at.seconds == h.statutory_due_at.seconds,
               "the 7: %s; the application's statutory due %s" % (short(end, 400),
                                                                  fmt(h.statutory_due_at)))
        expect(start.HasField("due_at") and start.due_at.seconds == b["due0"],
               "the 6 carries the due time before the pause: %s" % short(start, 400))
        return "part due %s -> %s with the 7 that ended the pause, as the local application " \
               "and workflow's promised clock; intake's ApplicationStateChanged 6 carried %s, " \
               "7 %s (statutory %s)" % (fmt_s(b["due0"]), fmt(p2.due_at), fmt(start.due_at),
                                       fmt(end.due_at), fmt(end.statutory_due_at))

    ok5 and checks.run("W5c the part's due_at follows the 补正 pause: the moved due time, "
                       "as the local application's and workflow's", part_due)

    def reject():
        b = st["B"]
        act("ts.approver", b["receipt"], "submit")
        expect_error(lambda: act("ts.head", b["receipt"], "reject", ""), "INVALID_ARGUMENT",
                     "comment")
        r = act("ts.head", b["receipt"], "reject", "不符合户口迁入条件")
        expect(r.instance.status == pb.PROCESS_STATUS_CLOSED and
               r.instance.outcome == pb.PROCESS_OUTCOME_REJECTED, short(r.instance, 600))
        ex = wait_ex(b["xid"], at(2, pb.PART_STAGE_CLOSED, pb.APPLICATION_STATE_REJECTED),
                     "local part CLOSED 13")
        expect(ex.done, "done false: %s" % short(ex, 800))
        expect(home_app(b["receipt"]).state == pb.APPLICATION_STATE_REJECTED, "local application")
        states = part2_states(ex)
        expect(subsequence([pb.APPLICATION_STATE_ACCEPTED, pb.APPLICATION_STATE_PROCESSING,
                            pb.APPLICATION_STATE_SUPPLEMENT_START,
                            pb.APPLICATION_STATE_SUPPLEMENT_END,
                            pb.APPLICATION_STATE_REJECTED], states),
               "history of part 2: %s" % [AN(s) for s in states])
        b["end"] = 13
        return "reject (head, reason) -> 13 办结(不通过) -> part CLOSED 13, exchange done; " \
               "history %s" % [AN(s)[18:] for s in states]

    ok = ok and checks.run("W6 the head's reject: 办结(不通过) closes the local part (13), the "
                           "exchange done", reject)

    def reject_reason():
        # DOMAIN.md: the home authority decides and returns the result; a
        # 不予许可 without its reason tells the applicant nothing. The reject's
        # comment travels workflow's ProcessCompleted.reason -> intake's
        # ApplicationCompleted.reason -> the part's reason (protocol.md,
        # "Cross-region exchange"); the part is CLOSED already (W6), so the
        # reason came with the same event
        b = st["B"]
        why = "不符合户口迁入条件"
        p2 = part(get(b["xid"]), 2)
        expect(p2.state == pb.APPLICATION_STATE_REJECTED and p2.reason == why,
               "the part's reason %r, the reject's %r: %s" % (p2.reason, why, short(p2, 600)))
        done = [pb.ApplicationCompleted.FromString(raw) for raw in intake_events(
            b["receipt"], "zwfw.v1.ApplicationCompleted")]
        expect(len(done) == 1 and done[0].state == pb.APPLICATION_STATE_REJECTED and
               done[0].reason == why, "intake's ApplicationCompleted: %s" % [
                   short(e, 400) for e in done])
        last = home_app(b["receipt"]).history[-1]
        expect(last.state == pb.APPLICATION_STATE_REJECTED and why in last.note,
               "the local application's last history entry: %s" % short(last, 300))
        return "part reason %r = ApplicationCompleted.reason; history note %r" % (p2.reason,
                                                                                last.note)

    ok and checks.run("W6b the reject's reason reaches the closed local part", reject_reason)

    # ------------------------------------------------------------------ withdrawal

    def withdraw():
        xid, receipt = accepted("C")
        st["C"] = dict(xid=xid, receipt=receipt)
        r = xr(Z["ts.window"], pb.WithdrawExchange(
            idempotency_key=key("wd"), actor="潼南窗口:李四", exchange_id=xid, part_no=0,
            reason="申请人不再迁移户口"))
        expect([p.actions_sent for p in r.exchange.parts] == [0, 1],
               "part 0 sent to the open parts only: actions_sent %s" %
               [p.actions_sent for p in r.exchange.parts])
        ex = wait_ex(xid, lambda e: at(2, pb.PART_STAGE_CLOSED, pb.APPLICATION_STATE_WITHDRAWN)(e)
                     and part(e, 2).actions_answered >= 1,
                     "local part CLOSED 14, the withdrawal answered")
        p2 = part(ex, 2)
        expect(p2.actions_answered == 1 and not p2.HasField("last_action_error"), short(p2))
        expect(ex.done, "done false: %s" % short(ex, 800))
        expect(home_app(receipt).state == pb.APPLICATION_STATE_WITHDRAWN, "local application")
        inst = instance(receipt, history=True)
        last = inst.history[-1] if inst.history else None
        expect(inst.outcome == pb.PROCESS_OUTCOME_WITHDRAWN and last is not None and
               last.action == "withdraw" and last.caller_role == pb.ROLE_SYSTEM,
               "instance: %s" % short(inst, 1200))
        st["C"]["end"] = 14
        # the applicant's reason, not an event type name, on intake's
        # ApplicationWithdrawn and so on the part
        why = "申请人不再迁移户口"
        gone = [pb.ApplicationWithdrawn.FromString(raw) for raw in intake_events(
            receipt, "zwfw.v1.ApplicationWithdrawn")]
        expect(len(gone) == 1 and gone[0].state == pb.APPLICATION_STATE_WITHDRAWN and
               gone[0].reason == why, "intake's ApplicationWithdrawn: %s" % [
                   short(e, 400) for e in gone])
        expect(p2.reason == why, "the part's reason %r, the withdrawal's %r" % (p2.reason, why))
        return "WithdrawExchange after acceptance -> the local intake -> workflow's withdraw " \
               "(actor %s) -> 14 -> part CLOSED 14 with the reason %r, exchange done" % (
                   last.actor, p2.reason)

    ok and checks.run("W7 a withdrawal after acceptance goes on to the local workflow: 撤回 "
                      "(14) closes the local part", withdraw)


    # ------------------------------------------------------------------ events

    def events():
        out = subprocess.run(["psql", args.ts_db, "-AtX", "-F", "|", "-c",
                              "SELECT type, encode(payload, 'hex') FROM events.log "
                              "WHERE stream = 'xregion' ORDER BY seq"],
                             capture_output=True, text=True, timeout=30)
        expect(out.returncode == 0, "psql: %s" % out.stderr.strip())
        rows = [line.split("|", 1) for line in out.stdout.splitlines()]
        expect(rows and all(t == "zwfw.v1.ExchangeChanged" for t, _ in rows),
               "types %s" % sorted({t for t, _ in rows}))
        evs = [(pb.ExchangeChanged.FromString(bytes.fromhex(h)), bytes.fromhex(h)) for _, h in rows]
        seen = {}
        # the flows the checks above saw through to their end
        for tag, want in (("A", [3, 8, 11, 15]), ("A", [3, 8, 11]), ("B", [3, 8, 6, 7, 13]),
                          ("C", [3, 14])):
            x = st.get(tag, {})
            if x.get("end") != want[-1] or tag in seen:
                continue
            mine = [e for e, _ in evs if e.exchange_id == x["xid"] and e.part_no == 2]
            states = [e.state for e in mine if e.state]
            expect(subsequence(want, states), "%s part 2: states %s, expected in order %s" % (
                x["xid"], states, want))
            final = [e for e in mine if e.state == want[-1]]
            expect(all(e.stage == pb.PART_STAGE_CLOSED and e.region == TS_REGION
                       and e.direction == pb.EXCHANGE_DIRECTION_OUTBOUND
                       and e.mode == pb.CROSS_MODE_JOINT and e.receipt_number == x["receipt"]
                       for e in final), "%s: %s" % (x["xid"], [short(e) for e in final]))
            seen[tag] = states
        expect(seen, "no exchange of this run to look at")
        for _, raw in evs:
            expect("联办审批".encode() not in raw, "an ExchangeChanged carries the applicant's name")
        return "ExchangeChanged states of the local parts: %s" % seen

    checks.run("W8 every state workflow decided for a local part is an ExchangeChanged on "
               "stream xregion (CLOSED with the local receipt), no personal data", events)

    def done_from_parts():
        # GetExchange reads the exchange row, then its parts, outside one
        # snapshot: a part closed between the two reads came back CLOSED
        # beside a `done` still false (seen in test_cli_xregion). Here the
        # row is made to say what such a reader saw before that commit;
        # `done` must still follow the parts in the same reply.
        c = st["C"]

        def set_done(v):
            out = subprocess.run(["psql", args.ts_db, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c",
                                  "UPDATE xregion.exchanges SET done = %s WHERE exchange_id = '%s'"
                                  % (v, c["xid"])], capture_output=True, text=True, timeout=30)
            expect(out.returncode == 0, "psql: %s" % out.stderr.strip())

        set_done("false")
        try:
            ex = get(c["xid"])
            lst = [x for x in xr(Z["ts.supervisor"], pb.ListExchanges(page_size=200)).exchanges
                   if x.exchange_id == c["xid"]]
        finally:
            set_done("true")
        expect(all(p.stage in (pb.PART_STAGE_CLOSED, pb.PART_STAGE_REJECTED) for p in ex.parts)
               and ex.done, "parts %s with done %s" % ([SN(p.stage) for p in ex.parts], ex.done))
        expect(len(lst) == 1 and lst[0].done, "ListExchanges: %s" % [short(x) for x in lst])
        return "every part CLOSED: done true in GetExchange and ListExchanges, whatever the " \
               "row read a moment before said"

    st.get("C", {}).get("end") and checks.run(
        "W9 an exchange's done agrees with the parts of the same reply", done_from_parts)

    # ------------------------------------------------------------------ the partner's view

    def ms_get(xid):
        return get(xid, "ms.window")

    def ms_wait(xid, pred, what):
        end = time.monotonic() + WAIT
        while True:
            ex = ms_get(xid)
            if pred(ex):
                return ex
            if time.monotonic() > end:
                raise AssertionError("%s: not so after %d s: %s" % (what, WAIT, short(ex, 1500)))
            time.sleep(0.1)

    def partner_due():
        """The mirror of W5: a joint exchange received in Meishan whose
        part 1 is Tongnan's 承诺件, decided by Tongnan's workflow; Meishan
        (the origin) sees the part only through Tongnan's XrStatus."""
        mats = [material(pb, "M01", "申请表", "P"),
                material(pb, "M02", "户口簿", "P", item_code=ms_joint),
                material(pb, "M02", "申请人身份证明", "P", item_code=TS_JOINT),
                material(pb, "M03", "合法稳定住所证明", "P", item_code=TS_JOINT)]
        ex = xr(Z["ms.window"], pb.ForwardApplication(
            idempotency_key=key("ms-fwd"), actor="眉山窗口:王五", mode=pb.CROSS_MODE_JOINT,
            parts=[pb.ForwardPart(region=TS_REGION, item_code=TS_JOINT),
                   pb.ForwardPart(region=MS_REGION, item_code=ms_joint)],
            channel=pb.CHANNEL_WINDOW, window_id="MS-W03", applicant=person("P"),
            materials=mats, identity_checked=True, note="多地联办：潼南承诺件")).exchange
        xid = ex.exchange_id
        expect(xid.startswith("XR" + MS_REGION), "exchange id %s" % xid)
        ex = ms_wait(xid, lambda e: at(1, pb.PART_STAGE_SUBMITTED, pb.APPLICATION_STATE_ACCEPTED)(e)
                     and at(2, pb.PART_STAGE_CLOSED, pb.APPLICATION_STATE_APPROVED)(e),
                     "at Meishan: Tongnan's part SUBMITTED 3, the local part CLOSED 11")
        receipt = part(ex, 1).receipt_number
        due0 = part(ex, 1).due_at
        expect(part(ex, 1).HasField("due_at") and due0 == home_app(receipt).due_at,
               "Meishan's part due_at %s, Tongnan's application %s" % (
                   short(due0), short(home_app(receipt).due_at)))
        instance(receipt)
        act("ts.approver", receipt, "start_review")
        act("ts.approver", receipt, "request_supplement", "请补正住所证明")
        ms_wait(xid, at(1, pb.PART_STAGE_SUBMITTED, pb.APPLICATION_STATE_SUPPLEMENT_START),
                "at Meishan: the part SUBMITTED 6")
        Z["ts.operator"].call("zwfw.clock", pb.AdvanceClock(
            idempotency_key=key("ms-clock"), actor="ops", workdays=1))
        r = xr(Z["ms.window"], pb.SupplementExchange(
            idempotency_key=key("ms-supp"), actor="眉山窗口:王五", exchange_id=xid, part_no=1,
            materials=[material(pb, "M03", "合法稳定住所证明（新）", "P-supp",
                                item_code=TS_JOINT)]))
        expect(part(r.exchange, 1).actions_sent == 1, short(part(r.exchange, 1)))
        ex = ms_wait(xid, lambda e: part(e, 1).actions_answered == 1 and
                     part(e, 1).state == pb.APPLICATION_STATE_SUPPLEMENT_END,
                     "at Meishan: the supplement answered, the part at 7")
        p1 = part(ex, 1)
        h = home_app(receipt)
        promised = [c for c in instance(receipt).clocks
                    if c.kind == pb.CLOCK_KIND_PROMISED and not c.branch]
        home = part(xr(Z["ts.supervisor"], pb.GetExchange(exchange_id=xid)).exchange, 1)
        expect(h.due_at.seconds > due0.seconds and promised and
               promised[0].due_at.seconds == h.due_at.seconds,
               "Tongnan: the pause should move the due time from %s: application %s, workflow "
               "%s" % (fmt(due0), fmt(h.due_at), promised and fmt(promised[0].due_at)))
        expect(home.HasField("due_at") and home.due_at.seconds == h.due_at.seconds,
               "Tongnan's inbound part due_at %s, its application %s" % (
                   home.HasField("due_at") and fmt(home.due_at), fmt(h.due_at)))
        expect(p1.HasField("due_at") and p1.due_at.seconds == h.due_at.seconds,
               "Meishan's part due_at %s, Tongnan's application %s (before the pause %s)" % (
                   p1.HasField("due_at") and fmt(p1.due_at), fmt(h.due_at), fmt(due0)))
        st["P"] = dict(xid=xid, receipt=receipt)
        return "%s forwarded from Meishan: Tongnan's %s due %s -> %s after one working day of " \
               "补正; Meishan's part, Tongnan's inbound part, application and workflow agree" % (
                   xid, receipt, fmt(due0), fmt(p1.due_at))

    okp = checks.run("W10 a partner's 承诺件 (Tongnan's, forwarded from Meishan): the due "
                     "time the 补正 pause moved reaches the origin in the XrStatus", partner_due)

    def partner_reject():
        x = st["P"]
        act("ts.approver", x["receipt"], "submit")
        # a comment of two lines: an XrStatus reason is one line of text
        # (the origin refuses control characters), so it arrives with a space
        act("ts.head", x["receipt"], "reject", "不符合户口迁入条件\n详见不予许可决定书")
        ex = ms_wait(x["xid"], at(1, pb.PART_STAGE_CLOSED, pb.APPLICATION_STATE_REJECTED),
                     "at Meishan: the part CLOSED 13")
        expect(ex.done, "done false at Meishan: %s" % short(ex, 800))
        why = "不符合户口迁入条件 详见不予许可决定书"
        p1 = part(ex, 1)
        home = part(xr(Z["ts.supervisor"], pb.GetExchange(exchange_id=x["xid"])).exchange, 1)
        expect(home.reason == why and p1.reason == why,
               "the reason at Tongnan %r, at Meishan %r, expected %r" % (home.reason, p1.reason,
                                                                        why))
        return "Tongnan's head rejects -> 13 -> Meishan's part CLOSED 13 with the reason %r " \
               "(the XrStatus), its exchange done" % p1.reason

    okp and checks.run("W10b Tongnan's 办结(不通过) of the partner's part reaches the origin",
                       partner_reject)


def main():
    ap = argparse.ArgumentParser(prog="xregion_local_workflow.py")
    ap.add_argument("--gen", required=True)
    ap.add_argument("--dept", required=True, help="the local item's department")
    ap.add_argument("--ts-db", required=True, help="conninfo of Tongnan's database")
    ap.add_argument("--ep", action="append", required=True, help="D.ROLE=ENDPOINT")
    ap.add_argument("--wait", type=float, default=0)
    args = ap.parse_args()
    pb = load_pb(args.gen, ("common", "catalog", "intake", "workflow", "xregion"))
    ctx = zmq.Context()
    Z = {}
    for spec in args.ep:
        name, ep = spec.split("=", 1)
        Z[name] = Zwfw(MdpClient(ctx, ep, 7000), pb, name, name.split(".", 1)[1])
    for need in ("ts.window", "ts.approver", "ts.head", "ts.supervisor", "ts.operator",
                 "ms.window"):
        if need not in Z:
            zwfw_py.die("no --ep for %s" % need)
    if args.wait > 0:
        zwfw_py.wait_served({k: z for k, z in Z.items() if k.startswith("ts.")},
                            ("zwfw.xregion", "zwfw.intake", "zwfw.workflow"), args.wait)
        zwfw_py.wait_served({k: z for k, z in Z.items() if k.startswith("ms.")},
                            ("zwfw.xregion", "zwfw.intake"), args.wait)
    return zwfw_py.run_scenario(ctx, Z, lambda checks: scenario(args, pb, Z, checks))


if __name__ == "__main__":
    sys.exit(main())
