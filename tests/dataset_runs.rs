//! Runs into one `--dataset` root (issue #17): the root is locked while a run
//! writes (a second run waits its turn instead of mixing in, or throwing its
//! analysis away), and each run ID keeps a manifest so that re-running the same
//! inputs removes what its previous run wrote and this one did not — and never
//! another run's files. The `--out` lock and manifest themselves are pinned by
//! tests/out_dir_runs.rs.

mod common;
use common::*;
use std::path::{Path, PathBuf};

fn parquet_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

fn dataset_run(root: &Path, site: &str) -> std::process::Command {
    let mut c = bin();
    c.args(["analyze", "--quiet", "--dataset"])
        .arg(root)
        .args(["--site", site])
        .arg(testdata("calls/calls-udp.pcap"));
    c
}

#[test]
fn a_rerun_of_the_same_inputs_removes_its_previous_files_and_no_other_runs() {
    let root = scratch_dir("dataset-rerun");
    let o = dataset_run(&root, "paris").output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let first = parquet_files(&root);
    assert!(
        first.iter().any(|p| p.starts_with("calls/site=paris")),
        "{first:?}"
    );
    // Another run's file in the same partition: never ours to remove.
    let dir = root.join(first[0].parent().unwrap());
    std::fs::write(dir.join("run-0000000000000000.parquet"), b"other run").unwrap();
    // The same inputs under another site: the paris files were this run ID's, so
    // they go (else the same calls would be counted twice, under two sites).
    let o = dataset_run(&root, "lyon").output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let second = parquet_files(&root);
    let ours: Vec<_> = second
        .iter()
        .filter(|p| !p.ends_with("run-0000000000000000.parquet"))
        .collect();
    assert!(!ours.is_empty());
    assert!(
        ours.iter()
            .all(|p| p.to_string_lossy().contains("site=lyon")),
        "{second:?}"
    );
    assert_eq!(first.len(), ours.len());
    assert!(dir.join("run-0000000000000000.parquet").exists());
    assert!(!root.join(".sipsleuth.lock").exists(), "the lock is let go");
}

#[test]
fn a_run_waits_while_another_holds_the_dataset_lock() {
    let root = scratch_dir("dataset-locked");
    // The lock of a live run: this test's own PID.
    let lock = root.join(".sipsleuth.lock");
    std::fs::write(&lock, format!("{}\n", std::process::id())).unwrap();
    let mut child = dataset_run(&root, "paris")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Long enough to analyse this small capture many times over.
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run waits for the lock"
    );
    assert!(parquet_files(&root).is_empty(), "nothing written meanwhile");
    std::fs::remove_file(&lock).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!parquet_files(&root).is_empty());
    assert!(!lock.exists());
}
