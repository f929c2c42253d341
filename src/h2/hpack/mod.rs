//! HPACK, the header compression of HTTP/2 (RFC 7541), split by concern:
//!
//! - [`huffman`]: the static Huffman code (Appendix B, kept as data) and a canonical decoder;
//! - [`table`]: the static table (Appendix A) and the decoder's dynamic table;
//! - [`decoder`]: header blocks into fields, for the request side;
//! - [`encoder`]: response header blocks, indexing the fields every answer repeats.
//!
//! Contract: every malformed block is an [`Error`], which the connection turns into a
//! connection error of type COMPRESSION_ERROR (RFC 9113 §4.3): after one, the two ends no
//! longer agree on the dynamic table. Nothing here panics, allocates or reads past a slice.

pub mod huffman;
pub mod table;
pub mod decoder;
pub mod encoder;

/// Why a header block could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The block ends inside a representation.
    Truncated,
    /// An integer with more continuation bytes than any valid value needs (§5.1).
    Integer,
    /// An index of 0 or past the end of the tables (§2.3.3).
    Index,
    /// Huffman code with bad padding or an EOS symbol (§5.2).
    Huffman,
    /// A dynamic table size update past our limit, or not at the start of a block (§4.2, §6.3).
    SizeUpdate,
}

/// Reads an integer with a `prefix`-bit prefix (§5.1) at `*pos`, advancing it. Values are
/// limited to 2^28 + 2^prefix (four continuation bytes), far above anything a block of ours can
/// hold; more continuation bytes are an error rather than a wrap.
#[inline(never)]
pub fn read_int(block: &[u8], pos: &mut usize, prefix: u32) -> Result<usize, Error> {
    let max = (1usize << prefix) - 1;
    let (mut value, mut shift) = (0, 0);
    // The prefix, then up to four continuation bytes of 7 bits, least significant first.
    while shift <= 28 {
        let b = usize::from(*block.get(*pos).ok_or(Error::Truncated)?);
        *pos += 1;
        if shift == 0 {
            value = b & max;
            if value < max {
                return Ok(value);
            }
            shift = 1;
            continue;
        }
        value += (b & 0x7f) << (shift - 1);
        if b < 0x80 {
            return Ok(value);
        }
        shift += 7;
    }
    Err(Error::Integer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_appendix_c1_and_limits() {
        let mut pos = 0;
        assert_eq!(read_int(&[0xea], &mut pos, 5), Ok(10));
        assert_eq!(pos, 1);
        let mut pos = 0;
        assert_eq!(read_int(&[31, 154, 10], &mut pos, 5), Ok(1337));
        assert_eq!(pos, 3);
        let mut pos = 0;
        assert_eq!(read_int(&[42], &mut pos, 8), Ok(42));
        let mut pos = 0;
        assert_eq!(read_int(&[0x7f, 0], &mut pos, 7), Ok(127));
        let mut pos = 0;
        assert_eq!(read_int(&[0x7f, 0xff, 0xff, 0xff, 0x7f], &mut pos, 7), Ok(127 + (1 << 28) - 1));
        let mut pos = 0;
        assert_eq!(read_int(&[0x7f, 0x80, 0x80, 0x80, 0x80, 0x01], &mut pos, 7), Err(Error::Integer));
        for cut in [&[][..], &[0x1f], &[0x1f, 0x80]] {
            let mut pos = 0;
            assert_eq!(read_int(cut, &mut pos, 5), Err(Error::Truncated), "{cut:?}");
        }
        // Round trips with the writer.
        for prefix in 1..=8 {
            for v in [0usize, 1, 30, 31, 32, 126, 127, 128, 254, 255, 256, 1337, 16_384, 1 << 20] {
                let mut buf = [0u8; 8];
                let mut c = crate::h2::cursor::Cursor::new(&mut buf);
                c.int(0, prefix, v);
                let n = c.len();
                let mut pos = 0;
                assert_eq!(read_int(&buf[..n], &mut pos, prefix), Ok(v), "{v} on {prefix}");
                assert_eq!(pos, n);
            }
        }
    }
}
