//! Slow, idle and greedy clients: header, idle and send timeouts, slowloris, the connection cap,
//! running out of descriptors, and the size and pipeline limits.

mod common;

use common::*;
use std::io::{self, Write};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Asserts `elapsed` lies in [lo, hi] seconds.
fn assert_within(what: &str, elapsed: Duration, lo: f64, hi: f64) {
    let e = secs(elapsed);
    assert!(e >= lo && e <= hi, "{what}: took {e:.2} s, want between {lo} and {hi} s");
}

/// Parses everything received on a connection as whole responses; panics on a partial one.
fn whole_responses(what: &str, bytes: &[u8]) -> Vec<Response> {
    let (resps, rest) = split_responses(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(rest.is_empty(), "{what}: incomplete response at the end: {:?}", preview(&rest));
    resps
}

// ---------------------------------------------------------------------------------------------
// Header timeout
// ---------------------------------------------------------------------------------------------

const HEADER_TIMEOUT: u64 = 2;

#[test]
fn partial_head_gets_408_and_close_after_header_timeout() {
    let mut server = Server::start_args(&["--port", "0", "--threads", "1", "--header-timeout", "2"]);
    let addr = server.addr();
    let s = HEADER_TIMEOUT as f64;

    // A partial head, then silence.
    let partial = thread::spawn(move || {
        let mut c = Conn::connect(addr).expect("connect");
        let sent = b"GET /baseline11?a=1 HTTP/1.1\r\nHo";
        c.send(sent);
        let t0 = Instant::now();
        let (ending, bytes) = c.read_to_end_within(Duration::from_secs(HEADER_TIMEOUT + 6));
        (t0.elapsed(), ending, bytes)
    });
    // A body that stalls: Content-Length 10, 3 bytes sent.
    let stalled = thread::spawn(move || {
        let mut c = Conn::connect(addr).expect("connect");
        c.send(b"POST /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n123");
        let t0 = Instant::now();
        let (ending, bytes) = c.read_to_end_within(Duration::from_secs(HEADER_TIMEOUT + 6));
        (t0.elapsed(), ending, bytes)
    });
    // A head trickled a byte every 250 ms: activity does not extend the deadline.
    let trickled = thread::spawn(move || {
        let mut c = Conn::connect(addr).expect("connect");
        let mut writer = c.stream.try_clone().expect("clone");
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = Arc::clone(&stop);
        let t0 = Instant::now();
        let w = thread::spawn(move || {
            let mut head = b"GET /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nX-Slow: ".to_vec();
            head.extend(std::iter::repeat_n(b'a', 200));
            for b in head {
                if stop2.load(Ordering::Relaxed) || writer.write_all(&[b]).is_err() {
                    return;
                }
                thread::sleep(Duration::from_millis(250));
            }
        });
        let (ending, bytes) = c.read_to_end_within(Duration::from_secs(HEADER_TIMEOUT + 6));
        let elapsed = t0.elapsed();
        stop.store(true, Ordering::Relaxed);
        w.join().unwrap();
        (elapsed, ending, bytes)
    });

    let (elapsed, ending, bytes) = partial.join().unwrap();
    assert_ne!(ending, Ending::StillOpen, "partial head: connection still open after {:.1} s", secs(elapsed));
    let resps = whole_responses("partial head", &bytes);
    assert_eq!(resps.len(), 1, "partial head: want exactly one 408, got {} responses: {:?}", resps.len(), preview(&bytes));
    resps[0].assert_status(408);
    assert_within("partial head until 408 and close", elapsed, s - 1.0, s + 3.0);

    let (elapsed, ending, bytes) = stalled.join().unwrap();
    assert_ne!(ending, Ending::StillOpen, "stalled body: connection still open after {:.1} s", secs(elapsed));
    let resps = whole_responses("stalled body", &bytes);
    assert!(resps.len() <= 1, "stalled body: more than one response: {:?}", preview(&bytes));
    if let Some(r) = resps.first() {
        r.assert_status(408);
    }
    assert_within("stalled body until close", elapsed, s - 1.0, s + 3.0);

    let (elapsed, ending, bytes) = trickled.join().unwrap();
    assert_ne!(ending, Ending::StillOpen, "trickled head: connection still open after {:.1} s", secs(elapsed));
    let resps = whole_responses("trickled head", &bytes);
    assert_eq!(resps.len(), 1, "trickled head: want exactly one 408, got {:?}", preview(&bytes));
    resps[0].assert_status(408);
    assert_within("trickled head until 408 and close", elapsed, s - 1.0, s + 3.0);

    server.assert_healthy();
}

// ---------------------------------------------------------------------------------------------
// Idle timeout
// ---------------------------------------------------------------------------------------------

#[test]
fn idle_keep_alive_is_closed_after_idle_timeout() {
    const IDLE: u64 = 2;
    let mut server = Server::start_args(&[
        "--port", "0", "--threads", "1", "--idle-timeout", "2", "--header-timeout", "2",
    ]);
    let addr = server.addr();
    let s = IDLE as f64;

    // One answered request, then silence.
    let answered = thread::spawn(move || {
        let mut c = Conn::connect(addr).expect("connect");
        c.send(&get_request("/baseline11?a=2&b=3"));
        c.read_response().assert_ok_body("5");
        let t0 = Instant::now();
        let (ending, bytes) = c.read_to_end_within(Duration::from_secs(IDLE + 6));
        (t0.elapsed(), ending, bytes)
    });
    // A connection that never sends anything.
    let silent = thread::spawn(move || {
        let mut c = Conn::connect(addr).expect("connect");
        let t0 = Instant::now();
        let (ending, bytes) = c.read_to_end_within(Duration::from_secs(IDLE + 6));
        (t0.elapsed(), ending, bytes)
    });
    // A busy connection, one request every 500 ms for well past the idle timeout, stays open.
    let busy = thread::spawn(move || -> Result<(), String> {
        let mut c = Conn::connect(addr).map_err(|e| e.to_string())?;
        for i in 0..10 {
            c.try_send(&get_request(&format!("/baseline11?a={i}"))).map_err(|e| format!("request {i}: {e}"))?;
            let r = c.try_read_response(false).map_err(|e| format!("request {i}: {e}"))?;
            r.check_status_body(200, &i.to_string()).map_err(|e| format!("request {i}: {e}"))?;
            thread::sleep(Duration::from_millis(500));
        }
        Ok(())
    });

    let (elapsed, ending, bytes) = answered.join().unwrap();
    assert!(bytes.is_empty(), "idle keep-alive: got bytes instead of a silent close: {:?}", preview(&bytes));
    assert!(
        matches!(ending, Ending::Eof | Ending::Reset),
        "idle keep-alive: not closed within {:.1} s ({ending:?})",
        secs(elapsed)
    );
    assert_within("idle keep-alive until close", elapsed, s - 1.0, s + 3.0);

    let (elapsed, ending, bytes) = silent.join().unwrap();
    assert!(
        matches!(ending, Ending::Eof | Ending::Reset),
        "connection that never sent: not closed within {:.1} s ({ending:?})",
        secs(elapsed)
    );
    let resps = whole_responses("connection that never sent", &bytes);
    assert!(
        resps.is_empty() || (resps.len() == 1 && resps[0].status == 408),
        "connection that never sent: want a silent close (or a 408), got {:?}",
        preview(&bytes)
    );
    assert_within("connection that never sent until close", elapsed, s - 1.0, s + 3.0);

    busy.join().unwrap().unwrap_or_else(|e| panic!("busy keep-alive connection: {e}"));
    server.assert_healthy();
}

// ---------------------------------------------------------------------------------------------
// Send timeout
// ---------------------------------------------------------------------------------------------

/// `n` bytes (rounded up to whole requests) of `GET /pipeline`.
fn pipeline_of_gets(n: usize) -> Vec<u8> {
    let one = b"GET /pipeline HTTP/1.1\r\nHost: a\r\n\r\n";
    let count = n.div_ceil(one.len());
    let mut v = Vec::with_capacity(count * one.len());
    for _ in 0..count {
        v.extend_from_slice(one);
    }
    v
}

#[test]
fn peer_that_never_reads_is_closed_after_send_timeout() {
    const SEND: u64 = 2;
    let mut server = Server::start_args(&["--port", "0", "--threads", "1", "--send-timeout", "2"]);
    let mut greedy = server.connect();
    greedy.stream.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut writer = greedy.stream.try_clone().expect("clone");
    let pipeline = pipeline_of_gets(20 << 20);
    let t0 = Instant::now();
    let w = thread::spawn(move || {
        let r = writer.write_all(&pipeline);
        (t0.elapsed(), r)
    });

    // Meanwhile other clients are answered promptly.
    let mut keep = server.connect();
    for i in 0..6 {
        thread::sleep(Duration::from_millis(500));
        let start = Instant::now();
        let mut c = server.connect();
        c.set_read_timeout(Duration::from_secs(3));
        c.send(&get_request(&format!("/baseline11?a={i}&b=100")));
        let r = c.try_read_response(false).unwrap_or_else(|e| panic!("bystander {i} during the stall: {e}"));
        r.assert_ok_body(&(i + 100).to_string());
        keep.send(&get_request(&format!("/baseline11?a={i}")));
        keep.read_response().assert_ok_body(&i.to_string());
        assert!(start.elapsed() < Duration::from_secs(2), "bystander {i} took {:?}", start.elapsed());
    }

    let (elapsed, result) = w.join().unwrap();
    match &result {
        Ok(()) => panic!("the whole 20 MB pipeline was accepted by a server whose answers were never read"),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock || e.kind() == io::ErrorKind::TimedOut => {
            panic!("the server never closed the unread connection: our write blocked for {:.1} s", secs(elapsed))
        }
        Err(_) => {}
    }
    assert!(
        secs(elapsed) <= (SEND + 5) as f64,
        "the unread connection failed only after {:.1} s (send timeout {SEND} s): {result:?}",
        secs(elapsed)
    );
    // Draining what arrived ends in EOF or a reset, not a connection left open.
    let (ending, bytes) = greedy.read_to_end_within(Duration::from_secs(5));
    assert!(
        matches!(ending, Ending::Eof | Ending::Reset),
        "after the write failed, reading {} bytes ended with {ending:?}",
        bytes.len()
    );
    server.assert_healthy();
}

#[test]
fn slow_reader_is_not_cut_off() {
    let mut server = Server::start_args(&["--port", "0", "--threads", "1", "--send-timeout", "2"]);
    let mut c = server.connect();
    let n = 60_000;
    let reqs: Vec<u8> = (0..n).flat_map(|i| get_request(&format!("/baseline11?a={i}"))).collect();
    let mut writer = c.stream.try_clone().expect("clone");
    writer.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
    let w = thread::spawn(move || writer.write_all(&reqs));
    // Read about 256 KiB every 400 ms for five seconds, then the rest at full speed.
    let start = Instant::now();
    let mut i = 0;
    while start.elapsed() < Duration::from_secs(5) && i < n {
        let mut got = 0;
        while got < 256 << 10 && i < n {
            let r = c
                .try_read_response(false)
                .unwrap_or_else(|e| {
                    panic!(
                        "slow reader (256 KiB every 400 ms, --send-timeout 2), answer {i} after {:.1} s: {e}",
                        secs(start.elapsed())
                    )
                });
            r.assert_ok_body(&i.to_string());
            got += r.head.len() + r.body.len();
            i += 1;
        }
        thread::sleep(Duration::from_millis(400));
    }
    assert!(i < n, "the reader finished before five seconds; the test did not slow it down");
    while i < n {
        let r = c.try_read_response(false).unwrap_or_else(|e| panic!("answer {i}: {e}"));
        r.assert_ok_body(&i.to_string());
        i += 1;
    }
    w.join().unwrap().expect("writing the pipeline");
    server.assert_healthy();
}

// ---------------------------------------------------------------------------------------------
// Slowloris
// ---------------------------------------------------------------------------------------------

#[test]
fn slowloris_does_not_delay_other_clients() {
    const SLOW: usize = 50;
    let mut server = Server::start_args(&["--port", "0", "--threads", "1", "--header-timeout", "30"]);
    let reqs: Vec<Vec<u8>> = (0..SLOW).map(|k| get_request(&format!("/baseline11?a={k}&b=1000"))).collect();
    let mut slow: Vec<Conn> = (0..SLOW).map(|_| server.connect()).collect();
    let stop = Arc::new(AtomicBool::new(false));
    let streams: Vec<_> = slow.iter().map(|c| c.stream.try_clone().expect("clone")).collect();
    let stop2 = Arc::clone(&stop);
    let reqs2 = reqs.clone();
    // One byte a second on each slow connection, until told to stop; returns bytes sent per connection.
    let trickler = thread::spawn(move || -> Result<usize, String> {
        let mut streams = streams;
        let mut sent = 0;
        while !stop2.load(Ordering::Relaxed) && sent < 10 {
            for (k, s) in streams.iter_mut().enumerate() {
                s.write_all(&reqs2[k][sent..sent + 1]).map_err(|e| format!("slow connection {k}: {e}"))?;
            }
            sent += 1;
            for _ in 0..10 {
                if stop2.load(Ordering::Relaxed) {
                    break;
                }
                thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(sent)
    });

    thread::sleep(Duration::from_millis(1500));
    let mut keep = server.connect();
    let begin = Instant::now();
    let mut round = 0;
    while begin.elapsed() < Duration::from_secs(4) {
        let start = Instant::now();
        let mut c = server.connect();
        c.set_read_timeout(Duration::from_secs(3));
        c.send(&get_request(&format!("/baseline11?a={round}&b=7")));
        let r = c.try_read_response(false).unwrap_or_else(|e| panic!("fresh client {round} amid slowloris: {e}"));
        r.assert_ok_body(&(round + 7).to_string());
        keep.set_read_timeout(Duration::from_secs(3));
        keep.send(&get_request(&format!("/baseline11?a={round}")));
        keep.read_response().assert_ok_body(&round.to_string());
        let took = start.elapsed();
        assert!(took < Duration::from_secs(2), "a client amid slowloris waited {took:?} (round {round})");
        round += 1;
        thread::sleep(Duration::from_millis(300));
    }
    stop.store(true, Ordering::Relaxed);
    let sent = trickler.join().unwrap().unwrap_or_else(|e| panic!("trickling: {e}"));
    assert!(sent >= 4, "only {sent} bytes trickled: the slow clients were not mid-request");

    // The slow clients finish their requests and are answered.
    for (k, c) in slow.iter_mut().enumerate() {
        c.send(&reqs[k][sent..]);
    }
    for (k, c) in slow.iter_mut().enumerate() {
        let r = c.try_read_response(false).unwrap_or_else(|e| panic!("slow client {k}: {e}"));
        r.assert_ok_body(&(k + 1000).to_string());
    }
    server.assert_healthy();
}

// ---------------------------------------------------------------------------------------------
// Capacity
// ---------------------------------------------------------------------------------------------

#[test]
fn fifth_connection_over_capacity_gets_503_then_a_slot_frees() {
    let mut server = Server::start_args(&["--port", "0", "--threads", "1", "--connections", "4"]);
    // Four held connections: two after an answered request, two that never sent anything.
    let mut held: Vec<Conn> = Vec::new();
    for i in 0..4 {
        let mut c = server.connect();
        if i < 2 {
            c.send(&get_request(&format!("/baseline11?a={i}")));
            c.read_response().assert_ok_body(&i.to_string());
        }
        held.push(c);
    }
    thread::sleep(Duration::from_millis(300));

    let start = Instant::now();
    let mut fifth = server.connect();
    fifth.set_read_timeout(Duration::from_secs(3));
    let r = fifth.try_read_response(false).unwrap_or_else(|e| panic!("fifth connection: {e}"));
    r.assert_status(503);
    fifth.expect_eof();
    assert!(start.elapsed() < Duration::from_secs(2), "the 503 and close took {:?}", start.elapsed());

    // The held connections still work.
    for (i, c) in held.iter_mut().enumerate() {
        c.send(&get_request(&format!("/baseline11?a={i}&b=10")));
        c.read_response().assert_ok_body(&(i + 10).to_string());
    }

    // One closes: a new connection is served (allowing the server a moment to notice).
    drop(held.remove(0));
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let last;
        let mut c = server.connect();
        c.set_read_timeout(Duration::from_secs(3));
        c.send(&get_request("/baseline11?a=20&b=22"));
        match c.try_read_response(false) {
            Ok(r) if r.status == 200 => {
                r.assert_ok_body("42");
                break;
            }
            Ok(r) => last = format!("{} {:?}", r.status, r.body_str()),
            Err(e) => last = e,
        }
        assert!(Instant::now() < deadline, "no new connection served within 3 s of a slot freeing; last: {last}");
        thread::sleep(Duration::from_millis(100));
    }
    server.assert_running();
}

// ---------------------------------------------------------------------------------------------
// Out of descriptors
// ---------------------------------------------------------------------------------------------

fn start_with_fd_limit(limit: u64, args: &[&str]) -> Server {
    let mut cmd = Command::new(binary());
    cmd.args(args);
    // SAFETY: the closure only calls fcntl and setrlimit, which are async-signal-safe.
    unsafe {
        cmd.pre_exec(move || {
            // Descriptors the test process lets children inherit (cargo's jobserver pipe, for
            // one) would otherwise count against the server's small limit.
            for fd in 3..4096 {
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
            }
            let lim = libc::rlimit { rlim_cur: limit, rlim_max: limit };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Server::spawn(cmd)
}

/// The server's descriptors with what they point to, for messages.
fn fd_listing(pid: i32) -> String {
    let mut v: Vec<(i64, String)> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| {
                    let n = e.file_name().to_string_lossy().parse().unwrap_or(-1);
                    let target = std::fs::read_link(e.path()).map(|p| p.display().to_string()).unwrap_or_default();
                    (n, target)
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v.iter().map(|(n, t)| format!("{n} -> {t}")).collect::<Vec<_>>().join("\n")
}

#[test]
fn out_of_descriptors_no_spin_and_recovers() {
    const LIMIT: usize = 64;
    const CONNS: usize = 100;
    let mut server = start_with_fd_limit(LIMIT as u64, &["--port", "0", "--threads", "1"]);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.pid())).unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap_or("");
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields.get(3..5), Some(&["64", "64"][..]), "the fd limit did not take: {line:?}");
    let idle = server.fd_count();
    let room = LIMIT - idle;
    assert!(room >= 20, "the server uses {idle} descriptors at rest, leaving only {room} of {LIMIT}");

    let mut conns: Vec<Option<Conn>> = (0..CONNS)
        .map(|i| Some(Conn::connect(server.addr()).unwrap_or_else(|e| panic!("connect {i}: {e}"))))
        .collect();
    thread::sleep(Duration::from_millis(500));
    server.assert_running();
    let held = server.fd_count();
    assert!(held <= LIMIT, "{held} descriptors open with a limit of {LIMIT}:\n{}", fd_listing(server.pid()));

    // Saturated: the server must not spin.
    let cpu0 = server.cpu_seconds();
    let t0 = Instant::now();
    thread::sleep(Duration::from_secs(2));
    let cpu = server.cpu_seconds() - cpu0;
    let wall = secs(t0.elapsed());
    assert!(cpu < 0.5, "the server used {cpu:.2} s of CPU in {wall:.2} s while out of descriptors (a spin)");

    // ... and stays responsive on the connections it has.
    for (i, slot) in conns.iter_mut().enumerate().take(10) {
        let c = slot.as_mut().unwrap();
        c.set_read_timeout(Duration::from_secs(3));
        c.send(&get_request(&format!("/baseline11?a={i}&b=1")));
        let r = c.try_read_response(false).unwrap_or_else(|e| panic!("accepted connection {i} while saturated: {e}"));
        r.assert_ok_body(&(i + 1).to_string());
    }

    // Close enough that every remaining connection fits; the waiting ones are then served.
    let close = CONNS - (room - 10);
    for slot in conns.iter_mut().take(close) {
        drop(slot.take());
    }
    let remaining: Vec<(usize, &mut Conn)> =
        conns.iter_mut().enumerate().filter_map(|(i, s)| s.as_mut().map(|c| (i, c))).collect();
    let mut failures = Vec::new();
    let start = Instant::now();
    let mut remaining = remaining;
    for (i, c) in remaining.iter_mut() {
        if let Err(e) = c.try_send(&get_request(&format!("/baseline11?a={i}&b=1000"))) {
            failures.push(format!("connection {i}: send: {e}"));
        }
    }
    for (i, c) in remaining.iter_mut() {
        let left = Duration::from_secs(6).saturating_sub(start.elapsed()).max(Duration::from_millis(200));
        c.set_read_timeout(left);
        match c.try_read_response(false) {
            Ok(r) => {
                if let Err(e) = r.check_status_body(200, &(*i + 1000).to_string()) {
                    failures.push(format!("connection {i}: {e}"));
                }
            }
            Err(e) => failures.push(format!("connection {i}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "after closing {close} of {CONNS} connections ({room} fit), {} of {} waiting ones failed:\n{}",
        failures.len(),
        remaining.len(),
        failures.join("\n")
    );
    drop(remaining);
    drop(conns);
    server.assert_healthy();
}

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/// Sends `bytes` on a fresh connection, expects `status` then the close.
fn expect_refused(server: &Server, what: &str, bytes: &[u8], status: u16) {
    let mut c = server.connect();
    let _ = c.try_send(bytes);
    let r = c.try_read_response(false).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(r.status, status, "{what}: want {status}, got {}; head:\n{}", r.status, r.head);
    r.assert_status(status);
    c.try_expect_eof().unwrap_or_else(|e| panic!("{what} (after {status}): {e}"));
}

#[test]
fn size_limits_from_options() {
    let mut server = Server::start_args(&[
        "--port", "0", "--threads", "1", "--max-header", "1024", "--max-uri", "64", "--max-body", "16",
    ]);

    // Head: 2 KB is refused, about 900 bytes is fine.
    let mut big = b"GET /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nX-Fill: ".to_vec();
    big.extend(std::iter::repeat_n(b'x', 2048));
    big.extend_from_slice(b"\r\n\r\n");
    expect_refused(&server, "2 KB head with --max-header 1024", &big, 431);
    let mut fits = b"GET /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nX-Fill: ".to_vec();
    fits.extend(std::iter::repeat_n(b'x', 850));
    fits.extend_from_slice(b"\r\n\r\n");
    let mut c = server.connect();
    c.send(&fits);
    c.read_response().assert_ok_body("1");

    // Target: 100 bytes is refused, 60 is fine.
    let long = format!("/baseline11?a=1&b={}", "0".repeat(100 - "/baseline11?a=1&b=".len()));
    assert_eq!(long.len(), 100);
    expect_refused(&server, "100-byte target with --max-uri 64", &get_request(&long), 414);
    let short = format!("/baseline11?a=1&b={}", "0".repeat(60 - "/baseline11?a=1&b=".len() - 1) + "2");
    assert_eq!(short.len(), 60);
    c.send(&get_request(&short));
    c.read_response().assert_ok_body("3");

    // Body: 17 bytes refused by Content-Length and by decoded chunks; 16 is fine.
    expect_refused(&server, "Content-Length 17 with --max-body 16", &post_cl_request("/", &[b'7'; 17]), 413);
    expect_refused(
        &server,
        "chunked body of 17 bytes with --max-body 16",
        &post_chunked_request("/", &[b"1234567890", b"1234567"]),
        413,
    );
    expect_refused(
        &server,
        "chunked body of 30 bytes in 1-byte chunks with --max-body 16",
        &post_chunked_request("/", &[&b"1"[..]; 30]),
        413,
    );
    c.send(&post_cl_request("/baseline11?a=1", b"              41"));
    c.read_response().assert_ok_body("42");
    c.send(&post_chunked_request("/baseline11?a=2", &[b"          ", b"    40"]));
    c.read_response().assert_ok_body("42");
    server.assert_healthy();
}

#[test]
fn max_pipeline_2_answers_every_request_in_order() {
    let mut server = Server::start_args(&["--port", "0", "--threads", "1", "--max-pipeline", "2"]);
    for (depth, seed) in [(50usize, 0x50u64), (50, 0x51), (500, 0x500)] {
        let mut rng = Rng::new(seed);
        let reqs: Vec<Mixed> = (0..depth).map(|_| random_request(&mut rng)).collect();
        run_pipeline(&server, &reqs);
    }
    // A pipeline that arrives whole before the server reads it.
    let mut c = server.connect();
    let reqs: Vec<u8> = (0..50).flat_map(|i| get_request(&format!("/baseline11?a={i}&b=-1"))).collect();
    c.send(&reqs);
    for i in 0..50i64 {
        c.read_response().assert_ok_body(&(i - 1).to_string());
    }
    c.expect_open_and_quiet(Duration::from_millis(300));
    server.assert_healthy();
}

// ---------------------------------------------------------------------------------------------
// Empty lines between requests
// ---------------------------------------------------------------------------------------------

/// A stray CRLF after a request (some clients send one after a body) is an ignorable empty line,
/// not the start of a request: no 408 when the header timeout passes, no 400 when the client
/// half-closes, and the connection still serves the next request.
#[test]
fn a_stray_crlf_is_not_a_request() {
    let mut server = Server::start_args(&[
        "--port", "0", "--threads", "1", "--header-timeout", "1", "--idle-timeout", "30",
    ]);
    let mut c = server.connect();
    c.send(b"POST /baseline11?a=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n20\r\n");
    c.read_response().assert_ok_body("21");
    // Well past the header timeout (a 1 s timeout fires within 2 s at the latest).
    c.expect_open_and_quiet(Duration::from_millis(3000));
    c.send(&get_request("/baseline11?a=4&b=5"));
    c.read_response().assert_ok_body("9");

    let mut c = server.connect();
    c.send(b"GET /pipeline HTTP/1.1\r\nHost: localhost\r\n\r\n\r\n");
    c.stream.shutdown(std::net::Shutdown::Write).expect("half-close");
    c.read_response().assert_ok_body("ok");
    let (ending, bytes) = c.read_to_end_within(Duration::from_secs(5));
    assert!(bytes.is_empty(), "bytes after the only answer: {:?}", preview(&bytes));
    assert!(matches!(ending, Ending::Eof), "not closed cleanly after the half-close: {ending:?}");
    server.assert_healthy();
}
