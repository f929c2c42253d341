//! Base64 (RFC 4648 §4, the standard alphabet with `=` padding) as the WebSocket handshake uses
//! it: [`encode`] for the Sec-WebSocket-Accept value, and [`is_key`], a strict check that a
//! Sec-WebSocket-Key value is the base64 of exactly 16 bytes (RFC 6455 §4.1, §11.3.1).
//!
//! Contract: nothing here allocates or panics. `encode` writes `4 * ceil(n / 3)` bytes when the
//! output has room for them and nothing otherwise. `is_key` accepts exactly the canonical
//! encodings of 16 bytes: 24 characters, 22 from the alphabet, then `==`, where the 22nd carries
//! only 2 bits of data (its 4 low bits are zero, so it is one of `A`, `Q`, `g`, `w`). No
//! whitespace, line breaks, URL-safe alphabet or missing padding is accepted; the HTTP side
//! strips the header value's surrounding whitespace before asking.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The length of the encoding of `n` bytes.
pub const fn encoded_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// Encodes `input` into the start of `out` and returns the number of bytes written: the whole
/// encoding, or 0 (writing nothing) if `out` is too short for it. One loop over the output
/// characters, not inlined: the handshake's 28 characters are not worth unrolled code.
#[inline(never)]
pub fn encode(input: &[u8], out: &mut [u8]) -> usize {
    let len = encoded_len(input.len());
    let Some(out) = out.get_mut(..len) else { return 0 };
    for (i, d) in out.iter_mut().enumerate() {
        // Character i carries input bits 6i..6i+6 (zeros past the end); one that starts past
        // the last input byte is padding.
        let byte = i * 6 / 8;
        let pair = u16::from_be_bytes([input.get(byte).copied().unwrap_or(0), input.get(byte + 1).copied().unwrap_or(0)]);
        let v = pair >> (10 - i * 6 % 8) & 63;
        *d = if byte < input.len() { ALPHABET[usize::from(v)] } else { b'=' };
    }
    len
}

/// The 6-bit value of a base64 character, or None.
fn value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Whether `s` is the canonical base64 encoding of exactly 16 bytes.
pub fn is_key(s: &[u8]) -> bool {
    // 22 characters from the alphabet (a loop over what is there, which stays a loop in the
    // build), then exactly "==".
    let data = s.iter().take_while(|&&c| value(c).is_some()).count();
    data == 22
        && s.get(22..) == Some(b"==")
        && s.get(21).and_then(|&c| value(c)).is_some_and(|v| v & 0x0F == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::xorshift;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    #[test]
    fn rfc_4648_vectors() {
        let table: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (b"f", b"Zg=="),
            (b"fo", b"Zm8="),
            (b"foo", b"Zm9v"),
            (b"foob", b"Zm9vYg=="),
            (b"fooba", b"Zm9vYmE="),
            (b"foobar", b"Zm9vYmFy"),
        ];
        for (input, want) in table {
            let mut out = [0u8; 8];
            let n = encode(input, &mut out);
            assert_eq!(&out[..n], *want);
            // One byte short: nothing is written.
            if !want.is_empty() {
                let mut short = [0u8; 8];
                assert_eq!(encode(input, &mut short[..want.len() - 1]), 0);
                assert_eq!(short, [0; 8]);
            }
        }
    }

    #[test]
    fn encode_matches_reference() {
        let mut seed = 0xba5e_0064;
        for len in 0..300 {
            let input: Vec<u8> = (0..len).map(|_| xorshift(&mut seed) as u8).collect();
            let mut out = vec![0u8; encoded_len(len) + 3];
            let n = encode(&input, &mut out);
            assert_eq!(&out[..n], STANDARD.encode(&input).as_bytes(), "length {len}");
        }
    }

    /// The reference's verdict: decodes strictly (canonical trailing bits, padding required) to
    /// 16 bytes.
    fn reference_is_key(s: &[u8]) -> bool {
        STANDARD.decode(s).is_ok_and(|v| v.len() == 16)
    }

    #[test]
    fn keys() {
        assert!(is_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(is_key(b"AAAAAAAAAAAAAAAAAAAAAA=="));
        assert!(is_key(b"/////////////////////w=="));
        for bad in [
            &b""[..],
            b"==",
            b"dGhlIHNhbXBsZSBub25jZQ=",   // one '=' short
            b"dGhlIHNhbXBsZSBub25jZQ",    // no padding
            b"dGhlIHNhbXBsZSBub25jZR==",  // trailing bits set
            b"dGhlIHNhbXBsZSBub25jZQ===", // too long
            b"dGhlIHNhbXBsZSBub25jZ===",  // 15 bytes and junk
            b"dGhlIHNhbXBsZSBub25j ZQ==", // a space
            b"dGhlIHNhbXBsZSBub25jZQ==\r",
            b" dGhlIHNhbXBsZSBub25jZQ==",
            b"dGhlIHNhbXBsZSBub25j_Q==",  // URL-safe alphabet
            b"dGhlIHNhbXBsZSBub25jZSBu",  // 18 bytes, 24 characters
            b"dGhlIHNhbXBsZSBub25jZQ=A",
        ] {
            assert!(!is_key(bad), "{:?}", String::from_utf8_lossy(bad));
            assert!(!reference_is_key(bad), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn key_check_matches_reference() {
        let mut seed = 0x6b65_7973;
        // Valid keys, then each mutated at one position to every byte value.
        for _ in 0..200 {
            let raw: Vec<u8> = (0..16).map(|_| xorshift(&mut seed) as u8).collect();
            let key = STANDARD.encode(&raw).into_bytes();
            assert!(is_key(&key));
            let pos = (xorshift(&mut seed) % 24) as usize;
            for b in 0..=255u8 {
                let mut k = key.clone();
                k[pos] = b;
                assert_eq!(is_key(&k), reference_is_key(&k), "{:?}", String::from_utf8_lossy(&k));
            }
        }
        // Random strings over the alphabet and '=' at lengths around 24.
        let chars = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
        for _ in 0..20_000 {
            let len = 20 + (xorshift(&mut seed) % 8) as usize;
            let mut s: Vec<u8> = (0..len).map(|_| chars[(xorshift(&mut seed) % 65) as usize]).collect();
            if xorshift(&mut seed).is_multiple_of(2) && len >= 2 {
                s[len - 2] = b'=';
                s[len - 1] = b'=';
            }
            assert_eq!(is_key(&s), reference_is_key(&s), "{:?}", String::from_utf8_lossy(&s));
        }
    }
}
