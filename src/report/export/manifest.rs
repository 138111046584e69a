//! The manifest of an `--out` directory: `DIR/.sipsleuth-manifest`, the files
//! the last run wrote there, one relative path a line. A re-run removes the
//! files of the previous manifest it did not write again (a chart with no data
//! this time, `files.csv` without `--per-file`), so the directory holds one
//! run's output; a file the manifest does not list is never touched.

use super::out_dir::{write_atomic, FilesError};
use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

pub const MANIFEST_NAME: &str = ".sipsleuth-manifest";

/// Removes what the previous run wrote and this one did not, then records
/// `written` (the paths under `dir`; others, like an `--html` elsewhere, are
/// not the directory's). Returns the files removed.
pub fn replace(dir: &Path, written: &[PathBuf]) -> Result<Vec<PathBuf>, FilesError> {
    replace_named(dir, MANIFEST_NAME, written)
}

/// [`replace`] with a manifest of another name: a dataset keeps one per run ID
/// (`ROOT/.sipsleuth-manifest-run-ID`), since many runs share its root.
pub fn replace_named(
    dir: &Path,
    name: &str,
    written: &[PathBuf],
) -> Result<Vec<PathBuf>, FilesError> {
    let path = dir.join(name);
    let now: Vec<PathBuf> = written
        .iter()
        .filter_map(|p| p.strip_prefix(dir).ok().map(Path::to_path_buf))
        .filter(|p| plain_relative(p))
        .collect();
    let keep: HashSet<&PathBuf> = now.iter().collect();
    let mut removed = Vec::new();
    for old in previous(&path, name) {
        if keep.contains(&old) {
            continue;
        }
        let full = dir.join(&old);
        if !real_dirs_between(dir, &old) {
            continue;
        }
        // A file or a link is removed (a link itself, not its target); a
        // directory put there since is left alone.
        let Ok(meta) = std::fs::symlink_metadata(&full) else {
            continue;
        };
        if !meta.file_type().is_dir() && std::fs::remove_file(&full).is_ok() {
            removed.push(full);
        }
    }
    let mut text = String::new();
    for p in &now {
        if let Some(s) = p.to_str() {
            text.push_str(s);
            text.push('\n');
        }
    }
    write_atomic(&path, |f| std::io::Write::write_all(f, text.as_bytes()))?;
    Ok(removed)
}

/// The previous manifest's entries, each a plain relative path (no `..`, not
/// absolute): a hand-edited or hostile manifest cannot reach outside `dir`.
fn previous(path: &Path, name: &str) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .filter(|p| plain_relative(p) && p.as_os_str() != name)
        .collect()
}

/// Whether every folder on the way from `dir` to `rel` is a real directory,
/// not a symlink planted since (which would make us remove a file elsewhere).
fn real_dirs_between(dir: &Path, rel: &Path) -> bool {
    let mut at = dir.to_path_buf();
    let Some(parent) = rel.parent() else {
        return true;
    };
    parent.components().all(|c| {
        at.push(c);
        std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_dir())
    })
}

fn plain_relative(p: &Path) -> bool {
    p.components().next().is_some() && p.components().all(|c| matches!(c, Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_manifest_cannot_name_files_outside_the_directory() {
        for bad in ["../x", "/etc/passwd", "a/../../x", ""] {
            assert!(!plain_relative(Path::new(bad)), "{bad}");
        }
        assert!(plain_relative(Path::new("charts/load.svg")));
    }
}
