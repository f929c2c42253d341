//! The server's part of the opening handshake (RFC 6455 §4.2.2): from the client's
//! Sec-WebSocket-Key value, the Sec-WebSocket-Accept value to answer with.
//!
//! Contract: [`accept`] returns `None` unless the key is the canonical base64 of 16 bytes
//! ([`base64::is_key`]; §4.2.1 item 5 asks the server to check it), and otherwise
//! base64(SHA-1(key ++ GUID)), 28 bytes. The HTTP/1.1 side checks the rest of the upgrade
//! request (GET, `Upgrade: websocket`, `Connection: Upgrade`, `Sec-WebSocket-Version: 13`) and
//! writes the 101 answer; nothing here allocates or panics.

use super::{base64, sha1};

/// The GUID appended to the key (§1.3).
pub const GUID: &[u8; 36] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The Sec-WebSocket-Accept value for a Sec-WebSocket-Key value, or `None` for an invalid key.
pub fn accept(key: &[u8]) -> Option<[u8; 28]> {
    if !base64::is_key(key) {
        return None;
    }
    let key: &[u8; 24] = key.try_into().ok()?;
    let mut msg = [0u8; 24 + 36];
    let (k, g) = msg.split_at_mut(24);
    k.copy_from_slice(key);
    g.copy_from_slice(GUID);
    let mut out = [0u8; 28];
    base64::encode(&sha1::digest(&msg), &mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6455_example() {
        assert_eq!(&accept(b"dGhlIHNhbXBsZSBub25jZQ==").unwrap(), b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[test]
    fn invalid_keys_get_nothing() {
        for key in [&b""[..], b"dGhlIHNhbXBsZSBub25jZQ", b"dGhlIHNhbXBsZSBub25jZR==", b"not a key at all, really"] {
            assert_eq!(accept(key), None);
        }
    }

    #[test]
    fn matches_reference() {
        use ::base64::Engine;
        use ::sha1::Digest;
        let mut seed = 0x4b45_5953;
        for _ in 0..500 {
            let raw: Vec<u8> = (0..16).map(|_| crate::test_rng::xorshift(&mut seed) as u8).collect();
            let key = ::base64::engine::general_purpose::STANDARD.encode(&raw);
            let mut h = ::sha1::Sha1::new();
            h.update(key.as_bytes());
            h.update(GUID);
            let want = ::base64::engine::general_purpose::STANDARD.encode(h.finalize());
            assert_eq!(&accept(key.as_bytes()).unwrap()[..], want.as_bytes());
        }
    }
}
