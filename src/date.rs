//! HTTP dates in IMF-fixdate form (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
//!
//! Contract: [`imf_fixdate`] maps Unix seconds to the proleptic Gregorian calendar in UTC with
//! integer arithmetic only; it never panics or allocates. The format has a four-digit year, so
//! times after 9999-12-31T23:59:59Z are clamped to that instant.

/// Length of an IMF-fixdate.
pub const LEN: usize = 29;

/// The last second an IMF-fixdate can show: 9999-12-31T23:59:59Z.
const MAX_SECS: u64 = 253_402_300_799;

const DAY_NAMES: [&[u8; 3]; 7] = [b"Sun", b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat"];
const MONTH_NAMES: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Year, month (1-12) and day (1-31) of the day `days` after 1970-01-01.
///
/// The calendar is shifted so that a year starts on 1 March: the leap day then falls at the end
/// of the year and every month's first day is a linear function of its index. Years come in
/// 400-year cycles of 146097 days; inside a cycle, the year is found by correcting the day count
/// for the leap days before it (every 4 years, except every 100, except every 400).
fn civil(days: u64) -> (u64, u64, u64) {
    // 0000-03-01 is 719468 days before 1970-01-01.
    let shifted = days + 719_468;
    let cycle = shifted / 146_097;
    let day_of_cycle = shifted % 146_097; // 0..=146096
    // Remove the leap days already passed so that a plain division by 365 gives the year.
    let year_of_cycle =
        (day_of_cycle - day_of_cycle / 1460 + day_of_cycle / 36_524 - day_of_cycle / 146_096) / 365;
    let day_of_year = day_of_cycle - (365 * year_of_cycle + year_of_cycle / 4 - year_of_cycle / 100);
    // Months from March: lengths 31 30 31 30 31 31 30 31 30 31 31 (28/29), a 153-day pattern
    // every five months.
    let month_from_march = (5 * day_of_year + 2) / 153; // 0..=11
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = cycle * 400 + year_of_cycle + u64::from(month <= 2);
    (year, month, day)
}

/// Writes `v % 100` as two digits.
fn two(out: &mut [u8], v: u64) {
    if let [a, b, ..] = out {
        *a = b'0' + (v / 10 % 10) as u8;
        *b = b'0' + (v % 10) as u8;
    }
}

/// Formats Unix time `secs` (seconds since 1970-01-01T00:00:00Z) as an IMF-fixdate.
pub fn imf_fixdate(secs: u64) -> [u8; LEN] {
    let secs = secs.min(MAX_SECS);
    let days = secs / 86_400;
    let in_day = secs % 86_400;
    let (year, month, day) = civil(days);
    // 1970-01-01 was a Thursday (index 4 from Sunday).
    let weekday = ((days + 4) % 7) as usize;

    let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    if let (Some(dst), Some(name)) = (out.get_mut(0..3), DAY_NAMES.get(weekday)) {
        dst.copy_from_slice(&name[..]);
    }
    let month_index = (month as usize).wrapping_sub(1);
    if let (Some(dst), Some(name)) = (out.get_mut(8..11), MONTH_NAMES.get(month_index)) {
        dst.copy_from_slice(&name[..]);
    }
    // The two-digit fields, by their offsets.
    for (at, v) in [(5, day), (12, year / 100), (14, year), (17, in_day / 3600), (20, in_day / 60 % 60), (23, in_day % 60)] {
        if let Some(dst) = out.get_mut(at..at + 2) {
            two(dst, v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        // Expected values from `date -u -d @N '+%a, %d %b %Y %H:%M:%S GMT'`.
        let table: &[(u64, &[u8; LEN])] = &[
            (0, b"Thu, 01 Jan 1970 00:00:00 GMT"),
            (784_111_777, b"Sun, 06 Nov 1994 08:49:37 GMT"),
            (951_782_400, b"Tue, 29 Feb 2000 00:00:00 GMT"),
            (4_102_444_799, b"Thu, 31 Dec 2099 23:59:59 GMT"),
            (1_709_164_800, b"Thu, 29 Feb 2024 00:00:00 GMT"),
            (1_709_251_199, b"Thu, 29 Feb 2024 23:59:59 GMT"),
            (1_798_243_199, b"Fri, 25 Dec 2026 23:59:59 GMT"),
            (68_169_600, b"Tue, 29 Feb 1972 00:00:00 GMT"),
            (1_234_567_890, b"Fri, 13 Feb 2009 23:31:30 GMT"),
            (2_000_000_000, b"Wed, 18 May 2033 03:33:20 GMT"),
            (946_684_799, b"Fri, 31 Dec 1999 23:59:59 GMT"),
            (946_684_800, b"Sat, 01 Jan 2000 00:00:00 GMT"),
            (2_147_483_648, b"Tue, 19 Jan 2038 03:14:08 GMT"),
            (4_107_499_200, b"Sun, 28 Feb 2100 12:00:00 GMT"),
            (4_107_542_400, b"Mon, 01 Mar 2100 00:00:00 GMT"),
            (13_574_563_200, b"Tue, 29 Feb 2400 00:00:00 GMT"),
            (253_402_300_799, b"Fri, 31 Dec 9999 23:59:59 GMT"),
        ];
        for (secs, want) in table {
            let got = imf_fixdate(*secs);
            assert_eq!(&got, *want, "{secs}: {}", String::from_utf8_lossy(&got));
        }
    }

    #[test]
    fn clamps_far_future() {
        let last = imf_fixdate(253_402_300_799);
        assert_eq!(imf_fixdate(253_402_300_800), last);
        assert_eq!(imf_fixdate(u64::MAX), last);
    }

    #[test]
    fn days_follow_each_other() {
        // Walking day by day over 1970..2500: the day of month either increments or restarts
        // at 1 with the next month, months wrap into the next year, weekdays cycle.
        let mut prev = civil(0);
        assert_eq!(prev, (1970, 1, 1));
        for d in 1..(530 * 366) {
            let cur = civil(d);
            let (py, pm, pd) = prev;
            let leap = py % 4 == 0 && (py % 100 != 0 || py % 400 == 0);
            let month_len = match pm {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            let ok = (cur == (py, pm, pd + 1) && pd < month_len)
                || (cur == (py, pm + 1, 1) && pd == month_len && pm < 12)
                || (cur == (py + 1, 1, 1) && pm == 12 && pd == 31);
            assert!(ok, "day {d}: {prev:?} -> {cur:?}");
            prev = cur;
        }
    }
}
