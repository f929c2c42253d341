//! `uri-host [ ":" port ]` (RFC 9110 §7.2, RFC 3986 §3.2.2), the grammar of a Host field value
//! and of an absolute-form target's authority, checked as its bytes arrive.
//!
//! Contract: [`Host::feed`] looks at the bytes of a host from where the last call stopped and
//! returns the index of the first byte that cannot belong to a host (the caller decides whether
//! that byte may end one), or `Err` at the first byte no continuation could make valid;
//! [`Host::complete`] says whether the bytes consumed so far are a whole host. Work is linear in
//! the bytes however they are split: a reg-name and a port never look back, an IPvFuture keeps
//! its place, and an IPv6 literal (at most 45 bytes when valid) is judged again from its start.
//!
//! The host is an IP-literal in brackets (IPv6address or IPvFuture) or a non-empty reg-name
//! (unreserved, pct-encoded, sub-delims except ','), followed by an optional port of digits
//! (possibly none). No userinfo.

use super::scan::Scanner;

/// Where a host check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Phase {
    /// Nothing yet.
    #[default]
    Empty,
    /// Inside a reg-name.
    Name,
    /// After a '%' in a reg-name, owing this many hex digits (1 or 2).
    Pct(u8),
    /// Right after the `[`: which literal follows is not known yet.
    Bracket,
    /// Inside `[`...: an IPv6address, judged again from its start on each byte.
    Ipv6,
    /// Inside `[v`...: IPvFuture, `"v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )`, with
    /// how far it has come: 0 after "v", 1 in the hex digits, 2 after ".", 3 in the tail.
    Future(u8),
    /// After the `]`.
    AfterLiteral,
    /// After the ':': the port's digits.
    Port,
}

/// A host check in progress; `Default` is the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Host {
    phase: Phase,
    /// Bytes looked at so far.
    seen: u32,
}

/// Byte classes of a host name, one table lookup each.
const UNRESERVED: u8 = 1;
/// sub-delims without ',' (a comma would make a Host value look like a list).
const HOST_SUB_DELIM: u8 = 2;
static HOST_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') {
            t[b] = UNRESERVED;
        } else if matches!(c, b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b';' | b'=') {
            t[b] = HOST_SUB_DELIM;
        }
        b += 1;
    }
    t
};

fn class(b: u8) -> u8 {
    HOST_CLASS[usize::from(b)]
}

/// The bytes after `[` of the literal being read: `s` up to `end`, from the byte after the
/// bracket (the literal starts at index 1 of a host).
fn literal(s: &[u8], end: usize) -> &[u8] {
    s.get(1..end).unwrap_or_default()
}

impl Host {
    /// Looks at `s[self.seen..]`, the bytes of the host that arrived since the last call (`s`
    /// holds the host from its first byte). `Ok(i)`: `s[..i]` can still begin a host and `s[i]`,
    /// if there is one, cannot be part of it.
    pub fn feed(&mut self, s: &[u8], scan: Scanner) -> Result<usize, ()> {
        let mut i = self.seen as usize;
        let result = loop {
            let Some(&b) = s.get(i) else { break Ok(i) };
            self.phase = match self.phase {
                Phase::Empty if b == b'[' => {
                    i += 1;
                    Phase::Bracket
                }
                Phase::Bracket if b == b'v' || b == b'V' => {
                    i += 1;
                    Phase::Future(0)
                }
                // Any other byte is judged as the start of an IPv6address.
                Phase::Bracket => Phase::Ipv6,
                Phase::Empty | Phase::Name if class(b) != 0 => {
                    // The usual host name is a run of letters, digits, '-' and '.'.
                    i = scan.host_name_end(s, i + 1);
                    Phase::Name
                }
                Phase::Empty | Phase::Name if b == b'%' => {
                    i += 1;
                    Phase::Pct(2)
                }
                Phase::Pct(n) if b.is_ascii_hexdigit() => {
                    i += 1;
                    if n == 2 { Phase::Pct(1) } else { Phase::Name }
                }
                // An empty host may not have a port.
                Phase::Name | Phase::AfterLiteral if b == b':' => {
                    i += 1;
                    Phase::Port
                }
                Phase::Port if b.is_ascii_digit() => {
                    i += 1;
                    Phase::Port
                }
                Phase::Ipv6 if b == b']' => {
                    if !ipv6(literal(s, i), true) {
                        break Err(());
                    }
                    i += 1;
                    Phase::AfterLiteral
                }
                Phase::Ipv6 => {
                    i += 1;
                    if !ipv6(literal(s, i), false) {
                        break Err(());
                    }
                    Phase::Ipv6
                }
                Phase::Future(0 | 1) if b.is_ascii_hexdigit() => {
                    i += 1;
                    Phase::Future(1)
                }
                Phase::Future(1) if b == b'.' => {
                    i += 1;
                    Phase::Future(2)
                }
                Phase::Future(2 | 3) if class(b) != 0 || b == b':' || b == b',' => {
                    i += 1;
                    Phase::Future(3)
                }
                Phase::Future(3) if b == b']' => {
                    i += 1;
                    Phase::AfterLiteral
                }
                // A byte that may end a host, after a whole one.
                Phase::Empty | Phase::Name | Phase::AfterLiteral | Phase::Port => break Ok(i),
                _ => break Err(()),
            };
        };
        self.seen = i as u32;
        result
    }

    /// Whether the bytes consumed so far are a whole `host [":" port]`.
    pub fn complete(&self) -> bool {
        matches!(self.phase, Phase::Name | Phase::AfterLiteral | Phase::Port)
    }
}

/// Checks a whole `host [":" port]`, or with `complete` false whether `s` can begin one (for
/// tests and the stateless callers).
pub fn host_port(s: &[u8], complete: bool, scan: Scanner) -> bool {
    let mut h = Host::default();
    match h.feed(s, scan) {
        Ok(n) if n == s.len() => !complete || h.complete(),
        _ => false,
    }
}

/// IPv6address (RFC 3986 §3.2.2): eight 16-bit groups of 1-4 HEXDIG separated by ':', the last
/// two of which may be written as an IPv4 address; one "::" may stand for one or more zero
/// groups. Without `complete`, whether `s` is the start of one: every check fails on the first
/// byte that no continuation could fix.
pub(super) fn ipv6(s: &[u8], complete: bool) -> bool {
    let mut groups = 0u32;
    let mut elided = false;
    let mut rest = s;
    if let Some(after) = rest.strip_prefix(b":") {
        // A leading ':' must begin "::".
        match after.split_first() {
            None => return !complete,
            Some((b':', tail)) => {
                elided = true;
                rest = tail;
                if rest.is_empty() {
                    return true;
                }
            }
            Some(_) => return false,
        }
    }
    loop {
        let max = if elided { 7 } else { 8 };
        let (piece, next) = match rest.iter().position(|&b| b == b':') {
            Some(k) => (rest.get(..k).unwrap_or_default(), Some(rest.get(k + 1..).unwrap_or_default())),
            None => (rest, None),
        };
        if piece.contains(&b'.') {
            // An IPv4 tail takes the last two groups and ends the address.
            let room = if elided { groups + 2 <= 7 } else { groups == 6 };
            return next.is_none() && room && ipv4(piece, complete);
        }
        if piece.len() > 4 || !piece.iter().all(u8::is_ascii_hexdigit) {
            return false;
        }
        match next {
            // The address so far ends with a single ':' after a group.
            None if piece.is_empty() => return !complete && groups < max,
            None => {
                groups += 1;
                return groups <= max && (!complete || elided || groups == 8);
            }
            // "::" after some groups.
            Some(tail) if piece.is_empty() => {
                if elided || groups > 7 {
                    return false;
                }
                elided = true;
                if tail.is_empty() {
                    return true;
                }
                rest = tail;
            }
            // A group followed by ':': another group or "::" must fit after it.
            Some(tail) => {
                groups += 1;
                if groups >= max {
                    return false;
                }
                rest = tail;
            }
        }
    }
}

/// IPv4address: four dec-octets (0-255, no leading zeros) separated by '.'.
fn ipv4(s: &[u8], complete: bool) -> bool {
    let count = s.split(|&b| b == b'.').count();
    if count > 4 || (complete && count != 4) {
        return false;
    }
    for (i, octet) in s.split(|&b| b == b'.').enumerate() {
        if octet.is_empty() {
            if complete || i + 1 < count {
                return false;
            }
            continue;
        }
        if octet.len() > 3 || !octet.iter().all(u8::is_ascii_digit) {
            return false;
        }
        if octet.len() > 1 && octet.first() == Some(&b'0') {
            return false;
        }
        let value = octet.iter().fold(0u32, |v, &d| v * 10 + u32::from(d - b'0'));
        if value > 255 {
            return false;
        }
    }
    true
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::http1::scan::all_scanners;
    use crate::test_rng::xorshift;

    fn show(buf: &[u8]) -> String {
        buf.escape_ascii().to_string()
    }

    const VALID: &[&[u8]] = &[
        b"a", b"localhost:8080", b"a:", b"127.0.0.1", b"256.1.1.1", b"[::1]", b"[::1]:80",
        b"[::]", b"[2001:db8::7]", b"[::ffff:192.0.2.1]", b"[1:2:3:4:5:6:7:8]",
        b"[1:2:3:4:5:6:1.2.3.4]", b"[1::]", b"[1:2:3:4:5:6:7::]", b"[::2:3:4:5:6:7:8]",
        b"[FE80::a:B]", b"[v7.x:y]", b"[V1F.!$&'()*+,;=-._~:]", b"%41b", b"a.b-c_d~e",
        b"!$&'()*+;=", b"x:0123456789", b"a%2Cb", b"www.example.com:443",
    ];
    const INVALID: &[&[u8]] = &[
        b"", b":80", b"a b", b"a,b", b"a@b", b"a/b", b"[::1", b"[::1]x", b"[]", b"[1.2.3.4]",
        b"[1:2:3:4:5:6:7:8:9]", b"[::1::]", b"[1:2:3:4:5:6:7:8::]", b"[1:2:3:4:5:6:7]",
        b"[12345::]", b"[::1.2.3.4.5]", b"[::1.2.3]", b"[::01.2.3.4]", b"[::256.1.1.1]",
        b"[1.2.3.4::]", b"[1:2:3:4:5:6:7:1.2.3.4]", b"[::1:2:3:4:5:6:1.2.3.4]", b"[:1::]",
        b"[v.x]", b"[vg.x]", b"[v1.]", b"[v1]", b"[v1.x]]", b"%4", b"%zz", b"a:8a", b"a]",
        b"[::1]:x", b"[[::1]]", b"a:1:2", b"[", b"a%", b"[v", b"[v1.x", b"[v1.x/]",
    ];

    #[test]
    fn hosts() {
        for scan in all_scanners() {
            for v in VALID {
                assert!(host_port(v, true, scan), "{:?}", show(v));
                for k in 0..v.len() {
                    assert!(host_port(&v[..k], false, scan), "{:?} prefix {k}", show(v));
                }
            }
            for v in INVALID {
                assert!(!host_port(v, true, scan), "{:?}", show(v));
            }
        }
    }

    /// Fed in pieces, a host gives the same answers as fed whole, at every split.
    #[test]
    fn pieces_agree_with_whole() {
        let alphabet = b"aZ09-._~!$&'()*+;=,%:[]vV.@/ 1f";
        let mut seed = 0x5EED_0F_4057u64;
        let mut inputs: Vec<Vec<u8>> = VALID.iter().chain(INVALID).map(|v| v.to_vec()).collect();
        for _ in 0..3000 {
            let len = (xorshift(&mut seed) % 20) as usize;
            inputs.push((0..len).map(|_| alphabet[(xorshift(&mut seed) % alphabet.len() as u64) as usize]).collect());
        }
        for scan in all_scanners() {
            for s in &inputs {
                let mut whole = Host::default();
                let want = whole.feed(s, scan);
                for _ in 0..4 {
                    let mut h = Host::default();
                    let mut got = Ok(0);
                    let mut k = 0;
                    while k < s.len() {
                        k = (k + 1 + (xorshift(&mut seed) % 4) as usize).min(s.len());
                        got = h.feed(&s[..k], scan);
                        match got {
                            Ok(n) if n < k => break,
                            Err(()) => break,
                            _ => {}
                        }
                    }
                    if s.is_empty() {
                        got = h.feed(s, scan);
                    }
                    assert_eq!(got, want, "{:?}", show(s));
                    assert_eq!(h.complete(), whole.complete(), "{:?}", show(s));
                }
            }
        }
    }

    #[test]
    fn ipv6_against_std() {
        use std::net::Ipv6Addr;
        use std::str::FromStr;
        let alphabet = b"0123456789abcdefABCDEF::::::....g";
        let mut seed = 0x1234_5678_9ABC_DEF1u64;
        let mut valid = 0;
        for _ in 0..200_000 {
            let len = (xorshift(&mut seed) % 24) as usize;
            let s: Vec<u8> = (0..len)
                .map(|_| alphabet[(xorshift(&mut seed) % alphabet.len() as u64) as usize])
                .collect();
            let text = std::str::from_utf8(&s).unwrap();
            let std_ok = Ipv6Addr::from_str(text).is_ok();
            assert_eq!(ipv6(&s, true), std_ok, "{text}");
            valid += usize::from(std_ok);
            // Monotone: once a prefix cannot continue, nothing longer is valid.
            for k in 0..=s.len() {
                if !ipv6(&s[..k], false) {
                    assert!(!ipv6(&s, true) && !ipv6(&s, false), "{text} prefix {k}");
                    break;
                }
            }
            if std_ok {
                for k in 0..s.len() {
                    assert!(ipv6(&s[..k], false), "{text} prefix {k}");
                }
            }
        }
        assert!(valid > 100, "the generator should produce valid addresses too ({valid})");
        for text in ["::", "::1", "1::", "1:2:3:4:5:6:7:8", "::ffff:1.2.3.4", "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8", "1:2:3:4:5:6:255.255.255.255", "a::b:c", "0:0:0:0:0:0:0:0"]
        {
            assert!(Ipv6Addr::from_str(text).is_ok(), "{text}");
            assert!(ipv6(text.as_bytes(), true), "{text}");
        }
        // A valid literal is never longer than 45 bytes, so judging one again from its start
        // on each byte stays bounded.
        let long = b"0000:0000:0000:0000:0000:0000:255.255.255.255";
        assert_eq!(long.len(), 45);
        assert!(ipv6(long, true));
        assert!(!ipv6(b"0000:0000:0000:0000:0000:0000:255.255.255.2550", false));
    }
}
