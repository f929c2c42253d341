//! The request body as it streams in (RFC 9112 §6): a Content-Length count or the chunked
//! coding ([`super::chunked`]). Nothing of a body is kept: its data goes to a sink as it arrives,
//! so the body's limit meets only decoded bytes, never the size of a buffer.

use super::chunked::{self, Chunked, Refusal};
use super::head::{Error, Framing, Limits};

/// A body being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoder {
    /// This many bytes are still owed.
    Length(u64),
    Chunked(chunked::Decoder),
}

impl Decoder {
    /// The decoder for a framing; `None` when there is no body.
    pub fn new(framing: Framing) -> Option<Decoder> {
        match framing {
            Framing::None => None,
            Framing::Length(n) => Some(Decoder::Length(n)),
            Framing::Chunked => Some(Decoder::Chunked(chunked::Decoder::new())),
        }
    }

    /// Reads `buf`, the bytes after those of earlier calls, passing the body's data to `sink`.
    /// `Ok(Some(n))`: the body ended after the first `n` bytes of `buf`; `Ok(None)`: all of
    /// `buf` was body, more is owed.
    #[inline]
    pub fn feed(&mut self, buf: &[u8], max_body: u64, sink: &mut dyn FnMut(&[u8])) -> Result<Option<usize>, Error> {
        match self {
            Decoder::Length(left) => {
                let n = usize::try_from(*left).unwrap_or(usize::MAX).min(buf.len());
                if let Some(data) = buf.get(..n) {
                    sink(data);
                }
                *left -= n as u64;
                Ok((*left == 0).then_some(n))
            }
            Decoder::Chunked(d) => d.feed(buf, max_body, sink).map_err(|r| match r {
                Refusal::Malformed => Error::BadRequest,
                Refusal::TooLarge => Error::PayloadTooLarge,
            }),
        }
    }
}

/// What framing a whole buffer found (the one-call form, [`parse_body`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// The body takes this many bytes from the start of the buffer passed in.
    Complete(usize),
    Partial,
    Error(Error),
}

/// Frames the body at the start of `buf` (the bytes after the head) in one call, passing its
/// data to `sink`; on `Partial` the sink has seen the data so far.
pub fn parse_body(buf: &[u8], framing: Framing, limits: &Limits, sink: &mut dyn FnMut(&[u8])) -> Body {
    if let Framing::Length(n) = framing
        && n > limits.max_body
    {
        return Body::Error(Error::PayloadTooLarge);
    }
    if let Framing::Chunked = framing {
        return match chunked::decode(buf, limits.max_body, sink) {
            Chunked::Complete(n) => Body::Complete(n),
            Chunked::Partial => Body::Partial,
            Chunked::Malformed => Body::Error(Error::BadRequest),
            Chunked::TooLarge => Body::Error(Error::PayloadTooLarge),
        };
    }
    match Decoder::new(framing) {
        None => Body::Complete(0),
        Some(mut d) => match d.feed(buf, limits.max_body, sink) {
            Ok(Some(n)) => Body::Complete(n),
            Ok(None) if framing == Framing::Length(0) => Body::Complete(0),
            Ok(None) => Body::Partial,
            Err(e) => Body::Error(e),
        },
    }
}
