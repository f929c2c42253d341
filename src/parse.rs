//! The request head: request line and header fields (RFC 9112 §2-§5), and body framing (§6).
//!
//! Stateless: the caller passes everything received so far for one request and parses again
//! when more arrives. `Partial` means every byte so far is a valid prefix of a request; an error
//! is reported as soon as the bytes received prove the request malformed.

use crate::scan::Scanner;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Options,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Http10,
    Http11,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    None,
    /// Content-Length: this many bytes follow the head.
    Length(u64),
    /// Transfer-Encoding: chunked.
    Chunked,
}

/// Why a request is refused; each maps to one status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    BadRequest,
    UriTooLong,
    HeaderFieldsTooLarge,
    PayloadTooLarge,
    NotImplemented,
    VersionNotSupported,
}

impl Error {
    pub fn code(self) -> u16 {
        match self {
            Error::BadRequest => 400,
            Error::PayloadTooLarge => 413,
            Error::UriTooLong => 414,
            Error::HeaderFieldsTooLarge => 431,
            Error::NotImplemented => 501,
            Error::VersionNotSupported => 505,
        }
    }
}

/// Limits the parser enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most bytes a head (request line + fields + final CRLF) may take: 431 past it.
    pub max_head: usize,
    /// The most bytes a request target may take: 414 past it.
    pub max_target: usize,
    /// The most body bytes (Content-Length, or decoded chunk data): 413 past it.
    pub max_body: u64,
}

/// A parsed request head. Slices borrow from the buffer passed to [`parse_head`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    pub method: Method,
    /// The request target as sent.
    pub target: &'a [u8],
    /// The path: the target up to '?' (for absolute-form, the path part; "*" for `OPTIONS *`).
    pub path: &'a [u8],
    /// The query after '?', without it; empty when there is none.
    pub query: &'a [u8],
    pub version: Version,
    pub framing: Framing,
    /// Whether the connection stays open after this request (version and Connection header).
    pub keep_alive: bool,
    /// Bytes from the start of the buffer to the first byte after the head's final CRLF.
    pub head_len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head<'a> {
    Complete(Request<'a>),
    Partial,
    Error(Error),
}

/// Parses the head at the start of `buf`.
pub fn parse_head<'a>(buf: &'a [u8], scan: Scanner, limits: &Limits) -> Head<'a> {
    todo!()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// The body takes this many bytes from the start of the buffer passed in.
    Complete(usize),
    Partial,
    Error(Error),
}

/// Frames the body at the start of `buf` (the bytes after the head), passing its data to `sink`.
/// As with [`crate::chunked::decode`], on `Partial` the sink may have seen a prefix.
pub fn parse_body(buf: &[u8], framing: Framing, limits: &Limits, sink: &mut dyn FnMut(&[u8])) -> Body {
    todo!()
}
