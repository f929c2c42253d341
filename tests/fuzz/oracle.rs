//! httparse as an oracle, and the named exceptions: the exact conditions under which mote may
//! refuse a head that httparse accepts, because RFC 9112/9110 let (or make) a server refuse
//! what httparse, a lenient parser, lets through. Each predicate is computed from httparse's
//! parse and the raw bytes with the judge's grammar in `rfc`, never from mote's own code.

use super::rfc::{self, Bounds};

/// httparse's view of a complete head.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub method: Vec<u8>,
    /// httparse's `path`: the whole request target.
    pub target: Vec<u8>,
    pub minor: u8,
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
    pub len: usize,
}

#[derive(Debug, Clone)]
pub enum Hp {
    Complete(Parsed),
    Partial,
    Error(httparse::Error),
}

pub fn httparse_request(buf: &[u8]) -> Hp {
    // More header slots than the buffer can hold lines, so TooManyHeaders never happens.
    let slots = buf.iter().filter(|&&b| b == b'\n').count() + 1;
    let mut headers = vec![httparse::EMPTY_HEADER; slots];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => Hp::Complete(Parsed {
            method: req.method.unwrap_or_default().as_bytes().to_vec(),
            target: req.path.unwrap_or_default().as_bytes().to_vec(),
            minor: req.version.unwrap_or(9),
            // httparse drops OWS before the value and SP/HTAB/CR/LF after it; trimming OWS
            // again states the comparison rule (values compare without surrounding OWS).
            fields: req.headers.iter().map(|h| (h.name.as_bytes().to_vec(), rfc::trim(h.value).to_vec()))
                .collect(),
            len,
        }),
        Ok(httparse::Status::Partial) => Hp::Partial,
        Err(e) => Hp::Error(e),
    }
}

/// A condition under which mote may refuse a head httparse accepts.
pub struct Exception {
    pub name: &'static str,
    /// The rule that allows or requires the refusal.
    pub rfc: &'static str,
    /// The status codes mote may answer with under this exception, the one it should give first.
    pub codes: &'static [u16],
    pub applies: fn(&Ctx) -> bool,
}

/// What the predicates look at.
pub struct Ctx<'a> {
    pub head: &'a [u8],
    pub p: &'a Parsed,
    pub bounds: Bounds,
}

impl Ctx<'_> {
    fn values(&self, name: &str) -> Vec<&[u8]> {
        self.p.fields.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes())).map(|(_, v)| v.as_slice())
            .collect()
    }

    fn lengths(&self) -> Vec<&[u8]> {
        self.values("content-length")
    }

    /// The Content-Length values that are 1*DIGIT, as digit strings without leading zeros.
    fn length_digits(&self) -> Vec<&[u8]> {
        self.lengths()
            .into_iter()
            .filter(|v| !v.is_empty() && v.iter().all(u8::is_ascii_digit))
            .map(|v| {
                let z = v.iter().take_while(|&&d| d == b'0').count();
                &v[z..]
            })
            .collect()
    }
}

fn u64_of(digits: &[u8]) -> Option<u64> {
    std::str::from_utf8(digits).ok()?.parse().ok().or(if digits.is_empty() { Some(0) } else { None })
}

pub const EXCEPTIONS: &[Exception] = &[
    Exception {
        name: "bare LF line terminator",
        rfc: "RFC 9112 §2.2: lines end in CRLF; a recipient MAY (not must) accept a lone LF",
        codes: &[400],
        applies: |c| c.head.iter().enumerate().any(|(i, &b)| b == b'\n' && (i == 0 || c.head[i - 1] != b'\r')),
    },
    Exception {
        name: "method not implemented",
        rfc: "RFC 9110 §9.1, §15.6.2: an unrecognized or unimplemented method SHOULD get 501",
        codes: &[501],
        applies: |c| !rfc::METHODS.contains(&c.p.method.as_slice()) && c.p.method.len() <= 64,
    },
    Exception {
        name: "method longer than 64 bytes",
        rfc: "RFC 9112 §3: a method longer than any implemented SHOULD get 501; mote caps the \
              token at 64 bytes and answers 400 past them",
        codes: &[400],
        applies: |c| c.p.method.len() > 64,
    },
    Exception {
        name: "target with '#' or non-ASCII bytes",
        rfc: "RFC 9112 §3.2: request-target has no fragment (RFC 3986 §3.5) and is ASCII (RFC 3986 §2)",
        codes: &[400],
        applies: |c| c.p.target.iter().any(|&b| b == b'#' || b >= 0x80),
    },
    Exception {
        name: "target characters outside RFC 3986 path and query",
        rfc: "RFC 9112 §3.2: origin-form = absolute-path [\"?\" query]; RFC 3986 §3.3-§3.4: path and \
              query are pchar (unreserved / pct-encoded / sub-delims / \":\" / \"@\"), '/' and '?'; \
              §2.1: '%' starts \"%\" HEXDIG HEXDIG; an invalid request-line gets 400 (RFC 9112 §3)",
        codes: &[400],
        applies: |c| {
            rfc::target(&c.p.method, &c.p.target, false).is_none()
                && rfc::target(&c.p.method, &c.p.target, true).is_some()
        },
    },
    Exception {
        name: "target in no form served",
        rfc: "RFC 9112 §3.2 (origin-, absolute-, authority- (CONNECT only, §3.2.3) or asterisk-form \
              (OPTIONS only, §3.2.4)); RFC 9110 §4.2.1 (http(s) needs a non-empty host), §4.2.4 \
              (userinfo is an error), §7.4 (other schemes are not this server's)",
        codes: &[400],
        applies: |c| rfc::target(&c.p.method, &c.p.target, true).is_none(),
    },
    Exception {
        name: "target longer than max_target",
        rfc: "RFC 9112 §3: a target longer than the server will parse MUST get 414",
        codes: &[414],
        applies: |c| c.p.target.len() > c.bounds.max_target,
    },
    Exception {
        name: "Host missing or repeated",
        rfc: "RFC 9112 §3.2: an HTTP/1.1 request without Host, or any request with more than one \
              Host line, MUST get 400",
        codes: &[400],
        applies: |c| {
            let n = c.values("host").len();
            n > 1 || (n == 0 && c.p.minor == 1)
        },
    },
    Exception {
        name: "Host value invalid",
        rfc: "RFC 9112 §3.2: a Host with an invalid value MUST get 400; Host = uri-host [\":\" port] \
              (RFC 9110 §7.2, RFC 3986 §3.2.2), host non-empty for http(s) (RFC 9110 §4.2.1)",
        codes: &[400],
        applies: |c| c.values("host").iter().any(|v| !rfc::host_port(v)),
    },
    Exception {
        name: "',' in the reg-name of Host or target authority",
        rfc: "RFC 9110 §5.3: a comma-joined value stands for several field lines, and several Host \
              lines MUST get 400 (RFC 9112 §3.2); mote reads the target's authority by the same rule",
        codes: &[400],
        applies: |c| c.values("host").iter().any(|v| rfc::reg_name_comma(v))
            || rfc::authority(&c.p.target).is_some_and(rfc::reg_name_comma),
    },
    Exception {
        name: "Content-Length not 1*DIGIT",
        rfc: "RFC 9110 §8.6: Content-Length = 1*DIGIT (a list of equal values MAY be refused); RFC \
              9112 §6.3 ¶5: an invalid Content-Length is an unrecoverable framing error (400)",
        codes: &[400],
        applies: |c| c.lengths().iter().any(|v| v.is_empty() || !v.iter().all(u8::is_ascii_digit)),
    },
    Exception {
        name: "Content-Length values disagree",
        rfc: "RFC 9112 §6.3 ¶5, RFC 9110 §8.6: differing Content-Length values are invalid framing",
        codes: &[400],
        applies: |c| c.length_digits().windows(2).any(|w| w[0] != w[1]),
    },
    Exception {
        name: "Content-Length beyond u64",
        rfc: "RFC 9110 §8.6: recipients must guard against integer overflow (refused as 400)",
        codes: &[400],
        applies: |c| c.length_digits().iter().any(|d| u64_of(d).is_none()),
    },
    Exception {
        name: "Content-Length over max_body",
        rfc: "RFC 9110 §15.5.14: content larger than the server will process gets 413",
        codes: &[413],
        applies: |c| c.length_digits().iter().any(|d| u64_of(d).is_some_and(|n| n > c.bounds.max_body)),
    },
    Exception {
        name: "Content-Length with Transfer-Encoding",
        rfc: "RFC 9112 §6.1: a server MAY reject a request with both (400)",
        codes: &[400],
        applies: |c| !c.lengths().is_empty() && !c.values("transfer-encoding").is_empty(),
    },
    Exception {
        name: "Transfer-Encoding in HTTP/1.0",
        rfc: "RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing",
        codes: &[400],
        applies: |c| c.p.minor == 0 && !c.values("transfer-encoding").is_empty(),
    },
    Exception {
        name: "Transfer-Encoding not ending in one chunked",
        rfc: "RFC 9112 §6.3 ¶4: a final coding other than chunked MUST get 400 (the length cannot \
              be determined); §7: chunked MUST NOT be applied more than once; a Transfer-Encoding \
              that is not a list of transfer codings (§7) has no final coding either",
        codes: &[400],
        applies: |c| {
            let te = c.values("transfer-encoding");
            !te.is_empty() && rfc::te_refusal(&te) == Some(400)
        },
    },
    Exception {
        name: "Transfer-Encoding with a coding not implemented before a final chunked",
        rfc: "RFC 9112 §6.1: a transfer coding the server does not understand SHOULD get 501 (here \
              another coding, or a parameter of chunked, which defines none)",
        codes: &[501],
        applies: |c| {
            let te = c.values("transfer-encoding");
            !te.is_empty() && rfc::te_refusal(&te) == Some(501)
        },
    },
    Exception {
        name: "Connection option not a token",
        rfc: "RFC 9110 §7.6.1: Connection = #connection-option, connection-option = token",
        codes: &[400],
        applies: |c| c.values("connection").iter().flat_map(|v| rfc::elements(v)).any(|o| !rfc::token(o)),
    },
    Exception {
        name: "expectation other than 100-continue",
        rfc: "RFC 9110 §10.1.1: a server MAY answer an Expect it does not understand with 417 (an \
              HTTP/1.0 request's expectations are ignored)",
        codes: &[417],
        applies: |c| c.p.minor == 1
            && c.values("expect").iter().any(|v| !v.is_empty() && !v.eq_ignore_ascii_case(b"100-continue")),
    },
    Exception {
        name: "more empty lines before the request line than mote ignores",
        rfc: "RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request \
              line; mote ignores up to 64 and answers 400 past them",
        codes: &[400],
        applies: |c| rfc::empty_lines(c.head) / 2 > rfc::MAX_EMPTY_LINES,
    },
    Exception {
        name: "head longer than max_head",
        rfc: "RFC 6585 §5: header fields larger than the server will process get 431 (empty lines \
              before the request line do not count)",
        codes: &[431],
        applies: |c| c.p.len - rfc::empty_lines(c.head) > c.bounds.max_head,
    },
];

/// The exceptions that apply to a head httparse accepted.
pub fn applicable(ctx: &Ctx) -> Vec<&'static Exception> {
    EXCEPTIONS.iter().filter(|e| (e.applies)(ctx)).collect()
}

/// Explains a buffer that mote still finds a valid prefix while httparse already refuses it.
/// The only known case: httparse refuses a version other than HTTP/1.x as soon as its bytes
/// show it, while mote waits for the whole `HTTP/DIGIT.DIGIT` and its CR to answer 505
/// (RFC 9110 §15.6.6).
pub fn early_version_refusal(buf: &[u8]) -> bool {
    let mut p = 0;
    while buf[p..].starts_with(b"\r\n") {
        p += 2;
    }
    let line = &buf[p..];
    let mut parts = line.splitn(3, |&b| b == b' ');
    let (Some(_), Some(_), Some(version)) = (parts.next(), parts.next(), parts.next()) else { return false };
    // HTTP/1.2 to HTTP/1.9 are served as HTTP/1.1: mote waits for the rest of such a head.
    let version = version.split(|&b| b == b'\r').next().unwrap_or(version);
    if version.len() > 8 {
        return false;
    }
    let pattern = b"HTTP/#.#";
    let fits = version.iter().zip(pattern).all(|(&b, &want)| if want == b'#' { b.is_ascii_digit() } else { b == want });
    // httparse: "HTTP/1." on a short version, exactly HTTP/1.0 or HTTP/1.1 once eight bytes are in.
    let httparse_fits = if version.len() < 8 {
        version.iter().zip(b"HTTP/1.").all(|(a, b)| a == b)
    } else {
        version == b"HTTP/1.0" || version == b"HTTP/1.1"
    };
    fits && !httparse_fits
}

/// Where the minor version digit of an `HTTP/1.2` to `HTTP/1.9` request line is, if it is one.
pub fn higher_minor(buf: &[u8]) -> Option<usize> {
    let p = rfc::empty_lines(buf);
    let line_end = buf[p..].iter().position(|&b| b == b'\r')? + p;
    let line = &buf[p..line_end];
    let sp = line.iter().rposition(|&b| b == b' ')?;
    match &line[sp + 1..] {
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', b'2'..=b'9'] => Some(p + sp + 8),
        _ => None,
    }
}
