//! In-process tests against an independent client (the `h2` crate): a tiny std TCP server
//! (a thread per connection, blocking socket, a Vec for the kept bytes, a Vec for out) drives
//! [`Conn::feed`]/[`Conn::flush`] the way the worker will.

use super::*;
use bytes::Bytes;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

fn now() -> u32 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as u32
}

fn serve_one(mut sock: TcpStream, limits: Limits, out_size: usize) {
    sock.set_nodelay(true).ok();
    let mut conn = Box::new(Conn::new());
    conn.reset(&limits);
    let mut kept: Vec<u8> = Vec::new();
    let mut out = vec![0u8; out_size];
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        let n = match sock.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        kept.extend_from_slice(&buf[..n]);
        let date = crate::date::imf_fixdate(u64::from(now()));
        loop {
            let cx = Cx { date: &date, now: now(), stopping: false, limits: &limits };
            let fed = conn.feed(&mut kept, &mut out, &cx);
            if sock.write_all(&out[..fed.written]).is_err() {
                return;
            }
            kept.drain(..fed.consumed);
            if fed.next == Next::Done {
                let _ = sock.shutdown(std::net::Shutdown::Write);
                // Drain what the peer still sends, so the close is not a reset.
                sock.set_read_timeout(Some(Duration::from_millis(200))).ok();
                while matches!(sock.read(&mut buf), Ok(n) if n > 0) {}
                return;
            }
            if !fed.stopped {
                break;
            }
        }
        while conn.wants_flush() {
            let cx = Cx { date: &date, now: now(), stopping: false, limits: &limits };
            let n = conn.flush(&mut out, &cx);
            if sock.write_all(&out[..n]).is_err() {
                return;
            }
        }
    }
}

/// A server on an ephemeral port, a thread per connection.
fn serve(limits: Limits, out_size: usize) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(sock) = sock else { continue };
            std::thread::spawn(move || serve_one(sock, limits, out_size));
        }
    });
    addr
}

type Client = h2::client::SendRequest<Bytes>;

async fn connect_with(addr: SocketAddr, builder: h2::client::Builder) -> Client {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (client, conn) = builder.handshake(tcp).await.unwrap();
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

async fn connect(addr: SocketAddr) -> Client {
    connect_with(addr, h2::client::Builder::new()).await
}

fn request(method: &str, path: &str) -> http::Request<()> {
    http::Request::builder().method(method).uri(format!("http://localhost{path}")).body(()).unwrap()
}

/// Sends a request with an optional body; returns status, content-length header and body.
async fn call(client: &mut Client, method: &str, path: &str, body: Option<&[u8]>) -> Result<(u16, Option<String>, Vec<u8>), h2::Error> {
    let mut c = client.clone().ready().await?;
    let (resp, mut send) = c.send_request(request(method, path), body.is_none())?;
    if let Some(b) = body {
        send.send_data(Bytes::copy_from_slice(b), true)?;
    }
    let resp = resp.await?;
    let status = resp.status().as_u16();
    let len = resp.headers().get("content-length").map(|v| v.to_str().unwrap().to_string());
    assert_eq!(resp.headers().get("server").unwrap(), "mote");
    assert_eq!(resp.headers().get("content-type").unwrap(), "text/plain");
    assert_eq!(resp.headers().get("date").unwrap().len(), 29);
    let mut body = resp.into_body();
    let mut got = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        body.flow_control().release_capacity(chunk.len()).unwrap();
        got.extend_from_slice(&chunk);
    }
    Ok((status, len, got))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn timed<F: std::future::Future>(f: F) -> F::Output {
    rt().block_on(async { tokio::time::timeout(Duration::from_secs(20), f).await.expect("test timed out") })
}

#[test]
fn endpoints_over_a_real_client() {
    let addr = serve(Limits::DEFAULT, 16 * 1024);
    timed(async {
        let mut c = connect(addr).await;
        assert_eq!(call(&mut c, "GET", "/baseline2?a=13&b=42", None).await.unwrap(), (200, Some("2".into()), b"55".to_vec()));
        assert_eq!(call(&mut c, "GET", "/pipeline", None).await.unwrap(), (200, Some("2".into()), b"ok".to_vec()));
        assert_eq!(call(&mut c, "HEAD", "/baseline2?a=1&b=2", None).await.unwrap(), (200, Some("1".into()), Vec::new()));
        assert_eq!(call(&mut c, "POST", "/baseline11?a=13&b=42", Some(b"20")).await.unwrap(), (200, Some("2".into()), b"75".to_vec()));
        assert_eq!(call(&mut c, "POST", "/", Some(b"discarded")).await.unwrap().2, b"ok");
        assert_eq!(call(&mut c, "GET", "/nope", None).await.unwrap().0, 404);
        assert_eq!(call(&mut c, "DELETE", "/", None).await.unwrap().0, 501);
        let (status, _, body) = call(&mut c, "OPTIONS", "/", None).await.unwrap();
        assert_eq!((status, body.len()), (200, 0));
    });
}

#[test]
fn a_hundred_concurrent_streams_on_one_connection() {
    let addr = serve(Limits::DEFAULT, 16 * 1024);
    timed(async {
        let c = connect(addr).await;
        for _round in 0..5 {
            let mut set = tokio::task::JoinSet::new();
            for i in 0..100u64 {
                let mut c = c.clone();
                set.spawn(async move {
                    let (status, _, body) = call(&mut c, "GET", &format!("/baseline2?a={i}&b=1"), None).await.unwrap();
                    assert_eq!(status, 200);
                    assert_eq!(body, (i + 1).to_string().into_bytes());
                });
            }
            while let Some(r) = set.join_next().await {
                r.unwrap();
            }
        }
    });
}

#[test]
fn many_connections() {
    let addr = serve(Limits::DEFAULT, 16 * 1024);
    timed(async {
        let mut set = tokio::task::JoinSet::new();
        for k in 0..40u64 {
            set.spawn(async move {
                let mut c = connect(addr).await;
                for i in 0..25u64 {
                    let (_, _, body) = call(&mut c, "GET", &format!("/baseline2?a={k}&b={i}"), None).await.unwrap();
                    assert_eq!(body, (k + i).to_string().into_bytes());
                }
            });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap();
        }
    });
}

#[test]
fn tiny_windows_and_a_stall() {
    // A client window of 1 byte for streams: every body comes a byte at a time.
    let addr = serve(Limits::DEFAULT, 16 * 1024);
    timed(async {
        let mut b = h2::client::Builder::new();
        b.initial_window_size(1);
        let mut c = connect_with(addr, b).await;
        for i in 0..20 {
            let (status, _, body) = call(&mut c, "GET", &format!("/baseline2?a={i}&b=-1234567"), None).await.unwrap();
            assert_eq!(status, 200);
            assert_eq!(body, (i - 1_234_567).to_string().into_bytes());
        }
        // A 404's body (10 bytes) through a 1-byte window, many at once.
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..50 {
            let mut c = c.clone();
            set.spawn(async move { assert_eq!(call(&mut c, "GET", "/x", None).await.unwrap().2, b"Not Found\n") });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap();
        }
    });
    // A stall: the client holds the capacity, then releases it.
    timed(async {
        let mut b = h2::client::Builder::new();
        b.initial_window_size(2);
        let c = connect_with(addr, b).await;
        let mut c = c.ready().await.unwrap();
        let (resp, _) = c.send_request(request("GET", "/x"), true).unwrap();
        let resp = resp.await.unwrap();
        let mut body = resp.into_body();
        let first = body.data().await.unwrap().unwrap();
        assert_eq!(&first[..], b"No");
        tokio::time::sleep(Duration::from_millis(100)).await;
        body.flow_control().release_capacity(first.len()).unwrap();
        let mut rest = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk.unwrap();
            body.flow_control().release_capacity(chunk.len()).unwrap();
            rest.extend_from_slice(&chunk);
        }
        assert_eq!(rest, b"t Found\n");
    });
}

#[test]
fn posts_with_bodies_in_many_pieces() {
    let limits = Limits { max_body: 1 << 20 };
    let addr = serve(limits, 16 * 1024);
    timed(async {
        let c = connect(addr).await;
        let mut c = c.ready().await.unwrap();
        let (resp, mut send) = c.send_request(request("POST", "/baseline11?a=1"), false).unwrap();
        // 200 KB of spaces then a number: the windows must be given back to get there.
        let spaces = Bytes::from(vec![b' '; 1000]);
        for _ in 0..200 {
            send.reserve_capacity(1000);
            let mut have = 0;
            while have < 1000 {
                have = std::future::poll_fn(|cx| send.poll_capacity(cx)).await.unwrap().unwrap();
            }
            send.send_data(spaces.clone(), false).unwrap();
        }
        send.send_data(Bytes::from_static(b"41"), true).unwrap();
        let resp = resp.await.unwrap();
        let mut body = resp.into_body();
        assert_eq!(&body.data().await.unwrap().unwrap()[..], b"42");
    });
}

#[test]
fn errors_the_client_observes() {
    let limits = Limits { max_body: 100 };
    let addr = serve(limits, 16 * 1024);
    timed(async {
        let c = connect(addr).await;
        // 413 before the request is complete, then RST_STREAM(NO_ERROR).
        let mut c1 = c.clone().ready().await.unwrap();
        let req = http::Request::builder().method("POST").uri("http://localhost/").header("content-length", "1000").body(()).unwrap();
        let (resp, _send) = c1.send_request(req, false).unwrap();
        assert_eq!(resp.await.unwrap().status(), 413);
        // A content-length the body contradicts: the stream is reset with PROTOCOL_ERROR.
        let mut c2 = c.clone().ready().await.unwrap();
        let req = http::Request::builder().method("POST").uri("http://localhost/").header("content-length", "5").body(()).unwrap();
        let (resp, mut send) = c2.send_request(req, false).unwrap();
        send.send_data(Bytes::from_static(b"abc"), true).unwrap();
        let err = resp.await.unwrap_err();
        assert_eq!(err.reason(), Some(h2::Reason::PROTOCOL_ERROR), "{err}");
        // Bodies in progress past the slots: REFUSED_STREAM.
        let mut held = Vec::new();
        let mut refused = 0;
        for _ in 0..stream::BODY_SLOTS + 1 {
            let mut ci = c.clone().ready().await.unwrap();
            let (resp, send) = ci.send_request(request("POST", "/"), false).unwrap();
            held.push((resp, send));
        }
        let (last, _) = held.pop().unwrap();
        match last.await {
            Err(e) if e.reason() == Some(h2::Reason::REFUSED_STREAM) => refused += 1,
            other => panic!("{other:?}"),
        }
        assert_eq!(refused, 1);
        // The others complete once their bodies end.
        for (resp, mut send) in held {
            send.send_data(Bytes::from_static(b"x"), true).unwrap();
            assert_eq!(resp.await.unwrap().status(), 200);
        }
    });
}

#[test]
fn rapid_reset_ends_in_enhance_your_calm() {
    let addr = serve(Limits::DEFAULT, 16 * 1024);
    timed(async {
        let c = connect(addr).await;
        let mut tripped = None;
        for _ in 0..2000 {
            let mut ci = match c.clone().ready().await {
                Ok(ci) => ci,
                Err(e) => {
                    tripped = Some(e);
                    break;
                }
            };
            match ci.send_request(request("POST", "/"), false) {
                Ok((resp, mut send)) => {
                    send.send_reset(h2::Reason::CANCEL);
                    drop(resp);
                }
                Err(e) => {
                    tripped = Some(e);
                    break;
                }
            }
            tokio::task::yield_now().await;
        }
        // The resets may all be out before the server's GOAWAY is back: further requests fail
        // once it is.
        while tripped.is_none() {
            let mut ci = c.clone();
            if let Err(e) = call(&mut ci, "GET", "/", None).await {
                tripped = Some(e);
            }
        }
        let e = tripped.expect("the server ends the connection");
        assert_eq!(e.reason(), Some(h2::Reason::ENHANCE_YOUR_CALM), "{e}");
    });
}

/// Reads frames from a raw socket until `want` says stop; returns them as (type, flags,
/// stream, payload).
fn read_frames(sock: &mut TcpStream, mut want: impl FnMut(&[(u8, u8, u32, Vec<u8>)]) -> bool) -> Vec<(u8, u8, u32, Vec<u8>)> {
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = Vec::new();
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    while !want(&got) {
        let n = sock.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
        while let Some(h) = frame::Head::parse(&bytes) {
            if bytes.len() < frame::HEAD_LEN + h.len {
                break;
            }
            got.push((h.kind, h.flags, h.stream, bytes[frame::HEAD_LEN..frame::HEAD_LEN + h.len].to_vec()));
            bytes.drain(..frame::HEAD_LEN + h.len);
        }
    }
    got
}

#[test]
fn http1_bytes_get_a_goaway_never_a_200() {
    let addr = serve(Limits::DEFAULT, 16 * 1024);
    let mut sock = TcpStream::connect(addr).unwrap();
    sock.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let got = read_frames(&mut sock, |_| false);
    let kinds: Vec<u8> = got.iter().map(|f| f.0).collect();
    assert_eq!(kinds, [frame::SETTINGS, frame::GOAWAY]);
    assert_eq!(frame::u32_at(&got[1].3, 4), frame::PROTOCOL_ERROR);
    // And the connection is closed.
    let mut rest = Vec::new();
    assert_eq!(sock.read_to_end(&mut rest).unwrap_or(0), 0);
}

#[test]
fn the_preface_byte_at_a_time_over_a_socket() {
    let addr = serve(Limits::DEFAULT, 16 * 1024);
    let mut sock = TcpStream::connect(addr).unwrap();
    sock.set_nodelay(true).unwrap();
    let mut conversation = conn::PREFACE.to_vec();
    conversation.extend_from_slice(&frame::head(0, frame::SETTINGS, 0, 0));
    // GET /baseline2?a=2&b=3 with static-table fields and a literal path.
    let path = b"/baseline2?a=2&b=3";
    let mut block = vec![0x82, 0x86, 0x04, path.len() as u8];
    block.extend_from_slice(path);
    conversation.extend_from_slice(&frame::head(block.len(), frame::HEADERS, frame::END_HEADERS | frame::END_STREAM, 1));
    conversation.extend_from_slice(&block);
    for b in &conversation {
        sock.write_all(std::slice::from_ref(b)).unwrap();
        std::thread::sleep(Duration::from_micros(200));
    }
    let got = read_frames(&mut sock, |g| g.iter().any(|f| f.0 == frame::DATA));
    let data = got.iter().find(|f| f.0 == frame::DATA).unwrap();
    assert_eq!((data.1, data.2, data.3.as_slice()), (frame::END_STREAM, 1, &b"5"[..]));
    assert!(got.iter().any(|f| f.0 == frame::SETTINGS && f.1 == frame::ACK));
}

#[test]
fn a_small_out_buffer_changes_nothing_for_the_client() {
    let addr = serve(Limits::DEFAULT, conn::MIN_OUT);
    timed(async {
        let c = connect(addr).await;
        let mut set = tokio::task::JoinSet::new();
        for i in 0..100u64 {
            let mut c = c.clone();
            set.spawn(async move {
                assert_eq!(call(&mut c, "GET", &format!("/baseline2?a={i}"), None).await.unwrap().2, i.to_string().into_bytes());
            });
        }
        while let Some(r) = set.join_next().await {
            r.unwrap();
        }
    });
}
