//! WebSocket (RFC 6455), server side: every text and binary message comes back to its sender.
//! Safe code over byte slices: no system calls, no allocation, no knowledge of the event loop.
//!
//! One concern per file, in the order a connection meets them: [`sha1`] and [`base64`] for the
//! opening handshake's [`handshake::accept`]; then [`frame`] (headers), [`mask`] (unmasking),
//! [`utf8`] (text validation) and [`echo`], the connection's state machine, whose interface is
//! re-exported here. The tests beside each file check it against references; `interop` runs the
//! echo over TCP against an independent client (tungstenite).
//!
//! For the worker:
//! - The HTTP/1.1 side checks the upgrade request and answers 101 with the value of
//!   [`handshake::accept`]; bytes after the request's head are already WebSocket input.
//! - The connection's slot keeps a [`Conn`] (32 bytes, `Copy`, all-zero is fresh) and the
//!   unconsumed input.
//! - On every read: [`feed`] the kept bytes plus the new ones; send `written` bytes of `out`;
//!   keep `input[consumed..]`; while `stopped`, send and call again. [`Next::Closing`] arms the
//!   close timer (the peer's close is awaited, input still fed); [`Next::Done`] closes TCP once
//!   the written bytes are sent.
//! - Idle timeout and server stop: [`close`] with [`GOING_AWAY`], then as for `Closing`.

pub mod base64;
pub mod echo;
pub mod frame;
pub mod handshake;
pub mod mask;
pub mod sha1;
pub mod utf8;

pub use echo::{
    close, feed, valid_close_code, Conn, Fed, Limits, Next, ECHO_CHUNK, GOING_AWAY, INVALID_PAYLOAD,
    MESSAGE_TOO_BIG, MIN_OUT, PROTOCOL_ERROR,
};

#[cfg(test)]
mod interop;
