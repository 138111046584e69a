//! Counts heap allocations when asked, for the benchmark's "allocations per
//! message" (issue #16): `SIPSLEUTH_COUNT_ALLOCS=1 sipsleuth analyze FILE` prints,
//! per stage, how many allocations (and reallocations) the whole process made.
//!
//! The binary's global allocator is [`Counting`] around mimalloc only in a build
//! with `--features count-allocs`, so that the shipped binary's allocator path is
//! mimalloc alone. (A first measurement of the wrapper compiled in, counting off,
//! read 20 % slower on sip-heavy-500m; five interleaved runs later showed no
//! difference, 1.82–2.11 s against 1.93–2.18 s. The feature stays: it costs a
//! rebuild, not a doubt.) The counters are process-wide atomics, so the stage
//! times of a counting run are not the benchmark's. What allocates is left to a heap
//! profiler (`valgrind --tool=dhat` on a build with the system allocator,
//! bench/README.md).

use std::alloc::{GlobalAlloc, Layout};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

static ON: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static REALLOCS: AtomicU64 = AtomicU64::new(0);

/// A global allocator that counts the allocations of `A` while counting is on.
pub struct Counting<A>(pub A);

// SAFETY: every call is forwarded unchanged to `A`; the counters do not allocate.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counting<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ON.load(Relaxed) {
            ALLOCS.fetch_add(1, Relaxed);
        }
        unsafe { self.0.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if ON.load(Relaxed) {
            ALLOCS.fetch_add(1, Relaxed);
        }
        unsafe { self.0.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { self.0.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ON.load(Relaxed) {
            REALLOCS.fetch_add(1, Relaxed);
        }
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }
}

/// Turns counting on when `SIPSLEUTH_COUNT_ALLOCS` is set (called first in `main`).
pub fn enable_from_env() {
    if std::env::var_os("SIPSLEUTH_COUNT_ALLOCS").is_some() {
        ON.store(true, Relaxed);
    }
}

/// Allocations and reallocations so far, when counting is on.
pub fn counts() -> Option<(u64, u64)> {
    ON.load(Relaxed)
        .then(|| (ALLOCS.load(Relaxed), REALLOCS.load(Relaxed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_allocations_only_while_on() {
        let a = Counting(std::alloc::System);
        let layout = Layout::from_size_align(64, 8).unwrap();
        // SAFETY: a fresh allocation of a non-zero layout, freed with the same layout.
        unsafe {
            let before = ALLOCS.load(Relaxed);
            let p = a.alloc(layout);
            a.dealloc(p, layout);
            assert_eq!(ALLOCS.load(Relaxed), before, "counted while off");
            ON.store(true, Relaxed);
            let p = a.alloc(layout);
            let p = a.realloc(p, layout, 128);
            a.dealloc(p, Layout::from_size_align(128, 8).unwrap());
            ON.store(false, Relaxed);
            assert!(ALLOCS.load(Relaxed) > before);
            assert!(REALLOCS.load(Relaxed) >= 1);
        }
    }
}
