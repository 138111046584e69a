//! Cache hints: ask the CPU to start loading memory the next steps will read.
//! A hint changes no result, only when the bytes arrive; where it is used, the
//! measurement that justified it is beside the call (issue #16). Nothing here on
//! targets other than x86-64.

/// Starts loading the cache line holding `p`. Never faults, whatever `p` points
/// at: an address past a buffer or not mapped is ignored by the CPU.
#[inline(always)]
pub fn line(p: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of x86-64 itself; a prefetch does not access memory,
    // so any pointer value is fine.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Starts loading every line of `*r`.
#[inline]
pub fn record<T>(r: &T) {
    let p: *const u8 = std::ptr::from_ref(r).cast();
    for at in (0..std::mem::size_of::<T>()).step_by(64) {
        line(p.wrapping_add(at));
    }
}

/// Starts loading the first `max` bytes of `bytes` (whole lines of 64 bytes).
#[inline]
pub fn first_bytes(bytes: &[u8], max: usize) {
    for at in (0..bytes.len().min(max)).step_by(64) {
        line(bytes.as_ptr().wrapping_add(at));
    }
}

#[cfg(test)]
mod tests {
    /// A hint on any address, mapped or not, inside a buffer or past it, is harmless.
    #[test]
    fn hints_never_fault() {
        let v = vec![1u8; 100];
        super::line(v.as_ptr().wrapping_add(1 << 20));
        super::line(std::ptr::null());
        super::line(usize::MAX as *const u8);
        super::first_bytes(&v, 4096);
        super::first_bytes(&[], 64);
        assert_eq!(v.iter().map(|b| u32::from(*b)).sum::<u32>(), 100);
    }
}
