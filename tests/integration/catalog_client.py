#!/usr/bin/python3
"""Interop audit of zwfw.catalog from outside, as an engineer of another
government system (or the province's catalog platform) would write it: from
docs/protocol.md, proto/zwfw/v1/*.proto, DOMAIN.md "Service items" and
DESIGN.md alone, with Debian's python3-zmq and python3-protobuf and code that
`protoc --python_out` generates at test time. Nothing here comes from zwfw's
C code.

  catalog_client.py --gen DIR --operator EP --window EP --integrator EP \\
                    --supervisor EP --approver EP --sample CATALOG.json

Findings of the first run (2026-11-28), all settled since: an empty
idempotency key was this client's own bug (it sent a fresh key); a page
token now belongs to its query (H3); a blank cancel reason is refused (I1);
a bundle refused for a cancelled item says so (J5); 1 working day against 7
hours is refused by the documented rule (working days run from the next
working day: C1b), and the message now says why; the implementation code's
third and last fields are checked as digits only (protocol.md), so "001"
there is accepted.

Each EP is a plain-mode zwfw-broker whose one identity has that role
(approver: of department 11500152MB17035173). Prints PASS/FAIL per check
(a failing check is a finding), NOTE for observations the documents leave
open (never counted), and "N passed, M failed"; exits 1 when any check
fails, 2 when it cannot start. The MDP client, the schemas and the check
runner are the shared zwfw_py.py.
"""
import argparse
import datetime
import json
import sys
import uuid

import zwfw_py
from zwfw_py import (CST, USCC_CS, USCC_W, ZwfwError, expect, expect_error, expect_error_any,
                     json_format, load_pb, zmq)


# ---------------------------------------------------------------- identities

def uscc_check(code):
    """True when an 18-character USCC carries its GB 32100 check character."""
    if len(code) != 18 or any(c not in USCC_CS for c in code):
        return False
    s = sum(USCC_CS.index(c) * w for c, w in zip(code[:17], USCC_W))
    return code[17] == USCC_CS[(31 - s % 31) % 31]


def wrong_last(code, alphabet="0123456789"):
    for c in alphabet:
        if c != code[-1]:
            return code[:-1] + c
    raise AssertionError("no other character")



# ---------------------------------------------------------------- helpers

def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def ld(field, data):
    """A length-delimited protobuf field, built by hand (for bytes that a
    protobuf library refuses to put in a string: invalid UTF-8)."""
    return varint(field << 3 | 2) + varint(len(data)) + data


class Raw:
    """A request whose payload is given as bytes, sent under a type name."""

    class _D:
        def __init__(self, name):
            self.full_name = name

    def __init__(self, type_name, payload):
        self.DESCRIPTOR = Raw._D(type_name)
        self.payload = payload

    def SerializeToString(self):
        return self.payload


def key():
    return "cat-" + uuid.uuid4().hex


ACTOR = "运维:赵六"
DEPT = "11500152MB17035173"       # a valid USCC (the sample's market regulator)
DEPT2 = "11500152MB17028483"      # another department of the sample (health)
REGION12 = "500152000000"


def impl(basic, dept=DEPT, region=REGION12):
    return "%s-%s-000-%s-1-00" % (basic, region, dept)


def at(y, mo, d, h=0, mi=0):
    CST = datetime.timezone(datetime.timedelta(hours=8))
    return int(datetime.datetime(y, mo, d, h, mi, tzinfo=CST).timestamp())


def scenario(args, pb, cl, checks):
    op, win, itg, sup, apr = (cl[k] for k in ("operator", "window", "integrator",
                                              "supervisor", "approver"))
    WD, HR = pb.LIMIT_UNIT_WORKDAYS, pb.LIMIT_UNIT_HOURS
    PROM, IMM = pb.HANDLING_TYPE_PROMISED, pb.HANDLING_TYPE_IMMEDIATE
    sample = json.load(open(args.sample, encoding="utf-8"))
    st = {}

    def cat(z, msg):
        return z.call("zwfw.catalog", msg)

    def put(item, k=None, actor=ACTOR, z=None):
        return cat(z or op, pb.PutItem(idempotency_key=k if k is not None else key(), actor=actor,
                                       item=item))

    def get(code, version=0, z=None):
        return cat(z or op, pb.GetItem(impl_code=code, version=version)).item

    def exists(code):
        try:
            get(code)
            return True
        except ZwfwError as e:
            expect(e.code == "NOT_FOUND", "GetItem %s: %s" % (code, e))
            return False

    def mk(basic, name, promised=(5, WD), statutory=(20, WD), dept=DEPT,
           region=REGION12, handling=PROM, typ=None):
        it = pb.Item(basic_code=basic, impl_code=impl(basic, dept, region), name=name,
                     type=typ or pb.ITEM_TYPE_LICENSING, department_code=dept,
                     department_name="重庆市潼南区市场监督管理局", region_code=region,
                     handling=handling, service_area="审计区")
        if promised:
            it.promised_limit.CopyFrom(pb.TimeLimit(amount=promised[0], unit=promised[1]))
        if statutory:
            it.statutory_limit.CopyFrom(pb.TimeLimit(amount=statutory[0], unit=statutory[1]))
        it.materials.add(code="M01", name="审计申请表", required=True,
                         form=pb.MATERIAL_FORM_EITHER, copies=1)
        return it

    def all_items(z, **flt):
        out, tok, pages = [], "", 0
        while True:
            r = cat(z, pb.ListItems(page_token=tok, **flt))
            out += list(r.items)
            pages += 1
            expect(pages < 1000, "pagination does not end")
            if not r.next_page_token:
                return out, pages
            tok = r.next_page_token

    def clock():
        op.call("zwfw.clock", pb.SetClock(idempotency_key=key(), actor=ACTOR,
                                          to=pb.Timestamp(seconds=at(2020, 9, 25, 10, 0))))
        return "set 2020-09-25 10:00"
    checks.run("A0 set the simulated clock", clock)

    # ============================================================ A. LoadCatalog
    load = json_format.ParseDict({"items": sample["items"], "bundles": sample["bundles"]},
                                 pb.LoadCatalog())
    n_items, n_bundles = len(sample["items"]), len(sample["bundles"])
    load.actor = ACTOR

    def load1():
        load.idempotency_key = "load-1"
        r = cat(op, load)
        st["load1"] = r
        expect(r.created in (n_items, n_items + n_bundles) and r.updated == 0 and
               r.unchanged == 0, "first load of %d items + %d bundles into an empty catalog: "
               "created %d updated %d unchanged %d" % (n_items, n_bundles, r.created, r.updated,
                                                      r.unchanged))
        return "created %d, updated 0, unchanged 0 (%s)" % (
            r.created, "bundles counted" if r.created > n_items else "items only")
    checks.run("A1 LoadCatalog of tongnan-sample.json into an empty catalog", load1)

    def load2():
        load.idempotency_key = "load-2"
        r = cat(op, load)
        total = st["load1"].created
        expect(r.created == 0 and r.updated == 0 and r.unchanged == total,
               "second load (new key): created %d updated %d unchanged %d, expected 0/0/%d" % (
                   r.created, r.updated, r.unchanged, total))
        return "second load with a new key: 0 created, 0 updated, %d unchanged" % r.unchanged
    checks.run("A2 LoadCatalog again is idempotent (counts)", load2)

    def load_replay():
        load.idempotency_key = "load-1"
        r = cat(op, load)
        expect((r.created, r.updated, r.unchanged) == (st["load1"].created, 0, 0),
               "replay of key load-1 answered %d/%d/%d, not the first result" % (
                   r.created, r.updated, r.unchanged))
        for it in sample["items"]:
            g = get(it["implCode"])
            expect(g.version == 1, "%s at version %d after two loads" % (it["implCode"],
                                                                         g.version))
        return "same key: first result again; every item still version 1"
    checks.run("A3 LoadCatalog replay with the same key", load_replay)

    def load_other_content():
        l2 = pb.LoadCatalog()
        l2.CopyFrom(load)
        l2.idempotency_key = "load-1"
        l2.items[0].name = "改过的名字"
        expect_error(lambda: cat(op, l2), "ALREADY_EXISTS", detail="idempotency_key")
        expect(get(l2.items[0].impl_code).name == sample["items"][0]["name"], "name changed")
        return "ALREADY_EXISTS idempotency_key, nothing changed"
    checks.run("A4 LoadCatalog key reused with other content", load_other_content)

    def load_one_bad():
        l2 = pb.LoadCatalog(idempotency_key=key(), actor=ACTOR)
        good = mk("500A9800100000", "整批测试一")
        bad = mk("500A9800200000", "整批测试二", promised=(30, WD), statutory=(20, WD))
        l2.items.extend([good, bad])
        e = expect_error(lambda: cat(op, l2), "INVALID_ARGUMENT")
        d = e.details.get("detail", "")
        expect("items[1]" in d and "promised_limit" in d,
               'detail should name items[1].promised_limit, got %r' % d)
        expect(not exists(good.impl_code), "the good item of a refused load was stored")
        return "INVALID_ARGUMENT %r; the good item was not stored (one transaction)" % d
    checks.run("A5 LoadCatalog with one bad item: whole load refused, field named",
               load_one_bad)

    # ============================================================ B. PutItem / versions
    X = mk("500A9900100000", "审计测试事项")
    XC = X.impl_code

    def create():
        r = put(X)
        expect(r.changed and r.item.version == 1, "changed %s version %d" % (r.changed,
                                                                              r.item.version))
        expect(r.item.status == pb.ITEM_STATUS_ACTIVE, "status %d" % r.item.status)
        expect(r.item.updated_at.seconds > 0, "no updated_at")
        return "version 1, ACTIVE, changed"
    checks.run("B1 PutItem creates version 1", create)

    def same_again():
        r = put(X)
        expect(not r.changed and r.item.version == 1,
               "identical put: changed %s version %d" % (r.changed, r.item.version))
        return "identical put with a new key: changed false, still version 1"
    checks.run("B2 PutItem identical again changes nothing", same_again)

    def new_version():
        X2 = pb.Item()
        X2.CopyFrom(X)
        X2.name = "审计测试事项(第二版)"
        r = put(X2)
        expect(r.changed and r.item.version == 2, "version %d" % r.item.version)
        X3 = pb.Item()
        X3.CopyFrom(X2)
        X3.promised_limit.amount = 3
        r3 = put(X3)
        expect(r3.item.version == 3, "third version %d" % r3.item.version)
        v1, v2, cur = get(XC, 1), get(XC, 2), get(XC)
        expect(v1.name == X.name and v1.version == 1, "v1: %s v%d" % (v1.name, v1.version))
        expect(v2.name == X2.name and v2.promised_limit.amount == 5, "v2 %s %d" % (
            v2.name, v2.promised_limit.amount))
        expect(cur.version == 3 and cur.promised_limit.amount == 3, "current v%d" % cur.version)
        e = expect_error(lambda: get(XC, 9), "NOT_FOUND")
        return "versions 1,2,3; GetItem version=1 and 2 read the old ones; v9 NOT_FOUND %s" % (
            e.details)
    checks.run("B3 PutItem new versions; old versions still readable", new_version)

    # every field of DOMAIN.md "Service items"
    FULL = pb.Item(
        basic_code="500A9900200000", impl_code=impl("500A9900200000"), name="全字段测试事项",
        type=pb.ITEM_TYPE_PUBLIC_SERVICE, department_code=DEPT,
        department_name="重庆市潼南区市场监督管理局", region_code=REGION12, handling=PROM,
        statutory_limit=pb.TimeLimit(amount=20, unit=WD),
        promised_limit=pb.TimeLimit(amount=10, unit=HR),
        online=True, max_visits=1, fee=pb.Money(currency="CNY", fen=12345),
        cross_scope=pb.CROSS_SCOPE_CHUANYU, cross_mode=pb.CROSS_MODE_PROXY,
        partner_regions=["511400", "512000"], service_area="市场准入区",
        commitment_allowed=True)
    FULL.materials.add(code="M01", name="申请书", required=True, waivable=False,
                       form=pb.MATERIAL_FORM_PAPER, copies=2, original=True, note="签字")
    FULL.materials.add(code="M02", name="场所证明", required=True, waivable=True,
                       form=pb.MATERIAL_FORM_ELECTRONIC, copies=1, original=False,
                       note="容缺：5个工作日内补交")
    FULL.materials.add(code="M03", name="补充说明", required=False, waivable=False,
                       form=pb.MATERIAL_FORM_EITHER, copies=0, note="")

    def roundtrip():
        r = put(FULL)
        for z, who in ((op, "operator"), (win, "window"), (itg, "integrator")):
            g = get(" " + FULL.impl_code.lower() + " ", z=z)
            for f in FULL.DESCRIPTOR.fields:
                if f.name in ("status", "version", "updated_at", "cancel_reason"):
                    continue
                a, b = getattr(FULL, f.name), getattr(g, f.name)
                if f.label == f.LABEL_REPEATED:
                    a, b = list(a), list(b)
                expect(a == b, "%s read by %s: field %s sent %r got %r" % (
                    FULL.impl_code, who, f.name, a, b))
        expect(r.item.version == 1 and r.item.status == pb.ITEM_STATUS_ACTIVE, "v/status")
        return "all %d writable fields, every material field, read back by 3 roles" % (
            len(FULL.DESCRIPTOR.fields) - 4)
    checks.run("B4 every DOMAIN.md item field round-trips", roundtrip)

    # ============================================================ C. limits
    def limits_refused():
        out = []
        cases = [
            ("6 wd > 5 wd", (6, WD), (5, WD)),
            ("8 h > 1 wd (7 working hours a day, DESIGN.md Time)", (8, HR), (1, WD)),
            ("2 wd > 10 h", (2, WD), (10, HR)),
            ("5 h > 4 h", (5, HR), (4, HR)),
        ]
        for i, (what, p, s) in enumerate(cases):
            it = mk("500A97%08d" % (i + 1), "时限测试%d" % i, promised=p, statutory=s)
            e = expect_error(lambda: put(it), "INVALID_ARGUMENT")
            d = e.details.get("detail", "")
            expect("promised_limit" in d, "%s: detail %r" % (what, d))
            expect(not exists(it.impl_code), "%s: item stored anyway" % what)
            out.append(what)
        return "refused (promised_limit): " + "; ".join(out)
    checks.run("C1 promised limit longer than statutory refused (units compared)",
               limits_refused)

    def limits_ok():
        # protocol.md "Limits": working days run from the working day after
        # acceptance, hours from acceptance; so 1 working day can end later
        # than 7 hours (C1b), while 7 hours never ends after 1 working day.
        ok = [((4, HR), (15, WD)), ((7, HR), (1, WD)), ((1, WD), (14, HR)), ((20, WD), (20, WD))]
        bad = []
        for i, (p, s) in enumerate(ok):
            it = mk("500A96%08d" % (i + 1), "时限合规%d" % i, promised=p, statutory=s)
            try:
                r = put(it)
            except ZwfwError as e:
                bad.append("promised %s statutory %s refused: %s" % (p, s, e))
                continue
            expect(r.item.promised_limit.amount == p[0] and r.item.promised_limit.unit == p[1],
                   "limits changed")
        expect(not bad, "; ".join(bad))
        return "4h<=15wd, 7h<=1wd, 1wd<=14h, 20wd<=20wd accepted"
    checks.run("C2 promised <= statutory accepted across units", limits_ok)

    def days_against_hours():
        it = mk("500A9600009999", "时限日对时", promised=(1, WD), statutory=(7, HR))
        e = expect_error(lambda: put(it), "INVALID_ARGUMENT")
        expect("promised_limit" in e.details.get("detail", ""), "%s" % e.details)
        expect(not exists(it.impl_code), "stored anyway")
        return "1 working day against 7 hours: %s" % e.err.message
    checks.run("C1b 1 working day can end after 7 hours from acceptance: refused",
               days_against_hours)

    def natural_days():
        # LimitUnit has no natural (calendar) days: value 3 is not in the enum,
        # 0 is UNSPECIFIED. Neither may be stored as a limit with an amount.
        out = []
        for i, (unit, fld) in enumerate(((3, "promised_limit"), (0, "promised_limit"),
                                         (3, "statutory_limit"))):
            it = mk("500A95%08d" % (i + 1), "单位测试%d" % i)
            getattr(it, fld).unit = unit
            e = expect_error(lambda: put(it), "INVALID_ARGUMENT")
            d = e.details.get("detail", "")
            expect(fld in d, "unit %d in %s: detail %r" % (unit, fld, d))
            out.append("%s.unit=%d -> %s" % (fld, unit, d))
        it = mk("500A9500000009", "负时限", promised=(-1, WD))
        e = expect_error(lambda: put(it), "INVALID_ARGUMENT")
        expect("promised_limit" in e.details.get("detail", ""), "negative: %s" % e.details)
        return "; ".join(out) + "; amount -1 refused"
    checks.run("C3 natural days / unspecified / unknown units and negative amounts refused",
               natural_days)

    def promised_needs_limit():
        it = mk("500A9500000010", "承诺件无时限", promised=None, statutory=(20, WD))
        e = expect_error(lambda: put(it), "INVALID_ARGUMENT")
        expect("promised_limit" in e.details.get("detail", ""), "%s" % e.details)
        return "承诺件 without a promised limit: INVALID_ARGUMENT %s" % e.details["detail"]
    checks.run("C4 a 承诺件 needs a promised limit", promised_needs_limit)

    # ============================================================ D. codes
    def code_cases():
        good = uscc_check(DEPT)
        expect(good, "test setup: DEPT is not a valid USCC")
        bad_dept = wrong_last(DEPT)
        base = "500A9400100000"
        cases = [
            ("impl code with 5 segments", dict(impl_code="%s-%s-000-%s-1" % (base, REGION12, DEPT)),
             "impl_code"),
            ("impl code basic part differs from basic_code",
             dict(impl_code=impl("500A9400200000")), "impl_code|basic_code"),
            ("division 6 digits in impl code",
             dict(impl_code="%s-500152-000-%s-1-00" % (base, DEPT)), "impl_code"),
            ("division in impl code differs from region_code",
             dict(impl_code=impl(base, region="500151000000")), "impl_code|region_code"),
            ("region_code not 12 digits", dict(region_code="500152"), "region_code|impl_code"),
            ("region_code not digits", dict(region_code="50015200000A",
                                            impl_code=impl(base, region="50015200000A")),
             "region_code|impl_code"),
            ("department USCC check character wrong",
             dict(department_code=bad_dept, impl_code=impl(base, dept=bad_dept)),
             "department_code|impl_code"),
            ("department in impl code differs from department_code",
             dict(impl_code=impl(base, dept=DEPT2)), "impl_code|department_code"),
            ("basic code 11 characters", dict(basic_code="500A9400100",
                                              impl_code=impl("500A9400100")), "basic_code|impl_code"),
            ("basic code 15 characters", dict(basic_code="500A94001000001",
                                              impl_code=impl("500A94001000001")),
             "basic_code|impl_code"),
        ]
        out, bad = [], []
        for what, changes, field in cases:
            it = mk(base, "编码测试")
            for k, v in changes.items():
                setattr(it, k, v)
            try:
                put(it)
            except ZwfwError as e:
                d = e.details.get("detail", "")
                if e.code != "INVALID_ARGUMENT" or not any(
                        d == f or d.endswith("." + f) for f in field.split("|")):
                    bad.append("%s: %s, expected INVALID_ARGUMENT %r" % (what, e, field))
                expect(not exists(it.impl_code), "%s: stored anyway" % what)
                out.append(what)
                continue
            g = get(it.impl_code)
            bad.append("%s: accepted (impl_code %r; stored basic_code %r)" % (
                what, it.impl_code, g.basic_code))
            cat(op, pb.CancelItem(idempotency_key=key(), actor=ACTOR, impl_code=it.impl_code,
                                  reason="审计清理"))
        expect(not bad, "%d of %d not refused: %s" % (len(bad), len(cases), " | ".join(bad)))
        return "%d malformed codes refused with the field named" % len(out)
    checks.run("D1 code validation (impl structure, division, USCC check, basic code)",
               code_cases)

    def other_division():
        # Another district's item (Meishan 511402) in Tongnan's catalog.
        b = "511A0138000000"
        it = mk(b, "外区事项", region="511402000000")
        try:
            put(it)
            return "an item of division 511402 was accepted into 500152's catalog"
        except ZwfwError as e:
            return "refused: %s %s" % (e.code, e.details)
    checks.note("D2 item of another division (511402000000)", other_division)

    def empty_basic():
        it = mk("500A9400300000", "空基本编码")
        it.basic_code = ""
        try:
            r = put(it)
            return "accepted; basic_code filled from the impl code: %r (undocumented)" % (
                r.item.basic_code)
        except ZwfwError as e:
            return "refused %s %s" % (e.code, e.details)
    checks.note("D3 PutItem with basic_code empty", empty_basic)

    # ============================================================ E. idempotency
    def idem():
        Y = mk("500A9300100000", "幂等测试")
        r1 = put(Y, k="idem-put-1")
        Y2 = pb.Item()
        Y2.CopyFrom(Y)
        Y2.name = "幂等测试(二)"
        r2 = put(Y2, k="idem-put-2")
        expect(r2.item.version == 2, "second version %d" % r2.item.version)
        again = put(Y, k="idem-put-1")
        expect(again.item.version == 1 and again.item.name == Y.name and again.changed,
               "replay of key idem-put-1 answered version %d %r changed %s, not the first "
               "result" % (again.item.version, again.item.name, again.changed))
        expect(get(Y.impl_code).version == 2, "replay changed the item")
        e = expect_error(lambda: put(Y2, k="idem-put-1"), "ALREADY_EXISTS",
                         detail="idempotency_key")
        expect(get(Y.impl_code).version == 2, "reuse changed the item")
        e2 = expect_error(lambda: cat(op, pb.CancelItem(idempotency_key="idem-put-2",
                                                        actor=ACTOR, impl_code=Y.impl_code,
                                                        reason="测试")),
                          "ALREADY_EXISTS", detail="idempotency_key")
        expect(get(Y.impl_code).status == pb.ITEM_STATUS_ACTIVE, "cancelled anyway")
        return "replay -> first result (v1); other content -> ALREADY_EXISTS; other type -> " \
               "ALREADY_EXISTS"
    checks.run("E1 idempotency key replay and reuse", idem)

    def idem_missing():
        Y = mk("500A9300200000", "无幂等键")
        try:
            r = put(Y, k="")
        except ZwfwError as e:
            expect(e.code == "INVALID_ARGUMENT" and e.details.get("detail") ==
                   "idempotency_key", "%s" % e)
            expect(not exists(Y.impl_code), "stored")
            return "empty key: INVALID_ARGUMENT idempotency_key"
        raise AssertionError("PutItem with idempotency_key \"\" accepted and stored: version "
                             "%d changed %s (GetItem: v%d)" % (r.item.version, r.changed,
                                                                get(Y.impl_code).version))
        return "empty key: INVALID_ARGUMENT idempotency_key"
    checks.run("E2 PutItem without an idempotency key", idem_missing)

    # ============================================================ F. GetItem codes
    def get_codes():
        c = XC
        for variant in (c.lower(), "  " + c + "  ", "\t" + c.lower() + "\n", c.swapcase()):
            g = get(variant, z=win)
            expect(g.impl_code == c, "%r -> %r" % (variant, g.impl_code))
        expect_error(lambda: get(c[:-1] + "1", z=win), "NOT_FOUND", detail="impl_code")
        expect_error(lambda: get("", z=win), "INVALID_ARGUMENT", detail="impl_code")
        return "lower/upper/space variants found, reply upper-case; unknown NOT_FOUND impl_code;" \
               " empty INVALID_ARGUMENT"
    checks.run("F1 GetItem matches codes regardless of case and spaces", get_codes)

    def put_lower():
        Z = mk("500a9300300000", "小写编码")
        r = put(Z)
        expect(r.item.impl_code == Z.impl_code.upper(), "stored as %r" % r.item.impl_code)
        expect(r.item.basic_code == Z.basic_code.upper(), "basic stored %r" % r.item.basic_code)
        r2 = put(mk("500A9300300000", "小写编码"))
        expect(r2.item.version == 1 and not r2.changed,
               "upper-case put of the same item made version %d" % r2.item.version)
        return "a lower-case put is stored upper-case; the upper-case put is the same item"
    checks.run("F2 PutItem codes normalised to upper case", put_lower)

    # ============================================================ G. ListItems filters
    def by_dept():
        d2 = [i for i in sample["items"] if i["departmentCode"] == DEPT2]
        got, _ = all_items(win, department_code=DEPT2)
        expect(sorted(i.impl_code for i in got) == sorted(i["implCode"] for i in d2),
               "department %s: %d listed, %d in the sample" % (DEPT2, len(got), len(d2)))
        got, _ = all_items(win, department_code=DEPT2.lower())
        expect(len(got) == len(d2), "lower-case department code: %d" % len(got))
        return "%d items of %s" % (len(got), DEPT2)
    checks.run("G1 ListItems by department", by_dept)

    def by_type():
        ben = [i["implCode"] for i in sample["items"] if i["type"] == "ITEM_TYPE_BENEFIT"]
        got, _ = all_items(win, type=pb.ITEM_TYPE_BENEFIT)
        expect(sorted(i.impl_code for i in got) == sorted(ben), "benefit: %d vs %d" % (
            len(got), len(ben)))
        return "%d 行政给付 items" % len(got)
    checks.run("G2 ListItems by type", by_type)

    def by_scope():
        cy = [i["implCode"] for i in sample["items"] if i.get("crossScope") ==
              "CROSS_SCOPE_CHUANYU"]
        cy.append(FULL.impl_code)
        got, _ = all_items(win, cross_scope=pb.CROSS_SCOPE_CHUANYU)
        expect(sorted(i.impl_code for i in got) == sorted(cy), "chuanyu: %d vs %d" % (
            len(got), len(cy)))
        return "%d 川渝通办 items" % len(got)
    checks.run("G3 ListItems by cross-region scope", by_scope)

    def by_text():
        want = [i["implCode"] for i in sample["items"] if "许可" in i["name"]]
        got, _ = all_items(win, text="许可")
        expect(sorted(i.impl_code for i in got) == sorted(want), "许可: %d listed vs %d" % (
            len(got), len(want)))
        got, _ = all_items(win, text="住房公积金")
        expect(len(got) == 4 and all("住房公积金" in i.name for i in got), "住房公积金: %d" %
               len(got))
        got, _ = all_items(win, text="500k0700200000")
        expect([i.impl_code for i in got] == ["500K0700200000-500152000000-000-"
                                              "11500152MB170662XK-1-00"],
               "code text search (lower case): %s" % [i.impl_code for i in got])
        got, _ = all_items(win, text="%")
        expect(got == [], "text '%%' matched %d items (LIKE wildcard not escaped)" % len(got))
        got, _ = all_items(win, text="_")
        expect(all("_" in (i.name + i.impl_code + i.basic_code) for i in got),
               "text '_' matched %d items without '_' (LIKE wildcard)" % len(got))
        return "许可 %d; 住房公积金 4; code search; %% and _ literal" % len(want)
    checks.run("G4 ListItems text search in Chinese and codes", by_text)

    def by_handling():
        imm = [i["implCode"] for i in sample["items"] if i["handling"] ==
               "HANDLING_TYPE_IMMEDIATE"]
        got, _ = all_items(win, handling=IMM)
        expect(sorted(i.impl_code for i in got) == sorted(imm), "%d vs %d" % (len(got),
                                                                             len(imm)))
        return "%d 即办件" % len(imm)
    checks.run("G5 ListItems by handling type", by_handling)

    # ============================================================ H. pagination
    def paging():
        every, _ = all_items(win, page_size=500)
        codes = [i.impl_code for i in every]
        expect(len(codes) == len(set(codes)), "duplicates in one page")
        paged, pages = all_items(win, page_size=7)
        pc = [i.impl_code for i in paged]
        expect(len(pc) == len(set(pc)), "an item on two pages: %s" % [
            c for c in set(pc) if pc.count(c) > 1])
        expect(sorted(pc) == sorted(codes), "pages hold %d items, the full list %d" % (
            len(pc), len(codes)))
        expect(pages == (len(codes) + 6) // 7, "%d pages for %d items" % (pages, len(codes)))
        r = cat(win, pb.ListItems())
        expect(len(r.items) == min(50, len(codes)), "default page %d" % len(r.items))
        r = cat(win, pb.ListItems(page_size=3))
        expect(len(r.items) == 3 and r.next_page_token, "page_size 3: %d" % len(r.items))
        return "%d items: page_size 7 -> %d pages, each item once; default 50" % (len(codes),
                                                                                 pages)
    checks.run("H1 cursor pagination: every item exactly once", paging)

    def page_size_bounds():
        out = []
        try:
            r = cat(win, pb.ListItems(page_size=501))
            expect(len(r.items) <= 500, "page_size 501 gave %d items" % len(r.items))
            out.append("501 clamped (%d items)" % len(r.items))
        except ZwfwError as e:
            expect(e.code == "INVALID_ARGUMENT" and e.details.get("detail") == "page_size",
                   "501: %s" % e)
            out.append("501 INVALID_ARGUMENT page_size")
        expect_error(lambda: cat(win, pb.ListItems(page_size=-1)), "INVALID_ARGUMENT",
                     detail="page_size")
        out.append("-1 INVALID_ARGUMENT page_size")
        return "; ".join(out)
    checks.run("H2 page_size limits", page_size_bounds)

    def bad_tokens():
        r = cat(win, pb.ListItems(page_size=5, type=pb.ITEM_TYPE_LICENSING))
        tok = r.next_page_token
        expect(tok, "no next token")
        bad = []
        for what, req in (
                ("garbage token", pb.ListItems(page_size=5, page_token="garbage!!")),
                ("type LICENSING token with type BENEFIT",
                 pb.ListItems(page_size=5, type=pb.ITEM_TYPE_BENEFIT, page_token=tok)),
                ("type LICENSING token with text 许可 and no type",
                 pb.ListItems(page_size=5, text="许可", page_token=tok)),
                ("type LICENSING token with department filter",
                 pb.ListItems(page_size=5, type=pb.ITEM_TYPE_LICENSING, department_code=DEPT2,
                              page_token=tok)),
                ("ListItems token given to ListBundles", pb.ListBundles(page_size=5,
                                                                       page_token=tok))):
            try:
                got = cat(win, req)
                n = len(got.items) if hasattr(got, "items") else len(got.bundles)
                bad.append("%s (token %r): accepted, %d results" % (what, tok, n))
            except ZwfwError as e:
                if e.code != "INVALID_ARGUMENT" or e.details.get("detail") != "page_token":
                    bad.append("%s: %s" % (what, e))
        expect(not bad, " | ".join(bad))
        # Tampered token: flip one character.
        t2 = tok[:-2] + ("A" if tok[-2] != "A" else "B") + tok[-1]
        try:
            r2 = cat(win, pb.ListItems(page_size=5, type=pb.ITEM_TYPE_LICENSING, page_token=t2))
            return "NOTE tampered token accepted (%d items)" % len(r2.items)
        except ZwfwError as e:
            expect(e.code == "INVALID_ARGUMENT", "tampered: %s" % e)
        return "garbage, other-filter, other-message and tampered tokens: INVALID_ARGUMENT " \
               "page_token"
    checks.run("H3 a page token from another query or garbage refused", bad_tokens)

    def stable():
        first = cat(win, pb.ListItems(page_size=10))
        before, _ = all_items(win, page_size=500)
        seen = [i.impl_code for i in first.items]
        # Add items whose codes sort before, between and after.
        added = []
        for b in ("100A0000000001", "500A9000000001", "ZZZA0000000001"):
            it = mk(b, "分页中新增")
            put(it)
            added.append(it.impl_code)
        tok = first.next_page_token
        while tok:
            r = cat(win, pb.ListItems(page_size=10, page_token=tok))
            seen += [i.impl_code for i in r.items]
            tok = r.next_page_token
        dup = sorted(c for c in set(seen) if seen.count(c) > 1)
        expect(not dup, "items listed twice while items were added: %s" % dup)
        missing = sorted(set(i.impl_code for i in before) - set(seen))
        expect(not missing, "items present before were skipped: %s" % missing)
        extra = sorted(set(seen) - set(i.impl_code for i in before))
        expect(set(extra) <= set(added), "unknown items %s" % extra)
        return "no duplicate, nothing skipped; %d of 3 new items seen" % len(extra)
    checks.run("H4 pagination stable while items are added", stable)

    # ============================================================ I. cancel / restore
    C = mk("500A9200100000", "取消测试事项", handling=IMM, promised=(1, HR), statutory=(1, WD))
    put(C)
    CC = C.impl_code


    def submit(code, z=None, bundle=False):
        req = pb.SubmitApplication(
            idempotency_key=key(), actor="portal:张三", channel=pb.CHANNEL_OTHER_SYSTEM,
            applicant=pb.Applicant(kind=pb.APPLICANT_KIND_PERSON, identity=pb.Identity(
                name="张三", id_type=pb.ID_TYPE_RESIDENT_ID, id_number="11010519491231002X")))
        if bundle:
            req.bundle_code = code
        else:
            req.item_code = code
        return (z or itg).call("zwfw.intake", req)

    def cancel_reason():
        bad = []
        for reason in ("", "  "):
            try:
                r = cat(op, pb.CancelItem(idempotency_key=key(), actor=ACTOR, impl_code=CC,
                                          reason=reason))
                bad.append("reason %r accepted: status %d v%d cancel_reason %r" % (
                    reason, r.item.status, r.item.version, r.item.cancel_reason))
                cat(op, pb.RestoreItem(idempotency_key=key(), actor=ACTOR, impl_code=CC))
            except ZwfwError as e:
                if e.code != "INVALID_ARGUMENT" or e.details.get("detail") not in (
                        "reason", "item.reason"):
                    bad.append("reason %r: %s" % (reason, e))
        expect(not bad, " | ".join(bad))
        expect(get(CC).status == pb.ITEM_STATUS_ACTIVE, "cancelled anyway")
        return "empty and blank reason: INVALID_ARGUMENT reason"
    checks.run("I1 CancelItem needs a reason", cancel_reason)

    def cancel():
        r = cat(op, pb.CancelItem(idempotency_key="cancel-1", actor=ACTOR, impl_code=CC.lower(),
                                  reason="依据区政府决定取消"))
        st["cv"] = r.item.version
        expect(r.item.status == pb.ITEM_STATUS_CANCELLED,
               "status %d version %d" % (r.item.status, r.item.version))
        expect(r.item.cancel_reason == "依据区政府决定取消", "reason %r" % r.item.cancel_reason)
        listed = [i.impl_code for i in all_items(win, page_size=500)[0]]
        expect(CC not in listed, "cancelled item still in the public listing (两张皮)")
        listed = [i.impl_code for i in all_items(itg, text="取消测试")[0]]
        expect(CC not in listed, "cancelled item found by text search")
        inc = [i.impl_code for i in all_items(op, include_cancelled=True, page_size=500)[0]]
        expect(CC in inc, "include_cancelled (operator) misses it")
        inc = [i.impl_code for i in all_items(sup, include_cancelled=True, page_size=500)[0]]
        expect(CC in inc, "include_cancelled (supervisor) misses it")
        g = get(CC, z=win)
        expect(g.status == pb.ITEM_STATUS_CANCELLED, "GetItem status %d" % g.status)
        expect(get(CC, 1).status == pb.ITEM_STATUS_ACTIVE, "version 1 rewritten")
        return ("CANCELLED v%d" % r.item.version) + " with reason; gone from the listing and search at once; " \
               "include_cancelled (operator, supervisor) shows it"
    checks.run("I2 CancelItem: vanishes from the public listing at once", cancel)

    def cancel_idem():
        r = cat(op, pb.CancelItem(idempotency_key="cancel-1", actor=ACTOR, impl_code=CC.lower(),
                                  reason="依据区政府决定取消"))
        cv = st["cv"]
        expect(r.item.version == cv, "replay version %d" % r.item.version)
        try:
            r = cat(op, pb.CancelItem(idempotency_key=key(), actor=ACTOR, impl_code=CC,
                                      reason="再次取消"))
            expect(r.item.version == cv and r.item.status == pb.ITEM_STATUS_CANCELLED,
                   "cancelling a cancelled item made version %d" % r.item.version)
            how = "no new version"
        except ZwfwError as e:
            expect(e.code == "FAILED_PRECONDITION", "%s" % e)
            how = "FAILED_PRECONDITION %s" % e.details
        expect(get(CC).version == cv, "version moved")
        return "replay: same reply; second cancel with a new key: %s" % how
    checks.run("I3 CancelItem idempotent", cancel_idem)

    def cancelled_submit():
        r = submit(CC)
        a, n = r.application, r.notice
        expect(a.state == pb.APPLICATION_STATE_NOT_ACCEPTED, "state %d" % a.state)
        expect(n.kind == pb.NOTICE_KIND_NOT_ACCEPTED, "notice kind %d" % n.kind)
        expect(n.reason, "no reason on the notice")
        expect(n.issued_at.seconds == at(2020, 9, 25, 10, 0), "issued_at %d" % n.issued_at.seconds)
        expect((n.issued_on.year, n.issued_on.month, n.issued_on.day) == (2020, 9, 25),
               "issued_on %s" % n.issued_on)
        expect(a.receipt_number and n.receipt_number == a.receipt_number, "receipt")
        expect(n.item_code == CC and n.item_version == st["cv"], "notice item %s v%d" % (
            n.item_code, n.item_version))
        return "state 4 不受理, NOT_ACCEPTED notice dated 2020-09-25, reason %r" % n.reason
    checks.run("I4 a submission of a cancelled item: dated 不受理", cancelled_submit)

    def put_cancelled():
        C2 = pb.Item()
        C2.CopyFrom(C)
        C2.name = "取消测试事项(改)"
        r = put(C2)
        g = get(CC)
        expect(g.status == pb.ITEM_STATUS_CANCELLED,
               "PutItem of a cancelled item silently restored it (status %d v%d)" % (
                   g.status, g.version))
        return "PutItem makes v%d, still CANCELLED" % r.item.version
    checks.run("I5 PutItem on a cancelled item does not restore it", put_cancelled)

    def restore():
        v = get(CC).version
        r = cat(op, pb.RestoreItem(idempotency_key="restore-1", actor=ACTOR, impl_code=CC))
        expect(r.item.status == pb.ITEM_STATUS_ACTIVE and r.item.version == v + 1,
               "status %d version %d" % (r.item.status, r.item.version))
        expect(not r.item.cancel_reason, "cancel_reason kept %r" % r.item.cancel_reason)
        listed = [i.impl_code for i in all_items(win, page_size=500)[0]]
        expect(CC in listed, "restored item not listed")
        r2 = cat(op, pb.RestoreItem(idempotency_key="restore-1", actor=ACTOR, impl_code=CC))
        expect(r2.item.version == v + 1, "replay")
        try:
            r3 = cat(op, pb.RestoreItem(idempotency_key=key(), actor=ACTOR, impl_code=CC))
            expect(r3.item.version == v + 1, "restore of an active item made v%d" %
                   r3.item.version)
        except ZwfwError as e:
            expect(e.code == "FAILED_PRECONDITION", "%s" % e)
        s = submit(CC)
        expect(s.application.state != pb.APPLICATION_STATE_NOT_ACCEPTED,
               "restored item still refused")
        return "ACTIVE v%d, listed again, submission state %d" % (v + 1, s.application.state)
    checks.run("I6 RestoreItem", restore)

    def cancel_unknown():
        expect_error(lambda: cat(op, pb.CancelItem(idempotency_key=key(), actor=ACTOR,
                                                   impl_code=impl("500A0000000099"),
                                                   reason="x")),
                     "NOT_FOUND", detail="impl_code")
        expect_error(lambda: cat(op, pb.RestoreItem(idempotency_key=key(), actor=ACTOR,
                                                    impl_code=impl("500A0000000099"))),
                     "NOT_FOUND", detail="impl_code")
        return "NOT_FOUND impl_code"
    checks.run("I7 cancel/restore of an unknown item", cancel_unknown)

    # ============================================================ J. bundles
    s_items = [i["implCode"] for i in sample["items"]]

    def bundle_put():
        b = pb.Bundle(code="YJS-AUDIT", name="审计一件事", item_codes=[s_items[0], s_items[7]],
                      description="测试")
        r = cat(op, pb.PutBundle(idempotency_key=key(), actor=ACTOR, bundle=b))
        expect(r.bundle.version == 1 and r.bundle.status == pb.ITEM_STATUS_ACTIVE,
               "v%d status %d" % (r.bundle.version, r.bundle.status))
        expect([i.impl_code for i in r.items] == list(b.item_codes), "items %s" % [
            i.impl_code for i in r.items])
        g = cat(win, pb.GetBundle(code=" yjs-audit "))
        expect(g.bundle.code == "YJS-AUDIT" and list(g.bundle.item_codes) == list(b.item_codes)
               and g.bundle.description == "测试", "GetBundle %s" % g.bundle)
        b.name = "审计一件事(二)"
        r2 = cat(op, pb.PutBundle(idempotency_key=key(), actor=ACTOR, bundle=b))
        expect(r2.bundle.version == 2, "second version %d" % r2.bundle.version)
        expect_error(lambda: cat(win, pb.GetBundle(code="YJS-NONE")), "NOT_FOUND")
        return "v1, v2; GetBundle case/space-insensitive; members with items"
    checks.run("J1 PutBundle / GetBundle", bundle_put)

    def bundle_list():
        seen, tok, n = [], "", 0
        while True:
            r = cat(itg, pb.ListBundles(page_size=2, page_token=tok))
            seen += [b.code for b in r.bundles]
            n += 1
            tok = r.next_page_token
            if not tok or n > 50:
                break
        want = sorted([b["code"] for b in sample["bundles"]] + ["YJS-AUDIT"])
        expect(sorted(seen) == want, "listed %s" % seen)
        expect_error(lambda: cat(itg, pb.ListBundles(page_token="xyz")), "INVALID_ARGUMENT",
                     detail="page_token")
        return "%d bundles over %d pages of 2, each once" % (len(seen), n)
    checks.run("J2 ListBundles pagination", bundle_list)

    def bundle_unknown():
        b = pb.Bundle(code="YJS-BAD", name="坏一件事", item_codes=[s_items[0],
                                                                 impl("500A0000000098")])
        e = expect_error_any(lambda: cat(op, pb.PutBundle(idempotency_key=key(), actor=ACTOR,
                                                          bundle=b)),
                             ("NOT_FOUND", "INVALID_ARGUMENT", "FAILED_PRECONDITION"))
        expect(e.code in ("NOT_FOUND", "INVALID_ARGUMENT", "FAILED_PRECONDITION"), "%s" % e)
        expect(e.details.get("detail") in ("item_codes[1]", "bundle.item_codes[1]"),
               "detail %r" % e.details.get("detail"))
        expect_error(lambda: cat(op, pb.GetBundle(code="YJS-BAD")), "NOT_FOUND")
        b2 = pb.Bundle(code="YJS-EMPTY", name="空一件事")
        e2 = expect_error(lambda: cat(op, pb.PutBundle(idempotency_key=key(), actor=ACTOR,
                                                       bundle=b2)), "INVALID_ARGUMENT")
        return "unknown member: %s %s; empty: %s" % (e.code, e.details, e2.details)
    checks.run("J3 a bundle naming an unknown item refused", bundle_unknown)

    def bundle_cancelled():
        cat(op, pb.CancelItem(idempotency_key=key(), actor=ACTOR, impl_code=CC, reason="撤销"))
        b = pb.Bundle(code="YJS-CANX", name="含取消事项", item_codes=[s_items[0], CC])
        try:
            r = cat(op, pb.PutBundle(idempotency_key=key(), actor=ACTOR, bundle=b))
        except ZwfwError as e:
            expect(e.details.get("detail") in ("item_codes[1]", "bundle.item_codes[1]"),
                   "refused but detail %r" % e.details)
            return "refused %s %s" % (e.code, e.details)
        s = submit("YJS-CANX", bundle=True)
        expect(s.application.state == pb.APPLICATION_STATE_NOT_ACCEPTED and
               s.notice.kind == pb.NOTICE_KIND_NOT_ACCEPTED,
               "bundle with a cancelled member submitted: state %d" % s.application.state)
        return "accepted (%d members); its submission is 不受理 (%r)" % (len(r.items),
                                                                    s.notice.reason)
    checks.run("J4 a bundle naming a cancelled item", bundle_cancelled)

    def bundle_member_cancelled_later():
        s = submit("YJS-AUDIT", bundle=True)
        expect(s.application.state != pb.APPLICATION_STATE_NOT_ACCEPTED, "before cancel: 4")
        cat(op, pb.CancelItem(idempotency_key=key(), actor=ACTOR, impl_code=s_items[7],
                              reason="测试取消成员"))
        s = submit("YJS-AUDIT", bundle=True)
        cat(op, pb.RestoreItem(idempotency_key=key(), actor=ACTOR, impl_code=s_items[7]))
        kids = ["%s:%d" % (c.item_code[:14], c.state) for c in s.children]
        expect(s.application.state == pb.APPLICATION_STATE_NOT_ACCEPTED and s.notice.reason,
               "state %d after a member was cancelled" % s.application.state)
        expect("取消" in s.notice.reason or "cancel" in s.notice.reason.lower(),
               "parent notice reason %r does not say a member item is cancelled (protocol.md "
               "table: notice.reason says so); children %s" % (s.notice.reason, kids))
        return "不受理 once a member is cancelled: %r; children %s" % (s.notice.reason, kids)
    checks.run("J5 a bundle whose member is cancelled later is 不受理", bundle_member_cancelled_later)

    # ============================================================ K. roles
    def roles_write():
        W = mk("500A9100100000", "权限测试")
        out = []
        for z, who in ((win, "window"), (itg, "integrator"), (sup, "supervisor"),
                       (apr, "approver")):
            expect_error(lambda: put(W, z=z), "PERMISSION_DENIED")
            expect_error(lambda: cat(z, pb.CancelItem(idempotency_key=key(), actor=ACTOR,
                                                      impl_code=XC, reason="x")),
                         "PERMISSION_DENIED")
            expect_error(lambda: cat(z, pb.RestoreItem(idempotency_key=key(), actor=ACTOR,
                                                       impl_code=CC)), "PERMISSION_DENIED")
            expect_error(lambda: cat(z, pb.PutBundle(idempotency_key=key(), actor=ACTOR,
                                                     bundle=pb.Bundle(code="YJS-R", name="r",
                                                                      item_codes=[XC]))),
                         "PERMISSION_DENIED")
            l2 = pb.LoadCatalog(idempotency_key=key(), actor=ACTOR, items=[W])
            e = expect_error(lambda: cat(z, l2), "PERMISSION_DENIED")
            out.append(who)
        expect(not exists(W.impl_code), "stored")
        expect(get(XC).status == pb.ITEM_STATUS_ACTIVE, "X cancelled")
        expect(get(CC).status == pb.ITEM_STATUS_CANCELLED, "C restored")
        return "PutItem/CancelItem/RestoreItem/PutBundle/LoadCatalog denied for %s (%s)" % (
            ", ".join(out), e.err.message)
    checks.run("K1 only operator changes the catalog", roles_write)

    def roles_read():
        for z in (op, win, itg, sup, apr):
            get(XC, z=z)
            cat(z, pb.ListItems(page_size=1))
            cat(z, pb.ListBundles(page_size=1))
            cat(z, pb.GetBundle(code="YJS-CS"))
        for z, who in ((win, "window"), (itg, "integrator"), (apr, "approver")):
            expect_error(lambda: cat(z, pb.ListItems(include_cancelled=True)),
                         "PERMISSION_DENIED")
        return "all five roles read; include_cancelled denied to window/integrator/approver"
    checks.run("K2 who may read", roles_read)

    # ============================================================ L. malformed
    def bad_put(item_changes=None, raw=None, field=None, code="INVALID_ARGUMENT", actor=ACTOR,
                k=None, note=""):
        base = mk("500A9000100000", "畸形请求测试")
        if item_changes:
            item_changes(base)
        if raw is not None:
            msg = Raw("zwfw.v1.PutItem", raw(base))
            f = lambda: cat(op, msg)
        else:
            f = lambda: put(base, k=k, actor=actor)
        e = expect_error(f, code)
        d = e.details.get("detail", "")
        expect(d == field or d == "item." + field or d.endswith("." + field) and
               field.split(".")[0] in d,
               "%s: detail %r, expected %r (message %r)" % (note or field, d, field,
                                                          e.err.message))
        expect(not exists(base.impl_code), "%s: stored" % (note or field))
        return d

    def malformed():
        out = []

        def setf(name, v):
            return lambda it: setattr(it, name, v)

        def clr(name):
            return lambda it: it.ClearField(name)
        cases = [
            (dict(item_changes=clr("name")), "name"),
            (dict(item_changes=setf("type", pb.ITEM_TYPE_UNSPECIFIED)), "type"),
            (dict(item_changes=setf("type", 11)), "type"),
            (dict(item_changes=setf("handling", pb.HANDLING_TYPE_UNSPECIFIED)), "handling"),
            (dict(item_changes=clr("department_code")), "department_code"),
            (dict(item_changes=setf("name", "长" * 5000)), "name"),
            (dict(item_changes=setf("department_name", "长" * 5000)), "department_name"),
            (dict(item_changes=setf("name", "换行\n名字")), "name"),
            (dict(item_changes=lambda it: it.materials.add(code="M01", name="重复",
                                                          required=True)),
             "materials[1].code"),
            (dict(item_changes=lambda it: it.materials.add(code="", name="无编码")),
             "materials[1].code"),
            (dict(item_changes=lambda it: it.materials.add(code="M09", name="")),
             "materials[1].name"),
            (dict(item_changes=lambda it: it.materials.add(code="M09", name="负份数",
                                                          copies=-1)),
             "materials[1].copies"),
            (dict(item_changes=lambda it: it.fee.CopyFrom(pb.Money(currency="CNY", fen=-5))),
             "fee"),
            (dict(item_changes=setf("max_visits", -1)), "max_visits"),
            (dict(item_changes=lambda it: (it.partner_regions.append("abc"),
                                           setattr(it, "cross_scope", pb.CROSS_SCOPE_CHUANYU),
                                           setattr(it, "cross_mode", pb.CROSS_MODE_PROXY))),
             "partner_regions[0]"),
            (dict(actor=""), "actor"),
            (dict(actor="运维 "), "actor"),
            (dict(actor="a" * 65), "actor"),
            (dict(k="k" * 129), "idempotency_key"),
            (dict(raw=lambda it: ld(1, key().encode()) + ld(2, ACTOR.encode())), "item"),
            (dict(raw=lambda it: ld(1, key().encode()) + ld(2, ACTOR.encode()) +
                  ld(3, it.SerializeToString() + ld(3, b"\xff\xfe\xe6\x88"))), "name"),
            (dict(raw=lambda it: ld(1, key().encode()) + ld(2, b"\xc3\x28") +
                  ld(3, it.SerializeToString())), "actor"),
            (dict(raw=lambda it: ld(1, key().encode()) + ld(2, ACTOR.encode()) +
                  ld(3, it.SerializeToString() + ld(11, ld(1, b"M09") + ld(2, b"\xed\xa0\x80")))),
             "materials[1].name"),
            (dict(raw=lambda it: b"\x0a\xff\xff\xff"), None),
        ]
        bad = []
        for kw, field in cases:
            try:
                if field is None:
                    e = expect_error(lambda: cat(op, Raw("zwfw.v1.PutItem", b"\x0a\xff\xff\xff")),
                                     "INVALID_ARGUMENT")
                    out.append("truncated protobuf -> %s" % e.details)
                    continue
                out.append(bad_put(field=field, **kw))
            except AssertionError as e:
                bad.append(str(e))
        expect(not bad, "%d of %d malformed requests not refused as documented: %s" % (
            len(bad), len(cases), " | ".join(bad)))
        return "%d malformed requests refused, details: %s" % (len(cases), ", ".join(out))
    checks.run("L1 malformed PutItem -> INVALID_ARGUMENT naming the field, nothing stored",
               malformed)

    def malformed_other():
        out = []
        e = expect_error(lambda: cat(op, pb.CancelItem(idempotency_key=key(), actor=ACTOR,
                                                       reason="x")),
                         "INVALID_ARGUMENT", detail="impl_code")
        e = expect_error(lambda: cat(op, pb.PutBundle(idempotency_key=key(), actor=ACTOR,
                                                      bundle=pb.Bundle(name="无编码",
                                                                       item_codes=[XC]))),
                         "INVALID_ARGUMENT")
        expect("code" in e.details.get("detail", ""), "bundle code: %s" % e.details)
        e = expect_error(lambda: cat(op, pb.PutBundle(idempotency_key=key(), actor=ACTOR)),
                         "INVALID_ARGUMENT", detail="bundle")
        e = expect_error(lambda: cat(op, Raw("zwfw.v1.ListItems", ld(4, b"\xff"))),
                         "INVALID_ARGUMENT", detail="text")
        e = expect_error(lambda: cat(op, Raw("zwfw.v1.GetItem", ld(1, b"\x80abc"))),
                         "INVALID_ARGUMENT", detail="impl_code")
        e = expect_error_any(lambda: cat(op, pb.GetItem(impl_code="x" * 5000)),
                             ("INVALID_ARGUMENT", "NOT_FOUND"))
        expect(e.code in ("INVALID_ARGUMENT", "NOT_FOUND") and
               e.details.get("detail") == "impl_code", "%s" % e)
        e = expect_error(lambda: cat(op, pb.GetClock()), "UNIMPLEMENTED", detail="type")
        e = expect_error(lambda: cat(op, pb.SubmitApplication()), "UNIMPLEMENTED", detail="type")
        e = expect_error(lambda: cat(op, pb.GetItem(impl_code=XC, version=-1)),
                         "INVALID_ARGUMENT", detail="version")
        return "CancelItem/PutBundle/ListItems/GetItem refusals name their fields; foreign " \
               "types UNIMPLEMENTED"
    checks.run("L2 other malformed catalog requests", malformed_other)

    def health():
        h = cat(win, pb.HealthRequest())
        expect(h.database_reachable, "db not reachable")
        return "service %s" % h.service
    checks.run("L3 HealthRequest on zwfw.catalog", health)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gen", required=True)
    roles = ("operator", "window", "integrator", "supervisor", "approver")
    for role in roles:
        ap.add_argument("--" + role, required=True)
    ap.add_argument("--sample", required=True)
    ap.add_argument("--timeout-ms", type=int, default=7000)
    ap.add_argument("--wait", type=float, default=30)
    args = ap.parse_args()
    pb = load_pb(args.gen)
    ctx = zmq.Context()
    cl = zwfw_py.clients(ctx, {k: getattr(args, k) for k in roles}, pb, args.timeout_ms)
    zwfw_py.wait_served(cl, ("zwfw.catalog", "zwfw.intake", "zwfw.clock"), args.wait)
    return zwfw_py.run_scenario(ctx, cl, lambda checks: scenario(args, pb, cl, checks))


if __name__ == "__main__":
    sys.exit(main())
