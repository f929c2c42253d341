#![allow(unsafe_code)]
//! The only core::arch code: SSE4.2 scanners behind safe wrappers that need a [`Proof`] that the
//! CPU has SSE4.2.
//!
//! Contract: `skip` looks at whole 16-byte windows only, never reading outside the slice, and
//! returns the index of the first byte outside the given byte ranges or, when none is found, the
//! start of the tail that is too short for a window; the caller finishes that tail with the
//! scalar loop. SSE4.2 is enabled only on the inner `#[target_feature]` function, never globally,
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

/// Request-target bytes (unreserved, sub-delims, ':', '@', '/', '?', '%'): exact.
pub(super) const TARGET: Ranges = Ranges {
    bytes: [
        0x21, 0x21, // '!'
        0x24, 0x3B, // '$' '%' '&' '\'' '(' ')' '*' '+' ',' '-' '.' '/' DIGIT ':' ';'
        0x3D, 0x3D, // '='
        0x3F, 0x5A, // '?' '@' upper-case ALPHA
        0x5F, 0x5F, // '_'
        0x61, 0x7A, // lower-case ALPHA
        0x7E, 0x7E, // '~'
        0, 0, // unused (len = 14)
    ],
    len: 14,
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

/// Index of the first byte at or after `from` that is outside `ranges`, looking at whole
/// 16-byte windows only; when every whole window is inside, the index where the remaining tail
/// (fewer than 16 bytes) starts. `from` past the end returns `from`.
pub(super) fn skip(_proof: Proof, buf: &[u8], from: usize, ranges: &Ranges) -> usize {
    // SAFETY: `skip_windows` needs SSE4.2 at run time; a `Proof` exists only when CPUID
    // reported SSE4.2 (see `check`), and one was passed in.
    unsafe { skip_windows(buf, from, ranges) }
}

/// The SSE4.2 loop behind [`skip`].
///
/// # Safety
/// The CPU must support SSE4.2.
#[target_feature(enable = "sse4.2")]
unsafe fn skip_windows(buf: &[u8], from: usize, ranges: &Ranges) -> usize {
    // SAFETY: `ranges.bytes` is a 16-byte array, exactly the 16 bytes an unaligned load reads.
    let set: __m128i = unsafe { _mm_loadu_si128(ranges.bytes.as_ptr().cast()) };
    let mut i = from;
    loop {
        let Some(end) = i.checked_add(16) else { return i };
        let Some(window) = buf.get(i..end) else { return i };
        // SAFETY: `window` is a subslice of exactly 16 bytes (`get(i..i + 16)` succeeded), so
        // the unaligned 16-byte load stays inside `buf`.
        let chunk: __m128i = unsafe { _mm_loadu_si128(window.as_ptr().cast()) };
        let idx = _mm_cmpestri::<MODE>(set, ranges.len, chunk, 16);
        // 0..=15: the first byte outside the ranges; 16: all 16 bytes inside.
        if let Ok(off @ 0..16) = usize::try_from(idx) {
            return i + off;
        }
        i = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_windows_only() {
        let Some(proof) = check() else {
            eprintln!("note: no SSE4.2 on this CPU; skipping");
            return;
        };
        let run = [b'a'; 40];
        // (buffer length, start, expected): all inside, so the answer is where the tail starts.
        let table = [(0, 0, 0), (15, 0, 0), (16, 0, 16), (20, 0, 16), (32, 0, 32), (40, 0, 32),
            (40, 3, 35), (40, 25, 25), (40, 40, 40), (40, 41, 41)];
        for (len, from, want) in table {
            assert_eq!(skip(proof, &run[..len], from, &FIELD_VALUE), want, "len {len} from {from}");
        }
        // A stop inside a window is found at its exact index, before or after a window edge.
        for stop in 0..40 {
            let mut buf = run;
            buf[stop] = b'\r';
            let got = skip(proof, &buf, 0, &FIELD_VALUE);
            let want = if stop < 32 { stop } else { 32 };
            assert_eq!(got, want, "CR at {stop}");
            // '#' and the other bytes between the target ranges stop the target set, '~' the
            // token subset, '\x7f' the value set.
            let mut stops = vec![(b'~', &TOKEN_SUBSET), (0x7f, &FIELD_VALUE)];
            stops.extend(b"\"#<>[\\]^`{|}\x20\x7f\x80".iter().map(|&b| (b, &TARGET)));
            for (byte, set) in stops {
                buf[stop] = byte;
                assert_eq!(skip(proof, &buf, 0, set), want, "{byte:#04x} at {stop}");
            }
        }
    }
}
