#!/usr/bin/python3
"""Configuration reload under hostile edits, outside-in.

Written from docs/operations.md (section 4: each daemon reads
/etc/zwfw/zwfw-<daemon>.json, `--help` marks the settings that change on
`systemctl reload` with [SIGHUP]; section 7: the first lines say what the
daemon started with, `config` among them; SIGTERM: exit 0), docs/broker.md
("a changed non-reloadable setting makes the reload fail (logged) and
nothing changes") and docs/protocol.md (RFC 7 client, RFC 8 mmi.service,
HealthRequest -> HealthReply). Nothing here comes from zwfw's C code.

An operator of a district service hall edits a daemon's config file and
runs `systemctl reload` (SIGHUP). The rule: bad input gets a clear error and
changes nothing, and no daemon dies of any input. For each daemon that
reads a config file (broker, intake, workflow, rating, xregion, report),
each daemon's turn on a thread of its own (they run side by side, as a
`systemctl reload zwfw.target` reaches them; the output is one block per
daemon):

  a) a valid change of reloadable settings (log_level info -> warn, and
     the [SIGHUP] intervals) takes effect;
  b) broken JSON, c) invalid values of reloadable settings, d) changed
     settings that are not reloadable, e) a missing or unreadable file: each
     refused with a warn/error line that names the file or the setting and
     says it was not reloaded; nothing of the refused file is applied (each
     refused file also asks for log_level "error"; a probe then shows warn
     lines still appear); the daemon answers a real request;
  f) 100 SIGHUPs in a tight loop, then 100 more while the file flips between
     valid and broken: still alive, still answering, still reloading.

Then for all at once: g) a refused reload is still reported when log_level
is "error" (the operator's reload did not happen: that is an error), and
SIGTERM stops each with status 0, log_level warn still in force (no info
lines at stop), no sanitizer report in any log.

Observing log_level: with "warn" in force no info line may appear. The
broker writes an info stats line on every SIGHUP, the others but
zwfw-report an info "reload" confirmation, so each refused reload afterwards
is also a probe that the level was not reset; zwfw-report's level shows at
stop (its stop line is info). Observing an interval: zwfw-intake's sweeper
has its own database session (operations.md section 7, application_name
"zwfw-intake sweep"); with sweep_ms 100 it is never idle for long, with
3600000 it stays idle.

  reload_hostile.py --bin DIR --work DIR --db CONNINFO --pii-key FILE

Prints PASS/FAIL lines and "N passed, M failed" last.
"""
import argparse
import copy
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zmq  # noqa: E402
from mdp_peer import Fail, PeerClient, pb_decode  # noqa: E402

SLOW = os.environ.get("ZWFW_RELOAD_SLOW") == "1"  # a sanitizer build
LINE_WAIT = 5.0 if SLOW else 2.0      # a reload's log line, seconds
REPLY_MS = 8000 if SLOW else 4000     # a request's reply
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                   "runtime error:", "ThreadSanitizer")

passed = 0
failed = 0
_count = threading.Lock()
_out = threading.local()  # .buf: a daemon's lines while its turn runs on a thread


def say(text):
    buf = getattr(_out, "buf", None)
    if buf is None:
        print(text, flush=True)
    else:
        buf.append(text)


def report(ok, name, detail=""):
    global passed, failed
    with _count:
        if ok:
            passed += 1
        else:
            failed += 1
    say("PASS %s" % name if ok else "FAIL %s%s" % (name, (": " + detail) if detail else ""))
    return ok


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def port_bound(port):
    s = socket.socket()
    s.settimeout(1)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def die_with_parent():
    # The daemons must not outlive this script if it is killed.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def short(text, n=300):
    text = text.strip()
    return text if len(text) <= n else text[:n] + "..."


class Line:
    def __init__(self, raw):
        self.raw = raw
        try:
            obj = json.loads(raw)
            self.obj = obj if isinstance(obj, dict) else {}
        except ValueError:
            self.obj = {}
        self.level = self.obj.get("level")
        self.low = raw.lower()


class Daemon:
    """One daemon: its config file (written atomically, as operations.md
    section 5 tells operators to), its process and its log."""

    def __init__(self, name, service, section, cfg, work, binary):
        self.name = name
        self.service = service          # a zwfw service it answers, or None
        self.section = section
        self.base = cfg                 # the valid config, log_level info
        self.path = os.path.join(work, "zwfw-%s.json" % name)
        self.log = os.path.join(work, "%s.log" % name)
        self.binary = binary
        self.proc = None
        self.pid = None

    # -- config file
    def write(self, content):
        """content: dict (JSON), bytes (as is)."""
        self.restore_path()
        data = content if isinstance(content, bytes) else \
            json.dumps(content, ensure_ascii=False, indent=1).encode()
        tmp = self.path + ".new"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, self.path)

    def restore_path(self):
        """Undo what the e) cases put in the file's place."""
        if os.path.islink(self.path):
            os.unlink(self.path)
        elif os.path.isdir(self.path):
            os.rmdir(self.path)

    # -- process
    def start(self):
        self.write(self.base)
        with open(self.log, "ab") as err:
            self.proc = subprocess.Popen([self.binary, "--config", self.path], stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err, preexec_fn=die_with_parent)
        self.pid = self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def hup(self):
        if self.alive():
            os.kill(self.pid, signal.SIGHUP)

    def hup_taken(self, secs=LINE_WAIT):
        """Waits until no SIGHUP is pending for the process: its handler ran,
        so a following SIGHUP is a reload of its own, not merged into this
        one."""
        end = time.monotonic() + secs
        while time.monotonic() < end and self.alive():
            pending = 0
            try:
                with open("/proc/%d/status" % self.pid) as f:
                    for ln in f:
                        if ln.startswith(("SigPnd:", "ShdPnd:")):
                            pending |= int(ln.split()[1], 16)
            except OSError:
                return False
            if not pending & (1 << (signal.SIGHUP - 1)):
                return True
            time.sleep(0.005)
        return False

    # -- log
    def mark(self):
        try:
            return os.path.getsize(self.log)
        except OSError:
            return 0

    def lines(self, since=0):
        with open(self.log, "rb") as f:
            f.seek(since)
            data = f.read()
        text = data.decode("utf-8", "replace")
        if not text.endswith("\n"):
            text = text[:text.rfind("\n") + 1]
        return [Line(r) for r in text.splitlines() if r.strip()]

    def wait_line(self, since, pred, secs=LINE_WAIT):
        end = time.monotonic() + secs
        while True:
            for ln in self.lines(since):
                if pred(ln):
                    return ln
            if time.monotonic() >= end or not self.alive():
                return None
            time.sleep(0.02)

    def tail(self, since, n=6):
        return " | ".join(short(ln.raw, 220) for ln in self.lines(since)[-n:]) or "(nothing)"


def refused_line(tokens):
    """A warn/error line saying a reload did not happen, naming each token."""
    def pred(ln):
        return (ln.level in ("warn", "error") and "reload" in ln.low and
                all(t.lower() in ln.low for t in tokens))
    return pred


# ---------------------------------------------------------------- requests

class Requests:
    def __init__(self, ctx, endpoint):
        self.ctx = ctx
        self.endpoint = endpoint

    def mmi(self, service, endpoint=None, timeout_ms=REPLY_MS):
        c = PeerClient(self.ctx, endpoint or self.endpoint, timeout_ms)
        try:
            reply = c.request("mmi.service", [service.encode()])
            return reply[0].decode() if len(reply) == 1 else repr(reply)
        finally:
            c.close()

    def health(self, service, pid=None):
        """A HealthRequest through the broker (protocol.md section 4): the
        reply names the service, says the database is reachable and, with
        `pid`, comes from that process (instance host:pid). Returns "" when
        all holds, else why not."""
        c = PeerClient(self.ctx, self.endpoint, REPLY_MS)
        try:
            rid = os.urandom(6).hex().encode()
            reply = c.request(service, [rid, b"zwfw.v1.HealthRequest", b""])
        except Fail as e:
            return str(e)
        finally:
            c.close()
        if len(reply) != 3 or reply[0] != rid or reply[1] != b"zwfw.v1.HealthReply":
            return "unexpected reply %r" % [f[:60] for f in reply]
        try:
            f = pb_decode(reply[2])
        except Fail as e:
            return "HealthReply does not decode: %s" % e
        if f.get(1) != [service.encode()]:
            return "HealthReply.service %r" % f.get(1)
        if f.get(4) != [1]:
            return "HealthReply.database_reachable is not true"
        instance = f.get(7, [b""])[0].decode("utf-8", "replace")
        if pid is not None and not instance.endswith(":%d" % pid):
            return "answered by %r, not pid %d" % (instance, pid)
        return ""

    def wait_service(self, service, secs):
        end = time.monotonic() + secs
        while time.monotonic() < end:
            try:
                if self.mmi(service, timeout_ms=1000) == "200":
                    return True
            except Fail:
                pass
            time.sleep(0.1)
        return False


def answers(req, d, broker):
    """The daemon still answers a real request; for the broker: mmi.service
    and a request routed through it to a worker."""
    if d.name == "broker":
        try:
            got = req.mmi("zwfw.intake")
        except Fail as e:
            return str(e)
        if got != "200":
            return "mmi.service zwfw.intake answered %s" % got
        return req.health("zwfw.report")
    return req.health(d.service, d.pid)


# ---------------------------------------------------------------- the cases

def with_changes(cfg, changes):
    """A copy of cfg with changes {section: {key: value}}; value DROP removes."""
    out = copy.deepcopy(cfg)
    for section, kv in changes.items():
        for k, v in kv.items():
            if v is DROP:
                out[section].pop(k, None)
            else:
                out[section][k] = v
    return out


DROP = object()

BROKEN_JSON = [
    # label, content, tokens the refusal must name (None: the file's path)
    ("truncated", lambda d: b'{"common": {"log_level": "error", "db_conninfo": "host=/run/post', None),
    ("trailing comma", lambda d: json.dumps(d.warn).encode()[:-1] + b',}', None),
    ("empty file", lambda d: b"", None),
    ("binary garbage", lambda d: bytes((i * 73 + 41) % 256 for i in range(4096)), None),
    ("nested 100000 deep", lambda d: b"[" * 100000, None),
    ("top-level array", lambda d: b'[{"common": {"log_level": "error"}}]', None),
    # RFC 8259 section 7: control characters in a string must be escaped;
    # a raw NUL is no JSON. Whatever the refusal names, log_level must not
    # become "error" (the probe).
    ("raw NUL byte inside log_level \"error<NUL>x\"",
     lambda d: json.dumps(with_changes(d.warn, {"common": {"log_level": "error@x"}})).encode()
     .replace(b"error@x", b"error\x00x"), []),
]


def invalid_values(d):
    """c) (label, changes, tokens the refusal must name)."""
    cases = [
        ("log_level 'loud'", {"common": {"log_level": "loud"}}, ["log_level"]),
        ("log_level 7", {"common": {"log_level": 7}}, ["log_level"]),
        ("log_level ''", {"common": {"log_level": ""}}, ["log_level"]),
        ("log_level null", {"common": {"log_level": None}}, ["log_level"]),
        ("log_level 1 MB long", {"common": {"log_level": "w" * 1000000}}, ["log_level"]),
        ("unknown key in own section", {d.section: {"sweep_msec": 100}}, ["sweep_msec"]),
    ]
    for key in d.numeric:
        cases += [
            ("%s -1" % key, {d.section: {key: -1}}, [key]),
            ("%s 0" % key, {d.section: {key: 0}}, [key]),
            ("%s \"fast\"" % key, {d.section: {key: "fast"}}, [key]),
            ("%s 1.5" % key, {d.section: {key: 1.5}}, [key]),
            ("%s true" % key, {d.section: {key: True}}, [key]),
            ("%s 2^53+1" % key, {d.section: {key: 9007199254740993}}, [key]),
            ("%s 1e300" % key, {d.section: {key: 1e300}}, [key]),
            ("%s 2^32+100" % key, {d.section: {key: 4294967396}}, [key]),
        ]
    return cases


def not_reloadable(d, alt):
    """d) (label, changes, tokens). operations.md section 4: restart for
    everything not marked [SIGHUP]; docs/broker.md: such a change makes the
    reload fail and nothing changes."""
    if d.name == "broker":
        return [("endpoint moved to another port",
                 {"broker": {"endpoint": "tcp://127.0.0.1:%d" % alt["port"]}}, ["endpoint"]),
                ("request_wait_ms", {"broker": {"request_wait_ms": 1234}}, ["request_wait_ms"]),
                ("heartbeat_ms -5", {"broker": {"heartbeat_ms": -5}}, ["heartbeat_ms"])]
    db = d.base["common"]["db_conninfo"]
    cases = [("db_conninfo to another database",
              {"common": {"db_conninfo": db.replace("dbname=", "dbname=x")}}, ["db_conninfo"]),
             ("broker_endpoint to another broker",
              {"common": {"broker_endpoint": "tcp://127.0.0.1:%d" % alt["port"]}}, ["broker_endpoint"]),
             ("threads 3", {d.section: {"threads": 3}}, ["threads"])]
    if d.name == "xregion":
        cases.append(("region 511400", {"xregion": {"region": "511400"}}, ["region"]))
    if d.name == "rating":
        cases.append(("case_workdays 12", {"rating": {"case_workdays": 12}}, ["case_workdays"]))
    return cases


def file_problems(d):
    """e) (label, action) making the configured path unusable."""
    def delete():
        os.unlink(d.path)

    def directory():
        os.unlink(d.path)
        os.mkdir(d.path)

    def loop():
        os.unlink(d.path)
        os.symlink(os.path.basename(d.path), d.path)

    def dangling():
        os.unlink(d.path)
        os.symlink(d.path + ".gone", d.path)

    cases = [("deleted", delete), ("a directory in its place", directory),
             ("a symlink to itself", loop), ("a symlink to a deleted file", dangling)]
    if os.geteuid() != 0:
        cases.append(("mode 000", lambda: os.chmod(d.path, 0)))
    return cases


# ---------------------------------------------------------------- sweeper probe

def sweep_idle(db):
    """Seconds the zwfw-intake sweep session has been idle (None if absent)."""
    q = ("SELECT coalesce(min(extract(epoch FROM now() - state_change)), -1) "
         "FROM pg_stat_activity WHERE application_name = 'zwfw-intake sweep' "
         # the ctest cluster is shared: other tests' intakes sweep too
         "AND datname = current_database()")
    try:
        out = subprocess.run(["psql", db, "-XAtqc", q], capture_output=True, text=True,
                             timeout=10).stdout.strip()
        v = float(out)
    except (ValueError, subprocess.SubprocessError):
        return None
    return None if v < 0 else v


def until(fn, secs, step=0.05):
    end = time.monotonic() + secs
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


# ---------------------------------------------------------------- one daemon

def refuse(d, req, broker, label, content, tokens, probe=True):
    """Writes a refused config, SIGHUPs, expects the refusal line, a live
    daemon that answers and (probe) that the refused file's log_level
    "error" was not applied: a broken file then still gets a warn line.
    A failed case is followed by the valid file again, so that the next
    case starts from the settings it expects."""
    since = d.mark()
    if callable(content):
        content()
    else:
        d.write(content)
    d.hup()
    why = []
    ln = d.wait_line(since, refused_line(tokens))
    if ln is None:
        d.hup_taken()
        why.append("no warn/error line naming %s and the reload; log since the SIGHUP: %s" % (
            tokens, d.tail(since)))
    if not d.alive():
        why.append("died: exit %s" % d.proc.returncode)
    else:
        bad = answers(req, d, broker)
        if bad:
            why.append("does not answer: %s" % bad)
        elif ln is None:
            why.append("(it still answers)")
    if d.alive() and probe:
        since = d.mark()
        d.write(b"{")
        d.hup()
        if d.wait_line(since, refused_line([d.path])) is None:
            why.append("after it, a broken file got no warn line either: the refused file's "
                       "log_level \"error\" was applied; log: %s" % d.tail(since))
    report(not why, "%s: %s: refused with a clear error, kept running, nothing applied" % (d.name, label),
           "; ".join(why))
    if why and d.alive():
        d.write(d.warn)
        d.hup()
        d.hup_taken()
        time.sleep(0.3)  # nothing at warn confirms a good reload


def run_daemon(d, req, broker, alt, db):
    # Start-up: operations.md section 7, the first lines name `config`.
    first = d.lines(0)[:40]
    cfg_line = next((ln for ln in first if isinstance(ln.obj.get("config"), str)), None)
    report(cfg_line is not None,
           "%s: the start-up log gives the effective settings (`config`, operations.md 7)" % d.name,
           "" if cfg_line else "no line with a `config` field among: %s" %
           " | ".join(short(ln.raw, 160) for ln in first))

    # Baseline, log_level info: a reload of the unchanged file is confirmed
    # at info (zwfw-report confirms nothing: its absence is noted, not failed).
    since = d.mark()
    d.hup()
    ln = d.wait_line(since, lambda ln: ln.level == "info" and "reload" in ln.low,
                     secs=LINE_WAIT if d.name != "report" else 1.0)
    if d.name == "report":
        say("NOTE report: a successful reload logs %s" %
            ("nothing at info" if ln is None else "'%s'" % short(ln.raw)))
    else:
        report(ln is not None, "%s: SIGHUP with the unchanged file is confirmed at info" % d.name,
               d.tail(since))
    bad = answers(req, d, broker)
    report(not bad, "%s: answers before the edits" % d.name, bad)

    if d.name == "intake":
        def busy():
            v = sweep_idle(db)
            return v is not None and v < 0.5
        low = until(busy, 5)
        report(low, "intake: with sweep_ms 100 the sweeper session is busy (idle < 0.5 s)",
               "idle %s s" % sweep_idle(db))

    # a) valid change: log_level warn, the reloadable intervals changed.
    d.write(d.warn)
    warn_mark = d.mark()
    d.hup()
    taken = d.hup_taken()
    # No log line confirms a change to warn (the confirmation is info); give
    # the loop a moment to read the file before it is replaced below.
    time.sleep(0.3)
    report(taken and d.alive(), "%s: a) SIGHUP after a valid change taken, still running" % d.name,
           "alive %s, signal still pending %s" % (d.alive(), not taken))
    if d.name == "intake":
        idle = until(lambda: (sweep_idle(db) or 0.0) > 2.0, 6)
        report(idle, "intake: a) sweep_ms 3600000 in force after the reload (sweeper idle > 2 s)",
               "idle %s s" % sweep_idle(db))
    bad = answers(req, d, broker)
    report(not bad, "%s: a) answers after the valid reload" % d.name, bad)

    # b) broken JSON.
    for label, make, tokens in BROKEN_JSON:
        refuse(d, req, broker, "b) broken JSON (%s)" % label, make(d),
               [d.path] if tokens is None else tokens, probe=tokens is not None)
    infos = [ln for ln in d.lines(warn_mark) if ln.level == "info"]
    if d.name != "report":
        report(not infos, "%s: a) log_level warn took effect: no info line since (over %d refused "
               "reloads)" % (d.name, len(BROKEN_JSON)), " | ".join(short(i.raw) for i in infos[:3]))

    # c) valid JSON, invalid values; each file also asks for log_level error.
    for label, changes, tokens in invalid_values(d):
        cfg = with_changes(d.warn, changes)
        if "log_level" not in changes.get("common", {}):
            cfg["common"]["log_level"] = "error"
        refuse(d, req, broker, "c) invalid value (%s)" % label, cfg, tokens)

    # d) settings that are not reloadable; the file also asks for log_level error.
    for label, changes, tokens in not_reloadable(d, alt):
        cfg = with_changes(d.warn, changes)
        cfg["common"]["log_level"] = "error"
        refuse(d, req, broker, "d) not reloadable (%s)" % label, cfg, tokens)
        if d.name == "broker" and "endpoint" in changes.get("broker", {}):
            report(not port_bound(alt["port"]) and not (answers(req, d, broker)),
                   "broker: d) the refused endpoint is not bound, the old one still serves",
                   "port %d bound: %s" % (alt["port"], port_bound(alt["port"])))

    # e) the file missing or unreadable.
    for label, action in file_problems(d):
        d.write(d.warn)
        refuse(d, req, broker, "e) config file %s" % label, action, [d.path])
    d.restore_path()

    # f) 100 SIGHUPs in a tight loop with the valid file, then 100 more while
    # the file flips between valid and broken.
    d.write(d.warn)
    for _ in range(100):
        d.hup()
    d.hup_taken()
    bad = "died: exit %s" % d.proc.returncode if not d.alive() else answers(req, d, broker)
    report(not bad, "%s: f) 100 SIGHUPs in a row: alive and answering" % d.name, bad)
    stop = threading.Event()

    def flip():
        i = 0
        while not stop.is_set():
            d.write(d.warn if i % 2 else b'{"common": ')
            i += 1

    t = threading.Thread(target=flip)
    t.start()
    for _ in range(100):
        d.hup()
        time.sleep(0.001)
    stop.set()
    t.join()
    d.write(d.warn)
    d.hup_taken()
    bad = "died: exit %s" % d.proc.returncode if not d.alive() else answers(req, d, broker)
    report(not bad, "%s: f) 100 SIGHUPs while the file flips valid/broken: alive and answering"
           % d.name, bad)
    refuse(d, req, broker, "f) after the storms a broken file", b"{", [d.path], probe=False)
    d.write(d.warn)

    # Old settings kept throughout: still warn (no info line since a), and
    # for intake still sweep_ms 3600000 (an hour: a run slowed by a sanitizer
    # and parallel tests may take more than a minute here).
    infos = [ln for ln in d.lines(warn_mark) if ln.level == "info"]
    report(not infos, "%s: log_level warn kept through every refused reload (no info line)"
           % d.name, " | ".join(short(i.raw) for i in infos[:3]))
    if d.name == "intake":
        idle = sweep_idle(db)
        report(idle is not None and idle > 2.0,
               "intake: sweep_ms 3600000 kept through every refused reload (sweeper idle > 2 s)",
               "idle %s s" % idle)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--pii-key", required=True)
    a = ap.parse_args()

    bport = free_port()
    broker_ep = "tcp://127.0.0.1:%d" % bport
    alt = {"port": free_port()}
    pubs = {n: "tcp://127.0.0.1:%d" % free_port() for n in ("intake", "workflow", "rating", "xregion")}
    common = {"db_conninfo": a.db, "broker_endpoint": broker_ep, "heartbeat_ms": 250,
              "clock_mode": "simulated", "log_level": "info"}

    def mk(name, section_cfg, numeric, warn_changes, service):
        if name == "broker":
            cfg = {"_comment": "reload_hostile.py", "common": {"log_level": "info"},
                   "broker": section_cfg}
        else:
            cfg = {"_comment": "reload_hostile.py", "common": dict(common), name: section_cfg}
        d = Daemon(name, service, name, cfg, a.work, os.path.join(a.bin, "zwfw-" + name))
        d.numeric = numeric
        d.warn = with_changes(cfg, {"common": {"log_level": "warn"}, name: warn_changes})
        return d

    daemons = [
        mk("broker", {"endpoint": broker_ep, "heartbeat_ms": 250, "request_wait_ms": 3000},
           [], {}, None),
        mk("intake", {"migrate": True, "pii_key_file": a.pii_key, "threads": 2, "submit_lanes": 1,
                      "catalog_threads": 1, "clock_threads": 1, "sweep_ms": 100,
                      "pub_endpoint": pubs["intake"], "workflow_endpoints": pubs["workflow"]},
           ["sweep_ms"], {"sweep_ms": 3600000}, "zwfw.intake"),
        mk("workflow", {"threads": 1, "sweep_ms": 100, "clock_poll_ms": 100, "sweep_batch": 100,
                        "sweep_retry_s": 300, "pub_endpoint": pubs["workflow"],
                        "intake_pub_endpoint": pubs["intake"]},
           ["sweep_ms", "clock_poll_ms", "sweep_batch", "sweep_retry_s"],
           {"sweep_ms": 60000, "clock_poll_ms": 5000, "sweep_batch": 50, "sweep_retry_s": 600},
           "zwfw.workflow"),
        mk("rating", {"threads": 1, "case_workdays": 10, "sweep_ms": 100, "clock_poll_ms": 100,
                      "pub_endpoint": pubs["rating"]},
           ["sweep_ms", "clock_poll_ms"], {"sweep_ms": 60000, "clock_poll_ms": 5000}, "zwfw.rating"),
        mk("xregion", {"threads": 1, "region": "500152", "pii_key_file": a.pii_key,
                       "pub_endpoint": pubs["xregion"], "intake_pub_endpoint": pubs["intake"]},
           [], {}, "zwfw.xregion"),
        mk("report", {"threads": 1}, [], {}, "zwfw.report"),
    ]
    byname = {d.name: d for d in daemons}
    ctx = zmq.Context()
    req = Requests(ctx, broker_ep)
    broker = byname["broker"]

    try:
        broker.start()
        if not until(lambda: port_bound(bport), 10):
            report(False, "setup: zwfw-broker listens", broker.tail(0))
            return
        byname["intake"].start()  # it migrates; the others wait for it
        if not req.wait_service("zwfw.intake", 60):
            report(False, "setup: zwfw-intake up", byname["intake"].tail(0))
            return
        for n in ("workflow", "rating", "xregion", "report"):
            byname[n].start()
        for n in ("workflow", "rating", "xregion", "report"):
            if not req.wait_service("zwfw." + n, 60):
                report(False, "setup: zwfw-%s up" % n, byname[n].tail(0))
                return

        # The daemons' turns run side by side (as `systemctl reload
        # zwfw.target` would reach them), each printed as one block.
        bufs = {d.name: [] for d in daemons}

        def turn(d):
            _out.buf = bufs[d.name]
            try:
                if not d.alive():
                    report(False, "%s: alive before its turn" % d.name, d.tail(0))
                else:
                    run_daemon(d, req, broker, alt, a.db)
            except Exception:
                report(False, "%s: the turn raised" % d.name, traceback.format_exc())

        threads = [threading.Thread(target=turn, args=(d,)) for d in daemons]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for d in daemons:
            print("# %s" % d.name)
            print("\n".join(bufs[d.name]), flush=True)

        # g) all at once: log_level error in force, then a broken file.
        print("# all", flush=True)
        for d in daemons:
            d.write(with_changes(d.warn, {"common": {"log_level": "error"}}))
            d.hup()
        for d in daemons:
            d.hup_taken()
        time.sleep(0.3)  # as in a): nothing is logged to wait for
        marks = {d.name: d.mark() for d in daemons}
        for d in daemons:
            d.write(b'{"common": {"log_level": "info", ')
            d.hup()
        deadline = time.monotonic() + LINE_WAIT
        for d in daemons:
            ln = d.wait_line(marks[d.name], lambda ln, d=d: "reload" in ln.low and d.path in ln.raw,
                             secs=max(0.0, deadline - time.monotonic()))
            report(ln is not None, "%s: g) with log_level error, a refused reload is still "
                   "logged" % d.name, "nothing in the log (the refusal is below the error level)"
                   if ln is None else "")
        for d in daemons:
            d.write(d.warn)
        for d in daemons:
            bad = answers(req, d, broker) if d.alive() else "died"
            report(not bad, "%s: alive and answering at the end" % d.name, bad)

        # SIGTERM: workers first, the broker last; each exits 0, silently at
        # info (log_level warn or error still in force).
        for d in daemons[1:] + daemons[:1]:
            if not d.alive():
                report(False, "%s: stops with status 0 on SIGTERM" % d.name,
                       "already dead, exit %s" % d.proc.returncode)
                continue
            since = d.mark()
            d.proc.send_signal(signal.SIGTERM)
            try:
                rc = d.proc.wait(45)
            except subprocess.TimeoutExpired:
                rc = "no exit within 45 s"
            report(rc == 0, "%s: stops with status 0 on SIGTERM" % d.name,
                   "status %s; %s" % (rc, d.tail(since)))
            infos = [ln for ln in d.lines(since) if ln.level == "info"]
            report(not infos, "%s: the log level set by reload still holds at stop (no info "
                   "line)" % d.name, " | ".join(short(i.raw) for i in infos[:3]))
        for d in daemons:
            with open(d.log, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            hits = [m for m in SANITIZER_MARKS if m in text]
            report(not hits, "%s: no sanitizer report in its log" % d.name, ", ".join(hits))
    except Exception:
        traceback.print_exc()
        report(False, "reload_hostile.py raised")
    finally:
        for d in daemons:
            if d.alive():
                d.proc.kill()
                d.proc.wait()
            d.restore_path()
        ctx.destroy(0)
        print("%d passed, %d failed" % (passed, failed), flush=True)


if __name__ == "__main__":
    main()
    sys.exit(1 if failed else 0)
