//! Malformed and hostile input: the right status, then a close; the server stays healthy.

mod common;

use common::*;
use std::time::Duration;

/// Each case runs on a fresh connection of one server, which must stay healthy.
fn run_cases(cases: &[Refusal]) {
    let mut server = Server::start();
    run_refusals(&mut server, cases);
}

fn request_line_cases() -> Vec<Refusal> {
    vec![
        refusal("no version", b"GET /\r\nHost: a\r\n\r\n", &[400]),
        refusal("two spaces after method", b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", &[400]),
        refusal("two spaces before version", b"GET /  HTTP/1.1\r\nHost: a\r\n\r\n", &[400]),
        refusal("trailing junk after version", b"GET / HTTP/1.1 x\r\nHost: a\r\n\r\n", &[400]),
        refusal("tab as separator", b"GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", &[400]),
        refusal("lower-case http", b"GET / http/1.1\r\nHost: a\r\n\r\n", &[400]),
        refusal("version without minor", b"GET / HTTP/1\r\nHost: a\r\n\r\n", &[400]),
        refusal("version letters", b"GET / HTTP/x.y\r\nHost: a\r\n\r\n", &[400]),
        refusal("empty method", b" / HTTP/1.1\r\nHost: a\r\n\r\n", &[400]),
        refusal("space in target", b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", &[400]),
        refusal("control byte in target", b"GET /a\x7fb HTTP/1.1\r\nHost: a\r\n\r\n", &[400]),
        refusal("NUL in target", b"GET /base\0line11?a=1 HTTP/1.1\r\nHost: a\r\n\r\n", &[400]),
        refusal("NUL in method", b"G\0T / HTTP/1.1\r\nHost: a\r\n\r\n", &[400]),
        refusal("bare CR after version", b"GET / HTTP/1.1\rHost: a\r\n\r\n", &[400]),
        refusal("bare CR inside target", b"GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", &[400]),
        refusal("binary first byte", b"\x8a\x65\x11\x7f GET / HTTP/1.1\r\n\r\n", &[400]),
        refusal("missing Host in HTTP/1.1", b"GET /baseline11?a=1 HTTP/1.1\r\n\r\n", &[400]),
        refusal("missing Host with other headers", b"GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", &[400]),
    ]
}

fn header_cases() -> Vec<Refusal> {
    vec![
        refusal("header without colon", b"GET / HTTP/1.1\r\nHost: a\r\nX-Bad\r\n\r\n", &[400]),
        refusal("empty header name", b"GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", &[400]),
        refusal("space in header name", b"GET / HTTP/1.1\r\nHost: a\r\nX Y: v\r\n\r\n", &[400]),
        refusal("space before colon", b"GET / HTTP/1.1\r\nHost: a\r\nX-Y : v\r\n\r\n", &[400]),
        refusal("control byte in value", b"GET / HTTP/1.1\r\nHost: a\r\nX-Y: a\x01b\r\n\r\n", &[400]),
        refusal("NUL in value", b"GET / HTTP/1.1\r\nHost: a\r\nContent-Type: text/\0plain\r\n\r\n", &[400]),
        refusal("bare CR in value", b"GET / HTTP/1.1\r\nHost: a\r\nX-Y: a\rb\r\n\r\n", &[400]),
        refusal("bare CR ending a field", b"GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", &[400]),
        refusal("obs-fold with tab", b"GET / HTTP/1.1\r\nHost: a\r\nX-Split: start\r\n\tcontinued\r\n\r\n", &[400]),
        refusal("obs-fold with space", b"GET / HTTP/1.1\r\nHost: a\r\nX-Split: start\r\n continued\r\n\r\n", &[400]),
        refusal("whitespace before first field", b"GET / HTTP/1.1\r\n Host: a\r\n\r\n", &[400]),
    ]
}

fn framing_cases() -> Vec<Refusal> {
    vec![
        refusal("Content-Length letters", b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", &[400]),
        refusal("Content-Length negative", b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", &[400]),
        refusal("Content-Length plus sign", b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nContent-Length: +2\r\n\r\n20", &[400]),
        refusal("Content-Length two numbers", b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n20", &[400]),
        refusal("Content-Length empty", b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", &[400]),
        refusal("Content-Length hex", b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nContent-Length: 0x2\r\n\r\n20", &[400]),
        refusal(
            "Content-Length overflowing u64",
            b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nContent-Length: 999999999999999999999999\r\n\r\n",
            &[400, 413],
        ),
        refusal(
            "differing duplicate Content-Length",
            b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n20",
            &[400],
        ),
        refusal(
            "differing Content-Length list",
            b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 3\r\n\r\n20",
            &[400],
        ),
        refusal(
            "Content-Length and Transfer-Encoding",
            b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n20\r\n0\r\n\r\n",
            &[400],
        ),
        refusal(
            "Transfer-Encoding and Content-Length",
            b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n20\r\n0\r\n\r\n",
            &[400],
        ),
        refusal(
            "bad chunk size",
            b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n20\r\n0\r\n\r\n",
            &[400],
        ),
        refusal(
            "chunk data without CRLF",
            b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n20XY0\r\n\r\n",
            &[400],
        ),
        refusal(
            "body too large by Content-Length",
            b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n\r\n",
            &[413],
        ),
        refusal(
            "body too large by chunk size",
            b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFF\r\n",
            &[413],
        ),
        refusal(
            "chunk size overflowing u64",
            b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1FFFFFFFFFFFFFFFFFFFF\r\n",
            &[400, 413],
        ),
        // RFC 9112 §6.3: when chunked is not the final coding the length cannot be known: 400.
        refusal(
            "Transfer-Encoding whose final coding is not chunked",
            b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
            &[400],
        ),
        refusal(
            "unknown Transfer-Encoding before chunked",
            b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n20\r\n0\r\n\r\n",
            &[501],
        ),
    ]
}

fn method_version_cases() -> Vec<Refusal> {
    vec![
        refusal("unknown method BREW", b"BREW / HTTP/1.1\r\nHost: a\r\n\r\n", &[501]),
        refusal("unknown method PATCH", b"PATCH /baseline11 HTTP/1.1\r\nHost: a\r\n\r\n", &[501]),
        refusal("lower-case get", b"get / HTTP/1.1\r\nHost: a\r\n\r\n", &[501]),
        refusal("HTTP/2.0", b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", &[505]),
        refusal("HTTP/3.0", b"GET /baseline11 HTTP/3.0\r\nHost: a\r\n\r\n", &[505]),
        refusal("HTTP/0.9", b"GET / HTTP/0.9\r\nHost: a\r\n\r\n", &[505, 400]),
    ]
}

fn size_cases() -> Vec<Refusal> {
    let mut big_field = b"GET /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nX-Big: ".to_vec();
    big_field.extend(std::iter::repeat_n(b'v', 9000));
    big_field.extend_from_slice(b"\r\n\r\n");
    let mut many_fields = b"GET /baseline11?a=1 HTTP/1.1\r\nHost: a\r\n".to_vec();
    for i in 0..200 {
        many_fields.extend_from_slice(format!("X-Field-{i:03}: {}\r\n", "w".repeat(40)).as_bytes());
    }
    many_fields.extend_from_slice(b"\r\n");
    assert!(many_fields.len() > 8192 + 1000);
    vec![
        Refusal { name: "one 9000-byte field", bytes: big_field, statuses: &[431] },
        Refusal { name: "200 fields over 8 KiB", bytes: many_fields, statuses: &[431] },
    ]
}

/// Prefixes that already prove the request malformed: sent without anything after them, the
/// answer must come without waiting for more.
fn early_cases() -> Vec<Refusal> {
    let mut unterminated = b"GET /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nX-Big: ".to_vec();
    unterminated.extend(std::iter::repeat_n(b'v', 10_000));
    vec![
        refusal("control byte in field, no more", b"GET /x HTTP/1.1\r\nHost: a\r\nX\x01", &[400]),
        refusal("binary first byte, no more", b"\x8a", &[400]),
        refusal("NUL in target, no more", b"GET /base\0", &[400]),
        refusal("bare CR in request line, no more", b"GET / HTTP/1.1\rH", &[400]),
        refusal("obs-fold, no more", b"GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n ", &[400]),
        refusal("field without colon, no more", b"GET / HTTP/1.1\r\nHost: a\r\nX-Bad\r\n", &[400]),
        refusal("bad Content-Length, no more", b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n", &[400]),
        refusal(
            "Content-Length over the limit, no more",
            b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n",
            &[413],
        ),
        refusal("HTTP/2.0, no more", b"GET / HTTP/2.0\r\n", &[505]),
        Refusal { name: "unterminated 10 KB head, no more", bytes: unterminated, statuses: &[431] },
    ]
}

#[test]
fn malformed_request_line_is_400() {
    run_cases(&request_line_cases());
}

#[test]
fn malformed_header_is_400() {
    run_cases(&header_cases());
}

#[test]
fn malformed_framing_is_rejected() {
    run_cases(&framing_cases());
}

#[test]
fn unknown_method_501_and_version_505() {
    run_cases(&method_version_cases());
}

#[test]
fn oversized_head_is_431() {
    run_cases(&size_cases());
}

#[test]
fn answer_comes_as_soon_as_bytes_prove_malformed() {
    run_cases(&early_cases());
}

#[test]
fn exact_contract_example_control_byte() {
    let mut server = Server::start();
    let mut c = server.connect();
    c.send(b"GET /x HTTP/1.1\r\nHost: a\r\nX\x01");
    let r = c.read_response();
    r.assert_status(400);
    c.expect_eof();
    server.assert_healthy();
}

#[test]
fn valid_request_then_garbage_in_one_write() {
    let mut server = Server::start();
    let mut c = server.connect();
    let mut req = get_request("/baseline11?a=20&b=22");
    req.extend_from_slice(b"GARBAGE\x01\x02\r\n\r\n");
    c.send(&req);
    c.read_response().assert_ok_body("42");
    c.read_response().assert_status(400);
    c.expect_eof();

    let mut c = server.connect();
    let mut req = post_cl_request("/baseline11?a=1", b"2");
    req.extend_from_slice(b"GET / HTTP/9.9\r\nHost: a\r\n\r\n");
    c.send(&req);
    c.read_response().assert_ok_body("3");
    c.read_response().assert_status(505);
    c.expect_eof();
    server.assert_healthy();
}

#[test]
fn hostile_input_does_not_disturb_other_connections() {
    let mut server = Server::start();
    let mut bystander = server.connect();
    bystander.send(&get_request("/baseline11?a=1"));
    bystander.read_response().assert_ok_body("1");
    // A connection in the middle of a request, too.
    let mut half = server.connect();
    half.send(b"POST /baseline11?a=5 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n1");

    let mut all = Vec::new();
    all.extend(request_line_cases());
    all.extend(header_cases());
    all.extend(framing_cases());
    all.extend(method_version_cases());
    all.extend(size_cases());
    all.extend(early_cases());
    let mut failures = Vec::new();
    for c in &all {
        if let Err(e) = check_refusal(&server, c) {
            failures.push(e);
        }
    }
    // Random binary noise on many connections.
    let mut rng = Rng::new(0x5eed_0001);
    for _ in 0..50 {
        let mut c = server.connect();
        let n = 1 + rng.below(600) as usize;
        let noise: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        let _ = c.try_send(&noise);
        drop(c);
    }
    server.assert_running();

    bystander.send(&get_request("/baseline11?a=2&b=2"));
    bystander.read_response().assert_ok_body("4");
    half.send(b"00");
    half.read_response().assert_ok_body(&(5 + 100).to_string());
    server.assert_healthy();
    assert!(failures.is_empty(), "{} cases failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn abrupt_disconnects_mid_request() {
    let mut server = Server::start();
    let prefixes: &[&[u8]] = &[
        b"GET /baseline11?a=1 HTTP/1.1\r\nHo",
        b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12",
        b"POST /baseline11 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n1",
    ];
    for _ in 0..20 {
        for p in prefixes {
            let mut c = server.connect();
            c.send(p);
            drop(c);
        }
    }
    std::thread::sleep(Duration::from_millis(100));
    server.assert_healthy();
}
