//! Response header blocks (RFC 7541 §6) with a model of the peer's dynamic table.
//!
//! Contract: the encoder never Huffman-codes and adds only three kinds of entry to the peer's
//! table: `server: mote`, `content-type: text/plain` and `date: <the current date>`. It keeps
//! a model of the newest entries it added ([`MODEL`] of them, newest first) and of the size
//! the peer's decoder allows ([`Encoder::set_peer_max`], from SETTINGS_HEADER_TABLE_SIZE, capped
//! at 4096). An entry is referenced only while the model proves it is still in the peer's
//! table: all entries newer than it are in the model, and the peer keeps exactly the newest
//! entries whose sizes sum to at most its maximum (§4.4), so both its index and its presence
//! follow. Older entries fall out of the model and are never referenced again; a kind that
//! fell out is simply added anew. When the peer's maximum changes, the next block starts with
//! the size updates §4.2 asks for (the smallest value seen, then the final one). After the
//! first response on a connection, `server` and `content-type` cost one byte each, and `date`
//! one byte until the second changes.

use crate::h2::cursor::Cursor;


/// The entries the encoder adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    Server = 1,
    ContentType = 2,
    Date = 3,
}

/// Per kind (index = `Kind as usize`): the entry's size in the peer's table (§4.1: name,
/// value and 32), and the literal with incremental indexing that adds it, up to its value
/// (indexed name from the static table, §6.2.1; the date's value follows).
const SIZE: [usize; 4] = [0, 6 + 4 + 32, 12 + 10 + 32, 4 + 29 + 32];
const ADD: [&[u8]; 4] = [b"", b"\x76\x04mote", b"\x5f\x0atext/plain", b"\x61\x1d"];
/// The same fields as literals without indexing (§6.2.2), for a peer table too small.
const PLAIN: [&[u8]; 4] = [b"", b"\x0f\x27\x04mote", b"\x0f\x10\x0atext/plain", b"\x0f\x12\x1d"];

/// Entries of ours the model remembers.
pub const MODEL: usize = 4;
/// The most of the peer's table we use.
pub const MAX_TABLE: usize = 4096;
const NO_UPDATE: usize = usize::MAX;

pub struct Encoder {
    /// Our entries, newest first (`Kind as u8`, 0 past the last).
    kinds: [u8; MODEL],
    /// The value of the newest date entry in the model.
    date: [u8; 29],
    /// The table size we use: the peer's maximum, at most [`MAX_TABLE`].
    max: usize,
    /// A size change not yet signalled: the smallest size since the last block.
    pending_min: usize,
    /// The index bytes of `server`, `date` (for [`Encoder::date`]) and `content-type` while
    /// the model holds all three and has not changed: [`Encoder::common`] writes them as they
    /// are.
    indexed: Option<[u8; 3]>,
}

impl Encoder {
    pub const fn new() -> Self {
        Encoder { kinds: [0; MODEL], date: [0; 29], max: MAX_TABLE, pending_min: NO_UPDATE, indexed: None }
    }

    pub fn reset(&mut self) {
        *self = Encoder::new();
    }

    /// The peer's SETTINGS_HEADER_TABLE_SIZE changed.
    pub fn set_peer_max(&mut self, peer_max: u32) {
        let max = (peer_max as usize).min(MAX_TABLE);
        if max != self.max {
            self.pending_min = self.pending_min.min(max);
            self.max = max;
            self.trim();
        }
    }

    /// Forgets the entries the peer's table no longer holds (the oldest, past `max`).
    fn trim(&mut self) {
        self.indexed = None;
        let mut total = 0;
        for k in self.kinds.iter_mut() {
            total += SIZE.get(usize::from(*k)).copied().unwrap_or(0);
            if total > self.max {
                *k = 0;
            }
        }
    }

    /// Starts a header block: any dynamic table size updates owed (§4.2, §6.3).
    #[inline(never)]
    pub fn start(&mut self, c: &mut Cursor<'_>) {
        if self.pending_min != NO_UPDATE {
            if self.pending_min < self.max {
                c.int(0x20, 5, self.pending_min);
            }
            c.int(0x20, 5, self.max);
            self.pending_min = NO_UPDATE;
        }
    }

    /// `:status` (§6.1 for the codes of the static table we answer with, else a literal
    /// without indexing, name :status).
    #[inline(never)]
    pub fn status(&mut self, c: &mut Cursor<'_>, status: u16) {
        let index = match status {
            200 => 0x88,
            404 => 0x8d,
            400 => 0x8c,
            _ => 0,
        };
        if index != 0 {
            c.byte(index);
            return;
        }
        let s = status.min(999);
        c.put(&[0x08, 3, b'0' + (s / 100) as u8, b'0' + (s / 10 % 10) as u8, b'0' + (s % 10) as u8]);
    }

    /// A field with a static name, not added to the table (§6.2.2).
    #[inline(never)]
    pub fn literal(&mut self, c: &mut Cursor<'_>, static_name: usize, value: &[u8]) {
        c.int(0x00, 4, static_name);
        c.int(0x00, 7, value.len());
        c.put(value);
    }

    /// `server`, `date` and `content-type`, in that order.
    pub fn common(&mut self, c: &mut Cursor<'_>, date: &[u8; 29]) {
        if let Some(bytes) = self.indexed
            && self.date == *date {
                c.put(&bytes);
                return;
            }
        self.common_slow(c, date);
    }

    #[inline(never)]
    fn common_slow(&mut self, c: &mut Cursor<'_>, date: &[u8; 29]) {
        self.entry(c, Kind::Server, date);
        self.entry(c, Kind::Date, date);
        self.entry(c, Kind::ContentType, date);
        // Each kind's newest entry (the newest date is this date), once all three are in.
        let mut at = [0u8; 4];
        for (i, &k) in self.kinds.iter().enumerate().rev() {
            if let Some(b) = at.get_mut(usize::from(k)) {
                *b = 0x80 | (62 + i) as u8;
            }
        }
        let [_, s, t, d] = at;
        if s != 0 && t != 0 && d != 0 {
            self.indexed = Some([s, d, t]);
        }
    }

    /// One of our entries: indexed when the model holds it (for the date, with this value),
    /// else added to the table (or, when the table is too small, a plain literal).
    #[inline(never)]
    pub fn entry(&mut self, c: &mut Cursor<'_>, kind: Kind, date: &[u8; 29]) {
        let k = kind as usize;
        // The newest entry of this kind (only the newest date can match: older ones carry
        // older dates). The model holds only entries the peer's table holds (see `trim`).
        if let Some(i) = self.kinds.iter().position(|&held| usize::from(held) == k)
            && (kind != Kind::Date || self.date == *date) {
                c.byte(0x80 | (62 + i) as u8);
                return;
            }
        let date_value: &[u8] = if kind == Kind::Date { date } else { b"" };
        if SIZE.get(k).copied().unwrap_or(usize::MAX) > self.max {
            c.put(PLAIN.get(k).copied().unwrap_or(b""));
            c.put(date_value);
            return;
        }
        c.put(ADD.get(k).copied().unwrap_or(b""));
        c.put(date_value);
        self.kinds.copy_within(0..MODEL - 1, 1);
        self.kinds[0] = kind as u8;
        if kind == Kind::Date {
            self.date = *date;
        }
        self.trim();
    }
}

impl Default for Encoder {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::super::decoder::tests::Collect;
    use super::super::decoder::Decoder;
    use super::*;

    const DATE1: &[u8; 29] = b"Mon, 21 Oct 2013 20:13:21 GMT";
    const DATE2: &[u8; 29] = b"Mon, 21 Oct 2013 20:13:22 GMT";

    fn block(e: &mut Encoder, status: u16, date: &[u8; 29]) -> Vec<u8> {
        let mut buf = [0u8; 256];
        let mut c = Cursor::new(&mut buf);
        e.start(&mut c);
        e.status(&mut c, status);
        e.entry(&mut c, Kind::Server, date);
        e.entry(&mut c, Kind::Date, date);
        e.entry(&mut c, Kind::ContentType, date);
        e.literal(&mut c, 28, b"2");
        assert!(!c.overflowed());
        c.written().to_vec()
    }

    fn want(status: &str, date: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
        vec![
            (b":status".to_vec(), status.as_bytes().to_vec()),
            (b"server".to_vec(), b"mote".to_vec()),
            (b"date".to_vec(), date.to_vec()),
            (b"content-type".to_vec(), b"text/plain".to_vec()),
            (b"content-length".to_vec(), b"2".to_vec()),
        ]
    }

    fn check(d: &mut Decoder, b: &[u8], status: &str, date: &[u8]) {
        let mut c = Collect::default();
        d.decode(b, &mut c).unwrap();
        assert_eq!(c.0, want(status, date));
        // The same through the independent decoder.
    }

    #[test]
    fn repeated_fields_cost_one_byte() {
        let mut e = Encoder::new();
        let mut d = Decoder::new();
        let mut theirs = hpack::Decoder::new();
        let first = block(&mut e, 200, DATE1);
        check(&mut d, &first, "200", DATE1);
        let second = block(&mut e, 200, DATE1);
        check(&mut d, &second, "200", DATE1);
        // :status 1, server 1, date 1, content-type 1, content-length 4 (0x0f 0x0d, length, digit).
        assert_eq!(second.len(), 8, "{second:x?}");
        let third = block(&mut e, 404, DATE2);
        check(&mut d, &third, "404", DATE2);
        assert_eq!(third.len(), 1 + 1 + 2 + 29 + 1 + 4);
        for b in [&first, &second, &third] {
            theirs.decode(b).unwrap();
        }
        let odd = block(&mut e, 413, DATE2);
        check(&mut d, &odd, "413", DATE2);
        assert_eq!(theirs.decode(&odd).unwrap().len(), 5);
    }

    #[test]
    fn many_dates_push_old_entries_out_and_they_come_back() {
        let mut e = Encoder::new();
        let mut d = Decoder::new();
        let mut theirs = hpack::Decoder::new();
        for s in 0..200u32 {
            let mut date = *DATE1;
            date[17] = b'0' + (s / 60 % 10) as u8;
            date[18] = b'0' + (s / 10 % 6) as u8; // not a real clock; only distinct values matter
            date[20] = b'0' + (s % 10) as u8;
            date[21] = b'0' + (s / 100 % 10) as u8;
            for _ in 0..3 {
                let b = block(&mut e, 200, &date);
                check(&mut d, &b, "200", &date);
                let theirs_got = theirs.decode(&b).unwrap();
                assert_eq!(theirs_got[2].1, date.to_vec());
            }
        }
    }

    #[test]
    fn peer_table_size_changes_are_signalled() {
        let mut e = Encoder::new();
        let mut d = Decoder::new();
        check(&mut d, &block(&mut e, 200, DATE1), "200", DATE1);
        // The peer shrinks its table to 0: the next block starts with an update to 0 and adds
        // nothing.
        e.set_peer_max(0);
        let b = block(&mut e, 200, DATE1);
        assert_eq!(b[0], 0x20);
        check(&mut d, &b, "200", DATE1);
        assert_eq!(d.table.len(), 0);
        // Down to 100 then up to 8192 before the next block: both sizes, smallest first.
        e.set_peer_max(100);
        e.set_peer_max(8192);
        let b = block(&mut e, 200, DATE1);
        assert_eq!(&b[..4], &[0x3f, 0x45, 0x3f, 0xe1]); // 100, then 4096
        check(&mut d, &b, "200", DATE1);
        let b = block(&mut e, 200, DATE1);
        assert_eq!(b.len(), 8);
        check(&mut d, &b, "200", DATE1);
        // A table of 50 holds only server (42).
        e.set_peer_max(50);
        let b = block(&mut e, 200, DATE1);
        check(&mut d, &b, "200", DATE1);
        let b = block(&mut e, 200, DATE1);
        check(&mut d, &b, "200", DATE1);
        assert!(d.table.size() <= 50);
    }
}
