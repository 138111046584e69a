//! The report files `analyze` writes besides the tables: the charts and the HTML
//! report. Kept at the command-line edge because it decides where files go.

use anyhow::{Context, Result};
use sipsleuth::report::charts::{self, ChartKind};
use sipsleuth::report::{export::out_dir::write_atomic, html};
use sipsleuth::summary::Summary;
use sipsleuth::verdict::diff::Diff;
use std::path::{Path, PathBuf};

/// The charts of the summary as (name, SVG) pairs for the HTML report.
fn chart_svgs(s: &Summary) -> Vec<(String, String)> {
    ChartKind::ALL
        .iter()
        .filter_map(|k| Some((k.name().to_string(), charts::chart_svg(*k, s)?)))
        .collect()
}

/// DIR/charts/*.svg and *.png, DIR/report.html (and FILE when --html is given too).
pub fn charts_and_html(
    dir: &Path,
    html_file: Option<&Path>,
    s: &Summary,
    baseline: Option<&Diff>,
) -> Result<Vec<PathBuf>> {
    let charts_dir = dir.join("charts");
    let mut written = charts::write_charts(&charts_dir, s)
        .with_context(|| format!("writing charts to {}", charts_dir.display()))?;
    let page = html::render(s, &chart_svgs(s), baseline);
    for path in std::iter::once(dir.join("report.html")).chain(html_file.map(Path::to_path_buf)) {
        write_atomic(&path, |f| std::io::Write::write_all(f, page.as_bytes()))
            .with_context(|| format!("writing {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

pub fn html_only(path: &Path, s: &Summary, baseline: Option<&Diff>) -> Result<()> {
    let page = html::render(s, &chart_svgs(s), baseline);
    write_atomic(path, |f| std::io::Write::write_all(f, page.as_bytes()))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
