//! HTTP/2 framing (RFC 9113 §4, §6): the 9-byte frame header, the frame types, flags, error
//! codes and settings we use, and the fixed-size control frames we send.
//!
//! Contract: [`Head::parse`] needs exactly [`HEAD_LEN`] bytes and checks nothing but their
//! layout (the reserved bit of the stream identifier is dropped, §4.1); the rules of each frame
//! type are the connection's business. The writers return whole frames as arrays, so a caller
//! cannot send half of one by mistake.

/// The frame header's length.
pub const HEAD_LEN: usize = 9;
/// The largest payload we accept: SETTINGS_MAX_FRAME_SIZE's initial value, which we keep.
pub const MAX_PAYLOAD: usize = 16_384;

// Frame types (§6).
pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const PRIORITY: u8 = 0x2;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PUSH_PROMISE: u8 = 0x5;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;
pub const WINDOW_UPDATE: u8 = 0x8;
pub const CONTINUATION: u8 = 0x9;

// Flags (§6).
pub const END_STREAM: u8 = 0x1;
pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const PADDED: u8 = 0x8;
pub const PRIORITY_FLAG: u8 = 0x20;

// Error codes (§7).
pub const NO_ERROR: u32 = 0x0;
pub const PROTOCOL_ERROR: u32 = 0x1;
pub const INTERNAL_ERROR: u32 = 0x2;
pub const FLOW_CONTROL_ERROR: u32 = 0x3;
pub const STREAM_CLOSED: u32 = 0x5;
pub const FRAME_SIZE_ERROR: u32 = 0x6;
pub const REFUSED_STREAM: u32 = 0x7;
pub const CANCEL: u32 = 0x8;
pub const COMPRESSION_ERROR: u32 = 0x9;
pub const ENHANCE_YOUR_CALM: u32 = 0xb;

// Settings (§6.5.2).
pub const SETTINGS_HEADER_TABLE_SIZE: u16 = 0x1;
pub const SETTINGS_ENABLE_PUSH: u16 = 0x2;
pub const SETTINGS_MAX_CONCURRENT_STREAMS: u16 = 0x3;
pub const SETTINGS_INITIAL_WINDOW_SIZE: u16 = 0x4;
pub const SETTINGS_MAX_FRAME_SIZE: u16 = 0x5;
pub const SETTINGS_MAX_HEADER_LIST_SIZE: u16 = 0x6;

/// The largest flow-control window (§6.9.1).
pub const MAX_WINDOW: i64 = (1 << 31) - 1;
/// The initial flow-control window of streams and of the connection (§6.9.2).
pub const DEFAULT_WINDOW: i32 = 65_535;

/// A parsed frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub len: usize,
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
}

impl Head {
    /// The header at the start of `b`, if 9 bytes are there.
    #[inline]
    pub fn parse(b: &[u8]) -> Option<Head> {
        let h: &[u8; HEAD_LEN] = b.get(..HEAD_LEN)?.try_into().ok()?;
        Some(Head {
            len: usize::from(h[0]) << 16 | usize::from(h[1]) << 8 | usize::from(h[2]),
            kind: h[3],
            flags: h[4],
            stream: u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff,
        })
    }

    #[inline]
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// A frame header's bytes.
#[inline]
pub fn head(len: usize, kind: u8, flags: u8, stream: u32) -> [u8; HEAD_LEN] {
    let s = stream.to_be_bytes();
    [(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags, s[0], s[1], s[2], s[3]]
}

/// A big-endian u32 at `at` of `b` (0 when out of range: callers check lengths first).
#[inline]
pub fn u32_at(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

fn frame13(kind: u8, stream: u32, value: u32) -> [u8; 13] {
    let mut f = [0u8; 13];
    let (h, v) = f.split_at_mut(HEAD_LEN);
    h.copy_from_slice(&head(4, kind, 0, stream));
    v.copy_from_slice(&value.to_be_bytes());
    f
}

pub fn rst_stream(stream: u32, code: u32) -> [u8; 13] {
    frame13(RST_STREAM, stream, code)
}

pub fn window_update(stream: u32, increment: u32) -> [u8; 13] {
    frame13(WINDOW_UPDATE, stream, increment)
}

pub fn ping_ack(payload: &[u8; 8]) -> [u8; 17] {
    let mut f = [0u8; 17];
    let (h, p) = f.split_at_mut(HEAD_LEN);
    h.copy_from_slice(&head(8, PING, ACK, 0));
    p.copy_from_slice(payload);
    f
}

/// GOAWAY (§6.8) without debug data.
pub fn goaway(last_stream: u32, code: u32) -> [u8; 17] {
    let mut f = [0u8; 17];
    f[..HEAD_LEN].copy_from_slice(&head(8, GOAWAY, 0, 0));
    f[9..13].copy_from_slice(&last_stream.to_be_bytes());
    f[13..17].copy_from_slice(&code.to_be_bytes());
    f
}

pub const SETTINGS_ACK: [u8; HEAD_LEN] = [0, 0, 0, SETTINGS, ACK, 0, 0, 0, 0];

/// Our SETTINGS (§3.4: the server's preface): MAX_CONCURRENT_STREAMS and
/// MAX_HEADER_LIST_SIZE; the other settings keep their initial values (header table 4096,
/// push disabled for servers anyway, window 65535, frame size 16384).
pub const fn our_settings(max_streams: u32, max_header_list: u32) -> [u8; HEAD_LEN + 12] {
    let (s, l) = (max_streams.to_be_bytes(), max_header_list.to_be_bytes());
    let (a, b) = (SETTINGS_MAX_CONCURRENT_STREAMS.to_be_bytes(), SETTINGS_MAX_HEADER_LIST_SIZE.to_be_bytes());
    [0, 0, 12, SETTINGS, 0, 0, 0, 0, 0, a[0], a[1], s[0], s[1], s[2], s[3], b[0], b[1], l[0], l[1], l[2], l[3]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout() {
        let h = head(0x01_02_03, HEADERS, END_STREAM | END_HEADERS, 0x8000_0005);
        assert_eq!(h, [1, 2, 3, 1, 5, 0x80, 0, 0, 5]);
        // The reserved bit is dropped on the way in.
        assert_eq!(Head::parse(&h), Some(Head { len: 0x01_02_03, kind: HEADERS, flags: 5, stream: 5 }));
        for n in 0..HEAD_LEN {
            assert_eq!(Head::parse(&h[..n]), None);
        }
        assert!(Head::parse(&h).unwrap().has(END_HEADERS));
    }

    #[test]
    fn control_frames() {
        assert_eq!(rst_stream(3, CANCEL), [0, 0, 4, 3, 0, 0, 0, 0, 3, 0, 0, 0, 8]);
        assert_eq!(window_update(0, 65_535), [0, 0, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
        assert_eq!(ping_ack(b"12345678")[..9], [0, 0, 8, 6, 1, 0, 0, 0, 0]);
        assert_eq!(&ping_ack(b"12345678")[9..], b"12345678");
        assert_eq!(goaway(7, PROTOCOL_ERROR), [0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 1]);
        let s = our_settings(128, 8192);
        assert_eq!(Head::parse(&s).unwrap().len, 12);
        assert_eq!(&s[9..], &[0, 3, 0, 0, 0, 128, 0, 6, 0, 0, 0x20, 0]);
        assert_eq!(u32_at(&s, 11), 128);
        assert_eq!(u32_at(&s, 19), 0);
    }
}
