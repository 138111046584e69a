//! The files table (`--per-file`): one row per input file (docs/archives.md).

use super::{col, Column, Table, Type::*, Value};
use crate::analysis::per_file::FileRow;

pub static TABLE: Table<FileRow> = Table {
    name: "files",
    doc: "With `--per-file`: one row per input file ([archives.md](archives.md)).",
    columns: COLUMNS,
};

#[rustfmt::skip]
static COLUMNS: &[Column<FileRow>] = &[
    col("file", Text, "the path as given or found", |r, _| r.file.as_str().into()),
    col("format", Text, "`pcap`, `pcapns`, `pcapng`, `netmon`, with `+gzip` / `+zstd`; empty if unreadable", |r, _| r.format.as_str().into()),
    col("first", Datetime, "first frame", |r, _| Value::time_opt(r.first_ns)),
    col("last", Datetime, "last frame", |r, _| Value::time_opt(r.last_ns)),
    col("frames", U64, "frames read (every bucket)", |r, _| r.frames.into()),
    col("sip_messages", U64, "SIP messages carried by this file", |r, _| r.sip_messages.into()),
    col("requests", U64, "requests among them", |r, _| r.requests.into()),
    col("responses", U64, "responses among them", |r, _| r.responses.into()),
    col("duplicates", U64, "frames repeating another (TCP retransmissions, repeated fragments, another capture point's copy)", |r, _| r.duplicates.into()),
    col("calls", U64, "call attempts whose first INVITE falls in this file's span", |r, _| r.calls.into()),
    col("calls_failed", U64, "of those, ERROR or NO_ANSWER", |r, _| r.calls_failed.into()),
    col("calls_rejected", U64, "of those, REJECTED or TIMEOUT", |r, _| r.calls_rejected.into()),
    col("registrations", U64, "registration attempts starting in this file's span", |r, _| r.registrations.into()),
    col("registrations_failed", U64, "the failed ones", |r, _| r.registrations_failed.into()),
    col("status", Text, "`complete`, the damage found (`truncated at byte …`), `skipped: …` or `unreadable: …`", |r, _| r.status.as_str().into()),
];
