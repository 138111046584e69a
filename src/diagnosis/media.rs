//! ONE_WAY_AUDIO: answered calls whose RTP flowed one way only (media verdict
//! ONE_WAY, `media::verdict`), grouped by the party that heard nothing — the
//! network of the address its SDP asked audio to be sent to. Many such calls
//! towards one private network announced from a public signalling address is
//! the classic NAT failure: the far end sends to an address it cannot reach
//! (no symmetric RTP, no SBC/ALG rewriting c=). The evidence names the
//! addresses, when the silent side's SDP was sent and when the direction that
//! worked began (times, not frame numbers: those are per input file, and a
//! capture split into rotated files must give the same finding; the streams
//! table has the frames).

use super::{Evidence, Finding, Input, Kind, Severity};
use crate::media::Verdict;
use crate::report::time::utc;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

/// The network of an address, as it is grouped: /24 for IPv4, /64 for IPv6.
fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v) => {
            let s = v.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// One call that heard nothing one way.
struct Deaf<'a> {
    call_id: &'a str,
    start_ns: i64,
    /// Where the silent side asked for audio, whether that was private behind a public address.
    asked: Option<SocketAddr>,
    nat: bool,
    signalling: Option<IpAddr>,
    side: &'static str,
    sdp_ns: Option<i64>,
    working_first_ns: Option<i64>,
}

pub(super) fn detect(input: &Input<'_>, out: &mut Vec<Finding>) {
    let mut groups: BTreeMap<String, Vec<Deaf<'_>>> = BTreeMap::new();
    for c in input.calls {
        let Some(m) = c
            .media
            .as_ref()
            .filter(|m| m.verdict == Some(Verdict::OneWay))
        else {
            continue;
        };
        // The side that received nothing.
        let d = if m.to_caller().packets == 0 {
            Deaf {
                call_id: &c.call_id,
                start_ns: c.start_ns,
                asked: m.caller_sdp.get(),
                nat: m.caller_nat,
                signalling: m.caller_signalling,
                side: "caller",
                sdp_ns: m.caller_sdp_ns.get(),
                working_first_ns: m.to_callee().first_ns,
            }
        } else {
            Deaf {
                call_id: &c.call_id,
                start_ns: c.start_ns,
                asked: m.callee_sdp.get(),
                nat: m.callee_nat,
                signalling: m.callee_signalling,
                side: "callee",
                sdp_ns: m.callee_sdp_ns.get(),
                working_first_ns: m.to_caller().first_ns,
            }
        };
        let key = d
            .asked
            .map_or_else(|| "no SDP address".into(), |a| network(a.ip()));
        groups.entry(key).or_default().push(d);
    }
    let total: usize = groups.values().map(Vec::len).sum();
    for (net, calls) in groups {
        let mut ev = Evidence::default();
        let nat = calls.iter().filter(|d| d.nat).count();
        for d in &calls {
            ev.call_id(d.call_id);
            ev.span(d.start_ns);
            if let Some(a) = d.asked {
                ev.address(a);
            }
            if let Some(s) = d.signalling {
                ev.address(s);
            }
            ev.detail(format!(
                "{}: no RTP reached the {} at {} (its SDP sent {}{}); the other way worked from {}",
                d.call_id,
                d.side,
                d.asked.map_or("-".into(), |a| a.to_string()),
                d.sdp_ns.map_or("-".into(), utc),
                if d.nat {
                    format!(
                        ", a private address sent from public {}",
                        d.signalling.map_or("-".into(), |s| s.to_string())
                    )
                } else {
                    String::new()
                },
                d.working_first_ns.map_or("-".into(), utc),
            ));
        }
        ev.count("one_way_calls", calls.len() as u64);
        ev.count("one_way_calls_in_capture", total as u64);
        ev.count("nat_suspected", nat as u64);
        let publics: Vec<String> = calls
            .iter()
            .filter(|d| d.nat)
            .filter_map(|d| d.signalling.map(|s| s.to_string()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let summary = if nat > 0 {
            format!(
                "{} call(s) with one-way audio: no RTP reached {net}, a private network announced in SDP from public {} — NAT",
                calls.len(),
                publics.join(", ")
            )
        } else {
            format!(
                "{} call(s) with one-way audio: no RTP reached {net}",
                calls.len()
            )
        };
        let mut advice = Vec::new();
        if nat > 0 {
            advice.push(
                "The SDP asks for audio at a private address the far end cannot reach: make the far end send \
                 to where the media comes from (symmetric RTP / comedia), or have an SBC or the NAT's SIP ALG \
                 rewrite c= (or fix a broken ALG that rewrites it wrongly)"
                    .into(),
            );
        }
        advice.push(format!(
            "Check the path towards {net}: a firewall or route dropping UDP to the SDP's ports, and whether RTP \
             was sent at all (capture on the sender's side)"
        ));
        advice.push(
            "Open the SDP and the first RTP of the working direction side by side (times in the \
             details; frames and a Wireshark filter per stream in the streams table)"
                .into(),
        );
        out.push(Finding {
            kind: Kind::OneWayAudio,
            severity: Severity::Error,
            summary,
            evidence: ev,
            advice,
        });
    }
}
