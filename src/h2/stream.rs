//! The streams a connection keeps (RFC 9113 §5.1): only those that are still receiving a
//! request body (open) or whose answer waits for flow-control window (half-closed remote).
//!
//! Contract: a request whose HEADERS end the stream is answered at once and keeps no entry
//! unless the peer's window holds back its body; a stream is 40 bytes, the answer whose body
//! waits kept inline (a router [`Answer`] is a few bytes: its body is a number or a fixed text).
//! The routed request of a stream still receiving its body lives in one of [`BODY_SLOTS`] slots
//! beside the table; a request that finds no free slot is refused (REFUSED_STREAM, safe to
//! retry: nothing was done). Lookups are linear over the open streams, which are few: the
//! benchmark's GETs leave none. All-zero bytes are an empty table.

use crate::num;
use crate::router::{self, Answer, Body, Pending};

/// Streams kept at once: our SETTINGS_MAX_CONCURRENT_STREAMS.
pub const MAX_STREAMS: usize = 128;
/// Streams that may be receiving a request body at once.
pub const BODY_SLOTS: usize = 15;
/// The longest answer body: a reason phrase and its newline, or a 20-character number.
pub const BODY_CAP: usize = 40;

/// An answer's body bytes (fixed ones as they are, the others written into `buf`).
#[inline(never)]
pub fn body_bytes<'a>(answer: &Answer, buf: &'a mut [u8; BODY_CAP]) -> &'a [u8] {
    let n = match answer.body {
        Body::Ok => return b"ok",
        Body::Empty => 0,
        Body::Number(v) => num::write_i64(buf, v),
        Body::Reason => {
            let r = router::reason(answer.status);
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

/// Where a kept stream is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Open: the request body is arriving; its state is in body slot `slot`.
    Receiving { slot: u8 },
    /// Half-closed (remote): answered, but body bytes from `sent` on wait for window; reset
    /// with NO_ERROR once sent when the request was cut short by the answer (§8.1).
    Sending { answer: Answer, sent: u16, reset_after: bool },
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
const NO_SLOT: BodySlot = BodySlot { pending: Pending::Fixed(router::OK), head: false, content_length: None, received: 0, window: 0, unacked: 0 };

/// In this order (`repr(C)`): the body slots, the streams (filled from the end), the counts:
/// a request touches only the counts and the last few streams (see [`crate::h2::conn::Conn`]).
#[repr(C)]
pub struct Streams {
    /// Body slots; bit `i` of `used` says slot `i` holds a request.
    slots: [BodySlot; BODY_SLOTS],
    items: [Stream; MAX_STREAMS],
    len: usize,
    used: u16,
}

/// Where the counts start in [`Streams`].
pub const COUNTS_AT: usize = core::mem::offset_of!(Streams, len);
/// The bytes of the last few streams, which every request touches.
pub const NEWEST: usize = 8 * core::mem::size_of::<Stream>();

impl Streams {
    pub const fn new() -> Self {
        Streams { items: [NO_STREAM; MAX_STREAMS], len: 0, slots: [NO_SLOT; BODY_SLOTS], used: 0 }
    }

    /// Forgets every stream (cheap: nothing but the counts is touched).
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

    /// The kept streams, newest first. They fill `items` from its end, next to the counts:
    /// stream `i` (in order of arrival, as the other methods count) is `items[MAX_STREAMS - 1 - i]`.
    pub fn all(&self) -> &[Stream] {
        self.items.get(MAX_STREAMS - self.len..).unwrap_or(&[])
    }

    /// Every kept stream (for window changes), newest first.
    pub fn all_mut(&mut self) -> &mut [Stream] {
        self.items.get_mut(MAX_STREAMS - self.len..).unwrap_or(&mut [])
    }

    /// Where stream `i` is in `items`.
    fn at(&self, i: usize) -> usize {
        if i < self.len { MAX_STREAMS - 1 - i } else { MAX_STREAMS }
    }

    #[inline(never)]
    pub fn find(&self, id: u32) -> Option<usize> {
        self.all().iter().rposition(|s| s.id == id).map(|p| self.len - 1 - p)
    }

    #[inline(never)]
    pub fn get(&self, i: usize) -> Option<&Stream> {
        self.items.get(self.at(i))
    }

    #[inline(never)]
    pub fn get_mut(&mut self, i: usize) -> Option<&mut Stream> {
        let at = self.at(i);
        self.items.get_mut(at)
    }

    /// Adds a stream; its index, `None` when the table is full.
    pub fn add(&mut self, s: Stream) -> Option<usize> {
        let i = self.len;
        *self.items.get_mut(MAX_STREAMS.checked_sub(i + 1)?)? = s;
        self.len += 1;
        Some(i)
    }

    /// Removes stream `i` (and frees its body slot).
    #[inline(never)]
    pub fn remove(&mut self, i: usize) {
        let len = self.len;
        if i >= len {
            return;
        }
        // The last kept stream takes its place.
        let last = self.items.get(MAX_STREAMS - len).copied();
        if let (Some(s), Some(last)) = (self.items.get_mut(MAX_STREAMS - 1 - i), last) {
            if let Phase::Receiving { slot } = s.phase {
                self.used &= !(1u16 << (slot & 15));
            }
            *s = last;
        }
        self.len = len - 1;
    }

    /// Puts a receiving request in a free body slot.
    pub fn take_slot(&mut self, body: BodySlot) -> Option<u8> {
        let i = self.used.trailing_ones() as usize;
        *self.slots.get_mut(i)? = body;
        self.used |= 1 << i;
        Some(i as u8)
    }

    pub fn slot_mut(&mut self, slot: u8) -> Option<&mut BodySlot> {
        if self.used >> (slot & 15) & 1 == 0 {
            return None;
        }
        self.slots.get_mut(usize::from(slot))
    }

    pub fn free_slot(&mut self, slot: u8) {
        self.used &= !(1u16 << (slot & 15));
    }

    /// Whether some answer waits for window.
    pub fn any_sending(&self) -> bool {
        self.all().iter().any(|s| matches!(s.phase, Phase::Sending { .. }))
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

    fn sending(body: Body) -> Phase {
        Phase::Sending { answer: Answer { status: 200, body, extra: router::Extra::None }, sent: 0, reset_after: false }
    }

    #[test]
    fn every_answer_body_fits_inline() {
        let mut buf = [0u8; BODY_CAP];
        for status in 100..600 {
            let b = body_bytes(&Answer::error(status), &mut buf);
            assert_eq!(b.len(), router::reason(status).len() + 1);
            assert!(b.ends_with(b"\n"));
        }
        let number = |n| Answer { status: 200, body: Body::Number(n), extra: router::Extra::None };
        assert_eq!(body_bytes(&number(i64::MIN), &mut buf), b"-9223372036854775808");
        assert_eq!(body_bytes(&number(42), &mut buf), b"42");
        assert_eq!(body_bytes(&router::OK, &mut buf), b"ok");
        assert_eq!(body_bytes(&Answer::error(404), &mut buf), b"Not Found\n");
        assert!(core::mem::size_of::<Stream>() <= 40, "{}", core::mem::size_of::<Stream>());
    }

    #[test]
    fn table_and_slots() {
        let mut t = Streams::new();
        assert!(t.is_empty());
        for id in 0..MAX_STREAMS as u32 {
            assert!(t.add(Stream { id: 2 * id + 1, window: 10, phase: sending(Body::Ok) }).is_some());
        }
        assert!(t.is_full());
        assert!(t.add(NO_STREAM).is_none());
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
        assert!(t.add(Stream { id: 1, window: 0, phase: Phase::Receiving { slot: got[3] } }).is_some());
        t.remove(0);
        assert_eq!(t.take_slot(slot()), Some(got[3]));
        assert!(t.slot_mut(got[3]).is_some());
        t.free_slot(got[3]);
        assert!(t.slot_mut(got[3]).is_none());
    }
}
