//! Archives read as one timeline: a real capture split into "rotated" files at
//! arbitrary points — mid-call, mid-TCP-stream, mid-registration — gives exactly
//! the calls, registrations, findings and SIP counts of the unsplit capture,
//! however the pieces are given: a directory whose names are not in time order,
//! files named out of order, gzip and plain mixed. Two capture points holding
//! the same traffic are counted once.

mod common;
use common::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The records of a classic little-endian pcap: (global header, records with their headers).
fn records(p: &Path) -> (Vec<u8>, Vec<Vec<u8>>) {
    let b = std::fs::read(p).unwrap();
    assert!(
        b[..4] == [0xd4, 0xc3, 0xb2, 0xa1] || b[..4] == [0x4d, 0x3c, 0xb2, 0xa1],
        "{}: not LE pcap",
        p.display()
    );
    let mut recs = Vec::new();
    let mut off = 24;
    while off + 16 <= b.len() {
        let caplen = u32::from_le_bytes(b[off + 8..off + 12].try_into().unwrap()) as usize;
        recs.push(b[off..off + 16 + caplen].to_vec());
        off += 16 + caplen;
    }
    (b[..24].to_vec(), recs)
}

/// Splits `src` after every record index in `cuts` into files in a new
/// directory, named so that name order is NOT time order (the name of piece k is
/// `z<N-k>`), every third piece gzipped.
fn split(src: &Path, cuts: &[usize], tag: &str) -> (common::ScratchDir, Vec<PathBuf>) {
    let (header, recs) = records(src);
    let d = scratch_dir(tag);
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().copied().filter(|&c| c > 0 && c < recs.len()));
    bounds.push(recs.len());
    bounds.dedup();
    let n = bounds.len() - 1;
    let mut files = Vec::new();
    for k in 0..n {
        let mut bytes = header.clone();
        for r in &recs[bounds[k]..bounds[k + 1]] {
            bytes.extend(r);
        }
        let gz = k % 3 == 2;
        let name = format!("z{:03}.pcap{}", n - k, if gz { ".gz" } else { "" });
        let p = d.join(name);
        if gz {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&bytes).unwrap();
            std::fs::write(&p, e.finish().unwrap()).unwrap();
        } else {
            std::fs::write(&p, bytes).unwrap();
        }
        files.push(p);
    }
    (d, files)
}

/// What must not change when a capture is split: everything but the per-input part.
fn essence(j: &serde_json::Value) -> serde_json::Value {
    let mut j = j.clone();
    let o = j.as_object_mut().unwrap();
    o.remove("inputs");
    o.remove("timeline");
    o.remove("per_file");
    j
}

fn csv(cmd: &str, inputs: &[&Path]) -> String {
    let o = bin().arg(cmd).arg("--csv").args(inputs).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn assert_same_as_unsplit(capture: &str, cuts: &[usize]) {
    let src = testdata(capture);
    let (_, whole, _) = analyze_json(&[&src]);
    let tag = format!("archive-{}", capture.replace('/', "-"));
    let (dir, files) = split(&src, cuts, &tag);
    assert!(files.len() > 2, "{capture}: the cuts make several files");
    // As a directory (walked in name order, which is reverse time order here).
    let (code, merged, stderr) = analyze_json(&[&dir]);
    assert_eq!(code, 0, "{capture}: {stderr}");
    assert_frames_accounted(&merged);
    assert_eq!(
        essence(&merged),
        essence(&whole),
        "{capture} split at {cuts:?} differs from the unsplit capture"
    );
    assert_eq!(merged["inputs"].as_array().unwrap().len(), files.len());
    // As files named in a shuffled order.
    let mut shuffled: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    shuffled.rotate_left(files.len() / 2);
    shuffled.swap(0, 1);
    let (_, again, _) = analyze_json(&shuffled);
    assert_eq!(essence(&again), essence(&whole), "{capture}: order given");
    // The row outputs too.
    for cmd in ["calls", "registrations"] {
        assert_eq!(
            csv(cmd, &shuffled),
            csv(cmd, &[&src]),
            "{capture}: `{cmd} --csv` differs"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

fn every(n: usize, step: usize) -> Vec<usize> {
    (1..n / step + 1).map(|k| k * step).collect()
}

fn record_count(capture: &str) -> usize {
    records(&testdata(capture)).1.len()
}

#[test]
fn a_tcp_capture_split_mid_stream_is_the_same_as_unsplit() {
    // Cuts every 5 frames: through TCP streams, transactions and calls.
    let c = "calls/calls-tcp.pcap";
    assert_same_as_unsplit(c, &every(record_count(c), 5));
}

#[test]
fn a_udp_call_capture_split_mid_call_is_the_same_as_unsplit() {
    let c = "calls/calls-udp.pcap";
    assert_same_as_unsplit(c, &every(record_count(c), 7));
}

#[test]
fn a_registration_capture_split_mid_registration_is_the_same_as_unsplit() {
    let c = "registrations/registrations-tcp.pcap";
    assert_same_as_unsplit(c, &every(record_count(c), 3));
}

#[test]
fn fragments_split_between_files_are_reassembled() {
    let c = "ipv4-fragments.pcap";
    assert_same_as_unsplit(c, &every(record_count(c), 1));
}

#[test]
fn pattern_findings_survive_a_split() {
    for c in [
        "patterns/capacity-503.pcap",
        "patterns/account-lockout.pcap",
        "patterns/flood-blackhole.pcap",
    ] {
        let n = record_count(c);
        assert_same_as_unsplit(c, &[n / 7, n / 3, n / 2 + 1, n - 2]);
    }
}

#[test]
fn two_capture_points_of_the_same_traffic_are_counted_once() {
    let src = testdata("calls/calls-udp.pcap");
    let d = scratch_dir("archive-two-points");
    // A second capture point: the same packets, 2 ms later (another host's clock).
    let (header, recs) = records(&src);
    let mut other = header;
    for r in &recs {
        let mut r = r.clone();
        let usec = u32::from_le_bytes(r[4..8].try_into().unwrap()) + 2_000;
        let (s, us) = (usec / 1_000_000, usec % 1_000_000);
        let sec = u32::from_le_bytes(r[0..4].try_into().unwrap()) + s;
        r[0..4].copy_from_slice(&sec.to_le_bytes());
        r[4..8].copy_from_slice(&us.to_le_bytes());
        other.extend(r);
    }
    let b = d.join("point-b.pcap");
    std::fs::write(&b, other).unwrap();
    let (_, one, _) = analyze_json(&[&src]);
    let (code, both, stderr) = analyze_json(&[&src, &b]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(both["calls"], one["calls"]);
    assert_eq!(both["sip"], one["sip"]);
    let sip = one["frames"]["sip"].as_u64().unwrap();
    assert_eq!(both["frames"]["duplicate"].as_u64().unwrap(), sip);
    assert_eq!(
        both["timeline"]["duplicate_messages"].as_u64().unwrap(),
        sip
    );
    assert_eq!(both["timeline"]["overlapping_inputs"].as_u64().unwrap(), 2);
    std::fs::remove_dir_all(d).unwrap();
}

#[test]
fn the_same_file_named_twice_is_read_once() {
    let src = testdata("calls/calls-udp.pcap");
    let (_, one, _) = analyze_json(&[&src]);
    let (code, twice, stderr) = analyze_json(&[&src, &src]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(essence(&twice), essence(&one));
    assert_eq!(twice["timeline"]["repeated_inputs"], 1);
    assert!(twice["inputs"][1]["skipped"].as_bool().unwrap());
}

#[test]
fn per_file_rows_add_up_to_the_whole() {
    let c = "calls/calls-udp.pcap";
    let n = record_count(c);
    let (dir, files) = split(&testdata(c), &every(n, n / 4), "archive-per-file");
    let o = bin()
        .args(["analyze", "--json", "--per-file"])
        .arg(&dir)
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = j["per_file"]
        .as_array()
        .expect("per_file rows with --per-file");
    assert_eq!(rows.len(), files.len());
    let sum = |k: &str| rows.iter().map(|r| r[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("frames"), j["frames"]["total"].as_u64().unwrap());
    assert_eq!(sum("calls"), j["calls"]["attempts"].as_u64().unwrap());
    let requests = j["sip"]["requests_total"].as_u64().unwrap();
    let responses = j["sip"]["responses_total"].as_u64().unwrap();
    assert_eq!(sum("sip_messages"), requests + responses);
    assert!(rows.iter().all(|r| r["status"] == "complete"));
    // Without the flag the JSON has no per-file rows; the table view names the files.
    let (_, plain, _) = analyze_json(&[&dir]);
    assert!(plain.get("per_file").is_none());
    let t = bin()
        .args(["analyze", "--per-file"])
        .arg(&dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&t.stdout);
    assert!(text.contains("Files"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn inputs_from_a_list_on_stdin_and_from_a_quoted_glob() {
    let c = "calls/calls-tcp.pcap";
    let (_, whole, _) = analyze_json(&[&testdata(c)]);
    let (dir, files) = split(&testdata(c), &every(record_count(c), 9), "archive-list");
    let list: String = files.iter().map(|f| format!("{}\n", f.display())).collect();
    let mut child = bin()
        .args(["analyze", "--json", "--files-from", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(list.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(essence(&j), essence(&whole));
    let pattern = format!("{}/z*.pcap*", dir.display());
    let (code, g, stderr) = analyze_json(&[Path::new(&pattern)]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(essence(&g), essence(&whole));
    std::fs::remove_dir_all(dir).unwrap();
}

/// `--dataset`: two runs (two sites) into one root, read together by DuckDB with
/// hive partitioning, as docs/archives.md shows. Skips without Python's duckdb.
#[test]
fn dataset_runs_are_queried_together_by_duckdb() {
    let has_duckdb = std::process::Command::new("python3")
        .args(["-c", "import duckdb"])
        .status()
        .is_ok_and(|s| s.success());
    let root = scratch_dir("archive-dataset");
    for (site, capture) in [
        ("lab-a", "patterns/capacity-503.pcap"),
        ("lab-b", "calls/calls-udp.pcap"),
    ] {
        // Twice: a re-run replaces its own files instead of adding rows.
        for _ in 0..2 {
            let o = bin()
                .args(["analyze", "--quiet", "--dataset"])
                .arg(&root)
                .args(["--site", site])
                .arg(testdata(capture))
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
    }
    let bad = bin()
        .args(["analyze", "--quiet", "--dataset"])
        .arg(&root)
        .args(["--site", "../escape"])
        .arg(testdata("calls/calls-udp.pcap"))
        .output()
        .unwrap();
    assert_eq!(
        bad.status.code(),
        Some(2),
        "a site name with a path in it is refused"
    );
    let calls = std::fs::read_dir(root.join("calls")).unwrap().count();
    assert_eq!(calls, 2, "one site=… folder per site");
    if !has_duckdb {
        skip("the DuckDB part: python3 -c 'import duckdb' failed");
        return;
    }
    let (_, a, _) = analyze_json(&[&testdata("patterns/capacity-503.pcap")]);
    let (_, b, _) = analyze_json(&[&testdata("calls/calls-udp.pcap")]);
    let q = format!(
        "import duckdb; print(duckdb.sql(\"select site, count(*), count(distinct run_id) \
         from read_parquet('{}/calls/*/*/*.parquet', hive_partitioning=true) group by site order by site\").fetchall())",
        root.display()
    );
    let o = std::process::Command::new("python3")
        .args(["-c", &q])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert_eq!(
        got,
        format!(
            "[('lab-a', {}, 1), ('lab-b', {}, 1)]",
            a["calls"]["attempts"], b["calls"]["attempts"]
        )
    );
    std::fs::remove_dir_all(root).unwrap();
}

/// Acceptance on captures not made here: every little-endian pcap of
/// `../shared/captures` cut into four rotated files (one gzipped) gives the
/// answer of the unsplit capture. Skips when the folder is absent.
#[test]
fn shared_captures_split_into_rotated_files_give_the_unsplit_answer() {
    let Some(dir) = shared_captures_or_skip() else {
        return;
    };
    let index = std::fs::read_to_string(dir.join("INDEX.tsv")).unwrap();
    let mut checked = 0;
    let mut differ = Vec::new();
    for line in index.lines().skip(1) {
        let name = line.split('\t').next().unwrap();
        let path = dir.join(name);
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let le = |m: &[u8]| m == [0xd4, 0xc3, 0xb2, 0xa1] || m == [0x4d, 0x3c, 0xb2, 0xa1];
        if bytes.len() < 24 || !le(&bytes[..4]) {
            continue; // pcapng, big-endian, compressed: the splitter here cuts LE pcap only
        }
        let recs = records(&path).1;
        let n = recs.len();
        // A capture whose own times go backwards (a synthetic one jumps a year back and
        // forth) is merged by time, not by its record order: not comparable.
        let t = |r: &Vec<u8>| {
            (
                u32::from_le_bytes(r[0..4].try_into().unwrap()),
                u32::from_le_bytes(r[4..8].try_into().unwrap()),
            )
        };
        if n < 8 || recs.windows(2).any(|w| t(&w[1]) < t(&w[0])) {
            continue;
        }
        let (_, whole, _) = analyze_json(&[&path]);
        let (split_dir, _) = split(&path, &[n / 4, n / 2, 3 * n / 4], "archive-shared");
        let (_, merged, _) = analyze_json(&[&split_dir]);
        if essence(&merged) != essence(&whole) {
            differ.push(name.to_string());
        }
        checked += 1;
        std::fs::remove_dir_all(split_dir).unwrap();
    }
    eprintln!("{checked} shared captures split and compared");
    assert!(checked > 40, "only {checked} captures checked");
    assert!(differ.is_empty(), "split differs from unsplit: {differ:#?}");
}
