//! The end of connections: SIGTERM with streams open (GOAWAY NO_ERROR, the open streams
//! finished, the close, the exit within the grace period) and the idle timeout (GOAWAY, close).

use crate::raw::*;
use crate::start;
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Streams open at SIGTERM: two POSTs with bodies still coming and a GET whose answer waits for
/// window. The GOAWAY names the last stream; the bodies finish after it, the window opens, all
/// three are answered; a stream opened after the GOAWAY is ignored; then the close and the exit.
#[test]
fn sigterm_finishes_open_streams_then_closes() {
    let mut s = start(&["--threads", "1", "--grace", "3"]);
    let mut c = Raw::open_with(s.port, &[(INITIAL_WINDOW_SIZE, 0)]);
    let mut burst = c.request(1, "POST", "/baseline11?a=1&b=2", false);
    burst.extend(data(1, b"1", false));
    burst.extend(c.request(3, "POST", "/baseline11?a=20", false));
    burst.extend(data(3, b"2", false));
    burst.extend(c.get(5, "/baseline2?a=20&b=22"));
    c.send(&burst);
    // The GET's HEADERS show the server has taken all three.
    let h = c.frame();
    assert_eq!((h.kind, h.stream, h.has(END_STREAM)), (HEADERS, 5, false), "{}", h.describe());
    c.keep(h);

    let t0 = Instant::now();
    s.server.signal(libc::SIGTERM);
    let g = c.frame();
    assert_eq!((g.kind, g.code(), g.last_stream()), (GOAWAY, NO_ERROR, 5), "{}", g.describe());

    // No new connections once stopping.
    let addr = SocketAddr::from(([127, 0, 0, 1], s.port));
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(), "h2c port still accepting after SIGTERM");

    // A new stream after the GOAWAY is ignored; the open ones finish.
    let late = c.get(7, "/baseline2?a=1");
    c.send(&late);
    c.send(&data(1, b"0", true));
    c.send(&data(3, b"5", true));
    c.send(&settings(&[(INITIAL_WINDOW_SIZE, 65_535)]));
    let answers = c.answers(&[1, 3, 5]);
    answers[&1].assert(200, "13");
    answers[&3].assert(200, "45");
    answers[&5].assert(200, "42");
    // Then the close, with nothing for stream 7.
    loop {
        match c.next(FRAME_WAIT) {
            Event::Closed => break,
            Event::Frame(f) if f.kind == SETTINGS && f.has(ACK) => {}
            Event::Frame(f) => panic!("want the close, got {}", f.describe()),
            Event::Quiet => panic!("not closed {FRAME_WAIT:?} after the last answer"),
        }
    }
    drop(c);
    let status = s.server.wait_exit(Duration::from_secs(3 + 2)).expect("no exit within the grace period");
    assert_eq!(status.code(), Some(0), "exit status {status}");
    eprintln!("SIGTERM with open h2 streams: exit after {:?}", t0.elapsed());
}

/// A connection with nothing open past the idle timeout gets GOAWAY(NO_ERROR) naming the last
/// stream, then the close.
#[test]
fn an_idle_connection_gets_goaway_at_the_idle_timeout() {
    let s = start(&["--idle-timeout", "1"]);
    let mut c = Raw::open(s.port);
    c.assert_works(1);
    c.assert_works(3);
    let t0 = Instant::now();
    let (g, before) = c.expect_goaway(NO_ERROR);
    let waited = t0.elapsed();
    assert!(before.is_empty(), "{before:?}");
    assert_eq!(g.last_stream(), 3);
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(4), "GOAWAY after {waited:?}");
}
