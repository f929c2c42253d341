//! The request target (RFC 9112 §3.2), checked as its bytes arrive.
//!
//! Contract: [`Target::feed`] looks at the bytes from where the last call stopped and fails as
//! soon as the bytes so far cannot begin a valid target, so work is linear in the bytes however
//! they are split. Forms:
//!
//! - origin-form: `/` then path and query bytes: RFC 3986 pchar, '/' and '?' (§3.3-§3.4), that is
//!   unreserved, sub-delims, ':', '@', '/', '?', and '%' followed by two HEXDIG. The query starts
//!   at the first '?'.
//! - absolute-form for http and https (any case): scheme "://" authority (`host [":" port]`, no
//!   userinfo, checked by [`super::host`]) then path and query as above; an empty path is "/".
//! - asterisk-form `*`, for OPTIONS only.
//! - for a method mote does not implement, any run of target bytes with valid %-escapes (the
//!   request is answered 501 once its line is whole, whatever form it would need).
//!
//! The target may take `max_target` bytes: a byte that would be the next one (a target byte,
//! or '[' or ']' in an authority) is 414, while an error within the limit is still 400.

use super::head::{Error, Stop};
use super::host::Host;
use super::scan::{Scanner, is_target_byte};
use crate::router::Method;

/// Where the target check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// Nothing yet.
    Start,
    /// In a path or query (origin-form, or after an absolute-form authority).
    Path,
    /// After `*`.
    Asterisk,
    /// This many bytes of "http://" or "https://" matched.
    Scheme(u8),
    /// In the authority, which began at the index held.
    Authority(u32),
    /// Any target bytes (an unknown method).
    Any,
}

/// A target check in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Index of the target's first byte.
    pub start: u32,
    /// Index of the next byte to look at.
    at: u32,
    form: Form,
    /// Hex digits a '%' still owes (0 to 2).
    pct: u8,
    /// Index of the path's first byte (after an authority), or of the '?' that ends an empty
    /// path.
    path: u32,
    /// Index of the first '?', if any (0 = none: a target never starts with '?').
    query: u32,
    host: Host,
}

/// The parts of a whole target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    /// Index of the byte after the target (its SP).
    pub end: u32,
    /// The path: start and end (an empty absolute-form path is empty: read as "/").
    pub path: (u32, u32),
    /// The query after '?': start and end (empty when there is none).
    pub query: (u32, u32),
}

const BAD: Stop = Stop::Fail(Error::BadRequest);

impl Target {
    pub fn new(start: usize) -> Target {
        let start = start as u32;
        Target { start, at: start, form: Form::Start, pct: 0, path: start, query: 0, host: Host::default() }
    }

    /// Looks at the bytes of `buf` from where the last call stopped; `Ok` once the target's SP
    /// has arrived, with the parts of the whole target.
    pub(super) fn feed(&mut self, buf: &[u8], method: Option<Method>, max_target: usize, scan: Scanner) -> Result<Parts, Stop> {
        let start = self.start as usize;
        let limit = start.saturating_add(max_target);
        let mut i = self.at as usize;
        let result = loop {
            let Some(&b) = buf.get(i) else { break Err(Stop::Partial) };
            if b == b' ' && self.pct == 0 {
                break self.whole(i);
            }
            if i >= limit {
                // The target has had all its bytes: one more is too long, anything else wrong.
                let more = is_target_byte(b) || b == b'[' || b == b']';
                break Err(if more { Stop::Fail(Error::UriTooLong) } else { BAD });
            }
            if self.pct > 0 {
                if !b.is_ascii_hexdigit() {
                    break Err(BAD);
                }
                self.pct -= 1;
                i += 1;
                continue;
            }
            match self.form {
                Form::Start => {
                    self.form = match (b, method) {
                        (b'/', _) => Form::Path,
                        (_, None) if is_target_byte(b) || b == b'[' || b == b']' => Form::Any,
                        (b'*', Some(Method::Options)) => Form::Asterisk,
                        (b'h' | b'H', Some(_)) => Form::Scheme(0),
                        _ => break Err(BAD),
                    };
                    if self.form == Form::Scheme(0) {
                        continue;
                    }
                    self.path = i as u32;
                    i += 1;
                }
                Form::Path | Form::Any => {
                    // Runs of plain target bytes, up to the limit; '%' and '?' one at a time.
                    let run = scan.plain_target_end(buf, i);
                    if run > i {
                        i = run.min(limit);
                        continue;
                    }
                    match b {
                        b'%' => self.pct = 2,
                        b'?' if self.query == 0 => self.query = i as u32,
                        b'?' => {}
                        b'[' | b']' if self.form == Form::Any => {}
                        _ => break Err(BAD),
                    }
                    i += 1;
                }
                Form::Asterisk => break Err(BAD),
                Form::Scheme(n) => {
                    const HTTPS: &[u8] = b"https://";
                    let n = usize::from(n);
                    let want = HTTPS.get(n).copied().unwrap_or(0);
                    let matched = b.to_ascii_lowercase() == want
                        // "http://": the 's' is optional.
                        || (n == 4 && b == b':');
                    if !matched {
                        break Err(BAD);
                    }
                    let n = if n == 4 && b == b':' { 6 } else { n + 1 };
                    i += 1;
                    self.form = if n == HTTPS.len() { Form::Authority(i as u32) } else { Form::Scheme(n as u8) };
                }
                Form::Authority(a) => {
                    let a = a as usize;
                    let authority = buf.get(a..limit.min(buf.len())).unwrap_or_default();
                    let Ok(end) = self.host.feed(authority, scan) else { break Err(BAD) };
                    i = a + end;
                    match buf.get(i) {
                        // The limit, or the end of the bytes so far: go round.
                        _ if i >= limit || i >= buf.len() => {}
                        Some(b'/' | b'?' | b' ') if self.host.complete() => {
                            self.form = Form::Path;
                            self.path = i as u32;
                        }
                        _ => break Err(BAD),
                    }
                }
            }
        };
        self.at = i.min(buf.len()) as u32;
        result
    }

    /// The target ends at `end` (its SP): is it whole, and what are its parts?
    fn whole(&self, end: usize) -> Result<Parts, Stop> {
        let end = end as u32;
        let query = match self.query {
            0 => (end, end),
            q => (q + 1, end),
        };
        let path_end = if self.query == 0 { end } else { self.query };
        let path = (self.path, path_end.max(self.path));
        match self.form {
            Form::Path | Form::Any | Form::Asterisk if end > self.start => Ok(Parts { end, path, query }),
            Form::Authority(_) if self.host.complete() => Ok(Parts { end, path: (end, end), query }),
            _ => Err(BAD),
        }
    }
}
