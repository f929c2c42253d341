//! An independent judge of request heads, written from the ABNF of RFC 9112 (message syntax),
//! RFC 9110 (semantics) and RFC 3986 (URI syntax), restricted to what mote serves (its methods,
//! its single transfer coding, its limits). It shares no code with the parser under test.
//!
//! `judge` answers `Ok(Valid)` with everything the parser must report for the head, or
//! `Err(reason)`. Its grammar functions are also used by the oracle's exception predicates.

use std::net::Ipv6Addr;
use std::str::FromStr;

/// The limits the judge applies (the same numbers as the parser's `Limits`).
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub max_head: usize,
    pub max_target: usize,
    pub max_body: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    None,
    Length(u64),
    Chunked,
}

/// What a valid head holds.
#[derive(Debug, Clone)]
pub struct Valid {
    pub method: Vec<u8>,
    pub target: Vec<u8>,
    pub path: Vec<u8>,
    pub query: Vec<u8>,
    /// The minor version: 0 or 1.
    pub minor: u8,
    /// Field names and values without surrounding OWS, in order.
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
    pub head_len: usize,
    pub frame: Frame,
    pub keep_alive: bool,
    /// The target is valid only under the relaxed character rule (any VCHAR but '#' in path
    /// and query), not under RFC 3986's pchar grammar.
    pub relaxed_target: bool,
}

// ---- Core rules (RFC 5234 Appendix B, RFC 9110 §5.6.2, RFC 3986 §2) -------------------------

pub fn tchar(b: u8) -> bool {
    matches!(b, b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
        || matches!(b, b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.'
            | b'^' | b'_' | b'`' | b'|' | b'~')
}

pub fn token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| tchar(b))
}

fn vchar(b: u8) -> bool {
    (0x21..=0x7E).contains(&b)
}

fn obs_text(b: u8) -> bool {
    b >= 0x80
}

fn ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn hexdig(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || (b'A'..=b'F').contains(&b)
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn sub_delim(b: u8) -> bool {
    matches!(b, b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=')
}

/// Strips OWS from both ends.
pub fn trim(v: &[u8]) -> &[u8] {
    let a = v.iter().position(|&b| !ows(b)).unwrap_or(v.len());
    let z = v.iter().rposition(|&b| !ows(b)).map_or(a, |i| i + 1);
    &v[a..z]
}

/// `*( pchar / extra )` where pchar = unreserved / pct-encoded / sub-delims / ":" / "@".
fn pchars(s: &[u8], extra: &[u8]) -> bool {
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        if b == b'%' {
            if i + 2 >= s.len() {
                return false;
            }
            if !(hexdig(s[i + 1]) && hexdig(s[i + 2])) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(unreserved(b) || sub_delim(b) || b == b':' || b == b'@' || extra.contains(&b)) {
            return false;
        }
        i += 1;
    }
    true
}

/// The relaxed rule mote documents for path and query bytes: VCHAR except '#'.
fn relaxed_chars(s: &[u8]) -> bool {
    s.iter().all(|&b| vchar(b) && b != b'#')
}

// ---- Host (RFC 9110 §7.2, §4.2.1; RFC 3986 §3.2.2-§3.2.3) ---------------------------------

/// reg-name = *( unreserved / pct-encoded / sub-delims )
fn reg_name(s: &[u8]) -> bool {
    pchars(s, &[]) && !s.contains(&b':') && !s.contains(&b'@')
}

/// IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
fn ipv_future(s: &[u8]) -> bool {
    let Some(rest) = s.strip_prefix(b"v").or_else(|| s.strip_prefix(b"V")) else { return false };
    let Some(dot) = rest.iter().position(|&b| b == b'.') else { return false };
    let (hex, tail) = (&rest[..dot], &rest[dot + 1..]);
    !hex.is_empty()
        && hex.iter().all(|&b| hexdig(b))
        && !tail.is_empty()
        && tail.iter().all(|&b| unreserved(b) || sub_delim(b) || b == b':')
}

/// IPv6address, by the standard library's parser (RFC 4291 §2.2 text forms).
fn ipv6(s: &[u8]) -> bool {
    std::str::from_utf8(s).is_ok_and(|t| Ipv6Addr::from_str(t).is_ok())
}

/// `uri-host [ ":" port ]` with a non-empty host (an http(s) URI has one: RFC 9110 §4.2.1).
pub fn host_port(s: &[u8]) -> bool {
    let rest = if let Some(inner) = s.strip_prefix(b"[") {
        let Some(close) = inner.iter().position(|&b| b == b']') else { return false };
        let lit = &inner[..close];
        if !(ipv6(lit) || ipv_future(lit)) {
            return false;
        }
        &inner[close + 1..]
    } else {
        let colon = s.iter().position(|&b| b == b':').unwrap_or(s.len());
        let name = &s[..colon];
        if name.is_empty() || !reg_name(name) {
            return false;
        }
        &s[colon..]
    };
    match rest.split_first() {
        None => true,
        Some((b':', port)) => port.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    }
}

// ---- Request target (RFC 9112 §3.2) --------------------------------------------------------

/// The parts of a target: (path, query).
pub type Parts = (Vec<u8>, Vec<u8>);

/// Judges a request target for `method`. `relaxed` applies mote's documented byte rule to path
/// and query instead of RFC 3986's. The authority is always judged by RFC 3986, without
/// userinfo (RFC 9110 §4.2.4).
pub fn target(method: &[u8], t: &[u8], relaxed: bool) -> Option<Parts> {
    let path_ok = |p: &[u8]| if relaxed { relaxed_chars(p) } else { pchars(p, b"/") };
    let query_ok = |q: &[u8]| if relaxed { relaxed_chars(q) } else { pchars(q, b"/?") };
    let split = |s: &[u8]| -> (Vec<u8>, Vec<u8>, bool) {
        match s.iter().position(|&b| b == b'?') {
            Some(q) => (s[..q].to_vec(), s[q + 1..].to_vec(), true),
            None => (s.to_vec(), Vec::new(), false),
        }
    };
    // asterisk-form (§3.2.4): OPTIONS only.
    if t == b"*" {
        return (method == b"OPTIONS").then(|| (t.to_vec(), Vec::new()));
    }
    // origin-form (§3.2.1): absolute-path [ "?" query ], absolute-path = 1*( "/" segment ).
    if t.first() == Some(&b'/') {
        let (path, query, _) = split(t);
        return (path_ok(&path) && query_ok(&query)).then_some((path, query));
    }
    // absolute-form (§3.2.2) for the two schemes this origin server answers (RFC 9110 §4.2):
    // scheme "://" authority path-abempty [ "?" query ]; schemes are case-insensitive.
    let lower: Vec<u8> = t.iter().take(8).map(u8::to_ascii_lowercase).collect();
    let after = if lower.starts_with(b"http://") {
        7
    } else if lower.starts_with(b"https://") {
        8
    } else {
        return None;
    };
    let rest = &t[after..];
    let end = rest.iter().position(|&b| b == b'/' || b == b'?').unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.contains(&b'@') || !host_port(authority) {
        return None;
    }
    let (path, query, _) = split(&rest[end..]);
    if !(path_ok(&path) && query_ok(&query)) {
        return None;
    }
    // path-abempty: empty or starting with '/'.
    if !path.is_empty() && path[0] != b'/' {
        return None;
    }
    let path = if path.is_empty() { b"/".to_vec() } else { path };
    Some((path, query))
}

/// A host that is a reg-name (not an IP-literal) holding a ','.
pub fn reg_name_comma(h: &[u8]) -> bool {
    !h.starts_with(b"[") && h.contains(&b',')
}

/// The authority of an absolute-form http(s) target.
pub fn authority(t: &[u8]) -> Option<&[u8]> {
    let lower: Vec<u8> = t.iter().take(8).map(u8::to_ascii_lowercase).collect();
    let skip = if lower.starts_with(b"http://") {
        7
    } else if lower.starts_with(b"https://") {
        8
    } else {
        return None;
    };
    let rest = &t[skip..];
    let end = rest.iter().position(|&b| b == b'/' || b == b'?').unwrap_or(rest.len());
    Some(&rest[..end])
}

// ---- Lists (RFC 9110 §5.6.1) ---------------------------------------------------------------

/// The non-empty elements of a comma-separated list, OWS removed.
pub fn elements(v: &[u8]) -> Vec<&[u8]> {
    v.split(|&b| b == b',').map(trim).filter(|e| !e.is_empty()).collect()
}

// ---- The whole head ------------------------------------------------------------------------

/// Splits off one line ending in CRLF at `p`: (line, index after the CRLF). A line holding a
/// CR or LF other than its final CRLF is `Err`.
fn line(buf: &[u8], p: usize) -> Result<(&[u8], usize), &'static str> {
    let rest = &buf[p..];
    let Some(lf) = rest.iter().position(|&b| b == b'\n') else { return Err("incomplete line") };
    if lf == 0 || rest[lf - 1] != b'\r' {
        return Err("bare LF");
    }
    let body = &rest[..lf - 1];
    if body.contains(&b'\r') {
        return Err("bare CR");
    }
    Ok((body, p + lf + 1))
}

/// Methods mote implements (RFC 9110 §9.3; the others are 501).
pub const METHODS: [&[u8]; 4] = [b"GET", b"HEAD", b"POST", b"OPTIONS"];

pub fn judge(buf: &[u8], bounds: &Bounds) -> Result<Valid, &'static str> {
    // RFC 9112 §2.2: at least one empty line (CRLF) before the request line is ignored.
    let mut p = 0;
    while buf[p..].starts_with(b"\r\n") {
        p += 2;
    }
    // request-line = method SP request-target SP HTTP-version (RFC 9112 §3)
    let (request_line, mut p) = line(buf, p)?;
    let parts: Vec<&[u8]> = request_line.split(|&b| b == b' ').collect();
    let [method, target_bytes, version] = parts[..] else { return Err("request-line shape") };
    if !token(method) {
        return Err("method not a token");
    }
    if !METHODS.contains(&method) {
        return Err("method not implemented");
    }
    // HTTP-version = "HTTP" "/" DIGIT "." DIGIT (RFC 9112 §2.3), of which 1.0 and 1.1 served.
    let minor = match version {
        b"HTTP/1.1" => 1,
        b"HTTP/1.0" => 0,
        _ => return Err("version"),
    };
    if target_bytes.is_empty() {
        return Err("empty target");
    }
    let (parts, relaxed_target) = match target(method, target_bytes, false) {
        Some(parts) => (parts, false),
        None => (target(method, target_bytes, true).ok_or("target")?, true),
    };
    if target_bytes.len() > bounds.max_target {
        return Err("target too long");
    }
    // *( field-line CRLF ) CRLF, field-line = field-name ":" OWS field-value OWS (§5)
    let mut fields = Vec::new();
    let head_len = loop {
        let (l, next) = line(buf, p)?;
        p = next;
        if l.is_empty() {
            break p;
        }
        let Some(colon) = l.iter().position(|&b| b == b':') else { return Err("no colon") };
        let name = &l[..colon];
        if !token(name) {
            return Err("field-name");
        }
        let value = trim(&l[colon + 1..]);
        // field-value = *field-content: field-vchar with SP/HTAB only between them.
        if !value.iter().all(|&b| vchar(b) || obs_text(b) || ows(b)) {
            return Err("field-value");
        }
        fields.push((name.to_vec(), value.to_vec()));
    };
    if head_len > bounds.max_head {
        return Err("head too long");
    }

    let named = |n: &str| -> Vec<&[u8]> {
        fields
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(n.as_bytes()))
            .map(|(_, v)| v.as_slice())
            .collect()
    };
    // Host (RFC 9112 §3.2, RFC 9110 §7.2): exactly one in HTTP/1.1, at most one in HTTP/1.0,
    // each a valid uri-host [ ":" port ].
    let hosts = named("host");
    if hosts.len() > 1 || (minor == 1 && hosts.is_empty()) {
        return Err("Host count");
    }
    if !hosts.iter().all(|h| host_port(h)) {
        return Err("Host value");
    }
    // mote's profile: no ',' in a reg-name (RFC 3986 allows it, but a comma-joined Host reads
    // as several Host lines, RFC 9110 §5.3); the target's authority follows the same rule.
    let authority_comma = authority(target_bytes).is_some_and(reg_name_comma);
    if hosts.iter().any(|h| reg_name_comma(h)) || authority_comma {
        return Err("',' in a host");
    }
    // Content-Length = 1*DIGIT (RFC 9110 §8.6); several must agree (RFC 9112 §6.3).
    let lengths = named("content-length");
    let mut length: Option<u64> = None;
    for v in &lengths {
        if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
            return Err("Content-Length syntax");
        }
        let n = std::str::from_utf8(v).unwrap().parse::<u64>().map_err(|_| "Content-Length range")?;
        if length.is_some_and(|m| m != n) {
            return Err("Content-Length disagree");
        }
        length = Some(n);
    }
    // Transfer-Encoding (RFC 9112 §6.1): HTTP/1.1 only; chunked final and once (§7); mote
    // implements no other coding; not together with Content-Length.
    let codings: Vec<&[u8]> = named("transfer-encoding").into_iter().flat_map(elements).collect();
    let te = !named("transfer-encoding").is_empty();
    if te && minor == 0 {
        return Err("Transfer-Encoding in HTTP/1.0");
    }
    if te && !(codings.len() == 1 && codings[0].eq_ignore_ascii_case(b"chunked")) {
        return Err("transfer coding");
    }
    if te && length.is_some() {
        return Err("Content-Length with Transfer-Encoding");
    }
    if length.is_some_and(|n| n > bounds.max_body) {
        return Err("Content-Length over max_body");
    }
    // Connection = #connection-option, connection-option = token (RFC 9110 §7.6.1).
    let options: Vec<&[u8]> = named("connection").into_iter().flat_map(elements).collect();
    if !options.iter().all(|o| token(o)) {
        return Err("Connection option");
    }
    let has = |o: &str| options.iter().any(|x| x.eq_ignore_ascii_case(o.as_bytes()));
    // RFC 9112 §9.3: persistent unless "close"; HTTP/1.0 only with "keep-alive".
    let keep_alive = !has("close") && (minor == 1 || has("keep-alive"));
    let frame = match (te, length) {
        (true, _) => Frame::Chunked,
        (false, Some(n)) => Frame::Length(n),
        (false, None) => Frame::None,
    };
    Ok(Valid {
        method: method.to_vec(),
        target: target_bytes.to_vec(),
        path: parts.0,
        query: parts.1,
        minor,
        fields,
        head_len,
        frame,
        keep_alive,
        relaxed_target,
    })
}
