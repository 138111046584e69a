//! The HTML report: one self-contained file (CSS, SVG and a little JavaScript
//! inline; nothing fetched from the network) with the summary, the findings
//! with their evidence and advice, the charts, the call table (sortable,
//! filterable), the media (verdicts per call, RTP streams worst first, RTCP
//! against the capture) and a ladder diagram for each failed call. Everything
//! that comes from a capture goes through [`esc`].

use crate::model::call::Category;
use crate::report::export::{html::HtmlTable, Exporter};
use crate::report::ladder::{self, Arrow};
use crate::report::schema;
use crate::report::time::utc;
use crate::sip::Transport;
use crate::summary::{MessageRow, Summary};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The call table's columns (the script sorts by `pdd_ms`, the 7th).
const CALL_COLUMNS: HtmlTable = HtmlTable {
    id: "calls",
    columns: &[
        "start",
        "call_id",
        "from_uri",
        "to_uri",
        "category",
        "final_code",
        "pdd_ms",
        "answer_ms",
        "duration_ms",
        "legs",
    ],
};

/// The streams table's columns: a choice of the streams table's declared ones.
const STREAM_COLUMNS: HtmlTable = HtmlTable {
    id: "streams",
    columns: &[
        "start",
        "call_id",
        "direction",
        "src",
        "dst",
        "codec",
        "packets",
        "lost",
        "max_burst",
        "max_jitter_ms",
        "mean_jitter_ms",
        "mos",
        "rtcp_cumulative_lost",
        "rtcp_jitter_ms",
        "rtcp_check",
    ],
};

/// Streams listed at most (the worst); all are in streams.csv.
pub const MAX_TABLE_STREAMS: usize = 500;

/// Calls listed in the report's call table at most: the report must open in a
/// browser whatever the capture (a million calls made a 290 MB page).
pub const MAX_TABLE_CALLS: usize = 2000;

/// The calls the table lists: all when they fit; else the worst `max` — failed
/// calls first (not SUCCESS), then the longest PDD — shown in time order.
fn table_calls(
    calls: &[crate::model::call::CallRecord],
    max: usize,
) -> Vec<&crate::model::call::CallRecord> {
    if calls.len() <= max {
        return calls.iter().collect();
    }
    let mut worst: Vec<&crate::model::call::CallRecord> = calls.iter().collect();
    worst.sort_by(|a, b| {
        let failed = |c: &crate::model::call::CallRecord| c.category != Category::Success;
        failed(b).cmp(&failed(a)).then(
            b.pdd_ms
                .get()
                .unwrap_or(0.0)
                .total_cmp(&a.pdd_ms.get().unwrap_or(0.0)),
        )
    });
    worst.truncate(max);
    worst.sort_by(|a, b| {
        a.start_ns
            .cmp(&b.start_ns)
            .then_with(|| a.call_id.cmp(&b.call_id))
    });
    worst
}

/// Ladders drawn for failed calls, at most (the report stays openable).
pub const MAX_LADDERS: usize = 50;

/// HTML-escapes text (element content and attribute values); what `printable`
/// refuses — controls, bidi overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069), zero-width characters — becomes U+FFFD, as at every other
/// text sink: a U+202E in a Call-ID would otherwise reverse the rest of its cell.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if crate::report::printable::is_unsafe(c) && c != '\n' && c != '\t' => {
                o.push('\u{fffd}')
            }
            c => o.push(c),
        }
    }
    o
}

const STYLE: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#1d2433;background:#fff}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:2px solid #e3e7ee;padding-bottom:.2em;margin-top:1.6em}
.meta{color:#5b6577}table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #dfe3ea;padding:.25em .6em;text-align:left}th{background:#f3f5f9;cursor:pointer;user-select:none}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.finding{border-left:6px solid #999;background:#f8f9fb;margin:.8em 0;padding:.5em 1em}
.critical{border-color:#b3261e}.error{border-color:#e06c00}.warning{border-color:#d4a900}.info{border-color:#6b7a90}
.sev{font-weight:700;text-transform:uppercase;font-size:.8em;letter-spacing:.05em}
.kind{font-family:monospace;margin-left:.5em}.finding ul{margin:.3em 0}.chart{margin:1em 0}
.chart svg{max-width:100%;height:auto}details{margin:.5em 0}summary{cursor:pointer}
.SUCCESS{color:#1a7f37}.REJECTED,.CANCELLED{color:#8a6d00}.ERROR,.NO_ANSWER,.TIMEOUT{color:#b3261e}
.OK,.agree{color:#1a7f37}.LATE_MEDIA,.jitter_after_capture{color:#8a6d00}.ONE_WAY,.NO_MEDIA,.CODEC_MISMATCH,.loss_after_capture,.capture_missed{color:#b3261e}
#streams{font-size:.85em}#streams td,#streams th{padding:.25em .45em;white-space:nowrap}
input#callfilter{padding:.3em .5em;width:24em;margin:.4em 0}
/* Times and Call-IDs unbroken (they broke at hyphens), in a smaller font so the table fits 1280 px; scrolls below that. */
.scroll{overflow-x:auto}#calls{font-size:.85em}#calls td,#calls th{padding:.25em .45em}#calls td:first-child,#calls code{white-space:nowrap}
";

/// Runs first, in the head: a script error anywhere later is written into the
/// page (`data-script-errors` on `<html>`), where a headless browser's DOM dump
/// shows it (tests/html_browser.rs); a reader never sees it.
const ERROR_CATCHER: &str = "window.onerror=function(m,s,l){var d=document.documentElement;\
d.setAttribute('data-script-errors',(d.getAttribute('data-script-errors')||'')+m+' (line '+l+'); ');};";

/// Sorting and filtering of the call table. `data-ready` on `<body>` says it
/// ran to the end. Opened as `report.html#selftest=TEXT`, it also sorts by PDD
/// and filters by TEXT itself and writes what it saw into `data-selftest`, so
/// a headless test can check both without clicking.
const SCRIPT: &str = "
(function(){
 var t=document.getElementById('calls');if(!t){document.body.dataset.ready='1';return;}
 var f=document.getElementById('callfilter');
 // Whole-cell numbers only: parseFloat would read a date as its year, and '' as 0 is no better.
 function num(s){s=s.trim();return s===''?NaN:Number(s);}
 f.addEventListener('input',function(){var q=f.value.toLowerCase();
  t.tBodies[0].querySelectorAll('tr').forEach(function(r){r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':'';});});
 t.tHead.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){
  var rows=Array.prototype.slice.call(t.tBodies[0].rows);var asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';
  rows.sort(function(a,b){var x=a.cells[i].textContent,y=b.cells[i].textContent;var nx=num(x),ny=num(y);
   var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:!isNaN(nx)?-1:!isNaN(ny)?1:x.localeCompare(y);return asc?c:-c;});
  rows.forEach(function(r){t.tBodies[0].appendChild(r);});});});
 var m=/^#selftest=(.*)$/.exec(location.hash);
 if(m){
  t.tHead.rows[0].cells[6].click();
  var v=Array.prototype.map.call(t.tBodies[0].rows,function(r){return num(r.cells[6].textContent);})
   .filter(function(x){return !isNaN(x);});
  var sorted=v.every(function(x,i){return i===0||v[i-1]<=x;});
  f.value=decodeURIComponent(m[1]);f.dispatchEvent(new Event('input'));
  var shown=Array.prototype.filter.call(t.tBodies[0].rows,function(r){return r.style.display!=='none';}).length;
  document.body.dataset.selftest='rows='+t.tBodies[0].rows.length+';pdd_values='+v.length+';sorted='+sorted+';shown='+shown;
  f.value='';f.dispatchEvent(new Event('input'));
 }
 document.body.dataset.ready='1';
})();";

fn num(n: u64) -> String {
    crate::report::cells::group(n)
}

fn pct(v: Option<f64>) -> String {
    v.map_or("undefined".into(), |x| format!("{:.1}%", x * 100.0))
}

fn ms(v: Option<f64>) -> String {
    v.map_or("–".into(), |x| format!("{x:.1}"))
}

fn arrow_of(r: &MessageRow) -> Arrow {
    let label = match (&r.method, r.status) {
        (Some(m), _) => m.clone(),
        (None, Some(c)) => format!("{c} {}", r.reason),
        (None, None) => String::new(),
    };
    Arrow {
        ts_ns: r.ts_ns,
        src: r.src,
        dst: r.dst,
        label,
        retransmission: r.retransmission,
        dialog: ladder::dialog_of(
            r.status,
            r.cseq_method.as_bytes(),
            Some(r.to_tag.as_bytes()),
        ),
        transport: match r.transport {
            "tcp" => Transport::Tcp,
            "ws" => Transport::Ws,
            "sctp" => Transport::Sctp,
            _ => Transport::Udp,
        },
        call_id: r.call_id.clone(),
        media: None,
    }
}

/// The whole report. `charts` are (title, SVG) pairs made by `report::charts`;
/// `baseline`, the comparison with an earlier run (`analyze --baseline`), is
/// shown right after the findings.
pub fn render(
    s: &Summary,
    charts: &[(String, String)],
    baseline: Option<&crate::verdict::diff::Diff>,
) -> String {
    let mut h = String::with_capacity(1 << 20);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<title>sipsleuth report</title><script>{ERROR_CATCHER}</script><style>{STYLE}</style></head><body>\n<h1>sipsleuth report</h1>"
    );
    let inputs: Vec<String> = s.inputs.iter().map(|i| esc(&i.report.path)).collect();
    let _ = write!(
        h,
        "<p class=\"meta\">{} input(s): {}<br>",
        s.inputs.len(),
        inputs.join(", ")
    );
    if let (Some(a), Some(b)) = (s.first_ns, s.last_ns) {
        let _ = write!(
            h,
            "captured {} → {} ({}) · ",
            utc(a),
            utc(b),
            crate::report::time::span(b - a)
        );
    }
    let _ = writeln!(
        h,
        "{} frames · {} SIP messages · sipsleuth {}</p>",
        num(s.frames.total()),
        num(s.traffic.messages()),
        env!("CARGO_PKG_VERSION")
    );

    // What went wrong first: the findings.
    let _ = writeln!(
        h,
        "<h2 id=\"findings\">Findings ({})</h2>",
        s.findings.len()
    );
    if s.findings.is_empty() {
        h.push_str("<p>No failure pattern found.</p>\n");
    }
    for f in &s.findings {
        let sev = f.severity.name();
        let _ = write!(h, "<div class=\"finding {sev}\"><span class=\"sev\">{sev}</span><span class=\"kind\">{}</span><p>{}</p>", f.kind.name(), esc(&f.summary));
        let e = &f.evidence;
        h.push_str("<ul>");
        if let (Some(a), Some(b)) = (e.first_ns, e.last_ns) {
            let _ = write!(h, "<li>when: {} → {}</li>", utc(a), utc(b));
        }
        for (label, list) in [
            ("addresses", &e.addresses),
            ("accounts", &e.aors),
            ("Call-IDs", &e.call_ids),
        ] {
            if !list.is_empty() {
                let items: Vec<String> = list
                    .iter()
                    .map(|x| format!("<code>{}</code>", esc(x)))
                    .collect();
                let _ = write!(h, "<li>{label}: {}</li>", items.join(", "));
            }
        }
        if !e.counts.is_empty() {
            let c: Vec<String> = e
                .counts
                .iter()
                .map(|(k, v)| format!("{} = {}", esc(k), v))
                .collect();
            let _ = write!(h, "<li>{}</li>", c.join(" · "));
        }
        for d in &e.details {
            let _ = write!(h, "<li>{}</li>", esc(d));
        }
        h.push_str("</ul><b>Next checks</b><ul>");
        for a in &f.advice {
            let _ = write!(h, "<li>{}</li>", esc(a));
        }
        h.push_str("</ul></div>\n");
    }

    if let Some(d) = baseline {
        h.push_str(&crate::report::verdict::diff_html(d));
    }

    // The summary.
    let c = &s.call_summary;
    let _ = write!(
        h,
        "<h2 id=\"summary\">Calls</h2><p>{} attempts · ASR {} · NER {} · NER (E.411) {} · PDD p50 {} ms, p90 {} ms, p99 {} ms (n={}) · {} call(s) already in progress when the capture began</p><p class=\"note\">{}</p><table><thead><tr><th>outcome</th><th>calls</th></tr></thead><tbody>",
        num(c.attempts),
        pct(c.asr),
        pct(c.ner),
        pct(c.ner_e411),
        ms(c.pdd_ms.p50),
        ms(c.pdd_ms.p90),
        ms(c.pdd_ms.p99),
        c.pdd_ms.count,
        num(c.in_progress_at_start),
        esc(crate::analysis::calls::NER_NOTE)
    );
    for cat in Category::ALL {
        let n = c.outcomes.get(cat.name()).copied().unwrap_or(0);
        if n > 0 {
            let _ = write!(
                h,
                "<tr><td class=\"{0}\">{0}</td><td class=\"n\">{1}</td></tr>",
                cat.name(),
                num(n)
            );
        }
    }
    h.push_str("</tbody></table>\n");
    let r = &s.registration_summary;
    let _ = write!(
        h,
        "<h2>Registrations</h2><p>{} attempts · {} registered · {} failed · {} pending</p><table><thead><tr><th>failure cause</th><th>attempts</th></tr></thead><tbody>",
        num(r.attempts),
        num(r.registered),
        num(r.failed),
        num(r.pending)
    );
    for (k, v) in &r.causes {
        let _ = write!(h, "<tr><td>{k}</td><td class=\"n\">{}</td></tr>", num(*v));
    }
    h.push_str("</tbody></table>\n<h2>Traffic</h2><table><thead><tr><th>frames</th><th>count</th></tr></thead><tbody>");
    for (b, n) in s.frames.iter().filter(|(_, n)| *n > 0) {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
            b.name(),
            num(n)
        );
    }
    h.push_str("</tbody></table><table><thead><tr><th>SIP</th><th>count</th></tr></thead><tbody>");
    for (m, n) in s.traffic.requests() {
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
            esc(&m),
            num(n)
        );
    }
    for (code, n) in s.traffic.responses() {
        let _ = write!(
            h,
            "<tr><td>{code} {}</td><td class=\"n\">{}</td></tr>",
            crate::sip::codes::reason_phrase(code).unwrap_or(""),
            num(n)
        );
    }
    h.push_str("</tbody></table>\n");

    media_section(s, &mut h);

    if !charts.is_empty() {
        h.push_str("<h2 id=\"charts\">Charts</h2>\n");
        for (title, svg) in charts {
            let _ = writeln!(
                h,
                "<div class=\"chart\" title=\"{}\">{svg}</div>",
                esc(title)
            );
        }
    }

    // The calls, sortable and filterable; columns from the calls table's declaration.
    // A load test has hundreds of thousands: the worst are listed, all are in the files.
    let shown = table_calls(&s.calls, MAX_TABLE_CALLS);
    let _ = writeln!(
        h,
        "<h2 id=\"calls-table\">Call attempts ({})</h2>{}<input id=\"callfilter\" placeholder=\"filter calls (any text)\">\
<div class=\"scroll\">",
        s.calls.len(),
        if shown.len() < s.calls.len() {
            format!(
                "<p class=\"note\">The {} worst are listed — every failed call first, then the longest post-dial delays; all {} are in calls.csv and <code>sipsleuth calls</code>.</p>",
                num(shown.len() as u64),
                num(s.calls.len() as u64)
            )
        } else {
            String::new()
        }
    );
    let mut table = Vec::new();
    // Into memory: it fails only on an undeclared column, which the tests below rule out.
    let _ = CALL_COLUMNS.write(
        &schema::calls::TABLE.rows(shown, Default::default()),
        &mut table,
    );
    h.push_str(&String::from_utf8_lossy(&table));
    h.push_str("</div>\n");

    // A ladder for each failed call.
    let failed: Vec<&crate::model::call::CallRecord> = s
        .calls
        .iter()
        .filter(|c| !matches!(c.category, Category::Success | Category::Incomplete))
        .take(MAX_LADDERS)
        .collect();
    if !failed.is_empty() && !s.messages.is_empty() {
        let mut by_call: BTreeMap<&str, Vec<Arrow>> = BTreeMap::new();
        for m in &s.messages {
            if failed.iter().any(|c| *c.call_id == *m.call_id) {
                by_call
                    .entry(m.call_id.as_str())
                    .or_default()
                    .push(arrow_of(m));
            }
        }
        let _ = writeln!(
            h,
            "<h2 id=\"ladders\">Failed calls ({}{})</h2>",
            failed.len(),
            if failed.len() == MAX_LADDERS {
                ", the first ones"
            } else {
                ""
            }
        );
        for c in &failed {
            if let Some(arrows) = by_call.get_mut(&*c.call_id) {
                arrows.sort_by_key(|a| a.ts_ns);
                let svg = ladder::render_svg(
                    arrows,
                    &format!(
                        "{} — {} {}",
                        c.call_id,
                        c.category.name(),
                        c.final_code.map_or(String::new(), |f| f.to_string())
                    ),
                );
                let _ = writeln!(
                    h,
                    "<details><summary><code>{}</code> {} {}</summary>{svg}</details>",
                    esc(&c.call_id),
                    c.category.name(),
                    c.final_code.map_or(String::new(), |f| f.to_string())
                );
            }
        }
    }
    let _ = write!(h, "<script>{SCRIPT}</script>\n</body></html>\n");
    h
}

/// The media section: counts, calls per media verdict, RTCP against the capture, and
/// the streams worst first (bounded like the calls); nothing without SDP or RTP.
fn media_section(s: &Summary, h: &mut String) {
    let m = &s.media;
    if m.rtp_packets == 0 && m.rtcp_packets == 0 && m.sdp_bodies == 0 {
        return;
    }
    let _ = write!(
        h,
        "<h2 id=\"media\">Media</h2><p>{} RTP and {} RTCP packets · {} stream(s) followed · {} RTP packets no SDP announced · {} SDP bodies ({} unreadable)</p>",
        num(m.rtp_packets),
        num(m.rtcp_packets),
        num(s.streams.len() as u64),
        num(m.rtp_unannounced),
        num(m.sdp_bodies),
        num(m.sdp_unparsed)
    );
    if m.rtp_packets == 0 {
        h.push_str("<p class=\"note\">No RTP at all in the capture: NO_MEDIA below may only mean it was captured with a SIP-only filter.</p>");
    }
    let verdicts = crate::report::media::verdict_counts(&s.calls);
    if !verdicts.is_empty() {
        h.push_str(
            "<table id=\"media-verdicts\"><thead><tr><th>media verdict</th><th>calls</th></tr></thead><tbody>",
        );
        for (v, n) in verdicts {
            let _ = write!(
                h,
                "<tr><td class=\"{0}\">{0}</td><td class=\"n\">{1}</td></tr>",
                v.name(),
                num(n as u64)
            );
        }
        h.push_str("</tbody></table>\n");
    }
    // RTCP against the capture: how many streams had a report, and how many disagree.
    let mut checks: BTreeMap<&'static str, u64> = BTreeMap::new();
    for r in &s.streams {
        if let Some(c) = crate::media::rtcp_check::check(&r.stream) {
            *checks.entry(c.name()).or_default() += 1;
        }
    }
    if !checks.is_empty() {
        let reported: u64 = checks.values().sum();
        let parts: Vec<String> = checks
            .iter()
            .map(|(k, n)| format!("{k}: {}", num(*n)))
            .collect();
        let _ = write!(
            h,
            "<p>RTCP receiver reports on {} stream(s), compared with what this capture measured (column rtcp_check): {}.</p>",
            num(reported),
            parts.join(" · ")
        );
    }
    if s.streams.is_empty() {
        return;
    }
    let mut shown = crate::report::media::worst_first(&s.streams);
    let all = shown.len();
    shown.truncate(MAX_TABLE_STREAMS);
    let _ = writeln!(
        h,
        "<h3 id=\"streams-table\">RTP streams ({}), worst first</h3><p class=\"note\">{}Lowest MOS estimate first, then the highest loss; columns as in streams.csv (docs/schema.md).</p><div class=\"scroll\">",
        num(all as u64),
        if shown.len() < all {
            format!(
                "The {} worst are listed; all {} are in streams.csv and <code>sipsleuth streams</code>. ",
                num(shown.len() as u64),
                num(all as u64)
            )
        } else {
            String::new()
        }
    );
    let mut table = Vec::new();
    // Into memory: it fails only on an undeclared column, which the tests below rule out.
    let _ = STREAM_COLUMNS.write(
        &schema::streams::TABLE.rows(shown, Default::default()),
        &mut table,
    );
    h.push_str(&String::from_utf8_lossy(&table));
    h.push_str("</div>\n");
}

#[cfg(test)]
mod tests {
    #[test]
    fn escaping() {
        assert_eq!(
            super::esc("<script>alert('x')&\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&amp;&quot;&lt;/script&gt;"
        );
        assert_eq!(super::esc("a\u{1b}[31mb"), "a\u{fffd}[31mb");
    }

    #[test]
    fn bidi_overrides_isolates_and_invisible_characters_are_neutralised() {
        for c in [
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200b}', '\u{200f}', '\u{feff}', '\u{85}',
        ] {
            assert_eq!(
                super::esc(&format!("alice{c}gpj.exe")),
                "alice\u{fffd}gpj.exe",
                "U+{:04X}",
                c as u32
            );
        }
        // Text that is merely foreign stays as it is.
        assert_eq!(super::esc("José 東京 مرحبا"), "José 東京 مرحبا");
    }

    #[test]
    fn a_big_capture_lists_its_worst_calls_not_all() {
        use super::table_calls;
        use crate::report::charts::tests::call;
        const S: i64 = 1_000_000_000;
        // 10 calls: 3 failed (503), the others answered with PDD 10..70 ms.
        let calls: Vec<_> = (0..10)
            .map(|i| {
                let code = if i % 3 == 0 && i > 0 {
                    Some(503)
                } else {
                    Some(200)
                };
                call(i, i as i64 * S, code, Some(10.0 * i as f64))
            })
            .collect();
        let shown = table_calls(&calls, 5);
        let ids: Vec<&str> = shown.iter().map(|c| &*c.call_id).collect();
        // The three failed (3, 6, 9), then the two slowest answered (8, 7), in time order.
        let want: Vec<&str> = [3, 6, 7, 8, 9]
            .iter()
            .map(|i| &*calls[*i].call_id)
            .collect();
        assert_eq!(ids, want);
        assert_eq!(table_calls(&calls, 10).len(), 10);
    }

    #[test]
    fn the_stream_table_shows_only_declared_columns() {
        let t = crate::report::schema::streams::TABLE.all(&[], Default::default());
        for name in super::STREAM_COLUMNS.columns {
            assert!(
                crate::report::schema::Rows::position(&t, name).is_some(),
                "{name}"
            );
        }
    }

    #[test]
    fn the_call_table_shows_only_declared_columns() {
        let t = crate::report::schema::calls::TABLE.all(&[], Default::default());
        for name in super::CALL_COLUMNS.columns {
            assert!(
                crate::report::schema::Rows::position(&t, name).is_some(),
                "{name}"
            );
        }
    }
}
