#![allow(unsafe_code)]
//! The only core::arch code: SSE4.2 scanners behind safe wrappers that need a [`Proof`] that the
//! CPU has SSE4.2.
//!
//! Contract: `skip` returns the index of the first byte outside the given byte ranges, or the
//! end of the slice when there is none, exactly as the scalar loop in `scan` does. It reads
//! 16-byte windows inside the slice only; a tail shorter than a window is copied into a window of
//! its own and compared with its length. SSE4.2 is enabled only on the inner `#[target_feature]` function, never globally,
//! and that function is reached only through a [`Proof`], which only `check` (called by
//! `scan::detect`) can make after CPUID said yes.

use core::arch::x86_64::{
    __cpuid, __get_cpuid_max, __m128i, _mm_cmpestri, _mm_loadu_si128, _SIDD_CMP_RANGES,
    _SIDD_LEAST_SIGNIFICANT, _SIDD_NEGATIVE_POLARITY, _SIDD_UBYTE_OPS,
};

/// Evidence that CPUID reported SSE4.2; only `scan::detect` makes one.
#[derive(Clone, Copy)]
pub struct Proof(());

/// Asks CPUID (leaf 1, ECX bit 20) whether the CPU has SSE4.2, and returns the proof if so.
/// Private to `scan`: `scan::detect` (and the tests, through it or directly) are its callers.
pub(super) fn check() -> Option<Proof> {
    // Leaf 0 reports the highest basic leaf; every x86_64 CPU has leaf 1, but ask anyway.
    let max_leaf = __get_cpuid_max(0).0;
    if max_leaf < 1 {
        return None;
    }
    let leaf1 = __cpuid(1);
    if leaf1.ecx & (1 << 20) != 0 { Some(Proof(())) } else { None }
}

/// Up to eight inclusive byte ranges for `_mm_cmpestri` in ranges mode: `bytes` holds the
/// (low, high) pairs, `len` the number of bytes used (twice the number of pairs).
pub(super) struct Ranges {
    pub(super) bytes: [u8; 16],
    pub(super) len: i32,
}

/// Ranges mode, unsigned bytes, index of the first byte NOT in any range (least significant).
const MODE: i32 = _SIDD_UBYTE_OPS | _SIDD_CMP_RANGES | _SIDD_NEGATIVE_POLARITY | _SIDD_LEAST_SIGNIFICANT;

/// Field-value bytes (RFC 9110 §5.5): exact.
pub(super) const FIELD_VALUE: Ranges = Ranges {
    bytes: [
        0x09, 0x09, // HTAB
        0x20, 0x7E, // SP and VCHAR
        0x80, 0xFF, // obs-text
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // unused (len = 6)
    ],
    len: 6,
};

/// Request-target bytes without '%' and '?' (unreserved, sub-delims, ':', '@', '/'): exact. The
/// parser handles the two left out (a %-escape to check, the query to note) where the scan stops.
pub(super) const PLAIN_TARGET: Ranges = Ranges {
    bytes: [
        0x21, 0x21, // '!'
        0x24, 0x24, // '$'
        0x26, 0x3B, // '&' '\'' '(' ')' '*' '+' ',' '-' '.' '/' DIGIT ':' ';'
        0x3D, 0x3D, // '='
        0x40, 0x5A, // '@' upper-case ALPHA
        0x5F, 0x5F, // '_'
        0x61, 0x7A, // lower-case ALPHA
        0x7E, 0x7E, // '~'
    ],
    len: 16,
};

/// The bytes of most host names: ALPHA, DIGIT, '-', '.' (the rest of a reg-name is rare and
/// checked one byte at a time where this scan stops).
pub(super) const HOST_NAME: Ranges = Ranges {
    bytes: [
        0x2D, 0x2E, // '-' '.'
        0x30, 0x39, // DIGIT
        0x41, 0x5A, // upper-case ALPHA
        0x61, 0x7A, // lower-case ALPHA
        0, 0, 0, 0, 0, 0, 0, 0, // unused (len = 8)
    ],
    len: 8,
};

/// A subset of tchar (RFC 9110 §5.6.2) that fits in eight ranges: tchar needs nine, so '~' is
/// left out. The SSE search therefore also stops at '~', and the caller checks the byte it
/// stopped at with the exact scalar predicate before deciding.
pub(super) const TOKEN_SUBSET: Ranges = Ranges {
    bytes: [
        0x21, 0x21, // '!'
        0x23, 0x27, // '#' '$' '%' '&' '\''
        0x2A, 0x2B, // '*' '+'
        0x2D, 0x2E, // '-' '.'
        0x30, 0x39, // DIGIT
        0x41, 0x5A, // upper-case ALPHA
        0x5E, 0x7A, // '^' '_' '`' and lower-case ALPHA
        0x7C, 0x7C, // '|'  ('~' = 0x7E is confirmed by the scalar check)
    ],
    len: 16,
};

/// Index of the first byte at or after `from` that is outside `ranges`, or `buf.len()` when
/// every byte from `from` on is inside (`from` itself when `from > buf.len()`).
pub(super) fn skip(_proof: Proof, buf: &[u8], from: usize, ranges: &Ranges) -> usize {
    // SAFETY: `skip_windows` needs SSE4.2 at run time; a `Proof` exists only when CPUID
    // reported SSE4.2 (see `check`), and one was passed in.
    unsafe { skip_windows(buf, from, ranges) }
}

/// The SSE4.2 loop behind [`skip`]: whole 16-byte windows in place, then the tail (fewer than
/// 16 bytes) copied into a window of its own and compared with its length, so nothing is ever
/// read outside `buf`.
///
/// # Safety
/// The CPU must support SSE4.2.
#[target_feature(enable = "sse4.2")]
unsafe fn skip_windows(buf: &[u8], from: usize, ranges: &Ranges) -> usize {
    // SAFETY: `ranges.bytes` is a 16-byte array, exactly the 16 bytes an unaligned load reads.
    let set: __m128i = unsafe { _mm_loadu_si128(ranges.bytes.as_ptr().cast()) };
    let mut i = from;
    loop {
        let Some(rest) = buf.get(i..) else { return i };
        let (window, len) = match rest.first_chunk::<16>() {
            Some(w) => (*w, 16),
            None if rest.is_empty() => return i,
            None => {
                let mut w = [0u8; 16];
                if let Some(dst) = w.get_mut(..rest.len()) {
                    dst.copy_from_slice(rest);
                }
                (w, rest.len() as i32)
            }
        };
        // SAFETY: `window` is a 16-byte array, exactly the 16 bytes an unaligned load reads.
        let chunk: __m128i = unsafe { _mm_loadu_si128(window.as_ptr().cast()) };
        // The index of the first of the `len` bytes outside the ranges; `len` or more when
        // all of them are inside (bytes past `len` count as outside, or not at all).
        let idx = _mm_cmpestri::<MODE>(set, ranges.len, chunk, len) as usize;
        if idx < len as usize {
            return i + idx;
        }
        if len < 16 {
            return buf.len();
        }
        i += 16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_window_and_tail() {
        let Some(proof) = check() else {
            eprintln!("note: no SSE4.2 on this CPU; skipping");
            return;
        };
        let run = [b'a'; 40];
        // All inside: the answer is the end, whatever the length and start.
        for len in 0..=40 {
            for from in 0..=len + 1 {
                let want = if from > len { from } else { len };
                assert_eq!(skip(proof, &run[..len], from, &FIELD_VALUE), want, "len {len} from {from}");
            }
        }
        // A stop is found at its exact index, in a whole window or in the tail.
        for len in 1..=40 {
            for stop in 0..len {
                let mut buf = run;
                buf[stop] = b'\r';
                assert_eq!(skip(proof, &buf[..len], 0, &FIELD_VALUE), stop, "CR at {stop} of {len}");
                let mut stops = vec![(b'~', &TOKEN_SUBSET), (0x7f, &FIELD_VALUE), (b'_', &HOST_NAME)];
                stops.extend(b"\"#<>[\\]^`{|}%?\x20\x7f\x80".iter().map(|&b| (b, &PLAIN_TARGET)));
                for (byte, set) in stops {
                    buf[stop] = byte;
                    assert_eq!(skip(proof, &buf[..len], 0, set), stop, "{byte:#04x} at {stop} of {len}");
                }
            }
        }
    }
}
