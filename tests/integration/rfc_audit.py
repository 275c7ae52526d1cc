#!/usr/bin/python3
"""RFC 7 (MDP/0.1) and RFC 8 (MMI) audit of a running zwfw-broker: the
checks that rfc_conformance.py, test_broker.c and test_mdp.c leave out,
written from the two specifications with raw pyzmq sockets.

  rfc_audit.py FAST_EP HEARTBEAT_MS LIVENESS REQUEST_WAIT_MS DEFAULT_EP [NAME...]

FAST_EP: a plain broker started with those (short) timings. DEFAULT_EP: a
plain broker started with no timing option at all, to check the RFC 7 /
Guide defaults a stock peer assumes (2500 ms heartbeat, liveness 3) and
the documented 5000 ms request wait. With NAMEs only the checks whose
names contain one of them run. Each check prints "PASS - NAME" or
"FAIL - NAME" and why; the last line is "N passed, M failed"; the exit
status is 1 when any check failed. Every receive has a timeout.
"""
import os
import sys
import threading
import time
import traceback

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mdp_peer import (  # noqa: E402  (the hand-built RFC 7 peers)
    DISCONNECT, HEARTBEAT, MDPW, READY, REPLY, REQUEST, Client, Env, Fail, Worker, answers,
    expect, mmi, nothing, now, pb_decode, run_checks, serve_one, served, unique, wait_mmi,
    worker_and_client, busy_worker)

UNAVAILABLE = 14          # zwfw.v1.Code
MAX_BODY = 1020           # docs/broker.md: body frames a request or reply may have
DEFAULT_HB, DEFAULT_LIVENESS, DEFAULT_WAIT = 2.5, 3, 5.0


CHECKS = []


def check(name, broker="fast"):
    def add(fn):
        CHECKS.append((name, broker, fn))
        return fn
    return add


# ---- addressing ----

@check("client routing id: a client's own ZMQ_ROUTING_ID is the REQUEST's single address "
       "frame, and the reply finds it (DEALER and REQ)")
def _(env):
    svc = unique("audit.rid")
    w = Worker(env, svc).ready()
    for kind in (zmq.DEALER, zmq.REQ):
        rid = b"audit-client-" + os.urandom(3).hex().encode()
        c = Client(env, kind, routing_id=rid)
        c.send(svc, [b"who"])
        cmd, rest = w.next_command(3)
        expect(cmd == REQUEST and rest[:3] == [rid, b"", b"who"] and len(rest) == 3,
               "REQUEST frames after the command %r, expected [%r][][who]", rest, rid)
        w.reply(rid, [b"you"])
        expect(c.recv(svc) == [b"you"], "reply did not reach the client with routing id %r", rid)


@check("worker with a fixed routing id that restarts without DISCONNECT is registered again "
       "after at most one DISCONNECT (RFC 7: reconnect on a new socket)")
def _(env):
    svc = unique("audit.restart")
    rid = b"audit-worker-" + os.urandom(3).hex().encode()
    w = Worker(env, svc, routing_id=rid).ready()
    w.sock.close()  # crash: no DISCONNECT
    time.sleep(0.05)
    deadline = now() + 2 * env.expiry + 2
    disconnects = 0
    w = Worker(env, svc, routing_id=rid)
    w.send(READY, w.service)
    c = Client(env)
    c.send(svc, [b"after restart"])
    while True:
        expect(now() < deadline, "restarted worker never got the request (%d DISCONNECTs)",
               disconnects)
        try:
            cmd, rest = w.next_command(min(env.expiry, deadline - now()))
        except Fail:
            cmd = None  # broker silent: RFC 7 says restart the conversation
        if cmd == REQUEST:
            expect(rest[2:] == [b"after restart"], "restarted worker got %r", rest)
            w.reply(rest[0], [b"ok"])
            break
        expect(cmd in (None, DISCONNECT), "unexpected command %r", cmd)
        if cmd == DISCONNECT:
            disconnects += 1
        w.sock.close()
        w = Worker(env, svc, routing_id=rid)
        w.send(READY, w.service)
    expect(disconnects <= 1, "%d DISCONNECTs before the worker was taken back", disconnects)
    expect(c.recv(svc) == [b"ok"], "reply differs")


# ---- worker commands the broker must refuse ----

@check("READY for a second, different service gets DISCONNECT; the worker serves neither")
def _(env):
    a, b = unique("audit.first"), unique("audit.second")
    w = Worker(env, a).ready()
    w.send(READY, b.encode())
    w.expect_disconnect()
    wait_mmi(env, a, b"404", 1)
    expect(mmi(env, b) == b"404", "the second READY registered %s", b)


@check("after the broker sends DISCONNECT it sends that worker nothing more: no HEARTBEAT, "
       "no REQUEST for its service")
def _(env):
    svc = unique("audit.after")
    w = Worker(env, svc).ready()
    w.send(READY, w.service)  # a second READY: DISCONNECT
    w.expect_disconnect()
    c = Client(env)
    c.send(svc, [b"queued"])
    nothing(w.sock, max(4 * env.hb, 0.5), "command after the broker's DISCONNECT")
    w2 = Worker(env, svc).ready()
    serve_one(w2, timeout=2)
    expect(c.recv(svc) == [b"queued"], "the queued request was not served by the new worker")


@check("malformed commands from a registered idle worker get DISCONNECT and it is forgotten")
def _(env):
    cases = [
        ("HEARTBEAT with an extra frame", [b"", MDPW, HEARTBEAT, b"x"]),
        ("two-byte command", [b"", MDPW, b"\x04\x00"]),
        ("no command frame", [b"", MDPW]),
        ("command 0x00", [b"", MDPW, b"\x00"]),
        ("MDP/0.2 header (no empty frame, MDPW02)", [b"MDPW02", b"\x05"]),
        ("not MDP at all", [b"hello"]),
    ]
    for what, frames in cases:
        svc = unique("audit.bad")
        w = Worker(env, svc).ready()
        w.sock.send_multipart(frames)
        try:
            w.expect_disconnect()
            wait_mmi(env, svc, b"404", 1)
        except Fail as e:
            raise Fail("%s: %s" % (what, e))


@check("malformed REPLY from a busy worker (no delimiter, no body, address only) gets "
       "DISCONNECT; nothing reaches the client")
def _(env):
    cases = [
        ("address not followed by an empty frame", lambda cl: [cl, b"x", b"body"]),
        ("no body frame", lambda cl: [cl, b""]),
        ("address only", lambda cl: [cl]),
    ]
    for what, rest in cases:
        svc, w, c, client = busy_worker(env, "audit.badreply", b"q")
        w.send(REPLY, *rest(client))
        try:
            w.expect_disconnect()
            wait_mmi(env, svc, b"404", 1)
            nothing(c.sock, 0.3, "reply built from a malformed REPLY")
        except Fail as e:
            raise Fail("%s: %s" % (what, e))


@check("REPLY addressed to a client other than the requester gets DISCONNECT; that client "
       "gets nothing (deliberate, docs/broker.md)")
def _(env):
    svc = unique("audit.forge")
    w = Worker(env, svc).ready()
    victim_id = b"audit-victim-" + os.urandom(3).hex().encode()
    victim = Client(env, routing_id=victim_id)
    # The victim is a live, known peer of the broker's ROUTER.
    expect(victim.request("mmi.service", [svc.encode()], timeout=2) == [b"200"], "mmi")
    asker = Client(env)
    asker.send(svc, [b"mine"])
    client, _ = w.request()
    expect(client != victim_id, "routing ids collided")
    w.send(REPLY, victim_id, b"", b"forged")
    w.expect_disconnect()
    nothing(victim.sock, 0.5, "forged reply delivered")
    wait_mmi(env, svc, b"404", 1)


# ---- MMI ----

@check("mmi.service: 200 while the only worker is busy; answered at once while requests wait")
def _(env):
    svc, w, c1, client = busy_worker(env, "audit.mmibusy", b"one")
    c2 = Client(env)
    c2.send(svc, [b"two"])  # waits: the worker is busy
    t0 = now()
    expect(mmi(env, svc) == b"200", "a service whose worker is busy is not 404")
    expect(mmi(env, unique("audit.nobody")) == b"404", "unknown service")
    took = now() - t0
    expect(took < 0.5, "mmi.service took %.0f ms: queued instead of answered", took * 1000)
    w.reply(client, [b"1"])
    expect(c1.recv(svc) == [b"1"], "first reply")
    serve_one(w, timeout=2)
    expect(c2.recv(svc) == [b"two"], "the waiting request was not served next")


# ---- heartbeats, liveness ----

@check("no HEARTBEAT to a worker that is sent REQUESTs more often than the interval "
       "(RFC 7: SHOULD NOT while sending other commands)")
def _(env):
    svc, w, c = worker_and_client(env, "audit.nohb")
    w.drain()
    served(w, c, svc, [b"0"], "reply 0")
    w.heartbeats = []
    end, i = now() + 4 * env.hb, 1
    while now() < end:
        time.sleep(0.2 * env.hb)
        served(w, c, svc, [b"%d" % i], "reply %d", i)
        i += 1
    expect(not w.heartbeats, "%d HEARTBEATs while REQUESTs came every %.0f ms (interval %.0f)",
           len(w.heartbeats), 200 * env.hb, 1000 * env.hb)


@check("a worker silent while it works (no HEARTBEAT) for 3 x liveness x interval still "
       "delivers its reply and stays registered (deliberate, docs/broker.md)")
def _(env):
    svc, w, c, client = busy_worker(env, "audit.slow", b"slow")
    time.sleep(3 * env.expiry)
    cmds = []
    while w.sock.poll(0):
        cmds.append(w.sock.recv_multipart()[2])
    expect(cmds and all(x == HEARTBEAT for x in cmds),
           "a busy worker should get only HEARTBEATs, got %r", cmds)
    w.reply(client, [b"done"])
    expect(c.recv(svc) == [b"done"], "late reply lost")
    served(w, c, svc, [b"again"], "the worker was not kept")


# ---- clients ----

@check("a client gone before its reply: the REPLY is dropped, the worker is kept and serves "
       "the next request")
def _(env):
    svc, w, c, client = busy_worker(env, "audit.gone", b"bye")
    c.sock.close()
    time.sleep(0.1)
    w.reply(client, [b"nobody listens"])
    c2 = Client(env, zmq.REQ)
    c2.send(svc, [b"next"])
    cmd, rest = w.next_command(2)
    expect(cmd == REQUEST and rest[2:] == [b"next"], "worker got %r %r instead of the next "
           "request", cmd, rest[:3])
    w.reply(rest[0], [b"served"])
    expect(c2.recv(svc) == [b"served"], "reply differs")


@check("requests waiting for a busy worker are served in arrival order (fair)")
def _(env):
    svc, w, first, client = busy_worker(env, "audit.fair", b"r0")
    clients = []
    for i in range(1, 5):
        c = Client(env, zmq.REQ if i % 2 else zmq.DEALER)
        c.send(svc, [b"r%d" % i])
        clients.append(c)
        time.sleep(0.05)  # separate connections: only time orders them
    w.reply(client, [b"r0"])
    order = [serve_one(w, timeout=2)[0] for _ in clients]
    expect(order == [b"r1", b"r2", b"r3", b"r4"], "served in order %r", order)
    for i, c in enumerate(clients, 1):
        expect(c.recv(svc) == [b"r%d" % i], "client %d reply", i)
    expect(first.recv(svc) == [b"r0"], "first reply")


@check("a request waiting behind a busy worker past request_wait_ms is dropped, never handed "
       "on later (deliberate, docs/broker.md)")
def _(env):
    svc, w, first, client = busy_worker(env, "audit.behind", b"held")
    late = Client(env)
    late.send(svc, [b"waits"])
    # Busy, and silent as a working worker may be, past the wait.
    time.sleep(env.wait + 0.4)
    w.drain()
    w.reply(client, [b"held done"])
    expect(first.recv(svc) == [b"held done"], "first reply")
    try:
        cmd, rest = w.next_command(3 * env.hb)
        raise Fail("the expired request was handed on: %r %r" % (cmd, rest[:3]))
    except Fail as e:
        if "no command" not in str(e):
            raise
    nothing(late.sock, 0.1, "reply to the expired request")


@check("12 REQ clients x 5 requests over 3 workers: every reply reaches its own client, "
       "every worker serves")
def _(env):
    svc = unique("audit.load")
    workers = [Worker(env, svc).ready() for _ in range(3)]
    clients = [Client(env, zmq.REQ) for _ in range(12)]
    poller = zmq.Poller()
    for s in [w.sock for w in workers] + [c.sock for c in clients]:
        poller.register(s, zmq.POLLIN)
    sent = {c.sock: 0 for c in clients}
    served = {w.sock: 0 for w in workers}
    for c in clients:
        c.send(svc, [b"%d" % id(c), b"0"])
    done, deadline = 0, now() + 10
    while done < len(clients) and now() < deadline:
        for w in workers:
            if now() - w.last_sent >= env.hb:
                w.send(HEARTBEAT)
        for sock, _ in poller.poll(50):
            w = next((w for w in workers if w.sock is sock), None)
            if w:
                f = sock.recv_multipart()
                if f[2] == REQUEST:
                    served[sock] += 1
                    w.reply(f[3], f[5:] + [b"by-%d" % workers.index(w)])
                continue
            c = next(c for c in clients if c.sock is sock)
            body = c.recv(svc, 1)
            n = sent[sock]
            expect(body[:2] == [b"%d" % id(c), b"%d" % n] and len(body) == 3,
                   "client got %r for request %d", body, n)
            if n == 4:
                done += 1
            else:
                sent[sock] = n + 1
                c.send(svc, [b"%d" % id(c), b"%d" % (n + 1)])
    expect(done == len(clients), "%d of %d clients finished", done, len(clients))
    expect(sum(served.values()) == 60 and all(served.values()),
           "requests per worker %r", list(served.values()))


# ---- limits (documented in docs/broker.md) ----

@check("bodies of %d frames pass both ways, and the worker echoing one stays registered"
       % MAX_BODY)
def _(env):
    svc, w, c = worker_and_client(env, "audit.wide")
    body = [b"%d" % i for i in range(MAX_BODY)]
    c.send(svc, body)
    client, got = w.request(timeout=3)
    expect(got == body, "worker got %d frames, %d sent", len(got), len(body))
    w.reply(client, got)
    expect(c.recv(svc, 3) == body, "echo differs")
    served(w, c, svc, [b"next"], "the worker did not take the next request")


@check("over the frame limit: a request is dropped, a REPLY gets DISCONNECT (the worker is "
       "not left busy); the broker goes on serving")
def _(env):
    svc, w, c = worker_and_client(env, "audit.toowide")
    c.send(svc, [b"x"] * (MAX_BODY + 1))
    c.send(svc, [b"fits"])
    client, got = w.request(timeout=2)
    expect(got == [b"fits"], "worker got %d frames first", len(got))
    w.reply(client, [b"y"] * (MAX_BODY + 1))
    w.expect_disconnect()
    wait_mmi(env, svc, b"404", 1)
    nothing(c.sock, 0.3, "reply to an over-limit request or from an over-limit REPLY")
    w2 = Worker(env, svc).ready()
    served(w2, c, svc, [b"after"], "broker stopped serving")


@check("service names of 255 bytes work end to end; 256: READY gets DISCONNECT, a request is "
       "dropped")
def _(env):
    long_ok = (b"audit." + os.urandom(4).hex().encode()).ljust(255, b"x")
    w = Worker(env, long_ok).ready()
    c = Client(env)
    served(w, c, long_ok, [b"long"], "255-byte service name")
    too_long = long_ok + b"y"
    w2 = Worker(env, too_long)
    w2.send(READY, too_long)
    w2.expect_disconnect()
    c.send(too_long, [b"dropped"])
    nothing(c.sock, 0.3, "reply for a 256-byte service name")
    served(w, c, long_ok, [b"still"], "broker stopped serving")


# ---- the defaults a stock peer assumes (broker started with no timing flags) ----

def _default_heartbeats(env, out):
    """A Guide-style worker: HEARTBEAT every 2500 ms; records the broker's."""
    svc = unique("audit.dflt.hb")
    w = Worker(env, svc).ready()
    start = now()
    try:
        w.next_command(3.6 * env.hb)
        raise Fail("unexpected command while idle")
    except Fail as e:
        if "no command" not in str(e):
            raise
    beats = w.heartbeats
    expect(len(beats) >= 3, "%d broker HEARTBEATs in %.1f s", len(beats), now() - start)
    gaps = [b - a for a, b in zip(beats, beats[1:])]
    expect(all(0.85 * env.hb <= g <= 1.25 * env.hb for g in gaps),
           "broker HEARTBEAT gaps %r ms, RFC 7 default interval 2500 ms",
           [round(g * 1000) for g in gaps])
    expect(now() - start > env.expiry, "ran %.1f s only", now() - start)
    expect(mmi(env, svc) == b"200", "a worker heartbeating every 2500 ms was expired")
    out.append("broker HEARTBEAT gaps %s ms" % [round(g * 1000) for g in gaps])


def _default_expiry(env, out):
    svc = unique("audit.dflt.silent")
    w = Worker(env, svc)
    w.send(READY, w.service)
    t0 = now()
    wait_mmi(env, svc, b"200", 2)
    while mmi(env, svc) == b"200":
        expect(now() - t0 < env.expiry + 2 * env.hb, "silent worker kept %.1f s", now() - t0)
        time.sleep(0.1)
    took = now() - t0
    expect(0.95 * env.expiry <= took <= env.expiry + 0.6,
           "silent idle worker expired after %.0f ms, expected 3 x 2500 = 7500 ms", took * 1000)
    out.append("silent worker expired after %.0f ms" % (took * 1000))


def _default_wait(env, out):
    svc = unique("zwfw.auditdflt")
    c = Client(env)
    t0 = now()
    got = c.request(svc, [b"rid", b"zwfw.v1.HealthRequest", b""], timeout=env.wait + 2)
    took = now() - t0
    expect(len(got) == 3 and got[:2] == [b"rid", b"zwfw.v1.Error"] and
           pb_decode(got[2]).get(1) == [UNAVAILABLE], "expected UNAVAILABLE, got %r", got)
    expect(env.wait - 0.1 <= took <= env.wait + 0.6,
           "UNAVAILABLE after %.0f ms, default request_wait_ms 5000", took * 1000)
    # A plain request waits the same 5 s for a worker to appear.
    svc = unique("audit.dflt.late")
    c.send(svc, [b"patient"])
    time.sleep(0.7 * env.wait)
    w = Worker(env, svc).ready(sync=False)
    serve_one(w, timeout=2)
    expect(c.recv(svc) == [b"patient"], "a request waiting 3.5 s was not served")
    out.append("zwfw UNAVAILABLE after %.0f ms" % (took * 1000))


@check("defaults (no timing flags): HEARTBEAT every 2500 ms, silent idle worker expired at "
       "3 x 2500 ms, heartbeating one kept, requests wait 5000 ms", broker="default")
def _(env):
    results, errors, notes = [], [], []
    threads = []
    for fn in (_default_heartbeats, _default_expiry, _default_wait):
        def run(fn=fn):
            try:
                fn(env, notes)
                results.append(fn.__name__)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append("%s: %s" % (fn.__name__, e if isinstance(e, Fail)
                                          else traceback.format_exc()))
        t = threading.Thread(target=run)
        t.start()
        threads.append(t)
    for t in threads:
        t.join(40)
    expect(not errors, "; ".join(errors))
    expect(len(results) == 3, "only %r finished", results)
    print("    " + "; ".join(notes))


def main(argv):
    if len(argv) < 5:
        sys.stderr.write(__doc__)
        return 2
    ctx = zmq.Context()
    envs = {
        "fast": Env(ctx, argv[0], int(argv[1]) / 1000.0, int(argv[2]), int(argv[3]) / 1000.0),
        "default": Env(ctx, argv[4], DEFAULT_HB, DEFAULT_LIVENESS, DEFAULT_WAIT),
    }
    for name, env in envs.items():
        if not answers(env, "audit.startup"):
            print("FAIL - %s broker at %s does not answer mmi.service" % (name, env.endpoint))
            print("0 passed, 1 failed")
            return 1
    passed, failed = run_checks([(name, envs[broker], fn) for name, broker, fn in CHECKS],
                                argv[5:], "PASS", "FAIL")
    ctx.term()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
