//! The process as a whole: a prompt stop, one server per port, and one connection limit for all
//! workers however connections spread over them.

mod common;

use common::*;
use std::thread;
use std::time::{Duration, Instant};

/// Waits for the process to exit, polling often: the time it took, or None past `limit`.
fn exit_time(server: &mut Server, limit: Duration) -> Option<(Duration, std::process::ExitStatus)> {
    let t0 = Instant::now();
    while t0.elapsed() < limit {
        if let Some(status) = server.wait_exit(Duration::from_millis(0)) {
            return Some((t0.elapsed(), status));
        }
        thread::sleep(Duration::from_millis(1));
    }
    None
}

#[test]
fn an_idle_server_stops_at_once_and_closes_idle_connections() {
    let mut times = Vec::new();
    for _ in 0..3 {
        let mut server = Server::start_args(&["--port", "0", "--threads", "2", "--grace", "5"]);
        // An idle keep-alive connection, already answered.
        let mut held = server.connect();
        held.send(&get_request("/baseline11?a=1"));
        held.read_response().assert_ok_body("1");
        thread::sleep(Duration::from_millis(50));
        server.signal(libc::SIGTERM);
        let (took, status) = exit_time(&mut server, Duration::from_secs(3)).expect("no exit within 3 s");
        assert_eq!(status.code(), Some(0));
        let (ending, rest) = held.read_to_end_within(Duration::from_millis(200));
        assert!(rest.is_empty() && matches!(ending, Ending::Eof | Ending::Reset), "{ending:?}");
        times.push(took);
    }
    eprintln!("idle stop: {times:?}");
    // The workers are woken, not left to notice on their next one-second tick.
    assert!(times.iter().all(|t| *t < Duration::from_millis(400)), "{times:?}");
}

#[test]
fn a_second_server_on_a_port_in_use_refuses_to_start() {
    let mut first = Server::start();
    let port = first.port.to_string();
    let (status, _, err) = run_to_exit(&["--port", &port, "--threads", "2"], &[], Duration::from_secs(5));
    assert_ne!(status.code(), Some(0), "the second server must fail: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {err:?}");
    assert!(lines[0].contains("address already in use"), "{err:?}");
    assert!(!err.contains("listening on"), "{err:?}");
    // The first one still gets every connection.
    for _ in 0..50 {
        first.assert_healthy();
    }
    // Port 0 still asks the kernel for a free port.
    let second = Server::start();
    assert_ne!(second.port, first.port);
}

/// Pins the calling thread to one CPU, so the kernel takes every connection it makes on that
/// CPU (loopback handles the handshake where the connect runs).
fn pin_to_cpu(cpu: usize) {
    // SAFETY: a cpu_set_t zeroed then filled with CPU_SET, passed by pointer for the call's
    // duration to sched_setaffinity on the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        let rc = libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set);
        assert_eq!(rc, 0, "sched_setaffinity: {}", std::io::Error::last_os_error());
    }
}

#[test]
fn the_connection_limit_holds_for_the_whole_process() {
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    let mut server = Server::start_args(&["--port", "0", "--threads", "2", "--connections", "4"]);
    let addr = server.addr();
    for cpu in 0..cpus.min(2) {
        let conns = thread::spawn(move || {
            pin_to_cpu(cpu);
            // Four connections, all arriving on one CPU: all served.
            let mut held: Vec<Conn> = (0..4).map(|_| Conn::connect(addr).unwrap()).collect();
            for (i, c) in held.iter_mut().enumerate() {
                c.send(&get_request(&format!("/baseline11?a={i}")));
                c.read_response().assert_ok_body(&i.to_string());
            }
            // A fifth is one too many for the process: 503 and a close.
            let mut extra = Conn::connect(addr).unwrap();
            let r = extra.read_response();
            assert_eq!(r.status, 503, "{}", r.head);
            extra.expect_eof();
            // Once one closes, a new one is served.
            drop(held.pop());
            thread::sleep(Duration::from_millis(100));
            let mut again = Conn::connect(addr).unwrap();
            again.send(&get_request("/baseline11?a=9"));
            again.read_response().assert_ok_body("9");
        });
        conns.join().expect("pinned client");
        thread::sleep(Duration::from_millis(100));
    }
    server.assert_running();
    // Also spread over both CPUs.
    let mut held: Vec<Conn> = (0..4).map(|_| server.connect()).collect();
    for c in &mut held {
        c.send(&get_request("/pipeline"));
        c.read_response().assert_ok_body("ok");
    }
    let mut extra = server.connect();
    assert_eq!(extra.read_response().status, 503);
    drop(held);
}
