//! The echo against an independent implementation: a tiny blocking TCP server (one thread per
//! connection, a Vec for the kept bytes) does the HTTP upgrade itself with
//! [`handshake::accept`] and then hands every byte it reads to [`feed`], as the worker will;
//! tungstenite is the client. What tungstenite accepts (masking, framing, close handshake,
//! UTF-8) is checked by a second implementation, not by our own reading of the RFC.

use super::{feed, handshake, Conn, Limits, Next};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tungstenite::protocol::frame::Frame;
use tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tungstenite::{Error, Message, WebSocket};

/// How a served connection ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    /// feed said Done.
    Done,
    /// The peer closed TCP first.
    Eof,
}

/// Serves one connection: the upgrade, then the echo with the worker's buffer sizes.
fn serve(mut sock: TcpStream, limits: Limits) -> End {
    let mut kept = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    let head_end = loop {
        let n = sock.read(&mut chunk).unwrap();
        assert!(n > 0, "EOF inside the upgrade request");
        kept.extend_from_slice(&chunk[..n]);
        if let Some(i) = kept.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8(kept[..head_end].to_vec()).unwrap();
    let key = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("sec-websocket-key"))
        .map(|(_, v)| v.trim())
        .expect("a Sec-WebSocket-Key");
    let accept = handshake::accept(key.as_bytes()).expect("a valid key");
    let answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
        std::str::from_utf8(&accept).unwrap()
    );
    sock.write_all(answer.as_bytes()).unwrap();
    kept.drain(..head_end);

    let mut conn = Conn::default();
    let mut out = vec![0u8; 16 << 10];
    loop {
        loop {
            let fed = feed(&mut conn, &kept, &mut out, &limits);
            sock.write_all(&out[..fed.written]).unwrap();
            kept.drain(..fed.consumed);
            if fed.next == Next::Done {
                return End::Done;
            }
            if !fed.stopped {
                break;
            }
        }
        match sock.read(&mut chunk) {
            Ok(0) | Err(_) => return End::Eof,
            Ok(n) => kept.extend_from_slice(&chunk[..n]),
        }
    }
}

/// A tungstenite client connected to a fresh server thread; the handle gives how it ended.
fn connect(limits: Limits) -> (WebSocket<TcpStream>, thread::JoinHandle<End>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || serve(listener.accept().unwrap().0, limits));
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
    let config = WebSocketConfig::default().max_message_size(Some(4 << 20)).max_frame_size(Some(4 << 20));
    let (ws, response) =
        tungstenite::client::client_with_config(format!("ws://{addr}/ws"), stream, Some(config)).unwrap();
    assert_eq!(response.status(), 101);
    (ws, server)
}

/// Reads the next message that is not a pong (tungstenite reports pongs as messages too).
fn read_data(ws: &mut WebSocket<TcpStream>) -> Message {
    loop {
        match ws.read().unwrap() {
            Message::Pong(_) => continue,
            m => return m,
        }
    }
}

/// Closes from the client and checks the server's answer and end.
fn close_normally(mut ws: WebSocket<TcpStream>, server: thread::JoinHandle<End>) {
    ws.close(Some(CloseFrame { code: CloseCode::Normal, reason: "bye".into() })).unwrap();
    let reply = loop {
        match ws.read() {
            Ok(Message::Close(c)) => break c,
            Ok(_) => continue,
            Err(e) => panic!("no close reply: {e}"),
        }
    };
    assert_eq!(reply.map(|c| c.code), Some(CloseCode::Normal));
    assert!(matches!(ws.read(), Err(Error::ConnectionClosed)));
    assert_eq!(server.join().unwrap(), End::Done);
}

const SIZES: [usize; 7] = [0, 1, 125, 126, 65_535, 65_536, 1 << 20];

fn text_of(n: usize) -> String {
    // Multi-byte characters, so the server's pieces cut code points.
    let mut s = String::new();
    let chars = ['w', 'é', '€', '😀'];
    let mut i = 0;
    while s.len() < n {
        let c = chars[i % 4];
        s.push(if s.len() + c.len_utf8() <= n { c } else { '.' });
        i += 1;
    }
    s
}

#[test]
fn text_and_binary_at_every_size() {
    let (mut ws, server) = connect(Limits::DEFAULT);
    for n in SIZES {
        let text = text_of(n);
        ws.send(Message::text(text.clone())).unwrap();
        assert_eq!(read_data(&mut ws), Message::text(text), "text of {n}");
        let bin: Vec<u8> = (0..n).map(|i| (i * 31 + n) as u8).collect();
        ws.send(Message::binary(bin.clone())).unwrap();
        assert_eq!(read_data(&mut ws), Message::binary(bin), "binary of {n}");
    }
    close_normally(ws, server);
}

#[test]
fn many_messages_in_flight() {
    let (mut ws, server) = connect(Limits::DEFAULT);
    for i in 0..500 {
        ws.write(Message::text(format!("message {i}"))).unwrap();
    }
    ws.flush().unwrap();
    for i in 0..500 {
        assert_eq!(read_data(&mut ws), Message::text(format!("message {i}")));
    }
    close_normally(ws, server);
}

#[test]
fn fragmented_messages_with_pings_between() {
    let (mut ws, server) = connect(Limits::DEFAULT);
    let text = text_of(200_000);
    let bytes = text.as_bytes();
    // Fragments cut anywhere, code points included; pings between them.
    let cuts = [0, 1, 3, 1000, 70_000, 70_001, 199_999, 200_000];
    for (i, w) in cuts.windows(2).enumerate() {
        let op = if i == 0 { OpCode::Data(Data::Text) } else { OpCode::Data(Data::Continue) };
        let last = w[1] == bytes.len();
        ws.write(Message::Frame(Frame::message(bytes[w[0]..w[1]].to_vec(), op, last))).unwrap();
        ws.write(Message::Ping(format!("ping {i}").into_bytes().into())).unwrap();
    }
    ws.flush().unwrap();
    // The pongs come first (tungstenite reports them as they arrive), then the message.
    let mut pongs = 0;
    let message = loop {
        match ws.read().unwrap() {
            Message::Pong(p) => {
                assert_eq!(&p[..], format!("ping {pongs}").as_bytes());
                pongs += 1;
            }
            m => break m,
        }
    };
    assert_eq!(message, Message::text(text));
    // A binary message in many small fragments.
    let bin: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
    for (i, piece) in bin.chunks(700).enumerate() {
        let op = if i == 0 { OpCode::Data(Data::Binary) } else { OpCode::Data(Data::Continue) };
        ws.write(Message::Frame(Frame::message(piece.to_vec(), op, (i + 1) * 700 >= bin.len()))).unwrap();
    }
    ws.flush().unwrap();
    assert_eq!(read_data(&mut ws), Message::binary(bin));
    close_normally(ws, server);
}

#[test]
fn ping_gets_its_pong() {
    let (mut ws, server) = connect(Limits::DEFAULT);
    for payload in [&b""[..], b"x", &[7u8; 125]] {
        ws.send(Message::Ping(payload.to_vec().into())).unwrap();
        assert_eq!(ws.read().unwrap(), Message::Pong(payload.to_vec().into()));
    }
    close_normally(ws, server);
}

/// Reads until the server's close and returns its code; tungstenite answers it.
fn server_close_code(ws: &mut WebSocket<TcpStream>) -> Option<CloseCode> {
    loop {
        match ws.read() {
            Ok(Message::Close(c)) => return c.map(|c| c.code),
            Ok(_) => continue,
            Err(e) => panic!("no close from the server: {e}"),
        }
    }
}

#[test]
fn invalid_utf8_closes_with_1007() {
    let (mut ws, server) = connect(Limits::DEFAULT);
    ws.send(Message::text("fine")).unwrap();
    assert_eq!(read_data(&mut ws), Message::text("fine"));
    ws.write(Message::Frame(Frame::message(b"ok".to_vec(), OpCode::Data(Data::Text), false))).unwrap();
    ws.write(Message::Frame(Frame::message(b"\xc3\x28".to_vec(), OpCode::Data(Data::Continue), true))).unwrap();
    ws.flush().unwrap();
    assert_eq!(server_close_code(&mut ws), Some(CloseCode::Invalid));
    // tungstenite answered the close; the server saw it and ended.
    let _ = ws.flush();
    assert_eq!(server.join().unwrap(), End::Done);
}

#[test]
fn too_big_closes_with_1009() {
    let (mut ws, server) = connect(Limits { max_message: 1 << 20 });
    ws.send(Message::binary(vec![1u8; (1 << 20) + 1])).unwrap();
    assert_eq!(server_close_code(&mut ws), Some(CloseCode::Size));
    let _ = ws.flush();
    assert_eq!(server.join().unwrap(), End::Done);
}

#[test]
fn close_codes_come_back() {
    for code in [1000u16, 1001, 1003, 1011, 1012, 1014, 3000, 4999] {
        let (mut ws, server) = connect(Limits::DEFAULT);
        ws.close(Some(CloseFrame { code: CloseCode::from(code), reason: "".into() })).unwrap();
        assert_eq!(server_close_code(&mut ws).map(u16::from), Some(code));
        assert_eq!(server.join().unwrap(), End::Done);
    }
    // A close without a code gets one without a code.
    let (mut ws, server) = connect(Limits::DEFAULT);
    ws.close(None).unwrap();
    assert_eq!(server_close_code(&mut ws), None);
    assert_eq!(server.join().unwrap(), End::Done);
}
