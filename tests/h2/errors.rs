//! Connection errors (GOAWAY with the code, then the close) and stream errors (RST_STREAM with
//! the code, the connection going on), each with the code RFC 9113 gives it (§3.4, §4.2, §4.3,
//! §5.1, §5.1.1, §5.3.1, §5.4, §6, §8.1.1, §8.2, §8.4).

use crate::common::assert_no_failures;
use crate::raw::*;
use crate::start;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

const MAX_WINDOW: u32 = (1 << 31) - 1;

/// The error of a case that panicked, as text.
fn failure(name: &str, e: Box<dyn std::any::Any + Send>) -> String {
    let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
    format!("{name}: {}", msg.unwrap_or_default())
}

type Build = Box<dyn Fn(&mut Raw) -> Vec<u8>>;

/// A connection error: what to send (after the handshake, if `handshake`), and the GOAWAY's
/// code and last stream id.
struct ConnCase {
    name: &'static str,
    handshake: bool,
    send: Build,
    code: u32,
    last: u32,
}

fn case(name: &'static str, send: impl Fn(&mut Raw) -> Vec<u8> + 'static, code: u32, last: u32) -> ConnCase {
    ConnCase { name, handshake: true, send: Box::new(send), code, last }
}

fn post_open(c: &mut Raw, id: u32) -> Vec<u8> {
    c.request(id, "POST", "/baseline11?a=1", false)
}

fn connection_cases() -> Vec<ConnCase> {
    let mut v = vec![
        // §3.4: the preface.
        ConnCase { name: "bad preface", handshake: false, send: Box::new(|_| b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n".to_vec()),
            code: PROTOCOL_ERROR, last: 0 },
        ConnCase { name: "preface then PING", handshake: false,
            send: Box::new(|_| [&PREFACE[..], &ping([0; 8])].concat()), code: PROTOCOL_ERROR, last: 0 },
        ConnCase { name: "preface then SETTINGS ACK", handshake: false,
            send: Box::new(|_| [&PREFACE[..], &frame(SETTINGS, ACK, 0, &[])].concat()), code: PROTOCOL_ERROR, last: 0 },
        // §5.1.1: stream identifiers.
        case("HEADERS on an even stream", |c| c.get(2, "/"), PROTOCOL_ERROR, 0),
        case("decreasing stream id", |c| [c.get(5, "/"), c.get(3, "/")].concat(), PROTOCOL_ERROR, 5),
        case("HEADERS on stream 0", |c| c.get(0, "/"), PROTOCOL_ERROR, 0),
        // §5.1: closed and idle streams.
        case("HEADERS on a closed stream", |c| [c.get(1, "/"), c.get(1, "/")].concat(), STREAM_CLOSED, 1),
        case("DATA on a closed stream", |c| [c.get(1, "/"), data(1, b"1", true)].concat(), STREAM_CLOSED, 1),
        case("DATA on an idle stream", |_| data(1, b"1", true), PROTOCOL_ERROR, 0),
        case("WINDOW_UPDATE on an idle stream", |_| window_update(3, 10), PROTOCOL_ERROR, 0),
        case("RST_STREAM on an idle stream", |_| rst_stream(1, CANCEL), PROTOCOL_ERROR, 0),
        // §6: frames on the wrong kind of stream.
        case("DATA on stream 0", |_| data(0, b"1", true), PROTOCOL_ERROR, 0),
        case("RST_STREAM on stream 0", |_| rst_stream(0, CANCEL), PROTOCOL_ERROR, 0),
        case("PRIORITY on stream 0", |_| frame(PRIORITY, 0, 0, &[0, 0, 0, 1, 5]), PROTOCOL_ERROR, 0),
        case("PING on a stream", |c| [c.get(1, "/"), frame(PING, 0, 1, &[0; 8])].concat(), PROTOCOL_ERROR, 1),
        case("SETTINGS on a stream", |_| frame(SETTINGS, 0, 1, &[]), PROTOCOL_ERROR, 0),
        case("GOAWAY on a stream", |_| frame(GOAWAY, 0, 1, &[0; 8]), PROTOCOL_ERROR, 0),
        // §8.4: a client never pushes.
        case("PUSH_PROMISE", |_| frame(PUSH_PROMISE, END_HEADERS, 1, &[0, 0, 0, 2, 0x82]), PROTOCOL_ERROR, 0),
        // §6.10: header blocks.
        case("CONTINUATION without HEADERS", |c| {
            let b = c.block(&[(":method", "GET")]);
            frame(CONTINUATION, END_HEADERS, 1, &b)
        }, PROTOCOL_ERROR, 0),
        case("header block interrupted by PING", |c| {
            let b = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/")]);
            [frame(HEADERS, END_STREAM, 1, &b), ping([0; 8])].concat()
        }, PROTOCOL_ERROR, 0),
        case("CONTINUATION on another stream", |c| {
            let b = c.block(&[(":method", "GET"), (":scheme", "http")]);
            [frame(HEADERS, END_STREAM, 1, &b), frame(CONTINUATION, END_HEADERS, 3, &[0x84])].concat()
        }, PROTOCOL_ERROR, 0),
        // §4.2, §6.4, §6.5, §6.7, §6.8, §6.9: frame sizes.
        case("PING of 7 bytes", |_| frame(PING, 0, 0, &[0; 7]), FRAME_SIZE_ERROR, 0),
        case("PING of 9 bytes", |_| frame(PING, 0, 0, &[0; 9]), FRAME_SIZE_ERROR, 0),
        case("SETTINGS of 7 bytes", |_| frame(SETTINGS, 0, 0, &[0, 3, 0, 0, 0, 100, 0]), FRAME_SIZE_ERROR, 0),
        case("SETTINGS ACK with a payload", |_| frame(SETTINGS, ACK, 0, &[0, 3, 0, 0, 0, 100]), FRAME_SIZE_ERROR, 0),
        case("WINDOW_UPDATE of 3 bytes", |_| frame(WINDOW_UPDATE, 0, 0, &[0, 0, 1]), FRAME_SIZE_ERROR, 0),
        case("RST_STREAM of 5 bytes", |c| [c.get(1, "/"), frame(RST_STREAM, 0, 1, &[0; 5])].concat(), FRAME_SIZE_ERROR, 1),
        case("GOAWAY of 4 bytes", |_| frame(GOAWAY, 0, 0, &[0; 4]), FRAME_SIZE_ERROR, 0),
        case("frame past SETTINGS_MAX_FRAME_SIZE", |c| [post_open(c, 1), data(1, &[b' '; 16_385], true)].concat(),
            FRAME_SIZE_ERROR, 1),
        // §6.9: window updates.
        case("WINDOW_UPDATE of 0 on the connection", |_| window_update(0, 0), PROTOCOL_ERROR, 0),
        case("connection window past 2^31-1", |_| window_update(0, MAX_WINDOW), FLOW_CONTROL_ERROR, 0),
        // §6.5.2, §6.9.2: settings.
        case("SETTINGS_INITIAL_WINDOW_SIZE 2^31", |_| settings(&[(INITIAL_WINDOW_SIZE, 1 << 31)]), FLOW_CONTROL_ERROR, 0),
        case("initial window change overflowing a stream's window", |c| {
            [post_open(c, 1), window_update(1, MAX_WINDOW - 65_535), settings(&[(INITIAL_WINDOW_SIZE, 65_536)])].concat()
        }, FLOW_CONTROL_ERROR, 1),
        case("SETTINGS_ENABLE_PUSH 2", |_| settings(&[(ENABLE_PUSH, 2)]), PROTOCOL_ERROR, 0),
        case("SETTINGS_MAX_FRAME_SIZE 16383", |_| settings(&[(MAX_FRAME_SIZE, 16_383)]), PROTOCOL_ERROR, 0),
        case("SETTINGS_MAX_FRAME_SIZE 2^24", |_| settings(&[(MAX_FRAME_SIZE, 1 << 24)]), PROTOCOL_ERROR, 0),
        // §6.1, §6.2: padding as long as the payload.
        case("HEADERS padding past the payload", |c| {
            let mut p = vec![10];
            p.extend(c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/")]));
            frame(HEADERS, END_HEADERS | END_STREAM | PADDED, 1, &p[..p.len().min(10)])
        }, PROTOCOL_ERROR, 0),
        case("DATA padding as long as the payload", |c| [post_open(c, 1), frame(DATA, PADDED, 1, &[3, 0, 0])].concat(),
            PROTOCOL_ERROR, 1),
        // §4.3: header blocks that cannot be decoded.
        // (The stream's id is taken before its block is decoded: the GOAWAY names it.)
        case("HPACK index 0", |_| frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0x80]), COMPRESSION_ERROR, 1),
        case("HPACK index past the tables", |_| frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0x82, 0xbe]),
            COMPRESSION_ERROR, 1),
        case("HPACK table size update past 4096", |_| frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0x3f, 0xe2, 0x1f, 0x82]),
            COMPRESSION_ERROR, 1),
        case("HPACK literal cut short", |_| frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0x82, 0x40, 0x05, b'a']),
            COMPRESSION_ERROR, 1),
    ];
    // A bad block on a stream that would be refused or ignored is still a compression error.
    v.push(case("HPACK error after a good request", |c| [c.get(1, "/"), frame(HEADERS, END_HEADERS | END_STREAM, 3, &[0x80])].concat(),
        COMPRESSION_ERROR, 3));
    v
}

#[test]
fn connection_errors_get_goaway_with_their_code() {
    let s = start(&[]);
    let cases = connection_cases();
    let mut failures = Vec::new();
    for k in &cases {
        let r = catch_unwind(AssertUnwindSafe(|| {
            let mut c = if k.handshake { Raw::open(s.port) } else { Raw::connect(s.port) };
            let bytes = (k.send)(&mut c);
            c.send_lossy(&bytes);
            let (goaway, _) = c.expect_goaway(k.code);
            assert_eq!(goaway.last_stream(), k.last, "GOAWAY's last stream id");
            assert_eq!(goaway.payload.len(), 8, "GOAWAY with debug data");
        }));
        if let Err(e) = r {
            failures.push(failure(k.name, e));
        }
    }
    assert_no_failures(&failures, cases.len());
}

type BuildOn = Box<dyn Fn(&mut Raw, u32) -> Vec<u8>>;

/// A stream error: what to send on stream `id` (a fresh one), and the RST_STREAM's code.
struct StreamCase {
    name: &'static str,
    send: BuildOn,
    code: u32,
}

fn scase(name: &'static str, send: impl Fn(&mut Raw, u32) -> Vec<u8> + 'static, code: u32) -> StreamCase {
    StreamCase { name, send: Box::new(send), code }
}

/// A request's HEADERS with these fields, ending the stream.
fn with_fields(fields: &'static [(&'static str, &'static str)]) -> impl Fn(&mut Raw, u32) -> Vec<u8> {
    move |c, id| c.headers(id, END_STREAM, fields)
}

fn stream_cases() -> Vec<StreamCase> {
    vec![
        // §8.3.1: pseudo-headers.
        scase("missing :path", with_fields(&[(":method", "GET"), (":scheme", "http")]), PROTOCOL_ERROR),
        scase("missing :method", with_fields(&[(":scheme", "http"), (":path", "/")]), PROTOCOL_ERROR),
        scase("missing :scheme", with_fields(&[(":method", "GET"), (":path", "/")]), PROTOCOL_ERROR),
        scase("empty :path", with_fields(&[(":method", "GET"), (":scheme", "http"), (":path", "")]), PROTOCOL_ERROR),
        scase("repeated :path", with_fields(&[(":method", "GET"), (":scheme", "http"), (":path", "/"), (":path", "/")]),
            PROTOCOL_ERROR),
        scase("unknown pseudo-header", with_fields(&[(":method", "GET"), (":scheme", "http"), (":path", "/"), (":foo", "1")]),
            PROTOCOL_ERROR),
        scase("response pseudo-header", with_fields(&[(":status", "200"), (":method", "GET"), (":scheme", "http"), (":path", "/")]),
            PROTOCOL_ERROR),
        scase("pseudo-header after a regular field",
            with_fields(&[(":method", "GET"), (":scheme", "http"), ("accept", "*/*"), (":path", "/")]), PROTOCOL_ERROR),
        // §8.2: field names and values.
        scase("uppercase field name", with_fields(&[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("X-Upper", "1")]),
            PROTOCOL_ERROR),
        scase("value with a leading space", with_fields(&[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("x", " v")]),
            PROTOCOL_ERROR),
        // §8.2.2: connection-specific fields.
        scase("connection field", with_fields(&[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("connection", "keep-alive")]),
            PROTOCOL_ERROR),
        scase("transfer-encoding field",
            with_fields(&[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("transfer-encoding", "chunked")]), PROTOCOL_ERROR),
        scase("te other than trailers", with_fields(&[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("te", "gzip")]),
            PROTOCOL_ERROR),
        // §8.1.1: content-length against the body.
        scase("content-length with no body", with_fields(&[(":method", "POST"), (":scheme", "http"), (":path", "/"), ("content-length", "3")]),
            PROTOCOL_ERROR),
        scase("body shorter than content-length", |c, id| {
            let h = c.headers(id, 0, &[(":method", "POST"), (":scheme", "http"), (":path", "/baseline11"), ("content-length", "5")]);
            [h, data(id, b"3", true)].concat()
        }, PROTOCOL_ERROR),
        scase("body longer than content-length", |c, id| {
            let h = c.headers(id, 0, &[(":method", "POST"), (":scheme", "http"), (":path", "/baseline11"), ("content-length", "1")]);
            [h, data(id, b"12", false)].concat()
        }, PROTOCOL_ERROR),
        // §5.1: a second HEADERS that is not trailers; trailers with a pseudo-header.
        scase("HEADERS again without END_STREAM", |c, id| [post_open(c, id), c.request(id, "POST", "/", false)].concat(),
            PROTOCOL_ERROR),
        scase("trailers with a pseudo-header", |c, id| [post_open(c, id), c.headers(id, END_STREAM, &[(":path", "/")])].concat(),
            PROTOCOL_ERROR),
        // §5.3.1: a stream cannot depend on itself.
        scase("HEADERS depending on itself", |c, id| {
            let mut p = (id | 0x8000_0000).to_be_bytes().to_vec();
            p.push(15);
            p.extend(c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/")]));
            frame(HEADERS, END_HEADERS | END_STREAM | PRIORITY_FLAG, id, &p)
        }, PROTOCOL_ERROR),
        scase("PRIORITY depending on itself", |_, id| {
            let mut p = id.to_be_bytes().to_vec();
            p.push(15);
            frame(PRIORITY, 0, id, &p)
        }, PROTOCOL_ERROR),
        // §6.3: PRIORITY of the wrong length.
        scase("PRIORITY of 4 bytes", |_, id| frame(PRIORITY, 0, id, &[0, 0, 0, 0]), FRAME_SIZE_ERROR),
        // §6.9: window updates on an open stream.
        scase("WINDOW_UPDATE of 0 on a stream", |c, id| [post_open(c, id), window_update(id, 0)].concat(), PROTOCOL_ERROR),
        scase("stream window past 2^31-1", |c, id| [post_open(c, id), window_update(id, MAX_WINDOW)].concat(),
            FLOW_CONTROL_ERROR),
    ]
}

/// Every stream error on one connection, one stream after another: each gets its RST_STREAM,
/// and the connection answers the next request.
#[test]
fn stream_errors_get_rst_stream_with_their_code() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    let cases = stream_cases();
    let mut failures = Vec::new();
    let mut id = 1;
    for k in &cases {
        let r = catch_unwind(AssertUnwindSafe(|| {
            let bytes = (k.send)(&mut c, id);
            c.send(&bytes);
            let code = c.expect_rst(id);
            assert_eq!(code, k.code, "RST_STREAM {} want {}", code_name(code), code_name(k.code));
            c.assert_works(id + 2);
        }));
        if let Err(e) = r {
            failures.push(failure(k.name, e));
            // The connection may be gone: go on with a fresh one.
            c = Raw::open(s.port);
            id = 1;
        } else {
            id += 4;
        }
    }
    assert_no_failures(&failures, cases.len());
}

/// §5.1: DATA on a stream whose request is complete (half-closed remote: its answer waits for
/// window here) is a stream error of type STREAM_CLOSED.
#[test]
fn data_on_a_half_closed_stream() {
    let s = start(&[]);
    let mut c = Raw::open_with(s.port, &[(INITIAL_WINDOW_SIZE, 0)]);
    let req = c.get(1, "/baseline2?a=1");
    c.send(&req);
    let f = c.frame();
    assert_eq!((f.kind, f.stream, f.has(END_STREAM)), (HEADERS, 1, false), "{}", f.describe());
    c.send(&data(1, b"5", true));
    assert_eq!(c.expect_rst(1), STREAM_CLOSED);
    // The connection goes on (with window for the next answer).
    c.send(&settings(&[(INITIAL_WINDOW_SIZE, 100)]));
    c.assert_works(3);
}

/// §5.1: frames that may follow the end of a stream (WINDOW_UPDATE, PRIORITY, RST_STREAM), and
/// frames in flight on a stream the server reset, are ignored.
#[test]
fn frames_after_a_stream_ends_are_ignored() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    c.assert_works(1);
    c.send(&[window_update(1, 100), frame(PRIORITY, 0, 1, &[0, 0, 0, 0, 9]), rst_stream(1, CANCEL)].concat());
    c.assert_works(3);
    // The server answers 413 and resets stream 5 (NO_ERROR) while the client still sends its
    // body and trailers: those are ignored, and the connection goes on.
    let fields = [(":method", "POST"), (":scheme", "http"), (":path", "/baseline11"), ("content-length", "9000")];
    let req = c.headers(5, 0, &fields);
    c.send(&req);
    assert_eq!(c.expect_rst(5), NO_ERROR);
    c.answers(&[5])[&5].assert(413, "Content Too Large\n");
    c.send(&data(5, &[b' '; 5000], false));
    c.send(&window_update(5, 1));
    let trailers = c.headers(5, END_STREAM, &[("x-trailer", "1")]);
    c.send(&trailers);
    c.assert_works(7);
    c.expect_quiet(Duration::from_millis(100));
}
