//! Connection tests on literal frames: the preface, every frame type's rules, each stream and
//! connection error with its code, flow control both ways, the defences, the stop, and the
//! output under any buffer size and any split of the input.

use super::frame::{self, Head, HEAD_LEN};
use super::*;

const DATE: &[u8; 29] = b"Sun, 06 Nov 1994 08:49:37 GMT";
const PREFACE: &[u8] = conn::PREFACE;

/// A frame as the client sends it.
fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut f = frame::head(payload.len(), kind, flags, stream).to_vec();
    f.extend_from_slice(payload);
    f
}

fn settings(pairs: &[(u16, u32)]) -> Vec<u8> {
    let mut p = Vec::new();
    for (id, v) in pairs {
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&v.to_be_bytes());
    }
    frame(frame::SETTINGS, 0, 0, &p)
}

fn start() -> Vec<u8> {
    let mut v = PREFACE.to_vec();
    v.extend(settings(&[]));
    v
}

/// A client: its HPACK encoder (the independent crate's) and the bytes it has sent.
struct Client {
    enc: ::hpack::Encoder<'static>,
}

impl Client {
    fn new() -> Self {
        Client { enc: ::hpack::Encoder::new() }
    }

    fn block(&mut self, fields: &[(&str, &str)]) -> Vec<u8> {
        self.enc.encode(fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())))
    }

    fn headers(&mut self, stream: u32, flags: u8, fields: &[(&str, &str)]) -> Vec<u8> {
        let b = self.block(fields);
        frame(frame::HEADERS, flags | frame::END_HEADERS, stream, &b)
    }

    fn get(&mut self, stream: u32, path: &str) -> Vec<u8> {
        self.headers(stream, frame::END_STREAM, &[(":method", "GET"), (":scheme", "http"), (":path", path), (":authority", "localhost")])
    }

    fn req(&mut self, stream: u32, method: &str, path: &str, end: bool) -> Vec<u8> {
        self.headers(stream, if end { frame::END_STREAM } else { 0 }, &[(":method", method), (":scheme", "http"), (":path", path)])
    }
}

fn data(stream: u32, end: bool, bytes: &[u8]) -> Vec<u8> {
    frame(frame::DATA, if end { frame::END_STREAM } else { 0 }, stream, bytes)
}

/// A frame we sent, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Got {
    Settings(Vec<(u16, u32)>),
    SettingsAck,
    Headers { stream: u32, end: bool, fields: Vec<(String, String)> },
    Data { stream: u32, end: bool, bytes: Vec<u8> },
    Rst { stream: u32, code: u32 },
    Ping(Vec<u8>),
    GoAway { last: u32, code: u32, debug: String },
    Window { stream: u32, increment: u32 },
}

struct Server {
    conn: Box<Conn>,
    limits: Limits,
    now: u32,
    /// Unconsumed input, kept at the front as the worker does.
    kept: Vec<u8>,
    out_size: usize,
    wire: Vec<u8>,
    decoder: ::hpack::Decoder<'static>,
    parsed: usize,
    done: bool,
}

impl Server {
    fn new() -> Self {
        Self::with(Limits::DEFAULT, 16 * 1024)
    }

    fn with(limits: Limits, out_size: usize) -> Self {
        let mut conn = Box::new(Conn::new());
        conn.reset(&limits);
        Server { conn, limits, now: 1000, kept: Vec::new(), out_size, wire: Vec::new(), decoder: ::hpack::Decoder::new(), parsed: 0, done: false }
    }

    /// Feeds bytes as one read; calls again while `stopped`, as the worker does.
    fn send(&mut self, bytes: &[u8]) {
        self.kept.extend_from_slice(bytes);
        loop {
            let mut out = vec![0u8; self.out_size];
            let cx = Cx { date: DATE, now: self.now, stopping: false, limits: &self.limits };
            let fed = self.conn.feed(&self.kept, &mut out, &cx);
            assert!(fed.consumed <= self.kept.len());
            assert!(fed.written <= out.len());
            self.wire.extend_from_slice(&out[..fed.written]);
            self.kept.drain(..fed.consumed);
            if fed.next == Next::Done {
                assert!(!fed.stopped);
                self.done = true;
            }
            if !fed.stopped {
                break;
            }
        }
    }

    fn flush(&mut self) {
        loop {
            let mut out = vec![0u8; self.out_size];
            let cx = Cx { date: DATE, now: self.now, stopping: false, limits: &self.limits };
            let n = self.conn.flush(&mut out, &cx);
            self.wire.extend_from_slice(&out[..n]);
            if !self.conn.wants_flush() {
                break;
            }
        }
    }

    fn goaway(&mut self) {
        let mut out = vec![0u8; self.out_size];
        let cx = Cx { date: DATE, now: self.now, stopping: false, limits: &self.limits };
        let n = self.conn.goaway(&mut out, &cx);
        self.wire.extend_from_slice(&out[..n]);
        self.flush();
    }

    /// The frames sent since the last call.
    fn frames(&mut self) -> Vec<Got> {
        let mut got = Vec::new();
        loop {
            let rest = &self.wire[self.parsed..];
            let Some(h) = Head::parse(rest) else { break };
            let Some(p) = rest.get(HEAD_LEN..HEAD_LEN + h.len) else { break };
            let p = p.to_vec();
            self.parsed += HEAD_LEN + h.len;
            got.push(match h.kind {
                frame::SETTINGS if h.has(frame::ACK) => Got::SettingsAck,
                frame::SETTINGS => Got::Settings(p.chunks(6).map(|c| (u16::from_be_bytes([c[0], c[1]]), frame::u32_at(c, 2))).collect()),
                frame::HEADERS => {
                    assert!(h.has(frame::END_HEADERS));
                    let fields = self.decoder.decode(&p).expect("our block decodes");
                    Got::Headers {
                        stream: h.stream,
                        end: h.has(frame::END_STREAM),
                        fields: fields.into_iter().map(|(n, v)| (String::from_utf8(n).unwrap(), String::from_utf8(v).unwrap())).collect(),
                    }
                }
                frame::DATA => Got::Data { stream: h.stream, end: h.has(frame::END_STREAM), bytes: p },
                frame::RST_STREAM => Got::Rst { stream: h.stream, code: frame::u32_at(&p, 0) },
                frame::PING => Got::Ping(p),
                frame::GOAWAY => Got::GoAway { last: frame::u32_at(&p, 0), code: frame::u32_at(&p, 4), debug: String::from_utf8_lossy(&p[8..]).into() },
                frame::WINDOW_UPDATE => Got::Window { stream: h.stream, increment: frame::u32_at(&p, 0) },
                k => panic!("unexpected frame type {k}"),
            });
        }
        got
    }

    /// Starts the connection and checks our preface and the ACK.
    fn open() -> Self {
        let mut s = Server::new();
        s.send(&start());
        assert_eq!(s.frames(), vec![Got::Settings(vec![(3, 128), (6, 8192)]), Got::SettingsAck]);
        s
    }

    fn expect_goaway(&mut self, code: u32) {
        let f = self.frames();
        match f.last() {
            Some(Got::GoAway { code: c, .. }) if *c == code => {}
            other => panic!("expected GOAWAY {code}, got {other:?} in {f:?}"),
        }
        assert!(self.done, "the connection reports Done after a connection error");
    }
}

/// The status and body of an answer on `stream` among `frames`.
fn answer(frames: &[Got], stream: u32) -> (String, Vec<u8>) {
    let mut status = String::new();
    let mut body = Vec::new();
    for f in frames {
        match f {
            Got::Headers { stream: s, fields, .. } if *s == stream => {
                status = fields.iter().find(|(n, _)| n == ":status").unwrap().1.clone();
            }
            Got::Data { stream: s, bytes, .. } if *s == stream => body.extend_from_slice(bytes),
            _ => {}
        }
    }
    (status, body)
}

fn field<'a>(frames: &'a [Got], stream: u32, name: &str) -> Option<&'a str> {
    frames.iter().find_map(|f| match f {
        Got::Headers { stream: s, fields, .. } if *s == stream => fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()),
        _ => None,
    })
}

#[test]
fn get_is_answered_with_the_headers_we_promise() {
    let mut s = Server::open();
    let mut c = Client::new();
    s.send(&c.get(1, "/baseline2?a=13&b=42"));
    let f = s.frames();
    assert_eq!(f.len(), 2, "{f:?}");
    match &f[0] {
        Got::Headers { stream: 1, end: false, fields } => {
            let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
            assert_eq!(names, [":status", "server", "date", "content-type", "content-length"]);
            assert_eq!(fields[0].1, "200");
            assert_eq!(fields[1].1, "mote");
            assert_eq!(fields[2].1.as_bytes(), DATE);
            assert_eq!(fields[3].1, "text/plain");
            assert_eq!(fields[4].1, "2");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(f[1], Got::Data { stream: 1, end: true, bytes: b"55".to_vec() });
    assert!(s.conn.is_idle());
    assert!(!s.done);
    // The second answer's header block indexes what repeats: a few bytes.
    let before = s.wire.len();
    s.send(&c.get(3, "/baseline2?a=1&b=1"));
    let f = s.frames();
    assert_eq!(answer(&f, 3), ("200".into(), b"2".to_vec()));
    let headers_len = s.wire.len() - before - (HEAD_LEN + 1);
    assert!(headers_len <= HEAD_LEN + 8, "{headers_len}");
}

#[test]
fn endpoints_through_the_router() {
    let mut s = Server::open();
    let mut c = Client::new();
    let mut input = Vec::new();
    input.extend(c.get(1, "/pipeline"));
    input.extend(c.get(3, "/"));
    input.extend(c.get(5, "/nope"));
    input.extend(c.req(7, "HEAD", "/baseline2?a=1&b=2", true));
    input.extend(c.req(9, "OPTIONS", "*", true));
    input.extend(c.req(11, "PATCH", "/", true));
    input.extend(c.req(13, "POST", "/baseline11?a=1", false));
    input.extend(data(13, false, b"2"));
    input.extend(data(13, true, b"0"));
    input.extend(c.req(15, "POST", "/pipeline", false));
    input.extend(data(15, true, b"x"));
    input.extend(c.req(17, "POST", "/baseline2", true));
    input.extend(c.get(19, "/ws"));
    s.send(&input);
    let f = s.frames();
    assert_eq!(answer(&f, 1), ("200".into(), b"ok".to_vec()));
    assert_eq!(answer(&f, 3), ("200".into(), b"ok".to_vec()));
    assert_eq!(answer(&f, 5), ("404".into(), b"Not Found\n".to_vec()));
    // HEAD: the GET's headers with END_STREAM, no DATA.
    assert_eq!(answer(&f, 7), ("200".into(), Vec::new()));
    assert_eq!(field(&f, 7, "content-length"), Some("1"));
    assert!(f.iter().any(|g| matches!(g, Got::Headers { stream: 7, end: true, .. })));
    assert!(!f.iter().any(|g| matches!(g, Got::Data { stream: 7, .. })));
    assert_eq!(answer(&f, 9), ("200".into(), Vec::new()));
    assert_eq!(field(&f, 9, "allow"), Some("GET, HEAD, POST, OPTIONS"));
    assert_eq!(answer(&f, 11), ("501".into(), b"Not Implemented\n".to_vec()));
    assert_eq!(answer(&f, 13), ("200".into(), b"21".to_vec()));
    assert_eq!(answer(&f, 15), ("405".into(), b"Method Not Allowed\n".to_vec()));
    assert_eq!(field(&f, 15, "allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(answer(&f, 17), ("400".into(), b"Bad Request\n".to_vec()));
    // No Upgrade header in HTTP/2.
    assert_eq!(answer(&f, 19).0, "426");
    assert_eq!(field(&f, 19, "upgrade"), None);
    assert!(s.conn.is_idle());
}

/// The same conversation gives the same bytes whatever the read sizes and the out size.
#[test]
fn any_split_and_any_out_size() {
    let mut c = Client::new();
    let mut input = start();
    input.extend(c.get(1, "/baseline2?a=1&b=2"));
    input.extend(frame(frame::PING, 0, 0, b"pingpong"));
    input.extend(c.req(3, "POST", "/baseline2?a=5", false));
    input.extend(data(3, false, b" 4"));
    input.extend(c.headers(3, frame::END_STREAM, &[("x-trailer", "t")]));
    input.extend(c.get(5, "/nope"));
    let mut whole = Server::new();
    whole.send(&input);
    let want = whole.wire.clone();
    assert!(want.len() > 150);
    let mut one = Server::new();
    one.send(&input);
    assert_eq!(one.wire, want);
    // Every split into two reads.
    for at in 0..=input.len() {
        let mut s = Server::new();
        s.send(&input[..at]);
        s.send(&input[at..]);
        assert_eq!(s.wire, want, "split at {at}");
    }
    // Byte by byte, with outs of every small size.
    for out_size in [1, 2, 3, 7, 9, 13, 64, 100] {
        let mut s = Server::with(Limits::DEFAULT, out_size);
        for b in &input {
            s.send(std::slice::from_ref(b));
        }
        s.flush();
        assert_eq!(s.wire, want, "out of {out_size}");
        let f = s.frames();
        assert_eq!(answer(&f, 3), ("200".into(), b"9".to_vec()));
    }
}

#[test]
fn many_streams_in_one_read_go_out_in_one_out() {
    let mut s = Server::open();
    let mut c = Client::new();
    let mut input = Vec::new();
    for i in 0..100u32 {
        input.extend(c.get(2 * i + 1, &format!("/baseline2?a={i}&b=1")));
    }
    let before = s.wire.len();
    s.kept.extend_from_slice(&input);
    let mut out = vec![0u8; 16 * 1024];
    let cx = Cx { date: DATE, now: 0, stopping: false, limits: &s.limits };
    let fed = s.conn.feed(&s.kept, &mut out, &cx);
    assert_eq!(fed.consumed, input.len());
    assert!(!fed.stopped);
    s.wire.extend_from_slice(&out[..fed.written]);
    assert!(s.wire.len() > before);
    let f = s.frames();
    for i in 0..100u32 {
        assert_eq!(answer(&f, 2 * i + 1), ("200".into(), (i + 1).to_string().into_bytes()));
    }
    // About 30 bytes an answer once the table holds the repeated fields.
    assert!(fed.written < 100 * 32, "{}", fed.written);
}

#[test]
fn wrong_preface_is_refused_as_soon_as_it_differs() {
    // An HTTP/1.1 request: the first byte differs.
    let mut s = Server::new();
    s.send(b"G");
    let f = s.frames();
    assert!(matches!(f[0], Got::Settings(_)));
    assert!(matches!(f[1], Got::GoAway { last: 0, code: frame::PROTOCOL_ERROR, .. }), "{f:?}");
    assert!(s.done);
    // Byte by byte: nothing until the byte that differs.
    let mut s = Server::new();
    let bad = b"PRI * HTTP/2.0\r\n\r\nSX\r\n\r\n";
    for (i, b) in bad.iter().enumerate() {
        s.send(std::slice::from_ref(b));
        let f = s.frames();
        if i < 19 {
            assert!(!s.done && f.iter().all(|g| matches!(g, Got::Settings(_))), "byte {i}: {f:?}");
        } else {
            assert!(matches!(f.last(), Some(Got::GoAway { code: frame::PROTOCOL_ERROR, .. })));
            assert!(s.done);
            break;
        }
    }
    // The right preface, byte by byte, then anything but SETTINGS.
    let mut s = Server::new();
    for b in PREFACE {
        s.send(std::slice::from_ref(b));
    }
    assert!(!s.done);
    s.send(&frame(frame::PING, 0, 0, b"12345678")[..4]);
    s.expect_goaway(frame::PROTOCOL_ERROR);
    // A SETTINGS ACK first is no preface either.
    let mut s = Server::new();
    let mut v = PREFACE.to_vec();
    v.extend(frame(frame::SETTINGS, frame::ACK, 0, b""));
    s.send(&v);
    s.expect_goaway(frame::PROTOCOL_ERROR);
    // After an error, input is swallowed.
    s.send(b"more bytes");
    assert!(s.frames().is_empty());
}

/// A connection error from `frames` sent after a good start, with its code and section.
fn conn_error(frames: &[u8], code: u32, section: &str) {
    let mut s = Server::open();
    s.send(frames);
    let f = s.frames();
    match f.last() {
        Some(Got::GoAway { code: c, debug, .. }) => {
            assert_eq!((*c, debug.as_str()), (code, section), "{f:?}");
        }
        other => panic!("expected GOAWAY {code} ({section}), got {other:?}"),
    }
    assert!(s.done);
}

#[test]
fn frame_length_rules() {
    use frame::*;
    conn_error(&frame(SETTINGS, 0, 0, &[0; 5]), FRAME_SIZE_ERROR, "RFC9113 6");
    conn_error(&frame(SETTINGS, ACK, 0, &[0; 6]), FRAME_SIZE_ERROR, "RFC9113 6");
    conn_error(&frame(PING, 0, 0, &[0; 7]), FRAME_SIZE_ERROR, "RFC9113 6");
    conn_error(&frame(PING, 0, 0, &[0; 9]), FRAME_SIZE_ERROR, "RFC9113 6");
    conn_error(&frame(WINDOW_UPDATE, 0, 0, &[0, 0, 1]), FRAME_SIZE_ERROR, "RFC9113 6");
    conn_error(&frame(WINDOW_UPDATE, 0, 0, &[0, 0, 0, 1, 0]), FRAME_SIZE_ERROR, "RFC9113 6");
    conn_error(&frame(GOAWAY, 0, 0, &[0; 7]), FRAME_SIZE_ERROR, "RFC9113 6");
    let mut c = Client::new();
    let mut v = c.req(1, "POST", "/", false);
    v.extend(frame(RST_STREAM, 0, 1, &[0; 3]));
    conn_error(&v, FRAME_SIZE_ERROR, "RFC9113 6");
    // Past our SETTINGS_MAX_FRAME_SIZE, judged from the header alone.
    let mut big = frame::head(MAX_PAYLOAD + 1, DATA, 0, 1).to_vec();
    big.push(0);
    conn_error(&big, FRAME_SIZE_ERROR, "RFC9113 4.2");
    // Exactly the maximum is fine (an unknown type, ignored).
    let mut s = Server::open();
    s.send(&frame(0x42, 0, 0, &vec![7; MAX_PAYLOAD]));
    assert!(s.frames().is_empty() && !s.done);
    // PRIORITY of the wrong length: a stream error.
    let mut s = Server::open();
    s.send(&frame(PRIORITY, 0, 3, &[0; 4]));
    assert_eq!(s.frames(), vec![Got::Rst { stream: 3, code: FRAME_SIZE_ERROR }]);
    assert!(!s.done);
    // HEADERS with PRIORITY but too short for its fields.
    conn_error(&frame(HEADERS, END_HEADERS | PRIORITY_FLAG, 1, &[0; 3]), FRAME_SIZE_ERROR, "RFC9113 6");
}

#[test]
fn stream_identifier_rules() {
    use frame::*;
    let mut c = Client::new();
    conn_error(&c.headers(0, END_STREAM, &[(":method", "GET")]), PROTOCOL_ERROR, "RFC9113 6");
    let mut c = Client::new();
    conn_error(&c.get(2, "/"), PROTOCOL_ERROR, "RFC9113 5.1.1");
    // Lower than one already used, and never opened.
    let mut c = Client::new();
    let mut v = c.get(5, "/");
    v.extend(c.get(3, "/"));
    conn_error(&v, PROTOCOL_ERROR, "RFC9113 5.1.1");
    // Reused after END_STREAM: closed.
    let mut c = Client::new();
    let mut v = c.get(1, "/");
    v.extend(c.get(1, "/"));
    conn_error(&v, STREAM_CLOSED, "RFC9113 5.1");
    let mut c = Client::new();
    let mut v = c.get(1, "/");
    v.extend(data(1, true, b"x"));
    conn_error(&v, STREAM_CLOSED, "RFC9113 5.1");
    conn_error(&data(1, true, b"x"), PROTOCOL_ERROR, "RFC9113 5.1");
    conn_error(&data(0, true, b"x"), PROTOCOL_ERROR, "RFC9113 6");
    conn_error(&frame(WINDOW_UPDATE, 0, 1, &1u32.to_be_bytes()), PROTOCOL_ERROR, "RFC9113 5.1");
    conn_error(&frame(RST_STREAM, 0, 1, &0u32.to_be_bytes()), PROTOCOL_ERROR, "RFC9113 5.1");
    conn_error(&frame(RST_STREAM, 0, 0, &0u32.to_be_bytes()), PROTOCOL_ERROR, "RFC9113 6");
    conn_error(&frame(SETTINGS, 0, 1, &[]), PROTOCOL_ERROR, "RFC9113 6");
    conn_error(&frame(PING, 0, 1, &[0; 8]), PROTOCOL_ERROR, "RFC9113 6");
    conn_error(&frame(GOAWAY, 0, 1, &[0; 8]), PROTOCOL_ERROR, "RFC9113 6");
    conn_error(&frame(PRIORITY, 0, 0, &[0; 5]), PROTOCOL_ERROR, "RFC9113 6");
    conn_error(&frame(PUSH_PROMISE, END_HEADERS, 1, &[0, 0, 0, 2]), PROTOCOL_ERROR, "RFC9113 8.4");
    conn_error(&frame(CONTINUATION, END_HEADERS, 1, &[0x82]), PROTOCOL_ERROR, "RFC9113 6.10");
    // A header block interrupted by another frame.
    let mut c = Client::new();
    let b = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/")]);
    let mut v = frame(HEADERS, END_STREAM, 1, &b[..2]);
    v.extend(frame(PING, 0, 0, &[0; 8]));
    conn_error(&v, PROTOCOL_ERROR, "RFC9113 6.10");
    let mut v = frame(HEADERS, END_STREAM, 1, &b[..2]);
    v.extend(frame(CONTINUATION, END_HEADERS, 3, &b[2..]));
    conn_error(&v, PROTOCOL_ERROR, "RFC9113 6.10");
    // WINDOW_UPDATE and RST_STREAM on a closed stream are ignored; PRIORITY on an idle one too.
    let mut s = Server::open();
    let mut c = Client::new();
    s.send(&c.get(1, "/"));
    s.frames();
    s.send(&frame(WINDOW_UPDATE, 0, 1, &5u32.to_be_bytes()));
    s.send(&frame(RST_STREAM, 0, 1, &8u32.to_be_bytes()));
    s.send(&frame(PRIORITY, 0, 9, &[0, 0, 0, 0, 16]));
    assert!(s.frames().is_empty() && !s.done);
}

#[test]
fn padding_rules() {
    use frame::*;
    let mut c = Client::new();
    // DATA padded: the pad length byte plus 3 bytes of padding around "12".
    let mut s = Server::open();
    let mut v = c.req(1, "POST", "/baseline11?a=1", false);
    v.extend(frame(DATA, PADDED | END_STREAM, 1, &[3, b'1', b'2', 0, 0, 0]));
    s.send(&v);
    assert_eq!(answer(&s.frames(), 1), ("200".into(), b"13".to_vec()));
    // HEADERS padded, with priority.
    let b = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/")]);
    let mut p = vec![2, 0, 0, 0, 1, 16];
    p.extend_from_slice(&b);
    p.extend_from_slice(&[0, 0]);
    s.send(&frame(HEADERS, PADDED | PRIORITY_FLAG | END_HEADERS | END_STREAM, 3, &p));
    assert_eq!(answer(&s.frames(), 3), ("200".into(), b"ok".to_vec()));
    // Padding as long as the payload.
    let mut c = Client::new();
    let mut v = c.req(1, "POST", "/", false);
    v.extend(frame(DATA, PADDED, 1, &[2, 0]));
    conn_error(&v, PROTOCOL_ERROR, "RFC9113 6.1");
    conn_error(&frame(DATA, PADDED, 1, &[]), PROTOCOL_ERROR, "RFC9113 6.1");
    conn_error(&frame(HEADERS, PADDED | END_HEADERS, 1, &[5, 0x82]), PROTOCOL_ERROR, "RFC9113 6.1");
}

#[test]
fn settings_rules() {
    use frame::*;
    conn_error(&settings(&[(SETTINGS_ENABLE_PUSH, 2)]), PROTOCOL_ERROR, "RFC9113 6.5.2");
    conn_error(&settings(&[(SETTINGS_INITIAL_WINDOW_SIZE, 1 << 31)]), FLOW_CONTROL_ERROR, "RFC9113 6.9.2");
    conn_error(&settings(&[(SETTINGS_MAX_FRAME_SIZE, 16_383)]), PROTOCOL_ERROR, "RFC9113 6.5.2");
    conn_error(&settings(&[(SETTINGS_MAX_FRAME_SIZE, 1 << 24)]), PROTOCOL_ERROR, "RFC9113 6.5.2");
    let mut s = Server::open();
    s.send(&settings(&[(SETTINGS_ENABLE_PUSH, 1), (SETTINGS_MAX_FRAME_SIZE, 1 << 20), (0x99, 7), (SETTINGS_MAX_CONCURRENT_STREAMS, 0)]));
    assert_eq!(s.frames(), vec![Got::SettingsAck]);
    // A SETTINGS ACK (for ours) needs no answer.
    s.send(&frame(SETTINGS, ACK, 0, &[]));
    assert!(s.frames().is_empty());
}

#[test]
fn ping_and_goaway_from_the_client() {
    let mut s = Server::open();
    s.send(&frame(frame::PING, 0, 0, b"abcdefgh"));
    assert_eq!(s.frames(), vec![Got::Ping(b"abcdefgh".to_vec())]);
    s.send(&frame(frame::PING, frame::ACK, 0, b"abcdefgh"));
    assert!(s.frames().is_empty());
    // The client goes away while a request is open: it is answered, then we are done.
    let mut c = Client::new();
    s.send(&c.req(1, "POST", "/", false));
    s.send(&frame(frame::GOAWAY, 0, 0, &[0, 0, 0, 0, 0, 0, 0, 0]));
    assert!(!s.done);
    s.send(&data(1, true, b"x"));
    assert_eq!(answer(&s.frames(), 1).0, "200");
    assert!(s.done);
}

#[test]
fn unknown_frames_and_priorities_are_ignored() {
    let mut s = Server::open();
    let mut c = Client::new();
    s.send(&frame(0xfa, 0xff, 0, b"whatever"));
    s.send(&frame(0xfa, 0, 7, b""));
    s.send(&frame(frame::PRIORITY, 0, 1, &[0, 0, 0, 3, 200]));
    s.send(&c.get(1, "/"));
    assert_eq!(answer(&s.frames(), 1).0, "200");
    // Depending on itself: a stream error, by PRIORITY or by HEADERS.
    s.send(&frame(frame::PRIORITY, 0, 3, &[0, 0, 0, 3, 200]));
    assert_eq!(s.frames(), vec![Got::Rst { stream: 3, code: frame::PROTOCOL_ERROR }]);
    let b = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/")]);
    let mut p = vec![0, 0, 0, 5, 16];
    p.extend_from_slice(&b);
    s.send(&frame(frame::HEADERS, frame::PRIORITY_FLAG | frame::END_HEADERS | frame::END_STREAM, 5, &p));
    assert_eq!(s.frames(), vec![Got::Rst { stream: 5, code: frame::PROTOCOL_ERROR }]);
    assert!(!s.done);
}

#[test]
fn malformed_requests_reset_the_stream_only() {
    let mut s = Server::open();
    let mut c = Client::new();
    let bad: &[&[(&str, &str)]] = &[
        &[(":method", "GET"), (":path", "/")],
        &[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("connection", "close")],
        &[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("te", "gzip")],
        &[(":method", "GET"), (":scheme", "http"), (":path", "/"), (":path", "/")],
        &[(":method", "GET"), (":scheme", "http"), ("x", "1"), (":path", "/")],
        &[(":method", "GET"), (":scheme", "http"), (":path", "/a b")],
        &[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("Upper", "x")],
        &[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("x", "a\nb")],
        &[(":method", "GET"), (":scheme", "http"), (":path", "/"), (":status", "200")],
    ];
    let mut id = 1;
    for fields in bad {
        s.send(&c.headers(id, frame::END_STREAM, fields));
        assert_eq!(s.frames(), vec![Got::Rst { stream: id, code: frame::PROTOCOL_ERROR }], "{fields:?}");
        id += 2;
    }
    // content-length against the body: too much, too little, and non-zero with no body.
    let cl = [(":method", "POST"), (":scheme", "http"), (":path", "/"), ("content-length", "2")];
    s.send(&c.headers(id, 0, &cl));
    s.send(&data(id, false, b"abc"));
    assert_eq!(s.frames(), vec![Got::Rst { stream: id, code: frame::PROTOCOL_ERROR }]);
    // Data in flight on the stream we reset is ignored.
    s.send(&data(id, true, b"more"));
    assert!(s.frames().is_empty());
    id += 2;
    s.send(&c.headers(id, 0, &cl));
    s.send(&data(id, true, b"a"));
    assert_eq!(s.frames(), vec![Got::Rst { stream: id, code: frame::PROTOCOL_ERROR }]);
    id += 2;
    s.send(&c.headers(id, frame::END_STREAM, &cl));
    assert_eq!(s.frames(), vec![Got::Rst { stream: id, code: frame::PROTOCOL_ERROR }]);
    id += 2;
    // Trailers that do not end the stream, or carry a pseudo-header.
    s.send(&c.headers(id, 0, &cl[..3]));
    s.send(&c.headers(id, 0, &[("x-t", "1")]));
    assert_eq!(s.frames(), vec![Got::Rst { stream: id, code: frame::PROTOCOL_ERROR }]);
    id += 2;
    s.send(&c.headers(id, 0, &cl[..3]));
    s.send(&c.headers(id, frame::END_STREAM, &[(":path", "/")]));
    assert_eq!(s.frames(), vec![Got::Rst { stream: id, code: frame::PROTOCOL_ERROR }]);
    id += 2;
    // The connection is fine.
    s.send(&c.get(id, "/baseline2?a=2&b=3"));
    assert_eq!(answer(&s.frames(), id), ("200".into(), b"5".to_vec()));
    assert!(!s.done);
}

#[test]
fn compression_errors_end_the_connection() {
    use frame::*;
    conn_error(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0x80]), COMPRESSION_ERROR, "RFC9113 4.3");
    conn_error(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0x82, 0x3f, 0xe1, 0x1f]), COMPRESSION_ERROR, "RFC9113 4.3");
    conn_error(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0x82, 0x44, 0x81, 0xff]), COMPRESSION_ERROR, "RFC9113 4.3");
    // Even on a stream that would be refused anyway, and with a bad value nobody reads.
    conn_error(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0x00, 0x01, b'x', 0x81, 0xff]), COMPRESSION_ERROR, "RFC9113 4.3");
}

#[test]
fn status_answers_without_routing() {
    let mut s = Server::open();
    let mut c = Client::new();
    let long = format!("/{}", "p".repeat(3000));
    s.send(&c.get(1, &long));
    assert_eq!(answer(&s.frames(), 1), ("414".into(), b"URI Too Long\n".to_vec()));
    s.send(&c.headers(3, frame::END_STREAM, &[(":method", "CONNECT"), (":authority", "x:443")]));
    assert_eq!(answer(&s.frames(), 3).0, "501");
}

#[test]
fn a_body_too_large_is_answered_413_and_the_stream_reset() {
    let limits = Limits { max_body: 10, ..Limits::DEFAULT };
    let mut s = Server::with(limits, 16 * 1024);
    s.send(&start());
    s.frames();
    let mut c = Client::new();
    // Announced by content-length.
    s.send(&c.headers(1, 0, &[(":method", "POST"), (":scheme", "http"), (":path", "/"), ("content-length", "11")]));
    let f = s.frames();
    assert_eq!(answer(&f, 1), ("413".into(), b"Content Too Large\n".to_vec()));
    assert_eq!(f.last(), Some(&Got::Rst { stream: 1, code: frame::NO_ERROR }));
    s.send(&data(1, true, b"01234567890"));
    assert!(s.frames().is_empty());
    // Found out from the DATA.
    s.send(&c.req(3, "POST", "/baseline11", false));
    s.send(&data(3, false, b"123456"));
    s.send(&data(3, false, b"789012"));
    let f = s.frames();
    assert_eq!(answer(&f, 3).0, "413");
    assert_eq!(f.last(), Some(&Got::Rst { stream: 3, code: frame::NO_ERROR }));
    // Exactly the limit is fine; past it with END_STREAM needs no reset.
    s.send(&c.req(5, "POST", "/baseline11", false));
    s.send(&data(5, true, b"0000000007"));
    assert_eq!(answer(&s.frames(), 5), ("200".into(), b"7".to_vec()));
    s.send(&c.req(7, "POST", "/", false));
    s.send(&data(7, true, b"00000000007"));
    let f = s.frames();
    assert_eq!(answer(&f, 7).0, "413");
    assert!(!f.iter().any(|g| matches!(g, Got::Rst { .. })));
}

#[test]
fn flow_control_holds_answers_until_the_window_opens() {
    use frame::*;
    let mut s = Server::new();
    let mut v = PREFACE.to_vec();
    v.extend(settings(&[(SETTINGS_INITIAL_WINDOW_SIZE, 0)]));
    s.send(&v);
    s.frames();
    let mut c = Client::new();
    s.send(&c.get(1, "/baseline2?a=100&b=23"));
    let f = s.frames();
    assert!(matches!(f.as_slice(), [Got::Headers { stream: 1, end: false, .. }]), "{f:?}");
    assert!(s.conn.is_blocked());
    assert!(!s.conn.is_idle());
    assert!(!s.conn.wants_flush());
    // One byte of window: one byte of body.
    s.send(&frame(WINDOW_UPDATE, 0, 1, &1u32.to_be_bytes()));
    assert_eq!(s.frames(), vec![Got::Data { stream: 1, end: false, bytes: b"1".to_vec() }]);
    assert!(s.conn.is_blocked());
    // The rest once the stream has room.
    s.send(&frame(WINDOW_UPDATE, 0, 1, &100u32.to_be_bytes()));
    assert_eq!(s.frames(), vec![Got::Data { stream: 1, end: true, bytes: b"23".to_vec() }]);
    assert!(!s.conn.is_blocked());
    assert!(s.conn.is_idle());
    // A SETTINGS change opens every waiting stream's window.
    s.send(&c.get(3, "/"));
    s.send(&c.get(5, "/"));
    assert_eq!(s.frames().len(), 2);
    s.send(&settings(&[(SETTINGS_INITIAL_WINDOW_SIZE, 1)]));
    let f = s.frames();
    assert_eq!(f[0], Got::SettingsAck);
    assert_eq!(f[1..], [Got::Data { stream: 3, end: false, bytes: b"o".to_vec() }, Got::Data { stream: 5, end: false, bytes: b"o".to_vec() }]);
    // ... and can close it again, below zero.
    s.send(&settings(&[(SETTINGS_INITIAL_WINDOW_SIZE, 0)]));
    s.send(&frame(WINDOW_UPDATE, 0, 3, &1u32.to_be_bytes()));
    assert_eq!(s.frames(), vec![Got::SettingsAck]);
    s.send(&frame(WINDOW_UPDATE, 0, 3, &1u32.to_be_bytes()));
    assert_eq!(s.frames(), vec![Got::Data { stream: 3, end: true, bytes: b"k".to_vec() }]);
    // The connection window holds answers too.
    let mut s = Server::open();
    let mut c = Client::new();
    let mut big = Vec::new();
    // 65535 bytes of window; answers of 2 bytes: exhaust it with a few large-window steps.
    s.send(&settings(&[(SETTINGS_INITIAL_WINDOW_SIZE, 1 << 30)]));
    s.frames();
    s.conn_send_window_for_test(1);
    big.extend(c.get(1, "/"));
    s.send(&big);
    let f = s.frames();
    assert_eq!(f[1], Got::Data { stream: 1, end: false, bytes: b"o".to_vec() });
    assert!(s.conn.is_blocked());
    s.send(&frame(WINDOW_UPDATE, 0, 0, &1u32.to_be_bytes()));
    assert_eq!(s.frames(), vec![Got::Data { stream: 1, end: true, bytes: b"k".to_vec() }]);
}

impl Server {
    fn conn_send_window_for_test(&mut self, w: i64) {
        self.conn.set_send_window_for_test(w);
    }
}

#[test]
fn window_update_rules() {
    use frame::*;
    conn_error(&frame(WINDOW_UPDATE, 0, 0, &0u32.to_be_bytes()), PROTOCOL_ERROR, "RFC9113 6.9");
    conn_error(&frame(WINDOW_UPDATE, 0, 0, &0x7fff_ffffu32.to_be_bytes()), FLOW_CONTROL_ERROR, "RFC9113 6.9.1");
    let mut s = Server::open();
    let mut c = Client::new();
    s.send(&c.req(1, "POST", "/", false));
    s.send(&frame(WINDOW_UPDATE, 0, 1, &0u32.to_be_bytes()));
    assert_eq!(s.frames(), vec![Got::Rst { stream: 1, code: PROTOCOL_ERROR }]);
    s.send(&c.req(3, "POST", "/", false));
    s.send(&frame(WINDOW_UPDATE, 0, 3, &0x7fff_ffffu32.to_be_bytes()));
    assert_eq!(s.frames(), vec![Got::Rst { stream: 3, code: FLOW_CONTROL_ERROR }]);
    // A window change that overflows an open stream's window.
    let mut c = Client::new();
    let mut v = c.req(1, "POST", "/", false);
    v.extend(frame(WINDOW_UPDATE, 0, 1, &0x7fff_0000u32.to_be_bytes()));
    v.extend(settings(&[(SETTINGS_INITIAL_WINDOW_SIZE, 0x7fff_ffff)]));
    conn_error(&v, FLOW_CONTROL_ERROR, "RFC9113 6.9.2");
}

#[test]
fn our_receive_windows_are_enforced_and_given_back() {
    use frame::*;
    let limits = Limits { max_body: 1 << 20, ..Limits::DEFAULT };
    let mut s = Server::with(limits, 16 * 1024);
    s.send(&start());
    s.frames();
    let mut c = Client::new();
    s.send(&c.req(1, "POST", "/", false));
    // 16384 * 2 = 32768: half the window, given back for the connection and the stream.
    s.send(&data(1, false, &[b'x'; 16_384]));
    assert!(s.frames().is_empty());
    s.send(&data(1, false, &[b'x'; 16_384]));
    assert_eq!(s.frames(), vec![Got::Window { stream: 1, increment: 32_768 }, Got::Window { stream: 0, increment: 32_768 }]);
    s.send(&data(1, true, b""));
    assert_eq!(answer(&s.frames(), 1).0, "200");
    // Past the window we gave (which replenishing keeps above a frame's size for a client that
    // keeps to it): FLOW_CONTROL_ERROR, for the connection or the stream.
    let mut s = Server::open();
    s.conn.set_recv_window_for_test(10);
    s.send(&c.req(3, "POST", "/", false));
    s.send(&data(3, false, &[b'y'; 11]));
    s.expect_goaway(FLOW_CONTROL_ERROR);
    let mut s = Server::open();
    let mut c = Client::new();
    s.send(&c.req(1, "POST", "/", false));
    s.conn.set_stream_recv_window_for_test(0, 10);
    s.send(&data(1, false, &[b'y'; 11]));
    s.expect_goaway(FLOW_CONTROL_ERROR);
}

#[test]
fn header_blocks_over_continuation_frames() {
    use frame::*;
    let mut s = Server::open();
    let mut c = Client::new();
    let b = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/baseline2?a=4&b=5"), ("x-pad", &"p".repeat(300))]);
    // One byte per frame, END_STREAM on the HEADERS frame.
    let mut v = frame(HEADERS, END_STREAM, 1, &b[..1]);
    for (i, byte) in b[1..].iter().enumerate() {
        let last = i == b.len() - 2;
        v.extend(frame(CONTINUATION, if last { END_HEADERS } else { 0 }, 1, std::slice::from_ref(byte)));
    }
    // Fed byte by byte too.
    for byte in &v {
        s.send(std::slice::from_ref(byte));
    }
    assert_eq!(answer(&s.frames(), 1), ("200".into(), b"9".to_vec()));
    assert!(s.kept.is_empty());
}

#[test]
fn continuation_flood_is_a_connection_error() {
    use frame::*;
    // Empty CONTINUATION frames without end: refused once their frames pass what we keep.
    let mut s = Server::open();
    let mut c = Client::new();
    let b = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/")]);
    s.send(&frame(HEADERS, END_STREAM, 1, &b));
    let mut n = 0;
    while !s.done {
        s.send(&frame(CONTINUATION, 0, 1, b""));
        n += 1;
        assert!(n < 2000);
        assert!(s.kept.len() <= conn::CHAIN_MAX);
    }
    s.expect_goaway(ENHANCE_YOUR_CALM);
    // Fragments past the header-list limit.
    let mut s = Server::open();
    s.send(&frame(HEADERS, END_STREAM, 1, &b));
    assert_eq!(b.len(), 3);
    for _ in 0..7 {
        s.send(&frame(CONTINUATION, 0, 1, &[0x82; 1024]));
    }
    assert!(!s.done);
    s.send(&frame(CONTINUATION, 0, 1, &[0x82; 1024]));
    s.expect_goaway(ENHANCE_YOUR_CALM);
}

#[test]
fn an_hpack_bomb_gets_431_and_the_connection_goes_on() {
    let mut s = Server::open();
    // One 4000-byte entry, then a block that references it 1000 times: 4 MB decoded from 1 KB.
    let mut block = vec![0x40, 0x01, b'x'];
    let mut c = [0u8; 8];
    let mut cur = cursor::Cursor::new(&mut c);
    cur.int(0, 7, 4000);
    block.extend_from_slice(cur.written());
    block.extend(vec![b'v'; 4000]);
    let mut get = vec![0x82, 0x86, 0x84];
    get.extend(block);
    s.send(&frame(frame::HEADERS, frame::END_HEADERS | frame::END_STREAM, 1, &get));
    assert_eq!(answer(&s.frames(), 1).0, "200");
    let mut bomb = vec![0x82, 0x86, 0x84];
    bomb.extend(vec![0xbe; 1000]);
    s.send(&frame(frame::HEADERS, frame::END_HEADERS | frame::END_STREAM, 3, &bomb));
    assert_eq!(answer(&s.frames(), 3), ("431".into(), b"Request Header Fields Too Large\n".to_vec()));
    // The table is still in step: a request using it decodes.
    let mut ok = vec![0x82, 0x86, 0x84];
    ok.extend([0x40, 0x01, b'y', 0x01, b'1', 0xbe]);
    s.send(&frame(frame::HEADERS, frame::END_HEADERS | frame::END_STREAM, 5, &ok));
    assert_eq!(answer(&s.frames(), 5).0, "200");
    assert!(!s.done);
}

/// Frames from `make` in one second: the cap lets `cap` through (`already` were sent by the
/// start), the next second as many again, then one more is refused.
fn flood(make: &dyn Fn(u32) -> Vec<u8>, cap: u32, already: u32, code_section: &str) {
    let mut s = Server::open();
    for i in 0..cap - already {
        s.send(&make(i));
        assert!(!s.done, "frame {i} of {cap}");
    }
    // A new second starts afresh.
    s.now += 1;
    for i in 0..cap {
        s.send(&make(cap + i));
        assert!(!s.done);
    }
    s.send(&make(2 * cap));
    let f = s.frames();
    match f.last() {
        Some(Got::GoAway { code, debug, .. }) => assert_eq!((*code, debug.as_str()), (frame::ENHANCE_YOUR_CALM, code_section)),
        other => panic!("{other:?}"),
    }
    assert!(s.done);
}

#[test]
fn rapid_reset_is_capped() {
    // Each stream opened and reset at once (CVE-2023-44487).
    let c = std::cell::RefCell::new(Client::new());
    flood(&|i| {
        let id = 2 * i + 1;
        let mut v = c.borrow_mut().req(id, "POST", "/", false);
        v.extend(frame(frame::RST_STREAM, 0, id, &frame::CANCEL.to_be_bytes()));
        v
    }, Limits::DEFAULT.resets_per_sec, 0, "RFC9113 10.5");
}

#[test]
fn settings_ping_and_empty_data_floods_are_capped() {
    flood(&|_| settings(&[]), Limits::DEFAULT.settings_per_sec, 1, "RFC9113 10.5");
    flood(&|_| frame(frame::PING, 0, 0, &[0; 8]), Limits::DEFAULT.pings_per_sec, 0, "RFC9113 10.5");
    let c = std::cell::RefCell::new(Client::new());
    flood(&|i| {
        let mut v = if i == 0 { c.borrow_mut().req(1, "POST", "/", false) } else { Vec::new() };
        v.extend(data(1, false, b""));
        v
    }, Limits::DEFAULT.empty_frames_per_sec, 0, "RFC9113 10.5");
}

#[test]
fn concurrency_limits_refuse_streams() {
    use frame::*;
    // Bodies in progress: past the slots, REFUSED_STREAM.
    let mut s = Server::open();
    let mut c = Client::new();
    for i in 0..stream::BODY_SLOTS as u32 {
        s.send(&c.req(2 * i + 1, "POST", "/", false));
    }
    assert!(s.frames().is_empty());
    let next = 2 * stream::BODY_SLOTS as u32 + 1;
    s.send(&c.req(next, "POST", "/", false));
    assert_eq!(s.frames(), vec![Got::Rst { stream: next, code: REFUSED_STREAM }]);
    // GETs are still answered, and a finished body frees its slot.
    s.send(&c.get(next + 2, "/"));
    assert_eq!(answer(&s.frames(), next + 2).0, "200");
    s.send(&data(1, true, b""));
    s.send(&c.req(next + 4, "POST", "/", false));
    s.send(&data(next + 4, true, b""));
    let f = s.frames();
    assert_eq!(answer(&f, 1).0, "200");
    assert_eq!(answer(&f, next + 4).0, "200");
    // Answers held by a closed window: 128 kept, then REFUSED_STREAM.
    let mut s = Server::new();
    let mut v = PREFACE.to_vec();
    v.extend(settings(&[(SETTINGS_INITIAL_WINDOW_SIZE, 0)]));
    s.send(&v);
    let mut c = Client::new();
    for i in 0..stream::MAX_STREAMS as u32 {
        s.send(&c.get(2 * i + 1, "/"));
    }
    s.frames();
    let id = 2 * stream::MAX_STREAMS as u32 + 1;
    s.send(&c.get(id, "/"));
    assert_eq!(s.frames(), vec![Got::Rst { stream: id, code: REFUSED_STREAM }]);
    // Even one that needs no entry: the limit counts the streams open at once.
    s.send(&c.req(id + 2, "HEAD", "/", true));
    assert_eq!(s.frames(), vec![Got::Rst { stream: id + 2, code: REFUSED_STREAM }]);
    // The client resets one: room again.
    s.send(&frame(RST_STREAM, 0, 1, &CANCEL.to_be_bytes()));
    s.send(&c.get(id + 4, "/"));
    let f = s.frames();
    assert!(matches!(f.as_slice(), [Got::Headers { .. }]), "{f:?}");
}

#[test]
fn stop_finishes_open_streams_then_is_done() {
    let mut s = Server::open();
    let mut c = Client::new();
    s.send(&c.req(1, "POST", "/baseline11?a=1", false));
    s.send(&c.get(3, "/"));
    s.frames();
    s.goaway();
    assert_eq!(s.frames(), vec![Got::GoAway { last: 3, code: frame::NO_ERROR, debug: String::new() }]);
    assert!(!s.conn.is_done());
    // A new stream after the GOAWAY is ignored (its block still decoded).
    s.send(&c.get(5, "/"));
    assert!(s.frames().is_empty());
    s.send(&data(5, true, b"x"));
    assert!(s.frames().is_empty());
    // The open one finishes; then done.
    s.send(&data(1, true, b"1"));
    assert_eq!(answer(&s.frames(), 1), ("200".into(), b"2".to_vec()));
    assert!(s.done);
    assert!(s.conn.is_done());
    // Stopping an idle connection: GOAWAY and done at once, by goaway() or by cx.stopping.
    let mut s = Server::open();
    s.goaway();
    assert!(s.conn.is_done());
    let mut s = Server::open();
    let mut out = vec![0u8; 1024];
    let cx = Cx { date: DATE, now: 0, stopping: true, limits: &s.limits };
    let fed = s.conn.feed(&[], &mut out, &cx);
    assert_eq!(fed.next, Next::Done);
    s.wire.extend_from_slice(&out[..fed.written]);
    assert_eq!(s.frames(), vec![Got::GoAway { last: 0, code: frame::NO_ERROR, debug: String::new() }]);
}

#[test]
fn reset_makes_a_fresh_connection() {
    let mut s = Server::open();
    let mut c = Client::new();
    s.send(&c.req(1, "POST", "/", false));
    s.send(&c.get(3, "/"));
    let limits = s.limits;
    s.conn.reset(&limits);
    s.wire.clear();
    s.parsed = 0;
    s.decoder = ::hpack::Decoder::new();
    s.kept.clear();
    s.done = false;
    s.send(&start());
    assert_eq!(s.frames(), vec![Got::Settings(vec![(3, 128), (6, 8192)]), Got::SettingsAck]);
    let mut c = Client::new();
    s.send(&c.get(1, "/"));
    assert_eq!(answer(&s.frames(), 1).0, "200");
}

#[test]
fn the_connection_is_small() {
    let size = core::mem::size_of::<Conn>();
    assert!(size <= 16 * 1024, "{size}");
    eprintln!("size_of::<Conn>() = {size}");
}

/// Header lists from the independent encoder (with its dynamic table) decode to the same
/// fields through ours, over many requests on one connection.
#[test]
fn their_encoder_our_decoder_on_generated_lists() {
    use crate::h2::hpack::decoder::{tests::Collect, Decoder};
    let mut theirs = ::hpack::Encoder::new();
    let mut ours = Decoder::new();
    let mut rng = 0x5eed_0f00_0000_0002u64;
    fn rand(r: &mut u64) -> u64 {
        crate::test_rng::xorshift(r)
    }
    let names = ["user-agent", "accept", "cookie", "x-a", "x-bb", ":authority", "cache-control", "x-long-header-name"];
    for _ in 0..500 {
        let n = 1 + rand(&mut rng) % 12;
        let list: Vec<(Vec<u8>, Vec<u8>)> = (0..n).map(|_| {
            let name = names[(rand(&mut rng) % names.len() as u64) as usize].as_bytes().to_vec();
            let vlen = rand(&mut rng) % 40;
            let value = (0..vlen).map(|_| b"abcXYZ019 -=/;"[(rand(&mut rng) % 14) as usize]).collect::<Vec<u8>>();
            (name, value)
        }).collect();
        let block = theirs.encode(list.iter().map(|(n, v)| (n.as_slice(), v.as_slice())));
        let mut got = Collect::default();
        ours.decode(&block, &mut got).unwrap();
        assert_eq!(got.0, list);
    }
}


/// The per-request cost under callgrind: 100 GETs per read, as h2load sends them (`:path`
/// Huffman-coded and not indexed, the other fields indexed after the first request), answered
/// by one feed. Run with `valgrind --tool=callgrind <test binary> --ignored h2::tests::bench`.
#[test]
#[ignore]
fn bench_feed_100_gets() {
    use crate::h2::hpack::huffman;
    let limits = Limits::DEFAULT;
    let mut conn = Box::new(Conn::new());
    conn.reset(&limits);
    let mut out = vec![0u8; 64 * 1024];
    let cx = Cx { date: DATE, now: 1, stopping: false, limits: &limits };
    // The first request adds :authority and user-agent to the table.
    let mut first = vec![0x82, 0x86, 0x41, 14];
    first.extend_from_slice(b"localhost:8082");
    first.extend_from_slice(&[0x7a, 18]);
    first.extend_from_slice(b"h2load nghttp2/1.5");
    let path = huffman::encode(b"/baseline2?a=1&b=1");
    let mut get = vec![0x82, 0x86, 0x04, 0x80 | path.len() as u8];
    get.extend_from_slice(&path);
    get.extend_from_slice(&[0xbf, 0xbe]);
    let mut input = start();
    let mut block = first.clone();
    block.extend_from_slice(&[0x04, 0x80 | path.len() as u8]);
    block.extend_from_slice(&path);
    input.extend(frame(frame::HEADERS, frame::END_HEADERS | frame::END_STREAM, 1, &block));
    let fed = conn.feed(&input, &mut out, &cx);
    assert_eq!(fed.consumed, input.len());
    let mut id = 3;
    let rounds = if cfg!(debug_assertions) { 10 } else { 200 };
    for _ in 0..rounds {
        let mut batch = Vec::new();
        for _ in 0..100 {
            batch.extend(frame(frame::HEADERS, frame::END_HEADERS | frame::END_STREAM, id, &get));
            id += 2;
        }
        let fed = conn.feed(&batch, &mut out, &cx);
        assert_eq!(fed.consumed, batch.len());
        assert!(!fed.stopped);
        std::hint::black_box(&out[..fed.written]);
    }
}

/// The same block bytes mean the same request only while the table is unchanged: a block in
/// between that adds an entry gives the same index another meaning.
#[test]
fn a_repeated_block_is_recognised_only_while_it_means_the_same() {
    let mut s = Server::open();
    let hdr = |id: u32, block: &[u8]| frame(frame::HEADERS, frame::END_HEADERS | frame::END_STREAM, id, block);
    let mut add_a = vec![0x82, 0x86, 0x44, 2];
    add_a.extend_from_slice(b"/a");
    let mut add_pipeline = vec![0x82, 0x86, 0x44, 9];
    add_pipeline.extend_from_slice(b"/pipeline");
    let indexed = [0x82, 0x86, 0xbe];
    s.send(&hdr(1, &add_a));
    s.send(&hdr(3, &indexed));
    s.send(&hdr(5, &indexed));
    s.send(&hdr(7, &add_pipeline));
    s.send(&hdr(9, &indexed));
    s.send(&hdr(11, &indexed));
    // The same bytes with and without END_STREAM, and a HEAD between GETs.
    s.send(&frame(frame::HEADERS, frame::END_HEADERS, 13, &indexed));
    s.send(&data(13, true, b""));
    s.send(&hdr(15, &[0x82, 0x86, 0xbe]));
    let f = s.frames();
    for (id, want) in [(1, "404"), (3, "404"), (5, "404"), (7, "200"), (9, "200"), (11, "200"), (13, "200"), (15, "200")] {
        assert_eq!(answer(&f, id).0, want, "stream {id}");
    }
    assert_eq!(answer(&f, 11).1, b"ok");
    // A malformed block is never remembered.
    let bad = [0x82, 0xbe];
    s.send(&hdr(17, &bad));
    s.send(&hdr(19, &bad));
    assert_eq!(s.frames(), vec![Got::Rst { stream: 17, code: frame::PROTOCOL_ERROR }, Got::Rst { stream: 19, code: frame::PROTOCOL_ERROR }]);
}

/// As [`bench_feed_100_gets`], but every request has its own query (nothing is remembered
/// from one request to the next): the cost of decoding, checking and routing each time.
#[test]
#[ignore]
fn bench_feed_100_distinct_gets() {
    use crate::h2::hpack::huffman;
    let limits = Limits::DEFAULT;
    let mut conn = Box::new(Conn::new());
    conn.reset(&limits);
    let mut out = vec![0u8; 64 * 1024];
    let cx = Cx { date: DATE, now: 1, stopping: false, limits: &limits };
    let mut first = vec![0x82, 0x86, 0x41, 14];
    first.extend_from_slice(b"localhost:8082");
    first.extend_from_slice(&[0x7a, 18]);
    first.extend_from_slice(b"h2load nghttp2/1.5");
    let mut input = start();
    input.extend(frame(frame::HEADERS, frame::END_HEADERS | frame::END_STREAM, 1, &first));
    let fed = conn.feed(&input, &mut out, &cx);
    assert_eq!(fed.consumed, input.len());
    let mut id = 3;
    let rounds = if cfg!(debug_assertions) { 10 } else { 200 };
    let mut batches = Vec::new();
    for r in 0..rounds {
        let mut batch = Vec::new();
        for i in 0..100 {
            let path = huffman::encode(format!("/baseline2?a={}&b={}", r, i).as_bytes());
            let mut get = vec![0x82, 0x86, 0x04, 0x80 | path.len() as u8];
            get.extend_from_slice(&path);
            get.extend_from_slice(&[0xbf, 0xbe]);
            batch.extend(frame(frame::HEADERS, frame::END_HEADERS | frame::END_STREAM, id, &get));
            id += 2;
        }
        batches.push(batch);
    }
    for batch in &batches {
        let fed = conn.feed(batch, &mut out, &cx);
        assert_eq!(fed.consumed, batch.len());
        std::hint::black_box(&out[..fed.written]);
    }
}
