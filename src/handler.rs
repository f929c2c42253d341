//! From received bytes to answers: parse each complete request in order, route it to its
//! endpoint, write the answer, and say how far the input was consumed and whether the
//! connection must close.
//!
//! Endpoints (all `text/plain`):
//! - `GET|HEAD|POST /baseline11?a=..&b=..`: the sum of the query's integer values, plus for POST
//!   the integer body (Content-Length or chunked; whitespace around it allowed). A body that is
//!   not an integer, or a sum that overflows, is a 400.
//! - `GET|HEAD /pipeline`: `ok`.
//! - `GET|HEAD|POST /`: `ok` (a body is read and discarded).
//! - `OPTIONS` (any path, or `*`): 200 with `Allow`.
//! - anything else: 404 (405 for a method a known path does not take).

use crate::router;
use crate::parse::{self, Framing, Head, Limits, Method, Version};
use crate::response::{self, Body, Reply};
use crate::scan::Scanner;

/// What the worker knows that answering needs.
pub struct Ctx<'a> {
    pub scan: Scanner,
    pub limits: Limits,
    pub date: &'a [u8; crate::date::LEN],
    /// The most requests to answer in one call (the pipeline depth per read).
    pub max_depth: usize,
    /// The server is stopping: every answer says `Connection: close`, and the connection closes
    /// after it.
    pub stopping: bool,
}

/// The outcome of one [`serve`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Served {
    /// Input bytes answered (and no longer needed).
    pub consumed: usize,
    /// Output bytes written.
    pub written: usize,
    /// The connection closes once the output is sent: the last answer said so.
    pub close: bool,
    /// The close answers a malformed request: unread input may follow, so close gently.
    pub error: bool,
    /// Answering stopped with complete requests possibly left (output full, depth reached).
    pub stopped: bool,
}

/// Answers the complete requests at the start of `input`, in order, into `out`. `capacity` is
/// the most bytes the caller can ever hold for one request: a request still incomplete at that
/// size is refused (431 for the head, 413 for the body).
pub fn serve(input: &[u8], capacity: usize, out: &mut [u8], ctx: &Ctx) -> Served {
    let mut s = Served { consumed: 0, written: 0, close: false, error: false, stopped: false };
    let mut answered = 0;
    while let Some(rest) = input.get(s.consumed..) {
        if rest.is_empty() {
            break;
        }
        let Some(room) = out.get_mut(s.written..) else { break };
        if room.len() < response::MAX_LEN || answered >= ctx.max_depth {
            s.stopped = true;
            break;
        }
        let (mut reply, used) = match one(rest, capacity, ctx) {
            Step::Partial => break,
            Step::Answer(reply, used) => (reply, used),
        };
        reply.close |= ctx.stopping;
        let Some(n) = response::write(room, ctx.date, &reply) else {
            s.stopped = true;
            break;
        };
        s.written += n;
        s.consumed += used;
        answered += 1;
        if reply.close {
            s.close = true;
            s.error = reply.status >= 400 && used == 0;
            break;
        }
    }
    // Empty lines between requests are allowed and ignored (RFC 9112 §2.2): drop them now, so
    // they never count as the start of a request that then times out or is cut short.
    if !s.close {
        while input.get(s.consumed..s.consumed + 2) == Some(b"\r\n") {
            s.consumed += 2;
        }
    }
    s
}

enum Step {
    Partial,
    /// The answer, and the request's length in bytes (0 for a malformed one: nothing after it
    /// can be trusted).
    Answer(Reply, usize),
}

fn refuse(status: u16) -> Step {
    Step::Answer(
        Reply { status, body: Body::Reason, head_only: false, close: true, keep_alive_10: false, allow: None },
        0,
    )
}

/// Parses and answers the one request at the start of `buf`.
fn one(buf: &[u8], capacity: usize, ctx: &Ctx) -> Step {
    let req = match parse::parse_head(buf, ctx.scan, &ctx.limits) {
        Head::Complete(req) => req,
        Head::Partial if buf.len() >= capacity => return refuse(431),
        Head::Partial => return Step::Partial,
        Head::Error(e) => return refuse(e.code()),
    };
    let method = match req.method {
        Method::Get => router::Method::Get,
        Method::Head => router::Method::Head,
        Method::Post => router::Method::Post,
        Method::Options => router::Method::Options,
    };
    let mut pending = router::route(method, req.path, req.query);
    let body_bytes = buf.get(req.head_len..).unwrap_or(&[]);
    let body_len = match parse::parse_body(body_bytes, req.framing, &ctx.limits, &mut |piece| pending.feed(piece)) {
        parse::Body::Complete(n) => n,
        parse::Body::Partial if buf.len() >= capacity => return refuse(413),
        parse::Body::Partial => return Step::Partial,
        parse::Body::Error(e) => return refuse(e.code()),
    };
    let answer = pending.finish(req.framing != Framing::None);
    let allow = match answer.extra {
        router::Extra::Allow(a) => Some(a),
        _ => None,
    };
    let body = match answer.body {
        router::Body::Text(t) => Body::Text(t),
        router::Body::Number(n) => Body::Number(n),
        router::Body::Reason => Body::Reason,
    };
    let reply = Reply {
        status: answer.status,
        body,
        head_only: req.method == Method::Head,
        close: !req.keep_alive,
        keep_alive_10: req.keep_alive && req.version == Version::Http10,
        allow,
    };
    Step::Answer(reply, req.head_len + body_len)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &[u8; 29] = b"Thu, 26 Nov 2026 14:33:19 GMT";
    const LIMITS: Limits = Limits { max_head: 8192, max_target: 4096, max_body: 8192 };

    fn ctx() -> Ctx<'static> {
        Ctx { scan: crate::scan::detect(), limits: LIMITS, date: DATE, max_depth: 1000, stopping: false }
    }

    /// Splits answers into (status, body) pairs; HEAD answers have no body bytes.
    fn answers(out: &[u8], heads: &[bool]) -> Vec<(u16, String, bool)> {
        let text = String::from_utf8(out.to_vec()).unwrap();
        let mut rest = text.as_str();
        let mut v = Vec::new();
        let mut i = 0;
        while !rest.is_empty() {
            let end = rest.find("\r\n\r\n").unwrap();
            let head = &rest[..end];
            let status: u16 = head[9..12].parse().unwrap();
            let len: usize = head.lines().find_map(|l| l.strip_prefix("Content-Length: ")).unwrap().parse().unwrap();
            let close = head.contains("\r\nConnection: close");
            let body_len = if heads.get(i).copied().unwrap_or(false) { 0 } else { len };
            v.push((status, rest[end + 4..end + 4 + body_len].to_string(), close));
            rest = &rest[end + 4 + body_len..];
            i += 1;
        }
        v
    }

    fn serve_all(input: &[u8]) -> (Served, Vec<(u16, String, bool)>) {
        let mut out = vec![0u8; 1 << 16];
        let s = serve(input, 16384, &mut out, &ctx());
        (s, answers(&out[..s.written], &[]))
    }

    const GET: &[u8] = b"GET /baseline11?a=13&b=42 HTTP/1.1\r\nHost: localhost:8080\r\n\r\n";
    const POST_CL: &[u8] = b"POST /baseline11?a=13&b=42 HTTP/1.1\r\nHost: localhost:8080\r\nContent-Length: 2\r\n\r\n20";
    const POST_CHUNKED: &[u8] =
        b"POST /baseline11?a=13&b=42 HTTP/1.1\r\nHost: localhost:8080\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n20\r\n0\r\n\r\n";

    #[test]
    fn the_three_baseline_shapes_in_one_read() {
        let input = [GET, POST_CL, POST_CHUNKED].concat();
        let (s, a) = serve_all(&input);
        assert_eq!(s.consumed, input.len());
        assert!(!s.close && !s.stopped);
        let bodies: Vec<_> = a.iter().map(|(st, b, _)| (*st, b.as_str())).collect();
        assert_eq!(bodies, [(200, "55"), (200, "75"), (200, "75")]);
    }

    #[test]
    fn a_partial_request_is_left_for_later() {
        for cut in 1..POST_CHUNKED.len() {
            let input = [GET, &POST_CHUNKED[..cut]].concat();
            let (s, a) = serve_all(&input);
            assert_eq!(s.consumed, GET.len(), "cut at {cut}");
            assert_eq!(a.len(), 1);
            assert!(!s.close);
        }
    }

    #[test]
    fn a_malformed_request_is_answered_in_order_then_closes() {
        let input = [GET, b"GET /x HTTP/1.1\r\nHost: a\r\nX\x01: y\r\n\r\n", GET].concat();
        let (s, a) = serve_all(&input);
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].0, a[1].0), (200, 400));
        assert!(a[1].2, "the refusal says Connection: close");
        assert!(s.close && s.error);
        assert_eq!(s.consumed, GET.len());
    }

    #[test]
    fn connection_close_stops_answering() {
        let input = [&b"GET /pipeline HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"[..], GET].concat();
        let (s, a) = serve_all(&input);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0], (200, "ok".to_string(), true));
        assert!(s.close && !s.error);
    }

    #[test]
    fn empty_lines_after_a_request_are_consumed() {
        let input = [GET, b"\r\n\r\n"].concat();
        let (s, a) = serve_all(&input);
        assert_eq!(a.len(), 1);
        assert_eq!(s.consumed, input.len());
        // A lone CR may be the start of an empty line: kept.
        let input = [GET, b"\r\n\r"].concat();
        let (s, _) = serve_all(&input);
        assert_eq!(s.consumed, input.len() - 1);
    }

    #[test]
    fn a_stopping_server_closes_after_each_answer() {
        let input = [GET, GET].concat();
        let mut out = vec![0u8; 4096];
        let s = serve(&input, 16384, &mut out, &Ctx { stopping: true, ..ctx() });
        assert!(s.close && !s.error);
        let a = answers(&out[..s.written], &[]);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0], (200, "55".to_string(), true));
    }

    #[test]
    fn http10_closes_unless_asked() {
        let (s, _) = serve_all(b"GET / HTTP/1.0\r\n\r\n");
        assert!(s.close);
        let (s, _) = serve_all(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assert!(!s.close);
    }

    #[test]
    fn routes() {
        let cases: &[(&[u8], u16, &str)] = &[
            (b"GET /pipeline HTTP/1.1\r\nHost: a\r\n\r\n", 200, "ok"),
            (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 200, "ok"),
            (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 200, "ok"),
            (b"GET /baseline11 HTTP/1.1\r\nHost: a\r\n\r\n", 200, "0"),
            (b"GET /baseline11?a=-5&b=3&c=x HTTP/1.1\r\nHost: a\r\n\r\n", 200, "-2"),
            (b"GET /baseline11?a=9223372036854775807&b=1 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "Bad Request\n"),
            (b"POST /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n 41\r\n", 200, "42"),
            (b"POST /baseline11?a=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", 400, "Bad Request\n"),
            (b"POST /baseline11 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "Bad Request\n"),
            (b"GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", 404, "Not Found\n"),
            (b"POST /pipeline HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 405, "Method Not Allowed\n"),
            (b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 200, ""),
            (b"GET http://a/baseline11?x=2 HTTP/1.1\r\nHost: a\r\n\r\n", 200, "2"),
        ];
        for (input, status, body) in cases {
            let (s, a) = serve_all(input);
            assert_eq!(a.len(), 1, "{}", String::from_utf8_lossy(input));
            assert_eq!((a[0].0, a[0].1.as_str()), (*status, *body), "{}", String::from_utf8_lossy(input));
            assert_eq!(s.consumed, input.len());
            assert!(!s.close, "a refused route keeps the connection");
        }
    }

    #[test]
    fn head_has_no_body() {
        let input = [&b"HEAD /baseline11?a=1&b=2 HTTP/1.1\r\nHost: a\r\n\r\n"[..], GET].concat();
        let mut out = vec![0u8; 4096];
        let s = serve(&input, 16384, &mut out, &ctx());
        let a = answers(&out[..s.written], &[true, false]);
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].1, "");
        assert_eq!(a[1].1, "55");
        let text = String::from_utf8_lossy(&out[..s.written]);
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n") && text.contains("Content-Length: 1\r\n"));
    }

    #[test]
    fn output_space_and_depth_bound_a_turn() {
        let input = GET.repeat(10);
        let mut out = vec![0u8; response::MAX_LEN * 3];
        let s = serve(&input, 16384, &mut out, &ctx());
        assert!(s.stopped);
        assert_eq!(s.consumed % GET.len(), 0);
        assert!(s.consumed < input.len());
        let c = Ctx { max_depth: 4, ..ctx() };
        let mut out = vec![0u8; 1 << 16];
        let s = serve(&input, 16384, &mut out, &c);
        assert!(s.stopped);
        assert_eq!(s.consumed, 4 * GET.len());
    }

    #[test]
    fn a_request_too_big_for_the_buffer_is_refused() {
        let mut head = b"GET / HTTP/1.1\r\nHost: a\r\nX-Long: ".to_vec();
        head.resize(1000, b'a');
        let mut out = vec![0u8; 4096];
        let s = serve(&head, 1000, &mut out, &ctx());
        assert!(s.close && s.error);
        assert!(out.starts_with(b"HTTP/1.1 431 "));
        let mut post = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n".to_vec();
        post.resize(1000, b'1');
        let s = serve(&post, 1000, &mut out, &ctx());
        assert!(s.close && s.error);
        assert!(out.starts_with(b"HTTP/1.1 413 "));
    }
}
