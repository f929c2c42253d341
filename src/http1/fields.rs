//! Header fields the parser acts on (RFC 9112 §5-§7, RFC 9110 §7.2, §10.1.1, RFC 6455 §4.2.1),
//! judged as their values arrive, and what the whole set of fields decides: the body's framing,
//! whether the connection stays open, an expectation, a WebSocket upgrade.
//!
//! Contract: [`Check::feed`] looks at the bytes of a field value from where the last call
//! stopped (the value is passed from its first byte, after the ':'), so work is linear in the
//! bytes however they are split, and fails as soon as the value so far cannot begin a valid one:
//!
//! - Content-Length: OWS 1*DIGIT OWS, fitting in u64, equal in value to an earlier one (digits
//!   may be compared before the value ends), at most `max_body` (413, judged on the whole value
//!   only, so that a malformed or overflowing value is a 400).
//! - Transfer-Encoding (HTTP/1.1 only, else 400): a list of transfer codings (RFC 9112 §7,
//!   parameters and quoted strings included; empty elements skipped); any coding listed after a
//!   `chunked` fails at once (chunked twice, or not final).
//! - Connection: a list of tokens; `close`, `keep-alive` and `upgrade` are noted.
//! - Host: OWS, then `host [":" port]` ([`super::host`]), then only OWS.
//!
//! Expect, Upgrade, Sec-WebSocket-Key and Sec-WebSocket-Version are noted once whole; any
//! value bytes are fine until then. [`Fields::finish`] makes the decisions that need every field.
//! Nothing here allocates or panics.

use super::head::{Error, Framing, Version};
use super::host::Host;
use super::scan::{Scanner, is_tchar};

/// Header fields the parser acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    ContentLength,
    TransferEncoding,
    Connection,
    Host,
    Expect,
    Upgrade,
    WebSocketKey,
    WebSocketVersion,
    Other,
}

/// The 4 bytes at `at` as a word, with 0x20 OR-ed into each.
#[inline(always)]
fn word4(s: &[u8], at: usize) -> u32 {
    s.get(at..).and_then(|t| t.first_chunk::<4>()).map_or(0, |w| u32::from_le_bytes(*w) | 0x2020_2020)
}

/// The 8 bytes at `at` as a word, with 0x20 OR-ed into each.
#[inline(always)]
fn word8(s: &[u8], at: usize) -> u64 {
    s.get(at..).and_then(|t| t.first_chunk::<8>()).map_or(0, |w| u64::from_le_bytes(*w) | 0x2020_2020_2020_2020)
}

/// Compares a field name (already known to be a token) with a lower-case name of the same
/// length (at least 4 bytes), ignoring case, a word at a time: OR-ing 0x20 maps only a letter's
/// two cases together, and a token holds no byte that 0x20 could turn into one of the other
/// bytes of these names. The last word overlaps the one before it when the length is not a
/// multiple of the word.
fn is(name: &[u8], lower: &[u8]) -> bool {
    let n = lower.len();
    if name.len() != n {
        return false;
    }
    if n < 8 {
        return word4(name, 0) == word4(lower, 0) && word4(name, n - 4) == word4(lower, n - 4);
    }
    let mut at = 0;
    while at + 8 < n {
        if word8(name, at) != word8(lower, at) {
            return false;
        }
        at += 8;
    }
    word8(name, n - 8) == word8(lower, n - 8)
}

/// The fields the parser acts on, by their lower-case names.
const NAMES: [(&[u8], Kind); 8] = [
    (b"host", Kind::Host),
    (b"content-length", Kind::ContentLength),
    (b"transfer-encoding", Kind::TransferEncoding),
    (b"connection", Kind::Connection),
    (b"expect", Kind::Expect),
    (b"upgrade", Kind::Upgrade),
    (b"sec-websocket-key", Kind::WebSocketKey),
    (b"sec-websocket-version", Kind::WebSocketVersion),
];

/// Which field a name is (case-insensitively): a length compare for most names, a word
/// compare for the one or two of the same length.
pub fn kind_of(name: &[u8]) -> Kind {
    NAMES.iter().find(|(n, _)| is(name, n)).map_or(Kind::Other, |&(_, k)| k)
}

fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim_ows(v: &[u8]) -> &[u8] {
    let start = v.iter().take_while(|&&b| is_ows(b)).count();
    let v = v.get(start..).unwrap_or_default();
    let end = v.len() - v.iter().rev().take_while(|&&b| is_ows(b)).count();
    v.get(..end).unwrap_or_default()
}

/// Powers of ten that fit in u64.
const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// A Content-Length value so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Length {
    /// 0: leading OWS, 1: in the digits, 2: trailing OWS.
    phase: u8,
    /// Significant digits so far (leading zeros do not count).
    digits: u8,
    value: u64,
}

/// What the transfer codings listed so far amount to, as far as the decision needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Codings {
    /// A coding named `chunked` is listed. Nothing may follow it: a coding after it is either
    /// chunked again (RFC 9112 §7: at most once) or leaves chunked not final (§6.3 ¶4).
    chunked: bool,
    /// A coding other than a bare `chunked` is listed: another coding, or chunked with
    /// parameters. mote implements none of these.
    other: bool,
}

/// Where the walk over a Transfer-Encoding value is (RFC 9112 §7):
/// `transfer-coding = token *( OWS ";" OWS transfer-parameter )`,
/// `transfer-parameter = token BWS "=" BWS ( token / quoted-string )`, in a list (RFC 9110
/// §5.6.1) whose empty elements are skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Te {
    /// Before a coding: OWS and commas.
    #[default]
    Start,
    /// Inside a coding name, which began at the index held.
    Name(u32),
    /// After a coding name or a parameter: OWS, then ';' or ','.
    After,
    /// After ';': OWS, then a parameter name.
    Param,
    ParamName,
    /// After a parameter name: BWS, then '='.
    Equals,
    /// After '=': BWS, then a token or a quoted string.
    Value,
    ValueToken,
    Quoted,
    /// After a backslash inside a quoted string.
    Escape,
}

/// Where the walk over a list of tokens (Connection) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum List {
    /// Before an element: OWS and commas.
    #[default]
    Start,
    /// Inside a token, which began at the index held.
    Word(u32),
    /// After a token: OWS, then ',' or the end.
    After,
}

/// A Host value so far: leading OWS, the host, trailing OWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HostValue {
    /// 0: leading OWS, 1: in the host, 2: trailing OWS.
    phase: u8,
    /// Where the host begins in the value.
    start: u32,
    host: Host,
}

/// The check a field value needs while it arrives, with its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Nothing until the value is whole (or nothing at all).
    Whole(Kind),
    Length(Length),
    Codings(Te, Codings),
    Connection(List),
    Host(HostValue),
}

/// qdtext (RFC 9110 §5.6.4): HTAB, SP, VCHAR except '"' and '\', obs-text.
fn is_qdtext(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21 | 0x23..=0x5B | 0x5D..=0x7E | 0x80..=0xFF)
}

/// Adds the coding named `name` to `c`.
fn add_coding(mut c: Codings, name: &[u8]) -> Codings {
    if name.eq_ignore_ascii_case(b"chunked") {
        c.chunked = true;
    } else {
        c.other = true;
    }
    c
}

/// The expectation a request carries (RFC 9110 §10.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expect {
    #[default]
    None,
    Continue,
    /// Anything but `100-continue`: 417.
    Other,
}

/// What the Sec-WebSocket-Version fields say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WsVersion {
    #[default]
    Missing,
    V13,
    /// Another version, or more than one field.
    Other,
}

/// What the field lines so far established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields {
    version: Version,
    max_body: u64,
    hosts: u8,
    /// The Content-Length value and its significant digits.
    length: Option<(u64, u8)>,
    te_seen: bool,
    /// The transfer codings of the complete Transfer-Encoding lines so far.
    codings: Codings,
    close: bool,
    keep_alive: bool,
    /// Connection lists `upgrade`.
    upgrade: bool,
    /// Upgrade lists `websocket`.
    websocket: bool,
    expect: Expect,
    ws_version: WsVersion,
    /// The Sec-WebSocket-Key value (start and end in the head), if exactly one came.
    ws_key: Option<(u32, u32)>,
    ws_keys: u8,
}

/// What the whole head decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decided {
    pub framing: Framing,
    pub keep_alive: bool,
    pub expect_continue: bool,
    /// Upgrade lists `websocket` and Connection lists `upgrade`.
    pub websocket: bool,
    pub ws_version: WsVersion,
    pub ws_key: Option<(u32, u32)>,
}

const BAD: Error = Error::BadRequest;

impl Check {
    /// The check for a field of this kind.
    pub fn new(kind: Kind) -> Check {
        match kind {
            Kind::ContentLength => Check::Length(Length::default()),
            Kind::TransferEncoding => Check::Codings(Te::Start, Codings::default()),
            Kind::Connection => Check::Connection(List::Start),
            Kind::Host => Check::Host(HostValue::default()),
            other => Check::Whole(other),
        }
    }
}

impl Fields {
    pub fn new(version: Version, max_body: u64) -> Fields {
        Fields {
            version,
            max_body,
            hosts: 0,
            length: None,
            te_seen: false,
            codings: Codings::default(),
            close: false,
            keep_alive: false,
            upgrade: false,
            websocket: false,
            expect: Expect::None,
            ws_version: WsVersion::Missing,
            ws_key: None,
            ws_keys: 0,
        }
    }

    /// Looks at `v[from..]`: the bytes of a field value that arrived since the last call (`v`
    /// holds the value from its first byte, all of them field-value bytes).
    pub fn feed(&mut self, check: &mut Check, v: &[u8], from: usize, scan: Scanner) -> Result<(), Error> {
        let new = v.get(from..).unwrap_or_default();
        match check {
            Check::Whole(_) => Ok(()),
            Check::Length(len) => self.length_digits(len, new),
            Check::Codings(te, codings) => {
                // RFC 9112 §6.1: HTTP/1.0 has no transfer codings; do not guess the framing.
                if self.version == Version::Http10 {
                    return Err(BAD);
                }
                if from == 0 {
                    // The codings of earlier lines come first (nothing may follow a chunked).
                    *codings = self.codings;
                }
                transfer_codings(te, codings, v, from)
            }
            Check::Connection(list) => self.connection(list, v, from),
            Check::Host(h) => host_value(h, v, from, scan),
        }
    }

    /// The value is whole (its CR has arrived): the checks that need all of it, and what it
    /// establishes. `v` is the value from its first byte; `start` is where it begins in the head.
    pub fn end(&mut self, check: &mut Check, v: &[u8], start: usize) -> Result<(), Error> {
        match check {
            Check::Length(len) => {
                if len.phase == 0 {
                    return Err(BAD);
                }
                if let Some((prev, _)) = self.length
                    && prev != len.value
                {
                    return Err(BAD);
                }
                if len.value > self.max_body {
                    return Err(Error::PayloadTooLarge);
                }
                self.length = Some((len.value, len.digits));
            }
            Check::Codings(te, codings) => {
                if self.version == Version::Http10 {
                    return Err(BAD);
                }
                self.te_seen = true;
                self.codings = match *te {
                    Te::Start | Te::After | Te::ValueToken => *codings,
                    Te::Name(s) => add_coding(*codings, v.get(s as usize..).unwrap_or_default()),
                    _ => return Err(BAD),
                };
            }
            Check::Connection(list) => {
                if let List::Word(s) = *list {
                    self.word(v.get(s as usize..).unwrap_or_default());
                }
            }
            Check::Host(h) => {
                let whole = match h.phase {
                    0 => false,
                    1 => h.host.complete(),
                    _ => true,
                };
                if !whole {
                    return Err(BAD);
                }
                self.hosts = self.hosts.saturating_add(1);
            }
            Check::Whole(kind) => self.whole(*kind, v, start),
        }
        Ok(())
    }

    /// Notes the fields judged only once whole.
    fn whole(&mut self, kind: Kind, v: &[u8], start: usize) {
        let t = trim_ows(v);
        match kind {
            Kind::Expect => {
                if t.eq_ignore_ascii_case(b"100-continue") {
                    if self.expect == Expect::None {
                        self.expect = Expect::Continue;
                    }
                } else if !t.is_empty() {
                    self.expect = Expect::Other;
                }
            }
            Kind::Upgrade => {
                // A list of protocols; only `websocket` (no version) is understood.
                if t.split(|&b| b == b',').any(|p| trim_ows(p).eq_ignore_ascii_case(b"websocket")) {
                    self.websocket = true;
                }
            }
            Kind::WebSocketVersion => {
                self.ws_version = match self.ws_version {
                    WsVersion::Missing if t == b"13" => WsVersion::V13,
                    _ => WsVersion::Other,
                };
            }
            Kind::WebSocketKey => {
                self.ws_keys = self.ws_keys.saturating_add(1);
                let lead = v.len() - v.iter().skip_while(|&&b| is_ows(b)).count();
                let s = start + lead;
                self.ws_key = Some((s as u32, (s + t.len()) as u32));
            }
            _ => {}
        }
    }

    fn length_digits(&self, len: &mut Length, new: &[u8]) -> Result<(), Error> {
        for &b in new {
            match (len.phase, b) {
                (0 | 1, b'0'..=b'9') => {
                    len.phase = 1;
                    len.value = len
                        .value
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(u64::from(b - b'0')))
                        .ok_or(BAD)?;
                    if len.value != 0 {
                        len.digits += 1;
                    }
                }
                (0, _) | (1 | 2, _) if is_ows(b) => {
                    if len.phase == 1 {
                        len.phase = 2;
                    }
                }
                _ => return Err(BAD),
            }
        }
        // A repeated Content-Length must have the first one's value: digits can only be
        // appended while nothing follows them, so a prefix of the first one's digits may do.
        if let Some((prev, prev_digits)) = self.length {
            let same = match len.phase {
                0 => true,
                1 => {
                    len.digits == 0
                        || (len.digits <= prev_digits
                            && POW10.get(usize::from(prev_digits - len.digits)).is_some_and(|p| prev / p == len.value))
                }
                _ => prev == len.value,
            };
            if !same {
                return Err(BAD);
            }
        }
        Ok(())
    }

    fn connection(&mut self, list: &mut List, v: &[u8], from: usize) -> Result<(), Error> {
        for (i, &b) in v.iter().enumerate().skip(from) {
            *list = match *list {
                List::Start if is_ows(b) || b == b',' => List::Start,
                List::Start if is_tchar(b) => List::Word(i as u32),
                List::Word(_) if is_tchar(b) => *list,
                List::Word(s) if is_ows(b) || b == b',' => {
                    self.word(v.get(s as usize..i).unwrap_or_default());
                    if b == b',' { List::Start } else { List::After }
                }
                List::After if is_ows(b) => List::After,
                List::After if b == b',' => List::Start,
                // A non-token byte, or whitespace inside an element.
                _ => return Err(BAD),
            };
        }
        Ok(())
    }

    /// Notes one Connection option.
    fn word(&mut self, w: &[u8]) {
        self.close |= w.eq_ignore_ascii_case(b"close");
        self.keep_alive |= w.eq_ignore_ascii_case(b"keep-alive");
        self.upgrade |= w.eq_ignore_ascii_case(b"upgrade");
    }

    /// The checks that need the whole head, and what it decides.
    pub fn finish(&self) -> Result<Decided, Error> {
        let hosts_ok = match self.version {
            Version::Http11 => self.hosts == 1,
            Version::Http10 => self.hosts <= 1,
        };
        if !hosts_ok {
            return Err(BAD);
        }
        if self.te_seen && self.length.is_some() {
            return Err(BAD);
        }
        if self.te_seen {
            // RFC 9112 §6.3 ¶4: without chunked as the final coding (or without any coding)
            // the length cannot be determined. A `chunked` is always the last coding here: one
            // listed after it failed at once.
            if !self.codings.chunked {
                return Err(BAD);
            }
            // RFC 9112 §6.1: a coding (or parameter) not understood is 501.
            if self.codings.other {
                return Err(Error::NotImplemented);
            }
        }
        // RFC 9110 §10.1.1: an HTTP/1.0 server ignores expectations.
        let expect = if self.version == Version::Http10 { Expect::None } else { self.expect };
        if expect == Expect::Other {
            return Err(Error::ExpectationFailed);
        }
        let framing = match (self.te_seen, self.length) {
            (true, _) => Framing::Chunked,
            (false, Some((n, _))) => Framing::Length(n),
            (false, None) => Framing::None,
        };
        let keep_alive = match self.version {
            Version::Http11 => !self.close,
            Version::Http10 => self.keep_alive && !self.close,
        };
        Ok(Decided {
            framing,
            keep_alive,
            expect_continue: expect == Expect::Continue,
            websocket: self.websocket && self.upgrade && self.version == Version::Http11,
            ws_version: self.ws_version,
            ws_key: if self.ws_keys == 1 { self.ws_key } else { None },
        })
    }
}

/// Transfer-Encoding: walks `v[from..]`, adding its codings to `c`. Fails with 400 as soon as
/// the value cannot be a list of transfer codings, or a coding begins after a `chunked`; what
/// needs the whole head is left to [`Fields::finish`].
fn transfer_codings(state: &mut Te, c: &mut Codings, v: &[u8], from: usize) -> Result<(), Error> {
    for (i, &b) in v.iter().enumerate().skip(from) {
        let tchar = is_tchar(b);
        if let Te::Name(start) = *state
            && !tchar
        {
            *c = add_coding(*c, v.get(start as usize..i).unwrap_or_default());
            *state = Te::After;
        }
        let ows = is_ows(b);
        *state = match *state {
            Te::Start if ows || b == b',' => Te::Start,
            Te::Start if tchar && !c.chunked => Te::Name(i as u32),
            Te::Name(_) => *state,
            Te::After | Te::ValueToken if ows => Te::After,
            Te::After | Te::ValueToken if b == b',' => Te::Start,
            Te::After | Te::ValueToken if b == b';' => {
                c.other = true;
                Te::Param
            }
            Te::ValueToken if tchar => Te::ValueToken,
            Te::Param if ows => Te::Param,
            Te::Param | Te::ParamName if tchar => Te::ParamName,
            Te::ParamName | Te::Equals if ows => Te::Equals,
            Te::ParamName | Te::Equals if b == b'=' => Te::Value,
            Te::Value if ows => Te::Value,
            Te::Value if tchar => Te::ValueToken,
            Te::Value if b == b'"' => Te::Quoted,
            Te::Quoted if b == b'"' => Te::After,
            Te::Quoted if b == b'\\' => Te::Escape,
            Te::Quoted if is_qdtext(b) => Te::Quoted,
            Te::Escape if ows || (0x21..=0x7E).contains(&b) || b >= 0x80 => Te::Quoted,
            // Includes a coding that begins after a `chunked`.
            _ => return Err(BAD),
        };
    }
    Ok(())
}

/// Host: walks `v[from..]`: OWS, the host, then only OWS.
fn host_value(h: &mut HostValue, v: &[u8], from: usize, scan: Scanner) -> Result<(), Error> {
    let mut i = from;
    if h.phase == 0 {
        i += v.get(i..).unwrap_or_default().iter().take_while(|&&b| is_ows(b)).count();
        if i == v.len() {
            return Ok(());
        }
        h.phase = 1;
        h.start = i as u32;
    }
    if h.phase == 1 {
        let start = h.start as usize;
        let host = v.get(start..).unwrap_or_default();
        let end = start + h.host.feed(host, scan).map_err(|()| BAD)?;
        if end == v.len() {
            return Ok(());
        }
        // Whitespace may only trail a whole host.
        if !h.host.complete() {
            return Err(BAD);
        }
        h.phase = 2;
        i = end;
    }
    match v.get(i..).unwrap_or_default().iter().all(|&b| is_ows(b)) {
        true => Ok(()),
        false => Err(BAD),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http1::scan::all_scanners;

    /// Feeds a value to a fresh check in pieces of `step` bytes, then ends it.
    fn judge(fields: &mut Fields, kind: Kind, v: &[u8], step: usize, scan: Scanner) -> Result<(), Error> {
        let mut check = Check::new(kind);
        let mut k = 0;
        while k < v.len() {
            let next = (k + step).min(v.len());
            fields.feed(&mut check, &v[..next], k, scan)?;
            k = next;
        }
        fields.feed(&mut check, v, v.len(), scan)?;
        fields.end(&mut check, v, 0)
    }

    fn fresh() -> Fields {
        Fields::new(Version::Http11, u64::MAX)
    }

    #[test]
    fn names() {
        for (name, kind) in [
            (&b"Host"[..], Kind::Host), (b"HOST", Kind::Host), (b"hosT", Kind::Host),
            (b"Content-Length", Kind::ContentLength), (b"content-LENGTH", Kind::ContentLength),
            (b"Transfer-Encoding", Kind::TransferEncoding), (b"Connection", Kind::Connection),
            (b"Expect", Kind::Expect), (b"Upgrade", Kind::Upgrade),
            (b"Sec-WebSocket-Key", Kind::WebSocketKey), (b"sec-websocket-version", Kind::WebSocketVersion),
            (b"Hosts", Kind::Other), (b"Hos", Kind::Other), (b"Content_Length", Kind::Other),
            (b"Content-Lengt~", Kind::Other), (b"X-Host", Kind::Other), (b"hos^", Kind::Other),
        ] {
            assert_eq!(kind_of(name), kind, "{}", name.escape_ascii());
        }
        // Every tchar that OR 0x20 maps onto a letter is that letter in one of its cases.
        for b in 0..=255u8 {
            if is_tchar(b) && (b | 0x20).is_ascii_lowercase() {
                assert!(b.is_ascii_alphabetic(), "{b:#04x}");
            }
            if is_tchar(b) && b | 0x20 == b'-' {
                assert_eq!(b, b'-');
            }
        }
    }

    #[test]
    fn values_in_any_pieces() {
        let ok: &[(Kind, &[u8])] = &[
            (Kind::ContentLength, b"5"), (Kind::ContentLength, b" \t007 "), (Kind::ContentLength, b"0"),
            (Kind::ContentLength, b"18446744073709551615"),
            (Kind::TransferEncoding, b"chunked"), (Kind::TransferEncoding, b" , gzip ; a = \"x,\\\"y\" ;b=c ,, chunked"),
            (Kind::Connection, b"close"), (Kind::Connection, b" keep-alive , Upgrade,"), (Kind::Connection, b""),
            (Kind::Host, b"a"), (Kind::Host, b" \tlocalhost:8080 \t"), (Kind::Host, b"[::1]:80"),
            (Kind::Expect, b"anything \x80"), (Kind::Other, b"\x80\xff anything"),
        ];
        let bad: &[(Kind, &[u8])] = &[
            (Kind::ContentLength, b""), (Kind::ContentLength, b"1 2"), (Kind::ContentLength, b"+1"),
            (Kind::ContentLength, b"0x1"), (Kind::ContentLength, b"18446744073709551616"),
            (Kind::TransferEncoding, b"gzip x"), (Kind::TransferEncoding, b"chunked, gzip"),
            (Kind::TransferEncoding, b"x;a="), (Kind::TransferEncoding, b"\""),
            (Kind::Connection, b"a b"), (Kind::Connection, b"a/b"), (Kind::Connection, b"\x80"),
            (Kind::Host, b""), (Kind::Host, b" "), (Kind::Host, b"a b"), (Kind::Host, b"a,b"),
            (Kind::Host, b"[::1"), (Kind::Host, b":80"),
        ];
        for scan in all_scanners() {
            for step in [1, 2, 3, 7, 100] {
                for (kind, v) in ok {
                    assert_eq!(judge(&mut fresh(), *kind, v, step, scan), Ok(()), "{kind:?} {}", v.escape_ascii());
                }
                for (kind, v) in bad {
                    assert_eq!(judge(&mut fresh(), *kind, v, step, scan), Err(BAD), "{kind:?} {}", v.escape_ascii());
                }
            }
        }
        let mut small = Fields::new(Version::Http11, 1000);
        assert_eq!(judge(&mut small, Kind::ContentLength, b"1001", 1, Scanner::Scalar), Err(Error::PayloadTooLarge));
    }

    #[test]
    fn repeated_lengths_compare_by_value_as_digits_arrive() {
        let scan = Scanner::Scalar;
        for (first, second, want) in [
            (&b"5"[..], &b"05"[..], Ok(())),
            (b"10", b"0010 ", Ok(())),
            (b"5", b"6", Err(BAD)),
            (b"5", b"50", Err(BAD)),
            (b"50", b"5", Err(BAD)),
            (b"0", b"000", Ok(())),
            (b"0", b"1", Err(BAD)),
        ] {
            let mut f = fresh();
            judge(&mut f, Kind::ContentLength, first, 100, scan).unwrap();
            assert_eq!(judge(&mut f, Kind::ContentLength, second, 1, scan), want, "{first:?} {second:?}");
        }
        // The mismatch is found at the first digit that proves it.
        let mut f = fresh();
        judge(&mut f, Kind::ContentLength, b"123", 100, scan).unwrap();
        let mut check = Check::new(Kind::ContentLength);
        assert_eq!(f.feed(&mut check, b"12", 0, scan), Ok(()));
        assert_eq!(f.feed(&mut check, b"124", 2, scan), Err(BAD));
    }

    #[test]
    fn decisions() {
        let head = |lines: &[(Kind, &[u8])], version| {
            let mut f = Fields::new(version, 1000);
            for (kind, v) in lines {
                judge(&mut f, *kind, v, 100, Scanner::Scalar)?;
            }
            f.finish()
        };
        let v11 = Version::Http11;
        let d = head(&[(Kind::Host, b"a")], v11).unwrap();
        assert_eq!((d.framing, d.keep_alive, d.expect_continue, d.websocket), (Framing::None, true, false, false));
        assert_eq!(head(&[], v11), Err(BAD));
        assert_eq!(head(&[(Kind::Host, b"a"), (Kind::Host, b"a")], v11), Err(BAD));
        assert!(head(&[], Version::Http10).is_ok());
        let d = head(&[(Kind::Host, b"a"), (Kind::TransferEncoding, b"chunked")], v11).unwrap();
        assert_eq!(d.framing, Framing::Chunked);
        assert_eq!(head(&[(Kind::Host, b"a"), (Kind::TransferEncoding, b"gzip")], v11), Err(BAD));
        assert_eq!(head(&[(Kind::Host, b"a"), (Kind::TransferEncoding, b"gzip, chunked")], v11),
            Err(Error::NotImplemented));
        assert_eq!(head(&[(Kind::Host, b"a"), (Kind::TransferEncoding, b"chunked"), (Kind::ContentLength, b"1")], v11),
            Err(BAD));
        assert_eq!(head(&[(Kind::TransferEncoding, b"chunked")], Version::Http10), Err(BAD));
        let d = head(&[(Kind::Host, b"a"), (Kind::Expect, b"100-Continue")], v11).unwrap();
        assert!(d.expect_continue);
        assert_eq!(head(&[(Kind::Host, b"a"), (Kind::Expect, b"fly")], v11), Err(Error::ExpectationFailed));
        assert!(!head(&[(Kind::Expect, b"fly")], Version::Http10).unwrap().expect_continue);
        let d = head(&[(Kind::Host, b"a"), (Kind::Connection, b"close")], v11).unwrap();
        assert!(!d.keep_alive);
        let d = head(&[(Kind::Connection, b"keep-alive")], Version::Http10).unwrap();
        assert!(d.keep_alive);
        let ws = [(Kind::Host, &b"a"[..]), (Kind::Upgrade, b"h2c, WebSocket"), (Kind::Connection, b"keep-alive, Upgrade"),
            (Kind::WebSocketVersion, b"13"), (Kind::WebSocketKey, b" dGhlIHNhbXBsZSBub25jZQ== ")];
        let d = head(&ws, v11).unwrap();
        assert!(d.websocket);
        assert_eq!(d.ws_version, WsVersion::V13);
        assert_eq!(d.ws_key, Some((1, 25)));
        // Without `upgrade` in Connection there is no upgrade; two keys are no key.
        let no_option: Vec<_> = ws.iter().copied().filter(|(k, _)| *k != Kind::Connection).collect();
        assert!(!head(&no_option, v11).unwrap().websocket);
        let two_keys: Vec<_> = ws.iter().copied().chain([(Kind::WebSocketKey, &b"x"[..])]).collect();
        assert_eq!(head(&two_keys, v11).unwrap().ws_key, None);
    }
}
