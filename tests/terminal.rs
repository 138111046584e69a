//! Terminal habits (issue #11 §4): identifiers never cut, a Call-ID prefix
//! accepted, whole messages shown, NO_COLOR and `--color`, the real terminal
//! width (through a pseudo-terminal made by `script`), errors said once, "no
//! capture found", `--limit help` alone, `--method` in any case, readable spans
//! for captures years apart.

mod common;
use common::*;
use std::process::Output;

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn sample(name: &str) -> String {
    testdata(name).to_str().unwrap().to_string()
}

/// The Call-ID of this capture has 34 characters: it used to be cut at 32.
const LONG_ID: &str = "port-call1-answered@sipsleuth.test";

#[test]
fn calls_table_never_cuts_a_call_id() {
    let (out, _) = text(&run(&["calls", &sample("udp-nonstandard-port.pcap")]));
    assert!(out.contains(LONG_ID), "{out}");
}

#[test]
fn flow_show_and_export_accept_a_unique_call_id_prefix_and_refuse_an_ambiguous_one() {
    let cap = sample("udp-nonstandard-port.pcap");
    let o = run(&["flow", &cap, "--call-id", "port-call1"]);
    assert!(o.status.success(), "{}", text(&o).1);
    assert!(text(&o).0.contains("INVITE"));
    let o = run(&["show", &cap, "--call-id", "port-call1"]);
    assert!(o.status.success(), "{}", text(&o).1);
    assert!(text(&o).0.contains(&format!("Call-ID: {LONG_ID}")));
    let o = run(&[
        "flow",
        &sample("udp-register-call.pcap"),
        "--call-id",
        "call",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).1.contains("3 Call-IDs start with call"),
        "{}",
        text(&o).1
    );
}

#[test]
fn show_prints_every_message_of_the_call_whole() {
    let o = run(&[
        "show",
        &sample("udp-register-call.pcap"),
        "--call-id",
        "call2-busy@sipsleuth.test",
    ]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    // INVITE (with SDP), 100, 486, ACK: each under its own separator line, headers and body whole.
    assert!(
        out.matches("\n── ").count() + usize::from(out.starts_with("── ")) >= 4,
        "{out}"
    );
    assert!(out.contains("INVITE sip:bob@sipsleuth.test SIP/2.0\n"));
    assert!(out.contains("SIP/2.0 486 "));
    assert!(out.contains("Content-Type: application/sdp\n"));
    assert!(out.contains("m=audio "), "the SDP body is shown");
    assert!(!out.contains('\r'), "lines end with LF in the terminal");
}

/// comfy-table writes bold headers as escape codes when styling is on.
#[test]
fn no_color_and_color_never_write_no_escape_codes() {
    let cap = sample("udp-register-call.pcap");
    let forced = bin()
        .args(["--color", "always", "analyze", &cap])
        .output()
        .unwrap();
    assert!(
        forced.stdout.contains(&0x1b),
        "--color always styles (the check below can fail)"
    );
    let never = bin()
        .args(["--color", "never", "analyze", &cap])
        .output()
        .unwrap();
    assert!(!never.stdout.contains(&0x1b));
    let no_color = bin()
        .env("NO_COLOR", "1")
        .args(["analyze", &cap])
        .output()
        .unwrap();
    assert!(!no_color.stdout.contains(&0x1b));
    // Under a terminal (script's pseudo-terminal), auto styles unless NO_COLOR says no.
    if let Some(out) = in_terminal(120, &format!("analyze {cap}"), &[]) {
        assert!(out.contains('\u{1b}'), "a terminal gets bold headers");
    }
    if let Some(out) = in_terminal(120, &format!("analyze {cap}"), &[("NO_COLOR", "1")]) {
        assert!(!out.contains('\u{1b}'), "NO_COLOR: {out}");
    }
}

/// Runs sipsleuth under a pseudo-terminal `cols` wide (util-linux `script`); None (a skip) without it.
fn in_terminal(cols: u16, args: &str, env: &[(&str, &str)]) -> Option<String> {
    let have_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_script {
        skip("the terminal part: util-linux `script` is not installed");
        return None;
    }
    let cmd = format!(
        "stty cols {cols} rows 50; {} --quiet {args}",
        env!("CARGO_BIN_EXE_sipsleuth")
    );
    let mut c = std::process::Command::new("script");
    c.args(["-qec", &cmd, "/dev/null"]).env_remove("NO_COLOR");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    Some(String::from_utf8_lossy(&o.stdout).replace("\r\n", "\n"))
}

#[test]
fn per_file_names_stay_on_one_line_at_the_terminals_width() {
    // Two inputs with long names, as an archive has.
    let d = scratch_dir("terminal-width");
    let mut names = Vec::new();
    for (k, src) in ["udp-register-call.pcap", "tcp-calls.pcap"]
        .iter()
        .enumerate()
    {
        let name =
            format!("site-paris-edge-proxy-{k}-2026-11-21T05-48-00Z-rotated-capture-{k}.pcap");
        std::fs::copy(testdata(src), d.join(&name)).unwrap();
        names.push(name);
    }
    let args = format!("analyze --per-file {}", d.to_str().unwrap());
    let Some(out) = in_terminal(220, &args, &[("NO_COLOR", "1")]) else {
        return;
    };
    for name in &names {
        assert!(
            out.contains(name.as_str()),
            "{name} whole on one line:\n{out}"
        );
    }
    let widest = out.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest <= 220, "{widest} columns on a 220-column terminal");
    // Piped: no terminal width, the table as wide as its content (nothing wrapped).
    let o = bin()
        .args(["analyze", "--per-file", d.to_str().unwrap()])
        .output()
        .unwrap();
    let (piped, _) = text(&o);
    for name in &names {
        assert!(piped.contains(name.as_str()), "{name} whole when piped");
    }
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn a_missing_file_is_said_once() {
    let o = run(&["analyze", "/nonexistent/capture.pcap"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(err.matches("(os error 2)").count(), 1, "{err}");
    assert_eq!(
        err.lines().filter(|l| l.contains("error")).count(),
        1,
        "{err}"
    );
}

#[test]
fn an_empty_directory_or_a_text_file_says_no_capture_found() {
    let d = scratch_dir("no-capture");
    std::fs::write(d.join("notes.txt"), "not a capture\n").unwrap();
    let empty = d.join("empty");
    std::fs::create_dir(&empty).unwrap();
    for (input, cmd) in [
        (empty.clone(), "analyze"),
        (d.join("notes.txt"), "analyze"),
        (d.join("notes.txt"), "calls"),
        (empty, "messages"),
    ] {
        let o = run(&[cmd, input.to_str().unwrap()]);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{cmd} {}", input.display());
        assert!(
            err.contains("no capture found"),
            "{cmd} {}: {err}",
            input.display()
        );
    }
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn limit_help_works_alone_and_shows_the_defaults() {
    let o = run(&["--limit", "help"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let tcp = out
        .lines()
        .find(|l| l.starts_with("tcp.streams "))
        .expect("tcp.streams listed");
    assert!(
        tcp.split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .is_ok(),
        "a default value: {tcp}"
    );
    assert!(out.lines().any(|l| l.starts_with("model.calls ")));
}

#[test]
fn messages_method_is_case_insensitive() {
    let cap = sample("udp-register-call.pcap");
    let upper = run(&["messages", "--method", "INVITE", &cap]);
    let lower = run(&["messages", "--method", "invite", &cap]);
    assert!(!upper.stdout.is_empty());
    assert_eq!(upper.stdout, lower.stdout);
}

#[test]
fn captures_years_apart_keep_a_readable_span_and_each_inputs_own() {
    let Some(dir) = shared_captures_or_skip() else {
        return;
    };
    let a = dir.join("EEliseeva__SIP-Proxy/trace_all-necessary-functions.pcap");
    let b = dir.join("irontec__sngrep/tests__aaa.pcap");
    let (out, _) = text(&run(&["analyze", a.to_str().unwrap(), b.to_str().unwrap()]));
    assert!(out.contains("(16 y 244 d)"), "{out}");
    assert!(
        out.contains("2005-07-04T09:32:20") && out.contains("26 min 6.6 s"),
        "{out}"
    );
}
