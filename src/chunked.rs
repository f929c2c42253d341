//! The chunked transfer coding (RFC 9112 §7.1): chunk sizes in hex (either case), optional chunk
//! extensions, chunk data, the last chunk, optional trailer fields, the final CRLF.
//!
//! Contract: [`decode`] is stateless and strict. It reads
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
//! and answers `Malformed` as soon as the bytes seen cannot begin a valid body (bare CR or LF,
//! a missing CRLF after the data, an empty extension, a bad trailer line, a chunk size that does
//! not fit in u64), `TooLarge` once a complete chunk size brings the data total past
//! `max_body`, and `Partial` only while every byte so far is a valid prefix. It never panics and
//! never allocates.

use crate::scan::Scanner;

/// What decoding found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunked {
    /// The whole chunked body ends at this many bytes from the start of `buf`.
    Complete(usize),
    /// Every byte so far is a valid prefix; more are needed.
    Partial,
    /// Malformed (bad hex, overflow, missing CRLF, bad extension or trailer, bare CR/LF, ...).
    Malformed,
    /// The decoded data would exceed `max_body` bytes.
    TooLarge,
}

/// Decodes the chunked body at the start of `buf`, passing each piece of chunk data to `sink`
/// in order. The caller reparses from the start when more bytes arrive, so on `Partial` the
/// sink may have seen a prefix of the data: callers reset whatever the sink fills before each
/// call.
pub fn decode(buf: &[u8], max_body: u64, sink: &mut dyn FnMut(&[u8])) -> Chunked {
    match body(buf, max_body, sink) {
        Ok(end) => Chunked::Complete(end),
        Err(stop) => stop,
    }
}

/// `Err` carries `Partial`, `Malformed` or `TooLarge`.
type Step<T> = Result<T, Chunked>;

fn hex_value(b: u8) -> Option<u64> {
    match b {
        b'0'..=b'9' => Some(u64::from(b - b'0')),
        b'a'..=b'f' => Some(u64::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u64::from(b - b'A' + 10)),
        _ => None,
    }
}

fn skip_ows(buf: &[u8], mut p: usize) -> usize {
    while let Some(b' ' | b'\t') = buf.get(p) {
        p += 1;
    }
    p
}

/// Expects CRLF at `p`; returns the index after it.
fn crlf(buf: &[u8], p: usize) -> Step<usize> {
    match buf.get(p) {
        None => return Err(Chunked::Partial),
        Some(b'\r') => {}
        Some(_) => return Err(Chunked::Malformed),
    }
    match buf.get(p + 1) {
        None => Err(Chunked::Partial),
        Some(b'\n') => Ok(p + 2),
        Some(_) => Err(Chunked::Malformed),
    }
}

fn body(buf: &[u8], max_body: u64, sink: &mut dyn FnMut(&[u8])) -> Step<usize> {
    let mut p = 0usize;
    let mut total = 0u64;
    loop {
        // chunk-size: 1*HEXDIG, checked.
        let start = p;
        let mut size = 0u64;
        loop {
            let Some(&b) = buf.get(p) else { return Err(Chunked::Partial) };
            let Some(digit) = hex_value(b) else { break };
            size = size.checked_mul(16).and_then(|s| s.checked_add(digit)).ok_or(Chunked::Malformed)?;
            p += 1;
        }
        if p == start {
            return Err(Chunked::Malformed);
        }
        total = total.checked_add(size).filter(|&t| t <= max_body).ok_or(Chunked::TooLarge)?;
        p = extensions(buf, p)?;
        if size == 0 {
            return trailers(buf, p);
        }
        // chunk-data, then exactly CRLF.
        let len = usize::try_from(size).map_err(|_| Chunked::TooLarge)?;
        let end = p.checked_add(len).ok_or(Chunked::TooLarge)?;
        match buf.get(p..end) {
            Some(data) => sink(data),
            None => {
                if let Some(part) = buf.get(p..).filter(|part| !part.is_empty()) {
                    sink(part);
                }
                return Err(Chunked::Partial);
            }
        }
        p = crlf(buf, end)?;
    }
}

/// Parses `*( BWS ";" BWS ext-name [ BWS "=" BWS ext-value ] ) CRLF` from `p` (just after the
/// chunk size); returns the index after the CRLF.
fn extensions(buf: &[u8], mut p: usize) -> Step<usize> {
    // '=' may follow only an extension name.
    let mut after_name = false;
    loop {
        let q = skip_ows(buf, p);
        match buf.get(q) {
            None => return Err(Chunked::Partial),
            // Whitespace must lead to ';' or '=', never to the end of the line.
            Some(b'\r') if q == p => return crlf(buf, q),
            Some(b';') => {
                let s = skip_ows(buf, q + 1);
                p = token(buf, s)?;
                after_name = true;
            }
            Some(b'=') if after_name => {
                let s = skip_ows(buf, q + 1);
                p = match buf.get(s) {
                    None => return Err(Chunked::Partial),
                    Some(b'"') => quoted_string(buf, s)?,
                    Some(_) => token(buf, s)?,
                };
                after_name = false;
            }
            Some(_) => return Err(Chunked::Malformed),
        }
    }
}

/// A token (1*tchar) at `p`; returns its end. Running out of bytes inside it is `Partial`.
fn token(buf: &[u8], p: usize) -> Step<usize> {
    let end = Scanner::Scalar.token_end(buf, p);
    if end >= buf.len() {
        Err(Chunked::Partial)
    } else if end == p {
        Err(Chunked::Malformed)
    } else {
        Ok(end)
    }
}

/// A quoted-string starting with the DQUOTE at `p`; returns the index after the closing DQUOTE.
fn quoted_string(buf: &[u8], p: usize) -> Step<usize> {
    let mut i = p + 1;
    loop {
        match buf.get(i) {
            None => return Err(Chunked::Partial),
            Some(b'"') => return Ok(i + 1),
            Some(b'\\') => match buf.get(i + 1) {
                None => return Err(Chunked::Partial),
                // quoted-pair: "\" ( HTAB / SP / VCHAR / obs-text )
                Some(&b) if b == b'\t' || b == b' ' || b.is_ascii_graphic() || b >= 0x80 => i += 2,
                Some(_) => return Err(Chunked::Malformed),
            },
            // qdtext: HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
            Some(&b) if b == b'\t' || b == b' ' || b.is_ascii_graphic() || b >= 0x80 => i += 1,
            Some(_) => return Err(Chunked::Malformed),
        }
    }
}

/// `*( field-line CRLF ) CRLF` from `p`; returns the index after the final CRLF.
fn trailers(buf: &[u8], mut p: usize) -> Step<usize> {
    loop {
        match buf.get(p) {
            None => return Err(Chunked::Partial),
            Some(b'\r') => return crlf(buf, p),
            Some(_) => {}
        }
        // field-name ":" field-value; a line starting with whitespace (obs-fold) or ':' fails.
        let name_end = Scanner::Scalar.token_end(buf, p);
        match buf.get(name_end) {
            None => return Err(Chunked::Partial),
            Some(b':') if name_end > p => {}
            Some(_) => return Err(Chunked::Malformed),
        }
        let value_end = Scanner::Scalar.value_end(buf, name_end + 1);
        p = crlf(buf, value_end)?;
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
        // With no limit, a size whose end cannot even be addressed is still too large.
        assert_eq!(run(b"ffffffffffffffff\r\n", u64::MAX).0, Chunked::TooLarge);
        assert_eq!(run(b"fffffffffffffff\r\n", u64::MAX).0, Chunked::Partial);
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
