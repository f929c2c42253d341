//! The only core::arch code: SSE4.2 scanners behind safe wrappers that need a [`Proof`] that the
//! CPU has SSE4.2.
#![allow(unsafe_code)]

/// Evidence that CPUID reported SSE4.2; only `scan::detect` makes one.
#[derive(Clone, Copy)]
pub struct Proof(());
