//! The echo: the connection's state machine over received bytes ([`feed`], [`close`]).
//!
//! Contract of [`feed`]:
//! - Echo frame by frame, so memory stays bounded by the connection's slot: a data frame whose
//!   payload is all in `input` comes back as one frame with the same opcode and FIN. A longer
//!   one comes back in pieces of what has arrived, each at least [`ECHO_CHUNK`] bytes (less
//!   only for its last piece, or when an empty `out` holds no more); until then it is left
//!   unconsumed, to batch. The first outgoing frame of a message carries its opcode, later ones
//!   are continuations, FIN only on the last piece of the final frame: the client sees the same
//!   messages, fragmented in its own way (§5.4 lets intermediaries refragment).
//! - Server frames are never masked (§5.1).
//! - Unless `stopped`, unconsumed input is at most a partial frame header (≤ 13 bytes), a
//!   partial control frame (≤ 131 bytes), or a data frame's header and fewer than
//!   [`ECHO_CHUNK`] payload bytes (≤ 4109 bytes in all). The worker keeps it and calls again
//!   with it at the front. Once [`Next::Done`], all input is consumed and dropped.
//! - `stopped` means `out` had no room for the next piece: the worker sends and calls again.
//!   Any sizes work; an empty `out` of at least [`MIN_OUT`] bytes always makes progress (a pong
//!   is never split, so it needs 127 bytes).
//! - Many frames in one `input` get all their echoes in one `out`.
//! - Messages: text is checked as UTF-8 across its fragments, a code point cut short by the
//!   end of the message included: on the first invalid byte we close with 1007 (the message's
//!   earlier pieces may have gone out already). The limit [`Limits::max_message`] is on the
//!   total payload of a message, counted from the frame headers as they arrive: the frame that
//!   would take the total past it is refused with 1009 before any of it is echoed, its earlier
//!   frames having been echoed as they came.
//! - Control frames (§5.5) may come between the fragments of a message. A ping gets a pong
//!   with its payload; a pong is ignored; a close is answered with a close carrying its status
//!   code (without the reason), or no code if it had none (1005 never goes on the wire), and
//!   the connection is [`Next::Done`]. A close with a 1-byte payload, a status code that may not
//!   be sent ([`valid_close_code`]) or a reason that is not UTF-8 is answered with 1002.
//! - Protocol errors close with 1002, and nothing more is echoed: an unmasked frame (§5.1), RSV
//!   bits (no extension is negotiated, §5.2), an unknown opcode, a control frame longer than
//!   125 bytes or not final (§5.5), a continuation with no message begun or a new message
//!   inside a fragmented one (§5.4), a length the frame header refuses ([`frame::parse`]).
//! - After we sent a close ([`Next::Closing`]), frames are skipped unread until the peer's
//!   close, which ends it ([`Next::Done`], no second close from us). A header that cannot be
//!   parsed then ends it too.
//!
//! The fast path: between messages, an `input` that is exactly one final, masked text (ASCII)
//! or binary frame of under 16 bytes is echoed by [`feed`] itself, with no call and no loop
//! (about 75 instructions for a 5-byte text frame, under callgrind). Anything else goes through
//! the general loop, one step per header or payload piece.

use super::{frame, mask, utf8};
use frame::{Header, Parsed};
use utf8::Utf8;

/// The least payload of an incomplete frame worth echoing as a fragment of its own.
pub const ECHO_CHUNK: usize = 4096;
/// An empty `out` at least this long always lets [`feed`] make progress (the longest pong).
pub const MIN_OUT: usize = 2 + frame::MAX_CONTROL_PAYLOAD;

/// Close status codes we send (§7.4.1).
pub const PROTOCOL_ERROR: u16 = 1002;
pub const INVALID_PAYLOAD: u16 = 1007;
pub const MESSAGE_TOO_BIG: u16 = 1009;
pub const GOING_AWAY: u16 = 1001;

const OPEN: u8 = 0;
const CLOSING: u8 = 1;
const DONE: u8 = 2;

/// Per-connection WebSocket state: 32 bytes, `Copy`, and all-zero (the `Default`) is a fresh
/// connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Conn {
    /// Payload bytes still to come of the frame being echoed (or skipped, once closing);
    /// 0 between frames.
    remaining: u64,
    /// The payload of the current message so far (declared lengths of its frames).
    total: u64,
    /// The current frame's masking key, and the payload offset (mod 4) of its next byte.
    key: [u8; 4],
    offset: u8,
    /// OPEN, CLOSING or DONE.
    phase: u8,
    /// The opcode of the message in progress (TEXT or BINARY), 0 between messages.
    message: u8,
    /// Whether the current frame is its message's last.
    fin: bool,
    /// Whether a frame of the current message has gone out (the next one is a continuation).
    sent: bool,
    /// The current text message's UTF-8 state.
    utf8: Utf8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest message payload, in bytes; past it, 1009.
    pub max_message: u64,
}

impl Limits {
    pub const DEFAULT: Limits = Limits { max_message: 1 << 20 };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// What [`feed`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fed {
    /// Input bytes used; the rest must be passed again, at the front of the next call.
    pub consumed: usize,
    /// Bytes written at the start of `out`, to send.
    pub written: usize,
    pub next: Next,
    /// It stopped because `out` had no room for the next piece: send, then call again.
    pub stopped: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Keep the connection; feed more input when it arrives.
    Open,
    /// We sent a close frame (protocol error, 1007, 1009, or our 1001) and wait for the peer's
    /// close for a bounded time (the worker owns the timer); keep feeding input: frames are
    /// ignored, the peer's close ends it.
    Closing,
    /// The close handshake is over (or the peer's close was answered): close TCP once
    /// `written` bytes are sent.
    Done,
}

impl Conn {
    /// Whether neither side has begun the close handshake.
    pub fn is_open(&self) -> bool {
        self.phase == OPEN
    }
}

/// Whether a close frame may carry `code` (§7.4): 1000-1003 and 1007-1011 (§7.4.1), 1012-1014
/// (registered with IANA since: Service Restart, Try Again Later, Bad Gateway; browsers send
/// them), and 3000-4999 (§7.4.2: libraries and applications). Not 0-999, not 1004 (reserved),
/// 1005 and 1006 (never on the wire), 1015 (TLS failure, never on the wire), nor the rest of
/// 1016-2999, reserved for the protocol's future use.
pub fn valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Feeds received bytes; see the module's contract.
pub fn feed(conn: &mut Conn, input: &[u8], out: &mut [u8], limits: &Limits) -> Fed {
    // The commonest case first, on a path with no calls: `input` is one final, masked frame of
    // binary or ASCII text under 16 bytes, between messages.
    if conn.remaining == 0
        && conn.message == 0
        && conn.phase == OPEN
        && let Some((n, m)) = tiny(input, out, limits)
    {
        if n == input.len() {
            return Fed { consumed: n, written: m, next: Next::Open, stopped: false };
        }
        return general(conn, input, out, limits, n, m);
    }
    general(conn, input, out, limits, 0, 0)
}

/// The tiny-frame path for the frame at the front of `input`: final, masked, binary or ASCII
/// text under 16 bytes, between messages (the caller checks that), all of it here and room for
/// its echo. Returns the bytes consumed and written, or None to take the general path.
#[inline(always)]
fn tiny(input: &[u8], out: &mut [u8], limits: &Limits) -> Option<(usize, usize)> {
    let [b0 @ (0x81 | 0x82), b1 @ 0x80..=0x8F, ref rest @ ..] = *input else { return None };
    let (key, rest) = rest.split_first_chunk::<4>()?;
    let len = usize::from(b1 & 0x7F);
    let payload = rest.get(..len)?;
    if len as u64 > limits.max_message {
        return None;
    }
    let dst = out.get_mut(2..2 + len)?;
    if !mask::unmask_copy_inline(dst, payload, *key) && b0 == 0x81 {
        return None;
    }
    *out.first_chunk_mut::<2>()? = [b0, b1 & 0x7F];
    Some((6 + len, 2 + len))
}

/// Everything but the fast path: the loop over frames, from `i` in `input` and `w` in `out`.
#[inline(never)]
fn general(conn: &mut Conn, input: &[u8], out: &mut [u8], limits: &Limits, mut i: usize, mut w: usize) -> Fed {
    let stopped = loop {
        if conn.phase == DONE {
            // Nothing more to read: whatever came (or is left) is dropped.
            i = input.len();
            break false;
        }
        let room = out.get_mut(w..).unwrap_or_default();
        let rest = input.get(i..).unwrap_or_default();
        match step(conn, rest, room, w == 0, limits) {
            Step::Go(n, m) => {
                i += n;
                w += m;
            }
            Step::Wait => break false,
            Step::NoRoom => break true,
            Step::Fail { code, skip, remaining } => match close_frame(room, Some(code)) {
                Some(m) => {
                    // Nothing more is echoed; what is left of the frame is skipped.
                    i += skip;
                    w += m;
                    conn.remaining = remaining;
                    conn.phase = CLOSING;
                }
                None => break true,
            },
        }
    };
    let next = match conn.phase {
        OPEN => Next::Open,
        CLOSING => Next::Closing,
        _ => Next::Done,
    };
    Fed { consumed: i, written: w, next, stopped }
}

/// What one step over the input did.
enum Step {
    /// Consumed this many input bytes and wrote this many bytes.
    Go(usize, usize),
    /// Too little input to go on (a partial header, control frame, or short data piece).
    Wait,
    /// `out` has no room for the next piece.
    NoRoom,
    /// Close with `code`: once our close is written, `skip` input bytes are consumed and
    /// `remaining` payload bytes after them are skipped. The state is otherwise unchanged.
    Fail { code: u16, skip: usize, remaining: u64 },
}

/// One step at the front of `input`: a piece of the current frame's payload, or a frame header
/// (with a control frame's payload, or a data frame's first piece).
fn step(conn: &mut Conn, input: &[u8], out: &mut [u8], fresh: bool, limits: &Limits) -> Step {
    if conn.remaining > 0 {
        if conn.phase == OPEN {
            return echo(conn, input, out, fresh);
        }
        // Closing: the payload is skipped.
        let n = conn.remaining.min(input.len() as u64);
        conn.remaining -= n;
        return if n == 0 { Step::Wait } else { Step::Go(n as usize, 0) };
    }

    let h = match frame::parse(input) {
        Parsed::Partial(_) => return Step::Wait,
        Parsed::Complete(h) => h,
        Parsed::Invalid if conn.phase == OPEN => {
            // No way to find the next frame: the rest of the input is dropped.
            return Step::Fail { code: PROTOCOL_ERROR, skip: input.len(), remaining: 0 };
        }
        Parsed::Invalid => {
            // Lost track of the frames while waiting for the peer's close.
            conn.phase = DONE;
            return Step::Go(0, 0);
        }
    };
    let payload = input.get(h.size..).unwrap_or_default();

    if conn.phase != OPEN {
        // Closing: every frame is skipped but the peer's close, which ends it.
        if h.opcode == frame::CLOSE {
            conn.phase = DONE;
        }
        conn.remaining = h.len;
        return Step::Go(h.size, 0);
    }

    let code = check(conn, &h, limits);
    if code != 0 {
        return Step::Fail { code, skip: h.size, remaining: h.len };
    }
    let key = h.mask.unwrap_or_default();

    if h.is_control() {
        // check() proved len <= 125.
        let Some(body) = payload.get(..h.len as usize) else { return Step::Wait };
        let written = match h.opcode {
            frame::PING => {
                let Some((head, data)) = out.get_mut(..2 + body.len()).and_then(|o| o.split_first_chunk_mut::<2>()) else {
                    return Step::NoRoom;
                };
                *head = [0x80 | frame::PONG, body.len() as u8];
                mask::unmask_copy(data, body, key, 0);
                2 + body.len()
            }
            frame::CLOSE => {
                let Some(m) = close_frame(out, close_reply(body, key)) else { return Step::NoRoom };
                conn.phase = DONE;
                m
            }
            _ => 0, // an unsolicited pong
        };
        return Step::Go(h.size + body.len(), written);
    }

    // A data frame: echo its first piece, or wait for more of it.
    let mut next = *conn;
    if h.opcode != frame::CONTINUATION {
        next.message = h.opcode;
        next.sent = false;
        next.total = 0;
        next.utf8 = Utf8::new();
    }
    next.total += h.len; // check() proved it stays within the limit
    next.remaining = h.len;
    next.key = key;
    next.offset = 0;
    next.fin = h.fin;
    match echo(&mut next, payload, out, fresh) {
        Step::Go(n, m) => {
            *conn = next;
            Step::Go(h.size + n, m)
        }
        Step::Fail { code, .. } => Step::Fail { code, skip: h.size, remaining: h.len },
        other => other,
    }
}

/// Starts our close with `code` (1001 for idle timeout and server stop): writes the close frame
/// into `out` and returns its size; afterwards the state is Closing. Returns 0, changing
/// nothing, if `out` is shorter than 4 bytes or we are already closing.
pub fn close(conn: &mut Conn, code: u16, out: &mut [u8]) -> usize {
    if conn.phase != OPEN {
        return 0;
    }
    let Some(m) = close_frame(out, Some(code)) else { return 0 };
    conn.phase = CLOSING;
    m
}

/// The close code a frame's sequence or its own rules break (§5), or 0 if it may be echoed.
fn check(conn: &Conn, h: &Header, limits: &Limits) -> u16 {
    let ok = h.rsv == 0
        && h.mask.is_some()
        && match h.opcode {
            frame::CONTINUATION => conn.message != 0,
            frame::TEXT | frame::BINARY => conn.message == 0,
            frame::CLOSE | frame::PING | frame::PONG => h.fin && h.len <= frame::MAX_CONTROL_PAYLOAD as u64,
            _ => false,
        };
    if !ok {
        return PROTOCOL_ERROR;
    }
    let so_far = if h.opcode == frame::CONTINUATION { conn.total } else { 0 };
    if !h.is_control() && so_far.saturating_add(h.len) > limits.max_message {
        return MESSAGE_TOO_BIG;
    }
    0
}

/// Echoes the next piece of the current frame's payload (`conn.remaining` bytes to go, of
/// which `input` holds the first) into `out` as one frame; `fresh` says `out` is all the room
/// there will be (nothing written before it in this call). On invalid UTF-8 the state is left
/// as it was, and nothing of the piece counts as consumed.
fn echo(conn: &mut Conn, input: &[u8], out: &mut [u8], fresh: bool) -> Step {
    let r = conn.remaining;
    let avail = r.min(input.len() as u64) as usize;
    if (avail as u64) < r && avail < ECHO_CHUNK {
        return Step::Wait;
    }
    let Some(n) = fit(out.len(), avail) else { return Step::NoRoom };
    if n < avail && !fresh && n < ECHO_CHUNK {
        // Better to send what is written and come back with an empty `out`.
        return Step::NoRoom;
    }
    let last = n as u64 == r;
    let fin = last && conn.fin;
    let opcode = if conn.sent { frame::CONTINUATION } else { conn.message };
    let h = frame::write_header(out, fin, opcode, n);
    let (Some(dst), Some(src)) = (out.get_mut(h..h + n), input.get(..n)) else { return Step::NoRoom };
    let ascii = mask::unmask_copy(dst, src, conn.key, usize::from(conn.offset));
    // An ASCII piece with no code point pending leaves the text valid and complete.
    if conn.message == frame::TEXT && !(ascii && conn.utf8.is_complete()) {
        let mut u = conn.utf8;
        if u.feed(dst).is_err() || (fin && !u.is_complete()) {
            return Step::Fail { code: INVALID_PAYLOAD, skip: 0, remaining: r };
        }
        conn.utf8 = u;
    }
    conn.remaining = r - n as u64;
    conn.offset = ((usize::from(conn.offset) + n) & 3) as u8;
    conn.sent = true;
    if fin {
        conn.message = 0;
        conn.sent = false;
        conn.total = 0;
        conn.utf8 = Utf8::new();
    }
    Step::Go(n, h + n)
}

/// The longest payload, up to `want`, whose frame fits in `room` bytes; None if not even one
/// byte does (or, for `want` 0, not even the header).
fn fit(room: usize, want: usize) -> Option<usize> {
    if want.saturating_add(frame::header_size(want)) <= room {
        return Some(want);
    }
    // Each header size with the room that is left for its payload, largest first.
    let n = if room > 10 + 0xFFFF {
        room - 10
    } else if room > 4 + 125 {
        (room - 4).min(0xFFFF)
    } else {
        room.saturating_sub(2).min(125)
    };
    Some(n.min(want)).filter(|&n| n > 0)
}

/// The code our answer to a peer's close carries: its own if valid, none if it had none,
/// 1002 if the frame is malformed (§5.5.1, §7.4).
fn close_reply(body: &[u8], key: [u8; 4]) -> Option<u16> {
    let mut buf = [0u8; frame::MAX_CONTROL_PAYLOAD];
    let Some(text) = buf.get_mut(..body.len()) else { return Some(PROTOCOL_ERROR) };
    mask::unmask_copy(text, body, key, 0);
    match text {
        [] => None,
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if valid_close_code(code) && utf8::is_valid(reason) { Some(code) } else { Some(PROTOCOL_ERROR) }
        }
        [_] => Some(PROTOCOL_ERROR),
    }
}

/// Writes a close frame with `code` (or an empty one) into `out`; None if it does not fit.
fn close_frame(out: &mut [u8], code: Option<u16>) -> Option<usize> {
    match (code, out) {
        (None, [a, b, ..]) => {
            (*a, *b) = (0x88, 0);
            Some(2)
        }
        (Some(code), [a, b, c, d, ..]) => {
            let [hi, lo] = code.to_be_bytes();
            (*a, *b, *c, *d) = (0x88, 2, hi, lo);
            Some(4)
        }
        _ => None,
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::xorshift;
    use frame::{BINARY, CLOSE, CONTINUATION, PONG, TEXT};

    // ---- The client's side: masked frames out, the server's frames back in. ----

    /// A masked client frame with the minimal length form.
    fn frame(b0: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
        let form = match payload.len() {
            0..=125 => 0,
            126..=0xFFFF => 2,
            _ => 8,
        };
        frame_in(b0, payload, Some(key), form)
    }

    /// A client frame with the given length form (0, 2 or 8 extra bytes), masked or not.
    fn frame_in(b0: u8, payload: &[u8], key: Option<[u8; 4]>, form: usize) -> Vec<u8> {
        let m = if key.is_some() { 0x80 } else { 0 };
        let len = payload.len() as u64;
        let mut f = vec![b0];
        match form {
            0 => f.push(m | len as u8),
            2 => {
                f.push(m | 126);
                f.extend((len as u16).to_be_bytes());
            }
            _ => {
                f.push(m | 127);
                f.extend(len.to_be_bytes());
            }
        }
        match key {
            Some(k) => {
                f.extend(k);
                f.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
            }
            None => f.extend(payload),
        }
        f
    }

    /// The frame as the server writes it: unmasked, minimal length.
    fn server_frame(b0: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 10];
        let n = frame::write_header(&mut f, b0 & 0x80 != 0, b0 & 0xF, payload.len());
        f.truncate(n);
        f.extend(payload);
        f
    }

    fn close_bytes(code: u16) -> Vec<u8> {
        let mut f = vec![0x88, 2];
        f.extend(code.to_be_bytes());
        f
    }

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Got {
        Text(Vec<u8>),
        Binary(Vec<u8>),
        Pong(Vec<u8>),
        Close(Option<u16>),
    }

    /// Reads the server's frames back into messages, checking every frame is well formed:
    /// unmasked, no RSV bits, minimal lengths, control frames final and short, continuations
    /// only inside a message. Returns the messages and the payload of a message left unfinished.
    fn decode(mut s: &[u8]) -> (Vec<Got>, Option<Vec<u8>>) {
        let mut got = Vec::new();
        let mut msg: Option<(u8, Vec<u8>)> = None;
        while !s.is_empty() {
            let Parsed::Complete(h) = frame::parse(s) else { panic!("bad server frame at {:x?}", &s[..s.len().min(14)]) };
            assert_eq!((h.mask, h.rsv), (None, 0), "server frames are unmasked, without RSV bits");
            let p = s[h.size..h.size + h.len as usize].to_vec();
            s = &s[h.size + h.len as usize..];
            if h.is_control() {
                assert!(h.fin && p.len() <= 125);
            }
            match h.opcode {
                CONTINUATION => msg.as_mut().expect("continuation inside a message").1.extend(&p),
                TEXT | BINARY => {
                    assert!(msg.is_none(), "a new message inside another");
                    msg = Some((h.opcode, p));
                }
                PONG => got.push(Got::Pong(p)),
                CLOSE => got.push(Got::Close(match p[..] {
                    [] => None,
                    [a, b] => Some(u16::from_be_bytes([a, b])),
                    _ => panic!("our closes carry no reason"),
                })),
                op => panic!("opcode {op}"),
            }
            if h.fin && !h.is_control() {
                let (op, data) = msg.take().unwrap();
                got.push(if op == TEXT { Got::Text(data) } else { Got::Binary(data) });
            }
        }
        (got, msg.map(|m| m.1))
    }

    // ---- The worker's side. ----

    struct Driven {
        /// Every byte written, in order.
        sent: Vec<u8>,
        next: Next,
        /// Input left unconsumed at the end.
        left: usize,
    }

    /// Feeds `wire` in pieces of the lengths `piece` gives, as the worker would: unconsumed bytes
    /// kept at the front, `out` (of `out_size`, empty on every call) sent after each call,
    /// called again while `stopped`. Stops at Done. Checks the contract on every call.
    fn drive_with(conn: &mut Conn, wire: &[u8], piece: &mut dyn FnMut() -> usize, out_size: usize, limits: &Limits) -> Driven {
        let mut kept = Vec::new();
        let mut sent = Vec::new();
        let mut out = vec![0u8; out_size];
        let mut pos = 0;
        let mut next = Next::Open;
        while pos < wire.len() {
            let end = (pos + piece().max(1)).min(wire.len());
            kept.extend_from_slice(&wire[pos..end]);
            pos = end;
            loop {
                let fed = feed(conn, &kept, &mut out, limits);
                assert!(fed.consumed <= kept.len() && fed.written <= out.len());
                sent.extend_from_slice(&out[..fed.written]);
                kept.drain(..fed.consumed);
                next = fed.next;
                if next == Next::Done {
                    return Driven { sent, next, left: kept.len() };
                }
                if !fed.stopped {
                    if next == Next::Open {
                        assert!(kept.len() < frame::MAX_HEADER + ECHO_CHUNK, "{} bytes left unconsumed", kept.len());
                    }
                    break;
                }
                assert!(fed.written > 0 || fed.consumed > 0, "stopped without progress (out {out_size})");
            }
        }
        Driven { sent, next, left: kept.len() }
    }

    fn drive(wire: &[u8], piece: &mut dyn FnMut() -> usize, out_size: usize) -> Driven {
        drive_with(&mut Conn::default(), wire, piece, out_size, &Limits::DEFAULT)
    }

    /// The lengths of the pieces the input arrives in.
    type Pieces = Box<dyn FnMut() -> usize>;

    fn whole() -> impl FnMut() -> usize {
        || usize::MAX / 2
    }

    fn bytewise() -> impl FnMut() -> usize {
        || 1
    }

    fn random_cuts(seed: u64, max: usize) -> impl FnMut() -> usize {
        let mut s = seed;
        move || 1 + (xorshift(&mut s) as usize) % max
    }

    /// Valid UTF-8 of exactly `n` bytes, with 2-, 3- and 4-byte characters so cuts split them.
    fn text(n: usize, seed: &mut u64) -> Vec<u8> {
        let mut s = String::new();
        while s.len() < n {
            let c = ['a', 'é', '€', '😀', ' ', 'z'][(xorshift(seed) % 6) as usize];
            if s.len() + c.len_utf8() <= n { s.push(c) } else { s.push('.') }
        }
        s.into_bytes()
    }

    fn bytes(n: usize, seed: &mut u64) -> Vec<u8> {
        (0..n).map(|_| xorshift(seed) as u8).collect()
    }

    fn key(seed: &mut u64) -> [u8; 4] {
        (xorshift(seed) as u32).to_le_bytes()
    }

    // ---- Tests. ----

    #[test]
    fn conn_is_small_and_zero_is_fresh() {
        println!("size_of::<Conn>() = {}", size_of::<Conn>());
        assert!(size_of::<Conn>() <= 48);
        assert_eq!(size_of::<Conn>(), 32);
        assert_eq!(Conn::default(), Conn { remaining: 0, total: 0, key: [0; 4], offset: 0, phase: 0, message: 0, fin: false, sent: false, utf8: Utf8::new() });
    }

    #[test]
    fn a_short_text_frame_comes_back_unmasked() {
        // RFC 6455 §5.7: "Hello", masked.
        let wire = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
        let mut conn = Conn::default();
        let mut out = [0u8; 64];
        let fed = feed(&mut conn, &wire, &mut out, &Limits::DEFAULT);
        assert_eq!(fed, Fed { consumed: 11, written: 7, next: Next::Open, stopped: false });
        assert_eq!(&out[..7], b"\x81\x05Hello");
        // Every prefix waits, consuming nothing.
        for cut in 0..wire.len() {
            let fed = feed(&mut conn, &wire[..cut], &mut out, &Limits::DEFAULT);
            assert_eq!(fed, Fed { consumed: 0, written: 0, next: Next::Open, stopped: false }, "cut {cut}");
        }
        // An empty out one byte short gets what fits, as a fragment; the rest follows.
        let fed = feed(&mut conn, &wire, &mut out[..6], &Limits::DEFAULT);
        assert_eq!(fed, Fed { consumed: 10, written: 6, next: Next::Open, stopped: true });
        assert_eq!(&out[..6], b"\x01\x04Hell");
        let fed = feed(&mut conn, &wire[10..], &mut out[..6], &Limits::DEFAULT);
        assert_eq!(fed, Fed { consumed: 1, written: 3, next: Next::Open, stopped: false });
        assert_eq!(&out[..3], b"\x80\x01o");
        assert_eq!((conn.remaining, conn.message, conn.sent), (0, 0, false));
    }

    /// Sizes the contract names, as text and binary, whole, at random cuts and byte at a time,
    /// with a worker-sized out, the smallest that always progresses, and a tiny one.
    #[test]
    fn every_size_every_split_every_out() {
        let mut seed = 0x5173_0001;
        for len in [0, 1, 125, 126, 65_535, 65_536, 1 << 20] {
            for op in [TEXT, BINARY] {
                let payload = if op == TEXT { text(len, &mut seed) } else { bytes(len, &mut seed) };
                let wire = frame(0x80 | op, &payload, key(&mut seed));
                let want = vec![if op == TEXT { Got::Text(payload.clone()) } else { Got::Binary(payload.clone()) }];
                for out in [16 << 10, MIN_OUT, 16] {
                    let splits: [(&str, Pieces); 3] = [
                        ("whole", Box::new(whole())),
                        ("random", Box::new(random_cuts(seed ^ len as u64, 3000))),
                        ("bytewise", Box::new(bytewise())),
                    ];
                    for (name, mut piece) in splits {
                        if name == "bytewise" && len == 1 << 20 && out != 16 << 10 {
                            continue; // slow and adds nothing over the cases around it
                        }
                        let d = drive(&wire, &mut piece, out);
                        let (got, partial) = decode(&d.sent);
                        assert_eq!((d.next, d.left, partial), (Next::Open, 0, None), "{len} {op} {name} out {out}");
                        assert!(got == want, "{len} op {op} {name} out {out}: echo differs");
                        if len <= 125 && out >= MIN_OUT {
                            // A short frame always comes back as one frame.
                            assert_eq!(d.sent, server_frame(0x80 | op, &payload));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn long_frames_come_back_in_pieces_of_at_least_echo_chunk() {
        let mut seed = 0x7069_6563;
        let payload = bytes(100_000, &mut seed);
        let wire = frame(0x82, &payload, key(&mut seed));
        let d = drive(&wire, &mut random_cuts(9, 1500), 16 << 10);
        let mut s = &d.sent[..];
        let mut pieces = 0;
        while !s.is_empty() {
            let Parsed::Complete(h) = frame::parse(s) else { panic!() };
            let end = h.size + h.len as usize;
            s = &s[end..];
            assert!(h.len as usize >= ECHO_CHUNK || s.is_empty(), "a short piece before the last");
            assert_eq!(h.opcode, if pieces == 0 { BINARY } else { CONTINUATION });
            assert_eq!(h.fin, s.is_empty());
            pieces += 1;
        }
        assert!(pieces > 1);
        assert_eq!(decode(&d.sent).0, vec![Got::Binary(payload)]);
    }

    #[test]
    fn many_frames_in_one_input_get_all_their_echoes_in_one_out() {
        let mut seed = 0x6d61_6e79;
        let mut wire = Vec::new();
        let mut want = Vec::new();
        for i in 0..100 {
            let p = text(i % 40, &mut seed);
            wire.extend(frame(0x81, &p, key(&mut seed)));
            want.extend(server_frame(0x81, &p));
            if i % 10 == 0 {
                wire.extend(frame(0x89, b"ping", key(&mut seed)));
                want.extend(server_frame(0x8A, b"ping"));
            }
        }
        let mut conn = Conn::default();
        let mut out = vec![0u8; 16 << 10];
        let fed = feed(&mut conn, &wire, &mut out, &Limits::DEFAULT);
        assert_eq!(fed, Fed { consumed: wire.len(), written: want.len(), next: Next::Open, stopped: false });
        assert_eq!(&out[..fed.written], &want[..]);
    }

    /// A stream of messages, fragmented at random, with pings between fragments and pongs
    /// from the client, fed at random cuts into random outs; returns the wire and the echo.
    fn conversation(seed: &mut u64, messages: usize, max_len: usize) -> (Vec<u8>, Vec<Got>) {
        let mut wire = Vec::new();
        let mut want = Vec::new();
        for _ in 0..messages {
            let op = if xorshift(seed).is_multiple_of(2) { TEXT } else { BINARY };
            let len = (xorshift(seed) as usize) % max_len;
            let payload = if op == TEXT { text(len, seed) } else { bytes(len, seed) };
            // Cut into fragments anywhere (text fragments may split code points).
            let mut cuts: Vec<usize> = (0..xorshift(seed) % 4).map(|_| (xorshift(seed) as usize) % (len + 1)).collect();
            cuts.sort();
            cuts.push(len);
            let mut start = 0;
            for (i, &end) in cuts.iter().enumerate() {
                let fin = if i + 1 == cuts.len() { 0x80 } else { 0 };
                let opcode = if i == 0 { op } else { CONTINUATION };
                wire.extend(frame(fin | opcode, &payload[start..end], key(seed)));
                start = end;
                if fin != 0 {
                    let p = payload.clone();
                    want.push(if op == TEXT { Got::Text(p) } else { Got::Binary(p) });
                }
                match xorshift(seed) % 5 {
                    0 => {
                        let p = bytes((xorshift(seed) % 126) as usize, seed);
                        wire.extend(frame(0x89, &p, key(seed)));
                        want.push(Got::Pong(p));
                    }
                    1 => wire.extend(frame(0x8A, b"unsolicited", key(seed))),
                    _ => {}
                }
            }
        }
        (wire, want)
    }

    #[test]
    fn fragmented_conversations_with_pings_at_random_cuts_and_outs() {
        let mut seed = 0x636f_6e76;
        for round in 0..300 {
            let max_len = if round % 10 == 0 { 40_000 } else { 300 };
            let (wire, want) = conversation(&mut seed, 1 + round % 12, max_len);
            let out = [16 << 10, MIN_OUT, MIN_OUT + 3, 1000, 5000][round % 5];
            let mut piece: Pieces = match round % 3 {
                0 => Box::new(whole()),
                1 => Box::new(random_cuts(seed, 200)),
                _ => Box::new(random_cuts(seed, 9000)),
            };
            let d = drive(&wire, &mut piece, out);
            let (got, partial) = decode(&d.sent);
            assert_eq!((d.next, d.left, partial), (Next::Open, 0, None), "round {round}");
            if got != want {
                let n = got.iter().zip(&want).take_while(|(a, b)| a == b).count();
                let short = |g: Option<&Got>| format!("{:?}", g).chars().take(200).collect::<String>();
                panic!("round {round} (out {out}): echo differs at message {n} of {}/{}: got {} want {}", got.len(), want.len(), short(got.get(n)), short(want.get(n)));
            }
        }
        // Byte at a time with a tiny out (no pong above its room).
        let (wire, want) = conversation(&mut seed, 20, 2000);
        let d = drive(&wire, &mut bytewise(), MIN_OUT);
        assert_eq!(decode(&d.sent).0, want);
    }

    #[test]
    fn pings_between_fragments_are_answered_in_place() {
        let k = [1, 2, 3, 4];
        let mut wire = frame(TEXT, b"hel", k);
        wire.extend(frame(0x89, b"p1", k));
        wire.extend(frame(CONTINUATION, b"lo ", k));
        wire.extend(frame(0x89, b"", k));
        wire.extend(frame(0x8A, b"ignored", k));
        wire.extend(frame(0x80, b"world", k));
        let mut want = server_frame(TEXT, b"hel");
        want.extend(server_frame(0x8A, b"p1"));
        want.extend(server_frame(CONTINUATION, b"lo "));
        want.extend(server_frame(0x8A, b""));
        want.extend(server_frame(0x80, b"world"));
        for piece in [1, 2, 7, 1000] {
            let d = drive(&wire, &mut || piece, 4096);
            assert_eq!(d.sent, want, "pieces of {piece}");
        }
    }

    #[test]
    fn message_limit_is_on_the_total() {
        let limits = Limits { max_message: 1000 };
        let k = [9, 8, 7, 6];
        let run = |wire: &[u8]| {
            let mut conn = Conn::default();
            drive_with(&mut conn, wire, &mut random_cuts(5, 50), 4096, &limits)
        };
        // Exactly the limit, in one frame or three.
        let d = run(&frame(0x82, &[7; 1000], k));
        assert_eq!(decode(&d.sent).0, vec![Got::Binary(vec![7; 1000])]);
        let mut wire = frame(BINARY, &[1; 400], k);
        wire.extend(frame(CONTINUATION, &[2; 400], k));
        wire.extend(frame(0x80, &[3; 200], k));
        assert_eq!(decode(&run(&wire).sent).0.len(), 1);
        // One byte past it in the last fragment: the earlier fragments were echoed, then 1009.
        let mut wire = frame(BINARY, &[1; 400], k);
        wire.extend(frame(CONTINUATION, &[2; 400], k));
        wire.extend(frame(0x80, &[3; 201], k));
        let d = run(&wire);
        let mut want = server_frame(BINARY, &[1; 400]);
        want.extend(server_frame(CONTINUATION, &[2; 400]));
        want.extend(close_bytes(MESSAGE_TOO_BIG));
        assert_eq!((d.sent, d.next), (want, Next::Closing));
        // A declared length past the limit is refused before its payload arrives.
        let mut conn = Conn::default();
        let mut out = [0u8; 64];
        let fed = feed(&mut conn, &frame(0x82, &[0; 1001], k)[..8], &mut out, &limits);
        assert_eq!((&out[..fed.written], fed.next), (&close_bytes(1009)[..], Next::Closing));
        // The limit counts per message: the next one starts from zero.
        let mut wire = frame(0x82, &[1; 1000], k);
        wire.extend(frame(0x82, &[2; 1000], k));
        assert_eq!(decode(&run(&wire).sent).0.len(), 2);
        // 1 MiB passes by default; one byte more does not.
        let d = drive(&frame(0x82, &vec![5; (1 << 20) + 1], k), &mut whole(), 16 << 10);
        assert_eq!(decode(&d.sent).0, vec![Got::Close(Some(1009))]);
    }

    /// Wire bytes that must end in our close with `code`, after echoing `echoed`.
    struct Bad {
        name: &'static str,
        wire: Vec<u8>,
        echoed: Vec<u8>,
        code: u16,
        /// Whether the frames after it can still be found (false when its length is unreadable).
        in_sync: bool,
    }

    fn bad_cases() -> Vec<Bad> {
        let k = [0x11, 0x22, 0x33, 0x44];
        let mut cases = Vec::new();
        let mut add = |name, wire: Vec<u8>, echoed: Vec<u8>, code, in_sync| cases.push(Bad { name, wire, echoed, code, in_sync });
        add("unmasked", frame_in(0x81, b"hi", None, 0), vec![], 1002, true);
        add("unmasked ping", frame_in(0x89, b"hi", None, 0), vec![], 1002, true);
        for rsv in [0x40, 0x20, 0x10, 0x70] {
            add("rsv", frame(0x81 | rsv, b"hi", k), vec![], 1002, true);
        }
        for op in [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
            add("opcode", frame(0x80 | op, b"hi", k), vec![], 1002, true);
        }
        add("ping of 126", frame(0x89, &[0; 126], k), vec![], 1002, true);
        add("close of 126", frame(0x88, &[0x03, 0xE8].iter().chain(&[b'a'; 124]).copied().collect::<Vec<_>>(), k), vec![], 1002, true);
        add("ping not final", frame(0x09, b"x", k), vec![], 1002, true);
        add("pong not final", frame(0x0A, b"x", k), vec![], 1002, true);
        add("continuation first", frame(0x80, b"x", k), vec![], 1002, true);
        add("unfinished continuation first", frame(0x00, b"x", k), vec![], 1002, true);
        let mut w = frame(0x01, b"a", k);
        w.extend(frame(0x81, b"b", k));
        add("text inside text", w, server_frame(0x01, b"a"), 1002, true);
        let mut w = frame(0x02, b"a", k);
        w.extend(frame(0x81, b"b", k));
        add("text inside binary", w, server_frame(0x02, b"a"), 1002, true);
        let mut w = frame(0x01, b"a", k);
        w.extend(frame(0x02, b"b", k));
        add("binary inside text", w, server_frame(0x01, b"a"), 1002, true);
        add("64-bit length, top bit", vec![0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4], vec![], 1002, false);
        add("16-bit length of 5", frame_in(0x82, b"hello", Some(k), 2), vec![], 1002, false);
        add("64-bit length of 5", frame_in(0x82, b"hello", Some(k), 8), vec![], 1002, false);
        add("64-bit length of 65535", frame_in(0x82, &[0; 65535], Some(k), 8), vec![], 1002, false);
        add("invalid UTF-8", frame(0x81, b"ok \xff", k), vec![], 1007, true);
        add("surrogate", frame(0x81, b"\xed\xa0\x80", k), vec![], 1007, true);
        let mut w = frame(0x01, "κό".as_bytes(), k);
        w.extend(frame(0x00, b"\xcf", k));
        w.extend(frame(0x80, b"\x83\xce\xbc\xc0\xaf", k));
        add("invalid UTF-8 in the third fragment", w, [server_frame(0x01, "κό".as_bytes()), server_frame(0x00, b"\xcf")].concat(), 1007, true);
        let mut w = frame(0x01, b"\xe2\x82", k);
        w.extend(frame(0x80, b"", k));
        add("code point cut short at the end", w, server_frame(0x01, b"\xe2\x82"), 1007, true);
        add("cut short in one frame", frame(0x81, b"ab\xf0\x9f\x98", k), vec![], 1007, true);
        cases
    }

    #[test]
    fn protocol_errors_get_their_close_and_nothing_more() {
        let k = [5, 6, 7, 8];
        for bad in bad_cases() {
            // A good message first, the bad frame(s), then frames that must not be echoed.
            let mut wire = frame(0x81, b"before", k);
            wire.extend(&bad.wire);
            if bad.in_sync {
                wire.extend(frame(0x81, b"after", k));
                wire.extend(frame(0x89, b"ping", k));
            }
            let mut want = server_frame(0x81, b"before");
            want.extend(&bad.echoed);
            want.extend(close_bytes(bad.code));
            let mut runs: Vec<(String, Pieces)> =
                vec![("whole".into(), Box::new(whole())), ("bytewise".into(), Box::new(bytewise()))];
            if wire.len() < 300 {
                // Every single cut.
                for at in 1..wire.len() {
                    let mut first = true;
                    runs.push((format!("cut at {at}"), Box::new(move || if std::mem::take(&mut first) { at } else { usize::MAX / 2 })));
                }
            }
            for (how, mut piece) in runs {
                for out in [16 << 10, MIN_OUT] {
                    let mut conn = Conn::default();
                    let d = drive_with(&mut conn, &wire, &mut piece, out, &Limits::DEFAULT);
                    assert_eq!(d.sent, want, "{} ({how}, out {out})", bad.name);
                    if !bad.in_sync {
                        continue;
                    }
                    assert_eq!(d.next, Next::Closing, "{} ({how})", bad.name);
                    // The peer's close ends it, with nothing more from us.
                    let d = drive_with(&mut conn, &frame(0x88, &[3, 0xE8], k), &mut whole(), out, &Limits::DEFAULT);
                    assert_eq!((d.sent, d.next), (vec![], Next::Done), "{} ({how})", bad.name);
                }
            }
        }
    }

    #[test]
    fn close_handshake() {
        let k = [0xA, 0xB, 0xC, 0xD];
        let table: &[(&[u8], Vec<u8>)] = &[
            (b"", vec![0x88, 0]),                             // no code: none back (never 1005)
            (b"\x03\xe8", close_bytes(1000)),                 // the code echoed
            (b"\x03\xe9going", close_bytes(1001)),            // the reason is not echoed
            (b"\x0f\xa0\xce\xba\xe1\xbd\xb9", close_bytes(4000)),
            (b"\x03", close_bytes(1002)),                     // 1-byte payload
            (b"\x03\xed", close_bytes(1002)),                 // 1005 may not be sent
            (b"\x03\xe8\xff", close_bytes(1002)),             // reason not UTF-8
            (b"\x03\xe8\xe2\x82", close_bytes(1002)),         // reason cut short
        ];
        for (payload, want) in table {
            let mut wire = frame(0x81, b"last", k);
            wire.extend(frame(0x88, payload, k));
            wire.extend(frame(0x81, b"never", k));
            let mut expect = server_frame(0x81, b"last");
            expect.extend(want);
            for piece in [1, 3, 1000] {
                let d = drive(&wire, &mut || piece, 256);
                assert_eq!((&d.sent, d.next), (&expect, Next::Done), "{payload:x?} in pieces of {piece}");
            }
        }
        // Done stays done: input is dropped, nothing written.
        let mut conn = Conn::default();
        let mut out = [0u8; 16];
        assert_eq!(feed(&mut conn, &frame(0x88, b"", k), &mut out, &Limits::DEFAULT).next, Next::Done);
        let fed = feed(&mut conn, &frame(0x81, b"x", k), &mut out, &Limits::DEFAULT);
        assert_eq!(fed, Fed { consumed: 7, written: 0, next: Next::Done, stopped: false });
        assert_eq!(close(&mut conn, 1001, &mut out), 0);
        // The reply waits for room.
        let mut conn = Conn::default();
        let wire = frame(0x88, b"\x03\xe8", k);
        let fed = feed(&mut conn, &wire, &mut out[..3], &Limits::DEFAULT);
        assert_eq!(fed, Fed { consumed: 0, written: 0, next: Next::Open, stopped: true });
        let fed = feed(&mut conn, &wire, &mut out[..4], &Limits::DEFAULT);
        assert_eq!(fed, Fed { consumed: 8, written: 4, next: Next::Done, stopped: false });
    }

    #[test]
    fn every_close_code() {
        let k = [1, 1, 2, 3];
        for code in 0..=u16::MAX {
            let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            assert_eq!(valid_close_code(code), valid, "{code}");
            let mut conn = Conn::default();
            let mut out = [0u8; 8];
            let fed = feed(&mut conn, &frame(0x88, &code.to_be_bytes(), k), &mut out, &Limits::DEFAULT);
            let want = if valid { code } else { 1002 };
            assert_eq!((&out[..fed.written], fed.next), (&close_bytes(want)[..], Next::Done), "{code}");
        }
    }

    #[test]
    fn our_close_then_frames_are_ignored_until_the_peers() {
        let k = [4, 3, 2, 1];
        let mut conn = Conn::default();
        let mut out = [0u8; 300];
        // No room: nothing changes.
        assert_eq!(close(&mut conn, 1001, &mut out[..3]), 0);
        assert_eq!(conn, Conn::default());
        assert_eq!(close(&mut conn, 1001, &mut out), 4);
        assert_eq!(&out[..4], &close_bytes(1001)[..]);
        assert_eq!(close(&mut conn, 1001, &mut out), 0, "already closing");
        // Text, a ping, a long binary frame in pieces, invalid frames: all skipped.
        let mut wire = frame(0x81, b"hello", k);
        wire.extend(frame(0x89, b"ping", k));
        wire.extend(frame(0x82, &vec![0; 100_000], k));
        wire.extend(frame(0xF1, b"rsv and all", k));
        wire.extend(frame_in(0x81, b"unmasked", None, 0));
        let d = drive_with(&mut conn, &wire, &mut random_cuts(3, 5000), 300, &Limits::DEFAULT);
        assert_eq!((d.sent, d.next, d.left), (vec![], Next::Closing, 0));
        // The peer's close, in pieces, ends it with nothing from us.
        let d = drive_with(&mut conn, &frame(0x88, b"\x03\xe9bye", k), &mut bytewise(), 300, &Limits::DEFAULT);
        assert_eq!((d.sent, d.next), (vec![], Next::Done));
        // Our close in the middle of a long incoming frame: the rest of it is skipped.
        let mut conn = Conn::default();
        let mut wire = frame(0x82, &vec![1; 50_000], k);
        wire.extend(frame(0x88, b"", k));
        let mut kept = 0;
        loop {
            let fed = feed(&mut conn, &wire[kept..10_000], &mut out, &Limits::DEFAULT);
            kept += fed.consumed;
            if !fed.stopped {
                break;
            }
        }
        assert!(conn.remaining > 0);
        assert_eq!(close(&mut conn, 1001, &mut out), 4);
        let d = drive_with(&mut conn, &wire[kept..], &mut random_cuts(8, 3000), 300, &Limits::DEFAULT);
        assert_eq!((d.sent, d.next), (vec![], Next::Done));
        // Garbage while closing ends it too.
        let mut conn = Conn::default();
        close(&mut conn, 1001, &mut out);
        let fed = feed(&mut conn, &[0x82, 0x7E, 0, 5], &mut out, &Limits::DEFAULT);
        assert_eq!(fed.next, Next::Done);
    }

    #[test]
    fn tiny_outs_still_echo_everything() {
        // Data and closes need only a header and one byte; every out from 4 bytes up works.
        let mut seed = 0x7469_6e79;
        let mut wire = Vec::new();
        let mut want = Vec::new();
        for len in [0, 1, 5, 200, 5000, 70_000] {
            let p = text(len, &mut seed);
            let mut frag = frame(0x01, &p[..len / 2], key(&mut seed));
            frag.extend(frame(0x80, &p[len / 2..], key(&mut seed)));
            wire.extend(frag);
            want.push(Got::Text(p));
        }
        wire.extend(frame(0x88, b"\x03\xe8", key(&mut seed)));
        want.push(Got::Close(Some(1000)));
        for out in (4..40).chain([127, 128, 129, 130, 131, 4097, 4100, 65_539, 65_540]) {
            for cuts in [7, 4000, 100_000] {
                let d = drive(&wire, &mut random_cuts(out as u64 + cuts as u64, cuts), out);
                assert_eq!(d.next, Next::Done, "out {out}");
                assert!(decode(&d.sent).0 == want, "out {out}, cuts {cuts}");
            }
        }
    }

    #[test]
    fn fit_finds_the_longest_piece() {
        for room in 0..70_000usize {
            for want in [0, 1, 125, 126, 65_535, 65_536, 100_000] {
                let brute = (0..=want.min(room)).rev().find(|&n| frame::header_size(n) + n <= room);
                let brute = brute.filter(|&n| n > 0 || want == 0);
                assert_eq!(fit(room, want), brute, "room {room} want {want}");
            }
        }
    }

    #[test]
    fn invalid_utf8_deep_in_a_long_frame() {
        // The pieces before the bad byte may go out; the close follows, nothing after it.
        let k = [3, 1, 4, 1];
        let mut long = text(20_000, &mut 77);
        long.push(0xFF);
        long.extend(b"tail");
        let mut wire = frame(0x81, &long, k);
        wire.extend(frame(0x81, b"after", k));
        for (piece, out) in [(usize::MAX / 2, 16 << 10), (1, 16 << 10), (1000, 4096), (7, MIN_OUT)] {
            let d = drive(&wire, &mut || piece, out);
            let (got, partial) = decode(&d.sent);
            assert_eq!((got, d.next), (vec![Got::Close(Some(1007))], Next::Closing));
            let partial = partial.unwrap_or_default();
            assert!(partial.len() <= 20_000 && long.starts_with(&partial), "{} {piece} {out}", partial.len());
        }
    }

    /// The benchmark's case, one short text frame per call, then batches of 16: run under
    /// callgrind (MOTE_WS_ROUNDS and MOTE_WS_BATCHES set the counts) to count instructions.
    #[test]
    fn short_text_echo_loop() {
        let wire = frame(0x81, b"hello", [0x37, 0xfa, 0x21, 0x3d]);
        let mut conn = Conn::default();
        let mut out = vec![0u8; 16 << 10];
        let rounds: usize = std::env::var("MOTE_WS_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
        for _ in 0..rounds {
            let fed = feed(&mut conn, std::hint::black_box(&wire), &mut out, &Limits::DEFAULT);
            assert_eq!((fed.consumed, fed.written), (11, 7));
        }
        assert_eq!(&out[..7], b"\x81\x05hello");
        // And 16 of them in one input (the general path).
        let batch = wire.repeat(16);
        let batches: usize = std::env::var("MOTE_WS_BATCHES").ok().and_then(|v| v.parse().ok()).unwrap_or(rounds / 16);
        for _ in 0..batches {
            let fed = feed(&mut conn, std::hint::black_box(&batch), &mut out, &Limits::DEFAULT);
            assert_eq!((fed.consumed, fed.written), (16 * 11, 16 * 7));
        }
    }
}
