//! Pipelines of mixed GET, Content-Length POST and chunked POST requests, answered in order.

mod common;

use common::*;
use std::time::Duration;

/// Reads one answer per request, in order, each 200 with the request's expected body.
fn expect_answers_in_order(c: &mut Conn, reqs: &[Mixed], context: &str) {
    for (i, r) in reqs.iter().enumerate() {
        let resp = c.read_response();
        if let Err(e) = resp.check_status_body(200, &r.expect) {
            panic!("{context}answer {i} ({}): {e}", r.what);
        }
    }
}

fn mixed(n: usize, seed: u64) -> Vec<Mixed> {
    let mut rng = Rng::new(seed);
    (0..n).map(|_| random_request(&mut rng)).collect()
}

#[test]
fn mixed_pipeline_16_deep() {
    let mut server = Server::start();
    for seed in 1..=20u64 {
        run_pipeline(&server, &mixed(16, seed));
    }
    server.assert_healthy();
}

#[test]
fn mixed_pipeline_256_deep() {
    let mut server = Server::start();
    for seed in [0xabcdef, 0x123456, 0x777] {
        run_pipeline(&server, &mixed(256, seed));
    }
    server.assert_healthy();
}

#[test]
fn pipeline_longer_than_read_buffers() {
    // About 100 KB of requests in one write: request boundaries fall across every buffer size
    // a server might use (4, 8, 16, 32, 64 KiB).
    let mut server = Server::start();
    let mut rng = Rng::new(0x10_0000);
    let reqs: Vec<Mixed> = (0..1600)
        .map(|i| {
            if i % 5 == 4 {
                random_request(&mut rng)
            } else {
                let a = rng.range(-99_999, 99_999);
                let b = rng.range(-99_999, 99_999);
                let t = format!("/baseline11?a={a}&b={b}");
                Mixed { bytes: get_request(&t), expect: (a + b).to_string(), what: format!("GET {t}") }
            }
        })
        .collect();
    let total: usize = reqs.iter().map(|r| r.bytes.len()).sum();
    assert!(total > 96 * 1024, "pipeline only {total} bytes");
    run_pipeline(&server, &reqs);
    server.assert_healthy();
}

#[test]
fn mixed_pipelines_repeated_on_one_connection() {
    let mut server = Server::start();
    let mut c = server.connect();
    let mut rng = Rng::new(42);
    for round in 0..30 {
        let depth = 1 + rng.below(40) as usize;
        let reqs: Vec<Mixed> = (0..depth).map(|_| random_request(&mut rng)).collect();
        let all: Vec<u8> = reqs.iter().flat_map(|r| r.bytes.clone()).collect();
        c.send(&all);
        expect_answers_in_order(&mut c, &reqs, &format!("round {round}, "));
    }
    server.assert_healthy();
}

#[test]
fn mixed_pipeline_split_at_random_boundaries() {
    let mut server = Server::start();
    let reqs = mixed(64, 0xfeed);
    let all: Vec<u8> = reqs.iter().flat_map(|r| r.bytes.clone()).collect();
    let mut rng = Rng::new(99);
    let mut c = server.connect();
    let mut at = 0;
    while at < all.len() {
        let n = (1 + rng.below(97) as usize).min(all.len() - at);
        c.send(&all[at..at + n]);
        at += n;
        if rng.below(8) == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    expect_answers_in_order(&mut c, &reqs, "");
    server.assert_healthy();
}

#[test]
fn mixed_pipeline_byte_at_a_time() {
    let mut server = Server::start();
    let reqs = mixed(24, 0xb17e);
    let all: Vec<u8> = reqs.iter().flat_map(|r| r.bytes.clone()).collect();
    let mut c = server.connect();
    c.send_bytewise(&all, None).unwrap_or_else(|(i, e)| panic!("write of byte {i} failed: {e}"));
    expect_answers_in_order(&mut c, &reqs, "");
    server.assert_healthy();
}

#[test]
fn mixed_pipeline_byte_at_a_time_with_pauses() {
    let server = Server::start();
    let reqs = mixed(3, 0x5107);
    let all: Vec<u8> = reqs.iter().flat_map(|r| r.bytes.clone()).collect();
    let mut c = server.connect();
    c.send_bytewise(&all, Some(Duration::from_millis(1)))
        .unwrap_or_else(|(i, e)| panic!("write of byte {i} failed: {e}"));
    expect_answers_in_order(&mut c, &reqs, "");
}

#[test]
fn pipeline_with_head_and_404_mixed_in() {
    let server = Server::start();
    let mut rng = Rng::new(7);
    let mut c = server.connect();
    let mut all = Vec::new();
    // (expected status, expected body or None for HEAD with its Content-Length)
    let mut wants: Vec<(u16, Option<String>, String)> = Vec::new();
    for i in 0..64 {
        match i % 4 {
            0 => {
                let m = random_request(&mut rng);
                all.extend_from_slice(&m.bytes);
                wants.push((200, Some(m.expect), m.what));
            }
            1 => {
                let a = rng.range(-999, 999);
                let t = format!("/baseline11?a={a}");
                all.extend_from_slice(&head_request(&t));
                wants.push((200, None, a.to_string()));
            }
            2 => {
                all.extend_from_slice(&get_request(&format!("/missing{i}")));
                wants.push((404, None, String::new()));
            }
            _ => {
                all.extend_from_slice(&get_request("/pipeline"));
                wants.push((200, Some("ok".into()), "GET /pipeline".into()));
            }
        }
    }
    c.send(&all);
    for (i, (status, body, what)) in wants.iter().enumerate() {
        match (status, body) {
            (200, Some(b)) => {
                let r = c.read_response();
                if let Err(e) = r.check_status_body(200, b) {
                    panic!("answer {i} ({what}): {e}");
                }
            }
            (200, None) => {
                let r = c.read_head_response();
                assert_eq!(r.status, 200, "HEAD answer {i}");
                assert_eq!(r.header("content-length"), Some(what.len().to_string().as_str()), "HEAD answer {i}");
            }
            _ => {
                let r = c.read_response();
                assert_eq!(r.status, 404, "answer {i}");
            }
        }
    }
    assert!(c.leftover().is_empty());
}
