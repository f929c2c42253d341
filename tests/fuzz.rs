//! Differential fuzzing of the request parser and the chunked decoder, as a stable property
//! test with a fixed seed.
//!
//! Two targets run as two tests (in parallel under the default harness):
//!
//! - `parser`: `parse::parse_head` with the scalar and the SSE4.2 scanners, against httparse and
//!   against an independent judge written from the RFC grammar (`fuzz/rfc.rs`). httparse is
//!   lenient, so mote may refuse what it accepts only under a named exception citing the RFC
//!   (`fuzz/oracle.rs`); whatever mote accepts must be valid to the judge, accepted by httparse
//!   with the same method, target, version, fields and length, and every prefix of it must be
//!   `Partial`.
//! - `chunked`: `chunked::decode` against a reference state machine (`fuzz/chunk.rs`) on the
//!   whole input and on random prefixes, with httparse's `parse_chunk_size` as a second oracle
//!   on every size line.
//!
//! Inputs are structured requests and bodies, mutations of them and random bytes
//! (`fuzz/inputs.rs`). `MOTE_FUZZ_SEED` sets the seed (decimal or 0x-hex), `MOTE_FUZZ_ITERS`
//! the number of inputs per target; without them a short fixed-seed pass runs. A disagreement
//! fails the test with the input (and a minimized one) as an escaped byte string.

#[path = "fuzz/chunk.rs"]
mod chunk;
#[path = "fuzz/inputs.rs"]
mod inputs;
#[path = "fuzz/oracle.rs"]
mod oracle;
#[path = "fuzz/rfc.rs"]
mod rfc;
#[path = "fuzz/rng.rs"]
mod rng;

use std::collections::BTreeMap;
use std::time::Instant;

use mote::http1::chunked::{self, Chunked};
use mote::http1::body::{self, Body};
use mote::http1::head::{self as parse, Framing, Head, Limits, Method, Request, Version};
use mote::http1::scan::{self, Scanner};

use oracle::Hp;
use rfc::{Bounds, Frame};
use rng::Rng;

const DEFAULT_SEED: u64 = 0x6D6F_7465_F022_2025;
/// Inputs per target in the short pass (`make test`).
const SHORT_PARSER_ITERS: u64 = 300_000;
const SHORT_CHUNKED_ITERS: u64 = 400_000;

const LIMITS: Limits = Limits { max_head: 8192, max_target: 4096, max_body: 1 << 20 };

// ---- Set-up and reporting ------------------------------------------------------------------

struct Config {
    seed: u64,
    iters: u64,
    long: bool,
}

fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim().replace('_', "");
    if v.is_empty() {
        return None;
    }
    let parsed = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

fn config(short_iters: u64) -> Config {
    let seed = env_number("MOTE_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    match env_number("MOTE_FUZZ_ITERS") {
        Some(iters) => Config { seed, iters, long: true },
        None => Config { seed, iters: short_iters, long: false },
    }
}

#[derive(Default)]
struct Stats(BTreeMap<String, u64>);

impl Stats {
    fn add(&mut self, key: impl Into<String>) {
        *self.0.entry(key.into()).or_insert(0) += 1;
    }

    fn get(&self, key: &str) -> u64 {
        self.0.get(key).copied().unwrap_or(0)
    }

    fn print(&self, target: &str, cfg: &Config, execs: u64, started: Instant) {
        let secs = started.elapsed().as_secs_f64();
        let mut out = format!(
            "fuzz {target}: {execs} inputs, seed {:#x}, {:.1} s ({:.0} inputs/s){}\n",
            cfg.seed,
            secs,
            execs as f64 / secs.max(1e-9),
            if cfg.long { "" } else { " [short fixed-seed pass]" }
        );
        for (k, v) in &self.0 {
            out.push_str(&format!("  {v:>10}  {k}\n"));
        }
        print!("{out}");
    }
}

struct Failure {
    kind: String,
    detail: String,
}

fn fail<T>(kind: impl Into<String>, detail: impl Into<String>) -> Result<T, Failure> {
    Err(Failure { kind: kind.into(), detail: detail.into() })
}

fn show(buf: &[u8]) -> String {
    format!("b\"{}\"", buf.escape_ascii())
}

/// Removes byte ranges from a failing input while it still fails with the same kind.
fn minimize(input: &[u8], kind: &str, check: &dyn Fn(&[u8]) -> Option<String>) -> Vec<u8> {
    let mut cur = input.to_vec();
    let mut width = cur.len().div_ceil(2).max(1);
    let mut budget = 20_000;
    loop {
        let mut i = 0;
        let mut progress = false;
        while i < cur.len() && budget > 0 {
            let mut cand = cur.clone();
            cand.drain(i..(i + width).min(cur.len()));
            budget -= 1;
            if check(&cand).as_deref() == Some(kind) {
                cur = cand;
                progress = true;
            } else {
                i += width;
            }
        }
        if budget == 0 || (width == 1 && !progress) {
            return cur;
        }
        if !progress {
            width = width.div_ceil(2);
        }
    }
}

/// A seed derived from the input, so that a check samples the same prefixes every time it
/// sees the same bytes (the minimizer relies on it).
fn input_rng(buf: &[u8], salt: u64) -> Rng {
    let mut h = 0xCBF2_9CE4_8422_2325u64 ^ salt;
    for &b in buf {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3);
    }
    Rng::new(h)
}

// ---- The parser target ---------------------------------------------------------------------

struct Scanners {
    sse: Option<Scanner>,
}

impl Scanners {
    fn detect() -> Self {
        match scan::detect() {
            s @ Scanner::Sse42(_) => Scanners { sse: Some(s) },
            Scanner::Scalar => Scanners { sse: None },
        }
    }

    /// Parses with the scalar scanner and, when the CPU has it, the SSE4.2 one; they must agree.
    fn parse<'a>(&self, buf: &'a [u8], limits: &Limits) -> Result<Head<'a>, Failure> {
        let scalar = parse::parse_head(buf, Scanner::Scalar, limits);
        if let Some(sse) = self.sse {
            let fast = parse::parse_head(buf, sse, limits);
            if fast != scalar {
                return fail("scalar and SSE4.2 scanners disagree", format!("on {}\nscalar {scalar:?}\nsse4.2 {fast:?}",
                    show(buf)));
            }
        }
        Ok(scalar)
    }
}

fn method_bytes(m: Method) -> &'static [u8] {
    match m {
        Method::Get => b"GET",
        Method::Head => b"HEAD",
        Method::Post => b"POST",
        Method::Options => b"OPTIONS",
    }
}

fn minor(v: Version) -> u8 {
    match v {
        Version::Http10 => 0,
        Version::Http11 => 1,
    }
}

fn headers_of<'a>(buf: &'a [u8], req: &Request<'a>) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut v = Vec::new();
    parse::for_each_header(buf, req, &mut |n, val| v.push((n.to_vec(), val.to_vec())));
    v
}

fn show_fields(f: &[(Vec<u8>, Vec<u8>)]) -> String {
    f.iter().map(|(n, v)| format!("{}: {}", show(n), show(v))).collect::<Vec<_>>().join(", ")
}

/// What mote accepted, against the judge's reading.
fn compare_with_judge(buf: &[u8], req: &Request, v: &rfc::Valid) -> Result<(), Failure> {
    let frame = match req.framing {
        Framing::None => Frame::None,
        Framing::Length(n) => Frame::Length(n),
        Framing::Chunked => Frame::Chunked,
    };
    let got = (method_bytes(req.method), req.target, req.path, req.query, minor(req.version), frame,
        req.keep_alive, req.head_len);
    let want = (&v.method[..], &v.target[..], &v.path[..], &v.query[..], v.minor, v.frame, v.keep_alive,
        v.head_len);
    if got != want {
        return fail("mote and the RFC judge read the head differently", format!(
            "mote:  method {} target {} path {} query {} minor {} {:?} keep-alive {} head_len {}\n\
             judge: method {} target {} path {} query {} minor {} {:?} keep-alive {} head_len {}",
            show(got.0), show(got.1), show(got.2), show(got.3), got.4, got.5, got.6, got.7,
            show(want.0), show(want.1), show(want.2), show(want.3), want.4, want.5, want.6, want.7));
    }
    let fields = headers_of(buf, req);
    if fields != v.fields {
        return fail("for_each_header differs from the RFC judge", format!(
            "mote:  {}\njudge: {}", show_fields(&fields), show_fields(&v.fields)));
    }
    Ok(())
}

/// What mote accepted, against httparse.
fn compare_with_httparse(buf: &[u8], req: &Request, hp: &Hp) -> Result<(), Failure> {
    // httparse refuses HTTP/1.2 to HTTP/1.9, which mote serves as HTTP/1.1 (RFC 9110 §2.5):
    // compare with httparse's reading of the same head as HTTP/1.1.
    let patched;
    let hp = match (hp, oracle::higher_minor(buf)) {
        (Hp::Error(httparse::Error::Version), Some(at)) => {
            let mut b = buf.to_vec();
            b[at] = b'1';
            patched = oracle::httparse_request(&b);
            &patched
        }
        _ => hp,
    };
    let Hp::Complete(p) = hp else {
        return fail("mote accepts a head httparse does not", format!("mote {req:?}\nhttparse {hp:?}"));
    };
    let fields = headers_of(buf, req);
    let same = p.method == method_bytes(req.method)
        && p.target == req.target
        && p.minor == minor(req.version)
        && p.len == req.head_len
        && p.fields == fields;
    if !same {
        return fail("mote and httparse read an accepted head differently", format!(
            "mote:     method {} target {} minor {} len {} fields [{}]\n\
             httparse: method {} target {} minor {} len {} fields [{}]",
            show(method_bytes(req.method)), show(req.target), minor(req.version), req.head_len,
            show_fields(&fields), show(&p.method), show(&p.target), p.minor, p.len, show_fields(&p.fields)));
    }
    Ok(())
}

/// Prefixes of `buf` give `Partial` until the result is settled, then the same result: a
/// complete head at `head_len`, an error as soon as the bytes prove it.
fn check_prefixes(sc: &Scanners, buf: &[u8], full: &Head, limits: &Limits, rng: &mut Rng) -> Result<(), Failure> {
    let mut cuts = vec![0, buf.len().saturating_sub(1), rng.below(buf.len() + 1), rng.below(buf.len() + 1)];
    if let Head::Complete(req) = full {
        cuts.push(req.head_len.saturating_sub(1));
        cuts.push(rng.below(req.head_len + 1));
    }
    if let Head::Complete(req) = full {
        // Now and then, every prefix of an accepted head.
        if rng.chance(1, 16) {
            cuts.extend(0..req.head_len);
        }
    }
    for k in cuts {
        let k = k.min(buf.len());
        let r = sc.parse(&buf[..k], limits)?;
        let ok = match (full, &r) {
            (_, Head::Partial) => !matches!(full, Head::Complete(q) if k >= q.head_len),
            (Head::Complete(q), Head::Complete(p)) => k >= q.head_len && p == q,
            (Head::Error(e), Head::Error(f)) => e == f,
            _ => false,
        };
        if !ok {
            return fail("a prefix breaks stability", format!("whole input: {full:?}\nfirst {k} bytes: {r:?}"));
        }
    }
    Ok(())
}

/// The parser resumed across reads split at random points (as a connection feeds it: the
/// empty lines dropped first, then the head's bytes so far each time) settles on the same result
/// as one call on the whole buffer.
fn check_pieces(sc: &Scanners, buf: &[u8], full: &Head, limits: &Limits, rng: &mut Rng, stats: &mut Stats)
    -> Result<(), Failure> {
    let scanners = std::iter::once(Scanner::Scalar).chain(sc.sse);
    for scan in scanners {
        let mut seen = 0;
        let got = match parse::skip_empty_lines(buf, &mut seen) {
            Err(e) => Head::Error(e),
            Ok(lead) if buf.get(lead).is_none_or(|&b| b == b'\r') => Head::Partial,
            Ok(lead) => {
                // The quick pass, where it answers, agrees with the parser on the same bytes.
                let rest = &buf[lead..];
                if let Some(q) = parse::quick(rest, scan, limits) {
                    let general = parse::Parser::new().advance(rest, scan, limits);
                    if general != Head::Complete(q) {
                        return fail("the quick pass disagrees with the parser", format!("{} scanner\n\
                            quick: {q:?}\nparser: {general:?}", scan.name()));
                    }
                    stats.add("quick pass agrees with the parser");
                }
                let mut parser = parse::Parser::new();
                let mut k = lead;
                let big = rng.chance(1, 2);
                loop {
                    k = (k + if big { rng.range(1, 200) } else { rng.range(1, 8) }).min(buf.len());
                    match parser.advance(&buf[lead..k], scan, limits) {
                        Head::Partial if k < buf.len() => {}
                        Head::Complete(req) => break Head::Complete(Request { head_len: req.head_len + lead, ..req }),
                        other => break other,
                    }
                }
            }
        };
        if got != *full {
            return fail("the parser resumed across splits disagrees with one call", format!("{} scanner\n\
                one call: {full:?}\nin pieces: {got:?}", scan.name()));
        }
    }
    Ok(())
}

/// Appending bytes after a settled result changes nothing.
fn check_suffix(sc: &Scanners, buf: &[u8], full: &Head, limits: &Limits, rng: &mut Rng) -> Result<(), Failure> {
    let keep = match full {
        Head::Complete(q) => q.head_len,
        Head::Error(_) => buf.len(),
        Head::Partial => return Ok(()),
    };
    let mut more = buf[..keep].to_vec();
    for _ in 0..rng.range(1, 24) {
        more.push(*rng.pick(b"\r\n \t:aZ0\x00\x80\xffGET /"));
    }
    let r = sc.parse(&more, limits)?;
    let ok = match (full, &r) {
        (Head::Complete(q), Head::Complete(p)) => {
            (q.method, q.target, q.path, q.query, q.version, q.framing, q.keep_alive, q.head_len)
                == (p.method, p.target, p.path, p.query, p.version, p.framing, p.keep_alive, p.head_len)
        }
        (Head::Error(e), Head::Error(f)) => e == f,
        _ => false,
    };
    if !ok {
        return fail("appending bytes changes a settled result", format!("before: {full:?}\nafter {}: {r:?}",
            show(&more[keep..])));
    }
    Ok(())
}

/// The body after an accepted head, framed by `parse_body`.
fn check_body(rest: &[u8], framing: Framing, limits: &Limits, stats: &mut Stats) -> Result<(), Failure> {
    match framing {
        Framing::None => Ok(()),
        Framing::Length(n) => {
            let mut data = Vec::new();
            let r = body::parse_body(rest, framing, limits, &mut |d: &[u8]| data.extend_from_slice(d));
            let want = if n > limits.max_body {
                Body::Error(parse::Error::PayloadTooLarge)
            } else if (rest.len() as u64) < n {
                Body::Partial
            } else {
                Body::Complete(n as usize)
            };
            if r != want || (matches!(r, Body::Complete(_)) && data != rest[..n as usize]) {
                return fail("Content-Length body framed wrongly", format!("got {r:?}, want {want:?}"));
            }
            stats.add("body: Content-Length framed");
            Ok(())
        }
        Framing::Chunked => {
            stats.add("body: chunked, checked by the chunked oracle");
            check_chunked(rest, limits.max_body, &mut Stats::default())
        }
    }
}

fn check_head(sc: &Scanners, buf: &[u8], limits: &Limits, stats: &mut Stats) -> Result<(), Failure> {
    let mut rng = input_rng(buf, limits.max_head as u64 ^ ((limits.max_target as u64) << 20) ^ limits.max_body << 40);
    let bounds = Bounds { max_head: limits.max_head, max_target: limits.max_target, max_body: limits.max_body };
    let head = sc.parse(buf, limits)?;
    let hp = oracle::httparse_request(buf);
    let judged = rfc::judge(buf, &bounds);
    match &head {
        Head::Complete(req) => {
            let v = match &judged {
                Ok(v) => v,
                Err(why) => return fail("mote accepts a head the RFC judge refuses", format!("judge: {why}\nmote: {req:?}")),
            };
            compare_with_judge(buf, req, v)?;
            compare_with_httparse(buf, req, &hp)?;
            check_body(&buf[req.head_len..], req.framing, limits, stats)?;
            stats.add("accepted by both");
        }
        Head::Error(e) => {
            if let Ok(v) = &judged {
                return fail("mote refuses a head the RFC judge accepts", format!("mote: {e:?}\njudge: {v:?}"));
            }
            match &hp {
                Hp::Complete(p) => {
                    let ctx = oracle::Ctx { head: &buf[..p.len], p, bounds };
                    let applicable = oracle::applicable(&ctx);
                    let code = e.code();
                    // Credited to an exception whose main code it is, else to one that allows it.
                    let primary = applicable.iter().find(|x| x.codes.first() == Some(&code));
                    match primary.or_else(|| applicable.iter().find(|x| x.codes.contains(&code))) {
                        Some(x) => stats.add(format!("refused only by mote ({code}): {}", x.name)),
                        None => {
                            let names: Vec<String> = applicable.iter().map(|x| format!("{} {:?}", x.name, x.codes)).collect();
                            return fail("mote refuses a head httparse accepts, and no exception explains it",
                                format!("mote: {e:?} ({code})\nhttparse: {p:?}\nexceptions that apply: [{}]",
                                    names.join("; ")));
                        }
                    }
                }
                Hp::Partial => stats.add(format!("refused by mote ({}), httparse still partial", e.code())),
                Hp::Error(_) => stats.add(format!("refused by both (mote {})", e.code())),
            }
        }
        Head::Partial => {
            if let Ok(v) = &judged {
                return fail("mote waits for more of a head the RFC judge finds complete", format!("judge: {v:?}"));
            }
            match &hp {
                Hp::Complete(p) => return fail("mote waits for more of a head httparse finds complete",
                    format!("httparse: {p:?}")),
                Hp::Partial => stats.add("partial for both"),
                Hp::Error(he) if oracle::early_version_refusal(buf) => {
                    stats.add(format!("partial for mote, httparse refuses early ({he:?}): version not HTTP/1.x yet"))
                }
                Hp::Error(he) => return fail("mote waits on bytes httparse already refuses, unexplained",
                    format!("httparse: {he:?}")),
            }
        }
    }
    check_prefixes(sc, buf, &head, limits, &mut rng)?;
    check_pieces(sc, buf, &head, limits, &mut rng, stats)?;
    check_suffix(sc, buf, &head, limits, &mut rng)
}

fn arena_seeds() -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/arena-requests");
    let mut v: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "raw"))
                .filter_map(|e| std::fs::read(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn pick_limits(rng: &mut Rng) -> Limits {
    if rng.chance(4, 5) {
        return LIMITS;
    }
    Limits {
        max_head: rng.range(8, 400),
        max_target: rng.range(1, 80),
        max_body: if rng.chance(1, 2) { rng.below(100) as u64 } else { LIMITS.max_body },
    }
}

#[test]
fn parser() {
    let cfg = config(SHORT_PARSER_ITERS);
    let sc = Scanners::detect();
    let seeds = arena_seeds();
    let mut rng = Rng::new(cfg.seed);
    let mut stats = Stats::default();
    if sc.sse.is_none() {
        stats.add("note: no SSE4.2 on this CPU, scalar scanner only");
    }
    let started = Instant::now();
    let mut last_report = Instant::now();
    for i in 0..cfg.iters {
        let limits = pick_limits(&mut rng);
        let (source, buf) = match rng.below(100) {
            0..=24 => ("structured, clean", inputs::request(&mut rng, true)),
            25..=44 => ("structured, wild", inputs::request(&mut rng, false)),
            45..=84 => {
                let clean = rng.chance(1, 2);
                let mut b = inputs::request(&mut rng, clean);
                let donor = inputs::request(&mut rng, false);
                inputs::mutate(&mut rng, &mut b, &donor);
                ("mutated", b)
            }
            85..=91 if !seeds.is_empty() => {
                let mut b = rng.pick(&seeds).clone();
                let donor = inputs::request(&mut rng, false);
                if rng.chance(3, 4) {
                    inputs::mutate(&mut rng, &mut b, &donor);
                }
                ("arena seed", b)
            }
            _ => ("random bytes", inputs::random_bytes(&mut rng)),
        };
        stats.add(format!("input: {source}"));
        if let Err(f) = check_head(&sc, &buf, &limits, &mut stats) {
            let again = |b: &[u8]| check_head(&sc, b, &limits, &mut Stats::default()).err().map(|f| f.kind);
            let small = minimize(&buf, &f.kind, &again);
            let detail = check_head(&sc, &small, &limits, &mut Stats::default()).err().map_or(String::new(), |f| f.detail);
            panic!(
                "parser: {}\n  seed {:#x}, input {i}, {limits:?}\n  input:     {}\n  minimized: {}\n{}\n\
                 (whole input: {})",
                f.kind, cfg.seed, show(&buf), show(&small), detail, f.detail
            );
        }
        if cfg.long && last_report.elapsed().as_secs() >= 30 {
            println!("fuzz parser: {} / {} inputs", i + 1, cfg.iters);
            last_report = Instant::now();
        }
    }
    stats.print("parser", &cfg, cfg.iters, started);
    println!("  exceptions (mote may refuse what httparse accepts):");
    for e in oracle::EXCEPTIONS {
        println!("    {} {:?}: {}", e.name, e.codes, e.rfc);
    }
    if cfg.iters >= 100_000 {
        // The pass must reach every outcome, or it proves little.
        for key in ["accepted by both", "partial for both"] {
            assert!(stats.get(key) > 100, "too few inputs '{key}'");
        }
        assert!(stats.0.keys().filter(|k| k.starts_with("refused only by mote")).count() >= 12,
            "too few exceptions exercised");
    }
}

// ---- The chunked target --------------------------------------------------------------------

fn check_chunked(buf: &[u8], max_body: u64, stats: &mut Stats) -> Result<(), Failure> {
    let decode = |b: &[u8]| {
        let mut data = Vec::new();
        let r = chunked::decode(b, max_body, &mut |d: &[u8]| data.extend_from_slice(d));
        (r, data)
    };
    let same = |m: Chunked, r: chunk::Outcome| match (m, r) {
        (Chunked::Complete(a), chunk::Outcome::Complete(b)) => a == b,
        (Chunked::Partial, chunk::Outcome::Partial) => true,
        (Chunked::Malformed, chunk::Outcome::Malformed) => true,
        (Chunked::TooLarge, chunk::Outcome::TooLarge) => true,
        _ => false,
    };
    let (m, data) = decode(buf);
    let r = chunk::decode(buf, max_body);
    if !same(m, r.outcome) {
        return fail("chunked decoder and reference disagree", format!("max_body {max_body}\nmote {m:?}\nreference {:?}", r.outcome));
    }
    match m {
        Chunked::Complete(_) if data != r.data => {
            return fail("chunked data differs from the reference", format!("mote {}\nreference {}", show(&data), show(&r.data)));
        }
        Chunked::Partial if !r.data.starts_with(&data) => {
            return fail("partial chunked data is not a prefix of the data so far", format!("mote {}\nreference {}",
                show(&data), show(&r.data)));
        }
        _ => {}
    }
    stats.add(format!("agree: {m:?}").replace(|c: char| c.is_ascii_digit(), "").replace("()", "(n)"));

    // The decoder fed in random pieces: the same outcome, the same data, the same end.
    let mut d = chunked::Decoder::new();
    let mut pieces_data = Vec::new();
    let mut at = 0;
    let streamed = loop {
        let n = (at + 1 + rng_len(buf, at)).min(buf.len());
        match d.feed(&buf[at..n], max_body, &mut |piece: &[u8]| pieces_data.extend_from_slice(piece)) {
            Ok(Some(used)) => break Chunked::Complete(at + used),
            Ok(None) if n < buf.len() => at = n,
            Ok(None) => break Chunked::Partial,
            Err(chunked::Refusal::Malformed) => break Chunked::Malformed,
            Err(chunked::Refusal::TooLarge) => break Chunked::TooLarge,
        }
    };
    if streamed != m || (matches!(m, Chunked::Complete(_) | Chunked::Partial) && pieces_data != data) {
        return fail("the chunked decoder fed in pieces disagrees with one call", format!("max_body {max_body}\n\
            one call {m:?} {}\nin pieces {streamed:?} {}", show(&data), show(&pieces_data)));
    }

    // Random splits: a prefix gives Partial until the result is settled, then the same result.
    let mut rng = input_rng(buf, max_body);
    for _ in 0..3 {
        let k = rng.below(buf.len() + 1);
        let (mk, _) = decode(&buf[..k]);
        let rk = chunk::decode(&buf[..k], max_body);
        let consistent = match (m, mk) {
            (Chunked::Complete(n), Chunked::Partial) => k < n,
            (Chunked::Complete(n), Chunked::Complete(j)) => k >= n && j == n,
            (_, Chunked::Partial) => true,
            (a, b) => a == b,
        };
        if !same(mk, rk.outcome) || !consistent {
            return fail("a split changes the chunked result", format!("max_body {max_body}\nwhole: mote {m:?}\n\
                first {k} bytes: mote {mk:?}, reference {:?}", rk.outcome));
        }
    }

    // httparse::parse_chunk_size on every size line the reference accepted...
    for line in &r.lines {
        let h = httparse::parse_chunk_size(&buf[line.start..]);
        match h {
            Ok(httparse::Status::Complete((used, size))) if used == line.end - line.start && size == line.size => {
                stats.add("size line: httparse agrees");
            }
            Err(_) if line.digits > 16 => stats.add("size line: httparse refuses more than 16 hex digits (its limit)"),
            other => {
                return fail("httparse reads an accepted size line differently", format!("line {}\nreference size {} \
                    ({} bytes)\nhttparse {other:?}", show(&buf[line.start..line.end]), line.size, line.end - line.start));
            }
        }
    }
    // ...and on the line where the reference found the body malformed, if any.
    if let Some(start) = r.failed_line {
        let line = &buf[start..];
        let line = &line[..line.iter().position(|&b| b == b'\r' || b == b'\n').unwrap_or(line.len())];
        match httparse::parse_chunk_size(&buf[start..]) {
            Ok(httparse::Status::Complete(_)) => {
                let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
                if digits == 0 {
                    stats.add("size line refused only by mote: no hex digits (RFC 9112 §7.1 chunk-size = 1*HEXDIG)");
                } else if line.contains(&b';') {
                    stats.add("size line refused only by mote: chunk-ext grammar (RFC 9112 §7.1.1), httparse skips extensions");
                } else if digits > 0 && line[digits..].iter().all(|&b| b == b' ' || b == b'\t') {
                    stats.add("size line refused only by mote: whitespace without an extension (RFC 9112 §7.1)");
                } else {
                    return fail("httparse accepts a size line the reference refuses, unexplained", format!("line {}",
                        show(line)));
                }
            }
            _ => stats.add("size line refused by both"),
        }
    }
    Ok(())
}

/// A piece length for the decoder, from the bytes at `at` (so a minimized input keeps its
/// splits): small pieces mostly, now and then a long one.
fn rng_len(buf: &[u8], at: usize) -> usize {
    let b = usize::from(buf.get(at).copied().unwrap_or(0));
    if b % 5 == 0 { b * 3 } else { b % 7 }
}

fn pick_max_body(rng: &mut Rng) -> u64 {
    match rng.below(20) {
        0..=13 => LIMITS.max_body,
        14..=16 => rng.below(100) as u64,
        17 | 18 => u64::MAX,
        _ => rng.next_u64() >> rng.below(64),
    }
}

#[test]
fn chunked() {
    let cfg = config(SHORT_CHUNKED_ITERS);
    let mut rng = Rng::new(cfg.seed ^ 0xC4C4_C4C4);
    let mut stats = Stats::default();
    let started = Instant::now();
    let mut last_report = Instant::now();
    for i in 0..cfg.iters {
        let max_body = pick_max_body(&mut rng);
        let (source, buf) = match rng.below(100) {
            0..=49 => ("structured", inputs::chunked_body(&mut rng)),
            50..=84 => {
                let mut b = inputs::chunked_body(&mut rng);
                let donor = inputs::chunked_body(&mut rng);
                inputs::mutate(&mut rng, &mut b, &donor);
                ("mutated", b)
            }
            85..=89 => ("size edge cases", inputs::chunked_edge(&mut rng)),
            _ => {
                let n = rng.len(120);
                let b = (0..n).map(|_| if rng.chance(1, 4) { rng.byte() } else { *rng.pick(b"0123456789aAfF;= \t\"\\\r\nxyz:") })
                    .collect();
                ("random bytes", b)
            }
        };
        stats.add(format!("input: {source}"));
        if let Err(f) = check_chunked(&buf, max_body, &mut stats) {
            let again = |b: &[u8]| check_chunked(b, max_body, &mut Stats::default()).err().map(|f| f.kind);
            let small = minimize(&buf, &f.kind, &again);
            let detail = check_chunked(&small, max_body, &mut Stats::default()).err().map_or(String::new(), |f| f.detail);
            panic!(
                "chunked: {}\n  seed {:#x}, input {i}, max_body {max_body}\n  input:     {}\n  minimized: {}\n{}\n\
                 (whole input: {})",
                f.kind, cfg.seed, show(&buf), show(&small), detail, f.detail
            );
        }
        if cfg.long && last_report.elapsed().as_secs() >= 30 {
            println!("fuzz chunked: {} / {} inputs", i + 1, cfg.iters);
            last_report = Instant::now();
        }
    }
    stats.print("chunked", &cfg, cfg.iters, started);
    if cfg.iters >= 100_000 {
        for key in ["agree: Complete(n)", "agree: Partial", "agree: Malformed", "agree: TooLarge"] {
            assert!(stats.get(key) > 100, "too few inputs '{key}'");
        }
    }
}

// ---- Sums near the limits ------------------------------------------------------------------

/// A value near a 64-bit edge, or a small one, or a long one, as query text.
fn edge_value(rng: &mut Rng) -> String {
    let big: i128 = match rng.below(6) {
        0 => i128::from(i64::MAX) - rng.below(4) as i128,
        1 => i128::from(i64::MIN) + rng.below(4) as i128,
        2 => (i128::from(i64::MAX) + 1) * if rng.chance(1, 2) { 1 } else { -1 } + rng.below(8) as i128 - 4,
        3 => rng.below(200) as i128 - 100,
        4 => (rng.next_u64() as i128) * if rng.chance(1, 2) { 1 } else { -1 },
        _ => 10i128.pow(37) * (rng.below(3) as i128 - 1) + rng.below(10) as i128,
    };
    let sign = if big < 0 { "-" } else if rng.chance(1, 8) { "+" } else { "" };
    let zeros = if rng.chance(1, 8) { "0".repeat(rng.range(1, 3)) } else { String::new() };
    format!("{sign}{zeros}{}", big.unsigned_abs())
}

/// The exact sum, by arbitrary-width arithmetic on the decimal strings (two i128 halves: the
/// terms here stay far below what could wrap them).
fn model_total(values: &[String]) -> Option<i64> {
    let mut total: i128 = 0;
    for v in values {
        let digits = v.trim_start_matches(['+', '-']).trim_start_matches('0');
        if digits.len() > 38 {
            return None;
        }
        let n: i128 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
        total = total.checked_add(if v.starts_with('-') { -n } else { n })?;
    }
    i64::try_from(total).ok()
}

/// `/baseline11` sums with terms at and past the 64-bit edges, in every order, and a body
/// term: the router against a model. Only the total must fit, and the answer is exact.
#[test]
fn sums_near_the_limits() {
    let cfg = config(100_000);
    let mut rng = Rng::new(cfg.seed ^ 0x5_0375);
    let mut fits = 0u64;
    for _ in 0..cfg.iters {
        let n = rng.range(1, 6);
        let mut values: Vec<String> = (0..n).map(|_| edge_value(&mut rng)).collect();
        // Now and then the negation of the running terms, so the total lands in range.
        if rng.chance(1, 3) {
            let partial: i128 = values.iter().filter_map(|v| v.parse::<i128>().ok()).sum();
            values.push((-partial + rng.below(9) as i128 - 4).to_string());
        }
        let body = rng.chance(1, 3).then(|| values.pop()).flatten();
        let query: String = values.iter().enumerate().map(|(i, v)| format!("k{i}={v}")).collect::<Vec<_>>().join("&");
        let mut all = values.clone();
        all.extend(body.clone());
        let want = model_total(&all);
        let method = if body.is_some() { mote::router::Method::Post } else { mote::router::Method::Get };
        let mut pending = mote::router::route(method, b"/baseline11", query.as_bytes());
        if let Some(b) = &body {
            let (x, y) = b.as_bytes().split_at(b.len() / 2);
            pending.feed(x);
            pending.feed(y);
        }
        let got = match pending.finish(body.is_some()) {
            mote::router::Answer { status: 200, body: mote::router::Body::Number(n), .. } => Some(n),
            mote::router::Answer { status: 400, .. } => None,
            other => panic!("unexpected answer {other:?}"),
        };
        assert_eq!(got, want, "query {query:?} body {body:?}");
        fits += u64::from(want.is_some());
    }
    assert!(fits > cfg.iters / 10 && fits < cfg.iters * 9 / 10, "both outcomes should be common: {fits}");
}

// ---- The oracles themselves ----------------------------------------------------------------

/// The judge, the exceptions and the reference decoder on hand-picked inputs, so that a
/// mistake in the oracles shows up as such and not as a parser finding.
#[test]
fn oracles_on_known_inputs() {
    let b = Bounds { max_head: 8192, max_target: 4096, max_body: 1 << 20 };
    let valid: &[&[u8]] = &[
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"\r\nOPTIONS * HTTP/1.1\r\nHost: [::1]:80\r\n\r\n",
        b"GET http://a:1/b?c HTTP/1.0\r\n\r\n",
        b"POST /x HTTP/1.1\r\nhost: a\r\nTransfer-Encoding: , chunked\r\n\r\n",
        b"POST /x HTTP/1.1\r\nHost: %41\r\nContent-Length: 05\r\ncontent-length: 5\r\n\r\n",
        b"GET /a%20b?x=/? HTTP/1.1\r\nHost: a\r\nX: \x80 v\t\r\n\r\n",
        b"GET //:@!$&'()*+,;=-._~%7e%7E?/?:@%00 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET HTTP://[::1]:8/%41?%42 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\nTransfer-Encoding: CHUNKED\t,\r\n\r\n",
    ];
    for v in valid {
        assert!(rfc::judge(v, &b).is_ok(), "{}: {:?}", show(v), rfc::judge(v, &b).err());
    }
    let invalid: &[&[u8]] = &[
        b"GET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\nHost: a\r\n\r\n",
        b"GET /# HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET * HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\n Folded: x\r\n\r\n",
        b"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"PUT / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /a\"b HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /{} HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /?[] HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /%4 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /%4g HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET http://a/[ HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET http://a?% HTTP/1.1\r\nHost: a\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;a=b\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
    ];
    for v in invalid {
        assert!(rfc::judge(v, &b).is_err(), "{}", show(v));
    }
    // Transfer codings: the list grammar (quoted strings may hold commas) and the status.
    let coding = |name: &str, params: bool| rfc::Coding { name: name.as_bytes().to_vec(), params };
    assert_eq!(rfc::transfer_codings(b" , gzip ; a = \"x,\\\"y\" ;b=c ,, chunked"),
        Some(vec![coding("gzip", true), coding("chunked", false)]));
    for bad in [&b"gzip x"[..], b";", b"\"", b"x;a", b"x;a=", b"x;a=\"", b"x;=1", b"x;a=b c", b"x;a=\"b\"c", b"\x80"] {
        assert_eq!(rfc::transfer_codings(bad), None, "{}", show(bad));
    }
    for (values, want) in [
        (&[&b"chunked"[..]][..], None),
        (&[b"", b", Chunked ,"], None),
        (&[b"gzip"], Some(400)),
        (&[b"identity"], Some(400)),
        (&[b"chunked, gzip"], Some(400)),
        (&[b"chunked", b"gzip"], Some(400)),
        (&[b"chunked, chunked"], Some(400)),
        (&[b""], Some(400)),
        (&[b",", b" "], Some(400)),
        (&[b"chunked x"], Some(400)),
        (&[b"gzip, chunked"], Some(501)),
        (&[b"gzip", b"chunked"], Some(501)),
        (&[b"chunked;q=1"], Some(501)),
        (&[b"x;p=\",chunked,\", chunked"], Some(501)),
    ] {
        assert_eq!(rfc::te_refusal(values), want, "{values:?}");
    }
    let Hp::Complete(p) = oracle::httparse_request(b"PUT /x HTTP/1.1\r\nHost: a,b\r\n\r\n") else { panic!() };
    let ctx = oracle::Ctx { head: b"", p: &p, bounds: b };
    let names: Vec<&str> = oracle::applicable(&ctx).iter().map(|e| e.name).collect();
    assert_eq!(names, ["method not implemented", "',' in the reg-name of Host or target authority"]);
    assert!(oracle::early_version_refusal(b"GET / HTTP/2"));
    assert!(oracle::early_version_refusal(b"GET / HTTP/1.2"));
    assert!(!oracle::early_version_refusal(b"GET / HTTP/1."));
    assert!(!oracle::early_version_refusal(b"GET / HTTP/1.1"));

    for (body, want) in [
        (&b"3;a=\"x\\\"\" ;b\r\nabc\r\n0\r\nT: v\r\n\r\n"[..], chunk::Outcome::Complete(30)),
        (b"3 \r\n", chunk::Outcome::Malformed),
        (b"3;a \r\n", chunk::Outcome::Malformed),
        (b"3;a =", chunk::Outcome::Partial),
        (b"10000000000000000", chunk::Outcome::Malformed),
        (b"5\r\nab", chunk::Outcome::Partial),
    ] {
        assert_eq!(chunk::decode(body, 1 << 20).outcome, want, "{}", show(body));
    }
    assert_eq!(chunk::decode(b"5;", 4).outcome, chunk::Outcome::TooLarge);
}
