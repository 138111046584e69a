//! Destinations checked before the inputs are read (issue #17): a bad
//! `--out`, `--html`, `--dataset`/`--site` or `flow --svg` is exit 2 at once
//! with the reason. The input is a FIFO nobody writes to, so a run that read
//! it would block: exiting at all proves nothing was read.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn fifo(d: &Path) -> PathBuf {
    let p = d.join("input.fifo");
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    // SAFETY: a valid path; mkfifo only creates it.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    p
}

/// Runs sipsleuth; the exit code and stderr, or a failure if it blocks (it read the FIFO).
fn refused(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let mut child = bin()
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            return (status.code(), err);
        }
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{args:?}: still running after 20 s: the input was read before the destination was checked");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

#[test]
fn bad_destinations_exit_2_before_any_input_is_read() {
    let d = scratch_dir("destinations");
    let input = fifo(&d);
    let file = d.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let missing = d.join("missing/out");
    let read_only = d.join("read-only");
    std::fs::create_dir(&read_only).unwrap();
    std::fs::set_permissions(
        &read_only,
        std::os::unix::fs::PermissionsExt::from_mode(0o555),
    )
    .unwrap();
    // Root ignores permissions: the not-writable case is checked only when they bite.
    let perms_bite = std::fs::write(read_only.join("probe"), b"").is_err();
    let mut cases: Vec<(Vec<&std::ffi::OsStr>, &str)> = vec![
        (
            vec![os("analyze"), os("--out"), missing.as_os_str()],
            "does not exist",
        ),
        (
            vec![os("analyze"), os("--out"), file.as_os_str()],
            "not a directory",
        ),
        (
            vec![os("analyze"), os("--html"), d.as_os_str()],
            "is a directory",
        ),
        (
            vec![os("analyze"), os("--html"), missing.as_os_str()],
            "does not exist",
        ),
        (
            vec![
                os("analyze"),
                os("--dataset"),
                d.as_os_str(),
                os("--site"),
                os("../escape"),
            ],
            "--site",
        ),
        (
            vec![os("analyze"), os("--dataset"), file.as_os_str()],
            "not a directory",
        ),
        (
            vec![
                os("flow"),
                os("--call-id"),
                os("x"),
                os("--svg"),
                missing.as_os_str(),
            ],
            "does not exist",
        ),
    ];
    let ro_out = read_only.join("out");
    let ro_html = read_only.join("r.html");
    if perms_bite {
        cases.push((
            vec![os("analyze"), os("--out"), ro_out.as_os_str()],
            "cannot",
        ));
        cases.push((
            vec![os("analyze"), os("--html"), ro_html.as_os_str()],
            "cannot write",
        ));
    }
    for (mut args, why) in cases {
        args.push(input.as_os_str());
        let (code, err) = refused(&args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(why), "{args:?}: {err}");
    }
}
