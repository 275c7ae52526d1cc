#!/usr/bin/python3
"""Conformance checks of a running zwfw-broker against ZeroMQ RFC 7
(MDP/0.1) and RFC 8 (MMI), written from the two specifications, with raw
pyzmq sockets only: REQ and DEALER clients, DEALER workers that build every
frame by hand. Plus zwfw's own rules for zwfw.* services (three-frame
bodies, the appended zwfw.v1.Caller frame, zwfw.v1.Error replies).

  rfc_conformance.py ENDPOINT HEARTBEAT_MS LIVENESS REQUEST_WAIT_MS [NAME...]

The broker must already run on ENDPOINT, in plain mode, with those
settings. With NAMEs only the checks whose names contain one of them run.
Each check prints "ok - NAME" or "not ok - NAME" and the reason; the last
line is "N passed, M failed"; the exit status is 1 when any check failed.
Every receive has a timeout: a broker that does not answer fails a check,
it never hangs the run.
"""
import os
import sys
import time

import zmq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mdp_peer import (  # noqa: E402  (the hand-built RFC 7 peers)
    DISCONNECT, HEARTBEAT, MDPC, MDPW, READY, REPLY, REQUEST, Client, Env, Worker, answers,
    expect, mmi, nothing, now, pb_decode, recv, run_checks, serve_one, served, unique, wait_mmi,
    worker_and_client, busy_worker)

# zwfw.v1.Code values (proto/zwfw/v1/common.proto), canonical gRPC codes.
INVALID_ARGUMENT, UNAVAILABLE = 3, 14
ROLE_OPERATOR = 5


# ---- the checks ----

CHECKS = []


def check(name):
    def add(fn):
        CHECKS.append((name, fn))
        return fn
    return add


BINARY = bytes(range(256))
BODIES = [
    [b"hello"],
    [b""],
    [b"", b"", b""],
    [b"", b"middle", b""],
    [BINARY, b"\x00", b"", b"\xff" * 3, b"MDPC01", b"\x00MDPW01"],
    [os.urandom(1 << 20), b"", b"tail"],
    [b"frame%d" % i for i in range(40)],
]


def round_trip(env, kind):
    svc = unique("rfc.echo")
    w = Worker(env, svc).ready()
    c = Client(env, kind)
    for body in BODIES:
        c.send(svc, body)
        client, got = w.request()
        expect(got == body, "worker got %d frames %r..., sent %d", len(got),
               [g[:16] for g in got[:4]], len(body))
        reply = [b"re"] + list(reversed(body))
        w.reply(client, reply)
        back = c.recv(svc)
        expect(back == reply, "client got %d frames, worker sent %d", len(back), len(reply))


@check("dealer client: request and reply pass byte for byte (empty, binary, 1 MiB, 40 frames)")
def _(env):
    round_trip(env, zmq.DEALER)


@check("req client: request and reply pass byte for byte (REQ adds/strips the empty frame)")
def _(env):
    round_trip(env, zmq.REQ)


@check("worker REQUEST is [empty][MDPW01][0x02][client][empty][body] and nothing is appended")
def _(env):
    svc, w, c = worker_and_client(env, "rfc.shape")
    c.send(svc, [b"only"])
    f = w.sock.recv_multipart() if w.sock.poll(3000) else None
    while f is not None and f[2:3] == [HEARTBEAT]:
        f = w.sock.recv_multipart() if w.sock.poll(3000) else None
    expect(f is not None, "no REQUEST within 3 s")
    expect(len(f) == 6, "REQUEST should be 6 frames, got %d: %r", len(f), f)
    expect(f[0] == b"" and f[1] == MDPW and f[2] == REQUEST and f[4] == b"" and f[5] == b"only",
           "bad REQUEST frames %r", f)
    w.reply(f[3], [b"done"])
    expect(c.recv(svc) == [b"done"], "reply body differs")


@check("dealer client: many requests in flight to several services come back to the right one")
def _(env):
    svcs = [unique("rfc.multi") for _ in range(3)]
    workers = [Worker(env, s).ready() for s in svcs]
    c = Client(env)
    for i, s in enumerate(svcs):
        c.send(s, [b"n%d" % i])
    for i, w in enumerate(workers):
        serve_one(w, lambda body, s=svcs[i]: [s.encode()] + body)
    got = {}
    for _ in svcs:
        f = recv(c.sock, 3)
        expect(f[0] == b"" and f[1] == MDPC, "bad reply %r", f)
        got[f[2]] = f[3:]
    for i, s in enumerate(svcs):
        expect(got.get(s.encode()) == [s.encode(), b"n%d" % i], "service %s got %r", s,
               got.get(s.encode()))


@check("req clients: two REQ sockets served in turn by one worker")
def _(env):
    svc = unique("rfc.req2")
    w = Worker(env, svc).ready()
    a, b = Client(env, zmq.REQ), Client(env, zmq.REQ)
    a.send(svc, [b"a"])
    b.send(svc, [b"b"])
    seen = sorted(serve_one(w)[0] for _ in range(2))
    expect(seen == [b"a", b"b"], "worker saw %r", seen)
    expect(a.recv(svc) == [b"a"], "REQ a got someone else's reply")
    expect(b.recv(svc) == [b"b"], "REQ b got someone else's reply")


@check("a worker holds one request at a time: the next waits until it REPLYs")
def _(env):
    svc = unique("rfc.one")
    w = Worker(env, svc).ready()
    a, b = Client(env), Client(env, zmq.REQ)
    a.send(svc, [b"first"])
    client, body = w.request()
    expect(body == [b"first"], "first request %r", body)
    b.send(svc, [b"second"])
    w.idle(3 * env.hb)  # only HEARTBEATs while it holds "first"
    w.reply(client, [b"1"])
    client, body = w.request(timeout=2)
    expect(body == [b"second"], "second request %r", body)
    w.reply(client, [b"2"])
    expect(a.recv(svc) == [b"1"] and b.recv(svc) == [b"2"], "replies crossed")


@check("DISCONNECT from a busy worker: it is forgotten, later requests wait for a new worker")
def _(env):
    svc, w, c = worker_and_client(env, "rfc.busybye")
    c.send(svc, [b"lost"])
    w.request()
    w.send(DISCONNECT)
    wait_mmi(env, svc, b"404", 1)
    nothing(w.sock, 2 * env.hb, "command after the worker's DISCONNECT")
    c.send(svc, [b"next"])
    w2 = Worker(env, svc).ready()
    serve_one(w2, timeout=2)
    expect(c.recv(svc) == [b"next"], "the request after the DISCONNECT was not served")


@check("READY gets no reply (only HEARTBEATs reach an idle worker)")
def _(env):
    w = Worker(env, unique("rfc.ready")).ready()
    w.idle(2.5 * env.hb)


@check("broker HEARTBEATs reach an idle worker at about the configured interval")
def _(env):
    w = Worker(env, unique("rfc.hb")).ready()
    start = now()
    w.idle(8 * env.hb)
    beats = w.heartbeats
    expect(len(beats) >= 5, "%d HEARTBEATs in %.1f s at %.0f ms", len(beats), now() - start,
           env.hb * 1000)
    gaps = [b - a for a, b in zip(beats, beats[1:])]
    expect(beats[0] - start < 2 * env.hb, "first HEARTBEAT after %.0f ms",
           (beats[0] - start) * 1000)
    mean = sum(gaps) / len(gaps)
    expect(0.8 * env.hb <= mean <= 1.3 * env.hb and all(0.4 * env.hb <= g <= 2 * env.hb
                                                        for g in gaps),
           "HEARTBEAT gaps %r ms, interval %.0f ms", [round(g * 1000) for g in gaps],
           env.hb * 1000)


@check("broker HEARTBEATs also reach a worker holding a request")
def _(env):
    svc, w, c, client = busy_worker(env, "rfc.busyhb", b"slow")
    w.heartbeats = []
    w.idle(5 * env.hb)
    expect(len(w.heartbeats) >= 3, "busy worker got %d HEARTBEATs in %.0f ms",
           len(w.heartbeats), 5 * env.hb * 1000)
    w.reply(client, [b"late"])
    expect(c.recv(svc) == [b"late"], "late reply lost")


@check("a worker that heartbeats stays registered well past liveness x interval")
def _(env):
    svc = unique("rfc.alive")
    w = Worker(env, svc).ready()
    w.idle(3 * env.expiry)
    expect(mmi(env, svc) == b"200", "heartbeating worker was dropped")
    c = Client(env)
    served(w, c, svc, [b"x"], "reply differs", timeout=None)


@check("any command counts as a heartbeat: a worker that only REPLYs is kept")
def _(env):
    svc, w, c = worker_and_client(env, "rfc.replyhb")
    end = now() + 3 * env.expiry
    n = 0
    while now() < end:
        c.send(svc, [b"%d" % n])
        client, body = w.request()
        w.reply(client, body)
        expect(c.recv(svc) == [b"%d" % n], "reply %d differs" % n)
        n += 1
        # Silent (no HEARTBEAT) for less than the expiry, then work again.
        time.sleep(0.6 * env.expiry)
        while w.sock.poll(0):
            w.sock.recv_multipart()
    expect(mmi(env, svc) == b"200", "worker that kept replying was expired")


@check("a silent idle worker is expired after liveness x interval (mmi 404)")
def _(env):
    svc = unique("rfc.silent")
    w = Worker(env, svc).ready()
    t0 = now()
    expect(mmi(env, svc) == b"200", "worker not registered")
    wait_mmi(env, svc, b"404", 3 * env.expiry + 2)
    took = now() - t0  # from READY to the first 404
    expect(took >= 0.75 * env.expiry, "expired after %.0f ms, before liveness x interval %.0f ms",
           took * 1000, env.expiry * 1000)
    expect(took <= env.expiry + 2.5 * env.hb + 0.3, "expired only after %.0f ms (expected ~%.0f)",
           took * 1000, env.expiry * 1000)
    # Then the broker sends it nothing more (RFC 7 SHOULD), and a HEARTBEAT
    # from it now is unexpected: DISCONNECT.
    while w.sock.poll(0):
        w.sock.recv_multipart()
    nothing(w.sock, 2 * env.hb, "message to an expired worker")
    w.send(HEARTBEAT)
    w.expect_disconnect()


@check("after a silent worker expires its requests go to a live worker of the service")
def _(env):
    svc = unique("rfc.failover")
    silent = Worker(env, svc).ready()
    time.sleep(0.05)
    live = Worker(env, svc).ready()
    live.idle(env.expiry + 3 * env.hb)  # the silent one is gone by now
    c = Client(env)
    for i in range(3):
        served(live, c, svc, [b"r%d" % i], "reply %d differs", i)
    while silent.sock.poll(0):
        f = silent.sock.recv_multipart()
        expect(f[2:3] != [REQUEST], "the expired worker was sent a request: %r", f)


@check("a request for a service whose only worker expired waits and is served by a new worker")
def _(env):
    svc = unique("rfc.requeue")
    Worker(env, svc).ready()
    wait_mmi(env, svc, b"404", 3 * env.expiry + 2)
    c = Client(env)
    c.send(svc, [b"waiting"])
    time.sleep(min(0.3, env.wait / 4))
    expect(mmi(env, svc) == b"404", "a queued request is not a worker")
    w = Worker(env, svc).ready()
    serve_one(w, timeout=env.wait)
    expect(c.recv(svc) == [b"waiting"], "queued request's reply differs")


@check("requests queued with no worker are served in order when one READYs within the wait")
def _(env):
    svc = unique("rfc.queue")
    dealer, req = Client(env), Client(env, zmq.REQ)
    for i in range(3):
        dealer.send(svc, [b"q%d" % i])
    time.sleep(0.1)  # two connections: only time orders them
    req.send(svc, [b"q3"])
    time.sleep(min(0.5, env.wait / 3))
    w = Worker(env, svc).ready()
    order = [serve_one(w, timeout=2)[0] for _ in range(4)]
    expect(order == [b"q0", b"q1", b"q2", b"q3"], "served in order %r", order)
    expect([dealer.recv(svc)[0] for _ in range(3)] == [b"q0", b"q1", b"q2"], "dealer replies")
    expect(req.recv(svc) == [b"q3"], "REQ reply")


@check("a plain request not served within the wait is dropped, not handed to a late worker")
def _(env):
    svc = unique("rfc.expire")
    c = Client(env)
    c.send(svc, [b"too late"])
    time.sleep(env.wait + 0.4)
    w = Worker(env, svc).ready()
    w.idle(3 * env.hb)
    nothing(c.sock, 0.1, "reply to an expired request")


@check("DISCONNECT from the last worker: mmi 404, and the broker sends it nothing more")
def _(env):
    svc = unique("rfc.bye")
    w = Worker(env, svc).ready()
    expect(mmi(env, svc) == b"200", "worker not registered")
    w.send(DISCONNECT)
    wait_mmi(env, svc, b"404", 1)
    while w.sock.poll(0):
        f = w.sock.recv_multipart()
        expect(f[2:3] == [HEARTBEAT], "unexpected %r", f)
    nothing(w.sock, 3 * env.hb, "command after the worker's DISCONNECT")


@check("DISCONNECT from one of two workers: the other serves every request")
def _(env):
    svc = unique("rfc.bye2")
    a = Worker(env, svc).ready()
    b = Worker(env, svc).ready()
    time.sleep(0.05)
    a.send(DISCONNECT)
    time.sleep(0.05)
    expect(mmi(env, svc) == b"200", "remaining worker lost")
    c = Client(env)
    for i in range(3):
        served(b, c, svc, [b"%d" % i], "reply differs")
    while a.sock.poll(0):
        f = a.sock.recv_multipart()
        expect(f[2:3] != [REQUEST], "disconnected worker got %r", f)


@check("DISCONNECT before READY is accepted silently")
def _(env):
    w = Worker(env)
    w.send(DISCONNECT)
    nothing(w.sock, 2 * env.hb, "reply to DISCONNECT")


@check("workers that vanish without DISCONNECT are forgotten (mmi 404); new ones serve")
def _(env):
    svc = unique("rfc.crash")
    for _ in range(2):
        Worker(env, svc).ready().close()
    wait_mmi(env, svc, b"404", env.expiry + 3 * env.hb + 1)
    c = Client(env, zmq.REQ)
    c.send(svc, [b"after crash"])
    w = Worker(env, svc).ready()
    serve_one(w, timeout=2)
    expect(c.recv(svc) == [b"after crash"], "reply differs")


def violation(env, *frames, ready_first=None):
    w = Worker(env, ready_first)
    if ready_first:
        w.ready()
        time.sleep(0.05)
    w.sock.send_multipart(list(frames))
    w.expect_disconnect()
    return w


@check("HEARTBEAT before READY gets DISCONNECT")
def _(env):
    violation(env, b"", MDPW, HEARTBEAT)


@check("REPLY before READY gets DISCONNECT")
def _(env):
    violation(env, b"", MDPW, REPLY, b"\x00abcd", b"", b"body")


@check("REPLY with no request in flight gets DISCONNECT; the worker is forgotten")
def _(env):
    svc = unique("rfc.badreply")
    violation(env, b"", MDPW, REPLY, b"\x00abcd", b"", b"body", ready_first=svc)
    wait_mmi(env, svc, b"404", 1)


@check("a second READY gets DISCONNECT; the worker is forgotten")
def _(env):
    svc = unique("rfc.twice")
    violation(env, b"", MDPW, READY, svc.encode(), ready_first=svc)
    wait_mmi(env, svc, b"404", 1)


@check("READY for an mmi.* service gets DISCONNECT (RFC 8)")
def _(env):
    for name in (b"mmi.service", b"mmi.custom"):
        violation(env, b"", MDPW, READY, name)
    expect(mmi(env, "mmi.custom") != b"200", "a worker registered mmi.custom")


@check("an unknown command, or REQUEST from a worker, gets DISCONNECT")
def _(env):
    violation(env, b"", MDPW, b"\x09", ready_first=unique("rfc.unknown"))
    violation(env, b"", MDPW, REQUEST, b"\x00abcd", b"", b"x", ready_first=unique("rfc.req"))


@check("malformed client messages are dropped; the broker keeps serving that socket")
def _(env):
    svc, w, c = worker_and_client(env, "rfc.garbage")
    junk = [
        [MDPC, svc.encode(), b"no empty frame"],
        [b"", b"MDPC02", svc.encode(), b"unknown version"],
        [b"", b"MDPC0", svc.encode(), b"short header"],
        [b"", MDPC, svc.encode()],  # no body
        [b"", MDPC, b"", b"empty service name"],
        [b"", MDPC],
        [b""],
        [b"garbage"],
    ]
    for m in junk:
        c.sock.send_multipart(m)
    c.send(svc, [b"valid"])
    body = serve_one(w, timeout=2)
    expect(body == [b"valid"], "worker got %r", body)
    expect(c.recv(svc) == [b"valid"], "reply differs")
    nothing(c.sock, 2 * env.hb, "reply to a malformed message")
    w.idle(env.hb)  # and no stray request reached the worker


@check("mmi.service: 200 for a service with a worker, 404 without (DEALER, exact frames)")
def _(env):
    svc, w, c = worker_and_client(env, "rfc.mmi")
    c.sock.send_multipart([b"", MDPC, b"mmi.service", svc.encode()])
    f = recv(c.sock, 2)
    expect(f == [b"", MDPC, b"mmi.service", b"200"], "mmi.service reply %r", f)
    c.sock.send_multipart([b"", MDPC, b"mmi.service", b"rfc.nobody.here"])
    f = recv(c.sock, 2)
    expect(f == [b"", MDPC, b"mmi.service", b"404"], "mmi.service reply %r", f)
    w.close()


@check("mmi.service: 200 / 404 to a REQ client ([MDPC01][mmi.service][code])")
def _(env):
    svc = unique("rfc.mmireq")
    Worker(env, svc).ready()
    c = Client(env, zmq.REQ)
    c.sock.send_multipart([MDPC, b"mmi.service", svc.encode()])
    f = recv(c.sock, 2)
    expect(f == [MDPC, b"mmi.service", b"200"], "mmi.service reply %r", f)
    c.sock.send_multipart([MDPC, b"mmi.service", b"rfc.nobody.here"])
    f = recv(c.sock, 2)
    expect(f == [MDPC, b"mmi.service", b"404"], "mmi.service reply %r", f)


@check("mmi.service: 404 for a service that has queued requests but no worker")
def _(env):
    svc = unique("rfc.mmiq")
    Client(env).send(svc, [b"waiting"])
    time.sleep(0.05)
    expect(mmi(env, svc) == b"404", "queued request counted as a worker")


@check("unknown mmi.* services answer 501 under their own name (DEALER and REQ)")
def _(env):
    for kind in (zmq.DEALER, zmq.REQ):
        for name in ("mmi.echo", "mmi.services", "mmi.", "mmi.service.x"):
            c = Client(env, kind)
            body = c.request(name, [b"whatever"], timeout=2)
            expect(body == [b"501"], "%s answered %r", name, body)


@check("mmi.*: as RFC 8's reference broker, the name is the last frame and the reply is the "
       "body with that frame replaced by the code")
def _(env):
    svc = unique("rfc.mmitag")
    Worker(env, svc).ready()
    for kind in (zmq.DEALER, zmq.REQ):
        c = Client(env, kind)
        got = c.request("mmi.service", [b"tag\x00", svc.encode()], timeout=2)
        expect(got == [b"tag\x00", b"200"], "mmi.service [tag][name] answered %r", got)
        got = c.request("mmi.service", [svc.encode(), b"rfc.nobody.here"], timeout=2)
        expect(got == [svc.encode(), b"404"], "mmi.service [x][unknown] answered %r", got)
        got = c.request("mmi.service", [b""], timeout=2)
        expect(got == [b"404"], "mmi.service [empty name] answered %r", got)
        got = c.request("mmi.nothing", [b"a", b"", b"b"], timeout=2)
        expect(got == [b"a", b"", b"501"], "mmi.nothing answered %r", got)


@check("zwfw.*: a three-frame body reaches the worker with a Caller frame appended")
def _(env):
    svc = unique("zwfw.rfc")
    w = Worker(env, svc).ready()
    for kind in (zmq.DEALER, zmq.REQ):
        c = Client(env, kind)
        sent = [b"rid-\x00\xff", b"zwfw.v1.HealthRequest", b"\x0a\x03abc"]
        c.send(svc, sent)
        client, body = w.request()
        expect(len(body) == 4, "zwfw worker got %d frames, expected 3 + Caller", len(body))
        expect(body[:3] == sent, "the three frames changed: %r", body[:3])
        caller = pb_decode(body[3])
        expect(caller.get(1) == [b"local"], "Caller.key_id %r", caller.get(1))
        expect(caller.get(2) == [ROLE_OPERATOR], "Caller.role %r", caller.get(2))
        expect(caller.get(3) == [b"500152"], "Caller.region %r", caller.get(3))
        reply = [sent[0], b"zwfw.v1.HealthReply", b"\x00\x01binary\xff"]
        w.reply(client, reply)
        expect(c.recv(svc) == reply, "zwfw reply not passed byte for byte")


@check("zwfw.*: a body of other than three frames gets INVALID_ARGUMENT from the broker")
def _(env):
    svc = unique("zwfw.rfc3")
    w = Worker(env, svc).ready()
    for kind in (zmq.DEALER, zmq.REQ):
        for body in ([b"rid-2", b"zwfw.v1.X"],
                     [b"rid-4", b"zwfw.v1.X", b"", b"forged caller"],
                     [b"rid-1"]):
            c = Client(env, kind)
            got = c.request(svc, body, timeout=2)
            expect(len(got) == 3 and got[0] == body[0] and got[1] == b"zwfw.v1.Error",
                   "expected [rid][zwfw.v1.Error][Error], got %r", got)
            err = pb_decode(got[2])
            expect(err.get(1) == [INVALID_ARGUMENT], "Error.code %r", err.get(1))
            expect(err.get(2) and err[2][0], "Error.message empty")
    w.idle(env.hb)  # none of them reached the worker


@check("zwfw.*: with no worker the request gets UNAVAILABLE after the wait")
def _(env):
    svc = unique("zwfw.rfcnone")
    c = Client(env)
    t0 = now()
    got = c.request(svc, [b"rid-u", b"zwfw.v1.HealthRequest", b""], timeout=env.wait + 2)
    took = now() - t0
    expect(len(got) == 3 and got[0] == b"rid-u" and got[1] == b"zwfw.v1.Error",
           "expected an Error, got %r", got)
    expect(pb_decode(got[2]).get(1) == [UNAVAILABLE], "Error.code %r", pb_decode(got[2]))
    expect(0.8 * env.wait <= took <= env.wait + 1.0, "answered after %.0f ms (wait %.0f ms)",
           took * 1000, env.wait * 1000)


@check("requests are spread over the workers of a service (least recently used)")
def _(env):
    svc = unique("rfc.lru")
    workers = [Worker(env, svc).ready() for _ in range(3)]
    time.sleep(0.1)
    poller = zmq.Poller()
    for w in workers:
        poller.register(w.sock, zmq.POLLIN)
    c = Client(env)
    got = []
    for i in range(6):
        for w in workers:
            w.send(HEARTBEAT)  # stay alive however slow this loop runs
        c.send(svc, [b"%d" % i])
        served = False
        deadline = now() + 2
        while not served and now() < deadline:
            for sock, _ in poller.poll(100):
                k = [w.sock for w in workers].index(sock)
                f = sock.recv_multipart()
                if f[2] == REQUEST:
                    expect(not served, "one request reached two workers")
                    workers[k].reply(f[3], f[5:])
                    got.append(k)
                    served = True
        expect(served, "request %d reached no worker", i)
        expect(c.recv(svc, 2) == [b"%d" % i], "reply %d differs", i)
    expect(sorted(set(got)) == [0, 1, 2] and len(got) == 6,
           "requests went to workers %r", got)


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    env = Env(zmq.Context(), argv[0], int(argv[1]) / 1000.0, int(argv[2]),
              int(argv[3]) / 1000.0)
    only = argv[4:]
    if not answers(env, "rfc.startup"):
        print("broker at %s does not answer mmi.service" % argv[0])
        print("0 passed, 1 failed")
        return 1
    passed, failed = run_checks([(name, env, fn) for name, fn in CHECKS], only, "ok", "not ok")
    env.ctx.term()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
