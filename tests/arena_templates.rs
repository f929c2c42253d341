//! The HttpArena request templates shipped in tests/data/arena-requests.

mod common;

use common::*;
use std::time::Duration;

const VALID: &[&str] = &["get.raw", "post_cl.raw", "post_chunked.raw", "pipeline.raw", "valid-get1.raw", "valid-post1.raw"];

const NOISE: &[&str] = &[
    "noise-badcl.raw",
    "noise-badheader.raw",
    "noise-badpath.raw",
    "noise-bare-cr.raw",
    "noise-binary.raw",
    "noise-double-crlf.raw",
    "noise-empty-header.raw",
    "noise-huge-header.raw",
    "noise-null-byte.raw",
    "noise-obs-fold.raw",
];

/// The answer body a valid template must get, computed from its bytes: `ok` for /pipeline,
/// else the sum of the query values plus the (Content-Length or chunked) body.
fn expected_body(raw: &[u8]) -> String {
    let head_end = find(raw, b"\r\n\r\n").expect("template has a head") + 4;
    let head = std::str::from_utf8(&raw[..head_end]).expect("ASCII head");
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap();
    let mut parts = request_line.split(' ');
    let _method = parts.next().unwrap();
    let target = parts.next().unwrap();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path == "/pipeline" {
        return "ok".to_string();
    }
    assert_eq!(path, "/baseline11", "unexpected template path");
    let mut sum: i64 = 0;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (_, v) = pair.split_once('=').unwrap();
        sum += v.parse::<i64>().unwrap();
    }
    let mut content_length = None;
    let mut chunked = false;
    for l in lines {
        if let Some((n, v)) = l.split_once(':') {
            if n.eq_ignore_ascii_case("content-length") {
                content_length = Some(v.trim().parse::<usize>().unwrap());
            }
            if n.eq_ignore_ascii_case("transfer-encoding") && v.trim().eq_ignore_ascii_case("chunked") {
                chunked = true;
            }
        }
    }
    let rest = &raw[head_end..];
    let body: Vec<u8> = if chunked {
        let mut out = Vec::new();
        let mut p = rest;
        loop {
            let le = find(p, b"\r\n").unwrap();
            let size_text = std::str::from_utf8(&p[..le]).unwrap();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
            p = &p[le + 2..];
            if size == 0 {
                break;
            }
            out.extend_from_slice(&p[..size]);
            p = &p[size + 2..];
        }
        out
    } else if let Some(n) = content_length {
        rest[..n].to_vec()
    } else {
        Vec::new()
    };
    if !body.is_empty() {
        sum += std::str::from_utf8(&body).unwrap().trim().parse::<i64>().unwrap();
    }
    sum.to_string()
}

#[test]
fn computed_expectations_match_the_readme() {
    let table = [
        ("get.raw", "55"),
        ("post_cl.raw", "75"),
        ("post_chunked.raw", "75"),
        ("pipeline.raw", "ok"),
        ("valid-get1.raw", "55"),
        ("valid-post1.raw", "31"),
    ];
    for (name, want) in table {
        assert_eq!(expected_body(&template(name)), want, "{name}");
    }
    for name in VALID.iter().chain(NOISE) {
        assert!(templates_dir().join(name).is_file(), "missing template {name}");
    }
}

#[derive(Clone, Copy)]
enum Mode {
    Whole,
    Bytewise(Option<Duration>),
}

fn send(c: &mut Conn, bytes: &[u8], mode: Mode) {
    match mode {
        Mode::Whole => {
            let _ = c.try_send(bytes);
        }
        Mode::Bytewise(pause) => {
            let _ = c.send_bytewise(bytes, pause);
        }
    }
}

/// Sends one template on a fresh connection and checks the answer; errors come back as text.
fn check_template(server: &Server, name: &str, mode: Mode) -> Result<(), String> {
    let raw = template(name);
    let mut c = Conn::connect(server.addr()).map_err(|e| format!("{name}: connect: {e}"))?;
    let read = |c: &mut Conn| c.try_read_response(false).map_err(|e| format!("{name}: {e}"));
    match name {
        n if VALID.contains(&n) => {
            send(&mut c, &raw, mode);
            let want = expected_body(&raw);
            read(&mut c)?.check_status_body(200, &want).map_err(|e| format!("{name}: {e}"))?;
            // Still open: a second request on the same connection.
            c.try_send(&raw).map_err(|e| format!("{name}: second send: {e}"))?;
            read(&mut c)?.check_status_body(200, &want).map_err(|e| format!("{name} (second): {e}"))
        }
        "noise-badpath.raw" => {
            send(&mut c, &raw, mode);
            let r = read(&mut c)?;
            if r.status != 404 {
                return Err(format!("{name}: want 404, got {} {:?}", r.status, r.body_str()));
            }
            r.check_common_headers().map_err(|e| format!("{name}: {e}"))?;
            c.try_send(&template("get.raw")).map_err(|e| format!("{name}: send after 404: {e}"))?;
            read(&mut c)?.check_status_body(200, "55").map_err(|e| format!("{name}: after 404: {e}"))
        }
        "noise-double-crlf.raw" => {
            send(&mut c, &raw, mode);
            read(&mut c)?.check_status_body(200, "2").map_err(|e| format!("{name}: {e}"))?;
            let r = read(&mut c)?;
            if r.status != 400 {
                return Err(format!("{name}: junk after the request: want 400, got {} {:?}", r.status, r.body_str()));
            }
            r.check_common_headers().map_err(|e| format!("{name}: {e}"))?;
            c.try_expect_eof().map_err(|e| format!("{name}: {e}"))
        }
        "noise-badcl.raw" => {
            // Content-Length: 999 and no body: nothing is wrong yet. At end of input the server
            // may answer 400 or just close; it must not answer 2xx or hang.
            send(&mut c, &raw, mode);
            c.shutdown_write();
            // Long enough for a 408 sent when a header/body timeout of 10 s runs out.
            let _ = c.stream.set_read_timeout(Some(Duration::from_secs(15)));
            match c.try_read_response(false) {
                Ok(r) => {
                    if !(400..500).contains(&r.status) {
                        return Err(format!("{name}: want a 4xx or a close, got {} {:?}", r.status, r.body_str()));
                    }
                    r.check_common_headers().map_err(|e| format!("{name}: {e}"))?;
                    c.try_expect_eof().map_err(|e| format!("{name}: {e}"))
                }
                Err(e) if e.contains("closed before any response byte") || e.contains("reset") => Ok(()),
                Err(e) => Err(format!("{name}: {e}")),
            }
        }
        _ => {
            let statuses: &[u16] = if name == "noise-huge-header.raw" { &[431, 400] } else { &[400] };
            send(&mut c, &raw, mode);
            let r = read(&mut c)?;
            if !statuses.contains(&r.status) {
                return Err(format!("{name}: want {statuses:?}, got {} {:?}", r.status, r.body_str()));
            }
            r.check_common_headers().map_err(|e| format!("{name}: {e}"))?;
            c.try_expect_eof().map_err(|e| format!("{name}: {e}"))
        }
    }
}

/// After each template, a fresh client still gets 55 for get.raw.
fn check_all(names: &[&str], mode: Mode) {
    let mut server = Server::start();
    let mut failures = Vec::new();
    for name in names {
        if let Err(e) = check_template(&server, name, mode) {
            failures.push(e);
        }
        let mut c = server.connect();
        c.send(&template("get.raw"));
        if let Err(e) = c.try_read_response(false).and_then(|r| r.check_status_body(200, "55")) {
            failures.push(format!("get.raw after {name}: {e}"));
        }
    }
    server.assert_healthy();
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn valid_templates_get_the_right_answer() {
    check_all(VALID, Mode::Whole);
}

#[test]
fn noise_templates_get_4xx_and_server_stays_healthy() {
    check_all(NOISE, Mode::Whole);
}

#[test]
fn valid_templates_byte_at_a_time() {
    check_all(VALID, Mode::Bytewise(None));
}

#[test]
fn noise_templates_byte_at_a_time() {
    check_all(NOISE, Mode::Bytewise(None));
}

#[test]
fn templates_byte_at_a_time_with_pauses() {
    check_all(
        &["get.raw", "post_cl.raw", "post_chunked.raw", "noise-bare-cr.raw", "noise-double-crlf.raw"],
        Mode::Bytewise(Some(Duration::from_millis(1))),
    );
}

#[test]
fn baseline_shapes_repeated_on_one_connection() {
    let mut server = Server::start();
    for name in ["get.raw", "post_cl.raw", "post_chunked.raw"] {
        let raw = template(name);
        let want = expected_body(&raw);
        let mut c = server.connect();
        for i in 0..200 {
            c.send(&raw);
            let r = c.read_response();
            if let Err(e) = r.check_status_body(200, &want) {
                panic!("{name} repetition {i}: {e}");
            }
        }
    }
    // The three rotated on one connection, as the baseline profile does.
    let shapes: Vec<(Vec<u8>, String)> = ["get.raw", "post_cl.raw", "post_chunked.raw"]
        .iter()
        .map(|n| {
            let raw = template(n);
            let want = expected_body(&raw);
            (raw, want)
        })
        .collect();
    let mut c = server.connect();
    for i in 0..300 {
        let (raw, want) = &shapes[i % 3];
        c.send(raw);
        c.read_response().assert_ok_body(want);
    }
    server.assert_healthy();
}

#[test]
fn pipeline_template_16_deep() {
    let mut server = Server::start();
    let raw = template("pipeline.raw");
    let mut c = server.connect();
    for round in 0..50 {
        let batch: Vec<u8> = raw.repeat(16);
        c.send(&batch);
        for i in 0..16 {
            let r = c.read_response();
            if let Err(e) = r.check_status_body(200, "ok") {
                panic!("round {round}, answer {i}: {e}");
            }
        }
        assert!(c.leftover().is_empty());
    }
    server.assert_healthy();
}

#[test]
fn baseline_templates_pipelined_together() {
    let server = Server::start();
    let names = ["get.raw", "post_cl.raw", "post_chunked.raw", "pipeline.raw", "valid-get1.raw", "valid-post1.raw"];
    let mut all = Vec::new();
    let mut wants = Vec::new();
    for _ in 0..4 {
        for n in names {
            let raw = template(n);
            wants.push((n, expected_body(&raw)));
            all.extend_from_slice(&raw);
        }
    }
    let mut c = server.connect();
    c.send(&all);
    for (i, (n, want)) in wants.iter().enumerate() {
        let r = c.read_response();
        if let Err(e) = r.check_status_body(200, want) {
            panic!("answer {i} ({n}): {e}");
        }
    }
}
