//! Flow control (RFC 9113 §5.2, §6.9) both ways: answers held by a stream window of 1 byte or
//! 0, released by WINDOW_UPDATE or by a new SETTINGS_INITIAL_WINDOW_SIZE; the connection window
//! spent across thousands of answers, then reopened; and the server giving window back as it
//! consumes request bodies, checked by a client that never sends past the windows it was given.

use crate::raw::*;
use crate::start;
use std::collections::HashMap;
use std::io::Write;
use std::thread;
use std::time::{Duration, Instant};

const STALL: Duration = Duration::from_millis(300);

#[test]
fn a_one_byte_window_lets_one_byte_through_at_a_time() {
    let s = start(&[]);
    let mut c = Raw::open_with(s.port, &[(INITIAL_WINDOW_SIZE, 1)]);
    let req = c.get(1, "/baseline2?a=12&b=30");
    c.send(&req);
    let h = c.frame();
    assert_eq!((h.kind, h.stream, h.has(END_STREAM)), (HEADERS, 1, false), "{}", h.describe());
    assert_eq!(h.field("content-length"), Some("2"));
    let d = c.frame();
    assert_eq!((d.kind, d.stream, d.has(END_STREAM), &d.payload[..]), (DATA, 1, false, &b"4"[..]), "{}", d.describe());
    // The window is spent: nothing more until it opens.
    c.expect_quiet(STALL);
    c.send(&window_update(1, 1));
    let d = c.frame();
    assert_eq!((d.kind, d.stream, d.has(END_STREAM), &d.payload[..]), (DATA, 1, true, &b"2"[..]), "{}", d.describe());
    c.expect_quiet(Duration::from_millis(100));
}

#[test]
fn a_zero_window_holds_answers_until_it_opens() {
    let s = start(&[]);
    let mut c = Raw::open_with(s.port, &[(INITIAL_WINDOW_SIZE, 0)]);
    let mut burst = c.get(1, "/baseline2?a=40&b=2");
    burst.extend(c.get(3, "/baseline2?a=1000"));
    burst.extend(c.get(5, "/nope"));
    c.send(&burst);
    // Three HEADERS, no DATA.
    c.wait_begun(&[1, 3, 5]);
    let other = c.drain(STALL);
    assert!(other.is_empty(), "{other:?}");
    for id in [1, 3, 5] {
        let a = c.partial(id).unwrap_or_else(|| panic!("no HEADERS on stream {id}"));
        assert!(a.body.is_empty() && a.data_frames == 0, "{a:?}");
    }
    // A WINDOW_UPDATE on stream 1 releases its answer only.
    c.send(&window_update(1, 100));
    c.answers(&[1])[&1].assert(200, "42");
    c.expect_quiet(STALL);
    // A new initial window applies to the streams already open (§6.9.2): 5 bytes each, all
    // of stream 3's answer, half of stream 5's.
    c.send(&settings(&[(INITIAL_WINDOW_SIZE, 5)]));
    c.answers(&[3])[&3].assert(200, "1000");
    c.drain(STALL);
    let a = c.partial(5).expect("stream 5 under way");
    assert_eq!((a.status, a.body_str().as_str()), (404, "Not F"), "{a:?}");
    c.send(&window_update(5, 5));
    let a = &c.answers(&[5])[&5];
    a.assert(404, "Not Found\n");
    assert_eq!(a.data_frames, 2);
}

/// The connection window: 3,280 answers of 20 bytes each spend its 65,535 bytes (stream windows
/// stay open); the rest waits, then comes once the connection window opens.
#[test]
fn the_connection_window_holds_answers_across_streams() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    const N: u32 = 3280;
    let body = |i: u32| (-9_000_000_000_000_000_000i64 - i64::from(i)).to_string();
    assert_eq!(body(N).len(), 20);
    let mut all = Vec::new();
    for i in 0..N {
        all.extend(c.get(2 * i + 1, &format!("/baseline2?a=-9000000000000000000&b=-{i}")));
    }
    // Written from another thread: answers come back while the requests go out.
    let mut writer = c.stream.try_clone().unwrap();
    let sender = thread::spawn(move || writer.write_all(&all));
    let deadline = Instant::now() + Duration::from_secs(8);
    let mut other = Vec::new();
    loop {
        other.extend(c.drain(STALL));
        let begun = (0..N).filter(|i| c.partial(2 * i + 1).is_some() || c.is_done(2 * i + 1)).count() as u32;
        if begun == N {
            break;
        }
        assert!(Instant::now() < deadline, "only {begun} of {N} answers begun");
    }
    sender.join().unwrap().unwrap();
    assert!(other.iter().all(|f| f.kind == WINDOW_UPDATE || f.kind == SETTINGS), "{other:?}");
    let (mut complete, mut data_bytes) = (0, 0);
    for i in 0..N {
        let id = 2 * i + 1;
        if c.is_done(id) {
            complete += 1;
            data_bytes += 20;
        } else {
            data_bytes += c.partial(id).unwrap().body.len();
        }
    }
    assert_eq!(data_bytes, 65_535, "DATA bytes sent within the connection window");
    assert_eq!(complete, 65_535 / 20, "answers complete within the connection window");
    // The connection window opens by exactly what is left: everything arrives.
    c.send(&window_update(0, (N as usize * 20 - 65_535) as u32));
    let ids: Vec<u32> = (0..N).map(|i| 2 * i + 1).collect();
    let answers = c.answers(&ids);
    for i in 0..N {
        let a = &answers[&(2 * i + 1)];
        assert_eq!((a.status, a.body_str()), (200, body(i)), "stream {}", 2 * i + 1);
    }
    // The window is spent again: the next answer waits for it.
    let req = c.get(2 * N + 1, "/baseline2?a=1");
    c.send(&req);
    c.wait_begun(&[2 * N + 1]);
    let other = c.drain(STALL);
    assert!(other.is_empty(), "{other:?}");
    let a = c.partial(2 * N + 1).expect("HEADERS of the next answer");
    assert!(a.body.is_empty(), "{a:?}");
    c.send(&window_update(0, 1));
    c.answers(&[2 * N + 1])[&(2 * N + 1)].assert(200, "1");
}

/// Request bodies of 240,000 bytes in all over one connection, from a client that sends DATA
/// only within the windows the server gave (65,535 at first, then its WINDOW_UPDATEs): every
/// answer arrives, so the server gave the window back as it consumed the bodies.
#[test]
fn the_server_gives_window_back_as_it_consumes_bodies() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    let mut conn_window: i64 = 65_535;
    let mut given: i64 = 0;
    let mut stream_windows: HashMap<u32, i64> = HashMap::new();
    const REQUESTS: u32 = 30;
    for k in 0..REQUESTS {
        let id = 2 * k + 1;
        let req = c.request(id, "POST", &format!("/baseline11?a={k}"), false);
        c.send(&req);
        stream_windows.insert(id, 65_535);
        let body = format!("{:>7999}\n", 1000 + k);
        for (i, piece) in body.as_bytes().chunks(4000).enumerate() {
            let need = piece.len() as i64;
            let deadline = Instant::now() + FRAME_WAIT;
            while conn_window < need || stream_windows[&id] < need {
                assert!(Instant::now() < deadline, "no window for request {k} after {given} bytes given back");
                match c.next(Duration::from_millis(100)) {
                    Event::Frame(f) if f.kind == WINDOW_UPDATE => {
                        let inc = i64::from(u32::from_be_bytes(f.payload[..4].try_into().unwrap()));
                        assert!(inc > 0);
                        if f.stream == 0 {
                            conn_window += inc;
                            given += inc;
                        } else {
                            *stream_windows.get_mut(&f.stream).unwrap() += inc;
                        }
                    }
                    Event::Frame(f) => panic!("unexpected {}", f.describe()),
                    Event::Quiet => {}
                    Event::Closed => panic!("closed"),
                }
            }
            conn_window -= need;
            *stream_windows.get_mut(&id).unwrap() -= need;
            c.send(&data(id, piece, i == 1));
        }
        // The answer, with any WINDOW_UPDATE before it counted.
        loop {
            let f = c.frame();
            if f.kind == WINDOW_UPDATE {
                let inc = i64::from(u32::from_be_bytes(f.payload[..4].try_into().unwrap()));
                assert_eq!(f.stream, 0, "bodies of 8 KiB never need a stream's window back");
                conn_window += inc;
                given += inc;
                continue;
            }
            assert_eq!((f.kind, f.stream), (HEADERS, id), "{}", f.describe());
            assert_eq!(f.field(":status"), Some("200"));
            let d = c.frame();
            assert_eq!((d.kind, d.stream, d.has(END_STREAM)), (DATA, id, true), "{}", d.describe());
            assert_eq!(d.payload, (1000 + 2 * k).to_string().as_bytes());
            break;
        }
    }
    let sent = i64::from(REQUESTS) * 8000;
    assert!(sent > 3 * 65_535);
    // All but at most one replenishment's worth (half the window) was given back.
    assert!(given >= sent - 32_768 && given <= sent, "given back {given} of {sent}");
}
