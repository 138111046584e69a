//! `analyze --out DIR`: the tables people take away — calls, registrations,
//! transactions, messages, findings — as CSV and Parquet (through polars), and
//! `summary.json`. One exporter per format behind [`Exporter`]; every file is
//! written to a temporary name and renamed, so an error never leaves half a
//! file. Column names, types and units: docs/schema.md. Timestamps are UTC
//! datetimes (nanoseconds), durations milliseconds.

use crate::analysis::per_file::FileRow;
use crate::diagnosis::Finding;
use crate::model::call::CallRecord;
use crate::model::registration::RegistrationAttempt;
use crate::summary::{MessageRow, Summary};
use polars::prelude::*;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("building table {table}: {source}")]
    Table {
        table: &'static str,
        #[source]
        source: PolarsError,
    },
}

/// One output format.
pub trait Exporter {
    fn extension(&self) -> &'static str;
    fn write(&self, df: &mut DataFrame, out: &mut std::fs::File) -> PolarsResult<()>;
}

pub struct Csv;
pub struct Parquet;

impl Exporter for Csv {
    fn extension(&self) -> &'static str {
        "csv"
    }
    fn write(&self, df: &mut DataFrame, out: &mut std::fs::File) -> PolarsResult<()> {
        // Text cells from a capture may start like spreadsheet formulas: neutralise them.
        let mut safe = df.clone();
        let names: Vec<PlSmallStr> = safe.get_column_names().into_iter().cloned().collect();
        for name in names {
            let col = safe.column(&name)?.clone();
            if col.dtype() == &DataType::String {
                let cleaned: Vec<Option<String>> =
                    col.str()?.iter().map(|v| v.map(neutralise)).collect();
                safe.replace(&name, Column::new(name.clone(), cleaned))?;
            }
        }
        CsvWriter::new(out).include_header(true).finish(&mut safe)
    }
}

/// A cell that a spreadsheet would run as a formula gets a leading quote (OWASP's advice);
/// the CSV quoting itself is polars'.
fn neutralise(s: &str) -> String {
    match s.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

impl Exporter for Parquet {
    fn extension(&self) -> &'static str {
        "parquet"
    }
    fn write(&self, df: &mut DataFrame, out: &mut std::fs::File) -> PolarsResult<()> {
        ParquetWriter::new(out)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(df)
            .map(|_| ())
    }
}

fn datetime(name: &str, v: Vec<Option<i64>>) -> PolarsResult<Column> {
    Column::new(name.into(), v).cast(&DataType::Datetime(
        TimeUnit::Nanoseconds,
        Some(TimeZone::UTC),
    ))
}

fn s(name: &str, v: Vec<String>) -> Column {
    Column::new(name.into(), v)
}

pub(crate) fn calls_table(calls: &[CallRecord]) -> PolarsResult<DataFrame> {
    let os = |f: &dyn Fn(&CallRecord) -> Option<String>| calls.iter().map(f).collect::<Vec<_>>();
    let f64s = |f: &dyn Fn(&CallRecord) -> Option<f64>| calls.iter().map(f).collect::<Vec<_>>();
    let u32s = |f: &dyn Fn(&CallRecord) -> Option<u32>| calls.iter().map(f).collect::<Vec<_>>();
    DataFrame::new_infer_height(vec![
        s("call_id", calls.iter().map(|c| c.call_id.clone()).collect()),
        datetime("start", calls.iter().map(|c| Some(c.start_ns)).collect())?,
        s(
            "caller",
            calls.iter().map(|c| c.caller.to_string()).collect(),
        ),
        s(
            "first_hop",
            calls.iter().map(|c| c.first_hop.to_string()).collect(),
        ),
        s(
            "destination",
            calls.iter().map(|c| c.destination.to_string()).collect(),
        ),
        s(
            "transport",
            calls
                .iter()
                .map(|c| c.transport.as_str().to_string())
                .collect(),
        ),
        s(
            "from_uri",
            calls.iter().map(|c| c.from_uri.clone()).collect(),
        ),
        s("to_uri", calls.iter().map(|c| c.to_uri.clone()).collect()),
        s(
            "request_uri",
            calls.iter().map(|c| c.request_uri.clone()).collect(),
        ),
        s(
            "user_agent",
            calls.iter().map(|c| c.user_agent.clone()).collect(),
        ),
        s(
            "category",
            calls
                .iter()
                .map(|c| c.category.name().to_string())
                .collect(),
        ),
        Column::new("final_code".into(), u32s(&|c| c.final_code.map(u32::from))),
        datetime("final_time", calls.iter().map(|c| c.final_ns).collect())?,
        s("labels", calls.iter().map(|c| c.labels.join(";")).collect()),
        Column::new("pdd_ms".into(), f64s(&|c| c.pdd_ms)),
        Column::new("pdd_code".into(), u32s(&|c| c.pdd_code.map(u32::from))),
        Column::new("srd_ms".into(), f64s(&|c| c.srd_ms)),
        Column::new("answer_ms".into(), f64s(&|c| c.answer_ms)),
        Column::new("ring_ms".into(), f64s(&|c| c.ring_ms)),
        Column::new("duration_ms".into(), f64s(&|c| c.duration_ms)),
        Column::new("disconnect_ms".into(), f64s(&|c| c.disconnect_ms)),
        datetime("end", calls.iter().map(|c| c.end_ns).collect())?,
        Column::new("hangup_by".into(), os(&|c| c.hangup_by.map(str::to_string))),
        Column::new("retry_after_s".into(), u32s(&|c| c.retry_after_s)),
        Column::new(
            "auth_challenges".into(),
            calls.iter().map(|c| c.auth_challenges).collect::<Vec<_>>(),
        ),
        Column::new(
            "invite_transmissions".into(),
            calls
                .iter()
                .map(|c| c.invite_transmissions)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "invite_retransmissions".into(),
            calls
                .iter()
                .map(|c| c.invite_retransmissions)
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "reinvites".into(),
            calls.iter().map(|c| c.reinvites).collect::<Vec<_>>(),
        ),
        Column::new(
            "early_dialogs".into(),
            calls.iter().map(|c| c.early_dialogs).collect::<Vec<_>>(),
        ),
        Column::new(
            "legs".into(),
            calls
                .iter()
                .map(|c| c.legs.len() as u32)
                .collect::<Vec<_>>(),
        ),
        s(
            "leg_path",
            calls
                .iter()
                .map(|c| {
                    c.legs
                        .iter()
                        .map(|l| {
                            format!(
                                "{}>{}:{}",
                                l.client,
                                l.server,
                                l.final_code.map_or("-".into(), |f| f.to_string())
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(" | ")
                })
                .collect(),
        ),
        s(
            "wireshark_filter",
            calls.iter().map(|c| wireshark_filter(&c.call_id)).collect(),
        ),
    ])
}

/// The Wireshark display filter that isolates one call (all legs share its Call-ID).
pub fn wireshark_filter(call_id: &str) -> String {
    format!(
        "sip.Call-ID == \"{}\"",
        call_id.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

pub(crate) fn registrations_table(a: &[RegistrationAttempt]) -> PolarsResult<DataFrame> {
    let u32s =
        |f: &dyn Fn(&RegistrationAttempt) -> Option<u32>| a.iter().map(f).collect::<Vec<_>>();
    DataFrame::new_infer_height(vec![
        s("call_id", a.iter().map(|x| x.call_id.clone()).collect()),
        s("aor", a.iter().map(|x| x.aor.clone()).collect()),
        s(
            "registrar",
            a.iter().map(|x| x.registrar.to_string()).collect(),
        ),
        s("client", a.iter().map(|x| x.client.to_string()).collect()),
        s(
            "user_agent",
            a.iter()
                .map(|x| x.user_agent.clone().unwrap_or_default())
                .collect(),
        ),
        datetime("start", a.iter().map(|x| Some(x.first_ts_ns)).collect())?,
        datetime("end", a.iter().map(|x| x.final_ts_ns).collect())?,
        s(
            "outcome",
            a.iter().map(|x| x.outcome.as_str().to_string()).collect(),
        ),
        Column::new(
            "cause".into(),
            a.iter()
                .map(|x| x.cause.map(|c| c.as_str().to_string()))
                .collect::<Vec<_>>(),
        ),
        Column::new("final_code".into(), u32s(&|x| x.final_code.map(u32::from))),
        Column::new("retry_after_s".into(), u32s(&|x| x.retry_after_s)),
        Column::new(
            "challenges".into(),
            a.iter().map(|x| x.challenges).collect::<Vec<_>>(),
        ),
        Column::new(
            "requests".into(),
            a.iter().map(|x| x.requests).collect::<Vec<_>>(),
        ),
        Column::new(
            "retransmissions".into(),
            a.iter().map(|x| x.retransmissions).collect::<Vec<_>>(),
        ),
        Column::new("requested_expires_s".into(), u32s(&|x| x.requested_expires)),
        Column::new(
            "requested_expires_defaulted".into(),
            a.iter()
                .map(|x| x.requested_expires_defaulted)
                .collect::<Vec<_>>(),
        ),
        Column::new("granted_expires_s".into(), u32s(&|x| x.granted_expires)),
        Column::new("min_expires_s".into(), u32s(&|x| x.min_expires)),
        Column::new(
            "is_deregistration".into(),
            a.iter().map(|x| x.is_deregistration).collect::<Vec<_>>(),
        ),
        Column::new(
            "is_refresh".into(),
            a.iter().map(|x| x.is_refresh).collect::<Vec<_>>(),
        ),
        Column::new(
            "is_query".into(),
            a.iter().map(|x| x.is_query).collect::<Vec<_>>(),
        ),
        Column::new(
            "rrd_ms".into(),
            a.iter().map(|x| x.rrd_ms).collect::<Vec<_>>(),
        ),
        Column::new(
            "stale_challenges".into(),
            a.iter().map(|x| x.stale_challenges).collect::<Vec<_>>(),
        ),
        Column::new(
            "auth_mismatch".into(),
            a.iter()
                .map(|x| x.auth_mismatch.clone())
                .collect::<Vec<_>>(),
        ),
    ])
}

fn transactions_table(
    rows: &[(crate::model::transaction::Transaction, Box<str>)],
) -> PolarsResult<DataFrame> {
    let method =
        |t: &crate::model::transaction::Transaction| format!("{:?}", t.method).to_uppercase();
    DataFrame::new_infer_height(vec![
        s("call_id", rows.iter().map(|r| r.1.to_string()).collect()),
        s("method", rows.iter().map(|r| method(&r.0)).collect()),
        Column::new(
            "cseq".into(),
            rows.iter().map(|r| r.0.cseq).collect::<Vec<_>>(),
        ),
        s(
            "client",
            rows.iter().map(|r| r.0.client.to_string()).collect(),
        ),
        s(
            "server",
            rows.iter().map(|r| r.0.server.to_string()).collect(),
        ),
        s(
            "transport",
            rows.iter()
                .map(|r| r.0.transport.as_str().to_string())
                .collect(),
        ),
        datetime("start", rows.iter().map(|r| Some(r.0.first_ts)).collect())?,
        Column::new(
            "requests".into(),
            rows.iter().map(|r| r.0.requests).collect::<Vec<_>>(),
        ),
        Column::new(
            "responses".into(),
            rows.iter().map(|r| r.0.responses).collect::<Vec<_>>(),
        ),
        Column::new(
            "first_provisional".into(),
            rows.iter()
                .map(|r| r.0.first_provisional.map(|p| u32::from(p.0)))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "first_provisional_ms".into(),
            rows.iter()
                .map(|r| {
                    r.0.first_provisional
                        .map(|p| (p.1 - r.0.first_ts) as f64 / 1e6)
                })
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "final_code".into(),
            rows.iter()
                .map(|r| r.0.final_code.map(u32::from))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "final_ms".into(),
            rows.iter()
                .map(|r| r.0.final_ts.map(|f| (f - r.0.first_ts) as f64 / 1e6))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "has_credentials".into(),
            rows.iter().map(|r| r.0.has_credentials).collect::<Vec<_>>(),
        ),
        Column::new(
            "in_dialog".into(),
            rows.iter().map(|r| r.0.in_dialog).collect::<Vec<_>>(),
        ),
    ])
}

fn messages_table(m: &[MessageRow], paths: &[String]) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        datetime("time", m.iter().map(|r| Some(r.ts_ns)).collect())?,
        s("src", m.iter().map(|r| r.src.to_string()).collect()),
        s("dst", m.iter().map(|r| r.dst.to_string()).collect()),
        s(
            "transport",
            m.iter().map(|r| r.transport.to_string()).collect(),
        ),
        Column::new(
            "method".into(),
            m.iter().map(|r| r.method.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "status".into(),
            m.iter()
                .map(|r| r.status.map(u32::from))
                .collect::<Vec<_>>(),
        ),
        s("call_id", m.iter().map(|r| r.call_id.clone()).collect()),
        Column::new("cseq".into(), m.iter().map(|r| r.cseq).collect::<Vec<_>>()),
        s(
            "cseq_method",
            m.iter().map(|r| r.cseq_method.clone()).collect(),
        ),
        s("from_tag", m.iter().map(|r| r.from_tag.clone()).collect()),
        s("to_tag", m.iter().map(|r| r.to_tag.clone()).collect()),
        s("via_branch", m.iter().map(|r| r.branch.clone()).collect()),
        s(
            "file",
            m.iter()
                .map(|r| paths.get(r.file as usize).cloned().unwrap_or_default())
                .collect(),
        ),
        Column::new(
            "frame".into(),
            m.iter().map(|r| r.frame).collect::<Vec<_>>(),
        ),
        Column::new(
            "length".into(),
            m.iter().map(|r| r.length).collect::<Vec<_>>(),
        ),
        s("defects", m.iter().map(|r| r.defects.clone()).collect()),
    ])
}

pub(crate) fn findings_table(f: &[Finding]) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(vec![
        s(
            "kind",
            f.iter().map(|x| x.kind.name().to_string()).collect(),
        ),
        s(
            "severity",
            f.iter().map(|x| x.severity.name().to_string()).collect(),
        ),
        s("summary", f.iter().map(|x| x.summary.clone()).collect()),
        datetime("first", f.iter().map(|x| x.evidence.first_ns).collect())?,
        datetime("last", f.iter().map(|x| x.evidence.last_ns).collect())?,
        s(
            "call_ids",
            f.iter().map(|x| x.evidence.call_ids.join(";")).collect(),
        ),
        s(
            "addresses",
            f.iter().map(|x| x.evidence.addresses.join(";")).collect(),
        ),
        s(
            "aors",
            f.iter().map(|x| x.evidence.aors.join(";")).collect(),
        ),
        s(
            "counts",
            f.iter()
                .map(|x| serde_json::to_string(&x.evidence.counts).unwrap_or_default())
                .collect(),
        ),
        s("advice", f.iter().map(|x| x.advice.join(" | ")).collect()),
    ])
}

/// One row per input file (`--per-file`).
pub(crate) fn files_table(rows: &[FileRow]) -> PolarsResult<DataFrame> {
    let u = |name: &str, f: &dyn Fn(&FileRow) -> u64| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<u64>>())
    };
    DataFrame::new_infer_height(vec![
        s("file", rows.iter().map(|r| r.file.clone()).collect()),
        s("format", rows.iter().map(|r| r.format.clone()).collect()),
        datetime("first", rows.iter().map(|r| r.first_ns).collect())?,
        datetime("last", rows.iter().map(|r| r.last_ns).collect())?,
        u("frames", &|r| r.frames),
        u("sip_messages", &|r| r.sip_messages),
        u("requests", &|r| r.requests),
        u("responses", &|r| r.responses),
        u("duplicates", &|r| r.duplicates),
        u("calls", &|r| r.calls),
        u("calls_failed", &|r| r.calls_failed),
        u("calls_rejected", &|r| r.calls_rejected),
        u("registrations", &|r| r.registrations),
        u("registrations_failed", &|r| r.registrations_failed),
        s("status", rows.iter().map(|r| r.status.clone()).collect()),
    ])
}

/// Writes `bytes` to `path` through a temporary file in the same directory, then renames it.
pub fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<(), FilesError> {
    let io = |e| FilesError::Io {
        path: path.display().to_string(),
        source: e,
    };
    let tmp = path.with_extension(format!(
        "{}.tmp-{}",
        path.extension().and_then(|e| e.to_str()).unwrap_or(""),
        std::process::id()
    ));
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    let r = write(&mut f).and_then(|_| f.sync_all());
    if let Err(e) = r {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(e));
    }
    std::fs::rename(&tmp, path).map_err(io)
}

/// Writes summary.json and every table in every format into `dir`; returns the files written.
pub fn write_all(
    dir: &Path,
    s: &Summary,
    summary_json: &serde_json::Value,
) -> Result<Vec<PathBuf>, FilesError> {
    std::fs::create_dir_all(dir).map_err(|e| FilesError::Io {
        path: dir.display().to_string(),
        source: e,
    })?;
    let mut written = Vec::new();
    let sj = dir.join("summary.json");
    write_atomic(&sj, |f| {
        serde_json::to_writer_pretty(&mut *f, summary_json)?;
        std::io::Write::write_all(f, b"\n")
    })?;
    written.push(sj);
    let paths: Vec<String> = s.inputs.iter().map(|i| i.report.path.clone()).collect();
    let table = |name: &'static str, r: PolarsResult<DataFrame>| {
        r.map_err(|e| FilesError::Table {
            table: name,
            source: e,
        })
    };
    let tables = [
        ("calls", table("calls", calls_table(&s.calls))?),
        (
            "registrations",
            table(
                "registrations",
                registrations_table(&s.registrations.attempts),
            )?,
        ),
        (
            "transactions",
            table("transactions", transactions_table(&s.transaction_rows))?,
        ),
        (
            "messages",
            table("messages", messages_table(&s.messages, &paths))?,
        ),
        ("findings", table("findings", findings_table(&s.findings))?),
    ];
    let mut tables = tables.to_vec();
    if s.show_per_file {
        tables.push(("files", table("files", files_table(&s.per_file))?));
    }
    let exporters: [&dyn Exporter; 2] = [&Csv, &Parquet];
    for (name, df) in tables.iter_mut() {
        for e in exporters {
            let path = dir.join(format!("{name}.{}", e.extension()));
            write_atomic(&path, |f| e.write(df, f).map_err(std::io::Error::other))?;
            written.push(path);
        }
    }
    Ok(written)
}
