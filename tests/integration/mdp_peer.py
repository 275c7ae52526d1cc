#!/usr/bin/python3
"""An RFC 7 (MDP/0.1) client and worker, written from the specification
alone, to check that zwfw's broker and libraries interoperate with a peer
that shares none of their code. Needs Debian's python3-zmq.

  mdp_peer.py client EP SERVICE FRAME...     one request; prints reply frames
  mdp_peer.py check-zwfw-echo EP SERVICE     zwfw body through an echo worker
  mdp_peer.py check-raw-echo EP SERVICE      plain body echoed byte for byte
  mdp_peer.py check-health EP SERVICE        HealthRequest -> HealthReply
  mdp_peer.py mmi EP SERVICE EXPECT          mmi.service answers EXPECT
  mdp_peer.py wait-service EP SERVICE SECS   until mmi.service says 200
  mdp_peer.py worker EP SERVICE [HEARTBEAT_MS]   serve until SIGTERM

A check exits 0 when it passes, 1 with a reason on stderr when it fails.
Frames given on the command line are UTF-8 text; "hex:..." gives bytes.

Imported by rfc_conformance.py and rfc_audit.py for the hand-built peers
below (Env, Client, Worker, mmi, run_checks, ...).
"""
import os
import signal
import sys
import threading
import time
import traceback

import zmq

MDPC = b"MDPC01"
MDPW = b"MDPW01"
READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"


class Fail(Exception):
    pass


def expect(cond, fmt, *args):
    if not cond:
        raise Fail(fmt % args if args else fmt)


# ---- a few protobuf wire-format helpers (no protobuf library needed) ----

def pb_varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_string(field, s):
    data = s.encode() if isinstance(s, str) else s
    return pb_varint(field << 3 | 2) + pb_varint(len(data)) + data


def pb_decode(data):
    """Returns {field: [values]}: ints for varints, bytes for length-delimited."""
    fields, i = {}, 0

    def varint():
        nonlocal i
        shift = value = 0
        while True:
            expect(i < len(data), "truncated varint in %r", data)
            b = data[i]
            i += 1
            value |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return value

    while i < len(data):
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            value = varint()
        elif wire == 2:
            n = varint()
            expect(i + n <= len(data), "truncated field %d", field)
            value = data[i:i + n]
            i += n
        else:
            raise Fail("unexpected wire type %d" % wire)
        fields.setdefault(field, []).append(value)
    return fields


def error_frame(code, message, details=None):
    """A packed zwfw.v1.Error {code, message, details (map<string,string>)}."""
    out = pb_varint(1 << 3 | 0) + pb_varint(code) + pb_string(2, message)
    for key, value in (details or {}).items():
        out += pb_string(3, pb_string(1, key) + pb_string(2, value))
    return out


# ---- client ----

class PeerClient:
    """RFC 7 client over a DEALER socket: [empty][MDPC01][service][body...]."""

    def __init__(self, ctx, endpoint, timeout_ms=5000):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.linger = 0
        self.sock.connect(endpoint)
        self.timeout_ms = timeout_ms

    def request(self, service, body):
        self.sock.send_multipart([b"", MDPC, service.encode()] + list(body))
        if not self.sock.poll(self.timeout_ms, zmq.POLLIN):
            raise Fail("no reply from %s within %d ms" % (service, self.timeout_ms))
        frames = self.sock.recv_multipart()
        if len(frames) < 3 or frames[0] != b"" or frames[1] != MDPC:
            raise Fail("malformed reply %r" % frames)
        if frames[2] != service.encode():
            raise Fail("reply for service %r, asked %r" % (frames[2], service))
        return frames[3:]

    def close(self):
        self.sock.close()


def frame_arg(text):
    return bytes.fromhex(text[4:]) if text.startswith("hex:") else text.encode()


def show(frame):
    try:
        text = frame.decode()
        if text.isprintable():
            return text
    except UnicodeDecodeError:
        pass
    return "hex:" + frame.hex()


def check_zwfw_echo(client, service):
    rid = os.urandom(8).hex().encode()
    payload = bytes(range(256)) + b"\x00tail"
    reply = client.request(service, [rid, b"zwfw.testing.Blob", payload])
    if reply != [rid, b"zwfw.testing.Blob", payload]:
        raise Fail("echo differs: %r" % [show(f)[:40] for f in reply])
    # Several in flight at once: each reply names its own request.
    rids = [os.urandom(8).hex().encode() for _ in range(8)]
    for i, r in enumerate(rids):
        client.sock.send_multipart([b"", MDPC, service.encode(), r, b"t.T", b"%d" % i])
    seen = {}
    for _ in rids:
        if not client.sock.poll(client.timeout_ms, zmq.POLLIN):
            raise Fail("missing replies after %d" % len(seen))
        frames = client.sock.recv_multipart()[3:]
        seen[frames[0]] = frames[2]
    for i, r in enumerate(rids):
        if seen.get(r) != b"%d" % i:
            raise Fail("request %d got %r" % (i, seen.get(r)))


def check_raw_echo(client, service):
    body = [b"alpha", b"", bytes(range(256)), b"\x00\x01\x02", b"omega" * 1000]
    reply = client.request(service, body)
    if reply != body:
        raise Fail("raw echo differs: %r" % [show(f)[:40] for f in reply])


def check_health(client, service):
    rid = b"py-health-1"
    reply = client.request(service, [rid, b"zwfw.v1.HealthRequest", b""])
    if len(reply) != 3 or reply[0] != rid or reply[1] != b"zwfw.v1.HealthReply":
        raise Fail("unexpected health reply %r" % [show(f)[:60] for f in reply])
    fields = pb_decode(reply[2])
    if fields.get(1) != [service.encode()]:
        raise Fail("HealthReply.service %r" % fields.get(1))
    if not fields.get(2) or not fields[2][0]:
        raise Fail("HealthReply.version missing")
    instance = fields.get(7, [b""])[0]
    if b":" not in instance:
        raise Fail("HealthReply.instance %r" % instance)


def peer_mmi(client, service):
    reply = client.request("mmi.service", [service.encode()])
    if len(reply) != 1:
        raise Fail("mmi.service replied %r" % reply)
    return reply[0].decode()


# ---- worker ----

class EchoWorker:
    """RFC 7 worker: READY, HEARTBEAT both ways, REQUEST/REPLY, DISCONNECT."""

    def __init__(self, ctx, endpoint, service, heartbeat_ms=2500, liveness=3):
        self.ctx, self.endpoint, self.service = ctx, endpoint, service.encode()
        self.heartbeat_ms, self.liveness = heartbeat_ms, liveness
        self.sock = None
        self.running = True
        self.connect()

    def send(self, command, *frames):
        self.sock.send_multipart([b"", MDPW, command] + list(frames))
        self.heartbeat_at = time.monotonic() + self.heartbeat_ms / 1000

    def connect(self):
        if self.sock:
            self.sock.close()
        self.sock = self.ctx.socket(zmq.DEALER)
        self.sock.linger = 200
        self.sock.connect(self.endpoint)
        self.send(READY, self.service)
        self.expires_at = time.monotonic() + self.heartbeat_ms * self.liveness / 1000
        log("worker READY for %s" % self.service.decode())

    def handle(self, body):
        """Echo; on a zwfw.* service the last frame is the broker's Caller,
        which goes back as the reply body so the caller can read it. A
        zwfw.v1.Date request gets a zwfw.v1.Error reply."""
        if not self.service.startswith(b"zwfw."):
            return body
        if len(body) != 4:
            return [body[0] if body else b"", b"zwfw.v1.Error",
                    error_frame(3, "expected 3 frames and the Caller, got %d" % len(body))]
        if body[1] == b"zwfw.v1.Date":
            return [body[0], b"zwfw.v1.Error",
                    error_frame(9, "python says no", {"detail": "py"})]
        return [body[0], b"zwfw.v1.Caller", body[3]]

    def run(self):
        while self.running:
            now = time.monotonic()
            wait = max(0, min(self.heartbeat_at, self.expires_at) - now)
            try:
                ready = self.sock.poll(int(wait * 1000) + 1, zmq.POLLIN)
            except zmq.ZMQError:
                break
            if ready:
                frames = self.sock.recv_multipart()
                if len(frames) < 3 or frames[0] != b"" or frames[1] != MDPW:
                    log("worker: malformed message dropped")
                    continue
                self.expires_at = time.monotonic() + self.heartbeat_ms * self.liveness / 1000
                command = frames[2]
                if command == REQUEST:
                    rest = frames[3:]
                    if b"" not in rest:
                        log("worker: REQUEST without envelope dropped")
                        continue
                    cut = rest.index(b"")
                    envelope, body = rest[:cut], rest[cut + 1:]
                    self.send(REPLY, *(envelope + [b""] + self.handle(body)))
                elif command == DISCONNECT:
                    log("worker: DISCONNECT from broker; reconnecting")
                    self.connect()
                elif command != HEARTBEAT:
                    log("worker: unknown command %r dropped" % command)
            now = time.monotonic()
            if now >= self.expires_at:
                log("worker: broker silent; reconnecting")
                self.connect()
            elif now >= self.heartbeat_at:
                self.send(HEARTBEAT)
        try:
            self.send(DISCONNECT)
        except zmq.ZMQError:
            pass
        self.sock.close()


# ---- hand-built peers for the RFC 7 / RFC 8 checks ----
# Shared by rfc_conformance.py and rfc_audit.py: raw pyzmq sockets, every
# MDP frame built and checked here, every receive under a timeout so a
# broker that does not answer fails a check instead of hanging the run.

def now():
    return time.monotonic()


def unique(prefix):
    return "%s.%s" % (prefix, os.urandom(4).hex())


def as_bytes(name):
    return name.encode() if isinstance(name, str) else name


class Env:
    """One broker under test: its endpoint, timings (seconds) and the
    sockets a check opened, closed after each check. Thread-safe, since a
    check may run peers on several threads."""

    def __init__(self, ctx, endpoint, hb_s, liveness, wait_s):
        self.ctx, self.endpoint = ctx, endpoint
        self.hb, self.liveness, self.wait = hb_s, liveness, wait_s
        self.expiry = hb_s * liveness
        self.sockets = []
        self.lock = threading.Lock()

    def socket(self, kind, routing_id=None):
        s = self.ctx.socket(kind)
        s.linger = 0
        if routing_id is not None:
            s.setsockopt(zmq.ROUTING_ID, routing_id)
        s.connect(self.endpoint)
        with self.lock:
            self.sockets.append(s)
        return s

    def close_all(self):
        with self.lock:
            for s in self.sockets:
                if not s.closed:
                    s.close()
            self.sockets = []


def recv(sock, timeout):
    """One whole message within timeout seconds, else Fail."""
    if not sock.poll(max(1, int(timeout * 1000)), zmq.POLLIN):
        raise Fail("nothing received within %.0f ms" % (timeout * 1000))
    return sock.recv_multipart()


def nothing(sock, timeout, what="message"):
    """Fails if anything arrives within timeout seconds."""
    if sock.poll(max(1, int(timeout * 1000)), zmq.POLLIN):
        f = sock.recv_multipart()
        raise Fail("unexpected %s: %r" % (what, [x[:24] for x in f[:8]]))


class Client:
    """An RFC 7 client. DEALER adds frame 0 itself; REQ lets the socket do it
    (and strips it from the reply)."""

    def __init__(self, env, kind=zmq.DEALER, routing_id=None):
        self.env, self.kind = env, kind
        self.sock = env.socket(kind, routing_id)

    def send(self, service, body):
        head = [b""] if self.kind == zmq.DEALER else []
        self.sock.send_multipart(head + [MDPC, as_bytes(service)] + list(body))

    def recv(self, service, timeout=None):
        """The reply body; checks the frames before it exactly."""
        frames = recv(self.sock, timeout or self.env.wait + 2)
        if self.kind == zmq.DEALER:
            expect(len(frames) >= 1 and frames[0] == b"",
                   "reply to a DEALER must start with an empty frame: %r", frames[:4])
            frames = frames[1:]
        expect(len(frames) >= 3, "reply needs MDPC01, service and a body: %r", frames[:4])
        expect(frames[0] == MDPC, "reply header %r, expected MDPC01", frames[0])
        svc = as_bytes(service)
        expect(frames[1] == svc, "reply service frame %r, expected %r", frames[1], svc)
        return frames[2:]

    def request(self, service, body, timeout=None):
        self.send(service, body)
        return self.recv(service, timeout)


def mmi(env, service, timeout=2):
    """mmi.service's code for service ("200", "404") as bytes."""
    c = Client(env)
    body = c.request("mmi.service", [as_bytes(service)], timeout)
    c.sock.close()
    expect(len(body) == 1, "mmi.service reply body must be one frame: %r", body)
    return body[0]


def wait_mmi(env, service, want, timeout):
    """Seconds until mmi.service answers `want` for service, or Fail."""
    start, got = now(), None
    while now() - start < timeout:
        got = mmi(env, service)
        if got == want:
            return now() - start
        time.sleep(0.03)
    raise Fail("mmi.service %s still %r after %.1f s, expected %r" % (service, got, timeout, want))


def answers(env, probe_service, timeout=10):
    """Whether the broker answers mmi.service at all within timeout s."""
    deadline = now() + timeout
    while True:
        try:
            mmi(env, probe_service)
            return True
        except Fail:
            if now() > deadline:
                return False
        finally:
            env.close_all()


class Worker:
    """An RFC 7 worker built by hand on a DEALER socket."""

    def __init__(self, env, service=None, routing_id=None):
        self.env = env
        self.service = as_bytes(service)
        self.routing_id = routing_id
        self.sock = env.socket(zmq.DEALER, routing_id)
        self.last_sent = now()
        self.heartbeats = []  # arrival times of broker HEARTBEATs

    def send(self, command, *frames):
        self.sock.send_multipart([b"", MDPW, command] + list(frames))
        self.last_sent = now()

    def ready(self, sync=True):
        """READY; with sync, returns once mmi.service says the service has a
        worker (READY and other peers' messages travel on different
        connections, so nothing else orders them)."""
        self.send(READY, self.service)
        if sync:
            wait_mmi(self.env, self.service, b"200", 3)
        return self

    def next_command(self, timeout, keep_alive=True):
        """The next command other than HEARTBEAT, as (command, frames after
        it). Meanwhile sends HEARTBEAT when due (keep_alive) so the broker
        keeps this worker. Each broker message is checked for MDPW framing."""
        deadline = now() + timeout
        while True:
            left = deadline - now()
            if left <= 0:
                raise Fail("no command within %.0f ms" % (timeout * 1000))
            step = left
            if keep_alive:
                step = min(step, max(0.005, self.last_sent + self.env.hb - now()))
            if self.sock.poll(max(1, int(step * 1000)), zmq.POLLIN):
                f = self.sock.recv_multipart()
                expect(len(f) >= 3 and f[0] == b"" and f[1] == MDPW and len(f[2]) == 1,
                       "broker -> worker message not [empty][MDPW01][command]: %r", f[:4])
                if f[2] == HEARTBEAT:
                    expect(len(f) == 3, "HEARTBEAT must be 3 frames: %r", f)
                    self.heartbeats.append(now())
                    continue
                return f[2], f[3:]
            if keep_alive and now() - self.last_sent >= self.env.hb:
                self.send(HEARTBEAT)

    def request(self, timeout=None):
        """Waits for a REQUEST; returns (client address, body)."""
        cmd, rest = self.next_command(timeout or self.env.wait + 2)
        expect(cmd == REQUEST, "expected REQUEST, got command %r %r", cmd, rest[:4])
        expect(len(rest) >= 3, "REQUEST needs client, empty and a body: %r", rest[:4])
        expect(len(rest[0]) > 0, "REQUEST client address frame is empty")
        expect(rest[1] == b"", "REQUEST client address not followed by an empty frame: %r",
               rest[:4])
        return rest[0], rest[2:]

    def reply(self, client, body):
        self.send(REPLY, client, b"", *body)

    def expect_disconnect(self, timeout=2.0):
        cmd, rest = self.next_command(timeout, keep_alive=False)
        expect(cmd == DISCONNECT and rest == [],
               "expected DISCONNECT [empty][MDPW01][0x05], got %r %r", cmd, rest[:4])

    def idle(self, seconds):
        """Stays alive (HEARTBEATs both ways) for `seconds`; fails if the
        broker sends anything but HEARTBEAT."""
        try:
            cmd, rest = self.next_command(seconds)
        except Fail:
            return
        raise Fail("unexpected command %r %r while idle" % (cmd, rest))

    def drain(self):
        while self.sock.poll(0):
            self.sock.recv_multipart()

    def close(self):
        self.sock.close()


def serve_one(worker, transform=lambda body: body, timeout=None):
    client, body = worker.request(timeout)
    worker.reply(client, transform(body))
    return body


def worker_and_client(env, prefix):
    """A fresh service named from prefix, a worker READY for it and a DEALER
    client: (service, worker, client)."""
    svc = unique(prefix)
    return svc, Worker(env, svc).ready(), Client(env)


def busy_worker(env, prefix, body):
    """worker_and_client() with the worker holding the client's request
    [body]: (service, worker, client, the request's client address)."""
    svc, w, c = worker_and_client(env, prefix)
    c.send(svc, [body])
    client, _ = w.request()
    return svc, w, c, client


def served(worker, client, service, body, why, *args, timeout=2):
    """client sends body, worker echoes it back (waiting up to timeout s,
    None: the broker's wait + 2), and the client gets it, else Fail(why)."""
    client.send(service, body)
    serve_one(worker, timeout=timeout)
    expect(client.recv(service) == body, why, *args)


def run_checks(checks, only, ok, bad):
    """Runs each (name, env, fn) whose name contains one of `only` (all
    when empty) as fn(env), closing its sockets after; prints "OK - NAME
    (time)" or "BAD - NAME" and why. Returns (passed, failed)."""
    passed = failed = 0
    for name, env, fn in checks:
        if only and not any(o in name for o in only):
            continue
        t0 = now()
        try:
            fn(env)
            passed += 1
            print("%s - %s (%.2f s)" % (ok, name, now() - t0))
        except Exception as e:  # noqa: BLE001 - any failure is a failed check
            failed += 1
            print("%s - %s" % (bad, name))
            detail = str(e) if isinstance(e, Fail) else traceback.format_exc()
            for line in detail.rstrip().splitlines():
                print("    " + line)
        finally:
            env.close_all()
        sys.stdout.flush()
    return passed, failed


def log(msg):
    sys.stderr.write("mdp_peer: %s\n" % msg)
    sys.stderr.flush()


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    cmd, endpoint, service = argv[0], argv[1], argv[2]
    ctx = zmq.Context()
    try:
        if cmd == "worker":
            hb = int(argv[3]) if len(argv) > 3 else 2500
            worker = EchoWorker(ctx, endpoint, service, hb)

            def stop(sig, frame):
                worker.running = False
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            worker.run()
            return 0
        client = PeerClient(ctx, endpoint)
        try:
            if cmd == "client":
                for frame in client.request(service, [frame_arg(a) for a in argv[3:]]):
                    print(show(frame))
            elif cmd == "check-zwfw-echo":
                check_zwfw_echo(client, service)
            elif cmd == "check-raw-echo":
                check_raw_echo(client, service)
            elif cmd == "check-health":
                check_health(client, service)
            elif cmd == "mmi":
                got = peer_mmi(client, service)
                if got != argv[3]:
                    raise Fail("mmi.service %s: %s, expected %s" % (service, got, argv[3]))
            elif cmd == "wait-service":
                deadline = time.monotonic() + float(argv[3])
                client.timeout_ms = 1000
                while peer_mmi(client, service) != "200":
                    if time.monotonic() > deadline:
                        raise Fail("%s never registered" % service)
                    time.sleep(0.05)
            else:
                sys.stderr.write(__doc__)
                return 2
        finally:
            client.close()
    except Fail as e:
        log("%s %s: %s" % (cmd, service, e))
        return 1
    finally:
        ctx.term()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
