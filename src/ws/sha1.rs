//! SHA-1 (FIPS 180-4 §6.1) of a message held in one slice: all the WebSocket handshake needs
//! (RFC 6455 §4.2.2 hashes the 24-byte key with a 36-byte GUID).
//!
//! Contract: [`digest`] takes any length (the bit length is counted modulo 2^64, as the
//! standard's limit of 2^64 - 1 bits allows), allocates nothing, cannot panic, and returns the
//! 20-byte digest. SHA-1 is no longer collision-resistant; the handshake uses it only to prove
//! that the server read the key, never for security.

/// Initial hash value H(0) (FIPS 180-4 §5.3.1).
const H0: [u32; 5] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0];

/// K_t for each quarter of the 80 rounds (§4.2.1).
const K: [u32; 4] = [0x5A82_7999, 0x6ED9_EBA1, 0x8F1B_BCDC, 0xCA62_C1D6];

/// The digest of `msg`. Not inlined, so its loops stay loops (size matters more than speed for
/// a digest computed once per connection).
#[inline(never)]
pub fn digest(msg: &[u8]) -> [u8; 20] {
    let mut h = H0;
    let (blocks, tail) = msg.as_chunks::<64>();
    for block in blocks {
        compress(&mut h, block);
    }
    // Padding (§5.1.1): the tail, a 1 bit, zeros, and the bit length in the last 8 bytes of the
    // last block; one block if the tail leaves room for the 9 extra bytes, else two.
    let mut last = [0u8; 128];
    for (d, s) in last.iter_mut().zip(tail) {
        *d = *s;
    }
    if let Some(b) = last.get_mut(tail.len()) {
        *b = 0x80;
    }
    let bits = (msg.len() as u64).wrapping_mul(8).to_be_bytes();
    let (pad, _) = last.as_chunks_mut::<64>();
    let used = if tail.len() < 56 { 1 } else { 2 };
    if let Some(end) = pad.get_mut(used - 1) {
        for (d, s) in end.iter_mut().skip(56).zip(bits) {
            *d = s;
        }
    }
    for block in pad.iter().take(used) {
        compress(&mut h, block);
    }
    let mut out = [0u8; 20];
    for (d, w) in out.as_chunks_mut::<4>().0.iter_mut().zip(h) {
        *d = w.to_be_bytes();
    }
    out
}

/// One application of the compression function (§6.1.2) to a 64-byte block. The message
/// schedule is kept as a ring of 16 words: W[t] replaces W[t - 16] in place.
#[inline(never)]
fn compress(h: &mut [u32; 5], block: &[u8; 64]) {
    let mut w = [0u32; 16];
    let words = block.as_chunks::<4>().0;
    let [mut a, mut b, mut c, mut d, mut e] = *h;
    for t in 0..80usize {
        let s = match words.get(t) {
            // The block's words, big-endian, as they are needed (a loop, not a vector shuffle).
            Some(bytes) => u32::from_be_bytes(*bytes),
            // W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16], indices taken modulo 16.
            None => (w[(t + 13) & 15] ^ w[(t + 8) & 15] ^ w[(t + 2) & 15] ^ w[t & 15]).rotate_left(1),
        };
        w[t & 15] = s;
        // f_t and K_t (§4.1.1, §4.2.1) by quarter of the 80 rounds, chosen without branches so
        // the loop stays one small body.
        let parity = b ^ c ^ d;
        let q = t / 20;
        let f = [(b & c) | (!b & d), parity, (b & c) | (b & d) | (c & d), parity][q & 3];
        let temp = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(K[q & 3]).wrapping_add(s);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = temp;
    }
    for (hi, v) in h.iter_mut().zip([a, b, c, d, e]) {
        *hi = hi.wrapping_add(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::xorshift;
    use sha1::Digest;

    fn hex(d: [u8; 20]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn fips_180_vectors() {
        assert_eq!(hex(digest(b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(hex(digest(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            hex(digest(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(hex(digest(&vec![b'a'; 1_000_000])), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    }

    #[test]
    fn matches_reference_on_generated_input() {
        let mut seed = 0x5eed_0001;
        // Every length around the padding edges (55, 56, 63, 64, 119, 120, ...), then longer.
        for len in (0..300).chain([1000, 4095, 4096, 65_537]) {
            let msg: Vec<u8> = (0..len).map(|_| xorshift(&mut seed) as u8).collect();
            let want: [u8; 20] = sha1::Sha1::digest(&msg).into();
            assert_eq!(digest(&msg), want, "length {len}");
        }
    }
}
