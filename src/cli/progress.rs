//! The progress display on stderr (indicatif): drawn only when stderr is a
//! terminal, after the run has taken a second (short runs stay silent), never
//! with `--quiet`; no colours (so NO_COLOR holds). The library only counts
//! (`pipeline::Progress`); drawing is the command line's business.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sipsleuth::capture::InputSpec;
use sipsleuth::pipeline::Progress;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Runs `work` with a progress counter, drawing it while the work goes on.
pub fn with_progress<T: Send>(
    inputs: &[InputSpec],
    quiet: bool,
    work: impl FnOnce(&Progress) -> T + Send,
) -> T {
    let progress = Progress::default();
    if quiet || !std::io::stderr().is_terminal() {
        return work(&progress);
    }
    // Sizes on disk: the total for plain captures (compressed ones read more than their size).
    let total: u64 = inputs
        .iter()
        .map(|i| match i {
            InputSpec::Path(p) | InputSpec::Walked(p) => {
                std::fs::metadata(p).map_or(0, |m| m.len())
            }
            InputSpec::Stdin => 0,
            InputSpec::Bytes { data, .. } => data.len() as u64,
        })
        .sum();
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        let drawer = s.spawn(|| {
            let started = Instant::now();
            let mut bar: Option<ProgressBar> = None;
            while !done.load(Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                if started.elapsed() < Duration::from_secs(1) {
                    continue;
                }
                let b = bar.get_or_insert_with(|| {
                    let b = ProgressBar::with_draw_target(
                        Some(total.max(1)),
                        ProgressDrawTarget::stderr_with_hz(10),
                    );
                    b.set_style(
                        ProgressStyle::with_template("{bar:25} {bytes}/{total_bytes} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_bar())
                            .progress_chars("=> "),
                    );
                    b
                });
                // Position in bytes on disk (compressed inputs count by their size on disk
                // once read), so a gzip archive's bar and ETA measure the same thing as its total.
                let pos = progress.disk_position(total);
                if pos > total {
                    b.set_length(pos);
                }
                b.set_position(pos);
                // Our own rate and ETA: the bar appears a second in, so indicatif's estimate would
                // see the first second's bytes arrive at once.
                let secs = started.elapsed().as_secs_f64();
                let rate = pos as f64 / secs.max(0.001);
                let left = total.saturating_sub(pos) as f64 / rate.max(1.0);
                let eta = if pos == 0 {
                    "-".to_string()
                } else {
                    format!("{left:.0} s")
                };
                b.set_message(format!(
                    "{:.0} MB/s read · eta {eta} · files {}/{}",
                    progress.bytes.load(Relaxed) as f64 / secs.max(0.001) / 1e6,
                    progress.inputs_done.load(Relaxed),
                    inputs.len()
                ));
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        });
        let out = work(&progress);
        done.store(true, Relaxed);
        let _ = drawer.join();
        out
    })
}
