//! One schema per table (issue #11): every place a table goes — `calls --csv`
//! and `--json` on stdout, `--out` CSV and Parquet, the `--dataset` — has the
//! columns docs/schema.md lists for it, in its order. The doc is generated from
//! the declarations in src/report/schema/ (a unit test there); this test checks
//! what the binary actually writes against the doc.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;

/// docs/schema.md's tables: name → column names in order.
fn documented() -> BTreeMap<String, Vec<String>> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema.md"))
            .unwrap();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            current = (!h.contains(' ')).then(|| h.to_string());
        } else if let (Some(t), Some(row)) = (&current, line.strip_prefix("| ")) {
            let name = row.split(" |").next().unwrap().trim();
            if name != "column" && !name.starts_with('-') {
                out.entry(t.clone()).or_default().push(name.to_string());
            }
        }
    }
    out
}

fn csv_header(text: &str) -> Vec<String> {
    text.lines()
        .next()
        .unwrap()
        .split(',')
        .map(String::from)
        .collect()
}

fn parquet_columns(path: &Path) -> Vec<String> {
    use polars::prelude::*;
    let f = std::fs::File::open(path).unwrap();
    let df = ParquetReader::new(f).finish().unwrap();
    df.get_column_names()
        .into_iter()
        .map(|n| n.to_string())
        .collect()
}

/// The keys of the first object of a JSON array, in the order written.
fn json_keys(text: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let first = v.as_array().unwrap().first().expect("at least one row");
    let mut keys: Vec<String> = first.as_object().unwrap().keys().cloned().collect();
    // serde_json's map sorts its keys: put them back in the order they appear in the text.
    let row = &text[text.find('{').unwrap()..];
    keys.sort_by_key(|k| row.find(&format!("\"{k}\": ")).unwrap());
    keys
}

fn stdout(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn every_output_of_every_table_has_the_columns_of_docs_schema_md() {
    let doc = documented();
    let tables = [
        "calls",
        "registrations",
        "transactions",
        "messages",
        "streams",
        "findings",
        "files",
    ];
    assert_eq!(
        doc.keys().collect::<std::collections::BTreeSet<_>>(),
        tables
            .iter()
            .map(|t| t.to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .iter()
            .collect(),
        "docs/schema.md documents exactly these tables"
    );
    // Calls and registrations (udp-register-call), findings (capacity-503).
    let a = testdata("udp-register-call.pcap");
    let b = testdata("patterns/capacity-503.pcap");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let d = scratch_dir("schema");
    let out = d.join("out");
    let root = d.join("dataset");
    stdout(&[
        "analyze",
        "--per-file",
        "--out",
        out.to_str().unwrap(),
        "--dataset",
        root.to_str().unwrap(),
        a,
        b,
    ]);
    for t in tables {
        let want = &doc[t];
        let csv = std::fs::read_to_string(out.join(format!("{t}.csv"))).unwrap();
        assert_eq!(&csv_header(&csv), want, "--out {t}.csv");
        assert_eq!(
            &parquet_columns(&out.join(format!("{t}.parquet"))),
            want,
            "--out {t}.parquet"
        );
    }
    for t in ["calls", "registrations"] {
        let want = &doc[t];
        assert_eq!(&csv_header(&stdout(&[t, "--csv", a, b])), want, "{t} --csv");
        assert_eq!(
            &json_keys(&stdout(&[t, "--json", a, b])),
            want,
            "{t} --json"
        );
        // The same bytes on stdout as in the file.
        assert_eq!(
            stdout(&[t, "--csv", a, b]),
            std::fs::read_to_string(out.join(format!("{t}.csv"))).unwrap(),
            "{t} --csv and --out {t}.csv"
        );
    }
    // `analyze --json --per-file` embeds the files table: the same names.
    let j: serde_json::Value =
        serde_json::from_str(&stdout(&["analyze", "--json", "--per-file", a, b])).unwrap();
    let mut keys: Vec<String> = j["per_file"][0]
        .as_object()
        .expect("per_file rows")
        .keys()
        .cloned()
        .collect();
    let mut want = doc["files"].clone();
    keys.sort();
    want.sort();
    assert_eq!(keys, want, "analyze --json per_file");
    for t in ["calls", "registrations", "findings", "files"] {
        let part = walk_parquet(&root.join(t));
        let mut want = doc[t].clone();
        want.push("run_id".into());
        assert_eq!(parquet_columns(&part), want, "--dataset {t}");
    }
    std::fs::remove_dir_all(d).unwrap();
}

/// The first Parquet file under a dataset table's folder.
fn walk_parquet(dir: &Path) -> std::path::PathBuf {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            return walk_parquet(&p);
        }
        if p.extension() == Some("parquet".as_ref()) {
            return p;
        }
    }
    panic!("no Parquet file under {}", dir.display())
}
