//! Connection errors (RFC 9113 §5.4.1): each names the rule it enforces (with its section, here
//! only: the GOAWAY carries no debug data), and carries the error code of the GOAWAY that ends
//! the connection.

use super::frame;

/// Each variant's value holds its GOAWAY error code in its low four bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
#[allow(clippy::identity_op)]
pub enum Fault {
    /// §3.4: the client preface is not `PRI * HTTP/2.0...` (an HTTP/1.1 request, say).
    Preface = (frame::PROTOCOL_ERROR | 0 << 4) as u8,
    /// §3.4: the preface is not followed by a SETTINGS frame.
    FirstNotSettings = (frame::PROTOCOL_ERROR | 1 << 4) as u8,
    /// §4.2: a frame longer than our SETTINGS_MAX_FRAME_SIZE.
    FrameTooLarge = (frame::FRAME_SIZE_ERROR | 0 << 4) as u8,
    /// §4.3: a header block that cannot be decoded.
    Compression = (frame::COMPRESSION_ERROR | 0 << 4) as u8,
    /// §5.1: a frame other than HEADERS or PRIORITY on an idle stream.
    Idle = (frame::PROTOCOL_ERROR | 2 << 4) as u8,
    /// §5.1: a frame on a stream that was closed by END_STREAM.
    Closed = (frame::STREAM_CLOSED | 0 << 4) as u8,
    /// §5.1.1: a client stream with an even identifier.
    EvenStream = (frame::PROTOCOL_ERROR | 3 << 4) as u8,
    /// §5.1.1: a new stream whose identifier is not above every earlier one.
    StreamOrder = (frame::PROTOCOL_ERROR | 4 << 4) as u8,
    /// §6.1, §6.2: padding as long as the frame, or longer.
    Padding = (frame::PROTOCOL_ERROR | 5 << 4) as u8,
    /// §6.1-§6.4, §6.10: a frame that needs a stream sent on stream 0.
    NeedsStream = (frame::PROTOCOL_ERROR | 6 << 4) as u8,
    /// §6.5, §6.7, §6.8, §6.9: a connection frame sent on a stream.
    NeedsConnection = (frame::PROTOCOL_ERROR | 7 << 4) as u8,
    /// §6.4, §6.5, §6.7, §6.8, §6.9: a control frame of the wrong length.
    Length = (frame::FRAME_SIZE_ERROR | 1 << 4) as u8,
    /// §6.5.2: SETTINGS_ENABLE_PUSH other than 0 or 1, or SETTINGS_MAX_FRAME_SIZE out of range.
    SettingValue = (frame::PROTOCOL_ERROR | 8 << 4) as u8,
    /// §6.5.2, §6.9.2: SETTINGS_INITIAL_WINDOW_SIZE past 2^31-1, or a change that overflows
    /// a stream's window.
    InitialWindow = (frame::FLOW_CONTROL_ERROR | 0 << 4) as u8,
    /// §6.9: a WINDOW_UPDATE of 0 for the connection.
    ZeroIncrement = (frame::PROTOCOL_ERROR | 9 << 4) as u8,
    /// §6.9.1: a WINDOW_UPDATE that takes the connection's window past 2^31-1.
    WindowOverflow = (frame::FLOW_CONTROL_ERROR | 1 << 4) as u8,
    /// §6.9.1: DATA past the window we gave.
    FlowControl = (frame::FLOW_CONTROL_ERROR | 2 << 4) as u8,
    /// §6.10: a header block interrupted by another frame.
    Interrupted = (frame::PROTOCOL_ERROR | 10 << 4) as u8,
    /// §6.10: CONTINUATION that continues nothing.
    Continuation = (frame::PROTOCOL_ERROR | 11 << 4) as u8,
    /// §8.4: a client never sends PUSH_PROMISE.
    PushPromise = (frame::PROTOCOL_ERROR | 12 << 4) as u8,
    /// §10.5.1: a header block spread over CONTINUATION frames past what we hold.
    HeaderFlood = (frame::ENHANCE_YOUR_CALM | 0 << 4) as u8,
    /// §10.5: more streams reset by the client per second than the cap (CVE-2023-44487).
    RapidReset = (frame::ENHANCE_YOUR_CALM | 1 << 4) as u8,
    /// §10.5: more SETTINGS frames per second than the cap.
    SettingsFlood = (frame::ENHANCE_YOUR_CALM | 2 << 4) as u8,
    /// §10.5: more PING frames per second than the cap.
    PingFlood = (frame::ENHANCE_YOUR_CALM | 3 << 4) as u8,
    /// §10.5: more empty DATA frames per second than the cap.
    EmptyFlood = (frame::ENHANCE_YOUR_CALM | 4 << 4) as u8,
    /// Our own output outgrew its bound (a bug, never expected).
    Internal = (frame::INTERNAL_ERROR | 0 << 4) as u8,
}

impl Fault {
    /// The error code of the GOAWAY (§7).
    pub const fn code(self) -> u32 {
        (self as u8 & 0xf) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(Fault::Preface.code(), frame::PROTOCOL_ERROR);
        assert_eq!(Fault::PushPromise.code(), frame::PROTOCOL_ERROR);
        assert_eq!(Fault::Length.code(), frame::FRAME_SIZE_ERROR);
        assert_eq!(Fault::FlowControl.code(), frame::FLOW_CONTROL_ERROR);
        assert_eq!(Fault::Closed.code(), frame::STREAM_CLOSED);
        assert_eq!(Fault::Compression.code(), frame::COMPRESSION_ERROR);
        assert_eq!(Fault::EmptyFlood.code(), frame::ENHANCE_YOUR_CALM);
        assert_eq!(Fault::Internal.code(), frame::INTERNAL_ERROR);
    }
}
