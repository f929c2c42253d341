//! Connection tests on literal frames: the preface, the output under any buffer size and any
//! split of the input, and the helpers of [`rules`] (every frame type's rules, each stream and
//! connection error with its code, flow control both ways) and [`defences`] (the caps, floods,
//! concurrency limits and the stop).

mod defences;
mod rules;

use super::frame::{self, Head, HEAD_LEN};
use super::hpack::decoder::SCRATCH;
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
            let fed = self.conn.feed(&mut self.kept, &mut out, &cx);
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

/// The same conversation gives the same bytes whatever the read sizes and the out size (from
/// the smallest a call takes).
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
    // Byte by byte, with the smallest out.
    let mut s = Server::with(Limits::DEFAULT, conn::MIN_OUT);
    for b in &input {
        s.send(std::slice::from_ref(b));
    }
    assert_eq!(s.wire, want);
    assert_eq!(answer(&s.frames(), 3), ("200".into(), b"9".to_vec()));
    // Answers to fill several of the smallest outs, in one read.
    for id in (7..2000).step_by(2) {
        input.extend(c.get(id, &format!("/baseline2?a={id}")));
    }
    let mut whole = Server::with(Limits::DEFAULT, 1 << 20);
    whole.send(&input);
    let want = whole.wire.clone();
    assert!(want.len() > 3 * (conn::MIN_OUT - SCRATCH), "{}", want.len());
    for out_size in [conn::MIN_OUT, conn::MIN_OUT + 1, conn::MIN_OUT + 99, 12_000, 16 * 1024] {
        let mut s = Server::with(Limits::DEFAULT, out_size);
        s.send(&input);
        assert_eq!(s.wire, want, "out of {out_size}");
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
    let fed = s.conn.feed(&mut s.kept, &mut out, &cx);
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

/// A connection error from `frames` sent after a good start, with its code (`section` names
/// the rule; the GOAWAY carries no debug data).
fn conn_error(frames: &[u8], code: u32, section: &str) {
    let mut s = Server::open();
    s.send(frames);
    let f = s.frames();
    match f.last() {
        Some(Got::GoAway { code: c, debug, .. }) => {
            assert_eq!((*c, debug.as_str()), (code, ""), "{section}: {f:?}");
        }
        other => panic!("expected GOAWAY {code} ({section}), got {other:?}"),
    }
    assert!(s.done);
}

impl Server {
    fn conn_send_window_for_test(&mut self, w: i64) {
        self.conn.set_send_window_for_test(w);
    }
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
    let fed = conn.feed(&mut input, &mut out, &cx);
    assert_eq!(fed.consumed, input.len());
    let mut id = 3;
    let rounds = if cfg!(debug_assertions) { 10 } else { 200 };
    for _ in 0..rounds {
        let mut batch = Vec::new();
        for _ in 0..100 {
            batch.extend(frame(frame::HEADERS, frame::END_HEADERS | frame::END_STREAM, id, &get));
            id += 2;
        }
        let fed = conn.feed(&mut batch, &mut out, &cx);
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
    let fed = conn.feed(&mut input, &mut out, &cx);
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
    for batch in &mut batches {
        let fed = conn.feed(batch, &mut out, &cx);
        assert_eq!(fed.consumed, batch.len());
        std::hint::black_box(&out[..fed.written]);
    }
}
