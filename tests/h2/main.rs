//! HTTP/2 cleartext with prior knowledge (RFC 9113) against the real binary on its h2c port:
//! the `h2` crate as the well-behaved client (many streams, many connections, bodies, windows)
//! and a raw client of our own ([`raw`], HPACK by the independent `hpack` crate) for the peers
//! that break the rules, flood, or hold their windows shut: every defence, every connection and
//! stream error with its code, and the stop at SIGTERM.
//!
//! - [`client`]: the `h2` crate: answers, concurrency, connections, bodies.
//! - [`frames`]: the raw client's well-formed edges: HEAD, 404, PRIORITY, unknown frames, PING,
//!   padding, the preface a byte at a time, bodies over DATA frames, HTTP/1.1 on this port.
//! - [`flow`]: flow control both ways.
//! - [`errors`]: connection and stream errors.
//! - [`defences`]: floods, the HPACK bomb, the peer that never opens its window, the stream caps.
//! - [`stop`]: SIGTERM with streams open.

#[path = "../common/mod.rs"]
mod common;

mod client;
mod defences;
mod errors;
mod flow;
mod frames;
mod raw;
mod stop;

use common::Server;
use std::net::TcpListener;
use std::process::Command;

/// A server with its HTTP/2 port: two workers, `args` added, the HTTP/1.1 port the kernel's
/// choice. `--h2c-port 0` turns HTTP/2 off, so the h2c port is one the kernel just gave us and
/// took back; should another socket take it first, the server cannot start, and we try again.
pub struct H2 {
    pub server: Server,
    pub port: u16,
}

pub fn start(args: &[&str]) -> H2 {
    let mut last = String::new();
    for _ in 0..5 {
        let port = TcpListener::bind("0.0.0.0:0").unwrap().local_addr().unwrap().port();
        let mut cmd = Command::new(common::binary());
        cmd.args(["--port", "0", "--threads", "2"]).args(args).env("H2C_PORT", port.to_string());
        match Server::try_spawn(cmd) {
            Ok(server) => {
                assert_eq!(server.h2c_port(), port, "the start-up line names another h2c port");
                return H2 { server, port };
            }
            Err(e) => last = e.to_string(),
        }
    }
    panic!("cannot start the server with an h2c port: {last}");
}
