//! The freestanding binary: the process entry point, the panic handler, the global allocator
//! and the memory primitives the compiler expects. Everything else lives in the library.
#![no_std]
#![no_main]
// memcpy & co below must not be compiled into calls to themselves.
#![no_builtins]

use core::arch::{asm, naked_asm};

/// The entry point. The kernel starts us with `rsp` pointing at argc, followed by argv, envp and
/// auxv. The SysV ABI wants `rsp` 16-byte aligned at every `call`; the kernel gives that, but we
/// align anyway rather than rely on it.
/// It must be asm because no Rust code may run before the stack is set up for calls.
///
/// # Safety
/// Only the kernel calls it, once, as the process entry point.
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn _start() -> ! {
    naked_asm!(
        "xor ebp, ebp",   // the outermost frame: a zero frame pointer ends backtraces
        "mov rdi, rsp",   // first argument: the initial stack (argc, argv..., envp..., auxv...)
        "and rsp, -16",   // align the stack to 16 bytes before the call pushes the return address
        "call {entry}",   // never returns
        "ud2",            // trap if it ever did
        entry = sym entry,
    )
}

extern "C" fn entry(stack: *const usize) -> ! {
    // SAFETY: `stack` is the kernel's initial stack pointer, passed untouched by `_start`.
    let stack = unsafe { mote::sys::InitialStack::from_raw(stack) };
    mote::start::main(stack)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    mote::sys::panic_exit(info.location().map(|l| (l.file(), l.line())))
}

#[global_allocator]
static ALLOCATOR: mote::alloc::Allocator = mote::alloc::Allocator::new();

/// Copies `n` bytes forward with `rep movsb`, which cannot be turned back into a call to memcpy.
///
/// # Safety
/// As C's memcpy: both ranges valid for `n` bytes and not overlapping.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees both ranges are valid for n bytes; rep movsb copies exactly
    // n bytes forward (the direction flag is clear by the ABI).
    unsafe {
        asm!("rep movsb", inout("rcx") n => _, inout("rdi") dst => _, inout("rsi") src => _,
             options(nostack, preserves_flags));
    }
    dst
}

/// Copies `n` bytes between possibly overlapping ranges.
///
/// # Safety
/// As C's memmove: both ranges valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize).wrapping_sub(src as usize) >= n {
        // dst is below src, or past its end: a forward copy never reads a byte it wrote.
        // SAFETY: the caller guarantees both ranges are valid for n bytes.
        unsafe { memcpy(dst, src, n) }
    } else {
        // dst overlaps the tail of src: copy backward, from the last byte, with the direction
        // flag set for the one instruction and cleared again as the ABI requires.
        // SAFETY: the caller guarantees both ranges are valid for n bytes; n > 0 here since
        // dst - src < n; rdi/rsi start at the last byte of each range.
        unsafe {
            asm!("std", "rep movsb", "cld",
                 inout("rcx") n => _, inout("rdi") dst.add(n - 1) => _,
                 inout("rsi") src.add(n - 1) => _, options(nostack));
        }
        dst
    }
}

/// Fills `n` bytes with the low byte of `c` using `rep stosb`.
///
/// # Safety
/// As C's memset: the range valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees the range is valid for n bytes; rep stosb writes exactly n.
    unsafe {
        asm!("rep stosb", inout("rcx") n => _, inout("rdi") dst => _, in("al") c as u8,
             options(nostack, preserves_flags));
    }
    dst
}

/// Compares `n` bytes, returning the difference of the first unequal pair.
///
/// # Safety
/// As C's memcmp: both ranges valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: i < n and the caller guarantees both ranges are valid for n bytes.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

/// As memcmp, for callers that only need equal or not.
///
/// # Safety
/// As C's bcmp: both ranges valid for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: forwarded unchanged; same contract.
    unsafe { memcmp(a, b, n) }
}

/// The length of a NUL-terminated string (the compiler turns byte-scanning loops into calls to
/// it).
///
/// # Safety
/// As C's strlen: `s` points to a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut n = 0;
    // SAFETY: the caller guarantees a NUL terminator, so every byte before it is readable.
    while unsafe { *s.add(n) } != 0 {
        n += 1;
    }
    n
}
