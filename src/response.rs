//! Responses: the status line and headers every answer carries (`Server`, `Date`,
//! `Content-Type: text/plain`, `Content-Length`, and `Connection` where it matters), then the
//! body, written into the worker's output buffer without core::fmt.
//!
//! Contract: [`write`] never writes past the buffer; it returns `None` (and the caller keeps the
//! request for later) when the answer does not fit. An answer never exceeds [`MAX_LEN`] bytes.

use crate::date;
use crate::num;

/// The most bytes one answer takes: status line, headers, the longest body (a 20-digit number
/// or a reason phrase).
pub const MAX_LEN: usize = 320;

/// What to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: Body,
    /// `HEAD`: headers only, with the Content-Length the body would have.
    pub head_only: bool,
    /// The connection closes after this answer: send `Connection: close`.
    pub close: bool,
    /// An HTTP/1.0 client asked to keep the connection: send `Connection: keep-alive`.
    pub keep_alive_10: bool,
    /// Methods for an `Allow` header (OPTIONS, 405).
    pub allow: Option<&'static [u8]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    Text(&'static [u8]),
    Number(i64),
    /// The reason phrase of the status, followed by a newline.
    Reason,
}

/// The reason phrase of a status code.
pub fn reason(status: u16) -> &'static [u8] {
    match status {
        200 => b"OK",
        400 => b"Bad Request",
        404 => b"Not Found",
        405 => b"Method Not Allowed",
        408 => b"Request Timeout",
        413 => b"Content Too Large",
        414 => b"URI Too Long",
        431 => b"Request Header Fields Too Large",
        501 => b"Not Implemented",
        503 => b"Service Unavailable",
        505 => b"HTTP Version Not Supported",
        _ => b"Error",
    }
}

/// The status line of a status code, CRLF included.
fn status_line(status: u16) -> &'static [u8] {
    match status {
        200 => b"HTTP/1.1 200 OK\r\n",
        400 => b"HTTP/1.1 400 Bad Request\r\n",
        404 => b"HTTP/1.1 404 Not Found\r\n",
        405 => b"HTTP/1.1 405 Method Not Allowed\r\n",
        408 => b"HTTP/1.1 408 Request Timeout\r\n",
        413 => b"HTTP/1.1 413 Content Too Large\r\n",
        414 => b"HTTP/1.1 414 URI Too Long\r\n",
        431 => b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
        501 => b"HTTP/1.1 501 Not Implemented\r\n",
        503 => b"HTTP/1.1 503 Service Unavailable\r\n",
        505 => b"HTTP/1.1 505 HTTP Version Not Supported\r\n",
        _ => b"HTTP/1.1 500 Internal Server Error\r\n",
    }
}

/// A bounded writer over a byte buffer.
struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
    overflow: bool,
}

impl Cursor<'_> {
    fn put(&mut self, bytes: &[u8]) {
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.overflow = true,
        }
    }
}

/// Writes the answer at the start of `out`; returns its length, or `None` if it does not fit.
pub fn write(out: &mut [u8], date: &[u8; date::LEN], reply: &Reply) -> Option<usize> {
    let mut digits = [0u8; 24];
    let body: &[u8] = match reply.body {
        Body::Text(t) => t,
        Body::Number(n) => {
            let len = num::write_i64(&mut digits, n);
            digits.get(..len).unwrap_or(&[])
        }
        Body::Reason => reason(reply.status),
    };
    let newline: &[u8] = if reply.body == Body::Reason { b"\n" } else { b"" };
    let mut length = [0u8; 20];
    let length_len = num::write_u64(&mut length, (body.len() + newline.len()) as u64);
    let length = length.get(..length_len)?;

    let mut c = Cursor { buf: out, len: 0, overflow: false };
    c.put(status_line(reply.status));
    c.put(b"Server: mote\r\nDate: ");
    c.put(date);
    c.put(b"\r\nContent-Type: text/plain\r\nContent-Length: ");
    c.put(length);
    if reply.close {
        c.put(b"\r\nConnection: close");
    } else if reply.keep_alive_10 {
        c.put(b"\r\nConnection: keep-alive");
    }
    if let Some(allow) = reply.allow {
        c.put(b"\r\nAllow: ");
        c.put(allow);
    }
    c.put(b"\r\n\r\n");
    if !reply.head_only {
        c.put(body);
        c.put(newline);
    }
    (!c.overflow).then_some(c.len)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATE: &[u8; 29] = b"Thu, 26 Nov 2026 14:33:19 GMT";

    fn render(reply: Reply) -> String {
        let mut out = [0u8; MAX_LEN];
        let n = write(&mut out, DATE, &reply).unwrap();
        String::from_utf8(out[..n].to_vec()).unwrap()
    }

    fn ok(body: Body) -> Reply {
        Reply { status: 200, body, head_only: false, close: false, keep_alive_10: false, allow: None }
    }

    #[test]
    fn number_body() {
        assert_eq!(
            render(ok(Body::Number(-75))),
            "HTTP/1.1 200 OK\r\nServer: mote\r\nDate: Thu, 26 Nov 2026 14:33:19 GMT\r\n\
             Content-Type: text/plain\r\nContent-Length: 3\r\n\r\n-75"
        );
    }

    #[test]
    fn head_keeps_the_length_and_drops_the_body() {
        let s = render(Reply { head_only: true, ..ok(Body::Text(b"ok")) });
        assert!(s.ends_with("Content-Length: 2\r\n\r\n"), "{s}");
    }

    #[test]
    fn errors_close_and_explain() {
        let s = render(Reply { status: 431, body: Body::Reason, close: true, ..ok(Body::Reason) });
        assert!(s.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(s.contains("\r\nConnection: close\r\n"));
        let body = "Request Header Fields Too Large\n";
        assert!(s.ends_with(&format!("Content-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())));
    }

    #[test]
    fn the_longest_answers_fit_max_len() {
        for status in [200, 400, 404, 405, 408, 413, 414, 431, 501, 503, 505] {
            for body in [Body::Number(i64::MIN), Body::Reason, Body::Text(b"ok")] {
                let r = Reply { status, body, head_only: false, close: true, keep_alive_10: true,
                                allow: Some(b"GET, HEAD, POST, OPTIONS") };
                let mut out = [0u8; MAX_LEN];
                assert!(write(&mut out, DATE, &r).is_some(), "{status} {body:?}");
            }
        }
    }

    #[test]
    fn status_lines_match_their_codes_and_reasons() {
        for status in [200, 400, 404, 405, 408, 413, 414, 431, 501, 503, 505] {
            let want = format!("HTTP/1.1 {status} {}\r\n", String::from_utf8_lossy(reason(status)));
            assert_eq!(String::from_utf8_lossy(status_line(status)), want);
        }
    }

    #[test]
    fn a_short_buffer_is_refused_not_overrun() {
        let mut out = [0u8; 40];
        assert_eq!(write(&mut out, DATE, &ok(Body::Text(b"ok"))), None);
    }
}
