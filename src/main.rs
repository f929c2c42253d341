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

/// Copies up to 32 bytes with a few unaligned loads, all done before any store, so the ranges
/// may overlap. Returns false, copying nothing, for more. (`rep movsb` takes tens of cycles to
/// start: too slow for the short copies that responses are made of.)
///
/// # Safety
/// Both ranges valid for `n` bytes.
#[inline(always)]
unsafe fn copy_short(dst: *mut u8, src: *const u8, n: usize) -> bool {
    // SAFETY: every load and store below lies within the first n bytes of its range (each pair
    // covers [0, w) and [n - w, n) with w <= n), which the caller guarantees are valid. Loads of
    // fixed-size integers compile to plain moves, never to calls.
    unsafe {
        if n > 32 {
            return false;
        } else if n >= 16 {
            let a = src.cast::<u128>().read_unaligned();
            let b = src.add(n - 16).cast::<u128>().read_unaligned();
            dst.cast::<u128>().write_unaligned(a);
            dst.add(n - 16).cast::<u128>().write_unaligned(b);
        } else if n >= 8 {
            let a = src.cast::<u64>().read_unaligned();
            let b = src.add(n - 8).cast::<u64>().read_unaligned();
            dst.cast::<u64>().write_unaligned(a);
            dst.add(n - 8).cast::<u64>().write_unaligned(b);
        } else if n >= 4 {
            let a = src.cast::<u32>().read_unaligned();
            let b = src.add(n - 4).cast::<u32>().read_unaligned();
            dst.cast::<u32>().write_unaligned(a);
            dst.add(n - 4).cast::<u32>().write_unaligned(b);
        } else if n > 0 {
            let (a, b, c) = (*src, *src.add(n / 2), *src.add(n - 1));
            *dst = a;
            *dst.add(n / 2) = b;
            *dst.add(n - 1) = c;
        }
    }
    true
}

/// Copies 33 to 256 bytes forward, 16 at a time, the last 16 loaded first (they may overlap
/// the blocks before them, which is harmless for ranges that do not overlap each other).
/// Returns false, copying nothing, for other sizes. (Answers are about a hundred bytes: too long
/// for a few moves, too short for `rep movsb`.)
///
/// # Safety
/// Both ranges valid for `n` bytes, not overlapping.
#[inline(always)]
unsafe fn copy_medium(dst: *mut u8, src: *const u8, n: usize) -> bool {
    if !(33..=256).contains(&n) {
        return false;
    }
    // SAFETY: every load and store lies within the first n bytes of its range: blocks at
    // 16k for 16k + 16 <= n, and the one at n - 16 (n > 32). Loads of u128 compile to plain
    // vector moves, never to calls.
    unsafe {
        let last = src.add(n - 16).cast::<u128>().read_unaligned();
        let mut i = 0;
        while i + 16 <= n {
            let block = src.add(i).cast::<u128>().read_unaligned();
            dst.add(i).cast::<u128>().write_unaligned(block);
            i += 16;
        }
        dst.add(n - 16).cast::<u128>().write_unaligned(last);
    }
    true
}

/// Copies `n` bytes: short copies by [`copy_short`], medium ones by [`copy_medium`], long ones
/// forward with `rep movsb`; none can be turned back into a call to memcpy.
///
/// # Safety
/// As C's memcpy: both ranges valid for `n` bytes and not overlapping.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees both ranges are valid for n bytes and do not overlap.
    if unsafe { copy_short(dst, src, n) || copy_medium(dst, src, n) } {
        return dst;
    }
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
    // SAFETY: the caller guarantees both ranges are valid for n bytes; copy_short allows overlap.
    if unsafe { copy_short(dst, src, n) } {
        return dst;
    }
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
    // Equal words are skipped eight bytes at a time; the first unequal one is found bytewise.
    while i + 8 <= n {
        // SAFETY: i + 8 <= n and the caller guarantees both ranges are valid for n bytes;
        // unaligned u64 loads compile to plain moves.
        let (x, y) = unsafe { (a.add(i).cast::<u64>().read_unaligned(), b.add(i).cast::<u64>().read_unaligned()) };
        if x != y {
            break;
        }
        i += 8;
    }
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
