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

/// Any VCHAR but '#': path and query bytes for the form-only reading of a target, which the
/// oracle uses to tell a target in no served form from one with bad characters.
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

/// Judges a request target for `method`: path = `*( pchar / "/" )`, query =
/// `*( pchar / "/" / "?" )` (RFC 3986 §3.3-§3.4). With `relaxed`, path and query may hold any
/// VCHAR but '#' instead (the form alone is judged). The authority is always judged by RFC 3986,
/// without userinfo (RFC 9110 §4.2.4).
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

// ---- Transfer codings (RFC 9112 §6.1, §7) ------------------------------------------------------

/// One transfer coding: its name and whether parameters follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coding {
    pub name: Vec<u8>,
    pub params: bool,
}

/// A cursor over a field value, for the recursive-descent reading below.
struct Cursor<'a> {
    s: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.at += usize::from(hit);
        hit
    }

    fn skip_ows(&mut self) {
        while self.peek().is_some_and(ows) {
            self.at += 1;
        }
    }

    /// token = 1*tchar
    fn token(&mut self) -> Option<&[u8]> {
        let start = self.at;
        while self.peek().is_some_and(tchar) {
            self.at += 1;
        }
        (self.at > start).then(|| &self.s[start..self.at])
    }

    /// quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4)
    fn quoted_string(&mut self) -> Option<()> {
        if !self.eat(b'"') {
            return None;
        }
        loop {
            let b = self.peek()?;
            self.at += 1;
            match b {
                b'"' => return Some(()),
                b'\\' => {
                    let q = self.peek()?;
                    if !(q == b'\t' || q == b' ' || vchar(q) || obs_text(q)) {
                        return None;
                    }
                    self.at += 1;
                }
                b'\t' | b' ' | 0x21 | 0x23..=0x5B | 0x5D..=0x7E => {}
                _ if obs_text(b) => {}
                _ => return None,
            }
        }
    }

    /// transfer-coding = token *( OWS ";" OWS transfer-parameter ),
    /// transfer-parameter = token BWS "=" BWS ( token / quoted-string )
    fn transfer_coding(&mut self) -> Option<Coding> {
        let name = self.token()?.to_vec();
        let mut params = false;
        loop {
            let mark = self.at;
            self.skip_ows();
            if !self.eat(b';') {
                self.at = mark;
                return Some(Coding { name, params });
            }
            self.skip_ows();
            self.token()?;
            self.skip_ows();
            if !self.eat(b'=') {
                return None;
            }
            self.skip_ows();
            if self.peek() == Some(b'"') {
                self.quoted_string()?;
            } else {
                self.token()?;
            }
            params = true;
        }
    }
}

/// `#transfer-coding` (RFC 9110 §5.6.1: empty elements are allowed and skipped), or `None`
/// when the value is not one.
pub fn transfer_codings(v: &[u8]) -> Option<Vec<Coding>> {
    let mut c = Cursor { s: v, at: 0 };
    let mut out = Vec::new();
    loop {
        c.skip_ows();
        match c.peek() {
            None => return Some(out),
            Some(b',') => c.at += 1,
            Some(_) => {
                out.push(c.transfer_coding()?);
                c.skip_ows();
                if c.peek().is_some() && !c.eat(b',') {
                    return None;
                }
            }
        }
    }
}

/// What a request with these Transfer-Encoding values gets: `None` when its framing is the
/// chunked coding alone; 400 when the list is malformed, empty, does not end in chunked (RFC
/// 9112 §6.3 ¶4: the length cannot be determined) or applies chunked twice (§7); 501 when
/// chunked is final but another coding, or a parameter of chunked, is not understood (§6.1).
pub fn te_refusal(values: &[&[u8]]) -> Option<u16> {
    let mut codings = Vec::new();
    for v in values {
        match transfer_codings(v) {
            Some(mut list) => codings.append(&mut list),
            None => return Some(400),
        }
    }
    let is_chunked = |c: &Coding| c.name.eq_ignore_ascii_case(b"chunked");
    let Some(last) = codings.last() else { return Some(400) };
    if !is_chunked(last) || codings.iter().filter(|c| is_chunked(c)).count() > 1 {
        return Some(400);
    }
    if codings.len() > 1 || last.params {
        return Some(501);
    }
    None
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

/// The most empty lines mote ignores before a request line.
pub const MAX_EMPTY_LINES: usize = 64;

/// The bytes the empty lines at the start of `buf` take.
pub fn empty_lines(buf: &[u8]) -> usize {
    let mut p = 0;
    while buf[p..].starts_with(b"\r\n") {
        p += 2;
    }
    p
}

pub fn judge(buf: &[u8], bounds: &Bounds) -> Result<Valid, &'static str> {
    // RFC 9112 §2.2: at least one empty line (CRLF) before the request line is ignored; mote
    // ignores up to MAX_EMPTY_LINES, which do not count toward the head's limit.
    let lead = empty_lines(buf);
    if lead / 2 > MAX_EMPTY_LINES {
        return Err("too many empty lines");
    }
    let p = lead;
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
    // HTTP-version = "HTTP" "/" DIGIT "." DIGIT (RFC 9112 §2.3): 1.0, and 1.1 to 1.9 served as
    // 1.1 (RFC 9110 §2.5: a higher minor version is processed at the server's highest).
    let minor = match version {
        b"HTTP/1.0" => 0,
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', b'1'..=b'9'] => 1,
        _ => return Err("version"),
    };
    if target_bytes.is_empty() {
        return Err("empty target");
    }
    let parts = target(method, target_bytes, false).ok_or("target")?;
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
    if head_len - lead > bounds.max_head {
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
    let te_values = named("transfer-encoding");
    let te = !te_values.is_empty();
    if te && minor == 0 {
        return Err("Transfer-Encoding in HTTP/1.0");
    }
    if te && te_refusal(&te_values).is_some() {
        return Err("transfer coding");
    }
    if te && length.is_some() {
        return Err("Content-Length with Transfer-Encoding");
    }
    if length.is_some_and(|n| n > bounds.max_body) {
        return Err("Content-Length over max_body");
    }
    // Expect (RFC 9110 §10.1.1): only 100-continue is understood (in HTTP/1.1; an HTTP/1.0
    // server ignores it).
    if minor == 1 && named("expect").iter().any(|v| !v.is_empty() && !v.eq_ignore_ascii_case(b"100-continue")) {
        return Err("expectation");
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
    })
}
