//! Header blocks into fields (RFC 7541 §3, §6).
//!
//! Contract: [`Decoder::decode`] reads one complete header block and hands each field, in
//! order, to a [`Sink`], keeping the dynamic table in step with the peer's encoder whatever the
//! sink thinks of the fields (a refused request still updates the table, RFC 9113 §4.3). Names
//! and values come out as plain slices (into the block, the static table or the dynamic table)
//! with the name's tag and, for values, whether they follow the byte rules; the one exception
//! is the value of a Huffman-coded literal that is not added to the table, handed over still
//! coded ([`Value::Huffman`]) so that the sink decodes it where it wants it (a path buffer, a
//! small buffer, or nowhere, in chunks, just to check it). Dynamic table size updates are
//! accepted only at the start of a block and only up to [`table::CAPACITY`] (§4.2).

use super::huffman;
use super::table::{self, Dynamic, Name, Src};
use super::{read_int, Error};
use crate::h2::fields;

/// A field's value as the sink gets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// Decoded bytes, and whether they follow the value rules.
    Plain { bytes: &'a [u8], ok: bool },
    /// Huffman-coded bytes not yet decoded (a literal not added to the table).
    Huffman(&'a [u8]),
}

/// One decoded field line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    /// The name's tag ([`fields`]).
    pub tag: u8,
    /// The name; empty when it was Huffman-coded and longer than [`NAME_BUF`] (then no name
    /// with a tag of its own).
    pub name: &'a [u8],
    pub name_len: usize,
    pub value: Value<'a>,
}

/// What receives the fields of a block.
pub trait Sink {
    /// One field; an error here (a bad Huffman string the sink decoded) ends the block.
    fn field(&mut self, f: Field<'_>) -> Result<(), Error>;
}

/// Huffman-coded names up to this length are decoded to be classified; longer ones are only
/// checked (no name with a tag of its own is that long).
pub const NAME_BUF: usize = 32;

/// The request side's HPACK state: the dynamic table.
pub struct Decoder {
    pub table: Dynamic,
}

/// Reads a string literal (§5.2) at `*pos`.
#[inline(never)]
fn string<'b>(block: &'b [u8], pos: &mut usize) -> Result<Src<'b>, Error> {
    let huffman = block.get(*pos).ok_or(Error::Truncated)? & 0x80 != 0;
    let len = read_int(block, pos, 7)?;
    let bytes = block.get(*pos..*pos + len).ok_or(Error::Truncated)?;
    *pos += len;
    Ok(if huffman { Src::Huffman(bytes) } else { Src::Raw(bytes) })
}

#[inline(never)]
fn decoded_len(s: Src<'_>) -> Result<usize, Error> {
    match s {
        Src::Raw(b) => Ok(b.len()),
        Src::Huffman(h) => huffman::decoded_len(h),
    }
}

impl Decoder {
    pub const fn new() -> Self {
        Decoder { table: Dynamic::new() }
    }

    pub fn reset(&mut self) {
        self.table.reset();
    }

    /// Decodes one complete header block.
    pub fn decode(&mut self, block: &[u8], sink: &mut impl Sink) -> Result<(), Error> {
        let mut pos = 0;
        let mut at_start = true;
        while let Some(&b) = block.get(pos) {
            if b & 0x80 != 0 {
                // Indexed field line (§6.1).
                let index = read_int(block, &mut pos, 7)?;
                let e = self.table.lookup(index).filter(|_| index != 0).ok_or(Error::Index)?;
                sink.field(Field { tag: e.tag, name: e.name, name_len: e.name.len(), value: Value::Plain { bytes: e.value, ok: e.value_ok } })?;
            } else if b & 0xc0 == 0x40 {
                // Literal with incremental indexing (§6.2.1).
                self.literal(block, &mut pos, 6, true, sink)?;
            } else if b & 0xe0 == 0x20 {
                // Dynamic table size update (§6.3): only before the first field (§4.2).
                if !at_start {
                    return Err(Error::SizeUpdate);
                }
                let max = read_int(block, &mut pos, 5)?;
                if max > table::CAPACITY {
                    return Err(Error::SizeUpdate);
                }
                self.table.set_max(max);
                continue;
            } else {
                // Literal without indexing (0000) or never indexed (0001) (§6.2.2, §6.2.3).
                self.literal(block, &mut pos, 4, false, sink)?;
            }
            at_start = false;
        }
        Ok(())
    }

    fn literal(&mut self, block: &[u8], pos: &mut usize, prefix: u32, index: bool, sink: &mut impl Sink) -> Result<(), Error> {
        let name_index = read_int(block, pos, prefix)?;
        let literal_name = if name_index == 0 {
            Some(string(block, pos)?)
        } else {
            if self.table.lookup(name_index).is_none() {
                return Err(Error::Index);
            }
            None
        };
        let value = string(block, pos)?;
        if index {
            let (name_len, name) = match literal_name {
                Some(src) => (decoded_len(src)?, Name::Bytes(src, None)),
                None if name_index < table::FIRST_DYNAMIC => {
                    let e = table::static_entry(name_index).ok_or(Error::Index)?;
                    (e.name.len(), Name::Bytes(Src::Raw(e.name), Some(e.tag)))
                }
                None => {
                    let i = name_index - table::FIRST_DYNAMIC;
                    (self.table.get(i).ok_or(Error::Index)?.name.len(), Name::Entry(i))
                }
            };
            let value_len = decoded_len(value)?;
            if name_len + value_len + table::ENTRY_OVERHEAD <= self.table.max() {
                self.table.insert(name, name_len, value, value_len)?;
                let e = self.table.get(0).ok_or(Error::Index)?;
                return sink.field(Field { tag: e.tag, name: e.name, name_len, value: Value::Plain { bytes: e.value, ok: e.value_ok } });
            }
            // Larger than the table: it empties the table (§4.4), after the field is handed on.
            self.emit(literal_name, name_index, value, sink)?;
            self.table.clear();
            return Ok(());
        }
        self.emit(literal_name, name_index, value, sink)
    }

    /// Hands on a field that is not (or cannot be) added to the table.
    fn emit(&self, literal_name: Option<Src<'_>>, name_index: usize, value: Src<'_>, sink: &mut impl Sink) -> Result<(), Error> {
        let mut name_buf = [0u8; NAME_BUF];
        let (tag, name, name_len): (u8, &[u8], usize) = match literal_name {
            Some(Src::Raw(b)) => (fields::classify(b), b, b.len()),
            Some(Src::Huffman(h)) => match huffman::decode(h, &mut name_buf)? {
                Some(n) => {
                    let name = name_buf.get(..n).unwrap_or(&[]);
                    (fields::classify(name), name, n)
                }
                None => {
                    let mut check = fields::NameCheck::new();
                    let n = huffman::for_chunks(h, &mut |piece| check.feed(piece))?;
                    (check.tag(), &[], n)
                }
            },
            None => {
                let e = self.table.lookup(name_index).ok_or(Error::Index)?;
                (e.tag, e.name, e.name.len())
            }
        };
        let value = match value {
            Src::Raw(b) => Value::Plain { bytes: b, ok: fields::value_ok(b) },
            Src::Huffman(h) => Value::Huffman(h),
        };
        sink.field(Field { tag, name, name_len, value })
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// Collects fields as owned pairs, decoding Huffman values.
    #[derive(Default)]
    pub struct Collect(pub Vec<(Vec<u8>, Vec<u8>)>);

    impl Sink for Collect {
        fn field(&mut self, f: Field<'_>) -> Result<(), Error> {
            let value = match f.value {
                Value::Plain { bytes, .. } => bytes.to_vec(),
                Value::Huffman(h) => {
                    let mut v = Vec::new();
                    huffman::for_chunks(h, &mut |p| v.extend_from_slice(p))?;
                    v
                }
            };
            assert_eq!(f.name_len, f.name.len());
            self.0.push((f.name.to_vec(), value));
            Ok(())
        }
    }

    /// Decoded fields as owned (name, value) pairs.
    pub type Fields = Vec<(Vec<u8>, Vec<u8>)>;

    pub fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(Vec<u8>, Vec<u8>)> {
        list.iter().map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec())).collect()
    }

    fn table_state(d: &Decoder) -> (Fields, usize) {
        let t = &d.table;
        ((0..t.len()).map(|i| {
            let e = t.get(i).unwrap();
            (e.name.to_vec(), e.value.to_vec())
        }).collect(), t.size())
    }

    fn decode(d: &mut Decoder, block: &[u8]) -> Result<Fields, Error> {
        let mut c = Collect::default();
        d.decode(block, &mut c)?;
        Ok(c.0)
    }

    #[test]
    fn appendix_c2_single_representations() {
        let cases: &[(&str, (&str, &str), usize)] = &[
            ("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572", ("custom-key", "custom-header"), 55),
            ("040c 2f73 616d 706c 652f 7061 7468", (":path", "/sample/path"), 0),
            ("1008 7061 7373 776f 7264 0673 6563 7265 74", ("password", "secret"), 0),
            ("82", (":method", "GET"), 0),
        ];
        for (block, field, size) in cases {
            let mut d = Decoder::new();
            assert_eq!(decode(&mut d, &hex(block)).unwrap(), pairs(&[*field]));
            assert_eq!(d.table.size(), *size);
        }
    }

    fn run_requests(blocks: &[&str]) {
        let mut d = Decoder::new();
        let lists = [
            pairs(&[(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")]),
            pairs(&[(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache")]),
            pairs(&[(":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value")]),
        ];
        let tables = [
            (pairs(&[(":authority", "www.example.com")]), 57),
            (pairs(&[("cache-control", "no-cache"), (":authority", "www.example.com")]), 110),
            (pairs(&[("custom-key", "custom-value"), ("cache-control", "no-cache"), (":authority", "www.example.com")]), 164),
        ];
        for i in 0..3 {
            assert_eq!(decode(&mut d, &hex(blocks[i])).unwrap(), lists[i], "request {}", i + 1);
            assert_eq!(table_state(&d), tables[i], "table after request {}", i + 1);
        }
    }

    #[test]
    fn appendix_c3_requests_without_huffman() {
        run_requests(&[
            "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
            "8286 84be 5808 6e6f 2d63 6163 6865",
            "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
        ]);
    }

    #[test]
    fn appendix_c4_requests_with_huffman() {
        run_requests(&[
            "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
            "8286 84be 5886 a8eb 1064 9cbf",
            "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
        ]);
    }

    fn run_responses(blocks: &[&str]) {
        let mut d = Decoder::new();
        d.table.set_max(256);
        let date1 = "Mon, 21 Oct 2013 20:13:21 GMT";
        let date2 = "Mon, 21 Oct 2013 20:13:22 GMT";
        let loc = "https://www.example.com";
        let cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
        let lists = [
            pairs(&[(":status", "302"), ("cache-control", "private"), ("date", date1), ("location", loc)]),
            pairs(&[(":status", "307"), ("cache-control", "private"), ("date", date1), ("location", loc)]),
            pairs(&[(":status", "200"), ("cache-control", "private"), ("date", date2), ("location", loc), ("content-encoding", "gzip"), ("set-cookie", cookie)]),
        ];
        let tables = [
            (pairs(&[("location", loc), ("date", date1), ("cache-control", "private"), (":status", "302")]), 222),
            (pairs(&[(":status", "307"), ("location", loc), ("date", date1), ("cache-control", "private")]), 222),
            (pairs(&[("set-cookie", cookie), ("content-encoding", "gzip"), ("date", date2)]), 215),
        ];
        for i in 0..3 {
            assert_eq!(decode(&mut d, &hex(blocks[i])).unwrap(), lists[i], "response {}", i + 1);
            assert_eq!(table_state(&d), tables[i], "table after response {}", i + 1);
        }
    }

    #[test]
    fn appendix_c5_responses_without_huffman() {
        run_responses(&[
            "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 \
             2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 \
             6c65 2e63 6f6d",
            "4803 3330 37c1 c0bf",
            "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d \
             54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 \
             5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
        ]);
    }

    #[test]
    fn appendix_c6_responses_with_huffman() {
        run_responses(&[
            "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 \
             2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
            "4883 640e ffc1 c0bf",
            "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab \
             77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f \
             9587 3160 65c0 03ed 4ee5 b106 3d50 07",
        ]);
    }

    #[test]
    fn malformed_blocks() {
        let cases: &[(&[u8], Error)] = &[
            (&[0x80], Error::Index),                 // index 0
            (&[0xbe], Error::Index),                 // 62 with an empty table
            (&[0xff, 0x80], Error::Truncated),       // integer cut short
            (&[0x40, 0x05, b'a'], Error::Truncated), // name cut short
            (&[0x44, 0x82, 0xff], Error::Truncated), // Huffman value cut short
            (&[0x44, 0x81, 0xff], Error::Huffman),   // 8 bits of padding
            (&[0x7f, 0x80, 0x80, 0x80, 0x80, 0x01], Error::Integer),
            (&[0x3f, 0xe2, 0x1f], Error::SizeUpdate), // 4097
            (&[0x82, 0x20], Error::SizeUpdate),       // after a field
            (&[0x0f, 0x2f, 0x00], Error::Index),      // literal name index 62
        ];
        for (block, err) in cases {
            let mut d = Decoder::new();
            assert_eq!(decode(&mut d, block), Err(*err), "{block:x?}");
        }
        // Several updates at the start are fine; the last one counts.
        let mut d = Decoder::new();
        decode(&mut d, &[0x20, 0x3f, 0xe1, 0x1f, 0x82]).unwrap();
        assert_eq!(d.table.max(), 4096);
    }

    #[test]
    fn huffman_names_and_values_are_tagged_and_handed_on() {
        let mut d = Decoder::new();
        let name = huffman::encode(b"content-length");
        let value = huffman::encode(b"42");
        let mut block = vec![0x00, 0x80 | name.len() as u8];
        block.extend_from_slice(&name);
        block.push(0x80 | value.len() as u8);
        block.extend_from_slice(&value);
        struct One(Option<(u8, Vec<u8>, Value<'static>)>);
        impl Sink for One {
            fn field(&mut self, f: Field<'_>) -> Result<(), Error> {
                let v = match f.value {
                    Value::Huffman(_) => Value::Huffman(&[]),
                    other => {
                        let _ = other;
                        Value::Plain { bytes: &[], ok: false }
                    }
                };
                self.0 = Some((f.tag, f.name.to_vec(), v));
                Ok(())
            }
        }
        let mut one = One(None);
        d.decode(&block, &mut one).unwrap();
        let (tag, name, value) = one.0.unwrap();
        assert_eq!((tag, name.as_slice(), value), (fields::CONTENT_LENGTH, &b"content-length"[..], Value::Huffman(&[])));
        // A long Huffman name is checked, not kept.
        let long = huffman::encode(&[b'x'; 40]);
        let mut block = vec![0x00, 0x80 | long.len() as u8];
        block.extend_from_slice(&long);
        block.push(0x00);
        let mut c = Collect::default();
        struct Tag(Vec<(u8, usize)>);
        impl Sink for Tag {
            fn field(&mut self, f: Field<'_>) -> Result<(), Error> {
                self.0.push((f.tag, f.name_len));
                Ok(())
            }
        }
        let mut t = Tag(Vec::new());
        d.decode(&block, &mut t).unwrap();
        assert_eq!(t.0, vec![(fields::OTHER, 40)]);
        let _ = &mut c;
    }

    #[test]
    fn oversized_entry_is_handed_on_then_empties_the_table() {
        let mut d = Decoder::new();
        decode(&mut d, &hex("4103 6162 63")).unwrap(); // :authority: abc, indexed
        assert_eq!(d.table.len(), 1);
        let big = vec![b'v'; 4100];
        let mut block = vec![0x7e]; // literal, indexed, name = dynamic 62 (":authority")
        let mut buf = [0u8; 8];
        let mut c = crate::h2::cursor::Cursor::new(&mut buf);
        c.int(0, 7, big.len());
        block.extend_from_slice(c.written());
        block.extend_from_slice(&big);
        let got = decode(&mut d, &block).unwrap();
        assert_eq!(got, vec![(b":authority".to_vec(), big)]);
        assert_eq!(d.table.len(), 0);
    }
}
