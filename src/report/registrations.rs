//! Registration outputs: the registrations section of `analyze` (outcomes,
//! causes, RRD, per registrar, AOR states), and `sipsleuth registrations` (one
//! row per registration attempt as a table, CSV or JSON).

use crate::analysis::registrations::RegistrationSummary;
use crate::model::registration::{RegOutcome, RegistrationAttempt};
use crate::report::cells::{group, new_listing, new_table, num, pct, text};
use crate::report::time::utc;
use comfy_table::Cell;
use std::fmt::Write;

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or("-".into(), |x| x.to_string())
}

/// The registrations section of `analyze`.
pub fn render_summary(s: &RegistrationSummary, out: &mut String) {
    if s.attempts == 0 {
        let _ = writeln!(out, "\nRegistrations: none");
        return;
    }
    let _ = writeln!(
        out,
        "\nRegistrations: {} attempts · {} registered · {} failed · {} pending · {} refreshes · {} de-registrations",
        group(s.attempts),
        group(s.registered),
        group(s.failed),
        group(s.pending),
        group(s.refreshes),
        group(s.deregistrations)
    );
    if !s.causes.is_empty() {
        let mut causes: Vec<_> = s.causes.iter().collect();
        causes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut t = new_table(&["failure cause", "attempts", "share of failures"]);
        for (c, n) in causes {
            t.add_row(vec![Cell::new(c), num(*n), pct(*n, s.failed)]);
        }
        let _ = writeln!(out, "{t}");
    }
    if s.rrd_ms.count > 0 {
        let p = &s.rrd_ms;
        let f = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:.1}"));
        let _ = writeln!(
            out,
            "RRD (first REGISTER → 2xx, challenge included): n={} min {} · p50 {} · p90 {} · p99 {} · max {} ms",
            group(p.count),
            f(p.min),
            f(p.p50),
            f(p.p90),
            f(p.p99),
            f(p.max)
        );
    }
    if s.granted_shorter_than_requested > 0 {
        let _ = writeln!(
            out,
            "Granted Expires shorter than requested: {} attempt(s)",
            group(s.granted_shorter_than_requested)
        );
    }
    if s.per_registrar.len() > 1 || !s.per_registrar.is_empty() && s.failed > 0 {
        let mut regs: Vec<_> = s.per_registrar.iter().collect();
        regs.sort_by(|a, b| b.1.attempts.cmp(&a.1.attempts).then(a.0.cmp(b.0)));
        let mut t = new_table(&["registrar", "attempts", "registered", "failed"]);
        for (r, c) in regs.iter().take(10) {
            t.add_row(vec![
                text(&r.to_string()),
                num(c.attempts),
                num(c.registered),
                num(c.failed),
            ]);
        }
        let _ = writeln!(out, "{t}");
    }
    if !s.aor_states.is_empty() {
        let states: Vec<String> = s
            .aor_states
            .iter()
            .map(|(k, v)| format!("{k} {}", group(*v)))
            .collect();
        let _ = writeln!(
            out,
            "AORs at the end of the capture: {}",
            states.join(" · ")
        );
    }
}

/// `sipsleuth registrations`: one row per attempt, as a terminal table.
pub fn render_table(attempts: &[RegistrationAttempt]) -> String {
    let mut t = new_listing(&[
        "start (UTC)",
        "AOR",
        "registrar",
        "outcome",
        "cause",
        "final",
        "challenges",
        "expires asked/granted",
        "RRD ms",
    ]);
    for a in attempts {
        let outcome = match a.outcome {
            RegOutcome::Registered if a.is_deregistration => "DEREGISTERED",
            RegOutcome::Failed => "FAILED",
            o => o.as_str(),
        };
        t.add_row(vec![
            Cell::new(&utc(a.first_ts_ns)[11..23]),
            text(&a.aor),
            text(&a.registrar.to_string()),
            Cell::new(outcome),
            Cell::new(a.cause.map_or("", |c| c.as_str())),
            Cell::new(opt(a.final_code)),
            Cell::new(a.challenges),
            Cell::new(format!(
                "{}/{}",
                opt(a.requested_expires),
                opt(a.granted_expires)
            )),
            Cell::new(a.rrd_ms.map_or("-".into(), |r| format!("{r:.1}"))),
        ]);
    }
    format!(
        "{t}\n{} registration attempt(s)\n",
        group(attempts.len() as u64)
    )
}
