//! The global allocator of the binary: `linked_list_allocator`'s first-fit heap over one
//! anonymous mapping made on first use, behind a spin lock.
//!
//! mote allocates only at start-up (configuration, listener and worker set-up); the request path
//! never allocates, so the lock is never contended while serving.
#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::{NonNull, null_mut};
use core::sync::atomic::{AtomicBool, Ordering};
use linked_list_allocator::Heap;

/// Bytes reserved for the heap: room for the largest start-up (1024 workers of about 4.4 KiB
/// each). Reserved lazily: only pages the heap touches cost RAM.
const HEAP_SIZE: usize = 16 << 20;

pub struct Allocator {
    locked: AtomicBool,
    /// `None` until the first allocation maps the heap's memory.
    heap: UnsafeCell<Option<Heap>>,
}

// SAFETY: every access to `heap` happens inside `with_heap`, which holds the spin lock, so no
// two threads touch the heap at once.
unsafe impl Sync for Allocator {}

impl Allocator {
    pub const fn new() -> Self {
        Self { locked: AtomicBool::new(false), heap: UnsafeCell::new(None) }
    }

    /// Runs `f` on the heap with the lock held, mapping the heap on first use. `None` if the
    /// mapping fails.
    fn with_heap<R>(&self, f: impl FnOnce(&mut Heap) -> R) -> Option<R> {
        while self
            .locked
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
        // SAFETY: the lock is held, so this is the only reference to the heap until it is
        // released below.
        let slot = unsafe { &mut *self.heap.get() };
        if slot.is_none()
            && let Ok(base) = crate::sys::mmap_anon(HEAP_SIZE, crate::sys::PROT_READ | crate::sys::PROT_WRITE) {
                let mut heap = Heap::empty();
                // SAFETY: `base` is a fresh mapping of HEAP_SIZE writable bytes that nothing
                // else uses and that is never unmapped.
                unsafe { heap.init(base, HEAP_SIZE) };
                *slot = Some(heap);
            }
        let result = slot.as_mut().map(f);
        self.locked.store(false, Ordering::Release);
        result
    }
}

impl Default for Allocator {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: allocations come from the heap's first-fit allocator, which returns blocks of at least
// the requested size and alignment that do not overlap live blocks; deallocation hands back
// exactly what it returned.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.with_heap(|h| h.allocate_first_fit(layout).ok())
            .flatten()
            .map_or(null_mut(), NonNull::as_ptr)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(ptr) = NonNull::new(ptr) {
            // SAFETY: the caller passes a pointer this allocator returned with this layout.
            self.with_heap(|h| unsafe { h.deallocate(ptr, layout) });
        }
    }
}
