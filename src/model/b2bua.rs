//! B2BUA legs: one user call that a back-to-back user agent (a PBX, an SBC)
//! re-originated with a new Call-ID shows up as two call records. This pass,
//! run once over the finished records, folds each such outgoing leg into the
//! call the caller made, so calls are counted as the caller saw them.
//!
//! A leg B is folded into call A when the evidence is clear:
//! - **explicit**: B's initial INVITE names A's Call-ID in a correlation header
//!   (`X-CID`, `X-Call-ID`, `X-Orig-Call-ID`, `X-Original-Call-ID`), or both carry
//!   the same RFC 7989 `Session-ID` (the earlier record is A);
//! - **by timing and users**: B was sent by the address A was sent to (B's caller
//!   IP is A's first hop IP: the box re-originated it), within [`LEG_WINDOW_NS`]
//!   after A began, with the same From and To (or Request-URI) user parts — and no
//!   other call of the capture fits B as well (ambiguous pairs are left apart).
//!
//! The merged record keeps A's outcome and timings (what the caller saw), lists
//! B's Call-ID in `b2bua_call_ids` and appends B's legs; its destination becomes
//! B's. What each record carries for this is read by `call` when the INVITE passes.

use super::call::CallRecord;
// Seeded foldhash, not SipHash: these maps index every call of the run, keyed by
// what the capture wrote (Call-IDs, users), and were most of the tail's hashing.
use foldhash::{HashMap, HashMapExt};

/// A re-originated leg starts at most this long after the caller's INVITE.
pub const LEG_WINDOW_NS: i64 = 2_000_000_000;

/// Headers that name the other leg's Call-ID, as PBXs and SBCs write them.
pub const CORRELATION_HEADERS: [&str; 4] =
    ["X-CID", "X-Call-ID", "X-Orig-Call-ID", "X-Original-Call-ID"];

/// The user part of a URI kept as text in a record.
fn user(uri: &str) -> &[u8] {
    crate::sip::values::uri_user(uri.as_bytes())
}

/// Folds B2BUA legs into the calls they belong to; returns how many were folded.
/// `calls` must be sorted by start time, and stays so.
pub fn fold_legs(calls: &mut Vec<CallRecord>) -> u64 {
    let by_id: HashMap<&str, usize> = calls
        .iter()
        .enumerate()
        .map(|(i, c)| (&*c.call_id, i))
        .collect();
    let mut session: HashMap<&str, usize> = HashMap::new();
    // parent[i] = Some(j): record i is a leg of record j.
    let mut parent: Vec<Option<usize>> = vec![None; calls.len()];
    let mut claimed = vec![false; calls.len()];
    for (i, c) in calls.iter().enumerate() {
        let explicit = c
            .fold_keys
            .as_ref()
            .and_then(|k| k.correlation_id.as_deref())
            .and_then(|id| by_id.get(id).copied())
            .filter(|&j| j != i)
            .or_else(|| {
                let s = c
                    .fold_keys
                    .as_ref()?
                    .session_id
                    .as_deref()
                    .filter(|s| !s.is_empty())?;
                match session.get(s) {
                    Some(&j) => Some(j),
                    None => {
                        session.insert(s, i);
                        None
                    }
                }
            });
        if let Some(j) = explicit {
            parent[i] = Some(j);
            claimed[j] = true;
        }
    }
    // By timing and users, for what no header tied. A leg's parent was sent to
    // the address the leg came from, by the same From user: index the calls by
    // (first hop IP, From user) so each leg looks only at those, not at every
    // call of the last two seconds (at 500 calls/s that was a thousand each).
    let mut by_hop_user: HashMap<(std::net::IpAddr, &[u8]), Vec<usize>> = HashMap::new();
    for (j, a) in calls.iter().enumerate() {
        let af = user(&a.from_uri);
        if !af.is_empty() {
            by_hop_user
                .entry((a.first_hop.ip(), af))
                .or_default()
                .push(j);
        }
    }
    for i in 0..calls.len() {
        if parent[i].is_some() {
            continue;
        }
        let b = &calls[i];
        let (bf, bt) = (user(&b.from_uri), user(&b.to_uri));
        if bf.is_empty() {
            continue;
        }
        let Some(same_hop_user) = by_hop_user.get(&(b.caller.ip(), bf)) else {
            continue;
        };
        let fits = |a: &CallRecord| {
            a.caller.ip() != b.caller.ip()
                && b.start_ns >= a.start_ns
                && (user(&a.to_uri) == bt || user(&a.request_uri) == user(&b.request_uri))
        };
        // Indices ascend with start time: the calls before i, newest first, within the window.
        let before = same_hop_user.partition_point(|&j| j < i);
        let mut candidates = same_hop_user[..before]
            .iter()
            .rev()
            .copied()
            .take_while(|&j| b.start_ns.saturating_sub(calls[j].start_ns) <= LEG_WINDOW_NS)
            .filter(|&j| fits(&calls[j]));
        let (Some(j), None) = (candidates.next(), candidates.next()) else {
            continue;
        };
        // No other leg already claims that call.
        if claimed[j] {
            continue;
        }
        parent[i] = Some(j);
        claimed[j] = true;
    }
    // Chains (A → B → C) fold into their root.
    let root = |mut i: usize| {
        let mut steps = 0;
        while let Some(p) = parent[i] {
            i = p;
            steps += 1;
            if steps > calls.len() {
                break;
            }
        }
        i
    };
    let mut folded: Vec<(usize, usize)> = (0..calls.len())
        .filter(|&i| parent[i].is_some())
        .map(|i| (i, root(i)))
        .filter(|(i, r)| i != r)
        .collect();
    if folded.is_empty() {
        return 0;
    }
    folded.sort();
    let mut legs_of: Vec<Option<CallRecord>> = calls.drain(..).map(Some).collect();
    let mut n = 0;
    for &(i, r) in &folded {
        let Some(leg) = legs_of.get_mut(i).and_then(Option::take) else {
            continue;
        };
        if let Some(Some(call)) = legs_of.get_mut(r) {
            let mut ids = std::mem::take(&mut call.b2bua_call_ids).into_vec();
            ids.push(leg.call_id);
            call.b2bua_call_ids = ids.into_boxed_slice();
            call.destination = leg.destination;
            // The call's media is the first leg's that carried RTP (a B2BUA that anchors
            // media sends it on one leg only), else the caller's leg's.
            let has_streams =
                |m: &Option<crate::media::MediaSummary>| m.as_ref().is_some_and(|m| m.has_streams);
            if !has_streams(&call.media) && has_streams(&leg.media) {
                call.media = leg.media;
            }
            let mut legs = std::mem::take(&mut call.legs).into_vec();
            legs.extend(leg.legs);
            call.legs = legs.into_boxed_slice();
            n += 1;
        }
    }
    calls.extend(legs_of.into_iter().flatten());
    n
}

#[cfg(test)]
mod tests {
    use crate::model::test_msg::msg;
    use crate::model::Model;

    const MS: i64 = 1_000_000;

    /// One answered INVITE from `src` to `dst` in Call-ID `cid`, with `extra` headers.
    fn call(m: &mut Model, t: i64, src: &str, dst: &str, cid: &str, extra: &str) {
        let head = |first: &str, to_tag: &str, cseq: &str| {
            format!("{first}\nVia: SIP/2.0/UDP {src};branch=z9hG4bK-{cid}\nFrom: <sip:alice@x>;tag=f\nTo: <sip:bob@x>{to_tag}\nCall-ID: {cid}\nCSeq: {cseq}\n")
        };
        m.on_message(&msg(
            t,
            src,
            dst,
            &format!(
                "{}{extra}\n",
                head("INVITE sip:bob@x SIP/2.0", "", "1 INVITE")
            ),
        ));
        m.on_message(&msg(
            t + 50 * MS,
            dst,
            src,
            &format!("{}\n", head("SIP/2.0 200 OK", ";tag=t", "1 INVITE")),
        ));
    }

    const PHONE: &str = "10.0.0.1:5060";
    const PBX_IN: &str = "10.0.0.2:5060";
    const PBX_OUT: &str = "10.0.0.2:5070";
    const CALLEE: &str = "10.0.0.3:5060";

    #[test]
    fn a_leg_named_by_x_cid_is_folded_into_its_call() {
        let mut m = Model::default();
        call(&mut m, 0, PHONE, PBX_IN, "a-leg", "");
        call(&mut m, 10 * MS, PBX_OUT, CALLEE, "b-leg", "X-CID: a-leg\n");
        let out = m.finish(None);
        assert_eq!(out.b2bua_legs_merged, 1);
        assert_eq!(out.calls.len(), 1);
        let c = &out.calls[0];
        assert_eq!(
            (&*c.call_id, c.b2bua_call_ids.to_vec()),
            ("a-leg", vec!["b-leg".into()])
        );
        assert_eq!(*c.destination, CALLEE.parse().unwrap());
        assert_eq!(c.legs.len(), 2);
    }

    #[test]
    fn a_leg_sent_by_the_box_the_call_went_to_with_the_same_users_is_folded() {
        let mut m = Model::default();
        call(&mut m, 0, PHONE, PBX_IN, "a-leg", "");
        call(&mut m, 20 * MS, PBX_OUT, CALLEE, "b-leg", "");
        let out = m.finish(None);
        assert_eq!(out.b2bua_legs_merged, 1);
        assert_eq!(out.calls[0].b2bua_call_ids.to_vec(), vec!["b-leg".into()]);
    }

    /// Media is judged per Call-ID as each leg closes (issue #16); the folded call
    /// keeps the media of the first leg that carried RTP, as a B2BUA anchoring media
    /// on its outgoing leg shows it.
    #[test]
    fn a_folded_call_keeps_the_media_of_the_leg_that_carried_rtp() {
        struct Stamp;
        impl crate::model::call::OnCallClosed for Stamp {
            fn call_closed(&mut self, _: u128, r: Option<&mut super::CallRecord>) {
                if let Some(r) = r {
                    let mut media = crate::media::MediaSummary::no_media();
                    media.codec = Some(r.call_id.as_ref().into());
                    media.has_streams = &*r.call_id == "b-leg";
                    r.media = Some(media);
                }
            }
        }
        let mut m = Model::default();
        call(&mut m, 0, PHONE, PBX_IN, "a-leg", "");
        call(&mut m, 10 * MS, PBX_OUT, CALLEE, "b-leg", "X-CID: a-leg\n");
        let out = m.finish_closing(None, &mut Stamp);
        assert_eq!(out.calls.len(), 1);
        let media = out.calls[0].media.as_ref().unwrap();
        assert_eq!(media.codec.as_deref(), Some("b-leg"));
    }

    #[test]
    fn unrelated_calls_are_left_apart() {
        // Too late to be the same call.
        let mut m = Model::default();
        call(&mut m, 0, PHONE, PBX_IN, "a-leg", "");
        call(&mut m, 3_000 * MS, PBX_OUT, CALLEE, "b-leg", "");
        assert_eq!(m.finish(None).calls.len(), 2);
        // Sent by another box than the one the first call went to.
        let mut m = Model::default();
        call(&mut m, 0, PHONE, PBX_IN, "a-leg", "");
        call(&mut m, 20 * MS, "10.0.0.9:5060", CALLEE, "b-leg", "");
        assert_eq!(m.finish(None).calls.len(), 2);
        // Two calls that could each be the parent: ambiguous, left apart.
        let mut m = Model::default();
        call(&mut m, 0, PHONE, PBX_IN, "a1", "");
        call(&mut m, 5 * MS, "10.0.0.5:5060", PBX_IN, "a2", "");
        call(&mut m, 20 * MS, PBX_OUT, CALLEE, "b-leg", "");
        assert_eq!(m.finish(None).calls.len(), 3);
    }
}
