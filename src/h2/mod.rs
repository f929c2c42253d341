//! HTTP/2 over cleartext TCP with prior knowledge (RFC 9113, HPACK RFC 7541): the protocol
//! only, as bytes in and bytes out, for the worker to drive on its own sockets.
//!
//! A connection travels through these modules, each importing only from those below it:
//!
//! 1. [`conn`]: the preface, the frame loop (CONTINUATION merged into its HEADERS in place),
//!    connection-level frames, stream ids, the caps.
//! 2. [`exchange`]: requests (HEADERS, DATA) to answers, flow control.
//! 3. [`respond`]: an [`Answer`](crate::router::Answer) as a HEADERS frame.
//! 4. [`request`]: a decoded header section to a verdict (malformed, a status, a route).
//! 5. [`stream`]: the few streams kept (receiving a body, or waiting for window).
//! 6. [`hpack`]: header compression, with [`fields`] (what a field name means, byte rules).
//! 7. [`frame`], [`fault`], [`cursor`]: frame layouts, the connection errors (their RFC
//!    sections named in the source), the bounded writer that takes a call's output.
//!
//! Size comes first here (the whole binary must stay under 64 KiB): one path per job, no
//! caches, tables derived at compile time from the RFCs' own rows, errors without debug text.
//!
//! The worker's contract (see [`Conn`]):
//! - All-zero bytes are a valid `Conn`: the worker's pool is zero-mapped memory, and each slot
//!   is `reset` for each new connection (cheap: a few hundred bytes of state, no buffer; a
//!   connection that only sees GETs touches little beyond the HPACK table's first bytes).
//! - `feed(input, out, cx)`: the bytes received (with any unconsumed bytes of the last call at
//!   the front; the call may rewrite the bytes it consumes, and a header block's frames while
//!   they arrive). Consumes whole frames, leaving a partial one; writes every frame it owes into
//!   `out`, which holds at least [`conn::MIN_OUT`] bytes (its last [`hpack::decoder::SCRATCH`]
//!   are working space, not output). `stopped` means the output is nearly full and more may be
//!   owed: send, then call again with the unconsumed input. All answers of one call go out in
//!   one `out` (one send); DATA a window update lets go is written by the `feed` that brings it.
//! - [`Conn::stop`] to stop: the next call writes the GOAWAY; `Next::Done` once the GOAWAY and
//!   the open streams' answers are written: close after sending them.
//! - [`Conn::is_blocked`] for the send timeout (the peer keeps its window closed on answers we
//!   owe), [`Conn::is_stopped`] once no GOAWAY is owed (the linger applies).
//!
//! Limits and caps ([`Limits::DEFAULT`] and the constants): request body 8 KiB (past it 413,
//! and RST_STREAM NO_ERROR when the request was not complete), decoded header list 8 KiB (past
//! it 431; the block is still decoded, at most 16 KiB, so the connection keeps its compression
//! state), `:path` 2 KiB (414), 128 concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS; past it
//! REFUSED_STREAM), 15 request bodies in progress at once (past it REFUSED_STREAM), a header
//! block over CONTINUATION frames past the header-list limit or 16 KiB of frames
//! (ENHANCE_YOUR_CALM), and per second: 100 streams reset by the client (rapid reset,
//! CVE-2023-44487), 100 SETTINGS, 100 PINGs, 100 empty DATA frames; past any of them GOAWAY
//! with ENHANCE_YOUR_CALM.

pub mod conn;
pub mod cursor;
pub mod exchange;
pub mod fault;
pub mod fields;
pub mod frame;
pub mod hpack;
pub mod request;
pub mod respond;
pub mod stream;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod client_tests;

pub use conn::Conn;

/// The largest decoded header list (RFC 9113 §6.5.2 units: names, values and 32 octets per
/// field); advertised as SETTINGS_MAX_HEADER_LIST_SIZE. Past it, 431.
pub const MAX_HEADER_LIST: u32 = 8192;
/// What the peer may do per second that costs us: reset streams (CVE-2023-44487), PINGs,
/// SETTINGS, DATA frames with no data and no END_STREAM.
pub const RESETS_PER_SEC: u32 = 100;
pub const PINGS_PER_SEC: u32 = 100;
pub const SETTINGS_PER_SEC: u32 = 100;
pub const EMPTY_FRAMES_PER_SEC: u32 = 100;

/// What a connection may take (the other limits are the constants above).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body (past it, 413).
    pub max_body: u64,
}

impl Limits {
    pub const DEFAULT: Limits = Limits { max_body: 8192 };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// What the worker tells a connection on each call.
pub struct Cx<'a> {
    /// The current IMF-fixdate, refreshed once a second.
    pub date: &'a [u8; 29],
    /// Coarse monotonic seconds, for the per-second caps.
    pub now: u32,
    /// The server is stopping: GOAWAY if not yet sent.
    pub stopping: bool,
    pub limits: &'a Limits,
}

/// What one `feed` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fed {
    /// Input bytes used; the rest (a partial frame) comes back at the front of the next call.
    pub consumed: usize,
    /// Bytes written at the start of `out`.
    pub written: usize,
    pub next: Next,
    /// `out` had no room for more: send it and call again with the unconsumed input.
    pub stopped: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    Open,
    /// Close the TCP connection once `written` bytes are sent.
    Done,
}
