//! What HTTP/2 makes of a field line's bytes (RFC 9113 §8.2-§8.3): a tag for each field name
//! that matters to a request, and the byte rules for names and values.
//!
//! Contract: pure functions over byte slices. Stricter than §8.2.1's minimum, like the HTTP/1.1
//! parser: a name is lower-case token characters (RFC 9110 §5.6.2), or ':' and such characters
//! for a pseudo-header; a value is HTAB, SP, VCHAR or obs-text, and neither starts nor ends with
//! SP or HTAB. No NUL, CR, LF, other control byte or DEL anywhere.

/// The name breaks the rules above.
pub const INVALID: u8 = 0;
pub const AUTHORITY: u8 = 1;
pub const METHOD: u8 = 2;
pub const PATH: u8 = 3;
pub const SCHEME: u8 = 4;
/// Any other pseudo-header (`:status`, `:protocol`, unknown ones): never valid in a request.
pub const PSEUDO_OTHER: u8 = 5;
/// A connection-specific field, refused in HTTP/2 (§8.2.2).
pub const CONNECTION: u8 = 6;
/// `te`: allowed only as `trailers` (§8.2.2).
pub const TE: u8 = 7;
pub const CONTENT_LENGTH: u8 = 8;
/// Any other valid name.
pub const OTHER: u8 = 9;

/// True for the tags of pseudo-headers.
#[inline]
pub const fn is_pseudo(tag: u8) -> bool {
    tag >= AUTHORITY && tag <= PSEUDO_OTHER
}

/// A byte allowed in a field name: a token character that is not an upper-case letter.
#[inline]
fn is_name_byte(b: u8) -> bool {
    crate::http1::scan::is_tchar(b) && !b.is_ascii_uppercase()
}

/// The names with a tag of their own, as `tag, length, name` (all other valid names are
/// [`OTHER`] or [`PSEUDO_OTHER`]).
static NAMED: &[u8] = b"\x08\x0econtent-length\x01\x0a:authority\x02\x07:method\x03\x05:path\x04\x07:scheme\
    \x06\x0aconnection\x06\x0akeep-alive\x06\x10proxy-connection\x06\x11transfer-encoding\x06\x07upgrade\x07\x02te";

/// The tag of a field name.
pub fn classify(name: &[u8]) -> u8 {
    let (pseudo, rest) = match name.split_first() {
        Some((b':', rest)) => (true, rest),
        _ => (false, name),
    };
    if rest.is_empty() || !rest.iter().all(|&b| is_name_byte(b)) {
        return INVALID;
    }
    find(NAMED, name).unwrap_or(if pseudo { PSEUDO_OTHER } else { OTHER })
}

/// The tag of `key` in `table` (entries `tag, length, name`), if it is there.
#[inline(never)]
pub fn find(table: &[u8], key: &[u8]) -> Option<u8> {
    let mut at = 0;
    while let (Some(&tag), Some(&len)) = (table.get(at), table.get(at + 1)) {
        let end = at + 2 + usize::from(len);
        if table.get(at + 2..end) == Some(key) {
            return Some(tag);
        }
        at = end;
    }
    None
}

/// Whether a field value follows the rules.
pub fn value_ok(v: &[u8]) -> bool {
    let space = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t'));
    v.iter().all(|&b| crate::http1::scan::is_value_byte(b)) && !space(v.first()) && !space(v.last())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_bytes() {
        for b in 0..=255u8 {
            let want = b"!#$%&'*+-.^_`|~".contains(&b) || b.is_ascii_digit() || b.is_ascii_lowercase();
            assert_eq!(is_name_byte(b), want, "{b:#04x}");
        }
    }

    #[test]
    fn tags() {
        let table: &[(&[u8], u8)] = &[
            (b":authority", AUTHORITY),
            (b":method", METHOD),
            (b":path", PATH),
            (b":scheme", SCHEME),
            (b":status", PSEUDO_OTHER),
            (b":protocol", PSEUDO_OTHER),
            (b":x", PSEUDO_OTHER),
            (b":", INVALID),
            (b"::path", INVALID),
            (b":Path", INVALID),
            (b"", INVALID),
            (b"connection", CONNECTION),
            (b"keep-alive", CONNECTION),
            (b"proxy-connection", CONNECTION),
            (b"transfer-encoding", CONNECTION),
            (b"upgrade", CONNECTION),
            (b"te", TE),
            (b"content-length", CONTENT_LENGTH),
            (b"user-agent", OTHER),
            (b"x-a~b!c", OTHER),
            (b"User-Agent", INVALID),
            (b"a b", INVALID),
            (b"a:b", INVALID),
            (b"a\"b", INVALID),
            (b"a\x00", INVALID),
            (b"caf\xc3\xa9", INVALID),
        ];
        for (name, tag) in table {
            assert_eq!(classify(name), *tag, "{:?}", String::from_utf8_lossy(name));
            assert_eq!(is_pseudo(*tag), matches!(*tag, AUTHORITY..=PSEUDO_OTHER));
        }
    }

    #[test]
    fn values() {
        let good: &[&[u8]] = &[b"", b"a", b"a b", b"a\tb", b"\x80\xff", b"x=1; y=2"];
        let bad: &[&[u8]] = &[b" a", b"a ", b"\ta", b"a\t", b"a\rb", b"a\nb", b"a\x00b", b"a\x7fb", b"\x01", b" "];
        for v in good {
            assert!(value_ok(v), "{v:?}");
        }
        for v in bad {
            assert!(!value_ok(v), "{v:?}");
        }
    }

}
