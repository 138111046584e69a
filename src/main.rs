//! The command-line edge: parse the flags, run the subcommand (`cli`), say an
//! error once on stderr; the exit code is `cli::outcome`'s (README: 0 complete,
//! 1 partial, 2 nothing read or a usage error).

mod cli;

/// mimalloc rather than glibc malloc: per-thread free lists without locks or chunk
/// coalescing; measured in the README (performance, SIP-heavy).
#[cfg(not(feature = "count-allocs"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The same, counted (`--features count-allocs`, then `SIPSLEUTH_COUNT_ALLOCS=1`;
/// `sipsleuth::alloc_count`): a build of its own, so that the shipped binary
/// allocates through mimalloc alone (the measurements are in that module).
#[cfg(feature = "count-allocs")]
#[global_allocator]
static GLOBAL: sipsleuth::alloc_count::Counting<mimalloc::MiMalloc> =
    sipsleuth::alloc_count::Counting(mimalloc::MiMalloc);

extern "C" {
    /// mimalloc's own (linked with the allocator above; `mimalloc.h`).
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// `mi_option_purge_delay` in the `mi_option_e` enum of the mimalloc 3 vendored by
/// libmimalloc-sys 0.1.49 (Cargo.lock pins it; re-check the enum when that moves).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// Freed pages go back to the system after 50 ms, not mimalloc 3's default 1 s:
/// the model frees on one thread what the decoders allocated on others, and with
/// the default the SIP-heavy 1 GB run peaked at 505 MB against 440 MB at 50 ms
/// for the same time (0 ms: 425 MB but 15 % slower). `MIMALLOC_PURGE_DELAY` overrides.
///
/// Transparent huge pages off for the process (`PR_SET_THP_DISABLE`) unless
/// `MIMALLOC_ALLOW_THP` says otherwise. With them, every first touch of a 2 MiB
/// region had the kernel zero all of it: `clear_page` was 12 % of a SIP-heavy
/// run's samples, on the model thread whose state grows to the peak. Without them,
/// ten interleaved runs each (`bench/ab.sh`): sip-heavy-500m CPU −5 %, peak
/// 234 → 199 MB; 1g CPU −6 %, peak 285 → 257 MB (README, seventh round).
fn tune_allocator() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: called first in main, before any other thread exists (the
        // option setters are not thread-safe); the option index is checked above.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 50) };
    }
    #[cfg(target_os = "linux")]
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: a plain prctl on this process with constant arguments; it only
        // sets a flag the kernel reads on later page faults. Its failure (an old
        // kernel) leaves huge pages on, which is only slower.
        unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    }
}

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    tune_allocator();
    #[cfg(feature = "count-allocs")]
    sipsleuth::alloc_count::enable_from_env();
    #[cfg(not(feature = "count-allocs"))]
    if std::env::var_os("SIPSLEUTH_COUNT_ALLOCS").is_some() {
        eprintln!(
            "sipsleuth: SIPSLEUTH_COUNT_ALLOCS counts only in a build with --features count-allocs (bench/README.md)"
        );
    }
    match cli::run(cli::args::Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sipsleuth: error: {}", cli::outcome::plain(&e));
            ExitCode::from(2)
        }
    }
}
