//! A request's header section from its decoded fields (RFC 9113 §8.1-§8.3), and the verdict
//! on it: malformed, answered at once with a status, or routed.
//!
//! Contract: [`Head`] is the [`Sink`] a request's (or trailer's) header block is decoded into.
//! It keeps only what the verdict needs: the method, the `:path` (copied into the connection's
//! path buffer), the content-length, which pseudo-headers were seen, and the decoded size of the
//! list (§6.5.2: names, values and 32 octets per field). Malformed (§8.1.1, a stream error of
//! type PROTOCOL_ERROR): a pseudo-header that is unknown, repeated, after a regular field or in
//! trailers; a missing `:method`, `:scheme` or `:path` (or for CONNECT, `:scheme` or `:path`
//! present, `:authority` missing); a connection-specific field; `te` other than `trailers`; a
//! name or value breaking the byte rules ([`fields`]); a content-length that is not digits or
//! disagrees with another; a method that is not a token; a `:path` that is not origin-form
//! (RFC 3986 bytes, checked `%` escapes) or `*` for OPTIONS. Answered at once: a list over the
//! limit (431), a path longer than [`PATH_CAP`] (414), a method other than GET, HEAD, POST and
//! OPTIONS (501).

use super::fields;
use super::hpack::decoder::Sink;
use crate::http1::scan::{is_target_byte, is_tchar};
use crate::router::Method;

/// The longest `:path` kept (longer ones are answered 414).
pub const PATH_CAP: usize = 2048;

/// The connection's `:path` buffer.
pub struct PathBuf {
    bytes: [u8; PATH_CAP],
}

impl PathBuf {
    pub const fn new() -> Self {
        PathBuf { bytes: [0; PATH_CAP] }
    }

    /// The bytes in `range`.
    pub fn get(&self, range: core::ops::Range<usize>) -> &[u8] {
        self.bytes.get(range).unwrap_or(&[])
    }
}

impl Default for PathBuf {
    fn default() -> Self {
        Self::new()
    }
}

/// The methods we know, as `verb, length, name` ([`fields::find`]): a verb is the index of a
/// method in [`METHODS`], or [`CONNECT`], or [`OTHER`] for any other method.
static VERBS: &[u8] = b"\x00\x03GET\x01\x04HEAD\x02\x04POST\x03\x07OPTIONS\x04\x07CONNECT";
const METHODS: [Method; 4] = [Method::Get, Method::Head, Method::Post, Method::Options];
const CONNECT: u8 = 4;
const OTHER: u8 = 5;

/// What to do with a request once its header section is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Malformed: reset the stream with PROTOCOL_ERROR.
    Malformed,
    /// Answer with this error status without routing.
    Status(u16),
    /// Route it: the path is the first `query_at` bytes of the path buffer, the query what
    /// follows the '?' there up to `path_len`.
    Route { method: Method, path_len: usize, query_at: usize },
    /// A valid trailer section.
    Trailers,
}

pub struct Head<'p> {
    path: &'p mut PathBuf,
    path_len: usize,
    path_long: bool,
    /// Bit `tag` set for each pseudo-header seen.
    seen: u8,
    regular: bool,
    trailers: bool,
    /// The method's verb ([`VERBS`]); none yet.
    verb: Option<u8>,
    content_length: Option<u64>,
    size: usize,
    limit: usize,
    malformed: bool,
}

/// Whether an origin-form path and query has only RFC 3986 bytes and well-formed escapes.
fn target_ok(t: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&b) = t.get(i) {
        if !is_target_byte(b) {
            return false;
        }
        if b == b'%' {
            let hex = |k: usize| t.get(k).is_some_and(u8::is_ascii_hexdigit);
            if !hex(i + 1) || !hex(i + 2) {
                return false;
            }
            i += 2;
        }
        i += 1;
    }
    true
}

impl<'p> Head<'p> {
    /// A request header section (`trailers` false) or a trailer section, over the connection's
    /// path buffer; `limit` is the largest decoded list accepted.
    pub fn new(path: &'p mut PathBuf, limit: u32, trailers: bool) -> Self {
        Head {
            path,
            path_len: 0,
            path_long: false,
            seen: 0,
            regular: false,
            trailers,
            verb: None,
            content_length: None,
            size: 0,
            limit: limit as usize,
            malformed: false,
        }
    }

    /// The decoded size of the list so far.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The content-length the request declared.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    fn has(&self, tag: u8) -> bool {
        self.seen & (1 << tag) != 0
    }

    #[inline(never)]
    pub fn verdict(&self) -> Verdict {
        if self.size > self.limit {
            return Verdict::Status(431);
        }
        if self.malformed {
            return Verdict::Malformed;
        }
        if self.trailers {
            return Verdict::Trailers;
        }
        let verb = match self.verb {
            None => return Verdict::Malformed,
            Some(CONNECT) => {
                // §8.5: CONNECT names an authority and nothing else; we do not tunnel.
                let shaped = !self.has(fields::SCHEME) && !self.has(fields::PATH) && self.has(fields::AUTHORITY);
                return if shaped { Verdict::Status(501) } else { Verdict::Malformed };
            }
            Some(v) => METHODS.get(usize::from(v)).copied(),
        };
        if !self.has(fields::SCHEME) || !self.has(fields::PATH) {
            return Verdict::Malformed;
        }
        if self.path_long {
            return Verdict::Status(414);
        }
        let path = self.path.get(0..self.path_len);
        let asterisk = path == b"*";
        if asterisk && verb != Some(Method::Options) {
            return Verdict::Malformed;
        }
        if !asterisk && (path.first() != Some(&b'/') || !target_ok(path)) {
            return Verdict::Malformed;
        }
        match verb {
            Some(method) => {
                let query_at = path.iter().position(|&b| b == b'?').unwrap_or(path.len());
                Verdict::Route { method, path_len: self.path_len, query_at }
            }
            None => Verdict::Status(501),
        }
    }
}

impl Sink for Head<'_> {
    #[inline(never)]
    fn field(&mut self, name: &[u8], value: &[u8], size: usize) {
        // A field cut short is larger than any list we take.
        self.size = if name.len() + value.len() + 32 < size { usize::MAX } else { self.size.saturating_add(size) };
        let tag = fields::classify(name);
        // Pseudo-headers: each at most once, all before the regular fields, none in trailers.
        if fields::is_pseudo(tag) {
            let bit = 1u8 << tag;
            self.malformed |= self.trailers || self.regular || self.seen & bit != 0;
            self.seen |= bit;
        } else {
            self.regular = true;
        }
        let mut ok = fields::value_ok(value);
        match tag {
            fields::METHOD => {
                self.verb = Some(fields::find(VERBS, value).unwrap_or(OTHER));
                ok &= !value.is_empty() && value.iter().all(|&b| is_tchar(b));
            }
            fields::PATH => {
                self.path_long = value.len() > PATH_CAP;
                self.path_len = value.len().min(PATH_CAP);
                if let (Some(d), Some(s)) = (self.path.bytes.get_mut(..self.path_len), value.get(..self.path_len)) {
                    d.copy_from_slice(s);
                }
            }
            fields::CONTENT_LENGTH => {
                let mut v: Option<u64> = (!value.is_empty()).then_some(0);
                for &b in value {
                    v = v.and_then(|x| x.checked_mul(10)).and_then(|x| x.checked_add(u64::from(b.wrapping_sub(b'0')))).filter(|_| b.is_ascii_digit());
                }
                ok &= v.is_some() && self.content_length.is_none_or(|prev| Some(prev) == v);
                self.content_length = v;
            }
            // `trailers`, in any case (OR 0x20 folds exactly the upper-case letters here).
            fields::TE => {
                ok &= value.len() == 8
                    && value.first_chunk().is_some_and(|&v| u64::from_le_bytes(v) | 0x2020_2020_2020_2020 == u64::from_le_bytes(*b"trailers"));
            }
            fields::AUTHORITY | fields::SCHEME | fields::OTHER => {}
            // INVALID, PSEUDO_OTHER, CONNECTION.
            _ => ok = false,
        }
        self.malformed |= !ok;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::h2::hpack::decoder::Decoder;
    use crate::h2::hpack::{huffman, Error};

    /// Encodes fields as literals without indexing (raw), optionally Huffman-coding values.
    fn block(fields: &[(&str, &str)], huffman_values: bool) -> Vec<u8> {
        let mut b = Vec::new();
        for (n, v) in fields {
            b.push(0x00);
            b.push(n.len() as u8);
            b.extend_from_slice(n.as_bytes());
            if huffman_values {
                let h = huffman::encode(v.as_bytes());
                assert!(h.len() < 127);
                b.push(0x80 | h.len() as u8);
                b.extend_from_slice(&h);
            } else {
                assert!(v.len() < 127);
                b.push(v.len() as u8);
                b.extend_from_slice(v.as_bytes());
            }
        }
        b
    }

    fn verdict_of(fields: &[(&str, &str)], trailers: bool) -> (Verdict, Vec<u8>) {
        let mut results = Vec::new();
        for huff in [false, true] {
            let mut path = PathBuf::new();
            let mut head = Head::new(&mut path, 8192, trailers);
            let mut d = Decoder::new();
            d.decode(&block(fields, huff), &mut head).unwrap();
            let v = head.verdict();
            let p = match v {
                Verdict::Route { path_len, .. } => path.get(0..path_len).to_vec(),
                _ => Vec::new(),
            };
            results.push((v, p));
        }
        assert_eq!(results[0], results[1], "raw and Huffman-coded agree for {fields:?}");
        results.pop().unwrap()
    }

    const BASE: [(&str, &str); 4] = [(":method", "GET"), (":scheme", "http"), (":path", "/baseline2?a=1&b=2"), (":authority", "x")];

    fn with(extra: &[(&str, &str)]) -> Vec<(&'static str, &'static str)> {
        let mut v: Vec<(&str, &str)> = BASE.to_vec();
        for e in extra {
            v.push((Box::leak(e.0.to_string().into_boxed_str()), Box::leak(e.1.to_string().into_boxed_str())));
        }
        v
    }

    #[test]
    fn routes_good_requests() {
        let (v, p) = verdict_of(&BASE, false);
        assert_eq!(v, Verdict::Route { method: Method::Get, path_len: 18, query_at: 10 });
        assert_eq!(p, b"/baseline2?a=1&b=2");
        let (v, _) = verdict_of(&[(":method", "OPTIONS"), (":scheme", "http"), (":path", "*")], false);
        assert_eq!(v, Verdict::Route { method: Method::Options, path_len: 1, query_at: 1 });
        let (v, _) = verdict_of(&with(&[("te", "trailers"), ("content-length", "5"), ("content-length", "5"), ("user-agent", "h2")]), false);
        assert!(matches!(v, Verdict::Route { .. }));
        let (v, _) = verdict_of(&with(&[("te", "TrAiLeRs")]), false);
        assert!(matches!(v, Verdict::Route { .. }));
        let (v, _) = verdict_of(&[(":path", "/%41?x"), (":method", "HEAD"), (":scheme", "https")], false);
        assert_eq!(v, Verdict::Route { method: Method::Head, path_len: 6, query_at: 4 });
    }

    #[test]
    fn malformed_requests() {
        let cases: Vec<Vec<(&str, &str)>> = vec![
            vec![(":scheme", "http"), (":path", "/")],
            vec![(":method", "GET"), (":path", "/")],
            vec![(":method", "GET"), (":scheme", "http")],
            with(&[(":method", "GET")]),
            with(&[(":status", "200")]),
            with(&[(":protocol", "websocket")]),
            with(&[(":foo", "x")]),
            vec![(":method", "GET"), ("x", "y"), (":scheme", "http"), (":path", "/")],
            with(&[("connection", "close")]),
            with(&[("keep-alive", "5")]),
            with(&[("proxy-connection", "x")]),
            with(&[("transfer-encoding", "chunked")]),
            with(&[("upgrade", "h2c")]),
            with(&[("te", "gzip")]),
            with(&[("te", "trailerz")]),
            with(&[("te", "trailers ")]),
            with(&[("content-length", "+5")]),
            with(&[("Upper", "x")]),
            with(&[("x", " lead")]),
            with(&[("x", "trail ")]),
            with(&[("x", "a\x00b")]),
            with(&[("x", "a\rb")]),
            with(&[("x", "a\nb")]),
            with(&[("content-length", "1x")]),
            with(&[("content-length", "")]),
            with(&[("content-length", "5"), ("content-length", "6")]),
            with(&[("content-length", "99999999999999999999999")]),
            vec![(":method", "G T"), (":scheme", "http"), (":path", "/")],
            vec![(":method", ""), (":scheme", "http"), (":path", "/")],
            vec![(":method", "GET"), (":scheme", "http"), (":path", "")],
            vec![(":method", "GET"), (":scheme", "http"), (":path", "*")],
            vec![(":method", "GET"), (":scheme", "http"), (":path", "x/y")],
            vec![(":method", "GET"), (":scheme", "http"), (":path", "/a b")],
            vec![(":method", "GET"), (":scheme", "http"), (":path", "/a#b")],
            vec![(":method", "GET"), (":scheme", "http"), (":path", "/%4")],
            vec![(":method", "GET"), (":scheme", "http"), (":path", "/%zz")],
            vec![(":method", "GET"), (":scheme", "http"), (":path", "http://x/")],
            vec![(":method", "CONNECT"), (":authority", "x:1"), (":path", "/")],
            vec![(":method", "CONNECT"), (":scheme", "http")],
        ];
        for fields in &cases {
            assert_eq!(verdict_of(fields, false).0, Verdict::Malformed, "{fields:?}");
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(verdict_of(&[(":method", "PATCH"), (":scheme", "http"), (":path", "/")], false).0, Verdict::Status(501));
        assert_eq!(verdict_of(&[(":method", "VERYLONGMETHODNAMEXYZ"), (":scheme", "http"), (":path", "/")], false).0, Verdict::Status(501));
        assert_eq!(verdict_of(&[(":method", "CONNECT"), (":authority", "x:1")], false).0, Verdict::Status(501));
        // A path past the buffer: 414, raw or Huffman-coded.
        let long = format!("/{}", "a".repeat(PATH_CAP));
        for huff in [false, true] {
            let mut path = PathBuf::new();
            let mut head = Head::new(&mut path, 1 << 20, false);
            let mut b = vec![0x82, 0x86, 0x04];
            let v = if huff { huffman::encode(long.as_bytes()) } else { long.clone().into_bytes() };
            let mut buf = [0u8; 8];
            let mut c = crate::h2::cursor::Cursor::new(&mut buf);
            c.int(if huff { 0x80 } else { 0 }, 7, v.len());
            b.extend_from_slice(c.written());
            b.extend_from_slice(&v);
            Decoder::new().decode(&b, &mut head).unwrap();
            assert_eq!(head.verdict(), Verdict::Status(414));
        }
        // The list limit: 431 (and it wins over malformed).
        let mut path = PathBuf::new();
        let mut head = Head::new(&mut path, 100, false);
        Decoder::new().decode(&block(&with(&[("x-filler", &"f".repeat(60)), ("connection", "x")]), true), &mut head).unwrap();
        assert_eq!(head.verdict(), Verdict::Status(431));
    }

    #[test]
    fn trailers() {
        assert_eq!(verdict_of(&[("x-checksum", "abc")], true).0, Verdict::Trailers);
        assert_eq!(verdict_of(&[(":path", "/")], true).0, Verdict::Malformed);
        assert_eq!(verdict_of(&[("connection", "x")], true).0, Verdict::Malformed);
    }

    #[test]
    fn list_size_counts_names_values_and_overhead() {
        let mut path = PathBuf::new();
        let mut head = Head::new(&mut path, 8192, false);
        Decoder::new().decode(&block(&BASE, true), &mut head).unwrap();
        let want: usize = BASE.iter().map(|(n, v)| n.len() + v.len() + 32).sum();
        assert_eq!(head.size, want);
        // The limit is inclusive.
        let mut head = Head::new(&mut path, want as u32, false);
        Decoder::new().decode(&block(&BASE, false), &mut head).unwrap();
        assert!(matches!(head.verdict(), Verdict::Route { .. }));
        let mut head = Head::new(&mut path, want as u32 - 1, false);
        Decoder::new().decode(&block(&BASE, false), &mut head).unwrap();
        assert_eq!(head.verdict(), Verdict::Status(431));
    }

    /// Paths one after another on one buffer: each request sees its own, and a bad path is
    /// never taken for a good one seen before.
    #[test]
    fn paths_in_turn() {
        let mut path = PathBuf::new();
        let mut d = Decoder::new();
        let mut run = |p: &str, huff: bool| {
            let fields = [(":method", "GET"), (":scheme", "http"), (":path", p)];
            let mut head = Head::new(&mut path, 8192, false);
            d.decode(&block(&fields, huff), &mut head).unwrap();
            let v = head.verdict();
            match v {
                Verdict::Route { path_len, .. } => Some(String::from_utf8(path.get(0..path_len).to_vec()).unwrap()),
                _ => None,
            }
        };
        for _ in 0..2 {
            assert_eq!(run("/a?x=1", true).as_deref(), Some("/a?x=1"));
            assert_eq!(run("/a?x=1", true).as_deref(), Some("/a?x=1"));
            assert_eq!(run("/b", true).as_deref(), Some("/b"));
            assert_eq!(run("/a b", true), None);
            assert_eq!(run("/a b", true), None);
            assert_eq!(run("/c", false).as_deref(), Some("/c"));
            assert_eq!(run("/a b", true), None);
            assert_eq!(run("*", true), None);
        }
    }

    #[test]
    fn bad_huffman_in_an_ignored_value_is_still_an_error() {
        let mut path = PathBuf::new();
        let mut head = Head::new(&mut path, 8192, false);
        // x: <Huffman with 8 bits of padding>
        let b = [0x00, 0x01, b'x', 0x81, 0xff];
        assert_eq!(Decoder::new().decode(&b, &mut head), Err(Error::Huffman));
    }
}
