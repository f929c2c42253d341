//! A raw HTTP/2 client for the peers the `h2` crate will not play: frames written byte for byte,
//! header blocks encoded (and the server's decoded) with the independent `hpack` crate, every
//! frame read strictly (whole frames, HEADERS always with END_HEADERS), every read bounded.

use crate::common::IO_TIMEOUT;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// Frame types (RFC 9113 §6).
pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const PRIORITY: u8 = 0x2;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PUSH_PROMISE: u8 = 0x5;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;
pub const WINDOW_UPDATE: u8 = 0x8;
pub const CONTINUATION: u8 = 0x9;

// Flags.
pub const END_STREAM: u8 = 0x1;
pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const PADDED: u8 = 0x8;
pub const PRIORITY_FLAG: u8 = 0x20;

// Error codes (§7).
pub const NO_ERROR: u32 = 0x0;
pub const PROTOCOL_ERROR: u32 = 0x1;
pub const FLOW_CONTROL_ERROR: u32 = 0x3;
pub const STREAM_CLOSED: u32 = 0x5;
pub const FRAME_SIZE_ERROR: u32 = 0x6;
pub const REFUSED_STREAM: u32 = 0x7;
pub const CANCEL: u32 = 0x8;
pub const COMPRESSION_ERROR: u32 = 0x9;
pub const ENHANCE_YOUR_CALM: u32 = 0xb;

// Settings (§6.5.2).
pub const HEADER_TABLE_SIZE: u16 = 0x1;
pub const ENABLE_PUSH: u16 = 0x2;
pub const MAX_CONCURRENT_STREAMS: u16 = 0x3;
pub const INITIAL_WINDOW_SIZE: u16 = 0x4;
pub const MAX_FRAME_SIZE: u16 = 0x5;
pub const MAX_HEADER_LIST_SIZE: u16 = 0x6;

/// How long we wait for a frame the server owes us.
pub const FRAME_WAIT: Duration = Duration::from_secs(5);

pub fn code_name(code: u32) -> &'static str {
    match code {
        0x0 => "NO_ERROR",
        0x1 => "PROTOCOL_ERROR",
        0x2 => "INTERNAL_ERROR",
        0x3 => "FLOW_CONTROL_ERROR",
        0x4 => "SETTINGS_TIMEOUT",
        0x5 => "STREAM_CLOSED",
        0x6 => "FRAME_SIZE_ERROR",
        0x7 => "REFUSED_STREAM",
        0x8 => "CANCEL",
        0x9 => "COMPRESSION_ERROR",
        0xa => "CONNECT_ERROR",
        0xb => "ENHANCE_YOUR_CALM",
        0xc => "INADEQUATE_SECURITY",
        0xd => "HTTP_1_1_REQUIRED",
        _ => "unknown code",
    }
}

/// One frame's bytes.
pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    assert!(len < 1 << 24);
    let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

pub fn settings(pairs: &[(u16, u32)]) -> Vec<u8> {
    let mut p = Vec::new();
    for (id, value) in pairs {
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&value.to_be_bytes());
    }
    frame(SETTINGS, 0, 0, &p)
}

pub fn window_update(stream: u32, increment: u32) -> Vec<u8> {
    frame(WINDOW_UPDATE, 0, stream, &increment.to_be_bytes())
}

pub fn rst_stream(stream: u32, code: u32) -> Vec<u8> {
    frame(RST_STREAM, 0, stream, &code.to_be_bytes())
}

pub fn ping(payload: [u8; 8]) -> Vec<u8> {
    frame(PING, 0, 0, &payload)
}

pub fn data(stream: u32, bytes: &[u8], end: bool) -> Vec<u8> {
    frame(DATA, if end { END_STREAM } else { 0 }, stream, bytes)
}

/// A frame from the server, with a HEADERS frame's block decoded (in arrival order, so the
/// decoder's table follows the server's encoder).
#[derive(Debug, Clone)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
    pub fields: Vec<(String, String)>,
}

impl Frame {
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// The error code of a RST_STREAM, or of a GOAWAY.
    pub fn code(&self) -> u32 {
        let at = if self.kind == GOAWAY { 4 } else { 0 };
        u32::from_be_bytes(self.payload[at..at + 4].try_into().unwrap())
    }

    /// A GOAWAY's last stream id.
    pub fn last_stream(&self) -> u32 {
        u32::from_be_bytes(self.payload[0..4].try_into().unwrap()) & 0x7fff_ffff
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn describe(&self) -> String {
        let name = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY",
            "WINDOW_UPDATE", "CONTINUATION"].get(usize::from(self.kind)).copied().unwrap_or("unknown");
        let detail = match self.kind {
            RST_STREAM => code_name(self.code()).to_string(),
            GOAWAY => format!("last {} {}", self.last_stream(), code_name(self.code())),
            HEADERS => format!("{:?}", self.fields),
            _ => format!("{:?}", String::from_utf8_lossy(&self.payload[..self.payload.len().min(40)])),
        };
        format!("{name} flags {:#x} stream {} len {} {detail}", self.flags, self.stream, self.payload.len())
    }
}

/// What one read brought.
#[derive(Debug)]
pub enum Event {
    Frame(Frame),
    /// The server closed (a FIN or a reset).
    Closed,
    /// Nothing within the time given.
    Quiet,
}

/// A complete answer on one stream.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub fields: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub data_frames: usize,
}

impl Answer {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn body_str(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// This status and body, with the common fields of every answer and a content-length
    /// that matches the body.
    pub fn assert(&self, status: u16, body: &str) {
        assert_eq!((self.status, self.body_str().as_str()), (status, body), "answer {:?}", self);
        self.assert_common(body.len());
    }

    pub fn assert_common(&self, content_length: usize) {
        assert_eq!(self.field("server"), Some("mote"), "{self:?}");
        assert_eq!(self.field("content-type"), Some("text/plain"), "{self:?}");
        let cl = content_length.to_string();
        assert_eq!(self.field("content-length"), Some(cl.as_str()), "{self:?}");
        let date = self.field("date").unwrap_or_else(|| panic!("no date in {self:?}"));
        crate::common::check_imf_fixdate(date).unwrap_or_else(|e| panic!("date {date:?}: {e}"));
    }
}

/// A raw client connection.
pub struct Raw {
    pub stream: TcpStream,
    buf: Vec<u8>,
    pub enc: hpack::Encoder<'static>,
    dec: hpack::Decoder<'static>,
    /// Answers under way, and those complete but not yet asked for, by stream id.
    partial: HashMap<u32, Answer>,
    done: HashMap<u32, Answer>,
}

impl Raw {
    /// A TCP connection to the h2c port; nothing sent.
    pub fn connect(port: u16) -> Raw {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
        stream.set_nodelay(true).unwrap();
        Raw { stream, buf: Vec::new(), enc: hpack::Encoder::new(), dec: hpack::Decoder::new(), partial: HashMap::new(), done: HashMap::new() }
    }

    /// Preface and an empty SETTINGS; then the server's SETTINGS (checked) and its ACK of ours.
    pub fn open(port: u16) -> Raw {
        Raw::open_with(port, &[])
    }

    /// Preface and SETTINGS with these values; then the server's SETTINGS (checked), which we
    /// acknowledge, and its ACK of ours.
    pub fn open_with(port: u16, ours: &[(u16, u32)]) -> Raw {
        let mut c = Raw::connect(port);
        let mut hello = PREFACE.to_vec();
        hello.extend(settings(ours));
        c.send(&hello);
        c.expect_server_settings();
        c
    }

    /// Reads the server's SETTINGS (checking its values) and its ACK of ours, in either order.
    pub fn expect_server_settings(&mut self) {
        let (mut theirs, mut acked) = (false, false);
        while !(theirs && acked) {
            let f = self.frame();
            assert_eq!((f.kind, f.stream), (SETTINGS, 0), "want SETTINGS, got {}", f.describe());
            if f.has(ACK) {
                assert!(f.payload.is_empty(), "SETTINGS ACK with a payload");
                acked = true;
            } else {
                assert!(!theirs, "two SETTINGS frames from the server");
                let values: HashMap<u16, u32> = f
                    .payload
                    .chunks(6)
                    .map(|s| (u16::from_be_bytes([s[0], s[1]]), u32::from_be_bytes([s[2], s[3], s[4], s[5]])))
                    .collect();
                assert_eq!(f.payload.len() % 6, 0);
                assert_eq!(values.get(&MAX_CONCURRENT_STREAMS), Some(&128), "{values:?}");
                assert_eq!(values.get(&MAX_HEADER_LIST_SIZE), Some(&8192), "{values:?}");
                self.send(&frame(SETTINGS, ACK, 0, &[]));
                theirs = true;
            }
        }
    }

    /// Caps our decoder's dynamic table (what SETTINGS_HEADER_TABLE_SIZE tells the server).
    pub fn set_table_size(&mut self, size: usize) {
        self.dec.set_max_table_size(size);
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap_or_else(|e| panic!("send of {} bytes: {e}", bytes.len()));
    }

    /// Sends, ignoring errors (for floods the server may cut short).
    pub fn send_lossy(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes);
    }

    /// A header block of these fields, in order, from our encoder.
    pub fn block(&mut self, fields: &[(&str, &str)]) -> Vec<u8> {
        self.enc.encode(fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())))
    }

    /// A HEADERS frame (END_HEADERS set) with these fields and extra flags.
    pub fn headers(&mut self, stream: u32, flags: u8, fields: &[(&str, &str)]) -> Vec<u8> {
        let b = self.block(fields);
        frame(HEADERS, flags | END_HEADERS, stream, &b)
    }

    /// A request's HEADERS: `method` on `path`, ending the stream if `end`.
    pub fn request(&mut self, stream: u32, method: &str, path: &str, end: bool) -> Vec<u8> {
        let fields = [(":method", method), (":scheme", "http"), (":path", path), (":authority", "localhost")];
        self.headers(stream, if end { END_STREAM } else { 0 }, &fields)
    }

    pub fn get(&mut self, stream: u32, path: &str) -> Vec<u8> {
        self.request(stream, "GET", path, true)
    }

    /// Reads more bytes before `deadline`: false on timeout, Err when the connection ended.
    fn fill(&mut self, deadline: Instant) -> Result<bool, ()> {
        let now = Instant::now();
        if now >= deadline {
            return Ok(false);
        }
        self.stream.set_read_timeout(Some(deadline - now)).unwrap();
        let mut chunk = [0u8; 32 * 1024];
        loop {
            return match self.stream.read(&mut chunk) {
                Ok(0) => Err(()),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    Ok(true)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => Ok(false),
                Err(_) => Err(()),
            };
        }
    }

    /// The next frame within `wait`, the close, or quiet.
    pub fn next(&mut self, wait: Duration) -> Event {
        let deadline = Instant::now() + wait;
        loop {
            if self.buf.len() >= 9 {
                let len = usize::from(self.buf[0]) << 16 | usize::from(self.buf[1]) << 8 | usize::from(self.buf[2]);
                assert!(len <= 16_384, "frame of {len} bytes past the default SETTINGS_MAX_FRAME_SIZE: {:?}", &self.buf[..9]);
                if self.buf.len() >= 9 + len {
                    let head: Vec<u8> = self.buf.drain(..9).collect();
                    let payload: Vec<u8> = self.buf.drain(..len).collect();
                    let mut f = Frame {
                        kind: head[3],
                        flags: head[4],
                        stream: u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff,
                        payload,
                        fields: Vec::new(),
                    };
                    assert_eq!(head[5] & 0x80, 0, "reserved bit set in {}", f.describe());
                    if f.kind == HEADERS {
                        assert!(f.has(END_HEADERS), "server HEADERS without END_HEADERS");
                        assert!(!f.has(PADDED) && !f.has(PRIORITY_FLAG), "unexpected HEADERS flags {:#x}", f.flags);
                        let fields = self.dec.decode(&f.payload).unwrap_or_else(|e| panic!("server's header block: {e:?}"));
                        f.fields = fields
                            .into_iter()
                            .map(|(n, v)| (String::from_utf8(n).unwrap(), String::from_utf8(v).unwrap()))
                            .collect();
                    }
                    return Event::Frame(f);
                }
            }
            match self.fill(deadline) {
                Ok(true) => {}
                Ok(false) => return Event::Quiet,
                Err(()) => {
                    assert!(self.buf.is_empty(), "connection closed inside a frame: {:?}", self.buf);
                    return Event::Closed;
                }
            }
        }
    }

    /// The next frame, which the server owes: panics on a close or a timeout.
    pub fn frame(&mut self) -> Frame {
        match self.next(FRAME_WAIT) {
            Event::Frame(f) => f,
            other => panic!("want a frame, got {other:?}"),
        }
    }

    /// Nothing arrives within `wait` (and the connection stays open).
    pub fn expect_quiet(&mut self, wait: Duration) {
        match self.next(wait) {
            Event::Quiet => {}
            Event::Frame(f) => panic!("want silence, got {}", f.describe()),
            Event::Closed => panic!("want silence, the connection closed"),
        }
    }

    /// Reads frames (answers and acknowledgements) until a GOAWAY, which must carry `code`;
    /// then the close, with nothing after it. Returns the GOAWAY and the frames before it.
    pub fn expect_goaway(&mut self, code: u32) -> (Frame, Vec<Frame>) {
        let mut before = Vec::new();
        loop {
            let f = match self.next(FRAME_WAIT) {
                Event::Frame(f) => f,
                other => panic!("want GOAWAY {}, got {other:?} after {:?}", code_name(code),
                    before.iter().map(Frame::describe).collect::<Vec<_>>()),
            };
            if f.kind == GOAWAY {
                assert_eq!(f.stream, 0);
                assert_eq!(f.code(), code, "GOAWAY {} want {}", code_name(f.code()), code_name(code));
                self.expect_closed();
                return (f, before);
            }
            before.push(f);
        }
    }

    /// The server closes the connection with nothing more sent.
    pub fn expect_closed(&mut self) {
        match self.next(FRAME_WAIT) {
            Event::Closed => {}
            Event::Frame(f) => panic!("want the close, got {}", f.describe()),
            Event::Quiet => panic!("the server did not close within {FRAME_WAIT:?}"),
        }
    }

    /// Reads until RST_STREAM on `stream` (answers' frames before it, on any stream, are kept
    /// for [`Raw::answers`]; acknowledgements are passed over); returns its code.
    pub fn expect_rst(&mut self, stream: u32) -> u32 {
        loop {
            let f = self.frame();
            if f.kind == RST_STREAM && f.stream == stream {
                return f.code();
            }
            assert!(f.kind != GOAWAY && f.kind != RST_STREAM, "want RST_STREAM on {stream}, got {}", f.describe());
            self.keep(f);
        }
    }

    /// Keeps an answer's frame (a complete answer moves to the finished ones); acknowledgements
    /// and window updates are passed over, anything else is a failure.
    pub fn keep(&mut self, f: Frame) {
        match f.kind {
            HEADERS => {
                let status = f.field(":status").unwrap_or_else(|| panic!("no :status in {}", f.describe()));
                let a = Answer { status: status.parse().unwrap(), fields: f.fields.clone(), body: Vec::new(), data_frames: 0 };
                assert!(!self.done.contains_key(&f.stream), "HEADERS on finished stream {}", f.stream);
                assert!(self.partial.insert(f.stream, a).is_none(), "second HEADERS on stream {}", f.stream);
            }
            DATA => {
                let a = self.partial.get_mut(&f.stream).unwrap_or_else(|| panic!("DATA before HEADERS: {}", f.describe()));
                a.body.extend_from_slice(&f.payload);
                a.data_frames += 1;
            }
            SETTINGS | PING | WINDOW_UPDATE => return,
            _ => panic!("unexpected frame {}", f.describe()),
        }
        if f.has(END_STREAM) {
            let a = self.partial.remove(&f.stream).unwrap();
            self.done.insert(f.stream, a);
        }
    }

    /// The complete answers on these streams (each read to its END_STREAM), in any order.
    pub fn answers(&mut self, streams: &[u32]) -> HashMap<u32, Answer> {
        while !streams.iter().all(|id| self.done.contains_key(id)) {
            let f = self.frame();
            self.keep(f);
        }
        streams.iter().map(|id| (*id, self.done.remove(id).unwrap())).collect()
    }

    pub fn answer(&mut self, stream: u32) -> Answer {
        self.answers(&[stream]).remove(&stream).unwrap()
    }

    /// The answer to a GET on a fresh stream `stream`: the connection still works.
    pub fn assert_works(&mut self, stream: u32) {
        let req = self.get(stream, "/baseline2?a=40&b=2");
        self.send(&req);
        self.answer(stream).assert(200, "42");
    }

    /// Frames received for answers not complete yet (their HEADERS and DATA so far).
    pub fn partial(&self, stream: u32) -> Option<&Answer> {
        self.partial.get(&stream)
    }

    /// Reads and keeps frames until nothing comes for `wait`; returns the frames other than
    /// answers' (which are kept for [`Raw::answers`] and [`Raw::partial`]).
    pub fn drain(&mut self, wait: Duration) -> Vec<Frame> {
        let mut other = Vec::new();
        loop {
            match self.next(wait) {
                Event::Frame(f) if f.kind == HEADERS || f.kind == DATA => self.keep(f),
                Event::Frame(f) => other.push(f),
                Event::Quiet => return other,
                Event::Closed => panic!("the connection closed while draining"),
            }
        }
    }

    /// Reads until every one of `streams` has its answer's HEADERS (kept, as any DATA).
    pub fn wait_begun(&mut self, streams: &[u32]) {
        while !streams.iter().all(|id| self.partial.contains_key(id) || self.done.contains_key(id)) {
            let f = self.frame();
            self.keep(f);
        }
    }

    /// Whether the answer on `stream` is complete (and not yet taken).
    pub fn is_done(&self, stream: u32) -> bool {
        self.done.contains_key(&stream)
    }
}
