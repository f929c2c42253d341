//! An answer's HEADERS frame (RFC 9113 §6.2): `:status`, `server`, `date`, `content-type`,
//! `content-length` and, for the answers that carry one
//! ([`Extra::allow`](crate::router::Extra::allow)), `allow`. The body follows in DATA (§6.1),
//! from [`super::exchange`], as far as the windows allow.
//!
//! Contract: [`head`] writes one HEADERS frame with END_HEADERS (and END_STREAM when no body
//! follows); its block is at most [`MAX_BLOCK`] bytes, far below the smallest frame size a peer
//! may set, so it never needs CONTINUATION. HTTP/2 has no Upgrade header, so the WebSocket
//! extras are left out. [`MAX_ANSWER`] bounds HEADERS and DATA together.

use super::cursor::Cursor;
use super::frame::{self, HEAD_LEN};
use super::hpack::encoder::Encoder;
use super::stream::BODY_CAP;
use crate::router::Answer;

/// The longest `allow` value written (the router's are 24 bytes).
const ALLOW_CAP: usize = 24;
/// The largest header block: two size updates (6), status (5), server (6), date (31),
/// content-type (12), content-length (2 + 1 + 2), allow (2 + 1 + 24).
pub const MAX_BLOCK: usize = 6 + 5 + 6 + 31 + 12 + 5 + 3 + ALLOW_CAP;
/// The HEADERS frame of one answer.
pub const MAX_HEADERS: usize = HEAD_LEN + MAX_BLOCK;
/// HEADERS and DATA of one answer.
pub const MAX_ANSWER: usize = MAX_HEADERS + HEAD_LEN + BODY_CAP;

/// Writes the HEADERS frame of `answer` on `stream`, announcing `content_length` body bytes
/// (at most [`BODY_CAP`]).
pub fn head(c: &mut Cursor<'_>, enc: &mut Encoder, stream: u32, answer: &Answer, content_length: usize, end_stream: bool, date: &[u8; 29]) {
    let at = c.len();
    c.put(&[0; HEAD_LEN]);
    let start = c.len();
    enc.start(c);
    enc.status(c, answer.status);
    enc.common(c, date);
    // content-length, a literal without indexing (name index 28: 0x0f 0x0d), then its one or
    // two digits (bodies are short).
    let n = content_length.min(99) as u8;
    let field = if n < 10 { [0x0f, 0x0d, 1, b'0' + n, 0] } else { [0x0f, 0x0d, 2, b'0' + n / 10, b'0' + n % 10] };
    c.put(field.get(..4 + usize::from(n >= 10)).unwrap_or(&field));
    // allow, a literal without indexing (name index 22: 0x0f 0x07).
    if let Some(methods) = answer.extra.allow() {
        c.put(&[0x0f, 0x07, methods.len().min(ALLOW_CAP) as u8]);
        c.put(methods.get(..ALLOW_CAP).unwrap_or(methods));
    }
    let flags = frame::END_HEADERS | if end_stream { frame::END_STREAM } else { 0 };
    c.patch(at, &frame::head(c.len() - start, frame::HEADERS, flags, stream));
}

/// Writes one DATA frame.
pub fn data(c: &mut Cursor<'_>, stream: u32, bytes: &[u8], end_stream: bool) {
    c.put(&frame::head(bytes.len(), frame::DATA, if end_stream { frame::END_STREAM } else { 0 }, stream));
    c.put(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::h2::frame::Head;
    use crate::router::{Body, Extra, ALLOW_ALL};

    const DATE: &[u8; 29] = b"Sun, 06 Nov 1994 08:49:37 GMT";

    #[test]
    fn answers_decode_with_an_independent_decoder() {
        let mut enc = Encoder::new();
        let mut theirs = hpack::Decoder::new();
        let answers = [
            (Answer { status: 200, body: Body::Number(55), extra: Extra::None }, 2),
            (Answer { status: 405, body: Body::Reason, extra: Extra::AllowAll }, 19),
            (Answer { status: 426, body: Body::Reason, extra: Extra::UpgradeWebSocket }, 17),
        ];
        for (answer, len) in answers {
            let mut buf = [0u8; MAX_ANSWER];
            let mut c = Cursor::new(&mut buf);
            head(&mut c, &mut enc, 3, &answer, len, false, DATE);
            data(&mut c, 3, b"55", true);
            assert!(!c.overflowed());
            let bytes = c.written().to_vec();
            let h = Head::parse(&bytes).unwrap();
            assert_eq!((h.kind, h.flags, h.stream), (frame::HEADERS, frame::END_HEADERS, 3));
            let fields = theirs.decode(&bytes[HEAD_LEN..HEAD_LEN + h.len]).unwrap();
            let mut want = vec![
                (b":status".to_vec(), answer.status.to_string().into_bytes()),
                (b"server".to_vec(), b"mote".to_vec()),
                (b"date".to_vec(), DATE.to_vec()),
                (b"content-type".to_vec(), b"text/plain".to_vec()),
                (b"content-length".to_vec(), len.to_string().into_bytes()),
            ];
            if answer.extra == Extra::AllowAll {
                want.push((b"allow".to_vec(), ALLOW_ALL.to_vec()));
            }
            assert_eq!(fields, want);
            let d = Head::parse(&bytes[HEAD_LEN + h.len..]).unwrap();
            assert_eq!((d.kind, d.flags, d.len), (frame::DATA, frame::END_STREAM, 2));
        }
    }

    #[test]
    fn the_largest_answer_fits() {
        let mut enc = Encoder::new();
        enc.set_peer_max(100);
        enc.set_peer_max(4000);
        let answer = Answer { status: 431, body: Body::Reason, extra: Extra::AllowAll };
        let mut buf = [0u8; MAX_ANSWER];
        let mut c = Cursor::new(&mut buf);
        head(&mut c, &mut enc, u32::MAX >> 1, &answer, BODY_CAP, false, DATE);
        data(&mut c, 1, &[b'r'; BODY_CAP], true);
        assert!(!c.overflowed());
        // One answer, a reset, two window updates and a GOAWAY fit in one step.
        const _: () = assert!(MAX_ANSWER + 13 + 2 * 13 + 17 <= crate::h2::cursor::MAX_STEP);
    }
}
