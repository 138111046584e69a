//! The files a run will write, checked before any input is read: a missing
//! parent, a file where a directory is wanted (or the reverse), a directory we
//! cannot write into or a bad `--site` is a usage error (exit 2) at once,
//! rather than after the whole analysis, which would then be thrown away.
//! The `--out` directory is also locked here, for the whole run.

use anyhow::{bail, Result};
use sipsleuth::report::export::{dataset, out_lock};
use std::path::Path;

/// `--out DIR`: DIR is a directory or can be made in an existing one; it is
/// created and locked (the lock proves it writable).
pub fn out_dir(dir: &Path) -> Result<out_lock::OutLock> {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => bail!("--out {}: not a directory", dir.display()),
        Ok(_) => {}
        Err(_) => {
            parent_dir("--out", dir)?;
            if let Err(e) = std::fs::create_dir(dir) {
                bail!("--out {}: cannot create the directory: {e}", dir.display());
            }
        }
    }
    writable("--out", dir, dir)?;
    Ok(out_lock::lock(dir)?)
}

/// A single output file (`--html FILE`, `flow --svg FILE`, `export -o FILE`):
/// not a directory, and its directory exists and is writable.
pub fn out_file(flag: &str, path: &Path) -> Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        bail!("{flag} {}: is a directory, not a file", path.display());
    }
    let parent = parent_dir(flag, path)?;
    writable(flag, path, &parent)
}

/// `--dataset ROOT` (made with its parents when missing, so its nearest
/// existing ancestor must be a writable directory) and `--site`.
pub fn dataset_root(root: &Path, site: Option<&str>) -> Result<()> {
    if let Some(site) = site {
        dataset::check_site(site)?;
    }
    let mut at = root;
    loop {
        match std::fs::metadata(at) {
            Ok(m) if m.is_dir() => return writable("--dataset", root, at),
            Ok(_) => bail!(
                "--dataset {}: {} is not a directory",
                root.display(),
                at.display()
            ),
            Err(_) => match at.parent() {
                Some(p) if !p.as_os_str().is_empty() => at = p,
                _ => return writable("--dataset", root, Path::new(".")),
            },
        }
    }
}

/// The directory `path` goes in, which must exist and be a directory.
fn parent_dir(flag: &str, path: &Path) -> Result<std::path::PathBuf> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    match std::fs::metadata(&parent) {
        Ok(m) if m.is_dir() => Ok(parent),
        Ok(_) => bail!(
            "{flag} {}: {} is not a directory",
            path.display(),
            parent.display()
        ),
        Err(e) => bail!(
            "{flag} {}: its directory {} does not exist ({e})",
            path.display(),
            parent.display()
        ),
    }
}

fn writable(flag: &str, path: &Path, dir: &Path) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())?;
    // SAFETY: a valid NUL-terminated path; access only reads it.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
        let e = std::io::Error::last_os_error();
        bail!(
            "{flag} {}: cannot write in {}: {e}",
            path.display(),
            dir.display()
        );
    }
    Ok(())
}
