//! A capture file that shrinks while it is memory-mapped (a capture still being
//! written and rotated, a file truncated by another process) makes the next
//! read of a page past its new end raise SIGBUS, which kills the process without
//! a word. This module turns that into a plain error: every map being walked is
//! registered here, and a SIGBUS handler that finds the faulting address inside
//! one writes which file shrank and at about which byte offset, then exits with
//! status 1 (partial: results up to there could not be kept). A SIGBUS outside
//! any registered map is left to the default action.
//!
//! Everything the handler touches is async-signal-safe: fixed atomic slots, a
//! name leaked once per map, `write(2)` and `_exit(2)`. What to do about the
//! file (read it through stdin, copy it first) is said in the message.

use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

const SLOTS: usize = 64;

struct Slot {
    base: AtomicUsize,
    len: AtomicUsize,
    name: AtomicPtr<u8>,
    name_len: AtomicUsize,
}

#[allow(clippy::declare_interior_mutable_const)]
const EMPTY: Slot = Slot {
    base: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    name: AtomicPtr::new(std::ptr::null_mut()),
    name_len: AtomicUsize::new(0),
};
static MAPS: [Slot; SLOTS] = [EMPTY; SLOTS];

/// Keeps a map registered while it is walked; unregisters it when dropped.
pub struct Watch {
    slot: Option<usize>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            if let Some(s) = MAPS.get(i) {
                s.len.store(0, Ordering::SeqCst);
                s.base.store(0, Ordering::SeqCst);
            }
        }
    }
}

/// Registers `map` (the bytes of the file at `path`) for the SIGBUS handler.
/// With every slot taken (more than 64 maps walked at once) the map is simply not
/// watched: a shrinking file then kills the process as before.
pub fn watch(path: &str, map: &[u8]) -> Watch {
    install();
    let name: &'static [u8] = Box::leak(path.as_bytes().to_vec().into_boxed_slice());
    for (i, s) in MAPS.iter().enumerate() {
        if s.base
            .compare_exchange(0, map.as_ptr() as usize, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            s.name.store(name.as_ptr().cast_mut(), Ordering::SeqCst);
            s.name_len.store(name.len(), Ordering::SeqCst);
            s.len.store(map.len(), Ordering::SeqCst);
            return Watch { slot: Some(i) };
        }
    }
    Watch { slot: None }
}

#[cfg(unix)]
fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: a plain sigaction with an extern "C" handler; the struct is zeroed
        // first as libc expects, and sa_mask emptied.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_sigbus as *const () as usize;
            sa.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
        }
    });
}

#[cfg(not(unix))]
fn install() {}

#[cfg(unix)]
fn write_err(b: &[u8]) {
    // SAFETY: write(2) on stderr with a valid buffer; async-signal-safe.
    unsafe {
        libc::write(2, b.as_ptr().cast(), b.len());
    }
}

/// Decimal digits of `n` into `buf`, returned as the used tail (no allocation).
fn digits(mut n: usize, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    buf.get(i..).unwrap_or_default()
}

#[cfg(unix)]
extern "C" fn on_sigbus(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
    let addr = unsafe { info.as_ref().map_or(0, |i| i.si_addr() as usize) };
    for s in &MAPS {
        let (base, len) = (s.base.load(Ordering::SeqCst), s.len.load(Ordering::SeqCst));
        if base != 0 && addr >= base && addr < base + len {
            let name = s.name.load(Ordering::SeqCst);
            let name_len = s.name_len.load(Ordering::SeqCst);
            write_err(b"sipsleuth: ");
            if !name.is_null() {
                // SAFETY: a leaked, never-freed name of this length.
                write_err(unsafe { std::slice::from_raw_parts(name, name_len) });
            }
            write_err(b": damaged: the file shrank while it was being read (truncated near byte ");
            let mut buf = [0u8; 20];
            write_err(digits(addr - base, &mut buf));
            write_err(b"); the results read up to there are lost. Copy a capture that is still being written before reading it, or pipe it through stdin.\n");
            // SAFETY: _exit is async-signal-safe; exit status 1 = partial input.
            unsafe { libc::_exit(1) };
        }
    }
    // Not ours: the default action, raised again when the faulting access is retried.
    // SAFETY: signal(2) with SIG_DFL is async-signal-safe.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn digits_without_allocation() {
        let mut b = [0u8; 20];
        assert_eq!(super::digits(0, &mut b), b"0");
        assert_eq!(super::digits(1_048_576, &mut b), b"1048576");
        assert_eq!(
            super::digits(usize::MAX, &mut b),
            usize::MAX.to_string().as_bytes()
        );
    }
}
