//! A destination in a directory that cannot be written — `analyze --out`,
//! `--html`, `--dataset`, `flow --svg` — is exit 2 with "cannot …" before any
//! input is read (issue #17; the README's exit-code table). The input is a FIFO
//! anyone may open and nobody writes to: a run that read it would block.
//!
//! Permissions do not bind root, and these tests often run as root (CI
//! containers). Then the binary runs as `nobody` through `setpriv`, from a hard
//! link in the world-readable scratch directory (the build directory may sit in
//! root's private home); a directory owned by root with mode 0555 is truly not
//! writable for it. Without setpriv, as root, the test skips (a failure under
//! SIPSLEUTH_REQUIRE_ALL). The other destination errors (missing parent, a
//! file where a directory is wanted) are in tests/destinations.rs.

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const NOBODY: &str = "65534";

/// How to start sipsleuth so that permissions bind, or None (skipped).
fn runner(d: &Path) -> Option<Command> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some(bin());
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        skip("running as root without setpriv: a read-only directory cannot be made to bite");
        return None;
    }
    let exe = d.join("sipsleuth");
    if !exe.exists() && std::fs::hard_link(env!("CARGO_BIN_EXE_sipsleuth"), &exe).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_sipsleuth"), &exe).unwrap();
    }
    let mut c = Command::new("setpriv");
    c.args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups", "--"])
        .arg(exe);
    Some(c)
}

fn fifo(d: &Path) -> PathBuf {
    let p = d.join("input.fifo");
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    // SAFETY: a valid path; mkfifo only creates it.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o666) }, 0);
    // Whatever the umask: nobody may open it (so a wrong read blocks, not fails).
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666)).unwrap();
    p
}

#[test]
fn an_unwritable_destination_is_exit_2_before_any_input_is_read() {
    let d = scratch_dir("unwritable");
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
    if runner(&d).is_none() {
        return;
    }
    let input = fifo(&d);
    let ro = d.join("read-only");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    // The premise, checked as the run's user: it cannot create anything there.
    let probe = {
        let mut c = runner(&d).unwrap();
        c.args(["analyze", "--quiet", "--html"])
            .arg(ro.join("probe.html"))
            .arg(testdata("calls/calls-udp.pcap"));
        c.output().unwrap()
    };
    assert_ne!(
        probe.status.code(),
        Some(0),
        "the directory must not be writable"
    );
    assert!(!ro.join("probe.html").exists());
    let cases: Vec<(Vec<std::ffi::OsString>, &str)> = vec![
        (
            vec!["analyze".into(), "--out".into(), ro.join("out").into()],
            "--out",
        ),
        (
            vec!["analyze".into(), "--html".into(), ro.join("r.html").into()],
            "--html",
        ),
        (
            vec!["analyze".into(), "--dataset".into(), ro.join("ds").into()],
            "--dataset",
        ),
        (
            vec![
                "flow".into(),
                "--call-id".into(),
                "x".into(),
                "--svg".into(),
                ro.join("f.svg").into(),
            ],
            "--svg",
        ),
    ];
    for (args, flag) in cases {
        let mut child = runner(&d)
            .unwrap()
            .args(&args)
            .arg(&input)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let began = Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if began.elapsed() > Duration::from_secs(20) {
                child.kill().unwrap();
                child.wait().unwrap();
                panic!("{args:?}: still running after 20 s: the input was read first");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(flag) && err.contains("cannot") && err.contains("ermission denied"),
            "{args:?}: {err}"
        );
        assert_eq!(std::fs::read_dir(&ro).unwrap().count(), 0, "{args:?} wrote");
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::remove_dir_all(&d).unwrap();
}
