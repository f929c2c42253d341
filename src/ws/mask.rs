//! Unmasking a client's payload (RFC 6455 §5.3): payload byte `i` is XORed with key byte
//! `i % 4`, where `i` counts from the start of the frame's payload, so a piece that starts at
//! payload offset `offset` begins with key byte `offset % 4`.
//!
//! Contract: safe code, no panics. [`unmask_copy`], the one the echo uses, processes
//! `min(dst.len(), src.len())` bytes and says whether they came out all ASCII (so a text piece
//! with no code point pending needs no UTF-8 check). It works a 16-byte word at a time (a
//! 128-bit XOR: two 64-bit XORs or one SSE2 one, as the compiler likes); the last 0-15 bytes
//! take two overlapping 8- or 4-byte words (each computed from `src`, so an overlap is written
//! twice with the same bytes), or up to three single bytes. A short frame thus costs a handful
//! of instructions, and [`unmask_copy_inline`] inlines that case into the caller. [`unmask`]
//! works in place, 4 bytes at a time. The byte loop in the tests is the reference.

/// The high bit of every byte of a 16-byte word.
const HIGH: u128 = 0x8080_8080_8080_8080_8080_8080_8080_8080;

/// The key as a little-endian word, rotated so that its lowest byte is the one for `offset`.
#[inline(always)]
fn word(key: [u8; 4], offset: usize) -> u32 {
    u32::from_le_bytes(key).rotate_right(8 * (offset as u32 & 3))
}

/// The word `w` (for offset 0) repeated over 8 and 16 bytes.
#[inline(always)]
fn wide(w: u32) -> (u64, u128) {
    let d = u64::from(w) | u64::from(w) << 32;
    (d, u128::from(d) | u128::from(d) << 64)
}

/// XORs the `N`-byte window at `at` of `src` into `dst` with the key word `w` (that of offset
/// 0), rotated for `at`; returns the bytes written as a little-endian number (0 if the window
/// is not inside both slices).
macro_rules! window {
    ($name:ident, $n:literal, $t:ty) => {
        #[inline(always)]
        fn $name(dst: &mut [u8], src: &[u8], at: usize, w: u32) -> u128 {
            let k = wide(word(w.to_le_bytes(), at)).1 as $t;
            let d = dst.get_mut(at..).and_then(|d| d.first_chunk_mut::<$n>());
            let s = src.get(at..).and_then(|s| s.first_chunk::<$n>());
            match (d, s) {
                (Some(d), Some(s)) => {
                    let x = <$t>::from_le_bytes(*s) ^ k;
                    *d = x.to_le_bytes();
                    x.into()
                }
                _ => 0,
            }
        }
    };
}
window!(at8, 8, u64);
window!(at4, 4, u32);
window!(at1, 1, u8);

/// `dst = src ^ key` for equal lengths under 16, with the key word `w` of offset 0; returns
/// the OR of the bytes written (in some byte order).
#[inline(always)]
fn short(dst: &mut [u8], src: &[u8], w: u32) -> u128 {
    let n = src.len();
    if n >= 8 {
        at8(dst, src, 0, w) | at8(dst, src, n - 8, w)
    } else if n >= 4 {
        at4(dst, src, 0, w) | at4(dst, src, n - 4, w)
    } else if n > 0 {
        // 1 to 3 bytes: the first, the middle and the last cover them.
        at1(dst, src, 0, w) | at1(dst, src, n / 2, w) | at1(dst, src, n - 1, w)
    } else {
        0
    }
}

/// Copies `src` into `dst` unmasked, `min(dst.len(), src.len())` bytes; the first is at payload
/// offset `offset`. Returns whether the bytes written are all ASCII. One copy of this code
/// serves every caller (it is not inlined).
#[inline(never)]
pub fn unmask_copy(dst: &mut [u8], src: &[u8], key: [u8; 4], offset: usize) -> bool {
    let n = dst.len().min(src.len());
    let (Some(dst), Some(src)) = (dst.get_mut(..n), src.get(..n)) else { return true };
    let w = word(key, offset);
    let q = wide(w).1;
    let mut high = 0;
    let (dc, dt) = dst.as_chunks_mut::<16>();
    let (sc, st) = src.as_chunks::<16>();
    for (a, b) in dc.iter_mut().zip(sc) {
        let x = u128::from_le_bytes(*b) ^ q;
        high |= x;
        *a = x.to_le_bytes();
    }
    // The tail starts a multiple of 16 bytes in: the same key word.
    (high | short(dt, st, w)) & HIGH == 0
}

/// [`unmask_copy`] for a payload at offset 0, with the case under 16 bytes inlined (the
/// short-frame fast path).
#[inline(always)]
pub fn unmask_copy_inline(dst: &mut [u8], src: &[u8], key: [u8; 4]) -> bool {
    match (dst.get_mut(..src.len()), src.len()) {
        (Some(dst), 0..16) => short(dst, src, u32::from_le_bytes(key)) & HIGH == 0,
        _ => unmask_copy(dst, src, key, 0),
    }
}

/// Unmasks `buf` in place; its first byte is at payload offset `offset`.
pub fn unmask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let w = word(key, offset);
    let (chunks, tail) = buf.as_chunks_mut::<4>();
    for c in chunks {
        *c = (u32::from_le_bytes(*c) ^ w).to_le_bytes();
    }
    for (b, k) in tail.iter_mut().zip(w.to_le_bytes()) {
        *b ^= k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::xorshift;

    /// The reference: one byte at a time, straight from §5.3.
    fn reference(data: &[u8], key: [u8; 4], offset: usize) -> Vec<u8> {
        data.iter().enumerate().map(|(i, b)| b ^ key[(offset + i) % 4]).collect()
    }

    #[test]
    fn rfc_6455_example() {
        // §5.7: "Hello" masked with 37 fa 21 3d.
        let masked = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let mut buf = masked;
        unmask(&mut buf, key, 0);
        assert_eq!(&buf, b"Hello");
        let mut out = [0u8; 5];
        unmask_copy(&mut out, &masked, key, 0);
        assert_eq!(&out, b"Hello");
    }

    #[test]
    fn matches_reference() {
        let mut seed = 0x6d61_736b;
        let lens = (0..200).chain([255, 256, 1000, 4096, 65_537]);
        for len in lens {
            let data: Vec<u8> = (0..len).map(|_| xorshift(&mut seed) as u8).collect();
            let key = (xorshift(&mut seed) as u32).to_le_bytes();
            for offset in 0..8 {
                let want = reference(&data, key, offset);
                let mut buf = data.clone();
                unmask(&mut buf, key, offset);
                assert_eq!(buf, want, "len {len} offset {offset}");
                let mut out = vec![0u8; len];
                let ascii = unmask_copy(&mut out, &data, key, offset);
                assert_eq!(out, want, "copy: len {len} offset {offset}");
                assert_eq!(ascii, want.is_ascii());
                // Plain ASCII (masked with this key) says so.
                let text: Vec<u8> = (0..len).map(|i| (i % 128) as u8).collect();
                let masked = reference(&text, key, offset);
                assert!(unmask_copy(&mut out, &masked, key, offset));
                assert_eq!(out, text);
                if offset == 0 {
                    let mut out = vec![0u8; len + 3];
                    assert_eq!(unmask_copy_inline(&mut out, &data, key), want.is_ascii());
                    assert_eq!(out[..len], want[..], "inline: len {len}");
                    assert_eq!(out[len..], [0; 3]);
                }
            }
        }
    }

    #[test]
    fn pieces_at_every_split() {
        // A payload unmasked in two pieces, the second at its payload offset, equals one pass.
        let mut seed = 0x7069_6563;
        let data: Vec<u8> = (0..100).map(|_| xorshift(&mut seed) as u8).collect();
        let key = [0xde, 0xad, 0xbe, 0xef];
        let want = reference(&data, key, 0);
        for at in 0..=data.len() {
            let mut buf = data.clone();
            let (a, b) = buf.split_at_mut(at);
            unmask(a, key, 0);
            unmask(b, key, at);
            assert_eq!(buf, want, "split at {at}");
        }
    }

    #[test]
    fn copy_takes_the_shorter_length() {
        let src = [0xFFu8; 40];
        let key = [1, 2, 3, 4];
        let mut dst = [0u8; 20];
        unmask_copy(&mut dst, &src, key, 0);
        assert_eq!(dst.to_vec(), reference(&src[..20], key, 0));
        let mut dst = [7u8; 40];
        unmask_copy(&mut dst, &src[..17], key, 1);
        assert_eq!(dst[..17].to_vec(), reference(&src[..17], key, 1));
        assert_eq!(dst[17..], [7u8; 23]);
    }
}
