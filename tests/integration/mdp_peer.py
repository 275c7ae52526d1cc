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
"""
import os
import signal
import sys
import time

import zmq

MDPC = b"MDPC01"
MDPW = b"MDPW01"
READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"


class Fail(Exception):
    pass


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
    fields = {}
    i = 0

    def varint():
        nonlocal i
        shift = value = 0
        while True:
            if i >= len(data):
                raise Fail("truncated varint")
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

class Client:
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


def mmi(client, service):
    reply = client.request("mmi.service", [service.encode()])
    if len(reply) != 1:
        raise Fail("mmi.service replied %r" % reply)
    return reply[0].decode()


# ---- worker ----

class Worker:
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
            worker = Worker(ctx, endpoint, service, hb)

            def stop(sig, frame):
                worker.running = False
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            worker.run()
            return 0
        client = Client(ctx, endpoint)
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
                got = mmi(client, service)
                if got != argv[3]:
                    raise Fail("mmi.service %s: %s, expected %s" % (service, got, argv[3]))
            elif cmd == "wait-service":
                deadline = time.monotonic() + float(argv[3])
                client.timeout_ms = 1000
                while mmi(client, service) != "200":
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
