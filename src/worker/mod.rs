//! The per-core event loop. Each worker owns its listener, its epoll instance, its connection
//! arena and two scratch buffers; what it shares with the other workers is one count of live
//! connections (so `--connections` holds for the whole process) and the stop flag.
//!
//! A connection is registered once, edge-triggered for input, output, the peer's close and
//! urgent data, and never modified. On each event the worker drives the connection turn after
//! turn (`turn.rs`): finish any unsent output, read, hand the bytes to the connection's protocol
//! (which answers every request they complete, into one output buffer), keep what the protocol
//! did not use and what the socket did not take in the connection's slot, and repeat until the
//! socket has nothing more. Input is read into a worker-wide scratch buffer and only a leftover
//! is copied to the slot, so a connection whose requests arrive whole never touches its slot's
//! buffer pages.
//!
//! Closing: once answers may be in flight, a close is gentle (RFC 9112 §9.6): the output is
//! finished, our side is shut, and input is read and dropped until the peer closes or a short
//! linger ends. A close with unread input would otherwise make the kernel reset the connection
//! and destroy the answers still in its send queue.
//!
//! A timer descriptor ticks once a second: it refreshes the `Date` and the coarse clock, and
//! expires connections past their deadline (no syscall per request for either). An event
//! counter wakes the worker at once when the process is asked to stop.

use crate::arena::{self, Arena, H2Pool, Life, Proto, Token};
use crate::date;
use crate::h2;
use crate::http1;
use crate::http1::head::Limits;
use crate::http1::scan::Scanner;
use crate::response::Heads;
use crate::sys::{self, Errno, EpollEvent, Fd};
use crate::ws;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

mod turn;
use turn::send_or_keep;

/// What a worker is told at start.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Connections the whole process may serve at once (`--connections`).
    pub limit: usize,
    /// Connection slots in this worker: the limit, and room to refuse past it politely.
    pub capacity: usize,
    /// Bytes a slot can hold of unanswered input: the read buffer (and the input scratch).
    pub rbuf: usize,
    /// Bytes a slot can hold of unsent output: the write buffer (and the output scratch).
    pub wbuf: usize,
    pub limits: Limits,
    /// Requests answered per turn before output is sent.
    pub max_depth: usize,
    /// Seconds a request may take to arrive once its first byte has (408 after).
    pub header_timeout: u32,
    /// Seconds an idle keep-alive connection is kept.
    pub idle_timeout: u32,
    /// Seconds a peer may leave our output unread.
    pub send_timeout: u32,
    /// Seconds to wait for the peer's close after ours.
    pub linger_timeout: u32,
    /// Seconds to finish answers once asked to stop.
    pub grace: u32,
    /// WebSocket limits.
    pub ws: ws::Limits,
    /// HTTP/2 limits.
    pub h2: h2::Limits,
}

/// What the workers share: the stop flag and the count of live connections.
pub struct Shared {
    pub stop: AtomicBool,
    pub live: AtomicUsize,
}

impl Shared {
    pub const fn new() -> Shared {
        Shared { stop: AtomicBool::new(false), live: AtomicUsize::new(0) }
    }
}

impl Default for Shared {
    fn default() -> Self {
        Shared::new()
    }
}

/// The epoll data of the listeners: HTTP/1.1, and HTTP/2 cleartext.
const LISTENER: u64 = u64::MAX;
const LISTENER_H2: u64 = u64::MAX - 3;
const TIMER: u64 = u64::MAX - 1;
const WAKE: u64 = u64::MAX - 2;
const EVENTS: usize = 512;
/// Turns a connection gets per event before it yields to the others.
const TURNS: usize = 4;
/// Connections that yielded with work left, driven again before the next wait.
const READY: usize = 512;

// Hints about a connection's socket (the slot's `io` bits).
/// The peer has closed its side, and every byte before its close has been read.
const PEER_EOF: u8 = 1;
/// Answering stopped with complete requests possibly kept: serve them before reading.
const STOPPED: u8 = 2;
/// epoll reported the peer's close (or an error): read until recv says so, even after a short
/// read, since no further edge will come.
const HUNG_UP: u8 = 4;
/// The socket may hold input we have not read: an input edge came, or the last read filled its
/// buffer. No further edge will come for those bytes, so the connection reads until a read comes
/// back short, even if it has to wait for output room first.
const UNREAD: u8 = 8;
/// The connection is on the ready list (once at most).
const QUEUED: u8 = 16;
/// Urgent data arrived: a read stops at its mark, so a short read does not mean the socket is
/// empty; read until it says so.
const URGENT: u8 = 32;

/// Where a turn leaves the connection.
enum Next {
    /// Go round again (more to read, kept requests, or a close to carry out).
    Again,
    /// Nothing to do until the next event.
    Wait,
    /// Close now.
    Close,
    /// Answer with this status, then close gently (a request that can no longer complete).
    Refuse(u16),
}

pub struct Worker {
    ep: Fd,
    /// The HTTP/1.1 listener and the HTTP/2 one (if h2c is on); both close at the stop.
    listener: Option<Fd>,
    listener_h2: Option<Fd>,
    timer: Fd,
    wake: Fd,
    arena: Arena,
    h2: H2Pool,
    input: &'static mut [u8],
    output: &'static mut [u8],
    scan: Scanner,
    cfg: Config,
    heads: Heads,
    /// Coarse monotonic seconds.
    now: u32,
    /// Accepting is paused (out of descriptors) until a connection closes or the next tick.
    paused: bool,
    shared: &'static Shared,
    stopping_since: Option<u32>,
    ready: [u64; READY],
    ready_len: usize,
}

impl Worker {
    /// A worker for `listener` (and `listener_h2`, for HTTP/2 cleartext); `wake` is the event
    /// counter the main thread signals to stop it.
    pub fn new(listener: Fd, listener_h2: Option<Fd>, wake: Fd, scan: Scanner, cfg: Config, shared: &'static Shared)
        -> Result<Self, Errno> {
        let ep = sys::epoll_create()?;
        sys::epoll_ctl(ep.raw(), sys::EPOLL_CTL_ADD, listener.raw(), sys::EPOLLIN, LISTENER)?;
        if let Some(l) = &listener_h2 {
            sys::epoll_ctl(ep.raw(), sys::EPOLL_CTL_ADD, l.raw(), sys::EPOLLIN, LISTENER_H2)?;
        }
        let timer = sys::timerfd_periodic(1000)?;
        sys::epoll_ctl(ep.raw(), sys::EPOLL_CTL_ADD, timer.raw(), sys::EPOLLIN, TIMER)?;
        sys::epoll_ctl(ep.raw(), sys::EPOLL_CTL_ADD, wake.raw(), sys::EPOLLIN, WAKE)?;
        let arena = Arena::new(cfg.capacity, cfg.rbuf, cfg.wbuf)?;
        let h2 = H2Pool::new(if listener_h2.is_some() { cfg.capacity } else { 0 })?;
        let input = arena::map_zeroed(cfg.rbuf)?;
        let output = arena::map_zeroed(cfg.wbuf)?;
        let mut w = Worker {
            ep, listener: Some(listener), listener_h2, timer, wake, arena, h2, input, output, scan, cfg,
            heads: Heads::new(&[b' '; date::LEN]), now: 0, paused: false, shared, stopping_since: None,
            ready: [0; READY], ready_len: 0,
        };
        w.refresh_clock();
        Ok(w)
    }

    /// Serves until asked to stop and every connection is done (or the grace period is over).
    pub fn run(&mut self) -> Result<(), Errno> {
        let mut events = [EpollEvent::default(); EVENTS];
        loop {
            // Connections that yielded mean there is work now: look for events without sleeping.
            let timeout = if self.ready_len > 0 { 0 } else { -1 };
            let n = match sys::epoll_wait(self.ep.raw(), &mut events, timeout) {
                Ok(n) => n,
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
            };
            for ev in events.get(..n).unwrap_or(&[]) {
                match ev.data() {
                    LISTENER => self.accept_all(false),
                    LISTENER_H2 => self.accept_all(true),
                    TIMER => self.tick(),
                    WAKE => self.woken(),
                    token => self.event(Token(token), ev.events()),
                }
            }
            self.drive_ready();
            if self.stopping_since.is_some() && self.arena.live() == 0 {
                return Ok(());
            }
        }
    }

    fn event(&mut self, token: Token, events: u32) {
        let Some(index) = self.arena.resolve(token) else { return };
        let Some(slot) = self.arena.slot(index) else { return };
        // An input edge means bytes arrived: remember it, since the turn may have to wait for
        // output room before it reads them, and no further edge will come for those bytes.
        if events & sys::EPOLLIN != 0 {
            slot.io |= UNREAD;
        }
        if events & sys::EPOLLPRI != 0 {
            slot.io |= UNREAD | URGENT;
        }
        if events & (sys::EPOLLRDHUP | sys::EPOLLHUP | sys::EPOLLERR) != 0 {
            slot.io |= HUNG_UP;
        }
        // A bare EPOLLOUT matters only when output waits (not the one after registration).
        if events & !sys::EPOLLOUT != 0 || slot.wpos < slot.wlen {
            self.drive(index);
        }
    }

    fn refresh_clock(&mut self) {
        let (mono, _) = sys::clock_gettime(sys::CLOCK_MONOTONIC);
        self.now = mono as u32;
        let (real, _) = sys::clock_gettime(sys::CLOCK_REALTIME);
        self.heads.refresh(&date::imf_fixdate(real));
    }

    /// The main thread's signal: begin the stop now rather than at the next tick.
    fn woken(&mut self) {
        let mut count = [0u8; 8];
        let _ = sys::read(self.wake.raw(), &mut count);
        if self.stopping_since.is_none() && self.shared.stop.load(Ordering::Relaxed) {
            self.begin_stop();
        }
    }

    fn tick(&mut self) {
        let mut expirations = [0u8; 8];
        let _ = sys::read(self.timer.raw(), &mut expirations);
        self.refresh_clock();
        if self.paused {
            self.resume_accepting();
        }
        if self.stopping_since.is_none() && self.shared.stop.load(Ordering::Relaxed) {
            self.begin_stop();
        }
        let grace_over = self
            .stopping_since
            .is_some_and(|since| self.now.wrapping_sub(since) >= self.cfg.grace);
        for index in 0..self.arena.high_water() {
            let Some(slot) = self.arena.slot(index) else { continue };
            if grace_over {
                self.close(index);
            } else if deadline_passed(slot.deadline, self.now) {
                self.expire(index);
            }
        }
    }

    /// Stops accepting (the listener closes) and closes the connections between requests;
    /// those with a request under way finish it, within the grace period.
    fn begin_stop(&mut self) {
        self.stopping_since = Some(self.now);
        self.listener = None;
        self.listener_h2 = None;
        for index in 0..self.arena.high_water() {
            match self.arena.slot(index) {
                Some(s) if idle(s) => self.shut(index),
                Some(s) if s.life == Life::Open && matches!(s.proto, Proto::Ws(c) if c.is_open()) => {
                    self.ws_close(index)
                }
                Some(s) if s.life == Life::Open && s.proto == Proto::H2 => self.h2_goaway(index),
                _ => {}
            }
        }
    }

    /// Asks epoll for the listeners' events again (`EPOLLIN`) or no more (0).
    fn listen(&mut self, events: u32) -> bool {
        let mut ok = true;
        for (l, data) in [(&self.listener, LISTENER), (&self.listener_h2, LISTENER_H2)] {
            if let Some(l) = l {
                ok &= sys::epoll_ctl(self.ep.raw(), sys::EPOLL_CTL_MOD, l.raw(), events, data).is_ok();
            }
        }
        ok
    }

    fn resume_accepting(&mut self) {
        if self.listen(sys::EPOLLIN) {
            self.paused = false;
        }
    }

    fn pause_accepting(&mut self) {
        if self.listen(0) {
            self.paused = true;
        }
    }

    fn accept_all(&mut self, h2: bool) {
        loop {
            let listener = if h2 { &self.listener_h2 } else { &self.listener };
            let Some(listener) = listener else { return };
            match sys::accept(listener.raw()) {
                Ok(fd) => self.admit(fd, h2),
                Err(Errno::EAGAIN) => return,
                Err(Errno::EINTR) | Err(Errno::ECONNABORTED) | Err(Errno::EPROTO) => {}
                Err(Errno::EMFILE) | Err(Errno::ENFILE) | Err(Errno::ENOBUFS) | Err(Errno::ENOMEM) => {
                    // Out of descriptors or memory: stop asking until a connection closes or
                    // the next tick, rather than spin on a listener that stays readable.
                    self.pause_accepting();
                    return;
                }
                Err(_) => return,
            }
        }
    }

    /// Takes a new connection: a slot, and a place in the process's count. Past the limit it
    /// gets a 503 from a slot of the headroom, and a gentle close.
    fn admit(&mut self, fd: i32, h2: bool) {
        let counted = self.shared.live.fetch_add(1, Ordering::Relaxed) < self.cfg.limit;
        if !counted {
            self.shared.live.fetch_sub(1, Ordering::Relaxed);
        }
        let deadline = self.now.wrapping_add(if counted { self.cfg.idle_timeout } else { self.cfg.linger_timeout });
        let Some(token) = self.arena.insert(fd, deadline) else {
            // Not even room to refuse politely: say so at once, best effort.
            let n = http1::refusal(self.output, &self.heads, 503);
            let _ = sys::send(fd, self.output.get(..n).unwrap_or_default());
            if counted {
                self.shared.live.fetch_sub(1, Ordering::Relaxed);
            }
            sys::close(fd);
            return;
        };
        let Some(index) = self.arena.resolve(token) else { return };
        if let Some(slot) = self.arena.slot(index) {
            slot.counted = counted;
            if h2 && let Some(conn) = self.h2.get(index) {
                conn.reset(&self.cfg.h2);
                slot.proto = Proto::H2;
            }
        }
        let interest = sys::EPOLLIN | sys::EPOLLOUT | sys::EPOLLRDHUP | sys::EPOLLPRI | sys::EPOLLET;
        if sys::epoll_ctl(self.ep.raw(), sys::EPOLL_CTL_ADD, fd, interest, token.0).is_err() {
            self.close(index);
            return;
        }
        if !counted {
            self.refuse(index, 503);
        }
    }

    fn close(&mut self, index: usize) {
        let counted = self.arena.slot(index).is_some_and(|s| s.counted);
        if let Some(fd) = self.arena.remove(index) {
            // Closing the last reference also removes it from the epoll set.
            sys::close(fd);
            if counted {
                self.shared.live.fetch_sub(1, Ordering::Relaxed);
            }
        }
        if self.paused {
            self.resume_accepting();
        }
    }

    /// Closes a connection that has no request under way: at once when nothing can be lost
    /// (nothing unsent, no input unread, every byte sent acknowledged), else gently.
    fn shut(&mut self, index: usize) {
        let Some(slot) = self.arena.slot(index) else { return };
        let quiet = slot.wpos == slot.wlen && slot.io & UNREAD == 0 && sys::unsent(slot.fd) == Ok(0);
        if quiet {
            self.close(index);
        } else {
            slot.life = Life::Closing;
            slot.deadline = self.now.wrapping_add(self.cfg.linger_timeout);
            self.drive(index);
        }
    }

    /// Answers a connection's unfinished request (or the connection itself) with `status` and
    /// closes it gently.
    fn refuse(&mut self, index: usize, status: u16) {
        let n = http1::refusal(self.output, &self.heads, status);
        let now = self.now;
        let cfg = &self.cfg;
        if let Some((slot, _, wbuf)) = self.arena.parts(index) {
            slot.life = Life::Closing;
            slot.rlen = 0;
            slot.proto = Proto::default();
            slot.deadline = now.wrapping_add(cfg.send_timeout);
            let out = self.output.get(..n).unwrap_or_default();
            match send_or_keep(slot, wbuf, out, now, cfg) {
                Ok(()) => {}
                Err(()) => return self.close(index),
            }
        }
        self.drive(index);
    }

    /// Begins the close handshake of a WebSocket connection (1001: going away), to be answered
    /// within the linger time.
    fn ws_close(&mut self, index: usize) {
        let now = self.now;
        let cfg = &self.cfg;
        let Some((slot, _, wbuf)) = self.arena.parts(index) else { return };
        let Proto::Ws(conn) = &mut slot.proto else { return };
        let n = ws::close(conn, ws::GOING_AWAY, self.output);
        slot.deadline = now.wrapping_add(cfg.linger_timeout);
        let out = self.output.get(..n).unwrap_or_default();
        if send_or_keep(slot, wbuf, out, now, cfg).is_err() {
            self.close(index);
        }
    }

    /// Ends an HTTP/2 connection politely (GOAWAY, its open streams answered, then the close),
    /// at the stop or when it has been idle too long: the GOAWAY goes out from a turn that
    /// feeds the connection what it kept, without reading.
    fn h2_goaway(&mut self, index: usize) {
        let Some(conn) = self.h2.get(index) else { return };
        conn.stop();
        let Some(slot) = self.arena.slot(index) else { return };
        slot.io |= STOPPED;
        slot.deadline = self.now.wrapping_add(self.cfg.linger_timeout);
        self.drive(index);
    }

    /// A connection past its deadline: a request that did not arrive in time gets 408; a peer
    /// still reading our output (however slowly) gets more time; anything else closes.
    fn expire(&mut self, index: usize) {
        let (now, send_timeout) = (self.now, self.cfg.send_timeout);
        let Some(slot) = self.arena.slot(index) else { return };
        if slot.wpos < slot.wlen {
            // The socket's buffer may be megabytes: our own sends stall long before the peer
            // stops reading it. The kernel's queue shrinking is what shows the peer reads.
            let queued = sys::unsent(slot.fd).unwrap_or(u32::MAX);
            if queued < slot.queued {
                slot.queued = queued;
                slot.deadline = now.wrapping_add(send_timeout);
                return;
            }
            return self.close(index);
        }
        match (slot.life, slot.proto) {
            (Life::Open, Proto::Http1(conn)) if conn.begun() => self.refuse(index, 408),
            (Life::Open, Proto::Http1(_)) => self.shut(index),
            // An idle WebSocket gets our close (1001); one that did not answer its close in
            // time is closed.
            (Life::Open, Proto::Ws(conn)) if conn.is_open() => self.ws_close(index),
            // An HTTP/2 connection idle too long gets a GOAWAY; one whose peer keeps its window
            // shut on answers we owe, or that did not finish after its GOAWAY, is closed.
            (Life::Open, Proto::H2) => match self.h2.get(index) {
                Some(c) if !c.is_blocked() && !c.is_stopped() => self.h2_goaway(index),
                _ => self.close(index),
            },
            // The linger, or the wait for the peer's close, is over.
            _ => self.close(index),
        }
    }

    /// Puts a connection that has had its turns on the ready list, once: true if it is there
    /// (now or already), false if the list is full and it must go on now.
    fn enqueue(&mut self, index: usize) -> bool {
        let Some(token) = self.arena.token(index) else { return false };
        let Some(slot) = self.arena.slot(index) else { return false };
        if slot.io & QUEUED != 0 {
            return true;
        }
        let Some(entry) = self.ready.get_mut(self.ready_len) else { return false };
        *entry = token.0;
        self.ready_len += 1;
        slot.io |= QUEUED;
        true
    }

    /// Drives once more every connection that yielded in the last round. Those that yield again
    /// queue up behind them, for the next round.
    fn drive_ready(&mut self) {
        let n = self.ready_len.min(READY);
        if n == 0 {
            return;
        }
        for i in 0..n {
            let Some(&token) = self.ready.get(i) else { break };
            if let Some(index) = self.arena.resolve(Token(token)) {
                if let Some(slot) = self.arena.slot(index) {
                    slot.io &= !QUEUED;
                }
                self.drive(index);
            }
        }
        let total = self.ready_len.min(READY);
        if let Some(queue) = self.ready.get_mut(..total) {
            queue.copy_within(n.., 0);
        }
        self.ready_len = total - n;
    }

    /// Runs turns on a connection until it must wait for its next event, or until it has had
    /// its share and yields (long pipelines must not hold up other connections).
    fn drive(&mut self, index: usize) {
        let mut turns = 0;
        loop {
            if turns == TURNS && self.enqueue(index) {
                return;
            }
            turns += 1;
            match self.turn(index) {
                Next::Again => {}
                Next::Wait => break,
                Next::Close => return self.close(index),
                Next::Refuse(status) => return self.refuse(index, status),
            }
        }
        if self.stopping_since.is_some() && self.arena.slot(index).is_some_and(|s| idle(s)) {
            self.shut(index);
        }
    }
}

/// Whether a connection is between requests: open, nothing kept or begun, nothing to send,
/// nothing known to be waiting in the socket. Only such a connection may be closed on stop
/// without cutting a request short.
fn idle(slot: &arena::Slot) -> bool {
    matches!(slot.proto, Proto::Http1(c) if !c.begun())
        && slot.life == Life::Open
        && slot.rlen == 0
        && slot.wpos == slot.wlen
        && slot.io & UNREAD == 0
}

/// Whether `deadline` has come, on a clock that may wrap.
/// The clock moves in whole seconds, so a deadline of `now + T` is taken as passed only once the
/// clock is beyond it: a timeout of T seconds then fires after between T and T + 1 seconds,
/// never early.
fn deadline_passed(deadline: u32, now: u32) -> bool {
    let past = now.wrapping_sub(deadline);
    past != 0 && past < u32::MAX / 2
}
