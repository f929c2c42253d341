//! Connection errors (RFC 9113 §5.4.1): each names the rule it enforces (with its section, here
//! only: the GOAWAY carries no debug data), and carries the error code of the GOAWAY that ends
//! the connection.

use super::frame;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// §3.4: the client preface is not `PRI * HTTP/2.0...` (an HTTP/1.1 request, say).
    Preface,
    /// §3.4: the preface is not followed by a SETTINGS frame.
    FirstNotSettings,
    /// §4.2: a frame longer than our SETTINGS_MAX_FRAME_SIZE.
    FrameTooLarge,
    /// §4.3: a header block that cannot be decoded.
    Compression,
    /// §5.1: a frame other than HEADERS or PRIORITY on an idle stream.
    Idle,
    /// §5.1: a frame on a stream that was closed by END_STREAM.
    Closed,
    /// §5.1.1: a client stream with an even identifier.
    EvenStream,
    /// §5.1.1: a new stream whose identifier is not above every earlier one.
    StreamOrder,
    /// §6.1, §6.2: padding as long as the frame, or longer.
    Padding,
    /// §6.1-§6.4, §6.10: a frame that needs a stream sent on stream 0.
    NeedsStream,
    /// §6.5, §6.7, §6.8, §6.9: a connection frame sent on a stream.
    NeedsConnection,
    /// §6.4, §6.5, §6.7, §6.8, §6.9: a control frame of the wrong length.
    Length,
    /// §6.5.2: SETTINGS_ENABLE_PUSH other than 0 or 1, or SETTINGS_MAX_FRAME_SIZE out of range.
    SettingValue,
    /// §6.5.2, §6.9.2: SETTINGS_INITIAL_WINDOW_SIZE past 2^31-1, or a change that overflows
    /// a stream's window.
    InitialWindow,
    /// §6.9: a WINDOW_UPDATE of 0 for the connection.
    ZeroIncrement,
    /// §6.9.1: a WINDOW_UPDATE that takes the connection's window past 2^31-1.
    WindowOverflow,
    /// §6.9.1: DATA past the window we gave.
    FlowControl,
    /// §6.10: a header block interrupted by another frame.
    Interrupted,
    /// §6.10: CONTINUATION that continues nothing.
    Continuation,
    /// §8.4: a client never sends PUSH_PROMISE.
    PushPromise,
    /// §10.5.1: a header block spread over CONTINUATION frames past what we hold.
    HeaderFlood,
    /// §10.5: more streams reset by the client per second than the cap (CVE-2023-44487).
    RapidReset,
    /// §10.5: more SETTINGS frames per second than the cap.
    SettingsFlood,
    /// §10.5: more PING frames per second than the cap.
    PingFlood,
    /// §10.5: more empty DATA frames per second than the cap.
    EmptyFlood,
    /// Our own output outgrew its bound (a bug, never expected).
    Internal,
}

impl Fault {
    /// The error code of the GOAWAY (§7).
    pub const fn code(self) -> u32 {
        match self {
            Fault::FrameTooLarge | Fault::Length => frame::FRAME_SIZE_ERROR,
            Fault::Compression => frame::COMPRESSION_ERROR,
            Fault::Closed => frame::STREAM_CLOSED,
            Fault::InitialWindow | Fault::WindowOverflow | Fault::FlowControl => frame::FLOW_CONTROL_ERROR,
            Fault::HeaderFlood | Fault::RapidReset | Fault::SettingsFlood | Fault::PingFlood | Fault::EmptyFlood => {
                frame::ENHANCE_YOUR_CALM
            }
            Fault::Internal => frame::INTERNAL_ERROR,
            _ => frame::PROTOCOL_ERROR,
        }
    }
}
