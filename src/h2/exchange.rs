//! Requests and answers: HEADERS (RFC 9113 §6.2, §8.1) and DATA (§6.1) from the client, our
//! HEADERS and DATA back, and the flow control of both directions (§5.2, §6.9).
//!
//! Contract: a request is answered as soon as it is complete: at once when its HEADERS carry
//! END_STREAM (no stream entry is made unless the peer's window holds the body back), else when
//! its body ends, by DATA or by trailers. Errors (§5.4): what breaks a stream's rules resets that
//! stream (RST_STREAM) and the connection goes on; what breaks the connection's rules (or its
//! compression state) is a [`Fault`]. We send DATA only within both of the peer's windows, and
//! give window back to the peer once half of it is consumed, for the connection and for each
//! stream still receiving. A body past `max_body` (or a content-length announcing one) is
//! answered 413 at once; when the request is not complete yet, the answer is followed by
//! RST_STREAM(NO_ERROR), which §8.1 provides for exactly this: a complete response before the
//! request is complete, asking the client to stop sending without error.

use super::conn::{Stage, State};
use super::fault::Fault;
use super::frame::{self, Head, HEAD_LEN};
use super::out::Out;
use super::request::{self, Verdict};
use super::respond;
use super::stream::{BodySlot, Owed, Phase, Stream, BODY_CAP};
use super::Cx;
use crate::router::{self, Answer, Method};

/// The router's answer for a request whose body (if any) is all in: one out-of-line copy of the
/// router's sums for this module.
#[inline(never)]
fn finish(pending: &router::Pending, has_body: bool) -> Answer {
    pending.finish(has_body)
}

/// What the connection knows of a stream id (§5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Known {
    /// Kept, at this index.
    Open(usize),
    /// Never used (above every id seen, or even).
    Idle,
    /// Used and closed. For the 64 most recent odd ids we know whether the stream was opened
    /// and whether we reset it (or ignored it); for older ones, not.
    Closed { opened: bool, reset: bool, recent: bool },
}

/// The longest header block remembered.
const MEMO_CAP: usize = 64;

/// The last request header block that left the dynamic table as it was, with its verdict and,
/// once routed with END_STREAM, its answer. Decoding is a function of the block and the table,
/// and validation and routing are functions of what decoding gives; so the same bytes again,
/// with nothing decoded in between, mean the same request, and a compare replaces the work.
/// Clients repeat their blocks byte for byte once their fields are indexed (h2load does on
/// every request but the first). The path buffer still holds the block's path: every other
/// decoding replaces or clears the memo.
pub struct Memo {
    block: [u8; MEMO_CAP],
    len: usize,
    verdict: Verdict,
    content_length: Option<u64>,
    /// The block's decoded list size (the limit may differ on a later call).
    size: usize,
    pub answer: Option<Answer>,
}

impl Memo {
    pub const fn new() -> Self {
        Memo { block: [0; MEMO_CAP], len: 0, verdict: Verdict::Malformed, content_length: None, size: 0, answer: None }
    }

    pub fn clear(&mut self) {
        self.len = 0;
        self.answer = None;
    }

    fn get(&self, block: &[u8], limit: u32) -> Option<(Verdict, Option<u64>)> {
        let hit = self.len != 0 && self.len == block.len() && self.block.get(..block.len()) == Some(block);
        (hit && self.size <= limit as usize).then_some((self.verdict, self.content_length))
    }

    fn set(&mut self, block: &[u8], unchanged: bool, verdict: Verdict, content_length: Option<u64>, size: usize) {
        self.clear();
        if !unchanged || !matches!(verdict, Verdict::Route { .. }) {
            return;
        }
        if let Some(dst) = self.block.get_mut(..block.len()) {
            dst.copy_from_slice(block);
            (self.len, self.verdict, self.content_length, self.size) = (block.len(), verdict, content_length, size);
        }
    }

    fn set_answer(&mut self, answer: Answer) {
        if self.len != 0 {
            self.answer = Some(answer);
        }
    }
}

impl Default for Memo {
    fn default() -> Self {
        Self::new()
    }
}

/// Window given back once this much of it is consumed: half the initial window.
const REPLENISH: u32 = (frame::DEFAULT_WINDOW / 2) as u32;

/// A HEADERS frame's header block fragment without padding and priority fields (§6.2), and
/// the stream it says it depends on.
#[inline(never)]
pub fn headers_fragment(head: Head, payload: &[u8]) -> Result<(&[u8], Option<u32>), Fault> {
    if head.stream == 0 {
        return Err(Fault::NeedsStream);
    }
    let mut body = payload;
    let mut pad = 0;
    if head.has(frame::PADDED) {
        let (&p, rest) = body.split_first().ok_or(Fault::Padding)?;
        pad = usize::from(p);
        body = rest;
    }
    let mut dep = None;
    if head.has(frame::PRIORITY_FLAG) {
        dep = Some(frame::u32_at(body, 0) & 0x7fff_ffff);
        body = body.get(5..).ok_or(Fault::Length)?;
    }
    let len = body.len().checked_sub(pad).ok_or(Fault::Padding)?;
    Ok((body.get(..len).unwrap_or(&[]), dep))
}

impl State {
    /// §6.2, §8.1: a request's header section, or its trailers.
    pub(super) fn on_headers(&mut self, head: Head, block: &[u8], dep: Option<u32>, w: &mut Out<'_>, cx: &Cx<'_>) -> Result<(), Fault> {
        let id = head.stream;
        match self.known(id) {
            Known::Open(i) => return self.trailers(i, head, block, w, cx),
            Known::Closed { opened, .. } => return Err(if opened { Fault::Closed } else { Fault::StreamOrder }),
            Known::Idle if id.is_multiple_of(2) => return Err(Fault::EvenStream),
            Known::Idle => {}
        }
        self.open_id(id);
        let limit = cx.limits.max_header_list;
        let (verdict, content_length) = match self.memo.get(block, limit) {
            Some(hit) => hit,
            None => {
                let before = self.decoder.table.changes();
                let mut req = request::Head::new(&mut self.path, limit, false);
                self.decoder.decode(block, &mut req).map_err(|_| Fault::Compression)?;
                let (verdict, content_length, size) = (req.verdict(), req.content_length(), req.size());
                let unchanged = self.decoder.table.changes() == before;
                self.memo.set(block, unchanged, verdict, content_length, size);
                (verdict, content_length)
            }
        };
        if self.stage == Stage::Closing {
            // §6.8: streams opened after our GOAWAY are ignored (their block was decoded above,
            // to keep the compression state).
            self.mark_reset(id);
            return Ok(());
        }
        if dep == Some(id) {
            // §5.3.1: a stream cannot depend on itself.
            self.stream_error(id, frame::PROTOCOL_ERROR, w);
            return Ok(());
        }
        if self.streams.is_full() {
            // §5.1.2: past our SETTINGS_MAX_CONCURRENT_STREAMS.
            self.stream_error(id, frame::REFUSED_STREAM, w);
            return Ok(());
        }
        let end = head.has(frame::END_STREAM);
        let (method, path_len, query_at) = match verdict {
            Verdict::Route { method, path_len, query_at } => (method, path_len, query_at),
            Verdict::Status(status) => {
                self.respond(w, id, None, Answer::error(status), false, !end, cx);
                return Ok(());
            }
            Verdict::Malformed | Verdict::Trailers => {
                self.stream_error(id, frame::PROTOCOL_ERROR, w);
                return Ok(());
            }
        };
        if end && content_length.is_some_and(|n| n != 0) {
            // §8.1.1: a content-length that the (empty) body contradicts.
            self.stream_error(id, frame::PROTOCOL_ERROR, w);
            return Ok(());
        }
        let head_only = method == Method::Head;
        if end {
            let answer = match self.memo.answer {
                Some(answer) => answer,
                None => {
                    let path = self.path.get(0..query_at);
                    let query = self.path.get(query_at + 1..path_len);
                    let answer = finish(&router::route(method, path, query), false);
                    // The router is a function of the method, path and query alone.
                    self.memo.set_answer(answer);
                    answer
                }
            };
            self.respond(w, id, None, answer, head_only, false, cx);
            return Ok(());
        }
        let path = self.path.get(0..query_at);
        let query = self.path.get(query_at + 1..path_len);
        let pending = router::route(method, path, query);
        if content_length.is_some_and(|n| n > cx.limits.max_body) {
            self.respond(w, id, None, Answer::error(413), head_only, true, cx);
            return Ok(());
        }
        let slot = BodySlot { pending, head: head_only, content_length, received: 0, window: frame::DEFAULT_WINDOW as i32, unacked: 0 };
        // Past the bodies we can follow, the stream is refused (nothing was done: the client
        // may retry it).
        match self.streams.take_slot(slot) {
            Some(slot) => {
                self.streams.add(Stream { id, window: self.peer_window as i32, phase: Phase::Receiving { slot } });
            }
            None => self.stream_error(id, frame::REFUSED_STREAM, w),
        }
        Ok(())
    }

    /// A second HEADERS on a kept stream: trailers, which must end the stream (§8.1).
    #[inline(never)]
    fn trailers(&mut self, i: usize, head: Head, block: &[u8], w: &mut Out<'_>, cx: &Cx<'_>) -> Result<(), Fault> {
        // This block may write the path buffer the remembered verdict relies on.
        self.memo.clear();
        let mut req = request::Head::new(&mut self.path, cx.limits.max_header_list, true);
        self.decoder.decode(block, &mut req).map_err(|_| Fault::Compression)?;
        let verdict = req.verdict();
        let Some(&Stream { id, phase, .. }) = self.streams.get(i) else { return Ok(()) };
        match phase {
            // §5.1: half-closed (remote) takes no more HEADERS.
            Phase::Sending { .. } => self.stream_error(id, frame::STREAM_CLOSED, w),
            Phase::Receiving { slot } if head.has(frame::END_STREAM) && verdict == Verdict::Trailers => {
                self.end_body(i, slot, w, cx);
            }
            Phase::Receiving { .. } => self.stream_error(id, frame::PROTOCOL_ERROR, w),
        }
        Ok(())
    }

    /// §6.1: request body bytes, flow-controlled.
    #[inline(never)]
    pub(super) fn on_data(&mut self, head: Head, payload: &[u8], w: &mut Out<'_>, cx: &Cx<'_>) -> Result<(), Fault> {
        let id = head.stream;
        if id == 0 {
            return Err(Fault::NeedsStream);
        }
        let mut data = payload;
        if head.has(frame::PADDED) {
            let (&pad, rest) = data.split_first().ok_or(Fault::Padding)?;
            let len = rest.len().checked_sub(usize::from(pad)).ok_or(Fault::Padding)?;
            data = rest.get(..len).unwrap_or(&[]);
        }
        // §6.9.1: the whole frame counts against both windows, padding included.
        let len = payload.len() as i64;
        if len > self.recv_window {
            return Err(Fault::FlowControl);
        }
        self.recv_window -= len;
        self.recv_unacked += len as u32;
        if data.is_empty() && !head.has(frame::END_STREAM) {
            self.tick(cx.now);
            self.empties += 1;
            if self.empties > cx.limits.empty_frames_per_sec {
                return Err(Fault::EmptyFlood);
            }
        }
        match self.known(id) {
            Known::Idle => return Err(Fault::Idle),
            // §5.1: frames in flight on a stream we reset are ignored.
            Known::Closed { reset: true, .. } => {}
            // §5.1: DATA after END_STREAM.
            Known::Closed { recent: true, .. } => return Err(Fault::Closed),
            Known::Closed { .. } => self.stream_error(id, frame::STREAM_CLOSED, w),
            Known::Open(i) => self.body(i, head, data, len, w, cx)?,
        }
        if self.recv_unacked >= REPLENISH {
            w.put(&frame::window_update(0, self.recv_unacked));
            self.recv_window += i64::from(self.recv_unacked);
            self.recv_unacked = 0;
        }
        Ok(())
    }

    #[inline(never)]
    fn body(&mut self, i: usize, head: Head, data: &[u8], len: i64, w: &mut Out<'_>, cx: &Cx<'_>) -> Result<(), Fault> {
        let Some(&Stream { id, phase, .. }) = self.streams.get(i) else { return Ok(()) };
        let Phase::Receiving { slot } = phase else {
            // §5.1: half-closed (remote) takes no more DATA.
            self.stream_error(id, frame::STREAM_CLOSED, w);
            return Ok(());
        };
        let Some(b) = self.streams.slot_mut(slot) else { return Ok(()) };
        if len > i64::from(b.window) {
            return Err(Fault::FlowControl);
        }
        b.window -= len as i32;
        b.received = b.received.saturating_add(data.len() as u64);
        b.pending.feed(data);
        let end = head.has(frame::END_STREAM);
        let (received, head_only) = (b.received, b.head);
        if b.content_length.is_some_and(|n| received > n) {
            // §8.1.1: more body than the content-length said.
            self.stream_error(id, frame::PROTOCOL_ERROR, w);
        } else if received > cx.limits.max_body {
            self.respond(w, id, Some(i), Answer::error(413), head_only, !end, cx);
        } else if end {
            self.end_body(i, slot, w, cx);
        } else {
            b.unacked += len as u32;
            if b.unacked >= REPLENISH {
                w.put(&frame::window_update(id, b.unacked));
                b.window += b.unacked as i32;
                b.unacked = 0;
            }
        }
        Ok(())
    }

    /// The request body of stream `i` is complete: answer it.
    fn end_body(&mut self, i: usize, slot: u8, w: &mut Out<'_>, cx: &Cx<'_>) {
        let Some(&Stream { id, .. }) = self.streams.get(i) else { return };
        let Some(b) = self.streams.slot_mut(slot).copied() else { return };
        if b.content_length.is_some_and(|n| n != b.received) {
            // §8.1.1: less body than the content-length said.
            self.stream_error(id, frame::PROTOCOL_ERROR, w);
            return;
        }
        self.respond(w, id, Some(i), finish(&b.pending, true), b.head, false, cx);
    }

    /// Writes an answer: HEADERS, and DATA as far as the windows allow (the rest waits in the
    /// stream's entry). `reset_after`: the request is not complete; once the answer is out,
    /// RST_STREAM(NO_ERROR) (§8.1).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn respond(&mut self, w: &mut Out<'_>, id: u32, kept: Option<usize>, answer: Answer, head_only: bool, reset_after: bool, cx: &Cx<'_>) {
        let body = Owed::of(answer.body, answer.status);
        let mut buf = [0u8; BODY_CAP];
        let bytes = body.bytes(&mut buf);
        let len = if head_only { 0 } else { bytes.len() };
        let window = match kept.and_then(|i| self.streams.get(i)) {
            Some(s) => s.window,
            None => self.peer_window as i32,
        };
        // The common case: the whole body goes with the HEADERS, in one write.
        let now = len.min(i64::from(window).min(self.send_window).max(0) as usize);
        let (mut c, direct) = w.open(respond::MAX_ANSWER);
        respond::head(&mut c, &mut self.encoder, id, &answer, bytes.len(), len == 0, cx.date);
        if now > 0 {
            respond::data(&mut c, id, bytes.get(..now).unwrap_or(&[]), now == len);
        }
        let (n, overflowed) = (c.len(), c.overflowed());
        w.commit(n, direct, overflowed);
        self.send_window -= now as i64;
        if now == len {
            if let Some(i) = kept {
                self.streams.remove(i);
            }
            self.after(w, id, reset_after);
            return;
        }
        // The rest waits for window in the stream's entry.
        let waiting = Stream { id, window: window - now as i32, phase: Phase::Sending { body, sent: now as u16, reset_after } };
        match kept {
            Some(i) => {
                if let Some(Stream { phase: Phase::Receiving { slot }, .. }) = self.streams.get(i).copied() {
                    self.streams.free_slot(slot);
                }
                if let Some(s) = self.streams.get_mut(i) {
                    *s = waiting;
                }
            }
            // Room was checked when the stream opened.
            None => {
                self.streams.add(waiting);
            }
        }
    }

    /// A stream's answer is all out: RST_STREAM(NO_ERROR) when its request was cut short.
    #[inline(never)]
    fn after(&mut self, w: &mut Out<'_>, id: u32, reset_after: bool) {
        if reset_after {
            w.put(&frame::rst_stream(id, frame::NO_ERROR));
            self.mark_reset(id);
        }
    }

    /// Sends what both windows allow of stream `i`'s waiting body, in one DATA frame; forgets
    /// the stream once all of it is sent (true then).
    #[inline(never)]
    fn send_data(&mut self, w: &mut Out<'_>, i: usize) -> bool {
        let Some(&Stream { id, window, phase: Phase::Sending { body, sent, reset_after } }) = self.streams.get(i) else { return false };
        let mut buf = [0u8; BODY_CAP];
        let rest = body.bytes(&mut buf).get(usize::from(sent)..).unwrap_or(&[]);
        let n = rest.len().min(i64::from(window).min(self.send_window).max(0) as usize);
        if n == 0 {
            return false;
        }
        let done = n == rest.len();
        let (mut c, direct) = w.open(HEAD_LEN + n);
        respond::data(&mut c, id, rest.get(..n).unwrap_or(&[]), done);
        let (written, overflowed) = (c.len(), c.overflowed());
        w.commit(written, direct, overflowed);
        self.send_window -= n as i64;
        if done {
            self.streams.remove(i);
            self.after(w, id, reset_after);
            return true;
        }
        if let Some(s) = self.streams.get_mut(i) {
            s.window -= n as i32;
            s.phase = Phase::Sending { body, sent: sent + n as u16, reset_after };
        }
        false
    }

    /// Sends the body bytes that waited for window, as far as the windows now allow.
    pub(super) fn send_owed(&mut self, w: &mut Out<'_>) {
        let mut i = 0;
        while self.send_window > 0 && !w.spilled() && i < self.streams.len() {
            if !self.send_data(w, i) {
                i += 1;
            }
        }
    }
}
