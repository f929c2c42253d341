//! The `h2` crate as the client: answers and their fields, 100 streams at once on one
//! connection, 200 connections at once, request bodies (one DATA frame, several, past the
//! limit) and bodies past the connection's window over one connection.

use crate::start;
use bytes::Bytes;
use std::future::Future;
use std::time::Duration;

type Client = h2::client::SendRequest<Bytes>;

/// Runs `f` on a fresh single-threaded runtime; fails if it takes more than 10 s.
fn run<F: Future>(f: F) -> F::Output {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), f).await.expect("timed out after 10 s") })
}

async fn connect(port: u16) -> Client {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect to the h2c port");
    tcp.set_nodelay(true).unwrap();
    let (client, conn) = h2::client::handshake(tcp).await.expect("HTTP/2 handshake");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    client
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// This status and body, and the fields every answer has.
    fn assert(&self, status: u16, body: &str) {
        assert_eq!((self.status, String::from_utf8_lossy(&self.body).as_ref()), (status, body), "{self:?}");
        self.assert_common(body.len());
    }

    fn assert_common(&self, content_length: usize) {
        assert_eq!(self.header("server"), Some("mote"), "{self:?}");
        assert_eq!(self.header("content-type"), Some("text/plain"), "{self:?}");
        assert_eq!(self.header("content-length"), Some(content_length.to_string().as_str()), "{self:?}");
        let date = self.header("date").unwrap_or_else(|| panic!("no date: {self:?}"));
        crate::common::check_imf_fixdate(date).unwrap_or_else(|e| panic!("date {date:?}: {e}"));
    }
}

/// One request; the body (if any) goes as one DATA frame per chunk, the last with END_STREAM.
async fn call(client: &Client, method: &str, path: &str, body: &[&[u8]]) -> Result<Reply, h2::Error> {
    let mut c = client.clone().ready().await?;
    let req = http::Request::builder().method(method).uri(format!("http://localhost{path}")).body(()).unwrap();
    let (resp, mut send) = c.send_request(req, body.is_empty())?;
    for (i, chunk) in body.iter().enumerate() {
        send.send_data(Bytes::copy_from_slice(chunk), i + 1 == body.len())?;
    }
    let resp = resp.await?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let mut stream = resp.into_body();
    let mut got = Vec::new();
    while let Some(chunk) = stream.data().await {
        let chunk = chunk?;
        stream.flow_control().release_capacity(chunk.len()).unwrap();
        got.extend_from_slice(&chunk);
    }
    Ok(Reply { status, headers, body: got })
}

#[test]
fn h2_crate_gets_every_route() {
    let s = start(&[]);
    run(async {
        let c = connect(s.port).await;
        call(&c, "GET", "/baseline2?a=1&b=2", &[]).await.unwrap().assert(200, "3");
        call(&c, "GET", "/baseline11?a=-7&b=2&c=100", &[]).await.unwrap().assert(200, "95");
        call(&c, "GET", "/", &[]).await.unwrap().assert(200, "ok");
        call(&c, "GET", "/pipeline", &[]).await.unwrap().assert(200, "ok");
        call(&c, "GET", "/nothing-here", &[]).await.unwrap().assert(404, "Not Found\n");
        call(&c, "POST", "/pipeline", &[b"1"]).await.unwrap().assert(405, "Method Not Allowed\n");
        call(&c, "PATCH", "/", &[]).await.unwrap().assert(501, "Not Implemented\n");
        // HEAD: the GET's fields, content-length included, and no body.
        let head = call(&c, "HEAD", "/baseline2?a=40&b=2", &[]).await.unwrap();
        assert_eq!(head.status, 200);
        assert!(head.body.is_empty(), "{head:?}");
        head.assert_common(2);
        let opts = call(&c, "OPTIONS", "/", &[]).await.unwrap();
        assert_eq!((opts.status, opts.header("allow")), (200, Some("GET, HEAD, POST, OPTIONS")), "{opts:?}");
    });
}

#[test]
fn hundred_concurrent_streams_on_one_connection() {
    let s = start(&[]);
    run(async {
        let c = connect(s.port).await;
        let tasks: Vec<_> = (0..100i64)
            .map(|i| {
                let c = c.clone();
                tokio::spawn(async move {
                    let r = call(&c, "GET", &format!("/baseline2?a={i}&b={}", 1000 * i + 7), &[]).await;
                    (i, r)
                })
            })
            .collect();
        for t in tasks {
            let (i, r) = t.await.unwrap();
            let r = r.unwrap_or_else(|e| panic!("stream {i}: {e}"));
            r.assert(200, &(1001 * i + 7).to_string());
        }
    });
}

#[test]
fn two_hundred_connections_at_once() {
    let s = start(&[]);
    run(async {
        let port = s.port;
        let tasks: Vec<_> = (0..200i64)
            .map(|k| {
                tokio::spawn(async move {
                    let c = connect(port).await;
                    let streams: Vec<_> = (0..5i64)
                        .map(|j| {
                            let c = c.clone();
                            tokio::spawn(async move { call(&c, "GET", &format!("/baseline2?a={k}&b={j}"), &[]).await })
                        })
                        .collect();
                    let mut got = Vec::new();
                    for (j, t) in streams.into_iter().enumerate() {
                        let r = t.await.unwrap().unwrap_or_else(|e| panic!("connection {k} stream {j}: {e}"));
                        got.push((j as i64, r));
                    }
                    (k, got)
                })
            })
            .collect();
        for t in tasks {
            let (k, got) = t.await.unwrap();
            for (j, r) in got {
                r.assert(200, &(k + j).to_string());
            }
        }
    });
}

#[test]
fn request_bodies_one_frame_several_and_too_large() {
    let s = start(&[]);
    run(async {
        let c = connect(s.port).await;
        call(&c, "POST", "/baseline11?a=1&b=2", &[b"3"]).await.unwrap().assert(200, "6");
        call(&c, "POST", "/baseline2?a=1&b=2", &[b"1", b"2", b"3"]).await.unwrap().assert(200, "126");
        call(&c, "POST", "/baseline11", &[b" ", b"-4", b"2 \n"]).await.unwrap().assert(200, "-42");
        // Exactly the limit, then one byte past it.
        let at_limit = format!("{:>8192}", 5);
        call(&c, "POST", "/baseline11?a=1", &[at_limit.as_bytes()]).await.unwrap().assert(200, "6");
        let past = format!("{:>8193}", 5);
        call(&c, "POST", "/baseline11?a=1", &[past.as_bytes()]).await.unwrap().assert(413, "Content Too Large\n");
        // Past the limit over several frames, the request not complete when the answer comes.
        let chunk = vec![b' '; 3000];
        let r = call(&c, "POST", "/baseline11?a=1", &[&chunk, &chunk, &chunk, b"1"]).await.unwrap();
        r.assert(413, "Content Too Large\n");
        // POST / reads and drops its body.
        call(&c, "POST", "/", &[b"anything at all"]).await.unwrap().assert(200, "ok");
        // The connection still works.
        call(&c, "GET", "/baseline2?a=5&b=5", &[]).await.unwrap().assert(200, "10");
    });
}

/// 40 bodies of 8,000 bytes (320,000 bytes, past the 65,535 bytes of the initial connection
/// window) over one connection: the `h2` crate never sends past the server's windows, so every
/// answer arriving shows the server gave window back as it consumed the bodies.
#[test]
fn request_bodies_past_the_initial_window_over_one_connection() {
    let s = start(&[]);
    run(async {
        let c = connect(s.port).await;
        // Four lanes of ten requests in turn: at most four bodies in progress (the server takes 15).
        let lanes: Vec<_> = (0..4i64)
            .map(|lane| {
                let c = c.clone();
                tokio::spawn(async move {
                    for k in 0..10i64 {
                        let n = lane * 100 + k;
                        let body = format!("{:>7999}\n", n);
                        let r = call(&c, "POST", &format!("/baseline11?a={lane}"), &[body.as_bytes()]).await;
                        let r = r.unwrap_or_else(|e| panic!("lane {lane} request {k}: {e}"));
                        r.assert(200, &(n + lane).to_string());
                    }
                })
            })
            .collect();
        for l in lanes {
            l.await.unwrap();
        }
    });
}
