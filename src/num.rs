//! Decimal numbers: writing unsigned/signed integers without core::fmt, parsing signed integers
//! with checked arithmetic (overflow is an error, never a wrap), a streaming integer reader for
//! request bodies, and the sum of a query string's integer values.
//!
//! Contract: nothing here allocates or panics, whatever the input. Every number read from the
//! wire goes through checked arithmetic; an overflow is reported as `None`, never wrapped.

/// Writes `v` in decimal at the start of `buf` (which must hold at least 20 bytes) and returns
/// the number of bytes written. Never panics: a short buffer gets a truncated number.
pub fn write_u64(buf: &mut [u8], v: u64) -> usize {
    // Digits are produced least significant first, from the end of a scratch array, then
    // copied in one piece.
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    let mut rest = v;
    while let Some(slot) = i.checked_sub(1).and_then(|j| tmp.get_mut(j)) {
        *slot = b'0' + (rest % 10) as u8;
        i -= 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let digits = tmp.get(i..).unwrap_or_default();
    let n = digits.len().min(buf.len());
    if let (Some(d), Some(src)) = (buf.get_mut(..n), digits.get(..n)) {
        d.copy_from_slice(src);
    }
    n
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

/// The most significant digits a value may have: every such value fits in i128 (whose range is
/// about ±1.7 × 10^38), so a sum of them can be kept exactly (see [`Sum`]).
pub const MAX_DIGITS: usize = 38;

/// Digits that always fit in a u64 accumulated without checks.
const QUICK_DIGITS: usize = 18;

/// The value of 1 to [`QUICK_DIGITS`] ASCII digits, `None` for anything else.
#[inline]
fn quick_digits(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > QUICK_DIGITS {
        return None;
    }
    let mut v = 0u64;
    for &b in s {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u64::from(d);
    }
    Some(v)
}

/// Parses an optional sign ('-' or '+') followed by one or more ASCII digits, nothing else.
/// `None` when empty, on any other byte, or past [`MAX_DIGITS`] significant digits.
pub fn parse_int(s: &[u8]) -> Option<i128> {
    // The usual value: a few digits, perhaps a sign.
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    if let Some(v) = quick_digits(digits) {
        return Some(if neg { -i128::from(v) } else { i128::from(v) });
    }
    let mut v = IntBody::new();
    v.strict = true;
    v.feed(s);
    v.finish()
}

/// An exact sum of i128 values: wrapping additions and a count of the wraps, so a total that
/// fits in i64 is found exactly whatever the order of its terms and however far the running sum
/// strays on the way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sum {
    /// The total modulo 2^128, as a two's complement value.
    low: i128,
    /// Multiples of 2^128 to add to `low` for the exact total.
    wraps: i64,
}

impl Sum {
    pub const fn new() -> Self {
        Sum { low: 0, wraps: 0 }
    }

    pub fn add(&mut self, v: i128) {
        let (low, wrapped) = self.low.overflowing_add(v);
        if wrapped {
            // Both addends had the sign of v and the result wrapped to the other side.
            self.wraps += if v > 0 { 1 } else { -1 };
        }
        self.low = low;
    }

    /// The exact total, if it fits in i64.
    pub fn total(&self) -> Option<i64> {
        if self.wraps != 0 {
            return None;
        }
        i64::try_from(self.low).ok()
    }
}

/// Adds every value in a query string (`a=1&b=-2&c=x`, without the '?') that has the shape of an
/// integer to `sum`; values that are not integers (and keys without '=') are skipped. `false`
/// when an integer-shaped value has more than [`MAX_DIGITS`] significant digits.
pub fn sum_query(query: &[u8], sum: &mut Sum) -> bool {
    // One walk over the bytes: a pair's key runs to its first '=', its value from there to the
    // next '&'.
    let mut i = 0;
    loop {
        // The key.
        let b = loop {
            match query.get(i) {
                None => return true,
                Some(&b) if b == b'=' || b == b'&' => break b,
                Some(_) => i += 1,
            }
        };
        i += 1;
        if b == b'&' {
            // A pair without '=': no value.
            continue;
        }
        let start = i;
        while query.get(i).is_some_and(|&b| b != b'&') {
            i += 1;
        }
        let value = query.get(start..i).unwrap_or_default();
        i += 1;
        match parse_int(value) {
            Some(v) => sum.add(v),
            // Integer-shaped but unparsable means too many digits: an error, not a skip.
            None if is_integer_shape(value) => return false,
            None => {}
        }
    }
}

/// Writes `v` in decimal, a '-' first when negative, at the end of `buf`; returns where the
/// number starts.
pub fn decimal(buf: &mut [u8; 20], v: i64) -> usize {
    let mut i = buf.len();
    let mut rest = v.unsigned_abs();
    while let Some(slot) = i.checked_sub(1).and_then(|j| buf.get_mut(j)) {
        *slot = b'0' + (rest % 10) as u8;
        i -= 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if v < 0
        && let Some(slot) = i.checked_sub(1).and_then(|j| buf.get_mut(j))
    {
        *slot = b'-';
        i -= 1;
    }
    i
}

/// True when `s` has the shape [`parse_int`] accepts (sign, then one or more digits), whatever
/// its magnitude.
fn is_integer_shape(s: &[u8]) -> bool {
    let digits = match s.split_first() {
        Some((b'-' | b'+', rest)) => rest,
        _ => s,
    };
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
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
    /// Anything else was seen, or the value has too many digits: the body is not an integer.
    Bad,
}

/// Reads an integer that arrives in pieces: optional whitespace (SP, HTAB, CR, LF), an optional
/// sign, digits (at most [`MAX_DIGITS`] significant ones), optional whitespace. Feed every piece
/// with [`IntBody::feed`] then call [`IntBody::finish`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IntBody {
    phase: Phase,
    neg: bool,
    /// No whitespace allowed (a query value).
    strict: bool,
    /// The value so far, already carrying its sign.
    value: i128,
}

fn is_body_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

impl IntBody {
    pub const fn new() -> Self {
        IntBody { phase: Phase::Lead, neg: false, strict: false, value: 0 }
    }

    pub fn feed(&mut self, piece: &[u8]) {
        // The usual body: a few digits in one piece.
        if self.phase == Phase::Lead
            && let Some(v) = quick_digits(piece)
        {
            self.value = i128::from(v);
            self.phase = Phase::Digits;
            return;
        }
        for &b in piece {
            self.phase = match (self.phase, b) {
                (Phase::Bad, _) => return,
                (Phase::Lead, _) if is_body_space(b) && !self.strict => Phase::Lead,
                (Phase::Lead, b'-') => {
                    self.neg = true;
                    Phase::Sign
                }
                (Phase::Lead, b'+') => Phase::Sign,
                (Phase::Lead | Phase::Sign | Phase::Digits, b'0'..=b'9') => self.push_digit(b),
                (Phase::Digits | Phase::Trail, _) if is_body_space(b) && !self.strict => Phase::Trail,
                _ => Phase::Bad,
            };
        }
    }

    fn push_digit(&mut self, b: u8) -> Phase {
        let d = i128::from(b - b'0');
        // MAX_DIGITS nines fit with room to spare: a value that would pass them is refused
        // before any arithmetic could overflow.
        // A value of MAX_DIGITS - 1 digits times ten plus a digit stays below 10^MAX_DIGITS,
        // which fits in i128; one more digit is refused before any arithmetic could overflow.
        const SHIFT_LIMIT: u128 = 10u128.pow(MAX_DIGITS as u32 - 1);
        if self.value.unsigned_abs() >= SHIFT_LIMIT {
            return Phase::Bad;
        }
        self.value = self.value * 10 + if self.neg { -d } else { d };
        Phase::Digits
    }

    /// The integer, or `None` if the input was empty, held anything else, or had too many
    /// digits.
    pub fn finish(&self) -> Option<i128> {
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
    fn decimals_end_at_the_buffer_end() {
        for v in [0i64, 1, -1, 9, 10, -10, 55, -75, 1 << 40, i64::MAX, i64::MIN, i64::MIN + 1] {
            let mut buf = [0u8; 20];
            let at = decimal(&mut buf, v);
            assert_eq!(std::str::from_utf8(&buf[at..]).unwrap(), v.to_string());
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
        let max = "9".repeat(MAX_DIGITS);
        let over = "1".to_string() + &"0".repeat(MAX_DIGITS);
        let table: Vec<(Vec<u8>, Option<i128>)> = vec![
            (b"0".to_vec(), Some(0)),
            (b"42".to_vec(), Some(42)),
            (b"+42".to_vec(), Some(42)),
            (b"-42".to_vec(), Some(-42)),
            (b"007".to_vec(), Some(7)),
            (b"-0".to_vec(), Some(0)),
            (b"9223372036854775808".to_vec(), Some(1 << 63)),
            (b"-9223372036854775809".to_vec(), Some(-(1 << 63) - 1)),
            (max.as_bytes().to_vec(), Some(max.parse().unwrap())),
            (format!("-{max}").into_bytes(), Some(-max.parse::<i128>().unwrap())),
            (format!("000{max}").into_bytes(), Some(max.parse().unwrap())),
            (over.clone().into_bytes(), None),
            (format!("-{over}").into_bytes(), None),
            (b"".to_vec(), None),
            (b"-".to_vec(), None),
            (b"+".to_vec(), None),
            (b"+-1".to_vec(), None),
            (b"1-".to_vec(), None),
            (b" 1".to_vec(), None),
            (b"1 ".to_vec(), None),
            (b"1a".to_vec(), None),
            (b"0x10".to_vec(), None),
            (b"1.5".to_vec(), None),
        ];
        for (s, want) in &table {
            assert_eq!(parse_int(s), *want, "{:?}", String::from_utf8_lossy(s));
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
            assert_eq!(parse_int(&buf[..n]), Some(i128::from(v)));
        }
    }

    fn query_total(q: &[u8]) -> Option<i64> {
        let mut sum = Sum::new();
        if sum_query(q, &mut sum) { sum.total() } else { None }
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
            // The order of the terms never matters: only the total must fit.
            (b"a=9223372036854775807&b=1&c=-1", Some(i64::MAX)),
            (b"a=-9223372036854775808&b=-1&c=1", Some(i64::MIN)),
            (b"a=99999999999999999999&b=-99999999999999999998", Some(1)),
            (b"a=99999999999999999999", None),
            (b"a=-99999999999999999999", None),
            (b"a=1&b=99999999999999999999x", Some(1)),
            (b"a=1a&b=2", Some(2)),
            (b"a=1000000000000000000000000000000000000000&b=0", None),
        ];
        for (q, want) in table {
            assert_eq!(query_total(q), *want, "{:?}", String::from_utf8_lossy(q));
        }
    }

    /// The exact total of `terms` if it fits in i64, computed as A·2^64 + B with small A and B
    /// (an independent reference: no wrapping anywhere).
    fn reference_total(terms: &[i128]) -> Option<i64> {
        let mut high: i128 = 0;
        let mut low: i128 = 0;
        for &t in terms {
            high += t >> 64;
            low += t & 0xFFFF_FFFF_FFFF_FFFF;
        }
        high += low >> 64;
        low &= 0xFFFF_FFFF_FFFF_FFFF;
        match high {
            0 if low < 1 << 63 => Some(low as i64),
            -1 if low >= 1 << 63 => Some((low - (1 << 64)) as i64),
            _ => None,
        }
    }

    /// The sum against the reference, with running sums pushed far past i128 so the wrap count
    /// is exercised, and totals near the edges of i64.
    #[test]
    fn sums_are_exact_in_any_order() {
        let big = 10i128.pow(MAX_DIGITS as u32) - 1;
        let mut rng = 0x0DDB_1A5E_5BAD_5EEDu64;
        let mut fits = 0;
        for _ in 0..20_000 {
            let n = 1 + crate::test_rng::xorshift(&mut rng) % 12;
            let mut terms: Vec<i128> = (0..n)
                .map(|_| {
                    let r = crate::test_rng::xorshift(&mut rng);
                    match r % 5 {
                        0 => big,
                        1 => -big,
                        2 => i128::from(r as i64),
                        3 => i128::from(i64::MAX) * if r & 8 == 0 { 1 } else { -1 },
                        _ => i128::from((r >> 3) as i8),
                    }
                })
                .collect();
            // Cancel the big terms now and then, so that the total lands in i64.
            if crate::test_rng::xorshift(&mut rng) % 2 == 0 {
                let bigs = terms.iter().filter(|&&t| t == big).count() as i128
                    - terms.iter().filter(|&&t| t == -big).count() as i128;
                for _ in 0..bigs.unsigned_abs() {
                    terms.push(if bigs > 0 { -big } else { big });
                }
                let k = crate::test_rng::xorshift(&mut rng) as usize % terms.len();
                terms.rotate_left(k);
            }
            let want = reference_total(&terms);
            fits += usize::from(want.is_some());
            let mut sum = Sum::new();
            for &t in &terms {
                sum.add(t);
            }
            assert_eq!(sum.total(), want, "{terms:?}");
        }
        assert!(fits > 2000 && fits < 18_000, "both outcomes should be common: {fits}");
    }

    fn body_split(input: &[u8], at: usize) -> Option<i128> {
        let mut b = IntBody::new();
        b.feed(&input[..at]);
        b.feed(&input[at..]);
        b.finish()
    }

    #[test]
    fn int_body_every_split() {
        let table: &[(&[u8], Option<i128>)] = &[
            (b"20", Some(20)),
            (b"5", Some(5)),
            (b" \t\r\n-17 \r\n", Some(-17)),
            (b"+3\n", Some(3)),
            (b"9223372036854775807", Some(i128::from(i64::MAX))),
            (b"-9223372036854775811", Some(-9223372036854775811)),
            (b"99999999999999999999999999999999999999", Some(99999999999999999999999999999999999999)),
            (b"100000000000000000000000000000000000000", None),
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
