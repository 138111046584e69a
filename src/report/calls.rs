//! Call outputs: the calls section of `analyze` (outcomes, ASR/NER, PDD,
//! final codes, destinations, RFC 6076), and `sipsleuth calls` (one row per
//! call attempt as a terminal table; CSV and JSON come from `report::schema`).

use crate::analysis::calls::CallSummary;
use crate::analysis::stats::Percentiles;
use crate::model::call::{CallRecord, Category};
use crate::report::cells::{group, new_listing, new_table, num, pct, text};
use crate::report::time::utc;
use crate::sip::codes::reason_phrase;
use comfy_table::Cell;
use std::fmt::Write;

fn opt_ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |x| format!("{x:.1}"))
}

fn ratio_pct(v: Option<f64>) -> String {
    v.map_or("undefined".into(), |x| format!("{:.1}%", x * 100.0))
}

fn dist(p: &Percentiles) -> String {
    if p.count == 0 {
        return "no values".into();
    }
    format!(
        "n={} min {} · p50 {} · p90 {} · p95 {} · p99 {} · max {} · mean {} ms",
        group(p.count),
        opt_ms(p.min),
        opt_ms(p.p50),
        opt_ms(p.p90),
        opt_ms(p.p95),
        opt_ms(p.p99),
        opt_ms(p.max),
        opt_ms(p.mean)
    )
}

/// "label: values" on one line when it fits 100 columns, else the values on their own line.
fn line(out: &mut String, label: &str, p: &Percentiles) {
    let values = dist(p);
    if label.chars().count() + 2 + values.chars().count() <= 100 {
        let _ = writeln!(out, "{label}: {values}");
    } else {
        let indent = label.chars().take_while(|c| *c == ' ').count() + 4;
        let _ = writeln!(out, "{label}:\n{}{values}", " ".repeat(indent));
    }
}

/// The calls section of `analyze`.
pub fn render_summary(s: &CallSummary, out: &mut String) {
    if s.attempts == 0 {
        let _ = writeln!(
            out,
            "\nCalls: no call attempts (no INVITE without To tag){}",
            if s.in_progress_at_start > 0 {
                format!(
                    "; {} call(s) already in progress when the capture began",
                    group(s.in_progress_at_start)
                )
            } else {
                String::new()
            }
        );
        return;
    }
    let _ = writeln!(
        out,
        "\nCalls: {} attempts · ASR {} · NER {} · NER (E.411) {} (definitions: docs/metrics.md)",
        group(s.attempts),
        ratio_pct(s.asr),
        ratio_pct(s.ner),
        ratio_pct(s.ner_e411)
    );
    let _ = writeln!(out, "  {}", crate::analysis::calls::NER_NOTE);
    if s.in_progress_at_start > 0 {
        let _ = writeln!(
            out,
            "  calls already in progress when the capture began (not attempts): {}",
            group(s.in_progress_at_start)
        );
    }
    if s.b2bua_legs_merged > 0 {
        let _ = writeln!(
            out,
            "  B2BUA legs folded into the calls they carried (new Call-ID, same call): {}",
            group(s.b2bua_legs_merged)
        );
    }
    let mut t = new_table(&["outcome", "calls", "share"]);
    for c in Category::ALL {
        let n = s.outcomes.get(c.name()).copied().unwrap_or(0);
        if n > 0 {
            t.add_row(vec![Cell::new(c.name()), num(n), pct(n, s.attempts)]);
        }
    }
    let _ = writeln!(out, "{t}");
    line(out, "PDD (INVITE → first 180/183)", &s.pdd_ms);
    if s.answered_without_ringing > 0 {
        let _ = writeln!(
            out,
            "  answered without 180/183 (no PDD): {}",
            group(s.answered_without_ringing)
        );
    }
    line(out, "Answer (INVITE → 2xx)", &s.answer_ms);
    line(out, "Duration (2xx → BYE)", &s.duration_ms);

    let mut codes: Vec<(&String, &u64)> = s.final_codes.iter().collect();
    codes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut t = new_table(&["final response", "calls", "share"]);
    for (code, n) in codes.iter().take(10) {
        let label = code
            .parse::<u16>()
            .ok()
            .map_or("no final response".to_string(), |c| {
                format!("{c} {}", reason_phrase(c).unwrap_or(""))
            });
        t.add_row(vec![Cell::new(label), num(**n), pct(**n, s.attempts)]);
    }
    let _ = writeln!(out, "{t}");

    let mut dests: Vec<_> = s.per_destination.iter().collect();
    dests.sort_by(|a, b| b.1.attempts.cmp(&a.1.attempts).then(a.0.cmp(b.0)));
    if dests.len() > 1 {
        let mut t = new_table(&["destination (last leg)", "attempts", "ASR", "PDD p50 ms"]);
        for (d, v) in dests.iter().take(10) {
            t.add_row(vec![
                text(&d.to_string()),
                num(v.attempts),
                Cell::new(ratio_pct(v.asr)),
                Cell::new(opt_ms(v.pdd_p50_ms)),
            ]);
        }
        if dests.len() > 10 {
            t.add_row(vec![
                Cell::new(format!("… {} more", dests.len() - 10)),
                Cell::new(""),
                Cell::new(""),
                Cell::new(""),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    let r = &s.rfc6076;
    let _ = writeln!(
        out,
        "RFC 6076: SER {} · SEER {} · ISA {} · SCR {}",
        ratio_pct(r.ser),
        ratio_pct(r.seer),
        ratio_pct(r.isa),
        ratio_pct(r.scr)
    );
    line(out, "  SRD success", &r.srd_success_ms);
    line(out, "  SRD failure", &r.srd_failure_ms);
    line(out, "  SDD", &r.sdd_ms);
}

fn user_of(uri: &str) -> &str {
    let rest = uri.split_once(':').map_or(uri, |(_, r)| r);
    rest.split(['@', ';', '>']).next().unwrap_or(rest)
}

/// `sipsleuth calls`: one row per attempt, as a terminal table.
pub fn render_table(calls: &[CallRecord]) -> String {
    let mut t = new_listing(&[
        "start (UTC)",
        "Call-ID",
        "from → to",
        "outcome",
        "final",
        "PDD ms",
        "answer ms",
        "dur s",
        "legs",
        "media",
    ]);
    for c in calls {
        t.add_row(vec![
            Cell::new(&utc(c.start_ns)[11..23]),
            // Whole, never cut: it is pasted into `flow --call-id` and `show --call-id`.
            text(&c.call_id),
            text(&format!(
                "{} → {}",
                user_of(&c.from_uri),
                user_of(&c.to_uri)
            )),
            Cell::new(c.category.name()),
            Cell::new(c.final_code.map_or("-".into(), |f| f.to_string())),
            Cell::new(opt_ms(c.pdd_ms.get())),
            Cell::new(opt_ms(c.answer_ms.get())),
            Cell::new(
                c.duration_ms
                    .get()
                    .map_or("-".into(), |d| format!("{:.1}", d / 1000.0)),
            ),
            Cell::new(c.legs.len()),
            Cell::new(
                c.media
                    .as_ref()
                    .and_then(|m| m.verdict)
                    .map_or("-", |v| v.name()),
            ),
        ]);
    }
    format!("{t}\n{} call attempt(s)\n", group(calls.len() as u64))
}
