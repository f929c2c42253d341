//! The request head: request line and header fields (RFC 9112 §2-§5), parsed as it arrives.
//!
//! A [`Parser`] keeps its place between calls: it is given the head's bytes so far, from its
//! first one, and looks only at those it has not seen, so the work is linear in the head's bytes
//! however they are split. `Partial` means every byte so far is a valid prefix of a request; an
//! error is reported as soon as the bytes received prove the request malformed. [`parse_head`]
//! is the same parser in one call, for whole buffers.
//!
//! Contract, strict RFC 9112:
//!
//! - Empty lines (CRLF) before the request line are skipped ([`skip_empty_lines`]), at most
//!   [`MAX_EMPTY_LINES`] of them; they never count toward the head's limit.
//! - `method SP request-target SP HTTP-version CRLF`, one SP each. The method is a token of at
//!   most [`MAX_METHOD`] bytes (longer is 400); GET, HEAD, POST and OPTIONS are known
//!   (case-sensitive), any other method is 501 once the whole request line has arrived and is
//!   well-formed (a malformed line is 400 whatever its method). The target is checked by
//!   [`super::target`]: past `max_target` bytes it is 414, a malformation within them is 400. The
//!   version is `HTTP/1.x`: 1.0 is HTTP/1.0, 1.1 to 1.9 are HTTP/1.1 (RFC 9110 §2.5: a higher
//!   minor version is served at ours); another major version is 505 once its CR arrives.
//! - Field lines `name ":" OWS value OWS CRLF`: the name is 1*tchar, the value HTAB / SP / VCHAR
//!   / obs-text. A line starting with whitespace (obs-fold) fails. CR must be followed by LF; a
//!   bare LF fails. The head ends at the empty line. The fields the parser acts on are checked
//!   as their values arrive ([`super::fields`]); what needs the whole head (Host count,
//!   Content-Length with Transfer-Encoding, the final transfer coding, an expectation other than
//!   `100-continue`: 417) is judged when the empty line arrives.
//! - Only the first `max_head` bytes after the empty lines are ever looked at: when they hold a
//!   valid prefix without the end of the head and more bytes have come, the answer is 431.
//!
//! An error is always the first one the bytes prove, reading left to right, and results are
//! stable: once a prefix of a buffer gives an error or a complete head, every longer buffer with
//! that prefix gives the same. Nothing here allocates or panics.

use super::fields::{Check, Fields, Kind, WsVersion, kind_of};
use super::scan::Scanner;
use super::target::{Parts, Target};
pub use crate::router::Method;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    None,
    /// Content-Length: this many bytes follow the head.
    Length(u64),
    /// Transfer-Encoding: chunked.
    Chunked,
}

/// Why a request is refused; each maps to one status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    BadRequest,
    UriTooLong,
    HeaderFieldsTooLarge,
    PayloadTooLarge,
    ExpectationFailed,
    NotImplemented,
    VersionNotSupported,
}

impl Error {
    pub fn code(self) -> u16 {
        match self {
            Error::BadRequest => 400,
            Error::PayloadTooLarge => 413,
            Error::UriTooLong => 414,
            Error::ExpectationFailed => 417,
            Error::HeaderFieldsTooLarge => 431,
            Error::NotImplemented => 501,
            Error::VersionNotSupported => 505,
        }
    }
}

/// Limits the parser enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most bytes a head (request line + fields + final CRLF) may take: 431 past it.
    pub max_head: usize,
    /// The most bytes a request target may take: 414 past it.
    pub max_target: usize,
    /// The most body bytes (Content-Length, or decoded chunk data): 413 past it.
    pub max_body: u64,
}

/// A WebSocket upgrade asked for (RFC 6455 §4.2.1): `Upgrade` lists `websocket` and
/// `Connection` lists `upgrade`, in an HTTP/1.1 request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upgrade<'a> {
    pub version: WsVersion,
    /// The Sec-WebSocket-Key value without OWS, if exactly one came.
    pub key: Option<&'a [u8]>,
}

/// A parsed request head. Slices borrow from the buffer passed to the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    pub method: Method,
    /// The request target as sent.
    pub target: &'a [u8],
    /// The path: the target up to '?' (for absolute-form, the path part; "*" for `OPTIONS *`).
    pub path: &'a [u8],
    /// The query after '?', without it; empty when there is none.
    pub query: &'a [u8],
    pub version: Version,
    pub framing: Framing,
    /// Whether the connection stays open after this request (version and Connection header).
    pub keep_alive: bool,
    /// `Expect: 100-continue` in an HTTP/1.1 request.
    pub expect_continue: bool,
    pub upgrade: Option<Upgrade<'a>>,
    /// Bytes from the start of the buffer to the first byte after the head's final CRLF.
    pub head_len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head<'a> {
    Complete(Request<'a>),
    Partial,
    Error(Error),
}

/// The longest method token accepted (longer is 400).
pub const MAX_METHOD: usize = 64;

/// The most empty lines accepted before a request line (more is 400).
pub const MAX_EMPTY_LINES: u32 = 64;

/// The path of an absolute-form target with an empty path.
const SLASH: &[u8] = b"/";

/// Why parsing stopped before a complete head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stop {
    /// Every byte so far is a valid prefix.
    Partial,
    Fail(Error),
}

type Step<T> = Result<T, Stop>;

const BAD: Stop = Stop::Fail(Error::BadRequest);

/// Skips the empty lines (CRLF) at the start of `buf` and returns how many bytes they take:
/// the request line, or a CR that may begin another empty line, starts there. `seen` counts
/// the empty lines across calls; past [`MAX_EMPTY_LINES`], or a CR followed by anything but LF,
/// is 400.
pub fn skip_empty_lines(buf: &[u8], seen: &mut u32) -> Result<usize, Error> {
    let mut i = 0;
    while buf.get(i) == Some(&b'\r') {
        match buf.get(i + 1) {
            None => break,
            Some(b'\n') => {}
            Some(_) => return Err(Error::BadRequest),
        }
        *seen += 1;
        if *seen > MAX_EMPTY_LINES {
            return Err(Error::BadRequest);
        }
        i += 2;
    }
    Ok(i)
}

/// Where the parser is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Method,
    Target,
    Version,
    /// At the start of a field line, or of the final empty line.
    Line,
    Name,
    Value,
    /// A field value's CR has arrived: its LF must follow.
    Lf,
}

/// A head being parsed. Create one per request with [`Parser::new`] and call
/// [`Parser::advance`] with the head's bytes so far each time more arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parser {
    stage: Stage,
    /// The next byte to look at.
    pos: u32,
    /// The method, once its SP has arrived (`None`: not one mote implements).
    method: Option<Method>,
    target: Target,
    parts: Parts,
    version: Version,
    /// The current field line's first byte, and its value's.
    line: u32,
    value: u32,
    check: Check,
    fields: Fields,
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new()
    }
}

impl Parser {
    pub fn new() -> Parser {
        Parser {
            stage: Stage::Method,
            pos: 0,
            method: None,
            target: Target::new(0),
            parts: Parts { end: 0, path: (0, 0), query: (0, 0) },
            version: Version::Http11,
            line: 0,
            value: 0,
            check: Check::Whole(super::fields::Kind::Other),
            fields: Fields::new(Version::Http11, 0),
        }
    }

    /// Parses on from where the last call stopped. `buf` holds the head's bytes so far from its
    /// first one (the method's): the bytes the last call saw, then more.
    pub fn advance<'a>(&mut self, buf: &'a [u8], scan: Scanner, limits: &Limits) -> Head<'a> {
        // A head may take at most max_head bytes, so nothing past them is ever looked at.
        let view = buf.get(..limits.max_head).unwrap_or(buf);
        match self.run(view, scan, limits) {
            Ok(request) => Head::Complete(request),
            Err(Stop::Fail(e)) => Head::Error(e),
            Err(Stop::Partial) if buf.len() > limits.max_head => Head::Error(Error::HeaderFieldsTooLarge),
            Err(Stop::Partial) => Head::Partial,
        }
    }

    fn run<'a>(&mut self, buf: &'a [u8], scan: Scanner, limits: &Limits) -> Step<Request<'a>> {
        loop {
            match self.stage {
                Stage::Method => self.method(buf, scan)?,
                Stage::Target => {
                    self.parts = self.target.feed(buf, self.method, limits.max_target, scan)?;
                    self.pos = self.parts.end + 1;
                    self.stage = Stage::Version;
                }
                Stage::Version => self.version(buf, limits)?,
                Stage::Line => {
                    let p = self.pos as usize;
                    match buf.get(p) {
                        None => return Err(Stop::Partial),
                        Some(b'\r') => {
                            expect_lf(buf, p + 1)?;
                            return self.finish(buf, p + 2);
                        }
                        Some(_) => {
                            self.line = self.pos;
                            self.stage = Stage::Name;
                        }
                    }
                }
                Stage::Name => {
                    // field-name ":" — an empty name, whitespace before ':' or at the start of
                    // the line (obs-fold), or any other non-tchar fails here.
                    let line = self.line as usize;
                    let end = scan.token_end(buf, self.pos as usize);
                    self.pos = end as u32;
                    match buf.get(end) {
                        None => return Err(Stop::Partial),
                        Some(b':') if end > line => {}
                        Some(_) => return Err(BAD),
                    }
                    self.check = Check::new(kind_of(buf.get(line..end).unwrap_or_default()));
                    self.value = end as u32 + 1;
                    self.pos = self.value;
                    self.stage = Stage::Value;
                }
                Stage::Value => {
                    let (start, from) = (self.value as usize, self.pos as usize);
                    let end = scan.value_end(buf, from);
                    self.pos = end as u32;
                    let value = buf.get(start..end).unwrap_or_default();
                    // The value so far is judged before the byte that ended it.
                    self.fields.feed(&mut self.check, value, from - start, scan).map_err(Stop::Fail)?;
                    match buf.get(end) {
                        None => return Err(Stop::Partial),
                        Some(b'\r') => {}
                        Some(_) => return Err(BAD),
                    }
                    self.fields.end(&mut self.check, value, start).map_err(Stop::Fail)?;
                    self.stage = Stage::Lf;
                }
                Stage::Lf => {
                    expect_lf(buf, self.pos as usize + 1)?;
                    self.pos += 2;
                    self.stage = Stage::Line;
                }
            }
        }
    }

    /// `method SP`. (Common heads are read by [`quick`]; this is the general path.)
    fn method(&mut self, buf: &[u8], scan: Scanner) -> Step<()> {
        let end = scan.token_end(buf, self.pos as usize);
        self.pos = end as u32;
        if end > MAX_METHOD {
            return Err(BAD);
        }
        match buf.get(end) {
            None => return Err(Stop::Partial),
            Some(b' ') if end > 0 => {}
            Some(_) => return Err(BAD),
        }
        self.method = match buf.get(..end) {
            Some(b"GET") => Some(Method::Get),
            Some(b"HEAD") => Some(Method::Head),
            Some(b"POST") => Some(Method::Post),
            Some(b"OPTIONS") => Some(Method::Options),
            _ => None,
        };
        self.target = Target::new(end + 1);
        self.stage = Stage::Target;
        Ok(())
    }

    /// `HTTP-version CRLF`, then the verdict on the request line.
    fn version(&mut self, buf: &[u8], limits: &Limits) -> Step<()> {
        let v = self.parts.end as usize + 1;
        let got = buf.get(v..).unwrap_or_default();
        for (i, want) in b"HTTP/#.#\r".iter().enumerate() {
            let Some(&b) = got.get(i) else { return Err(Stop::Partial) };
            let ok = if *want == b'#' { b.is_ascii_digit() } else { b == *want };
            if !ok {
                return Err(BAD);
            }
        }
        let version = match got.get(5..8) {
            Some(b"1.0") => Version::Http10,
            Some([b'1', b'.', _]) => Version::Http11,
            _ => return Err(Stop::Fail(Error::VersionNotSupported)),
        };
        expect_lf(got, 9)?;
        // The line is whole and well-formed: only now is an unknown method refused.
        if self.method.is_none() {
            return Err(Stop::Fail(Error::NotImplemented));
        }
        self.version = version;
        self.fields = Fields::new(version, limits.max_body);
        self.pos = (v + 10) as u32;
        self.stage = Stage::Line;
        Ok(())
    }

    /// The empty line has arrived at `head_len - 2`: the decisions that need the whole head.
    fn finish<'a>(&self, buf: &'a [u8], head_len: usize) -> Step<Request<'a>> {
        let d = self.fields.finish().map_err(Stop::Fail)?;
        let slice = |(a, b): (u32, u32)| buf.get(a as usize..b as usize).unwrap_or_default();
        let path = match slice(self.parts.path) {
            b"" => SLASH,
            p => p,
        };
        Ok(Request {
            method: self.method.unwrap_or(Method::Get),
            target: slice((self.target.start, self.parts.end)),
            path,
            query: slice(self.parts.query),
            version: self.version,
            framing: d.framing,
            keep_alive: d.keep_alive,
            expect_continue: d.expect_continue,
            upgrade: d.websocket.then(|| Upgrade { version: d.ws_version, key: d.ws_key.map(slice) }),
            head_len,
        })
    }
}

/// Parses a whole HTTP/1.1 head of the common shapes in one pass, or gives up (`None`) on
/// anything else, which the [`Parser`] then reads: a head not all there yet, or holding a byte,
/// a field or a form this pass does not look into (a '%' in the target, absolute-form, OWS other
/// than one SP before a value, a Host other than letters, digits, '-', '.' and a port, a field
/// other than Host, Content-Length and `Transfer-Encoding: chunked` that the parser acts on).
/// It never refuses: an error is always the parser's to find.
///
/// Contract: whenever it returns a request, [`Parser::advance`] on the same bytes returns the
/// same one (tested on every input of the unit tests and the fuzzing pass).
pub fn quick<'a>(buf: &'a [u8], scan: Scanner, limits: &Limits) -> Option<Request<'a>> {
    let view = buf.get(..limits.max_head).unwrap_or(buf);
    let (method, target) = match view.first_chunk::<8>()? {
        [b'G', b'E', b'T', b' ', b'/', ..] => (Method::Get, 4),
        [b'P', b'O', b'S', b'T', b' ', b'/', ..] => (Method::Post, 5),
        [b'H', b'E', b'A', b'D', b' ', b'/', ..] => (Method::Head, 5),
        _ => return None,
    };
    // origin-form: plain target bytes, and '?' (the first one starts the query).
    let mut end = scan.plain_target_end(view, target);
    let mut query = 0;
    while view.get(end) == Some(&b'?') {
        if query == 0 {
            query = end;
        }
        end = scan.plain_target_end(view, end + 1);
    }
    if view.get(end) != Some(&b' ') || end - target > limits.max_target {
        return None;
    }
    if view.get(end + 1..)?.first_chunk::<10>()? != b"HTTP/1.1\r\n" {
        return None;
    }
    let mut p = end + 11;
    let (mut hosts, mut length, mut chunked) = (0, None, false);
    loop {
        let line = view.get(p..)?;
        match line.first_chunk::<6>() {
            Some([b'\r', b'\n', ..]) => break,
            Some([b'\r', ..]) => return None,
            // The usual first field, `Host: name[:port]`, in one scan: OR 0x20 maps only a
            // letter's two cases onto the lower-case one.
            Some([h, o, st, t, b':', b' ']) if [h | 0x20, o | 0x20, st | 0x20, t | 0x20] == *b"host" => {
                let name = scan.host_name_end(view, p + 6);
                let mut stop = name;
                if view.get(stop) == Some(&b':') {
                    stop += 1 + view.get(stop + 1..)?.iter().take_while(|b| b.is_ascii_digit()).count();
                }
                if hosts > 0 || name == p + 6 || view.get(stop..stop + 2)? != b"\r\n" {
                    return None;
                }
                hosts = 1;
                p = stop + 2;
                continue;
            }
            Some(_) => {}
            None if line.first() == Some(&b'\r') => {
                if line.get(1)? != &b'\n' {
                    return None;
                }
                break;
            }
            None => return None,
        }
        let colon = scan.token_end(view, p);
        if view.get(colon) != Some(&b':') || colon == p {
            return None;
        }
        // One SP or none before the value, none after it.
        let start = colon + 1 + usize::from(view.get(colon + 1) == Some(&b' '));
        let stop = scan.value_end(view, start);
        if view.get(stop..stop + 2)? != b"\r\n" {
            return None;
        }
        let value = view.get(start..stop)?;
        if matches!(value.first(), Some(b' ' | b'\t')) || matches!(value.last(), Some(b' ' | b'\t')) {
            return None;
        }
        match kind_of(view.get(p..colon)?) {
            Kind::Other => {}
            Kind::Host if hosts == 0 && quick_host(value, scan) => hosts = 1,
            Kind::ContentLength if length.is_none() => {
                if value.is_empty() || value.len() > 18 || !value.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                let n = value.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
                if n > limits.max_body {
                    return None;
                }
                length = Some(n);
            }
            Kind::TransferEncoding if !chunked && value.eq_ignore_ascii_case(b"chunked") => chunked = true,
            _ => return None,
        }
        p = stop + 2;
    }
    if hosts == 0 || (chunked && length.is_some()) {
        return None;
    }
    let target_bytes = view.get(target..end)?;
    let (path, query) = match query {
        0 => (target_bytes, &b""[..]),
        q => (view.get(target..q)?, view.get(q + 1..end)?),
    };
    Some(Request {
        method,
        target: target_bytes,
        path,
        query,
        version: Version::Http11,
        framing: match (chunked, length) {
            (true, _) => Framing::Chunked,
            (false, Some(n)) => Framing::Length(n),
            (false, None) => Framing::None,
        },
        keep_alive: true,
        expect_continue: false,
        upgrade: None,
        head_len: p + 2,
    })
}

/// A Host value of the usual shape: a name of letters, digits, '-' and '.', then perhaps ':'
/// and a port.
fn quick_host(v: &[u8], scan: Scanner) -> bool {
    let name = scan.host_name_end(v, 0);
    name > 0 && match v.get(name..) {
        Some([]) => true,
        Some([b':', port @ ..]) => port.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// Expects LF at `i` (a CR was just seen).
fn expect_lf(buf: &[u8], i: usize) -> Step<()> {
    match buf.get(i) {
        None => Err(Stop::Partial),
        Some(b'\n') => Ok(()),
        Some(_) => Err(BAD),
    }
}

/// Parses the head at the start of `buf` in one call: empty lines, then [`quick`] or else
/// [`Parser::advance`].
pub fn parse_head<'a>(buf: &'a [u8], scan: Scanner, limits: &Limits) -> Head<'a> {
    let mut seen = 0;
    let lead = match skip_empty_lines(buf, &mut seen) {
        Ok(n) => n,
        Err(e) => return Head::Error(e),
    };
    let rest = buf.get(lead..).unwrap_or_default();
    if rest.first().is_none_or(|&b| b == b'\r') {
        return Head::Partial;
    }
    let head = match quick(rest, scan, limits) {
        Some(req) => Head::Complete(req),
        None => Parser::new().advance(rest, scan, limits),
    };
    match head {
        Head::Complete(req) => Head::Complete(Request { head_len: req.head_len + lead, ..req }),
        other => other,
    }
}

/// Walks the field lines of a head that [`parse_head`] accepted, giving each name and its value
/// without the surrounding OWS, in order. `buf` and `head` must be the ones `parse_head` saw
/// and returned; other input gives unspecified (but safe) calls.
pub fn for_each_header<'a>(buf: &'a [u8], head: &Request<'a>, f: &mut dyn FnMut(&'a [u8], &'a [u8])) {
    let Some(h) = buf.get(..head.head_len) else { return };
    let mut lines = h.split(|&b| b == b'\n').map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    // Empty lines before the request line, then the request line itself.
    for line in lines.by_ref() {
        if !line.is_empty() {
            break;
        }
    }
    for line in lines {
        if line.is_empty() {
            break;
        }
        let colon = line.iter().position(|&b| b == b':').unwrap_or(line.len());
        let name = line.get(..colon).unwrap_or_default();
        let value = line.get(colon + 1..).unwrap_or_default();
        let lead = value.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
        let value = value.get(lead..).unwrap_or_default();
        let trail = value.iter().rev().take_while(|&&b| b == b' ' || b == b'\t').count();
        f(name, value.get(..value.len() - trail).unwrap_or_default());
    }
}

#[cfg(test)]
#[path = "head_tests.rs"]
mod tests;
