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
        let meta = std::fs::metadata(p).map_err(|source| CaptureError::Io {
            path: a.to_string(),
            source,
        })?;
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
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        // Hidden files (editor swap files, .DS_Store) are not captures.
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let path = e.path();
        let ft = std::fs::metadata(&path)?.file_type();
        if ft.is_dir() {
            walk_dir(&path, out)?;
        } else if ft.is_file() {
            out.push(InputSpec::Walked(path));
        }
    }
    Ok(())
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

    #[test]
    fn a_missing_path_names_itself() {
        let e = expand_inputs(&["/no/such/capture.pcap"]).unwrap_err();
        assert!(e.to_string().starts_with("/no/such/capture.pcap"));
    }
}
