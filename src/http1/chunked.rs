//! The chunked transfer coding (RFC 9112 §7.1), decoded as it streams in: chunk sizes in hex
//! (either case), optional chunk extensions, chunk data, the last chunk, optional trailer fields,
//! the final CRLF.
//!
//! Contract: a [`Decoder`] reads
//!
//! ```text
//! chunked-body = *chunk last-chunk trailer-section CRLF
//! chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! chunk-size   = 1*HEXDIG                      ; leading zeros allowed
//! last-chunk   = 1*"0" [ chunk-ext ] CRLF
//! chunk-ext    = *( BWS ";" BWS ext-name [ BWS "=" BWS ( token / quoted-string ) ] )
//! trailer-section = *( field-line CRLF )       ; name ":" field-value, as in a head
//! ```
//!
//! one piece at a time, keeping its place in a few words, so a body costs work linear in its
//! bytes however they are split and no byte of it is ever kept: data goes to the sink as it
//! arrives. It answers `Malformed` as soon as the bytes seen cannot begin a valid body (bare CR
//! or LF, a missing CRLF after the data, an empty extension, a bad trailer line, a chunk size
//! that does not fit in u64, a size or trailer line longer than [`MAX_LINE`]), and `TooLarge`
//! once a complete chunk size brings the data total past `max_body`: only decoded bytes count.
//! It never panics and never allocates.

use super::scan::{is_tchar, is_value_byte};

/// The longest chunk-size line (size and extensions) or trailer line, without its CRLF. A longer
/// one is malformed (or hostile), not a large body.
pub const MAX_LINE: u32 = 4096;

/// What decoding a whole buffer found (the one-call form, [`decode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunked {
    /// The whole chunked body ends at this many bytes from the start of `buf`.
    Complete(usize),
    /// Every byte so far is a valid prefix; more are needed.
    Partial,
    /// Malformed (bad hex, overflow, missing CRLF, bad extension or trailer, bare CR/LF, a line
    /// too long, ...).
    Malformed,
    /// The decoded data would exceed `max_body` bytes.
    TooLarge,
}

/// Why a body is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Malformed,
    TooLarge,
}

/// Where the decoder is in a chunk's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ext {
    /// Between items: OWS, then ';', '=' (right after a name only) or the CR (only if no OWS
    /// came: whitespace must lead to ';' or '=').
    Between { after_name: bool, ows: bool },
    /// After ';': OWS, then a name.
    NameLead,
    Name,
    /// After '=': OWS, then a token or a quoted string.
    ValueLead,
    Token,
    Quoted,
    /// After a backslash in a quoted string.
    Escape,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// In a chunk size's hex digits (`line` counts them).
    Size,
    Ext(Ext),
    /// A size line's CR has come.
    SizeLf,
    /// `size` bytes of chunk data are owed.
    Data,
    DataCr,
    DataLf,
    /// At the start of a trailer line, or of the final CRLF.
    Trailer,
    TrailerName,
    TrailerValue,
    TrailerLf,
    FinalLf,
    Done,
}

/// A chunked body being decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoder {
    state: State,
    /// The chunk size being read, then the data left in the chunk.
    size: u64,
    /// Data bytes so far, the current chunk's included once its size is known.
    total: u64,
    /// Bytes of the current size or trailer line so far.
    line: u32,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

/// quoted-pair's second byte and qdtext (RFC 9110 §5.6.4): HTAB, SP, VCHAR, obs-text.
fn is_quoted_byte(b: u8) -> bool {
    b == b'\t' || b == b' ' || b.is_ascii_graphic() || b >= 0x80
}

fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn hex_value(b: u8) -> Option<u64> {
    match b {
        b'0'..=b'9' => Some(u64::from(b - b'0')),
        b'a'..=b'f' => Some(u64::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u64::from(b - b'A' + 10)),
        _ => None,
    }
}

impl Decoder {
    pub const fn new() -> Decoder {
        Decoder { state: State::Size, size: 0, total: 0, line: 0 }
    }

    /// Decodes `buf`, the bytes that follow those of earlier calls, passing chunk data to `sink`
    /// in order. `Ok(Some(n))`: the body ended after the first `n` bytes of `buf` (the rest is
    /// not the body's). `Ok(None)`: every byte was used and more are needed.
    pub fn feed(&mut self, buf: &[u8], max_body: u64, sink: &mut dyn FnMut(&[u8])) -> Result<Option<usize>, Refusal> {
        // The walk runs on a copy in locals, written back once.
        let mut d = *self;
        let result = d.walk(buf, max_body, sink);
        *self = d;
        result
    }

    fn walk(&mut self, buf: &[u8], max_body: u64, sink: &mut dyn FnMut(&[u8])) -> Result<Option<usize>, Refusal> {
        use Refusal::Malformed;
        let mut i = 0;
        while let Some(&b) = buf.get(i) {
            // Chunk data goes out in one piece per call, not a byte at a time.
            if self.state == State::Data {
                let n = usize::try_from(self.size).unwrap_or(usize::MAX).min(buf.len() - i);
                if let Some(data) = buf.get(i..i + n) {
                    sink(data);
                }
                self.size -= n as u64;
                i += n;
                if self.size == 0 {
                    // The usual end of a chunk, its CRLF, in one step.
                    self.state = if buf.get(i..i + 2) == Some(b"\r\n") {
                        i += 2;
                        State::Size
                    } else {
                        State::DataCr
                    };
                }
                continue;
            }
            i += 1;
            self.state = match self.state {
                // The usual size line, `HEX CRLF`, in one step.
                State::Size if self.line == 0 && buf.get(i..i + 2) == Some(b"\r\n") && hex_value(b).is_some() => {
                    let size = hex_value(b).unwrap_or(0);
                    self.total = self.total.checked_add(size).filter(|&t| t <= max_body).ok_or(Refusal::TooLarge)?;
                    self.size = size;
                    i += 2;
                    if size == 0 { State::Trailer } else { State::Data }
                }
                State::Size => match hex_value(b) {
                    Some(d) => {
                        self.size = self.size.checked_mul(16).and_then(|s| s.checked_add(d)).ok_or(Malformed)?;
                        self.line += 1;
                        if self.line > MAX_LINE {
                            return Err(Malformed);
                        }
                        State::Size
                    }
                    // The size is whole: 1*HEXDIG, within the body's limit.
                    None if self.line > 0 => {
                        self.total = self.total.checked_add(self.size).filter(|&t| t <= max_body).ok_or(Refusal::TooLarge)?;
                        i -= 1;
                        State::Ext(Ext::Between { after_name: false, ows: false })
                    }
                    None => return Err(Malformed),
                },
                State::Ext(ext) => {
                    if b != b'\r' {
                        self.line += 1;
                        if self.line > MAX_LINE {
                            return Err(Malformed);
                        }
                    }
                    self.extension(ext, b)?
                }
                State::SizeLf if b == b'\n' => {
                    self.line = 0;
                    if self.size == 0 { State::Trailer } else { State::Data }
                }
                State::DataCr if b == b'\r' => State::DataLf,
                State::DataLf if b == b'\n' => State::Size,
                State::Trailer if b == b'\r' => State::FinalLf,
                State::Trailer | State::TrailerName if is_tchar(b) => State::TrailerName,
                State::TrailerName if b == b':' => State::TrailerValue,
                State::TrailerValue if is_value_byte(b) => State::TrailerValue,
                State::TrailerValue if b == b'\r' => State::TrailerLf,
                State::TrailerLf if b == b'\n' => {
                    self.line = 0;
                    State::Trailer
                }
                State::FinalLf if b == b'\n' => {
                    self.state = State::Done;
                    return Ok(Some(i));
                }
                _ => return Err(Malformed),
            };
            // Trailer lines are bounded as size lines are.
            if matches!(self.state, State::TrailerName | State::TrailerValue) {
                self.line += 1;
                if self.line > MAX_LINE {
                    return Err(Malformed);
                }
            }
        }
        Ok(None)
    }

    /// One byte of a size line after the digits.
    fn extension(&mut self, ext: Ext, b: u8) -> Result<State, Refusal> {
        use Refusal::Malformed;
        let next = match ext {
            Ext::Between { after_name, ows } => match b {
                b' ' | b'\t' => Ext::Between { after_name, ows: true },
                b'\r' if !ows => {
                    self.line = 0;
                    return Ok(State::SizeLf);
                }
                b';' => Ext::NameLead,
                b'=' if after_name => Ext::ValueLead,
                _ => return Err(Malformed),
            },
            Ext::NameLead if is_ows(b) => Ext::NameLead,
            Ext::NameLead | Ext::Name if is_tchar(b) => Ext::Name,
            Ext::Name => return self.extension(Ext::Between { after_name: true, ows: false }, b),
            Ext::ValueLead if is_ows(b) => Ext::ValueLead,
            Ext::ValueLead if b == b'"' => Ext::Quoted,
            Ext::ValueLead | Ext::Token if is_tchar(b) => Ext::Token,
            Ext::Token => return self.extension(Ext::Between { after_name: false, ows: false }, b),
            Ext::Quoted if b == b'"' => Ext::Between { after_name: false, ows: false },
            Ext::Quoted if b == b'\\' => Ext::Escape,
            Ext::Quoted | Ext::Escape if is_quoted_byte(b) => Ext::Quoted,
            _ => return Err(Malformed),
        };
        Ok(State::Ext(next))
    }
}

/// Decodes the chunked body at the start of `buf` in one call, passing each piece of chunk data
/// to `sink` in order (on `Partial` the sink has seen the data so far).
pub fn decode(buf: &[u8], max_body: u64, sink: &mut dyn FnMut(&[u8])) -> Chunked {
    match Decoder::new().feed(buf, max_body, sink) {
        Ok(Some(n)) => Chunked::Complete(n),
        Ok(None) => Chunked::Partial,
        Err(Refusal::Malformed) => Chunked::Malformed,
        Err(Refusal::TooLarge) => Chunked::TooLarge,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: u64 = 1 << 20;

    /// Decodes `input` and returns the result and the data the sink saw.
    fn run(input: &[u8], max: u64) -> (Chunked, Vec<u8>) {
        let mut data = Vec::new();
        let r = decode(input, max, &mut |piece: &[u8]| data.extend_from_slice(piece));
        (r, data)
    }

    #[test]
    fn valid_bodies() {
        let table: &[(&[u8], &[u8])] = &[
            (b"2\r\n20\r\n0\r\n\r\n", b"20"),
            (b"0\r\n\r\n", b""),
            (b"000\r\n\r\n", b""),
            (b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", b"hello world"),
            (b"a\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),
            (b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),
            (b"0010\r\n0123456789abcdef\r\n0\r\n\r\n", b"0123456789abcdef"),
            (b"3;ext\r\nabc\r\n0\r\n\r\n", b"abc"),
            (b"3;a=b;c=\"d e\"\r\nabc\r\n0\r\n\r\n", b"abc"),
            (b"3 ; a = b ;c\r\nabc\r\n0;last\r\n\r\n", b"abc"),
            (b"3\t;\ta\t=\t\"q\\\"x\\\\\"\r\nabc\r\n0\r\n\r\n", b"abc"),
            (b"3;a=\"\"\r\nabc\r\n0\r\n\r\n", b"abc"),
            (b"3;a=\"\x80\xff\"\r\nabc\r\n0\r\n\r\n", b"abc"),
            (b"2\r\n\r\n\r\n0\r\n\r\n", b"\r\n"),
            (b"1\r\n\x00\r\n0\r\n\r\n", b"\x00"),
            (b"0\r\nExpires: never\r\n\r\n", b""),
            (b"1\r\nx\r\n0\r\nA: 1\r\nB-b:\r\nC:  x\ty \x80\r\n\r\n", b"x"),
        ];
        for (input, want) in table {
            let (r, data) = run(input, MAX);
            assert_eq!(r, Chunked::Complete(input.len()), "{:?}", String::from_utf8_lossy(input));
            assert_eq!(&data, want);
            // Pipelined bytes after the body are not part of it.
            let mut more = input.to_vec();
            more.extend_from_slice(b"GET / HTTP/1.1\r\n");
            assert_eq!(run(&more, MAX).0, Chunked::Complete(input.len()));
            // Every truncation is a valid prefix.
            for k in 0..input.len() {
                assert_eq!(run(&input[..k], MAX).0, Chunked::Partial, "{:?} cut at {k}",
                    String::from_utf8_lossy(input));
            }
        }
    }

    #[test]
    fn max_body_is_inclusive() {
        let one: &[u8] = b"4\r\nabcd\r\n0\r\n\r\n";
        assert_eq!(run(one, 4).0, Chunked::Complete(one.len()));
        assert_eq!(run(one, 3).0, Chunked::TooLarge);
        let two: &[u8] = b"2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n";
        assert_eq!(run(two, 4).0, Chunked::Complete(two.len()));
        assert_eq!(run(b"2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n", 4).0, Chunked::TooLarge);
        assert_eq!(run(b"5\r\n", 4).0, Chunked::TooLarge);
        // Known as soon as the size's digits end, before its CRLF.
        assert_eq!(run(b"5;", 4).0, Chunked::TooLarge);
        assert_eq!(run(b"5", 4).0, Chunked::Partial);
        assert_eq!(run(b"ffffffffffffffff\r\n", MAX).0, Chunked::TooLarge);
        // With no limit, any size that fits in u64 streams; a total past u64 is too large.
        assert_eq!(run(b"ffffffffffffffff\r\n", u64::MAX).0, Chunked::Partial);
        assert_eq!(run(b"8000000000000000\r\n", u64::MAX).0, Chunked::Partial);
    }

    /// (prefix that proves it, rest, expected): every cut shorter than the prefix is Partial,
    /// every longer one gives the error.
    #[test]
    fn malformed_bodies_at_every_cut() {
        let table: &[(&[u8], &[u8], Chunked)] = &[
            (b"x", b"\r\n\r\n", Chunked::Malformed),
            (b"\r", b"\n0\r\n\r\n", Chunked::Malformed),
            (b"-", b"1\r\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"+", b"1\r\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b" ", b"1\r\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"0x", b"1\r\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1\n", b"x\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1\rx", b"\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1 \r", b"\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1;\r", b"\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1; \r", b"\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1;;", b"\r\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1;a=\r", b"\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1;a==", b"b\r\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1;a=b=", b"c\r\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1;a b", b"\r\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1;a=b \r", b"\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1;a=\"b\x00", b"\"\r\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1;a=\"b\\\x7f", b"\"\r\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1;a=\"b\"c", b"\r\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1;a=@", b"\r\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1=", b"a\r\nx\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1\r\nxy", b"\r\n0\r\n\r\n", Chunked::Malformed),
            (b"1\r\nx\n", b"0\r\n\r\n", Chunked::Malformed),
            (b"1\r\nx\rx", b"\n0\r\n\r\n", Chunked::Malformed),
            (b"1\r\nx\r\n\r", b"\n", Chunked::Malformed),
            (b"0\r\n\n", b"", Chunked::Malformed),
            (b"0\r\n\rx", b"", Chunked::Malformed),
            (b"0\r\n ", b"x: y\r\n\r\n", Chunked::Malformed),
            (b"0\r\n:", b" y\r\n\r\n", Chunked::Malformed),
            (b"0\r\nA ", b": y\r\n\r\n", Chunked::Malformed),
            (b"0\r\nA\r", b"\n\r\n", Chunked::Malformed),
            (b"0\r\nA: b\x00", b"\r\n\r\n", Chunked::Malformed),
            (b"0\r\nA: b\n", b"\r\n", Chunked::Malformed),
            (b"0\r\nA: b\r\n\x7f", b"\r\n", Chunked::Malformed),
            (b"0\r\nA: b\r\n ", b"B: c\r\n\r\n", Chunked::Malformed),
            // 17 hex digits do not fit in u64: malformed, whatever the limit.
            (b"10000000000000000", b"\r\n", Chunked::Malformed),
        ];
        for (prefix, rest, want) in table {
            let full = [*prefix, *rest].concat();
            for k in 0..=full.len() {
                let expect = if k < prefix.len() { Chunked::Partial } else { *want };
                assert_eq!(run(&full[..k], MAX).0, expect, "{:?} cut at {k}",
                    String::from_utf8_lossy(&full));
            }
        }
        // A size beyond max_body is TooLarge once its digits end.
        let full: &[u8] = b"100001\r\n";
        for k in 0..=full.len() {
            let expect = if k < 7 { Chunked::Partial } else { Chunked::TooLarge };
            assert_eq!(run(&full[..k], MAX).0, expect, "cut at {k}");
        }
        // Leading zeros never overflow.
        let mut zeros = vec![b'0'; 100];
        zeros.extend_from_slice(b"1\r\nx\r\n0\r\n\r\n");
        assert_eq!(run(&zeros, MAX).0, Chunked::Complete(zeros.len()));
    }

    #[test]
    fn sink_sees_prefix_on_partial() {
        let (r, data) = run(b"5\r\nhel", MAX);
        assert_eq!(r, Chunked::Partial);
        assert_eq!(&data, b"hel");
        let (r, data) = run(b"2\r\nab\r\n3\r\n", MAX);
        assert_eq!(r, Chunked::Partial);
        assert_eq!(&data, b"ab");
    }
}
