//! Command-line inputs → an ordered list of capture sources.
//!
//! A path may be a file, a directory (walked recursively, entries in name
//! order so that rotated files come in sequence) or `-` for stdin. Which files
//! are captures is decided later by their magic bytes, never by their names.

use super::CaptureError;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputSpec {
    /// A file named on the command line.
    Path(PathBuf),
    /// A file found by walking a directory: one that is not a capture is skipped, not an error.
    Walked(PathBuf),
    Stdin,
    /// A capture already in memory (tests, fuzzing, an embedding program), read
    /// exactly as a file with these bytes would be, compression included.
    Bytes {
        name: String,
        data: std::sync::Arc<[u8]>,
    },
}

impl InputSpec {
    /// The name used in messages and per-file rows.
    pub fn walked(&self) -> bool {
        matches!(self, InputSpec::Walked(_))
    }

    pub fn display(&self) -> String {
        match self {
            InputSpec::Path(p) | InputSpec::Walked(p) => p.display().to_string(),
            InputSpec::Stdin => "-".to_string(),
            InputSpec::Bytes { name, .. } => name.clone(),
        }
    }
}

/// Expands the inputs given on the command line, in the order given; a
/// directory contributes every regular file below it, sorted by name.
pub fn expand_inputs<S: AsRef<str>>(args: &[S]) -> Result<Vec<InputSpec>, CaptureError> {
    let mut out = Vec::new();
    for a in args {
        let a = a.as_ref();
        if a == "-" {
            out.push(InputSpec::Stdin);
            continue;
        }
        let p = Path::new(a);
        if !p.exists() && a.contains(['*', '?', '[']) {
            glob_into(a, &mut out)?;
            continue;
        }
        // A named file that cannot be looked at (missing, no permission) is
        // left for the reader, which reports it as unreadable beside the
        // readable inputs (exit 1 with their results), not an abort here.
        let Ok(meta) = std::fs::metadata(p) else {
            out.push(InputSpec::Path(p.to_path_buf()));
            continue;
        };
        if meta.is_dir() {
            walk_dir(p, &mut out).map_err(|source| CaptureError::Io {
                path: a.to_string(),
                source,
            })?;
        } else {
            out.push(InputSpec::Path(p.to_path_buf()));
        }
    }
    Ok(out)
}

/// A glob pattern (for inputs too many for the shell's command line): the files it
/// matches in name order, directories walked; matching nothing is an error, as in a shell.
fn glob_into(pattern: &str, out: &mut Vec<InputSpec>) -> Result<(), CaptureError> {
    let bad = |reason: String| CaptureError::Io {
        path: pattern.to_string(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, reason),
    };
    let paths = glob::glob(pattern).map_err(|e| bad(e.to_string()))?;
    let before = out.len();
    for p in paths {
        let p = p.map_err(|e| bad(e.to_string()))?;
        if p.is_dir() {
            walk_dir(&p, out).map_err(|source| CaptureError::Io {
                path: p.display().to_string(),
                source,
            })?;
        } else {
            // Matched by a pattern, not named: a file that is not a capture is skipped.
            out.push(InputSpec::Walked(p));
        }
    }
    if out.len() == before {
        return Err(bad("no file matches this pattern".into()));
    }
    Ok(())
}

fn walk_dir(dir: &Path, out: &mut Vec<InputSpec>) -> std::io::Result<()> {
    let mut seen = std::collections::HashSet::new();
    if let Ok(c) = std::fs::canonicalize(dir) {
        seen.insert(c);
    }
    walk(dir, out, &mut seen)
}

/// Walks `dir` into `out`. An entry that cannot be followed — a dangling symbolic
/// link, a link loop, a link back to a directory already walked — is added as
/// an input of its own: reading it fails, so it is named in the results and
/// skipped (see [`is_broken_link`]), and every readable capture is still read.
/// (It used to abort the whole run.)
fn walk(
    dir: &Path,
    out: &mut Vec<InputSpec>,
    seen: &mut std::collections::HashSet<PathBuf>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        // Hidden files (editor swap files, .DS_Store) are not captures.
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = e.path();
        let Ok(meta) = std::fs::metadata(&path) else {
            out.push(InputSpec::Walked(path));
            continue;
        };
        let ft = meta.file_type();
        if ft.is_dir() {
            let first_time = std::fs::canonicalize(&path).is_ok_and(|c| seen.insert(c));
            if first_time {
                walk(&path, out, seen)?;
            } else {
                out.push(InputSpec::Walked(path));
            }
        } else if ft.is_file() {
            out.push(InputSpec::Walked(path));
        }
    }
    Ok(())
}

/// A walked entry that is a symbolic link and cannot be read as a capture file
/// (dangling, a loop, or a directory seen before): skipped, not an error.
pub fn is_broken_link(input: &InputSpec) -> bool {
    let InputSpec::Walked(p) = input else {
        return false;
    };
    let is_link = std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    is_link && std::fs::metadata(p).map_or(true, |m| !m.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_walked_in_name_order() {
        let d = std::env::temp_dir().join(format!("sipsleuth-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("b")).unwrap();
        for f in ["c.pcap", "a.pcap", "b/z.pcap", "b/y.pcap", ".hidden"] {
            std::fs::write(d.join(f), b"x").unwrap();
        }
        let got = expand_inputs(&[d.to_str().unwrap(), "-"]).unwrap();
        let names: Vec<String> = got
            .iter()
            .map(|i| match i {
                InputSpec::Path(p) | InputSpec::Walked(p) => {
                    p.strip_prefix(&d).unwrap().display().to_string()
                }
                InputSpec::Stdin => "-".into(),
                InputSpec::Bytes { name, .. } => name.clone(),
            })
            .collect();
        assert_eq!(names, ["a.pcap", "b/y.pcap", "b/z.pcap", "c.pcap", "-"]);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn glob_patterns_expand_in_name_order() {
        let d = std::env::temp_dir().join(format!("sipsleuth-glob-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        for f in ["b.pcap.gz", "a.pcap", "c.txt"] {
            std::fs::write(d.join(f), b"x").unwrap();
        }
        let pat = format!("{}/*.pcap*", d.display());
        let got = expand_inputs(&[pat.as_str()]).unwrap();
        assert_eq!(
            got,
            [
                InputSpec::Walked(d.join("a.pcap")),
                InputSpec::Walked(d.join("b.pcap.gz"))
            ]
        );
        let none = format!("{}/*.nothing", d.display());
        assert!(expand_inputs(&[none.as_str()]).is_err());
        std::fs::remove_dir_all(&d).unwrap();
    }

    /// Regression (#17): a dangling symbolic link or a link loop under a walked
    /// directory aborted the whole run; now each is an input of its own, named and
    /// marked as a broken link, beside the readable files.
    #[cfg(unix)]
    #[test]
    fn dangling_links_and_link_loops_are_named_not_fatal() {
        use std::os::unix::fs::symlink;
        let d = std::env::temp_dir().join(format!("sipsleuth-links-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(d.join("a.pcap"), b"x").unwrap();
        symlink(d.join("gone.pcap"), d.join("dangling.pcap")).unwrap();
        symlink(d.join("self-loop"), d.join("self-loop")).unwrap();
        symlink(&d, d.join("sub/up")).unwrap();
        let got = expand_inputs(&[d.to_str().unwrap()]).unwrap();
        let names: Vec<(String, bool)> = got
            .iter()
            .map(|i| match i {
                InputSpec::Walked(p) => (
                    p.strip_prefix(&d).unwrap().display().to_string(),
                    is_broken_link(i),
                ),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            names,
            [
                ("a.pcap".to_string(), false),
                ("dangling.pcap".to_string(), true),
                ("self-loop".to_string(), true),
                ("sub/up".to_string(), true),
            ]
        );
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn a_missing_path_is_kept_for_the_reader_to_report() {
        // Not an abort of the whole run: the reader reports it as unreadable
        // beside the other inputs (tests/exit_codes.rs checks the message).
        assert_eq!(
            expand_inputs(&["/no/such/capture.pcap"]).unwrap(),
            [InputSpec::Path("/no/such/capture.pcap".into())]
        );
    }
}
