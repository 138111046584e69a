//! The report files `analyze` writes besides the tables: the charts and the HTML
//! report. Kept at the command-line edge because it decides where files go.

use anyhow::{Context, Result};
use sipsleuth::report::{files::write_atomic, html};
use sipsleuth::summary::Summary;
use std::path::{Path, PathBuf};

/// The charts of the summary as (title, SVG) pairs for the HTML report.
fn chart_svgs(_s: &Summary) -> Vec<(String, String)> {
    Vec::new()
}

/// DIR/report.html (and FILE when --html is given too).
pub fn charts_and_html(dir: &Path, html_file: Option<&Path>, s: &Summary) -> Result<Vec<PathBuf>> {
    let page = html::render(s, &chart_svgs(s));
    let mut written = Vec::new();
    for path in std::iter::once(dir.join("report.html")).chain(html_file.map(Path::to_path_buf)) {
        write_atomic(&path, |f| std::io::Write::write_all(f, page.as_bytes()))
            .with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

pub fn html_only(path: &Path, s: &Summary) -> Result<()> {
    let page = html::render(s, &chart_svgs(s));
    write_atomic(path, |f| std::io::Write::write_all(f, page.as_bytes()))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
