//! The defences (CONTINUATION flood, HPACK bomb, rapid reset, SETTINGS, PING and empty DATA
//! floods), the concurrency limits, and the stop.

use super::*;

#[test]
fn header_blocks_over_continuation_frames() {
    use frame::*;
    let mut s = Server::open();
    let mut c = Client::new();
    let b = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/baseline2?a=4&b=5"), ("x-pad", &"p".repeat(300))]);
    // One byte per frame, END_STREAM on the HEADERS frame.
    let mut v = frame(HEADERS, END_STREAM, 1, &b[..1]);
    for (i, byte) in b[1..].iter().enumerate() {
        let last = i == b.len() - 2;
        v.extend(frame(CONTINUATION, if last { END_HEADERS } else { 0 }, 1, std::slice::from_ref(byte)));
    }
    // Fed byte by byte too.
    for byte in &v {
        s.send(std::slice::from_ref(byte));
    }
    assert_eq!(answer(&s.frames(), 1), ("200".into(), b"9".to_vec()));
    assert!(s.kept.is_empty());
}

#[test]
fn continuation_flood_is_a_connection_error() {
    use frame::*;
    // Empty CONTINUATION frames without end: refused once their frames pass what we keep.
    let mut s = Server::open();
    let mut c = Client::new();
    let b = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/")]);
    s.send(&frame(HEADERS, END_STREAM, 1, &b));
    let mut n = 0;
    while !s.done {
        s.send(&frame(CONTINUATION, 0, 1, b""));
        n += 1;
        assert!(n < 2000);
        assert!(s.kept.len() <= conn::CHAIN_MAX);
    }
    s.expect_goaway(ENHANCE_YOUR_CALM);
    // Fragments past the header-list limit.
    let mut s = Server::open();
    s.send(&frame(HEADERS, END_STREAM, 1, &b));
    assert_eq!(b.len(), 3);
    for _ in 0..7 {
        s.send(&frame(CONTINUATION, 0, 1, &[0x82; 1024]));
    }
    assert!(!s.done);
    s.send(&frame(CONTINUATION, 0, 1, &[0x82; 1024]));
    s.expect_goaway(ENHANCE_YOUR_CALM);
}

#[test]
fn an_hpack_bomb_gets_431_and_the_connection_goes_on() {
    let mut s = Server::open();
    // One 4000-byte entry, then a block that references it 1000 times: 4 MB decoded from 1 KB.
    let mut block = vec![0x40, 0x01, b'x'];
    let mut c = [0u8; 8];
    let mut cur = cursor::Cursor::new(&mut c);
    cur.int(0, 7, 4000);
    block.extend_from_slice(cur.written());
    block.extend(vec![b'v'; 4000]);
    let mut get = vec![0x82, 0x86, 0x84];
    get.extend(block);
    s.send(&frame(frame::HEADERS, frame::END_HEADERS | frame::END_STREAM, 1, &get));
    assert_eq!(answer(&s.frames(), 1).0, "200");
    let mut bomb = vec![0x82, 0x86, 0x84];
    bomb.extend(vec![0xbe; 1000]);
    s.send(&frame(frame::HEADERS, frame::END_HEADERS | frame::END_STREAM, 3, &bomb));
    assert_eq!(answer(&s.frames(), 3), ("431".into(), b"Request Header Fields Too Large\n".to_vec()));
    // The table is still in step: a request using it decodes.
    let mut ok = vec![0x82, 0x86, 0x84];
    ok.extend([0x40, 0x01, b'y', 0x01, b'1', 0xbe]);
    s.send(&frame(frame::HEADERS, frame::END_HEADERS | frame::END_STREAM, 5, &ok));
    assert_eq!(answer(&s.frames(), 5).0, "200");
    assert!(!s.done);
}

/// Frames from `make` in one second: the cap lets `cap` through (`already` were sent by the
/// start), the next second as many again, then one more is refused.
fn flood(make: &dyn Fn(u32) -> Vec<u8>, cap: u32, already: u32, code_section: &str) {
    let mut s = Server::open();
    for i in 0..cap - already {
        s.send(&make(i));
        assert!(!s.done, "frame {i} of {cap}");
    }
    // A new second starts afresh.
    s.now += 1;
    for i in 0..cap {
        s.send(&make(cap + i));
        assert!(!s.done);
    }
    s.send(&make(2 * cap));
    let f = s.frames();
    match f.last() {
        Some(Got::GoAway { code, .. }) => assert_eq!(*code, frame::ENHANCE_YOUR_CALM, "{code_section}"),
        other => panic!("{other:?}"),
    }
    assert!(s.done);
}

#[test]
fn rapid_reset_is_capped() {
    // Each stream opened and reset at once (CVE-2023-44487).
    let c = std::cell::RefCell::new(Client::new());
    flood(&|i| {
        let id = 2 * i + 1;
        let mut v = c.borrow_mut().req(id, "POST", "/", false);
        v.extend(frame(frame::RST_STREAM, 0, id, &frame::CANCEL.to_be_bytes()));
        v
    }, RESETS_PER_SEC, 0, "RFC9113 10.5");
}

#[test]
fn settings_ping_and_empty_data_floods_are_capped() {
    flood(&|_| settings(&[]), SETTINGS_PER_SEC, 1, "RFC9113 10.5");
    flood(&|_| frame(frame::PING, 0, 0, &[0; 8]), PINGS_PER_SEC, 0, "RFC9113 10.5");
    let c = std::cell::RefCell::new(Client::new());
    flood(&|i| {
        let mut v = if i == 0 { c.borrow_mut().req(1, "POST", "/", false) } else { Vec::new() };
        v.extend(data(1, false, b""));
        v
    }, EMPTY_FRAMES_PER_SEC, 0, "RFC9113 10.5");
}

#[test]
fn concurrency_limits_refuse_streams() {
    use frame::*;
    // Bodies in progress: past the slots, REFUSED_STREAM.
    let mut s = Server::open();
    let mut c = Client::new();
    for i in 0..stream::BODY_SLOTS as u32 {
        s.send(&c.req(2 * i + 1, "POST", "/", false));
    }
    assert!(s.frames().is_empty());
    let next = 2 * stream::BODY_SLOTS as u32 + 1;
    s.send(&c.req(next, "POST", "/", false));
    assert_eq!(s.frames(), vec![Got::Rst { stream: next, code: REFUSED_STREAM }]);
    // GETs are still answered, and a finished body frees its slot.
    s.send(&c.get(next + 2, "/"));
    assert_eq!(answer(&s.frames(), next + 2).0, "200");
    s.send(&data(1, true, b""));
    s.send(&c.req(next + 4, "POST", "/", false));
    s.send(&data(next + 4, true, b""));
    let f = s.frames();
    assert_eq!(answer(&f, 1).0, "200");
    assert_eq!(answer(&f, next + 4).0, "200");
    // Answers held by a closed window: 128 kept, then REFUSED_STREAM.
    let mut s = Server::new();
    let mut v = PREFACE.to_vec();
    v.extend(settings(&[(SETTINGS_INITIAL_WINDOW_SIZE, 0)]));
    s.send(&v);
    let mut c = Client::new();
    for i in 0..stream::MAX_STREAMS as u32 {
        s.send(&c.get(2 * i + 1, "/"));
    }
    s.frames();
    let id = 2 * stream::MAX_STREAMS as u32 + 1;
    s.send(&c.get(id, "/"));
    assert_eq!(s.frames(), vec![Got::Rst { stream: id, code: REFUSED_STREAM }]);
    // Even one that needs no entry: the limit counts the streams open at once.
    s.send(&c.req(id + 2, "HEAD", "/", true));
    assert_eq!(s.frames(), vec![Got::Rst { stream: id + 2, code: REFUSED_STREAM }]);
    // The client resets one: room again.
    s.send(&frame(RST_STREAM, 0, 1, &CANCEL.to_be_bytes()));
    s.send(&c.get(id + 4, "/"));
    let f = s.frames();
    assert!(matches!(f.as_slice(), [Got::Headers { .. }]), "{f:?}");
}

#[test]
fn stop_finishes_open_streams_then_is_done() {
    let mut s = Server::open();
    let mut c = Client::new();
    s.send(&c.req(1, "POST", "/baseline11?a=1", false));
    s.send(&c.get(3, "/"));
    s.frames();
    s.goaway();
    assert_eq!(s.frames(), vec![Got::GoAway { last: 3, code: frame::NO_ERROR, debug: String::new() }]);
    assert!(!s.conn.is_done());
    // A new stream after the GOAWAY is ignored (its block still decoded).
    s.send(&c.get(5, "/"));
    assert!(s.frames().is_empty());
    s.send(&data(5, true, b"x"));
    assert!(s.frames().is_empty());
    // The open one finishes; then done.
    s.send(&data(1, true, b"1"));
    assert_eq!(answer(&s.frames(), 1), ("200".into(), b"2".to_vec()));
    assert!(s.done);
    assert!(s.conn.is_done());
    // Stopping in the middle of the client's preface: GOAWAY, and the rest is not taken for
    // frames.
    let mut s = Server::new();
    s.send(&PREFACE[..10]);
    s.goaway();
    s.send(&PREFACE[10..]);
    let f = s.frames();
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(matches!(f[1], Got::GoAway { code: frame::NO_ERROR, .. }));
    assert!(s.conn.is_done());
    // Stopping an idle connection: GOAWAY and done at once, by goaway() or by cx.stopping.
    let mut s = Server::open();
    s.goaway();
    assert!(s.conn.is_done());
    let mut s = Server::open();
    let mut out = vec![0u8; conn::MIN_OUT];
    let cx = Cx { date: DATE, now: 0, stopping: true, limits: &s.limits };
    let fed = s.conn.feed(&mut [], &mut out, &cx);
    assert_eq!(fed.next, Next::Done);
    s.wire.extend_from_slice(&out[..fed.written]);
    assert_eq!(s.frames(), vec![Got::GoAway { last: 0, code: frame::NO_ERROR, debug: String::new() }]);
}
