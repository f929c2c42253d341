//! Request smuggling and head conformance (RFC 9112 §6.1, §6.3; RFC 9110): framing that could be
//! read two ways is refused with a status and a close; Host, target and method rules; chunk
//! extensions; CRLF only.

mod common;

use common::*;
use std::time::Duration;

/// A request that must be answered 200 with this body, on a connection that stays usable.
struct Accepted {
    name: &'static str,
    bytes: Vec<u8>,
    body: &'static str,
}

fn accepted(name: &'static str, bytes: &[u8], body: &'static str) -> Accepted {
    Accepted { name, bytes: bytes.to_vec(), body }
}

fn check_accepted(server: &Server, c: &Accepted) -> Result<(), String> {
    let mut conn = Conn::connect(server.addr()).map_err(|e| format!("{}: connect: {e}", c.name))?;
    conn.try_send(&c.bytes).map_err(|e| format!("{}: send: {e}", c.name))?;
    let r = conn
        .try_read_response(false)
        .map_err(|e| format!("{} (sent {:?}): {e}", c.name, preview(&c.bytes)))?;
    r.check_status_body(200, c.body)
        .map_err(|e| format!("{} (sent {:?}): {e}", c.name, preview(&c.bytes)))?;
    // The connection is still good for a next request.
    conn.try_send(&get_request("/baseline11?a=11&b=31"))
        .map_err(|e| format!("{}: follow-up send: {e}", c.name))?;
    let r = conn.try_read_response(false).map_err(|e| format!("{}: follow-up: {e}", c.name))?;
    r.check_status_body(200, "42").map_err(|e| format!("{}: follow-up: {e}", c.name))
}

fn run_accepted(server: &mut Server, cases: &[Accepted]) {
    let failures: Vec<String> = cases.iter().filter_map(|c| check_accepted(server, c).err()).collect();
    server.assert_healthy();
    assert_no_failures(&failures, cases.len());
}

const POST_HEAD: &str = "POST /baseline11?a=1 HTTP/1.1\r\nHost: a\r\n";

fn post_with(fields: &str, rest: &str) -> Vec<u8> {
    format!("{POST_HEAD}{fields}\r\n{rest}").into_bytes()
}

#[test]
fn content_length_with_transfer_encoding_is_400() {
    let mut server = Server::start();
    let cases = vec![
        Refusal {
            name: "CL then TE",
            bytes: post_with("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "1\r\n2\r\n0\r\n\r\n"),
            statuses: &[400],
        },
        Refusal {
            name: "TE then CL",
            bytes: post_with("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "1\r\n2\r\n0\r\n\r\n"),
            statuses: &[400],
        },
        Refusal {
            name: "CL 0 with TE",
            bytes: post_with("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", "1\r\n2\r\n0\r\n\r\n"),
            statuses: &[400],
        },
        Refusal {
            name: "CL with upper-case TE name",
            bytes: post_with("Content-Length: 5\r\nTRANSFER-ENCODING: chunked\r\n", "1\r\n2\r\n0\r\n\r\n"),
            statuses: &[400],
        },
    ];
    run_refusals(&mut server, &cases);
}

#[test]
fn transfer_encoding_other_than_lone_chunked() {
    let mut server = Server::start();
    let body = "2\r\n20\r\n0\r\n\r\n";
    let cases = vec![
        // RFC 9112 §6.3: chunked not the final coding, so the length cannot be known: 400.
        Refusal { name: "TE gzip", bytes: post_with("Transfer-Encoding: gzip\r\n", body), statuses: &[400] },
        Refusal {
            name: "TE gzip, chunked",
            bytes: post_with("Transfer-Encoding: gzip, chunked\r\n", body),
            statuses: &[501],
        },
        Refusal {
            name: "TE chunked, gzip",
            bytes: post_with("Transfer-Encoding: chunked, gzip\r\n", body),
            statuses: &[400],
        },
        Refusal { name: "TE identity", bytes: post_with("Transfer-Encoding: identity\r\n", body), statuses: &[400] },
        Refusal {
            name: "TE chunked, chunked",
            bytes: post_with("Transfer-Encoding: chunked, chunked\r\n", body),
            statuses: &[400],
        },
        Refusal {
            name: "TE gzip and TE chunked as two fields",
            bytes: post_with("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", body),
            statuses: &[501],
        },
        Refusal {
            name: "TE chunked and TE gzip as two fields",
            bytes: post_with("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", body),
            statuses: &[400],
        },
    ];
    run_refusals(&mut server, &cases);
}

#[test]
fn invalid_content_length_is_400() {
    let mut server = Server::start();
    let cases = vec![
        Refusal {
            name: "differing duplicate Content-Length",
            bytes: post_with("Content-Length: 5\r\nContent-Length: 6\r\n", "12345"),
            statuses: &[400],
        },
        Refusal { name: "Content-Length +5", bytes: post_with("Content-Length: +5\r\n", "12345"), statuses: &[400] },
        Refusal { name: "Content-Length -5", bytes: post_with("Content-Length: -5\r\n", "12345"), statuses: &[400] },
        Refusal { name: "Content-Length 5 5", bytes: post_with("Content-Length: 5 5\r\n", "12345"), statuses: &[400] },
        Refusal { name: "Content-Length 0x5", bytes: post_with("Content-Length: 0x5\r\n", "12345"), statuses: &[400] },
        Refusal {
            name: "Content-Length overflowing 64 bits",
            bytes: post_with("Content-Length: 99999999999999999999999\r\n", "12345"),
            statuses: &[400],
        },
    ];
    run_refusals(&mut server, &cases);
}

#[test]
fn invalid_chunk_framing_is_400() {
    let mut server = Server::start();
    let te = "Transfer-Encoding: chunked\r\n";
    let cases = vec![
        Refusal {
            name: "chunk size overflowing 64 bits",
            bytes: post_with(te, "FFFFFFFFFFFFFFFFFF\r\n12\r\n0\r\n\r\n"),
            statuses: &[400],
        },
        Refusal { name: "non-hex chunk size", bytes: post_with(te, "zz\r\n12\r\n0\r\n\r\n"), statuses: &[400] },
        Refusal {
            name: "missing CRLF after chunk data",
            bytes: post_with(te, "2\r\n12XX0\r\n\r\n"),
            statuses: &[400],
        },
        Refusal {
            name: "chunk data longer than its size",
            bytes: post_with(te, "2\r\n123\r\n0\r\n\r\n"),
            statuses: &[400],
        },
    ];
    run_refusals(&mut server, &cases);
}

#[test]
fn body_embedding_a_request_is_not_a_second_request() {
    let mut server = Server::start();
    let inner = b"GET /baseline11?a=1 HTTP/1.1\r\nHost: a\r\n\r\n";

    // Content-Length body, sent alone: exactly one answer, then silence.
    let mut c = server.connect();
    let mut req = format!("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n", inner.len()).into_bytes();
    req.extend_from_slice(inner);
    c.send(&req);
    c.read_response().assert_ok_body("ok");
    c.expect_open_and_quiet(Duration::from_millis(500));
    c.send(&get_request("/baseline11?a=7"));
    c.read_response().assert_ok_body("7");
    c.expect_open_and_quiet(Duration::from_millis(200));

    // The same followed by a real request in the same write: two answers, in order.
    let mut c = server.connect();
    let mut both = req.clone();
    both.extend_from_slice(&get_request("/baseline11?a=8&b=1"));
    c.send(&both);
    c.read_response().assert_ok_body("ok");
    c.read_response().assert_ok_body("9");
    c.expect_open_and_quiet(Duration::from_millis(500));

    // Chunked body carrying the same bytes.
    let mut c = server.connect();
    c.send(&post_chunked_request("/", &[&inner[..10], &inner[10..]]));
    c.read_response().assert_ok_body("ok");
    c.expect_open_and_quiet(Duration::from_millis(500));
    c.send(&get_request("/baseline11?a=5&b=5"));
    c.read_response().assert_ok_body("10");

    // The body arriving in a later write than the head.
    let mut c = server.connect();
    let head_len = req.len() - inner.len();
    c.send(&req[..head_len]);
    std::thread::sleep(Duration::from_millis(100));
    c.send(&req[head_len..]);
    c.read_response().assert_ok_body("ok");
    c.expect_open_and_quiet(Duration::from_millis(500));
    c.send(&get_request("/baseline11?a=3"));
    c.read_response().assert_ok_body("3");

    server.assert_healthy();
}

#[test]
fn host_rules() {
    let mut server = Server::start();
    let cases = vec![
        refusal("HTTP/1.1 without Host", b"GET /baseline11?a=1 HTTP/1.1\r\n\r\n", &[400]),
        refusal("two Host fields", b"GET /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", &[400]),
        refusal("two differing Host fields", b"GET /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &[400]),
        refusal("empty Host", b"GET /baseline11?a=1 HTTP/1.1\r\nHost:\r\n\r\n", &[400]),
        refusal("Host with userinfo", b"GET /baseline11?a=1 HTTP/1.1\r\nHost: user@a\r\n\r\n", &[400]),
        refusal("Host with a path", b"GET /baseline11?a=1 HTTP/1.1\r\nHost: a/b\r\n\r\n", &[400]),
        refusal("Host as a list", b"GET /baseline11?a=1 HTTP/1.1\r\nHost: a, b\r\n\r\n", &[400]),
    ];
    run_refusals(&mut server, &cases);

    let fine = vec![
        accepted("Host with port", b"GET /baseline11?a=2 HTTP/1.1\r\nHost: localhost:8080\r\n\r\n", "2"),
        accepted("Host as IPv4", b"GET /baseline11?a=4 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "4"),
        accepted("Host as IPv6 literal", b"GET /baseline11?a=6 HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", "6"),
    ];
    run_accepted(&mut server, &fine);

    // HTTP/1.0 needs no Host; it closes after the answer.
    let mut c = server.connect();
    c.send(b"GET /baseline11?a=12&b=30 HTTP/1.0\r\n\r\n");
    c.read_response().assert_ok_body("42");
    c.expect_eof();
    server.assert_healthy();
}

#[test]
fn target_forms_and_methods() {
    let mut server = Server::start();

    let mut c = server.connect();
    c.send(b"GET http://localhost/baseline11?a=2&b=3 HTTP/1.1\r\nHost: localhost\r\n\r\n");
    c.read_response().assert_ok_body("5");

    c.send(b"OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let r = c.read_response();
    r.assert_status(200);
    let allow = r.header("allow").unwrap_or_else(|| panic!("OPTIONS * answered without Allow; head:\n{}", r.head));
    for m in ["GET", "HEAD", "POST", "OPTIONS"] {
        assert!(
            allow.split(',').any(|x| x.trim() == m),
            "Allow {allow:?} does not list {m}; head:\n{}",
            r.head
        );
    }
    // The connection is still usable after both.
    c.send(&get_request("/baseline11?a=1&b=1"));
    c.read_response().assert_ok_body("2");

    let long_method = "A".repeat(100);
    let long_method_req = format!("{long_method} / HTTP/1.1\r\nHost: a\r\n\r\n");
    let cases = vec![
        refusal("fragment in target", b"GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", &[400]),
        refusal("fragment after query", b"GET /baseline11?a=1#x HTTP/1.1\r\nHost: a\r\n\r\n", &[400]),
        refusal("control byte in target", b"GET /base\x01line11?a=1 HTTP/1.1\r\nHost: a\r\n\r\n", &[400]),
        refusal("DEL in target", b"GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", &[400]),
        refusal("unknown method BREW", b"BREW / HTTP/1.1\r\nHost: a\r\n\r\n", &[501]),
        Refusal { name: "100-byte method", bytes: long_method_req.into_bytes(), statuses: &[400] },
    ];
    run_refusals(&mut server, &cases);
}

#[test]
fn chunk_extensions() {
    let mut server = Server::start();
    let fine = vec![
        accepted(
            "chunk extension a=b",
            b"POST /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2;a=b\r\n20\r\n0\r\n\r\n",
            "21",
        ),
        accepted(
            "chunk extension without value",
            b"POST /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2;a\r\n20\r\n0\r\n\r\n",
            "21",
        ),
        accepted(
            "extension on the last chunk",
            b"POST /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n20\r\n0;x=y\r\n\r\n",
            "21",
        ),
    ];
    run_accepted(&mut server, &fine);
    let cases = vec![
        refusal(
            "bare ; after chunk size",
            b"POST /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2;\r\n20\r\n0\r\n\r\n",
            &[400],
        ),
        refusal(
            "bare ; on the last chunk",
            b"POST /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n20\r\n0;\r\n\r\n",
            &[400],
        ),
    ];
    run_refusals(&mut server, &cases);
}

#[test]
fn bare_lf_line_endings_are_400() {
    let mut server = Server::start();
    let cases = vec![
        refusal("all bare LF", b"GET / HTTP/1.1\nHost: a\n\n", &[400]),
        refusal("bare LF after request line", b"GET / HTTP/1.1\nHost: a\r\n\r\n", &[400]),
        refusal("bare LF after a field", b"GET / HTTP/1.1\r\nHost: a\n\r\n", &[400]),
        refusal("bare LF ending the head", b"GET / HTTP/1.1\r\nHost: a\r\n\n", &[400]),
        refusal(
            "bare LF after chunk size",
            b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\n20\r\n0\r\n\r\n",
            &[400],
        ),
    ];
    run_refusals(&mut server, &cases);
}
