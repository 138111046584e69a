//! The switch that turns a test's "skipping: …" into a failure in CI
//! (`SIPSLEUTH_REQUIRE_ALL`, set by `.ci/run`): a plain clone without
//! ../shared/captures, chromium or the Python readers still skips with the
//! message; CI cannot pass without running those tests.

mod common;
use common::*;
use std::ffi::OsStr;

#[test]
fn only_a_set_nonzero_variable_forbids_skips() {
    assert!(!skips_forbidden(None), "unset: a plain `cargo test` skips");
    assert!(!skips_forbidden(Some(OsStr::new(""))), "empty: skips");
    assert!(!skips_forbidden(Some(OsStr::new("0"))), "0: skips");
    assert!(skips_forbidden(Some(OsStr::new("1"))));
    assert!(skips_forbidden(Some(OsStr::new("yes"))));
}

/// The whole chain, in a child process (the variable is per process): the
/// same skip passes without the variable and fails with it.
#[test]
fn a_skip_fails_the_test_when_ci_requires_everything() {
    if std::env::var_os("SIPSLEUTH_REQUIRE_ALL_CHILD").is_some() {
        skip("a prerequisite this test pretends is missing");
        return;
    }
    let me = std::env::current_exe().unwrap();
    let child = |require: Option<&str>| {
        let mut c = std::process::Command::new(&me);
        c.args([
            "--exact",
            "--nocapture",
            "a_skip_fails_the_test_when_ci_requires_everything",
        ])
        .env("SIPSLEUTH_REQUIRE_ALL_CHILD", "1")
        .env_remove(REQUIRE_ALL);
        if let Some(v) = require {
            c.env(REQUIRE_ALL, v);
        }
        c.output().unwrap()
    };
    let plain = child(None);
    assert!(plain.status.success(), "a plain clone skips and passes");
    assert!(String::from_utf8_lossy(&plain.stderr).contains("skipping: a prerequisite"));
    let ci = child(Some("1"));
    assert!(!ci.status.success(), "under CI the skip is a failure");
}
