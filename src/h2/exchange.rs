//! Requests and answers: HEADERS (RFC 9113 §6.2, §8.1) and DATA (§6.1) from the client, our
//! HEADERS and DATA back, and the flow control of both directions (§5.2, §6.9).
//!
//! Contract: a request is answered as soon as it is complete: at once when its HEADERS carry
//! END_STREAM, else when its body ends, by DATA or by trailers. Errors (§5.4): what breaks a
//! stream's rules resets that stream (RST_STREAM) and the connection goes on; what breaks the
//! connection's rules (or its compression state) is a [`Fault`]. An answer's body goes out
//! through the stream table: the entry made for it is forgotten at once when both of the peer's
//! windows let the whole body go (the usual case), and otherwise waits there for window. We give
//! window back to the peer once half of it is consumed, for the connection and for each stream
//! still receiving. A body past `max_body` (or a content-length announcing one) is answered 413
//! at once; when the request is not complete yet, the answer is followed by RST_STREAM(NO_ERROR),
//! which §8.1 provides for exactly this: a complete response before the request is complete,
//! asking the client to stop sending without error.

use super::conn::{Stage, State, EMPTIES};
use super::fault::Fault;
use super::frame::{self, Head};
use super::cursor::Cursor as Out;
use super::request::{self, Verdict};
use super::respond;
use super::stream::{body_bytes, BodySlot, Phase, Stream, BODY_CAP};
use crate::router::{self, Answer, Body, Method};

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

/// The router's answer for a request whose body (if any) is all in: one out-of-line copy of the
/// router's sums for this module.
#[inline(never)]
fn finish(pending: &router::Pending, has_body: bool) -> Answer {
    pending.finish(has_body)
}

/// Window given back once this much of it is consumed: half the initial window.
const REPLENISH: u32 = (frame::DEFAULT_WINDOW / 2) as u32;

/// Where a HEADERS frame's header block fragment lies in its payload, without padding and
/// priority fields (§6.2), and the stream it says it depends on.
#[inline(never)]
pub fn headers_fragment(head: Head, payload: &[u8]) -> Result<(usize, usize, Option<u32>), Fault> {
    if head.stream == 0 {
        return Err(Fault::NeedsStream);
    }
    let prio = head.has(frame::PRIORITY_FLAG);
    let (start, end) = span(head, payload, if prio { 5 } else { 0 })?;
    let dep = frame::u32_at(payload, usize::from(head.has(frame::PADDED))) & 0x7fff_ffff;
    Ok((start, end, prio.then_some(dep)))
}

/// Where a DATA or HEADERS payload's content lies, without its padding (§6.1, §6.2) and the
/// `skip` bytes after the pad length.
fn span(head: Head, payload: &[u8], skip: usize) -> Result<(usize, usize), Fault> {
    let padded = head.has(frame::PADDED);
    let pad = if padded { usize::from(*payload.first().ok_or(Fault::Padding)?) } else { 0 };
    let start = usize::from(padded) + skip;
    if payload.len() < start {
        return Err(Fault::Length);
    }
    let end = payload.len().checked_sub(pad).filter(|&end| end >= start).ok_or(Fault::Padding)?;
    Ok((start, end))
}

impl State {
    /// §6.2, §8.1: a request's header section, or a kept stream's trailers.
    #[inline(never)]
    pub(super) fn on_headers(&mut self, head: Head, block: &[u8], dep: Option<u32>, w: &mut Out<'_>) -> Result<(), Fault> {
        let id = head.stream;
        let known = self.known(id);
        match known {
            // §5.1: frames in flight on a stream we reset are ignored (the block still decoded
            // below); on one closed otherwise, an error.
            Known::Closed { opened, reset: false, .. } => return Err(if opened { Fault::Closed } else { Fault::StreamOrder }),
            Known::Idle if id.is_multiple_of(2) => return Err(Fault::EvenStream),
            Known::Idle => self.open_id(id),
            _ => {}
        }
        let mut req = request::Head::new(&mut self.path, super::MAX_HEADER_LIST, known != Known::Idle);
        self.decoder.decode_in(block, w.scratch, &mut req).map_err(|_| Fault::Compression)?;
        let (verdict, content_length) = (req.verdict(), req.content_length());
        let end = head.has(frame::END_STREAM);
        let code = 'refuse: {
            if let Known::Open(i) = known {
                // A second HEADERS on a kept stream: trailers, which must end the stream (§8.1);
                // half-closed (remote) takes no more HEADERS (§5.1).
                match self.streams.get(i).map(|s| s.phase) {
                    Some(Phase::Receiving { slot }) if end && verdict == Verdict::Trailers => {
                        self.end_body(i, slot, w);
                        return Ok(());
                    }
                    Some(Phase::Sending { .. }) => break 'refuse frame::STREAM_CLOSED,
                    _ => break 'refuse frame::PROTOCOL_ERROR,
                }
            }
            if self.stage == Stage::Closing || known != Known::Idle {
                // §6.8: streams opened after our GOAWAY are ignored, as are HEADERS on a stream
                // we reset (their block was decoded above, to keep the compression state).
                self.mark_reset(id);
                return Ok(());
            }
            if dep == Some(id) {
                // §5.3.1: a stream cannot depend on itself.
                break 'refuse frame::PROTOCOL_ERROR;
            }
            if self.streams.is_full() {
                // §5.1.2: past our SETTINGS_MAX_CONCURRENT_STREAMS.
                break 'refuse frame::REFUSED_STREAM;
            }
            let (answer, head_only, reset_after) = match verdict {
                Verdict::Status(status) => (Answer::error(status), false, !end),
                Verdict::Malformed | Verdict::Trailers => break 'refuse frame::PROTOCOL_ERROR,
                // §8.1.1: a content-length that the (empty) body contradicts.
                Verdict::Route { .. } if end && content_length.is_some_and(|n| n != 0) => break 'refuse frame::PROTOCOL_ERROR,
                Verdict::Route { method, path_len, query_at } => {
                    let head_only = method == Method::Head;
                    let pending = router::route(method, self.path.get(0..query_at), self.path.get(query_at + 1..path_len));
                    match content_length {
                        _ if end => (finish(&pending, false), head_only, false),
                        Some(n) if n > self.max_body => (Answer::error(413), head_only, true),
                        _ => {
                            let body = BodySlot { pending, head: head_only, content_length, received: 0, window: frame::DEFAULT_WINDOW, unacked: 0 };
                            // Past the bodies we can follow, the stream is refused (nothing was
                            // done: the client may retry it).
                            let Some(slot) = self.streams.take_slot(body) else { break 'refuse frame::REFUSED_STREAM };
                            self.streams.add(Stream { id, window: self.peer_window, phase: Phase::Receiving { slot } });
                            return Ok(());
                        }
                    }
                }
            };
            self.respond(w, id, None, answer, head_only, reset_after);
            return Ok(());
        };
        self.stream_error(id, code, w);
        Ok(())
    }

    /// §6.1: request body bytes, flow-controlled.
    pub(super) fn on_data(&mut self, head: Head, payload: &[u8], w: &mut Out<'_>) -> Result<(), Fault> {
        let id = head.stream;
        if id == 0 {
            return Err(Fault::NeedsStream);
        }
        let (start, end) = span(head, payload, 0)?;
        let data = payload.get(start..end).unwrap_or(&[]);
        // §6.9.1: the whole frame counts against both windows, padding included.
        let len = payload.len() as i32;
        if len > self.recv_window {
            return Err(Fault::FlowControl);
        }
        self.recv_window -= len;
        self.recv_unacked += len as u32;
        let end = head.has(frame::END_STREAM);
        if data.is_empty() && !end && self.over(EMPTIES) {
            return Err(Fault::EmptyFlood);
        }
        match self.known(id) {
            Known::Idle => return Err(Fault::Idle),
            // §5.1: frames in flight on a stream we reset are ignored.
            Known::Closed { reset: true, .. } => {}
            // §5.1: DATA after END_STREAM.
            Known::Closed { recent: true, .. } => return Err(Fault::Closed),
            Known::Closed { .. } => self.stream_error(id, frame::STREAM_CLOSED, w),
            Known::Open(i) => match self.streams.get(i).map(|s| s.phase) {
                Some(Phase::Receiving { slot }) => {
                    let Some(b) = self.streams.slot_mut(slot) else { return Ok(()) };
                    if len > b.window {
                        return Err(Fault::FlowControl);
                    }
                    b.window -= len;
                    b.unacked += len as u32;
                    b.received = b.received.saturating_add(data.len() as u64);
                    b.pending.feed(data);
                    let (received, head_only) = (b.received, b.head);
                    if b.content_length.is_some_and(|n| received > n) {
                        // §8.1.1: more body than the content-length said.
                        self.stream_error(id, frame::PROTOCOL_ERROR, w);
                    } else if received > self.max_body {
                        self.respond(w, id, Some(i), Answer::error(413), head_only, !end);
                    } else if end {
                        self.end_body(i, slot, w);
                    } else {
                        replenish(w, id, &mut b.window, &mut b.unacked);
                    }
                }
                // §5.1: half-closed (remote) takes no more DATA.
                _ => self.stream_error(id, frame::STREAM_CLOSED, w),
            },
        }
        replenish(w, 0, &mut self.recv_window, &mut self.recv_unacked);
        Ok(())
    }

    /// The request body of stream `i` is complete: answer it.
    #[inline(never)]
    fn end_body(&mut self, i: usize, slot: u8, w: &mut Out<'_>) {
        let Some(&Stream { id, .. }) = self.streams.get(i) else { return };
        let Some(b) = self.streams.slot_mut(slot) else { return };
        if b.content_length.is_some_and(|n| n != b.received) {
            // §8.1.1: less body than the content-length said.
            return self.stream_error(id, frame::PROTOCOL_ERROR, w);
        }
        let (answer, head_only) = (finish(&b.pending, true), b.head);
        self.respond(w, id, Some(i), answer, head_only, false);
    }

    /// Writes an answer: HEADERS, then the body through a stream entry (stream `kept`'s, which
    /// is replaced), which [`State::send_data`] sends as far as the windows allow.
    /// `reset_after`: the request is not complete; once the answer is out, RST_STREAM(NO_ERROR)
    /// (§8.1).
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn respond(&mut self, w: &mut Out<'_>, id: u32, kept: Option<usize>, answer: Answer, head_only: bool, reset_after: bool) {
        let mut answer = answer;
        let mut buf = [0u8; BODY_CAP];
        let len = body_bytes(&answer, &mut buf).len();
        let empty = head_only || len == 0;
        respond::head(w, &mut self.encoder, id, &answer, len, empty, &self.date);
        if empty {
            answer.body = Body::Empty;
        }
        let mut window = self.peer_window;
        if let Some(i) = kept {
            window = self.streams.get(i).map_or(window, |s| s.window);
            self.streams.remove(i);
        }
        // Room was checked when the stream opened (or made just above).
        if let Some(i) = self.streams.add(Stream { id, window, phase: Phase::Sending { answer, sent: 0, reset_after } }) {
            self.send_data(w, i);
        }
    }

    /// Sends what both windows allow of stream `i`'s waiting body, in one DATA frame; forgets
    /// the stream once all of it is sent (true then), with RST_STREAM(NO_ERROR) when its
    /// request was cut short.
    #[inline(never)]
    fn send_data(&mut self, w: &mut Out<'_>, i: usize) -> bool {
        let Some(&Stream { id, window, phase: Phase::Sending { answer, sent, reset_after } }) = self.streams.get(i) else { return false };
        let mut buf = [0u8; BODY_CAP];
        let rest = body_bytes(&answer, &mut buf).get(usize::from(sent)..).unwrap_or(&[]);
        let n = rest.len().min(window.min(self.send_window).max(0) as usize);
        let done = n == rest.len();
        if n > 0 {
            w.frame(frame::DATA, if done { frame::END_STREAM } else { 0 }, id, rest.get(..n).unwrap_or(&[]));
            self.send_window -= n as i32;
        } else if !done {
            return false;
        }
        if done {
            self.streams.remove(i);
            if reset_after {
                w.frame(frame::RST_STREAM, 0, id, &frame::NO_ERROR.to_be_bytes());
                self.mark_reset(id);
            }
            return true;
        }
        if let Some(Stream { window, phase: Phase::Sending { sent, .. }, .. }) = self.streams.get_mut(i) {
            *window -= n as i32;
            *sent += n as u16;
        }
        false
    }

    /// Sends the body bytes that waited for window, as far as the windows now allow.
    pub(super) fn send_owed(&mut self, w: &mut Out<'_>) {
        let mut i = 0;
        while self.send_window > 0 && w.has_room() && i < self.streams.len() {
            if !self.send_data(w, i) {
                i += 1;
            }
        }
    }
}

/// Gives window back (WINDOW_UPDATE on stream `id`, 0 for the connection) once half of it is
/// consumed.
fn replenish(w: &mut Out<'_>, id: u32, window: &mut i32, unacked: &mut u32) {
    if *unacked >= REPLENISH {
        w.frame(frame::WINDOW_UPDATE, 0, id, &unacked.to_be_bytes());
        *window += *unacked as i32;
        *unacked = 0;
    }
}
