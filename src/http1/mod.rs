//! HTTP/1.1 (RFC 9112): from received bytes to answers, one connection's requests in order.
//!
//! [`serve`] is given the bytes a read brought (after any the connection kept) and answers every
//! request they complete, into one output buffer. A connection's place between reads is a
//! [`Conn`]: between requests, inside a head (whose bytes the worker keeps, from the head's first
//! one, while the [`head::Parser`] keeps its place), or inside a body (which streams through: no
//! byte of it is kept). Work is linear in the bytes however they are split.
//!
//! The stages: empty lines and the head ([`head`], with [`target`], [`host`] and [`fields`],
//! scanned by [`scan`]), the router ([`crate::router`]), the body ([`body`], [`chunked`]), the
//! answer ([`crate::response`]). An `Expect: 100-continue` gets its interim answer when the head
//! is complete and no body byte has come yet, unless the head alone decides a refusal (then the
//! refusal, and a close: the body may or may not follow). A WebSocket upgrade to `/ws` is
//! answered `101` and the connection leaves HTTP/1.1; its checks are RFC 6455 §4.2.1's.
//!
//! Nothing here makes a system call or allocates; errors close the connection after their
//! answer.

pub mod body;
pub mod chunked;
pub mod fields;
pub mod head;
pub mod host;
pub mod scan;
pub mod target;

use crate::response::{self, Connection, Heads};
use crate::router::{self, Answer, Body as AnswerBody, Extra, Pending};
use fields::WsVersion;
use head::{Framing, Head, Limits, Method, Parser, Request, Version};
use scan::Scanner;

/// What the worker knows that answering needs.
pub struct Ctx<'a> {
    pub scan: Scanner,
    pub limits: Limits,
    pub heads: &'a Heads,
    /// The most requests to answer in one call (the pipeline depth per read).
    pub max_depth: usize,
    /// The server is stopping: the connection closes after the last request it has received,
    /// and that answer says `Connection: close`.
    pub stopping: bool,
    /// More input is known to wait in the socket (so the input's last request is not the last).
    pub more_waiting: bool,
}

/// A connection's HTTP/1.1 state between reads. `repr(u8)` with `Idle` first: all-zero bytes
/// are a connection between requests (the worker's slots start zeroed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Conn {
    /// Between requests, with the empty lines seen since the last one.
    Idle { blank: u32 } = 0,
    /// A head has begun: its bytes so far are kept, from its first one.
    Head(Parser),
    /// A head was answered for; its body streams in.
    Body(Reading),
}

/// A request whose body is streaming in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pending: Pending,
    decoder: body::Decoder,
    connection: Connection,
    head_only: bool,
}

impl Default for Conn {
    fn default() -> Self {
        Conn::Idle { blank: 0 }
    }
}

impl Conn {
    /// Whether a request has begun (its head or body is under way): the time it takes is
    /// bounded by the header timeout, and a close now would cut it short.
    pub fn begun(&self) -> bool {
        !matches!(self, Conn::Idle { .. })
    }
}

/// The outcome of one [`serve`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Served {
    /// Input bytes used; the rest (a head under way, or requests left for the next call) is
    /// the caller's to keep.
    pub consumed: usize,
    /// Output bytes written.
    pub written: usize,
    /// The connection closes once the output is sent: the last answer said so.
    pub close: bool,
    /// Answering stopped with complete requests possibly left (output room, depth reached).
    pub stopped: bool,
    /// The last answer accepted a WebSocket upgrade: the bytes after `consumed` are frames.
    pub upgrade: bool,
}

/// Room an answer needs: the interim 100 and the answer itself.
const ROOM: usize = response::MAX_LEN + response::CONTINUE.len();

/// Answers the requests that `input` completes, in order, into `out`.
pub fn serve(conn: &mut Conn, input: &[u8], out: &mut [u8], cx: &Ctx) -> Served {
    let mut s = Served { consumed: 0, written: 0, close: false, stopped: false, upgrade: false };
    let mut answered = 0;
    loop {
        let rest = input.get(s.consumed..).unwrap_or_default();
        match conn {
            Conn::Idle { blank } => {
                // Empty lines between requests are dropped as they come (RFC 9112 §2.2).
                match head::skip_empty_lines(rest, blank) {
                    Ok(n) => s.consumed += n,
                    Err(e) => return refuse(&mut s, input, out, cx, e.code()),
                }
                let rest = input.get(s.consumed..).unwrap_or_default();
                // Nothing more, or a CR that may begin another empty line: wait.
                if rest.first().is_none_or(|&b| b == b'\r') {
                    break;
                }
                if answered >= cx.max_depth || out.len() - s.written < ROOM {
                    s.stopped = true;
                    break;
                }
                // A whole head of the usual shape is read in one pass; anything else by the
                // parser, which keeps its place if the head is not all there.
                if let Some(req) = head::quick(rest, cx.scan, &cx.limits) {
                    if !proceed(conn, &req, &mut s, &mut answered, input, out, cx) {
                        break;
                    }
                    continue;
                }
                let mut parser = Parser::new();
                match parser.advance(rest, cx.scan, &cx.limits) {
                    // The head's bytes stay with the caller.
                    Head::Partial => {
                        *conn = Conn::Head(parser);
                        break;
                    }
                    Head::Error(e) => return refuse(&mut s, input, out, cx, e.code()),
                    Head::Complete(req) => {
                        if !proceed(conn, &req, &mut s, &mut answered, input, out, cx) {
                            break;
                        }
                    }
                }
            }
            Conn::Head(parser) => match parser.advance(rest, cx.scan, &cx.limits) {
                Head::Partial => break,
                Head::Error(e) => return refuse(&mut s, input, out, cx, e.code()),
                Head::Complete(req) => {
                    if !proceed(conn, &req, &mut s, &mut answered, input, out, cx) {
                        break;
                    }
                }
            },
            Conn::Body(r) => {
                let pending = &mut r.pending;
                match r.decoder.feed(rest, cx.limits.max_body, &mut |piece| pending.feed(piece)) {
                    Ok(None) => {
                        s.consumed = input.len();
                        break;
                    }
                    Ok(Some(n)) => {
                        s.consumed += n;
                        let (answer, mut connection, head_only) = (r.pending.finish(true), r.connection, r.head_only);
                        if cx.stopping && s.consumed == input.len() && !cx.more_waiting {
                            connection = Connection::Close;
                        }
                        *conn = Conn::Idle { blank: 0 };
                        answered += 1;
                        let room = out.get_mut(s.written..).unwrap_or_default();
                        match cx.heads.write(room, &answer, connection, head_only) {
                            Some(n) => s.written += n,
                            // ROOM was there when the request began: this cannot happen, but a
                            // connection that cannot be answered must not go on.
                            None => s.close = true,
                        }
                        if connection == Connection::Close {
                            s.close = true;
                        }
                        if s.close {
                            break;
                        }
                    }
                    Err(e) => return refuse(&mut s, input, out, cx, e.code()),
                }
            }
        }
    }
    s
}

/// Goes on from a whole head at `s.consumed`: begins its request. False when this call must
/// stop.
fn proceed(conn: &mut Conn, req: &Request, s: &mut Served, answered: &mut usize, input: &[u8], out: &mut [u8],
    cx: &Ctx) -> bool {
    s.consumed += req.head_len;
    let after = input.get(s.consumed..).unwrap_or_default();
    let last = after.is_empty() && !cx.more_waiting;
    match begin(req, after, last, out.get_mut(s.written..).unwrap_or_default(), cx) {
        Begun::Reading(r, n) => {
            s.written += n;
            *conn = Conn::Body(r);
            true
        }
        Begun::Answered(n, close) => {
            s.written += n;
            *answered += 1;
            *conn = Conn::Idle { blank: 0 };
            s.close |= close;
            !close
        }
        Begun::Upgraded(n) => {
            s.written += n;
            s.upgrade = true;
            *conn = Conn::Idle { blank: 0 };
            false
        }
    }
}

/// How a request goes on once its head is whole.
enum Begun {
    /// Its body follows; this many bytes were written (an interim 100, or nothing).
    Reading(Reading, usize),
    /// Answered, in this many bytes; close after it or not.
    Answered(usize, bool),
    /// Upgraded to WebSocket, in this many bytes.
    Upgraded(usize),
}

/// Decides what a complete head calls for: an answer now, or a body to read first. `after` is
/// what followed the head in this read; `last`: nothing did, and nothing more waits.
fn begin(req: &Request, after: &[u8], last: bool, out: &mut [u8], cx: &Ctx) -> Begun {
    // While stopping, the last request received gets the last answer.
    let close = !req.keep_alive || (cx.stopping && last);
    let connection = match (close, req.version) {
        (true, _) => Connection::Close,
        (false, Version::Http10) => Connection::KeepAlive10,
        (false, Version::Http11) => Connection::KeepAlive,
    };
    let head_only = req.method == Method::Head;
    let answer_now = |out: &mut [u8], answer: Answer, connection: Connection| {
        let n = cx.heads.write(out, &answer, connection, head_only);
        Begun::Answered(n.unwrap_or(0), n.is_none() || connection == Connection::Close)
    };
    if let Some(upgrade) = req.upgrade
        && req.method == Method::Get
        && req.path == router::WS_PATH
    {
        // RFC 6455 §4.2.1-§4.2.2: a GET without a body, version 13, a key of 16 bytes.
        if req.framing != Framing::None {
            return answer_now(out, Answer::error(400), Connection::Close);
        }
        if upgrade.version != WsVersion::V13 {
            let answer = Answer { status: 426, body: AnswerBody::Reason, extra: Extra::WebSocketVersion };
            return answer_now(out, answer, connection);
        }
        return match upgrade.key.and_then(websocket_accept) {
            Some(accept) => match response::switching_protocols(out, &accept) {
                Some(n) => Begun::Upgraded(n),
                None => Begun::Answered(0, true),
            },
            None => answer_now(out, Answer::error(400), Connection::Close),
        };
    }
    let pending = router::route(req.method, req.path, req.query);
    let Some(decoder) = body::Decoder::new(req.framing) else {
        return answer_now(out, pending.finish(false), connection);
    };
    let mut written = 0;
    if req.expect_continue {
        // RFC 9110 §10.1.1: a refusal the head decides goes out at once, and the connection
        // closes after it (the client may or may not send the body it held back).
        if let Some(refusal) = pending.refusal() {
            return answer_now(out, refusal, Connection::Close);
        }
        if after.is_empty() && req.framing != Framing::Length(0) {
            written = copy(out, response::CONTINUE);
        }
    }
    Begun::Reading(Reading { pending, decoder, connection, head_only }, written)
}

/// Copies `src` to the start of `dst` if it fits; returns the bytes copied.
fn copy(dst: &mut [u8], src: &[u8]) -> usize {
    match dst.get_mut(..src.len()) {
        Some(d) => {
            d.copy_from_slice(src);
            src.len()
        }
        None => 0,
    }
}

/// Answers a request that cannot go on with `status`, after the answers already written, and
/// closes: nothing after it can be trusted.
fn refuse(s: &mut Served, input: &[u8], out: &mut [u8], cx: &Ctx, status: u16) -> Served {
    let room = out.get_mut(s.written..).unwrap_or_default();
    s.written += cx.heads.write(room, &Answer::error(status), Connection::Close, false).unwrap_or(0);
    s.consumed = input.len();
    s.close = true;
    *s
}

/// The answer to a request that did not arrive in time, or that the server must refuse
/// without reading it (no connection slot), into `out`.
pub fn refusal(out: &mut [u8], heads: &Heads, status: u16) -> usize {
    heads.write(out, &Answer::error(status), Connection::Close, false).unwrap_or(0)
}

/// The Sec-WebSocket-Accept value for a key, if the key is base64 of 16 bytes.
fn websocket_accept(key: &[u8]) -> Option<[u8; 28]> {
    crate::ws::handshake::accept(key)
}

#[cfg(test)]
mod tests;
