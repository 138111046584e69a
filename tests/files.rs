//! End-to-end: `analyze --out DIR` writes summary.json and the five tables as
//! CSV and Parquet, and pandas, polars and DuckDB read them back with the same
//! numbers as the summary (tests/readback.py; `.ci/run` installs the readers).

mod common;
use common::*;
use std::process::Command;

fn python_has_readers() -> bool {
    Command::new("python3")
        .args(["-c", "import pandas, pyarrow, polars, duckdb"])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn out_dir_tables_read_back_in_pandas_polars_and_duckdb() {
    let d = scratch_dir("out");
    let cap = testdata("calls/calls-udp.pcap");
    let o = bin()
        .args(["analyze", "--quiet", "--out"])
        .arg(&d)
        .arg(&cap)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for t in [
        "calls",
        "registrations",
        "transactions",
        "messages",
        "findings",
    ] {
        for ext in ["csv", "parquet"] {
            let p = d.join(format!("{t}.{ext}"));
            assert!(p.metadata().is_ok_and(|m| m.len() > 0), "{}", p.display());
        }
    }
    assert!(d.join("summary.json").exists() && d.join("report.html").exists());
    // No temporary file is left behind.
    assert!(std::fs::read_dir(&d).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains(".tmp-")));
    let calls_csv = std::fs::read_to_string(d.join("calls.csv")).unwrap();
    assert!(calls_csv
        .lines()
        .next()
        .unwrap()
        .starts_with("call_id,start,caller"));
    assert_eq!(calls_csv.lines().count(), 11, "header + 10 calls");
    if !python_has_readers() {
        skip("the Python read-back: pandas, pyarrow, polars or duckdb missing (.ci/run installs them)");
        return;
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/readback.py");
    let o = Command::new("python3")
        .arg(script)
        .arg(&d)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn charts_as_svg_and_png_with_the_503_onset_marked() {
    let d = scratch_dir("charts");
    let o = bin()
        .args(["analyze", "--quiet", "--out"])
        .arg(&d)
        .arg(testdata("patterns/capacity-503.pcap"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for name in [
        "pdd_histogram",
        "pdd_cdf",
        "outcomes",
        "final_codes_over_time",
        "load",
    ] {
        let png = std::fs::read(d.join("charts").join(format!("{name}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{name}.png");
        let svg = std::fs::read_to_string(d.join("charts").join(format!("{name}.svg"))).unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"), "{name}.svg");
    }
    let load = std::fs::read_to_string(d.join("charts/load.svg")).unwrap();
    assert!(load.contains("503 onset"), "the onset is marked");
    // The HTML report embeds the charts.
    let html = std::fs::read_to_string(d.join("report.html")).unwrap();
    assert!(html.matches("class=\"chart\"").count() >= 5);
}

#[test]
fn html_report_is_self_contained_and_escaped() {
    let d = scratch_dir("html");
    let page = d.join("r.html");
    let o = bin()
        .args(["analyze", "--quiet", "--html"])
        .arg(&page)
        .arg(testdata("calls/calls-udp.pcap"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Nothing fetched from the network.
    for needle in ["src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(!html.contains(needle), "{needle}");
    }
    // The call table and a ladder for each failed call (8 of the 10 failed or were redirected/cancelled).
    assert!(html.contains("id=\"calls\""));
    assert_eq!(html.matches("<details>").count(), 8);
    assert!(html.contains("c03-busy@sipsleuth.test"));
}
