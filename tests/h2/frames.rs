//! Well-formed edges over the raw client: HEAD, 404, PRIORITY and unknown frame types, PING,
//! padding, header blocks over CONTINUATION, bodies over many DATA frames and trailers, the
//! preface a byte at a time, the limits answered with a status, and HTTP/1.1 on the h2c port.

use crate::common::{find, Conn, Ending};
use crate::raw::*;
use crate::start;
use std::net::SocketAddr;
use std::thread;
use std::time::Duration;

#[test]
fn head_has_the_fields_and_no_data() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    let req = c.request(1, "HEAD", "/baseline2?a=40&b=2", true);
    c.send(&req);
    let f = c.frame();
    assert_eq!((f.kind, f.stream), (HEADERS, 1), "{}", f.describe());
    assert!(f.has(END_STREAM), "HEAD answer's HEADERS must end the stream: {}", f.describe());
    assert_eq!(f.field(":status"), Some("200"));
    assert_eq!(f.field("content-length"), Some("2"), "{}", f.describe());
    // Nothing follows on stream 1: the next frame is the next answer's.
    c.assert_works(3);
    let req = c.request(5, "HEAD", "/nowhere", true);
    c.send(&req);
    let a = c.answer(5);
    assert_eq!((a.status, a.body.len(), a.data_frames), (404, 0, 0), "{a:?}");
    a.assert_common("Not Found\n".len());
    c.assert_works(7);
}

#[test]
fn routes_and_unknown_paths() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    let cases = [("/baseline2?a=1&b=2", 200, "3"), ("/", 200, "ok"), ("/pipeline", 200, "ok"),
        ("/nope", 404, "Not Found\n"), ("/baseline2x", 404, "Not Found\n"), ("/baseline2?a=x&b=5", 200, "5"),
        ("/baseline2?a=9223372036854775807&b=1", 400, "Bad Request\n")];
    for (i, (path, status, body)) in cases.iter().enumerate() {
        let id = 2 * i as u32 + 1;
        let req = c.get(id, path);
        c.send(&req);
        c.answer(id).assert(*status, body);
    }
}

#[test]
fn priority_and_unknown_frame_types_are_ignored() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    let mut burst = Vec::new();
    // PRIORITY on an idle stream and on one about to open (exclusive, weight 200).
    burst.extend(frame(PRIORITY, 0, 3, &[0, 0, 0, 0, 16]));
    burst.extend(frame(PRIORITY, 0, 1, &[0x80, 0, 0, 3, 200]));
    // Unknown types, on the connection and on streams, with and without payload and flags.
    burst.extend(frame(0xfa, 0xff, 0, b"extension frame payload"));
    burst.extend(frame(0x0b, 0, 1, &[]));
    burst.extend(frame(0x20, 0x01, 9, &[7; 1000]));
    // HEADERS with the PRIORITY flag (5 bytes before the block).
    let block = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/baseline2?a=2&b=3")]);
    let mut payload = vec![0, 0, 0, 0, 42];
    payload.extend(block);
    burst.extend(frame(HEADERS, END_HEADERS | END_STREAM | PRIORITY_FLAG, 1, &payload));
    // PRIORITY on the closed stream, then an unknown frame between two requests.
    burst.extend(frame(PRIORITY, 0, 1, &[0, 0, 0, 0, 1]));
    burst.extend(frame(0xee, 0, 0, &[]));
    c.send(&burst);
    c.answer(1).assert(200, "5");
    c.assert_works(3);
    c.expect_quiet(Duration::from_millis(100));
}

#[test]
fn ping_is_answered_with_its_payload() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    c.send(&ping(*b"mote-h2!"));
    let f = c.frame();
    assert_eq!((f.kind, f.flags, f.stream), (PING, ACK, 0), "{}", f.describe());
    assert_eq!(f.payload, b"mote-h2!");
    // A PING that is itself an ACK gets nothing back.
    c.send(&frame(PING, ACK, 0, &[1; 8]));
    c.expect_quiet(Duration::from_millis(200));
    // Between the frames of requests, each PING in order.
    let mut burst = c.get(1, "/baseline2?a=1");
    burst.extend(ping([9, 8, 7, 6, 5, 4, 3, 2]));
    burst.extend(c.get(3, "/baseline2?a=3"));
    c.send(&burst);
    let mut pongs = 0;
    let mut seen = Vec::new();
    while seen.len() < 4 || pongs == 0 {
        let f = c.frame();
        if f.kind == PING {
            assert_eq!((f.flags, &f.payload[..]), (ACK, &[9, 8, 7, 6, 5, 4, 3, 2][..]));
            pongs += 1;
        } else {
            seen.push((f.kind, f.stream));
        }
    }
    assert_eq!(pongs, 1);
    assert_eq!(seen, [(HEADERS, 1), (DATA, 1), (HEADERS, 3), (DATA, 3)]);
}

#[test]
fn padding_on_headers_and_data_is_accepted() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    // HEADERS with 17 bytes of padding, no END_STREAM.
    let block = c.block(&[(":method", "POST"), (":scheme", "http"), (":path", "/baseline11?a=1&b=2")]);
    let mut payload = vec![17];
    payload.extend(&block);
    payload.extend([0; 17]);
    c.send(&frame(HEADERS, END_HEADERS | PADDED, 1, &payload));
    // DATA with 5 bytes of padding, then DATA of nothing but padding, then the end.
    c.send(&frame(DATA, PADDED, 1, &[5, b'3', 0, 0, 0, 0, 0]));
    let mut only_padding = vec![0u8; 201];
    only_padding[0] = 200;
    c.send(&frame(DATA, PADDED, 1, &only_padding));
    c.send(&frame(DATA, PADDED | END_STREAM, 1, &[0, b'0']));
    c.answer(1).assert(200, "33");
    // PADDED and PRIORITY together on a GET.
    let block = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/baseline2?a=20&b=22")]);
    let mut payload = vec![3, 0, 0, 0, 0, 16];
    payload.extend(&block);
    payload.extend([0; 3]);
    c.send(&frame(HEADERS, END_HEADERS | END_STREAM | PADDED | PRIORITY_FLAG, 3, &payload));
    c.answer(3).assert(200, "42");
}

#[test]
fn header_block_over_continuation_frames() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    let block = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/baseline2?a=1000&b=234"),
        (":authority", "localhost"), ("user-agent", "raw h2 test client"), ("accept", "*/*")]);
    let (a, rest) = block.split_at(7);
    let (b, d) = rest.split_at(rest.len() / 2);
    // HEADERS (padded, with priority fields), then two CONTINUATION frames, one empty between.
    let mut payload = vec![4, 0, 0, 0, 0, 7];
    payload.extend(a);
    payload.extend([0; 4]);
    let mut burst = frame(HEADERS, END_STREAM | PADDED | PRIORITY_FLAG, 1, &payload);
    burst.extend(frame(CONTINUATION, 0, 1, b));
    burst.extend(frame(CONTINUATION, 0, 1, &[]));
    burst.extend(frame(CONTINUATION, END_HEADERS, 1, d));
    // Sent in pieces, so the block arrives over several reads.
    for piece in burst.chunks(11) {
        c.send(piece);
        thread::sleep(Duration::from_millis(1));
    }
    c.answer(1).assert(200, "1234");
    c.assert_works(3);
}

#[test]
fn bodies_over_many_data_frames_and_trailers() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    let req = c.request(1, "POST", "/baseline11?a=1&b=2", false);
    c.send(&req);
    for piece in [&b"1"[..], b"", b"2", b"3"] {
        c.send(&data(1, piece, false));
    }
    c.send(&data(1, b"", true));
    c.answer(1).assert(200, "126");
    // A body byte by byte, in separate writes.
    let req = c.request(3, "POST", "/baseline11", false);
    c.send(&req);
    for b in b"  -98765  " {
        c.send(&data(3, &[*b], false));
    }
    c.send(&data(3, b"", true));
    c.answer(3).assert(200, "-98765");
    // A body with a content-length, then trailers end the stream.
    let fields = [(":method", "POST"), (":scheme", "http"), (":path", "/baseline11?a=3"), ("content-length", "2")];
    let req = c.headers(5, 0, &fields);
    c.send(&req);
    c.send(&data(5, b"39", false));
    let trailers = c.headers(5, END_STREAM, &[("x-checksum", "abc")]);
    c.send(&trailers);
    c.answer(5).assert(200, "42");
    // A POST with no body at all is a 400 on the sum endpoint.
    let req = c.request(7, "POST", "/baseline11?a=1", true);
    c.send(&req);
    c.answer(7).assert(400, "Bad Request\n");
}

/// SETTINGS_HEADER_TABLE_SIZE 0: the server's blocks start with a table size update to 0 and
/// never refer to its dynamic table (our decoder keeps none, so a reference would not decode).
#[test]
fn header_table_size_zero_is_respected() {
    let s = start(&[]);
    let mut c = Raw::connect(s.port);
    c.set_table_size(0);
    c.send(&[&PREFACE[..], &settings(&[(HEADER_TABLE_SIZE, 0)])].concat());
    c.expect_server_settings();
    for i in 0..5u32 {
        let req = c.get(2 * i + 1, &format!("/baseline2?a={i}"));
        c.send(&req);
        let h = c.frame();
        assert_eq!((h.kind, h.stream), (HEADERS, 2 * i + 1), "{}", h.describe());
        if i == 0 {
            assert_eq!(h.payload[0], 0x20, "no size update to 0 first: {:?}", h.payload);
        }
        c.keep(h);
        c.answer(2 * i + 1).assert(200, &i.to_string());
    }
}

#[test]
fn preface_a_byte_at_a_time() {
    let s = start(&[]);
    let mut c = Raw::connect(s.port);
    let mut hello = PREFACE.to_vec();
    hello.extend(settings(&[(ENABLE_PUSH, 0)]));
    for b in &hello {
        c.send(std::slice::from_ref(b));
        thread::sleep(Duration::from_millis(2));
    }
    c.expect_server_settings();
    // A request a byte at a time too.
    let req = c.get(1, "/baseline2?a=7&b=8");
    for b in &req {
        c.send(std::slice::from_ref(b));
        thread::sleep(Duration::from_millis(1));
    }
    c.answer(1).assert(200, "15");
}

#[test]
fn limits_are_answered_with_a_status() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    // :path past 2 KiB: 414.
    let long = format!("/baseline2?a=1&pad={}", "x".repeat(2100));
    let req = c.get(1, &long);
    c.send(&req);
    c.answer(1).assert(414, "URI Too Long\n");
    // A header list past 8 KiB: 431.
    let big = "v".repeat(8200);
    let req = c.headers(3, END_STREAM, &[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("x-big", &big)]);
    c.send(&req);
    c.answer(3).assert(431, "Request Header Fields Too Large\n");
    // A content-length past 8 KiB: 413 at once, then RST_STREAM(NO_ERROR) as the request is
    // not complete (§8.1); the DATA still in flight is ignored.
    let fields = [(":method", "POST"), (":scheme", "http"), (":path", "/baseline11"), ("content-length", "9000")];
    let req = c.headers(5, 0, &fields);
    c.send(&req);
    assert_eq!(c.expect_rst(5), NO_ERROR);
    c.answers(&[5])[&5].assert(413, "Content Too Large\n");
    c.send(&data(5, &[b' '; 4000], false));
    // The connection goes on.
    c.assert_works(7);
}

#[test]
fn http1_request_on_the_h2c_port_gets_goaway() {
    let s = start(&[]);
    for request in [&b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"[..], b"PRI * HTTP/1.1\r\n\r\n", b"GET /baseline2?a=1 HTTP/1.0\r\n\r\n"] {
        let mut conn = Conn::connect(SocketAddr::from(([127, 0, 0, 1], s.port))).unwrap();
        conn.send(request);
        let (ending, bytes) = conn.read_to_end_within(Duration::from_secs(5));
        assert!(matches!(ending, Ending::Eof | Ending::Reset), "connection not closed: {ending:?}");
        assert!(find(&bytes, b"HTTP/1.").is_none(), "an HTTP/1 answer on the h2c port: {bytes:?}");
        // Our SETTINGS (the server preface), then GOAWAY(0, PROTOCOL_ERROR), nothing else.
        assert!(bytes.len() >= 9, "{bytes:?}");
        let len = usize::from(bytes[2]) + (usize::from(bytes[1]) << 8);
        assert_eq!((bytes[3], bytes[4]), (SETTINGS, 0), "{bytes:?}");
        let rest = &bytes[9 + len..];
        assert_eq!(rest, &[0, 0, 8, GOAWAY, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, PROTOCOL_ERROR as u8][..], "{bytes:?}");
    }
}
