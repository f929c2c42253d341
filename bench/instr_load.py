#!/usr/bin/env python3
"""A fixed-count load for bench/instr.sh: sends exactly the requests asked for, checks every answer.

    python3 bench/instr_load.py PORT PROFILE REQUESTS [CONNS]

Profiles (the arena's, from the templates in $MOTE_BENCH_REQUESTS):
  get           get.raw on CONNS keep-alive connections, one request in flight per connection
  baseline      get.raw, post_cl.raw, post_chunked.raw rotated, otherwise as get
  pipelined     pipeline.raw written 16 at a time per connection (REQUESTS counts responses)
  limited-conn  baseline, every connection's 10th request carrying `Connection: close`; the
                server closes, and a new connection takes over
  body-whole    one connection, one request at a time: a POST /baseline11 whose chunked body is
                2,500 one-byte chunks of whitespace and then `20` (about 15 KiB), in one write
  body-64       the same request in 64-byte writes, each read by the server before the next
  head-whole    a GET /baseline11 whose head holds 100 extra header lines (about 6 KiB), one write
  head-64       the same in 64-byte writes

Every answer must be 200 with the template's body (`55`, `75` or `ok`); anything else exits 1.
The connections are closed at the end, and the script returns only once the server has closed its
side of every one (nothing of the run is left for the server to do after it). Prints
`responses N bytes B` on stdout: N answers checked, B request bytes sent.

64-byte writes: after each write the script waits until the server's socket has received every
byte sent so far and holds none unread (asked of the kernel through sock_diag), so the server reads
every piece separately, as it would from a slow client, however slow the server is.
"""

import collections
import os
import selectors
import socket
import struct
import sys
import time

REQUESTS_DIR = os.environ.get(
    "MOTE_BENCH_REQUESTS",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "arena-requests"),
)
PIPELINE_DEPTH = 16
CLOSE_EVERY = 10
PIECE = 64
TIMEOUT = 60.0  # seconds without progress before giving up


def die(msg):
    print(f"instr_load: {msg}", file=sys.stderr)
    sys.exit(1)


def template(name):
    with open(os.path.join(REQUESTS_DIR, name), "rb") as f:
        return f.read()


def with_close(req):
    return req.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1)


def trickle_body_request():
    head = (b"POST /baseline11?a=13&b=42 HTTP/1.1\r\nHost: localhost:8080\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    return head + b"1\r\n \r\n" * 2500 + b"2\r\n20\r\n0\r\n\r\n", b"75"


def trickle_head_request():
    lines = b"".join(b"X-Pad-%03d: %s\r\n" % (i, b"v" * 48) for i in range(100))
    return b"GET /baseline11?a=13&b=42 HTTP/1.1\r\nHost: localhost:8080\r\n" + lines + b"\r\n", b"55"


class Responses:
    """Splits a connection's input into answers and checks each against what is expected."""

    def __init__(self):
        self.buf = bytearray()
        self.expect = collections.deque()  # (body, closes)

    def feed(self, data):
        """Appends input; returns (answers completed, whether the last one closes)."""
        self.buf += data
        done = 0
        closes = False
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = bytes(self.buf[:end]).lower()
            length = 0
            at = head.find(b"\r\ncontent-length:")
            if at >= 0:
                value = head[at + 17:].split(b"\r\n", 1)[0].strip()
                if not value.isdigit():
                    die(f"bad Content-Length in answer: {head[:200]!r}")
                length = int(value)
            if len(self.buf) < end + 4 + length:
                break
            body = bytes(self.buf[end + 4:end + 4 + length])
            del self.buf[:end + 4 + length]
            if not self.expect:
                die(f"an answer nothing asked for: {head[:200]!r}")
            want, closing = self.expect.popleft()
            status = head[9:12]
            if status != b"200" or body != want:
                die(f"expected 200 {want!r}, got {status.decode(errors='replace')} {body[:80]!r} ({head[:200]!r})")
            said_close = b"\r\nconnection: close" in head
            if said_close != closing:
                die(f"Connection: close {'missing' if closing else 'unasked'} in {head[:200]!r}")
            done += 1
            closes = closing
        return done, closes


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def tcp_table():
    with open("/proc/net/tcp") as f:
        return f.read()


class ReadProbe:
    """Whether the server has read everything sent on one connection: its socket has received
    that many bytes (tcp_info's bytes_received) and holds none unread (its receive queue). Both are
    asked of the kernel through sock_diag, for the one socket named by its addresses (exact, and
    cheap however many sockets the machine holds)."""

    NETLINK_SOCK_DIAG = 4
    SOCK_DIAG_BY_FAMILY = 20
    NLM_F_REQUEST = 1
    NLMSG_ERROR = 2
    INET_DIAG_INFO = 2
    MSG = 72  # struct inet_diag_msg
    BYTES_RECEIVED = 128  # offset in struct tcp_info

    def __init__(self, port, client_port):
        self.nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, self.NETLINK_SOCK_DIAG)
        lo = socket.inet_aton("127.0.0.1") + bytes(12)
        # inet_diag_req_v2: family, protocol, extensions (tcp_info), pad, states; inet_diag_sockid:
        # the server's socket (its local port and address first), no interface, no cookie.
        req = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 1 << (self.INET_DIAG_INFO - 1), 0, 0xFFFFFFFF)
        req += struct.pack(">HH", port, client_port) + lo + lo + struct.pack("=III", 0, 0xFFFFFFFF, 0xFFFFFFFF)
        self.msg = struct.pack("=IHHII", 16 + len(req), self.SOCK_DIAG_BY_FAMILY, self.NLM_F_REQUEST, 0, 0) + req

    def has_read(self, sent):
        self.nl.send(self.msg)
        reply = self.nl.recv(8192)
        length, kind = struct.unpack_from("=IH", reply, 0)
        if kind == self.NLMSG_ERROR:
            die(f"sock_diag: the server's socket was not found (errno {-struct.unpack_from('=i', reply, 16)[0]})")
        # inet_diag_msg: family, state, timer, retrans (4), sockid (48), expires, rqueue, ...
        unread = struct.unpack_from("=I", reply, 16 + 4 + 48 + 4)[0]
        at = 16 + self.MSG
        while at + 4 <= length:  # attributes: u16 length, u16 type, payload padded to 4
            alen, atype = struct.unpack_from("=HH", reply, at)
            if alen < 4:
                break
            if atype == self.INET_DIAG_INFO and alen >= 4 + self.BYTES_RECEIVED + 8:
                received = struct.unpack_from("=Q", reply, at + 4 + self.BYTES_RECEIVED)[0]
                return received >= sent and unread == 0
            at += (alen + 3) & ~3
        die("sock_diag: no tcp_info for the server's socket")


def wait_server_closed(port):
    """Waits until the server holds no established or half-closed socket for this port."""
    deadline = time.monotonic() + TIMEOUT
    local = ":%04X " % port
    while True:
        busy = 0
        for line in tcp_table().splitlines()[1:]:
            f = line.split()
            # local address, remote address, state: 01 established, 08 close-wait
            if f[1].endswith(local.strip()) and f[3] in ("01", "08"):
                busy += 1
        if busy == 0:
            return
        if time.monotonic() > deadline:
            die(f"the server still holds {busy} connection(s) after the run")
        time.sleep(0.01)


def run_load(port, profile, total, conns):
    """Many connections, one request (or one batch of 16) in flight on each, like wrk."""
    if profile == "get":
        rotation = [(template("get.raw"), b"55")]
    elif profile in ("baseline", "limited-conn"):
        rotation = [(template("get.raw"), b"55"), (template("post_cl.raw"), b"75"),
                    (template("post_chunked.raw"), b"75")]
    elif profile == "pipelined":
        rotation = [(template("pipeline.raw") * PIPELINE_DEPTH, b"ok")]
    else:
        die(f"unknown profile {profile}")
    depth = PIPELINE_DEPTH if profile == "pipelined" else 1
    limited = profile == "limited-conn"
    if total % depth:
        die(f"{profile}: REQUESTS must be a multiple of {depth}")

    sel = selectors.DefaultSelector()
    state = {}  # socket -> [Responses, requests sent on it, answers outstanding]
    sent = answered = nbytes = 0
    turn = 0

    def send_next(s):
        nonlocal sent, nbytes, turn
        st = state[s]
        req, body = rotation[turn % len(rotation)]
        turn += 1
        closing = limited and (st[1] + 1) % CLOSE_EVERY == 0
        if closing:
            req = with_close(req)
        for _ in range(depth):
            st[0].expect.append((body, closing))
        st[1] += 1
        st[2] += depth
        sent += depth
        nbytes += len(req)
        s.sendall(req)

    def open_one():
        s = connect(port)
        state[s] = [Responses(), 0, 0]
        sel.register(s, selectors.EVENT_READ)
        send_next(s)

    for _ in range(min(conns, total // depth)):
        open_one()
    last = time.monotonic()
    while answered < total:
        events = sel.select(timeout=1.0)
        if not events and time.monotonic() - last > TIMEOUT:
            die(f"{profile}: no answer for {TIMEOUT:.0f} s ({answered} of {total} answered)")
        for key, _ in events:
            s = key.fileobj
            st = state[s]
            data = s.recv(65536)
            if not data:
                if st[2] or st[0].buf:
                    die(f"{profile}: the server closed a connection with {st[2]} answer(s) outstanding")
                # The server's close after a `Connection: close` answer: a new connection takes over.
                sel.unregister(s)
                s.close()
                del state[s]
                if sent < total:
                    open_one()
                continue
            done, closes = st[0].feed(data)
            if done:
                last = time.monotonic()
                answered += done
                st[2] -= done
            if st[2] == 0 and not closes and sent < total:
                send_next(s)
    for s in list(state):
        sel.unregister(s)
        s.close()
    return answered, nbytes


def run_trickle(port, profile, total):
    """One connection, one request at a time, whole or in 64-byte writes."""
    req, body = trickle_body_request() if profile.startswith("body") else trickle_head_request()
    piecewise = profile.endswith("-64")
    s = connect(port)
    s.settimeout(TIMEOUT)
    probe = ReadProbe(port, s.getsockname()[1])
    sent = 0
    answers = Responses()
    nbytes = 0
    for _ in range(total):
        answers.expect.append((body, False))
        if piecewise:
            for at in range(0, len(req), PIECE):
                piece = req[at:at + PIECE]
                s.sendall(piece)
                sent += len(piece)
                if at + PIECE < len(req):
                    deadline = time.monotonic() + TIMEOUT
                    while not probe.has_read(sent):
                        if time.monotonic() > deadline:
                            die(f"{profile}: the server left a piece unread for {TIMEOUT:.0f} s")
                        time.sleep(0.0002)
        else:
            s.sendall(req)
            sent += len(req)
        nbytes += len(req)
        while answers.expect:
            data = s.recv(65536)
            if not data:
                die(f"{profile}: the server closed the connection")
            answers.feed(data)
    s.close()
    return total, nbytes


def main():
    if len(sys.argv) not in (4, 5):
        die("usage: instr_load.py PORT PROFILE REQUESTS [CONNS]")
    port, profile, total = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    conns = int(sys.argv[4]) if len(sys.argv) == 5 else 64
    if profile in ("body-whole", "body-64", "head-whole", "head-64"):
        answered, nbytes = run_trickle(port, profile, total)
    else:
        answered, nbytes = run_load(port, profile, total, conns)
    wait_server_closed(port)
    print(f"responses {answered} bytes {nbytes}")


if __name__ == "__main__":
    main()
