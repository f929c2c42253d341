//! A streaming UTF-8 validator (RFC 3629 §4, the same acceptance as `core::str::from_utf8`):
//! a text message arrives in pieces (fragments, and parts of frames), and a code point may be
//! split across them, so the state between pieces is kept in one byte.
//!
//! Contract: [`Utf8::feed`] checks the next piece and returns the index (within that piece)
//! of the first byte that cannot continue a valid UTF-8 text, leaving the state unchanged from
//! where it was before the piece (the caller fails the message anyway). [`Utf8::is_complete`]
//! says whether the text fed so far ends on a code-point boundary, the check for the final
//! fragment. All-zero (the `Default`) is the start of a text. Nothing here panics.
//!
//! Runs of ASCII go 16 bytes at a time when no code point is pending.

/// The validator's state: the low 2 bits count the continuation bytes still needed (0-3); bits
/// 2-4 say which range the next one must be in (only the first continuation after E0, ED, F0,
/// F4 is narrower than 80..=BF, which rules out overlong forms, surrogates and code points past
/// U+10FFFF).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Utf8(u8);

/// The constraint on the next continuation byte, in bits 2-4 of the state.
const ANY: u8 = 0 << 2; // 80..=BF
const AFTER_E0: u8 = 1 << 2; // A0..=BF: no overlong 3-byte forms
const AFTER_ED: u8 = 2 << 2; // 80..=9F: no surrogates D800..DFFF
const AFTER_F0: u8 = 3 << 2; // 90..=BF: no overlong 4-byte forms
const AFTER_F4: u8 = 4 << 2; // 80..=8F: nothing past U+10FFFF

const HIGH_BITS: u128 = 0x8080_8080_8080_8080_8080_8080_8080_8080;

/// The range of the next continuation byte for each constraint (indexed by bits 2-4).
const RANGES: [(u8, u8); 5] = [(0x80, 0xBF), (0xA0, 0xBF), (0x80, 0x9F), (0x90, 0xBF), (0x80, 0x8F)];

/// The state after byte `b`, or None if `b` cannot come next.
#[inline]
fn step(state: u8, b: u8) -> Option<u8> {
    if state == 0 {
        if b < 0x80 {
            return Some(0);
        }
        // 80..=BF with nothing pending, C0/C1 (overlong), F5..=FF (past U+10FFFF).
        if !(0xC2..=0xF4).contains(&b) {
            return None;
        }
        // C2..=DF lead 2-byte sequences, E0..=EF 3-byte ones, F0..=F4 4-byte ones.
        let need = 1 + u8::from(b >= 0xE0) + u8::from(b >= 0xF0);
        let next = match b {
            0xE0 => AFTER_E0,
            0xED => AFTER_ED,
            0xF0 => AFTER_F0,
            0xF4 => AFTER_F4,
            _ => ANY,
        };
        return Some(need | next);
    }
    let &(lo, hi) = RANGES.get(usize::from(state >> 2)).unwrap_or(&RANGES[0]);
    if b < lo || b > hi {
        return None;
    }
    // At least one continuation was pending (state != 0), so this does not go below zero.
    Some((state & 3).saturating_sub(1))
}

impl Utf8 {
    pub const fn new() -> Self {
        Utf8(0)
    }

    /// Checks the next piece of the text: `Err(i)` names the first invalid byte of `piece`.
    pub fn feed(&mut self, piece: &[u8]) -> Result<(), usize> {
        let mut state = self.0;
        let mut i = 0;
        loop {
            if state == 0 {
                // Whole 16-byte chunks of ASCII in one test each.
                let rest = piece.get(i..).unwrap_or_default();
                for c in rest.as_chunks::<16>().0 {
                    if u128::from_ne_bytes(*c) & HIGH_BITS != 0 {
                        break;
                    }
                    i += 16;
                }
                // Then the ASCII bytes before the next non-ASCII one.
                while piece.get(i).is_some_and(|b| b.is_ascii()) {
                    i += 1;
                }
            }
            let Some(&b) = piece.get(i) else { break };
            match step(state, b) {
                Some(s) => state = s,
                None => return Err(i),
            }
            i += 1;
        }
        self.0 = state;
        Ok(())
    }

    /// Whether the text so far ends between code points.
    pub fn is_complete(&self) -> bool {
        self.0 == 0
    }
}

/// Whether `s` is UTF-8 on its own (a close frame's reason, a short text message).
pub fn is_valid(s: &[u8]) -> bool {
    let mut u = Utf8::new();
    u.feed(s).is_ok() && u.is_complete()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::xorshift;

    /// What the validator must say about `s` fed whole: Ok(complete?) or the first bad byte,
    /// derived from core::str::from_utf8. After `valid_up_to` comes either a byte that cannot
    /// start a code point (it is the bad one) or a lead byte followed by `error_len - 1` good
    /// continuations and then the bad byte.
    fn expected(s: &[u8]) -> Result<bool, usize> {
        match core::str::from_utf8(s) {
            Ok(_) => Ok(true),
            Err(e) => match e.error_len() {
                None => Ok(false),
                Some(n) => {
                    let v = e.valid_up_to();
                    let lead = matches!(s[v], 0xC2..=0xF4);
                    Err(if lead { v + n } else { v })
                }
            },
        }
    }

    /// Feeds `s` in pieces cut at `cuts`; reports as `expected` does, with indices in `s`.
    fn run(s: &[u8], cuts: &[usize]) -> Result<bool, usize> {
        let mut u = Utf8::new();
        let mut start = 0;
        for &end in cuts.iter().chain([&s.len()]) {
            let before = u;
            if let Err(i) = u.feed(&s[start..end]) {
                assert_eq!(u, before, "state unchanged on error");
                return Err(start + i);
            }
            start = end;
        }
        Ok(u.is_complete())
    }

    #[test]
    fn known_cases() {
        let table: &[(&[u8], Result<bool, usize>)] = &[
            (b"", Ok(true)),
            (b"hello", Ok(true)),
            ("κόσμε".as_bytes(), Ok(true)),
            ("\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}".as_bytes(), Ok(true)),
            (b"\xed\x9f\xbf", Ok(true)),     // U+D7FF
            (b"\xee\x80\x80", Ok(true)),     // U+E000
            (b"\xc3", Ok(false)),            // cut short
            (b"\xf0\x9f\x98", Ok(false)),
            (b"\x80", Err(0)),               // lone continuation
            (b"a\xbf", Err(1)),
            (b"\xc0\x80", Err(0)),           // overlong NUL
            (b"\xc1\xbf", Err(0)),
            (b"\xe0\x9f\xbf", Err(1)),       // overlong 3-byte
            (b"\xed\xa0\x80", Err(1)),       // surrogate U+D800
            (b"\xed\xbf\xbf", Err(1)),       // surrogate U+DFFF
            (b"\xf0\x8f\xbf\xbf", Err(1)),   // overlong 4-byte
            (b"\xf4\x90\x80\x80", Err(1)),   // U+110000
            (b"\xf5\x80\x80\x80", Err(0)),
            (b"\xff", Err(0)),
            (b"\xe2\x82a", Err(2)),          // truncated by ASCII
            (b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited", Err(12)),
        ];
        for (s, want) in table {
            assert_eq!(expected(s), *want, "oracle on {s:?}");
            for at in 0..=s.len() {
                assert_eq!(run(s, &[at]), *want, "{s:?} split at {at}");
            }
            // One byte at a time.
            let cuts: Vec<usize> = (1..s.len()).collect();
            assert_eq!(run(s, &cuts), *want, "{s:?} byte at a time");
            assert_eq!(is_valid(s), *want == Ok(true));
        }
    }

    /// Text mixing ASCII runs (long enough for the fast path) with 2-, 3- and 4-byte characters.
    fn generate(seed: &mut u64) -> Vec<u8> {
        let mut s = String::new();
        let n = xorshift(seed) % 24;
        for _ in 0..n {
            match xorshift(seed) % 6 {
                0 => s.push_str(&"abcdefghijklmnopqrstuvwxyz0123456789"[..(xorshift(seed) % 36) as usize]),
                1 => s.push('é'),
                2 => s.push('€'),
                3 => s.push('\u{ffff}'),
                4 => s.push('😀'),
                _ => s.push(char::from_u32((xorshift(seed) % 0x11_0000) as u32).unwrap_or('\u{d7ff}')),
            }
        }
        s.into_bytes()
    }

    #[test]
    fn matches_from_utf8_on_generated_and_mutated_text() {
        let mut seed = 0x7574_6638;
        for round in 0..4000 {
            let mut s = generate(&mut seed);
            // Most rounds break it: a random byte, a cut, or a byte from the edge cases.
            if round % 4 != 0 && !s.is_empty() {
                let at = (xorshift(&mut seed) as usize) % s.len();
                match xorshift(&mut seed) % 3 {
                    0 => s[at] = xorshift(&mut seed) as u8,
                    1 => s.truncate(at),
                    _ => s[at] = [0x80, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF][(xorshift(&mut seed) % 10) as usize],
                }
            }
            let want = expected(&s);
            for at in 0..=s.len() {
                assert_eq!(run(&s, &[at]), want, "{s:?} split at {at}");
            }
            let a = (xorshift(&mut seed) as usize) % (s.len() + 1);
            let b = a + (xorshift(&mut seed) as usize) % (s.len() - a + 1);
            assert_eq!(run(&s, &[a, b]), want, "{s:?} split at {a}, {b}");
        }
    }

    #[test]
    fn every_two_and_three_byte_sequence() {
        // Exhaustive over two bytes, and three bytes with leads E0..F4 (plus a valid tail).
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let s = [a, b];
                assert_eq!(run(&s, &[]), expected(&s), "{s:x?}");
                assert_eq!(run(&s, &[1]), expected(&s), "{s:x?} split");
            }
        }
        for a in 0xE0..=0xF4u8 {
            for b in 0x70..=0xC5u8 {
                for c in [0x41, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0] {
                    let s = [a, b, c, 0x80];
                    assert_eq!(run(&s, &[2]), expected(&s), "{s:x?}");
                }
            }
        }
    }
}
