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

/// A fresh directory under the system's temp dir for one test, removed when the
/// test is done with it — kept when the test panics, as evidence (its path is in
/// the test's output wherever an assertion names a file in it).
pub fn scratch_dir(name: &str) -> ScratchDir {
    let d = std::env::temp_dir().join(format!("sipsleuth-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    ScratchDir(d)
}

/// See [`scratch_dir`]: derefs to the directory's path.
#[derive(Debug)]
pub struct ScratchDir(PathBuf);

impl std::ops::Deref for ScratchDir {
    type Target = PathBuf;
    fn deref(&self) -> &PathBuf {
        &self.0
    }
}

impl AsRef<Path> for ScratchDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for ScratchDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The rows of `sipsleuth CMD PATH --json` (`calls`, `registrations`, `messages`).
pub fn json_rows(cmd: &str, path: &Path) -> Vec<serde_json::Value> {
    let o = bin()
        .arg(cmd)
        .arg("--json")
        .arg(path)
        .output()
        .expect("run sipsleuth");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice::<serde_json::Value>(&o.stdout)
        .expect("JSON rows")
        .as_array()
        .expect("an array of rows")
        .clone()
}

/// The first finding of a kind (panics, naming the kinds found, when there is none).
pub fn finding<'a>(findings: &'a [serde_json::Value], kind: &str) -> &'a serde_json::Value {
    findings
        .iter()
        .find(|x| x["kind"] == kind)
        .unwrap_or_else(|| {
            let kinds: Vec<_> = findings.iter().map(|f| &f["kind"]).collect();
            panic!("no {kind} among {kinds:?}")
        })
}

/// A named count of a finding's evidence.
pub fn evidence_count(finding: &serde_json::Value, key: &str) -> u64 {
    finding["evidence"]["counts"][key]
        .as_u64()
        .unwrap_or_else(|| panic!("no count {key} in {finding}"))
}

/// Nanoseconds since the epoch of an RFC 3339 UTC time as the JSON rows write it
/// ("2026-12-04T15:11:52.312166000Z"); None for anything else (null included).
pub fn rfc3339_ns(v: &serde_json::Value) -> Option<i64> {
    let s = v.as_str()?.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let mut d = date.splitn(3, '-').map(|x| x.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.splitn(3, ':').map(|x| x.parse::<i64>());
    let (hh, mm, ss) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    let nanos: i64 = format!("{frac:0<9}").get(..9)?.parse().ok()?;
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1_000_000_000) + nanos)
}
