//! Decimal numbers: writing unsigned/signed integers without core::fmt, parsing signed integers
//! with checked arithmetic (overflow is an error, never a wrap), a streaming integer reader for
//! request bodies, and the sum of a query string's integer values.
//!
//! Contract: nothing here allocates or panics, whatever the input. Every number read from the
//! wire goes through checked arithmetic; an overflow is reported as `None`, never wrapped.

/// Writes `v` in decimal at the start of `buf` (which must hold at least 20 bytes) and returns
/// the number of bytes written. Never panics: a short buffer gets a truncated number.
pub fn write_u64(buf: &mut [u8], v: u64) -> usize {
    // Digits are produced least significant first into a scratch array, then copied in order.
    let mut tmp = [0u8; 20];
    let mut n = 0;
    let mut rest = v;
    loop {
        if let Some(slot) = tmp.get_mut(n) {
            *slot = b'0' + (rest % 10) as u8;
        }
        n += 1;
        rest /= 10;
        if rest == 0 || n >= tmp.len() {
            break;
        }
    }
    let mut written = 0;
    for (dst, src) in buf.iter_mut().zip(tmp.iter().take(n).rev()) {
        *dst = *src;
        written += 1;
    }
    written
}

/// Writes `v` in decimal (with a leading '-' when negative) at the start of `buf` (at least 20
/// bytes) and returns the number of bytes written.
pub fn write_i64(buf: &mut [u8], v: i64) -> usize {
    if v >= 0 {
        return write_u64(buf, v.unsigned_abs());
    }
    match buf.split_first_mut() {
        Some((sign, rest)) => {
            *sign = b'-';
            // unsigned_abs handles i64::MIN (9223372036854775808 fits in u64).
            1 + write_u64(rest, v.unsigned_abs())
        }
        None => 0,
    }
}

/// Parses an optional sign ('-' or '+') followed by one or more ASCII digits, nothing else.
/// `None` when empty, on any other byte, or when the value does not fit in i64.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        Some(_) => (false, s),
        None => return None,
    };
    if digits.is_empty() {
        return None;
    }
    // Accumulate towards the sign so that i64::MIN, whose magnitude exceeds i64::MAX, parses.
    let mut acc: i64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        let d = i64::from(b - b'0');
        acc = acc.checked_mul(10)?;
        acc = if neg { acc.checked_sub(d)? } else { acc.checked_add(d)? };
    }
    Some(acc)
}

/// True when `s` has the shape [`parse_i64`] accepts (sign, then one or more digits), whatever
/// its magnitude.
fn is_integer_shape(s: &[u8]) -> bool {
    let digits = match s.split_first() {
        Some((b'-' | b'+', rest)) => rest,
        _ => s,
    };
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// The sum of every value in a query string (`a=1&b=-2&c=x`, without the '?') that parses with
/// [`parse_i64`]; values that are not integers (and keys without '=') are skipped. `None` when a
/// value or the running sum overflows i64.
pub fn sum_query(query: &[u8]) -> Option<i64> {
    let mut sum: i64 = 0;
    for pair in query.split(|&b| b == b'&') {
        let Some(eq) = pair.iter().position(|&b| b == b'=') else {
            continue;
        };
        let value = pair.get(eq + 1..).unwrap_or(&[]);
        match parse_i64(value) {
            Some(v) => sum = sum.checked_add(v)?,
            // Integer-shaped but unparsable means it overflowed: that is an error, not a skip.
            None if is_integer_shape(value) => return None,
            None => {}
        }
    }
    Some(sum)
}

/// Where an [`IntBody`] is in its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Phase {
    /// Only whitespace so far (possibly nothing).
    #[default]
    Lead,
    /// A sign, no digit yet.
    Sign,
    /// Inside the digits.
    Digits,
    /// Whitespace after the digits.
    Trail,
    /// Anything else was seen, or the value overflowed: the body is not an integer.
    Bad,
}

/// Reads an integer body that arrives in pieces: optional whitespace (SP, HTAB, CR, LF), an
/// optional sign, digits, optional whitespace. Feed every piece with [`IntBody::feed`] then call
/// [`IntBody::finish`].
#[derive(Debug, Clone, Copy, Default)]
pub struct IntBody {
    phase: Phase,
    neg: bool,
    /// The value so far, already carrying its sign.
    value: i64,
}

fn is_body_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

impl IntBody {
    pub fn new() -> Self {
        IntBody { phase: Phase::Lead, neg: false, value: 0 }
    }

    pub fn feed(&mut self, piece: &[u8]) {
        for &b in piece {
            self.phase = match (self.phase, b) {
                (Phase::Bad, _) => return,
                (Phase::Lead, _) if is_body_space(b) => Phase::Lead,
                (Phase::Lead, b'-') => {
                    self.neg = true;
                    Phase::Sign
                }
                (Phase::Lead, b'+') => Phase::Sign,
                (Phase::Lead | Phase::Sign | Phase::Digits, b'0'..=b'9') => self.push_digit(b),
                (Phase::Digits | Phase::Trail, _) if is_body_space(b) => Phase::Trail,
                _ => Phase::Bad,
            };
        }
    }

    fn push_digit(&mut self, b: u8) -> Phase {
        let d = i64::from(b - b'0');
        let next = self.value.checked_mul(10).and_then(|v| {
            if self.neg { v.checked_sub(d) } else { v.checked_add(d) }
        });
        match next {
            Some(v) => {
                self.value = v;
                Phase::Digits
            }
            None => Phase::Bad,
        }
    }

    /// The integer, or `None` if the body was empty, held anything else, or overflowed.
    pub fn finish(&self) -> Option<i64> {
        match self.phase {
            Phase::Digits | Phase::Trail => Some(self.value),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(v: u64) -> String {
        let mut buf = [0u8; 20];
        let n = write_u64(&mut buf, v);
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    fn i(v: i64) -> String {
        let mut buf = [0u8; 20];
        let n = write_i64(&mut buf, v);
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn write_unsigned() {
        for v in [0u64, 1, 9, 10, 99, 100, 12345, 4_294_967_296, u64::MAX - 1, u64::MAX] {
            assert_eq!(u(v), v.to_string());
        }
        // Powers of ten and their neighbours.
        let mut p = 1u64;
        while let Some(next) = p.checked_mul(10) {
            for v in [p - 1, p, p + 1] {
                assert_eq!(u(v), v.to_string());
            }
            p = next;
        }
    }

    #[test]
    fn write_signed() {
        for v in [0i64, 1, -1, 9, -9, 10, -10, 55, -75, i64::MAX, i64::MIN, i64::MIN + 1] {
            assert_eq!(i(v), v.to_string());
        }
    }

    #[test]
    fn write_short_buffer_truncates() {
        let mut buf = [0u8; 3];
        assert_eq!(write_u64(&mut buf, 123_456), 3);
        assert_eq!(&buf, b"123");
        let mut buf = [0u8; 3];
        assert_eq!(write_i64(&mut buf, -98_765), 3);
        assert_eq!(&buf, b"-98");
        assert_eq!(write_i64(&mut [], -5), 0);
        assert_eq!(write_u64(&mut [], 5), 0);
    }

    #[test]
    fn parse_table() {
        let table: &[(&[u8], Option<i64>)] = &[
            (b"0", Some(0)),
            (b"42", Some(42)),
            (b"+42", Some(42)),
            (b"-42", Some(-42)),
            (b"007", Some(7)),
            (b"-0", Some(0)),
            (b"9223372036854775807", Some(i64::MAX)),
            (b"-9223372036854775808", Some(i64::MIN)),
            (b"9223372036854775808", None),
            (b"-9223372036854775809", None),
            (b"99999999999999999999999", None),
            (b"", None),
            (b"-", None),
            (b"+", None),
            (b"+-1", None),
            (b"1-", None),
            (b" 1", None),
            (b"1 ", None),
            (b"1a", None),
            (b"0x10", None),
            (b"1.5", None),
        ];
        for (s, want) in table {
            assert_eq!(parse_i64(s), *want, "{:?}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn parse_round_trips() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = x as i64 >> (x % 64);
            let mut buf = [0u8; 20];
            let n = write_i64(&mut buf, v);
            assert_eq!(parse_i64(&buf[..n]), Some(v));
        }
    }

    #[test]
    fn sum_query_table() {
        let table: &[(&[u8], Option<i64>)] = &[
            (b"a=13&b=42", Some(55)),
            (b"a=1&b=-2&c=x", Some(-1)),
            (b"", Some(0)),
            (b"a", Some(0)),
            (b"a&b&c=3", Some(3)),
            (b"=5", Some(5)),
            (b"a=", Some(0)),
            (b"a=+7&b=1=2", Some(7)),
            (b"&&a=1&&", Some(1)),
            (b"a=9223372036854775807", Some(i64::MAX)),
            (b"a=9223372036854775807&b=1", None),
            (b"a=-9223372036854775808&b=-1", None),
            (b"a=-9223372036854775808&b=1", Some(i64::MIN + 1)),
            (b"a=99999999999999999999", None),
            (b"a=-99999999999999999999", None),
            (b"a=1&b=99999999999999999999x", Some(1)),
            (b"a=1a&b=2", Some(2)),
        ];
        for (q, want) in table {
            assert_eq!(sum_query(q), *want, "{:?}", String::from_utf8_lossy(q));
        }
    }

    fn body_split(input: &[u8], at: usize) -> Option<i64> {
        let mut b = IntBody::new();
        b.feed(&input[..at]);
        b.feed(&input[at..]);
        b.finish()
    }

    #[test]
    fn int_body_every_split() {
        let table: &[(&[u8], Option<i64>)] = &[
            (b"20", Some(20)),
            (b"5", Some(5)),
            (b" \t\r\n-17 \r\n", Some(-17)),
            (b"+3\n", Some(3)),
            (b"9223372036854775807", Some(i64::MAX)),
            (b"-9223372036854775808", Some(i64::MIN)),
            (b"9223372036854775808", None),
            (b"-9223372036854775809", None),
            (b"", None),
            (b"   ", None),
            (b"-", None),
            (b" + ", None),
            (b"1 2", None),
            (b"1x", None),
            (b"- 1", None),
            (b"12\x00", None),
            (b"0007", Some(7)),
        ];
        for (input, want) in table {
            for at in 0..=input.len() {
                assert_eq!(body_split(input, at), *want, "{:?} split at {at}", input);
            }
            // One byte at a time.
            let mut b = IntBody::default();
            for byte in input.iter() {
                b.feed(core::slice::from_ref(byte));
            }
            assert_eq!(b.finish(), *want);
        }
    }
}
