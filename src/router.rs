//! One table of endpoints for every protocol. HTTP/1.1 and HTTP/2 hand the router a request's
//! method, path and query once its head is complete ([`route`]), feed it the body as it streams
//! in ([`Pending::feed`]), and render the [`Answer`] it gives ([`Pending::finish`]) in their own
//! framing. Nothing here knows a wire format.
//!
//! Endpoints (all `text/plain`):
//! - `GET|HEAD|POST /baseline11?a=..&b=..` (and `/baseline2`, the HTTP/2 profile's name for it):
//!   the sum of the query's integer values, plus for POST the integer body (whitespace around it
//!   allowed). The sum is exact whatever the order of its terms; a total outside i64, a value of
//!   more than [`num::MAX_DIGITS`] digits, a POST without a body or with one that is not an
//!   integer: 400.
//! - `GET|HEAD /pipeline`: `ok`; POST: 405.
//! - `GET|HEAD|POST /`: `ok` (a body is read and discarded).
//! - `GET|HEAD /ws` without a WebSocket upgrade: 426 (the upgrade itself is the protocol's
//!   business); POST: 405.
//! - `OPTIONS` (any path, or `*`): 200 with `Allow`.
//! - anything else: 404.
//!
//! HEAD is answered as GET; the protocol leaves the body out.

use crate::num::{self, IntBody, Sum};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Options,
}

/// The methods every path takes (OPTIONS answers with it).
pub const ALLOW_ALL: &[u8] = b"GET, HEAD, POST, OPTIONS";
/// The methods of a path that reads no body.
pub const ALLOW_GET: &[u8] = b"GET, HEAD, OPTIONS";

/// The path of the WebSocket endpoint.
pub const WS_PATH: &[u8] = b"/ws";

/// What to answer: status, body and at most one extra header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: Body,
    pub extra: Extra,
}

/// A body: one of a few fixed texts or a number (no references, so that a protocol's state
/// holding answers may be valid as all-zero bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// `ok`: the usual answer, which a protocol may keep ready whole.
    Ok,
    /// No body (OPTIONS).
    Empty,
    Number(i64),
    /// The reason phrase of the status ([`reason`]), followed by a newline.
    Reason,
}

/// A header some answers carry besides the common ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extra {
    None,
    /// `Allow` with [`ALLOW_ALL`], for OPTIONS.
    AllowAll,
    /// `Allow` with [`ALLOW_GET`], for 405.
    AllowGet,
    /// `Upgrade: websocket`, for a 426 on the WebSocket path (HTTP/1.1 only: HTTP/2 has no
    /// Upgrade header).
    UpgradeWebSocket,
    /// `Sec-WebSocket-Version: 13`, for a 426 answering another WebSocket version.
    WebSocketVersion,
}

impl Extra {
    /// The methods of an `Allow` header, if this is one.
    pub fn allow(self) -> Option<&'static [u8]> {
        match self {
            Extra::AllowAll => Some(ALLOW_ALL),
            Extra::AllowGet => Some(ALLOW_GET),
            _ => None,
        }
    }
}

impl Answer {
    /// An error status with its reason phrase as the body.
    pub const fn error(status: u16) -> Answer {
        Answer { status, body: Body::Reason, extra: Extra::None }
    }
}

/// The reason phrase of a status code.
pub fn reason(status: u16) -> &'static [u8] {
    match status {
        100 => b"Continue",
        101 => b"Switching Protocols",
        200 => b"OK",
        400 => b"Bad Request",
        404 => b"Not Found",
        405 => b"Method Not Allowed",
        408 => b"Request Timeout",
        413 => b"Content Too Large",
        414 => b"URI Too Long",
        417 => b"Expectation Failed",
        426 => b"Upgrade Required",
        431 => b"Request Header Fields Too Large",
        501 => b"Not Implemented",
        503 => b"Service Unavailable",
        505 => b"HTTP Version Not Supported",
        _ => b"Internal Server Error",
    }
}

/// A routed request waiting for its body: what [`route`] decided from the head, and for a sum
/// the body's integer so far. Small and `Copy`, so a protocol can keep one per request in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// A fixed answer that needs nothing from the body (which is read and discarded).
    Fixed(Answer),
    /// The query's sum (`None` when a value had too many digits), plus the body's integer when
    /// `with_body`.
    Sum { with_body: bool, query: Option<Sum>, body: IntBody },
}

pub const OK: Answer = Answer { status: 200, body: Body::Ok, extra: Extra::None };

/// Chooses the endpoint of a request from its head.
pub fn route(method: Method, path: &[u8], query: &[u8]) -> Pending {
    let not_allowed = Answer { status: 405, body: Body::Reason, extra: Extra::AllowGet };
    if method == Method::Options {
        return Pending::Fixed(Answer { status: 200, body: Body::Empty, extra: Extra::AllowAll });
    }
    Pending::Fixed(match path {
        b"/baseline11" | b"/baseline2" => {
            let mut sum = Sum::new();
            let query = num::sum_query(query, &mut sum).then_some(sum);
            return Pending::Sum { with_body: method == Method::Post, query, body: IntBody::new() };
        }
        b"/pipeline" if method == Method::Post => not_allowed,
        b"/pipeline" | b"/" => OK,
        WS_PATH if method == Method::Post => not_allowed,
        WS_PATH => Answer { status: 426, body: Body::Reason, extra: Extra::UpgradeWebSocket },
        _ => Answer::error(404),
    })
}

impl Pending {
    /// Whether the answer depends on the body (otherwise the body is read and discarded).
    pub fn reads_body(&self) -> bool {
        matches!(self, Pending::Sum { with_body: true, .. })
    }

    /// Feeds a piece of the (decoded) body. Pieces the endpoint does not read are ignored.
    #[inline]
    pub fn feed(&mut self, piece: &[u8]) {
        if let Pending::Sum { with_body: true, body, .. } = self {
            body.feed(piece);
        }
    }

    /// A refusal known from the head alone (the path is unknown, the method not allowed, the
    /// query malformed): a client that waits before sending its body need not send it.
    pub fn refusal(&self) -> Option<Answer> {
        match *self {
            Pending::Fixed(answer) if answer.status >= 400 => Some(answer),
            Pending::Sum { query: None, .. } => Some(Answer::error(400)),
            _ => None,
        }
    }

    /// The answer, once the whole body (if any: `has_body`) has been fed.
    pub fn finish(&self, has_body: bool) -> Answer {
        let (with_body, query, body) = match *self {
            Pending::Fixed(answer) => return answer,
            Pending::Sum { with_body, query, body } => (with_body, query, body),
        };
        let Some(mut sum) = query else { return Answer::error(400) };
        if with_body {
            // A POST must carry an integer.
            match body.finish() {
                Some(v) if has_body => sum.add(v),
                _ => return Answer::error(400),
            }
        }
        match sum.total() {
            Some(n) => Answer { status: 200, body: Body::Number(n), extra: Extra::None },
            None => Answer::error(400),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(method: Method, target: &str, body: Option<&[u8]>) -> Answer {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut p = route(method, path.as_bytes(), query.as_bytes());
        if let Some(b) = body {
            // In two pieces, as a stream would bring it.
            let (x, y) = b.split_at(b.len() / 2);
            p.feed(x);
            p.feed(y);
        }
        p.finish(body.is_some())
    }

    fn number(n: i64) -> Answer {
        Answer { status: 200, body: Body::Number(n), extra: Extra::None }
    }

    #[test]
    fn endpoints() {
        use Method::*;
        let table: &[(Method, &str, Option<&[u8]>, Answer)] = &[
            (Get, "/baseline11?a=13&b=42", None, number(55)),
            (Head, "/baseline11?a=13&b=42", None, number(55)),
            (Get, "/baseline2?a=1&b=1", None, number(2)),
            (Post, "/baseline11?a=13&b=42", Some(b"20"), number(75)),
            (Post, "/baseline11?a=1", Some(b" 41\r\n"), number(42)),
            (Post, "/baseline11?a=1", Some(b"abc"), Answer::error(400)),
            (Post, "/baseline11?a=1", None, Answer::error(400)),
            (Post, "/baseline11?a=1", Some(b""), Answer::error(400)),
            // A GET's body is not part of the sum.
            (Get, "/baseline11?a=1", Some(b"5"), number(1)),
            (Get, "/baseline11", None, number(0)),
            (Get, "/baseline11?a=-5&b=3&c=x", None, number(-2)),
            (Get, "/baseline11?a=9223372036854775807&b=1", None, Answer::error(400)),
            (Get, "/baseline11?a=9223372036854775807&b=1&c=-1", None, number(i64::MAX)),
            (Post, "/baseline11?=3", Some(b"-9223372036854775811"), number(i64::MIN)),
            (Post, "/baseline11?=2", Some(b"-9223372036854775811"), Answer::error(400)),
            (Get, "/pipeline", None, OK),
            (Head, "/pipeline", None, OK),
            (Post, "/pipeline", Some(b""), Answer { status: 405, body: Body::Reason, extra: Extra::AllowGet }),
            (Get, "/", None, OK),
            (Post, "/", Some(b"hello"), OK),
            (Get, "/ws", None, Answer { status: 426, body: Body::Reason, extra: Extra::UpgradeWebSocket }),
            (Options, "*", None, Answer { status: 200, body: Body::Empty, extra: Extra::AllowAll }),
            (Options, "/nope", None, Answer { status: 200, body: Body::Empty, extra: Extra::AllowAll }),
            (Get, "/nope", None, Answer::error(404)),
            (Post, "/nope", Some(b"1"), Answer::error(404)),
            (Get, "/baseline11/", None, Answer::error(404)),
        ];
        for (method, target, body, want) in table {
            assert_eq!(answer(*method, target, *body), *want, "{method:?} {target} {body:?}");
        }
    }

    #[test]
    fn only_a_summing_post_reads_its_body() {
        assert!(route(Method::Post, b"/baseline11", b"").reads_body());
        assert!(!route(Method::Get, b"/baseline11", b"").reads_body());
        assert!(!route(Method::Post, b"/", b"").reads_body());
        assert!(!route(Method::Post, b"/nope", b"").reads_body());
    }

    #[test]
    fn refusals_known_from_the_head() {
        assert_eq!(route(Method::Post, b"/nope", b"").refusal(), Some(Answer::error(404)));
        assert_eq!(route(Method::Post, b"/pipeline", b"").refusal().map(|a| a.status), Some(405));
        assert_eq!(route(Method::Post, b"/baseline11", b"a=1000000000000000000000000000000000000000").refusal(),
            Some(Answer::error(400)));
        assert_eq!(route(Method::Post, b"/baseline11", b"a=1").refusal(), None);
        assert_eq!(route(Method::Post, b"/", b"").refusal(), None);
    }

    #[test]
    fn every_status_has_its_reason() {
        for status in [100, 101, 200, 400, 404, 405, 408, 413, 414, 417, 426, 431, 501, 503, 505] {
            assert_ne!(reason(status), b"Internal Server Error", "{status}");
        }
    }
}
