//! The HPACK tables (RFC 7541 §2.3): the static table of Appendix A and the decoder's dynamic
//! table.
//!
//! Contract: the static table is Appendix A, kept in the source as readable rows and packed at
//! compile time into one byte string plus a 5-byte record per entry (the rows themselves are
//! not in the binary). The dynamic table holds at most [`CAPACITY`] bytes of names and values
//! (our SETTINGS_HEADER_TABLE_SIZE, the protocol's default 4096, so that the peer may use it
//! before it sees our SETTINGS). Its bytes are one contiguous run in insertion order, each entry
//! contiguous (name then value), so every lookup hands out plain slices; when the run reaches
//! the end of the buffer, the live entries are moved back to the start (amortised: at most once
//! per [`CAPACITY`] bytes inserted). Sizes and eviction follow §4.1-§4.4 exactly, including an
//! entry whose name refers to an entry that its own insertion evicts. Each entry also keeps the
//! tag of its name ([`crate::h2::fields`]) and whether its value follows the byte rules, so a
//! field indexed from the table costs no byte scan. Nothing here panics or allocates.

use super::huffman;
use super::Error;
use crate::h2::fields;

/// The largest dynamic table we accept, in the RFC's size units.
pub const CAPACITY: usize = 4096;
/// The overhead the RFC adds to an entry's name and value lengths (§4.1).
pub const ENTRY_OVERHEAD: usize = 32;
/// The most entries that fit: each is at least the overhead.
const SLOTS: usize = CAPACITY / ENTRY_OVERHEAD;
/// Index of the first dynamic entry (§2.3.3).
pub const FIRST_DYNAMIC: usize = 62;

/// Appendix A.
#[rustfmt::skip]
const STATIC_ROWS: [(&str, &str); 61] = [
    (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"),
    (":path", "/index.html"), (":scheme", "http"), (":scheme", "https"), (":status", "200"),
    (":status", "204"), (":status", "206"), (":status", "304"), (":status", "400"),
    (":status", "404"), (":status", "500"), ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"), ("accept-language", ""), ("accept-ranges", ""),
    ("accept", ""), ("access-control-allow-origin", ""), ("age", ""), ("allow", ""),
    ("authorization", ""), ("cache-control", ""), ("content-disposition", ""),
    ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
    ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""),
    ("date", ""), ("etag", ""), ("expect", ""), ("expires", ""), ("from", ""), ("host", ""),
    ("if-match", ""), ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""),
    ("if-unmodified-since", ""), ("last-modified", ""), ("link", ""), ("location", ""),
    ("max-forwards", ""), ("proxy-authenticate", ""), ("proxy-authorization", ""),
    ("range", ""), ("referer", ""), ("refresh", ""), ("retry-after", ""), ("server", ""),
    ("set-cookie", ""), ("strict-transport-security", ""), ("transfer-encoding", ""),
    ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
];

const fn blob_len() -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < STATIC_ROWS.len() {
        n += STATIC_ROWS[i].0.len() + STATIC_ROWS[i].1.len();
        i += 1;
    }
    n
}

const BLOB_LEN: usize = blob_len();

/// One packed static entry: where its name starts in [`BLOB`], its lengths (the value follows
/// the name), and its tag.
#[derive(Clone, Copy)]
struct Packed {
    at: u16,
    name_len: u8,
    value_len: u8,
    tag: u8,
}

const fn pack() -> ([u8; BLOB_LEN], [Packed; 61]) {
    let mut blob = [0u8; BLOB_LEN];
    let mut entries = [Packed { at: 0, name_len: 0, value_len: 0, tag: 0 }; 61];
    let mut at = 0;
    let mut i = 0;
    while i < STATIC_ROWS.len() {
        let (name, value) = (STATIC_ROWS[i].0.as_bytes(), STATIC_ROWS[i].1.as_bytes());
        let tag = fields::classify_const(name);
        assert!(tag != fields::INVALID, "a static name breaks the name rules");
        entries[i] = Packed { at: at as u16, name_len: name.len() as u8, value_len: value.len() as u8, tag };
        let mut j = 0;
        while j < name.len() {
            blob[at] = name[j];
            at += 1;
            j += 1;
        }
        j = 0;
        while j < value.len() {
            blob[at] = value[j];
            at += 1;
            j += 1;
        }
        i += 1;
    }
    (blob, entries)
}

const PACKED: ([u8; BLOB_LEN], [Packed; 61]) = pack();
static BLOB: [u8; BLOB_LEN] = PACKED.0;
static STATIC: [Packed; 61] = PACKED.1;

/// A table entry as lookups hand it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    pub name: &'a [u8],
    pub value: &'a [u8],
    /// The name's tag ([`fields`]).
    pub tag: u8,
    /// Whether the value follows the byte rules.
    pub value_ok: bool,
}

/// Static entry `index` (1 to 61).
#[inline(never)]
pub fn static_entry(index: usize) -> Option<Entry<'static>> {
    let p = STATIC.get(index.checked_sub(1)?)?;
    let at = usize::from(p.at);
    let mid = at + usize::from(p.name_len);
    let end = mid + usize::from(p.value_len);
    Some(Entry { name: BLOB.get(at..mid)?, value: BLOB.get(mid..end)?, tag: p.tag, value_ok: true })
}

/// Bytes of a string as it appears in a header block.
#[derive(Clone, Copy)]
pub enum Src<'a> {
    Raw(&'a [u8]),
    Huffman(&'a [u8]),
}

/// Where a new entry's name comes from.
#[derive(Clone, Copy)]
pub enum Name<'a> {
    /// Bytes outside the dynamic table (the block, or the static table), with the tag when
    /// known.
    Bytes(Src<'a>, Option<u8>),
    /// The name of dynamic entry `i` (0 = newest).
    Entry(usize),
}

#[derive(Clone, Copy, Default)]
struct Meta {
    start: u16,
    name_len: u16,
    value_len: u16,
    tag: u8,
    value_ok: bool,
}

/// The decoder's dynamic table.
pub struct Dynamic {
    bytes: [u8; CAPACITY],
    /// A ring of entry records; `tail` is the oldest.
    meta: [Meta; SLOTS],
    tail: usize,
    count: usize,
    /// The live bytes: from the oldest entry's start to the newest entry's end.
    lo: usize,
    hi: usize,
    /// The table's size in the RFC's units, and its current maximum.
    size: usize,
    max: usize,
    /// Counts every change (insertion, eviction, new maximum): equal counts before and after
    /// a block mean the block left the table as it was.
    changes: u32,
}

impl Dynamic {
    pub const fn new() -> Self {
        Dynamic {
            bytes: [0; CAPACITY],
            meta: [Meta { start: 0, name_len: 0, value_len: 0, tag: 0, value_ok: false }; SLOTS],
            tail: 0,
            count: 0,
            lo: 0,
            hi: 0,
            size: 0,
            max: CAPACITY,
            changes: 0,
        }
    }

    /// See `changes`.
    pub fn changes(&self) -> u32 {
        self.changes
    }

    /// Empties the table and restores the default maximum (cheap: no bytes are touched).
    pub fn reset(&mut self) {
        self.clear();
        self.max = CAPACITY;
    }

    /// Evicts every entry.
    pub fn clear(&mut self) {
        self.changes = self.changes.wrapping_add(1);
        self.tail = 0;
        self.count = 0;
        self.lo = 0;
        self.hi = 0;
        self.size = 0;
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The table's size in the RFC's units (§4.1).
    pub fn size(&self) -> usize {
        self.size
    }

    pub fn max(&self) -> usize {
        self.max
    }

    /// A new maximum (a dynamic table size update, §6.3; the caller checked it against
    /// [`CAPACITY`]); evicts what no longer fits.
    pub fn set_max(&mut self, max: usize) {
        self.changes = self.changes.wrapping_add(1);
        self.max = max.min(CAPACITY);
        while self.size > self.max && self.count > 0 {
            self.evict_one();
        }
    }

    fn meta_of(&self, i: usize) -> Option<&Meta> {
        if i >= self.count {
            return None;
        }
        self.meta.get((self.tail + self.count - 1 - i) % SLOTS)
    }

    /// Dynamic entry `i` (0 = the newest).
    #[inline(never)]
    pub fn get(&self, i: usize) -> Option<Entry<'_>> {
        let m = self.meta_of(i)?;
        let start = usize::from(m.start);
        let mid = start + usize::from(m.name_len);
        let end = mid + usize::from(m.value_len);
        Some(Entry { name: self.bytes.get(start..mid)?, value: self.bytes.get(mid..end)?, tag: m.tag, value_ok: m.value_ok })
    }

    /// Entry `index` of the combined index space (§2.3.3): static 1-61, then dynamic.
    #[inline(never)]
    pub fn lookup(&self, index: usize) -> Option<Entry<'_>> {
        if index < FIRST_DYNAMIC { static_entry(index) } else { self.get(index - FIRST_DYNAMIC) }
    }

    fn evict_one(&mut self) {
        let Some(m) = self.meta.get(self.tail).copied() else { return };
        self.size -= usize::from(m.name_len) + usize::from(m.value_len) + ENTRY_OVERHEAD;
        self.tail = (self.tail + 1) % SLOTS;
        self.count -= 1;
        self.lo = match self.meta.get(self.tail) {
            Some(next) if self.count > 0 => usize::from(next.start),
            _ => self.hi,
        };
    }

    /// Moves the live bytes to the start of the buffer.
    #[inline(never)]
    fn compact(&mut self) {
        let lo = self.lo;
        if lo == 0 {
            return;
        }
        let live = self.hi - lo;
        for i in 0..live {
            if let Some(&b) = self.bytes.get(lo + i)
                && let Some(d) = self.bytes.get_mut(i) {
                    *d = b;
                }
        }
        for k in 0..self.count {
            if let Some(m) = self.meta.get_mut((self.tail + k) % SLOTS) {
                m.start -= lo as u16;
            }
        }
        self.lo = 0;
        self.hi = live;
    }

    /// Writes `len` decoded bytes of `src` at `at`.
    #[inline(never)]
    fn write_src(&mut self, at: usize, src: Src<'_>, len: usize) -> Result<(), Error> {
        let dst = self.bytes.get_mut(at..at + len).ok_or(Error::Length)?;
        match src {
            Src::Raw(b) if b.len() == len => dst.copy_from_slice(b),
            Src::Huffman(h) if huffman::decode(h, dst)? == Some(len) => {}
            _ => return Err(Error::Length),
        }
        Ok(())
    }

    /// Adds an entry (§4.4) whose name and value decode to `name_len` and `value_len` bytes.
    pub fn insert(&mut self, name: Name<'_>, name_len: usize, value: Src<'_>, value_len: usize) -> Result<(), Error> {
        let need = name_len + value_len;
        if need + ENTRY_OVERHEAD > self.max {
            // Larger than the table: the table ends up empty (§4.4).
            self.clear();
            return Ok(());
        }
        let tag = match name {
            Name::Entry(i) => self.get(i).ok_or(Error::Index)?.tag,
            Name::Bytes(_, tag) => tag.unwrap_or(fields::INVALID),
        };
        if self.hi + need > CAPACITY {
            self.compact();
        }
        if self.hi + need > CAPACITY {
            return self.insert_slow(name, name_len, value, value_len, tag);
        }
        // The new bytes go above the live ones before anything is evicted, so a name taken
        // from an entry this insertion evicts is copied while it is still there.
        let start = self.hi;
        match name {
            Name::Entry(i) => {
                let m = *self.meta_of(i).ok_or(Error::Index)?;
                let from = usize::from(m.start);
                for k in 0..name_len {
                    let b = self.bytes.get(from + k).copied().unwrap_or(0);
                    if let Some(d) = self.bytes.get_mut(start + k) {
                        *d = b;
                    }
                }
            }
            Name::Bytes(src, _) => self.write_src(start, src, name_len)?,
        }
        self.write_src(start + name_len, value, value_len)?;
        self.push(start, name_len, value_len, tag);
        Ok(())
    }

    /// The insertion when the live bytes and the new entry do not fit in the buffer together:
    /// the name is set aside, the table evicted and compacted, then the entry written.
    #[cold]
    #[inline(never)]
    fn insert_slow(&mut self, name: Name<'_>, name_len: usize, value: Src<'_>, value_len: usize, tag: u8) -> Result<(), Error> {
        let mut aside = [0u8; CAPACITY];
        let held = aside.get_mut(..name_len).ok_or(Error::Length)?;
        match name {
            Name::Entry(i) => held.copy_from_slice(self.get(i).ok_or(Error::Index)?.name.get(..name_len).ok_or(Error::Length)?),
            Name::Bytes(Src::Raw(b), _) if b.len() == name_len => held.copy_from_slice(b),
            Name::Bytes(Src::Huffman(h), _) if huffman::decode(h, held)? == Some(name_len) => {}
            Name::Bytes(..) => return Err(Error::Length),
        }
        let need = name_len + value_len;
        while self.size + need + ENTRY_OVERHEAD > self.max && self.count > 0 {
            self.evict_one();
        }
        self.compact();
        let start = self.hi;
        self.bytes.get_mut(start..start + name_len).ok_or(Error::Length)?.copy_from_slice(held);
        self.write_src(start + name_len, value, value_len)?;
        self.push(start, name_len, value_len, tag);
        Ok(())
    }

    /// Records the entry written at `start`, evicting what it pushes out.
    fn push(&mut self, start: usize, name_len: usize, value_len: usize, tag: u8) {
        self.changes = self.changes.wrapping_add(1);
        let need = name_len + value_len;
        while (self.size + need + ENTRY_OVERHEAD > self.max || self.count == SLOTS) && self.count > 0 {
            self.evict_one();
        }
        let name = self.bytes.get(start..start + name_len).unwrap_or(&[]);
        let tag = if tag == fields::INVALID { fields::classify(name) } else { tag };
        let value_ok = fields::value_ok(self.bytes.get(start + name_len..start + need).unwrap_or(b" "));
        if self.count == 0 {
            self.lo = start;
        }
        if let Some(m) = self.meta.get_mut((self.tail + self.count) % SLOTS) {
            *m = Meta { start: start as u16, name_len: name_len as u16, value_len: value_len as u16, tag, value_ok };
        }
        self.count += 1;
        self.hi = start + need;
        self.size += need + ENTRY_OVERHEAD;
    }
}

impl Default for Dynamic {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(b: &[u8]) -> Src<'_> {
        Src::Raw(b)
    }

    fn add(t: &mut Dynamic, name: &[u8], value: &[u8]) {
        t.insert(Name::Bytes(raw(name), None), name.len(), raw(value), value.len()).unwrap();
    }

    fn entries(t: &Dynamic) -> Vec<(Vec<u8>, Vec<u8>)> {
        (0..t.len()).map(|i| {
            let e = t.get(i).unwrap();
            (e.name.to_vec(), e.value.to_vec())
        }).collect()
    }

    #[test]
    fn static_table_is_appendix_a() {
        assert_eq!(static_entry(0), None);
        assert_eq!(static_entry(62), None);
        let e = static_entry(1).unwrap();
        assert_eq!((e.name, e.value, e.tag), (&b":authority"[..], &b""[..], fields::AUTHORITY));
        let e = static_entry(2).unwrap();
        assert_eq!((e.name, e.value, e.tag), (&b":method"[..], &b"GET"[..], fields::METHOD));
        let e = static_entry(16).unwrap();
        assert_eq!((e.name, e.value), (&b"accept-encoding"[..], &b"gzip, deflate"[..]));
        assert_eq!(static_entry(28).unwrap().tag, fields::CONTENT_LENGTH);
        assert_eq!(static_entry(57).unwrap().tag, fields::CONNECTION);
        assert_eq!(static_entry(8).unwrap().tag, fields::PSEUDO_OTHER);
        let e = static_entry(61).unwrap();
        assert_eq!((e.name, e.value), (&b"www-authenticate"[..], &b""[..]));
        for i in 1..=61 {
            let e = static_entry(i).unwrap();
            assert_eq!(e.name, STATIC_ROWS[i - 1].0.as_bytes());
            assert_eq!(e.value, STATIC_ROWS[i - 1].1.as_bytes());
        }
    }

    #[test]
    fn eviction_follows_sizes() {
        let mut t = Dynamic::new();
        t.set_max(100);
        add(&mut t, b"aaaa", b"1111"); // 40
        add(&mut t, b"bbbb", b"2222"); // 80
        assert_eq!(t.size(), 80);
        add(&mut t, b"cccc", b"3333"); // evicts a
        assert_eq!(entries(&t), vec![(b"cccc".to_vec(), b"3333".to_vec()), (b"bbbb".to_vec(), b"2222".to_vec())]);
        assert_eq!(t.size(), 80);
        // An entry larger than the maximum empties the table.
        add(&mut t, &[b'x'; 40], &[b'y'; 40]);
        assert_eq!(t.len(), 0);
        assert_eq!(t.size(), 0);
        add(&mut t, b"dd", b"4");
        t.set_max(0);
        assert_eq!(t.len(), 0);
        t.set_max(4096);
        assert_eq!(t.max(), 4096);
    }

    #[test]
    fn a_name_from_an_entry_its_insertion_evicts() {
        let mut t = Dynamic::new();
        t.set_max(80);
        add(&mut t, b"name", b"v1"); // 38
        add(&mut t, b"other", b"v2"); // 39 -> 77
        // New entry named after entry 1 (the oldest, "name"), which must be evicted for it.
        t.insert(Name::Entry(1), 4, raw(b"v3"), 2).unwrap();
        assert_eq!(entries(&t), vec![(b"name".to_vec(), b"v3".to_vec()), (b"other".to_vec(), b"v2".to_vec())]);
    }

    #[test]
    fn slow_path_keeps_the_evicted_name() {
        // Fill the buffer so that the new entry fits only after eviction and compaction.
        let mut t = Dynamic::new();
        let long = vec![b'n'; 2000];
        add(&mut t, &long, &vec![b'v'; 2000]); // 4032
        t.insert(Name::Entry(0), 2000, raw(b"w"), 1).unwrap();
        assert_eq!(t.len(), 1);
        let e = t.get(0).unwrap();
        assert_eq!(e.name, &long[..]);
        assert_eq!(e.value, b"w");
        assert_eq!(t.size(), 2001 + 32);
    }

    /// Random insertions against a model that keeps whole copies.
    #[test]
    fn random_churn_matches_a_model() {
        let mut t = Dynamic::new();
        let mut model: Vec<(Vec<u8>, Vec<u8>)> = Vec::new(); // newest first
        let mut max = CAPACITY;
        let mut rng = 0xdead_beef_cafe_f00du64;
        for step in 0..20_000 {
            let r = crate::test_rng::xorshift(&mut rng);
            if r.is_multiple_of(97) {
                max = (r as usize >> 8) % (CAPACITY + 1);
                t.set_max(max);
            } else {
                let use_entry = !model.is_empty() && r.is_multiple_of(3);
                let vlen = (r as usize >> 16) % if r.is_multiple_of(7) { 3000 } else { 60 };
                let value: Vec<u8> = (0..vlen).map(|i| b'a' + ((i + step) % 26) as u8).collect();
                let name: Vec<u8> = if use_entry {
                    let i = (r as usize >> 40) % model.len();
                    let n = model[i].0.clone();
                    t.insert(Name::Entry(i), n.len(), raw(&value), value.len()).unwrap();
                    n
                } else {
                    let n: Vec<u8> = format!("h{}", step % 50).into_bytes();
                    t.insert(Name::Bytes(raw(&n), None), n.len(), raw(&value), value.len()).unwrap();
                    n
                };
                let size = name.len() + value.len() + 32;
                if size > max {
                    model.clear();
                } else {
                    model.insert(0, (name, value));
                }
            }
            while model.iter().map(|(n, v)| n.len() + v.len() + 32).sum::<usize>() > max {
                model.pop();
            }
            assert_eq!(entries(&t), model, "step {step}");
            assert_eq!(t.size(), model.iter().map(|(n, v)| n.len() + v.len() + 32).sum::<usize>());
        }
    }

    #[test]
    fn tags_and_value_checks_are_kept() {
        let mut t = Dynamic::new();
        add(&mut t, b"content-length", b"12");
        add(&mut t, b"x", b" bad");
        let e = t.get(1).unwrap();
        assert_eq!((e.tag, e.value_ok), (fields::CONTENT_LENGTH, true));
        let e = t.get(0).unwrap();
        assert_eq!((e.tag, e.value_ok), (fields::OTHER, false));
        let h = huffman::encode(b"user-agent");
        t.insert(Name::Bytes(Src::Huffman(&h), None), 10, raw(b"x"), 1).unwrap();
        assert_eq!(t.get(0).unwrap().tag, fields::OTHER);
        assert_eq!(t.get(0).unwrap().name, b"user-agent");
    }
}
