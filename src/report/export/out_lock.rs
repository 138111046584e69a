//! The lock of an `--out` directory: `DIR/.sipsleuth.lock`, created with
//! O_EXCL and holding the PID of the run that owns it, so that two runs into
//! one directory never mix their files silently. A lock whose PID is no longer
//! running (a run killed with `kill -9`) is stale and taken over.

use super::out_dir::FilesError;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub const LOCK_NAME: &str = ".sipsleuth.lock";

/// Held while a run writes into its directory; removed when dropped.
#[derive(Debug)]
pub struct OutLock {
    path: PathBuf,
}

impl Drop for OutLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Takes the lock of `dir`, waiting up to `patience` while a live run holds it:
/// a dataset is shared by design, and its runs hold its lock only while they
/// write their files (seconds), so a second run waits its turn rather than
/// throwing its analysis away.
pub fn lock_waiting(dir: &Path, patience: std::time::Duration) -> Result<OutLock, FilesError> {
    let start = std::time::Instant::now();
    loop {
        match lock(dir) {
            Err(FilesError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::AlreadyExists
                    && start.elapsed() < patience =>
            {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            r => return r,
        }
    }
}

/// Takes the lock of `dir` (which must exist), or says which run holds it.
pub fn lock(dir: &Path) -> Result<OutLock, FilesError> {
    let path = dir.join(LOCK_NAME);
    let err = |source| FilesError::Io {
        path: path.display().to_string(),
        source,
    };
    // Twice at most: once, and once more after removing a stale lock.
    for _ in 0..2 {
        match create(&path) {
            Ok(()) => return Ok(OutLock { path }),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(err(e)),
        }
        match holder(&path) {
            Some(pid) if !alive(pid) => {
                // Stale: its run died without removing it.
                let _ = std::fs::remove_file(&path);
            }
            holder => {
                let who = holder.map_or("another run".into(), |p| format!("sipsleuth (pid {p})"));
                return Err(err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!(
                        "the output directory {} is in use by {who}; wait for it, or remove the \
                         lock file if no run is writing there",
                        dir.display()
                    ),
                )));
            }
        }
    }
    Err(err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "the output directory's lock was taken by another run meanwhile",
    )))
}

fn create(path: &Path) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .mode(0o644)
        .open(path)?;
    writeln!(f, "{}", std::process::id())?;
    f.sync_all()
}

/// The PID in a lock file; `None` when unreadable or not (yet) written —
/// then the lock is taken as held, since its run may be starting.
fn holder(path: &Path) -> Option<i32> {
    let mut text = String::new();
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .ok()?
        .take(32)
        .read_to_string(&mut text)
        .ok()?;
    text.trim().parse().ok().filter(|p| *p > 0)
}

/// Whether a process with this PID exists (EPERM: it exists, owned by another user).
fn alive(pid: i32) -> bool {
    // SAFETY: kill with signal 0 sends nothing; it only checks the PID.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}
