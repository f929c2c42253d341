//! A reference decoder for the chunked transfer coding, a byte-at-a-time state machine written
//! from RFC 9112 §7.1:
//!
//! ```text
//! chunked-body   = *chunk last-chunk trailer-section CRLF
//! chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! chunk-size     = 1*HEXDIG
//! last-chunk     = 1*("0") [ chunk-ext ] CRLF
//! chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//! chunk-ext-name = token
//! chunk-ext-val  = token / quoted-string
//! trailer-section = *( field-line CRLF )
//! ```
//!
//! It reports `Partial` exactly while the bytes so far can still begin a valid body, the data
//! decoded so far, the size lines it accepted (for the httparse cross-check) and where it
//! failed. The size limit follows mote's documented contract: `TooLarge` once the digits of a
//! size are complete (the next byte is seen) and the running total exceeds `max_body`. A size
//! line (size and extensions) or a trailer line longer than `MAX_LINE` bytes before its CRLF is
//! malformed.

/// The longest size or trailer line, without its CRLF.
pub const MAX_LINE: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Complete(usize),
    Partial,
    Malformed,
    TooLarge,
}

/// An accepted chunk-size line: where it starts, the index after its CRLF, its size and the
/// number of hex digits it used.
#[derive(Debug, Clone, Copy)]
pub struct SizeLine {
    pub start: usize,
    pub end: usize,
    pub size: u64,
    pub digits: usize,
}

#[derive(Debug, Clone)]
pub struct Run {
    pub outcome: Outcome,
    pub data: Vec<u8>,
    pub lines: Vec<SizeLine>,
    /// When the body failed inside a chunk-size line: where that line starts.
    pub failed_line: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    SizeFirst,
    Size,
    /// After the size, an extension name, an extension value or a quoted string. `name` says
    /// whether an '=' may follow (only after an extension name).
    AfterItem { name: bool },
    /// BWS after an item: only more whitespace, ';' or (after a name) '=' may follow.
    Bws { name: bool },
    ExtNameStart,
    ExtName,
    ValueStart,
    ValueToken,
    Quoted,
    QuotedPair,
    LineLf,
    Data,
    DataCr,
    DataLf,
    FieldStart,
    FieldName,
    FieldValue,
    FieldLf,
    FinalLf,
}

fn tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn hex(b: u8) -> Option<u64> {
    (b as char).to_digit(16).map(u64::from)
}

fn ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// field-vchar / SP / HTAB (RFC 9110 §5.5)
fn value_byte(b: u8) -> bool {
    ws(b) || (0x21..=0x7E).contains(&b) || b >= 0x80
}

/// qdtext (RFC 9110 §5.6.4)
fn qdtext(b: u8) -> bool {
    ws(b) || b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b) || b >= 0x80
}

pub fn decode(buf: &[u8], max_body: u64) -> Run {
    let mut run = Run { outcome: Outcome::Partial, data: Vec::new(), lines: Vec::new(), failed_line: None };
    let mut state = State::SizeFirst;
    let mut size: u64 = 0;
    let mut digits = 0usize;
    let mut total: u64 = 0;
    let mut remaining: u64 = 0;
    let mut line_start = 0usize;
    let mut field_start = 0usize;
    let mut i = 0usize;
    let fail = |run: &mut Run, state: State, line_start: usize, outcome: Outcome| {
        let in_size_line = !matches!(state, State::Data | State::DataCr | State::DataLf | State::FieldStart
            | State::FieldName | State::FieldValue | State::FieldLf | State::FinalLf);
        if in_size_line && outcome == Outcome::Malformed {
            run.failed_line = Some(line_start);
        }
        run.outcome = outcome;
    };
    while i < buf.len() {
        let b = buf[i];
        // Data is taken in bulk.
        if state == State::Data {
            let take = remaining.min((buf.len() - i) as u64) as usize;
            run.data.extend_from_slice(&buf[i..i + take]);
            remaining -= take as u64;
            i += take;
            if remaining == 0 {
                state = State::DataCr;
            }
            continue;
        }
        if state == State::SizeFirst {
            line_start = i;
        }
        if state == State::FieldStart {
            field_start = i;
        }
        // Lines are bounded: a byte that would make one longer than MAX_LINE is malformed.
        let in_size_line = !matches!(state, State::LineLf | State::Data | State::DataCr | State::DataLf
            | State::FieldStart | State::FieldName | State::FieldValue | State::FieldLf | State::FinalLf);
        let in_field_line = matches!(state, State::FieldName | State::FieldValue);
        let too_long = (in_size_line && i - line_start >= MAX_LINE) || (in_field_line && i - field_start >= MAX_LINE);
        if b != b'\r' && too_long {
            fail(&mut run, state, line_start, Outcome::Malformed);
            return run;
        }
        let next = match state {
            State::SizeFirst => match hex(b) {
                Some(d) => {
                    size = d;
                    digits = 1;
                    Some(State::Size)
                }
                None => None,
            },
            State::Size => match hex(b) {
                Some(d) => match size.checked_mul(16).and_then(|s| s.checked_add(d)) {
                    Some(s) => {
                        size = s;
                        digits += 1;
                        Some(State::Size)
                    }
                    None => None,
                },
                None => {
                    // The size is complete: count it against the limit, then judge `b` again.
                    match total.checked_add(size) {
                        Some(t) if t <= max_body => total = t,
                        _ => {
                            fail(&mut run, state, line_start, Outcome::TooLarge);
                            return run;
                        }
                    }
                    state = State::AfterItem { name: false };
                    continue;
                }
            },
            State::AfterItem { name } => match b {
                b';' => Some(State::ExtNameStart),
                b'=' if name => Some(State::ValueStart),
                b'\r' => Some(State::LineLf),
                _ if ws(b) => Some(State::Bws { name }),
                _ => None,
            },
            State::Bws { name } => match b {
                b';' => Some(State::ExtNameStart),
                b'=' if name => Some(State::ValueStart),
                _ if ws(b) => Some(State::Bws { name }),
                _ => None,
            },
            State::ExtNameStart => {
                if ws(b) {
                    Some(State::ExtNameStart)
                } else if tchar(b) {
                    Some(State::ExtName)
                } else {
                    None
                }
            }
            State::ExtName => {
                if tchar(b) {
                    Some(State::ExtName)
                } else {
                    state = State::AfterItem { name: true };
                    continue;
                }
            }
            State::ValueStart => {
                if ws(b) {
                    Some(State::ValueStart)
                } else if b == b'"' {
                    Some(State::Quoted)
                } else if tchar(b) {
                    Some(State::ValueToken)
                } else {
                    None
                }
            }
            State::ValueToken => {
                if tchar(b) {
                    Some(State::ValueToken)
                } else {
                    state = State::AfterItem { name: false };
                    continue;
                }
            }
            State::Quoted => match b {
                b'"' => Some(State::AfterItem { name: false }),
                b'\\' => Some(State::QuotedPair),
                _ if qdtext(b) => Some(State::Quoted),
                _ => None,
            },
            State::QuotedPair => value_byte(b).then_some(State::Quoted),
            State::LineLf => {
                if b != b'\n' {
                    None
                } else {
                    run.lines.push(SizeLine { start: line_start, end: i + 1, size, digits });
                    if size == 0 {
                        Some(State::FieldStart)
                    } else {
                        remaining = size;
                        Some(State::Data)
                    }
                }
            }
            State::Data => unreachable!(),
            State::DataCr => (b == b'\r').then_some(State::DataLf),
            State::DataLf => (b == b'\n').then_some(State::SizeFirst),
            State::FieldStart => {
                if b == b'\r' {
                    Some(State::FinalLf)
                } else if tchar(b) {
                    Some(State::FieldName)
                } else {
                    None
                }
            }
            State::FieldName => {
                if tchar(b) {
                    Some(State::FieldName)
                } else if b == b':' {
                    Some(State::FieldValue)
                } else {
                    None
                }
            }
            State::FieldValue => {
                if b == b'\r' {
                    Some(State::FieldLf)
                } else if value_byte(b) {
                    Some(State::FieldValue)
                } else {
                    None
                }
            }
            State::FieldLf => (b == b'\n').then_some(State::FieldStart),
            State::FinalLf => {
                if b == b'\n' {
                    run.outcome = Outcome::Complete(i + 1);
                    return run;
                }
                None
            }
        };
        match next {
            Some(s) => state = s,
            None => {
                fail(&mut run, state, line_start, Outcome::Malformed);
                return run;
            }
        }
        i += 1;
    }
    run
}
