//! Traffic counts: SIP messages by method, by status code and by transport,
//! malformed records by reason, defects, ICMP errors. Counting only; cheap per
//! item (no allocation for the methods of RFC 3261 and its usual extensions),
//! and mergeable so inputs can be counted in parallel.

use crate::reassembly::Item;
use crate::sip::{Method, SipMessage};
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
    pub transports: BTreeMap<&'static str, u64>,
    pub malformed: BTreeMap<&'static str, u64>,
    pub defects: BTreeMap<&'static str, u64>,
    pub via_hep: u64,
    pub tunnelled: u64,
    pub reassembled: u64,
    pub multi_segment: u64,
    pub icmp_errors: u64,
    pub icmp_quoting_sip: u64,
}

impl TrafficCounts {
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
        *self.transports.entry(m.transport.as_str()).or_default() += 1;
        for d in m.defects().names() {
            *self.defects.entry(d).or_default() += 1;
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
        for (k, v) in &o.transports {
            *self.transports.entry(k).or_default() += v;
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
            transports: t.transports.clone(),
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
