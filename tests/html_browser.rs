//! The HTML report in a real browser (issue #5 item 8): headless Chromium
//! loads it and dumps the DOM after its script ran. The page records script
//! errors and its own readiness as attributes (src/report/html.rs), and opened
//! as `#selftest=TEXT` it sorts and filters its call table itself, so the dump
//! shows whether that code worked. Skips, saying so, when chromium is absent.

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "chromium";

fn chromium_present() -> bool {
    Command::new(CHROMIUM)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The DOM of `url` after load, as headless Chromium serialises it.
fn dump_dom(url: &str, scratch: &Path) -> String {
    let profile = scratch.join("profile");
    std::fs::create_dir_all(&profile).unwrap();
    let out = scratch.join("dom.html");
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    // A browser that hangs must not hang the test run: stop this child after a minute.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "chromium exited with {status}");
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::read_to_string(&out).unwrap()
}

fn file_url(p: &Path) -> String {
    format!("file://{}", p.canonicalize().unwrap().display())
}

/// The text between `from` and the next `to` after it.
fn between<'a>(s: &'a str, from: &str, to: &str) -> &'a str {
    let a = s
        .find(from)
        .unwrap_or_else(|| panic!("{from} not in the DOM"))
        + from.len();
    let b = s[a..].find(to).unwrap() + a;
    &s[a..b]
}

#[test]
fn the_report_renders_sorts_and_filters_without_script_errors() {
    if !chromium_present() {
        skip(&format!(
            "{CHROMIUM} not found (Debian: apt-get install chromium)"
        ));
        return;
    }
    // Failed calls (503s), registration failures and three findings between them; two
    // calls with RTP (one stream with loss, two with RTCP reports) for the media section.
    let caps = [
        testdata("patterns/capacity-503.pcap"),
        testdata("patterns/account-lockout.pcap"),
        testdata("media/loss.pcap"),
        testdata("media/rtcp.pcap"),
    ];
    let d = scratch_dir("html-browser");
    let out_dir = d.join("out");
    let html = d.join("report.html");
    let mut c = bin();
    c.arg("analyze").args(&caps).arg("--out").arg(&out_dir);
    let o = c.arg("--html").arg(&html).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // What the page must show, from sipsleuth's own JSON.
    let (_, j, _) = analyze_json(&[&caps[0], &caps[1], &caps[2], &caps[3]]);
    let findings = j["findings"].as_array().unwrap().len();
    let o = bin()
        .arg("calls")
        .arg("--json")
        .args(&caps)
        .output()
        .unwrap();
    let calls: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    let with_pdd = calls.iter().filter(|c| !c["pdd_ms"].is_null()).count();
    let failed: Vec<&str> = calls
        .iter()
        .filter(|c| c["category"] != "SUCCESS" && c["category"] != "INCOMPLETE")
        .map(|c| c["call_id"].as_str().unwrap())
        .collect();
    assert!(findings >= 2 && !failed.is_empty() && with_pdd > 0);
    let charts = std::fs::read_dir(out_dir.join("charts"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("svg".as_ref()))
        .count();
    assert!(charts >= 6, "{charts} charts");
    assert!(out_dir.join("charts/rtp_loss_jitter.svg").exists());
    let o = bin()
        .arg("streams")
        .arg("--json")
        .args(&caps)
        .output()
        .unwrap();
    let streams: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(streams.len(), 4, "two calls, two streams each");

    // Filter by one failed call's full Call-ID: exactly its row stays.
    let query = failed[0].replace('@', "%40");
    let dom = dump_dom(&format!("{}#selftest={query}", file_url(&html)), &d);

    assert!(
        !dom.contains("data-script-errors=\""),
        "script errors: {}",
        between(&dom, "data-script-errors=\"", "\"")
    );
    assert!(
        dom.contains("data-ready=\"1\""),
        "the page script did not finish"
    );
    assert_eq!(
        between(&dom, "data-selftest=\"", "\""),
        format!(
            "rows={};pdd_values={with_pdd};sorted=true;shown=1",
            calls.len()
        )
    );
    // The call table's rows, all there again (the filter was cleared).
    let tbody = between(&dom, "<table id=\"calls\">", "</table>");
    assert_eq!(
        tbody.matches("<tr").count(),
        calls.len() + 1,
        "rows + header"
    );
    assert!(!tbody.contains("display: none"), "filter not cleared");
    // Every chart as inline SVG, a ladder for each failed call, every finding.
    assert_eq!(dom.matches("<div class=\"chart\"").count(), charts);
    assert_eq!(
        dom.matches("<svg").count(),
        charts + failed.len(),
        "charts and ladders as SVG"
    );
    assert_eq!(dom.matches("<details>").count(), failed.len());
    assert_eq!(dom.matches("<div class=\"finding ").count(), findings);
    // The media section: verdicts, RTCP against the capture, every stream (worst first: the lossy one).
    assert!(dom.contains("<table id=\"media-verdicts\">"));
    assert!(
        dom.contains("RTCP receiver reports on 2 stream(s)"),
        "RTCP line"
    );
    let st = between(&dom, "<table id=\"streams\">", "</table>");
    assert_eq!(
        st.matches("<tr").count(),
        streams.len() + 1,
        "rows + header"
    );
    let first_row = between(st, "<tbody>", "</tr>");
    assert!(first_row.contains("loss-alice"), "worst first: {first_row}");
    assert_eq!(st.matches(">agree</td>").count(), 2);

    // The error catcher itself works: a page with a broken script says so.
    let broken = d.join("broken.html");
    let page = std::fs::read_to_string(&html).unwrap();
    std::fs::write(
        &broken,
        page.replace("</body>", "<script>no_such_function()</script></body>"),
    )
    .unwrap();
    let dom = dump_dom(&file_url(&broken), &d);
    assert!(
        between(&dom, "data-script-errors=\"", "\"").contains("no_such_function"),
        "the error catcher missed a script error"
    );
    let _ = std::fs::remove_dir_all(&d);
}
