//! End-to-end: `sipsleuth explain` pages and their errors.

mod common;
use common::*;

#[test]
fn a_known_code_explains_meaning_and_counting() {
    let o = run(&["explain", "486"]);
    assert!(o.status.success());
    let page = String::from_utf8(o.stdout).unwrap();
    assert!(page.starts_with("486 Busy Here"));
    assert!(page.contains("REJECTED"));
    assert!(page.lines().all(|l| l.chars().count() <= 100));
}

#[test]
fn every_code_is_listed() {
    let o = run(&["explain"]);
    let list = String::from_utf8(o.stdout).unwrap();
    for code in [
        "100", "183", "202", "204", "302", "403", "423", "494", "503", "608",
    ] {
        assert!(
            list.lines().any(|l| l.trim_start().starts_with(code)),
            "{code}"
        );
    }
}

#[test]
fn out_of_range_is_a_usage_error() {
    let o = run(&["explain", "99"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a SIP response code"));
}

/// Issue #15: a support engineer reading a 403 after a challenge must learn that
/// many registrars answer a wrong password that way (it is not always a lock).
#[test]
fn explain_403_says_a_wrong_password_is_often_answered_403_after_the_challenge() {
    let o = run(&["explain", "403"]);
    assert!(o.status.success());
    let page = String::from_utf8(o.stdout).unwrap().replace('\n', " ");
    let page = page.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(page.contains("wrong password"), "{page}");
    assert!(page.contains("challenge"), "{page}");
}
