//! Peers that misbehave: connections abandoned in every way at volume (no descriptor may leak),
//! half-closes, and peers that keep sending after the server decided to close.

mod common;

use common::*;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// Abandoned connections
// ---------------------------------------------------------------------------------------------

/// The ways a connection is abandoned.
const MODES: [&str; 5] = [
    "connect and close at once",
    "reset mid-request",
    "half-close after a complete request, close without reading",
    "vanish mid-response",
    "bytes after a malformed request",
];

/// Source addresses 127.0.0.2 ..= 127.0.0.254, so the ephemeral ports do not run out.
fn source(n: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, 2 + (n % 253) as u8)
}

fn big_pipeline() -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..200 {
        v.extend_from_slice(format!("GET /baseline11?a={i} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes());
    }
    v
}

/// Abandons one connection in `mode`. I/O errors after the connect are expected of such peers
/// and ignored; only a failed connect is reported.
fn abandon(addr: SocketAddr, n: usize, mode: usize, pipeline: &[u8]) -> Result<(), String> {
    let stream = connect_from(source(n), addr, Duration::from_secs(10))
        .map_err(|e| format!("connect {n} ({}): {e}", MODES[mode]))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let mut s = stream;
    match mode {
        0 => {}
        1 => {
            let cut = 5 + n % 40;
            let req = b"POST /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12345";
            let _ = s.write_all(&req[..cut.min(req.len())]);
        }
        2 => {
            let _ = s.write_all(&get_request(&format!("/baseline11?a={n}")));
            let _ = s.shutdown(Shutdown::Write);
        }
        3 => {
            let _ = s.write_all(pipeline);
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
        }
        _ => {
            let _ = s.write_all(b"GET /x HTTP/1.1\r\nHost: a\r\nX\x01");
            if n % 2 == 0 {
                let mut buf = [0u8; 512];
                let _ = s.read(&mut buf);
            }
            let _ = s.write_all(&[b'z'; 2000]);
        }
    }
    reset_close(s);
    Ok(())
}

/// Polls the server's open descriptors until they equal `want` or `limit` passes; the last count.
fn settle_fds(server: &Server, want: usize, limit: Duration) -> usize {
    let deadline = Instant::now() + limit;
    loop {
        let n = server.fd_count();
        if n == want || Instant::now() >= deadline {
            return n;
        }
        thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn abandoned_connections_leak_nothing() {
    let total: usize = std::env::var("MOTE_FAULTS_CONNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    const THREADS: usize = 4;
    const LIMIT: Duration = Duration::from_secs(120);

    let mut server = Server::start_args(&["--port", "0", "--threads", "2"]);
    thread::sleep(Duration::from_millis(200));
    let idle = server.fd_count();
    let addr = server.addr();
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let start = Instant::now();

    // A bystander on a keep-alive connection, answered throughout.
    let done2 = Arc::clone(&done);
    let bystander = thread::spawn(move || -> Result<usize, String> {
        let mut c = Conn::connect(addr).map_err(|e| format!("bystander connect: {e}"))?;
        let mut i = 0usize;
        while !done2.load(Ordering::Relaxed) {
            c.try_send(&get_request(&format!("/baseline11?a={i}&b=1")))
                .map_err(|e| format!("bystander request {i}: {e}"))?;
            let r = c.try_read_response(false).map_err(|e| format!("bystander request {i}: {e}"))?;
            r.check_status_body(200, &(i + 1).to_string()).map_err(|e| format!("bystander request {i}: {e}"))?;
            i += 1;
            thread::sleep(Duration::from_millis(200));
        }
        Ok(i)
    });

    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let next = Arc::clone(&next);
            thread::spawn(move || -> (usize, Vec<String>) {
                let pipeline = big_pipeline();
                let mut errors = Vec::new();
                let mut count = 0;
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= total || start.elapsed() > LIMIT || errors.len() >= 20 {
                        break;
                    }
                    match abandon(addr, n, n % MODES.len(), &pipeline) {
                        Ok(()) => count += 1,
                        Err(e) => errors.push(e),
                    }
                }
                (count, errors)
            })
        })
        .collect();
    let mut count = 0;
    let mut errors = Vec::new();
    for w in workers {
        let (c, e) = w.join().expect("client thread panicked");
        count += c;
        errors.extend(e);
    }
    let storm = start.elapsed();
    done.store(true, Ordering::Relaxed);
    let asked = bystander.join().expect("bystander panicked").unwrap_or_else(|e| panic!("{e}"));
    eprintln!("abandoned {count} connections in {:.1} s; bystander answered {asked} times", storm.as_secs_f64());
    assert!(errors.is_empty(), "{} connects failed, first ones:\n{}", errors.len(), errors.join("\n"));
    assert_eq!(
        count,
        total,
        "only {count} of {total} connections abandoned within {LIMIT:?} (set MOTE_FAULTS_CONNS lower on a slow machine)"
    );
    server.assert_running();

    let now = settle_fds(&server, idle, Duration::from_secs(8));
    assert_eq!(
        now, idle,
        "the server holds {now} descriptors 8 s after {total} abandoned connections; {idle} at rest"
    );
    server.assert_healthy();
}

// ---------------------------------------------------------------------------------------------
// Half-close
// ---------------------------------------------------------------------------------------------

/// Sends `n` mixed requests, then half-closes: every answer, in order, then EOF.
fn half_close_after(server: &Server, n: usize, seed: u64) {
    let mut rng = Rng::new(seed);
    let reqs: Vec<Mixed> = (0..n).map(|_| random_request(&mut rng)).collect();
    let all: Vec<u8> = reqs.iter().flat_map(|r| r.bytes.iter().copied()).collect();
    let mut c = server.connect();
    let mut writer = c.stream.try_clone().expect("clone");
    let sender = thread::spawn(move || -> io::Result<()> {
        writer.write_all(&all)?;
        writer.shutdown(Shutdown::Write)
    });
    for (i, r) in reqs.iter().enumerate() {
        let resp = c
            .try_read_response(false)
            .unwrap_or_else(|e| panic!("{n} requests then half-close: answer {i} ({}): {e}", r.what));
        if let Err(e) = resp.check_status_body(200, &r.expect) {
            panic!("{n} requests then half-close: answer {i} ({}): {e}", r.what);
        }
    }
    sender.join().unwrap().unwrap_or_else(|e| panic!("{n} requests then half-close: sending: {e}"));
    c.try_expect_eof()
        .unwrap_or_else(|e| panic!("{n} requests then half-close, after all {n} answers: {e}"));
}

#[test]
fn half_close_gets_every_answer_then_eof() {
    let mut server = Server::start();
    for (n, seed) in [(1usize, 1u64), (100, 2), (5000, 3)] {
        half_close_after(&server, n, seed);
    }
    // Sent byte by byte, the last byte together with the half-close.
    let mut c = server.connect();
    let req = get_request("/baseline11?a=30&b=12");
    let (body, last) = req.split_at(req.len() - 1);
    c.send_bytewise(body, None).unwrap_or_else(|(i, e)| panic!("byte {i}: {e}"));
    c.send(last);
    c.shutdown_write();
    c.read_response().assert_ok_body("42");
    c.expect_eof();
    server.assert_healthy();
}

#[test]
fn half_close_with_many_connections_at_once() {
    let mut server = Server::start();
    let addr = server.addr();
    let handles: Vec<_> = (0..8u64)
        .map(|t| {
            thread::spawn(move || -> Result<(), String> {
                for k in 0..25u64 {
                    let mut rng = Rng::new(1000 * t + k + 1);
                    let n = 1 + rng.below(300) as usize;
                    let reqs: Vec<Mixed> = (0..n).map(|_| random_request(&mut rng)).collect();
                    let all: Vec<u8> = reqs.iter().flat_map(|r| r.bytes.iter().copied()).collect();
                    let mut c = Conn::connect(addr).map_err(|e| format!("connect: {e}"))?;
                    let mut writer = c.stream.try_clone().map_err(|e| e.to_string())?;
                    let sender = thread::spawn(move || -> io::Result<()> {
                        writer.write_all(&all)?;
                        writer.shutdown(Shutdown::Write)
                    });
                    for (i, r) in reqs.iter().enumerate() {
                        let resp = c
                            .try_read_response(false)
                            .map_err(|e| format!("thread {t} conn {k}: answer {i} of {n} ({}): {e}", r.what))?;
                        resp.check_status_body(200, &r.expect)
                            .map_err(|e| format!("thread {t} conn {k}: answer {i} of {n} ({}): {e}", r.what))?;
                    }
                    sender.join().unwrap().map_err(|e| format!("thread {t} conn {k}: send: {e}"))?;
                    c.try_expect_eof().map_err(|e| format!("thread {t} conn {k}: after {n} answers: {e}"))?;
                }
                Ok(())
            })
        })
        .collect();
    let errors: Vec<String> = handles.into_iter().filter_map(|h| h.join().expect("panicked").err()).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    server.assert_healthy();
}

// ---------------------------------------------------------------------------------------------
// Sending after the server decided to close
// ---------------------------------------------------------------------------------------------

const MALFORMED: &[u8] = b"GET /x HTTP/1.1\r\nHost: a\r\nX\x01";

#[test]
fn bytes_after_a_malformed_request_in_the_same_write() {
    let mut server = Server::start();
    let mut bystander = server.connect();

    // Junk after the malformed request.
    let mut c = server.connect();
    let mut bytes = MALFORMED.to_vec();
    bytes.extend(std::iter::repeat_n(b'j', 100_000));
    let _ = c.try_send(&bytes);
    c.read_response().assert_status(400);
    let (ending, rest) = c.read_to_end_within(Duration::from_secs(5));
    assert!(rest.is_empty(), "bytes after the 400: {:?}", preview(&rest));
    assert!(matches!(ending, Ending::Eof | Ending::Reset), "after the 400 the connection ended {ending:?}");

    // Valid requests after the malformed one: none of them is answered.
    let mut c = server.connect();
    let mut bytes = MALFORMED.to_vec();
    for i in 0..20 {
        bytes.extend_from_slice(&get_request(&format!("/baseline11?a={i}")));
    }
    let _ = c.try_send(&bytes);
    c.read_response().assert_status(400);
    let (ending, rest) = c.read_to_end_within(Duration::from_secs(5));
    assert!(rest.is_empty(), "requests after a malformed one were answered: {:?}", preview(&rest));
    assert!(matches!(ending, Ending::Eof | Ending::Reset), "after the 400 the connection ended {ending:?}");

    bystander.send(&get_request("/baseline11?a=1&b=2"));
    bystander.read_response().assert_ok_body("3");
    server.assert_healthy();
}

#[test]
fn peer_that_keeps_sending_after_the_refusal_is_closed() {
    let mut server = Server::start();
    let mut bystander = server.connect();
    let addr = server.addr();

    // Several peers streaming junk after their malformed request, for up to 10 s each.
    let peers: Vec<_> = (0..4)
        .map(|k| {
            thread::spawn(move || -> Result<f64, String> {
                let mut c = Conn::connect(addr).map_err(|e| format!("peer {k}: connect: {e}"))?;
                c.stream.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
                c.try_send(MALFORMED).map_err(|e| format!("peer {k}: {e}"))?;
                let r = c.try_read_response(false).map_err(|e| format!("peer {k}: {e}"))?;
                if r.status != 400 {
                    return Err(format!("peer {k}: want 400, got {}", r.status));
                }
                let start = Instant::now();
                let chunk = vec![b'q'; 16 << 10];
                while start.elapsed() < Duration::from_secs(10) {
                    match c.stream.write(&chunk) {
                        Ok(_) => thread::sleep(Duration::from_millis(20)),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut => {}
                        Err(_) => return Ok(start.elapsed().as_secs_f64()),
                    }
                }
                let (ending, rest) = c.read_to_end_within(Duration::from_millis(100));
                if !rest.is_empty() {
                    return Err(format!("peer {k}: bytes after the 400: {:?}", preview(&rest)));
                }
                match ending {
                    Ending::Eof | Ending::Reset | Ending::Error => Ok(start.elapsed().as_secs_f64()),
                    Ending::StillOpen => Err(format!("peer {k}: still accepting our junk after 10 s")),
                }
            })
        })
        .collect();

    // Meanwhile the bystander is answered.
    for i in 0..10 {
        bystander.send(&get_request(&format!("/baseline11?a={i}")));
        bystander.read_response().assert_ok_body(&i.to_string());
        thread::sleep(Duration::from_millis(100));
    }
    let mut errors = Vec::new();
    for p in peers {
        match p.join().expect("peer panicked") {
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    bystander.send(&get_request("/baseline11?a=5&b=5"));
    bystander.read_response().assert_ok_body("10");
    server.assert_healthy();
}

#[test]
fn reset_right_after_a_malformed_request_many_times() {
    let mut server = Server::start();
    let addr = server.addr();
    thread::sleep(Duration::from_millis(200));
    let idle = server.fd_count();
    let handles: Vec<_> = (0..4)
        .map(|t| {
            thread::spawn(move || -> Result<(), String> {
                for k in 0..500 {
                    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
                        .map_err(|e| format!("thread {t} conn {k}: {e}"))?;
                    let mut s = s;
                    let mut bytes = MALFORMED.to_vec();
                    bytes.extend_from_slice(&[b'x'; 300][..k % 300]);
                    let _ = s.write_all(&bytes);
                    if k % 3 == 0 {
                        let _ = s.write_all(b"more bytes after the refusal");
                    }
                    reset_close(s);
                }
                Ok(())
            })
        })
        .collect();
    let errors: Vec<String> = handles.into_iter().filter_map(|h| h.join().expect("panicked").err()).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    server.assert_running();
    let now = settle_fds(&server, idle, Duration::from_secs(6));
    assert_eq!(now, idle, "{now} descriptors held after 2,000 refused-and-reset connections; {idle} at rest");
    server.assert_healthy();
}
