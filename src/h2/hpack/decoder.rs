//! Header blocks into fields (RFC 7541 §3, §6).
//!
//! Contract: [`Decoder::decode_in`] reads one complete header block and hands each field, in
//! order, to a [`Sink`], keeping the dynamic table in step with the peer's encoder whatever the
//! sink thinks of the fields (a refused request still updates the table, RFC 9113 §4.3). Every
//! field reaches the sink as plain bytes: indexed ones straight from the tables, literals decoded
//! (Huffman included) into the caller's scratch buffer (at least [`SCRATCH`] bytes; it need not
//! be cleared), so every byte of every Huffman string is decoded and checked, however little the
//! field matters. A field past the scratch buffer is handed on cut short, with its whole size:
//! the sink counts it against its list limit (it is larger than any list we take). Dynamic table size updates are accepted
//! only at the start of a block and only up to [`table::CAPACITY`] (§4.2).

use super::huffman;
use super::table::{self, Dynamic};
use super::{read_int, Error};

/// What receives the fields of a block.
pub trait Sink {
    /// One field: its name and value (cut short when they are longer than [`SCRATCH`]), and its
    /// size as RFC 9113 §6.5.2 counts it (lengths plus 32).
    fn field(&mut self, name: &[u8], value: &[u8], size: usize);
}

/// The scratch buffer for a literal's name and value: at least twice the largest table entry.
pub const SCRATCH: usize = 8192;

/// The request side's HPACK state: the dynamic table.
pub struct Decoder {
    pub table: Dynamic,
}

/// Reads a string literal (§5.2) at `*pos` into `dst` (as far as it holds); its length.
#[inline(never)]
fn string(block: &[u8], pos: &mut usize, dst: &mut [u8]) -> Result<usize, Error> {
    let huffman = block.get(*pos).ok_or(Error::Truncated)? & 0x80 != 0;
    let len = read_int(block, pos, 7)?;
    let src = block.get(*pos..*pos + len).ok_or(Error::Truncated)?;
    *pos += len;
    if huffman {
        return huffman::decode(src, dst);
    }
    let n = len.min(dst.len());
    if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
        d.copy_from_slice(s);
    }
    Ok(len)
}

impl Decoder {
    pub const fn new() -> Self {
        Decoder { table: Dynamic::new() }
    }

    pub fn reset(&mut self) {
        self.table.reset();
    }

    /// Decodes one complete header block, with a scratch buffer from the tests.
    #[cfg(test)]
    pub fn decode(&mut self, block: &[u8], sink: &mut impl Sink) -> Result<(), Error> {
        self.decode_in(block, &mut [0; SCRATCH], sink)
    }

    /// Decodes one complete header block, literals in `scratch` (see the module docs).
    #[inline(never)]
    pub fn decode_in(&mut self, block: &[u8], scratch: &mut [u8], sink: &mut impl Sink) -> Result<(), Error> {
        let n = scratch.len().min(SCRATCH);
        let scratch = scratch.get_mut(..n).unwrap_or_default();
        let mut pos = 0;
        let mut at_start = true;
        while let Some(&b) = block.get(pos) {
            if b & 0xe0 == 0x20 {
                // Dynamic table size update (§6.3): only before the first field (§4.2).
                let max = read_int(block, &mut pos, 5)?;
                if !at_start || max > table::CAPACITY {
                    return Err(Error::SizeUpdate);
                }
                self.table.set_max(max);
                continue;
            }
            at_start = false;
            // Indexed (§6.1), literal with incremental indexing (§6.2.1), or without indexing
            // or never indexed (§6.2.2, §6.2.3).
            let prefix = if b >= 0x80 { 7 } else if b >= 0x40 { 6 } else { 4 };
            let index = read_int(block, &mut pos, prefix)?;
            if b >= 0x80 {
                let (name, value) = self.table.lookup(index).ok_or(Error::Index)?;
                sink.field(name, value, name.len() + value.len() + table::ENTRY_OVERHEAD);
                continue;
            }
            let name_len = match index {
                0 => string(block, &mut pos, scratch)?,
                _ => {
                    let (name, _) = self.table.lookup(index).ok_or(Error::Index)?;
                    let n = name.len().min(scratch.len());
                    if let (Some(d), Some(s)) = (scratch.get_mut(..n), name.get(..n)) {
                        d.copy_from_slice(s);
                    }
                    name.len()
                }
            };
            let value_len = string(block, &mut pos, scratch.get_mut(name_len..).unwrap_or(&mut []))?;
            let size = name_len + value_len + table::ENTRY_OVERHEAD;
            let name = scratch.get(..name_len).unwrap_or(scratch);
            let value = scratch.get(name_len..name_len + value_len).unwrap_or_else(|| scratch.get(name_len..).unwrap_or(&[]));
            if b & 0xc0 == 0x40 {
                // An entry larger than the table empties it (§4.4); so does one cut short (it is
                // larger than the scratch buffer, itself larger than the table).
                match name.len() + value.len() + table::ENTRY_OVERHEAD == size {
                    true => self.table.insert(name, value),
                    false => self.table.clear(),
                }
            }
            sink.field(name, value, size);
        }
        Ok(())
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

    /// Collects fields as owned pairs.
    #[derive(Default)]
    pub struct Collect(pub Vec<(Vec<u8>, Vec<u8>)>);

    impl Sink for Collect {
        fn field(&mut self, name: &[u8], value: &[u8], size: usize) {
            assert_eq!(size, name.len() + value.len() + 32);
            self.0.push((name.to_vec(), value.to_vec()));
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
            (e.0.to_vec(), e.1.to_vec())
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
    fn huffman_names_and_values_are_decoded() {
        let mut d = Decoder::new();
        let name = huffman::encode(b"content-length");
        let value = huffman::encode(b"42");
        let mut block = vec![0x00, 0x80 | name.len() as u8];
        block.extend_from_slice(&name);
        block.push(0x80 | value.len() as u8);
        block.extend_from_slice(&value);
        assert_eq!(decode(&mut d, &block).unwrap(), pairs(&[("content-length", "42")]));
        // A field past the scratch buffer is handed on cut short, with its whole size.
        struct Sizes(Vec<(usize, usize)>);
        impl Sink for Sizes {
            fn field(&mut self, name: &[u8], value: &[u8], size: usize) {
                self.0.push((name.len() + value.len(), size));
            }
        }
        let long = huffman::encode(&vec![b'x'; 10_000]);
        let mut block = vec![0x40, 0x01, b'x'];
        let mut buf = [0u8; 8];
        let mut c = crate::h2::cursor::Cursor::new(&mut buf);
        c.int(0x80, 7, long.len());
        block.extend_from_slice(c.written());
        block.extend_from_slice(&long);
        let mut t = Sizes(Vec::new());
        d.decode(&block, &mut t).unwrap();
        assert_eq!(t.0, vec![(SCRATCH, 10_001 + 32)]);
        assert_eq!(d.table.len(), 0);
    }

    /// A literal named after the oldest entry, which its own insertion evicts.
    #[test]
    fn a_name_from_an_entry_its_insertion_evicts() {
        let mut d = Decoder::new();
        decode(&mut d, &[0x3f, 0x31]).unwrap(); // size update: 80
        decode(&mut d, &hex("4004 6e61 6d65 0276 31")).unwrap(); // name: v1 (38)
        decode(&mut d, &hex("4005 6f74 6865 7202 7632")).unwrap(); // other: v2 (39)
        // Literal with indexing, name = index 63 (the oldest, "name"), value v3.
        assert_eq!(decode(&mut d, &hex("7f00 0276 33")).unwrap(), pairs(&[("name", "v3")]));
        assert_eq!(table_state(&d), (pairs(&[("name", "v3"), ("other", "v2")]), 77));
        // The same with entries that fill the whole table.
        let mut d = Decoder::new();
        let long = vec![b'n'; 2000];
        let mut block = vec![0x40, 0x7f, 0xd1, 0x0e];
        block.extend_from_slice(&long);
        block.extend_from_slice(&[0x7f, 0xd1, 0x0e]);
        block.extend_from_slice(&vec![b'v'; 2000]);
        block.extend_from_slice(&[0x7e, 0x01, b'w']);
        let got = decode(&mut d, &block).unwrap();
        assert_eq!(got[1], (long.clone(), b"w".to_vec()));
        assert_eq!(table_state(&d), (vec![(long, b"w".to_vec())], 2033));
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
