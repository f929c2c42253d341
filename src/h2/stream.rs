//! The streams a connection keeps (RFC 9113 §5.1): only those that are still receiving a
//! request body (open) or whose answer waits for flow-control window (half-closed remote).
//!
//! Contract: a request whose HEADERS end the stream is answered at once and never gets an
//! entry unless the peer's window holds back its body; a stream is 40 bytes, the few body bytes
//! of a held-back answer kept inline ([`Owed`]). The routed request of a stream still
//! receiving its body lives in one of [`BODY_SLOTS`] slots beside the table (a router
//! `Pending` is 144 bytes); a request that finds no free slot is refused (REFUSED_STREAM, safe
//! to retry: nothing was done). Lookups are linear over the open streams, which are few: the
//! benchmark's GETs leave none.

use crate::num;
use crate::router::{self, Body, Pending};

/// Streams kept at once: our SETTINGS_MAX_CONCURRENT_STREAMS.
pub const MAX_STREAMS: usize = 128;
/// Streams that may be receiving a request body at once.
pub const BODY_SLOTS: usize = 15;
/// The longest answer body: a reason phrase and its newline, or a 20-character number.
pub const BODY_CAP: usize = 40;

/// Writes `v` in decimal (one copy of the digit loop for the module; lengths and sums are
/// mostly one or two digits, written without it).
#[inline]
pub fn digits(buf: &mut [u8], v: u64) -> usize {
    match (v, buf) {
        (0..=9, [a, ..]) => {
            *a = b'0' + v as u8;
            1
        }
        (10..=99, [a, b, ..]) => {
            *a = b'0' + (v / 10) as u8;
            *b = b'0' + (v % 10) as u8;
            2
        }
        (_, buf) => long_digits(buf, v),
    }
}

#[inline(never)]
fn long_digits(buf: &mut [u8], v: u64) -> usize {
    num::write_u64(buf, v)
}

/// An answer's body, small enough to keep per stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owed {
    Text(&'static [u8]),
    Number(i64),
    /// The status's reason phrase and a newline.
    Reason(u16),
}

impl Owed {
    pub fn of(body: Body, status: u16) -> Owed {
        match body {
            Body::Ok => Owed::Text(b"ok"),
            Body::Text(t) => Owed::Text(t),
            Body::Number(n) => Owed::Number(n),
            Body::Reason => Owed::Reason(status),
        }
    }

    /// The body's bytes (a `Text` as it is, the others written into `buf`).
    #[inline(never)]
    pub fn bytes<'a>(&self, buf: &'a mut [u8; BODY_CAP]) -> &'a [u8] {
        let n = match *self {
            Owed::Text(t) => return t.get(..usize::from(u16::MAX)).unwrap_or(t),
            Owed::Number(v) => {
                // A '-' first, kept for negative values.
                let (sign, rest) = buf.split_at_mut(1);
                sign[0] = b'-';
                let n = digits(rest, v.unsigned_abs()) + 1;
                return buf.get(usize::from(v >= 0)..n).unwrap_or(&[]);
            }
            Owed::Reason(status) => {
                let r = router::reason(status);
                let n = r.len().min(BODY_CAP - 1);
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), r.get(..n)) {
                    dst.copy_from_slice(src);
                }
                if let Some(nl) = buf.get_mut(n) {
                    *nl = b'\n';
                }
                n + 1
            }
        };
        buf.get(..n).unwrap_or(&[])
    }
}

/// Where a kept stream is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Open: the request body is arriving; its state is in body slot `slot`.
    Receiving { slot: u8 },
    /// Half-closed (remote): answered, but body bytes from `sent` on wait for window; reset
    /// with NO_ERROR once sent when the request was cut short by the answer (§8.1).
    Sending { body: Owed, sent: u16, reset_after: bool },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stream {
    pub id: u32,
    /// The peer's flow-control window for our DATA on this stream (§6.9).
    pub window: i32,
    pub phase: Phase,
}

/// A request still receiving its body.
#[derive(Clone, Copy)]
pub struct BodySlot {
    pub pending: Pending,
    /// HEAD: the answer has no body.
    pub head: bool,
    pub content_length: Option<u64>,
    pub received: u64,
    /// Our window for the peer's DATA on this stream, and what was consumed since we last
    /// opened it.
    pub window: i32,
    pub unacked: u32,
}

const NO_STREAM: Stream = Stream { id: 0, window: 0, phase: Phase::Receiving { slot: 0 } };

pub struct Streams {
    items: [Stream; MAX_STREAMS],
    len: usize,
    /// Body slots; bit `i` of `used` says slot `i` holds a request (the `Option` only lets the
    /// array be built before any request exists).
    slots: [Option<BodySlot>; BODY_SLOTS],
    used: u16,
}

impl Streams {
    pub const fn new() -> Self {
        Streams { items: [NO_STREAM; MAX_STREAMS], len: 0, slots: [None; BODY_SLOTS], used: 0 }
    }

    /// Forgets every stream (cheap: the slots in use are cleared, nothing else is touched).
    pub fn reset(&mut self) {
        self.len = 0;
        self.used = 0;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_full(&self) -> bool {
        self.len >= MAX_STREAMS
    }

    #[inline]
    pub fn find(&self, id: u32) -> Option<usize> {
        self.items.get(..self.len)?.iter().position(|s| s.id == id)
    }

    pub fn get(&self, i: usize) -> Option<&Stream> {
        self.items.get(..self.len)?.get(i)
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut Stream> {
        self.items.get_mut(..self.len)?.get_mut(i)
    }

    /// Adds a stream; false when the table is full.
    #[inline(never)]
    pub fn add(&mut self, s: Stream) -> bool {
        match self.items.get_mut(self.len) {
            Some(slot) => {
                *slot = s;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    /// Removes stream `i` (and frees its body slot).
    #[inline(never)]
    pub fn remove(&mut self, i: usize) {
        if i >= self.len {
            return;
        }
        if let Some(Stream { phase: Phase::Receiving { slot }, .. }) = self.items.get(i) {
            self.free_slot(*slot);
        }
        // The last kept stream takes its place (a pattern, not indexing: no bounds check).
        if let Some([first, .., last]) = self.items.get_mut(i..self.len) {
            core::mem::swap(first, last);
        }
        self.len -= 1;
    }

    /// Puts a receiving request in a free body slot.
    #[inline(never)]
    pub fn take_slot(&mut self, body: BodySlot) -> Option<u8> {
        let i = self.used.trailing_ones() as usize;
        *self.slots.get_mut(i)? = Some(body);
        self.used |= 1 << i;
        Some(i as u8)
    }

    pub fn slot_mut(&mut self, slot: u8) -> Option<&mut BodySlot> {
        if self.used >> slot & 1 == 0 {
            return None;
        }
        self.slots.get_mut(usize::from(slot))?.as_mut()
    }

    pub fn free_slot(&mut self, slot: u8) {
        self.used &= !(1u16 << (slot & 15));
    }

    /// Every kept stream (for window changes and sending).
    pub fn all_mut(&mut self) -> &mut [Stream] {
        self.items.get_mut(..self.len).unwrap_or(&mut [])
    }

    /// Whether some answer waits for window.
    pub fn any_sending(&self) -> bool {
        self.items.get(..self.len).unwrap_or(&[]).iter().any(|s| matches!(s.phase, Phase::Sending { .. }))
    }
}

impl Default for Streams {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot() -> BodySlot {
        BodySlot { pending: router::route(router::Method::Post, b"/", b""), head: false, content_length: None, received: 0, window: 65_535, unacked: 0 }
    }

    #[test]
    fn every_answer_body_fits_inline() {
        for status in 100..600 {
            let mut buf = [0u8; BODY_CAP];
            let b = Owed::Reason(status).bytes(&mut buf);
            assert_eq!(b.len(), router::reason(status).len() + 1);
            assert!(b.ends_with(b"\n"));
        }
        let mut buf = [0u8; BODY_CAP];
        assert_eq!(Owed::Number(i64::MIN).bytes(&mut buf), b"-9223372036854775808");
        assert_eq!(Owed::Text(b"ok").bytes(&mut buf), b"ok");
        assert_eq!(Owed::of(Body::Reason, 404).bytes(&mut buf), b"Not Found\n");
        assert!(core::mem::size_of::<Stream>() <= 40, "{}", core::mem::size_of::<Stream>());
    }

    #[test]
    fn table_and_slots() {
        let mut t = Streams::new();
        assert!(t.is_empty());
        for id in 0..MAX_STREAMS as u32 {
            assert!(t.add(Stream { id: 2 * id + 1, window: 10, phase: Phase::Sending { body: Owed::Text(b"ok"), sent: 0, reset_after: false } }));
        }
        assert!(t.is_full());
        assert!(!t.add(NO_STREAM));
        assert_eq!(t.find(255), Some(127));
        assert_eq!(t.find(2), None);
        t.remove(0);
        assert_eq!(t.len(), MAX_STREAMS - 1);
        assert_eq!(t.find(1), None);
        assert_eq!(t.find(255), Some(0));
        assert!(t.any_sending());
        t.reset();
        assert_eq!(t.len(), 0);
        assert!(!t.any_sending());
        // Slots run out, and come back when their stream goes.
        let mut got = Vec::new();
        while let Some(s) = t.take_slot(slot()) {
            got.push(s);
        }
        assert_eq!(got.len(), BODY_SLOTS);
        assert!(t.add(Stream { id: 1, window: 0, phase: Phase::Receiving { slot: got[3] } }));
        t.remove(0);
        assert_eq!(t.take_slot(slot()), Some(got[3]));
        assert!(t.slot_mut(got[3]).is_some());
        t.free_slot(got[3]);
        assert!(t.slot_mut(got[3]).is_none());
    }
}
