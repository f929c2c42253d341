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

use crate::num::{self, IntBody};
use crate::parse::{self, Framing, Head, Limits, Method, Request, Version};
use crate::response::{self, Body, Reply};
use crate::scan::Scanner;

const ALLOW_ALL: &[u8] = b"GET, HEAD, POST, OPTIONS";
const ALLOW_GET: &[u8] = b"GET, HEAD, OPTIONS";

/// What the worker knows that answering needs.
pub struct Ctx<'a> {
    pub scan: Scanner,
    pub limits: Limits,
    pub date: &'a [u8; crate::date::LEN],
    /// The most requests to answer in one call (the pipeline depth per read).
    pub max_depth: usize,
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
    loop {
        let Some(rest) = input.get(s.consumed..) else { break };
        if rest.is_empty() {
            break;
        }
        let Some(room) = out.get_mut(s.written..) else { break };
        if room.len() < response::MAX_LEN || answered >= ctx.max_depth {
            s.stopped = true;
            break;
        }
        let (reply, used) = match one(rest, capacity, ctx) {
            Step::Partial => break,
            Step::Answer(reply, used) => (reply, used),
        };
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
    let body_bytes = buf.get(req.head_len..).unwrap_or(&[]);
    let mut int = IntBody::new();
    let body_len = match parse::parse_body(body_bytes, req.framing, &ctx.limits, &mut |piece| int.feed(piece)) {
        parse::Body::Complete(n) => n,
        parse::Body::Partial if buf.len() >= capacity => return refuse(413),
        parse::Body::Partial => return Step::Partial,
        parse::Body::Error(e) => return refuse(e.code()),
    };
    let has_body = req.framing != Framing::None;
    Step::Answer(route(&req, has_body.then(|| int.finish())), req.head_len + body_len)
}

/// Chooses the answer to a complete, well-formed request. `body` is the body read as an integer
/// (`Some(None)` when there was a body that is not one).
fn route(req: &Request, body: Option<Option<i64>>) -> Reply {
    let reply = Reply {
        status: 200,
        body: Body::Text(b"ok"),
        head_only: req.method == Method::Head,
        close: !req.keep_alive,
        keep_alive_10: req.keep_alive && req.version == Version::Http10,
        allow: None,
    };
    let answer = |status: u16, body: Body, allow: Option<&'static [u8]>| Reply { status, body, allow, ..reply };
    if req.method == Method::Options {
        return answer(200, Body::Text(b""), Some(ALLOW_ALL));
    }
    match req.path {
        b"/baseline11" => {
            let query = num::sum_query(req.query);
            let sum = match (req.method, body) {
                (Method::Post, Some(b)) => query.zip(b).and_then(|(q, b)| q.checked_add(b)),
                (Method::Post, None) => None,
                _ => query,
            };
            match sum {
                Some(n) => answer(200, Body::Number(n), None),
                None => answer(400, Body::Reason, None),
            }
        }
        b"/pipeline" => match req.method {
            Method::Post => answer(405, Body::Reason, Some(ALLOW_GET)),
            _ => reply,
        },
        b"/" => reply,
        _ => answer(404, Body::Reason, None),
    }
}
