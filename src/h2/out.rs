//! The output of one call: the worker's buffer, and a small spill area in the connection for
//! what one step wrote past the buffer's end.
//!
//! Contract: the connection processes the input one frame (a step) at a time and writes each
//! step's frames through [`Out`]; what does not fit in the worker's buffer goes to the spill, in
//! order, and the connection takes no further step until the spill has been drained into a
//! later call's buffer. So any buffer size works, down to one byte, and the spill never holds
//! more than one step's output ([`SPILL`] bytes, checked by the tests against the largest
//! step). All-zero bytes are an empty spill.

/// The spill area: more than the largest output of one step.
pub const SPILL: usize = 384;

pub struct Spill {
    bytes: [u8; SPILL],
    start: usize,
    end: usize,
    /// A step wrote more than [`SPILL`]: the connection must close (never happens by design).
    lost: bool,
}

impl Spill {
    pub const fn new() -> Self {
        Spill { bytes: [0; SPILL], start: 0, end: 0, lost: false }
    }

    pub fn reset(&mut self) {
        self.start = 0;
        self.end = 0;
        self.lost = false;
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    pub fn lost(&self) -> bool {
        self.lost
    }
}

impl Default for Spill {
    fn default() -> Self {
        Self::new()
    }
}

pub struct Out<'a> {
    buf: &'a mut [u8],
    len: usize,
    spill: &'a mut Spill,
}

impl<'a> Out<'a> {
    pub fn new(buf: &'a mut [u8], spill: &'a mut Spill) -> Self {
        Out { buf, len: 0, spill }
    }

    /// Bytes written into the buffer.
    pub fn written(&self) -> usize {
        self.len
    }

    /// Whether output waits in the spill (the caller takes no further step).
    #[inline]
    pub fn spilled(&self) -> bool {
        !self.spill.is_empty()
    }

    /// A step wrote more than the spill holds (a bug; the connection closes).
    pub fn spill_lost(&self) -> bool {
        self.spill.lost
    }

    /// Moves spilled bytes into the buffer.
    #[inline(never)]
    pub fn drain_spill(&mut self) {
        let pending = self.spill.bytes.get(self.spill.start..self.spill.end).unwrap_or(&[]);
        let room = self.buf.len().saturating_sub(self.len);
        let n = pending.len().min(room);
        if let (Some(dst), Some(src)) = (self.buf.get_mut(self.len..self.len + n), pending.get(..n)) {
            dst.copy_from_slice(src);
            self.len += n;
            self.spill.start += n;
        }
        if self.spill.start == self.spill.end {
            self.spill.start = 0;
            self.spill.end = 0;
        }
    }

    /// Writes `bytes`: into the buffer while it has room (and nothing is spilled), the rest
    /// into the spill.
    #[inline(never)]
    pub fn put(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        if !self.spilled() {
            let n = rest.len().min(self.buf.len().saturating_sub(self.len));
            if let (Some(dst), Some(src)) = (self.buf.get_mut(self.len..self.len + n), rest.get(..n)) {
                dst.copy_from_slice(src);
                self.len += n;
            }
            rest = rest.get(n..).unwrap_or(&[]);
        }
        if rest.is_empty() {
            return;
        }
        match self.spill.bytes.get_mut(self.spill.end..self.spill.end + rest.len()) {
            Some(dst) => {
                dst.copy_from_slice(rest);
                self.spill.end += rest.len();
            }
            None => self.spill.lost = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spills_in_order_and_drains() {
        let mut spill = Spill::new();
        let mut buf = [0u8; 5];
        let mut out = Out::new(&mut buf, &mut spill);
        out.put(b"abc");
        // What does not fit goes to the spill, and what follows it too.
        out.put(b"defg");
        out.put(b"hi");
        assert!(out.spilled());
        assert_eq!(out.written(), 5);
        assert_eq!(&buf[..5], b"abcde");
        let mut buf = [0u8; 2];
        let mut out = Out::new(&mut buf, &mut spill);
        out.drain_spill();
        assert!(out.spilled());
        assert_eq!(&buf, b"fg");
        let mut buf = [0u8; 4];
        let mut out = Out::new(&mut buf, &mut spill);
        out.drain_spill();
        assert!(!out.spilled());
        assert_eq!(out.written(), 2);
        assert_eq!(&buf[..2], b"hi");
        assert!(!spill.lost());
    }

    #[test]
    fn zero_sized_buffer_and_overflow() {
        let mut spill = Spill::new();
        let mut out = Out::new(&mut [], &mut spill);
        out.put(&[1; 300]);
        out.put(&[2; 84]);
        assert!(!out.spill.lost());
        out.put(&[3; 1]);
        assert!(out.spill.lost());
    }
}
