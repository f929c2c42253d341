//! The HPACK tables (RFC 7541 §2.3): the static table of Appendix A and the decoder's dynamic
//! table.
//!
//! Contract: the static table is Appendix A, kept in the source as readable rows and packed at
//! compile time into one byte string of length-prefixed names and values (the rows themselves
//! are not in the binary). The dynamic table holds at most [`CAPACITY`] bytes in the RFC's units
//! (our SETTINGS_HEADER_TABLE_SIZE, the protocol's default 4096, so that the peer may use it
//! before it sees our SETTINGS). Its entries are one contiguous run, newest first, each a 4-byte
//! header (name and value lengths) then the name and the value; the header is smaller than the
//! RFC's 32 bytes of overhead, so the run always fits the buffer. An insertion evicts from the
//! end what no longer fits, moves the run up and writes the entry in front; lookups walk the
//! run (at most 128 entries). Sizes and eviction follow §4.1-§4.4 exactly. The caller hands
//! insertions bytes that are not in the table (the decoder copies a name taken from an entry
//! first), so an entry whose name comes from an entry that its own insertion evicts is right.
//! All-zero bytes are a valid (empty) table; [`Dynamic::reset`] sets the default maximum. Nothing
//! here panics or allocates.

use crate::h2::cursor::Cursor;

/// The largest dynamic table we accept, in the RFC's size units.
pub const CAPACITY: usize = 4096;
/// The overhead the RFC adds to an entry's name and value lengths (§4.1).
pub const ENTRY_OVERHEAD: usize = 32;
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
        let value = STATIC_ROWS[i].1.len();
        n += 1 + STATIC_ROWS[i].0.len() + if value > 0 { 1 + value } else { 0 };
        i += 1;
    }
    n
}

const BLOB_LEN: usize = blob_len();

/// Appendix A: for each entry in order, the name's length (with bit 7 set when a value
/// follows), the name, and for a value its length and bytes.
static BLOB: [u8; BLOB_LEN] = pack();

const fn pack() -> [u8; BLOB_LEN] {
    let mut blob = [0u8; BLOB_LEN];
    let mut at = 0;
    let mut i = 0;
    while i < STATIC_ROWS.len() {
        let mut k = 0;
        while k < 2 {
            let s = if k == 0 { STATIC_ROWS[i].0.as_bytes() } else { STATIC_ROWS[i].1.as_bytes() };
            let valued = !STATIC_ROWS[i].1.is_empty();
            if k == 0 || valued {
                assert!(s.len() < 0x80);
                blob[at] = s.len() as u8 | if k == 0 && valued { 0x80 } else { 0 };
                at += 1;
                let mut j = 0;
                while j < s.len() {
                    blob[at] = s[j];
                    at += 1;
                    j += 1;
                }
            }
            k += 1;
        }
        i += 1;
    }
    blob
}

/// A name and a value.
pub type Entry<'a> = (&'a [u8], &'a [u8]);

/// Static entry `index` (1 to 61).
pub fn static_entry(index: usize) -> Option<Entry<'static>> {
    let mut at = 0;
    for k in 1.. {
        let lead = *BLOB.get(at)?;
        let name_len = usize::from(lead & 0x7f);
        let name = BLOB.get(at + 1..at + 1 + name_len)?;
        at += 1 + name_len;
        let mut value: &[u8] = &[];
        if lead & 0x80 != 0 {
            let value_len = usize::from(*BLOB.get(at)?);
            value = BLOB.get(at + 1..at + 1 + value_len)?;
            at += 1 + value_len;
        }
        if k == index {
            return Some((name, value));
        }
    }
    None
}

/// The decoder's dynamic table. In this order (`repr(C)`): the counts, then the run from its
/// newest entry, so a small table's bytes share a page with the counts.
#[repr(C)]
pub struct Dynamic {
    /// Bytes of the run in use, entries, the table's size in the RFC's units, its maximum.
    used: usize,
    count: usize,
    size: usize,
    max: usize,
    bytes: [u8; CAPACITY],
}

/// An entry's header: its name and value lengths.
const HEADER: usize = 4;

impl Dynamic {
    pub const fn new() -> Self {
        Dynamic { bytes: [0; CAPACITY], used: 0, count: 0, size: 0, max: CAPACITY }
    }

    /// Empties the table and restores the default maximum (cheap: no bytes are touched).
    pub fn reset(&mut self) {
        (self.used, self.count, self.size, self.max) = (0, 0, 0, CAPACITY);
    }

    /// Evicts every entry.
    pub fn clear(&mut self) {
        self.keep(0);
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
        self.max = max;
        self.keep(max);
    }

    /// The length in the run of the entry at `at`.
    fn skip(&self, at: usize) -> Option<usize> {
        let &[a, b, c, d] = self.bytes.get(at..at + HEADER)? else { return None };
        Some(HEADER + (usize::from(a) << 8 | usize::from(b)) + (usize::from(c) << 8 | usize::from(d)))
    }

    /// Dynamic entry `i` (0 = the newest).
    #[inline(never)]
    pub fn get(&self, i: usize) -> Option<Entry<'_>> {
        if i >= self.count {
            return None;
        }
        let mut at = 0;
        for _ in 0..i {
            at += self.skip(at)?;
        }
        let &[a, b, _, _] = self.bytes.get(at..at + HEADER)? else { return None };
        let mid = at + HEADER + (usize::from(a) << 8 | usize::from(b));
        Some((self.bytes.get(at + HEADER..mid)?, self.bytes.get(mid..at + self.skip(at)?)?))
    }

    /// Entry `index` of the combined index space (§2.3.3): static 1-61, then dynamic.
    pub fn lookup(&self, index: usize) -> Option<Entry<'_>> {
        if index < FIRST_DYNAMIC { static_entry(index) } else { self.get(index - FIRST_DYNAMIC) }
    }

    /// Keeps the newest entries whose sizes sum to at most `budget` (§4.3, §4.4).
    #[inline(never)]
    fn keep(&mut self, budget: usize) {
        let (mut at, mut size, mut n) = (0, 0, 0);
        while n < self.count {
            let Some(len) = self.skip(at) else { break };
            // The RFC's size: name and value, and 32 in place of our header.
            let entry = len - HEADER + ENTRY_OVERHEAD;
            if size + entry > budget {
                break;
            }
            (at, size, n) = (at + len, size + entry, n + 1);
        }
        (self.used, self.size, self.count) = (at, size, n);
    }

    /// Adds an entry (§4.4): first evicts what it needs room for; an entry larger than the
    /// maximum empties the table.
    pub fn insert(&mut self, name: &[u8], value: &[u8]) {
        let entry = name.len() + value.len() + ENTRY_OVERHEAD;
        self.keep(self.max.saturating_sub(entry));
        if entry > self.max {
            return;
        }
        // Both bounds are clamped so that the move provably stays in the buffer (they hold
        // anyway: the run is never larger than the table's size).
        let used = self.used.min(CAPACITY);
        let len = (HEADER + name.len() + value.len()).min(CAPACITY - used);
        self.bytes.copy_within(..used, len);
        let mut c = Cursor::new(&mut self.bytes);
        c.put(&[(name.len() >> 8) as u8, name.len() as u8, (value.len() >> 8) as u8, value.len() as u8]);
        c.put(name);
        c.put(value);
        self.used += len;
        self.count += 1;
        self.size += entry;
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

    fn add(t: &mut Dynamic, name: &[u8], value: &[u8]) {
        t.insert(name, value);
    }

    fn entries(t: &Dynamic) -> Vec<(Vec<u8>, Vec<u8>)> {
        (0..t.len()).map(|i| {
            let (n, v) = t.get(i).unwrap();
            (n.to_vec(), v.to_vec())
        }).collect()
    }

    #[test]
    fn static_table_is_appendix_a() {
        assert_eq!(static_entry(0), None);
        assert_eq!(static_entry(62), None);
        assert_eq!(static_entry(1), Some((&b":authority"[..], &b""[..])));
        assert_eq!(static_entry(2), Some((&b":method"[..], &b"GET"[..])));
        assert_eq!(static_entry(16), Some((&b"accept-encoding"[..], &b"gzip, deflate"[..])));
        assert_eq!(static_entry(61), Some((&b"www-authenticate"[..], &b""[..])));
        for i in 1..=61 {
            let (n, v) = static_entry(i).unwrap();
            assert_eq!(n, STATIC_ROWS[i - 1].0.as_bytes());
            assert_eq!(v, STATIC_ROWS[i - 1].1.as_bytes());
            assert!(crate::h2::fields::classify(n) != crate::h2::fields::INVALID, "{i}");
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
        // A zeroed table is empty; reset restores the default maximum.
        let mut z = Dynamic { bytes: [0; CAPACITY], used: 0, count: 0, size: 0, max: 0 };
        z.reset();
        add(&mut z, b"a", b"b");
        assert_eq!(z.len(), 1);
    }

    #[test]
    fn a_full_table_takes_an_entry_of_its_whole_size() {
        let mut t = Dynamic::new();
        let long = vec![b'n'; 2000];
        add(&mut t, &long, &vec![b'v'; 2000]); // 4032
        add(&mut t, &long, b"w"); // evicts the first
        assert_eq!(entries(&t), vec![(long.clone(), b"w".to_vec())]);
        assert_eq!(t.size(), 2001 + 32);
        add(&mut t, &[b'x'; 2000], &[b'y'; 2064]); // exactly 4096
        assert_eq!(t.len(), 1);
        assert_eq!(t.size(), 4096);
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
                    t.get(i).unwrap().0.to_vec()
                } else {
                    format!("h{}", step % 50).into_bytes()
                };
                t.insert(&name, &value);
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
}
