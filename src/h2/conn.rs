//! One HTTP/2 connection (RFC 9113): the preface, the frame loop, the connection-level frames
//! (SETTINGS, PING, GOAWAY, WINDOW_UPDATE, RST_STREAM, PRIORITY), stream identifiers and the
//! per-second caps. Requests and answers (HEADERS, DATA) are in [`super::exchange`].
//!
//! Contract: [`Conn::feed`] consumes whole frames only (and preface bytes one by one), leaving a
//! partial frame for the next call, except that a header block spread over CONTINUATION frames
//! is left whole until its last frame is in: the worker keeps at least [`CHAIN_MAX`] unconsumed
//! bytes, and a block needing more is a connection error (§10.5.1). Each frame is a step: the
//! frames it calls for go into `out` (or, past its end, into the spill, after which no further
//! step is taken until a later call has drained it), so a call returns with everything it owes
//! written and nothing half-done. A connection error writes GOAWAY with the last stream id, the
//! error code and the rule's section, and from then on input is discarded and the call reports
//! [`Next::Done`] once the GOAWAY is out. Time (for the caps) comes only from [`Cx::now`].

use super::exchange::{Known, Memo};
use super::fault::Fault;
use super::frame::{self, Head, HEAD_LEN, MAX_PAYLOAD, MAX_WINDOW};
use super::hpack::decoder::Decoder;
use super::hpack::encoder::Encoder;
use super::out::{Out, Spill};
use super::request::PathBuf;
use super::stream::{Phase, Streams, MAX_STREAMS};
use super::{Cx, Fed, Limits, Next};

/// The client connection preface (§3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// The most bytes the frames of one header block may span (what the worker keeps for us).
pub const CHAIN_MAX: usize = HEAD_LEN + MAX_PAYLOAD;

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

/// One HTTP/2 connection's state (about 14 KiB; see the module docs of [`super`]).
pub struct Conn {
    spill: Spill,
    s: State,
}

pub(super) struct State {
    pub(super) stage: Stage,
    settings_sent: bool,
    /// [`Conn::goaway`] was called.
    stop: bool,
    /// The peer's SETTINGS_INITIAL_WINDOW_SIZE: new streams' send windows.
    pub(super) peer_window: i64,
    /// The connection's send window (the peer's) and receive window (ours, with what was
    /// consumed since we last opened it).
    pub(super) send_window: i64,
    pub(super) recv_window: i64,
    pub(super) recv_unacked: u32,
    /// The highest client stream id seen, and for it and the 63 odd ids below it, which were
    /// opened and which we reset (or ignored after GOAWAY).
    pub(super) last_id: u32,
    opened: u64,
    reset: u64,
    pub(super) peer_gone: bool,
    /// Progress over a header block's CONTINUATION frames while they arrive: the offset of the
    /// next frame header to look at and the fragment bytes before it.
    chain_at: usize,
    chain_frag: usize,
    /// Per-second counters of what the caps limit.
    second: u32,
    resets: u32,
    pings: u32,
    settings: u32,
    pub(super) empties: u32,
    pub(super) decoder: Decoder,
    pub(super) encoder: Encoder,
    pub(super) streams: Streams,
    pub(super) path: PathBuf,
    pub(super) memo: Memo,
}

impl Conn {
    pub const fn new() -> Conn {
        Conn {
            spill: Spill::new(),
            s: State {
                stage: Stage::Preface(0),
                settings_sent: false,
                stop: false,
                peer_window: frame::DEFAULT_WINDOW,
                send_window: frame::DEFAULT_WINDOW,
                recv_window: frame::DEFAULT_WINDOW,
                recv_unacked: 0,
                last_id: 0,
                opened: 0,
                reset: 0,
                peer_gone: false,
                chain_at: 0,
                chain_frag: 0,
                second: 0,
                resets: 0,
                pings: 0,
                settings: 0,
                empties: 0,
                decoder: Decoder::new(),
                encoder: Encoder::new(),
                streams: Streams::new(),
                path: PathBuf::new(),
                memo: Memo::new(),
            },
        }
    }

    /// Makes this a fresh connection, touching only the few bytes of state that matter (no
    /// buffer is cleared).
    #[inline(never)]
    pub fn reset(&mut self, _limits: &Limits) {
        self.spill.reset();
        let s = &mut self.s;
        s.stage = Stage::Preface(0);
        s.settings_sent = false;
        s.stop = false;
        s.peer_window = frame::DEFAULT_WINDOW;
        s.send_window = frame::DEFAULT_WINDOW;
        s.recv_window = frame::DEFAULT_WINDOW;
        s.recv_unacked = 0;
        s.last_id = 0;
        s.opened = 0;
        s.reset = 0;
        s.peer_gone = false;
        s.chain_at = 0;
        s.chain_frag = 0;
        s.second = 0;
        s.resets = 0;
        s.pings = 0;
        s.settings = 0;
        s.empties = 0;
        s.decoder.reset();
        s.encoder.reset();
        s.streams.reset();
        s.path.reset();
        s.memo.clear();
    }

    /// Feeds received bytes; see [`super`] for the contract.
    #[inline(never)]
    pub fn feed(&mut self, input: &[u8], out: &mut [u8], cx: &Cx<'_>) -> Fed {
        let Conn { spill, s } = self;
        let mut w = Out::new(out, spill);
        w.drain_spill();
        let mut consumed = 0;
        if !w.spilled() {
            s.begin(&mut w, cx);
            consumed = s.process(input, &mut w, cx);
            s.send_owed(&mut w);
        }
        s.finish(&mut w);
        if s.stage == Stage::Closed {
            consumed = input.len();
        }
        Fed { consumed, written: w.written(), next: s.next(&w), stopped: w.spilled() }
    }

    /// Writes what is owed without new input (spilled bytes, DATA the peer's window now
    /// allows); returns the bytes written.
    pub fn flush(&mut self, out: &mut [u8], cx: &Cx<'_>) -> usize {
        let Conn { spill, s } = self;
        let mut w = Out::new(out, spill);
        w.drain_spill();
        if !w.spilled() {
            s.begin(&mut w, cx);
            s.send_owed(&mut w);
        }
        s.finish(&mut w);
        w.written()
    }

    /// Begins the stop: GOAWAY(NO_ERROR) with the last stream id; open streams finish, then
    /// [`Conn::is_done`] (and `feed`'s `next`) say the connection may close.
    pub fn goaway(&mut self, out: &mut [u8], cx: &Cx<'_>) -> usize {
        self.s.stop = true;
        self.flush(out, cx)
    }

    /// No stream is open and nothing is owed: an idle timeout may close the connection.
    pub fn is_idle(&self) -> bool {
        self.s.streams.is_empty() && self.spill.is_empty()
    }

    /// Answers wait for the peer's flow-control window: the send timeout applies.
    pub fn is_blocked(&self) -> bool {
        let s = &self.s;
        s.streams.any_sending() && !s.can_send()
    }

    /// The connection is finished: close it once the bytes already returned are sent.
    pub fn is_done(&self) -> bool {
        self.spill.is_empty() && self.s.finished()
    }

    #[cfg(test)]
    pub(super) fn set_send_window_for_test(&mut self, window: i64) {
        self.s.send_window = window;
    }

    #[cfg(test)]
    pub(super) fn set_recv_window_for_test(&mut self, window: i64) {
        self.s.recv_window = window;
    }

    #[cfg(test)]
    pub(super) fn set_stream_recv_window_for_test(&mut self, slot: u8, window: i32) {
        if let Some(b) = self.s.streams.slot_mut(slot) {
            b.window = window;
        }
    }

    /// Output is owed that a call to [`Conn::flush`] would write now.
    pub fn wants_flush(&self) -> bool {
        !self.spill.is_empty() || (self.s.streams.any_sending() && self.s.can_send())
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
    fn begin(&mut self, w: &mut Out<'_>, cx: &Cx<'_>) {
        if !self.settings_sent {
            self.settings_sent = true;
            w.put(&frame::our_settings(MAX_STREAMS as u32, cx.limits.max_header_list));
        }
        if (self.stop || cx.stopping) && matches!(self.stage, Stage::Preface(_) | Stage::FirstSettings | Stage::Open) {
            self.goaway(w, frame::NO_ERROR, b"");
            // Before the client's preface is through, there is nothing to finish.
            self.stage = if self.stage == Stage::Open { Stage::Closing } else { Stage::Closed };
        }
    }

    #[inline(never)]
    fn finish(&mut self, w: &mut Out<'_>) {
        if w.spill_lost() && self.stage != Stage::Closed {
            self.stage = Stage::Closed;
        }
    }

    pub(super) fn finished(&self) -> bool {
        match self.stage {
            Stage::Closed => true,
            Stage::Closing => self.streams.is_empty(),
            _ => self.peer_gone && self.streams.is_empty(),
        }
    }

    fn next(&self, w: &Out<'_>) -> Next {
        if !w.spilled() && self.finished() { Next::Done } else { Next::Open }
    }

    /// Whether the connection window and some waiting stream's window are open.
    pub(super) fn can_send(&self) -> bool {
        self.send_window > 0 && self.streams_sendable()
    }

    fn streams_sendable(&self) -> bool {
        (0..self.streams.len()).any(|i| matches!(self.streams.get(i), Some(s) if s.window > 0 && matches!(s.phase, Phase::Sending { .. })))
    }

    #[inline(never)]
    fn goaway(&mut self, w: &mut Out<'_>, code: u32, debug: &[u8]) {
        w.put(&frame::goaway_head(self.last_id, code, debug.len()));
        w.put(debug);
    }

    /// A connection error: GOAWAY, then nothing more.
    #[cold]
    #[inline(never)]
    fn fail(&mut self, fault: Fault, w: &mut Out<'_>) {
        self.goaway(w, fault.code(), fault.section());
        self.stage = Stage::Closed;
        self.streams.reset();
    }

    /// Resets the per-second counters when the second changes.
    #[inline(never)]
    pub(super) fn tick(&mut self, now: u32) {
        if now != self.second {
            self.second = now;
            self.resets = 0;
            self.pings = 0;
            self.settings = 0;
            self.empties = 0;
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
    #[inline(never)]
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
    #[inline(never)]
    fn process(&mut self, input: &[u8], w: &mut Out<'_>, cx: &Cx<'_>) -> usize {
        let mut pos = 0;
        while !w.spilled() {
            let rest = input.get(pos..).unwrap_or(&[]);
            if rest.is_empty() {
                break;
            }
            match self.stage {
                Stage::Closed => return input.len(),
                Stage::Preface(got) => {
                    let want = PREFACE.get(usize::from(got)..).unwrap_or(&[]);
                    let n = want.len().min(rest.len());
                    if rest.get(..n) != want.get(..n) {
                        self.fail(Fault::Preface, w);
                        return input.len();
                    }
                    pos += n;
                    let got = usize::from(got) + n;
                    self.stage = if got == PREFACE.len() { Stage::FirstSettings } else { Stage::Preface(got as u8) };
                    continue;
                }
                Stage::FirstSettings => {
                    // §3.4: the preface goes on with SETTINGS (not an acknowledgement): judged as
                    // soon as the type and flags bytes are in.
                    let not_settings = rest.get(3).is_some_and(|&t| t != frame::SETTINGS)
                        || rest.get(4).is_some_and(|&f| f & frame::ACK != 0);
                    if not_settings {
                        self.fail(Fault::FirstNotSettings, w);
                        return input.len();
                    }
                }
                Stage::Open | Stage::Closing => {}
            }
            let Some(head) = Head::parse(rest) else { break };
            if head.len > MAX_PAYLOAD {
                self.fail(Fault::FrameTooLarge, w);
                return input.len();
            }
            let step = if head.kind == frame::HEADERS && !head.has(frame::END_HEADERS) {
                match self.chain_end(rest, head, cx) {
                    Ok(Some(end)) => self.chain(rest.get(..end).unwrap_or(&[]), head, w, cx).map(|()| end),
                    Ok(None) => break,
                    Err(fault) => Err(fault),
                }
            } else {
                let Some(payload) = rest.get(HEAD_LEN..HEAD_LEN + head.len) else { break };
                if self.stage == Stage::FirstSettings {
                    self.stage = Stage::Open;
                }
                self.frame(head, payload, w, cx).map(|()| HEAD_LEN + head.len)
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

    /// Where the CONTINUATION frames of the header block that starts `rest` end, once they are
    /// all in (`None` before). Remembers how far it got, so that frames arriving one by one are
    /// looked at once each.
    #[inline(never)]
    fn chain_end(&mut self, rest: &[u8], head: Head, cx: &Cx<'_>) -> Result<Option<usize>, Fault> {
        let first_end = HEAD_LEN + head.len;
        let (mut at, mut frag) = (first_end, head.len);
        if self.chain_at > first_end && self.chain_at <= rest.len() {
            (at, frag) = (self.chain_at, self.chain_frag);
        }
        let limit = cx.limits.max_header_list as usize;
        loop {
            let Some(h) = rest.get(at..).and_then(Head::parse) else {
                (self.chain_at, self.chain_frag) = (at, frag);
                return Ok(None);
            };
            // §6.10: nothing but CONTINUATION on the same stream until END_HEADERS.
            if h.kind != frame::CONTINUATION || h.stream != head.stream {
                return Err(Fault::Interrupted);
            }
            let end = at + HEAD_LEN + h.len;
            frag += h.len;
            if end > CHAIN_MAX || frag > limit {
                return Err(Fault::HeaderFlood);
            }
            if end > rest.len() {
                (self.chain_at, self.chain_frag) = (at, frag - h.len);
                return Ok(None);
            }
            at = end;
            if h.has(frame::END_HEADERS) {
                (self.chain_at, self.chain_frag) = (0, 0);
                return Ok(Some(at));
            }
        }
    }

    /// A header block spread over HEADERS and CONTINUATION frames (`frames`, all of them):
    /// the fragments are joined, then handled as one block.
    #[cold]
    #[inline(never)]
    fn chain(&mut self, frames: &[u8], head: Head, w: &mut Out<'_>, cx: &Cx<'_>) -> Result<(), Fault> {
        let mut block = [0u8; CHAIN_MAX];
        let first = frames.get(HEAD_LEN..HEAD_LEN + head.len).unwrap_or(&[]);
        let (fragment, dep) = super::exchange::headers_fragment(head, first)?;
        let mut n = fragment.len();
        block.get_mut(..n).ok_or(Fault::HeaderFlood)?.copy_from_slice(fragment);
        let mut at = HEAD_LEN + head.len;
        while let Some(h) = frames.get(at..).and_then(Head::parse) {
            let payload = frames.get(at + HEAD_LEN..at + HEAD_LEN + h.len).unwrap_or(&[]);
            block.get_mut(n..n + payload.len()).ok_or(Fault::HeaderFlood)?.copy_from_slice(payload);
            n += payload.len();
            at += HEAD_LEN + h.len;
        }
        self.on_headers(head, block.get(..n).unwrap_or(&[]), dep, w, cx)
    }

    #[inline(never)]
    fn frame(&mut self, head: Head, payload: &[u8], w: &mut Out<'_>, cx: &Cx<'_>) -> Result<(), Fault> {
        match head.kind {
            frame::DATA => self.on_data(head, payload, w, cx),
            frame::HEADERS => {
                let (fragment, dep) = super::exchange::headers_fragment(head, payload)?;
                self.on_headers(head, fragment, dep, w, cx)
            }
            frame::PRIORITY => self.on_priority(head, payload, w),
            frame::RST_STREAM => self.on_rst_stream(head, payload, cx),
            frame::SETTINGS => self.on_settings(head, payload, w, cx),
            frame::PUSH_PROMISE => Err(Fault::PushPromise),
            frame::PING => self.on_ping(head, payload, w, cx),
            frame::GOAWAY => self.on_goaway(head),
            frame::WINDOW_UPDATE => self.on_window_update(head, payload, w),
            frame::CONTINUATION => Err(Fault::Continuation),
            // §4.1: frames of unknown types are ignored.
            _ => Ok(()),
        }
    }

    /// §6.5: apply the peer's settings, acknowledge them.
    #[inline(never)]
    fn on_settings(&mut self, head: Head, payload: &[u8], w: &mut Out<'_>, cx: &Cx<'_>) -> Result<(), Fault> {
        if head.stream != 0 {
            return Err(Fault::NeedsConnection);
        }
        if head.has(frame::ACK) {
            return if head.len == 0 { Ok(()) } else { Err(Fault::Length) };
        }
        if !head.len.is_multiple_of(6) {
            return Err(Fault::Length);
        }
        self.tick(cx.now);
        self.settings += 1;
        if self.settings > cx.limits.settings_per_sec {
            return Err(Fault::SettingsFlood);
        }
        for setting in payload.chunks_exact(6) {
            let id = u16::from_be_bytes([setting.first().copied().unwrap_or(0), setting.get(1).copied().unwrap_or(0)]);
            let value = frame::u32_at(setting, 2);
            match id {
                frame::SETTINGS_HEADER_TABLE_SIZE => self.encoder.set_peer_max(value),
                frame::SETTINGS_ENABLE_PUSH if value > 1 => return Err(Fault::SettingValue),
                frame::SETTINGS_INITIAL_WINDOW_SIZE => {
                    let value = i64::from(value);
                    if value > MAX_WINDOW {
                        return Err(Fault::InitialWindow);
                    }
                    // §6.9.2: the change applies to every open stream's window.
                    let delta = value - self.peer_window;
                    for s in self.streams.all_mut() {
                        let window = i64::from(s.window) + delta;
                        if window > MAX_WINDOW {
                            return Err(Fault::InitialWindow);
                        }
                        s.window = window.max(i64::from(i32::MIN)) as i32;
                    }
                    self.peer_window = value;
                }
                frame::SETTINGS_MAX_FRAME_SIZE if !(16_384..=16_777_215).contains(&value) => {
                    return Err(Fault::SettingValue);
                }
                _ => {}
            }
        }
        w.put(&frame::SETTINGS_ACK);
        Ok(())
    }

    /// §6.7: answer a PING.
    #[inline(never)]
    fn on_ping(&mut self, head: Head, payload: &[u8], w: &mut Out<'_>, cx: &Cx<'_>) -> Result<(), Fault> {
        if head.stream != 0 {
            return Err(Fault::NeedsConnection);
        }
        let data: &[u8; 8] = payload.try_into().map_err(|_| Fault::Length)?;
        if head.has(frame::ACK) {
            return Ok(());
        }
        self.tick(cx.now);
        self.pings += 1;
        if self.pings > cx.limits.pings_per_sec {
            return Err(Fault::PingFlood);
        }
        w.put(&frame::ping_ack(data));
        Ok(())
    }

    /// §6.8: the peer is going away: once our open streams are done, so are we.
    #[inline(never)]
    fn on_goaway(&mut self, head: Head) -> Result<(), Fault> {
        if head.stream != 0 {
            return Err(Fault::NeedsConnection);
        }
        if head.len < 8 {
            return Err(Fault::Length);
        }
        self.peer_gone = true;
        Ok(())
    }

    /// §6.9: more window for the connection or a stream.
    #[inline(never)]
    fn on_window_update(&mut self, head: Head, payload: &[u8], w: &mut Out<'_>) -> Result<(), Fault> {
        if payload.len() != 4 {
            return Err(Fault::Length);
        }
        let increment = i64::from(frame::u32_at(payload, 0) & 0x7fff_ffff);
        if head.stream == 0 {
            if increment == 0 {
                return Err(Fault::ZeroIncrement);
            }
            self.send_window += increment;
            return if self.send_window > MAX_WINDOW { Err(Fault::WindowOverflow) } else { Ok(()) };
        }
        match self.known(head.stream) {
            Known::Idle => Err(Fault::Idle),
            Known::Closed { .. } => Ok(()),
            Known::Open(i) => {
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
        }
    }

    /// §6.4: the peer resets a stream. Counted against the rapid-reset cap.
    #[inline(never)]
    fn on_rst_stream(&mut self, head: Head, payload: &[u8], cx: &Cx<'_>) -> Result<(), Fault> {
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
        self.tick(cx.now);
        self.resets += 1;
        if self.resets > cx.limits.resets_per_sec {
            return Err(Fault::RapidReset);
        }
        if let Known::Open(i) = known {
            self.streams.remove(i);
        }
        self.mark_reset(head.stream);
        Ok(())
    }

    /// §6.3: priorities are accepted and ignored, after their checks.
    #[inline(never)]
    fn on_priority(&mut self, head: Head, payload: &[u8], w: &mut Out<'_>) -> Result<(), Fault> {
        if head.stream == 0 {
            return Err(Fault::NeedsStream);
        }
        if payload.len() != 5 {
            self.stream_error(head.stream, frame::FRAME_SIZE_ERROR, w);
        } else if frame::u32_at(payload, 0) & 0x7fff_ffff == head.stream {
            // §5.3.1: a stream cannot depend on itself.
            self.stream_error(head.stream, frame::PROTOCOL_ERROR, w);
        }
        Ok(())
    }

    /// A stream error (§5.4.2): RST_STREAM, and the stream is forgotten.
    #[inline(never)]
    pub(super) fn stream_error(&mut self, id: u32, code: u32, w: &mut Out<'_>) {
        w.put(&frame::rst_stream(id, code));
        if let Some(i) = self.streams.find(id) {
            self.streams.remove(i);
        }
        self.mark_reset(id);
    }
}
