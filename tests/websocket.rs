//! WebSocket (RFC 6455) on `GET /ws` against the real binary: the echo at every length form and
//! at the message limit, fragments with pings between them, the close handshake, every protocol
//! error, UTF-8, frames a byte at a time and thousands in one write, the upgrade's refusals,
//! 10,000 upgraded connections at once, clients that vanish, half-close or stall, the idle
//! timeout and SIGTERM.
//!
//! tungstenite (blocking, over a std TcpStream) is the independent client where a well-behaved
//! one will do; a raw client of our own (below) sends what tungstenite refuses to, and reads the
//! server's frames strictly: unmasked, no RSV bits, minimal lengths, control frames short and
//! final, continuations only inside a message.

mod common;

use common::*;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::FromRawFd;
use std::thread;
use std::time::{Duration, Instant};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;
use tungstenite::{Message, WebSocket};

// ---------------------------------------------------------------------------------------------
// The raw client: handshake, masked frames out, strictly read frames in.
// ---------------------------------------------------------------------------------------------

/// RFC 6455 §1.3's example key and its accept value.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

const CONTINUATION: u8 = 0x0;
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;
/// FIN set, as byte 0 of a final frame.
const FIN: u8 = 0x80;

/// Sec-WebSocket-Accept for a key, computed here with independent SHA-1 and base64 crates.
fn accept_of(key: &str) -> String {
    use base64::Engine;
    use sha1::Digest;
    let mut h = sha1::Sha1::new();
    h.update(key.as_bytes());
    h.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

/// The header lines of a valid upgrade with this key.
fn upgrade_fields(key: &str) -> String {
    format!("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n")
}

/// A request for `path` with these header lines (each ending in CRLF) after Host.
fn request_with(method_path: &str, fields: &str) -> Vec<u8> {
    format!("{method_path} HTTP/1.1\r\nHost: localhost\r\n{fields}\r\n").into_bytes()
}

/// A valid upgrade request for /ws.
fn upgrade_request() -> Vec<u8> {
    request_with("GET /ws", &upgrade_fields(KEY))
}

/// A client frame: `b0` (FIN, RSV, opcode) as given; the length in `form` (0: 7 bits, 2: 16 bits,
/// 8: 64 bits), masked with `key` if any.
fn frame_in(b0: u8, payload: &[u8], key: Option<[u8; 4]>, form: usize) -> Vec<u8> {
    let m = if key.is_some() { 0x80 } else { 0 };
    let len = payload.len() as u64;
    let mut f = vec![b0];
    match form {
        0 => f.push(m | len as u8),
        2 => {
            f.push(m | 126);
            f.extend((len as u16).to_be_bytes());
        }
        _ => {
            f.push(m | 127);
            f.extend(len.to_be_bytes());
        }
    }
    match key {
        Some(k) => {
            f.extend(k);
            f.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
        }
        None => f.extend(payload),
    }
    f
}

/// A masked client frame with the minimal length form; the key varies with the payload.
fn masked(b0: u8, payload: &[u8]) -> Vec<u8> {
    let form = match payload.len() {
        0..=125 => 0,
        126..=0xFFFF => 2,
        _ => 8,
    };
    let n = payload.len() as u8;
    frame_in(b0, payload, Some([0x37 ^ n, 0xfa, 0x21 ^ n.rotate_left(3), 0x3d]), form)
}

fn text_frame(s: &str) -> Vec<u8> {
    masked(FIN | TEXT, s.as_bytes())
}

/// A masked close frame with a code (or none) and a reason.
fn close_frame(code: Option<u16>, reason: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    if let Some(c) = code {
        p.extend(c.to_be_bytes());
    }
    p.extend(reason);
    masked(FIN | CLOSE, &p)
}

/// The close frame the server must send for `code`: unmasked, the code, no reason.
fn server_close(code: u16) -> Frame {
    Frame { fin: true, opcode: CLOSE, payload: code.to_be_bytes().to_vec() }
}

/// A server frame as read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Frame {
    fin: bool,
    opcode: u8,
    payload: Vec<u8>,
}

impl Frame {
    fn close_code(&self) -> Option<u16> {
        assert_eq!(self.opcode, CLOSE, "not a close: {self:?}");
        match self.payload[..] {
            [] => None,
            [a, b] => Some(u16::from_be_bytes([a, b])),
            _ => panic!("our closes carry a code and no reason, got {:x?}", self.payload),
        }
    }
}

/// A server frame at the start of `buf`, checked strictly: None if it is not all there yet.
fn parse_frame(buf: &[u8]) -> Result<Option<(Frame, usize)>, String> {
    let &[b0, b1, ..] = buf else { return Ok(None) };
    if b0 & 0x70 != 0 {
        return Err(format!("server frame with RSV bits: {:x?}", &buf[..buf.len().min(14)]));
    }
    if b1 & 0x80 != 0 {
        return Err("server frame masked (RFC 6455 §5.1 forbids it)".into());
    }
    let opcode = b0 & 0xF;
    if ![CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG].contains(&opcode) {
        return Err(format!("server frame with opcode {opcode:#x}"));
    }
    let (len, size) = match b1 & 0x7F {
        126 => {
            let Some(b) = buf.get(2..4) else { return Ok(None) };
            let len = u16::from_be_bytes([b[0], b[1]]) as u64;
            if len < 126 {
                return Err(format!("server frame length {len} not in its minimal form (16 bits)"));
            }
            (len, 4)
        }
        127 => {
            let Some(b) = buf.get(2..10) else { return Ok(None) };
            let len = u64::from_be_bytes(b.try_into().unwrap());
            if len <= 0xFFFF || len >> 63 != 0 {
                return Err(format!("server frame length {len} not in its minimal form (64 bits)"));
            }
            (len, 10)
        }
        n => (u64::from(n), 2),
    };
    let fin = b0 & 0x80 != 0;
    if opcode & 0x8 != 0 && (!fin || len > 125) {
        return Err(format!("server control frame not final or longer than 125 bytes ({len})"));
    }
    let end = size + len as usize;
    let Some(payload) = buf.get(size..end) else { return Ok(None) };
    Ok(Some((Frame { fin, opcode, payload: payload.to_vec() }, end)))
}

/// What the server sent, a message at a time (data reassembled) or a control frame.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Msg {
    Text(Vec<u8>),
    Binary(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<u16>),
}

/// A raw WebSocket client connection with a buffer of bytes read but not yet used.
struct Ws {
    stream: TcpStream,
    buf: Vec<u8>,
    /// The data message being reassembled: its opcode and payload so far.
    partial: Option<(u8, Vec<u8>)>,
}

impl Ws {
    fn from_stream(stream: TcpStream) -> Ws {
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Ws { stream, buf: Vec::new(), partial: None }
    }

    /// A TCP connection, not upgraded yet.
    fn connect(server: &Server) -> Ws {
        raise_nofile_limit();
        let stream = TcpStream::connect_timeout(&server.addr(), IO_TIMEOUT)
            .unwrap_or_else(|e| panic!("connect to {}: {e}", server.addr()));
        Ws::from_stream(stream)
    }

    /// A connection upgraded with the raw handshake (the 101 checked).
    fn open(server: &Server) -> Ws {
        let mut ws = Ws::connect(server);
        ws.send(&upgrade_request());
        ws.expect_101();
        ws
    }

    fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap_or_else(|e| panic!("send of {} bytes: {e}", bytes.len()));
    }

    fn try_send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// One byte per write, with a pause after each.
    fn send_bytewise(&mut self, bytes: &[u8], pause: Duration) {
        for b in bytes {
            self.send(std::slice::from_ref(b));
            thread::sleep(pause);
        }
    }

    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 65536];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads one response head (status line and fields); the bytes after it stay buffered.
    fn read_head(&mut self) -> Result<Response, String> {
        loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                let head: Vec<u8> = self.buf.drain(..i + 4).collect();
                return parse_head(&head);
            }
            match self.fill() {
                Ok(0) => return Err(format!("closed inside a response head: {:?}", preview(&self.buf))),
                Ok(_) => {}
                Err(e) => return Err(format!("reading a response head: {e}; got {:?}", preview(&self.buf))),
            }
        }
    }

    /// Reads the 101 and checks it: the headers RFC 6455 §4.2.2 asks for, the accept value of
    /// KEY, and no extension or subprotocol (none is offered back).
    fn expect_101(&mut self) {
        let r = self.read_head().unwrap_or_else(|e| panic!("{e}"));
        check_101(&r, ACCEPT).unwrap_or_else(|e| panic!("{e}"));
    }

    /// The next frame, or why there is none (EOF, reset, timeout, a malformed frame).
    fn try_frame(&mut self) -> Result<Frame, String> {
        loop {
            if let Some((f, n)) = parse_frame(&self.buf)? {
                self.buf.drain(..n);
                return Ok(f);
            }
            match self.fill() {
                Ok(0) => {
                    return Err(if self.buf.is_empty() {
                        "EOF".into()
                    } else {
                        format!("EOF inside a frame ({} bytes of it came): {:x?} ... {:x?}", self.buf.len(), &self.buf[..self.buf.len().min(16)], &self.buf[self.buf.len().saturating_sub(8)..])
                    });
                }
                Ok(_) => {}
                Err(e) => return Err(format!("no frame: {e} ({} bytes buffered)", self.buf.len())),
            }
        }
    }

    fn frame(&mut self) -> Frame {
        self.try_frame().unwrap_or_else(|e| panic!("{e}"))
    }

    /// The next message or control frame; data frames are reassembled, and may be interrupted
    /// by control frames (the message goes on after them).
    fn try_msg(&mut self) -> Result<Msg, String> {
        loop {
            let f = self.try_frame()?;
            match f.opcode {
                PONG => return Ok(Msg::Pong(f.payload)),
                CLOSE => {
                    if self.partial.is_some() {
                        // A close may end a message cut short (our limit or error came first).
                        self.partial = None;
                    }
                    return Ok(Msg::Close(f.close_code()));
                }
                PING => return Err("the server pinged".into()),
                CONTINUATION => match self.partial.as_mut() {
                    Some((_, p)) => p.extend(&f.payload),
                    None => return Err("continuation outside a message".into()),
                },
                op => {
                    if self.partial.is_some() {
                        return Err("a new message inside another".into());
                    }
                    self.partial = Some((op, f.payload));
                }
            }
            if f.fin {
                let (op, p) = self.partial.take().unwrap();
                return Ok(if op == TEXT {
                    if std::str::from_utf8(&p).is_err() {
                        return Err("echoed text is not UTF-8".into());
                    }
                    Msg::Text(p)
                } else {
                    Msg::Binary(p)
                });
            }
        }
    }

    fn msg(&mut self) -> Msg {
        self.try_msg().unwrap_or_else(|e| panic!("{e}"))
    }

    /// The next thing the server sends must be a close with `code` (None: no code).
    fn expect_close(&mut self, code: Option<u16>) {
        let got = self.msg();
        assert_eq!(got, Msg::Close(code), "expected the server's close");
    }

    /// Nothing more arrives, and the server closes TCP within `limit`.
    fn expect_eof(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            assert!(self.buf.is_empty(), "bytes after the end: {:x?}", &self.buf[..self.buf.len().min(32)]);
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "the server did not close TCP within {limit:?}");
            self.stream.set_read_timeout(Some(left)).unwrap();
            match self.fill() {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break,
                Err(e) => panic!("waiting for the server to close TCP within {limit:?}: {e}"),
            }
        }
        self.stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    }

    /// Echoes one text message and checks it comes back.
    fn echo(&mut self, s: &str) {
        self.send(&text_frame(s));
        assert_eq!(self.msg(), Msg::Text(s.as_bytes().to_vec()), "echo of {s:?}");
    }

    /// The client's close with 1000, answered with 1000, then TCP closed by the server.
    fn close_normally(mut self) {
        self.send(&close_frame(Some(1000), b"bye"));
        self.expect_close(Some(1000));
        self.expect_eof(CLOSE_TIMEOUT);
    }
}

/// Checks a 101 answer: Upgrade, Connection, the accept value, nothing negotiated.
fn check_101(r: &Response, accept: &str) -> Result<(), String> {
    let bad = |what: &str| Err(format!("{what}; head:\n{}", r.head));
    if r.status != 101 {
        return bad("not a 101");
    }
    if !r.header("upgrade").is_some_and(|v| v.eq_ignore_ascii_case("websocket")) {
        return bad("no `Upgrade: websocket`");
    }
    if !r.header("connection").is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("upgrade"))) {
        return bad("no `Connection: upgrade`");
    }
    if r.header("sec-websocket-accept") != Some(accept) {
        return bad(&format!("Sec-WebSocket-Accept is not {accept}"));
    }
    if r.header("sec-websocket-extensions").is_some() || r.header("sec-websocket-protocol").is_some() {
        return bad("an extension or subprotocol was answered, none is supported");
    }
    if r.header("content-length").is_some() || r.header("transfer-encoding").is_some() {
        return bad("a 101 has no body");
    }
    Ok(())
}

/// A tungstenite client, upgraded on a std TcpStream (it checks the accept value itself).
fn tungstenite_client(server: &Server) -> WebSocket<TcpStream> {
    let stream = TcpStream::connect(server.addr()).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_nodelay(true).unwrap();
    let (ws, response) = tungstenite::client::client(format!("ws://127.0.0.1:{}/ws", server.port), stream)
        .unwrap_or_else(|e| panic!("tungstenite handshake: {e}"));
    assert_eq!(response.status(), 101);
    ws
}

/// The next data message (tungstenite reports pongs as messages too).
fn read_data(ws: &mut WebSocket<TcpStream>) -> Message {
    loop {
        match ws.read().unwrap_or_else(|e| panic!("read: {e}")) {
            Message::Pong(_) => continue,
            m => return m,
        }
    }
}

/// Reads to the server's close; tungstenite answers it. Returns its code, then expects the
/// server to end the TCP connection.
fn tungstenite_close_code(ws: &mut WebSocket<TcpStream>) -> Option<u16> {
    let code = loop {
        match ws.read() {
            Ok(Message::Close(c)) => break c.map(|c| u16::from(c.code)),
            Ok(_) => continue,
            Err(e) => panic!("no close from the server: {e}"),
        }
    };
    // Our answer goes out; the handshake is over when the server closes TCP.
    let _ = ws.flush();
    let end = loop {
        match ws.read() {
            Ok(_) => continue,
            Err(e) => break e,
        }
    };
    assert!(
        matches!(end, tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed),
        "after the close handshake: {end}"
    );
    code
}

/// Text of exactly `n` bytes with 1-, 2-, 3- and 4-byte characters, so pieces cut code points.
fn text_of(n: usize) -> String {
    let chars = ['w', 'é', '€', '😀'];
    let mut s = String::with_capacity(n);
    let mut i = 0;
    while s.len() < n {
        let c = chars[i % 4];
        s.push(if s.len() + c.len_utf8() <= n { c } else { '.' });
        i += 1;
    }
    s
}

fn bytes_of(n: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| rng.next() as u8).collect()
}

/// A client socket with a tiny receive buffer, so the server's echo backs up into its own
/// send queue and slot while the client does not read.
fn tiny_receiver(server: &Server) -> Ws {
    // SAFETY: plain socket calls on a descriptor we create and then hand to TcpStream, which owns
    // it from there; the sockaddr is a valid sockaddr_in for the call's duration.
    let stream = unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let size: libc::c_int = 2048;
        libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, (&size as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t);
        let addr = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: server.port.to_be(),
            sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes([127, 0, 0, 1]) },
            sin_zero: [0; 8],
        };
        let rc = libc::connect(fd, (&addr as *const libc::sockaddr_in).cast(), size_of::<libc::sockaddr_in>() as libc::socklen_t);
        assert_eq!(rc, 0, "connect: {}", io::Error::last_os_error());
        TcpStream::from_raw_fd(fd)
    };
    let mut ws = Ws::from_stream(stream);
    ws.send(&upgrade_request());
    ws.expect_101();
    ws
}

/// Sends `bytes` from another thread (a long write cannot deadlock against our reads); the
/// handle gives the write's result.
fn send_in_background(ws: &Ws, bytes: Vec<u8>) -> thread::JoinHandle<io::Result<()>> {
    let mut w = ws.stream.try_clone().unwrap();
    w.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
    thread::spawn(move || w.write_all(&bytes))
}

const SIZES: [usize; 7] = [0, 1, 125, 126, 65_535, 65_536, 1 << 20];

// ---------------------------------------------------------------------------------------------
// The echo
// ---------------------------------------------------------------------------------------------

#[test]
fn text_and_binary_come_back_at_every_length_form_up_to_the_limit() {
    let mut server = Server::start();
    let mut ws = tungstenite_client(&server);
    for n in SIZES {
        let text = text_of(n);
        ws.send(Message::text(text.clone())).unwrap();
        assert!(read_data(&mut ws) == Message::text(text), "text of {n} bytes");
        let bin = bytes_of(n, n as u64);
        ws.send(Message::binary(bin.clone())).unwrap();
        assert!(read_data(&mut ws) == Message::binary(bin), "binary of {n} bytes");
    }
    ws.close(Some(CloseFrame { code: CloseCode::Normal, reason: "".into() })).unwrap();
    assert_eq!(tungstenite_close_code(&mut ws), Some(1000));

    // The raw client reads the same echoes strictly (minimal lengths, pieces well formed).
    let mut raw = Ws::open(&server);
    for n in SIZES {
        let text = text_of(n);
        let bin = bytes_of(n, 7 + n as u64);
        let mut wire = masked(FIN | TEXT, text.as_bytes());
        wire.extend(masked(FIN | BINARY, &bin));
        let writer = send_in_background(&raw, wire);
        assert!(raw.msg() == Msg::Text(text.into_bytes()), "raw text of {n} bytes");
        assert!(raw.msg() == Msg::Binary(bin), "raw binary of {n} bytes");
        writer.join().unwrap().unwrap();
    }
    raw.close_normally();

    // One byte over the limit, text or binary: 1009, and the echo stops there.
    for opcode in [TEXT, BINARY] {
        let mut ws = tungstenite_client(&server);
        let over = (1 << 20) + 1;
        let m = if opcode == TEXT { Message::text(text_of(over)) } else { Message::binary(vec![7u8; over]) };
        ws.send(m).unwrap();
        assert_eq!(tungstenite_close_code(&mut ws), Some(1009), "opcode {opcode} of {over} bytes");
    }
    server.assert_healthy();
}

#[test]
fn max_message_counts_a_fragmented_message_whole() {
    let server = Server::start_args(&["--port", "0", "--threads", "2", "--max-message", "1000"]);
    // Exactly the limit passes, in one frame or in fragments.
    let mut ws = Ws::open(&server);
    let full = bytes_of(1000, 1);
    ws.send(&masked(FIN | BINARY, &full));
    assert_eq!(ws.msg(), Msg::Binary(full.clone()));
    let mut wire = masked(BINARY, &full[..600]);
    wire.extend(masked(FIN | CONTINUATION, &full[600..]));
    ws.send(&wire);
    assert_eq!(ws.msg(), Msg::Binary(full.clone()));
    // The fragment that takes the total past it: the earlier ones echoed, then 1009, no more.
    let mut wire = masked(BINARY, &full[..600]);
    wire.extend(masked(CONTINUATION, &full[600..1000]));
    wire.extend(masked(FIN | CONTINUATION, b"x"));
    wire.extend(text_frame("after"));
    ws.send(&wire);
    assert_eq!(ws.frame(), Frame { fin: false, opcode: BINARY, payload: full[..600].to_vec() });
    assert_eq!(ws.frame(), Frame { fin: false, opcode: CONTINUATION, payload: full[600..].to_vec() });
    assert_eq!(ws.frame(), server_close(1009));
    ws.send(&text_frame("ignored"));
    ws.send(&close_frame(Some(1000), b""));
    ws.expect_eof(CLOSE_TIMEOUT);
    // A declared length past the limit is refused from its header alone.
    let mut ws = Ws::open(&server);
    ws.send(&masked(FIN | TEXT, &[b'a'; 1001])[..8]);
    assert_eq!(ws.frame(), server_close(1009));
}

#[test]
fn fragments_with_pings_between_come_back_whole_with_each_pong_in_place() {
    let server = Server::start();
    let text = text_of(200_000);
    let bytes = text.as_bytes();
    // Fragments cut anywhere (code points too), a ping after each.
    let cuts = [0, 1, 3, 1000, 5000, 70_000, 70_001, 199_999, 200_000];
    let fragments: Vec<Vec<u8>> = cuts
        .windows(2)
        .enumerate()
        .map(|(i, w)| {
            let op = if i == 0 { TEXT } else { CONTINUATION };
            let fin = if w[1] == bytes.len() { FIN } else { 0 };
            masked(fin | op, &bytes[w[0]..w[1]])
        })
        .collect();
    for one_write in [true, false] {
        let mut ws = Ws::open(&server);
        let mut wire = Vec::new();
        for (i, f) in fragments.iter().enumerate() {
            wire.extend(f);
            wire.extend(masked(FIN | PING, format!("ping {i}").as_bytes()));
        }
        let writer = if one_write {
            send_in_background(&ws, wire)
        } else {
            // Each frame in its own write, a moment apart.
            let mut w = ws.stream.try_clone().unwrap();
            let frames = fragments.clone();
            thread::spawn(move || {
                for (i, f) in frames.iter().enumerate() {
                    w.write_all(f)?;
                    thread::sleep(Duration::from_millis(5));
                    w.write_all(&masked(FIN | PING, format!("ping {i}").as_bytes()))?;
                    thread::sleep(Duration::from_millis(5));
                }
                Ok(())
            })
        };
        // The echo may be refragmented; each pong must come after all of its fragment's bytes
        // and before any of the next one's.
        let mut got: Vec<u8> = Vec::new();
        let mut pongs = 0;
        let mut first = true;
        loop {
            let f = ws.frame();
            match f.opcode {
                PONG => {
                    assert_eq!(f.payload, format!("ping {pongs}").as_bytes(), "pong order");
                    assert_eq!(got.len(), cuts[pongs + 1], "pong {pongs} out of place (one write: {one_write})");
                    pongs += 1;
                    if pongs == fragments.len() {
                        break;
                    }
                }
                op => {
                    assert_eq!(op, if first { TEXT } else { CONTINUATION }, "opcode of an echoed piece");
                    first = false;
                    got.extend(&f.payload);
                    assert_eq!(f.fin, got.len() == bytes.len(), "FIN only on the message's last piece");
                }
            }
        }
        assert!(got == bytes, "the message came back changed");
        writer.join().unwrap().unwrap();
        ws.close_normally();
    }

    // A binary message in many small fragments, pings after every third.
    let mut ws = Ws::open(&server);
    let bin = bytes_of(10_000, 3);
    let mut wire = Vec::new();
    let pieces: Vec<&[u8]> = bin.chunks(700).collect();
    for (i, p) in pieces.iter().enumerate() {
        let op = if i == 0 { BINARY } else { CONTINUATION };
        wire.extend(masked(if i + 1 == pieces.len() { FIN | op } else { op }, p));
        if i % 3 == 0 {
            wire.extend(masked(FIN | PING, &[i as u8; 125]));
        }
    }
    ws.send(&wire);
    for i in (0..pieces.len()).step_by(3) {
        assert_eq!(ws.msg(), Msg::Pong(vec![i as u8; 125]));
    }
    assert_eq!(ws.msg(), Msg::Binary(bin));
    ws.close_normally();
}

#[test]
fn the_close_handshake_echoes_the_code_then_closes_tcp() {
    let server = Server::start();
    for code in [1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999] {
        for reason in [&b""[..], "au revoir, ça va".as_bytes()] {
            let mut ws = Ws::open(&server);
            // A message before the close is echoed; one after it in the same write is not.
            let mut wire = text_frame("last");
            wire.extend(close_frame(Some(code), reason));
            wire.extend(text_frame("never"));
            ws.send(&wire);
            assert_eq!(ws.msg(), Msg::Text(b"last".to_vec()));
            assert_eq!(ws.frame(), server_close(code), "close {code} with reason {reason:?}");
            ws.expect_eof(CLOSE_TIMEOUT);
        }
    }
    // No code: no code back (1005 never goes on the wire).
    let mut ws = Ws::open(&server);
    ws.send(&close_frame(None, b""));
    assert_eq!(ws.frame(), Frame { fin: true, opcode: CLOSE, payload: vec![] });
    ws.expect_eof(CLOSE_TIMEOUT);
    // The same through tungstenite.
    for code in [1000u16, 1001, 1011, 3000, 4999] {
        let mut ws = tungstenite_client(&server);
        ws.send(Message::text("hi")).unwrap();
        assert_eq!(read_data(&mut ws), Message::text("hi"));
        ws.close(Some(CloseFrame { code: CloseCode::from(code), reason: "bye".into() })).unwrap();
        assert_eq!(tungstenite_close_code(&mut ws), Some(code));
    }
    let mut ws = tungstenite_client(&server);
    ws.close(None).unwrap();
    assert_eq!(tungstenite_close_code(&mut ws), None);
}

/// A frame sequence the server must refuse with a close, after echoing `echoed` frames.
struct Bad {
    name: &'static str,
    wire: Vec<u8>,
    echoed: Vec<Frame>,
    code: u16,
    /// The frames after it can still be found (false when its length is unreadable).
    in_sync: bool,
    /// A close frame: the server answers it and ends at once.
    ends: bool,
}

fn protocol_errors() -> Vec<Bad> {
    let mut v = Vec::new();
    let mut add = |name, wire: Vec<u8>, echoed: Vec<Frame>, in_sync, ends| {
        v.push(Bad { name, wire, echoed, code: 1002, in_sync, ends })
    };
    let k = Some([1, 2, 3, 4]);
    add("unmasked text", frame_in(FIN | TEXT, b"hi", None, 0), vec![], true, false);
    add("unmasked ping", frame_in(FIN | PING, b"hi", None, 0), vec![], true, false);
    add("unmasked close", frame_in(FIN | CLOSE, &[3, 0xE8], None, 0), vec![], true, false);
    add("RSV1", masked(FIN | 0x40 | TEXT, b"hi"), vec![], true, false);
    add("RSV2", masked(FIN | 0x20 | BINARY, b"hi"), vec![], true, false);
    add("RSV3", masked(FIN | 0x10 | TEXT, b"hi"), vec![], true, false);
    add("RSV1 on a ping", masked(FIN | 0x40 | PING, b"hi"), vec![], true, false);
    for (name, op) in [("opcode 3", 3), ("opcode 7", 7), ("opcode 0xB", 0xB), ("opcode 0xF", 0xF)] {
        add(name, masked(FIN | op, b"hi"), vec![], true, false);
    }
    add("ping of 126 bytes", masked(FIN | PING, &[0; 126]), vec![], true, false);
    add("pong of 126 bytes", masked(FIN | PONG, &[0; 126]), vec![], true, false);
    let mut long_close = vec![0x03, 0xE8];
    long_close.extend([b'a'; 124]);
    add("close of 126 bytes", masked(FIN | CLOSE, &long_close), vec![], true, false);
    add("ping without FIN", masked(PING, b"x"), vec![], true, false);
    add("close without FIN", masked(CLOSE, &[3, 0xE8]), vec![], true, false);
    add("continuation first", masked(FIN | CONTINUATION, b"x"), vec![], true, false);
    add("unfinished continuation first", masked(CONTINUATION, b"x"), vec![], true, false);
    let inside = |first: u8, second: u8| {
        let mut w = masked(first, b"a");
        w.extend(masked(FIN | second, b"b"));
        w
    };
    let piece = |op: u8| vec![Frame { fin: false, opcode: op, payload: b"a".to_vec() }];
    add("text inside text", inside(TEXT, TEXT), piece(TEXT), true, false);
    add("binary inside text", inside(TEXT, BINARY), piece(TEXT), true, false);
    add("text inside binary", inside(BINARY, TEXT), piece(BINARY), true, false);
    add("64-bit length, top bit set", vec![0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4], vec![], false, false);
    add("16-bit length of 5 (not minimal)", frame_in(FIN | BINARY, b"hello", k, 2), vec![], false, false);
    add("64-bit length of 200 (not minimal)", frame_in(FIN | BINARY, &[9; 200], k, 8), vec![], false, false);
    for (name, code) in [("close code 999", 999u16), ("close code 1004", 1004), ("close code 1005", 1005),
        ("close code 1006", 1006), ("close code 1015", 1015), ("close code 1016", 1016),
        ("close code 2999", 2999), ("close code 5000", 5000), ("close code 0", 0)] {
        add(name, close_frame(Some(code), b""), vec![], true, true);
    }
    add("close of 1 byte", masked(FIN | CLOSE, &[3]), vec![], true, true);
    add("close reason not UTF-8", close_frame(Some(1000), b"ok \xff"), vec![], true, true);
    add("close reason cut short", close_frame(Some(1000), b"\xe2\x82"), vec![], true, true);
    add("close reason with a surrogate", close_frame(Some(1000), b"\xed\xa0\x80"), vec![], true, true);
    v
}

#[test]
fn each_protocol_error_gets_1002_and_nothing_more_is_echoed() {
    let mut server = Server::start();
    let mut failures = Vec::new();
    let cases = protocol_errors();
    for bad in &cases {
        let result = (|| -> Result<(), String> {
            let mut ws = Ws::open(&server);
            let mut wire = text_frame("before");
            wire.extend(&bad.wire);
            if bad.in_sync {
                // Frames after the bad one, in the same write: none may be echoed.
                wire.extend(text_frame("after"));
                wire.extend(masked(FIN | PING, b"ping"));
            }
            ws.try_send(&wire).map_err(|e| format!("send: {e}"))?;
            let mut want = vec![Frame { fin: true, opcode: TEXT, payload: b"before".to_vec() }];
            want.extend(bad.echoed.iter().cloned());
            want.push(server_close(bad.code));
            for w in &want {
                let f = ws.try_frame()?;
                if &f != w {
                    return Err(format!("got {f:x?}, want {w:x?}"));
                }
            }
            if !bad.ends {
                // The server waits for our close and echoes nothing meanwhile.
                if bad.in_sync {
                    ws.try_send(&text_frame("later")).map_err(|e| format!("send: {e}"))?;
                }
                ws.try_send(&close_frame(Some(1000), b"")).map_err(|e| format!("send: {e}"))?;
            }
            match ws.try_frame() {
                Err(e) if e == "EOF" || e.contains("reset") => Ok(()),
                Err(e) => Err(format!("after the close: {e}")),
                Ok(f) => Err(format!("a frame after the close: {f:x?}")),
            }
        })();
        if let Err(e) = result {
            failures.push(format!("{}: {e}", bad.name));
        }
    }
    assert_no_failures(&failures, cases.len());
    server.assert_healthy();
}

#[test]
fn invalid_utf8_closes_with_1007() {
    let server = Server::start();
    let piece = |fin: bool, opcode: u8, p: &[u8]| Frame { fin, opcode, payload: p.to_vec() };
    // (fragments sent, frames echoed before the 1007)
    let cases: Vec<(Vec<Vec<u8>>, Vec<Frame>)> = vec![
        // In the middle fragment of three.
        (
            vec![masked(TEXT, b"ok"), masked(CONTINUATION, b"\xc3\x28"), masked(FIN | CONTINUATION, b"end")],
            vec![piece(false, TEXT, b"ok")],
        ),
        // In the only frame.
        (vec![masked(FIN | TEXT, b"ok \xff")], vec![]),
        // A surrogate half.
        (vec![masked(FIN | TEXT, b"\xed\xa0\x80")], vec![]),
        // An overlong form.
        (vec![masked(FIN | TEXT, b"\xc0\xaf")], vec![]),
        // Past U+10FFFF.
        (vec![masked(FIN | TEXT, b"\xf4\x90\x80\x80")], vec![]),
        // A code point cut short by the end of the message.
        (vec![masked(TEXT, b"\xe2\x82"), masked(FIN | CONTINUATION, b"")], vec![piece(false, TEXT, b"\xe2\x82")]),
        // A code point split over fragments is fine; the bad byte is in the third.
        (
            vec![masked(TEXT, "κό".as_bytes()), masked(CONTINUATION, b"\xcf"), masked(FIN | CONTINUATION, b"\x83\xce\xbc\xc0\xaf")],
            vec![piece(false, TEXT, "κό".as_bytes()), piece(false, CONTINUATION, b"\xcf")],
        ),
    ];
    for (i, (fragments, echoed)) in cases.iter().enumerate() {
        let mut ws = Ws::open(&server);
        let mut wire: Vec<u8> = fragments.concat();
        wire.extend(text_frame("after"));
        ws.send(&wire);
        for e in echoed {
            assert_eq!(&ws.frame(), e, "case {i}");
        }
        assert_eq!(ws.frame(), server_close(1007), "case {i}");
        ws.send(&text_frame("later"));
        ws.send(&close_frame(Some(1000), b""));
        ws.expect_eof(CLOSE_TIMEOUT);
    }
    // Valid text split at every byte boundary of its code points comes back whole.
    let mut ws = Ws::open(&server);
    let s = "κόσμε 😀 €";
    let b = s.as_bytes();
    let mut wire = Vec::new();
    for i in 0..b.len() {
        let op = if i == 0 { TEXT } else { CONTINUATION };
        wire.extend(masked(if i + 1 == b.len() { FIN | op } else { op }, &b[i..i + 1]));
    }
    ws.send(&wire);
    assert_eq!(ws.msg(), Msg::Text(b.to_vec()));
    ws.close_normally();
}

#[test]
fn frames_arriving_a_byte_at_a_time() {
    let server = Server::start();
    let mut ws = Ws::connect(&server);
    // The upgrade request too.
    ws.send_bytewise(&upgrade_request(), Duration::from_micros(300));
    ws.expect_101();
    let bin = bytes_of(300, 5);
    let mut wire = text_frame("hello");
    wire.extend(masked(FIN | BINARY, &bin));
    wire.extend(masked(FIN | PING, b"p"));
    wire.extend(masked(TEXT, b"\xce\xba\xcf"));
    wire.extend(masked(FIN | PING, b"between"));
    wire.extend(masked(FIN | CONTINUATION, "\u{3cc}σμε".as_bytes()[1..].as_ref()));
    wire.extend(masked(FIN | TEXT, b""));
    wire.extend(close_frame(Some(4001), b"done"));
    ws.send_bytewise(&wire, Duration::from_millis(1));
    assert_eq!(ws.msg(), Msg::Text(b"hello".to_vec()));
    assert_eq!(ws.msg(), Msg::Binary(bin));
    assert_eq!(ws.msg(), Msg::Pong(b"p".to_vec()));
    assert_eq!(ws.msg(), Msg::Pong(b"between".to_vec()));
    assert_eq!(ws.msg(), Msg::Text("κόσμε".as_bytes().to_vec()));
    assert_eq!(ws.msg(), Msg::Text(vec![]));
    assert_eq!(ws.msg(), Msg::Close(Some(4001)));
    ws.expect_eof(CLOSE_TIMEOUT);
}

#[test]
fn many_frames_in_one_write_all_come_back() {
    let server = Server::start();
    let mut ws = Ws::open(&server);
    let mut rng = Rng::new(0x5eed);
    let mut wire = Vec::new();
    let mut want = Vec::new();
    for i in 0..20_000usize {
        let n = match rng.below(10) {
            0 => 126 + rng.below(3000) as usize,
            _ => rng.below(126) as usize,
        };
        match i % 50 {
            0 => {
                let p = bytes_of(n.min(125), i as u64);
                wire.extend(masked(FIN | PING, &p));
                want.push(Msg::Pong(p));
            }
            k if k % 2 == 0 => {
                let t = text_of(n);
                wire.extend(masked(FIN | TEXT, t.as_bytes()));
                want.push(Msg::Text(t.into_bytes()));
            }
            _ => {
                let b = bytes_of(n, i as u64);
                wire.extend(masked(FIN | BINARY, &b));
                want.push(Msg::Binary(b));
            }
        }
    }
    let total = wire.len();
    let writer = send_in_background(&ws, wire);
    for (i, w) in want.iter().enumerate() {
        let got = ws.try_msg().unwrap_or_else(|e| panic!("message {i} of {} ({total} bytes sent): {e}", want.len()));
        assert!(&got == w, "message {i} differs");
    }
    writer.join().unwrap().unwrap();
    ws.close_normally();
}

// ---------------------------------------------------------------------------------------------
// The upgrade
// ---------------------------------------------------------------------------------------------

/// An upgrade the server must not accept: the status, a header it must carry, and whether the
/// connection closes after it.
struct Refused {
    name: &'static str,
    request: Vec<u8>,
    status: u16,
    header: Option<(&'static str, &'static str)>,
    closes: bool,
}

fn refused_upgrades() -> Vec<Refused> {
    let mut v = Vec::new();
    let mut add = |name, request: Vec<u8>, status, header, closes| v.push(Refused { name, request, status, header, closes });
    let upgrade = Some(("upgrade", "websocket"));
    let version = Some(("sec-websocket-version", "13"));
    let fields = |key: &str, version: &str| {
        format!("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n{version}")
    };
    add("plain GET /ws", request_with("GET /ws", ""), 426, upgrade, false);
    add("no Connection: upgrade", request_with("GET /ws", &format!("Upgrade: websocket\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n")), 426, upgrade, false);
    add("Connection: keep-alive only", request_with("GET /ws", &format!("Upgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n")), 426, upgrade, false);
    add("no Upgrade", request_with("GET /ws", &format!("Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n")), 426, upgrade, false);
    add("Upgrade: h2c", request_with("GET /ws", &format!("Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n")), 426, upgrade, false);
    add("version 8", request_with("GET /ws", &fields(KEY, "Sec-WebSocket-Version: 8\r\n")), 426, version, false);
    add("version 14", request_with("GET /ws", &fields(KEY, "Sec-WebSocket-Version: 14\r\n")), 426, version, false);
    add("no version", request_with("GET /ws", &fields(KEY, "")), 426, version, false);
    add("version 13 twice", request_with("GET /ws", &fields(KEY, "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13\r\n")), 426, version, false);
    add("no key", request_with("GET /ws", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"), 400, None, true);
    add("key not base64", request_with("GET /ws", &upgrade_fields("not*base64*at*all*=")), 400, None, true);
    add("key of 15 bytes", request_with("GET /ws", &upgrade_fields("AAAAAAAAAAAAAAAAAAAA")), 400, None, true);
    add("key of 17 bytes", request_with("GET /ws", &upgrade_fields("AAAAAAAAAAAAAAAAAAAAAAA=")), 400, None, true);
    add("key of 16 bytes in base64url", request_with("GET /ws", &upgrade_fields("dGhlIHNhbXBsZSBub25jZQ-_")), 400, None, true);
    add("key of 16 bytes without padding", request_with("GET /ws", &upgrade_fields("dGhlIHNhbXBsZSBub25jZQ")), 400, None, true);
    add("empty key", request_with("GET /ws", &upgrade_fields("")), 400, None, true);
    add("two keys", request_with("GET /ws", &format!("{}Sec-WebSocket-Key: {KEY}\r\n", upgrade_fields(KEY))), 400, None, true);
    let mut with_body = request_with("GET /ws", &format!("{}Content-Length: 5\r\n", upgrade_fields(KEY)));
    with_body.extend(b"hello");
    add("a body (Content-Length)", with_body, 400, None, true);
    let mut chunked = request_with("GET /ws", &format!("{}Transfer-Encoding: chunked\r\n", upgrade_fields(KEY)));
    chunked.extend(b"5\r\nhello\r\n0\r\n\r\n");
    add("a body (chunked)", chunked, 400, None, true);
    add("path /wsx", request_with("GET /wsx", &upgrade_fields(KEY)), 404, None, false);
    add("path /ws/", request_with("GET /ws/", &upgrade_fields(KEY)), 404, None, false);
    add("path /other", request_with("GET /other", &upgrade_fields(KEY)), 404, None, false);
    add("POST /ws", request_with("POST /ws", &upgrade_fields(KEY)), 405, None, false);
    let http10 = format!("GET /ws HTTP/1.0\r\nHost: localhost\r\n{}\r\n", upgrade_fields(KEY)).into_bytes();
    add("HTTP/1.0", http10, 426, upgrade, true);
    v
}

#[test]
fn upgrades_that_are_refused() {
    let mut server = Server::start();
    let cases = refused_upgrades();
    let mut failures = Vec::new();
    for c in &cases {
        let result = (|| -> Result<(), String> {
            let mut conn = Conn::connect(server.addr()).map_err(|e| format!("connect: {e}"))?;
            let _ = conn.try_send(&c.request);
            let r = conn.try_read_response(false)?;
            if r.status != c.status {
                return Err(format!("want {}, got {}; head:\n{}", c.status, r.status, r.head));
            }
            r.check_common_headers()?;
            if r.header("sec-websocket-accept").is_some() {
                return Err(format!("an accept value in a refusal:\n{}", r.head));
            }
            if let Some((name, value)) = c.header
                && !r.header(name).is_some_and(|v| v.eq_ignore_ascii_case(value))
            {
                return Err(format!("no `{name}: {value}`; head:\n{}", r.head));
            }
            if c.closes {
                conn.try_expect_eof()
            } else {
                // Still HTTP/1.1 on the same connection.
                conn.try_send(&get_request("/baseline11?a=1&b=2")).map_err(|e| format!("send after: {e}"))?;
                conn.try_read_response(false)?.check_status_body(200, "3")
            }
        })();
        if let Err(e) = result {
            failures.push(format!("{}: {e}", c.name));
        }
    }
    assert_no_failures(&failures, cases.len());
    server.assert_healthy();
}

#[test]
fn bytes_after_the_upgrade_request_are_the_first_frames() {
    let server = Server::start();
    // The request, frames and a ping in one write.
    let mut ws = Ws::connect(&server);
    let mut wire = upgrade_request();
    wire.extend(text_frame("first"));
    wire.extend(masked(FIN | PING, b"second"));
    wire.extend(masked(BINARY, b"thi"));
    wire.extend(masked(FIN | CONTINUATION, b"rd"));
    ws.send(&wire);
    ws.expect_101();
    assert_eq!(ws.msg(), Msg::Text(b"first".to_vec()));
    assert_eq!(ws.msg(), Msg::Pong(b"second".to_vec()));
    assert_eq!(ws.msg(), Msg::Binary(b"third".to_vec()));
    ws.close_normally();

    // Pipelined HTTP requests before the upgrade are answered first, in order.
    let mut ws = Ws::connect(&server);
    let mut wire = get_request("/baseline11?a=40&b=2");
    wire.extend(get_request("/pipeline"));
    wire.extend(upgrade_request());
    wire.extend(text_frame("after two answers"));
    wire.extend(close_frame(Some(1000), b""));
    ws.send(&wire);
    for body in ["42", "ok"] {
        let r = ws.read_head().unwrap();
        let len: usize = r.header("content-length").unwrap().parse().unwrap();
        let got: Vec<u8> = ws.buf.drain(..len).collect();
        assert_eq!((r.status, &got[..]), (200, body.as_bytes()));
    }
    ws.expect_101();
    assert_eq!(ws.msg(), Msg::Text(b"after two answers".to_vec()));
    assert_eq!(ws.msg(), Msg::Close(Some(1000)));
    ws.expect_eof(CLOSE_TIMEOUT);

    // A large first message right behind the request.
    let mut ws = Ws::connect(&server);
    let big = bytes_of(200_000, 9);
    let mut wire = upgrade_request();
    wire.extend(masked(FIN | BINARY, &big));
    let writer = send_in_background(&ws, wire);
    ws.expect_101();
    assert!(ws.msg() == Msg::Binary(big));
    writer.join().unwrap().unwrap();
    ws.close_normally();
}

#[test]
fn offered_extensions_and_subprotocols_are_not_taken() {
    let server = Server::start();
    let key = "x3JJHMbDL1EzLkh9GBhXDw==";
    let mut ws = Ws::connect(&server);
    let fields = format!(
        "{}Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\nSec-WebSocket-Protocol: chat, superchat\r\n",
        upgrade_fields(key)
    );
    ws.send(&request_with("GET /ws", &fields));
    let r = ws.read_head().unwrap();
    check_101(&r, &accept_of(key)).unwrap();
    assert_eq!(accept_of(key), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=", "RFC 6455 §1.2's example");
    // Frames go uncompressed; one with RSV1 (a compressed frame) is a protocol error.
    ws.echo("plain");
    ws.send(&masked(FIN | 0x40 | TEXT, b"\xf2\x48\xcd\xc9\xc9\x07\x00"));
    assert_eq!(ws.frame(), server_close(1002));

    // A query on /ws, Upgrade and Connection in lists and any case, OWS around the key.
    let mut ws = Ws::connect(&server);
    ws.send(&request_with(
        "GET /ws?room=1",
        &format!("upgrade: h2c, WebSocket\r\nconnection: keep-alive, UPGRADE\r\nsec-websocket-key:  {KEY} \r\nsec-websocket-version: 13\r\n"),
    ));
    ws.expect_101();
    ws.echo("lists and cases");
    ws.close_normally();
}

// ---------------------------------------------------------------------------------------------
// Many connections, and clients that misbehave
// ---------------------------------------------------------------------------------------------

#[test]
fn ten_thousand_upgraded_connections_echoing_at_once() {
    const CONNS: usize = 10_000;
    const THREADS: usize = 8;
    raise_nofile_limit();
    let limit = nofile_limit();
    assert!(limit >= CONNS as u64 + 1000, "RLIMIT_NOFILE is {limit}; this test needs more than {}", CONNS + 1000);
    let mut server = Server::start_args(&["--port", "0", "--threads", "2", "--connections", "12000"]);
    let addr = server.addr();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let barrier = barrier.clone();
            thread::spawn(move || -> Result<usize, String> {
                let ids: Vec<usize> = (t..CONNS).step_by(THREADS).collect();
                let mut conns = Vec::new();
                for &n in &ids {
                    let s = TcpStream::connect_timeout(&addr, IO_TIMEOUT).map_err(|e| format!("connect {n}: {e}"))?;
                    let mut ws = Ws::from_stream(s);
                    ws.try_send(&upgrade_request()).map_err(|e| format!("conn {n}: {e}"))?;
                    conns.push(ws);
                }
                for (ws, n) in conns.iter_mut().zip(&ids) {
                    let r = ws.read_head().map_err(|e| format!("conn {n}: {e}"))?;
                    check_101(&r, ACCEPT).map_err(|e| format!("conn {n}: {e}"))?;
                }
                // Every connection is upgraded before any echoes.
                barrier.wait();
                let mut echoed = 0;
                for round in 0..3 {
                    for (ws, n) in conns.iter_mut().zip(&ids) {
                        let m = format!("conn {n} round {round}");
                        let wire = if round == 1 { masked(FIN | BINARY, m.as_bytes()) } else { text_frame(&m) };
                        ws.try_send(&wire).map_err(|e| format!("conn {n}: {e}"))?;
                    }
                    for (ws, n) in conns.iter_mut().zip(&ids) {
                        let m = format!("conn {n} round {round}").into_bytes();
                        let want = if round == 1 { Msg::Binary(m) } else { Msg::Text(m) };
                        match ws.try_msg() {
                            Ok(got) if got == want => echoed += 1,
                            Ok(got) => return Err(format!("conn {n} round {round}: got {got:?}")),
                            Err(e) => return Err(format!("conn {n} round {round}: {e}")),
                        }
                    }
                }
                barrier.wait();
                // Half close with the handshake, half vanish.
                for (i, (mut ws, n)) in conns.into_iter().zip(&ids).enumerate() {
                    if i % 2 == 0 {
                        ws.try_send(&close_frame(Some(1000), b"")).map_err(|e| format!("conn {n}: {e}"))?;
                        match ws.try_msg() {
                            Ok(Msg::Close(Some(1000))) => {}
                            other => return Err(format!("conn {n}: close answered with {other:?}")),
                        }
                    }
                }
                Ok(echoed)
            })
        })
        .collect();
    let mut echoed = 0;
    let mut errors = Vec::new();
    for h in handles {
        match h.join().expect("client thread panicked") {
            Ok(n) => echoed += n,
            Err(e) => errors.push(e),
        }
    }
    assert!(errors.is_empty(), "{echoed} echoes; errors:\n{}", errors.join("\n"));
    assert_eq!(echoed, 3 * CONNS);
    server.assert_healthy();
    let mut ws = Ws::open(&server);
    ws.echo("still here");
}

/// Messages of 1 MiB a stalled client sends: more than a loopback socket's send buffer holds.
const STALL_MESSAGES: usize = 6;

/// Echoes `count` messages on `ws`, each within `limit`; the slowest round trip.
fn prompt_echoes(ws: &mut Ws, count: usize, limit: Duration) -> Duration {
    let mut worst = Duration::ZERO;
    for i in 0..count {
        let t = Instant::now();
        ws.echo(&format!("prompt {i}"));
        let took = t.elapsed();
        assert!(took < limit, "echo {i} took {took:?}");
        worst = worst.max(took);
    }
    worst
}

#[test]
fn clients_that_vanish_half_close_or_stall_harm_no_one_else() {
    // One worker: every connection shares its loop.
    let mut server = Server::start_args(&["--port", "0", "--threads", "1"]);
    let limit = Duration::from_millis(500);
    let mut good = Ws::open(&server);
    prompt_echoes(&mut good, 5, limit);

    // Vanish: with a frame half sent, by FIN and by reset; right after the upgrade; mid-echo.
    for how in 0..4 {
        let mut bad = Ws::open(&server);
        match how {
            0 => bad.send(&masked(FIN | BINARY, &[1; 100_000])[..50_000]),
            1 => bad.send(&masked(FIN | TEXT, b"half a frame")[..7]),
            2 => {}
            _ => {
                // Gone while its echo is under way (the write may block: end it from here).
                let writer = send_in_background(&bad, masked(FIN | BINARY, &[2; 500_000]));
                thread::sleep(Duration::from_millis(100));
                set_linger_zero(&bad.stream);
                let _ = bad.stream.shutdown(Shutdown::Both);
                let _ = writer.join();
            }
        }
        if how == 1 {
            reset_close(bad.stream);
        } else {
            drop(bad);
        }
        prompt_echoes(&mut good, 5, limit);
    }

    // Half-close: what came before the FIN is echoed, then the server closes.
    let mut half = Ws::open(&server);
    half.send(&text_frame("before the FIN"));
    half.stream.shutdown(Shutdown::Write).unwrap();
    assert_eq!(half.msg(), Msg::Text(b"before the FIN".to_vec()));
    half.expect_eof(CLOSE_TIMEOUT);
    // Half-close in the middle of a frame.
    let mut half = Ws::open(&server);
    half.send(&text_frame("whole")[..]);
    half.send(&text_frame("cut")[..5]);
    half.stream.shutdown(Shutdown::Write).unwrap();
    assert_eq!(half.msg(), Msg::Text(b"whole".to_vec()));
    match half.try_frame() {
        Err(e) if e == "EOF" || e.contains("reset") => {}
        other => panic!("after a half-close inside a frame: {other:?}"),
    }
    prompt_echoes(&mut good, 5, limit);

    // Stall: two clients send messages of the largest size and read nothing while they are
    // echoed. More than the server's socket can queue (its send buffer grows to 4 MiB), so the
    // server holds output in the connection's slot and stops reading from it.
    let mut stalled: Vec<(Ws, Vec<Vec<u8>>, thread::JoinHandle<io::Result<()>>)> = Vec::new();
    for seed in 0..2 {
        let ws = tiny_receiver(&server);
        let messages: Vec<Vec<u8>> = (0..STALL_MESSAGES).map(|i| bytes_of(1 << 20, 100 + 10 * seed + i as u64)).collect();
        let wire: Vec<u8> = messages.iter().flat_map(|m| masked(FIN | BINARY, m)).collect();
        let writer = send_in_background(&ws, wire);
        stalled.push((ws, messages, writer));
    }
    thread::sleep(Duration::from_millis(300));
    let worst = prompt_echoes(&mut good, 50, limit);
    let mut other = Ws::open(&server);
    prompt_echoes(&mut other, 20, limit);
    server.assert_healthy();
    // The stalled clients read at last and get their whole echo.
    for (mut ws, messages, writer) in stalled {
        for (i, m) in messages.into_iter().enumerate() {
            assert!(ws.msg() == Msg::Binary(m), "a stalled client's echo {i} after it read again");
        }
        writer.join().unwrap().unwrap();
        ws.close_normally();
    }
    good.close_normally();
    other.close_normally();
    eprintln!("slowest echo beside the stalled clients: {worst:?}");
}

// ---------------------------------------------------------------------------------------------
// Timeouts and stopping
// ---------------------------------------------------------------------------------------------

#[test]
fn an_idle_connection_gets_1001_after_the_idle_timeout() {
    let server = Server::start_args(&["--port", "0", "--threads", "2", "--idle-timeout", "1"]);
    thread::scope(|s| {
        // Answers our close: the server then closes TCP.
        s.spawn(|| {
            let mut ws = Ws::open(&server);
            ws.echo("then idle");
            let t = Instant::now();
            ws.stream.set_read_timeout(Some(Duration::from_secs(4))).unwrap();
            assert_eq!(ws.frame(), server_close(1001));
            let took = t.elapsed();
            assert!(took >= Duration::from_millis(900) && took <= Duration::from_millis(3000), "1001 after {took:?}");
            ws.send(&close_frame(Some(1001), b""));
            ws.expect_eof(Duration::from_secs(2));
        });
        // Does not answer: TCP closes after the linger.
        s.spawn(|| {
            let mut ws = Ws::open(&server);
            let t = Instant::now();
            ws.stream.set_read_timeout(Some(Duration::from_secs(4))).unwrap();
            assert_eq!(ws.frame(), server_close(1001));
            assert!(t.elapsed() <= Duration::from_millis(3000), "1001 after {:?}", t.elapsed());
            ws.expect_eof(Duration::from_secs(4));
            assert!(t.elapsed() >= Duration::from_millis(1500), "closed before the linger: {:?}", t.elapsed());
        });
        // Idle inside a fragmented message: the same.
        s.spawn(|| {
            let mut ws = Ws::open(&server);
            ws.send(&masked(TEXT, b"unfinished"));
            assert_eq!(ws.frame(), Frame { fin: false, opcode: TEXT, payload: b"unfinished".to_vec() });
            ws.stream.set_read_timeout(Some(Duration::from_secs(4))).unwrap();
            assert_eq!(ws.frame(), server_close(1001));
        });
        // Busy every 300 ms: never closed.
        s.spawn(|| {
            let mut ws = Ws::open(&server);
            for i in 0..10 {
                ws.echo(&format!("busy {i}"));
                thread::sleep(Duration::from_millis(300));
            }
            ws.close_normally();
        });
    });
}

#[test]
fn sigterm_closes_every_websocket_with_1001_and_exits_0() {
    // Clients that answer the close: the server exits as soon as they have.
    let mut server = Server::start_args(&["--port", "0", "--threads", "2", "--grace", "5"]);
    let mut clients: Vec<Ws> = (0..20).map(|_| Ws::open(&server)).collect();
    for (i, ws) in clients.iter_mut().enumerate() {
        ws.echo(&format!("client {i}"));
    }
    // One in the middle of a fragmented message, one in the middle of a frame.
    clients[0].send(&masked(TEXT, b"part"));
    assert_eq!(clients[0].frame().payload, b"part");
    clients[1].send(&masked(FIN | BINARY, &[5; 300])[..100]);
    let mut tung = tungstenite_client(&server);
    tung.send(Message::text("tungstenite")).unwrap();
    assert_eq!(read_data(&mut tung), Message::text("tungstenite"));
    thread::sleep(Duration::from_millis(100));
    let t0 = Instant::now();
    server.signal(libc::SIGTERM);
    for (i, ws) in clients.iter_mut().enumerate() {
        ws.stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let f = ws.try_frame().unwrap_or_else(|e| panic!("client {i}: {e}"));
        assert_eq!(f, server_close(1001), "client {i}");
    }
    assert!(t0.elapsed() < Duration::from_millis(1500), "the closes took {:?}", t0.elapsed());
    // A new connection is not accepted any more.
    assert!(TcpStream::connect(server.addr()).and_then(|mut s| {
        s.set_read_timeout(Some(Duration::from_secs(2)))?;
        s.write_all(&upgrade_request())?;
        let mut b = [0u8; 64];
        s.read(&mut b)
    }).map_or(true, |n| n == 0), "a connection accepted after SIGTERM");
    // The rest of the cut frame, then the answers.
    clients[1].send(&masked(FIN | BINARY, &[5; 300])[100..]);
    assert_eq!(tungstenite_close_code(&mut tung), Some(1001));
    for ws in clients.iter_mut() {
        ws.send(&close_frame(Some(1001), b""));
        ws.expect_eof(Duration::from_secs(2));
    }
    drop(clients);
    drop(tung);
    let status = server.wait_exit(Duration::from_secs(2)).expect("the server did not exit once every client answered");
    assert!(status.success(), "exit status {status}");
    assert!(t0.elapsed() < Duration::from_secs(3), "exit took {:?}", t0.elapsed());

    // Clients that never answer: closed at the end of the linger, exit 0 within grace + linger.
    let mut server = Server::start_args(&["--port", "0", "--threads", "2", "--grace", "3"]);
    let mut clients: Vec<Ws> = (0..10).map(|_| Ws::open(&server)).collect();
    for ws in clients.iter_mut() {
        ws.echo("silent");
    }
    let t0 = Instant::now();
    server.signal(libc::SIGTERM);
    for ws in clients.iter_mut() {
        ws.stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        assert_eq!(ws.frame(), server_close(1001));
    }
    let status = server.wait_exit(Duration::from_secs(3 + 2 + 2)).expect("no exit within grace + linger");
    assert!(status.success(), "exit status {status}");
    eprintln!("exit {:?} after SIGTERM with silent clients", t0.elapsed());
    for ws in clients.iter_mut() {
        ws.expect_eof(Duration::from_secs(1));
    }
}

#[test]
fn sigterm_while_an_echo_is_backed_up_keeps_every_frame_whole() {
    let mut server = Server::start_args(&["--port", "0", "--threads", "1", "--grace", "5"]);
    let mut ws = tiny_receiver(&server);
    let messages: Vec<Vec<u8>> = (0..STALL_MESSAGES).map(|i| bytes_of(1 << 20, 42 + i as u64)).collect();
    let all: Vec<u8> = messages.concat();
    let mut wire: Vec<u8> = messages.iter().flat_map(|m| masked(FIN | BINARY, m)).collect();
    // Then, once all is written, our close: the server skips what comes after its own close, so
    // the write completes.
    wire.extend(close_frame(Some(1001), b""));
    let writer = send_in_background(&ws, wire);
    // The echo backs up into the server's slot: the client reads nothing yet.
    thread::sleep(Duration::from_millis(500));
    server.signal(libc::SIGTERM);
    thread::sleep(Duration::from_millis(300));
    // Now read everything: whole frames, a prefix of the messages, then 1001, then EOF.
    ws.stream.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
    let mut echoed = 0;
    let mut in_message = false;
    let code = loop {
        let f = ws.try_frame().unwrap_or_else(|e| panic!("after {echoed} echoed bytes: {e}"));
        match f.opcode {
            BINARY | CONTINUATION => {
                assert_eq!(f.opcode == CONTINUATION, in_message, "opcode of a piece after {echoed} bytes");
                let end = echoed + f.payload.len();
                assert!(all.get(echoed..end) == Some(&f.payload[..]), "the echo differs in bytes {echoed}..{end}");
                echoed = end;
                in_message = !f.fin;
                assert!(f.fin == (echoed % (1 << 20) == 0), "FIN at {echoed}");
            }
            CLOSE => break f.close_code(),
            op => panic!("opcode {op}"),
        }
    };
    assert_eq!(code, Some(1001), "after {echoed} echoed bytes");
    assert!(echoed > 0, "nothing was echoed before the close");
    writer.join().unwrap().unwrap();
    ws.expect_eof(Duration::from_secs(3));
    let status = server.wait_exit(Duration::from_secs(3)).expect("no exit");
    assert!(status.success(), "exit status {status}");
}
