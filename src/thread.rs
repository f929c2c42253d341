//! Worker threads made with a raw `clone`: each on its own mapped stack with a guard page below
//! it, sharing the address space, files and signal handlers with the rest of the process.
#![allow(unsafe_code)]

use crate::sys::{self, Errno};
use core::arch::asm;
use core::sync::atomic::{AtomicU32, Ordering};
use rust_alloc::boxed::Box;

/// Usable stack per worker (the guard page comes on top). Reserved lazily: a worker's loop uses
/// a few KiB of it.
pub const STACK_SIZE: usize = 256 << 10;
const GUARD_SIZE: usize = 4096;

// Clone flags, each for a reason:
/// Share the address space: workers are threads.
const CLONE_VM: usize = 0x100;
/// Share the working directory and umask.
const CLONE_FS: usize = 0x200;
/// Share the descriptor table: listeners are opened before the workers start.
const CLONE_FILES: usize = 0x400;
/// Share signal dispositions (SIGPIPE ignored once for all); required by CLONE_THREAD.
const CLONE_SIGHAND: usize = 0x800;
/// Write the child's thread id into the parent's word before clone returns.
const CLONE_PARENT_SETTID: usize = 0x0010_0000;
/// One process: same PID, and a fatal signal ends every worker together.
const CLONE_THREAD: usize = 0x10000;
/// Share System V semaphore undo lists, as threads do.
const CLONE_SYSVSEM: usize = 0x40000;
/// Clear the thread-id word and wake futex waiters when the thread exits: that is how `join`
/// knows it has ended.
const CLONE_CHILD_CLEARTID: usize = 0x0020_0000;

const SYS_CLONE: usize = 56;

/// A running worker thread.
pub struct Thread {
    /// The thread id while it runs; the kernel clears it to 0 when the thread exits.
    tid: &'static AtomicU32,
}

impl Thread {
    pub fn is_running(&self) -> bool {
        self.tid.load(Ordering::Acquire) != 0
    }

    /// Waits up to `timeout_ms` for the thread to exit; true if it has.
    pub fn join_timeout(&self, timeout_ms: u64) -> bool {
        let (start, _) = sys::clock_gettime(sys::CLOCK_MONOTONIC);
        loop {
            let tid = self.tid.load(Ordering::Acquire);
            if tid == 0 {
                return true;
            }
            let (now, _) = sys::clock_gettime(sys::CLOCK_MONOTONIC);
            let spent = now.saturating_sub(start) * 1000;
            if spent >= timeout_ms {
                return false;
            }
            sys::futex_wait(self.tid, tid, (timeout_ms - spent).min(100));
        }
    }
}

/// Starts `f` on a new thread. The closure's box and the thread's stack are never freed (workers
/// live as long as the process).
pub fn spawn(f: Box<dyn FnOnce() + Send>) -> Result<Thread, Errno> {
    let map_len = STACK_SIZE + GUARD_SIZE;
    let base = sys::mmap_anon(map_len, sys::PROT_READ | sys::PROT_WRITE)?;
    // SAFETY: the first page of our own fresh mapping; nothing refers to it. A stack overflow
    // now faults on it instead of running into other memory.
    unsafe { sys::mprotect(base, GUARD_SIZE, sys::PROT_NONE)? };
    // The stack grows down from the (16-byte aligned) end of the mapping.
    let top = (base as usize + map_len) & !15;

    let tid: &'static AtomicU32 = Box::leak(Box::new(AtomicU32::new(0)));
    let arg = Box::into_raw(Box::new(f)) as usize;
    let flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM
        | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    let ret: isize;
    // SAFETY: clone(flags, stack, parent_tid, child_tid, tls). The child starts on `top`, a
    // fresh stack nothing else uses, with every register but rsp/rax/rcx/r11 as the parent had them;
    // it takes `arg` from r12 (callee-saved, preserved by syscall), zeroes rbp to end
    // backtraces, and calls `child` (which never returns) with rsp 16-byte aligned, as the ABI
    // wants at a call. Only the parent falls through to label 2 and on to Rust code. Both tid
    // pointers are the leaked `tid` word, which lives forever.
    unsafe {
        asm!(
            "syscall",
            "test rax, rax",
            "jnz 2f",
            "xor ebp, ebp",
            "mov rdi, r12",
            "call {child}",
            "ud2",
            "2:",
            child = sym child,
            inlateout("rax") SYS_CLONE as isize => ret,
            in("rdi") flags,
            in("rsi") top,
            in("rdx") tid.as_ptr(),
            in("r10") tid.as_ptr(),
            in("r8") 0usize,
            in("r12") arg,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack)
        );
    }
    if ret < 0 {
        // SAFETY: the child was not created, so the box is still ours alone.
        drop(unsafe { Box::from_raw(arg as *mut Box<dyn FnOnce() + Send>) });
        return Err(Errno::new((-ret) as i32));
    }
    Ok(Thread { tid })
}

/// The new thread's first Rust frame.
extern "C" fn child(arg: usize) -> ! {
    // SAFETY: `arg` is the pointer `spawn` made with Box::into_raw and handed to this thread
    // alone; the parent no longer touches it once clone succeeded.
    let f = unsafe { Box::from_raw(arg as *mut Box<dyn FnOnce() + Send>) };
    f();
    sys::exit_thread(0)
}
