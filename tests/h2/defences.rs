//! The defences (RFC 9113 §10.5): CONTINUATION floods, rapid reset, SETTINGS, PING and empty
//! DATA floods (each GOAWAY ENHANCE_YOUR_CALM past 100 a second, and nothing below), the HPACK
//! bomb (431, the connection goes on), the stream caps (REFUSED_STREAM past 128 streams and
//! past 15 bodies in progress), and the peer that never opens its window (closed after the send
//! timeout).

use crate::raw::*;
use crate::start;
use std::time::{Duration, Instant};

/// Three times a per-second cap: however the flood falls across a second boundary, one second
/// sees more than the cap.
const FLOOD: usize = 300;

#[test]
fn continuation_flood_of_empty_frames() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    let block = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/")]);
    let mut burst = frame(HEADERS, END_STREAM, 1, &block);
    for _ in 0..2000 {
        burst.extend(frame(CONTINUATION, 0, 1, &[]));
    }
    c.send_lossy(&burst);
    let (goaway, before) = c.expect_goaway(ENHANCE_YOUR_CALM);
    assert!(before.is_empty(), "{before:?}");
    assert_eq!(goaway.last_stream(), 0);
}

#[test]
fn continuation_flood_past_the_header_list() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    let block = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/")]);
    let mut burst = frame(HEADERS, END_STREAM, 1, &block);
    // 1,000 bytes of fragment at a time, never ending (the server never gets to decode them).
    let chunk = vec![b'a'; 1000];
    for _ in 0..20 {
        burst.extend(frame(CONTINUATION, 0, 1, &chunk));
    }
    c.send_lossy(&burst);
    let (_, before) = c.expect_goaway(ENHANCE_YOUR_CALM);
    assert!(before.is_empty(), "{before:?}");
}

/// A header block over CONTINUATION frames within the limits is fine (the floods above are
/// refused for their size, not for using CONTINUATION).
#[test]
fn a_long_header_block_over_many_continuations_is_answered() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    let filler = "f".repeat(7000);
    let block = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/baseline2?a=3&b=4"), ("x-filler", &filler)]);
    let pieces: Vec<&[u8]> = block.chunks(100).collect();
    let mut burst = frame(HEADERS, END_STREAM, 1, pieces[0]);
    for (i, p) in pieces.iter().enumerate().skip(1) {
        burst.extend(frame(CONTINUATION, if i + 1 == pieces.len() { END_HEADERS } else { 0 }, 1, p));
    }
    c.send(&burst);
    c.answer(1).assert(200, "7");
}

#[test]
fn rapid_reset() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    let mut burst = Vec::new();
    for i in 0..FLOOD as u32 {
        burst.extend(c.request(2 * i + 1, "POST", "/baseline11?a=1", false));
        burst.extend(rst_stream(2 * i + 1, CANCEL));
    }
    c.send_lossy(&burst);
    let (goaway, before) = c.expect_goaway(ENHANCE_YOUR_CALM);
    assert!(before.is_empty(), "{before:?}");
    // Cut short: the last stream it took is past the cap, and short of the flood's end.
    let last = goaway.last_stream();
    assert!((201..2 * FLOOD as u32 - 1).contains(&last), "last stream {last}");
}

#[test]
fn settings_flood() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    c.send_lossy(&settings(&[(ENABLE_PUSH, 0)]).repeat(FLOOD));
    let (_, before) = c.expect_goaway(ENHANCE_YOUR_CALM);
    assert!(before.iter().all(|f| f.kind == SETTINGS && f.has(ACK)), "{before:?}");
    assert!((99..=200).contains(&before.len()), "{} SETTINGS acknowledged", before.len());
}

#[test]
fn ping_flood() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    let mut burst = Vec::new();
    for i in 0..FLOOD as u64 {
        burst.extend(ping(i.to_be_bytes()));
    }
    c.send_lossy(&burst);
    let (_, before) = c.expect_goaway(ENHANCE_YOUR_CALM);
    for (i, f) in before.iter().enumerate() {
        assert_eq!((f.kind, f.flags, &f.payload[..]), (PING, ACK, &(i as u64).to_be_bytes()[..]), "{}", f.describe());
    }
    assert!((100..=200).contains(&before.len()), "{} PINGs answered", before.len());
}

#[test]
fn empty_data_flood() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    let mut burst = c.request(1, "POST", "/baseline11?a=1", false);
    for _ in 0..FLOOD {
        burst.extend(data(1, &[], false));
    }
    c.send_lossy(&burst);
    let (goaway, before) = c.expect_goaway(ENHANCE_YOUR_CALM);
    assert!(before.is_empty(), "{before:?}");
    assert_eq!(goaway.last_stream(), 1);
}

/// Below the caps (50 of each per second), nothing happens.
#[test]
fn below_the_caps_the_connection_goes_on() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    let mut burst = c.request(1, "POST", "/baseline11?a=1", false);
    for i in 0..50u32 {
        burst.extend(ping([i as u8; 8]));
        burst.extend(settings(&[]));
        burst.extend(data(1, &[], false));
        burst.extend(c.request(4 * i + 3, "POST", "/", false));
        burst.extend(rst_stream(4 * i + 3, CANCEL));
    }
    burst.extend(data(1, b"41", true));
    c.send(&burst);
    let a = c.answers(&[1]);
    a[&1].assert(200, "42");
    c.assert_works(301);
}

/// One literal of 4,000 bytes goes into the dynamic table, then 4,000 one-byte references to it
/// in one block: 16 MB of header list from 8 KB. The answer is 431, and the connection keeps its
/// compression state: the next request references the entry once and is answered.
#[test]
fn hpack_bomb_gets_431_and_the_connection_goes_on() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    let big = "b".repeat(4000);
    let mut fields = vec![(":method", "GET"), (":scheme", "http"), (":path", "/baseline2?a=1&b=1"), ("x-bomb", big.as_str())];
    for _ in 0..4000 {
        fields.push(("x-bomb", big.as_str()));
    }
    let block = c.block(&fields);
    assert!(block.len() < 8200, "the encoder did not index the field: {} bytes", block.len());
    c.send(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &block));
    c.answer(1).assert(431, "Request Header Fields Too Large\n");
    let req = c.headers(3, END_STREAM, &[(":method", "GET"), (":scheme", "http"), (":path", "/baseline2?a=2&b=3"), ("x-bomb", &big)]);
    assert!(req.len() < 100, "the entry is referenced, not sent again");
    c.send(&req);
    c.answer(3).assert(200, "5");
}

/// 128 streams open at once (their answers held by a zero window): the 129th is refused, then
/// every held answer arrives once the window opens.
#[test]
fn refused_stream_past_128_concurrent_streams() {
    let s = start(&[]);
    let mut c = Raw::open_with(s.port, &[(INITIAL_WINDOW_SIZE, 0)]);
    let mut burst = Vec::new();
    for i in 0..129u32 {
        burst.extend(c.get(2 * i + 1, &format!("/baseline2?a={i}&b=1000")));
    }
    c.send(&burst);
    assert_eq!(c.expect_rst(257), REFUSED_STREAM);
    for i in 0..128u32 {
        let a = c.partial(2 * i + 1).unwrap_or_else(|| panic!("no HEADERS on stream {}", 2 * i + 1));
        assert!(a.body.is_empty());
    }
    c.send(&settings(&[(INITIAL_WINDOW_SIZE, 65_535)]));
    let ids: Vec<u32> = (0..128).map(|i| 2 * i + 1).collect();
    let answers = c.answers(&ids);
    for i in 0..128 {
        answers[&(2 * i + 1)].assert(200, &(i + 1000).to_string());
    }
    c.assert_works(259);
}

/// 15 request bodies in progress at once; the 16th is refused; the 15 finish.
#[test]
fn refused_stream_past_15_bodies_in_progress() {
    let s = start(&[]);
    let mut c = Raw::open(s.port);
    let mut burst = Vec::new();
    for i in 0..16u32 {
        burst.extend(c.request(2 * i + 1, "POST", &format!("/baseline11?a={i}"), false));
        burst.extend(data(2 * i + 1, b"10", false));
    }
    c.send(&burst);
    assert_eq!(c.expect_rst(31), REFUSED_STREAM);
    // A GET needs no body: it is answered meanwhile.
    c.assert_works(33);
    let mut burst = Vec::new();
    for i in 0..15u32 {
        burst.extend(data(2 * i + 1, b"0", true));
    }
    c.send(&burst);
    let ids: Vec<u32> = (0..15).map(|i| 2 * i + 1).collect();
    let answers = c.answers(&ids);
    for i in 0..15 {
        answers[&(2 * i + 1)].assert(200, &(i + 100).to_string());
    }
    // The slots are free again.
    let req = c.request(35, "POST", "/baseline11?a=1", false);
    c.send(&req);
    c.send(&data(35, b"1", true));
    c.answer(35).assert(200, "2");
}

/// A peer that never opens its window (initial window 0) on an answer it asked for is closed
/// after the send timeout (1 s here), while an idle connection on the same server stays.
#[test]
fn a_peer_that_never_opens_its_window_is_closed_after_the_send_timeout() {
    let s = start(&["--send-timeout", "1"]);
    let mut idle = Raw::open(s.port);
    idle.assert_works(1);
    let mut c = Raw::open_with(s.port, &[(INITIAL_WINDOW_SIZE, 0)]);
    let req = c.get(1, "/baseline2?a=1");
    c.send(&req);
    let h = c.frame();
    assert_eq!((h.kind, h.stream, h.has(END_STREAM)), (HEADERS, 1, false), "{}", h.describe());
    let t0 = Instant::now();
    match c.next(Duration::from_secs(5)) {
        Event::Closed => {}
        Event::Frame(f) => panic!("want the close, got {}", f.describe()),
        Event::Quiet => panic!("still open 5 s after the send timeout of 1 s"),
    }
    let waited = t0.elapsed();
    assert!(waited >= Duration::from_millis(900), "closed after {waited:?}, before the send timeout");
    eprintln!("blocked peer closed after {waited:?}");
    // The idle connection is still served.
    idle.assert_works(3);
}
