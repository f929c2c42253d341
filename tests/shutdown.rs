//! SIGTERM and SIGINT: stop accepting, finish the answers in flight, exit 0 within the grace
//! period.

mod common;

use common::*;
use std::io::{self, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const GRACE: u64 = 3;

/// What a loader thread saw.
#[derive(Default)]
struct LoadReport {
    answered: usize,
    /// Failures before the signal, or truncated/wrong answers at any time.
    failures: Vec<String>,
}

/// Keeps `conns` busy with requests until each is closed by the server (after the signal) or
/// `stop` is set. Every answer must be whole and right; before `signalled`, nothing may fail.
fn load(conns: Vec<Conn>, base: usize, signalled: Arc<AtomicBool>, stop: Arc<AtomicBool>) -> LoadReport {
    let mut report = LoadReport::default();
    let mut live: Vec<Option<Conn>> = conns.into_iter().map(Some).collect();
    let mut round = 0usize;
    while !stop.load(Ordering::Relaxed) && live.iter().any(Option::is_some) {
        for (k, slot) in live.iter_mut().enumerate() {
            let Some(c) = slot.as_mut() else { continue };
            let before = signalled.load(Ordering::Relaxed);
            let a = (base + k) as i64;
            let b = round as i64;
            let what = format!("conn {} round {round}", base + k);
            if let Err(e) = c.try_send(&get_request(&format!("/baseline11?a={a}&b={b}"))) {
                if !before {
                    report.failures.push(format!("{what}: send before the signal: {e}"));
                }
                *slot = None;
                continue;
            }
            match c.try_read_response(false) {
                Ok(r) => match r.check_status_body(200, &(a + b).to_string()) {
                    Ok(()) => report.answered += 1,
                    Err(e) => {
                        report.failures.push(format!("{what}: {e}"));
                        *slot = None;
                    }
                },
                Err(e) => {
                    if !before {
                        report.failures.push(format!("{what}: before the signal: {e}"));
                    } else if !c.leftover().is_empty() {
                        report.failures.push(format!("{what}: truncated answer after the signal: {e}"));
                    }
                    *slot = None;
                }
            }
        }
        round += 1;
    }
    report
}

#[test]
fn sigterm_under_load_finishes_answers_and_exits_0() {
    const LOADERS: usize = 4;
    const PER_LOADER: usize = 50;
    let mut server = Server::start_args(&["--port", "0", "--threads", "2", "--grace", "3"]);
    let addr = server.addr();
    let signalled = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));

    // 200 keep-alive connections sending requests in a loop.
    let loaders: Vec<_> = (0..LOADERS)
        .map(|t| {
            let conns: Vec<Conn> = (0..PER_LOADER).map(|_| server.connect()).collect();
            let (s, st) = (Arc::clone(&signalled), Arc::clone(&stop));
            thread::spawn(move || load(conns, t * PER_LOADER, s, st))
        })
        .collect();

    // One connection with a long pipeline, read slowly until the signal, then at full speed.
    let n_pipe = 90_000usize;
    let mut pipe = server.connect();
    let reqs: Vec<u8> = (0..n_pipe).flat_map(|i| get_request(&format!("/baseline11?a={i}"))).collect();
    let pipe_bytes = reqs.len();
    let mut writer = pipe.stream.try_clone().expect("clone");
    writer.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
    let sender = thread::spawn(move || writer.write_all(&reqs));
    let read_before = 3000;
    for i in 0..read_before {
        let r = pipe.try_read_response(false).unwrap_or_else(|e| panic!("pipeline answer {i} before the signal: {e}"));
        r.assert_ok_body(&i.to_string());
    }

    // A connection in the middle of a request head: nothing can finish it, so the server lives
    // on until the grace period ends.
    let mut straggler = server.connect();
    straggler.send(b"GET /baseline11?a=1 HTTP/1.1\r\nHo");

    thread::sleep(Duration::from_millis(700));
    server.assert_running();
    signalled.store(true, Ordering::Relaxed);
    let t0 = Instant::now();
    server.signal(libc::SIGTERM);

    // The pipeline reader resumes after the signal and reads to the end.
    thread::sleep(Duration::from_millis(300));
    let pipe_reader = thread::spawn(move || -> (usize, Ending, Vec<u8>, Option<String>) {
        let mut i = read_before;
        let mut wrong = None;
        let (ending, rest) = loop {
            if i == n_pipe {
                break pipe.read_to_end_within(Duration::from_secs(GRACE + 4));
            }
            pipe.set_read_timeout(Duration::from_secs(GRACE + 4));
            match pipe.try_read_response(false) {
                Ok(r) => {
                    if let Err(e) = r.check_status_body(200, &i.to_string()) {
                        wrong = Some(format!("pipeline answer {i}: {e}"));
                        break (Ending::Error, Vec::new());
                    }
                    i += 1;
                }
                Err(_) => break pipe.read_to_end_within(Duration::from_millis(100)),
            }
        };
        (i, ending, rest, wrong)
    });

    // New connections are refused once the stop has begun (timers run once a second).
    thread::sleep(Duration::from_secs(2).saturating_sub(t0.elapsed()));
    let alive_at_check = server.is_running();
    match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {}
        Err(e) => panic!("connecting 2 s after SIGTERM failed with {e}, want connection refused"),
        Ok(mut s) => {
            // Accepted by the kernel: it must not be served.
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = s.write_all(&get_request("/baseline11?a=1"));
            let mut c = Conn::from_stream(s).unwrap();
            let got = c.try_read_response(false);
            panic!(
                "a connection 2 s after SIGTERM was accepted (server running: {alive_at_check}); it got {:?}",
                got.map(|r| r.status)
            );
        }
    }

    let status = server.wait_exit(Duration::from_secs(GRACE + 3));
    let exit_time = t0.elapsed();
    stop.store(true, Ordering::Relaxed);
    let status = status.unwrap_or_else(|| {
        panic!("the server did not exit within {} s of SIGTERM (grace {GRACE} s)", GRACE + 3)
    });
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM: {status}");

    let (answered, ending, rest, wrong) = pipe_reader.join().expect("pipeline reader panicked");
    if let Some(w) = wrong {
        panic!("{w}");
    }
    assert!(
        rest.is_empty(),
        "the pipeline connection ended ({ending:?}) after {answered} whole answers with a truncated one: {:?}",
        preview(&rest)
    );
    assert!(
        matches!(ending, Ending::Eof | Ending::Reset),
        "the pipeline connection did not end after the server exited: {ending:?}"
    );
    assert!(answered > read_before, "no pipeline answer after the signal (answered {answered})");
    let _ = sender.join();

    let mut answered_load = 0;
    let mut failures = Vec::new();
    for l in loaders {
        let r = l.join().expect("loader panicked");
        answered_load += r.answered;
        failures.extend(r.failures);
    }
    assert!(
        failures.is_empty(),
        "{} loader failures, first ones:\n{}",
        failures.len(),
        failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(answered_load > 0, "the loaders got no answers at all");

    let (s_end, s_rest) = straggler.read_to_end_within(Duration::from_millis(500));
    assert!(matches!(s_end, Ending::Eof | Ending::Reset), "the straggler's connection ended {s_end:?}");
    let _ = whole(&s_rest);
    eprintln!(
        "SIGTERM: exit after {:.2} s (running at the refused-connect check: {alive_at_check}); pipeline {answered} of \
         {n_pipe} answers ({pipe_bytes} request bytes), ended {ending:?}; loaders {answered_load} answers",
        exit_time.as_secs_f64()
    );
}

/// Checks the bytes are whole responses; panics on a partial one.
fn whole(bytes: &[u8]) -> Vec<Response> {
    let (resps, rest) = split_responses(bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(rest.is_empty(), "a truncated response: {:?}", preview(&rest));
    resps
}

/// An idle server (one idle keep-alive connection held) exits 0 within 3 s of `sig`, and the
/// held connection is closed.
fn idle_exit(sig: i32, name: &str) {
    let mut server = Server::start_args(&["--port", "0", "--threads", "2", "--grace", "5"]);
    let mut held = server.connect();
    held.send(&get_request("/baseline11?a=1&b=2"));
    held.read_response().assert_ok_body("3");
    let mut c = server.connect();
    c.send(&get_request("/pipeline"));
    c.read_response().assert_ok_body("ok");
    drop(c);
    thread::sleep(Duration::from_millis(200));

    let t0 = Instant::now();
    server.signal(sig);
    let status = server
        .wait_exit(Duration::from_secs(3))
        .unwrap_or_else(|| panic!("an idle server did not exit within 3 s of {name}"));
    assert_eq!(status.code(), Some(0), "exit status after {name}: {status}");
    let (ending, rest) = held.read_to_end_within(Duration::from_secs(1));
    assert!(rest.is_empty(), "the idle connection got bytes at {name}: {:?}", preview(&rest));
    assert!(matches!(ending, Ending::Eof | Ending::Reset), "the idle connection ended {ending:?}");
    eprintln!("{name}: idle server exited after {:.2} s", t0.elapsed().as_secs_f64());
    match TcpStream::connect_timeout(&server.addr(), Duration::from_secs(1)) {
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {}
        other => panic!("connecting after the server exited: {other:?}"),
    }
}

#[test]
fn sigint_idle_server_exits_0_promptly() {
    idle_exit(libc::SIGINT, "SIGINT");
}

#[test]
fn sigterm_idle_server_exits_0_promptly() {
    idle_exit(libc::SIGTERM, "SIGTERM");
}

#[test]
fn sigterm_with_no_connections_exits_0_promptly() {
    let mut server = Server::start_args(&["--port", "0", "--threads", "1"]);
    let t0 = Instant::now();
    server.signal(libc::SIGTERM);
    let status = server
        .wait_exit(Duration::from_secs(3))
        .unwrap_or_else(|| panic!("a server with no connections did not exit within 3 s of SIGTERM"));
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM: {status}");
    eprintln!("SIGTERM with no connections: exited after {:.2} s", t0.elapsed().as_secs_f64());
}

#[test]
fn answer_in_progress_at_sigterm_is_completed() {
    // Many connections each with a pipeline sent whole before the signal, whose answers the
    // client reads only after it: every one must arrive, whole, before the close.
    let mut server = Server::start_args(&["--port", "0", "--threads", "2", "--grace", "3"]);
    let served = Arc::new(AtomicUsize::new(0));
    let mut conns = Vec::new();
    for k in 0..20usize {
        let mut c = server.connect();
        let reqs: Vec<u8> = (0..2000).flat_map(|i| get_request(&format!("/baseline11?a={i}&b={k}"))).collect();
        let mut w = c.stream.try_clone().unwrap();
        w.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
        let h = thread::spawn(move || w.write_all(&reqs));
        // The first answer proves the request reached the server before the signal.
        c.read_response().assert_ok_body(&k.to_string());
        conns.push((k, c, h));
    }
    let t0 = Instant::now();
    server.signal(libc::SIGTERM);
    let readers: Vec<_> = conns
        .into_iter()
        .map(|(k, mut c, h)| {
            let served = Arc::clone(&served);
            thread::spawn(move || -> Result<(), String> {
                for i in 1..2000 {
                    match c.try_read_response(false) {
                        Ok(r) => {
                            r.check_status_body(200, &(i + k).to_string()).map_err(|e| format!("conn {k} answer {i}: {e}"))?;
                            served.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => return Err(format!("conn {k}: answer {i} of 2000 after SIGTERM: {e}")),
                    }
                }
                let (ending, rest) = c.read_to_end_within(Duration::from_secs(GRACE + 4));
                if !rest.is_empty() {
                    return Err(format!("conn {k}: bytes at the end: {:?}", preview(&rest)));
                }
                if ending == Ending::StillOpen {
                    return Err(format!("conn {k}: still open {} s after SIGTERM", GRACE + 4));
                }
                let _ = h.join();
                Ok(())
            })
        })
        .collect();
    let status = server
        .wait_exit(Duration::from_secs(GRACE + 3))
        .unwrap_or_else(|| panic!("the server did not exit within {} s of SIGTERM", GRACE + 3));
    assert_eq!(status.code(), Some(0), "exit status: {status}");
    let errors: Vec<String> = readers.into_iter().filter_map(|r| r.join().expect("reader panicked").err()).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    eprintln!(
        "answers after SIGTERM: {} of {}; exit after {:.2} s",
        served.load(Ordering::Relaxed),
        20 * 1999,
        t0.elapsed().as_secs_f64()
    );
}
