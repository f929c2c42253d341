//! A bounded writer over a byte slice: a connection's output, frames and header blocks.
//!
//! Contract: nothing is ever written past the slice. A write that does not fit writes nothing
//! and sets `overflow`; callers make sure there is room for what they write (a connection takes
//! a step only with [`MAX_STEP`] bytes free, and tests check that no step writes more), but a
//! mistake costs a refused write (and the connection), never a panic.

/// The most one step of a connection (one frame in, or one answer's DATA out) writes: one
/// answer (HEADERS, DATA), a reset and two window updates, or a GOAWAY.
pub const MAX_STEP: usize = 256;

pub struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
    overflow: bool,
    /// Working space that goes with the output (a connection's HPACK scratch buffer).
    pub scratch: &'a mut [u8],
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        Cursor { buf, len: 0, overflow: false, scratch: &mut [] }
    }

    /// Bytes written so far.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether a write did not fit.
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    /// Whether a step may be taken: [`MAX_STEP`] bytes are free.
    #[inline(never)]
    pub fn has_room(&self) -> bool {
        self.buf.len().saturating_sub(self.len) >= MAX_STEP
    }

    /// The bytes written so far.
    pub fn written(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// A frame (RFC 9113 §4.1): its 9-byte header, then `payload`.
    #[inline(never)]
    pub fn frame(&mut self, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
        self.put(&crate::h2::frame::head(payload.len(), kind, flags, stream));
        self.put(payload);
    }

    #[inline(never)]
    pub fn put(&mut self, bytes: &[u8]) {
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len += bytes.len();
            }
            None => self.overflow = true,
        }
    }

    pub fn byte(&mut self, b: u8) {
        self.put(&[b]);
    }

    /// Overwrites bytes already written at `at` (a frame length filled in afterwards).
    pub fn patch(&mut self, at: usize, bytes: &[u8]) {
        if at + bytes.len() <= self.len
            && let Some(dst) = self.buf.get_mut(at..at + bytes.len()) {
                dst.copy_from_slice(bytes);
            }
    }

    /// An HPACK integer (RFC 7541 §5.1): `flags` in the bits above the `prefix`-bit prefix.
    #[inline(never)]
    pub fn int(&mut self, flags: u8, prefix: u32, value: usize) {
        let max = (1usize << prefix) - 1;
        if value < max {
            self.byte(flags | value as u8);
            return;
        }
        self.byte(flags | max as u8);
        let mut rest = value - max;
        while rest >= 128 {
            self.byte(0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        self.byte(rest as u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_writes() {
        let mut buf = [0u8; 4];
        let mut c = Cursor::new(&mut buf);
        c.put(b"abc");
        c.put(b"de");
        assert!(c.overflowed());
        c.byte(b'x');
        c.byte(b'y');
        assert_eq!(c.written(), b"abcx");
        c.patch(1, b"ZZ");
        assert_eq!(c.written(), b"aZZx");
        c.patch(3, b"ZZ");
        assert_eq!(c.written(), b"aZZx");
    }

    #[test]
    fn hpack_integers_appendix_c1() {
        let mut buf = [0u8; 8];
        // C.1.1: 10 on a 5-bit prefix.
        let mut c = Cursor::new(&mut buf);
        c.int(0xe0, 5, 10);
        assert_eq!(c.written(), &[0xea]);
        // C.1.2: 1337 on a 5-bit prefix.
        let mut c = Cursor::new(&mut buf);
        c.int(0, 5, 1337);
        assert_eq!(c.written(), &[31, 154, 10]);
        // C.1.3: 42 on an 8-bit prefix.
        let mut c = Cursor::new(&mut buf);
        c.int(0, 8, 42);
        assert_eq!(c.written(), &[42]);
        // Exactly 2^N - 1 needs a second byte of 0.
        let mut c = Cursor::new(&mut buf);
        c.int(0x80, 7, 127);
        assert_eq!(c.written(), &[0xff, 0]);
    }
}
