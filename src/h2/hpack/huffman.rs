//! The static Huffman code of HPACK (RFC 7541 §5.2, Appendix B) and a decoder for it.
//!
//! Contract: [`CODES`] is Appendix B transcribed, one row per symbol (0-255, then EOS), codes
//! right-aligned as in the appendix's hex column. What the decoder needs is derived from it at
//! compile time ([`COUNT`], [`ORDER`]: 288 bytes), and the derivation checks that the table is
//! the canonical code the RFC says it is: a mistyped row fails the build, not a request. The rows
//! are never read at run time, so they cost the binary nothing.
//!
//! Decoding is canonical, a code length at a time: codes of one length are consecutive numbers,
//! so the input's next bits of some length are a whole code exactly when they lie below the
//! first code of that length plus the count of codes of that length; its symbol is then an index
//! into the symbols sorted by code. Common bytes have 5- and 6-bit codes, found in one or two
//! steps. Small and table-light; a request whose fields are indexed decodes no
//! Huffman at all. Padding is checked as §5.2 says: at most 7 bits, all ones; a decoded EOS is
//! an error. Nothing here panics or allocates.

use super::Error;

/// RFC 7541 Appendix B: `(code, bits)` for symbols 0 to 255 and EOS (256), code right-aligned.
#[rustfmt::skip]
pub const CODES: [(u32, u8); 257] = [
    (0x1ff8, 13),     (0x7fffd8, 23),   (0xfffffe2, 28),  (0xfffffe3, 28),  //   0-3
    (0xfffffe4, 28),  (0xfffffe5, 28),  (0xfffffe6, 28),  (0xfffffe7, 28),  //   4-7
    (0xfffffe8, 28),  (0xffffea, 24),   (0x3ffffffc, 30), (0xfffffe9, 28),  //   8-11
    (0xfffffea, 28),  (0x3ffffffd, 30), (0xfffffeb, 28),  (0xfffffec, 28),  //  12-15
    (0xfffffed, 28),  (0xfffffee, 28),  (0xfffffef, 28),  (0xffffff0, 28),  //  16-19
    (0xffffff1, 28),  (0xffffff2, 28),  (0x3ffffffe, 30), (0xffffff3, 28),  //  20-23
    (0xffffff4, 28),  (0xffffff5, 28),  (0xffffff6, 28),  (0xffffff7, 28),  //  24-27
    (0xffffff8, 28),  (0xffffff9, 28),  (0xffffffa, 28),  (0xffffffb, 28),  //  28-31
    (0x14, 6),        (0x3f8, 10),      (0x3f9, 10),      (0xffa, 12),      //  ' ' '!' '"' '#'
    (0x1ff9, 13),     (0x15, 6),        (0xf8, 8),        (0x7fa, 11),      //  '$' '%' '&' '''
    (0x3fa, 10),      (0x3fb, 10),      (0xf9, 8),        (0x7fb, 11),      //  '(' ')' '*' '+'
    (0xfa, 8),        (0x16, 6),        (0x17, 6),        (0x18, 6),        //  ',' '-' '.' '/'
    (0x0, 5),         (0x1, 5),         (0x2, 5),         (0x19, 6),        //  '0' '1' '2' '3'
    (0x1a, 6),        (0x1b, 6),        (0x1c, 6),        (0x1d, 6),        //  '4' '5' '6' '7'
    (0x1e, 6),        (0x1f, 6),        (0x5c, 7),        (0xfb, 8),        //  '8' '9' ':' ';'
    (0x7ffc, 15),     (0x20, 6),        (0xffb, 12),      (0x3fc, 10),      //  '<' '=' '>' '?'
    (0x1ffa, 13),     (0x21, 6),        (0x5d, 7),        (0x5e, 7),        //  '@' 'A' 'B' 'C'
    (0x5f, 7),        (0x60, 7),        (0x61, 7),        (0x62, 7),        //  'D' 'E' 'F' 'G'
    (0x63, 7),        (0x64, 7),        (0x65, 7),        (0x66, 7),        //  'H' 'I' 'J' 'K'
    (0x67, 7),        (0x68, 7),        (0x69, 7),        (0x6a, 7),        //  'L' 'M' 'N' 'O'
    (0x6b, 7),        (0x6c, 7),        (0x6d, 7),        (0x6e, 7),        //  'P' 'Q' 'R' 'S'
    (0x6f, 7),        (0x70, 7),        (0x71, 7),        (0x72, 7),        //  'T' 'U' 'V' 'W'
    (0xfc, 8),        (0x73, 7),        (0xfd, 8),        (0x1ffb, 13),     //  'X' 'Y' 'Z' '['
    (0x7fff0, 19),    (0x1ffc, 13),     (0x3ffc, 14),     (0x22, 6),        //  '\' ']' '^' '_'
    (0x7ffd, 15),     (0x3, 5),         (0x23, 6),        (0x4, 5),         //  '`' 'a' 'b' 'c'
    (0x24, 6),        (0x5, 5),         (0x25, 6),        (0x26, 6),        //  'd' 'e' 'f' 'g'
    (0x27, 6),        (0x6, 5),         (0x74, 7),        (0x75, 7),        //  'h' 'i' 'j' 'k'
    (0x28, 6),        (0x29, 6),        (0x2a, 6),        (0x7, 5),         //  'l' 'm' 'n' 'o'
    (0x2b, 6),        (0x76, 7),        (0x2c, 6),        (0x8, 5),         //  'p' 'q' 'r' 's'
    (0x9, 5),         (0x2d, 6),        (0x77, 7),        (0x78, 7),        //  't' 'u' 'v' 'w'
    (0x79, 7),        (0x7a, 7),        (0x7b, 7),        (0x7ffe, 15),     //  'x' 'y' 'z' '{'
    (0x7fc, 11),      (0x3ffd, 14),     (0x1ffd, 13),     (0xffffffc, 28),  //  '|' '}' '~' 127
    (0xfffe6, 20),    (0x3fffd2, 22),   (0xfffe7, 20),    (0xfffe8, 20),    // 128-131
    (0x3fffd3, 22),   (0x3fffd4, 22),   (0x3fffd5, 22),   (0x7fffd9, 23),   // 132-135
    (0x3fffd6, 22),   (0x7fffda, 23),   (0x7fffdb, 23),   (0x7fffdc, 23),   // 136-139
    (0x7fffdd, 23),   (0x7fffde, 23),   (0xffffeb, 24),   (0x7fffdf, 23),   // 140-143
    (0xffffec, 24),   (0xffffed, 24),   (0x3fffd7, 22),   (0x7fffe0, 23),   // 144-147
    (0xffffee, 24),   (0x7fffe1, 23),   (0x7fffe2, 23),   (0x7fffe3, 23),   // 148-151
    (0x7fffe4, 23),   (0x1fffdc, 21),   (0x3fffd8, 22),   (0x7fffe5, 23),   // 152-155
    (0x3fffd9, 22),   (0x7fffe6, 23),   (0x7fffe7, 23),   (0xffffef, 24),   // 156-159
    (0x3fffda, 22),   (0x1fffdd, 21),   (0xfffe9, 20),    (0x3fffdb, 22),   // 160-163
    (0x3fffdc, 22),   (0x7fffe8, 23),   (0x7fffe9, 23),   (0x1fffde, 21),   // 164-167
    (0x7fffea, 23),   (0x3fffdd, 22),   (0x3fffde, 22),   (0xfffff0, 24),   // 168-171
    (0x1fffdf, 21),   (0x3fffdf, 22),   (0x7fffeb, 23),   (0x7fffec, 23),   // 172-175
    (0x1fffe0, 21),   (0x1fffe1, 21),   (0x3fffe0, 22),   (0x1fffe2, 21),   // 176-179
    (0x7fffed, 23),   (0x3fffe1, 22),   (0x7fffee, 23),   (0x7fffef, 23),   // 180-183
    (0xfffea, 20),    (0x3fffe2, 22),   (0x3fffe3, 22),   (0x3fffe4, 22),   // 184-187
    (0x7ffff0, 23),   (0x3fffe5, 22),   (0x3fffe6, 22),   (0x7ffff1, 23),   // 188-191
    (0x3ffffe0, 26),  (0x3ffffe1, 26),  (0xfffeb, 20),    (0x7fff1, 19),    // 192-195
    (0x3fffe7, 22),   (0x7ffff2, 23),   (0x3fffe8, 22),   (0x1ffffec, 25),  // 196-199
    (0x3ffffe2, 26),  (0x3ffffe3, 26),  (0x3ffffe4, 26),  (0x7ffffde, 27),  // 200-203
    (0x7ffffdf, 27),  (0x3ffffe5, 26),  (0xfffff1, 24),   (0x1ffffed, 25),  // 204-207
    (0x7fff2, 19),    (0x1fffe3, 21),   (0x3ffffe6, 26),  (0x7ffffe0, 27),  // 208-211
    (0x7ffffe1, 27),  (0x3ffffe7, 26),  (0x7ffffe2, 27),  (0xfffff2, 24),   // 212-215
    (0x1fffe4, 21),   (0x1fffe5, 21),   (0x3ffffe8, 26),  (0x3ffffe9, 26),  // 216-219
    (0xffffffd, 28),  (0x7ffffe3, 27),  (0x7ffffe4, 27),  (0x7ffffe5, 27),  // 220-223
    (0xfffec, 20),    (0xfffff3, 24),   (0xfffed, 20),    (0x1fffe6, 21),   // 224-227
    (0x3fffe9, 22),   (0x1fffe7, 21),   (0x1fffe8, 21),   (0x7ffff3, 23),   // 228-231
    (0x3fffea, 22),   (0x3fffeb, 22),   (0x1ffffee, 25),  (0x1ffffef, 25),  // 232-235
    (0xfffff4, 24),   (0xfffff5, 24),   (0x3ffffea, 26),  (0x7ffff4, 23),   // 236-239
    (0x3ffffeb, 26),  (0x7ffffe6, 27),  (0x3ffffec, 26),  (0x3ffffed, 26),  // 240-243
    (0x7ffffe7, 27),  (0x7ffffe8, 27),  (0x7ffffe9, 27),  (0x7ffffea, 27),  // 244-247
    (0x7ffffeb, 27),  (0xffffffe, 28),  (0x7ffffec, 27),  (0x7ffffed, 27),  // 248-251
    (0x7ffffee, 27),  (0x7ffffef, 27),  (0x7fffff0, 27),  (0x3ffffee, 26),  // 252-255
    (0x3fffffff, 30),                                                       // EOS
];

/// The symbol of the end-of-string code, which may appear only as padding (§5.2).
pub const EOS: usize = 256;
/// The longest code, and the mask that keeps a length inside [`COUNT`].
const MAX_BITS: usize = 31;

/// For each code length, the number of codes of that length (none has 31 bits).
pub static COUNT: [u8; MAX_BITS + 1] = DERIVED.0;
/// The symbols sorted by code (EOS, the last code of all, is left out: its index is 256).
pub static ORDER: [u8; 256] = DERIVED.1;

const DERIVED: ([u8; MAX_BITS + 1], [u8; 256]) = derive();

/// Derives [`COUNT`] and [`ORDER`] from [`CODES`], checking on the way that the codes are
/// exactly the canonical ones for their lengths (each length's codes consecutive in symbol
/// order, each length starting at the previous length's next code shifted left) and that they
/// fill the code space, i.e. Kraft's sum is exactly 1.
const fn derive() -> ([u8; MAX_BITS + 1], [u8; 256]) {
    let mut count = [0u8; MAX_BITS + 1];
    let mut order = [0u8; 256];
    let mut code: u32 = 0;
    let mut index = 0;
    let mut bits = 1;
    while bits <= 30 {
        let mut sym = 0;
        while sym < CODES.len() {
            if CODES[sym].1 as usize == bits {
                assert!(CODES[sym].0 == code, "Appendix B row is not the canonical code");
                if sym < EOS {
                    order[index] = sym as u8;
                } else {
                    assert!(index == EOS, "EOS must be the last code");
                }
                index += 1;
                code += 1;
                count[bits] += 1;
            }
            sym += 1;
        }
        if bits == 30 {
            // A complete prefix code ends exactly at the top of the 30-bit space.
            assert!(code == 1 << 30, "Appendix B does not fill the code space");
        }
        code <<= 1;
        bits += 1;
    }
    assert!(index == CODES.len());
    (count, order)
}

/// Decodes `src` into `dst`, as far as `dst` holds, to the end: the decoded length (which may
/// be more than `dst` took; the rest was checked and counted).
pub fn decode(src: &[u8], dst: &mut [u8]) -> Result<usize, Error> {
    // Input bits not yet decoded, left-aligned, and how many; bits past them read as zeros.
    let (mut acc, mut bits, mut n) = (0u64, 0u32, 0usize);
    let mut bytes = src.iter();
    loop {
        while bits <= 56 {
            let Some(&b) = bytes.next() else { break };
            acc |= u64::from(b) << (56 - bits);
            bits += 8;
        }
        // The next code's length: the first whose codes reach the bits that start the input
        // (no code is shorter than 5 bits); the first code of that length and where its symbols
        // start in ORDER.
        let (mut len, mut first, mut index) = (5u32, 0u32, 0usize);
        loop {
            if len > bits {
                // What is left is padding: at most 7 bits, all ones (§5.2).
                return if bits < 8 && (acc >> 56) as u32 >> (8 - bits) == (1 << bits) - 1 { Ok(n) } else { Err(Error::Huffman) };
            }
            let code = (acc >> (64 - len)) as u32;
            let count = u32::from(COUNT[len as usize & MAX_BITS]);
            if code.wrapping_sub(first) < count {
                // Index 256 is EOS, which must never be decoded (§5.2).
                let &sym = ORDER.get(index + (code - first) as usize).ok_or(Error::Huffman)?;
                if let Some(d) = dst.get_mut(n) {
                    *d = sym;
                }
                n += 1;
                acc <<= len;
                bits -= len;
                break;
            }
            index += count as usize;
            first = (first + count) << 1;
            len += 1;
        }
    }
}

#[cfg(test)]
pub fn encode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut acc: u64 = 0;
    let mut bits = 0;
    for &b in s {
        let (code, len) = CODES[usize::from(b)];
        acc = (acc << len) | u64::from(code);
        bits += u32::from(len);
        while bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    if bits > 0 {
        out.push(((acc << (8 - bits)) | (0xff >> bits)) as u8);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(src: &[u8]) -> Result<Vec<u8>, Error> {
        let mut out = vec![0u8; src.len() * 8 / 5 + 1];
        let n = decode(src, &mut out)?;
        assert!(n <= out.len());
        out.truncate(n);
        Ok(out)
    }

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn kraft_sum_is_one_and_eos_is_all_ones() {
        // Sum of 2^(30 - len) over every code equals 2^30: a complete prefix code.
        let sum: u64 = CODES.iter().map(|&(_, len)| 1u64 << (30 - len)).sum();
        assert_eq!(sum, 1 << 30);
        assert_eq!(CODES[EOS], (0x3fff_ffff, 30));
        for &(code, len) in &CODES {
            assert!((5..=30).contains(&len));
            assert!(u64::from(code) < 1 << len);
        }
        // No code is a prefix of another (the derivation checked canonicity; this checks it
        // independently, pair by pair).
        for (a, &(ca, la)) in CODES.iter().enumerate() {
            for &(cb, lb) in &CODES[a + 1..] {
                let (short, sl, long, ll) = if la <= lb { (ca, la, cb, lb) } else { (cb, lb, ca, la) };
                assert_ne!(long >> (ll - sl), short, "prefix clash");
            }
        }
    }

    #[test]
    fn spot_rows_from_the_appendix() {
        // A few rows read off Appendix B directly.
        assert_eq!(CODES[b'/' as usize], (0x18, 6));
        assert_eq!(CODES[b'0' as usize], (0x0, 5));
        assert_eq!(CODES[b'?' as usize], (0x3fc, 10));
        assert_eq!(CODES[b'\\' as usize], (0x7fff0, 19));
        assert_eq!(CODES[0], (0x1ff8, 13));
        assert_eq!(CODES[255], (0x3ffffee, 26));
        assert_eq!(CODES[10], (0x3ffffffc, 30));
    }

    #[test]
    fn every_symbol_round_trips() {
        for b in 0..=255u8 {
            for n in [1, 2, 3, 7] {
                let s = vec![b; n];
                assert_eq!(dec(&encode(&s)).unwrap(), s, "symbol {b}");
            }
        }
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(dec(&encode(&all)).unwrap(), all);
        let mut rng = 0x1234_5678_9abc_def1u64;
        for _ in 0..2000 {
            let len = (crate::test_rng::xorshift(&mut rng) % 80) as usize;
            let s: Vec<u8> = (0..len).map(|_| crate::test_rng::xorshift(&mut rng) as u8).collect();
            assert_eq!(dec(&encode(&s)).unwrap(), s);
        }
    }

    /// Our code table, through the independent crate's decoder: literals whose values are
    /// Huffman-coded with our table decode to the same bytes there.
    #[test]
    fn the_independent_decoder_reads_our_codes() {
        let mut theirs = hpack::Decoder::new();
        let mut rng = 0x0bad_cafe_1234_5678u64;
        for _ in 0..500 {
            let len = (crate::test_rng::xorshift(&mut rng) % 60) as usize;
            let value: Vec<u8> = (0..len).map(|_| crate::test_rng::xorshift(&mut rng) as u8).collect();
            let coded = encode(&value);
            // Literal without indexing, name "x", Huffman-coded value.
            let mut block = vec![0x00, 0x01, b'x'];
            let mut buf = [0u8; 8];
            let mut c = crate::h2::cursor::Cursor::new(&mut buf);
            c.int(0x80, 7, coded.len());
            block.extend_from_slice(c.written());
            block.extend_from_slice(&coded);
            let fields = theirs.decode(&block).unwrap();
            assert_eq!(fields, vec![(b"x".to_vec(), value)]);
        }
    }

    #[test]
    fn appendix_c_strings() {
        let table: &[(&str, &[u8])] = &[
            ("f1e3 c2e5 f23a 6ba0 ab90 f4ff", b"www.example.com"),
            ("a8eb 1064 9cbf", b"no-cache"),
            ("25a8 49e9 5ba9 7d7f", b"custom-key"),
            ("25a8 49e9 5bb8 e8b4 bf", b"custom-value"),
            ("6402", b"302"),
            ("aec3 771a 4b", b"private"),
            ("d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff", b"Mon, 21 Oct 2013 20:13:21 GMT"),
            ("9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3", b"https://www.example.com"),
            ("640e ff", b"307"),
            ("9bd9 ab", b"gzip"),
            ("94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
             b"foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"),
        ];
        for (h, want) in table {
            assert_eq!(dec(&hex(h)).unwrap(), *want);
            assert_eq!(encode(want), hex(h), "{}", String::from_utf8_lossy(want));
        }
    }

    #[test]
    fn padding_and_eos_rules() {
        assert_eq!(dec(&[]).unwrap(), b"");
        // '0' is 00000: 3 bits of ones pad it to a byte.
        assert_eq!(dec(&[0b0000_0111]).unwrap(), b"0");
        // Padding not all ones.
        assert_eq!(dec(&[0b0000_0101]), Err(Error::Huffman));
        // A whole byte of padding (8 bits, too long).
        assert_eq!(dec(&[0b0000_0111, 0xff]), Err(Error::Huffman));
        assert_eq!(dec(&[0xff]), Err(Error::Huffman));
        // EOS itself encoded (30 ones) followed by padding.
        assert_eq!(dec(&[0xff, 0xff, 0xff, 0xff]), Err(Error::Huffman));
        // A code cut short: the first 8 bits of the 13-bit code of symbol 0.
        assert_eq!(dec(&[0xff, 0xc0]), Err(Error::Huffman));
        // Seven bits of ones alone is valid padding of an empty string? The first symbol's code
        // would need more bits: 1111111 is the start of longer codes, all ones, under 8 bits.
        assert_eq!(dec(&[]).unwrap(), b"");
    }

    #[test]
    fn a_short_output_takes_what_fits_and_counts_the_rest() {
        let text = b"/baseline2?a=13&b=42 and some \x00\xff bytes";
        let enc = encode(text);
        for size in 0..text.len() + 3 {
            let mut buf = vec![0u8; size];
            assert_eq!(decode(&enc, &mut buf), Ok(text.len()));
            let n = size.min(text.len());
            assert_eq!(&buf[..n], &text[..n]);
        }
        // Bad padding is found however little of the output was kept.
        assert_eq!(decode(&[0b0000_0101], &mut []), Err(Error::Huffman));
    }

    #[test]
    fn counts_and_order_follow_the_codes() {
        assert_eq!(COUNT.iter().map(|&c| usize::from(c)).sum::<usize>(), 257);
        assert_eq!((COUNT[5], COUNT[6], COUNT[7], COUNT[8], COUNT[30]), (10, 26, 32, 6, 4));
        assert_eq!(&ORDER[..3], b"012");
    }
}
