//! Byte-class scanners for the parser: a scalar reference and an SSE4.2 path with identical
//! results, chosen once at start-up by CPUID.
//!
//! Contract: each `*_end(buf, from)` method returns the first index `i >= from` whose byte is
//! outside its class, or `buf.len()` when every byte from `from` on is inside (`from` itself
//! when `from > buf.len()`). Both implementations return the same index for every input; the
//! SSE4.2 one never reads outside the slice. Nothing here panics or allocates.

pub mod sse42;

/// Which implementation scans. Copy it freely; [`detect`] is the only way to get `Sse42`.
#[derive(Clone, Copy)]
pub enum Scanner {
    Scalar,
    Sse42(sse42::Proof),
}

/// SSE4.2 where the CPU has it, the scalar path otherwise.
pub fn detect() -> Scanner {
    match sse42::check() {
        Some(proof) => Scanner::Sse42(proof),
        None => Scanner::Scalar,
    }
}

/// Class bit: tchar (RFC 9110 §5.6.2).
const TCHAR: u8 = 1;
/// Class bit: field-value byte (RFC 9110 §5.5): HTAB, SP, VCHAR, obs-text.
const VALUE: u8 = 2;
/// Class bit: request-target byte (RFC 9112 §3.2, RFC 3986 §3.3-§3.4): unreserved, sub-delims,
/// ':', '@', '/', '?' and '%' (which must start a pct-encoded triplet: the parser checks that).
const TARGET: u8 = 4;
/// Class bit: a target byte other than '%' and '?', the two the parser must look at.
const PLAIN_TARGET: u8 = 8;
/// Class bit: the bytes of most host names, ALPHA / DIGIT / '-' / '.'.
const HOST_NAME: u8 = 16;

const fn class_of(b: u8) -> u8 {
    let mut c = 0;
    let tchar = matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_'
        | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z');
    if tchar {
        c |= TCHAR;
    }
    if matches!(b, b'\t' | 0x20..=0x7E | 0x80..=0xFF) {
        c |= VALUE;
    }
    let target = matches!(b,
        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~'
        | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
        | b':' | b'@' | b'/' | b'?' | b'%');
    if target {
        c |= TARGET;
        if b != b'%' && b != b'?' {
            c |= PLAIN_TARGET;
        }
    }
    if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' {
        c |= HOST_NAME;
    }
    c
}

const fn build_classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = class_of(i as u8);
        i += 1;
    }
    t
}

static CLASSES: [u8; 256] = build_classes();

#[inline(always)]
fn class(b: u8) -> u8 {
    // A u8 index into a 256-entry table is always in bounds.
    CLASSES[usize::from(b)]
}

/// True for a tchar (RFC 9110 §5.6.2).
#[inline]
pub fn is_tchar(b: u8) -> bool {
    class(b) & TCHAR != 0
}

/// True for a field-value byte: HTAB, SP, VCHAR, obs-text (0x80-0xFF).
#[inline]
pub fn is_value_byte(b: u8) -> bool {
    class(b) & VALUE != 0
}

/// True for a byte that may appear in an origin-form target or in the path and query of an
/// absolute-form one: unreserved / sub-delims / ":" / "@" / "/" / "?" / "%".
#[inline]
pub fn is_target_byte(b: u8) -> bool {
    class(b) & TARGET != 0
}

/// The scalar loop: first index at or after `from` whose byte lacks `bit`.
fn scalar_end(buf: &[u8], from: usize, bit: u8) -> usize {
    let mut i = from;
    while let Some(&b) = buf.get(i) {
        if class(b) & bit == 0 {
            return i;
        }
        i += 1;
    }
    i
}

impl Scanner {
    /// "sse4.2" or "scalar", for the start-up line.
    pub fn name(self) -> &'static str {
        match self {
            Scanner::Scalar => "scalar",
            Scanner::Sse42(_) => "sse4.2",
        }
    }

    /// First index `>= from` whose byte is not a field-value byte (HTAB, SP..=0x7E, 0x80..=0xFF),
    /// so a CR, LF, NUL, other control byte or DEL.
    #[inline]
    pub fn value_end(self, buf: &[u8], from: usize) -> usize {
        match self {
            Scanner::Scalar => scalar_end(buf, from, VALUE),
            Scanner::Sse42(proof) => sse42::skip(proof, buf, from, &sse42::FIELD_VALUE),
        }
    }

    /// First index `>= from` whose byte is not a target byte ([`is_target_byte`]) or is '%' or
    /// '?': the parser stops at a SP, a CR, a control, DEL, a non-ASCII byte, one of
    /// `"` `#` `<` `>` `[` `\` `]` `^` `` ` `` `{` `|` `}`, and at the '%' of an escape and a '?'.
    #[inline]
    pub fn plain_target_end(self, buf: &[u8], from: usize) -> usize {
        match self {
            Scanner::Scalar => scalar_end(buf, from, PLAIN_TARGET),
            Scanner::Sse42(proof) => sse42::skip(proof, buf, from, &sse42::PLAIN_TARGET),
        }
    }

    /// First index `>= from` whose byte is not ALPHA, DIGIT, '-' or '.'.
    #[inline]
    pub fn host_name_end(self, buf: &[u8], from: usize) -> usize {
        match self {
            Scanner::Scalar => scalar_end(buf, from, HOST_NAME),
            Scanner::Sse42(proof) => sse42::skip(proof, buf, from, &sse42::HOST_NAME),
        }
    }

    /// First index `>= from` whose byte is not a tchar (RFC 9110 §5.6.2).
    #[inline]
    pub fn token_end(self, buf: &[u8], from: usize) -> usize {
        match self {
            Scanner::Scalar => scalar_end(buf, from, TCHAR),
            Scanner::Sse42(proof) => {
                let mut i = from;
                loop {
                    // The SSE set lacks '~', so a stop may be on a tchar: go on past it.
                    let at = sse42::skip(proof, buf, i, &sse42::TOKEN_SUBSET);
                    match buf.get(at) {
                        Some(b'~') => i = at + 1,
                        _ => return at,
                    }
                }
            }
        }
    }
}

/// Test support: every scanner this CPU can run (scalar, plus SSE4.2 when CPUID has it).
#[cfg(test)]
pub(crate) fn all_scanners() -> Vec<Scanner> {
    let mut v = vec![Scanner::Scalar];
    match sse42::check() {
        Some(p) => v.push(Scanner::Sse42(p)),
        None => eprintln!("note: no SSE4.2 on this CPU; only the scalar path is tested"),
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference predicates written straight from the RFC text, independent of the table above.
    fn ref_tchar(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
    }
    fn ref_value(b: u8) -> bool {
        b == b'\t' || b == b' ' || b.is_ascii_graphic() || b >= 0x80
    }
    fn ref_plain_target(b: u8) -> bool {
        ref_target(b) && b != b'%' && b != b'?'
    }
    fn ref_host_name(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b == b'-' || b == b'.'
    }
    fn ref_target(b: u8) -> bool {
        // pchar (RFC 3986 §3.3) without its pct-encoded triplet, plus '%' itself, and '/' and
        // '?' (path separators and query, §3.3-§3.4).
        let unreserved = b.is_ascii_alphanumeric() || b"-._~".contains(&b);
        let sub_delim = b"!$&'()*+,;=".contains(&b);
        unreserved || sub_delim || b":@/?%".contains(&b)
    }

    type Method = fn(Scanner, &[u8], usize) -> usize;
    type Predicate = fn(u8) -> bool;
    const METHODS: [(&str, Method, Predicate); 4] = [
        ("value", Scanner::value_end, ref_value),
        ("plain target", Scanner::plain_target_end, ref_plain_target),
        ("host name", Scanner::host_name_end, ref_host_name),
        ("token", Scanner::token_end, ref_tchar),
    ];

    fn reference(buf: &[u8], from: usize, pred: fn(u8) -> bool) -> usize {
        if from > buf.len() {
            return from;
        }
        buf[from..].iter().position(|&b| !pred(b)).map_or(buf.len(), |p| from + p)
    }

    #[test]
    fn detect_and_name() {
        let s = detect();
        let has = std::arch::is_x86_feature_detected!("sse4.2");
        assert_eq!(s.name(), if has { "sse4.2" } else { "scalar" });
        assert_eq!(Scanner::Scalar.name(), "scalar");
    }

    #[test]
    fn predicates_match_rfc() {
        for b in 0..=255u8 {
            assert_eq!(is_tchar(b), ref_tchar(b), "tchar {b:#04x}");
            assert_eq!(is_value_byte(b), ref_value(b), "value {b:#04x}");
            assert_eq!(is_target_byte(b), ref_target(b), "target {b:#04x}");
        }
        // Spot checks that pin the reference itself.
        assert!(!ref_tchar(b'"') && !ref_tchar(b':') && !ref_tchar(b'}') && ref_tchar(b'~'));
        assert!(!ref_value(0x7F) && !ref_value(0) && !ref_value(b'\r') && ref_value(0xFF));
        assert!(!ref_target(b'#') && !ref_target(b' ') && ref_target(b'?') && ref_target(b'%'));
        // The VCHARs RFC 3986 leaves out of path and query.
        let refused = b"\"#<>[\\]^`{|}";
        for b in 0..=255u8 {
            let want = (0x21..0x7F).contains(&b) && !refused.contains(&b);
            assert_eq!(ref_target(b), want, "target {b:#04x}");
        }
    }

    #[test]
    fn every_byte_at_every_position() {
        // 'a' is inside all three classes; put each byte value at each position of a 40-byte
        // run (covering whole windows, the tail, and window boundaries) and scan from several
        // starts.
        for scanner in all_scanners() {
            for (what, method, pred) in METHODS {
                for b in 0..=255u8 {
                    for pos in 0..40 {
                        let mut buf = [b'a'; 40];
                        buf[pos] = b;
                        for from in [0, 1, 15, 16, 17, pos, 39, 40, 41] {
                            let want = reference(&buf, from, pred);
                            let got = method(scanner, &buf, from);
                            assert_eq!(got, want, "{what} {} byte {b:#04x} at {pos} from {from}",
                                scanner.name());
                        }
                    }
                }
            }
        }
    }

    use crate::test_rng::xorshift;

    #[test]
    fn random_buffers_both_paths_agree() {
        // Byte pools: mostly in-class bytes with occasional stops of each kind, so runs of
        // various lengths cross window boundaries.
        let pools: [&[u8]; 6] = [
            b"abcXYZ019-._~!#$%&'*+^`|",
            b" \t/?:;=\"(),@[]{}\\<>",
            b"/?%:@!$&'()*+,;=-._~aZ09",
            b"\r\n\x00\x01\x1f\x7f",
            b"\x80\xff\xc3\xa9",
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa~~~",
        ];
        let scanners = all_scanners();
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..3000 {
            let len = (xorshift(&mut seed) % 200) as usize;
            // Each buffer favours one pool so that long in-class runs happen.
            let main = (xorshift(&mut seed) % pools.len() as u64) as usize;
            let buf: Vec<u8> = (0..len)
                .map(|_| {
                    let r = xorshift(&mut seed);
                    let pool = if r % 16 < 13 { pools[main] } else { pools[(r >> 8) as usize % pools.len()] };
                    pool[(r >> 16) as usize % pool.len()]
                })
                .collect();
            for from in 0..=len + 1 {
                for (what, method, pred) in METHODS {
                    let want = reference(&buf, from, pred);
                    for &s in &scanners {
                        assert_eq!(method(s, &buf, from), want, "{what} {} from {from} in {buf:?}",
                            s.name());
                    }
                }
            }
        }
    }
}
