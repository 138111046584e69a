//! The findings section of `analyze`: what went wrong, most severe first, each
//! with its evidence and the next checks — the part a reader acts on.

use crate::diagnosis::Finding;
use crate::report::time::utc;
use std::fmt::Write;

/// Wraps `text` at `width` columns: the first line starts with `first`, the others with `indent`.
fn wrap(first: &str, text: &str, width: usize, indent: &str, out: &mut String) {
    // Summaries, accounts and Call-IDs come from the capture.
    let text = &*crate::report::printable::printable(text);
    out.push_str(first);
    let mut col = first.chars().count();
    for (i, word) in text.split_whitespace().enumerate() {
        let w = word.chars().count();
        if i > 0 && col + 1 + w > width {
            out.push('\n');
            out.push_str(indent);
            col = indent.chars().count();
        } else if i > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += w;
    }
    out.push('\n');
}

pub fn render(findings: &[Finding], out: &mut String) {
    if findings.is_empty() {
        let _ = writeln!(out, "\nFindings: none — no failure pattern found (docs/diagnosis.md lists what is looked for)");
        return;
    }
    let _ = writeln!(
        out,
        "\nFindings ({}), most severe first — details: docs/diagnosis.md, `sipsleuth explain CODE`",
        findings.len()
    );
    for (i, f) in findings.iter().enumerate() {
        out.push('\n');
        let head = format!(
            "[{}] {}: {}",
            f.severity.name().to_uppercase(),
            f.kind.name(),
            f.summary
        );
        wrap(&format!("{:>2}. ", i + 1), &head, 100, "    ", out);
        let e = &f.evidence;
        if let (Some(a), Some(b)) = (e.first_ns, e.last_ns) {
            let _ = writeln!(out, "    when: {} → {}", utc(a), utc(b));
        }
        if !e.addresses.is_empty() {
            wrap(
                "    addresses: ",
                &e.addresses.join(", "),
                100,
                "      ",
                out,
            );
        }
        if !e.aors.is_empty() {
            let shown = e
                .aors
                .iter()
                .take(8)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            wrap("    accounts: ", &shown, 100, "      ", out);
        }
        if !e.call_ids.is_empty() {
            let more = if e.call_ids.len() > 3 {
                format!(" (+{} more in --json)", e.call_ids.len() - 3)
            } else {
                String::new()
            };
            let shown = e
                .call_ids
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            wrap(
                "    Call-IDs: ",
                &format!("{shown}{more}"),
                100,
                "      ",
                out,
            );
        }
        for d in e.details.iter().take(4) {
            wrap("    · ", d, 100, "      ", out);
        }
        for a in f.advice.iter().take(3) {
            wrap("    → ", a, 100, "      ", out);
        }
    }
}
