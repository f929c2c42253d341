//! A worker's connection slots: a fixed number, allocated once at start-up, each with a read
//! buffer and a write buffer cut from one mapping. Pages of a slot's buffers cost RAM only once
//! touched, and the worker touches them only when a connection has bytes to keep between events
//! (a partial request, or output the socket did not take): most connections never do.
//!
//! Each slot is named by a [`Token`] (index and generation) kept in the connection's epoll data.
//! Freeing a slot bumps its generation, so an event still queued for a closed connection no
//! longer matches the slot's new tenant and is dropped.
//!
//! Contract: after `insert` returns a token, `get(token)` gives that slot until `remove`; every
//! slot is either free or live, and `live() + free slots == capacity()`.
#![allow(unsafe_code)]

use crate::h2;
use crate::http1;
use crate::sys;
use crate::ws;
use core::mem::size_of;

/// The protocol a connection speaks, with its state between reads. `repr(u8)` with HTTP/1.1's
/// idle state first: all-zero bytes are that state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Proto {
    Http1(http1::Conn) = 0,
    /// Upgraded to WebSocket.
    Ws(ws::Conn) = 1,
    /// HTTP/2 (prior knowledge, on the h2c port): its state is too big for a slot and lives in
    /// the worker's [`H2Pool`] at the slot's index.
    H2 = 2,
}

impl Proto {
    /// Whether a request has begun and not been answered (HTTP/1.1 only): its time is bounded
    /// by the header timeout, and a stop lets it finish.
    pub fn begun(&self) -> bool {
        match self {
            Proto::Http1(c) => c.begun(),
            Proto::Ws(_) | Proto::H2 => false,
        }
    }
}

impl Default for Proto {
    fn default() -> Self {
        Proto::Http1(http1::Conn::default())
    }
}

/// Where a connection is in its life. `repr(u8)`, open first: all-zero bytes are `Open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(u8)]
pub enum Life {
    #[default]
    Open = 0,
    /// Close once the unsent output is gone.
    Closing = 1,
    /// Our side is shut (FIN sent); input is read and dropped until the peer closes too or the
    /// deadline passes, so unread input never turns the close into a reset that destroys
    /// answers in flight.
    Lingering = 2,
}

/// A connection's state between events. All-zero bytes are a valid (free) slot.
#[derive(Clone, Copy, Default)]
pub struct Slot {
    /// The socket; -1 while free.
    pub fd: i32,
    /// Bumped on every free, to tell stale tokens apart.
    generation: u32,
    /// Bytes of unanswered input at the start of the read buffer.
    pub rlen: u32,
    /// Unsent output in the write buffer: `wbuf[wpos..wlen]`.
    pub wpos: u32,
    pub wlen: u32,
    /// Coarse time (worker seconds) at which the connection times out.
    pub deadline: u32,
    /// While output waits for the peer: the kernel's send queue when the wait began or last
    /// moved, to tell a slow reader from one that stopped.
    pub queued: u32,
    /// Worker-defined hints about the socket (unread input, the peer's close, ...).
    pub io: u8,
    pub life: Life,
    /// Whether the slot holds a connection.
    live: bool,
    /// Whether the connection counts toward the process's connection limit (a refused one,
    /// lingering after its 503, does not).
    pub counted: bool,
    /// Next free slot (index + 1; 0 = none) while free.
    next_free: u32,
    pub proto: Proto,
}

/// Names one tenancy of one slot: `generation << 32 | index`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Token(pub u64);

impl Token {
    fn new(index: usize, generation: u32) -> Self {
        Token(u64::from(generation) << 32 | index as u64)
    }
    fn index(self) -> usize {
        (self.0 & 0xffff_ffff) as usize
    }
    fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
}

pub struct Arena {
    slots: &'static mut [Slot],
    buffers: &'static mut [u8],
    rbuf: usize,
    wbuf: usize,
    /// Head of the free list (index + 1; 0 = empty).
    free: u32,
    /// Slots below this index have been used at least once; above it, never touched.
    high: usize,
    live: usize,
}

/// Maps `len` zeroed bytes that live as long as the process (pages cost RAM once touched).
pub fn map_zeroed(len: usize) -> Result<&'static mut [u8], sys::Errno> {
    let len = len.max(1);
    let p = sys::mmap_anon(len, sys::PROT_READ | sys::PROT_WRITE)?;
    // SAFETY: a fresh private mapping of `len` readable, writable, zeroed bytes that is never
    // unmapped; this is the only reference to it.
    Ok(unsafe { core::slice::from_raw_parts_mut(p, len) })
}

impl Arena {
    /// Reserves `capacity` slots, each with `rbuf` bytes to read into and `wbuf` to write from.
    pub fn new(capacity: usize, rbuf: usize, wbuf: usize) -> Result<Self, sys::Errno> {
        let capacity = capacity.clamp(1, u32::MAX as usize - 1);
        let slot_bytes = capacity.checked_mul(size_of::<Slot>()).ok_or(sys::Errno::ENOMEM)?;
        let raw = map_zeroed(slot_bytes)?;
        // SAFETY: mmap returns page-aligned memory, which satisfies Slot's alignment; the
        // mapping holds `capacity` Slots exactly; an all-zero Slot is a valid value (integers,
        // bools false, and `repr(u8)` enums whose variant 0 holds only zero-valid data: see the
        // test `an_all_zero_slot_is_a_free_one`); `raw` is not used again, so this is the only
        // reference.
        let slots = unsafe {
            core::slice::from_raw_parts_mut(raw.as_mut_ptr().cast::<Slot>(), capacity)
        };
        let stride = rbuf.checked_add(wbuf).ok_or(sys::Errno::ENOMEM)?;
        let buffers = map_zeroed(capacity.checked_mul(stride).ok_or(sys::Errno::ENOMEM)?)?;
        Ok(Self { slots, buffers, rbuf, wbuf, free: 0, high: 0, live: 0 })
    }

    pub fn capacity(&self) -> usize {
        self.slots.len()
    }
    pub fn live(&self) -> usize {
        self.live
    }
    pub fn rbuf_size(&self) -> usize {
        self.rbuf
    }
    pub fn wbuf_size(&self) -> usize {
        self.wbuf
    }
    /// Slots at or above this index have never been used (for sweeps).
    pub fn high_water(&self) -> usize {
        self.high
    }

    /// Takes a free slot for `fd`; `None` when all are in use.
    pub fn insert(&mut self, fd: i32, deadline: u32) -> Option<Token> {
        let index = if self.free != 0 {
            let i = (self.free - 1) as usize;
            self.free = self.slots.get(i)?.next_free;
            i
        } else if self.high < self.slots.len() {
            self.high += 1;
            self.high - 1
        } else {
            return None;
        };
        let slot = self.slots.get_mut(index)?;
        let generation = slot.generation;
        *slot = Slot { fd, generation, deadline, live: true, ..Slot::default() };
        self.live += 1;
        Some(Token::new(index, generation))
    }

    /// The slot a token names, if that tenancy is still live.
    pub fn resolve(&self, token: Token) -> Option<usize> {
        let slot = self.slots.get(token.index())?;
        (slot.live && slot.generation == token.generation()).then_some(token.index())
    }

    /// The token of a live slot.
    pub fn token(&self, index: usize) -> Option<Token> {
        let slot = self.slots.get(index)?;
        slot.live.then(|| Token::new(index, slot.generation))
    }

    pub fn slot(&mut self, index: usize) -> Option<&mut Slot> {
        self.slots.get_mut(index).filter(|s| s.live)
    }

    /// A live slot with its read and write buffers.
    pub fn parts(&mut self, index: usize) -> Option<(&mut Slot, &mut [u8], &mut [u8])> {
        let slot = self.slots.get_mut(index).filter(|s| s.live)?;
        let stride = self.rbuf + self.wbuf;
        let region = self.buffers.get_mut(index * stride..(index + 1) * stride)?;
        let (r, w) = region.split_at_mut_checked(self.rbuf)?;
        Some((slot, r, w))
    }

    /// Frees a slot; returns its fd (which the caller closes).
    pub fn remove(&mut self, index: usize) -> Option<i32> {
        let slot = self.slots.get_mut(index).filter(|s| s.live)?;
        let fd = slot.fd;
        slot.live = false;
        slot.fd = -1;
        slot.generation = slot.generation.wrapping_add(1);
        slot.next_free = self.free;
        self.free = index as u32 + 1;
        self.live -= 1;
        Some(fd)
    }
}

/// HTTP/2 connection states, one per slot index, from one zero-filled mapping: 16 KiB each,
/// reserved for every slot and committed only as slots that speak HTTP/2 touch them. All-zero
/// bytes are a valid `h2::Conn` (its module promises it), which `reset` makes fresh for each
/// connection: no state is ever written whole.
pub struct H2Pool {
    conns: &'static mut [h2::Conn],
}

impl H2Pool {
    pub fn new(capacity: usize) -> Result<Self, sys::Errno> {
        let bytes = capacity.checked_mul(size_of::<h2::Conn>()).ok_or(sys::Errno::ENOMEM)?;
        let raw = map_zeroed(bytes)?;
        // SAFETY: page-aligned memory satisfies h2::Conn's alignment; the mapping holds
        // `capacity` of them exactly; all-zero bytes are a valid h2::Conn; `raw` is not used
        // again.
        let conns = unsafe { core::slice::from_raw_parts_mut(raw.as_mut_ptr().cast::<h2::Conn>(), capacity) };
        Ok(H2Pool { conns })
    }

    /// The state at `index` (`reset` it for a new connection).
    pub fn get(&mut self, index: usize) -> Option<&mut h2::Conn> {
        self.conns.get_mut(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_rng::xorshift;

    /// The pool's zeroed states are connections once reset: a GET is answered.
    #[test]
    fn a_zeroed_h2_state_serves_once_reset() {
        let mut pool = H2Pool::new(2).unwrap();
        let limits = h2::Limits::DEFAULT;
        let conn = pool.get(1).unwrap();
        conn.reset(&limits);
        let mut input = h2::conn::PREFACE.to_vec();
        input.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
        input.extend_from_slice(&[0, 0, 3, 1, 5, 0, 0, 0, 1, 0x82, 0x86, 0x84]);
        let mut out = vec![0u8; h2::conn::MIN_OUT];
        let cx = h2::Cx { date: b"Sun, 06 Nov 1994 08:49:37 GMT", now: 0, stopping: false, limits: &limits };
        let fed = conn.feed(&mut input, &mut out, &cx);
        assert_eq!(fed.consumed, input.len());
        // SETTINGS, its ACK, HEADERS and DATA `ok` ending stream 1.
        assert!(out[..fed.written].ends_with(&[0, 0, 2, 0, 1, 0, 0, 0, 1, b'o', b'k']), "{:?}", &out[..fed.written]);
        assert!(pool.get(2).is_none());
    }

    #[test]
    fn a_slot_record_stays_small() {
        // The README promises an idle connection costs only this record.
        assert!(size_of::<Slot>() <= 256, "{}", size_of::<Slot>());
    }

    #[test]
    fn an_all_zero_slot_is_a_free_one() {
        // SAFETY: the point of the test: zeroed() checks that all-zero bytes may be a Slot
        // (it panics for types that do not permit it), and the fields must read as a free,
        // idle slot.
        let z: Slot = unsafe { core::mem::zeroed() };
        assert!(!z.live && !z.counted);
        assert_eq!(z.life, Life::Open);
        assert_eq!(z.proto, Proto::Http1(http1::Conn::Idle { blank: 0 }));
    }

    #[test]
    fn tokens_go_stale_when_a_slot_is_reused() {
        let mut a = Arena::new(2, 16, 16).unwrap();
        let t1 = a.insert(10, 0).unwrap();
        assert_eq!(a.resolve(t1), Some(0));
        assert_eq!(a.remove(0), Some(10));
        assert_eq!(a.resolve(t1), None);
        let t2 = a.insert(11, 0).unwrap();
        assert_ne!(t1, t2);
        assert_eq!(a.resolve(t2), Some(0));
        assert_eq!(a.resolve(t1), None);
    }

    #[test]
    fn full_arena_refuses_and_recovers() {
        let mut a = Arena::new(3, 8, 8).unwrap();
        let ts: Vec<_> = (0..3).map(|i| a.insert(i, 0).unwrap()).collect();
        assert!(a.insert(99, 0).is_none());
        a.remove(a.resolve(ts[1]).unwrap());
        assert!(a.insert(98, 0).is_some());
        assert!(a.insert(97, 0).is_none());
    }

    #[test]
    fn buffers_are_disjoint_per_slot() {
        let mut a = Arena::new(4, 8, 16).unwrap();
        for i in 0..4 {
            a.insert(i, 0).unwrap();
            let (_, r, w) = a.parts(i as usize).unwrap();
            assert_eq!((r.len(), w.len()), (8, 16));
            r.fill(i as u8 + 1);
            w.fill(i as u8 + 101);
        }
        for i in 0..4u8 {
            let (_, r, w) = a.parts(usize::from(i)).unwrap();
            assert!(r.iter().all(|&b| b == i + 1));
            assert!(w.iter().all(|&b| b == i + 101));
        }
    }

    #[test]
    fn random_churn_keeps_the_books_straight() {
        let cap = 64;
        let mut a = Arena::new(cap, 8, 8).unwrap();
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut live: Vec<(Token, i32)> = Vec::new();
        let mut dead: Vec<Token> = Vec::new();
        for step in 0..20_000 {
            if xorshift(&mut rng) % 2 == 0 {
                match a.insert(step, 0) {
                    Some(t) => {
                        assert!(!live.iter().any(|(l, _)| *l == t), "token handed out twice");
                        live.push((t, step));
                    }
                    None => assert_eq!(live.len(), cap),
                }
            } else if !live.is_empty() {
                let k = (xorshift(&mut rng) % live.len() as u64) as usize;
                let (t, fd) = live.swap_remove(k);
                let i = a.resolve(t).expect("live token resolves");
                assert_eq!(a.remove(i), Some(fd));
                dead.push(t);
            }
            assert_eq!(a.live(), live.len());
            for (t, fd) in &live {
                let i = a.resolve(*t).unwrap();
                assert_eq!(a.slot(i).unwrap().fd, *fd);
            }
            for t in dead.iter().rev().take(8) {
                assert_eq!(a.resolve(*t), None, "a stale token resolved");
            }
        }
    }
}
