//! The chunked transfer coding (RFC 9112 §7.1): chunk sizes in hex (either case), optional chunk
//! extensions, chunk data, the last chunk, optional trailer fields, the final CRLF.

/// What decoding found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunked {
    /// The whole chunked body ends at this many bytes from the start of `buf`.
    Complete(usize),
    /// Every byte so far is a valid prefix; more are needed.
    Partial,
    /// Malformed (bad hex, overflow, missing CRLF, bad extension or trailer, bare CR/LF, ...).
    Malformed,
    /// The decoded data would exceed `max_body` bytes.
    TooLarge,
}

/// Decodes the chunked body at the start of `buf`, passing each piece of chunk data to `sink`
/// in order. The caller reparses from the start when more bytes arrive, so on `Partial` the
/// sink may have seen a prefix of the data: callers reset whatever the sink fills before each
/// call.
pub fn decode(buf: &[u8], max_body: u64, sink: &mut dyn FnMut(&[u8])) -> Chunked {
    todo!()
}
