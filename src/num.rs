//! Decimal numbers: writing unsigned/signed integers without core::fmt, parsing signed integers
//! with checked arithmetic (overflow is an error, never a wrap), a streaming integer reader for
//! request bodies, and the sum of a query string's integer values.

/// Writes `v` in decimal at the start of `buf` (which must hold at least 20 bytes) and returns
/// the number of bytes written. Never panics: a short buffer gets a truncated number.
pub fn write_u64(buf: &mut [u8], v: u64) -> usize {
    let mut t = [0u8; 20]; let mut i = 20; let mut v = v;
    loop { i -= 1; t[i] = b'0' + (v % 10) as u8; v /= 10; if v == 0 { break; } }
    let n = 20 - i; buf[..n].copy_from_slice(&t[i..]); n
}

/// Writes `v` in decimal (with a leading '-' when negative) at the start of `buf` (at least 20
/// bytes) and returns the number of bytes written.
pub fn write_i64(buf: &mut [u8], v: i64) -> usize {
    todo!()
}

/// Parses an optional sign ('-' or '+') followed by one or more ASCII digits, nothing else.
/// `None` when empty, on any other byte, or when the value does not fit in i64.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    todo!()
}

/// The sum of every value in a query string (`a=1&b=-2&c=x`, without the '?') that parses with
/// [`parse_i64`]; values that are not integers (and keys without '=') are skipped. `None` when a
/// value or the running sum overflows i64.
pub fn sum_query(query: &[u8]) -> Option<i64> {
    todo!()
}

/// Reads an integer body that arrives in pieces: optional whitespace (SP, HTAB, CR, LF), an
/// optional sign, digits, optional whitespace. Feed every piece with [`IntBody::feed`] then call
/// [`IntBody::finish`].
#[derive(Default)]
pub struct IntBody {
    // private state chosen by the implementation
}

impl IntBody {
    pub fn new() -> Self {
        todo!()
    }
    pub fn feed(&mut self, piece: &[u8]) {
        todo!()
    }
    /// The integer, or `None` if the body was empty, held anything else, or overflowed.
    pub fn finish(&self) -> Option<i64> {
        todo!()
    }
}
