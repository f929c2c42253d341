//! HTTP/1.1 answers: the status line, the headers every answer carries (`Server`, `Date`,
//! `Content-Type: text/plain`, `Content-Length`, and `Connection` where it matters), at most one
//! extra header, then the body, written without core::fmt.
//!
//! The parts that only change with the Date are rendered once a second into [`Heads`]: the
//! common headers, and the whole head of the usual answer (200, keep-alive) up to its
//! Content-Length value. An answer is then one copy plus its length and body.
//!
//! Contract: [`Heads::write`] never writes past the buffer; it returns `None` (writing nothing
//! the caller may rely on) when the answer does not fit. An answer never exceeds [`MAX_LEN`]
//! bytes.

use crate::date;
use crate::num;
use crate::router::{self, Answer, Body, Extra};

/// The most bytes one answer takes: status line, headers, the longest body (a 20-digit number
/// or a reason phrase).
pub const MAX_LEN: usize = 320;

/// The interim answer to `Expect: 100-continue`.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// What the answer says about the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// HTTP/1.1's default: no header.
    KeepAlive,
    /// An HTTP/1.0 client asked to keep the connection: `Connection: keep-alive`.
    KeepAlive10,
    /// The connection closes after this answer: `Connection: close`.
    Close,
}

const SERVER_DATE: &[u8] = b"Server: mote\r\nDate: ";
const CONTENT_TYPE: &[u8] = b"\r\nContent-Type: text/plain\r\n";
/// The headers every answer carries, with its Date.
const COMMON_LEN: usize = SERVER_DATE.len() + date::LEN + CONTENT_TYPE.len();
const OK_LINE: &[u8] = b"HTTP/1.1 200 OK\r\n";
const LENGTH: &[u8] = b"Content-Length: ";
/// The usual answer's head up to its Content-Length value.
const OK_HEAD_LEN: usize = OK_LINE.len() + COMMON_LEN + LENGTH.len();
/// The usual answer in full: `ok`.
const OK_TEXT_TAIL: &[u8] = b"2\r\n\r\nok";

/// The parts of every answer that change only with the Date.
pub struct Heads {
    common: [u8; COMMON_LEN],
    /// `HTTP/1.1 200 OK`, the common headers and `Content-Length: `.
    ok_head: [u8; OK_HEAD_LEN],
    /// The whole answer `200 ok` on a kept connection.
    ok_text: [u8; OK_HEAD_LEN + OK_TEXT_TAIL.len()],
}

/// A bounded writer over a byte buffer.
struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
    overflow: bool,
}

impl Cursor<'_> {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.overflow = true,
        }
    }

    fn done(self) -> Option<usize> {
        (!self.overflow).then_some(self.len)
    }
}

/// Copies `src` to the start of `dst` if it fits.
fn copy(dst: &mut [u8], src: &[u8]) -> Option<usize> {
    dst.get_mut(..src.len())?.copy_from_slice(src);
    Some(src.len())
}

impl Heads {
    pub fn new(date: &[u8; date::LEN]) -> Heads {
        let mut h = Heads { common: [0; COMMON_LEN], ok_head: [0; OK_HEAD_LEN], ok_text: [0; OK_HEAD_LEN + OK_TEXT_TAIL.len()] };
        h.refresh(date);
        h
    }

    /// Renders the parts that hold the Date (once a second; one copy of the code).
    #[inline(never)]
    pub fn refresh(&mut self, date: &[u8; date::LEN]) {
        let mut c = Cursor { buf: &mut self.common, len: 0, overflow: false };
        c.put(SERVER_DATE);
        c.put(date);
        c.put(CONTENT_TYPE);
        let mut c = Cursor { buf: &mut self.ok_head, len: 0, overflow: false };
        c.put(OK_LINE);
        c.put(&self.common);
        c.put(LENGTH);
        let mut c = Cursor { buf: &mut self.ok_text, len: 0, overflow: false };
        c.put(&self.ok_head);
        c.put(OK_TEXT_TAIL);
    }

    /// The current Date (for HTTP/2, which writes its own headers).
    pub fn date(&self) -> &[u8; date::LEN] {
        self.common.get(SERVER_DATE.len()..).and_then(|d| d.first_chunk()).unwrap_or(&[b' '; date::LEN])
    }

    /// Writes the answer at the start of `out`; returns its length, or `None` if it does not
    /// fit. `head_only`: the answer to HEAD, with the Content-Length the body would have.
    #[inline]
    pub fn write(&self, out: &mut [u8], answer: &Answer, connection: Connection, head_only: bool) -> Option<usize> {
        let plain = answer.status == 200 && connection == Connection::KeepAlive && answer.extra == Extra::None;
        if plain && !head_only {
            match answer.body {
                Body::Ok => return copy(out, &self.ok_text),
                Body::Number(n) => return self.number(out, n),
                _ => {}
            }
        }
        let mut digits = [0u8; 24];
        let body: &[u8] = match answer.body {
            Body::Ok => b"ok",
            Body::Empty => b"",
            Body::Number(n) => {
                let len = num::write_i64(&mut digits, n);
                digits.get(..len).unwrap_or_default()
            }
            Body::Reason => router::reason(answer.status),
        };
        let newline: &[u8] = if answer.body == Body::Reason { b"\n" } else { b"" };
        let mut length = [0u8; 20];
        let length_len = num::write_u64(&mut length, (body.len() + newline.len()) as u64);
        let length = length.get(..length_len).unwrap_or_default();

        let mut c = Cursor { buf: out, len: 0, overflow: false };
        if plain {
            c.put(&self.ok_head);
        } else {
            // The status line, from the code and its reason phrase (the router's).
            let code = answer.status;
            c.put(b"HTTP/1.1 ");
            c.put(&[b'0' + (code / 100 % 10) as u8, b'0' + (code / 10 % 10) as u8, b'0' + (code % 10) as u8, b' ']);
            c.put(router::reason(code));
            c.put(b"\r\n");
            c.put(&self.common);
            let upgrade = answer.extra == Extra::UpgradeWebSocket;
            c.put(match (connection, upgrade) {
                (Connection::KeepAlive, false) => b"",
                (Connection::KeepAlive10, false) => b"Connection: keep-alive\r\n",
                (Connection::Close, false) => b"Connection: close\r\n",
                (Connection::KeepAlive, true) => b"Connection: upgrade\r\n",
                (Connection::KeepAlive10, true) => b"Connection: upgrade, keep-alive\r\n",
                (Connection::Close, true) => b"Connection: upgrade, close\r\n",
            });
            match answer.extra {
                Extra::None => {}
                Extra::AllowAll | Extra::AllowGet => {
                    c.put(b"Allow: ");
                    c.put(answer.extra.allow().unwrap_or_default());
                    c.put(b"\r\n");
                }
                Extra::UpgradeWebSocket => c.put(b"Upgrade: websocket\r\n"),
                Extra::WebSocketVersion => c.put(b"Sec-WebSocket-Version: 13\r\n"),
            }
            c.put(LENGTH);
        }
        c.put(length);
        c.put(b"\r\n\r\n");
        if !head_only {
            c.put(body);
            c.put(newline);
        }
        c.done()
    }
}

impl Heads {
    /// The usual answer with a number: the pre-rendered head, the length, the digits.
    #[inline]
    fn number(&self, out: &mut [u8], n: i64) -> Option<usize> {
        let mut digits = [0u8; 20];
        let at = num::decimal(&mut digits, n);
        let body = digits.get(at..)?;
        // At most 20 bytes: one or two digits of length.
        let len = body.len() as u8;
        let length: &[u8] = if len < 10 { &[b'0' + len] } else { &[b'0' + len / 10, b'0' + len % 10] };
        let mut c = Cursor { buf: out, len: 0, overflow: false };
        c.put(&self.ok_head);
        c.put(length);
        c.put(b"\r\n\r\n");
        c.put(body);
        c.done()
    }
}

/// The answer that accepts a WebSocket upgrade (RFC 6455 §4.2.2).
pub fn switching_protocols(out: &mut [u8], accept: &[u8]) -> Option<usize> {
    let mut c = Cursor { buf: out, len: 0, overflow: false };
    c.put(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ");
    c.put(accept);
    c.put(b"\r\n\r\n");
    c.done()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &[u8; 29] = b"Thu, 26 Nov 2026 14:33:19 GMT";

    fn render(answer: Answer, connection: Connection, head_only: bool) -> String {
        let heads = Heads::new(DATE);
        let mut out = [0u8; MAX_LEN];
        let n = heads.write(&mut out, &answer, connection, head_only).unwrap();
        String::from_utf8(out[..n].to_vec()).unwrap()
    }

    fn ok(body: Body) -> Answer {
        Answer { status: 200, body, extra: Extra::None }
    }

    #[test]
    fn number_body() {
        assert_eq!(
            render(ok(Body::Number(-75)), Connection::KeepAlive, false),
            "HTTP/1.1 200 OK\r\nServer: mote\r\nDate: Thu, 26 Nov 2026 14:33:19 GMT\r\n\
             Content-Type: text/plain\r\nContent-Length: 3\r\n\r\n-75"
        );
    }

    #[test]
    fn the_prerendered_answer_is_the_general_one() {
        let general = {
            // The same answer through the general path: an empty body, then the length and the
            // body swapped for ok's.
            let s = render(ok(Body::Empty), Connection::KeepAlive, false);
            s.replace("Content-Length: 0\r\n\r\n", "Content-Length: 2\r\n\r\nok")
        };
        assert_eq!(render(ok(Body::Ok), Connection::KeepAlive, false), general);
        // A refreshed date reaches every pre-rendered part.
        let mut heads = Heads::new(DATE);
        heads.refresh(b"Fri, 27 Nov 2026 00:00:00 GMT");
        assert_eq!(heads.date(), b"Fri, 27 Nov 2026 00:00:00 GMT");
        let mut out = [0u8; MAX_LEN];
        for answer in [ok(Body::Ok), ok(Body::Number(1)), Answer::error(404)] {
            let n = heads.write(&mut out, &answer, Connection::KeepAlive, false).unwrap();
            let s = String::from_utf8(out[..n].to_vec()).unwrap();
            assert!(s.contains("\r\nDate: Fri, 27 Nov 2026 00:00:00 GMT\r\n"), "{s}");
        }
    }

    #[test]
    fn head_keeps_the_length_and_drops_the_body() {
        let s = render(ok(Body::Ok), Connection::KeepAlive, true);
        assert!(s.ends_with("Content-Length: 2\r\n\r\n"), "{s}");
        let s = render(ok(Body::Number(55)), Connection::Close, true);
        assert!(s.ends_with("Connection: close\r\nContent-Length: 2\r\n\r\n"), "{s}");
    }

    #[test]
    fn errors_close_and_explain() {
        let s = render(Answer::error(431), Connection::Close, false);
        assert!(s.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        let body = "Request Header Fields Too Large\n";
        assert!(s.ends_with(&format!("Connection: close\r\nContent-Length: {}\r\n\r\n{body}", body.len())), "{s}");
    }

    #[test]
    fn extra_headers() {
        let s = render(Answer { status: 405, body: Body::Reason, extra: Extra::AllowGet }, Connection::KeepAlive10, false);
        assert!(s.contains("\r\nConnection: keep-alive\r\nAllow: GET, HEAD, OPTIONS\r\nContent-Length: 19\r\n"), "{s}");
        let s = render(Answer { status: 426, body: Body::Reason, extra: Extra::UpgradeWebSocket }, Connection::KeepAlive, false);
        assert!(s.contains("\r\nConnection: upgrade\r\nUpgrade: websocket\r\n"), "{s}");
        let s = render(Answer { status: 426, body: Body::Reason, extra: Extra::WebSocketVersion }, Connection::Close, false);
        assert!(s.contains("\r\nConnection: close\r\nSec-WebSocket-Version: 13\r\n"), "{s}");
    }

    #[test]
    fn the_longest_answers_fit_max_len() {
        let heads = Heads::new(DATE);
        for status in [200, 400, 404, 405, 408, 413, 414, 417, 426, 431, 501, 503, 505] {
            for body in [Body::Number(i64::MIN), Body::Reason, Body::Ok] {
                for extra in [Extra::AllowAll, Extra::UpgradeWebSocket, Extra::WebSocketVersion] {
                    for connection in [Connection::KeepAlive10, Connection::Close] {
                        let mut out = [0u8; MAX_LEN];
                        let a = Answer { status, body, extra };
                        assert!(heads.write(&mut out, &a, connection, false).is_some(), "{a:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn status_lines_match_their_codes_and_reasons() {
        for status in [200, 400, 404, 405, 408, 413, 414, 417, 426, 431, 501, 503, 505] {
            let want = format!("HTTP/1.1 {status} {}\r\n", String::from_utf8_lossy(router::reason(status)));
            let s = render(Answer::error(status), Connection::Close, true);
            assert!(s.starts_with(&want), "{s}");
        }
    }

    #[test]
    fn a_short_buffer_is_refused_not_overrun() {
        let heads = Heads::new(DATE);
        for len in [0, 40, 100] {
            let mut out = vec![0u8; len];
            assert_eq!(heads.write(&mut out, &ok(Body::Ok), Connection::KeepAlive, false), None);
            assert_eq!(heads.write(&mut out, &ok(Body::Number(7)), Connection::Close, false), None);
        }
    }

    #[test]
    fn switching() {
        let mut out = [0u8; 200];
        let n = switching_protocols(&mut out, b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=").unwrap();
        assert_eq!(&out[..n], &b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
            Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"[..]);
    }
}
