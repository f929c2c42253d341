//! Input generators: structured requests (mostly valid, with the fields the parser acts on in
//! many variants), chunked bodies, mutations of both, and raw random bytes.

use super::rng::Rng;

const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &[u8] = b"0123456789";
const HEX: &[u8] = b"0123456789abcdefABCDEF";
const TCHAR: &[u8] = b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
/// pchar without pct-encoded: unreserved / sub-delims / ":" / "@".
const PCHAR: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@";
/// Bytes a path or query may not hold (RFC 3986 §3.3-§3.4): the VCHARs outside pchar, '/' and
/// '?', a lone '%', and some controls and non-ASCII bytes.
const FORBIDDEN: &[u8] = b"\"<>\\^`{|}[]#%%%\x7f\x00\x01\t\x1f\x80\xc3\xff";
/// Bytes that matter to the grammar, for insertions.
const SPECIAL: &[u8] = b"\r\n\x00 \t:\x7f\x80\xff,;=\"#?/@[]%\\\x0b\x01\x1f~";
const REG_NAME: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+;=";

fn push_from(out: &mut Vec<u8>, rng: &mut Rng, pool: &[u8], n: usize) {
    for _ in 0..n {
        out.push(*rng.pick(pool));
    }
}

fn from_pool(rng: &mut Rng, pool: &[u8], n: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(n);
    push_from(&mut v, rng, pool, n);
    v
}

/// Optional whitespace: mostly none or one SP, sometimes runs of SP/HTAB.
fn ows(rng: &mut Rng) -> &'static [u8] {
    rng.pick_bytes(&[b"", b"", b"", b" ", b" ", b"\t", b"  ", b" \t ", b"\t\t"])
}

fn pct(rng: &mut Rng, out: &mut Vec<u8>) {
    out.push(b'%');
    out.push(*rng.pick(HEX));
    out.push(*rng.pick(HEX));
}

// ---- Hosts ---------------------------------------------------------------------------------

/// Something shaped like an IPv6 address: groups of hex digits, "::", an IPv4 tail; valid
/// or not (the judge asks the standard library).
fn ipv6_like(rng: &mut Rng) -> Vec<u8> {
    let mut v = Vec::new();
    let groups = rng.range(1, 9);
    let elide = rng.below(groups + 3);
    for g in 0..groups {
        if g == elide {
            v.extend_from_slice(b"::");
        } else if g > 0 {
            v.push(b':');
        }
        let n = if rng.chance(1, 20) { 5 } else { rng.range(1, 4) };
        push_from(&mut v, rng, HEX, n);
    }
    if elide >= groups && rng.chance(1, 3) {
        v.extend_from_slice(b"::");
    }
    if rng.chance(1, 5) {
        v.push(b':');
        let last = if rng.chance(1, 8) { 1000 } else { 256 };
        let ip = format!("{}.{}.{}.{}", rng.below(260), rng.below(256), rng.below(256), rng.below(last));
        v.extend_from_slice(ip.as_bytes());
    }
    if rng.chance(1, 20) {
        v.insert(rng.below(v.len() + 1), *rng.pick(b":.g%"));
    }
    let mut h = b"[".to_vec();
    h.extend_from_slice(&v);
    h.push(b']');
    h
}

/// A host and optional port, valid except for some of the IPv6-shaped ones.
pub fn host_valid(rng: &mut Rng) -> Vec<u8> {
    let mut h: Vec<u8> = match rng.below(13) {
        12 => ipv6_like(rng),
        0 => b"localhost".to_vec(),
        1 => b"example.com".to_vec(),
        2 => format!("{}.{}.{}.{}", rng.below(300), rng.below(256), rng.below(256), rng.below(256))
            .into_bytes(),
        3 => rng.pick(&[&b"[::1]"[..], b"[::]", b"[2001:db8::7]", b"[::ffff:192.0.2.1]",
            b"[1:2:3:4:5:6:7:8]", b"[fe80::A:b]", b"[1::]", b"[1:2:3:4:5:6:1.2.3.4]"]).to_vec(),
        4 => rng.pick(&[&b"[v7.x:y]"[..], b"[V1F.!$&'()*+;=-._~:]", b"[vA.1]"]).to_vec(),
        5 => {
            let mut v = Vec::new();
            for _ in 0..rng.range(1, 3) {
                pct(rng, &mut v);
                let n = rng.below(3);
                push_from(&mut v, rng, REG_NAME, n);
            }
            v
        }
        6 => b"a".to_vec(),
        _ => {
            let n = rng.range(1, 30);
            from_pool(rng, REG_NAME, n)
        }
    };
    match rng.below(4) {
        0 => h.extend_from_slice(format!(":{}", rng.below(70000)).as_bytes()),
        1 if rng.chance(1, 4) => h.push(b':'),
        _ => {}
    }
    h
}

pub fn host_any(rng: &mut Rng) -> Vec<u8> {
    if rng.chance(4, 5) {
        return host_valid(rng);
    }
    match rng.below(14) {
        0 => Vec::new(),
        1 => b":80".to_vec(),
        2 => b"a b".to_vec(),
        3 => b"a,b".to_vec(),
        4 => b"user@a".to_vec(),
        5 => b"a/b".to_vec(),
        6 => b"[::1".to_vec(),
        7 => b"[]".to_vec(),
        8 => b"[::g]".to_vec(),
        9 => b"a:8x".to_vec(),
        10 => "h\u{e9}te".as_bytes().to_vec(),
        11 => b"[::1]:80:1".to_vec(),
        12 => b"%4g".to_vec(),
        _ => {
            let n = rng.range(1, 12);
            from_pool(rng, b"a.:[]@%,;/?#1 ", n)
        }
    }
}

// ---- Targets -------------------------------------------------------------------------------

/// Something a target may not hold: a forbidden byte, or a '%' without its two HEXDIG.
fn forbidden(rng: &mut Rng, out: &mut Vec<u8>) {
    match rng.below(4) {
        0 => {
            out.push(b'%');
            if rng.chance(1, 2) {
                out.push(*rng.pick(HEX));
            }
            out.push(*rng.pick(b"gGzZ%/?\"#~.-_ "));
        }
        _ => out.push(*rng.pick(FORBIDDEN)),
    }
}

/// One path or query byte (or pct-encoded triplet); with `wild`, now and then a forbidden one.
fn target_byte(rng: &mut Rng, out: &mut Vec<u8>, wild: bool) {
    match rng.below(24) {
        0 | 1 => pct(rng, out),
        2 if wild => forbidden(rng, out),
        _ => out.push(*rng.pick(PCHAR)),
    }
}

fn path_bytes(rng: &mut Rng, out: &mut Vec<u8>, wild: bool) {
    for _ in 0..rng.len(6) {
        out.push(b'/');
        for _ in 0..rng.len(12) {
            target_byte(rng, out, wild);
        }
    }
    if out.is_empty() || rng.chance(1, 6) {
        out.push(b'/');
    }
}

fn query_bytes(rng: &mut Rng, out: &mut Vec<u8>, wild: bool) {
    out.push(b'?');
    for _ in 0..rng.len(30) {
        match rng.below(10) {
            0 => out.push(b'/'),
            1 => out.push(b'?'),
            2 => out.push(b'='),
            3 => out.push(b'&'),
            _ => target_byte(rng, out, wild),
        }
    }
    if wild && rng.chance(1, 20) {
        // A '%' or '%' HEXDIG cut short by the end of the target.
        out.push(b'%');
        if rng.chance(1, 2) {
            out.push(*rng.pick(HEX));
        }
    }
}

pub fn target(rng: &mut Rng, method: &[u8]) -> Vec<u8> {
    let wild = rng.chance(1, 4);
    let mut t = Vec::new();
    match rng.below(40) {
        0 => return b"*".to_vec(),
        1 if method == b"OPTIONS" => return b"*".to_vec(),
        2..=6 => {
            let scheme = *rng.pick(&[&b"http://"[..], b"https://", b"HTTP://", b"HtTpS://", b"http://",
                b"ftp://", b"http:/", b"http:"]);
            t.extend_from_slice(scheme);
            if rng.chance(1, 12) {
                t.extend_from_slice(b"user:pw@");
            }
            t.extend_from_slice(&host_any(rng));
            if rng.chance(3, 4) {
                path_bytes(rng, &mut t, wild);
            }
        }
        7 => {
            let n = rng.range(1, 10);
            t = from_pool(rng, PCHAR, n);
        }
        8 => {
            let odd: [&[u8]; 15] = [b"/a#frag", "/caf\u{e9}".as_bytes(), b"/\x80", b"/a%zz", b"//", b"/?",
                b"/??#", b"a:443", b"example.com:80", b"/%", b"/a%4", b"/%4g", b"/[::1]", b"http://a/[b]",
                b"http://[::1]]/"];
            let s = rng.pick_bytes(&odd);
            t.extend_from_slice(s);
        }
        _ => path_bytes(rng, &mut t, wild),
    }
    if rng.chance(1, 3) {
        query_bytes(rng, &mut t, wild);
    }
    if rng.chance(1, 50) {
        // Long targets, to reach the target limit and cross many scanner windows.
        let n = rng.range(16, 600);
        push_from(&mut t, rng, b"abcdefgh/", n);
    }
    t
}

/// A target mote should accept for `method` (path and query by RFC 3986).
pub fn clean_target(rng: &mut Rng, method: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    match rng.below(12) {
        0 if method == b"OPTIONS" => return b"*".to_vec(),
        1 | 2 => {
            let scheme = *rng.pick(&[&b"http://"[..], b"https://", b"HTTP://", b"hTTpS://"]);
            t.extend_from_slice(scheme);
            t.extend_from_slice(&host_valid(rng));
            if rng.chance(3, 4) {
                path_bytes(rng, &mut t, false);
            }
        }
        _ => path_bytes(rng, &mut t, false),
    }
    if rng.chance(1, 3) {
        query_bytes(rng, &mut t, false);
    }
    t
}

// ---- Methods, versions, fields ---------------------------------------------------------------

pub fn method(rng: &mut Rng) -> Vec<u8> {
    match rng.below(20) {
        0..=6 => b"GET".to_vec(),
        7..=9 => b"POST".to_vec(),
        10 | 11 => b"HEAD".to_vec(),
        12 | 13 => b"OPTIONS".to_vec(),
        14 => rng.pick(&[&b"PUT"[..], b"DELETE", b"CONNECT", b"PATCH", b"TRACE", b"get", b"Post",
            b"GETS", b"GE"]).to_vec(),
        15 => b"ABCDEFGHIJKLMNOP".to_vec(),
        16 => b"ABCDEFGHIJKLMNOPQ".to_vec(),
        _ => {
            let n = rng.range(1, 20);
            from_pool(rng, TCHAR, n)
        }
    }
}

fn version(rng: &mut Rng) -> &'static [u8] {
    match rng.below(40) {
        0 => rng.pick_bytes(&[b"HTTP/2.0", b"HTTP/1.2", b"HTTP/0.9", b"HTTP/1.", b"http/1.1", b"HTTP/1.10"]),
        1..=8 => b"HTTP/1.0",
        _ => b"HTTP/1.1",
    }
}

fn content_length(rng: &mut Rng) -> Vec<u8> {
    match rng.below(30) {
        0 => b"".to_vec(),
        1 => b"5, 5".to_vec(),
        2 => b"+5".to_vec(),
        3 => b"-1".to_vec(),
        4 => b"0x5".to_vec(),
        5 => b"5 5".to_vec(),
        6 => b"18446744073709551615".to_vec(),
        7 => b"18446744073709551616".to_vec(),
        8 => b"99999999999999999999999".to_vec(),
        9 => b"1048577".to_vec(),
        10 => b"005".to_vec(),
        11 => {
            let n = rng.range(1, 25);
            from_pool(rng, DIGITS, n)
        }
        _ => {
            let top = if rng.chance(1, 4) { 2000 } else { 30 };
            rng.below(top).to_string().into_bytes()
        }
    }
}

/// A transfer-parameter: `token BWS "=" BWS ( token / quoted-string )`, sometimes broken.
fn transfer_parameter(rng: &mut Rng, out: &mut Vec<u8>) {
    out.extend_from_slice(ows(rng));
    out.push(b';');
    out.extend_from_slice(ows(rng));
    let n = rng.range(1, 4);
    push_from(out, rng, TCHAR, n);
    out.extend_from_slice(bws(rng));
    out.push(b'=');
    out.extend_from_slice(bws(rng));
    if rng.chance(1, 2) {
        quoted_string(rng, out);
    } else {
        let n = rng.range(1, 4);
        push_from(out, rng, TCHAR, n);
    }
    if rng.chance(1, 30) {
        out.truncate(out.len() - rng.range(1, 3).min(out.len()));
    }
}

fn transfer_encoding(rng: &mut Rng) -> Vec<u8> {
    if rng.chance(2, 3) {
        return rng.pick(&[&b"chunked"[..], b"chunked", b"chunked", b"Chunked", b"CHUNKED", b" , chunked ,",
            b"chunked,", b", chunked", b"gzip, chunked", b"chunked, gzip", b"gzip", b"chunked, chunked",
            b"", b",", b"chunked;q=1", b"identity", b"chunked x", b"chunk", b"chunkedx", b"gzip;q=\"a,b\", chunked",
            b"x;p=\",chunked,\", chunked", b"chunked ; a = b", b"gzip x, chunked", b";chunked", b"\"chunked\""])
            .to_vec();
    }
    // A list of codings, each sometimes with parameters.
    let mut v = Vec::new();
    for i in 0..rng.range(1, 3) {
        if i > 0 {
            v.extend_from_slice(ows(rng));
            v.push(b',');
            v.extend_from_slice(ows(rng));
        }
        let name = *rng.pick(&[&b"chunked"[..], b"chunked", b"gzip", b"deflate", b"identity", b"x-y", b"CHUNKED"]);
        v.extend_from_slice(name);
        if rng.chance(1, 4) {
            transfer_parameter(rng, &mut v);
        }
    }
    v
}

fn connection(rng: &mut Rng) -> Vec<u8> {
    rng.pick(&[&b"close"[..], b"keep-alive", b"Keep-Alive", b"CLOSE", b"close, keep-alive",
        b"keep-alive, close", b"upgrade", b"a, b", b" , close ,", b"", b",", b"close x", b"clo\"se\"",
        b"close;", b"a, b\x80", b"te, keep-alive", b"x-y_z"])
        .to_vec()
}

fn case_variant(rng: &mut Rng, name: &[u8]) -> Vec<u8> {
    match rng.below(4) {
        0 => name.to_ascii_lowercase(),
        1 => name.to_ascii_uppercase(),
        2 => name.iter().map(|&b| if rng.chance(1, 2) { b.to_ascii_uppercase() } else { b.to_ascii_lowercase() })
            .collect(),
        _ => name.to_vec(),
    }
}

fn field_name(rng: &mut Rng) -> Vec<u8> {
    match rng.below(10) {
        0 => b"X-Forwarded-For".to_vec(),
        1 => b"Accept".to_vec(),
        2 => {
            let name = *rng.pick(&[&b"Host"[..], b"Content-Length", b"Transfer-Encoding", b"Connection"]);
            case_variant(rng, name)
        }
        3 => {
            // Long names, past several 16-byte windows.
            let n = rng.range(17, 70);
            from_pool(rng, TCHAR, n)
        }
        _ => {
            let n = rng.range(1, 16);
            from_pool(rng, TCHAR, n)
        }
    }
}

fn field_value(rng: &mut Rng) -> Vec<u8> {
    let mut v = Vec::new();
    let n = rng.len(90);
    for _ in 0..n {
        match rng.below(30) {
            0 => v.push(b' '),
            1 => v.push(b'\t'),
            2 => v.push(0x80 + rng.below(128) as u8),
            _ => v.push(0x21 + rng.below(94) as u8),
        }
    }
    v
}

/// One field line without its CRLF.
fn field(out: &mut Vec<u8>, name: &[u8], value: &[u8], rng: &mut Rng) {
    out.extend_from_slice(name);
    out.push(b':');
    out.extend_from_slice(ows(rng));
    out.extend_from_slice(value);
    out.extend_from_slice(ows(rng));
    out.extend_from_slice(b"\r\n");
}

/// A request head (and sometimes a body and a following request). A `clean` one takes only
/// valid choices for every part mote checks (so it should be accepted unless a limit is hit);
/// otherwise each part is sometimes wrong.
pub fn request(rng: &mut Rng, clean: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if rng.chance(1, 20) {
        for _ in 0..rng.range(1, 3) {
            out.extend_from_slice(b"\r\n");
        }
    }
    let m = if clean { rng.pick(&[&b"GET"[..], b"GET", b"POST", b"HEAD", b"OPTIONS"]).to_vec() } else { method(rng) };
    out.extend_from_slice(&m);
    out.push(b' ');
    out.extend_from_slice(&if clean { clean_target(rng, &m) } else { target(rng, &m) });
    out.push(b' ');
    let v = if clean { *rng.pick(&[&b"HTTP/1.1"[..], b"HTTP/1.1", b"HTTP/1.1", b"HTTP/1.0"]) } else { version(rng) };
    let http10 = v == b"HTTP/1.0";
    out.extend_from_slice(v);
    out.extend_from_slice(b"\r\n");

    // The field lines, in random order.
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let hosts = match rng.below(20) {
        0 if !clean || http10 => 0,
        1 if !clean => 2,
        _ => 1,
    };
    for _ in 0..hosts {
        let mut l = Vec::new();
        let name = if rng.chance(1, 4) { case_variant(rng, b"Host") } else { b"Host".to_vec() };
        let value = if clean { host_valid(rng) } else { host_any(rng) };
        field(&mut l, &name, &value, rng);
        lines.push(l);
    }
    let mut body: Vec<u8> = Vec::new();
    let framing = rng.below(10);
    if framing < 3 {
        let count = if rng.chance(1, 8) { 2 } else { 1 };
        let cl = if clean { rng.below(300).to_string().into_bytes() } else { content_length(rng) };
        for i in 0..count {
            let value = if clean && i > 0 {
                [&b"0"[..], &cl].concat()
            } else if i == 0 || rng.chance(1, 2) {
                cl.clone()
            } else {
                content_length(rng)
            };
            let mut l = Vec::new();
            let name = if rng.chance(1, 4) { case_variant(rng, b"Content-Length") } else { b"Content-Length".to_vec() };
            field(&mut l, &name, &value, rng);
            lines.push(l);
        }
        if let Ok(n) = std::str::from_utf8(&cl).unwrap_or("x").trim().parse::<usize>()
            && n < 300
        {
            let n = if rng.chance(1, 10) { rng.below(n + 1) } else { n };
            body = from_pool(rng, b"abc\r\n\x00\xff", n);
        }
    }
    let te = if clean { (3..6).contains(&framing) && !http10 } else { (3..6).contains(&framing) || rng.chance(1, 30) };
    if te {
        let count = if rng.chance(1, 10) { 2 } else { 1 };
        for i in 0..count {
            let mut l = Vec::new();
            let name = if rng.chance(1, 4) { case_variant(rng, b"Transfer-Encoding") } else { b"Transfer-Encoding".to_vec() };
            let value = match (clean, i) {
                (false, _) => transfer_encoding(rng),
                (true, 0) => rng.pick(&[&b"chunked"[..], b"Chunked", b" , chunked ,", b", chunked", b"chunked,"]).to_vec(),
                (true, _) => rng.pick(&[&b""[..], b",", b" , "]).to_vec(),
            };
            field(&mut l, &name, &value, rng);
            lines.push(l);
        }
        body = chunked_body(rng);
    }
    if rng.chance(1, 4) {
        let mut l = Vec::new();
        let name = if rng.chance(1, 4) { case_variant(rng, b"Connection") } else { b"Connection".to_vec() };
        let value = if clean {
            rng.pick(&[&b"close"[..], b"keep-alive", b"Keep-Alive", b"a, b", b" , close ,", b"", b"x-y_z, keep-alive"])
                .to_vec()
        } else {
            connection(rng)
        };
        field(&mut l, &name, &value, rng);
        lines.push(l);
    }
    for _ in 0..rng.len(12) {
        let mut l = Vec::new();
        let mut n = field_name(rng);
        while clean && [&b"host"[..], b"content-length", b"transfer-encoding", b"connection"]
            .contains(&n.to_ascii_lowercase().as_slice())
        {
            n = field_name(rng);
        }
        let v = field_value(rng);
        field(&mut l, &n, &v, rng);
        lines.push(l);
    }
    for i in (1..lines.len()).rev() {
        let j = rng.below(i + 1);
        lines.swap(i, j);
    }
    for l in lines {
        out.extend_from_slice(&l);
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&body);
    if rng.chance(1, 10) {
        out.extend_from_slice(b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
    }
    out
}

// ---- Chunked bodies ------------------------------------------------------------------------

fn bws(rng: &mut Rng) -> &'static [u8] {
    rng.pick_bytes(&[b"", b"", b"", b"", b" ", b"\t", b" \t "])
}

fn quoted_string(rng: &mut Rng, out: &mut Vec<u8>) {
    out.push(b'"');
    for _ in 0..rng.len(12) {
        match rng.below(12) {
            0 => {
                out.push(b'\\');
                out.push(*rng.pick(b"\"\\ \ta\x80~"));
            }
            1 => out.push(*rng.pick(b" \t\x80\xff!#[]~")),
            _ => out.push(*rng.pick(PCHAR)),
        }
    }
    out.push(b'"');
}

fn chunk_ext(rng: &mut Rng, out: &mut Vec<u8>) {
    for _ in 0..rng.below(3) {
        out.extend_from_slice(bws(rng));
        out.push(b';');
        out.extend_from_slice(bws(rng));
        let n = rng.range(1, 10);
        push_from(out, rng, TCHAR, n);
        if rng.chance(1, 2) {
            out.extend_from_slice(bws(rng));
            out.push(b'=');
            out.extend_from_slice(bws(rng));
            if rng.chance(1, 2) {
                quoted_string(rng, out);
            } else {
                let n = rng.range(1, 10);
                push_from(out, rng, TCHAR, n);
            }
        }
    }
}

fn hex_size(rng: &mut Rng, size: u64) -> Vec<u8> {
    let mut s = Vec::new();
    let zeros = if rng.chance(1, 6) { rng.len(20) } else { 0 };
    s.extend(std::iter::repeat_n(b'0', zeros));
    let digits = if rng.chance(1, 2) { format!("{size:x}") } else { format!("{size:X}") };
    s.extend_from_slice(digits.as_bytes());
    s
}

/// A chunked body, mostly valid, sometimes with bytes after it.
pub fn chunked_body(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rng.len(6) {
        let size = match rng.below(20) {
            0 => rng.range(100, 700),
            1 => 1,
            _ => rng.range(1, 40),
        } as u64;
        out.extend_from_slice(&hex_size(rng, size));
        if rng.chance(1, 3) {
            chunk_ext(rng, &mut out);
        }
        out.extend_from_slice(b"\r\n");
        for _ in 0..size {
            out.push(if rng.chance(1, 10) { *rng.pick(b"\r\n\x000\xff;") } else { *rng.pick(ALPHA) });
        }
        out.extend_from_slice(b"\r\n");
    }
    let zeros = rng.range(1, 3);
    out.extend(std::iter::repeat_n(b'0', zeros));
    if rng.chance(1, 4) {
        chunk_ext(rng, &mut out);
    }
    out.extend_from_slice(b"\r\n");
    for _ in 0..rng.len(3) {
        let n = rng.range(1, 12);
        push_from(&mut out, rng, TCHAR, n);
        out.push(b':');
        let v = field_value(rng);
        out.extend_from_slice(&v);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if rng.chance(1, 8) {
        out.extend_from_slice(b"GET / HTTP/1.1\r\n");
    }
    out
}

/// Chunk sizes near the limits: many digits, overflow, huge values.
pub fn chunked_edge(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    match rng.below(5) {
        0 => out.extend_from_slice(b"ffffffffffffffff"),
        1 => out.extend_from_slice(b"10000000000000000"),
        2 => out.extend_from_slice(b"fffffffffffffff"),
        3 => {
            let n = rng.range(14, 20);
            push_from(&mut out, rng, HEX, n);
        }
        _ => {
            let n = rng.range(15, 40);
            out.extend(std::iter::repeat_n(b'0', n));
            out.push(*rng.pick(HEX));
        }
    }
    if rng.chance(1, 2) {
        chunk_ext(rng, &mut out);
    }
    out.extend_from_slice(b"\r\nabc\r\n0\r\n\r\n");
    out
}

// ---- Mutations -----------------------------------------------------------------------------

fn line_starts(buf: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(buf.iter().enumerate().filter(|&(_, &b)| b == b'\n').map(|(i, _)| i + 1));
    v.retain(|&i| i == 0 || i < buf.len());
    v
}

/// Applies one to four random edits, splicing from `donor` sometimes.
pub fn mutate(rng: &mut Rng, buf: &mut Vec<u8>, donor: &[u8]) {
    for _ in 0..rng.range(1, 4) {
        let len = buf.len();
        let at = rng.below(len + 1);
        match rng.below(16) {
            0 if at < len => buf[at] = rng.byte(),
            1 if at < len => buf[at] ^= 1 << rng.below(8),
            2 | 3 => buf.insert(at, *rng.pick(SPECIAL)),
            4 => buf.insert(at, 0x80 + rng.below(128) as u8),
            5 if at < len => {
                let n = rng.range(1, 4).min(len - at);
                buf.drain(at..at + n);
            }
            6 => {
                // Duplicate the line holding `at`.
                let starts = line_starts(buf);
                let Some(&s) = starts.iter().rev().find(|&&s| s <= at) else { continue };
                let e = buf[s..].iter().position(|&b| b == b'\n').map_or(len, |i| s + i + 1);
                let l = buf[s..e].to_vec();
                buf.splice(s..s, l);
            }
            7 => buf.truncate(at),
            8 => {
                // Change the case of a field name.
                let starts = line_starts(buf);
                let s = *rng.pick(&starts);
                let mut i = s;
                while i < buf.len() && buf[i] != b':' && buf[i] != b'\n' {
                    if buf[i].is_ascii_alphabetic() && rng.chance(1, 2) {
                        buf[i] ^= 0x20;
                    }
                    i += 1;
                }
            }
            9 => {
                // CRLF to LF, LF to CRLF, CR removed or added.
                let lfs: Vec<usize> = buf.iter().enumerate().filter(|&(_, &b)| b == b'\n').map(|(i, _)| i).collect();
                if lfs.is_empty() {
                    continue;
                }
                let i = *rng.pick(&lfs);
                if i > 0 && buf[i - 1] == b'\r' {
                    buf.remove(i - 1);
                } else {
                    buf.insert(i, b'\r');
                }
            }
            10 => {
                let starts = line_starts(buf);
                let s = *rng.pick(&starts);
                buf.insert(s.min(buf.len()), *rng.pick(b" \t"));
            }
            11 if !donor.is_empty() => {
                let a = rng.below(donor.len());
                let b = a + rng.below(donor.len() - a + 1).min(40);
                let end = (at + rng.below(8)).min(len);
                buf.splice(at..end, donor[a..b].iter().copied());
            }
            12 => {
                // Swap two lines.
                let starts = line_starts(buf);
                if starts.len() < 3 {
                    continue;
                }
                let i = rng.below(starts.len() - 1);
                let (s, m) = (starts[i], starts[i + 1]);
                let e = buf[m..].iter().position(|&b| b == b'\n').map_or(len, |k| m + k + 1);
                let (first, second) = (buf[s..m].to_vec(), buf[m..e].to_vec());
                buf.splice(s..e, second.into_iter().chain(first));
            }
            13 if at < len => {
                // Repeat a byte, to make long runs.
                let n = rng.range(2, 40);
                let b = buf[at];
                buf.splice(at..at, std::iter::repeat_n(b, n));
            }
            14 => {
                let n = rng.range(1, 4);
                let bytes = from_pool(rng, b"\r\n \t:;,=\"0aZ\x00\x7f\x80", n);
                buf.splice(at..at, bytes);
            }
            _ => {
                let s = from_pool(rng, TCHAR, 1);
                buf.insert(at, s[0]);
            }
        }
    }
}

/// Random bytes, from the whole byte range or from grammar-heavy pools.
pub fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    let n = rng.len(200);
    match rng.below(3) {
        0 => (0..n).map(|_| rng.byte()).collect(),
        1 => from_pool(rng, b"GET /HTTP1.\r\n: \tHost0;=\"chunked", n),
        _ => {
            let mut v = b"GET / HTTP/1.1\r\n".to_vec();
            push_from(&mut v, rng, b"Host:a \t\r\n\x80\x00,;=0123456789abcdefChunked-Length", n);
            v
        }
    }
}
