//! What HTTP/2 makes of a field line's bytes (RFC 9113 §8.2-§8.3): a tag for each field name
//! that matters to a request, and the byte rules for names and values.
//!
//! Contract: pure functions over byte slices, usable in constant evaluation (the HPACK static
//! table computes its tags with them at compile time, the dynamic table once per entry, so an
//! indexed field costs no byte scan). Stricter than §8.2.1's minimum, like the HTTP/1.1 parser:
//! a name is lower-case token characters (RFC 9110 §5.6.2), or ':' and such characters for a
//! pseudo-header; a value is HTAB, SP, VCHAR or obs-text, and neither starts nor ends with SP
//! or HTAB. No NUL, CR, LF, other control byte or DEL anywhere.

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
const fn name_byte(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_'
        | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z')
}

/// [`name_byte`] at run time, from the scanner's class table.
#[inline]
fn is_name_byte(b: u8) -> bool {
    crate::http1::scan::is_tchar(b) && !b.is_ascii_uppercase()
}

const fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The names with a tag of their own (all others valid are [`OTHER`] or [`PSEUDO_OTHER`]).
static NAMED: [(&[u8], u8); 11] = [
    (b"content-length", CONTENT_LENGTH),
    (b":authority", AUTHORITY),
    (b":method", METHOD),
    (b":path", PATH),
    (b":scheme", SCHEME),
    (b"connection", CONNECTION),
    (b"keep-alive", CONNECTION),
    (b"proxy-connection", CONNECTION),
    (b"transfer-encoding", CONNECTION),
    (b"upgrade", CONNECTION),
    (b"te", TE),
];

/// The tag of a field name.
#[inline(never)]
pub fn classify(name: &[u8]) -> u8 {
    let (pseudo, rest) = match name.split_first() {
        Some((b':', rest)) => (true, rest),
        _ => (false, name),
    };
    if rest.is_empty() || rest.iter().any(|&b| !is_name_byte(b)) {
        return INVALID;
    }
    // Opaque to the optimiser, which would otherwise unroll the loop into a compare per byte.
    let named: &[(&[u8], u8)] = core::hint::black_box(&NAMED[..]);
    for &(known, tag) in named {
        if name == known {
            return tag;
        }
    }
    if pseudo { PSEUDO_OTHER } else { OTHER }
}

/// [`classify`] for constant evaluation (the static table's tags are computed at compile time).
pub const fn classify_const(name: &[u8]) -> u8 {
    let (pseudo, start) = match name {
        [b':', ..] => (true, 1),
        _ => (false, 0),
    };
    if name.len() <= start {
        return INVALID;
    }
    let mut i = start;
    while i < name.len() {
        if !name_byte(name[i]) {
            return INVALID;
        }
        i += 1;
    }
    if pseudo {
        if eq(name, b":authority") {
            AUTHORITY
        } else if eq(name, b":method") {
            METHOD
        } else if eq(name, b":path") {
            PATH
        } else if eq(name, b":scheme") {
            SCHEME
        } else {
            PSEUDO_OTHER
        }
    } else if eq(name, b"connection") || eq(name, b"keep-alive") || eq(name, b"proxy-connection")
        || eq(name, b"transfer-encoding") || eq(name, b"upgrade")
    {
        CONNECTION
    } else if eq(name, b"te") {
        TE
    } else if eq(name, b"content-length") {
        CONTENT_LENGTH
    } else {
        OTHER
    }
}

/// Checks a field value that arrives in pieces (a Huffman-coded one decoded in chunks).
#[derive(Clone, Copy)]
pub struct ValueCheck {
    ok: bool,
    started: bool,
    last_space: bool,
}

impl Default for ValueCheck {
    fn default() -> Self {
        Self::new()
    }
}

impl ValueCheck {
    pub const fn new() -> Self {
        ValueCheck { ok: true, started: false, last_space: false }
    }

    #[inline]
    pub fn feed(&mut self, piece: &[u8]) {
        for &b in piece {
            let space = b == b' ' || b == b'\t';
            if !crate::http1::scan::is_value_byte(b) || (space && !self.started) {
                self.ok = false;
            }
            self.started = true;
            self.last_space = space;
        }
    }

    pub fn finish(&self) -> bool {
        self.ok && !self.last_space
    }
}

/// Whether a whole field value follows the rules.
#[inline(never)]
pub fn value_ok(v: &[u8]) -> bool {
    let mut c = ValueCheck::new();
    c.feed(v);
    c.finish()
}

/// Checks a field name that arrives in pieces; the tag of a long name (past any name we know).
#[derive(Clone, Copy)]
pub struct NameCheck {
    ok: bool,
    len: usize,
    pseudo: bool,
}

impl Default for NameCheck {
    fn default() -> Self {
        Self::new()
    }
}

impl NameCheck {
    pub const fn new() -> Self {
        NameCheck { ok: true, len: 0, pseudo: false }
    }

    pub fn feed(&mut self, piece: &[u8]) {
        for &b in piece {
            if self.len == 0 && b == b':' {
                self.pseudo = true;
            } else if !is_name_byte(b) {
                self.ok = false;
            }
            self.len += 1;
        }
    }

    /// The tag of a name too long to be one of the names with a tag of their own.
    pub fn tag(&self) -> u8 {
        match (self.ok && self.len > usize::from(self.pseudo), self.pseudo) {
            (false, _) => INVALID,
            (true, true) => PSEUDO_OTHER,
            (true, false) => OTHER,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_bytes_agree() {
        for b in 0..=255u8 {
            assert_eq!(is_name_byte(b), name_byte(b), "{b:#04x}");
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
            assert_eq!(classify_const(name), *tag, "{:?}", String::from_utf8_lossy(name));
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
        // In pieces, across every split.
        for v in good.iter().chain(bad) {
            for at in 0..=v.len() {
                let mut c = ValueCheck::new();
                c.feed(&v[..at]);
                c.feed(&v[at..]);
                assert_eq!(c.finish(), value_ok(v), "{v:?} at {at}");
            }
        }
    }

    #[test]
    fn long_names() {
        let mut n = NameCheck::new();
        n.feed(b"x-very-long");
        n.feed(b"-name");
        assert_eq!(n.tag(), OTHER);
        let mut n = NameCheck::new();
        n.feed(b":weird");
        assert_eq!(n.tag(), PSEUDO_OTHER);
        let mut n = NameCheck::new();
        n.feed(b"Upper");
        assert_eq!(n.tag(), INVALID);
        let mut n = NameCheck::new();
        n.feed(b":");
        assert_eq!(n.tag(), INVALID);
    }
}
