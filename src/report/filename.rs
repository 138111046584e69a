//! File names made from capture contents (a Call-ID, a user part, an AOR), for
//! outputs that write one file per call or per user (pcap export, ladder SVGs).
//!
//! Capture contents are untrusted: a Call-ID of `../../.bashrc`, `/etc/x`, one
//! with a newline or an escape sequence, a 10 000-byte one, or `CON` must not
//! write outside the output directory, hide a file, break a terminal listing or
//! fail on Windows. [`sanitize_file_name`] turns any string into one path
//! component that is safe on Linux, macOS and Windows; [`file_in`] joins it to
//! a directory. No output names a file after capture contents yet: every writer
//! that does must go through these.

use std::path::{Path, PathBuf};

/// Longest name returned, in bytes (extension excluded): well under the 255 of
/// every common file system, leaving room for an extension and a suffix.
pub const MAX_FILE_NAME: usize = 100;

/// Names Windows reserves whatever the extension (`CON.txt` is the console).
const WINDOWS_RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// One safe path component made from `raw`:
///
/// - only ASCII letters, digits and `-_.@+=` are kept; every other character
///   (path separators, `:`, whitespace, control characters, quotes, wildcards,
///   anything non-ASCII, which could hide a direction override) becomes `_`;
/// - no run of two or more dots (so never `..`), no leading dot (never hidden,
///   never `.`), no trailing dot (Windows drops it);
/// - never a Windows device name, never empty;
/// - at most [`MAX_FILE_NAME`] bytes.
///
/// When anything had to change, a short hash of the original is appended, so
/// that two different Call-IDs never map to the same file (`a/b` and `a:b`).
/// A name that needed no change is returned as it is.
pub fn sanitize_file_name(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len().min(MAX_FILE_NAME));
    for c in raw.chars() {
        let keep = c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | '+' | '=');
        let c = if keep { c } else { '_' };
        // A second dot in a row turns into '_': "a..b" → "a._b", ".." → "._" → "__".
        if c == '.' && out.ends_with('.') {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    if out.starts_with('.') {
        out.replace_range(..1, "_");
    }
    while out.ends_with('.') {
        out.pop();
    }
    let stem = out.split('.').next().unwrap_or_default();
    if WINDOWS_RESERVED
        .iter()
        .any(|r| stem.eq_ignore_ascii_case(r))
    {
        out.insert(0, '_');
    }
    if out.is_empty() {
        out.push_str("unnamed");
    }
    if out == raw && out.len() <= MAX_FILE_NAME {
        return out;
    }
    // Changed or too long: cut (on a char boundary: `out` is ASCII) and tag with the hash.
    let tag = format!("-{:08x}", fnv1a(raw.as_bytes()) as u32);
    out.truncate(MAX_FILE_NAME - tag.len());
    while out.ends_with('.') {
        out.pop();
    }
    out.push_str(&tag);
    out
}

/// `dir/NAME.ext` with NAME from [`sanitize_file_name`]: always a direct child of `dir`.
pub fn file_in(dir: &Path, raw: &str, ext: &str) -> PathBuf {
    let name = sanitize_file_name(raw);
    let ext = sanitize_file_name(ext);
    dir.join(format!("{name}.{ext}"))
}

/// FNV-1a, 64 bits: stable across runs and platforms (std's hasher is not).
fn fnv1a(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Component;

    /// What every sanitised name must satisfy.
    fn assert_safe(raw: &str) {
        let n = sanitize_file_name(raw);
        assert!(!n.is_empty(), "{raw:?}");
        assert!(n.len() <= MAX_FILE_NAME, "{raw:?} → {n:?}");
        assert!(!n.contains(['/', '\\', ':', '\0']), "{raw:?} → {n:?}");
        assert!(!n.contains(".."), "{raw:?} → {n:?}");
        assert!(!n.starts_with('.') && !n.ends_with('.'), "{raw:?} → {n:?}");
        assert!(n.chars().all(|c| c.is_ascii_graphic()), "{raw:?} → {n:?}");
        let dir = Path::new("/out");
        let p = file_in(dir, raw, "pcap");
        assert_eq!(p.parent(), Some(dir), "{raw:?} → {p:?}");
        assert!(matches!(
            p.components().next_back(),
            Some(Component::Normal(_))
        ));
    }

    #[test]
    fn hostile_names_stay_one_safe_component() {
        let long = "x".repeat(10_000);
        let hostile = [
            "../../etc/passwd",
            "/etc/passwd",
            "..",
            ".",
            "...",
            "",
            ".bashrc",
            "a\\..\\..\\windows\\system32",
            "C:\\temp\\x",
            "call\nid\r\0with\x1b[31mescapes\x07",
            "\u{202e}fdp.exe",
            "名前@例え.jp",
            "CON",
            "nul.txt",
            "Lpt9",
            "trailing...",
            " spaces and\ttabs ",
            "a..b",
            "*?\"<>|",
            &long,
        ];
        for h in hostile {
            assert_safe(h);
        }
        assert_eq!(sanitize_file_name("..").split('-').next(), Some("__"));
        assert!(sanitize_file_name("CON").starts_with("_CON-"));
        assert!(sanitize_file_name("").starts_with("unnamed"));
    }

    #[test]
    fn ordinary_call_ids_are_kept_as_they_are() {
        for id in [
            "a84b4c76e66710@pc33.example.com",
            "3848276298220188511@192.0.2.1",
            "1-2345@10.0.0.1",
            "abc=_+-",
        ] {
            assert_eq!(sanitize_file_name(id), id);
        }
    }

    #[test]
    fn different_names_never_collide_after_sanitising() {
        let names = ["a/b", "a\\b", "a:b", "a b", "a_b", "a\nb"];
        let mut seen = std::collections::BTreeSet::new();
        for n in names {
            assert!(seen.insert(sanitize_file_name(n)), "{n:?} collides");
        }
        let (a, b) = ("y".repeat(300), format!("{}z", "y".repeat(299)));
        assert_ne!(sanitize_file_name(&a), sanitize_file_name(&b));
        // Stable across runs: the hash is ours, not std's randomised one.
        assert_eq!(sanitize_file_name("a/b"), "a_b-0468cf61");
    }
}
