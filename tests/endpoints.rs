//! The endpoints, the response headers, HEAD, and keep-alive / close rules.

mod common;

use common::*;
use std::time::Duration;

/// Sends one request on a fresh connection and reads the answer.
fn ask(server: &Server, req: &[u8]) -> Response {
    let mut c = server.connect();
    c.send(req);
    c.read_response()
}

#[test]
fn get_baseline_sums_query_values() {
    let mut server = Server::start();
    let cases: &[&[i64]] = &[&[13, 42], &[-5, 3], &[7], &[1, 2, 3, 4], &[0, 0], &[-100, -23], &[123456, 654321]];
    for vals in cases {
        let target = format!("/baseline11{}", query_of(vals));
        let want: i64 = vals.iter().sum();
        ask(&server, &get_request(&target)).assert_ok_body(&want.to_string());
    }
    server.assert_healthy();
}

#[test]
fn get_baseline_examples_from_contract() {
    let server = Server::start();
    ask(&server, &get_request("/baseline11?a=13&b=42")).assert_ok_body(&(13 + 42).to_string());
    ask(&server, &get_request("/baseline11?a=-5&b=3")).assert_ok_body(&(-5 + 3).to_string());
    ask(&server, &get_request("/baseline11")).assert_ok_body("0");
}

#[test]
fn post_content_length_adds_body() {
    let mut server = Server::start();
    ask(&server, &post_cl_request("/baseline11?a=13&b=42", b"20")).assert_ok_body(&(13 + 42 + 20).to_string());
    ask(&server, &post_cl_request("/baseline11?a=1&b=2", b"-10")).assert_ok_body(&(1 + 2 - 10).to_string());
    ask(&server, &post_cl_request("/baseline11", b"99")).assert_ok_body("99");
    server.assert_healthy();
}

#[test]
fn post_body_whitespace_is_allowed() {
    let server = Server::start();
    for body in [&b" 20"[..], b"20 ", b"  20  ", b"20\n", b"20\r\n", b"\t20\t", b"\r\n20\r\n"] {
        let r = ask(&server, &post_cl_request("/baseline11?a=13&b=42", body));
        if let Err(e) = r.check_status_body(200, &(13 + 42 + 20).to_string()) {
            panic!("body {:?}: {e}", String::from_utf8_lossy(body));
        }
    }
}

#[test]
fn post_body_not_an_integer_is_400() {
    let mut server = Server::start();
    for body in [&b"abc"[..], b"2x", b"x2", b"2 0", b"--2", b"1.5", b"0x10"] {
        let r = ask(&server, &post_cl_request("/baseline11?a=13&b=42", body));
        assert_eq!(
            r.status,
            400,
            "POST /baseline11 body {:?}: want 400, got {} {:?}",
            String::from_utf8_lossy(body),
            r.status,
            r.body_str()
        );
        r.check_common_headers().unwrap();
    }
    server.assert_healthy();
}

#[test]
fn post_chunked_single_and_several_chunks() {
    let mut server = Server::start();
    let want = (13 + 42 + 20).to_string();
    ask(&server, &post_chunked_request("/baseline11?a=13&b=42", &[b"20"])).assert_ok_body(&want);
    ask(&server, &post_chunked_request("/baseline11?a=13&b=42", &[b"2", b"0"])).assert_ok_body(&want);
    ask(&server, &post_chunked_request("/baseline11?a=13&b=42", &[b" ", b"2", b"0", b" "])).assert_ok_body(&want);
    let want2 = (13 + 42 - 12345).to_string();
    ask(&server, &post_chunked_request("/baseline11?a=13&b=42", &[b"-1", b"23", b"45"])).assert_ok_body(&want2);
    server.assert_healthy();
}

#[test]
fn post_chunked_hex_sizes_in_either_case() {
    let server = Server::start();
    // A 26-byte body: size 1a / 1A / 001a.
    let body = b"          1234            ";
    assert_eq!(body.len(), 0x1a);
    let want = (1 + 1234).to_string();
    for size in ["1a", "1A", "001a", "001A"] {
        let mut req = b"POST /baseline11?a=1 HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        req.extend_from_slice(format!("{size}\r\n").as_bytes());
        req.extend_from_slice(body);
        req.extend_from_slice(b"\r\n0\r\n\r\n");
        let r = ask(&server, &req);
        if let Err(e) = r.check_status_body(200, &want) {
            panic!("chunk size {size}: {e}");
        }
    }
    // Two chunks with sizes b and C.
    let mut req = b"POST /baseline11 HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    req.extend_from_slice(b"b\r\n          7\r\nC\r\n            \r\n0\r\n\r\n");
    ask(&server, &req).assert_ok_body("7");
}

#[test]
fn post_chunked_extensions_and_trailers() {
    let mut server = Server::start();
    let want = (13 + 42 + 20).to_string();
    let head = "POST /baseline11?a=13&b=42 HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
    let bodies: &[(&str, &str)] = &[
        ("extension with value", "2;name=val\r\n20\r\n0\r\n\r\n"),
        ("extension without value", "2;flag\r\n20\r\n0\r\n\r\n"),
        ("quoted extension", "2;name=\"v a l\"\r\n20\r\n0\r\n\r\n"),
        ("extension on last chunk", "1;a=b\r\n2\r\n1;c=d\r\n0\r\n0;e=f\r\n\r\n"),
        ("one trailer", "2\r\n20\r\n0\r\nX-Trailer: yes\r\n\r\n"),
        ("two trailers", "2\r\n20\r\n0\r\nX-One: 1\r\nX-Two: 2\r\n\r\n"),
        ("extensions and trailers", "1;x=y\r\n2\r\n1\r\n0\r\n0;z\r\nX-T: v\r\n\r\n"),
    ];
    for (name, body) in bodies {
        // Each is followed by a GET on the same connection: the chunked body must be consumed exactly.
        let mut c = server.connect();
        let mut req = format!("{head}{body}").into_bytes();
        req.extend_from_slice(&get_request("/pipeline"));
        c.send(&req);
        let r = c.read_response();
        if let Err(e) = r.check_status_body(200, &want) {
            panic!("{name}: {e}");
        }
        let r = c.read_response();
        if let Err(e) = r.check_status_body(200, "ok") {
            panic!("request after {name}: {e}");
        }
    }
    server.assert_healthy();
}

#[test]
fn pipeline_endpoint_and_root() {
    let server = Server::start();
    ask(&server, &get_request("/pipeline")).assert_ok_body("ok");
    ask(&server, &get_request("/")).assert_ok_body("ok");
    ask(&server, &post_cl_request("/", b"anything at all, discarded")).assert_ok_body("ok");
    ask(&server, &post_chunked_request("/", &[b"not ", b"a number"])).assert_ok_body("ok");

    let mut c = server.connect();
    let mut req = head_request("/");
    req.extend_from_slice(&get_request("/pipeline"));
    c.send(&req);
    let r = c.read_head_response();
    r.check_common_headers().unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("2"), "HEAD / Content-Length");
    c.read_response().assert_ok_body("ok");
}

#[test]
fn post_root_discards_body_and_keeps_framing() {
    let server = Server::start();
    let mut c = server.connect();
    let mut req = post_cl_request("/", b"GET /baseline11?a=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    req.extend_from_slice(&get_request("/baseline11?a=5&b=6"));
    c.send(&req);
    c.read_response().assert_ok_body("ok");
    c.read_response().assert_ok_body("11");
}

#[test]
fn unknown_paths_are_404() {
    let mut server = Server::start();
    for target in ["/nope", "/baseline", "/baseline11x", "/baseline12?a=1", "/pipeline/", "/pipelinex", "//", "/index.html"] {
        let r = ask(&server, &get_request(target));
        assert_eq!(r.status, 404, "GET {target}: got {}", r.status);
        r.check_common_headers().unwrap();
        assert_eq!(r.header("content-length").unwrap(), r.body.len().to_string());
    }
    // A 404 keeps the connection usable.
    let mut c = server.connect();
    let mut req = get_request("/missing");
    req.extend_from_slice(&get_request("/baseline11?a=2&b=3"));
    c.send(&req);
    assert_eq!(c.read_response().status, 404);
    c.read_response().assert_ok_body("5");
    server.assert_healthy();
}

#[test]
fn head_baseline_has_length_and_no_body() {
    let server = Server::start();
    let mut c = server.connect();
    let mut req = head_request("/baseline11?a=1&b=2");
    req.extend_from_slice(&get_request("/baseline11?a=10&b=20"));
    req.extend_from_slice(&head_request("/baseline11?a=100&b=23"));
    req.extend_from_slice(&get_request("/pipeline"));
    c.send(&req);

    let r = c.read_head_response();
    r.check_common_headers().unwrap();
    assert_eq!(r.status, 200, "HEAD status; head:\n{}", r.head);
    assert_eq!(r.header("content-length"), Some((1 + 2).to_string().len().to_string().as_str()));
    // The next bytes must be the next response's status line.
    c.read_response().assert_ok_body("30");
    let r = c.read_head_response();
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("3"));
    c.read_response().assert_ok_body("ok");
    assert!(c.leftover().is_empty());
}

#[test]
fn date_header_is_imf_fixdate() {
    let server = Server::start();
    let r = ask(&server, &get_request("/pipeline"));
    let d = r.header("date").expect("Date header");
    check_imf_fixdate(d).unwrap_or_else(|e| panic!("Date {d:?}: {e}"));
    assert!(d.ends_with(" GMT"));
    assert_eq!(d.len(), 29);
}

#[test]
fn every_response_has_common_headers() {
    let server = Server::start();
    let reqs = [
        get_request("/baseline11?a=1"),
        post_cl_request("/baseline11", b"3"),
        post_chunked_request("/baseline11", &[b"4"]),
        get_request("/pipeline"),
        get_request("/"),
        get_request("/not-here"),
    ];
    for req in &reqs {
        let r = ask(&server, req);
        r.check_common_headers().unwrap_or_else(|e| panic!("{}: {e}", preview(req)));
        assert_eq!(r.header("content-length").unwrap(), r.body.len().to_string());
    }
}

#[test]
fn http11_keeps_alive_by_default() {
    let mut server = Server::start();
    let mut c = server.connect();
    for i in 0..20i64 {
        c.send(&get_request(&format!("/baseline11?a={i}&b={}", i * 3)));
        c.read_response().assert_ok_body(&(i + i * 3).to_string());
    }
    c.send(&post_cl_request("/baseline11?a=1", b"1"));
    c.read_response().assert_ok_body("2");
    c.expect_open_and_quiet(Duration::from_millis(300));
    c.send(&get_request("/pipeline"));
    c.read_response().assert_ok_body("ok");
    server.assert_healthy();
}

#[test]
fn http10_closes_after_response() {
    let server = Server::start();
    let mut c = server.connect();
    c.send(b"GET /baseline11?a=4&b=5 HTTP/1.0\r\n\r\n");
    c.read_response().assert_ok_body("9");
    c.expect_eof();

    // Pipelined requests after an HTTP/1.0 request are not answered.
    let mut c = server.connect();
    let mut req = b"GET /pipeline HTTP/1.0\r\nHost: a\r\n\r\n".to_vec();
    req.extend_from_slice(&get_request("/baseline11?a=1"));
    c.send(&req);
    c.read_response().assert_ok_body("ok");
    c.expect_eof();
}

#[test]
fn http10_keep_alive_header_keeps_connection() {
    let server = Server::start();
    let mut c = server.connect();
    for i in 1..=5i64 {
        c.send(format!("GET /baseline11?a={i} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").as_bytes());
        c.read_response().assert_ok_body(&i.to_string());
    }
    c.send(b"POST /baseline11?a=1 HTTP/1.0\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\n41");
    c.read_response().assert_ok_body("42");
    c.send(b"GET /pipeline HTTP/1.0\r\n\r\n");
    c.read_response().assert_ok_body("ok");
    c.expect_eof();
}

#[test]
fn connection_close_closes_promptly() {
    let mut server = Server::start();
    for req in [
        &b"GET /baseline11?a=1&b=2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"[..],
        b"GET /baseline11?a=1&b=2 HTTP/1.1\r\nConnection: close\r\nHost: a\r\n\r\n",
        b"GET /baseline11?a=1&b=2 HTTP/1.1\r\nHost: a\r\nconnection: Close\r\n\r\n",
        b"POST /baseline11?a=1&b=2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 1\r\n\r\n0",
    ] {
        let mut c = server.connect();
        c.send(req);
        c.read_response().assert_ok_body("3");
        c.try_expect_eof().unwrap_or_else(|e| panic!("{}: {e}", preview(req)));
    }
    // The server closes without waiting for the client.
    let mut c = server.connect();
    c.send(&get_request("/pipeline"));
    c.read_response().assert_ok_body("ok");
    c.send(b"GET /pipeline HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    c.read_response().assert_ok_body("ok");
    c.expect_eof();
    server.assert_healthy();
}

#[test]
fn connection_close_stops_a_pipeline() {
    let server = Server::start();
    let mut c = server.connect();
    let mut req = get_request("/baseline11?a=1");
    req.extend_from_slice(b"GET /baseline11?a=2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    req.extend_from_slice(&get_request("/baseline11?a=3"));
    c.send(&req);
    c.read_response().assert_ok_body("1");
    c.read_response().assert_ok_body("2");
    c.expect_eof();
}

#[test]
fn absolute_form_and_options_are_not_required_but_harmless() {
    // Whatever the server answers to these, it must answer with a complete response and stay up.
    let mut server = Server::start();
    for req in [
        &b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"[..],
        b"GET http://localhost/baseline11?a=1 HTTP/1.1\r\nHost: localhost\r\n\r\n",
    ] {
        let mut c = server.connect();
        c.send(req);
        let r = c.try_read_response(false).unwrap_or_else(|e| panic!("{}: {e}", preview(req)));
        r.check_common_headers().unwrap();
    }
    server.assert_healthy();
}
