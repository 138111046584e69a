//! `check --junit FILE`: the outcome of every rule as JUnit XML, the format
//! GitLab, Jenkins and GitHub (through its JUnit actions) show as test results:
//! one `<testsuite>` for the rules file, one `<testcase>` per rule. A failed
//! rule is a `<failure>` whose message holds the value and the threshold; a
//! rule without data is a `<failure type="no_data">` when it fails the check,
//! else `<skipped>`. Text from captures (Call-IDs in the evidence) is escaped
//! for XML and stripped of the characters XML 1.0 cannot hold.

use super::slo::{Outcome, Status};

/// Escapes text for an XML attribute or element; drops characters XML 1.0 forbids.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A value as the table prints it (ratios to 4 places, ms to 3).
pub fn number(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// The one-line message of a rule's outcome: "asr = 0.9 (needs >= 0.95)".
pub fn message(o: &Outcome) -> String {
    match o.value {
        Some(v) => format!(
            "{} = {} (needs {} {}); {}",
            o.metric,
            number(v),
            o.op.as_str(),
            number(o.threshold),
            o.scope
        ),
        None => format!("no data for {} ({})", o.metric, o.scope),
    }
}

/// The JUnit document for one rules file's outcomes.
pub fn render(suite: &str, outcomes: &[Outcome], timestamp: &str) -> String {
    let failures = outcomes.iter().filter(|o| o.fails_check).count();
    let skipped = outcomes
        .iter()
        .filter(|o| o.status == Status::NoData && !o.fails_check)
        .count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!(
        "<testsuites name=\"sipsleuth check\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n",
        outcomes.len()
    ));
    x.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"0\" timestamp=\"{}\">\n",
        esc(suite),
        outcomes.len(),
        esc(timestamp)
    ));
    for o in outcomes {
        x.push_str(&format!(
            "    <testcase classname=\"sipsleuth.slo\" name=\"{}\" time=\"0\">\n",
            esc(&o.name)
        ));
        let body = format!(
            "{}\nsample size: {}\nevidence: {}",
            message(o),
            o.sample_size,
            o.evidence
        );
        match (o.status, o.fails_check) {
            (Status::Fail, _) => x.push_str(&format!(
                "      <failure type=\"fail\" message=\"{}\">{}</failure>\n",
                esc(&message(o)),
                esc(&body)
            )),
            (Status::NoData, true) => x.push_str(&format!(
                "      <failure type=\"no_data\" message=\"{}\">{}</failure>\n",
                esc(&message(o)),
                esc(&body)
            )),
            (Status::NoData, false) => x.push_str(&format!(
                "      <skipped message=\"{}\"/>\n",
                esc(&message(o))
            )),
            (Status::Pass, _) => {}
        }
        x.push_str(&format!("      <system-out>{}</system-out>\n", esc(&body)));
        x.push_str("    </testcase>\n");
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::slo::Op;

    fn outcome(status: Status, fails: bool, value: Option<f64>) -> Outcome {
        Outcome {
            name: "asr >= 0.95 <&\"'>".into(),
            metric: "asr".into(),
            scope: "all".into(),
            op: Op::Ge,
            threshold: 0.95,
            value,
            status,
            fails_check: fails,
            sample_size: 300,
            evidence: "calls a\u{1}b".into(),
            call_ids: Vec::new(),
            frames: Vec::new(),
        }
    }

    #[test]
    fn failures_skips_and_escapes() {
        let x = render(
            "slo.toml",
            &[
                outcome(Status::Pass, false, Some(1.0)),
                outcome(Status::Fail, true, Some(0.9)),
                outcome(Status::NoData, false, None),
            ],
            "2026-01-01T00:00:00",
        );
        assert!(
            x.contains("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""),
            "{x}"
        );
        assert!(
            x.contains("message=\"asr = 0.9 (needs &gt;= 0.95); all\""),
            "{x}"
        );
        assert!(
            x.contains("name=\"asr &gt;= 0.95 &lt;&amp;&quot;&apos;&gt;\""),
            "{x}"
        );
        assert!(
            x.contains("<skipped message=\"no data for asr (all)\"/>"),
            "{x}"
        );
        assert!(!x.contains('\u{1}') && x.contains("calls ab"), "{x}");
    }

    #[test]
    fn numbers_print_short() {
        assert_eq!(number(0.95), "0.95");
        assert_eq!(number(150.0), "150");
        assert_eq!(number(36.0871), "36.0871");
    }
}
