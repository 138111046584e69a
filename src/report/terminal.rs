//! What the terminal takes, decided once by the command line: escape codes or
//! not (`--color`, NO_COLOR), and its width (queried from the tty; none when
//! the output is piped, so files and pagers get whole lines).

use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

/// `--color`: `auto` styles only a terminal, and only without NO_COLOR.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorChoice {
    #[default]
    Auto,
    Never,
    Always,
}

static CHOICE: AtomicU8 = AtomicU8::new(0);

pub fn set_color(c: ColorChoice) {
    CHOICE.store(c as u8, Relaxed);
}

/// Whether escape codes (bold headers) may be written to stdout.
pub fn styled() -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    decide(CHOICE.load(Relaxed), stdout_is_terminal(), no_color)
}

/// The rule: always, never, or a terminal without NO_COLOR (no-color.org).
fn decide(choice: u8, terminal: bool, no_color: bool) -> bool {
    match choice {
        c if c == ColorChoice::Always as u8 => true,
        c if c == ColorChoice::Never as u8 => false,
        _ => terminal && !no_color,
    }
}

fn stdout_is_terminal() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stdout())
}

/// The terminal's width in columns when stdout is one (asked of the tty, as
/// comfy-table does; shells do not export `$COLUMNS`); `None` when piped.
pub fn width() -> Option<usize> {
    if !stdout_is_terminal() {
        return None;
    }
    comfy_table::Table::new().width().map(usize::from)
}

#[cfg(test)]
mod tests {
    use super::{decide, ColorChoice};

    #[test]
    fn no_color_and_pipes_get_no_escape_codes_unless_forced() {
        let (auto, never, always) = (
            ColorChoice::Auto as u8,
            ColorChoice::Never as u8,
            ColorChoice::Always as u8,
        );
        assert!(decide(auto, true, false));
        assert!(!decide(auto, true, true), "NO_COLOR");
        assert!(!decide(auto, false, false), "piped");
        assert!(!decide(never, true, false));
        assert!(decide(always, false, true), "--color always wins");
    }
}
