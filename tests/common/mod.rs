//! Helpers for the end-to-end tests: run the built binary, parse its JSON.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sipsleuth"))
}

pub fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

/// `../shared/captures`, when this checkout sits beside the shared folder (CI does).
pub fn shared_captures() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/captures");
    p.join("INDEX.tsv").exists().then_some(p)
}

/// `../shared/captures`, or a [`skip`] when it is absent (a failure in CI).
#[track_caller]
pub fn shared_captures_or_skip() -> Option<PathBuf> {
    let dir = shared_captures();
    if dir.is_none() {
        skip(
            "../shared/captures not found (CI has it beside the checkout; a user's clone does not)",
        );
    }
    dir
}

/// The variable `.ci/run` sets: a test whose prerequisite (../shared/captures,
/// chromium, the Python readers, tshark) is missing fails instead of skipping,
/// so that CI cannot pass without having run it.
pub const REQUIRE_ALL: &str = "SIPSLEUTH_REQUIRE_ALL";

/// Whether skipping is forbidden, from the value of [`REQUIRE_ALL`]: set to
/// anything but empty or `0`.
pub fn skips_forbidden(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0")
}

/// Says on stderr why a test (or a part of it) does not run here; with
/// [`REQUIRE_ALL`] set, fails the test instead. The caller returns after it.
#[track_caller]
pub fn skip(why: &str) {
    if skips_forbidden(std::env::var_os(REQUIRE_ALL).as_deref()) {
        panic!("{why}; {REQUIRE_ALL} is set (CI), so this test must not skip");
    }
    eprintln!("skipping: {why}");
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run sipsleuth")
}

/// `analyze --json` on the given inputs: (exit code, parsed JSON, stderr).
pub fn analyze_json(inputs: &[&Path]) -> (i32, serde_json::Value, String) {
    let mut c = bin();
    c.arg("analyze").arg("--json").args(inputs);
    let o = c.output().expect("run sipsleuth");
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    let json = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("bad JSON ({e}); stderr: {stderr}"));
    (o.status.code().unwrap_or(-1), json, stderr)
}

/// A JSON object of counts as sorted (key, count) pairs.
pub fn counts(v: &serde_json::Value) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = v
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Checks that the buckets sum to the frame total.
pub fn assert_frames_accounted(j: &serde_json::Value) {
    let frames = j["frames"].as_object().unwrap();
    let total = frames["total"].as_u64().unwrap();
    let sum: u64 = frames
        .iter()
        .filter(|(k, _)| *k != "total")
        .map(|(_, v)| v.as_u64().unwrap())
        .sum();
    assert_eq!(sum, total, "buckets {frames:?} do not sum to the total");
}

pub fn scratch_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sipsleuth-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
