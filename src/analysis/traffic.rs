//! Traffic counts: SIP messages by method, by status code and by transport,
//! malformed records by reason, defects, ICMP errors. Counting only; cheap per
//! item (no allocation for the methods of RFC 3261 and its usual extensions),
//! and mergeable so inputs can be counted in parallel.

use crate::reassembly::Item;
use crate::sip::{Method, SipMessage, Transport};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

const KNOWN: [&str; 14] = [
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "REGISTER",
    "OPTIONS",
    "PRACK",
    "SUBSCRIBE",
    "NOTIFY",
    "PUBLISH",
    "INFO",
    "REFER",
    "MESSAGE",
    "UPDATE",
];

fn known_index(m: Method) -> Option<usize> {
    Some(match m {
        Method::Invite => 0,
        Method::Ack => 1,
        Method::Bye => 2,
        Method::Cancel => 3,
        Method::Register => 4,
        Method::Options => 5,
        Method::Prack => 6,
        Method::Subscribe => 7,
        Method::Notify => 8,
        Method::Publish => 9,
        Method::Info => 10,
        Method::Refer => 11,
        Method::Message => 12,
        Method::Update => 13,
        Method::Other => return None,
    })
}

#[derive(Clone, Debug, Default)]
pub struct TrafficCounts {
    known: [u64; 14],
    other: HashMap<Box<[u8]>, u64>,
    codes: Vec<u64>,
    /// By [`Transport`], in the order of [`TRANSPORTS`]: an array, because a map
    /// looked up by name for every message was 1 % of a SIP-heavy run's model thread.
    by_transport: [u64; 4],
    pub malformed: BTreeMap<&'static str, u64>,
    pub defects: BTreeMap<&'static str, u64>,
    pub via_hep: u64,
    pub tunnelled: u64,
    pub reassembled: u64,
    pub multi_segment: u64,
    pub icmp_errors: u64,
    pub icmp_quoting_sip: u64,
}

const TRANSPORTS: [Transport; 4] = [
    Transport::Udp,
    Transport::Tcp,
    Transport::Ws,
    Transport::Sctp,
];

fn transport_index(t: Transport) -> usize {
    match t {
        Transport::Udp => 0,
        Transport::Tcp => 1,
        Transport::Ws => 2,
        Transport::Sctp => 3,
    }
}

impl TrafficCounts {
    /// Messages by transport name ("udp", "tcp", "ws", "sctp"), the transports seen only.
    pub fn transports(&self) -> BTreeMap<&'static str, u64> {
        TRANSPORTS
            .iter()
            .zip(self.by_transport)
            .filter(|(_, n)| *n > 0)
            .map(|(t, n)| (t.as_str(), n))
            .collect()
    }

    pub fn add(&mut self, item: &Item) {
        match item {
            Item::Sip(m) => self.add_message(m),
            Item::Malformed(m) => *self.malformed.entry(m.reason).or_default() += 1,
            Item::Icmp(e) => {
                self.icmp_errors += 1;
                self.icmp_quoting_sip += u64::from(e.notice.quotes_sip);
            }
            // Media is counted by the media tracker (summary.media), not as SIP traffic.
            Item::Rtp(_) | Item::Rtcp(_) => {}
        }
    }

    fn add_message(&mut self, m: &SipMessage) {
        match m.status() {
            Some(code) => {
                let i = usize::from(code);
                if self.codes.len() <= i {
                    self.codes.resize(700, 0);
                }
                self.codes[i] += 1;
            }
            None => match m.method_kind().and_then(known_index) {
                Some(i) => self.known[i] += 1,
                None => {
                    *self
                        .other
                        .entry(m.method().unwrap_or_default().into())
                        .or_default() += 1
                }
            },
        }
        if let Some(n) = self.by_transport.get_mut(transport_index(m.transport)) {
            *n += 1;
        }
        let defects = m.defects();
        if !defects.is_empty() {
            for d in defects.names() {
                *self.defects.entry(d).or_default() += 1;
            }
        }
        let c = m.carriage;
        self.via_hep += u64::from(c.hep);
        self.tunnelled += u64::from(c.tunnelled);
        self.reassembled += u64::from(c.reassembled);
        self.multi_segment += u64::from(c.multi_segment);
    }

    pub fn merge(&mut self, o: &TrafficCounts) {
        for (a, b) in self.known.iter_mut().zip(o.known) {
            *a += b;
        }
        for (k, v) in &o.other {
            *self.other.entry(k.clone()).or_default() += v;
        }
        if self.codes.len() < o.codes.len() {
            self.codes.resize(o.codes.len(), 0);
        }
        for (a, b) in self.codes.iter_mut().zip(&o.codes) {
            *a += b;
        }
        for (a, b) in self.by_transport.iter_mut().zip(o.by_transport) {
            *a += b;
        }
        for (k, v) in &o.malformed {
            *self.malformed.entry(k).or_default() += v;
        }
        for (k, v) in &o.defects {
            *self.defects.entry(k).or_default() += v;
        }
        self.via_hep += o.via_hep;
        self.tunnelled += o.tunnelled;
        self.reassembled += o.reassembled;
        self.multi_segment += o.multi_segment;
        self.icmp_errors += o.icmp_errors;
        self.icmp_quoting_sip += o.icmp_quoting_sip;
    }

    /// Requests per method (exact method text; non-UTF-8 bytes shown as U+FFFD).
    pub fn requests(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for (i, n) in self.known.iter().enumerate() {
            if *n > 0 {
                out.insert(KNOWN[i].to_string(), *n);
            }
        }
        for (k, n) in &self.other {
            *out.entry(String::from_utf8_lossy(k).into_owned())
                .or_default() += n;
        }
        out
    }

    /// Responses per status code.
    pub fn responses(&self) -> BTreeMap<u16, u64> {
        self.codes
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(c, n)| (c as u16, *n))
            .collect()
    }

    pub fn request_total(&self) -> u64 {
        self.known.iter().sum::<u64>() + self.other.values().sum::<u64>()
    }
    pub fn response_total(&self) -> u64 {
        self.codes.iter().sum()
    }
    pub fn messages(&self) -> u64 {
        self.request_total() + self.response_total()
    }
}

/// The JSON form of the counts (`sip` in the summary).
#[derive(Serialize)]
pub struct TrafficJson {
    pub messages: u64,
    pub requests_total: u64,
    pub responses_total: u64,
    pub requests: BTreeMap<String, u64>,
    pub responses: BTreeMap<String, u64>,
    pub transports: BTreeMap<&'static str, u64>,
    pub malformed: MalformedJson,
    pub defects: BTreeMap<&'static str, u64>,
    pub carried: CarriedJson,
}

#[derive(Serialize)]
pub struct MalformedJson {
    pub total: u64,
    pub reasons: BTreeMap<&'static str, u64>,
}

#[derive(Serialize)]
pub struct CarriedJson {
    pub hep: u64,
    pub tunnelled: u64,
    pub reassembled_from_ip_fragments: u64,
    pub over_several_tcp_segments: u64,
}

impl From<&TrafficCounts> for TrafficJson {
    fn from(t: &TrafficCounts) -> Self {
        TrafficJson {
            messages: t.messages(),
            requests_total: t.request_total(),
            responses_total: t.response_total(),
            requests: t.requests(),
            responses: t
                .responses()
                .into_iter()
                .map(|(c, n)| (c.to_string(), n))
                .collect(),
            transports: t.transports(),
            malformed: MalformedJson {
                total: t.malformed.values().sum(),
                reasons: t.malformed.clone(),
            },
            defects: t.defects.clone(),
            carried: CarriedJson {
                hep: t.via_hep,
                tunnelled: t.tunnelled,
                reassembled_from_ip_fragments: t.reassembled,
                over_several_tcp_segments: t.multi_segment,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_msg::msg;

    fn over(t: Transport, text: &str) -> Item {
        let mut m = msg(0, "10.0.0.1:5060", "10.0.0.2:5060", text);
        m.transport = t;
        Item::Sip(Box::new(m))
    }

    #[test]
    fn messages_by_transport_add_up_and_merge() {
        let options = "OPTIONS sip:b@h SIP/2.0\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\nCall-ID: c\nCSeq: 1 OPTIONS\n\n";
        let ok = "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\nCall-ID: c\nCSeq: 1 OPTIONS\n\n";
        let mut a = TrafficCounts::default();
        a.add(&over(Transport::Udp, options));
        a.add(&over(Transport::Udp, ok));
        a.add(&over(Transport::Sctp, options));
        assert_eq!(
            a.transports(),
            BTreeMap::from([("sctp", 1), ("udp", 2)]),
            "only the transports seen, by name"
        );
        let mut b = TrafficCounts::default();
        b.add(&over(Transport::Tcp, ok));
        b.merge(&a);
        assert_eq!(
            b.transports(),
            BTreeMap::from([("sctp", 1), ("tcp", 1), ("udp", 2)])
        );
        assert_eq!(b.messages(), 4);
        assert_eq!(TrafficJson::from(&b).transports, b.transports());
        assert!(TrafficCounts::default().transports().is_empty());
    }
}
