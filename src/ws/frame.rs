//! The frame header (RFC 6455 §5.2) in both directions: [`parse`] reads a client's, and
//! [`write_header`] writes a server's (never masked, §5.1).
//!
//! ```text
//!  byte 0: FIN RSV1 RSV2 RSV3 opcode(4)     byte 1: MASK len7(7)
//!  len7 0..=125: the payload length; 126: a 16-bit length follows; 127: a 64-bit length follows
//!  then, if MASK, the 4-byte masking key; then the payload
//! ```
//!
//! Contract: `parse` looks only at the header's bytes and says how many it needs: `Partial(n)`
//! until all `n` are there (`n` grows from 2 to the exact size once byte 1 is known), then
//! `Complete` with the exact header `size` (2 to 14). It reports `Invalid` only for a length it
//! cannot accept: a 64-bit length with the most significant bit set (§5.2), and a length not
//! written in its minimal form (126 in 16 bits, or up to 65535 in 64 bits). §5.2 says the minimal
//! number of bytes MUST be used; mote reads the RFC strictly, so a non-minimal length is a
//! protocol error (1002), as everywhere else it refuses what the peer MUST NOT send. The other
//! rules (RSV bits, known opcodes, control frames short and final, masking) depend on what was
//! negotiated and on the sequence of frames, so the caller checks them on the `Header`.

/// Opcodes (§5.2, §11.8).
pub const CONTINUATION: u8 = 0x0;
pub const TEXT: u8 = 0x1;
pub const BINARY: u8 = 0x2;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xA;

/// The longest client header: 2 bytes, a 64-bit length, a masking key.
pub const MAX_HEADER: usize = 14;
/// The longest payload of a control frame (§5.5).
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// A parsed client frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub fin: bool,
    /// RSV1, RSV2, RSV3 as the three low bits (RSV1 = 4).
    pub rsv: u8,
    pub opcode: u8,
    /// The masking key, if the MASK bit was set.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub len: u64,
    /// The header's size in bytes, 2 to 14: the payload starts here.
    pub size: usize,
}

impl Header {
    /// Close, ping, pong and the reserved control opcodes 0xB-0xF.
    pub fn is_control(&self) -> bool {
        self.opcode & 0x8 != 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// The header needs at least this many bytes in total.
    Partial(usize),
    Complete(Header),
    /// A 64-bit length with its top bit set, or a length in a longer form than needed.
    Invalid,
}

/// Parses the frame header at the start of `buf`.
pub fn parse(buf: &[u8]) -> Parsed {
    let &[b0, b1, ..] = buf else { return Parsed::Partial(2) };
    let len7 = b1 & 0x7F;
    let ext = match len7 {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let masked = b1 & 0x80 != 0;
    let size = 2 + ext + if masked { 4 } else { 0 };
    let Some(head) = buf.get(..size) else { return Parsed::Partial(size) };
    // The extended length, big-endian, follows byte 1.
    let ext_bytes = head.get(2..).unwrap_or_default();
    let len = match (ext_bytes.first_chunk::<2>(), ext_bytes.first_chunk::<8>()) {
        _ if ext == 0 => u64::from(len7),
        (Some(b), _) if ext == 2 && u16::from_be_bytes(*b) >= 126 => u64::from(u16::from_be_bytes(*b)),
        (_, Some(b)) if ext == 8 && u64::from_be_bytes(*b) > 0xFFFF && b[0] < 0x80 => u64::from_be_bytes(*b),
        _ => return Parsed::Invalid,
    };
    Parsed::Complete(Header {
        fin: b0 & 0x80 != 0,
        rsv: (b0 >> 4) & 0x7,
        opcode: b0 & 0x0F,
        mask: if masked { head.last_chunk::<4>().copied() } else { None },
        len,
        size,
    })
}

/// The size of a server header for a payload of `len` bytes: 2, 4 or 10.
pub const fn header_size(len: usize) -> usize {
    if len <= 125 {
        2
    } else if len <= 0xFFFF {
        4
    } else {
        10
    }
}

/// Writes an unmasked header for a payload of `len` bytes at the start of `out`; returns its
/// size, or 0 (writing nothing) if `out` is shorter.
pub fn write_header(out: &mut [u8], fin: bool, opcode: u8, len: usize) -> usize {
    let mut h = [0u8; 10];
    h[0] = (u8::from(fin) << 7) | (opcode & 0x0F);
    let size = header_size(len);
    match size {
        2 => h[1] = len as u8,
        4 => {
            h[1] = 126;
            h[2] = (len >> 8) as u8;
            h[3] = len as u8;
        }
        _ => {
            h[1] = 127;
            for (d, s) in h.iter_mut().skip(2).zip((len as u64).to_be_bytes()) {
                *d = s;
            }
        }
    }
    let Some(dst) = out.get_mut(..size) else { return 0 };
    for (d, s) in dst.iter_mut().zip(h) {
        *d = s;
    }
    size
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client header for `len` in the given form (0: 7-bit, 2: 16-bit, 8: 64-bit).
    fn client_header(b0: u8, len: u64, form: usize, mask: Option<[u8; 4]>) -> Vec<u8> {
        let m = if mask.is_some() { 0x80 } else { 0 };
        let mut h = vec![b0];
        match form {
            0 => h.push(m | len as u8),
            2 => {
                h.push(m | 126);
                h.extend((len as u16).to_be_bytes());
            }
            _ => {
                h.push(m | 127);
                h.extend(len.to_be_bytes());
            }
        }
        h.extend(mask.iter().flatten());
        h
    }

    #[test]
    fn every_prefix_is_partial() {
        let key = Some([1, 2, 3, 4]);
        let cases = [
            (0x81, 0, 0, key),
            (0x81, 5, 0, key),
            (0x82, 125, 0, key),
            (0x02, 126, 2, key),
            (0x80, 65535, 2, key),
            (0x82, 65536, 8, key),
            (0x82, (1 << 63) - 1, 8, key),
            (0x89, 3, 0, None),
            (0x02, 300, 2, None),
            (0x02, 1 << 40, 8, None),
            (0xF5, 7, 0, key),
        ];
        for (b0, len, form, mask) in cases {
            let h = client_header(b0, len, form, mask);
            let want = Header {
                fin: b0 & 0x80 != 0,
                rsv: (b0 >> 4) & 7,
                opcode: b0 & 0xF,
                mask,
                len,
                size: h.len(),
            };
            for cut in 0..h.len() {
                let need = if cut < 2 { 2 } else { h.len() };
                assert_eq!(parse(&h[..cut]), Parsed::Partial(need), "{h:?} cut at {cut}");
            }
            // Complete with nothing after it and with payload bytes after it.
            assert_eq!(parse(&h), Parsed::Complete(want));
            let mut more = h.clone();
            more.extend([0xAA; 20]);
            assert_eq!(parse(&more), Parsed::Complete(want));
        }
    }

    #[test]
    fn invalid_lengths() {
        let key = Some([9, 9, 9, 9]);
        for (len, form) in [(0, 2), (125, 2), (0, 8), (125, 8), (126, 8), (65535, 8), (1 << 63, 8), (u64::MAX, 8)] {
            let h = client_header(0x82, len, form, key);
            // Partial until complete: the verdict needs the whole length.
            for cut in 0..h.len() {
                assert!(matches!(parse(&h[..cut]), Parsed::Partial(_)), "{len} cut at {cut}");
            }
            assert_eq!(parse(&h), Parsed::Invalid, "{len} in {form} bytes");
        }
        // The smallest of each form is fine.
        assert!(matches!(parse(&client_header(0x82, 126, 2, key)), Parsed::Complete(_)));
        assert!(matches!(parse(&client_header(0x82, 65536, 8, key)), Parsed::Complete(_)));
    }

    #[test]
    fn bits() {
        let Parsed::Complete(h) = parse(&[0x7A, 0x00]) else { panic!() };
        assert_eq!((h.fin, h.rsv, h.opcode, h.mask, h.len, h.size), (false, 7, 0xA, None, 0, 2));
        assert!(h.is_control());
        let Parsed::Complete(h) = parse(&[0x80, 0x80, 5, 6, 7, 8]) else { panic!() };
        assert_eq!((h.fin, h.rsv, h.opcode, h.mask, h.size), (true, 0, 0, Some([5, 6, 7, 8]), 6));
        assert!(!h.is_control());
    }

    #[test]
    fn server_headers() {
        let table: &[(usize, &[u8])] = &[
            (0, &[0x81, 0]),
            (125, &[0x81, 125]),
            (126, &[0x81, 126, 0, 126]),
            (65535, &[0x81, 126, 0xFF, 0xFF]),
            (65536, &[0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]),
            (1 << 40, &[0x81, 127, 0, 0, 1, 0, 0, 0, 0, 0]),
        ];
        for &(len, want) in table {
            let mut out = [0u8; 12];
            assert_eq!(write_header(&mut out, true, TEXT, len), want.len());
            assert_eq!(&out[..want.len()], want);
            assert_eq!(header_size(len), want.len());
            // What we write, we parse back (unmasked).
            assert_eq!(parse(want), Parsed::Complete(Header { fin: true, rsv: 0, opcode: 1, mask: None, len: len as u64, size: want.len() }));
            let mut short = [0u8; 12];
            assert_eq!(write_header(&mut short[..want.len() - 1], true, TEXT, len), 0);
            assert_eq!(short, [0; 12]);
        }
        let mut out = [0u8; 2];
        write_header(&mut out, false, CONTINUATION, 3);
        assert_eq!(out, [0x00, 3]);
    }
}
