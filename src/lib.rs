//! mote: a freestanding HTTP/1.1 engine for Linux x86_64.
//!
//! A request travels through these stages:
//!
//! 1. [`start`]: reads the command line and environment, raises the fd limit, ignores SIGPIPE,
//!    opens one SO_REUSEPORT listener per worker and spawns the workers.
//! 2. [`thread`]: one raw `clone` per worker, on its own mapped stack with a guard page, pinned to
//!    its CPU.
//! 3. [`worker`]: the per-core event loop: epoll_wait, accept, read, answer, one send per read,
//!    timers.
//! 4. [`arena`]: the worker's fixed set of connection slots and their buffers, cut from one
//!    mapping; tokens with a generation so a stale event never reaches a reused slot.
//! 5. [`handler`]: answers every complete request in the bytes read, in order, routing each to
//!    its endpoint (`/baseline11`, `/pipeline`, `/`, else 404).
//! 6. [`parse`] (with [`scan`] and [`chunked`]): the request line, headers and body framing.
//! 7. [`response`]: status line and headers written into the worker's output buffer, with the
//!    [`date`] cached once a second and numbers from [`num`].
//!
//! Each module imports only from modules further down this list (and [`sys`], the system-call
//! layer under all of them), so the dependencies run one way.
//!
//! The library is `no_std` except under `cfg(test)`, where unit tests run with std. Unsafe code
//! lives only in [`sys`], [`thread`], [`alloc`], [`arena`] and [`scan::sse42`]; each of those
//! modules opts in on its first line.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![warn(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]

extern crate alloc as rust_alloc;

pub mod start;
pub mod thread;
pub mod worker;
pub mod arena;
pub mod handler;
pub mod h2;
pub mod parse;
pub mod scan;
pub mod chunked;
pub mod router;
pub mod response;
pub mod date;
pub mod num;
pub mod sys;
pub mod alloc;
#[cfg(test)]
mod test_rng;

/// The version printed in the start-up line.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
