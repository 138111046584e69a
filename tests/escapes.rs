//! Terminal escape injection (issue #17): an AOR user part carrying `\e[2J`,
//! `\e]0;…\a`, `\e[6n` and U+202E (testdata/hostile-strings.pcap, SIPp) and
//! file names carrying the same reach no text sink raw — terminal tables,
//! CSV (stdout and `--out`), the per-file table, and stderr's notes and
//! warnings. (NUL cannot be put in a file name or through SIPp's argv: the
//! sanitiser's own unit test covers it.)

mod common;
use common::*;
use std::path::Path;

const HOSTILE_NAME: &str = "x\u{1b}[2J\u{1b}]0;title\u{7}\u{1b}[6n\u{202e}gpj";

/// The first raw control or bidi character in `text`, if any.
fn raw(text: &[u8]) -> Option<char> {
    String::from_utf8_lossy(text).chars().find(|c| {
        (c.is_control() && *c != '\n' && *c != '\t' && *c != '\r')
            || ('\u{202a}'..='\u{202e}').contains(c)
            || ('\u{2066}'..='\u{2069}').contains(c)
    })
}

fn assert_printable(what: &str, text: &[u8]) {
    assert_eq!(
        raw(text),
        None,
        "{what}: {}",
        String::from_utf8_lossy(text).escape_debug()
    );
}

/// A directory holding the capture under a hostile name, a damaged copy
/// (cut mid-record, for a stderr warning) and a file that is no capture (a note).
fn hostile_dir(d: &Path) {
    let cap = std::fs::read(testdata("hostile-strings.pcap")).unwrap();
    std::fs::write(d.join(format!("{HOSTILE_NAME}.pcap")), &cap).unwrap();
    std::fs::write(
        d.join(format!("{HOSTILE_NAME}-cut.pcap")),
        &cap[..cap.len() - 10],
    )
    .unwrap();
    std::fs::write(d.join(format!("{HOSTILE_NAME}.txt")), b"not a capture").unwrap();
}

#[test]
fn escapes_in_an_aor_user_part_and_file_names_are_made_printable_at_every_sink() {
    let d = scratch_dir("escapes");
    let inputs = d.join("in");
    std::fs::create_dir(&inputs).unwrap();
    hostile_dir(&inputs);
    let out = d.join("out");
    let runs: Vec<Vec<&std::ffi::OsStr>> = vec![
        vec!["registrations".as_ref()],
        vec!["registrations".as_ref(), "--csv".as_ref()],
        vec!["analyze".as_ref()],
        vec!["analyze".as_ref(), "--per-file".as_ref()],
        vec!["analyze".as_ref(), "--out".as_ref(), out.as_os_str()],
        vec!["calls".as_ref()],
        vec!["messages".as_ref()],
    ];
    for args in runs {
        let o = bin()
            .args(&args)
            .arg(&inputs)
            .env("COLUMNS", "400")
            .output()
            .unwrap();
        assert_printable(&format!("{args:?} stdout"), &o.stdout);
        assert_printable(&format!("{args:?} stderr"), &o.stderr);
        // Not vacuous: the account and the damaged file are shown, replaced.
        let all = [o.stdout.as_slice(), o.stderr.as_slice()].concat();
        let all = String::from_utf8_lossy(&all);
        if args[0] == "registrations" {
            assert!(all.contains("pwned"), "{args:?}: {all}");
        }
        assert!(
            all.contains("title") || args[0] != "analyze",
            "{args:?}: {all}"
        );
    }
    let mut csvs = 0;
    for e in std::fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "csv") {
            assert_printable(&p.display().to_string(), &std::fs::read(&p).unwrap());
            csvs += 1;
        }
    }
    assert!(csvs >= 5);
    let regs = std::fs::read_to_string(out.join("registrations.csv")).unwrap();
    assert!(regs.contains("pwned"), "{regs}");
}
