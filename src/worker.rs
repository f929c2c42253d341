//! The per-core event loop. Each worker owns its listener, its epoll instance, its connection
//! arena and two scratch buffers; nothing here is shared with other workers.
//!
//! A connection is registered once, edge-triggered for input and output, and never modified.
//! On each event the worker runs [`Worker::drive`]: finish any unsent output, read, answer every
//! complete request in the bytes read (one send for all of them), keep a partial request or
//! unsent output in the connection's slot, and repeat until the socket has nothing more.
//! Input is read into a worker-wide scratch buffer and only a leftover is copied to the slot, so
//! a connection whose requests arrive whole never touches its slot's buffer pages.
//!
//! A timer descriptor ticks once a second: it refreshes the `Date` header and the coarse clock,
//! and expires connections past their deadline (no syscall per request for either).

use crate::arena::{self, Arena, Token};
use crate::date;
use crate::handler::{self, Ctx};
use crate::parse::Limits;
use crate::response::{self, Body, Reply};
use crate::scan::Scanner;
use crate::sys::{self, Errno, EpollEvent, Fd};
use core::sync::atomic::{AtomicBool, Ordering};

/// What a worker is told at start.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Connection slots in this worker.
    pub capacity: usize,
    /// Bytes a slot can hold of one request (head and body): the read buffer.
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
    /// Seconds to discard input after a refusal before closing.
    pub linger_timeout: u32,
    /// Seconds to finish answers once asked to stop.
    pub grace: u32,
}

const LISTENER: u64 = u64::MAX;
const TIMER: u64 = u64::MAX - 1;
const EVENTS: usize = 512;
/// Turns a connection gets per event before it yields to the others.
const TURNS: usize = 4;
/// Connections that yielded with work left, driven again before the next wait.
const READY: usize = 512;

// Slot flags.
/// Close once the unsent output is gone.
const CLOSE_AFTER: u16 = 1;
/// ... and close gently: shut our side, discard input until the peer closes or time runs out
/// (so unread input cannot turn the close into a reset that destroys answers in flight).
const GENTLE: u16 = 2;
/// Our side is shut; input is being discarded.
const LINGER: u16 = 4;
/// The peer has closed its side: answer what is buffered, then close.
const PEER_EOF: u16 = 8;
/// Answering stopped with complete requests possibly buffered: serve them before reading.
const STOPPED: u16 = 16;
/// epoll reported the peer's close (or an error): read until recv says so, even after a short
/// read, since no further edge will come.
const HUNG_UP: u16 = 32;
/// The socket may hold input we have not read: an input edge came, or the last read filled its
/// buffer. No further edge will come for those bytes, so the connection reads until a read comes
/// back short, even if it has to wait for output room first.
const UNREAD: u16 = 64;
/// The connection is on the ready list (once at most).
const QUEUED: u16 = 128;

/// Where the turn leaves the connection.
enum Next {
    /// Go round again (more to read, buffered requests, or a close to carry out).
    Again,
    /// Nothing to do until the next event.
    Wait,
    /// Close now.
    Close,
    /// Answer with this status, then close (a request that can no longer complete).
    Refuse(u16),
}

pub struct Worker {
    ep: Fd,
    listener: Option<Fd>,
    timer: Fd,
    arena: Arena,
    input: &'static mut [u8],
    output: &'static mut [u8],
    scan: Scanner,
    cfg: Config,
    date: [u8; date::LEN],
    /// Coarse monotonic seconds.
    now: u32,
    /// Accepting is paused (out of descriptors) until a connection closes or the next tick.
    paused: bool,
    stop: &'static AtomicBool,
    stopping_since: Option<u32>,
    ready: [u64; READY],
    ready_len: usize,
}

impl Worker {
    pub fn new(listener: Fd, scan: Scanner, cfg: Config, stop: &'static AtomicBool) -> Result<Self, Errno> {
        let ep = sys::epoll_create()?;
        sys::epoll_ctl(ep.raw(), sys::EPOLL_CTL_ADD, listener.raw(), sys::EPOLLIN, LISTENER)?;
        let timer = sys::timerfd_periodic(1000)?;
        sys::epoll_ctl(ep.raw(), sys::EPOLL_CTL_ADD, timer.raw(), sys::EPOLLIN, TIMER)?;
        let arena = Arena::new(cfg.capacity, cfg.rbuf, cfg.wbuf)?;
        let input = arena::map_zeroed(cfg.rbuf)?;
        let output = arena::map_zeroed(cfg.wbuf)?;
        let mut w = Worker {
            ep, listener: Some(listener), timer, arena, input, output, scan, cfg,
            date: [0; date::LEN], now: 0, paused: false, stop, stopping_since: None,
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
                    LISTENER => self.accept_all(),
                    TIMER => self.tick(),
                    token => {
                        if let Some(index) = self.arena.resolve(Token(token)) {
                            let events = ev.events();
                            if let Some(slot) = self.arena.slot(index) {
                                // An input edge means bytes arrived: remember it, since the turn
                                // may have to wait for output room before it reads them, and no
                                // further edge will come for those bytes.
                                if events & sys::EPOLLIN != 0 {
                                    slot.flags |= UNREAD;
                                }
                                if events & (sys::EPOLLRDHUP | sys::EPOLLHUP | sys::EPOLLERR) != 0 {
                                    slot.flags |= HUNG_UP;
                                }
                            }
                            if events & !sys::EPOLLOUT != 0 || self.has_output(index) {
                                self.drive(index);
                            }
                        }
                    }
                }
            }
            self.drive_ready();
            if self.stopping_since.is_some() && self.arena.live() == 0 {
                return Ok(());
            }
        }
    }

    /// Whether a connection has output waiting for the socket (a bare EPOLLOUT matters only
    /// then; the one that follows registration does not).
    fn has_output(&mut self, index: usize) -> bool {
        self.arena.slot(index).is_some_and(|s| s.wpos < s.wlen)
    }

    fn refresh_clock(&mut self) {
        let (mono, _) = sys::clock_gettime(sys::CLOCK_MONOTONIC);
        self.now = mono as u32;
        let (real, _) = sys::clock_gettime(sys::CLOCK_REALTIME);
        self.date = date::imf_fixdate(real);
    }

    fn tick(&mut self) {
        let mut expirations = [0u8; 8];
        let _ = sys::read(self.timer.raw(), &mut expirations);
        self.refresh_clock();
        if self.paused {
            self.resume_accepting();
        }
        if self.stopping_since.is_none() && self.stop.load(Ordering::Relaxed) {
            self.begin_stop();
        }
        let grace_over = self
            .stopping_since
            .is_some_and(|since| self.now.wrapping_sub(since) >= self.cfg.grace);
        for index in 0..self.arena.high_water() {
            let Some(slot) = self.arena.slot(index) else { continue };
            let idle = idle(slot);
            let expired = deadline_passed(slot.deadline, self.now);
            if grace_over || (self.stopping_since.is_some() && idle) {
                self.close(index);
            } else if expired {
                self.expire(index);
            }
        }
    }

    /// Stops accepting: the listener closes; connections finish what they have.
    fn begin_stop(&mut self) {
        self.stopping_since = Some(self.now);
        self.listener = None;
    }

    fn resume_accepting(&mut self) {
        if let Some(l) = &self.listener
            && sys::epoll_ctl(self.ep.raw(), sys::EPOLL_CTL_MOD, l.raw(), sys::EPOLLIN, LISTENER).is_ok() {
                self.paused = false;
            }
    }

    fn pause_accepting(&mut self) {
        if let Some(l) = &self.listener
            && sys::epoll_ctl(self.ep.raw(), sys::EPOLL_CTL_MOD, l.raw(), 0, LISTENER).is_ok() {
                self.paused = true;
            }
    }

    fn accept_all(&mut self) {
        loop {
            let Some(listener) = &self.listener else { return };
            match sys::accept(listener.raw()) {
                Ok(fd) => self.admit(fd),
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

    fn admit(&mut self, fd: i32) {
        let deadline = self.now.wrapping_add(self.cfg.idle_timeout);
        let Some(token) = self.arena.insert(fd, deadline) else {
            // Every slot is taken: say so at once rather than leave the client waiting.
            self.send_refusal(fd, 503);
            sys::close(fd);
            return;
        };
        let Some(index) = self.arena.resolve(token) else { return };
        let interest = sys::EPOLLIN | sys::EPOLLOUT | sys::EPOLLRDHUP | sys::EPOLLET;
        if sys::epoll_ctl(self.ep.raw(), sys::EPOLL_CTL_ADD, fd, interest, token.0).is_err() {
            self.close(index);
        }
    }

    fn close(&mut self, index: usize) {
        if let Some(fd) = self.arena.remove(index) {
            // Closing the last reference also removes it from the epoll set.
            sys::close(fd);
        }
        if self.paused {
            self.resume_accepting();
        }
    }

    /// Sends a refusal with `status` straight to a socket, best effort (the connection closes
    /// next whatever happens).
    fn send_refusal(&mut self, fd: i32, status: u16) {
        let reply = Reply { status, body: Body::Reason, head_only: false, close: true,
                            keep_alive_10: false, allow: None };
        if let Some(n) = response::write(self.output, &self.date, &reply) {
            let _ = sys::send(fd, self.output.get(..n).unwrap_or(&[]));
        }
    }

    /// Answers a connection's unfinished request with `status` and closes it.
    fn refuse(&mut self, index: usize, status: u16) {
        if let Some(fd) = self.arena.slot(index).map(|s| s.fd) {
            self.send_refusal(fd, status);
        }
        self.close(index);
    }

    /// A connection past its deadline: a request that did not arrive in time gets 408; a peer
    /// still reading our output (however slowly) gets more time; anything else just closes.
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
        }
        let waiting_for_request =
            slot.rlen > 0 && slot.wpos == slot.wlen && slot.flags & (LINGER | CLOSE_AFTER) == 0;
        if waiting_for_request {
            self.refuse(index, 408);
        } else {
            self.close(index);
        }
    }

    /// Puts a connection that has had its turns on the ready list, once: true if it is there
    /// (now or already), false if the list is full and it must go on now.
    fn enqueue(&mut self, index: usize) -> bool {
        let Some(slot) = self.arena.slot(index) else { return false };
        if slot.flags & QUEUED != 0 {
            return true;
        }
        let Some(token) = self.arena.token(index) else { return false };
        let Some(entry) = self.ready.get_mut(self.ready_len) else { return false };
        *entry = token.0;
        self.ready_len += 1;
        if let Some(slot) = self.arena.slot(index) {
            slot.flags |= QUEUED;
        }
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
                    slot.flags &= !QUEUED;
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
                Next::Close => {
                    self.close(index);
                    return;
                }
                Next::Refuse(status) => {
                    self.refuse(index, status);
                    return;
                }
            }
        }
        if self.stopping_since.is_some() && self.arena.slot(index).is_some_and(|s| idle(s)) {
            self.close(index);
        }
    }

    /// One step of a connection's life: flush, read, answer, keep what is left.
    fn turn(&mut self, index: usize) -> Next {
        let now = self.now;
        let cfg = self.cfg;
        let Some((slot, rbuf, wbuf)) = self.arena.parts(index) else { return Next::Wait };
        let fd = slot.fd;

        // 1. Output we could not send before goes first.
        if slot.wpos < slot.wlen {
            let pending = wbuf.get(slot.wpos as usize..slot.wlen as usize).unwrap_or(&[]);
            match sys::send(fd, pending) {
                Ok(n) if n < pending.len() => {
                    slot.wpos += n as u32;
                    slot.deadline = now.wrapping_add(cfg.send_timeout);
                    slot.queued = sys::unsent(fd).unwrap_or(0);
                    return Next::Wait;
                }
                Ok(_) => {
                    slot.wpos = 0;
                    slot.wlen = 0;
                    // A request already begun keeps its own deadline.
                    if slot.rlen == 0 {
                        slot.deadline = now.wrapping_add(cfg.idle_timeout);
                    }
                }
                Err(Errno::EAGAIN) => return Next::Wait,
                Err(Errno::EINTR) => return Next::Again,
                Err(_) => return Next::Close,
            }
        }

        // 2. A close decided earlier, now that the output is out.
        if slot.flags & CLOSE_AFTER != 0 {
            if slot.flags & GENTLE == 0 {
                return Next::Close;
            }
            sys::shutdown(fd, sys::SHUT_WR);
            slot.flags = LINGER | (slot.flags & QUEUED);
            slot.rlen = 0;
            slot.deadline = now.wrapping_add(cfg.linger_timeout);
        }
        if slot.flags & LINGER != 0 {
            return match sys::recv(fd, self.input) {
                Ok(0) => Next::Close,
                Ok(_) | Err(Errno::EINTR) => Next::Again,
                Err(Errno::EAGAIN) => Next::Wait,
                Err(_) => Next::Close,
            };
        }

        // 3. Input: buffered requests first; otherwise read, appending to a buffered partial
        //    request or into the scratch buffer.
        let had = slot.rlen as usize;
        let mut fresh = 0;
        if slot.flags & (STOPPED | PEER_EOF) == 0 {
            let dst = if had > 0 { rbuf.get_mut(had..).unwrap_or(&mut []) } else { &mut self.input[..] };
            if !dst.is_empty() {
                match sys::recv(fd, dst) {
                    Ok(0) => {
                        slot.flags |= PEER_EOF;
                        if had == 0 {
                            return Next::Close;
                        }
                    }
                    Ok(n) => {
                        fresh = n;
                        if n == dst.len() {
                            slot.flags |= UNREAD;
                        } else {
                            slot.flags &= !UNREAD;
                        }
                    }
                    Err(Errno::EAGAIN) => {
                        slot.flags &= !UNREAD;
                        return Next::Wait;
                    }
                    Err(Errno::EINTR) => return Next::Again,
                    Err(_) => return Next::Close,
                }
            }
        }
        slot.flags &= !STOPPED;
        let total = had + fresh;
        let in_slot = had > 0;
        let input: &[u8] = if in_slot { rbuf.get(..total).unwrap_or(&[]) } else { self.input.get(..total).unwrap_or(&[]) };

        // 4. Answer every complete request.
        let ctx = Ctx {
            scan: self.scan,
            limits: cfg.limits,
            date: &self.date,
            max_depth: cfg.max_depth,
            stopping: self.stopping_since.is_some(),
        };
        let served = handler::serve(input, cfg.rbuf, self.output, &ctx);

        // 5. Keep what is left of the input.
        let consumed = served.consumed.min(total);
        if served.close {
            slot.rlen = 0;
        } else if in_slot {
            if let Some(window) = rbuf.get_mut(..total)
                && consumed <= window.len() {
                    window.copy_within(consumed.., 0);
                }
            slot.rlen = (total - consumed) as u32;
        } else {
            slot.rlen = copy_into(rbuf, self.input.get(consumed..total).unwrap_or(&[])) as u32;
        }
        if served.stopped {
            slot.flags |= STOPPED;
        }
        if slot.rlen == 0 {
            slot.deadline = now.wrapping_add(cfg.idle_timeout);
        } else if had == 0 || served.consumed > 0 {
            // A new request has begun: it has header_timeout to arrive whole.
            slot.deadline = now.wrapping_add(cfg.header_timeout);
        }
        if served.close {
            slot.flags |= CLOSE_AFTER;
            // Closing a socket that still holds unread input makes the kernel reset the
            // connection, which can destroy answers still in flight. Where input may be left
            // (bytes after the last answer, or more known to be waiting), close gently; a client
            // that sent one request and waits gets the plain close.
            if served.error || consumed < total || slot.flags & UNREAD != 0 {
                slot.flags |= GENTLE;
            }
        }

        // 6. Send every answer of this turn at once; keep what the socket does not take.
        let out = self.output.get(..served.written).unwrap_or(&[]);
        if !out.is_empty() {
            let sent = loop {
                match sys::send(fd, out) {
                    Ok(n) => break n,
                    Err(Errno::EAGAIN) => break 0,
                    Err(Errno::EINTR) => {}
                    Err(_) => return Next::Close,
                }
            };
            if sent < out.len() {
                slot.wpos = 0;
                slot.wlen = copy_into(wbuf, out.get(sent..).unwrap_or(&[])) as u32;
                slot.deadline = now.wrapping_add(cfg.send_timeout);
                slot.queued = sys::unsent(fd).unwrap_or(0);
                return Next::Wait;
            }
        }

        if slot.flags & (CLOSE_AFTER | STOPPED) != 0 {
            return Next::Again;
        }
        if slot.flags & PEER_EOF != 0 {
            // Nothing more will arrive: a buffered partial request can never complete.
            return if slot.rlen > 0 { Next::Refuse(400) } else { Next::Close };
        }
        if slot.flags & (UNREAD | HUNG_UP) != 0 { Next::Again } else { Next::Wait }
    }
}

/// Whether a connection is between requests: nothing buffered, nothing to send, nothing known to
/// be waiting in the socket. Only such a connection may be closed on stop without losing a
/// request.
fn idle(slot: &arena::Slot) -> bool {
    slot.rlen == 0 && slot.wpos == slot.wlen && slot.flags & UNREAD == 0
}

/// Copies as much of `src` as fits to the start of `dst`; returns the bytes copied. (The callers
/// size `dst` to hold all of `src`.)
fn copy_into(dst: &mut [u8], src: &[u8]) -> usize {
    let n = dst.len().min(src.len());
    if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
        d.copy_from_slice(s);
    }
    n
}

/// Whether `deadline` has come, on a clock that may wrap.
/// The clock moves in whole seconds, so a deadline of `now + T` is taken as passed only once the
/// clock is beyond it: a timeout of T seconds then fires after between T and T + 1 seconds,
/// never early.
fn deadline_passed(deadline: u32, now: u32) -> bool {
    let past = now.wrapping_sub(deadline);
    past != 0 && past < u32::MAX / 2
}
