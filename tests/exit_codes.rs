//! The README's exit-code table, one test per row and case (issue #17):
//! 0 every input read to its end; 1 some input damaged or unreadable, with
//! the results of the rest; 2 nothing readable (or a usage error), always
//! with the reason on stderr; 3 `check`: a rule of the SLO failed.

mod common;
use common::*;
use std::path::{Path, PathBuf};

fn run_in(args: &[&std::ffi::OsStr]) -> (Option<i32>, String, String) {
    let o = bin().args(args).output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn good() -> PathBuf {
    testdata("calls/calls-udp.pcap")
}

/// A copy of a good capture cut inside its 24-byte pcap file header.
fn cut_in_header(d: &Path) -> PathBuf {
    let p = d.join("cut-in-header.pcap");
    std::fs::write(&p, &std::fs::read(good()).unwrap()[..10]).unwrap();
    p
}

#[test]
fn row_0_every_input_read_to_its_end() {
    let (code, out, _) = run_in(&["analyze".as_ref(), good().as_os_str()]);
    assert_eq!(code, Some(0));
    assert!(out.contains("Calls: 10 attempts"), "{out}");
}

#[test]
fn row_1_a_missing_file_among_good_inputs_gives_the_results_of_the_rest() {
    let d = scratch_dir("exit-missing");
    let missing = d.join("missing.pcap");
    let (code, out, err) = run_in(&[
        "analyze".as_ref(),
        "--json".as_ref(),
        good().as_os_str(),
        missing.as_os_str(),
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("missing.pcap"), "{err}");
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(j["calls"]["attempts"].as_u64().unwrap() > 0, "{out}");
}

#[test]
fn row_1_a_damaged_input_among_good_ones_gives_results() {
    let d = scratch_dir("exit-damaged");
    let cap = std::fs::read(good()).unwrap();
    let cut = d.join("cut-mid-record.pcap");
    std::fs::write(&cut, &cap[..cap.len() - 7]).unwrap();
    let (code, out, err) = run_in(&["analyze".as_ref(), cut.as_os_str()]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("cut-mid-record.pcap") && err.contains("byte"),
        "{err}"
    );
    assert!(
        out.contains("Calls: ") && out.contains(" attempts"),
        "{out}"
    );
}

#[test]
fn row_2_nothing_readable_says_why() {
    let d = scratch_dir("exit-nothing");
    let missing = d.join("missing.pcap");
    let (code, _, err) = run_in(&["analyze".as_ref(), missing.as_os_str()]);
    assert_eq!(code, Some(2));
    assert!(err.contains("missing.pcap"), "{err}");
}

#[test]
fn row_2_a_capture_cut_inside_its_file_header_is_nothing_read() {
    let d = scratch_dir("exit-header");
    let cut = cut_in_header(&d);
    let (code, _, err) = run_in(&["analyze".as_ref(), cut.as_os_str()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("cut-in-header.pcap") && err.contains("nothing in it could be read"),
        "{err}"
    );
    // Beside a good input it is one unreadable input: exit 1.
    let (code, _, err) = run_in(&["analyze".as_ref(), good().as_os_str(), cut.as_os_str()]);
    assert_eq!(code, Some(1), "{err}");
}

#[test]
fn row_2_an_empty_directory_says_it_holds_no_file() {
    let d = scratch_dir("exit-empty-dir");
    let (code, _, err) = run_in(&["analyze".as_ref(), d.as_os_str()]);
    assert_eq!(code, Some(2));
    assert!(err.contains("hold no file"), "{err}");
}

#[test]
fn row_2_export_on_an_unreadable_input_says_why() {
    let d = scratch_dir("exit-export");
    let cut = cut_in_header(&d);
    let out = d.join("out.pcap");
    let (code, _, err) = run_in(&[
        "export".as_ref(),
        "--call-id".as_ref(),
        "x".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
        cut.as_os_str(),
    ]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("cut-in-header.pcap") && err.contains("truncated"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn row_2_a_usage_error() {
    let (code, _, err) = run_in(&[
        "analyze".as_ref(),
        "--limit".as_ref(),
        "nonsense=1".as_ref(),
    ]);
    assert_eq!(code, Some(2));
    assert!(!err.is_empty());
}

#[test]
fn row_3_check_a_rule_of_the_slo_failed() {
    // The degraded load run breaks slo.toml (ASR, 503s, PDD); the healthy one does not.
    let slo = testdata("loadruns/slo.toml");
    let degraded = testdata("loadruns/degraded.pcap.gz");
    let (code, out, _) = run_in(&[
        "check".as_ref(),
        "--slo".as_ref(),
        slo.as_os_str(),
        degraded.as_os_str(),
    ]);
    assert_eq!(code, Some(3));
    assert!(out.contains("check FAILED: 4 of 10 rule(s)"), "{out}");
    let healthy = testdata("loadruns/healthy-a.pcap.gz");
    let (code, out, _) = run_in(&[
        "check".as_ref(),
        "--slo".as_ref(),
        slo.as_os_str(),
        healthy.as_os_str(),
    ]);
    assert_eq!(code, Some(0));
    assert!(out.contains("check passed"), "{out}");
}

#[test]
fn row_2_check_with_nothing_readable_is_2_not_3() {
    // Nothing read is not a verdict: no rule is judged on an empty run.
    let d = scratch_dir("exit-check-nothing");
    let (code, out, err) = run_in(&[
        "check".as_ref(),
        "--slo".as_ref(),
        testdata("loadruns/slo.toml").as_os_str(),
        cut_in_header(&d).as_os_str(),
    ]);
    assert_eq!(code, Some(2));
    assert!(
        out.is_empty() && err.contains("no capture found"),
        "{out}{err}"
    );
}
