//! Response header blocks (RFC 7541 §6), indexing the fields every answer repeats.
//!
//! Contract: the encoder never Huffman-codes and adds only three kinds of entry to the peer's
//! table: `server: mote`, `content-type: text/plain` and `date: <the current date>`. It adds them
//! as a group (in the order the fields go out: server, date, content-type), then only a new date
//! when the second changes, for as long as the group and the dates added since fit the size the
//! peer's decoder allows ([`Encoder::set_peer_max`], from SETTINGS_HEADER_TABLE_SIZE, capped at
//! 4096); when the next date would not, the group is added anew. The peer keeps exactly the
//! newest entries whose sizes sum to at most its maximum (§4.4), and ours are all it gets, so
//! every index we use names what we mean. When the peer's maximum changes, the group is
//! forgotten, and the next block starts with the size updates §4.2 asks for (the smallest value
//! seen, then the final one). With a maximum too small for the group, every answer adds the
//! fields and none is referenced (an entry larger than the table just empties it, §4.4). After the
//! first response on a connection, `server` and `content-type` cost one byte each, and `date`
//! one byte until the second changes.

use crate::h2::cursor::Cursor;

/// The fields as literals with incremental indexing (indexed name from the static table,
/// §6.2.1; the date's value follows).
const ADD_SERVER_DATE: &[u8] = b"\x76\x04mote\x61\x1d";
const ADD_TYPE: &[u8] = b"\x5f\x0atext/plain";
/// The entries' sizes in the peer's table (§4.1: name, value and 32).
const DATE_SIZE: usize = 4 + 29 + 32;
const GROUP_SIZE: usize = 6 + 4 + 32 + DATE_SIZE + 12 + 10 + 32;

/// The most of the peer's table we use.
pub const MAX_TABLE: usize = 4096;
const NO_UPDATE: usize = usize::MAX;

/// All-zero bytes are valid; [`Encoder::reset`] makes a fresh encoder.
pub struct Encoder {
    /// The table size we use: the peer's maximum, at most [`MAX_TABLE`].
    max: usize,
    /// A size change not yet signalled: the smallest size since the last block.
    pending_min: usize,
    /// 0: the group is not in the peer's table; else 1 + the dates added after it.
    group: usize,
    /// The newest date entry's value.
    date: [u8; 29],
}

impl Encoder {
    pub const fn new() -> Self {
        Encoder { max: MAX_TABLE, pending_min: NO_UPDATE, group: 0, date: [0; 29] }
    }

    pub fn reset(&mut self) {
        (self.max, self.pending_min, self.group) = (MAX_TABLE, NO_UPDATE, 0);
    }

    /// The peer's SETTINGS_HEADER_TABLE_SIZE changed.
    pub fn set_peer_max(&mut self, peer_max: u32) {
        let max = (peer_max as usize).min(MAX_TABLE);
        if max != self.max {
            self.pending_min = self.pending_min.min(max);
            self.max = max;
            self.group = 0;
        }
    }

    /// Starts a header block: any dynamic table size updates owed (§4.2, §6.3).
    pub fn start(&mut self, c: &mut Cursor<'_>) {
        if self.pending_min != NO_UPDATE {
            if self.pending_min < self.max {
                size_update(c, self.pending_min);
            }
            size_update(c, self.max);
            self.pending_min = NO_UPDATE;
        }
    }

    /// `:status`: indexed for 200 (§6.1), else a literal without indexing, name `:status`.
    pub fn status(&mut self, c: &mut Cursor<'_>, status: u16) {
        if status == 200 {
            return c.byte(0x88);
        }
        let s = status.min(999);
        c.put(&[0x08, 3, b'0' + (s / 100) as u8, b'0' + (s / 10 % 10) as u8, b'0' + (s % 10) as u8]);
    }

    /// `server`, `date` and `content-type`, in that order.
    pub fn common(&mut self, c: &mut Cursor<'_>, date: &[u8; 29]) {
        // After the group, the entries are (newest first) the dates added since, newest first,
        // then content-type, the group's date and server: with `extra` dates, content-type is
        // at 62 + extra and server at 64 + extra (at most 124: the table holds few dates).
        let extra = self.group.saturating_sub(1) as u8;
        // The bytes before the date's value and after it (when it is a literal, else none).
        let indexed = [0x80 | (64 + extra), 0x80 | if extra == 0 { 63 } else { 62 }, 0x80 | (62 + extra)];
        let one_more = [0x80 | (64 + extra), 0x61, 0x1d, 0x80 | (63 + extra)];
        let (before, after): (&[u8], Option<&[u8]>) = if self.group != 0 && self.date == *date {
            (&indexed, None)
        } else if self.group != 0 && GROUP_SIZE + DATE_SIZE * self.group <= self.max {
            // One more date: server is indexed before it is added, content-type after.
            self.group += 1;
            (&one_more[..3], Some(&one_more[3..]))
        } else {
            // Added anew: in a table too small for the group, the entries come and go and are
            // never referenced.
            self.group = usize::from(self.max >= GROUP_SIZE);
            (ADD_SERVER_DATE, Some(ADD_TYPE))
        };
        c.put(before);
        if let Some(after) = after {
            c.put(date);
            c.put(after);
            self.date = *date;
        }
    }
}

/// A dynamic table size update (§6.3) to `size` (at most [`MAX_TABLE`]: the integer's prefix
/// and at most two more bytes, §5.1).
fn size_update(c: &mut Cursor<'_>, size: usize) {
    let rest = size.wrapping_sub(31);
    let bytes = [0x20 | size.min(31) as u8, 0x80 | rest as u8, (rest >> 7) as u8];
    let n = match size {
        0..31 => 1,
        31..159 => 2,
        _ => 3,
    };
    // A second byte ends the integer unless a third follows.
    let bytes = if n == 2 { [bytes[0], rest as u8, 0] } else { bytes };
    c.put(bytes.get(..n).unwrap_or(&bytes));
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
        e.common(&mut c, date);
        c.put(b"\x0f\x0d\x012");
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
        assert_eq!(third.len(), 5 + 1 + 2 + 29 + 1 + 4);
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
