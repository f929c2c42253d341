//! Every frame type's rules, each stream and connection error with its code and RFC section,
//! and flow control both ways.

use super::*;

#[test]
fn frame_length_rules() {
    use frame::*;
    conn_error(&frame(SETTINGS, 0, 0, &[0; 5]), FRAME_SIZE_ERROR, "RFC9113 6");
    conn_error(&frame(SETTINGS, ACK, 0, &[0; 6]), FRAME_SIZE_ERROR, "RFC9113 6");
    conn_error(&frame(PING, 0, 0, &[0; 7]), FRAME_SIZE_ERROR, "RFC9113 6");
    conn_error(&frame(PING, 0, 0, &[0; 9]), FRAME_SIZE_ERROR, "RFC9113 6");
    conn_error(&frame(WINDOW_UPDATE, 0, 0, &[0, 0, 1]), FRAME_SIZE_ERROR, "RFC9113 6");
    conn_error(&frame(WINDOW_UPDATE, 0, 0, &[0, 0, 0, 1, 0]), FRAME_SIZE_ERROR, "RFC9113 6");
    conn_error(&frame(GOAWAY, 0, 0, &[0; 7]), FRAME_SIZE_ERROR, "RFC9113 6");
    let mut c = Client::new();
    let mut v = c.req(1, "POST", "/", false);
    v.extend(frame(RST_STREAM, 0, 1, &[0; 3]));
    conn_error(&v, FRAME_SIZE_ERROR, "RFC9113 6");
    // Past our SETTINGS_MAX_FRAME_SIZE, judged from the header alone.
    let mut big = frame::head(MAX_PAYLOAD + 1, DATA, 0, 1).to_vec();
    big.push(0);
    conn_error(&big, FRAME_SIZE_ERROR, "RFC9113 4.2");
    // Exactly the maximum is fine (an unknown type, ignored).
    let mut s = Server::open();
    s.send(&frame(0x42, 0, 0, &vec![7; MAX_PAYLOAD]));
    assert!(s.frames().is_empty() && !s.done);
    // PRIORITY of the wrong length: a stream error.
    let mut s = Server::open();
    s.send(&frame(PRIORITY, 0, 3, &[0; 4]));
    assert_eq!(s.frames(), vec![Got::Rst { stream: 3, code: FRAME_SIZE_ERROR }]);
    assert!(!s.done);
    // HEADERS with PRIORITY but too short for its fields.
    conn_error(&frame(HEADERS, END_HEADERS | PRIORITY_FLAG, 1, &[0; 3]), FRAME_SIZE_ERROR, "RFC9113 6");
}

#[test]
fn stream_identifier_rules() {
    use frame::*;
    let mut c = Client::new();
    conn_error(&c.headers(0, END_STREAM, &[(":method", "GET")]), PROTOCOL_ERROR, "RFC9113 6");
    let mut c = Client::new();
    conn_error(&c.get(2, "/"), PROTOCOL_ERROR, "RFC9113 5.1.1");
    // Lower than one already used, and never opened.
    let mut c = Client::new();
    let mut v = c.get(5, "/");
    v.extend(c.get(3, "/"));
    conn_error(&v, PROTOCOL_ERROR, "RFC9113 5.1.1");
    // Reused after END_STREAM: closed.
    let mut c = Client::new();
    let mut v = c.get(1, "/");
    v.extend(c.get(1, "/"));
    conn_error(&v, STREAM_CLOSED, "RFC9113 5.1");
    let mut c = Client::new();
    let mut v = c.get(1, "/");
    v.extend(data(1, true, b"x"));
    conn_error(&v, STREAM_CLOSED, "RFC9113 5.1");
    conn_error(&data(1, true, b"x"), PROTOCOL_ERROR, "RFC9113 5.1");
    conn_error(&data(0, true, b"x"), PROTOCOL_ERROR, "RFC9113 6");
    conn_error(&frame(WINDOW_UPDATE, 0, 1, &1u32.to_be_bytes()), PROTOCOL_ERROR, "RFC9113 5.1");
    conn_error(&frame(RST_STREAM, 0, 1, &0u32.to_be_bytes()), PROTOCOL_ERROR, "RFC9113 5.1");
    conn_error(&frame(RST_STREAM, 0, 0, &0u32.to_be_bytes()), PROTOCOL_ERROR, "RFC9113 6");
    conn_error(&frame(SETTINGS, 0, 1, &[]), PROTOCOL_ERROR, "RFC9113 6");
    conn_error(&frame(PING, 0, 1, &[0; 8]), PROTOCOL_ERROR, "RFC9113 6");
    conn_error(&frame(GOAWAY, 0, 1, &[0; 8]), PROTOCOL_ERROR, "RFC9113 6");
    conn_error(&frame(PRIORITY, 0, 0, &[0; 5]), PROTOCOL_ERROR, "RFC9113 6");
    conn_error(&frame(PUSH_PROMISE, END_HEADERS, 1, &[0, 0, 0, 2]), PROTOCOL_ERROR, "RFC9113 8.4");
    conn_error(&frame(CONTINUATION, END_HEADERS, 1, &[0x82]), PROTOCOL_ERROR, "RFC9113 6.10");
    // A header block interrupted by another frame.
    let mut c = Client::new();
    let b = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/")]);
    let mut v = frame(HEADERS, END_STREAM, 1, &b[..2]);
    v.extend(frame(PING, 0, 0, &[0; 8]));
    conn_error(&v, PROTOCOL_ERROR, "RFC9113 6.10");
    let mut v = frame(HEADERS, END_STREAM, 1, &b[..2]);
    v.extend(frame(CONTINUATION, END_HEADERS, 3, &b[2..]));
    conn_error(&v, PROTOCOL_ERROR, "RFC9113 6.10");
    // WINDOW_UPDATE and RST_STREAM on a closed stream are ignored; PRIORITY on an idle one too.
    let mut s = Server::open();
    let mut c = Client::new();
    s.send(&c.get(1, "/"));
    s.frames();
    s.send(&frame(WINDOW_UPDATE, 0, 1, &5u32.to_be_bytes()));
    s.send(&frame(RST_STREAM, 0, 1, &8u32.to_be_bytes()));
    s.send(&frame(PRIORITY, 0, 9, &[0, 0, 0, 0, 16]));
    assert!(s.frames().is_empty() && !s.done);
}

#[test]
fn padding_rules() {
    use frame::*;
    let mut c = Client::new();
    // DATA padded: the pad length byte plus 3 bytes of padding around "12".
    let mut s = Server::open();
    let mut v = c.req(1, "POST", "/baseline11?a=1", false);
    v.extend(frame(DATA, PADDED | END_STREAM, 1, &[3, b'1', b'2', 0, 0, 0]));
    s.send(&v);
    assert_eq!(answer(&s.frames(), 1), ("200".into(), b"13".to_vec()));
    // HEADERS padded, with priority.
    let b = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/")]);
    let mut p = vec![2, 0, 0, 0, 1, 16];
    p.extend_from_slice(&b);
    p.extend_from_slice(&[0, 0]);
    s.send(&frame(HEADERS, PADDED | PRIORITY_FLAG | END_HEADERS | END_STREAM, 3, &p));
    assert_eq!(answer(&s.frames(), 3), ("200".into(), b"ok".to_vec()));
    // Padding as long as the payload.
    let mut c = Client::new();
    let mut v = c.req(1, "POST", "/", false);
    v.extend(frame(DATA, PADDED, 1, &[2, 0]));
    conn_error(&v, PROTOCOL_ERROR, "RFC9113 6.1");
    conn_error(&frame(DATA, PADDED, 1, &[]), PROTOCOL_ERROR, "RFC9113 6.1");
    conn_error(&frame(HEADERS, PADDED | END_HEADERS, 1, &[5, 0x82]), PROTOCOL_ERROR, "RFC9113 6.1");
}

#[test]
fn settings_rules() {
    use frame::*;
    conn_error(&settings(&[(SETTINGS_ENABLE_PUSH, 2)]), PROTOCOL_ERROR, "RFC9113 6.5.2");
    conn_error(&settings(&[(SETTINGS_INITIAL_WINDOW_SIZE, 1 << 31)]), FLOW_CONTROL_ERROR, "RFC9113 6.9.2");
    conn_error(&settings(&[(SETTINGS_MAX_FRAME_SIZE, 16_383)]), PROTOCOL_ERROR, "RFC9113 6.5.2");
    conn_error(&settings(&[(SETTINGS_MAX_FRAME_SIZE, 1 << 24)]), PROTOCOL_ERROR, "RFC9113 6.5.2");
    let mut s = Server::open();
    s.send(&settings(&[(SETTINGS_ENABLE_PUSH, 1), (SETTINGS_MAX_FRAME_SIZE, 1 << 20), (0x99, 7), (SETTINGS_MAX_CONCURRENT_STREAMS, 0)]));
    assert_eq!(s.frames(), vec![Got::SettingsAck]);
    // A SETTINGS ACK (for ours) needs no answer.
    s.send(&frame(SETTINGS, ACK, 0, &[]));
    assert!(s.frames().is_empty());
}

#[test]
fn ping_and_goaway_from_the_client() {
    let mut s = Server::open();
    s.send(&frame(frame::PING, 0, 0, b"abcdefgh"));
    assert_eq!(s.frames(), vec![Got::Ping(b"abcdefgh".to_vec())]);
    s.send(&frame(frame::PING, frame::ACK, 0, b"abcdefgh"));
    assert!(s.frames().is_empty());
    // The client goes away while a request is open: it is answered, then we are done.
    let mut c = Client::new();
    s.send(&c.req(1, "POST", "/", false));
    s.send(&frame(frame::GOAWAY, 0, 0, &[0, 0, 0, 0, 0, 0, 0, 0]));
    assert!(!s.done);
    s.send(&data(1, true, b"x"));
    assert_eq!(answer(&s.frames(), 1).0, "200");
    assert!(s.done);
}

#[test]
fn unknown_frames_and_priorities_are_ignored() {
    let mut s = Server::open();
    let mut c = Client::new();
    s.send(&frame(0xfa, 0xff, 0, b"whatever"));
    s.send(&frame(0xfa, 0, 7, b""));
    s.send(&frame(frame::PRIORITY, 0, 1, &[0, 0, 0, 3, 200]));
    s.send(&c.get(1, "/"));
    assert_eq!(answer(&s.frames(), 1).0, "200");
    // Depending on itself: a stream error, by PRIORITY or by HEADERS.
    s.send(&frame(frame::PRIORITY, 0, 3, &[0, 0, 0, 3, 200]));
    assert_eq!(s.frames(), vec![Got::Rst { stream: 3, code: frame::PROTOCOL_ERROR }]);
    let b = c.block(&[(":method", "GET"), (":scheme", "http"), (":path", "/")]);
    let mut p = vec![0, 0, 0, 5, 16];
    p.extend_from_slice(&b);
    s.send(&frame(frame::HEADERS, frame::PRIORITY_FLAG | frame::END_HEADERS | frame::END_STREAM, 5, &p));
    assert_eq!(s.frames(), vec![Got::Rst { stream: 5, code: frame::PROTOCOL_ERROR }]);
    assert!(!s.done);
}

#[test]
fn malformed_requests_reset_the_stream_only() {
    let mut s = Server::open();
    let mut c = Client::new();
    let bad: &[&[(&str, &str)]] = &[
        &[(":method", "GET"), (":path", "/")],
        &[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("connection", "close")],
        &[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("te", "gzip")],
        &[(":method", "GET"), (":scheme", "http"), (":path", "/"), (":path", "/")],
        &[(":method", "GET"), (":scheme", "http"), ("x", "1"), (":path", "/")],
        &[(":method", "GET"), (":scheme", "http"), (":path", "/a b")],
        &[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("Upper", "x")],
        &[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("x", "a\nb")],
        &[(":method", "GET"), (":scheme", "http"), (":path", "/"), (":status", "200")],
    ];
    let mut id = 1;
    for fields in bad {
        s.send(&c.headers(id, frame::END_STREAM, fields));
        assert_eq!(s.frames(), vec![Got::Rst { stream: id, code: frame::PROTOCOL_ERROR }], "{fields:?}");
        id += 2;
    }
    // content-length against the body: too much, too little, and non-zero with no body.
    let cl = [(":method", "POST"), (":scheme", "http"), (":path", "/"), ("content-length", "2")];
    s.send(&c.headers(id, 0, &cl));
    s.send(&data(id, false, b"abc"));
    assert_eq!(s.frames(), vec![Got::Rst { stream: id, code: frame::PROTOCOL_ERROR }]);
    // Data in flight on the stream we reset is ignored.
    s.send(&data(id, true, b"more"));
    assert!(s.frames().is_empty());
    id += 2;
    s.send(&c.headers(id, 0, &cl));
    s.send(&data(id, true, b"a"));
    assert_eq!(s.frames(), vec![Got::Rst { stream: id, code: frame::PROTOCOL_ERROR }]);
    id += 2;
    s.send(&c.headers(id, frame::END_STREAM, &cl));
    assert_eq!(s.frames(), vec![Got::Rst { stream: id, code: frame::PROTOCOL_ERROR }]);
    id += 2;
    // Trailers that do not end the stream, or carry a pseudo-header.
    s.send(&c.headers(id, 0, &cl[..3]));
    s.send(&c.headers(id, 0, &[("x-t", "1")]));
    assert_eq!(s.frames(), vec![Got::Rst { stream: id, code: frame::PROTOCOL_ERROR }]);
    id += 2;
    s.send(&c.headers(id, 0, &cl[..3]));
    s.send(&c.headers(id, frame::END_STREAM, &[(":path", "/")]));
    assert_eq!(s.frames(), vec![Got::Rst { stream: id, code: frame::PROTOCOL_ERROR }]);
    id += 2;
    // The connection is fine.
    s.send(&c.get(id, "/baseline2?a=2&b=3"));
    assert_eq!(answer(&s.frames(), id), ("200".into(), b"5".to_vec()));
    assert!(!s.done);
}

#[test]
fn compression_errors_end_the_connection() {
    use frame::*;
    conn_error(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0x80]), COMPRESSION_ERROR, "RFC9113 4.3");
    conn_error(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0x82, 0x3f, 0xe1, 0x1f]), COMPRESSION_ERROR, "RFC9113 4.3");
    conn_error(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0x82, 0x44, 0x81, 0xff]), COMPRESSION_ERROR, "RFC9113 4.3");
    // Even on a stream that would be refused anyway, and with a bad value nobody reads.
    conn_error(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0x00, 0x01, b'x', 0x81, 0xff]), COMPRESSION_ERROR, "RFC9113 4.3");
}

#[test]
fn status_answers_without_routing() {
    let mut s = Server::open();
    let mut c = Client::new();
    let long = format!("/{}", "p".repeat(3000));
    s.send(&c.get(1, &long));
    assert_eq!(answer(&s.frames(), 1), ("414".into(), b"URI Too Long\n".to_vec()));
    s.send(&c.headers(3, frame::END_STREAM, &[(":method", "CONNECT"), (":authority", "x:443")]));
    assert_eq!(answer(&s.frames(), 3).0, "501");
}

#[test]
fn a_body_too_large_is_answered_413_and_the_stream_reset() {
    let limits = Limits { max_body: 10 };
    let mut s = Server::with(limits, 16 * 1024);
    s.send(&start());
    s.frames();
    let mut c = Client::new();
    // Announced by content-length.
    s.send(&c.headers(1, 0, &[(":method", "POST"), (":scheme", "http"), (":path", "/"), ("content-length", "11")]));
    let f = s.frames();
    assert_eq!(answer(&f, 1), ("413".into(), b"Content Too Large\n".to_vec()));
    assert_eq!(f.last(), Some(&Got::Rst { stream: 1, code: frame::NO_ERROR }));
    s.send(&data(1, false, b"01234567890"));
    assert!(s.frames().is_empty());
    // Found out from the DATA.
    s.send(&c.req(3, "POST", "/baseline11", false));
    s.send(&data(3, false, b"123456"));
    s.send(&data(3, false, b"789012"));
    let f = s.frames();
    assert_eq!(answer(&f, 3).0, "413");
    assert_eq!(f.last(), Some(&Got::Rst { stream: 3, code: frame::NO_ERROR }));
    // Exactly the limit is fine; past it with END_STREAM needs no reset.
    s.send(&c.req(5, "POST", "/baseline11", false));
    s.send(&data(5, true, b"0000000007"));
    assert_eq!(answer(&s.frames(), 5), ("200".into(), b"7".to_vec()));
    s.send(&c.req(7, "POST", "/", false));
    s.send(&data(7, true, b"00000000007"));
    let f = s.frames();
    assert_eq!(answer(&f, 7).0, "413");
    assert!(!f.iter().any(|g| matches!(g, Got::Rst { .. })));
    // Trailers still in flight on the stream reset first are ignored too (§5.1), their block
    // decoded: the next request's block refers to the entry they added.
    s.send(&c.headers(1, frame::END_STREAM, &[("x-trailer", "t")]));
    assert!(s.frames().is_empty());
    assert!(!s.done);
    let b = c.headers(9, frame::END_STREAM, &[(":method", "GET"), (":scheme", "http"), (":path", "/"), ("x-trailer", "t")]);
    assert!(b.len() < HEAD_LEN + 8, "the client's encoder refers to the entry: {b:?}");
    s.send(&b);
    assert_eq!(answer(&s.frames(), 9), ("200".into(), b"ok".to_vec()));
}

#[test]
fn flow_control_holds_answers_until_the_window_opens() {
    use frame::*;
    let mut s = Server::new();
    let mut v = PREFACE.to_vec();
    v.extend(settings(&[(SETTINGS_INITIAL_WINDOW_SIZE, 0)]));
    s.send(&v);
    s.frames();
    let mut c = Client::new();
    s.send(&c.get(1, "/baseline2?a=100&b=23"));
    let f = s.frames();
    assert!(matches!(f.as_slice(), [Got::Headers { stream: 1, end: false, .. }]), "{f:?}");
    assert!(s.conn.is_blocked());
    assert!(!s.conn.is_idle());
    assert!(!s.conn.wants_flush());
    // One byte of window: one byte of body.
    s.send(&frame(WINDOW_UPDATE, 0, 1, &1u32.to_be_bytes()));
    assert_eq!(s.frames(), vec![Got::Data { stream: 1, end: false, bytes: b"1".to_vec() }]);
    assert!(s.conn.is_blocked());
    // The rest once the stream has room.
    s.send(&frame(WINDOW_UPDATE, 0, 1, &100u32.to_be_bytes()));
    assert_eq!(s.frames(), vec![Got::Data { stream: 1, end: true, bytes: b"23".to_vec() }]);
    assert!(!s.conn.is_blocked());
    assert!(s.conn.is_idle());
    // A SETTINGS change opens every waiting stream's window.
    s.send(&c.get(3, "/"));
    s.send(&c.get(5, "/"));
    assert_eq!(s.frames().len(), 2);
    s.send(&settings(&[(SETTINGS_INITIAL_WINDOW_SIZE, 1)]));
    let f = s.frames();
    assert_eq!(f[0], Got::SettingsAck);
    assert_eq!(f[1..], [Got::Data { stream: 3, end: false, bytes: b"o".to_vec() }, Got::Data { stream: 5, end: false, bytes: b"o".to_vec() }]);
    // ... and can close it again, below zero.
    s.send(&settings(&[(SETTINGS_INITIAL_WINDOW_SIZE, 0)]));
    s.send(&frame(WINDOW_UPDATE, 0, 3, &1u32.to_be_bytes()));
    assert_eq!(s.frames(), vec![Got::SettingsAck]);
    s.send(&frame(WINDOW_UPDATE, 0, 3, &1u32.to_be_bytes()));
    assert_eq!(s.frames(), vec![Got::Data { stream: 3, end: true, bytes: b"k".to_vec() }]);
    // The connection window holds answers too.
    let mut s = Server::open();
    let mut c = Client::new();
    let mut big = Vec::new();
    // 65535 bytes of window; answers of 2 bytes: exhaust it with a few large-window steps.
    s.send(&settings(&[(SETTINGS_INITIAL_WINDOW_SIZE, 1 << 30)]));
    s.frames();
    s.conn_send_window_for_test(1);
    big.extend(c.get(1, "/"));
    s.send(&big);
    let f = s.frames();
    assert_eq!(f[1], Got::Data { stream: 1, end: false, bytes: b"o".to_vec() });
    assert!(s.conn.is_blocked());
    s.send(&frame(WINDOW_UPDATE, 0, 0, &1u32.to_be_bytes()));
    assert_eq!(s.frames(), vec![Got::Data { stream: 1, end: true, bytes: b"k".to_vec() }]);
}

#[test]
fn window_update_rules() {
    use frame::*;
    conn_error(&frame(WINDOW_UPDATE, 0, 0, &0u32.to_be_bytes()), PROTOCOL_ERROR, "RFC9113 6.9");
    conn_error(&frame(WINDOW_UPDATE, 0, 0, &0x7fff_ffffu32.to_be_bytes()), FLOW_CONTROL_ERROR, "RFC9113 6.9.1");
    let mut s = Server::open();
    let mut c = Client::new();
    s.send(&c.req(1, "POST", "/", false));
    s.send(&frame(WINDOW_UPDATE, 0, 1, &0u32.to_be_bytes()));
    assert_eq!(s.frames(), vec![Got::Rst { stream: 1, code: PROTOCOL_ERROR }]);
    s.send(&c.req(3, "POST", "/", false));
    s.send(&frame(WINDOW_UPDATE, 0, 3, &0x7fff_ffffu32.to_be_bytes()));
    assert_eq!(s.frames(), vec![Got::Rst { stream: 3, code: FLOW_CONTROL_ERROR }]);
    // A window change that overflows an open stream's window.
    let mut c = Client::new();
    let mut v = c.req(1, "POST", "/", false);
    v.extend(frame(WINDOW_UPDATE, 0, 1, &0x7fff_0000u32.to_be_bytes()));
    v.extend(settings(&[(SETTINGS_INITIAL_WINDOW_SIZE, 0x7fff_ffff)]));
    conn_error(&v, FLOW_CONTROL_ERROR, "RFC9113 6.9.2");
}

#[test]
fn our_receive_windows_are_enforced_and_given_back() {
    use frame::*;
    let limits = Limits { max_body: 1 << 20 };
    let mut s = Server::with(limits, 16 * 1024);
    s.send(&start());
    s.frames();
    let mut c = Client::new();
    s.send(&c.req(1, "POST", "/", false));
    // 16384 * 2 = 32768: half the window, given back for the connection and the stream.
    s.send(&data(1, false, &[b'x'; 16_384]));
    assert!(s.frames().is_empty());
    s.send(&data(1, false, &[b'x'; 16_384]));
    assert_eq!(s.frames(), vec![Got::Window { stream: 1, increment: 32_768 }, Got::Window { stream: 0, increment: 32_768 }]);
    s.send(&data(1, true, b""));
    assert_eq!(answer(&s.frames(), 1).0, "200");
    // Past the window we gave (which replenishing keeps above a frame's size for a client that
    // keeps to it): FLOW_CONTROL_ERROR, for the connection or the stream.
    let mut s = Server::open();
    s.conn.set_recv_window_for_test(10);
    s.send(&c.req(3, "POST", "/", false));
    s.send(&data(3, false, &[b'y'; 11]));
    s.expect_goaway(FLOW_CONTROL_ERROR);
    let mut s = Server::open();
    let mut c = Client::new();
    s.send(&c.req(1, "POST", "/", false));
    s.conn.set_stream_recv_window_for_test(0, 10);
    s.send(&data(1, false, &[b'y'; 11]));
    s.expect_goaway(FLOW_CONTROL_ERROR);
}
