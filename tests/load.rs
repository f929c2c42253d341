//! Many connections: 2,000 short keep-alive connections of 10 requests each, and 10,000
//! concurrent keep-alive connections.

mod common;

use common::*;
use std::io;
use std::sync::Arc;
use std::thread;

/// The request for a (connection, request) index, with its answer.
fn request_for(conn: usize, i: usize) -> (Vec<u8>, String) {
    let a = conn as i64;
    let b = i as i64 * 7 - 30;
    match (conn + i) % 3 {
        0 => (get_request(&format!("/baseline11?a={a}&b={b}")), (a + b).to_string()),
        1 => {
            let body = (conn as i64 % 97) - 50;
            (post_cl_request(&format!("/baseline11?a={a}&b={b}"), body.to_string().as_bytes()), (a + b + body).to_string())
        }
        _ => {
            let body = format!("{}", i as i64 * 1000 + 1);
            let (x, y) = body.split_at(1);
            (
                post_chunked_request(&format!("/baseline11?a={a}&b={b}"), &[x.as_bytes(), y.as_bytes()]),
                (a + b + i as i64 * 1000 + 1).to_string(),
            )
        }
    }
}

fn connect_error(e: &io::Error, n: usize) -> String {
    let what = match e.raw_os_error() {
        Some(libc::EADDRNOTAVAIL) => " (EADDRNOTAVAIL: out of local ports)",
        Some(libc::EMFILE) => " (EMFILE: out of file descriptors in the test process)",
        Some(libc::ENFILE) => " (ENFILE: system file table full)",
        _ => "",
    };
    format!("connect number {n} failed: {e}{what}")
}

#[test]
fn two_thousand_connections_of_ten_requests() {
    const CONNS: usize = 2000;
    const THREADS: usize = 8;
    const REQS: usize = 10;
    let mut server = Server::start();
    let addr = server.addr();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            thread::spawn(move || -> Result<usize, String> {
                let mut done = 0;
                for conn in (t..CONNS).step_by(THREADS) {
                    let mut c = Conn::connect(addr).map_err(|e| connect_error(&e, conn))?;
                    for i in 0..REQS {
                        let (req, want) = request_for(conn, i);
                        c.try_send(&req).map_err(|e| format!("conn {conn} request {i}: send: {e}"))?;
                        let r = c.try_read_response(false).map_err(|e| format!("conn {conn} request {i}: {e}"))?;
                        r.check_status_body(200, &want).map_err(|e| format!("conn {conn} request {i}: {e}"))?;
                        done += 1;
                    }
                }
                Ok(done)
            })
        })
        .collect();
    let mut total = 0;
    let mut errors = Vec::new();
    for h in handles {
        match h.join().expect("client thread panicked") {
            Ok(n) => total += n,
            Err(e) => errors.push(e),
        }
    }
    assert!(errors.is_empty(), "client threads failed:\n{}", errors.join("\n"));
    assert_eq!(total, CONNS * REQS);
    server.assert_healthy();
}

#[test]
fn ten_thousand_concurrent_keep_alive_connections() {
    const CONNS: usize = 10_000;
    const THREADS: usize = 8;
    raise_nofile_limit();
    let limit = nofile_limit();
    assert!(
        limit >= CONNS as u64 + 1000,
        "RLIMIT_NOFILE is {limit} after raising it to the hard limit; this test needs more than {}",
        CONNS + 1000
    );
    let mut server = Server::start();
    let addr = server.addr();

    // Open all connections and keep them open.
    let openers: Vec<_> = (0..THREADS)
        .map(|t| {
            thread::spawn(move || -> Result<Vec<(usize, Conn)>, String> {
                let mut v = Vec::new();
                for n in (t..CONNS).step_by(THREADS) {
                    let c = Conn::connect(addr).map_err(|e| connect_error(&e, n))?;
                    v.push((n, c));
                }
                Ok(v)
            })
        })
        .collect();
    let mut groups = Vec::new();
    let mut errors = Vec::new();
    for h in openers {
        match h.join().expect("opener thread panicked") {
            Ok(v) => groups.push(v),
            Err(e) => errors.push(e),
        }
    }
    assert!(errors.is_empty(), "opening {CONNS} connections failed:\n{}", errors.join("\n"));
    let open: usize = groups.iter().map(Vec::len).sum();
    assert_eq!(open, CONNS);
    server.assert_running();

    // Every connection gets one request, then every answer is read.
    let barrier = Arc::new(std::sync::Barrier::new(groups.len()));
    let workers: Vec<_> = groups
        .into_iter()
        .map(|mut group| {
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || -> (usize, Vec<String>) {
                let mut errors = Vec::new();
                let mut answered = 0;
                let mut ok = vec![true; group.len()];
                for (k, (n, c)) in group.iter_mut().enumerate() {
                    let (req, _) = request_for(*n, 3);
                    if let Err(e) = c.try_send(&req) {
                        errors.push(format!("conn {n}: send: {e}"));
                        ok[k] = false;
                    }
                }
                barrier.wait();
                for (k, (n, c)) in group.iter_mut().enumerate() {
                    if !ok[k] {
                        continue;
                    }
                    let (_, want) = request_for(*n, 3);
                    match c.try_read_response(false).and_then(|r| r.check_status_body(200, &want)) {
                        Ok(()) => answered += 1,
                        Err(e) => errors.push(format!("conn {n}: {e}")),
                    }
                }
                // Keep the connections alive until every answer was read.
                barrier.wait();
                drop(group);
                (answered, errors)
            })
        })
        .collect();
    let mut answered = 0;
    let mut errors = Vec::new();
    for h in workers {
        let (a, e) = h.join().expect("worker thread panicked");
        answered += a;
        errors.extend(e);
    }
    let shown: Vec<_> = errors.iter().take(20).cloned().collect();
    assert!(
        errors.is_empty(),
        "{answered} of {CONNS} connections answered; {} errors, first ones:\n{}",
        errors.len(),
        shown.join("\n")
    );
    assert_eq!(answered, CONNS);
    server.assert_healthy();
}
