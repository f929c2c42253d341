//! Edges found by live fuzzing and an event-loop review, each against the real binary: answers
//! in flight survive every close, urgent data never stalls a connection, sums are exact, the
//! interim 100 answer, request-line and version rules, chunk-line limits, the body limit on
//! decoded bytes, and empty lines judged by one rule whatever the splits.

mod common;

use common::*;
use std::io::Write;
use std::net::TcpStream;
use std::os::fd::{AsRawFd, FromRawFd};
use std::thread;
use std::time::{Duration, Instant};

/// A client socket with a small receive buffer, so that answers back up in the server's send
/// queue while the client does not read.
fn slow_reader(server: &Server) -> Conn {
    // SAFETY: plain socket calls on a descriptor we create and then hand to TcpStream, which
    // owns it from there; the sockaddr is a valid sockaddr_in for the call's duration.
    let stream = unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
        assert!(fd >= 0);
        let size: libc::c_int = 1024;
        libc::setsockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, (&size as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t);
        let addr = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: server.port.to_be(),
            sin_addr: libc::in_addr { s_addr: u32::from_ne_bytes([127, 0, 0, 1]) },
            sin_zero: [0; 8],
        };
        let rc = libc::connect(fd, (&addr as *const libc::sockaddr_in).cast(), size_of::<libc::sockaddr_in>() as libc::socklen_t);
        assert_eq!(rc, 0, "connect: {}", std::io::Error::last_os_error());
        TcpStream::from_raw_fd(fd)
    };
    Conn::from_stream(stream).unwrap()
}

/// The answers on a connection read to its end, and how it ended.
fn read_all(c: &mut Conn, limit: Duration) -> (Vec<Response>, Ending, Vec<u8>) {
    let (ending, bytes) = c.read_to_end_within(limit);
    let (answers, rest) = split_responses(&bytes).unwrap_or_else(|e| panic!("{e}"));
    (answers, ending, rest)
}

#[test]
fn a_stray_byte_after_connection_close_destroys_no_answer() {
    let server = Server::start();
    for extra in [&b"\r\n"[..], b"x", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"] {
        let mut c = slow_reader(&server);
        let mut reqs = Vec::new();
        for i in 0..40 {
            reqs.extend(get_request(&format!("/baseline11?a={i}")));
        }
        reqs.extend_from_slice(b"GET /baseline11?a=40 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
        c.send(&reqs);
        // The client reads nothing for a while, then one more byte comes.
        thread::sleep(Duration::from_millis(100));
        let _ = c.try_send(extra);
        thread::sleep(Duration::from_millis(100));
        let (answers, ending, rest) = read_all(&mut c, Duration::from_secs(5));
        assert_eq!(answers.len(), 41, "answers lost ({ending:?}, {} bytes left over) after {:?}", rest.len(), preview(extra));
        for (i, a) in answers.iter().enumerate() {
            a.assert_ok_body(&i.to_string());
        }
        assert_eq!(answers[40].header("connection"), Some("close"));
        assert_eq!(ending, Ending::Eof, "the close must be orderly, not a reset");
    }
}

#[test]
fn refusals_and_timeouts_close_gently_too() {
    let server = Server::start_args(&["--port", "0", "--threads", "2", "--header-timeout", "1"]);
    // A malformed request in the middle of a pipeline, read late, with bytes after it.
    let mut c = slow_reader(&server);
    let mut reqs = Vec::new();
    for i in 0..40 {
        reqs.extend(get_request(&format!("/baseline11?a={i}")));
    }
    reqs.extend_from_slice(b"GET /\x01 HTTP/1.1\r\n\r\n");
    reqs.extend(get_request("/"));
    c.send(&reqs);
    thread::sleep(Duration::from_millis(100));
    let _ = c.try_send(b"more");
    let (answers, ending, _) = read_all(&mut c, Duration::from_secs(5));
    assert_eq!(answers.len(), 41);
    assert_eq!(answers[40].status, 400);
    assert_eq!(ending, Ending::Eof);
    // A 408 for a request that stalls, not read yet when more bytes come.
    let mut c = server.connect();
    c.send(b"GET / HTTP/1.1\r\nHo");
    thread::sleep(Duration::from_millis(2500));
    let _ = c.try_send(b"st: a\r\n\r\n");
    thread::sleep(Duration::from_millis(100));
    let (answers, ending, rest) = read_all(&mut c, Duration::from_secs(3));
    assert_eq!(answers.iter().map(|a| a.status).collect::<Vec<_>>(), [408]);
    assert!(rest.is_empty());
    assert_eq!(ending, Ending::Eof, "the close after a 408 must be orderly");
}

/// Sends one byte of urgent data.
fn send_urgent(c: &Conn, byte: u8) {
    // SAFETY: the socket is open for the call; the kernel reads one byte from `byte`.
    let n = unsafe { libc::send(c.stream.as_raw_fd(), (&byte as *const u8).cast(), 1, libc::MSG_OOB) };
    assert_eq!(n, 1, "send MSG_OOB: {}", std::io::Error::last_os_error());
}

#[test]
fn urgent_data_never_stalls_a_connection() {
    let server = Server::start();
    for pause in [None, Some(Duration::from_millis(50))] {
        for _ in 0..10 {
            let mut c = server.connect();
            c.send(&get_request("/baseline11?a=1"));
            send_urgent(&c, b'Z');
            if let Some(p) = pause {
                thread::sleep(p);
            }
            c.send(&get_request("/baseline11?a=2"));
            let t0 = Instant::now();
            c.read_response().assert_ok_body("1");
            // Urgent data is read inline: "ZGET / ..." is a request line with a method mote does
            // not implement. What matters is that the answer comes now, not at a timeout.
            let r = c.read_response();
            assert_eq!(r.status, 501, "{}", r.head);
            assert!(t0.elapsed() < Duration::from_secs(2), "answered after {:?}", t0.elapsed());
            c.expect_eof();
        }
    }
    // Urgent bytes inside a head are part of it, judged like any other byte.
    let mut c = server.connect();
    c.send(b"GET /baseline11?a=7");
    send_urgent(&c, b'1');
    c.send(b" HTTP/1.1\r\nHost: a\r\n\r\n");
    c.read_response().assert_ok_body("71");
}

#[test]
fn sums_are_exact_whatever_the_order() {
    let mut server = Server::start();
    let mut c = server.connect();
    for (target, body, want) in [
        ("/baseline11?a=9223372036854775807&b=1&c=-1", None, Some("9223372036854775807")),
        ("/baseline11?c=-1&a=9223372036854775807&b=1", None, Some("9223372036854775807")),
        ("/baseline11?a=-9223372036854775808&b=-1&c=1", None, Some("-9223372036854775808")),
        ("/baseline11?=3", Some(&b"-9223372036854775811"[..]), Some("-9223372036854775808")),
        ("/baseline11?=2", Some(b"-9223372036854775811"), None),
        ("/baseline11?a=9223372036854775807&b=1", None, None),
    ] {
        let req = match body {
            Some(b) => post_cl_request(target, b),
            None => get_request(target),
        };
        c.send(&req);
        let r = c.read_response();
        match want {
            Some(n) => r.assert_ok_body(n),
            None => assert_eq!(r.status, 400, "{target}"),
        }
    }
    server.assert_healthy();
}

#[test]
fn expect_100_continue() {
    let server = Server::start();
    let mut c = server.connect();
    let t0 = Instant::now();
    c.send(b"POST /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2048\r\n\r\n");
    let r = c.try_read_response(true).expect("an interim answer");
    assert_eq!(r.status, 100, "{}", r.head);
    assert!(t0.elapsed() < Duration::from_millis(500), "the interim answer took {:?}", t0.elapsed());
    let mut body = vec![b' '; 2048];
    body[..2].copy_from_slice(b"41");
    c.send(&body);
    c.read_response().assert_ok_body("42");
    // A refusal known from the head comes at once, with a close.
    c.send(b"POST /nope HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    let r = c.read_response();
    assert_eq!((r.status, r.header("connection")), (404, Some("close")));
    c.expect_eof();
    // Any other expectation: 417.
    let mut c = server.connect();
    c.send(b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx");
    assert_eq!(c.read_response().status, 417);
    c.expect_eof();
    // HTTP/1.0 ignores it.
    let mut c = server.connect();
    c.send(b"POST /baseline11 HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n5");
    c.read_response().assert_ok_body("5");
}

#[test]
fn request_line_and_version_rules() {
    let mut server = Server::start();
    run_refusals(&mut server, &[
        refusal("not three parts", b"HELLO WORLD\r\n\r\n", &[400]),
        refusal("two parts", b"GET /\r\n\r\n", &[400]),
        refusal("17-byte method", b"ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\nHost: a\r\n\r\n", &[501]),
        refusal("64-byte method", &[&b"M".repeat(64)[..], b" / HTTP/1.1\r\nHost: a\r\n\r\n"].concat(), &[501]),
        refusal("65-byte method", &[&b"M".repeat(65)[..], b" / HTTP/1.1\r\nHost: a\r\n\r\n"].concat(), &[400]),
        refusal("HTTP/2.0", b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", &[505]),
    ]);
    for minor in 1..=9 {
        let mut c = server.connect();
        c.send(format!("GET /baseline11?a={minor} HTTP/1.{minor}\r\nHost: a\r\n\r\n").as_bytes());
        let r = c.read_response();
        r.assert_ok_body(&minor.to_string());
        assert!(r.head.starts_with("HTTP/1.1 200"), "{}", r.head);
    }
}

#[test]
fn chunk_lines_are_bounded_and_the_body_limit_counts_decoded_bytes() {
    let mut server = Server::start();
    // A 64 KiB chunk extension is a malformed chunk line, not a large body.
    let mut req = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;ext=".to_vec();
    req.resize(req.len() + 64 * 1024, b'a');
    req.extend_from_slice(b"\r\nx\r\n0\r\n\r\n");
    let mut c = server.connect();
    let _ = c.try_send(&req);
    assert_eq!(c.read_response().status, 400);
    // 2,720 and 2,800 one-byte chunks (over 16 KiB of coding, far under the 8 KiB body limit).
    for n in [2710, 2720, 2800] {
        let chunks: Vec<&[u8]> = (0..n).map(|_| &b"1"[..]).collect();
        let mut c = server.connect();
        c.send(&post_chunked_request("/baseline11", &chunks));
        let r = c.read_response();
        // The body is the integer 111...1: far too many digits to be a value.
        assert_eq!(r.status, 400, "{n} chunks: {}", r.head);
        let mut c = server.connect();
        let mut req = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..n {
            req.extend_from_slice(b"1\r\nx\r\n");
        }
        req.extend_from_slice(b"0\r\n\r\n");
        c.send(&req);
        c.read_response().assert_ok_body("ok");
    }
    // Past the limit in decoded bytes: 413.
    let mut c = server.connect();
    let big = vec![b'x'; 8193];
    c.send(&post_chunked_request("/", &[&big[..4096], &big[4096..]]));
    assert_eq!(c.read_response().status, 413);
    server.assert_healthy();
}

#[test]
fn empty_lines_are_judged_by_one_rule_whatever_the_splits() {
    let server = Server::start();
    for (blanks, want) in [(64usize, [200u16, 200]), (5000, [200, 400])] {
        let stream = [get_request("/pipeline"), b"\r\n".repeat(blanks), get_request("/pipeline")].concat();
        for piece in [stream.len(), 100, 7] {
            let mut c = server.connect();
            for p in stream.chunks(piece) {
                let _ = c.try_send(p);
                if piece < stream.len() {
                    c.stream.flush().unwrap();
                    thread::sleep(Duration::from_micros(200));
                }
            }
            let got: Vec<u16> = (0..2).map(|_| c.read_response().status).collect();
            assert_eq!(got, want, "{blanks} empty lines in pieces of {piece}");
        }
    }
    // A CR then a head of exactly the limit (8,192 bytes) is a request whatever the splits.
    let mut head = b"GET /pipeline HTTP/1.1\r\nHost: a\r\nX: ".to_vec();
    head.resize(8192 - 4, b'x');
    head.extend_from_slice(b"\r\n\r\n");
    for first in [true, false] {
        let mut c = server.connect();
        if first {
            c.send(b"\r\n");
            thread::sleep(Duration::from_millis(20));
            c.send(&head);
        } else {
            c.send(&[&b"\r\n"[..], &head].concat());
        }
        c.read_response().assert_ok_body("ok");
    }
}

/// A live pass over real sockets: random pipelines of the three request shapes, sent in random
/// splits with random pauses, each connection ending one of three ways: a last request with
/// `Connection: close` followed (or not) by stray bytes, urgent data between two requests, or a
/// plain close. Every answer must arrive whole and right, in order, and every connection must
/// end with an orderly close, never a reset.
#[test]
fn live_pass_with_splits_stray_bytes_and_urgent_data() {
    let server = Server::start();
    let mut rng = Rng::new(0x0ED6_E5E5_u64);
    for round in 0..120 {
        let reqs: Vec<Mixed> = (0..1 + rng.below(12)).map(|_| random_request(&mut rng)).collect();
        let mut c = if rng.below(2) == 0 { slow_reader(&server) } else { server.connect() };
        let mut stream: Vec<u8> = reqs.iter().flat_map(|r| r.bytes.iter().copied()).collect();
        let ending = rng.below(3);
        let mut expect: Vec<(u16, String)> = reqs.iter().map(|r| (200, r.expect.clone())).collect();
        // Urgent data goes between the last two requests: read inline, it makes the last
        // request line `Z<method> ...`, a method mote does not implement.
        let urgent_at = (ending == 1 && reqs.len() > 1).then(|| stream.len() - reqs[reqs.len() - 1].bytes.len());
        if urgent_at.is_some() {
            expect.pop();
            expect.push((501, "Not Implemented\n".to_string()));
        }
        if ending == 0 {
            stream.extend_from_slice(b"GET /baseline11?a=7 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            expect.push((200, "7".to_string()));
        }
        // Random splits, with short pauses now and then.
        let mut at = 0;
        while at < stream.len() {
            let n = 1 + rng.below(200) as usize;
            let end = (at + n).min(stream.len());
            if let Some(u) = urgent_at
                && at <= u
                && u < end
            {
                c.send(&stream[at..u]);
                send_urgent(&c, b'Z');
                c.send(&stream[u..end]);
            } else {
                c.send(&stream[at..end]);
            }
            at = end;
            if rng.below(8) == 0 {
                thread::sleep(Duration::from_millis(rng.below(5)));
            }
        }
        if ending == 0 && rng.below(2) == 0 {
            thread::sleep(Duration::from_millis(rng.below(50)));
            let _ = c.try_send(b"\r\n");
        }
        if ending == 2 || (ending == 1 && urgent_at.is_none()) {
            c.shutdown_write();
        }
        let (answers, how, rest) = read_all(&mut c, Duration::from_secs(5));
        let got: Vec<(u16, String)> = answers.iter().map(|a| (a.status, a.body_str())).collect();
        assert_eq!(got, expect, "round {round}: ending {ending}, {} requests", reqs.len());
        assert!(rest.is_empty(), "round {round}: a truncated answer");
        assert_eq!(how, Ending::Eof, "round {round}: ending {ending} must be an orderly close");
    }
}
