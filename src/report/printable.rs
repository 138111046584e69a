//! The one sanitiser for text from a capture or a file name on its way to a
//! text sink (terminal tables, CSV, stderr, findings): control characters
//! (C0 with ESC and NUL, DEL, C1) and invisible format characters that can
//! reorder or hide text (bidi overrides and isolates U+202A–U+202E,
//! U+2066–U+2069, zero-width spaces, BOM) become U+FFFD, so that a hostile
//! capture can neither drive the terminal (`\e[2J`, `\e]0;…\a`, `\e[6n`) nor
//! disguise what it shows.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal or a document raw.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}')
}

/// `s` with every unsafe character replaced by U+FFFD; borrowed when clean.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if is_unsafe(c) { '\u{fffd}' } else { c })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn escapes_nul_and_bidi_overrides_are_replaced() {
        let hostile = "a\u{1b}[2J\u{1b}]0;t\u{7}\u{1b}[6n\0\u{202e}\u{2066}\u{85}b";
        let p = printable(hostile);
        assert!(p.chars().all(|c| !c.is_control()), "{p:?}");
        assert!(!p.contains(['\u{202e}', '\u{2066}']));
        assert!(p.starts_with('a') && p.ends_with('b'));
        assert!(matches!(printable("alice"), std::borrow::Cow::Borrowed(_)));
    }
}
