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
