//! `sipsleuth messages`: one line (or CSV row) per SIP message, in capture
//! order, malformed records included and marked.

use crate::reassembly::Item;
use crate::report::time::utc;
use std::io::Write;

pub const CSV_HEADER: &str =
    "time,src,dst,transport,kind,method,status,start_line,call_id,cseq,file,frame,defects";

/// A CSV cell: quoted when needed, and neutralised when it starts like a
/// spreadsheet formula (capture contents are untrusted).
pub fn csv_cell(s: &str) -> String {
    let s = &*crate::report::printable::printable(s);
    let neutral = match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{s}"),
        _ => s.to_string(),
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// Writes one item; returns false for items that are not listed (ICMP errors).
pub fn write_item(
    w: &mut dyn Write,
    item: &Item,
    csv: bool,
    paths: &[String],
) -> std::io::Result<bool> {
    match item {
        Item::Sip(m) => {
            let start = lossy(m.start_line());
            let call_id = m.call_id().map(lossy).unwrap_or_default();
            if csv {
                let cseq = m
                    .head()
                    .span(crate::sip::Hdr::CSeq)
                    .map(|s| lossy(s.get(m.raw())))
                    .unwrap_or_default();
                let defects: Vec<&str> = m.defects().names().collect();
                writeln!(
                    w,
                    "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                    utc(m.ts_ns),
                    m.src,
                    m.dst,
                    m.transport.as_str(),
                    if m.is_request() {
                        "request"
                    } else {
                        "response"
                    },
                    csv_cell(&m.method().map(lossy).unwrap_or_default()),
                    m.status().map(|c| c.to_string()).unwrap_or_default(),
                    csv_cell(&start),
                    csv_cell(&call_id),
                    csv_cell(&cseq),
                    csv_cell(paths.get(m.origin.file as usize).map_or("", |s| s.as_str())),
                    m.origin.frame,
                    defects.join(";")
                )?;
            } else {
                writeln!(
                    w,
                    "{}  {:>21} → {:<21} {:<3}  {}  [{}]",
                    utc(m.ts_ns),
                    m.src,
                    m.dst,
                    m.transport.as_str().to_uppercase(),
                    start,
                    call_id
                )?;
            }
            Ok(true)
        }
        Item::Malformed(m) => {
            if csv {
                writeln!(
                    w,
                    "{},{},{},{},malformed,,,{},,,{},{},{}",
                    utc(m.ts_ns),
                    m.src,
                    m.dst,
                    m.transport.as_str(),
                    csv_cell(&m.first_line),
                    csv_cell(paths.get(m.origin.file as usize).map_or("", |s| s.as_str())),
                    m.origin.frame,
                    csv_cell(m.reason)
                )?;
            } else {
                writeln!(
                    w,
                    "{}  {:>21} → {:<21} {:<3}  MALFORMED ({}): {}",
                    utc(m.ts_ns),
                    m.src,
                    m.dst,
                    m.transport.as_str().to_uppercase(),
                    m.reason,
                    m.first_line
                )?;
            }
            Ok(true)
        }
        Item::Icmp(_) | Item::Rtp(_) | Item::Rtcp(_) => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_and_formula_safe() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
    }
}
