//! Terminal tables for `analyze` (comfy-table): what was read, what every frame
//! was, the SIP messages by method, status code and transport, and anomalies.
//! Reads top-down and fits the terminal (report::terminal).

use crate::accounting::Bucket;
use crate::report::cells::{group, new_table, num, pct, text};
use crate::report::printable::printable;
use crate::report::time::{span, utc};
use crate::sip::codes::reason_phrase;
use crate::summary::Summary;
use comfy_table::{Attribute, Cell, ColumnConstraint};
use std::fmt::Write;

/// Several inputs a day or more apart (unrelated captures, not one archive):
/// the overall span says little, each input's own does.
fn apart(s: &Summary) -> bool {
    const DAY_NS: i64 = 86_400_000_000_000;
    s.inputs.len() > 1 && matches!((s.first_ns, s.last_ns), (Some(a), Some(b)) if b - a >= DAY_NS)
}

/// Inputs listed by default before the rest are summed up in one line.
const MAX_INPUT_ROWS: usize = 20;

/// Inputs skipped as not captures (they count as complete, but were not read).
fn formats_skipped(s: &Summary) -> usize {
    s.inputs.iter().filter(|i| i.report.skipped).count()
}

/// `--per-file`: one row per input file.
/// The directory every file sits under (with its trailing '/'), when there is one:
/// the per-file table shows names relative to it, so a deep archive path does not
/// crowd out the figures.
fn common_dir(files: &[&str]) -> Option<String> {
    let first = files.first()?;
    let mut dir = first.rfind('/').map(|i| &first[..=i])?;
    for f in files {
        while !f.starts_with(dir) {
            let shorter = dir.trim_end_matches('/');
            dir = shorter.rfind('/').map(|i| &shorter[..=i])?;
        }
    }
    Some(dir.to_string())
}

fn per_file_table(s: &Summary) -> (Option<String>, comfy_table::Table) {
    let mut t = new_table(&[
        "file",
        "first (UTC)",
        "frames",
        "SIP msgs",
        "calls",
        "failed",
        "REG",
        "REG failed",
        "status",
    ]);
    // File names whole, on one line: the other columns give way first.
    if let Some(c) = t.column_mut(0) {
        c.set_constraint(ColumnConstraint::ContentWidth);
    }
    let names: Vec<&str> = s.per_file.iter().map(|r| r.file.as_str()).collect();
    let dir = common_dir(&names).filter(|_| names.len() > 1);
    for r in &s.per_file {
        let name = dir
            .as_deref()
            .and_then(|d| r.file.strip_prefix(d))
            .unwrap_or(&r.file);
        t.add_row(vec![
            text(name),
            Cell::new(r.first_ns.map_or("-".into(), |t| utc(t)[..19].to_string())),
            num(r.frames),
            num(r.sip_messages),
            num(r.calls),
            num(r.calls_failed),
            num(r.registrations),
            num(r.registrations_failed),
            text(&r.status),
        ]);
    }
    (dir, t)
}

pub fn render(s: &Summary) -> String {
    let mut out = String::new();
    let bytes: u64 = s
        .inputs
        .iter()
        .filter_map(|i| i.report.capture.as_ref())
        .map(|c| c.bytes)
        .sum();
    let _ = writeln!(
        out,
        "sipsleuth {} · {} input(s) · {} bytes · {} frames",
        env!("CARGO_PKG_VERSION"),
        s.inputs.len(),
        group(bytes),
        group(s.frames.total())
    );
    if let (Some(a), Some(b)) = (s.first_ns, s.last_ns) {
        let _ = writeln!(out, "captured {} → {} ({})", utc(a), utc(b), span(b - a));
        if apart(s) {
            let _ = writeln!(
                out,
                "the inputs are days or more apart: each one's own first frame and span are in the inputs table"
            );
        }
    }
    out.push('\n');

    if s.show_per_file {
        let (dir, t) = per_file_table(s);
        match dir {
            Some(d) => {
                let _ = writeln!(out, "Files (in {})\n{t}\n", printable(&d));
            }
            None => {
                let _ = writeln!(out, "Files\n{t}\n");
            }
        }
    } else if s.inputs.len() > 1 || s.inputs.iter().any(|i| !i.report.complete()) {
        // An archive has thousands of inputs: list the ones with something to say, and a few.
        let apart = apart(s);
        let mut header = vec!["input", "format", "frames", "SIP msgs", "status"];
        if apart {
            header.splice(2..2, ["first (UTC)", "span"]);
        }
        let mut t = new_table(&header);
        let mut shown = 0;
        let many = s.inputs.len() > MAX_INPUT_ROWS;
        for (i, row) in s.inputs.iter().zip(&s.per_file) {
            // Many inputs: only those with something to say, and at most a screenful.
            if many && (i.report.complete() || shown >= MAX_INPUT_ROWS) {
                continue;
            }
            shown += 1;
            let mut cells = vec![
                text(&i.report.path),
                Cell::new(if row.format.is_empty() {
                    "-"
                } else {
                    &row.format
                }),
                num(i.report.frames.total()),
                num(i.traffic.messages()),
                text(&row.status),
            ];
            if apart {
                let (first, len) = match (row.first_ns, row.last_ns) {
                    (Some(f), Some(l)) => (utc(f)[..19].to_string(), span(l - f)),
                    _ => ("-".into(), "-".into()),
                };
                cells.splice(2..2, [Cell::new(first), Cell::new(len)]);
            }
            t.add_row(cells);
        }
        if shown > 0 {
            let _ = writeln!(out, "Inputs\n{t}");
        }
        if shown < s.inputs.len() {
            let mut formats: std::collections::BTreeMap<&str, usize> = Default::default();
            for r in &s.per_file {
                let kind = match (r.format.as_str(), r.status.starts_with("skipped")) {
                    (_, true) => "skipped",
                    ("", false) => "unreadable",
                    (f, false) => f,
                };
                *formats.entry(kind).or_default() += 1;
            }
            let formats: Vec<String> = formats.iter().map(|(f, n)| format!("{f} {n}")).collect();
            let incomplete = s.inputs.iter().filter(|i| !i.report.complete()).count();
            let _ = writeln!(
                out,
                "{} inputs ({}): {} read completely{}; --per-file lists every one",
                s.inputs.len(),
                formats.join(", "),
                s.inputs.len() - incomplete - formats_skipped(s),
                if incomplete > shown {
                    format!(", {} more not listed", incomplete - shown)
                } else {
                    String::new()
                }
            );
        }
        out.push('\n');
    }

    let total = s.frames.total();
    let mut t = new_table(&["frames", "count", "share", "what"]);
    for (b, n) in s.frames.iter().filter(|(_, n)| *n > 0) {
        t.add_row(vec![
            Cell::new(b.name()),
            num(n),
            pct(n, total),
            Cell::new(b.describe()),
        ]);
    }
    t.add_row(vec![
        Cell::new("total").add_attribute(Attribute::Bold),
        num(total),
        pct(total, total),
        Cell::new(""),
    ]);
    let _ = writeln!(out, "Frames: every frame in exactly one bucket\n{t}\n");

    let tr = &s.traffic;
    let _ = writeln!(
        out,
        "SIP messages: {} ({} requests, {} responses; retransmissions included)",
        group(tr.messages()),
        group(tr.request_total()),
        group(tr.response_total())
    );
    let mut reqs: Vec<_> = tr.requests().into_iter().collect();
    reqs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if !reqs.is_empty() {
        let mut t = new_table(&["method", "requests", "share"]);
        for (m, n) in reqs {
            let shown = if m.chars().count() > 40 {
                format!(
                    "{}… ({} chars)",
                    m.chars().take(24).collect::<String>(),
                    m.chars().count()
                )
            } else {
                m
            };
            t.add_row(vec![Cell::new(shown), num(n), pct(n, tr.request_total())]);
        }
        let _ = writeln!(out, "{t}");
    }
    let resp = tr.responses();
    if !resp.is_empty() {
        let mut t = new_table(&["status", "responses", "share"]);
        for (c, n) in resp {
            t.add_row(vec![
                Cell::new(format!("{c} {}", reason_phrase(c).unwrap_or(""))),
                num(n),
                pct(n, tr.response_total()),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    let transports = tr.transports();
    if !transports.is_empty() {
        let mut t = new_table(&["transport", "messages", "share"]);
        for (k, n) in &transports {
            t.add_row(vec![
                Cell::new(k.to_uppercase()),
                num(*n),
                pct(*n, tr.messages()),
            ]);
        }
        let carried = [
            ("in HEP packets", tr.via_hep),
            ("inside tunnels", tr.tunnelled),
            ("reassembled from IP fragments", tr.reassembled),
            ("over several TCP segments", tr.multi_segment),
        ];
        for (what, n) in carried.into_iter().filter(|(_, n)| *n > 0) {
            t.add_row(vec![
                Cell::new(format!("  {what}")),
                num(n),
                pct(n, tr.messages()),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }

    crate::report::calls::render_summary(&s.call_summary, &mut out);
    crate::report::registrations::render_summary(&s.registration_summary, &mut out);
    crate::report::media::render_summary(&s.calls, &s.streams, &s.media, &mut out);
    crate::report::findings::render(&s.findings, &mut out);

    let mut anomalies: Vec<(String, u64)> = Vec::new();
    for (r, n) in &tr.malformed {
        anomalies.push((format!("malformed SIP: {r}"), *n));
    }
    for (d, n) in &tr.defects {
        anomalies.push((format!("SIP defect: {}", d.replace('_', " ")), *n));
    }
    if tr.icmp_errors > 0 {
        anomalies.push((
            "ICMP errors (quoting SIP, not counted as SIP)".into(),
            tr.icmp_quoting_sip,
        ));
    }
    for i in &s.inputs {
        let r = &i.report;
        let f = &r.ip_fragments;
        let tc = &r.tcp;
        for (what, n) in [
            (
                "IP datagrams never reassembled (timeout/memory/end)",
                f.timed_out + f.evicted_for_memory + f.left_at_end,
            ),
            ("TCP gaps skipped (bytes lost)", tc.gaps_skipped),
            ("TCP streams ending mid-message", tc.incomplete_at_end),
        ] {
            if n > 0 {
                anomalies.push((format!("{what} in {}", printable(&r.path)), n));
            }
        }
        if let Some(c) = &r.capture {
            if c.caplen_over_snaplen > 0 {
                anomalies.push((
                    format!("records longer than the snaplen in {}", printable(&r.path)),
                    c.caplen_over_snaplen,
                ));
            }
            if c.unknown_interface > 0 {
                anomalies.push((
                    format!(
                        "pcapng packets on an undescribed interface in {}",
                        printable(&r.path)
                    ),
                    c.unknown_interface,
                ));
            }
        }
    }
    if !anomalies.is_empty() {
        let mut t = new_table(&["anomaly", "count"]);
        for (a, n) in anomalies {
            t.add_row(vec![Cell::new(a), num(n)]);
        }
        let _ = writeln!(out, "\nAnomalies (counted, not fatal)\n{t}");
    }
    if s.model.rows_not_kept.any() {
        let _ = writeln!(
            out,
            "note: rows not kept past their limit: {}; the figures above count every call, the tables and findings cover the rows kept",
            s.model.rows_not_kept.describe()
        );
    }
    let unsupported = s.frames.get(Bucket::UnsupportedLink);
    if unsupported > 0 {
        let mut lts: Vec<u32> = s
            .inputs
            .iter()
            .filter_map(|i| i.report.capture.as_ref())
            .flat_map(|c| c.linktypes.clone())
            .collect();
        lts.sort_unstable();
        lts.dedup();
        let _ = writeln!(out, "note: {} frame(s) on link types or tunnels not decoded (link types in the input: {:?})", group(unsupported), lts);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::common_dir;

    #[test]
    fn the_common_directory_of_an_archive() {
        assert_eq!(
            common_dir(&["/a/b/x.pcap", "/a/b/c/y.pcap"]).as_deref(),
            Some("/a/b/")
        );
        assert_eq!(common_dir(&["/a/bc/x", "/a/b/y"]).as_deref(), Some("/a/"));
        assert_eq!(common_dir(&["x.pcap", "y.pcap"]), None);
        assert_eq!(common_dir(&["/x.pcap", "/y.pcap"]).as_deref(), Some("/"));
    }
}
