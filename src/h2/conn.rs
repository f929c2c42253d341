//! One HTTP/2 connection (RFC 9113): the preface, the frame loop, the connection-level frames
//! (SETTINGS, PING, GOAWAY, WINDOW_UPDATE, RST_STREAM, PRIORITY), stream identifiers and the
//! per-second caps. Requests and answers (HEADERS, DATA) are in [`super::exchange`].
//!
//! Contract: [`Conn::feed`] consumes whole frames only (and preface bytes one by one), leaving a
//! partial frame for the next call, except that a header block spread over CONTINUATION frames
//! is merged into one HEADERS frame in the input as its frames arrive, and left unconsumed until
//! its last frame is in (at most the header-list limit and a frame: a block past the limit, or
//! CONTINUATION frames past [`CHAIN_MAX`] bytes, is a connection error, §10.5.1). The last
//! [`SCRATCH`] bytes of `out` are working space (HPACK literals are decoded there), the rest
//! takes the output. Each frame is a step, taken only while that has [`MAX_STEP`] bytes free (so
//! `out` must hold at least [`MIN_OUT`]): the frames it calls for go into `out`, so a call
//! returns with everything it owes written and nothing half-done, and stops (`stopped`) when the
//! output is nearly full. A connection error writes GOAWAY with the last stream id and the error
//! code (no debug data), and from then on input is discarded and the call reports
//! [`Next::Done`] once the GOAWAY is out. Time (for the caps) comes only from [`Cx::now`].
//!
//! All-zero bytes are a valid `Conn` (every field is a number, a flag, an array of them or an
//! enum whose first variant is all zeros), which [`Conn::reset`] makes a fresh connection: the
//! worker's pool of states is zero-mapped memory, used without writing a whole state first.

use super::exchange::Known;
use super::fault::Fault;
use super::frame::{self, Head, HEAD_LEN, MAX_PAYLOAD, MAX_WINDOW};
use super::hpack::decoder::{Decoder, SCRATCH};
use super::cursor::{Cursor as Out, MAX_STEP};
use super::hpack::encoder::Encoder;
use super::request::PathBuf;
use super::stream::{self, Phase, Streams, MAX_STREAMS};
use super::{Cx, Fed, Limits, Next, EMPTY_FRAMES_PER_SEC, MAX_HEADER_LIST, PINGS_PER_SEC, RESETS_PER_SEC, SETTINGS_PER_SEC};

/// The client connection preface (§3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// The most bytes of CONTINUATION frames one header block may take.
pub const CHAIN_MAX: usize = HEAD_LEN + MAX_PAYLOAD;
/// The smallest `out` a call takes: what starts every call (our SETTINGS, a GOAWAY), then a
/// step, and the HPACK scratch buffer (the last [`SCRATCH`] bytes, working space, not output).
pub const MIN_OUT: usize = 64 + MAX_STEP + SCRATCH;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stage {
    /// This many bytes of the client preface have matched.
    Preface(u8),
    /// The preface matched; the next frame must be SETTINGS.
    FirstSettings,
    Open,
    /// We sent GOAWAY(NO_ERROR): open streams finish, new ones are ignored.
    Closing,
    /// A connection error ended it (or its output overflowed): input is discarded.
    Closed,
}

/// The per-second caps, as indexes of [`State::counts`].
pub(super) const RESETS: usize = 0;
const PINGS: usize = 1;
const SETTINGS: usize = 2;
pub(super) const EMPTIES: usize = 3;

/// One HTTP/2 connection's state (16 KiB, valid as all-zero bytes; see the module docs of
/// [`super`]).
///
/// Laid out for the memory a connection costs (the pool's pages cost RAM once touched): every
/// request touches the last few entries of the streams' array (an answer is kept there until
/// its DATA is written), the streams' counts, the scalars, the encoder, the start of `:path`
/// and the newest entries of the HPACK table, so these come in that order (`repr(C)`) within
/// one page (`align(4096)`, with [`PAD`] in front): a connection that sees GETs touches one
/// page. The body slots and the rest of the streams' array, before them, are touched only by
/// requests with bodies and by streams that wait.
#[repr(C, align(4096))]
pub struct Conn {
    pad: [u8; PAD],
    s: State,
}

/// What starts a page with the newest streams.
const PAD: usize = (2 * 4096 - (stream::COUNTS_AT - stream::NEWEST) % 4096) % 4096;

// That page holds the HPACK table's first KiB too.
const _: () = {
    let newest = core::mem::offset_of!(Conn, s) + stream::COUNTS_AT - stream::NEWEST;
    let table_kib = core::mem::offset_of!(Conn, s) + core::mem::offset_of!(State, decoder) + 1024;
    assert!(newest % 4096 == 0 && table_kib / 4096 == newest / 4096);
};

#[repr(C)]
pub(super) struct State {
    pub(super) streams: Streams,
    pub(super) stage: Stage,
    settings_sent: bool,
    /// [`Conn::goaway`] was called.
    stop: bool,
    pub(super) peer_gone: bool,
    /// The peer's SETTINGS_INITIAL_WINDOW_SIZE: new streams' send windows.
    pub(super) peer_window: i32,
    /// The connection's send window (the peer's) and receive window (ours, with what was
    /// consumed since we last opened it).
    pub(super) send_window: i32,
    pub(super) recv_window: i32,
    pub(super) recv_unacked: u32,
    /// The highest client stream id seen, and for it and the 63 odd ids below it, which were
    /// opened and which we reset (or ignored after GOAWAY).
    pub(super) last_id: u32,
    opened: u64,
    reset: u64,
    /// The bytes of CONTINUATION frames merged into the header block under way.
    chain: usize,
    /// The second the counts are of, and the counts of what the caps limit.
    second: u32,
    counts: [u32; 4],
    /// This call's clock, body limit and Date (from its [`Cx`]).
    now: u32,
    pub(super) max_body: u64,
    pub(super) date: [u8; 29],
    pub(super) encoder: Encoder,
    pub(super) path: PathBuf,
    pub(super) decoder: Decoder,
}

impl Conn {
    pub const fn new() -> Conn {
        Conn {
            pad: [0; PAD],
            s: State {
                streams: Streams::new(),
                stage: Stage::Preface(0),
                settings_sent: false,
                stop: false,
                peer_gone: false,
                peer_window: frame::DEFAULT_WINDOW,
                send_window: frame::DEFAULT_WINDOW,
                recv_window: frame::DEFAULT_WINDOW,
                recv_unacked: 0,
                last_id: 0,
                opened: 0,
                reset: 0,
                chain: 0,
                second: 0,
                counts: [0; 4],
                now: 0,
                max_body: 0,
                date: [0; 29],
                encoder: Encoder::new(),
                path: PathBuf::new(),
                decoder: Decoder::new(),
            },
        }
    }

    /// Makes this (or all-zero bytes) a fresh connection, touching only the few bytes of state
    /// that matter (no buffer is cleared).
    #[inline(never)]
    pub fn reset(&mut self, _limits: &Limits) {
        let s = &mut self.s;
        s.stage = Stage::Preface(0);
        (s.settings_sent, s.stop, s.peer_gone) = (false, false, false);
        (s.peer_window, s.send_window, s.recv_window, s.recv_unacked) = (frame::DEFAULT_WINDOW, frame::DEFAULT_WINDOW, frame::DEFAULT_WINDOW, 0);
        (s.last_id, s.opened, s.reset, s.chain) = (0, 0, 0, 0);
        (s.second, s.counts) = (0, [0; 4]);
        s.decoder.reset();
        s.encoder.reset();
        s.streams.reset();
    }

    /// Feeds received bytes; see [`super`] for the contract.
    #[inline(never)]
    pub fn feed(&mut self, input: &mut [u8], out: &mut [u8], cx: &Cx<'_>) -> Fed {
        let s = &mut self.s;
        // The end of `out` is the HPACK scratch buffer, the rest takes the output.
        let (out, scratch) = out.split_at_mut(out.len().saturating_sub(SCRATCH));
        let mut w = Out::new(out);
        w.scratch = scratch;
        (s.now, s.max_body, s.date) = (cx.now, cx.limits.max_body, *cx.date);
        s.begin(&mut w, cx.stopping);
        let mut consumed = s.process(input, &mut w);
        s.send_owed(&mut w);
        if w.overflowed() || s.stage == Stage::Closed {
            s.stage = Stage::Closed;
            consumed = input.len();
        }
        let stopped = !w.has_room();
        Fed { consumed, written: w.len(), next: if !stopped && s.finished() { Next::Done } else { Next::Open }, stopped }
    }

    /// Writes what is owed without new input (DATA the peer's window now allows, a GOAWAY
    /// asked for); returns the bytes written.
    pub fn flush(&mut self, out: &mut [u8], cx: &Cx<'_>) -> usize {
        self.feed(&mut [], out, cx).written
    }

    /// Begins the stop: GOAWAY(NO_ERROR) with the last stream id at the next call (a
    /// [`Conn::flush`]: [`Conn::wants_flush`] says so); open streams finish, then
    /// [`Conn::is_done`] (and `feed`'s `next`) say the connection may close.
    pub fn stop(&mut self) {
        self.s.stop = true;
    }

    /// The stop has begun (ours, or a connection error): no GOAWAY is owed any more.
    pub fn is_stopped(&self) -> bool {
        self.s.stop || !self.s.stage.before_goaway()
    }

    /// [`Conn::stop`], then [`Conn::flush`].
    pub fn goaway(&mut self, out: &mut [u8], cx: &Cx<'_>) -> usize {
        self.stop();
        self.flush(out, cx)
    }

    /// No stream is open and nothing is owed: an idle timeout may close the connection.
    pub fn is_idle(&self) -> bool {
        self.s.streams.is_empty()
    }

    /// Answers wait for the peer's flow-control window: the send timeout applies.
    pub fn is_blocked(&self) -> bool {
        self.s.streams.any_sending() && !self.s.can_send()
    }

    /// The connection is finished: close it once the bytes already returned are sent.
    pub fn is_done(&self) -> bool {
        self.s.finished()
    }

    /// Output is owed that a call to [`Conn::flush`] would write now.
    pub fn wants_flush(&self) -> bool {
        let s = &self.s;
        (s.streams.any_sending() && s.can_send()) || (s.stop && s.stage.before_goaway())
    }

    #[cfg(test)]
    pub(super) fn set_send_window_for_test(&mut self, window: i64) {
        self.s.send_window = window as i32;
    }

    #[cfg(test)]
    pub(super) fn set_recv_window_for_test(&mut self, window: i64) {
        self.s.recv_window = window as i32;
    }

    #[cfg(test)]
    pub(super) fn set_stream_recv_window_for_test(&mut self, slot: u8, window: i32) {
        if let Some(b) = self.s.streams.slot_mut(slot) {
            b.window = window;
        }
    }
}

impl Stage {
    /// Before any GOAWAY of ours.
    fn before_goaway(self) -> bool {
        matches!(self, Stage::Preface(_) | Stage::FirstSettings | Stage::Open)
    }
}

impl Default for Conn {
    fn default() -> Self {
        Self::new()
    }
}

impl State {
    /// What starts every call: our SETTINGS first of all (§3.4), then GOAWAY once stopping.
    #[inline(never)]
    fn begin(&mut self, w: &mut Out<'_>, stopping: bool) {
        if !self.settings_sent {
            self.settings_sent = true;
            const OURS: [u8; HEAD_LEN + 12] = frame::our_settings(MAX_STREAMS as u32, MAX_HEADER_LIST);
            w.put(&OURS);
        }
        if (self.stop || stopping) && self.stage.before_goaway() {
            self.goaway(w, frame::NO_ERROR);
            // Before the client's preface is through, there is nothing to finish.
            self.stage = if self.stage == Stage::Open { Stage::Closing } else { Stage::Closed };
        }
    }

    #[inline(never)]
    pub(super) fn finished(&self) -> bool {
        match self.stage {
            Stage::Closed => true,
            Stage::Closing => self.streams.is_empty(),
            _ => self.peer_gone && self.streams.is_empty(),
        }
    }

    /// Whether the connection window and some waiting stream's window are open.
    pub(super) fn can_send(&self) -> bool {
        self.send_window > 0 && self.streams.all().iter().any(|s| s.window > 0 && matches!(s.phase, Phase::Sending { .. }))
    }

    /// GOAWAY (§6.8) with the last stream id, without debug data (the rule a connection error
    /// enforces is named next to each [`Fault`]).
    fn goaway(&mut self, w: &mut Out<'_>, code: u32) {
        w.frame(frame::GOAWAY, 0, 0, &(u64::from(self.last_id) << 32 | u64::from(code)).to_be_bytes());
    }

    /// A connection error: GOAWAY, then nothing more.
    #[cold]
    #[inline(never)]
    fn fail(&mut self, fault: Fault, w: &mut Out<'_>) {
        self.goaway(w, fault.code());
        self.stage = Stage::Closed;
        self.streams.reset();
    }

    /// Counts one more of what cap `k` limits (the count starts afresh each second); true past
    /// the cap.
    #[inline(never)]
    pub(super) fn over(&mut self, k: usize) -> bool {
        if self.now != self.second {
            self.second = self.now;
            self.counts = [0; 4];
        }
        const CAPS: [u32; 4] = [RESETS_PER_SEC, PINGS_PER_SEC, SETTINGS_PER_SEC, EMPTY_FRAMES_PER_SEC];
        match (self.counts.get_mut(k), CAPS.get(k)) {
            (Some(n), Some(&cap)) => {
                *n += 1;
                *n > cap
            }
            _ => true,
        }
    }

    /// What we know of stream `id`.
    #[inline(never)]
    pub(super) fn known(&self, id: u32) -> Known {
        if let Some(i) = self.streams.find(id) {
            return Known::Open(i);
        }
        if id > self.last_id || id.is_multiple_of(2) {
            return Known::Idle;
        }
        let d = (self.last_id - id) / 2;
        if d < 64 {
            Known::Closed { opened: self.opened >> d & 1 != 0, reset: self.reset >> d & 1 != 0, recent: true }
        } else {
            Known::Closed { opened: true, reset: false, recent: false }
        }
    }

    /// A new client stream `id` (odd, above `last_id`): every lower idle one is now closed.
    pub(super) fn open_id(&mut self, id: u32) {
        let shift = (id - self.last_id) / 2;
        let (opened, reset) = if shift >= 64 { (0, 0) } else { (self.opened << shift, self.reset << shift) };
        self.opened = opened | 1;
        self.reset = reset;
        self.last_id = id;
    }

    /// Frames still in flight on a stream we reset are ignored (§5.1).
    #[inline(never)]
    pub(super) fn mark_reset(&mut self, id: u32) {
        if id <= self.last_id && id % 2 == 1 {
            let d = (self.last_id - id) / 2;
            if d < 64 {
                self.reset |= 1 << d;
            }
        }
    }

    /// Runs the frames in `input`; returns the bytes consumed.
    fn process(&mut self, input: &mut [u8], w: &mut Out<'_>) -> usize {
        let mut pos = 0;
        while w.has_room() {
            let rest = input.get_mut(pos..).unwrap_or(&mut []);
            if rest.is_empty() {
                break;
            }
            let step = match self.stage {
                Stage::Closed => return input.len(),
                Stage::Preface(got) => {
                    let want = PREFACE.get(usize::from(got)..).unwrap_or(&[]);
                    let n = want.len().min(rest.len());
                    let got = usize::from(got) + n;
                    self.stage = if got == PREFACE.len() { Stage::FirstSettings } else { Stage::Preface(got as u8) };
                    if rest.get(..n) == want.get(..n) { Ok(n) } else { Err(Fault::Preface) }
                }
                // §3.4: the preface goes on with SETTINGS (not an acknowledgement): judged as
                // soon as the type and flags bytes are in.
                Stage::FirstSettings if rest.get(3).is_some_and(|&t| t != frame::SETTINGS) || rest.get(4).is_some_and(|&f| f & frame::ACK != 0) => {
                    Err(Fault::FirstNotSettings)
                }
                _ => {
                    let Some(head) = Head::parse(rest) else { break };
                    if head.len > MAX_PAYLOAD {
                        Err(Fault::FrameTooLarge)
                    } else if head.kind == frame::HEADERS && !head.has(frame::END_HEADERS) {
                        match self.merge(rest, head) {
                            Ok(None) => break,
                            Ok(Some(gap)) => Ok(gap),
                            Err(fault) => Err(fault),
                        }
                    } else {
                        let Some(payload) = rest.get(HEAD_LEN..HEAD_LEN + head.len) else { break };
                        if self.stage == Stage::FirstSettings {
                            self.stage = Stage::Open;
                        }
                        self.frame(head, payload, w).map(|()| HEAD_LEN + head.len)
                    }
                }
            };
            match step {
                Ok(n) => pos += n,
                Err(fault) => {
                    self.fail(fault, w);
                    return input.len();
                }
            }
        }
        pos
    }

    /// A header block spread over HEADERS and CONTINUATION frames: the HEADERS frame at the
    /// start of `rest` and the CONTINUATION after it, once it is all in, become one HEADERS frame
    /// in place (its priority fields and fragment moved up against the CONTINUATION's, padding
    /// dropped, END_HEADERS taken from the CONTINUATION) that ends where the CONTINUATION ended;
    /// the bytes before it are consumed (returned). `None`: wait for more input. The block's
    /// fragments are capped at the header-list limit and its CONTINUATION frames at
    /// [`CHAIN_MAX`] bytes (§10.5.1).
    #[cold]
    #[inline(never)]
    fn merge(&mut self, rest: &mut [u8], head: Head) -> Result<Option<usize>, Fault> {
        let first_end = HEAD_LEN + head.len;
        let Some(c) = rest.get(first_end..).and_then(Head::parse) else { return Ok(None) };
        // §6.10: nothing but CONTINUATION on the same stream until END_HEADERS.
        if c.kind != frame::CONTINUATION || c.stream != head.stream {
            return Err(Fault::Interrupted);
        }
        let (start, end, _) = super::exchange::headers_fragment(head, rest.get(HEAD_LEN..first_end).unwrap_or(&[]))?;
        let prio = if head.has(frame::PRIORITY_FLAG) { 5 } else { 0 };
        let chain = self.chain + HEAD_LEN + c.len;
        if end - start + c.len > MAX_HEADER_LIST as usize || chain > CHAIN_MAX {
            return Err(Fault::HeaderFlood);
        }
        if rest.len() < first_end + HEAD_LEN + c.len {
            return Ok(None);
        }
        self.chain = chain;
        // Priority fields and fragment, moved (last byte first: the ranges overlap) to end
        // where the CONTINUATION's payload starts.
        let kept = prio + end - start;
        let (from, to) = (HEAD_LEN + start - prio, first_end + HEAD_LEN - kept);
        for k in (0..kept).rev() {
            let b = rest.get(from + k).copied().unwrap_or(0);
            if let Some(d) = rest.get_mut(to + k) {
                *d = b;
            }
        }
        let flags = head.flags & (frame::END_STREAM | frame::PRIORITY_FLAG) | c.flags & frame::END_HEADERS;
        let at = to - HEAD_LEN;
        if let Some(h) = rest.get_mut(at..to) {
            h.copy_from_slice(&frame::head(kept + c.len, frame::HEADERS, flags, head.stream));
        }
        Ok(Some(at))
    }

    fn frame(&mut self, head: Head, payload: &[u8], w: &mut Out<'_>) -> Result<(), Fault> {
        let id = head.stream;
        let on_stream = id != 0;
        match head.kind {
            frame::DATA => self.on_data(head, payload, w),
            frame::HEADERS => {
                self.chain = 0;
                let (start, end, dep) = super::exchange::headers_fragment(head, payload)?;
                self.on_headers(head, payload.get(start..end).unwrap_or(&[]), dep, w)
            }
            // §6.3: priorities are accepted and ignored, after their checks.
            frame::PRIORITY if !on_stream => Err(Fault::NeedsStream),
            frame::PRIORITY => {
                if payload.len() != 5 {
                    self.stream_error(id, frame::FRAME_SIZE_ERROR, w);
                } else if frame::u32_at(payload, 0) & 0x7fff_ffff == id {
                    // §5.3.1: a stream cannot depend on itself.
                    self.stream_error(id, frame::PROTOCOL_ERROR, w);
                }
                Ok(())
            }
            frame::RST_STREAM => self.on_rst_stream(head, payload),
            frame::SETTINGS | frame::PING | frame::GOAWAY if on_stream => Err(Fault::NeedsConnection),
            frame::SETTINGS => self.on_settings(head, payload, w),
            // §6.7: answer a PING.
            frame::PING => {
                let data: &[u8; 8] = payload.try_into().map_err(|_| Fault::Length)?;
                if !head.has(frame::ACK) {
                    if self.over(PINGS) {
                        return Err(Fault::PingFlood);
                    }
                    w.frame(frame::PING, frame::ACK, 0, data);
                }
                Ok(())
            }
            // §6.8: the peer is going away: once our open streams are done, so are we.
            frame::GOAWAY if head.len < 8 => Err(Fault::Length),
            frame::GOAWAY => {
                self.peer_gone = true;
                Ok(())
            }
            frame::WINDOW_UPDATE => self.on_window_update(head, payload, w),
            frame::PUSH_PROMISE => Err(Fault::PushPromise),
            frame::CONTINUATION => Err(Fault::Continuation),
            // §4.1: frames of unknown types are ignored.
            _ => Ok(()),
        }
    }

    /// §6.5: apply the peer's settings, acknowledge them.
    fn on_settings(&mut self, head: Head, payload: &[u8], w: &mut Out<'_>) -> Result<(), Fault> {
        if head.has(frame::ACK) {
            return if head.len == 0 { Ok(()) } else { Err(Fault::Length) };
        }
        if !head.len.is_multiple_of(6) {
            return Err(Fault::Length);
        }
        if self.over(SETTINGS) {
            return Err(Fault::SettingsFlood);
        }
        for setting in payload.chunks_exact(6) {
            let value = frame::u32_at(setting, 2);
            match (frame::u32_at(setting, 0) >> 16) as u16 {
                frame::SETTINGS_HEADER_TABLE_SIZE => self.encoder.set_peer_max(value),
                frame::SETTINGS_ENABLE_PUSH if value > 1 => return Err(Fault::SettingValue),
                frame::SETTINGS_INITIAL_WINDOW_SIZE => {
                    let value = i64::from(value);
                    // §6.9.2: the change applies to every open stream's window.
                    let delta = value - i64::from(self.peer_window);
                    let mut top = value;
                    for s in self.streams.all_mut() {
                        let window = i64::from(s.window) + delta;
                        top = top.max(window);
                        s.window = window as i32;
                    }
                    if top > MAX_WINDOW {
                        return Err(Fault::InitialWindow);
                    }
                    self.peer_window = value as i32;
                }
                frame::SETTINGS_MAX_FRAME_SIZE if !(16_384..=16_777_215).contains(&value) => {
                    return Err(Fault::SettingValue);
                }
                _ => {}
            }
        }
        w.frame(frame::SETTINGS, frame::ACK, 0, &[]);
        Ok(())
    }

    /// §6.9: more window for the connection or a stream.
    fn on_window_update(&mut self, head: Head, payload: &[u8], w: &mut Out<'_>) -> Result<(), Fault> {
        if payload.len() != 4 {
            return Err(Fault::Length);
        }
        let increment = i64::from(frame::u32_at(payload, 0) & 0x7fff_ffff);
        if head.stream == 0 {
            if increment == 0 {
                return Err(Fault::ZeroIncrement);
            }
            let window = i64::from(self.send_window) + increment;
            if window > MAX_WINDOW {
                return Err(Fault::WindowOverflow);
            }
            self.send_window = window as i32;
            return Ok(());
        }
        let i = match self.known(head.stream) {
            Known::Idle => return Err(Fault::Idle),
            Known::Closed { .. } => return Ok(()),
            Known::Open(i) => i,
        };
        let Some(s) = self.streams.get_mut(i) else { return Ok(()) };
        let window = i64::from(s.window) + increment;
        if increment == 0 {
            self.stream_error(head.stream, frame::PROTOCOL_ERROR, w);
        } else if window > MAX_WINDOW {
            self.stream_error(head.stream, frame::FLOW_CONTROL_ERROR, w);
        } else {
            s.window = window as i32;
        }
        Ok(())
    }

    /// §6.4: the peer resets a stream. Counted against the rapid-reset cap.
    fn on_rst_stream(&mut self, head: Head, payload: &[u8]) -> Result<(), Fault> {
        if head.stream == 0 {
            return Err(Fault::NeedsStream);
        }
        if payload.len() != 4 {
            return Err(Fault::Length);
        }
        let known = self.known(head.stream);
        if known == Known::Idle {
            return Err(Fault::Idle);
        }
        if self.over(RESETS) {
            return Err(Fault::RapidReset);
        }
        if let Known::Open(i) = known {
            self.streams.remove(i);
        }
        self.mark_reset(head.stream);
        Ok(())
    }

    /// A stream error (§5.4.2): RST_STREAM, and the stream is forgotten.
    #[inline(never)]
    pub(super) fn stream_error(&mut self, id: u32, code: u32, w: &mut Out<'_>) {
        w.frame(frame::RST_STREAM, 0, id, &code.to_be_bytes());
        if let Some(i) = self.streams.find(id) {
            self.streams.remove(i);
        }
        self.mark_reset(id);
    }
}
