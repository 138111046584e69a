//! Building blocks of the terminal tables (comfy-table): a summary table that
//! fits the terminal, a listing that never wraps, right-aligned counts and
//! shares. Used by `table` (analyze) and by the calls and registrations views.

use crate::report::terminal;
use comfy_table::{presets, Attribute, Cell, CellAlignment, ContentArrangement, Table};

/// A listing with one row per record: never wrapped (it goes to pagers and files).
pub fn new_listing(header: &[&str]) -> Table {
    let mut t = new_table(header);
    t.set_content_arrangement(ContentArrangement::Disabled);
    t
}

/// A summary table: fits the terminal's width (wrapping cells if it must);
/// piped, as wide as its content. Bold headers only when styling is allowed.
pub fn new_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    // Width and styling are decided here (report::terminal), not by comfy-table's own tty check.
    if let Some(w) = terminal::width() {
        t.set_width(u16::try_from(w).unwrap_or(u16::MAX));
    }
    t.force_no_tty();
    if terminal::styled() {
        t.enforce_styling();
    }
    t.set_header(
        header
            .iter()
            .map(|h| Cell::new(h).add_attribute(Attribute::Bold)),
    );
    t
}

pub fn num(n: u64) -> Cell {
    Cell::new(group(n)).set_alignment(CellAlignment::Right)
}

/// 1234567 → "1,234,567".
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn pct(n: u64, of: u64) -> Cell {
    let s = if of == 0 {
        "-".to_string()
    } else {
        format!("{:.1}%", 100.0 * n as f64 / of as f64)
    };
    Cell::new(s).set_alignment(CellAlignment::Right)
}

/// A cell of text from a capture or a file name, made printable.
pub fn text(s: &str) -> Cell {
    Cell::new(crate::report::printable::printable(s))
}
