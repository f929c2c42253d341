//! WebSocket (RFC 6455), server side. Safe code over byte slices: no system calls, no
//! allocation, no knowledge of the event loop.
//!
//! One concern per file, in the order a connection meets them: [`sha1`] and [`base64`] for the
//! opening handshake's [`handshake::accept`]; then [`frame`] (headers), [`mask`] (unmasking) and
//! [`utf8`] (text validation).

pub mod base64;
pub mod frame;
pub mod handshake;
pub mod mask;
pub mod sha1;
pub mod utf8;
