//! Runs into one `--out` directory (issue #17): a lock file refuses a second
//! run while the first holds it and is taken over when its PID is dead; a
//! manifest lets a re-run remove the previous run's files it did not write
//! again, and nothing else.

mod common;
use common::*;
use std::path::Path;

fn analyze_out(out: &Path, extra: &[&str]) -> std::process::Output {
    bin()
        .args(["analyze", "--out"])
        .arg(out)
        .args(extra)
        .arg(testdata("calls/calls-udp.pcap"))
        .output()
        .unwrap()
}

#[test]
fn a_second_run_into_a_locked_directory_is_refused_with_exit_2() {
    let out = scratch_dir("locked");
    // The lock of a live run: this test's own PID.
    std::fs::write(
        out.join(".sipsleuth.lock"),
        format!("{}\n", std::process::id()),
    )
    .unwrap();
    let o = analyze_out(&out, &["--quiet"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("in use"), "{err}");
    assert!(!out.join("calls.csv").exists(), "nothing was written");
    // The lock is the other run's: left in place.
    assert!(out.join(".sipsleuth.lock").exists());
}

#[test]
fn a_stale_lock_from_a_dead_pid_is_taken_over() {
    let out = scratch_dir("stale-lock");
    // A PID that ran and exited: certainly not running now.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    std::fs::write(out.join(".sipsleuth.lock"), format!("{dead}\n")).unwrap();
    let o = analyze_out(&out, &["--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("calls.csv").exists());
    assert!(!out.join(".sipsleuth.lock").exists(), "released at the end");
}

#[test]
fn a_rerun_removes_the_previous_runs_files_it_did_not_write_again_and_nothing_else() {
    let out = scratch_dir("rerun");
    // A file of the user's, never written by sipsleuth.
    std::fs::write(out.join("notes.txt"), b"mine").unwrap();
    let o = analyze_out(&out, &["--quiet", "--per-file"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("files.csv").exists() && out.join("files.parquet").exists());
    let manifest = std::fs::read_to_string(out.join(".sipsleuth-manifest")).unwrap();
    assert!(manifest.lines().any(|l| l == "files.csv"), "{manifest}");
    assert!(!manifest.contains("notes.txt"));
    // Without --per-file the files table is not written again: it goes.
    let o = analyze_out(&out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!out.join("files.csv").exists() && !out.join("files.parquet").exists());
    assert!(out.join("calls.csv").exists());
    assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"mine");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("removed 2 left by the previous run"), "{err}");
}

#[test]
fn a_manifest_naming_files_outside_the_directory_removes_nothing_there() {
    let d = scratch_dir("hostile-manifest");
    let out = d.join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(d.join("victim"), b"precious").unwrap();
    std::fs::write(
        out.join(".sipsleuth-manifest"),
        format!("../victim\n{}\n", d.join("victim").display()),
    )
    .unwrap();
    let o = analyze_out(&out, &["--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(d.join("victim")).unwrap(), b"precious");
}
