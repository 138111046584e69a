//! What the registration tracker reads of Digest authentication: whether a
//! response is a challenge, its realm, algorithm, nonce and `stale` flag, and
//! whether the credentials that follow answer it (RFC 7616 / RFC 2617).

use crate::sip::values::{digest_param, display as lossy};
use crate::sip::{Hdr, SipMessage};
use std::hash::{Hash, Hasher};

pub(super) fn is_challenge(code: u16) -> bool {
    code == 401 || code == 407
}

/// The realm and algorithm (MD5 when absent, RFC 2617) of a challenge's first Digest header.
pub(super) fn challenge_realm(m: &SipMessage, code: u16) -> Option<(Box<str>, Box<str>)> {
    let name = if code == 401 {
        "WWW-Authenticate"
    } else {
        "Proxy-Authenticate"
    };
    let v = m.header_values(name).into_iter().next()?;
    let realm = digest_param(&v, b"realm")?;
    let alg = digest_param(&v, b"algorithm").unwrap_or(b"MD5");
    Some((lossy(realm, 128).into(), lossy(alg, 32).into()))
}

/// Credentials whose realm or algorithm differ from the challenge they answer, described.
pub(super) fn credential_mismatch(
    challenge: &(Box<str>, Box<str>),
    m: &SipMessage,
) -> Option<String> {
    let v = [Hdr::Authorization, Hdr::ProxyAuthorization]
        .into_iter()
        .find_map(|h| m.header(h))?;
    let realm = lossy(digest_param(&v, b"realm")?, 128);
    let alg = lossy(digest_param(&v, b"algorithm").unwrap_or(b"MD5"), 32);
    let (c_realm, c_alg) = challenge;
    let realm_differs = realm != **c_realm;
    let alg_differs = !alg.eq_ignore_ascii_case(c_alg);
    (realm_differs || alg_differs).then(|| {
        format!("challenge realm \"{c_realm}\" algorithm {c_alg}; credentials realm \"{realm}\" algorithm {alg}")
    })
}

/// A challenge's `stale=true` flag, and the hash of its nonce.
pub(super) fn read_challenge(m: &SipMessage, code: u16) -> (bool, Option<u64>) {
    let name = if code == 401 {
        "WWW-Authenticate"
    } else {
        "Proxy-Authenticate"
    };
    let (mut stale, mut nonce) = (false, None);
    for v in m.header_values(name) {
        stale |= digest_param(&v, b"stale").is_some_and(|s| s.eq_ignore_ascii_case(b"true"));
        nonce = nonce.or(digest_param(&v, b"nonce").map(hash64));
    }
    (stale, nonce)
}

/// Hashes of the nonces a request's credentials were computed over.
pub(super) fn credential_nonces(m: &SipMessage) -> Vec<u64> {
    [Hdr::Authorization, Hdr::ProxyAuthorization]
        .into_iter()
        .filter_map(|h| m.header(h))
        .filter_map(|v| digest_param(&v, b"nonce").map(hash64))
        .collect()
}

fn hash64(v: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}
