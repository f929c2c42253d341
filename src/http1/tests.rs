//! The connection layer: requests in order, across reads split anywhere, with the worker's
//! contract simulated (unconsumed bytes are kept and passed again, followed by new ones).

use super::*;
use crate::test_rng::xorshift;

const DATE: &[u8; 29] = b"Thu, 26 Nov 2026 14:33:19 GMT";
const LIMITS: Limits = Limits { max_head: 8192, max_target: 4096, max_body: 8192 };

fn heads() -> Heads {
    Heads::new(DATE)
}

fn cx(heads: &Heads) -> Ctx<'_> {
    Ctx { scan: scan::detect(), limits: LIMITS, heads, max_depth: 1000, stopping: false, more_waiting: false }
}

/// Splits answers into (status, body, closes) triples; HEAD answers and interim ones have no
/// body bytes.
fn answers(out: &[u8]) -> Vec<(u16, String, bool)> {
    let text = String::from_utf8(out.to_vec()).unwrap();
    let mut rest = text.as_str();
    let mut v = Vec::new();
    while !rest.is_empty() {
        let end = rest.find("\r\n\r\n").unwrap();
        let head = &rest[..end];
        let status: u16 = head[9..12].parse().unwrap();
        let len: usize = head.lines().find_map(|l| l.strip_prefix("Content-Length: ")).map_or(0, |l| l.parse().unwrap());
        let close = head.contains("\r\nConnection: close");
        let head_only = head.contains("X-Head-Only");
        let body_len = if head_only { 0 } else { len };
        v.push((status, rest[end + 4..end + 4 + body_len].to_string(), close));
        rest = &rest[end + 4 + body_len..];
    }
    v
}

/// Runs a connection over `input` delivered in the given pieces, as the worker would: what a
/// call leaves unconsumed comes first in the next call. Returns everything written, and the
/// last outcome.
fn run_pieces(pieces: &[&[u8]], cx: &Ctx) -> (Vec<u8>, Served, Conn) {
    let mut conn = Conn::default();
    let mut kept: Vec<u8> = Vec::new();
    let mut written = Vec::new();
    let mut last = Served { consumed: 0, written: 0, close: false, stopped: false, upgrade: false };
    let mut out = vec![0u8; 1 << 16];
    for piece in pieces {
        kept.extend_from_slice(piece);
        loop {
            last = serve(&mut conn, &kept, &mut out, cx);
            written.extend_from_slice(&out[..last.written]);
            kept.drain(..last.consumed);
            if last.close || last.upgrade {
                return (written, last, conn);
            }
            if !last.stopped {
                break;
            }
        }
    }
    (written, last, conn)
}

fn serve_all(input: &[u8]) -> (Served, Vec<(u16, String, bool)>) {
    let h = heads();
    let (out, s, _) = run_pieces(&[input], &cx(&h));
    (s, answers(&out))
}

const GET: &[u8] = b"GET /baseline11?a=13&b=42 HTTP/1.1\r\nHost: localhost:8080\r\n\r\n";
const POST_CL: &[u8] = b"POST /baseline11?a=13&b=42 HTTP/1.1\r\nHost: localhost:8080\r\nContent-Length: 2\r\n\r\n20";
const POST_CHUNKED: &[u8] =
    b"POST /baseline11?a=13&b=42 HTTP/1.1\r\nHost: localhost:8080\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n20\r\n0\r\n\r\n";

#[test]
fn the_three_baseline_shapes_in_one_read() {
    let input = [GET, POST_CL, POST_CHUNKED].concat();
    let (s, a) = serve_all(&input);
    assert!(!s.close && !s.stopped);
    let bodies: Vec<_> = a.iter().map(|(st, b, _)| (*st, b.as_str())).collect();
    assert_eq!(bodies, [(200, "55"), (200, "75"), (200, "75")]);
}

/// Any split of a stream of requests gives the same answers as the whole stream.
#[test]
fn every_split_gives_the_same_answers() {
    let h = heads();
    let c = cx(&h);
    let stream = [GET, b"\r\n", POST_CHUNKED, POST_CL, b"GET /pipeline HTTP/1.1\r\nHost: a\r\n\r\n", POST_CHUNKED].concat();
    let (whole, ..) = run_pieces(&[&stream], &c);
    assert_eq!(answers(&whole).len(), 5);
    for cut in 0..=stream.len() {
        let (got, ..) = run_pieces(&[&stream[..cut], &stream[cut..]], &c);
        assert_eq!(got, whole, "cut at {cut}");
    }
    let bytes: Vec<&[u8]> = stream.chunks(1).collect();
    assert_eq!(run_pieces(&bytes, &c).0, whole, "byte at a time");
    let mut seed = 0xC0FF_EE00_1234_5678u64;
    for _ in 0..300 {
        let mut pieces = Vec::new();
        let mut at = 0;
        while at < stream.len() {
            let n = 1 + (xorshift(&mut seed) % 40) as usize;
            pieces.push(&stream[at..(at + n).min(stream.len())]);
            at += n;
        }
        assert_eq!(run_pieces(&pieces, &c).0, whole);
    }
}

#[test]
fn a_partial_head_is_kept_a_body_is_not() {
    let h = heads();
    let c = cx(&h);
    let mut conn = Conn::default();
    let mut out = vec![0u8; 4096];
    // Half a head: nothing consumed, nothing written.
    let s = serve(&mut conn, &GET[..20], &mut out, &c);
    assert_eq!((s.consumed, s.written), (0, 0));
    assert!(conn.begun());
    // A head and part of a chunked body: the body bytes are consumed as they come.
    let mut conn = Conn::default();
    let cut = POST_CHUNKED.len() - 6;
    let s = serve(&mut conn, &POST_CHUNKED[..cut], &mut out, &c);
    assert_eq!((s.consumed, s.written), (cut, 0));
    let s = serve(&mut conn, &POST_CHUNKED[cut..], &mut out, &c);
    assert_eq!(answers(&out[..s.written]), [(200, "75".to_string(), false)]);
    assert!(!conn.begun());
}

#[test]
fn a_malformed_request_is_answered_in_order_then_closes() {
    let input = [GET, b"GET /x HTTP/1.1\r\nHost: a\r\nX\x01: y\r\n\r\n", GET].concat();
    let (s, a) = serve_all(&input);
    assert_eq!(a.len(), 2);
    assert_eq!((a[0].0, a[1].0), (200, 400));
    assert!(a[1].2, "the refusal says Connection: close");
    assert!(s.close);
}

#[test]
fn connection_close_stops_answering() {
    let input = [&b"GET /pipeline HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"[..], GET].concat();
    let (s, a) = serve_all(&input);
    assert_eq!(a, [(200, "ok".to_string(), true)]);
    assert!(s.close);
}

#[test]
fn empty_lines_between_requests_by_one_rule_whatever_the_splits() {
    let h = heads();
    let c = cx(&h);
    for blanks in [0, 1, 64, 65, 5000] {
        let stream = [GET, &b"\r\n".repeat(blanks), GET].concat();
        let (whole, ..) = run_pieces(&[&stream], &c);
        let want: Vec<u16> = if blanks <= 64 { vec![200, 200] } else { vec![200, 400] };
        assert_eq!(answers(&whole).iter().map(|a| a.0).collect::<Vec<_>>(), want, "{blanks} empty lines");
        let pieces: Vec<&[u8]> = stream.chunks(100).collect();
        assert_eq!(run_pieces(&pieces, &c).0, whole, "{blanks} in 100-byte pieces");
        let pieces: Vec<&[u8]> = stream.chunks(3).collect();
        assert_eq!(run_pieces(&pieces, &c).0, whole, "{blanks} in 3-byte pieces");
    }
    // Empty lines never count toward the head's limit: a head of exactly the limit after them.
    let mut head = b"GET / HTTP/1.1\r\nHost: a\r\nX: ".to_vec();
    head.resize(LIMITS.max_head - 4, b'x');
    head.extend_from_slice(b"\r\n\r\n");
    for split in [false, true] {
        let stream = [&b"\r\n"[..], &head].concat();
        let pieces: Vec<&[u8]> = if split { vec![&stream[..2], &stream[2..]] } else { vec![&stream] };
        let (out, ..) = run_pieces(&pieces, &c);
        assert_eq!(answers(&out)[0].0, 200, "split {split}");
    }
    // A lone CR at the end of a read may begin an empty line: kept, not refused.
    let mut conn = Conn::default();
    let mut out = vec![0u8; 4096];
    let input = [GET, b"\r\n\r"].concat();
    let s = serve(&mut conn, &input, &mut out, &c);
    assert_eq!(s.consumed, input.len() - 1);
    assert!(!conn.begun());
}

#[test]
fn a_stopping_server_answers_what_it_has_and_closes_after_the_last() {
    let h = heads();
    let c = Ctx { stopping: true, ..cx(&h) };
    for input in [[GET, GET, GET].concat(), [GET, GET, POST_CHUNKED].concat()] {
        let (out, s, _) = run_pieces(&[&input], &c);
        assert!(s.close);
        let a = answers(&out);
        assert_eq!(a.len(), 3);
        assert_eq!(a.iter().map(|a| a.2).collect::<Vec<_>>(), [false, false, true]);
    }
    // With more input known to wait, the input's last request is not the last.
    let c = Ctx { stopping: true, more_waiting: true, ..cx(&h) };
    let (out, s, _) = run_pieces(&[&GET.repeat(2)], &c);
    assert!(!s.close);
    assert_eq!(answers(&out).iter().map(|a| a.2).collect::<Vec<_>>(), [false, false]);
}

#[test]
fn http10_closes_unless_asked() {
    let (s, _) = serve_all(b"GET / HTTP/1.0\r\n\r\n");
    assert!(s.close);
    let (s, _) = serve_all(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert!(!s.close);
}

#[test]
fn routes() {
    let cases: &[(&[u8], u16, &str)] = &[
        (b"GET /pipeline HTTP/1.1\r\nHost: a\r\n\r\n", 200, "ok"),
        (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 200, "ok"),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 200, "ok"),
        (b"GET /baseline11 HTTP/1.1\r\nHost: a\r\n\r\n", 200, "0"),
        (b"GET /baseline11?a=-5&b=3&c=x HTTP/1.1\r\nHost: a\r\n\r\n", 200, "-2"),
        (b"GET /baseline11?a=9223372036854775807&b=1 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "Bad Request\n"),
        (b"GET /baseline11?a=9223372036854775807&b=1&c=-1 HTTP/1.1\r\nHost: a\r\n\r\n", 200, "9223372036854775807"),
        (b"POST /baseline11?=3 HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n-9223372036854775811", 200,
            "-9223372036854775808"),
        (b"POST /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n 41\r\n", 200, "42"),
        (b"POST /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", 400, "Bad Request\n"),
        (b"POST /baseline11 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "Bad Request\n"),
        (b"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", 404, "Not Found\n"),
        (b"POST /pipeline HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 405, "Method Not Allowed\n"),
        (b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 200, ""),
        (b"GET http://a/baseline11?x=2 HTTP/1.1\r\nHost: a\r\n\r\n", 200, "2"),
        (b"GET /baseline11?a=2 HTTP/1.9\r\nHost: a\r\n\r\n", 200, "2"),
        (b"GET /ws HTTP/1.1\r\nHost: a\r\n\r\n", 426, "Upgrade Required\n"),
    ];
    for (input, status, body) in cases {
        let (s, a) = serve_all(input);
        assert_eq!(a.len(), 1, "{}", String::from_utf8_lossy(input));
        assert_eq!((a[0].0, a[0].1.as_str()), (*status, *body), "{}", String::from_utf8_lossy(input));
        assert_eq!(s.consumed, input.len());
        assert!(!s.close, "a refused route keeps the connection");
    }
}

#[test]
fn status_of_refusals() {
    let cases: &[(&[u8], u16)] = &[
        (b"HELLO WORLD\r\n\r\n", 400),
        (b"HELLO / HTTP/1.1\r\nHost: a\r\n\r\n", 501),
        (&[&b"A".repeat(64)[..], b" / HTTP/1.1\r\n\r\n"].concat(), 501),
        (&[&b"A".repeat(65)[..], b" / HTTP/1.1\r\n\r\n"].concat(), 400),
        (b"GET / HTTP/2.0\r\n\r\n", 505),
        (b"GET / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n", 417),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9000\r\n\r\n", 413),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2001\r\n", 413),
    ];
    for (input, status) in cases {
        let (s, a) = serve_all(input);
        assert_eq!(a.iter().map(|a| a.0).collect::<Vec<_>>(), [*status], "{}", String::from_utf8_lossy(input));
        assert!(s.close);
    }
}

#[test]
fn the_body_limit_meets_decoded_bytes_only() {
    // 2,800 one-byte chunks: over 16 KiB of chunked coding for 2,800 bytes of data.
    let mut req = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..2800 {
        req.extend_from_slice(b"1\r\nx\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    assert!(req.len() > 16384);
    let (s, a) = serve_all(&req);
    assert_eq!(a, [(200, "ok".to_string(), false)]);
    assert_eq!(s.consumed, req.len());
    // An over-long chunk extension is malformed, not large.
    let mut req = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;x=".to_vec();
    req.resize(req.len() + 64 * 1024, b'a');
    let (_, a) = serve_all(&req);
    assert_eq!(a[0].0, 400);
}

#[test]
fn expect_continue() {
    let h = heads();
    let c = cx(&h);
    let head = b"POST /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
    // The head alone: the interim answer.
    let mut conn = Conn::default();
    let mut out = vec![0u8; 4096];
    let s = serve(&mut conn, head, &mut out, &c);
    assert_eq!(&out[..s.written], response::CONTINUE);
    let s = serve(&mut conn, b"41", &mut out, &c);
    assert_eq!(answers(&out[..s.written]), [(200, "42".to_string(), false)]);
    // The body already here: no interim answer.
    let (out, ..) = run_pieces(&[&[&head[..], b"41"].concat()], &c);
    assert_eq!(answers(&out), [(200, "42".to_string(), false)]);
    // A refusal known from the head goes out at once, and the connection closes.
    let nope = b"POST /nope HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
    let (out, s, _) = run_pieces(&[nope], &c);
    assert_eq!(answers(&out), [(404, "Not Found\n".to_string(), true)]);
    assert!(s.close);
    // Not for HTTP/1.0, nor without a body, nor for 413 from the head.
    for req in [
        &b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 9000\r\n\r\n",
    ] {
        let mut o = vec![0u8; 4096];
        let s = serve(&mut Conn::default(), req, &mut o, &c);
        assert!(!o[..s.written].starts_with(b"HTTP/1.1 100"), "{}", String::from_utf8_lossy(req));
    }
}

#[test]
fn output_space_and_depth_bound_a_call() {
    let h = heads();
    let input = GET.repeat(10);
    let mut out = vec![0u8; ROOM * 3];
    let s = serve(&mut Conn::default(), &input, &mut out, &cx(&h));
    assert!(s.stopped);
    assert_eq!(s.consumed % GET.len(), 0);
    assert!(s.consumed < input.len());
    let c = Ctx { max_depth: 4, ..cx(&h) };
    let mut out = vec![0u8; 1 << 16];
    let s = serve(&mut Conn::default(), &input, &mut out, &c);
    assert!(s.stopped);
    assert_eq!(s.consumed, 4 * GET.len());
}

#[test]
fn a_head_past_its_limit_is_refused() {
    let mut head = b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: ".to_vec();
    head.resize(LIMITS.max_head + 1, b'a');
    let (s, a) = serve_all(&head);
    assert!(s.close);
    assert_eq!(a[0].0, 431);
}

#[test]
fn websocket_upgrades_are_checked() {
    let base = "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
    let cases: &[(String, u16)] = &[
        (format!("{base}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"), 426),
        (format!("{base}Sec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"), 426),
        (format!("{base}Sec-WebSocket-Version: 13\r\nContent-Length: 1\r\n\r\nx"), 400),
        (format!("{base}Sec-WebSocket-Version: 13\r\n\r\n"), 400),
        (base.replace("/ws", "/elsewhere") + "Sec-WebSocket-Version: 13\r\n\r\n", 404),
    ];
    for (req, status) in cases {
        let (_, a) = serve_all(req.as_bytes());
        assert_eq!(a[0].0, *status, "{req}");
    }
}
