//! mote: a freestanding HTTP engine for Linux x86_64.
//!
//! A request travels through these stages:
//!
//! 1. [`start`]: reads the command line and environment, raises the fd limit, ignores SIGPIPE,
//!    claims the port, opens one SO_REUSEPORT listener per worker and spawns the workers.
//! 2. [`thread`]: one raw `clone` per worker, on its own mapped stack with a guard page, pinned to
//!    its CPU.
//! 3. [`worker`]: the per-core event loop: epoll_wait, accept, read, hand the bytes to the
//!    connection's protocol, one send per read, gentle closes, timers, the stop.
//! 4. [`arena`]: the worker's fixed set of connection slots and their buffers, cut from one
//!    mapping; tokens with a generation so a stale event never reaches a reused slot; the
//!    protocol a slot speaks, as an enum.
//! 5. [`http1`]: HTTP/1.1 from bytes to answers: the head as it arrives (request line, target,
//!    Host, fields), the body as it streams (Content-Length, chunked), `Expect`, the WebSocket
//!    upgrade, over byte-class scanners (SSE4.2 and scalar).
//! 6. [`router`]: one table of endpoints for every protocol (`/baseline11`, `/pipeline`, `/`,
//!    else 404).
//! 7. [`response`]: HTTP/1.1 answers, from heads rendered once a second, with the [`date`] and
//!    numbers from [`num`].
//!
//! Each module imports only from modules further down this list (and [`sys`], the system-call
//! layer under all of them), so the dependencies run one way. Protocol code makes no system
//! call and knows no event loop: the worker owns the sockets.
//!
//! Beside them, [`ws`] is the WebSocket protocol (RFC 6455) a connection switches to after an
//! upgrade: the handshake's accept value, frames, unmasking, UTF-8 and the echo, as safe code
//! over byte slices (the worker does not use it yet).
//!
//! The library is `no_std` except under `cfg(test)`, where unit tests run with std. Unsafe code
//! lives only in [`sys`], [`thread`], [`alloc`], [`arena`] and [`http1::scan::sse42`]; each of
//! those modules opts in on its first line.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![warn(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]

extern crate alloc as rust_alloc;

pub mod start;
pub mod thread;
pub mod worker;
pub mod arena;
pub mod http1;
pub mod h2;
pub mod router;
pub mod ws;
pub mod response;
pub mod date;
pub mod num;
pub mod sys;
pub mod alloc;
#[cfg(test)]
mod test_rng;

/// The version printed in the start-up line.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
