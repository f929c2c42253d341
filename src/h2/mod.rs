//! HTTP/2 over cleartext TCP with prior knowledge (RFC 9113, HPACK RFC 7541): the protocol
//! only, as bytes in and bytes out, for the worker to drive on its own sockets.
//!
//! So far: [`hpack`] (header compression), [`fields`] (what a field name means, byte rules),
//! [`frame`] (frame layouts) and [`cursor`] (a bounded writer).

pub mod cursor;
pub mod fields;
pub mod frame;
pub mod hpack;
