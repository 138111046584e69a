//! Output safety (issue #17): every file sipsleuth writes goes through
//! `write_atomic`, which never follows a symlink planted in the output
//! directory — neither at the final name nor at a temporary name it might
//! pick — and leaves neither a truncated file nor its temporary after a
//! failed write.

mod common;
use common::*;
use sipsleuth::report::export::out_dir::write_atomic;
use std::os::unix::fs::symlink;
use std::path::Path;

/// A file outside the output directory that a planted symlink points at.
fn victim(d: &Path, name: &str) -> std::path::PathBuf {
    let v = d.join(name);
    std::fs::write(&v, b"precious").unwrap();
    v
}

fn entries(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_symlink_at_the_final_name_is_replaced_not_followed() {
    let d = scratch_dir("safety-final");
    let out = d.join("out");
    std::fs::create_dir(&out).unwrap();
    let v = victim(&d, "victim");
    symlink(&v, out.join("calls.csv")).unwrap();
    write_atomic(&out.join("calls.csv"), |f| {
        std::io::Write::write_all(f, b"new")
    })
    .unwrap();
    assert_eq!(std::fs::read(&v).unwrap(), b"precious");
    let meta = std::fs::symlink_metadata(out.join("calls.csv")).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the symlink was replaced by a file"
    );
    assert_eq!(std::fs::read(out.join("calls.csv")).unwrap(), b"new");
}

#[test]
fn a_symlink_at_a_likely_temporary_name_is_not_followed() {
    let d = scratch_dir("safety-tmp");
    let out = d.join("out");
    std::fs::create_dir(&out).unwrap();
    let v = victim(&d, "victim");
    let pid = std::process::id();
    // The old naming (NAME.tmp-PID) and the first names of the new one.
    symlink(&v, out.join(format!("report.html.tmp-{pid}"))).unwrap();
    for n in 0..3 {
        symlink(&v, out.join(format!(".report.html.tmp-{pid}-{n}"))).unwrap();
    }
    write_atomic(&out.join("report.html"), |f| {
        std::io::Write::write_all(f, b"<html>")
    })
    .unwrap();
    assert_eq!(std::fs::read(&v).unwrap(), b"precious");
    assert_eq!(std::fs::read(out.join("report.html")).unwrap(), b"<html>");
    // Only the planted links and the result remain: no temporary of ours.
    assert_eq!(entries(&out).len(), 5, "{:?}", entries(&out));
}

#[test]
fn a_failed_write_removes_its_temporary_and_keeps_the_previous_file() {
    let d = scratch_dir("safety-fail");
    std::fs::write(d.join("calls.csv"), b"previous run").unwrap();
    let r = write_atomic(&d.join("calls.csv"), |f| {
        std::io::Write::write_all(f, b"half a fi")?;
        Err(std::io::Error::other("No space left on device (simulated)"))
    });
    assert!(r.is_err());
    assert_eq!(std::fs::read(d.join("calls.csv")).unwrap(), b"previous run");
    assert_eq!(entries(&d), ["calls.csv"], "the temporary is removed");
    // And with no previous file, nothing at all is left under the final name.
    let r = write_atomic(&d.join("new.csv"), |_| {
        Err(std::io::Error::other("simulated"))
    });
    assert!(r.is_err());
    assert_eq!(entries(&d), ["calls.csv"]);
}

#[test]
fn symlinks_planted_for_charts_and_flow_svg_are_not_followed() {
    let d = scratch_dir("safety-e2e");
    let out = d.join("out");
    std::fs::create_dir_all(out.join("charts")).unwrap();
    let v = victim(&d, "victim");
    let cap = testdata("calls/calls-udp.pcap");
    // Symlinks at every file a run might write, charts included.
    let charts = [
        "pdd_histogram",
        "pdd_cdf",
        "outcomes",
        "final_codes_over_time",
        "load",
        "registration_failures_over_time",
    ];
    for c in charts {
        for ext in ["svg", "png"] {
            symlink(&v, out.join("charts").join(format!("{c}.{ext}"))).unwrap();
        }
    }
    for f in ["summary.json", "report.html", "calls.csv", "calls.parquet"] {
        symlink(&v, out.join(f)).unwrap();
    }
    let o = bin()
        .args(["analyze", "--quiet", "--out"])
        .arg(&out)
        .arg(&cap)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(&v).unwrap(), b"precious");
    let charts_written = entries(&out.join("charts"));
    assert!(!charts_written.is_empty());
    for e in std::fs::read_dir(out.join("charts")).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        let t = std::fs::symlink_metadata(e.path()).unwrap().file_type();
        // A chart written replaced its link; a chart not drawn keeps it.
        if !t.is_symlink() {
            assert!(t.is_file() && !name.contains(".tmp-"), "{name}");
        }
    }
    let written_as_files = charts_written
        .iter()
        .filter(|n| {
            std::fs::symlink_metadata(out.join("charts").join(n))
                .unwrap()
                .file_type()
                .is_file()
        })
        .count();
    assert!(written_as_files > 0, "at least one chart replaced its link");
    let svg = d.join("flow.svg");
    symlink(&v, &svg).unwrap();
    let call_id = first_call_id(&cap);
    let o = bin()
        .args(["flow", "--svg"])
        .arg(&svg)
        .arg(&cap)
        .args(["--call-id", &call_id])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read(&v).unwrap(), b"precious");
    assert!(std::fs::symlink_metadata(&svg)
        .unwrap()
        .file_type()
        .is_file());
}

fn first_call_id(cap: &Path) -> String {
    json_rows("calls", cap)[0]["call_id"]
        .as_str()
        .unwrap()
        .to_string()
}
