//! WebSocket (RFC 6455), server side. Safe code over byte slices: no system calls, no
//! allocation, no knowledge of the event loop.
//!
//! One concern per file: [`sha1`] and [`base64`] for the opening handshake's
//! [`handshake::accept`].

pub mod base64;
pub mod handshake;
pub mod sha1;
