//! A fixed-seed pseudo-random generator for the unit tests (xorshift64): the same inputs on every
//! run, so a failure can be replayed.

/// Advances `state` and returns the next value. `state` must not be 0.
pub fn xorshift(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    x
}
