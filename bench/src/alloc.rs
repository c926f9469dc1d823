//! A counting global allocator: current and peak live heap bytes of the measured code.
//!
//! The loopback server's threads mark themselves with [`exclude_this_thread`], so the peak is the
//! client's (the SDK, the runtime and the consumer), not the mock's.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator plus two counters.
pub struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // `const` initialisation with a `Drop`-free type: reading it never allocates, so it is safe
    // to use inside the allocator.
    static EXCLUDED: Cell<bool> = const { Cell::new(false) };
}

fn counted() -> bool {
    !EXCLUDED.try_with(Cell::get).unwrap_or(true)
}

fn add(bytes: usize) {
    let now = CURRENT.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn sub(bytes: usize) {
    // Saturating: memory freed here but allocated on an excluded thread must not wrap around.
    let _ = CURRENT.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| {
        Some(c.saturating_sub(bytes))
    });
}

// SAFETY: every call is forwarded unchanged to `System`; the counters have no effect on the
// memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() && counted() {
            add(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() && counted() {
            add(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        if counted() {
            sub(layout.size());
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() && counted() {
            if new_size >= layout.size() {
                add(new_size - layout.size());
            } else {
                sub(layout.size() - new_size);
            }
        }
        new
    }
}

/// Stops counting allocations made on the calling thread (used by the loopback server).
pub fn exclude_this_thread() {
    EXCLUDED.with(|e| e.set(true));
}

/// Live heap bytes now.
pub fn current() -> usize {
    CURRENT.load(Ordering::Relaxed)
}

/// Highest live heap bytes since the last [`reset_peak`].
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

/// Starts a new peak measurement from the current live bytes.
pub fn reset_peak() {
    PEAK.store(current(), Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_allocation_raises_the_peak_and_freeing_it_lowers_current() {
        reset_peak();
        let before = current();
        let block = vec![0u8; 8 << 20];
        assert!(peak() >= before + (8 << 20) - (1 << 20));
        drop(block);
        // Other test threads may allocate concurrently: only check what this thread did.
        assert!(peak() >= 8 << 20);
    }
}
