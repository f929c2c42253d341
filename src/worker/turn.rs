//! One turn of a connection: finish unsent output, read, hand the bytes to the slot's
//! protocol, keep what it did not use, and send every answer of the turn at once.

use super::{Config, Next, Worker, HUNG_UP, PEER_EOF, STOPPED, UNREAD, URGENT};
use crate::arena::{self, Life, Proto};
use crate::h2;
use crate::http1::{self, Ctx};
use crate::sys::{self, Errno};
use crate::ws;

impl Worker {
    /// One step of a connection's life: flush, read, answer, keep what is left.
    pub(super) fn turn(&mut self, index: usize) -> Next {
        let now = self.now;
        let cfg = &self.cfg;
        let Some((slot, rbuf, wbuf)) = self.arena.parts(index) else { return Next::Wait };
        let fd = slot.fd;

        // 1. Output we could not send before goes first.
        if slot.wpos < slot.wlen {
            let pending = wbuf.get(slot.wpos as usize..slot.wlen as usize).unwrap_or_default();
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
                    // A request already begun, or a close under way, keeps its own deadline.
                    let closing = matches!(slot.proto, Proto::Ws(c) if !c.is_open());
                    if !slot.proto.begun() && !closing && slot.life == Life::Open {
                        slot.deadline = now.wrapping_add(cfg.idle_timeout);
                    }
                }
                Err(Errno::EAGAIN) => return Next::Wait,
                Err(Errno::EINTR) => return Next::Again,
                Err(_) => return Next::Close,
            }
        }

        // 2. A close decided earlier, now that the output is out: shut our side, then drop
        //    input until the peer closes too (or the linger ends).
        if slot.life == Life::Closing {
            if slot.io & PEER_EOF != 0 {
                // Every byte the peer sent has been read: nothing can reset the answers.
                return Next::Close;
            }
            sys::shutdown(fd, sys::SHUT_WR);
            slot.life = Life::Lingering;
            slot.rlen = 0;
            slot.deadline = now.wrapping_add(cfg.linger_timeout);
        }
        if slot.life == Life::Lingering {
            return match sys::recv(fd, self.input) {
                Ok(0) => Next::Close,
                Ok(_) | Err(Errno::EINTR) => Next::Again,
                Err(Errno::EAGAIN) => Next::Wait,
                Err(_) => Next::Close,
            };
        }

        // 3. Input: kept requests first; otherwise read, appending to kept bytes or into the
        //    scratch buffer.
        let had = slot.rlen as usize;
        let mut fresh = 0;
        if slot.io & (STOPPED | PEER_EOF) == 0 {
            let dst = if had > 0 { rbuf.get_mut(had..).unwrap_or_default() } else { &mut self.input[..] };
            if !dst.is_empty() {
                match sys::recv(fd, dst) {
                    Ok(0) => {
                        slot.io |= PEER_EOF;
                        if had == 0 {
                            return if slot.proto.begun() { Next::Refuse(400) } else { Next::Close };
                        }
                    }
                    Ok(n) => {
                        fresh = n;
                        // A full buffer may leave more behind; so may a read stopped at an
                        // urgent mark (once: the next read goes past it).
                        if n == dst.len() || slot.io & URGENT != 0 {
                            slot.io = (slot.io | UNREAD) & !URGENT;
                        } else {
                            slot.io &= !UNREAD;
                        }
                    }
                    Err(Errno::EAGAIN) => {
                        slot.io &= !(UNREAD | URGENT);
                        return Next::Wait;
                    }
                    Err(Errno::EINTR) => return Next::Again,
                    Err(_) => return Next::Close,
                }
            }
        }
        slot.io &= !STOPPED;
        let total = had + fresh;
        let in_slot = had > 0;
        // Mutable for HTTP/2, which joins a header block's fragments where they are.
        let input: &mut [u8] = if in_slot { rbuf.get_mut(..total).unwrap_or_default() } else { self.input.get_mut(..total).unwrap_or_default() };

        // 4. The connection's protocol answers what the input completes.
        let stopping = self.stopping_since.is_some();
        let more_waiting = slot.io & UNREAD != 0;
        let begun_before = slot.proto.begun();
        let (mut served, mut closing) = match &mut slot.proto {
            Proto::Http1(conn) => {
                let cx = Ctx { scan: self.scan, limits: cfg.limits, heads: &self.heads, max_depth: cfg.max_depth,
                    stopping, more_waiting };
                (http1::serve(conn, input, self.output, &cx), false)
            }
            Proto::Ws(conn) => ws_served(conn, input, self.output, &cfg.ws),
            Proto::H2 => {
                let Some(conn) = self.h2.get(index) else { return Next::Close };
                let cx = h2::Cx { date: self.heads.date(), now, stopping, limits: &cfg.h2 };
                let fed = conn.feed(input, self.output, &cx);
                // Answers held back by the peer's window: the send timeout runs; after our
                // GOAWAY, the linger does.
                if conn.is_blocked() {
                    slot.deadline = now.wrapping_add(cfg.send_timeout);
                } else if !conn.is_stopped() {
                    slot.deadline = now.wrapping_add(cfg.idle_timeout);
                }
                (served(fed.consumed, fed.written, fed.next == h2::Next::Done, fed.stopped), false)
            }
        };
        if served.upgrade {
            // The bytes after the upgrade request are the first frames.
            let mut conn = ws::Conn::default();
            let rest = input.get(served.consumed..).unwrap_or_default();
            let out = self.output.get_mut(served.written..).unwrap_or_default();
            let (more, began_closing) = ws_served(&mut conn, rest, out, &cfg.ws);
            closing = began_closing;
            slot.proto = Proto::Ws(conn);
            served = http1::Served {
                consumed: served.consumed + more.consumed,
                written: served.written + more.written,
                close: more.close,
                stopped: more.stopped,
                upgrade: true,
            };
        }
        let begun = slot.proto.begun();

        // 5. Keep what is left of the input.
        let consumed = served.consumed.min(total);
        if served.close {
            slot.rlen = 0;
            slot.life = Life::Closing;
        } else if in_slot {
            if let Some(window) = rbuf.get_mut(..total)
                && consumed > 0
            {
                window.copy_within(consumed.., 0);
            }
            slot.rlen = (total - consumed) as u32;
        } else {
            slot.rlen = copy_into(rbuf, self.input.get(consumed..total).unwrap_or_default()) as u32;
        }
        if served.stopped {
            slot.io |= STOPPED;
        }
        match slot.proto {
            Proto::Http1(_) if !begun => slot.deadline = now.wrapping_add(cfg.idle_timeout),
            // A new request has begun: it has header_timeout to arrive whole.
            Proto::Http1(_) if !begun_before || served.written > 0 => {
                slot.deadline = now.wrapping_add(cfg.header_timeout)
            }
            Proto::Ws(c) if c.is_open() => slot.deadline = now.wrapping_add(cfg.idle_timeout),
            // Our close has just gone: the peer has the linger time to answer it.
            Proto::Ws(_) if closing => slot.deadline = now.wrapping_add(cfg.linger_timeout),
            _ => {}
        }

        // 6. Send every answer of this turn at once; keep what the socket does not take.
        let out = self.output.get(..served.written).unwrap_or_default();
        if !out.is_empty() && send_or_keep(slot, wbuf, out, now, cfg).is_err() {
            return Next::Close;
        }
        if slot.wpos < slot.wlen {
            return Next::Wait;
        }

        if slot.life == Life::Closing || slot.io & STOPPED != 0 {
            return Next::Again;
        }
        if slot.io & PEER_EOF != 0 {
            // Nothing more will arrive: a request under way can never complete.
            return if begun { Next::Refuse(400) } else { Next::Close };
        }
        if slot.io & (UNREAD | HUNG_UP) != 0 { Next::Again } else { Next::Wait }
    }
}

/// Sends `out` now and keeps in the slot what the socket does not take; `Err` when the
/// connection is broken.
pub(super) fn send_or_keep(slot: &mut arena::Slot, wbuf: &mut [u8], out: &[u8], now: u32, cfg: &Config) -> Result<(), ()> {
    if out.is_empty() {
        return Ok(());
    }
    if slot.wpos < slot.wlen {
        // Output already waits (a close or refusal decided outside a turn): this goes after
        // it, in order, or the connection cannot go on.
        let (pos, len) = (slot.wpos as usize, slot.wlen as usize);
        if let Some(window) = wbuf.get_mut(..len)
            && pos <= window.len()
        {
            window.copy_within(pos.., 0);
        }
        let kept = len - pos.min(len);
        let dst = wbuf.get_mut(kept..kept + out.len()).ok_or(())?;
        dst.copy_from_slice(out);
        slot.wpos = 0;
        slot.wlen = (kept + out.len()) as u32;
        return Ok(());
    }
    let sent = loop {
        match sys::send(slot.fd, out) {
            Ok(n) => break n,
            Err(Errno::EAGAIN) => break 0,
            Err(Errno::EINTR) => {}
            Err(_) => return Err(()),
        }
    };
    if sent < out.len() {
        slot.wpos = 0;
        slot.wlen = copy_into(wbuf, out.get(sent..).unwrap_or_default()) as u32;
        slot.deadline = now.wrapping_add(cfg.send_timeout);
        slot.queued = sys::unsent(slot.fd).unwrap_or(0);
    }
    Ok(())
}

/// Feeds a WebSocket connection, in the terms of an HTTP/1.1 turn (`close` when the handshake is
/// over), and whether our close has just gone out (the wait for the peer's begins).
fn ws_served(conn: &mut ws::Conn, input: &[u8], out: &mut [u8], limits: &ws::Limits) -> (http1::Served, bool) {
    let was_open = conn.is_open();
    let fed = ws::feed(conn, input, out, limits);
    (served(fed.consumed, fed.written, fed.next == ws::Next::Done, fed.stopped), was_open && fed.next == ws::Next::Closing)
}

/// A protocol's call in the terms of an HTTP/1.1 turn.
fn served(consumed: usize, written: usize, close: bool, stopped: bool) -> http1::Served {
    http1::Served { consumed, written, close, stopped, upgrade: false }
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
